/*
 * daemon.h - what makes flowtierd a well-behaved daemon: a locked
 * pidfile, detaching from the terminal, and signals read as events.
 *
 * Pidfile
 * =======
 *
 * The pidfile is both a record and a lock: the instance that holds an
 * exclusive flock() on it is the one running in that run directory.  A
 * process killed with SIGKILL leaves the file behind but not the lock, so
 * the next instance takes over without manual cleanup.  Several instances
 * on one machine use different run directories.
 *
 * Detaching
 * =========
 *
 * ft_daemon_fork() forks at once.  The parent waits; the child starts up
 * (pidfile, database, control socket) and then calls
 * ft_daemon_detach_finish(), which tells the parent to exit 0.  So when
 * 'flowtierd --detach' returns, the socket is already listening.  If the
 * child fails before that, the parent exits with the child's status, and
 * the child's error messages have gone to the caller's terminal.
 *
 * Signals
 * =======
 *
 * ft_daemon_signals_open() blocks the given signals and returns a
 * signalfd for the event loop; SIGPIPE is ignored so that a client that
 * goes away shows up as EPIPE on a write, never as a dead daemon.
 *
 * Nothing here calls exit(): the caller's main() decides.
 */
#ifndef FLOWTIER_MGMT_DAEMON_H
#define FLOWTIER_MGMT_DAEMON_H 1

#include <stdbool.h>
#include <sys/types.h>

#include "flowtier/error.h"

struct ft_pidfile;

/* Creates (or takes over) pidfile 'path', locks it and writes the calling
 * process's pid into it.  Returns 0 and '*pfp', -EBUSY with 'err' naming
 * the pid of the instance that holds it, or another negative errno. */
int ft_pidfile_create(const char *path, struct ft_pidfile **pfp,
                      struct ft_error *err);

/* Removes the file and releases the lock.  NULL is a no-op. */
void ft_pidfile_destroy(struct ft_pidfile *pf);

/* Reads the pid recorded in 'path' if a live process holds its lock:
 * returns the pid (> 0), 0 if nobody holds it, or a negative errno. */
pid_t ft_pidfile_read_holder(const char *path);

struct ft_daemon_detach {
    int notify_fd;              /* Child: write end; -1 when not detaching. */
};

/* Forks.  In the child returns 0 with 'dd' set up for
 * ft_daemon_detach_finish().  In the parent waits until the child has
 * called ft_daemon_detach_finish() or died, and returns 1 with
 * '*exit_status' set to what the parent should exit with (0 on success).
 * Returns a negative errno if fork() or pipe() failed. */
int ft_daemon_fork(struct ft_daemon_detach *dd, int *exit_status,
                   struct ft_error *err);

/* In the child: starts a new session, changes to '/', points stdin,
 * stdout (and stderr when 'keep_stderr' is false) at /dev/null, and
 * releases the waiting parent.  No-op if 'dd' is not detaching. */
void ft_daemon_detach_finish(struct ft_daemon_detach *dd, bool keep_stderr);

/* Ignores SIGPIPE, blocks the 'n' signals of 'signals' and returns a
 * nonblocking signalfd that reads them.  Returns the fd (>= 0) or a
 * negative errno with 'err' filled. */
int ft_daemon_signals_open(const int *signals, size_t n,
                           struct ft_error *err);

/* Reads one pending signal from signalfd 'fd'.  Returns its number, 0 if
 * none is pending, or a negative errno. */
int ft_daemon_signal_read(int fd);

/* Makes directory 'path' (and missing parents) with 'mode' for the last
 * component; an existing directory has its mode set to 'mode' when
 * 'force_mode' is true.  Returns 0 or a negative errno with 'err'. */
int ft_daemon_mkdir(const char *path, mode_t mode, bool force_mode,
                    struct ft_error *err);

#endif /* mgmt/daemon/daemon.h */

/*
 * daemon.c - pidfile, detaching and signals for flowtierd (see daemon.h).
 *
 * Part of the management plane, used only by the daemon's main().  Holds
 * no global state; the signal mask and disposition it changes are the
 * process's, which is why only main() should call it.
 */
#include "mgmt/daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct ft_pidfile {
    char *path;
    int fd;
};

static pid_t
read_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    long pid;
    char *end;

    if (n <= 0) {
        return 0;
    }
    buf[n] = '\0';
    pid = strtol(buf, &end, 10);
    return pid > 0 && (*end == '\n' || !*end) ? (pid_t) pid : 0;
}

int
ft_pidfile_create(const char *path, struct ft_pidfile **pfp,
                  struct ft_error *err)
{
    struct ft_pidfile *pf;
    char buf[32];
    int fd, len;

    *pfp = NULL;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return ft_error_set(err, -errno, "%s: %s", path, strerror(errno));
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int error = errno;
        pid_t pid = read_pid(fd);

        close(fd);
        if (error == EWOULDBLOCK) {
            if (pid) {
                return ft_error_set(err, -EBUSY, "%s: already running as "
                                    "pid %ld (use another --rundir to run "
                                    "a second instance)", path, (long) pid);
            }
            return ft_error_set(err, -EBUSY, "%s: locked by another "
                                "instance", path);
        }
        return ft_error_set(err, -error, "%s: lock: %s", path,
                            strerror(error));
    }
    len = snprintf(buf, sizeof buf, "%ld\n", (long) getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t) len, 0) != len) {
        int error = errno ? errno : EIO;

        close(fd);
        return ft_error_set(err, -error, "%s: write: %s", path,
                            strerror(error));
    }
    pf = calloc(1, sizeof *pf);
    if (!pf || !(pf->path = strdup(path))) {
        abort();
    }
    pf->fd = fd;
    *pfp = pf;
    return 0;
}

void
ft_pidfile_destroy(struct ft_pidfile *pf)
{
    if (pf) {
        /* Unlink while still holding the lock, so that a new instance
         * never sees our file unlocked and then has it removed. */
        unlink(pf->path);
        close(pf->fd);
        free(pf->path);
        free(pf);
    }
}

pid_t
ft_pidfile_read_holder(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    pid_t pid = 0;

    if (fd < 0) {
        return errno == ENOENT ? 0 : -errno;
    }
    if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
        pid = errno == EWOULDBLOCK ? read_pid(fd) : -errno;
    }
    close(fd);
    return pid;
}

int
ft_daemon_fork(struct ft_daemon_detach *dd, int *exit_status,
               struct ft_error *err)
{
    int fds[2];
    pid_t pid;
    char c;
    ssize_t n;

    dd->notify_fd = -1;
    *exit_status = 0;
    if (pipe2(fds, O_CLOEXEC) < 0) {
        return ft_error_set(err, -errno, "pipe: %s", strerror(errno));
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        int error = errno;

        close(fds[0]);
        close(fds[1]);
        return ft_error_set(err, -error, "fork: %s", strerror(error));
    }
    if (!pid) {
        close(fds[0]);
        dd->notify_fd = fds[1];
        return 0;
    }

    close(fds[1]);
    do {
        n = read(fds[0], &c, 1);
    } while (n < 0 && errno == EINTR);
    close(fds[0]);
    if (n == 1) {
        return 1;
    }
    /* The child died (or closed the pipe) before it was ready. */
    for (;;) {
        int status;

        if (waitpid(pid, &status, 0) < 0) {
            if (errno == EINTR) {
                continue;
            }
            *exit_status = 1;
        } else if (WIFEXITED(status)) {
            *exit_status = WEXITSTATUS(status) ? WEXITSTATUS(status) : 1;
        } else {
            fprintf(stderr, "flowtierd: child died with signal %d\n",
                    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
            *exit_status = 1;
        }
        return 1;
    }
}

void
ft_daemon_detach_finish(struct ft_daemon_detach *dd, bool keep_stderr)
{
    int null;

    if (dd->notify_fd < 0) {
        return;
    }
    setsid();
    if (chdir("/") < 0) {
        /* Only matters for core dumps and relative paths, which the
         * daemon has resolved already. */
    }
    null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        if (!keep_stderr) {
            dup2(null, STDERR_FILENO);
        }
        close(null);
    }
    if (write(dd->notify_fd, "", 1) < 0) {
        /* The parent is gone; nothing to tell. */
    }
    close(dd->notify_fd);
    dd->notify_fd = -1;
}

int
ft_daemon_signals_open(const int *signals, size_t n, struct ft_error *err)
{
    sigset_t mask;
    int fd;

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&mask);
    for (size_t i = 0; i < n; i++) {
        sigaddset(&mask, signals[i]);
    }
    if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
        return ft_error_set(err, -errno, "sigprocmask: %s", strerror(errno));
    }
    fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) {
        return ft_error_set(err, -errno, "signalfd: %s", strerror(errno));
    }
    return fd;
}

int
ft_daemon_signal_read(int fd)
{
    struct signalfd_siginfo si;
    ssize_t n;

    do {
        n = read(fd, &si, sizeof si);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return errno == EAGAIN ? 0 : -errno;
    }
    return n == sizeof si ? (int) si.ssi_signo : -EIO;
}

int
ft_daemon_mkdir(const char *path, mode_t mode, bool force_mode,
                struct ft_error *err)
{
    char *copy = strdup(path);
    struct stat st;
    int error = 0;

    if (!copy) {
        abort();
    }
    /* Parents first, with the default mode. */
    for (char *p = copy + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(copy, 0755) < 0 && errno != EEXIST) {
                error = ft_error_set(err, -errno, "%s: %s", copy,
                                     strerror(errno));
                goto out;
            }
            *p = '/';
        }
    }
    if (mkdir(path, mode) < 0) {
        if (errno != EEXIST) {
            error = ft_error_set(err, -errno, "%s: %s", path,
                                 strerror(errno));
            goto out;
        }
        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
            error = ft_error_set(err, -ENOTDIR, "%s: not a directory", path);
            goto out;
        }
        if (!force_mode) {
            goto out;
        }
    }
    /* mkdir() applied the umask; the mode asked for is what we want. */
    if (chmod(path, mode) < 0) {
        error = ft_error_set(err, -errno, "%s: chmod: %s", path,
                             strerror(errno));
    }
out:
    free(copy);
    return error;
}

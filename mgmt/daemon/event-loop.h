/*
 * event-loop.h - the daemon's single-threaded event loop: file descriptor
 * callbacks over epoll, and timers.
 *
 * What?
 * =====
 *
 * Everything flowtierd does happens in callbacks run from one loop: a
 * client's bytes on the control socket, a signal read from a signalfd, a
 * packet on a datapath's upcall fd, the revalidator's periodic timer.  A
 * callback must not block; it does a bounded amount of work and returns.
 *
 * Reentrancy
 * ==========
 *
 * A callback may add, modify or remove any fd or timer, its own included,
 * and may stop the loop.  An fd removed during a round of events gets no
 * further callback in that round, even if the same number is reused by a
 * new registration.  A timer cancelled before it fires never fires.
 *
 * Timers use the monotonic clock in milliseconds (ft_time_msec()).  A
 * periodic timer that falls behind fires once per round, not once per
 * missed period.
 *
 * No global state: several loops may exist in one process (unit tests),
 * each used by one thread.
 */
#ifndef FLOWTIER_MGMT_EVENT_LOOP_H
#define FLOWTIER_MGMT_EVENT_LOOP_H 1

#include <stdbool.h>
#include <stdint.h>

#include "flowtier/error.h"

struct ft_loop;

/* Called with the fd and the epoll events that are ready (EPOLLIN,
 * EPOLLOUT, EPOLLHUP, EPOLLERR). */
typedef void ft_loop_fd_cb(int fd, uint32_t events, void *aux);
typedef void ft_loop_timer_cb(void *aux);

/* Creates a loop.  Returns 0 and '*loopp', or a negative errno from
 * epoll_create1() with 'err' filled. */
int ft_loop_create(struct ft_loop **loopp, struct ft_error *err);

/* Frees 'loop'.  The fds registered are not closed: their owners close
 * them.  NULL is a no-op. */
void ft_loop_destroy(struct ft_loop *loop);

/* Calls 'cb(fd, events, aux)' whenever 'fd' is ready for 'events'
 * (level-triggered).  Returns 0, -EEXIST if 'fd' is registered already, or
 * another negative errno from epoll_ctl(). */
int ft_loop_add_fd(struct ft_loop *loop, int fd, uint32_t events,
                   ft_loop_fd_cb *cb, void *aux);

/* Changes the events watched on 'fd'.  Returns 0 or -ENOENT. */
int ft_loop_mod_fd(struct ft_loop *loop, int fd, uint32_t events);

/* Stops watching 'fd' (call before closing it).  Unknown fds are ignored. */
void ft_loop_del_fd(struct ft_loop *loop, int fd);

/* Calls 'cb(aux)' once 'delay_ms' from now, then every 'interval_ms' if
 * that is positive.  Returns the timer's id (never 0). */
uint64_t ft_loop_add_timer(struct ft_loop *loop, long long int delay_ms,
                           long long int interval_ms, ft_loop_timer_cb *cb,
                           void *aux);

/* Cancels timer 'id'.  Unknown or already fired one-shot ids (and 0) are
 * ignored. */
void ft_loop_cancel_timer(struct ft_loop *loop, uint64_t id);

/* Waits up to 'max_wait_ms' (-1: until something happens) for fd events
 * or the next timer, then runs the callbacks that are due.  Returns 0, or
 * a negative errno if epoll_wait() failed other than by EINTR. */
int ft_loop_run_once(struct ft_loop *loop, int max_wait_ms);

/* Runs rounds until ft_loop_stop() is called.  Returns 0, or the error of
 * ft_loop_run_once(). */
int ft_loop_run(struct ft_loop *loop);

/* Makes ft_loop_run() return after the current round. */
void ft_loop_stop(struct ft_loop *loop);

/* The number of the current round (of fd events and timers); it grows by
 * one with each ft_loop_run_once().  A callback registered for several
 * fds that does the same work for any of them does it once per round. */
uint64_t ft_loop_round(const struct ft_loop *loop);

/* Number of fds and timers registered (for tests and 'show'). */
size_t ft_loop_n_fds(const struct ft_loop *loop);
size_t ft_loop_n_timers(const struct ft_loop *loop);

#endif /* mgmt/daemon/event-loop.h */

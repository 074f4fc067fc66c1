/*
 * event-loop.c - epoll fd callbacks and timers (see event-loop.h).
 *
 * Part of the management plane; used by flowtierd's main loop and by the
 * control socket.  Registrations are heap objects that epoll_event.data
 * points to; removing one marks it dead and frees it only after the
 * current round, so that events already returned by epoll_wait() for it
 * are skipped safely.  Timers are few (a handful per bridge) and kept in
 * a plain array scanned linearly.
 */
#include "mgmt/daemon/event-loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "mgmt/daemon/log.h"

#define MAX_EVENTS 64

struct fd_reg {
    int fd;
    ft_loop_fd_cb *cb;
    void *aux;
    bool dead;
    struct fd_reg *next_dead;
};

struct timer {
    uint64_t id;
    long long int when;
    long long int interval;
    ft_loop_timer_cb *cb;
    void *aux;
};

struct ft_loop {
    int epfd;
    struct fd_reg **by_fd;      /* Indexed by fd; NULL if not watched. */
    size_t n_by_fd;
    size_t n_fds;
    struct fd_reg *dead;        /* Removed in this round; freed after it. */

    struct timer *timers;
    size_t n_timers, allocated_timers;
    uint64_t next_timer_id;

    bool stop;
    uint64_t round;             /* ft_loop_round(). */
};

static void *
xrealloc_array(void *p, size_t n, size_t size)
{
    p = realloc(p, n * size);
    if (!p) {
        abort();
    }
    return p;
}

int
ft_loop_create(struct ft_loop **loopp, struct ft_error *err)
{
    struct ft_loop *loop;
    int epfd = epoll_create1(EPOLL_CLOEXEC);

    *loopp = NULL;
    if (epfd < 0) {
        return ft_error_set(err, -errno, "epoll_create1: %s",
                            strerror(errno));
    }
    loop = calloc(1, sizeof *loop);
    if (!loop) {
        abort();
    }
    loop->epfd = epfd;
    loop->next_timer_id = 1;
    *loopp = loop;
    return 0;
}

static void
free_dead(struct ft_loop *loop)
{
    while (loop->dead) {
        struct fd_reg *reg = loop->dead;

        loop->dead = reg->next_dead;
        free(reg);
    }
}

void
ft_loop_destroy(struct ft_loop *loop)
{
    if (!loop) {
        return;
    }
    for (size_t i = 0; i < loop->n_by_fd; i++) {
        free(loop->by_fd[i]);
    }
    free_dead(loop);
    free(loop->by_fd);
    free(loop->timers);
    close(loop->epfd);
    free(loop);
}

static struct fd_reg *
find_fd(const struct ft_loop *loop, int fd)
{
    return fd >= 0 && (size_t) fd < loop->n_by_fd ? loop->by_fd[fd] : NULL;
}

int
ft_loop_add_fd(struct ft_loop *loop, int fd, uint32_t events,
               ft_loop_fd_cb *cb, void *aux)
{
    struct epoll_event ev;
    struct fd_reg *reg;

    if (fd < 0) {
        return -EBADF;
    }
    if (find_fd(loop, fd)) {
        return -EEXIST;
    }
    if ((size_t) fd >= loop->n_by_fd) {
        size_t n = loop->n_by_fd ? loop->n_by_fd : 16;

        while (n <= (size_t) fd) {
            n *= 2;
        }
        loop->by_fd = xrealloc_array(loop->by_fd, n, sizeof *loop->by_fd);
        memset(loop->by_fd + loop->n_by_fd, 0,
               (n - loop->n_by_fd) * sizeof *loop->by_fd);
        loop->n_by_fd = n;
    }
    reg = calloc(1, sizeof *reg);
    if (!reg) {
        abort();
    }
    reg->fd = fd;
    reg->cb = cb;
    reg->aux = aux;

    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.ptr = reg;
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int error = -errno;

        free(reg);
        return error;
    }
    loop->by_fd[fd] = reg;
    loop->n_fds++;
    return 0;
}

int
ft_loop_mod_fd(struct ft_loop *loop, int fd, uint32_t events)
{
    struct fd_reg *reg = find_fd(loop, fd);
    struct epoll_event ev;

    if (!reg) {
        return -ENOENT;
    }
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.ptr = reg;
    return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void
ft_loop_del_fd(struct ft_loop *loop, int fd)
{
    struct fd_reg *reg = find_fd(loop, fd);

    if (reg) {
        epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
        loop->by_fd[fd] = NULL;
        loop->n_fds--;
        reg->dead = true;
        reg->next_dead = loop->dead;
        loop->dead = reg;
    }
}

uint64_t
ft_loop_add_timer(struct ft_loop *loop, long long int delay_ms,
                  long long int interval_ms, ft_loop_timer_cb *cb, void *aux)
{
    struct timer *t;

    if (loop->n_timers == loop->allocated_timers) {
        loop->allocated_timers = loop->allocated_timers
                                 ? 2 * loop->allocated_timers : 8;
        loop->timers = xrealloc_array(loop->timers, loop->allocated_timers,
                                      sizeof *loop->timers);
    }
    t = &loop->timers[loop->n_timers++];
    t->id = loop->next_timer_id++;
    t->when = ft_time_msec() + (delay_ms > 0 ? delay_ms : 0);
    t->interval = interval_ms > 0 ? interval_ms : 0;
    t->cb = cb;
    t->aux = aux;
    return t->id;
}

static void
remove_timer_at(struct ft_loop *loop, size_t i)
{
    loop->timers[i] = loop->timers[--loop->n_timers];
}

void
ft_loop_cancel_timer(struct ft_loop *loop, uint64_t id)
{
    for (size_t i = 0; id && i < loop->n_timers; i++) {
        if (loop->timers[i].id == id) {
            remove_timer_at(loop, i);
            return;
        }
    }
}

/* Milliseconds until the next timer, capped by 'max_wait_ms' (-1 means no
 * cap). */
static int
next_wait(const struct ft_loop *loop, int max_wait_ms, long long int now)
{
    long long int wait = max_wait_ms;

    for (size_t i = 0; i < loop->n_timers; i++) {
        long long int d = loop->timers[i].when - now;

        if (d < 0) {
            d = 0;
        }
        if (wait < 0 || d < wait) {
            wait = d;
        }
    }
    return wait > 1000000 ? 1000000 : (int) wait;
}

/* Fires each timer due at 'now' once.  Timers added by callbacks get ids
 * above 'last_id' and wait for the next round. */
static void
run_timers(struct ft_loop *loop, long long int now)
{
    uint64_t last_id = loop->next_timer_id - 1;
    bool fired;

    do {
        fired = false;
        for (size_t i = 0; i < loop->n_timers; i++) {
            struct timer *t = &loop->timers[i];
            ft_loop_timer_cb *cb = t->cb;
            void *aux = t->aux;

            if (t->id > last_id || t->when > now) {
                continue;
            }
            if (t->interval) {
                t->when = now + t->interval;
            } else {
                remove_timer_at(loop, i);
            }
            cb(aux);
            /* The array may have changed: rescan from the start.  Each
             * due timer is either removed or moved past 'now', so this
             * ends. */
            fired = true;
            break;
        }
    } while (fired && !loop->stop);
}

int
ft_loop_run_once(struct ft_loop *loop, int max_wait_ms)
{
    struct epoll_event events[MAX_EVENTS];
    int n;

    loop->stop = false;
    loop->round++;
    n = epoll_wait(loop->epfd, events, MAX_EVENTS,
                   next_wait(loop, max_wait_ms, ft_time_msec()));
    if (n < 0) {
        return errno == EINTR ? 0 : -errno;
    }
    for (int i = 0; i < n && !loop->stop; i++) {
        struct fd_reg *reg = events[i].data.ptr;

        if (!reg->dead) {
            reg->cb(reg->fd, events[i].events, reg->aux);
        }
    }
    if (!loop->stop) {
        run_timers(loop, ft_time_msec());
    }
    free_dead(loop);
    return 0;
}

int
ft_loop_run(struct ft_loop *loop)
{
    loop->stop = false;
    while (!loop->stop) {
        int error = ft_loop_run_once(loop, -1);

        if (error) {
            return error;
        }
    }
    return 0;
}

void
ft_loop_stop(struct ft_loop *loop)
{
    loop->stop = true;
}

uint64_t
ft_loop_round(const struct ft_loop *loop)
{
    return loop->round;
}

size_t
ft_loop_n_fds(const struct ft_loop *loop)
{
    return loop->n_fds;
}

size_t
ft_loop_n_timers(const struct ft_loop *loop)
{
    return loop->n_timers;
}

/*
 * netdev-opener.c - a port's device opened in a thread of its own
 * (swpath/netdev-opener.h).
 *
 * Part of the software datapath.  Each opener is one detachable thread
 * and the state it shares with its starter, guarded by the opener's
 * mutex; it touches nothing but the netdev it opens, the closers it was
 * given (the releases it waits for) and, when asked, DPDK's EAL
 * (swpath/dpdk-eal.h).  No state outside the openers.
 */
#include "netdev-opener.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dpdk-eal.h"

struct ft_netdev_opener {
    pthread_t thread;
    pthread_mutex_t mutex;

    /* The opening thread's own copies. */
    char *name;
    char *type;
    char *eal_args;                 /* NULL: the EAL is not needed. */
    struct ft_netdev_option *opts;
    size_t n_opts;
    struct ft_netdev_closer **after;    /* Releases to wait for first. */
    size_t n_after;

    /* Outcome, under 'mutex'. */
    bool done;                      /* Also read with atomic loads. */
    bool abandoned;                 /* The thread frees the opener. */
    int error;
    struct ft_netdev *netdev;
    struct ft_error err;
};

static void
opener_free(struct ft_netdev_opener *op)
{
    for (size_t i = 0; i < op->n_opts; i++) {
        free((char *) op->opts[i].key);
        free((char *) op->opts[i].value);
    }
    free(op->opts);
    for (size_t i = 0; i < op->n_after; i++) {
        ft_netdev_closer_finish(op->after[i]);
    }
    free(op->after);
    free(op->eal_args);
    free(op->type);
    free(op->name);
    pthread_mutex_destroy(&op->mutex);
    free(op);
}

static void *
opener_main(void *op_)
{
    struct ft_netdev_opener *op = op_;
    struct ft_netdev *netdev = NULL;
    struct ft_error err;
    bool abandoned;
    int error = 0;

    ft_error_clear(&err);
    for (size_t i = 0; i < op->n_after; i++) {
        /* The same device's release, begun before this open. */
        ft_netdev_closer_finish(op->after[i]);
    }
    op->n_after = 0;
    if (op->eal_args) {
        struct ft_error e;

        error = ft_dpdk_eal_init(op->eal_args, &e);
        if (error) {
            ft_error_set(&err, error, "port %s: other_config:dpdk-extra: "
                         "%s", op->name, e.reason);
        }
    }
    if (!error) {
        error = ft_netdev_open(op->name, op->type, op->opts, op->n_opts,
                               &netdev, &err);
    }

    pthread_mutex_lock(&op->mutex);
    op->error = error;
    op->netdev = netdev;
    op->err = err;
    __atomic_store_n(&op->done, true, __ATOMIC_RELEASE);
    abandoned = op->abandoned;
    pthread_mutex_unlock(&op->mutex);

    if (abandoned) {
        ft_netdev_close(netdev);
        opener_free(op);
    }
    return NULL;
}

/* Returns a copy of 's' (NULL for NULL), or NULL with '*oom' set. */
static char *
opener_strdup(const char *s, bool *oom)
{
    char *copy = s ? strdup(s) : NULL;

    *oom = *oom || (s && !copy);
    return copy;
}

int
ft_netdev_opener_start(const char *name, const char *type,
                       const struct ft_netdev_option *opts, size_t n_opts,
                       const char *eal_args,
                       struct ft_netdev_opener **openerp,
                       struct ft_error *err)
{
    return ft_netdev_opener_start_after(name, type, opts, n_opts, eal_args,
                                        NULL, 0, openerp, err);
}

int
ft_netdev_opener_start_after(const char *name, const char *type,
                             const struct ft_netdev_option *opts,
                             size_t n_opts, const char *eal_args,
                             struct ft_netdev_closer *const *after,
                             size_t n_after,
                             struct ft_netdev_opener **openerp,
                             struct ft_error *err)
{
    struct ft_netdev_opener *op = calloc(1, sizeof *op);
    bool oom = !op;
    int error;

    *openerp = NULL;
    if (op) {
        pthread_mutex_init(&op->mutex, NULL);
        op->name = opener_strdup(name ? name : "", &oom);
        op->type = opener_strdup(type, &oom);
        op->eal_args = opener_strdup(eal_args, &oom);
        op->opts = calloc(n_opts ? n_opts : 1, sizeof *op->opts);
        oom = oom || !op->opts;
        for (size_t i = 0; !oom && i < n_opts; i++) {
            op->opts[i].key = opener_strdup(opts[i].key, &oom);
            op->opts[i].value = opener_strdup(opts[i].value, &oom);
            op->n_opts++;
        }
        op->after = calloc(n_after ? n_after : 1, sizeof *op->after);
        oom = oom || !op->after;
    }
    if (oom) {
        if (op) {
            opener_free(op);
        }
        return ft_error_set(err, -ENOMEM, "port %s: out of memory",
                            name ? name : "");
    }
    if (n_after) {
        memcpy(op->after, after, n_after * sizeof *after);
        op->n_after = n_after;
    }
    error = pthread_create(&op->thread, NULL, opener_main, op);
    if (error) {
        op->n_after = 0;            /* They stay the caller's. */
        opener_free(op);
        return ft_error_set(err, -error, "port %s: cannot start a thread "
                            "to open the device: %s", name,
                            strerror(error));
    }
    *openerp = op;
    return 0;
}

bool
ft_netdev_opener_done(const struct ft_netdev_opener *op)
{
    return __atomic_load_n(&op->done, __ATOMIC_ACQUIRE);
}

int
ft_netdev_opener_finish(struct ft_netdev_opener *op,
                        struct ft_netdev **netdevp, struct ft_error *err)
{
    int error;

    pthread_join(op->thread, NULL);
    *netdevp = op->netdev;
    error = op->error;
    if (error && err) {
        *err = op->err;
    }
    opener_free(op);
    return error;
}

void
ft_netdev_opener_abandon(struct ft_netdev_opener *op)
{
    bool done;

    if (!op) {
        return;
    }
    pthread_mutex_lock(&op->mutex);
    done = op->done;
    if (!done) {
        op->abandoned = true;
        pthread_detach(op->thread);
    }
    pthread_mutex_unlock(&op->mutex);
    if (done) {
        struct ft_netdev *netdev;

        if (!ft_netdev_opener_finish(op, &netdev, NULL)) {
            ft_netdev_close(netdev);
        }
    }
}

/*
 * netdev-closer.c - a port's device closed in a thread of its own
 * (swpath/netdev-closer.h).
 *
 * Part of the software datapath.  Each closer is one joinable thread and
 * the netdev it closes; the only state it shares with its owner is the
 * 'done' flag, written once by the thread and read with atomic loads.
 * It touches nothing but that netdev, or the opener whose device it
 * closes.  No state outside the closers.
 */
#include "netdev-closer.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netdev-opener.h"

struct ft_netdev_closer {
    pthread_t thread;
    struct ft_netdev *netdev;       /* The thread's until it is done. */
    struct ft_netdev_opener *opener;    /* Or what this opener opens. */
    char name[FT_NETDEV_NAME_MAX];
    char *key;                      /* Never NULL. */
    bool done;                      /* Atomic: the release has ended. */
};

static void *
closer_main(void *closer_)
{
    struct ft_netdev_closer *closer = closer_;

    if (closer->opener) {
        struct ft_netdev *netdev;

        if (!ft_netdev_opener_finish(closer->opener, &netdev, NULL)) {
            closer->netdev = netdev;
        }
        closer->opener = NULL;
    }
    ft_netdev_close(closer->netdev);
    closer->netdev = NULL;
    __atomic_store_n(&closer->done, true, __ATOMIC_RELEASE);
    return NULL;
}

/* Starts the thread of a closer of 'netdev' or 'opener' (one of them
 * NULL), for port 'name'.  Returns 0 with '*closerp' set, or a negative
 * errno with 'err' filled and nothing released. */
static int
closer_start(struct ft_netdev *netdev, struct ft_netdev_opener *opener,
             const char *name, const char *key,
             struct ft_netdev_closer **closerp, struct ft_error *err)
{
    struct ft_netdev_closer *closer = calloc(1, sizeof *closer);
    int error = -ENOMEM;

    *closerp = NULL;
    if (closer) {
        closer->key = strdup(key ? key : "");
    }
    if (closer && closer->key) {
        snprintf(closer->name, sizeof closer->name, "%s", name);
        closer->netdev = netdev;
        closer->opener = opener;
        error = -pthread_create(&closer->thread, NULL, closer_main, closer);
        if (!error) {
            *closerp = closer;
            return 0;
        }
    }
    if (closer) {
        free(closer->key);
        free(closer);
    }
    return ft_error_set(err, error, "port %s: cannot start a thread to "
                        "release the device (%s): %s", name,
                        strerror(-error), netdev ? "closed in the daemon's "
                        "loop" : "its opening thread closes it");
}

int
ft_netdev_closer_start(struct ft_netdev *netdev, const char *key,
                       struct ft_netdev_closer **closerp,
                       struct ft_error *err)
{
    int error = closer_start(netdev, NULL, netdev->name, key, closerp, err);

    if (error) {
        ft_netdev_close(netdev);
    }
    return error;
}

int
ft_netdev_closer_start_opener(struct ft_netdev_opener *opener,
                              const char *name, const char *key,
                              struct ft_netdev_closer **closerp,
                              struct ft_error *err)
{
    int error = closer_start(NULL, opener, name, key, closerp, err);

    if (error) {
        ft_netdev_opener_abandon(opener);
    }
    return error;
}

bool
ft_netdev_closer_done(const struct ft_netdev_closer *closer)
{
    return __atomic_load_n(&closer->done, __ATOMIC_ACQUIRE);
}

const char *
ft_netdev_closer_name(const struct ft_netdev_closer *closer)
{
    return closer->name;
}

const char *
ft_netdev_closer_key(const struct ft_netdev_closer *closer)
{
    return closer->key;
}

void
ft_netdev_closer_finish(struct ft_netdev_closer *closer)
{
    if (closer) {
        pthread_join(closer->thread, NULL);
        free(closer->key);
        free(closer);
    }
}

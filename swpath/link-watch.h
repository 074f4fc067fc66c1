/*
 * link-watch.h - the kernel's network device notifications (rtnetlink
 * RTNLGRP_LINK), read without blocking, for an owner that reacts at once
 * when a device appears, changes (renamed, up, down) or is deleted.
 *
 * Design
 * ======
 *
 * One netlink socket joined to RTNLGRP_LINK.  ft_link_watch_run() reads
 * every notification waiting and hands each one, parsed into a
 * 'struct ft_link_event', to the caller's function; it decides nothing.
 * Notifications can be lost: when the socket's buffer overflows before
 * the owner reads it the kernel drops them and says so (ENOBUFS).  Then
 * ft_link_watch_run() returns -ENOBUFS: the owner must look at every
 * device it cares about again, as if each had changed.  The receive
 * buffer is large (FT_LINK_WATCH_RCVBUF, beyond net.core.rmem_max when
 * the process has CAP_NET_ADMIN) so that a burst of a thousand devices
 * made at once fits.
 *
 * Thread-safety: none; one owner thread.
 */
#ifndef SWPATH_LINK_WATCH_H
#define SWPATH_LINK_WATCH_H 1

#include <net/if.h>
#include <stdbool.h>

#include "flowtier/error.h"

struct ft_link_watch;

/* Receive buffer asked for (bytes); a notification of a new veth is
 * about 1.5 kB. */
#define FT_LINK_WATCH_RCVBUF (8 * 1024 * 1024)

/* One notification. */
struct ft_link_event {
    bool deleted;               /* RTM_DELLINK; else RTM_NEWLINK (made or
                                 * changed). */
    int ifindex;
    char name[IF_NAMESIZE];     /* "" if the message had none. */
    unsigned int flags;         /* IFF_UP, IFF_RUNNING, ... */
};

typedef void ft_link_watch_cb(const struct ft_link_event *, void *aux);

/* Creates a watch in the calling thread's network namespace.  Returns 0,
 * or a negative errno with a reason in 'err'. */
int ft_link_watch_create(struct ft_link_watch **watchp, struct ft_error *err);

/* Destroys 'w'.  NULL is a no-op. */
void ft_link_watch_destroy(struct ft_link_watch *w);

/* The descriptor that polls readable when notifications wait. */
int ft_link_watch_get_fd(const struct ft_link_watch *w);

/* Calls 'cb' with 'aux' for each notification waiting, in the kernel's
 * order, without blocking.  Returns the number of notifications read, or
 * -ENOBUFS if some were lost (the ones read were still passed to 'cb'):
 * the caller must then check every device it cares about. */
int ft_link_watch_run(struct ft_link_watch *w, ft_link_watch_cb *cb,
                      void *aux);

#endif /* SWPATH_LINK_WATCH_H */

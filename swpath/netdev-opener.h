/*
 * netdev-opener.h - opening a port's device in a thread of its own.
 *
 * What?
 * =====
 *
 * Opening some devices takes long: a DPDK port (swpath/netdev-dpdk.c)
 * starts DPDK's EAL the first time, probes the device, creates a pool of
 * mbufs, configures and starts it, a second or more on a loaded machine.
 * The daemon has one event loop, which must keep answering its control
 * socket and forwarding meanwhile.  An opener runs ft_netdev_open() (and,
 * first, ft_dpdk_eal_init() if asked) in a new thread; the loop asks
 * whether it is done (ft_netdev_opener_done(), never waiting) and then
 * takes the open netdev with ft_netdev_opener_finish() and adds it to the
 * datapath (ft_dpif_port_add_netdev()).  No forwarding thread ever sees
 * the device before it is fully open: it is in no datapath until then.
 *
 * A device whose release is still under way (a port of the same name or
 * device closed a moment ago, swpath/netdev-closer.h) is opened only once
 * that release has ended: ft_netdev_opener_start_after() gives the
 * opener the closers, whose ends its thread waits for before it opens,
 * so the loop never waits for them.
 *
 * A port removed or changed while it opens is abandoned
 * (ft_netdev_opener_abandon(), never waiting): the thread closes what it
 * opened, when it is done, and frees everything.
 *
 * Thread-safety: an opener belongs to the thread that started it; only
 * the opening thread runs beside it, on the opener's own copies of the
 * name, type, options and EAL arguments.  The class's open() must be safe
 * to run beside the datapath's threads using other ports (the DPDK class
 * serializes DPDK's control calls itself, swpath/dpdk-eal.h).
 */
#ifndef SWPATH_NETDEV_OPENER_H
#define SWPATH_NETDEV_OPENER_H 1

#include <stdbool.h>
#include <stddef.h>

#include "flowtier/error.h"
#include "netdev-closer.h"
#include "netdev.h"

struct ft_netdev_opener;

/* Starts opening device 'name' of type 'type' with the 'n_opts' options
 * 'opts' (as ft_netdev_open()) in a new thread, which first starts DPDK's
 * EAL with 'eal_args' if that is not NULL (as ft_dpdk_eal_init()).
 * Everything is copied.  Returns 0 with '*openerp' set, or a negative
 * errno with 'err' (may be NULL) filled if no thread could be started. */
int ft_netdev_opener_start(const char *name, const char *type,
                           const struct ft_netdev_option *opts,
                           size_t n_opts, const char *eal_args,
                           struct ft_netdev_opener **openerp,
                           struct ft_error *err);

/* As ft_netdev_opener_start(), but the thread first waits for the
 * 'n_after' closers 'after' (the releases of this port's device under
 * way) to end and finishes them.  On success the opener owns them (the
 * array itself is the caller's); on failure they stay the caller's. */
int ft_netdev_opener_start_after(const char *name, const char *type,
                                 const struct ft_netdev_option *opts,
                                 size_t n_opts, const char *eal_args,
                                 struct ft_netdev_closer *const *after,
                                 size_t n_after,
                                 struct ft_netdev_opener **openerp,
                                 struct ft_error *err);

/* True once the open has ended, well or not.  Never waits. */
bool ft_netdev_opener_done(const struct ft_netdev_opener *);

/* Waits for the open to end (at once if ft_netdev_opener_done() said so),
 * frees 'opener' and returns the outcome: 0 with '*netdevp' set (the
 * caller owns the netdev), or a negative errno with 'err' (may be NULL)
 * holding the reason: an EAL that did not start ("port p1:
 * other_config:dpdk-extra: ...") or what ft_netdev_open() said. */
int ft_netdev_opener_finish(struct ft_netdev_opener *opener,
                            struct ft_netdev **netdevp,
                            struct ft_error *err);

/* Gives up on 'opener' without waiting: a device it opened is closed (by
 * the opening thread once its open ends, or here if it has), and
 * everything is freed.  NULL is a no-op. */
void ft_netdev_opener_abandon(struct ft_netdev_opener *opener);

#endif /* swpath/netdev-opener.h */

/*
 * netdev-closer.h - closing a port's device in a thread of its own.
 *
 * What?
 * =====
 *
 * Closing some devices takes long: a DPDK port (swpath/netdev-dpdk.c)
 * stops and closes its ethdev, releases its queues and its pool of mbufs
 * (DPDK clears the memory it frees) and detaches a virtual device,
 * hundreds of milliseconds on a loaded machine, and it waits for DPDK's
 * control lock while another port opens (a second or more).  The daemon
 * has one event loop, which must keep answering its control socket and
 * forwarding meanwhile.  The loop takes the port out of its datapath
 * first (ft_dpif_port_take(): no packet is sent to or received from the
 * device after that), then hands the netdev to a closer, which runs
 * ft_netdev_close() in a new thread.  The loop asks whether it is done
 * (ft_netdev_closer_done(), never waiting) and then frees it
 * (ft_netdev_closer_finish()).
 *
 * A port removed while its device still opens (swpath/netdev-opener.h)
 * is released the same way: a closer waits for the open to end and
 * closes what it opened (ft_netdev_closer_start_opener()), so that an
 * open of the same device after it waits for that too.
 *
 * A new open of the same device must not start before its release ends
 * (DPDK would refuse the device as in use, or probe it twice): the
 * opener of that port takes the closer and finishes it in its own
 * thread before it opens (swpath/netdev-opener.h), so the loop never
 * waits for a release.  Stopping waits for every closer
 * (ft_netdev_closer_finish()), so nothing is left half released.
 *
 * Thread-safety: a closer belongs to one thread at a time (the loop, or
 * the opener it was given to); only the closing thread runs beside it,
 * on the netdev it was given and nothing else.  The class's close() must
 * be safe to run beside the datapath's threads using other ports (the
 * DPDK class serializes DPDK's control calls itself, swpath/dpdk-eal.h).
 */
#ifndef SWPATH_NETDEV_CLOSER_H
#define SWPATH_NETDEV_CLOSER_H 1

#include <stdbool.h>

#include "flowtier/error.h"
#include "netdev.h"

struct ft_netdev_closer;
struct ft_netdev_opener;

/* Starts closing 'netdev', which no datapath uses any more, in a new
 * thread; 'key' (copied; may be NULL) names what a new open must wait
 * for (a DPDK port's device name), beside the netdev's own name.
 * Takes 'netdev' whatever the outcome.  Returns 0 with '*closerp' set,
 * or a negative errno with 'err' (may be NULL) filled if no thread could
 * be started: 'netdev' is then closed here, in the caller's thread, and
 * '*closerp' is NULL. */
int ft_netdev_closer_start(struct ft_netdev *netdev, const char *key,
                           struct ft_netdev_closer **closerp,
                           struct ft_error *err);

/* Starts releasing what 'opener' opens (a port removed while its device
 * opens): a new thread waits for the open to end and closes the device
 * it opened, if any.  Takes 'opener' whatever the outcome.  'name' is
 * the port's, 'key' as for ft_netdev_closer_start().  Returns 0 with
 * '*closerp' set, or a negative errno with 'err' (may be NULL) filled if
 * no thread could be started: 'opener' is then abandoned
 * (ft_netdev_opener_abandon(), whose thread closes the device) and
 * '*closerp' is NULL. */
int ft_netdev_closer_start_opener(struct ft_netdev_opener *opener,
                                  const char *name, const char *key,
                                  struct ft_netdev_closer **closerp,
                                  struct ft_error *err);

/* True once the device is released.  Never waits. */
bool ft_netdev_closer_done(const struct ft_netdev_closer *);

/* The name the device had, and the 'key' given to
 * ft_netdev_closer_start() ("" if none).  Valid until the closer is
 * finished. */
const char *ft_netdev_closer_name(const struct ft_netdev_closer *);
const char *ft_netdev_closer_key(const struct ft_netdev_closer *);

/* Waits for the release to end (at once if ft_netdev_closer_done() said
 * so) and frees 'closer'.  NULL is a no-op. */
void ft_netdev_closer_finish(struct ft_netdev_closer *closer);

#endif /* swpath/netdev-closer.h */

/*
 * bridge-opening.c - ports whose device opens in a thread of its own
 * (mgmt/bridge/bridge.h, "Ports that open in the background").
 *
 * Part of the management plane, in the daemon's main loop.  A DPDK port
 * takes a second or more to open (DPDK's EAL on the first one, probe,
 * pool, queues, start): its device is opened by a swpath opener
 * (swpath/netdev-opener.h) while the loop goes on, and joins the
 * datapath here, in the loop, once it is fully open.  Also where DPDK's
 * EAL is started or checked for a port.  Touches the bridge's ports and
 * datapath, DPDK's EAL, and makes the loop's thread a DPDK lcore.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "flowtier/util.h"

#include "mgmt/bridge/bridge-private.h"
#include "swpath/dpdk-eal.h"

int
bridge_dpdk_init(const char *dpdk_extra, const char *port,
                 struct ft_error *err)
{
    char args[128];
    struct ft_error e;
    int error;

    if (!dpdk_extra) {
        if (ft_dpdk_eal_is_running()) {
            return 0;
        }
        snprintf(args, sizeof args, FT_BRIDGE_DEFAULT_DPDK_EXTRA,
                 (long) getpid());
        dpdk_extra = args;
    }
    error = ft_dpdk_eal_init(dpdk_extra, &e);
    if (error) {
        return ft_error_set(err, error, "port %s: other_config:dpdk-extra: "
                            "%s", port, e.reason);
    }
    return 0;
}

int
bridge_port_open_apart(struct ft_bridge *br, struct bridge_port *p,
                       const char *dpdk_extra, struct ft_error *err)
{
    char args[128];
    int error = 0;

    if (ft_dpdk_eal_is_running()) {
        error = bridge_dpdk_init(dpdk_extra, p->name, err);
        dpdk_extra = NULL;
    } else if (!dpdk_extra) {
        snprintf(args, sizeof args, FT_BRIDGE_DEFAULT_DPDK_EXTRA,
                 (long) getpid());
        dpdk_extra = args;
    }
    if (!error) {
        error = bridge_port_open_start(br, p, dpdk_extra, err);
    }
    if (error) {
        bridge_port_record_open(br, p, error, err);
    }
    return error;
}

void
bridge_ports_take_openers(struct bridge_port *new, size_t n_new,
                          struct bridge_port *old, size_t n_old)
{
    for (size_t j = 0; j < n_new; j++) {
        for (size_t i = 0; i < n_old && !new[j].opener; i++) {
            if (old[i].opener && !strcmp(old[i].name, new[j].name)
                && bridge_port_same_device(&old[i], &new[j])) {
                new[j].opener = old[i].opener;
                old[i].opener = NULL;
            }
        }
    }
}

bool
bridge_port_opens_apart(const struct ft_bridge *br,
                        const struct bridge_port *p)
{
    return !strcmp(p->type, "dpdk") && ft_dpif_can_add_netdev(br->dpif);
}

int
bridge_port_open_start(struct ft_bridge *br, struct bridge_port *p,
                       const char *eal_args, struct ft_error *err)
{
    int error;

    bridge_port_open_abandon(p);
    /* Bad options are refused now, not once the thread has run. */
    error = ft_netdev_check(p->name, p->type, p->opts, p->n_opts, err);
    if (error) {
        return error;
    }
    error = ft_netdev_opener_start(p->name, p->type, p->opts, p->n_opts,
                                   eal_args, &p->opener, err);
    if (error) {
        return error;
    }
    free(p->error);
    p->error = ft_xstrdup(BRIDGE_OPENING_REASON);
    free(p->degraded);
    p->degraded = NULL;
    br->open_check_at = br->now + BRIDGE_OPEN_CHECK_INTERVAL;
    return 0;
}

void
bridge_port_open_abandon(struct bridge_port *p)
{
    if (p->opener) {
        ft_netdev_opener_abandon(p->opener);
        p->opener = NULL;
    }
}

bool
bridge_has_opening(const struct ft_bridge *br)
{
    for (size_t i = 0; i < br->n_ports; i++) {
        if (br->ports[i].opener) {
            return true;
        }
    }
    return false;
}

void
bridge_opens_wait(struct ft_bridge *br)
{
    for (size_t i = 0; i < br->n_ports; i++) {
        struct bridge_port *p = &br->ports[i];
        struct ft_netdev *netdev;

        if (p->opener && !ft_netdev_opener_finish(p->opener, &netdev,
                                                  NULL)) {
            ft_netdev_close(netdev);
        }
        p->opener = NULL;
    }
}

/* Adds the port 'p', whose open ended, to the datapath (or records why
 * it did not open).  Returns true if it joined the datapath. */
static bool
bridge_port_open_end(struct ft_bridge *br, struct bridge_port *p)
{
    struct ft_netdev *netdev;
    struct ft_error err;
    int error;

    ft_error_clear(&err);
    error = ft_netdev_opener_finish(p->opener, &netdev, &err);
    p->opener = NULL;
    if (!error) {
        error = ft_dpif_port_add_netdev(br->dpif, p->ofport, p->type, netdev,
                                        &err);
    }
    bridge_port_record_open(br, p, error, &err);
    if (error) {
        ft_bridge_warn(br, &br->port_rl, "port %s: %s", p->name, p->error);
        return false;
    }
    if (!strcmp(p->type, "dpdk")) {
        /* The EAL may have been started by the opening thread: the loop's
         * own thread becomes an lcore of its own, as it was when it
         * started the EAL itself, so that its mbuf allocations and frees
         * use a per-lcore cache of the pools. */
        ft_dpdk_thread_register();
    }
    bridge_info(br, "port %s: opened as port %"PRIu32, p->name,
                p->ofport);
    return true;
}

int
ft_bridge_finish_opens(struct ft_bridge *br, long long int now)
{
    size_t n_ended = 0, n_joined = 0;

    br->now = now;
    br->open_check_at = now + BRIDGE_OPEN_CHECK_INTERVAL;
    for (size_t i = 0; i < br->n_ports; i++) {
        struct bridge_port *p = &br->ports[i];

        if (p->opener && ft_netdev_opener_done(p->opener)) {
            n_ended++;
            n_joined += bridge_port_open_end(br, p);
        }
    }
    if (n_joined) {
        bridge_ports_refresh(br, now);
    }
    return (int) n_ended;
}

bool
ft_bridge_port_opening(const struct ft_bridge *br, const char *name)
{
    for (size_t i = 0; i < br->n_ports; i++) {
        if (br->ports[i].opener && !strcmp(br->ports[i].name, name)) {
            return true;
        }
    }
    return false;
}

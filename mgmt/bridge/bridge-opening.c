/*
 * bridge-opening.c - ports whose device opens and closes in a thread of
 * its own (mgmt/bridge/bridge.h, "Ports that open in the background").
 *
 * Part of the management plane, in the daemon's main loop.  A DPDK port
 * takes a second or more to open (DPDK's EAL on the first one, probe,
 * pool, queues, start): its device is opened by a swpath opener
 * (swpath/netdev-opener.h) while the loop goes on, and joins the
 * datapath here, in the loop, once it is fully open.  Its close (stop,
 * close, pool and queues released, a virtual device detached) takes
 * hundreds of milliseconds, or waits a second for another port's open:
 * the port leaves the datapath here at once and a swpath closer
 * (swpath/netdev-closer.h) releases the device; an open of the same name
 * or device waits for that release in its own thread.  The closers are
 * kept in a set of releases, which the daemon's bridges share and which
 * outlives them (a deleted bridge's ports are released there too).  Also
 * where DPDK's EAL is started or checked for a port.  Touches the
 * bridge's ports, its set of releases and datapath, DPDK's EAL, and
 * makes the loop's thread a DPDK lcore.
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
                new[j].open_id = old[i].open_id;
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

/* Stores in 'key' (of 'size' bytes) what names the device of 'p', a port
 * that opens apart, among the devices being released: the device name
 * that begins its dpdk-devargs ("net_pcap0" of "net_pcap0,rx_pcap=x"),
 * or "" if it has none. */
static void
bridge_port_device_key(const struct bridge_port *p, char *key, size_t size)
{
    const char *devargs = ft_netdev_option_find(p->opts, p->n_opts,
                                                "dpdk-devargs");

    snprintf(key, size, "%.*s", devargs ? (int) strcspn(devargs, ",") : 0,
             devargs ? devargs : "");
}

/* One release under way, in a set of releases. */
struct bridge_release {
    struct ft_netdev_closer *closer;
    char *bridge;                   /* The bridge the port was in. */
};

/* The releases of removed ports' devices under way (bridge.h).  The
 * bridges that share it add to it and take from it, in the loop's
 * thread. */
struct ft_bridge_releases {
    struct bridge_release *r;
    size_t n;
};

struct ft_bridge_releases *
ft_bridge_releases_create(void)
{
    return ft_xcalloc(1, sizeof(struct ft_bridge_releases));
}

void
ft_bridge_releases_destroy(struct ft_bridge_releases *rel)
{
    if (!rel) {
        return;
    }
    for (size_t i = 0; i < rel->n; i++) {
        ft_netdev_closer_finish(rel->r[i].closer);
        free(rel->r[i].bridge);
    }
    free(rel->r);
    free(rel);
}

size_t
ft_bridge_releases_reap(struct ft_bridge_releases *rel, struct ft_log *log)
{
    size_t kept = 0;

    for (size_t i = 0; i < rel->n; i++) {
        struct bridge_release *r = &rel->r[i];

        if (!ft_netdev_closer_done(r->closer)) {
            rel->r[kept++] = *r;
            continue;
        }
        if (log) {
            ft_log_msg(log, FT_LOG_INFO, "bridge", "bridge %s: port %s: "
                       "device released", r->bridge,
                       ft_netdev_closer_name(r->closer));
        }
        ft_netdev_closer_finish(r->closer);
        free(r->bridge);
    }
    rel->n = kept;
    return kept;
}

/* Keeps 'r' among the releases under way in 'rel'. */
static void
bridge_releases_add(struct ft_bridge_releases *rel,
                    const struct bridge_release *r)
{
    rel->r = ft_xrealloc(rel->r, (rel->n + 1) * sizeof *rel->r);
    rel->r[rel->n++] = *r;
}

void
ft_bridge_set_releases(struct ft_bridge *br, struct ft_bridge_releases *rel)
{
    for (size_t i = 0; i < br->releases->n; i++) {
        bridge_releases_add(rel, &br->releases->r[i]);
    }
    br->releases->n = 0;
    if (br->own_releases) {
        ft_bridge_releases_destroy(br->releases);
    }
    br->releases = rel;
    br->own_releases = false;
}

/* Moves into 'taken' (room for the releases of 'br') the releases of the
 * device of 'p', or of one of its name, and returns how many. */
static size_t
bridge_releases_of(struct ft_bridge *br, const struct bridge_port *p,
                   struct bridge_release *taken)
{
    struct ft_bridge_releases *rel = br->releases;
    size_t n = 0, kept = 0;
    char key[128];

    bridge_port_device_key(p, key, sizeof key);
    for (size_t i = 0; i < rel->n; i++) {
        struct ft_netdev_closer *c = rel->r[i].closer;

        if (!strcmp(ft_netdev_closer_name(c), p->name)
            || (key[0] && !strcmp(ft_netdev_closer_key(c), key))) {
            taken[n++] = rel->r[i];
        } else {
            rel->r[kept++] = rel->r[i];
        }
    }
    rel->n = kept;
    return n;
}

/* Starts the opener of 'p' (ft_netdev_opener_start_after()) behind the
 * releases of its device or name under way, which it takes. */
static int
bridge_port_opener_start(struct ft_bridge *br, struct bridge_port *p,
                         const char *eal_args, struct ft_error *err)
{
    struct bridge_release *taken;
    struct ft_netdev_closer **after;
    size_t n_after;
    int error;

    taken = ft_xcalloc(br->releases->n + 1, sizeof *taken);
    after = ft_xcalloc(br->releases->n + 1, sizeof *after);
    n_after = bridge_releases_of(br, p, taken);
    for (size_t i = 0; i < n_after; i++) {
        after[i] = taken[i].closer;
    }
    error = ft_netdev_opener_start_after(p->name, p->type, p->opts,
                                         p->n_opts, eal_args, after,
                                         n_after, &p->opener, err);
    for (size_t i = 0; i < n_after; i++) {
        if (error) {
            /* Still ours: back into the set. */
            bridge_releases_add(br->releases, &taken[i]);
        } else {
            free(taken[i].bridge);
        }
    }
    free(after);
    free(taken);
    return error;
}

int
bridge_port_open_start(struct ft_bridge *br, struct bridge_port *p,
                       const char *eal_args, struct ft_error *err)
{
    int error;

    bridge_port_open_release(br, p);
    /* Bad options are refused now, not once the thread has run. */
    error = ft_netdev_check(p->name, p->type, p->opts, p->n_opts, err);
    if (error) {
        return error;
    }
    /* A release of the same device under way: the opening thread waits
     * for it, the loop does not. */
    error = bridge_port_opener_start(br, p, eal_args, err);
    if (error) {
        return error;
    }
    p->open_id = ++br->n_opens;
    free(p->error);
    p->error = ft_xstrdup(BRIDGE_OPENING_REASON);
    free(p->degraded);
    p->degraded = NULL;
    br->open_check_at = br->now + BRIDGE_OPEN_CHECK_INTERVAL;
    return 0;
}

/* Keeps 'closer' among the releases under way in the set of 'br'. */
static void
bridge_closings_add(struct ft_bridge *br, struct ft_netdev_closer *closer)
{
    struct bridge_release r = { closer, ft_xstrdup(br->name) };

    bridge_releases_add(br->releases, &r);
    br->open_check_at = br->now + BRIDGE_OPEN_CHECK_INTERVAL;
}

void
bridge_port_open_release(struct ft_bridge *br, struct bridge_port *p)
{
    struct ft_netdev_closer *closer;
    struct ft_error err;
    char key[128];

    if (!p->opener) {
        return;
    }
    bridge_port_device_key(p, key, sizeof key);
    if (ft_netdev_closer_start_opener(p->opener, p->name, key, &closer,
                                      &err)) {
        ft_bridge_warn(br, &br->port_rl, "%s", err.reason);
    } else {
        bridge_closings_add(br, closer);
    }
    p->opener = NULL;
}

void
bridge_port_open_abandon(struct bridge_port *p)
{
    if (p->opener) {
        ft_netdev_opener_abandon(p->opener);
        p->opener = NULL;
    }
}

void
bridge_port_close_apart(struct ft_bridge *br, const struct bridge_port *p)
{
    struct ft_netdev_closer *closer;
    struct ft_netdev *netdev;
    char key[128];
    struct ft_error err;

    if (!bridge_port_opens_apart(br, p)
        || ft_dpif_port_take(br->dpif, p->ofport, &netdev)) {
        ft_dpif_port_del(br->dpif, p->ofport);
        return;
    }
    bridge_port_device_key(p, key, sizeof key);
    if (ft_netdev_closer_start(netdev, key, &closer, &err)) {
        /* Closed already, in the loop. */
        ft_bridge_warn(br, &br->port_rl, "%s", err.reason);
        return;
    }
    bridge_closings_add(br, closer);
}

void
bridge_closes_reap(struct ft_bridge *br)
{
    ft_bridge_releases_reap(br->releases, br->log);
}

bool
bridge_has_opening(const struct ft_bridge *br)
{
    if (br->releases->n) {
        return true;
    }
    for (size_t i = 0; i < br->n_ports; i++) {
        if (br->ports[i].opener) {
            return true;
        }
    }
    return false;
}

void
bridge_opens_release(struct ft_bridge *br)
{
    for (size_t i = 0; i < br->n_ports; i++) {
        bridge_port_open_release(br, &br->ports[i]);
    }
}

void
bridge_ports_release(struct ft_bridge *br)
{
    for (size_t i = 0; i < br->n_ports; i++) {
        const struct bridge_port *p = &br->ports[i];

        if (!p->error && bridge_port_opens_apart(br, p)) {
            bridge_port_close_apart(br, p);
        }
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
    bridge_closes_reap(br);
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
    return ft_bridge_port_open_id(br, name) != 0;
}

uint64_t
ft_bridge_port_open_id(const struct ft_bridge *br, const char *name)
{
    for (size_t i = 0; i < br->n_ports; i++) {
        if (br->ports[i].opener && !strcmp(br->ports[i].name, name)) {
            return br->ports[i].open_id;
        }
    }
    return 0;
}

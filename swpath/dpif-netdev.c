/*
 * dpif-netdev.c - the userspace datapath (datapath type "netdev"): ports,
 * megaflows and counters for one bridge, forwarding in the daemon's
 * thread or in forwarding threads of its own.
 *
 * A datapath class (swpath/dpif-provider.h); swpath/dpif-netdev.h
 * describes its receive path, swpath/dpif-netdev-private.h how the files
 * of this datapath share the work.  Ports are kept twice: in an array
 * sorted by port number (for polling and listing) and in a small hash
 * table by number (for outputs).  All state is in 'struct dpif_netdev',
 * the VXLAN endpoints its vxlan ports share included.  A megaflow's handle
 * is its 'struct ft_dpcls_flow' in 'main.cls'.
 *
 * Without forwarding threads, the daemon's thread forwards with the
 * context 'main' (swpath/dpif-fwd.c) in ft_dpif_run().  With them
 * (ft_dpif_set_pmd_cpus(), swpath/dpif-pmd.c), ft_dpif_run() handles the
 * misses they queued, and every change to megaflows goes to them as
 * commands; ports change while they are stopped.
 */
#include "dpif-netdev-private.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH DPIF_BATCH
#define PORT_BUCKETS DPIF_PORT_BUCKETS
#define MAX_ENDPOINTS DPIF_MAX_ENDPOINTS

static struct dpif_netdev *
dpif_netdev_cast(struct ft_dpif *dpif)
{
    return (struct dpif_netdev *) dpif;
}

static const struct dpif_netdev *
dpif_netdev_cast_const(const struct ft_dpif *dpif)
{
    return (const struct dpif_netdev *) dpif;
}

static struct ft_dpcls_flow *
flow_cast(struct ft_dpif_flow *flow)
{
    return (struct ft_dpcls_flow *) flow;
}

/* Ports. */

static struct dpif_port *
dpif_port_find_by_name(const struct dpif_netdev *dpif, const char *name)
{
    for (size_t i = 0; i < dpif->n_ports; i++) {
        if (!strcmp(dpif->ports[i]->netdev->name, name)) {
            return dpif->ports[i];
        }
    }
    return NULL;
}

static void
dpif_port_to_info(const struct dpif_port *port,
                  struct ft_dpif_port_info *info)
{
    info->port_no = port->port_no;
    info->name = port->netdev->name;
    info->type = port->type;
    info->ifindex = port->netdev->ifindex;
    info->fd = ft_netdev_get_fd(port->netdev);
}

static int
dpif_netdev_create(const char *name, struct ft_dpif **dpifp,
                   struct ft_error *err)
{
    struct dpif_netdev *dpif;

    dpif = calloc(1, sizeof *dpif);
    if (!dpif || dpif_fwd_init(&dpif->main, dpif, NULL, 0)) {
        free(dpif);
        return ft_error_set(err, -ENOMEM, "datapath %s: out of memory",
                            name);
    }
    pthread_mutex_init(&dpif->tunnel_tx_lock, NULL);
    *dpifp = &dpif->up;
    return 0;
}

static void dpif_netdev_flow_flush(struct ft_dpif *);
static int dpif_netdev_port_del(struct ft_dpif *, ft_port_no);

static void
dpif_netdev_destroy(struct ft_dpif *dpif_)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);

    dpif_pmds_destroy(dpif->pmds);
    dpif->pmds = NULL;
    while (dpif->n_ports) {
        dpif_netdev_port_del(dpif_,
                             dpif->ports[dpif->n_ports - 1]->port_no);
    }
    dpif_netdev_flow_flush(dpif_);
    dpif_fwd_uninit(&dpif->main);
    pthread_mutex_destroy(&dpif->tunnel_tx_lock);
    free(dpif->ports);
    free(dpif);
}

/* VXLAN endpoints. */

static struct ft_vxlan_endpoint *
dpif_endpoint_find(const struct dpif_netdev *dpif, uint16_t dst_port)
{
    for (size_t i = 0; i < dpif->n_endpoints; i++) {
        if (ft_vxlan_endpoint_port(dpif->endpoints[i]) == dst_port) {
            return dpif->endpoints[i];
        }
    }
    return NULL;
}

/* Attaches the vxlan port 'port' to the endpoint of its UDP port, creating
 * the endpoint for the first port.  Returns 0 or a negative errno. */
static int
dpif_tunnel_attach(struct dpif_netdev *dpif, struct dpif_port *port,
                   struct ft_error *err)
{
    const struct ft_tnl_config *cfg = ft_netdev_vxlan_config(port->netdev);
    struct ft_vxlan_endpoint *ep = dpif_endpoint_find(dpif, cfg->dst_port);
    struct ft_error ep_err;
    int error;

    if (!ep) {
        if (dpif->n_endpoints >= MAX_ENDPOINTS) {
            return ft_error_set(err, -ENOSPC, "port %s: a bridge has vxlan "
                                "ports on %d UDP ports (dst_port) at most",
                                port->netdev->name, MAX_ENDPOINTS);
        }
        ft_error_clear(&ep_err);
        error = ft_vxlan_endpoint_create(cfg->dst_port, &ep, &ep_err);
        if (error) {
            return ft_error_set(err, error, "port %s: %s",
                                port->netdev->name, ep_err.reason);
        }
        dpif->endpoints[dpif->n_endpoints++] = ep;
    }
    ft_netdev_vxlan_attach(port->netdev, ep);
    port->tunnel = true;
    return 0;
}

/* Destroys the endpoint of 'dst_port' if no port uses it any more. */
static void
dpif_endpoint_gc(struct dpif_netdev *dpif, uint16_t dst_port)
{
    for (size_t i = 0; i < dpif->n_ports; i++) {
        const struct dpif_port *p = dpif->ports[i];

        if (p->tunnel
            && ft_netdev_vxlan_config(p->netdev)->dst_port == dst_port) {
            return;
        }
    }
    for (size_t i = 0; i < dpif->n_endpoints; i++) {
        if (ft_vxlan_endpoint_port(dpif->endpoints[i]) == dst_port) {
            ft_vxlan_endpoint_destroy(dpif->endpoints[i]);
            dpif->endpoints[i] = dpif->endpoints[--dpif->n_endpoints];
            return;
        }
    }
}

/* Checks that 'port_no' and 'devname' are free in 'dpif' and makes room
 * for one more port.  Returns 0 or a negative errno with 'err' filled. */
static int
dpif_port_add_check(struct dpif_netdev *dpif, ft_port_no port_no,
                    const char *devname, struct ft_error *err)
{
    struct dpif_port *other;

    if (!devname || !devname[0]) {
        return ft_error_set(err, -EINVAL, "port: empty device name");
    }
    if (!port_no || (port_no > FT_PORT_MAX && port_no != FT_PORT_LOCAL)) {
        return ft_error_set(err, -EINVAL, "port %s: invalid port number %u "
                            "(1 to %u, or %u for the bridge's own port)",
                            devname, port_no, FT_PORT_MAX, FT_PORT_LOCAL);
    }
    other = dpif_port_find(dpif, port_no);
    if (other) {
        return ft_error_set(err, -EEXIST, "port %s: port number %u is "
                            "already used by %s in datapath %s", devname,
                            port_no, other->netdev->name, dpif->up.name);
    }
    if (dpif_port_find_by_name(dpif, devname)) {
        return ft_error_set(err, -EEXIST, "port %s: already in datapath %s",
                            devname, dpif->up.name);
    }

    if (dpif->n_ports >= dpif->allocated_ports) {
        size_t n = dpif->allocated_ports ? 2 * dpif->allocated_ports : 8;
        struct dpif_port **ports = realloc(dpif->ports, n * sizeof *ports);

        if (!ports) {
            return ft_error_set(err, -ENOMEM, "port %s: out of memory",
                                devname);
        }
        dpif->ports = ports;
        if (dpif_fwd_reserve(&dpif->main, n)
            || (dpif->pmds && dpif_pmds_reserve(dpif->pmds, n))) {
            return ft_error_set(err, -ENOMEM, "port %s: out of memory",
                                devname);
        }
        dpif->allocated_ports = n;
    }
    return 0;
}

/* Makes the open 'netdev' of type 'type' port 'port_no' of 'dpif', which
 * dpif_port_add_check() made room for.  Takes 'netdev' whatever the
 * outcome (closes it on failure).  Returns 0 or a negative errno with
 * 'err' filled. */
static int
dpif_port_insert(struct dpif_netdev *dpif, ft_port_no port_no,
                 const char *type, struct ft_netdev *netdev,
                 struct ft_error *err)
{
    struct dpif_port *port = calloc(1, sizeof *port);
    size_t i;
    int error;

    if (port) {
        port->type = strdup(type && type[0] ? type : "system");
    }
    if (!port || !port->type) {
        free(port);
        ft_netdev_close(netdev);
        return ft_error_set(err, -ENOMEM, "port %s: out of memory",
                            netdev->name);
    }
    port->port_no = port_no;
    pthread_mutex_init(&port->tx_lock, NULL);
    port->netdev = netdev;
    if (ft_netdev_is_vxlan(port->netdev)) {
        error = dpif_tunnel_attach(dpif, port, err);
        if (error) {
            ft_netdev_close(port->netdev);
            pthread_mutex_destroy(&port->tx_lock);
            free(port->type);
            free(port);
            return error;
        }
    }
    port->polled = !port->tunnel && ft_netdev_get_fd(port->netdev) < 0;

    for (i = dpif->n_ports; i > 0 && dpif->ports[i - 1]->port_no > port_no;
         i--) {
        dpif->ports[i] = dpif->ports[i - 1];
    }
    dpif->ports[i] = port;
    dpif->n_ports++;
    port->hnext = dpif->port_buckets[port_no % PORT_BUCKETS];
    dpif->port_buckets[port_no % PORT_BUCKETS] = port;
    return 0;
}

static int
dpif_port_add__(struct dpif_netdev *dpif, ft_port_no port_no,
                const char *devname, const char *type,
                const struct ft_netdev_option *opts, size_t n_opts,
                struct ft_error *err)
{
    struct ft_netdev *netdev;
    int error;

    error = dpif_port_add_check(dpif, port_no, devname, err);
    if (!error) {
        error = ft_netdev_open(devname, type && type[0] ? type : "system",
                               opts, n_opts, &netdev, err);
    }
    return error ? error : dpif_port_insert(dpif, port_no, type, netdev,
                                            err);
}

/* Takes 'port' out of 'dpif''s tables (not out of the forwarding
 * threads'). */
static void
dpif_port_unlink(struct dpif_netdev *dpif, struct dpif_port *port)
{
    ft_port_no port_no = port->port_no;
    struct dpif_port **pp;
    size_t i;

    for (pp = &dpif->port_buckets[port_no % PORT_BUCKETS]; *pp != port;
         pp = &(*pp)->hnext) {
        continue;
    }
    *pp = port->hnext;
    for (i = 0; dpif->ports[i] != port; i++) {
        continue;
    }
    memmove(&dpif->ports[i], &dpif->ports[i + 1],
            (dpif->n_ports - i - 1) * sizeof *dpif->ports);
    dpif->n_ports--;
}

/* Frees 'port', whose device is closed or handed over, after the
 * forwarding threads forget it. */
static void
dpif_port_free(struct dpif_netdev *dpif, struct dpif_port *port)
{
    dpif_fwd_forget_port(&dpif->main, port);
    if (dpif->pmds) {
        dpif_pmds_forget_port(dpif->pmds, port);
    }
    pthread_mutex_destroy(&port->tx_lock);
    free(port->type);
    free(port);
}

static int
dpif_port_del__(struct dpif_netdev *dpif, ft_port_no port_no)
{
    struct dpif_port *port = dpif_port_find(dpif, port_no);

    if (!port) {
        return -ENOENT;
    }
    dpif_port_unlink(dpif, port);
    if (port->tunnel) {
        uint16_t dst_port
            = ft_netdev_vxlan_config(port->netdev)->dst_port;

        ft_netdev_close(port->netdev);
        dpif_endpoint_gc(dpif, dst_port);
    } else {
        ft_netdev_close(port->netdev);
    }
    dpif_port_free(dpif, port);
    return 0;
}

/* Stops the forwarding threads, if any, while the ports change. */
static void
dpif_ports_change_begin(struct dpif_netdev *dpif)
{
    if (dpif->pmds) {
        dpif_pmds_pause(dpif->pmds);
    }
}

static void
dpif_ports_change_end(struct dpif_netdev *dpif)
{
    if (dpif->pmds && dpif_pmds_resume(dpif->pmds)) {
        dpif_fwd_log(&dpif->main, "cannot start the forwarding threads "
                     "again after a port change: nothing is forwarded "
                     "(remove other_config:pmd-cpu-mask)");
    }
}

static int
dpif_netdev_port_add(struct ft_dpif *dpif_, ft_port_no port_no,
                     const char *devname, const char *type,
                     const struct ft_netdev_option *opts, size_t n_opts,
                     struct ft_error *err)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);
    int error;

    dpif_ports_change_begin(dpif);
    error = dpif_port_add__(dpif, port_no, devname, type, opts, n_opts, err);
    dpif_ports_change_end(dpif);
    return error;
}

static int
dpif_netdev_port_add_netdev(struct ft_dpif *dpif_, ft_port_no port_no,
                            const char *type, struct ft_netdev *netdev,
                            struct ft_error *err)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);
    int error;

    /* The device is fully open: only now may the forwarding threads,
     * paused while the ports change (room is made for one more in their
     * tables too), see it. */
    dpif_ports_change_begin(dpif);
    error = dpif_port_add_check(dpif, port_no, netdev->name, err);
    if (error) {
        ft_netdev_close(netdev);
    } else {
        error = dpif_port_insert(dpif, port_no, type, netdev, err);
    }
    dpif_ports_change_end(dpif);
    return error;
}

static int
dpif_netdev_port_del(struct ft_dpif *dpif_, ft_port_no port_no)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);
    int error;

    dpif_ports_change_begin(dpif);
    error = dpif_port_del__(dpif, port_no);
    dpif_ports_change_end(dpif);
    return error;
}

static int
dpif_netdev_port_take(struct ft_dpif *dpif_, ft_port_no port_no,
                      struct ft_netdev **netdevp)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);
    struct dpif_port *port = dpif_port_find(dpif, port_no);

    if (!port) {
        return -ENOENT;
    }
    if (port->tunnel) {
        /* Its endpoint is shared with the other vxlan ports. */
        return -EOPNOTSUPP;
    }
    /* The forwarding threads, paused, forget the port before they run
     * again: none of them uses the device once this returns. */
    dpif_ports_change_begin(dpif);
    dpif_port_unlink(dpif, port);
    *netdevp = port->netdev;
    dpif_port_free(dpif, port);
    dpif_ports_change_end(dpif);
    return 0;
}

static int
dpif_netdev_port_get_stats(struct ft_dpif *dpif_, ft_port_no port_no,
                       struct ft_netdev_stats *stats)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);
    struct dpif_port *port = dpif_port_find(dpif, port_no);

    return port ? ft_netdev_get_stats(port->netdev, stats) : -ENOENT;
}

static int
dpif_netdev_port_get(const struct ft_dpif *dpif_, ft_port_no port_no,
                 struct ft_dpif_port_info *info)
{
    const struct dpif_netdev *dpif = dpif_netdev_cast_const(dpif_);
    struct dpif_port *port = dpif_port_find(dpif, port_no);

    if (!port) {
        return -ENOENT;
    }
    dpif_port_to_info(port, info);
    return 0;
}

static int
dpif_netdev_port_get_by_name(const struct ft_dpif *dpif_, const char *devname,
                         struct ft_dpif_port_info *info)
{
    const struct dpif_netdev *dpif = dpif_netdev_cast_const(dpif_);
    struct dpif_port *port = dpif_port_find_by_name(dpif, devname);

    if (!port) {
        return -ENOENT;
    }
    dpif_port_to_info(port, info);
    return 0;
}

static int
dpif_netdev_port_get_mac(const struct ft_dpif *dpif_, ft_port_no port_no,
                     struct ft_eth_addr *mac)
{
    const struct dpif_netdev *dpif = dpif_netdev_cast_const(dpif_);
    struct dpif_port *port = dpif_port_find(dpif, port_no);

    return port ? ft_netdev_get_mac(port->netdev, mac) : -ENOENT;
}

static int
dpif_netdev_port_get_identity(const struct ft_dpif *dpif_,
                              ft_port_no port_no,
                              struct ft_port_identity *id)
{
    struct dpif_port *port;

    port = dpif_port_find(dpif_netdev_cast_const(dpif_), port_no);
    if (!port) {
        return -ENOENT;
    }
    ft_netdev_get_identity(port->netdev, port_no, id);
    return 0;
}

static int
dpif_netdev_port_set_rx_device(struct ft_dpif *dpif_, ft_port_no port_no,
                               int ifindex, struct ft_error *err)
{
    struct dpif_port *port;

    port = dpif_port_find(dpif_netdev_cast(dpif_), port_no);
    if (!port) {
        return ft_error_set(err, -ENOENT, "port %u: no such port", port_no);
    }
    return ft_netdev_set_rx_device(port->netdev, ifindex, err);
}

static int
dpif_netdev_port_foreach(const struct ft_dpif *dpif_,
                     int (*cb)(const struct ft_dpif_port_info *, void *aux),
                     void *aux)
{
    const struct dpif_netdev *dpif = dpif_netdev_cast_const(dpif_);
    for (size_t i = 0; i < dpif->n_ports; i++) {
        struct ft_dpif_port_info info;
        int retval;

        dpif_port_to_info(dpif->ports[i], &info);
        retval = cb(&info, aux);
        if (retval) {
            return retval;
        }
    }
    return 0;
}

static size_t
dpif_netdev_port_count(const struct ft_dpif *dpif_)
{
    const struct dpif_netdev *dpif = dpif_netdev_cast_const(dpif_);
    return dpif->n_ports;
}

static size_t
dpif_netdev_get_fds(const struct ft_dpif *dpif_, int fds[], size_t max)
{
    const struct dpif_netdev *dpif = dpif_netdev_cast_const(dpif_);
    size_t n = 0;

    if (dpif->pmds) {
        if (max) {
            fds[0] = dpif_pmds_upcall_fd(dpif->pmds);
        }
        return 1;
    }
    for (size_t i = 0; i < dpif->n_ports; i++) {
        int fd = ft_netdev_get_fd(dpif->ports[i]->netdev);

        if (fd >= 0) {
            if (n < max) {
                fds[n] = fd;
            }
            n++;
        }
    }
    for (size_t i = 0; i < dpif->n_endpoints; i++) {
        if (n < max) {
            fds[n] = ft_vxlan_endpoint_get_fd(dpif->endpoints[i]);
        }
        n++;
    }
    return n;
}

static bool
dpif_netdev_needs_polling(const struct ft_dpif *dpif_)
{
    const struct dpif_netdev *dpif = dpif_netdev_cast_const(dpif_);

    if (dpif->pmds) {
        return false;
    }
    for (size_t i = 0; i < dpif->n_ports; i++) {
        if (dpif->ports[i]->polled) {
            return true;
        }
    }
    return false;
}

static int
dpif_netdev_run(struct ft_dpif *dpif_, int budget)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);

    if (dpif->pmds) {
        return dpif_pmds_run(dpif->pmds, budget);
    }
    return dpif_fwd_poll(&dpif->main, dpif->ports, dpif->n_ports,
                         dpif->endpoints, dpif->n_endpoints, budget, false,
                         dpif_time_msec());
}

static int
dpif_netdev_run_polled(struct ft_dpif *dpif_, int budget,
                       long long int now_ms)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);

    if (dpif->pmds) {
        return 0;
    }
    return dpif_fwd_poll(&dpif->main, dpif->ports, dpif->n_ports,
                         dpif->endpoints, dpif->n_endpoints, budget, true,
                         now_ms);
}

/* With forwarding threads, the first one runs the packet: the ports are
 * theirs.  Its outputs then leave a little later, and the executor's
 * errors are counted (n_exec_skipped) rather than returned. */
static int
dpif_netdev_execute(struct ft_dpif *dpif_, struct ft_packet *pkt,
                    const struct ft_dp_actions *actions)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);

    if (dpif->pmds) {
        return dpif_pmds_execute(dpif->pmds, pkt, actions);
    }
    return dpif_fwd_execute(&dpif->main, pkt, actions, NULL);
}

/* Forwarding threads. */

static int
dpif_netdev_set_pmd_cpus(struct ft_dpif *dpif_, const int cpus[], size_t n,
                         struct ft_error *err)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);
    struct dpif_pmds *pmds = NULL;
    int error;

    if (n > FT_DPIF_PMD_MAX) {
        return ft_error_set(err, -EINVAL, "datapath %s: %zu forwarding "
                            "threads asked for, %d at most", dpif_->name,
                            n, FT_DPIF_PMD_MAX);
    }
    /* The old threads go first, their counts into the megaflows; the new
     * ones start with copies of them. */
    dpif_pmds_destroy(dpif->pmds);
    dpif->pmds = NULL;
    if (!n) {
        return 0;
    }
    error = dpif_pmds_create(dpif, cpus, n, &pmds, err);
    if (!error) {
        dpif->pmds = pmds;
        ft_emc_flush(&dpif->main.emc);
    }
    return error;
}

static int
dpif_netdev_pmd_foreach(const struct ft_dpif *dpif_,
                        int (*cb)(const struct ft_dpif_pmd_info *, void *),
                        void *aux)
{
    const struct dpif_netdev *dpif = dpif_netdev_cast_const(dpif_);

    return dpif->pmds ? dpif_pmds_foreach(dpif->pmds, cb, aux) : 0;
}

/* Megaflows. */

static int
dpif_netdev_flow_put(struct ft_dpif *dpif_, const struct ft_match *match,
                     const struct ft_dp_actions *actions,
                     struct ft_dpif_flow **flowp, struct ft_error *err)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);
    struct ft_dpcls_flow *flow = NULL;
    struct ft_dpcls_flow **ext = NULL;
    int error;

    if (dpif->pmds) {
        ext = dpif_pmds_flow_ext(dpif->pmds);
        if (!ext) {
            return ft_error_set(err, -ENOMEM, "%s: cannot install megaflow: "
                                "%s", dpif->up.name, strerror(ENOMEM));
        }
    }
    error = ft_dpcls_insert(&dpif->main.cls, match, actions, ext, &flow);
    *flowp = (struct ft_dpif_flow *) flow;
    if (error) {
        free(ext);
    }
    if (error == -EEXIST) {
        return ft_error_set(err, error, "%s: megaflow already installed",
                            dpif->up.name);
    } else if (error) {
        return ft_error_set(err, error, "%s: cannot install megaflow: %s",
                            dpif->up.name, strerror(-error));
    }
    if (dpif->pmds) {
        dpif_pmds_flow_put(dpif->pmds, flow);
    }
    return 0;
}

static int
dpif_netdev_flow_del(struct ft_dpif *dpif_, struct ft_dpif_flow *flow_,
                     struct ft_stats *stats)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);
    struct ft_dpcls_flow *flow = flow_cast(flow_);
    struct ft_stats final;

    if (flow->dead) {
        return -ENOENT;
    }
    final = flow->stats;
    if (dpif->pmds) {
        dpif_pmds_flow_del(dpif->pmds, flow, &final);
    }
    if (stats) {
        *stats = final;
    }
    ft_dpcls_remove(&dpif->main.cls, flow);
    ft_emc_note_removal(&dpif->main.emc, ft_dpcls_count(&dpif->main.cls));
    return 0;
}

static int
dpif_netdev_flow_modify(struct ft_dpif *dpif_, struct ft_dpif_flow *flow_,
                        const struct ft_dp_actions *actions,
                        struct ft_error *err)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);
    struct ft_dpcls_flow *flow = flow_cast(flow_);

    if (flow->dead) {
        return ft_error_set(err, -ENOENT, "%s: megaflow is gone",
                            dpif_->name);
    }
    if (dpif->pmds && dpif_pmds_flow_modify(dpif->pmds, flow, actions)) {
        return ft_error_set(err, -ENOMEM, "%s: no memory to change a "
                            "megaflow's actions", dpif_->name);
    }
    ft_dpcls_flow_set_actions(flow, actions);
    return 0;
}

/* Without threads the counters live in the megaflows themselves: a read
 * is a copy.  With them, each thread's copy adds its own. */
static int
dpif_netdev_flow_stats(struct ft_dpif *dpif_,
                       struct ft_dpif_flow *const flows[], size_t n,
                       struct ft_stats stats[])
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);

    for (size_t i = 0; i < n; i++) {
        const struct ft_dpcls_flow *flow = flow_cast(flows[i]);

        stats[i] = flow->stats;
        if (dpif->pmds) {
            dpif_pmds_flow_stats(dpif->pmds, flow, &stats[i]);
        }
    }
    return 0;
}

struct flow_collect {
    struct ft_dpcls_flow **flows;
    size_t n;
};

static int
dpif_collect_flow(struct ft_dpcls_flow *flow, void *aux)
{
    struct flow_collect *c = aux;

    c->flows[c->n++] = flow;
    return 0;
}

/* Stores every megaflow in '*c'.  Returns 0 or -ENOMEM. */
static int
dpif_collect_flows(struct dpif_netdev *dpif, struct flow_collect *c)
{
    size_t n = ft_dpcls_count(&dpif->main.cls);

    c->n = 0;
    c->flows = malloc((n ? n : 1) * sizeof *c->flows);
    if (!c->flows) {
        return -ENOMEM;
    }
    ft_dpcls_foreach(&dpif->main.cls, dpif_collect_flow, c);
    return 0;
}

static int
dpif_netdev_flow_dump(struct ft_dpif *dpif_,
                      int (*cb)(const struct ft_dpif_flow_info *, void *aux),
                      void *aux)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);
    struct flow_collect c;
    int retval = 0;

    if (dpif_collect_flows(dpif, &c)) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < c.n && !retval; i++) {
        struct ft_match match;
        struct ft_dpif_flow_info info = {
            .match = &match,
            .actions = &c.flows[i]->actions,
            .stats = c.flows[i]->stats,
            .flow = (struct ft_dpif_flow *) c.flows[i],
        };

        ft_dpcls_flow_get_match(c.flows[i], &match);
        if (dpif->pmds) {
            dpif_pmds_flow_stats(dpif->pmds, c.flows[i], &info.stats);
        }
        retval = cb(&info, aux);
    }
    free(c.flows);
    return retval;
}

static int
dpif_first_flow(struct ft_dpcls_flow *flow, void *aux)
{
    struct ft_dpcls_flow **flowp = aux;

    *flowp = flow;
    return 1;
}

static void
dpif_netdev_flow_flush(struct ft_dpif *dpif_)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);
    struct ft_dpcls *cls = &dpif->main.cls;
    struct flow_collect c;

    if (dpif->pmds) {
        dpif_pmds_flow_flush(dpif->pmds);
    }
    if (!dpif_collect_flows(dpif, &c)) {
        for (size_t i = 0; i < c.n; i++) {
            free(c.flows[i]->user);
            c.flows[i]->user = NULL;
            ft_dpcls_remove(cls, c.flows[i]);
        }
        free(c.flows);
    } else {
        /* No memory for the list: remove one megaflow at a time. */
        struct ft_dpcls_flow *flow = NULL;

        while (ft_dpcls_foreach(cls, dpif_first_flow, &flow)) {
            free(flow->user);
            flow->user = NULL;
            ft_dpcls_remove(cls, flow);
        }
    }
    ft_emc_flush(&dpif->main.emc);
}

static size_t
dpif_netdev_flow_count(const struct ft_dpif *dpif_)
{
    return ft_dpcls_count(&dpif_netdev_cast_const(dpif_)->main.cls);
}

static void
dpif_netdev_get_stats(const struct ft_dpif *dpif_,
                      struct ft_dpif_stats *stats)
{
    const struct dpif_netdev *dpif = dpif_netdev_cast_const(dpif_);

    *stats = dpif->main.stats;
    stats->n_exec_skipped = dpif->main.xstats.n_skipped;
    if (dpif->pmds) {
        dpif_pmds_get_stats(dpif->pmds, stats);
    }
    stats->n_flows = ft_dpcls_count(&dpif->main.cls);
    stats->n_masks = ft_dpcls_n_subtables(&dpif->main.cls);
    stats->n_tnl_endpoints = dpif->n_endpoints;
    memset(&stats->tnl, 0, sizeof stats->tnl);
    for (size_t i = 0; i < dpif->n_endpoints; i++) {
        ft_vxlan_endpoint_add_stats(dpif->endpoints[i], &stats->tnl);
    }
}

const struct ft_dpif_class ft_dpif_netdev_class = {
    .type = "netdev",
    .tier = FT_TIER_USER,
    .create = dpif_netdev_create,
    .destroy = dpif_netdev_destroy,
    .port_add = dpif_netdev_port_add,
    .port_add_netdev = dpif_netdev_port_add_netdev,
    .port_del = dpif_netdev_port_del,
    .port_take = dpif_netdev_port_take,
    .port_get = dpif_netdev_port_get,
    .port_get_by_name = dpif_netdev_port_get_by_name,
    .port_get_stats = dpif_netdev_port_get_stats,
    .port_get_mac = dpif_netdev_port_get_mac,
    .port_get_identity = dpif_netdev_port_get_identity,
    .port_set_rx_device = dpif_netdev_port_set_rx_device,
    .port_foreach = dpif_netdev_port_foreach,
    .port_count = dpif_netdev_port_count,
    .run = dpif_netdev_run,
    .run_polled = dpif_netdev_run_polled,
    .get_fds = dpif_netdev_get_fds,
    .needs_polling = dpif_netdev_needs_polling,
    .execute = dpif_netdev_execute,
    .flow_put = dpif_netdev_flow_put,
    .flow_modify = dpif_netdev_flow_modify,
    .flow_del = dpif_netdev_flow_del,
    .flow_stats = dpif_netdev_flow_stats,
    .flow_dump = dpif_netdev_flow_dump,
    .flow_flush = dpif_netdev_flow_flush,
    .flow_count = dpif_netdev_flow_count,
    .set_pmd_cpus = dpif_netdev_set_pmd_cpus,
    .pmd_foreach = dpif_netdev_pmd_foreach,
    .get_stats = dpif_netdev_get_stats,
};

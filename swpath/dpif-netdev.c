/*
 * dpif-netdev.c - the userspace datapath (datapath type "netdev"): ports,
 * the receive loop, upcalls and the megaflows put in it, for one bridge.
 *
 * A datapath class (swpath/dpif-provider.h); swpath/dpif-netdev.h
 * describes its receive path.  Ports are kept twice: in an array sorted by
 * port number (for polling and listing) and in a small hash table by
 * number (for outputs).  Everything the receive path needs per packet
 * (keys, lookup results, upcall answers) is scratch space inside 'struct
 * dpif_netdev', sized for one batch.  All state is in that struct, the
 * VXLAN endpoints its vxlan ports share included.  A megaflow's handle is
 * its 'struct ft_dpcls_flow'.
 */
#include "dpif-netdev.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dpcls.h"
#include "dpif-provider.h"
#include "emc.h"
#include "execute.h"
#include "flow-extract.h"
#include "netdev-vxlan.h"

#define BATCH FT_PACKET_BATCH_MAX
#define PORT_BUCKETS 256
#define MAX_ENDPOINTS 8         /* VXLAN UDP ports per datapath. */

/* Rate limit of log lines. */
#define LOG_BURST 10
#define LOG_INTERVAL_MS 1000

struct dpif_port {
    struct ft_netdev *netdev;
    ft_port_no port_no;
    char *type;
    struct dpif_port *hnext;    /* In 'port_buckets'. */
    bool tx_pending;            /* Frames queued since the last flush. */
    bool polled;                /* No descriptor: must be polled. */
    bool tunnel;                /* A "vxlan" port: its endpoint receives. */
};

/* One upcall's answer, reused by later misses of the same batch. */
struct upcall_slot {
    struct ft_match match;
    struct ft_dp_actions actions;
    struct ft_dpcls_flow *flow;     /* Installed megaflow, or NULL. */
};

/* The packets of one receive batch that share a megaflow. */
struct dpif_flow_batch {
    struct ft_dpcls_flow *flow;
    size_t n;
    uint64_t bytes;
    struct ft_packet *pkts[BATCH];
};

struct dpif_netdev {
    struct ft_dpif up;

    struct dpif_port **ports;       /* Sorted by port number. */
    size_t n_ports, allocated_ports;
    struct dpif_port *port_buckets[PORT_BUCKETS];
    struct dpif_port **pending;     /* Ports with frames to flush. */
    size_t n_pending;

    struct ft_dpcls cls;
    struct ft_emc emc;

    /* VXLAN endpoints (swpath/netdev-vxlan.h), one per UDP port, each
     * shared by the vxlan ports on that UDP port. */
    struct ft_vxlan_endpoint *endpoints[MAX_ENDPOINTS];
    size_t n_endpoints;
    uint64_t n_tnl_no_port;         /* Received, no vxlan port took it. */

    struct ft_execute_hooks hooks;
    struct ft_execute_stats xstats;
    struct ft_dpif_stats stats;

    /* Log rate limiting. */
    long long int log_window;
    unsigned int log_in_window;
    uint64_t log_suppressed;

    /* Receive path scratch, for one batch. */
    long long int now;
    struct ft_flow keys[BATCH];
    uint32_t hashes[BATCH];
    bool valid[BATCH];
    struct upcall_slot slots[BATCH];
    size_t n_slots;
    struct dpif_flow_batch fbatches[BATCH];
    size_t n_fbatches;
    uint32_t rng;                   /* For dpif_emc_insert_draw(). */

    /* EMC bypass (see "The receive path" in dpif.h). */
    uint32_t emc_lookups;           /* In the current window. */
    uint32_t emc_hits;
    uint32_t emc_bursts;            /* Bursts since the last probe. */
};

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

static long long int
dpif_time_msec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long int) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void __attribute__((format(printf, 2, 3)))
dpif_log(struct dpif_netdev *dpif, const char *fmt, ...)
{
    char msg[512];
    long long int now;
    va_list args;
    int n;

    if (!dpif->up.log_cb) {
        return;
    }
    now = dpif_time_msec();
    if (now - dpif->log_window >= LOG_INTERVAL_MS) {
        dpif->log_window = now;
        dpif->log_in_window = 0;
    }
    if (dpif->log_in_window >= LOG_BURST) {
        dpif->log_suppressed++;
        return;
    }
    dpif->log_in_window++;

    n = snprintf(msg, sizeof msg, "%s: ", dpif->up.name);
    va_start(args, fmt);
    vsnprintf(msg + n, sizeof msg - n, fmt, args);
    va_end(args);
    if (dpif->log_suppressed) {
        size_t len = strlen(msg);

        snprintf(msg + len, sizeof msg - len,
                 " (%llu earlier messages suppressed)",
                 (unsigned long long) dpif->log_suppressed);
        dpif->log_suppressed = 0;
    }
    dpif->up.log_cb(dpif->up.log_aux, msg);
}

/* Ports. */

static struct dpif_port *
dpif_port_find(const struct dpif_netdev *dpif, ft_port_no port_no)
{
    struct dpif_port *port = dpif->port_buckets[port_no % PORT_BUCKETS];

    for (; port; port = port->hnext) {
        if (port->port_no == port_no) {
            return port;
        }
    }
    return NULL;
}

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

/* Queues 'pkt' on 'port' and remembers to flush it. */
static void
dpif_port_send(struct dpif_netdev *dpif, struct dpif_port *port,
               const struct ft_packet *pkt)
{
    ft_netdev_tx(port->netdev, pkt);
    if (!port->tx_pending) {
        port->tx_pending = true;
        dpif->pending[dpif->n_pending++] = port;
    }
}

static void
dpif_flush_tx(struct dpif_netdev *dpif)
{
    for (size_t i = 0; i < dpif->n_pending; i++) {
        struct dpif_port *port = dpif->pending[i];

        ft_netdev_tx_flush(port->netdev);
        port->tx_pending = false;
    }
    dpif->n_pending = 0;
}

static void
dpif_output(void *aux, ft_port_no port_no, const struct ft_packet *pkt)
{
    struct dpif_netdev *dpif = aux;
    struct dpif_port *port;

    if (port_no == FT_PORT_IN_PORT) {
        port_no = pkt->in_port;
    }
    port = dpif_port_find(dpif, port_no);
    if (port) {
        dpif_port_send(dpif, port, pkt);
    } else {
        dpif->stats.n_tx_no_port++;
    }
}

static void
dpif_userspace(void *aux, const struct ft_dpa_userspace *act,
               const struct ft_packet *pkt)
{
    struct dpif_netdev *dpif = aux;

    dpif->stats.n_userspace++;
    if (dpif->up.userspace_cb) {
        dpif->up.userspace_cb(dpif->up.userspace_aux, act, pkt);
    } else {
        dpif->stats.n_userspace_dropped++;
    }
}

static int
dpif_netdev_create(const char *name, struct ft_dpif **dpifp,
                   struct ft_error *err)
{
    struct dpif_netdev *dpif;

    dpif = calloc(1, sizeof *dpif);
    if (!dpif || ft_emc_init(&dpif->emc, FT_EMC_DEFAULT_ENTRIES)) {
        free(dpif);
        return ft_error_set(err, -ENOMEM, "datapath %s: out of memory",
                            name);
    }
    ft_dpcls_init(&dpif->cls);
    dpif->rng = 0x2545f491;
    dpif->hooks.output = dpif_output;
    dpif->hooks.userspace = dpif_userspace;
    dpif->hooks.aux = dpif;
    for (size_t i = 0; i < BATCH; i++) {
        ft_dp_actions_init(&dpif->slots[i].actions);
    }
    *dpifp = &dpif->up;
    return 0;
}

static void dpif_netdev_flow_flush(struct ft_dpif *);
static int dpif_netdev_port_del(struct ft_dpif *, ft_port_no);

static void
dpif_netdev_destroy(struct ft_dpif *dpif_)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);

    while (dpif->n_ports) {
        dpif_netdev_port_del(dpif_,
                             dpif->ports[dpif->n_ports - 1]->port_no);
    }
    dpif_netdev_flow_flush(dpif_);
    ft_emc_uninit(&dpif->emc);
    ft_dpcls_destroy(&dpif->cls);
    for (size_t i = 0; i < BATCH; i++) {
        ft_dp_actions_uninit(&dpif->slots[i].actions);
    }
    free(dpif->ports);
    free(dpif->pending);
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

static int
dpif_netdev_port_add(struct ft_dpif *dpif_, ft_port_no port_no,
                 const char *devname, const char *type,
                 const struct ft_netdev_option *opts, size_t n_opts,
                 struct ft_error *err)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);
    struct dpif_port *port, *other;
    size_t i;
    int error;

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
        struct dpif_port **pending;

        if (!ports) {
            return ft_error_set(err, -ENOMEM, "port %s: out of memory",
                                devname);
        }
        dpif->ports = ports;
        pending = realloc(dpif->pending, n * sizeof *pending);
        if (!pending) {
            return ft_error_set(err, -ENOMEM, "port %s: out of memory",
                                devname);
        }
        dpif->pending = pending;
        dpif->allocated_ports = n;
    }

    port = calloc(1, sizeof *port);
    if (!port) {
        return ft_error_set(err, -ENOMEM, "port %s: out of memory", devname);
    }
    port->port_no = port_no;
    port->type = strdup(type && type[0] ? type : "system");
    if (!port->type) {
        free(port);
        return ft_error_set(err, -ENOMEM, "port %s: out of memory", devname);
    }
    error = ft_netdev_open(devname, port->type, opts, n_opts, &port->netdev,
                           err);
    if (error) {
        free(port->type);
        free(port);
        return error;
    }
    if (ft_netdev_is_vxlan(port->netdev)) {
        error = dpif_tunnel_attach(dpif, port, err);
        if (error) {
            ft_netdev_close(port->netdev);
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
dpif_netdev_port_del(struct ft_dpif *dpif_, ft_port_no port_no)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);
    struct dpif_port *port = dpif_port_find(dpif, port_no);
    struct dpif_port **pp;
    size_t i;

    if (!port) {
        return -ENOENT;
    }
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

    if (port->tunnel) {
        uint16_t dst_port
            = ft_netdev_vxlan_config(port->netdev)->dst_port;

        ft_netdev_close(port->netdev);
        dpif_endpoint_gc(dpif, dst_port);
    } else {
        ft_netdev_close(port->netdev);
    }
    for (i = 0; i < dpif->n_pending; i++) {
        if (dpif->pending[i] == port) {
            dpif->pending[i] = dpif->pending[--dpif->n_pending];
            break;
        }
    }
    free(port->type);
    free(port);
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
    for (size_t i = 0; i < dpif->n_ports; i++) {
        if (dpif->ports[i]->polled) {
            return true;
        }
    }
    return false;
}

/* The receive path. */

static void
dpif_execute_one(struct dpif_netdev *dpif, struct ft_packet *pkt,
                 const struct ft_dp_actions *actions,
                 struct ft_dpcls_flow *flow)
{
    uint32_t size = pkt->size;

    ft_execute_actions(pkt, actions, &dpif->hooks, &dpif->xstats);
    if (flow) {
        ft_dpcls_flow_credit(flow, 1, size, dpif->now);
    }
}

/* Handles packet 'i' of the batch, which missed both caches. */
static void
dpif_handle_miss(struct dpif_netdev *dpif, struct ft_packet *pkt, size_t i)
{
    const struct ft_flow *key = &dpif->keys[i];
    struct ft_dpif_flow *installed = NULL;
    struct upcall_slot *slot;
    struct ft_error err;
    int error;

    dpif->stats.n_missed++;
    for (size_t s = 0; s < dpif->n_slots; s++) {
        slot = &dpif->slots[s];
        if (ft_match_contains(&slot->match, key)) {
            dpif_execute_one(dpif, pkt, &slot->actions, slot->flow);
            return;
        }
    }
    if (!dpif->up.upcall_cb) {
        dpif->stats.n_lost++;
        return;
    }

    slot = &dpif->slots[dpif->n_slots];
    memset(&slot->match, 0, sizeof slot->match);
    ft_dp_actions_clear(&slot->actions);
    ft_error_clear(&err);
    dpif->stats.n_upcalls++;
    error = dpif->up.upcall_cb(dpif->up.upcall_aux, &dpif->up, key, pkt,
                               &slot->match, &slot->actions, &installed,
                               &err);
    if (error) {
        dpif->stats.n_lost++;
        dpif_log(dpif, "upcall for a packet from port %u failed: %s",
                 key->in_port, err.reason[0] ? err.reason
                 : strerror(error < 0 ? -error : error));
        return;
    }
    slot->flow = flow_cast(installed);
    if (!slot->flow) {
        /* Held in another tier, or nowhere: the callback counted the
         * packet, and a later packet of this batch asks again. */
        dpif_execute_one(dpif, pkt, &slot->actions, NULL);
        return;
    }
    if (!ft_match_contains(&slot->flow->match, key)) {
        dpif->stats.n_bad_megaflows++;
        dpif_log(dpif, "upcall for a packet from port %u installed a "
                 "megaflow that does not match it", key->in_port);
        dpif_execute_one(dpif, pkt, &slot->actions, NULL);
        return;
    }
    slot->match = slot->flow->match;
    dpif->n_slots++;
    if (!dpif->stats.emc_bypassed) {
        /* (While it is bypassed, a flood of new flows would only evict
         * entries, each eviction a cache miss on the evicted megaflow.) */
        ft_emc_insert(&dpif->emc, key, dpif->hashes[i], slot->flow);
    }
    dpif_execute_one(dpif, pkt, &slot->actions, slot->flow);
}

/* Parsing.  Most frames are untagged IPv4 UDP or TCP without options or
 * fragmentation: dpif_parse() fills their offsets and key directly and
 * hashes only the key words it wrote, and hands every other frame to
 * ft_packet_parse(), ft_flow_extract() and ft_emc_hash(), with the same
 * result (tests/unit/test-dpif.c compares the two). */

static inline uint16_t
dpif_be16(const uint8_t *p)
{
    return (uint16_t) (p[0] << 8 | p[1]);
}

static inline uint32_t
dpif_be32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}

/* Word indexes of the fields the fast parser writes. */
#define W(FIELD) (offsetof(struct ft_flow, FIELD) / 8)

static inline bool
dpif_parse_fast(struct ft_packet *pkt, ft_port_no in_port,
                struct ft_flow *key, uint32_t *hashp)
{
    const uint8_t *p = ft_packet_data(pkt);
    const uint8_t *ip = p + FT_ETH_HEADER_LEN;
    const uint8_t *l4 = ip + FT_IPV4_HEADER_LEN;
    uint32_t size = pkt->size;
    uint32_t tot_len, l4_len;
    uint64_t sum;
    uint8_t proto;

    if (size < FT_ETH_HEADER_LEN + FT_IPV4_HEADER_LEN
        || p[12] != 0x08 || p[13] != 0x00 || ip[0] != 0x45
        || (dpif_be16(ip + 6) & 0x3fff)) {
        return false;
    }
    tot_len = dpif_be16(ip + 2);
    if (tot_len < FT_IPV4_HEADER_LEN
        || tot_len > size - FT_ETH_HEADER_LEN) {
        return false;
    }
    l4_len = tot_len - FT_IPV4_HEADER_LEN;
    proto = ip[9];
    if (proto == FT_IPPROTO_UDP) {
        if (l4_len < 8) {
            return false;
        }
    } else if (proto == FT_IPPROTO_TCP) {
        if (l4_len < 20 || (l4[12] >> 4) < 5
            || (l4[12] >> 4) * 4u > l4_len) {
            return false;
        }
    } else {
        return false;
    }

    pkt->eth_type = FT_ETH_TYPE_IP;
    pkt->l3_ofs = FT_ETH_HEADER_LEN;
    pkt->l4_ofs = FT_ETH_HEADER_LEN + FT_IPV4_HEADER_LEN;
    pkt->l4_end = FT_ETH_HEADER_LEN + tot_len;
    pkt->l4_proto = proto;
    pkt->flags = 0;

    /* Builds the key's words in registers and stores each once: storing
     * fields and then reading words back would stall on store
     * forwarding.  The layout is 'struct ft_flow''s on a little-endian
     * machine (checked below). */
    uint64_t *kw = ft_flow_u64_rw(key);
    uint64_t w_port = (uint64_t) in_port << 32;
    uint64_t w_eth0, w_eth1, w_ip, w_nw, w_tp, w_tcp = 0;
    uint32_t src_tail;

    memcpy(&w_eth0, p, 8);                  /* dl_dst, dl_src[0..1]. */
    memcpy(&src_tail, p + 8, 4);            /* dl_src[2..5]. */
    w_eth1 = src_tail | (uint64_t) FT_ETH_TYPE_IP << 32;
    w_ip = dpif_be32(ip + 12) | (uint64_t) dpif_be32(ip + 16) << 32;
    w_nw = (uint64_t) proto << 32 | (uint64_t) ip[1] << 40
           | (uint64_t) ip[8] << 48;
    w_tp = (uint64_t) dpif_be16(l4) << 32
           | (uint64_t) dpif_be16(l4 + 2) << 48;
    if (proto == FT_IPPROTO_TCP) {
        w_tcp = dpif_be16(l4 + 12) & FT_TCP_FLAGS_MASK;
    }
    /* Every word, in order (a loop of zeros becomes 'rep stos', which
     * costs more than the rest of the parse). */
    kw[0] = 0;
    kw[1] = 0;
    kw[2] = w_port;
    kw[3] = 0;
    kw[4] = 0;
    kw[5] = 0;
    kw[6] = 0;
    kw[7] = 0;
    kw[8] = w_eth0;
    kw[9] = w_eth1;
    kw[10] = 0;
    kw[11] = w_ip;
    kw[12] = 0;
    kw[13] = 0;
    kw[14] = 0;
    kw[15] = 0;
    kw[16] = w_nw;
    kw[17] = 0;
    kw[18] = w_tp;
    kw[19] = w_tcp;

    sum = ft_emc_hash_word(W(in_port), w_port);
    sum += ft_emc_hash_word(W(dl_dst), w_eth0);
    sum += ft_emc_hash_word(W(dl_type), w_eth1);
    sum += ft_emc_hash_word(W(nw_src), w_ip);
    sum += ft_emc_hash_word(W(nw_proto), w_nw);
    sum += ft_emc_hash_word(W(tp_src), w_tp);
    sum += ft_emc_hash_word(W(tcp_flags), w_tcp);
    *hashp = ft_emc_hash_finish(sum);
    return true;
}

/* The word layout dpif_parse_fast() builds. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
               && offsetof(struct ft_flow, in_port) == W(in_port) * 8 + 4
               && offsetof(struct ft_flow, dl_dst) == W(dl_dst) * 8
               && offsetof(struct ft_flow, dl_src) == W(dl_dst) * 8 + 6
               && offsetof(struct ft_flow, dl_type) == W(dl_type) * 8 + 4
               && W(dl_type) == W(dl_dst) + 1
               && offsetof(struct ft_flow, nw_src) == W(nw_src) * 8
               && offsetof(struct ft_flow, nw_dst) == W(nw_src) * 8 + 4
               && offsetof(struct ft_flow, nw_proto) == W(nw_proto) * 8 + 4
               && offsetof(struct ft_flow, nw_tos) == W(nw_proto) * 8 + 5
               && offsetof(struct ft_flow, nw_ttl) == W(nw_proto) * 8 + 6
               && offsetof(struct ft_flow, tp_src) == W(tp_src) * 8 + 4
               && offsetof(struct ft_flow, tp_dst) == W(tp_src) * 8 + 6
               && offsetof(struct ft_flow, tcp_flags) == W(tcp_flags) * 8
               && W(in_port) == 2 && W(dl_dst) == 8 && W(nw_src) == 11
               && W(nw_proto) == 16 && W(tp_src) == 18 && FT_FLOW_U64S == 20,
               "dpif_parse_fast() builds the wrong words");

/* Sets the header offsets of 'pkt' (from 'in_port'), its flow key '*key'
 * and the key's EMC hash '*hashp'.  Returns false for a frame too short to
 * have a key. */
static inline bool
dpif_parse(struct ft_packet *pkt, ft_port_no in_port, struct ft_flow *key,
           uint32_t *hashp)
{
    pkt->in_port = in_port;
    if (dpif_parse_fast(pkt, in_port, key, hashp)) {
        return true;
    }
    ft_packet_parse(pkt);
    if (ft_flow_extract(ft_packet_data(pkt), pkt->size, in_port, key)) {
        return false;
    }
    *hashp = ft_emc_hash(key);
    return true;
}

int
ft_dpif_parse_packet(struct ft_packet *pkt, ft_port_no in_port,
                     struct ft_flow *key, uint32_t *hash)
{
    return dpif_parse(pkt, in_port, key, hash) ? 0 : -EINVAL;
}

/* Adds packet 'i' of the receive batch to the per-megaflow batch of
 * 'flow'. */
static inline void
dpif_flow_batch_add(struct dpif_netdev *dpif, struct ft_dpcls_flow *flow,
                    struct ft_packet *pkt)
{
    struct dpif_flow_batch *fb;
    size_t i;

    for (i = dpif->n_fbatches; i > 0; i--) {
        if (dpif->fbatches[i - 1].flow == flow) {
            break;
        }
    }
    if (i) {
        fb = &dpif->fbatches[i - 1];
    } else {
        fb = &dpif->fbatches[dpif->n_fbatches++];
        fb->flow = flow;
        fb->n = 0;
        fb->bytes = 0;
    }
    fb->pkts[fb->n++] = pkt;
    fb->bytes += pkt->size;
}

/* True, once every FT_DPIF_EMC_INSERT_INV_PROB calls on average: whether a
 * megaflow-cache hit is cached in the EMC (as Open vSwitch's
 * emc-insert-inv-prob), so that traffic with more flows than the EMC holds
 * does not rewrite it for every packet. */
static inline bool
dpif_emc_insert_draw(struct dpif_netdev *dpif)
{
    uint32_t x = dpif->rng;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    dpif->rng = x;
    return x % FT_DPIF_EMC_INSERT_INV_PROB == 0;
}

/* Whether this burst uses the EMC: always while it is not bypassed, and
 * one burst in FT_DPIF_EMC_PROBE_EVERY while it is. */
static inline bool
dpif_emc_use(struct dpif_netdev *dpif)
{
    if (!dpif->stats.emc_bypassed) {
        return true;
    }
    if (++dpif->emc_bursts >= FT_DPIF_EMC_PROBE_EVERY) {
        dpif->emc_bursts = 0;
        return true;
    }
    return false;
}

/* Counts 'n_lookups' EMC lookups of which 'n_hits' hit, and decides
 * whether to bypass the EMC at the end of each window. */
static inline void
dpif_emc_account(struct dpif_netdev *dpif, size_t n_lookups, size_t n_hits)
{
    dpif->emc_lookups += n_lookups;
    dpif->emc_hits += n_hits;
    if (dpif->emc_lookups >= FT_DPIF_EMC_WINDOW) {
        dpif->stats.emc_bypassed
            = (uint64_t) dpif->emc_hits * 100
              < (uint64_t) dpif->emc_lookups * FT_DPIF_EMC_MIN_HIT_PCT;
        dpif->emc_lookups = dpif->emc_hits = 0;
    }
}

/* Parses and looks up every packet of 'batch' (from 'port_no'): packets
 * found in a cache go to their megaflow's batch, the others are marked in
 * 'miss_map' (bit i: packet i). */
/* Puts the outer header of the decapsulated packet 'pkt' in its key and
 * hashes the key again. */
static void
dpif_tunnel_key(const struct ft_packet *pkt, struct ft_flow *key,
                uint32_t *hashp)
{
    key->tun_id = pkt->tunnel.tun_id;
    key->tun_src = pkt->tunnel.src;
    key->tun_dst = pkt->tunnel.dst;
    key->tun_tos = pkt->tunnel.tos;
    key->tun_ttl = pkt->tunnel.ttl;
    key->tun_flags = pkt->tunnel.flags;
    *hashp = ft_emc_hash(key);
}

static uint32_t
dpif_classify(struct dpif_netdev *dpif, struct ft_packet_batch *batch,
              ft_port_no port_no, bool tunnel)
{
    const struct ft_flow *miss_keys[BATCH];
    struct ft_dpcls_flow *found[BATCH];
    size_t miss_idx[BATCH];
    uint32_t miss_map = 0;
    size_t n_miss = 0;
    size_t n = batch->count;

    bool use_emc = dpif_emc_use(dpif);
    size_t n_valid = 0, n_emc_hits = 0;

    for (size_t i = 0; i < n; i++) {
        dpif->valid[i] = dpif_parse(batch->packets[i], port_no,
                                    &dpif->keys[i], &dpif->hashes[i]);
        if (tunnel && dpif->valid[i]) {
            dpif_tunnel_key(batch->packets[i], &dpif->keys[i],
                            &dpif->hashes[i]);
        }
        if (dpif->valid[i] && use_emc) {
            ft_emc_prefetch(&dpif->emc, dpif->hashes[i]);
        }
    }
    dpif->n_fbatches = 0;
    for (size_t i = 0; i < n; i++) {
        struct ft_dpcls_flow *flow = NULL;

        if (!dpif->valid[i]) {
            dpif->stats.n_invalid++;
            continue;
        }
        n_valid++;
        if (use_emc) {
            flow = ft_emc_lookup(&dpif->emc, &dpif->keys[i],
                                 dpif->hashes[i]);
        }
        if (flow) {
            n_emc_hits++;
            dpif_flow_batch_add(dpif, flow, batch->packets[i]);
        } else {
            miss_keys[n_miss] = &dpif->keys[i];
            miss_idx[n_miss++] = i;
        }
    }
    if (use_emc) {
        dpif->stats.n_hit_emc += n_emc_hits;
        dpif_emc_account(dpif, n_valid, n_emc_hits);
    } else {
        dpif->stats.n_emc_skipped += n_valid;
    }
    if (!n_miss) {
        return 0;
    }
    ft_dpcls_lookup_batch(&dpif->cls, miss_keys, n_miss, found);
    for (size_t m = 0; m < n_miss; m++) {
        size_t i = miss_idx[m];

        if (found[m]) {
            dpif->stats.n_hit_megaflow++;
            dpif_flow_batch_add(dpif, found[m], batch->packets[i]);
            if (use_emc && dpif_emc_insert_draw(dpif)) {
                ft_emc_insert(&dpif->emc, &dpif->keys[i], dpif->hashes[i],
                              found[m]);
            }
        } else {
            miss_map |= UINT32_C(1) << i;
        }
    }
    return miss_map;
}

/* Queues the 'n' packets 'pkts' on the port numbered 'port_no'
 * (FT_PORT_IN_PORT: their input port).  'last': this is their last
 * action, so a port may take their buffers. */
static void
dpif_output_batch(struct dpif_netdev *dpif, ft_port_no port_no,
                  struct ft_packet **pkts, size_t n, bool last)
{
    struct dpif_port *port;

    if (port_no == FT_PORT_IN_PORT) {
        port_no = pkts[0]->in_port;
    }
    dpif->xstats.n_outputs += n;
    dpif->xstats.n_actions += n;
    port = dpif_port_find(dpif, port_no);
    if (!port) {
        dpif->stats.n_tx_no_port += n;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct ft_packet *pkt = pkts[i];

        pkt->may_steal = last;
        ft_netdev_tx(port->netdev, pkt);
        pkt->may_steal = false;
    }
    if (!port->tx_pending) {
        port->tx_pending = true;
        dpif->pending[dpif->n_pending++] = port;
    }
}

/* Runs the actions of the megaflow batch 'fb' on its packets, action by
 * action (each action on every packet before the next one), and credits
 * the megaflow. */
static void
dpif_execute_flow_batch(struct dpif_netdev *dpif, struct dpif_flow_batch *fb)
{
    const struct ft_dp_actions *actions = &fb->flow->actions;

    dpif->xstats.n_packets += fb->n;
    for (size_t a = 0; a < actions->n; a++) {
        const struct ft_dp_action *act = &actions->acts[a];

        if (act->type == FT_DPA_OUTPUT) {
            dpif_output_batch(dpif, act->port, fb->pkts, fb->n,
                              a + 1 == actions->n);
            continue;
        }
        for (size_t i = 0; i < fb->n; i++) {
            ft_execute_action(fb->pkts[i], act, &dpif->hooks,
                              &dpif->xstats);
        }
    }
    ft_dpcls_flow_credit(fb->flow, fb->n, fb->bytes, dpif->now);
}

static void
dpif_process_batch(struct dpif_netdev *dpif, struct ft_packet_batch *batch,
                   ft_port_no port_no, bool tunnel)
{
    uint32_t miss_map = dpif_classify(dpif, batch, port_no, tunnel);

    for (size_t b = 0; b < dpif->n_fbatches; b++) {
        dpif_execute_flow_batch(dpif, &dpif->fbatches[b]);
    }
    if (miss_map) {
        dpif->n_slots = 0;
        while (miss_map) {
            size_t i = __builtin_ctz(miss_map);

            miss_map &= miss_map - 1;
            dpif_handle_miss(dpif, batch->packets[i], i);
        }
    }
    dpif_flush_tx(dpif);
}

/* The vxlan port of endpoint 'dst_port' that fits the outer header 't'
 * best (swpath/tnl-config.h), or NULL. */
static struct dpif_port *
dpif_tunnel_port(const struct dpif_netdev *dpif, uint16_t dst_port,
                 const struct ft_packet_tunnel *t)
{
    struct dpif_port *best = NULL;
    int best_score = 0;

    for (size_t i = 0; i < dpif->n_ports; i++) {
        struct dpif_port *p = dpif->ports[i];
        const struct ft_tnl_config *cfg;
        int score;

        if (!p->tunnel) {
            continue;
        }
        cfg = ft_netdev_vxlan_config(p->netdev);
        if (cfg->dst_port != dst_port) {
            continue;
        }
        score = ft_tnl_config_rx_score(cfg, t->src, t->dst, t->tun_id);
        if (score > best_score) {
            best = p;
            best_score = score;
        }
    }
    return best;
}

/* Gives each packet of 'batch', received by endpoint 'ep', to the vxlan
 * port that takes it, and processes them port by port, in arrival order
 * within each port. */
static void
dpif_tunnel_process(struct dpif_netdev *dpif, struct ft_vxlan_endpoint *ep,
                    struct ft_packet_batch *batch)
{
    uint16_t dst_port = ft_vxlan_endpoint_port(ep);
    struct dpif_port *owner[BATCH];
    bool done[BATCH];

    for (size_t i = 0; i < batch->count; i++) {
        owner[i] = dpif_tunnel_port(dpif, dst_port,
                                    &batch->packets[i]->tunnel);
        done[i] = !owner[i];
        if (owner[i]) {
            ft_netdev_vxlan_count_rx(owner[i]->netdev,
                                     batch->packets[i]->size);
        } else {
            dpif->n_tnl_no_port++;
        }
    }
    for (size_t i = 0; i < batch->count; i++) {
        struct ft_packet_batch sub;

        if (done[i]) {
            continue;
        }
        sub.count = 0;
        for (size_t j = i; j < batch->count; j++) {
            if (!done[j] && owner[j] == owner[i]) {
                done[j] = true;
                ft_packet_batch_add(&sub, batch->packets[j]);
            }
        }
        dpif_process_batch(dpif, &sub, owner[i]->port_no, true);
    }
}

/* Receives one burst from each VXLAN endpoint.  Returns the packets. */
static int
dpif_run_tunnels(struct dpif_netdev *dpif)
{
    int total = 0;

    for (size_t e = 0; e < dpif->n_endpoints; e++) {
        struct ft_packet_batch batch;
        int n;

        batch.count = 0;
        n = ft_vxlan_endpoint_rx(dpif->endpoints[e], &batch);
        if (n < 0) {
            dpif_log(dpif, "vxlan UDP port %u: receive error: %s",
                     ft_vxlan_endpoint_port(dpif->endpoints[e]),
                     strerror(-n));
        }
        if (batch.count) {
            dpif_tunnel_process(dpif, dpif->endpoints[e], &batch);
            total += batch.count;
        }
    }
    return total;
}

static int
dpif_run(struct dpif_netdev *dpif, int budget, bool polled_only)
{
    int total = 0;

    if (budget <= 0) {
        return 0;
    }
    dpif->now = dpif_time_msec();
    for (;;) {
        int progress = 0;

        for (size_t i = 0; i < dpif->n_ports && total < budget; i++) {
            struct dpif_port *port = dpif->ports[i];
            struct ft_packet_batch batch;
            int n;

            if (polled_only && !port->polled) {
                continue;
            }
            batch.count = 0;
            n = ft_netdev_rx_burst(port->netdev, &batch);
            if (n < 0) {
                dpif_log(dpif, "port %s: receive error: %s",
                         port->netdev->name, strerror(-n));
            }
            if (batch.count) {
                dpif_process_batch(dpif, &batch, port->port_no, false);
                total += batch.count;
                progress += batch.count;
            }
        }
        if (!polled_only && total < budget) {
            int n = dpif_run_tunnels(dpif);

            total += n;
            progress += n;
        }
        if (!progress || total >= budget) {
            break;
        }
    }
    return total;
}

static int
dpif_netdev_run(struct ft_dpif *dpif_, int budget)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);
    return dpif_run(dpif, budget, false);
}

static int
dpif_netdev_run_polled(struct ft_dpif *dpif_, int budget)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);
    return dpif_run(dpif, budget, true);
}

static int
dpif_netdev_execute(struct ft_dpif *dpif_, struct ft_packet *pkt,
                const struct ft_dp_actions *actions)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);
    int error;

    dpif->now = dpif_time_msec();
    error = ft_execute_actions(pkt, actions, &dpif->hooks, &dpif->xstats);
    dpif_flush_tx(dpif);
    return error;
}

/* Megaflows. */

static int
dpif_netdev_flow_put(struct ft_dpif *dpif_, const struct ft_match *match,
                     const struct ft_dp_actions *actions,
                     struct ft_dpif_flow **flowp, struct ft_error *err)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);
    struct ft_dpcls_flow *flow = NULL;
    int error;

    error = ft_dpcls_insert(&dpif->cls, match, actions, NULL, &flow);
    *flowp = (struct ft_dpif_flow *) flow;
    if (error == -EEXIST) {
        return ft_error_set(err, error, "%s: megaflow already installed",
                            dpif->up.name);
    } else if (error) {
        return ft_error_set(err, error, "%s: cannot install megaflow: %s",
                            dpif->up.name, strerror(-error));
    }
    return 0;
}

static int
dpif_netdev_flow_del(struct ft_dpif *dpif_, struct ft_dpif_flow *flow_,
                     struct ft_stats *stats)
{
    struct dpif_netdev *dpif = dpif_netdev_cast(dpif_);
    struct ft_dpcls_flow *flow = flow_cast(flow_);

    if (flow->dead) {
        return -ENOENT;
    }
    if (stats) {
        *stats = flow->stats;
    }
    ft_dpcls_remove(&dpif->cls, flow);
    return 0;
}

static int
dpif_netdev_flow_modify(struct ft_dpif *dpif_, struct ft_dpif_flow *flow_,
                        const struct ft_dp_actions *actions,
                        struct ft_error *err)
{
    struct ft_dpcls_flow *flow = flow_cast(flow_);

    if (flow->dead) {
        return ft_error_set(err, -ENOENT, "%s: megaflow is gone",
                            dpif_->name);
    }
    ft_dpcls_flow_set_actions(flow, actions);
    return 0;
}

/* The counters live in the megaflows themselves: a read is a copy. */
static int
dpif_netdev_flow_stats(struct ft_dpif *dpif_,
                       struct ft_dpif_flow *const flows[], size_t n,
                       struct ft_stats stats[])
{
    (void) dpif_;
    for (size_t i = 0; i < n; i++) {
        stats[i] = ((const struct ft_dpcls_flow *) flows[i])->stats;
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
    size_t n = ft_dpcls_count(&dpif->cls);

    c->n = 0;
    c->flows = malloc((n ? n : 1) * sizeof *c->flows);
    if (!c->flows) {
        return -ENOMEM;
    }
    ft_dpcls_foreach(&dpif->cls, dpif_collect_flow, c);
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
        struct ft_dpif_flow_info info = {
            .match = &c.flows[i]->match,
            .actions = &c.flows[i]->actions,
            .stats = c.flows[i]->stats,
            .flow = (struct ft_dpif_flow *) c.flows[i],
        };

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
    struct flow_collect c;

    if (!dpif_collect_flows(dpif, &c)) {
        for (size_t i = 0; i < c.n; i++) {
            ft_dpcls_remove(&dpif->cls, c.flows[i]);
        }
        free(c.flows);
    } else {
        /* No memory for the list: remove one megaflow at a time. */
        struct ft_dpcls_flow *flow = NULL;

        while (ft_dpcls_foreach(&dpif->cls, dpif_first_flow, &flow)) {
            ft_dpcls_remove(&dpif->cls, flow);
        }
    }
    ft_emc_flush(&dpif->emc);
}

static size_t
dpif_netdev_flow_count(const struct ft_dpif *dpif_)
{
    return ft_dpcls_count(&dpif_netdev_cast_const(dpif_)->cls);
}

static void
dpif_netdev_get_stats(const struct ft_dpif *dpif_,
                      struct ft_dpif_stats *stats)
{
    const struct dpif_netdev *dpif = dpif_netdev_cast_const(dpif_);

    *stats = dpif->stats;
    stats->n_exec_skipped = dpif->xstats.n_skipped;
    stats->n_flows = ft_dpcls_count(&dpif->cls);
    stats->n_masks = ft_dpcls_n_subtables(&dpif->cls);
    stats->n_tnl_endpoints = dpif->n_endpoints;
    stats->n_tnl_no_port = dpif->n_tnl_no_port;
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
    .port_del = dpif_netdev_port_del,
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
    .get_stats = dpif_netdev_get_stats,
};

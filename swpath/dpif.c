/*
 * dpif.c - the userspace datapath: ports, the receive loop, upcalls and
 * megaflow management for one bridge.
 *
 * See dpif.h for the contract.  Ports are kept twice: in an array sorted
 * by port number (for polling and listing) and in a small hash table by
 * number (for outputs).  Everything the receive path needs per packet
 * (keys, lookup results, upcall answers) is scratch space inside
 * 'struct ft_dpif', sized for one batch.  All state is in that struct.
 */
#include "swpath/dpif.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swpath/dpcls.h"
#include "swpath/emc.h"
#include "swpath/execute.h"
#include "swpath/flow-extract.h"

#define BATCH FT_PACKET_BATCH_MAX
#define PORT_BUCKETS 256

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

struct ft_dpif {
    char *name;

    struct dpif_port **ports;       /* Sorted by port number. */
    size_t n_ports, allocated_ports;
    struct dpif_port *port_buckets[PORT_BUCKETS];
    struct dpif_port **pending;     /* Ports with frames to flush. */
    size_t n_pending;

    struct ft_dpcls cls;
    struct ft_emc emc;
    size_t flow_limit;

    ft_dpif_upcall_cb *upcall_cb;
    void *upcall_aux;
    ft_dpif_userspace_cb *userspace_cb;
    void *userspace_aux;
    ft_dpif_cookie_destructor *cookie_cb;
    void *cookie_aux;
    ft_dpif_log_cb *log_cb;
    void *log_aux;

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

static long long int
dpif_time_msec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long int) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void __attribute__((format(printf, 2, 3)))
dpif_log(struct ft_dpif *dpif, const char *fmt, ...)
{
    char msg[512];
    long long int now;
    va_list args;
    int n;

    if (!dpif->log_cb) {
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

    n = snprintf(msg, sizeof msg, "%s: ", dpif->name);
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
    dpif->log_cb(dpif->log_aux, msg);
}

static void
dpif_release_cookie(struct ft_dpif *dpif, void *cookie)
{
    if (cookie && dpif->cookie_cb) {
        dpif->cookie_cb(dpif->cookie_aux, cookie);
    }
}

/* Ports. */

static struct dpif_port *
dpif_port_find(const struct ft_dpif *dpif, ft_port_no port_no)
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
dpif_port_find_by_name(const struct ft_dpif *dpif, const char *name)
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
dpif_port_send(struct ft_dpif *dpif, struct dpif_port *port,
               const struct ft_packet *pkt)
{
    ft_netdev_tx(port->netdev, pkt);
    if (!port->tx_pending) {
        port->tx_pending = true;
        dpif->pending[dpif->n_pending++] = port;
    }
}

static void
dpif_flush_tx(struct ft_dpif *dpif)
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
    struct ft_dpif *dpif = aux;
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
    struct ft_dpif *dpif = aux;

    dpif->stats.n_userspace++;
    if (dpif->userspace_cb) {
        dpif->userspace_cb(dpif->userspace_aux, act, pkt);
    } else {
        dpif->stats.n_userspace_dropped++;
    }
}

int
ft_dpif_create(const char *name, struct ft_dpif **dpifp)
{
    struct ft_dpif *dpif;

    *dpifp = NULL;
    if (!name || !name[0]) {
        return -EINVAL;
    }
    dpif = calloc(1, sizeof *dpif);
    if (!dpif) {
        return -ENOMEM;
    }
    dpif->name = strdup(name);
    if (!dpif->name || ft_emc_init(&dpif->emc, FT_EMC_DEFAULT_ENTRIES)) {
        free(dpif->name);
        free(dpif);
        return -ENOMEM;
    }
    ft_dpcls_init(&dpif->cls);
    dpif->flow_limit = FT_DPIF_DEFAULT_FLOW_LIMIT;
    dpif->rng = 0x2545f491;
    dpif->hooks.output = dpif_output;
    dpif->hooks.userspace = dpif_userspace;
    dpif->hooks.aux = dpif;
    for (size_t i = 0; i < BATCH; i++) {
        ft_dp_actions_init(&dpif->slots[i].actions);
    }
    *dpifp = dpif;
    return 0;
}

void
ft_dpif_destroy(struct ft_dpif *dpif)
{
    if (!dpif) {
        return;
    }
    while (dpif->n_ports) {
        ft_dpif_port_del(dpif, dpif->ports[dpif->n_ports - 1]->port_no);
    }
    ft_dpif_flow_flush(dpif);
    ft_emc_uninit(&dpif->emc);
    ft_dpcls_destroy(&dpif->cls);
    for (size_t i = 0; i < BATCH; i++) {
        ft_dp_actions_uninit(&dpif->slots[i].actions);
    }
    free(dpif->ports);
    free(dpif->pending);
    free(dpif->name);
    free(dpif);
}

const char *
ft_dpif_name(const struct ft_dpif *dpif)
{
    return dpif->name;
}

void
ft_dpif_set_upcall_cb(struct ft_dpif *dpif, ft_dpif_upcall_cb *cb,
                      void *aux)
{
    dpif->upcall_cb = cb;
    dpif->upcall_aux = aux;
}

void
ft_dpif_set_userspace_cb(struct ft_dpif *dpif, ft_dpif_userspace_cb *cb,
                         void *aux)
{
    dpif->userspace_cb = cb;
    dpif->userspace_aux = aux;
}

void
ft_dpif_set_cookie_destructor(struct ft_dpif *dpif,
                              ft_dpif_cookie_destructor *cb, void *aux)
{
    dpif->cookie_cb = cb;
    dpif->cookie_aux = aux;
}

void
ft_dpif_set_log_cb(struct ft_dpif *dpif, ft_dpif_log_cb *cb, void *aux)
{
    dpif->log_cb = cb;
    dpif->log_aux = aux;
}

void
ft_dpif_set_flow_limit(struct ft_dpif *dpif, size_t limit)
{
    dpif->flow_limit = limit;
}

size_t
ft_dpif_get_flow_limit(const struct ft_dpif *dpif)
{
    return dpif->flow_limit;
}

int
ft_dpif_port_add(struct ft_dpif *dpif, ft_port_no port_no,
                 const char *devname, const char *type,
                 const struct ft_netdev_option *opts, size_t n_opts,
                 struct ft_error *err)
{
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
                            port_no, other->netdev->name, dpif->name);
    }
    if (dpif_port_find_by_name(dpif, devname)) {
        return ft_error_set(err, -EEXIST, "port %s: already in datapath %s",
                            devname, dpif->name);
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
    port->polled = ft_netdev_get_fd(port->netdev) < 0;

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

int
ft_dpif_port_del(struct ft_dpif *dpif, ft_port_no port_no)
{
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

    ft_netdev_close(port->netdev);
    free(port->type);
    free(port);
    return 0;
}

int
ft_dpif_port_get_stats(struct ft_dpif *dpif, ft_port_no port_no,
                       struct ft_netdev_stats *stats)
{
    struct dpif_port *port = dpif_port_find(dpif, port_no);

    return port ? ft_netdev_get_stats(port->netdev, stats) : -ENOENT;
}

int
ft_dpif_port_get(const struct ft_dpif *dpif, ft_port_no port_no,
                 struct ft_dpif_port_info *info)
{
    struct dpif_port *port = dpif_port_find(dpif, port_no);

    if (!port) {
        return -ENOENT;
    }
    dpif_port_to_info(port, info);
    return 0;
}

int
ft_dpif_port_get_by_name(const struct ft_dpif *dpif, const char *devname,
                         struct ft_dpif_port_info *info)
{
    struct dpif_port *port = dpif_port_find_by_name(dpif, devname);

    if (!port) {
        return -ENOENT;
    }
    dpif_port_to_info(port, info);
    return 0;
}

int
ft_dpif_port_get_mac(const struct ft_dpif *dpif, ft_port_no port_no,
                     struct ft_eth_addr *mac)
{
    struct dpif_port *port = dpif_port_find(dpif, port_no);

    return port ? ft_netdev_get_mac(port->netdev, mac) : -ENOENT;
}

int
ft_dpif_port_foreach(const struct ft_dpif *dpif,
                     int (*cb)(const struct ft_dpif_port_info *, void *aux),
                     void *aux)
{
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

size_t
ft_dpif_port_count(const struct ft_dpif *dpif)
{
    return dpif->n_ports;
}

size_t
ft_dpif_get_fds(const struct ft_dpif *dpif, int fds[], size_t max)
{
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
    return n;
}

bool
ft_dpif_needs_polling(const struct ft_dpif *dpif)
{
    for (size_t i = 0; i < dpif->n_ports; i++) {
        if (dpif->ports[i]->polled) {
            return true;
        }
    }
    return false;
}

/* The receive path. */

static void
dpif_execute_one(struct ft_dpif *dpif, struct ft_packet *pkt,
                 const struct ft_dp_actions *actions,
                 struct ft_dpcls_flow *flow)
{
    uint32_t size = pkt->size;

    ft_execute_actions(pkt, actions, &dpif->hooks, &dpif->xstats);
    if (flow) {
        ft_dpcls_flow_credit(flow, 1, size, dpif->now);
    }
}

/* Installs the answer in 'slot' for 'key', unless the flow limit forbids
 * it.  Takes 'cookie'. */
static void
dpif_install(struct ft_dpif *dpif, struct upcall_slot *slot,
             const struct ft_flow *key, uint32_t hash, void *cookie)
{
    struct ft_dpcls_flow *flow = NULL;
    int error;

    slot->flow = NULL;
    if (ft_dpcls_count(&dpif->cls) >= dpif->flow_limit) {
        dpif->stats.n_flow_limit_hits++;
        dpif_log(dpif, "flow limit %zu reached: megaflow not installed "
                 "(%llu times so far)", dpif->flow_limit,
                 (unsigned long long) dpif->stats.n_flow_limit_hits);
        dpif_release_cookie(dpif, cookie);
        return;
    }
    error = ft_dpcls_insert(&dpif->cls, &slot->match, &slot->actions,
                            cookie, &flow);
    if (error) {
        /* -EEXIST: an identical megaflow is there (overlapping megaflows
         * from the translator); credit it.  -ENOMEM: run uninstalled. */
        dpif_log(dpif, "megaflow not installed: %s", strerror(-error));
        dpif_release_cookie(dpif, cookie);
        slot->flow = error == -EEXIST ? flow : NULL;
        return;
    }
    slot->flow = flow;
    ft_emc_insert(&dpif->emc, key, hash, flow);
}

/* Handles packet 'i' of the batch, which missed both caches. */
static void
dpif_handle_miss(struct ft_dpif *dpif, struct ft_packet *pkt, size_t i)
{
    const struct ft_flow *key = &dpif->keys[i];
    struct upcall_slot *slot;
    struct ft_error err;
    void *cookie = NULL;
    int error;

    dpif->stats.n_missed++;
    for (size_t s = 0; s < dpif->n_slots; s++) {
        slot = &dpif->slots[s];
        if (ft_match_contains(&slot->match, key)) {
            dpif_execute_one(dpif, pkt, &slot->actions, slot->flow);
            return;
        }
    }
    if (!dpif->upcall_cb) {
        dpif->stats.n_lost++;
        return;
    }

    slot = &dpif->slots[dpif->n_slots];
    memset(&slot->match, 0, sizeof slot->match);
    ft_dp_actions_clear(&slot->actions);
    ft_error_clear(&err);
    dpif->stats.n_upcalls++;
    error = dpif->upcall_cb(dpif->upcall_aux, key, pkt, &slot->match,
                            &slot->actions, &cookie, &err);
    if (error) {
        dpif->stats.n_lost++;
        dpif_log(dpif, "upcall for a packet from port %u failed: %s",
                 key->in_port, err.reason[0] ? err.reason
                 : strerror(error < 0 ? -error : error));
        dpif_release_cookie(dpif, cookie);
        return;
    }
    ft_match_normalize(&slot->match);
    if (!ft_match_contains(&slot->match, key)) {
        dpif->stats.n_bad_megaflows++;
        dpif_log(dpif, "upcall for a packet from port %u returned a "
                 "megaflow that does not match it: not installed",
                 key->in_port);
        dpif_release_cookie(dpif, cookie);
        dpif_execute_one(dpif, pkt, &slot->actions, NULL);
        return;
    }
    dpif->n_slots++;
    dpif_install(dpif, slot, key, dpif->hashes[i], cookie);
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
dpif_flow_batch_add(struct ft_dpif *dpif, struct ft_dpcls_flow *flow,
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
dpif_emc_insert_draw(struct ft_dpif *dpif)
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
dpif_emc_use(struct ft_dpif *dpif)
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
dpif_emc_account(struct ft_dpif *dpif, size_t n_lookups, size_t n_hits)
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
static uint32_t
dpif_classify(struct ft_dpif *dpif, struct ft_packet_batch *batch,
              ft_port_no port_no)
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
dpif_output_batch(struct ft_dpif *dpif, ft_port_no port_no,
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
dpif_execute_flow_batch(struct ft_dpif *dpif, struct dpif_flow_batch *fb)
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
dpif_process_batch(struct ft_dpif *dpif, struct ft_packet_batch *batch,
                   ft_port_no port_no)
{
    uint32_t miss_map = dpif_classify(dpif, batch, port_no);

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

static int
dpif_run(struct ft_dpif *dpif, int budget, bool polled_only)
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
                dpif_process_batch(dpif, &batch, port->port_no);
                total += batch.count;
                progress += batch.count;
            }
        }
        if (!progress || total >= budget) {
            break;
        }
    }
    return total;
}

int
ft_dpif_run(struct ft_dpif *dpif, int budget)
{
    return dpif_run(dpif, budget, false);
}

int
ft_dpif_run_polled(struct ft_dpif *dpif, int budget)
{
    return dpif_run(dpif, budget, true);
}

int
ft_dpif_execute(struct ft_dpif *dpif, struct ft_packet *pkt,
                const struct ft_dp_actions *actions)
{
    int error;

    dpif->now = dpif_time_msec();
    error = ft_execute_actions(pkt, actions, &dpif->hooks, &dpif->xstats);
    dpif_flush_tx(dpif);
    return error;
}

/* Megaflows. */

static struct ft_dpcls_flow *
dpif_flow_find(const struct ft_dpif *dpif, const struct ft_match *match)
{
    return ft_dpcls_find_exact(&dpif->cls, match);
}

int
ft_dpif_flow_put(struct ft_dpif *dpif, const struct ft_match *match,
                 const struct ft_dp_actions *actions, void *cookie,
                 struct ft_error *err)
{
    int error;

    if (dpif_flow_find(dpif, match)) {
        return ft_error_set(err, -EEXIST, "%s: megaflow already installed",
                            dpif->name);
    }
    if (ft_dpcls_count(&dpif->cls) >= dpif->flow_limit) {
        dpif->stats.n_flow_limit_hits++;
        return ft_error_set(err, -ENOSPC, "%s: flow limit %zu reached",
                            dpif->name, dpif->flow_limit);
    }
    error = ft_dpcls_insert(&dpif->cls, match, actions, cookie, NULL);
    if (error) {
        return ft_error_set(err, error, "%s: cannot install megaflow: %s",
                            dpif->name, strerror(-error));
    }
    return 0;
}

int
ft_dpif_flow_del(struct ft_dpif *dpif, const struct ft_match *match,
                 struct ft_stats *stats)
{
    struct ft_dpcls_flow *flow = dpif_flow_find(dpif, match);
    void *cookie;

    if (!flow) {
        return -ENOENT;
    }
    if (stats) {
        *stats = flow->stats;
    }
    cookie = flow->user;
    ft_dpcls_remove(&dpif->cls, flow);
    dpif_release_cookie(dpif, cookie);
    return 0;
}

int
ft_dpif_flow_modify_actions(struct ft_dpif *dpif,
                            const struct ft_match *match,
                            const struct ft_dp_actions *actions)
{
    struct ft_dpif_flow_info info;
    int error = ft_dpif_flow_get(dpif, match, &info);

    return error ? error : ft_dpif_flow_set_actions(dpif, &info, actions);
}

int
ft_dpif_flow_set_actions(struct ft_dpif *dpif,
                         const struct ft_dpif_flow_info *info,
                         const struct ft_dp_actions *actions)
{
    struct ft_dpcls_flow *flow = info->flow_;

    (void) dpif;
    if (!flow || flow->dead) {
        return -ENOENT;
    }
    ft_dpcls_flow_set_actions(flow, actions);
    return 0;
}

static void
dpif_flow_to_info(const struct ft_dpcls_flow *flow,
                  struct ft_dpif_flow_info *info)
{
    info->match = &flow->match;
    info->actions = &flow->actions;
    info->stats = flow->stats;
    info->cookie = flow->user;
    info->flow_ = (struct ft_dpcls_flow *) flow;
}

int
ft_dpif_flow_get(const struct ft_dpif *dpif, const struct ft_match *match,
                 struct ft_dpif_flow_info *info)
{
    struct ft_dpcls_flow *flow = dpif_flow_find(dpif, match);

    if (!flow) {
        return -ENOENT;
    }
    dpif_flow_to_info(flow, info);
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

    c->flows[c->n++] = ft_dpcls_flow_ref(flow);
    return 0;
}

/* Stores a referenced snapshot of every megaflow in '*c'.  Returns 0 or
 * -ENOMEM. */
static int
dpif_snapshot_flows(struct ft_dpif *dpif, struct flow_collect *c)
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

static void
dpif_snapshot_release(struct flow_collect *c)
{
    for (size_t i = 0; i < c->n; i++) {
        ft_dpcls_flow_unref(c->flows[i]);
    }
    free(c->flows);
}

int
ft_dpif_flow_foreach(struct ft_dpif *dpif,
                     int (*cb)(const struct ft_dpif_flow_info *, void *aux),
                     void *aux)
{
    struct flow_collect c;
    int retval = 0;

    if (dpif_snapshot_flows(dpif, &c)) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < c.n && !retval; i++) {
        struct ft_dpif_flow_info info;

        if (!c.flows[i]->dead) {
            dpif_flow_to_info(c.flows[i], &info);
            retval = cb(&info, aux);
        }
    }
    dpif_snapshot_release(&c);
    return retval;
}

struct ft_dpif_walk {
    struct flow_collect c;
    size_t next;                /* Index of the next megaflow to visit. */
};

struct ft_dpif_walk *
ft_dpif_walk_start(struct ft_dpif *dpif)
{
    struct ft_dpif_walk *w = malloc(sizeof *w);

    if (!w) {
        return NULL;
    }
    if (dpif_snapshot_flows(dpif, &w->c)) {
        free(w);
        return NULL;
    }
    w->next = 0;
    return w;
}

bool
ft_dpif_walk_step(struct ft_dpif *dpif, struct ft_dpif_walk *w, size_t max,
                  int (*cb)(const struct ft_dpif_flow_info *, void *aux),
                  void *aux)
{
    (void) dpif;
    for (size_t n = 0; n < max && w->next < w->c.n; n++) {
        struct ft_dpcls_flow *flow = w->c.flows[w->next++];

        if (!flow->dead) {
            struct ft_dpif_flow_info info;

            dpif_flow_to_info(flow, &info);
            cb(&info, aux);
        }
    }
    return w->next >= w->c.n;
}

void
ft_dpif_walk_finish(struct ft_dpif_walk *w)
{
    if (w) {
        dpif_snapshot_release(&w->c);
        free(w);
    }
}

static int
dpif_first_flow(struct ft_dpcls_flow *flow, void *aux)
{
    struct ft_dpcls_flow **flowp = aux;

    *flowp = flow;
    return 1;
}

void
ft_dpif_flow_flush(struct ft_dpif *dpif)
{
    struct flow_collect c;

    if (!dpif_snapshot_flows(dpif, &c)) {
        for (size_t i = 0; i < c.n; i++) {
            void *cookie = c.flows[i]->user;

            ft_dpcls_remove(&dpif->cls, c.flows[i]);
            dpif_release_cookie(dpif, cookie);
        }
        dpif_snapshot_release(&c);
    } else {
        /* No memory for a snapshot: remove one megaflow at a time. */
        struct ft_dpcls_flow *flow = NULL;

        while (ft_dpcls_foreach(&dpif->cls, dpif_first_flow, &flow)) {
            void *cookie = flow->user;

            ft_dpcls_remove(&dpif->cls, flow);
            dpif_release_cookie(dpif, cookie);
        }
    }
    ft_emc_flush(&dpif->emc);
}

size_t
ft_dpif_flow_count(const struct ft_dpif *dpif)
{
    return ft_dpcls_count(&dpif->cls);
}

void
ft_dpif_get_stats(const struct ft_dpif *dpif, struct ft_dpif_stats *stats)
{
    *stats = dpif->stats;
    stats->n_exec_skipped = dpif->xstats.n_skipped;
    stats->n_flows = ft_dpcls_count(&dpif->cls);
    stats->n_masks = ft_dpcls_n_subtables(&dpif->cls);
}

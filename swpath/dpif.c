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
};

/* One upcall's answer, reused by later misses of the same batch. */
struct upcall_slot {
    struct ft_match match;
    struct ft_dp_actions actions;
    struct ft_dpcls_flow *flow;     /* Installed megaflow, or NULL. */
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
    struct ft_dpcls_flow *flows[BATCH];
    bool valid[BATCH];
    struct upcall_slot slots[BATCH];
    size_t n_slots;
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
        if (ft_netdev_get_fd(dpif->ports[i]->netdev) < 0) {
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

/* Parses and looks up every packet of 'batch' (from 'port_no'). */
static void
dpif_classify(struct ft_dpif *dpif, struct ft_packet_batch *batch,
              ft_port_no port_no)
{
    const struct ft_flow *miss_keys[BATCH];
    struct ft_dpcls_flow *found[BATCH];
    size_t miss_idx[BATCH];
    size_t n_miss = 0;

    for (size_t i = 0; i < batch->count; i++) {
        struct ft_packet *pkt = batch->packets[i];
        struct ft_flow *key = &dpif->keys[i];

        pkt->in_port = port_no;
        ft_packet_parse(pkt);
        dpif->flows[i] = NULL;
        dpif->valid[i] = !ft_flow_extract(ft_packet_data(pkt), pkt->size,
                                          port_no, key);
        if (!dpif->valid[i]) {
            continue;
        }
        dpif->hashes[i] = ft_emc_hash(key);
        dpif->flows[i] = ft_emc_lookup(&dpif->emc, key, dpif->hashes[i]);
        if (dpif->flows[i]) {
            dpif->stats.n_hit_emc++;
        } else {
            miss_keys[n_miss] = key;
            miss_idx[n_miss++] = i;
        }
    }
    if (!n_miss) {
        return;
    }
    ft_dpcls_lookup_batch(&dpif->cls, miss_keys, n_miss, found);
    for (size_t m = 0; m < n_miss; m++) {
        size_t i = miss_idx[m];

        if (found[m]) {
            dpif->flows[i] = found[m];
            dpif->stats.n_hit_megaflow++;
            ft_emc_insert(&dpif->emc, &dpif->keys[i], dpif->hashes[i],
                          found[m]);
        }
    }
}

static void
dpif_process_batch(struct ft_dpif *dpif, struct ft_packet_batch *batch,
                   ft_port_no port_no)
{
    dpif_classify(dpif, batch, port_no);
    dpif->n_slots = 0;
    for (size_t i = 0; i < batch->count; i++) {
        struct ft_packet *pkt = batch->packets[i];
        struct ft_dpcls_flow *flow = dpif->flows[i];

        if (!dpif->valid[i]) {
            dpif->stats.n_invalid++;
        } else if (flow) {
            dpif_execute_one(dpif, pkt, &flow->actions, flow);
        } else {
            dpif_handle_miss(dpif, pkt, i);
        }
    }
    dpif_flush_tx(dpif);
}

int
ft_dpif_run(struct ft_dpif *dpif, int budget)
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

            ft_packet_batch_init(&batch);
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
    struct ft_dpcls_flow *flow = dpif_flow_find(dpif, match);
    struct ft_dpcls_flow *new_flow;
    struct ft_match copy;
    struct ft_stats stats;
    void *cookie;
    int error;

    if (!flow) {
        return -ENOENT;
    }
    if (ft_dp_actions_equal(&flow->actions, actions)) {
        return 0;
    }
    /* The cache's megaflows are immutable (EMC entries point to them):
     * replace it, carrying the stats and cookie over. */
    copy = flow->match;
    stats = flow->stats;
    cookie = flow->user;
    ft_dpcls_remove(&dpif->cls, flow);
    error = ft_dpcls_insert(&dpif->cls, &copy, actions, cookie, &new_flow);
    if (error) {
        dpif_release_cookie(dpif, cookie);
        return error;
    }
    new_flow->stats = stats;
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

/*
 * server.c - flowtierd's server: the running bridges kept in step with the
 * configuration database, and the JSON-RPC method table (see server.h).
 *
 * Part of the management plane.  This file owns the bridges' lifecycle:
 * building a bridge configuration from database rows, making the running
 * bridges match the database inside a transaction (and putting them back
 * when the transaction fails), and hooking each bridge's file descriptors
 * and timers into the event loop: the periodic work, the polling of
 * ports without a descriptor (DPDK, below), and the check of its ports
 * every FT_BRIDGE_PORT_RETRY_INTERVAL ms (or when a descriptor reports an
 * error) that closes ports whose device is gone and opens those that
 * could not be opened.  At startup a bridge runs with the ports that
 * open.  It keeps the set of releases of removed DPDK ports' devices
 * that the bridges share and that outlives them (a deleted bridge's
 * ports are released there, in threads); the server's destruction waits
 * for them.  The commands themselves live in server-config.c and
 * server-flows.c.
 *
 * Polling ports without a descriptor
 * ==================================
 *
 * A bridge with DPDK ports is polled adaptively, like Open vSwitch's PMD
 * threads but in the daemon's one thread.  Idle, it polls once a
 * millisecond (a one-shot 1 ms timer), so an idle daemon costs next to no
 * CPU.  As soon as a poll returns packets the bridge is busy: each run of
 * the poll callback then polls the ports without a descriptor up to
 * SRV_POLL_ROUNDS times in a row (a burst of up to 32 packets per port
 * each; the ports with a descriptor are read when epoll says they are
 * readable, not with a system call per round), and re-arms itself with a
 * 0 ms timer, so the loop goes round without sleeping in epoll_wait()
 * (timeout 0) and still serves the control socket, the other descriptors
 * and the timers between two runs, i.e. every SRV_POLL_ROUNDS polls (about
 * 1 to 2 ms at 20 Mpps) or after SRV_POLL_MAX_NS, whichever comes first:
 * when every packet misses (a flood of new flows), 1,024 rounds of
 * upcalls would keep the control socket and the revalidator waiting for
 * a tenth of a second.  After SRV_POLL_IDLE_NS of polls that return
 * nothing, the bridge goes back to the 1 ms timer.
 *
 * The Bridge other_config key "pmd-cpu" (a CPU number) pins the daemon's
 * thread to that CPU while a bridge that has it runs (the first such
 * bridge decides), so that the polling loop keeps its core and caches;
 * without it the thread runs where it did before.
 */
#include "mgmt/daemon/server-private.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include "mgmt/daemon/event-loop.h"
#include "offload/offload-rte-flow.h"
#include "offload/offload-tc.h"
#include "offload/offload-verbs.h"

#define MODULE "server"

/* Polls in one run of the poll callback while a bridge is busy. */
#define SRV_POLL_ROUNDS 1024

/* A run of the poll callback gives the loop back after this long. */
#define SRV_POLL_MAX_NS 1000000

/* Empty polls for this long end the busy state. */
#define SRV_POLL_IDLE_NS 100000

/* ---- Owned bridge configurations. ---- */

static void *
cfg_keep(struct srv_cfg *c, void *p)
{
    if (!p) {
        abort();
    }
    if (c->n_ptrs == c->allocated_ptrs) {
        c->allocated_ptrs = c->allocated_ptrs ? 2 * c->allocated_ptrs : 16;
        c->ptrs = realloc(c->ptrs, c->allocated_ptrs * sizeof *c->ptrs);
        if (!c->ptrs) {
            abort();
        }
    }
    c->ptrs[c->n_ptrs++] = p;
    return p;
}

static char *
cfg_strdup(struct srv_cfg *c, const char *s)
{
    return s ? cfg_keep(c, strdup(s)) : NULL;
}

void
srv_cfg_destroy(struct srv_cfg *c)
{
    if (c) {
        for (size_t i = 0; i < c->n_ptrs; i++) {
            free(c->ptrs[i]);
        }
        free(c->ptrs);
        free(c);
    }
}

static struct ft_bridge_smap
cfg_smap(struct srv_cfg *c, const struct ft_db_datum *d)
{
    struct ft_bridge_smap m = { NULL, NULL, 0 };

    if (d && d->n) {
        char **keys = cfg_keep(c, calloc(d->n, sizeof *keys));
        char **values = cfg_keep(c, calloc(d->n, sizeof *values));

        for (size_t i = 0; i < d->n; i++) {
            keys[i] = cfg_strdup(c, d->strs[i]);
            values[i] = cfg_strdup(c, d->values[i]);
        }
        m.keys = keys;
        m.values = values;
        m.n = d->n;
    }
    return m;
}

/* Builds the configuration of the bridge in row 'brow' of 'db' (as the
 * open transaction, if any, has made it).  Returns 0 and '*cfgp', or a
 * negative errno with 'err' filled for what a bridge cannot run (a port
 * with several interfaces). */
/* The controller targets of a bridge, each checked. */
static int
cfg_controllers(struct srv_cfg *c, const struct ft_db_datum *d,
                const char *br_name, struct ft_error *err)
{
    c->controllers = cfg_keep(c, calloc(d->n + 1, sizeof *c->controllers));
    for (size_t i = 0; i < d->n; i++) {
        if (srv_openflow_check_target(d->strs[i], err)) {
            char reason[FT_ERROR_REASON_MAX];

            snprintf(reason, sizeof reason, "%s", err->reason);
            return ft_error_set(err, -EINVAL, "bridge %s: controller: %s",
                                br_name, reason);
        }
        c->controllers[i] = cfg_strdup(c, d->strs[i]);
    }
    c->n_controllers = d->n;
    return 0;
}

static int
cfg_from_db(const struct ft_db *db, const struct ft_db_row *brow,
            struct srv_cfg **cfgp, struct ft_error *err)
{
    const char *br_name = ft_db_row_name(brow);
    const struct ft_db_datum *ports = ft_db_row_get(brow, "ports");
    struct srv_cfg *c = calloc(1, sizeof *c);
    const struct ft_db_row **ifaces;
    struct ft_bridge_port_cfg *pcs;
    int64_t *ofports;

    if (!c) {
        abort();
    }
    *cfgp = NULL;
    c->cfg.fail_mode = cfg_strdup(c, ft_db_row_string(brow, "fail_mode"));
    c->cfg.datapath_type = cfg_strdup(c, ft_db_row_string(brow,
                                                          "datapath_type"));
    c->cfg.other_config = cfg_smap(c, ft_db_row_get(brow, "other_config"));
    c->flows_persist = ft_db_row_bool(brow, "flows_persist");
    if (cfg_controllers(c, ft_db_row_get(brow, "controller"), br_name,
                        err)) {
        srv_cfg_destroy(c);
        return -EINVAL;
    }
    pcs = cfg_keep(c, calloc(ports->n + 1, sizeof *pcs));
    ifaces = cfg_keep(c, calloc(ports->n + 1, sizeof *ifaces));
    ofports = cfg_keep(c, calloc(ports->n + 1, sizeof *ofports));

    for (size_t i = 0; i < ports->n; i++) {
        const struct ft_db_row *prow = ft_db_find(db, FT_DB_PORT,
                                                  ports->strs[i]);
        const struct ft_db_datum *ifs = prow
                                        ? ft_db_row_get(prow, "interfaces")
                                        : NULL;
        const struct ft_db_datum *trunks;
        int64_t tag;

        if (!ifs || ifs->n != 1
            || !(ifaces[i] = ft_db_find(db, FT_DB_INTERFACE, ifs->strs[0]))) {
            int error = ft_error_set(err, -EOPNOTSUPP, "port %s: a port "
                                     "must have exactly one interface "
                                     "(bonds are not supported)",
                                     ports->strs[i]);

            srv_cfg_destroy(c);
            return error;
        }
        pcs[i].name = cfg_strdup(c, ports->strs[i]);
        pcs[i].type = cfg_strdup(c, ft_db_row_string(ifaces[i], "type"));
        pcs[i].options = cfg_smap(c, ft_db_row_get(ifaces[i], "options"));
        pcs[i].other_config = cfg_smap(c, ft_db_row_get(ifaces[i],
                                                        "other_config"));
        pcs[i].tag = ft_db_row_int(prow, "tag", &tag) ? (int) tag : -1;
        trunks = ft_db_row_get(prow, "trunks");
        if (trunks->n) {
            int64_t *t = cfg_keep(c, calloc(trunks->n, sizeof *t));

            memcpy(t, trunks->ints, trunks->n * sizeof *t);
            pcs[i].trunks = t;
            pcs[i].n_trunks = trunks->n;
        }
        pcs[i].vlan_mode = cfg_strdup(c, ft_db_row_string(prow,
                                                          "vlan_mode"));
    }
    ft_db_plan_ofports(br_name, ifaces, ports->n, ofports);
    for (size_t i = 0; i < ports->n; i++) {
        pcs[i].ofport = (ft_port_no) ofports[i];
    }
    c->cfg.ports = pcs;
    c->cfg.n_ports = ports->n;
    *cfgp = c;
    return 0;
}

/* True if the committed database gives every port of 'c' the number that
 * was predicted for it. */
static bool
cfg_ofports_match(const struct ft_db *db, const struct srv_cfg *c)
{
    for (size_t i = 0; i < c->cfg.n_ports; i++) {
        const struct ft_db_row *irow = ft_db_find(db, FT_DB_INTERFACE,
                                                  c->cfg.ports[i].name);
        int64_t ofport;

        if (!irow || !ft_db_row_int(irow, "ofport", &ofport)
            || ofport != c->cfg.ports[i].ofport) {
            return false;
        }
    }
    return true;
}

/* ---- Bridges in the event loop. ---- */

static void bridge_watch(struct srv_bridge *);

/* Closes the ports whose device has gone and opens the ones that failed
 * before; watches the descriptors again if that changed any. */
static void
bridge_check_ports(struct srv_bridge *sb)
{
    if (ft_bridge_check_ports(sb->br, ft_time_msec())) {
        bridge_watch(sb);
    }
    srv_bridge_schedule(sb);
}

static void
bridge_check_cb(void *sb_)
{
    bridge_check_ports(sb_);
}

static void
bridge_recheck_cb(void *sb_)
{
    struct srv_bridge *sb = sb_;

    sb->recheck_timer = 0;
    bridge_check_ports(sb);
}

/* Device notifications: ports closed and opened at once. */
static void
bridge_link_cb(int fd, uint32_t events, void *sb_)
{
    struct srv_bridge *sb = sb_;

    (void) fd;
    (void) events;
    if (ft_bridge_link_run(sb->br, ft_time_msec())) {
        bridge_watch(sb);
    }
    srv_bridge_schedule(sb);
}

static void
bridge_fd_cb(int fd, uint32_t events, void *sb_)
{
    struct srv_bridge *sb = sb_;
    uint64_t round = ft_loop_round(sb->server->loop);

    /* One run reads every port of the bridge (a burst each): with several
     * ports readable, running it for each of their fds in the same round
     * multiplied the upcalls a control request waits behind (the fds
     * still readable are back in the next round). */
    if (sb->fd_round != round) {
        sb->fd_round = round;
        ft_bridge_run(sb->br, ft_time_msec());
    }
    if (events & (EPOLLERR | EPOLLHUP)) {
        /* The device may be gone (a veth deleted under the bridge).  A
         * socket's pending error is taken here, so that a port whose
         * device is still there does not report it again at once. */
        int soerr;
        socklen_t len = sizeof soerr;

        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
        bridge_check_ports(sb);
        if (!sb->recheck_timer) {
            /* A device being deleted reports the error while its name
             * still exists: look again once the deletion is through. */
            sb->recheck_timer = ft_loop_add_timer(sb->server->loop, 200, 0,
                                                  bridge_recheck_cb, sb);
        }
        return;
    }
    srv_bridge_schedule(sb);
}

static long long int
srv_time_nsec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long int) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Polls the bridge's ports: once when it is idle, up to SRV_POLL_ROUNDS
 * times while it is busy (see "Polling ports without a descriptor"). */
static void
bridge_poll_cb(void *sb_)
{
    struct srv_bridge *sb = sb_;
    long long int start = srv_time_nsec(), t = start;

    sb->poll_timer = 0;
    for (unsigned int i = 0; i < SRV_POLL_ROUNDS; i++) {
        int n;

        /* Every round: when every packet misses, one round's upcalls (a
         * burst per port, each translated) can take a millisecond on a
         * loaded machine, and eight of them kept the control socket
         * waiting.  One clock reading a round serves the budget, the
         * idle test and the datapath's time (ft_time_msec()'s clock):
         * with short polls (a memif peer) each reading is a few percent
         * of the round. */
        if (i && t - start >= SRV_POLL_MAX_NS) {
            break;
        }
        n = ft_bridge_run_polled(sb->br, t / 1000000);
        t = srv_time_nsec();
        if (n > 0) {
            sb->busy = true;
            sb->idle_since_ns = 0;
            continue;
        }
        if (!sb->busy) {
            break;
        }
        if (!sb->idle_since_ns) {
            sb->idle_since_ns = t;
        } else if (t - sb->idle_since_ns >= SRV_POLL_IDLE_NS) {
            sb->busy = false;
            sb->idle_since_ns = 0;
            break;
        }
    }
    srv_bridge_schedule(sb);
    sb->poll_timer = ft_loop_add_timer(sb->server->loop, sb->busy ? 0 : 1,
                                       0, bridge_poll_cb, sb);
}

/* Pins the thread to the CPU of the first bridge with other_config
 * "pmd-cpu", or puts its CPUs back if no bridge has one. */
static void
srv_apply_pmd_cpu(struct ft_server *s)
{
    int want = -1;

    for (size_t i = 0; i < s->n_bridges && want < 0; i++) {
        const struct ft_bridge_smap *oc
            = &s->bridges[i]->cfg->cfg.other_config;

        for (size_t j = 0; j < oc->n; j++) {
            char *end;
            long v;

            if (strcmp(oc->keys[j], "pmd-cpu")) {
                continue;
            }
            errno = 0;
            v = strtol(oc->values[j], &end, 10);
            if (errno || end == oc->values[j] || *end || v < 0
                || v >= CPU_SETSIZE) {
                ft_log_msg(s->log, FT_LOG_ERR, MODULE, "bridge %s: "
                           "other_config:pmd-cpu: '%s' is not a CPU "
                           "number", s->bridges[i]->name, oc->values[j]);
                continue;
            }
            want = v;
            break;
        }
    }
    if (want == s->pmd_cpu) {
        return;
    }
    if (want >= 0) {
        cpu_set_t set;
        int error;

        if (!s->have_affinity) {
            s->have_affinity = !pthread_getaffinity_np(
                pthread_self(), sizeof s->affinity, &s->affinity);
        }
        CPU_ZERO(&set);
        CPU_SET(want, &set);
        error = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
        if (error) {
            ft_log_msg(s->log, FT_LOG_ERR, MODULE, "other_config:pmd-cpu="
                       "%d: cannot pin the thread: %s", want,
                       strerror(error));
            return;
        }
        ft_log_msg(s->log, FT_LOG_INFO, MODULE, "polling thread pinned to "
                   "CPU %d (other_config:pmd-cpu)", want);
    } else if (s->have_affinity) {
        pthread_setaffinity_np(pthread_self(), sizeof s->affinity,
                               &s->affinity);
    }
    s->pmd_cpu = want;
}

static void
bridge_unwatch(struct srv_bridge *sb)
{
    ft_loop_cancel_timer(sb->server->loop, sb->poll_timer);
    sb->poll_timer = 0;
    for (size_t i = 0; i < sb->n_fds; i++) {
        ft_loop_del_fd(sb->server->loop, sb->fds[i]);
    }
    free(sb->fds);
    sb->fds = NULL;
    sb->n_fds = 0;
}

/* Watches the bridge's current descriptors (they change only when the
 * bridge is reconfigured). */
static void
bridge_watch(struct srv_bridge *sb)
{
    size_t n, max = 16;
    int *fds;

    bridge_unwatch(sb);
    for (;;) {
        fds = calloc(max, sizeof *fds);
        if (!fds) {
            abort();
        }
        n = ft_bridge_get_fds(sb->br, fds, max);
        if (n <= max) {
            break;
        }
        free(fds);
        max = n;
    }
    sb->fds = fds;
    sb->n_fds = n;
    if (ft_bridge_needs_polling(sb->br)) {
        sb->busy = false;
        sb->idle_since_ns = 0;
        sb->poll_timer = ft_loop_add_timer(sb->server->loop, 1, 0,
                                           bridge_poll_cb, sb);
    }
    srv_apply_pmd_cpu(sb->server);
    for (size_t i = 0; i < n; i++) {
        int error = ft_loop_add_fd(sb->server->loop, fds[i], EPOLLIN,
                                   bridge_fd_cb, sb);

        if (error) {
            ft_log_msg(sb->server->log, FT_LOG_ERR, MODULE, "bridge %s: "
                       "cannot watch fd %d: %s", sb->name, fds[i],
                       strerror(-error));
        }
    }
}

/* Drops from the database the flows that timed out on 'sb'. */
static void
bridge_sync_expired(struct srv_bridge *sb)
{
    struct ft_server *s = sb->server;
    struct ft_bridge_flow_changes changes;
    struct ft_db_txn *txn;
    struct ft_error err;
    int error;

    ft_bridge_flow_changes_init(&changes);
    ft_bridge_take_expired_flows(sb->br, &changes);
    if (!changes.n_removed || !sb->cfg->flows_persist) {
        goto out;
    }
    error = ft_db_txn_begin(s->db, &txn, &err);
    if (!error) {
        error = srv_flows_mirror(s, txn, sb, &changes, &err);
        if (!error) {
            error = ft_db_txn_commit(txn, &err);
        } else {
            ft_db_txn_abort(txn);
        }
    }
    if (error) {
        ft_log_rl(s->log, &s->rl, FT_LOG_ERR, MODULE, "bridge %s: cannot "
                  "remove %zu timed-out flows from the database: %s",
                  sb->name, changes.n_removed, err.reason);
    }
out:
    ft_bridge_flow_changes_uninit(&changes);
}

static void
bridge_timer_cb(void *sb_)
{
    struct srv_bridge *sb = sb_;

    sb->timer = 0;
    if (ft_bridge_finish_opens(sb->br, ft_time_msec())) {
        bridge_watch(sb);
    }
    ft_bridge_periodic(sb->br, ft_time_msec());
    bridge_sync_expired(sb);
    srv_bridge_schedule(sb);
}

void
srv_bridge_schedule(struct srv_bridge *sb)
{
    long long int when = ft_bridge_next_wakeup(sb->br);
    long long int now = ft_time_msec();

    if (sb->timer && sb->timer_when == when) {
        return;
    }
    ft_loop_cancel_timer(sb->server->loop, sb->timer);
    sb->timer = ft_loop_add_timer(sb->server->loop, when - now, 0,
                                  bridge_timer_cb, sb);
    sb->timer_when = when;
}

/* Gives 'br' the offload providers of this build: TC flower (kernel
 * netdevs), rte_flow (DPDK ports) and verbs flow steering (netdevs with
 * an RDMA device behind) for the hw tier, and TC flower in software for
 * the kernel tier (the ports whose tc-policy is skip_hw); each serves the
 * ports its probe accepts, and a megaflow goes to the first that serves
 * its port.  One that cannot start (no rtnetlink) is logged, and the
 * bridge runs without it. */
static void
bridge_attach_offloads(struct ft_server *s, struct ft_bridge *br)
{
    static const struct {
        const struct ft_offload_class *class;
        const char *name;
        enum ft_tier tier;
    } providers[] = {
        { &ft_offload_tc_class, "tc", FT_TIER_HW },
        { &ft_offload_rte_flow_class, "rte_flow", FT_TIER_HW },
        { &ft_offload_verbs_class, "verbs", FT_TIER_HW },
        { &ft_offload_tc_class, "tc-sw", FT_TIER_KERNEL },
    };

    for (size_t i = 0; i < sizeof providers / sizeof providers[0]; i++) {
        struct ft_offload *o;
        struct ft_error err;

        ft_error_clear(&err);
        if (ft_offload_create(providers[i].class, providers[i].name,
                              providers[i].tier, &o, &err)) {
            ft_log_msg(s->log, FT_LOG_WARN, MODULE, "bridge %s: no %s "
                       "offload: %s", ft_bridge_name(br), providers[i].name,
                       err.reason);
        } else if (ft_bridge_offload_attach(br, o)) {
            ft_offload_destroy(o);
        }
    }
}

/* Creates running bridge 'name' configured as 'cfg' (which it takes).
 * Returns 0 and '*sbp' or a negative errno; 'cfg' is freed on error. */
static int
bridge_start(struct ft_server *s, const char *name, struct srv_cfg *cfg,
             struct srv_bridge **sbp, struct ft_error *err)
{
    long long int now = ft_time_msec();
    struct srv_bridge *sb;
    struct ft_bridge *br;
    int error;

    *sbp = NULL;
    error = ft_bridge_create(name, cfg->cfg.datapath_type, now, &br, err);
    if (!error) {
        ft_bridge_set_log(br, s->log);
        ft_bridge_set_releases(br, s->releases);
        bridge_attach_offloads(s, br);
        error = ft_bridge_reconfigure(br, &cfg->cfg, now, err);
        if (error) {
            ft_bridge_destroy(br);
        }
    }
    if (error) {
        srv_cfg_destroy(cfg);
        return error;
    }
    sb = calloc(1, sizeof *sb);
    if (!sb || !(sb->name = strdup(name))) {
        abort();
    }
    sb->br = br;
    sb->cfg = cfg;
    sb->server = s;
    if (s->n_bridges == s->allocated_bridges) {
        s->allocated_bridges = s->allocated_bridges
                               ? 2 * s->allocated_bridges : 4;
        s->bridges = realloc(s->bridges,
                             s->allocated_bridges * sizeof *s->bridges);
        if (!s->bridges) {
            abort();
        }
    }
    s->bridges[s->n_bridges++] = sb;
    error = ft_bridge_link_start(br, err);
    if (!error) {
        error = ft_loop_add_fd(s->loop, ft_bridge_link_fd(br), EPOLLIN,
                               bridge_link_cb, sb);
        if (error) {
            ft_error_set(err, error, "%s", strerror(-error));
        }
    }
    if (error) {
        ft_log_msg(s->log, FT_LOG_WARN, MODULE, "bridge %s: no device "
                   "notifications, ports follow their devices every %d "
                   "ms: %s", name, FT_BRIDGE_PORT_RETRY_INTERVAL,
                   err->reason);
    }
    bridge_watch(sb);
    srv_bridge_schedule(sb);
    sb->check_timer = ft_loop_add_timer(s->loop,
                                        FT_BRIDGE_PORT_RETRY_INTERVAL,
                                        FT_BRIDGE_PORT_RETRY_INTERVAL,
                                        bridge_check_cb, sb);
    if (srv_openflow_start(sb, err)) {
        ft_log_msg(s->log, FT_LOG_WARN, MODULE, "bridge %s: no OpenFlow "
                   "socket: %s", name, err->reason);
    }
    *sbp = sb;
    return 0;
}

static void releases_watch(struct ft_server *);

/* Frees the releases of removed DPDK ports' devices that have ended and
 * looks again later while some are under way. */
static void
releases_timer_cb(void *s_)
{
    struct ft_server *s = s_;

    s->releases_timer = 0;
    releases_watch(s);
}

/* The bridges free their releases that ended on their timers, but those
 * of a deleted bridge may be left with no bridge to: the server looks at
 * them every RELEASES_CHECK_MS while there are some. */
#define RELEASES_CHECK_MS 100
static void
releases_watch(struct ft_server *s)
{
    if (!s->releases_timer && ft_bridge_releases_reap(s->releases, s->log)) {
        s->releases_timer = ft_loop_add_timer(s->loop, RELEASES_CHECK_MS, 0,
                                              releases_timer_cb, s);
    }
}

static void
bridge_stop(struct ft_server *s, struct srv_bridge *sb)
{
    for (size_t i = 0; i < s->n_bridges; i++) {
        if (s->bridges[i] == sb) {
            memmove(&s->bridges[i], &s->bridges[i + 1],
                    (s->n_bridges - i - 1) * sizeof *s->bridges);
            s->n_bridges--;
            break;
        }
    }
    srv_openflow_stop(sb);
    bridge_unwatch(sb);
    if (ft_bridge_link_fd(sb->br) >= 0) {
        ft_loop_del_fd(s->loop, ft_bridge_link_fd(sb->br));
    }
    ft_loop_cancel_timer(s->loop, sb->timer);
    ft_loop_cancel_timer(s->loop, sb->check_timer);
    ft_loop_cancel_timer(s->loop, sb->recheck_timer);
    /* Its DPDK ports' devices are released in threads (kept in
     * 's->releases'). */
    ft_bridge_destroy(sb->br);
    releases_watch(s);
    srv_cfg_destroy(sb->cfg);
    free(sb->name);
    free(sb);
    srv_apply_pmd_cpu(s);
}

const char *
srv_iface_error(const struct ft_server *s, const char *iface)
{
    const struct ft_db_row *port = ft_db_iface_port(s->db, iface);
    const struct ft_db_row *br = port ? ft_db_port_bridge(
        s->db, ft_db_row_name(port)) : NULL;
    struct srv_bridge *sb = br ? srv_bridge_find(s, ft_db_row_name(br))
                               : NULL;
    const char *error;

    /* A port has one interface of its name (cfg_from_db()).  An open
     * port that runs degraded (an afxdp port on AF_PACKET) shows why. */
    if (!sb) {
        return NULL;
    }
    error = ft_bridge_port_error(sb->br, ft_db_row_name(port));
    return error ? error : ft_bridge_port_degraded(sb->br,
                                                   ft_db_row_name(port));
}

struct srv_bridge *
srv_bridge_find(const struct ft_server *s, const char *name)
{
    for (size_t i = 0; i < s->n_bridges; i++) {
        if (!strcmp(s->bridges[i]->name, name)) {
            return s->bridges[i];
        }
    }
    return NULL;
}

int
srv_bridge_get(const struct ft_server *s, json_t *params,
               struct srv_bridge **sbp, struct ft_error *err)
{
    const char *name = json_string_value(json_object_get(params, "bridge"));

    *sbp = name ? srv_bridge_find(s, name) : NULL;
    if (!*sbp) {
        return ft_error_set(err, -ENOENT, "no bridge named \"%s\"",
                            name ? name : "");
    }
    return 0;
}

/* Adds the default flow to a new bridge 'sb' (unless its fail_mode is
 * secure) and, if it persists flows, to its row in 'txn'. */
static int
bridge_add_default_flow(struct ft_server *s, struct srv_bridge *sb,
                        struct ft_db_txn *txn, struct ft_error *err)
{
    static const char *const lines[] = { FT_BRIDGE_DEFAULT_FLOW };
    struct ft_bridge_flow_changes changes;
    int error;

    if (sb->cfg->cfg.fail_mode && !strcmp(sb->cfg->cfg.fail_mode, "secure")) {
        return 0;
    }
    ft_bridge_flow_changes_init(&changes);
    error = ft_bridge_flow_mod_lines(sb->br, FT_FLOW_ADD, lines, 1, 0,
                                     ft_time_msec(), &changes, err);
    if (!error && txn && sb->cfg->flows_persist) {
        error = srv_flows_mirror(s, txn, sb, &changes, err);
    }
    ft_bridge_flow_changes_uninit(&changes);
    return error;
}

/* ---- Making the bridges match the database. ---- */

/* What a transaction did to the running bridges, to undo or finish. */
struct reconcile {
    struct srv_bridge **created;        /* Undo: stop. */
    size_t n_created;
    struct srv_bridge **changed;        /* Undo: back to 'old_cfgs'. */
    struct srv_cfg **old_cfgs;
    size_t n_changed;
    struct srv_bridge **deleted;        /* Finish: stop. */
    size_t n_deleted;
};

static void
reconcile_destroy(struct reconcile *r)
{
    free(r->created);
    free(r->changed);
    free(r->old_cfgs);
    free(r->deleted);
}

/* Puts the bridges back as they were before the transaction. */
static void
reconcile_undo(struct ft_server *s, struct reconcile *r)
{
    long long int now = ft_time_msec();

    for (size_t i = r->n_changed; i-- > 0;) {
        struct srv_bridge *sb = r->changed[i];
        struct ft_error err;

        /* Back to what it was, devices that are gone or not. */
        r->old_cfgs[i]->cfg.keep_failed_ports = true;
        if (ft_bridge_reconfigure(sb->br, &r->old_cfgs[i]->cfg, now, &err)) {
            ft_log_msg(s->log, FT_LOG_ERR, MODULE, "bridge %s: cannot "
                       "restore its previous configuration: %s",
                       sb->name, err.reason);
        }
        srv_cfg_destroy(sb->cfg);
        sb->cfg = r->old_cfgs[i];
        bridge_watch(sb);
        srv_bridge_schedule(sb);
    }
    for (size_t i = r->n_created; i-- > 0;) {
        bridge_stop(s, r->created[i]);
    }
    r->n_changed = r->n_created = 0;
}

/* Makes the running bridges match the database as the open transaction
 * leaves it.  On failure undoes what it did and returns the error. */
static int
reconcile_run(struct ft_server *s, struct reconcile *r, struct ft_error *err)
{
    size_t n_rows = ft_db_n_rows(s->db, FT_DB_BRIDGE);
    const struct ft_db_row *row;
    size_t idx;
    int error = 0;

    memset(r, 0, sizeof *r);
    r->created = calloc(n_rows + 1, sizeof *r->created);
    r->changed = calloc(s->n_bridges + 1, sizeof *r->changed);
    r->old_cfgs = calloc(s->n_bridges + 1, sizeof *r->old_cfgs);
    r->deleted = calloc(s->n_bridges + 1, sizeof *r->deleted);
    if (!r->created || !r->changed || !r->old_cfgs || !r->deleted) {
        abort();
    }

    /* Running bridges that the database no longer has. */
    for (size_t i = 0; i < s->n_bridges; i++) {
        if (!ft_db_find(s->db, FT_DB_BRIDGE, s->bridges[i]->name)) {
            r->deleted[r->n_deleted++] = s->bridges[i];
        }
    }

    FT_DB_FOR_EACH (row, idx, s->db, FT_DB_BRIDGE) {
        const char *name = ft_db_row_name(row);
        struct srv_bridge *sb = srv_bridge_find(s, name);
        struct srv_cfg *cfg;

        error = cfg_from_db(s->db, row, &cfg, err);
        if (error) {
            break;
        }
        if (!sb) {
            error = bridge_start(s, name, cfg, &sb, err);
            if (!error) {
                r->created[r->n_created++] = sb;
                error = bridge_add_default_flow(s, sb, s->txn, err);
            }
        } else {
            bool persist_was = sb->cfg->flows_persist;

            error = ft_bridge_reconfigure(sb->br, &cfg->cfg, ft_time_msec(),
                                          err);
            if (error) {
                srv_cfg_destroy(cfg);
                break;
            }
            r->changed[r->n_changed] = sb;
            r->old_cfgs[r->n_changed++] = sb->cfg;
            sb->cfg = cfg;
            bridge_watch(sb);
            srv_bridge_schedule(sb);
            if (persist_was != cfg->flows_persist) {
                error = srv_flows_persist_changed(s, sb, err);
            }
        }
        if (error) {
            break;
        }
    }
    if (error) {
        reconcile_undo(s, r);
    }
    return error;
}

/* After the commit: stops deleted bridges and checks the port numbers. */
static void
reconcile_finish(struct ft_server *s, struct reconcile *r)
{
    for (size_t i = 0; i < r->n_deleted; i++) {
        bridge_stop(s, r->deleted[i]);
    }
    for (size_t i = 0; i < s->n_bridges; i++) {
        struct srv_bridge *sb = s->bridges[i];
        const struct ft_db_row *row = ft_db_find(s->db, FT_DB_BRIDGE,
                                                 sb->name);
        struct srv_cfg *cfg;
        struct ft_error err;

        if (!row || cfg_ofports_match(s->db, sb->cfg)
            || cfg_from_db(s->db, row, &cfg, &err)) {
            continue;
        }
        ft_log_msg(s->log, FT_LOG_WARN, MODULE, "bridge %s: port numbers "
                   "differ from the database's; renumbering", sb->name);
        cfg->cfg.keep_failed_ports = true;
        if (ft_bridge_reconfigure(sb->br, &cfg->cfg, ft_time_msec(), &err)) {
            ft_log_msg(s->log, FT_LOG_ERR, MODULE, "bridge %s: %s",
                       sb->name, err.reason);
            srv_cfg_destroy(cfg);
            continue;
        }
        srv_cfg_destroy(sb->cfg);
        sb->cfg = cfg;
        bridge_watch(sb);
        srv_bridge_schedule(sb);
    }
    for (size_t i = 0; i < r->n_changed; i++) {
        srv_openflow_reconfigure(r->changed[i]);
        srv_cfg_destroy(r->old_cfgs[i]);
    }
}

int
srv_run_writes(struct ft_server *s, const struct srv_write_op *const *ops,
               json_t **params, size_t n, struct ft_error *err)
{
    struct reconcile r;
    int error;

    error = ft_db_txn_begin(s->db, &s->txn, err);
    if (error) {
        return error;
    }
    for (size_t i = 0; i < n && !error; i++) {
        error = ops[i]->fn(s, params[i], err);
    }
    if (error) {
        ft_db_txn_abort(s->txn);
        s->txn = NULL;
        return error;
    }
    error = reconcile_run(s, &r, err);
    if (error) {
        ft_db_txn_abort(s->txn);
        s->txn = NULL;
        reconcile_destroy(&r);
        return error;
    }
    error = ft_db_txn_commit(s->txn, err);
    s->txn = NULL;
    if (error) {
        reconcile_undo(s, &r);
    } else {
        reconcile_finish(s, &r);
    }
    reconcile_destroy(&r);
    return error;
}

/* ---- Startup and shutdown. ---- */

/* Starts the bridge of database row 'row' with its flows. */
static int
restore_bridge(struct ft_server *s, const struct ft_db_row *row,
               struct ft_error *err)
{
    const char *name = ft_db_row_name(row);
    const struct ft_db_datum *flows = ft_db_row_get(row, "flows");
    struct srv_bridge *sb;
    struct srv_cfg *cfg;
    int error;

    error = cfg_from_db(s->db, row, &cfg, err);
    if (!error) {
        /* Start with the ports that open; the others are tried again
         * (a virtual machine's tap may come later). */
        cfg->cfg.keep_failed_ports = true;
        error = bridge_start(s, name, cfg, &sb, err);
    }
    if (error) {
        return error;
    }
    if (!sb->cfg->flows_persist) {
        error = bridge_add_default_flow(s, sb, NULL, err);
    } else if (flows->n) {
        error = ft_bridge_flow_mod_lines(sb->br, FT_FLOW_ADD,
                                         (const char *const *) flows->strs,
                                         flows->n, 0, ft_time_msec(), NULL,
                                         err);
    }
    if (error) {
        bridge_stop(s, sb);
        return error;
    }
    srv_bridge_schedule(sb);
    ft_log_msg(s->log, FT_LOG_INFO, MODULE, "bridge %s: started with %zu "
               "ports and %zu flows", name, sb->cfg->cfg.n_ports,
               ft_bridge_tables(sb->br)->n_rules);
    if (ft_bridge_n_failed_ports(sb->br)) {
        ft_log_msg(s->log, FT_LOG_WARN, MODULE, "bridge %s: %zu ports "
                   "could not be opened; trying again every %d s",
                   name, ft_bridge_n_failed_ports(sb->br),
                   FT_BRIDGE_PORT_RETRY_INTERVAL / 1000);
    }
    sb->cfg->cfg.keep_failed_ports = false;
    return 0;
}

int
ft_server_create(struct ft_loop *loop, struct ft_log *log,
                 const struct ft_server_options *opts,
                 struct ft_server **serverp, struct ft_error *err)
{
    struct ft_db_options dbopts = { .no_fsync = opts->db_no_fsync,
                                    .read_only = opts->db_read_only };
    struct ft_db_warnings warnings;
    const struct ft_db_row *row;
    struct ft_server *s;
    size_t idx;
    int error;

    *serverp = NULL;
    s = calloc(1, sizeof *s);
    if (!s) {
        abort();
    }
    s->loop = loop;
    s->log = log;
    s->pmd_cpu = -1;
    s->rl = (struct ft_ratelimit) FT_RATELIMIT_INIT(60, 10);
    if (opts->rundir && !(s->rundir = strdup(opts->rundir))) {
        abort();
    }
    error = ft_db_open(opts->dbdir, &dbopts, &s->db, &warnings, err);
    if (error) {
        free(s->rundir);
        free(s);
        return error;
    }
    s->releases = ft_bridge_releases_create();
    for (size_t i = 0; i < warnings.n; i++) {
        ft_log_msg(log, FT_LOG_WARN, "db", "%s: %s", opts->dbdir,
                   warnings.msgs[i]);
    }
    ft_db_warnings_destroy(&warnings);
    ft_log_msg(log, FT_LOG_INFO, "db", "%s: opened at transaction %"PRIu64,
               opts->dbdir, ft_db_seq(s->db));

    FT_DB_FOR_EACH (row, idx, s->db, FT_DB_BRIDGE) {
        struct ft_error e;

        if (opts->no_bridges) {
            break;
        }
        if (restore_bridge(s, row, &e)) {
            ft_log_msg(log, FT_LOG_ERR, MODULE, "bridge %s: not started: "
                       "%s", ft_db_row_name(row), e.reason);
        }
    }
    *serverp = s;
    return 0;
}

void
ft_server_destroy(struct ft_server *s)
{
    if (!s) {
        return;
    }
    srv_flow_streams_destroy(s);
    while (s->n_bridges) {
        bridge_stop(s, s->bridges[s->n_bridges - 1]);
    }
    /* Nothing is left half released. */
    ft_loop_cancel_timer(s->loop, s->releases_timer);
    ft_bridge_releases_destroy(s->releases);
    free(s->bridges);
    ft_db_close(s->db);
    free(s->rundir);
    free(s);
}

const struct ft_db *
ft_server_db(const struct ft_server *s)
{
    return s->db;
}

size_t
ft_server_n_bridges(const struct ft_server *s)
{
    return s->n_bridges;
}

json_t *
srv_text_result(struct ds *text, json_t *data)
{
    json_t *result = json_pack("{s:s, s:o}", "text", ds_cstr(text),
                               "data", data ? data : json_null());

    ds_destroy(text);
    return result;
}

/* ---- The method table. ---- */

#define P(NAME, TYPE, REQUIRED) { NAME, FT_RPC_##TYPE, REQUIRED }
#define END { NULL, 0, false }

static const struct ft_rpc_param no_params[] = { END };
static const struct ft_rpc_param transact_params[] = {
    P("commands", ARRAY, true), END,
};
static const struct ft_rpc_param bridge_params[] = {
    P("bridge", STRING, true), END,
};
static const struct ft_rpc_param db_read_params[] = {
    P("table", STRING, true), P("records", STRINGS, false),
    P("args", STRINGS, false), END,
};
static const struct ft_rpc_param flow_params[] = {
    P("bridge", STRING, true), P("flow", STRING, true),
    P("strict", BOOL, false), END,
};
static const struct ft_rpc_param flows_params[] = {
    P("bridge", STRING, true), P("flows", STRINGS, true), END,
};
static const struct ft_rpc_param stream_params[] = {
    P("stream", INT, true), END,
};
static const struct ft_rpc_param stream_chunk_params[] = {
    P("stream", INT, true), P("flows", STRINGS, true), END,
};
static const struct ft_rpc_param del_flows_params[] = {
    P("bridge", STRING, true), P("flow", STRING, false),
    P("flows", STRINGS, false), P("strict", BOOL, false), END,
};
static const struct ft_rpc_param dump_flows_params[] = {
    P("bridge", STRING, true), P("flow", STRING, false),
    P("tiers", BOOL, false), END,
};
static const struct ft_rpc_param dump_dp_flows_params[] = {
    P("bridge", STRING, true), P("type", STRING, false),
    P("explain", BOOL, false), END,
};
static const struct ft_rpc_param offload_show_params[] = {
    P("bridge", STRING, false), END,
};
static const struct ft_rpc_param trace_params[] = {
    P("bridge", STRING, true), P("flow", STRING, true), END,
};
static const struct ft_rpc_param dump_ports_params[] = {
    P("bridge", STRING, true), P("port", STRING, false), END,
};

static const struct ft_rpc_method methods[] = {
    /* Configuration (ovs-vsctl).  The write methods take the parameters
     * of their entry in srv_write_ops[]. */
    { "transact", transact_params, srv_transact },
    { "add-br", srv_add_br_params, srv_add_br },
    { "del-br", srv_del_br_params, srv_del_br },
    { "add-port", srv_add_port_params, srv_add_port },
    { "del-port", srv_del_port_params, srv_del_port },
    { "set", srv_db_write_params, srv_set },
    { "clear", srv_db_write_params, srv_clear },
    { "add", srv_db_write_params, srv_add },
    { "remove", srv_db_write_params, srv_remove },
    { "list-br", no_params, srv_list_br },
    { "list-ports", bridge_params, srv_list_ports },
    { "get", db_read_params, srv_get },
    { "list", db_read_params, srv_list },
    { "show", no_params, srv_show },
    { "opening-ports", srv_opening_ports_params, srv_opening_ports },

    /* Flows (ovs-ofctl). */
    { "add-flow", flow_params, srv_add_flow },
    { "add-flows", flows_params, srv_add_flows },
    { "add-flows-begin", bridge_params, srv_add_flows_begin },
    { "add-flows-chunk", stream_chunk_params, srv_add_flows_chunk },
    { "add-flows-commit", stream_params, srv_add_flows_commit },
    { "add-flows-abort", stream_params, srv_add_flows_abort },
    { "mod-flows", flow_params, srv_mod_flows },
    { "del-flows", del_flows_params, srv_del_flows },
    { "replace-flows", flows_params, srv_replace_flows },
    { "dump-flows", dump_flows_params, srv_dump_flows },
    { "trace", trace_params, srv_trace },
    { "dump-dp-flows", dump_dp_flows_params, srv_dump_dp_flows },
    { "offload-show", offload_show_params, srv_offload_show },
    { "dpif-show", bridge_params, srv_dpif_show },
    { "dump-ports", dump_ports_params, srv_dump_ports },

    /* OpenFlow controllers (ovs-vsctl get-controller). */
    { "get-controller", bridge_params, srv_get_controller },
};

const struct ft_rpc_method *
ft_server_methods(size_t *n)
{
    *n = sizeof methods / sizeof methods[0];
    return methods;
}

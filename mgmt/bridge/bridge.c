/*
 * bridge.c - a running bridge: creation, configuration and ports, the
 * views translation and the CLI read (port map, trace, dump-ports,
 * statistics), and the event loop hooks (see mgmt/bridge/bridge.h).
 *
 * Part of the management plane.  Flow table changes live in
 * bridge-flows.c, upcalls and the revalidator in bridge-revalidator.c.
 * Owns one userspace datapath (swpath/dpif.h); runs in the daemon's main
 * loop only.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "flowtier/util.h"

#include "mgmt/bridge/bridge-private.h"
#include "offload/offload.h"

static const char *const port_types[] = {
    "system", "internal", "tap", "dpdk", "vxlan", "afxdp", NULL
};

/* ---- Ports. ---- */

static void
bridge_port_uninit(struct bridge_port *p)
{
    bridge_port_open_abandon(p);
    free(p->name);
    free(p->type);
    for (size_t i = 0; i < p->n_opts; i++) {
        free(CONST_CAST(char *, p->opts[i].key));
        free(CONST_CAST(char *, p->opts[i].value));
    }
    free(p->opts);
    free(p->trunks);
    free(p->error);
    free(p->degraded);
    memset(p, 0, sizeof *p);
}

static void
bridge_ports_free(struct bridge_port *ports, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bridge_port_uninit(&ports[i]);
    }
    free(ports);
}

bool
bridge_port_same_device(const struct bridge_port *a,
                        const struct bridge_port *b)
{
    if (strcmp(a->name, b->name) || a->ofport != b->ofport
        || strcmp(a->type, b->type) || a->n_opts != b->n_opts) {
        return false;
    }
    for (size_t i = 0; i < a->n_opts; i++) {
        if (strcmp(a->opts[i].key, b->opts[i].key)
            || strcmp(a->opts[i].value, b->opts[i].value)) {
            return false;
        }
    }
    return true;
}

static bool
bridge_port_same_vlan(const struct bridge_port *a, const struct bridge_port *b)
{
    if (a->vlan_mode != b->vlan_mode || a->tag != b->tag
        || !a->trunks != !b->trunks) {
        return false;
    }
    return !a->trunks || !memcmp(a->trunks, b->trunks,
                                 BRIDGE_VLAN_WORDS * sizeof *a->trunks);
}

static int
parse_vlan_mode(const struct ft_bridge_port_cfg *pc, enum ft_vlan_mode *mode,
                struct ft_error *err)
{
    static const struct {
        const char *name;
        enum ft_vlan_mode mode;
    } modes[] = {
        { "access", FT_VLAN_ACCESS },
        { "trunk", FT_VLAN_TRUNK },
        { "native-tagged", FT_VLAN_NATIVE_TAGGED },
        { "native-untagged", FT_VLAN_NATIVE_UNTAGGED },
    };

    if (!pc->vlan_mode || !*pc->vlan_mode) {
        *mode = pc->tag >= 0 ? FT_VLAN_ACCESS : FT_VLAN_TRUNK;
        return 0;
    }
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        if (!strcmp(pc->vlan_mode, modes[i].name)) {
            *mode = modes[i].mode;
            return 0;
        }
    }
    return ft_error_set(err, -EINVAL, "port %s: vlan_mode '%s' is not one "
                        "of access, native-tagged, native-untagged, trunk",
                        pc->name, pc->vlan_mode);
}

/* Parses "true" or "false" for other_config key 'key' of 'owner'. */
static int
parse_bool_key(const char *owner, const char *key, const char *value,
               bool *out, struct ft_error *err)
{
    if (!strcmp(value, "true")) {
        *out = true;
    } else if (!strcmp(value, "false")) {
        *out = false;
    } else {
        return ft_error_set(err, -EINVAL, "%s: other_config:%s: '%s' is not "
                            "true or false", owner, key, value);
    }
    return 0;
}

/* Fills the placement policy of 'p' from the interface's other_config. */
static int
parse_port_policy(const struct ft_bridge_port_cfg *pc, struct bridge_port *p,
                  struct ft_error *err)
{
    p->hw_offload = -1;
    p->n_tier_order = 0;
    p->tc_policy = -1;
    for (size_t i = 0; i < pc->other_config.n; i++) {
        const char *key = pc->other_config.keys[i];
        const char *value = pc->other_config.values[i];
        int error = 0;

        if (!strcmp(key, "hw-offload")) {
            bool on = false;

            error = parse_bool_key(pc->name, key, value, &on, err);
            p->hw_offload = on;
        } else if (!strcmp(key, "tc-policy")) {
            error = bridge_tc_policy_parse(pc->name, value, &p->tc_policy,
                                           err);
        } else if (!strcmp(key, "tier-order")) {
            error = bridge_tier_order_parse(value, p->tier_order,
                                            &p->n_tier_order, err);
            if (error) {
                char reason[FT_ERROR_REASON_MAX];

                snprintf(reason, sizeof reason, "%s", err->reason);
                ft_error_set(err, error, "port %s: %s", pc->name, reason);
            }
        }
        if (error) {
            return error;
        }
    }
    return 0;
}

/* True if 'a' and 'b' place megaflows the same way. */
static bool
bridge_port_same_policy(const struct bridge_port *a,
                        const struct bridge_port *b)
{
    return a->hw_offload == b->hw_offload
           && a->tc_policy == b->tc_policy
           && a->n_tier_order == b->n_tier_order
           && !memcmp(a->tier_order, b->tier_order,
                      a->n_tier_order * sizeof *a->tier_order);
}

/* Checks 'pc' and fills 'p' from it.  Returns 0 or -EINVAL ('p' is then
 * left for the caller to uninit). */
static int
port_from_cfg(const struct ft_bridge *br, const struct ft_bridge_port_cfg *pc,
              struct bridge_port *p, struct ft_error *err)
{
    const char *type = pc->type && *pc->type ? pc->type : "system";
    bool known = false;
    int error;

    if (!pc->name || !*pc->name) {
        return ft_error_set(err, -EINVAL, "a port has no name");
    }
    for (const char *const *t = port_types; *t; t++) {
        known = known || !strcmp(type, *t);
    }
    if (!known) {
        return ft_error_set(err, -EINVAL, "port %s: type '%s' is not one of "
                            "system, internal, tap, dpdk, vxlan, afxdp", pc->name,
                            type);
    }
    if (!strcmp(pc->name, br->name)) {
        if (strcmp(type, "internal") || pc->ofport != FT_PORT_LOCAL) {
            return ft_error_set(err, -EINVAL, "port %s: the bridge's own "
                                "port must be of type internal and have "
                                "ofport %u (LOCAL)", pc->name, FT_PORT_LOCAL);
        }
    } else if (pc->ofport < 1 || pc->ofport > FT_PORT_MAX) {
        return ft_error_set(err, -EINVAL, "port %s: ofport %"PRIu32" is not "
                            "in the range 1 to %u", pc->name, pc->ofport,
                            FT_PORT_MAX);
    }
    if (pc->tag < -1 || pc->tag > 4095) {
        return ft_error_set(err, -EINVAL, "port %s: tag %d is not in the "
                            "range 0 to 4095", pc->name, pc->tag);
    }
    error = parse_vlan_mode(pc, &p->vlan_mode, err);
    if (error) {
        return error;
    }
    if (p->vlan_mode != FT_VLAN_TRUNK && pc->tag < 0) {
        return ft_error_set(err, -EINVAL, "port %s: vlan_mode %s needs a "
                            "tag", pc->name, pc->vlan_mode);
    }

    error = parse_port_policy(pc, p, err);
    if (error) {
        return error;
    }

    p->name = ft_xstrdup(pc->name);
    p->type = ft_xstrdup(type);
    p->ofport = pc->ofport;
    p->tag = pc->tag;
    if (pc->n_trunks) {
        p->trunks = ft_xcalloc(BRIDGE_VLAN_WORDS, sizeof *p->trunks);
        for (size_t i = 0; i < pc->n_trunks; i++) {
            int64_t vid = pc->trunks[i];

            if (vid < 0 || vid > 4095) {
                return ft_error_set(err, -EINVAL, "port %s: trunk %"PRId64
                                    " is not in the range 0 to 4095",
                                    pc->name, vid);
            }
            p->trunks[vid / 64] |= UINT64_C(1) << (vid % 64);
        }
    }
    p->opts = ft_xcalloc(pc->options.n, sizeof *p->opts);
    for (size_t i = 0; i < pc->options.n; i++) {
        p->opts[i].key = ft_xstrdup(pc->options.keys[i]);
        p->opts[i].value = ft_xstrdup(pc->options.values[i]);
        p->n_opts++;
    }
    if (!strcmp(type, "vxlan")) {
        p->is_tnl = true;
        return ft_tnl_config_parse(pc->name, p->opts, p->n_opts, &p->tnl,
                                   err);
    }
    return 0;
}

static int
compare_ports(const void *a_, const void *b_)
{
    const struct bridge_port *a = a_, *b = b_;

    return a->ofport < b->ofport ? -1 : a->ofport > b->ofport;
}

/* Builds the sorted port list of 'cfg' in '*portsp'.  Returns 0, or
 * -EINVAL / -EEXIST with nothing allocated. */
static int
ports_from_cfg(const struct ft_bridge *br, const struct ft_bridge_cfg *cfg,
               struct bridge_port **portsp, struct ft_error *err)
{
    struct bridge_port *ports = ft_xcalloc(cfg->n_ports, sizeof *ports);
    int error = 0;

    for (size_t i = 0; i < cfg->n_ports && !error; i++) {
        error = port_from_cfg(br, &cfg->ports[i], &ports[i], err);
        for (size_t j = 0; j < i && !error; j++) {
            if (!strcmp(ports[i].name, ports[j].name)) {
                error = ft_error_set(err, -EEXIST, "port %s is configured "
                                     "twice", ports[i].name);
            } else if (ports[i].ofport == ports[j].ofport) {
                error = ft_error_set(err, -EEXIST, "ports %s and %s both "
                                     "have ofport %"PRIu32, ports[j].name,
                                     ports[i].name, ports[i].ofport);
            }
        }
    }
    if (error) {
        bridge_ports_free(ports, cfg->n_ports);
        return error;
    }
    qsort(ports, cfg->n_ports, sizeof *ports, compare_ports);
    *portsp = ports;
    return 0;
}

static const struct bridge_port *
find_port_by_name(const struct bridge_port *ports, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(ports[i].name, name)) {
            return &ports[i];
        }
    }
    return NULL;
}

/* ---- Offload providers. ---- */

static void
bridge_offload_forget_port(struct bridge_offload *bo, ft_port_no port_no)
{
    for (size_t i = 0; i < bo->n_served; i++) {
        if (bo->served[i].port_no == port_no) {
            bo->served[i] = bo->served[--bo->n_served];
            break;
        }
    }
    for (size_t i = 0; i < bo->n_refused; i++) {
        if (bo->refused[i].port_no == port_no) {
            free(bo->refused[i].reason);
            bo->refused[i] = bo->refused[--bo->n_refused];
            return;
        }
    }
}

const struct ft_offload_caps *
bridge_offload_port_caps(const struct bridge_offload *bo, ft_port_no port_no)
{
    for (size_t i = 0; i < bo->n_served; i++) {
        if (bo->served[i].port_no == port_no) {
            return &bo->served[i].caps;
        }
    }
    return NULL;
}

const char *
bridge_offload_port_refusal(const struct bridge_offload *bo,
                            ft_port_no port_no)
{
    for (size_t i = 0; i < bo->n_refused; i++) {
        if (bo->refused[i].port_no == port_no) {
            return bo->refused[i].reason;
        }
    }
    return NULL;
}

/* Probes the open port 'port_no' with the provider 'bo', remembering a
 * refusal's reason for the megaflows that come in on it.  A port the
 * provider served is let go first (and read by the datapath itself
 * again), so that a policy that no longer lets the provider serve it
 * leaves nothing of the provider's on it. */
void
bridge_offload_probe(struct ft_bridge *br, struct bridge_offload *bo,
                     ft_port_no port_no)
{
    int policy = bridge_port_tc_policy(br, port_no);
    struct ft_port_identity id;
    struct ft_offload_caps caps;
    struct ft_error err;
    int error;

    if (bridge_offload_port_caps(bo, port_no)) {
        bridge_slow_path_stop(br, bo, port_no);
        ft_offload_port_del(bo->offload, port_no);
    }
    bridge_offload_forget_port(bo, port_no);
    if (ft_dpif_port_get_identity(br->dpif, port_no, &id)) {
        return;
    }
    id.hw_or_kernel = policy == BRIDGE_TC_NONE;
    ft_error_clear(&err);
    error = bridge_tc_policy_check(bo, id.name, policy, &err);
    if (!error) {
        error = ft_offload_port_add(bo->offload, &id, &caps, &err);
        if (!error) {
            error = bridge_slow_path_start(br, port_no, &caps, &err);
            if (error) {
                ft_offload_port_del(bo->offload, port_no);
            }
        }
    }
    if (error) {
        bo->refused = ft_xrealloc(bo->refused, (bo->n_refused + 1)
                                               * sizeof *bo->refused);
        bo->refused[bo->n_refused].port_no = port_no;
        bo->refused[bo->n_refused].reason
            = ft_xstrdup(err.reason[0] ? err.reason : strerror(-error));
        bo->refused[bo->n_refused].tc_policy = policy;
        bo->n_refused++;
    } else {
        bo->served = ft_xrealloc(bo->served, (bo->n_served + 1)
                                             * sizeof *bo->served);
        bo->served[bo->n_served].port_no = port_no;
        bo->served[bo->n_served].caps = caps;
        bo->served[bo->n_served].tc_policy = policy;
        bo->n_served++;
    }
}

static void
bridge_offload_probe_port(struct ft_bridge *br, ft_port_no port_no)
{
    for (size_t i = 0; i < br->n_offloads; i++) {
        bridge_offload_probe(br, &br->offloads[i], port_no);
    }
}

/* Closes the open port 'p' in the datapath, after taking its megaflows
 * out of the offload providers and the port out of their care (a DPDK
 * port's device is released in a thread: bridge_port_close_apart()). */
static void
bridge_dp_port_del(struct ft_bridge *br, const struct bridge_port *p)
{
    ft_port_no port_no = p->ofport;
    uint16_t tnl_dev = bridge_tnl_dev_port(br, port_no);

    bridge_megaflows_remove_port(br, port_no);
    bridge_megaflows_remove_output(br, port_no);
    for (size_t i = 0; i < br->n_offloads; i++) {
        ft_offload_port_del(br->offloads[i].offload, port_no);
        bridge_offload_forget_port(&br->offloads[i], port_no);
    }
    bridge_port_close_apart(br, p);
    bridge_tnl_dev_close(tnl_dev);
}

static int
probe_open_port(const struct ft_dpif_port_info *info, void *aux)
{
    struct ft_bridge *br = aux;

    bridge_offload_probe(br, &br->offloads[br->n_offloads - 1],
                         info->port_no);
    return 0;
}

int
ft_bridge_offload_attach(struct ft_bridge *br, struct ft_offload *offload)
{
    struct bridge_offload *bo;

    if (br->n_offloads >= FT_BRIDGE_MAX_OFFLOADS) {
        return -ENOSPC;
    }
    br->offloads = ft_xrealloc(br->offloads, (br->n_offloads + 1)
                                             * sizeof *br->offloads);
    bo = &br->offloads[br->n_offloads++];
    memset(bo, 0, sizeof *bo);
    bo->offload = offload;
    ft_offload_set_underlay(offload, bridge_underlay_resolve, br);
    ft_dpif_port_foreach(br->dpif, probe_open_port, br);
    return 0;
}

static void
bridge_offloads_destroy(struct ft_bridge *br)
{
    for (size_t i = 0; i < br->n_offloads; i++) {
        struct bridge_offload *bo = &br->offloads[i];

        for (size_t j = 0; j < bo->n_refused; j++) {
            free(bo->refused[j].reason);
        }
        free(bo->refused);
        free(bo->served);
        free(bo->given_up_logged);
        ft_offload_destroy(bo->offload);
    }
    free(br->offloads);
    br->offloads = NULL;
    br->n_offloads = 0;
}

struct bridge_port *
bridge_port_find(const struct ft_bridge *br, ft_port_no port_no)
{
    size_t lo = 0, hi = br->n_ports;

    /* 'ports' is sorted by number. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (br->ports[mid].ofport < port_no) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return (lo < br->n_ports && br->ports[lo].ofport == port_no
            ? &br->ports[lo] : NULL);
}

/* Opens 'p' in the datapath (starting DPDK first for a "dpdk" port, with
 * 'dpdk_extra') and records the outcome in 'p->error'.  A port that opens
 * apart (bridge_port_opens_apart()) is only started: it is opening, and
 * ft_bridge_finish_opens() records the outcome.  Returns 0 or the
 * datapath's error with 'err' filled. */
static int
dp_port_add(struct ft_bridge *br, struct bridge_port *p,
            const char *dpdk_extra, struct ft_error *err)
{
    int error = 0;

    if (bridge_port_opens_apart(br, p)) {
        return bridge_port_open_apart(br, p, dpdk_extra, err);
    }
    if (!strcmp(p->type, "dpdk")) {
        error = bridge_dpdk_init(dpdk_extra, p->name, err);
    }
    if (!error && bridge_tnl_needs_dev(br, p)) {
        error = bridge_tnl_port_add(br, p, err);
    } else if (!error) {
        error = ft_dpif_port_add(br->dpif, p->ofport, p->name, p->type,
                                 p->opts, p->n_opts, err);
    }
    bridge_port_record_open(br, p, error, err);
    return error;
}

void
bridge_port_record_open(struct ft_bridge *br, struct bridge_port *p,
                        int error, const struct ft_error *err)
{
    if (!error) {
        bridge_offload_probe_port(br, p->ofport);
    }
    free(p->error);
    p->error = NULL;
    free(p->degraded);
    p->degraded = NULL;
    if (!error) {
        struct ft_port_identity id;

        if (!ft_dpif_port_get_identity(br->dpif, p->ofport, &id)
            && id.degraded[0]) {
            p->degraded = ft_xstrdup(id.degraded);
        }
    }
    if (error == -ENODEV && strcmp(p->type, "dpdk")) {
        /* As Open vSwitch words it in its Interface 'error' column.  (A
         * DPDK device's reason is DPDK's, kept as it is.) */
        if (asprintf(&p->error, "could not open network device %s (%s)",
                     p->name, strerror(ENODEV)) < 0) {
            abort();
        }
    } else if (error) {
        p->error = ft_xstrdup(err->reason[0] ? err->reason
                                             : strerror(-error));
    }
}

static void
bridge_log(struct ft_bridge *br, enum ft_log_level level,
           struct ft_ratelimit *rl, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Closes the open port 'p' of 'br' and flushes what was learned on it. */
static void
dp_port_close(struct ft_bridge *br, const struct bridge_port *p)
{
    bridge_dp_port_del(br, p);
    ft_mac_learning_flush(br->ml, p->ofport);
    br->mac_flushes++;
}

/* Rebuilds the translation view (open ports) and the port map (all
 * ports) from 'br->ports'. */
static void
bridge_refresh_views(struct ft_bridge *br)
{
    free(br->xports);
    br->xports = ft_xcalloc(br->n_ports, sizeof *br->xports);
    br->n_xports = 0;
    ft_port_map_destroy(&br->port_map);
    ft_port_map_init(&br->port_map);
    for (size_t i = 0; i < br->n_ports; i++) {
        const struct bridge_port *p = &br->ports[i];
        struct ft_xport *xp = &br->xports[br->n_xports];

        ft_port_map_add(&br->port_map, p->name, p->ofport);
        if (p->error) {
            continue;
        }
        br->n_xports++;
        xp->port = p->ofport;
        xp->name = p->name;
        xp->vlan_mode = p->vlan_mode;
        xp->tag = p->tag;
        xp->trunks = p->trunks;
        xp->no_flood = false;
        xp->tnl = p->is_tnl ? &p->tnl : NULL;
    }
}

/* What a reconfiguration does to one old port. */
enum port_fate {
    PORT_KEEP,          /* Same device; VLAN settings may change. */
    PORT_REOPEN,        /* Same name, new number, type or options. */
    PORT_REMOVE,        /* Gone from the configuration. */
};

/* Goes back to the old port set after a failed reconfiguration: closes
 * the ports of 'new' marked 'opened' and reopens the old ones marked
 * 'closed_early'. */
static void
ports_rollback(struct ft_bridge *br, const struct bridge_port *new,
               size_t n_new, const bool *opened, const bool *closed_early)
{
    for (size_t j = 0; j < n_new; j++) {
        if (opened[j]) {
            bridge_dp_port_del(br, &new[j]);
        }
    }
    for (size_t i = 0; i < br->n_ports; i++) {
        if (closed_early[i]) {
            struct ft_error err;

            if (dp_port_add(br, &br->ports[i], br->dpdk_extra, &err)) {
                ft_bridge_warn(br, NULL, "could not reopen port %s: %s",
                               br->ports[i].name, err.reason);
            }
        }
    }
}

/* Opens the ports of 'new' that need opening (and tries again those that
 * were not open) and closes the old ones that go.  All or nothing for
 * the ports that must open: see ft_bridge_reconfigure().  Sets '*changed'
 * if any port was opened or closed. */
static int
bridge_apply_ports(struct ft_bridge *br, struct bridge_port *new,
                   size_t n_new, const char *dpdk_extra, bool keep_failed,
                   bool *changed, struct ft_error *err)
{
    enum port_fate *fate = ft_xcalloc(br->n_ports, sizeof *fate);
    bool *closed_early = ft_xcalloc(br->n_ports, sizeof *closed_early);
    bool *opened = ft_xcalloc(n_new, sizeof *opened);
    uint16_t *held = ft_xcalloc(br->n_ports, sizeof *held);
    int error = 0;

    *changed = false;
    for (size_t i = 0; i < br->n_ports; i++) {
        const struct bridge_port *old = &br->ports[i];
        const struct bridge_port *np = find_port_by_name(new, n_new,
                                                         old->name);

        fate[i] = (!np ? PORT_REMOVE
                   : bridge_port_same_device(old, np) ? PORT_KEEP
                   : PORT_REOPEN);
        if (fate[i] == PORT_REOPEN && !old->error && !old->opener) {
            /* Its VXLAN device outlives the close and open. */
            held[i] = bridge_tnl_dev_hold(br, old->ofport);
        }
    }

    /* Close first the old open ports whose name or number a port to open
     * needs. */
    for (size_t i = 0; i < br->n_ports; i++) {
        const struct bridge_port *old = &br->ports[i];
        bool conflict = fate[i] == PORT_REOPEN;

        for (size_t j = 0; j < n_new && !conflict && fate[i] != PORT_KEEP;
             j++) {
            conflict = new[j].ofport == old->ofport;
        }
        if (conflict && old->opener) {
            bridge_port_open_release(br, &br->ports[i]);
            closed_early[i] = true;
        } else if (conflict && !old->error) {
            bridge_dp_port_del(br, old);
            closed_early[i] = true;
        }
    }

    /* Open the new ports, and try again the ones that were not open. */
    for (size_t j = 0; j < n_new; j++) {
        const struct bridge_port *old = find_port_by_name(br->ports,
                                                          br->n_ports,
                                                          new[j].name);
        struct ft_error e;

        if (old && bridge_port_same_device(old, &new[j])
            && (!old->error || old->opener
                || bridge_port_opens_apart(br, old))) {
            /* Open, or opening (bridge_ports_take_openers() moves the opener
             * once the new ports are in place), or a port that opens
             * apart and failed: ft_bridge_check_ports() tries it again,
             * not every change of the configuration. */
            new[j].degraded = old->degraded ? ft_xstrdup(old->degraded)
                                            : NULL;
            new[j].error = old->error ? ft_xstrdup(old->error) : NULL;
            continue;
        }
        error = dp_port_add(br, &new[j], dpdk_extra, &e);
        if (!error && new[j].opener) {
            opened[j] = true;
        } else if (!error) {
            opened[j] = true;
            bridge_log(br, old && old->error ? FT_LOG_INFO : FT_LOG_DBG,
                       &br->port_rl, "port %s: opened as port %"PRIu32,
                       new[j].name, new[j].ofport);
        } else if (keep_failed || (old && old->error)) {
            /* Kept, not open: the port was failing already, or the caller
             * wants the bridge up with whatever opens. */
            if (!old || !old->error || strcmp(old->error, new[j].error)) {
                bridge_log(br, FT_LOG_WARN, &br->port_rl, "port %s: %s",
                           new[j].name, new[j].error);
            }
            error = 0;
        } else {
            if (err) {
                *err = e;
            }
            break;
        }
    }

    if (error) {
        ports_rollback(br, new, n_new, opened, closed_early);
        goto out;
    }

    for (size_t i = 0; i < br->n_ports; i++) {
        if (fate[i] != PORT_KEEP) {
            if (!closed_early[i] && !br->ports[i].error) {
                bridge_dp_port_del(br, &br->ports[i]);
            }
            ft_mac_learning_flush(br->ml, br->ports[i].ofport);
            br->mac_flushes++;
            *changed = true;
        }
    }
    for (size_t j = 0; j < n_new; j++) {
        *changed = *changed || opened[j];
    }

out:
    for (size_t i = 0; i < br->n_ports; i++) {
        bridge_tnl_dev_close(held[i]);
    }
    free(held);
    free(fate);
    free(closed_early);
    free(opened);
    return error;
}

int
ft_bridge_check_ports(struct ft_bridge *br, long long int now)
{
    return bridge_ports_check(br, now, NULL);
}

int
bridge_ports_check(struct ft_bridge *br, long long int now,
                   const bool *retry)
{
    bool *closed = ft_xcalloc(br->n_ports ? br->n_ports : 1,
                              sizeof *closed);
    int n_changed = 0;

    br->now = now;
    /* Open ports whose device is gone: close them.  (A DPDK port's
     * ifindex, net_tap's, is of a netdev named by its devargs, not by
     * the interface.) */
    for (size_t i = 0; i < br->n_ports; i++) {
        struct bridge_port *p = &br->ports[i];
        struct ft_dpif_port_info info;

        if (p->error || !strcmp(p->type, "dpdk")
            || ft_dpif_port_get(br->dpif, p->ofport, &info)
            || !info.ifindex
            || ft_netdev_linux_ifindex(info.name) == info.ifindex) {
            continue;
        }
        dp_port_close(br, p);
        p->error = ft_xstrdup("network device is gone");
        bridge_log(br, FT_LOG_WARN, &br->port_rl, "port %s: its network "
                   "device is gone; closed it", p->name);
        closed[i] = true;
        n_changed++;
    }

    /* Ports that are not open: try again (the ones just closed too, for
     * their error to say why: the device replaced opens, a missing one
     * says so in Open vSwitch's words). */
    for (size_t i = 0; i < br->n_ports; i++) {
        struct bridge_port *p = &br->ports[i];
        struct ft_error e;

        if (p->error && !p->opener && (!retry || retry[i] || closed[i])
            && !dp_port_add(br, p, br->dpdk_extra, &e) && !p->opener) {
            bridge_log(br, FT_LOG_INFO, &br->port_rl, "port %s: opened as "
                       "port %"PRIu32, p->name, p->ofport);
            n_changed++;
        }
    }
    free(closed);

    if (n_changed) {
        bridge_ports_refresh(br, now);
    }
    return n_changed;
}

void
bridge_ports_refresh(struct ft_bridge *br, long long int now)
{
    bridge_refresh_views(br);
    br->port_gen++;
    br->revalidate_asap = true;
    ft_bridge_revalidate(br, now);
}

const char *
ft_bridge_port_error(const struct ft_bridge *br, const char *name)
{
    const struct bridge_port *p = find_port_by_name(br->ports, br->n_ports,
                                                    name);

    return p ? p->error : NULL;
}

const char *
ft_bridge_port_degraded(const struct ft_bridge *br, const char *name)
{
    const struct bridge_port *p = find_port_by_name(br->ports, br->n_ports,
                                                    name);

    return p && !p->error ? p->degraded : NULL;
}

int
ft_bridge_port_identity(const struct ft_bridge *br, const char *name,
                        struct ft_port_identity *id)
{
    const struct bridge_port *p = find_port_by_name(br->ports, br->n_ports,
                                                    name);

    return (p && !p->error
            ? ft_dpif_port_get_identity(br->dpif, p->ofport, id) : -ENOENT);
}

size_t
ft_bridge_n_failed_ports(const struct ft_bridge *br)
{
    size_t n = 0;

    for (size_t i = 0; i < br->n_ports; i++) {
        n += br->ports[i].error && !br->ports[i].opener;
    }
    return n;
}

/* ---- other_config. ---- */

struct bridge_settings {
    long long int max_idle;
    uint32_t flow_limit;
    size_t mac_table_size;
    unsigned int mac_aging;
    const char *dpdk_extra;     /* The caller's string, or NULL. */
    bool hw_offload;
    enum ft_tier tier_order[FT_N_TIERS];
    size_t n_tier_order;
    int tc_policy;
    int pmd_cpus[FT_DPIF_PMD_MAX];  /* other_config:pmd-cpu-mask. */
    size_t n_pmd_cpus;
};

static int
parse_uint_key(const char *key, const char *value, long long int min,
               long long int max, long long int *out, struct ft_error *err)
{
    char *end;
    long long int v;

    errno = 0;
    v = strtoll(value, &end, 10);
    if (errno || end == value || *end || v < min || v > max) {
        return ft_error_set(err, -EINVAL, "other_config:%s: '%s' is not an "
                            "integer in the range %lld to %lld", key, value,
                            min, max);
    }
    *out = v;
    return 0;
}

static int
parse_other_config(const struct ft_bridge_smap *oc, struct bridge_settings *s,
                   struct ft_error *err)
{
    s->max_idle = FT_BRIDGE_DEFAULT_MAX_IDLE;
    s->flow_limit = FT_BRIDGE_DEFAULT_FLOW_LIMIT;
    s->mac_table_size = FT_BRIDGE_DEFAULT_MAC_TABLE_SIZE;
    s->mac_aging = FT_BRIDGE_DEFAULT_MAC_AGING;
    s->dpdk_extra = NULL;
    s->hw_offload = false;
    s->tier_order[0] = FT_TIER_HW;
    s->tier_order[1] = FT_TIER_KERNEL;
    s->tier_order[2] = FT_TIER_USER;
    s->n_tier_order = 3;
    s->tc_policy = BRIDGE_TC_SKIP_SW;
    s->n_pmd_cpus = 0;
    for (size_t i = 0; i < oc->n; i++) {
        const char *key = oc->keys[i], *value = oc->values[i];
        long long int v = 0;
        int error = 0;

        if (!strcmp(key, "max-idle")) {
            error = parse_uint_key(key, value, 500, INT_MAX, &v, err);
            s->max_idle = v;
        } else if (!strcmp(key, "flow-limit")) {
            error = parse_uint_key(key, value, 0, UINT32_MAX, &v, err);
            s->flow_limit = v;
        } else if (!strcmp(key, "mac-table-size")) {
            error = parse_uint_key(key, value, 1, UINT32_MAX, &v, err);
            s->mac_table_size = v;
        } else if (!strcmp(key, "mac-aging-time")) {
            error = parse_uint_key(key, value, 1, UINT32_MAX, &v, err);
            s->mac_aging = v;
        } else if (!strcmp(key, "dpdk-extra")) {
            s->dpdk_extra = value;
        } else if (!strcmp(key, "hw-offload")) {
            error = parse_bool_key("bridge", key, value, &s->hw_offload,
                                   err);
        } else if (!strcmp(key, "tier-order")) {
            error = bridge_tier_order_parse(value, s->tier_order,
                                            &s->n_tier_order, err);
        } else if (!strcmp(key, "tc-policy")) {
            error = bridge_tc_policy_parse("bridge", value, &s->tc_policy,
                                           err);
        } else if (!strcmp(key, "pmd-cpu-mask")) {
            error = ft_bridge_pmd_mask_parse(value, s->pmd_cpus,
                                             &s->n_pmd_cpus, err);
        }
        if (error) {
            return error;
        }
    }
    return 0;
}

/* Removes every megaflow from its tier, crediting its counts. */
static void
bridge_flush_megaflows(struct ft_bridge *br)
{
    ft_bridge_revalidator_run(br, br->now);
    ft_bridge_revalidator_abort(br);
    bridge_megaflows_destroy(br);
    bridge_megaflows_init(&br->megaflows);
}

static void
bridge_apply_settings(struct ft_bridge *br, const struct bridge_settings *s)
{
    if (s->mac_table_size != br->mac_table_size) {
        ft_mac_learning_set_max(br->ml, s->mac_table_size);
        br->mac_table_size = s->mac_table_size;
    }
    if (s->mac_aging != br->mac_aging) {
        ft_mac_learning_set_idle_time(br->ml, s->mac_aging);
        br->mac_aging = s->mac_aging;
    }
    br->flow_limit = s->flow_limit;
    if (s->hw_offload != br->hw_offload
        || s->n_tier_order != br->n_tier_order
        || memcmp(s->tier_order, br->tier_order,
                  s->n_tier_order * sizeof *s->tier_order)) {
        /* Every megaflow is placed again, under the new policy, by the
         * next packet that needs it: none stays in a tier it may no longer
         * be in (hw-offload turned off leaves no rule behind). */
        br->hw_offload = s->hw_offload;
        br->n_tier_order = s->n_tier_order;
        memcpy(br->tier_order, s->tier_order, sizeof br->tier_order);
        bridge_flush_megaflows(br);
    }
    br->tc_policy = s->tc_policy;
    br->max_idle = s->max_idle;
    ft_bridge_pmd_apply(br, s->pmd_cpus, s->n_pmd_cpus);
    free(br->dpdk_extra);
    br->dpdk_extra = s->dpdk_extra ? ft_xstrdup(s->dpdk_extra) : NULL;
}

/* ---- Lifecycle. ---- */

int
ft_bridge_create(const char *name, const char *datapath_type,
                 long long int now, struct ft_bridge **brp,
                 struct ft_error *err)
{
    struct ft_bridge *br;
    int error;

    ft_error_clear(err);
    *brp = NULL;
    if (!name || !*name) {
        return ft_error_set(err, -EINVAL, "a bridge needs a name");
    }
    br = ft_xcalloc(1, sizeof *br);
    br->name = ft_xstrdup(name);
    br->trim_unused_low = LLONG_MAX;    /* Not measured yet. */
    error = ft_dpif_create(datapath_type, name, &br->dpif, err);
    if (error) {
        char reason[FT_ERROR_REASON_MAX];

        snprintf(reason, sizeof reason, "%s", err ? err->reason : "");
        free(br->name);
        free(br);
        return ft_error_set(err, error, "bridge %s: cannot create its "
                            "datapath: %s", name,
                            reason[0] ? reason : strerror(-error));
    }
    bridge_megaflows_init(&br->megaflows);
    br->tier_order[0] = FT_TIER_HW;
    br->tier_order[1] = FT_TIER_KERNEL;
    br->tier_order[2] = FT_TIER_USER;
    br->n_tier_order = 3;
    ft_oftables_init(&br->tables);
    br->mac_table_size = FT_BRIDGE_DEFAULT_MAC_TABLE_SIZE;
    br->mac_aging = FT_BRIDGE_DEFAULT_MAC_AGING;
    br->ml = ft_mac_learning_create(br->mac_table_size, br->mac_aging);
    if (!br->ml) {
        abort();
    }
    br->fail_mode = ft_xstrdup("standalone");
    br->max_idle = FT_BRIDGE_DEFAULT_MAX_IDLE;
    br->flow_limit = FT_BRIDGE_DEFAULT_FLOW_LIMIT;
    ft_port_map_init(&br->port_map);
    ft_bridge_flow_changes_init(&br->expired);
    br->now = now;
    br->last_revalidate = now;
    br->xlate_rl = (struct ft_ratelimit) FT_RATELIMIT_INIT(60, 10);
    br->port_rl = (struct ft_ratelimit) FT_RATELIMIT_INIT(60, 20);
    br->releases = ft_bridge_releases_create();
    br->own_releases = true;
    ft_bridge_upcall_register(br);
    *brp = br;
    return 0;
}

void
ft_bridge_destroy(struct ft_bridge *br)
{
    if (!br) {
        return;
    }
    ft_bridge_flow_mod_finish(br, true);
    bridge_opens_release(br);
    /* The megaflows go first (the revalidator's pass ends): out of their
     * tiers, and they hold references to rules.  The datapath's
     * forwarding threads stop before (their counts join the megaflows):
     * deleting each megaflow from running threads costs a round trip
     * to each. */
    ft_bridge_revalidator_abort(br);
    ft_dpif_set_pmd_cpus(br->dpif, NULL, 0, NULL);
    bridge_megaflows_destroy(br);
    bridge_offloads_destroy(br);
    bridge_underlay_destroy(br);
    bridge_logged_reasons_destroy(br);
    ft_link_watch_destroy(br->links);
    for (size_t i = 0; i < br->n_ports; i++) {
        /* (The device goes from under its port, which the datapath's
         * destruction then finds detached.) */
        if (!br->ports[i].error && bridge_tnl_needs_dev(br, &br->ports[i])) {
            bridge_tnl_dev_close(br->ports[i].tnl.dst_port);
        }
    }
    /* DPDK ports leave the datapath, their devices released in threads
     * (their offloaded rules are gone with the providers). */
    bridge_ports_release(br);
    ft_dpif_destroy(br->dpif);
    if (br->own_releases) {
        ft_bridge_releases_destroy(br->releases);
    }
    ft_oftables_destroy(&br->tables);
    ft_mac_learning_destroy(br->ml);
    bridge_ports_free(br->ports, br->n_ports);
    free(br->xports);
    ft_port_map_destroy(&br->port_map);
    ft_bridge_flow_changes_uninit(&br->expired);
    free(br->fail_mode);
    free(br->dpdk_extra);
    free(br->name);
    free(br);
}

const char *
ft_bridge_name(const struct ft_bridge *br)
{
    return br->name;
}

void
ft_bridge_set_log(struct ft_bridge *br, struct ft_log *log)
{
    br->log = log;
}

static void
bridge_vlog(struct ft_bridge *br, enum ft_log_level level,
            struct ft_ratelimit *rl, const char *fmt, va_list args)
    __attribute__((format(printf, 4, 0)));

static void
bridge_vlog(struct ft_bridge *br, enum ft_log_level level,
            struct ft_ratelimit *rl, const char *fmt, va_list args)
{
    char msg[512];

    if (!br->log) {
        /* Only warnings go to stderr. */
        if (level > FT_LOG_WARN || (rl && !ft_ratelimit_allow(rl, br->now))) {
            return;
        }
    } else if (!ft_log_enabled(br->log, level)) {
        return;
    }
    vsnprintf(msg, sizeof msg, fmt, args);
    if (!br->log) {
        fprintf(stderr, "flowtier: bridge %s: %s\n", br->name, msg);
    } else if (rl) {
        ft_log_rl(br->log, rl, level, "bridge", "bridge %s: %s", br->name,
                  msg);
    } else {
        ft_log_msg(br->log, level, "bridge", "bridge %s: %s", br->name, msg);
    }
}

static void
bridge_log(struct ft_bridge *br, enum ft_log_level level,
           struct ft_ratelimit *rl, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    bridge_vlog(br, level, rl, fmt, args);
    va_end(args);
}

void
bridge_info(struct ft_bridge *br, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    bridge_vlog(br, FT_LOG_INFO, &br->port_rl, fmt, args);
    va_end(args);
}

void
ft_bridge_warn(struct ft_bridge *br, struct ft_ratelimit *rl,
               const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    bridge_vlog(br, FT_LOG_WARN, rl, fmt, args);
    va_end(args);
}

struct adopted {
    struct ft_match match;
    struct ft_dp_actions actions;
    struct ft_stats stats;
    struct ft_dpif_flow *flow;
};

struct adopt_ctx {
    struct adopted *flows;
    size_t n, allocated;
};

static int
adopt_collect(const struct ft_dpif_flow_info *info, void *aux)
{
    struct adopt_ctx *c = aux;
    struct adopted *a;

    if (c->n == c->allocated) {
        c->allocated = c->allocated ? 2 * c->allocated : 64;
        c->flows = ft_xrealloc(c->flows, c->allocated * sizeof *c->flows);
    }
    a = &c->flows[c->n++];
    a->match = *info->match;
    ft_dp_actions_init(&a->actions);
    ft_dp_actions_copy(&a->actions, info->actions);
    a->stats = info->stats;
    a->flow = info->flow;
    return 0;
}

/* Makes a record of every megaflow the datapath took over from a previous
 * run, once the ports are there (the datapath kept those added again):
 * they go on forwarding, and the next revalidator pass, with the OpenFlow
 * tables in place, keeps, changes or deletes each one. */
static void
bridge_adopt_dp_flows(struct ft_bridge *br, long long int now)
{
    struct adopt_ctx c = { NULL, 0, 0 };
    size_t n_kept = 0;

    ft_dpif_flow_adopt(br->dpif, adopt_collect, &c);
    for (size_t i = 0; i < c.n; i++) {
        struct adopted *a = &c.flows[i];

        if (bridge_megaflow_adopt(br, &a->match, &a->actions, a->flow,
                                  &a->stats, now)) {
            n_kept++;
        } else {
            ft_dpif_flow_del(br->dpif, a->flow, NULL);
        }
        ft_dp_actions_uninit(&a->actions);
    }
    free(c.flows);
    if (c.n) {
        br->revalidate_asap = true;
        bridge_log(br, FT_LOG_INFO, NULL, "bridge %s: took over %zu "
                   "megaflows the %s datapath kept forwarding while the "
                   "daemon was away", br->name, n_kept,
                   ft_dpif_type(br->dpif));
    }
}

int
ft_bridge_reconfigure(struct ft_bridge *br, const struct ft_bridge_cfg *cfg,
                      long long int now, struct ft_error *err)
{
    const char *fail_mode = cfg->fail_mode && *cfg->fail_mode
                            ? cfg->fail_mode : "standalone";
    struct bridge_settings settings;
    struct bridge_port *ports;
    bool changed, vlan_changed = false, policy_changed = false;
    int error;

    ft_error_clear(err);
    if (strcmp(fail_mode, "standalone") && strcmp(fail_mode, "secure")) {
        return ft_error_set(err, -EINVAL, "bridge %s: fail_mode '%s' is not "
                            "one of secure, standalone", br->name,
                            fail_mode);
    }
    if (cfg->datapath_type && *cfg->datapath_type
        && strcmp(cfg->datapath_type, ft_dpif_type(br->dpif))) {
        return ft_error_set(err, -EINVAL, "bridge %s: datapath_type is %s; "
                            "it cannot change while the bridge runs (delete "
                            "the bridge and add it with datapath_type=%s)",
                            br->name, ft_dpif_type(br->dpif),
                            cfg->datapath_type);
    }
    error = parse_other_config(&cfg->other_config, &settings, err);
    if (error) {
        char reason[FT_ERROR_REASON_MAX];

        snprintf(reason, sizeof reason, "%s", err->reason);
        return ft_error_set(err, error, "bridge %s: %s", br->name, reason);
    }
    if (settings.n_pmd_cpus && strcmp(ft_dpif_type(br->dpif), "netdev")) {
        return ft_error_set(err, -EINVAL, "bridge %s: other_config:pmd-cpu-"
                            "mask: datapath_type %s forwards in the kernel, "
                            "not in threads of the daemon (it needs "
                            "datapath_type=netdev)", br->name,
                            ft_dpif_type(br->dpif));
    }
    error = ports_from_cfg(br, cfg, &ports, err);
    if (error) {
        return error;
    }

    error = bridge_apply_ports(br, ports, cfg->n_ports, settings.dpdk_extra,
                               cfg->keep_failed_ports, &changed, err);
    if (error) {
        for (size_t i = 0; i < cfg->n_ports; i++) {
            bridge_port_open_release(br, &ports[i]);
        }
        bridge_ports_free(ports, cfg->n_ports);
        return error;
    }

    for (size_t i = 0; i < cfg->n_ports; i++) {
        const struct bridge_port *old = find_port_by_name(br->ports,
                                                          br->n_ports,
                                                          ports[i].name);

        if (old && !bridge_port_same_vlan(old, &ports[i])) {
            /* What was learned there was learned in other VLANs. */
            ft_mac_learning_flush(br->ml, old->ofport);
            br->mac_flushes++;
            vlan_changed = true;
        }
        policy_changed |= old && !bridge_port_same_policy(old, &ports[i]);
    }
    bridge_ports_take_openers(ports, cfg->n_ports, br->ports, br->n_ports);
    for (size_t i = 0; i < br->n_ports; i++) {
        /* Removed while opening. */
        bridge_port_open_release(br, &br->ports[i]);
    }
    bridge_ports_free(br->ports, br->n_ports);
    br->ports = ports;
    br->n_ports = cfg->n_ports;
    br->port_policies = false;
    for (size_t i = 0; i < br->n_ports; i++) {
        br->port_policies |= (br->ports[i].hw_offload >= 0
                              || br->ports[i].n_tier_order);
    }
    bridge_refresh_views(br);
    if (changed || vlan_changed) {
        br->port_gen++;
        br->revalidate_asap = true;
    }

    free(br->fail_mode);
    br->fail_mode = ft_xstrdup(fail_mode);
    br->now = now;
    bridge_apply_settings(br, &settings);
    if (policy_changed || bridge_tc_policy_stale(br)) {
        bridge_flush_megaflows(br);
    }
    bridge_tc_policy_refresh(br);
    if (changed || vlan_changed) {
        /* Port changes are rare: make them hold for the very next packet
         * rather than after the next periodic pass. */
        ft_bridge_revalidate(br, now);
    }
    bridge_adopt_dp_flows(br, now);
    return 0;
}

const struct ft_port_map *
ft_bridge_port_map(const struct ft_bridge *br)
{
    return &br->port_map;
}

const struct ft_oftables *
ft_bridge_tables(const struct ft_bridge *br)
{
    return &br->tables;
}

const struct ft_mac_learning *
ft_bridge_mac_learning(const struct ft_bridge *br)
{
    return br->ml;
}

void
ft_bridge_xbridge(const struct ft_bridge *br, struct ft_xbridge *xbr)
{
    memset(xbr, 0, sizeof *xbr);
    xbr->name = br->name;
    xbr->tables = CONST_CAST(struct ft_oftables *, &br->tables);
    xbr->ml = br->ml;
    xbr->ports = br->xports;
    xbr->n_ports = br->n_xports;
    xbr->fail_open = br->fail_open;
    xbr->miss_to_controller = br->miss_to_controller;
}

uint64_t
ft_bridge_mac_gen(const struct ft_bridge *br)
{
    struct ft_mac_learning_stats s;

    ft_mac_learning_get_stats(br->ml, &s);
    return s.n_learned + s.n_moved + s.n_expired + s.n_evicted
           + br->mac_flushes;
}

/* ---- Trace. ---- */

int
ft_bridge_trace(struct ft_bridge *br, const char *flow_text,
                long long int now, struct ds *out, struct ft_error *err)
{
    struct ft_xlate_out xout;
    struct ft_xbridge xbr;
    struct ft_xlate_in in;
    struct ft_match match;
    struct ft_error xerr;
    int error;

    ft_error_clear(err);
    error = ft_match_parse(flow_text, &br->port_map, &match, err);
    if (error) {
        return error;
    }
    ft_bridge_xbridge(br, &xbr);
    memset(&in, 0, sizeof in);
    in.br = &xbr;
    in.flow = match.flow;
    for (int i = 0; i < 2; i++) {
        /* A packet's tags have a TPID; "dl_vlan=5" means 802.1Q. */
        if (in.flow.vlans[i].tci & FT_VLAN_CFI && !in.flow.vlans[i].tpid) {
            in.flow.vlans[i].tpid = FT_ETH_TYPE_VLAN;
        }
    }
    in.now = now;
    in.may_learn = false;
    in.trace = out;

    ft_xlate_out_init(&xout);
    ft_xlate(&in, &xout, &xerr);
    ft_xlate_out_uninit(&xout);
    return 0;
}

/* ---- dump-ports. ---- */

void
ft_bridge_dump_ports(struct ft_bridge *br,
                     void (*cb)(const struct ft_bridge_port_stats *,
                                void *aux),
                     void *aux)
{
    for (size_t i = 0; i < br->n_ports; i++) {
        const struct bridge_port *p = &br->ports[i];
        struct ft_bridge_port_stats ps;
        struct ft_netdev_stats ns;

        if (p->error) {
            continue;
        }
        memset(&ps, 0, sizeof ps);
        ps.port = p->ofport;
        ps.name = p->name;
        ps.type = p->type;
        if (!ft_dpif_port_get_stats(br->dpif, p->ofport, &ns)) {
            ps.rx_packets = ns.rx_packets;
            ps.rx_bytes = ns.rx_bytes;
            ps.rx_dropped = ns.rx_dropped;
            ps.rx_errors = ns.rx_errors;
            ps.tx_packets = ns.tx_packets;
            ps.tx_bytes = ns.tx_bytes;
            ps.tx_dropped = ns.tx_dropped;
            ps.tx_errors = ns.tx_errors;
            ps.rx_ring_frames = ns.rx_ring_frames;
        }
        cb(&ps, aux);
    }
}

/* ---- Statistics. ---- */

void
ft_bridge_get_stats(struct ft_bridge *br, struct ft_bridge_stats *stats)
{
    struct ft_dpif_stats ds;

    *stats = br->stats;
    ft_dpif_get_stats(br->dpif, &ds);
    stats->n_megaflows = br->megaflows.n;
    memcpy(stats->n_megaflows_tier, br->megaflows.n_tier,
           sizeof stats->n_megaflows_tier);
    stats->flow_limit = br->flow_limit;
    stats->max_idle = br->max_idle;
    stats->reval_period = ft_bridge_revalidate_period(br);
    stats->tables_version = br->tables.version;
    stats->n_hits = ds.n_hit_emc + ds.n_hit_megaflow;
    stats->n_hit_emc = ds.n_hit_emc;
    stats->n_emc_skipped = ds.n_emc_skipped;
    stats->emc_bypassed = ds.emc_bypassed;
    stats->n_missed = ds.n_missed;
    stats->n_lost = ds.n_lost;
    stats->n_invalid = ds.n_invalid;
    stats->upcall_rate = ds.upcall_rate;
    stats->n_upcalls_ratelimited = ds.n_upcalls_ratelimited;
    stats->n_tnl_endpoints = ds.n_tnl_endpoints;
    stats->tnl = ds.tnl;
    stats->n_tnl_no_port = ds.n_tnl_no_port;
    for (size_t i = 0; i < br->n_offloads; i++) {
        struct ft_offload_removals r;

        ft_offload_get_removals(br->offloads[i].offload, &r);
        stats->n_offload_del_retrying += r.n_retrying;
        stats->n_offload_del_given_up += r.n_given_up;
    }
}

/* ---- Event loop. ---- */

int
ft_bridge_port_upcalls(struct ft_bridge *br,
                       void (*cb)(const char *name, ft_port_no port_no,
                                  uint64_t sent, uint64_t dropped,
                                  void *aux),
                       void *aux)
{
    for (size_t i = 0; i < br->n_ports; i++) {
        const struct bridge_port *p = &br->ports[i];
        struct ft_dpif_upcall_stats st;
        int error;

        error = ft_dpif_port_get_upcall_stats(br->dpif, p->ofport, &st);
        if (error == -EOPNOTSUPP) {
            return error;
        } else if (!error) {
            cb(p->name, p->ofport, st.sent, st.dropped, aux);
        }
    }
    return 0;
}

size_t
ft_bridge_get_fds(const struct ft_bridge *br, int *fds, size_t max)
{
    return ft_dpif_get_fds(br->dpif, fds, max);
}

/* Packets per run: a burst per port. */
static int
bridge_run_budget(const struct ft_bridge *br)
{
    size_t n_ports = ft_dpif_port_count(br->dpif);

    return (int) (FT_PACKET_BATCH_MAX * (n_ports ? n_ports : 1));
}

/* Asks for transparent huge pages on the part of the heap that grew
 * since the last call (what glibc's tunable glibc.malloc.hugetlb=1 does,
 * without depending on the environment the daemon was started in).
 * Setting up megaflows grows the heap by about 2 kB a megaflow: on 4 kB
 * pages every other upcall takes a page fault, which on this project's
 * build machine (a VM) was about a third of an upcall's time; on 2 MB
 * pages, one in 512 does.  The heap grows by HEAP_TOP_PAD at a time, so
 * most of a growth is advised before it is touched.  Where transparent
 * huge pages are "never", madvise() fails and nothing changes.  Freed
 * memory still goes back (malloc_trim() splits huge pages as needed).
 * The daemon's thread only. */
#define HEAP_TOP_PAD (16 << 20)

static void
bridge_heap_advise(void)
{
    static uintptr_t advised;
    uintptr_t end = (uintptr_t) sbrk(0);

    if (!advised) {
        mallopt(M_TOP_PAD, HEAP_TOP_PAD);
    } else if (end > advised) {
        uintptr_t page = sysconf(_SC_PAGESIZE);
        uintptr_t start = advised & ~(page - 1);

        madvise((void *) start, end - start, MADV_HUGEPAGE);
    }
    /* Also after the heap shrank (a trim): what grows back is advised
     * again. */
    advised = end;
}

/* After a burst of upcalls: the offload providers' answers to the puts
 * they batched (megaflow.h, bridge_megaflows_commit()). */
int
ft_bridge_run(struct ft_bridge *br, long long int now)
{
    int n;

    br->now = now;
    n = ft_dpif_run(br->dpif, bridge_run_budget(br));
    bridge_megaflows_commit(br);
    bridge_heap_advise();
    return n;
}

int
ft_bridge_run_polled(struct ft_bridge *br, long long int now)
{
    int n;

    br->now = now;
    n = ft_dpif_run_polled(br->dpif, bridge_run_budget(br), now);
    bridge_megaflows_commit(br);
    bridge_heap_advise();
    return n;
}

bool
ft_bridge_needs_polling(const struct ft_bridge *br)
{
    return ft_dpif_needs_polling(br->dpif);
}

static bool
bridge_is_dirty(const struct ft_bridge *br)
{
    return br->revalidate_asap || ft_bridge_mac_gen(br) != br->last_mac_gen;
}

void
ft_bridge_revalidate(struct ft_bridge *br, long long int now)
{
    ft_bridge_expire_rules(br, now);
    ft_mac_learning_expire(br->ml, now);
    br->revalidate_asap = false;
    br->last_mac_gen = ft_bridge_mac_gen(br);
    ft_bridge_revalidator_run(br, now);
    br->last_revalidate = now;
}

long long int
ft_bridge_revalidate_period(const struct ft_bridge *br)
{
    long long int cap = br->max_idle / 4;
    long long int period = (long long int) (br->reval_last_work_usec
                                            / 1000)
                           * FT_BRIDGE_REVALIDATE_WORK_RATIO;

    if (cap > FT_BRIDGE_REVALIDATE_INTERVAL_MAX) {
        cap = FT_BRIDGE_REVALIDATE_INTERVAL_MAX;
    }
    if (period > cap) {
        period = cap;
    }
    return (period > FT_BRIDGE_REVALIDATE_INTERVAL
            ? period : FT_BRIDGE_REVALIDATE_INTERVAL);
}

long long int
ft_bridge_next_wakeup(const struct ft_bridge *br)
{
    long long int when;

    if (br->reval_active) {
        return br->reval_last_step;     /* Due now: the next slice. */
    }
    when = br->last_revalidate + (bridge_is_dirty(br)
                                  ? FT_BRIDGE_REVALIDATE_SOON
                                  : ft_bridge_revalidate_period(br));
    if (bridge_has_opening(br) && br->open_check_at < when) {
        when = br->open_check_at;
    }
    return when;
}

/* Runs one slice of the periodic pass. */
static void
bridge_revalidate_slice(struct ft_bridge *br, long long int now)
{
    br->reval_last_step = now;
    if (ft_bridge_revalidator_step(br, now, FT_BRIDGE_REVALIDATE_SLICE,
                                   FT_BRIDGE_REVALIDATE_SLICE_USEC,
                                   FT_BRIDGE_REVALIDATE_BUSY_USEC)) {
        br->last_revalidate = now;
    }
}

void
ft_bridge_periodic(struct ft_bridge *br, long long int now)
{
    if (br->reval_active) {
        bridge_revalidate_slice(br, now);
    } else if (now >= ft_bridge_next_wakeup(br)) {
        ft_bridge_expire_rules(br, now);
        ft_mac_learning_expire(br->ml, now);
        br->revalidate_asap = false;
        br->last_mac_gen = ft_bridge_mac_gen(br);
        bridge_revalidate_slice(br, now);
    }
}

/*
 * server-flows.c - the daemon's flow methods, in the spirit of ovs-ofctl:
 * add-flow, add-flows, mod-flows, del-flows, replace-flows, dump-flows,
 * plus trace, dump-dp-flows and dump-ports, and the mirroring of flow
 * changes into the database.
 *
 * Part of the management plane (flowtierd).  A flow change is made on
 * the running bridge held (FT_BRIDGE_HOLD), which checks it and yields
 * the net change as canonical flow texts; the texts go into the Bridge
 * row's 'flows' in one transaction; once the commit is on disk the change
 * is kept, and if the commit fails it is undone (see server.h).  Nothing
 * else runs in between (one thread), so no packet and no client sees a
 * change that is not committed.  So a restart replays exactly the
 * committed flows, and a change that fails leaves both the bridge and the
 * database as they were.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/daemon/event-loop.h"
#include "mgmt/flowsyntax/odp-print.h"
#include "mgmt/daemon/server-private.h"
#include "swpath/dpif.h"

#define MODULE "flows"

/* ---- Mirroring into the database. ---- */

int
srv_flows_mirror(struct ft_server *s, struct ft_db_txn *txn,
                 const struct srv_bridge *sb,
                 struct ft_bridge_flow_changes *changes,
                 struct ft_error *err)
{
    const struct ft_db_row *row = ft_db_find(s->db, FT_DB_BRIDGE, sb->name);
    size_t n_db;
    int error = 0;

    if (!row) {
        return ft_error_set(err, -ENOENT, "no bridge named \"%s\"",
                            sb->name);
    }
    n_db = ft_db_row_get(row, "flows")->n;
    if (changes->n_removed && changes->n_removed == n_db) {
        /* Everything goes: one operation instead of one per flow. */
        error = ft_db_flows_clear(txn, sb->name, err);
    } else if (changes->n_removed) {
        error = ft_db_flows_del(txn, sb->name,
                                (const char *const *) changes->removed,
                                changes->n_removed, err);
    }
    if (!error && changes->n_added) {
        /* The database keeps the texts themselves, not copies. */
        error = ft_db_flows_add_take(txn, sb->name, changes->added,
                                     changes->n_added, err);
    }
    return error;
}

struct collect_texts {
    struct ft_server *s;
    struct ft_db_txn *txn;
    const char *bridge;
    int error;
    struct ft_error *err;
};

static void
persist_rule(const struct ft_ofrule *rule, void *aux_)
{
    struct collect_texts *aux = aux_;
    struct ds text = DS_EMPTY_INITIALIZER;

    if (!aux->error) {
        ft_flow_spec_format(&rule->spec, NULL, &text);
        aux->error = ft_db_flow_add(aux->txn, aux->bridge, ds_cstr(&text),
                                    aux->err);
    }
    ds_destroy(&text);
}

int
srv_flows_persist_changed(struct ft_server *s, struct srv_bridge *sb,
                          struct ft_error *err)
{
    struct collect_texts aux = { s, s->txn, sb->name, 0, err };

    aux.error = ft_db_flows_clear(s->txn, sb->name, err);
    if (!aux.error && sb->cfg->flows_persist) {
        ft_bridge_dump_flows(sb->br, FT_TABLE_ALL, NULL, 0, 0, persist_rule,
                             &aux);
    }
    return aux.error;
}

/* ---- Flow changes. ---- */

/* Commits 'changes' (the net change of a flow change held on 'sb''s
 * bridge) to the database in one transaction.  Returns 0 or a negative
 * errno with 'err'; the database is unchanged on failure. */
static int
commit_changes(struct ft_server *s, struct srv_bridge *sb,
               struct ft_bridge_flow_changes *changes,
               struct ft_error *err)
{
    struct ft_db_txn *txn;
    int error;

    if (!changes->n_added && !changes->n_removed) {
        return 0;
    }
    error = ft_db_txn_begin(s->db, &txn, err);
    if (error) {
        return error;
    }
    error = srv_flows_mirror(s, txn, sb, changes, err);
    if (error) {
        ft_db_txn_abort(txn);
        return error;
    }
    return ft_db_txn_commit(txn, err);
}

enum flow_change {
    CHANGE_MOD,                 /* ft_bridge_flow_mod_lines(). */
    CHANGE_REPLACE,             /* ft_bridge_replace_flows(). */
};

static int
apply_change(struct srv_bridge *sb, enum flow_change kind,
             enum ft_flow_cmd cmd, const char *const *lines, size_t n,
             unsigned int flags, struct ft_bridge_flow_changes *changes,
             struct ft_error *err)
{
    long long int now = ft_time_msec();

    return kind == CHANGE_REPLACE
           ? ft_bridge_replace_flows(sb->br, lines, n, flags, now, changes,
                                     err)
           : ft_bridge_flow_mod_lines(sb->br, cmd, lines, n, flags, now,
                                      changes, err);
}

/* For a single flow, "line 1: " says nothing: drop it. */
static void
strip_line_prefix(size_t n, struct ft_error *err)
{
    static const char prefix[] = "line 1: ";

    if (n == 1 && !strncmp(err->reason, prefix, sizeof prefix - 1)) {
        memmove(err->reason, err->reason + sizeof prefix - 1,
                strlen(err->reason) - (sizeof prefix - 1) + 1);
    }
}

static int
flow_change(struct ft_server *s, json_t *params, enum flow_change kind,
            enum ft_flow_cmd cmd, const char *const *lines, size_t n,
            json_t **result, struct ft_error *err)
{
    struct ft_bridge_flow_changes changes;
    struct srv_bridge *sb;
    int error;

    *result = NULL;
    error = srv_bridge_get(s, params, &sb, err);
    if (error) {
        return error;
    }
    ft_bridge_flow_changes_init(&changes);
    if (!sb->cfg->flows_persist) {
        error = apply_change(sb, kind, cmd, lines, n, 0, &changes, err);
        goto out;
    }

    /* Make it (held), commit the net change, then keep it; a failed
     * commit undoes it. */
    error = apply_change(sb, kind, cmd, lines, n, FT_BRIDGE_HOLD, &changes,
                         err);
    if (!error) {
        error = commit_changes(s, sb, &changes, err);
        ft_bridge_flow_mod_finish(sb->br, !error);
    }
out:
    if (error) {
        strip_line_prefix(n, err);
    } else {
        *result = json_pack("{s:i, s:i}", "added", (int) changes.n_added,
                            "removed", (int) changes.n_removed);
    }
    ft_bridge_flow_changes_uninit(&changes);
    srv_bridge_schedule(sb);
    return error;
}

int
srv_flows_apply(struct ft_server *s, struct srv_bridge *sb,
                const struct ft_bridge_flow_op *ops, size_t n,
                struct ft_bridge_flow_changes *changes, struct ft_error *err)
{
    int error;

    if (!sb->cfg->flows_persist) {
        error = ft_bridge_flow_mod_batch(sb->br, ops, n, 0, ft_time_msec(),
                                         changes, err);
        srv_bridge_schedule(sb);
        return error;
    }
    /* As flow_change(): make it held, commit the net change, keep it. */
    error = ft_bridge_flow_mod_batch(sb->br, ops, n, FT_BRIDGE_HOLD,
                                     ft_time_msec(), changes, err);
    if (!error) {
        error = commit_changes(s, sb, changes, err);
        ft_bridge_flow_mod_finish(sb->br, !error);
    }
    srv_bridge_schedule(sb);
    return error;
}

int
srv_flows_apply_ops(struct ft_server *s, struct srv_bridge *sb,
                    const struct ft_bridge_flow_op *ops, size_t n,
                    struct ft_error *err)
{
    struct ft_bridge_flow_changes changes;
    int error;

    ft_bridge_flow_changes_init(&changes);
    error = srv_flows_apply(s, sb, ops, n, &changes, err);
    ft_bridge_flow_changes_uninit(&changes);
    return error;
}

/* The strings of array 'a' (already checked to be strings). */
static const char **
string_array(json_t *a, size_t *n)
{
    const char **lines;

    *n = json_array_size(a);
    lines = calloc(*n + 1, sizeof *lines);
    if (!lines) {
        abort();
    }
    for (size_t i = 0; i < *n; i++) {
        lines[i] = json_string_value(json_array_get(a, i));
    }
    return lines;
}

int
srv_add_flow(json_t *params, json_t **result, struct ft_error *err, void *s)
{
    const char *flow = json_string_value(json_object_get(params, "flow"));

    if (json_object_get(params, "strict")) {
        return ft_error_set(err, FT_RPC_ERR_PARAMS, "add-flow: \"strict\" "
                            "only applies to mod-flows and del-flows");
    }
    return flow_change(s, params, CHANGE_MOD, FT_FLOW_ADD, &flow, 1, result,
                       err);
}

static int
flows_list_change(void *s, json_t *params, enum flow_change kind,
                  enum ft_flow_cmd cmd, json_t **result, struct ft_error *err)
{
    size_t n;
    const char **lines = string_array(json_object_get(params, "flows"), &n);
    int error;

    error = flow_change(s, params, kind, cmd, lines, n, result, err);
    free(lines);
    return error;
}

int
srv_add_flows(json_t *params, json_t **result, struct ft_error *err,
              void *s)
{
    return flows_list_change(s, params, CHANGE_MOD, FT_FLOW_ADD, result,
                             err);
}

int
srv_replace_flows(json_t *params, json_t **result, struct ft_error *err,
                  void *s)
{
    return flows_list_change(s, params, CHANGE_REPLACE, FT_FLOW_ADD, result,
                             err);
}

int
srv_mod_flows(json_t *params, json_t **result, struct ft_error *err, void *s)
{
    const char *flow = json_string_value(json_object_get(params, "flow"));
    bool strict = json_is_true(json_object_get(params, "strict"));

    return flow_change(s, params, CHANGE_MOD,
                       strict ? FT_FLOW_MODIFY_STRICT : FT_FLOW_MODIFY,
                       &flow, 1, result, err);
}

int
srv_del_flows(json_t *params, json_t **result, struct ft_error *err, void *s)
{
    bool strict = json_is_true(json_object_get(params, "strict"));
    enum ft_flow_cmd cmd = strict ? FT_FLOW_DELETE_STRICT : FT_FLOW_DELETE;
    json_t *flow = json_object_get(params, "flow");
    json_t *flows = json_object_get(params, "flows");
    const char *all = "";

    if (flow && flows) {
        return ft_error_set(err, FT_RPC_ERR_PARAMS, "del-flows: give "
                            "\"flow\" or \"flows\", not both");
    }
    if (flows) {
        return flows_list_change(s, params, CHANGE_MOD, cmd, result, err);
    }
    if (flow) {
        all = json_string_value(flow);
    }
    return flow_change(s, params, CHANGE_MOD, cmd, &all, 1, result, err);
}

/* ---- dump-flows. ---- */

struct dump_ctx {
    const struct ft_port_map *ports;
    long long int now;
    struct ds text;
    json_t *data;
    bool tiers;                         /* dump-flows --tiers. */
    struct ft_bridge *br;               /* dump-dp-flows: */
    enum ft_bridge_dp_filter filter;    /* type=. */
    bool explain;                       /* --explain. */
};

/* {"hw": {"packets": N, "bytes": N}, "kernel": ..., "user": ...}. */
static json_t *
tier_stats_json(const struct ft_tier_stats *ts)
{
    json_t *j = json_object();

    for (int t = 0; t < FT_N_TIERS; t++) {
        json_object_set_new(j, ft_tier_name(t), json_pack(
                                "{s:I, s:I}",
                                "packets", (json_int_t) ts->tier[t].n_packets,
                                "bytes", (json_int_t) ts->tier[t].n_bytes));
    }
    return j;
}

static void
dump_flow_cb(const struct ft_ofrule *rule, void *aux_)
{
    struct dump_ctx *aux = aux_;
    const struct ft_flow_spec *spec = &rule->spec;
    struct ds match = DS_EMPTY_INITIALIZER;
    struct ds actions = DS_EMPTY_INITIALIZER;
    char cookie[32];
    json_t *j;

    ft_bridge_format_flow_tiers(rule, aux->now, aux->ports, aux->tiers,
                                &aux->text);
    ds_put_char(&aux->text, '\n');

    ft_match_format(&spec->match, -1, aux->ports, &match);
    ft_ofpacts_format(&spec->actions, aux->ports, &actions);
    snprintf(cookie, sizeof cookie, "0x%"PRIx64, spec->cookie);
    j = json_pack("{s:s, s:f, s:i, s:I, s:I, s:i, s:s, s:s}",
                  "cookie", cookie,
                  "duration", (double) (aux->now - rule->created) / 1000.0,
                  "table", (int) spec->table_id,
                  "n_packets", (json_int_t) rule->stats.n_packets,
                  "n_bytes", (json_int_t) rule->stats.n_bytes,
                  "priority", (int) spec->priority,
                  "match", ds_cstr(&match),
                  "actions", ds_cstr(&actions));
    if (spec->idle_timeout) {
        json_object_set_new(j, "idle_timeout",
                            json_integer(spec->idle_timeout));
    }
    if (spec->hard_timeout) {
        json_object_set_new(j, "hard_timeout",
                            json_integer(spec->hard_timeout));
    }
    if (aux->tiers) {
        struct ft_tier_stats ts;

        ft_ofrule_tier_stats(rule, &ts);
        json_object_set_new(j, "tiers", tier_stats_json(&ts));
    }
    json_object_set_new(j, "idle_age", json_integer(
                            (aux->now - (rule->used ? rule->used
                                                    : rule->created))
                            / 1000));
    json_array_append_new(aux->data, j);
    ds_destroy(&match);
    ds_destroy(&actions);
}

int
srv_dump_flows(json_t *params, json_t **result, struct ft_error *err,
               void *s)
{
    const char *filter = json_string_value(json_object_get(params, "flow"));
    struct ft_flow_spec spec;
    struct srv_bridge *sb;
    struct dump_ctx ctx;
    int error;

    error = srv_bridge_get(s, params, &sb, err);
    if (error) {
        return error;
    }
    memset(&ctx, 0, sizeof ctx);
    ctx.ports = ft_bridge_port_map(sb->br);
    ctx.now = ft_time_msec();
    ctx.tiers = json_is_true(json_object_get(params, "tiers"));
    ds_init(&ctx.text);
    ctx.data = json_array();
    ft_flow_spec_init(&spec);
    if (filter) {
        error = ft_flow_spec_parse(filter, FT_FLOW_DELETE, ctx.ports, &spec,
                                   err);
        if (error) {
            json_decref(ctx.data);
            ft_flow_spec_uninit(&spec);
            return error;
        }
    } else {
        spec.table_id = FT_TABLE_ALL;
    }
    ft_bridge_dump_flows(sb->br, spec.table_id, filter ? &spec.match : NULL,
                         spec.cookie, spec.cookie_mask, dump_flow_cb, &ctx);
    ft_flow_spec_uninit(&spec);
    *result = srv_text_result(&ctx.text, ctx.data);
    return 0;
}

/* ---- trace. ---- */

int
srv_trace(json_t *params, json_t **result, struct ft_error *err, void *s)
{
    const char *flow = json_string_value(json_object_get(params, "flow"));
    struct ds text = DS_EMPTY_INITIALIZER;
    struct srv_bridge *sb;
    int error;

    error = srv_bridge_get(s, params, &sb, err);
    if (!error) {
        error = ft_bridge_trace(sb->br, flow, ft_time_msec(), &text, err);
    }
    if (error) {
        ds_destroy(&text);
        return error;
    }
    *result = srv_text_result(&text, json_pack("{s:s}", "trace",
                                               ds_cstr(&text)));
    return 0;
}

/* ---- dump-dp-flows. ---- */

struct explain_ctx {
    struct ds *text;
    json_t *list;
};

/* One provider's rule for a megaflow, or why it has none: an indented
 * line under the megaflow's. */
static void
explain_cb(const char *provider, const char *command, const char *refusal,
           void *aux_)
{
    struct explain_ctx *aux = aux_;

    if (command) {
        ds_put_format(aux->text, "  %s: %s\n", provider, command);
        json_array_append_new(aux->list, json_pack("{s:s, s:s}", "provider",
                                                   provider, "command",
                                                   command));
    } else {
        ds_put_format(aux->text, "  %s: none: %s\n", provider, refusal);
        json_array_append_new(aux->list, json_pack("{s:s, s:s}", "provider",
                                                   provider, "refusal",
                                                   refusal));
    }
}

static void
dump_dp_flow_cb(const struct ft_bridge_dp_flow *f, void *aux_)
{
    struct dump_ctx *aux = aux_;
    struct ds match = DS_EMPTY_INITIALIZER;
    struct ds actions = DS_EMPTY_INITIALIZER;
    json_t *j, *not_in;

    if (!ft_bridge_dp_filter_match(aux->filter, f)) {
        return;
    }
    not_in = json_array();
    ft_bridge_format_dp_flow(f, aux->now, &aux->text);
    ds_put_char(&aux->text, '\n');

    ft_dp_megaflow_format(f->match, &match);
    ft_dp_actions_format(f->actions, &actions);
    for (size_t i = 0; i < f->n_reasons; i++) {
        json_array_append_new(not_in, json_pack(
                                  "{s:s, s:s}",
                                  "tier", ft_tier_name(f->reasons[i].tier),
                                  "reason", f->reasons[i].reason));
    }
    j = json_pack("{s:s, s:s, s:I, s:I, s:s, s:o, s:i}",
                  "match", ds_cstr(&match), "actions", ds_cstr(&actions),
                  "packets", (json_int_t) f->stats.n_packets,
                  "bytes", (json_int_t) f->stats.n_bytes,
                  "tier", ft_tier_name(f->tier), "not_in", not_in,
                  "n_rules", (int) f->n_rules);
    json_object_set_new(j, "holder", json_string(f->holder));
    if (f->front_reason) {
        json_object_set_new(j, "front_refusal",
                            json_string(f->front_reason));
    }
    json_object_set_new(j, "dp", json_string(f->dp));
    json_object_set_new(j, "offloaded", json_boolean(f->offloaded));
    json_object_set_new(j, "tiers", tier_stats_json(&f->tier_stats));
    if (aux->explain) {
        struct explain_ctx ectx = { &aux->text, json_array() };

        ft_bridge_explain_dp_flow(aux->br, f, explain_cb, &ectx);
        json_object_set_new(j, "explain", ectx.list);
    }
    json_object_set_new(j, "packets_per_tier", json_pack(
                            "{s:I, s:I, s:I}",
                            "hw", (json_int_t)
                            f->tier_stats.tier[FT_TIER_HW].n_packets,
                            "kernel", (json_int_t)
                            f->tier_stats.tier[FT_TIER_KERNEL].n_packets,
                            "user", (json_int_t)
                            f->tier_stats.tier[FT_TIER_USER].n_packets));
    json_object_set_new(j, "used", f->stats.used
                        ? json_real((double) (aux->now - f->stats.used)
                                    / 1000.0)
                        : json_null());
    json_array_append_new(aux->data, j);
    ds_destroy(&match);
    ds_destroy(&actions);
}

int
srv_dump_dp_flows(json_t *params, json_t **result, struct ft_error *err,
                  void *s)
{
    const char *type = json_string_value(json_object_get(params, "type"));
    struct srv_bridge *sb;
    struct dump_ctx ctx;
    int error;

    error = srv_bridge_get(s, params, &sb, err);
    if (error) {
        return error;
    }
    memset(&ctx, 0, sizeof ctx);
    ctx.filter = FT_DP_FILTER_ALL;
    if (type) {
        error = ft_bridge_dp_filter_parse(type, &ctx.filter, err);
        if (error) {
            return error;
        }
    }
    ctx.explain = json_is_true(json_object_get(params, "explain"));
    ctx.br = sb->br;
    ctx.now = ft_time_msec();
    ds_init(&ctx.text);
    ctx.data = json_array();
    ft_bridge_dump_dp_flows(sb->br, dump_dp_flow_cb, &ctx);
    *result = srv_text_result(&ctx.text, ctx.data);
    return 0;
}

/* ---- dpif-show. ---- */

/* The VXLAN counters, in dpif-show's text. */
static void
srv_dpif_show_tunnels(const struct ft_bridge_stats *st, struct ds *text)
{
    const struct ft_vxlan_stats *t = &st->tnl;

    ds_put_format(text, "  vxlan: encapsulated:%"PRIu64" (through the "
                  "kernel: %"PRIu64") decapsulated:%"PRIu64"\n"
                  "  vxlan dropped: too big for the underlay MTU with "
                  "DF:%"PRIu64" no route:%"PRIu64" send errors:%"PRIu64
                  " not VXLAN:%"PRIu64" no port for the outer header:%"
                  PRIu64"\n"
                  "  vxlan underlay changes seen: %"PRIu64"\n",
                  t->tx_packets, t->tx_via_kernel, t->rx_packets,
                  t->tx_too_big, t->tx_no_route, t->tx_errors,
                  t->rx_invalid, st->n_tnl_no_port, t->route_changes);
    if (t->rx_sockets) {
        ds_put_format(text, "  vxlan receive sockets: %"PRIu64" (%s)\n",
                      t->rx_sockets, t->no_flags_reason[0]
                      ? t->no_flags_reason
                      : "outer DF and UDP checksum seen");
    }
}

/* The VXLAN counters, in dpif-show's data. */
static void
srv_dpif_show_tunnels_json(const struct ft_bridge_stats *st, json_t *result)
{
    const struct ft_vxlan_stats *t = &st->tnl;

    json_object_set_new(json_object_get(result, "data"), "vxlan", json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s?}",
        "encapsulated", (json_int_t) t->tx_packets,
        "through_kernel", (json_int_t) t->tx_via_kernel,
        "decapsulated", (json_int_t) t->rx_packets,
        "too_big", (json_int_t) t->tx_too_big,
        "no_route", (json_int_t) t->tx_no_route,
        "send_errors", (json_int_t) t->tx_errors,
        "not_vxlan", (json_int_t) t->rx_invalid,
        "no_port", (json_int_t) st->n_tnl_no_port,
        "underlay_changes", (json_int_t) t->route_changes,
        "rx_sockets", (json_int_t) t->rx_sockets,
        "no_flags_reason", t->no_flags_reason[0] ? t->no_flags_reason
                                                 : NULL));
}

/* One line per port of a datapath with a queue of upcalls per port. */
static void
dpif_show_port_upcalls(const char *name, ft_port_no port_no, uint64_t sent,
                       uint64_t dropped, void *text)
{
    (void) port_no;
    ds_put_format(text, "  port %s: upcalls sent:%"PRIu64" dropped:%"PRIu64
                  "\n", name, sent, dropped);
}

static void
dpif_show_port_upcalls_json(const char *name, ft_port_no port_no,
                            uint64_t sent, uint64_t dropped, void *ports)
{
    json_array_append_new(ports, json_pack("{s:s, s:I, s:I, s:I}",
                                           "port", name,
                                           "port_no", (json_int_t) port_no,
                                           "upcalls_sent",
                                           (json_int_t) sent,
                                           "upcalls_dropped",
                                           (json_int_t) dropped));
}

/* One line per forwarding thread (other_config:pmd-cpu-mask). */
static int
dpif_show_pmd(const struct ft_dpif_pmd_info *pmd, void *text)
{
    ds_put_format(text, "  pmd thread %u (cpu %d): rx queues: %s; "
                  "megaflows: %zu; hit:%"PRIu64" (emc:%"PRIu64") "
                  "missed:%"PRIu64" lost:%"PRIu64"; commands: %"PRIu64
                  "; longest round: %"PRIu64" us\n",
                  pmd->id, pmd->cpu, pmd->rxqs[0] ? pmd->rxqs : "none",
                  pmd->n_flows, pmd->n_hit_emc + pmd->n_hit_megaflow,
                  pmd->n_hit_emc, pmd->n_missed, pmd->n_lost,
                  pmd->n_commands, pmd->max_round_ns / 1000);
    return 0;
}

static int
dpif_show_pmd_json(const struct ft_dpif_pmd_info *pmd, void *array)
{
    json_array_append_new(array, json_pack(
        "{s:I, s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
        "id", (json_int_t) pmd->id, "cpu", pmd->cpu, "rxqs", pmd->rxqs,
        "flows", (json_int_t) pmd->n_flows,
        "emc_hits", (json_int_t) pmd->n_hit_emc,
        "megaflow_hits", (json_int_t) pmd->n_hit_megaflow,
        "missed", (json_int_t) pmd->n_missed,
        "lost", (json_int_t) pmd->n_lost,
        "commands", (json_int_t) pmd->n_commands,
        "max_round_ns", (json_int_t) pmd->max_round_ns));
    return 0;
}

int
srv_dpif_show(json_t *params, json_t **result, struct ft_error *err,
              void *s)
{
    json_t *pmds;
    struct ft_bridge_stats st;
    json_t *ports;
    struct srv_bridge *sb;
    struct ds text = DS_EMPTY_INITIALIZER;
    int error;

    error = srv_bridge_get(s, params, &sb, err);
    if (error) {
        return error;
    }
    ft_bridge_get_stats(sb->br, &st);
    ds_put_format(&text, "%s:\n"
                  "  lookups: hit:%"PRIu64" missed:%"PRIu64" lost:%"PRIu64
                  " invalid:%"PRIu64"\n"
                  "  exact-match cache: %"PRIu64" hits, %"PRIu64" packets "
                  "past it (hit rate too low)%s\n"
                  "  flows: %zu (flow-limit %"PRIu32", installs refused at "
                  "the limit: %"PRIu64")\n"
                  "  flows per tier: hw:%zu kernel:%zu user:%zu\n"
                  "  max-idle: %lld ms\n"
                  "  translation errors: %"PRIu64"\n"
                  "  revalidator: %"PRIu64" passes, %"PRIu64" megaflows "
                  "expired, %"PRIu64" modified, %"PRIu64" deleted, %"PRIu64
                  " moved to a faster tier\n"
                  "  last pass: %"PRIu64".%03"PRIu64" ms, %"PRIu64
                  " megaflows, %"PRIu64" translated again\n"
                  "  revalidator period: %lld ms (the last pass worked "
                  "%"PRIu64".%03"PRIu64" ms)\n"
                  "  OpenFlow rules timed out: %"PRIu64"\n",
                  sb->name, st.n_hits, st.n_missed, st.n_lost, st.n_invalid,
                  st.n_hit_emc, st.n_emc_skipped,
                  st.emc_bypassed ? ", skipped now" : "",
                  st.n_megaflows, st.flow_limit, st.n_flow_limit_hits,
                  st.n_megaflows_tier[FT_TIER_HW],
                  st.n_megaflows_tier[FT_TIER_KERNEL],
                  st.n_megaflows_tier[FT_TIER_USER],
                  st.max_idle, st.n_xlate_errors, st.n_revalidations,
                  st.n_megaflows_expired, st.n_megaflows_modified,
                  st.n_megaflows_deleted, st.n_megaflows_moved,
                  st.last_reval_usec / 1000, st.last_reval_usec % 1000,
                  st.last_reval_flows, st.last_reval_stale,
                  st.reval_period, st.last_reval_work_usec / 1000,
                  st.last_reval_work_usec % 1000,
                  st.n_rules_expired);
    if (st.change_version) {
        ds_put_format(&text, "  last table change: in every megaflow "
                      "%"PRIu64".%03"PRIu64" ms after, %"PRIu64" "
                      "translated again\n",
                      st.change_settle_usec / 1000,
                      st.change_settle_usec % 1000, st.change_retranslated);
    }
    if (st.n_offload_del_failed || st.n_offload_del_retrying
        || st.n_offload_del_given_up) {
        ds_put_format(&text, "  offloaded rule removals failed: %"PRIu64
                      " (%"PRIu64" still tried again, less and less often; "
                      "%"PRIu64" given up, left in the device: the log "
                      "says why)\n",
                      st.n_offload_del_failed, st.n_offload_del_retrying,
                      st.n_offload_del_given_up);
    }
    if (st.upcall_rate) {
        ds_put_format(&text, "  upcall rate limit: %"PRIu32"/s per port, "
                      "%"PRIu64" misses over it (counted as lost)\n",
                      st.upcall_rate, st.n_upcalls_ratelimited);
    }
    if (st.n_tnl_endpoints) {
        srv_dpif_show_tunnels(&st, &text);
    }
    ft_bridge_pmd_foreach(sb->br, dpif_show_pmd, &text);
    pmds = json_array();
    ft_bridge_pmd_foreach(sb->br, dpif_show_pmd_json, pmds);
    ports = json_array();
    if (!ft_bridge_port_upcalls(sb->br, dpif_show_port_upcalls, &text)) {
        ft_bridge_port_upcalls(sb->br, dpif_show_port_upcalls_json, ports);
    }
    *result = srv_text_result(&text, json_pack(
        "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
        "s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}",
        "bridge", sb->name,
        "hits", (json_int_t) st.n_hits,
        "missed", (json_int_t) st.n_missed,
        "lost", (json_int_t) st.n_lost,
        "emc_hits", (json_int_t) st.n_hit_emc,
        "emc_skipped", (json_int_t) st.n_emc_skipped,
        "emc_bypassed", st.emc_bypassed,
        "flows", (json_int_t) st.n_megaflows,
        "flow_limit", (json_int_t) st.flow_limit,
        "flow_limit_hits", (json_int_t) st.n_flow_limit_hits,
        "max_idle_ms", (json_int_t) st.max_idle,
        "xlate_errors", (json_int_t) st.n_xlate_errors,
        "revalidations", (json_int_t) st.n_revalidations,
        "megaflows_expired", (json_int_t) st.n_megaflows_expired,
        "megaflows_modified", (json_int_t) st.n_megaflows_modified,
        "megaflows_deleted", (json_int_t) st.n_megaflows_deleted,
        "last_pass_usec", (json_int_t) st.last_reval_usec,
        "last_pass_megaflows", (json_int_t) st.last_reval_flows,
        "last_pass_retranslated", (json_int_t) st.last_reval_stale,
        "rules_expired", (json_int_t) st.n_rules_expired));
    json_object_update_new(json_object_get(*result, "data"), json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
        "invalid", (json_int_t) st.n_invalid,
        "revalidator_period_ms", (json_int_t) st.reval_period,
        "last_pass_work_usec", (json_int_t) st.last_reval_work_usec,
        "tables_version", (json_int_t) st.tables_version,
        "last_change_version", (json_int_t) st.change_version,
        "last_change_settle_usec", (json_int_t) st.change_settle_usec,
        "last_change_retranslated", (json_int_t) st.change_retranslated));
    json_object_set_new(json_object_get(*result, "data"), "upcall_rate",
                        json_integer(st.upcall_rate));
    json_object_update_new(json_object_get(*result, "data"), json_pack(
        "{s:I, s:I, s:I}",
        "offload_del_failed", (json_int_t) st.n_offload_del_failed,
        "offload_del_retrying", (json_int_t) st.n_offload_del_retrying,
        "offload_del_given_up", (json_int_t) st.n_offload_del_given_up));
    json_object_set_new(json_object_get(*result, "data"),
                        "upcalls_ratelimited",
                        json_integer((json_int_t) st.n_upcalls_ratelimited));
    json_object_set_new(json_object_get(*result, "data"), "flows_per_tier",
                        json_pack("{s:I, s:I, s:I}",
                                  "hw", (json_int_t)
                                  st.n_megaflows_tier[FT_TIER_HW],
                                  "kernel", (json_int_t)
                                  st.n_megaflows_tier[FT_TIER_KERNEL],
                                  "user", (json_int_t)
                                  st.n_megaflows_tier[FT_TIER_USER]));
    json_object_set_new(json_object_get(*result, "data"), "port_upcalls",
                        ports);
    json_object_set_new(json_object_get(*result, "data"), "pmd_threads",
                        pmds);
    json_object_set_new(json_object_get(*result, "data"),
                        "megaflows_moved",
                        json_integer((json_int_t) st.n_megaflows_moved));
    if (st.n_tnl_endpoints) {
        srv_dpif_show_tunnels_json(&st, *result);
    }
    return 0;
}

/* ---- dump-ports. ---- */

struct ports_ctx {
    bool all;
    ft_port_no port;
    size_t n;
    struct ds body;
    json_t *data;
};

static void
dump_port_cb(const struct ft_bridge_port_stats *ps, void *aux_)
{
    struct ports_ctx *aux = aux_;

    if (!aux->all && ps->port != aux->port) {
        return;
    }
    aux->n++;
    /* 'ovs-ofctl dump-ports': numbers right-aligned in two columns; the
     * frame, overrun, CRC and collision counters are not kept by the
     * datapath, printed "?" as OVS prints counters a switch lacks. */
    if (ps->port == FT_PORT_LOCAL) {
        ds_put_cstr(&aux->body, "  port LOCAL: ");
    } else {
        ds_put_format(&aux->body, "  port %2"PRIu32": ", ps->port);
    }
    ds_put_format(&aux->body, "rx pkts=%"PRIu64", bytes=%"PRIu64", "
                  "drop=%"PRIu64", errs=%"PRIu64", frame=?, over=?, crc=?\n"
                  "           tx pkts=%"PRIu64", bytes=%"PRIu64", "
                  "drop=%"PRIu64", errs=%"PRIu64", coll=?\n",
                  ps->rx_packets, ps->rx_bytes, ps->rx_dropped,
                  ps->rx_errors, ps->tx_packets, ps->tx_bytes,
                  ps->tx_dropped, ps->tx_errors);
    json_array_append_new(aux->data, json_pack(
        "{s:I, s:s, s:s, s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I}}",
        "port", (json_int_t) ps->port, "name", ps->name ? ps->name : "",
        "type", ps->type ? ps->type : "system",
        "rx", "packets", (json_int_t) ps->rx_packets,
        "bytes", (json_int_t) ps->rx_bytes,
        "dropped", (json_int_t) ps->rx_dropped,
        "errors", (json_int_t) ps->rx_errors,
        "tx", "packets", (json_int_t) ps->tx_packets,
        "bytes", (json_int_t) ps->tx_bytes,
        "dropped", (json_int_t) ps->tx_dropped,
        "errors", (json_int_t) ps->tx_errors));
}

int
srv_dump_ports(json_t *params, json_t **result, struct ft_error *err,
               void *s)
{
    const char *port = json_string_value(json_object_get(params, "port"));
    struct ds text = DS_EMPTY_INITIALIZER;
    struct ports_ctx ctx;
    struct srv_bridge *sb;
    int error;

    error = srv_bridge_get(s, params, &sb, err);
    if (error) {
        return error;
    }
    memset(&ctx, 0, sizeof ctx);
    ctx.all = !port;
    if (port) {
        error = ft_port_parse(port, ft_bridge_port_map(sb->br), &ctx.port,
                              err);
        if (error) {
            return error;
        }
    }
    ds_init(&ctx.body);
    ctx.data = json_array();
    ft_bridge_dump_ports(sb->br, dump_port_cb, &ctx);
    if (port && !ctx.n) {
        const char *name = ft_port_map_find_port(ft_bridge_port_map(sb->br),
                                                 ctx.port);
        const char *why = name ? ft_bridge_port_error(sb->br, name) : NULL;

        ds_destroy(&ctx.body);
        json_decref(ctx.data);
        return (why
                ? ft_error_set(err, -ENODEV, "bridge %s: port %s is not "
                               "open: %s", sb->name, port, why)
                : ft_error_set(err, -ENOENT, "bridge %s has no port %s",
                               sb->name, port));
    }
    ds_put_format(&text, "OFPST_PORT reply: %zu ports\n", ctx.n);
    ds_put_cstr(&text, ds_cstr(&ctx.body));
    ds_destroy(&ctx.body);
    *result = srv_text_result(&text, ctx.data);
    return 0;
}

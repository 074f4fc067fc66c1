/*
 * bridge-revalidator.c - a running bridge's upcall handler and
 * revalidator: megaflows from translation, their ukeys, unified counters,
 * idle expiry and re-translation (see "Life of a packet" and
 * "Revalidation and counters" in mgmt/bridge/bridge.h).
 *
 * Part of the management plane.  The datapath (swpath/dpif.h) calls
 * bridge_upcall() on a miss; the ukey made there is the megaflow's cookie
 * in the datapath, which hands it back to ukey_release() when the
 * megaflow goes.  The revalidator walks the datapath's megaflows and
 * reads, credits, expires, modifies or deletes them.  Runs in the
 * daemon's main loop only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/util.h"

#include "mgmt/bridge/bridge-private.h"
#include "mgmt/flowsyntax/odp-print.h"

/* While the datapath holds more megaflows than the flow limit, idle ones
 * go after this many ms instead of 'max-idle' (as in Open vSwitch). */
#define OVER_LIMIT_MAX_IDLE 100

/* ---- ukeys. ---- */

static struct bridge_ukey *
ukey_ref(struct bridge_ukey *ukey)
{
    ukey->ref_cnt++;
    return ukey;
}

static void
ukey_unref(struct bridge_ukey *ukey)
{
    if (ukey && !--ukey->ref_cnt) {
        for (size_t i = 0; i < ukey->n_rules; i++) {
            ft_ofrule_unref(ukey->rules[i]);
        }
        free(ukey->rules);
        for (int t = 0; t < FT_N_TIERS; t++) {
            free(ukey->reasons[t]);
        }
        free(ukey);
    }
}

/* The datapath's cookie destructor. */
static void
ukey_release(void *aux, void *cookie)
{
    (void) aux;
    ukey_unref(cookie);
}

/* Moves the rules of 'xout' into 'ukey' (dropping its old ones). */
static void
ukey_take_rules(struct bridge_ukey *ukey, struct ft_xlate_out *xout)
{
    for (size_t i = 0; i < ukey->n_rules; i++) {
        ft_ofrule_unref(ukey->rules[i]);
    }
    free(ukey->rules);
    ukey->rules = xout->rules;
    ukey->n_rules = xout->n_rules;
    xout->rules = NULL;
    xout->n_rules = xout->allocated_rules = 0;
}

/* Decides the tier of a new megaflow.  No offload provider exists yet, so
 * every megaflow stays in userspace, and the reason is kept per megaflow
 * for 'dump-dp-flows'. */
static void
ukey_place(struct bridge_ukey *ukey)
{
    ukey->tier = FT_TIER_USER;
    for (int t = 0; t < FT_TIER_USER; t++) {
        ukey->reasons[t] = ft_xstrdup("no offload provider");
    }
}

/* Records in 'ukey' what it was translated at. */
static void
ukey_stamp(const struct ft_bridge *br, struct bridge_ukey *ukey,
           const struct ft_xlate_out *xout, bool xlate_error)
{
    ukey->version = br->tables.version;
    ukey->mac_gen = ft_bridge_mac_gen(br);
    ukey->port_gen = br->port_gen;
    ukey->uses_normal = xout->uses_normal;
    ukey->xlate_error = xlate_error;
}

/* ---- Upcalls. ---- */

static int
bridge_upcall(void *aux, const struct ft_flow *key, struct ft_packet *pkt,
              struct ft_match *megaflow_out,
              struct ft_dp_actions *actions_out, void **megaflow_cookie_out,
              struct ft_error *err)
{
    struct ft_bridge *br = aux;
    struct ft_xlate_out xout;
    struct ft_xbridge xbr;
    struct ft_xlate_in in;
    struct bridge_ukey *ukey;
    struct ft_error xerr;
    int error;

    (void) pkt;
    (void) err;
    ft_bridge_xbridge(br, &xbr);
    memset(&in, 0, sizeof in);
    in.br = &xbr;
    in.flow = *key;
    in.now = br->now;
    in.may_learn = true;

    ft_xlate_out_init(&xout);
    error = ft_xlate(&in, &xout, &xerr);
    if (error) {
        /* The actions are "drop" and the megaflow is still right: install
         * it, so that the datapath drops the rest without asking. */
        struct ds flow = DS_EMPTY_INITIALIZER;

        br->stats.n_xlate_errors++;
        ft_flow_format(key, &flow);
        ft_bridge_warn(br, &br->xlate_rl, "translation failed, dropping "
                       "%s: %s", ds_cstr(&flow), xerr.reason);
        ds_destroy(&flow);
    }

    ukey = calloc(1, sizeof *ukey);
    if (!ukey) {
        abort();
    }
    ukey->key = *key;
    ukey->match = xout.megaflow;
    ft_match_normalize(&ukey->match);
    ukey->created = br->now;
    ukey->ref_cnt = 1;
    ukey_stamp(br, ukey, &xout, error != 0);
    ukey_take_rules(ukey, &xout);
    ukey_place(ukey);

    *megaflow_out = xout.megaflow;
    ft_dp_actions_copy(actions_out, &xout.actions);
    *megaflow_cookie_out = ukey;
    ft_xlate_out_uninit(&xout);
    return 0;
}

/* The datapath's messages, already rate limited by the datapath. */
static void
bridge_dpif_log(void *aux, const char *msg)
{
    struct ft_bridge *br = aux;

    if (br->log) {
        ft_log_msg(br->log, FT_LOG_WARN, "bridge", "datapath %s", msg);
    } else {
        fprintf(stderr, "flowtier: datapath %s\n", msg);
    }
}

void
ft_bridge_upcall_register(struct ft_bridge *br)
{
    ft_dpif_set_upcall_cb(br->dpif, bridge_upcall, br);
    ft_dpif_set_cookie_destructor(br->dpif, ukey_release, br);
    ft_dpif_set_log_cb(br->dpif, bridge_dpif_log, br);
}

/* ---- Revalidation. ---- */

/* Credits what the datapath counted for 'ukey' since the last pass to
 * each of its rules. */
static void
ukey_credit(struct bridge_ukey *ukey, const struct ft_stats *stats,
            long long int now)
{
    uint64_t packets, bytes;
    long long int used;

    if (stats->n_packets <= ukey->credited.n_packets) {
        return;
    }
    packets = stats->n_packets - ukey->credited.n_packets;
    bytes = stats->n_bytes - ukey->credited.n_bytes;
    used = stats->used && stats->used <= now ? stats->used : now;
    for (size_t i = 0; i < ukey->n_rules; i++) {
        ft_ofrule_credit(ukey->rules[i], packets, bytes, used);
    }
    ukey->credited = *stats;
}

struct reval_ctx {
    struct ft_bridge *br;
    long long int now;
    long long int max_idle;
    uint64_t mac_gen;
    uint64_t n_flows;           /* Megaflows walked. */
    uint64_t n_stale;           /* Of those, translated again. */
};

static bool
ukey_is_stale(const struct reval_ctx *ctx, const struct bridge_ukey *ukey)
{
    const struct ft_bridge *br = ctx->br;

    return ukey->version != br->tables.version
           || ukey->port_gen != br->port_gen
           || (ukey->uses_normal && ukey->mac_gen != ctx->mac_gen);
}

/* Translates 'ukey''s key again.  Returns true if the megaflow must go
 * (its match is no longer what translation gives), else updates the
 * datapath's actions if they changed and the ukey's rules. */
static bool
ukey_retranslate(struct reval_ctx *ctx, struct bridge_ukey *ukey,
                 const struct ft_dpif_flow_info *info)
{
    struct ft_bridge *br = ctx->br;
    struct ft_xlate_out xout;
    struct ft_xbridge xbr;
    struct ft_xlate_in in;
    struct ft_error xerr;
    bool delete = false;
    int error;

    ft_bridge_xbridge(br, &xbr);
    memset(&in, 0, sizeof in);
    in.br = &xbr;
    in.flow = ukey->key;
    in.now = ctx->now;
    in.may_learn = false;

    ft_xlate_out_init(&xout);
    error = ft_xlate(&in, &xout, &xerr);
    ft_match_normalize(&xout.megaflow);
    if (!ft_match_equal(&xout.megaflow, &ukey->match)) {
        delete = true;
    } else {
        if (!ft_dp_actions_equal(&xout.actions, info->actions)) {
            ft_dpif_flow_set_actions(br->dpif, info, &xout.actions);
            br->stats.n_megaflows_modified++;
        }
        ukey_stamp(br, ukey, &xout, error != 0);
        ukey_take_rules(ukey, &xout);
    }
    ft_xlate_out_uninit(&xout);
    return delete;
}

/* Deletes the megaflow of 'ukey' from the datapath, crediting what it
 * counted since the last pass first. */
static void
ukey_delete(struct reval_ctx *ctx, struct bridge_ukey *ukey)
{
    struct ft_stats final;

    ukey_ref(ukey);
    if (!ft_dpif_flow_del(ctx->br->dpif, &ukey->match, &final)) {
        ukey_credit(ukey, &final, ctx->now);
    }
    ukey_unref(ukey);
}

static int
revalidate_cb(const struct ft_dpif_flow_info *info, void *aux)
{
    struct reval_ctx *ctx = aux;
    struct bridge_ukey *ukey = info->cookie;
    long long int used;

    if (!ukey) {
        return 0;
    }
    ctx->n_flows++;
    ukey_credit(ukey, &info->stats, ctx->now);

    used = info->stats.used ? info->stats.used : ukey->created;
    if (ctx->now - used >= ctx->max_idle) {
        ctx->br->stats.n_megaflows_expired++;
        ukey_delete(ctx, ukey);
        return 0;
    }
    if (ukey_is_stale(ctx, ukey)) {
        ctx->n_stale++;
        ukey_ref(ukey);
        if (ukey_retranslate(ctx, ukey, info)) {
            ctx->br->stats.n_megaflows_deleted++;
            ukey_delete(ctx, ukey);
        }
        ukey_unref(ukey);
    }
    return 0;
}

static void
reval_ctx_init(struct reval_ctx *ctx, struct ft_bridge *br,
               long long int now)
{
    ctx->br = br;
    ctx->now = now;
    ctx->max_idle = br->max_idle;
    ctx->mac_gen = ft_bridge_mac_gen(br);
    if (ft_dpif_flow_count(br->dpif) > br->flow_limit
        && ctx->max_idle > OVER_LIMIT_MAX_IDLE) {
        ctx->max_idle = OVER_LIMIT_MAX_IDLE;
    }
    ctx->n_flows = ctx->n_stale = 0;
}

static void
reval_pass_done(struct ft_bridge *br, uint64_t start, uint64_t n_flows,
                uint64_t n_stale)
{
    br->stats.n_revalidations++;
    br->stats.last_reval_usec = (uint64_t) ft_time_usec() - start;
    br->stats.last_reval_flows = n_flows;
    br->stats.last_reval_stale = n_stale;
}

void
ft_bridge_revalidator_abort(struct ft_bridge *br)
{
    ft_dpif_walk_finish(br->reval_walk);
    br->reval_walk = NULL;
}

void
ft_bridge_revalidator_run(struct ft_bridge *br, long long int now)
{
    uint64_t start = (uint64_t) ft_time_usec();
    struct reval_ctx ctx;

    ft_bridge_revalidator_abort(br);
    reval_ctx_init(&ctx, br, now);
    ft_dpif_flow_foreach(br->dpif, revalidate_cb, &ctx);
    reval_pass_done(br, start, ctx.n_flows, ctx.n_stale);
}

bool
ft_bridge_revalidator_step(struct ft_bridge *br, long long int now,
                           size_t max)
{
    struct reval_ctx ctx;
    bool done;

    if (!br->reval_walk) {
        br->reval_walk = ft_dpif_walk_start(br->dpif);
        if (!br->reval_walk) {
            /* No memory for a snapshot: do without one. */
            ft_bridge_revalidator_run(br, now);
            return true;
        }
        br->reval_start_usec = (uint64_t) ft_time_usec();
        br->reval_flows = br->reval_stale = 0;
    }
    /* The tables, MAC table and limits as they are now: what changed since
     * the pass began is seen by the rest of it (and the next pass, which
     * the change scheduled, covers the part already done). */
    reval_ctx_init(&ctx, br, now);
    done = ft_dpif_walk_step(br->dpif, br->reval_walk, max, revalidate_cb,
                             &ctx);
    br->reval_flows += ctx.n_flows;
    br->reval_stale += ctx.n_stale;
    if (done) {
        ft_bridge_revalidator_abort(br);
        reval_pass_done(br, br->reval_start_usec, br->reval_flows,
                        br->reval_stale);
    }
    return done;
}

/* ---- dump-dp-flows. ---- */

struct dump_ctx {
    void (*cb)(const struct ft_bridge_dp_flow *, void *aux);
    void *aux;
};

static int
dump_dp_cb(const struct ft_dpif_flow_info *info, void *aux)
{
    struct dump_ctx *ctx = aux;
    struct ft_bridge_tier_reason reasons[FT_N_TIERS];
    struct bridge_ukey *ukey = info->cookie;
    struct ft_bridge_dp_flow f;

    memset(&f, 0, sizeof f);
    f.match = info->match;
    f.actions = info->actions;
    f.stats = info->stats;
    f.tier = FT_TIER_USER;
    f.reasons = reasons;
    if (ukey) {
        f.tier = ukey->tier;
        f.n_rules = ukey->n_rules;
        for (int t = 0; t < FT_N_TIERS; t++) {
            if (ukey->reasons[t]) {
                reasons[f.n_reasons].tier = t;
                reasons[f.n_reasons].reason = ukey->reasons[t];
                f.n_reasons++;
            }
        }
    }
    ctx->cb(&f, ctx->aux);
    return 0;
}

void
ft_bridge_dump_dp_flows(struct ft_bridge *br,
                        void (*cb)(const struct ft_bridge_dp_flow *,
                                   void *aux),
                        void *aux)
{
    struct dump_ctx ctx = { cb, aux };

    ft_dpif_flow_foreach(br->dpif, dump_dp_cb, &ctx);
}

void
ft_bridge_format_dp_flow(const struct ft_bridge_dp_flow *f,
                         long long int now, struct ds *out)
{
    ft_megaflow_format(f->match, out);
    ds_put_format(out, ", packets:%llu, bytes:%llu, used:",
                  (unsigned long long) f->stats.n_packets,
                  (unsigned long long) f->stats.n_bytes);
    if (f->stats.used) {
        long long int age = now > f->stats.used ? now - f->stats.used : 0;

        ds_put_format(out, "%lld.%03llds", age / 1000, age % 1000);
    } else {
        ds_put_cstr(out, "never");
    }
    ds_put_format(out, ", tier:%s", ft_tier_name(f->tier));
    for (size_t i = 0; i < f->n_reasons; i++) {
        ds_put_format(out, ", not in %s: %s",
                      ft_tier_name(f->reasons[i].tier), f->reasons[i].reason);
    }
    ds_put_cstr(out, ", actions:");
    ft_dp_actions_format(f->actions, out);
}

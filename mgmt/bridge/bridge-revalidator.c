/*
 * bridge-revalidator.c - a running bridge's upcall handler and
 * revalidator: megaflows from translation, unified counters, idle expiry
 * and re-translation (see "Life of a packet" and "Revalidation and
 * counters" in mgmt/bridge/bridge.h).
 *
 * Part of the management plane.  The datapath (swpath/dpif.h) calls
 * bridge_upcall() on a miss: it translates the packet's key and hands the
 * megaflow to the bridge's megaflow table (bridge/megaflow.h), which
 * places it in a tier.  The revalidator walks that table: it reads the
 * counters of every tier in batches, credits them to the OpenFlow rules,
 * and expires, modifies or deletes each megaflow in whichever tier holds
 * it.  Runs in the daemon's main loop only.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowtier/util.h"

#include "mgmt/bridge/bridge-private.h"
#include "mgmt/flowsyntax/odp-print.h"
#include "offload/offload.h"

/* Growth of the resident memory that malloc does not have in use, since
 * its lowest point after the last malloc_trim(), that makes a pass's end
 * call malloc_trim() again. */
#define REVAL_TRIM_BYTES (1 << 20)

/* While the bridge holds more megaflows than the flow limit, idle ones go
 * after this many ms instead of 'max-idle' (as in Open vSwitch). */
#define OVER_LIMIT_MAX_IDLE 100

/* Moves the rules of 'xout' into 'mf' (dropping its old ones). */
static void
megaflow_take_rules(struct bridge_megaflow *mf, struct ft_xlate_out *xout)
{
    for (size_t i = 0; i < mf->n_rules; i++) {
        ft_ofrule_unref(mf->rules[i]);
    }
    free(mf->rules);
    mf->rules = xout->rules;
    mf->n_rules = xout->n_rules;
    xout->rules = NULL;
    xout->n_rules = xout->allocated_rules = 0;
}

/* Records in 'mf' what it was translated at. */
static void
megaflow_stamp(const struct ft_bridge *br, struct bridge_megaflow *mf,
               const struct ft_xlate_out *xout, bool xlate_error)
{
    mf->version = br->tables.version;
    mf->mac_gen = ft_bridge_mac_gen(br);
    mf->port_gen = br->port_gen;
    mf->uses_normal = xout->uses_normal;
    mf->xlate_error = xlate_error;
}

/* Credits one packet of 'size' bytes at 'now', counted in 'tier', to the
 * 'n' rules 'rules'. */
static void
credit_rules(struct ft_ofrule *const *rules, size_t n, enum ft_tier tier,
             uint32_t size, long long int now)
{
    for (size_t i = 0; i < n; i++) {
        ft_ofrule_credit_tier(rules[i], tier, 1, size, now);
    }
}

/* ---- Upcalls. ---- */

/* A packet of a megaflow that the datapath does not hold is executed
 * there on its way and counted here: in the datapath's tier of the
 * record, and on its rules at once. */
static void
upcall_count(struct ft_bridge *br, struct bridge_megaflow *mf,
             uint32_t size)
{
    enum ft_tier tier = ft_dpif_tier(br->dpif);
    struct ft_stats *ts = &mf->stats.tier[tier];

    ts->n_packets++;
    ts->n_bytes += size;
    ts->used = br->now;
    mf->credited_packets[tier]++;
    mf->credited_bytes[tier] += size;
    credit_rules(mf->rules, mf->n_rules, tier, size, br->now);
}

static int
bridge_upcall(void *aux, struct ft_dpif *dpif, const struct ft_flow *key,
              struct ft_packet *pkt, struct ft_match *megaflow_out,
              struct ft_dp_actions *actions_out,
              struct ft_dpif_flow **flow_out, struct ft_error *err)
{
    struct ft_bridge *br = aux;
    struct bridge_megaflow *mf;
    struct ft_xlate_out xout;
    struct ft_xbridge xbr;
    struct ft_xlate_in in;
    struct ft_error xerr, perr;
    uint32_t hash;
    int error;

    (void) dpif;
    (void) err;
    br->n_upcalls++;
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
    ft_match_normalize(&xout.megaflow);
    *megaflow_out = xout.megaflow;
    ft_dp_actions_copy(actions_out, &xout.actions);

    mf = bridge_megaflow_find(br, &xout.megaflow, &hash);
    if (mf) {
        /* Held by a faster tier that this packet went around (or just
         * made by an earlier packet of the same burst). */
        if (!mf->offload) {
            *flow_out = mf->handle.dp;
        } else {
            upcall_count(br, mf, pkt->size);
        }
    } else if (br->megaflows.n >= br->flow_limit) {
        br->stats.n_flow_limit_hits++;
        ft_bridge_warn(br, &br->xlate_rl, "flow limit %u reached: megaflow "
                       "not installed (%llu times so far)", br->flow_limit,
                       (unsigned long long) br->stats.n_flow_limit_hits);
        credit_rules(xout.rules, xout.n_rules, ft_dpif_tier(br->dpif),
                         pkt->size, br->now);
    } else {
        ft_error_clear(&perr);
        mf = bridge_megaflow_create(br, &xout.megaflow, hash,
                                    &xout.actions, br->now, &perr);
        if (mf) {
            megaflow_stamp(br, mf, &xout, error != 0);
            megaflow_take_rules(mf, &xout);
            if (!mf->offload) {
                *flow_out = mf->handle.dp;
            } else {
                upcall_count(br, mf, pkt->size);
            }
        } else {
            ft_bridge_warn(br, &br->xlate_rl, "megaflow not installed: %s",
                           perr.reason);
            credit_rules(xout.rules, xout.n_rules, ft_dpif_tier(br->dpif),
                         pkt->size, br->now);
        }
    }
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
    ft_dpif_set_log_cb(br->dpif, bridge_dpif_log, br);
}

/* ---- Revalidation. ---- */

/* Credits what every tier counted for 'mf' since the last credit to each
 * of its rules. */
static void
megaflow_credit(struct bridge_megaflow *mf, long long int now)
{
    struct ft_stats total = bridge_megaflow_total(mf);
    long long int used = total.used && total.used <= now ? total.used : now;

    for (int t = 0; t < FT_N_TIERS; t++) {
        const struct ft_stats *ts = &mf->stats.tier[t];
        uint64_t packets, bytes;

        if (ts->n_packets <= mf->credited_packets[t]) {
            continue;
        }
        packets = ts->n_packets - mf->credited_packets[t];
        bytes = ts->n_bytes - mf->credited_bytes[t];
        for (size_t i = 0; i < mf->n_rules; i++) {
            ft_ofrule_credit_tier(mf->rules[i], t, packets, bytes, used);
        }
        mf->credited_packets[t] = ts->n_packets;
        mf->credited_bytes[t] = ts->n_bytes;
    }
}

struct reval_ctx {
    struct ft_bridge *br;
    long long int now;
    long long int max_idle;
    uint64_t mac_gen;
    uint64_t n_flows;           /* Megaflows walked. */
    uint64_t n_stale;           /* Of those, translated again. */
    bool stats_read;            /* The pass read every counter at its
                                 * start: the slices read none. */
    /* The batch's megaflows to delete (referenced), removed together at
     * its end, so that a provider sends the removals back to back. */
    struct bridge_megaflow **doomed;
    size_t n_doomed;
};

static bool
megaflow_is_stale(const struct reval_ctx *ctx,
                  const struct bridge_megaflow *mf)
{
    const struct ft_bridge *br = ctx->br;

    return mf->adopted
           || mf->version != br->tables.version
           || mf->port_gen != br->port_gen
           || (mf->uses_normal && mf->mac_gen != ctx->mac_gen);
}

/* Marks 'mf' for removal from its tier at the end of the batch
 * (revalidate_batch()), which credits its last counts then. */
static void
megaflow_delete(struct reval_ctx *ctx, struct bridge_megaflow *mf)
{
    ctx->doomed[ctx->n_doomed++] = bridge_megaflow_ref(mf);
}

/* Translates 'mf''s key again: deletes the megaflow if its match is no
 * longer what translation gives, else changes its actions in its tier if
 * they changed, and takes the new rules. */
static bool
megaflow_retranslate(struct reval_ctx *ctx, struct bridge_megaflow *mf)
{
    bool deleted = false;

    struct ft_bridge *br = ctx->br;
    struct ft_xlate_out xout;
    struct ft_xbridge xbr;
    struct ft_xlate_in in;
    struct ft_error xerr;
    int error;

    ft_bridge_xbridge(br, &xbr);
    memset(&in, 0, sizeof in);
    in.br = &xbr;
    in.flow = mf->match.flow;
    in.now = ctx->now;
    /* A megaflow taken over from a previous run teaches the MAC table what
     * that run had learned from its packets (they never come up). */
    in.may_learn = mf->adopted;

    ft_xlate_out_init(&xout);
    error = ft_xlate(&in, &xout, &xerr);
    ft_match_normalize(&xout.megaflow);
    if (!ft_match_equal(&xout.megaflow, &mf->match)) {
        br->stats.n_megaflows_deleted++;
        megaflow_delete(ctx, mf);
        deleted = true;
    } else {
        /* The rules first: if the holder fails the change and no tier
         * takes the megaflow, its counts go to the right rules. */
        megaflow_stamp(br, mf, &xout, error != 0);
        mf->adopted = false;
        megaflow_take_rules(mf, &xout);
        if (!ft_dp_actions_equal(&xout.actions, &mf->actions)) {
            br->stats.n_megaflows_modified++;
            if (bridge_megaflow_modify(br, mf, &xout.actions)) {
                megaflow_credit(mf, ctx->now);
            }
        }
    }
    ft_xlate_out_uninit(&xout);
    return deleted;
}

/* Revalidates 'mf', whose counters were just read. */
static void
revalidate_one(struct reval_ctx *ctx, struct bridge_megaflow *mf)
{
    struct ft_stats total;
    long long int used;

    if (mf->dead) {
        return;
    }
    ctx->n_flows++;
    megaflow_credit(mf, ctx->now);

    total = bridge_megaflow_total(mf);
    used = total.used ? total.used : mf->created;
    if (ctx->now - used >= ctx->max_idle) {
        ctx->br->stats.n_megaflows_expired++;
        megaflow_delete(ctx, mf);
        return;
    }
    if (megaflow_is_stale(ctx, mf)) {
        ctx->n_stale++;
        if (megaflow_retranslate(ctx, mf)) {
            return;
        }
    }
    if (!mf->dead && bridge_underlay_stale(ctx->br, mf)) {
        if (bridge_megaflow_replace(ctx->br, mf)) {
            megaflow_credit(mf, ctx->now);
        }
    }
}

/* Revalidates the 'n' records 'mfs' (referenced; this drops the
 * references): their counters read in one batch per tier, then each
 * one. */
static void
revalidate_batch(struct reval_ctx *ctx, struct bridge_megaflow *const mfs[],
                 size_t n)
{
    if (!ctx->stats_read) {
        bridge_megaflows_read_stats(ctx->br, mfs, n);
    }
    ctx->doomed = ft_xmalloc((n + 1) * sizeof *ctx->doomed);
    ctx->n_doomed = 0;
    for (size_t i = 0; i < n; i++) {
        revalidate_one(ctx, mfs[i]);
    }
    bridge_megaflows_remove_many(ctx->br, ctx->doomed, ctx->n_doomed);
    for (size_t i = 0; i < ctx->n_doomed; i++) {
        megaflow_credit(ctx->doomed[i], ctx->now);
        bridge_megaflow_unref(ctx->doomed[i]);
    }
    free(ctx->doomed);
    ctx->doomed = NULL;
    /* Last, so that the room those removals freed is seen. */
    for (size_t i = 0; i < n; i++) {
        if (!mfs[i]->dead && bridge_megaflow_retry_faster(ctx->br, mfs[i])) {
            ctx->br->stats.n_megaflows_moved++;
        }
        bridge_megaflow_unref(mfs[i]);
    }
}

static void
reval_ctx_init(struct reval_ctx *ctx, struct ft_bridge *br,
               long long int now)
{
    ctx->br = br;
    ctx->now = now;
    ctx->max_idle = br->max_idle;
    ctx->mac_gen = ft_bridge_mac_gen(br);
    if (br->megaflows.n > br->flow_limit
        && ctx->max_idle > OVER_LIMIT_MAX_IDLE) {
        ctx->max_idle = OVER_LIMIT_MAX_IDLE;
    }
    ctx->n_flows = ctx->n_stale = 0;
    ctx->stats_read = false;
}

/* A pass in slices reads the counters of every megaflow once, at its
 * start: a provider's read is a dump of whole ports (TC), which each
 * slice would otherwise repeat, so that a pass over N megaflows cost
 * N / slice dumps of N filters, and new flows' upcalls waited behind
 * them. */
static void
reval_read_all_stats(struct ft_bridge *br)
{
    struct bridge_megaflows *t = &br->megaflows;
    struct bridge_megaflow **mfs;
    size_t n = t->n;

    mfs = ft_xmalloc((n ? n : 1) * sizeof *mfs);
    for (size_t i = 0; i < n; i++) {
        mfs[i] = bridge_megaflow_ref(t->all[i]);
    }
    bridge_megaflows_read_stats(br, mfs, n);
    for (size_t i = 0; i < n; i++) {
        bridge_megaflow_unref(mfs[i]);
    }
    free(mfs);
}

/* Gives memory freed inside the heap back to the system once there is
 * much of it.  malloc keeps freed memory resident: after a flood of new
 * flows has expired, the daemon would keep its peak resident size for
 * good.  malloc_trim() returns every free page of the heap (not only its
 * top); what stays is the pages still holding something in use.
 *
 * The measure is what is resident and not in use, whoever freed it and
 * however it lies: the megaflows' records go when the revalidator removes
 * them, the forwarding threads' copies as the threads apply the
 * deletions, the last few after the pass that freed most; and a free
 * region becomes worth returning only once the last small allocation in
 * its pages goes, which barely changes the heap's free bytes.  Counting
 * removals (as this did) trimmed once, before the stragglers, and left
 * 20 MB resident after a flood of 12,000 megaflows. */
static long long int
reval_resident_unused(void)
{
    struct mallinfo2 mi = mallinfo2();
    long long int page = sysconf(_SC_PAGESIZE);
    unsigned long long int size, resident, shared;
    char buf[128];
    ssize_t n;
    int fd;

    fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) {
        return 0;
    }
    buf[n] = '\0';
    if (sscanf(buf, "%llu %llu %llu", &size, &resident, &shared) != 3
        || shared > resident) {
        return 0;
    }
    /* Resident anonymous memory (file and shared pages, such as the
     * packet rings, are not malloc's) less what malloc has handed out. */
    return (long long int) (resident - shared) * page
           - (long long int) (mi.uordblks + mi.hblkhd);
}

/* Trims once the memory resident and unused has grown REVAL_TRIM_BYTES
 * above its lowest since this bridge's last trim.  The heap is the whole
 * daemon's: with several bridges each keeps its own lowest point, so a
 * growth may be trimmed once per bridge, which costs only the call. */
static void
reval_trim(struct ft_bridge *br)
{
    long long int unused = reval_resident_unused();

    if (unused < br->trim_unused_low) {
        br->trim_unused_low = unused;
    } else if (unused - br->trim_unused_low >= REVAL_TRIM_BYTES) {
        malloc_trim(0);
        br->trim_unused_low = reval_resident_unused();
    }
}

static void
reval_pass_done(struct ft_bridge *br, uint64_t start, uint64_t n_flows,
                uint64_t n_stale)
{
    reval_trim(br);
    bridge_log_removals_given_up(br);
    br->stats.n_revalidations++;
    br->stats.last_reval_usec = (uint64_t) ft_time_usec() - start;
    br->stats.last_reval_work_usec = br->reval_last_work_usec;
    br->stats.last_reval_flows = n_flows;
    br->stats.last_reval_stale = n_stale;
}

/* The tables' last change: notes a version not seen yet, at 'now_usec'.
 * A pass that begins from then on is the one that settles it. */
static void
reval_settle_notice(struct ft_bridge *br, uint64_t now_usec)
{
    if (br->tables.version != br->settle_version) {
        br->settle_version = br->tables.version;
        br->settle_start_usec = now_usec;
        br->settle_stale = 0;
        br->settle_state = SETTLE_WAIT;
    }
}

/* A pass begins ('begin') or runs a slice that translated 'n_stale'
 * megaflows again and may have ended the pass ('done'). */
static void
reval_settle_step(struct ft_bridge *br, bool begin, uint64_t n_stale,
                  bool done)
{
    if (br->settle_state == SETTLE_NONE) {
        return;
    }
    if (begin && br->settle_state == SETTLE_WAIT) {
        br->settle_state = SETTLE_PASS;
    }
    br->settle_stale += n_stale;
    if (done && br->settle_state == SETTLE_PASS) {
        br->stats.change_version = br->settle_version;
        br->stats.change_settle_usec = ((uint64_t) ft_time_usec()
                                        - br->settle_start_usec);
        br->stats.change_retranslated = br->settle_stale;
        br->settle_state = SETTLE_NONE;
    }
}

void
ft_bridge_revalidator_abort(struct ft_bridge *br)
{
    br->reval_active = false;
    bridge_megaflows_walk_start(&br->megaflows);
}

/* Revalidates up to 'max' more records of the walk.  Returns true when
 * the walk is done. */
static bool
reval_walk_step(struct reval_ctx *ctx, size_t max)
{
    struct bridge_megaflows *t = &ctx->br->megaflows;
    size_t left = bridge_megaflows_walk_left(t);
    struct bridge_megaflow **batch;
    size_t n;

    if (left) {
        n = max < left ? max : left;
        batch = ft_xmalloc(n * sizeof *batch);
        n = bridge_megaflows_walk_next(t, batch, n);
        revalidate_batch(ctx, batch, n);
        free(batch);
    }
    return !bridge_megaflows_walk_left(t);
}

/* The smallest slice (megaflows) the time limit may bring a slice to. */
#define REVAL_SLICE_MIN 64

/* Sizes the next slice from the last one, 'n' megaflows in 'usec' when it
 * was sized to take 'budget_usec': about what fits in 'max_usec' at that
 * pace, between REVAL_SLICE_MIN and 'max'.  (A slice reads its
 * megaflows' counters in one batch per tier, so it is sized before it
 * starts rather than cut short.) */
static void
reval_slice_adapt(struct ft_bridge *br, size_t n, uint64_t usec,
                  size_t planned, uint64_t budget_usec, size_t max,
                  uint64_t max_usec)
{
    size_t next = br->reval_slice;

    if (usec > budget_usec && n) {
        next = (size_t) ((uint64_t) n * max_usec / usec);
    } else if (usec < budget_usec / 2 && n >= planned) {
        next = 2 * (br->reval_slice ? br->reval_slice : REVAL_SLICE_MIN);
    }
    br->reval_slice = (next < REVAL_SLICE_MIN ? REVAL_SLICE_MIN
                       : next > max ? max : next);
}

/* The time (us) the next slice is sized to take: 'busy_usec' if the
 * datapath handed up misses since the last slice (more are most likely
 * waiting: a flood of new flows, whose upcalls would otherwise wait
 * behind the slices of a pass), else 'max_usec'.  0: no time bound. */
static uint64_t
reval_slice_budget(const struct ft_bridge *br, uint64_t max_usec,
                   uint64_t busy_usec)
{
    bool misses = br->n_upcalls != br->reval_upcalls;

    return misses && busy_usec && busy_usec < max_usec ? busy_usec
                                                       : max_usec;
}

/* Walks up to 'max' more records of the pass in batches of
 * REVAL_SLICE_MIN, and stops early once the slice begun at 'start_usec'
 * has used 'budget_usec': a slice's size comes from the pace of the
 * slices before it, and after a change of the tables each megaflow may
 * cost a change of its rule in a tier (TC under an emulated CPU: a few
 * ms each) where the passes before cost microseconds each, so that a
 * slice sized at rest (4,096 megaflows) held the loop for seconds.  The
 * counters must have been read already (the batches read none).  Returns
 * true when the walk is done. */
static bool
reval_walk_timed(struct reval_ctx *ctx, size_t max, uint64_t start_usec,
                 uint64_t budget_usec)
{
    size_t walked = 0;
    bool done = false;

    while (!done && walked < max) {
        size_t n = max - walked < REVAL_SLICE_MIN ? max - walked
                                                  : REVAL_SLICE_MIN;

        done = reval_walk_step(ctx, n);
        walked += n;
        if ((uint64_t) ft_time_usec() - start_usec >= budget_usec) {
            break;
        }
    }
    return done;
}

/* How many megaflows the next slice of a pass walks: 'max' without a
 * time bound, else the size reval_slice_adapt() last chose for
 * 'max_usec', scaled to 'budget_usec'. */
static size_t
reval_next_slice(const struct ft_bridge *br, size_t max, uint64_t max_usec,
                 uint64_t budget_usec)
{
    size_t n = br->reval_slice ? br->reval_slice : REVAL_SLICE_MIN;

    if (!max_usec) {
        return max;
    }
    if (budget_usec < max_usec) {
        n = (size_t) ((uint64_t) n * budget_usec / max_usec);
        n = n < REVAL_SLICE_MIN ? REVAL_SLICE_MIN : n;
    }
    return n > max ? max : n;
}

void
ft_bridge_revalidator_run(struct ft_bridge *br, long long int now)
{
    uint64_t start = (uint64_t) ft_time_usec();
    struct reval_ctx ctx;

    bridge_megaflows_commit(br);
    ft_bridge_revalidator_abort(br);
    bridge_underlay_run(br);
    reval_settle_notice(br, start);
    reval_ctx_init(&ctx, br, now);
    reval_walk_step(&ctx, SIZE_MAX);
    ft_bridge_revalidator_abort(br);
    br->reval_last_work_usec = (uint64_t) ft_time_usec() - start;
    reval_pass_done(br, start, ctx.n_flows, ctx.n_stale);
    reval_settle_step(br, true, ctx.n_stale, true);
}

bool
ft_bridge_revalidator_step(struct ft_bridge *br, long long int now,
                           size_t max, uint64_t max_usec, uint64_t busy_usec)
{
    uint64_t now_usec = (uint64_t) ft_time_usec();
    uint64_t step_start = now_usec;
    uint64_t budget = reval_slice_budget(br, max_usec, busy_usec);
    size_t planned = reval_next_slice(br, max, max_usec, budget);
    struct reval_ctx ctx;
    bool begin = !br->reval_active;
    bool done;

    bridge_megaflows_commit(br);
    reval_settle_notice(br, now_usec);
    bridge_underlay_run(br);
    if (begin) {
        ft_bridge_revalidator_abort(br);
        br->reval_active = true;
        br->reval_start_usec = now_usec;
        br->reval_work_usec = 0;
        br->reval_flows = br->reval_stale = 0;
        /* A pass longer than one slice, or one whose slices are timed
         * (they may stop early: reval_walk_timed()), reads every counter
         * now (reval_read_all_stats()), in one read as a single slice
         * would; the slice's pace is timed without that read. */
        br->reval_stats_read = br->megaflows.n > planned || max_usec;
        if (br->reval_stats_read) {
            reval_read_all_stats(br);
            now_usec = (uint64_t) ft_time_usec();
        }
    }
    /* The tables, MAC table and limits as they are now: what changed since
     * the pass began is seen by the rest of it (and the next pass, which
     * the change scheduled, covers the part already done). */
    reval_ctx_init(&ctx, br, now);
    ctx.stats_read = br->reval_stats_read;
    if (!max_usec) {
        done = reval_walk_step(&ctx, max);
    } else {
        done = reval_walk_timed(&ctx, planned, now_usec, budget);
        reval_slice_adapt(br, ctx.n_flows, (uint64_t) ft_time_usec()
                          - now_usec, planned, budget, max, max_usec);
    }
    br->reval_upcalls = br->n_upcalls;
    br->reval_flows += ctx.n_flows;
    br->reval_stale += ctx.n_stale;
    br->reval_work_usec += (uint64_t) ft_time_usec() - step_start;
    if (done) {
        ft_bridge_revalidator_abort(br);
        br->reval_last_work_usec = br->reval_work_usec;
        reval_pass_done(br, br->reval_start_usec, br->reval_flows,
                        br->reval_stale);
    }
    reval_settle_step(br, begin, ctx.n_stale, done);
    return done;
}

/* ---- dump-dp-flows. ---- */

void
ft_bridge_dump_dp_flows(struct ft_bridge *br,
                        void (*cb)(const struct ft_bridge_dp_flow *,
                                   void *aux),
                        void *aux)
{
    const struct bridge_megaflows *t = &br->megaflows;
    struct bridge_megaflow **mfs;
    size_t n;

    bridge_megaflows_commit(br);
    n = t->n;

    /* A snapshot: the callback may not change the bridge, but reading the
     * counters goes to every tier. */
    mfs = ft_xmalloc(n * sizeof *mfs);
    memcpy(mfs, t->all, n * sizeof *mfs);
    bridge_megaflows_read_stats(br, mfs, n);
    for (size_t i = 0; i < n; i++) {
        const struct bridge_megaflow *mf = mfs[i];
        struct ft_bridge_tier_reason reasons[FT_N_TIERS];
        struct ft_bridge_dp_flow f;

        memset(&f, 0, sizeof f);
        f.match = &mf->match;
        f.actions = &mf->actions;
        f.stats = bridge_megaflow_total(mf);
        f.tier_stats = mf->stats;
        f.tier = mf->tier;
        f.holder = mf->offload ? ft_offload_name(mf->offload)
                               : ft_dpif_type(br->dpif);
        f.dp = (mf->offload ? ft_offload_type(mf->offload)
                : mf->tier == FT_TIER_KERNEL ? "kmod" : "user");
        f.offloaded = mf->tier == FT_TIER_HW;
        f.reasons = reasons;
        f.n_rules = mf->n_rules;
        f.front_reason = mf->offload ? NULL : mf->reasons[mf->tier];
        for (int tier = 0; tier < FT_N_TIERS; tier++) {
            if (mf->reasons[tier] && tier < (int) mf->tier) {
                reasons[f.n_reasons].tier = tier;
                reasons[f.n_reasons].reason = mf->reasons[tier];
                f.n_reasons++;
            }
        }
        cb(&f, aux);
    }
    free(mfs);
}

void
ft_bridge_format_dp_flow(const struct ft_bridge_dp_flow *f,
                         long long int now, struct ds *out)
{
    ft_dp_megaflow_format(f->match, out);
    ds_put_format(out, ", packets:%llu, bytes:%llu, used:",
                  (unsigned long long) f->stats.n_packets,
                  (unsigned long long) f->stats.n_bytes);
    if (f->stats.used) {
        long long int age = now > f->stats.used ? now - f->stats.used : 0;

        ds_put_format(out, "%lld.%03llds", age / 1000, age % 1000);
    } else {
        ds_put_cstr(out, "never");
    }
    ds_put_format(out, ", offloaded:%s, dp:%s, tier:%s",
                  f->offloaded ? "yes" : "no", f->dp, ft_tier_name(f->tier));
    for (size_t i = 0; i < f->n_reasons; i++) {
        ds_put_format(out, ", not in %s: %s",
                      ft_tier_name(f->reasons[i].tier), f->reasons[i].reason);
    }
    if (f->front_reason) {
        ds_put_format(out, ", not in TC: %s", f->front_reason);
    }
    ds_put_cstr(out, ", actions:");
    ft_dp_actions_format(f->actions, out);
}

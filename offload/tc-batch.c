/*
 * tc-batch.c - the TC flower provider's batches (see "Batches" in
 * offload.h and offload-tc.h): requests sent without waiting for their
 * answers (new filters, and a get of the old counts followed by the
 * replace for a change of actions), the answers read together and each
 * matched to its request by sequence number so that a refusal keeps its
 * own extack message, and removals sent back to back (tc-del.h), a
 * removal the kernel refuses kept and tried again, less and less often,
 * until it works or is given up (counted, with the kernel's words).
 *
 * Part of the offload layer; shares 'struct tc' with offload-tc.c
 * (tc-provider.h) and talks to the kernel only through tc-nl.c and
 * tc-del.c.  At most TC_MAX_PENDING requests are ever outstanding.
 */
#include "tc-provider.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>

#include "flowtier/util.h"
#include "tc-filter.h"
#include "tc-nl.h"

/* ---- Batches (see "Batches" in offload.h). ---- */

/* The pending request with sequence number 'seq', or NULL. */
static struct tc_req *
tc_pending_find(struct tc *tc, uint32_t seq)
{
    for (size_t i = 0; i < tc->n_pending; i++) {
        if (tc->pending[i].flow && tc->pending[i].seq == seq) {
            return &tc->pending[i];
        }
    }
    return NULL;
}

/* What a request got back before its ack: a new or replaced filter (its
 * flags say where the kernel put it), or the counts of a filter about to
 * be replaced. */
static void
tc_drain_msg_cb(const struct nlmsghdr *nlh, void *tc_)
{
    struct tc_req *req = tc_pending_find(tc_, nlh->nlmsg_seq);
    struct ft_offload_flow *flow = req ? req->flow : NULL;
    struct ft_tc_filter f;

    if (!flow || nlh->nlmsg_type != RTM_NEWTFILTER
        || ft_tc_filter_parse(nlh, &f)) {
        return;
    }
    if (req->op == TC_REQ_GET) {
        flow->got_before = true;
        flow->before = flow->base;
        flow->before.n_packets += f.stats.n_packets;
        flow->before.n_bytes += ft_tc_stats_bytes(&flow->match,
                                                  f.stats.n_packets,
                                                  f.stats.n_bytes,
                                                  f.hw_packets);
        if (f.stats.used > flow->before.used) {
            flow->before.used = f.stats.used;
        }
    } else {
        flow->echoed = true;
        flow->echo_flags = f.flags;
    }
}

/* Moves 'flow', which the kernel refused with 'error' and 'msg', from
 * 'flows' to 'failed'. */
static void
tc_put_failed(struct tc *tc, struct ft_offload_flow *flow, int error,
              const char *msg)
{
    struct ft_error e;

    ft_error_set(&e, error == -EINVAL ? -EOPNOTSUPP : error, "tc: %s",
                 msg && msg[0] ? msg : strerror(-error));
    flow->error = e.code;
    free(flow->why);
    flow->why = ft_xstrdup(e.reason);
    tc->flows[flow->idx] = tc->flows[--tc->n_flows];
    tc->flows[flow->idx]->idx = flow->idx;
    if (tc->n_failed >= tc->allocated_failed) {
        tc->allocated_failed = tc->allocated_failed
                               ? 2 * tc->allocated_failed : 16;
        tc->failed = ft_xrealloc(tc->failed, tc->allocated_failed
                                             * sizeof *tc->failed);
    }
    tc->failed[tc->n_failed++] = flow;
}

/* Remembers that the filter of 'flow' must go (ft_tc_gone_retry()), after
 * 'tries' failed deletes of it (0 or 1). */
static void
tc_gone_add(struct tc *tc, const struct ft_offload_flow *flow,
            unsigned int tries)
{
    struct tc_gone *g;

    if (tc->n_gone >= tc->allocated_gone) {
        tc->allocated_gone = tc->allocated_gone ? 2 * tc->allocated_gone
                                                : 16;
        tc->gone = ft_xrealloc(tc->gone,
                               tc->allocated_gone * sizeof *tc->gone);
    }
    g = &tc->gone[tc->n_gone++];
    g->id = (struct ft_tc_filter_id) { flow->ifindex, flow->prio,
                                       flow->protocol, flow->handle };
    g->in_port = flow->in_port;
    g->tries = tries;
    g->skip = 0;
}

/* Notes a failed delete of 'g' ('error', the kernel's message 'msg'):
 * returns true if 'g' is given up, else sets when it is tried next. */
static bool
tc_gone_failed(struct tc *tc, struct tc_gone *g, int error, const char *msg)
{
    const struct tc_port *p = ft_tc_port_find(tc, g->in_port);
    const char *name = p ? p->name : "?";

    g->tries++;
    if (g->tries < TC_GONE_MAX_TRIES) {
        g->skip = (1u << (g->tries - 1)) - 1;
        return false;
    }
    tc->n_gone_given_up++;
    snprintf(tc->gone_given_up_why, sizeof tc->gone_given_up_why,
             "tc: port %.16s: a filter the kernel did not let go in %u "
             "tries (%.60s) stays there ('tc filter show dev %.16s "
             "ingress') until the port is cleaned", name, g->tries,
             msg && msg[0] ? msg : strerror(-error), name);
    return true;
}

/* The filter of 'flow' is in the kernel: says where (with skip_sw, in a
 * NIC; with no skip flag, what the echo said, and why not in a NIC from
 * the ack's message 'msg'). */
static void
tc_note_placed(struct tc *tc, struct ft_offload_flow *flow, const char *msg)
{
    const struct tc_port *in = ft_tc_port_find(tc, flow->in_port);
    struct ft_tc_filter f;
    struct ft_error why;

    if (!in || in->skip & TCA_CLS_FLAGS_SKIP_SW) {
        flow->in_hw = true;
        return;
    }
    if (in->skip & TCA_CLS_FLAGS_SKIP_HW) {
        flow->in_hw = false;
        return;
    }
    memset(&f, 0, sizeof f);
    f.flags = flow->echo_flags;
    ft_error_clear(&why);
    flow->in_hw = ft_tc_filter_in_hw(&f, msg, in->name, &why);
    if (!flow->echoed) {
        ft_error_set(&why, -EOPNOTSUPP, "tc: port %s: the kernel did not "
                     "say where it put the filter", in->name);
    }
    free(flow->why);
    flow->why = flow->in_hw ? NULL : ft_xstrdup(why.reason);
}

/* The ack of the pending request with 'seq'.  A put is installed or
 * refused; a replace too, and a refused one leaves the old filter, which
 * is to go (the flow moves to the next tier). */
static void
tc_drain_ack_cb(uint32_t seq, int error, const char *msg, void *tc_)
{
    struct tc *tc = tc_;
    struct tc_req *req = tc_pending_find(tc, seq);
    struct ft_offload_flow *flow = req ? req->flow : NULL;
    enum tc_req_op op = req ? req->op : TC_REQ_GET;

    if (!flow) {
        return;
    }
    req->flow = NULL;
    if (op == TC_REQ_GET || flow->error) {
        return;             /* A put already refused: so is its replace. */
    }
    flow->pending = false;
    if (error) {
        if (op == TC_REQ_REPLACE) {
            tc_gone_add(tc, flow, 0);
        }
        tc_put_failed(tc, flow, error, msg);
        return;
    }
    if (op == TC_REQ_REPLACE && flow->got_before) {
        flow->base = flow->before;
    }
    tc_note_placed(tc, flow, msg);
}

/* Tries again to delete the filters in 'gone' (on 'port_no', or all if
 * FT_PORT_NONE) whose turn it is, or all if 'force'; keeps those the
 * kernel still refuses, until they are given up. */
void
ft_tc_gone_retry(struct tc *tc, ft_port_no port_no, bool force)
{
    struct ft_tc_filter_id *ids = ft_xmalloc((tc->n_gone + 1) * sizeof *ids);
    size_t *at = ft_xmalloc((tc->n_gone + 1) * sizeof *at);
    struct ft_tc_del_result *res;
    size_t n = 0, kept = 0;

    for (size_t i = 0; i < tc->n_gone; i++) {
        struct tc_gone *g = &tc->gone[i];

        if (port_no != FT_PORT_NONE && g->in_port != port_no) {
            continue;
        }
        if (g->skip && !force) {
            g->skip--;
            continue;
        }
        at[n] = i;
        ids[n++] = g->id;
    }
    if (!n) {
        free(at);
        free(ids);
        return;
    }
    res = ft_xmalloc((n + 1) * sizeof *res);
    ft_tc_del_filters(tc->sock, ids, n, res);
    for (size_t i = 0, j = 0; i < tc->n_gone; i++) {
        bool tried = j < n && at[j] == i;
        bool done = tried && (!res[j].error || res[j].error == -ENOENT);

        if (tried && !done) {
            done = tc_gone_failed(tc, &tc->gone[i], res[j].error,
                                  res[j].msg);
        }
        j += tried;
        if (!done) {
            tc->gone[kept++] = tc->gone[i];
        }
    }
    tc->n_gone = kept;
    free(res);
    free(at);
    free(ids);
}

/* Reads the acks of every pending request.  A socket that fails loses
 * them: those puts and replaces are refused (their filters may exist:
 * they are deleted). */
void
ft_tc_drain(struct tc *tc)
{
    uint32_t seqs[TC_MAX_PENDING];
    int error;

    if (!tc->n_pending) {
        return;
    }
    for (size_t i = 0; i < tc->n_pending; i++) {
        seqs[i] = tc->pending[i].seq;
    }
    error = ft_tc_nl_collect(tc->sock, seqs, tc->n_pending, tc_drain_msg_cb,
                             tc_drain_ack_cb, tc);
    for (size_t i = 0; error && i < tc->n_pending; i++) {
        struct ft_offload_flow *flow = tc->pending[i].flow;

        if (flow && !flow->error) {
            flow->pending = false;
            tc_gone_add(tc, flow, 0);
            tc_put_failed(tc, flow, -EIO, "the kernel's answer was lost");
        }
        tc->pending[i].flow = NULL;
    }
    tc->n_pending = 0;
}

int
ft_tc_commit(struct ft_offload *o,
          void (*failed)(void *aux, struct ft_offload_flow *, int error,
                         const char *reason),
          void *aux)
{
    struct tc *tc = tc_cast(o);

    ft_tc_drain(tc);
    if (tc->n_gone) {
        ft_tc_gone_retry(tc, FT_PORT_NONE, false);
    }
    for (size_t i = 0; i < tc->n_failed; i++) {
        struct ft_offload_flow *flow = tc->failed[i];

        failed(aux, flow, flow->error, flow->why);
        free(flow->why);
        free(flow);
    }
    tc->n_failed = 0;
    return 0;
}

/* Sends 'msg' for 'flow' as a request of kind 'op' without waiting for
 * its ack.  A new or replaced filter with neither skip flag asks for the
 * filter back (NLM_F_ECHO), which says where the kernel put it. */
int
ft_tc_send_async(struct tc *tc, const struct tc_port *in, struct nl_msg *msg,
              enum tc_req_op op, struct ft_offload_flow *flow,
              struct ft_error *err)
{
    struct tc_req *req = &tc->pending[tc->n_pending];
    int error;

    if (op != TC_REQ_GET
        && !(in->skip & (TCA_CLS_FLAGS_SKIP_SW | TCA_CLS_FLAGS_SKIP_HW))) {
        nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_ECHO;
    }
    error = ft_tc_nl_send(tc->sock, msg, &req->seq, "tc", err);
    if (!error) {
        req->op = op;
        req->flow = flow;
        tc->n_pending++;
        if (op != TC_REQ_GET) {
            flow->pending = true;
        }
    }
    return error;
}

void
ft_tc_failed_forget(struct tc *tc, struct ft_offload_flow *flow)
{
    for (size_t i = 0; i < tc->n_failed; i++) {
        if (tc->failed[i] == flow) {
            tc->failed[i] = tc->failed[--tc->n_failed];
            break;
        }
    }
    free(flow->why);
    free(flow);
}

/* Deletes the filters of the 'n' flows 'flows' in one batch (tc-del.h)
 * and frees them: 'stats[i]' (if 'stats' is nonnull) gets flows[i]'s
 * final counts, from the deleted filter the kernel sent back, and
 * 'errors[i]' (if nonnull) 0 or why the kernel kept it; such a filter is
 * kept in 'gone' and tried again later.  Returns the number of failures. */
size_t
ft_tc_del_flows(struct tc *tc, struct ft_offload_flow *const flows[], size_t n,
             struct ft_stats stats[], int errors[])
{
    struct ft_tc_filter_id *ids = ft_xmalloc((n + 1) * sizeof *ids);
    struct ft_tc_del_result *res = ft_xmalloc((n + 1) * sizeof *res);
    size_t n_failed = 0;

    ft_tc_drain(tc);
    for (size_t i = 0; i < n; i++) {
        const struct ft_offload_flow *f = flows[i];

        ids[i] = (struct ft_tc_filter_id) { f->ifindex, f->prio, f->protocol,
                                            f->handle };
    }
    ft_tc_del_filters(tc->sock, ids, n, res);
    for (size_t i = 0; i < n; i++) {
        struct ft_offload_flow *flow = flows[i];
        const struct ft_tc_del_result *r = &res[i];
        int error = r->error == -ENOENT ? 0 : r->error;

        if (stats) {
            stats[i] = flow->base;
            if (r->echoed) {
                const struct ft_stats *fs = &r->filter.stats;

                stats[i].n_packets += fs->n_packets;
                stats[i].n_bytes += ft_tc_stats_bytes(&flow->match,
                                                      fs->n_packets,
                                                      fs->n_bytes,
                                                      r->filter.hw_packets);
                if (fs->used > stats[i].used) {
                    stats[i].used = fs->used;
                }
            }
        }
        if (errors) {
            errors[i] = error;
        }
        if (error) {
            tc_gone_add(tc, flow, 1);
            n_failed++;
        }
        ft_tc_flow_forget(tc, flow);
    }
    free(res);
    free(ids);
    return n_failed;
}

int
ft_tc_flow_del(struct ft_offload *o, struct ft_offload_flow *flow,
            struct ft_stats *stats)
{
    struct tc *tc = tc_cast(o);
    int error;

    ft_tc_drain(tc);
    if (flow->error) {
        if (stats) {
            *stats = flow->base;
        }
        ft_tc_failed_forget(tc, flow);
        return 0;
    }
    ft_tc_del_flows(tc, &flow, 1, stats, &error);
    return error;
}

size_t
ft_tc_flow_del_batch(struct ft_offload *o, struct ft_offload_flow *const flows[],
                  size_t n, struct ft_stats stats[], int errors[])
{
    struct tc *tc = tc_cast(o);
    struct ft_offload_flow **live = ft_xcalloc(n + 1, sizeof *live);
    struct ft_stats *live_stats = ft_xmalloc((n + 1) * sizeof *live_stats);
    int *live_errors = ft_xmalloc((n + 1) * sizeof *live_errors);
    size_t *at = ft_xmalloc((n + 1) * sizeof *at);
    size_t n_live = 0, n_failed;

    ft_tc_drain(tc);
    if (tc->n_gone) {
        ft_tc_gone_retry(tc, FT_PORT_NONE, false);
    }
    for (size_t i = 0; i < n; i++) {
        errors[i] = 0;
        if (flows[i]->error) {
            stats[i] = flows[i]->base;
            ft_tc_failed_forget(tc, flows[i]);
        } else {
            at[n_live] = i;
            live[n_live++] = flows[i];
        }
    }
    n_failed = ft_tc_del_flows(tc, live, n_live, live_stats, live_errors);
    for (size_t j = 0; j < n_live; j++) {
        stats[at[j]] = live_stats[j];
        errors[at[j]] = live_errors[j];
    }
    free(at);
    free(live_errors);
    free(live_stats);
    free(live);
    return n_failed;
}

void
ft_tc_gone_forget_port(struct tc *tc, ft_port_no port_no)
{
    size_t kept = 0;

    for (size_t i = 0; i < tc->n_gone; i++) {
        if (tc->gone[i].in_port != port_no) {
            tc->gone[kept++] = tc->gone[i];
        }
    }
    tc->n_gone = kept;
}


void
ft_tc_get_removals(const struct ft_offload *o, struct ft_offload_removals *r)
{
    const struct tc *tc = (const struct tc *) o;

    memset(r, 0, sizeof *r);
    r->n_retrying = tc->n_gone;
    r->n_given_up = tc->n_gone_given_up;
    snprintf(r->last_given_up, sizeof r->last_given_up, "%s",
             tc->gone_given_up_why);
}

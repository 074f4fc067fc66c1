/*
 * xlate.c - translation of the OpenFlow pipeline into a megaflow (see
 * xlate.h for the contract).
 *
 * Behaviour follows Open vSwitch 3.1's ofproto-dpif-xlate.c so that the
 * datapath actions equal those of 'ovs-appctl ofproto/trace' for the same
 * tables and packet:
 *
 *   - A table lookup that finds nothing is "No match." and drops (OVS's
 *     OpenFlow 1.3 table-miss default); a resubmit into such a table just
 *     returns to the next action.
 *   - resubmit(P,T) looks table T up with in_port P, then runs the rule's
 *     actions with the packet's real input port (OVS restores in_port
 *     right after the lookup, so that IN_PORT and NORMAL behave).
 *   - Depth counts only resubmits to the same or an earlier table; more
 *     than 64 nested, or more than 4096 resubmits in all, is an error, as
 *     is re-entering a table with a (table, in_port, flow) already on the
 *     stack (a loop that would otherwise run into the depth limit).  An
 *     error stops translation and the actions become drop.
 *   - Header changes are kept in the flow and committed lazily, just
 *     before each output (xlate-commit.c).  Writing a field un-wildcards
 *     it, as OVS does; a set_field whose prerequisites the packet does not
 *     meet is skipped with a warning, and mod_nw_* / mod_tp_* are silently
 *     skipped where they do not apply.
 *
 * Megaflow wildcards: everything the lookups and NORMAL consulted, plus
 * in_port and dl_type always, nw_frag for IP (OVS's xlate_wc_init()), the
 * presence and TPID of each VLAN tag the packet has (OVS's datapath keys
 * encode them), and the whole of each tag once the pipeline touches VLANs.
 * Metadata and registers are left out of the megaflow, as every packet
 * enters the pipeline with them zero (OVS's xlate_wc_finish()).
 *
 * Differences from OVS: FLOOD and ALL output in ascending port order (OVS
 * uses hash order); the CONTROLLER action and the dec_ttl exception both
 * become a "userspace(controller)" action without OVS's continuation
 * fields; setting ARP fields or ICMP type/code is refused with a reason
 * (OVS falls back to slow-path execution); meters do not exist and a
 * meter action fails translation.
 *
 * Not thread-safe; reads the bridge, updates the MAC table through NORMAL
 * only when 'may_learn'.
 */
#include "mgmt/ofproto/xlate.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/flowsyntax/field.h"
#include "mgmt/ofproto/normal.h"
#include "mgmt/flowsyntax/odp-print.h"
#include "mgmt/flowsyntax/ofp-actions.h"
#include "mgmt/flowsyntax/ofp-flow.h"
#include "mgmt/ofproto/xlate-commit.h"

#define MAX_RESUBMITS (FT_XLATE_MAX_DEPTH * FT_XLATE_MAX_DEPTH)

/* Trace tree, printed as ofproto/trace prints its oftrace_node tree. */
enum tnode_type {
    TN_ROOT,
    TN_BRIDGE,
    TN_TABLE,
    TN_ACTION,
    TN_DETAIL,
    TN_WARN,
    TN_ERROR,
};

struct tnode {
    enum tnode_type type;
    char *text;
    int first, last, next;      /* Children list and sibling link; -1. */
};

struct ttree {
    struct tnode *nodes;
    size_t n, allocated;
};

/* A table entered and not yet left, for loop detection. */
struct xframe {
    uint8_t table_id;
    struct ft_flow flow;
};

struct xctx {
    const struct ft_xlate_in *in;
    const struct ft_xbridge *br;
    struct ft_xlate_out *out;
    struct ft_error *err;

    struct ft_flow flow;        /* The packet as the pipeline has made it. */
    struct ft_flow base;        /* The packet as the actions so far make it. */
    struct ft_flow wc;          /* Consulted bits. */
    int error;                  /* 0, or negative errno: stop. */
    bool vlans_touched;

    uint8_t table_id;
    int depth;
    int resubmits;
    const struct ft_ofrule *rule;       /* Rule whose actions run. */
    struct xframe *frames;
    size_t n_frames, allocated_frames;

    struct ttree *trace;        /* NULL unless tracing. */
    int tcur;                   /* Trace node receiving reports. */
};

/* ---- Trace tree. ---- */

static int
ttree_add(struct ttree *t, int parent, enum tnode_type type, char *text)
{
    struct tnode *node;
    int idx;

    if (t->n >= t->allocated) {
        size_t n = t->allocated ? t->allocated * 2 : 32;
        struct tnode *p = realloc(t->nodes, n * sizeof *p);

        if (!p) {
            abort();
        }
        t->nodes = p;
        t->allocated = n;
    }
    idx = (int) t->n++;
    node = &t->nodes[idx];
    node->type = type;
    node->text = text;
    node->first = node->last = node->next = -1;
    if (parent >= 0) {
        struct tnode *p = &t->nodes[parent];

        if (p->last >= 0) {
            t->nodes[p->last].next = idx;
        } else {
            p->first = idx;
        }
        p->last = idx;
    }
    return idx;
}

static void
ttree_destroy(struct ttree *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->nodes[i].text);
    }
    free(t->nodes);
}

static bool
tnode_is_terminal(enum tnode_type type)
{
    return type == TN_ACTION || type == TN_DETAIL || type == TN_WARN
           || type == TN_ERROR;
}

/* OVS's oftrace_node_print_details(): a node followed by a sibling, or a
 * terminal node, is indented one level more than its list, and its
 * children two levels more; the last non-terminal node of a list and its
 * children stay at the list's level, so tail resubmits do not drift. */
static void
ttree_print(const struct ttree *t, int list, int level, struct ds *out)
{
    for (int i = t->nodes[list].first; i >= 0; i = t->nodes[i].next) {
        const struct tnode *n = &t->nodes[i];
        int more = n->next >= 0 || tnode_is_terminal(n->type);

        if (n->type == TN_BRIDGE) {
            ds_put_char(out, '\n');
        }
        ds_put_char_multiple(out, ' ', (size_t) (level + more) * 4);
        ds_put_cstr(out, n->type == TN_DETAIL ? " -> "
                         : n->type == TN_WARN ? " >> "
                         : n->type == TN_ERROR ? " >>>> " : "");
        ds_put_cstr(out, n->text);
        if (n->type == TN_ERROR) {
            ds_put_cstr(out, " <<<<");
        }
        ds_put_char(out, '\n');
        if (n->type == TN_BRIDGE) {
            ds_put_char_multiple(out, ' ', (size_t) (level + more) * 4);
            ds_put_char_multiple(out, '-', strlen(n->text));
            ds_put_char(out, '\n');
        }
        ttree_print(t, i, level + more + more, out);
    }
}

static int __attribute__((format(printf, 3, 4)))
report(struct xctx *ctx, enum tnode_type type, const char *fmt, ...)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    va_list args;

    if (!ctx->trace) {
        return -1;
    }
    va_start(args, fmt);
    ds_put_format_valist(&s, fmt, args);
    va_end(args);
    if (!s.s) {
        ds_put_cstr(&s, "");
    }
    return ttree_add(ctx->trace, ctx->tcur, type, s.s);
}

/* Turns NORMAL's trace lines ("     -> text", "     >> text",
 * "     >>>> text <<<<") into nodes of the current list, so that they are
 * indented for the depth at which NORMAL ran. */
static void
report_normal_lines(struct xctx *ctx, const char *lines)
{
    const char *p = lines;

    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t) (eol - p) : strlen(p);
        enum tnode_type type = TN_DETAIL;
        char *line = strndup(p, len);
        char *s = line;

        if (!line) {
            abort();
        }
        while (*s == ' ') {
            s++;
        }
        if (!strncmp(s, ">>>> ", 5)) {
            size_t n;

            type = TN_ERROR;
            s += 5;
            n = strlen(s);
            if (n >= 5 && !strcmp(s + n - 5, " <<<<")) {
                s[n - 5] = '\0';
            }
        } else if (!strncmp(s, ">> ", 3)) {
            type = TN_WARN;
            s += 3;
        } else if (!strncmp(s, "-> ", 3)) {
            s += 3;
        }
        if (*s) {
            report(ctx, type, "%s", s);
        }
        free(line);
        p += len + (eol != NULL);
    }
}

/* ---- Errors. ---- */

static void __attribute__((format(printf, 3, 4)))
xlate_fail(struct xctx *ctx, int code, const char *fmt, ...)
{
    char reason[FT_ERROR_REASON_MAX];
    va_list args;

    va_start(args, fmt);
    vsnprintf(reason, sizeof reason, fmt, args);
    va_end(args);
    report(ctx, TN_ERROR, "%s", reason);
    if (!ctx->error) {
        ctx->error = code;
        ft_error_set(ctx->err, code, "%s", reason);
    }
}

/* ---- Outputs. ---- */

static const struct ft_xport *
find_port(const struct ft_xbridge *br, ft_port_no port)
{
    size_t lo = 0, hi = br->n_ports;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (br->ports[mid].port == port) {
            return &br->ports[mid];
        } else if (br->ports[mid].port < port) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

static bool
commit(struct xctx *ctx)
{
    struct ft_error err;
    int error;

    error = ft_xlate_commit(&ctx->flow, &ctx->base, &ctx->wc,
                            &ctx->out->actions, &err);
    if (error) {
        xlate_fail(ctx, error, "%s", err.reason);
        return false;
    }
    return true;
}

/* Output to an existing port, committing header changes first. */
/* Output to tunnel port 'xp': its outer header, then the output. */
static void
compose_tunnel_output(struct xctx *ctx, const struct ft_xport *xp)
{
    struct ft_dpa_tunnel tnl;
    struct ft_error err;
    int error;

    error = ft_tnl_config_encap(xp->tnl, &ctx->flow, &ctx->wc, &tnl, &err);
    if (error) {
        report(ctx, TN_WARN, "output to tunnel %s dropped: %s", xp->name,
               err.reason);
        return;
    }
    if (!commit(ctx)) {
        return;
    }
    ft_dp_actions_put(&ctx->out->actions, FT_DPA_SET_TUNNEL)->tunnel = tnl;
    ft_dp_actions_put_output(&ctx->out->actions, xp->port);
    report(ctx, TN_DETAIL, "output to VXLAN tunnel %s: remote %u.%u.%u.%u, "
           "VNI %"PRIu64", UDP port %u", xp->name, tnl.dst >> 24,
           (tnl.dst >> 16) & 0xff, (tnl.dst >> 8) & 0xff, tnl.dst & 0xff,
           tnl.tun_id, tnl.tp_dst);
}

static void
compose_output(struct xctx *ctx, ft_port_no port)
{
    const struct ft_xport *xp = find_port(ctx->br, port);

    if (!xp) {
        report(ctx, TN_WARN, "Nonexistent output port");
        return;
    }
    if (xp->tnl) {
        compose_tunnel_output(ctx, xp);
    } else if (commit(ctx)) {
        ft_dp_actions_put_output(&ctx->out->actions, port);
    }
}

static void
output_port(struct xctx *ctx, ft_port_no port)
{
    if (port == ctx->flow.in_port) {
        report(ctx, TN_WARN, "skipping output to input port");
        return;
    }
    compose_output(ctx, port);
}

static void
flood(struct xctx *ctx, bool all)
{
    for (size_t i = 0; i < ctx->br->n_ports && !ctx->error; i++) {
        const struct ft_xport *xp = &ctx->br->ports[i];

        if (xp->port != ctx->flow.in_port && (all || !xp->no_flood)) {
            compose_output(ctx, xp->port);
        }
    }
}

static void
compose_controller(struct xctx *ctx, uint16_t max_len)
{
    struct ft_dp_action *a;

    if (!commit(ctx)) {
        return;
    }
    a = ft_dp_actions_put(&ctx->out->actions, FT_DPA_USERSPACE);
    a->userspace.reason = ctx->rule && !ctx->rule->spec.priority
                          && ft_flow_is_zero(&ctx->rule->spec.match.mask)
                          ? FT_USERSPACE_TABLE_MISS : FT_USERSPACE_CONTROLLER;
    a->userspace.max_len = max_len;
    a->userspace.cookie = ctx->rule ? ctx->rule->spec.cookie : 0;
    a->userspace.table_id = ctx->table_id;
}

/* ---- VLANs. ---- */

/* Once the pipeline changes VLAN tags, the tag stacks compared at commit
 * time depend on the packet's own tags: match them whole. */
static void
touch_vlans(struct xctx *ctx)
{
    const struct ft_flow *orig = &ctx->in->flow;

    if (ctx->vlans_touched) {
        return;
    }
    ctx->vlans_touched = true;
    for (int i = 0; i < 2 && orig->vlans[i].tci & FT_VLAN_CFI; i++) {
        ctx->wc.vlans[i].tci = 0xffff;
        ctx->wc.vlans[i].tpid = 0xffff;
    }
}

static void
pop_vlan(struct ft_flow *flow)
{
    if (flow->vlans[0].tci & FT_VLAN_CFI) {
        flow->vlans[0] = flow->vlans[1];
        memset(&flow->vlans[1], 0, sizeof flow->vlans[1]);
    }
}

static void
push_vlan(struct ft_flow *flow, uint16_t tpid, uint16_t tci)
{
    flow->vlans[1] = flow->vlans[0];
    flow->vlans[0].tpid = tpid;
    flow->vlans[0].tci = tci | FT_VLAN_CFI;
}

/* Restores the invariants after a write to a VLAN field: an absent tag is
 * all zero (and hides the inner one), a present tag has a TPID. */
static void
normalize_vlans(struct ft_flow *flow)
{
    if (!(flow->vlans[0].tci & FT_VLAN_CFI)) {
        memset(flow->vlans, 0, sizeof flow->vlans);
    } else if (!flow->vlans[0].tpid) {
        flow->vlans[0].tpid = FT_ETH_TYPE_VLAN;
    }
}

static void
set_vlan_bits(struct xctx *ctx, uint16_t mask, uint16_t bits, bool push)
{
    struct ft_vlan *v = &ctx->flow.vlans[0];

    ctx->wc.vlans[0].tci |= FT_VLAN_CFI;
    if (v->tci & FT_VLAN_CFI || push) {
        touch_vlans(ctx);
        if (!v->tpid) {
            v->tpid = FT_ETH_TYPE_VLAN;
        }
        v->tci = (v->tci & ~mask) | bits | FT_VLAN_CFI;
    }
}

/* ---- NORMAL. ---- */

static void
xlate_normal(struct xctx *ctx)
{
    struct ft_normal_result res;
    struct ds trace = DS_EMPTY_INITIALIZER;

    if (ctx->br->ml) {
        ctx->out->uses_normal = true;
    }
    ft_normal_result_init(&res);
    /* With a priority tag (VID 0), whether NORMAL's outputs carry a tag
     * at all depends on the PCP (a VID 0, PCP 0 tag is no tag), which
     * ft_normal_xlate() does not mark in every case. */
    if (ctx->flow.vlans[0].tci & FT_VLAN_CFI
        && !(ctx->flow.vlans[0].tci & FT_VLAN_VID_MASK)) {
        ctx->wc.vlans[0].tci |= FT_VLAN_PCP_MASK;
    }
    ft_normal_xlate(ctx->br, &ctx->flow, &ctx->wc, ctx->in->now,
                    ctx->in->may_learn, &res, ctx->trace ? &trace : NULL);
    if (ctx->trace) {
        report_normal_lines(ctx, ds_cstr(&trace));
        if (!res.n && res.drop_reason
            && !strstr(ds_cstr(&trace), res.drop_reason)) {
            report(ctx, TN_DETAIL, "%s", res.drop_reason);
        }
    }
    ds_destroy(&trace);

    for (size_t i = 0; i < res.n && !ctx->error; i++) {
        const struct ft_normal_output *o = &res.outs[i];
        struct ft_vlan saved[2];
        const struct ft_vlan *outer = &ctx->flow.vlans[0];
        bool same = (o->tci & FT_VLAN_CFI)
                    ? (outer->tci & FT_VLAN_CFI) && outer->tci == o->tci
                    : !(outer->tci & FT_VLAN_CFI);

        memcpy(saved, ctx->flow.vlans, sizeof saved);
        if (!same) {
            touch_vlans(ctx);
            pop_vlan(&ctx->flow);
            if (o->tci & FT_VLAN_CFI) {
                push_vlan(&ctx->flow, FT_ETH_TYPE_VLAN, o->tci);
            }
        }
        output_port(ctx, o->port);
        memcpy(ctx->flow.vlans, saved, sizeof saved);
    }
    ft_normal_result_uninit(&res);
}

/* ---- Actions. ---- */

static void xlate_table__(struct xctx *, ft_port_no in_port,
                          uint8_t table_id, bool may_packet_in);

/* A resubmit: a miss returns to the next action. */
static void
xlate_table(struct xctx *ctx, ft_port_no in_port, uint8_t table_id)
{
    xlate_table__(ctx, in_port, table_id, false);
}

static void
xlate_output(struct xctx *ctx, ft_port_no port)
{
    switch (port) {
    case FT_PORT_IN_PORT:
        compose_output(ctx, ctx->flow.in_port);
        break;
    case FT_PORT_NORMAL:
        xlate_normal(ctx);
        break;
    case FT_PORT_FLOOD:
        flood(ctx, false);
        break;
    case FT_PORT_ALL:
        flood(ctx, true);
        break;
    case FT_PORT_CONTROLLER:
        compose_controller(ctx, UINT16_MAX);
        break;
    case FT_PORT_NONE:
        break;
    case FT_PORT_TABLE:
        if (ctx->in->actions) {
            xlate_table__(ctx, ctx->flow.in_port, 0, true);
        } else {
            report(ctx, TN_WARN, "output to TABLE is only for packet-out");
        }
        break;
    default:
        output_port(ctx, port);
        break;
    }
}

static bool
is_l4_field(const struct ft_field *f)
{
    return f->prereq == FT_PREREQ_L4 || f->prereq == FT_PREREQ_TCP
           || f->prereq == FT_PREREQ_UDP || f->prereq == FT_PREREQ_SCTP
           || f->prereq == FT_PREREQ_ICMPV4 || f->prereq == FT_PREREQ_ICMPV6;
}

static bool
is_vlan_field(enum ft_field_id id)
{
    return id == FT_F_VLAN_TCI || id == FT_F_DL_VLAN
           || id == FT_F_DL_VLAN_PCP || id == FT_F_VLAN_VID
           || id == FT_F_VLAN_PCP;
}

static void
xlate_set_field(struct xctx *ctx, const struct ft_ofpact_set_field *sf)
{
    const struct ft_field *f = ft_field_from_id(sf->field);
    bool mod_tp = sf->spelling == FT_SPELL_MOD_TP_SRC
                  || sf->spelling == FT_SPELL_MOD_TP_DST;
    bool ok;

    if (mod_tp) {
        /* OVS: mod_tp_src/dst write tp_src/dst of any IP packet (for ICMP
         * its type and code), whatever its protocol. */
        ok = ft_flow_is_ip(&ctx->flow);
        if (ok) {
            ctx->wc.nw_proto = 0xff;
        }
    } else {
        ok = ft_field_prereqs_ok(f, &ctx->flow, &ctx->wc);
    }

    /* L4 headers are absent from later fragments. */
    if (ok && is_l4_field(f) && ctx->flow.nw_frag & FT_FRAG_LATER) {
        ok = false;
    }
    if (!ok) {
        if (sf->spelling == FT_SPELL_SET_FIELD
            || sf->spelling == FT_SPELL_LOAD) {
            report(ctx, TN_WARN, "unmet prerequisites for %s, set_field "
                   "ignored", f->name);
        }
        return;
    }
    if (is_vlan_field(f->id)) {
        touch_vlans(ctx);
    }
    ft_field_unwildcard(f, &sf->mask, &ctx->wc);
    ft_field_set(f, &sf->value, &sf->mask, &ctx->flow);
    if (is_vlan_field(f->id)) {
        normalize_vlans(&ctx->flow);
    }
}

/* Returns false if the rest of this action list must be skipped (dec_ttl
 * exception). */
static bool
xlate_dec_ttl(struct xctx *ctx)
{
    struct ft_flow *flow = &ctx->flow;

    ctx->wc.nw_ttl = 0xff;
    if (!ft_flow_is_ip(flow)) {
        return true;
    }
    if (flow->nw_ttl > 1) {
        flow->nw_ttl--;
        return true;
    }
    compose_controller(ctx, UINT16_MAX);
    report(ctx, TN_WARN, "IPv%d decrement TTL exception",
           flow->dl_type == FT_ETH_TYPE_IP ? 4 : 6);
    return false;
}

static void
trace_action(struct xctx *ctx, const struct ft_ofpact *a)
{
    struct ft_ofpacts one;
    struct ds s = DS_EMPTY_INITIALIZER;

    if (!ctx->trace) {
        return;
    }
    one.acts = (struct ft_ofpact *) a;
    one.n = one.allocated = 1;
    ft_ofpacts_format(&one, NULL, &s);
    report(ctx, TN_ACTION, "%s", ds_cstr(&s));
    ds_destroy(&s);
}

static void
do_actions(struct xctx *ctx, const struct ft_ofpacts *acts)
{
    if (!acts->n) {
        report(ctx, TN_ACTION, "drop");
        return;
    }
    for (size_t i = 0; i < acts->n && !ctx->error; i++) {
        const struct ft_ofpact *a = &acts->acts[i];
        struct ft_flow *flow = &ctx->flow;

        trace_action(ctx, a);
        switch (a->type) {
        case FT_OFPACT_OUTPUT:
            xlate_output(ctx, a->output.port);
            break;
        case FT_OFPACT_CONTROLLER:
            compose_controller(ctx, a->controller.max_len);
            break;
        case FT_OFPACT_RESUBMIT:
            xlate_table(ctx, a->resubmit.in_port == FT_PORT_IN_PORT
                             ? flow->in_port : a->resubmit.in_port,
                        a->resubmit.table_id == 255
                        ? ctx->table_id : a->resubmit.table_id);
            break;
        case FT_OFPACT_GOTO_TABLE:
            xlate_table__(ctx, flow->in_port, a->table_id, true);
            break;
        case FT_OFPACT_SET_VLAN_VID:
            set_vlan_bits(ctx, FT_VLAN_VID_MASK, a->vlan_vid.vid,
                          a->vlan_vid.push_vlan_if_needed);
            break;
        case FT_OFPACT_SET_VLAN_PCP:
            set_vlan_bits(ctx, FT_VLAN_PCP_MASK,
                          (uint16_t) (a->vlan_pcp.pcp << FT_VLAN_PCP_SHIFT),
                          a->vlan_pcp.push_vlan_if_needed);
            break;
        case FT_OFPACT_STRIP_VLAN:
            ctx->wc.vlans[0].tci |= FT_VLAN_CFI;
            if (flow->vlans[0].tci & FT_VLAN_CFI) {
                touch_vlans(ctx);
                pop_vlan(flow);
            }
            break;
        case FT_OFPACT_PUSH_VLAN:
            touch_vlans(ctx);
            push_vlan(flow, a->push_vlan.ethertype, 0);
            break;
        case FT_OFPACT_SET_FIELD:
            xlate_set_field(ctx, &a->set_field);
            break;
        case FT_OFPACT_DEC_TTL:
            if (!xlate_dec_ttl(ctx)) {
                return;
            }
            break;
        case FT_OFPACT_SET_TUNNEL:
            /* Matched so that the loop check's flow comparison is
             * decided by the megaflow too. */
            ctx->wc.tun_id = UINT64_MAX;
            flow->tun_id = a->set_tunnel.tun_id;
            break;
        case FT_OFPACT_WRITE_METADATA:
            flow->metadata = (flow->metadata & ~a->write_metadata.mask)
                             | (a->write_metadata.metadata
                                & a->write_metadata.mask);
            break;
        case FT_OFPACT_METER:
            xlate_fail(ctx, -ENOENT, "meter %"PRIu32" does not exist",
                       a->meter_id);
            break;
        default:
            xlate_fail(ctx, -EOPNOTSUPP, "unknown action type %d",
                       (int) a->type);
            break;
        }
    }
}

/* ---- Tables. ---- */

static bool
on_stack(const struct xctx *ctx, uint8_t table_id, const struct ft_flow *f)
{
    for (size_t i = 0; i < ctx->n_frames; i++) {
        if (ctx->frames[i].table_id == table_id
            && ft_flow_equal(&ctx->frames[i].flow, f)) {
            return true;
        }
    }
    return false;
}

static void
push_frame(struct xctx *ctx, uint8_t table_id, const struct ft_flow *f)
{
    if (ctx->n_frames >= ctx->allocated_frames) {
        size_t n = ctx->allocated_frames ? ctx->allocated_frames * 2 : 16;
        struct xframe *p = realloc(ctx->frames, n * sizeof *p);

        if (!p) {
            abort();
        }
        ctx->frames = p;
        ctx->allocated_frames = n;
    }
    ctx->frames[ctx->n_frames].table_id = table_id;
    ctx->frames[ctx->n_frames].flow = *f;
    ctx->n_frames++;
}

static void
add_rule(struct ft_xlate_out *out, struct ft_ofrule *rule)
{
    if (out->n_rules >= out->allocated_rules) {
        size_t n = out->allocated_rules ? out->allocated_rules * 2 : 8;
        struct ft_ofrule **p = realloc(out->rules, n * sizeof *p);

        if (!p) {
            abort();
        }
        out->rules = p;
        out->allocated_rules = n;
    }
    ft_ofrule_ref(rule);
    out->rules[out->n_rules++] = rule;
}

static void
report_table(struct xctx *ctx, uint8_t table_id, const struct ft_ofrule *r)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    if (!ctx->trace) {
        return;
    }
    ds_put_format(&s, "%2d. ", table_id);
    if (!r) {
        ds_put_cstr(&s, "No match.");
    } else {
        ft_match_format(r->cr.match, -1, NULL, &s);
        if (s.s[s.len - 1] != ' ') {
            ds_put_cstr(&s, ", ");
        }
        ds_put_format(&s, "priority %d", (int) r->spec.priority);
        if (r->spec.cookie) {
            ds_put_format(&s, ", cookie %#"PRIx64, r->spec.cookie);
        }
    }
    ctx->tcur = ttree_add(ctx->trace, ctx->tcur, TN_TABLE, s.s);
}

/* The packet goes up for a table miss (see 'miss_to_controller'). */
static void
compose_no_match(struct xctx *ctx, uint8_t table_id)
{
    struct ft_dp_action *a;

    report(ctx, TN_ACTION, "controller (no match: an OpenFlow 1.0 "
           "connection's table-miss)");
    if (!commit(ctx)) {
        return;
    }
    a = ft_dp_actions_put(&ctx->out->actions, FT_DPA_USERSPACE);
    a->userspace.reason = FT_USERSPACE_NO_MATCH;
    a->userspace.max_len = UINT16_MAX;
    a->userspace.cookie = 0;
    a->userspace.table_id = table_id;
}

/* Looks 'table_id' up as 'in_port' and runs the rule found, nested.  A miss
 * where 'may_packet_in' (table 0, goto_table, packet-out to TABLE) may go
 * to the controller. */
static void
xlate_table__(struct xctx *ctx, ft_port_no in_port, uint8_t table_id,
              bool may_packet_in)
{
    bool deepens = table_id <= ctx->table_id;
    const struct ft_ofrule *old_rule = ctx->rule;
    uint8_t old_table = ctx->table_id;
    int old_tcur = ctx->tcur;
    ft_port_no real_in_port = ctx->flow.in_port;
    struct ft_ofrule *rule;

    if (table_id >= FT_N_TABLES) {
        report(ctx, TN_WARN, "table %d does not exist", table_id);
        return;
    }
    if (ctx->depth >= FT_XLATE_MAX_DEPTH) {
        xlate_fail(ctx, -ELOOP, "over max translation depth %d",
                   FT_XLATE_MAX_DEPTH);
        return;
    }
    if (ctx->resubmits >= MAX_RESUBMITS) {
        xlate_fail(ctx, -ELOOP, "over %d resubmit actions", MAX_RESUBMITS);
        return;
    }

    ctx->flow.in_port = in_port;
    if (on_stack(ctx, table_id, &ctx->flow)) {
        ctx->flow.in_port = real_in_port;
        xlate_fail(ctx, -ELOOP, "resubmit loop: table %d entered again "
                   "with in_port %"PRIu32" and the same flow", table_id,
                   in_port);
        return;
    }
    push_frame(ctx, table_id, &ctx->flow);
    rule = ft_oftables_lookup(ctx->br->tables, table_id, &ctx->flow,
                              &ctx->wc);
    ctx->flow.in_port = real_in_port;

    report_table(ctx, table_id, rule);
    if (!rule && may_packet_in && ctx->br->miss_to_controller) {
        compose_no_match(ctx, table_id);
    } else if (!rule) {
        report(ctx, TN_ACTION, "drop");
    } else {
        add_rule(ctx->out, rule);
        ctx->resubmits++;
        ctx->depth += deepens;
        ctx->table_id = table_id;
        ctx->rule = rule;
        do_actions(ctx, &rule->spec.actions);
        ctx->rule = old_rule;
        ctx->table_id = old_table;
        ctx->depth -= deepens;
    }
    ctx->n_frames--;
    ctx->tcur = old_tcur;
}

/* ---- Entry point. ---- */

void
ft_xlate_out_init(struct ft_xlate_out *out)
{
    memset(out, 0, sizeof *out);
    ft_dp_actions_init(&out->actions);
}

void
ft_xlate_out_uninit(struct ft_xlate_out *out)
{
    if (!out) {
        return;
    }
    for (size_t i = 0; i < out->n_rules; i++) {
        ft_ofrule_unref(out->rules[i]);
    }
    free(out->rules);
    ft_dp_actions_uninit(&out->actions);
    memset(out, 0, sizeof *out);
}

/* OVS's xlate_wc_init(): bits every megaflow matches. */
static void
wc_init(const struct ft_flow *flow, struct ft_flow *wc)
{
    ft_flow_zero(wc);
    wc->in_port = UINT32_MAX;
    wc->dl_type = 0xffff;
    if (ft_flow_is_ip(flow)) {
        wc->nw_frag = FT_FRAG_MASK;
    }
    wc->vlans[0].tci = FT_VLAN_CFI;
    if (flow->vlans[0].tci & FT_VLAN_CFI) {
        wc->vlans[0].tpid = 0xffff;
        wc->vlans[1].tci = FT_VLAN_CFI;
        if (flow->vlans[1].tci & FT_VLAN_CFI) {
            wc->vlans[1].tpid = 0xffff;
        }
    }
}

/* A packet from a tunnel port came out of its outer header: as Open
 * vSwitch's tunnel receive does, the megaflow matches that header (the
 * datapath chose the port by it).  Returns false if the header, one a
 * datapath received (FT_TNL_F_KEY set), is not one the port takes (a
 * kernel datapath's VXLAN device receives every VNI and remote of its UDP
 * port): the packet is then dropped, by a megaflow matching that header. */
static bool
wc_init_tunnel(struct xctx *ctx, ft_port_no in_port)
{
    const struct ft_xport *xp = find_port(ctx->br, in_port);
    const struct ft_flow *f = &ctx->flow;

    if (!xp || !xp->tnl) {
        return true;
    }
    ctx->wc.tun_id = UINT64_MAX;
    ctx->wc.tun_src = UINT32_MAX;
    ctx->wc.tun_dst = UINT32_MAX;
    /* "key" says the outer header is VXLAN's, which this port's check
     * below relies on.  DF and csum are matched only where an OpenFlow
     * rule consulted them (the classifier adds them to 'wc' then): a
     * megaflow of every DF sender matching +df would leave the hardware
     * tiers, which cannot match the outer flags (offload/tc-tunnel.c). */
    ctx->wc.tun_flags |= FT_TNL_F_KEY;
    report(ctx, TN_DETAIL, "input from VXLAN tunnel %s: VNI %"PRIu64
           ", from %u.%u.%u.%u", xp->name, ctx->flow.tun_id,
           ctx->flow.tun_src >> 24, (ctx->flow.tun_src >> 16) & 0xff,
           (ctx->flow.tun_src >> 8) & 0xff, ctx->flow.tun_src & 0xff);
    if (f->tun_flags & FT_TNL_F_KEY
        && !ft_tnl_config_rx_score(xp->tnl, f->tun_src, f->tun_dst,
                                   f->tun_id)) {
        report(ctx, TN_WARN, "VXLAN tunnel %s does not take VNI %"PRIu64
               " from %u.%u.%u.%u to %u.%u.%u.%u (its remote_ip, key or "
               "local_ip differ): dropped", xp->name, f->tun_id,
               f->tun_src >> 24, (f->tun_src >> 16) & 0xff,
               (f->tun_src >> 8) & 0xff, f->tun_src & 0xff, f->tun_dst >> 24,
               (f->tun_dst >> 16) & 0xff, (f->tun_dst >> 8) & 0xff,
               f->tun_dst & 0xff);
        return false;
    }
    return true;
}

/* OVS's xlate_wc_finish(). */
static void
wc_finish(const struct ft_flow *flow, struct ft_flow *wc)
{
    wc->metadata = 0;
    memset(wc->regs, 0, sizeof wc->regs);
    if ((flow->dl_type == FT_ETH_TYPE_IP && flow->nw_proto == FT_IPPROTO_ICMP)
        || (flow->dl_type == FT_ETH_TYPE_IPV6
            && flow->nw_proto == FT_IPPROTO_ICMPV6)) {
        wc->tp_src &= 0xff;
        wc->tp_dst &= 0xff;
    }
    for (int i = 0; i < 2; i++) {
        if (wc->vlans[i].tci) {
            wc->vlans[i].tci |= FT_VLAN_CFI;
        }
    }
    if (ft_flow_is_ip(flow) && flow->nw_frag & FT_FRAG_LATER) {
        wc->tp_src = wc->tp_dst = 0;
    }
}

static void
trace_finish(const struct xctx *ctx, struct ds *out)
{
    const struct ft_xlate_out *xo = ctx->out;

    ds_put_cstr(out, "Flow: ");
    ft_flow_format(&ctx->in->flow, out);
    ds_put_char(out, '\n');
    ttree_print(ctx->trace, 0, 0, out);
    ds_put_cstr(out, "\nFinal flow: ");
    if (ft_flow_equal(&ctx->flow, &ctx->in->flow)) {
        ds_put_cstr(out, "unchanged");
    } else {
        ft_flow_format(&ctx->flow, out);
    }
    ds_put_cstr(out, "\nMegaflow: ");
    ft_megaflow_format(&xo->megaflow, out);
    ds_put_cstr(out, "\nDatapath actions: ");
    ft_dp_actions_format(&xo->actions, out);
    ds_put_char(out, '\n');
    if (ctx->error) {
        ds_put_format(out, "Translation failed (%s), packet is dropped.\n",
                      ctx->err ? ctx->err->reason : strerror(-ctx->error));
    }
}

int
ft_xlate(const struct ft_xlate_in *in, struct ft_xlate_out *out,
         struct ft_error *err)
{
    struct ft_error local_err;
    struct ttree tree = { NULL, 0, 0 };
    struct xctx ctx;

    ft_xlate_out_uninit(out);
    ft_xlate_out_init(out);
    ft_error_clear(err);

    memset(&ctx, 0, sizeof ctx);
    ctx.in = in;
    ctx.br = in->br;
    ctx.out = out;
    ctx.err = err ? err : &local_err;
    ft_error_clear(ctx.err);
    ctx.flow = in->flow;
    ctx.base = in->flow;
    wc_init(&in->flow, &ctx.wc);
    ctx.tcur = -1;
    if (in->trace) {
        ctx.trace = &tree;
        ctx.tcur = ttree_add(&tree, -1, TN_ROOT, NULL);
        ctx.tcur = report(&ctx, TN_BRIDGE, "bridge(\"%s\")",
                          in->br->name ? in->br->name : "");
    }
    /* Table 0 is entered directly: no resubmit accounting. */
    ctx.table_id = 0;
    ctx.depth = -1;
    ctx.resubmits = -1;
    if (!wc_init_tunnel(&ctx, in->flow.in_port)) {
        /* Not the port's packet: the empty action list drops it. */
    } else if (in->actions) {
        do_actions(&ctx, in->actions);
    } else if (in->br->fail_open) {
        report(&ctx, TN_DETAIL, "fail-open: no controller is connected, "
               "NORMAL switching");
        xlate_normal(&ctx);
    } else {
        xlate_table__(&ctx, in->flow.in_port, 0, true);
    }

    if (ctx.error) {
        ft_dp_actions_clear(&out->actions);
    }
    wc_finish(&in->flow, &ctx.wc);
    ft_match_init(&out->megaflow, &in->flow, &ctx.wc);

    if (in->trace) {
        trace_finish(&ctx, in->trace);
        ttree_destroy(&tree);
    }
    free(ctx.frames);
    return ctx.error;
}

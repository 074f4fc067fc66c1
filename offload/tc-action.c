/*
 * tc-action.c - a megaflow's datapath actions as TC actions (see
 * tc-translate.h): outputs as mirred (mirror, and redirect for the last),
 * no output as gact drop, VLAN push and pop as act_vlan, header rewrites
 * as pedit followed by csum, an output to a tunnel port as tunnel_key set
 * then mirred to FlowTier's VXLAN device, and the input from a tunnel
 * port as tunnel_key unset first.
 *
 * Part of the TC provider.  Anything else (the daemon as an output, an
 * output off the input port's e-switch, a tunnel TC cannot describe)
 * refuses the megaflow with the action's name.
 */
#include "tc-translate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <linux/pkt_cls.h>
#include <linux/tc_act/tc_csum.h>
#include <linux/tc_act/tc_gact.h>
#include <linux/tc_act/tc_mirred.h>
#include <linux/tc_act/tc_pedit.h>
#include <linux/tc_act/tc_tunnel_key.h>
#include <linux/tc_act/tc_vlan.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

/* Header rewrites are at most this many 32-bit words (IPv6 addresses). */
#define MAX_PEDIT_KEYS 10

struct action_ctx {
    struct nl_msg *msg;
    int n;                      /* Actions written so far. */
    const uint8_t *cookie;
};

/* Opens action number 'n + 1' of kind 'kind', with the cookie on the
 * first; returns the nest of its options for the caller to fill and
 * close with action_end(). */
static struct nlattr *
action_begin(struct action_ctx *ctx, const char *kind, struct nlattr **act)
{
    *act = nla_nest_start(ctx->msg, ++ctx->n);
    nla_put_string(ctx->msg, TCA_ACT_KIND, kind);
    if (ctx->n == 1) {
        nla_put(ctx->msg, TCA_ACT_COOKIE, FT_TC_COOKIE_LEN, ctx->cookie);
    }
    return nla_nest_start(ctx->msg, TCA_ACT_OPTIONS);
}

static void
action_end(struct action_ctx *ctx, struct nlattr *act, struct nlattr *opts)
{
    nla_nest_end(ctx->msg, opts);
    nla_nest_end(ctx->msg, act);
}

static void
put_mirred(struct action_ctx *ctx, int ifindex, bool last)
{
    struct tc_mirred p;
    struct nlattr *act, *opts = action_begin(ctx, "mirred", &act);

    memset(&p, 0, sizeof p);
    p.action = last ? TC_ACT_STOLEN : TC_ACT_PIPE;
    p.eaction = last ? TCA_EGRESS_REDIR : TCA_EGRESS_MIRROR;
    p.ifindex = ifindex;
    nla_put(ctx->msg, TCA_MIRRED_PARMS, sizeof p, &p);
    action_end(ctx, act, opts);
}

static void
put_drop(struct action_ctx *ctx)
{
    struct tc_gact p;
    struct nlattr *act, *opts = action_begin(ctx, "gact", &act);

    memset(&p, 0, sizeof p);
    p.action = TC_ACT_SHOT;
    nla_put(ctx->msg, TCA_GACT_PARMS, sizeof p, &p);
    action_end(ctx, act, opts);
}

static void
put_vlan(struct action_ctx *ctx, const struct ft_dp_action *a)
{
    struct tc_vlan p;
    struct nlattr *act, *opts = action_begin(ctx, "vlan", &act);

    memset(&p, 0, sizeof p);
    p.action = TC_ACT_PIPE;
    p.v_action = a->type == FT_DPA_PUSH_VLAN ? TCA_VLAN_ACT_PUSH
                                             : TCA_VLAN_ACT_POP;
    nla_put(ctx->msg, TCA_VLAN_PARMS, sizeof p, &p);
    if (a->type == FT_DPA_PUSH_VLAN) {
        uint16_t tci = a->push_vlan.tci;

        nla_put_u16(ctx->msg, TCA_VLAN_PUSH_VLAN_ID, tci & FT_VLAN_VID_MASK);
        nla_put_u16(ctx->msg, TCA_VLAN_PUSH_VLAN_PROTOCOL,
                    htons(a->push_vlan.tpid ? a->push_vlan.tpid
                                            : FT_ETH_TYPE_VLAN));
        nla_put_u8(ctx->msg, TCA_VLAN_PUSH_VLAN_PRIORITY,
                   (tci & FT_VLAN_PCP_MASK) >> FT_VLAN_PCP_SHIFT);
    }
    action_end(ctx, act, opts);
}

/* A header rewrite: the bytes to set ('mask') and their values, at their
 * offsets in a header of type 'htype' (TCA_PEDIT_KEY_EX_HDR_TYPE_*). */
struct rewrite {
    int htype;
    uint8_t val[40], mask[40];
    size_t len;
};

static void
rewrite_set(struct rewrite *rw, size_t ofs, const void *val,
            const void *mask, size_t n)
{
    const uint8_t *v = val, *m = mask;

    for (size_t i = 0; i < n; i++) {
        rw->val[ofs + i] = v[i] & m[i];
        rw->mask[ofs + i] = m[i];
    }
    if (ofs + n > rw->len) {
        rw->len = ofs + n;
    }
}

/* Writes 'rw' as one pedit action: a key per 32-bit word it touches. */
static void
put_pedit(struct action_ctx *ctx, const struct rewrite *rw)
{
    struct {
        struct tc_pedit_sel sel;
        struct tc_pedit_key keys[MAX_PEDIT_KEYS];
    } p;
    struct nlattr *act, *opts, *keys_ex;
    int htypes[MAX_PEDIT_KEYS];
    size_t n = 0;

    memset(&p, 0, sizeof p);
    for (size_t ofs = 0; ofs < rw->len && n < MAX_PEDIT_KEYS; ofs += 4) {
        uint32_t val, mask;

        memcpy(&val, &rw->val[ofs], 4);
        memcpy(&mask, &rw->mask[ofs], 4);
        if (!mask) {
            continue;
        }
        p.keys[n].off = ofs;
        p.keys[n].mask = ~mask;     /* The bits kept. */
        p.keys[n].val = val;
        htypes[n] = rw->htype;
        n++;
    }
    p.sel.action = TC_ACT_PIPE;
    p.sel.nkeys = n;
    opts = action_begin(ctx, "pedit", &act);
    nla_put(ctx->msg, TCA_PEDIT_PARMS_EX,
            sizeof p.sel + n * sizeof p.keys[0], &p);
    keys_ex = nla_nest_start(ctx->msg, TCA_PEDIT_KEYS_EX);
    for (size_t i = 0; i < n; i++) {
        struct nlattr *k = nla_nest_start(ctx->msg, TCA_PEDIT_KEY_EX);

        nla_put_u16(ctx->msg, TCA_PEDIT_KEY_EX_HTYPE, htypes[i]);
        nla_put_u16(ctx->msg, TCA_PEDIT_KEY_EX_CMD, TCA_PEDIT_KEY_EX_CMD_SET);
        nla_nest_end(ctx->msg, k);
    }
    nla_nest_end(ctx->msg, keys_ex);
    action_end(ctx, act, opts);
}

static void
put_csum(struct action_ctx *ctx, uint32_t flags)
{
    struct tc_csum p;
    struct nlattr *act, *opts = action_begin(ctx, "csum", &act);

    memset(&p, 0, sizeof p);
    p.action = TC_ACT_PIPE;
    p.update_flags = flags;
    nla_put(ctx->msg, TCA_CSUM_PARMS, sizeof p, &p);
    action_end(ctx, act, opts);
}

/* The checksums a rewrite of the L3 or L4 header of 'match' breaks. */
static uint32_t
csum_flags(const struct ft_match *match, bool ipv4_header)
{
    uint32_t flags = ipv4_header ? TCA_CSUM_UPDATE_FLAG_IPV4HDR : 0;

    if (match->mask.nw_proto == 0xff) {
        switch (match->flow.nw_proto) {
        case FT_IPPROTO_TCP: flags |= TCA_CSUM_UPDATE_FLAG_TCP; break;
        case FT_IPPROTO_UDP: flags |= TCA_CSUM_UPDATE_FLAG_UDP; break;
        case FT_IPPROTO_ICMP: flags |= TCA_CSUM_UPDATE_FLAG_ICMP; break;
        default: break;
        }
    }
    return flags;
}

static int
put_set(struct action_ctx *ctx, const struct ft_dp_action *a,
        const struct ft_match *match, struct ft_error *err)
{
    struct rewrite rw;
    uint32_t v32, m32;
    uint16_t v16, m16;

    memset(&rw, 0, sizeof rw);
    switch (a->type) {
    case FT_DPA_SET_ETH:
        rw.htype = TCA_PEDIT_KEY_EX_HDR_TYPE_ETH;
        rewrite_set(&rw, 0, a->eth.dst.ea, a->eth.dst_mask.ea, 6);
        rewrite_set(&rw, 6, a->eth.src.ea, a->eth.src_mask.ea, 6);
        put_pedit(ctx, &rw);
        return 0;
    case FT_DPA_SET_IPV4:
        rw.htype = TCA_PEDIT_KEY_EX_HDR_TYPE_IP4;
        rewrite_set(&rw, 1, &a->ipv4.tos, &a->ipv4.tos_mask, 1);
        rewrite_set(&rw, 8, &a->ipv4.ttl, &a->ipv4.ttl_mask, 1);
        v32 = htonl(a->ipv4.src), m32 = htonl(a->ipv4.src_mask);
        rewrite_set(&rw, 12, &v32, &m32, 4);
        v32 = htonl(a->ipv4.dst), m32 = htonl(a->ipv4.dst_mask);
        rewrite_set(&rw, 16, &v32, &m32, 4);
        put_pedit(ctx, &rw);
        put_csum(ctx, csum_flags(match, true));
        return 0;
    case FT_DPA_SET_L4:
        if (a->l4.proto != FT_IPPROTO_TCP && a->l4.proto != FT_IPPROTO_UDP) {
            return ft_error_set(err, -EOPNOTSUPP, "tc: action set of %s is "
                                "not offloadable",
                                a->l4.proto == FT_IPPROTO_SCTP ? "SCTP ports"
                                : "ICMP type and code");
        }
        rw.htype = a->l4.proto == FT_IPPROTO_TCP
                   ? TCA_PEDIT_KEY_EX_HDR_TYPE_TCP
                   : TCA_PEDIT_KEY_EX_HDR_TYPE_UDP;
        v16 = htons(a->l4.src), m16 = htons(a->l4.src_mask);
        rewrite_set(&rw, 0, &v16, &m16, 2);
        v16 = htons(a->l4.dst), m16 = htons(a->l4.dst_mask);
        rewrite_set(&rw, 2, &v16, &m16, 2);
        put_pedit(ctx, &rw);
        put_csum(ctx, csum_flags(match, false));
        return 0;
    case FT_DPA_SET_IPV6:
        return ft_error_set(err, -EOPNOTSUPP, "tc: action set(ipv6) is not "
                            "offloadable");
    default:
        return ft_error_set(err, -EOPNOTSUPP, "tc: action %d is not "
                            "offloadable", (int) a->type);
    }
}

/* 'tunnel_key unset': the first action of a rule from a tunnel port. */
static void
put_tunnel_unset(struct action_ctx *ctx)
{
    struct tc_tunnel_key p;
    struct nlattr *act, *opts = action_begin(ctx, "tunnel_key", &act);

    memset(&p, 0, sizeof p);
    p.action = TC_ACT_PIPE;
    p.t_action = TCA_TUNNEL_KEY_ACT_RELEASE;
    nla_put(ctx->msg, TCA_TUNNEL_KEY_PARMS, sizeof p, &p);
    action_end(ctx, act, opts);
}

/* 'tunnel_key set' of 'tnl' for an output to the tunnel port 'out'. */
static int
put_tunnel_set(struct action_ctx *ctx, const struct ft_dpa_tunnel *tnl,
               const struct ft_tc_port_info *out, struct ft_error *err)
{
    struct tc_tunnel_key p;
    struct nlattr *act, *opts;

    if (tnl->tun_id > 0xffffff) {
        return ft_error_set(err, -EOPNOTSUPP, "tc: tunnel encapsulation "
                            "with a tun_id over 24 bits (0x%"PRIx64") is "
                            "not offloadable: a VXLAN VNI has 24",
                            tnl->tun_id);
    }
    if (out->sw_tunnel && (tnl->flags & FT_TNL_F_DONT_FRAGMENT)) {
        /* Nor can the rule ask the kernel's VXLAN device for DF, which
         * then sends without it: a packet too big for the underlay would
         * be fragmented where the other datapaths drop it. */
        return ft_error_set(err, -EOPNOTSUPP, "tc: tunnel encapsulation "
                            "with DF (options:df_default=true, the default) "
                            "is not done by TC in software: tunnel_key set "
                            "has no DF flag on this kernel, and the VXLAN "
                            "device would send without DF "
                            "(options:df_default=false lets TC take it)");
    }
    if (!out->sw_tunnel && !(tnl->flags & FT_TNL_F_DONT_FRAGMENT)) {
        /* Linux 6.1's tunnel_key has no flag for DF (nofrag came later):
         * a rule cannot say it, and the NIC sets DF. */
        return ft_error_set(err, -EOPNOTSUPP, "tc: tunnel encapsulation "
                            "without DF (options:df_default=false) is not "
                            "offloadable: tunnel_key set has no DF flag on "
                            "this kernel, and the NIC sets DF");
    }
    opts = action_begin(ctx, "tunnel_key", &act);
    memset(&p, 0, sizeof p);
    p.action = TC_ACT_PIPE;
    p.t_action = TCA_TUNNEL_KEY_ACT_SET;
    nla_put(ctx->msg, TCA_TUNNEL_KEY_PARMS, sizeof p, &p);
    nla_put_u32(ctx->msg, TCA_TUNNEL_KEY_ENC_IPV4_SRC,
                htonl(tnl->src ? tnl->src : out->tnl_src));
    nla_put_u32(ctx->msg, TCA_TUNNEL_KEY_ENC_IPV4_DST, htonl(tnl->dst));
    nla_put_u32(ctx->msg, TCA_TUNNEL_KEY_ENC_KEY_ID,
                htonl((uint32_t) tnl->tun_id));
    nla_put_u16(ctx->msg, TCA_TUNNEL_KEY_ENC_DST_PORT,
                htons(tnl->tp_dst ? tnl->tp_dst : out->tnl_dst_port));
    nla_put_u8(ctx->msg, TCA_TUNNEL_KEY_NO_CSUM,
               !(tnl->flags & FT_TNL_F_CSUM));
    nla_put_u8(ctx->msg, TCA_TUNNEL_KEY_ENC_TOS, tnl->tos);
    nla_put_u8(ctx->msg, TCA_TUNNEL_KEY_ENC_TTL, tnl->ttl);
    action_end(ctx, act, opts);
    return 0;
}

/* An output to 'port', carrying 'tnl' (the last set(tunnel), or NULL),
 * from the input port 'in'. */
static int
put_output(struct action_ctx *ctx, ft_port_no port,
           const struct ft_dpa_tunnel *tnl, const struct ft_tc_port_info *in,
           ft_tc_port_lookup *lookup, void *aux, bool last,
           struct ft_error *err)
{
    struct ft_tc_port_info out;
    int error;

    memset(&out, 0, sizeof out);
    error = lookup(aux, port, tnl, &out, err);
    if (error) {
        return error;
    }
    if (out.tnl_dst_port) {
        if (in->tnl_dst_port) {
            return ft_error_set(err, -EOPNOTSUPP, "tc: output from a tunnel "
                                "port to a tunnel port is not offloadable");
        }
        if (!tnl) {
            return ft_error_set(err, -EOPNOTSUPP, "tc: output to tunnel "
                                "port %u without tunnel metadata "
                                "(set(tunnel)) is not offloadable", port);
        }
        error = put_tunnel_set(ctx, tnl, &out, err);
        if (error) {
            return error;
        }
    }
    put_mirred(ctx, out.ifindex, last);
    return 0;
}

int
ft_tc_actions_put(struct nl_msg *msg, const struct ft_dp_actions *actions,
                  const struct ft_match *match, ft_tc_port_lookup *lookup,
                  void *aux, const uint8_t cookie[FT_TC_COOKIE_LEN],
                  struct ft_error *err)
{
    struct action_ctx ctx = { msg, 0, cookie };
    struct nlattr *acts = nla_nest_start(msg, TCA_FLOWER_ACT);
    const struct ft_dpa_tunnel *tnl = NULL;
    size_t last_output = SIZE_MAX;
    struct ft_tc_port_info in;
    int error;

    memset(&in, 0, sizeof in);
    error = lookup(aux, match->flow.in_port, NULL, &in, err);
    if (!error && in.tnl_dst_port) {
        /* The outer headers go first: the rest acts on the inner
         * packet, as after the userspace datapath's decapsulation. */
        put_tunnel_unset(&ctx);
    }
    for (size_t i = 0; i < actions->n; i++) {
        if (actions->acts[i].type == FT_DPA_OUTPUT) {
            last_output = i;
        }
    }
    /* What follows the last output changes nothing that leaves. */
    for (size_t i = 0; i < actions->n && !error
                       && (last_output == SIZE_MAX || i <= last_output); i++) {
        const struct ft_dp_action *a = &actions->acts[i];

        switch (a->type) {
        case FT_DPA_OUTPUT:
            error = put_output(&ctx, a->port == FT_PORT_IN_PORT
                                     ? match->flow.in_port : a->port,
                               tnl, &in, lookup, aux, i == last_output, err);
            break;
        case FT_DPA_PUSH_VLAN:
        case FT_DPA_POP_VLAN:
            put_vlan(&ctx, a);
            break;
        case FT_DPA_SET_ETH:
        case FT_DPA_SET_IPV4:
        case FT_DPA_SET_IPV6:
        case FT_DPA_SET_L4:
            error = put_set(&ctx, a, match, err);
            break;
        case FT_DPA_SET_TUNNEL:
            /* Metadata only: it reaches the wire with a tunnel output. */
            tnl = &a->tunnel;
            break;
        case FT_DPA_USERSPACE:
            error = ft_error_set(err, -EOPNOTSUPP, "tc: action userspace "
                                 "(to the controller) stays in software");
            break;
        }
    }
    if (!error && last_output == SIZE_MAX) {
        /* Nothing goes out: whatever the rewrites did, drop. */
        put_drop(&ctx);
    }
    nla_nest_end(msg, acts);
    return error;
}

/*
 * tc-explain.c - a flower filter as a person would type it: the
 * 'tc filter add dev DEV ingress protocol P prio N flower ... action ...'
 * line of the netlink message the TC provider sends (see tc-translate.h).
 *
 * Part of the TC provider.  It builds the filter with the provider's own
 * translators (ft_tc_filter_build(), also used to install it) and then
 * reads that message back attribute by attribute, so the text shows what
 * is installed, not a second translation.  Key and action words are
 * iproute2's (tc-flower(8), tc-mirred(8), tc-vlan(8), tc-pedit(8),
 * tc-csum(8), tc-tunnel_key(8)), in the order its parser needs them (vlan_ethtype before
 * the L3 keys, ip_proto before the L4 keys).  Touches nothing but the
 * message and the output string.
 */
#include "tc-translate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_csum.h>
#include <linux/tc_act/tc_gact.h>
#include <linux/tc_act/tc_mirred.h>
#include <linux/tc_act/tc_pedit.h>
#include <linux/tc_act/tc_tunnel_key.h>
#include <linux/tc_act/tc_vlan.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "flowtier/ds.h"
#include "tc-nl.h"

int
ft_tc_filter_build(int nlflags, int ifindex, const struct ft_match *match,
                   const struct ft_dp_actions *actions,
                   ft_tc_port_lookup *lookup, void *aux,
                   const uint8_t cookie[FT_TC_COOKIE_LEN], uint32_t skip,
                   struct nl_msg **msgp, uint16_t *protocol,
                   struct ft_error *err)
{
    struct nl_msg *msg = ft_tc_nl_msg(RTM_NEWTFILTER, nlflags, ifindex,
                                      TC_H_MAKE(TC_H_CLSACT,
                                                TC_H_MIN_INGRESS), 0, 0);
    struct ft_tc_port_info in;
    struct nlattr *opts;
    int error;

    *msgp = NULL;
    nla_put_string(msg, TCA_KIND, "flower");
    opts = nla_nest_start(msg, TCA_OPTIONS);
    memset(&in, 0, sizeof in);
    error = lookup(aux, match->flow.in_port, NULL, &in, err);
    if (!error) {
        error = ft_tc_match_put(msg, match, &in, protocol, err);
    }
    if (!error) {
        error = ft_tc_actions_put(msg, actions, match, lookup, aux, cookie,
                                  err);
    }
    if (error) {
        nlmsg_free(msg);
        return error;
    }
    nla_put_u32(msg, TCA_FLOWER_FLAGS, skip);
    nla_nest_end(msg, opts);
    *msgp = msg;
    return 0;
}

void
ft_tc_filter_set_id(struct nl_msg *msg, uint32_t prio, uint16_t protocol,
                    uint32_t handle)
{
    struct tcmsg *tcm = nlmsg_data(nlmsg_hdr(msg));

    tcm->tcm_handle = handle;
    tcm->tcm_info = TC_H_MAKE(prio << 16, protocol);
}

/* ---- Values. ---- */

static const struct {
    uint16_t type;
    const char *name;
} protocols[] = {
    { ETH_P_IP, "ip" }, { ETH_P_IPV6, "ipv6" }, { ETH_P_ARP, "arp" },
    { ETH_P_8021Q, "802.1Q" }, { ETH_P_8021AD, "802.1ad" },
    { ETH_P_ALL, "all" },
};

static void
put_protocol(struct ds *out, uint16_t type)
{
    for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++) {
        if (protocols[i].type == type) {
            ds_put_cstr(out, protocols[i].name);
            return;
        }
    }
    ds_put_format(out, "0x%04x", type);
}

static bool
all_ones(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0xff) {
            return false;
        }
    }
    return true;
}

/* The length of the prefix 'mask' ('n' bytes) is, or -1 if it is not
 * one. */
static int
prefix_len(const uint8_t *mask, size_t n)
{
    int len = 0;
    size_t i = 0;

    for (; i < n && mask[i] == 0xff; i++) {
        len += 8;
    }
    if (i < n) {
        uint8_t b = mask[i];

        while (b & 0x80) {
            len++;
            b <<= 1;
        }
        if (b) {
            return -1;
        }
        for (i++; i < n; i++) {
            if (mask[i]) {
                return -1;
            }
        }
    }
    return len;
}

static void
put_mac(struct ds *out, const uint8_t *m)
{
    ds_put_format(out, "%02x:%02x:%02x:%02x:%02x:%02x",
                  m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* " WORD VALUE[/MASK]" of a 6-byte address key. */
static void
key_mac(struct ds *out, const char *word, struct nlattr **fl, int key,
        int mask_key)
{
    if (!fl[key]) {
        return;
    }
    ds_put_format(out, " %s ", word);
    put_mac(out, nla_data(fl[key]));
    if (fl[mask_key] && !all_ones(nla_data(fl[mask_key]), 6)) {
        ds_put_char(out, '/');
        put_mac(out, nla_data(fl[mask_key]));
    }
}

/* " WORD ADDRESS[/PREFIX]" of an IPv4 or IPv6 key ('n' 4 or 16). */
static void
key_ip(struct ds *out, const char *word, struct nlattr **fl, int key,
       int mask_key, size_t n)
{
    char buf[INET6_ADDRSTRLEN];
    const uint8_t *mask;
    int plen;

    if (!fl[key]) {
        return;
    }
    inet_ntop(n == 4 ? AF_INET : AF_INET6, nla_data(fl[key]), buf,
              sizeof buf);
    ds_put_format(out, " %s %s", word, buf);
    mask = fl[mask_key] ? nla_data(fl[mask_key]) : NULL;
    if (!mask || all_ones(mask, n)) {
        return;
    }
    plen = prefix_len(mask, n);
    if (plen >= 0) {
        ds_put_format(out, "/%d", plen);
    } else {
        /* tc takes prefixes only: this one cannot be typed. */
        inet_ntop(n == 4 ? AF_INET : AF_INET6, mask, buf, sizeof buf);
        ds_put_format(out, "/%s", buf);
    }
}

/* " WORD VALUE[/0xMASK]" of a 16-bit key in network byte order. */
static void
key_be16(struct ds *out, const char *word, struct nlattr **fl, int key,
         int mask_key, bool hex)
{
    uint16_t v, m;

    if (!fl[key]) {
        return;
    }
    v = ntohs(nla_get_u16(fl[key]));
    m = fl[mask_key] ? ntohs(nla_get_u16(fl[mask_key])) : 0xffff;
    ds_put_format(out, hex ? " %s 0x%x" : " %s %u", word, v);
    if (m != 0xffff) {
        ds_put_format(out, "/0x%x", m);
    }
}

/* " WORD VALUE[/0xMASK]" of an 8-bit key. */
static void
key_u8(struct ds *out, const char *word, struct nlattr **fl, int key,
       int mask_key, bool hex)
{
    uint8_t v, m;

    if (!fl[key]) {
        return;
    }
    v = nla_get_u8(fl[key]);
    m = mask_key && fl[mask_key] ? nla_get_u8(fl[mask_key]) : 0xff;
    ds_put_format(out, hex ? " %s 0x%x" : " %s %u", word, v);
    if (m != 0xff) {
        ds_put_format(out, "/0x%x", m);
    }
}

static void
key_ip_proto(struct ds *out, struct nlattr **fl)
{
    static const struct {
        uint8_t proto;
        const char *name;
    } names[] = {
        { 6, "tcp" }, { 17, "udp" }, { 132, "sctp" }, { 1, "icmp" },
        { 58, "icmpv6" },
    };
    uint8_t proto;

    if (!fl[TCA_FLOWER_KEY_IP_PROTO]) {
        return;
    }
    proto = nla_get_u8(fl[TCA_FLOWER_KEY_IP_PROTO]);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (names[i].proto == proto) {
            ds_put_format(out, " ip_proto %s", names[i].name);
            return;
        }
    }
    ds_put_format(out, " ip_proto %u", proto);
}

static void
key_ip_flags(struct ds *out, struct nlattr **fl)
{
    uint32_t v, m;
    const char *sep = " ip_flags ";

    if (!fl[TCA_FLOWER_KEY_FLAGS] || !fl[TCA_FLOWER_KEY_FLAGS_MASK]) {
        return;
    }
    v = ntohl(nla_get_u32(fl[TCA_FLOWER_KEY_FLAGS]));
    m = ntohl(nla_get_u32(fl[TCA_FLOWER_KEY_FLAGS_MASK]));
    if (m & TCA_FLOWER_KEY_FLAGS_IS_FRAGMENT) {
        ds_put_format(out, "%s%s", sep,
                      v & TCA_FLOWER_KEY_FLAGS_IS_FRAGMENT ? "frag"
                                                           : "nofrag");
        sep = "/";
    }
    if (m & TCA_FLOWER_KEY_FLAGS_FRAG_IS_FIRST) {
        ds_put_format(out, "%s%s", sep,
                      v & TCA_FLOWER_KEY_FLAGS_FRAG_IS_FIRST ? "firstfrag"
                                                             : "nofirstfrag");
    }
}

static void
key_arp_op(struct ds *out, struct nlattr **fl)
{
    uint8_t op, m;

    if (!fl[TCA_FLOWER_KEY_ARP_OP]) {
        return;
    }
    op = nla_get_u8(fl[TCA_FLOWER_KEY_ARP_OP]);
    m = fl[TCA_FLOWER_KEY_ARP_OP_MASK]
        ? nla_get_u8(fl[TCA_FLOWER_KEY_ARP_OP_MASK]) : 0xff;
    if (m == 0xff && (op == 1 || op == 2)) {
        ds_put_format(out, " arp_op %s", op == 1 ? "request" : "reply");
    } else {
        key_u8(out, "arp_op", fl, TCA_FLOWER_KEY_ARP_OP,
               TCA_FLOWER_KEY_ARP_OP_MASK, false);
    }
}

/* The L4 keys of the filter's ip_proto: ports, TCP flags, ICMP type and
 * code. */
static void
keys_l4(struct ds *out, struct nlattr **fl)
{
    key_be16(out, "src_port", fl, TCA_FLOWER_KEY_TCP_SRC,
             TCA_FLOWER_KEY_TCP_SRC_MASK, false);
    key_be16(out, "dst_port", fl, TCA_FLOWER_KEY_TCP_DST,
             TCA_FLOWER_KEY_TCP_DST_MASK, false);
    key_be16(out, "src_port", fl, TCA_FLOWER_KEY_UDP_SRC,
             TCA_FLOWER_KEY_UDP_SRC_MASK, false);
    key_be16(out, "dst_port", fl, TCA_FLOWER_KEY_UDP_DST,
             TCA_FLOWER_KEY_UDP_DST_MASK, false);
    key_be16(out, "src_port", fl, TCA_FLOWER_KEY_SCTP_SRC,
             TCA_FLOWER_KEY_SCTP_SRC_MASK, false);
    key_be16(out, "dst_port", fl, TCA_FLOWER_KEY_SCTP_DST,
             TCA_FLOWER_KEY_SCTP_DST_MASK, false);
    key_be16(out, "tcp_flags", fl, TCA_FLOWER_KEY_TCP_FLAGS,
             TCA_FLOWER_KEY_TCP_FLAGS_MASK, true);
    key_u8(out, "type", fl, TCA_FLOWER_KEY_ICMPV4_TYPE,
           TCA_FLOWER_KEY_ICMPV4_TYPE_MASK, false);
    key_u8(out, "code", fl, TCA_FLOWER_KEY_ICMPV4_CODE,
           TCA_FLOWER_KEY_ICMPV4_CODE_MASK, false);
    key_u8(out, "type", fl, TCA_FLOWER_KEY_ICMPV6_TYPE,
           TCA_FLOWER_KEY_ICMPV6_TYPE_MASK, false);
    key_u8(out, "code", fl, TCA_FLOWER_KEY_ICMPV6_CODE,
           TCA_FLOWER_KEY_ICMPV6_CODE_MASK, false);
}

/* The outer header of a decapsulation rule: enc_key_id (exact, a 32-bit
 * key), the outer addresses, UDP port, tos and ttl. */
static void
keys_enc(struct ds *out, struct nlattr **fl)
{
    if (fl[TCA_FLOWER_KEY_ENC_KEY_ID]) {
        ds_put_format(out, " enc_key_id %u",
                      ntohl(nla_get_u32(fl[TCA_FLOWER_KEY_ENC_KEY_ID])));
    }
    key_ip(out, "enc_src_ip", fl, TCA_FLOWER_KEY_ENC_IPV4_SRC,
           TCA_FLOWER_KEY_ENC_IPV4_SRC_MASK, 4);
    key_ip(out, "enc_dst_ip", fl, TCA_FLOWER_KEY_ENC_IPV4_DST,
           TCA_FLOWER_KEY_ENC_IPV4_DST_MASK, 4);
    key_be16(out, "enc_dst_port", fl, TCA_FLOWER_KEY_ENC_UDP_DST_PORT,
             TCA_FLOWER_KEY_ENC_UDP_DST_PORT_MASK, false);
    key_u8(out, "enc_tos", fl, TCA_FLOWER_KEY_ENC_IP_TOS,
           TCA_FLOWER_KEY_ENC_IP_TOS_MASK, true);
    key_u8(out, "enc_ttl", fl, TCA_FLOWER_KEY_ENC_IP_TTL,
           TCA_FLOWER_KEY_ENC_IP_TTL_MASK, false);
}

static void
explain_keys(struct ds *out, struct nlattr **fl)
{
    uint32_t flags = fl[TCA_FLOWER_FLAGS]
                     ? nla_get_u32(fl[TCA_FLOWER_FLAGS]) : 0;

    if (flags & TCA_CLS_FLAGS_SKIP_SW) {
        ds_put_cstr(out, " skip_sw");
    } else if (flags & TCA_CLS_FLAGS_SKIP_HW) {
        ds_put_cstr(out, " skip_hw");
    }
    if (flags & TCA_CLS_FLAGS_VERBOSE) {
        ds_put_cstr(out, " verbose");
    }
    keys_enc(out, fl);
    key_u8(out, "num_of_vlans", fl, TCA_FLOWER_KEY_NUM_OF_VLANS, 0, false);
    if (fl[TCA_FLOWER_KEY_VLAN_ID]) {
        ds_put_format(out, " vlan_id %u",
                      nla_get_u16(fl[TCA_FLOWER_KEY_VLAN_ID]));
    }
    key_u8(out, "vlan_prio", fl, TCA_FLOWER_KEY_VLAN_PRIO, 0, false);
    if (fl[TCA_FLOWER_KEY_VLAN_ETH_TYPE]) {
        ds_put_cstr(out, " vlan_ethtype ");
        put_protocol(out, ntohs(nla_get_u16(
                                    fl[TCA_FLOWER_KEY_VLAN_ETH_TYPE])));
    }
    key_mac(out, "dst_mac", fl, TCA_FLOWER_KEY_ETH_DST,
            TCA_FLOWER_KEY_ETH_DST_MASK);
    key_mac(out, "src_mac", fl, TCA_FLOWER_KEY_ETH_SRC,
            TCA_FLOWER_KEY_ETH_SRC_MASK);
    key_ip(out, "arp_sip", fl, TCA_FLOWER_KEY_ARP_SIP,
           TCA_FLOWER_KEY_ARP_SIP_MASK, 4);
    key_ip(out, "arp_tip", fl, TCA_FLOWER_KEY_ARP_TIP,
           TCA_FLOWER_KEY_ARP_TIP_MASK, 4);
    key_arp_op(out, fl);
    key_mac(out, "arp_sha", fl, TCA_FLOWER_KEY_ARP_SHA,
            TCA_FLOWER_KEY_ARP_SHA_MASK);
    key_mac(out, "arp_tha", fl, TCA_FLOWER_KEY_ARP_THA,
            TCA_FLOWER_KEY_ARP_THA_MASK);
    key_ip_proto(out, fl);
    key_u8(out, "ip_tos", fl, TCA_FLOWER_KEY_IP_TOS,
           TCA_FLOWER_KEY_IP_TOS_MASK, true);
    key_u8(out, "ip_ttl", fl, TCA_FLOWER_KEY_IP_TTL,
           TCA_FLOWER_KEY_IP_TTL_MASK, false);
    key_ip(out, "src_ip", fl, TCA_FLOWER_KEY_IPV4_SRC,
           TCA_FLOWER_KEY_IPV4_SRC_MASK, 4);
    key_ip(out, "dst_ip", fl, TCA_FLOWER_KEY_IPV4_DST,
           TCA_FLOWER_KEY_IPV4_DST_MASK, 4);
    key_ip(out, "src_ip", fl, TCA_FLOWER_KEY_IPV6_SRC,
           TCA_FLOWER_KEY_IPV6_SRC_MASK, 16);
    key_ip(out, "dst_ip", fl, TCA_FLOWER_KEY_IPV6_DST,
           TCA_FLOWER_KEY_IPV6_DST_MASK, 16);
    key_ip_flags(out, fl);
    keys_l4(out, fl);
}

/* ---- Actions. ---- */

struct explain_ctx {
    struct ds *out;
    ft_tc_ifname *ifname;
    void *aux;
};

static void
put_dev(const struct explain_ctx *ctx, int ifindex)
{
    char buf[IF_NAMESIZE];
    const char *name = ctx->ifname ? ctx->ifname(ctx->aux, ifindex, buf)
                                   : NULL;

    if (name) {
        ds_put_format(ctx->out, " dev %s", name);
    } else {
        ds_put_format(ctx->out, " dev (ifindex %d)", ifindex);
    }
}

static void
act_mirred(const struct explain_ctx *ctx, struct nlattr **opts)
{
    const struct tc_mirred *p;

    if (!opts[TCA_MIRRED_PARMS]) {
        return;
    }
    p = nla_data(opts[TCA_MIRRED_PARMS]);
    ds_put_format(ctx->out, " mirred %s %s",
                  p->eaction == TCA_INGRESS_REDIR
                  || p->eaction == TCA_INGRESS_MIRROR ? "ingress" : "egress",
                  p->eaction == TCA_EGRESS_REDIR
                  || p->eaction == TCA_INGRESS_REDIR ? "redirect" : "mirror");
    put_dev(ctx, p->ifindex);
}

static void
act_gact(const struct explain_ctx *ctx, struct nlattr **opts)
{
    const struct tc_gact *p;

    if (opts[TCA_GACT_PARMS]) {
        p = nla_data(opts[TCA_GACT_PARMS]);
        ds_put_cstr(ctx->out, p->action == TC_ACT_SHOT ? " drop"
                              : p->action == TC_ACT_TRAP ? " trap" : " pass");
    }
}

static void
act_vlan(const struct explain_ctx *ctx, struct nlattr **opts)
{
    const struct tc_vlan *p;

    if (!opts[TCA_VLAN_PARMS]) {
        return;
    }
    p = nla_data(opts[TCA_VLAN_PARMS]);
    if (p->v_action == TCA_VLAN_ACT_POP) {
        ds_put_cstr(ctx->out, " vlan pop");
        return;
    }
    ds_put_cstr(ctx->out, p->v_action == TCA_VLAN_ACT_PUSH ? " vlan push"
                                                           : " vlan modify");
    if (opts[TCA_VLAN_PUSH_VLAN_ID]) {
        ds_put_format(ctx->out, " id %u",
                      nla_get_u16(opts[TCA_VLAN_PUSH_VLAN_ID]));
    }
    if (opts[TCA_VLAN_PUSH_VLAN_PROTOCOL]) {
        ds_put_cstr(ctx->out, " protocol ");
        put_protocol(ctx->out,
                     ntohs(nla_get_u16(opts[TCA_VLAN_PUSH_VLAN_PROTOCOL])));
    }
    if (opts[TCA_VLAN_PUSH_VLAN_PRIORITY]) {
        ds_put_format(ctx->out, " priority %u",
                      nla_get_u8(opts[TCA_VLAN_PUSH_VLAN_PRIORITY]));
    }
    ds_put_cstr(ctx->out, " pipe");
}

/* The header fields pedit rewrites, in tc-pedit(8)'s words. */
static const struct {
    int htype;
    const char *header, *field;
    unsigned int ofs, len;
    char fmt;                   /* 'm'ac, 'i'pv4, 'x' hex, 'd'ecimal. */
} pedit_fields[] = {
    { TCA_PEDIT_KEY_EX_HDR_TYPE_ETH, "eth", "dst", 0, 6, 'm' },
    { TCA_PEDIT_KEY_EX_HDR_TYPE_ETH, "eth", "src", 6, 6, 'm' },
    { TCA_PEDIT_KEY_EX_HDR_TYPE_IP4, "ip", "tos", 1, 1, 'x' },
    { TCA_PEDIT_KEY_EX_HDR_TYPE_IP4, "ip", "ttl", 8, 1, 'd' },
    { TCA_PEDIT_KEY_EX_HDR_TYPE_IP4, "ip", "src", 12, 4, 'i' },
    { TCA_PEDIT_KEY_EX_HDR_TYPE_IP4, "ip", "dst", 16, 4, 'i' },
    { TCA_PEDIT_KEY_EX_HDR_TYPE_TCP, "tcp", "sport", 0, 2, 'd' },
    { TCA_PEDIT_KEY_EX_HDR_TYPE_TCP, "tcp", "dport", 2, 2, 'd' },
    { TCA_PEDIT_KEY_EX_HDR_TYPE_UDP, "udp", "sport", 0, 2, 'd' },
    { TCA_PEDIT_KEY_EX_HDR_TYPE_UDP, "udp", "dport", 2, 2, 'd' },
};

#define PEDIT_HDR_MAX 40

/* The bytes a pedit action sets in one header type: 'mask' the bits
 * changed, 'val' their new values. */
struct pedit_hdr {
    uint8_t val[PEDIT_HDR_MAX], mask[PEDIT_HDR_MAX];
};

static void
pedit_field(const struct explain_ctx *ctx, const struct pedit_hdr *h,
            size_t f)
{
    const uint8_t *v = &h->val[pedit_fields[f].ofs];
    const uint8_t *m = &h->mask[pedit_fields[f].ofs];
    unsigned int len = pedit_fields[f].len;
    uint32_t value = 0, mask = 0;

    ds_put_format(ctx->out, " munge %s %s set ", pedit_fields[f].header,
                  pedit_fields[f].field);
    if (pedit_fields[f].fmt == 'm') {
        put_mac(ctx->out, v);
        return;
    }
    for (unsigned int i = 0; i < len; i++) {
        value = value << 8 | v[i];
        mask = mask << 8 | m[i];
    }
    if (pedit_fields[f].fmt == 'i') {
        ds_put_format(ctx->out, "%u.%u.%u.%u", v[0], v[1], v[2], v[3]);
    } else {
        ds_put_format(ctx->out, pedit_fields[f].fmt == 'x' ? "0x%x" : "%u",
                      value);
    }
    if (!all_ones(m, len)) {
        ds_put_format(ctx->out, " retain 0x%x", mask);
    }
}

static void
act_pedit(const struct explain_ctx *ctx, struct nlattr **opts)
{
    struct pedit_hdr hdrs[TCA_PEDIT_KEY_EX_HDR_TYPE_UDP + 1];
    const struct tc_pedit_sel *sel;
    struct nlattr *kex;
    size_t k = 0;
    int rem;

    if (!opts[TCA_PEDIT_PARMS_EX] || !opts[TCA_PEDIT_KEYS_EX]) {
        return;
    }
    memset(hdrs, 0, sizeof hdrs);
    sel = nla_data(opts[TCA_PEDIT_PARMS_EX]);
    nla_for_each_nested(kex, opts[TCA_PEDIT_KEYS_EX], rem) {
        struct nlattr *tb[TCA_PEDIT_KEY_EX_MAX + 1];
        const struct tc_pedit_key *key = &sel->keys[k++];
        uint32_t val = key->val, keep = key->mask;
        int htype;

        if (k > sel->nkeys
            || nla_parse_nested(tb, TCA_PEDIT_KEY_EX_MAX, kex, NULL) < 0
            || !tb[TCA_PEDIT_KEY_EX_HTYPE]) {
            break;
        }
        htype = nla_get_u16(tb[TCA_PEDIT_KEY_EX_HTYPE]);
        if (htype > TCA_PEDIT_KEY_EX_HDR_TYPE_UDP
            || key->off + 4 > PEDIT_HDR_MAX) {
            continue;
        }
        for (int i = 0; i < 4; i++) {
            hdrs[htype].val[key->off + i] = ((uint8_t *) &val)[i];
            hdrs[htype].mask[key->off + i] = ~((uint8_t *) &keep)[i];
        }
    }
    ds_put_cstr(ctx->out, " pedit ex");
    for (size_t f = 0; f < sizeof pedit_fields / sizeof pedit_fields[0];
         f++) {
        const struct pedit_hdr *h = &hdrs[pedit_fields[f].htype];

        if (!ft_tc_bytes_zero(&h->mask[pedit_fields[f].ofs],
                              pedit_fields[f].len)) {
            pedit_field(ctx, h, f);
        }
    }
    ds_put_cstr(ctx->out, " pipe");
}

static void
act_csum(const struct explain_ctx *ctx, struct nlattr **opts)
{
    const struct tc_csum *p;

    if (!opts[TCA_CSUM_PARMS]) {
        return;
    }
    p = nla_data(opts[TCA_CSUM_PARMS]);
    ds_put_cstr(ctx->out, " csum");
    if (p->update_flags & TCA_CSUM_UPDATE_FLAG_IPV4HDR) {
        ds_put_cstr(ctx->out, " ip4h");
    }
    if (p->update_flags & TCA_CSUM_UPDATE_FLAG_ICMP) {
        ds_put_cstr(ctx->out, " icmp");
    }
    if (p->update_flags & TCA_CSUM_UPDATE_FLAG_TCP) {
        ds_put_cstr(ctx->out, " tcp");
    }
    if (p->update_flags & TCA_CSUM_UPDATE_FLAG_UDP) {
        ds_put_cstr(ctx->out, " udp");
    }
    ds_put_cstr(ctx->out, " pipe");
}

/* tc-tunnel_key(8): 'unset', or 'set src_ip A dst_ip B id N dst_port P
 * tos T ttl L nocsum'. */
static void
act_tunnel_key(const struct explain_ctx *ctx, struct nlattr **opts)
{
    const struct tc_tunnel_key *p;
    char buf[INET_ADDRSTRLEN];
    uint32_t a;

    if (!opts[TCA_TUNNEL_KEY_PARMS]) {
        return;
    }
    p = nla_data(opts[TCA_TUNNEL_KEY_PARMS]);
    if (p->t_action != TCA_TUNNEL_KEY_ACT_SET) {
        ds_put_cstr(ctx->out, " tunnel_key unset pipe");
        return;
    }
    ds_put_cstr(ctx->out, " tunnel_key set");
    if (opts[TCA_TUNNEL_KEY_ENC_IPV4_SRC]) {
        a = nla_get_u32(opts[TCA_TUNNEL_KEY_ENC_IPV4_SRC]);
        inet_ntop(AF_INET, &a, buf, sizeof buf);
        ds_put_format(ctx->out, " src_ip %s", buf);
    }
    if (opts[TCA_TUNNEL_KEY_ENC_IPV4_DST]) {
        a = nla_get_u32(opts[TCA_TUNNEL_KEY_ENC_IPV4_DST]);
        inet_ntop(AF_INET, &a, buf, sizeof buf);
        ds_put_format(ctx->out, " dst_ip %s", buf);
    }
    if (opts[TCA_TUNNEL_KEY_ENC_KEY_ID]) {
        ds_put_format(ctx->out, " id %u",
                      ntohl(nla_get_u32(opts[TCA_TUNNEL_KEY_ENC_KEY_ID])));
    }
    if (opts[TCA_TUNNEL_KEY_ENC_DST_PORT]) {
        ds_put_format(ctx->out, " dst_port %u",
                      ntohs(nla_get_u16(opts[TCA_TUNNEL_KEY_ENC_DST_PORT])));
    }
    if (opts[TCA_TUNNEL_KEY_ENC_TOS]) {
        ds_put_format(ctx->out, " tos 0x%x",
                      nla_get_u8(opts[TCA_TUNNEL_KEY_ENC_TOS]));
    }
    if (opts[TCA_TUNNEL_KEY_ENC_TTL]) {
        ds_put_format(ctx->out, " ttl %u",
                      nla_get_u8(opts[TCA_TUNNEL_KEY_ENC_TTL]));
    }
    if (opts[TCA_TUNNEL_KEY_NO_CSUM]) {
        ds_put_cstr(ctx->out, nla_get_u8(opts[TCA_TUNNEL_KEY_NO_CSUM])
                              ? " nocsum" : " csum");
    }
    ds_put_cstr(ctx->out, " pipe");
}

static const struct {
    const char *kind;
    int max;
    void (*put)(const struct explain_ctx *, struct nlattr **opts);
} action_kinds[] = {
    { "mirred", TCA_MIRRED_MAX, act_mirred },
    { "gact", TCA_GACT_MAX, act_gact },
    { "vlan", TCA_VLAN_MAX, act_vlan },
    { "pedit", TCA_PEDIT_MAX, act_pedit },
    { "csum", TCA_CSUM_MAX, act_csum },
    { "tunnel_key", TCA_TUNNEL_KEY_MAX, act_tunnel_key },
};

static void
explain_action(const struct explain_ctx *ctx, struct nlattr *a)
{
    struct nlattr *act[TCA_ACT_MAX + 1], *opts[32 + 1];
    const char *kind;

    if (nla_parse_nested(act, TCA_ACT_MAX, a, NULL) < 0
        || !act[TCA_ACT_KIND]) {
        return;
    }
    kind = nla_get_string(act[TCA_ACT_KIND]);
    ds_put_cstr(ctx->out, " action");
    for (size_t i = 0; i < sizeof action_kinds / sizeof action_kinds[0];
         i++) {
        if (!strcmp(kind, action_kinds[i].kind) && act[TCA_ACT_OPTIONS]
            && action_kinds[i].max <= 32
            && nla_parse_nested(opts, action_kinds[i].max,
                                act[TCA_ACT_OPTIONS], NULL) >= 0) {
            action_kinds[i].put(ctx, opts);
            return;
        }
    }
    ds_put_format(ctx->out, " %s", kind);
}

bool
ft_tc_bytes_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

void
ft_tc_explain_msg(struct nl_msg *msg, const char *dev, ft_tc_ifname *ifname,
                  void *aux, struct ds *out)
{
    struct nlmsghdr *nlh = nlmsg_hdr(msg);
    struct tcmsg *tcm = nlmsg_data(nlh);
    struct nlattr *tb[TCA_MAX + 1], *fl[TCA_FLOWER_MAX + 1];
    struct nlattr *acts[TCA_ACT_MAX_PRIO + 1];
    struct explain_ctx ctx = { out, ifname, aux };

    ds_put_format(out, "tc filter add dev %s ingress protocol ", dev);
    put_protocol(out, ntohs(TC_H_MIN(tcm->tcm_info)));
    ds_put_format(out, " prio %u", TC_H_MAJ(tcm->tcm_info) >> 16);
    if (tcm->tcm_handle) {
        ds_put_format(out, " handle 0x%x", tcm->tcm_handle);
    }
    ds_put_cstr(out, " flower");
    if (nlmsg_parse(nlh, sizeof *tcm, tb, TCA_MAX, NULL) < 0
        || !tb[TCA_OPTIONS]
        || nla_parse_nested(fl, TCA_FLOWER_MAX, tb[TCA_OPTIONS], NULL) < 0) {
        return;
    }
    explain_keys(out, fl);
    if (fl[TCA_FLOWER_ACT]
        && nla_parse_nested(acts, TCA_ACT_MAX_PRIO, fl[TCA_FLOWER_ACT],
                            NULL) >= 0) {
        for (int i = 1; i <= TCA_ACT_MAX_PRIO && acts[i]; i++) {
            explain_action(&ctx, acts[i]);
        }
    }
}

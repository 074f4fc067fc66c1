/*
 * test-tc.c - unit tests for the TC provider's translation of megaflows
 * into flower keys and TC actions (offload/tc-match.c, tc-action.c,
 * tc-tunnel.c).
 *
 * Each case builds the netlink message FlowTier would send, parses it
 * back attribute by attribute and compares with what iproute2's 'tc'
 * sends for the same rule (the golden values below), or checks the
 * refusal's words.  No kernel is involved: the vm suite sends such
 * messages to a real kernel (tests/vm/test-tc-offload.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
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

#include <cmocka.h>

#include "flowtier/ds.h"
#include "offload/tc-nl.h"
#include "offload/tc-translate.h"

static const uint8_t cookie[FT_TC_COOKIE_LEN] = "FlowTier";

/* A parsed filter: its flower keys and its actions. */
struct parsed {
    struct nl_msg *msg;
    struct nlattr *fl[TCA_FLOWER_MAX + 1];
    struct nlattr *acts[TCA_ACT_MAX_PRIO + 1];
};

static void
parse(struct nl_msg *msg, struct parsed *p)
{
    struct nlattr *tb[TCA_MAX + 1];

    p->msg = msg;
    assert_true(nlmsg_parse(nlmsg_hdr(msg), sizeof(struct tcmsg), tb,
                            TCA_MAX, NULL) >= 0);
    assert_non_null(tb[TCA_OPTIONS]);
    assert_true(nla_parse_nested(p->fl, TCA_FLOWER_MAX, tb[TCA_OPTIONS],
                                 NULL) >= 0);
    memset(p->acts, 0, sizeof p->acts);
    if (p->fl[TCA_FLOWER_ACT]) {
        assert_true(nla_parse_nested(p->acts, TCA_ACT_MAX_PRIO,
                                     p->fl[TCA_FLOWER_ACT], NULL) >= 0);
    }
}

/* Translates 'm' (and 'acts', if nonnull); returns the error, and the
 * parsed message in '*p' on success. */
static int
translate(const struct ft_match *m, const struct ft_dp_actions *acts,
          ft_tc_port_lookup *lookup, uint16_t *protocol, struct parsed *p,
          struct ft_error *err)
{
    struct nl_msg *msg = ft_tc_nl_msg(RTM_NEWTFILTER, 0, 7, 0, 0, 0);
    struct nlattr *opts = nla_nest_start(msg, TCA_OPTIONS);
    struct ft_tc_port_info in;
    int error;

    ft_error_clear(err);
    memset(&in, 0, sizeof in);
    if (lookup) {
        assert_int_equal(lookup(NULL, m->flow.in_port, NULL, &in, err), 0);
    }
    error = ft_tc_match_put(msg, m, &in, protocol, err);
    if (!error && acts) {
        error = ft_tc_actions_put(msg, acts, m, lookup, NULL, cookie, err);
    }
    nla_nest_end(msg, opts);
    if (error) {
        nlmsg_free(msg);
        return error;
    }
    parse(msg, p);
    return 0;
}

static void
base_match(struct ft_match *m)
{
    memset(m, 0, sizeof *m);
    m->flow.in_port = 1;
    m->mask.in_port = UINT32_MAX;
}

static uint16_t
get_be16(const struct parsed *p, int key)
{
    assert_non_null(p->fl[key]);
    return ntohs(nla_get_u16(p->fl[key]));
}

static uint32_t
get_be32(const struct parsed *p, int key)
{
    assert_non_null(p->fl[key]);
    return ntohl(nla_get_u32(p->fl[key]));
}

/* 'tc filter add ... protocol ip flower num_of_vlans 0 src_mac
 * 02:00:00:00:00:01 dst_mac 02:00:00:00:00:02 ip_proto tcp dst_port 80
 * ip_flags nofrag'. */
static void
test_match_l2_to_l4(void **state)
{
    static const uint8_t src[6] = { 2, 0, 0, 0, 0, 1 };
    static const uint8_t dst[6] = { 2, 0, 0, 0, 0, 2 };
    struct ft_error err;
    struct ft_match m;
    struct parsed p;
    uint16_t proto;

    (void) state;
    base_match(&m);
    memcpy(m.flow.dl_src.ea, src, 6);
    memset(m.mask.dl_src.ea, 0xff, 6);
    memcpy(m.flow.dl_dst.ea, dst, 6);
    memset(m.mask.dl_dst.ea, 0xff, 6);
    m.mask.vlans[0].tci = 0x1fff;           /* vlan_tci=0x0000/0x1fff */
    m.flow.dl_type = FT_ETH_TYPE_IP;
    m.mask.dl_type = 0xffff;
    m.flow.nw_proto = FT_IPPROTO_TCP;
    m.mask.nw_proto = 0xff;
    m.mask.nw_frag = FT_FRAG_MASK;
    m.flow.tp_dst = 80;
    m.mask.tp_dst = 0xffff;
    assert_int_equal(translate(&m, NULL, NULL, &proto, &p, &err), 0);
    assert_int_equal(ntohs(proto), ETH_P_IP);
    assert_int_equal(get_be16(&p, TCA_FLOWER_KEY_ETH_TYPE), ETH_P_IP);
    assert_int_equal(nla_get_u8(p.fl[TCA_FLOWER_KEY_NUM_OF_VLANS]), 0);
    assert_memory_equal(nla_data(p.fl[TCA_FLOWER_KEY_ETH_SRC]), src, 6);
    assert_memory_equal(nla_data(p.fl[TCA_FLOWER_KEY_ETH_DST]), dst, 6);
    assert_int_equal(nla_get_u8(p.fl[TCA_FLOWER_KEY_IP_PROTO]), 6);
    assert_int_equal(get_be16(&p, TCA_FLOWER_KEY_TCP_DST), 80);
    assert_int_equal(get_be16(&p, TCA_FLOWER_KEY_TCP_DST_MASK), 0xffff);
    assert_null(p.fl[TCA_FLOWER_KEY_TCP_SRC]);
    assert_int_equal(get_be32(&p, TCA_FLOWER_KEY_FLAGS), 0);
    assert_int_equal(get_be32(&p, TCA_FLOWER_KEY_FLAGS_MASK),
                     TCA_FLOWER_KEY_FLAGS_IS_FRAGMENT
                     | TCA_FLOWER_KEY_FLAGS_FRAG_IS_FIRST);
    assert_null(p.fl[TCA_FLOWER_KEY_VLAN_ID]);
    nlmsg_free(p.msg);
}

/* 'protocol 802.1Q flower vlan_id 100 vlan_prio 3 vlan_ethtype ip
 * dst_ip 10.1.0.0/16 ip_proto icmp type 8 code 0'. */
static void
test_match_vlan_icmp(void **state)
{
    struct ft_error err;
    struct ft_match m;
    struct parsed p;
    uint16_t proto;

    (void) state;
    base_match(&m);
    m.flow.vlans[0].tci = FT_VLAN_CFI | (3 << FT_VLAN_PCP_SHIFT) | 100;
    m.mask.vlans[0].tci = 0xffff;
    m.flow.dl_type = FT_ETH_TYPE_IP;
    m.mask.dl_type = 0xffff;
    m.flow.nw_dst = 0x0a010000;
    m.mask.nw_dst = 0xffff0000;
    m.flow.nw_proto = FT_IPPROTO_ICMP;
    m.mask.nw_proto = 0xff;
    m.flow.tp_src = 8;
    m.mask.tp_src = 0xff;
    m.mask.tp_dst = 0xff;
    assert_int_equal(translate(&m, NULL, NULL, &proto, &p, &err), 0);
    assert_int_equal(ntohs(proto), ETH_P_8021Q);
    assert_int_equal(get_be16(&p, TCA_FLOWER_KEY_ETH_TYPE), ETH_P_8021Q);
    assert_int_equal(nla_get_u16(p.fl[TCA_FLOWER_KEY_VLAN_ID]), 100);
    assert_int_equal(nla_get_u8(p.fl[TCA_FLOWER_KEY_VLAN_PRIO]), 3);
    assert_int_equal(get_be16(&p, TCA_FLOWER_KEY_VLAN_ETH_TYPE), ETH_P_IP);
    assert_null(p.fl[TCA_FLOWER_KEY_NUM_OF_VLANS]);
    assert_int_equal(get_be32(&p, TCA_FLOWER_KEY_IPV4_DST), 0x0a010000);
    assert_int_equal(get_be32(&p, TCA_FLOWER_KEY_IPV4_DST_MASK), 0xffff0000);
    assert_int_equal(nla_get_u8(p.fl[TCA_FLOWER_KEY_ICMPV4_TYPE]), 8);
    assert_int_equal(nla_get_u8(p.fl[TCA_FLOWER_KEY_ICMPV4_CODE]), 0);
    assert_int_equal(nla_get_u8(p.fl[TCA_FLOWER_KEY_ICMPV4_CODE_MASK]),
                     0xff);
    nlmsg_free(p.msg);
}

/* 'protocol arp flower arp_sip 10.0.0.1 arp_tip 10.0.0.2 arp_op request'. */
static void
test_match_arp(void **state)
{
    struct ft_error err;
    struct ft_match m;
    struct parsed p;
    uint16_t proto;

    (void) state;
    base_match(&m);
    m.flow.dl_type = FT_ETH_TYPE_ARP;
    m.mask.dl_type = 0xffff;
    m.flow.nw_src = 0x0a000001;
    m.mask.nw_src = UINT32_MAX;
    m.flow.nw_dst = 0x0a000002;
    m.mask.nw_dst = UINT32_MAX;
    m.flow.nw_proto = 1;
    m.mask.nw_proto = 0xff;
    assert_int_equal(translate(&m, NULL, NULL, &proto, &p, &err), 0);
    assert_int_equal(ntohs(proto), ETH_P_ARP);
    assert_int_equal(get_be32(&p, TCA_FLOWER_KEY_ARP_SIP), 0x0a000001);
    assert_int_equal(get_be32(&p, TCA_FLOWER_KEY_ARP_TIP), 0x0a000002);
    assert_int_equal(nla_get_u8(p.fl[TCA_FLOWER_KEY_ARP_OP]), 1);
    assert_null(p.fl[TCA_FLOWER_KEY_IPV4_SRC]);
    nlmsg_free(p.msg);
}

static void
expect_refusal(const struct ft_match *m, const char *reason)
{
    struct ft_error err;
    struct parsed p;
    uint16_t proto;

    assert_int_equal(translate(m, NULL, NULL, &proto, &p, &err),
                     -EOPNOTSUPP);
    assert_string_equal(err.reason, reason);
}

/* 'm' with 'acts' is refused for its match with 'reason'. */
static int lookup(void *, ft_port_no, const struct ft_dpa_tunnel *,
                  struct ft_tc_port_info *, struct ft_error *);

static void
expect_refusal_with(const struct ft_match *m, const struct ft_dp_actions *acts,
                    const char *reason)
{
    struct ft_error err;
    struct parsed p;
    uint16_t proto;

    assert_int_equal(translate(m, acts, lookup, &proto, &p, &err),
                     -EOPNOTSUPP);
    assert_string_equal(err.reason, reason);
}

static void
test_match_refusals(void **state)
{
    struct ft_match m;

    (void) state;
    base_match(&m);
    m.mask.regs[2] = 1;
    expect_refusal(&m, "tc: match on reg2 is not offloadable");
    base_match(&m);
    m.mask.metadata = 1;
    expect_refusal(&m, "tc: match on metadata is not offloadable");
    base_match(&m);
    m.mask.tun_id = UINT64_MAX;
    expect_refusal(&m, "tc: match on tunnel fields (tun_id, tun_src, "
                   "tun_dst, tun_flags) of packets that did not come from a "
                   "tunnel port is not offloadable");
    base_match(&m);
    m.mask.in_port = 0;
    expect_refusal(&m, "tc: match on a wildcarded in_port is not "
                   "offloadable");
    base_match(&m);
    m.flow.dl_type = FT_ETH_TYPE_IPV6;
    m.mask.dl_type = 0xffff;
    m.mask.ipv6_label = 0xfffff;
    expect_refusal(&m, "tc: match on the IPv6 flow label is not "
                   "offloadable");
    base_match(&m);
    m.mask.dl_type = 0xff00;
    expect_refusal(&m, "tc: match on part of dl_type is not offloadable");
    base_match(&m);
    m.flow.dl_type = FT_ETH_TYPE_IP;
    m.mask.dl_type = 0xffff;
    m.mask.tp_dst = 0xffff;
    expect_refusal(&m, "tc: match on L4 fields without nw_proto is not "
                   "offloadable");
    base_match(&m);
    m.mask.nw_src = UINT32_MAX;
    expect_refusal(&m, "tc: match on L3 fields without an IP dl_type is "
                   "not offloadable");
}

/* A megaflow of a tagged packet says that no second tag follows (every
 * one does; NORMAL toward an access port adds the inner VID): the
 * EtherType after the outer tag says it in flower ('protocol 802.1Q
 * flower vlan_id 100 vlan_ethtype ip'), so it is taken; an inner tag that
 * is there, or its absence without an exact non-TPID EtherType, is not. */
static void
test_match_no_inner_vlan(void **state)
{
    struct ft_error err;
    struct ft_match m;
    struct parsed p;
    uint16_t proto;

    (void) state;
    base_match(&m);
    m.flow.vlans[0].tpid = FT_ETH_TYPE_VLAN;
    m.mask.vlans[0].tpid = 0xffff;
    m.flow.vlans[0].tci = FT_VLAN_CFI | 100;
    m.mask.vlans[0].tci = FT_VLAN_CFI | FT_VLAN_VID_MASK;
    m.mask.vlans[1].tci = FT_VLAN_CFI | FT_VLAN_VID_MASK;
    m.flow.dl_type = FT_ETH_TYPE_IP;
    m.mask.dl_type = 0xffff;
    assert_int_equal(translate(&m, NULL, NULL, &proto, &p, &err), 0);
    assert_int_equal(ntohs(proto), ETH_P_8021Q);
    assert_int_equal(nla_get_u16(p.fl[TCA_FLOWER_KEY_VLAN_ID]), 100);
    assert_int_equal(get_be16(&p, TCA_FLOWER_KEY_VLAN_ETH_TYPE), ETH_P_IP);
    assert_null(p.fl[TCA_FLOWER_KEY_CVLAN_ID]);
    nlmsg_free(p.msg);

    m.flow.vlans[1].tci = FT_VLAN_CFI | 7;      /* A second tag. */
    m.flow.vlans[1].tpid = FT_ETH_TYPE_VLAN;
    m.mask.vlans[1].tpid = 0xffff;
    expect_refusal(&m, "tc: match on an inner VLAN tag is not offloadable");
    m.flow.vlans[1].tci = 0;
    m.flow.vlans[1].tpid = 0;
    m.flow.dl_type = FT_ETH_TYPE_VLAN;          /* No EtherType to say it. */
    expect_refusal(&m, "tc: match on an inner VLAN tag is not offloadable");
    m.flow.dl_type = FT_ETH_TYPE_IP;
    m.mask.dl_type = 0;
    expect_refusal(&m, "tc: match on an inner VLAN tag is not offloadable");
    m.mask.dl_type = 0xffff;
    m.flow.vlans[0].tci = 0;                    /* No outer tag either. */
    m.mask.vlans[0].tpid = 0;
    m.flow.vlans[0].tpid = 0;
    expect_refusal(&m, "tc: match on an inner VLAN tag is not offloadable");
}

/* Ports 1 (the usual input), 2 and 3 on the e-switch (ifindex 10, 20,
 * 30); port 9 is not.  Port 5 is a VXLAN port on UDP port 4789 (FlowTier's
 * device: ifindex 50); the route to 172.31.1.9 leaves the e-switch, and a
 * tunnel without a source gets the route's, 172.31.1.1.  Port 6 is the
 * same as the kernel tier sees it in front of the kernel datapath: the
 * device encapsulates in software. */
static int
lookup(void *aux, ft_port_no port, const struct ft_dpa_tunnel *tnl,
       struct ft_tc_port_info *info, struct ft_error *err)
{
    (void) aux;
    memset(info, 0, sizeof *info);
    if (port == 1 || port == 2 || port == 3) {
        info->ifindex = port * 10;
        return 0;
    }
    if (port == 6) {
        info->ifindex = 50;
        info->tnl_dst_port = 4789;
        info->tnl_src = tnl ? 0xac1f0101 : 0;
        info->sw_tunnel = true;
        return 0;
    }
    if (port == 5) {
        info->ifindex = 50;
        info->tnl_dst_port = 4789;
        if (tnl && tnl->dst == 0xac1f0109) {
            return ft_error_set(err, -EOPNOTSUPP, "tc: tunnel to "
                                "172.31.1.9: its route leaves through eth0, "
                                "not a port of the e-switch of p1");
        }
        info->tnl_src = tnl ? 0xac1f0101 : 0;
        return 0;
    }
    return ft_error_set(err, -EOPNOTSUPP, "tc: output to p%u: not on the "
                        "e-switch of p1", port);
}

/* The kind and options of action 'n' of 'p'. */
static const char *
action(const struct parsed *p, int n, struct nlattr **opts,
       struct nlattr **cookie_out)
{
    struct nlattr *a[TCA_ACT_MAX + 1];

    assert_non_null(p->acts[n]);
    assert_true(nla_parse_nested(a, TCA_ACT_MAX, p->acts[n], NULL) >= 0);
    *opts = a[TCA_ACT_OPTIONS];
    if (cookie_out) {
        *cookie_out = a[TCA_ACT_COOKIE];
    }
    return nla_get_string(a[TCA_ACT_KIND]);
}

/* 'action vlan push id 100 pipe action mirred egress mirror dev p2 pipe
 * action mirred egress redirect dev p3', the cookie on the first. */
static void
test_actions_outputs_vlan(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct nlattr *opts, *ck, *o[TCA_MIRRED_MAX + 1], *v[TCA_VLAN_MAX + 1];
    const struct tc_mirred *mir;
    struct ft_error err;
    struct ft_match m;
    struct parsed p;
    uint16_t proto;

    (void) state;
    base_match(&m);
    ft_dp_actions_put(&acts, FT_DPA_PUSH_VLAN)->push_vlan =
        (struct ft_vlan) { FT_ETH_TYPE_VLAN, FT_VLAN_CFI | 100 };
    ft_dp_actions_put_output(&acts, 2);
    ft_dp_actions_put_output(&acts, 3);
    assert_int_equal(translate(&m, &acts, lookup, &proto, &p, &err), 0);

    assert_string_equal(action(&p, 1, &opts, &ck), "vlan");
    assert_non_null(ck);
    assert_memory_equal(nla_data(ck), cookie, FT_TC_COOKIE_LEN);
    assert_true(nla_parse_nested(v, TCA_VLAN_MAX, opts, NULL) >= 0);
    assert_int_equal(((struct tc_vlan *) nla_data(v[TCA_VLAN_PARMS]))
                     ->v_action, TCA_VLAN_ACT_PUSH);
    assert_int_equal(nla_get_u16(v[TCA_VLAN_PUSH_VLAN_ID]), 100);
    assert_int_equal(ntohs(nla_get_u16(v[TCA_VLAN_PUSH_VLAN_PROTOCOL])),
                     ETH_P_8021Q);

    assert_string_equal(action(&p, 2, &opts, &ck), "mirred");
    assert_null(ck);
    assert_true(nla_parse_nested(o, TCA_MIRRED_MAX, opts, NULL) >= 0);
    mir = nla_data(o[TCA_MIRRED_PARMS]);
    assert_int_equal(mir->eaction, TCA_EGRESS_MIRROR);
    assert_int_equal(mir->action, TC_ACT_PIPE);
    assert_int_equal(mir->ifindex, 20);

    assert_string_equal(action(&p, 3, &opts, NULL), "mirred");
    assert_true(nla_parse_nested(o, TCA_MIRRED_MAX, opts, NULL) >= 0);
    mir = nla_data(o[TCA_MIRRED_PARMS]);
    assert_int_equal(mir->eaction, TCA_EGRESS_REDIR);
    assert_int_equal(mir->action, TC_ACT_STOLEN);
    assert_int_equal(mir->ifindex, 30);
    assert_null(p.acts[4]);
    nlmsg_free(p.msg);
    ft_dp_actions_uninit(&acts);
}

/* No output: 'action drop'.  A rewrite of the IPv4 destination of a UDP
 * megaflow: 'action pedit ex munge ip dst set 10.0.0.9 pipe action csum
 * ip4h udp pipe action mirred egress redirect dev p2'. */
static void
test_actions_drop_pedit(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct nlattr *opts, *g[TCA_GACT_MAX + 1], *pe[TCA_PEDIT_MAX + 1];
    struct nlattr *cs[TCA_CSUM_MAX + 1];
    const struct tc_pedit_sel *sel;
    struct ft_dpa_ipv4 *ip;
    struct ft_error err;
    struct ft_match m;
    struct parsed p;
    uint16_t proto;

    (void) state;
    base_match(&m);
    assert_int_equal(translate(&m, &acts, lookup, &proto, &p, &err), 0);
    assert_string_equal(action(&p, 1, &opts, NULL), "gact");
    assert_true(nla_parse_nested(g, TCA_GACT_MAX, opts, NULL) >= 0);
    assert_int_equal(((struct tc_gact *) nla_data(g[TCA_GACT_PARMS]))->action,
                     TC_ACT_SHOT);
    nlmsg_free(p.msg);

    m.flow.dl_type = FT_ETH_TYPE_IP;
    m.mask.dl_type = 0xffff;
    m.flow.nw_proto = FT_IPPROTO_UDP;
    m.mask.nw_proto = 0xff;
    ip = &ft_dp_actions_put(&acts, FT_DPA_SET_IPV4)->ipv4;
    ip->dst = 0x0a000009;
    ip->dst_mask = UINT32_MAX;
    ft_dp_actions_put_output(&acts, 2);
    assert_int_equal(translate(&m, &acts, lookup, &proto, &p, &err), 0);
    assert_string_equal(action(&p, 1, &opts, NULL), "pedit");
    assert_true(nla_parse_nested(pe, TCA_PEDIT_MAX, opts, NULL) >= 0);
    sel = nla_data(pe[TCA_PEDIT_PARMS_EX]);
    assert_int_equal(sel->nkeys, 1);
    assert_int_equal(sel->keys[0].off, 16);
    assert_int_equal(sel->keys[0].mask, 0);
    assert_int_equal(ntohl(sel->keys[0].val), 0x0a000009);
    assert_non_null(pe[TCA_PEDIT_KEYS_EX]);
    assert_string_equal(action(&p, 2, &opts, NULL), "csum");
    assert_true(nla_parse_nested(cs, TCA_CSUM_MAX, opts, NULL) >= 0);
    assert_int_equal(((struct tc_csum *) nla_data(cs[TCA_CSUM_PARMS]))
                     ->update_flags,
                     TCA_CSUM_UPDATE_FLAG_IPV4HDR | TCA_CSUM_UPDATE_FLAG_UDP);
    assert_string_equal(action(&p, 3, &opts, NULL), "mirred");
    nlmsg_free(p.msg);
    ft_dp_actions_uninit(&acts);
}

static void
test_action_refusals(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_error err;
    struct ft_match m;
    struct parsed p;
    uint16_t proto;

    (void) state;
    base_match(&m);
    ft_dp_actions_put_output(&acts, 9);
    assert_int_equal(translate(&m, &acts, lookup, &proto, &p, &err),
                     -EOPNOTSUPP);
    assert_string_equal(err.reason, "tc: output to p9: not on the e-switch "
                        "of p1");
    ft_dp_actions_clear(&acts);
    ft_dp_actions_put(&acts, FT_DPA_USERSPACE);
    assert_int_equal(translate(&m, &acts, lookup, &proto, &p, &err),
                     -EOPNOTSUPP);
    assert_string_equal(err.reason, "tc: action userspace (to the "
                        "controller) stays in software");
    ft_dp_actions_clear(&acts);
    ft_dp_actions_put(&acts, FT_DPA_SET_IPV6);
    ft_dp_actions_put_output(&acts, 2);
    assert_int_equal(translate(&m, &acts, lookup, &proto, &p, &err),
                     -EOPNOTSUPP);
    assert_string_equal(err.reason, "tc: action set(ipv6) is not "
                        "offloadable");
    ft_dp_actions_uninit(&acts);
}

/* ---- --explain: the filter as a 'tc filter add' line. ---- */

static const char *
ifname(void *aux, int ifindex, char buf[16])
{
    (void) aux;
    snprintf(buf, 16, ifindex == 50 ? "ft_vxlan_4789" : "r%d",
             ifindex / 10);
    return buf;
}

/* Builds the filter of 'm' and 'acts' as the provider does, with 'skip'
 * and priority 1, and returns its explained line (the caller frees it),
 * or NULL with the refusal in 'err'. */
static char *
explain_on(const char *dev, const struct ft_match *m,
           const struct ft_dp_actions *acts, uint32_t skip,
           struct ft_error *err)
{
    struct ds out = DS_EMPTY_INITIALIZER;
    struct nl_msg *msg;
    uint16_t proto;
    char *s;

    ft_error_clear(err);
    if (ft_tc_filter_build(0, 7, m, acts, lookup, NULL, cookie, skip, &msg,
                           &proto, err)) {
        return NULL;
    }
    ft_tc_filter_set_id(msg, 1, proto, 0);
    ft_tc_explain_msg(msg, dev, ifname, NULL, &out);
    nlmsg_free(msg);
    s = strdup(ds_cstr(&out));
    ds_destroy(&out);
    return s;
}

static char *
explain(const struct ft_match *m, const struct ft_dp_actions *acts,
        uint32_t skip, struct ft_error *err)
{
    return explain_on("r0", m, acts, skip, err);
}

static void
expect_explain(const struct ft_match *m, const struct ft_dp_actions *acts,
               uint32_t skip, const char *golden)
{
    struct ft_error err;
    char *s = explain(m, acts, skip, &err);

    if (!s) {
        fail_msg("refused: %s", err.reason);
    }
    assert_string_equal(s, golden);
    free(s);
}

static void
ipv4_match(struct ft_match *m, uint8_t proto)
{
    base_match(m);
    m->flow.dl_type = FT_ETH_TYPE_IP;
    m->mask.dl_type = 0xffff;
    m->flow.nw_proto = proto;
    m->mask.nw_proto = 0xff;
}

/* Every key of an untagged IPv4 TCP megaflow, and a redirect. */
static void
test_explain_ipv4_tcp(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    static const uint8_t src[6] = { 2, 0, 0, 0, 0, 1 };
    static const uint8_t dst[6] = { 2, 0, 0, 0, 0, 2 };
    struct ft_match m;

    (void) state;
    ipv4_match(&m, FT_IPPROTO_TCP);
    memcpy(m.flow.dl_src.ea, src, 6);
    memset(m.mask.dl_src.ea, 0xff, 6);
    memcpy(m.flow.dl_dst.ea, dst, 6);
    memset(m.mask.dl_dst.ea, 0xff, 6);
    m.mask.dl_dst.ea[5] = 0xf0;
    m.flow.dl_dst.ea[5] = 0;
    m.mask.vlans[0].tci = 0x1fff;
    m.flow.nw_src = 0x0a000001;
    m.mask.nw_src = UINT32_MAX;
    m.flow.nw_dst = 0x0a010000;
    m.mask.nw_dst = 0xffff0000;
    m.flow.nw_tos = 0x10;
    m.mask.nw_tos = 0xfc;
    m.flow.nw_ttl = 64;
    m.mask.nw_ttl = 0xff;
    m.mask.nw_frag = FT_FRAG_MASK;
    m.flow.tp_src = 1234;
    m.mask.tp_src = 0xffff;
    m.flow.tp_dst = 0x1000;
    m.mask.tp_dst = 0xf000;
    m.flow.tcp_flags = 0x002;
    m.mask.tcp_flags = 0x012;
    ft_dp_actions_put_output(&acts, 2);
    expect_explain(&m, &acts, TCA_CLS_FLAGS_SKIP_SW,
                   "tc filter add dev r0 ingress protocol ip prio 1 flower "
                   "skip_sw num_of_vlans 0 dst_mac 02:00:00:00:00:00/"
                   "ff:ff:ff:ff:ff:f0 src_mac 02:00:00:00:00:01 ip_proto "
                   "tcp ip_tos 0x10/0xfc ip_ttl 64 src_ip 10.0.0.1 dst_ip "
                   "10.1.0.0/16 ip_flags nofrag/nofirstfrag src_port 1234 "
                   "dst_port 4096/0xf000 tcp_flags 0x2/0x12 action mirred "
                   "egress redirect dev r2");
    ft_dp_actions_uninit(&acts);
}

/* A VLAN tag's ID and priority, the ethertype inside, ICMP type and code;
 * VLAN pop, push and two outputs. */
static void
test_explain_vlan_icmp(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_match m;

    (void) state;
    ipv4_match(&m, FT_IPPROTO_ICMP);
    m.flow.vlans[0].tci = FT_VLAN_CFI | (3 << FT_VLAN_PCP_SHIFT) | 100;
    m.mask.vlans[0].tci = 0xffff;
    m.flow.tp_src = 8;
    m.mask.tp_src = 0xff;
    m.flow.tp_dst = 0;
    m.mask.tp_dst = 0xff;
    ft_dp_actions_put(&acts, FT_DPA_POP_VLAN);
    ft_dp_actions_put_output(&acts, 2);
    ft_dp_actions_put(&acts, FT_DPA_PUSH_VLAN)->push_vlan =
        (struct ft_vlan) { FT_ETH_TYPE_VLAN,
                           FT_VLAN_CFI | (5 << FT_VLAN_PCP_SHIFT) | 200 };
    ft_dp_actions_put_output(&acts, 3);
    expect_explain(&m, &acts, TCA_CLS_FLAGS_SKIP_SW,
                   "tc filter add dev r0 ingress protocol 802.1Q prio 1 "
                   "flower skip_sw vlan_id 100 vlan_prio 3 vlan_ethtype ip "
                   "ip_proto icmp type 8 code 0 action vlan pop action "
                   "mirred egress mirror dev r2 action vlan push id 200 "
                   "protocol 802.1Q priority 5 pipe action mirred egress "
                   "redirect dev r3");
    ft_dp_actions_uninit(&acts);
}

/* ARP's fields, and a drop (no output), in the kernel tier. */
static void
test_explain_arp_drop(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    static const uint8_t sha[6] = { 2, 0, 0, 0, 0, 7 };
    struct ft_match m;

    (void) state;
    base_match(&m);
    m.flow.dl_type = FT_ETH_TYPE_ARP;
    m.mask.dl_type = 0xffff;
    m.flow.nw_src = 0x0a000001;
    m.mask.nw_src = UINT32_MAX;
    m.flow.nw_dst = 0x0a000000;
    m.mask.nw_dst = 0xffffff00;
    m.flow.nw_proto = 1;
    m.mask.nw_proto = 0xff;
    memcpy(m.flow.arp_sha.ea, sha, 6);
    memset(m.mask.arp_sha.ea, 0xff, 6);
    memset(m.mask.arp_tha.ea, 0xff, 6);
    expect_explain(&m, &acts, TCA_CLS_FLAGS_SKIP_HW,
                   "tc filter add dev r0 ingress protocol arp prio 1 flower "
                   "skip_hw arp_sip 10.0.0.1 arp_tip 10.0.0.0/24 arp_op "
                   "request arp_sha 02:00:00:00:00:07 arp_tha "
                   "00:00:00:00:00:00 action drop");
    ft_dp_actions_uninit(&acts);
}

/* IPv6 addresses, UDP ports, ICMPv6; rewrites of both MAC addresses. */
static void
test_explain_ipv6(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dpa_eth *eth;
    struct ft_match m;

    (void) state;
    base_match(&m);
    m.flow.dl_type = FT_ETH_TYPE_IPV6;
    m.mask.dl_type = 0xffff;
    m.flow.nw_proto = FT_IPPROTO_UDP;
    m.mask.nw_proto = 0xff;
    m.flow.ipv6_src.s6[0] = 0xfd;
    m.flow.ipv6_src.s6[15] = 1;
    memset(m.mask.ipv6_src.s6, 0xff, 16);
    m.flow.ipv6_dst.s6[0] = 0xfd;
    memset(m.mask.ipv6_dst.s6, 0xff, 8);
    m.flow.tp_dst = 53;
    m.mask.tp_dst = 0xffff;
    eth = &ft_dp_actions_put(&acts, FT_DPA_SET_ETH)->eth;
    memset(eth->dst.ea, 0x22, 6);
    memset(eth->dst_mask.ea, 0xff, 6);
    memset(eth->src.ea, 0x11, 6);
    memset(eth->src_mask.ea, 0xff, 6);
    ft_dp_actions_put_output(&acts, 2);
    expect_explain(&m, &acts, TCA_CLS_FLAGS_SKIP_SW,
                   "tc filter add dev r0 ingress protocol ipv6 prio 1 flower "
                   "skip_sw ip_proto udp src_ip fd00::1 dst_ip fd00::/64 "
                   "dst_port 53 action pedit ex munge eth dst set "
                   "22:22:22:22:22:22 munge eth src set 11:11:11:11:11:11 "
                   "pipe action mirred egress redirect dev r2");

    m.flow.nw_proto = FT_IPPROTO_ICMPV6;
    m.flow.tp_src = 135;
    m.mask.tp_src = 0xff;
    m.mask.tp_dst = 0;
    m.flow.tp_dst = 0;
    expect_explain(&m, &acts, TCA_CLS_FLAGS_SKIP_SW,
                   "tc filter add dev r0 ingress protocol ipv6 prio 1 flower "
                   "skip_sw ip_proto icmpv6 src_ip fd00::1 dst_ip fd00::/64 "
                   "type 135 action pedit ex munge eth dst set "
                   "22:22:22:22:22:22 munge eth src set 11:11:11:11:11:11 "
                   "pipe action mirred egress redirect dev r2");
    ft_dp_actions_uninit(&acts);
}

/* Rewrites of IPv4 tos (part of it), ttl and addresses, and of TCP and
 * UDP ports, each with the checksums it breaks. */
static void
test_explain_rewrites(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dpa_ipv4 *ip;
    struct ft_dpa_l4 *l4;
    struct ft_match m;

    (void) state;
    ipv4_match(&m, FT_IPPROTO_TCP);
    ip = &ft_dp_actions_put(&acts, FT_DPA_SET_IPV4)->ipv4;
    ip->tos = 0x20;
    ip->tos_mask = 0xfc;
    ip->ttl = 9;
    ip->ttl_mask = 0xff;
    ip->src = 0x0a000009;
    ip->src_mask = UINT32_MAX;
    ip->dst = 0x0a00000a;
    ip->dst_mask = UINT32_MAX;
    l4 = &ft_dp_actions_put(&acts, FT_DPA_SET_L4)->l4;
    l4->proto = FT_IPPROTO_TCP;
    l4->src = 8080;
    l4->src_mask = 0xffff;
    ft_dp_actions_put_output(&acts, 2);
    expect_explain(&m, &acts, TCA_CLS_FLAGS_SKIP_SW,
                   "tc filter add dev r0 ingress protocol ip prio 1 flower "
                   "skip_sw ip_proto tcp action pedit ex munge ip tos set "
                   "0x20 retain 0xfc munge ip ttl set 9 munge ip src set "
                   "10.0.0.9 munge ip dst set 10.0.0.10 pipe action csum "
                   "ip4h tcp pipe action pedit ex munge tcp sport set 8080 "
                   "pipe action csum tcp pipe action mirred egress redirect "
                   "dev r2");
    ft_dp_actions_uninit(&acts);

    ipv4_match(&m, FT_IPPROTO_UDP);
    l4 = &ft_dp_actions_put(&acts, FT_DPA_SET_L4)->l4;
    l4->proto = FT_IPPROTO_UDP;
    l4->dst = 53;
    l4->dst_mask = 0xffff;
    ft_dp_actions_put_output(&acts, 3);
    expect_explain(&m, &acts, TCA_CLS_FLAGS_SKIP_SW,
                   "tc filter add dev r0 ingress protocol ip prio 1 flower "
                   "skip_sw ip_proto udp action pedit ex munge udp dport set "
                   "53 pipe action csum udp pipe action mirred egress "
                   "redirect dev r3");
    ft_dp_actions_uninit(&acts);
}

/* What cannot be translated is refused with the provider's reason, the
 * same words flow_put() gives. */
static void
test_explain_refusals(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_error err;
    struct ft_match m;

    (void) state;
    base_match(&m);
    m.mask.ipv6_label = 0xfffff;
    assert_null(explain(&m, &acts, TCA_CLS_FLAGS_SKIP_SW, &err));
    assert_string_equal(err.reason, "tc: match on the IPv6 flow label is "
                        "not offloadable");
    base_match(&m);
    ft_dp_actions_put(&acts, FT_DPA_SET_IPV6);
    ft_dp_actions_put_output(&acts, 2);
    assert_null(explain(&m, &acts, TCA_CLS_FLAGS_SKIP_SW, &err));
    assert_int_equal(err.code, -EOPNOTSUPP);
    assert_string_equal(err.reason, "tc: action set(ipv6) is not "
                        "offloadable");
    ft_dp_actions_uninit(&acts);
    ft_dp_actions_put_output(&acts, 4);
    assert_null(explain(&m, &acts, TCA_CLS_FLAGS_SKIP_SW, &err));
    assert_string_equal(err.reason, "tc: output to p4: not on the e-switch "
                        "of p1");
    ft_dp_actions_uninit(&acts);
}

/* ---- VXLAN: tunnel_key set before a redirect to FlowTier's device,
 * and decapsulation rules on that device. ---- */

/* An IPv4 ICMP megaflow from p1 to 10.0.5.2 sent into VXLAN port 5 with
 * VNI 42 toward 172.31.1.2, DF, no checksum (the port's defaults). */
static void
encap_megaflow(struct ft_match *m, struct ft_dp_actions *acts)
{
    struct ft_dpa_tunnel *t;

    ipv4_match(m, FT_IPPROTO_ICMP);
    m->flow.nw_dst = 0x0a000502;
    m->mask.nw_dst = UINT32_MAX;
    t = &ft_dp_actions_put(acts, FT_DPA_SET_TUNNEL)->tunnel;
    t->tun_id = 42;
    t->dst = 0xac1f0102;
    t->ttl = 64;
    t->flags = FT_TNL_F_DONT_FRAGMENT | FT_TNL_F_KEY;
    ft_dp_actions_put_output(acts, 5);
}

/* Why a decapsulation megaflow that matches the outer DF or csum flag is
 * refused, in every TC tier. */
#define TC_TUN_FLAGS_REFUSAL \
    "tc: match on the outer tun_flags df or csum (an OpenFlow rule " \
    "matches tun_flags' df or csum bit, and TC has no key for a tunnel's " \
    "outer flags before Linux 6.11: a filter would take +df and -df " \
    "alike) is not offloadable"

/* What comes back: VNI 42 from 172.31.1.2 to 172.31.1.1 on VXLAN port 5,
 * with the tun_flags mask of a table without a rule on them (key). */
static void
decap_megaflow(struct ft_match *m, struct ft_dp_actions *acts)
{
    ipv4_match(m, FT_IPPROTO_ICMP);
    m->flow.in_port = 5;
    m->flow.tun_id = 42;
    m->mask.tun_id = UINT64_MAX;
    m->flow.tun_src = 0xac1f0102;
    m->mask.tun_src = UINT32_MAX;
    m->flow.tun_dst = 0xac1f0101;
    m->mask.tun_dst = UINT32_MAX;
    m->flow.tun_flags = FT_TNL_F_KEY;
    m->mask.tun_flags = FT_TNL_F_KEY;
    m->flow.nw_src = 0x0a000502;
    m->mask.nw_src = UINT32_MAX;
    ft_dp_actions_put_output(acts, 1);
}

static uint32_t
opt_be32(struct nlattr **o, int key)
{
    assert_non_null(o[key]);
    return ntohl(nla_get_u32(o[key]));
}

static void
test_tunnel_encap(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct nlattr *opts, *o[TCA_TUNNEL_KEY_MAX + 1], *ck;
    struct nlattr *mo[TCA_MIRRED_MAX + 1];
    const struct tc_tunnel_key *tk;
    const struct tc_mirred *mp;
    struct ft_error err;
    struct ft_match m;
    struct parsed p;
    uint16_t proto;

    (void) state;
    encap_megaflow(&m, &acts);
    assert_int_equal(translate(&m, &acts, lookup, &proto, &p, &err), 0);
    assert_null(p.fl[TCA_FLOWER_KEY_ENC_KEY_ID]);
    assert_string_equal(action(&p, 1, &opts, &ck), "tunnel_key");
    assert_non_null(ck);
    assert_true(nla_parse_nested(o, TCA_TUNNEL_KEY_MAX, opts, NULL) >= 0);
    tk = nla_data(o[TCA_TUNNEL_KEY_PARMS]);
    assert_int_equal(tk->t_action, TCA_TUNNEL_KEY_ACT_SET);
    assert_int_equal(tk->action, TC_ACT_PIPE);
    /* No source asked: the route's. */
    assert_int_equal(opt_be32(o, TCA_TUNNEL_KEY_ENC_IPV4_SRC), 0xac1f0101);
    assert_int_equal(opt_be32(o, TCA_TUNNEL_KEY_ENC_IPV4_DST), 0xac1f0102);
    assert_int_equal(opt_be32(o, TCA_TUNNEL_KEY_ENC_KEY_ID), 42);
    assert_int_equal(ntohs(nla_get_u16(o[TCA_TUNNEL_KEY_ENC_DST_PORT])),
                     4789);
    assert_int_equal(nla_get_u8(o[TCA_TUNNEL_KEY_NO_CSUM]), 1);
    assert_int_equal(nla_get_u8(o[TCA_TUNNEL_KEY_ENC_TTL]), 64);
    assert_int_equal(nla_get_u8(o[TCA_TUNNEL_KEY_ENC_TOS]), 0);
    assert_string_equal(action(&p, 2, &opts, NULL), "mirred");
    assert_true(nla_parse_nested(mo, TCA_MIRRED_MAX, opts, NULL) >= 0);
    mp = nla_data(mo[TCA_MIRRED_PARMS]);
    assert_int_equal(mp->eaction, TCA_EGRESS_REDIR);
    assert_int_equal(mp->ifindex, 50);
    assert_null(p.acts[3]);
    nlmsg_free(p.msg);

    /* A source, a port and a checksum of the flow's own. */
    acts.acts[0].tunnel.src = 0xac1f0107;
    acts.acts[0].tunnel.tp_dst = 8472;
    acts.acts[0].tunnel.flags |= FT_TNL_F_CSUM;
    acts.acts[0].tunnel.tos = 0x28;
    assert_int_equal(translate(&m, &acts, lookup, &proto, &p, &err), 0);
    assert_string_equal(action(&p, 1, &opts, NULL), "tunnel_key");
    assert_true(nla_parse_nested(o, TCA_TUNNEL_KEY_MAX, opts, NULL) >= 0);
    assert_int_equal(opt_be32(o, TCA_TUNNEL_KEY_ENC_IPV4_SRC), 0xac1f0107);
    assert_int_equal(ntohs(nla_get_u16(o[TCA_TUNNEL_KEY_ENC_DST_PORT])),
                     8472);
    assert_int_equal(nla_get_u8(o[TCA_TUNNEL_KEY_NO_CSUM]), 0);
    assert_int_equal(nla_get_u8(o[TCA_TUNNEL_KEY_ENC_TOS]), 0x28);
    nlmsg_free(p.msg);
    ft_dp_actions_uninit(&acts);
}

static void
test_tunnel_decap(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct nlattr *opts, *o[TCA_TUNNEL_KEY_MAX + 1], *ck;
    const struct tc_tunnel_key *tk;
    struct ft_error err;
    struct ft_match m;
    struct parsed p;
    uint16_t proto;

    (void) state;
    decap_megaflow(&m, &acts);
    assert_int_equal(translate(&m, &acts, lookup, &proto, &p, &err), 0);
    assert_int_equal(proto, htons(ETH_P_IP));
    assert_int_equal(get_be32(&p, TCA_FLOWER_KEY_ENC_KEY_ID), 42);
    assert_int_equal(get_be32(&p, TCA_FLOWER_KEY_ENC_IPV4_SRC), 0xac1f0102);
    assert_int_equal(get_be32(&p, TCA_FLOWER_KEY_ENC_IPV4_SRC_MASK),
                     UINT32_MAX);
    assert_int_equal(get_be32(&p, TCA_FLOWER_KEY_ENC_IPV4_DST), 0xac1f0101);
    assert_int_equal(get_be16(&p, TCA_FLOWER_KEY_ENC_UDP_DST_PORT), 4789);
    assert_int_equal(get_be16(&p, TCA_FLOWER_KEY_ENC_UDP_DST_PORT_MASK),
                     0xffff);
    assert_null(p.fl[TCA_FLOWER_KEY_ENC_IP_TOS]);
    assert_int_equal(get_be32(&p, TCA_FLOWER_KEY_IPV4_SRC), 0x0a000502);
    /* The outer headers go first, with the cookie. */
    assert_string_equal(action(&p, 1, &opts, &ck), "tunnel_key");
    assert_non_null(ck);
    assert_true(nla_parse_nested(o, TCA_TUNNEL_KEY_MAX, opts, NULL) >= 0);
    tk = nla_data(o[TCA_TUNNEL_KEY_PARMS]);
    assert_int_equal(tk->t_action, TCA_TUNNEL_KEY_ACT_RELEASE);
    assert_null(o[TCA_TUNNEL_KEY_ENC_IPV4_DST]);
    assert_string_equal(action(&p, 2, &opts, NULL), "mirred");
    assert_null(p.acts[3]);
    nlmsg_free(p.msg);

    /* Outer tos and ttl, when a rule asked. */
    m.flow.tun_tos = 0x20;
    m.mask.tun_tos = 0xfc;
    m.flow.tun_ttl = 63;
    m.mask.tun_ttl = 0xff;
    assert_int_equal(translate(&m, &acts, lookup, &proto, &p, &err), 0);
    assert_int_equal(nla_get_u8(p.fl[TCA_FLOWER_KEY_ENC_IP_TOS]), 0x20);
    assert_int_equal(nla_get_u8(p.fl[TCA_FLOWER_KEY_ENC_IP_TOS_MASK]), 0xfc);
    assert_int_equal(nla_get_u8(p.fl[TCA_FLOWER_KEY_ENC_IP_TTL]), 63);
    nlmsg_free(p.msg);
    ft_dp_actions_uninit(&acts);
}

/* 'acts' on 'm' is refused with 'reason'. */
static void
expect_action_refusal(const struct ft_match *m,
                      const struct ft_dp_actions *acts, const char *reason)
{
    struct ft_error err;
    struct parsed p;
    uint16_t proto;

    assert_int_equal(translate(m, acts, lookup, &proto, &p, &err),
                     -EOPNOTSUPP);
    assert_string_equal(err.reason, reason);
}

static void
test_tunnel_refusals(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_match m;

    (void) state;
    encap_megaflow(&m, &acts);
    acts.acts[0].tunnel.flags &= ~FT_TNL_F_DONT_FRAGMENT;
    expect_action_refusal(&m, &acts, "tc: tunnel encapsulation without DF "
                          "(options:df_default=false) is not offloadable: "
                          "tunnel_key set has no DF flag on this kernel, and "
                          "the NIC sets DF");
    acts.acts[0].tunnel.flags |= FT_TNL_F_DONT_FRAGMENT;
    acts.acts[0].tunnel.tun_id = 0x1000000;
    expect_action_refusal(&m, &acts, "tc: tunnel encapsulation with a "
                          "tun_id over 24 bits (0x1000000) is not "
                          "offloadable: a VXLAN VNI has 24");
    acts.acts[0].tunnel.tun_id = 42;
    acts.acts[0].tunnel.dst = 0xac1f0109;
    expect_action_refusal(&m, &acts, "tc: tunnel to 172.31.1.9: its route "
                          "leaves through eth0, not a port of the e-switch "
                          "of p1");
    ft_dp_actions_clear(&acts);
    ft_dp_actions_put_output(&acts, 5);
    expect_action_refusal(&m, &acts, "tc: output to tunnel port 5 without "
                          "tunnel metadata (set(tunnel)) is not "
                          "offloadable");
    ft_dp_actions_clear(&acts);

    decap_megaflow(&m, &acts);
    /* Any megaflow whose mask has df or csum, set or clear: a filter
     * cannot tell them apart. */
    for (int i = 0; i < 4; i++) {
        m.mask.tun_flags = FT_TNL_F_KEY | (i < 2 ? FT_TNL_F_DONT_FRAGMENT
                                                 : FT_TNL_F_CSUM);
        m.flow.tun_flags = FT_TNL_F_KEY | (i & 1 ? m.mask.tun_flags : 0);
        expect_refusal_with(&m, &acts, TC_TUN_FLAGS_REFUSAL);
    }
    m.mask.tun_flags = FT_TNL_F_DONT_FRAGMENT | FT_TNL_F_CSUM | FT_TNL_F_KEY;
    m.flow.tun_flags = 0;
    expect_refusal_with(&m, &acts, TC_TUN_FLAGS_REFUSAL);
    m.mask.tun_flags = FT_TNL_F_KEY;
    expect_refusal_with(&m, &acts, "tc: match on tun_flags -key (a VXLAN "
                        "packet always has a key) is not offloadable");
    m.flow.tun_flags = FT_TNL_F_KEY;
    m.mask.tun_id = 0xffff;
    expect_refusal_with(&m, &acts, "tc: match on part of tun_id (enc_key_id "
                        "has no mask) is not offloadable");
    m.mask.tun_id = UINT64_MAX;
    m.mask.regs[0] = 1;
    expect_refusal_with(&m, &acts, "tc: match on reg0 is not offloadable");
    m.mask.regs[0] = 0;
    /* From one tunnel into another: the NIC would need both. */
    encap_megaflow(&m, &acts);
    m.flow.in_port = 5;
    expect_action_refusal(&m, &acts, "tc: output from a tunnel port to a "
                          "tunnel port is not offloadable");
    ft_dp_actions_uninit(&acts);
}

/* Both ways as 'tc' lines: the encapsulation rule on the VF's
 * representor (skip_sw: only the NIC), the decapsulation rule on
 * FlowTier's VXLAN device (no skip flag: Linux takes no skip_sw rule
 * there; the provider checks that it is in_hw). */
static void
test_explain_tunnel(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_error err;
    struct ft_match m;
    char *s;

    (void) state;
    encap_megaflow(&m, &acts);
    expect_explain(&m, &acts, TCA_CLS_FLAGS_SKIP_SW,
                   "tc filter add dev r0 ingress protocol ip prio 1 flower "
                   "skip_sw ip_proto icmp dst_ip 10.0.5.2 "
                   "action tunnel_key set src_ip 172.31.1.1 dst_ip "
                   "172.31.1.2 id 42 dst_port 4789 tos 0x0 ttl 64 nocsum "
                   "pipe action mirred egress redirect dev ft_vxlan_4789");
    ft_dp_actions_uninit(&acts);

    decap_megaflow(&m, &acts);
    s = explain_on("ft_vxlan_4789", &m, &acts, 0, &err);
    if (!s) {
        fail_msg("refused: %s", err.reason);
    }
    assert_string_equal(s, "tc filter add dev ft_vxlan_4789 ingress "
                        "protocol ip prio 1 flower enc_key_id 42 enc_src_ip "
                        "172.31.1.2 enc_dst_ip 172.31.1.1 enc_dst_port 4789 "
                        "ip_proto icmp src_ip 10.0.5.2 "
                        "action tunnel_key unset pipe "
                        "action mirred egress redirect dev r1");
    free(s);
    ft_dp_actions_uninit(&acts);
}

/* TC in software in front of the kernel datapath (port 6): skip_hw both
 * ways, the decapsulation rule on FlowTier's up VXLAN device; DF refused,
 * since tunnel_key set cannot ask the device for it on this kernel. */
static void
test_explain_tunnel_software(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_error err;
    struct ft_match m;
    char *s;

    (void) state;
    encap_megaflow(&m, &acts);
    acts.acts[1].port = 6;
    expect_action_refusal(&m, &acts, "tc: tunnel encapsulation with DF "
                          "(options:df_default=true, the default) is not "
                          "done by TC in software: tunnel_key set has no DF "
                          "flag on this kernel, and the VXLAN device would "
                          "send without DF (options:df_default=false lets "
                          "TC take it)");
    acts.acts[0].tunnel.flags &= ~FT_TNL_F_DONT_FRAGMENT;
    expect_explain(&m, &acts, TCA_CLS_FLAGS_SKIP_HW,
                   "tc filter add dev r0 ingress protocol ip prio 1 flower "
                   "skip_hw ip_proto icmp dst_ip 10.0.5.2 "
                   "action tunnel_key set src_ip 172.31.1.1 dst_ip "
                   "172.31.1.2 id 42 dst_port 4789 tos 0x0 ttl 64 nocsum "
                   "pipe action mirred egress redirect dev ft_vxlan_4789");
    ft_dp_actions_uninit(&acts);

    /* An OpenFlow rule on the sender's checksum put csum in the mask:
     * refused in software as in hardware, not taken imprecisely. */
    decap_megaflow(&m, &acts);
    m.flow.in_port = 6;
    m.mask.tun_flags |= FT_TNL_F_CSUM;
    m.flow.tun_flags |= FT_TNL_F_CSUM;
    assert_null(explain_on("ft_vxlan_4789", &m, &acts, TCA_CLS_FLAGS_SKIP_HW,
                           &err));
    assert_string_equal(err.reason, TC_TUN_FLAGS_REFUSAL);
    /* Without such a rule the filter takes the port's packets whatever
     * their outer flags, as the megaflow does. */
    m.mask.tun_flags = m.flow.tun_flags = FT_TNL_F_KEY;
    s = explain_on("ft_vxlan_4789", &m, &acts, TCA_CLS_FLAGS_SKIP_HW, &err);
    if (!s) {
        fail_msg("refused: %s", err.reason);
    }
    assert_string_equal(s, "tc filter add dev ft_vxlan_4789 ingress "
                        "protocol ip prio 1 flower skip_hw enc_key_id 42 "
                        "enc_src_ip 172.31.1.2 enc_dst_ip 172.31.1.1 "
                        "enc_dst_port 4789 ip_proto icmp src_ip 10.0.5.2 "
                        "action tunnel_key unset pipe "
                        "action mirred egress redirect dev r1");
    free(s);
    ft_dp_actions_uninit(&acts);
}

/* ---- Counters. ---- */

/* TC in software counts from the network header: 14 bytes more a packet,
 * 18 with a VLAN tag the megaflow matches; what a NIC counted stays. */
static void
test_stats_bytes(void **state)
{
    struct ft_match m;

    (void) state;
    base_match(&m);
    assert_int_equal(ft_tc_stats_bytes(&m, 0, 0, 0), 0);
    assert_int_equal(ft_tc_stats_bytes(&m, 3, 3 * 84, 0), 3 * 98);
    assert_int_equal(ft_tc_stats_bytes(&m, 3, 3 * 98, 3), 3 * 98);
    assert_int_equal(ft_tc_stats_bytes(&m, 5, 2 * 98 + 3 * 84, 2), 5 * 98);
    /* A megaflow that says "no tag" gets no tag's bytes. */
    m.mask.vlans[0].tci = 0x1fff;
    assert_int_equal(ft_tc_stats_bytes(&m, 1, 84, 0), 98);
    /* Nor one that does not care. */
    m.mask.vlans[0].tci = 0;
    m.flow.vlans[0].tci = 0;
    assert_int_equal(ft_tc_stats_bytes(&m, 1, 84, 0), 98);
    m.flow.vlans[0].tci = FT_VLAN_CFI | 10;
    m.mask.vlans[0].tci = 0x1fff;
    assert_int_equal(ft_tc_stats_bytes(&m, 2, 2 * 84, 0), 2 * 102);
    /* A NIC's count never shrinks below what it reported. */
    assert_int_equal(ft_tc_stats_bytes(&m, 2, 2 * 102, 5), 2 * 102);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_l2_to_l4),
        cmocka_unit_test(test_match_vlan_icmp),
        cmocka_unit_test(test_match_no_inner_vlan),
        cmocka_unit_test(test_match_arp),
        cmocka_unit_test(test_match_refusals),
        cmocka_unit_test(test_actions_outputs_vlan),
        cmocka_unit_test(test_actions_drop_pedit),
        cmocka_unit_test(test_action_refusals),
        cmocka_unit_test(test_explain_ipv4_tcp),
        cmocka_unit_test(test_explain_vlan_icmp),
        cmocka_unit_test(test_explain_arp_drop),
        cmocka_unit_test(test_explain_ipv6),
        cmocka_unit_test(test_explain_rewrites),
        cmocka_unit_test(test_explain_refusals),
        cmocka_unit_test(test_tunnel_encap),
        cmocka_unit_test(test_tunnel_decap),
        cmocka_unit_test(test_tunnel_refusals),
        cmocka_unit_test(test_explain_tunnel),
        cmocka_unit_test(test_explain_tunnel_software),
        cmocka_unit_test(test_stats_bytes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test-rte-flow.c - unit tests for the rte_flow provider's translation of
 * megaflows into rte_flow rules (offload/rte-flow-xlate.c): the pattern
 * items and actions for each kind of match and action, the attributes
 * (ingress for a drop, transfer with REPRESENTED_PORT for an output
 * between ports of one switch domain, from a table of test ports), and
 * the refusals' words.  No device is involved: the system test
 * (tests/system/test-dpdk.sh) sends rules to a real driver.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>

#include <cmocka.h>

#include "flowtier/ds.h"
#include "offload/rte-flow-xlate.h"

/* The test's switch-domain table: FlowTier port numbers and the DPDK
 * ports behind them.  Ports 1 and 2 are representors of one NIC's
 * switch (domain 0), port 4 of another NIC's (domain 1), port 6 a DPDK
 * port on no switch (net_tap, say). */
#define UPLINK { 11, true, 0, "uplink", NULL }
#define VX(STATE, DST) { STATE, UPLINK, DST, 0xac1f0101, 4789, 49152, \
                         { { 2, 0, 0, 0, 0xa, 1 } }, \
                         { { 2, 0, 0, 0, 0xa, 2 } }, 0 }
/* VXLAN ports whose underlay is the uplink of switch 0: one with a route
 * to 172.31.1.2, then one whose next hop is not resolved, one with no
 * route, one over IPv6. */
static const struct ft_rte_flow_vxlan vx0 = VX(FT_RTE_TNL_OK, 0xac1f0102);
static const struct ft_rte_flow_vxlan vx1 = VX(FT_RTE_TNL_NO_NEXTHOP,
                                               0xac1f0103);
static const struct ft_rte_flow_vxlan vx2 = VX(FT_RTE_TNL_NO_ROUTE,
                                               0xac1f0104);
static const struct ft_rte_flow_vxlan vx6 = VX(FT_RTE_TNL_IPV6, 0xac1f0105);
static const struct ft_rte_flow_vxlan vx7 = VX(FT_RTE_TNL_OFF_DPDK,
                                               0xac1f0107);

static const struct {
    uint32_t port_no;
    struct ft_rte_flow_port port;
} ports[] = {
    { 8, { 0, false, 0, "vx0", &vx0 } },
    { 10, { 0, false, 0, "vx1", &vx1 } },
    { 12, { 0, false, 0, "vx2", &vx2 } },
    { 14, { 0, false, 0, "vx6", &vx6 } },
    { 18, { 0, false, 0, "vx7", &vx7 } },
    { 1, { 3, true, 0, "rep0", NULL } },
    { 2, { 5, true, 0, "rep1", NULL } },
    { 4, { 7, true, 1, "nic1rep0", NULL } },
    { 6, { 9, false, 0, "tap0", NULL } },
};

static const struct ft_rte_flow_port *
port_of(uint32_t port_no)
{
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
        if (ports[i].port_no == port_no) {
            return &ports[i].port;
        }
    }
    return NULL;
}

static int
lookup(void *aux, uint32_t port_no, const struct ft_dpa_tunnel *tnl,
       struct ft_rte_flow_port *port, struct ft_error *err)
{
    const struct ft_rte_flow_port *p = port_of(port_no);

    (void) aux;
    (void) tnl;
    if (p) {
        *port = *p;
        return 0;
    }
    return ft_error_set(err, -EOPNOTSUPP, "rte_flow: output to port %u: "
                        "not a DPDK port", port_no);
}

/* Translates for the input port of 'm'. */
static int
xlate(const struct ft_match *m, const struct ft_dp_actions *acts,
      struct ft_rte_flow_rule *r, struct ft_error *err)
{
    return ft_rte_flow_xlate(m, acts, port_of(m->flow.in_port), lookup,
                             NULL, r, err);
}

static void
base_match(struct ft_match *m)
{
    memset(m, 0, sizeof *m);
    m->flow.in_port = 1;
    m->mask.in_port = UINT32_MAX;
}

/* 'flow create 3 transfer pattern represented_port ethdev_port_id is 3 /
 * eth type is 0x0800 / ipv4 dst is 10.1.2.3 proto is 17 /
 * udp dst is 53 / end actions count / of_push_vlan ethertype 0x8100 /
 * of_set_vlan_vid vlan_vid 100 / of_set_vlan_pcp vlan_pcp 0 /
 * represented_port ethdev_port_id 5 / end'. */
static void
test_transfer_rule(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_rte_flow_rule r;
    struct ft_error err;
    struct ft_match m;
    const struct rte_flow_item_ipv4 *ip;

    (void) state;
    base_match(&m);
    m.mask.vlans[0].tci = 0x1fff;
    m.flow.dl_type = FT_ETH_TYPE_IP;
    m.mask.dl_type = 0xffff;
    m.flow.nw_dst = 0x0a010203;
    m.mask.nw_dst = UINT32_MAX;
    m.flow.nw_proto = FT_IPPROTO_UDP;
    m.mask.nw_proto = 0xff;
    m.flow.tp_dst = 53;
    m.mask.tp_dst = 0xffff;
    ft_dp_actions_put(&acts, FT_DPA_PUSH_VLAN)->push_vlan =
        (struct ft_vlan) { FT_ETH_TYPE_VLAN, FT_VLAN_CFI | 100 };
    ft_dp_actions_put_output(&acts, 2);
    assert_int_equal(xlate(&m, &acts, &r, &err),
                     0);
    assert_int_equal(r.attr.transfer, 1);
    assert_int_equal(r.attr.ingress, 0);
    assert_int_equal(r.items[0].type, RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT);
    assert_int_equal(((const struct rte_flow_item_ethdev *) r.items[0].spec)
                     ->port_id, 3);
    assert_int_equal(r.items[1].type, RTE_FLOW_ITEM_TYPE_ETH);
    /* No tag: said by the exact, non-TPID type, not by has_vlan. */
    assert_int_equal(r.eth_mask.has_vlan, 0);
    assert_int_equal(rte_be_to_cpu_16(r.eth.type), 0x0800);
    assert_int_equal(rte_be_to_cpu_16(r.eth_mask.type), 0xffff);
    assert_int_equal(r.items[2].type, RTE_FLOW_ITEM_TYPE_IPV4);
    ip = r.items[2].spec;
    assert_int_equal(rte_be_to_cpu_32(ip->hdr.dst_addr), 0x0a010203);
    assert_int_equal(ip->hdr.next_proto_id, 17);
    assert_int_equal(r.items[3].type, RTE_FLOW_ITEM_TYPE_UDP);
    assert_int_equal(rte_be_to_cpu_16(r.udp.hdr.dst_port), 53);
    assert_int_equal(rte_be_to_cpu_16(r.udp_mask.hdr.dst_port), 0xffff);
    assert_int_equal(r.udp_mask.hdr.src_port, 0);
    assert_int_equal(r.items[4].type, RTE_FLOW_ITEM_TYPE_END);

    assert_int_equal(r.actions[0].type, RTE_FLOW_ACTION_TYPE_COUNT);
    assert_int_equal(r.actions[1].type, RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN);
    assert_int_equal(rte_be_to_cpu_16(r.push_vlan[0].ethertype), 0x8100);
    assert_int_equal(r.actions[2].type, RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID);
    assert_int_equal(rte_be_to_cpu_16(r.vid[0].vlan_vid), 100);
    assert_int_equal(r.actions[3].type, RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP);
    assert_int_equal(r.actions[4].type,
                     RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    assert_int_equal(((const struct rte_flow_action_ethdev *)
                      r.actions[4].conf)->port_id, 5);
    assert_int_equal(r.actions[5].type, RTE_FLOW_ACTION_TYPE_END);
    ft_dp_actions_uninit(&acts);
}

/* 'flow create 3 ingress pattern eth / vlan tci is 10 / end actions count /
 * drop / end'. */
static void
test_ingress_drop(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_rte_flow_rule r;
    struct ft_error err;
    struct ft_match m;

    (void) state;
    base_match(&m);
    m.flow.vlans[0].tci = FT_VLAN_CFI | 10;
    m.mask.vlans[0].tci = FT_VLAN_CFI | FT_VLAN_VID_MASK;
    assert_int_equal(xlate(&m, &acts, &r, &err),
                     0);
    assert_int_equal(r.attr.ingress, 1);
    assert_int_equal(r.attr.transfer, 0);
    assert_int_equal(r.items[0].type, RTE_FLOW_ITEM_TYPE_ETH);
    assert_int_equal(r.eth.has_vlan, 1);
    assert_int_equal(r.items[1].type, RTE_FLOW_ITEM_TYPE_VLAN);
    assert_int_equal(rte_be_to_cpu_16(r.vlan.tci), 10);
    assert_int_equal(rte_be_to_cpu_16(r.vlan_mask.tci), FT_VLAN_VID_MASK);
    assert_int_equal(r.items[2].type, RTE_FLOW_ITEM_TYPE_END);
    assert_int_equal(r.actions[0].type, RTE_FLOW_ACTION_TYPE_COUNT);
    assert_int_equal(r.actions[1].type, RTE_FLOW_ACTION_TYPE_DROP);
    assert_int_equal(r.actions[2].type, RTE_FLOW_ACTION_TYPE_END);
}

/* A tagged megaflow says that no second tag follows: the VLAN item's
 * inner_type says it ('eth has_vlan is 1 / vlan tci is 100 inner_type is
 * 0x0800'); a second tag that is there is refused. */
static void
test_no_inner_vlan(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_rte_flow_rule r;
    struct ft_error err;
    struct ft_match m;

    (void) state;
    base_match(&m);
    m.flow.vlans[0].tci = FT_VLAN_CFI | 100;
    m.mask.vlans[0].tci = FT_VLAN_CFI | FT_VLAN_VID_MASK;
    m.mask.vlans[1].tci = FT_VLAN_CFI | FT_VLAN_VID_MASK;
    m.flow.dl_type = FT_ETH_TYPE_IP;
    m.mask.dl_type = 0xffff;
    if (xlate(&m, &acts, &r, &err)) {
        fail_msg("refused: %s", err.reason);
    }
    assert_int_equal(r.items[1].type, RTE_FLOW_ITEM_TYPE_VLAN);
    assert_int_equal(rte_be_to_cpu_16(r.vlan.tci), 100);
    assert_int_equal(rte_be_to_cpu_16(r.vlan.inner_type), FT_ETH_TYPE_IP);
    assert_int_equal(rte_be_to_cpu_16(r.vlan_mask.inner_type), 0xffff);
    m.flow.vlans[1].tci = FT_VLAN_CFI | 7;
    assert_int_equal(xlate(&m, &acts, &r, &err), -EOPNOTSUPP);
    assert_string_equal(err.reason, "rte_flow: match on an inner VLAN tag "
                        "is not offloadable");
}

static void
expect_refusal(const struct ft_match *m, const struct ft_dp_actions *acts,
               const char *reason)
{
    struct ft_rte_flow_rule r;
    struct ft_error err;

    assert_int_equal(xlate(m, acts, &r, &err),
                     -EOPNOTSUPP);
    assert_string_equal(err.reason, reason);
}

static void
test_refusals(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_match m;

    (void) state;
    base_match(&m);
    m.mask.regs[1] = 1;
    expect_refusal(&m, &acts, "rte_flow: match on reg1 is not offloadable");
    base_match(&m);
    m.mask.tun_id = 1;
    m.flow.tun_id = 1;
    expect_refusal(&m, &acts, "rte_flow: match on tunnel fields of port "
                   "rep0, which is no tunnel port (they never match there)");
    base_match(&m);
    m.flow.dl_type = FT_ETH_TYPE_IP;
    m.mask.dl_type = 0xffff;
    m.mask.nw_frag = FT_FRAG_MASK;
    m.flow.nw_frag = FT_FRAG_ANY;
    expect_refusal(&m, &acts, "rte_flow: match on fragments is not "
                   "offloadable");
    base_match(&m);
    ft_dp_actions_put_output(&acts, 7);
    expect_refusal(&m, &acts, "rte_flow: output to port 7: not a DPDK port");
    ft_dp_actions_clear(&acts);
    ft_dp_actions_put(&acts, FT_DPA_USERSPACE);
    expect_refusal(&m, &acts, "rte_flow: action userspace (to the "
                   "controller) stays in software: a rule can hand the "
                   "packet to the daemon only as a packet of the port "
                   "(PORT_REPRESENTOR), which the daemon would switch and "
                   "count a second time");
    ft_dp_actions_uninit(&acts);
}

/* ---- --explain: the rule as testpmd's 'flow create'. ---- */

static void
expect_explain(const struct ft_match *m, const struct ft_dp_actions *acts,
               const char *golden)
{
    struct ds out = DS_EMPTY_INITIALIZER;
    struct ft_rte_flow_rule r;
    struct ft_error err;

    ft_error_clear(&err);
    if (xlate(m, acts, &r, &err)) {
        fail_msg("refused: %s", err.reason);
    }
    ft_rte_flow_explain(&r, r.port, &out);
    assert_string_equal(ds_cstr(&out), golden);
    ds_destroy(&out);
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

static void
test_explain_transfer_vlan(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_match m;

    (void) state;
    ipv4_match(&m, FT_IPPROTO_UDP);
    m.mask.vlans[0].tci = 0x1fff;
    m.flow.nw_dst = 0x0a010203;
    m.mask.nw_dst = UINT32_MAX;
    m.flow.tp_dst = 53;
    m.mask.tp_dst = 0xffff;
    ft_dp_actions_put(&acts, FT_DPA_PUSH_VLAN)->push_vlan =
        (struct ft_vlan) { FT_ETH_TYPE_VLAN,
                           FT_VLAN_CFI | (2 << FT_VLAN_PCP_SHIFT) | 100 };
    ft_dp_actions_put_output(&acts, 2);
    expect_explain(&m, &acts,
                   "flow create 3 transfer pattern represented_port "
                   "ethdev_port_id is 3 / eth type is 0x0800 / ipv4 dst is 10.1.2.3 proto is 17 / udp dst is 53 / end "
                   "actions count / of_push_vlan ethertype 0x8100 / "
                   "of_set_vlan_vid vlan_vid 100 / of_set_vlan_pcp vlan_pcp "
                   "2 / represented_port ethdev_port_id 5 / end");
    ft_dp_actions_uninit(&acts);

    /* A tag matched, popped; no output: an ingress drop. */
    base_match(&m);
    m.flow.vlans[0].tci = FT_VLAN_CFI | 10;
    m.mask.vlans[0].tci = FT_VLAN_CFI | FT_VLAN_VID_MASK;
    m.flow.dl_type = FT_ETH_TYPE_IP;
    m.mask.dl_type = 0xffff;
    ft_dp_actions_put(&acts, FT_DPA_POP_VLAN);
    expect_explain(&m, &acts,
                   "flow create 3 ingress pattern eth has_vlan is 1 / vlan "
                   "tci spec 0x000a tci mask 0x0fff inner_type is 0x0800 / "
                   "ipv4 / end actions count / of_pop_vlan / drop / end");
    ft_dp_actions_uninit(&acts);

    /* No tag, and no type to say so: has_vlan says it. */
    base_match(&m);
    m.mask.vlans[0].tci = 0x1fff;
    expect_explain(&m, &acts, "flow create 3 ingress pattern eth has_vlan "
                   "is 0 / end actions count / drop / end");
    /* An exact type that is a TPID cannot say it either. */
    m.flow.dl_type = FT_ETH_TYPE_VLAN_AD;
    m.mask.dl_type = 0xffff;
    expect_explain(&m, &acts, "flow create 3 ingress pattern eth type is "
                   "0x88a8 has_vlan is 0 / end actions count / drop / end");
}

/* Every IPv4 and TCP field; the rewrites rte_flow has actions for. */
static void
test_explain_ipv4_rewrites(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    static const uint8_t src[6] = { 2, 0, 0, 0, 0, 1 };
    struct ft_dpa_ipv4 *ip;
    struct ft_dpa_eth *eth;
    struct ft_dpa_l4 *l4;
    struct ft_match m;

    (void) state;
    ipv4_match(&m, FT_IPPROTO_TCP);
    memcpy(m.flow.dl_src.ea, src, 6);
    memset(m.mask.dl_src.ea, 0xff, 6);
    m.mask.dl_dst.ea[0] = 0x01;
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
    m.flow.tcp_flags = 0x02;
    m.mask.tcp_flags = 0x12;
    eth = &ft_dp_actions_put(&acts, FT_DPA_SET_ETH)->eth;
    memset(eth->dst.ea, 0x22, 6);
    memset(eth->dst_mask.ea, 0xff, 6);
    ip = &ft_dp_actions_put(&acts, FT_DPA_SET_IPV4)->ipv4;
    ip->src = 0x0a000009;
    ip->src_mask = UINT32_MAX;
    ip->ttl = 9;
    ip->ttl_mask = 0xff;
    ip = &ft_dp_actions_put(&acts, FT_DPA_SET_IPV4)->ipv4;
    ip->dst = 0x0a00000a;
    ip->dst_mask = UINT32_MAX;
    l4 = &ft_dp_actions_put(&acts, FT_DPA_SET_L4)->l4;
    l4->proto = FT_IPPROTO_TCP;
    l4->src = 8080;
    l4->src_mask = 0xffff;
    ft_dp_actions_put_output(&acts, 2);
    expect_explain(&m, &acts,
                   "flow create 3 transfer pattern represented_port "
                   "ethdev_port_id is 3 / eth dst spec 00:00:00:00:00:00 dst "
                   "mask 01:00:00:00:00:00 src is 02:00:00:00:00:01 type is "
                   "0x0800 / ipv4 src is 10.0.0.1 dst spec 10.1.0.0 dst mask "
                   "255.255.0.0 proto is 6 tos spec 0x10 tos mask 0xfc ttl "
                   "is 64 fragment_offset spec 0x0000 fragment_offset mask "
                   "0x3fff / tcp src is 1234 dst spec 4096 dst mask 61440 "
                   "flags spec 0x02 flags mask 0x12 / end actions count / "
                   "set_mac_dst mac_addr 22:22:22:22:22:22 / set_ipv4_src "
                   "ipv4_addr 10.0.0.9 / set_ttl ttl_value 9 / set_ipv4_dst "
                   "ipv4_addr 10.0.0.10 / set_tp_src port 8080 / "
                   "represented_port ethdev_port_id 5 / end");
    ft_dp_actions_uninit(&acts);
}

/* UDP, SCTP and ICMP ports or type and code; IPv6 and ICMPv6. */
static void
test_explain_l4_ipv6(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dpa_l4 *l4;
    struct ft_match m;

    (void) state;
    ipv4_match(&m, FT_IPPROTO_SCTP);
    m.flow.tp_src = 7;
    m.mask.tp_src = 0xffff;
    expect_explain(&m, &acts,
                   "flow create 3 ingress pattern eth type is 0x0800 / ipv4 "
                   "proto is 132 / sctp src is 7 / end actions count / drop "
                   "/ end");
    ipv4_match(&m, FT_IPPROTO_ICMP);
    m.flow.tp_src = 8;
    m.mask.tp_src = 0xff;
    m.mask.tp_dst = 0xff;
    expect_explain(&m, &acts,
                   "flow create 3 ingress pattern eth type is 0x0800 / ipv4 "
                   "proto is 1 / icmp type is 8 code is 0 / end actions "
                   "count / drop / end");
    ipv4_match(&m, FT_IPPROTO_UDP);
    m.mask.tp_dst = 0xffff;
    m.flow.tp_dst = 4789;
    l4 = &ft_dp_actions_put(&acts, FT_DPA_SET_L4)->l4;
    l4->proto = FT_IPPROTO_UDP;
    l4->dst = 53;
    l4->dst_mask = 0xffff;
    ft_dp_actions_put_output(&acts, 2);
    expect_explain(&m, &acts,
                   "flow create 3 transfer pattern represented_port "
                   "ethdev_port_id is 3 / eth type is 0x0800 / ipv4 proto is "
                   "17 / udp dst is 4789 / end actions count / set_tp_dst "
                   "port 53 / represented_port ethdev_port_id 5 / end");
    ft_dp_actions_uninit(&acts);

    base_match(&m);
    m.flow.dl_type = FT_ETH_TYPE_IPV6;
    m.mask.dl_type = 0xffff;
    m.flow.nw_proto = FT_IPPROTO_ICMPV6;
    m.mask.nw_proto = 0xff;
    m.flow.ipv6_src.s6[0] = 0xfd;
    m.flow.ipv6_src.s6[15] = 1;
    memset(m.mask.ipv6_src.s6, 0xff, 16);
    m.flow.ipv6_dst.s6[0] = 0xfd;
    memset(m.mask.ipv6_dst.s6, 0xff, 8);
    m.flow.nw_ttl = 255;
    m.mask.nw_ttl = 0xff;
    m.flow.tp_src = 135;
    m.mask.tp_src = 0xff;
    expect_explain(&m, &acts,
                   "flow create 3 ingress pattern eth type is 0x86dd / ipv6 "
                   "src is fd00::1 dst spec fd00:: dst mask ffff:ffff:ffff:"
                   "ffff:: proto is 58 hop is 255 / icmp6 type is 135 / end "
                   "actions count / drop / end");
}

/* Between the representors of one switch: a transfer rule whose pattern
 * starts with the input port's represented entity and whose output is
 * the other's; across switches or from a port on none: refused with the
 * domains named. */
static void
test_switch_domains(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_match m;

    (void) state;
    base_match(&m);
    ft_dp_actions_put_output(&acts, 2);
    expect_explain(&m, &acts,
                   "flow create 3 transfer pattern represented_port "
                   "ethdev_port_id is 3 / eth / end actions count / "
                   "represented_port ethdev_port_id 5 / end");
    /* Back out of the input port, and to both. */
    ft_dp_actions_put_output(&acts, FT_PORT_IN_PORT);
    expect_explain(&m, &acts,
                   "flow create 3 transfer pattern represented_port "
                   "ethdev_port_id is 3 / eth / end actions count / "
                   "represented_port ethdev_port_id 5 / represented_port "
                   "ethdev_port_id 3 / end");
    ft_dp_actions_clear(&acts);

    ft_dp_actions_put_output(&acts, 4);
    expect_refusal(&m, &acts, "rte_flow: output from port rep0 (switch "
                   "domain 0) to port nic1rep0 (switch domain 1) crosses "
                   "switch domains: a transfer rule stays within one NIC's "
                   "embedded switch");
    ft_dp_actions_clear(&acts);
    ft_dp_actions_put_output(&acts, 6);
    expect_refusal(&m, &acts, "rte_flow: output from port rep0 (switch "
                   "domain 0) to port tap0 (no switch domain) crosses "
                   "switch domains: a transfer rule stays within one NIC's "
                   "embedded switch");
    m.flow.in_port = 6;
    ft_dp_actions_clear(&acts);
    ft_dp_actions_put_output(&acts, 2);
    expect_refusal(&m, &acts, "rte_flow: output from port tap0 to port rep1: "
                   "port tap0 is on no NIC switch (its DPDK driver reports "
                   "no switch domain), and only ports of one switch domain "
                   "can be joined by a transfer rule");
    /* A drop needs no switch: an ingress rule of the port itself. */
    ft_dp_actions_clear(&acts);
    expect_explain(&m, &acts, "flow create 9 ingress pattern eth / end "
                   "actions count / drop / end");
    ft_dp_actions_uninit(&acts);
}

/* ---- VXLAN. ---- */

static struct ft_dpa_tunnel *
put_tunnel(struct ft_dp_actions *acts, uint32_t dst)
{
    struct ft_dpa_tunnel *t = &ft_dp_actions_put(acts,
                                                 FT_DPA_SET_TUNNEL)->tunnel;

    t->tun_id = 100;
    t->dst = dst;
    t->ttl = 64;
    t->flags = FT_TNL_F_KEY | FT_TNL_F_DONT_FRAGMENT;
    return t;
}

/* set(tunnel) + output to a VXLAN port: VXLAN_ENCAP with the headers
 * netdev-vxlan writes, then out of the underlay (the uplink). */
static void
test_vxlan_encap(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    const struct rte_flow_item *def;
    const struct rte_flow_item_ipv4 *ip;
    const struct rte_flow_item_vxlan *vx;
    struct ft_rte_flow_rule r;
    struct ft_error err;
    struct ft_match m;

    (void) state;
    ipv4_match(&m, FT_IPPROTO_TCP);
    put_tunnel(&acts, 0xac1f0102);
    ft_dp_actions_put_output(&acts, 8);
    assert_int_equal(xlate(&m, &acts, &r, &err), 0);
    assert_int_equal(r.attr.transfer, 1);
    assert_int_equal(r.port, 3);
    assert_int_equal(r.actions[1].type, RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP);
    def = ((const struct rte_flow_action_vxlan_encap *)
           r.actions[1].conf)->definition;
    assert_int_equal(def[0].type, RTE_FLOW_ITEM_TYPE_ETH);
    assert_int_equal(def[1].type, RTE_FLOW_ITEM_TYPE_IPV4);
    assert_int_equal(def[2].type, RTE_FLOW_ITEM_TYPE_UDP);
    assert_int_equal(def[3].type, RTE_FLOW_ITEM_TYPE_VXLAN);
    assert_int_equal(def[4].type, RTE_FLOW_ITEM_TYPE_END);
    ip = def[1].spec;
    assert_int_equal(ip->hdr.version_ihl, 0x45);
    assert_int_equal(rte_be_to_cpu_16(ip->hdr.fragment_offset), 0x4000);
    assert_int_equal(ip->hdr.next_proto_id, 17);
    assert_int_equal(rte_be_to_cpu_32(ip->hdr.src_addr), 0xac1f0101);
    vx = def[3].spec;
    assert_int_equal(vx->flags, 0x08);
    assert_int_equal(vx->vni[0] << 16 | vx->vni[1] << 8 | vx->vni[2], 100);
    assert_int_equal(r.actions[2].type,
                     RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    assert_int_equal(((const struct rte_flow_action_ethdev *)
                      r.actions[2].conf)->port_id, 11);

    /* testpmd needs its 'set vxlan' line first. */
    expect_explain(&m, &acts,
                   "set vxlan-tos-ttl ip-version ipv4 vni 100 udp-src 49152 "
                   "udp-dst 4789 ip-tos 0 ip-ttl 64 ip-src 172.31.1.1 ip-dst "
                   "172.31.1.2 eth-src 02:00:00:00:0a:01 eth-dst "
                   "02:00:00:00:0a:02\n"
                   "flow create 3 transfer pattern represented_port "
                   "ethdev_port_id is 3 / eth type is 0x0800 / ipv4 proto is "
                   "6 / end actions count / vxlan_encap / represented_port "
                   "ethdev_port_id 11 / end");

    /* The flow's own source, tos, UDP port. */
    ft_dp_actions_clear(&acts);
    put_tunnel(&acts, 0xac1f0102)->src = 0xac1f0109;
    acts.acts[0].tunnel.tos = 0x10;
    acts.acts[0].tunnel.tp_dst = 8472;
    ft_dp_actions_put_output(&acts, 8);
    expect_explain(&m, &acts,
                   "set vxlan-tos-ttl ip-version ipv4 vni 100 udp-src 49152 "
                   "udp-dst 8472 ip-tos 16 ip-ttl 64 ip-src 172.31.1.9 ip-dst "
                   "172.31.1.2 eth-src 02:00:00:00:0a:01 eth-dst "
                   "02:00:00:00:0a:02\n"
                   "flow create 3 transfer pattern represented_port "
                   "ethdev_port_id is 3 / eth type is 0x0800 / ipv4 proto is "
                   "6 / end actions count / vxlan_encap / represented_port "
                   "ethdev_port_id 11 / end");
    ft_dp_actions_uninit(&acts);
}

/* A VXLAN port's megaflow as the translation makes it without an
 * OpenFlow rule on the outer flags: tun_id, tun_src, tun_dst and +key
 * matched, df and csum not. */
static void
decap_match(struct ft_match *m, uint8_t proto)
{
    ipv4_match(m, proto);
    m->flow.in_port = 8;
    m->flow.tun_id = 100;
    m->mask.tun_id = UINT64_MAX;
    m->flow.tun_src = 0xac1f0102;
    m->mask.tun_src = UINT32_MAX;
    m->flow.tun_dst = 0xac1f0101;
    m->mask.tun_dst = UINT32_MAX;
    m->flow.tun_flags = FT_TNL_F_KEY;
    m->mask.tun_flags = FT_TNL_F_KEY;
}

/* A VXLAN port's megaflow (tunnel fields matched): the outer headers on
 * the underlay, VXLAN_DECAP, the inner actions. */
static void
test_vxlan_decap(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    const struct rte_flow_item_ipv4 *ip_mask;
    const struct rte_flow_item_udp *udp_mask;
    struct ft_rte_flow_rule r;
    struct ft_error err;
    struct ft_match m;

    (void) state;
    decap_match(&m, FT_IPPROTO_UDP);
    ft_dp_actions_put_output(&acts, 2);
    assert_int_equal(xlate(&m, &acts, &r, &err), 0);
    assert_int_equal(r.port, 11);
    assert_true(r.attr.transfer);
    assert_false(r.attr.ingress);
    assert_int_equal(r.items[0].type, RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT);
    assert_int_equal(r.items[1].type, RTE_FLOW_ITEM_TYPE_ETH);
    assert_int_equal(r.items[2].type, RTE_FLOW_ITEM_TYPE_IPV4);
    assert_int_equal(r.items[3].type, RTE_FLOW_ITEM_TYPE_UDP);
    assert_int_equal(r.items[4].type, RTE_FLOW_ITEM_TYPE_VXLAN);
    assert_int_equal(r.items[5].type, RTE_FLOW_ITEM_TYPE_ETH);
    assert_int_equal(r.items[6].type, RTE_FLOW_ITEM_TYPE_IPV4);
    assert_int_equal(r.items[7].type, RTE_FLOW_ITEM_TYPE_END);
    /* Without df and csum in the megaflow's mask the outer fragment
     * bits and checksum stay unmatched. */
    ip_mask = r.items[2].mask;
    assert_int_equal(ip_mask->hdr.fragment_offset, 0);
    udp_mask = r.items[3].mask;
    assert_int_equal(udp_mask->hdr.dgram_cksum, 0);
    assert_int_equal(r.actions[0].type, RTE_FLOW_ACTION_TYPE_COUNT);
    assert_int_equal(r.actions[1].type, RTE_FLOW_ACTION_TYPE_VXLAN_DECAP);
    assert_int_equal(r.actions[2].type,
                     RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    assert_int_equal(r.actions[3].type, RTE_FLOW_ACTION_TYPE_END);
    expect_explain(&m, &acts,
                   "flow create 11 transfer pattern represented_port "
                   "ethdev_port_id is 11 / eth type is 0x0800 / ipv4 src is "
                   "172.31.1.2 dst is 172.31.1.1 proto is 17 / udp dst is "
                   "4789 / vxlan vni is 100 / eth type is "
                   "0x0800 / ipv4 proto is 17 / end actions count / "
                   "vxlan_decap / represented_port ethdev_port_id 5 / end");

    /* The key only: any remote, any flags. */
    m.mask.tun_src = m.mask.tun_dst = 0;
    m.mask.tun_flags = 0;
    expect_explain(&m, &acts,
                   "flow create 11 transfer pattern represented_port "
                   "ethdev_port_id is 11 / eth type is 0x0800 / ipv4 proto "
                   "is 17 / udp dst is 4789 / vxlan vni is 100 / eth type is "
                   "0x0800 / ipv4 proto is 17 / end actions count / "
                   "vxlan_decap / represented_port ethdev_port_id 5 / end");

    /* The inner L4 header and addresses, then a VLAN pushed onto the
     * decapsulated frame. */
    decap_match(&m, FT_IPPROTO_TCP);
    m.flow.nw_dst = 0x0a000002;
    m.mask.nw_dst = UINT32_MAX;
    m.flow.tp_dst = 80;
    m.mask.tp_dst = 0xffff;
    ft_dp_actions_clear(&acts);
    ft_dp_actions_put(&acts, FT_DPA_PUSH_VLAN)->push_vlan =
        (struct ft_vlan) { FT_ETH_TYPE_VLAN, FT_VLAN_CFI | 7 };
    ft_dp_actions_put_output(&acts, 2);
    expect_explain(&m, &acts,
                   "flow create 11 transfer pattern represented_port "
                   "ethdev_port_id is 11 / eth type is 0x0800 / ipv4 src is "
                   "172.31.1.2 dst is 172.31.1.1 proto is 17 / udp dst is "
                   "4789 / vxlan vni is 100 / eth type is "
                   "0x0800 / ipv4 dst is 10.0.0.2 proto is 6 / tcp dst is 80 "
                   "/ end actions count / vxlan_decap / of_push_vlan "
                   "ethertype 0x8100 / of_set_vlan_vid vlan_vid 7 / "
                   "of_set_vlan_pcp vlan_pcp 0 / represented_port "
                   "ethdev_port_id 5 / end");

    /* A drop of what comes out of the tunnel: on the uplink's ingress. */
    decap_match(&m, FT_IPPROTO_UDP);
    ft_dp_actions_clear(&acts);
    assert_int_equal(xlate(&m, &acts, &r, &err), 0);
    assert_true(r.attr.ingress);
    assert_false(r.attr.transfer);
    assert_int_equal(r.items[0].type, RTE_FLOW_ITEM_TYPE_ETH);
    m.mask.tun_src = 0;
    expect_explain(&m, &acts,
                   "flow create 11 ingress pattern eth type is 0x0800 / ipv4 "
                   "dst is 172.31.1.1 proto is 17 / udp dst is 4789 "
                   "/ vxlan vni is 100 / eth type is 0x0800 "
                   "/ ipv4 proto is 17 / end actions count / vxlan_decap / "
                   "drop / end");
    /* Decapsulating needs no next hop. */
    m.flow.in_port = 10;
    expect_explain(&m, &acts,
                   "flow create 11 ingress pattern eth type is 0x0800 / ipv4 "
                   "dst is 172.31.1.1 proto is 17 / udp dst is 4789 "
                   "/ vxlan vni is 100 / eth type is 0x0800 "
                   "/ ipv4 proto is 17 / end actions count / vxlan_decap / "
                   "drop / end");
    ft_dp_actions_uninit(&acts);
}

/* Decapsulations the translation refuses, and why. */
static void
test_vxlan_decap_refusals(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_match m;

    (void) state;
    decap_match(&m, FT_IPPROTO_UDP);
    /* Any megaflow whose mask has df or csum, set or clear. */
    for (int i = 0; i < 4; i++) {
        m.mask.tun_flags = FT_TNL_F_KEY | (i < 2 ? FT_TNL_F_DONT_FRAGMENT
                                                 : FT_TNL_F_CSUM);
        m.flow.tun_flags = FT_TNL_F_KEY | (i & 1 ? m.mask.tun_flags : 0);
        expect_refusal(&m, &acts, "rte_flow: match on the outer tun_flags "
                       "df or csum (an OpenFlow rule matches tun_flags' df "
                       "or csum bit, which the outer IPV4 and UDP items "
                       "here do not carry: a rule would take +df and -df "
                       "alike) is not offloadable");
    }
    m.mask.tun_flags = FT_TNL_F_KEY;
    m.flow.tun_flags = 0;
    expect_refusal(&m, &acts, "rte_flow: match on tun_flags -key (every "
                   "received VXLAN packet has its key) is not offloadable");
    m.flow.tun_flags = FT_TNL_F_KEY;
    m.mask.tun_flags |= 0x8;
    expect_refusal(&m, &acts, "rte_flow: match on tun_flags other than df, "
                   "csum and key is not offloadable");
    decap_match(&m, FT_IPPROTO_UDP);
    m.mask.tun_id = 0xff;
    expect_refusal(&m, &acts, "rte_flow: match on part of tun_id, or a "
                   "tun_id over 24 bits is not offloadable");
    decap_match(&m, FT_IPPROTO_UDP);
    m.mask.tun_ttl = 0xff;
    m.flow.tun_ttl = 64;
    expect_refusal(&m, &acts, "rte_flow: match on the outer tos or ttl of a "
                   "tunnel is not offloadable");
    /* The underlay's state, as the provider found it. */
    decap_match(&m, FT_IPPROTO_UDP);
    m.flow.in_port = 14;
    expect_refusal(&m, &acts, "rte_flow: vxlan port vx6: the underlay to "
                   "172.31.1.5 is IPv6: rte_flow VXLAN headers are built for "
                   "an IPv4 underlay only");
    m.flow.in_port = 12;
    expect_refusal(&m, &acts, "rte_flow: vxlan port vx2: no underlay route "
                   "to 172.31.1.4: the userspace datapath handles the tunnel "
                   "until there is one");
    m.flow.in_port = 18;
    expect_refusal(&m, &acts, "rte_flow: vxlan port vx7: the route to "
                   "172.31.1.7 leaves through a device (ifindex 0) that is "
                   "no DPDK port of this bridge: the userspace datapath "
                   "decapsulates");
    /* Outputs of the decapsulated packet. */
    m.flow.in_port = 8;
    ft_dp_actions_put_output(&acts, 4);
    expect_refusal(&m, &acts, "rte_flow: output from port uplink (switch "
                   "domain 0) to port nic1rep0 (switch domain 1) crosses "
                   "switch domains: a transfer rule stays within one NIC's "
                   "embedded switch");
    ft_dp_actions_clear(&acts);
    ft_dp_actions_put_output(&acts, FT_PORT_IN_PORT);
    expect_refusal(&m, &acts, "rte_flow: action output back into the tunnel "
                   "a packet came from is not offloadable");
    ft_dp_actions_clear(&acts);
    ft_dp_actions_put_output(&acts, 8);
    expect_refusal(&m, &acts, "rte_flow: action output back into the tunnel "
                   "a packet came from is not offloadable");
    ft_dp_actions_uninit(&acts);
}

static void
test_vxlan_refusals(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_match m;

    (void) state;
    base_match(&m);
    put_tunnel(&acts, 0xac1f0103);
    ft_dp_actions_put_output(&acts, 10);
    expect_refusal(&m, &acts, "rte_flow: vxlan port vx1: no next hop yet "
                   "(the neighbour towards 172.31.1.3 is not resolved): the "
                   "userspace datapath encapsulates until it is");
    ft_dp_actions_clear(&acts);
    put_tunnel(&acts, 0xac1f0104);
    ft_dp_actions_put_output(&acts, 12);
    expect_refusal(&m, &acts, "rte_flow: vxlan port vx2: no underlay route "
                   "to 172.31.1.4: the userspace datapath handles the tunnel "
                   "until there is one");
    ft_dp_actions_clear(&acts);
    put_tunnel(&acts, 0xac1f0105);
    ft_dp_actions_put_output(&acts, 14);
    expect_refusal(&m, &acts, "rte_flow: vxlan port vx6: the underlay to "
                   "172.31.1.5 is IPv6: rte_flow VXLAN headers are built for "
                   "an IPv4 underlay only");
    ft_dp_actions_clear(&acts);
    ft_dp_actions_put_output(&acts, 8);
    expect_refusal(&m, &acts, "rte_flow: action output to a vxlan port "
                   "without set(tunnel) is not offloadable");
    ft_dp_actions_clear(&acts);
    put_tunnel(&acts, 0xac1f0199);
    ft_dp_actions_put_output(&acts, 8);
    expect_refusal(&m, &acts, "rte_flow: vxlan port vx0: the route given is "
                   "for another remote than the flow's, or the VNI is over "
                   "24 bits");
    ft_dp_actions_clear(&acts);
    put_tunnel(&acts, 0xac1f0102);
    ft_dp_actions_put_output(&acts, 8);
    ft_dp_actions_put_output(&acts, 8);
    expect_refusal(&m, &acts, "rte_flow: action output to a second tunnel "
                   "is not offloadable");
    ft_dp_actions_clear(&acts);
    put_tunnel(&acts, 0xac1f0102);
    ft_dp_actions_put_output(&acts, 8);
    ft_dp_actions_put_output(&acts, 2);
    expect_refusal(&m, &acts, "rte_flow: action output of the packet after "
                   "it was encapsulated to a port that is no tunnel is not "
                   "offloadable");
    ft_dp_actions_uninit(&acts);
}

/* ---- VXLAN from the bridge's underlay answer. ---- */

/* Port 16, "vxu": a VXLAN port whose headers come from 'u', the answer
 * of the bridge's underlay resolver (offload.h), as the provider builds
 * them (ft_rte_flow_vxlan_from_underlay()); its route leaves through the
 * uplink's device (ifindex 7) unless 'off_dpdk'. */
struct underlay_ctx {
    struct ft_offload_underlay u;
    bool off_dpdk;
    uint16_t src_port;
    struct ft_rte_flow_vxlan vx;
};

static int
lookup_underlay(void *ctx_, uint32_t port_no, const struct ft_dpa_tunnel *tnl,
                struct ft_rte_flow_port *port, struct ft_error *err)
{
    static const struct ft_rte_flow_port uplink = UPLINK;
    struct underlay_ctx *ctx = ctx_;

    if (port_no != 16) {
        return lookup(NULL, port_no, tnl, port, err);
    }
    memset(port, 0, sizeof *port);
    port->name = "vxu";
    port->vxlan = &ctx->vx;
    if (tnl) {
        ft_rte_flow_vxlan_from_underlay(&ctx->u, tnl, 4789, ctx->src_port,
                                        ctx->off_dpdk ? NULL : &uplink,
                                        &ctx->vx);
    }
    return 0;
}

static void
underlay_answer(struct underlay_ctx *ctx, const struct ft_match *m)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->u.dst = 0xc0a80002;                    /* 192.168.0.2 */
    ctx->u.ifindex = 7;
    ctx->u.src = 0xc0a80001;                    /* The route's source. */
    ctx->u.gateway = 0xc0a800fe;                /* Through a router. */
    ctx->u.mtu = 1500;
    ctx->u.resolved = true;
    ctx->u.src_mac = (struct ft_eth_addr) { { 2, 0, 0, 0, 0xb, 1 } };
    ctx->u.dst_mac = (struct ft_eth_addr) { { 2, 0, 0, 0, 0xb, 0xfe } };
    ctx->src_port = ft_rte_flow_vxlan_src_port(m);
}

static int
xlate_underlay(struct underlay_ctx *ctx, const struct ft_match *m,
               const struct ft_dp_actions *acts, struct ft_rte_flow_rule *r,
               struct ft_error *err)
{
    ft_error_clear(err);
    return ft_rte_flow_xlate(m, acts, port_of(m->flow.in_port),
                             lookup_underlay, ctx, r, err);
}

/* The whole VXLAN_ENCAP definition, field by field, as the provider
 * writes it from a route through a gateway: outer Ethernet from the
 * device and the gateway's neighbour, the route's source, the flow's
 * tos, ttl, DF and VNI, the UDP ports. */
static void
test_vxlan_encap_underlay(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    const struct rte_flow_item_eth *eth;
    const struct rte_flow_item_ipv4 *ip;
    const struct rte_flow_item_udp *udp;
    const struct rte_flow_item_vxlan *vx;
    const struct rte_flow_item *def;
    struct ds out = DS_EMPTY_INITIALIZER;
    struct underlay_ctx ctx;
    struct ft_rte_flow_rule r;
    struct ft_dpa_tunnel *t;
    struct ft_error err;
    struct ft_match m;
    char golden[512];

    (void) state;
    ipv4_match(&m, FT_IPPROTO_UDP);
    t = put_tunnel(&acts, 0xc0a80002);
    t->tun_id = 42;
    t->tos = 0x10;
    t->ttl = 63;
    ft_dp_actions_put_output(&acts, 16);
    underlay_answer(&ctx, &m);
    assert_true(ctx.src_port >= 49152);
    assert_int_equal(xlate_underlay(&ctx, &m, &acts, &r, &err), 0);
    assert_int_equal(r.attr.transfer, 1);
    assert_int_equal(r.actions[0].type, RTE_FLOW_ACTION_TYPE_COUNT);
    assert_int_equal(r.actions[1].type, RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP);
    assert_int_equal(r.actions[2].type,
                     RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    assert_int_equal(((const struct rte_flow_action_ethdev *)
                      r.actions[2].conf)->port_id, 11);
    assert_int_equal(r.actions[3].type, RTE_FLOW_ACTION_TYPE_END);

    def = ((const struct rte_flow_action_vxlan_encap *)
           r.actions[1].conf)->definition;
    assert_int_equal(def[0].type, RTE_FLOW_ITEM_TYPE_ETH);
    eth = def[0].spec;
    assert_memory_equal(eth->dst.addr_bytes, ctx.u.dst_mac.ea, 6);
    assert_memory_equal(eth->src.addr_bytes, ctx.u.src_mac.ea, 6);
    assert_int_equal(rte_be_to_cpu_16(eth->type), 0x0800);
    assert_int_equal(def[1].type, RTE_FLOW_ITEM_TYPE_IPV4);
    ip = def[1].spec;
    assert_int_equal(ip->hdr.version_ihl, 0x45);
    assert_int_equal(ip->hdr.type_of_service, 0x10);
    assert_int_equal(ip->hdr.time_to_live, 63);
    assert_int_equal(rte_be_to_cpu_16(ip->hdr.fragment_offset), 0x4000);
    assert_int_equal(ip->hdr.next_proto_id, 17);
    assert_int_equal(rte_be_to_cpu_32(ip->hdr.src_addr), 0xc0a80001);
    assert_int_equal(rte_be_to_cpu_32(ip->hdr.dst_addr), 0xc0a80002);
    assert_int_equal(def[2].type, RTE_FLOW_ITEM_TYPE_UDP);
    udp = def[2].spec;
    assert_int_equal(rte_be_to_cpu_16(udp->hdr.src_port), ctx.src_port);
    assert_int_equal(rte_be_to_cpu_16(udp->hdr.dst_port), 4789);
    assert_int_equal(def[3].type, RTE_FLOW_ITEM_TYPE_VXLAN);
    vx = def[3].spec;
    assert_int_equal(vx->flags, 0x08);
    assert_int_equal(vx->vni[0] << 16 | vx->vni[1] << 8 | vx->vni[2], 42);
    assert_int_equal(def[4].type, RTE_FLOW_ITEM_TYPE_END);

    ft_rte_flow_explain(&r, r.port, &out);
    snprintf(golden, sizeof golden,
             "set vxlan-tos-ttl ip-version ipv4 vni 42 udp-src %u udp-dst "
             "4789 ip-tos 16 ip-ttl 63 ip-src 192.168.0.1 ip-dst "
             "192.168.0.2 eth-src 02:00:00:00:0b:01 eth-dst "
             "02:00:00:00:0b:fe\n"
             "flow create 3 transfer pattern represented_port "
             "ethdev_port_id is 3 / eth type is 0x0800 / ipv4 proto is 17 "
             "/ end actions count / vxlan_encap / represented_port "
             "ethdev_port_id 11 / end", ctx.src_port);
    assert_string_equal(ds_cstr(&out), golden);
    ds_destroy(&out);

    /* A new next hop address: the rule written again carries it. */
    ctx.u.dst_mac.ea[5] = 0xfd;
    assert_int_equal(xlate_underlay(&ctx, &m, &acts, &r, &err), 0);
    def = ((const struct rte_flow_action_vxlan_encap *)
           r.actions[1].conf)->definition;
    eth = def[0].spec;
    assert_int_equal(eth->dst.addr_bytes[5], 0xfd);
    ft_dp_actions_uninit(&acts);
}

/* What the underlay answer cannot give is refused, saying what. */
static void
test_vxlan_underlay_refusals(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct underlay_ctx ctx;
    struct ft_rte_flow_rule r;
    struct ft_error err;
    struct ft_match m;

    (void) state;
    ipv4_match(&m, FT_IPPROTO_UDP);
    put_tunnel(&acts, 0xc0a80002);
    ft_dp_actions_put_output(&acts, 16);

    underlay_answer(&ctx, &m);
    ctx.u.resolved = false;
    assert_int_equal(xlate_underlay(&ctx, &m, &acts, &r, &err), -EOPNOTSUPP);
    assert_string_equal(err.reason, "rte_flow: vxlan port vxu: no next hop "
                        "yet (the neighbour towards 192.168.0.2 is not "
                        "resolved): the userspace datapath encapsulates "
                        "until it is");
    underlay_answer(&ctx, &m);
    ctx.u.error = -ENETUNREACH;
    assert_int_equal(xlate_underlay(&ctx, &m, &acts, &r, &err), -EOPNOTSUPP);
    assert_string_equal(err.reason, "rte_flow: vxlan port vxu: no underlay "
                        "route to 192.168.0.2: the userspace datapath "
                        "handles the tunnel until there is one");
    underlay_answer(&ctx, &m);
    ctx.off_dpdk = true;
    assert_int_equal(xlate_underlay(&ctx, &m, &acts, &r, &err), -EOPNOTSUPP);
    assert_string_equal(err.reason, "rte_flow: vxlan port vxu: the route to "
                        "192.168.0.2 leaves through a device (ifindex 7) "
                        "that is no DPDK port of this bridge: the userspace "
                        "datapath encapsulates");
    ft_dp_actions_uninit(&acts);
}

/* The outer UDP source port: in RFC 7348's range, the same for one
 * megaflow, spread over different inner flows. */
static void
test_vxlan_src_port(void **state)
{
    uint16_t seen[64];
    size_t distinct = 0;
    struct ft_match m;

    (void) state;
    ipv4_match(&m, FT_IPPROTO_UDP);
    m.mask.nw_dst = UINT32_MAX;
    for (size_t i = 0; i < 64; i++) {
        bool dup = false;

        m.flow.nw_dst = 0x0a000000 + (uint32_t) i;
        seen[i] = ft_rte_flow_vxlan_src_port(&m);
        assert_true(seen[i] >= 49152);
        assert_int_equal(seen[i], ft_rte_flow_vxlan_src_port(&m));
        for (size_t j = 0; j < i; j++) {
            dup |= seen[j] == seen[i];
        }
        distinct += !dup;
    }
    assert_true(distinct >= 48);
    /* Bits the megaflow does not match do not count. */
    m.flow.nw_src = 0x01020304;
    assert_int_equal(ft_rte_flow_vxlan_src_port(&m), seen[63]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transfer_rule),
        cmocka_unit_test(test_ingress_drop),
        cmocka_unit_test(test_no_inner_vlan),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_explain_transfer_vlan),
        cmocka_unit_test(test_explain_ipv4_rewrites),
        cmocka_unit_test(test_explain_l4_ipv6),
        cmocka_unit_test(test_switch_domains),
        cmocka_unit_test(test_vxlan_encap),
        cmocka_unit_test(test_vxlan_decap),
        cmocka_unit_test(test_vxlan_decap_refusals),
        cmocka_unit_test(test_vxlan_refusals),
        cmocka_unit_test(test_vxlan_encap_underlay),
        cmocka_unit_test(test_vxlan_underlay_refusals),
        cmocka_unit_test(test_vxlan_src_port),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test-rte-flow.c - unit tests for the rte_flow provider's translation of
 * megaflows into rte_flow rules (offload/rte-flow-xlate.c): the pattern
 * items and actions for each kind of match and action, the attributes
 * (ingress for a drop, transfer with REPRESENTED_PORT for an output), and
 * the refusals' words.  No device is involved: the system test
 * (tests/system/test-dpdk.sh) sends rules to a real driver.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <errno.h>

#include <cmocka.h>

#include "offload/rte-flow-xlate.h"

static int
lookup(void *aux, uint32_t port, uint16_t *dpdk_port, struct ft_error *err)
{
    (void) aux;
    if (port == 2) {
        *dpdk_port = 5;
        return 0;
    }
    return ft_error_set(err, -EOPNOTSUPP, "rte_flow: output to port %u: "
                        "not a DPDK port", port);
}

static void
base_match(struct ft_match *m)
{
    memset(m, 0, sizeof *m);
    m->flow.in_port = 1;
    m->mask.in_port = UINT32_MAX;
}

/* 'flow create 3 transfer pattern represented_port ethdev_port_id is 3 /
 * eth has_vlan is 0 type is 0x0800 / ipv4 dst is 10.1.2.3 proto is 17 /
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
    assert_int_equal(ft_rte_flow_xlate(&m, &acts, 3, lookup, NULL, &r, &err),
                     0);
    assert_int_equal(r.attr.transfer, 1);
    assert_int_equal(r.attr.ingress, 0);
    assert_int_equal(r.items[0].type, RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT);
    assert_int_equal(((const struct rte_flow_item_ethdev *) r.items[0].spec)
                     ->port_id, 3);
    assert_int_equal(r.items[1].type, RTE_FLOW_ITEM_TYPE_ETH);
    assert_int_equal(r.eth.has_vlan, 0);
    assert_int_equal(r.eth_mask.has_vlan, 1);
    assert_int_equal(rte_be_to_cpu_16(r.eth.type), 0x0800);
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
    assert_int_equal(ft_rte_flow_xlate(&m, &acts, 3, lookup, NULL, &r, &err),
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

static void
expect_refusal(const struct ft_match *m, const struct ft_dp_actions *acts,
               const char *reason)
{
    struct ft_rte_flow_rule r;
    struct ft_error err;

    assert_int_equal(ft_rte_flow_xlate(m, acts, 3, lookup, NULL, &r, &err),
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
    expect_refusal(&m, &acts, "rte_flow: tunnel decapsulation (a match on "
                   "tun_id, tun_src, tun_dst or tun_flags) is not "
                   "offloadable by rte_flow yet: the userspace datapath "
                   "decapsulates");
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
                   "controller) is not offloadable");
    ft_dp_actions_clear(&acts);
    ft_dp_actions_put(&acts, FT_DPA_SET_TUNNEL)->tunnel.dst = 0xac1f0102;
    ft_dp_actions_put_output(&acts, 1);
    expect_refusal(&m, &acts, "rte_flow: tunnel encapsulation "
                   "(set(tunnel)) is not offloadable by rte_flow yet: the "
                   "userspace datapath encapsulates");
    ft_dp_actions_uninit(&acts);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transfer_rule),
        cmocka_unit_test(test_ingress_drop),
        cmocka_unit_test(test_refusals),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

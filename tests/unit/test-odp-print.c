/*
 * test-odp-print.c - tests of the datapath action, flow and megaflow
 * printers (mgmt/flowsyntax/odp-print.c) against Open vSwitch 3.1's output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "flowtier/ds.h"
#include "mgmt/flowsyntax/odp-print.h"

static void
test_actions(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ds s = DS_EMPTY_INITIALIZER;
    struct ft_dp_action *a;

    (void) state;
    ft_dp_actions_format(&acts, &s);
    assert_string_equal(ds_cstr(&s), "drop");
    ds_clear(&s);

    a = ft_dp_actions_put(&acts, FT_DPA_SET_ETH);
    a->eth.src = (struct ft_eth_addr) { { 0, 0x11, 0x22, 0x33, 0x44, 0x55 } };
    memset(a->eth.src_mask.ea, 0xff, 6);
    a = ft_dp_actions_put(&acts, FT_DPA_SET_IPV4);
    a->ipv4.src = 0x01020304;
    a->ipv4.src_mask = UINT32_MAX;
    a->ipv4.dst = 0x0a000000;
    a->ipv4.dst_mask = 0xffffff00;
    a->ipv4.tos = 0x10;
    a->ipv4.tos_mask = 0xfc;
    a = ft_dp_actions_put(&acts, FT_DPA_SET_L4);
    a->l4.proto = 6;
    a->l4.dst = 80;
    a->l4.dst_mask = 0xffff;
    ft_dp_actions_put_output(&acts, 3);
    a = ft_dp_actions_put(&acts, FT_DPA_SET_IPV4);
    a->ipv4.ttl = 63;
    a->ipv4.ttl_mask = 0xff;
    ft_dp_actions_put(&acts, FT_DPA_POP_VLAN);
    a = ft_dp_actions_put(&acts, FT_DPA_PUSH_VLAN);
    a->push_vlan.tpid = FT_ETH_TYPE_VLAN;
    a->push_vlan.tci = FT_VLAN_CFI | 5 | (3 << FT_VLAN_PCP_SHIFT);
    a = ft_dp_actions_put(&acts, FT_DPA_PUSH_VLAN);
    a->push_vlan.tpid = FT_ETH_TYPE_VLAN_AD;
    a->push_vlan.tci = FT_VLAN_CFI | 100;
    ft_dp_actions_put_output(&acts, FT_PORT_LOCAL);
    ft_dp_actions_format(&acts, &s);
    assert_string_equal(ds_cstr(&s),
                        "set(eth(src=00:11:22:33:44:55)),"
                        "set(ipv4(src=1.2.3.4,dst=10.0.0.0/255.255.255.0,"
                        "tos=0x10/0xfc)),set(tcp(dst=80)),3,"
                        "set(ipv4(ttl=63)),pop_vlan,push_vlan(vid=5,pcp=3),"
                        "push_vlan(tpid=0x88a8,vid=100,pcp=0),LOCAL");
    ds_destroy(&s);
    ft_dp_actions_uninit(&acts);
}

static void
test_flow(void **state)
{
    struct ft_flow f;
    struct ds s = DS_EMPTY_INITIALIZER;

    (void) state;
    ft_flow_zero(&f);
    f.in_port = 1;
    f.dl_type = FT_ETH_TYPE_IP;
    f.nw_proto = FT_IPPROTO_ICMP;
    f.nw_src = 0x0a006401;
    f.nw_dst = 0x0a006403;
    f.dl_src.ea[5] = 1;
    f.dl_src.ea[0] = 2;
    f.dl_dst.ea[5] = 3;
    f.dl_dst.ea[0] = 2;
    ft_flow_format(&f, &s);
    assert_string_equal(ds_cstr(&s), "icmp,in_port=1,vlan_tci=0x0000,"
                        "dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:03,"
                        "nw_src=10.0.100.1,nw_dst=10.0.100.3,nw_tos=0,"
                        "nw_ecn=0,nw_ttl=0,nw_frag=no,icmp_type=0,"
                        "icmp_code=0");
    ds_clear(&s);

    f.nw_proto = 0;
    f.vlans[0].tpid = FT_ETH_TYPE_VLAN;
    f.vlans[0].tci = FT_VLAN_CFI | 100;
    ft_flow_format(&f, &s);
    assert_string_equal(ds_cstr(&s), "ip,in_port=1,dl_vlan=100,"
                        "dl_vlan_pcp=0,vlan_tci1=0x0000,"
                        "dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:03,"
                        "nw_src=10.0.100.1,nw_dst=10.0.100.3,nw_proto=0,"
                        "nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no");
    ds_clear(&s);

    ft_flow_zero(&f);
    f.in_port = 1;
    f.dl_type = FT_ETH_TYPE_IPV6;
    f.nw_proto = FT_IPPROTO_TCP;
    f.tp_dst = 5;
    f.tun_id = 5;
    ft_flow_format(&f, &s);
    assert_string_equal(ds_cstr(&s), "tcp6,tun_id=0x5,in_port=1,"
                        "vlan_tci=0x0000,dl_src=00:00:00:00:00:00,"
                        "dl_dst=00:00:00:00:00:00,ipv6_src=::,ipv6_dst=::,"
                        "ipv6_label=0x00000,nw_tos=0,nw_ecn=0,nw_ttl=0,"
                        "nw_frag=no,tp_src=0,tp_dst=5,tcp_flags=0");
    ds_clear(&s);

    ft_flow_zero(&f);
    f.in_port = 1;
    f.dl_type = FT_ETH_TYPE_ARP;
    f.nw_proto = 1;
    ft_flow_format(&f, &s);
    assert_string_equal(ds_cstr(&s), "arp,in_port=1,vlan_tci=0x0000,"
                        "dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,"
                        "arp_spa=0.0.0.0,arp_tpa=0.0.0.0,arp_op=1,"
                        "arp_sha=00:00:00:00:00:00,"
                        "arp_tha=00:00:00:00:00:00");
    ds_destroy(&s);
}

static void
test_megaflow(void **state)
{
    struct ft_match m;
    struct ds s = DS_EMPTY_INITIALIZER;

    (void) state;
    memset(&m, 0, sizeof m);
    m.flow.in_port = 1;
    m.mask.in_port = UINT32_MAX;
    m.flow.dl_type = FT_ETH_TYPE_IP;
    m.mask.dl_type = 0xffff;
    m.flow.nw_dst = 0x0a006403;
    m.mask.nw_dst = UINT32_MAX;
    m.mask.nw_frag = FT_FRAG_MASK;
    m.mask.vlans[0].tci = FT_VLAN_CFI;      /* Presence: not printed. */
    ft_megaflow_format(&m, &s);
    assert_string_equal(ds_cstr(&s), "ip,in_port=1,nw_dst=10.0.100.3,"
                        "nw_frag=no");
    ds_destroy(&s);
}

/* Tunnel matches and actions as Open vSwitch's datapath prints them. */
static void
test_tunnel(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dp_action *a;
    struct ft_match m;
    struct ds s = DS_EMPTY_INITIALIZER;

    (void) state;
    memset(&m, 0, sizeof m);
    m.flow.in_port = 3;
    m.mask.in_port = UINT32_MAX;
    m.flow.dl_type = FT_ETH_TYPE_ARP;
    m.mask.dl_type = 0xffff;
    m.flow.tun_id = 0;
    m.mask.tun_id = UINT64_MAX;
    m.flow.tun_src = 0xac1f0102;
    m.mask.tun_src = UINT32_MAX;
    m.flow.tun_dst = 0xac1f0101;
    m.mask.tun_dst = UINT32_MAX;
    m.flow.tun_flags = FT_TNL_F_KEY;
    m.mask.tun_flags = FT_TNL_F_DONT_FRAGMENT | FT_TNL_F_CSUM | FT_TNL_F_KEY;
    ft_dp_megaflow_format(&m, &s);
    assert_string_equal(ds_cstr(&s), "tunnel(tun_id=0x0,src=172.31.1.2,"
                        "dst=172.31.1.1,flags(-df-csum+key)),arp,"
                        "in_port=3");
    ds_clear(&s);
    ft_megaflow_format(&m, &s);
    assert_string_equal(ds_cstr(&s), "arp,tun_id=0,tun_src=172.31.1.2,"
                        "tun_dst=172.31.1.1,tun_flags=0x4/0x7,in_port=3");
    ds_clear(&s);
    m.mask.tun_id = m.mask.tun_src = m.mask.tun_dst = m.mask.tun_flags = 0;
    ft_dp_megaflow_format(&m, &s);
    assert_string_equal(ds_cstr(&s), "arp,in_port=3");
    ds_clear(&s);

    a = ft_dp_actions_put(&acts, FT_DPA_SET_TUNNEL);
    a->tunnel.tun_id = 100;
    a->tunnel.dst = 0xac1f0102;
    a->tunnel.ttl = 64;
    a->tunnel.tp_dst = 4789;
    a->tunnel.flags = FT_TNL_F_DONT_FRAGMENT | FT_TNL_F_KEY;
    ft_dp_actions_put_output(&acts, 2);
    ft_dp_actions_format(&acts, &s);
    assert_string_equal(ds_cstr(&s), "set(tunnel(tun_id=0x64,"
                        "dst=172.31.1.2,ttl=64,tp_dst=4789,flags(df|key))),"
                        "2");
    ds_clear(&s);
    a = &acts.acts[0];
    a->tunnel.src = 0xac1f0101;
    a->tunnel.tos = 0xb8;
    a->tunnel.flags = 0;
    ft_dp_actions_format(&acts, &s);
    assert_string_equal(ds_cstr(&s), "set(tunnel(src=172.31.1.1,"
                        "dst=172.31.1.2,tos=0xb8,ttl=64,tp_dst=4789,"
                        "flags())),2");
    ft_dp_actions_uninit(&acts);
    ds_destroy(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_actions),
        cmocka_unit_test(test_flow),
        cmocka_unit_test(test_megaflow),
        cmocka_unit_test(test_tunnel),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

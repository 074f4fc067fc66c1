/*
 * test-xlate.c - tests of the translator (mgmt/ofproto/xlate.c).
 *
 * Directed cases check the datapath actions Open vSwitch 3.1's
 * ofproto/trace gives for the same tables and packets (seed scenarios,
 * resubmit semantics, loops, depth limit, VLAN and header commits, a
 * received outer header a vxlan port does not take).  The
 * property test builds random multi-table pipelines and random packets,
 * and checks the megaflow contract: every packet inside a megaflow gets
 * the same datapath actions as the packet that produced it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flowtier/ds.h"
#include "mgmt/ofproto/mac-learning.h"
#include "mgmt/flowsyntax/odp-print.h"
#include "mgmt/flowsyntax/ofp-flow.h"
#include "mgmt/ofproto/oftable.h"
#include "mgmt/ofproto/xlate.h"

struct fixture {
    struct ft_oftables tables;
    struct ft_xport ports[5];
    struct ft_xbridge br;
    int n_bad;                  /* Lines the parser refused. */
    int n_lines;
};

static void
fixture_init(struct fixture *fx, struct ft_mac_learning *ml)
{
    static const ft_port_no nums[] = { 1, 2, 3, 4, FT_PORT_LOCAL };
    static const char *const names[] = { "p1", "p2", "p3", "p4", "br0" };

    memset(fx, 0, sizeof *fx);
    ft_oftables_init(&fx->tables);
    for (int i = 0; i < 5; i++) {
        fx->ports[i].port = nums[i];
        fx->ports[i].name = names[i];
        fx->ports[i].vlan_mode = FT_VLAN_TRUNK;
        fx->ports[i].tag = -1;
    }
    fx->br.name = "br0";
    fx->br.tables = &fx->tables;
    fx->br.ml = ml;
    fx->br.ports = fx->ports;
    fx->br.n_ports = 5;
}

static void
fixture_destroy(struct fixture *fx)
{
    ft_oftables_destroy(&fx->tables);
}

/* Adds one flow line; returns 0 or the parse/apply error. */
static int
add_flow(struct fixture *fx, const char *line)
{
    struct ft_flow_spec spec;
    struct ft_error err;
    int error;

    fx->n_lines++;
    ft_flow_spec_init(&spec);
    error = ft_flow_spec_parse(line, FT_FLOW_ADD, NULL, &spec, &err);
    if (!error) {
        error = ft_oftables_apply(&fx->tables, FT_FLOW_ADD, &spec, 0, &err);
        error = error < 0 ? error : 0;
    }
    ft_flow_spec_uninit(&spec);
    if (error) {
        fx->n_bad++;
    }
    return error;
}

static void
add_flows(struct fixture *fx, const char *const *lines)
{
    for (; *lines; lines++) {
        int error = add_flow(fx, *lines);

        if (error) {
            fail_msg("cannot add flow '%s': %d", *lines, error);
        }
    }
}

static void
parse_packet(const char *text, struct ft_flow *flow)
{
    struct ft_match m;
    struct ft_error err;

    if (ft_match_parse(text, NULL, &m, &err)) {
        fail_msg("cannot parse packet '%s': %s", text, err.reason);
    }
    *flow = m.flow;
    /* A packet's tags have a TPID. */
    for (int i = 0; i < 2; i++) {
        if (flow->vlans[i].tci & FT_VLAN_CFI && !flow->vlans[i].tpid) {
            flow->vlans[i].tpid = FT_ETH_TYPE_VLAN;
        }
    }
}

/* Translates 'packet' and returns the datapath actions as text (caller
 * frees); '*errorp' gets ft_xlate()'s return value. */
static char *
xlate_text(struct fixture *fx, const struct ft_flow *flow, int *errorp,
           struct ft_xlate_out *outp, struct ds *trace)
{
    struct ft_xlate_in in;
    struct ft_xlate_out out;
    struct ft_error err;
    struct ds s = DS_EMPTY_INITIALIZER;
    int error;

    memset(&in, 0, sizeof in);
    in.br = &fx->br;
    in.flow = *flow;
    in.trace = trace;
    ft_xlate_out_init(&out);
    error = ft_xlate(&in, &out, &err);
    if (errorp) {
        *errorp = error;
    }
    ft_dp_actions_format(&out.actions, &s);
    if (outp) {
        *outp = out;
    } else {
        ft_xlate_out_uninit(&out);
    }
    return s.s;
}

static void
check(struct fixture *fx, const char *packet, const char *expected)
{
    struct ft_flow flow;
    char *got;

    parse_packet(packet, &flow);
    got = xlate_text(fx, &flow, NULL, NULL, NULL);
    assert_string_equal(got, expected);
    free(got);
}

/* (a) ICMP dropped from one port, NORMAL floods the rest. */
static void
test_seed_icmp_drop(void **state)
{
    static const char *const flows[] = {
        "priority=100,in_port=2,icmp,actions=drop",
        "priority=0,actions=NORMAL",
        NULL,
    };
    struct fixture fx;

    (void) state;
    fixture_init(&fx, NULL);
    add_flows(&fx, flows);
    check(&fx, "in_port=2,icmp,nw_src=10.0.0.2,nw_dst=10.0.0.1", "drop");
    check(&fx, "in_port=1,icmp,nw_src=10.0.0.1,nw_dst=10.0.0.2",
          "2,3,4,LOCAL");
    check(&fx, "in_port=2,tcp", "1,3,4,LOCAL");
    fixture_destroy(&fx);
}

static const char *const pipeline[] = {
    "table=0,priority=100,in_port=2,icmp,actions=drop",
    "table=0,priority=0,actions=resubmit(,1)",
    "table=1,priority=100,in_port=3,dl_vlan=100,"
    "actions=strip_vlan,resubmit(,2)",
    "table=1,priority=50,ip,nw_dst=10.0.100.3,"
    "actions=mod_vlan_vid:100,output:3",
    "table=1,priority=50,arp,arp_tpa=10.0.100.3,"
    "actions=mod_vlan_vid:100,output:3",
    "table=1,priority=0,actions=resubmit(,2)",
    "table=2,priority=0,actions=NORMAL",
    NULL,
};

/* (b) The VLAN pipeline of the reference samples. */
static void
test_seed_vlan_pipeline(void **state)
{
    struct fixture fx;
    struct ft_xlate_out out;
    struct ft_flow flow;
    struct ds trace = DS_EMPTY_INITIALIZER;
    struct ds mf = DS_EMPTY_INITIALIZER;
    int error;
    char *got;

    (void) state;
    fixture_init(&fx, NULL);
    add_flows(&fx, pipeline);
    parse_packet("icmp,in_port=1,dl_src=02:00:00:00:00:01,"
                 "dl_dst=02:00:00:00:00:03,nw_src=10.0.100.1,"
                 "nw_dst=10.0.100.3", &flow);
    got = xlate_text(&fx, &flow, &error, &out, &trace);
    assert_int_equal(error, 0);
    assert_string_equal(got, "push_vlan(vid=100,pcp=0),3");
    /* Rules passed, in order: table 0 priority 0, table 1 priority 50. */
    assert_int_equal(out.n_rules, 2);
    assert_int_equal(out.rules[0]->spec.table_id, 0);
    assert_int_equal(out.rules[1]->spec.table_id, 1);
    assert_int_equal(out.rules[1]->spec.priority, 50);
    ft_megaflow_format(&out.megaflow, &mf);
    assert_non_null(strstr(ds_cstr(&mf), "nw_dst=10.0.100.3"));
    assert_non_null(strstr(ds_cstr(&trace), " 0. priority 0\n"
                           "    resubmit(,1)\n"
                           " 1. ip,nw_dst=10.0.100.3, priority 50\n"));
    assert_non_null(strstr(ds_cstr(&trace),
                           "Datapath actions: push_vlan(vid=100,pcp=0),3"));
    free(got);
    ds_destroy(&mf);
    ds_destroy(&trace);
    ft_xlate_out_uninit(&out);

    check(&fx, "ip,in_port=3,dl_vlan=100,dl_src=02:00:00:00:00:03,"
          "dl_dst=02:00:00:00:00:01,nw_src=10.0.100.3,nw_dst=10.0.100.1",
          "pop_vlan,1,2,4,LOCAL");
    check(&fx, "in_port=2,icmp", "drop");
    fixture_destroy(&fx);
}

/* (c) Three-table ACL. */
static void
test_seed_acl(void **state)
{
    static const char *const flows[] = {
        "table=0,priority=0,actions=resubmit(,1)",
        "table=1,priority=100,tcp,nw_src=10.0.0.50,tp_dst=22,actions=drop",
        "table=1,priority=0,actions=goto_table:2",
        "table=2,priority=0,actions=NORMAL",
        NULL,
    };
    struct fixture fx;

    (void) state;
    fixture_init(&fx, NULL);
    add_flows(&fx, flows);
    check(&fx, "in_port=1,tcp,nw_src=10.0.0.50,tp_dst=22", "drop");
    check(&fx, "in_port=1,tcp,nw_src=10.0.0.50,tp_dst=80", "2,3,4,LOCAL");
    check(&fx, "in_port=3,tcp,nw_src=10.0.0.51,tp_dst=22", "1,2,4,LOCAL");
    fixture_destroy(&fx);
}

static void
test_output_in_port_skipped(void **state)
{
    static const char *const flows[] = {
        "in_port=1,actions=output:1,output:2,IN_PORT",
        "in_port=2,actions=resubmit(1,1)",
        "table=1,in_port=1,actions=output:1,output:2",
        NULL,
    };
    struct fixture fx;

    (void) state;
    fixture_init(&fx, NULL);
    add_flows(&fx, flows);
    check(&fx, "in_port=1", "2,1");
    /* The resubmit looks up as port 1 but outputs as port 2. */
    check(&fx, "in_port=2", "1");
    fixture_destroy(&fx);
}

static void
test_resubmit_loop(void **state)
{
    static const char *const flows[] = {
        "priority=1,actions=resubmit(,0)",
        NULL,
    };
    struct fixture fx;
    struct ft_flow flow;
    struct ds trace = DS_EMPTY_INITIALIZER;
    int error;
    char *got;

    (void) state;
    fixture_init(&fx, NULL);
    add_flows(&fx, flows);
    parse_packet("in_port=1,ip", &flow);
    got = xlate_text(&fx, &flow, &error, NULL, &trace);
    assert_int_equal(error, -ELOOP);
    assert_string_equal(got, "drop");
    assert_non_null(strstr(ds_cstr(&trace), "resubmit loop"));
    assert_non_null(strstr(ds_cstr(&trace), "Translation failed"));
    free(got);
    ds_destroy(&trace);
    fixture_destroy(&fx);
}

/* Every resubmit changes in_port, so no loop is seen, but the depth
 * grows until the limit (after an output that must not survive). */
static void
test_depth_limit(void **state)
{
    struct fixture fx;
    struct ft_flow flow;
    struct ds trace = DS_EMPTY_INITIALIZER;
    char line[128];
    int error;
    char *got;

    (void) state;
    fixture_init(&fx, NULL);
    for (int i = 1; i <= 100; i++) {
        snprintf(line, sizeof line, "in_port=%d,actions=output:2,"
                 "resubmit(%d,0)", i, i + 1);
        assert_int_equal(add_flow(&fx, line), 0);
    }
    parse_packet("in_port=1", &flow);
    got = xlate_text(&fx, &flow, &error, NULL, &trace);
    assert_int_equal(error, -ELOOP);
    assert_string_equal(got, "drop");
    assert_non_null(strstr(ds_cstr(&trace),
                           ">>>> over max translation depth 64 <<<<"));
    free(got);
    ds_destroy(&trace);

    /* 63 nested resubmits are fine. */
    ft_oftables_destroy(&fx.tables);
    ft_oftables_init(&fx.tables);
    for (int i = 1; i <= 63; i++) {
        snprintf(line, sizeof line, "in_port=%d,actions=resubmit(%d,0)",
                 i, i + 1);
        assert_int_equal(add_flow(&fx, line), 0);
    }
    assert_int_equal(add_flow(&fx, "in_port=64,actions=output:3"), 0);
    got = xlate_text(&fx, &flow, &error, NULL, NULL);
    assert_int_equal(error, 0);
    assert_string_equal(got, "3");
    free(got);
    fixture_destroy(&fx);
}

static void
test_vlan_commit(void **state)
{
    static const char *const flows[] = {
        "in_port=1,actions=mod_vlan_vid:9,output:2,mod_vlan_pcp:3,output:3,"
        "strip_vlan,output:4",
        "in_port=2,actions=push_vlan:0x8100,output:3,"
        "set_field:4196->vlan_vid,output:4",
        "in_port=3,actions=strip_vlan,output:4,mod_vlan_vid:5,output:1",
        NULL,
    };
    struct fixture fx;

    (void) state;
    fixture_init(&fx, NULL);
    add_flows(&fx, flows);
    check(&fx, "in_port=1,ip",
          "push_vlan(vid=9,pcp=0),2,pop_vlan,push_vlan(vid=9,pcp=3),3,"
          "pop_vlan,4");
    check(&fx, "in_port=1,ip,dl_vlan=7,dl_vlan_pcp=5",
          "pop_vlan,push_vlan(vid=9,pcp=5),2,pop_vlan,"
          "push_vlan(vid=9,pcp=3),3,pop_vlan,4");
    /* Modifying the vid back to the packet's own emits nothing. */
    check(&fx, "in_port=1,ip,dl_vlan=9",
          "2,pop_vlan,push_vlan(vid=9,pcp=3),3,pop_vlan,4");
    check(&fx, "in_port=2,tcp", "push_vlan(vid=0,pcp=0),3,pop_vlan,"
          "push_vlan(vid=100,pcp=0),4");
    check(&fx, "in_port=2,tcp,dl_vlan=7",
          "push_vlan(vid=0,pcp=0),3,pop_vlan,push_vlan(vid=100,pcp=0),4");
    check(&fx, "in_port=3,ip,dl_vlan=7", "pop_vlan,4,push_vlan(vid=5,pcp=0),1");
    fixture_destroy(&fx);
}

static void
test_set_field_commit(void **state)
{
    static const char *const flows[] = {
        "table=0,priority=0,actions=resubmit(,1)",
        "table=1,priority=10,ip,actions=mod_nw_src:1.2.3.4,"
        "mod_nw_dst:5.6.7.8,mod_dl_src:00:11:22:33:44:55,mod_nw_tos:16,"
        "mod_tp_dst:80,output:2,dec_ttl,output:3",
        "table=1,priority=5,arp,actions=mod_nw_dst:5.6.7.8,output:2",
        "table=1,priority=1,actions=mod_dl_dst:00:00:00:00:00:07,output:2,"
        "output:3",
        NULL,
    };
    struct fixture fx;

    (void) state;
    fixture_init(&fx, NULL);
    add_flows(&fx, flows);
    check(&fx, "in_port=1,tcp,nw_ttl=64",
          "set(eth(src=00:11:22:33:44:55)),"
          "set(ipv4(src=1.2.3.4,dst=5.6.7.8,tos=0x10/0xfc)),"
          "set(tcp(dst=80)),2,set(ipv4(ttl=63)),3");
    /* UDP: the port set is udp(); ICMP: mod_tp_dst is its code, set
     * with the type (Open vSwitch's set(icmp())). */
    check(&fx, "in_port=1,udp,nw_ttl=5,nw_dst=5.6.7.8",
          "set(eth(src=00:11:22:33:44:55)),"
          "set(ipv4(src=1.2.3.4,tos=0x10/0xfc)),set(udp(dst=80)),2,"
          "set(ipv4(ttl=4)),3");
    /* dec_ttl at TTL 1: the rest of the actions are skipped. */
    check(&fx, "in_port=1,icmp,nw_ttl=1",
          "set(eth(src=00:11:22:33:44:55)),"
          "set(ipv4(src=1.2.3.4,dst=5.6.7.8,tos=0x10/0xfc)),"
          "set(icmp(type=0,code=80)),2,"
          "userspace(pid=0,controller(reason=1,rule_cookie=0,table_id=1,"
          "max_len=65535))");
    /* mod_nw_dst does not apply to ARP. */
    check(&fx, "in_port=1,arp", "2");
    check(&fx, "in_port=1,dl_type=0x1234",
          "set(eth(dst=00:00:00:00:00:07)),2,3");
    /* IP protocol 0: OVS commits no IP header change. */
    check(&fx, "in_port=1,ip,nw_ttl=9", "set(eth(src=00:11:22:33:44:55)),"
          "2,3");
    fixture_destroy(&fx);
}

static void
test_meter_refused(void **state)
{
    struct fixture fx;
    struct ft_flow flow;
    int error;
    char *got;

    (void) state;
    fixture_init(&fx, NULL);
    if (add_flow(&fx, "actions=meter:1,output:2")) {
        /* The parser refused it outright: also acceptable. */
        fixture_destroy(&fx);
        return;
    }
    parse_packet("in_port=1", &flow);
    got = xlate_text(&fx, &flow, &error, NULL, NULL);
    assert_int_equal(error, -ENOENT);
    assert_string_equal(got, "drop");
    free(got);
    fixture_destroy(&fx);
}

/* ---- Property test. ---- */

#define N_TABLES 500
#define N_PACKETS 60

/* A packet a datapath received on a vxlan port with an outer header the
 * port does not take (a kernel VXLAN device receives every VNI of its UDP
 * port) is dropped by a megaflow matching that header; one with the
 * port's VNI and remote goes through the tables. */
static void
test_tunnel_foreign_vni(void **state)
{
    static const char *const flows[] = {
        "priority=10,in_port=2,actions=output:1",
        NULL,
    };
    struct ft_tnl_config tnl = {
        .remote_ip = 0xc0a83202, .key = 100, .dst_port = 4789, .ttl = 64,
        .df = true,
    };
    struct ft_xlate_out out;
    struct ds trace = DS_EMPTY_INITIALIZER;
    struct fixture fx;
    struct ft_flow flow;
    char *got;

    (void) state;
    fixture_init(&fx, NULL);
    fx.ports[1].tnl = &tnl;
    add_flows(&fx, flows);

    check(&fx, "ip,in_port=2,tun_id=100,tun_src=192.168.50.2,"
          "tun_dst=192.168.50.1,tun_flags=0x4", "1");
    parse_packet("ip,in_port=2,tun_id=200,tun_src=192.168.50.2,"
                 "tun_dst=192.168.50.1,tun_flags=0x4", &flow);
    got = xlate_text(&fx, &flow, NULL, &out, &trace);
    assert_string_equal(got, "drop");
    assert_true(out.megaflow.mask.tun_id == UINT64_MAX);
    assert_true(out.megaflow.mask.tun_src == UINT32_MAX);
    assert_non_null(strstr(ds_cstr(&trace), "does not take VNI 200"));
    free(got);
    ft_xlate_out_uninit(&out);
    ds_destroy(&trace);
    /* Another remote. */
    check(&fx, "ip,in_port=2,tun_id=100,tun_src=192.168.50.3,"
          "tun_dst=192.168.50.1,tun_flags=0x4", "drop");
    /* Not received by a datapath (a trace without the outer header's
     * flags): the tables decide, as before. */
    check(&fx, "ip,in_port=2,tun_id=200", "1");
    fixture_destroy(&fx);
}

/* Translates 'packet' (from the vxlan port 2 of 'fx') and checks its
 * actions and the tun_flags bits of its megaflow's mask. */
static void
check_tun_flags_mask(struct fixture *fx, const char *packet,
                     const char *actions, uint16_t mask)
{
    struct ft_xlate_out out;
    struct ft_flow flow;
    char *got;

    parse_packet(packet, &flow);
    got = xlate_text(fx, &flow, NULL, &out, NULL);
    assert_string_equal(got, actions);
    assert_int_equal(out.megaflow.mask.tun_flags, mask);
    free(got);
    ft_xlate_out_uninit(&out);
}

/* A megaflow of a tunnel port matches "key" always, and the outer DF and
 * csum flags only where an OpenFlow rule looked at them. */
static void
test_tunnel_flags_mask(void **state)
{
    static const char *const plain[] = {
        "priority=10,in_port=2,actions=output:1",
        NULL,
    };
    static const char *const by_df[] = {
        "priority=20,in_port=2,tun_flags=0x1/0x1,actions=output:3",
        NULL,
    };
    static const char *const by_csum[] = {
        "priority=30,in_port=2,tun_flags=0x2/0x2,actions=output:4",
        NULL,
    };
    struct ft_tnl_config tnl = {
        .remote_ip = 0xc0a83202, .key = 100, .dst_port = 4789, .ttl = 64,
        .df = true,
    };
    const char *pkt = "ip,in_port=2,tun_id=100,tun_src=192.168.50.2,"
                      "tun_dst=192.168.50.1,tun_flags=";
    char text[160];
    struct fixture fx;

    (void) state;
    fixture_init(&fx, NULL);
    fx.ports[1].tnl = &tnl;
    add_flows(&fx, plain);
    for (int flags = 4; flags < 8; flags++) {
        snprintf(text, sizeof text, "%s%#x", pkt, flags);
        check_tun_flags_mask(&fx, text, "1", FT_TNL_F_KEY);
    }
    add_flows(&fx, by_df);
    snprintf(text, sizeof text, "%s0x5", pkt);
    check_tun_flags_mask(&fx, text, "3", FT_TNL_F_KEY
                         | FT_TNL_F_DONT_FRAGMENT);
    snprintf(text, sizeof text, "%s0x6", pkt);
    check_tun_flags_mask(&fx, text, "1", FT_TNL_F_KEY
                         | FT_TNL_F_DONT_FRAGMENT);
    add_flows(&fx, by_csum);
    snprintf(text, sizeof text, "%s0x6", pkt);
    check_tun_flags_mask(&fx, text, "4", FT_TNL_F_KEY | FT_TNL_F_CSUM);
    snprintf(text, sizeof text, "%s0x5", pkt);
    check_tun_flags_mask(&fx, text, "3", FT_TNL_F_KEY | FT_TNL_F_CSUM
                         | FT_TNL_F_DONT_FRAGMENT);
    fixture_destroy(&fx);
}

static uint32_t rng_state = 12345;

static uint32_t
rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static uint32_t
rnd_n(uint32_t n)
{
    return rnd() % n;
}

static void
random_match(struct ds *s)
{
    int kind = (int) rnd_n(5);

    if (rnd_n(2)) {
        ds_put_format(s, ",in_port=%u", 1 + rnd_n(4));
    }
    if (rnd_n(4) == 0) {
        ds_put_format(s, ",dl_vlan=%u", rnd_n(3));
    }
    if (kind == 0) {
        return;
    } else if (kind == 1) {
        ds_put_cstr(s, ",arp");
        return;
    }
    ds_put_cstr(s, kind == 2 ? ",ip" : kind == 3 ? ",tcp" : ",udp");
    if (rnd_n(2)) {
        ds_put_format(s, ",nw_src=10.0.%u.0/%u", rnd_n(2), 16 + 8 * rnd_n(2));
    }
    if (rnd_n(2)) {
        ds_put_format(s, ",nw_dst=10.%u.0.%u", rnd_n(2), rnd_n(3));
    }
    if (kind == 2 && rnd_n(2)) {
        ds_put_format(s, ",nw_proto=%u", rnd_n(2) ? 1 : 17);
    }
    if (kind >= 3 && rnd_n(2)) {
        ds_put_format(s, ",tp_dst=%u", 20 + rnd_n(4));
    }
}

static void
random_action(struct ds *s, int table, int n_tables)
{
    switch (rnd_n(18)) {
    case 0: case 1: case 2:
        ds_put_format(s, "output:%u", 1 + rnd_n(4));
        break;
    case 3:
        ds_put_cstr(s, rnd_n(2) ? "NORMAL" : rnd_n(2) ? "FLOOD" : "IN_PORT");
        break;
    case 4:
        ds_put_format(s, "mod_vlan_vid:%u", rnd_n(3));
        break;
    case 5:
        ds_put_format(s, "mod_vlan_pcp:%u", rnd_n(8));
        break;
    case 6:
        ds_put_cstr(s, "strip_vlan");
        break;
    case 7:
        ds_put_cstr(s, "push_vlan:0x8100");
        break;
    case 8:
        ds_put_format(s, "mod_nw_dst:10.0.0.%u", rnd_n(3));
        break;
    case 9:
        ds_put_format(s, "mod_nw_src:10.0.%u.1", rnd_n(2));
        break;
    case 10:
        ds_put_format(s, "mod_dl_src:02:00:00:00:00:0%u", rnd_n(3));
        break;
    case 11:
        ds_put_format(s, "mod_tp_dst:%u", 20 + rnd_n(4));
        break;
    case 12:
        ds_put_format(s, "mod_nw_tos:%u", 4 * rnd_n(3));
        break;
    case 13:
        ds_put_cstr(s, "dec_ttl");
        break;
    case 14:
        ds_put_format(s, "load:%u->NXM_NX_REG0[]", rnd_n(3));
        break;
    case 15: case 16:
        if (table + 1 < n_tables) {
            ds_put_format(s, "resubmit(,%u)",
                          table + 1 + rnd_n((uint32_t) (n_tables - table - 1)));
        } else {
            ds_put_format(s, "resubmit(%u,%u)", 1 + rnd_n(4),
                          rnd_n((uint32_t) n_tables));
        }
        break;
    default:
        ds_put_cstr(s, "mod_dl_dst:02:00:00:00:00:09");
        break;
    }
}

static void
random_table(struct fixture *fx)
{
    int n_tables = 1 + (int) rnd_n(4);

    for (int t = 0; t < n_tables; t++) {
        int n_rules = 1 + (int) rnd_n(6);

        for (int r = 0; r < n_rules; r++) {
            struct ds s = DS_EMPTY_INITIALIZER;
            int n_acts = (int) rnd_n(5);
            bool catchall;

            /* The last rule of table 0, and of some other tables, catches
             * everything so that most packets do something. */
            catchall = r == n_rules - 1 && (t == 0 || rnd_n(2));

            ds_put_format(&s, "table=%d,priority=%u", t,
                          catchall ? 0 : 1 + rnd_n(4));
            if (!catchall) {
                random_match(&s);
            }
            if (!catchall && rnd_n(3) == 0) {
                ds_put_format(&s, ",reg0=%u", rnd_n(3));
            }
            ds_put_cstr(&s, ",actions=");
            for (int a = 0; a < n_acts; a++) {
                if (a) {
                    ds_put_char(&s, ',');
                }
                random_action(&s, t, n_tables);
            }
            if (!n_acts) {
                ds_put_cstr(&s, "drop");
            }
            add_flow(fx, ds_cstr(&s));
            ds_destroy(&s);
        }
    }
}

static void
random_packet(struct ft_flow *f)
{
    static const uint16_t types[] = {
        FT_ETH_TYPE_IP, FT_ETH_TYPE_IP, FT_ETH_TYPE_IP, FT_ETH_TYPE_ARP,
        FT_ETH_TYPE_IPV6, 0x1234,
    };
    static const uint8_t protos[] = {
        FT_IPPROTO_TCP, FT_IPPROTO_UDP, FT_IPPROTO_ICMP, 0, 47,
    };

    ft_flow_zero(f);
    f->in_port = 1 + rnd_n(4);
    f->dl_src.ea[0] = 0x02;
    f->dl_src.ea[5] = (uint8_t) rnd_n(4);
    f->dl_dst.ea[0] = rnd_n(4) ? 0x02 : 0xff;
    f->dl_dst.ea[5] = (uint8_t) rnd_n(4);
    if (f->dl_dst.ea[0] == 0xff) {
        memset(f->dl_dst.ea, 0xff, FT_ETH_ALEN);
    }
    f->dl_type = types[rnd_n(sizeof types / sizeof *types)];
    for (int i = 0; i < 2; i++) {
        if (rnd_n(3) == 0 && (i == 0 || f->vlans[0].tci)) {
            f->vlans[i].tpid = FT_ETH_TYPE_VLAN;
            f->vlans[i].tci = (uint16_t) (FT_VLAN_CFI | rnd_n(3)
                                          | (rnd_n(8) << FT_VLAN_PCP_SHIFT));
        } else {
            break;
        }
    }
    if (f->dl_type == FT_ETH_TYPE_IP || f->dl_type == FT_ETH_TYPE_ARP) {
        f->nw_src = (10u << 24) | (rnd_n(2) << 8) | rnd_n(3);
        f->nw_dst = (10u << 24) | (rnd_n(2) << 16) | rnd_n(3);
    }
    if (f->dl_type == FT_ETH_TYPE_ARP) {
        f->nw_proto = (uint8_t) (1 + rnd_n(2));
    } else if (ft_flow_is_ip(f)) {
        f->nw_proto = protos[rnd_n(sizeof protos / sizeof *protos)];
        f->nw_tos = (uint8_t) (rnd_n(4) * 4 + rnd_n(2));
        f->nw_ttl = (uint8_t) rnd_n(4);
        f->nw_frag = rnd_n(8) ? 0 : rnd_n(2) ? FT_FRAG_ANY
                                            : FT_FRAG_ANY | FT_FRAG_LATER;
        if (f->dl_type == FT_ETH_TYPE_IPV6) {
            f->ipv6_src.s6[15] = (uint8_t) rnd_n(3);
            f->ipv6_label = rnd_n(3);
        }
        if (!(f->nw_frag & FT_FRAG_LATER)) {
            if (f->nw_proto == FT_IPPROTO_TCP
                || f->nw_proto == FT_IPPROTO_UDP) {
                f->tp_src = (uint16_t) (1000 + rnd_n(3));
                f->tp_dst = (uint16_t) (20 + rnd_n(4));
            } else if (f->nw_proto == FT_IPPROTO_ICMP
                       && f->dl_type == FT_ETH_TYPE_IP) {
                f->tp_src = (uint16_t) rnd_n(9);
            }
        }
    }
}

/* A packet inside 'mf': 'base''s bits under the mask, random elsewhere.
 * Returns false if the mix is not a packet the parser could produce. */
static bool
packet_inside(const struct ft_match *mf, struct ft_flow *out)
{
    struct ft_flow r;
    uint64_t *o = ft_flow_u64_rw(out);
    const uint64_t *k = ft_flow_u64(&mf->flow);
    const uint64_t *m = ft_flow_u64(&mf->mask);
    const uint64_t *rr = ft_flow_u64(&r);

    random_packet(&r);
    for (size_t i = 0; i < FT_FLOW_U64S; i++) {
        o[i] = (k[i] & m[i]) | (rr[i] & ~m[i]);
    }
    /* Pipeline metadata always starts zero. */
    out->metadata = 0;
    memset(out->regs, 0, sizeof out->regs);
    /* Keep the key's invariants. */
    for (int i = 0; i < 2; i++) {
        if (!(out->vlans[i].tci & FT_VLAN_CFI)) {
            if (out->vlans[i].tci || out->vlans[i].tpid) {
                return false;
            }
        }
    }
    if (!(out->vlans[0].tci & FT_VLAN_CFI)
        && out->vlans[1].tci & FT_VLAN_CFI) {
        return false;
    }
    if (!ft_flow_is_ip(out) && out->dl_type != FT_ETH_TYPE_ARP
        && (out->nw_src || out->nw_dst || out->nw_proto || out->tp_src
            || out->tp_dst)) {
        return false;
    }
    if ((out->nw_frag & FT_FRAG_LATER
         || (out->nw_proto != FT_IPPROTO_TCP
             && out->nw_proto != FT_IPPROTO_UDP
             && out->nw_proto != FT_IPPROTO_ICMP))
        && (out->tp_src || out->tp_dst)) {
        return false;
    }
    if (out->dl_type != FT_ETH_TYPE_IPV6
        && (out->ipv6_label || out->ipv6_src.s6[15])) {
        return false;
    }
    return ft_match_contains(mf, out);
}

static void
test_megaflow_property(void **state)
{
    struct ft_mac_learning *ml;
    int n_checked = 0, n_bad = 0, n_lines = 0, n_nondrop = 0;

    (void) state;
    ml = ft_mac_learning_create(FT_MAC_DEFAULT_MAX, 300);
    assert_non_null(ml);
    for (int i = 0; i < 3; i++) {
        struct ft_eth_addr mac = { { 0x02, 0, 0, 0, 0, (uint8_t) i } };

        ft_mac_learning_learn(ml, mac, 0, (ft_port_no) (i + 1), 0);
    }

    for (int t = 0; t < N_TABLES; t++) {
        struct fixture fx;

        fixture_init(&fx, ml);
        random_table(&fx);
        for (int p = 0; p < N_PACKETS; p++) {
            struct ft_xlate_out out;
            struct ft_flow pkt;
            char *a;

            random_packet(&pkt);
            a = xlate_text(&fx, &pkt, NULL, &out, NULL);
            n_nondrop += strcmp(a, "drop") != 0;
            assert_true(ft_match_contains(&out.megaflow, &pkt));
            for (int v = 0; v < 8; v++) {
                struct ft_flow other;
                char *b;

                if (!packet_inside(&out.megaflow, &other)) {
                    continue;
                }
                b = xlate_text(&fx, &other, NULL, NULL, NULL);
                if (strcmp(a, b)) {
                    struct ds s = DS_EMPTY_INITIALIZER;

                    ft_megaflow_format(&out.megaflow, &s);
                    ds_put_cstr(&s, "\n  packet: ");
                    ft_flow_format(&pkt, &s);
                    ds_put_cstr(&s, "\n  other:  ");
                    ft_flow_format(&other, &s);
                    fail_msg("table %d: megaflow %s\n  actions %s vs %s", t,
                             ds_cstr(&s), a, b);
                }
                n_checked++;
                free(b);
            }
            free(a);
            ft_xlate_out_uninit(&out);
        }
        n_bad += fx.n_bad;
        n_lines += fx.n_lines;
        fixture_destroy(&fx);
    }
    printf("megaflow property: %d lines (%d refused), %d checks, "
           "%d of %d packets not dropped\n", n_lines, n_bad, n_checked,
           n_nondrop, N_TABLES * N_PACKETS);
    /* The mixes must mostly be valid packets, the tables mostly parse
     * and the translations mostly do something, or the test tests
     * nothing. */
    assert_true(n_checked > N_TABLES * N_PACKETS * 2);
    assert_true(n_bad * 10 < n_lines);
    assert_true(n_nondrop * 4 > N_TABLES * N_PACKETS);
    ft_mac_learning_destroy(ml);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_icmp_drop),
        cmocka_unit_test(test_seed_vlan_pipeline),
        cmocka_unit_test(test_seed_acl),
        cmocka_unit_test(test_output_in_port_skipped),
        cmocka_unit_test(test_resubmit_loop),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_vlan_commit),
        cmocka_unit_test(test_set_field_commit),
        cmocka_unit_test(test_meter_refused),
        cmocka_unit_test(test_tunnel_foreign_vni),
        cmocka_unit_test(test_tunnel_flags_mask),
        cmocka_unit_test(test_megaflow_property),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test-normal.c - unit tests for the NORMAL action (mgmt/ofproto/normal.c): VLAN
 * admission and tagging on access, trunk and native ports, flooding,
 * learned unicast, MAC moves, drops with reasons, trace lines and the
 * bits un-wildcarded for the megaflow.  Bridges are built directly as
 * struct ft_xbridge views, without translation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mgmt/ofproto/normal.h"

#define TAG(VID) ((uint16_t) (FT_VLAN_CFI | (VID)))
#define PCP(P) ((uint16_t) ((P) << FT_VLAN_PCP_SHIFT))

static const struct ft_eth_addr MAC_A = { { 0x02, 0, 0, 0, 0, 0x0a } };
static const struct ft_eth_addr MAC_B = { { 0x02, 0, 0, 0, 0, 0x0b } };
static const struct ft_eth_addr MAC_C = { { 0x02, 0, 0, 0, 0, 0x0c } };
static const struct ft_eth_addr MAC_BCAST = { { 0xff, 0xff, 0xff, 0xff,
                                                0xff, 0xff } };

/* One NORMAL run and what it produced. */
struct run {
    struct ft_normal_result res;
    struct ft_flow wc;
    struct ds trace;
};

static void
run_init(struct run *r)
{
    ft_normal_result_init(&r->res);
    ft_flow_zero(&r->wc);
    ds_init(&r->trace);
}

static void
run_uninit(struct run *r)
{
    ft_normal_result_uninit(&r->res);
    ds_destroy(&r->trace);
}

static struct ft_flow
make_flow(ft_port_no in_port, struct ft_eth_addr src, struct ft_eth_addr dst,
          uint16_t tci)
{
    struct ft_flow flow;

    ft_flow_zero(&flow);
    flow.in_port = in_port;
    flow.dl_src = src;
    flow.dl_dst = dst;
    flow.dl_type = FT_ETH_TYPE_IP;
    flow.nw_src = 0x0a000001;
    flow.nw_dst = 0x0a000002;
    flow.nw_proto = FT_IPPROTO_UDP;
    if (tci & FT_VLAN_CFI) {
        flow.vlans[0].tpid = FT_ETH_TYPE_VLAN;
        flow.vlans[0].tci = tci;
    }
    return flow;
}

/* Runs NORMAL for 'flow' into 'r' (reset first) with learning on. */
static void
run_flow(struct run *r, const struct ft_xbridge *br,
         const struct ft_flow *flow, long long int now, bool may_learn)
{
    ft_flow_zero(&r->wc);
    ds_clear(&r->trace);
    ft_normal_xlate(br, flow, &r->wc, now, may_learn, &r->res, &r->trace);
}

static void
send(struct run *r, const struct ft_xbridge *br, ft_port_no in_port,
     struct ft_eth_addr src, struct ft_eth_addr dst, uint16_t tci)
{
    struct ft_flow flow = make_flow(in_port, src, dst, tci);

    run_flow(r, br, &flow, 1000, true);
}

/* Asserts that the outputs are exactly the 'n' (port, tci) pairs given. */
static void
expect_outs(const struct run *r, size_t n, ...)
{
    va_list args;

    if (r->res.n != n) {
        print_error("expected %zu outputs, got %zu; trace:\n%s\n", n,
                    r->res.n, ds_cstr(&r->trace));
    }
    assert_int_equal(r->res.n, n);
    va_start(args, n);
    for (size_t i = 0; i < n; i++) {
        unsigned int port = va_arg(args, unsigned int);
        unsigned int tci = va_arg(args, unsigned int);

        assert_int_equal(r->res.outs[i].port, port);
        assert_int_equal(r->res.outs[i].tci, tci);
    }
    va_end(args);
}

static bool
trace_has(const struct run *r, const char *line)
{
    return strstr(ds_cstr(&r->trace), line) != NULL;
}

static void
expect_trace(const struct run *r, const char *line)
{
    if (!trace_has(r, line)) {
        print_error("trace lacks \"%s\":\n%s\n", line, ds_cstr(&r->trace));
    }
    assert_true(trace_has(r, line));
}

static void
bitmap_set(uint64_t *bitmap, uint16_t vid)
{
    bitmap[vid / 64] |= 1ULL << (vid % 64);
}

static struct ft_xport
port(ft_port_no no, const char *name, enum ft_vlan_mode mode, int tag,
     const uint64_t *trunks)
{
    struct ft_xport p = {
        .port = no, .name = name, .vlan_mode = mode, .tag = tag,
        .trunks = trunks, .no_flood = false,
    };
    return p;
}

static struct ft_xbridge
bridge(const struct ft_xport *ports, size_t n, struct ft_mac_learning *ml)
{
    struct ft_xbridge br = {
        .name = "br0", .tables = NULL, .ml = ml, .ports = ports,
        .n_ports = n,
    };
    return br;
}

/* Access ports in VLANs 10 and 20, a trunk of every VLAN, and a no_flood
 * access port in VLAN 10. */
static void
test_access_vlans_flood(void **state)
{
    struct ft_xport ports[] = {
        port(1, "a10", FT_VLAN_ACCESS, 10, NULL),
        port(2, "b10", FT_VLAN_ACCESS, 10, NULL),
        port(3, "c20", FT_VLAN_ACCESS, 20, NULL),
        port(4, "trunk", FT_VLAN_TRUNK, -1, NULL),
        port(5, "d10", FT_VLAN_ACCESS, 10, NULL),
        port(6, "e20", FT_VLAN_ACCESS, 20, NULL),
    };
    struct ft_mac_learning *ml = ft_mac_learning_create(0, 0);
    struct ft_xbridge br;
    struct run r;

    ports[4].no_flood = true;
    br = bridge(ports, 6, ml);
    run_init(&r);

    /* VLAN 10 broadcast: the other VLAN 10 access port untagged, the trunk
     * tagged; not VLAN 20, not the no_flood port, not back. */
    send(&r, &br, 1, MAC_A, MAC_BCAST, 0);
    expect_outs(&r, 2, 2, 0, 4, TAG(10));
    expect_trace(&r, "     -> learned that 02:00:00:00:00:0a is on port a10 "
                 "in VLAN 10\n");
    expect_trace(&r, "     -> no learned MAC for destination, flooding\n");
    assert_null(r.res.drop_reason);

    /* VLAN 20 unknown unicast. */
    send(&r, &br, 3, MAC_B, MAC_C, 0);
    expect_outs(&r, 2, 4, TAG(20), 6, 0);

    /* Same MAC in the other VLAN is a different entry. */
    assert_int_equal(ft_mac_learning_lookup(ml, MAC_A, 10, 1000), 1);
    assert_int_equal(ft_mac_learning_lookup(ml, MAC_A, 20, 1000),
                     FT_PORT_NONE);
    send(&r, &br, 6, MAC_C, MAC_A, 0);
    expect_outs(&r, 2, 3, 0, 4, TAG(20));

    /* A tagged frame on an access port is dropped. */
    send(&r, &br, 1, MAC_A, MAC_BCAST, TAG(10));
    expect_outs(&r, 0);
    assert_string_equal(r.res.drop_reason,
                        "disallowed VLAN VID for this input port");
    expect_trace(&r, "     >>>> dropping VLAN 10 tagged packet received on "
                 "port a10 configured as VLAN 10 access port <<<<\n");
    expect_trace(&r, "     >> disallowed VLAN VID for this input port, "
                 "dropping\n");

    run_uninit(&r);
    ft_mac_learning_destroy(ml);
}

/* A trunk restricted to VLANs 10 and 20 beside a full trunk and an access
 * port. */
static void
test_trunk_allowed_vlans(void **state)
{
    uint64_t trunks[64] = { 0 };
    struct ft_xport ports[] = {
        port(1, "t1", FT_VLAN_TRUNK, -1, trunks),
        port(2, "t2", FT_VLAN_TRUNK, -1, NULL),
        port(3, "a10", FT_VLAN_ACCESS, 10, NULL),
    };
    struct ft_mac_learning *ml = ft_mac_learning_create(0, 0);
    struct ft_xbridge br = bridge(ports, 3, ml);
    struct run r;

    bitmap_set(trunks, 10);
    bitmap_set(trunks, 20);
    run_init(&r);

    /* Allowed VLAN: forwarded with its tag (and its PCP) to the other
     * trunk, untagged to the access port. */
    send(&r, &br, 1, MAC_A, MAC_BCAST, TAG(10) | PCP(5));
    expect_outs(&r, 2, 2, TAG(10) | PCP(5), 3, 0);

    /* VLAN 20 has no access port. */
    send(&r, &br, 2, MAC_B, MAC_BCAST, TAG(20));
    expect_outs(&r, 1, 1, TAG(20));

    /* VLAN 30 is not in t1's trunks: dropped on input... */
    send(&r, &br, 1, MAC_A, MAC_BCAST, TAG(30));
    expect_outs(&r, 0);
    assert_string_equal(r.res.drop_reason,
                        "disallowed VLAN VID for this input port");
    expect_trace(&r, "     >>>> dropping VLAN 30 packet received on port "
                 "t1 not configured for trunking VLAN 30 <<<<\n");
    assert_int_equal(ft_mac_learning_lookup(ml, MAC_A, 30, 1000),
                     FT_PORT_NONE);

    /* ...and not flooded to t1 on output. */
    send(&r, &br, 2, MAC_B, MAC_BCAST, TAG(30));
    expect_outs(&r, 0);
    assert_null(r.res.drop_reason);

    /* Untagged is VLAN 0, not in t1's trunks either. */
    send(&r, &br, 1, MAC_A, MAC_BCAST, 0);
    expect_outs(&r, 0);
    assert_non_null(r.res.drop_reason);

    /* Untagged on the full trunk is VLAN 0, which no other port carries
     * (t1 lacks VLAN 0, a10 is in VLAN 10): no output, no reason. */
    send(&r, &br, 2, MAC_B, MAC_BCAST, 0);
    expect_outs(&r, 0);
    assert_null(r.res.drop_reason);

    run_uninit(&r);
    ft_mac_learning_destroy(ml);
}

/* Trunk to access pops the tag; access to trunk pushes the VLAN. */
static void
test_trunk_access_tagging(void **state)
{
    struct ft_xport ports[] = {
        port(1, "trunk", FT_VLAN_TRUNK, -1, NULL),
        port(2, "a10", FT_VLAN_ACCESS, 10, NULL),
        port(3, "a20", FT_VLAN_ACCESS, 20, NULL),
    };
    struct ft_mac_learning *ml = ft_mac_learning_create(0, 0);
    struct ft_xbridge br = bridge(ports, 3, ml);
    struct run r;

    run_init(&r);

    /* Learn A behind a10 and B behind the trunk in VLAN 10. */
    send(&r, &br, 2, MAC_A, MAC_BCAST, 0);
    expect_outs(&r, 1, 1, TAG(10));
    send(&r, &br, 1, MAC_B, MAC_A, TAG(10) | PCP(3));
    expect_outs(&r, 1, 2, 0);
    expect_trace(&r, "     -> forwarding to learned port\n");
    /* The tag is popped: the output does not depend on the PCP. */
    assert_int_equal(r.wc.vlans[0].tci & FT_VLAN_PCP_MASK, 0);

    /* Access to trunk: VLAN 10 pushed, PCP 0 from an untagged frame. */
    send(&r, &br, 2, MAC_A, MAC_B, 0);
    expect_outs(&r, 1, 1, TAG(10));

    /* A priority-tagged frame (VID 0) is fine on an access port; its PCP
     * goes into the pushed tag, so the megaflow matches the PCP. */
    send(&r, &br, 2, MAC_A, MAC_B, TAG(0) | PCP(6));
    expect_outs(&r, 1, 1, TAG(10) | PCP(6));
    assert_int_equal(r.wc.vlans[0].tci & FT_VLAN_PCP_MASK, FT_VLAN_PCP_MASK);

    /* B in VLAN 20 is unknown: the learned entry is per VLAN. */
    send(&r, &br, 3, MAC_C, MAC_B, 0);
    expect_outs(&r, 1, 1, TAG(20));
    expect_trace(&r, "no learned MAC for destination, flooding");

    run_uninit(&r);
    ft_mac_learning_destroy(ml);
}

/* Native VLAN modes. */
static void
test_native_vlans(void **state)
{
    uint64_t trunks[64] = { 0 };
    struct ft_xport ports[] = {
        port(1, "nu10", FT_VLAN_NATIVE_UNTAGGED, 10, trunks),
        port(2, "nt20", FT_VLAN_NATIVE_TAGGED, 20, NULL),
        port(3, "trunk", FT_VLAN_TRUNK, -1, NULL),
        port(4, "a10", FT_VLAN_ACCESS, 10, NULL),
    };
    struct ft_xbridge br = bridge(ports, 4, NULL);
    struct run r;

    /* nu10 trunks VLAN 20 (and, implicitly, its native VLAN 10). */
    bitmap_set(trunks, 20);
    run_init(&r);

    /* Untagged on native-untagged: VLAN 10. */
    send(&r, &br, 1, MAC_A, MAC_BCAST, 0);
    expect_outs(&r, 3, 2, TAG(10), 3, TAG(10), 4, 0);

    /* Tagged 10 from the trunk: untagged out of nu10 (its native VLAN),
     * tagged out of nt20 (not its native VLAN). */
    send(&r, &br, 3, MAC_B, MAC_BCAST, TAG(10));
    expect_outs(&r, 3, 1, 0, 2, TAG(10), 4, 0);

    /* Tagged 20 from the trunk: tagged out of nu10 (trunked, not native)
     * and tagged out of nt20 (native-tagged keeps the tag). */
    send(&r, &br, 3, MAC_B, MAC_BCAST, TAG(20));
    expect_outs(&r, 2, 1, TAG(20), 2, TAG(20));

    /* Untagged on native-tagged: VLAN 20. */
    send(&r, &br, 2, MAC_C, MAC_BCAST, 0);
    expect_outs(&r, 2, 1, TAG(20), 3, TAG(20));

    /* Tagged in the native VLAN is accepted on a native port too. */
    send(&r, &br, 1, MAC_A, MAC_BCAST, TAG(10));
    expect_outs(&r, 3, 2, TAG(10), 3, TAG(10), 4, 0);

    /* VLAN 30 is not in nu10's trunks. */
    send(&r, &br, 1, MAC_A, MAC_BCAST, TAG(30));
    expect_outs(&r, 0);
    assert_non_null(r.res.drop_reason);

    /* Untagged on the plain trunk is VLAN 0, which native ports never
     * trunk. */
    send(&r, &br, 3, MAC_B, MAC_BCAST, 0);
    expect_outs(&r, 0);

    run_uninit(&r);
}

/* Learned unicast, learned port == input port, MAC move, no learning. */
static void
test_learning_forwarding(void **state)
{
    struct ft_xport ports[] = {
        port(1, "p1", FT_VLAN_TRUNK, -1, NULL),
        port(2, "p2", FT_VLAN_TRUNK, -1, NULL),
        port(3, "p3", FT_VLAN_TRUNK, -1, NULL),
    };
    struct ft_mac_learning *ml = ft_mac_learning_create(0, 0);
    struct ft_xbridge br = bridge(ports, 3, ml);
    struct ft_mac_learning_stats stats;
    struct ft_flow flow;
    struct run r;

    run_init(&r);

    send(&r, &br, 1, MAC_A, MAC_BCAST, 0);
    expect_outs(&r, 2, 2, 0, 3, 0);
    expect_trace(&r, "     -> learned that 02:00:00:00:00:0a is on port p1 "
                 "in VLAN 0\n");

    /* Unknown unicast floods. */
    send(&r, &br, 2, MAC_B, MAC_C, 0);
    expect_outs(&r, 2, 1, 0, 3, 0);

    /* Learned unicast goes to the one port. */
    send(&r, &br, 2, MAC_B, MAC_A, 0);
    expect_outs(&r, 1, 1, 0);
    expect_trace(&r, "     -> forwarding to learned port\n");
    /* Only a refresh: no "learned that" line. */
    assert_false(trace_has(&r, "learned that"));
    send(&r, &br, 1, MAC_A, MAC_B, 0);
    expect_outs(&r, 1, 2, 0);

    /* Destination learned on the input port: dropped. */
    send(&r, &br, 2, MAC_C, MAC_B, 0);
    expect_outs(&r, 0);
    assert_string_equal(r.res.drop_reason, "learned port is input port");
    expect_trace(&r, "     -> learned port is input port, dropping\n");

    /* A moves to p3. */
    send(&r, &br, 3, MAC_A, MAC_BCAST, 0);
    expect_outs(&r, 2, 1, 0, 2, 0);
    expect_trace(&r, "learned that 02:00:00:00:00:0a is on port p3 in VLAN "
                 "0");
    send(&r, &br, 2, MAC_B, MAC_A, 0);
    expect_outs(&r, 1, 3, 0);
    ft_mac_learning_get_stats(ml, &stats);
    assert_int_equal(stats.n_moved, 1);
    assert_int_equal(stats.n_learned, 3);

    /* Without may_learn nothing is learned (a trace, for instance). */
    flow = make_flow(1, (struct ft_eth_addr) { { 0x02, 0, 0, 0, 0, 0x0d } },
                     MAC_B, 0);
    run_flow(&r, &br, &flow, 1000, false);
    expect_outs(&r, 1, 2, 0);
    assert_false(trace_has(&r, "learned that"));
    assert_int_equal(ft_mac_learning_count(ml), 3);

    /* A multicast source is forwarded but not learned. */
    send(&r, &br, 1, MAC_BCAST, MAC_B, 0);
    expect_outs(&r, 1, 2, 0);
    assert_int_equal(ft_mac_learning_count(ml), 3);

    /* After aging out, A's destination floods again. */
    flow = make_flow(2, MAC_B, MAC_A, 0);
    run_flow(&r, &br, &flow, 1000 + 301 * 1000, false);
    expect_outs(&r, 2, 1, 0, 3, 0);

    /* An entry for a port the bridge no longer has. */
    ft_mac_learning_learn(ml, MAC_C, 0, 9, 1000);
    send(&r, &br, 1, MAC_A, MAC_C, 0);
    expect_outs(&r, 0);
    assert_string_equal(r.res.drop_reason, "learned port is unknown");
    expect_trace(&r, "     >> learned port is unknown, dropping\n");

    run_uninit(&r);
    ft_mac_learning_destroy(ml);
}

/* The bits the decision depends on are un-wildcarded, no others. */
static void
test_wildcards(void **state)
{
    struct ft_xport ports[] = {
        port(1, "p1", FT_VLAN_TRUNK, -1, NULL),
        port(2, "p2", FT_VLAN_TRUNK, -1, NULL),
        port(3, "a5", FT_VLAN_ACCESS, 5, NULL),
    };
    struct ft_mac_learning *ml = ft_mac_learning_create(0, 0);
    struct ft_xbridge br = bridge(ports, 3, ml);
    struct ft_flow expect;
    struct run r;

    run_init(&r);

    /* Tagged trunk to trunk, tag unchanged. */
    send(&r, &br, 1, MAC_A, MAC_B, TAG(7) | PCP(2));
    expect_outs(&r, 1, 2, TAG(7) | PCP(2));
    ft_flow_zero(&expect);
    expect.in_port = UINT32_MAX;
    memset(&expect.dl_src, 0xff, sizeof expect.dl_src);
    memset(&expect.dl_dst, 0xff, sizeof expect.dl_dst);
    expect.vlans[0].tci = FT_VLAN_VID_MASK | FT_VLAN_CFI;
    assert_true(ft_flow_equal(&r.wc, &expect));

    /* Untagged: dl_type is consulted too (partial tag check). */
    send(&r, &br, 1, MAC_A, MAC_B, 0);
    expect.dl_type = UINT16_MAX;
    assert_true(ft_flow_equal(&r.wc, &expect));

    /* Bits already in 'wc' are kept (OR, not overwrite). */
    ft_flow_zero(&r.wc);
    r.wc.nw_dst = UINT32_MAX;
    {
        struct ft_flow flow = make_flow(1, MAC_A, MAC_B, 0);

        ft_normal_xlate(&br, &flow, &r.wc, 1000, true, &r.res, NULL);
    }
    assert_int_equal(r.wc.nw_dst, UINT32_MAX);
    assert_int_equal(r.wc.in_port, UINT32_MAX);

    /* Double tagged frame in VLAN 5: the access port's eligibility depends
     * on the inner tag, so the inner VID and CFI are matched. */
    {
        struct ft_flow flow = make_flow(1, MAC_C, MAC_BCAST, TAG(5));

        flow.vlans[0].tpid = FT_ETH_TYPE_VLAN_AD;
        flow.vlans[1].tpid = FT_ETH_TYPE_VLAN;
        flow.vlans[1].tci = TAG(100);
        run_flow(&r, &br, &flow, 1000, true);
        expect_outs(&r, 1, 2, TAG(5));
        assert_int_equal(r.wc.vlans[1].tci, FT_VLAN_VID_MASK | FT_VLAN_CFI);

        flow.vlans[1].tci = 0;
        flow.vlans[1].tpid = 0;
        run_flow(&r, &br, &flow, 1000, true);
        expect_outs(&r, 2, 2, TAG(5), 3, 0);
    }

    run_uninit(&r);
    ft_mac_learning_destroy(ml);
}

/* Frames NORMAL drops before learning. */
static void
test_drops(void **state)
{
    struct ft_xport ports[] = {
        port(1, "p1", FT_VLAN_TRUNK, -1, NULL),
        port(2, "p2", FT_VLAN_TRUNK, -1, NULL),
    };
    static const struct ft_eth_addr reserved[] = {
        { { 0x01, 0x80, 0xc2, 0x00, 0x00, 0x00 } },    /* STP. */
        { { 0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e } },    /* LLDP. */
        { { 0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc } },    /* CDP. */
        { { 0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xc5 } },    /* Cisco CFM. */
    };
    static const struct ft_eth_addr not_reserved[] = {
        { { 0x01, 0x80, 0xc2, 0x00, 0x00, 0x10 } },
        { { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } },
        { { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 } },
    };
    struct ft_mac_learning *ml = ft_mac_learning_create(0, 0);
    struct ft_xbridge br = bridge(ports, 2, ml);
    struct ft_flow flow;
    struct run r;

    run_init(&r);

    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        send(&r, &br, 1, MAC_A, reserved[i], 0);
        expect_outs(&r, 0);
        assert_string_equal(r.res.drop_reason,
                            "packet has reserved destination MAC");
        expect_trace(&r, "     -> packet has reserved destination MAC, "
                     "dropping\n");
    }
    /* Not learned from dropped frames. */
    assert_int_equal(ft_mac_learning_count(ml), 0);

    for (size_t i = 0; i < sizeof not_reserved / sizeof not_reserved[0];
         i++) {
        send(&r, &br, 1, MAC_A, not_reserved[i], 0);
        expect_outs(&r, 1, 2, 0);
    }

    /* Partial VLAN tag. */
    flow = make_flow(1, MAC_A, MAC_B, 0);
    flow.dl_type = FT_ETH_TYPE_VLAN;
    run_flow(&r, &br, &flow, 1000, true);
    expect_outs(&r, 0);
    assert_string_equal(r.res.drop_reason, "partial VLAN tag");
    expect_trace(&r, "     >> partial VLAN tag, dropping\n");

    /* Unknown input port. */
    send(&r, &br, 7, MAC_A, MAC_B, 0);
    expect_outs(&r, 0);
    assert_string_equal(r.res.drop_reason, "no input bundle");

    /* From the controller: any VLAN, flooded everywhere, never learned. */
    send(&r, &br, FT_PORT_CONTROLLER, MAC_C, MAC_BCAST, TAG(42));
    expect_outs(&r, 2, 1, TAG(42), 2, TAG(42));
    assert_int_equal(ft_mac_learning_lookup(ml, MAC_C, 42, 1000),
                     FT_PORT_NONE);

    run_uninit(&r);
    ft_mac_learning_destroy(ml);
}

/* Without a MAC table NORMAL only floods; outputs ascend by port. */
static void
test_no_table_and_order(void **state)
{
    struct ft_xport ports[] = {
        port(2, "p2", FT_VLAN_TRUNK, -1, NULL),
        port(5, "p5", FT_VLAN_TRUNK, -1, NULL),
        port(9, "p9", FT_VLAN_ACCESS, 0, NULL),
        port(40, NULL, FT_VLAN_TRUNK, -1, NULL),
    };
    struct ft_xbridge br = bridge(ports, 4, NULL);
    struct run r;

    run_init(&r);
    send(&r, &br, 5, MAC_A, MAC_B, 0);
    expect_outs(&r, 3, 2, 0, 9, 0, 40, 0);
    send(&r, &br, 5, MAC_B, MAC_A, 0);
    expect_outs(&r, 3, 2, 0, 9, 0, 40, 0);

    /* A port without a name is traced by number. */
    send(&r, &br, 40, MAC_A, MAC_B, TAG(3));
    expect_outs(&r, 2, 2, TAG(3), 5, TAG(3));
    br.ml = ft_mac_learning_create(0, 0);
    send(&r, &br, 40, MAC_A, MAC_B, 0);
    expect_trace(&r, "learned that 02:00:00:00:00:0a is on port 40 in "
                 "VLAN 0");
    ft_mac_learning_destroy(br.ml);
    run_uninit(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_access_vlans_flood),
        cmocka_unit_test(test_trunk_allowed_vlans),
        cmocka_unit_test(test_trunk_access_tagging),
        cmocka_unit_test(test_native_vlans),
        cmocka_unit_test(test_learning_forwarding),
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_drops),
        cmocka_unit_test(test_no_table_and_order),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test-megaflow.c - unit tests for a bridge's megaflows and their tiers
 * (mgmt/bridge/megaflow.h): placement in the policy order with every
 * refusal kept, a full tier freeing room, counters of several tiers summed
 * into the OpenFlow rules, changes of actions in the tier that holds a
 * megaflow, and a holder that fails one; a device that keeps a megaflow
 * in a slower tier than its provider's; a revalidator pass in slices:
 * counters read once, shorter slices while upcalls come, no megaflow
 * installed during the pass walked by it.
 *
 * The hw and kernel tiers are the scriptable dummy provider
 * (offload/offload-dummy.h): its refusals are scripted and its counters
 * are what the test credits, never a measurement.  The userspace
 * datapath is real: packets go through veth pairs in a network namespace
 * of the test's own (tests/unit/bridge-harness.h), so the tests need root
 * and skip without it.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <errno.h>
#include <unistd.h>

#include <cmocka.h>

#include "bridge-harness.h"
#include "mgmt/bridge/bridge-private.h"
#include "mgmt/bridge/bridge.h"
#include "offload/offload-dummy.h"

/* What a test keeps of one megaflow from dump-dp-flows. */
struct dp_flow {
    struct ft_match match;
    enum ft_tier tier;
    struct ft_stats total;
    struct ft_tier_stats tiers;
    char text[1024];
};

struct dp_flows {
    struct dp_flow flows[8];
    size_t n;
};

static void
collect_cb(const struct ft_bridge_dp_flow *f, void *aux)
{
    struct dp_flows *d = aux;
    struct ds s = DS_EMPTY_INITIALIZER;
    struct dp_flow *df;

    assert_true(d->n < 8);
    df = &d->flows[d->n++];
    df->match = *f->match;
    df->tier = f->tier;
    df->total = f->stats;
    df->tiers = f->tier_stats;
    ft_bridge_format_dp_flow(f, now_ms(), &s);
    snprintf(df->text, sizeof df->text, "%s", ds_cstr(&s));
    ds_destroy(&s);
}

/* The megaflow for UDP destination port 'tp_dst', which must exist. */
static struct dp_flow
find_dp_flow(struct ft_bridge *br, uint16_t tp_dst)
{
    struct dp_flows d = { .n = 0 };

    ft_bridge_dump_dp_flows(br, collect_cb, &d);
    for (size_t i = 0; i < d.n; i++) {
        if (d.flows[i].match.mask.tp_dst
            && d.flows[i].match.flow.tp_dst == tp_dst) {
            return d.flows[i];
        }
    }
    fail_msg("no megaflow for tp_dst=%u among %zu", tp_dst, d.n);
    return d.flows[0];
}

static struct ft_offload *
attach_dummy(struct ft_bridge *br, enum ft_tier tier)
{
    struct ft_offload *o;
    struct ft_error err;

    assert_int_equal(ft_offload_create(&ft_offload_dummy_class,
                                       tier == FT_TIER_HW ? "dummy-hw"
                                                          : "dummy-kernel",
                                       tier, &o, &err), 0);
    assert_int_equal(ft_bridge_offload_attach(br, o), 0);
    return o;
}

/* A switch whose bridge has 'hw-offload' and 'max-idle' (if nonnull), with
 * rules sending UDP ports 7 and 8 to port 2 above NORMAL. */
static struct ft_bridge *
make_tier_switch(bool with_c, const char *hw_offload, const char *max_idle)
{
    char *keys[2], *values[2];
    struct ft_bridge *br;
    struct ft_error err;
    size_t n = 0;

    keys[n] = "hw-offload";
    values[n++] = (char *) hw_offload;
    if (max_idle) {
        keys[n] = "max-idle";
        values[n++] = (char *) max_idle;
    }
    br = make_switch(with_c, keys, values, n);
    assert_int_equal(lines_mod(br, FT_FLOW_ADD, "priority=100,udp,tp_dst=7,"
                               "actions=output:2", 0, NULL, &err), 0);
    assert_int_equal(lines_mod(br, FT_FLOW_ADD, "priority=100,udp,tp_dst=8,"
                               "actions=output:2", 0, NULL, &err), 0);
    return br;
}

struct rule_count {
    uint16_t tp_dst;
    uint64_t n_packets;
};

static void
rule_count_cb(const struct ft_ofrule *rule, void *aux)
{
    struct rule_count *rc = aux;

    if (rule->spec.match.mask.tp_dst
        && rule->spec.match.flow.tp_dst == rc->tp_dst) {
        rc->n_packets = rule->stats.n_packets;
    }
}

/* The n_packets of the rule for UDP port 'tp_dst'. */
static uint64_t
rule_packets(struct ft_bridge *br, uint16_t tp_dst)
{
    struct rule_count rc = { tp_dst, UINT64_MAX };

    ft_bridge_dump_flows(br, FT_TABLE_ALL, NULL, 0, 0, rule_count_cb, &rc);
    assert_true(rc.n_packets != UINT64_MAX);
    return rc.n_packets;
}

/* Sends one UDP frame to port 'tp_dst' from a0p and checks it arrives at
 * peer 'to'. */
static void
send_udp(struct ft_bridge *br, uint16_t tp_dst, int to, uint32_t tag)
{
    inject(0, 1, 2, FT_IPPROTO_UDP, tp_dst, tag);
    assert_true(expect_tag(br, peer_fd[to], tag, 1000));
}

/* hw refuses a field, kernel takes the megaflow; dump-dp-flows shows both
 * facts; what the slow path and the kernel tier counted sums into the
 * rule's n_packets. */
static void
test_refusal_and_fallback(void **state)
{
    struct ft_offload *hw, *kernel;
    struct ft_bridge_stats st;
    struct ft_bridge *br;
    struct dp_flow df;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_tier_switch(false, "true", NULL);
    hw = attach_dummy(br, FT_TIER_HW);
    kernel = attach_dummy(br, FT_TIER_KERNEL);
    assert_int_equal(ft_offload_dummy_refuse_field(hw, "tp_dst"), 0);

    send_udp(br, 7, 1, 0x71000001);
    df = find_dp_flow(br, 7);
    assert_int_equal(df.tier, FT_TIER_KERNEL);
    assert_non_null(strstr(df.text, ", tier:kernel, not in hw: dummy-hw: "
                           "cannot offload match on tp_dst, actions:2"));
    assert_int_equal(ft_offload_dummy_n_flows(hw), 0);
    assert_int_equal(ft_offload_dummy_n_flows(kernel), 1);
    ft_bridge_get_stats(br, &st);
    assert_int_equal(st.n_megaflows, 1);
    assert_int_equal(st.n_megaflows_tier[FT_TIER_KERNEL], 1);
    assert_int_equal(st.n_megaflows_tier[FT_TIER_USER], 0);

    /* The dummy kernel tier forwards nothing, so this packet climbs to
     * the datapath again: counted there, once. */
    send_udp(br, 7, 1, 0x71000002);
    assert_int_equal(ft_offload_dummy_credit(kernel, &df.match, 10, 1000,
                                             now_ms()), 1);
    ft_bridge_revalidate(br, now_ms());
    df = find_dp_flow(br, 7);
    assert_int_equal(df.tiers.tier[FT_TIER_KERNEL].n_packets, 10);
    assert_int_equal(df.tiers.tier[FT_TIER_USER].n_packets, 2);
    assert_int_equal(df.total.n_packets, 12);
    assert_int_equal(rule_packets(br, 7), 12);

    /* A second pass credits nothing twice. */
    ft_bridge_revalidate(br, now_ms());
    assert_int_equal(rule_packets(br, 7), 12);
    destroy_switch(br);
}

/* A full tier sends a megaflow to the next; when room frees it moves back,
 * its counters continuing. */
static void
test_full_tier_and_room(void **state)
{
    struct ft_bridge_stats st;
    struct ft_offload *hw;
    struct ft_bridge *br;
    struct dp_flow a, b;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_tier_switch(false, "true", "1000");
    hw = attach_dummy(br, FT_TIER_HW);
    ft_offload_dummy_set_max_flows(hw, 1);

    send_udp(br, 7, 1, 0x72000001);         /* A: in hw. */
    send_udp(br, 8, 1, 0x72000002);         /* B: hw full, in user. */
    a = find_dp_flow(br, 7);
    b = find_dp_flow(br, 8);
    assert_int_equal(a.tier, FT_TIER_HW);
    assert_int_equal(b.tier, FT_TIER_USER);
    assert_non_null(strstr(b.text, "not in hw: dummy-hw: table full (1 "
                           "rules)"));
    assert_non_null(strstr(b.text, "not in kernel: no offload provider"));

    /* B keeps being used, A does not: A expires and frees room. */
    usleep(700 * 1000);
    send_udp(br, 8, 1, 0x72000003);
    send_udp(br, 8, 1, 0x72000004);
    ft_bridge_revalidate(br, now_ms() + 400);
    ft_bridge_get_stats(br, &st);
    assert_int_equal(st.n_megaflows, 1);
    assert_int_equal(st.n_megaflows_moved, 1);
    b = find_dp_flow(br, 8);
    assert_int_equal(b.tier, FT_TIER_HW);
    assert_non_null(strstr(b.text, ", tier:hw, actions:2"));
    assert_int_equal(b.tiers.tier[FT_TIER_USER].n_packets, 3);
    assert_int_equal(ft_offload_dummy_n_flows(hw), 1);

    /* Its counters continue in hw, never counted twice. */
    ft_offload_dummy_credit(hw, &b.match, 5, 500, now_ms());
    ft_bridge_revalidate(br, now_ms());
    b = find_dp_flow(br, 8);
    assert_int_equal(b.total.n_packets, 8);
    assert_int_equal(rule_packets(br, 8), 8);
    destroy_switch(br);
}

/* A rule change re-translates a megaflow held by a provider and changes
 * it there; a provider failing a change loses the megaflow to the next
 * tier, nothing lost. */
static void
test_modify_in_provider(void **state)
{
    struct ft_offload_dummy_calls calls;
    const struct ft_dp_actions *acts;
    struct ft_offload *hw;
    struct ft_bridge *br;
    struct ft_error err;
    struct dp_flow a;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_tier_switch(true, "true", NULL);
    hw = attach_dummy(br, FT_TIER_HW);
    send_udp(br, 7, 1, 0x73000001);
    a = find_dp_flow(br, 7);
    assert_int_equal(a.tier, FT_TIER_HW);

    assert_int_equal(lines_mod(br, FT_FLOW_MODIFY_STRICT,
                               "priority=100,udp,tp_dst=7,actions=output:3",
                               0, NULL, &err), 0);
    ft_bridge_revalidate(br, now_ms());
    acts = ft_offload_dummy_find(hw, &a.match);
    assert_non_null(acts);
    assert_int_equal(acts->n, 1);
    assert_int_equal(acts->acts[0].port, 3);
    ft_offload_dummy_get_calls(hw, &calls);
    assert_int_equal(calls.flow_modify, 1);
    assert_int_equal(calls.flow_del, 0);
    assert_int_equal(find_dp_flow(br, 7).tier, FT_TIER_HW);

    /* Now the provider fails the next change. */
    ft_offload_dummy_credit(hw, &a.match, 40, 4000, now_ms());
    ft_offload_dummy_fail_modifies(hw, 1);
    assert_int_equal(lines_mod(br, FT_FLOW_MODIFY_STRICT,
                               "priority=100,udp,tp_dst=7,actions=output:2",
                               0, NULL, &err), 0);
    ft_bridge_revalidate(br, now_ms());
    a = find_dp_flow(br, 7);
    assert_int_equal(a.tier, FT_TIER_USER);
    assert_non_null(strstr(a.text, "not in hw: dummy-hw: rule update "
                           "failed (scripted failure)"));
    assert_int_equal(ft_offload_dummy_n_flows(hw), 0);
    assert_int_equal(a.tiers.tier[FT_TIER_HW].n_packets, 40);
    assert_int_equal(rule_packets(br, 7), 41);

    /* The datapath holds it now, with the new actions: no upcall. */
    send_udp(br, 7, 1, 0x73000002);
    ft_bridge_revalidate(br, now_ms());
    a = find_dp_flow(br, 7);
    assert_int_equal(a.tiers.tier[FT_TIER_USER].n_packets, 2);
    assert_int_equal(rule_packets(br, 7), 42);
    destroy_switch(br);
}

/* The flow limit counts the megaflows of every tier. */
static void
test_flow_limit_all_tiers(void **state)
{
    char *keys[] = { "hw-offload", "flow-limit" };
    char *values[] = { "true", "1" };
    struct ft_bridge_stats st;
    struct ft_bridge *br;
    struct ft_error err;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_switch(false, keys, values, 2);
    for (int port = 7; port <= 8; port++) {
        char rule[64];

        snprintf(rule, sizeof rule, "priority=100,udp,tp_dst=%d,"
                 "actions=output:2", port);
        assert_int_equal(lines_mod(br, FT_FLOW_ADD, rule, 0, NULL, &err), 0);
    }
    attach_dummy(br, FT_TIER_HW);
    send_udp(br, 7, 1, 0x74000001);
    /* Another megaflow: over the limit, forwarded all the same. */
    send_udp(br, 8, 1, 0x74000002);
    ft_bridge_get_stats(br, &st);
    assert_int_equal(st.n_megaflows, 1);
    assert_int_equal(st.n_megaflows_tier[FT_TIER_HW], 1);
    assert_true(st.n_flow_limit_hits >= 1);
    destroy_switch(br);
}

/* Policy: hw-offload off (the default) and a tier order keep megaflows out
 * of tiers with that reason; an interface overrides its bridge; turning
 * hw-offload off takes every megaflow out of hw. */
static void
test_policy(void **state)
{
    char *keys[] = { "hw-offload", "tier-order" };
    char *values[] = { "true", "user" };
    char *pkeys[] = { "hw-offload" }, *pvalues[] = { "false" };
    struct ft_bridge_cfg cfg;
    struct ft_offload *hw;
    struct ft_bridge *br;
    struct ft_error err;
    struct dp_flow a;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_tier_switch(false, "false", NULL);
    hw = attach_dummy(br, FT_TIER_HW);
    send_udp(br, 7, 1, 0x75000001);
    a = find_dp_flow(br, 7);
    assert_int_equal(a.tier, FT_TIER_USER);
    assert_non_null(strstr(a.text, "not in hw: hw-offload is off "
                           "(other_config:hw-offload=true turns it on)"));

    /* Bridge hw-offload=true, but the input port says false. */
    memset(&cfg, 0, sizeof cfg);
    cfg.ports = port_cfgs;
    cfg.n_ports = n_port_cfgs;
    cfg.other_config.keys = keys;
    cfg.other_config.values = values;
    cfg.other_config.n = 1;
    port_cfgs[0].other_config.keys = pkeys;
    port_cfgs[0].other_config.values = pvalues;
    port_cfgs[0].other_config.n = 1;
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err), 0);
    send_udp(br, 7, 1, 0x75000002);
    a = find_dp_flow(br, 7);
    assert_int_equal(a.tier, FT_TIER_USER);
    assert_non_null(strstr(a.text, "not in hw: hw-offload is off"));

    /* The port follows the bridge again: into hw. */
    port_cfgs[0].other_config.n = 0;
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err), 0);
    send_udp(br, 7, 1, 0x75000003);
    assert_int_equal(find_dp_flow(br, 7).tier, FT_TIER_HW);
    assert_int_equal(ft_offload_dummy_n_flows(hw), 1);

    /* A tier order without hw: out of hw at once, and said why. */
    cfg.other_config.n = 2;
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err), 0);
    assert_int_equal(ft_offload_dummy_n_flows(hw), 0);
    send_udp(br, 7, 1, 0x75000004);
    a = find_dp_flow(br, 7);
    assert_int_equal(a.tier, FT_TIER_USER);
    assert_non_null(strstr(a.text, "not in hw: not in "
                           "other_config:tier-order"));
    /* Every packet counted once, across the flushes. */
    ft_bridge_revalidate(br, now_ms());
    assert_int_equal(rule_packets(br, 7), 4);

    /* Bad values are refused with the reason, and change nothing. */
    values[1] = "hw,disk";
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err),
                     -EINVAL);
    assert_non_null(strstr(err.reason, "tier-order: 'disk' is not a tier"));
    values[1] = "user,user";
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err),
                     -EINVAL);
    assert_non_null(strstr(err.reason, "user appears twice"));
    values[1] = "user";
    pvalues[0] = "maybe";
    port_cfgs[0].other_config.n = 1;
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err),
                     -EINVAL);
    assert_non_null(strstr(err.reason, "a0: other_config:hw-offload: "
                           "'maybe' is not true or false"));
    port_cfgs[0].other_config.n = 0;
    destroy_switch(br);
}

/* A device that decides per rule where it goes (TC with neither skip
 * flag) keeps a megaflow in the kernel: the megaflow is reported there,
 * held by the hw tier's provider, with the device's words for hw; its
 * counts are the kernel tier's.  With a tier order without kernel, it is
 * not left there: refused, with both reasons, and in userspace. */
static void
test_device_decides_tier(void **state)
{
    char *keys[] = { "hw-offload", "tier-order" };
    char *values[] = { "true", "hw,user" };
    struct ft_bridge_stats st;
    struct ft_bridge_cfg cfg;
    struct ft_offload *hw;
    struct ft_bridge *br;
    struct ft_error err;
    struct dp_flow a;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_tier_switch(false, "true", NULL);
    hw = attach_dummy(br, FT_TIER_HW);
    assert_int_equal(ft_offload_dummy_keep_slower(hw, "tp_dst"), 0);
    assert_int_equal(ft_offload_dummy_keep_slower(hw, "tp_dsx"), -EINVAL);
    assert_int_equal(ft_offload_dummy_keep_slower(hw, "tp_dst"), 0);

    send_udp(br, 7, 1, 0x76000001);
    a = find_dp_flow(br, 7);
    assert_int_equal(a.tier, FT_TIER_KERNEL);
    assert_non_null(strstr(a.text, ", offloaded:no, dp:dummy, tier:kernel, "
                           "not in hw: dummy-hw: cannot offload match on "
                           "tp_dst (kept in the kernel), actions:2"));
    assert_int_equal(ft_offload_dummy_n_flows(hw), 1);
    ft_bridge_get_stats(br, &st);
    assert_int_equal(st.n_megaflows_tier[FT_TIER_KERNEL], 1);
    assert_int_equal(st.n_megaflows_tier[FT_TIER_HW], 0);

    /* What the device counted is the kernel tier's, added once. */
    assert_int_equal(ft_offload_dummy_credit(hw, &a.match, 10, 1000,
                                             now_ms()), 1);
    ft_bridge_revalidate(br, now_ms());
    ft_bridge_revalidate(br, now_ms());
    a = find_dp_flow(br, 7);
    assert_int_equal(a.tiers.tier[FT_TIER_KERNEL].n_packets, 10);
    assert_int_equal(a.tiers.tier[FT_TIER_HW].n_packets, 0);
    assert_int_equal(a.tiers.tier[FT_TIER_USER].n_packets, 1);
    assert_int_equal(rule_packets(br, 7), 11);

    /* hw,user: the device would keep it in the kernel, not in the
     * order: userspace, and nothing left in the device. */
    memset(&cfg, 0, sizeof cfg);
    cfg.ports = port_cfgs;
    cfg.n_ports = n_port_cfgs;
    cfg.other_config.keys = keys;
    cfg.other_config.values = values;
    cfg.other_config.n = 2;
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err), 0);
    send_udp(br, 7, 1, 0x76000002);
    a = find_dp_flow(br, 7);
    assert_int_equal(a.tier, FT_TIER_USER);
    assert_non_null(strstr(a.text, "not in hw: dummy-hw: cannot offload "
                           "match on tp_dst (kept in the kernel) (and "
                           "kernel is not in other_config:tier-order)"));
    assert_int_equal(ft_offload_dummy_n_flows(hw), 0);
    ft_bridge_get_stats(br, &st);
    assert_int_equal(st.n_megaflows_tier[FT_TIER_KERNEL], 0);
    assert_int_equal(st.n_megaflows_tier[FT_TIER_USER], 1);

    /* The same when the device says where it put the rule only at
     * commit, as TC does for a batch. */
    ft_offload_dummy_defer_refusals(hw, true);
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err), 0);
    send_udp(br, 8, 1, 0x76000003);
    a = find_dp_flow(br, 8);
    assert_int_equal(a.tier, FT_TIER_USER);
    assert_non_null(strstr(a.text, "not in hw: dummy-hw: cannot offload "
                           "match on tp_dst (kept in the kernel) (and "
                           "kernel is not in other_config:tier-order)"));
    assert_int_equal(ft_offload_dummy_n_flows(hw), 0);
    destroy_switch(br);
}

/* A provider that batches its puts answers later: a megaflow it then
 * refuses goes to the next tier with the provider's reason, counted
 * there and only there; one it takes stays, and nothing is left of the
 * refused one in the provider. */
static void
test_batched_refusal(void **state)
{
    struct ft_offload *hw, *kernel;
    struct ft_bridge_stats st;
    struct ft_bridge *br;
    struct ft_error err;
    struct dp_flow a, b;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_tier_switch(false, "true", NULL);
    hw = attach_dummy(br, FT_TIER_HW);
    kernel = attach_dummy(br, FT_TIER_KERNEL);
    ft_offload_dummy_defer_refusals(hw, true);
    ft_offload_dummy_refuse_action(hw, FT_DPA_SET_IPV4);
    assert_int_equal(lines_mod(br, FT_FLOW_ADD, "priority=100,udp,tp_dst=9,"
                               "actions=mod_nw_tos:4,output:2", 0, NULL,
                               &err), 0);

    send_udp(br, 7, 1, 0x77000001);         /* Taken by hw. */
    send_udp(br, 9, 1, 0x77000002);         /* Refused by hw, later. */
    a = find_dp_flow(br, 7);
    b = find_dp_flow(br, 9);
    assert_int_equal(a.tier, FT_TIER_HW);
    assert_int_equal(b.tier, FT_TIER_KERNEL);
    assert_non_null(strstr(b.text, ", tier:kernel, not in hw: dummy-hw: "
                           "cannot offload action set(ipv4), actions:"));
    assert_int_equal(ft_offload_dummy_n_flows(hw), 1);
    assert_int_equal(ft_offload_dummy_n_flows(kernel), 1);
    ft_bridge_get_stats(br, &st);
    assert_int_equal(st.n_megaflows_tier[FT_TIER_HW], 1);
    assert_int_equal(st.n_megaflows_tier[FT_TIER_KERNEL], 1);

    assert_int_equal(ft_offload_dummy_credit(kernel, &b.match, 4, 400,
                                             now_ms()), 1);
    assert_int_equal(ft_offload_dummy_credit(hw, &b.match, 50, 5000,
                                             now_ms()), 0);
    ft_bridge_revalidate(br, now_ms());
    b = find_dp_flow(br, 9);
    assert_int_equal(b.tiers.tier[FT_TIER_HW].n_packets, 0);
    assert_int_equal(b.tiers.tier[FT_TIER_KERNEL].n_packets, 4);
    assert_int_equal(rule_packets(br, 9), 5);
    destroy_switch(br);
}

/* A pass in slices reads every megaflow's counters once, at its start
 * (a provider's read may dump whole ports), not once per slice; what it
 * read is credited. */
static void
test_sliced_pass_reads_once(void **state)
{
    struct ft_offload_dummy_calls before, after;
    struct ft_offload *hw;
    struct ft_bridge *br;
    struct dp_flow a, b;
    int slices = 0;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_tier_switch(false, "true", NULL);
    hw = attach_dummy(br, FT_TIER_HW);
    send_udp(br, 7, 1, 0x78000001);
    send_udp(br, 8, 1, 0x78000002);
    a = find_dp_flow(br, 7);
    b = find_dp_flow(br, 8);
    assert_int_equal(a.tier, FT_TIER_HW);
    assert_int_equal(b.tier, FT_TIER_HW);
    ft_offload_dummy_credit(hw, &a.match, 3, 300, now_ms());
    ft_offload_dummy_credit(hw, &b.match, 5, 500, now_ms());

    ft_offload_dummy_get_calls(hw, &before);
    do {
        slices++;
    } while (!ft_bridge_revalidator_step(br, now_ms(), 1, 0, 0));
    ft_offload_dummy_get_calls(hw, &after);
    assert_int_equal(slices, 2);
    assert_int_equal(after.flow_stats - before.flow_stats, 1);
    assert_int_equal(rule_packets(br, 7), 4);
    assert_int_equal(rule_packets(br, 8), 6);
    destroy_switch(br);
}

/* Installs 'n' megaflows of in_port 1 and IPv4 sources 'base' .. 'base' +
 * n - 1 straight into the bridge's table (no packet, no upcall), with
 * "drop" for actions. */
static void
install_megaflows(struct ft_bridge *br, uint32_t base, size_t n)
{
    struct ft_dp_actions drop = FT_DP_ACTIONS_INITIALIZER;

    for (size_t i = 0; i < n; i++) {
        struct ft_match m;
        struct ft_error err;
        uint32_t hash;

        memset(&m, 0, sizeof m);
        m.flow.in_port = 1;
        m.flow.dl_type = 0x0800;
        m.flow.nw_src = base + (uint32_t) i;
        m.mask.in_port = UINT32_MAX;
        m.mask.dl_type = UINT16_MAX;
        m.mask.nw_src = UINT32_MAX;
        ft_match_normalize(&m);
        assert_null(bridge_megaflow_find(br, &m, &hash));
        assert_non_null(bridge_megaflow_create(br, &m, hash, &drop, now_ms(),
                                               &err));
    }
}

/* Runs one slice of a pass sized for 'max_usec', or 'busy_usec' after
 * upcalls, at time 'now'; returns how many megaflows it walked and sets
 * '*done' when the pass ended. */
static uint64_t
reval_slice(struct ft_bridge *br, long long int now, uint64_t max_usec,
            uint64_t busy_usec, bool *done)
{
    uint64_t before = br->reval_active ? br->reval_flows : 0;

    *done = ft_bridge_revalidator_step(br, now, FT_BRIDGE_REVALIDATE_SLICE,
                                       max_usec, busy_usec);
    return br->reval_flows - before;
}

/* Sends a UDP frame to port 'tp_dst' from a0p and runs the bridge's
 * datapath (only: no revalidator slice) until it has handed it up. */
static void
send_upcall(struct ft_bridge *br, uint16_t tp_dst, uint32_t tag)
{
    long long int deadline = now_ms() + 2000;
    struct ft_bridge_stats st;
    uint64_t missed;

    ft_bridge_get_stats(br, &st);
    missed = st.n_missed;
    inject(0, 1, 2, FT_IPPROTO_UDP, tp_dst, tag);
    do {
        ft_bridge_run(br, now_ms());
        ft_bridge_get_stats(br, &st);
    } while (st.n_missed == missed && now_ms() < deadline);
    assert_int_equal(st.n_missed, missed + 1);
}

/* A slice run right after upcalls (new flows being set up) is sized for
 * the short time, the next one without upcalls in between for the long
 * one again, at the same pace; and a pass walks the megaflows there were
 * when it began, not those installed during it.  The times are so long
 * that every slice is fast enough to double the next one: the sizes do
 * not depend on the machine's speed.  The pass runs in the far future,
 * so that every megaflow it walks has been idle too long and goes: what
 * is left at its end is what it did not walk. */
static void
test_sliced_pass_yields_to_upcalls(void **state)
{
    const uint64_t max_usec = 60000000, busy_usec = 10000000;
    long long int later = now_ms() + 1000000;
    struct ft_bridge_stats st;
    struct ft_bridge *br;
    uint64_t total = 0, n;
    bool done;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_tier_switch(false, "false", NULL);
    install_megaflows(br, 0x0a000000, 4096);

    /* At rest: 64 megaflows, then twice as many each time. */
    for (uint64_t want = 64; want <= 256; want *= 2) {
        n = reval_slice(br, later, max_usec, busy_usec, &done);
        assert_false(done);
        assert_int_equal(n, want);
        total += n;
    }
    /* A new flow's upcall: the next slice is a sixth of its size at rest
     * (512), and the megaflow it made is not part of the pass. */
    send_upcall(br, 7, 0x78000003);
    n = reval_slice(br, later, max_usec, busy_usec, &done);
    assert_false(done);
    assert_int_equal(n, 512 * busy_usec / max_usec);
    total += n;
    /* No upcall since: the size at rest again, doubled from 512. */
    n = reval_slice(br, later, max_usec, busy_usec, &done);
    assert_false(done);
    assert_int_equal(n, 1024);
    total += n;
    do {
        total += reval_slice(br, later, max_usec, busy_usec, &done);
    } while (!done);

    assert_int_equal(total, 4096);
    ft_bridge_get_stats(br, &st);
    assert_int_equal(st.last_reval_flows, 4096);
    assert_int_equal(st.n_megaflows_expired, 4096);
    assert_int_equal(st.n_megaflows, 1);
    (void) find_dp_flow(br, 7);
    destroy_switch(br);
}

/* Wall-clock microseconds. */
static uint64_t
usec_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* The time (us) one commit takes to place 'n' megaflows again whose
 * puts a batching hw tier refused, all reported at that commit. */
static uint64_t
commit_refusals_usec(size_t n)
{
    struct ft_offload *hw;
    struct ft_bridge *br;
    uint64_t start, usec;
    struct ft_bridge_stats st;

    br = make_tier_switch(false, "true", NULL);
    hw = attach_dummy(br, FT_TIER_HW);
    ft_offload_dummy_defer_refusals(hw, true);
    assert_int_equal(ft_offload_dummy_refuse_field(hw, "nw_src"), 0);
    install_megaflows(br, 0x0b000000, n);
    start = usec_now();
    bridge_megaflows_commit(br);
    usec = usec_now() - start;
    ft_bridge_get_stats(br, &st);
    assert_int_equal(st.n_megaflows_tier[FT_TIER_HW], 0);
    assert_int_equal(st.n_megaflows_tier[FT_TIER_USER], n);
    destroy_switch(br);
    return usec ? usec : 1;
}

/* A commit that reports many refusals finds each one's megaflow without
 * walking the whole batch: a walk per refusal made 64,000 refusals in one
 * commit two billion steps (about 10 s here); found through an index,
 * they take well under a second (placing each one again in the datapath
 * included).  The bound, 2.5 s, leaves room both ways on a loaded
 * machine. */
static void
test_commit_refusals_linear(void **state)
{
    uint64_t usec;

    (void) state;
    if (!in_netns) {
        skip();
    }
    usec = commit_refusals_usec(64000);
    print_message("commit of 64,000 refusals: %"PRIu64" us\n", usec);
    assert_true(usec < 2500000);
}

/* The first slice after a table change, sized from passes that changed
 * nothing (up to FT_BRIDGE_REVALIDATE_SLICE megaflows, each cheap then),
 * stops once its time is used up, however slow each change of a rule in
 * the tier is: with 1 ms a change, a slice sized for 3 ms changes a few
 * dozen megaflows, not 4,096 (4 s in one callback of the loop).  (The
 * new rule's translation consults fields these megaflows do not match:
 * each change is a removal from the tier.) */
static void
test_slice_after_change_bounded(void **state)
{
    struct ft_offload *hw;
    struct ft_bridge *br;
    struct ft_error err;
    uint64_t start, usec, n;
    bool done;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_tier_switch(false, "true", NULL);
    hw = attach_dummy(br, FT_TIER_HW);
    install_megaflows(br, 0x0c000000, 4096);
    bridge_megaflows_commit(br);
    /* What passes at rest taught the revalidator. */
    br->reval_slice = FT_BRIDGE_REVALIDATE_SLICE;
    assert_int_equal(lines_mod(br, FT_FLOW_ADD, "priority=200,ip,"
                               "actions=output:2", 0, NULL, &err), 0);
    ft_offload_dummy_set_change_delay(hw, 1000);
    start = usec_now();
    n = reval_slice(br, now_ms(), FT_BRIDGE_REVALIDATE_SLICE_USEC,
                    FT_BRIDGE_REVALIDATE_BUSY_USEC, &done);
    usec = usec_now() - start;
    print_message("first slice after the change: %"PRIu64" megaflows in "
                  "%"PRIu64" us\n", n, usec);
    assert_false(done);
    assert_true(n >= 1);
    assert_true(n <= 128);
    assert_true(usec < 1000000);
    ft_offload_dummy_set_change_delay(hw, 0);
    destroy_switch(br);
}

/* The revalidator's period follows what a pass costs: the usual 500 ms
 * while passes are cheap, nine times a pass's work when reading the
 * counters is slow (a NIC driver walking thousands of rules), bounded by
 * a quarter of max-idle and by FT_BRIDGE_REVALIDATE_INTERVAL_MAX, and
 * back to 500 ms once passes are cheap again. */
static long long int
reval_period_after(struct ft_bridge *br, struct ft_offload *hw,
                   uint64_t delay_usec, long long int t,
                   struct ft_bridge_stats *st)
{
    ft_offload_dummy_set_stats_delay(hw, delay_usec);
    ft_bridge_revalidate(br, t);
    ft_bridge_get_stats(br, st);
    assert_true(st->last_reval_work_usec >= delay_usec);
    assert_int_equal(ft_bridge_revalidate_period(br), st->reval_period);
    return ft_bridge_next_wakeup(br) - t;
}

static void
test_reval_period_follows_work(void **state)
{
    struct ft_bridge_stats st;
    struct ft_offload *hw;
    struct ft_bridge *br;
    long long int t, want;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_tier_switch(false, "true", "4000");
    hw = attach_dummy(br, FT_TIER_HW);
    send_udp(br, 7, 1, 0x7a000001);
    t = now_ms();
    assert_int_equal(reval_period_after(br, hw, 0, t, &st),
                     FT_BRIDGE_REVALIDATE_INTERVAL);
    /* Counters that take 80 ms to read: nine times the work, at most a
     * quarter of max-idle. */
    assert_true(reval_period_after(br, hw, 80000, t, &st) >= 720);
    want = (long long int) (st.last_reval_work_usec / 1000) * 9;
    assert_int_equal(st.reval_period, want < 1000 ? want : 1000);
    assert_int_equal(ft_bridge_next_wakeup(br), t + st.reval_period);
    /* 300 ms: 2,700 ms, bounded by max-idle / 4. */
    assert_int_equal(reval_period_after(br, hw, 300000, t, &st), 1000);
    /* Cheap again: the usual period at once. */
    assert_int_equal(reval_period_after(br, hw, 0, t, &st),
                     FT_BRIDGE_REVALIDATE_INTERVAL);
    destroy_switch(br);

    /* With an hour of max-idle, the bound is
     * FT_BRIDGE_REVALIDATE_INTERVAL_MAX. */
    br = make_tier_switch(false, "true", "3600000");
    hw = attach_dummy(br, FT_TIER_HW);
    send_udp(br, 7, 1, 0x7a000002);
    assert_int_equal(reval_period_after(br, hw, 600000, now_ms(), &st),
                     FT_BRIDGE_REVALIDATE_INTERVAL_MAX);
    destroy_switch(br);
}

/* The datapath type is chosen when the bridge is created; one this build
 * lacks is refused with the reason, and so is "system" where the kernel
 * module is not loaded (the unit tests run on a kernel without it). */
static void
test_datapath_type(void **state)
{
    struct ft_bridge *br;
    struct ft_error err;

    (void) state;
    assert_int_equal(ft_bridge_create("br9", "warp", now_ms(), &br, &err),
                     -EOPNOTSUPP);
    assert_non_null(strstr(err.reason, "bridge br9: cannot create its "
                           "datapath: datapath type \"warp\" is not "
                           "available"));
    assert_int_equal(ft_bridge_create("br9", "system", now_ms(), &br, &err),
                     -EOPNOTSUPP);
    assert_non_null(strstr(err.reason, "bridge br9: cannot create its "
                           "datapath: datapath type system needs the "
                           "flowtier kernel module"));
    assert_int_equal(ft_bridge_create("br9", "netdev", now_ms(), &br, &err),
                     0);
    ft_bridge_destroy(br);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_datapath_type),
        cmocka_unit_test(test_refusal_and_fallback),
        cmocka_unit_test(test_full_tier_and_room),
        cmocka_unit_test(test_modify_in_provider),
        cmocka_unit_test(test_flow_limit_all_tiers),
        cmocka_unit_test(test_policy),
        cmocka_unit_test(test_device_decides_tier),
        cmocka_unit_test(test_batched_refusal),
        cmocka_unit_test(test_sliced_pass_reads_once),
        cmocka_unit_test(test_sliced_pass_yields_to_upcalls),
        cmocka_unit_test(test_commit_refusals_linear),
        cmocka_unit_test(test_slice_after_change_bounded),
        cmocka_unit_test(test_reval_period_follows_work),
    };

    return cmocka_run_group_tests(tests, setup_netns, teardown_netns);
}

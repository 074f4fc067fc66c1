/*
 * test-offload.c - unit tests for the offload provider dispatcher
 * (offload/offload.h) and the scriptable dummy provider the other tests
 * use (offload/offload-dummy.h).
 *
 * The dispatcher must turn every member a class leaves NULL into a
 * refusal with a reason; the dummy must refuse exactly what a test
 * scripts, with reasons that name the field, action or port, and keep
 * counters only where a test put them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>

#include <cmocka.h>

#include "offload/offload-dummy.h"
#include "offload/offload-provider.h"

static struct ft_offload *
make_dummy(enum ft_tier tier)
{
    struct ft_offload *o;
    struct ft_error err;

    assert_int_equal(ft_offload_create(&ft_offload_dummy_class,
                                       tier == FT_TIER_HW ? "dummy-hw"
                                                          : "dummy-kernel",
                                       tier, &o, &err), 0);
    return o;
}

static void
udp_match(struct ft_match *m, ft_port_no in_port, uint16_t tp_dst)
{
    memset(m, 0, sizeof *m);
    m->flow.in_port = in_port;
    m->mask.in_port = UINT32_MAX;
    m->flow.dl_type = FT_ETH_TYPE_IP;
    m->mask.dl_type = 0xffff;
    m->flow.nw_proto = 17;
    m->mask.nw_proto = 0xff;
    if (tp_dst) {
        m->flow.tp_dst = tp_dst;
        m->mask.tp_dst = 0xffff;
    }
}

static void
port_identity(struct ft_port_identity *id, ft_port_no port_no,
              const char *name)
{
    memset(id, 0, sizeof *id);
    id->port_no = port_no;
    strcpy(id->name, name);
    strcpy(id->type, "system");
    id->dpdk_port_id = -1;
}

static void
test_create_tiers(void **state)
{
    struct ft_offload *o;
    struct ft_error err;

    (void) state;
    assert_int_equal(ft_offload_create(&ft_offload_dummy_class, "x",
                                       FT_TIER_USER, &o, &err), -EINVAL);
    assert_null(o);
    assert_non_null(strstr(err.reason, "hw or the kernel tier"));
    o = make_dummy(FT_TIER_KERNEL);
    assert_string_equal(ft_offload_name(o), "dummy-kernel");
    assert_int_equal(ft_offload_tier(o), FT_TIER_KERNEL);
    ft_offload_destroy(o);
    ft_offload_destroy(NULL);
}

/* A class with nothing but create and destroy. */
struct bare {
    struct ft_offload up;
};

static int
bare_create(struct ft_offload **op, struct ft_error *err)
{
    (void) err;
    *op = calloc(1, sizeof(struct bare));
    return *op ? 0 : -ENOMEM;
}

static void
bare_destroy(struct ft_offload *o)
{
    free(o);
}

static const struct ft_offload_class bare_class = {
    .type = "bare",
    .create = bare_create,
    .destroy = bare_destroy,
};

static void
test_null_members_refuse(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_port_identity id;
    struct ft_offload_caps caps;
    struct ft_offload_flow *flow = (void *) 1;
    struct ft_offload *o;
    struct ft_stats st;
    struct ft_match m;
    struct ft_error err;

    (void) state;
    assert_int_equal(ft_offload_create(&bare_class, "bare", FT_TIER_HW, &o,
                                       &err), 0);
    port_identity(&id, 1, "p1");
    assert_int_equal(ft_offload_port_add(o, &id, &caps, &err), -EOPNOTSUPP);
    assert_string_equal(err.reason, "bare: port p1: cannot program rules "
                        "for ports");
    udp_match(&m, 1, 0);
    assert_int_equal(ft_offload_flow_put(o, &m, &acts, &flow, &err),
                     -EOPNOTSUPP);
    assert_null(flow);
    assert_string_equal(err.reason, "bare: cannot install megaflows");
    assert_int_equal(ft_offload_flow_modify(o, NULL, &acts, &err),
                     -EOPNOTSUPP);
    assert_string_equal(err.reason,
                        "bare: cannot change a rule's actions in place");
    assert_int_equal(ft_offload_flow_stats(o, &flow, 1, &st), -EOPNOTSUPP);
    assert_int_equal(ft_offload_flow_stats(o, &flow, 0, &st), 0);
    assert_int_equal(ft_offload_flush(o, FT_PORT_NONE), -EOPNOTSUPP);
    ft_offload_port_del(o, 1);
    ft_offload_destroy(o);
}

static void
test_dummy_script(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_offload *o = make_dummy(FT_TIER_HW);
    struct ft_offload_dummy_calls calls;
    struct ft_offload_flow *flow, *flow2;
    struct ft_port_identity id;
    struct ft_offload_caps caps;
    struct ft_match m;
    struct ft_error err;

    (void) state;
    /* Probe: ports are taken unless refused. */
    port_identity(&id, 1, "p1");
    assert_int_equal(ft_offload_port_add(o, &id, &caps, &err), 0);
    assert_true(caps.counters);
    ft_offload_dummy_refuse_port(o, 2, "not on this e-switch");
    port_identity(&id, 2, "p2");
    assert_int_equal(ft_offload_port_add(o, &id, &caps, &err), -EOPNOTSUPP);
    assert_string_equal(err.reason,
                        "dummy-hw: port p2: not on this e-switch");

    /* A refused field names itself, only when the mask touches it. */
    assert_int_equal(ft_offload_dummy_refuse_field(o, "no_such_field"),
                     -EINVAL);
    assert_int_equal(ft_offload_dummy_refuse_field(o, "tp_dst"), 0);
    ft_dp_actions_put_output(&acts, 2);
    udp_match(&m, 1, 7);
    assert_int_equal(ft_offload_flow_put(o, &m, &acts, &flow, &err),
                     -EOPNOTSUPP);
    assert_string_equal(err.reason, "dummy-hw: cannot offload match on "
                        "tp_dst");
    udp_match(&m, 1, 0);
    assert_int_equal(ft_offload_flow_put(o, &m, &acts, &flow, &err), 0);
    assert_int_equal(ft_offload_dummy_n_flows(o), 1);
    ft_offload_dummy_refuse_field(o, NULL);

    /* A refused action, and a refused input port. */
    ft_offload_dummy_refuse_action(o, FT_DPA_PUSH_VLAN);
    ft_dp_actions_put(&acts, FT_DPA_PUSH_VLAN);
    udp_match(&m, 1, 9);
    assert_int_equal(ft_offload_flow_put(o, &m, &acts, &flow2, &err),
                     -EOPNOTSUPP);
    assert_string_equal(err.reason, "dummy-hw: cannot offload action "
                        "push_vlan");
    ft_offload_dummy_refuse_action(o, -1);
    udp_match(&m, 2, 9);
    assert_int_equal(ft_offload_flow_put(o, &m, &acts, &flow2, &err),
                     -EOPNOTSUPP);
    assert_string_equal(err.reason, "dummy-hw: port 2: not on this "
                        "e-switch");

    /* A full table. */
    ft_offload_dummy_set_max_flows(o, 1);
    udp_match(&m, 1, 9);
    assert_int_equal(ft_offload_flow_put(o, &m, &acts, &flow2, &err),
                     -ENOSPC);
    assert_string_equal(err.reason, "dummy-hw: table full (1 rules)");
    ft_offload_dummy_set_max_flows(o, 0);
    assert_int_equal(ft_offload_flow_put(o, &m, &acts, &flow2, &err), 0);

    /* A scripted modify failure leaves the rule as it was. */
    ft_offload_dummy_fail_modifies(o, 1);
    ft_dp_actions_clear(&acts);
    ft_dp_actions_put_output(&acts, 3);
    assert_int_equal(ft_offload_flow_modify(o, flow2, &acts, &err), -EIO);
    assert_non_null(strstr(err.reason, "rule update failed"));
    assert_int_equal(ft_offload_dummy_find(o, &m)->acts[0].type,
                     FT_DPA_OUTPUT);
    assert_int_equal(ft_offload_dummy_find(o, &m)->acts[0].port, 2);
    assert_int_equal(ft_offload_flow_modify(o, flow2, &acts, &err), 0);
    assert_true(ft_dp_actions_equal(ft_offload_dummy_find(o, &m), &acts));

    /* Flushing port 1 removes both rules (both come in on it). */
    assert_int_equal(ft_offload_flush(o, 1), 0);
    assert_int_equal(ft_offload_dummy_n_flows(o), 0);
    assert_null(ft_offload_dummy_find(o, &m));

    ft_offload_dummy_get_calls(o, &calls);
    assert_int_equal(calls.port_add, 2);
    assert_int_equal(calls.flow_modify, 2);
    assert_int_equal(calls.flush, 1);
    ft_dp_actions_uninit(&acts);
    ft_offload_destroy(o);
}

/* Counters are what the test credited, read in one batch, and handed
 * back whole by a delete. */
static void
test_dummy_counters(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_offload *o = make_dummy(FT_TIER_KERNEL);
    struct ft_offload_flow *flows[3];
    struct ft_stats st[3], final;
    struct ft_match m[3];
    struct ft_error err;

    (void) state;
    ft_dp_actions_put_output(&acts, 2);
    for (int i = 0; i < 3; i++) {
        udp_match(&m[i], 1, 10 + i);
        assert_int_equal(ft_offload_flow_put(o, &m[i], &acts, &flows[i],
                                             &err), 0);
    }
    assert_int_equal(ft_offload_dummy_credit(o, &m[1], 5, 500, 1234), 1);
    assert_int_equal(ft_offload_dummy_credit(o, NULL, 1, 100, 1000), 3);
    assert_int_equal(ft_offload_flow_stats(o, flows, 3, st), 0);
    assert_int_equal(st[0].n_packets, 1);
    assert_int_equal(st[1].n_packets, 6);
    assert_int_equal(st[1].n_bytes, 600);
    assert_int_equal(st[1].used, 1234);
    assert_int_equal(st[2].n_bytes, 100);
    assert_int_equal(ft_offload_flow_del(o, flows[1], &final), 0);
    assert_int_equal(final.n_packets, 6);
    assert_int_equal(ft_offload_dummy_n_flows(o), 2);
    ft_dp_actions_uninit(&acts);
    ft_offload_destroy(o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_tiers),
        cmocka_unit_test(test_null_members_refuse),
        cmocka_unit_test(test_dummy_script),
        cmocka_unit_test(test_dummy_counters),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

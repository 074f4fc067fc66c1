/*
 * test-tc-batch.c - unit tests for the TC provider's batches of changes
 * and removals (offload/offload-tc.c, tc-del.c): the provider runs against
 * a model of the kernel's TC side (tc-nl-fake.c, linked in place of
 * tc-nl.c), which counts the round trips it makes and can refuse a
 * replace or a delete with a message, as a driver does.
 *
 * What must hold: a revalidator pass changing or removing N filters waits
 * for the kernel about N / 64 times, reads no dump, and still gets each
 * filter's exact counters; a refused change is reported with the
 * kernel's own words and its old filter removed; a failed delete is
 * reported and tried again, less and less often, until it works or is
 * given up (counted, with the kernel's words).  A clean stop deletes the
 * clsact qdisc of a port it leaves with no filter, and only that.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>

#include <cmocka.h>

#include "flowtier/dp-actions.h"
#include "flowtier/flow.h"
#include "offload/offload.h"
#include "offload/offload-tc.h"
#include "tests/unit/tc-nl-fake.h"

#define N_FLOWS 200
#define IFINDEX 7

struct fixture {
    struct tc_fake fake;
    struct ft_offload *o;
    struct ft_offload_flow *flows[N_FLOWS];
};

static void
add_port(struct ft_offload *o, ft_port_no port_no, int ifindex,
         const char *name)
{
    struct ft_port_identity id;
    struct ft_offload_caps caps;
    struct ft_error err;

    memset(&id, 0, sizeof id);
    id.port_no = port_no;
    snprintf(id.name, sizeof id.name, "%s", name);
    snprintf(id.type, sizeof id.type, "system");
    id.ifindex = ifindex;
    id.dpdk_port_id = -1;
    id.switch_id_len = 2;
    id.switch_id[0] = 0xab;
    assert_int_equal(ft_offload_port_add(o, &id, &caps, &err), 0);
}

/* Megaflow 'i': in_port 1, ip, nw_dst 10.0.i/32. */
static void
megaflow(size_t i, struct ft_match *m)
{
    memset(m, 0, sizeof *m);
    m->flow.in_port = 1;
    m->mask.in_port = UINT32_MAX;
    m->flow.dl_type = FT_ETH_TYPE_IP;
    m->mask.dl_type = 0xffff;
    m->flow.nw_dst = 0x0a000000 | (uint32_t) i;
    m->mask.nw_dst = UINT32_MAX;
}

static void
no_failure(void *aux, struct ft_offload_flow *flow, int error,
           const char *reason)
{
    (void) aux;
    (void) flow;
    fail_msg("unexpected refusal %d: %s", error, reason);
}

/* A provider serving two ports of one e-switch, with N_FLOWS filters
 * from port 1 to port 2, each of which counted 'handle * 10' packets. */
static int
setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct ft_dp_actions acts;
    struct ft_error err;

    tc_fake_init(&fx->fake);
    assert_int_equal(ft_offload_create(&ft_offload_tc_class, "tc",
                                       FT_TIER_HW, &fx->o, &err), 0);
    add_port(fx->o, 1, IFINDEX, "rep0");
    add_port(fx->o, 2, IFINDEX + 1, "rep1");
    ft_dp_actions_init(&acts);
    ft_dp_actions_put_output(&acts, 2);
    for (size_t i = 0; i < N_FLOWS; i++) {
        struct ft_match m;

        megaflow(i, &m);
        assert_int_equal(ft_offload_flow_put(fx->o, &m, &acts,
                                             &fx->flows[i], &err), 0);
    }
    ft_dp_actions_uninit(&acts);
    assert_int_equal(ft_offload_commit(fx->o, no_failure, NULL), 0);
    assert_int_equal(fx->fake.n, N_FLOWS);
    for (size_t i = 0; i < fx->fake.n; i++) {
        fx->fake.filters[i].packets = fx->fake.filters[i].handle * 10;
        fx->fake.filters[i].bytes = fx->fake.filters[i].handle * 1000;
    }
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;

    ft_offload_destroy(fx->o);
    assert_int_equal(fx->fake.n, 0);    /* Nothing of ours left. */
    free(fx);
    return 0;
}

/* What filter of 'flow' counted, from a stats read. */
static uint64_t
packets_of(struct fixture *fx, struct ft_offload_flow *flow)
{
    struct ft_stats st;

    assert_int_equal(ft_offload_flow_stats(fx->o, &flow, 1, &st), 0);
    return st.n_packets;
}

/* N removals: back to back (N / 64 waits, no dump), each with its
 * filter's last counters. */
static void
test_del_batch(void **state)
{
    struct fixture *fx = *state;
    uint64_t expect[N_FLOWS];
    struct ft_stats stats[N_FLOWS];
    int errors[N_FLOWS];
    size_t waits, dumps;

    for (size_t i = 0; i < N_FLOWS; i++) {
        expect[i] = packets_of(fx, fx->flows[i]);
        assert_true(expect[i] > 0);
    }
    waits = fx->fake.n_waits;
    dumps = fx->fake.n_dumps;
    assert_int_equal(ft_offload_flow_del_batch(fx->o, fx->flows, N_FLOWS,
                                               stats, errors), 0);
    assert_int_equal(fx->fake.n, 0);
    assert_int_equal(fx->fake.n_dumps - dumps, 0);
    assert_true(fx->fake.n_waits - waits <= (N_FLOWS + 63) / 64);
    assert_true(fx->fake.max_in_flight <= 64);
    for (size_t i = 0; i < N_FLOWS; i++) {
        assert_int_equal(errors[i], 0);
        assert_int_equal(stats[i].n_packets, expect[i]);
    }
}

/* One removal reads no dump either: the deleted filter comes back with
 * its counters. */
static void
test_del_one_no_dump(void **state)
{
    struct fixture *fx = *state;
    uint64_t expect = packets_of(fx, fx->flows[3]);
    size_t dumps = fx->fake.n_dumps, waits = fx->fake.n_waits;
    struct ft_stats st;

    assert_int_equal(ft_offload_flow_del(fx->o, fx->flows[3], &st), 0);
    assert_int_equal(st.n_packets, expect);
    assert_int_equal(fx->fake.n_dumps - dumps, 0);
    assert_int_equal(fx->fake.n_waits - waits, 1);
    assert_int_equal(fx->fake.n, N_FLOWS - 1);
    fx->flows[3] = fx->flows[N_FLOWS - 1];      /* For teardown's flush. */
}

/* A delete the kernel refuses: reported, the filter kept in mind, tried
 * again at the next commit, then after one more (the gaps grow), and
 * removed once the kernel lets it go. */
static void
test_del_refused_retried(void **state)
{
    struct fixture *fx = *state;
    struct ft_stats stats[N_FLOWS];
    int errors[N_FLOWS];
    uint32_t victim = fx->fake.filters[5].handle;
    size_t refused = 0;

    fx->fake.refuse_del = victim;
    fx->fake.refuse_msg = "ftnic: rule busy";
    assert_int_equal(ft_offload_flow_del_batch(fx->o, fx->flows, N_FLOWS,
                                               stats, errors), 1);
    for (size_t i = 0; i < N_FLOWS; i++) {
        refused += errors[i] != 0;
        if (errors[i]) {
            assert_int_equal(errors[i], -EBUSY);
        }
    }
    assert_int_equal(refused, 1);
    assert_int_equal(fx->fake.n, 1);
    assert_non_null(tc_fake_find(&fx->fake, IFINDEX, victim));

    /* Still refused: still kept. */
    assert_int_equal(ft_offload_commit(fx->o, no_failure, NULL), 0);
    assert_int_equal(fx->fake.n_del_refused, 2);
    assert_int_equal(fx->fake.n, 1);

    fx->fake.refuse_del = 0;
    assert_int_equal(ft_offload_commit(fx->o, no_failure, NULL), 0);
    assert_int_equal(fx->fake.n, 1);    /* Its turn is the next one. */
    assert_int_equal(ft_offload_commit(fx->o, no_failure, NULL), 0);
    assert_int_equal(fx->fake.n, 0);
}

/* A delete the kernel refuses for good: tried a bounded number of times
 * (less and less often as the commits go by), then given up, counted and
 * explained, not sent again at every commit for the daemon's whole
 * life. */
static void
test_del_refused_given_up(void **state)
{
    struct fixture *fx = *state;
    struct ft_stats stats[N_FLOWS];
    int errors[N_FLOWS];
    uint32_t victim = fx->fake.filters[5].handle;
    struct ft_offload_removals r;

    fx->fake.refuse_del = victim;
    fx->fake.refuse_msg = "ftnic: rule busy";
    assert_int_equal(ft_offload_flow_del_batch(fx->o, fx->flows, N_FLOWS,
                                               stats, errors), 1);
    assert_int_equal(fx->fake.n_del_refused, 1);
    ft_offload_get_removals(fx->o, &r);
    assert_int_equal(r.n_retrying, 1);
    assert_int_equal(r.n_given_up, 0);
    for (size_t i = 0; i < 1000; i++) {
        assert_int_equal(ft_offload_commit(fx->o, no_failure, NULL), 0);
    }
    /* The first delete and at most 7 more, not one a commit. */
    assert_true(fx->fake.n_del_refused <= 8);
    assert_true(fx->fake.n_del_refused >= 2);
    assert_non_null(tc_fake_find(&fx->fake, IFINDEX, victim));
    /* Counted and explained, the kernel's words in it. */
    ft_offload_get_removals(fx->o, &r);
    assert_int_equal(r.n_retrying, 0);
    assert_int_equal(r.n_given_up, 1);
    assert_non_null(strstr(r.last_given_up, "ftnic: rule busy"));
    assert_non_null(strstr(r.last_given_up, "tc filter show dev rep0 ingress"));

    /* A clean stop still removes it (it removes every filter of
     * FlowTier's on its ports). */
    fx->fake.refuse_del = 0;
}

struct refusals {
    size_t n;
    struct ft_offload_flow *flow;
    int error;
    char reason[256];
};

static void
note_failure(void *r_, struct ft_offload_flow *flow, int error,
             const char *reason)
{
    struct refusals *r = r_;

    r->n++;
    r->flow = flow;
    r->error = error;
    snprintf(r->reason, sizeof r->reason, "%s", reason);
}

/* N changes of actions: sent without waiting (a get of the old counts
 * and the replace, back to back), no dump; counters never go backwards;
 * one refusal keeps its own words and its old filter goes. */
static void
test_modify_batch(void **state)
{
    struct fixture *fx = *state;
    uint32_t victim = fx->fake.filters[9].handle;
    struct ft_offload_flow *victim_flow = NULL;
    uint64_t before[N_FLOWS];
    struct ft_dp_actions drop;
    struct refusals r;
    size_t waits, dumps;

    for (size_t i = 0; i < N_FLOWS; i++) {
        before[i] = packets_of(fx, fx->flows[i]);
        if (before[i] == victim * 10) {
            victim_flow = fx->flows[i];
        }
    }
    assert_non_null(victim_flow);
    fx->fake.refuse_replace = victim;
    fx->fake.refuse_msg = "ftnic: cannot offload action drop";
    ft_dp_actions_init(&drop);
    waits = fx->fake.n_waits;
    dumps = fx->fake.n_dumps;
    for (size_t i = 0; i < N_FLOWS; i++) {
        struct ft_error err;

        assert_int_equal(ft_offload_flow_modify(fx->o, fx->flows[i], &drop,
                                                &err), 0);
    }
    memset(&r, 0, sizeof r);
    assert_int_equal(ft_offload_commit(fx->o, note_failure, &r), 0);
    assert_int_equal(fx->fake.n_dumps - dumps, 0);
    /* Two requests a change, 64 in flight: 2 * N / 64 waits, plus the
     * commit's and the removal of the refused one's old filter. */
    assert_true(fx->fake.n_waits - waits <= (2 * N_FLOWS + 63) / 64 + 2);
    assert_int_equal(fx->fake.n_replaced, N_FLOWS - 1);
    assert_int_equal(r.n, 1);
    assert_ptr_equal(r.flow, victim_flow);
    assert_int_equal(r.error, -EOPNOTSUPP);
    assert_non_null(strstr(r.reason, "ftnic: cannot offload action drop"));
    assert_null(tc_fake_find(&fx->fake, IFINDEX, victim));
    assert_int_equal(fx->fake.n, N_FLOWS - 1);

    for (size_t i = 0; i < fx->fake.n; i++) {
        assert_string_equal(fx->fake.filters[i].action, "gact");
        fx->fake.filters[i].packets = 3;    /* The new filter's own. */
    }
    for (size_t i = 0; i < N_FLOWS; i++) {
        if (fx->flows[i] == victim_flow) {
            fx->flows[i] = NULL;
            continue;
        }
        assert_int_equal(packets_of(fx, fx->flows[i]), before[i] + 3);
    }
    ft_dp_actions_uninit(&drop);
}

/* A clean stop: port 1's qdisc, emptied of FlowTier's filters, is
 * deleted; port 2's, which holds someone else's filter, stays, and so
 * does that filter. */
static void
test_stop_drops_empty_qdisc(void **state)
{
    struct fixture *fx = *state;
    struct tc_fake_filter *other = &fx->fake.filters[fx->fake.n++];

    memset(other, 0, sizeof *other);
    other->ifindex = IFINDEX + 1;
    other->handle = 0x999;
    other->prio = 100;
    snprintf(other->action, sizeof other->action, "gact");
    other->foreign = true;
    ft_offload_destroy(fx->o);
    fx->o = NULL;
    assert_int_equal(fx->fake.n_qdiscs_deleted, 1);
    assert_int_equal(fx->fake.qdiscs_deleted[0], IFINDEX);
    assert_int_equal(fx->fake.n, 1);
    assert_true(fx->fake.filters[0].foreign);
    fx->fake.n = 0;             /* For teardown: nothing of ours left. */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_del_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_del_one_no_dump, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_del_refused_retried, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_del_refused_given_up, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_modify_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_drops_empty_qdisc, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

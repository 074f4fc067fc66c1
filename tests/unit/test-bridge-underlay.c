/*
 * test-bridge-underlay.c - unit tests of mgmt/bridge/bridge-underlay.c, the
 * bridge's resolver of tunnel remotes that its offload providers ask
 * (through ft_offload_underlay_get()): the answers, the refusal reasons a
 * provider gets from them, and which megaflows become stale when the
 * kernel's routes, neighbours, sources or egress devices change.
 *
 * The resolver reads the kernel through swpath's tnl-route.c, which has
 * no seam for a fake, so the test runs in a network namespace of its own
 * (root) and changes real routes and neighbours with ip(8).  The bridge is
 * a zeroed 'struct ft_bridge' (only its 'underlay' is used) and the
 * megaflows are records with only their match and actions filled.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/bridge/bridge-private.h"
#include "offload/offload-dummy.h"
#include "offload/offload-provider.h"

#define IP(A, B, C, D) ((uint32_t) (A) << 24 | (B) << 16 | (C) << 8 | (D))

static void
sh(const char *cmd)
{
    if (system(cmd)) {
        fail_msg("'%s' failed", cmd);
    }
}

/* d0 (10.9.0.1/16) and e0 (10.20.0.1/16, and 10.20.0.9), each the end of
 * a veth pair; 10.10.0.0/16 through the gateway 10.9.0.254. */
static int
setup(void **state)
{
    (void) state;
    if (unshare(CLONE_NEWNET)) {
        fail_msg("no network namespace of its own: %s", strerror(errno));
    }
    sh("ip link add d0 type veth peer name d1 && ip link set d1 up "
       "&& ip link set d0 up && ip addr add 10.9.0.1/16 dev d0 "
       "&& ip link add e0 type veth peer name e1 && ip link set e1 up "
       "&& ip link set e0 up && ip addr add 10.20.0.1/16 dev e0 "
       "&& ip addr add 10.20.0.9/16 dev e0 "
       "&& ip route add 10.10.0.0/16 via 10.9.0.254");
    return 0;
}

struct fixture {
    struct ft_bridge *br;
    struct ft_offload *o;       /* A provider that asks the bridge. */
};

static void
fixture_init(struct fixture *f)
{
    struct ft_error err;

    f->br = calloc(1, sizeof *f->br);
    assert_non_null(f->br);
    f->br->name = "br0";
    ft_error_clear(&err);
    if (ft_offload_create(&ft_offload_dummy_class, "hw0", FT_TIER_HW,
                          &f->o, &err)) {
        fail_msg("%s", err.reason);
    }
    ft_offload_set_underlay(f->o, bridge_underlay_resolve, f->br);
}

static void
fixture_destroy(struct fixture *f)
{
    ft_offload_destroy(f->o);
    bridge_underlay_destroy(f->br);
    free(f->br);
}

/* What a provider is told about 'dst': ft_offload_underlay_get()'s return
 * value, with the answer in '*u' and the reason in 'reason'. */
static int
ask(struct fixture *f, uint32_t dst, struct ft_offload_underlay *u,
    char reason[FT_ERROR_REASON_MAX])
{
    struct ft_error err;
    int error;

    ft_error_clear(&err);
    error = ft_offload_underlay_get(f->o, dst, u, &err);
    snprintf(reason, FT_ERROR_REASON_MAX, "%s", err.reason);
    return error;
}

/* A megaflow that encapsulates toward 'dst' (set(tunnel) and an output),
 * or, for 'decap', one of tunnel input from 'dst' (exact tun_src). */
static struct bridge_megaflow *
megaflow(uint32_t dst, bool decap)
{
    struct bridge_megaflow *mf = calloc(1, sizeof *mf);

    assert_non_null(mf);
    ft_dp_actions_init(&mf->actions);
    mf->match.flow.in_port = 1;
    mf->match.mask.in_port = UINT32_MAX;
    if (decap) {
        mf->match.flow.tun_src = dst;
        mf->match.mask.tun_src = UINT32_MAX;
        mf->match.flow.tun_id = 100;
        mf->match.mask.tun_id = UINT64_MAX;
        ft_dp_actions_put_output(&mf->actions, 2);
    } else if (dst) {
        struct ft_dpa_tunnel *t;

        t = &ft_dp_actions_put(&mf->actions, FT_DPA_SET_TUNNEL)->tunnel;
        t->dst = dst;
        t->tun_id = 100;
        ft_dp_actions_put_output(&mf->actions, 3);
    } else {
        ft_dp_actions_put_output(&mf->actions, 2);
    }
    return mf;
}

static void
megaflow_free(struct bridge_megaflow *mf)
{
    ft_dp_actions_uninit(&mf->actions);
    free(mf);
}

/* Answers and the reasons providers get: a route on a link (next hop not
 * resolved yet), one through a gateway, none; and what they are once the
 * neighbour is known. */
static void
test_answers_and_reasons(void **state)
{
    struct ft_offload_underlay u;
    char reason[FT_ERROR_REASON_MAX];
    struct fixture f;

    (void) state;
    fixture_init(&f);
    assert_int_equal(ask(&f, IP(10, 9, 0, 2), &u, reason), -EOPNOTSUPP);
    assert_int_equal(u.error, 0);
    assert_int_equal(u.ifindex, if_nametoindex("d0"));
    assert_int_equal(u.src, IP(10, 9, 0, 1));
    assert_int_equal(u.gateway, IP(10, 9, 0, 2));
    assert_false(u.resolved);
    assert_non_null(strstr(reason, "hw0: tunnel to 10.9.0.2: no neighbour "
                           "for 10.9.0.2 yet"));

    assert_int_equal(ask(&f, IP(10, 10, 0, 5), &u, reason), -EOPNOTSUPP);
    assert_int_equal(u.gateway, IP(10, 9, 0, 254));
    assert_non_null(strstr(reason, "hw0: tunnel to 10.10.0.5: no neighbour "
                           "for 10.9.0.254 yet"));

    assert_int_equal(ask(&f, IP(192, 0, 2, 1), &u, reason), -EOPNOTSUPP);
    assert_int_equal(u.error, -ENETUNREACH);
    assert_string_equal(reason, "hw0: tunnel to 192.0.2.1: no route to it "
                        "(Network is unreachable)");

    sh("ip neigh replace 10.9.0.2 lladdr 02:00:00:00:09:02 dev d0 "
       "nud permanent");
    bridge_underlay_run(f.br);
    assert_int_equal(ask(&f, IP(10, 9, 0, 2), &u, reason), 0);
    assert_true(u.resolved);
    assert_int_equal(u.dst_mac.ea[5], 0x02);
    assert_string_equal(reason, "");
    sh("ip neigh del 10.9.0.2 dev d0");

    /* Without the bridge's resolver a provider is told so. */
    ft_offload_set_underlay(f.o, NULL, NULL);
    assert_int_equal(ask(&f, IP(10, 9, 0, 2), &u, reason), -ENOENT);
    assert_string_equal(reason, "hw0: tunnel to 10.9.0.2: the bridge gives "
                        "this provider no underlay route");
    fixture_destroy(&f);
}

/* Which of 'mfs' are stale now, as a bit mask (each one is stamped). */
static unsigned int
stale(struct fixture *f, struct bridge_megaflow *mfs[], size_t n)
{
    unsigned int bits = 0;

    bridge_underlay_run(f->br);
    for (size_t i = 0; i < n; i++) {
        if (bridge_underlay_stale(f->br, mfs[i])) {
            bits |= 1u << i;
        }
    }
    return bits;
}

/* Each kind of change makes stale exactly the megaflows toward (or from)
 * the remote whose answer it changed, once: the next neighbour, its
 * Ethernet address, the gateway, the egress device, the source.  A change
 * that alters no answer makes none stale. */
static void
test_changes_replace(void **state)
{
    struct ft_offload_underlay u;
    char reason[FT_ERROR_REASON_MAX];
    struct bridge_megaflow *mfs[5];
    struct fixture f;

    (void) state;
    fixture_init(&f);
    mfs[0] = megaflow(IP(10, 9, 0, 2), false);  /* Encap to A. */
    mfs[1] = megaflow(IP(10, 10, 0, 5), false); /* Encap to B (gateway). */
    mfs[2] = megaflow(IP(10, 9, 0, 2), true);   /* Decap from A. */
    mfs[3] = megaflow(0, false);                /* No tunnel. */
    mfs[4] = megaflow(IP(10, 9, 0, 3), false);  /* Encap to C, asked of
                                                 * by no provider. */
    ask(&f, IP(10, 9, 0, 2), &u, reason);
    ask(&f, IP(10, 10, 0, 5), &u, reason);
    assert_int_equal(stale(&f, mfs, 5), 0);

    /* A's neighbour appears: A's megaflows, both ways. */
    sh("ip neigh replace 10.9.0.2 lladdr 02:00:00:00:09:02 dev d0 "
       "nud permanent");
    assert_int_equal(stale(&f, mfs, 5), 1u << 0 | 1u << 2);
    assert_int_equal(stale(&f, mfs, 5), 0);

    /* Its Ethernet address changes. */
    sh("ip neigh replace 10.9.0.2 lladdr 02:00:00:00:09:22 dev d0 "
       "nud permanent");
    assert_int_equal(stale(&f, mfs, 5), 1u << 0 | 1u << 2);

    /* A neighbour no remote goes through: nothing. */
    sh("ip neigh replace 10.9.0.77 lladdr 02:00:00:00:09:77 dev d0 "
       "nud permanent");
    assert_int_equal(stale(&f, mfs, 5), 0);

    /* B's route moves to another gateway. */
    sh("ip route replace 10.10.0.0/16 via 10.9.0.253");
    assert_int_equal(stale(&f, mfs, 5), 1u << 1);
    ask(&f, IP(10, 10, 0, 5), &u, reason);
    assert_int_equal(u.gateway, IP(10, 9, 0, 253));

    /* To another device. */
    sh("ip route replace 10.10.0.0/16 via 10.20.0.254 dev e0");
    assert_int_equal(stale(&f, mfs, 5), 1u << 1);
    ask(&f, IP(10, 10, 0, 5), &u, reason);
    assert_int_equal(u.ifindex, if_nametoindex("e0"));
    assert_int_equal(u.src, IP(10, 20, 0, 1));

    /* With another source. */
    sh("ip route replace 10.10.0.0/16 via 10.20.0.254 dev e0 "
       "src 10.20.0.9");
    assert_int_equal(stale(&f, mfs, 5), 1u << 1);
    ask(&f, IP(10, 10, 0, 5), &u, reason);
    assert_int_equal(u.src, IP(10, 20, 0, 9));

    /* Gone: no route. */
    sh("ip route del 10.10.0.0/16");
    assert_int_equal(stale(&f, mfs, 5), 1u << 1);
    assert_int_equal(ask(&f, IP(10, 10, 0, 5), &u, reason), -EOPNOTSUPP);
    assert_string_equal(reason, "hw0: tunnel to 10.10.0.5: no route to it "
                        "(Network is unreachable)");
    assert_int_equal(stale(&f, mfs, 5), 0);

    sh("ip neigh del 10.9.0.2 dev d0 && ip neigh del 10.9.0.77 dev d0");
    for (size_t i = 0; i < 5; i++) {
        megaflow_free(mfs[i]);
    }
    fixture_destroy(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers_and_reasons),
        cmocka_unit_test(test_changes_replace),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}

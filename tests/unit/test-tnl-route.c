/*
 * test-tnl-route.c - unit tests of swpath/tnl-route.c, the underlay
 * resolver the userspace datapath and the bridge's offload providers use:
 * neighbours followed through notifications, and caught up when
 * notifications were lost.
 *
 * Runs in a network namespace of its own (root), on a veth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "swpath/tnl-route.h"

static void
sh(const char *cmd)
{
    if (system(cmd)) {
        fail_msg("'%s' failed", cmd);
    }
}

static int
setup(void **state)
{
    (void) state;
    if (unshare(CLONE_NEWNET)) {
        fail_msg("no network namespace of its own: %s", strerror(errno));
    }
    sh("ip link add d0 type veth peer name d1 && ip link set d1 up "
       "&& ip link set d0 up "
       "&& ip addr add 10.9.0.1/16 dev d0");
    return 0;
}

static struct ft_tnl_route *
route_create(void)
{
    struct ft_tnl_route *r;
    struct ft_error err;

    ft_error_clear(&err);
    if (ft_tnl_route_create(&r, &err)) {
        fail_msg("%s", err.reason);
    }
    return r;
}

/* A neighbour added is seen once the notification is read; the answer
 * cached before it goes stale. */
static void
test_neighbour_followed(void **state)
{
    struct ft_tnl_route *r = route_create();
    const struct ft_tnl_nexthop *nh;
    uint64_t changes;

    (void) state;
    nh = ft_tnl_route_lookup(r, 0x0a090002);
    assert_int_equal(nh->error, 0);
    assert_false(nh->resolved);
    changes = ft_tnl_route_changes(r);
    sh("ip neigh replace 10.9.0.2 lladdr 02:00:00:00:09:02 dev d0 "
       "nud permanent");
    ft_tnl_route_run(r);
    assert_true(ft_tnl_route_changes(r) > changes);
    nh = ft_tnl_route_lookup(r, 0x0a090002);
    assert_true(nh->resolved);
    assert_int_equal(nh->dst_mac.ea[5], 0x02);
    ft_tnl_route_destroy(r);
}

/* More notifications than the socket holds, unread: the resolver reads
 * the tables again instead of missing the ones that overflowed. */
static void
test_overflow_caught_up(void **state)
{
    struct ft_tnl_route *r = route_create();
    const struct ft_tnl_nexthop *nh;
    int size = 1, fd = ft_tnl_route_get_fd(r);
    FILE *batch;

    (void) state;
    /* The smallest buffer the kernel allows (a few kB). */
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
                                sizeof size), 0);
    batch = fopen("/tmp/test-tnl-route.batch", "w");
    assert_non_null(batch);
    for (int i = 0; i < 1000; i++) {
        fprintf(batch, "neigh replace 10.9.%d.%d lladdr 02:00:00:00:%02x:%02x "
                "dev d0 nud permanent\n", 1 + i / 250, 1 + i % 250,
                (1 + i / 250) & 0xff, (1 + i % 250) & 0xff);
    }
    fclose(batch);
    sh("ip -batch /tmp/test-tnl-route.batch");
    remove("/tmp/test-tnl-route.batch");
    ft_tnl_route_run(r);
    /* The last one written, long after the buffer was full. */
    nh = ft_tnl_route_lookup(r, 0x0a0904fa);   /* 10.9.4.250 */
    assert_int_equal(nh->error, 0);
    assert_true(nh->resolved);
    assert_int_equal(nh->dst_mac.ea[4], 0x04);
    assert_int_equal(nh->dst_mac.ea[5], 0xfa);
    ft_tnl_route_destroy(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_neighbour_followed),
        cmocka_unit_test(test_overflow_caught_up),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}

/*
 * test-tc-nl.c - unit tests for the TC provider's rtnetlink channel
 * (offload/tc-nl.c) against the running kernel's rtnetlink: requests
 * whose answers are known without privileges or changes (a link looked
 * up by an index no device has: -ENODEV; the loopback device: found).
 *
 * What must hold: an answer is its own request's, matched by sequence
 * number, never an earlier request's that came late (a batch whose
 * reading stopped at a socket error leaves such answers queued); and a
 * wait for an answer that never comes ends with a clear error after the
 * socket's timeout instead of blocking the daemon's loop for good.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <errno.h>

#include <cmocka.h>

#include <linux/rtnetlink.h>
#include <netlink/msg.h>

#include "offload/tc-nl.h"

/* An index no device has. */
#define NO_IFINDEX 0x7ffffff0

static struct nl_msg *
getlink(int ifindex)
{
    return ft_tc_nl_link_msg(RTM_GETLINK, 0, ifindex, 0, 0);
}

static int
setup(void **state)
{
    struct nl_sock *sock;
    struct ft_error err;

    /* A test that blocks fails instead of hanging the suite. */
    alarm(30);
    ft_error_clear(&err);
    assert_int_equal(ft_tc_nl_open(&sock, &err), 0);
    *state = sock;
    return 0;
}

static int
teardown(void **state)
{
    ft_tc_nl_close(*state);
    alarm(0);
    return 0;
}

/* A request's answer left unread (sent in a batch whose reading stopped
 * early) does not become the answer of the next request. */
static void
test_late_answer_not_taken(void **state)
{
    struct nl_sock *sock = *state;
    struct ft_error err;
    uint32_t seq;

    ft_error_clear(&err);
    assert_int_equal(ft_tc_nl_send(sock, getlink(NO_IFINDEX), &seq, "tc",
                                   &err), 0);
    /* Its -ENODEV is still queued: the loopback device is found. */
    assert_int_equal(ft_tc_nl_transact(sock, getlink(1), "tc: lo", &err),
                     0);
    /* And the next request gets its own answer too. */
    assert_int_equal(ft_tc_nl_transact(sock, getlink(NO_IFINDEX),
                                       "tc: none", &err), -ENODEV);
    assert_int_equal(ft_tc_nl_transact(sock, getlink(1), "tc: lo", &err),
                     0);
}

static void
count_ack(uint32_t seq, int error, const char *msg, void *n_)
{
    (void) seq;
    (void) error;
    (void) msg;
    (*(size_t *) n_)++;
}

/* Waiting for an answer that never comes (lost: the kernel dropped it
 * when the receive buffer was full) ends with -ETIMEDOUT after the
 * socket's timeout, and another request's answer does not end it. */
static void
test_lost_answer_times_out(void **state)
{
    struct nl_sock *sock = *state;
    size_t n = 0;

    struct ft_error err;
    uint32_t seq, never;

    ft_tc_nl_set_timeout(sock, 200);
    ft_error_clear(&err);
    /* An answer sent for another request does not end the wait. */
    assert_int_equal(ft_tc_nl_send(sock, getlink(NO_IFINDEX), &seq, "tc",
                                   &err), 0);
    never = seq + 1000;
    assert_int_equal(ft_tc_nl_collect(sock, &never, 1, NULL, count_ack, &n),
                     -ETIMEDOUT);
    assert_int_equal(n, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_late_answer_not_taken, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lost_answer_times_out, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test-kdp-upcall.c - unit tests for the kernel datapath's reading of an
 * upcall message from flowtier.ko (swpath/kdp-nl.c, ft_kdp_upcall_parse()):
 * messages built as the module builds them are read back (command, key,
 * frame, whether the frame is whole, the userspace action's arguments),
 * and malformed ones are refused.  No kernel is involved;
 * tests/fuzz/fuzz-kdp-upcall.c fuzzes the same parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <errno.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <cmocka.h>

#include "swpath/kdp-nl.h"

/* An upcall of 'cmd' with a frame of 'frame_len' bytes, the key of a
 * packet from port 3 (of 'key_len' bytes), a LEN attribute of 'len_size'
 * bytes (0: none) and, if 'user', a userspace action's arguments. */
static struct nl_msg *
upcall_msg(uint8_t cmd, size_t frame_len, size_t key_len, size_t len_size,
           bool user)
{
    struct nl_msg *msg = nlmsg_alloc();
    uint8_t frame[64], key[sizeof(struct ft_flow) + 8];
    struct ft_kdp_userspace u = { .cookie = 0x1234, .max_len = 0xffff,
                                  .reason = 1, .table_id = 4 };
    struct ft_flow flow;
    uint32_t len = frame_len;

    memset(frame, 0xab, sizeof frame);
    memset(&flow, 0, sizeof flow);
    flow.in_port = 3;
    memset(key, 0, sizeof key);
    memcpy(key, &flow, sizeof flow);
    genlmsg_put(msg, 0, 0, 0x20, 0, 0, cmd, 1);
    nla_put(msg, FT_KDP_PACKET_ATTR_DATA, frame_len, frame);
    nla_put(msg, FT_KDP_PACKET_ATTR_KEY, key_len, key);
    if (len_size) {
        nla_put(msg, FT_KDP_PACKET_ATTR_LEN, len_size, &len);
    }
    if (user) {
        nla_put(msg, FT_KDP_PACKET_ATTR_USERSPACE, sizeof u, &u);
    }
    return msg;
}

static void
test_upcall_parse(void **state)
{
    static const struct ft_kdp_upcall zero;
    struct ft_kdp_upcall up;
    struct nl_msg *msg;

    (void) state;
    msg = upcall_msg(FT_KDP_PACKET_CMD_MISS, 60, sizeof(struct ft_flow), 4,
                     false);
    assert_int_equal(ft_kdp_upcall_parse(nlmsg_hdr(msg), &up), 0);
    assert_int_equal(up.cmd, FT_KDP_PACKET_CMD_MISS);
    assert_int_equal(up.key.in_port, 3);
    assert_int_equal(up.len, 60);
    assert_int_equal(((const uint8_t *) up.data)[59], 0xab);
    assert_true(up.whole);
    assert_false(up.has_userspace);
    nlmsg_free(msg);

    /* No LEN, or a LEN that is not a u32: not known to be whole. */
    msg = upcall_msg(FT_KDP_PACKET_CMD_MISS, 60, sizeof(struct ft_flow), 0,
                     false);
    assert_int_equal(ft_kdp_upcall_parse(nlmsg_hdr(msg), &up), 0);
    assert_false(up.whole);
    nlmsg_free(msg);
    msg = upcall_msg(FT_KDP_PACKET_CMD_MISS, 60, sizeof(struct ft_flow), 2,
                     false);
    assert_int_equal(ft_kdp_upcall_parse(nlmsg_hdr(msg), &up), 0);
    assert_false(up.whole);
    nlmsg_free(msg);

    /* A userspace action's arguments are copied out. */
    msg = upcall_msg(FT_KDP_PACKET_CMD_ACTION, 20, sizeof(struct ft_flow), 4,
                     true);
    assert_int_equal(ft_kdp_upcall_parse(nlmsg_hdr(msg), &up), 0);
    assert_int_equal(up.cmd, FT_KDP_PACKET_CMD_ACTION);
    assert_true(up.has_userspace);
    assert_int_equal(up.userspace.cookie, 0x1234);
    assert_int_equal(up.userspace.max_len, 0xffff);
    assert_int_equal(up.userspace.table_id, 4);
    nlmsg_free(msg);

    /* A key of the wrong size: refused, nothing left behind. */
    msg = upcall_msg(FT_KDP_PACKET_CMD_MISS, 60, sizeof(struct ft_flow) - 8,
                     4, false);
    memset(&up, 0x5a, sizeof up);
    assert_int_equal(ft_kdp_upcall_parse(nlmsg_hdr(msg), &up), -EINVAL);
    assert_memory_equal(&up, &zero, sizeof up);
    nlmsg_free(msg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upcall_parse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

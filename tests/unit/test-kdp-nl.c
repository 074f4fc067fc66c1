/*
 * test-kdp-nl.c - tests of the kernel datapath's netlink encoding of
 * actions (swpath/kdp-nl.c): every action the module runs goes out and
 * comes back the same (a daemon that takes over a datapath reads the
 * actions its predecessor wrote), the outer header of set(tunnel(...))
 * included, an empty list is drop both ways, and an action this side does
 * not know, or a tunnel without its destination, is refused, not
 * guessed.  No kernel
 * needed: the messages are built and read in memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "swpath/kdp-nl.h"

/* Encodes 'in' as the ACTIONS attribute of a message, decodes it into
 * 'out'.  Returns the decoder's answer. */
static int
round_trip(const struct ft_dp_actions *in, struct ft_dp_actions *out)
{
    struct nl_msg *msg = nlmsg_alloc();
    struct ft_error err;
    struct nlattr *nest;
    int error;

    assert_non_null(msg);
    assert_int_equal(ft_kdp_nl_put_actions(msg, FT_KDP_FLOW_ATTR_ACTIONS,
                                           in, &err), 0);
    nest = nlmsg_find_attr(nlmsg_hdr(msg), 0, FT_KDP_FLOW_ATTR_ACTIONS);
    assert_non_null(nest);
    error = ft_kdp_nl_get_actions(nest, out);
    nlmsg_free(msg);
    return error;
}

static void
test_every_action(void **state)
{
    struct ft_dp_actions in, out;
    struct ft_dp_action *a;

    (void) state;
    ft_dp_actions_init(&in);
    ft_dp_actions_init(&out);
    a = ft_dp_actions_put(&in, FT_DPA_PUSH_VLAN);
    a->push_vlan.tpid = 0x8100;
    a->push_vlan.tci = 0x100a;
    ft_dp_actions_put(&in, FT_DPA_POP_VLAN);
    a = ft_dp_actions_put(&in, FT_DPA_SET_ETH);
    memset(a->eth.src.ea, 0x02, 6);
    memset(a->eth.dst_mask.ea, 0xff, 6);
    a = ft_dp_actions_put(&in, FT_DPA_SET_IPV4);
    a->ipv4.dst = 0x0a000002;
    a->ipv4.dst_mask = 0xffffffff;
    a->ipv4.tos = 32;
    a->ipv4.tos_mask = 0xfc;
    a = ft_dp_actions_put(&in, FT_DPA_SET_IPV6);
    a->ipv6.src.s6[15] = 1;
    a->ipv6.src_mask.s6[15] = 0xff;
    a->ipv6.label = 0x12345;
    a->ipv6.label_mask = 0xfffff;
    a->ipv6.hlimit = 9;
    a->ipv6.hlimit_mask = 0xff;
    a = ft_dp_actions_put(&in, FT_DPA_SET_L4);
    a->l4.proto = 6;
    a->l4.dst = 9091;
    a->l4.dst_mask = 0xffff;
    a = ft_dp_actions_put(&in, FT_DPA_USERSPACE);
    a->userspace.cookie = 0x1122334455667788ULL;
    a->userspace.max_len = 128;
    a->userspace.reason = 1;
    a->userspace.table_id = 3;
    a = ft_dp_actions_put(&in, FT_DPA_SET_TUNNEL);
    a->tunnel.tun_id = 0xabcdef;
    a->tunnel.src = 0xc0a80001;
    a->tunnel.dst = 0xc0a80002;
    a->tunnel.tos = 0x10;
    a->tunnel.ttl = 63;
    a->tunnel.flags = FT_TNL_F_KEY | FT_TNL_F_DONT_FRAGMENT;
    a->tunnel.tp_dst = 4790;
    ft_dp_actions_put_output(&in, 2);
    ft_dp_actions_put_output(&in, FT_PORT_LOCAL);

    assert_int_equal(round_trip(&in, &out), 0);
    assert_int_equal(out.n, in.n);
    assert_true(ft_dp_actions_equal(&in, &out));
    ft_dp_actions_uninit(&in);
    ft_dp_actions_uninit(&out);
}

static void
test_drop(void **state)
{
    struct ft_dp_actions in = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dp_actions out = FT_DP_ACTIONS_INITIALIZER;

    (void) state;
    ft_dp_actions_put_output(&out, 7);      /* Replaced by the decoder. */
    assert_int_equal(round_trip(&in, &out), 0);
    assert_int_equal(out.n, 0);
    ft_dp_actions_uninit(&out);
}

static void
test_unknown_refused(void **state)
{
    struct ft_dp_actions out = FT_DP_ACTIONS_INITIALIZER;
    struct nl_msg *msg = nlmsg_alloc();
    struct nlattr *nest, *tnl;
    uint32_t port = 1;

    (void) state;
    nest = nla_nest_start(msg, FT_KDP_FLOW_ATTR_ACTIONS | NLA_F_NESTED);
    nla_put_u32(msg, FT_KDP_ACTION_OUTPUT, 1);
    nla_put(msg, FT_KDP_ACTION_MAX + 1, sizeof port, &port);
    nla_nest_end(msg, nest);
    nest = nlmsg_find_attr(nlmsg_hdr(msg), 0, FT_KDP_FLOW_ATTR_ACTIONS);
    assert_int_equal(ft_kdp_nl_get_actions(nest, &out), -EPROTO);

    /* An output too short to hold a port number. */
    nlmsg_free(msg);
    msg = nlmsg_alloc();
    nest = nla_nest_start(msg, FT_KDP_FLOW_ATTR_ACTIONS | NLA_F_NESTED);
    nla_put(msg, FT_KDP_ACTION_OUTPUT, 2, &port);
    nla_nest_end(msg, nest);
    nest = nlmsg_find_attr(nlmsg_hdr(msg), 0, FT_KDP_FLOW_ATTR_ACTIONS);
    assert_int_equal(ft_kdp_nl_get_actions(nest, &out), -EPROTO);
    nlmsg_free(msg);

    /* A tunnel without an outer destination. */
    msg = nlmsg_alloc();
    nest = nla_nest_start(msg, FT_KDP_FLOW_ATTR_ACTIONS | NLA_F_NESTED);
    tnl = nla_nest_start(msg, FT_KDP_ACTION_SET_TUNNEL | NLA_F_NESTED);
    nla_put_u64(msg, FT_KDP_TUNNEL_ATTR_ID, 100);
    nla_nest_end(msg, tnl);
    nla_nest_end(msg, nest);
    nest = nlmsg_find_attr(nlmsg_hdr(msg), 0, FT_KDP_FLOW_ATTR_ACTIONS);
    assert_int_equal(ft_kdp_nl_get_actions(nest, &out), -EPROTO);
    nlmsg_free(msg);
    ft_dp_actions_uninit(&out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_action),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_unknown_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

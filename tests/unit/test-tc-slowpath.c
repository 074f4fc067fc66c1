/*
 * test-tc-slowpath.c - unit tests for the messages of the kernel TC
 * tier's slow path (offload/tc-slowpath.c): the catch-all filter that
 * redirects a port's misses, rendered as the 'tc' line it is and parsed
 * back attribute by attribute, and the request that creates the veth
 * pair.  No kernel is involved: tests/vm/test-tc-software.sh sends them
 * to a real one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <linux/veth.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <cmocka.h>

#include "flowtier/ds.h"
#include "offload/tc-slowpath.h"
#include "offload/tc-translate.h"

static const uint8_t cookie[FT_TC_COOKIE_LEN] = "FlowTier";

static const char *
ifname(void *aux, int ifindex, char buf[16])
{
    (void) aux;
    snprintf(buf, 16, ifindex == 7 ? "vnet0" : "ftsp%d", ifindex);
    return buf;
}

/* The names follow the port's ifindex, within IFNAMSIZ at its largest. */
static void
test_names(void **state)
{
    char tx[16], rx[16];

    (void) state;
    ft_tc_slowpath_names(7, tx, rx);
    assert_string_equal(tx, "ftsp7");
    assert_string_equal(rx, "ftsp7u");
    ft_tc_slowpath_names(2147483647, tx, rx);
    assert_string_equal(tx, "ftsp2147483647");
    assert_string_equal(rx, "ftsp2147483647u");
}

/* The catch-all, as tc would take it typed: every protocol, no key,
 * skip_hw, a redirect to the pair's end, at the last priority. */
static void
test_catchall_explained(void **state)
{
    struct ds out = DS_EMPTY_INITIALIZER;
    struct ft_error err;
    struct nl_msg *msg;

    (void) state;
    ft_error_clear(&err);
    assert_int_equal(ft_tc_slowpath_catchall_msg(7, 9, cookie,
                                                 TCA_CLS_FLAGS_SKIP_HW, &msg,
                                                 &err), 0);
    ft_tc_explain_msg(msg, "vnet0", ifname, NULL, &out);
    assert_string_equal(ds_cstr(&out),
                        "tc filter add dev vnet0 ingress protocol all prio "
                        "65535 flower skip_hw action mirred egress redirect "
                        "dev ftsp9");
    ds_destroy(&out);
    nlmsg_free(msg);
}

/* The catch-all's attributes: what iproute2 sends for the line above,
 * and FlowTier's cookie on the action. */
static void
test_catchall_attributes(void **state)
{
    struct nlattr *tb[TCA_MAX + 1], *fl[TCA_FLOWER_MAX + 1];
    struct nlattr *acts[TCA_ACT_MAX_PRIO + 1], *act[TCA_ACT_MAX + 1];
    struct nlattr *mir[TCA_MIRRED_MAX + 1];
    struct tc_mirred parms;
    struct ft_error err;
    struct nl_msg *msg;
    struct tcmsg *tcm;

    (void) state;
    assert_int_equal(ft_tc_slowpath_catchall_msg(7, 9, cookie,
                                                 TCA_CLS_FLAGS_SKIP_HW, &msg,
                                                 &err), 0);
    assert_int_equal(nlmsg_hdr(msg)->nlmsg_type, RTM_NEWTFILTER);
    assert_true(nlmsg_hdr(msg)->nlmsg_flags & NLM_F_EXCL);
    tcm = nlmsg_data(nlmsg_hdr(msg));
    assert_int_equal(tcm->tcm_ifindex, 7);
    assert_int_equal(tcm->tcm_parent,
                     TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS));
    assert_int_equal(TC_H_MAJ(tcm->tcm_info) >> 16, FT_TC_SLOWPATH_PRIO);
    assert_int_equal(TC_H_MIN(tcm->tcm_info), htons(ETH_P_ALL));
    assert_true(nlmsg_parse(nlmsg_hdr(msg), sizeof *tcm, tb, TCA_MAX,
                            NULL) >= 0);
    assert_string_equal(nla_data(tb[TCA_KIND]), "flower");
    assert_true(nla_parse_nested(fl, TCA_FLOWER_MAX, tb[TCA_OPTIONS],
                                 NULL) >= 0);
    assert_int_equal(nla_get_u32(fl[TCA_FLOWER_FLAGS]),
                     TCA_CLS_FLAGS_SKIP_HW);
    for (int k = TCA_FLOWER_KEY_ETH_DST; k <= TCA_FLOWER_MAX; k++) {
        if (k != TCA_FLOWER_FLAGS && fl[k]) {
            fail_msg("the catch-all has key attribute %d", k);
        }
    }
    assert_true(nla_parse_nested(acts, TCA_ACT_MAX_PRIO, fl[TCA_FLOWER_ACT],
                                 NULL) >= 0);
    assert_non_null(acts[1]);
    assert_null(acts[2]);
    assert_true(nla_parse_nested(act, TCA_ACT_MAX, acts[1], NULL) >= 0);
    assert_string_equal(nla_data(act[TCA_ACT_KIND]), "mirred");
    assert_int_equal(nla_len(act[TCA_ACT_COOKIE]), FT_TC_COOKIE_LEN);
    assert_memory_equal(nla_data(act[TCA_ACT_COOKIE]), cookie,
                        FT_TC_COOKIE_LEN);
    assert_true(nla_parse_nested(mir, TCA_MIRRED_MAX, act[TCA_ACT_OPTIONS],
                                 NULL) >= 0);
    memcpy(&parms, nla_data(mir[TCA_MIRRED_PARMS]), sizeof parms);
    assert_int_equal(parms.eaction, TCA_EGRESS_REDIR);
    assert_int_equal(parms.action, TC_ACT_STOLEN);
    assert_int_equal(parms.ifindex, 9);
    nlmsg_free(msg);
}

/* The veth request: kind veth, both names, the largest MTU, the alias
 * that marks the pair FlowTier's on the end TC redirects to. */
static void
test_veth_msg(void **state)
{
    struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
    struct nlattr *data[VETH_INFO_MAX + 1], *peer[IFLA_MAX + 1];
    struct nl_msg *msg = ft_tc_slowpath_veth_msg("ftsp7", "ftsp7u", "vnet0");
    struct nlattr *p;

    (void) state;
    assert_int_equal(nlmsg_hdr(msg)->nlmsg_type, RTM_NEWLINK);
    assert_true(nlmsg_hdr(msg)->nlmsg_flags & NLM_F_CREATE);
    assert_true(nlmsg_hdr(msg)->nlmsg_flags & NLM_F_EXCL);
    assert_true(nlmsg_parse(nlmsg_hdr(msg), sizeof(struct ifinfomsg), tb,
                            IFLA_MAX, NULL) >= 0);
    assert_string_equal(nla_data(tb[IFLA_IFNAME]), "ftsp7");
    assert_string_equal(nla_data(tb[IFLA_IFALIAS]),
                        FT_TC_SLOWPATH_ALIAS "vnet0");
    assert_int_equal(nla_get_u32(tb[IFLA_MTU]), 65535);
    assert_true(nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO],
                                 NULL) >= 0);
    assert_string_equal(nla_data(li[IFLA_INFO_KIND]), "veth");
    assert_true(nla_parse_nested(data, VETH_INFO_MAX, li[IFLA_INFO_DATA],
                                 NULL) >= 0);
    p = data[VETH_INFO_PEER];
    assert_non_null(p);
    /* The peer: a struct ifinfomsg, then its attributes. */
    assert_true(nla_parse(peer, IFLA_MAX,
                          (struct nlattr *) ((char *) nla_data(p)
                                             + NLMSG_ALIGN(sizeof(struct
                                                               ifinfomsg))),
                          nla_len(p) - NLMSG_ALIGN(sizeof(struct ifinfomsg)),
                          NULL) >= 0);
    assert_string_equal(nla_data(peer[IFLA_IFNAME]), "ftsp7u");
    assert_int_equal(nla_get_u32(peer[IFLA_MTU]), 65535);
    nlmsg_free(msg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_catchall_explained),
        cmocka_unit_test(test_catchall_attributes),
        cmocka_unit_test(test_veth_msg),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test-tc-filter.c - unit tests for the TC provider's reading of filter
 * dumps (offload/offload-tc.c, ft_tc_filter_parse(); tc-filter.h): flower
 * filters built as the kernel sends them in a dump are read back (their
 * priority, protocol, handle, whether they are FlowTier's, counters), and
 * malformed ones are refused without reading past them, and where the
 * kernel put a filter with neither skip flag.  No kernel is
 * involved.  tests/fuzz/fuzz-tc-dump.c fuzzes the same parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/gen_stats.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_gact.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <cmocka.h>

#include "offload/tc-filter.h"
#include "offload/tc-translate.h"

/* A flower filter as a dump shows it: one gact action with 'lastuse',
 * 'packets' and, if 'with_cookie', FlowTier's cookie; 'kind' as given
 * ('kind_len' bytes, so a kind without its NUL can be sent). */
static struct nl_msg *
dump_filter(const char *kind, size_t kind_len, uint64_t lastuse,
            uint32_t packets, bool with_cookie)
{
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWTFILTER, NLM_F_MULTI);
    struct tcmsg tcm = { .tcm_family = AF_UNSPEC, .tcm_ifindex = 3,
                         .tcm_handle = 9,
                         .tcm_info = TC_H_MAKE(2 << 16, htons(ETH_P_IP)) };
    struct tcf_t tm = { .lastuse = lastuse };
    struct gnet_stats_basic b = { .bytes = 1500, .packets = packets };
    struct nlattr *opts, *acts, *act, *aopts, *stats;

    nlmsg_append(msg, &tcm, sizeof tcm, NLMSG_ALIGNTO);
    nla_put(msg, TCA_KIND, kind_len, kind);
    opts = nla_nest_start(msg, TCA_OPTIONS);
    acts = nla_nest_start(msg, TCA_FLOWER_ACT);
    act = nla_nest_start(msg, 1);
    nla_put_string(msg, TCA_ACT_KIND, "gact");
    aopts = nla_nest_start(msg, TCA_ACT_OPTIONS);
    nla_put(msg, TCA_GACT_TM, sizeof tm, &tm);
    nla_nest_end(msg, aopts);
    stats = nla_nest_start(msg, TCA_ACT_STATS);
    nla_put(msg, TCA_STATS_BASIC, sizeof b, &b);
    nla_nest_end(msg, stats);
    if (with_cookie) {
        nla_put(msg, TCA_ACT_COOKIE, 16, FT_TC_COOKIE_MAGIC "\0\0\0\0\0\0\0");
    }
    nla_nest_end(msg, act);
    nla_nest_end(msg, acts);
    nla_nest_end(msg, opts);
    return msg;
}

static void
test_filter_dump(void **state)
{
    static const struct ft_tc_filter zero;
    struct ft_tc_filter f;
    struct nl_msg *msg;

    (void) state;
    msg = dump_filter("flower", sizeof "flower", 3, 5, true);
    assert_int_equal(ft_tc_filter_parse(nlmsg_hdr(msg), &f), 0);
    assert_int_equal(f.prio, 2);
    assert_int_equal(f.protocol, htons(ETH_P_IP));
    assert_int_equal(f.handle, 9);
    assert_true(f.ours);
    assert_int_equal(f.stats.n_packets, 5);
    assert_int_equal(f.stats.n_bytes, 1500);
    assert_true(f.stats.used > 0);
    nlmsg_free(msg);

    msg = dump_filter("flower", sizeof "flower", 3, 5, false);
    assert_int_equal(ft_tc_filter_parse(nlmsg_hdr(msg), &f), 0);
    assert_false(f.ours);
    nlmsg_free(msg);

    /* Not flower, or a kind without its NUL (once read past its end):
     * refused, nothing left behind. */
    msg = dump_filter("u32", sizeof "u32", 3, 5, true);
    assert_int_equal(ft_tc_filter_parse(nlmsg_hdr(msg), &f), -EINVAL);
    assert_memory_equal(&f, &zero, sizeof f);
    nlmsg_free(msg);
    msg = dump_filter("flowerX", 6, 3, 5, true);
    assert_int_equal(ft_tc_filter_parse(nlmsg_hdr(msg), &f), -EINVAL);
    nlmsg_free(msg);

    /* A last use too large to be an age gives no last-use time (it once
     * overflowed, here to an age of 4 ms).  Found by
     * tests/fuzz/fuzz-tc-dump.c. */
    msg = dump_filter("flower", sizeof "flower", UINT64_MAX / 10 + 1, 5,
                      true);
    assert_int_equal(ft_tc_filter_parse(nlmsg_hdr(msg), &f), 0);
    assert_int_equal(f.stats.n_packets, 5);
    assert_int_equal(f.stats.used, 0);
    nlmsg_free(msg);
}

/* Appends action 'n' of 'kind' with 'packets' and, if 'tm', a last use
 * of 'lastuse' (1/100 s ago). */
static void
put_action(struct nl_msg *msg, int n, const char *kind, uint32_t packets,
           bool tm, uint64_t lastuse)
{
    struct gnet_stats_basic b = { .bytes = packets * 100, .packets = packets };
    struct tcf_t t = { .lastuse = lastuse };
    struct nlattr *act = nla_nest_start(msg, n), *aopts, *stats;

    nla_put_string(msg, TCA_ACT_KIND, kind);
    aopts = nla_nest_start(msg, TCA_ACT_OPTIONS);
    if (tm) {
        nla_put(msg, 1, sizeof t, &t);     /* TCA_*_TM is 1 for each kind. */
    }
    nla_nest_end(msg, aopts);
    stats = nla_nest_start(msg, TCA_ACT_STATS);
    nla_put(msg, TCA_STATS_BASIC, sizeof b, &b);
    nla_nest_end(msg, stats);
    if (n == 1) {
        nla_put(msg, TCA_ACT_COOKIE, 16, FT_TC_COOKIE_MAGIC "\0\0\0\0\0\0\0");
    }
    nla_nest_end(msg, act);
}

/* A tunnel rule as Linux 6.1 dumps it after a NIC ran it: tunnel_key
 * (first, with the cookie) gets no hardware counts, the mirred after it
 * does.  The filter's counts are the mirred's, with its last use. */
static void
test_filter_dump_counts_of_busiest_action(void **state)
{
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWTFILTER, NLM_F_MULTI);
    struct tcmsg tcm = { .tcm_family = AF_UNSPEC, .tcm_ifindex = 3,
                         .tcm_handle = 4,
                         .tcm_info = TC_H_MAKE(3 << 16, htons(ETH_P_IP)) };
    struct nlattr *opts, *acts;
    struct ft_tc_filter f;

    (void) state;
    nlmsg_append(msg, &tcm, sizeof tcm, NLMSG_ALIGNTO);
    nla_put(msg, TCA_KIND, sizeof "flower", "flower");
    opts = nla_nest_start(msg, TCA_OPTIONS);
    acts = nla_nest_start(msg, TCA_FLOWER_ACT);
    put_action(msg, 1, "tunnel_key", 0, true, 500);
    put_action(msg, 2, "mirred", 7, true, 2);
    nla_nest_end(msg, acts);
    nla_nest_end(msg, opts);
    assert_int_equal(ft_tc_filter_parse(nlmsg_hdr(msg), &f), 0);
    assert_true(f.ours);
    assert_int_equal(f.stats.n_packets, 7);
    assert_int_equal(f.stats.n_bytes, 700);
    assert_true(f.stats.used > 0);
    nlmsg_free(msg);
}

/* The filter the kernel sends back for a request with NLM_F_ECHO, with
 * TCA_FLOWER_FLAGS 'flags' (none if 0). */
static struct nl_msg *
echo_filter(uint32_t flags)
{
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWTFILTER, NLM_F_ECHO);
    struct tcmsg tcm = { .tcm_family = AF_UNSPEC, .tcm_ifindex = 3,
                         .tcm_handle = 4,
                         .tcm_info = TC_H_MAKE(1 << 16, htons(ETH_P_IP)) };
    struct nlattr *opts, *acts;

    nlmsg_append(msg, &tcm, sizeof tcm, NLMSG_ALIGNTO);
    nla_put_string(msg, TCA_KIND, "flower");
    opts = nla_nest_start(msg, TCA_OPTIONS);
    if (flags) {
        nla_put_u32(msg, TCA_FLOWER_FLAGS, flags);
    }
    acts = nla_nest_start(msg, TCA_FLOWER_ACT);
    put_action(msg, 1, "mirred", 0, true, 0);
    nla_nest_end(msg, acts);
    nla_nest_end(msg, opts);
    return msg;
}

/* Where a filter with neither skip flag went: in_hw in a NIC; not_in_hw
 * (or no flags at all: no driver was asked) in software, with the
 * driver's words when its ack carried some, else a reason naming the
 * port. */
static void
test_filter_in_hw(void **state)
{
    struct ft_tc_filter f;
    struct ft_error why;
    struct nl_msg *msg;

    (void) state;
    msg = echo_filter(TCA_CLS_FLAGS_IN_HW);
    assert_int_equal(ft_tc_filter_parse(nlmsg_hdr(msg), &f), 0);
    assert_int_equal(f.flags, TCA_CLS_FLAGS_IN_HW);
    ft_error_clear(&why);
    assert_true(ft_tc_filter_in_hw(&f, "", "r0", &why));
    assert_string_equal(why.reason, "");
    nlmsg_free(msg);

    msg = echo_filter(TCA_CLS_FLAGS_NOT_IN_HW);
    assert_int_equal(ft_tc_filter_parse(nlmsg_hdr(msg), &f), 0);
    assert_false(ft_tc_filter_in_hw(&f, "ftnic: cannot offload match on "
                                    "IPv6 addresses", "r0", &why));
    assert_string_equal(why.reason, "tc: ftnic: cannot offload match on "
                        "IPv6 addresses");
    assert_int_equal(why.code, -EOPNOTSUPP);
    assert_false(ft_tc_filter_in_hw(&f, NULL, "r0", &why));
    assert_string_equal(why.reason, "tc: port r0: no NIC took the filter, "
                        "TC runs it in software (not_in_hw)");
    nlmsg_free(msg);

    msg = echo_filter(0);
    assert_int_equal(ft_tc_filter_parse(nlmsg_hdr(msg), &f), 0);
    assert_int_equal(f.flags, 0);
    assert_false(ft_tc_filter_in_hw(&f, "", "veth0", &why));
    assert_non_null(strstr(why.reason, "port veth0: no NIC took"));
    nlmsg_free(msg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_dump),
        cmocka_unit_test(test_filter_dump_counts_of_busiest_action),
        cmocka_unit_test(test_filter_in_hw),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

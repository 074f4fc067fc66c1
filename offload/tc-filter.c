/*
 * tc-filter.c - reading back one flower filter the kernel sends (a dump's,
 * a 'filter get''s, the echo of a new, replaced or deleted filter): its
 * identity, whether FlowTier installed it, its counters and flags.
 *
 * Part of the offload layer, private to the TC provider (tc-filter.h).
 * Pure: no socket, no state; reads only within the message it is given,
 * so that a reply can be checked, and fuzzed, on its own.
 */
#include "tc-filter.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <linux/gen_stats.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "tc-translate.h"

/* Last use, in 1/USER_HZ (100) s ago, from the 'struct tcf_t' of an
 * action's options, whichever kind it is. */
static long long int
tc_action_age_ms(struct nlattr *opts)
{
    struct nlattr *a;
    int rem;

    nla_for_each_nested(a, opts, rem) {
        if (nla_len(a) == sizeof(struct tcf_t)) {
            struct tcf_t tm;    /* Attributes are only 4-byte aligned. */

            memcpy(&tm, nla_data(a), sizeof tm);
            /* A value too large to be an age is no age. */
            return tm.lastuse > INT64_MAX / 10
                   ? -1 : (long long int) tm.lastuse * 10;
        }
    }
    return -1;
}

/* Takes the counts of the parsed action 'act' into 'f' (its age into
 * '*age') if it is the first with counts ('*taken' false) or counted
 * more packets than those before it. */
static void
tc_action_stats(struct nlattr **act, struct nlattr **st,
                struct ft_tc_filter *f, bool *taken, long long int *age)
{
    struct gnet_stats_basic b;

    if (!act[TCA_ACT_STATS]
        || nla_parse_nested(st, TCA_STATS_MAX, act[TCA_ACT_STATS], NULL) < 0
        || !st[TCA_STATS_BASIC]
        || nla_len(st[TCA_STATS_BASIC]) < (int) sizeof b) {
        return;
    }
    memcpy(&b, nla_data(st[TCA_STATS_BASIC]), sizeof b);
    if (*taken && b.packets <= f->stats.n_packets) {
        return;
    }
    *taken = true;
    f->stats.n_packets = b.packets;
    f->stats.n_bytes = b.bytes;
    f->hw_packets = 0;
    if (st[TCA_STATS_BASIC_HW]
        && nla_len(st[TCA_STATS_BASIC_HW]) >= (int) sizeof b) {
        memcpy(&b, nla_data(st[TCA_STATS_BASIC_HW]), sizeof b);
        f->hw_packets = b.packets;
    }
    *age = act[TCA_ACT_OPTIONS] ? tc_action_age_ms(act[TCA_ACT_OPTIONS])
                                : -1;
}

static long long int
tc_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int
ft_tc_filter_parse(const struct nlmsghdr *nlh_, struct ft_tc_filter *f)
{
    struct nlmsghdr *nlh = (struct nlmsghdr *) nlh_;
    struct tcmsg *tcm = nlmsg_data(nlh);
    struct nlattr *tb[TCA_MAX + 1], *fl[TCA_FLOWER_MAX + 1];
    struct nlattr *acts[TCA_ACT_MAX_PRIO + 1], *act[TCA_ACT_MAX + 1];
    struct nlattr *st[TCA_STATS_MAX + 1];
    bool taken = false;
    long long int age;

    memset(f, 0, sizeof *f);
    if (nlmsg_parse(nlh, sizeof *tcm, tb, TCA_MAX, NULL) < 0
        || !tb[TCA_KIND] || nla_len(tb[TCA_KIND]) != sizeof "flower"
        || memcmp(nla_data(tb[TCA_KIND]), "flower", sizeof "flower")
        || !tb[TCA_OPTIONS]
        || nla_parse_nested(fl, TCA_FLOWER_MAX, tb[TCA_OPTIONS], NULL) < 0
        || !fl[TCA_FLOWER_ACT]
        || nla_parse_nested(acts, TCA_ACT_MAX_PRIO, fl[TCA_FLOWER_ACT],
                            NULL) < 0
        || !acts[1]
        || nla_parse_nested(act, TCA_ACT_MAX, acts[1], NULL) < 0) {
        memset(f, 0, sizeof *f);
        return -EINVAL;
    }
    f->prio = TC_H_MAJ(tcm->tcm_info) >> 16;
    f->protocol = TC_H_MIN(tcm->tcm_info);
    if (fl[TCA_FLOWER_FLAGS] && nla_len(fl[TCA_FLOWER_FLAGS]) >= 4) {
        f->flags = nla_get_u32(fl[TCA_FLOWER_FLAGS]);
    }
    f->handle = tcm->tcm_handle;
    f->ours = (act[TCA_ACT_COOKIE]
               && nla_len(act[TCA_ACT_COOKIE]) >= 8
               && !memcmp(nla_data(act[TCA_ACT_COOKIE]), FT_TC_COOKIE_MAGIC,
                          strlen(FT_TC_COOKIE_MAGIC)));
    /* Not every action gets a NIC's counts (Linux 6.1's tunnel_key has
     * no stats_update): as Open vSwitch does, the filter's counts are
     * those of the action that counted most. */
    age = -1;
    for (int i = 1; i <= TCA_ACT_MAX_PRIO && acts[i]; i++) {
        if (nla_parse_nested(act, TCA_ACT_MAX, acts[i], NULL) >= 0) {
            tc_action_stats(act, st, f, &taken, &age);
        }
    }
    if (f->stats.n_packets && age >= 0) {
        f->stats.used = tc_now_ms() - age;
    }
    return 0;
}

bool
ft_tc_filter_in_hw(const struct ft_tc_filter *f, const char *warning,
                   const char *port, struct ft_error *why)
{
    if (f->flags & TCA_CLS_FLAGS_IN_HW) {
        return true;
    }
    if (warning && warning[0]) {
        ft_error_set(why, -EOPNOTSUPP, "tc: %s", warning);
    } else {
        ft_error_set(why, -EOPNOTSUPP, "tc: port %s: no NIC took the "
                     "filter, TC runs it in software (not_in_hw)", port);
    }
    return false;
}


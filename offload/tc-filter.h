/*
 * tc-filter.h - what the TC provider reads back from the kernel: one
 * flower filter of an RTM_GETTFILTER dump (its priority, protocol and
 * handle, whether FlowTier installed it, its counters).
 *
 * Private to offload/tc*.c and their tests.  The parser (tc-filter.c) is
 * pure: no socket, no state, so that a reply can be checked, and fuzzed,
 * on its own.
 */
#ifndef OFFLOAD_TC_FILTER_H
#define OFFLOAD_TC_FILTER_H 1

#include <stdbool.h>
#include <stdint.h>

#include <linux/netlink.h>

#include "flowtier/error.h"
#include "flowtier/stats.h"

/* What one filter of a dump says. */
struct ft_tc_filter {
    uint32_t prio;
    uint16_t protocol;
    uint32_t handle;
    bool ours;                  /* FlowTier's cookie on its first action. */
    struct ft_stats stats;      /* 'used' is in this process's monotonic
                                 * milliseconds, when there were packets. */
    uint64_t hw_packets;        /* Of 'stats', what a NIC counted. */
    uint32_t flags;             /* TCA_FLOWER_FLAGS: TCA_CLS_FLAGS_*
                                 * (skip_sw, in_hw, not_in_hw...). */
};

/* Parses 'nlh', a filter message (of a dump, or the answer to a get or
 * to an NLM_F_ECHO request) whose 'nlmsg_len' bytes are
 * readable (as libnl hands them to a dump callback), into '*f'.  Returns 0,
 * or -EINVAL if it is not a well-formed flower filter with actions (then
 * '*f' is zeroed).  Reads only within 'nlmsg_len'. */
int ft_tc_filter_parse(const struct nlmsghdr *nlh, struct ft_tc_filter *f);

/* Whether the filter 'f' (read back from the kernel) is in a NIC.  If not,
 * stores in 'why' the reason: 'warning', the message the kernel attached
 * to its ack of the filter (a driver's refusal; "" or NULL if none), else
 * that no NIC took it on port 'port'.  Pure. */
bool ft_tc_filter_in_hw(const struct ft_tc_filter *f, const char *warning,
                        const char *port, struct ft_error *why);

#endif /* offload/tc-filter.h */

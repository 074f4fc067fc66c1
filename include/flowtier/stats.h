/*
 * stats.h - packet and byte counters, per tier.
 *
 * A megaflow lives in one tier at a time but may move (e.g. evicted from
 * hardware), so its counters are kept per tier and summed for display: an
 * OpenFlow rule's n_packets is what hardware, kernel and userspace saw
 * together.
 */
#ifndef FLOWTIER_STATS_H
#define FLOWTIER_STATS_H 1

#include <stdint.h>

enum ft_tier {
    FT_TIER_HW,         /* The NIC: rte_flow transfer rules, TC skip_sw. */
    FT_TIER_KERNEL,     /* The host kernel: TC skip_hw or FlowTier's kmod. */
    FT_TIER_USER,       /* The daemon's own megaflow cache. */
    FT_N_TIERS
};

static inline const char *
ft_tier_name(enum ft_tier tier)
{
    switch (tier) {
    case FT_TIER_HW: return "hw";
    case FT_TIER_KERNEL: return "kernel";
    case FT_TIER_USER: return "user";
    case FT_N_TIERS: break;
    }
    return "?";
}

struct ft_stats {
    uint64_t n_packets;
    uint64_t n_bytes;
    long long int used;         /* Last hit, in ms (monotonic); 0 = never. */
};

struct ft_tier_stats {
    struct ft_stats tier[FT_N_TIERS];
};

static inline void
ft_stats_add(struct ft_stats *dst, const struct ft_stats *src)
{
    dst->n_packets += src->n_packets;
    dst->n_bytes += src->n_bytes;
    if (src->used > dst->used) {
        dst->used = src->used;
    }
}

/* Sum of every tier: what the user sees. */
static inline struct ft_stats
ft_tier_stats_total(const struct ft_tier_stats *ts)
{
    struct ft_stats total = { 0, 0, 0 };

    for (int i = 0; i < FT_N_TIERS; i++) {
        ft_stats_add(&total, &ts->tier[i]);
    }
    return total;
}

#endif /* flowtier/stats.h */

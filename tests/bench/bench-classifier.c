/*
 * bench-classifier.c - throughput of mgmt/ofproto/classifier.c on one core.
 *
 * For 1k, 10k and 100k rules spread over 1, 4 and 16 masks, measures how
 * fast rules are inserted into an empty classifier and how fast keys are
 * looked up (with wildcard tracking, as translation does), over a mix of
 * keys of which about 90% hit a rule.  Prints one table row per case.
 *
 * Rules have random priorities (0..65535), so that every subtable's
 * maximum is high and most lookups search every subtable: the hard case.
 * Run "bench-classifier --banded" for the easy case, where each mask has a
 * priority band of its own (more specific masks higher), as in tables
 * whose priorities follow prefix length.
 *
 * Times are wall-clock, or with --cpu-time the CPU time of this thread
 * (which leaves out the time other processes take from it on a shared
 * machine; their use of the shared caches still shows).
 *
 * Usage: bench-classifier [--banded] [--cpu-time] [--seconds S] [--rules N]
 * [--masks M] (--rules and --masks run one case instead of the table).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mgmt/ofproto/classifier.h"

#define N_KEYS 8192             /* Distinct lookup keys, cycled. */

struct bench_rng {
    uint64_t state;
};

static uint64_t
bench_rand(struct bench_rng *rng)
{
    uint64_t z = (rng->state += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double
now_sec(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint32_t
prefix_mask(unsigned int len)
{
    return len ? UINT32_MAX << (32 - len) : 0;
}

/* Mask number 'i' of 'n': distinct, each touching two to four words, in
 * the shapes OpenFlow ACLs use (in_port, dl_type, 5-tuple parts). */
static void
bench_mask(int i, struct ft_flow *m)
{
    ft_flow_zero(m);
    m->dl_type = UINT16_MAX;
    m->nw_src = prefix_mask(32 - i);
    if (i % 2) {
        m->nw_proto = UINT8_MAX;
        m->tp_dst = UINT16_MAX;
    }
    if (i % 4 >= 2) {
        m->nw_dst = prefix_mask(16 + i);
    }
    if (i % 8 >= 4) {
        m->in_port = UINT32_MAX;
    }
}

/* A key with plausible values in the fields the masks use. */
static void
bench_flow(struct bench_rng *rng, struct ft_flow *f)
{
    uint64_t r = bench_rand(rng);

    ft_flow_zero(f);
    f->in_port = 1 + r % 8;
    f->dl_type = FT_ETH_TYPE_IP;
    f->nw_proto = (r >> 8) % 2 ? FT_IPPROTO_TCP : FT_IPPROTO_UDP;
    f->tp_src = r >> 16;
    f->tp_dst = r >> 32;
    f->nw_src = bench_rand(rng);
    f->nw_dst = bench_rand(rng);
    f->nw_ttl = 64;
}

struct bench_result {
    double inserts_per_sec;
    double lookups_per_sec;
    double hit_ratio;
    size_t n_subtables;
};

static void
bench_fill(struct ft_classifier *cls, struct ft_cls_rule *rules, size_t n)
{
    ft_cls_init(cls);
    for (size_t i = 0; i < n; i++) {
        ft_cls_insert(cls, &rules[i]);
    }
}

static void
bench_empty(struct ft_classifier *cls, struct ft_cls_rule *rules, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (rules[i].subtable) {
            ft_cls_remove(cls, &rules[i]);
        }
    }
    ft_cls_destroy(cls);
}

static struct bench_result
bench_case(size_t n_rules, int n_masks, bool banded, double seconds,
           clockid_t clock)
{
    struct bench_rng rng = { n_rules * 31 + n_masks };
    struct ft_cls_rule *rules = calloc(n_rules, sizeof *rules);
    struct ft_match *matches = calloc(n_rules, sizeof *matches);
    struct ft_flow *keys = calloc(N_KEYS, sizeof *keys);
    struct ft_flow masks[16];
    struct bench_result res;
    struct ft_classifier cls;
    size_t n_hits, n_lookups, n_inserted;
    double t0, t;

    if (!rules || !matches || !keys) {
        fprintf(stderr, "bench-classifier: out of memory\n");
        abort();
    }
    for (int i = 0; i < n_masks; i++) {
        bench_mask(i, &masks[i]);
    }
    for (size_t i = 0; i < n_rules; i++) {
        struct ft_flow key;
        int m = bench_rand(&rng) % n_masks;

        bench_flow(&rng, &key);
        ft_match_init(&matches[i], &key, &masks[m]);
        rules[i].match = &matches[i];
        rules[i].priority = (banded ? (n_masks - m) * 4096 : 0)
                            + bench_rand(&rng) % (banded ? 4096 : 65536);
    }

    /* Inserts: fill an empty classifier, as many times as fits in about
     * a quarter of the time. */
    n_inserted = 0;
    t = 0;
    do {
        t0 = now_sec(clock);
        bench_fill(&cls, rules, n_rules);
        t += now_sec(clock) - t0;
        n_inserted += n_rules;
        if (t < seconds / 4) {
            bench_empty(&cls, rules, n_rules);
        }
    } while (t < seconds / 4);
    res.inserts_per_sec = n_inserted / t;
    res.n_subtables = cls.n_subtables;

    /* Keys: 9 in 10 taken from a rule (random bits outside its mask), the
     * rest random: they miss unless a coarse rule happens to cover them. */
    for (size_t i = 0; i < N_KEYS; i++) {
        bench_flow(&rng, &keys[i]);
        if (bench_rand(&rng) % 10) {
            const struct ft_cls_rule *r = &rules[bench_rand(&rng) % n_rules];
            uint64_t *k = ft_flow_u64_rw(&keys[i]);
            const uint64_t *rk = ft_flow_u64(&r->match->flow);
            const uint64_t *rm = ft_flow_u64(&r->match->mask);

            for (size_t j = 0; j < FT_FLOW_U64S; j++) {
                k[j] = rk[j] | (k[j] & ~rm[j]);
            }
        }
    }

    /* Lookups, with wildcards tracked. */
    n_hits = n_lookups = 0;
    t0 = now_sec(clock);
    do {
        for (int rep = 0; rep < 16; rep++) {
            for (size_t i = 0; i < N_KEYS; i++) {
                struct ft_flow wc;

                ft_flow_zero(&wc);
                n_hits += ft_cls_lookup(&cls, &keys[i], &wc) != NULL;
            }
        }
        n_lookups += 16 * N_KEYS;
        t = now_sec(clock) - t0;
    } while (t < seconds * 3 / 4);
    res.lookups_per_sec = n_lookups / t;
    res.hit_ratio = (double) n_hits / n_lookups;

    bench_empty(&cls, rules, n_rules);
    free(rules);
    free(matches);
    free(keys);
    return res;
}

int
main(int argc, char *argv[])
{
    size_t sizes[] = { 1000, 10000, 100000 };
    int mask_counts[] = { 1, 4, 16 };
    size_t n_sizes = 3, n_mask_counts = 3;
    clockid_t clock = CLOCK_MONOTONIC;
    double seconds = 1.0;
    bool banded = false;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--banded")) {
            banded = true;
        } else if (!strcmp(argv[i], "--cpu-time")) {
            clock = CLOCK_THREAD_CPUTIME_ID;
        } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            seconds = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--rules") && i + 1 < argc
                   && atol(argv[i + 1]) > 0) {
            sizes[0] = atol(argv[++i]);
            n_sizes = 1;
        } else if (!strcmp(argv[i], "--masks") && i + 1 < argc
                   && atoi(argv[i + 1]) >= 1 && atoi(argv[i + 1]) <= 16) {
            mask_counts[0] = atoi(argv[++i]);
            n_mask_counts = 1;
        } else {
            fprintf(stderr, "usage: %s [--banded] [--cpu-time] "
                    "[--seconds S] [--rules N] [--masks 1-16]\n", argv[0]);
            return 2;
        }
    }
    if (seconds <= 0) {
        seconds = 1.0;
    }

    printf("classifier, one core, %s priorities, lookups with wildcards, "
           "%s time\n", banded ? "per-mask banded" : "random",
           clock == CLOCK_MONOTONIC ? "wall-clock" : "CPU");
    printf("%8s %6s %10s %12s %12s %6s\n",
           "rules", "masks", "subtables", "inserts/s", "lookups/s", "hits");
    for (size_t s = 0; s < n_sizes; s++) {
        for (size_t m = 0; m < n_mask_counts; m++) {
            struct bench_result r = bench_case(sizes[s], mask_counts[m],
                                               banded, seconds, clock);

            printf("%8zu %6d %10zu %12.0f %12.0f %5.1f%%\n",
                   sizes[s], mask_counts[m], r.n_subtables,
                   r.inserts_per_sec, r.lookups_per_sec, 100 * r.hit_ratio);
            fflush(stdout);
        }
    }
    return 0;
}

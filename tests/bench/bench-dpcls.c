/*
 * bench-dpcls.c - throughput of the megaflow cache (swpath/dpcls.c) and the
 * exact-match cache (swpath/emc.c) on one core.
 *
 * For 1k and 100k megaflows spread evenly over 1, 4 and 16 masks, measures
 * insertion into an empty cache, then lookups of keys that each fall
 * inside a megaflow (about 1 in 10 falls inside none):
 *
 *   single   ft_dpcls_lookup(), one key at a time, 8192 distinct keys;
 *   batch    ft_dpcls_lookup_batch() with 32 keys per call, same keys;
 *   emc      ft_emc_lookup_cls() (8192-entry EMC) over a working set of
 *            1024 distinct keys: mostly EMC hits, as with a few busy
 *            connections;
 *   emc-8k   the same over the 8192 keys: the EMC thrashes and most
 *            lookups pay for both caches.
 *
 * Megaflows are disjoint by construction (every mask matches nw_dst
 * exactly and each megaflow has its own nw_dst), and traffic is spread
 * evenly over them, so a lookup probes on average half of the subtables.
 *
 * Usage: bench-dpcls [--seconds S]   (time per measurement, default 0.3)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swpath/dpcls.h"
#include "swpath/emc.h"

#define N_KEYS 8192
#define N_HOT_KEYS 1024

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
now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Mask 'i' (0..15): in_port, dl_type and nw_dst always, plus one of the 16
 * combinations of nw_src/24, nw_proto, tp_dst and the outer VLAN. */
static void
bench_mask(int i, struct ft_flow *m)
{
    ft_flow_zero(m);
    m->in_port = UINT32_MAX;
    m->dl_type = 0xffff;
    m->nw_dst = UINT32_MAX;
    if (i & 1) {
        m->nw_src = 0xffffff00;
    }
    if (i & 2) {
        m->nw_proto = 0xff;
    }
    if (i & 4) {
        m->tp_dst = 0xffff;
    }
    if (i & 8) {
        m->vlans[0].tpid = 0xffff;
        m->vlans[0].tci = FT_VLAN_CFI | FT_VLAN_VID_MASK;
    }
}

/* A packet-like key: every field a received packet would have. */
static void
bench_key(struct ft_flow *k, struct bench_rng *rng)
{
    uint64_t r = bench_rand(rng);

    ft_flow_zero(k);
    k->in_port = 1 + (r & 3);
    k->dl_type = FT_ETH_TYPE_IP;
    k->dl_src.ea[0] = 0x02;
    k->dl_src.ea[5] = r >> 8;
    k->dl_dst.ea[0] = 0x02;
    k->dl_dst.ea[5] = r >> 16;
    k->nw_src = 0x0a000000 | (uint32_t) (r >> 24 & 0xffffff);
    k->nw_dst = 0xc0000000 | (uint32_t) (bench_rand(rng) & 0xfffff);
    k->nw_proto = r >> 48 & 1 ? FT_IPPROTO_TCP : FT_IPPROTO_UDP;
    k->nw_ttl = 64;
    k->tp_src = r >> 50;
    k->tp_dst = (uint16_t[]) { 22, 53, 80, 443 }[r >> 62];
    if (r >> 61 & 1) {
        k->vlans[0].tpid = FT_ETH_TYPE_VLAN;
        k->vlans[0].tci = FT_VLAN_CFI | (r >> 40 & 0xff);
    }
}

struct bench_case {
    struct ft_dpcls cls;
    struct ft_dpcls_flow **flows;
    struct ft_flow *keys;           /* N_KEYS lookup keys. */
    size_t n_flows;
};

/* Fills 'bc' with 'n' megaflows over 'n_masks' masks; returns the
 * insertion rate (megaflows/s) or a negative value on failure. */
static double
bench_fill(struct bench_case *bc, size_t n, int n_masks,
           struct bench_rng *rng)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_match *matches = malloc(n * sizeof *matches);
    double t0, t1;

    bc->flows = calloc(n, sizeof *bc->flows);
    bc->keys = malloc(N_KEYS * sizeof *bc->keys);
    if (!matches || !bc->flows || !bc->keys) {
        free(matches);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct ft_flow key, mask;

        bench_key(&key, rng);
        key.nw_dst = 0xc0a80000 + i;    /* Makes megaflows disjoint. */
        bench_mask(i % n_masks, &mask);
        ft_match_init(&matches[i], &key, &mask);
    }
    ft_dp_actions_put_output(&acts, 2);

    ft_dpcls_init(&bc->cls);
    t0 = now_sec();
    for (size_t i = 0; i < n; i++) {
        if (ft_dpcls_insert(&bc->cls, &matches[i], &acts, NULL,
                            &bc->flows[i])) {
            fprintf(stderr, "bench-dpcls: insertion %zu failed\n", i);
            free(matches);
            ft_dp_actions_uninit(&acts);
            return -1;
        }
    }
    t1 = now_sec();
    bc->n_flows = n;

    /* Keys: a random packet, moved inside a random megaflow 9 times in
     * 10. */
    for (size_t i = 0; i < N_KEYS; i++) {
        struct ft_flow *k = &bc->keys[i];

        bench_key(k, rng);
        if (bench_rand(rng) % 10) {
            const struct ft_match *m = &matches[bench_rand(rng) % n];
            uint64_t *kw = ft_flow_u64_rw(k);
            const uint64_t *mk = ft_flow_u64(&m->flow);
            const uint64_t *mm = ft_flow_u64(&m->mask);

            for (size_t w = 0; w < FT_FLOW_U64S; w++) {
                kw[w] = (kw[w] & ~mm[w]) | mk[w];
            }
        }
    }
    free(matches);
    ft_dp_actions_uninit(&acts);
    return n / (t1 - t0);
}

/* Runs lookups of kind 'mode' over the first 'n_keys' keys for about
 * 'seconds'; returns lookups per second.  'hits' receives the hit count
 * of the last pass, as a sanity check. */
enum bench_mode { MODE_SINGLE, MODE_BATCH, MODE_EMC };

static double
bench_lookups(struct bench_case *bc, enum bench_mode mode, size_t n_keys,
              double seconds, size_t *hits)
{
    struct ft_emc emc;
    uint64_t n = 0;
    double t0, t;

    if (mode == MODE_EMC && ft_emc_init(&emc, FT_EMC_DEFAULT_ENTRIES)) {
        return -1;
    }
    t0 = now_sec();
    do {
        size_t h = 0;

        for (size_t i = 0; i < n_keys; ) {
            if (mode == MODE_BATCH) {
                const struct ft_flow *kp[FT_DPCLS_BATCH_MAX];
                struct ft_dpcls_flow *out[FT_DPCLS_BATCH_MAX];
                size_t bn = n_keys - i < FT_DPCLS_BATCH_MAX
                            ? n_keys - i : FT_DPCLS_BATCH_MAX;

                for (size_t j = 0; j < bn; j++) {
                    kp[j] = &bc->keys[i + j];
                }
                h += ft_dpcls_lookup_batch(&bc->cls, kp, bn, out);
                i += bn;
            } else if (mode == MODE_EMC) {
                h += ft_emc_lookup_cls(&emc, &bc->cls, &bc->keys[i++])
                     != NULL;
            } else {
                h += ft_dpcls_lookup(&bc->cls, &bc->keys[i++]) != NULL;
            }
        }
        *hits = h;
        n += n_keys;
        t = now_sec() - t0;
    } while (t < seconds);
    if (mode == MODE_EMC) {
        ft_emc_uninit(&emc);
    }
    return n / t;
}

int
main(int argc, char *argv[])
{
    static const size_t sizes[] = { 1000, 100000 };
    static const int masks[] = { 1, 4, 16 };
    double seconds = 0.3;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            seconds = atof(argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [--seconds S]\n", argv[0]);
            return 1;
        }
    }

    printf("%-10s %5s %10s %12s %12s %12s %12s %6s\n", "megaflows",
           "masks", "insert/s", "single/s", "batch/s", "emc/s", "emc-8k/s",
           "hit%");
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        for (size_t m = 0; m < sizeof masks / sizeof *masks; m++) {
            struct bench_rng rng = { 42 + s * 10 + m };
            struct bench_case bc;
            double ins, single, batch, emc, emc8k;
            size_t hits, hits_batch, hits_emc, hits_emc8k;

            memset(&bc, 0, sizeof bc);
            ins = bench_fill(&bc, sizes[s], masks[m], &rng);
            if (ins < 0) {
                fprintf(stderr, "bench-dpcls: setup failed\n");
                return 1;
            }
            single = bench_lookups(&bc, MODE_SINGLE, N_KEYS, seconds,
                                   &hits);
            batch = bench_lookups(&bc, MODE_BATCH, N_KEYS, seconds,
                                  &hits_batch);
            emc = bench_lookups(&bc, MODE_EMC, N_HOT_KEYS, seconds,
                                &hits_emc);
            emc8k = bench_lookups(&bc, MODE_EMC, N_KEYS, seconds,
                                  &hits_emc8k);
            if (hits != hits_batch || hits_emc8k != hits) {
                fprintf(stderr, "bench-dpcls: lookups disagree (%zu %zu "
                        "%zu)\n", hits, hits_batch, hits_emc8k);
                return 1;
            }
            printf("%-10zu %5d %10.3g %12.4g %12.4g %12.4g %12.4g %6.1f\n",
                   sizes[s], masks[m], ins, single, batch, emc, emc8k,
                   100.0 * hits / N_KEYS);
            fflush(stdout);
            ft_dpcls_destroy(&bc.cls);
            free(bc.flows);
            free(bc.keys);
        }
    }
    return 0;
}

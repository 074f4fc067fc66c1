/*
 * test-classifier.c - unit tests for mgmt/ofproto/classifier.c and
 * mgmt/ofproto/classifier-trie.c.
 *
 * Hand-written cases for insertion, duplicates, replacement, removal,
 * iteration and the wildcards of staged lookup and prefix tries (what Open
 * vSwitch 3.1 un-wildcards in the same cases); the tries' tables against
 * walks from the root and against the prefixes themselves; then a randomized
 * comparison against a trivial linear classifier: same rule for every
 * lookup, every bit the classifier did not report in 'wc' may change
 * without changing the linear answer, and 'wc' never holds a bit outside
 * the masks of the subtables a lookup had to search.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mgmt/ofproto/classifier.h"
#include "mgmt/ofproto/classifier-trie.h"

/* Deterministic pseudo-random numbers (splitmix64). */
struct rng {
    uint64_t state;
};

static uint64_t
rng_next(struct rng *rng)
{
    uint64_t z = (rng->state += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint32_t
rng_range(struct rng *rng, uint32_t n)
{
    return rng_next(rng) % n;
}

static uint32_t
prefix_mask(unsigned int len)
{
    return len ? UINT32_MAX << (32 - len) : 0;
}

/* A rule as the tests hold it. */
struct trule {
    struct ft_cls_rule cr;
    struct ft_match match;  /* What cr.match points to. */
    uint64_t ref_seq;       /* Insertion order, for the linear reference. */
    bool in;                /* In the classifier now. */
};

static void
trule_init(struct trule *r, const struct ft_flow *key,
           const struct ft_flow *mask, int32_t priority)
{
    memset(r, 0, sizeof *r);
    ft_match_init(&r->match, key, mask);
    r->cr.match = &r->match;
    r->cr.priority = priority;
}

/* ---------------------------------------------------------------------- */
/* Hand-written cases. */

static void
ip_flow(struct ft_flow *f, uint32_t in_port, uint32_t nw_src, uint32_t nw_dst,
        uint8_t nw_proto, uint16_t tp_dst)
{
    ft_flow_zero(f);
    f->in_port = in_port;
    f->dl_type = FT_ETH_TYPE_IP;
    f->nw_src = nw_src;
    f->nw_dst = nw_dst;
    f->nw_proto = nw_proto;
    f->tp_dst = tp_dst;
}

static void
test_insert_duplicate(void **state)
{
    struct ft_classifier cls;
    struct trule a, b, c;
    struct ft_flow key, mask;

    (void) state;
    ft_cls_init(&cls);
    ip_flow(&key, 1, 0x0a000001, 0, 6, 80);
    ft_flow_zero(&mask);
    mask.in_port = UINT32_MAX;
    mask.nw_src = prefix_mask(24);

    trule_init(&a, &key, &mask, 100);
    trule_init(&b, &key, &mask, 100);
    trule_init(&c, &key, &mask, 200);

    assert_null(ft_cls_insert(&cls, &a.cr));
    assert_ptr_equal(ft_cls_insert(&cls, &b.cr), &a.cr);
    assert_int_equal(ft_cls_count(&cls), 1);
    assert_null(ft_cls_insert(&cls, &c.cr));
    assert_int_equal(ft_cls_count(&cls), 2);

    /* Same masked key, two priorities: the higher one wins. */
    assert_ptr_equal(ft_cls_lookup(&cls, &key, NULL), &c.cr);
    assert_ptr_equal(ft_cls_find_exact(&cls, a.cr.match, 100), &a.cr);
    assert_ptr_equal(ft_cls_find_exact(&cls, a.cr.match, 200), &c.cr);
    assert_null(ft_cls_find_exact(&cls, a.cr.match, 150));

    ft_cls_remove(&cls, &c.cr);
    assert_ptr_equal(ft_cls_lookup(&cls, &key, NULL), &a.cr);
    ft_cls_remove(&cls, &a.cr);
    assert_null(ft_cls_lookup(&cls, &key, NULL));
    assert_int_equal(ft_cls_count(&cls), 0);
    assert_int_equal(cls.n_subtables, 0);
    ft_cls_destroy(&cls);
}

static void
test_replace_keeps_position(void **state)
{
    struct ft_classifier cls;
    struct trule a, b, x;
    struct ft_flow key, mask_a, mask_x;

    (void) state;
    ft_cls_init(&cls);
    ip_flow(&key, 3, 0x0a000001, 0x0a000002, 17, 53);
    ft_flow_zero(&mask_a);
    mask_a.in_port = UINT32_MAX;
    ft_flow_zero(&mask_x);
    mask_x.tp_dst = UINT16_MAX;

    /* 'a' and 'x' tie on priority; 'a' came first and wins. */
    trule_init(&a, &key, &mask_a, 7);
    trule_init(&x, &key, &mask_x, 7);
    assert_null(ft_cls_insert(&cls, &a.cr));
    assert_null(ft_cls_insert(&cls, &x.cr));
    assert_ptr_equal(ft_cls_lookup(&cls, &key, NULL), &a.cr);

    /* 'b' replaces 'a' and inherits its place in the tie. */
    trule_init(&b, &key, &mask_a, 7);
    assert_ptr_equal(ft_cls_insert(&cls, &b.cr), &a.cr);
    ft_cls_replace(&cls, &a.cr, &b.cr);
    assert_int_equal(ft_cls_count(&cls), 2);
    assert_ptr_equal(ft_cls_lookup(&cls, &key, NULL), &b.cr);
    assert_ptr_equal(ft_cls_find_exact(&cls, b.cr.match, 7), &b.cr);

    ft_cls_remove(&cls, &b.cr);
    assert_ptr_equal(ft_cls_lookup(&cls, &key, NULL), &x.cr);
    ft_cls_remove(&cls, &x.cr);
    ft_cls_destroy(&cls);
}

static void
test_remove_updates_max_priority(void **state)
{
    struct ft_classifier cls;
    struct trule hi, lo, mid;
    struct ft_flow key, mask1, mask2, wc;

    (void) state;
    ft_cls_init(&cls);
    ip_flow(&key, 1, 0x0a010203, 0xc0a80001, 6, 22);
    ft_flow_zero(&mask1);
    mask1.nw_src = prefix_mask(16);
    ft_flow_zero(&mask2);
    mask2.tp_dst = UINT16_MAX;

    trule_init(&hi, &key, &mask1, 100);
    trule_init(&lo, &key, &mask1, 10);
    trule_init(&mid, &key, &mask2, 50);
    assert_null(ft_cls_insert(&cls, &hi.cr));
    assert_null(ft_cls_insert(&cls, &lo.cr));
    assert_null(ft_cls_insert(&cls, &mid.cr));

    /* nw_src's subtable (max 100) is searched first, then tp_dst's (max 50
     * < 100) is skipped: only nw_src/16 is consulted. */
    ft_flow_zero(&wc);
    assert_ptr_equal(ft_cls_lookup(&cls, &key, &wc), &hi.cr);
    assert_int_equal(wc.nw_src, prefix_mask(16));
    assert_int_equal(wc.tp_dst, 0);

    /* Now the nw_src subtable's maximum drops to 10: tp_dst's subtable
     * comes first, wins, and nw_src is not consulted at all. */
    ft_cls_remove(&cls, &hi.cr);
    ft_flow_zero(&wc);
    assert_ptr_equal(ft_cls_lookup(&cls, &key, &wc), &mid.cr);
    assert_int_equal(wc.tp_dst, UINT16_MAX);
    assert_int_equal(wc.nw_src, 0);

    /* A key that misses tp_dst consults both and finds 'lo'. */
    key.tp_dst = 23;
    ft_flow_zero(&wc);
    assert_ptr_equal(ft_cls_lookup(&cls, &key, &wc), &lo.cr);
    assert_int_equal(wc.tp_dst, UINT16_MAX);
    assert_int_equal(wc.nw_src, prefix_mask(16));

    ft_cls_remove(&cls, &mid.cr);
    ft_cls_remove(&cls, &lo.cr);
    assert_int_equal(cls.n_subtables, 0);
    ft_cls_destroy(&cls);
}

static void
test_catchall_and_miss(void **state)
{
    struct ft_classifier cls;
    struct trule any, web;
    struct ft_flow key, mask, wc;

    (void) state;
    ft_cls_init(&cls);
    ip_flow(&key, 1, 1, 2, 6, 80);
    ft_flow_zero(&mask);
    trule_init(&any, &key, &mask, 0);
    mask.tp_dst = UINT16_MAX;
    trule_init(&web, &key, &mask, 10);

    assert_null(ft_cls_lookup(&cls, &key, NULL));
    assert_null(ft_cls_insert(&cls, &any.cr));
    assert_null(ft_cls_insert(&cls, &web.cr));
    assert_ptr_equal(ft_cls_lookup(&cls, &key, NULL), &web.cr);
    key.tp_dst = 443;
    ft_flow_zero(&wc);
    assert_ptr_equal(ft_cls_lookup(&cls, &key, &wc), &any.cr);
    /* The ports trie: 443 (0x01bb) leaves 80 (0x0050) at bit 7, so only
     * tp_dst's top 8 bits decide the miss. */
    assert_int_equal(wc.tp_dst, 0xff00);
    wc.tp_dst = 0;
    assert_true(ft_flow_is_zero(&wc));
    ft_cls_remove(&cls, &any.cr);
    ft_cls_remove(&cls, &web.cr);
    ft_cls_destroy(&cls);
}

/* A subtable ruled out by an early stage leaves its later stages
 * wildcarded: reg0=1,dl_dst=X misses on reg0 before dl_dst is looked at. */
static void
test_stage_miss(void **state)
{
    struct ft_classifier cls;
    struct trule hi, any;
    struct ft_flow key, mask, wc, want;

    (void) state;
    ft_cls_init(&cls);
    ip_flow(&key, 1, 0x0a010001, 0x0a000002, 47, 0);
    key.dl_dst.ea[0] = 0x02;
    key.dl_dst.ea[5] = 0x04;
    key.regs[0] = 1;
    ft_flow_zero(&mask);
    mask.regs[0] = UINT32_MAX;
    memset(&mask.dl_dst, 0xff, sizeof mask.dl_dst);
    trule_init(&hi, &key, &mask, 10);
    ft_flow_zero(&mask);
    trule_init(&any, &key, &mask, 0);
    assert_null(ft_cls_insert(&cls, &hi.cr));
    assert_null(ft_cls_insert(&cls, &any.cr));

    /* reg0=0: the metadata stage misses; dl_dst stays wildcarded. */
    key.regs[0] = 0;
    ft_flow_zero(&wc);
    assert_ptr_equal(ft_cls_lookup(&cls, &key, &wc), &any.cr);
    ft_flow_zero(&want);
    want.regs[0] = UINT32_MAX;
    assert_true(ft_flow_equal(&wc, &want));

    /* reg0=1 but another dl_dst: both stages were consulted. */
    key.regs[0] = 1;
    key.dl_dst.ea[5] = 0x05;
    ft_flow_zero(&wc);
    assert_ptr_equal(ft_cls_lookup(&cls, &key, &wc), &any.cr);
    memset(&want.dl_dst, 0xff, sizeof want.dl_dst);
    assert_true(ft_flow_equal(&wc, &want));

    /* A hit consults the whole mask. */
    key.dl_dst.ea[5] = 0x04;
    ft_flow_zero(&wc);
    assert_ptr_equal(ft_cls_lookup(&cls, &key, &wc), &hi.cr);
    assert_true(ft_flow_equal(&wc, &want));

    /* A mask that differs only in L4 (in_port=1,tp_dst=80): a packet
     * from port 2 consults in_port only. */
    struct trule web;

    ip_flow(&key, 1, 0, 0, 6, 80);
    ft_flow_zero(&mask);
    mask.in_port = UINT32_MAX;
    mask.tp_dst = UINT16_MAX;
    trule_init(&web, &key, &mask, 20);
    assert_null(ft_cls_insert(&cls, &web.cr));
    key.in_port = 2;
    ft_flow_zero(&wc);
    assert_ptr_equal(ft_cls_lookup(&cls, &key, &wc), &any.cr);
    assert_int_equal(wc.in_port, UINT32_MAX);
    assert_int_equal(wc.tp_dst, 0);

    ft_cls_remove(&cls, &web.cr);
    ft_cls_remove(&cls, &hi.cr);
    ft_cls_remove(&cls, &any.cr);
    ft_cls_destroy(&cls);
}

/* Prefix tries: an IPv4 lookup consults only the address bits needed to
 * rule out every prefix of a subtable's length. */
static void
test_prefix_tries(void **state)
{
    struct ft_classifier cls;
    struct trule net24, net8, any;
    struct ft_flow key, mask, wc;

    (void) state;
    ft_cls_init(&cls);
    ip_flow(&key, 1, 0x0a000000, 0, 0, 0);
    ft_flow_zero(&mask);
    mask.dl_type = UINT16_MAX;
    mask.nw_src = prefix_mask(24);
    trule_init(&net24, &key, &mask, 10);        /* ip,nw_src=10.0.0.0/24 */
    ft_flow_zero(&mask);
    trule_init(&any, &key, &mask, 0);
    assert_null(ft_cls_insert(&cls, &net24.cr));
    assert_null(ft_cls_insert(&cls, &any.cr));

    /* 10.1.0.1 leaves 10.0.0.0/24 at bit 15: nw_src/16, not /24 (what
     * OVS 3.1 shows as nw_src=10.1.0.0/16 in the megaflow). */
    key.nw_src = 0x0a010001;
    ft_flow_zero(&wc);
    assert_ptr_equal(ft_cls_lookup(&cls, &key, &wc), &any.cr);
    assert_int_equal(wc.nw_src, prefix_mask(16));
    assert_int_equal(wc.dl_type, UINT16_MAX);   /* The L2 stage matched. */

    /* 10.0.0.77 is inside: a hit consults the whole /24. */
    key.nw_src = 0x0a00004d;
    ft_flow_zero(&wc);
    assert_ptr_equal(ft_cls_lookup(&cls, &key, &wc), &net24.cr);
    assert_int_equal(wc.nw_src, prefix_mask(24));

    /* 10.0.1.1: leaves at bit 23, which is within the /24: the miss
     * needs all 24 bits. */
    key.nw_src = 0x0a000101;
    ft_flow_zero(&wc);
    assert_ptr_equal(ft_cls_lookup(&cls, &key, &wc), &any.cr);
    assert_int_equal(wc.nw_src, prefix_mask(24));

    /* The tries serve IPv4 only (ARP reuses nw_src): no skipping. */
    key.nw_src = 0x0a010001;
    key.dl_type = FT_ETH_TYPE_ARP;
    ft_flow_zero(&wc);
    assert_ptr_equal(ft_cls_lookup(&cls, &key, &wc), &any.cr);
    assert_int_equal(wc.dl_type, UINT16_MAX);
    assert_int_equal(wc.nw_src, 0);             /* L2 missed first. */

    /* A /8 with a lower priority: 10.1.0.1 is inside the /8, so the trie
     * has a match of length 8 and one path of length 24 left at bit 15.
     * The /24 subtable is skipped with 16 bits; the /8 one hits. */
    key.dl_type = FT_ETH_TYPE_IP;
    ft_flow_zero(&mask);
    mask.dl_type = UINT16_MAX;
    mask.nw_src = prefix_mask(8);
    trule_init(&net8, &key, &mask, 5);
    assert_null(ft_cls_insert(&cls, &net8.cr));
    ft_flow_zero(&wc);
    assert_ptr_equal(ft_cls_lookup(&cls, &key, &wc), &net8.cr);
    assert_int_equal(wc.nw_src, prefix_mask(16));

    /* 11.0.0.1: leaves the whole trie at bit 7 (10 = 00001010, 11 =
     * 00001011): 8 bits, for both subtables. */
    key.nw_src = 0x0b000001;
    ft_flow_zero(&wc);
    assert_ptr_equal(ft_cls_lookup(&cls, &key, &wc), &any.cr);
    assert_int_equal(wc.nw_src, prefix_mask(8));

    ft_cls_remove(&cls, &net24.cr);

    /* With the /24 gone, 10.1.0.1 ends on the /8 leaf: the /8 hits and
     * consults 8 bits. */
    key.nw_src = 0x0a010001;
    ft_flow_zero(&wc);
    assert_ptr_equal(ft_cls_lookup(&cls, &key, &wc), &net8.cr);
    assert_int_equal(wc.nw_src, prefix_mask(8));

    ft_cls_remove(&cls, &net8.cr);
    ft_cls_remove(&cls, &any.cr);
    ft_cls_destroy(&cls);
}

/* The answer of a walk of 't' from its root, ignoring its table. */
static unsigned int
trie_walk_plain(const struct ft_cls_trie *t, uint32_t value, uint64_t *plens)
{
    struct ft_cls_trie_walk w;

    ft_cls_trie_walk_start_root(&w, t, value);
    while (!w.finished) {
        ft_cls_trie_walk_step(&w);
    }
    *plens = w.plens;
    return w.maskbits;
}

/* What a trie lookup of 'v' must answer, from the list of prefixes:
 * every length of a prefix that 'v' starts with, and the bits that decide
 * it, the most over all prefixes of (bits in common with 'v', plus the
 * first bit that differs, if the prefix is longer). */
static unsigned int
trie_brute_force(uint32_t v, const uint32_t *prefixes, const uint8_t *lens,
                 size_t n, uint64_t *plens)
{
    unsigned int maskbits = 0;

    *plens = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t diff = (v ^ prefixes[i]) & prefix_mask(lens[i]);
        unsigned int common = diff ? __builtin_clz(diff) : lens[i];
        unsigned int bits = common < lens[i] ? common + 1 : lens[i];

        if (common == lens[i]) {
            *plens |= UINT64_C(1) << lens[i];
        }
        if (bits > maskbits) {
            maskbits = bits;
        }
    }
    return maskbits;
}

/* Checks that lookups through the table of 't' answer as walks from its
 * root do, for values near 'prefixes' (and some random ones), and, for
 * some, as the list of prefixes says they must. */
static void
check_trie_table(struct rng *rng, const struct ft_cls_trie *t,
                 const uint32_t *prefixes, const uint8_t *lens, size_t n)
{
    for (int i = 0; i < 300; i++) {
        uint32_t v = rng_next(rng);
        uint64_t plens_table, plens_plain;
        unsigned int bits_table, bits_plain;

        if (n && rng_range(rng, 8)) {
            /* A stored prefix, perhaps with one bit flipped, and random
             * bits past a random point. */
            uint32_t keep = prefix_mask(rng_range(rng, 33));

            v = (prefixes[rng_range(rng, n)] & keep) | (v & ~keep);
            if (rng_range(rng, 2)) {
                v ^= UINT32_C(1) << rng_range(rng, 32);
            }
        }
        bits_table = ft_cls_trie_lookup(t, v, &plens_table);
        bits_plain = trie_walk_plain(t, v, &plens_plain);
        assert_int_equal(bits_table, bits_plain);
        assert_int_equal(plens_table, plens_plain);
        if (i % 16 == 0) {
            uint64_t plens_want;

            assert_int_equal(bits_table, trie_brute_force(v, prefixes, lens,
                                                          n, &plens_want));
            assert_int_equal(plens_table, plens_want);
        }
    }
}

/* A trie's table (the walk state after a value's first bits) stays what
 * a walk from the root computes, while prefixes come and go and the table
 * grows and shrinks. */
static void
test_trie_table(void **state)
{
    enum { MAX_PREFIXES = 6000 };
    static uint32_t prefixes[MAX_PREFIXES];
    static uint8_t plens[MAX_PREFIXES];
    struct rng rng = { 17 };
    struct ft_cls_trie t;
    uint32_t bases[8];
    unsigned int max_bits = 0;
    uint32_t max_prefixes = 0;
    size_t n = 0;

    (void) state;
    memset(&t, 0, sizeof t);
    t.indexed = true;
    for (int i = 0; i < 8; i++) {
        bases[i] = rng_next(&rng);
    }
    for (int round = 0; round < 3; round++) {
        size_t target = round == 1 ? 200 : MAX_PREFIXES;

        /* Grow to 'target' prefixes (clustered around a few bases, of
         * every length), then shrink to a tenth, checking on the way. */
        while (n < target) {
            unsigned int len = 1 + rng_range(&rng, 32);
            uint32_t v = rng_range(&rng, 4) ? bases[rng_range(&rng, 8)]
                                              ^ (uint32_t) rng_next(&rng)
                                                >> rng_range(&rng, 32)
                                            : (uint32_t) rng_next(&rng);

            prefixes[n] = v & prefix_mask(len);
            plens[n] = len;
            ft_cls_trie_insert(&t, prefixes[n], len);
            n++;
            if (n % 97 == 0) {
                check_trie_table(&rng, &t, prefixes, plens, n);
            }
            if (t.table_bits > max_bits) {
                max_bits = t.table_bits;
            }
            if (t.n_prefixes > max_prefixes) {
                max_prefixes = t.n_prefixes;
            }
        }
        while (n > target / 10) {
            size_t i = rng_range(&rng, n);

            ft_cls_trie_remove(&t, prefixes[i], plens[i]);
            prefixes[i] = prefixes[n - 1];
            plens[i] = plens[n - 1];
            n--;
            if (n % 89 == 0) {
                check_trie_table(&rng, &t, prefixes, plens, n);
            }
        }
        check_trie_table(&rng, &t, prefixes, plens, n);
    }
    /* About one entry per distinct prefix (some of the 6000 repeat). */
    assert_true(max_prefixes > 2048);
    assert_int_equal(max_bits, 31 - __builtin_clz(max_prefixes));
    while (n) {
        n--;
        ft_cls_trie_remove(&t, prefixes[n], plens[n]);
    }
    assert_int_equal(t.n_prefixes, 0);
    assert_int_equal(t.root, 0);
    assert_null(t.table);
    check_trie_table(&rng, &t, prefixes, plens, 0);
    ft_cls_trie_destroy(&t);
}

static int
collect_cb(struct ft_cls_rule *rule, void *aux)
{
    struct ft_cls_rule **seen = aux;

    while (*seen) {
        seen++;
    }
    *seen = rule;
    return 0;
}

static bool
seen_has(struct ft_cls_rule **seen, const struct trule *r)
{
    for (; *seen; seen++) {
        if (*seen == &r->cr) {
            return true;
        }
    }
    return false;
}

static int
stop_cb(struct ft_cls_rule *rule, void *aux)
{
    int *n = aux;

    (void) rule;
    return ++*n == 2 ? 42 : 0;
}

static void
test_foreach_loose(void **state)
{
    struct ft_classifier cls;
    struct trule r[5];
    struct ft_cls_rule *seen[8];
    struct ft_flow key, mask;
    struct ft_match target;
    int n;

    (void) state;
    ft_cls_init(&cls);

    /* r0: nw_src=10.1.0.0/16.  r1: nw_src=10.0.0.0/8.  r2: nw_src=11/8.
     * r3: nw_src=10.1.2.3/32,tp_dst=80.  r4: tp_dst=80 only. */
    ip_flow(&key, 0, 0x0a010203, 0, 0, 80);
    ft_flow_zero(&mask);
    mask.nw_src = prefix_mask(16);
    trule_init(&r[0], &key, &mask, 1);
    mask.nw_src = prefix_mask(8);
    trule_init(&r[1], &key, &mask, 2);
    key.nw_src = 0x0b000000;
    trule_init(&r[2], &key, &mask, 3);
    key.nw_src = 0x0a010203;
    mask.nw_src = UINT32_MAX;
    mask.tp_dst = UINT16_MAX;
    trule_init(&r[3], &key, &mask, 4);
    ft_flow_zero(&mask);
    mask.tp_dst = UINT16_MAX;
    trule_init(&r[4], &key, &mask, 5);
    for (int i = 0; i < 5; i++) {
        assert_null(ft_cls_insert(&cls, &r[i].cr));
    }

    /* Target nw_src=10.0.0.0/8: r0, r1, r3 (masks cover /8, keys agree). */
    ft_flow_zero(&key);
    ft_flow_zero(&mask);
    key.nw_src = 0x0a000000;
    mask.nw_src = prefix_mask(8);
    ft_match_init(&target, &key, &mask);
    memset(seen, 0, sizeof seen);
    assert_int_equal(ft_cls_foreach(&cls, &target, collect_cb, seen), 0);
    assert_true(seen_has(seen, &r[0]));
    assert_true(seen_has(seen, &r[1]));
    assert_true(seen_has(seen, &r[3]));
    assert_null(seen[3]);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(ft_cls_rule_is_loose_match(&r[i].cr, &target),
                         i == 0 || i == 1 || i == 3);
    }

    /* Target nw_src=10.1.0.0/16: r1's /8 does not cover it. */
    key.nw_src = 0x0a010000;
    mask.nw_src = prefix_mask(16);
    ft_match_init(&target, &key, &mask);
    memset(seen, 0, sizeof seen);
    ft_cls_foreach(&cls, &target, collect_cb, seen);
    assert_true(seen_has(seen, &r[0]));
    assert_true(seen_has(seen, &r[3]));
    assert_null(seen[2]);

    /* No target: all five; a callback's nonzero return stops the walk. */
    memset(seen, 0, sizeof seen);
    ft_cls_foreach(&cls, NULL, collect_cb, seen);
    for (int i = 0; i < 5; i++) {
        assert_true(seen_has(seen, &r[i]));
    }
    n = 0;
    assert_int_equal(ft_cls_foreach(&cls, NULL, stop_cb, &n), 42);
    assert_int_equal(n, 2);

    for (int i = 0; i < 5; i++) {
        ft_cls_remove(&cls, &r[i].cr);
    }
    ft_cls_destroy(&cls);
}

static void
test_many_rules_one_subtable(void **state)
{
    enum { N = 5000 };
    struct ft_classifier cls;
    struct trule *r = calloc(N, sizeof *r);
    struct ft_flow key, mask;

    (void) state;
    assert_non_null(r);
    ft_cls_init(&cls);
    ft_flow_zero(&mask);
    mask.nw_dst = UINT32_MAX;
    ip_flow(&key, 0, 0, 0, 0, 0);

    /* Grows the hash table many times, then shrinks it. */
    for (int i = 0; i < N; i++) {
        key.nw_dst = i * 7919;
        trule_init(&r[i], &key, &mask, i % 3);
        assert_null(ft_cls_insert(&cls, &r[i].cr));
    }
    for (int i = 0; i < N; i++) {
        key.nw_dst = i * 7919;
        assert_ptr_equal(ft_cls_lookup(&cls, &key, NULL), &r[i].cr);
    }
    for (int i = 0; i < N; i += 2) {
        ft_cls_remove(&cls, &r[i].cr);
    }
    for (int i = 0; i < N; i++) {
        key.nw_dst = i * 7919;
        assert_ptr_equal(ft_cls_lookup(&cls, &key, NULL),
                         i % 2 ? &r[i].cr : NULL);
    }
    for (int i = 1; i < N; i += 2) {
        ft_cls_remove(&cls, &r[i].cr);
    }
    assert_int_equal(ft_cls_count(&cls), 0);
    ft_cls_destroy(&cls);
    free(r);
}

/* Removing rules from the top priority down makes the subtable's maximum
 * change at every step; it must stay exact (and cheap). */
static void
test_max_priority_descending_removal(void **state)
{
    enum { N = 20000 };
    struct ft_classifier cls;
    struct trule *r = calloc(N, sizeof *r);
    struct trule any;
    struct ft_flow key, mask, wc;

    (void) state;
    assert_non_null(r);
    ft_cls_init(&cls);
    ip_flow(&key, 0, 0, 0, 0, 0);
    ft_flow_zero(&mask);
    trule_init(&any, &key, &mask, N / 2);
    assert_null(ft_cls_insert(&cls, &any.cr));
    mask.nw_dst = UINT32_MAX;
    for (int i = 0; i < N; i++) {
        key.nw_dst = i;
        trule_init(&r[i], &key, &mask, i);
        assert_null(ft_cls_insert(&cls, &r[i].cr));
    }

    for (int top = N - 1; top >= 0; top--) {
        /* The nw_dst subtable's maximum is 'top'. */
        key.nw_dst = top;
        ft_flow_zero(&wc);
        assert_ptr_equal(ft_cls_lookup(&cls, &key, &wc),
                         top > N / 2 ? &r[top].cr : &any.cr);
        /* Below the catch-all's priority it is not even searched. */
        assert_int_equal(wc.nw_dst, top >= N / 2 ? UINT32_MAX : 0);
        ft_cls_remove(&cls, &r[top].cr);
    }
    assert_int_equal(ft_cls_count(&cls), 1);
    ft_cls_remove(&cls, &any.cr);
    ft_cls_destroy(&cls);
    free(r);
}

/* ---------------------------------------------------------------------- */
/* Randomized comparison with a linear classifier. */

enum {
    F_IN_PORT, F_DL_TYPE, F_NW_PROTO, F_TP_DST, F_NW_SRC, F_NW_DST,
    F_TP_SRC, F_METADATA, F_REG3, F_DL_DST, F_VLAN, F_DL_SRC, F_NW_TOS,
    F_TCP_FLAGS, F_ARP_THA, F_IPV6_SRC, N_FIELDS
};

struct world {
    struct rng rng;
    uint64_t metadata_pool[4];
    uint32_t reg_pool[4];
};

/* A key whose fields come from small pools, so that rules overlap. */
static void
random_flow(struct world *w, struct ft_flow *f)
{
    static const uint32_t nw_pool[] = {
        0x0a000001, 0x0a000101, 0x0a010001, 0xc0a80001, 0xc0a80002,
        0xac100504,
    };
    static const uint16_t tp_pool[] = { 22, 80, 443, 8080 };
    static const uint16_t sport_pool[] = { 1000, 1001, 0x1234, 0xff00 };
    static const uint16_t type_pool[] = {
        FT_ETH_TYPE_IP, FT_ETH_TYPE_IPV6, FT_ETH_TYPE_ARP,
    };
    static const uint8_t proto_pool[] = { 1, 6, 17 };
    struct rng *rng = &w->rng;
    uint64_t *words = ft_flow_u64_rw(f);

    /* Everything random first, then the pooled fields on top. */
    for (size_t i = 0; i < FT_FLOW_U64S; i++) {
        words[i] = rng_next(rng);
    }
    f->in_port = 1 + rng_range(rng, 4);
    f->dl_type = type_pool[rng_range(rng, 3)];
    f->nw_proto = proto_pool[rng_range(rng, 3)];
    f->tp_dst = tp_pool[rng_range(rng, 4)];
    f->tp_src = sport_pool[rng_range(rng, 4)];
    f->nw_src = nw_pool[rng_range(rng, 6)];
    f->nw_dst = nw_pool[rng_range(rng, 6)];
    if (rng_range(rng, 2)) {
        f->nw_src ^= rng_next(rng) & 0xff;
    }
    if (rng_range(rng, 2)) {
        f->nw_dst ^= rng_next(rng) & 0xffff;
    }
    f->metadata = w->metadata_pool[rng_range(rng, 4)];
    f->regs[3] = w->reg_pool[rng_range(rng, 4)];
    f->dl_dst.ea[0] = rng_range(rng, 2);
    f->dl_src.ea[5] = rng_range(rng, 3);
    f->nw_tos = rng_range(rng, 2) << 2;
    f->tcp_flags = rng_range(rng, 2) ? FT_TCP_SYN : FT_TCP_ACK;
    f->arp_tha.ea[5] = rng_range(rng, 2);
    f->ipv6_src.s6[0] = 0x20;
    f->ipv6_src.s6[1] = rng_range(rng, 2);
    f->vlans[0].tci = rng_range(rng, 3) ? FT_VLAN_CFI | (1 + rng_range(rng, 2))
                                        : 0;
}

static void
random_mask(struct world *w, struct ft_flow *m)
{
    struct rng *rng = &w->rng;

    ft_flow_zero(m);
    for (int field = 0; field < N_FIELDS; field++) {
        if (rng_range(rng, 10) >= 4) {
            continue;
        }
        switch (field) {
        case F_IN_PORT:
            m->in_port = UINT32_MAX;
            break;
        case F_DL_TYPE:
            m->dl_type = UINT16_MAX;
            break;
        case F_NW_PROTO:
            m->nw_proto = UINT8_MAX;
            break;
        case F_TP_DST:
            m->tp_dst = UINT16_MAX;
            break;
        case F_NW_SRC:
            m->nw_src = prefix_mask(8 + rng_range(rng, 25));
            break;
        case F_NW_DST:
            m->nw_dst = prefix_mask(1 + rng_range(rng, 32));
            break;
        case F_TP_SRC:
            m->tp_src = rng_range(rng, 2) ? 0xff00 : rng_next(rng);
            break;
        case F_METADATA:
            m->metadata = rng_next(rng) & rng_next(rng);
            break;
        case F_REG3:
            m->regs[3] = rng_next(rng);
            break;
        case F_DL_DST:
            m->dl_dst.ea[0] = 0x01;         /* Multicast bit only. */
            break;
        case F_VLAN:
            m->vlans[0].tci = FT_VLAN_CFI | FT_VLAN_VID_MASK;
            break;
        case F_DL_SRC:
            memset(&m->dl_src, 0xff, sizeof m->dl_src);
            break;
        case F_NW_TOS:
            m->nw_tos = FT_IP_DSCP_MASK;
            break;
        case F_TCP_FLAGS:
            m->tcp_flags = FT_TCP_SYN | FT_TCP_ACK;
            break;
        case F_ARP_THA:
            /* Straddles words 17 and 18 (the L3 half of 18). */
            memset(&m->arp_tha, 0xff, sizeof m->arp_tha);
            break;
        case F_IPV6_SRC:
            m->ipv6_src.s6[0] = 0xff;
            m->ipv6_src.s6[1] = 0xff;
            break;
        }
    }
}

struct ref {
    struct trule **pool;    /* Every rule ever made; 'in' tells which. */
    size_t n, allocated;
    size_t n_in;
    uint64_t next_seq;
};

static const struct trule *
ref_lookup(const struct ref *ref, const struct ft_flow *flow)
{
    const struct trule *best = NULL;

    for (size_t i = 0; i < ref->n; i++) {
        const struct trule *r = ref->pool[i];

        if (r->in && ft_match_contains(r->cr.match, flow)
            && (!best || r->cr.priority > best->cr.priority
                || (r->cr.priority == best->cr.priority
                    && r->ref_seq < best->ref_seq))) {
            best = r;
        }
    }
    return best;
}

static struct trule *
ref_find_dup(const struct ref *ref, const struct trule *rule)
{
    for (size_t i = 0; i < ref->n; i++) {
        struct trule *r = ref->pool[i];

        if (r->in && r->cr.priority == rule->cr.priority
            && ft_match_equal(r->cr.match, rule->cr.match)) {
            return r;
        }
    }
    return NULL;
}

static struct trule *
ref_new_rule(struct ref *ref)
{
    struct trule *r = calloc(1, sizeof *r);

    assert_non_null(r);
    if (ref->n == ref->allocated) {
        ref->allocated = ref->allocated ? 2 * ref->allocated : 1024;
        ref->pool = realloc(ref->pool, ref->allocated * sizeof *ref->pool);
        assert_non_null(ref->pool);
    }
    ref->pool[ref->n++] = r;
    return r;
}

/* Inserts 'r' in both classifiers, checking that they agree on whether it
 * duplicates a rule already in. */
static void
both_insert(struct ft_classifier *cls, struct ref *ref, struct trule *r)
{
    struct trule *dup = ref_find_dup(ref, r);
    struct ft_cls_rule *got = ft_cls_insert(cls, &r->cr);

    assert_ptr_equal(got, dup ? &dup->cr : NULL);
    if (!dup) {
        r->in = true;
        r->ref_seq = ref->next_seq++;
        ref->n_in++;
    }
}

static void
both_remove(struct ft_classifier *cls, struct ref *ref, struct trule *r)
{
    ft_cls_remove(cls, &r->cr);
    r->in = false;
    ref->n_in--;
}

/* Replaces 'old' by a fresh copy. */
static void
both_replace(struct ft_classifier *cls, struct ref *ref, struct trule *old)
{
    struct trule *new = ref_new_rule(ref);

    trule_init(new, &old->cr.match->flow, &old->cr.match->mask,
               old->cr.priority);
    assert_ptr_equal(ft_cls_insert(cls, &new->cr), &old->cr);
    ft_cls_replace(cls, &old->cr, &new->cr);
    new->in = true;
    new->ref_seq = old->ref_seq;
    old->in = false;
}

static struct trule *
random_rule_in(struct world *w, const struct ref *ref, bool in)
{
    for (int tries = 0; tries < 1000; tries++) {
        struct trule *r = ref->pool[rng_range(&w->rng, ref->n)];

        if (r->in == in) {
            return r;
        }
    }
    return NULL;
}

/* Checks foreach against a brute-force filter with a random target. */
static int
count_cb(struct ft_cls_rule *rule, void *aux)
{
    struct trule *r = (struct trule *) rule;
    size_t *n = aux;

    assert_true(r->in);
    (*n)++;
    return 0;
}

static void
check_foreach(struct world *w, const struct ft_classifier *cls,
              const struct ref *ref)
{
    struct ft_flow key, mask;
    struct ft_match target;
    size_t n_cls = 0, n_ref = 0;

    random_flow(w, &key);
    random_mask(w, &mask);
    ft_match_init(&target, &key, &mask);
    ft_cls_foreach(cls, &target, count_cb, &n_cls);
    for (size_t i = 0; i < ref->n; i++) {
        const struct trule *r = ref->pool[i];
        const uint64_t *rm = ft_flow_u64(&r->cr.match->mask);
        const uint64_t *tm = ft_flow_u64(&mask);
        bool loose = r->in;

        for (size_t k = 0; loose && k < FT_FLOW_U64S; k++) {
            loose = (rm[k] & tm[k]) == tm[k];
        }
        loose = loose
                && ft_flow_equal_masked(&r->cr.match->flow, &key, &mask);
        n_ref += loose;
        if (r->in) {
            assert_int_equal(ft_cls_rule_is_loose_match(&r->cr, &target),
                             loose);
        }
    }
    assert_int_equal(n_cls, n_ref);

    n_cls = 0;
    ft_cls_foreach(cls, NULL, count_cb, &n_cls);
    assert_int_equal(n_cls, ref->n_in);
}

/* One lookup, checked against the reference, and its wildcards checked by
 * changing bits outside 'wc' 'n_perturb' times. */
static void
check_lookup(struct world *w, const struct ft_classifier *cls,
             const struct ref *ref, const struct ft_flow *key,
             int n_perturb, size_t *n_hits)
{
    const struct ft_cls_rule *got;
    const struct trule *want;
    struct ft_flow wc;

    ft_flow_zero(&wc);
    got = ft_cls_lookup(cls, key, &wc);
    want = ref_lookup(ref, key);
    assert_ptr_equal(got, want ? &want->cr : NULL);
    assert_ptr_equal(ft_cls_lookup(cls, key, NULL), got);
    *n_hits += got != NULL;

    /* 'wc' stays within the masks of the rules that could have won, i.e.
     * of the subtables a lookup must search: staged lookup and tries only
     * ever consult less than those whole masks. */
    struct ft_flow searched;

    ft_flow_zero(&searched);
    for (size_t i = 0; i < ref->n; i++) {
        const struct trule *r = ref->pool[i];

        if (r->in && (!want || r->cr.priority >= want->cr.priority)) {
            ft_flow_or(&searched, &r->cr.match->mask);
        }
    }
    for (size_t j = 0; j < FT_FLOW_U64S; j++) {
        assert_int_equal(ft_flow_u64(&wc)[j] & ~ft_flow_u64(&searched)[j],
                         0);
    }

    for (int i = 0; i < n_perturb; i++) {
        struct ft_flow other, noise;
        const uint64_t *k = ft_flow_u64(key);
        const uint64_t *m = ft_flow_u64(&wc);
        uint64_t *o = ft_flow_u64_rw(&other);
        const uint64_t *n = ft_flow_u64(&noise);

        /* Noise from the pools (plausible values that hit other rules)
         * or, one time in four, entirely random bits. */
        random_flow(w, &noise);
        if (!rng_range(&w->rng, 4)) {
            uint64_t *nw = ft_flow_u64_rw(&noise);

            for (size_t j = 0; j < FT_FLOW_U64S; j++) {
                nw[j] = rng_next(&w->rng);
            }
        }
        for (size_t j = 0; j < FT_FLOW_U64S; j++) {
            o[j] = (k[j] & m[j]) | (n[j] & ~m[j]);
        }
        assert_ptr_equal(ref_lookup(ref, &other), want);
    }
}

/* A mask of dl_type (usually) and a prefix of nw_src, of nw_dst or of
 * both, sometimes with tp_dst or in_port. */
static void
random_prefix_mask(struct world *w, struct ft_flow *m)
{
    struct rng *rng = &w->rng;
    uint32_t which = rng_range(rng, 3);

    ft_flow_zero(m);
    if (rng_range(rng, 8)) {
        m->dl_type = UINT16_MAX;
    }
    if (which != 1) {
        m->nw_src = prefix_mask(1 + rng_range(rng, 32));
    }
    if (which != 0) {
        m->nw_dst = prefix_mask(1 + rng_range(rng, 32));
    }
    if (!rng_range(rng, 4)) {
        m->tp_dst = rng_range(rng, 2) ? UINT16_MAX : 0xfff0;
    }
    if (!rng_range(rng, 4)) {
        m->in_port = UINT32_MAX;
    }
}

static void
run_random__(uint64_t seed, size_t n_rules, size_t n_masks, size_t n_lookups,
             bool prefixes)
{
    struct world w = { .rng = { seed } };
    struct ft_flow masks[32];
    struct ft_classifier cls;
    struct ref ref = { NULL, 0, 0, 0, 0 };
    size_t n_hits = 0;
    bool has_catchall = false;

    assert_true(n_masks <= 32);
    for (int i = 0; i < 4; i++) {
        w.metadata_pool[i] = rng_next(&w.rng);
        w.reg_pool[i] = rng_next(&w.rng);
    }
    for (size_t i = 0; i < n_masks; i++) {
        if (prefixes) {
            random_prefix_mask(&w, &masks[i]);
        } else {
            random_mask(&w, &masks[i]);
        }
        has_catchall |= ft_flow_is_zero(&masks[i]);
    }

    ft_cls_init(&cls);
    for (size_t i = 0; i < n_rules; i++) {
        struct trule *r = ref_new_rule(&ref);
        struct ft_flow key;

        random_flow(&w, &key);
        trule_init(r, &key, &masks[rng_range(&w.rng, n_masks)],
                   rng_range(&w.rng, 16));
        both_insert(&cls, &ref, r);
    }
    assert_int_equal(ft_cls_count(&cls), ref.n_in);
    assert_true(ref.n_in > n_rules / 2);

    for (size_t i = 0; i < n_lookups; i++) {
        struct ft_flow key;

        random_flow(&w, &key);
        if (!rng_range(&w.rng, 8)) {
            /* Entirely random: misses nearly everything. */
            uint64_t *k = ft_flow_u64_rw(&key);

            for (size_t j = 0; j < FT_FLOW_U64S; j++) {
                k[j] = rng_next(&w.rng);
            }
        } else if (rng_range(&w.rng, 4)) {
            /* Derived from a rule: it (or something better) matches. */
            const struct trule *r = ref.pool[rng_range(&w.rng, ref.n)];
            uint64_t *k = ft_flow_u64_rw(&key);
            const uint64_t *rk = ft_flow_u64(&r->cr.match->flow);
            const uint64_t *rm = ft_flow_u64(&r->cr.match->mask);

            for (size_t j = 0; j < FT_FLOW_U64S; j++) {
                k[j] = rk[j] | (k[j] & ~rm[j]);
            }
        }
        check_lookup(&w, &cls, &ref, &key, i % 2 ? 0 : 3, &n_hits);

        if (i % 40 == 0) {
            struct trule *r;

            switch (rng_range(&w.rng, 4)) {
            case 0:
                r = random_rule_in(&w, &ref, true);
                if (r) {
                    both_remove(&cls, &ref, r);
                }
                break;
            case 1:
                /* Reinsertion, perhaps now a duplicate of a replacement. */
                r = random_rule_in(&w, &ref, false);
                if (r) {
                    both_insert(&cls, &ref, r);
                }
                break;
            case 2:
                r = random_rule_in(&w, &ref, true);
                if (r) {
                    both_replace(&cls, &ref, r);
                }
                break;
            case 3: {
                struct ft_flow key2;

                r = ref_new_rule(&ref);
                random_flow(&w, &key2);
                trule_init(r, &key2, &masks[rng_range(&w.rng, n_masks)],
                           rng_range(&w.rng, 16));
                both_insert(&cls, &ref, r);
                break;
            }
            }
            assert_int_equal(ft_cls_count(&cls), ref.n_in);
        }
        if (i % 5000 == 0) {
            check_foreach(&w, &cls, &ref);
        }
    }

    /* Many lookups must hit and, unless a catch-all mask was drawn, some
     * must miss, or the test proves little. */
    assert_true(n_hits > n_lookups / 2);
    if (!has_catchall) {
        assert_true(n_hits < n_lookups);
    }

    /* Empty it in random order, checking as it drains. */
    while (ref.n_in) {
        struct trule *r = random_rule_in(&w, &ref, true);

        if (!r) {
            for (size_t i = 0; i < ref.n && !r; i++) {
                r = ref.pool[i]->in ? ref.pool[i] : NULL;
            }
        }
        both_remove(&cls, &ref, r);
        if (ref.n_in % 64 == 0) {
            struct ft_flow key;

            random_flow(&w, &key);
            check_lookup(&w, &cls, &ref, &key, 1, &n_hits);
        }
    }
    assert_int_equal(ft_cls_count(&cls), 0);
    assert_int_equal(cls.n_subtables, 0);
    ft_cls_destroy(&cls);

    for (size_t i = 0; i < ref.n; i++) {
        free(ref.pool[i]);
    }
    free(ref.pool);
}

static void
run_random(uint64_t seed, size_t n_rules, size_t n_masks, size_t n_lookups)
{
    run_random__(seed, n_rules, n_masks, n_lookups, false);
}

static void
run_random_prefixes(uint64_t seed, size_t n_rules, size_t n_lookups)
{
    run_random__(seed, n_rules, 32, n_lookups, true);
}

static void
test_random_vs_linear(void **state)
{
    (void) state;
    run_random(1, 1200, 8, 60000);
    run_random(2, 1000, 5, 40000);
}

/* Masks that are all prefixes of nw_src or nw_dst (many lengths, so the
 * tries decide most misses) over keys that share long prefixes. */
static void
test_random_prefixes(void **state)
{
    (void) state;
    run_random_prefixes(5, 1500, 40000);
    run_random_prefixes(6, 200, 20000);
}

static void
test_random_few_masks(void **state)
{
    (void) state;
    /* Few masks and many duplicates of each masked key. */
    run_random(3, 400, 2, 10000);
    run_random(4, 300, 12, 10000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_duplicate),
        cmocka_unit_test(test_replace_keeps_position),
        cmocka_unit_test(test_remove_updates_max_priority),
        cmocka_unit_test(test_catchall_and_miss),
        cmocka_unit_test(test_stage_miss),
        cmocka_unit_test(test_prefix_tries),
        cmocka_unit_test(test_trie_table),
        cmocka_unit_test(test_foreach_loose),
        cmocka_unit_test(test_many_rules_one_subtable),
        cmocka_unit_test(test_max_priority_descending_removal),
        cmocka_unit_test(test_random_vs_linear),
        cmocka_unit_test(test_random_few_masks),
        cmocka_unit_test(test_random_prefixes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

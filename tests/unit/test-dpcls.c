/*
 * test-dpcls.c - unit tests for the megaflow cache (swpath/dpcls.c) and the
 * exact-match cache in front of it (swpath/emc.c).
 *
 * Random non-overlapping megaflows are checked against a linear scan: each
 * candidate megaflow is kept only if it overlaps none already present, so
 * every key is inside at most one, and the cache must find exactly the one
 * the scan finds (or none), one key at a time and in batches, through
 * insertions and removals.  The EMC is checked the same way, and for never
 * returning a removed megaflow.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flowtier/dp-actions.h"
#include "flowtier/flow.h"
#include "swpath/dpcls.h"
#include "swpath/emc.h"

static uint32_t
rand_next(uint32_t *state)
{
    uint32_t x = *state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

static uint32_t
prefix_mask(int len)
{
    return len ? UINT32_MAX << (32 - len) : 0;
}

/* A random key from small value domains, so that random keys often fall
 * inside random megaflows. */
static void
random_key(struct ft_flow *f, uint32_t *seed)
{
    ft_flow_zero(f);
    f->in_port = 1 + rand_next(seed) % 4;
    f->dl_type = rand_next(seed) & 1 ? FT_ETH_TYPE_IP : FT_ETH_TYPE_IPV6;
    f->nw_src = 0x0a000000 | (rand_next(seed) % 4) << 16
                | (rand_next(seed) % 4) << 8 | rand_next(seed) % 4;
    f->nw_dst = 0xc0a80000 | (rand_next(seed) % 4) << 8
                | rand_next(seed) % 4;
    f->nw_proto = rand_next(seed) & 1 ? FT_IPPROTO_TCP : FT_IPPROTO_UDP;
    f->tp_dst = (uint16_t[]) { 22, 53, 80, 443 }[rand_next(seed) % 4];
    if (rand_next(seed) % 3) {
        f->vlans[0].tpid = FT_ETH_TYPE_VLAN;
        f->vlans[0].tci = FT_VLAN_CFI | (1 + rand_next(seed) % 3);
    }
    f->dl_dst.ea[0] = 0x02;
    f->dl_dst.ea[5] = rand_next(seed) % 4;
    f->regs[0] = rand_next(seed) % 4;
    f->metadata = rand_next(seed) % 2;
}

/* A random mask over the fields random_key() varies. */
static void
random_mask(struct ft_flow *m, uint32_t *seed)
{
    uint32_t bits = rand_next(seed) | rand_next(seed);

    ft_flow_zero(m);
    if (bits & 1) {
        m->in_port = UINT32_MAX;
    }
    if (bits & 2) {
        m->dl_type = 0xffff;
    }
    if (bits & 4) {
        m->nw_src = prefix_mask(8 * (1 + rand_next(seed) % 4));
    }
    if (bits & 8) {
        m->nw_dst = prefix_mask((int[]) { 16, 24, 30, 32 }[rand_next(seed)
                                                             % 4]);
    }
    if (bits & 16) {
        m->nw_proto = 0xff;
    }
    if (bits & 32) {
        m->tp_dst = 0xffff;
    }
    if (bits & 64) {
        m->vlans[0].tci = FT_VLAN_CFI | FT_VLAN_VID_MASK;
        m->vlans[0].tpid = 0xffff;
    }
    if (bits & 128) {
        m->dl_dst.ea[5] = 0xff;
    }
    if (bits & 256) {
        m->regs[0] = 0x3;
    }
    if (bits & 512) {
        m->metadata = UINT64_MAX;
    }
}

/* Two matches overlap if their keys agree wherever both masks are set. */
static bool
matches_overlap(const struct ft_match *a, const struct ft_match *b)
{
    const uint64_t *ak = ft_flow_u64(&a->flow), *am = ft_flow_u64(&a->mask);
    const uint64_t *bk = ft_flow_u64(&b->flow), *bm = ft_flow_u64(&b->mask);

    for (size_t i = 0; i < FT_FLOW_U64S; i++) {
        if ((ak[i] ^ bk[i]) & am[i] & bm[i]) {
            return false;
        }
    }
    return true;
}

/* The linear reference. */
struct ref {
    struct ft_match match;
    struct ft_dpcls_flow *flow;     /* NULL if not in the cache. */
};

struct ref_set {
    struct ref *refs;
    size_t n;
};

static struct ft_dpcls_flow *
ref_lookup(const struct ref_set *rs, const struct ft_flow *key)
{
    struct ft_dpcls_flow *found = NULL;

    for (size_t i = 0; i < rs->n; i++) {
        if (rs->refs[i].flow && ft_match_contains(&rs->refs[i].match, key)) {
            assert_null(found);     /* Non-overlapping by construction. */
            found = rs->refs[i].flow;
        }
    }
    return found;
}

static bool
ref_overlaps_any(const struct ref_set *rs, const struct ft_match *m)
{
    for (size_t i = 0; i < rs->n; i++) {
        if (rs->refs[i].flow && matches_overlap(&rs->refs[i].match, m)) {
            return true;
        }
    }
    return false;
}

/* Inserts up to 'n' random non-overlapping megaflows using masks from a
 * pool of 'n_masks'; returns how many went in. */
static size_t
fill_random(struct ft_dpcls *cls, struct ref_set *rs, size_t n,
            const struct ft_flow *masks, size_t n_masks, uint32_t *seed)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    size_t added = 0;

    for (size_t tries = 0; added < n && tries < n * 50; tries++) {
        struct ft_match m, got;
        struct ft_flow key;
        struct ref *r;
        int error;

        random_key(&key, seed);
        ft_match_init(&m, &key, &masks[rand_next(seed) % n_masks]);
        if (ref_overlaps_any(rs, &m)) {
            continue;
        }
        ft_dp_actions_clear(&acts);
        ft_dp_actions_put_output(&acts, rs->n);
        r = &rs->refs[rs->n];
        r->match = m;
        error = ft_dpcls_insert(cls, &m, &acts, r, &r->flow);
        assert_int_equal(error, 0);
        assert_non_null(r->flow);
        assert_ptr_equal(r->flow->user, r);
        assert_int_equal(r->flow->actions.acts[0].port, rs->n);
        ft_dpcls_flow_get_match(r->flow, &got);
        assert_true(ft_match_equal(&got, &m));
        assert_true(ft_dpcls_flow_contains(r->flow, &m.flow));
        rs->n++;
        added++;
    }
    ft_dp_actions_uninit(&acts);
    return added;
}

static size_t
ref_count(const struct ref_set *rs)
{
    size_t n = 0;

    for (size_t i = 0; i < rs->n; i++) {
        n += rs->refs[i].flow != NULL;
    }
    return n;
}

/* A key inside a random live megaflow, or a random key. */
static void
pick_key(const struct ref_set *rs, struct ft_flow *key, uint32_t *seed)
{
    random_key(key, seed);
    if (rs->n && rand_next(seed) % 2) {
        const struct ref *r = &rs->refs[rand_next(seed) % rs->n];

        if (r->flow) {
            uint64_t *k = ft_flow_u64_rw(key);
            const uint64_t *mk = ft_flow_u64(&r->match.flow);
            const uint64_t *mm = ft_flow_u64(&r->match.mask);

            for (size_t i = 0; i < FT_FLOW_U64S; i++) {
                k[i] = (k[i] & ~mm[i]) | mk[i];
            }
        }
    }
}

static void
check_lookups(struct ft_dpcls *cls, const struct ref_set *rs, int n,
              uint32_t *seed)
{
    int hits = 0;

    for (int i = 0; i < n; i++) {
        struct ft_flow key;
        struct ft_dpcls_flow *expect;

        pick_key(rs, &key, seed);
        expect = ref_lookup(rs, &key);
        assert_ptr_equal(ft_dpcls_lookup(cls, &key), expect);
        hits += expect != NULL;
    }
    if (ref_count(rs)) {
        assert_true(hits > 0);
    }

    /* Batches of every size up to the maximum. */
    for (size_t bn = 1; bn <= FT_DPCLS_BATCH_MAX; bn++) {
        struct ft_flow keys[FT_DPCLS_BATCH_MAX];
        const struct ft_flow *kp[FT_DPCLS_BATCH_MAX];
        struct ft_dpcls_flow *out[FT_DPCLS_BATCH_MAX];
        int expect_found = 0;

        for (size_t i = 0; i < bn; i++) {
            pick_key(rs, &keys[i], seed);
            kp[i] = &keys[i];
        }
        for (size_t i = 0; i < bn; i++) {
            expect_found += ref_lookup(rs, &keys[i]) != NULL;
        }
        assert_int_equal(ft_dpcls_lookup_batch(cls, kp, bn, out),
                         expect_found);
        for (size_t i = 0; i < bn; i++) {
            assert_ptr_equal(out[i], ref_lookup(rs, &keys[i]));
        }
    }
}

struct dump_ctx {
    const struct ref_set *rs;
    size_t n;
    uint8_t *seen;
};

static int
dump_cb(struct ft_dpcls_flow *flow, void *aux)
{
    struct dump_ctx *ctx = aux;
    const struct ref *r = flow->user;
    size_t idx = r - ctx->rs->refs;

    assert_true(idx < ctx->rs->n);
    assert_ptr_equal(r->flow, flow);
    assert_false(flow->dead);
    assert_int_equal(ctx->seen[idx], 0);
    ctx->seen[idx] = 1;
    ctx->n++;
    return 0;
}

static void
check_dump(const struct ft_dpcls *cls, const struct ref_set *rs)
{
    struct dump_ctx ctx = { rs, 0, calloc(rs->n + 1, 1) };

    assert_int_equal(ft_dpcls_foreach(cls, dump_cb, &ctx), 0);
    assert_int_equal(ctx.n, ref_count(rs));
    assert_int_equal(ft_dpcls_count(cls), ref_count(rs));
    for (size_t i = 0; i < rs->n; i++) {
        assert_int_equal(ctx.seen[i], rs->refs[i].flow != NULL);
        if (rs->refs[i].flow) {
            assert_ptr_equal(ft_dpcls_find_exact(cls, &rs->refs[i].match),
                             rs->refs[i].flow);
        }
    }
    free(ctx.seen);
}

static void
run_random(size_t n_masks, size_t n_flows, uint32_t seed)
{
    struct ft_flow *masks = calloc(n_masks, sizeof *masks);
    struct ref_set rs = { calloc(4 * n_flows, sizeof *rs.refs), 0 };
    struct ft_dpcls cls;
    size_t added;

    for (size_t i = 0; i < n_masks; i++) {
        random_mask(&masks[i], &seed);
    }
    ft_dpcls_init(&cls);
    added = fill_random(&cls, &rs, n_flows, masks, n_masks, &seed);
    assert_true(added > 0);
    assert_int_equal(ft_dpcls_count(&cls), added);
    assert_true(ft_dpcls_n_subtables(&cls) <= n_masks);
    check_dump(&cls, &rs);
    check_lookups(&cls, &rs, 5000, &seed);

    /* Remove about half, check, refill, check again. */
    for (size_t i = 0; i < rs.n; i++) {
        if (rs.refs[i].flow && rand_next(&seed) % 2) {
            ft_dpcls_remove(&cls, rs.refs[i].flow);
            rs.refs[i].flow = NULL;
        }
    }
    check_dump(&cls, &rs);
    check_lookups(&cls, &rs, 5000, &seed);
    fill_random(&cls, &rs, n_flows / 2, masks, n_masks, &seed);
    check_dump(&cls, &rs);
    check_lookups(&cls, &rs, 5000, &seed);

    /* Remove everything: no subtable may remain. */
    for (size_t i = 0; i < rs.n; i++) {
        if (rs.refs[i].flow) {
            ft_dpcls_remove(&cls, rs.refs[i].flow);
            rs.refs[i].flow = NULL;
        }
    }
    assert_int_equal(ft_dpcls_count(&cls), 0);
    assert_int_equal(ft_dpcls_n_subtables(&cls), 0);
    check_lookups(&cls, &rs, 100, &seed);

    ft_dpcls_destroy(&cls);
    free(rs.refs);
    free(masks);
}

static void
test_random_one_mask(void **state)
{
    (void) state;
    run_random(1, 300, 7);
}

static void
test_random_few_masks(void **state)
{
    (void) state;
    run_random(5, 600, 2);
}

static void
test_random_many_masks(void **state)
{
    (void) state;
    run_random(40, 800, 3);
}

/* A megaflow's actions are copied to their size, not to the 8 slots an
 * append starts with; a copy into room already there keeps it, and the
 * copy can still be appended to. */
static void
test_actions_copy_sized(void **state)
{
    struct ft_dp_actions src = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dp_actions dst = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dpcls_flow *flow;
    struct ft_match m;
    struct ft_dpcls cls;

    (void) state;
    ft_dp_actions_copy(&dst, &src);             /* Nothing to copy. */
    assert_int_equal(dst.n, 0);
    assert_null(dst.acts);

    ft_dp_actions_put_output(&src, 3);
    ft_dp_actions_put(&src, FT_DPA_POP_VLAN);
    assert_int_equal(src.allocated, 8);
    ft_dp_actions_copy(&dst, &src);
    assert_int_equal(dst.n, 2);
    assert_int_equal(dst.allocated, 2);
    assert_true(ft_dp_actions_equal(&dst, &src));

    ft_dp_actions_put_output(&dst, 4);          /* Grows as before. */
    assert_int_equal(dst.n, 3);
    assert_true(dst.allocated >= 3);
    assert_int_equal(dst.acts[0].port, 3);
    assert_int_equal(dst.acts[2].port, 4);

    src.n = 1;                                  /* Fits: room kept. */
    ft_dp_actions_copy(&dst, &src);
    assert_int_equal(dst.n, 1);
    assert_true(dst.allocated >= 3);
    assert_true(ft_dp_actions_equal(&dst, &src));

    ft_dpcls_init(&cls);
    ft_match_init_catchall(&m);
    src.n = 2;
    assert_int_equal(ft_dpcls_insert(&cls, &m, &src, NULL, &flow), 0);
    assert_int_equal(flow->actions.allocated, 2);
    assert_true(ft_dp_actions_equal(&flow->actions, &src));
    ft_dpcls_destroy(&cls);
    ft_dp_actions_uninit(&dst);
    ft_dp_actions_uninit(&src);
}

static void
test_insert_duplicate(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dpcls_flow *a, *b;
    struct ft_match m, got;
    struct ft_dpcls cls;

    (void) state;
    ft_dpcls_init(&cls);
    ft_match_init_catchall(&m);
    m.mask.nw_dst = 0xffffff00;
    m.flow.nw_dst = 0x0a000000;
    m.flow.tp_dst = 80;             /* Outside the mask: normalized away. */
    ft_dp_actions_put_output(&acts, 1);
    assert_int_equal(ft_dpcls_insert(&cls, &m, &acts, NULL, &a), 0);
    ft_dpcls_flow_get_match(a, &got);
    assert_int_equal(got.flow.tp_dst, 0);
    assert_int_equal(got.flow.nw_dst, 0x0a000000);
    assert_int_equal(got.mask.nw_dst, 0xffffff00);
    assert_int_equal(a->stats.n_packets, 0);

    m.flow.tp_dst = 0;
    ft_dp_actions_put_output(&acts, 2);
    assert_int_equal(ft_dpcls_insert(&cls, &m, &acts, NULL, &b), -EEXIST);
    assert_ptr_equal(a, b);
    assert_int_equal(a->actions.n, 1);  /* Not replaced. */
    assert_int_equal(ft_dpcls_count(&cls), 1);

    /* Same key, different mask: another megaflow (and subtable). */
    m.mask.nw_dst = 0xffff0000;
    assert_int_equal(ft_dpcls_insert(&cls, &m, &acts, NULL, &b), 0);
    assert_ptr_not_equal(a, b);
    assert_int_equal(b->actions.n, 2);
    assert_int_equal(ft_dpcls_n_subtables(&cls), 2);

    ft_dpcls_flow_credit(a, 3, 180, 1000);
    ft_dpcls_flow_credit(a, 1, 60, 900);
    assert_int_equal(a->stats.n_packets, 4);
    assert_int_equal(a->stats.n_bytes, 240);
    assert_int_equal(a->stats.used, 1000);

    /* A removed megaflow still referenced keeps its match after its
     * subtable went with its last megaflow. */
    ft_dpcls_flow_ref(a);
    ft_dpcls_remove(&cls, a);
    assert_int_equal(ft_dpcls_n_subtables(&cls), 1);
    assert_true(a->dead);
    ft_dpcls_flow_get_match(a, &got);
    assert_int_equal(got.flow.nw_dst, 0x0a000000);
    assert_int_equal(got.mask.nw_dst, 0xffffff00);
    m.flow.nw_dst = 0x0a000005;
    assert_true(ft_dpcls_flow_contains(a, &m.flow));
    m.flow.nw_dst = 0x0a000105;
    assert_false(ft_dpcls_flow_contains(a, &m.flow));
    ft_dpcls_flow_unref(a);

    ft_dpcls_destroy(&cls);
    assert_int_equal(ft_dpcls_count(&cls), 0);
    ft_dp_actions_uninit(&acts);
}

/* A catch-all megaflow (empty mask) matches every key. */
static void
test_catchall(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dpcls_flow *f;
    struct ft_match m;
    struct ft_flow key;
    struct ft_dpcls cls;
    uint32_t seed = 9;

    (void) state;
    ft_dpcls_init(&cls);
    ft_match_init_catchall(&m);
    assert_int_equal(ft_dpcls_insert(&cls, &m, &acts, NULL, &f), 0);
    for (int i = 0; i < 100; i++) {
        random_key(&key, &seed);
        assert_ptr_equal(ft_dpcls_lookup(&cls, &key), f);
    }
    ft_dpcls_remove(&cls, f);
    assert_null(ft_dpcls_lookup(&cls, &key));
    ft_dpcls_destroy(&cls);
}

static int
first_flow_cb(struct ft_dpcls_flow *flow, void *aux)
{
    *(struct ft_dpcls_flow **) aux = flow;
    return 1;
}

/* The busiest subtable moves to the front of the search order. */
static void
test_resort(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dpcls_flow *fa, *fb, *first = NULL;
    struct ft_match m;
    struct ft_flow key;
    struct ft_dpcls cls;

    (void) state;
    ft_dpcls_init(&cls);
    ft_match_init_catchall(&m);
    m.mask.in_port = UINT32_MAX;
    m.flow.in_port = 1;
    assert_int_equal(ft_dpcls_insert(&cls, &m, &acts, NULL, &fa), 0);
    ft_match_init_catchall(&m);
    m.mask.tp_dst = 0xffff;
    m.flow.tp_dst = 80;
    assert_int_equal(ft_dpcls_insert(&cls, &m, &acts, NULL, &fb), 0);

    assert_int_equal(ft_dpcls_foreach(&cls, first_flow_cb, &first), 1);
    assert_ptr_equal(first, fa);

    ft_flow_zero(&key);
    key.in_port = 2;
    key.tp_dst = 80;
    for (int i = 0; i < FT_DPCLS_RESORT_INTERVAL + 1; i++) {
        assert_ptr_equal(ft_dpcls_lookup(&cls, &key), fb);
    }
    assert_int_equal(ft_dpcls_foreach(&cls, first_flow_cb, &first), 1);
    assert_ptr_equal(first, fb);

    /* Traffic moves to the other subtable: explicit re-sorts follow it. */
    key.in_port = 1;
    key.tp_dst = 81;
    for (int i = 0; i < 3 * FT_DPCLS_RESORT_INTERVAL; i++) {
        assert_ptr_equal(ft_dpcls_lookup(&cls, &key), fa);
    }
    ft_dpcls_resort(&cls);
    assert_int_equal(ft_dpcls_foreach(&cls, first_flow_cb, &first), 1);
    assert_ptr_equal(first, fa);

    ft_dpcls_destroy(&cls);
}

static void
test_batch_too_large(void **state)
{
    const struct ft_flow *keys[FT_DPCLS_BATCH_MAX + 1] = { NULL };
    struct ft_dpcls_flow *out[FT_DPCLS_BATCH_MAX + 1];
    struct ft_dpcls cls;

    (void) state;
    ft_dpcls_init(&cls);
    assert_int_equal(ft_dpcls_lookup_batch(&cls, keys, FT_DPCLS_BATCH_MAX + 1,
                                           out), -EINVAL);
    ft_dpcls_destroy(&cls);
}

/* A reference keeps a removed megaflow's memory valid and marked dead. */
static void
test_flow_ref(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dpcls_flow *f;
    struct ft_match m;
    struct ft_dpcls cls;

    (void) state;
    ft_dpcls_init(&cls);
    ft_match_init_catchall(&m);
    m.mask.in_port = UINT32_MAX;
    ft_dp_actions_put_output(&acts, 4);
    assert_int_equal(ft_dpcls_insert(&cls, &m, &acts, NULL, &f), 0);
    ft_dpcls_flow_ref(f);
    ft_dpcls_remove(&cls, f);
    assert_true(f->dead);
    assert_int_equal(f->actions.acts[0].port, 4);
    assert_null(ft_dpcls_find_exact(&cls, &m));
    ft_dpcls_flow_unref(f);     /* Frees it; LeakSanitizer checks. */
    ft_dpcls_flow_unref(NULL);
    ft_dpcls_destroy(&cls);
    ft_dpcls_destroy(NULL);
    ft_dp_actions_uninit(&acts);
}

static void
test_emc_basic(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dpcls_flow *f, *g;
    struct ft_match m;
    struct ft_flow key;
    struct ft_dpcls cls;
    struct ft_emc emc;
    uint32_t seed = 5, hash;

    (void) state;
    ft_dpcls_init(&cls);
    assert_int_equal(ft_emc_init(&emc, 64), 0);
    ft_match_init_catchall(&m);
    m.mask.nw_dst = UINT32_MAX;
    m.flow.nw_dst = 0xc0a80001;
    assert_int_equal(ft_dpcls_insert(&cls, &m, &acts, NULL, &f), 0);

    random_key(&key, &seed);
    key.nw_dst = 0xc0a80001;
    hash = ft_emc_hash(&key);
    assert_null(ft_emc_lookup(&emc, &key, hash));
    assert_ptr_equal(ft_emc_lookup_cls(&emc, &cls, &key), f);
    assert_ptr_equal(ft_emc_lookup(&emc, &key, hash), f);
    assert_int_equal(emc.n_hits, 1);
    assert_int_equal(emc.n_misses, 2);

    /* A different key with the same hash value passed in is a miss. */
    key.tp_dst ^= 1;
    assert_null(ft_emc_lookup(&emc, &key, hash));
    key.tp_dst ^= 1;

    /* Removal: the EMC must not return the dead megaflow. */
    ft_dpcls_remove(&cls, f);
    assert_null(ft_emc_lookup(&emc, &key, hash));
    assert_int_equal(emc.n_stale, 1);
    assert_null(ft_emc_lookup_cls(&emc, &cls, &key));

    /* A new megaflow covering the key is found and cached instead. */
    m.mask.nw_dst = 0xffffff00;
    m.flow.nw_dst = 0xc0a80000;
    assert_int_equal(ft_dpcls_insert(&cls, &m, &acts, NULL, &g), 0);
    assert_ptr_equal(ft_emc_lookup_cls(&emc, &cls, &key), g);
    assert_ptr_equal(ft_emc_lookup(&emc, &key, hash), g);

    /* Destroying the megaflow cache first leaves the EMC's references
     * valid; uninit frees them. */
    ft_dpcls_destroy(&cls);
    assert_null(ft_emc_lookup(&emc, &key, hash));
    ft_emc_uninit(&emc);
    ft_dp_actions_uninit(&acts);
}

/* Removed megaflows leave the EMC in sweeps: once the removals since
 * the last sweep reach FT_EMC_SWEEP_MIN and an eighth of what is left,
 * and at the last removal. */
static void
test_emc_sweep(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dpcls_flow *flows[200];
    struct ft_dpcls cls;
    struct ft_emc emc;
    uint32_t seed = 9;

    (void) state;
    ft_dpcls_init(&cls);
    assert_int_equal(ft_emc_init(&emc, 512), 0);
    for (uint32_t i = 0; i < 200; i++) {
        struct ft_match m;
        struct ft_flow key;

        ft_match_init_catchall(&m);
        m.mask.nw_dst = UINT32_MAX;
        m.flow.nw_dst = i;
        assert_int_equal(ft_dpcls_insert(&cls, &m, &acts, NULL, &flows[i]),
                         0);
        random_key(&key, &seed);
        key.nw_dst = i;
        ft_emc_insert(&emc, &key, i, flows[i]);     /* A set each. */
    }
    assert_int_equal(emc.n_used, 200);
    for (int i = 0; i < FT_EMC_SWEEP_MIN - 1; i++) {
        ft_dpcls_remove(&cls, flows[i]);
        ft_emc_note_removal(&emc, ft_dpcls_count(&cls));
        assert_int_equal(emc.n_used, 200);
    }
    ft_dpcls_remove(&cls, flows[FT_EMC_SWEEP_MIN - 1]);
    ft_emc_note_removal(&emc, ft_dpcls_count(&cls));
    assert_int_equal(emc.n_used, 200 - FT_EMC_SWEEP_MIN);
    for (int i = FT_EMC_SWEEP_MIN; i < 199; i++) {
        ft_dpcls_remove(&cls, flows[i]);
        ft_emc_note_removal(&emc, ft_dpcls_count(&cls));
    }
    assert_true(emc.n_used > 1);
    ft_dpcls_remove(&cls, flows[199]);
    ft_emc_note_removal(&emc, ft_dpcls_count(&cls));
    assert_int_equal(emc.n_used, 0);
    ft_emc_uninit(&emc);
    ft_dpcls_destroy(&cls);
    ft_dp_actions_uninit(&acts);
}

/* One set of 2 ways: the third key evicts the oldest. */
static void
test_emc_replacement(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dpcls_flow *f;
    struct ft_flow keys[3];
    struct ft_match m;
    struct ft_dpcls cls;
    struct ft_emc emc;

    (void) state;
    ft_dpcls_init(&cls);
    assert_int_equal(ft_emc_init(&emc, 2), 0);
    assert_int_equal(emc.n_sets_mask, 0);
    ft_match_init_catchall(&m);
    assert_int_equal(ft_dpcls_insert(&cls, &m, &acts, NULL, &f), 0);
    for (int i = 0; i < 3; i++) {
        ft_flow_zero(&keys[i]);
        keys[i].in_port = i + 1;
        ft_emc_insert(&emc, &keys[i], ft_emc_hash(&keys[i]), f);
    }
    assert_null(ft_emc_lookup(&emc, &keys[0], ft_emc_hash(&keys[0])));
    assert_ptr_equal(ft_emc_lookup(&emc, &keys[1], ft_emc_hash(&keys[1])),
                     f);
    assert_ptr_equal(ft_emc_lookup(&emc, &keys[2], ft_emc_hash(&keys[2])),
                     f);
    /* Re-inserting a cached key updates it in place. */
    ft_emc_insert(&emc, &keys[1], ft_emc_hash(&keys[1]), f);
    assert_ptr_equal(ft_emc_lookup(&emc, &keys[2], ft_emc_hash(&keys[2])),
                     f);
    assert_int_equal(f->ref_cnt, 3);    /* The cache's and 2 entries. */
    ft_emc_flush(&emc);
    assert_int_equal(f->ref_cnt, 1);
    assert_null(ft_emc_lookup(&emc, &keys[1], ft_emc_hash(&keys[1])));
    ft_emc_uninit(&emc);
    ft_dpcls_destroy(&cls);
}

/* EMC + megaflow cache against the linear reference, with removals and
 * insertions interleaved with lookups. */
static void
test_emc_random(void **state)
{
    enum { N_FLOWS = 400, N_KEYS = 200 };
    struct ft_flow masks[6], keys[N_KEYS];
    struct ref_set rs = { calloc(8 * N_FLOWS, sizeof *rs.refs), 0 };
    struct ft_dpcls cls;
    struct ft_emc emc;
    uint32_t seed = 4242;

    (void) state;
    for (size_t i = 0; i < 6; i++) {
        random_mask(&masks[i], &seed);
    }
    ft_dpcls_init(&cls);
    assert_int_equal(ft_emc_init(&emc, 256), 0);
    fill_random(&cls, &rs, N_FLOWS, masks, 6, &seed);

    /* A working set of keys, partly renewed each round, so that keys
     * repeat as a busy connection's do. */
    for (size_t i = 0; i < N_KEYS; i++) {
        pick_key(&rs, &keys[i], &seed);
    }
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < N_KEYS / 10; i++) {
            pick_key(&rs, &keys[rand_next(&seed) % N_KEYS], &seed);
        }
        for (int i = 0; i < 2000; i++) {
            const struct ft_flow *key = &keys[rand_next(&seed) % N_KEYS];

            assert_ptr_equal(ft_emc_lookup_cls(&emc, &cls, key),
                             ref_lookup(&rs, key));
        }
        for (size_t i = 0; i < rs.n; i++) {
            if (rs.refs[i].flow && rand_next(&seed) % 4 == 0) {
                ft_dpcls_remove(&cls, rs.refs[i].flow);
                rs.refs[i].flow = NULL;
            }
        }
        if (rs.n < 7 * N_FLOWS) {
            fill_random(&cls, &rs, N_FLOWS / 4, masks, 6, &seed);
        }
    }
    assert_true(emc.n_hits > 0);
    assert_true(emc.n_stale > 0);
    ft_emc_uninit(&emc);
    ft_dpcls_destroy(&cls);
    free(rs.refs);
}

/* ft_emc_lookup_words() against ft_emc_lookup() of the whole key: keys
 * given by 7 of their words (the others zero) must find what the whole
 * key finds, also with the hash of a cached key whose other words are not
 * zero (tagged, with metadata or a register): same words, another key. */
static void
test_emc_words(void **state)
{
    static const uint8_t idx[7] = { 2, 8, 9, 11, 16, 18, 19 };
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    enum { N_KEYS = 300 };
    struct ft_flow keys[N_KEYS];
    struct ft_dpcls cls;
    struct ft_emc emc;
    uint32_t seed = 77;
    size_t n_hits = 0, n_other = 0;

    (void) state;
    ft_dpcls_init(&cls);
    assert_int_equal(ft_emc_init(&emc, 1024), 0);
    for (size_t i = 0; i < N_KEYS; i++) {
        struct ft_dpcls_flow *f;
        struct ft_match m;

        /* A megaflow per value of the words outside 'idx', so that a
         * wrong entry gives a wrong megaflow. */
        random_key(&keys[i], &seed);
        if (i % 2) {
            /* Only words in 'idx' set, as the parser's shortcut makes. */
            keys[i].metadata = 0;
            keys[i].regs[0] = 0;
            memset(keys[i].vlans, 0, sizeof keys[i].vlans);
        }
        ft_match_init_catchall(&m);
        m.mask.nw_dst = UINT32_MAX;
        m.mask.metadata = UINT64_MAX;
        m.mask.regs[0] = UINT32_MAX;
        m.mask.vlans[0].tpid = UINT16_MAX;
        m.mask.vlans[0].tci = UINT16_MAX;
        ft_match_init(&m, &keys[i], &m.mask);
        f = ft_dpcls_find_exact(&cls, &m);
        if (!f) {
            assert_int_equal(ft_dpcls_insert(&cls, &m, &acts, NULL, &f), 0);
        }
        ft_emc_insert(&emc, &keys[i], ft_emc_hash(&keys[i]), f);
    }
    for (int r = 0; r < 4000; r++) {
        const struct ft_flow *k = &keys[rand_next(&seed) % N_KEYS];
        const uint64_t *kw = ft_flow_u64(k);
        uint64_t words[7];
        struct ft_flow q;
        uint64_t *qw = ft_flow_u64_rw(&q);

        ft_flow_zero(&q);
        for (size_t j = 0; j < 7; j++) {
            words[j] = qw[idx[j]] = kw[idx[j]];
        }
        n_other += !ft_flow_equal(&q, k);
        for (int h = 0; h < 2; h++) {
            uint32_t hash = ft_emc_hash(h ? k : &q);
            struct ft_dpcls_flow *want = ft_emc_lookup(&emc, &q, hash);

            assert_ptr_equal(ft_emc_lookup_words(&emc, idx, 7, words, hash),
                             want);
            n_hits += want != NULL;
        }
    }
    assert_true(n_hits > 1000);
    assert_true(n_other > 1000);
    ft_emc_uninit(&emc);
    ft_dpcls_destroy(&cls);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_one_mask),
        cmocka_unit_test(test_random_few_masks),
        cmocka_unit_test(test_random_many_masks),
        cmocka_unit_test(test_insert_duplicate),
        cmocka_unit_test(test_actions_copy_sized),
        cmocka_unit_test(test_catchall),
        cmocka_unit_test(test_resort),
        cmocka_unit_test(test_batch_too_large),
        cmocka_unit_test(test_flow_ref),
        cmocka_unit_test(test_emc_basic),
        cmocka_unit_test(test_emc_replacement),
        cmocka_unit_test(test_emc_sweep),
        cmocka_unit_test(test_emc_random),
        cmocka_unit_test(test_emc_words),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

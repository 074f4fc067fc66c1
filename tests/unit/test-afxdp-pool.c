/*
 * test-afxdp-pool.c - tests of the AF_XDP frame bookkeeping
 * (swpath/afxdp-pool.h) against a fake kernel that plays the other side
 * of the four rings in memory, through libxdp's own ring accessors:
 * geometry refused, the fill ring topped up without taking the frames
 * kept for transmissions, thousands of random receive, transmit and
 * completion steps with every frame in exactly one place after each and
 * all of them back at the end, and descriptors a misbehaving kernel
 * hands back (outside the UMEM, a frame it does not have, a completion
 * twice) refused and counted without losing or duplicating a frame.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "swpath/afxdp-pool.h"

#define RING 64                 /* Entries of each ring. */
#define FRAMES 256
#define FSIZE 2048
#define HEADROOM 256            /* Where the fake kernel puts frames. */

/* The memory of one ring, shared by both sides. */
struct fake_ring {
    uint32_t prod, cons, flags;
    union {
        uint64_t addr[RING];
        struct xdp_desc desc[RING];
    };
};

struct fake {
    struct fake_ring fill, comp, rx, tx;
    struct xsk_ring_prod u_fill, u_tx;      /* The process's views. */
    struct xsk_ring_cons u_comp, u_rx;
    struct ft_afxdp_pool pool;
    uint64_t bad;
};

static void
view_prod(struct xsk_ring_prod *v, struct fake_ring *r)
{
    memset(v, 0, sizeof *v);
    v->producer = &r->prod;
    v->consumer = &r->cons;
    v->flags = &r->flags;
    v->ring = r->addr;
    v->size = RING;
    v->mask = RING - 1;
    v->cached_prod = r->prod;
    v->cached_cons = r->cons + RING;      /* As libxdp sets it up. */
}

static void
view_cons(struct xsk_ring_cons *v, struct fake_ring *r)
{
    memset(v, 0, sizeof *v);
    v->producer = &r->prod;
    v->consumer = &r->cons;
    v->flags = &r->flags;
    v->ring = r->addr;
    v->size = RING;
    v->mask = RING - 1;
    v->cached_prod = r->prod;
    v->cached_cons = r->cons;
}

static struct fake *
fake_create(void)
{
    struct fake *f = calloc(1, sizeof *f);

    assert_non_null(f);
    view_prod(&f->u_fill, &f->fill);
    view_prod(&f->u_tx, &f->tx);
    view_cons(&f->u_comp, &f->comp);
    view_cons(&f->u_rx, &f->rx);
    assert_int_equal(ft_afxdp_pool_init(&f->pool, FRAMES, FSIZE), 0);
    return f;
}

static void
fake_destroy(struct fake *f)
{
    ft_afxdp_pool_uninit(&f->pool);
    free(f);
}

/* The kernel receives up to 'n' frames: fill ring -> rx ring. */
static uint32_t
kernel_rx(struct fake *f, uint32_t n, uint32_t len)
{
    uint32_t k = 0;

    while (k < n && f->fill.cons != f->fill.prod
           && f->rx.prod - f->rx.cons < RING) {
        uint64_t frame = f->fill.addr[f->fill.cons++ % RING];
        struct xdp_desc *d = &f->rx.desc[f->rx.prod++ % RING];

        d->addr = frame + HEADROOM;
        d->len = len;
        d->options = 0;
        k++;
    }
    return k;
}

/* The kernel sends up to 'n' frames: tx ring -> completion ring. */
static uint32_t
kernel_tx(struct fake *f, uint32_t n)
{
    uint32_t k = 0;

    while (k < n && f->tx.cons != f->tx.prod
           && f->comp.prod - f->comp.cons < RING) {
        const struct xdp_desc *d = &f->tx.desc[f->tx.cons++ % RING];

        f->comp.addr[f->comp.prod++ % RING] = d->addr;
        k++;
    }
    return k;
}

static void
test_geometry(void **state)
{
    struct ft_afxdp_pool pool;

    (void) state;
    assert_int_equal(ft_afxdp_pool_init(&pool, 0, 2048), -EINVAL);
    assert_int_equal(ft_afxdp_pool_init(&pool, 16, 1024), -EINVAL);
    assert_int_equal(ft_afxdp_pool_init(&pool, 16, 3072), -EINVAL);
    assert_int_equal(ft_afxdp_pool_init(&pool, 16, 4096), 0);
    assert_int_equal(pool.n_free, 16);
    assert_true(ft_afxdp_pool_check(&pool));
    ft_afxdp_pool_uninit(&pool);
}

static void
test_fill_keeps_reserve(void **state)
{
    struct fake *f = fake_create();
    uint32_t n;

    (void) state;
    /* The ring has room for RING frames: no more go in. */
    n = ft_afxdp_pool_fill(&f->pool, &f->u_fill, 0);
    assert_int_equal(n, RING);
    assert_int_equal(f->fill.prod, RING);
    assert_int_equal(ft_afxdp_pool_fill(&f->pool, &f->u_fill, 0), 0);
    assert_true(ft_afxdp_pool_check(&f->pool));

    /* The kernel takes 10; the pool tops up, but keeps FRAMES - RING - 5
     * back for transmissions: only 5 more go. */
    assert_int_equal(kernel_rx(f, 10, 60), 10);
    n = ft_afxdp_pool_fill(&f->pool, &f->u_fill, FRAMES - RING - 5);
    assert_int_equal(n, 5);
    assert_int_equal(f->pool.n_free, FRAMES - RING - 5);
    assert_true(ft_afxdp_pool_check(&f->pool));
    fake_destroy(f);
}

static void
test_rx_hold_release(void **state)
{
    struct fake *f = fake_create();
    struct ft_afxdp_rx out[FT_AFXDP_POOL_HELD_MAX];
    uint32_t n;

    (void) state;
    ft_afxdp_pool_fill(&f->pool, &f->u_fill, 0);
    assert_int_equal(kernel_rx(f, 40, 100), 40);
    n = ft_afxdp_pool_rx(&f->pool, &f->u_rx, out, 40, &f->bad);
    /* A burst holds at most FT_AFXDP_POOL_HELD_MAX. */
    assert_int_equal(n, FT_AFXDP_POOL_HELD_MAX);
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(out[i].data_ofs, HEADROOM);
        assert_int_equal(out[i].len, 100);
        assert_int_equal(out[i].frame % FSIZE, 0);
    }
    assert_int_equal(f->pool.n_held, n);
    assert_int_equal(ft_afxdp_pool_rx(&f->pool, &f->u_rx, out, 40, &f->bad),
                     0);
    assert_true(ft_afxdp_pool_check(&f->pool));

    /* Released: back to the kernel through the fill ring, and the rest
     * of the rx ring can be taken. */
    ft_afxdp_pool_release_held(&f->pool, &f->u_fill);
    assert_int_equal(f->pool.n_held, 0);
    n = ft_afxdp_pool_rx(&f->pool, &f->u_rx, out, 40, &f->bad);
    assert_int_equal(n, 40 - FT_AFXDP_POOL_HELD_MAX);
    assert_int_equal(f->bad, 0);
    assert_true(ft_afxdp_pool_check(&f->pool));
    fake_destroy(f);
}

static void
test_random_steps(void **state)
{
    struct fake *f = fake_create();
    struct ft_afxdp_rx out[FT_AFXDP_POOL_HELD_MAX];
    uint64_t taken[FT_AFXDP_POOL_HELD_MAX];
    uint32_t lens[FT_AFXDP_POOL_HELD_MAX];
    uint64_t received = 0, sent = 0, completed = 0, dropped = 0;

    (void) state;
    srand(7);
    for (int step = 0; step < 20000; step++) {
        uint32_t n_take = 0;

        switch (rand() % 5) {
        case 0:
            kernel_rx(f, rand() % 40, 60 + rand() % 1400);
            break;
        case 1:
            ft_afxdp_pool_release_held(&f->pool, &f->u_fill);
            ft_afxdp_pool_fill(&f->pool, &f->u_fill, FRAMES / 2);
            received += ft_afxdp_pool_rx(&f->pool, &f->u_rx, out,
                                         rand() % 33, &f->bad);
            break;
        case 2:
            while (n_take < (uint32_t) (rand() % 33)
                   && ft_afxdp_pool_get(&f->pool, &taken[n_take])) {
                lens[n_take] = 64;
                n_take++;
            }
            if (n_take) {
                uint32_t put = ft_afxdp_pool_tx(&f->pool, &f->u_tx, taken,
                                                lens, 0, n_take);

                sent += put;
                for (uint32_t i = put; i < n_take; i++) {
                    ft_afxdp_pool_put(&f->pool, taken[i]);
                    dropped++;
                }
            }
            break;
        case 3:
            kernel_tx(f, rand() % 40);
            break;
        case 4:
            completed += ft_afxdp_pool_complete(&f->pool, &f->u_comp,
                                                &f->bad);
            break;
        }
        if (!ft_afxdp_pool_check(&f->pool)) {
            fail_msg("step %d: frames miscounted (free %u kernel %u held "
                     "%u tx %u)", step, f->pool.n_free, f->pool.n_kernel,
                     f->pool.n_held, f->pool.n_tx);
        }
    }
    assert_true(received > 1000);
    assert_true(sent > 1000);
    assert_int_equal(f->bad, 0);

    /* Drain: everything sent completes and what was received goes
     * back; then every frame is free or the kernel's (in the fill ring,
     * or received and not yet taken), each exactly once. */
    kernel_tx(f, RING);
    completed += ft_afxdp_pool_complete(&f->pool, &f->u_comp, &f->bad);
    assert_int_equal(completed, sent);
    ft_afxdp_pool_release_held(&f->pool, &f->u_fill);
    assert_int_equal(f->pool.n_tx + f->pool.n_held + f->pool.n_taken, 0);
    assert_int_equal(f->pool.n_free + f->pool.n_kernel, FRAMES);
    {
        uint8_t seen[FRAMES] = { 0 };

        for (uint32_t i = 0; i < f->pool.n_free; i++) {
            seen[f->pool.free[i] / FSIZE]++;
        }
        for (uint32_t i = f->fill.cons; i != f->fill.prod; i++) {
            seen[f->fill.addr[i % RING] / FSIZE]++;
        }
        for (uint32_t i = f->rx.cons; i != f->rx.prod; i++) {
            seen[f->rx.desc[i % RING].addr / FSIZE]++;
        }
        for (uint32_t i = 0; i < FRAMES; i++) {
            if (seen[i] != 1) {
                fail_msg("frame %u seen %u times", i, seen[i]);
            }
        }
    }
    assert_int_equal(f->bad, 0);
    (void) dropped;
    fake_destroy(f);
}

static void
test_hostile_kernel(void **state)
{
    struct fake *f = fake_create();
    struct ft_afxdp_rx out[FT_AFXDP_POOL_HELD_MAX];
    uint64_t frame;
    uint32_t len = 64;
    struct xdp_desc *d;

    (void) state;
    ft_afxdp_pool_fill(&f->pool, &f->u_fill, FRAMES - 8);
    assert_int_equal(f->pool.n_kernel, 8);

    /* Outside the UMEM; a free frame the kernel never got; a length past
     * the frame's end (the frame comes back, unused); then a good one. */
    d = &f->rx.desc[f->rx.prod++ % RING];
    *d = (struct xdp_desc) { .addr = (uint64_t) FRAMES * FSIZE + 10,
                             .len = 60 };
    d = &f->rx.desc[f->rx.prod++ % RING];
    *d = (struct xdp_desc) { .addr = f->pool.free[0] + HEADROOM, .len = 60 };
    d = &f->rx.desc[f->rx.prod++ % RING];
    *d = (struct xdp_desc) { .addr = f->fill.addr[f->fill.cons++ % RING]
                                     + HEADROOM, .len = FSIZE };
    kernel_rx(f, 1, 99);
    assert_int_equal(ft_afxdp_pool_rx(&f->pool, &f->u_rx, out, 32, &f->bad),
                     1);
    assert_int_equal(out[0].len, 99);
    assert_int_equal(f->bad, 3);
    assert_int_equal(f->pool.n_kernel, 6);
    assert_true(ft_afxdp_pool_check(&f->pool));

    /* A completion twice, and one of a frame never sent. */
    assert_true(ft_afxdp_pool_get(&f->pool, &frame));
    assert_int_equal(ft_afxdp_pool_tx(&f->pool, &f->u_tx, &frame, &len, 0,
                                      1), 1);
    kernel_tx(f, 1);
    f->comp.addr[f->comp.prod++ % RING] = frame;
    f->comp.addr[f->comp.prod++ % RING] = f->pool.free[0];
    assert_int_equal(ft_afxdp_pool_complete(&f->pool, &f->u_comp, &f->bad),
                     1);
    assert_int_equal(f->bad, 5);
    assert_int_equal(f->pool.n_tx, 0);
    assert_true(ft_afxdp_pool_check(&f->pool));
    fake_destroy(f);
}

/* A full tx ring takes what fits; the caller keeps the rest. */
static void
test_tx_ring_full(void **state)
{
    struct fake *f = fake_create();
    uint64_t taken[RING + 8];
    uint32_t lens[RING + 8];

    (void) state;
    for (uint32_t i = 0; i < RING + 8; i++) {
        assert_true(ft_afxdp_pool_get(&f->pool, &taken[i]));
        lens[i] = 100;
    }
    assert_int_equal(ft_afxdp_pool_tx(&f->pool, &f->u_tx, taken, lens, 0,
                                      RING + 8), RING);
    assert_int_equal(f->pool.n_taken, 8);
    assert_int_equal(f->tx.desc[0].addr, taken[0]);
    assert_int_equal(f->tx.desc[0].len, 100);
    for (uint32_t i = RING; i < RING + 8; i++) {
        ft_afxdp_pool_put(&f->pool, taken[i]);
    }
    assert_true(ft_afxdp_pool_check(&f->pool));
    fake_destroy(f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_geometry),
        cmocka_unit_test(test_fill_keeps_reserve),
        cmocka_unit_test(test_rx_hold_release),
        cmocka_unit_test(test_random_steps),
        cmocka_unit_test(test_hostile_kernel),
        cmocka_unit_test(test_tx_ring_full),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

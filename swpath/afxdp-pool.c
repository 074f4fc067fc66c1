/*
 * afxdp-pool.c - the frame bookkeeping of an AF_XDP UMEM: which frames
 * are free, the kernel's, held by the datapath or being sent, and the
 * ring moves between those places (see afxdp-pool.h).
 *
 * Part of the software datapath (swpath/); used by netdev-afxdp.c.  It
 * touches only the pool and the rings it is handed (libxdp's inline ring
 * accessors): no system call, no global state.
 */
#include "afxdp-pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
ft_afxdp_pool_init(struct ft_afxdp_pool *pool, uint32_t n_frames,
                   uint32_t frame_size)
{
    memset(pool, 0, sizeof *pool);
    if (!n_frames || frame_size < 2048 || frame_size & (frame_size - 1)
        || (uint64_t) n_frames * frame_size > (1ull << 40)) {
        return -EINVAL;
    }
    pool->free = calloc(n_frames, sizeof *pool->free);
    pool->where = calloc(n_frames, sizeof *pool->where);
    if (!pool->free || !pool->where) {
        ft_afxdp_pool_uninit(pool);
        return -ENOMEM;
    }
    pool->n_frames = n_frames;
    pool->frame_size = frame_size;
    /* Lowest offsets on top, so that a lightly used UMEM touches few
     * pages. */
    for (uint32_t i = 0; i < n_frames; i++) {
        pool->free[i] = (uint64_t) (n_frames - 1 - i) * frame_size;
    }
    pool->n_free = n_frames;
    return 0;
}

void
ft_afxdp_pool_uninit(struct ft_afxdp_pool *pool)
{
    free(pool->free);
    free(pool->where);
    pool->free = NULL;
    pool->where = NULL;
}

/* Index of the frame holding offset 'addr', or UINT32_MAX if it is
 * outside the UMEM. */
static uint32_t
pool_index(const struct ft_afxdp_pool *pool, uint64_t addr)
{
    uint64_t i = addr / pool->frame_size;

    return i < pool->n_frames ? (uint32_t) i : UINT32_MAX;
}

static void
pool_move(struct ft_afxdp_pool *pool, uint64_t frame, uint8_t where)
{
    pool->where[frame / pool->frame_size] = where;
}

uint32_t
ft_afxdp_pool_fill(struct ft_afxdp_pool *pool, struct xsk_ring_prod *fill,
                   uint32_t reserve)
{
    uint32_t n = pool->n_free > reserve ? pool->n_free - reserve : 0;
    uint32_t idx;

    if (!n) {
        return 0;
    }
    n = xsk_prod_nb_free(fill, n);
    n = n > pool->n_free - reserve ? pool->n_free - reserve : n;
    if (!n || xsk_ring_prod__reserve(fill, n, &idx) != n) {
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint64_t frame = pool->free[--pool->n_free];

        *xsk_ring_prod__fill_addr(fill, idx + i) = frame;
        pool_move(pool, frame, FT_AFXDP_FRAME_KERNEL);
    }
    xsk_ring_prod__submit(fill, n);
    pool->n_kernel += n;
    return n;
}

void
ft_afxdp_pool_release_held(struct ft_afxdp_pool *pool,
                           struct xsk_ring_prod *fill)
{
    uint32_t n = pool->n_held, idx = 0;

    if (!n) {
        return;
    }
    if (xsk_prod_nb_free(fill, n) < n
        || xsk_ring_prod__reserve(fill, n, &idx) != n) {
        /* No room (cannot happen while the pool fills no more than the
         * ring holds): keep them ours. */
        for (uint32_t i = 0; i < n; i++) {
            pool->free[pool->n_free++] = pool->held[i];
            pool_move(pool, pool->held[i], FT_AFXDP_FRAME_FREE);
        }
        pool->n_held = 0;
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        *xsk_ring_prod__fill_addr(fill, idx + i) = pool->held[i];
        pool_move(pool, pool->held[i], FT_AFXDP_FRAME_KERNEL);
    }
    xsk_ring_prod__submit(fill, n);
    pool->n_kernel += n;
    pool->n_held = 0;
}

uint32_t
ft_afxdp_pool_rx(struct ft_afxdp_pool *pool, struct xsk_ring_cons *rx,
                 struct ft_afxdp_rx *out, uint32_t max, uint64_t *n_bad)
{
    uint32_t room = FT_AFXDP_POOL_HELD_MAX - pool->n_held;
    uint32_t idx, n, k = 0;

    max = max < room ? max : room;
    n = max ? xsk_ring_cons__peek(rx, max, &idx) : 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct xdp_desc *d = xsk_ring_cons__rx_desc(rx, idx + i);
        uint32_t fi = pool_index(pool, d->addr);
        uint64_t frame = (uint64_t) fi * pool->frame_size;
        uint64_t ofs = d->addr - frame;

        if (fi == UINT32_MAX
            || pool->where[fi] != FT_AFXDP_FRAME_KERNEL) {
            (*n_bad)++;
            continue;
        }
        /* The frame is back from the kernel whatever it holds. */
        pool->n_kernel--;
        if (!d->len || ofs + d->len > pool->frame_size) {
            (*n_bad)++;
            pool->free[pool->n_free++] = frame;
            pool->where[fi] = FT_AFXDP_FRAME_FREE;
            continue;
        }
        pool->where[fi] = FT_AFXDP_FRAME_HELD;
        pool->held[pool->n_held++] = frame;
        out[k].frame = frame;
        out[k].data_ofs = (uint32_t) ofs;
        out[k].len = d->len;
        k++;
    }
    if (n) {
        xsk_ring_cons__release(rx, n);
    }
    return k;
}

bool
ft_afxdp_pool_get(struct ft_afxdp_pool *pool, uint64_t *frame)
{
    if (!pool->n_free) {
        return false;
    }
    *frame = pool->free[--pool->n_free];
    pool_move(pool, *frame, FT_AFXDP_FRAME_TAKEN);
    pool->n_taken++;
    return true;
}

void
ft_afxdp_pool_put(struct ft_afxdp_pool *pool, uint64_t frame)
{
    pool->free[pool->n_free++] = frame;
    pool_move(pool, frame, FT_AFXDP_FRAME_FREE);
    pool->n_taken--;
}

uint32_t
ft_afxdp_pool_tx(struct ft_afxdp_pool *pool, struct xsk_ring_prod *tx,
                 const uint64_t *frames, const uint32_t *lens,
                 uint32_t data_ofs, uint32_t n)
{
    uint32_t idx, room;

    room = n ? xsk_prod_nb_free(tx, n) : 0;
    n = n < room ? n : room;
    if (!n || xsk_ring_prod__reserve(tx, n, &idx) != n) {
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct xdp_desc *d = xsk_ring_prod__tx_desc(tx, idx + i);

        d->addr = frames[i] + data_ofs;
        d->len = lens[i];
        d->options = 0;
        pool_move(pool, frames[i], FT_AFXDP_FRAME_TX);
    }
    xsk_ring_prod__submit(tx, n);
    pool->n_taken -= n;
    pool->n_tx += n;
    return n;
}

uint32_t
ft_afxdp_pool_complete(struct ft_afxdp_pool *pool, struct xsk_ring_cons *comp,
                       uint64_t *n_bad)
{
    uint32_t idx, k = 0;
    uint32_t n = xsk_ring_cons__peek(comp, pool->n_frames, &idx);

    for (uint32_t i = 0; i < n; i++) {
        uint64_t addr = *xsk_ring_cons__comp_addr(comp, idx + i);
        uint32_t fi = pool_index(pool, addr);

        if (fi == UINT32_MAX || pool->where[fi] != FT_AFXDP_FRAME_TX) {
            (*n_bad)++;
            continue;
        }
        pool->where[fi] = FT_AFXDP_FRAME_FREE;
        pool->free[pool->n_free++] = (uint64_t) fi * pool->frame_size;
        pool->n_tx--;
        k++;
    }
    if (n) {
        xsk_ring_cons__release(comp, n);
    }
    return k;
}

bool
ft_afxdp_pool_check(const struct ft_afxdp_pool *pool)
{
    uint32_t count[FT_AFXDP_FRAME_TAKEN + 1] = { 0 };

    for (uint32_t i = 0; i < pool->n_frames; i++) {
        if (pool->where[i] > FT_AFXDP_FRAME_TAKEN) {
            return false;
        }
        count[pool->where[i]]++;
    }
    for (uint32_t i = 0; i < pool->n_free; i++) {
        uint32_t fi = pool_index(pool, pool->free[i]);

        if (fi == UINT32_MAX || pool->where[fi] != FT_AFXDP_FRAME_FREE) {
            return false;
        }
    }
    return (count[FT_AFXDP_FRAME_FREE] == pool->n_free
            && count[FT_AFXDP_FRAME_KERNEL] == pool->n_kernel
            && count[FT_AFXDP_FRAME_HELD] == pool->n_held
            && count[FT_AFXDP_FRAME_TX] == pool->n_tx
            && count[FT_AFXDP_FRAME_TAKEN] == pool->n_taken
            && (pool->n_free + pool->n_kernel + pool->n_held + pool->n_tx
                + pool->n_taken) == pool->n_frames);
}

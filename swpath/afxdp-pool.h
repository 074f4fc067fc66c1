/*
 * afxdp-pool.h - where each frame of an AF_XDP UMEM is, and the ring
 * moves that change it.
 *
 * What?
 * =====
 *
 * An AF_XDP socket (swpath/netdev-afxdp.c) receives into and sends from a
 * UMEM: one memory area cut into 'n_frames' frames of 'frame_size' bytes
 * (a power of two; a frame is named by its offset in the area).  Four
 * rings move frame offsets between the process and the kernel: the fill
 * ring gives the kernel frames to receive into, the rx ring hands
 * received frames back, the tx ring gives the kernel frames to send, and
 * the completion ring hands sent frames back.  A frame the process loses
 * track of is gone for good; a frame given twice corrupts packets.  This
 * module owns that bookkeeping, without a system call, so that it can be
 * tested against a fake kernel (tests/unit/test-afxdp-pool.c).
 *
 * Every frame is in exactly one of four places:
 *
 *   free     in the pool's stack, ours to use for a transmission;
 *   kernel   given to the fill ring and not yet back through the rx ring
 *            (in the fill ring, being written, or waiting in the rx ring);
 *   held     received and handed to the datapath, which may read and
 *            change it until the next receive burst;
 *   tx       given to the tx ring and not yet back through the
 *            completion ring.
 *
 * and, for a moment, taken (by ft_afxdp_pool_get(), being copied into
 * before it goes into the tx ring), so that n_free + n_kernel + n_held +
 * n_tx + n_taken == n_frames at all times (ft_afxdp_pool_check()).  A
 * descriptor the kernel hands back naming a frame that is not where it
 * should be (not the kernel's for the rx ring, not in tx for the
 * completion ring) is refused and counted, never trusted.
 *
 * How much work a call may do: each moves at most one ring's worth of
 * frames, in one reserve (or peek) and one submit (or release) of that
 * ring, so a call costs two atomic accesses plus a copy per frame.
 *
 * Thread-safety: a pool and its rings belong to one thread.
 */
#ifndef SWPATH_AFXDP_POOL_H
#define SWPATH_AFXDP_POOL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xdp/xsk.h>

/* Largest number of frames a receive burst holds (FT_PACKET_BATCH_MAX). */
#define FT_AFXDP_POOL_HELD_MAX 32

/* Where a frame is (see above). */
enum {
    FT_AFXDP_FRAME_FREE,
    FT_AFXDP_FRAME_KERNEL,
    FT_AFXDP_FRAME_HELD,
    FT_AFXDP_FRAME_TX,
    FT_AFXDP_FRAME_TAKEN,       /* Taken for a transmission, not yet in
                                 * the tx ring. */
};

struct ft_afxdp_pool {
    uint32_t n_frames;
    uint32_t frame_size;        /* A power of two. */
    uint64_t *free;             /* Stack of free frame offsets. */
    uint8_t *where;             /* Per frame: FT_AFXDP_FRAME_*. */
    uint32_t n_free;
    uint32_t n_kernel;          /* Given through the fill ring. */
    uint32_t n_tx;              /* Given through the tx ring. */
    uint32_t n_held;
    uint32_t n_taken;           /* By ft_afxdp_pool_get(), not yet put
                                 * into the tx ring or back. */
    uint64_t held[FT_AFXDP_POOL_HELD_MAX];
};

/* A received frame, as the rx ring describes it. */
struct ft_afxdp_rx {
    uint64_t frame;             /* Offset of its frame in the UMEM. */
    uint32_t data_ofs;          /* Where the packet starts in the frame. */
    uint32_t len;
};

/* Initializes 'pool' with 'n_frames' free frames of 'frame_size' bytes
 * ('frame_size' a power of two of at least 2048, 'n_frames' at least 1).
 * Returns 0, -EINVAL for a bad geometry, or -ENOMEM. */
int ft_afxdp_pool_init(struct ft_afxdp_pool *, uint32_t n_frames,
                       uint32_t frame_size);

/* Frees what init allocated.  The UMEM itself is the caller's. */
void ft_afxdp_pool_uninit(struct ft_afxdp_pool *);

/* Gives the kernel free frames to receive into, as many as 'fill' has
 * room for, but keeps 'reserve' frames free for transmissions.  Returns
 * how many were given. */
uint32_t ft_afxdp_pool_fill(struct ft_afxdp_pool *, struct xsk_ring_prod *fill,
                            uint32_t reserve);

/* Gives the frames the previous receive burst held back to the kernel
 * through 'fill' (those that do not fit go to the free stack).  Call it
 * before taking a new burst: the datapath is done with them then. */
void ft_afxdp_pool_release_held(struct ft_afxdp_pool *,
                                struct xsk_ring_prod *fill);

/* Takes up to 'max' (at most FT_AFXDP_POOL_HELD_MAX, less what is held)
 * received frames from 'rx' into 'out' and holds them.  A descriptor whose
 * frame or length lies outside the UMEM is not returned; its frame (if
 * any) is not trusted again and '*n_bad' counts it.  Returns how many were
 * stored in 'out'. */
uint32_t ft_afxdp_pool_rx(struct ft_afxdp_pool *, struct xsk_ring_cons *rx,
                          struct ft_afxdp_rx *out, uint32_t max,
                          uint64_t *n_bad);

/* Takes a free frame for a transmission into '*frame'.  Returns false if
 * none is free. */
bool ft_afxdp_pool_get(struct ft_afxdp_pool *, uint64_t *frame);

/* Returns frame 'frame', taken with ft_afxdp_pool_get() and not sent, to
 * the free stack. */
void ft_afxdp_pool_put(struct ft_afxdp_pool *, uint64_t frame);

/* Puts the 'n' frames 'frames' (taken with ft_afxdp_pool_get()), of
 * 'lens' bytes starting 'data_ofs' bytes into each frame, into 'tx'.
 * Returns how many it put (the first ones); the caller keeps the others
 * taken. */
uint32_t ft_afxdp_pool_tx(struct ft_afxdp_pool *, struct xsk_ring_prod *tx,
                          const uint64_t *frames, const uint32_t *lens,
                          uint32_t data_ofs, uint32_t n);

/* Takes the frames the kernel completed from 'comp' back to the free
 * stack.  A completion naming no frame the pool gave to 'tx' is dropped
 * and counted in '*n_bad'.  Returns how many came back. */
uint32_t ft_afxdp_pool_complete(struct ft_afxdp_pool *,
                                struct xsk_ring_cons *comp, uint64_t *n_bad);

/* Returns true if every frame is counted in exactly one place (see
 * above). */
bool ft_afxdp_pool_check(const struct ft_afxdp_pool *);

#endif /* swpath/afxdp-pool.h */

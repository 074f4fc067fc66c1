/*
 * spsc-ring.h - a bounded single-producer, single-consumer ring of
 * fixed-size elements, for handing work between two threads without a
 * lock.
 *
 * What?
 * =====
 *
 * The userspace datapath's forwarding threads (swpath/dpif-pmd.c) talk to
 * the daemon's thread through two of these per thread: misses go up in
 * one (the forwarding thread produces, the daemon consumes), commands come
 * down in the other (the daemon produces, the forwarding thread consumes).
 * Elements are copied in and out by value; a ring holds a power of two of
 * them, one slot less than that usable.
 *
 * Thread-safety
 * =============
 *
 * Exactly one thread may push and exactly one (possibly another) may pop
 * at any time; ft_spsc_ring_count() may be called from either.  Pushing
 * publishes the element with a release store of the head; popping reads
 * it after an acquire load, so everything the producer wrote before a push
 * is visible to the consumer after the matching pop.  init and uninit need
 * both sides stopped.
 */
#ifndef SWPATH_SPSC_RING_H
#define SWPATH_SPSC_RING_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ft_spsc_ring {
    /* Written by the producer only. */
    uint32_t head __attribute__((aligned(64)));
    uint32_t tail_cache;        /* The producer's last view of 'tail'. */

    /* Written by the consumer only. */
    uint32_t tail __attribute__((aligned(64)));
    uint32_t head_cache;        /* The consumer's last view of 'head'. */

    /* Set once by init. */
    uint32_t mask __attribute__((aligned(64)));    /* Slots - 1. */
    size_t elem_size;
    unsigned char *slots;
};

/* Initializes 'ring' for 'n_slots' elements of 'elem_size' bytes
 * ('n_slots' a power of two, 2 to 2^24; 'n_slots' - 1 of them usable).
 * Returns 0, -EINVAL for a bad size, or -ENOMEM. */
int ft_spsc_ring_init(struct ft_spsc_ring *ring, size_t n_slots,
                      size_t elem_size);

/* Frees the slots.  Elements still queued are dropped as they are (their
 * owner must have drained them if they own memory). */
void ft_spsc_ring_uninit(struct ft_spsc_ring *ring);

/* Producer: copies the element at 'elem' into the ring.  Returns false,
 * leaving the ring as it is, when it is full. */
bool ft_spsc_ring_push(struct ft_spsc_ring *ring, const void *elem);

/* Consumer: copies the oldest element into 'elem' and removes it.
 * Returns false when the ring is empty. */
bool ft_spsc_ring_pop(struct ft_spsc_ring *ring, void *elem);

/* Elements queued now (a snapshot: the other side may be moving). */
size_t ft_spsc_ring_count(const struct ft_spsc_ring *ring);

/* Elements the ring holds at most. */
static inline size_t
ft_spsc_ring_capacity(const struct ft_spsc_ring *ring)
{
    return ring->mask;
}

#endif /* swpath/spsc-ring.h */

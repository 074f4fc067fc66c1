/*
 * spsc-ring.c - the single-producer, single-consumer ring of
 * swpath/spsc-ring.h.
 *
 * Part of the software datapath; uses only libc and compiler atomics.
 * Each side keeps a cached copy of the other side's index and reads the
 * shared one only when the cache says the ring looks full (producer) or
 * empty (consumer), so a busy ring costs one shared cache line transfer
 * per batch rather than per element.
 */
#include "spsc-ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
ft_spsc_ring_init(struct ft_spsc_ring *ring, size_t n_slots,
                  size_t elem_size)
{
    memset(ring, 0, sizeof *ring);
    if (n_slots < 2 || n_slots > (1u << 24) || (n_slots & (n_slots - 1))
        || !elem_size) {
        return -EINVAL;
    }
    ring->slots = calloc(n_slots, elem_size);
    if (!ring->slots) {
        return -ENOMEM;
    }
    ring->mask = n_slots - 1;
    ring->elem_size = elem_size;
    return 0;
}

void
ft_spsc_ring_uninit(struct ft_spsc_ring *ring)
{
    free(ring->slots);
    ring->slots = NULL;
}

bool
ft_spsc_ring_push(struct ft_spsc_ring *ring, const void *elem)
{
    uint32_t head = ring->head;     /* Only this thread writes it. */

    if (head - ring->tail_cache >= ring->mask) {
        ring->tail_cache = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
        if (head - ring->tail_cache >= ring->mask) {
            return false;
        }
    }
    memcpy(ring->slots + (size_t) (head & ring->mask) * ring->elem_size,
           elem, ring->elem_size);
    __atomic_store_n(&ring->head, head + 1, __ATOMIC_RELEASE);
    return true;
}

bool
ft_spsc_ring_pop(struct ft_spsc_ring *ring, void *elem)
{
    uint32_t tail = ring->tail;     /* Only this thread writes it. */

    if (tail == ring->head_cache) {
        ring->head_cache = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
        if (tail == ring->head_cache) {
            return false;
        }
    }
    memcpy(elem, ring->slots + (size_t) (tail & ring->mask)
                 * ring->elem_size, ring->elem_size);
    __atomic_store_n(&ring->tail, tail + 1, __ATOMIC_RELEASE);
    return true;
}

size_t
ft_spsc_ring_count(const struct ft_spsc_ring *ring)
{
    uint32_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
    uint32_t tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);

    return head - tail;
}

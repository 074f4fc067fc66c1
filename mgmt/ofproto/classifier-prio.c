/*
 * classifier-prio.c - a subtable's priority histogram: how many of its
 * rules have each priority, so that its highest priority stays exact.
 *
 * Part of the classifier (mgmt/ofproto/classifier.c), which alone calls
 * it, on insert and remove (never on lookup).  Touches nothing but the
 * subtables handed to it.
 *
 * Priority histogram: a max-heap of the distinct priorities, and an
 * open-addressed map (linear probing, at most half full) from priority to
 * heap position, so that a priority's count is found in O(1) and the heap
 * can move it in O(log n).
 */
#include "mgmt/ofproto/classifier-private.h"

#include <assert.h>
#include <stdlib.h>

static inline uint32_t
cls_prio_hash(int32_t priority)
{
    uint32_t h = (uint32_t) priority * UINT32_C(0x9e3779b1);

    return h ^ (h >> 15);
}

/* Returns the map cell that names 'priority''s heap entry, or NULL. */
static uint32_t *
cls_prio_find(struct ft_cls_subtable *st, int32_t priority)
{
    uint32_t mask = st->prio_map_mask;

    if (!st->prio_map) {
        return NULL;
    }
    for (uint32_t i = cls_prio_hash(priority) & mask; ;
         i = (i + 1) & mask) {
        uint32_t e = st->prio_map[i];

        if (!e) {
            return NULL;
        }
        if (st->prios[e - 1].priority == priority) {
            return &st->prio_map[i];
        }
    }
}

static void
cls_prio_map_put(struct ft_cls_subtable *st, uint32_t idx)
{
    uint32_t mask = st->prio_map_mask;
    uint32_t i = cls_prio_hash(st->prios[idx].priority) & mask;

    while (st->prio_map[i]) {
        i = (i + 1) & mask;
    }
    st->prio_map[i] = idx + 1;
}

static void
cls_prio_map_resize(struct ft_cls_subtable *st, size_t size)
{
    free(st->prio_map);
    st->prio_map = cls_xcalloc(size, sizeof *st->prio_map);
    st->prio_map_mask = size - 1;
    for (uint32_t i = 0; i < st->n_prios; i++) {
        cls_prio_map_put(st, i);
    }
}

/* Empties map cell 'cell', shifting its probe run back (as
 * cls_slot_delete() does for slots). */
static void
cls_prio_map_delete(struct ft_cls_subtable *st, uint32_t *cell)
{
    uint32_t mask = st->prio_map_mask;
    uint32_t i = cell - st->prio_map;
    uint32_t j = i;

    for (;;) {
        j = (j + 1) & mask;
        if (!st->prio_map[j]) {
            break;
        }

        uint32_t home = cls_prio_hash(st->prios[st->prio_map[j] - 1].priority)
                        & mask;
        bool stays = i <= j ? (home > i && home <= j)
                            : (home > i || home <= j);
        if (!stays) {
            st->prio_map[i] = st->prio_map[j];
            i = j;
        }
    }
    st->prio_map[i] = 0;
}

/* Swaps heap entries 'a' and 'b', and the map cells that name them. */
static void
cls_prio_swap(struct ft_cls_subtable *st, uint32_t a, uint32_t b)
{
    uint32_t *cell_a = cls_prio_find(st, st->prios[a].priority);
    uint32_t *cell_b = cls_prio_find(st, st->prios[b].priority);
    struct cls_prio tmp = st->prios[a];

    st->prios[a] = st->prios[b];
    st->prios[b] = tmp;
    *cell_a = b + 1;
    *cell_b = a + 1;
}

static void
cls_prio_sift_up(struct ft_cls_subtable *st, uint32_t idx)
{
    while (idx > 0) {
        uint32_t parent = (idx - 1) / 2;

        if (st->prios[parent].priority >= st->prios[idx].priority) {
            break;
        }
        cls_prio_swap(st, idx, parent);
        idx = parent;
    }
}

static void
cls_prio_sift_down(struct ft_cls_subtable *st, uint32_t idx)
{
    for (;;) {
        uint32_t child = 2 * idx + 1;

        if (child >= st->n_prios) {
            break;
        }
        if (child + 1 < st->n_prios
            && st->prios[child + 1].priority > st->prios[child].priority) {
            child++;
        }
        if (st->prios[child].priority <= st->prios[idx].priority) {
            break;
        }
        cls_prio_swap(st, idx, child);
        idx = child;
    }
}

static void
cls_prio_update_max(struct ft_cls_subtable *st)
{
    st->max_priority = st->n_prios ? st->prios[0].priority : INT32_MIN;
}

void
cls_prio_add(struct ft_cls_subtable *st, int32_t priority)
{
    uint32_t *cell = cls_prio_find(st, priority);

    if (cell) {
        st->prios[*cell - 1].count++;
        return;
    }
    if (st->n_prios == st->allocated_prios) {
        st->allocated_prios = st->allocated_prios
                              ? 2 * st->allocated_prios : 4;
        st->prios = cls_xrealloc(st->prios,
                                 st->allocated_prios * sizeof *st->prios);
    }
    st->prios[st->n_prios].priority = priority;
    st->prios[st->n_prios].count = 1;
    st->n_prios++;
    if (!st->prio_map || 2 * st->n_prios > st->prio_map_mask + 1) {
        /* Rebuilding maps every entry, the new one included. */
        cls_prio_map_resize(st, st->prio_map ? 2 * (st->prio_map_mask + 1)
                                             : 8);
    } else {
        cls_prio_map_put(st, st->n_prios - 1);
    }
    cls_prio_sift_up(st, st->n_prios - 1);
    cls_prio_update_max(st);
}

void
cls_prio_del(struct ft_cls_subtable *st, int32_t priority)
{
    uint32_t *cell = cls_prio_find(st, priority);
    uint32_t idx, last;

    assert(cell);
    idx = *cell - 1;
    if (--st->prios[idx].count) {
        return;
    }
    last = st->n_prios - 1;
    if (idx != last) {
        /* Move the last entry into the hole, then restore heap order. */
        cls_prio_swap(st, idx, last);
        cell = cls_prio_find(st, priority);
    }
    cls_prio_map_delete(st, cell);
    st->n_prios--;
    if (idx != last) {
        cls_prio_sift_down(st, idx);
        cls_prio_sift_up(st, idx);
    }
    cls_prio_update_max(st);
}

/*
 * classifier-hash.c - hashing of masked keys by stage, and a subtable's
 * slot table: the open-addressed hash table of its chains (see
 * classifier-private.h, "Layout").
 *
 * Part of the classifier (mgmt/ofproto/classifier.c), which alone calls
 * it.  Touches nothing but the subtables handed to it.  The hashing and
 * probing that lookups use are inline in classifier-private.h.
 */
#include "mgmt/ofproto/classifier-private.h"

#include <stdlib.h>
#include <string.h>

uint32_t
cls_mask_key_staged(const struct ft_cls_subtable *st,
                    const struct ft_flow *flow, uint64_t *masked,
                    uint32_t ihash[CLS_N_GROUPS - 1])
{
    const uint64_t *f = ft_flow_u64(flow);
    uint64_t state = CLS_HASH_SEED;
    uint32_t e = 0;

    for (uint32_t s = 0; s < st->n_stages; s++) {
        for (; e < st->stage_end[s]; e++) {
            masked[e] = f[st->words[e]] & st->mask_words[e];
            state = cls_hash_step(state, masked[e]);
        }
        if (s + 1 < st->n_stages) {
            ihash[s] = cls_hash_finish(state);
        }
    }
    return cls_hash_finish(state);
}

void
cls_slot_put(struct ft_cls_subtable *st, struct ft_cls_rule *head,
             const uint64_t *masked)
{
    uint32_t i = head->hash & st->slot_mask;

    while (st->slots[i].hash) {
        i = (i + 1) & st->slot_mask;
    }
    st->slots[i].hash = head->hash;
    st->slots[i].priority = head->priority;
    st->slots[i].head = head;
    memcpy(&st->keys[(size_t) i * st->n_words], masked,
           st->n_words * sizeof *masked);
}

void
cls_resize(struct ft_cls_subtable *st, size_t n_slots)
{
    struct cls_slot *old_slots = st->slots;
    uint64_t *old_keys = st->keys;
    size_t old_n = old_slots ? cls_n_slots(st) : 0;

    st->slots = cls_xcalloc(n_slots, sizeof *st->slots);
    st->keys = cls_xcalloc(n_slots * st->n_words, sizeof *st->keys);
    st->slot_mask = n_slots - 1;
    for (size_t i = 0; i < old_n; i++) {
        if (old_slots[i].hash) {
            cls_slot_put(st, old_slots[i].head, &old_keys[i * st->n_words]);
        }
    }
    free(old_slots);
    free(old_keys);
}

void
cls_slot_delete(struct ft_cls_subtable *st, uint32_t i)
{
    uint32_t mask = st->slot_mask;
    uint32_t j = i;

    for (;;) {
        j = (j + 1) & mask;
        if (!st->slots[j].hash) {
            break;
        }

        /* Entry j may move to the hole at i unless its home slot lies
         * cyclically in (i, j]. */
        uint32_t home = st->slots[j].hash & mask;
        bool stays = i <= j ? (home > i && home <= j)
                            : (home > i || home <= j);
        if (!stays) {
            st->slots[i] = st->slots[j];
            memcpy(&st->keys[(size_t) i * st->n_words],
                   &st->keys[(size_t) j * st->n_words],
                   st->n_words * sizeof *st->keys);
            i = j;
        }
    }
    memset(&st->slots[i], 0, sizeof st->slots[i]);
}

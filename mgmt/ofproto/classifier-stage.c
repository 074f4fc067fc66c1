/*
 * classifier-stage.c - the stages of a subtable's mask and their indices
 * (classifier.h, "Basic design"; classifier-private.h, "Layout").
 *
 * Part of the classifier (mgmt/ofproto/classifier.c), which alone calls
 * it.  Splits a mask into stage groups (metadata, L2, L3, L4) and keeps
 * each stage's index: a counted set of the hashes of the distinct masked
 * keys up to that stage.  Touches nothing but the subtables handed to it.
 * Probing an index, which lookups do, is inline in classifier-private.h.
 */
#include "mgmt/ofproto/classifier-private.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static void
cls_index_resize(struct cls_index *idx, size_t n_cells)
{
    struct cls_icell *old = idx->cells;
    size_t old_n = old ? (size_t) idx->mask + 1 : 0;

    idx->cells = cls_xcalloc(n_cells, sizeof *idx->cells);
    idx->mask = n_cells - 1;
    for (size_t i = 0; i < old_n; i++) {
        if (old[i].hash) {
            uint32_t j = old[i].hash & idx->mask;

            while (idx->cells[j].hash) {
                j = (j + 1) & idx->mask;
            }
            idx->cells[j] = old[i];
        }
    }
    free(old);
}

void
cls_index_inc(struct cls_index *idx, uint32_t hash)
{
    struct cls_icell *cell;

    if (!idx->cells) {
        cls_index_resize(idx, CLS_MIN_SLOTS);
    }
    cell = cls_index_cell(idx, hash);
    if (!cell->hash) {
        if (2 * (idx->n + 1) > idx->mask + 1) {
            cls_index_resize(idx, 2 * ((size_t) idx->mask + 1));
            cell = cls_index_cell(idx, hash);
        }
        cell->hash = hash;
        idx->n++;
    }
    cell->count++;
}

/* Counts one masked key fewer at 'hash', which has at least one. */
void
cls_index_dec(struct cls_index *idx, uint32_t hash)
{
    struct cls_icell *cell = cls_index_cell(idx, hash);
    uint32_t mask = idx->mask;
    uint32_t i, j;

    assert(cell->hash && cell->count);
    if (--cell->count) {
        return;
    }

    /* Delete without tombstones, as cls_slot_delete() does. */
    i = j = cell - idx->cells;
    for (;;) {
        j = (j + 1) & mask;
        if (!idx->cells[j].hash) {
            break;
        }

        uint32_t home = idx->cells[j].hash & mask;
        bool stays = i <= j ? (home > i && home <= j)
                            : (home > i || home <= j);
        if (!stays) {
            idx->cells[i] = idx->cells[j];
            i = j;
        }
    }
    idx->cells[i].hash = 0;
    idx->cells[i].count = 0;
    idx->n--;
    if (idx->n * 8 < idx->mask + 1 && idx->mask + 1 > CLS_MIN_SLOTS) {
        cls_index_resize(idx, ((size_t) idx->mask + 1) / 2);
    }
}

/* Length of 'mask' as a CIDR prefix, or 0 if it is none (or empty). */
static unsigned int
cls_prefix_len(uint32_t mask)
{
    if (!mask || (~mask & (~mask + 1))) {
        return 0;
    }
    return 32 - __builtin_ctz(mask);
}

/* Stage groups by byte of struct ft_flow. */
static enum cls_group
cls_byte_group(size_t ofs)
{
    if (ofs < offsetof(struct ft_flow, dl_dst)) {
        return CLS_GROUP_META;
    } else if (ofs < offsetof(struct ft_flow, nw_src)) {
        return CLS_GROUP_L2;
    } else if (ofs >= offsetof(struct ft_flow, tp_src)
               && ofs < offsetof(struct ft_flow, tcp_flags)) {
        return CLS_GROUP_L4;
    }
    return CLS_GROUP_L3;
}


void
cls_subtable_init_stages(struct ft_cls_subtable *st)
{
    struct ft_flow groups[CLS_N_GROUPS];
    const uint64_t *m = ft_flow_u64(&st->mask);

    memset(groups, 0, sizeof groups);
    for (size_t ofs = 0; ofs < sizeof(struct ft_flow); ofs++) {
        ((uint8_t *) &groups[cls_byte_group(ofs)])[ofs] = 0xff;
    }

    st->n_words = 0;
    st->n_stages = 0;
    st->trie_stage = CLS_NO_STAGE;
    for (int g = 0; g < CLS_N_GROUPS; g++) {
        const uint64_t *gm = ft_flow_u64(&groups[g]);
        uint32_t start = st->n_words;

        for (size_t i = 0; i < FT_FLOW_U64S; i++) {
            if (m[i] & gm[i]) {
                st->words[st->n_words] = i;
                st->mask_words[st->n_words] = m[i] & gm[i];
                st->n_words++;
            }
        }
        if (st->n_words > start) {
            if (g == CLS_GROUP_L3) {
                st->trie_stage = st->n_stages;
            }
            st->stage_end[st->n_stages++] = st->n_words;
        }
    }
    if (!st->n_stages) {
        st->stage_end[st->n_stages++] = 0;      /* The catch-all. */
    }

    bool any_trie = false;
    for (int i = 0; i < FT_CLS_N_TRIES; i++) {
        st->trie_plen[i] = cls_prefix_len(cls_trie_field(&st->mask, i));
        any_trie |= st->trie_plen[i] != 0;
    }
    if (!any_trie) {
        st->trie_stage = CLS_NO_STAGE;
    }
    st->ports_mask = cls_ports(&st->mask);
    st->ports_mask_len = st->ports_mask
                         ? 32 - __builtin_ctz(st->ports_mask) : 0;
}

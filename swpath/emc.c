/*
 * emc.c - the exact-match cache in front of the megaflow cache.
 *
 * A fixed array of 2-way sets allocated once at initialization; see emc.h
 * for the replacement and invalidation rules.  Every operation but
 * init/uninit/flush touches one set (two entries).
 */
#include "emc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
ft_emc_init(struct ft_emc *emc, size_t n_entries)
{
    size_t n_sets = 1;

    memset(emc, 0, sizeof *emc);
    while (n_sets * 2 < n_entries && n_sets < (UINT32_C(1) << 30)) {
        n_sets *= 2;
    }
    emc->entries = calloc(n_sets * 2, sizeof *emc->entries);
    if (!emc->entries) {
        return -ENOMEM;
    }
    emc->n_sets_mask = n_sets - 1;
    return 0;
}

void
ft_emc_flush(struct ft_emc *emc)
{
    size_t n = 2 * ((size_t) emc->n_sets_mask + 1);

    for (size_t i = 0; emc->entries && i < n; i++) {
        ft_dpcls_flow_unref(emc->entries[i].flow);
        emc->entries[i].flow = NULL;
    }
    emc->n_used = 0;
    emc->n_dels_unswept = 0;
}

void
ft_emc_sweep(struct ft_emc *emc)
{
    size_t n = 2 * ((size_t) emc->n_sets_mask + 1);

    for (size_t i = 0; emc->entries && i < n; i++) {
        struct ft_dpcls_flow *flow = emc->entries[i].flow;

        if (flow && flow->dead) {
            ft_dpcls_flow_unref(flow);
            emc->entries[i].flow = NULL;
            emc->n_used--;
        }
    }
}

void
ft_emc_note_removal(struct ft_emc *emc, size_t n_left)
{
    if ((++emc->n_dels_unswept >= FT_EMC_SWEEP_MIN
         && emc->n_dels_unswept >= n_left / 8) || !n_left) {
        ft_emc_sweep(emc);
        emc->n_dels_unswept = 0;
    }
}

void
ft_emc_uninit(struct ft_emc *emc)
{
    if (emc) {
        ft_emc_flush(emc);
        free(emc->entries);
        emc->entries = NULL;
    }
}

static inline struct ft_emc_entry *
emc_set(const struct ft_emc *emc, uint32_t hash)
{
    return &emc->entries[2 * (size_t) (hash & emc->n_sets_mask)];
}

static inline void
emc_entry_clear(struct ft_emc *emc, struct ft_emc_entry *e)
{
    if (e->flow) {
        ft_dpcls_flow_unref(e->flow);
        e->flow = NULL;
        emc->n_used--;
    }
}

void
ft_emc_clear_stale__(struct ft_emc *emc, struct ft_emc_entry *e)
{
    emc_entry_clear(emc, e);
    emc->n_stale++;
}

/* Bit i set: word i of 'key' is not zero. */
static uint32_t
emc_nonzero_words(const struct ft_flow *key)
{
    const uint64_t *k = ft_flow_u64(key);
    uint32_t map = 0;

    for (size_t i = 0; i < FT_FLOW_U64S; i++) {
        map |= (uint32_t) (k[i] != 0) << i;
    }
    return map;
}

void
ft_emc_insert(struct ft_emc *emc, const struct ft_flow *key, uint32_t hash,
              struct ft_dpcls_flow *flow)
{
    struct ft_emc_entry *set = emc_set(emc, hash);
    struct ft_emc_entry *e = NULL;

    for (int way = 0; way < 2; way++) {
        if (set[way].flow && set[way].hash == hash
            && ft_emc_key_equal__(&set[way].key, key)) {
            e = &set[way];
            break;
        }
    }
    if (!e) {
        if (set[0].flow && !set[0].flow->dead) {
            /* Newest first: way 0 moves to way 1, whose entry (the oldest,
             * or an empty or stale one) goes. */
            emc_entry_clear(emc, &set[1]);
            set[1] = set[0];
            set[0].flow = NULL;
        }
        e = &set[0];
    }
    ft_dpcls_flow_ref(flow);
    emc_entry_clear(emc, e);
    e->flow = flow;
    emc->n_used++;
    e->hash = hash;
    e->nonzero = emc_nonzero_words(key);
    e->key = *key;
}

struct ft_dpcls_flow *
ft_emc_lookup_cls(struct ft_emc *emc, struct ft_dpcls *cls,
                  const struct ft_flow *key)
{
    uint32_t hash = ft_emc_hash(key);
    struct ft_dpcls_flow *flow = ft_emc_lookup(emc, key, hash);

    if (!flow) {
        flow = ft_dpcls_lookup(cls, key);
        if (flow) {
            ft_emc_insert(emc, key, hash, flow);
        }
    }
    return flow;
}

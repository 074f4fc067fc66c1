/*
 * mac-learning.c - the MAC learning table behind the NORMAL action.
 *
 * Part of the management plane; used by NORMAL (mgmt/ofproto/normal.c) and by the
 * daemon's fdb commands.  Touches nothing but its own table.
 *
 * Design
 * ======
 *
 * Every entry sits in two structures at once:
 *
 *   - a chained hash table keyed by (VLAN, MAC), for O(1) learn and lookup;
 *   - a doubly linked LRU list, least recently learned (or refreshed) at
 *     the head.
 *
 * All entries share one idle time, so the LRU order is also the order in
 * which entries age out: expiry pops from the head until it meets a live
 * entry, and eviction of "the least recently learned entry" is the head.
 * Each step does O(1) work per entry it removes.
 *
 * An entry's age counts from the last time its MAC was seen as a source
 * (not from lookups), as in Open vSwitch.  An entry is aged out at 'now'
 * when now - used > idle_time: lookups ignore aged-out entries even before
 * ft_mac_learning_expire() removes them, and learning a MAC whose entry has
 * aged out counts as an expiry followed by a new entry.
 *
 * Differences from Open vSwitch's lib/mac-learning.c, on purpose:
 *
 *   - A full table evicts the globally least recently learned entry (OVS
 *     3.x evicts from the port holding the most entries).
 *   - Refreshing an entry moves it to the LRU tail on every learn (OVS
 *     refreshes at most once a second).
 *   - No gratuitous-ARP lock and no per-VLAN learning flood bitmap: FlowTier
 *     has no bonds, which is what those serve.
 *
 * As in OVS, the idle time is clamped to 15..3600 seconds (0 means the
 * default of 300) and a maximum of 0 entries means the default.
 *
 * Not thread-safe: one table belongs to one bridge and is used from the
 * daemon's main loop.
 */
#include "mgmt/ofproto/mac-learning.h"

#include <stdlib.h>
#include <string.h>

#define ML_MIN_IDLE_TIME 15             /* Seconds, as in OVS. */
#define ML_MAX_IDLE_TIME 3600           /* Seconds, as in OVS. */
#define ML_INITIAL_BUCKETS 64           /* Power of 2. */

struct ml_entry {
    struct ml_entry *hash_next;         /* Next in the same bucket. */
    struct ml_entry *lru_prev;          /* Towards the most recent. */
    struct ml_entry *lru_next;          /* Towards the oldest. */
    struct ft_eth_addr mac;
    uint16_t vlan;
    ft_port_no port;
    long long int used;                 /* ms: last learned or refreshed. */
    uint32_t hash;
};

struct ft_mac_learning {
    struct ml_entry **buckets;
    size_t n_buckets;                   /* Power of 2. */
    size_t count;

    /* LRU list sentinel: 'lru.lru_prev' is the oldest entry, 'lru.lru_next'
     * the newest; an empty list points at itself. */
    struct ml_entry lru;

    size_t max_entries;
    long long int idle_ms;
    struct ft_mac_learning_stats stats;
};

static size_t
ml_normalize_max(size_t max_entries)
{
    return max_entries ? max_entries : FT_MAC_DEFAULT_MAX;
}

static unsigned int
ml_normalize_idle(unsigned int idle_time_s)
{
    if (!idle_time_s) {
        return FT_MAC_DEFAULT_IDLE_TIME;
    }
    return (idle_time_s < ML_MIN_IDLE_TIME ? ML_MIN_IDLE_TIME
            : idle_time_s > ML_MAX_IDLE_TIME ? ML_MAX_IDLE_TIME
            : idle_time_s);
}

static uint32_t
ml_hash(struct ft_eth_addr mac, uint16_t vlan)
{
    const uint8_t *e = mac.ea;
    uint32_t hash = 0;

    hash = ft_hash_add(hash, ((uint32_t) e[0] << 24) | ((uint32_t) e[1] << 16)
                             | ((uint32_t) e[2] << 8) | e[3]);
    hash = ft_hash_add(hash, ((uint32_t) e[4] << 24) | ((uint32_t) e[5] << 16)
                             | vlan);
    return ft_hash_finish(hash, 8);
}

static bool
ml_is_aged(const struct ft_mac_learning *ml, const struct ml_entry *e,
           long long int now)
{
    return now - e->used > ml->idle_ms;
}

/* LRU list.  The head ('lru.lru_prev') is the oldest entry. */

static void
lru_remove(struct ml_entry *e)
{
    e->lru_prev->lru_next = e->lru_next;
    e->lru_next->lru_prev = e->lru_prev;
}

/* Inserts 'e' as the most recently learned entry. */
static void
lru_push_newest(struct ft_mac_learning *ml, struct ml_entry *e)
{
    struct ml_entry *head = &ml->lru;

    e->lru_prev = head;
    e->lru_next = head->lru_next;
    head->lru_next->lru_prev = e;
    head->lru_next = e;
}

static struct ml_entry *
lru_oldest(const struct ft_mac_learning *ml)
{
    struct ml_entry *e = ml->lru.lru_prev;

    return e == &ml->lru ? NULL : e;
}

/* Hash table. */

static struct ml_entry *
ml_find(const struct ft_mac_learning *ml, struct ft_eth_addr mac,
        uint16_t vlan, uint32_t hash)
{
    struct ml_entry *e;

    for (e = ml->buckets[hash & (ml->n_buckets - 1)]; e; e = e->hash_next) {
        if (e->hash == hash && e->vlan == vlan
            && ft_eth_addr_equal(e->mac, mac)) {
            return e;
        }
    }
    return NULL;
}

/* Doubles the bucket array.  On allocation failure keeps the old one: the
 * table still works, with longer chains. */
static void
ml_grow(struct ft_mac_learning *ml)
{
    size_t n = ml->n_buckets * 2;
    struct ml_entry **buckets = calloc(n, sizeof *buckets);

    if (!buckets) {
        return;
    }
    for (size_t i = 0; i < ml->n_buckets; i++) {
        struct ml_entry *e, *next;

        for (e = ml->buckets[i]; e; e = next) {
            struct ml_entry **b = &buckets[e->hash & (n - 1)];

            next = e->hash_next;
            e->hash_next = *b;
            *b = e;
        }
    }
    free(ml->buckets);
    ml->buckets = buckets;
    ml->n_buckets = n;
}

static void
ml_hash_remove(struct ft_mac_learning *ml, struct ml_entry *e)
{
    struct ml_entry **p = &ml->buckets[e->hash & (ml->n_buckets - 1)];

    while (*p != e) {
        p = &(*p)->hash_next;
    }
    *p = e->hash_next;
}

/* Unlinks 'e' from both structures and frees it. */
static void
ml_remove(struct ft_mac_learning *ml, struct ml_entry *e)
{
    ml_hash_remove(ml, e);
    lru_remove(e);
    ml->count--;
    free(e);
}

/* Removes aged-out entries from the LRU head; returns how many. */
static size_t
ml_expire_aged(struct ft_mac_learning *ml, long long int now)
{
    struct ml_entry *e;
    size_t n = 0;

    while ((e = lru_oldest(ml)) && ml_is_aged(ml, e, now)) {
        ml_remove(ml, e);
        n++;
    }
    ml->stats.n_expired += n;
    return n;
}

/* Evicts the oldest entries until at most 'limit' remain. */
static void
ml_evict_to(struct ft_mac_learning *ml, size_t limit)
{
    struct ml_entry *e;

    while (ml->count > limit && (e = lru_oldest(ml))) {
        ml_remove(ml, e);
        ml->stats.n_evicted++;
    }
}

struct ft_mac_learning *
ft_mac_learning_create(size_t max_entries, unsigned int idle_time_s)
{
    struct ft_mac_learning *ml = calloc(1, sizeof *ml);

    if (!ml) {
        return NULL;
    }
    ml->buckets = calloc(ML_INITIAL_BUCKETS, sizeof *ml->buckets);
    if (!ml->buckets) {
        free(ml);
        return NULL;
    }
    ml->n_buckets = ML_INITIAL_BUCKETS;
    ml->lru.lru_prev = ml->lru.lru_next = &ml->lru;
    ml->max_entries = ml_normalize_max(max_entries);
    ml->idle_ms = ml_normalize_idle(idle_time_s) * 1000LL;
    return ml;
}

void
ft_mac_learning_destroy(struct ft_mac_learning *ml)
{
    if (!ml) {
        return;
    }
    ft_mac_learning_flush(ml, FT_PORT_NONE);
    free(ml->buckets);
    free(ml);
}

bool
ft_mac_learning_learn(struct ft_mac_learning *ml, struct ft_eth_addr mac,
                      uint16_t vlan, ft_port_no port, long long int now)
{
    uint32_t hash;
    struct ml_entry *e;

    if (ft_eth_addr_is_multicast(mac)) {
        return false;
    }

    hash = ml_hash(mac, vlan);
    e = ml_find(ml, mac, vlan, hash);
    if (e && ml_is_aged(ml, e, now)) {
        ml_remove(ml, e);
        ml->stats.n_expired++;
        e = NULL;
    }

    if (e) {
        bool moved = e->port != port;

        if (moved) {
            e->port = port;
            ml->stats.n_moved++;
        }
        e->used = now;
        lru_remove(e);
        lru_push_newest(ml, e);
        return moved;
    }

    /* New entry: make room, aged-out entries first. */
    ml_expire_aged(ml, now);
    if (ml->count >= ml->max_entries) {
        ml_evict_to(ml, ml->max_entries - 1);
    }

    e = malloc(sizeof *e);
    if (!e) {
        return false;
    }
    e->mac = mac;
    e->vlan = vlan;
    e->port = port;
    e->used = now;
    e->hash = hash;
    if (ml->count >= ml->n_buckets) {
        ml_grow(ml);
    }
    e->hash_next = ml->buckets[hash & (ml->n_buckets - 1)];
    ml->buckets[hash & (ml->n_buckets - 1)] = e;
    lru_push_newest(ml, e);
    ml->count++;
    ml->stats.n_learned++;
    return true;
}

ft_port_no
ft_mac_learning_lookup(const struct ft_mac_learning *ml,
                       struct ft_eth_addr mac, uint16_t vlan,
                       long long int now)
{
    const struct ml_entry *e;

    if (ft_eth_addr_is_multicast(mac)) {
        return FT_PORT_NONE;
    }
    e = ml_find(ml, mac, vlan, ml_hash(mac, vlan));
    return e && !ml_is_aged(ml, e, now) ? e->port : FT_PORT_NONE;
}

size_t
ft_mac_learning_expire(struct ft_mac_learning *ml, long long int now)
{
    return ml_expire_aged(ml, now);
}

void
ft_mac_learning_flush(struct ft_mac_learning *ml, ft_port_no port)
{
    struct ml_entry *e = ml->lru.lru_next;

    while (e != &ml->lru) {
        struct ml_entry *next = e->lru_next;

        if (port == FT_PORT_NONE || e->port == port) {
            ml_remove(ml, e);
        }
        e = next;
    }
}

size_t
ft_mac_learning_count(const struct ft_mac_learning *ml)
{
    return ml->count;
}

/* Lowers or raises the limit; when lowered below the current count, the
 * oldest entries are evicted at once (counted in 'n_evicted'). */
void
ft_mac_learning_set_max(struct ft_mac_learning *ml, size_t max_entries)
{
    ml->max_entries = ml_normalize_max(max_entries);
    ml_evict_to(ml, ml->max_entries);
}

/* Takes effect for every entry at once: ages are kept, the limit they are
 * compared with changes. */
void
ft_mac_learning_set_idle_time(struct ft_mac_learning *ml,
                              unsigned int idle_time_s)
{
    ml->idle_ms = ml_normalize_idle(idle_time_s) * 1000LL;
}

void
ft_mac_learning_get_stats(const struct ft_mac_learning *ml,
                          struct ft_mac_learning_stats *stats)
{
    *stats = ml->stats;
}

/* Visits live entries from the most to the least recently learned.  'cb'
 * must not modify the table. */
void
ft_mac_learning_dump(const struct ft_mac_learning *ml, long long int now,
                     void (*cb)(struct ft_eth_addr mac, uint16_t vlan,
                                ft_port_no port, unsigned int age,
                                void *aux),
                     void *aux)
{
    const struct ml_entry *e;

    for (e = ml->lru.lru_next; e != &ml->lru; e = e->lru_next) {
        long long int age_ms = now - e->used;

        if (ml_is_aged(ml, e, now)) {
            continue;
        }
        cb(e->mac, e->vlan, e->port,
           age_ms > 0 ? (unsigned int) (age_ms / 1000) : 0, aux);
    }
}

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
 * The entries live in one array, the first 'count' of its slots, linked
 * by index; removing an entry moves the last one into its slot (patching
 * the two links and the bucket link that point at it).  A flood of new
 * source MACs fills the table while thousands of other short-lived
 * objects are allocated: entries malloc'd one by one would sit scattered
 * among them, and once those are freed each entry would keep a page of
 * the heap from going back to the system (with the table full, 8,192
 * entries of 64 bytes held 11 MB after a flood had expired).  The entry
 * array and the bucket array double when full and halve once less than a
 * quarter is used, so a table near a threshold does not resize back and
 * forth; a halving copies at most a quarter of the entry array and
 * rehashes at most the entries left, once per that many removals.
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
#define ML_MIN_ENTRIES 64               /* Slots of the smallest array. */
#define ML_NONE UINT32_MAX              /* No entry (end of a list). */

struct ml_entry {
    uint32_t hash_next;                 /* Next in the same bucket. */
    uint32_t lru_prev;                  /* Towards the most recent. */
    uint32_t lru_next;                  /* Towards the oldest. */
    uint32_t hash;
    struct ft_eth_addr mac;
    uint16_t vlan;
    ft_port_no port;
    long long int used;                 /* ms: last learned or refreshed. */
};

struct ft_mac_learning {
    struct ml_entry *entries;           /* 'count' used of 'allocated'. */
    size_t allocated;
    size_t count;
    uint32_t *buckets;                  /* Each chain's first entry. */
    size_t n_buckets;                   /* Power of 2. */

    /* LRU list ends: the newest and oldest entries, ML_NONE if empty. */
    uint32_t newest;
    uint32_t oldest;

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

/* LRU list, by index.  'oldest' is the head, 'newest' the tail. */

static void
lru_remove(struct ft_mac_learning *ml, uint32_t i)
{
    struct ml_entry *e = &ml->entries[i];

    if (e->lru_prev != ML_NONE) {
        ml->entries[e->lru_prev].lru_next = e->lru_next;
    } else {
        ml->newest = e->lru_next;
    }
    if (e->lru_next != ML_NONE) {
        ml->entries[e->lru_next].lru_prev = e->lru_prev;
    } else {
        ml->oldest = e->lru_prev;
    }
}

/* Inserts entry 'i' as the most recently learned entry. */
static void
lru_push_newest(struct ft_mac_learning *ml, uint32_t i)
{
    struct ml_entry *e = &ml->entries[i];

    e->lru_prev = ML_NONE;
    e->lru_next = ml->newest;
    if (ml->newest != ML_NONE) {
        ml->entries[ml->newest].lru_prev = i;
    } else {
        ml->oldest = i;
    }
    ml->newest = i;
}

/* Hash table. */

static uint32_t *
ml_bucket(const struct ft_mac_learning *ml, uint32_t hash)
{
    return &ml->buckets[hash & (ml->n_buckets - 1)];
}

static struct ml_entry *
ml_find(const struct ft_mac_learning *ml, struct ft_eth_addr mac,
        uint16_t vlan, uint32_t hash)
{
    for (uint32_t i = *ml_bucket(ml, hash); i != ML_NONE;
         i = ml->entries[i].hash_next) {
        struct ml_entry *e = &ml->entries[i];

        if (e->hash == hash && e->vlan == vlan
            && ft_eth_addr_equal(e->mac, mac)) {
            return e;
        }
    }
    return NULL;
}

/* Puts every entry into a bucket array of 'n' (a power of 2) buckets.  On
 * allocation failure keeps the old one: the table still works, with longer
 * or emptier chains.  Costs O(n + count). */
static void
ml_rehash(struct ft_mac_learning *ml, size_t n)
{
    uint32_t *buckets = malloc(n * sizeof *buckets);

    if (!buckets) {
        return;
    }
    for (size_t b = 0; b < n; b++) {
        buckets[b] = ML_NONE;
    }
    for (size_t i = 0; i < ml->count; i++) {
        struct ml_entry *e = &ml->entries[i];
        uint32_t *b = &buckets[e->hash & (n - 1)];

        e->hash_next = *b;
        *b = (uint32_t) i;
    }
    free(ml->buckets);
    ml->buckets = buckets;
    ml->n_buckets = n;
}

/* Resizes the entry array to 'n' slots (at least 'count').  Returns false
 * if it could not grow; a failed shrink keeps the larger array. */
static bool
ml_resize_entries(struct ft_mac_learning *ml, size_t n)
{
    struct ml_entry *entries = realloc(ml->entries, n * sizeof *entries);

    if (!entries) {
        return n < ml->allocated;
    }
    ml->entries = entries;
    ml->allocated = n;
    return true;
}

/* The link that points at entry 'i' in its bucket's chain. */
static uint32_t *
ml_hash_link(struct ft_mac_learning *ml, uint32_t i)
{
    uint32_t *p = ml_bucket(ml, ml->entries[i].hash);

    while (*p != i) {
        p = &ml->entries[*p].hash_next;
    }
    return p;
}

/* Moves entry 'from' into the free slot 'to', patching what points at
 * it. */
static void
ml_move(struct ft_mac_learning *ml, uint32_t from, uint32_t to)
{
    struct ml_entry *e;

    *ml_hash_link(ml, from) = to;
    ml->entries[to] = ml->entries[from];
    e = &ml->entries[to];
    if (e->lru_prev != ML_NONE) {
        ml->entries[e->lru_prev].lru_next = to;
    } else {
        ml->newest = to;
    }
    if (e->lru_next != ML_NONE) {
        ml->entries[e->lru_next].lru_prev = to;
    } else {
        ml->oldest = to;
    }
}

/* Halves the arrays once less than a quarter of them is used. */
static void
ml_shrink(struct ft_mac_learning *ml)
{
    if (ml->allocated > ML_MIN_ENTRIES && 4 * ml->count < ml->allocated) {
        ml_resize_entries(ml, ml->allocated / 2);
    }
    if (ml->n_buckets > ML_INITIAL_BUCKETS
        && 4 * ml->count < ml->n_buckets) {
        ml_rehash(ml, ml->n_buckets / 2);
    }
}

/* Unlinks entry 'i' from both structures and frees its slot (the last
 * entry moves there). */
static void
ml_remove(struct ft_mac_learning *ml, uint32_t i)
{
    uint32_t last = (uint32_t) ml->count - 1;

    *ml_hash_link(ml, i) = ml->entries[i].hash_next;
    lru_remove(ml, i);
    if (i != last) {
        ml_move(ml, last, i);
    }
    ml->count--;
    ml_shrink(ml);
}

static uint32_t
ml_index(const struct ft_mac_learning *ml, const struct ml_entry *e)
{
    return (uint32_t) (e - ml->entries);
}

/* Removes aged-out entries from the LRU head; returns how many. */
static size_t
ml_expire_aged(struct ft_mac_learning *ml, long long int now)
{
    size_t n = 0;

    while (ml->oldest != ML_NONE
           && ml_is_aged(ml, &ml->entries[ml->oldest], now)) {
        ml_remove(ml, ml->oldest);
        n++;
    }
    ml->stats.n_expired += n;
    return n;
}

/* Evicts the oldest entries until at most 'limit' remain. */
static void
ml_evict_to(struct ft_mac_learning *ml, size_t limit)
{
    while (ml->count > limit && ml->oldest != ML_NONE) {
        ml_remove(ml, ml->oldest);
        ml->stats.n_evicted++;
    }
}

/* Adds a new entry, the newest; returns false on allocation failure. */
static bool
ml_insert(struct ft_mac_learning *ml, struct ft_eth_addr mac, uint16_t vlan,
          ft_port_no port, long long int now, uint32_t hash)
{
    uint32_t i = (uint32_t) ml->count;
    struct ml_entry *e;
    uint32_t *b;

    if (ml->count >= ml->allocated
        && !ml_resize_entries(ml, 2 * ml->allocated)) {
        return false;
    }
    if (ml->count >= ml->n_buckets) {
        ml_rehash(ml, 2 * ml->n_buckets);
    }
    e = &ml->entries[i];
    e->mac = mac;
    e->vlan = vlan;
    e->port = port;
    e->used = now;
    e->hash = hash;
    b = ml_bucket(ml, hash);
    e->hash_next = *b;
    *b = i;
    ml->count++;
    lru_push_newest(ml, i);
    return true;
}

struct ft_mac_learning *
ft_mac_learning_create(size_t max_entries, unsigned int idle_time_s)
{
    struct ft_mac_learning *ml = calloc(1, sizeof *ml);

    if (!ml) {
        return NULL;
    }
    ml->entries = malloc(ML_MIN_ENTRIES * sizeof *ml->entries);
    ml->buckets = malloc(ML_INITIAL_BUCKETS * sizeof *ml->buckets);
    if (!ml->entries || !ml->buckets) {
        free(ml->entries);
        free(ml->buckets);
        free(ml);
        return NULL;
    }
    ml->allocated = ML_MIN_ENTRIES;
    ml->n_buckets = ML_INITIAL_BUCKETS;
    for (size_t b = 0; b < ml->n_buckets; b++) {
        ml->buckets[b] = ML_NONE;
    }
    ml->newest = ml->oldest = ML_NONE;
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
    free(ml->entries);
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
        ml_remove(ml, ml_index(ml, e));
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
        lru_remove(ml, ml_index(ml, e));
        lru_push_newest(ml, ml_index(ml, e));
        return moved;
    }

    /* New entry: make room, aged-out entries first. */
    ml_expire_aged(ml, now);
    if (ml->count >= ml->max_entries) {
        ml_evict_to(ml, ml->max_entries - 1);
    }
    if (!ml_insert(ml, mac, vlan, port, now, hash)) {
        return false;
    }
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
    /* From the last slot down: a removal moves the last entry, already
     * visited, into the freed slot. */
    for (size_t i = ml->count; i-- > 0;) {
        if (port == FT_PORT_NONE || ml->entries[i].port == port) {
            ml_remove(ml, (uint32_t) i);
        }
    }
}

size_t
ft_mac_learning_count(const struct ft_mac_learning *ml)
{
    return ml->count;
}

size_t
ft_mac_learning_capacity(const struct ft_mac_learning *ml)
{
    return ml->allocated;
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
    for (uint32_t i = ml->newest; i != ML_NONE;
         i = ml->entries[i].lru_next) {
        const struct ml_entry *e = &ml->entries[i];
        long long int age_ms = now - e->used;

        if (ml_is_aged(ml, e, now)) {
            continue;
        }
        cb(e->mac, e->vlan, e->port,
           age_ms > 0 ? (unsigned int) (age_ms / 1000) : 0, aux);
    }
}

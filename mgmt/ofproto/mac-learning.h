/*
 * mac-learning.h - the MAC learning table behind the NORMAL action.
 *
 * Maps (VLAN, MAC) to the port where that MAC was last seen as a source.
 * Entries age out after 'idle_time' seconds without being relearned
 * (default 300, as in OVS); a MAC seen on a new port moves there; when the
 * table holds 'max_entries' entries, learning a new one evicts the least
 * recently learned entry.  Times are milliseconds on a monotonic clock
 * supplied by the caller, so tests control time.
 *
 * Not thread-safe; owned by one bridge.
 */
#ifndef FLOWTIER_MGMT_MAC_LEARNING_H
#define FLOWTIER_MGMT_MAC_LEARNING_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/flow.h"
#include "flowtier/port.h"

#define FT_MAC_DEFAULT_IDLE_TIME 300     /* Seconds. */
#define FT_MAC_DEFAULT_MAX 8192          /* Entries. */

struct ft_mac_learning;

struct ft_mac_learning_stats {
    uint64_t n_learned;         /* New entries. */
    uint64_t n_moved;           /* Entries that changed port. */
    uint64_t n_expired;         /* Entries aged out. */
    uint64_t n_evicted;         /* Entries evicted because the table was
                                 * full. */
};

/* Returns a new empty table, or NULL on allocation failure. */
struct ft_mac_learning *ft_mac_learning_create(size_t max_entries,
                                               unsigned int idle_time_s);
void ft_mac_learning_destroy(struct ft_mac_learning *);  /* NULL ok. */

/* Records that 'mac' was seen as a source on 'port' in 'vlan' at 'now'.
 * Returns true if the table changed (new entry or port move), false if it
 * only refreshed the entry's age.  Multicast sources are never learned
 * (returns false). */
bool ft_mac_learning_learn(struct ft_mac_learning *, struct ft_eth_addr mac,
                           uint16_t vlan, ft_port_no port, long long int now);

/* Returns the port for ('mac', 'vlan'), or FT_PORT_NONE if unknown or aged
 * out at 'now'. */
ft_port_no ft_mac_learning_lookup(const struct ft_mac_learning *,
                                  struct ft_eth_addr mac, uint16_t vlan,
                                  long long int now);

/* Removes entries idle since before now - idle_time; returns how many. */
size_t ft_mac_learning_expire(struct ft_mac_learning *, long long int now);

/* Removes every entry on 'port' (port deleted), or all if FT_PORT_NONE. */
void ft_mac_learning_flush(struct ft_mac_learning *, ft_port_no port);

size_t ft_mac_learning_count(const struct ft_mac_learning *);

/* The number of entries the table holds without allocating: it doubles
 * as the table fills and halves once less than a quarter of it is used,
 * so that a table a flood filled gives its memory back as it empties. */
size_t ft_mac_learning_capacity(const struct ft_mac_learning *);
void ft_mac_learning_set_max(struct ft_mac_learning *, size_t max_entries);
void ft_mac_learning_set_idle_time(struct ft_mac_learning *,
                                   unsigned int idle_time_s);
void ft_mac_learning_get_stats(const struct ft_mac_learning *,
                               struct ft_mac_learning_stats *);

/* Calls 'cb' for each live entry (for 'fdb/show'-style output), in no
 * particular order; 'age' is in seconds. */
void ft_mac_learning_dump(const struct ft_mac_learning *, long long int now,
                          void (*cb)(struct ft_eth_addr mac, uint16_t vlan,
                                     ft_port_no port, unsigned int age,
                                     void *aux),
                          void *aux);

#endif /* mgmt/ofproto/mac-learning.h */

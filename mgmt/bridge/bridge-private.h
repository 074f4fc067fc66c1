/*
 * bridge-private.h - the inside of a running bridge, shared by bridge.c
 * (configuration, ports, dumps, event loop), bridge-flows.c (flow table
 * changes) and bridge-revalidator.c (upcalls, ukeys, revalidator).
 *
 * Not for use outside those files: everything else goes through
 * mgmt/bridge/bridge.h.
 */
#ifndef FLOWTIER_MGMT_BRIDGE_PRIVATE_H
#define FLOWTIER_MGMT_BRIDGE_PRIVATE_H 1

#include <stddef.h>
#include <stdint.h>

#include "mgmt/bridge/bridge.h"
#include "mgmt/daemon/log.h"
#include "swpath/dpif.h"

#define CONST_CAST(TYPE, POINTER) ((TYPE) (uintptr_t) (POINTER))

/* Words of a 4096-bit VLAN bitmap. */
#define BRIDGE_VLAN_WORDS (4096 / 64)

/* A port of the bridge, as configured and opened. */
struct bridge_port {
    char *name;
    ft_port_no ofport;
    char *type;                     /* "system", "internal", "tap", ... */
    struct ft_netdev_option *opts;  /* Owned keys and values. */
    size_t n_opts;
    enum ft_vlan_mode vlan_mode;
    int tag;
    uint64_t *trunks;               /* BRIDGE_VLAN_WORDS, or NULL: all. */
    char *error;                    /* Why it is not open, or NULL if it
                                     * is open in the datapath. */
};

/* What the bridge remembers about one megaflow in the datapath (the
 * datapath's cookie for it).  Reference-counted: the datapath holds one
 * reference until it releases the cookie; the revalidator takes one while
 * it works on a megaflow that may be deleted under it. */
struct bridge_ukey {
    struct ft_flow key;             /* The key of the packet that made it. */
    struct ft_match match;          /* The megaflow, as installed. */
    struct ft_ofrule **rules;       /* Referenced. */
    size_t n_rules;
    uint64_t version;               /* Tables' version at translation. */
    uint64_t mac_gen;               /* MAC table generation then. */
    uint64_t port_gen;              /* Port configuration generation. */
    bool uses_normal;
    bool xlate_error;               /* Translation failed: drop flow. */
    long long int created;          /* ms. */
    struct ft_stats credited;       /* Datapath stats already credited. */
    enum ft_tier tier;              /* Where the megaflow lives. */
    char *reasons[FT_N_TIERS];      /* Why not in each faster tier, or
                                     * NULL (owned). */
    unsigned int ref_cnt;
};

struct ft_bridge {
    char *name;
    struct ft_dpif *dpif;
    struct ft_oftables tables;
    struct ft_mac_learning *ml;

    /* Configuration. */
    char *fail_mode;
    long long int max_idle;         /* ms. */
    uint32_t flow_limit;
    size_t mac_table_size;
    unsigned int mac_aging;         /* s. */

    /* Ports, sorted by number, and what translation sees of them. */
    struct bridge_port *ports;
    size_t n_ports;
    struct ft_xport *xports;        /* The open ports only. */
    size_t n_xports;
    struct ft_port_map port_map;    /* Every port, open or not. */
    char *dpdk_extra;               /* other_config:dpdk-extra, or NULL. */
    uint64_t port_gen;              /* Bumped on every port change. */

    /* Upcalls and revalidation. */
    long long int now;              /* Time of the current run(). */
    long long int last_revalidate;  /* ms of the last pass. */
    struct ft_dpif_walk *reval_walk;    /* The periodic pass in progress
                                         * (run in slices), or NULL. */
    long long int reval_last_step;  /* ms of its last slice. */
    uint64_t reval_start_usec;      /* When it started. */
    uint64_t reval_flows;           /* Megaflows it walked so far... */
    uint64_t reval_stale;           /* ...and translated again. */
    bool revalidate_asap;           /* Tables or ports changed. */
    uint64_t mac_flushes;           /* Part of the MAC generation. */
    uint64_t last_mac_gen;          /* MAC generation at the last pass. */
    bool have_timeouts;             /* Some rule may have a timeout. */
    struct ft_bridge_flow_changes expired;  /* Not yet taken. */
    struct ft_bridge_stats stats;   /* The bridge's own counters. */

    /* Warnings. */
    struct ft_log *log;             /* NULL: stderr. */
    struct ft_ratelimit xlate_rl;   /* Translation errors. */
    struct ft_ratelimit port_rl;    /* Ports going down or coming up. */
};

/* The OpenFlow rule that embeds 'cr'. */
static inline struct ft_ofrule *
ft_bridge_ofrule_from_cls(const struct ft_cls_rule *cr)
{
    return (struct ft_ofrule *) ((char *) CONST_CAST(struct ft_cls_rule *, cr)
                                 - offsetof(struct ft_ofrule, cr));
}

/* The translation view of 'br' (valid until its ports change). */
void ft_bridge_xbridge(const struct ft_bridge *, struct ft_xbridge *);

/* The MAC table's generation: changes whenever an entry is added, moved,
 * removed or flushed. */
uint64_t ft_bridge_mac_gen(const struct ft_bridge *);

/* Writes a warning about 'br' to its log (or stderr), rate limited by
 * 'rl' if nonnull. */
void ft_bridge_warn(struct ft_bridge *br, struct ft_ratelimit *rl,
                    const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Upcall, revalidator and ukey functions (bridge-revalidator.c). */
void ft_bridge_upcall_register(struct ft_bridge *);
/* A whole revalidator pass at once (dropping a pass in progress: this one
 * covers every megaflow). */
void ft_bridge_revalidator_run(struct ft_bridge *, long long int now);
/* Starts a pass if none is in progress, then revalidates up to 'max' more
 * megaflows of it; returns true when the pass is complete. */
bool ft_bridge_revalidator_step(struct ft_bridge *, long long int now,
                                size_t max);
/* Drops the pass in progress, if any. */
void ft_bridge_revalidator_abort(struct ft_bridge *);
void ft_bridge_expire_rules(struct ft_bridge *, long long int now);

#endif /* mgmt/bridge/bridge-private.h */

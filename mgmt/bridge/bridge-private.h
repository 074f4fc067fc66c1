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
#include "mgmt/bridge/megaflow.h"
#include "mgmt/daemon/log.h"
#include "offload/offload.h"
#include "swpath/dpif.h"
#include "swpath/netdev-closer.h"
#include "swpath/netdev-opener.h"
#include "swpath/tnl-config.h"

struct ft_tnl_route;

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
    struct ft_netdev_opener *opener;    /* Its device is opening in a
                                         * thread (bridge-opening.c); then
                                         * 'error' says so... */
    uint64_t open_id;                   /* ...in this open of the
                                         * bridge's. */
    char *degraded;                 /* Open, but in a lesser way than
                                     * configured (an afxdp port on
                                     * AF_PACKET): why; else NULL. */
    bool is_tnl;                    /* Type "vxlan", options in 'tnl'. */
    struct ft_tnl_config tnl;

    /* Placement policy of megaflows that come in on it (Interface
     * other_config), overriding the bridge's. */
    int hw_offload;                 /* 0, 1, or -1: the bridge's. */
    enum ft_tier tier_order[FT_N_TIERS];
    size_t n_tier_order;            /* 0: the bridge's. */
    int tc_policy;                  /* enum bridge_tc_policy, or -1: the
                                     * bridge's. */

    /* Device notifications for its name (bridge-link.c). */
    bool link_seen;                 /* In the batch being read... */
    bool link_deleted;              /* ...the last one a deletion... */
    int link_ifindex;               /* ...of this device... */
    unsigned int link_flags;        /* ...with these flags. */
    long long int link_fail_at;     /* Last open a notification started
                                     * that failed (ms), or 0... */
    int link_fail_ifindex;          /* ...the device its name named then
                                     * (0: none)... */
    unsigned int link_fail_flags;   /* ...the notification's flags. */
};

/* other_config:tc-policy (Open vSwitch's words): where TC rules go. */
enum bridge_tc_policy {
    BRIDGE_TC_SKIP_SW,              /* The NIC only (the hw tier). */
    BRIDGE_TC_SKIP_HW,              /* The kernel only (the kernel tier,
                                     * misses through the slow path). */
    BRIDGE_TC_NONE,                 /* Neither skip flag: the kernel puts
                                     * each rule in the NIC or keeps it in
                                     * software (the hw tier's provider,
                                     * misses through the slow path). */
};

/* An offload provider attached to the bridge, the open ports it refused
 * to serve when probed, and what its probe said of those it serves. */
struct bridge_offload {
    struct ft_offload *offload;     /* Owned. */
    struct bridge_offload_refusal {
        ft_port_no port_no;
        char *reason;               /* Owned. */
        int tc_policy;              /* The port's when it was probed. */
    } *refused;
    size_t n_refused;
    struct bridge_offload_served {
        ft_port_no port_no;
        struct ft_offload_caps caps;
        int tc_policy;              /* The port's when it was probed. */
    } *served;
    size_t n_served;
    char *given_up_logged;          /* The provider's last reason for a
                                     * removal given up, as logged (owned;
                                     * NULL: none yet). */
};

/* The underlay toward tunnel remotes, as the bridge told it to its
 * offload providers (bridge-underlay.c). */
struct bridge_underlay {
    struct ft_tnl_route *route;     /* Created on the first question. */
    uint64_t changes_seen;          /* Its notifications already followed. */
    uint64_t gen;                   /* Bumped when an answer changes. */
    struct bridge_remote {
        uint32_t dst;               /* A remote a provider asked about. */
        struct ft_offload_underlay told;    /* The last answer. */
        uint64_t changed_gen;       /* 'gen' when 'told' last changed. */
    } *remotes;
    size_t n_remotes;
};

struct ft_bridge {
    char *name;
    struct ft_dpif *dpif;
    struct ft_oftables tables;
    struct ft_mac_learning *ml;

    /* Packets for the controller (bridge-packet.c). */
    ft_bridge_packet_in_cb *packet_in_cb;
    void *packet_in_aux;
    ft_bridge_flow_removed_cb *flow_removed_cb;
    void *flow_removed_aux;
    bool expiring;                  /* Deletes are timeouts (expiry). */
    bool miss_to_controller;        /* ft_bridge_set_miss_to_controller(). */

    bool fail_open;                 /* ft_bridge_set_fail_open(). */

    /* Configuration. */
    char *fail_mode;
    long long int max_idle;         /* ms. */
    uint32_t flow_limit;
    size_t mac_table_size;
    unsigned int mac_aging;         /* s. */
    int pmd_cpus[FT_DPIF_PMD_MAX];  /* Forwarding threads' CPUs. */
    size_t n_pmd_cpus;              /* 0: forwarding in the daemon. */

    /* Ports, sorted by number, and what translation sees of them. */
    struct bridge_port *ports;
    size_t n_ports;
    struct ft_xport *xports;        /* The open ports only. */
    size_t n_xports;
    struct ft_port_map port_map;    /* Every port, open or not. */
    char *dpdk_extra;               /* other_config:dpdk-extra, or NULL. */
    uint64_t port_gen;              /* Bumped on every port change. */
    long long int open_check_at;    /* Next look at the ports that are
                                     * opening or closing (ms). */
    uint64_t n_opens;               /* Opens in a thread started. */
    struct ft_bridge_releases *releases;    /* Devices of removed ports
                                             * being released in threads,
                                             * maybe other bridges' too
                                             * (bridge-opening.c)... */
    bool own_releases;              /* ...and whether 'releases' is ours. */

    /* Megaflows and the tiers that hold them (bridge/megaflow.h). */
    struct bridge_megaflows megaflows;
    struct bridge_offload *offloads;
    size_t n_offloads;
    bool hw_offload;                /* other_config:hw-offload. */
    bool port_policies;             /* Some port overrides the two. */
    enum ft_tier tier_order[FT_N_TIERS];    /* other_config:tier-order. */
    size_t n_tier_order;
    int tc_policy;                  /* other_config:tc-policy. */
    uint64_t room_gen;              /* Bumped when a megaflow leaves an
                                     * offload provider. */
    struct bridge_underlay underlay;

    /* Upcalls and revalidation. */
    long long int now;              /* Time of the current run(). */
    long long int last_revalidate;  /* ms of the last pass. */
    bool reval_stats_read;          /* This pass read every counter at
                                     * its start (several slices). */
    bool reval_active;              /* A periodic pass is in progress
                                     * (run in slices; its place is the
                                     * megaflow table's walk). */
    long long int reval_last_step;  /* ms of its last slice. */
    uint64_t reval_start_usec;      /* When it started. */
    uint64_t reval_work_usec;       /* Its slices' time so far. */
    uint64_t reval_last_work_usec;  /* The last whole pass's slices'
                                     * time (ft_bridge_next_wakeup()). */
    uint64_t reval_flows;           /* Megaflows it walked so far... */
    uint64_t reval_stale;           /* ...and translated again. */
    size_t reval_slice;             /* Megaflows in its next slice (see
                                     * ft_bridge_revalidator_step()), 0
                                     * until the first. */
    long long int trim_unused_low;  /* Memory resident and unused at its
                                     * lowest since the last trim
                                     * (bridge-revalidator.c); LLONG_MAX
                                     * until a pass has measured it. */
    uint64_t n_upcalls;             /* Upcalls handled so far... */
    uint64_t reval_upcalls;         /* ...when the last slice ended. */
    /* How long the tables' last change took to reach every megaflow: from
     * the slice that first saw the new version to the end of the first
     * pass that began after it (see ft_bridge_stats.change_*). */
    enum { SETTLE_NONE, SETTLE_WAIT, SETTLE_PASS } settle_state;
    uint64_t settle_version;        /* Tables' version being followed. */
    uint64_t settle_start_usec;     /* When a slice first saw it. */
    uint64_t settle_stale;          /* Translated again since. */
    bool revalidate_asap;           /* Tables or ports changed. */
    uint64_t mac_flushes;           /* Part of the MAC generation. */
    uint64_t last_mac_gen;          /* MAC generation at the last pass. */
    bool have_timeouts;             /* Some rule may have a timeout. */
    struct ft_bridge_flow_changes expired;  /* Not yet taken. */
    struct undo_log *held;          /* A change made with FT_BRIDGE_HOLD
                                     * awaiting ft_bridge_flow_mod_finish(),
                                     * or NULL. */
    long long int held_now;         /* Its time. */
    struct ft_bridge_stats stats;   /* The bridge's own counters. */

    /* Warnings. */
    struct ft_log *log;             /* NULL: stderr. */
    struct ft_ratelimit xlate_rl;   /* Translation errors. */
    struct ft_ratelimit port_rl;    /* Ports going down or coming up. */
    char **logged_reasons;          /* Refusals logged once already. */
    size_t n_logged_reasons;

    /* Device notifications (bridge-link.c). */
    struct ft_link_watch *links;    /* NULL until ft_bridge_link_start(). */
    bool link_close_check;          /* The batch being read may have taken
                                     * an open port's device away. */
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
/* bridge-pmd.c: other_config:pmd-cpu-mask. */
int ft_bridge_pmd_mask_parse(const char *value, int cpus[], size_t *n,
                             struct ft_error *err);
/* Runs the datapath's forwarding on the 'n' CPUs 'cpus' (0: in the
 * daemon's thread) if that changed; logs why not if the datapath cannot. */
void ft_bridge_pmd_apply(struct ft_bridge *, const int cpus[], size_t n);

void ft_bridge_warn(struct ft_bridge *br, struct ft_ratelimit *rl,
                    const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The port numbered 'port_no', open or not, or NULL. */
struct bridge_port *bridge_port_find(const struct ft_bridge *,
                                     ft_port_no port_no);

/* Why 'bo' does not serve port 'port_no' (its probe's answer), or NULL if
 * it does. */
/* What the probe of 'bo' said of port 'port_no' it serves, or NULL. */
const struct ft_offload_caps *bridge_offload_port_caps(
    const struct bridge_offload *bo, ft_port_no port_no);

/* Logs at info, once per bridge and distinct reason, why a megaflow is
 * not in 'tier' (bridge-offload-info.c). */
void bridge_log_reason_once(struct ft_bridge *, enum ft_tier tier,
                            const char *reason);
/* Logs at info, once per provider and reason, why a provider gave up
 * removing rules (bridge-offload-info.c). */
void bridge_log_removals_given_up(struct ft_bridge *);
/* Frees what bridge_log_reason_once() keeps. */
void bridge_logged_reasons_destroy(struct ft_bridge *);

const char *bridge_offload_port_refusal(const struct bridge_offload *bo,
                                        ft_port_no port_no);

/* Probes the open port 'port_no' with the provider 'bo' (again, if it did
 * before), remembering its answer (bridge.c). */
void bridge_offload_probe(struct ft_bridge *, struct bridge_offload *bo,
                          ft_port_no port_no);

/* TC policy (bridge-tc-policy.c). */

/* Parses the value of other_config:tc-policy of 'owner' ("bridge", a
 * port's name) into '*policy'.  Returns 0 or -EINVAL with 'err' saying
 * which values there are. */
int bridge_tc_policy_parse(const char *owner, const char *value,
                           int *policy, struct ft_error *err);
/* The policy of port 'port_no': its own or the bridge's. */
int bridge_port_tc_policy(const struct ft_bridge *, ft_port_no port_no);
/* Returns 0 if 'policy', the TC policy of port 'name', lets provider
 * 'bo' serve it, else -EOPNOTSUPP with 'err' saying why and what to
 * change. */
int bridge_tc_policy_check(const struct bridge_offload *bo, const char *name,
                           int policy, struct ft_error *err);
/* After provider 'bo' took port 'port_no' with 'caps': makes the datapath
 * read the port's slow path if the provider has one for it.  Returns 0
 * or a negative errno with 'err' filled (the provider must then let the
 * port go). */
int bridge_slow_path_start(struct ft_bridge *, ft_port_no port_no,
                           const struct ft_offload_caps *caps,
                           struct ft_error *err);
/* Makes the datapath read port 'port_no' itself again if it read a slow
 * path of provider 'bo'. */
void bridge_slow_path_stop(struct ft_bridge *, const struct bridge_offload *bo,
                           ft_port_no port_no);
/* True if some open port's TC policy is not the one it was probed with:
 * the caller flushes the megaflows, then calls the next function. */
bool bridge_tc_policy_stale(const struct ft_bridge *);
/* Probes again, with every provider, each open port whose TC policy is
 * not the one it was probed with, after taking its offloaded megaflows
 * out of their tiers. */
void bridge_tc_policy_refresh(struct ft_bridge *);

/* Ports whose device opens in a thread (bridge-opening.c). */

/* What a port's Interface error column says while its device opens. */
#define BRIDGE_OPENING_REASON "opening: the device is being started in " \
    "the background; the port joins the datapath when it is ready"

/* How often (ms) the event loop looks at the opening ports. */
#define BRIDGE_OPEN_CHECK_INTERVAL 10

/* Starts DPDK's EAL, for port 'port', with the arguments 'dpdk_extra'
 * (other_config:dpdk-extra), or with FT_BRIDGE_DEFAULT_DPDK_EXTRA if that
 * is NULL and the EAL does not run yet.  Returns 0 or a negative errno
 * with 'err' filled. */
int bridge_dpdk_init(const char *dpdk_extra, const char *port,
                     struct ft_error *err);
/* Starts opening 'p', a port that opens apart, in a thread: the EAL's
 * arguments are checked at once if it runs, else the thread starts it
 * with 'dpdk_extra' (or the defaults).  Returns 0 (the port is opening)
 * or a negative errno, recorded in 'p->error', with 'err' filled. */
int bridge_port_open_apart(struct ft_bridge *, struct bridge_port *p,
                           const char *dpdk_extra, struct ft_error *err);
/* True if 'a' and 'b' open the same device the same way (the VLAN
 * configuration may differ) (bridge.c). */
bool bridge_port_same_device(const struct bridge_port *a,
                             const struct bridge_port *b);
/* Gives each port of 'new' that is opening without an opener of its own
 * (kept from the old set by a reconfiguration) the old port's. */
void bridge_ports_take_openers(struct bridge_port *new, size_t n_new,
                               struct bridge_port *old, size_t n_old);
/* True if 'p' opens in a thread of its own: a DPDK port of a datapath
 * that takes open devices. */
bool bridge_port_opens_apart(const struct ft_bridge *,
                             const struct bridge_port *p);
/* Checks the options of 'p' (at once) and starts opening it in a thread,
 * with DPDK's EAL started first with 'eal_args' if that is not NULL;
 * 'p->error' says it is opening.  Returns 0, or a negative errno with
 * 'err' filled (bad options, no thread). */
int bridge_port_open_start(struct ft_bridge *, struct bridge_port *p,
                           const char *eal_args, struct ft_error *err);
/* Gives up the open of 'p', if any, without waiting. */
void bridge_port_open_abandon(struct bridge_port *p);
/* Gives up the open of 'p', if any, without waiting, as one of the
 * releases under way in 'br': an open of the same name or device waits
 * for it, and stopping the bridge too. */
void bridge_port_open_release(struct ft_bridge *, struct bridge_port *p);
/* True if a port of 'br' is opening, or a removed port's device is
 * being released. */
bool bridge_has_opening(const struct ft_bridge *);
/* Gives up every open of 'br' under way, without waiting, as releases
 * of its set (bridge_port_open_release()). */
void bridge_opens_release(struct ft_bridge *);
/* Takes every open port of 'br' that opens apart out of the datapath and
 * releases its device in a thread of its own, kept in the bridge's set
 * of releases (bridge_port_close_apart()).  Without waiting. */
void bridge_ports_release(struct ft_bridge *);
/* Takes the open port 'p' out of the datapath and, for a port that
 * opens apart, releases its device in a thread of its own (a new open
 * of the same name or device waits for that release, in its thread):
 * no packet goes to or comes from it once this returns.  Other ports'
 * devices are closed at once, as ft_dpif_port_del() does. */
void bridge_port_close_apart(struct ft_bridge *, const struct bridge_port *p);
/* Frees the closers of the set of 'br' whose release has ended. */
void bridge_closes_reap(struct ft_bridge *);
/* Records the outcome of opening 'p' in the datapath ('error', with 'err'
 * when it is not 0): on success the offload providers probe it, and its
 * degraded state is read (bridge.c). */
void bridge_port_record_open(struct ft_bridge *, struct bridge_port *p,
                             int error, const struct ft_error *err);

/* After ports joined or left the datapath: the translation views and
 * the port map again, and every megaflow revalidated now (bridge.c). */
void bridge_ports_refresh(struct ft_bridge *, long long int now);
/* ft_bridge_check_ports(), trying again only the ports 'i' not open with
 * 'retry[i]' true and the ones it closed ('retry' NULL: every port not
 * open) (bridge.c). */
int bridge_ports_check(struct ft_bridge *, long long int now,
                       const bool *retry);
/* Logs the port event 'fmt' at level info, rate-limited (bridge.c). */
void bridge_info(struct ft_bridge *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Vxlan ports of a kernel datapath (bridge-tunnel.c). */

/* True if port 'p' of 'br' is opened by bridge_tnl_port_add(): a vxlan
 * port of a kernel datapath. */
bool bridge_tnl_needs_dev(const struct ft_bridge *, const struct bridge_port *);
/* Opens FlowTier's VXLAN device for the UDP port of 'p' (up) and adds 'p'
 * to the datapath with it.  Returns 0, or a negative errno with 'err'
 * naming the port (the device is then closed again). */
int bridge_tnl_port_add(struct ft_bridge *, const struct bridge_port *p,
                        struct ft_error *err);
/* The UDP port whose device the open port 'port_no' holds, or 0 (call it
 * before closing the port in the datapath, and then the next function). */
uint16_t bridge_tnl_dev_port(const struct ft_bridge *, ft_port_no port_no);
/* Closes one open of the device of 'dst_port' (0: nothing). */
void bridge_tnl_dev_close(uint16_t dst_port);
/* Opens once more the device the open port 'port_no' holds, so that
 * closing and opening the port again (an options change) keeps the same
 * device: its ifindex, which the datapath's port, TC's qdisc and filters
 * and every redirect to it name, stays valid.  Returns the UDP port to
 * give bridge_tnl_dev_close() once the port is open again (or gone), or
 * 0 if 'port_no' holds no device or it could not be held (the port then
 * reopens on a new device, as before). */
uint16_t bridge_tnl_dev_hold(const struct ft_bridge *, ft_port_no port_no);

/* Tunnel underlay (bridge-underlay.c). */

/* The resolver the bridge gives its offload providers
 * (ft_offload_underlay_fn, with the bridge as 'aux'): the route and next
 * hop toward 'dst' now, remembered as what providers were told. */
void bridge_underlay_resolve(void *br, uint32_t dst,
                             struct ft_offload_underlay *out);
/* Follows the kernel's notifications: asks again about every remote
 * providers were told of, and marks those whose answer changed.  Cheap
 * when nothing changed (reads a socket). */
void bridge_underlay_run(struct ft_bridge *);
/* True if 'mf' encapsulates toward, or matches packets from (exact
 * tun_src), a remote whose answer changed since 'mf' was last checked
 * (then it must be placed again); stamps it. */
bool bridge_underlay_stale(struct ft_bridge *, struct bridge_megaflow *mf);
void bridge_underlay_destroy(struct ft_bridge *);

/* Upcall and revalidator functions (bridge-revalidator.c). */
void ft_bridge_upcall_register(struct ft_bridge *);
/* A whole revalidator pass at once (dropping a pass in progress: this one
 * covers every megaflow). */
void ft_bridge_revalidator_run(struct ft_bridge *, long long int now);
/* Starts a pass if none is in progress, then revalidates up to 'max' more
 * megaflows of it; returns true when the pass is complete.  A pass covers
 * the megaflows there were when it started.  With 'max_usec' (0: none),
 * fewer: as many as the last slices' pace says fit in 'max_usec', or in
 * 'busy_usec' (if nonzero and shorter) when upcalls were handled since
 * the previous slice (at least 64 either way). */
bool ft_bridge_revalidator_step(struct ft_bridge *, long long int now,
                                size_t max, uint64_t max_usec,
                                uint64_t busy_usec);
/* Drops the pass in progress, if any. */
void ft_bridge_revalidator_abort(struct ft_bridge *);
void ft_bridge_expire_rules(struct ft_bridge *, long long int now);

#endif /* mgmt/bridge/bridge-private.h */

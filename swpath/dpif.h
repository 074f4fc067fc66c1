/*
 * dpif.h - the userspace datapath: one per bridge.
 *
 * What?
 * =====
 *
 * A datapath ties a bridge's ports (swpath/netdev.h), the packet parser
 * (swpath/flow-extract.h), the exact-match cache (swpath/emc.h), the
 * megaflow cache (swpath/dpcls.h) and the action executor
 * (swpath/execute.h) together.  The management plane creates one per
 * bridge, adds the bridge's ports under their OpenFlow port numbers,
 * registers an upcall callback that translates a missed packet into a
 * megaflow, and calls ft_dpif_run() from its event loop whenever one of
 * the descriptors from ft_dpif_get_fds() polls readable (and at least
 * every few milliseconds if ft_dpif_needs_polling()).
 *
 * The receive path
 * ================
 *
 * ft_dpif_run() takes up to 32 packets per port per round (one rx burst)
 * and, for the batch:
 *
 *   1. parses each packet into a flow key (in_port = the port's number)
 *      and hashes the key (untagged IPv4 UDP and TCP frames take a shorter
 *      path that gives the same key and hash, ft_dpif_parse_packet());
 *   2. looks each key up in the exact-match cache, then the misses in the
 *      megaflow cache in one batched lookup; a megaflow-cache hit is cached
 *      in the EMC once in FT_DPIF_EMC_INSERT_INV_PROB times on average (as
 *      Open vSwitch's emc-insert-inv-prob), an upcall's answer always.
 *      While the EMC finds fewer than FT_DPIF_EMC_MIN_HIT_PCT percent of
 *      the keys (many more flows than its entries), a miss in it costs more
 *      than its hits save: the datapath then skips it, keys going straight
 *      to the megaflow cache, except in one burst out of
 *      FT_DPIF_EMC_PROBE_EVERY, which still uses (and fills) it so that
 *      its hit rate keeps being measured; it is back in use as soon as
 *      that rate is over the threshold again;
 *   3. groups the packets found by megaflow and runs each group's actions
 *      action by action over the group (groups in the order of their first
 *      packet, packets in arrival order), crediting the megaflow once per
 *      group; outputs are queued on the output ports and flushed once per
 *      batch.  The last action of a list, if it is an output, hands the
 *      packets over (swpath/packet.h 'may_steal'): a DPDK output port then
 *      sends a DPDK input port's mbuf itself, without a copy;
 *   4. then, in arrival order, a packet that missed both caches goes to the
 *      upcall callback (below), once per distinct megaflow: later packets
 *      of the same batch that the returned megaflow covers reuse the answer
 *      without another upcall.
 *
 * Nothing on this path allocates: packets live in the ports' receive rings
 * or preallocated buffers, keys and actions in per-datapath scratch space
 * sized once.  Installing a megaflow allocates the megaflow (and its
 * actions), nothing else.
 *
 * Upcalls and the flow limit
 * ==========================
 *
 * The upcall callback translates a key into a megaflow (a match that
 * contains the key), the datapath actions for it, and a cookie the daemon
 * wants back with the megaflow (for example its list of OpenFlow rules).
 * The datapath installs the megaflow and executes the actions on the
 * packet.  When the megaflow cache already holds the flow limit's number of
 * megaflows, the actions are executed but the megaflow is not installed;
 * such misses are counted in 'n_flow_limit_hits' and logged, rate-limited.
 *
 * Cookies belong to the datapath once returned by a successful upcall or
 * accepted by ft_dpif_flow_put(): it hands each one to the cookie
 * destructor (if set) when it will never report it again, i.e. when the
 * megaflow is not installed, deleted, flushed, or the datapath destroyed.
 *
 * Outputs
 * =======
 *
 * An OUTPUT action to a port of this datapath queues the frame on that
 * port, the input port included (the translator decides; FT_PORT_IN_PORT
 * also means the input port).  An output to a port the datapath does not
 * have is counted in 'n_tx_no_port' and dropped.  A USERSPACE action
 * (OpenFlow CONTROLLER) goes to the userspace callback if one is set; it
 * is always counted in 'n_userspace', and in 'n_userspace_dropped' when no
 * callback is set.
 *
 * Callbacks
 * =========
 *
 * Callbacks run inside ft_dpif_run(), ft_dpif_execute() or the flow
 * functions, on the calling thread.  They must not call back into the
 * datapath that called them (no port or flow changes, no run): the upcall
 * callback reports its megaflow by returning it.
 *
 * Thread-safety
 * =============
 *
 * None: a datapath is owned by one thread, which makes every call.
 * Different datapaths are independent (no shared state).
 */
#ifndef SWPATH_DPIF_H
#define SWPATH_DPIF_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/dp-actions.h"
#include "flowtier/error.h"
#include "flowtier/flow.h"
#include "flowtier/port.h"
#include "flowtier/stats.h"
#include "swpath/netdev.h"
#include "swpath/packet.h"

struct ft_dpif;

/* A megaflow-cache hit is cached in the EMC once in this many times on
 * average. */
#define FT_DPIF_EMC_INSERT_INV_PROB 100

/* The EMC is skipped while it finds fewer than this percentage of the keys
 * looked up in it (measured over FT_DPIF_EMC_WINDOW lookups), except in one
 * receive burst out of FT_DPIF_EMC_PROBE_EVERY. */
#define FT_DPIF_EMC_MIN_HIT_PCT 30
#define FT_DPIF_EMC_WINDOW 8192
#define FT_DPIF_EMC_PROBE_EVERY 16

/* Default flow limit: megaflows held before misses stop installing. */
#define FT_DPIF_DEFAULT_FLOW_LIMIT 200000

/* Datapath-wide counters (ft_dpif_get_stats()), as 'ovs-appctl dpif/show'
 * reports them: "lookups: hit:H missed:M lost:L" with H = n_hit_emc +
 * n_hit_megaflow. */
struct ft_dpif_stats {
    uint64_t n_hit_emc;         /* Packets whose megaflow the EMC found. */
    uint64_t n_emc_skipped;     /* Packets not looked up in the EMC: its
                                 * hit rate was too low (see above). */
    bool emc_bypassed;          /* The EMC is being skipped now. */
    uint64_t n_hit_megaflow;    /* ... found in the megaflow cache. */
    uint64_t n_missed;          /* Packets that missed both caches. */
    uint64_t n_lost;            /* Missed packets dropped: no upcall
                                 * callback, or it failed. */
    uint64_t n_upcalls;         /* Upcall callback invocations. */
    uint64_t n_flow_limit_hits; /* Upcalls whose megaflow was not installed
                                 * because of the flow limit. */
    uint64_t n_bad_megaflows;   /* Upcalls whose megaflow did not contain
                                 * the key: not installed, actions run. */
    uint64_t n_invalid;         /* Frames under 14 bytes, dropped. */
    uint64_t n_tx_no_port;      /* Outputs to a port not in the datapath. */
    uint64_t n_userspace;       /* USERSPACE (CONTROLLER) actions. */
    uint64_t n_userspace_dropped; /* ... with no userspace callback set. */
    uint64_t n_exec_skipped;    /* Actions the executor skipped (header
                                 * missing, no room for a tag). */
    size_t n_flows;             /* Megaflows installed now. */
    size_t n_masks;             /* Distinct megaflow masks (subtables). */
};

/* A port as ft_dpif_port_get() and ft_dpif_port_foreach() report it.
 * Pointers stay valid until the port is deleted. */
struct ft_dpif_port_info {
    ft_port_no port_no;
    const char *name;           /* Device name. */
    const char *type;           /* "system", "tap", "internal", ... */
    int ifindex;                /* Linux ifindex, or 0. */
    int fd;                     /* Descriptor to poll, or -1. */
};

/* The upcall callback.  Translates the packet 'pkt' (not to be modified or
 * kept) with flow key 'key' (in_port set) into:
 *
 *   - '*megaflow_out': a match that contains 'key' (zeroed on entry);
 *   - 'actions_out': the datapath actions (empty on entry; the datapath
 *     owns the buffer and reuses it, so appending allocates only while it
 *     grows);
 *   - '*megaflow_cookie_out': a cookie for the megaflow (NULL on entry).
 *
 * Returns 0 to install the megaflow and execute the actions on the packet,
 * or a negative errno to drop it (counted in 'n_lost'; 'err', if filled,
 * is logged rate-limited). */
typedef int ft_dpif_upcall_cb(void *aux, const struct ft_flow *key,
                              struct ft_packet *pkt,
                              struct ft_match *megaflow_out,
                              struct ft_dp_actions *actions_out,
                              void **megaflow_cookie_out,
                              struct ft_error *err);

/* The USERSPACE action callback: 'pkt' (not to be kept; its 'in_port' is
 * the input port) as it is when the action runs, and the action. */
typedef void ft_dpif_userspace_cb(void *aux,
                                  const struct ft_dpa_userspace *act,
                                  const struct ft_packet *pkt);

/* Releases a megaflow cookie (see "Upcalls and the flow limit"). */
typedef void ft_dpif_cookie_destructor(void *aux, void *cookie);

/* Receives one log line (no newline), already rate-limited by the
 * datapath: at most 10 per second, with a count of the lines suppressed
 * before it. */
typedef void ft_dpif_log_cb(void *aux, const char *msg);

/* The information about one megaflow that ft_dpif_flow_foreach() and
 * ft_dpif_flow_get() report.  Pointers are valid during the callback (or
 * until the megaflow next changes). */
struct ft_dpif_flow_info {
    const struct ft_match *match;
    const struct ft_dp_actions *actions;
    struct ft_stats stats;      /* Userspace tier: packets, bytes, used. */
    void *cookie;
    void *flow_;                /* Private to the datapath. */
};

/* Lifecycle. */

/* Creates an empty datapath for the bridge 'name' and stores it in
 * '*dpifp'.  Returns 0 or -ENOMEM (or -EINVAL if 'name' is empty). */
int ft_dpif_create(const char *name, struct ft_dpif **dpifp);

/* Closes every port, removes every megaflow (calling the cookie
 * destructor) and frees 'dpif'.  NULL is a no-op. */
void ft_dpif_destroy(struct ft_dpif *dpif);

const char *ft_dpif_name(const struct ft_dpif *dpif);

/* Callbacks; each may be NULL to unset. */
void ft_dpif_set_upcall_cb(struct ft_dpif *, ft_dpif_upcall_cb *cb,
                           void *aux);
void ft_dpif_set_userspace_cb(struct ft_dpif *, ft_dpif_userspace_cb *cb,
                              void *aux);
void ft_dpif_set_cookie_destructor(struct ft_dpif *,
                                   ft_dpif_cookie_destructor *cb,
                                   void *aux);
void ft_dpif_set_log_cb(struct ft_dpif *, ft_dpif_log_cb *cb, void *aux);

/* Sets the flow limit to 'limit' megaflows (SIZE_MAX: no limit).  Does
 * not remove megaflows already installed. */
void ft_dpif_set_flow_limit(struct ft_dpif *, size_t limit);
size_t ft_dpif_get_flow_limit(const struct ft_dpif *);

/* Ports. */

/* Adds device 'devname' of type 'type' ("system", "tap", "internal", or
 * any class in swpath/netdev.h's registry; NULL means "system") as port
 * 'port_no' (1..FT_PORT_MAX, or FT_PORT_LOCAL for the bridge's internal
 * port) with the 'n_opts' options 'opts'.  Returns 0, or a negative errno
 * with 'err' (may be NULL) giving a reason that names the port:
 *
 *   -EINVAL      bad port number, name or option;
 *   -EEXIST      the port number or the device is already in 'dpif';
 *   -EOPNOTSUPP  no port class implements 'type';
 *   -ENODEV      the device does not exist ("port vnet9: no such network
 *                device");
 *   other        what opening the device returned (-EPERM without
 *                CAP_NET_ADMIN/CAP_NET_RAW, ...).
 *
 * After adding or deleting a port, call ft_dpif_get_fds() again. */
int ft_dpif_port_add(struct ft_dpif *, ft_port_no port_no,
                     const char *devname, const char *type,
                     const struct ft_netdev_option *opts, size_t n_opts,
                     struct ft_error *err);

/* Removes port 'port_no' and closes its device.  Megaflows that output to
 * it stay (their outputs to it are then counted in 'n_tx_no_port'); the
 * revalidator replaces them.  Returns 0 or -ENOENT. */
int ft_dpif_port_del(struct ft_dpif *, ft_port_no port_no);

/* Stores the counters of port 'port_no' in '*stats'.  Returns 0, -ENOENT,
 * or the device's error. */
int ft_dpif_port_get_stats(struct ft_dpif *, ft_port_no port_no,
                           struct ft_netdev_stats *stats);

/* Stores the description of port 'port_no' in '*info'.  Returns 0 or
 * -ENOENT. */
int ft_dpif_port_get(const struct ft_dpif *, ft_port_no port_no,
                     struct ft_dpif_port_info *info);

/* Finds the port whose device is 'devname'.  Returns 0 or -ENOENT. */
int ft_dpif_port_get_by_name(const struct ft_dpif *, const char *devname,
                             struct ft_dpif_port_info *info);

/* Stores the Ethernet address of port 'port_no' in '*mac'.  Returns 0,
 * -ENOENT, or the device's error. */
int ft_dpif_port_get_mac(const struct ft_dpif *, ft_port_no port_no,
                         struct ft_eth_addr *mac);

/* Calls 'cb' for every port, in ascending port number order, until it
 * returns nonzero; returns that value, or 0.  'cb' must not add or delete
 * ports. */
int ft_dpif_port_foreach(const struct ft_dpif *,
                         int (*cb)(const struct ft_dpif_port_info *,
                                   void *aux),
                         void *aux);

size_t ft_dpif_port_count(const struct ft_dpif *);

/* Running. */

/* Processes packets received on every port, as described at the top of
 * this file, until none is waiting or at least 'budget' packets have been
 * processed (checked between bursts, so up to 31 more may be).  Never
 * blocks.  Returns the number of packets processed. */
int ft_dpif_run(struct ft_dpif *, int budget);

/* As ft_dpif_run(), but receives only on the ports without a descriptor
 * (DPDK ports), which nothing would wake the caller for.  A busy polling
 * loop calls this, and ft_dpif_run() when a descriptor is readable:
 * reading a tap or socket that has nothing costs a system call per round,
 * which at 20 Mpps is several percent of the time. */
int ft_dpif_run_polled(struct ft_dpif *, int budget);

/* Finds the header offsets of 'pkt' (as ft_packet_parse()), sets its
 * 'in_port' to 'in_port', and stores its flow key (as ft_flow_extract())
 * in '*key' and the key's ft_emc_hash() in '*hash', as the receive path
 * does.  Returns 0, or -EINVAL for a frame under 14 bytes (then '*hash' is
 * not set). */
int ft_dpif_parse_packet(struct ft_packet *pkt, ft_port_no in_port,
                         struct ft_flow *key, uint32_t *hash);

/* Stores up to 'max' descriptors to poll for readability in 'fds' (one
 * per port that has one) and returns how many there are in all (which
 * may exceed 'max'). */
size_t ft_dpif_get_fds(const struct ft_dpif *, int fds[], size_t max);

/* True if some port has no descriptor: the caller must then call
 * ft_dpif_run() or ft_dpif_run_polled() periodically (every millisecond
 * or so) too. */
bool ft_dpif_needs_polling(const struct ft_dpif *);

/* Runs 'actions' on 'pkt' (which must have been parsed with
 * ft_packet_parse() and have its 'in_port' set, FT_PORT_NONE if it comes
 * from no port) and sends its outputs at once.  For packets the daemon
 * sends itself (packet-out).  Returns 0, or the executor's error for the
 * first action it skipped (swpath/execute.h). */
int ft_dpif_execute(struct ft_dpif *, struct ft_packet *pkt,
                    const struct ft_dp_actions *actions);

/* Megaflows (for the revalidator and the CLI). */

/* Installs the megaflow 'match' with 'actions' and 'cookie'.  Returns 0
 * (the datapath now owns 'cookie'), or, with 'cookie' still the caller's:
 * -EEXIST if a megaflow with the same match is installed, -ENOSPC at the
 * flow limit.  'err' may be NULL. */
int ft_dpif_flow_put(struct ft_dpif *, const struct ft_match *match,
                     const struct ft_dp_actions *actions, void *cookie,
                     struct ft_error *err);

/* Removes the megaflow whose match equals 'match' (its EMC entries die
 * with it) and releases its cookie; if 'stats' is nonnull, stores its
 * final stats there first.  Returns 0 or -ENOENT. */
int ft_dpif_flow_del(struct ft_dpif *, const struct ft_match *match,
                     struct ft_stats *stats);

/* Replaces the actions of the megaflow whose match equals 'match',
 * keeping its stats and cookie.  Returns 0 or -ENOENT. */
int ft_dpif_flow_modify_actions(struct ft_dpif *,
                                const struct ft_match *match,
                                const struct ft_dp_actions *actions);

/* A walk over the megaflows in slices, for work too long to do at once:
 * ft_dpif_walk_start() takes a snapshot of the megaflows (holding a
 * reference to each, so none is freed under it), each
 * ft_dpif_walk_step() calls 'cb' for up to 'max' more of them, skipping
 * those removed since, with the same rules as ft_dpif_flow_foreach()'s
 * callback, and megaflows installed since the start are not visited.
 * Packets may be processed between two steps.  ft_dpif_walk_finish()
 * drops the snapshot, done or not. */
struct ft_dpif_walk;

/* Returns the walk, or NULL if memory ran out. */
struct ft_dpif_walk *ft_dpif_walk_start(struct ft_dpif *);

/* Returns true once every megaflow of the snapshot was visited. */
bool ft_dpif_walk_step(struct ft_dpif *, struct ft_dpif_walk *, size_t max,
                       int (*cb)(const struct ft_dpif_flow_info *,
                                 void *aux),
                       void *aux);

void ft_dpif_walk_finish(struct ft_dpif_walk *);

/* Replaces the actions of the megaflow 'info' describes, as
 * ft_dpif_flow_modify_actions() but without looking it up: 'info' must
 * come from ft_dpif_flow_foreach() (within its callback) or
 * ft_dpif_flow_get(), with no change to the datapath's megaflows since.
 * Returns 0 or -ENOENT (the megaflow is gone). */
int ft_dpif_flow_set_actions(struct ft_dpif *,
                             const struct ft_dpif_flow_info *info,
                             const struct ft_dp_actions *actions);

/* Reports the megaflow whose match equals 'match' in '*info'.  Returns 0
 * or -ENOENT. */
int ft_dpif_flow_get(const struct ft_dpif *, const struct ft_match *match,
                     struct ft_dpif_flow_info *info);

/* Calls 'cb' for every megaflow until it returns nonzero; returns that
 * value, or 0 (or -ENOMEM).  'cb' may delete or modify the megaflow it is
 * given (or any other) with the functions above; megaflows installed
 * during the walk may or may not be visited. */
int ft_dpif_flow_foreach(struct ft_dpif *,
                         int (*cb)(const struct ft_dpif_flow_info *,
                                   void *aux),
                         void *aux);

/* Removes every megaflow, releasing their cookies. */
void ft_dpif_flow_flush(struct ft_dpif *);

size_t ft_dpif_flow_count(const struct ft_dpif *);

/* Statistics. */

void ft_dpif_get_stats(const struct ft_dpif *, struct ft_dpif_stats *);

#endif /* swpath/dpif.h */

/*
 * dpif.h - a datapath: the software tier that switches one bridge's
 * packets with the megaflows the management plane gives it.
 *
 * What?
 * =====
 *
 * The management plane creates one datapath per bridge, of the type the
 * bridge's datapath_type names ("netdev": the userspace datapath,
 * swpath/dpif-netdev.h; "system": the kernel module's), adds the bridge's
 * ports under their OpenFlow port numbers, registers an upcall callback,
 * and calls ft_dpif_run() from its event loop whenever one of the
 * descriptors from ft_dpif_get_fds() polls readable (and at least every
 * few milliseconds if ft_dpif_needs_polling()).  Every function below
 * dispatches to the datapath's class (swpath/dpif-provider.h).
 *
 * Megaflows
 * =========
 *
 * The management plane owns every megaflow: it decides which tier holds
 * each one and keeps the record (match, actions, OpenFlow rules, counters
 * of every tier).  A datapath holds copies of the megaflows put in it and
 * hands back a handle for each ('struct ft_dpif_flow', opaque): modify,
 * delete and read counters by handle, in batches.  It enforces no flow
 * limit of its own; the management plane counts megaflows of every tier
 * against the bridge's.
 *
 * Upcalls
 * =======
 *
 * A packet no megaflow of the datapath covers goes to the upcall
 * callback.  It translates the packet's key into a megaflow (a match that
 * contains the key) and its actions, places the megaflow in a tier and
 * installs it there; when that tier is this datapath, it calls
 * ft_dpif_flow_put() from inside the callback (the one call back into the
 * datapath allowed there) and reports the handle.  The datapath then
 * executes the actions on the packet and counts it on that megaflow, or,
 * if the callback installed nothing here, counts nothing: the callback
 * has counted the packet itself.
 *
 * Outputs
 * =======
 *
 * An OUTPUT action to a port of the datapath sends the frame on that port,
 * the input port included (FT_PORT_IN_PORT also means the input port).  An
 * output to a port the datapath does not have is counted in
 * 'n_tx_no_port' and dropped.  A USERSPACE action (OpenFlow CONTROLLER)
 * goes to the userspace callback if one is set; it is always counted in
 * 'n_userspace', and in 'n_userspace_dropped' when no callback is set.
 *
 * Callbacks
 * =========
 *
 * Callbacks run inside ft_dpif_run(), ft_dpif_execute() or the flow
 * functions, on the calling thread.  They must not call back into the
 * datapath that called them, except ft_dpif_flow_put() from the upcall
 * callback (above).
 *
 * Forwarding threads
 * ==================
 *
 * A datapath that can (the userspace one) forwards, after
 * ft_dpif_set_pmd_cpus(), in threads of its own, one pinned to each CPU
 * given (Open vSwitch's PMD threads): the calls below still come from the
 * one thread that owns the datapath, and the callbacks still run on it,
 * inside ft_dpif_run(); the missed packets wait in a queue for it, whose
 * descriptor ft_dpif_get_fds() returns.
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
#include "netdev.h"
#include "netdev-vxlan.h"
#include "packet.h"

struct ft_dpif;
struct ft_dpif_class;

/* A megaflow in a datapath: the handle ft_dpif_flow_put() returns. */
struct ft_dpif_flow;

/* The default datapath type. */
#define FT_DPIF_DEFAULT_TYPE "netdev"

/* Datapath-wide counters (ft_dpif_get_stats()), as 'ovs-appctl dpif/show'
 * reports them: "lookups: hit:H missed:M lost:L" with H = n_hit_emc +
 * n_hit_megaflow. */
struct ft_dpif_stats {
    uint64_t n_hit_emc;         /* Packets whose megaflow the EMC found. */
    uint64_t n_emc_skipped;     /* Packets not looked up in the EMC: its
                                 * hit rate was too low (userspace
                                 * datapath, swpath/dpif-netdev.h). */
    bool emc_bypassed;          /* The EMC is being skipped now. */
    uint64_t n_hit_megaflow;    /* ... found in the megaflow cache. */
    uint64_t n_missed;          /* Packets that missed both caches. */
    uint64_t n_lost;            /* Missed packets dropped: no upcall
                                 * callback, or it failed. */
    uint64_t n_upcalls;         /* Misses sent up: to the upcall
                                 * callback, or with forwarding threads
                                 * also those a megaflow put since
                                 * answered (swpath/dpif-pmd.c). */
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
    uint32_t upcall_rate;       /* Upcalls/s a port may send, 0: no
                                 * limit (the kernel datapath has one). */
    uint64_t n_upcalls_ratelimited; /* Misses over it (in 'n_lost'). */

    /* VXLAN ports (userspace datapath): their endpoints' counters summed
     * (swpath/netdev-vxlan.h), and received packets no port took. */
    size_t n_tnl_endpoints;
    struct ft_vxlan_stats tnl;
    uint64_t n_tnl_no_port;
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

/* The upcall callback (see "Upcalls" above).  Translates the packet 'pkt'
 * (not to be modified or kept; 'dpif' is the datapath it came from) with
 * flow key 'key' (in_port set) into:
 *
 *   - '*megaflow_out': a match that contains 'key' (zeroed on entry);
 *   - 'actions_out': the datapath actions (empty on entry; the datapath
 *     owns the buffer and reuses it, so appending allocates only while it
 *     grows);
 *   - '*flow_out': the handle ft_dpif_flow_put() returned if the callback
 *     installed the megaflow in 'dpif' (NULL on entry: leave it NULL if
 *     the megaflow is held elsewhere or nowhere).
 *
 * Returns 0 to execute the actions on the packet, or a negative errno to
 * drop it (counted in 'n_lost'; 'err', if filled, is logged rate-limited).
 * 'pkt->size' bytes are what the callback counts when it installs nothing
 * here. */
typedef int ft_dpif_upcall_cb(void *aux, struct ft_dpif *dpif,
                              const struct ft_flow *key,
                              struct ft_packet *pkt,
                              struct ft_match *megaflow_out,
                              struct ft_dp_actions *actions_out,
                              struct ft_dpif_flow **flow_out,
                              struct ft_error *err);

/* The USERSPACE action callback: 'pkt' (not to be kept; its 'in_port' is
 * the input port) as it is when the action runs, and the action. */
typedef void ft_dpif_userspace_cb(void *aux,
                                  const struct ft_dpa_userspace *act,
                                  const struct ft_packet *pkt);

/* Receives one log line (no newline), already rate-limited by the
 * datapath: at most 10 per second, with a count of the lines suppressed
 * before it. */
typedef void ft_dpif_log_cb(void *aux, const char *msg);

/* One megaflow as ft_dpif_flow_dump() reports it.  Pointers are valid
 * during the callback. */
struct ft_dpif_flow_info {
    const struct ft_match *match;
    const struct ft_dp_actions *actions;
    struct ft_stats stats;      /* This datapath's packets, bytes, used. */
    struct ft_dpif_flow *flow;  /* Its handle. */
};

/* Forwarding threads a datapath runs at most. */
#define FT_DPIF_PMD_MAX 64

/* One forwarding thread, as ft_dpif_pmd_foreach() reports it. */
struct ft_dpif_pmd_info {
    unsigned int id;            /* 0, 1, ... in CPU order. */
    int cpu;                    /* The CPU it is pinned to. */
    char rxqs[256];             /* Its receive queues: port names, space
                                 * separated ("" if none). */
    size_t n_rxqs;
    size_t n_flows;             /* Megaflows in its own cache. */
    uint64_t n_hit_emc;         /* As in 'struct ft_dpif_stats'. */
    uint64_t n_hit_megaflow;
    uint64_t n_missed;
    uint64_t n_lost;            /* Misses not queued: the queue was full. */
    uint64_t n_commands;        /* Megaflow and execute commands applied. */
    size_t n_emc_used;          /* Entries of its exact-match cache that
                                 * hold a megaflow (deleted ones go as the
                                 * thread deletes its copies). */
    uint64_t max_round_ns;      /* Longest round (a burst from each queue,
                                 * then commands) in the last second or
                                 * two: the longest a queue waited. */
};

/* Lifecycle. */

/* Creates an empty datapath of type 'type' ("netdev", "system"; NULL means
 * FT_DPIF_DEFAULT_TYPE) for the bridge 'name' and stores it in '*dpifp'.
 * Returns 0, or a negative errno with 'err' (may be NULL) saying why:
 * -EINVAL for an empty name, -EOPNOTSUPP for a type no class implements
 * (the reason lists the types there are), or what the class returned. */
int ft_dpif_create(const char *type, const char *name, struct ft_dpif **dpifp,
                   struct ft_error *err);

/* Closes every port, removes every megaflow (their handles die with them)
 * and frees 'dpif'.  NULL is a no-op. */
void ft_dpif_destroy(struct ft_dpif *dpif);

const char *ft_dpif_name(const struct ft_dpif *dpif);

/* The datapath's type ("netdev") and the tier its megaflows are in. */
const char *ft_dpif_type(const struct ft_dpif *dpif);
enum ft_tier ft_dpif_tier(const struct ft_dpif *dpif);

/* Callbacks; each may be NULL to unset. */
void ft_dpif_set_upcall_cb(struct ft_dpif *, ft_dpif_upcall_cb *cb,
                           void *aux);
void ft_dpif_set_userspace_cb(struct ft_dpif *, ft_dpif_userspace_cb *cb,
                              void *aux);
void ft_dpif_set_log_cb(struct ft_dpif *, ft_dpif_log_cb *cb, void *aux);

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
 * A "vxlan" port of the kernel datapath (type "system") is a VXLAN
 * device in external mode that the caller opened and brought up for the
 * port's UDP port, named by the option FT_DPIF_OPT_TNL_DEVICE besides the
 * port's own (swpath/tnl-config.h); one vxlan port per UDP port (-EEXIST
 * for a second: the device receives every VNI and remote of it).
 *
 * After adding or deleting a port, call ft_dpif_get_fds() again. */
#define FT_DPIF_OPT_TNL_DEVICE "dp_device"
int ft_dpif_port_add(struct ft_dpif *, ft_port_no port_no,
                     const char *devname, const char *type,
                     const struct ft_netdev_option *opts, size_t n_opts,
                     struct ft_error *err);

/* Adds 'netdev', a device of type 'type' already opened (by an opener in
 * a thread of its own, swpath/netdev-opener.h), as port 'port_no', as
 * ft_dpif_port_add() would have opened and added it.  Takes 'netdev'
 * whatever the outcome: it is closed on failure.  Returns 0, the errors
 * of ft_dpif_port_add() about the number or the name, or -EOPNOTSUPP
 * with a reason if 'dpif' opens its devices itself (the kernel
 * datapath). */
int ft_dpif_port_add_netdev(struct ft_dpif *, ft_port_no port_no,
                            const char *type, struct ft_netdev *netdev,
                            struct ft_error *err);

/* True if ft_dpif_port_add_netdev() works on 'dpif'. */
bool ft_dpif_can_add_netdev(const struct ft_dpif *);

/* Removes port 'port_no' and closes its device.  Megaflows that output to
 * it stay (their outputs to it are then counted in 'n_tx_no_port'); the
 * revalidator replaces them.  Returns 0 or -ENOENT. */
int ft_dpif_port_del(struct ft_dpif *, ft_port_no port_no);

/* Removes port 'port_no' as ft_dpif_port_del() does, but hands its open
 * device to the caller in '*netdevp' instead of closing it, so that it
 * can be closed in a thread of its own (swpath/netdev-closer.h): once
 * this returns, no thread of the datapath sends to or receives from it
 * any more.  Returns 0, -ENOENT, or -EOPNOTSUPP if 'dpif' closes its
 * devices itself (the kernel datapath) or the port is one the datapath
 * shares state with (a vxlan port): call ft_dpif_port_del() then. */
int ft_dpif_port_take(struct ft_dpif *, ft_port_no port_no,
                      struct ft_netdev **netdevp);

/* Stores the counters of port 'port_no' in '*stats'.  Returns 0, -ENOENT,
 * or the device's error. */
int ft_dpif_port_get_stats(struct ft_dpif *, ft_port_no port_no,
                           struct ft_netdev_stats *stats);

/* Upcalls of one port (ft_dpif_port_get_upcall_stats()): a datapath that
 * queues each port's misses apart, with a rate limit per port. */
struct ft_dpif_upcall_stats {
    uint64_t sent;              /* Misses queued to the daemon. */
    uint64_t dropped;           /* Not queued: over the rate, or the
                                 * port's queue full. */
};

/* Stores the upcall counters of port 'port_no' in '*stats'.  Returns 0,
 * -ENOENT, or -EOPNOTSUPP for a datapath with no per-port upcall queues
 * (the userspace one: its misses are handled as they are read). */
int ft_dpif_port_get_upcall_stats(struct ft_dpif *, ft_port_no port_no,
                                  struct ft_dpif_upcall_stats *stats);

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

/* Stores what an offload provider needs to know about port 'port_no'
 * (flowtier/port.h) in '*id'.  Returns 0 or -ENOENT. */
int ft_dpif_port_get_identity(const struct ft_dpif *, ft_port_no port_no,
                              struct ft_port_identity *id);

/* Makes port 'port_no' receive what Linux device 'ifindex' receives
 * instead of what its own device receives (0: its own again), for the
 * kernel TC tier's slow path (see 'set_rx_device' in swpath/netdev.h).
 * Returns 0, -ENOENT, or -EOPNOTSUPP (a datapath or port class that
 * cannot) or another negative errno, with 'err' saying why. */
int ft_dpif_port_set_rx_device(struct ft_dpif *, ft_port_no port_no,
                               int ifindex, struct ft_error *err);

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
 * which at 20 Mpps is several percent of the time.  'now_ms' is the
 * caller's reading of CLOCK_MONOTONIC in milliseconds, credited to the
 * megaflows the packets hit: a polling loop reads the clock once a round
 * for its own budget, and a second reading here cost as much as a small
 * burst's lookups. */
int ft_dpif_run_polled(struct ft_dpif *, int budget, long long int now_ms);

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

/* Megaflows, by handle (see "Megaflows" above). */

/* Installs the megaflow 'match' (normalized) with a copy of 'actions' and
 * stores its handle in '*flowp'.  Its counters start at zero.  Returns 0,
 * or a negative errno with 'err' (may be NULL) saying why: -EEXIST if a
 * megaflow with the same match is installed (then '*flowp' is that one),
 * -ENOSPC if the datapath is full, -ENOMEM. */
int ft_dpif_flow_put(struct ft_dpif *, const struct ft_match *match,
                     const struct ft_dp_actions *actions,
                     struct ft_dpif_flow **flowp, struct ft_error *err);

/* Replaces the actions of 'flow', keeping its counters.  Returns 0 or a
 * negative errno with 'err' saying why (-EOPNOTSUPP: the class cannot
 * modify in place; delete and put instead). */
int ft_dpif_flow_modify(struct ft_dpif *, struct ft_dpif_flow *flow,
                        const struct ft_dp_actions *actions,
                        struct ft_error *err);

/* Removes 'flow' (its handle dies); if 'stats' is nonnull, stores its
 * final counters there first.  Returns 0 or a negative errno. */
int ft_dpif_flow_del(struct ft_dpif *, struct ft_dpif_flow *flow,
                     struct ft_stats *stats);

/* Stores the counters of the 'n' megaflows 'flows' in 'stats' (one read of
 * the datapath for all of them).  Returns 0 or a negative errno (then
 * 'stats' is unspecified). */
int ft_dpif_flow_stats(struct ft_dpif *, struct ft_dpif_flow *const flows[],
                       size_t n, struct ft_stats stats[]);

/* Calls 'cb' for every megaflow the datapath holds, until it returns
 * nonzero; returns that value, or 0, or a negative errno.  'cb' must not
 * change the datapath. */
int ft_dpif_flow_dump(struct ft_dpif *,
                      int (*cb)(const struct ft_dpif_flow_info *, void *aux),
                      void *aux);

/* Taking over what a previous run left.  A datapath that outlives its
 * daemon (the kernel's, when flowtierd is killed) goes on forwarding with
 * its megaflows; the next run's ft_dpif_create() takes it over instead of
 * starting empty, and ft_dpif_port_add() takes each port it finds already
 * attached under the same name and number without detaching it (no packet
 * is dropped).  Once the bridge has added its ports, it calls this: 'cb'
 * gets every megaflow taken over (its handle, match, actions and
 * counters so far), which the datapath now treats as put by this run; the
 * ports of the previous run that were not added again are removed.  Calls
 * after the first report nothing.  Returns 0, 'cb''s nonzero value, or a
 * negative errno.  A datapath that never takes anything over (the
 * userspace one) reports nothing. */
int ft_dpif_flow_adopt(struct ft_dpif *,
                       int (*cb)(const struct ft_dpif_flow_info *, void *aux),
                       void *aux);

/* Removes every megaflow: every handle dies. */
void ft_dpif_flow_flush(struct ft_dpif *);

size_t ft_dpif_flow_count(const struct ft_dpif *);

/* Forwarding threads (see "Forwarding threads" above). */

/* Runs the datapath's forwarding in one thread per CPU of the 'n' CPUs
 * 'cpus' (distinct, ascending, each < CPU_SETSIZE; 'n' at most
 * FT_DPIF_PMD_MAX), pinned to it, or, for 'n' == 0, in the owning thread
 * again.  Megaflows and their counters carry over.  Returns 0, or a
 * negative errno with 'err' saying why: -EOPNOTSUPP for a datapath that
 * has no forwarding threads of its own (the kernel's), -EINVAL for a CPU
 * this process may not run on, or what creating a thread returned. */
int ft_dpif_set_pmd_cpus(struct ft_dpif *, const int cpus[], size_t n,
                         struct ft_error *err);

/* Calls 'cb' for each forwarding thread, in order, until it returns
 * nonzero; returns that, or 0 (also with no threads), or -EOPNOTSUPP. */
int ft_dpif_pmd_foreach(const struct ft_dpif *,
                        int (*cb)(const struct ft_dpif_pmd_info *,
                                  void *aux),
                        void *aux);

/* Statistics. */

void ft_dpif_get_stats(const struct ft_dpif *, struct ft_dpif_stats *);

#endif /* swpath/dpif.h */

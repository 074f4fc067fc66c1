/*
 * dpif-netdev-private.h - what the files of the userspace datapath share:
 * its ports, its forwarding contexts and the datapath itself.
 *
 * The userspace datapath (swpath/dpif-netdev.h) is three files:
 *
 *   dpif-netdev.c  the datapath class: ports, megaflows, counters, and
 *                  the choice between one thread and forwarding threads;
 *   dpif-fwd.c     the receive path: parse, EMC, megaflow cache, execute,
 *                  misses, run by one forwarding context;
 *   dpif-pmd.c     the forwarding (PMD) threads of other_config:pmd-cpu-
 *                  mask, the rings between them and the daemon's thread,
 *                  and the megaflow commands.
 *
 * Forwarding contexts
 * ===================
 *
 * A 'struct dpif_fwd' holds everything the receive path writes: its
 * megaflow cache and EMC, its counters, its scratch space, its queue of
 * ports to flush.  The datapath has one of its own ('main'), which
 * forwards when there are no forwarding threads (and whose megaflow cache
 * is then the one every megaflow is in); each forwarding thread has one
 * more, owned by that thread alone.  With threads, 'main.cls' holds the
 * management plane's megaflows (the handles) and forwards nothing; each
 * thread's cache holds a copy of each, whose counters only that thread
 * writes.
 *
 * What a context reads of the datapath (ports, endpoints, the port table)
 * changes only while every forwarding thread is stopped (dpif-pmd.c,
 * ft_dpif_pmds_pause()).
 */
#ifndef SWPATH_DPIF_NETDEV_PRIVATE_H
#define SWPATH_DPIF_NETDEV_PRIVATE_H 1

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpcls.h"
#include "dpif-netdev.h"
#include "dpif-provider.h"
#include "emc.h"
#include "execute.h"
#include "netdev-vxlan.h"

#define DPIF_BATCH FT_PACKET_BATCH_MAX
#define DPIF_FAST_WORDS 7           /* Key words the parser's shortcut
                                     * sets (dpif-fwd.c). */
#define DPIF_PORT_BUCKETS 256
#define DPIF_MAX_ENDPOINTS 8        /* VXLAN UDP ports per datapath (each
                                     * holds FT_VXLAN_RX_SOCKS receive
                                     * sockets and 3 more descriptors). */

/* Forwarding contexts: the datapath's own (index 0) and one per thread. */
#define DPIF_FWD_MAX (FT_DPIF_PMD_MAX + 1)

struct dpif_port {
    struct ft_netdev *netdev;
    ft_port_no port_no;
    char *type;
    struct dpif_port *hnext;    /* In 'port_buckets'. */
    bool polled;                /* No descriptor: must be polled. */
    bool tunnel;                /* A "vxlan" port: its endpoint receives. */
    /* Frames queued since the last flush, per forwarding context. */
    bool tx_pending[DPIF_FWD_MAX];
    /* With forwarding threads, held by the context that queues frames on
     * the port until it flushes them (dpif_port_tx_lock()). */
    pthread_mutex_t tx_lock;
};

/* One upcall's answer, reused by later misses of the same batch. */
struct dpif_upcall_slot {
    struct ft_match match;
    struct ft_dp_actions actions;
    struct ft_dpcls_flow *flow;     /* Installed megaflow, or NULL. */
};

/* The packets of one receive batch that share a megaflow. */
struct dpif_flow_batch {
    struct ft_dpcls_flow *flow;
    size_t n;
    uint64_t bytes;
    struct ft_packet *pkts[DPIF_BATCH];
};

struct dpif_netdev;
struct dpif_pmd;

struct dpif_fwd {
    struct dpif_netdev *dp;
    struct dpif_pmd *pmd;           /* Its thread, NULL for 'main'. */
    unsigned int idx;               /* 0 for 'main', 1 + thread index. */

    struct ft_dpcls cls;
    struct ft_emc emc;

    struct ft_execute_hooks hooks;
    struct ft_execute_stats xstats;
    struct ft_dpif_stats stats;     /* Written by the owner only. */

    struct dpif_port **pending;     /* Ports with frames to flush. */
    size_t n_pending;

    /* Log rate limiting. */
    long long int log_window;
    unsigned int log_in_window;
    uint64_t log_suppressed;

    /* Receive path scratch, for one batch. */
    long long int now;
    struct ft_flow keys[DPIF_BATCH];   /* Not for a packet whose key is
                                        * only its 'words' (dpif-fwd.c,
                                        * "Parsing"). */
    uint64_t words[DPIF_BATCH][DPIF_FAST_WORDS];
    uint32_t hashes[DPIF_BATCH];
    bool valid[DPIF_BATCH];
    struct dpif_upcall_slot slots[DPIF_BATCH];
    size_t n_slots;
    struct dpif_flow_batch fbatches[DPIF_BATCH];
    size_t n_fbatches;
    uint32_t rng;                   /* For dpif_emc_insert_draw(). */

    /* EMC bypass (see "The receive path" in dpif-netdev.h). */
    uint32_t emc_lookups;           /* In the current window. */
    uint32_t emc_hits;
    uint32_t emc_bursts;            /* Bursts since the last probe. */
};

struct dpif_netdev {
    struct ft_dpif up;

    struct dpif_port **ports;       /* Sorted by port number. */
    size_t n_ports, allocated_ports;
    struct dpif_port *port_buckets[DPIF_PORT_BUCKETS];

    /* VXLAN endpoints (swpath/netdev-vxlan.h), one per UDP port, each
     * shared by the vxlan ports on that UDP port. */
    struct ft_vxlan_endpoint *endpoints[DPIF_MAX_ENDPOINTS];
    size_t n_endpoints;

    /* The vxlan ports' transmit lock: they queue into their endpoint's
     * buffer, which several ports share. */
    pthread_mutex_t tunnel_tx_lock;

    struct dpif_fwd main;
    struct dpif_pmds *pmds;         /* Forwarding threads, or NULL. */
};

/* The lock that serializes transmission on 'port' between forwarding
 * threads. */
static inline pthread_mutex_t *
dpif_port_tx_lock(struct dpif_netdev *dp, struct dpif_port *port)
{
    return port->tunnel ? &dp->tunnel_tx_lock : &port->tx_lock;
}

static inline struct dpif_port *
dpif_port_find(const struct dpif_netdev *dp, ft_port_no port_no)
{
    struct dpif_port *port = dp->port_buckets[port_no % DPIF_PORT_BUCKETS];

    for (; port; port = port->hnext) {
        if (port->port_no == port_no) {
            return port;
        }
    }
    return NULL;
}

long long int dpif_time_msec(void);

/* dpif-fwd.c: the receive path of one forwarding context. */

/* Sets up 'fwd' (context 'idx' of 'dp', thread 'pmd' or NULL) with an EMC
 * and an empty megaflow cache.  Returns 0 or -ENOMEM. */
int dpif_fwd_init(struct dpif_fwd *fwd, struct dpif_netdev *dp,
                  struct dpif_pmd *pmd, unsigned int idx);
void dpif_fwd_uninit(struct dpif_fwd *fwd);

/* Gives 'fwd' room to queue 'n_ports' ports.  Returns 0 or -ENOMEM. */
int dpif_fwd_reserve(struct dpif_fwd *fwd, size_t n_ports);

/* Receives from the 'n' ports 'ports' (only those without a descriptor if
 * 'polled_only') and, unless 'polled_only', from the 'n_ep' endpoints
 * 'eps', bursts in turn, until none has anything or 'budget' packets were
 * processed.  The megaflows hit are stamped used at 'now_ms' (the caller's
 * reading of dpif_time_msec(): a forwarding thread reads the clock once a
 * round, which with short bursts was a visible part of the round).
 * Returns the packets processed. */
int dpif_fwd_poll(struct dpif_fwd *fwd, struct dpif_port *const ports[],
                  size_t n, struct ft_vxlan_endpoint *const eps[],
                  size_t n_ep, int budget, bool polled_only,
                  long long int now_ms);

/* Runs 'actions' on 'pkt', sends its outputs, and credits 'flow' (may be
 * NULL) with it.  Returns 0 or the executor's error. */
int dpif_fwd_execute(struct dpif_fwd *fwd, struct ft_packet *pkt,
                     const struct ft_dp_actions *actions,
                     struct ft_dpcls_flow *flow);

/* Sends what 'fwd' queued on ports (and releases their locks). */
void dpif_fwd_flush(struct dpif_fwd *fwd);

/* Forgets port 'port' in 'fwd''s queue of ports to flush. */
void dpif_fwd_forget_port(struct dpif_fwd *fwd, struct dpif_port *port);

void dpif_fwd_log(struct dpif_fwd *fwd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* dpif-pmd.c: the forwarding threads. */

/* Misses and USERSPACE actions of a thread's context, queued to the
 * daemon's thread.  Return nothing: what does not fit is counted lost. */
void dpif_pmd_upcall_miss(struct dpif_fwd *fwd, struct ft_packet *pkt,
                          const struct ft_flow *key);
void dpif_pmd_upcall_userspace(struct dpif_fwd *fwd,
                               const struct ft_dpa_userspace *act,
                               const struct ft_packet *pkt);
void dpif_pmd_upcall_log(struct dpif_fwd *fwd, const char *msg);

/* The set of forwarding threads: created with the CPUs of
 * other_config:pmd-cpu-mask, one thread per CPU, destroyed when the mask
 * is removed or with the datapath.  Each function runs on the daemon's
 * thread. */
struct dpif_pmds;

/* Starts one thread per CPU of the 'n' CPUs 'cpus', each with a copy of
 * every megaflow of 'dp->main.cls' and the receive queues of its share of
 * the ports.  Returns 0 or a negative errno with 'err' saying why. */
int dpif_pmds_create(struct dpif_netdev *dp, const int cpus[], size_t n,
                     struct dpif_pmds **pmdsp, struct ft_error *err);

/* Stops and joins every thread (each applies the commands it was sent
 * first), adds each copy's counts to its megaflow in 'dp->main.cls', and
 * frees the threads' state. */
void dpif_pmds_destroy(struct dpif_pmds *);

/* Stops the threads while the ports change, and starts them again with
 * the receive queues spread over them anew. */
void dpif_pmds_pause(struct dpif_pmds *);
int dpif_pmds_resume(struct dpif_pmds *);

/* Gives every thread room to queue 'n_ports' ports (threads paused). */
int dpif_pmds_reserve(struct dpif_pmds *, size_t n_ports);
/* Forgets 'port' in every thread's queue of ports to flush (paused). */
void dpif_pmds_forget_port(struct dpif_pmds *, struct dpif_port *port);

size_t dpif_pmds_n(const struct dpif_pmds *);
/* The descriptor that polls readable when misses wait (one for all). */
int dpif_pmds_upcall_fd(const struct dpif_pmds *);

/* Takes up to 'budget' misses, USERSPACE actions and log lines from the
 * threads, calls the callbacks for each and sends each missed packet back
 * to its thread to be executed.  Returns how many it took. */
int dpif_pmds_run(struct dpif_pmds *, int budget);

/* Sends a copy of 'pkt' with 'actions' to the first thread, which runs
 * them (packet-out).  Returns 0 or -ENOMEM. */
int dpif_pmds_execute(struct dpif_pmds *, const struct ft_packet *pkt,
                      const struct ft_dp_actions *actions);

/* Megaflows ('flow' is in 'dp->main.cls', its 'user' the array of the
 * threads' copies, dpif_pmds_flow_ext()).  put and modify only queue the
 * command; del and flush wait until every thread applied it. */
struct ft_dpcls_flow **dpif_pmds_flow_ext(const struct dpif_pmds *);
void dpif_pmds_flow_put(struct dpif_pmds *, struct ft_dpcls_flow *flow);
int dpif_pmds_flow_modify(struct dpif_pmds *, struct ft_dpcls_flow *flow,
                          const struct ft_dp_actions *actions);
/* Removes the copies of 'flow' and adds their final counts to '*stats'. */
void dpif_pmds_flow_del(struct dpif_pmds *, struct ft_dpcls_flow *flow,
                        struct ft_stats *stats);
/* Adds what the copies of 'flow' counted so far to '*stats'. */
void dpif_pmds_flow_stats(const struct dpif_pmds *,
                          const struct ft_dpcls_flow *flow,
                          struct ft_stats *stats);
void dpif_pmds_flow_flush(struct dpif_pmds *);

/* Adds the threads' counters to '*stats'. */
void dpif_pmds_get_stats(const struct dpif_pmds *, struct ft_dpif_stats *);
int dpif_pmds_foreach(const struct dpif_pmds *,
                      int (*cb)(const struct ft_dpif_pmd_info *, void *),
                      void *aux);

/* Adds 'from''s counts to 'to' (the later 'used'). */
static inline void
dpif_stats_add(struct ft_stats *to, const struct ft_stats *from)
{
    to->n_packets += from->n_packets;
    to->n_bytes += from->n_bytes;
    if (from->used > to->used) {
        to->used = from->used;
    }
}

#endif /* swpath/dpif-netdev-private.h */

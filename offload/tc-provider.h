/*
 * tc-provider.h - the TC flower provider's state (offload-tc.h says what
 * the provider does), shared by its two files: offload-tc.c (ports,
 * filters, counters, the class) and tc-batch.c (requests sent without
 * waiting, their answers, removals in batches).
 *
 * Private to offload/offload-tc.c and offload/tc-batch.c.  Every
 * function returns 0 or a negative errno unless it says otherwise.
 * Thread-safety: none; an instance belongs to one thread.
 */
#ifndef OFFLOAD_TC_PROVIDER_H
#define OFFLOAD_TC_PROVIDER_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/error.h"
#include "flowtier/flow.h"
#include "flowtier/port.h"
#include "flowtier/stats.h"
#include "offload-provider.h"
#include "tc-del.h"
#include "tc-translate.h"

struct nl_msg;
struct nl_sock;

/* Filter protocols at most: one priority each. */
#define TC_MAX_PRIOS 32

/* Filter requests sent before their acks are read: enough to take the
 * round trip out of each insertion, few enough that the acks (and the
 * filters an NLM_F_ECHO request gets back) fit in the socket's receive
 * buffer. */
#define TC_MAX_PENDING 64

struct tc_port {
    ft_port_no port_no;
    int ifindex;
    char name[FT_PORT_NAME_MAX];
    uint8_t switch_id[FT_SWITCH_ID_MAX];
    uint8_t switch_id_len;
    uint32_t skip;              /* Its filters' TCA_FLOWER_FLAGS: a
                                 * TCA_CLS_FLAGS_SKIP_*, or VERBOSE when
                                 * the kernel places each one. */
    int sp_rx_ifindex;          /* Unless skip_sw: the slow path's end the
                                 * datapath reads (0: none). */
    uint16_t tnl_dst_port;      /* A VXLAN port: its UDP port; 'ifindex'
                                 * is FlowTier's VXLAN device for it. */
    bool kernel_dp;             /* A port of the kernel datapath: what no
                                 * filter takes goes on to its receive
                                 * handler (no slow path), and a VXLAN
                                 * port's device is up. */
};

struct ft_offload_flow {
    struct ft_match match;      /* For a replace with other actions. */
    struct ft_stats base;       /* Counts of the filters it replaced. */
    int ifindex;
    ft_port_no in_port;
    uint32_t prio;
    uint32_t handle;
    uint16_t protocol;          /* Network byte order. */
    size_t idx;                 /* In 'struct tc''s 'flows'. */
    bool in_hw;                 /* In a NIC (always, with skip_sw). */
    char *why;                  /* Not in a NIC, or refused: why (owned),
                                 * or NULL. */
    /* A put or a replace sent without waiting for its ack (see
     * "Batches" in offload.h), and what came back. */
    bool pending;
    bool echoed;                /* The kernel sent the filter back. */
    uint32_t echo_flags;        /* Its TCA_FLOWER_FLAGS. */
    bool got_before;            /* A replace: 'before' holds the counts */
    struct ft_stats before;     /* read just before it (with 'base'). */
    int error;                  /* Refused: the kernel's errno (the flow
                                 * is then in 'failed', not 'flows'). */
};

/* A request sent without waiting for its answer. */
enum tc_req_op {
    TC_REQ_PUT,                 /* A new filter. */
    TC_REQ_GET,                 /* The counts of a filter about to be
                                 * replaced. */
    TC_REQ_REPLACE,             /* A filter with other actions. */
};

struct tc_req {
    enum tc_req_op op;
    uint32_t seq;
    struct ft_offload_flow *flow;   /* NULL once its ack is read. */
};

/* A filter FlowTier must remove but the kernel has not let go of yet (a
 * delete that failed, the old filter of a refused replace, one whose
 * answer was lost): tried again at the commits and batches of deletes
 * that follow, each failure doubling the number of them it lets pass
 * before the next try, and given up after TC_GONE_MAX_TRIES failed
 * deletes (counted, with the kernel's reason: the filter stays in the
 * kernel, where 'tc filter show' lists it, until the port is cleaned).
 * A flush tries every one of its port at once. */
struct tc_gone {
    struct ft_tc_filter_id id;
    ft_port_no in_port;
    unsigned int tries;         /* Deletes of it that failed so far. */
    unsigned int skip;          /* Retries to let pass before the next. */
};

/* Failed deletes of one filter before it is given up: at most
 * 1 + 2 + ... + 2^(TC_GONE_MAX_TRIES - 2) retries pass meanwhile. */
#define TC_GONE_MAX_TRIES 8

struct tc {
    struct ft_offload up;
    struct nl_sock *sock;
    uint8_t cookie[FT_TC_COOKIE_LEN];

    struct tc_port *ports;
    size_t n_ports;

    /* One priority per filter protocol: flower wants a protocol per
     * priority. */
    uint16_t prio_protocol[TC_MAX_PRIOS];
    size_t n_prios;

    struct ft_offload_flow **flows;
    size_t n_flows, allocated_flows;
    uint32_t next_handle;

    /* Batches: requests sent whose acks are not read yet, in the order
     * sent (that of the acks), the puts and replaces the kernel refused,
     * until commit reports them, and the filters still to remove. */
    struct tc_req pending[TC_MAX_PENDING];
    size_t n_pending;
    struct ft_offload_flow **failed;
    size_t n_failed, allocated_failed;
    struct tc_gone *gone;
    size_t n_gone, allocated_gone;
    uint64_t n_gone_given_up;   /* Filters of 'gone' given up. */
    char gone_given_up_why[FT_ERROR_REASON_MAX];    /* The last one's
                                                     * reason, or "". */
};

static inline struct tc *
tc_cast(struct ft_offload *o)
{
    return (struct tc *) o;
}

/* In offload-tc.c. */

/* The port 'port_no' of 'tc', or NULL. */
struct tc_port *ft_tc_port_find(struct tc *, ft_port_no port_no);

/* Takes 'flow' out of 'tc''s flows and frees it. */
void ft_tc_flow_forget(struct tc *, struct ft_offload_flow *flow);

/* In tc-batch.c. */

/* Sends 'msg' (freed here) for 'flow' on port 'in' as a request of kind
 * 'op' without waiting for its answer; the caller makes room first (at
 * most TC_MAX_PENDING outstanding). */
int ft_tc_send_async(struct tc *, const struct tc_port *in,
                     struct nl_msg *msg, enum tc_req_op op,
                     struct ft_offload_flow *flow, struct ft_error *err);

/* Reads the answers of every request sent without waiting: puts and
 * replaces taken or refused (kept for commit), counts before a replace.
 * Any other request on the socket waits for this first. */
void ft_tc_drain(struct tc *);

/* The class's commit (offload-provider.h). */
int ft_tc_commit(struct ft_offload *,
                 void (*failed)(void *aux, struct ft_offload_flow *,
                                int error, const char *reason),
                 void *aux);

/* Deletes the filters of the 'n' flows 'flows' in one batch and frees the
 * flows: 'stats[i]' (if nonnull) gets flows[i]'s final counts, 'errors[i]'
 * (if nonnull) 0 or the kernel's errno; a filter the kernel kept is tried
 * again later (ft_tc_gone_retry()).  Returns the number of failures. */
size_t ft_tc_del_flows(struct tc *, struct ft_offload_flow *const flows[],
                       size_t n, struct ft_stats stats[], int errors[]);

/* Tries again to delete the filters still to remove on 'port_no' (all if
 * FT_PORT_NONE) whose turn it is, or all of them if 'force'; keeps those
 * the kernel still refuses, or gives them up (see 'struct tc_gone'). */
void ft_tc_gone_retry(struct tc *, ft_port_no port_no, bool force);

/* The class's get_removals (offload-provider.h). */
void ft_tc_get_removals(const struct ft_offload *,
                        struct ft_offload_removals *);

/* Forgets the filters still to remove on 'port_no' (its cleaning removed
 * every filter of FlowTier's there). */
void ft_tc_gone_forget_port(struct tc *, ft_port_no port_no);

/* Frees 'flow', refused and not reported yet: it never will be. */
void ft_tc_failed_forget(struct tc *, struct ft_offload_flow *flow);

/* The class's flow_del and flow_del_batch (offload-provider.h). */
int ft_tc_flow_del(struct ft_offload *, struct ft_offload_flow *,
                   struct ft_stats *);
size_t ft_tc_flow_del_batch(struct ft_offload *,
                            struct ft_offload_flow *const flows[], size_t n,
                            struct ft_stats stats[], int errors[]);

#endif /* offload/tc-provider.h */

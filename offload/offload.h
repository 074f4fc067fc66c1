/*
 * offload.h - offload providers: the tiers in front of the software
 * datapath (the NIC, TC in the kernel), as the management plane uses them.
 *
 * What?
 * =====
 *
 * An offload provider programs megaflows into something that switches
 * packets before the datapath sees them: TC flower (in hardware with
 * skip_sw, in the kernel with skip_hw), DPDK rte_flow, verbs flow steering.
 * The management plane creates a provider instance per bridge and tier
 * ('struct ft_offload'), tells it the bridge's ports (probe: may this
 * provider program rules for this port, and what can it match and do
 * there?), and then puts, modifies and deletes megaflows in it and reads
 * their counters in batches.  It never sees OpenFlow: a megaflow is a
 * match (flowtier/flow.h) and datapath actions (flowtier/dp-actions.h).
 *
 * Refusals
 * ========
 *
 * A provider that cannot take a megaflow answers -EOPNOTSUPP, or -ENOSPC
 * when it is full, with a reason a person can act on that names the field,
 * action or port ("tc: action set_field:ipv6_label not offloadable",
 * "ftnic: table full (65536 rules)").  -EOPNOTSUPP is "not this tier, fall
 * back"; other errors are failures of the provider itself.  The reason
 * reaches the CLI (dump-dp-flows).
 *
 * Handles
 * =======
 *
 * flow_put() returns a handle ('struct ft_offload_flow', opaque) valid
 * until flow_del() of it, a flush that covers it, destroy, or
 * ft_offload_commit() reporting that the device refused it.
 *
 * Batches
 * =======
 *
 * A provider may send its puts to the device back to back without
 * waiting for each answer (TC: one netlink request after another, the
 * acks read together): its flow_put() then returns 0 once the request is
 * sent, and ft_offload_commit(), which the management plane calls after
 * each batch of upcalls and before it revalidates, reports the ones the
 * device refused, each with its reason.
 *
 * Thread-safety: none; an instance belongs to one thread.  Instances are
 * independent of each other (no shared state).
 */
#ifndef OFFLOAD_OFFLOAD_H
#define OFFLOAD_OFFLOAD_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/dp-actions.h"
#include "flowtier/error.h"
#include "flowtier/flow.h"
#include "flowtier/port.h"
#include "flowtier/stats.h"

struct ds;
struct ft_offload;
struct ft_offload_class;
struct ft_offload_flow;

/* Groups of match fields a provider may take (ft_offload_caps). */
enum ft_offload_match_bit {
    FT_OFFLOAD_M_IN_PORT  = 1 << 0,
    FT_OFFLOAD_M_ETH      = 1 << 1,   /* dl_src, dl_dst, dl_type. */
    FT_OFFLOAD_M_VLAN     = 1 << 2,   /* vlan_tci. */
    FT_OFFLOAD_M_IPV4     = 1 << 3,   /* nw_src, nw_dst, nw_proto, tos, ttl,
                                       * frag. */
    FT_OFFLOAD_M_IPV6     = 1 << 4,
    FT_OFFLOAD_M_L4       = 1 << 5,   /* tp_src, tp_dst. */
    FT_OFFLOAD_M_TCP_FLAGS = 1 << 6,
    FT_OFFLOAD_M_ICMP     = 1 << 7,
    FT_OFFLOAD_M_ARP      = 1 << 8,
    FT_OFFLOAD_M_TUNNEL   = 1 << 9,   /* tun_id, tun_src, tun_dst. */
    FT_OFFLOAD_M_METADATA = 1 << 10,  /* metadata, registers. */
};

/* What a provider can do for one port: probe's answer. */
struct ft_offload_caps {
    uint32_t match;             /* FT_OFFLOAD_M_* it can match on. */
    uint32_t actions;           /* 1 << FT_DPA_* it can execute. */
    bool tunnel_encap;          /* SET_TUNNEL + output to a tunnel. */
    bool tunnel_decap;
    bool counters;              /* flow_stats() reports real counts. */
    size_t max_flows;           /* Table size; 0: no known bound. */
    int slow_path_ifindex;      /* Nonzero: the device the datapath must
                                 * read the port's packets from instead of
                                 * the port (the kernel TC tier's slow
                                 * path, offload/tc-slowpath.h); 0: the
                                 * port itself. */
};

/* How encapsulated packets toward one tunnel remote leave this host: the
 * underlay route and the next hop's Ethernet address, as the management
 * plane resolves them (the host's own routing and neighbour tables, the
 * same answers the userspace datapath encapsulates with).  What a provider
 * that writes outer headers needs, and what one whose NIC resolves them
 * itself checks before it takes a tunnel rule. */
struct ft_offload_underlay {
    uint32_t dst;               /* The remote asked about (host order). */
    int error;                  /* 0, or why it cannot be reached
                                 * (-ENETUNREACH: no route). */
    int ifindex;                /* The route's output device. */
    uint32_t src;               /* The route's preferred source (host
                                 * order; 0: none). */
    uint32_t gateway;           /* The next hop: the gateway, or 'dst'. */
    uint32_t mtu;               /* Of the output device. */
    bool resolved;              /* 'dst_mac' is known. */
    struct ft_eth_addr src_mac; /* The output device's. */
    struct ft_eth_addr dst_mac; /* The next hop's. */
};

/* Fills '*out' with how packets to 'dst' (host order) leave now.  'out'
 * is always filled: its 'error' and 'resolved' say whether it is usable. */
typedef void ft_offload_underlay_fn(void *aux, uint32_t dst,
                                    struct ft_offload_underlay *out);

/* Creates an instance of 'class' named 'name' (used in reasons: "tc",
 * "dummy-hw") serving tier 'tier' (FT_TIER_HW or FT_TIER_KERNEL) and
 * stores it in '*offloadp'.  Returns 0 or a negative errno with 'err'
 * filled. */
int ft_offload_create(const struct ft_offload_class *class,
                      const char *name, enum ft_tier tier,
                      struct ft_offload **offloadp, struct ft_error *err);

/* Removes every rule the instance installed and frees it.  NULL is a
 * no-op. */
void ft_offload_destroy(struct ft_offload *);

const char *ft_offload_name(const struct ft_offload *);
/* The provider's kind: "tc", "rte_flow", "dummy". */
const char *ft_offload_type(const struct ft_offload *);
enum ft_tier ft_offload_tier(const struct ft_offload *);

/* Gives the instance the management plane's underlay resolver 'fn' (with
 * 'aux'): the provider asks it about a tunnel's remote whenever it builds
 * a rule that encapsulates.  When the answer for a remote changes, the
 * management plane places the megaflows that encapsulate toward it again
 * (so a rule never keeps an old route or next hop): providers need not
 * follow the underlay themselves.  Without a resolver (NULL), a provider
 * that must write outer headers refuses tunnel encapsulation, saying so. */
void ft_offload_set_underlay(struct ft_offload *, ft_offload_underlay_fn *fn,
                             void *aux);

/* Probes port 'id' and, if the provider can program rules for it, starts
 * serving it: returns 0 with '*caps' filled, or -EOPNOTSUPP with a reason
 * ("tc: port vnet0: kernel has no cls_flower"), or another negative errno.
 * Called again for a port that is already known, it probes again (the
 * device may have changed). */
int ft_offload_port_add(struct ft_offload *, const struct ft_port_identity *id,
                        struct ft_offload_caps *caps, struct ft_error *err);

/* Stops serving port 'port_no': removes its rules (flush) and forgets it.
 * Handles of its rules die.  Unknown ports are ignored. */
void ft_offload_port_del(struct ft_offload *, ft_port_no port_no);

/* Installs the megaflow 'match' with 'actions' and stores its handle in
 * '*flowp'.  Returns 0, -EOPNOTSUPP or -ENOSPC with a reason (see
 * "Refusals"), or another negative errno with a reason. */
int ft_offload_flow_put(struct ft_offload *, const struct ft_match *match,
                        const struct ft_dp_actions *actions,
                        struct ft_offload_flow **flowp, struct ft_error *err);

/* The tier that holds 'flow' now: the instance's own, unless the device
 * decides per rule (TC with neither skip flag, on a port probed with
 * 'hw_or_kernel') and kept it in a slower one.  Then 'why' (if nonnull)
 * says why the instance's tier did not take it, in the device's words
 * when it gave some ("tc: ftnic: cannot offload match on TCP flags").
 * Valid after flow_put() and flow_modify(), which decide it anew. */
enum ft_tier ft_offload_flow_tier(const struct ft_offload *,
                                  const struct ft_offload_flow *flow,
                                  struct ft_error *why);

/* True if flow_put() of the instance may answer 0 before the device has
 * (batched requests): the device's answer then comes through
 * ft_offload_commit(). */
bool ft_offload_batches(const struct ft_offload *);

/* Waits for the device's answers to every flow_put() that returned before
 * them, and calls 'failed' with each one the device refused: its handle,
 * the negative errno (-EOPNOTSUPP, -ENOSPC or another) and the reason, in
 * the device's words when it gave some.  The handle dies when 'failed'
 * returns.  Returns 0, or a negative errno if the answers could not be
 * read (the puts concerned are then reported failed). */
int ft_offload_commit(struct ft_offload *,
                      void (*failed)(void *aux, struct ft_offload_flow *flow,
                                     int error, const char *reason),
                      void *aux);

/* Replaces the actions of 'flow', keeping its counters.  Returns 0 or a
 * negative errno with a reason; on failure the rule is as it was (the
 * caller then deletes it and places the megaflow again).  A provider that
 * batches (ft_offload_batches()) may return 0 before the device answered:
 * ft_offload_commit() then reports a refused change like a refused put,
 * with the device's reason, and the rule is gone (the caller places the
 * megaflow in the next tier); the counts the old rule gathered since the
 * last ft_offload_flow_stats() are lost in that case only. */
int ft_offload_flow_modify(struct ft_offload *, struct ft_offload_flow *flow,
                           const struct ft_dp_actions *actions,
                           struct ft_error *err);

/* Removes 'flow'; stores its final counters in '*stats' if nonnull.
 * Returns 0 or a negative errno (the handle dies either way). */
int ft_offload_flow_del(struct ft_offload *, struct ft_offload_flow *flow,
                        struct ft_stats *stats);

/* Removes the 'n' rules 'flows' as ft_offload_flow_del() does each, in
 * one batch where the provider can (TC: the requests back to back, their
 * answers read together): stores flows[i]'s final counters in 'stats[i]'
 * and 0 or a negative errno in 'errors[i]'.  Every handle dies.  A rule
 * the device failed to remove is not forgotten: the provider tries again
 * at later commits, batches of removals and flushes, less and less often,
 * and after a few failed tries gives it up (ft_offload_get_removals()
 * counts it and says why).  Returns how many failed now. */
size_t ft_offload_flow_del_batch(struct ft_offload *,
                                 struct ft_offload_flow *const flows[],
                                 size_t n, struct ft_stats stats[],
                                 int errors[]);

/* What became of the rules a provider failed to remove. */
struct ft_offload_removals {
    uint64_t n_retrying;        /* Still to remove: tried again. */
    uint64_t n_given_up;        /* Given up after the provider's last
                                 * try: left in the device. */
    char last_given_up[FT_ERROR_REASON_MAX];    /* Why the last one was
                                                 * given up, "" if none. */
};

/* Stores in '*r' what became of the rules 'o' failed to remove (all zero
 * for a provider that keeps none). */
void ft_offload_get_removals(const struct ft_offload *o,
                             struct ft_offload_removals *r);

/* Stores the counters of the 'n' rules 'flows' in 'stats', read in one
 * batch.  Returns 0 or a negative errno. */
int ft_offload_flow_stats(struct ft_offload *,
                          struct ft_offload_flow *const flows[], size_t n,
                          struct ft_stats stats[]);

/* Removes every rule whose input port is 'port_no' (FT_PORT_NONE: every
 * rule of the instance).  Their handles die.  Returns 0 or a negative
 * errno. */
int ft_offload_flush(struct ft_offload *, ft_port_no port_no);

/* Appends to 'out' the rule the provider would install for the megaflow
 * 'match' with 'actions', as a person would type it for the provider's own
 * tool, so that it can be checked by hand on real hardware: for TC a
 * 'tc filter add dev DEV ingress protocol ... flower ... action ...'
 * line, for rte_flow a testpmd 'flow create PORT ... pattern ... / end
 * actions ... / end' line.  The text is rendered from the same
 * translation flow_put() installs, not from a second one.  Returns 0, or
 * -EOPNOTSUPP with the reason the provider would refuse the megaflow
 * before asking the device (what only the device can refuse, it cannot
 * know).  Changes nothing in the provider or the device. */
int ft_offload_explain(struct ft_offload *, const struct ft_match *match,
                       const struct ft_dp_actions *actions, struct ds *out,
                       struct ft_error *err);

#endif /* offload/offload.h */

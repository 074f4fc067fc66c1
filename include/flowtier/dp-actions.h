/*
 * dp-actions.h - datapath actions: what a megaflow does to a packet.
 *
 * The translator flattens the OpenFlow pipeline (resubmits, NORMAL, set
 * fields) into a short list of datapath actions that every tier can
 * execute or translate: the userspace executor runs them directly, the TC
 * provider turns them into pedit/vlan/tunnel_key/mirred, the rte_flow
 * provider into RTE_FLOW_ACTION_TYPE_*.
 *
 * An empty list means drop.  Actions run in order on one packet; an output
 * sends a copy of the packet as it is at that point.
 *
 * Set actions are per header, each with a key and a mask (1-bits are
 * written, 0-bits left as they are), as in the Linux openvswitch datapath's
 * OVS_ACTION_ATTR_SET_MASKED.  Fields are in host byte order as in
 * 'struct ft_flow'; the executor converts.  A set action never changes the
 * header's presence: the translator only emits it for packets that have
 * the header (the megaflow matches on the prerequisites).
 *
 * 'struct ft_dp_actions' owns a growable array; ft_dp_actions_uninit()
 * frees it.  Appending may fail only on allocation failure, which the
 * helpers below treat like every other allocation in FlowTier: fatal.
 */
#ifndef FLOWTIER_DP_ACTIONS_H
#define FLOWTIER_DP_ACTIONS_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/flow.h"
#include "flowtier/port.h"

enum ft_dpa_type {
    FT_DPA_OUTPUT,      /* 'port'. */
    FT_DPA_PUSH_VLAN,   /* 'push_vlan': new outermost tag. */
    FT_DPA_POP_VLAN,    /* Removes the outermost tag. */
    FT_DPA_SET_ETH,     /* 'eth'. */
    FT_DPA_SET_IPV4,    /* 'ipv4'. */
    FT_DPA_SET_IPV6,    /* 'ipv6'. */
    FT_DPA_SET_L4,      /* 'l4' (TCP, UDP or SCTP ports, per 'proto'). */
    FT_DPA_SET_TUNNEL,  /* 'tunnel': metadata for a following tunnel
                         * output (encapsulation). */
    FT_DPA_USERSPACE,   /* 'userspace': hand the packet to the daemon. */
};

struct ft_dpa_eth {
    struct ft_eth_addr src, dst;
    struct ft_eth_addr src_mask, dst_mask;
};

struct ft_dpa_ipv4 {
    uint32_t src, dst;
    uint8_t tos, ttl;
    uint32_t src_mask, dst_mask;
    uint8_t tos_mask, ttl_mask;
};

struct ft_dpa_ipv6 {
    struct ft_in6_addr src, dst;
    uint32_t label;
    uint8_t tclass, hlimit;
    struct ft_in6_addr src_mask, dst_mask;
    uint32_t label_mask;
    uint8_t tclass_mask, hlimit_mask;
};

/* Ports of TCP, UDP or SCTP; or, with FT_IPPROTO_ICMP or _ICMPV6, the ICMP
 * type ('src') and code ('dst'), 8 bits each (Open vSwitch's set(icmp())
 * of mod_tp_src / mod_tp_dst on ICMP). */
struct ft_dpa_l4 {
    uint8_t proto;              /* FT_IPPROTO_TCP, _UDP, _SCTP, _ICMP or
                                 * _ICMPV6. */
    uint16_t src, dst;
    uint16_t src_mask, dst_mask;
};

struct ft_dpa_tunnel {
    uint64_t tun_id;
    uint32_t src, dst;          /* Outer IPv4 addresses. */
    uint8_t tos, ttl;
    uint16_t flags;             /* FT_TNL_F_*. */
    uint16_t tp_dst;            /* Outer UDP destination port, 0=default. */
};

enum ft_dpa_userspace_reason {
    FT_USERSPACE_CONTROLLER,    /* OpenFlow CONTROLLER action. */
    FT_USERSPACE_MISS,          /* Datapath miss (upcall). */
    FT_USERSPACE_TABLE_MISS,    /* CONTROLLER action of a table-miss rule
                                 * (priority 0, matching everything): the
                                 * packet-in says "no match". */
    FT_USERSPACE_NO_MATCH,      /* No rule matched and an OpenFlow 1.0
                                 * connection is up: its default table-miss
                                 * is "send to the controller". */
};

struct ft_dpa_userspace {
    uint8_t reason;             /* enum ft_dpa_userspace_reason. */
    uint16_t max_len;           /* Bytes of packet to send; 0xffff = all. */
    uint64_t cookie;            /* Rule cookie, for packet-in. */
    uint8_t table_id;
};

struct ft_dp_action {
    enum ft_dpa_type type;
    union {
        ft_port_no port;
        struct ft_vlan push_vlan;
        struct ft_dpa_eth eth;
        struct ft_dpa_ipv4 ipv4;
        struct ft_dpa_ipv6 ipv6;
        struct ft_dpa_l4 l4;
        struct ft_dpa_tunnel tunnel;
        struct ft_dpa_userspace userspace;
    };
};

struct ft_dp_actions {
    struct ft_dp_action *acts;
    size_t n;
    size_t allocated;
};

#define FT_DP_ACTIONS_INITIALIZER { NULL, 0, 0 }

static inline void
ft_dp_actions_init(struct ft_dp_actions *a)
{
    a->acts = NULL;
    a->n = a->allocated = 0;
}

static inline void
ft_dp_actions_uninit(struct ft_dp_actions *a)
{
    if (a) {
        free(a->acts);
        a->acts = NULL;
        a->n = a->allocated = 0;
    }
}

static inline void
ft_dp_actions_clear(struct ft_dp_actions *a)
{
    a->n = 0;
}

/* Appends a zeroed action of 'type' and returns it for the caller to fill.
 * Aborts on allocation failure. */
static inline struct ft_dp_action *
ft_dp_actions_put(struct ft_dp_actions *a, enum ft_dpa_type type)
{
    struct ft_dp_action *act;

    if (a->n >= a->allocated) {
        size_t n = a->allocated ? a->allocated * 2 : 8;
        struct ft_dp_action *p = realloc(a->acts, n * sizeof *p);

        if (!p) {
            abort();
        }
        a->acts = p;
        a->allocated = n;
    }
    act = &a->acts[a->n++];
    memset(act, 0, sizeof *act);
    act->type = type;
    return act;
}

static inline void
ft_dp_actions_put_output(struct ft_dp_actions *a, ft_port_no port)
{
    ft_dp_actions_put(a, FT_DPA_OUTPUT)->port = port;
}

/* Deep copy: 'dst' must be initialized; its old contents are replaced.
 * A 'dst' with too little room gets exactly what 'src' holds: copies are
 * what megaflows keep (one in the daemon, one per forwarding thread), most
 * hold one or two actions, and the 8 slots an append starts with would be
 * 704 bytes each.  Aborts on allocation failure, as an append does. */
static inline void
ft_dp_actions_copy(struct ft_dp_actions *dst, const struct ft_dp_actions *src)
{
    if (dst->allocated < src->n) {
        struct ft_dp_action *p = realloc(dst->acts, src->n * sizeof *p);

        if (!p) {
            abort();
        }
        dst->acts = p;
        dst->allocated = src->n;
    }
    if (src->n) {
        memcpy(dst->acts, src->acts, src->n * sizeof *src->acts);
    }
    dst->n = src->n;
}

static inline bool
ft_dp_actions_equal(const struct ft_dp_actions *a,
                    const struct ft_dp_actions *b)
{
    return a->n == b->n
           && (!a->n || !memcmp(a->acts, b->acts, a->n * sizeof *a->acts));
}

#endif /* flowtier/dp-actions.h */

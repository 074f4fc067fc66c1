/*
 * kdp.h - the kernel datapath protocol: what flowtier.ko (kmod/) and its
 * userspace client (swpath/dpif-kernel.c) say to each other over generic
 * netlink.  Compiled by both sides, so it uses only <linux/types.h>.
 *
 * Families
 * ========
 *
 *   flowtier_dp      datapaths: NEW, DEL, GET (with its counters), SET
 *                    (the socket upcalls go to, the upcall rate).
 *   flowtier_vport   ports: NEW attaches an existing netdev under a port
 *                    number (or creates an internal one), DEL detaches it
 *                    (deletes an internal one), GET reads one or dumps
 *                    all, SET changes the socket a port's upcalls go to.
 *   flowtier_flow    megaflows: NEW (key + mask + actions) answers the
 *                    flow's id; SET replaces the actions of an id; DEL and
 *                    GET take an id; STATS takes an array of ids and answers
 *                    their counters in one message; GET without an id
 *                    dumps every megaflow with its counters; FLUSH.
 *   flowtier_packet  EXECUTE runs actions on a packet userspace sends;
 *                    MISS and ACTION are the upcalls the module sends to
 *                    the datapath's upcall socket.
 *
 * Every request names its datapath with FT_KDP_ATTR_DP_NAME.  Every
 * attribute of every family is checked against a policy table in the
 * module; a refusal carries an extended-ack message naming the attribute.
 *
 * Keys and masks
 * ==============
 *
 * A key (FT_KDP_FLOW_ATTR_KEY, and the key of an upcall) and a mask
 * (FT_KDP_FLOW_ATTR_MASK) are a 'struct ft_flow' (flowtier/flow-key.h)
 * byte for byte: the module extracts the same fields with the same rules
 * as swpath/flow-extract.c.  Only the fields the module extracts may be
 * masked: OpenFlow metadata and registers must be wildcarded (the module
 * refuses the megaflow otherwise).  Tunnel metadata (tun_id, tun_src,
 * tun_dst, tun_tos, tun_ttl, tun_flags) is the outer header a VXLAN port
 * (FT_KDP_VPORT_VXLAN) received the packet with; it is zero in the key of
 * a packet from any other port.
 *
 * Actions
 * =======
 *
 * FT_KDP_FLOW_ATTR_ACTIONS and FT_KDP_PACKET_ATTR_ACTIONS nest one
 * attribute per action (enum ft_kdp_action), in order.  An empty nest is
 * drop.  Set actions carry a key and a mask (1-bits are written) in host
 * byte order, like FlowTier's datapath actions (flowtier/dp-actions.h).
 * SET_TUNNEL nests enum ft_kdp_tunnel_attr: the outer header a following
 * output to a VXLAN port gives the packet (the module attaches it to the
 * skb as the TX tunnel metadata the VXLAN device encapsulates with).
 */
#ifndef FLOWTIER_KDP_H
#define FLOWTIER_KDP_H 1

#include <linux/types.h>

#define FT_KDP_DP_FAMILY     "flowtier_dp"
#define FT_KDP_VPORT_FAMILY  "flowtier_vport"
#define FT_KDP_FLOW_FAMILY   "flowtier_flow"
#define FT_KDP_PACKET_FAMILY "flowtier_packet"
#define FT_KDP_VERSION 1

#define FT_KDP_NAME_MAX 16          /* With the NUL (IFNAMSIZ). */
#define FT_KDP_MAX_ACTIONS 64       /* Actions in one list. */
#define FT_KDP_STATS_BATCH 1024     /* Ids in one STATS request. */
#define FT_KDP_DEFAULT_UPCALL_RATE 10000  /* Upcalls/s per port. */

/* Attributes every family shares; each family's own follow. */
enum ft_kdp_attr {
    FT_KDP_ATTR_UNSPEC,
    FT_KDP_ATTR_DP_NAME,            /* string: the datapath. */
    FT_KDP_ATTR_PAD,
    FT_KDP_ATTR_FIRST_FAMILY_ATTR   /* First family-specific value. */
};

/* flowtier_dp */
enum ft_kdp_dp_cmd {
    FT_KDP_DP_CMD_UNSPEC,
    FT_KDP_DP_CMD_NEW,
    FT_KDP_DP_CMD_DEL,
    FT_KDP_DP_CMD_GET,
    FT_KDP_DP_CMD_SET,
    __FT_KDP_DP_CMD_MAX
};

enum ft_kdp_dp_attr {
    FT_KDP_DP_ATTR_UPCALL_PID = FT_KDP_ATTR_FIRST_FAMILY_ATTR, /* u32 */
    FT_KDP_DP_ATTR_UPCALL_RATE,     /* u32: upcalls/s per port, >= 1. */
    FT_KDP_DP_ATTR_STATS,           /* struct ft_kdp_dp_stats (reply). */
    __FT_KDP_DP_ATTR_MAX
};
#define FT_KDP_DP_ATTR_MAX (__FT_KDP_DP_ATTR_MAX - 1)

struct ft_kdp_dp_stats {
    __u64 n_hit;                    /* Packets a megaflow matched. */
    __u64 n_missed;                 /* Packets no megaflow matched. */
    __u64 n_upcalls;                /* Misses sent up. */
    __u64 n_lost;                   /* Misses not sent: socket full or
                                     * gone, or the port over its rate. */
    __u64 n_ratelimited;            /* ... of them over the rate. */
    __u64 n_invalid;                /* Frames under 14 bytes, and VXLAN
                                     * packets over IPv6 (the key holds
                                     * IPv4 tunnel addresses only). */
    __u64 n_tx_no_port;             /* Outputs to a missing port. */
    __u64 n_userspace;              /* USERSPACE actions run. */
    __u64 n_userspace_lost;         /* ... whose upcall was not sent. */
    __u64 n_exec_skipped;           /* Actions skipped (header missing). */
    __u32 n_flows;
    __u32 n_masks;
    __u32 upcall_rate;
    __u32 pad;
};

/* flowtier_vport */
enum ft_kdp_vport_cmd {
    FT_KDP_VPORT_CMD_UNSPEC,
    FT_KDP_VPORT_CMD_NEW,
    FT_KDP_VPORT_CMD_DEL,
    FT_KDP_VPORT_CMD_GET,
    FT_KDP_VPORT_CMD_SET,
    __FT_KDP_VPORT_CMD_MAX
};

enum ft_kdp_vport_attr {
    FT_KDP_VPORT_ATTR_PORT_NO = FT_KDP_ATTR_FIRST_FAMILY_ATTR, /* u32 */
    FT_KDP_VPORT_ATTR_IFNAME,       /* string: the netdev to attach. */
    FT_KDP_VPORT_ATTR_IFINDEX,      /* u32 (reply). */
    FT_KDP_VPORT_ATTR_STATS,        /* struct ft_kdp_vport_stats (reply) */
    FT_KDP_VPORT_ATTR_TYPE,         /* u32 enum ft_kdp_vport_type */
    FT_KDP_VPORT_ATTR_UPCALL_PID,   /* u32: the netlink port this port's
                                     * upcalls go to (NEW, SET); 0: the
                                     * datapath's.  One socket per port
                                     * is a queue per port: a port that
                                     * floods misses fills its own. */
    __FT_KDP_VPORT_ATTR_MAX
};
#define FT_KDP_VPORT_ATTR_MAX (__FT_KDP_VPORT_ATTR_MAX - 1)

enum ft_kdp_vport_type {
    FT_KDP_VPORT_NETDEV,            /* Attach the existing IFNAME. */
    FT_KDP_VPORT_INTERNAL,          /* Create IFNAME, the bridge's own
                                     * port: what the host sends on it
                                     * enters the datapath, what the
                                     * datapath outputs to it the host
                                     * receives. */
    FT_KDP_VPORT_VXLAN,             /* Attach the existing IFNAME, a VXLAN
                                     * device in external mode
                                     * (collect_metadata): what it
                                     * decapsulates enters the datapath
                                     * with its outer header in the key's
                                     * tunnel fields; what the datapath
                                     * outputs to it after a SET_TUNNEL is
                                     * encapsulated with that header, and
                                     * anything else is dropped (counted in
                                     * tx_dropped).  The device must be up
                                     * for the kernel to receive on its
                                     * UDP port. */
};

struct ft_kdp_vport_stats {
    __u64 rx_packets, rx_bytes;     /* Into the datapath from the port. */
    __u64 tx_packets, tx_bytes;     /* Out of the datapath to the port. */
    __u64 tx_dropped;               /* Refused by the device's queue. */
    __u64 upcalls, upcalls_lost;    /* This port's misses. */
};

/* flowtier_flow */
enum ft_kdp_flow_cmd {
    FT_KDP_FLOW_CMD_UNSPEC,
    FT_KDP_FLOW_CMD_NEW,
    FT_KDP_FLOW_CMD_DEL,
    FT_KDP_FLOW_CMD_GET,
    FT_KDP_FLOW_CMD_SET,
    FT_KDP_FLOW_CMD_STATS,
    FT_KDP_FLOW_CMD_FLUSH,
    __FT_KDP_FLOW_CMD_MAX
};

enum ft_kdp_flow_attr {
    FT_KDP_FLOW_ATTR_ID = FT_KDP_ATTR_FIRST_FAMILY_ATTR, /* u32 */
    FT_KDP_FLOW_ATTR_KEY,           /* struct ft_flow */
    FT_KDP_FLOW_ATTR_MASK,          /* struct ft_flow */
    FT_KDP_FLOW_ATTR_ACTIONS,       /* nested enum ft_kdp_action */
    FT_KDP_FLOW_ATTR_STATS,         /* struct ft_kdp_flow_stats */
    FT_KDP_FLOW_ATTR_IDS,           /* __u32[] (STATS request) */
    FT_KDP_FLOW_ATTR_STATS_ARRAY,   /* struct ft_kdp_flow_stats[] (reply) */
    __FT_KDP_FLOW_ATTR_MAX
};
#define FT_KDP_FLOW_ATTR_MAX (__FT_KDP_FLOW_ATTR_MAX - 1)

struct ft_kdp_flow_stats {
    __u64 packets;
    __u64 bytes;
    __u64 used_ms;                  /* Milliseconds since the last packet,
                                     * or ~0 if none. */
};

/* flowtier_packet */
enum ft_kdp_packet_cmd {
    FT_KDP_PACKET_CMD_UNSPEC,
    FT_KDP_PACKET_CMD_EXECUTE,      /* userspace -> module */
    FT_KDP_PACKET_CMD_MISS,         /* module -> upcall socket */
    FT_KDP_PACKET_CMD_ACTION,       /* module -> upcall socket: USERSPACE */
    __FT_KDP_PACKET_CMD_MAX
};

enum ft_kdp_packet_attr {
    FT_KDP_PACKET_ATTR_DATA = FT_KDP_ATTR_FIRST_FAMILY_ATTR, /* frame */
    FT_KDP_PACKET_ATTR_IN_PORT,     /* u32 */
    FT_KDP_PACKET_ATTR_KEY,         /* struct ft_flow (upcalls) */
    FT_KDP_PACKET_ATTR_ACTIONS,     /* nested (EXECUTE) */
    FT_KDP_PACKET_ATTR_USERSPACE,   /* struct ft_kdp_userspace (ACTION) */
    FT_KDP_PACKET_ATTR_LEN,         /* u32: frame length before any
                                     * truncation (ACTION) */
    __FT_KDP_PACKET_ATTR_MAX
};
#define FT_KDP_PACKET_ATTR_MAX (__FT_KDP_PACKET_ATTR_MAX - 1)

/* Actions, nested in FT_KDP_*_ATTR_ACTIONS. */
enum ft_kdp_action {
    FT_KDP_ACTION_UNSPEC,
    FT_KDP_ACTION_OUTPUT,           /* u32 port, or FT_PORT_IN_PORT */
    FT_KDP_ACTION_PUSH_VLAN,        /* struct ft_kdp_vlan */
    FT_KDP_ACTION_POP_VLAN,         /* flag */
    FT_KDP_ACTION_SET_ETH,          /* struct ft_kdp_set_eth */
    FT_KDP_ACTION_SET_IPV4,         /* struct ft_kdp_set_ipv4 */
    FT_KDP_ACTION_SET_IPV6,         /* struct ft_kdp_set_ipv6 */
    FT_KDP_ACTION_SET_L4,           /* struct ft_kdp_set_l4 */
    FT_KDP_ACTION_USERSPACE,        /* struct ft_kdp_userspace */
    FT_KDP_ACTION_SET_TUNNEL,       /* nested enum ft_kdp_tunnel_attr */
    __FT_KDP_ACTION_MAX
};
#define FT_KDP_ACTION_MAX (__FT_KDP_ACTION_MAX - 1)

/* Inside FT_KDP_ACTION_SET_TUNNEL: the outer header, host byte order.
 * DST is required; the others default to 0 (SRC 0: the route's source;
 * TTL 0: the route's hop limit; TP_DST 0: the device's UDP port). */
enum ft_kdp_tunnel_attr {
    FT_KDP_TUNNEL_ATTR_UNSPEC,
    FT_KDP_TUNNEL_ATTR_ID,          /* u64: VNI, at most 24 bits. */
    FT_KDP_TUNNEL_ATTR_SRC,         /* u32: outer IPv4 source. */
    FT_KDP_TUNNEL_ATTR_DST,         /* u32: outer IPv4 destination. */
    FT_KDP_TUNNEL_ATTR_TOS,         /* u8 */
    FT_KDP_TUNNEL_ATTR_TTL,         /* u8 */
    FT_KDP_TUNNEL_ATTR_FLAGS,       /* u16: FT_TNL_F_* (flow-key.h). */
    FT_KDP_TUNNEL_ATTR_TP_DST,      /* u16: outer UDP destination port. */
    __FT_KDP_TUNNEL_ATTR_MAX
};
#define FT_KDP_TUNNEL_ATTR_MAX (__FT_KDP_TUNNEL_ATTR_MAX - 1)

struct ft_kdp_vlan {
    __u16 tpid;                     /* 0x8100 or 0x88a8 */
    __u16 tci;                      /* PCP | VID; the CFI bit is ignored */
};

struct ft_kdp_set_eth {
    __u8 src[6], dst[6];
    __u8 src_mask[6], dst_mask[6];
};

struct ft_kdp_set_ipv4 {
    __u32 src, dst, src_mask, dst_mask;
    __u8 tos, ttl, tos_mask, ttl_mask;
};

struct ft_kdp_set_ipv6 {
    __u8 src[16], dst[16], src_mask[16], dst_mask[16];
    __u32 label, label_mask;
    __u8 tclass, hlimit, tclass_mask, hlimit_mask;
};

struct ft_kdp_set_l4 {
    __u8 proto;                     /* 6 (TCP), 17 (UDP) */
    __u8 pad;
    __u16 src, dst, src_mask, dst_mask;
    __u16 pad2;
};

struct ft_kdp_userspace {
    __u64 cookie;
    __u16 max_len;                  /* Bytes of frame to send, 0xffff all */
    __u8 reason;                    /* enum ft_dpa_userspace_reason */
    __u8 table_id;
    __u32 pad;
};

#endif /* flowtier/kdp.h */

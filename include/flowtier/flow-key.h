/*
 * flow-key.h - the flow key's layout and the constants of its fields,
 * shared word for word by userspace (flowtier/flow.h includes it) and by
 * the kernel module (kmod/), which extracts the same key from a packet and
 * accepts it, with a mask of the same layout, in its megaflow table.
 *
 * It must compile in the kernel as well as in userspace: no libc function
 * or type beyond the fixed-width integers, which <linux/types.h> provides
 * in the kernel and <stdint.h> in userspace.  The semantics of every field
 * (host byte order, OVS overlays for ARP and ICMP, VLAN "present" bit) are
 * described in flowtier/flow.h.
 */
#ifndef FLOWTIER_FLOW_KEY_H
#define FLOWTIER_FLOW_KEY_H 1

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

#define FT_ETH_ALEN 6
#define FT_N_REGS 8

/* Ethertypes (host byte order). */
#define FT_ETH_TYPE_IP      0x0800
#define FT_ETH_TYPE_ARP     0x0806
#define FT_ETH_TYPE_VLAN    0x8100  /* 802.1Q */
#define FT_ETH_TYPE_VLAN_AD 0x88a8  /* 802.1ad (QinQ outer tag) */
#define FT_ETH_TYPE_IPV6    0x86dd
#define FT_ETH_TYPE_MIN     0x0600  /* Smaller values are 802.3 lengths. */
#define FT_ETH_TYPE_NONE    0x05ff  /* dl_type of an 802.3 frame w/o SNAP. */

/* IP protocol numbers. */
#define FT_IPPROTO_ICMP   1
#define FT_IPPROTO_TCP    6
#define FT_IPPROTO_UDP    17
#define FT_IPPROTO_ICMPV6 58
#define FT_IPPROTO_SCTP   132

/* VLAN TCI bits.  FT_VLAN_CFI doubles as "tag present", as in OVS. */
#define FT_VLAN_VID_MASK  0x0fff
#define FT_VLAN_CFI       0x1000
#define FT_VLAN_PCP_MASK  0xe000
#define FT_VLAN_PCP_SHIFT 13

/* 'nw_frag' bits. */
#define FT_FRAG_ANY   0x01   /* Packet is a fragment (first or later). */
#define FT_FRAG_LATER 0x02   /* Packet is a fragment other than the first. */
#define FT_FRAG_MASK  (FT_FRAG_ANY | FT_FRAG_LATER)

/* 'nw_tos' parts. */
#define FT_IP_DSCP_MASK 0xfc
#define FT_IP_ECN_MASK  0x03

/* 'tcp_flags': the low 12 bits of the TCP header's flags word. */
#define FT_TCP_FIN 0x001
#define FT_TCP_SYN 0x002
#define FT_TCP_RST 0x004
#define FT_TCP_PSH 0x008
#define FT_TCP_ACK 0x010
#define FT_TCP_URG 0x020
#define FT_TCP_ECE 0x040
#define FT_TCP_CWR 0x080
#define FT_TCP_NS  0x100
#define FT_TCP_FLAGS_MASK 0x0fff

/* 'tun_flags' bits. */
#define FT_TNL_F_DONT_FRAGMENT 0x0001
#define FT_TNL_F_CSUM          0x0002
#define FT_TNL_F_KEY           0x0004

struct ft_eth_addr {
    uint8_t ea[FT_ETH_ALEN];
};

struct ft_in6_addr {
    uint8_t s6[16];
};

struct ft_vlan {
    uint16_t tpid;              /* FT_ETH_TYPE_VLAN or _VLAN_AD; 0 if none. */
    uint16_t tci;               /* PCP | CFI (present) | VID. */
};

struct ft_flow {
    /* Tunnel metadata (word 0-2). */
    uint64_t tun_id;            /* VNI for VXLAN (low 24 bits). */
    uint32_t tun_src;           /* Outer IPv4 source. */
    uint32_t tun_dst;           /* Outer IPv4 destination. */
    uint8_t tun_tos;
    uint8_t tun_ttl;
    uint16_t tun_flags;         /* FT_TNL_F_*. */

    /* Pipeline metadata (words 2-7). */
    uint32_t in_port;           /* OpenFlow port number (ft_port_no). */
    uint64_t metadata;          /* OpenFlow metadata. */
    uint32_t regs[FT_N_REGS];   /* reg0..reg7. */

    /* L2 (words 8-10). */
    struct ft_eth_addr dl_dst;
    struct ft_eth_addr dl_src;
    uint16_t dl_type;           /* Ethertype after any VLAN tags. */
    uint16_t pad1;              /* Always zero. */
    struct ft_vlan vlans[2];    /* [0] outermost. */

    /* L3 (words 11-16). */
    uint32_t nw_src;            /* IPv4 source, or ARP SPA. */
    uint32_t nw_dst;            /* IPv4 destination, or ARP TPA. */
    struct ft_in6_addr ipv6_src;
    struct ft_in6_addr ipv6_dst;
    uint32_t ipv6_label;        /* Flow label, low 20 bits. */
    uint8_t nw_proto;           /* IP protocol, or low 8 bits of ARP op. */
    uint8_t nw_tos;             /* DSCP << 2 | ECN. */
    uint8_t nw_ttl;             /* TTL / hop limit. */
    uint8_t nw_frag;            /* FT_FRAG_*. */

    /* ARP hardware addresses (words 17-18). */
    struct ft_eth_addr arp_sha;
    struct ft_eth_addr arp_tha;

    /* L4 (word 18-19). */
    uint16_t tp_src;            /* L4 source port, or ICMP type. */
    uint16_t tp_dst;            /* L4 destination port, or ICMP code. */
    uint16_t tcp_flags;         /* FT_TCP_*. */
    uint16_t pad2[3];           /* Always zero. */
};

#endif /* flowtier/flow-key.h */

/*
 * packet.h - a packet buffer and a fixed-size batch of packets.
 *
 * The software datapath moves frames around as 'struct ft_packet': a
 * pointer into memory the packet does not own (a port's receive ring, a
 * test's array, a stack buffer), the frame's offset and length in it, and
 * the offsets of the L3 and L4 headers as found by ft_packet_parse().
 * Memory before the frame is headroom: a VLAN tag can be pushed by moving
 * the 12 address bytes 4 bytes to the front instead of copying the frame.
 *
 * Nothing here allocates.  A 'struct ft_packet_batch' holds up to
 * FT_PACKET_BATCH_MAX pointers to packets whose storage the caller keeps
 * (one receive burst).
 *
 * Header offsets
 * ==============
 *
 * 'l3_ofs' and 'l4_ofs' count from the first byte of the frame and are
 * FT_PACKET_OFS_NONE when the header is absent, truncated or malformed.
 * ft_packet_parse() follows the same rules as ft_flow_extract() (see
 * swpath/flow-extract.h): up to 2 VLAN tags; an IPv4 header needs IHL >= 5
 * and a total length that fits the frame; an IPv6 header's payload must fit
 * the frame and its extension header chain the payload; a later IP
 * fragment has no L4 header.  'l4_end' is where the IP datagram ends (bytes
 * after it are Ethernet padding), so L4 code never reads padding.
 *
 * The executor keeps the offsets right across VLAN push and pop; any other
 * code that moves headers must call ft_packet_parse() again.
 *
 * Buffers a port may take (zero-copy transmit)
 * ============================================
 *
 * A packet received from a DPDK port lives in an mbuf that the receiving
 * port keeps until its next receive.  'mbuf_slot' then points to where the
 * port keeps it (else it is NULL).  Whoever hands the packet to a port's
 * tx() for the last time (its last action is an output) may set
 * 'may_steal': a DPDK port then sends the mbuf itself instead of a copy,
 * taking it from the slot (setting '*mbuf_slot' to NULL), so the receiving
 * port no longer frees it.  An AF_PACKET ("system" or "tap") port sends
 * the bytes where they are, without copying them first, at its next
 * tx_flush(): so whoever sets 'may_steal' neither changes nor reuses the
 * packet's storage before flushing the port (the datapath flushes at the
 * end of each received batch).  Every other class ignores both fields and
 * copies, as tx() always does.
 *
 * Offloads: partial checksums and super-frames (GSO)
 * ==================================================
 *
 * A port that exchanges virtio-net headers with the kernel (see
 * swpath/netdev.h, "Checksum offload and large frames") may hand over a
 * frame whose L4 checksum is still to be computed (FT_PACKET_OFL_CSUM: the
 * checksum field holds only the folded pseudo-header sum, as Linux's
 * CHECKSUM_PARTIAL), and a TCP or UDP super-frame of up to 64 KiB that is
 * to be cut into segments of 'gso_size' payload bytes (FT_PACKET_GSO_*),
 * one set of headers copied onto each.  'offload' says so.  The checksum
 * always starts at the L4 header ('l4_ofs'), so the executor's offset
 * bookkeeping (VLAN push and pop) keeps it right; the executor keeps the
 * pseudo-header sum right across address rewrites and leaves it alone
 * across port rewrites (ports are summed when the checksum is completed).
 * A frame with offloads goes out as it is only to a port that takes them;
 * ft_netdev_tx() completes or segments it in software for any other.
 *
 * Thread-safety: a packet belongs to one thread at a time.
 */
#ifndef SWPATH_PACKET_H
#define SWPATH_PACKET_H 1

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flowtier/flow.h"
#include "flowtier/port.h"

/* Headroom that receive paths should leave before a frame: room for two
 * pushed VLAN tags and an outer tunnel header. */
#define FT_PACKET_HEADROOM 128

#define FT_PACKET_BATCH_MAX 32

#define FT_PACKET_OFS_NONE UINT32_MAX

#define FT_ETH_HEADER_LEN 14
#define FT_VLAN_HEADER_LEN 4
#define FT_IPV4_HEADER_LEN 20
#define FT_IPV6_HEADER_LEN 40

/* 'flags' bits. */
#define FT_PACKET_F_IPV6_RH 0x01    /* IPv6 routing header with segments
                                     * left: the pseudo-header's destination
                                     * is not the IPv6 header's. */

/* Tunnel metadata recorded by a SET_TUNNEL action, for the tunnel port that
 * outputs the packet next. */
struct ft_packet_tunnel {
    bool valid;
    uint8_t tos, ttl;
    uint16_t flags;             /* FT_TNL_F_*. */
    uint16_t tp_dst;            /* Outer UDP destination port, 0=default. */
    uint32_t src, dst;          /* Outer IPv4 addresses, host order. */
    uint64_t tun_id;
};

/* 'offload.flags' bits. */
#define FT_PACKET_OFL_CSUM 0x01     /* L4 checksum partial (see above). */

/* 'offload.gso_type' values (those of the virtio-net header). */
#define FT_PACKET_GSO_NONE 0
#define FT_PACKET_GSO_TCPV4 1
#define FT_PACKET_GSO_TCPV6 4
#define FT_PACKET_GSO_UDP_L4 5
#define FT_PACKET_GSO_ECN 0x80      /* Flag: TCP with ECN (CWR set). */

/* What the sender left for the device to do (see "Offloads" above).  All
 * zero for an ordinary frame. */
struct ft_packet_offload {
    uint8_t flags;              /* FT_PACKET_OFL_*. */
    uint8_t gso_type;           /* FT_PACKET_GSO_*, with ECN flag. */
    uint16_t gso_size;          /* Payload bytes per segment. */
    uint16_t csum_offset;       /* Checksum field, from 'l4_ofs'. */
};

struct ft_packet {
    uint8_t *base;              /* Start of the memory (not owned). */
    uint32_t allocated;         /* Bytes at 'base'. */
    uint32_t data_ofs;          /* The frame starts at base + data_ofs. */
    uint32_t size;              /* Frame length in bytes. */

    /* Found by ft_packet_parse(); offsets from the start of the frame. */
    uint32_t l3_ofs;            /* IPv4 or IPv6 header. */
    uint32_t l4_ofs;            /* TCP/UDP/SCTP/ICMP header. */
    uint32_t l4_end;            /* End of the IP datagram. */
    uint16_t eth_type;          /* Ethertype after the VLAN tags. */
    uint8_t l4_proto;           /* IP protocol of the L4 header. */
    uint8_t flags;              /* FT_PACKET_F_*. */

    ft_port_no in_port;
    bool may_steal;             /* tx() may take the buffer (see above). */
    void **mbuf_slot;           /* Where the receiving port keeps the
                                 * DPDK mbuf holding the frame, or NULL. */
    struct ft_packet_tunnel tunnel;
    struct ft_packet_offload offload;
};

struct ft_packet_batch {
    size_t count;
    struct ft_packet *packets[FT_PACKET_BATCH_MAX];
};

/* Makes 'pkt' an empty frame in the 'allocated' bytes at 'base', leaving
 * 'headroom' bytes free in front (clamped to 'allocated'). */
static inline void
ft_packet_init(struct ft_packet *pkt, void *base, size_t allocated,
               size_t headroom)
{
    memset(pkt, 0, sizeof *pkt);
    pkt->base = base;
    pkt->allocated = allocated;
    pkt->data_ofs = headroom < allocated ? headroom : allocated;
    pkt->l3_ofs = pkt->l4_ofs = FT_PACKET_OFS_NONE;
    pkt->in_port = FT_PORT_NONE;
}

static inline uint8_t *
ft_packet_data(const struct ft_packet *pkt)
{
    return pkt->base + pkt->data_ofs;
}

static inline size_t
ft_packet_headroom(const struct ft_packet *pkt)
{
    return pkt->data_ofs;
}

static inline size_t
ft_packet_tailroom(const struct ft_packet *pkt)
{
    return pkt->allocated - pkt->data_ofs - pkt->size;
}

/* Byte access to unaligned big-endian fields. */
static inline uint16_t
ft_packet_get_be16(const uint8_t *p)
{
    return (uint16_t) (p[0] << 8 | p[1]);
}

static inline void
ft_packet_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static inline uint32_t
ft_packet_get_be32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}

static inline void
ft_packet_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

/* Finds the end of the IPv6 extension header chain that starts after the
 * fixed header at 'l3' (offset in the frame), with 'nh' the fixed header's
 * next header, within the datagram ending at 'end'.  Sets 'l4_ofs' and
 * 'l4_proto' if an upper-layer header starts inside the datagram. */
static inline void
ft_packet_parse_ipv6_ext(struct ft_packet *pkt, uint32_t l3, uint8_t nh,
                         uint32_t end)
{
    const uint8_t *data = ft_packet_data(pkt);
    uint32_t ofs = l3 + FT_IPV6_HEADER_LEN;

    for (int i = 0; i < 8; i++) {
        const uint8_t *h = data + ofs;
        uint32_t len;

        if (nh != 0 && nh != 43 && nh != 60 && nh != 51 && nh != 44) {
            break;
        }
        if (end - ofs < 8) {
            return;             /* Chain does not fit the payload. */
        }
        if (nh == 44) {
            if (ft_packet_get_be16(h + 2) & 0xfff8) {
                return;         /* Later fragment: no L4 header. */
            }
            len = 8;
        } else if (nh == 51) {
            len = (h[1] + 2u) * 4;
        } else {
            len = (h[1] + 1u) * 8;
            if (nh == 43 && h[3]) {
                pkt->flags |= FT_PACKET_F_IPV6_RH;
            }
        }
        if (end - ofs < len) {
            return;
        }
        nh = h[0];
        ofs += len;
    }
    if (nh == 0 || nh == 43 || nh == 60 || nh == 51 || nh == 44) {
        return;                 /* Chain too long to follow. */
    }
    pkt->l4_ofs = ofs;
    pkt->l4_proto = nh;
}

/* Finds the L3 and L4 headers of the frame in 'pkt' and sets 'eth_type',
 * 'l3_ofs', 'l4_ofs', 'l4_end', 'l4_proto' and 'flags' (see the top of this
 * file).  Reads nothing beyond the frame.  Bounded work: at most 2 VLAN
 * tags and 8 IPv6 extension headers. */
static inline void
ft_packet_parse(struct ft_packet *pkt)
{
    const uint8_t *data = ft_packet_data(pkt);
    uint32_t size = pkt->size;
    uint32_t ofs = 12;

    pkt->l3_ofs = pkt->l4_ofs = FT_PACKET_OFS_NONE;
    pkt->l4_end = 0;
    pkt->l4_proto = 0;
    pkt->flags = 0;
    pkt->eth_type = 0;
    if (size < FT_ETH_HEADER_LEN) {
        return;
    }
    pkt->eth_type = ft_packet_get_be16(data + ofs);
    for (int i = 0; i < 2; i++) {
        if ((pkt->eth_type != FT_ETH_TYPE_VLAN
             && pkt->eth_type != FT_ETH_TYPE_VLAN_AD)
            || size - ofs < 2 + FT_VLAN_HEADER_LEN) {
            break;
        }
        ofs += FT_VLAN_HEADER_LEN;
        pkt->eth_type = ft_packet_get_be16(data + ofs);
    }
    ofs += 2;

    if (pkt->eth_type == FT_ETH_TYPE_IP) {
        const uint8_t *ip = data + ofs;
        uint32_t ihl, tot_len;

        if (size - ofs < FT_IPV4_HEADER_LEN || ip[0] >> 4 != 4) {
            return;
        }
        ihl = (ip[0] & 0x0f) * 4u;
        tot_len = ft_packet_get_be16(ip + 2);
        if (ihl < FT_IPV4_HEADER_LEN || tot_len < ihl
            || tot_len > size - ofs) {
            return;
        }
        pkt->l3_ofs = ofs;
        pkt->l4_end = ofs + tot_len;
        if (!(ft_packet_get_be16(ip + 6) & 0x1fff)) {
            pkt->l4_ofs = ofs + ihl;
            pkt->l4_proto = ip[9];
        }
    } else if (pkt->eth_type == FT_ETH_TYPE_IPV6) {
        const uint8_t *ip = data + ofs;
        uint32_t plen;

        if (size - ofs < FT_IPV6_HEADER_LEN || ip[0] >> 4 != 6) {
            return;
        }
        plen = ft_packet_get_be16(ip + 4);
        if (plen > size - ofs - FT_IPV6_HEADER_LEN) {
            return;
        }
        pkt->l3_ofs = ofs;
        pkt->l4_end = ofs + FT_IPV6_HEADER_LEN + plen;
        ft_packet_parse_ipv6_ext(pkt, ofs, ip[6], pkt->l4_end);
    }
}

/* Copies the 'len' bytes at 'frame' into 'pkt' as its frame, keeping the
 * current headroom, and parses it.  Returns 0, or -ENOSPC (packet
 * unchanged) if they do not fit. */
static inline int
ft_packet_set_frame(struct ft_packet *pkt, const void *frame, size_t len)
{
    if (len > pkt->allocated - pkt->data_ofs) {
        return -ENOSPC;
    }
    if (len) {
        memcpy(ft_packet_data(pkt), frame, len);
    }
    pkt->size = len;
    ft_packet_parse(pkt);
    return 0;
}

/* True if 'pkt' carries work left for the device: a partial checksum or
 * a super-frame to segment. */
static inline bool
ft_packet_has_offload(const struct ft_packet *pkt)
{
    return pkt->offload.flags != 0;
}

static inline bool
ft_packet_has_l3(const struct ft_packet *pkt)
{
    return pkt->l3_ofs != FT_PACKET_OFS_NONE;
}

static inline bool
ft_packet_has_l4(const struct ft_packet *pkt)
{
    return pkt->l4_ofs != FT_PACKET_OFS_NONE;
}

/* Bytes of L4 header and payload, up to the end of the IP datagram. */
static inline size_t
ft_packet_l4_size(const struct ft_packet *pkt)
{
    return ft_packet_has_l4(pkt) ? pkt->l4_end - pkt->l4_ofs : 0;
}

static inline void
ft_packet_batch_init(struct ft_packet_batch *batch)
{
    batch->count = 0;
}

/* Adds 'pkt' to 'batch'.  Returns false if the batch is full. */
static inline bool
ft_packet_batch_add(struct ft_packet_batch *batch, struct ft_packet *pkt)
{
    if (batch->count >= FT_PACKET_BATCH_MAX) {
        return false;
    }
    batch->packets[batch->count++] = pkt;
    return true;
}

static inline bool
ft_packet_batch_is_full(const struct ft_packet_batch *batch)
{
    return batch->count >= FT_PACKET_BATCH_MAX;
}

#endif /* swpath/packet.h */

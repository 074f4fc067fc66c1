/*
 * gso.c - software segmentation (GSO) and checksum completion for frames
 * that carry offloads, for ports that cannot take them (see gso.h).
 *
 * Sits in the software datapath below the port classes: reads a parsed
 * 'struct ft_packet', writes only into the caller's buffer, and completes
 * checksums with ft_netdev_complete_csum().  No state, no allocation.
 */
#include "gso.h"

#include <errno.h>
#include <string.h>

#include "netdev.h"

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_CWR 0x80

/* Recomputes the IPv4 header checksum of the header at 'ip'. */
static void
gso_ipv4_csum(uint8_t *ip)
{
    size_t ihl = (ip[0] & 0x0f) * 4u;
    uint32_t sum = 0;

    ip[10] = ip[11] = 0;
    for (size_t i = 0; i < ihl; i += 2) {
        sum += (uint32_t) (ip[i] << 8 | ip[i + 1]);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    ft_packet_put_be16(ip + 10, (uint16_t) ~sum);
}

/* What a super-frame's headers say about its segmentation. */
struct gso_plan {
    bool tcp;
    uint32_t hdr_len;           /* Bytes copied onto every segment. */
    uint32_t payload;           /* Payload bytes of the whole frame. */
    uint32_t mss;               /* Payload bytes per segment. */
};

/* Checks the offload of 'pkt' against its headers and fills 'plan'.
 * Returns 0, -EINVAL or -EOPNOTSUPP (see ft_gso_apply()). */
static int
gso_plan(const struct ft_packet *pkt, struct gso_plan *plan)
{
    uint8_t type = pkt->offload.gso_type & ~FT_PACKET_GSO_ECN;
    const uint8_t *l4;
    size_t l4_size;

    if (!ft_packet_has_l3(pkt) || !ft_packet_has_l4(pkt)) {
        return -EINVAL;
    }
    l4 = ft_packet_data(pkt) + pkt->l4_ofs;
    l4_size = ft_packet_l4_size(pkt);
    switch (type) {
    case FT_PACKET_GSO_TCPV4:
    case FT_PACKET_GSO_TCPV6:
        if (pkt->l4_proto != FT_IPPROTO_TCP || l4_size < 20
            || (l4[12] >> 4) * 4u < 20 || (l4[12] >> 4) * 4u > l4_size
            || (type == FT_PACKET_GSO_TCPV4)
               != (pkt->eth_type == FT_ETH_TYPE_IP)) {
            return -EINVAL;
        }
        plan->tcp = true;
        plan->hdr_len = pkt->l4_ofs + (l4[12] >> 4) * 4u;
        break;
    case FT_PACKET_GSO_UDP_L4:
        if (pkt->l4_proto != FT_IPPROTO_UDP || l4_size < 8) {
            return -EINVAL;
        }
        plan->tcp = false;
        plan->hdr_len = pkt->l4_ofs + 8;
        break;
    default:
        return -EOPNOTSUPP;
    }
    plan->payload = pkt->l4_end - plan->hdr_len;
    plan->mss = pkt->offload.gso_size;
    return plan->mss ? 0 : -EINVAL;
}

/* Makes 'seg' (built in 'buf') the frame of 'size' bytes there, with the
 * metadata of 'pkt', parses it and completes its checksums. */
static int
gso_finish(const struct ft_packet *pkt, struct ft_packet *seg, uint8_t *buf,
           size_t buf_size, size_t size)
{
    ft_packet_init(seg, buf, buf_size, FT_PACKET_HEADROOM);
    seg->size = size;
    seg->in_port = pkt->in_port;
    seg->tunnel = pkt->tunnel;
    ft_packet_parse(seg);
    if (seg->eth_type == FT_ETH_TYPE_IP && ft_packet_has_l3(seg)) {
        gso_ipv4_csum(ft_packet_data(seg) + seg->l3_ofs);
    }
    return ft_netdev_complete_csum(seg);
}

/* Writes segment 'i' (payload bytes 'off' to 'off + len' of 'pkt') into
 * 'buf' and fixes its IP and L4 headers, but not yet the checksums. */
static void
gso_build(const struct ft_packet *pkt, const struct gso_plan *plan,
          uint8_t *buf, uint32_t i, uint32_t off, uint32_t len)
{
    const uint8_t *src = ft_packet_data(pkt);
    uint8_t *dst = buf + FT_PACKET_HEADROOM;
    uint8_t *ip = dst + pkt->l3_ofs;
    uint8_t *l4 = dst + pkt->l4_ofs;
    uint32_t ip_len = plan->hdr_len - pkt->l3_ofs + len;
    bool last = off + len >= plan->payload;

    memcpy(dst, src, plan->hdr_len);
    memcpy(dst + plan->hdr_len, src + plan->hdr_len + off, len);
    if (pkt->eth_type == FT_ETH_TYPE_IP) {
        ft_packet_put_be16(ip + 2, ip_len);
        ft_packet_put_be16(ip + 4, (uint16_t) ((ip[4] << 8 | ip[5]) + i));
    } else {
        ft_packet_put_be16(ip + 4, ip_len - FT_IPV6_HEADER_LEN);
    }
    if (plan->tcp) {
        ft_packet_put_be32(l4 + 4, ft_packet_get_be32(l4 + 4) + off);
        if (!last) {
            l4[13] &= ~(TCP_FLAG_FIN | TCP_FLAG_PSH);
        }
        if (i) {
            l4[13] &= ~TCP_FLAG_CWR;
        }
    } else {
        ft_packet_put_be16(l4 + 4, 8 + len);
    }
}

int
ft_gso_apply(const struct ft_packet *pkt, uint8_t *buf, size_t buf_size,
             ft_gso_emit_cb *emit, void *aux)
{
    struct ft_packet seg;
    struct gso_plan plan;
    int n = 0, first_error = 0;
    uint32_t i = 0, off = 0;

    if (pkt->offload.gso_type == FT_PACKET_GSO_NONE) {
        if (FT_PACKET_HEADROOM + (size_t) pkt->size > buf_size) {
            return -ENOSPC;
        }
        memcpy(buf + FT_PACKET_HEADROOM, ft_packet_data(pkt), pkt->size);
        if (gso_finish(pkt, &seg, buf, buf_size, pkt->size)) {
            return -EINVAL;
        }
        first_error = emit(aux, &seg);
        return first_error ? first_error : 1;
    }

    int error = gso_plan(pkt, &plan);
    if (error) {
        return error;
    }
    if (FT_PACKET_HEADROOM + (size_t) plan.hdr_len
        + (plan.payload < plan.mss ? plan.payload : plan.mss) > buf_size) {
        return -ENOSPC;
    }
    do {
        uint32_t len = plan.payload - off < plan.mss
                       ? plan.payload - off : plan.mss;

        gso_build(pkt, &plan, buf, i, off, len);
        error = gso_finish(pkt, &seg, buf, buf_size, plan.hdr_len + len);
        if (!error) {
            error = emit(aux, &seg);
        }
        if (error && !first_error) {
            first_error = error;
        }
        n++;
        i++;
        off += len;
    } while (off < plan.payload);
    return first_error ? first_error : n;
}

/*
 * vxlan.c - the VXLAN wire format: outer header construction, VXLAN
 * header parsing and the outer source port hash (swpath/vxlan.h).
 *
 * Part of the software datapath; pure functions, no state, no I/O.
 */
#include "vxlan.h"

#include <errno.h>
#include <string.h>

static void
put16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static void
put32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static uint16_t
ipv4_csum(const uint8_t *h)
{
    uint32_t sum = 0;

    for (size_t i = 0; i < FT_IPV4_HEADER_LEN; i += 2) {
        sum += (uint32_t) (h[i] << 8 | h[i + 1]);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t) ~sum;
}

void
ft_vxlan_build_header(const struct ft_vxlan_outer *o, size_t inner_len,
                      uint8_t hdr[])
{
    uint8_t *ip = hdr + FT_ETH_HEADER_LEN;
    uint8_t *udp = ip + FT_IPV4_HEADER_LEN;
    uint8_t *vx = udp + FT_UDP_HEADER_LEN;
    size_t udp_len = FT_UDP_HEADER_LEN + FT_VXLAN_HEADER_LEN + inner_len;

    memcpy(hdr, o->eth_dst.ea, FT_ETH_ALEN);
    memcpy(hdr + FT_ETH_ALEN, o->eth_src.ea, FT_ETH_ALEN);
    put16(hdr + 12, FT_ETH_TYPE_IP);

    ip[0] = 0x45;
    ip[1] = o->tos;
    put16(ip + 2, (uint16_t) (FT_IPV4_HEADER_LEN + udp_len));
    put16(ip + 4, o->ip_id);
    put16(ip + 6, o->df ? 0x4000 : 0);
    ip[8] = o->ttl;
    ip[9] = FT_IPPROTO_UDP;
    put16(ip + 10, 0);
    put32(ip + 12, o->ip_src);
    put32(ip + 16, o->ip_dst);
    put16(ip + 10, ipv4_csum(ip));

    put16(udp, o->udp_src);
    put16(udp + 2, o->udp_dst);
    put16(udp + 4, (uint16_t) udp_len);
    put16(udp + 6, 0);

    memset(vx, 0, FT_VXLAN_HEADER_LEN);
    vx[0] = FT_VXLAN_FLAG_VNI;
    vx[4] = o->vni >> 16;
    vx[5] = o->vni >> 8;
    vx[6] = o->vni;
}

int
ft_vxlan_parse_header(const uint8_t *p, size_t len, uint32_t *vni)
{
    if (len < FT_VXLAN_HEADER_LEN + FT_ETH_HEADER_LEN
        || !(p[0] & FT_VXLAN_FLAG_VNI)) {
        return -EINVAL;
    }
    *vni = (uint32_t) p[4] << 16 | (uint32_t) p[5] << 8 | p[6];
    return 0;
}

static uint32_t
hash_bytes(uint32_t hash, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i += 4) {
        hash = ft_hash_add(hash, (uint32_t) p[i] << 24 | p[i + 1] << 16
                           | p[i + 2] << 8 | p[i + 3]);
    }
    for (size_t i = n & ~(size_t) 3; i < n; i++) {
        hash = ft_hash_add(hash, p[i]);
    }
    return hash;
}

uint16_t
ft_vxlan_src_port(const struct ft_packet *pkt)
{
    const uint8_t *data = ft_packet_data(pkt);
    uint32_t hash = 0;

    if (pkt->size >= 12) {
        hash = hash_bytes(hash, data, 12);
    }
    if (ft_packet_has_l3(pkt)) {
        const uint8_t *l3 = data + pkt->l3_ofs;

        if (pkt->eth_type == FT_ETH_TYPE_IP) {
            hash = hash_bytes(hash, l3 + 12, 8);
            hash = ft_hash_add(hash, l3[9]);
        } else {
            hash = hash_bytes(hash, l3 + 8, 32);
        }
    }
    if (ft_packet_has_l4(pkt) && pkt->l4_end - pkt->l4_ofs >= 4
        && (pkt->l4_proto == FT_IPPROTO_TCP
            || pkt->l4_proto == FT_IPPROTO_UDP
            || pkt->l4_proto == FT_IPPROTO_SCTP)) {
        hash = ft_hash_add(hash, pkt->l4_proto);
        hash = hash_bytes(hash, data + pkt->l4_ofs, 4);
    }
    hash = ft_hash_finish(hash, 0);
    return (uint16_t) (32768 + hash % (61000 - 32768));
}

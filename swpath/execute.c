/*
 * execute.c - the software datapath's action executor.
 *
 * Runs a megaflow's datapath actions on one packet at a time, rewriting the
 * frame in place (VLAN push uses the headroom) and keeping the IPv4 header
 * and L4 checksums right with incremental updates (partial checksums of
 * offloaded frames too: see swpath/packet.h, "Offloads").  Every access is checked
 * against the header offsets of 'struct ft_packet', which ft_packet_parse()
 * validated against the frame length.  No allocation, no global state.
 */
#include "execute.h"

#include <errno.h>
#include <string.h>

static inline uint32_t
get_le32(const uint8_t *p)
{
    return (uint32_t) p[3] << 24 | (uint32_t) p[2] << 16
           | (uint32_t) p[1] << 8 | p[0];
}

static inline void
put_le32(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

/* Internet checksum, incremental (RFC 1624, eqn. 3):
 * HC' = ~(~HC + ~m + m'), all 16-bit words as read big-endian. */
static uint16_t
csum_update16(uint16_t csum, uint16_t old, uint16_t new)
{
    uint32_t sum = (uint16_t) ~csum + (uint32_t) (uint16_t) ~old + new;

    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return ~sum;
}

static uint16_t
csum_update32(uint16_t csum, uint32_t old, uint32_t new)
{
    csum = csum_update16(csum, old >> 16, new >> 16);
    return csum_update16(csum, old & 0xffff, new & 0xffff);
}

/* Updates the 16-bit checksum at 'p' for 'n' bytes at 'old' becoming the
 * bytes at 'new' ('n' even). */
static void
csum_update_bytes(uint8_t *p, const uint8_t *old, const uint8_t *new,
                  size_t n)
{
    uint16_t csum = ft_packet_get_be16(p);

    for (size_t i = 0; i < n; i += 2) {
        csum = csum_update16(csum, ft_packet_get_be16(old + i),
                             ft_packet_get_be16(new + i));
    }
    ft_packet_put_be16(p, csum);
}

/* Where the checksum that covers the pseudo-header lives in the L4 header
 * of 'pkt', or NULL if there is none (or it is absent, or UDP's "no
 * checksum"). */
static uint8_t *
l4_pseudo_csum(struct ft_packet *pkt, bool *is_udp)
{
    uint8_t *l4;
    size_t size = ft_packet_l4_size(pkt);

    *is_udp = false;
    if (!ft_packet_has_l4(pkt)) {
        return NULL;
    }
    l4 = ft_packet_data(pkt) + pkt->l4_ofs;
    switch (pkt->l4_proto) {
    case FT_IPPROTO_TCP:
        return size >= 20 ? l4 + 16 : NULL;
    case FT_IPPROTO_UDP:
        if (size < 8 || !ft_packet_get_be16(l4 + 6)) {
            return NULL;
        }
        *is_udp = true;
        return l4 + 6;
    case FT_IPPROTO_ICMPV6:
        return (pkt->eth_type == FT_ETH_TYPE_IPV6 && size >= 4
                ? l4 + 2 : NULL);
    default:
        return NULL;
    }
}

/* Folds a change of the 'n' pseudo-header bytes at 'old' into the L4
 * checksum of 'pkt', if it has one. */
static void
l4_pseudo_update(struct ft_packet *pkt, const uint8_t *old,
                 const uint8_t *new, size_t n)
{
    bool is_udp;
    uint8_t *csum = l4_pseudo_csum(pkt, &is_udp);

    if (!csum) {
        return;
    }
    if (pkt->offload.flags & FT_PACKET_OFL_CSUM) {
        /* The field holds the pseudo-header sum itself, not its
         * complement: update the complement of it. */
        ft_packet_put_be16(csum, ~ft_packet_get_be16(csum));
        csum_update_bytes(csum, old, new, n);
        ft_packet_put_be16(csum, ~ft_packet_get_be16(csum));
        return;
    }
    csum_update_bytes(csum, old, new, n);
    if (is_udp && !ft_packet_get_be16(csum)) {
        ft_packet_put_be16(csum, 0xffff);
    }
}

/* Writes the masked 'n' bytes of 'key' under 'mask' into 'dst'. */
static void
set_masked_bytes(uint8_t *dst, const uint8_t *key, const uint8_t *mask,
                 size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[i] = (dst[i] & ~mask[i]) | (key[i] & mask[i]);
    }
}

static int
exec_set_eth(struct ft_packet *pkt, const struct ft_dpa_eth *a)
{
    uint8_t *eth = ft_packet_data(pkt);

    if (pkt->size < FT_ETH_HEADER_LEN) {
        return -EINVAL;
    }
    set_masked_bytes(eth, a->dst.ea, a->dst_mask.ea, FT_ETH_ALEN);
    set_masked_bytes(eth + FT_ETH_ALEN, a->src.ea, a->src_mask.ea,
                     FT_ETH_ALEN);
    return 0;
}

static int
exec_push_vlan(struct ft_packet *pkt, const struct ft_vlan *vlan)
{
    uint8_t *eth;

    if (pkt->size < FT_ETH_HEADER_LEN) {
        return -EINVAL;
    }
    if (ft_packet_headroom(pkt) >= FT_VLAN_HEADER_LEN) {
        uint8_t macs[2 * FT_ETH_ALEN];

        /* Through a copy of fixed size, which the compiler turns into two
         * loads and two stores (memmove() would be a library call). */
        pkt->data_ofs -= FT_VLAN_HEADER_LEN;
        eth = ft_packet_data(pkt);
        memcpy(macs, eth + FT_VLAN_HEADER_LEN, sizeof macs);
        memcpy(eth, macs, sizeof macs);
    } else if (ft_packet_tailroom(pkt) >= FT_VLAN_HEADER_LEN) {
        eth = ft_packet_data(pkt);
        memmove(eth + 2 * FT_ETH_ALEN + FT_VLAN_HEADER_LEN,
                eth + 2 * FT_ETH_ALEN, pkt->size - 2 * FT_ETH_ALEN);
    } else {
        return -ENOSPC;
    }
    /* On the wire the CFI/DEI bit is 0: in 'tci' it means "present". */
    ft_packet_put_be16(eth + 12, vlan->tpid);
    ft_packet_put_be16(eth + 14, vlan->tci & ~FT_VLAN_CFI);
    pkt->size += FT_VLAN_HEADER_LEN;
    if (ft_packet_has_l3(pkt)) {
        pkt->l3_ofs += FT_VLAN_HEADER_LEN;
        pkt->l4_end += FT_VLAN_HEADER_LEN;
    }
    if (ft_packet_has_l4(pkt)) {
        pkt->l4_ofs += FT_VLAN_HEADER_LEN;
    }
    return 0;
}

static int
exec_pop_vlan(struct ft_packet *pkt)
{
    uint8_t *eth = ft_packet_data(pkt);
    uint16_t tpid;

    if (pkt->size < FT_ETH_HEADER_LEN + FT_VLAN_HEADER_LEN) {
        return -EINVAL;
    }
    tpid = ft_packet_get_be16(eth + 12);
    if (tpid != FT_ETH_TYPE_VLAN && tpid != FT_ETH_TYPE_VLAN_AD) {
        return -EINVAL;
    }
    memmove(eth + FT_VLAN_HEADER_LEN, eth, 2 * FT_ETH_ALEN);
    pkt->data_ofs += FT_VLAN_HEADER_LEN;
    pkt->size -= FT_VLAN_HEADER_LEN;
    if (pkt->eth_type == FT_ETH_TYPE_VLAN
        || pkt->eth_type == FT_ETH_TYPE_VLAN_AD) {
        /* A tag the parser did not look past may now be followed. */
        ft_packet_parse(pkt);
    } else {
        if (ft_packet_has_l3(pkt)) {
            pkt->l3_ofs -= FT_VLAN_HEADER_LEN;
            pkt->l4_end -= FT_VLAN_HEADER_LEN;
        }
        if (ft_packet_has_l4(pkt)) {
            pkt->l4_ofs -= FT_VLAN_HEADER_LEN;
        }
    }
    return 0;
}

static uint8_t
masked8(uint8_t old, uint8_t key, uint8_t mask)
{
    return (old & ~mask) | (key & mask);
}

static uint32_t
masked32(uint32_t old, uint32_t key, uint32_t mask)
{
    return (old & ~mask) | (key & mask);
}

static int
exec_set_ipv4(struct ft_packet *pkt, const struct ft_dpa_ipv4 *a)
{
    uint8_t *ip;
    uint16_t csum;

    if (pkt->eth_type != FT_ETH_TYPE_IP || !ft_packet_has_l3(pkt)) {
        return -EINVAL;
    }
    ip = ft_packet_data(pkt) + pkt->l3_ofs;
    csum = ft_packet_get_be16(ip + 10);

    if (a->tos_mask) {
        uint16_t old = ft_packet_get_be16(ip);

        ip[1] = masked8(ip[1], a->tos, a->tos_mask);
        csum = csum_update16(csum, old, ft_packet_get_be16(ip));
    }
    if (a->ttl_mask) {
        uint16_t old = ft_packet_get_be16(ip + 8);

        ip[8] = masked8(ip[8], a->ttl, a->ttl_mask);
        csum = csum_update16(csum, old, ft_packet_get_be16(ip + 8));
    }
    for (int i = 0; i < 2; i++) {
        uint32_t mask = i ? a->dst_mask : a->src_mask;
        uint32_t key = i ? a->dst : a->src;
        uint8_t *field = ip + 12 + 4 * i;
        uint8_t old[4];

        if (!mask) {
            continue;
        }
        memcpy(old, field, 4);
        ft_packet_put_be32(field,
                           masked32(ft_packet_get_be32(old), key, mask));
        csum = csum_update32(csum, ft_packet_get_be32(old),
                             ft_packet_get_be32(field));
        l4_pseudo_update(pkt, old, field, 4);
    }
    ft_packet_put_be16(ip + 10, csum);
    return 0;
}

static int
exec_set_ipv6(struct ft_packet *pkt, const struct ft_dpa_ipv6 *a)
{
    uint8_t *ip;
    uint32_t word0, mask0, key0;

    if (pkt->eth_type != FT_ETH_TYPE_IPV6 || !ft_packet_has_l3(pkt)) {
        return -EINVAL;
    }
    ip = ft_packet_data(pkt) + pkt->l3_ofs;

    /* Version (4 bits), traffic class (8), flow label (20). */
    word0 = ft_packet_get_be32(ip);
    mask0 = (uint32_t) a->tclass_mask << 20 | (a->label_mask & 0xfffff);
    key0 = (uint32_t) a->tclass << 20 | (a->label & 0xfffff);
    ft_packet_put_be32(ip, masked32(word0, key0, mask0));
    ip[7] = masked8(ip[7], a->hlimit, a->hlimit_mask);

    for (int i = 0; i < 2; i++) {
        const struct ft_in6_addr *key = i ? &a->dst : &a->src;
        const struct ft_in6_addr *mask = i ? &a->dst_mask : &a->src_mask;
        uint8_t *field = ip + 8 + 16 * i;
        uint8_t old[16];

        memcpy(old, field, 16);
        set_masked_bytes(field, key->s6, mask->s6, 16);
        if (memcmp(old, field, 16)
            && !(i == 1 && pkt->flags & FT_PACKET_F_IPV6_RH)) {
            l4_pseudo_update(pkt, old, field, 16);
        }
    }
    return 0;
}

/* ICMP type and code, in the message's first two bytes; ICMPv4 and ICMPv6
 * checksums both cover them as one 16-bit word. */
static int
exec_set_icmp(struct ft_packet *pkt, const struct ft_dpa_l4 *a)
{
    uint8_t old[2], *l4;

    if (!ft_packet_has_l4(pkt) || pkt->l4_proto != a->proto
        || ft_packet_l4_size(pkt) < 4) {
        return -EINVAL;
    }
    l4 = ft_packet_data(pkt) + pkt->l4_ofs;
    memcpy(old, l4, 2);
    l4[0] = (uint8_t) masked32(l4[0], a->src, a->src_mask & 0xff);
    l4[1] = (uint8_t) masked32(l4[1], a->dst, a->dst_mask & 0xff);
    csum_update_bytes(l4 + 2, old, l4, 2);
    return 0;
}

static int
exec_set_l4(struct ft_packet *pkt, const struct ft_dpa_l4 *a)
{
    static const size_t min_len[] = {
        [FT_IPPROTO_TCP] = 20, [FT_IPPROTO_UDP] = 8, [FT_IPPROTO_SCTP] = 12,
    };
    size_t size = ft_packet_l4_size(pkt);
    uint8_t old[4], *l4;

    if (a->proto == FT_IPPROTO_ICMP || a->proto == FT_IPPROTO_ICMPV6) {
        return exec_set_icmp(pkt, a);
    }
    if (!ft_packet_has_l4(pkt) || pkt->l4_proto != a->proto
        || (a->proto != FT_IPPROTO_TCP && a->proto != FT_IPPROTO_UDP
            && a->proto != FT_IPPROTO_SCTP)
        || size < min_len[a->proto]) {
        return -EINVAL;
    }
    l4 = ft_packet_data(pkt) + pkt->l4_ofs;
    memcpy(old, l4, 4);

    if (pkt->offload.flags & FT_PACKET_OFL_CSUM) {
        /* Partial: the ports are summed when the checksum is completed,
         * and the pseudo-header has none. */
        ft_packet_put_be16(l4,
                           masked32(ft_packet_get_be16(l4),
                                    a->src, a->src_mask));
        ft_packet_put_be16(l4 + 2,
                           masked32(ft_packet_get_be16(l4 + 2),
                                    a->dst, a->dst_mask));
        return 0;
    }
    if (a->proto == FT_IPPROTO_SCTP) {
        /* CRC32c is affine over GF(2) for a fixed length, so
         * stored ^ crc(old) ^ crc(new) is crc(new) exactly when the stored
         * value was crc(old), and stays wrong when it was wrong. */
        uint32_t stored = get_le32(l4 + 8);
        uint32_t crc_old, crc_new;

        put_le32(l4 + 8, 0);
        crc_old = ft_execute_crc32c(0, l4, size);
        ft_packet_put_be16(l4,
                           masked32(ft_packet_get_be16(l4),
                                    a->src, a->src_mask));
        ft_packet_put_be16(l4 + 2,
                           masked32(ft_packet_get_be16(l4 + 2),
                                    a->dst, a->dst_mask));
        crc_new = ft_execute_crc32c(0, l4, size);
        put_le32(l4 + 8, stored ^ crc_old ^ crc_new);
        return 0;
    }

    ft_packet_put_be16(l4,
                       masked32(ft_packet_get_be16(l4),
                                a->src, a->src_mask));
    ft_packet_put_be16(l4 + 2,
                       masked32(ft_packet_get_be16(l4 + 2),
                                a->dst, a->dst_mask));
    if (a->proto == FT_IPPROTO_TCP) {
        csum_update_bytes(l4 + 16, old, l4, 4);
    } else if (ft_packet_get_be16(l4 + 6)) {
        csum_update_bytes(l4 + 6, old, l4, 4);
        if (!ft_packet_get_be16(l4 + 6)) {
            ft_packet_put_be16(l4 + 6, 0xffff);
        }
    }
    return 0;
}

static void
exec_set_tunnel(struct ft_packet *pkt, const struct ft_dpa_tunnel *a)
{
    struct ft_packet_tunnel *t = &pkt->tunnel;

    t->valid = true;
    t->tun_id = a->tun_id;
    t->src = a->src;
    t->dst = a->dst;
    t->tos = a->tos;
    t->ttl = a->ttl;
    t->flags = a->flags;
    t->tp_dst = a->tp_dst;
}

/* Runs one action.  Returns 0 or a negative errno for a skipped action. */
static int
exec_one(struct ft_packet *pkt, const struct ft_dp_action *act,
         const struct ft_execute_hooks *hooks, struct ft_execute_stats *st)
{
    switch (act->type) {
    case FT_DPA_OUTPUT:
        if (hooks && hooks->output) {
            hooks->output(hooks->aux, act->port, pkt);
            st->n_outputs++;
        }
        return 0;
    case FT_DPA_USERSPACE:
        if (hooks && hooks->userspace) {
            hooks->userspace(hooks->aux, &act->userspace, pkt);
            st->n_outputs++;
        }
        return 0;
    case FT_DPA_PUSH_VLAN:
        return exec_push_vlan(pkt, &act->push_vlan);
    case FT_DPA_POP_VLAN:
        return exec_pop_vlan(pkt);
    case FT_DPA_SET_ETH:
        return exec_set_eth(pkt, &act->eth);
    case FT_DPA_SET_IPV4:
        return exec_set_ipv4(pkt, &act->ipv4);
    case FT_DPA_SET_IPV6:
        return exec_set_ipv6(pkt, &act->ipv6);
    case FT_DPA_SET_L4:
        return exec_set_l4(pkt, &act->l4);
    case FT_DPA_SET_TUNNEL:
        exec_set_tunnel(pkt, &act->tunnel);
        return 0;
    }
    return -EOPNOTSUPP;
}

int
ft_execute_actions(struct ft_packet *pkt, const struct ft_dp_actions *actions,
                   const struct ft_execute_hooks *hooks,
                   struct ft_execute_stats *stats)
{
    struct ft_execute_stats dummy;
    struct ft_execute_stats *st = stats ? stats : &dummy;
    int first_error = 0;

    st->n_packets++;
    for (size_t i = 0; i < actions->n; i++) {
        int error = exec_one(pkt, &actions->acts[i], hooks, st);

        if (error) {
            st->n_skipped++;
            if (!first_error) {
                first_error = error;
            }
        } else {
            st->n_actions++;
        }
    }
    return first_error;
}

int
ft_execute_action(struct ft_packet *pkt, const struct ft_dp_action *act,
                  const struct ft_execute_hooks *hooks,
                  struct ft_execute_stats *stats)
{
    int error = exec_one(pkt, act, hooks, stats);

    if (error) {
        stats->n_skipped++;
    } else {
        stats->n_actions++;
    }
    return error;
}

void
ft_execute_action_n(struct ft_packet *const pkts[], size_t n,
                    const struct ft_dp_action *act,
                    const struct ft_execute_hooks *hooks,
                    struct ft_execute_stats *stats)
{
    size_t n_skipped = 0;

    if (act->type == FT_DPA_PUSH_VLAN) {
        /* The common rewrite (an access port's tag) without a call and a
         * dispatch per packet. */
        for (size_t i = 0; i < n; i++) {
            n_skipped += exec_push_vlan(pkts[i], &act->push_vlan) != 0;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            n_skipped += exec_one(pkts[i], act, hooks, stats) != 0;
        }
    }
    stats->n_skipped += n_skipped;
    stats->n_actions += n - n_skipped;
}

int
ft_execute_batch(struct ft_packet_batch *batch,
                 const struct ft_dp_actions *actions,
                 const struct ft_execute_hooks *hooks,
                 struct ft_execute_stats *stats)
{
    int first_error = 0;

    for (size_t i = 0; i < batch->count; i++) {
        int error = ft_execute_actions(batch->packets[i], actions, hooks,
                                       stats);

        if (error && !first_error) {
            first_error = error;
        }
    }
    return first_error;
}

uint32_t
ft_execute_crc32c(uint32_t crc, const void *data, size_t len)
{
    /* Reflected Castagnoli polynomial 0x82f63b78, 4 bits at a time. */
    static const uint32_t nibble[16] = {
        0x00000000, 0x105ec76f, 0x20bd8ede, 0x30e349b1,
        0x417b1dbc, 0x5125dad3, 0x61c69362, 0x7198540d,
        0x82f63b78, 0x92a8fc17, 0xa24bb5a6, 0xb21572c9,
        0xc38d26c4, 0xd3d3e1ab, 0xe330a81a, 0xf36e6f75,
    };
    const uint8_t *p = data;

    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ nibble[crc & 0x0f];
        crc = (crc >> 4) ^ nibble[crc & 0x0f];
    }
    return ~crc;
}

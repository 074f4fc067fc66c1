/*
 * flow.h - the flow key and the match (key + mask).
 *
 * What?
 * =====
 *
 * A flow key ('struct ft_flow') holds every header field and every piece of
 * metadata that a FlowTier rule may match on: the input port, tunnel
 * metadata, OpenFlow metadata and registers, L2, VLAN, ARP, IPv4, IPv6 and
 * L4 fields.  The packet parser (swpath) fills one from a frame; the
 * classifier, the translator, the megaflow cache and the offload providers
 * all read it.
 *
 * A match ('struct ft_match') is a key plus a mask of the same layout.  A
 * 1-bit in the mask means "this bit must equal the key's bit"; a 0-bit is a
 * wildcard.  A match is normalized when key & ~mask == 0, and every match
 * that leaves a constructor in this file is normalized.
 *
 * Byte order
 * ==========
 *
 * Integer fields are in HOST byte order (the parser converts), so that
 * printing, CIDR masks and comparisons need no swapping.  MAC and IPv6
 * addresses are byte arrays in wire order.
 *
 * Overlays (as in Open vSwitch, so that OVS users find the same semantics)
 * ========================================================================
 *
 *   - ARP: opcode lives in 'nw_proto' (low 8 bits), sender/target protocol
 *     addresses in 'nw_src'/'nw_dst', sender/target hardware addresses in
 *     'arp_sha'/'arp_tha'.
 *   - ICMP and ICMPv6: type lives in 'tp_src', code in 'tp_dst'.
 *   - 'nw_tos' holds the whole TOS / traffic class byte: DSCP in the high
 *     6 bits, ECN in the low 2.
 *
 * VLANs
 * =====
 *
 * 'vlans[0]' is the outermost tag, 'vlans[1]' the one inside it (802.1ad
 * outer + 802.1Q inner).  A tag is present iff FT_VLAN_CFI is set in its
 * 'tci'; with no tag, 'tci' and 'tpid' are 0.  OpenFlow's vlan_tci, dl_vlan
 * and dl_vlan_pcp refer to 'vlans[0]'.
 *
 * Layout
 * ======
 *
 * The struct is a whole number of 64-bit words with no implicit padding, so
 * the classifier and the caches may hash, mask and compare it word by word.
 * Fields matched together are kept in the same words where possible.
 */
#ifndef FLOWTIER_FLOW_H
#define FLOWTIER_FLOW_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flowtier/flow-key.h"

#define FT_FLOW_U64S (sizeof(struct ft_flow) / sizeof(uint64_t))
_Static_assert(sizeof(struct ft_flow) % sizeof(uint64_t) == 0,
               "struct ft_flow must be a whole number of 64-bit words");
_Static_assert(sizeof(struct ft_flow) == 160, "unexpected ft_flow padding");

/* A key plus a mask.  1-bits in 'mask' are significant. */
struct ft_match {
    struct ft_flow flow;
    struct ft_flow mask;
};

static inline const uint64_t *
ft_flow_u64(const struct ft_flow *flow)
{
    return (const uint64_t *) (const void *) flow;
}

static inline uint64_t *
ft_flow_u64_rw(struct ft_flow *flow)
{
    return (uint64_t *) (void *) flow;
}

static inline void
ft_flow_zero(struct ft_flow *flow)
{
    memset(flow, 0, sizeof *flow);
}

static inline bool
ft_flow_equal(const struct ft_flow *a, const struct ft_flow *b)
{
    return !memcmp(a, b, sizeof *a);
}

static inline bool
ft_flow_is_zero(const struct ft_flow *flow)
{
    const uint64_t *p = ft_flow_u64(flow);

    for (size_t i = 0; i < FT_FLOW_U64S; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

/* dst |= src, word by word.  Used to accumulate consulted bits. */
static inline void
ft_flow_or(struct ft_flow *dst, const struct ft_flow *src)
{
    uint64_t *d = ft_flow_u64_rw(dst);
    const uint64_t *s = ft_flow_u64(src);

    for (size_t i = 0; i < FT_FLOW_U64S; i++) {
        d[i] |= s[i];
    }
}

/* dst = src & mask. */
static inline void
ft_flow_and(struct ft_flow *dst, const struct ft_flow *src,
            const struct ft_flow *mask)
{
    uint64_t *d = ft_flow_u64_rw(dst);
    const uint64_t *s = ft_flow_u64(src);
    const uint64_t *m = ft_flow_u64(mask);

    for (size_t i = 0; i < FT_FLOW_U64S; i++) {
        d[i] = s[i] & m[i];
    }
}

/* True if 'a' and 'b' agree on every bit set in 'mask'. */
static inline bool
ft_flow_equal_masked(const struct ft_flow *a, const struct ft_flow *b,
                     const struct ft_flow *mask)
{
    const uint64_t *pa = ft_flow_u64(a);
    const uint64_t *pb = ft_flow_u64(b);
    const uint64_t *pm = ft_flow_u64(mask);

    for (size_t i = 0; i < FT_FLOW_U64S; i++) {
        if ((pa[i] ^ pb[i]) & pm[i]) {
            return false;
        }
    }
    return true;
}

/* Match with every bit wildcarded: matches every packet. */
static inline void
ft_match_init_catchall(struct ft_match *match)
{
    memset(match, 0, sizeof *match);
}

/* Clears the key bits that the mask wildcards (key &= mask). */
static inline void
ft_match_normalize(struct ft_match *match)
{
    ft_flow_and(&match->flow, &match->flow, &match->mask);
}

/* True if 'flow' is inside 'match'. */
static inline bool
ft_match_contains(const struct ft_match *match, const struct ft_flow *flow)
{
    return ft_flow_equal_masked(&match->flow, flow, &match->mask);
}

static inline bool
ft_match_equal(const struct ft_match *a, const struct ft_match *b)
{
    return ft_flow_equal(&a->flow, &b->flow)
           && ft_flow_equal(&a->mask, &b->mask);
}

/* Builds the match of 'flow' under 'mask' (normalized). */
static inline void
ft_match_init(struct ft_match *match, const struct ft_flow *flow,
              const struct ft_flow *mask)
{
    match->mask = *mask;
    ft_flow_and(&match->flow, flow, mask);
}

static inline bool
ft_eth_addr_is_multicast(struct ft_eth_addr ea)
{
    return ea.ea[0] & 0x01;
}

static inline bool
ft_eth_addr_is_broadcast(struct ft_eth_addr ea)
{
    return (ea.ea[0] & ea.ea[1] & ea.ea[2] & ea.ea[3] & ea.ea[4]
            & ea.ea[5]) == 0xff;
}

static inline bool
ft_eth_addr_is_zero(struct ft_eth_addr ea)
{
    return !(ea.ea[0] | ea.ea[1] | ea.ea[2] | ea.ea[3] | ea.ea[4]
             | ea.ea[5]);
}

static inline bool
ft_eth_addr_equal(struct ft_eth_addr a, struct ft_eth_addr b)
{
    return !memcmp(a.ea, b.ea, FT_ETH_ALEN);
}

static inline bool
ft_flow_is_ip(const struct ft_flow *flow)
{
    return flow->dl_type == FT_ETH_TYPE_IP
           || flow->dl_type == FT_ETH_TYPE_IPV6;
}

/* Hashing helpers (murmur3-style mixing), shared by every hash table over
 * keys so that one tuned function serves the classifier and the caches. */
static inline uint32_t
ft_hash_rot(uint32_t x, int k)
{
    return (x << k) | (x >> (32 - k));
}

static inline uint32_t
ft_hash_add(uint32_t hash, uint32_t data)
{
    data *= 0xcc9e2d51;
    data = ft_hash_rot(data, 15);
    data *= 0x1b873593;
    hash ^= data;
    hash = ft_hash_rot(hash, 13);
    return hash * 5 + 0xe6546b64;
}

static inline uint32_t
ft_hash_add64(uint32_t hash, uint64_t data)
{
    return ft_hash_add(ft_hash_add(hash, (uint32_t) data),
                       (uint32_t) (data >> 32));
}

static inline uint32_t
ft_hash_finish(uint32_t hash, uint32_t final)
{
    hash ^= final;
    hash ^= hash >> 16;
    hash *= 0x85ebca6b;
    hash ^= hash >> 13;
    hash *= 0xc2b2ae35;
    hash ^= hash >> 16;
    return hash;
}

/* Hash of 'flow' & 'mask' over every word. */
static inline uint32_t
ft_flow_hash_masked(const struct ft_flow *flow, const struct ft_flow *mask,
                    uint32_t basis)
{
    const uint64_t *f = ft_flow_u64(flow);
    const uint64_t *m = ft_flow_u64(mask);
    uint32_t hash = basis;

    for (size_t i = 0; i < FT_FLOW_U64S; i++) {
        hash = ft_hash_add64(hash, f[i] & m[i]);
    }
    return ft_hash_finish(hash, FT_FLOW_U64S * 8);
}

#endif /* flowtier/flow.h */

/*
 * field.c - the field table: where each matchable and settable field of
 * 'struct ft_flow' lives, what it is called, how its values parse and
 * print, and what a packet must be for it to mean anything.
 *
 * The table is constant data; everything here is a pure function of its
 * arguments.  The flow syntax parser and printer (ofp-parse.c,
 * ofp-print.c) and the translator read it; nothing here allocates.
 */
#include "mgmt/flowsyntax/field.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FT_N_SYNONYMS 3

struct field_entry {
    struct ft_field f;
    const char *synonyms[FT_N_SYNONYMS];   /* Other accepted names. */
};

#define OFS(MEMBER) ((uint16_t) offsetof(struct ft_flow, MEMBER))

#define FIELD(ID, NAME, NXM, MEMBER, NBYTES, NBITS, SHIFT, MASKABLE, \
              WRITABLE, FMT, PREREQ, ...)                              \
    [ID] = { { .id = ID, .name = NAME, .nxm_name = NXM,                 \
               .ofs = OFS(MEMBER), .n_bytes = NBYTES, .n_bits = NBITS,  \
               .shift = SHIFT, .maskable = MASKABLE,                    \
               .writable = WRITABLE, .format = FT_FMT_##FMT,            \
               .prereq = FT_PREREQ_##PREREQ },                          \
             { __VA_ARGS__ } }

#define REG(N)                                                          \
    FIELD(FT_F_REG##N, "reg" #N, "NXM_NX_REG" #N, regs[N], 4, 32, 0,     \
          true, true, HEX, NONE, NULL)

static const struct field_entry fields[FT_N_FIELDS] = {
    FIELD(FT_F_IN_PORT, "in_port", "NXM_OF_IN_PORT", in_port, 4, 32, 0,
          false, true, PORT, NONE, NULL),
    FIELD(FT_F_TUN_ID, "tun_id", "NXM_NX_TUN_ID", tun_id, 8, 64, 0,
          true, true, HEX, NONE, "tunnel_id", "OXM_OF_TUNNEL_ID"),
    FIELD(FT_F_TUN_SRC, "tun_src", "NXM_NX_TUN_IPV4_SRC", tun_src, 4, 32, 0,
          true, true, IPV4, NONE, NULL),
    FIELD(FT_F_TUN_DST, "tun_dst", "NXM_NX_TUN_IPV4_DST", tun_dst, 4, 32, 0,
          true, true, IPV4, NONE, NULL),
    FIELD(FT_F_TUN_TOS, "tun_tos", NULL, tun_tos, 1, 8, 0,
          false, false, DECIMAL, NONE, NULL),
    FIELD(FT_F_TUN_TTL, "tun_ttl", NULL, tun_ttl, 1, 8, 0,
          false, false, DECIMAL, NONE, NULL),
    FIELD(FT_F_TUN_FLAGS, "tun_flags", "NXM_NX_TUN_FLAGS", tun_flags, 2, 16,
          0, true, true, HEX, NONE, NULL),
    FIELD(FT_F_METADATA, "metadata", "OXM_OF_METADATA", metadata, 8, 64, 0,
          true, true, HEX, NONE, NULL),
    REG(0), REG(1), REG(2), REG(3), REG(4), REG(5), REG(6), REG(7),
    FIELD(FT_F_ETH_SRC, "dl_src", "NXM_OF_ETH_SRC", dl_src, 6, 48, 0,
          true, true, ETHERNET, NONE, "eth_src", "OXM_OF_ETH_SRC"),
    FIELD(FT_F_ETH_DST, "dl_dst", "NXM_OF_ETH_DST", dl_dst, 6, 48, 0,
          true, true, ETHERNET, NONE, "eth_dst", "OXM_OF_ETH_DST"),
    FIELD(FT_F_ETH_TYPE, "dl_type", "NXM_OF_ETH_TYPE", dl_type, 2, 16, 0,
          false, false, HEX, NONE, "eth_type", "OXM_OF_ETH_TYPE"),
    FIELD(FT_F_VLAN_TCI, "vlan_tci", "NXM_OF_VLAN_TCI", vlans[0].tci, 2, 16,
          0, true, true, HEX, NONE, NULL),
    FIELD(FT_F_DL_VLAN, "dl_vlan", NULL, vlans[0].tci, 2, 12, 0,
          false, true, DECIMAL, NONE, NULL),
    FIELD(FT_F_DL_VLAN_PCP, "dl_vlan_pcp", NULL, vlans[0].tci, 2, 3, 13,
          false, true, DECIMAL, NONE, NULL),
    FIELD(FT_F_VLAN_VID, "vlan_vid", "OXM_OF_VLAN_VID", vlans[0].tci, 2, 13,
          0, true, true, DECIMAL, NONE, NULL),
    FIELD(FT_F_VLAN_PCP, "vlan_pcp", "OXM_OF_VLAN_PCP", vlans[0].tci, 2, 3,
          13, false, true, DECIMAL, VLAN, NULL),
    FIELD(FT_F_IPV4_SRC, "nw_src", "NXM_OF_IP_SRC", nw_src, 4, 32, 0,
          true, true, IPV4, IPV4, "ip_src", "OXM_OF_IPV4_SRC"),
    FIELD(FT_F_IPV4_DST, "nw_dst", "NXM_OF_IP_DST", nw_dst, 4, 32, 0,
          true, true, IPV4, IPV4, "ip_dst", "OXM_OF_IPV4_DST"),
    FIELD(FT_F_IPV6_SRC, "ipv6_src", "NXM_NX_IPV6_SRC", ipv6_src, 16, 128, 0,
          true, true, IPV6, IPV6, "OXM_OF_IPV6_SRC"),
    FIELD(FT_F_IPV6_DST, "ipv6_dst", "NXM_NX_IPV6_DST", ipv6_dst, 16, 128, 0,
          true, true, IPV6, IPV6, "OXM_OF_IPV6_DST"),
    FIELD(FT_F_IPV6_LABEL, "ipv6_label", "NXM_NX_IPV6_LABEL", ipv6_label, 4,
          20, 0, true, true, HEX, IPV6, "OXM_OF_IPV6_FLABEL"),
    FIELD(FT_F_IP_PROTO, "nw_proto", "NXM_OF_IP_PROTO", nw_proto, 1, 8, 0,
          false, false, DECIMAL, IP_ANY, "ip_proto", "OXM_OF_IP_PROTO"),
    FIELD(FT_F_IP_TOS, "nw_tos", "NXM_OF_IP_TOS", nw_tos, 1, 6, 2,
          false, true, DECIMAL, IP_ANY, NULL),
    FIELD(FT_F_IP_DSCP, "ip_dscp", "OXM_OF_IP_DSCP", nw_tos, 1, 6, 2,
          false, true, DECIMAL, IP_ANY, NULL),
    FIELD(FT_F_IP_ECN, "nw_ecn", "NXM_NX_IP_ECN", nw_tos, 1, 2, 0,
          false, true, DECIMAL, IP_ANY, "ip_ecn", "OXM_OF_IP_ECN"),
    FIELD(FT_F_IP_TTL, "nw_ttl", "NXM_NX_IP_TTL", nw_ttl, 1, 8, 0,
          false, true, DECIMAL, IP_ANY, NULL),
    FIELD(FT_F_IP_FRAG, "nw_frag", "NXM_NX_IP_FRAG", nw_frag, 1, 2, 0,
          true, false, FRAG, IP_ANY, "ip_frag"),
    FIELD(FT_F_ARP_OP, "arp_op", "NXM_OF_ARP_OP", nw_proto, 1, 8, 0,
          false, true, DECIMAL, ARP, "OXM_OF_ARP_OP"),
    FIELD(FT_F_ARP_SPA, "arp_spa", "NXM_OF_ARP_SPA", nw_src, 4, 32, 0,
          true, true, IPV4, ARP, "OXM_OF_ARP_SPA"),
    FIELD(FT_F_ARP_TPA, "arp_tpa", "NXM_OF_ARP_TPA", nw_dst, 4, 32, 0,
          true, true, IPV4, ARP, "OXM_OF_ARP_TPA"),
    FIELD(FT_F_ARP_SHA, "arp_sha", "NXM_NX_ARP_SHA", arp_sha, 6, 48, 0,
          true, true, ETHERNET, ARP, "OXM_OF_ARP_SHA"),
    FIELD(FT_F_ARP_THA, "arp_tha", "NXM_NX_ARP_THA", arp_tha, 6, 48, 0,
          true, true, ETHERNET, ARP, "OXM_OF_ARP_THA"),
    FIELD(FT_F_TP_SRC, "tp_src", NULL, tp_src, 2, 16, 0,
          true, true, DECIMAL, L4, NULL),
    FIELD(FT_F_TP_DST, "tp_dst", NULL, tp_dst, 2, 16, 0,
          true, true, DECIMAL, L4, NULL),
    FIELD(FT_F_TCP_SRC, "tcp_src", "NXM_OF_TCP_SRC", tp_src, 2, 16, 0,
          true, true, DECIMAL, TCP, "OXM_OF_TCP_SRC"),
    FIELD(FT_F_TCP_DST, "tcp_dst", "NXM_OF_TCP_DST", tp_dst, 2, 16, 0,
          true, true, DECIMAL, TCP, "OXM_OF_TCP_DST"),
    FIELD(FT_F_UDP_SRC, "udp_src", "NXM_OF_UDP_SRC", tp_src, 2, 16, 0,
          true, true, DECIMAL, UDP, "OXM_OF_UDP_SRC"),
    FIELD(FT_F_UDP_DST, "udp_dst", "NXM_OF_UDP_DST", tp_dst, 2, 16, 0,
          true, true, DECIMAL, UDP, "OXM_OF_UDP_DST"),
    FIELD(FT_F_SCTP_SRC, "sctp_src", "OXM_OF_SCTP_SRC", tp_src, 2, 16, 0,
          true, true, DECIMAL, SCTP, NULL),
    FIELD(FT_F_SCTP_DST, "sctp_dst", "OXM_OF_SCTP_DST", tp_dst, 2, 16, 0,
          true, true, DECIMAL, SCTP, NULL),
    FIELD(FT_F_TCP_FLAGS, "tcp_flags", "NXM_NX_TCP_FLAGS", tcp_flags, 2, 12,
          0, true, false, TCP_FLAGS, TCP, NULL),
    FIELD(FT_F_ICMP_TYPE, "icmp_type", "NXM_OF_ICMP_TYPE", tp_src, 2, 8, 0,
          false, true, DECIMAL, ICMPV4, "OXM_OF_ICMPV4_TYPE"),
    FIELD(FT_F_ICMP_CODE, "icmp_code", "NXM_OF_ICMP_CODE", tp_dst, 2, 8, 0,
          false, true, DECIMAL, ICMPV4, "OXM_OF_ICMPV4_CODE"),
    FIELD(FT_F_ICMPV6_TYPE, "icmpv6_type", "NXM_NX_ICMPV6_TYPE", tp_src, 2,
          8, 0, false, true, DECIMAL, ICMPV6, "OXM_OF_ICMPV6_TYPE"),
    FIELD(FT_F_ICMPV6_CODE, "icmpv6_code", "NXM_NX_ICMPV6_CODE", tp_dst, 2,
          8, 0, false, true, DECIMAL, ICMPV6, "OXM_OF_ICMPV6_CODE"),
};

/* The names of TCP flag bits, lowest bit first, as OVS spells them. */
static const char *const tcp_flag_names[] = {
    "fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns",
};
#define N_TCP_FLAG_NAMES (sizeof tcp_flag_names / sizeof tcp_flag_names[0])

const struct ft_field *
ft_field_from_id(enum ft_field_id id)
{
    return id < FT_N_FIELDS ? &fields[id].f : NULL;
}

const struct ft_field *
ft_field_from_name(const char *name)
{
    char c = name[0];

    for (size_t i = 0; i < FT_N_FIELDS; i++) {
        const struct field_entry *e = &fields[i];

        if (e->f.name[0] == c && !strcmp(e->f.name, name)) {
            return &e->f;
        }
        if (e->f.nxm_name && e->f.nxm_name[0] == c
            && !strcmp(e->f.nxm_name, name)) {
            return &e->f;
        }
        for (size_t j = 0; j < FT_N_SYNONYMS && e->synonyms[j]; j++) {
            if (e->synonyms[j][0] == c && !strcmp(e->synonyms[j], name)) {
                return &e->f;
            }
        }
    }
    return NULL;
}

/* nw_tos keeps the DSCP bits in place (0..252 in steps of 4), unlike
 * ip_dscp, which shifts them down. */
static bool
value_in_place(const struct ft_field *f)
{
    return f->id == FT_F_IP_TOS;
}

static bool
is_integer(const struct ft_field *f)
{
    return f->n_bytes <= 8 && f->n_bytes != 6;
}

static uint64_t
width_mask(unsigned int n_bits)
{
    return n_bits >= 64 ? UINT64_MAX : (UINT64_C(1) << n_bits) - 1;
}

/* Bits of the storage integer that the field occupies. */
static uint64_t
storage_bits(const struct ft_field *f)
{
    return width_mask(f->n_bits) << f->shift;
}

static uint64_t
storage_read(const struct ft_field *f, const struct ft_flow *flow)
{
    const uint8_t *p = (const uint8_t *) flow + f->ofs;

    switch (f->n_bytes) {
    case 1: {
        return *p;
    }
    case 2: {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    default: {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    }
}

static void
storage_write(const struct ft_field *f, struct ft_flow *flow, uint64_t x)
{
    uint8_t *p = (uint8_t *) flow + f->ofs;

    switch (f->n_bytes) {
    case 1:
        *p = (uint8_t) x;
        break;
    case 2: {
        uint16_t v = (uint16_t) x;
        memcpy(p, &v, 2);
        break;
    }
    case 4: {
        uint32_t v = (uint32_t) x;
        memcpy(p, &v, 4);
        break;
    }
    default:
        memcpy(p, &x, 8);
        break;
    }
}

/* Converts a value (or mask) of 'f' to storage bits, and back. */
static uint64_t
to_storage(const struct ft_field *f, uint64_t v)
{
    if (value_in_place(f)) {
        return v & storage_bits(f);
    }
    return (v & width_mask(f->n_bits)) << f->shift;
}

static uint64_t
from_storage(const struct ft_field *f, uint64_t s)
{
    if (value_in_place(f)) {
        return s & storage_bits(f);
    }
    return (s >> f->shift) & width_mask(f->n_bits);
}

static uint8_t *
bytes_at(const struct ft_field *f, struct ft_flow *flow)
{
    return (uint8_t *) flow + f->ofs;
}

static const uint8_t *
cbytes_at(const struct ft_field *f, const struct ft_flow *flow)
{
    return (const uint8_t *) flow + f->ofs;
}

void
ft_field_full_mask(const struct ft_field *f, union ft_value *mask)
{
    memset(mask, 0, sizeof *mask);
    if (is_integer(f)) {
        mask->u64 = value_in_place(f) ? storage_bits(f)
                                      : width_mask(f->n_bits);
    } else {
        memset(mask->bytes, 0xff, f->n_bytes);
    }
}

bool
ft_field_mask_is_zero(const struct ft_field *f, const union ft_value *mask)
{
    if (is_integer(f)) {
        union ft_value full;

        ft_field_full_mask(f, &full);
        return !(mask->u64 & full.u64);
    }
    for (size_t i = 0; i < f->n_bytes; i++) {
        if (mask->bytes[i]) {
            return false;
        }
    }
    return true;
}

bool
ft_field_mask_is_exact(const struct ft_field *f, const union ft_value *mask)
{
    if (is_integer(f)) {
        union ft_value full;

        ft_field_full_mask(f, &full);
        return (mask->u64 & full.u64) == full.u64;
    }
    for (size_t i = 0; i < f->n_bytes; i++) {
        if (mask->bytes[i] != 0xff) {
            return false;
        }
    }
    return true;
}

void
ft_field_get(const struct ft_field *f, const struct ft_flow *flow,
             union ft_value *value)
{
    memset(value, 0, sizeof *value);
    if (is_integer(f)) {
        value->u64 = from_storage(f, storage_read(f, flow));
    } else {
        memcpy(value->bytes, cbytes_at(f, flow), f->n_bytes);
    }
}

void
ft_field_set(const struct ft_field *f, const union ft_value *value,
             const union ft_value *mask, struct ft_flow *flow)
{
    union ft_value full;

    if (!mask) {
        ft_field_full_mask(f, &full);
        mask = &full;
    }
    if (is_integer(f)) {
        uint64_t sm = to_storage(f, mask->u64);
        uint64_t s = storage_read(f, flow);

        s = (s & ~sm) | (to_storage(f, value->u64) & sm);
        if ((f->id == FT_F_DL_VLAN || f->id == FT_F_DL_VLAN_PCP) && sm) {
            s |= FT_VLAN_CFI;       /* OF1.0 semantics: the tag exists. */
        }
        storage_write(f, flow, s);
    } else {
        uint8_t *p = bytes_at(f, flow);

        for (size_t i = 0; i < f->n_bytes; i++) {
            p[i] = (p[i] & ~mask->bytes[i])
                   | (value->bytes[i] & mask->bytes[i]);
        }
    }
}

void
ft_field_unwildcard(const struct ft_field *f, const union ft_value *mask,
                    struct ft_flow *wc)
{
    union ft_value full;

    if (!mask) {
        ft_field_full_mask(f, &full);
        mask = &full;
    }
    if (is_integer(f)) {
        uint64_t s = storage_read(f, wc) | to_storage(f, mask->u64);

        if (f->id == FT_F_DL_VLAN || f->id == FT_F_DL_VLAN_PCP) {
            s |= FT_VLAN_CFI;
        }
        storage_write(f, wc, s);
    } else {
        uint8_t *p = bytes_at(f, wc);

        for (size_t i = 0; i < f->n_bytes; i++) {
            p[i] |= mask->bytes[i];
        }
    }
}

void
ft_match_set_field(struct ft_match *match, const struct ft_field *f,
                   const union ft_value *value, const union ft_value *mask)
{
    union ft_value full;

    if (!mask) {
        ft_field_full_mask(f, &full);
        mask = &full;
    }
    if (f->id == FT_F_DL_VLAN && value->u64 == 0xffff) {
        /* OF1.0 "no VLAN tag". */
        match->flow.vlans[0].tci = 0;
        match->mask.vlans[0].tci = 0xffff;
        return;
    }
    if (is_integer(f)) {
        uint64_t bits = storage_bits(f);
        uint64_t sm = to_storage(f, mask->u64);
        uint64_t sv = to_storage(f, value->u64) & sm;
        uint64_t m = (storage_read(f, &match->mask) & ~bits) | sm;
        uint64_t v = (storage_read(f, &match->flow) & ~bits) | sv;

        if (f->id == FT_F_DL_VLAN || f->id == FT_F_DL_VLAN_PCP) {
            m |= FT_VLAN_CFI;
            v |= FT_VLAN_CFI;
        }
        storage_write(f, &match->mask, m);
        storage_write(f, &match->flow, v & m);
    } else {
        uint8_t *pv = bytes_at(f, &match->flow);
        uint8_t *pm = bytes_at(f, &match->mask);

        for (size_t i = 0; i < f->n_bytes; i++) {
            pm[i] = mask->bytes[i];
            pv[i] = value->bytes[i] & mask->bytes[i];
        }
    }
}

void
ft_match_get_field(const struct ft_match *match, const struct ft_field *f,
                   union ft_value *value, union ft_value *mask)
{
    ft_field_get(f, &match->flow, value);
    ft_field_get(f, &match->mask, mask);
}

bool
ft_field_prereqs_ok(const struct ft_field *f, const struct ft_flow *flow,
                    struct ft_flow *wc)
{
    uint16_t t = flow->dl_type;
    uint8_t p = flow->nw_proto;
    bool ip_any = t == FT_ETH_TYPE_IP || t == FT_ETH_TYPE_IPV6;

    if (f->prereq == FT_PREREQ_NONE) {
        return true;
    }
    if (f->prereq == FT_PREREQ_VLAN) {
        if (wc) {
            wc->vlans[0].tci |= FT_VLAN_CFI;
        }
        return (flow->vlans[0].tci & FT_VLAN_CFI) != 0;
    }
    if (wc) {
        wc->dl_type = 0xffff;
    }
    switch (f->prereq) {
    case FT_PREREQ_ARP:
        return t == FT_ETH_TYPE_ARP;
    case FT_PREREQ_IP_ANY:
        return ip_any;
    case FT_PREREQ_IPV4:
        return t == FT_ETH_TYPE_IP;
    case FT_PREREQ_IPV6:
        return t == FT_ETH_TYPE_IPV6;
    default:
        break;
    }
    if (!ip_any) {
        return false;
    }
    if (wc) {
        wc->nw_proto = 0xff;
    }
    switch (f->prereq) {
    case FT_PREREQ_L4:
        return p == FT_IPPROTO_TCP || p == FT_IPPROTO_UDP
               || p == FT_IPPROTO_SCTP;
    case FT_PREREQ_TCP:
        return p == FT_IPPROTO_TCP;
    case FT_PREREQ_UDP:
        return p == FT_IPPROTO_UDP;
    case FT_PREREQ_SCTP:
        return p == FT_IPPROTO_SCTP;
    case FT_PREREQ_ICMPV4:
        return t == FT_ETH_TYPE_IP && p == FT_IPPROTO_ICMP;
    case FT_PREREQ_ICMPV6:
        return t == FT_ETH_TYPE_IPV6 && p == FT_IPPROTO_ICMPV6;
    default:
        return false;
    }
}

/* Value parsers.  Each takes a NUL-terminated string. */

static int
parse_u64(const char *s, uint64_t *v)
{
    char *end;

    if (!*s || *s == '-' || *s == '+' || *s == ' ') {
        return -EINVAL;
    }
    errno = 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        if (!s[2]) {
            return -EINVAL;
        }
        *v = strtoull(s + 2, &end, 16);
        if (s[2] == '-' || s[2] == '+' || s[2] == ' ') {
            return -EINVAL;
        }
    } else {
        *v = strtoull(s, &end, 10);
    }
    return errno || *end ? -EINVAL : 0;
}

static int
parse_mac(const char *s, struct ft_eth_addr *mac)
{
    for (int i = 0; i < FT_ETH_ALEN; i++) {
        unsigned int x = 0;
        int n = 0;

        while (n < 2 && ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')
                         || (*s >= 'A' && *s <= 'F'))) {
            x = x * 16 + (unsigned int) (*s <= '9' ? *s - '0'
                                         : (*s | 0x20) - 'a' + 10);
            s++;
            n++;
        }
        if (!n || (i < FT_ETH_ALEN - 1 ? *s++ != ':' : *s != '\0')) {
            return -EINVAL;
        }
        mac->ea[i] = (uint8_t) x;
    }
    return 0;
}

static int
parse_ipv4(const char *s, uint32_t *ip)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++) {
        unsigned int x = 0;
        int n = 0;

        while (*s >= '0' && *s <= '9' && n < 4) {
            x = x * 10 + (unsigned int) (*s++ - '0');
            n++;
        }
        if (!n || x > 255 || (i < 3 ? *s++ != '.' : *s != '\0')) {
            return -EINVAL;
        }
        v = (v << 8) | x;
    }
    *ip = v;
    return 0;
}

static int
parse_ipv6(const char *s, struct ft_in6_addr *a)
{
    return inet_pton(AF_INET6, s, a->s6) == 1 ? 0 : -EINVAL;
}

static int
parse_prefix_len(const char *s, unsigned int max, unsigned int *len)
{
    uint64_t v;

    if (*s < '0' || *s > '9' || parse_u64(s, &v) || v > max
        || (s[0] == '0' && s[1] == 'x')) {
        return -EINVAL;
    }
    *len = (unsigned int) v;
    return 0;
}

static int
parse_frag(const char *s, uint64_t *v, uint64_t *m)
{
    static const struct {
        const char *name;
        uint8_t value, mask;
    } names[] = {
        { "no", 0, FT_FRAG_MASK },
        { "first", FT_FRAG_ANY, FT_FRAG_MASK },
        { "later", FT_FRAG_ANY | FT_FRAG_LATER, FT_FRAG_MASK },
        { "yes", FT_FRAG_ANY, FT_FRAG_ANY },
        { "not_later", 0, FT_FRAG_LATER },
    };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!strcmp(s, names[i].name)) {
            *v = names[i].value;
            *m = names[i].mask;
            return 0;
        }
    }
    return -EINVAL;
}

static int
tcp_flag_from_name(const char *s, size_t n, uint64_t *bit)
{
    for (size_t i = 0; i < N_TCP_FLAG_NAMES; i++) {
        if (strlen(tcp_flag_names[i]) == n
            && !strncmp(tcp_flag_names[i], s, n)) {
            *bit = UINT64_C(1) << i;
            return 0;
        }
    }
    return -EINVAL;
}

/* "+syn-ack" (mask = the named bits) or "syn|ack" (exact). */
static int
parse_tcp_flags(const char *s, uint64_t *v, uint64_t *m, bool *has_mask,
                struct ft_error *err)
{
    *v = *m = 0;
    if (*s == '+' || *s == '-') {
        while (*s) {
            char sign = *s++;
            size_t n = strcspn(s, "+-");
            uint64_t bit;

            if ((sign != '+' && sign != '-')
                || tcp_flag_from_name(s, n, &bit)) {
                return ft_error_set(err, -EINVAL, "'%.*s' is not a TCP flag",
                                    (int) n, s);
            }
            if (*m & bit) {
                return ft_error_set(err, -EINVAL,
                                    "TCP flag '%.*s' given twice",
                                    (int) n, s);
            }
            *m |= bit;
            if (sign == '+') {
                *v |= bit;
            }
            s += n;
        }
        *has_mask = true;
        return 0;
    }
    while (*s) {
        size_t n = strcspn(s, "|");
        uint64_t bit;

        if (tcp_flag_from_name(s, n, &bit)) {
            return ft_error_set(err, -EINVAL, "'%.*s' is not a TCP flag",
                                (int) n, s);
        }
        *v |= bit;
        s += n;
        if (*s == '|' && !*++s) {
            return ft_error_set(err, -EINVAL, "trailing '|'");
        }
    }
    *m = FT_TCP_FLAGS_MASK;
    *has_mask = false;
    return 0;
}

static uint32_t
ipv4_prefix_mask(unsigned int len)
{
    return len ? UINT32_MAX << (32 - len) : 0;
}

static void
ipv6_prefix_mask(unsigned int len, struct ft_in6_addr *m)
{
    memset(m, 0, sizeof *m);
    for (unsigned int i = 0; i < len; i++) {
        m->s6[i / 8] |= (uint8_t) (0x80 >> (i % 8));
    }
}

/* Parses one value (no '/') of 'f' into 'v'. */
static int
parse_one(const struct ft_field *f, const char *s, union ft_value *v,
          bool is_mask, struct ft_error *err)
{
    const char *what = is_mask ? "mask" : "value";
    uint32_t ip;

    memset(v, 0, sizeof *v);
    switch (f->format) {
    case FT_FMT_ETHERNET:
        if (parse_mac(s, &v->mac)) {
            return ft_error_set(err, -EINVAL,
                                "'%s' is not an Ethernet address", s);
        }
        return 0;
    case FT_FMT_IPV4:
        if (parse_ipv4(s, &ip)) {
            return ft_error_set(err, -EINVAL, "'%s' is not an IPv4 %s", s,
                                is_mask ? "mask" : "address");
        }
        v->u64 = ip;
        return 0;
    case FT_FMT_IPV6:
        if (parse_ipv6(s, &v->ipv6)) {
            return ft_error_set(err, -EINVAL, "'%s' is not an IPv6 %s", s,
                                is_mask ? "mask" : "address");
        }
        return 0;
    default:
        break;
    }
    if (parse_u64(s, &v->u64)) {
        return ft_error_set(err, -EINVAL, "'%s' is not a number", s);
    }
    if (f->id == FT_F_DL_VLAN && !is_mask && v->u64 == 0xffff) {
        return 0;
    }
    if (value_in_place(f) ? v->u64 & ~storage_bits(f)
                          : v->u64 & ~width_mask(f->n_bits)) {
        if (value_in_place(f) && v->u64 <= 255) {
            return ft_error_set(err, -EINVAL,
                                "%s %s has ECN bits set (only the DSCP bits "
                                "0xfc may be given; use nw_ecn)", what, s);
        }
        return ft_error_set(err, -EINVAL, "%s %s is out of range for a "
                            "%u-bit field", what, s, (unsigned) f->n_bits);
    }
    return 0;
}

static int
parse_mask(const struct ft_field *f, const char *s, union ft_value *m,
           struct ft_error *err)
{
    unsigned int len;

    if (f->format == FT_FMT_IPV4 && !strchr(s, '.')) {
        if (parse_prefix_len(s, 32, &len)) {
            return ft_error_set(err, -EINVAL,
                                "'/%s' is not a prefix length 0..32 or a "
                                "dotted mask", s);
        }
        memset(m, 0, sizeof *m);
        m->u64 = ipv4_prefix_mask(len);
        return 0;
    }
    if (f->format == FT_FMT_IPV6 && !strchr(s, ':')) {
        if (parse_prefix_len(s, 128, &len)) {
            return ft_error_set(err, -EINVAL,
                                "'/%s' is not a prefix length 0..128 or an "
                                "IPv6 mask", s);
        }
        memset(m, 0, sizeof *m);
        ipv6_prefix_mask(len, &m->ipv6);
        return 0;
    }
    return parse_one(f, s, m, true, err);
}

/* Parses the named forms of nw_frag ("later") and tcp_flags ("+syn-ack",
 * "syn|ack"), which carry their own mask. */
static int
parse_named(const struct ft_field *f, const char *text,
            union ft_value *value, union ft_value *mask,
            struct ft_error *err)
{
    uint64_t v, m;
    bool masked = false;

    if (f->format == FT_FMT_FRAG) {
        if (parse_frag(text, &v, &m)) {
            return ft_error_set(err, -EINVAL, "'%s' is not one of no, yes, "
                                "first, later, not_later", text);
        }
        masked = m != FT_FRAG_MASK;
    } else {
        int error = parse_tcp_flags(text, &v, &m, &masked, err);

        if (error) {
            return error;
        }
    }
    if (masked && !mask) {
        return ft_error_set(err, -EINVAL, "'%s' matches only some bits, "
                            "which is not possible here", text);
    }
    memset(value, 0, sizeof *value);
    value->u64 = v;
    if (mask) {
        memset(mask, 0, sizeof *mask);
        mask->u64 = m;
    }
    return 0;
}

int
ft_field_parse(const struct ft_field *f, const char *text,
               union ft_value *value, union ft_value *mask,
               struct ft_error *err)
{
    char buf[128];
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t) (slash - text) : strlen(text);
    int error;

    if (!*text) {
        return ft_error_set(err, -EINVAL, "missing value");
    }
    if ((f->format == FT_FMT_FRAG || f->format == FT_FMT_TCP_FLAGS)
        && (text[0] < '0' || text[0] > '9')) {
        return parse_named(f, text, value, mask, err);
    }
    if (len >= sizeof buf) {
        return ft_error_set(err, -EINVAL, "value '%.20s...' is too long",
                            text);
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    error = parse_one(f, buf, value, false, err);
    if (error) {
        return error;
    }
    if (!slash) {
        if (mask) {
            ft_field_full_mask(f, mask);
        }
        return 0;
    }
    if (!mask) {
        return ft_error_set(err, -EINVAL, "a mask is not allowed here");
    }
    if (!f->maskable) {
        return ft_error_set(err, -EINVAL, "%s does not take a mask",
                            f->name);
    }
    if (!slash[1]) {
        return ft_error_set(err, -EINVAL, "missing mask after '/'");
    }
    error = parse_mask(f, slash + 1, mask, err);
    if (error) {
        return error;
    }
    /* Like OVS, bits outside the mask are dropped from the value. */
    if (is_integer(f)) {
        value->u64 &= mask->u64;
    } else {
        for (size_t i = 0; i < f->n_bytes; i++) {
            value->bytes[i] &= mask->bytes[i];
        }
    }
    return 0;
}

/* Value formatters. */

static void
format_mac(const struct ft_eth_addr *m, struct ds *out)
{
    static const char digits[] = "0123456789abcdef";
    char buf[17];

    for (int i = 0; i < 6; i++) {
        buf[3 * i] = digits[m->ea[i] >> 4];
        buf[3 * i + 1] = digits[m->ea[i] & 0xf];
        if (i < 5) {
            buf[3 * i + 2] = ':';
        }
    }
    ds_put_buffer(out, buf, sizeof buf);
}

static void
format_ipv4(uint32_t ip, struct ds *out)
{
    char buf[16];
    size_t n = 0;

    for (int shift = 24; shift >= 0; shift -= 8) {
        unsigned int b = (ip >> shift) & 0xff;

        if (b >= 100) {
            buf[n++] = (char) ('0' + b / 100);
        }
        if (b >= 10) {
            buf[n++] = (char) ('0' + b / 10 % 10);
        }
        buf[n++] = (char) ('0' + b % 10);
        buf[n++] = '.';
    }
    ds_put_buffer(out, buf, n - 1);
}

static void
format_ipv6(const struct ft_in6_addr *a, struct ds *out)
{
    char buf[INET6_ADDRSTRLEN];

    inet_ntop(AF_INET6, a->s6, buf, sizeof buf);
    ds_put_cstr(out, buf);
}

/* Returns the prefix length of 'm' if it is a CIDR mask, else -1. */
static int
ipv4_cidr_len(uint32_t m)
{
    uint32_t inv = ~m;

    return (inv & (inv + 1)) ? -1 : 32 - __builtin_popcount(inv);
}

static int
ipv6_cidr_len(const struct ft_in6_addr *m)
{
    int len = 0;
    int i = 0;

    for (; i < 16 && m->s6[i] == 0xff; i++) {
        len += 8;
    }
    if (i < 16) {
        uint8_t b = m->s6[i];
        uint8_t inv = (uint8_t) ~b;

        if (inv & (inv + 1)) {
            return -1;
        }
        len += __builtin_popcount(b);
        for (i++; i < 16; i++) {
            if (m->s6[i]) {
                return -1;
            }
        }
    }
    return len;
}

static void
format_tcp_flags(uint64_t v, uint64_t m, struct ds *out)
{
    if ((v | m) & ~(uint64_t) ((1u << N_TCP_FLAG_NAMES) - 1)
        && m != FT_TCP_FLAGS_MASK) {
        ds_put_format(out, "%#"PRIx64"/%#"PRIx64, v, m);
        return;
    }
    if (m == FT_TCP_FLAGS_MASK) {
        if (!v || v & ~(uint64_t) ((1u << N_TCP_FLAG_NAMES) - 1)) {
            ds_put_format(out, "%#"PRIx64, v);
            return;
        }
        for (size_t i = 0; i < N_TCP_FLAG_NAMES; i++) {
            if (v & (UINT64_C(1) << i)) {
                ds_put_cstr(out, tcp_flag_names[i]);
                ds_put_char(out, '|');
            }
        }
        ds_chomp(out, "|");
        return;
    }
    for (size_t i = 0; i < N_TCP_FLAG_NAMES; i++) {
        if (m & (UINT64_C(1) << i)) {
            ds_put_char(out, v & (UINT64_C(1) << i) ? '+' : '-');
            ds_put_cstr(out, tcp_flag_names[i]);
        }
    }
}

static void
format_frag(uint64_t v, uint64_t m, struct ds *out)
{
    const char *name = NULL;

    if (m == FT_FRAG_MASK) {
        name = v == 0 ? "no" : v == FT_FRAG_ANY ? "first"
               : v == FT_FRAG_MASK ? "later" : NULL;
    } else if (m == FT_FRAG_ANY) {
        name = v ? "yes" : "no";
    } else if (m == FT_FRAG_LATER) {
        name = v ? "later" : "not_later";
    }
    if (name && !(m == FT_FRAG_ANY && !v) && !(m == FT_FRAG_LATER && v)) {
        ds_put_cstr(out, name);
    } else {
        ds_put_format(out, "%#"PRIx64"/%#"PRIx64, v, m);
    }
}

void
ft_field_format(const struct ft_field *f, const union ft_value *value,
                const union ft_value *mask, struct ds *out)
{
    bool exact = !mask || ft_field_mask_is_exact(f, mask);

    switch (f->format) {
    case FT_FMT_ETHERNET:
        format_mac(&value->mac, out);
        if (!exact) {
            ds_put_char(out, '/');
            format_mac(&mask->mac, out);
        }
        return;
    case FT_FMT_IPV4:
        format_ipv4((uint32_t) value->u64, out);
        if (!exact) {
            int len = ipv4_cidr_len((uint32_t) mask->u64);

            ds_put_char(out, '/');
            if (len >= 0) {
                ds_put_uint(out, (unsigned int) len);
            } else {
                format_ipv4((uint32_t) mask->u64, out);
            }
        }
        return;
    case FT_FMT_IPV6:
        format_ipv6(&value->ipv6, out);
        if (!exact) {
            int len = ipv6_cidr_len(&mask->ipv6);

            if (len >= 0) {
                ds_put_format(out, "/%d", len);
            } else {
                ds_put_char(out, '/');
                format_ipv6(&mask->ipv6, out);
            }
        }
        return;
    case FT_FMT_FRAG:
        format_frag(value->u64, mask ? mask->u64 : FT_FRAG_MASK, out);
        return;
    case FT_FMT_TCP_FLAGS:
        format_tcp_flags(value->u64, mask ? mask->u64 : FT_TCP_FLAGS_MASK,
                         out);
        return;
    case FT_FMT_PORT:
    case FT_FMT_DECIMAL:
        if (exact) {
            ds_put_uint(out, value->u64);
            return;
        }
        break;
    case FT_FMT_HEX:
        break;
    }
    ds_put_hex_0x(out, value->u64);
    if (!exact) {
        ds_put_char(out, '/');
        ds_put_hex_0x(out, mask->u64);
    }
}

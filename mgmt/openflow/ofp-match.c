/*
 * ofp-match.c - OpenFlow matches on the wire: the OF1.0 'struct ofp_match'
 * (fixed fields plus wildcard bits) and OF1.3 OXM TLVs (with the NXM
 * registers, TTL and fragment fields Open vSwitch sends), both turned into
 * and out of a 'struct ft_match' through the field table (field.h).
 *
 * Part of mgmt/openflow/ (see ofp-msg.h).  Pure functions.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "mgmt/openflow/ofp-msg.h"

/* ---- OXM. ---- */

#define OXM_CLASS_NXM0 0x0000
#define OXM_CLASS_NXM1 0x0001
#define OXM_CLASS_BASIC 0x8000

struct oxm_entry {
    uint16_t class;
    uint8_t field;
    uint8_t wire_len;           /* Value length on the wire. */
    bool maskable;
    enum ft_field_id id;
    const char *name;
};

/* In the order fields are encoded. */
static const struct oxm_entry oxms[] = {
    { OXM_CLASS_BASIC, 0, 4, false, FT_F_IN_PORT, "OXM_OF_IN_PORT" },
    { OXM_CLASS_BASIC, 2, 8, true, FT_F_METADATA, "OXM_OF_METADATA" },
    { OXM_CLASS_BASIC, 38, 8, true, FT_F_TUN_ID, "OXM_OF_TUNNEL_ID" },
    { OXM_CLASS_NXM1, 31, 4, true, FT_F_TUN_SRC, "NXM_NX_TUN_IPV4_SRC" },
    { OXM_CLASS_NXM1, 32, 4, true, FT_F_TUN_DST, "NXM_NX_TUN_IPV4_DST" },
    { OXM_CLASS_NXM1, 0, 4, true, FT_F_REG0, "NXM_NX_REG0" },
    { OXM_CLASS_NXM1, 1, 4, true, FT_F_REG1, "NXM_NX_REG1" },
    { OXM_CLASS_NXM1, 2, 4, true, FT_F_REG2, "NXM_NX_REG2" },
    { OXM_CLASS_NXM1, 3, 4, true, FT_F_REG3, "NXM_NX_REG3" },
    { OXM_CLASS_NXM1, 4, 4, true, FT_F_REG4, "NXM_NX_REG4" },
    { OXM_CLASS_NXM1, 5, 4, true, FT_F_REG5, "NXM_NX_REG5" },
    { OXM_CLASS_NXM1, 6, 4, true, FT_F_REG6, "NXM_NX_REG6" },
    { OXM_CLASS_NXM1, 7, 4, true, FT_F_REG7, "NXM_NX_REG7" },
    { OXM_CLASS_BASIC, 4, 6, true, FT_F_ETH_SRC, "OXM_OF_ETH_SRC" },
    { OXM_CLASS_BASIC, 3, 6, true, FT_F_ETH_DST, "OXM_OF_ETH_DST" },
    { OXM_CLASS_BASIC, 5, 2, false, FT_F_ETH_TYPE, "OXM_OF_ETH_TYPE" },
    { OXM_CLASS_BASIC, 6, 2, true, FT_F_VLAN_VID, "OXM_OF_VLAN_VID" },
    { OXM_CLASS_BASIC, 7, 1, false, FT_F_VLAN_PCP, "OXM_OF_VLAN_PCP" },
    { OXM_CLASS_BASIC, 10, 1, false, FT_F_IP_PROTO, "OXM_OF_IP_PROTO" },
    { OXM_CLASS_BASIC, 11, 4, true, FT_F_IPV4_SRC, "OXM_OF_IPV4_SRC" },
    { OXM_CLASS_BASIC, 12, 4, true, FT_F_IPV4_DST, "OXM_OF_IPV4_DST" },
    { OXM_CLASS_BASIC, 26, 16, true, FT_F_IPV6_SRC, "OXM_OF_IPV6_SRC" },
    { OXM_CLASS_BASIC, 27, 16, true, FT_F_IPV6_DST, "OXM_OF_IPV6_DST" },
    { OXM_CLASS_BASIC, 28, 4, true, FT_F_IPV6_LABEL, "OXM_OF_IPV6_FLABEL" },
    { OXM_CLASS_BASIC, 8, 1, false, FT_F_IP_DSCP, "OXM_OF_IP_DSCP" },
    { OXM_CLASS_BASIC, 9, 1, false, FT_F_IP_ECN, "OXM_OF_IP_ECN" },
    { OXM_CLASS_NXM1, 29, 1, false, FT_F_IP_TTL, "NXM_NX_IP_TTL" },
    { OXM_CLASS_NXM1, 26, 1, true, FT_F_IP_FRAG, "NXM_NX_IP_FRAG" },
    { OXM_CLASS_BASIC, 21, 2, false, FT_F_ARP_OP, "OXM_OF_ARP_OP" },
    { OXM_CLASS_BASIC, 22, 4, true, FT_F_ARP_SPA, "OXM_OF_ARP_SPA" },
    { OXM_CLASS_BASIC, 23, 4, true, FT_F_ARP_TPA, "OXM_OF_ARP_TPA" },
    { OXM_CLASS_BASIC, 24, 6, true, FT_F_ARP_SHA, "OXM_OF_ARP_SHA" },
    { OXM_CLASS_BASIC, 25, 6, true, FT_F_ARP_THA, "OXM_OF_ARP_THA" },
    { OXM_CLASS_BASIC, 13, 2, false, FT_F_TCP_SRC, "OXM_OF_TCP_SRC" },
    { OXM_CLASS_BASIC, 14, 2, false, FT_F_TCP_DST, "OXM_OF_TCP_DST" },
    { OXM_CLASS_BASIC, 15, 2, false, FT_F_UDP_SRC, "OXM_OF_UDP_SRC" },
    { OXM_CLASS_BASIC, 16, 2, false, FT_F_UDP_DST, "OXM_OF_UDP_DST" },
    { OXM_CLASS_BASIC, 17, 2, false, FT_F_SCTP_SRC, "OXM_OF_SCTP_SRC" },
    { OXM_CLASS_BASIC, 18, 2, false, FT_F_SCTP_DST, "OXM_OF_SCTP_DST" },
    { OXM_CLASS_BASIC, 19, 1, false, FT_F_ICMP_TYPE, "OXM_OF_ICMPV4_TYPE" },
    { OXM_CLASS_BASIC, 20, 1, false, FT_F_ICMP_CODE, "OXM_OF_ICMPV4_CODE" },
    { OXM_CLASS_BASIC, 29, 1, false, FT_F_ICMPV6_TYPE, "OXM_OF_ICMPV6_TYPE" },
    { OXM_CLASS_BASIC, 30, 1, false, FT_F_ICMPV6_CODE, "OXM_OF_ICMPV6_CODE" },
};

#define N_OXMS (sizeof oxms / sizeof oxms[0])

static const struct oxm_entry *
oxm_by_wire(uint16_t class, uint8_t field)
{
    for (size_t i = 0; i < N_OXMS; i++) {
        if (oxms[i].class == class && oxms[i].field == field) {
            return &oxms[i];
        }
    }
    return NULL;
}

static const struct oxm_entry *
oxm_by_id(enum ft_field_id id)
{
    for (size_t i = 0; i < N_OXMS; i++) {
        if (oxms[i].id == id) {
            return &oxms[i];
        }
    }
    return NULL;
}

/* Reads a wire value of 'e' into 'v' for field 'f'.  Returns 0 or -EINVAL
 * if the value does not fit the field. */
static int
wire_to_value(const struct oxm_entry *e, const struct ft_field *f,
              const uint8_t *p, union ft_value *v)
{
    memset(v, 0, sizeof *v);
    if (f->n_bytes == 6 || f->n_bytes == 16) {
        memcpy(v->bytes, p, e->wire_len);
        return 0;
    }
    for (size_t i = 0; i < e->wire_len; i++) {
        v->u64 = v->u64 << 8 | p[i];
    }
    if (f->n_bits < 64 && v->u64 >> f->n_bits) {
        return -EINVAL;
    }
    return 0;
}

static void
value_to_wire(const struct oxm_entry *e, const struct ft_field *f,
              const union ft_value *v, struct ft_ofpbuf *b)
{
    if (f->n_bytes == 6 || f->n_bytes == 16) {
        ft_ofpbuf_put(b, v->bytes, e->wire_len);
        return;
    }
    for (size_t i = e->wire_len; i-- > 0;) {
        ft_ofpbuf_put_u8(b, (uint8_t) (v->u64 >> (8 * i)));
    }
}

size_t
ft_oxm_headers(uint32_t *headers, size_t max, enum ft_oxm_headers_kind kind)
{
    size_t n = 0;

    for (size_t i = 0; i < N_OXMS && n < max; i++) {
        const struct ft_field *f = ft_field_from_id(oxms[i].id);
        bool masked = kind == FT_OXM_HEADERS_MATCH && f->maskable;

        if (kind != FT_OXM_HEADERS_WRITABLE
            || (f->writable && f->id != FT_F_IN_PORT)) {
            /* With the mask bit, the length counts value and mask. */
            headers[n++] = (uint32_t) oxms[i].class << 16
                           | (uint32_t) oxms[i].field << 9
                           | (uint32_t) masked << 8
                           | (uint32_t) oxms[i].wire_len << masked;
        }
    }
    return n;
}

int
ft_oxm_field_decode(const uint8_t *p, size_t len,
                    const struct ft_field **fieldp, union ft_value *value,
                    union ft_value *mask, bool *has_mask,
                    struct ft_ofp_error *oe)
{
    const struct oxm_entry *e;
    const struct ft_field *f;
    uint16_t class;
    uint8_t field, plen;

    if (len < 4) {
        return ft_ofperr_set(oe, FT_OFPERR_MATCH_BAD_LEN, "OXM header "
                             "needs 4 bytes, %zu left", len);
    }
    class = ft_ofp_get16(p);
    field = p[2] >> 1;
    *has_mask = p[2] & 1;
    plen = p[3];
    if ((size_t) plen + 4 > len) {
        return ft_ofperr_set(oe, FT_OFPERR_MATCH_BAD_LEN, "OXM field "
                             "0x%04x/%u has length %u with %zu bytes left",
                             class, field, plen, len - 4);
    }
    e = oxm_by_wire(class, field);
    if (!e) {
        return ft_ofperr_set(oe, FT_OFPERR_MATCH_BAD_FIELD, "OXM field "
                             "0x%04x/%u is not supported", class, field);
    }
    if (plen != e->wire_len * (*has_mask ? 2 : 1)) {
        return ft_ofperr_set(oe, FT_OFPERR_MATCH_BAD_LEN, "%s has length "
                             "%u, must be %u", e->name, plen,
                             e->wire_len * (*has_mask ? 2 : 1));
    }
    if (*has_mask && !e->maskable) {
        return ft_ofperr_set(oe, FT_OFPERR_MATCH_BAD_MASK, "%s cannot be "
                             "masked", e->name);
    }
    f = ft_field_from_id(e->id);
    if (e->id == FT_F_IN_PORT) {
        ft_port_no port;

        if (ft_ofp_port_from_wire(FT_OFP13_VERSION, ft_ofp_get32(p + 4),
                                  &port)) {
            return ft_ofperr_set(oe, FT_OFPERR_MATCH_BAD_VALUE, "in_port "
                                 "0x%08x is not a port number",
                                 ft_ofp_get32(p + 4));
        }
        memset(value, 0, sizeof *value);
        value->u64 = port;
    } else if (wire_to_value(e, f, p + 4, value)) {
        return ft_ofperr_set(oe, FT_OFPERR_MATCH_BAD_VALUE, "%s: value "
                             "wider than the field's %u bits", e->name,
                             f->n_bits);
    }
    if (*has_mask) {
        if (wire_to_value(e, f, p + 4 + e->wire_len, mask)) {
            return ft_ofperr_set(oe, FT_OFPERR_MATCH_BAD_MASK, "%s: mask "
                                 "wider than the field's %u bits", e->name,
                                 f->n_bits);
        }
    } else {
        ft_field_full_mask(f, mask);
    }
    *fieldp = f;
    return 4 + plen;
}

int
ft_oxm_field_encode(const struct ft_field *f, const union ft_value *value,
                    const union ft_value *mask, struct ft_ofpbuf *b)
{
    const struct oxm_entry *e = oxm_by_id(f->id);
    bool masked = mask && !ft_field_mask_is_exact(f, mask) && e
                  && e->maskable;

    if (!e) {
        return -ENOENT;
    }
    ft_ofpbuf_put_be16(b, e->class);
    ft_ofpbuf_put_u8(b, (uint8_t) (e->field << 1 | masked));
    ft_ofpbuf_put_u8(b, (uint8_t) (e->wire_len * (masked ? 2 : 1)));
    if (f->id == FT_F_IN_PORT) {
        ft_ofpbuf_put_be32(b, ft_ofp_port_to_wire(FT_OFP13_VERSION,
                                                  (ft_port_no) value->u64));
    } else {
        value_to_wire(e, f, value, b);
    }
    if (masked) {
        value_to_wire(e, f, mask, b);
    }
    return 0;
}

/* OXM fields whose prerequisites are the same as another entry: which one
 * to print for a match depends on dl_type and nw_proto. */
static bool
entry_applies(const struct oxm_entry *e, const struct ft_match *m)
{
    const struct ft_field *f = ft_field_from_id(e->id);

    return ft_field_prereqs_ok(f, &m->flow, NULL);
}

void
ft_oxm_match_encode(const struct ft_match *m, struct ft_ofpbuf *b)
{
    size_t start = b->size;

    ft_ofpbuf_put_be16(b, 1);           /* OFPMT_OXM. */
    ft_ofpbuf_put_be16(b, 0);
    for (size_t i = 0; i < N_OXMS; i++) {
        const struct ft_field *f = ft_field_from_id(oxms[i].id);
        union ft_value v, mask;

        ft_match_get_field(m, f, &v, &mask);
        if (ft_field_mask_is_zero(f, &mask) || !entry_applies(&oxms[i], m)) {
            continue;
        }
        ft_oxm_field_encode(f, &v, &mask, b);
    }
    ft_ofpbuf_set_be16(b, start + 2, (uint16_t) (b->size - start));
    ft_ofpbuf_pad8(b, start);
}

int
ft_oxm_match_decode(const uint8_t *p, size_t len, struct ft_match *match,
                    size_t *match_len, struct ft_ofp_error *oe)
{
    bool seen[FT_N_FIELDS] = { false };
    const struct ft_field *fields[64];
    size_t n_fields = 0, mlen, ofs;

    ft_match_init_catchall(match);
    if (len < 4) {
        return ft_ofperr_set(oe, FT_OFPERR_MATCH_BAD_LEN, "match needs 4 "
                             "bytes, %zu left", len);
    }
    if (ft_ofp_get16(p) != 1) {
        return ft_ofperr_set(oe, FT_OFPERR_MATCH_BAD_TYPE, "match type %u "
                             "is not OXM (1)", ft_ofp_get16(p));
    }
    mlen = ft_ofp_get16(p + 2);
    if (mlen < 4 || (mlen + 7) / 8 * 8 > len) {
        return ft_ofperr_set(oe, FT_OFPERR_MATCH_BAD_LEN, "match length "
                             "%zu (padded to 8) does not fit in %zu bytes",
                             mlen, len);
    }
    for (ofs = 4; ofs < mlen;) {
        const struct ft_field *f;
        union ft_value v, mask;
        bool has_mask;
        int n = ft_oxm_field_decode(p + ofs, mlen - ofs, &f, &v, &mask,
                                    &has_mask, oe);

        if (n < 0) {
            return n;
        }
        if (seen[f->id]) {
            return ft_ofperr_set(oe, FT_OFPERR_MATCH_DUP_FIELD, "field %s "
                                 "appears twice in the match", f->name);
        }
        if (n_fields == sizeof fields / sizeof fields[0]) {
            return ft_ofperr_set(oe, FT_OFPERR_MATCH_BAD_LEN, "match has "
                                 "more than %zu fields", n_fields);
        }
        seen[f->id] = true;
        fields[n_fields++] = f;
        ft_match_set_field(match, f, &v, &mask);
        ofs += (size_t) n;
    }
    for (size_t i = 0; i < n_fields; i++) {
        if (!ft_field_prereqs_ok(fields[i], &match->flow, NULL)) {
            return ft_ofperr_set(oe, FT_OFPERR_MATCH_BAD_PREREQ, "field %s "
                                 "needs a match on what it depends on "
                                 "(eth_type, ip_proto or a VLAN tag)",
                                 fields[i]->name);
        }
    }
    *match_len = (mlen + 7) / 8 * 8;
    return 0;
}

/* ---- OF1.0 match. ---- */

#define OFPFW10_IN_PORT     (1u << 0)
#define OFPFW10_DL_VLAN     (1u << 1)
#define OFPFW10_DL_SRC      (1u << 2)
#define OFPFW10_DL_DST      (1u << 3)
#define OFPFW10_DL_TYPE     (1u << 4)
#define OFPFW10_NW_PROTO    (1u << 5)
#define OFPFW10_TP_SRC      (1u << 6)
#define OFPFW10_TP_DST      (1u << 7)
#define OFPFW10_NW_SRC_SHIFT 8
#define OFPFW10_NW_DST_SHIFT 14
#define OFPFW10_DL_VLAN_PCP (1u << 20)
#define OFPFW10_NW_TOS      (1u << 21)

/* The fixed-width fields of 'struct ofp_match': wildcard bit, offset,
 * length and field. */
struct ofp10_field {
    uint32_t wc;
    uint8_t ofs, len;
    enum ft_field_id id;
};

static const struct ofp10_field ofp10_fields[] = {
    { OFPFW10_IN_PORT, 4, 2, FT_F_IN_PORT },
    { OFPFW10_DL_SRC, 6, 6, FT_F_ETH_SRC },
    { OFPFW10_DL_DST, 12, 6, FT_F_ETH_DST },
    { OFPFW10_DL_VLAN, 18, 2, FT_F_DL_VLAN },
    { OFPFW10_DL_VLAN_PCP, 20, 1, FT_F_DL_VLAN_PCP },
    { OFPFW10_DL_TYPE, 22, 2, FT_F_ETH_TYPE },
    { OFPFW10_NW_TOS, 24, 1, FT_F_IP_TOS },
    { OFPFW10_NW_PROTO, 25, 1, FT_F_IP_PROTO },
    { OFPFW10_TP_SRC, 36, 2, FT_F_TP_SRC },
    { OFPFW10_TP_DST, 38, 2, FT_F_TP_DST },
};

#define N_OFP10_FIELDS (sizeof ofp10_fields / sizeof ofp10_fields[0])

static uint64_t
get_n(const uint8_t *p, size_t n)
{
    uint64_t x = 0;

    for (size_t i = 0; i < n; i++) {
        x = x << 8 | p[i];
    }
    return x;
}

static uint32_t
prefix_mask(uint32_t wc_bits)
{
    return wc_bits >= 32 ? 0 : ~0u << wc_bits;
}

static void
decode_nw_addr(const uint8_t *p, uint32_t wc, int shift, enum ft_field_id id,
               struct ft_match *m)
{
    uint32_t bits = (wc >> shift) & 0x3f;
    union ft_value v, mask;

    if (bits >= 32) {
        return;
    }
    memset(&v, 0, sizeof v);
    memset(&mask, 0, sizeof mask);
    v.u64 = ft_ofp_get32(p);
    mask.u64 = prefix_mask(bits);
    ft_match_set_field(m, ft_field_from_id(id), &v, &mask);
}

int
ft_ofp10_match_decode(const uint8_t *p, struct ft_match *m,
                      struct ft_ofp_error *oe)
{
    uint32_t wc = ft_ofp_get32(p);
    enum ft_field_id nw_src = FT_F_IPV4_SRC, nw_dst = FT_F_IPV4_DST;

    ft_match_init_catchall(m);
    for (size_t i = 0; i < N_OFP10_FIELDS; i++) {
        const struct ofp10_field *e = &ofp10_fields[i];
        const struct ft_field *f = ft_field_from_id(e->id);
        union ft_value v;

        if (wc & e->wc) {
            continue;
        }
        memset(&v, 0, sizeof v);
        if (e->len == 6) {
            memcpy(v.bytes, p + e->ofs, 6);
        } else {
            v.u64 = get_n(p + e->ofs, e->len);
        }
        if (e->id == FT_F_IP_TOS) {
            v.u64 &= FT_IP_DSCP_MASK;
        } else if (e->id == FT_F_DL_VLAN_PCP) {
            v.u64 &= 7;
        } else if (e->id == FT_F_DL_VLAN && v.u64 != 0xffff
                   && v.u64 > FT_VLAN_VID_MASK) {
            return ft_ofperr_set(oe, FT_OFPERR_MATCH_BAD_VALUE, "dl_vlan "
                                 "%"PRIu64" is not a VLAN id", v.u64);
        }
        ft_match_set_field(m, f, &v, NULL);
    }
    if (!(wc & OFPFW10_DL_TYPE) && ft_ofp_get16(p + 22) == FT_ETH_TYPE_ARP) {
        nw_src = FT_F_ARP_SPA;
        nw_dst = FT_F_ARP_TPA;
    }
    decode_nw_addr(p + 28, wc, OFPFW10_NW_SRC_SHIFT, nw_src, m);
    decode_nw_addr(p + 32, wc, OFPFW10_NW_DST_SHIFT, nw_dst, m);
    return 0;
}

static uint32_t
encode_nw_addr(const struct ft_match *m, enum ft_field_id id, int shift,
               uint8_t *p)
{
    const struct ft_field *f = ft_field_from_id(id);
    union ft_value v, mask;
    uint32_t bits = 0;

    /* Wildcarded bits: the zeros below a prefix mask (32: all). */
    ft_match_get_field(m, f, &v, &mask);
    while (bits < 32 && !((mask.u64 >> bits) & 1)) {
        bits++;
    }
    p[0] = v.u64 >> 24;
    p[1] = v.u64 >> 16;
    p[2] = v.u64 >> 8;
    p[3] = v.u64;
    return bits << shift;
}

void
ft_ofp10_match_encode(const struct ft_match *m, struct ft_ofpbuf *b)
{
    uint8_t *p = ft_ofpbuf_put_zeros(b, 40);
    uint32_t wc = 0;

    for (size_t i = 0; i < N_OFP10_FIELDS; i++) {
        const struct ofp10_field *e = &ofp10_fields[i];
        const struct ft_field *f = ft_field_from_id(e->id);
        union ft_value v, mask;

        ft_match_get_field(m, f, &v, &mask);
        if (e->id == FT_F_DL_VLAN_PCP
            && !(m->flow.vlans[0].tci & FT_VLAN_CFI)) {
            wc |= e->wc;        /* No tag: no priority to match. */
            continue;
        }
        if (e->id == FT_F_DL_VLAN && m->mask.vlans[0].tci
            && !(m->flow.vlans[0].tci & FT_VLAN_CFI)) {
            v.u64 = 0xffff;     /* No tag. */
        } else if (ft_field_mask_is_zero(f, &mask)) {
            wc |= e->wc;
            continue;
        }
        if (e->len == 6) {
            memcpy(p + e->ofs, v.bytes, 6);
        } else {
            for (size_t j = 0; j < e->len; j++) {
                p[e->ofs + j] = (uint8_t) (v.u64 >> (8 * (e->len - 1 - j)));
            }
        }
    }
    wc |= encode_nw_addr(m, FT_F_IPV4_SRC, OFPFW10_NW_SRC_SHIFT, p + 28);
    wc |= encode_nw_addr(m, FT_F_IPV4_DST, OFPFW10_NW_DST_SHIFT, p + 32);
    p[0] = wc >> 24;
    p[1] = wc >> 16;
    p[2] = wc >> 8;
    p[3] = wc;
}

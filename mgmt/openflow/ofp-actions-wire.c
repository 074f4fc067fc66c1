/*
 * ofp-actions-wire.c - OpenFlow actions and instructions on the wire:
 * OF1.0 actions, OF1.3 instructions (meter, apply_actions, write_metadata,
 * goto_table) and actions, and the Nicira extension actions Open vSwitch's
 * tools send (resubmit, set_tunnel, dec_ttl, load), to and from the flow
 * syntax's 'struct ft_ofpacts'.
 *
 * Part of mgmt/openflow/ (see ofp-msg.h).  Pure functions.  Every action
 * FlowTier's flow syntax has is carried; the rest (enqueue, group,
 * write_actions, ...) are refused with the OpenFlow error that names them.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "mgmt/openflow/ofp-msg.h"

#define NX_VENDOR_ID 0x00002320
#define NXAST_RESUBMIT 1
#define NXAST_SET_TUNNEL 2
#define NXAST_REG_LOAD 7
#define NXAST_SET_TUNNEL64 9
#define NXAST_RESUBMIT_TABLE 14
#define NXAST_DEC_TTL 18

#define OFPAT10_OUTPUT 0
#define OFPAT10_SET_VLAN_VID 1
#define OFPAT10_SET_VLAN_PCP 2
#define OFPAT10_STRIP_VLAN 3
#define OFPAT10_SET_DL_SRC 4
#define OFPAT10_SET_DL_DST 5
#define OFPAT10_SET_NW_SRC 6
#define OFPAT10_SET_NW_DST 7
#define OFPAT10_SET_NW_TOS 8
#define OFPAT10_SET_TP_SRC 9
#define OFPAT10_SET_TP_DST 10
#define OFPAT_VENDOR 0xffff

#define OFPAT13_OUTPUT 0
#define OFPAT13_PUSH_VLAN 17
#define OFPAT13_POP_VLAN 18
#define OFPAT13_GROUP 22
#define OFPAT13_DEC_NW_TTL 24
#define OFPAT13_SET_FIELD 25

#define OFPIT_GOTO_TABLE 1
#define OFPIT_WRITE_METADATA 2
#define OFPIT_WRITE_ACTIONS 3
#define OFPIT_APPLY_ACTIONS 4
#define OFPIT_CLEAR_ACTIONS 5
#define OFPIT_METER 6

/* ---- Decoding helpers. ---- */

/* Or'ed into the decoders' 'version' argument for a packet-out's actions,
 * where output to TABLE is allowed. */
#define PACKET_OUT_BIT 0x80

static int
put_output(uint8_t version, uint32_t wire, uint16_t max_len,
           struct ft_ofpacts *acts, struct ft_ofp_error *oe)
{
    bool packet_out = version & PACKET_OUT_BIT;
    ft_port_no port;

    version &= (uint8_t) ~PACKET_OUT_BIT;
    if (ft_ofp_port_from_wire(version, wire, &port)
        || port == FT_PORT_NONE || (port == FT_PORT_TABLE && !packet_out)
        || (port >= FT_PORT_MAX && port < FT_PORT_IN_PORT)) {
        return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_OUT_PORT, "output "
                             "to port 0x%x is not allowed in a flow", wire);
    }
    if (port == FT_PORT_CONTROLLER) {
        ft_ofpacts_put(acts, FT_OFPACT_CONTROLLER)->controller.max_len
            = max_len;
    } else {
        ft_ofpacts_put(acts, FT_OFPACT_OUTPUT)->output.port = port;
    }
    return 0;
}

static void
put_set(struct ft_ofpacts *acts, enum ft_field_id id, uint64_t value,
        const uint8_t *bytes, enum ft_set_field_spelling spelling)
{
    const struct ft_field *f = ft_field_from_id(id);
    struct ft_ofpact *a = ft_ofpacts_put(acts, FT_OFPACT_SET_FIELD);

    a->set_field.field = id;
    if (bytes) {
        memcpy(a->set_field.value.bytes, bytes, f->n_bytes);
    } else {
        a->set_field.value.u64 = value;
    }
    ft_field_full_mask(f, &a->set_field.mask);
    a->set_field.spelling = spelling;
}

/* NXAST_REG_LOAD: bits [ofs, ofs + n_bits) of the field named by an NXM
 * or OXM header get 'value'. */
static int
decode_reg_load(const uint8_t *p, size_t len, struct ft_ofpacts *acts,
                struct ft_ofp_error *oe)
{
    uint16_t ofs_nbits = ft_ofp_get16(p + 10);
    unsigned int ofs = ofs_nbits >> 6, n_bits = (ofs_nbits & 0x3f) + 1;
    uint8_t tlv[4 + 8];
    const struct ft_field *f;
    union ft_value v, mask;
    struct ft_ofpact *a;
    bool has_mask;
    uint64_t value;

    if (len != 24) {
        return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_LEN, "NXAST_REG_LOAD "
                             "has length %zu, must be 24", len);
    }
    /* Decode the destination as an OXM with a zero value of its width. */
    memcpy(tlv, p + 12, 4);
    memset(tlv + 4, 0, 8);
    if ((tlv[2] & 1) || tlv[3] > 8
        || ft_oxm_field_decode(tlv, 4 + (size_t) tlv[3], &f, &v, &mask,
                               &has_mask, oe) < 0
        || !f->writable || f->n_bytes > 8) {
        return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_SET_TYPE,
                             "NXAST_REG_LOAD: destination 0x%08x is not a "
                             "field FlowTier can load", ft_ofp_get32(p + 12));
    }
    value = ft_ofp_get64(p + 16);
    if (ofs + n_bits > f->n_bits
        || (n_bits < 64 && value >> n_bits)) {
        return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_SET_ARGUMENT,
                             "NXAST_REG_LOAD: %u bits at offset %u of "
                             "%s (%u bits) cannot hold 0x%"PRIx64, n_bits,
                             ofs, f->name, f->n_bits, value);
    }
    a = ft_ofpacts_put(acts, FT_OFPACT_SET_FIELD);
    a->set_field.field = f->id;
    a->set_field.mask.u64 = (n_bits == 64 ? UINT64_MAX
                             : ((UINT64_C(1) << n_bits) - 1)) << ofs;
    a->set_field.value.u64 = value << ofs;
    a->set_field.spelling = FT_SPELL_LOAD;
    return 0;
}

static int
decode_nx_action(const uint8_t *p, size_t len, uint8_t version,
                 struct ft_ofpacts *acts, struct ft_ofp_error *oe)
{
    uint16_t subtype;
    struct ft_ofpact *a;
    ft_port_no port;

    if (len < 16) {
        return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_LEN, "vendor action "
                             "has length %zu, needs at least 16", len);
    }
    if (ft_ofp_get32(p + 4) != NX_VENDOR_ID) {
        return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_VENDOR, "vendor "
                             "action of vendor 0x%08x is not supported",
                             ft_ofp_get32(p + 4));
    }
    subtype = ft_ofp_get16(p + 8);
    switch (subtype) {
    case NXAST_RESUBMIT:
    case NXAST_RESUBMIT_TABLE:
        (void) version;
    if (ft_ofp_port_from_wire(FT_OFP10_VERSION, ft_ofp_get16(p + 10),
                                  &port)) {
            return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_ARGUMENT,
                                 "resubmit: bad port");
        }
        if (port == FT_PORT_IN_PORT
            && (subtype == NXAST_RESUBMIT || p[12] == 255)) {
            /* The same port in the same table: the packet resubmitted to
             * itself.  Refused as the flow syntax refuses resubmit(,),
             * so that every rule prints as text that parses again. */
            return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_ARGUMENT,
                                 "resubmit: at least one of in_port and "
                                 "table must be given");
        }
        a = ft_ofpacts_put(acts, FT_OFPACT_RESUBMIT);
        a->resubmit.in_port = port;
        a->resubmit.table_id = subtype == NXAST_RESUBMIT ? 255 : p[12];
        return 0;
    case NXAST_SET_TUNNEL:
        a = ft_ofpacts_put(acts, FT_OFPACT_SET_TUNNEL);
        a->set_tunnel.tun_id = ft_ofp_get32(p + 12);
        return 0;
    case NXAST_SET_TUNNEL64:
        if (len != 24) {
            return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_LEN,
                                 "set_tunnel64 has length %zu, must be 24",
                                 len);
        }
        a = ft_ofpacts_put(acts, FT_OFPACT_SET_TUNNEL);
        a->set_tunnel.tun_id = ft_ofp_get64(p + 16);
        a->set_tunnel.is64 = true;
        return 0;
    case NXAST_DEC_TTL:
        ft_ofpacts_put(acts, FT_OFPACT_DEC_TTL);
        return 0;
    case NXAST_REG_LOAD:
        return decode_reg_load(p, len, acts, oe);
    default:
        (void) version;
        return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_SUBTYPE, "Nicira "
                             "action subtype %u is not supported", subtype);
    }
}

/* Walks the actions of 'p' ('len' bytes), checking each length, calling
 * 'decode_one' for each. */
static int
for_each_action(const uint8_t *p, size_t len, uint8_t version,
                int (*decode_one)(const uint8_t *, size_t, uint8_t,
                                  struct ft_ofpacts *, struct ft_ofp_error *),
                struct ft_ofpacts *acts, struct ft_ofp_error *oe)
{
    while (len) {
        uint16_t alen;
        int error;

        if (len < 8) {
            return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_LEN, "%zu bytes "
                                 "left after the last action", len);
        }
        alen = ft_ofp_get16(p + 2);
        if (alen < 8 || alen % 8 || alen > len) {
            return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_LEN, "action of "
                                 "type %u has length %u (%zu bytes left; "
                                 "must be a multiple of 8)",
                                 ft_ofp_get16(p), alen, len);
        }
        error = decode_one(p, alen, version, acts, oe);
        if (error) {
            return error;
        }
        p += alen;
        len -= alen;
    }
    return 0;
}

/* The fixed length each OF1.0 action must have. */
static const uint8_t ofp10_action_len[] = {
    [OFPAT10_OUTPUT] = 8, [OFPAT10_SET_VLAN_VID] = 8,
    [OFPAT10_SET_VLAN_PCP] = 8, [OFPAT10_STRIP_VLAN] = 8,
    [OFPAT10_SET_DL_SRC] = 16, [OFPAT10_SET_DL_DST] = 16,
    [OFPAT10_SET_NW_SRC] = 8, [OFPAT10_SET_NW_DST] = 8,
    [OFPAT10_SET_NW_TOS] = 8, [OFPAT10_SET_TP_SRC] = 8,
    [OFPAT10_SET_TP_DST] = 8,
};

static int
decode_ofp10_action(const uint8_t *p, size_t len, uint8_t version,
                    struct ft_ofpacts *acts, struct ft_ofp_error *oe)
{
    uint16_t type = ft_ofp_get16(p);
    struct ft_ofpact *a;

    if (type == OFPAT_VENDOR) {
        return decode_nx_action(p, len, version, acts, oe);
    }
    if (type > OFPAT10_SET_TP_DST) {
        return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_TYPE, "OpenFlow 1.0 "
                             "action type %u is not supported%s", type,
                             type == 11 ? " (no queues)" : "");
    }
    if (len != ofp10_action_len[type]) {
        return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_LEN, "action type %u "
                             "has length %zu, must be %u", type, len,
                             ofp10_action_len[type]);
    }
    switch (type) {
    case OFPAT10_OUTPUT:
        return put_output(version, ft_ofp_get16(p + 4), ft_ofp_get16(p + 6),
                          acts, oe);
    case OFPAT10_SET_VLAN_VID:
        if (ft_ofp_get16(p + 4) > FT_VLAN_VID_MASK) {
            return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_ARGUMENT,
                                 "mod_vlan_vid: %u is not a VLAN id",
                                 ft_ofp_get16(p + 4));
        }
        a = ft_ofpacts_put(acts, FT_OFPACT_SET_VLAN_VID);
        a->vlan_vid.vid = ft_ofp_get16(p + 4);
        a->vlan_vid.push_vlan_if_needed = true;
        return 0;
    case OFPAT10_SET_VLAN_PCP:
        if (p[4] > 7) {
            return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_ARGUMENT,
                                 "mod_vlan_pcp: %u is not a priority", p[4]);
        }
        a = ft_ofpacts_put(acts, FT_OFPACT_SET_VLAN_PCP);
        a->vlan_pcp.pcp = p[4];
        a->vlan_pcp.push_vlan_if_needed = true;
        return 0;
    case OFPAT10_STRIP_VLAN:
        ft_ofpacts_put(acts, FT_OFPACT_STRIP_VLAN);
        return 0;
    case OFPAT10_SET_DL_SRC:
    case OFPAT10_SET_DL_DST:
        put_set(acts, type == OFPAT10_SET_DL_SRC ? FT_F_ETH_SRC
                : FT_F_ETH_DST, 0, p + 4, type == OFPAT10_SET_DL_SRC
                ? FT_SPELL_MOD_DL_SRC : FT_SPELL_MOD_DL_DST);
        return 0;
    case OFPAT10_SET_NW_SRC:
    case OFPAT10_SET_NW_DST:
        put_set(acts, type == OFPAT10_SET_NW_SRC ? FT_F_IPV4_SRC
                : FT_F_IPV4_DST, ft_ofp_get32(p + 4), NULL,
                type == OFPAT10_SET_NW_SRC ? FT_SPELL_MOD_NW_SRC
                : FT_SPELL_MOD_NW_DST);
        return 0;
    case OFPAT10_SET_NW_TOS:
        if (p[4] & ~FT_IP_DSCP_MASK) {
            return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_ARGUMENT,
                                 "mod_nw_tos: 0x%02x has ECN bits set", p[4]);
        }
        put_set(acts, FT_F_IP_TOS, p[4], NULL, FT_SPELL_MOD_NW_TOS);
        return 0;
    default:                    /* OFPAT10_SET_TP_SRC, _DST. */
        put_set(acts, type == OFPAT10_SET_TP_SRC ? FT_F_TP_SRC : FT_F_TP_DST,
                ft_ofp_get16(p + 4), NULL, type == OFPAT10_SET_TP_SRC
                ? FT_SPELL_MOD_TP_SRC : FT_SPELL_MOD_TP_DST);
        return 0;
    }
}

int
ft_ofp10_actions_decode(const uint8_t *p, size_t len,
                        struct ft_ofpacts *acts, struct ft_ofp_error *oe)
{
    return for_each_action(p, len, FT_OFP10_VERSION, decode_ofp10_action,
                           acts, oe);
}

static int
decode_set_field(const uint8_t *p, size_t len, struct ft_ofpacts *acts,
                 struct ft_ofp_error *oe)
{
    const struct ft_field *f;
    union ft_value v, mask;
    struct ft_ofpact *a;
    bool has_mask;
    int n = ft_oxm_field_decode(p + 4, len - 4, &f, &v, &mask, &has_mask,
                                oe);

    if (n < 0) {
        oe->id = oe->id == FT_OFPERR_MATCH_BAD_FIELD
                 ? FT_OFPERR_ACTION_BAD_SET_TYPE
                 : FT_OFPERR_ACTION_BAD_SET_LEN;
        return n;
    }
    if (has_mask || !f->writable || f->id == FT_F_IN_PORT) {
        return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_SET_TYPE, "set_field: "
                             "%s%s", f->name, has_mask ? " with a mask is "
                             "not OpenFlow 1.3" : " cannot be set");
    }
    if ((size_t) n + 4 > len || (len - (size_t) n - 4) >= 8) {
        return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_SET_LEN, "set_field "
                             "of %s: action length %zu does not fit its "
                             "field", f->name, len);
    }
    a = ft_ofpacts_put(acts, FT_OFPACT_SET_FIELD);
    a->set_field.field = f->id;
    a->set_field.value = v;
    a->set_field.mask = mask;
    a->set_field.spelling = FT_SPELL_SET_FIELD;
    return 0;
}

static int
decode_ofp13_action(const uint8_t *p, size_t len, uint8_t version,
                    struct ft_ofpacts *acts, struct ft_ofp_error *oe)
{
    uint16_t type = ft_ofp_get16(p);
    uint16_t ethertype;

    switch (type) {
    case OFPAT13_OUTPUT:
        if (len != 16) {
            return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_LEN, "output has "
                                 "length %zu, must be 16", len);
        }
        return put_output(version, ft_ofp_get32(p + 4), ft_ofp_get16(p + 8),
                          acts, oe);
    case OFPAT13_PUSH_VLAN:
        ethertype = ft_ofp_get16(p + 4);
        if (ethertype != FT_ETH_TYPE_VLAN && ethertype != FT_ETH_TYPE_VLAN_AD) {
            return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_ARGUMENT,
                                 "push_vlan: ethertype 0x%04x is not 0x8100 "
                                 "or 0x88a8", ethertype);
        }
        ft_ofpacts_put(acts, FT_OFPACT_PUSH_VLAN)->push_vlan.ethertype
            = ethertype;
        return 0;
    case OFPAT13_POP_VLAN:
        ft_ofpacts_put(acts, FT_OFPACT_STRIP_VLAN);
        return 0;
    case OFPAT13_DEC_NW_TTL:
        ft_ofpacts_put(acts, FT_OFPACT_DEC_TTL);
        return 0;
    case OFPAT13_SET_FIELD:
        return decode_set_field(p, len, acts, oe);
    case OFPAT13_GROUP:
        return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_OUT_GROUP, "group "
                             "%u does not exist (FlowTier has no groups)",
                             ft_ofp_get32(p + 4));
    case OFPAT_VENDOR:
        return decode_nx_action(p, len, version, acts, oe);
    default:
        return ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_TYPE, "OpenFlow 1.3 "
                             "action type %u is not supported", type);
    }
}

int
ft_ofp13_actions_decode(const uint8_t *p, size_t len,
                        struct ft_ofpacts *acts, struct ft_ofp_error *oe)
{
    return for_each_action(p, len, FT_OFP13_VERSION, decode_ofp13_action,
                           acts, oe);
}

int
ft_ofp_packet_out_actions_decode(uint8_t version, const uint8_t *p,
                                 size_t len, struct ft_ofpacts *acts,
                                 struct ft_ofp_error *oe)
{
    return for_each_action(p, len, version | PACKET_OUT_BIT,
                           version == FT_OFP10_VERSION ? decode_ofp10_action
                           : decode_ofp13_action, acts, oe);
}

/* The instructions in the order OpenFlow runs them, each at most once. */
static const uint16_t inst_order[] = {
    OFPIT_METER, OFPIT_APPLY_ACTIONS, OFPIT_CLEAR_ACTIONS,
    OFPIT_WRITE_ACTIONS, OFPIT_WRITE_METADATA, OFPIT_GOTO_TABLE,
};

static int
inst_rank(uint16_t type)
{
    for (size_t i = 0; i < sizeof inst_order / sizeof inst_order[0]; i++) {
        if (inst_order[i] == type) {
            return (int) i;
        }
    }
    return -1;
}

static int
decode_instruction(const uint8_t *p, size_t len, struct ft_ofpacts *acts,
                   struct ft_ofp_error *oe)
{
    static const uint8_t fixed_len[] = {
        [OFPIT_GOTO_TABLE] = 8, [OFPIT_WRITE_METADATA] = 24,
        [OFPIT_METER] = 8,
    };
    uint16_t type = ft_ofp_get16(p);
    struct ft_ofpact *a;

    if (type <= OFPIT_METER && fixed_len[type] && len != fixed_len[type]) {
        return ft_ofperr_set(oe, FT_OFPERR_INST_BAD_LEN, "instruction %u "
                             "has length %zu, must be %u", type, len,
                             fixed_len[type]);
    }
    switch (type) {
    case OFPIT_METER:
        ft_ofpacts_put(acts, FT_OFPACT_METER)->meter_id = ft_ofp_get32(p + 4);
        return 0;
    case OFPIT_APPLY_ACTIONS:
        return ft_ofp13_actions_decode(p + 8, len - 8, acts, oe);
    case OFPIT_WRITE_METADATA:
        a = ft_ofpacts_put(acts, FT_OFPACT_WRITE_METADATA);
        a->write_metadata.metadata = ft_ofp_get64(p + 8);
        a->write_metadata.mask = ft_ofp_get64(p + 16);
        return 0;
    case OFPIT_GOTO_TABLE:
        if (p[4] >= FT_N_TABLES) {
            return ft_ofperr_set(oe, FT_OFPERR_BAD_TABLE_ID, "goto_table:%u "
                                 "names no table (0..%d)", p[4],
                                 FT_N_TABLES - 1);
        }
        ft_ofpacts_put(acts, FT_OFPACT_GOTO_TABLE)->table_id = p[4];
        return 0;
    case OFPIT_WRITE_ACTIONS:
    case OFPIT_CLEAR_ACTIONS:
        return ft_ofperr_set(oe, FT_OFPERR_INST_UNSUP, "%s is not supported "
                             "(FlowTier has no action set; use "
                             "apply_actions)", type == OFPIT_WRITE_ACTIONS
                             ? "write_actions" : "clear_actions");
    default:
        return ft_ofperr_set(oe, FT_OFPERR_INST_UNKNOWN, "instruction type "
                             "%u is not supported", type);
    }
}

int
ft_ofp13_instructions_decode(const uint8_t *p, size_t len,
                             struct ft_ofpacts *acts, struct ft_ofp_error *oe)
{
    int last = -1;

    while (len) {
        uint16_t ilen;
        int rank, error;

        if (len < 8) {
            return ft_ofperr_set(oe, FT_OFPERR_INST_BAD_LEN, "%zu bytes left "
                                 "after the last instruction", len);
        }
        ilen = ft_ofp_get16(p + 2);
        if (ilen < 8 || ilen % 8 || ilen > len) {
            return ft_ofperr_set(oe, FT_OFPERR_INST_BAD_LEN, "instruction "
                                 "of type %u has length %u (%zu bytes left; "
                                 "must be a multiple of 8)",
                                 ft_ofp_get16(p), ilen, len);
        }
        rank = inst_rank(ft_ofp_get16(p));
        if (rank >= 0 && rank <= last) {
            return ft_ofperr_set(oe, FT_OFPERR_INST_UNSUP, "instruction %u "
                                 "repeated or out of order (OpenFlow order: "
                                 "meter, apply_actions, write_metadata, "
                                 "goto_table)", ft_ofp_get16(p));
        }
        error = decode_instruction(p, ilen, acts, oe);
        if (error) {
            return error;
        }
        last = rank;
        p += ilen;
        len -= ilen;
    }
    return 0;
}

/* ---- Encoding. ---- */

static size_t
nx_start(struct ft_ofpbuf *b, uint16_t subtype)
{
    size_t start = b->size;

    ft_ofpbuf_put_be16(b, OFPAT_VENDOR);
    ft_ofpbuf_put_be16(b, 0);
    ft_ofpbuf_put_be32(b, NX_VENDOR_ID);
    ft_ofpbuf_put_be16(b, subtype);
    return start;
}

static void
action_finish(struct ft_ofpbuf *b, size_t start)
{
    ft_ofpbuf_pad8(b, start);
    ft_ofpbuf_set_be16(b, start + 2, (uint16_t) (b->size - start));
}

static size_t
action_start(struct ft_ofpbuf *b, uint16_t type)
{
    size_t start = b->size;

    ft_ofpbuf_put_be16(b, type);
    ft_ofpbuf_put_be16(b, 0);
    return start;
}

static void
encode_output(uint8_t version, ft_port_no port, uint16_t max_len,
              struct ft_ofpbuf *b)
{
    size_t start = action_start(b, OFPAT10_OUTPUT);

    if (version == FT_OFP10_VERSION) {
        ft_ofpbuf_put_be16(b, port);
        ft_ofpbuf_put_be16(b, max_len);
    } else {
        ft_ofpbuf_put_be32(b, ft_ofp_port_to_wire(version, port));
        ft_ofpbuf_put_be16(b, max_len);
    }
    action_finish(b, start);
}

static void
encode_common(uint8_t version, const struct ft_ofpact *a,
              struct ft_ofpbuf *b)
{
    size_t start;

    switch (a->type) {
    case FT_OFPACT_OUTPUT:
        encode_output(version, a->output.port, 0, b);
        break;
    case FT_OFPACT_CONTROLLER:
        encode_output(version, FT_PORT_CONTROLLER, a->controller.max_len, b);
        break;
    case FT_OFPACT_RESUBMIT:
        start = nx_start(b, a->resubmit.table_id == 255
                         ? NXAST_RESUBMIT : NXAST_RESUBMIT_TABLE);
        ft_ofpbuf_put_be16(b, a->resubmit.in_port);
        ft_ofpbuf_put_u8(b, a->resubmit.table_id == 255
                         ? 0 : a->resubmit.table_id);
        action_finish(b, start);
        break;
    case FT_OFPACT_SET_TUNNEL:
        if (a->set_tunnel.is64 || a->set_tunnel.tun_id > UINT32_MAX) {
            start = nx_start(b, NXAST_SET_TUNNEL64);
            ft_ofpbuf_put_zeros(b, 6);
            ft_ofpbuf_put_be64(b, a->set_tunnel.tun_id);
        } else {
            start = nx_start(b, NXAST_SET_TUNNEL);
            ft_ofpbuf_put_zeros(b, 2);
            ft_ofpbuf_put_be32(b, (uint32_t) a->set_tunnel.tun_id);
        }
        action_finish(b, start);
        break;
    default:
        break;
    }
}

/* NXAST_REG_LOAD of a masked set_field (a contiguous mask). */
static void
encode_reg_load(const struct ft_ofpact_set_field *sf, struct ft_ofpbuf *b)
{
    const struct ft_field *f = ft_field_from_id(sf->field);
    uint64_t m = sf->mask.u64;
    unsigned int ofs = 0, n = 0;
    struct ft_ofpbuf tlv;
    union ft_value zero;
    size_t start;

    while (m && !(m & 1)) {
        m >>= 1;
        ofs++;
    }
    while (m & 1) {
        m >>= 1;
        n++;
    }
    memset(&zero, 0, sizeof zero);
    ft_ofpbuf_init(&tlv);
    if (m || !n || ft_oxm_field_encode(f, &zero, NULL, &tlv)) {
        ft_ofpbuf_uninit(&tlv);
        return;                 /* Not expressible: cannot happen from the
                                 * flow syntax (load takes a bit range). */
    }
    start = nx_start(b, NXAST_REG_LOAD);
    ft_ofpbuf_put_be16(b, (uint16_t) (ofs << 6 | (n - 1)));
    ft_ofpbuf_put(b, tlv.data, 4);
    ft_ofpbuf_put_be64(b, (sf->value.u64 & sf->mask.u64) >> ofs);
    action_finish(b, start);
    ft_ofpbuf_uninit(&tlv);
}

static bool
set_field_is_partial(const struct ft_ofpact_set_field *sf)
{
    return !ft_field_mask_is_exact(ft_field_from_id(sf->field), &sf->mask);
}

static void
encode_ofp10_set_field(const struct ft_ofpact_set_field *sf,
                       struct ft_ofpbuf *b)
{
    const struct ft_field *f = ft_field_from_id(sf->field);
    size_t start;

    if (set_field_is_partial(sf)) {
        encode_reg_load(sf, b);
        return;
    }
    switch (sf->field) {
    case FT_F_ETH_SRC:
    case FT_F_ETH_DST:
        start = action_start(b, sf->field == FT_F_ETH_SRC
                             ? OFPAT10_SET_DL_SRC : OFPAT10_SET_DL_DST);
        ft_ofpbuf_put(b, sf->value.mac.ea, 6);
        break;
    case FT_F_IPV4_SRC:
    case FT_F_IPV4_DST:
        start = action_start(b, sf->field == FT_F_IPV4_SRC
                             ? OFPAT10_SET_NW_SRC : OFPAT10_SET_NW_DST);
        ft_ofpbuf_put_be32(b, (uint32_t) sf->value.u64);
        break;
    case FT_F_IP_TOS:
    case FT_F_IP_DSCP:
        start = action_start(b, OFPAT10_SET_NW_TOS);
        ft_ofpbuf_put_u8(b, (uint8_t) (sf->field == FT_F_IP_DSCP
                                       ? sf->value.u64 << 2
                                       : sf->value.u64));
        break;
    case FT_F_VLAN_VID:
    case FT_F_DL_VLAN:
        start = action_start(b, OFPAT10_SET_VLAN_VID);
        ft_ofpbuf_put_be16(b, (uint16_t) (sf->value.u64 & FT_VLAN_VID_MASK));
        break;
    case FT_F_VLAN_PCP:
    case FT_F_DL_VLAN_PCP:
        start = action_start(b, OFPAT10_SET_VLAN_PCP);
        ft_ofpbuf_put_u8(b, (uint8_t) sf->value.u64);
        break;
    case FT_F_TP_SRC: case FT_F_TCP_SRC: case FT_F_UDP_SRC:
    case FT_F_TP_DST: case FT_F_TCP_DST: case FT_F_UDP_DST:
        start = action_start(b, (sf->field == FT_F_TP_SRC
                                 || sf->field == FT_F_TCP_SRC
                                 || sf->field == FT_F_UDP_SRC)
                             ? OFPAT10_SET_TP_SRC : OFPAT10_SET_TP_DST);
        ft_ofpbuf_put_be16(b, (uint16_t) sf->value.u64);
        break;
    default:
        if (f->n_bytes <= 8) {
            struct ft_ofpact_set_field full = *sf;

            ft_field_full_mask(f, &full.mask);
            encode_reg_load(&full, b);
        }
        return;
    }
    action_finish(b, start);
}

void
ft_ofp10_actions_encode(const struct ft_ofpacts *acts, struct ft_ofpbuf *b)
{
    for (size_t i = 0; i < acts->n; i++) {
        const struct ft_ofpact *a = &acts->acts[i];
        size_t start;

        switch (a->type) {
        case FT_OFPACT_SET_VLAN_VID:
            start = action_start(b, OFPAT10_SET_VLAN_VID);
            ft_ofpbuf_put_be16(b, a->vlan_vid.vid);
            action_finish(b, start);
            break;
        case FT_OFPACT_SET_VLAN_PCP:
            start = action_start(b, OFPAT10_SET_VLAN_PCP);
            ft_ofpbuf_put_u8(b, a->vlan_pcp.pcp);
            action_finish(b, start);
            break;
        case FT_OFPACT_STRIP_VLAN:
            start = action_start(b, OFPAT10_STRIP_VLAN);
            action_finish(b, start);
            break;
        case FT_OFPACT_SET_FIELD:
            encode_ofp10_set_field(&a->set_field, b);
            break;
        case FT_OFPACT_DEC_TTL:
            start = nx_start(b, NXAST_DEC_TTL);
            action_finish(b, start);
            break;
        default:
            encode_common(FT_OFP10_VERSION, a, b);
            break;
        }
    }
}

static void
encode_ofp13_set_field(const struct ft_ofpact_set_field *sf,
                       struct ft_ofpbuf *b)
{
    const struct ft_field *f = ft_field_from_id(sf->field);
    size_t start;

    if (set_field_is_partial(sf)) {
        encode_reg_load(sf, b);
        return;
    }
    if (f->id == FT_F_IP_TOS) {
        /* OpenFlow 1.3 sets the DSCP bits as ip_dscp. */
        union ft_value v = { .u64 = sf->value.u64 >> 2 };

        start = action_start(b, OFPAT13_SET_FIELD);
        ft_oxm_field_encode(ft_field_from_id(FT_F_IP_DSCP), &v, NULL, b);
        action_finish(b, start);
        return;
    }
    if (f->id == FT_F_TP_SRC || f->id == FT_F_TP_DST) {
        /* OVS sends mod_tp_* in 1.3 as set_field of tcp or udp ports: the
         * generic field has no OXM of its own, so use TCP's (same bits). */
        f = ft_field_from_id(f->id == FT_F_TP_SRC ? FT_F_TCP_SRC
                             : FT_F_TCP_DST);
    }
    start = action_start(b, OFPAT13_SET_FIELD);
    if (ft_oxm_field_encode(f, &sf->value, NULL, b)) {
        b->size = start;
        return;
    }
    action_finish(b, start);
}

static void
encode_ofp13_actions(const struct ft_ofpacts *acts, const struct ft_match *m,
                     struct ft_ofpbuf *b)
{
    bool has_vlan = m && (m->flow.vlans[0].tci & FT_VLAN_CFI);

    for (size_t i = 0; i < acts->n; i++) {
        const struct ft_ofpact *a = &acts->acts[i];
        struct ft_ofpact_set_field sf;
        size_t start;

        switch (a->type) {
        case FT_OFPACT_SET_VLAN_VID:
        case FT_OFPACT_SET_VLAN_PCP:
            /* As OVS does: OF1.0's mod_vlan_* pushes a tag if the rule's
             * match does not say there is one. */
            if ((a->type == FT_OFPACT_SET_VLAN_VID
                 ? a->vlan_vid.push_vlan_if_needed
                 : a->vlan_pcp.push_vlan_if_needed) && !has_vlan) {
                start = action_start(b, OFPAT13_PUSH_VLAN);
                ft_ofpbuf_put_be16(b, FT_ETH_TYPE_VLAN);
                action_finish(b, start);
                has_vlan = true;
            }
            memset(&sf, 0, sizeof sf);
            sf.field = a->type == FT_OFPACT_SET_VLAN_VID ? FT_F_VLAN_VID
                       : FT_F_VLAN_PCP;
            sf.value.u64 = a->type == FT_OFPACT_SET_VLAN_VID
                           ? (a->vlan_vid.vid | FT_VLAN_CFI)
                           : a->vlan_pcp.pcp;
            ft_field_full_mask(ft_field_from_id(sf.field), &sf.mask);
            encode_ofp13_set_field(&sf, b);
            break;
        case FT_OFPACT_PUSH_VLAN:
            start = action_start(b, OFPAT13_PUSH_VLAN);
            ft_ofpbuf_put_be16(b, a->push_vlan.ethertype);
            action_finish(b, start);
            has_vlan = true;
            break;
        case FT_OFPACT_STRIP_VLAN:
            start = action_start(b, OFPAT13_POP_VLAN);
            action_finish(b, start);
            break;
        case FT_OFPACT_SET_FIELD:
            encode_ofp13_set_field(&a->set_field, b);
            break;
        case FT_OFPACT_DEC_TTL:
            start = action_start(b, OFPAT13_DEC_NW_TTL);
            action_finish(b, start);
            break;
        default:
            encode_common(FT_OFP13_VERSION, a, b);
            break;
        }
    }
}

static bool
is_instruction(const struct ft_ofpact *a)
{
    return a->type == FT_OFPACT_METER || a->type == FT_OFPACT_GOTO_TABLE
           || a->type == FT_OFPACT_WRITE_METADATA;
}

void
ft_ofp13_instructions_encode(const struct ft_ofpacts *acts,
                             const struct ft_match *m, struct ft_ofpbuf *b)
{
    struct ft_ofpacts apply = FT_OFPACTS_INITIALIZER;
    size_t start;

    for (size_t i = 0; i < acts->n; i++) {
        const struct ft_ofpact *a = &acts->acts[i];

        if (a->type == FT_OFPACT_METER) {
            start = action_start(b, OFPIT_METER);
            ft_ofpbuf_put_be32(b, a->meter_id);
            action_finish(b, start);
        } else if (!is_instruction(a)) {
            *ft_ofpacts_put(&apply, a->type) = *a;
        }
    }
    if (apply.n) {
        start = action_start(b, OFPIT_APPLY_ACTIONS);
        ft_ofpbuf_put_zeros(b, 4);
        encode_ofp13_actions(&apply, m, b);
        ft_ofpbuf_set_be16(b, start + 2, (uint16_t) (b->size - start));
    }
    ft_ofpacts_uninit(&apply);
    for (size_t i = 0; i < acts->n; i++) {
        const struct ft_ofpact *a = &acts->acts[i];

        if (a->type == FT_OFPACT_WRITE_METADATA) {
            start = action_start(b, OFPIT_WRITE_METADATA);
            ft_ofpbuf_put_zeros(b, 4);
            ft_ofpbuf_put_be64(b, a->write_metadata.metadata);
            ft_ofpbuf_put_be64(b, a->write_metadata.mask);
            action_finish(b, start);
        }
    }
    for (size_t i = 0; i < acts->n; i++) {
        if (acts->acts[i].type == FT_OFPACT_GOTO_TABLE) {
            start = action_start(b, OFPIT_GOTO_TABLE);
            ft_ofpbuf_put_u8(b, acts->acts[i].table_id);
            action_finish(b, start);
        }
    }
}

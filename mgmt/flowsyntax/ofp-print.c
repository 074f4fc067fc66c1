/*
 * ofp-print.c - prints matches, action lists and flow specs the way
 * 'ovs-ofctl dump-flows' does with OpenFlow 1.0 + NXM: protocol
 * shorthand first ("tcp", "arp", "icmp6"...), then the fields in OVS's
 * order, masks as CIDR lengths where they are prefixes; actions in their
 * OF1.0 spelling, or as the user wrote them when several spellings exist.
 *
 * Everything printed parses back (ofp-parse.c) to the same structure.
 */
#include "mgmt/flowsyntax/ofp-flow.h"

#include <inttypes.h>
#include <string.h>

/* The name set_field prints for each field: OVS's own field names, which
 * for some fields differ from the names dump-flows uses in matches. */
static const char *
set_field_name(const struct ft_field *f)
{
    switch (f->id) {
    case FT_F_ETH_SRC:
        return "eth_src";
    case FT_F_ETH_DST:
        return "eth_dst";
    case FT_F_IPV4_SRC:
        return "ip_src";
    case FT_F_IPV4_DST:
        return "ip_dst";
    default:
        return f->name;
    }
}

static void
put_field(const struct ft_match *m, enum ft_field_id id, struct ds *out)
{
    const struct ft_field *f = ft_field_from_id(id);
    const uint8_t *storage = (const uint8_t *) &m->mask + f->ofs;
    union ft_value v, mask;
    uint8_t any = 0;

    /* Most fields of most matches are wildcarded: a glance at the mask's
     * storage bytes settles those without decoding the field. */
    for (size_t i = 0; i < f->n_bytes; i++) {
        any |= storage[i];
    }
    if (!any) {
        return;
    }
    ft_match_get_field(m, f, &v, &mask);
    if (ft_field_mask_is_zero(f, &mask)) {
        return;
    }
    ds_put_cstr(out, f->name);
    ds_put_char(out, '=');
    ft_field_format(f, &v, &mask, out);
    ds_put_char(out, ',');
}

/* The protocol shorthand for 'm', or NULL.  Sets '*skip_proto' when the
 * shorthand includes nw_proto. */
static const char *
shorthand(const struct ft_match *m, bool *skip_proto)
{
    bool v6 = m->flow.dl_type == FT_ETH_TYPE_IPV6;

    *skip_proto = false;
    if (m->mask.dl_type != 0xffff) {
        return NULL;
    }
    if (m->flow.dl_type == FT_ETH_TYPE_ARP) {
        return "arp";
    }
    if (m->flow.dl_type != FT_ETH_TYPE_IP && !v6) {
        return NULL;
    }
    if (m->mask.nw_proto == 0xff) {
        *skip_proto = true;
        switch (m->flow.nw_proto) {
        case FT_IPPROTO_TCP:
            return v6 ? "tcp6" : "tcp";
        case FT_IPPROTO_UDP:
            return v6 ? "udp6" : "udp";
        case FT_IPPROTO_SCTP:
            return v6 ? "sctp6" : "sctp";
        case FT_IPPROTO_ICMP:
            if (!v6) {
                return "icmp";
            }
            break;
        case FT_IPPROTO_ICMPV6:
            if (v6) {
                return "icmp6";
            }
            break;
        }
        *skip_proto = false;
    }
    return v6 ? "ipv6" : "ip";
}

static void
put_vlan(const struct ft_match *m, struct ds *out)
{
    uint16_t tci = m->flow.vlans[0].tci;
    uint16_t mask = m->mask.vlans[0].tci;
    uint16_t vid_mask = mask & FT_VLAN_VID_MASK;
    uint16_t pcp_mask = mask & FT_VLAN_PCP_MASK;

    if (!mask) {
        return;
    }
    if (mask & tci & FT_VLAN_CFI
        && (!vid_mask || vid_mask == FT_VLAN_VID_MASK)
        && (!pcp_mask || pcp_mask == FT_VLAN_PCP_MASK)
        && (vid_mask || pcp_mask)) {
        if (vid_mask) {
            ds_put_cstr(out, "dl_vlan=");
            ds_put_uint(out, tci & FT_VLAN_VID_MASK);
            ds_put_char(out, ',');
        }
        if (pcp_mask) {
            ds_put_cstr(out, "dl_vlan_pcp=");
            ds_put_uint(out, tci >> FT_VLAN_PCP_SHIFT);
            ds_put_char(out, ',');
        }
    } else {
        ds_put_cstr(out, "vlan_tci=0x");
        ds_put_hex(out, tci, 4);
        if (mask != 0xffff) {
            ds_put_cstr(out, "/0x");
            ds_put_hex(out, mask, 4);
        }
        ds_put_char(out, ',');
    }
}

/* The L3 and L4 part of a match, in OVS's order. */
static void
put_l3_l4(const struct ft_match *m, bool is_arp, bool is_v6,
          bool skip_proto, struct ds *out)
{
    const struct ft_flow *f = &m->flow;
    const struct ft_flow *w = &m->mask;

    if (is_v6) {
        put_field(m, FT_F_IPV6_SRC, out);
        put_field(m, FT_F_IPV6_DST, out);
        if (w->ipv6_label) {
            ds_put_format(out, "ipv6_label=0x%05"PRIx32, f->ipv6_label);
            if (w->ipv6_label != 0xfffff) {
                ds_put_format(out, "/0x%05"PRIx32, w->ipv6_label);
            }
            ds_put_char(out, ',');
        }
    } else if (is_arp) {
        put_field(m, FT_F_ARP_SPA, out);
        put_field(m, FT_F_ARP_TPA, out);
    } else {
        put_field(m, FT_F_IPV4_SRC, out);
        put_field(m, FT_F_IPV4_DST, out);
    }
    if (!skip_proto && w->nw_proto) {
        ds_put_cstr(out, is_arp ? "arp_op=" : "nw_proto=");
        ds_put_uint(out, f->nw_proto);
        ds_put_char(out, ',');
    }
    if (is_arp) {
        put_field(m, FT_F_ARP_SHA, out);
        put_field(m, FT_F_ARP_THA, out);
    }
    if (w->nw_tos & FT_IP_DSCP_MASK) {
        ds_put_cstr(out, "nw_tos=");
        ds_put_uint(out, f->nw_tos & FT_IP_DSCP_MASK);
        ds_put_char(out, ',');
    }
    if (w->nw_tos & FT_IP_ECN_MASK) {
        ds_put_cstr(out, "nw_ecn=");
        ds_put_uint(out, f->nw_tos & FT_IP_ECN_MASK);
        ds_put_char(out, ',');
    }
    put_field(m, FT_F_IP_TTL, out);
    put_field(m, FT_F_IP_FRAG, out);
    if (skip_proto && (f->nw_proto == FT_IPPROTO_ICMP
                       || f->nw_proto == FT_IPPROTO_ICMPV6)) {
        put_field(m, FT_F_ICMP_TYPE, out);
        put_field(m, FT_F_ICMP_CODE, out);
    } else {
        put_field(m, FT_F_TP_SRC, out);
        put_field(m, FT_F_TP_DST, out);
    }
    if (skip_proto && f->nw_proto == FT_IPPROTO_TCP) {
        put_field(m, FT_F_TCP_FLAGS, out);
    }
}

void
ft_match_format(const struct ft_match *m, int priority,
                const struct ft_port_map *ports, struct ds *out)
{
    const struct ft_flow *f = &m->flow;
    const struct ft_flow *w = &m->mask;
    size_t start = out->len;
    bool skip_proto;
    const char *sh = shorthand(m, &skip_proto);
    bool is_arp = sh && !strcmp(sh, "arp");
    bool is_v6 = w->dl_type == 0xffff && f->dl_type == FT_ETH_TYPE_IPV6;

    ds_reserve(out, 64);
    if (priority >= 0 && priority != FT_DEFAULT_PRIORITY) {
        ds_put_cstr(out, "priority=");
        ds_put_uint(out, (unsigned int) priority);
        ds_put_char(out, ',');
    }
    if (sh) {
        ds_put_cstr(out, sh);
        ds_put_char(out, ',');
    }
    for (int i = 0; i < FT_N_REGS; i++) {
        put_field(m, FT_F_REG0 + i, out);
    }
    put_field(m, FT_F_TUN_ID, out);
    put_field(m, FT_F_TUN_SRC, out);
    put_field(m, FT_F_TUN_DST, out);
    put_field(m, FT_F_TUN_TOS, out);
    put_field(m, FT_F_TUN_TTL, out);
    put_field(m, FT_F_TUN_FLAGS, out);
    put_field(m, FT_F_METADATA, out);
    if (w->in_port) {
        ds_put_cstr(out, "in_port=");
        ft_port_format(f->in_port, ports, out);
        ds_put_char(out, ',');
    }
    put_vlan(m, out);
    put_field(m, FT_F_ETH_SRC, out);
    put_field(m, FT_F_ETH_DST, out);
    if (!sh && w->dl_type) {
        ds_put_cstr(out, "dl_type=0x");
        ds_put_hex(out, f->dl_type, 4);
        ds_put_char(out, ',');
    }
    put_l3_l4(m, is_arp, is_v6, skip_proto, out);
    if (out->len > start) {
        ds_chomp(out, ",");
    }
}

/* Lowest set bit and width of a contiguous mask; false if not one run. */
static bool
mask_run(uint64_t mask, unsigned int *ofs, unsigned int *n_bits)
{
    if (!mask) {
        return false;
    }
    *ofs = (unsigned int) __builtin_ctzll(mask);
    mask >>= *ofs;
    if (mask & (mask + 1)) {
        return false;
    }
    *n_bits = (unsigned int) __builtin_popcountll(mask);
    return true;
}

static uint64_t
bytes_to_u64(const uint8_t *p, size_t n)
{
    uint64_t x = 0;

    for (size_t i = 0; i < n; i++) {
        x = (x << 8) | p[i];
    }
    return x;
}

static void
format_load(const struct ft_ofpact_set_field *sf, struct ds *out)
{
    const struct ft_field *f = ft_field_from_id(sf->field);
    const char *name = f->nxm_name ? f->nxm_name : f->name;
    uint64_t v, m;
    unsigned int ofs, n_bits, width = f->id == FT_F_IP_TOS ? 8 : f->n_bits;

    if (f->n_bytes == 6) {
        v = bytes_to_u64(sf->value.bytes, 6);
        m = bytes_to_u64(sf->mask.bytes, 6);
    } else {
        v = sf->value.u64;
        m = sf->mask.u64;
    }
    if (ft_field_mask_is_exact(f, &sf->mask)) {
        ofs = 0;
        n_bits = width;
    } else if (!mask_run(m, &ofs, &n_bits)) {
        /* Not a contiguous run: say it as a masked set_field. */
        ds_put_cstr(out, "set_field:");
        ft_field_format(f, &sf->value, &sf->mask, out);
        ds_put_format(out, "->%s", set_field_name(f));
        return;
    }
    ds_put_format(out, "load:%#"PRIx64"->%s", (v >> ofs)
                  & (n_bits >= 64 ? UINT64_MAX
                                  : (UINT64_C(1) << n_bits) - 1), name);
    if (ofs == 0 && n_bits == width) {
        ds_put_cstr(out, "[]");
    } else if (n_bits == 1) {
        ds_put_format(out, "[%u]", ofs);
    } else {
        ds_put_format(out, "[%u..%u]", ofs, ofs + n_bits - 1);
    }
}

static void
format_set_field(const struct ft_ofpact_set_field *sf,
                 const struct ft_port_map *ports, struct ds *out)
{
    static const char *const mod_names[] = {
        [FT_SPELL_MOD_DL_SRC] = "mod_dl_src",
        [FT_SPELL_MOD_DL_DST] = "mod_dl_dst",
        [FT_SPELL_MOD_NW_SRC] = "mod_nw_src",
        [FT_SPELL_MOD_NW_DST] = "mod_nw_dst",
        [FT_SPELL_MOD_NW_TOS] = "mod_nw_tos",
        [FT_SPELL_MOD_TP_SRC] = "mod_tp_src",
        [FT_SPELL_MOD_TP_DST] = "mod_tp_dst",
    };
    const struct ft_field *f = ft_field_from_id(sf->field);

    if (sf->spelling == FT_SPELL_LOAD) {
        format_load(sf, out);
        return;
    }
    if (sf->spelling > FT_SPELL_LOAD
        && sf->spelling < sizeof mod_names / sizeof mod_names[0]) {
        ds_put_cstr(out, mod_names[sf->spelling]);
        ds_put_char(out, ':');
        ft_field_format(f, &sf->value, NULL, out);
        return;
    }
    ds_put_cstr(out, "set_field:");
    if (f->format == FT_FMT_PORT) {
        ft_port_format((ft_port_no) sf->value.u64, ports, out);
    } else {
        ft_field_format(f, &sf->value, &sf->mask, out);
    }
    ds_put_format(out, "->%s", set_field_name(f));
}

static void
format_resubmit(const struct ft_ofpact_resubmit *r,
                const struct ft_port_map *ports, struct ds *out)
{
    if (r->in_port != FT_PORT_IN_PORT && r->table_id == FT_TABLE_ALL) {
        ds_put_cstr(out, "resubmit:");
        ft_port_format(r->in_port, ports, out);
        return;
    }
    ds_put_cstr(out, "resubmit(");
    if (r->in_port != FT_PORT_IN_PORT) {
        ft_port_format(r->in_port, ports, out);
    }
    ds_put_char(out, ',');
    if (r->table_id != FT_TABLE_ALL) {
        ds_put_format(out, "%u", r->table_id);
    }
    ds_put_char(out, ')');
}

static void
format_ofpact(const struct ft_ofpact *a, const struct ft_port_map *ports,
              struct ds *out)
{
    switch (a->type) {
    case FT_OFPACT_OUTPUT:
        if (a->output.port <= FT_PORT_MAX) {
            ds_put_cstr(out, "output:");
        }
        ft_port_format(a->output.port, ports, out);
        break;
    case FT_OFPACT_CONTROLLER:
        ds_put_cstr(out, "CONTROLLER:");
        ds_put_uint(out, a->controller.max_len);
        break;
    case FT_OFPACT_RESUBMIT:
        format_resubmit(&a->resubmit, ports, out);
        break;
    case FT_OFPACT_GOTO_TABLE:
        ds_put_cstr(out, "goto_table:");
        ds_put_uint(out, a->table_id);
        break;
    case FT_OFPACT_SET_VLAN_VID:
        ds_put_format(out, "%s:%u", a->vlan_vid.push_vlan_if_needed
                      ? "mod_vlan_vid" : "set_vlan_vid", a->vlan_vid.vid);
        break;
    case FT_OFPACT_SET_VLAN_PCP:
        ds_put_format(out, "%s:%u", a->vlan_pcp.push_vlan_if_needed
                      ? "mod_vlan_pcp" : "set_vlan_pcp", a->vlan_pcp.pcp);
        break;
    case FT_OFPACT_STRIP_VLAN:
        ds_put_cstr(out, "strip_vlan");
        break;
    case FT_OFPACT_PUSH_VLAN:
        ds_put_format(out, "push_vlan:%#"PRIx16, a->push_vlan.ethertype);
        break;
    case FT_OFPACT_SET_FIELD:
        format_set_field(&a->set_field, ports, out);
        break;
    case FT_OFPACT_DEC_TTL:
        ds_put_cstr(out, "dec_ttl");
        break;
    case FT_OFPACT_SET_TUNNEL:
        ds_put_format(out, "set_tunnel%s:%#"PRIx64,
                      a->set_tunnel.is64 || a->set_tunnel.tun_id > UINT32_MAX
                      ? "64" : "", a->set_tunnel.tun_id);
        break;
    case FT_OFPACT_WRITE_METADATA:
        ds_put_format(out, "write_metadata:%#"PRIx64,
                      a->write_metadata.metadata);
        if (a->write_metadata.mask != UINT64_MAX) {
            ds_put_format(out, "/%#"PRIx64, a->write_metadata.mask);
        }
        break;
    case FT_OFPACT_METER:
        ds_put_format(out, "meter:%"PRIu32, a->meter_id);
        break;
    }
}

void
ft_ofpacts_format(const struct ft_ofpacts *acts,
                  const struct ft_port_map *ports, struct ds *out)
{
    if (!acts->n) {
        ds_put_cstr(out, "drop");
        return;
    }
    for (size_t i = 0; i < acts->n; i++) {
        if (i) {
            ds_put_char(out, ',');
        }
        format_ofpact(&acts->acts[i], ports, out);
    }
}

void
ft_flow_spec_format(const struct ft_flow_spec *spec,
                    const struct ft_port_map *ports, struct ds *out)
{
    size_t start = out->len;

    if (spec->cookie_mask || spec->cookie) {
        ds_put_cstr(out, "cookie=");
        ds_put_hex_0x(out, spec->cookie);
        if (spec->cookie_mask) {
            ds_put_char(out, '/');
            ds_put_hex_0x(out, spec->cookie_mask);
        }
        ds_put_cstr(out, ", ");
    }
    if (spec->table_id) {
        ds_put_cstr(out, "table=");
        ds_put_uint(out, spec->table_id);
        ds_put_cstr(out, ", ");
    }
    if (spec->idle_timeout) {
        ds_put_cstr(out, "idle_timeout=");
        ds_put_uint(out, spec->idle_timeout);
        ds_put_cstr(out, ", ");
    }
    if (spec->hard_timeout) {
        ds_put_cstr(out, "hard_timeout=");
        ds_put_uint(out, spec->hard_timeout);
        ds_put_cstr(out, ", ");
    }
    if (spec->flags & FT_FLOW_F_SEND_FLOW_REM) {
        ds_put_cstr(out, "send_flow_rem, ");
    }
    ft_match_format(&spec->match, spec->priority, ports, out);
    if (spec->has_actions) {
        if (out->len > start && out->s[out->len - 1] != ' ') {
            ds_put_char(out, ' ');
        }
        ds_put_cstr(out, "actions=");
        ft_ofpacts_format(&spec->actions, ports, out);
    } else if (out->len > start) {
        ds_chomp(out, ", ");
    }
}

/*
 * odp-print.c - datapath actions, flow keys and megaflows as text, in the
 * forms of Open vSwitch 3.1's ofproto/trace (see odp-print.h).
 *
 * Reads only its arguments; the megaflow printer defers to the flow syntax
 * printer (ft_match_format) so that a megaflow reads like a dump-flows
 * match.
 */
#include "mgmt/flowsyntax/odp-print.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "mgmt/flowsyntax/ofp-flow.h"

static void
put_mac(struct ds *out, const struct ft_eth_addr *m)
{
    ds_put_format(out, "%02x:%02x:%02x:%02x:%02x:%02x",
                  m->ea[0], m->ea[1], m->ea[2], m->ea[3], m->ea[4], m->ea[5]);
}

static void
put_ipv4(struct ds *out, uint32_t ip)
{
    ds_put_format(out, "%"PRIu32".%"PRIu32".%"PRIu32".%"PRIu32,
                  ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

static void
put_ipv6(struct ds *out, const struct ft_in6_addr *a)
{
    char buf[INET6_ADDRSTRLEN];

    if (inet_ntop(AF_INET6, a->s6, buf, sizeof buf)) {
        ds_put_cstr(out, buf);
    }
}

static bool
mac_is_zero(const struct ft_eth_addr *m)
{
    return ft_eth_addr_is_zero(*m);
}

static bool
mac_is_exact(const struct ft_eth_addr *m)
{
    return ft_eth_addr_is_broadcast(*m);
}

static bool
in6_is_zero(const struct ft_in6_addr *a)
{
    for (int i = 0; i < 16; i++) {
        if (a->s6[i]) {
            return false;
        }
    }
    return true;
}

static bool
in6_is_exact(const struct ft_in6_addr *a)
{
    for (int i = 0; i < 16; i++) {
        if (a->s6[i] != 0xff) {
            return false;
        }
    }
    return true;
}

/* Masked-set members print as OVS's format_odp_key_attr() prints them:
 * members with a zero mask are left out, a partial mask follows a '/'. */
static void
sep(struct ds *out, bool *first)
{
    if (!*first) {
        ds_put_char(out, ',');
    }
    *first = false;
}

static void
put_mac_member(struct ds *out, bool *first, const char *name,
               const struct ft_eth_addr *v, const struct ft_eth_addr *m)
{
    if (mac_is_zero(m)) {
        return;
    }
    sep(out, first);
    ds_put_format(out, "%s=", name);
    put_mac(out, v);
    if (!mac_is_exact(m)) {
        ds_put_char(out, '/');
        put_mac(out, m);
    }
}

static void
put_ipv4_member(struct ds *out, bool *first, const char *name, uint32_t v,
                uint32_t m)
{
    if (!m) {
        return;
    }
    sep(out, first);
    ds_put_format(out, "%s=", name);
    put_ipv4(out, v & m);
    if (m != UINT32_MAX) {
        ds_put_char(out, '/');
        put_ipv4(out, m);
    }
}

static void
put_ipv6_member(struct ds *out, bool *first, const char *name,
                const struct ft_in6_addr *v, const struct ft_in6_addr *m)
{
    struct ft_in6_addr x;

    if (in6_is_zero(m)) {
        return;
    }
    for (int i = 0; i < 16; i++) {
        x.s6[i] = v->s6[i] & m->s6[i];
    }
    sep(out, first);
    ds_put_format(out, "%s=", name);
    put_ipv6(out, &x);
    if (!in6_is_exact(m)) {
        ds_put_char(out, '/');
        put_ipv6(out, m);
    }
}

/* Integer member: 'hex' selects "0x%x" as OVS prints tos, tclass and
 * labels; 'full' is the all-ones mask of the member's width. */
static void
put_int_member(struct ds *out, bool *first, const char *name, uint64_t v,
               uint64_t m, uint64_t full, bool hex)
{
    if (!m) {
        return;
    }
    sep(out, first);
    ds_put_format(out, hex ? "%s=%#"PRIx64 : "%s=%"PRIu64, name, v & m);
    if (m != full) {
        ds_put_format(out, "/%#"PRIx64, m);
    }
}

static void
format_set(const struct ft_dp_action *a, struct ds *out)
{
    bool first = true;

    ds_put_cstr(out, "set(");
    switch (a->type) {
    case FT_DPA_SET_ETH:
        ds_put_cstr(out, "eth(");
        put_mac_member(out, &first, "src", &a->eth.src, &a->eth.src_mask);
        put_mac_member(out, &first, "dst", &a->eth.dst, &a->eth.dst_mask);
        break;
    case FT_DPA_SET_IPV4:
        ds_put_cstr(out, "ipv4(");
        put_ipv4_member(out, &first, "src", a->ipv4.src, a->ipv4.src_mask);
        put_ipv4_member(out, &first, "dst", a->ipv4.dst, a->ipv4.dst_mask);
        put_int_member(out, &first, "tos", a->ipv4.tos, a->ipv4.tos_mask,
                       0xff, true);
        put_int_member(out, &first, "ttl", a->ipv4.ttl, a->ipv4.ttl_mask,
                       0xff, false);
        break;
    case FT_DPA_SET_IPV6:
        ds_put_cstr(out, "ipv6(");
        put_ipv6_member(out, &first, "src", &a->ipv6.src,
                        &a->ipv6.src_mask);
        put_ipv6_member(out, &first, "dst", &a->ipv6.dst,
                        &a->ipv6.dst_mask);
        put_int_member(out, &first, "label", a->ipv6.label,
                       a->ipv6.label_mask, 0xfffff, true);
        put_int_member(out, &first, "tclass", a->ipv6.tclass,
                       a->ipv6.tclass_mask, 0xff, true);
        put_int_member(out, &first, "hlimit", a->ipv6.hlimit,
                       a->ipv6.hlimit_mask, 0xff, false);
        break;
    case FT_DPA_SET_L4:
        if (a->l4.proto == FT_IPPROTO_ICMP || a->l4.proto == FT_IPPROTO_ICMPV6) {
            /* Unmasked, as Open vSwitch's. */
            ds_put_format(out, "%s(type=%u,code=%u",
                          a->l4.proto == FT_IPPROTO_ICMP ? "icmp" : "icmpv6",
                          a->l4.src & 0xff, a->l4.dst & 0xff);
            break;
        }
        ds_put_cstr(out, a->l4.proto == FT_IPPROTO_TCP ? "tcp("
                         : a->l4.proto == FT_IPPROTO_UDP ? "udp(" : "sctp(");
        put_int_member(out, &first, "src", a->l4.src, a->l4.src_mask,
                       0xffff, false);
        put_int_member(out, &first, "dst", a->l4.dst, a->l4.dst_mask,
                       0xffff, false);
        break;
    case FT_DPA_SET_TUNNEL:
        /* As Open vSwitch prints what it sends: absent attributes (no
         * key, no source, TOS 0) left out. */
        ds_put_cstr(out, "tunnel(");
        if (a->tunnel.flags & FT_TNL_F_KEY) {
            ds_put_format(out, "tun_id=0x%"PRIx64",", a->tunnel.tun_id);
        }
        if (a->tunnel.src) {
            ds_put_cstr(out, "src=");
            put_ipv4(out, a->tunnel.src);
            ds_put_char(out, ',');
        }
        ds_put_cstr(out, "dst=");
        put_ipv4(out, a->tunnel.dst);
        if (a->tunnel.tos) {
            ds_put_format(out, ",tos=%#x", a->tunnel.tos);
        }
        ds_put_format(out, ",ttl=%u", a->tunnel.ttl);
        if (a->tunnel.tp_dst) {
            ds_put_format(out, ",tp_dst=%u", a->tunnel.tp_dst);
        }
        ds_put_format(out, ",flags(%s%s%s)",
                      a->tunnel.flags & FT_TNL_F_DONT_FRAGMENT ? "df" : "",
                      a->tunnel.flags & FT_TNL_F_CSUM
                      ? (a->tunnel.flags & FT_TNL_F_DONT_FRAGMENT
                         ? "|csum" : "csum") : "",
                      a->tunnel.flags & FT_TNL_F_KEY
                      ? (a->tunnel.flags & (FT_TNL_F_DONT_FRAGMENT
                                            | FT_TNL_F_CSUM)
                         ? "|key" : "key") : "");
        break;
    case FT_DPA_OUTPUT:
    case FT_DPA_PUSH_VLAN:
    case FT_DPA_POP_VLAN:
    case FT_DPA_USERSPACE:
    default:
        break;
    }
    ds_put_cstr(out, "))");
}

static void
format_port(ft_port_no port, struct ds *out)
{
    if (port == FT_PORT_LOCAL) {
        ds_put_cstr(out, "LOCAL");
    } else {
        ds_put_format(out, "%"PRIu32, port);
    }
}

void
ft_dp_action_format(const struct ft_dp_action *a, struct ds *out)
{
    switch (a->type) {
    case FT_DPA_OUTPUT:
        format_port(a->port, out);
        break;
    case FT_DPA_PUSH_VLAN:
        ds_put_cstr(out, "push_vlan(");
        if (a->push_vlan.tpid != FT_ETH_TYPE_VLAN) {
            ds_put_format(out, "tpid=0x%04"PRIx16",", a->push_vlan.tpid);
        }
        ds_put_format(out, "vid=%d,pcp=%d",
                      a->push_vlan.tci & FT_VLAN_VID_MASK,
                      a->push_vlan.tci >> FT_VLAN_PCP_SHIFT);
        if (!(a->push_vlan.tci & FT_VLAN_CFI)) {
            ds_put_cstr(out, ",cfi=0");
        }
        ds_put_char(out, ')');
        break;
    case FT_DPA_POP_VLAN:
        ds_put_cstr(out, "pop_vlan");
        break;
    case FT_DPA_SET_ETH:
    case FT_DPA_SET_IPV4:
    case FT_DPA_SET_IPV6:
    case FT_DPA_SET_L4:
    case FT_DPA_SET_TUNNEL:
        format_set(a, out);
        break;
    case FT_DPA_USERSPACE:
        ds_put_format(out, "userspace(pid=0,%s(reason=%d,",
                      a->userspace.reason == FT_USERSPACE_MISS
                      ? "miss" : "controller",
                      a->userspace.reason == FT_USERSPACE_MISS
                      || a->userspace.reason == FT_USERSPACE_NO_MATCH
                      ? 0 : 1);
        ds_put_format(out, "rule_cookie=%#"PRIx64",table_id=%u,"
                      "max_len=%u))", a->userspace.cookie,
                      a->userspace.table_id, a->userspace.max_len);
        break;
    default:
        ds_put_format(out, "unknown(%d)", (int) a->type);
        break;
    }
}

void
ft_dp_actions_format(const struct ft_dp_actions *acts, struct ds *out)
{
    if (!acts->n) {
        ds_put_cstr(out, "drop");
        return;
    }
    for (size_t i = 0; i < acts->n; i++) {
        if (i) {
            ds_put_char(out, ',');
        }
        ft_dp_action_format(&acts->acts[i], out);
    }
}

/* Protocol shorthand as OVS's match_format() uses it, or NULL. */
static const char *
proto_name(const struct ft_flow *f)
{
    if (f->dl_type == FT_ETH_TYPE_IP) {
        switch (f->nw_proto) {
        case FT_IPPROTO_ICMP: return "icmp";
        case FT_IPPROTO_TCP:  return "tcp";
        case FT_IPPROTO_UDP:  return "udp";
        case FT_IPPROTO_SCTP: return "sctp";
        default:              return "ip";
        }
    } else if (f->dl_type == FT_ETH_TYPE_IPV6) {
        switch (f->nw_proto) {
        case FT_IPPROTO_ICMPV6: return "icmp6";
        case FT_IPPROTO_TCP:    return "tcp6";
        case FT_IPPROTO_UDP:    return "udp6";
        case FT_IPPROTO_SCTP:   return "sctp6";
        default:                return "ipv6";
        }
    } else if (f->dl_type == FT_ETH_TYPE_ARP) {
        return "arp";
    }
    return NULL;
}

static bool
proto_is_named(const struct ft_flow *f)
{
    const char *name = proto_name(f);

    return name && strcmp(name, "ip") && strcmp(name, "ipv6")
           && strcmp(name, "arp");
}

static void
put_vlan(struct ds *out, const struct ft_vlan *v, const char *suffix)
{
    if (v->tci & FT_VLAN_CFI) {
        ds_put_format(out, "dl_vlan%s=%d,dl_vlan_pcp%s=%d,", suffix,
                      v->tci & FT_VLAN_VID_MASK, suffix,
                      v->tci >> FT_VLAN_PCP_SHIFT);
    } else {
        ds_put_format(out, "vlan_tci%s=0x%04"PRIx16",", suffix, v->tci);
    }
}

static void
put_tcp_flags(struct ds *out, uint16_t flags)
{
    static const char *const names[] = {
        "fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns",
    };
    bool first = true;

    if (!flags) {
        ds_put_char(out, '0');
        return;
    }
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (flags & (1u << i)) {
            ds_put_format(out, "%s%s", first ? "" : "|", names[i]);
            first = false;
        }
    }
    if (flags & ~((1u << (sizeof names / sizeof *names)) - 1)) {
        ds_put_format(out, "%s%#x", first ? "" : "|",
                      flags & ~((1u << (sizeof names / sizeof *names)) - 1));
    }
}

static void
format_l3_l4(const struct ft_flow *f, struct ds *out)
{
    bool v4 = f->dl_type == FT_ETH_TYPE_IP;

    if (v4) {
        ds_put_cstr(out, "nw_src=");
        put_ipv4(out, f->nw_src);
        ds_put_cstr(out, ",nw_dst=");
        put_ipv4(out, f->nw_dst);
        ds_put_char(out, ',');
    } else {
        ds_put_cstr(out, "ipv6_src=");
        put_ipv6(out, &f->ipv6_src);
        ds_put_cstr(out, ",ipv6_dst=");
        put_ipv6(out, &f->ipv6_dst);
        ds_put_format(out, ",ipv6_label=0x%05"PRIx32",", f->ipv6_label);
    }
    if (!proto_is_named(f)) {
        ds_put_format(out, "nw_proto=%d,", f->nw_proto);
    }
    ds_put_format(out, "nw_tos=%d,nw_ecn=%d,nw_ttl=%d,nw_frag=%s",
                  f->nw_tos & FT_IP_DSCP_MASK, f->nw_tos & FT_IP_ECN_MASK,
                  f->nw_ttl,
                  !(f->nw_frag & FT_FRAG_ANY) ? "no"
                  : f->nw_frag & FT_FRAG_LATER ? "later" : "first");
    if (f->nw_frag & FT_FRAG_LATER) {
        return;
    }
    switch (f->nw_proto) {
    case FT_IPPROTO_TCP:
        ds_put_format(out, ",tp_src=%d,tp_dst=%d,tcp_flags=",
                      f->tp_src, f->tp_dst);
        put_tcp_flags(out, f->tcp_flags);
        break;
    case FT_IPPROTO_UDP:
    case FT_IPPROTO_SCTP:
        ds_put_format(out, ",tp_src=%d,tp_dst=%d", f->tp_src, f->tp_dst);
        break;
    case FT_IPPROTO_ICMP:
    case FT_IPPROTO_ICMPV6:
        if ((f->nw_proto == FT_IPPROTO_ICMP) == v4) {
            ds_put_format(out, ",icmp_type=%d,icmp_code=%d",
                          f->tp_src, f->tp_dst);
        }
        break;
    default:
        break;
    }
}

void
ft_flow_format(const struct ft_flow *f, struct ds *out)
{
    const char *proto = proto_name(f);

    if (proto) {
        ds_put_format(out, "%s,", proto);
    }
    if (f->tun_id) {
        ds_put_format(out, "tun_id=%#"PRIx64",", f->tun_id);
    }
    if (f->tun_src) {
        ds_put_cstr(out, "tun_src=");
        put_ipv4(out, f->tun_src);
        ds_put_char(out, ',');
    }
    if (f->tun_dst) {
        ds_put_cstr(out, "tun_dst=");
        put_ipv4(out, f->tun_dst);
        ds_put_char(out, ',');
    }
    if (f->metadata) {
        ds_put_format(out, "metadata=%#"PRIx64",", f->metadata);
    }
    for (int i = 0; i < FT_N_REGS; i++) {
        if (f->regs[i]) {
            ds_put_format(out, "reg%d=%#"PRIx32",", i, f->regs[i]);
        }
    }
    ds_put_cstr(out, "in_port=");
    if (f->in_port == FT_PORT_LOCAL) {
        ds_put_cstr(out, "LOCAL");
    } else {
        ds_put_format(out, "%"PRIu32, f->in_port);
    }
    ds_put_char(out, ',');
    put_vlan(out, &f->vlans[0], "");
    if (f->vlans[0].tci & FT_VLAN_CFI) {
        put_vlan(out, &f->vlans[1], "1");
    }
    ds_put_cstr(out, "dl_src=");
    put_mac(out, &f->dl_src);
    ds_put_cstr(out, ",dl_dst=");
    put_mac(out, &f->dl_dst);
    if (!proto) {
        ds_put_format(out, ",dl_type=0x%04"PRIx16, f->dl_type);
        return;
    }
    ds_put_char(out, ',');
    if (f->dl_type == FT_ETH_TYPE_ARP) {
        ds_put_cstr(out, "arp_spa=");
        put_ipv4(out, f->nw_src);
        ds_put_cstr(out, ",arp_tpa=");
        put_ipv4(out, f->nw_dst);
        ds_put_format(out, ",arp_op=%d,arp_sha=", f->nw_proto);
        put_mac(out, &f->arp_sha);
        ds_put_cstr(out, ",arp_tha=");
        put_mac(out, &f->arp_tha);
        return;
    }
    format_l3_l4(f, out);
}

/* Appends OVS's datapath "tunnel(...)" key of the tunnel fields 'm'
 * matches, and a comma; nothing if it matches none. */
static void
format_tunnel_match(const struct ft_match *m, struct ds *out)
{
    static const struct { uint16_t bit; const char *name; } flags[] = {
        { FT_TNL_F_DONT_FRAGMENT, "df" },
        { FT_TNL_F_CSUM, "csum" },
        { FT_TNL_F_KEY, "key" },
    };
    const struct ft_flow *f = &m->flow, *k = &m->mask;
    bool first = true;

    if (!k->tun_id && !k->tun_src && !k->tun_dst && !k->tun_tos
        && !k->tun_ttl && !k->tun_flags) {
        return;
    }
    ds_put_cstr(out, "tunnel(");
    if (k->tun_id) {
        /* "tun_id=0x0", as OVS prints it, where %#x would give "0". */
        first = false;
        ds_put_format(out, "tun_id=0x%"PRIx64, f->tun_id & k->tun_id);
        if (k->tun_id != UINT64_MAX) {
            ds_put_format(out, "/0x%"PRIx64, k->tun_id);
        }
    }
    put_ipv4_member(out, &first, "src", f->tun_src, k->tun_src);
    put_ipv4_member(out, &first, "dst", f->tun_dst, k->tun_dst);
    put_int_member(out, &first, "tos", f->tun_tos, k->tun_tos, 0xff, true);
    put_int_member(out, &first, "ttl", f->tun_ttl, k->tun_ttl, 0xff, false);
    if (k->tun_flags) {
        sep(out, &first);
        ds_put_cstr(out, "flags(");
        for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
            if (k->tun_flags & flags[i].bit) {
                ds_put_format(out, "%c%s", f->tun_flags & flags[i].bit
                              ? '+' : '-', flags[i].name);
            }
        }
        ds_put_char(out, ')');
    }
    ds_put_cstr(out, "),");
}

void
ft_dp_megaflow_format(const struct ft_match *megaflow, struct ds *out)
{
    struct ft_match m = *megaflow;

    format_tunnel_match(&m, out);
    m.flow.tun_id = m.mask.tun_id = 0;
    m.flow.tun_src = m.mask.tun_src = 0;
    m.flow.tun_dst = m.mask.tun_dst = 0;
    m.flow.tun_tos = m.mask.tun_tos = 0;
    m.flow.tun_ttl = m.mask.tun_ttl = 0;
    m.flow.tun_flags = m.mask.tun_flags = 0;
    ft_megaflow_format(&m, out);
}

void
ft_megaflow_format(const struct ft_match *megaflow, struct ds *out)
{
    struct ft_match m = *megaflow;

    /* The tags' presence and TPID are matched by every megaflow; show the
     * tag only when more of it is. */
    for (int i = 0; i < 2; i++) {
        struct ft_vlan *mask = &m.mask.vlans[i];

        if (!(mask->tci & ~FT_VLAN_CFI)) {
            mask->tci = 0;
            m.flow.vlans[i].tci = 0;
        }
        mask->tpid = 0;
        m.flow.vlans[i].tpid = 0;
    }
    ft_match_format(&m, -1, NULL, out);
}

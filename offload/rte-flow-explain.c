/*
 * rte-flow-explain.c - an rte_flow rule as a person would type it in
 * DPDK's testpmd: 'flow create PORT [transfer|ingress] pattern ... / end
 * actions ... / end'.
 *
 * Part of the rte_flow provider, built with DPDK's compile flags.  It
 * reads the items and actions of a 'struct ft_rte_flow_rule' that
 * ft_rte_flow_xlate() filled, the rule the provider validates and
 * creates, so the text shows what is installed and not a second
 * translation.  Field words are testpmd's (doc/guides/testpmd_app_ug,
 * "Matching pattern" and "Actions list"): a field whose mask is all ones
 * is written 'FIELD is VALUE', a partial one 'FIELD spec VALUE FIELD mask
 * MASK', a field with an empty mask not at all.  A rule with
 * VXLAN_ENCAP is preceded by testpmd's 'set vxlan-tos-ttl' line, which
 * testpmd needs first.  Touches nothing but the output string.
 */
#include "rte-flow-xlate.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "flowtier/ds.h"

enum fmt { F_MAC, F_IP4, F_IP6, F_BE16, F_BE16X, F_U8, F_U8X };

static bool
bytes_all(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != v) {
            return false;
        }
    }
    return true;
}

static void
put_value(struct ds *out, const uint8_t *p, enum fmt fmt)
{
    char buf[INET6_ADDRSTRLEN];

    switch (fmt) {
    case F_MAC:
        ds_put_format(out, "%02x:%02x:%02x:%02x:%02x:%02x",
                      p[0], p[1], p[2], p[3], p[4], p[5]);
        break;
    case F_IP4:
    case F_IP6:
        inet_ntop(fmt == F_IP4 ? AF_INET : AF_INET6, p, buf, sizeof buf);
        ds_put_cstr(out, buf);
        break;
    case F_BE16:
        ds_put_format(out, "%u", (unsigned int) (p[0] << 8 | p[1]));
        break;
    case F_BE16X:
        ds_put_format(out, "0x%04x", (unsigned int) (p[0] << 8 | p[1]));
        break;
    case F_U8:
        ds_put_format(out, "%u", p[0]);
        break;
    case F_U8X:
        ds_put_format(out, "0x%02x", p[0]);
        break;
    }
}

static size_t
fmt_len(enum fmt fmt)
{
    return fmt == F_MAC ? 6 : fmt == F_IP4 ? 4 : fmt == F_IP6 ? 16
           : fmt == F_BE16 || fmt == F_BE16X ? 2 : 1;
}

/* " NAME is V" or " NAME spec V NAME mask M", or nothing for an empty
 * mask. */
static void
field(struct ds *out, const char *name, const void *spec_, const void *mask_,
      enum fmt fmt)
{
    const uint8_t *spec = spec_, *mask = mask_;
    size_t n = fmt_len(fmt);

    if (bytes_all(mask, n, 0)) {
        return;
    }
    if (bytes_all(mask, n, 0xff)) {
        ds_put_format(out, " %s is ", name);
        put_value(out, spec, fmt);
    } else {
        ds_put_format(out, " %s spec ", name);
        put_value(out, spec, fmt);
        ds_put_format(out, " %s mask ", name);
        put_value(out, mask, fmt);
    }
}

static void
item_eth(struct ds *out, const struct rte_flow_item_eth *s,
         const struct rte_flow_item_eth *m)
{
    uint8_t has = s->has_vlan, has_m = m->has_vlan;

    ds_put_cstr(out, " eth");
    field(out, "dst", s->dst.addr_bytes, m->dst.addr_bytes, F_MAC);
    field(out, "src", s->src.addr_bytes, m->src.addr_bytes, F_MAC);
    field(out, "type", &s->type, &m->type, F_BE16X);
    if (has_m) {
        ds_put_format(out, " has_vlan is %u", has);
    }
}

static void
item_ipv4(struct ds *out, const struct rte_ipv4_hdr *h,
          const struct rte_ipv4_hdr *hm)
{
    ds_put_cstr(out, " ipv4");
    field(out, "src", &h->src_addr, &hm->src_addr, F_IP4);
    field(out, "dst", &h->dst_addr, &hm->dst_addr, F_IP4);
    field(out, "proto", &h->next_proto_id, &hm->next_proto_id, F_U8);
    field(out, "tos", &h->type_of_service, &hm->type_of_service, F_U8X);
    field(out, "ttl", &h->time_to_live, &hm->time_to_live, F_U8);
    field(out, "fragment_offset", &h->fragment_offset, &hm->fragment_offset,
          F_BE16X);
}

static void
item_ipv6(struct ds *out, const struct rte_ipv6_hdr *h,
          const struct rte_ipv6_hdr *hm)
{
    ds_put_cstr(out, " ipv6");
    field(out, "src", h->src_addr, hm->src_addr, F_IP6);
    field(out, "dst", h->dst_addr, hm->dst_addr, F_IP6);
    field(out, "proto", &h->proto, &hm->proto, F_U8);
    field(out, "hop", &h->hop_limits, &hm->hop_limits, F_U8);
}

/* testpmd takes the VNI as a number, spec and mask alike. */
static void
item_vxlan(struct ds *out, const struct rte_flow_item_vxlan *h,
           const struct rte_flow_item_vxlan *hm)
{
    unsigned int vni = h->vni[0] << 16 | h->vni[1] << 8 | h->vni[2];
    unsigned int vni_m = hm->vni[0] << 16 | hm->vni[1] << 8 | hm->vni[2];

    ds_put_cstr(out, " vxlan");
    if (vni_m == 0xffffff) {
        ds_put_format(out, " vni is %u", vni);
    } else if (vni_m) {
        ds_put_format(out, " vni spec %u vni mask %u", vni, vni_m);
    }
}

static void
item_pattern(struct ds *out, const struct rte_flow_item *it)
{
    const void *s = it->spec, *m = it->mask;

    switch (it->type) {
    case RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT:
        ds_put_format(out, " represented_port ethdev_port_id is %u",
                      ((const struct rte_flow_item_ethdev *) s)->port_id);
        break;
    case RTE_FLOW_ITEM_TYPE_ETH:
        item_eth(out, s, m);
        break;
    case RTE_FLOW_ITEM_TYPE_VLAN: {
        const struct rte_flow_item_vlan *v = s, *vm = m;

        ds_put_cstr(out, " vlan");
        field(out, "tci", &v->tci, &vm->tci, F_BE16X);
        field(out, "inner_type", &v->inner_type, &vm->inner_type, F_BE16X);
        break;
    }
    case RTE_FLOW_ITEM_TYPE_IPV4:
        item_ipv4(out, &((const struct rte_flow_item_ipv4 *) s)->hdr,
                  &((const struct rte_flow_item_ipv4 *) m)->hdr);
        break;
    case RTE_FLOW_ITEM_TYPE_IPV6:
        item_ipv6(out, &((const struct rte_flow_item_ipv6 *) s)->hdr,
                  &((const struct rte_flow_item_ipv6 *) m)->hdr);
        break;
    case RTE_FLOW_ITEM_TYPE_TCP: {
        const struct rte_tcp_hdr *h = &((const struct rte_flow_item_tcp *)
                                        s)->hdr;
        const struct rte_tcp_hdr *hm = &((const struct rte_flow_item_tcp *)
                                         m)->hdr;

        ds_put_cstr(out, " tcp");
        field(out, "src", &h->src_port, &hm->src_port, F_BE16);
        field(out, "dst", &h->dst_port, &hm->dst_port, F_BE16);
        field(out, "flags", &h->tcp_flags, &hm->tcp_flags, F_U8X);
        break;
    }
    case RTE_FLOW_ITEM_TYPE_UDP:
    case RTE_FLOW_ITEM_TYPE_SCTP: {
        /* The ports lead both headers. */
        const rte_be16_t *h = s, *hm = m;

        ds_put_cstr(out, it->type == RTE_FLOW_ITEM_TYPE_UDP ? " udp"
                                                            : " sctp");
        field(out, "src", &h[0], &hm[0], F_BE16);
        field(out, "dst", &h[1], &hm[1], F_BE16);
        break;
    }
    case RTE_FLOW_ITEM_TYPE_ICMP: {
        const struct rte_icmp_hdr *h = &((const struct rte_flow_item_icmp *)
                                         s)->hdr;
        const struct rte_icmp_hdr *hm = &((const struct rte_flow_item_icmp *)
                                          m)->hdr;

        ds_put_cstr(out, " icmp");
        field(out, "type", &h->icmp_type, &hm->icmp_type, F_U8);
        field(out, "code", &h->icmp_code, &hm->icmp_code, F_U8);
        break;
    }
    case RTE_FLOW_ITEM_TYPE_ICMP6: {
        const struct rte_flow_item_icmp6 *h = s, *hm = m;

        ds_put_cstr(out, " icmp6");
        field(out, "type", &h->type, &hm->type, F_U8);
        field(out, "code", &h->code, &hm->code, F_U8);
        break;
    }
    case RTE_FLOW_ITEM_TYPE_VXLAN:
        item_vxlan(out, s, m);
        break;
    default:
        ds_put_format(out, " (item %d)", (int) it->type);
        break;
    }
    ds_put_cstr(out, " /");
}

/* testpmd's encapsulation header for 'encap', set before the 'flow
 * create' that uses it: "set vxlan-tos-ttl ip-version ipv4 vni ...".
 * (testpmd has no word for the outer DF bit: its IPv4 header has none.) */
static void
set_vxlan(struct ds *out, const struct rte_flow_action_vxlan_encap *encap)
{
    const struct rte_flow_item_eth *eth = encap->definition[0].spec;
    const struct rte_ipv4_hdr *ip = &((const struct rte_flow_item_ipv4 *)
                                      encap->definition[1].spec)->hdr;
    const struct rte_udp_hdr *udp = &((const struct rte_flow_item_udp *)
                                      encap->definition[2].spec)->hdr;
    const struct rte_flow_item_vxlan *vx = encap->definition[3].spec;

    ds_put_format(out, "set vxlan-tos-ttl ip-version ipv4 vni %u udp-src %u "
                  "udp-dst %u ip-tos %u ip-ttl %u ip-src ",
                  (unsigned int) (vx->vni[0] << 16 | vx->vni[1] << 8
                                  | vx->vni[2]),
                  ntohs(udp->src_port), ntohs(udp->dst_port),
                  ip->type_of_service, ip->time_to_live);
    put_value(out, (const uint8_t *) &ip->src_addr, F_IP4);
    ds_put_cstr(out, " ip-dst ");
    put_value(out, (const uint8_t *) &ip->dst_addr, F_IP4);
    ds_put_cstr(out, " eth-src ");
    put_value(out, eth->src.addr_bytes, F_MAC);
    ds_put_cstr(out, " eth-dst ");
    put_value(out, eth->dst.addr_bytes, F_MAC);
    ds_put_cstr(out, "\n");
}

static void
action(struct ds *out, const struct rte_flow_action *a)
{
    const void *c = a->conf;

    switch (a->type) {
    case RTE_FLOW_ACTION_TYPE_COUNT:
        ds_put_cstr(out, " count");
        break;
    case RTE_FLOW_ACTION_TYPE_DROP:
        ds_put_cstr(out, " drop");
        break;
    case RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT:
        ds_put_format(out, " represented_port ethdev_port_id %u",
                      ((const struct rte_flow_action_ethdev *) c)->port_id);
        break;
    case RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN:
        ds_put_format(out, " of_push_vlan ethertype 0x%04x", ntohs(
            ((const struct rte_flow_action_of_push_vlan *) c)->ethertype));
        break;
    case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID:
        ds_put_format(out, " of_set_vlan_vid vlan_vid %u", ntohs(
            ((const struct rte_flow_action_of_set_vlan_vid *) c)->vlan_vid));
        break;
    case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP:
        ds_put_format(out, " of_set_vlan_pcp vlan_pcp %u",
                      ((const struct rte_flow_action_of_set_vlan_pcp *)
                       c)->vlan_pcp);
        break;
    case RTE_FLOW_ACTION_TYPE_OF_POP_VLAN:
        ds_put_cstr(out, " of_pop_vlan");
        break;
    case RTE_FLOW_ACTION_TYPE_SET_MAC_SRC:
    case RTE_FLOW_ACTION_TYPE_SET_MAC_DST:
        ds_put_format(out, " %s mac_addr ",
                      a->type == RTE_FLOW_ACTION_TYPE_SET_MAC_SRC
                      ? "set_mac_src" : "set_mac_dst");
        put_value(out, ((const struct rte_flow_action_set_mac *)
                        c)->mac_addr, F_MAC);
        break;
    case RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC:
    case RTE_FLOW_ACTION_TYPE_SET_IPV4_DST:
        ds_put_format(out, " %s ipv4_addr ",
                      a->type == RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC
                      ? "set_ipv4_src" : "set_ipv4_dst");
        put_value(out, (const uint8_t *)
                  &((const struct rte_flow_action_set_ipv4 *) c)->ipv4_addr,
                  F_IP4);
        break;
    case RTE_FLOW_ACTION_TYPE_SET_TP_SRC:
    case RTE_FLOW_ACTION_TYPE_SET_TP_DST:
        ds_put_format(out, " %s port %u",
                      a->type == RTE_FLOW_ACTION_TYPE_SET_TP_SRC
                      ? "set_tp_src" : "set_tp_dst",
                      ntohs(((const struct rte_flow_action_set_tp *)
                             c)->port));
        break;
    case RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP:
        ds_put_cstr(out, " vxlan_encap");
        break;
    case RTE_FLOW_ACTION_TYPE_VXLAN_DECAP:
        ds_put_cstr(out, " vxlan_decap");
        break;
    case RTE_FLOW_ACTION_TYPE_SET_TTL:
        ds_put_format(out, " set_ttl ttl_value %u",
                      ((const struct rte_flow_action_set_ttl *)
                       c)->ttl_value);
        break;
    default:
        ds_put_format(out, " (action %d)", (int) a->type);
        break;
    }
    ds_put_cstr(out, " /");
}

void
ft_rte_flow_explain(const struct ft_rte_flow_rule *rule, uint16_t port,
                    struct ds *out)
{
    for (size_t i = 0; i < FT_RTE_FLOW_MAX_ACTIONS
                       && rule->actions[i].type != RTE_FLOW_ACTION_TYPE_END;
         i++) {
        if (rule->actions[i].type == RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP) {
            set_vxlan(out, rule->actions[i].conf);
        }
    }
    ds_put_format(out, "flow create %u%s pattern", port,
                  rule->attr.transfer ? " transfer"
                  : rule->attr.ingress ? " ingress" : "");
    for (size_t i = 0; i < FT_RTE_FLOW_MAX_ITEMS
                       && rule->items[i].type != RTE_FLOW_ITEM_TYPE_END; i++) {
        item_pattern(out, &rule->items[i]);
    }
    ds_put_cstr(out, " end actions");
    for (size_t i = 0; i < FT_RTE_FLOW_MAX_ACTIONS
                       && rule->actions[i].type != RTE_FLOW_ACTION_TYPE_END;
         i++) {
        action(out, &rule->actions[i]);
    }
    ds_put_cstr(out, " end");
}

/*
 * verbs-spec.c - the verbs provider's translation of a megaflow into an
 * ibv_flow_attr and its ibv_flow_spec_* list (see verbs-spec.h), and the
 * text that shows such a list.
 *
 * Part of offload/.  Pure: reads the megaflow, writes the rule; touches
 * no device and no state.  Flow fields are in host order, verbs filters
 * in network order.
 */
#include "verbs-spec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "flowtier/ds.h"
#include "match-check.h"

#define PROVIDER "verbs"
#define MASKED(M, FIELD) FT_OFFLOAD_MASKED(M, FIELD)

/* The rule being written. */
struct spec_builder {
    struct ft_verbs_rule *rule;
};

/* Appends 'size' bytes of spec 'spec' to the rule. */
static void
spec_append(struct spec_builder *b, const void *spec, size_t size)
{
    struct ft_verbs_rule *r = b->rule;

    memcpy(&r->buf[r->len], spec, size);
    r->len += size;
    r->attr.num_of_specs++;
    r->attr.size = (uint16_t) r->len;
}

static int
refuse(const char *what, struct ft_error *err)
{
    return ft_offload_refuse_match(PROVIDER, what, err);
}

/* The outer VLAN tag, into 'eth'.  FT_VLAN_CFI is "a tag is present" in a
 * megaflow; verbs' vlan_tag is the tag as on the wire, and a mask on it
 * means "tagged" to the drivers, so "untagged" cannot be said. */
static int
xlate_vlan(const struct ft_match *m, struct ibv_flow_spec_eth *eth,
           struct ft_error *err)
{
    uint16_t tci = m->flow.vlans[0].tci, mask = m->mask.vlans[0].tci;

    if (m->mask.vlans[0].tpid && m->flow.vlans[0].tpid != FT_ETH_TYPE_VLAN) {
        return refuse("an 802.1ad (QinQ) outer tag", err);
    }
    if (!mask) {
        return 0;
    }
    if ((mask & FT_VLAN_CFI) && !(tci & FT_VLAN_CFI)) {
        return refuse("the absence of a VLAN tag (verbs filters cannot "
                      "say \"untagged\")", err);
    }
    if (!(mask & ~FT_VLAN_CFI)) {
        return refuse("the presence of a VLAN tag without its VID or PCP",
                      err);
    }
    eth->val.vlan_tag = htons(tci & ~FT_VLAN_CFI & mask);
    eth->mask.vlan_tag = htons(mask & ~FT_VLAN_CFI);
    return 0;
}

static int
xlate_eth(struct spec_builder *b, const struct ft_match *m,
          struct ft_error *err)
{
    struct ibv_flow_spec_eth eth;
    int error;

    memset(&eth, 0, sizeof eth);
    eth.type = IBV_FLOW_SPEC_ETH;
    eth.size = sizeof eth;
    memcpy(eth.val.dst_mac, m->flow.dl_dst.ea, 6);
    memcpy(eth.mask.dst_mac, m->mask.dl_dst.ea, 6);
    memcpy(eth.val.src_mac, m->flow.dl_src.ea, 6);
    memcpy(eth.mask.src_mac, m->mask.dl_src.ea, 6);
    for (int i = 0; i < 6; i++) {
        eth.val.dst_mac[i] &= eth.mask.dst_mac[i];
        eth.val.src_mac[i] &= eth.mask.src_mac[i];
    }
    eth.val.ether_type = htons(m->flow.dl_type & m->mask.dl_type);
    eth.mask.ether_type = htons(m->mask.dl_type);
    error = xlate_vlan(m, &eth, err);
    if (!error) {
        spec_append(b, &eth, sizeof eth);
    }
    return error;
}

static bool
is_ethertype(const struct ft_match *m, uint16_t type)
{
    return m->mask.dl_type == 0xffff && m->flow.dl_type == type;
}

static void
xlate_ipv4(struct spec_builder *b, const struct ft_match *m)
{
    struct ibv_flow_spec_ipv4_ext ip;

    memset(&ip, 0, sizeof ip);
    ip.type = IBV_FLOW_SPEC_IPV4_EXT;
    ip.size = sizeof ip;
    ip.val.src_ip = htonl(m->flow.nw_src & m->mask.nw_src);
    ip.mask.src_ip = htonl(m->mask.nw_src);
    ip.val.dst_ip = htonl(m->flow.nw_dst & m->mask.nw_dst);
    ip.mask.dst_ip = htonl(m->mask.nw_dst);
    ip.val.proto = m->flow.nw_proto & m->mask.nw_proto;
    ip.mask.proto = m->mask.nw_proto;
    ip.val.tos = m->flow.nw_tos & m->mask.nw_tos;
    ip.mask.tos = m->mask.nw_tos;
    ip.val.ttl = m->flow.nw_ttl & m->mask.nw_ttl;
    ip.mask.ttl = m->mask.nw_ttl;
    spec_append(b, &ip, sizeof ip);
}

static void
xlate_ipv6(struct spec_builder *b, const struct ft_match *m)
{
    struct ibv_flow_spec_ipv6 ip;

    memset(&ip, 0, sizeof ip);
    ip.type = IBV_FLOW_SPEC_IPV6;
    ip.size = sizeof ip;
    for (int i = 0; i < 16; i++) {
        ip.val.src_ip[i] = m->flow.ipv6_src.s6[i] & m->mask.ipv6_src.s6[i];
        ip.mask.src_ip[i] = m->mask.ipv6_src.s6[i];
        ip.val.dst_ip[i] = m->flow.ipv6_dst.s6[i] & m->mask.ipv6_dst.s6[i];
        ip.mask.dst_ip[i] = m->mask.ipv6_dst.s6[i];
    }
    ip.val.next_hdr = m->flow.nw_proto & m->mask.nw_proto;
    ip.mask.next_hdr = m->mask.nw_proto;
    ip.val.traffic_class = m->flow.nw_tos & m->mask.nw_tos;
    ip.mask.traffic_class = m->mask.nw_tos;
    ip.val.hop_limit = m->flow.nw_ttl & m->mask.nw_ttl;
    ip.mask.hop_limit = m->mask.nw_ttl;
    spec_append(b, &ip, sizeof ip);
}

/* The L3 spec, if the megaflow matches an IP header.  Returns 0 or
 * -EOPNOTSUPP. */
static int
xlate_l3(struct spec_builder *b, const struct ft_match *m,
         struct ft_error *err)
{
    bool v4 = is_ethertype(m, FT_ETH_TYPE_IP);
    bool v6 = is_ethertype(m, FT_ETH_TYPE_IPV6);

    if (MASKED(m, nw_frag)) {
        return refuse("fragment state (nw_frag): verbs' IP filters see "
                      "no fragment offset", err);
    }
    if (MASKED(m, arp_sha) || MASKED(m, arp_tha)
        || (!v4 && (MASKED(m, nw_src) || MASKED(m, nw_dst)))) {
        return refuse(is_ethertype(m, FT_ETH_TYPE_ARP) ? "ARP fields"
                      : "IPv4 fields without dl_type=0x0800", err);
    }
    if (!v6 && (MASKED(m, ipv6_src) || MASKED(m, ipv6_dst))) {
        return refuse("IPv6 fields without dl_type=0x86dd", err);
    }
    if (!v4 && !v6 && (MASKED(m, nw_proto) || MASKED(m, nw_tos)
                       || MASKED(m, nw_ttl))) {
        return refuse(is_ethertype(m, FT_ETH_TYPE_ARP) ? "ARP fields"
                      : "IP fields of a packet that is not IP", err);
    }
    if (v4) {
        xlate_ipv4(b, m);
    } else if (v6) {
        xlate_ipv6(b, m);
    }
    return 0;
}

/* The L4 spec, if the megaflow matches TCP or UDP ports. */
static int
xlate_l4(struct spec_builder *b, const struct ft_match *m,
         struct ft_error *err)
{
    struct ibv_flow_spec_tcp_udp l4;
    bool ip = (is_ethertype(m, FT_ETH_TYPE_IP)
               || is_ethertype(m, FT_ETH_TYPE_IPV6));
    bool exact = m->mask.nw_proto == 0xff;

    if (MASKED(m, tcp_flags)) {
        return refuse("tcp_flags (verbs' TCP filter has ports only)", err);
    }
    if (!MASKED(m, tp_src) && !MASKED(m, tp_dst)) {
        return 0;
    }
    if (!ip || !exact || (m->flow.nw_proto != FT_IPPROTO_TCP
                          && m->flow.nw_proto != FT_IPPROTO_UDP)) {
        return refuse(ip && exact && (m->flow.nw_proto == FT_IPPROTO_ICMP
                                      || m->flow.nw_proto
                                         == FT_IPPROTO_ICMPV6)
                      ? "ICMP type or code"
                      : "L4 ports of a packet that is not TCP or UDP", err);
    }
    memset(&l4, 0, sizeof l4);
    l4.type = (m->flow.nw_proto == FT_IPPROTO_TCP ? IBV_FLOW_SPEC_TCP
               : IBV_FLOW_SPEC_UDP);
    l4.size = sizeof l4;
    l4.val.src_port = htons(m->flow.tp_src & m->mask.tp_src);
    l4.mask.src_port = htons(m->mask.tp_src);
    l4.val.dst_port = htons(m->flow.tp_dst & m->mask.tp_dst);
    l4.mask.dst_port = htons(m->mask.tp_dst);
    spec_append(b, &l4, sizeof l4);
    return 0;
}

/* Drop, and the counter: the only actions flow steering has here. */
static int
xlate_actions(struct spec_builder *b, const struct ft_dp_actions *actions,
              bool with_count, struct ft_error *err)
{
    struct ibv_flow_spec_action_drop drop;
    struct ibv_flow_spec_counter_action count;

    if (actions->n) {
        const struct ft_dp_action *a = &actions->acts[0];

        if (a->type == FT_DPA_OUTPUT) {
            return ft_error_set(err, -EOPNOTSUPP, "verbs: output to port "
                                "%"PRIu32" is not offloadable: flow "
                                "steering drops a packet or hands it to a "
                                "receive queue of this host and cannot send "
                                "it out of another port (verbs holds drop "
                                "rules only)", a->port);
        }
        if (a->type == FT_DPA_USERSPACE) {
            return ft_error_set(err, -EOPNOTSUPP, "verbs: action userspace "
                                "is not offloadable: the daemon reads no "
                                "packets from verbs receive queues");
        }
        return ft_error_set(err, -EOPNOTSUPP, "verbs: header rewrites and "
                            "VLAN push or pop are not offloadable: verbs "
                            "flow steering does not change packets (verbs "
                            "holds drop rules only)");
    }
    memset(&drop, 0, sizeof drop);
    drop.type = IBV_FLOW_SPEC_ACTION_DROP;
    drop.size = sizeof drop;
    spec_append(b, &drop, sizeof drop);
    if (with_count) {
        memset(&count, 0, sizeof count);
        count.type = IBV_FLOW_SPEC_ACTION_COUNT;
        count.size = sizeof count;
        spec_append(b, &count, sizeof count);
    }
    return 0;
}

int
ft_verbs_xlate(const struct ft_match *m, const struct ft_dp_actions *actions,
               uint8_t port_num, bool count, struct ft_verbs_rule *rule,
               struct ft_error *err)
{
    struct spec_builder b = { rule };
    int error;

    memset(rule, 0, sizeof *rule);
    rule->attr.type = IBV_FLOW_ATTR_NORMAL;
    rule->attr.port = port_num;
    rule->len = sizeof rule->attr;
    rule->attr.size = (uint16_t) rule->len;

    error = ft_offload_check_match(m, PROVIDER, err);
    if (!error) {
        error = xlate_eth(&b, m, err);
    }
    if (!error) {
        error = xlate_l3(&b, m, err);
    }
    if (!error) {
        error = xlate_l4(&b, m, err);
    }
    if (!error) {
        error = xlate_actions(&b, actions, count, err);
    }
    return error;
}

int
ft_verbs_rule_set_counters(struct ft_verbs_rule *rule,
                           struct ibv_counters *counters)
{
    size_t ofs = sizeof rule->attr;

    for (unsigned int i = 0; i < rule->attr.num_of_specs; i++) {
        struct ibv_flow_spec_counter_action c;
        struct ibv_flow_spec hdr;

        memcpy(&hdr.hdr, &rule->buf[ofs], sizeof hdr.hdr);
        if (hdr.hdr.type == IBV_FLOW_SPEC_ACTION_COUNT) {
            memcpy(&c, &rule->buf[ofs], sizeof c);
            c.counters = counters;
            memcpy(&rule->buf[ofs], &c, sizeof c);
            return 0;
        }
        ofs += hdr.hdr.size;
    }
    return -ENOENT;
}

/* ---- Text. ---- */

static void
put_mac(struct ds *out, const char *name, const uint8_t v[6],
        const uint8_t mask[6])
{
    static const uint8_t zero[6];

    if (!memcmp(mask, zero, 6)) {
        return;
    }
    ds_put_format(out, " %s %02x:%02x:%02x:%02x:%02x:%02x/"
                  "%02x:%02x:%02x:%02x:%02x:%02x", name, v[0], v[1], v[2],
                  v[3], v[4], v[5], mask[0], mask[1], mask[2], mask[3],
                  mask[4], mask[5]);
}

static void
put_ip4(struct ds *out, const char *name, uint32_t v, uint32_t mask)
{
    char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

    if (mask) {
        inet_ntop(AF_INET, &v, a, sizeof a);
        inet_ntop(AF_INET, &mask, b, sizeof b);
        ds_put_format(out, " %s %s/%s", name, a, b);
    }
}

static void
put_ip6(struct ds *out, const char *name, const uint8_t v[16],
        const uint8_t mask[16])
{
    static const uint8_t zero[16];
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

    if (memcmp(mask, zero, 16)) {
        inet_ntop(AF_INET6, v, a, sizeof a);
        inet_ntop(AF_INET6, mask, b, sizeof b);
        ds_put_format(out, " %s %s/%s", name, a, b);
    }
}

static void
put_u(struct ds *out, const char *name, unsigned int v, unsigned int mask,
      const char *fmt)
{
    if (mask) {
        ds_put_format(out, " %s ", name);
        ds_put_format(out, fmt, v);
        ds_put_char(out, '/');
        ds_put_format(out, fmt, mask);
    }
}

/* One spec at 'p', as text. */
static void
format_spec(const uint8_t *p, uint16_t type, uint16_t size, struct ds *out)
{
    union {
        struct ibv_flow_spec_eth eth;
        struct ibv_flow_spec_ipv4_ext ip4;
        struct ibv_flow_spec_ipv6 ip6;
        struct ibv_flow_spec_tcp_udp l4;
        struct ibv_flow_spec_counter_action count;
    } s;

    memset(&s, 0, sizeof s);
    memcpy(&s, p, size < sizeof s ? size : sizeof s);
    switch (type) {
    case IBV_FLOW_SPEC_ETH:
        ds_put_cstr(out, "  eth");
        put_mac(out, "dst", s.eth.val.dst_mac, s.eth.mask.dst_mac);
        put_mac(out, "src", s.eth.val.src_mac, s.eth.mask.src_mac);
        put_u(out, "type", ntohs(s.eth.val.ether_type),
              ntohs(s.eth.mask.ether_type), "0x%04x");
        put_u(out, "vlan_tag", ntohs(s.eth.val.vlan_tag),
              ntohs(s.eth.mask.vlan_tag), "0x%04x");
        break;
    case IBV_FLOW_SPEC_IPV4_EXT:
        ds_put_cstr(out, "  ipv4_ext");
        put_ip4(out, "src", s.ip4.val.src_ip, s.ip4.mask.src_ip);
        put_ip4(out, "dst", s.ip4.val.dst_ip, s.ip4.mask.dst_ip);
        put_u(out, "proto", s.ip4.val.proto, s.ip4.mask.proto, "%u");
        put_u(out, "tos", s.ip4.val.tos, s.ip4.mask.tos, "0x%02x");
        put_u(out, "ttl", s.ip4.val.ttl, s.ip4.mask.ttl, "%u");
        break;
    case IBV_FLOW_SPEC_IPV6:
        ds_put_cstr(out, "  ipv6");
        put_ip6(out, "src", s.ip6.val.src_ip, s.ip6.mask.src_ip);
        put_ip6(out, "dst", s.ip6.val.dst_ip, s.ip6.mask.dst_ip);
        put_u(out, "next_hdr", s.ip6.val.next_hdr, s.ip6.mask.next_hdr, "%u");
        put_u(out, "traffic_class", s.ip6.val.traffic_class,
              s.ip6.mask.traffic_class, "0x%02x");
        put_u(out, "hop_limit", s.ip6.val.hop_limit, s.ip6.mask.hop_limit,
              "%u");
        break;
    case IBV_FLOW_SPEC_TCP:
    case IBV_FLOW_SPEC_UDP:
        ds_put_cstr(out, type == IBV_FLOW_SPEC_TCP ? "  tcp" : "  udp");
        put_u(out, "src_port", ntohs(s.l4.val.src_port),
              ntohs(s.l4.mask.src_port), "%u");
        put_u(out, "dst_port", ntohs(s.l4.val.dst_port),
              ntohs(s.l4.mask.dst_port), "%u");
        break;
    case IBV_FLOW_SPEC_ACTION_DROP:
        ds_put_cstr(out, "  action_drop");
        break;
    case IBV_FLOW_SPEC_ACTION_COUNT:
        ds_put_cstr(out, "  action_count");
        break;
    default:
        ds_put_format(out, "  spec type 0x%x", type);
        break;
    }
    ds_put_format(out, " (size %u)\n", size);
}

void
ft_verbs_rule_format(const struct ft_verbs_rule *rule, struct ds *out)
{
    size_t ofs = sizeof rule->attr;

    ds_put_format(out, "ibv_create_flow port %u priority %u specs %u size "
                  "%u\n", rule->attr.port, rule->attr.priority,
                  rule->attr.num_of_specs, rule->attr.size);
    for (unsigned int i = 0; i < rule->attr.num_of_specs
                             && ofs + 8 <= rule->len; i++) {
        struct ibv_flow_spec hdr;

        memcpy(&hdr.hdr, &rule->buf[ofs], sizeof hdr.hdr);
        if (hdr.hdr.size < sizeof hdr.hdr || ofs + hdr.hdr.size > rule->len) {
            ds_put_cstr(out, "  (truncated)\n");
            return;
        }
        format_spec(&rule->buf[ofs], hdr.hdr.type, hdr.hdr.size, out);
        ofs += hdr.hdr.size;
    }
}

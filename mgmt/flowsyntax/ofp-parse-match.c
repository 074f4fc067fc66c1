/*
 * ofp-parse-match.c - the match part of a flow line: protocol shorthands
 * ("tcp", "arp", "icmp6"...), fields by any of their names (field.c), port
 * names for in_port, and the prerequisite check that refuses a field the
 * match does not make meaningful ("tp_dst=22" without tcp, udp or sctp).
 */
#include "mgmt/flowsyntax/ofp-flow.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mgmt/flowsyntax/ofp-parse-private.h"

static const struct {
    const char *name;
    uint16_t dl_type;
    int nw_proto;               /* -1: none. */
} shorthands[] = {
    { "ip", FT_ETH_TYPE_IP, -1 },
    { "ipv6", FT_ETH_TYPE_IPV6, -1 },
    { "icmp", FT_ETH_TYPE_IP, FT_IPPROTO_ICMP },
    { "icmp6", FT_ETH_TYPE_IPV6, FT_IPPROTO_ICMPV6 },
    { "tcp", FT_ETH_TYPE_IP, FT_IPPROTO_TCP },
    { "tcp6", FT_ETH_TYPE_IPV6, FT_IPPROTO_TCP },
    { "udp", FT_ETH_TYPE_IP, FT_IPPROTO_UDP },
    { "udp6", FT_ETH_TYPE_IPV6, FT_IPPROTO_UDP },
    { "sctp", FT_ETH_TYPE_IP, FT_IPPROTO_SCTP },
    { "sctp6", FT_ETH_TYPE_IPV6, FT_IPPROTO_SCTP },
    { "arp", FT_ETH_TYPE_ARP, -1 },
};

static int
find_shorthand(const char *name)
{
    for (size_t i = 0; i < sizeof shorthands / sizeof shorthands[0]; i++) {
        if (!strcmp(name, shorthands[i].name)) {
            return (int) i;
        }
    }
    return -1;
}

static void
apply_shorthand(struct ft_match *m, int i)
{
    m->flow.dl_type = shorthands[i].dl_type;
    m->mask.dl_type = 0xffff;
    if (shorthands[i].nw_proto >= 0) {
        m->flow.nw_proto = (uint8_t) shorthands[i].nw_proto;
        m->mask.nw_proto = 0xff;
    }
}

const char *
ft_ofp_prereq_text(const struct ft_field *f)
{
    switch (f->prereq) {
    case FT_PREREQ_NONE:
        return "nothing";
    case FT_PREREQ_VLAN:
        return "a VLAN tag (dl_vlan, or vlan_vid with 0x1000)";
    case FT_PREREQ_ARP:
        return "arp";
    case FT_PREREQ_IP_ANY:
        return f->id == FT_F_IP_PROTO ? "ip, ipv6 or arp" : "ip or ipv6";
    case FT_PREREQ_IPV4:
        return f->id == FT_F_IPV4_SRC || f->id == FT_F_IPV4_DST
               ? "ip or arp" : "ip";
    case FT_PREREQ_IPV6:
        return "ipv6";
    case FT_PREREQ_L4:
        return "tcp, udp or sctp (or tcp6, udp6, sctp6)";
    case FT_PREREQ_TCP:
        return "tcp or tcp6";
    case FT_PREREQ_UDP:
        return "udp or udp6";
    case FT_PREREQ_SCTP:
        return "sctp or sctp6";
    case FT_PREREQ_ICMPV4:
        return "icmp";
    case FT_PREREQ_ICMPV6:
        return "icmp6";
    }
    return "?";
}

/* True if the prerequisites of 'f' hold for every packet 'match' matches:
 * they hold for the match's key, on bits the match makes exact. */
bool
ft_ofp_match_prereqs_ok(const struct ft_field *f,
                        const struct ft_match *match)
{
    struct ft_flow wc;
    const uint64_t *w, *m;

    ft_flow_zero(&wc);
    if (!ft_field_prereqs_ok(f, &match->flow, &wc)) {
        return false;
    }
    w = ft_flow_u64(&wc);
    m = ft_flow_u64(&match->mask);
    for (size_t i = 0; i < FT_FLOW_U64S; i++) {
        if (w[i] & ~m[i]) {
            return false;
        }
    }
    return true;
}

/* OF1.0 lets nw_src, nw_dst and nw_proto stand for the ARP fields that
 * share their storage, and icmp_type, icmp_code for the ICMPv6 ones. */
static bool
match_field_ok(const struct ft_field *f, const struct ft_match *match)
{
    if ((f->id == FT_F_IPV4_SRC || f->id == FT_F_IPV4_DST
         || f->id == FT_F_IP_PROTO)
        && match->mask.dl_type == 0xffff
        && match->flow.dl_type == FT_ETH_TYPE_ARP) {
        return true;
    }
    /* dump-flows prints ICMPv6 type and code as icmp_type, icmp_code. */
    if ((f->id == FT_F_ICMP_TYPE || f->id == FT_F_ICMP_CODE)
        && ft_ofp_match_prereqs_ok(ft_field_from_id(FT_F_ICMPV6_TYPE),
                                   match)) {
        return true;
    }
    return ft_ofp_match_prereqs_ok(f, match);
}

static int
parse_match_field(struct ft_ofp_match_ctx *c, const struct ft_field *f,
                  const struct ft_ofp_token *t,
                  const struct ft_port_map *ports,
                  struct ft_error *err)
{
    union ft_value v, m;
    int error;

    if (t->delim != '=' && t->delim != ':') {
        return ft_error_set(err, -EINVAL, "column %zu: %s: missing value "
                            "(write %s=VALUE)", t->key_ofs + 1, t->key,
                            t->key);
    }
    if (f->format == FT_FMT_PORT) {
        ft_port_no port;

        memset(&v, 0, sizeof v);
        if (strchr(t->value, '/')) {
            ft_error_set(err, -EINVAL, "%s does not take a mask", f->name);
            return ft_ofp_locate_error(err, t->key_ofs + 1, t->key);
        }
        error = ft_port_parse(t->value, ports, &port, err);
        if (error) {
            return ft_ofp_locate_error(err, t->key_ofs + 1, t->key);
        }
        v.u64 = port;
        ft_match_set_field(&c->match, f, &v, NULL);
    } else {
        error = ft_field_parse(f, t->value, &v, &m, err);
        if (error) {
            return ft_ofp_locate_error(err, t->key_ofs + 1, t->key);
        }
        ft_match_set_field(&c->match, f, &v, &m);
    }
    c->field_col[f->id] = t->key_ofs + 1;
    memcpy(c->field_key[f->id], t->key, t->key_len + 1);
    return 0;
}

/* Checks every given field's prerequisites, reporting the leftmost. */
int
ft_ofp_check_match_prereqs(const struct ft_ofp_match_ctx *c,
                           struct ft_error *err)
{
    const struct ft_field *bad = NULL;

    for (int i = 0; i < FT_N_FIELDS; i++) {
        const struct ft_field *f = ft_field_from_id(i);

        if (c->field_col[i] && !match_field_ok(f, &c->match)
            && (!bad || c->field_col[i] < c->field_col[bad->id])) {
            bad = f;
        }
    }
    if (bad && find_shorthand(c->field_key[bad->id]) >= 0) {
        return ft_error_set(err, -EINVAL, "column %zu: %s: conflicts with "
                            "dl_type=0x%04x given after it",
                            c->field_col[bad->id], c->field_key[bad->id],
                            c->match.flow.dl_type);
    }
    if (bad) {
        return ft_error_set(err, -EINVAL, "column %zu: %s: requires %s "
                            "in the match", c->field_col[bad->id],
                            c->field_key[bad->id], ft_ofp_prereq_text(bad));
    }
    return 0;
}

/* Tries 't' as a match item (shorthand or field).  Returns 1 if it was
 * one, 0 if the name is unknown, or a negative errno. */
int
ft_ofp_parse_match_item(struct ft_ofp_match_ctx *c,
                        const struct ft_ofp_token *t,
                        const struct ft_port_map *ports,
                        struct ft_error *err)
{
    const struct ft_field *f;
    int i = find_shorthand(t->key);

    if (i >= 0) {
        if (t->delim) {
            return ft_error_set(err, -EINVAL, "column %zu: %s: takes no "
                                "value", t->key_ofs + 1, t->key);
        }
        apply_shorthand(&c->match, i);
        if (shorthands[i].nw_proto >= 0 && !c->field_col[FT_F_IP_PROTO]) {
            /* Its protocol is checked with the fields given, so that a
             * dl_type after it cannot leave the protocol without its
             * prerequisite ("icmp,dl_type=0x1"). */
            c->field_col[FT_F_IP_PROTO] = t->key_ofs + 1;
            memcpy(c->field_key[FT_F_IP_PROTO], t->key, t->key_len + 1);
        }
        return 1;
    }
    f = ft_field_from_name(t->key);
    if (!f) {
        return 0;
    }
    return parse_match_field(c, f, t, ports, err) ? -EINVAL : 1;
}


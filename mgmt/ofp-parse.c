/*
 * ofp-parse.c - the flow syntax of 'ovs-ofctl add-flow' and friends,
 * parsed into a 'struct ft_flow_spec': header keys (table, priority,
 * cookie, timeouts), the match and the action list.
 *
 * A line is a list of "key", "key=value", "key:value" or "key(value)"
 * items separated by commas or white space; "actions=" takes the rest of
 * the line.  Match keys are looked up in the field table (field.c), so
 * every name, synonym and NXM name of a field works.  Parsing is
 * all-or-nothing: on error the caller's spec is left empty and the error
 * names the item and its 1-based column.
 *
 * Checks made here, following ovs-ofctl where it refuses and being
 * stricter where it silently drops input: a match field whose
 * prerequisite is not in the match is an error; set_field and load are
 * checked against the match as the actions before them change it (a
 * push_vlan makes vlan_vid settable); instructions come in OpenFlow 1.1
 * order (meter, actions, write_metadata, goto_table) and goto_table goes
 * forward.  The OF1.0 actions mod_nw_*, mod_tp_* and dec_ttl are accepted
 * on any match, as in OVS; they do nothing to packets they do not fit.
 */
#include "mgmt/ofp-flow.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KEY_MAX 32
#define VALUE_MAX 256

/* One item of a line, as offsets into the text. */
struct token {
    size_t key_ofs, key_len;
    char delim;                 /* '=', ':', '(' or '\0' (no value). */
    size_t val_ofs, val_len;
    char key[KEY_MAX];          /* NUL-terminated copies. */
    char value[VALUE_MAX];
};

static bool
is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Reads the next item of text[*pos, end).  Returns 1 and fills 't', 0 at
 * the end, or -EINVAL with 'err' set. */
static int
next_token(const char *text, size_t end, size_t *pos, struct token *t,
           struct ft_error *err)
{
    size_t p = *pos;
    int depth = 0;

    while (p < end && is_sep(text[p])) {
        p++;
    }
    if (p >= end) {
        *pos = p;
        return 0;
    }
    t->key_ofs = p;
    while (p < end && !is_sep(text[p]) && text[p] != '='
           && text[p] != ':' && text[p] != '(') {
        p++;
    }
    t->key_len = p - t->key_ofs;
    t->delim = p < end && !is_sep(text[p]) ? text[p] : '\0';
    if (t->key_len >= KEY_MAX) {
        return ft_error_set(err, -EINVAL, "column %zu: '%.20s...': name is "
                            "too long", t->key_ofs + 1, text + t->key_ofs);
    }
    if (!t->key_len) {
        return ft_error_set(err, -EINVAL, "column %zu: '%c' without a name "
                            "before it", t->key_ofs + 1, text[p]);
    }
    memcpy(t->key, text + t->key_ofs, t->key_len);
    t->key[t->key_len] = '\0';

    if (t->delim) {
        p++;
    }
    t->val_ofs = p;
    if (t->delim == '(') {
        for (; p < end; p++) {
            if (text[p] == '(') {
                depth++;
            } else if (text[p] == ')' && !depth--) {
                break;
            }
        }
        if (p >= end) {
            return ft_error_set(err, -EINVAL, "column %zu: %s: missing ')'",
                                t->key_ofs + 1, t->key);
        }
        t->val_len = p - t->val_ofs;
        p++;
    } else if (t->delim) {
        for (; p < end; p++) {
            if (text[p] == '(') {
                depth++;
            } else if (text[p] == ')') {
                depth--;
            } else if (!depth && is_sep(text[p])) {
                break;
            }
        }
        t->val_len = p - t->val_ofs;
    } else {
        t->val_len = 0;
    }
    if (t->val_len >= VALUE_MAX) {
        return ft_error_set(err, -EINVAL, "column %zu: %s: value is too long",
                            t->key_ofs + 1, t->key);
    }
    memcpy(t->value, text + t->val_ofs, t->val_len);
    t->value[t->val_len] = '\0';
    *pos = p;
    return 1;
}

/* Prefixes the reason in 'err' with "column N: KEY: ". */
static int
locate_error(struct ft_error *err, size_t col, const char *key)
{
    if (err) {
        char why[FT_ERROR_REASON_MAX];

        memcpy(why, err->reason, sizeof why);
        ft_error_set(err, -EINVAL, "column %zu: %s: %s", col, key, why);
    }
    return -EINVAL;
}

static int
parse_u64(const char *s, uint64_t max, uint64_t *v, struct ft_error *err)
{
    char *end;
    int base = 10;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (*s < '0' || *s > 'f' || !*s) {
        return ft_error_set(err, -EINVAL, "'%s' is not a number", s);
    }
    errno = 0;
    *v = strtoull(s, &end, base);
    if (errno || *end || end == s) {
        return ft_error_set(err, -EINVAL, "'%s%s' is not a number",
                            base == 16 ? "0x" : "", s);
    }
    if (*v > max) {
        return ft_error_set(err, -EINVAL, "%s%s is out of range (max %"
                            PRIu64")", base == 16 ? "0x" : "", s, max);
    }
    return 0;
}

/* Match parsing. */

struct match_ctx {
    struct ft_match match;
    size_t field_col[FT_N_FIELDS];      /* 0 = field not given. */
    char field_key[FT_N_FIELDS][KEY_MAX];
};

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

static const char *
prereq_text(const struct ft_field *f)
{
    switch (f->prereq) {
    case FT_PREREQ_NONE:
        return "nothing";
    case FT_PREREQ_VLAN:
        return "a VLAN tag in the match (dl_vlan, or vlan_vid with 0x1000)";
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
static bool
match_prereqs_ok(const struct ft_field *f, const struct ft_match *match)
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
        && match_prereqs_ok(ft_field_from_id(FT_F_ICMPV6_TYPE), match)) {
        return true;
    }
    return match_prereqs_ok(f, match);
}

static int
parse_match_field(struct match_ctx *c, const struct ft_field *f,
                  const struct token *t, const struct ft_port_map *ports,
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
            return locate_error(err, t->key_ofs + 1, t->key);
        }
        error = ft_port_parse(t->value, ports, &port, err);
        if (error) {
            return locate_error(err, t->key_ofs + 1, t->key);
        }
        v.u64 = port;
        ft_match_set_field(&c->match, f, &v, NULL);
    } else {
        error = ft_field_parse(f, t->value, &v, &m, err);
        if (error) {
            return locate_error(err, t->key_ofs + 1, t->key);
        }
        ft_match_set_field(&c->match, f, &v, &m);
    }
    c->field_col[f->id] = t->key_ofs + 1;
    memcpy(c->field_key[f->id], t->key, t->key_len + 1);
    return 0;
}

/* Checks every given field's prerequisites, reporting the leftmost. */
static int
check_match_prereqs(const struct match_ctx *c, struct ft_error *err)
{
    const struct ft_field *bad = NULL;

    for (int i = 0; i < FT_N_FIELDS; i++) {
        const struct ft_field *f = ft_field_from_id(i);

        if (c->field_col[i] && !match_field_ok(f, &c->match)
            && (!bad || c->field_col[i] < c->field_col[bad->id])) {
            bad = f;
        }
    }
    if (bad) {
        return ft_error_set(err, -EINVAL, "column %zu: %s: requires %s "
                            "in the match", c->field_col[bad->id],
                            c->field_key[bad->id], prereq_text(bad));
    }
    return 0;
}

/* Tries 't' as a match item (shorthand or field).  Returns 1 if it was
 * one, 0 if the name is unknown, or a negative errno. */
static int
parse_match_item(struct match_ctx *c, const struct token *t,
                 const struct ft_port_map *ports, struct ft_error *err)
{
    const struct ft_field *f;
    int i = find_shorthand(t->key);

    if (i >= 0) {
        if (t->delim) {
            return ft_error_set(err, -EINVAL, "column %zu: %s: takes no "
                                "value", t->key_ofs + 1, t->key);
        }
        apply_shorthand(&c->match, i);
        return 1;
    }
    f = ft_field_from_name(t->key);
    if (!f) {
        return 0;
    }
    return parse_match_field(c, f, t, ports, err) ? -EINVAL : 1;
}

/* Action parsing. */

enum instr_phase {
    PHASE_START,
    PHASE_METER,
    PHASE_APPLY,
    PHASE_WRITE_METADATA,
    PHASE_GOTO,
};

struct act_ctx {
    struct ft_ofpacts *acts;
    const struct ft_port_map *ports;
    bool check;                 /* Validate against 'sim'. */
    struct ft_match sim;        /* The match as the actions change it. */
    int table_id;               /* -1: unknown. */
    enum instr_phase phase;
    bool drop;
};

static int
parse_port_value(struct act_ctx *c, const char *s, ft_port_no *port,
                 struct ft_error *err)
{
    if (!*s) {
        return ft_error_set(err, -EINVAL, "missing port");
    }
    return ft_port_parse(s, c->ports, port, err);
}

static int
put_output(struct act_ctx *c, ft_port_no port, struct ft_error *err)
{
    if (port == FT_PORT_NONE || port == FT_PORT_TABLE) {
        return ft_error_set(err, -EINVAL, "cannot output to port %s",
                            port == FT_PORT_NONE ? "ANY" : "TABLE");
    }
    if (port == FT_PORT_CONTROLLER) {
        ft_ofpacts_put(c->acts, FT_OFPACT_CONTROLLER)->controller.max_len
            = UINT16_MAX;
    } else {
        ft_ofpacts_put(c->acts, FT_OFPACT_OUTPUT)->output.port = port;
    }
    return 0;
}

static int
act_output(struct act_ctx *c, const struct token *t, struct ft_error *err)
{
    ft_port_no port;

    if (strchr(t->value, '[')) {
        return ft_error_set(err, -EINVAL, "output to a field is not "
                            "supported");
    }
    if (parse_port_value(c, t->value, &port, err)) {
        return -EINVAL;
    }
    return put_output(c, port, err);
}

static int
act_controller(struct act_ctx *c, const struct token *t,
               struct ft_error *err)
{
    uint64_t max_len = UINT16_MAX;

    if (t->delim == ':' || t->delim == '=') {
        if (parse_u64(t->value, UINT16_MAX, &max_len, err)) {
            return -EINVAL;
        }
    } else if (t->delim == '(') {
        const char *s = t->value;

        while (*s) {
            size_t n = strcspn(s, ",");

            if (n > 8 && !strncmp(s, "max_len=", 8)) {
                char buf[32];

                if (n - 8 >= sizeof buf) {
                    return ft_error_set(err, -EINVAL, "max_len too long");
                }
                memcpy(buf, s + 8, n - 8);
                buf[n - 8] = '\0';
                if (parse_u64(buf, UINT16_MAX, &max_len, err)) {
                    return -EINVAL;
                }
            } else if (n) {
                return ft_error_set(err, -EINVAL, "option '%.*s' is not "
                                    "supported (only max_len)", (int) n, s);
            }
            s += n + (s[n] == ',');
        }
    }
    ft_ofpacts_put(c->acts, FT_OFPACT_CONTROLLER)->controller.max_len
        = (uint16_t) max_len;
    return 0;
}

static int
parse_table_id(const char *s, uint64_t *table, struct ft_error *err)
{
    if (parse_u64(s, UINT8_MAX, table, err)) {
        return -EINVAL;
    }
    if (*table >= FT_N_TABLES) {
        return ft_error_set(err, -EINVAL, "table %s is out of range "
                            "(0..%d)", s, FT_N_TABLES - 1);
    }
    return 0;
}

static int
act_resubmit(struct act_ctx *c, const struct token *t, struct ft_error *err)
{
    ft_port_no in_port = FT_PORT_IN_PORT;
    uint64_t table = FT_TABLE_ALL;
    struct ft_ofpact *a;

    if (t->delim == ':') {
        if (parse_port_value(c, t->value, &in_port, err)) {
            return -EINVAL;
        }
    } else if (t->delim == '(') {
        char buf[VALUE_MAX];
        char *comma;

        memcpy(buf, t->value, t->val_len + 1);
        comma = strchr(buf, ',');
        if (comma) {
            *comma++ = '\0';
            if (strchr(comma, ',')) {
                return ft_error_set(err, -EINVAL, "a third argument (ct) is "
                                    "not supported");
            }
        }
        if (!buf[0] && (!comma || !*comma)) {
            return ft_error_set(err, -EINVAL, "at least one of in_port and "
                                "table must be given");
        }
        if (buf[0] && ft_port_parse(buf, c->ports, &in_port, err)) {
            return -EINVAL;
        }
        if (comma && *comma && parse_table_id(comma, &table, err)) {
            return -EINVAL;
        }
    } else {
        return ft_error_set(err, -EINVAL, "missing arguments (resubmit:PORT "
                            "or resubmit(PORT,TABLE))");
    }
    a = ft_ofpacts_put(c->acts, FT_OFPACT_RESUBMIT);
    a->resubmit.in_port = in_port;
    a->resubmit.table_id = (uint8_t) table;
    return 0;
}

static int
act_goto_table(struct act_ctx *c, const struct token *t,
               struct ft_error *err)
{
    uint64_t table;

    if (parse_table_id(t->value, &table, err)) {
        return -EINVAL;
    }
    if (c->table_id >= 0 && c->table_id < FT_TABLE_ALL
        && (int) table <= c->table_id) {
        return ft_error_set(err, -EINVAL, "goto_table must go to a later "
                            "table than this rule's table %d", c->table_id);
    }
    ft_ofpacts_put(c->acts, FT_OFPACT_GOTO_TABLE)->table_id = (uint8_t) table;
    return 0;
}

static void
sim_tag(struct act_ctx *c, bool present)
{
    if (present) {
        c->sim.flow.vlans[0].tci |= FT_VLAN_CFI;
        c->sim.mask.vlans[0].tci |= FT_VLAN_CFI;
    } else {
        c->sim.flow.vlans[0].tci = 0;
        c->sim.mask.vlans[0].tci = 0xffff;
    }
}

static int
act_vlan_vid(struct act_ctx *c, const struct token *t, struct ft_error *err)
{
    uint64_t vid;
    struct ft_ofpact *a;

    if (parse_u64(t->value, FT_VLAN_VID_MASK, &vid, err)) {
        return -EINVAL;
    }
    a = ft_ofpacts_put(c->acts, FT_OFPACT_SET_VLAN_VID);
    a->vlan_vid.vid = (uint16_t) vid;
    a->vlan_vid.push_vlan_if_needed = t->key[0] == 'm' || t->key[0] == 'M';
    if (a->vlan_vid.push_vlan_if_needed) {
        sim_tag(c, true);
    }
    return 0;
}

static int
act_vlan_pcp(struct act_ctx *c, const struct token *t, struct ft_error *err)
{
    uint64_t pcp;
    struct ft_ofpact *a;

    if (parse_u64(t->value, 7, &pcp, err)) {
        return -EINVAL;
    }
    a = ft_ofpacts_put(c->acts, FT_OFPACT_SET_VLAN_PCP);
    a->vlan_pcp.pcp = (uint8_t) pcp;
    a->vlan_pcp.push_vlan_if_needed = t->key[0] == 'm' || t->key[0] == 'M';
    if (a->vlan_pcp.push_vlan_if_needed) {
        sim_tag(c, true);
    }
    return 0;
}

static int
act_strip_vlan(struct act_ctx *c, const struct token *t,
               struct ft_error *err)
{
    ft_ofpacts_put(c->acts, FT_OFPACT_STRIP_VLAN);
    sim_tag(c, false);
    return 0;
}

static int
act_push_vlan(struct act_ctx *c, const struct token *t, struct ft_error *err)
{
    uint64_t type;

    if (parse_u64(t->value, UINT16_MAX, &type, err)) {
        return -EINVAL;
    }
    if (type != FT_ETH_TYPE_VLAN && type != FT_ETH_TYPE_VLAN_AD) {
        return ft_error_set(err, -EINVAL, "ethertype %s is not 0x8100 or "
                            "0x88a8", t->value);
    }
    ft_ofpacts_put(c->acts, FT_OFPACT_PUSH_VLAN)->push_vlan.ethertype
        = (uint16_t) type;
    sim_tag(c, true);
    return 0;
}

/* Checks that a write of 'f' fits the match as changed so far, then
 * records its effect there. */
static int
check_field_write(struct act_ctx *c, const struct ft_field *f,
                  const union ft_value *v, const union ft_value *m,
                  struct ft_error *err)
{
    if (!f->writable) {
        return ft_error_set(err, -EINVAL, "%s is read-only", f->name);
    }
    if (!c->check) {
        return 0;
    }
    if (!match_prereqs_ok(f, &c->sim)) {
        return ft_error_set(err, -EINVAL, "%s requires %s in the match",
                            f->name, prereq_text(f));
    }
    if ((f->id == FT_F_VLAN_VID || f->id == FT_F_DL_VLAN
         || f->id == FT_F_DL_VLAN_PCP)
        && !((c->sim.flow.vlans[0].tci & c->sim.mask.vlans[0].tci)
             & FT_VLAN_CFI)) {
        return ft_error_set(err, -EINVAL, "%s needs a VLAN tag: match one "
                            "or push_vlan first", f->name);
    }
    ft_field_set(f, v, m, &c->sim.flow);
    ft_field_unwildcard(f, m, &c->sim.mask);
    return 0;
}

static struct ft_ofpact *
put_set_field(struct act_ctx *c, const struct ft_field *f,
              const union ft_value *v, const union ft_value *m,
              enum ft_set_field_spelling spelling)
{
    struct ft_ofpact *a = ft_ofpacts_put(c->acts, FT_OFPACT_SET_FIELD);

    a->set_field.field = f->id;
    a->set_field.value = *v;
    a->set_field.mask = *m;
    a->set_field.spelling = (uint8_t) spelling;
    return a;
}

/* Splits "VALUE->FIELD..." in 'buf' (modified). */
static int
split_arrow(char *buf, char **dst, struct ft_error *err)
{
    char *arrow = strstr(buf, "->");

    if (!arrow) {
        return ft_error_set(err, -EINVAL, "missing '->' (write "
                            "VALUE->FIELD)");
    }
    *arrow = '\0';
    *dst = arrow + 2;
    if (!buf[0] || !**dst) {
        return ft_error_set(err, -EINVAL, "missing %s around '->'",
                            buf[0] ? "field" : "value");
    }
    return 0;
}

static int
act_set_field(struct act_ctx *c, const struct token *t, struct ft_error *err)
{
    char buf[VALUE_MAX];
    const struct ft_field *f;
    union ft_value v, m;
    char *dst;

    memcpy(buf, t->value, t->val_len + 1);
    if (split_arrow(buf, &dst, err)) {
        return -EINVAL;
    }
    f = ft_field_from_name(dst);
    if (!f) {
        return ft_error_set(err, -EINVAL, "'%s' is not a field", dst);
    }
    if (f->format == FT_FMT_PORT) {
        ft_port_no port;

        if (ft_port_parse(buf, c->ports, &port, err)) {
            return -EINVAL;
        }
        memset(&v, 0, sizeof v);
        v.u64 = port;
        ft_field_full_mask(f, &m);
    } else if (ft_field_parse(f, buf, &v, &m, err)) {
        return -EINVAL;
    }
    if (f->id == FT_F_DL_VLAN && v.u64 == 0xffff) {
        return ft_error_set(err, -EINVAL, "dl_vlan 0xffff cannot be set "
                            "(use strip_vlan)");
    }
    if (check_field_write(c, f, &v, &m, err)) {
        return -EINVAL;
    }
    put_set_field(c, f, &v, &m, FT_SPELL_SET_FIELD);
    return 0;
}

static void
u64_to_bytes(uint64_t x, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[n - 1 - i] = (uint8_t) (x >> (8 * i));
    }
}

/* Parses "[]", "[N]" or "[A..B]" (or nothing) into bit range. */
static int
parse_subfield(const char *s, unsigned int width, unsigned int *ofs,
               unsigned int *n_bits, struct ft_error *err)
{
    unsigned int a, b;
    int n = 0;

    if (!*s || !strcmp(s, "[]")) {
        *ofs = 0;
        *n_bits = width;
        return 0;
    }
    if (sscanf(s, "[%u..%u]%n", &a, &b, &n) == 2 && !s[n]) {
        /* Range. */
    } else if (n = 0, sscanf(s, "[%u]%n", &a, &n) == 1 && !s[n]) {
        b = a;
    } else {
        return ft_error_set(err, -EINVAL, "'%s' is not a bit range ([], "
                            "[N] or [A..B])", s);
    }
    if (a > b || b >= width) {
        return ft_error_set(err, -EINVAL, "bits %s do not fit a %u-bit "
                            "field", s, width);
    }
    *ofs = a;
    *n_bits = b - a + 1;
    return 0;
}

static int
act_load(struct act_ctx *c, const struct token *t, struct ft_error *err)
{
    char buf[VALUE_MAX];
    const struct ft_field *f;
    unsigned int width, ofs = 0, n_bits = 0;
    union ft_value v, m;
    uint64_t x, bits;
    char *dst, *bracket;

    memcpy(buf, t->value, t->val_len + 1);
    if (split_arrow(buf, &dst, err)) {
        return -EINVAL;
    }
    bracket = strchr(dst, '[');
    if (bracket) {
        memmove(bracket + 1, bracket, strlen(bracket) + 1);
        *bracket++ = '\0';
    }
    f = ft_field_from_name(dst);
    if (!f) {
        return ft_error_set(err, -EINVAL, "'%s' is not a field", dst);
    }
    if (f->n_bytes == 16) {
        return ft_error_set(err, -EINVAL, "%s is wider than 64 bits (use "
                            "set_field)", dst);
    }
    width = f->id == FT_F_IP_TOS ? 8 : f->n_bits;
    if (parse_subfield(bracket ? bracket : "", width, &ofs, &n_bits, err)) {
        return -EINVAL;
    }
    if (f->id == FT_F_IP_TOS && n_bits != width) {
        return ft_error_set(err, -EINVAL, "only all of %s may be loaded",
                            dst);
    }
    if (parse_u64(buf, UINT64_MAX, &x, err)) {
        return -EINVAL;
    }
    bits = n_bits >= 64 ? UINT64_MAX : (UINT64_C(1) << n_bits) - 1;
    if (x & ~bits) {
        return ft_error_set(err, -EINVAL, "value %s does not fit in %u "
                            "bits", buf, n_bits);
    }
    if (f->id == FT_F_IP_TOS && x & FT_IP_ECN_MASK) {
        return ft_error_set(err, -EINVAL, "value %s sets ECN bits of the "
                            "TOS field", buf);
    }
    memset(&v, 0, sizeof v);
    memset(&m, 0, sizeof m);
    if (f->n_bytes == 6) {
        u64_to_bytes(x << ofs, v.bytes, 6);
        u64_to_bytes(bits << ofs, m.bytes, 6);
    } else {
        v.u64 = x << ofs;
        m.u64 = f->id == FT_F_IP_TOS ? 0xfc : bits << ofs;
    }
    if (check_field_write(c, f, &v, &m, err)) {
        return -EINVAL;
    }
    put_set_field(c, f, &v, &m, FT_SPELL_LOAD);
    return 0;
}

/* mod_dl_src, mod_nw_tos, ...: the OF1.0 spellings of a field write. */
static int
act_mod(struct act_ctx *c, const struct token *t, struct ft_error *err)
{
    static const struct {
        const char *name;
        enum ft_field_id field;
        enum ft_set_field_spelling spelling;
    } mods[] = {
        { "mod_dl_src", FT_F_ETH_SRC, FT_SPELL_MOD_DL_SRC },
        { "mod_dl_dst", FT_F_ETH_DST, FT_SPELL_MOD_DL_DST },
        { "mod_nw_src", FT_F_IPV4_SRC, FT_SPELL_MOD_NW_SRC },
        { "mod_nw_dst", FT_F_IPV4_DST, FT_SPELL_MOD_NW_DST },
        { "mod_nw_tos", FT_F_IP_TOS, FT_SPELL_MOD_NW_TOS },
        { "mod_tp_src", FT_F_TP_SRC, FT_SPELL_MOD_TP_SRC },
        { "mod_tp_dst", FT_F_TP_DST, FT_SPELL_MOD_TP_DST },
    };
    const struct ft_field *f = NULL;
    enum ft_set_field_spelling spelling = FT_SPELL_SET_FIELD;
    union ft_value v, m;

    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
        if (!strcasecmp(t->key, mods[i].name)) {
            f = ft_field_from_id(mods[i].field);
            spelling = mods[i].spelling;
        }
    }
    if (strchr(t->value, '/')) {
        return ft_error_set(err, -EINVAL, "a mask is not allowed here");
    }
    if (ft_field_parse(f, t->value, &v, NULL, err)) {
        return -EINVAL;
    }
    ft_field_full_mask(f, &m);
    put_set_field(c, f, &v, &m, spelling);
    return 0;
}

static int
act_dec_ttl(struct act_ctx *c, const struct token *t, struct ft_error *err)
{
    if (t->delim) {
        return ft_error_set(err, -EINVAL, "controller ids are not "
                            "supported (write plain dec_ttl)");
    }
    ft_ofpacts_put(c->acts, FT_OFPACT_DEC_TTL);
    return 0;
}

static int
act_set_tunnel(struct act_ctx *c, const struct token *t,
               struct ft_error *err)
{
    bool is64 = !strcasecmp(t->key, "set_tunnel64");
    uint64_t id;
    struct ft_ofpact *a;

    if (parse_u64(t->value, UINT64_MAX, &id, err)) {
        return -EINVAL;
    }
    a = ft_ofpacts_put(c->acts, FT_OFPACT_SET_TUNNEL);
    a->set_tunnel.tun_id = id;
    a->set_tunnel.is64 = is64 || id > UINT32_MAX;
    return 0;
}

static int
act_write_metadata(struct act_ctx *c, const struct token *t,
                   struct ft_error *err)
{
    char buf[VALUE_MAX];
    char *slash;
    uint64_t md, mask = UINT64_MAX;
    struct ft_ofpact *a;

    memcpy(buf, t->value, t->val_len + 1);
    slash = strchr(buf, '/');
    if (slash) {
        *slash++ = '\0';
        if (parse_u64(slash, UINT64_MAX, &mask, err)) {
            return -EINVAL;
        }
    }
    if (parse_u64(buf, UINT64_MAX, &md, err)) {
        return -EINVAL;
    }
    a = ft_ofpacts_put(c->acts, FT_OFPACT_WRITE_METADATA);
    a->write_metadata.metadata = md & mask;
    a->write_metadata.mask = mask;
    return 0;
}

static int
act_meter(struct act_ctx *c, const struct token *t, struct ft_error *err)
{
    uint64_t id;

    if (parse_u64(t->value, 0xffff0000, &id, err)) {
        return -EINVAL;
    }
    if (!id) {
        return ft_error_set(err, -EINVAL, "meter 0 does not exist (1.."
                            "0xffff0000)");
    }
    ft_ofpacts_put(c->acts, FT_OFPACT_METER)->meter_id = (uint32_t) id;
    return 0;
}

static int
act_drop(struct act_ctx *c, const struct token *t, struct ft_error *err)
{
    c->drop = true;
    return 0;
}

enum act_arg {
    ARG_NONE,           /* No value allowed. */
    ARG_REQUIRED,       /* ':' or '=' value required. */
    ARG_ANY,            /* Handler decides. */
};

static const struct {
    const char *name;
    int (*parse)(struct act_ctx *, const struct token *, struct ft_error *);
    enum act_arg arg;
    enum instr_phase phase;
} actions[] = {
    { "output", act_output, ARG_REQUIRED, PHASE_APPLY },
    { "controller", act_controller, ARG_ANY, PHASE_APPLY },
    { "resubmit", act_resubmit, ARG_ANY, PHASE_APPLY },
    { "goto_table", act_goto_table, ARG_REQUIRED, PHASE_GOTO },
    { "mod_vlan_vid", act_vlan_vid, ARG_REQUIRED, PHASE_APPLY },
    { "set_vlan_vid", act_vlan_vid, ARG_REQUIRED, PHASE_APPLY },
    { "mod_vlan_pcp", act_vlan_pcp, ARG_REQUIRED, PHASE_APPLY },
    { "set_vlan_pcp", act_vlan_pcp, ARG_REQUIRED, PHASE_APPLY },
    { "strip_vlan", act_strip_vlan, ARG_NONE, PHASE_APPLY },
    { "pop_vlan", act_strip_vlan, ARG_NONE, PHASE_APPLY },
    { "push_vlan", act_push_vlan, ARG_REQUIRED, PHASE_APPLY },
    { "set_field", act_set_field, ARG_REQUIRED, PHASE_APPLY },
    { "load", act_load, ARG_REQUIRED, PHASE_APPLY },
    { "mod_dl_src", act_mod, ARG_REQUIRED, PHASE_APPLY },
    { "mod_dl_dst", act_mod, ARG_REQUIRED, PHASE_APPLY },
    { "mod_nw_src", act_mod, ARG_REQUIRED, PHASE_APPLY },
    { "mod_nw_dst", act_mod, ARG_REQUIRED, PHASE_APPLY },
    { "mod_nw_tos", act_mod, ARG_REQUIRED, PHASE_APPLY },
    { "mod_tp_src", act_mod, ARG_REQUIRED, PHASE_APPLY },
    { "mod_tp_dst", act_mod, ARG_REQUIRED, PHASE_APPLY },
    { "dec_ttl", act_dec_ttl, ARG_ANY, PHASE_APPLY },
    { "set_tunnel", act_set_tunnel, ARG_REQUIRED, PHASE_APPLY },
    { "set_tunnel64", act_set_tunnel, ARG_REQUIRED, PHASE_APPLY },
    { "write_metadata", act_write_metadata, ARG_REQUIRED,
      PHASE_WRITE_METADATA },
    { "meter", act_meter, ARG_REQUIRED, PHASE_METER },
    { "drop", act_drop, ARG_NONE, PHASE_APPLY },
};

static const char *
phase_name(enum instr_phase phase)
{
    switch (phase) {
    case PHASE_METER:
        return "meter";
    case PHASE_WRITE_METADATA:
        return "write_metadata";
    case PHASE_GOTO:
        return "goto_table";
    default:
        return "actions";
    }
}

static int
check_phase(struct act_ctx *c, enum instr_phase phase, struct ft_error *err)
{
    if (phase == PHASE_APPLY ? c->phase > PHASE_APPLY : c->phase >= phase) {
        if (phase == c->phase) {
            return ft_error_set(err, -EINVAL, "%s may appear only once",
                                phase_name(phase));
        }
        return ft_error_set(err, -EINVAL, "must come before %s (OpenFlow "
                            "instruction order: meter, actions, "
                            "write_metadata, goto_table)",
                            phase_name(c->phase));
    }
    c->phase = phase;
    return 0;
}

static int
parse_action(struct act_ctx *c, const struct token *t, struct ft_error *err)
{
    ft_port_no port;

    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        if (strcasecmp(t->key, actions[i].name)) {
            continue;
        }
        if (actions[i].arg == ARG_NONE && t->delim) {
            return ft_error_set(err, -EINVAL, "takes no argument");
        }
        if (actions[i].arg == ARG_REQUIRED
            && (t->delim == '(' || !t->delim || !t->val_len)) {
            return ft_error_set(err, -EINVAL, "missing argument (write "
                                "%s:VALUE)", actions[i].name);
        }
        if (check_phase(c, actions[i].phase, err)) {
            return -EINVAL;
        }
        return actions[i].parse(c, t, err);
    }
    if (t->delim) {
        return ft_error_set(err, -EINVAL, "unknown action");
    }
    if (ft_port_parse(t->key, c->ports, &port, err)) {
        return ft_error_set(err, -EINVAL, "unknown action or port");
    }
    if (check_phase(c, PHASE_APPLY, err)) {
        return -EINVAL;
    }
    return put_output(c, port, err);
}

/* Parses the actions in text[start, end) into 'acts' (emptied first). */
static int
parse_actions(const char *text, size_t start, size_t end,
              struct act_ctx *c, struct ft_error *err)
{
    struct token t;
    size_t pos = start;
    size_t n_items = 0;
    size_t drop_col = 0;
    int r;

    while ((r = next_token(text, end, &pos, &t, err)) > 0) {
        bool was_drop = c->drop;

        if (parse_action(c, &t, err)) {
            return locate_error(err, t.key_ofs + 1, t.key);
        }
        if (c->drop && !was_drop) {
            drop_col = t.key_ofs + 1;
        }
        n_items++;
    }
    if (r < 0) {
        return r;
    }
    if (c->drop && n_items > 1) {
        return ft_error_set(err, -EINVAL, "column %zu: drop: must not be "
                            "combined with other actions", drop_col);
    }
    return 0;
}

/* The spec. */

void
ft_flow_spec_init(struct ft_flow_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->priority = FT_DEFAULT_PRIORITY;
    ft_match_init_catchall(&spec->match);
    ft_ofpacts_init(&spec->actions);
}

void
ft_flow_spec_uninit(struct ft_flow_spec *spec)
{
    if (spec) {
        ft_ofpacts_uninit(&spec->actions);
    }
}

void
ft_flow_spec_copy(struct ft_flow_spec *dst, const struct ft_flow_spec *src)
{
    struct ft_ofpacts acts = dst->actions;

    *dst = *src;
    dst->actions = acts;
    ft_ofpacts_copy(&dst->actions, &src->actions);
}

static bool
cmd_is_add(enum ft_flow_cmd cmd)
{
    return cmd == FT_FLOW_ADD;
}

static bool
cmd_is_delete(enum ft_flow_cmd cmd)
{
    return cmd == FT_FLOW_DELETE || cmd == FT_FLOW_DELETE_STRICT;
}

static const char *
cmd_name(enum ft_flow_cmd cmd)
{
    switch (cmd) {
    case FT_FLOW_ADD:
        return "add";
    case FT_FLOW_MODIFY:
    case FT_FLOW_MODIFY_STRICT:
        return "modify";
    default:
        return "delete";
    }
}

/* Parses a header key (table, priority, ...).  Returns 1 if 't' was one,
 * 0 if not, negative errno on error. */
static int
parse_header(const struct token *t, enum ft_flow_cmd cmd,
             struct ft_flow_spec *spec, struct ft_error *err)
{
    uint64_t v;

    if (!strcmp(t->key, "table")) {
        if (parse_u64(t->value, UINT8_MAX, &v, err)) {
            return -EINVAL;
        }
        if (v == FT_TABLE_ALL && cmd_is_add(cmd)) {
            return ft_error_set(err, -EINVAL, "table 255 (all tables) is "
                                "only for modify and delete");
        }
        spec->table_id = (uint8_t) v;
    } else if (!strcmp(t->key, "priority")) {
        if (cmd == FT_FLOW_DELETE) {
            return ft_error_set(err, -EINVAL, "not used by a non-strict "
                                "delete");
        }
        if (parse_u64(t->value, UINT16_MAX, &v, err)) {
            return -EINVAL;
        }
        spec->priority = (uint16_t) v;
    } else if (!strcmp(t->key, "idle_timeout")
               || !strcmp(t->key, "hard_timeout")) {
        if (cmd_is_delete(cmd)) {
            return ft_error_set(err, -EINVAL, "not used by delete");
        }
        if (parse_u64(t->value, UINT16_MAX, &v, err)) {
            return -EINVAL;
        }
        *(t->key[0] == 'i' ? &spec->idle_timeout : &spec->hard_timeout)
            = (uint16_t) v;
    } else if (!strcmp(t->key, "cookie")) {
        char buf[VALUE_MAX];
        char *slash;
        uint64_t mask = 0;

        memcpy(buf, t->value, t->val_len + 1);
        slash = strchr(buf, '/');
        if (slash) {
            *slash++ = '\0';
            if (cmd_is_add(cmd)) {
                return ft_error_set(err, -EINVAL, "flow additions cannot "
                                    "use a cookie mask");
            }
            if (parse_u64(slash, UINT64_MAX, &mask, err)) {
                return -EINVAL;
            }
        } else if (cmd_is_delete(cmd)) {
            return ft_error_set(err, -EINVAL, "delete filters by cookie "
                                "only with a mask (cookie=VALUE/MASK)");
        }
        if (parse_u64(buf, UINT64_MAX, &v, err)) {
            return -EINVAL;
        }
        spec->cookie = slash ? v & mask : v;
        spec->cookie_mask = mask;
    } else {
        return 0;
    }
    if (t->delim != '=' && t->delim != ':') {
        return ft_error_set(err, -EINVAL, "missing value");
    }
    return 1;
}

static int
parse_spec(const char *text, enum ft_flow_cmd cmd,
           const struct ft_port_map *ports, struct ft_flow_spec *spec,
           struct match_ctx *mc, struct ft_error *err)
{
    size_t end = strlen(text);
    size_t pos = 0, acts_start = 0, acts_col = 0;
    struct token t;
    int r;

    spec->table_id = cmd_is_add(cmd) ? 0 : FT_TABLE_ALL;
    while ((r = next_token(text, end, &pos, &t, err)) > 0) {
        if (!strcmp(t.key, "actions")) {
            if (t.delim != '=') {
                return ft_error_set(err, -EINVAL, "column %zu: actions: "
                                    "write 'actions=' to start the action "
                                    "list", t.key_ofs + 1);
            }
            if (cmd_is_delete(cmd)) {
                return ft_error_set(err, -EINVAL, "column %zu: actions: not "
                                    "allowed for delete", t.key_ofs + 1);
            }
            acts_start = t.val_ofs;
            acts_col = t.key_ofs + 1;
            spec->has_actions = true;
            break;
        }
        r = parse_header(&t, cmd, spec, err);
        if (!r) {
            r = parse_match_item(mc, &t, ports, err);
            if (r < 0) {
                return r;
            }
            if (!r) {
                return ft_error_set(err, -EINVAL, "column %zu: %s: unknown "
                                    "field or keyword", t.key_ofs + 1,
                                    t.key);
            }
        } else if (r < 0) {
            return locate_error(err, t.key_ofs + 1, t.key);
        }
    }
    if (r < 0) {
        return r;
    }
    if (check_match_prereqs(mc, err)) {
        return -EINVAL;
    }
    spec->match = mc->match;
    if (!spec->has_actions) {
        if (cmd_is_add(cmd)) {
            return ft_error_set(err, -EINVAL, "column %zu: must specify "
                                "actions (e.g. actions=drop) to add a flow",
                                end + 1);
        }
        return 0;
    }
    if (strspn(text + acts_start, ", \t\r\n") == end - acts_start) {
        if (cmd_is_add(cmd)) {
            return ft_error_set(err, -EINVAL, "column %zu: actions: empty "
                                "action list (write actions=drop to drop)",
                                acts_col);
        }
        return ft_error_set(err, -EINVAL, "column %zu: actions: empty "
                            "action list for %s (write actions=drop, or "
                            "leave actions out)", acts_col, cmd_name(cmd));
    }

    struct act_ctx ac = {
        .acts = &spec->actions,
        .ports = ports,
        .check = true,
        .sim = mc->match,
        .table_id = spec->table_id,
    };
    return parse_actions(text, acts_start, end, &ac, err);
}

int
ft_flow_spec_parse(const char *text, enum ft_flow_cmd cmd,
                   const struct ft_port_map *ports,
                   struct ft_flow_spec *spec, struct ft_error *err)
{
    struct match_ctx *mc;
    int error;

    ft_flow_spec_uninit(spec);
    ft_flow_spec_init(spec);
    ft_error_clear(err);

    mc = calloc(1, sizeof *mc);
    if (!mc) {
        abort();
    }
    error = parse_spec(text, cmd, ports, spec, mc, err);
    free(mc);
    if (error) {
        ft_flow_spec_uninit(spec);
        ft_flow_spec_init(spec);
        return -EINVAL;
    }
    return 0;
}

int
ft_match_parse(const char *text, const struct ft_port_map *ports,
               struct ft_match *match, struct ft_error *err)
{
    size_t end = strlen(text), pos = 0;
    struct match_ctx *mc;
    struct token t;
    int r;

    ft_error_clear(err);
    ft_match_init_catchall(match);
    mc = calloc(1, sizeof *mc);
    if (!mc) {
        abort();
    }
    while ((r = next_token(text, end, &pos, &t, err)) > 0) {
        r = parse_match_item(mc, &t, ports, err);
        if (!r) {
            r = ft_error_set(err, -EINVAL, "column %zu: %s: unknown field",
                             t.key_ofs + 1, t.key);
        }
        if (r < 0) {
            break;
        }
    }
    if (!r) {
        r = check_match_prereqs(mc, err);
    }
    if (!r) {
        *match = mc->match;
    }
    free(mc);
    return r < 0 ? -EINVAL : 0;
}

int
ft_ofpacts_parse(const char *text, const struct ft_port_map *ports,
                 struct ft_ofpacts *acts, struct ft_error *err)
{
    struct act_ctx ac = {
        .acts = acts,
        .ports = ports,
        .check = false,
        .table_id = -1,
    };
    int error;

    ft_error_clear(err);
    acts->n = 0;
    error = parse_actions(text, 0, strlen(text), &ac, err);
    if (error) {
        acts->n = 0;
    }
    return error;
}

/*
 * ofp-parse-actions.c - the action list of a flow line, in the
 * ovs-ofctl dialect: output, reserved ports, controller, resubmit,
 * goto_table, VLAN actions, set_field, load, the OF1.0 mod_* spellings,
 * dec_ttl, set_tunnel, write_metadata, meter and drop.
 *
 * When the rule's match is known, field writes are checked against it as
 * the actions before them change it (push_vlan makes vlan_vid settable,
 * strip_vlan takes it away), instructions must come in OpenFlow 1.1
 * order (meter, actions, write_metadata, goto_table) and goto_table must
 * go to a later table.  The OF1.0 actions mod_nw_*, mod_tp_* and dec_ttl
 * are accepted on any match, as in OVS.
 */
#include "mgmt/flowsyntax/ofp-flow.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mgmt/flowsyntax/ofp-parse-private.h"

enum instr_phase {
    PHASE_START,
    PHASE_METER,
    PHASE_APPLY,
    PHASE_WRITE_METADATA,
    PHASE_GOTO,
};

static int
parse_port_value(struct ft_ofp_act_ctx *c, const char *s, ft_port_no *port,
                 struct ft_error *err)
{
    if (!*s) {
        return ft_error_set(err, -EINVAL, "missing port");
    }
    return ft_port_parse(s, c->ports, port, err);
}

static int
put_output(struct ft_ofp_act_ctx *c, ft_port_no port, struct ft_error *err)
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
act_output(struct ft_ofp_act_ctx *c, const struct ft_ofp_token *t,
           struct ft_error *err)
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
act_controller(struct ft_ofp_act_ctx *c, const struct ft_ofp_token *t,
               struct ft_error *err)
{
    uint64_t max_len = UINT16_MAX;

    if (t->delim == ':' || t->delim == '=') {
        if (ft_ofp_parse_u64(t->value, UINT16_MAX, &max_len, err)) {
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
                if (ft_ofp_parse_u64(buf, UINT16_MAX, &max_len, err)) {
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
    if (ft_ofp_parse_u64(s, UINT8_MAX, table, err)) {
        return -EINVAL;
    }
    if (*table >= FT_N_TABLES) {
        return ft_error_set(err, -EINVAL, "table %s is out of range "
                            "(0..%d)", s, FT_N_TABLES - 1);
    }
    return 0;
}

static int
act_resubmit(struct ft_ofp_act_ctx *c, const struct ft_ofp_token *t,
             struct ft_error *err)
{
    ft_port_no in_port = FT_PORT_IN_PORT;
    uint64_t table = FT_TABLE_ALL;
    struct ft_ofpact *a;

    if (t->delim == ':') {
        if (parse_port_value(c, t->value, &in_port, err)) {
            return -EINVAL;
        }
    } else if (t->delim == '(') {
        char buf[FT_OFP_VALUE_MAX];
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
    if (in_port == FT_PORT_IN_PORT && table == FT_TABLE_ALL) {
        /* resubmit:IN_PORT: as Open vSwitch, refused like resubmit(,). */
        return ft_error_set(err, -EINVAL, "at least one of in_port and "
                            "table must be given (resubmit:IN_PORT names "
                            "neither another port nor a table)");
    }
    a = ft_ofpacts_put(c->acts, FT_OFPACT_RESUBMIT);
    a->resubmit.in_port = in_port;
    a->resubmit.table_id = (uint8_t) table;
    return 0;
}

static int
act_goto_table(struct ft_ofp_act_ctx *c, const struct ft_ofp_token *t,
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
sim_tag(struct ft_ofp_act_ctx *c, bool present)
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
act_vlan_vid(struct ft_ofp_act_ctx *c, const struct ft_ofp_token *t,
             struct ft_error *err)
{
    uint64_t vid;
    struct ft_ofpact *a;

    if (ft_ofp_parse_u64(t->value, FT_VLAN_VID_MASK, &vid, err)) {
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
act_vlan_pcp(struct ft_ofp_act_ctx *c, const struct ft_ofp_token *t,
             struct ft_error *err)
{
    uint64_t pcp;
    struct ft_ofpact *a;

    if (ft_ofp_parse_u64(t->value, 7, &pcp, err)) {
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
act_strip_vlan(struct ft_ofp_act_ctx *c, const struct ft_ofp_token *t,
               struct ft_error *err)
{
    ft_ofpacts_put(c->acts, FT_OFPACT_STRIP_VLAN);
    sim_tag(c, false);
    return 0;
}

static int
act_push_vlan(struct ft_ofp_act_ctx *c, const struct ft_ofp_token *t,
              struct ft_error *err)
{
    uint64_t type;

    if (ft_ofp_parse_u64(t->value, UINT16_MAX, &type, err)) {
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
check_field_write(struct ft_ofp_act_ctx *c, const struct ft_field *f,
                  const union ft_value *v, const union ft_value *m,
                  struct ft_error *err)
{
    if (!f->writable) {
        return ft_error_set(err, -EINVAL, "%s is read-only", f->name);
    }
    if (!c->check) {
        return 0;
    }
    if (!ft_ofp_match_prereqs_ok(f, &c->sim)) {
        return ft_error_set(err, -EINVAL, "%s requires %s in the match",
                            f->name, ft_ofp_prereq_text(f));
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
put_set_field(struct ft_ofp_act_ctx *c, const struct ft_field *f,
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
act_set_field(struct ft_ofp_act_ctx *c, const struct ft_ofp_token *t,
              struct ft_error *err)
{
    char buf[FT_OFP_VALUE_MAX];
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
act_load(struct ft_ofp_act_ctx *c, const struct ft_ofp_token *t,
         struct ft_error *err)
{
    char buf[FT_OFP_VALUE_MAX + 1];     /* + 1: the '[' is moved right. */
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
    if (ft_ofp_parse_u64(buf, UINT64_MAX, &x, err)) {
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
act_mod(struct ft_ofp_act_ctx *c, const struct ft_ofp_token *t,
        struct ft_error *err)
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
act_dec_ttl(struct ft_ofp_act_ctx *c, const struct ft_ofp_token *t,
            struct ft_error *err)
{
    if (t->delim) {
        return ft_error_set(err, -EINVAL, "controller ids are not "
                            "supported (write plain dec_ttl)");
    }
    ft_ofpacts_put(c->acts, FT_OFPACT_DEC_TTL);
    return 0;
}

static int
act_set_tunnel(struct ft_ofp_act_ctx *c, const struct ft_ofp_token *t,
               struct ft_error *err)
{
    bool is64 = !strcasecmp(t->key, "set_tunnel64");
    uint64_t id;
    struct ft_ofpact *a;

    if (ft_ofp_parse_u64(t->value, UINT64_MAX, &id, err)) {
        return -EINVAL;
    }
    a = ft_ofpacts_put(c->acts, FT_OFPACT_SET_TUNNEL);
    a->set_tunnel.tun_id = id;
    a->set_tunnel.is64 = is64 || id > UINT32_MAX;
    return 0;
}

static int
act_write_metadata(struct ft_ofp_act_ctx *c, const struct ft_ofp_token *t,
                   struct ft_error *err)
{
    char buf[FT_OFP_VALUE_MAX];
    char *slash;
    uint64_t md, mask = UINT64_MAX;
    struct ft_ofpact *a;

    memcpy(buf, t->value, t->val_len + 1);
    slash = strchr(buf, '/');
    if (slash) {
        *slash++ = '\0';
        if (ft_ofp_parse_u64(slash, UINT64_MAX, &mask, err)) {
            return -EINVAL;
        }
    }
    if (ft_ofp_parse_u64(buf, UINT64_MAX, &md, err)) {
        return -EINVAL;
    }
    a = ft_ofpacts_put(c->acts, FT_OFPACT_WRITE_METADATA);
    a->write_metadata.metadata = md & mask;
    a->write_metadata.mask = mask;
    return 0;
}

static int
act_meter(struct ft_ofp_act_ctx *c, const struct ft_ofp_token *t,
          struct ft_error *err)
{
    uint64_t id;

    if (ft_ofp_parse_u64(t->value, 0xffff0000, &id, err)) {
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
act_drop(struct ft_ofp_act_ctx *c, const struct ft_ofp_token *t,
         struct ft_error *err)
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
    int (*parse)(struct ft_ofp_act_ctx *, const struct ft_ofp_token *,
                 struct ft_error *);
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
check_phase(struct ft_ofp_act_ctx *c, enum instr_phase phase,
            struct ft_error *err)
{
    enum instr_phase cur = (enum instr_phase) c->phase;

    if (phase == PHASE_APPLY ? cur > PHASE_APPLY : cur >= phase) {
        if (phase == cur) {
            return ft_error_set(err, -EINVAL, "%s may appear only once",
                                phase_name(phase));
        }
        return ft_error_set(err, -EINVAL, "must come before %s (OpenFlow "
                            "instruction order: meter, actions, "
                            "write_metadata, goto_table)",
                            phase_name(cur));
    }
    c->phase = (int) phase;
    return 0;
}

static int
parse_action(struct ft_ofp_act_ctx *c, const struct ft_ofp_token *t,
             struct ft_error *err)
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
int
ft_ofp_parse_actions(const char *text, size_t start, size_t end,
                     struct ft_ofp_act_ctx *c, struct ft_error *err)
{
    struct ft_ofp_token t;
    size_t pos = start;
    size_t n_items = 0;
    size_t drop_col = 0;
    int r;

    while ((r = ft_ofp_next_token(text, end, &pos, &t, err)) > 0) {
        bool was_drop = c->drop;

        if (parse_action(c, &t, err)) {
            return ft_ofp_locate_error(err, t.key_ofs + 1, t.key);
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


/*
 * test-ofp-parse.c - unit tests for the flow syntax (mgmt/flowsyntax/ofp-parse.c,
 * mgmt/flowsyntax/ofp-print.c): golden parse -> print round trips read from
 * ofp-golden.txt, error cases with their columns, command modes, and a
 * randomized print -> parse round trip over generated specs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mgmt/flowsyntax/ofp-flow.h"

#ifndef FT_OFP_GOLDEN
#define FT_OFP_GOLDEN "tests/unit/ofp-golden.txt"
#endif

static struct ft_port_map *
make_ports(struct ft_port_map *map)
{
    ft_port_map_init(map);
    ft_port_map_add(map, "vnet0", 7);
    ft_port_map_add(map, "p-1.x", 12);
    return map;
}

/* Asserts that 'a' and 'b' are the same spec, structurally. */
static void
assert_spec_equal(const struct ft_flow_spec *a, const struct ft_flow_spec *b)
{
    assert_int_equal(a->table_id, b->table_id);
    assert_int_equal(a->priority, b->priority);
    assert_true(a->cookie == b->cookie);
    assert_true(a->cookie_mask == b->cookie_mask);
    assert_int_equal(a->idle_timeout, b->idle_timeout);
    assert_int_equal(a->hard_timeout, b->hard_timeout);
    assert_int_equal(a->flags, b->flags);
    assert_int_equal(a->has_actions, b->has_actions);
    assert_memory_equal(&a->match, &b->match, sizeof a->match);
    assert_true(ft_ofpacts_equal(&a->actions, &b->actions));
}

/* Formats 'spec', parses the text for 'cmd', checks the result equals
 * 'spec' and formats to the same text.  Returns the text (caller frees).*/
static char *
check_round_trip(const struct ft_flow_spec *spec, enum ft_flow_cmd cmd,
                 const struct ft_port_map *ports)
{
    struct ds text = DS_EMPTY_INITIALIZER;
    struct ds again = DS_EMPTY_INITIALIZER;
    struct ft_flow_spec back;
    struct ft_error err;

    ft_flow_spec_format(spec, ports, &text);
    ft_flow_spec_init(&back);
    if (ft_flow_spec_parse(ds_cstr(&text), cmd, ports, &back, &err)) {
        fail_msg("'%s' does not parse back: %s", ds_cstr(&text),
                 err.reason);
    }
    assert_spec_equal(spec, &back);
    ft_flow_spec_format(&back, ports, &again);
    assert_string_equal(ds_cstr(&text), ds_cstr(&again));
    ft_flow_spec_uninit(&back);
    ds_destroy(&again);
    return text.s;
}

static void
test_golden(void **state)
{
    struct ft_port_map ports;
    FILE *f = fopen(FT_OFP_GOLDEN, "r");
    char in[2048], want[2048];
    int n = 0;

    (void) state;
    assert_non_null(f);
    make_ports(&ports);
    while (fgets(in, sizeof in, f)) {
        struct ft_flow_spec spec;
        struct ft_error err;
        char *text;

        in[strcspn(in, "\n")] = '\0';
        if (!in[0] || in[0] == '#') {
            continue;
        }
        assert_non_null(fgets(want, sizeof want, f));
        want[strcspn(want, "\n")] = '\0';
        assert_true(!strncmp(want, "=> ", 3));

        ft_flow_spec_init(&spec);
        if (ft_flow_spec_parse(in, FT_FLOW_ADD, &ports, &spec, &err)) {
            fail_msg("'%s': %s", in, err.reason);
        }
        text = check_round_trip(&spec, FT_FLOW_ADD, &ports);
        if (strcmp(text, want + 3)) {
            fail_msg("'%s'\n  gives '%s'\n  want  '%s'", in, text, want + 3);
        }
        free(text);
        ft_flow_spec_uninit(&spec);
        n++;
    }
    fclose(f);
    assert_true(n >= 60);
    ft_port_map_destroy(&ports);
}

struct error_case {
    enum ft_flow_cmd cmd;
    const char *text;
    int column;
    const char *token;          /* Must follow "column N: ". */
    const char *why;            /* Must appear in the reason. */
};

static const struct error_case error_cases[] = {
    { FT_FLOW_ADD, "ip,nw_src=10.0.0.300,actions=drop", 4, "nw_src",
      "'10.0.0.300' is not an IPv4 address" },
    { FT_FLOW_ADD, "dl_src=00:11:22:33:44:zz,actions=drop", 1, "dl_src",
      "not an Ethernet address" },
    { FT_FLOW_ADD, "ip,foo=1,actions=drop", 4, "foo", "unknown field" },
    { FT_FLOW_ADD, "actions=output:1,foo", 18, "foo", "unknown action" },
    { FT_FLOW_ADD, "actions=bar:1", 9, "bar", "unknown action" },
    { FT_FLOW_ADD, "priority=5,tp_dst=22,actions=drop", 12, "tp_dst",
      "requires tcp, udp or sctp" },
    { FT_FLOW_ADD, "nw_src=1.2.3.4,actions=drop", 1, "nw_src",
      "requires ip or arp" },
    { FT_FLOW_ADD, "udp,tcp_dst=5,actions=drop", 5, "tcp_dst",
      "requires tcp" },
    { FT_FLOW_ADD, "ipv6,arp_spa=1.2.3.4,actions=drop", 6, "arp_spa",
      "requires arp" },
    { FT_FLOW_ADD, "tcp,icmp_type=3,actions=drop", 5, "icmp_type",
      "requires icmp" },
    { FT_FLOW_ADD, "dl_type=0x1,icmp,dl_type=0x1,actions=drop", 13, "icmp",
      "conflicts with dl_type=0x0001 given after it" },
    { FT_FLOW_ADD, "vlan_pcp=3,actions=drop", 1, "vlan_pcp",
      "VLAN tag" },
    { FT_FLOW_ADD, "ip,nw_src=10.0.0.0/33,actions=drop", 4, "nw_src",
      "prefix length" },
    { FT_FLOW_ADD, "dl_dst=00:00:00:00:00:01/ff:ff,actions=drop", 1,
      "dl_dst", "not an Ethernet address" },
    { FT_FLOW_ADD, "in_port=1/1,actions=drop", 1, "in_port",
      "does not take a mask" },
    { FT_FLOW_ADD, "priority=70000,actions=drop", 1, "priority",
      "out of range" },
    { FT_FLOW_ADD, "tcp,tp_dst=65536,actions=drop", 5, "tp_dst",
      "out of range" },
    { FT_FLOW_ADD, "dl_vlan=4096,actions=drop", 1, "dl_vlan",
      "out of range" },
    { FT_FLOW_ADD, "actions=mod_vlan_vid:4096", 9, "mod_vlan_vid",
      "out of range" },
    { FT_FLOW_ADD, "in_port=70000,actions=drop", 1, "in_port",
      "out of range" },
    { FT_FLOW_ADD, "actions=resubmit(", 9, "resubmit", "missing ')'" },
    { FT_FLOW_ADD, "actions=resubmit(,)", 9, "resubmit",
      "at least one of" },
    { FT_FLOW_ADD, "actions=resubmit:IN_PORT", 9, "resubmit",
      "at least one of" },
    { FT_FLOW_ADD, "actions=resubmit(,255)", 9, "resubmit",
      "out of range" },
    { FT_FLOW_ADD, "ip,actions=", 4, "actions", "empty action list" },
    { FT_FLOW_ADD, "in_port=1", 10, "must specify actions", "" },
    { FT_FLOW_ADD, "actions:drop", 1, "actions", "actions=" },
    { FT_FLOW_ADD, "table=255,actions=drop", 1, "table",
      "only for modify and delete" },
    { FT_FLOW_ADD, "cookie=0x5/0xff,actions=drop", 1, "cookie",
      "cookie mask" },
    { FT_FLOW_ADD, "ip,actions=set_field:1.2.3.4->ipv6_src", 12,
      "set_field", "not an IPv6 address" },
    { FT_FLOW_ADD, "ipv6,actions=set_field:1.2.3.4->nw_src", 14,
      "set_field", "nw_src requires ip" },
    { FT_FLOW_ADD, "actions=set_field:4196->vlan_vid", 9, "set_field",
      "VLAN tag" },
    { FT_FLOW_ADD, "dl_vlan=5,actions=strip_vlan,set_field:3->vlan_pcp",
      30, "set_field", "vlan_pcp requires" },
    { FT_FLOW_ADD, "ip,actions=set_field:6->nw_proto", 12, "set_field",
      "read-only" },
    { FT_FLOW_ADD, "actions=set_field:1.2.3.4", 9, "set_field", "'->'" },
    { FT_FLOW_ADD, "actions=set_field:1->nosuch", 9, "set_field",
      "not a field" },
    { FT_FLOW_ADD, "actions=load:0x10->NXM_NX_REG0[0..3]", 9, "load",
      "does not fit in 4 bits" },
    { FT_FLOW_ADD, "actions=load:1->NXM_NX_REG0[5..40]", 9, "load",
      "do not fit" },
    { FT_FLOW_ADD, "actions=load:1->NXM_NX_REG0[5", 9, "load",
      "not a bit range" },
    { FT_FLOW_ADD, "ipv6,actions=load:1->NXM_NX_IPV6_SRC[]", 14, "load",
      "wider than 64 bits" },
    { FT_FLOW_ADD, "table=3,actions=goto_table:2", 17, "goto_table",
      "later table" },
    { FT_FLOW_ADD, "actions=goto_table:3,output:1", 22, "output",
      "must come before goto_table" },
    { FT_FLOW_ADD, "actions=output:1,meter:2", 18, "meter",
      "must come before" },
    { FT_FLOW_ADD, "actions=write_metadata:1,write_metadata:2", 26,
      "write_metadata", "only once" },
    { FT_FLOW_ADD, "actions=drop,output:1", 9, "drop",
      "must not be combined" },
    { FT_FLOW_ADD, "actions=output:nosuch", 9, "output",
      "not a port number or a known port name" },
    { FT_FLOW_ADD, "actions=output:ANY", 9, "output", "cannot output" },
    { FT_FLOW_ADD, "actions=push_vlan:0x800", 9, "push_vlan",
      "not 0x8100" },
    { FT_FLOW_ADD, "actions=meter:0", 9, "meter", "meter 0" },
    { FT_FLOW_ADD, "actions=strip_vlan:1", 9, "strip_vlan",
      "takes no argument" },
    { FT_FLOW_ADD, "actions=mod_nw_tos:3", 9, "mod_nw_tos", "ECN" },
    { FT_FLOW_ADD, "actions=controller(reason=no_match)", 9, "controller",
      "not supported" },
    { FT_FLOW_ADD, "tcp=1,actions=drop", 1, "tcp", "takes no value" },
    { FT_FLOW_ADD, "tcp,tcp_flags=+syn+bogus,actions=drop", 5,
      "tcp_flags", "'bogus' is not a TCP flag" },
    { FT_FLOW_ADD, "ip,nw_frag=maybe,actions=drop", 4, "nw_frag",
      "not one of" },
    { FT_FLOW_ADD, "reg0,actions=drop", 1, "reg0", "missing value" },
    { FT_FLOW_DELETE, "ip,actions=drop", 4, "actions", "not allowed" },
    { FT_FLOW_DELETE, "priority=5,ip", 1, "priority", "non-strict" },
    { FT_FLOW_DELETE, "cookie=0x5", 1, "cookie", "with a mask" },
    { FT_FLOW_DELETE_STRICT, "idle_timeout=5", 1, "idle_timeout",
      "not used by delete" },
    { FT_FLOW_MODIFY, "ip,actions=", 4, "actions", "empty action list" },
};

static void
test_errors(void **state)
{
    struct ft_port_map ports;

    (void) state;
    make_ports(&ports);
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        const struct error_case *c = &error_cases[i];
        struct ft_flow_spec spec, empty;
        struct ft_error err;
        char prefix[128];
        int error;

        ft_flow_spec_init(&spec);
        /* Leave junk in the spec: the parser must replace it. */
        ft_ofpacts_put(&spec.actions, FT_OFPACT_DEC_TTL);
        spec.match.mask.regs[0] = 1;
        error = ft_flow_spec_parse(c->text, c->cmd, &ports, &spec, &err);
        if (error != -EINVAL) {
            fail_msg("'%s' gave %d, not -EINVAL", c->text, error);
        }
        assert_int_equal(err.code, -EINVAL);
        snprintf(prefix, sizeof prefix, "column %d: %s", c->column,
                 c->token);
        if (strncmp(err.reason, prefix, strlen(prefix))
            || !strstr(err.reason, c->why)) {
            fail_msg("'%s': reason '%s' does not start with '%s' or lacks "
                     "'%s'", c->text, err.reason, prefix, c->why);
        }
        /* Nothing half-applied. */
        ft_flow_spec_init(&empty);
        assert_spec_equal(&spec, &empty);
        ft_flow_spec_uninit(&spec);
    }
    ft_port_map_destroy(&ports);
}

static void
test_modes(void **state)
{
    struct ft_flow_spec spec;
    struct ft_error err;
    char *text;

    (void) state;
    ft_flow_spec_init(&spec);

    /* Modify: table defaults to all, cookie mask allowed, actions
     * optional. */
    assert_int_equal(ft_flow_spec_parse("cookie=0x5/0xff,ip", FT_FLOW_MODIFY,
                                        NULL, &spec, &err), 0);
    assert_int_equal(spec.table_id, FT_TABLE_ALL);
    assert_true(spec.cookie == 5 && spec.cookie_mask == 0xff);
    assert_false(spec.has_actions);
    text = check_round_trip(&spec, FT_FLOW_MODIFY, NULL);
    assert_string_equal(text, "cookie=0x5/0xff, table=255, ip");
    free(text);

    /* "/-1" is ovs-ofctl's spelling of the exact-match cookie mask. */
    assert_int_equal(ft_flow_spec_parse("cookie=0xac1/-1", FT_FLOW_DELETE,
                                        NULL, &spec, &err), 0);
    assert_true(spec.cookie == 0xac1 && spec.cookie_mask == UINT64_MAX);
    assert_int_equal(ft_flow_spec_parse("cookie=0xac1/-2", FT_FLOW_DELETE,
                                        NULL, &spec, &err), -EINVAL);

    assert_int_equal(ft_flow_spec_parse("table=2,priority=7,tcp,"
                                        "actions=output:3",
                                        FT_FLOW_MODIFY_STRICT, NULL, &spec,
                                        &err), 0);
    assert_true(spec.has_actions);
    assert_int_equal(spec.table_id, 2);
    free(check_round_trip(&spec, FT_FLOW_MODIFY_STRICT, NULL));

    /* Delete: no actions, priority only when strict. */
    assert_int_equal(ft_flow_spec_parse("table=1 in_port=3",
                                        FT_FLOW_DELETE, NULL, &spec, &err),
                     0);
    assert_int_equal(spec.match.flow.in_port, 3);
    assert_int_equal(spec.match.mask.in_port, UINT32_MAX);
    free(check_round_trip(&spec, FT_FLOW_DELETE, NULL));
    assert_int_equal(ft_flow_spec_parse("priority=9,cookie=0/0x1",
                                        FT_FLOW_DELETE_STRICT, NULL, &spec,
                                        &err), 0);
    assert_int_equal(spec.priority, 9);
    assert_true(spec.cookie_mask == 1);

    /* Add: defaults. */
    assert_int_equal(ft_flow_spec_parse("actions=drop", FT_FLOW_ADD, NULL,
                                        &spec, &err), 0);
    assert_int_equal(spec.table_id, 0);
    assert_int_equal(spec.priority, FT_DEFAULT_PRIORITY);
    assert_int_equal(spec.actions.n, 0);
    assert_true(spec.has_actions);
    ft_flow_spec_uninit(&spec);
}

static void
test_match_and_actions_alone(void **state)
{
    struct ft_port_map ports;
    struct ft_match match;
    struct ft_ofpacts acts = FT_OFPACTS_INITIALIZER;
    struct ft_error err;
    struct ds ds = DS_EMPTY_INITIALIZER;

    (void) state;
    make_ports(&ports);
    assert_int_equal(ft_match_parse("tcp,in_port=vnet0,nw_dst=10.0.0.1,"
                                    "tp_dst=80", &ports, &match, &err), 0);
    assert_int_equal(match.flow.in_port, 7);
    assert_int_equal(match.flow.tp_dst, 80);
    assert_int_equal(match.mask.tp_dst, 0xffff);
    assert_int_equal(match.flow.nw_dst, 0x0a000001);
    ft_match_format(&match, -1, &ports, &ds);
    assert_string_equal(ds_cstr(&ds),
                        "tcp,in_port=vnet0,nw_dst=10.0.0.1,tp_dst=80");
    ds_clear(&ds);
    ft_match_format(&match, 5, NULL, &ds);
    assert_string_equal(ds_cstr(&ds),
                        "priority=5,tcp,in_port=7,nw_dst=10.0.0.1,tp_dst=80");
    assert_int_equal(ft_match_parse("tp_dst=80", NULL, &match, &err),
                     -EINVAL);
    assert_int_equal(ft_match_parse("in_port=vnet0", NULL, &match, &err),
                     -EINVAL);
    assert_non_null(strstr(err.reason, "column 1: in_port"));

    /* Without a match, actions are not checked against one. */
    assert_int_equal(ft_ofpacts_parse("set_field:1.2.3.4->nw_src,"
                                      "output:p-1.x,resubmit(vnet0,3)",
                                      &ports, &acts, &err), 0);
    assert_int_equal(acts.n, 3);
    assert_int_equal(acts.acts[1].output.port, 12);
    assert_int_equal(acts.acts[2].resubmit.in_port, 7);
    assert_int_equal(acts.acts[2].resubmit.table_id, 3);
    ds_clear(&ds);
    ft_ofpacts_format(&acts, &ports, &ds);
    assert_string_equal(ds_cstr(&ds), "set_field:1.2.3.4->ip_src,"
                        "output:p-1.x,resubmit(vnet0,3)");
    assert_int_equal(ft_ofpacts_parse("output:1,bogus", NULL, &acts, &err),
                     -EINVAL);
    assert_int_equal(acts.n, 0);
    ft_ofpacts_uninit(&acts);
    ds_destroy(&ds);
    ft_port_map_destroy(&ports);
}

/* A "load" whose value fills the longest token: moving its '[' right by
 * one byte once overran the copy (caught by AddressSanitizer in the ASan
 * build; found by tests/fuzz/fuzz-flow-syntax.c).  Every length up to the
 * limit is refused cleanly. */
static void
test_load_longest_value(void **state)
{
    struct ft_ofpacts acts;
    struct ft_error err;
    char text[400];

    (void) state;
    for (size_t n = 250; n < 260; n++) {
        size_t len = snprintf(text, sizeof text, "load:1->reg3[");

        memset(text + len, '9', n - (len - 5));
        text[5 + n] = '\0';
        assert_int_equal(strlen(text), 5 + n);
        ft_ofpacts_init(&acts);
        assert_int_equal(ft_ofpacts_parse(text, NULL, &acts, &err), -EINVAL);
        assert_true(err.reason[0] != '\0');
        ft_ofpacts_uninit(&acts);
    }
}

static void
test_ofpacts_helpers(void **state)
{
    struct ft_ofpacts a = FT_OFPACTS_INITIALIZER;
    struct ft_ofpacts b = FT_OFPACTS_INITIALIZER;

    (void) state;
    for (int i = 0; i < 20; i++) {
        ft_ofpacts_put(&a, FT_OFPACT_OUTPUT)->output.port = (ft_port_no) i;
    }
    assert_int_equal(a.n, 20);
    assert_false(ft_ofpacts_equal(&a, &b));
    ft_ofpacts_copy(&b, &a);
    assert_true(ft_ofpacts_equal(&a, &b));
    b.acts[7].output.port = 99;
    assert_false(ft_ofpacts_equal(&a, &b));
    b.acts[7].output.port = 7;
    b.acts[7].type = FT_OFPACT_METER;
    assert_false(ft_ofpacts_equal(&a, &b));
    ft_ofpacts_uninit(&a);
    ft_ofpacts_uninit(&b);
    assert_null(a.acts);
    assert_int_equal(a.n, 0);
}

/* Random generation. */

static uint64_t
rnd(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t
rnd_below(uint64_t *s, uint64_t n)
{
    return rnd(s) % n;
}

/* A random value and mask for 'f', normalized as the parser leaves them. */
static void
random_value(uint64_t *s, const struct ft_field *f, bool masked,
             union ft_value *v, union ft_value *m)
{
    ft_field_full_mask(f, m);
    memset(v, 0, sizeof *v);
    if (f->n_bytes == 6 || f->n_bytes == 16) {
        for (int i = 0; i < f->n_bytes; i++) {
            v->bytes[i] = (uint8_t) rnd(s);
            if (masked) {
                m->bytes[i] = (uint8_t) rnd(s);
            }
        }
        if (masked && f->n_bytes == 16 && rnd_below(s, 2)) {
            unsigned int len = (unsigned int) rnd_below(s, 129);

            memset(m, 0, sizeof *m);
            for (unsigned int i = 0; i < len; i++) {
                m->bytes[i / 8] |= (uint8_t) (0x80 >> (i % 8));
            }
        }
        for (int i = 0; i < f->n_bytes; i++) {
            v->bytes[i] &= m->bytes[i];
        }
        return;
    }
    if (f->format == FT_FMT_IPV4 && masked && rnd_below(s, 2)) {
        unsigned int len = (unsigned int) rnd_below(s, 33);

        m->u64 = len ? (UINT32_MAX << (32 - len)) & UINT32_MAX : 0;
    } else if (masked) {
        m->u64 &= rnd(s);
    }
    v->u64 = rnd(s) & m->u64;
    if (f->format == FT_FMT_FRAG) {
        static const uint8_t combos[5][2] = {
            { 0, 3 }, { 1, 3 }, { 3, 3 }, { 1, 1 }, { 0, 2 },
        };
        int i = (int) rnd_below(s, 5);

        v->u64 = combos[i][0];
        m->u64 = combos[i][1];
    } else if (f->format == FT_FMT_PORT) {
        static const ft_port_no reserved[] = {
            FT_PORT_LOCAL, FT_PORT_IN_PORT, FT_PORT_NORMAL, 7, 12,
        };

        v->u64 = rnd_below(s, 2) ? rnd_below(s, FT_PORT_MAX + 1)
                                 : reserved[rnd_below(s, 5)];
    }
}

/* Fields never chosen at random: the shorthand decides dl_type and
 * nw_proto; VLAN fields are handled together. */
static bool
random_skips(enum ft_field_id id)
{
    return id == FT_F_ETH_TYPE || id == FT_F_IP_PROTO || id == FT_F_ARP_OP
           || id == FT_F_VLAN_TCI || id == FT_F_DL_VLAN
           || id == FT_F_DL_VLAN_PCP || id == FT_F_VLAN_VID
           || id == FT_F_VLAN_PCP;
}

static bool
prereqs_in_match(const struct ft_field *f, const struct ft_match *m)
{
    struct ft_flow wc;
    const uint64_t *w = ft_flow_u64(&wc);
    const uint64_t *mask = ft_flow_u64(&m->mask);

    ft_flow_zero(&wc);
    if (!ft_field_prereqs_ok(f, &m->flow, &wc)) {
        return false;
    }
    for (size_t i = 0; i < FT_FLOW_U64S; i++) {
        if (w[i] & ~mask[i]) {
            return false;
        }
    }
    return true;
}

static void
random_match(uint64_t *s, struct ft_match *m)
{
    static const struct {
        uint16_t dl_type;
        int proto;
    } protos[] = {
        { 0, -1 }, { FT_ETH_TYPE_IP, -1 }, { FT_ETH_TYPE_IP, 6 },
        { FT_ETH_TYPE_IP, 17 }, { FT_ETH_TYPE_IP, 132 },
        { FT_ETH_TYPE_IP, 1 }, { FT_ETH_TYPE_IP, 47 },
        { FT_ETH_TYPE_IPV6, -1 }, { FT_ETH_TYPE_IPV6, 6 },
        { FT_ETH_TYPE_IPV6, 17 }, { FT_ETH_TYPE_IPV6, 58 },
        { FT_ETH_TYPE_ARP, -1 }, { 0x88cc, -1 },
    };
    int p = (int) rnd_below(s, sizeof protos / sizeof protos[0]);
    int n = (int) rnd_below(s, 6);
    union ft_value v, mask;

    ft_match_init_catchall(m);
    if (protos[p].dl_type) {
        m->flow.dl_type = protos[p].dl_type;
        m->mask.dl_type = 0xffff;
    }
    if (protos[p].proto >= 0) {
        m->flow.nw_proto = (uint8_t) protos[p].proto;
        m->mask.nw_proto = 0xff;
    }
    if (protos[p].dl_type == FT_ETH_TYPE_ARP && rnd_below(s, 2)) {
        m->flow.nw_proto = (uint8_t) rnd(s);
        m->mask.nw_proto = 0xff;
    }

    /* VLAN: one of the OF1.0 and OXM ways. */
    switch (rnd_below(s, 6)) {
    case 1:
        m->mask.vlans[0].tci = (uint16_t) rnd(s);
        m->flow.vlans[0].tci = (uint16_t) rnd(s) & m->mask.vlans[0].tci;
        break;
    case 2:
        v.u64 = rnd_below(s, 2) ? 0xffff : rnd_below(s, 4096);
        ft_match_set_field(m, ft_field_from_id(FT_F_DL_VLAN), &v, NULL);
        break;
    case 3:
        v.u64 = rnd_below(s, 8);
        ft_match_set_field(m, ft_field_from_id(FT_F_DL_VLAN_PCP), &v, NULL);
        break;
    case 4:
        v.u64 = rnd_below(s, 4096) | FT_VLAN_CFI;
        ft_match_set_field(m, ft_field_from_id(FT_F_VLAN_VID), &v, NULL);
        v.u64 = rnd_below(s, 8);
        ft_match_set_field(m, ft_field_from_id(FT_F_VLAN_PCP), &v, NULL);
        break;
    default:
        break;
    }

    for (int i = 0; i < n; i++) {
        const struct ft_field *f;

        f = ft_field_from_id((enum ft_field_id) rnd_below(s, FT_N_FIELDS));
        if (random_skips(f->id) || !prereqs_in_match(f, m)) {
            continue;
        }
        random_value(s, f, f->maskable && rnd_below(s, 2), &v, &mask);
        ft_match_set_field(m, f, &v, &mask);
    }
}

static bool
tag_in(const struct ft_match *m)
{
    return (m->flow.vlans[0].tci & m->mask.vlans[0].tci) & FT_VLAN_CFI;
}

static bool
is_vlan_field(enum ft_field_id id)
{
    return id == FT_F_VLAN_VID || id == FT_F_DL_VLAN
           || id == FT_F_DL_VLAN_PCP || id == FT_F_VLAN_PCP;
}

static void
set_tag(struct ft_match *sim, bool present)
{
    if (present) {
        sim->flow.vlans[0].tci |= FT_VLAN_CFI;
        sim->mask.vlans[0].tci |= FT_VLAN_CFI;
    } else {
        sim->flow.vlans[0].tci = 0;
        sim->mask.vlans[0].tci = 0xffff;
    }
}

/* A random field write valid at this point; false if none was made. */
static bool
random_write(uint64_t *s, struct ft_match *sim, struct ft_ofpacts *acts)
{
    const struct ft_field *f;
    struct ft_ofpact *a;
    union ft_value v, m;
    int kind = (int) rnd_below(s, 3);

    f = ft_field_from_id((enum ft_field_id) rnd_below(s, FT_N_FIELDS));
    if (!f->writable || !prereqs_in_match(f, sim)
        || (is_vlan_field(f->id) && !tag_in(sim))) {
        return false;
    }
    a = ft_ofpacts_put(acts, FT_OFPACT_SET_FIELD);
    a->set_field.field = f->id;
    if (kind == 0 && f->n_bytes != 16 && f->id != FT_F_IP_TOS) {
        /* load: a random run of bits. */
        unsigned int w = f->n_bits;
        unsigned int ofs = (unsigned int) rnd_below(s, w);
        unsigned int n = 1 + (unsigned int) rnd_below(s, w - ofs);
        uint64_t bits = n >= 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;
        uint64_t x = rnd(s) & bits;

        memset(&v, 0, sizeof v);
        memset(&m, 0, sizeof m);
        if (f->n_bytes == 6) {
            for (int i = 0; i < 6; i++) {
                v.bytes[5 - i] = (uint8_t) ((x << ofs) >> (8 * i));
                m.bytes[5 - i] = (uint8_t) ((bits << ofs) >> (8 * i));
            }
        } else {
            v.u64 = x << ofs;
            m.u64 = bits << ofs;
        }
        a->set_field.spelling = FT_SPELL_LOAD;
    } else {
        random_value(s, f, f->maskable && rnd_below(s, 3) == 0, &v, &m);
        if (f->id == FT_F_DL_VLAN) {
            v.u64 &= FT_VLAN_VID_MASK;
        }
        a->set_field.spelling = FT_SPELL_SET_FIELD;
    }
    a->set_field.value = v;
    a->set_field.mask = m;
    ft_field_set(f, &v, &m, &sim->flow);
    ft_field_unwildcard(f, &m, &sim->mask);
    return true;
}

static void
random_mod(uint64_t *s, struct ft_ofpacts *acts)
{
    static const struct {
        enum ft_field_id field;
        enum ft_set_field_spelling spelling;
    } mods[] = {
        { FT_F_ETH_SRC, FT_SPELL_MOD_DL_SRC },
        { FT_F_ETH_DST, FT_SPELL_MOD_DL_DST },
        { FT_F_IPV4_SRC, FT_SPELL_MOD_NW_SRC },
        { FT_F_IPV4_DST, FT_SPELL_MOD_NW_DST },
        { FT_F_IP_TOS, FT_SPELL_MOD_NW_TOS },
        { FT_F_TP_SRC, FT_SPELL_MOD_TP_SRC },
        { FT_F_TP_DST, FT_SPELL_MOD_TP_DST },
    };
    int i = (int) rnd_below(s, sizeof mods / sizeof mods[0]);
    const struct ft_field *f = ft_field_from_id(mods[i].field);
    struct ft_ofpact *a = ft_ofpacts_put(acts, FT_OFPACT_SET_FIELD);
    union ft_value v, m;

    random_value(s, f, false, &v, &m);
    a->set_field.field = f->id;
    a->set_field.value = v;
    a->set_field.mask = m;
    a->set_field.spelling = (uint8_t) mods[i].spelling;
}

static void
random_action(uint64_t *s, struct ft_match *sim, struct ft_ofpacts *acts)
{
    static const ft_port_no reserved[] = {
        FT_PORT_NORMAL, FT_PORT_FLOOD, FT_PORT_ALL, FT_PORT_IN_PORT,
        FT_PORT_LOCAL, 7,
    };
    struct ft_ofpact *a;

    switch (rnd_below(s, 14)) {
    case 0:
        a = ft_ofpacts_put(acts, FT_OFPACT_OUTPUT);
        a->output.port = rnd_below(s, 2) ? (ft_port_no) rnd_below(s, 65281)
                                         : reserved[rnd_below(s, 6)];
        break;
    case 1:
        a = ft_ofpacts_put(acts, FT_OFPACT_CONTROLLER);
        a->controller.max_len = (uint16_t) rnd(s);
        break;
    case 2:
        a = ft_ofpacts_put(acts, FT_OFPACT_RESUBMIT);
        a->resubmit.in_port = rnd_below(s, 2) ? FT_PORT_IN_PORT
                                              : (ft_port_no) rnd_below(s, 9);
        a->resubmit.table_id = (uint8_t) (rnd_below(s, 2)
                                          ? rnd_below(s, FT_N_TABLES)
                                          : FT_TABLE_ALL);
        if (a->resubmit.in_port == FT_PORT_IN_PORT
            && a->resubmit.table_id == FT_TABLE_ALL) {
            a->resubmit.table_id = 0;
        }
        break;
    case 3:
        a = ft_ofpacts_put(acts, FT_OFPACT_SET_VLAN_VID);
        a->vlan_vid.vid = (uint16_t) rnd_below(s, 4096);
        a->vlan_vid.push_vlan_if_needed = rnd_below(s, 2);
        if (a->vlan_vid.push_vlan_if_needed) {
            set_tag(sim, true);
        }
        break;
    case 4:
        a = ft_ofpacts_put(acts, FT_OFPACT_SET_VLAN_PCP);
        a->vlan_pcp.pcp = (uint8_t) rnd_below(s, 8);
        a->vlan_pcp.push_vlan_if_needed = rnd_below(s, 2);
        if (a->vlan_pcp.push_vlan_if_needed) {
            set_tag(sim, true);
        }
        break;
    case 5:
        ft_ofpacts_put(acts, FT_OFPACT_STRIP_VLAN);
        set_tag(sim, false);
        break;
    case 6:
        a = ft_ofpacts_put(acts, FT_OFPACT_PUSH_VLAN);
        a->push_vlan.ethertype = rnd_below(s, 2) ? FT_ETH_TYPE_VLAN
                                                 : FT_ETH_TYPE_VLAN_AD;
        set_tag(sim, true);
        break;
    case 7:
    case 8:
    case 9:
        while (!random_write(s, sim, acts)) {
            continue;
        }
        break;
    case 10:
        random_mod(s, acts);
        break;
    case 11:
        ft_ofpacts_put(acts, FT_OFPACT_DEC_TTL);
        break;
    default:
        a = ft_ofpacts_put(acts, FT_OFPACT_SET_TUNNEL);
        a->set_tunnel.tun_id = rnd_below(s, 2) ? rnd(s) : rnd(s) >> 40;
        a->set_tunnel.is64 = rnd_below(s, 2)
                             || a->set_tunnel.tun_id > UINT32_MAX;
        break;
    }
}

static void
random_spec(uint64_t *s, struct ft_flow_spec *spec)
{
    struct ft_match sim;
    int n = (int) rnd_below(s, 6);

    spec->table_id = (uint8_t) rnd_below(s, FT_N_TABLES - 1);
    spec->priority = (uint16_t) rnd(s);
    spec->cookie = rnd_below(s, 2) ? rnd(s) : 0;
    spec->idle_timeout = rnd_below(s, 2) ? (uint16_t) rnd(s) : 0;
    spec->hard_timeout = rnd_below(s, 2) ? (uint16_t) rnd(s) : 0;
    spec->flags = rnd_below(s, 2) ? FT_FLOW_F_SEND_FLOW_REM : 0;
    spec->has_actions = true;
    random_match(s, &spec->match);

    sim = spec->match;
    if (rnd_below(s, 4) == 0) {
        ft_ofpacts_put(&spec->actions, FT_OFPACT_METER)->meter_id
            = 1 + (uint32_t) rnd_below(s, 0xffff0000);
    }
    for (int i = 0; i < n; i++) {
        random_action(s, &sim, &spec->actions);
    }
    if (rnd_below(s, 4) == 0) {
        struct ft_ofpact *a = ft_ofpacts_put(&spec->actions,
                                             FT_OFPACT_WRITE_METADATA);

        a->write_metadata.mask = rnd_below(s, 2) ? UINT64_MAX : rnd(s);
        a->write_metadata.metadata = rnd(s) & a->write_metadata.mask;
    }
    if (rnd_below(s, 4) == 0) {
        ft_ofpacts_put(&spec->actions, FT_OFPACT_GOTO_TABLE)->table_id
            = (uint8_t) (spec->table_id + 1
                         + rnd_below(s, FT_N_TABLES - 1 - spec->table_id));
    }
}

static void
test_random_round_trip(void **state)
{
    struct ft_port_map ports;
    uint64_t seed = 0x5eed;
    const char *env = getenv("FT_TEST_SEED");

    (void) state;
    if (env) {
        seed = strtoull(env, NULL, 0);
    }
    make_ports(&ports);
    for (int i = 0; i < 20000; i++) {
        struct ft_flow_spec spec;

        ft_flow_spec_init(&spec);
        random_spec(&seed, &spec);
        free(check_round_trip(&spec, FT_FLOW_ADD, rnd_below(&seed, 2)
                                                  ? &ports : NULL));
        ft_flow_spec_uninit(&spec);
    }
    ft_port_map_destroy(&ports);
}

/* 100k lines must parse quickly; prints the rate. */
static void
test_parse_speed(void **state)
{
    static const char *const lines[] = {
        "table=1,priority=100,in_port=3,tcp,nw_src=10.0.0.0/8,tp_dst=22,"
        "actions=mod_vlan_vid:100,output:3",
        "priority=50,arp,arp_tpa=10.0.100.3,actions=resubmit(,2)",
        "ip,dl_src=00:11:22:33:44:55,nw_dst=192.168.0.1,actions=NORMAL",
        "udp6,ipv6_dst=2001:db8::/64,tp_src=53,actions=load:0x1->"
        "NXM_NX_REG0[],goto_table:4",
    };
    struct ft_flow_spec spec;
    struct ft_error err;
    struct timespec t0, t1;
    double secs;

    (void) state;
    ft_flow_spec_init(&spec);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 100000; i++) {
        assert_int_equal(ft_flow_spec_parse(lines[i % 4], FT_FLOW_ADD, NULL,
                                            &spec, &err), 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ft_flow_spec_uninit(&spec);
    secs = (double) (t1.tv_sec - t0.tv_sec)
           + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("parsed 100000 flow lines in %.3f s\n", secs);
    /* Generous bound so that sanitizer builds pass too. */
    assert_true(secs < 20.0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_match_and_actions_alone),
        cmocka_unit_test(test_ofpacts_helpers),
        cmocka_unit_test(test_load_longest_value),
        cmocka_unit_test(test_random_round_trip),
        cmocka_unit_test(test_parse_speed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

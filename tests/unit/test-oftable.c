/*
 * test-oftable.c - unit tests for mgmt/ofproto/oftable.c: OpenFlow flow-mod
 * semantics (add/replace, modify and delete, strict and not, cookie
 * filters, table ALL), timeouts against a fake clock, counters, the
 * version number, reference counts and dump order.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mgmt/ofproto/oftable.h"

static uint32_t
prefix_mask(unsigned int len)
{
    return len ? UINT32_MAX << (32 - len) : 0;
}

/* Fills 'spec' (initialized here) for an IPv4 rule on nw_src/len; len 0
 * gives "ip" alone, len -1 a catch-all.  'out' >= 0 adds output:'out'. */
static void
make_spec(struct ft_flow_spec *spec, uint8_t table, uint16_t priority,
          uint32_t nw_src, int len, int out)
{
    struct ft_flow key, mask;

    ft_flow_spec_init(spec);
    spec->table_id = table;
    spec->priority = priority;
    ft_flow_zero(&key);
    ft_flow_zero(&mask);
    if (len >= 0) {
        key.dl_type = FT_ETH_TYPE_IP;
        mask.dl_type = UINT16_MAX;
        key.nw_src = nw_src;
        mask.nw_src = prefix_mask(len);
    }
    ft_match_init(&spec->match, &key, &mask);
    if (out >= 0) {
        ft_ofpacts_put(&spec->actions, FT_OFPACT_OUTPUT)->output.port = out;
    }
    spec->has_actions = true;
}

static int
apply(struct ft_oftables *oft, enum ft_flow_cmd cmd, uint8_t table,
      uint16_t priority, uint32_t nw_src, int len, int out, long long now)
{
    struct ft_flow_spec spec;
    struct ft_error err;
    int n;

    make_spec(&spec, table, priority, nw_src, len, out);
    n = ft_oftables_apply(oft, cmd, &spec, now, &err);
    assert_int_equal(err.code, n < 0 ? n : 0);
    ft_flow_spec_uninit(&spec);
    return n;
}

static struct ft_ofrule *
lookup_src(const struct ft_oftables *oft, uint8_t table, uint32_t nw_src)
{
    struct ft_flow flow;

    ft_flow_zero(&flow);
    flow.dl_type = FT_ETH_TYPE_IP;
    flow.nw_src = nw_src;
    flow.nw_proto = 6;
    return ft_oftables_lookup(oft, table, &flow, NULL);
}

/* The rule of 'table' with exactly this match and priority. */
static struct ft_ofrule *
find_rule(const struct ft_oftables *oft, uint8_t table, uint16_t priority,
          uint32_t nw_src, int len)
{
    struct ft_flow_spec spec;
    struct ft_cls_rule *cr;

    make_spec(&spec, table, priority, nw_src, len, -1);
    cr = ft_cls_find_exact(&oft->tables[table], &spec.match, priority);
    ft_flow_spec_uninit(&spec);
    assert_non_null(cr);
    return (struct ft_ofrule *) ((char *) cr
                                 - offsetof(struct ft_ofrule, cr));
}

static int
out_port(const struct ft_ofrule *rule)
{
    assert_non_null(rule);
    if (!rule->spec.actions.n) {
        return -1;              /* drop */
    }
    assert_int_equal(rule->spec.actions.acts[0].type, FT_OFPACT_OUTPUT);
    return rule->spec.actions.acts[0].output.port;
}

static void
test_add_and_lookup(void **state)
{
    struct ft_oftables *oft = malloc(sizeof *oft);
    struct ft_ofrule *rule;
    struct ft_flow flow, wc;

    (void) state;
    assert_non_null(oft);
    ft_oftables_init(oft);
    assert_int_equal(apply(oft, FT_FLOW_ADD, 0, 100, 0x0a000000, 8, 1, 0), 1);
    assert_int_equal(oft->version, 1);
    assert_int_equal(apply(oft, FT_FLOW_ADD, 0, 200, 0x0a010000, 16, 2, 0),
                     1);
    assert_int_equal(apply(oft, FT_FLOW_ADD, 1, 5, 0, -1, 3, 0), 1);
    assert_int_equal(oft->version, 3);
    assert_int_equal(oft->n_rules, 3);

    assert_int_equal(out_port(lookup_src(oft, 0, 0x0a010203)), 2);
    assert_int_equal(out_port(lookup_src(oft, 0, 0x0a020304)), 1);
    assert_null(lookup_src(oft, 0, 0x0b000001));
    assert_int_equal(out_port(lookup_src(oft, 1, 0x0b000001)), 3);
    assert_null(lookup_src(oft, 2, 0x0a010203));
    assert_null(lookup_src(oft, FT_TABLE_ALL, 0x0a010203));

    /* Wildcards: the /16 rule at 200 is found first; the /8 subtable
     * (max 100) is not searched. */
    ft_flow_zero(&flow);
    flow.dl_type = FT_ETH_TYPE_IP;
    flow.nw_src = 0x0a010203;
    ft_flow_zero(&wc);
    rule = ft_oftables_lookup(oft, 0, &flow, &wc);
    assert_int_equal(out_port(rule), 2);
    assert_int_equal(wc.nw_src, prefix_mask(16));
    assert_int_equal(wc.dl_type, UINT16_MAX);

    ft_oftables_destroy(oft);
    free(oft);
}

static void
test_add_replaces(void **state)
{
    struct ft_oftables *oft = malloc(sizeof *oft);
    struct ft_ofrule *old, *new;

    (void) state;
    assert_non_null(oft);
    ft_oftables_init(oft);
    assert_int_equal(apply(oft, FT_FLOW_ADD, 3, 100, 0x0a000000, 8, 1, 10),
                     1);
    old = lookup_src(oft, 3, 0x0a000001);
    ft_ofrule_credit(old, 5, 500, 20);
    assert_int_equal(old->stats.n_packets, 5);
    ft_ofrule_ref(old);         /* As a translation result would. */

    /* Same match, same priority: replaced, counters reset. */
    assert_int_equal(apply(oft, FT_FLOW_ADD, 3, 100, 0x0a000000, 8, 7, 30),
                     1);
    assert_int_equal(oft->n_rules, 1);
    new = lookup_src(oft, 3, 0x0a000001);
    assert_ptr_not_equal(new, old);
    assert_int_equal(out_port(new), 7);
    assert_int_equal(new->stats.n_packets, 0);
    assert_int_equal(new->stats.n_bytes, 0);
    assert_int_equal(new->created, 30);
    assert_false(new->removed);
    assert_true(old->removed);
    assert_int_equal(old->stats.n_packets, 5);
    ft_ofrule_unref(old);

    /* Same match, other priority, or other table: a second rule. */
    assert_int_equal(apply(oft, FT_FLOW_ADD, 3, 101, 0x0a000000, 8, 8, 40),
                     1);
    assert_int_equal(apply(oft, FT_FLOW_ADD, 4, 100, 0x0a000000, 8, 9, 40),
                     1);
    assert_int_equal(oft->n_rules, 3);
    assert_int_equal(out_port(lookup_src(oft, 3, 0x0a000001)), 8);
    assert_int_equal(out_port(lookup_src(oft, 4, 0x0a000001)), 9);
    assert_int_equal(oft->version, 4);

    ft_oftables_destroy(oft);
    free(oft);
}

static void
test_add_invalid(void **state)
{
    struct ft_oftables *oft = malloc(sizeof *oft);
    struct ft_flow_spec spec;
    struct ft_error err;

    (void) state;
    assert_non_null(oft);
    ft_oftables_init(oft);

    make_spec(&spec, FT_TABLE_ALL, 100, 0, -1, 1);
    assert_int_equal(ft_oftables_apply(oft, FT_FLOW_ADD, &spec, 0, &err),
                     -EINVAL);
    assert_int_equal(err.code, -EINVAL);
    assert_non_null(strstr(err.reason, "255"));
    ft_flow_spec_uninit(&spec);

    /* goto_table must go forward. */
    make_spec(&spec, 2, 100, 0, -1, -1);
    ft_ofpacts_put(&spec.actions, FT_OFPACT_GOTO_TABLE)->table_id = 2;
    assert_int_equal(ft_oftables_apply(oft, FT_FLOW_ADD, &spec, 0, &err),
                     -EINVAL);
    assert_non_null(strstr(err.reason, "goto_table"));
    spec.actions.acts[0].table_id = 3;
    assert_int_equal(ft_oftables_apply(oft, FT_FLOW_ADD, &spec, 0, &err), 1);
    assert_int_equal(err.code, 0);
    ft_flow_spec_uninit(&spec);

    assert_int_equal(oft->n_rules, 1);
    assert_int_equal(oft->version, 1);
    ft_oftables_destroy(oft);
    free(oft);
}

/* Table 0: /8 at 100 -> 1, /16 at 200 -> 2, /32 at 50 -> 3, 11/8 at 100
 * -> 4, catch-all at 0 -> 5.  Table 1: /16 at 200 -> 6. */
static void
fill_tables(struct ft_oftables *oft)
{
    ft_oftables_init(oft);
    apply(oft, FT_FLOW_ADD, 0, 100, 0x0a000000, 8, 1, 0);
    apply(oft, FT_FLOW_ADD, 0, 200, 0x0a010000, 16, 2, 0);
    apply(oft, FT_FLOW_ADD, 0, 50, 0x0a010203, 32, 3, 0);
    apply(oft, FT_FLOW_ADD, 0, 100, 0x0b000000, 8, 4, 0);
    apply(oft, FT_FLOW_ADD, 0, 0, 0, -1, 5, 0);
    apply(oft, FT_FLOW_ADD, 1, 200, 0x0a010000, 16, 6, 0);
    assert_int_equal(oft->n_rules, 6);
}

static void
test_modify(void **state)
{
    struct ft_oftables *oft = malloc(sizeof *oft);
    struct ft_ofrule *r16, *r32;
    uint64_t version;

    (void) state;
    assert_non_null(oft);
    fill_tables(oft);
    r16 = lookup_src(oft, 0, 0x0a010000);
    r32 = find_rule(oft, 0, 50, 0x0a010203, 32);   /* Hidden by r16. */
    assert_ptr_not_equal(r16, r32);
    assert_int_equal(out_port(r32), 3);
    assert_int_equal(out_port(r16), 2);
    ft_ofrule_credit(r16, 3, 300, 5);

    /* Non-strict, table 0: every rule at least as specific as
     * nw_src=10.1.0.0/16 (the /16 and the /32), whatever the priority. */
    version = oft->version;
    assert_int_equal(apply(oft, FT_FLOW_MODIFY, 0, 1, 0x0a010000, 16, 9, 50),
                     2);
    assert_int_equal(oft->version, version + 1);
    assert_int_equal(out_port(r16), 9);
    assert_int_equal(r16->stats.n_packets, 3);     /* Counters kept. */
    assert_int_equal(r16->modified, 50);
    assert_int_equal(r16->created, 0);
    assert_int_equal(out_port(lookup_src(oft, 0, 0x0a010204)), 9);
    assert_int_equal(out_port(lookup_src(oft, 0, 0x0a020000)), 1);
    assert_int_equal(out_port(lookup_src(oft, 1, 0x0a010000)), 6);
    assert_int_equal(oft->n_rules, 6);

    /* Table ALL reaches table 1 too; "ip" covers every IPv4 rule but not
     * the catch-all. */
    assert_int_equal(apply(oft, FT_FLOW_MODIFY, FT_TABLE_ALL, 1, 0, 0, 8,
                           60), 5);
    assert_int_equal(out_port(lookup_src(oft, 1, 0x0a010000)), 8);
    assert_int_equal(out_port(lookup_src(oft, 0, 0x0c000000)), 5);

    /* Strict: identical match and priority only. */
    assert_int_equal(apply(oft, FT_FLOW_MODIFY_STRICT, 0, 201, 0x0a010000,
                           16, 11, 70), 0);
    assert_int_equal(apply(oft, FT_FLOW_MODIFY_STRICT, 0, 200, 0x0a010000,
                           16, 11, 70), 1);
    assert_int_equal(out_port(r16), 11);
    assert_int_equal(out_port(r32), 8);
    assert_int_equal(apply(oft, FT_FLOW_MODIFY_STRICT, FT_TABLE_ALL, 200,
                           0x0a010000, 16, 12, 80), 2);
    assert_int_equal(out_port(lookup_src(oft, 1, 0x0a010000)), 12);

    /* Nothing matches: no-op, no version bump. */
    version = oft->version;
    assert_int_equal(apply(oft, FT_FLOW_MODIFY, 0, 1, 0x0c000000, 8, 13, 90),
                     0);
    assert_int_equal(oft->version, version);
    assert_int_equal(oft->n_rules, 6);

    ft_oftables_destroy(oft);
    free(oft);
}

static void
test_cookies(void **state)
{
    struct ft_oftables *oft = malloc(sizeof *oft);
    struct ft_flow_spec spec;
    struct ft_error err;
    static const uint64_t cookies[] = { 0x1, 0x2, 0x12 };

    (void) state;
    assert_non_null(oft);
    ft_oftables_init(oft);
    for (int i = 0; i < 3; i++) {
        make_spec(&spec, 0, 100 + i, 0x0a000000 + (i << 16), 16, i + 1);
        spec.cookie = cookies[i];
        assert_int_equal(ft_oftables_apply(oft, FT_FLOW_ADD, &spec, 0, &err),
                         1);
        ft_flow_spec_uninit(&spec);
    }

    /* cookie=0x2/0xf: the rules with cookies 0x2 and 0x12. */
    make_spec(&spec, FT_TABLE_ALL, 0, 0, 0, 20);
    spec.cookie = 0x2;
    spec.cookie_mask = 0xf;
    assert_int_equal(ft_oftables_apply(oft, FT_FLOW_MODIFY, &spec, 0, &err),
                     2);
    ft_flow_spec_uninit(&spec);
    assert_int_equal(out_port(lookup_src(oft, 0, 0x0a000001)), 1);
    assert_int_equal(out_port(lookup_src(oft, 0, 0x0a010001)), 20);
    assert_int_equal(out_port(lookup_src(oft, 0, 0x0a020001)), 20);
    /* A filter does not change the cookie. */
    assert_int_equal(lookup_src(oft, 0, 0x0a020001)->spec.cookie, 0x12);

    /* Without a mask, a modify's cookie is the new cookie; no actions
     * means the actions stay. */
    make_spec(&spec, 0, 101, 0x0a010000, 16, -1);
    spec.has_actions = false;
    spec.cookie = 0x77;
    assert_int_equal(ft_oftables_apply(oft, FT_FLOW_MODIFY_STRICT, &spec, 0,
                                       &err), 1);
    ft_flow_spec_uninit(&spec);
    assert_int_equal(lookup_src(oft, 0, 0x0a010001)->spec.cookie, 0x77);
    assert_int_equal(out_port(lookup_src(oft, 0, 0x0a010001)), 20);

    /* Delete cookie=0x10/0xf0: only 0x12. */
    make_spec(&spec, FT_TABLE_ALL, 0, 0, -1, -1);
    spec.has_actions = false;
    spec.cookie = 0x10;
    spec.cookie_mask = 0xf0;
    assert_int_equal(ft_oftables_apply(oft, FT_FLOW_DELETE, &spec, 0, &err),
                     1);
    ft_flow_spec_uninit(&spec);
    assert_int_equal(oft->n_rules, 2);
    assert_null(lookup_src(oft, 0, 0x0a020001));

    /* A strict delete with a cookie that does not match removes nothing. */
    make_spec(&spec, 0, 100, 0x0a000000, 16, -1);
    spec.cookie = 0x5;
    spec.cookie_mask = UINT64_MAX;
    assert_int_equal(ft_oftables_apply(oft, FT_FLOW_DELETE_STRICT, &spec, 0,
                                       &err), 0);
    spec.cookie = 0x1;
    assert_int_equal(ft_oftables_apply(oft, FT_FLOW_DELETE_STRICT, &spec, 0,
                                       &err), 1);
    ft_flow_spec_uninit(&spec);
    assert_int_equal(oft->n_rules, 1);

    ft_oftables_destroy(oft);
    free(oft);
}

static void
test_delete(void **state)
{
    struct ft_oftables *oft = malloc(sizeof *oft);
    struct ft_ofrule *r8;
    uint64_t version;

    (void) state;
    assert_non_null(oft);
    fill_tables(oft);
    r8 = lookup_src(oft, 0, 0x0a020000);
    ft_ofrule_ref(r8);

    /* Strict: priority must match too. */
    assert_int_equal(apply(oft, FT_FLOW_DELETE_STRICT, 0, 99, 0x0a000000, 8,
                           -1, 0), 0);
    version = oft->version;
    assert_int_equal(apply(oft, FT_FLOW_DELETE_STRICT, 0, 100, 0x0a000000, 8,
                           -1, 0), 1);
    assert_int_equal(oft->version, version + 1);
    assert_true(r8->removed);
    assert_int_equal(out_port(r8), 1);          /* Still readable. */
    ft_ofrule_unref(r8);
    assert_int_equal(oft->n_rules, 5);
    assert_int_equal(out_port(lookup_src(oft, 0, 0x0a020000)), 5);

    /* Non-strict in table 0 only: /16 and /32 go, table 1 keeps its. */
    assert_int_equal(apply(oft, FT_FLOW_DELETE, 0, 0, 0x0a010000, 16, -1, 0),
                     2);
    assert_int_equal(out_port(lookup_src(oft, 0, 0x0a010203)), 5);
    assert_int_equal(out_port(lookup_src(oft, 1, 0x0a010203)), 6);
    assert_int_equal(oft->n_rules, 3);

    /* Table ALL, catch-all target: everything. */
    assert_int_equal(apply(oft, FT_FLOW_DELETE, FT_TABLE_ALL, 0, 0, -1, -1,
                           0), 3);
    assert_int_equal(oft->n_rules, 0);
    assert_null(lookup_src(oft, 0, 0x0b000000));
    version = oft->version;
    assert_int_equal(apply(oft, FT_FLOW_DELETE, FT_TABLE_ALL, 0, 0, -1, -1,
                           0), 0);
    assert_int_equal(oft->version, version);

    ft_oftables_destroy(oft);
    free(oft);
}

static void
test_timeouts(void **state)
{
    struct ft_oftables *oft = malloc(sizeof *oft);
    struct ft_flow_spec spec;
    struct ft_error err;
    struct ft_ofrule *idle, *hard;
    long long int now = 1000;       /* Fake clock, ms. */
    uint64_t version;

    (void) state;
    assert_non_null(oft);
    ft_oftables_init(oft);

    make_spec(&spec, 0, 10, 0x0a000000, 8, 1);
    spec.idle_timeout = 10;
    assert_int_equal(ft_oftables_apply(oft, FT_FLOW_ADD, &spec, now, &err),
                     1);
    ft_flow_spec_uninit(&spec);
    make_spec(&spec, 0, 10, 0x0b000000, 8, 2);
    spec.hard_timeout = 5;
    assert_int_equal(ft_oftables_apply(oft, FT_FLOW_ADD, &spec, now, &err),
                     1);
    ft_flow_spec_uninit(&spec);
    make_spec(&spec, 0, 10, 0x0c000000, 8, 3);
    spec.hard_timeout = 30;
    spec.idle_timeout = 20;
    assert_int_equal(ft_oftables_apply(oft, FT_FLOW_ADD, &spec, now, &err),
                     1);
    ft_flow_spec_uninit(&spec);
    apply(oft, FT_FLOW_ADD, 0, 10, 0x0d000000, 8, 4, now);    /* Never. */

    idle = lookup_src(oft, 0, 0x0a000001);
    hard = lookup_src(oft, 0, 0x0b000001);
    ft_ofrule_ref(hard);

    assert_int_equal(ft_oftables_expire(oft, 5999), 0);
    version = oft->version;
    assert_int_equal(ft_oftables_expire(oft, 6000), 1);
    assert_int_equal(oft->version, version + 1);
    assert_true(hard->removed);
    ft_ofrule_unref(hard);
    assert_null(lookup_src(oft, 0, 0x0b000001));

    /* Traffic keeps the idle rule alive; a credit of no packets does
     * not. */
    ft_ofrule_credit(idle, 2, 128, 8000);
    ft_ofrule_credit(idle, 0, 0, 9000);
    assert_int_equal(idle->used, 8000);
    assert_int_equal(idle->stats.used, 8000);
    assert_int_equal(idle->stats.n_packets, 2);
    assert_int_equal(idle->stats.n_bytes, 128);
    assert_int_equal(ft_oftables_expire(oft, 17999), 0);
    assert_int_equal(ft_oftables_expire(oft, 18000), 1);
    assert_null(lookup_src(oft, 0, 0x0a000001));

    /* Idle 20 s from 1000 -> 21000, before its hard 30 s. */
    version = oft->version;
    assert_int_equal(ft_oftables_expire(oft, 20999), 0);
    assert_int_equal(oft->version, version);
    assert_int_equal(ft_oftables_expire(oft, 21000), 1);
    assert_int_equal(oft->n_rules, 1);
    assert_int_equal(ft_oftables_expire(oft, 1000LL * 1000 * 1000), 0);
    assert_int_equal(out_port(lookup_src(oft, 0, 0x0d000001)), 4);

    ft_oftables_destroy(oft);
    free(oft);
}

static void
test_hard_timeout_with_traffic(void **state)
{
    struct ft_oftables *oft = malloc(sizeof *oft);
    struct ft_flow_spec spec;
    struct ft_error err;
    struct ft_ofrule *rule;

    (void) state;
    assert_non_null(oft);
    ft_oftables_init(oft);
    make_spec(&spec, 7, 10, 0x0a000000, 8, 1);
    spec.hard_timeout = 2;
    spec.idle_timeout = 1;
    ft_oftables_apply(oft, FT_FLOW_ADD, &spec, 0, &err);
    ft_flow_spec_uninit(&spec);
    rule = lookup_src(oft, 7, 0x0a000001);

    /* Busy all along: idle never fires, hard does at 2 s. */
    for (long long int t = 0; t < 2000; t += 500) {
        ft_ofrule_credit(rule, 1, 60, t);
        assert_int_equal(ft_oftables_expire(oft, t + 1), 0);
    }
    assert_int_equal(ft_oftables_expire(oft, 2000), 1);
    assert_int_equal(oft->n_rules, 0);
    ft_oftables_destroy(oft);
    free(oft);
}

struct dump_log {
    int outs[16];
    uint8_t tables[16];
    size_t n;
};

static void
dump_cb(const struct ft_ofrule *rule, void *aux)
{
    struct dump_log *log = aux;

    assert_true(log->n < 16);
    log->tables[log->n] = rule->spec.table_id;
    log->outs[log->n++] = out_port(rule);
}

static void
test_dump(void **state)
{
    struct ft_oftables *oft = malloc(sizeof *oft);
    struct dump_log log;
    struct ft_match target;
    struct ft_flow key, mask;
    static const int all[] = { 2, 1, 4, 3, 5, 6 };

    (void) state;
    assert_non_null(oft);
    fill_tables(oft);
    apply(oft, FT_FLOW_ADD, 9, 1, 0, -1, 7, 0);

    /* Table order, then priority descending; the two /8 rules tie at 100
     * and were added at the same time, so the match decides. */
    memset(&log, 0, sizeof log);
    ft_oftables_dump(oft, FT_TABLE_ALL, NULL, 0, 0, dump_cb, &log);
    assert_int_equal(log.n, 7);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(log.outs[i], all[i]);
    }
    assert_int_equal(log.tables[5], 1);
    assert_int_equal(log.outs[6], 7);
    assert_int_equal(log.tables[6], 9);

    /* One table. */
    memset(&log, 0, sizeof log);
    ft_oftables_dump(oft, 1, NULL, 0, 0, dump_cb, &log);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.outs[0], 6);

    /* Non-strict filter nw_src=10.1.0.0/16 over every table. */
    ft_flow_zero(&key);
    ft_flow_zero(&mask);
    key.nw_src = 0x0a010000;
    mask.nw_src = prefix_mask(16);
    ft_match_init(&target, &key, &mask);
    memset(&log, 0, sizeof log);
    ft_oftables_dump(oft, FT_TABLE_ALL, &target, 0, 0, dump_cb, &log);
    assert_int_equal(log.n, 3);
    assert_int_equal(log.outs[0], 2);
    assert_int_equal(log.outs[1], 3);
    assert_int_equal(log.outs[2], 6);

    /* Cookie filter: all rules have cookie 0, so 1/1 matches none. */
    memset(&log, 0, sizeof log);
    ft_oftables_dump(oft, FT_TABLE_ALL, NULL, 1, 1, dump_cb, &log);
    assert_int_equal(log.n, 0);

    ft_oftables_destroy(oft);
    free(oft);
}

static void
test_many_rules(void **state)
{
    enum { N = 3000 };
    struct ft_oftables *oft = malloc(sizeof *oft);

    (void) state;
    assert_non_null(oft);
    ft_oftables_init(oft);
    for (int i = 0; i < N; i++) {
        assert_int_equal(apply(oft, FT_FLOW_ADD, i % 3, 100 + i % 7,
                               0x0a000000 + i, 32, i, 0), 1);
    }
    assert_int_equal(oft->n_rules, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(out_port(lookup_src(oft, i % 3, 0x0a000000 + i)), i);
        assert_null(lookup_src(oft, (i + 1) % 3, 0x0a000000 + i));
    }
    /* 10.0.0.0/22 covers the first 1024. */
    assert_int_equal(apply(oft, FT_FLOW_DELETE, FT_TABLE_ALL, 0, 0x0a000000,
                           22, -1, 0), 1024);
    assert_int_equal(oft->n_rules, N - 1024);
    assert_null(lookup_src(oft, 1023 % 3, 0x0a000000 + 1023));
    assert_int_equal(out_port(lookup_src(oft, 1024 % 3, 0x0a000000 + 1024)),
                     1024);
    ft_oftables_destroy(oft);
    free(oft);
}

/* A rule keeps its actions in its own allocation: a modify to more
 * actions moves them out, to fewer or none and back, a replacing add and
 * a delete leave nothing behind (the AddressSanitizer build checks the
 * frees), and each rule reads back the actions it was last given. */
static void
test_actions_in_rule(void **state)
{
    struct ft_oftables *oft = malloc(sizeof *oft);
    struct ft_flow_spec spec;
    struct ft_ofrule *rule;
    struct ft_error err;

    (void) state;
    ft_oftables_init(oft);
    assert_int_equal(apply(oft, FT_FLOW_ADD, 0, 10, 0x0a000001, 32, 2, 0), 1);
    assert_int_equal(apply(oft, FT_FLOW_ADD, 0, 11, 0x0a000002, 32, -1, 0),
                     1);
    rule = find_rule(oft, 0, 10, 0x0a000001, 32);
    assert_int_equal(rule->spec.actions.n, 1);
    assert_int_equal(out_port(rule), 2);
    assert_int_equal(out_port(find_rule(oft, 0, 11, 0x0a000002, 32)), -1);

    /* Modify to three outputs: more than the rule's own room. */
    make_spec(&spec, 0, 10, 0x0a000001, 32, 5);
    ft_ofpacts_put(&spec.actions, FT_OFPACT_OUTPUT)->output.port = 6;
    ft_ofpacts_put(&spec.actions, FT_OFPACT_OUTPUT)->output.port = 7;
    assert_int_equal(ft_oftables_apply(oft, FT_FLOW_MODIFY_STRICT, &spec, 1,
                                       &err), 1);
    ft_flow_spec_uninit(&spec);
    rule = find_rule(oft, 0, 10, 0x0a000001, 32);
    assert_int_equal(rule->spec.actions.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rule->spec.actions.acts[i].output.port, 5 + i);
    }

    /* To none, then one again; the drop rule to one. */
    assert_int_equal(apply(oft, FT_FLOW_MODIFY_STRICT, 0, 10, 0x0a000001, 32,
                           -1, 2), 1);
    assert_int_equal(out_port(find_rule(oft, 0, 10, 0x0a000001, 32)), -1);
    assert_int_equal(apply(oft, FT_FLOW_MODIFY_STRICT, 0, 10, 0x0a000001, 32,
                           9, 3), 1);
    assert_int_equal(out_port(find_rule(oft, 0, 10, 0x0a000001, 32)), 9);
    assert_int_equal(apply(oft, FT_FLOW_MODIFY_STRICT, 0, 11, 0x0a000002, 32,
                           4, 3), 1);
    assert_int_equal(out_port(find_rule(oft, 0, 11, 0x0a000002, 32)), 4);

    /* Replaced by an add, and deleted. */
    assert_int_equal(apply(oft, FT_FLOW_ADD, 0, 10, 0x0a000001, 32, 3, 4), 1);
    assert_int_equal(out_port(find_rule(oft, 0, 10, 0x0a000001, 32)), 3);
    assert_int_equal(apply(oft, FT_FLOW_DELETE_STRICT, 0, 11, 0x0a000002, 32,
                           -1, 5), 1);
    assert_int_equal(oft->n_rules, 1);
    ft_oftables_destroy(oft);
    free(oft);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_and_lookup),
        cmocka_unit_test(test_add_replaces),
        cmocka_unit_test(test_add_invalid),
        cmocka_unit_test(test_modify),
        cmocka_unit_test(test_cookies),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_hard_timeout_with_traffic),
        cmocka_unit_test(test_dump),
        cmocka_unit_test(test_many_rules),
        cmocka_unit_test(test_actions_in_rule),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

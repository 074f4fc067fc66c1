/*
 * test-bridge.c - unit tests for the running bridge (mgmt/bridge/bridge.h).
 *
 * Flow table changes (net change texts, dry runs, all-or-nothing batches,
 * replace-flows, meters, rule timeouts) and trace run on a bridge without
 * ports.  The packet tests need root: the program moves into a network
 * namespace of its own first (unshare(CLONE_NEWNET)), so nothing it
 * creates is seen on the host, builds veth pairs with 'ip link', puts one
 * end of each in the bridge and injects frames on the other end through
 * AF_PACKET sockets: NORMAL forwarding and flooding (to LOCAL too),
 * revalidation after a flow mod, unified counters, max-idle, flow-limit,
 * a port that cannot be opened (refused, or kept and opened later), and a
 * device deleted under the bridge.  Without root they are skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mgmt/bridge/bridge.h"
#include "bridge-harness.h"


/* ---- Flow table tests (no ports). ---- */

static void
assert_changes(const struct ft_bridge_flow_changes *c,
               const char *const *removed, size_t n_removed,
               const char *const *added, size_t n_added)
{
    assert_int_equal(c->n_removed, n_removed);
    for (size_t i = 0; i < n_removed; i++) {
        assert_string_equal(c->removed[i], removed[i]);
    }
    assert_int_equal(c->n_added, n_added);
    for (size_t i = 0; i < n_added; i++) {
        assert_string_equal(c->added[i], added[i]);
    }
}

static void
collect_texts_cb(const struct ft_ofrule *rule, void *aux)
{
    struct ds *s = aux;

    ft_flow_spec_format(&rule->spec, NULL, s);
    ds_put_char(s, '\n');
}

static char *
table_text(const struct ft_bridge *br)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    ft_bridge_dump_flows(br, FT_TABLE_ALL, NULL, 0, 0, collect_texts_cb, &s);
    ds_put_char(&s, '\0');
    return s.s;
}

static void
test_flow_changes(void **state)
{
    struct ft_bridge *br = make_bridge();
    struct ft_bridge_flow_changes c;
    struct ft_error err;

    (void) state;
    ft_bridge_flow_changes_init(&c);

    /* Add: one text added, in canonical form. */
    assert_int_equal(lines_mod(br, FT_FLOW_ADD,
                               "table=0,priority=10,ip,actions=drop", 0, &c,
                               &err), 0);
    assert_changes(&c, NULL, 0,
                   (const char *[]) { "priority=10,ip actions=drop" }, 1);
    ft_bridge_flow_changes_clear(&c);

    /* The same flow again: replaced, but no net change. */
    assert_int_equal(lines_mod(br, FT_FLOW_ADD, "priority=10,ip,actions=drop",
                               0, &c, &err), 0);
    assert_changes(&c, NULL, 0, NULL, 0);

    /* Same match and priority, other actions: old out, new in. */
    assert_int_equal(lines_mod(br, FT_FLOW_ADD,
                               "priority=10,ip,actions=output:2", 0, &c,
                               &err), 0);
    assert_changes(&c, (const char *[]) { "priority=10,ip actions=drop" }, 1,
                   (const char *[]) { "priority=10,ip actions=output:2" }, 1);
    ft_bridge_flow_changes_clear(&c);

    /* Non-strict modify of every rule at least as specific as "ip". */
    assert_int_equal(lines_mod(br, FT_FLOW_ADD,
                               "table=1,priority=5,tcp,actions=NORMAL", 0,
                               NULL, &err), 0);
    assert_int_equal(lines_mod(br, FT_FLOW_MODIFY, "ip,actions=output:3", 0,
                               &c, &err), 0);
    assert_int_equal(c.n_removed, 2);
    assert_int_equal(c.n_added, 2);
    assert_non_null(strstr(c.added[0], "actions=output:3"));
    assert_non_null(strstr(c.added[1], "actions=output:3"));
    ft_bridge_flow_changes_clear(&c);

    /* Dry run: reported, not done. */
    assert_int_equal(lines_mod(br, FT_FLOW_DELETE, "", FT_BRIDGE_DRY_RUN, &c,
                               &err), 0);
    assert_int_equal(c.n_removed, 2);
    assert_int_equal(c.n_added, 0);
    assert_int_equal(ft_bridge_tables(br)->n_rules, 2);
    ft_bridge_flow_changes_clear(&c);

    /* Held: made at once, refusing other changes until finished; undone
     * when not kept, final when kept. */
    assert_int_equal(lines_mod(br, FT_FLOW_DELETE, "", FT_BRIDGE_HOLD, &c,
                               &err), 0);
    assert_int_equal(c.n_removed, 2);
    assert_int_equal(ft_bridge_tables(br)->n_rules, 0);
    assert_int_equal(lines_mod(br, FT_FLOW_ADD, "actions=drop", 0, NULL,
                               &err), -EBUSY);
    ft_bridge_flow_mod_finish(br, false);
    assert_int_equal(ft_bridge_tables(br)->n_rules, 2);
    ft_bridge_flow_changes_clear(&c);
    assert_int_equal(lines_mod(br, FT_FLOW_ADD, "table=3,actions=drop",
                               FT_BRIDGE_HOLD, &c, &err), 0);
    assert_int_equal(c.n_added, 1);
    ft_bridge_flow_mod_finish(br, true);
    ft_bridge_flow_mod_finish(br, true);        /* Nothing held: no-op. */
    assert_int_equal(ft_bridge_tables(br)->n_rules, 3);
    assert_int_equal(lines_mod(br, FT_FLOW_DELETE_STRICT, "table=3", 0, NULL,
                               &err), 0);
    assert_int_equal(ft_bridge_tables(br)->n_rules, 2);
    ft_bridge_flow_changes_clear(&c);

    /* Strict delete with the wrong priority deletes nothing. */
    assert_int_equal(lines_mod(br, FT_FLOW_DELETE_STRICT,
                               "table=1,priority=6,tcp", 0, &c, &err), 0);
    assert_changes(&c, NULL, 0, NULL, 0);
    assert_int_equal(lines_mod(br, FT_FLOW_DELETE_STRICT,
                               "table=1,priority=5,tcp", 0, &c, &err), 0);
    assert_changes(&c, (const char *[]) {
                       "table=1, priority=5,tcp actions=output:3" }, 1,
                   NULL, 0);
    assert_int_equal(ft_bridge_tables(br)->n_rules, 1);

    ft_bridge_flow_changes_uninit(&c);
    ft_bridge_destroy(br);
}

static void
test_meter_refused(void **state)
{
    struct ft_bridge *br = make_bridge();
    struct ft_error err;

    (void) state;
    assert_int_equal(lines_mod(br, FT_FLOW_ADD, "ip,actions=meter:1,output:1",
                               0, NULL, &err), -ENOENT);
    assert_string_equal(err.reason, "line 1: meter 1 does not exist");
    assert_int_equal(ft_bridge_tables(br)->n_rules, 0);
    ft_bridge_destroy(br);
}

/* Credits some traffic to every rule, as the revalidator would. */
static void
credit_cb(const struct ft_ofrule *rule, void *aux)
{
    (void) aux;
    ft_ofrule_credit((struct ft_ofrule *) rule, 7, 700, now_ms());
}

static void
format_cb(const struct ft_ofrule *rule, void *aux)
{
    ft_bridge_format_flow(rule, now_ms(), NULL, aux);
}

static void
check_counts_cb(const struct ft_ofrule *rule, void *aux)
{
    int *n = aux;

    assert_int_equal(rule->stats.n_packets, 7);
    assert_int_equal(rule->stats.n_bytes, 700);
    (*n)++;
}

static void
test_atomic_batch(void **state)
{
    static const char *const initial[] = {
        "priority=100,icmp,actions=drop",
        "priority=50,tcp,tp_dst=22,actions=output:1",
        "table=1,priority=0,actions=NORMAL",
    };
    static const char *const bad_add[] = {
        "priority=10,udp,actions=drop",
        "priority=100,icmp,actions=output:4",
        "table=2,priority=1,actions=meter:3",
    };
    static const char *const bad_mixed[] = {
        "priority=10,udp,actions=drop",
    };
    struct ft_bridge *br = make_bridge();
    struct ft_bridge_flow_changes c;
    struct ft_error err;
    char *before, *after;
    int n = 0;

    (void) state;
    ft_bridge_flow_changes_init(&c);
    assert_int_equal(ft_bridge_flow_mod_lines(br, FT_FLOW_ADD, initial, 3, 0,
                                              now_ms(), &c, &err), 0);
    assert_int_equal(c.n_added, 3);
    ft_bridge_flow_changes_clear(&c);
    ft_bridge_dump_flows(br, FT_TABLE_ALL, NULL, 0, 0, credit_cb, NULL);
    before = table_text(br);

    /* Line 2 replaces a rule, line 3 fails: nothing may change, and the
     * replaced rule comes back with its counters. */
    assert_int_not_equal(ft_bridge_flow_mod_lines(br, FT_FLOW_ADD, bad_add,
                                                  3, 0, now_ms(), &c, &err),
                         0);
    assert_non_null(strstr(err.reason, "line 3: "));
    assert_changes(&c, NULL, 0, NULL, 0);
    after = table_text(br);
    assert_string_equal(before, after);
    free(after);
    ft_bridge_dump_flows(br, FT_TABLE_ALL, NULL, 0, 0, check_counts_cb, &n);
    assert_int_equal(n, 3);

    /* A delete of everything followed by a line that does not parse. */
    {
        struct ft_flow_spec del, add;
        struct ft_bridge_flow_op ops[2];

        ft_flow_spec_init(&del);
        ft_flow_spec_init(&add);
        assert_int_equal(ft_flow_spec_parse("", FT_FLOW_DELETE, NULL, &del,
                                            &err), 0);
        assert_int_equal(ft_flow_spec_parse("ip,actions=meter:2",
                                            FT_FLOW_ADD, NULL, &add, &err),
                         0);
        ops[0].cmd = FT_FLOW_DELETE;
        ops[0].spec = &del;
        ops[1].cmd = FT_FLOW_ADD;
        ops[1].spec = &add;
        assert_int_equal(ft_bridge_flow_mod_batch(br, ops, 2, 0, now_ms(),
                                                  &c, &err), -ENOENT);
        assert_string_equal(err.reason, "flow 2: meter 2 does not exist");
        ft_flow_spec_uninit(&del);
        ft_flow_spec_uninit(&add);
    }
    after = table_text(br);
    assert_string_equal(before, after);
    free(after);
    n = 0;
    ft_bridge_dump_flows(br, FT_TABLE_ALL, NULL, 0, 0, check_counts_cb, &n);
    assert_int_equal(n, 3);

    /* A line that does not parse: nothing applied, line named. */
    {
        const char *lines[] = { bad_mixed[0], "ip,nw_src=10.0.0.300,"
                                "actions=drop" };

        assert_int_equal(ft_bridge_flow_mod_lines(br, FT_FLOW_ADD, lines, 2,
                                                  0, now_ms(), &c, &err),
                         -EINVAL);
        assert_non_null(strstr(err.reason, "line 2: "));
    }
    assert_int_equal(ft_bridge_tables(br)->n_rules, 3);

    ft_bridge_flow_changes_uninit(&c);
    free(before);
    ft_bridge_destroy(br);
}

static void
test_replace_flows(void **state)
{
    static const char *const initial[] = {
        "priority=100,icmp,actions=drop",
        "priority=50,tcp,tp_dst=22,actions=output:1",
    };
    static const char *const next[] = {
        "priority=100,icmp,actions=drop",
        "priority=50,tcp,tp_dst=22,actions=output:2",
        "priority=1,actions=NORMAL",
    };
    struct ft_bridge *br = make_bridge();
    struct ft_bridge_flow_changes c;
    struct ft_error err;
    int n = 0;

    (void) state;
    ft_bridge_flow_changes_init(&c);
    assert_int_equal(ft_bridge_flow_mod_lines(br, FT_FLOW_ADD, initial, 2, 0,
                                              now_ms(), NULL, &err), 0);
    ft_bridge_dump_flows(br, FT_TABLE_ALL, NULL, 0, 0, credit_cb, NULL);

    assert_int_equal(ft_bridge_replace_flows(br, next, 3, 0, now_ms(), &c,
                                             &err), 0);
    assert_changes(&c, (const char *[]) {
                       "priority=50,tcp,tp_dst=22 actions=output:1" }, 1,
                   (const char *[]) {
                       "priority=50,tcp,tp_dst=22 actions=output:2",
                       "priority=1 actions=NORMAL" }, 2);
    assert_int_equal(ft_bridge_tables(br)->n_rules, 3);

    /* The unchanged rule kept its counters. */
    {
        struct ft_match target;

        assert_int_equal(ft_match_parse("icmp", NULL, &target, &err), 0);
        ft_bridge_dump_flows(br, FT_TABLE_ALL, &target, 0, 0,
                             check_counts_cb, &n);
        assert_int_equal(n, 1);
    }

    /* Replacing with the same set changes nothing. */
    ft_bridge_flow_changes_clear(&c);
    assert_int_equal(ft_bridge_replace_flows(br, next, 3, 0, now_ms(), &c,
                                             &err), 0);
    assert_changes(&c, NULL, 0, NULL, 0);

    ft_bridge_flow_changes_uninit(&c);
    ft_bridge_destroy(br);
}

static void
test_rule_timeouts(void **state)
{
    static const char *const lines[] = {
        "priority=10,hard_timeout=1,ip,actions=drop",
        "priority=9,idle_timeout=5,tcp,actions=drop",
        "priority=1,actions=NORMAL",
    };
    struct ft_bridge *br = make_bridge();
    struct ft_bridge_flow_changes c;
    struct ft_error err;
    long long int t0 = now_ms();

    (void) state;
    ft_bridge_flow_changes_init(&c);
    assert_int_equal(ft_bridge_flow_mod_lines(br, FT_FLOW_ADD, lines, 3, 0,
                                              t0, NULL, &err), 0);
    ft_bridge_revalidate(br, t0 + 500);
    assert_int_equal(ft_bridge_tables(br)->n_rules, 3);
    ft_bridge_revalidate(br, t0 + 1500);
    assert_int_equal(ft_bridge_tables(br)->n_rules, 2);
    ft_bridge_take_expired_flows(br, &c);
    assert_changes(&c, (const char *[]) {
                       "hard_timeout=1, priority=10,ip actions=drop" }, 1,
                   NULL, 0);
    ft_bridge_flow_changes_clear(&c);
    ft_bridge_revalidate(br, t0 + 6000);
    assert_int_equal(ft_bridge_tables(br)->n_rules, 1);
    ft_bridge_take_expired_flows(br, &c);
    assert_int_equal(c.n_removed, 1);
    assert_non_null(strstr(c.removed[0], "idle_timeout=5"));

    ft_bridge_flow_changes_uninit(&c);
    ft_bridge_destroy(br);
}

static void
test_format_flow(void **state)
{
    struct ft_bridge *br = make_bridge();
    struct ds out = DS_EMPTY_INITIALIZER;
    long long int t0 = now_ms();
    struct ft_error err;
    const char *line = "priority=100,icmp,in_port=2,actions=drop";

    (void) state;
    assert_int_equal(ft_bridge_flow_mod_lines(br, FT_FLOW_ADD, &line, 1, 0,
                                              t0, NULL, &err), 0);
    ft_bridge_dump_flows(br, FT_TABLE_ALL, NULL, 0, 0, credit_cb, NULL);
    ft_bridge_dump_flows(br, FT_TABLE_ALL, NULL, 0, 0, format_cb, &out);
    assert_true(!strncmp(ds_cstr(&out), " cookie=0x0, duration=", 22));
    assert_non_null(strstr(ds_cstr(&out), "s, table=0, n_packets=7, "
                           "n_bytes=700, idle_age=0, "
                           "priority=100,icmp,in_port=2 actions=drop"));

    /* With a port name, a cookie and a timeout. */
    ds_clear(&out);
    line = "cookie=0x5,hard_timeout=20,table=3,priority=7,tcp,actions=drop";
    assert_int_equal(ft_bridge_flow_mod_lines(br, FT_FLOW_ADD, &line, 1, 0,
                                              t0, NULL, &err), 0);
    ft_bridge_dump_flows(br, 3, NULL, 0, 0, format_cb, &out);
    assert_non_null(strstr(ds_cstr(&out), " cookie=0x5, duration="));
    assert_non_null(strstr(ds_cstr(&out), "s, table=3, n_packets=0, "
                           "n_bytes=0, hard_timeout=20, idle_age="));
    assert_non_null(strstr(ds_cstr(&out), "priority=7,tcp actions=drop"));
    ds_destroy(&out);
    ft_bridge_destroy(br);
}

static void
test_trace(void **state)
{
    struct ft_bridge *br = make_bridge();
    struct ds out = DS_EMPTY_INITIALIZER;
    struct ft_error err;

    (void) state;
    assert_int_equal(lines_mod(br, FT_FLOW_ADD,
                               "priority=100,icmp,in_port=2,actions=drop", 0,
                               NULL, &err), 0);
    assert_int_equal(ft_bridge_trace(br, "icmp,in_port=2,nw_src=10.0.0.2",
                                     now_ms(), &out, &err), 0);
    assert_non_null(strstr(ds_cstr(&out), " 0. icmp,in_port=2, priority 100"));
    assert_non_null(strstr(ds_cstr(&out), "Datapath actions: drop"));
    assert_int_equal(ft_bridge_trace(br, "icmp,in_port=nosuch", now_ms(),
                                     &out, &err), -EINVAL);
    ds_destroy(&out);
    ft_bridge_destroy(br);
}

static void
test_config_errors(void **state)
{
    struct ft_bridge *br = make_bridge();
    struct ft_bridge_port_cfg pc;
    struct ft_bridge_cfg cfg;
    struct ft_error err;
    char *keys[] = { "max-idle" }, *values[] = { "12" };

    (void) state;
    memset(&cfg, 0, sizeof cfg);
    cfg.fail_mode = "sometimes";
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err),
                     -EINVAL);
    assert_non_null(strstr(err.reason, "fail_mode 'sometimes'"));

    cfg.fail_mode = NULL;
    cfg.other_config.keys = keys;
    cfg.other_config.values = values;
    cfg.other_config.n = 1;
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err),
                     -EINVAL);
    assert_non_null(strstr(err.reason, "max-idle"));

    memset(&cfg, 0, sizeof cfg);
    memset(&pc, 0, sizeof pc);
    pc.name = "p1";
    pc.ofport = 1;
    pc.tag = -1;
    pc.vlan_mode = "sideways";
    cfg.ports = &pc;
    cfg.n_ports = 1;
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err),
                     -EINVAL);
    assert_non_null(strstr(err.reason, "vlan_mode 'sideways'"));

    /* The bridge's own port is internal and LOCAL (other internal ports
     * may have any other name). */
    pc.vlan_mode = NULL;
    pc.name = "br0";
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err),
                     -EINVAL);
    assert_non_null(strstr(err.reason, "bridge's own port"));
    assert_int_equal(ft_bridge_port_map(br)->n, 0);
    ft_bridge_destroy(br);
}

/* ---- Packet tests (root, own network namespace). ---- */



static void
port_stats_cb(const struct ft_bridge_port_stats *ps, void *aux)
{
    uint64_t *rx = aux;

    if (ps->port == 1) {
        *rx = ps->rx_packets;
    }
}

static void
test_normal_forwarding(void **state)
{
    struct ft_bridge *br;
    struct ds s = DS_EMPTY_INITIALIZER;
    uint64_t rx = 0;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_switch(false, NULL, NULL, 0);

    /* Broadcast from a0p: flooded to b0p and to LOCAL. */
    inject(0, 1, 0xff, FT_IPPROTO_UDP, 53, 0x11111111);
    assert_true(expect_tag(br, peer_fd[1], 0x11111111, 1000));
    assert_true(expect_tag(br, local_fd, 0x11111111, 1000));

    /* Reply from b0p to the learned MAC: only a0p gets it. */
    drain(local_fd);
    inject(1, 2, 1, FT_IPPROTO_UDP, 53, 0x22222222);
    assert_true(expect_tag(br, peer_fd[0], 0x22222222, 1000));
    assert_false(expect_tag(br, local_fd, 0x22222222, 100));

    /* And now a0p -> b0p is unicast too. */
    inject(0, 1, 2, FT_IPPROTO_UDP, 53, 0x33333333);
    assert_true(expect_tag(br, peer_fd[1], 0x33333333, 1000));
    assert_false(expect_tag(br, local_fd, 0x33333333, 100));

    ft_bridge_dump_dp_flows(br, dp_flow_cb, &s);
    assert_non_null(strstr(ds_cstr(&s), "tier:user"));
    assert_non_null(strstr(ds_cstr(&s), "not in hw: hw-offload is off "
                           "(other_config:hw-offload=true turns it on)"));
    assert_non_null(strstr(ds_cstr(&s), "not in kernel: no offload "
                           "provider"));
    assert_non_null(strstr(ds_cstr(&s), "in_port=1,"));

    ft_bridge_dump_ports(br, port_stats_cb, &rx);
    assert_true(rx >= 2);

    ds_destroy(&s);
    destroy_switch(br);

    /* The bridge's own device went with it. */
    assert_int_equal(if_nametoindex("br0"), 0);
}

static void
test_flow_mod_revalidates(void **state)
{
    struct ft_bridge_stats st;
    struct ft_bridge *br;
    struct ft_error err;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_switch(false, NULL, NULL, 0);

    /* Learn both MACs; then ICMP and TCP go through. */
    inject(0, 1, 2, FT_IPPROTO_UDP, 1, 0x40404040);
    assert_true(expect_tag(br, peer_fd[1], 0x40404040, 1000));
    inject(1, 2, 1, FT_IPPROTO_UDP, 1, 0x41414141);
    assert_true(expect_tag(br, peer_fd[0], 0x41414141, 1000));
    inject(0, 1, 2, FT_IPPROTO_ICMP, 0, 0x42424242);
    assert_true(expect_tag(br, peer_fd[1], 0x42424242, 1000));
    inject(0, 1, 2, FT_IPPROTO_TCP, 80, 0x43434343);
    assert_true(expect_tag(br, peer_fd[1], 0x43434343, 1000));

    /* Drop ICMP: the revalidator fixes the installed megaflows. */
    assert_int_equal(lines_mod(br, FT_FLOW_ADD,
                               "priority=100,icmp,actions=drop", 0, NULL,
                               &err), 0);
    assert_true(ft_bridge_next_wakeup(br) <= now_ms()
                + FT_BRIDGE_REVALIDATE_SOON);
    ft_bridge_revalidate(br, now_ms());
    ft_bridge_get_stats(br, &st);
    assert_true(st.n_megaflows_modified + st.n_megaflows_deleted >= 1);

    inject(0, 1, 2, FT_IPPROTO_ICMP, 0, 0x44444444);
    assert_false(expect_tag(br, peer_fd[1], 0x44444444, 300));
    inject(0, 1, 2, FT_IPPROTO_TCP, 80, 0x45454545);
    assert_true(expect_tag(br, peer_fd[1], 0x45454545, 1000));

    /* Delete it again: ICMP flows once more. */
    assert_int_equal(lines_mod(br, FT_FLOW_DELETE_STRICT,
                               "priority=100,icmp", 0, NULL, &err), 0);
    ft_bridge_revalidate(br, now_ms());
    inject(0, 1, 2, FT_IPPROTO_ICMP, 0, 0x46464646);
    assert_true(expect_tag(br, peer_fd[1], 0x46464646, 1000));

    destroy_switch(br);
}

struct rule_count {
    uint64_t n_packets, n_bytes;
};

static void
udp_rule_cb(const struct ft_ofrule *rule, void *aux)
{
    struct rule_count *rc = aux;

    rc->n_packets = rule->stats.n_packets;
    rc->n_bytes = rule->stats.n_bytes;
}

static void
test_counters(void **state)
{
    struct ft_bridge *br;
    struct rule_count rc = { 0, 0 };
    struct ft_match target;
    struct ft_error err;
    uint8_t f[256];
    size_t len = make_frame(f, 1, 2, FT_IPPROTO_UDP, 1000, 7, 0);

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_switch(false, NULL, NULL, 0);
    assert_int_equal(lines_mod(br, FT_FLOW_ADD,
                               "priority=50,udp,tp_dst=7,actions=NORMAL", 0,
                               NULL, &err), 0);
    for (uint32_t i = 0; i < 10; i++) {
        inject(0, 1, 2, FT_IPPROTO_UDP, 7, 0x50500000 + i);
        assert_true(expect_tag(br, peer_fd[1], 0x50500000 + i, 1000));
    }
    assert_int_equal(ft_match_parse("udp,tp_dst=7", NULL, &target, &err), 0);

    /* Whatever the periodic passes credited so far, a pass now credits
     * the rest: exactly the packets sent. */
    ft_bridge_revalidate(br, now_ms());
    ft_bridge_dump_flows(br, 0, &target, 0, 0, udp_rule_cb, &rc);
    assert_int_equal(rc.n_packets, 10);
    assert_int_equal(rc.n_bytes, 10 * len);

    /* A second pass credits only what is new. */
    ft_bridge_revalidate(br, now_ms());
    ft_bridge_dump_flows(br, 0, &target, 0, 0, udp_rule_cb, &rc);
    assert_int_equal(rc.n_packets, 10);

    {
        struct ds s = DS_EMPTY_INITIALIZER;

        ft_bridge_dump_flows(br, 0, &target, 0, 0, collect_texts_cb, &s);
        assert_non_null(strstr(ds_cstr(&s), "tp_dst=7"));
        ds_destroy(&s);
    }
    destroy_switch(br);
}

static void
test_max_idle(void **state)
{
    char *keys[] = { "max-idle" }, *values[] = { "1000" };
    struct ft_bridge_stats st;
    struct ft_bridge *br;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_switch(false, keys, values, 1);
    inject(0, 1, 2, FT_IPPROTO_UDP, 9, 0x60606060);
    assert_true(expect_tag(br, peer_fd[1], 0x60606060, 1000));
    ft_bridge_get_stats(br, &st);
    assert_true(st.n_megaflows >= 1);
    assert_int_equal(st.max_idle, 1000);

    ft_bridge_revalidate(br, now_ms());
    ft_bridge_get_stats(br, &st);
    assert_true(st.n_megaflows >= 1);

    ft_bridge_revalidate(br, now_ms() + 1500);
    ft_bridge_get_stats(br, &st);
    assert_int_equal(st.n_megaflows, 0);
    assert_true(st.n_megaflows_expired >= 1);
    destroy_switch(br);
}

static void
test_flow_limit(void **state)
{
    char *keys[] = { "flow-limit" }, *values[] = { "2" };
    struct ft_bridge_stats st;
    struct ft_bridge *br;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_switch(false, keys, values, 1);

    /* Each source MAC makes its own NORMAL megaflow. */
    for (int i = 0; i < 5; i++) {
        inject(0, 0x10 + i, 0xff, FT_IPPROTO_UDP, 9, 0x70707070 + i);
        assert_true(expect_tag(br, peer_fd[1], 0x70707070 + i, 1000));
    }
    ft_bridge_get_stats(br, &st);
    assert_int_equal(st.flow_limit, 2);
    assert_true(st.n_megaflows <= 2);
    assert_true(st.n_flow_limit_hits >= 3);
    destroy_switch(br);
}

/* Runs the bridge until 'fd' receives a frame carrying 'tag' and returns
 * its VLAN ID (-1 if untagged), or -2 if none came within 'ms'. */
static int
expect_vid(struct ft_bridge *br, int fd, uint32_t tag, int ms)
{
    long long int deadline = now_ms() + ms;
    int one = 1;

    /* The kernel may take the tag out of the frame and report it beside
     * it. */
    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one);
    do {
        union {
            struct cmsghdr cmsg;
            char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
        } ctl;
        uint8_t buf[4096];
        struct sockaddr_ll sll;
        struct iovec iov = { buf, sizeof buf };
        struct msghdr msg;
        ssize_t n;

        ft_bridge_run(br, now_ms());
        ft_bridge_periodic(br, now_ms());
        memset(&msg, 0, sizeof msg);
        msg.msg_name = &sll;
        msg.msg_namelen = sizeof sll;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = &ctl;
        msg.msg_controllen = sizeof ctl;
        while ((n = recvmsg(fd, &msg, 0)) > 0) {
            if (sll.sll_pkttype != PACKET_OUTGOING
                && memmem(buf, n, &tag, sizeof tag)) {
                struct cmsghdr *c;

                for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                    struct tpacket_auxdata *aux = (void *) CMSG_DATA(c);

                    if (c->cmsg_level == SOL_PACKET
                        && c->cmsg_type == PACKET_AUXDATA
                        && aux->tp_status & TP_STATUS_VLAN_VALID) {
                        return aux->tp_vlan_tci & 0xfff;
                    }
                }
                if (n >= 18 && buf[12] == 0x81 && buf[13] == 0x00) {
                    return ((buf[14] << 8) | buf[15]) & 0xfff;
                }
                return -1;
            }
            msg.msg_namelen = sizeof sll;
            msg.msg_controllen = sizeof ctl;
        }
        usleep(1000);
    } while (now_ms() < deadline);
    return -2;
}

static void
test_vlan_config(void **state)
{
    struct ft_bridge_cfg cfg;
    struct ft_bridge *br;
    struct ft_error err;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_switch(false, NULL, NULL, 0);

    /* a0 in VLAN 20, b0 in VLAN 10: a broadcast from a0p stays in 20. */
    port_cfgs[0].tag = 20;
    port_cfgs[1].tag = 10;
    memset(&cfg, 0, sizeof cfg);
    cfg.ports = port_cfgs;
    cfg.n_ports = 3;
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err), 0);
    inject(0, 1, 0xff, FT_IPPROTO_UDP, 53, 0x90909090);
    assert_false(expect_tag(br, peer_fd[1], 0x90909090, 200));

    /* Both in VLAN 10: the installed megaflow is revalidated. */
    port_cfgs[0].tag = 10;
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err), 0);
    inject(0, 1, 0xff, FT_IPPROTO_UDP, 53, 0x91919191);
    assert_int_equal(expect_vid(br, peer_fd[1], 0x91919191, 1000), -1);

    /* b0 a trunk of VLAN 10 only: the frame arrives tagged 10. */
    port_cfgs[1].tag = -1;
    port_cfgs[1].trunks = (const int64_t[]) { 10 };
    port_cfgs[1].n_trunks = 1;
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err), 0);
    drain(peer_fd[1]);
    inject(0, 1, 0xff, FT_IPPROTO_UDP, 53, 0x92929292);
    assert_int_equal(expect_vid(br, peer_fd[1], 0x92929292, 1000), 10);
    destroy_switch(br);
}

static void
test_xlate_error_drop_flow(void **state)
{
    struct ft_bridge_stats st;
    struct ft_bridge *br;
    struct ft_error err;
    struct ds s = DS_EMPTY_INITIALIZER;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_switch(false, NULL, NULL, 0);
    assert_int_equal(lines_mod(br, FT_FLOW_ADD,
                               "priority=10,udp,actions=resubmit(,1)", 0,
                               NULL, &err), 0);
    assert_int_equal(lines_mod(br, FT_FLOW_ADD,
                               "table=1,priority=10,actions=resubmit(,1)",
                               0, NULL, &err), 0);
    ft_bridge_set_log(br, NULL);

    /* The loop fails translation: a drop megaflow takes the rest. */
    inject(0, 1, 2, FT_IPPROTO_UDP, 5, 0xa0a0a0a0);
    assert_false(expect_tag(br, peer_fd[1], 0xa0a0a0a0, 200));
    inject(0, 1, 2, FT_IPPROTO_UDP, 5, 0xa1a1a1a1);
    assert_false(expect_tag(br, peer_fd[1], 0xa1a1a1a1, 200));
    ft_bridge_get_stats(br, &st);
    assert_int_equal(st.n_xlate_errors, 1);
    assert_int_equal(st.n_missed, 1);
    ft_bridge_dump_dp_flows(br, dp_flow_cb, &s);
    assert_non_null(strstr(ds_cstr(&s), "packets:2, "));
    assert_non_null(strstr(ds_cstr(&s), "actions:drop"));
    ds_destroy(&s);

    /* Other traffic is unaffected. */
    inject(0, 1, 2, FT_IPPROTO_TCP, 5, 0xa2a2a2a2);
    assert_true(expect_tag(br, peer_fd[1], 0xa2a2a2a2, 1000));
    destroy_switch(br);
}

struct port_list {
    char names[8][16];
    int n;
};

static void
port_list_cb(const struct ft_bridge_port_stats *ps, void *aux)
{
    struct port_list *pl = aux;

    snprintf(pl->names[pl->n++], sizeof pl->names[0], "%s", ps->name);
}

static void
test_port_add_failure(void **state)
{
    struct ft_bridge_port_cfg ports[N_VETH + 2];
    struct port_list pl = { .n = 0 };
    struct ft_bridge_cfg cfg;
    struct ft_bridge *br;
    struct ft_error err;
    ft_port_no no;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_switch(false, NULL, NULL, 0);

    /* Add c0 (fine) and vnet9 (no such device): neither is added. */
    memcpy(ports, port_cfgs, 3 * sizeof *ports);
    memset(&ports[3], 0, 2 * sizeof *ports);
    ports[3].name = "c0";
    ports[3].ofport = 3;
    ports[3].tag = -1;
    ports[4].name = "vnet9";
    ports[4].ofport = 9;
    ports[4].tag = -1;
    memset(&cfg, 0, sizeof cfg);
    cfg.ports = ports;
    cfg.n_ports = 5;
    assert_int_not_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err), 0);
    assert_non_null(strstr(err.reason, "vnet9"));
    assert_int_equal(ft_port_map_find_name(ft_bridge_port_map(br), "c0", &no),
                     -ENOENT);
    ft_bridge_dump_ports(br, port_list_cb, &pl);
    assert_int_equal(pl.n, 3);
    assert_string_equal(pl.names[0], "a0");
    assert_string_equal(pl.names[1], "b0");
    assert_string_equal(pl.names[2], "br0");

    /* The old ports still forward. */
    inject(0, 1, 0xff, FT_IPPROTO_UDP, 53, 0x80808080);
    assert_true(expect_tag(br, peer_fd[1], 0x80808080, 1000));

    /* a0 renumbered together with the bad port: a0 is closed for its new
     * number, then opened again with the old one. */
    ports[0].ofport = 5;
    assert_int_not_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err), 0);
    assert_int_equal(ft_port_map_find_name(ft_bridge_port_map(br), "a0", &no),
                     0);
    assert_int_equal(no, 1);
    inject(0, 1, 0xff, FT_IPPROTO_UDP, 53, 0x83838383);
    assert_true(expect_tag(br, peer_fd[1], 0x83838383, 1000));
    ports[0].ofport = 1;

    /* Without the bad port, c0 joins and gets floods. */
    cfg.n_ports = 4;
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err), 0);
    assert_int_equal(ft_port_map_find_name(ft_bridge_port_map(br), "c0", &no),
                     0);
    assert_int_equal(no, 3);
    ft_bridge_revalidate(br, now_ms());
    inject(0, 1, 0xff, FT_IPPROTO_UDP, 53, 0x81818181);
    assert_true(expect_tag(br, peer_fd[2], 0x81818181, 1000));

    /* Removing b0: floods no longer reach it. */
    ports[1] = ports[3];
    cfg.n_ports = 3;
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err), 0);
    ft_bridge_revalidate(br, now_ms());
    drain(peer_fd[1]);
    inject(0, 1, 0xff, FT_IPPROTO_UDP, 53, 0x82828282);
    assert_true(expect_tag(br, peer_fd[2], 0x82828282, 1000));
    assert_false(expect_tag(br, peer_fd[1], 0x82828282, 100));
    destroy_switch(br);
}

/* A port whose device is missing is kept, not open, with a reason; it
 * opens once the device appears, and closes again when the device goes,
 * while the other ports keep forwarding. */
static void
test_port_kept_failed(void **state)
{
    struct ft_bridge_port_cfg ports[5];
    struct port_list pl = { .n = 0 };
    struct ft_bridge_cfg cfg;
    struct ft_bridge *br;
    struct ft_error err;
    const char *why;
    ft_port_no no;
    int d0p;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_switch(false, NULL, NULL, 0);
    memcpy(ports, port_cfgs, 3 * sizeof *ports);
    memset(&ports[3], 0, 2 * sizeof *ports);
    ports[3].name = "d0";
    ports[3].ofport = 4;
    ports[3].tag = -1;
    ports[4].name = "e0";
    ports[4].ofport = 5;
    ports[4].tag = -1;
    memset(&cfg, 0, sizeof cfg);
    cfg.ports = ports;
    cfg.n_ports = 4;

    /* Refused for a command; kept when asked to. */
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err),
                     -ENODEV);
    assert_int_equal(ft_bridge_n_failed_ports(br), 0);
    cfg.keep_failed_ports = true;
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err), 0);
    assert_int_equal(ft_bridge_n_failed_ports(br), 1);
    why = ft_bridge_port_error(br, "d0");
    assert_non_null(why);
    assert_string_equal(why, "could not open network device d0 (No such "
                        "device)");
    assert_null(ft_bridge_port_error(br, "a0"));
    assert_int_equal(ft_port_map_find_name(ft_bridge_port_map(br), "d0", &no),
                     0);
    assert_int_equal(no, 4);
    ft_bridge_dump_ports(br, port_list_cb, &pl);
    assert_int_equal(pl.n, 3);

    /* A failing port that stays does not fail a command; a new one
     * does, and changes nothing. */
    cfg.keep_failed_ports = false;
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err), 0);
    cfg.n_ports = 5;
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err),
                     -ENODEV);
    assert_non_null(strstr(err.reason, "e0"));
    assert_int_equal(ft_port_map_find_name(ft_bridge_port_map(br), "e0", &no),
                     -ENOENT);
    cfg.n_ports = 4;

    /* The others forward; nothing is checked while d0 is missing. */
    inject(0, 1, 0xff, FT_IPPROTO_UDP, 53, 0x84848484);
    assert_true(expect_tag(br, peer_fd[1], 0x84848484, 1000));
    assert_int_equal(ft_bridge_check_ports(br, now_ms()), 0);

    /* The device appears: the next check opens it, and floods reach it. */
    assert_int_equal(sh("ip link add d0 type veth peer name d0p && "
                        "ip link set d0 up && ip link set d0p up"), 0);
    d0p = open_sniffer("d0p");
    assert_true(d0p >= 0);
    assert_int_equal(ft_bridge_check_ports(br, now_ms()), 1);
    assert_null(ft_bridge_port_error(br, "d0"));
    assert_int_equal(ft_bridge_n_failed_ports(br), 0);
    pl.n = 0;
    ft_bridge_dump_ports(br, port_list_cb, &pl);
    assert_int_equal(pl.n, 4);
    drain(d0p);
    inject(0, 1, 0xff, FT_IPPROTO_UDP, 53, 0x85858585);
    assert_true(expect_tag(br, d0p, 0x85858585, 1000));
    close(d0p);

    /* The device goes while the bridge runs: closed, kept, and the rest
     * goes on. */
    assert_int_equal(sh("ip link del d0"), 0);
    ft_bridge_run(br, now_ms());
    assert_int_equal(ft_bridge_check_ports(br, now_ms()), 1);
    why = ft_bridge_port_error(br, "d0");
    assert_non_null(why);
    assert_non_null(strstr(why, "No such device"));
    inject(0, 1, 0xff, FT_IPPROTO_UDP, 53, 0x86868686);
    assert_true(expect_tag(br, peer_fd[1], 0x86868686, 1000));
    destroy_switch(br);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_changes),
        cmocka_unit_test(test_meter_refused),
        cmocka_unit_test(test_atomic_batch),
        cmocka_unit_test(test_replace_flows),
        cmocka_unit_test(test_rule_timeouts),
        cmocka_unit_test(test_format_flow),
        cmocka_unit_test(test_trace),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_normal_forwarding),
        cmocka_unit_test(test_flow_mod_revalidates),
        cmocka_unit_test(test_counters),
        cmocka_unit_test(test_max_idle),
        cmocka_unit_test(test_flow_limit),
        cmocka_unit_test(test_vlan_config),
        cmocka_unit_test(test_xlate_error_drop_flow),
        cmocka_unit_test(test_port_add_failure),
        cmocka_unit_test(test_port_kept_failed),
    };

    return cmocka_run_group_tests(tests, setup_netns, teardown_netns);
}

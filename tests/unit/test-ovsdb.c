/*
 * test-ovsdb.c - unit tests for the OVSDB endpoint (mgmt/ovsdb/): the
 * stream splitter fed every truncation and every byte alone, message
 * classification with wrong types, each transact operation and its
 * Open vSwitch error string, garbage collection and reference checks, a
 * fuzz of wrong-typed members in every operation, the translation of a
 * changed view into FlowTier commands (and the refusals naming a table or
 * column), and monitor updates.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "mgmt/db/db.h"
#include "mgmt/ovsdb/ovsdb-private.h"

/* ---- Fixture: the schema and a view of an empty database. ---- */

struct fixture {
    struct ov_schema *schema;
    struct ft_db *db;
    char dir[64];
    json_t *view;
    json_t *recreated;          /* From the last run(). */
};

static const struct ov_txn_hooks hooks = {
    ov_view_uuid_for, ov_view_reinserted
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct ft_db_options opts = { .no_fsync = true };
    struct ov_cfg cfg = { 0, 0 };
    struct ft_error err;

    assert_non_null(f);
    assert_int_equal(ov_schema_create(ft_ovsdb_schema_text, &f->schema,
                                      &err), 0);
    strcpy(f->dir, "/tmp/ft-test-ovsdb-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(ft_db_open(f->dir, &opts, &f->db, NULL, &err), 0);
    f->view = ov_view_build(f->schema, f->db, &cfg, NULL);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    char path[128];

    json_decref(f->view);
    json_decref(f->recreated);
    ft_db_close(f->db);
    ov_schema_destroy(f->schema);
    snprintf(path, sizeof path, "%s/flowtier.db", f->dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/flowtier.db.lock", f->dir);
    unlink(path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static const char *
root_uuid(struct fixture *f)
{
    const char *uuid;
    json_t *row;

    json_object_foreach (json_object_get(f->view, "Open_vSwitch"), uuid,
                         row) {
        return uuid;
    }
    fail_msg("no Open_vSwitch row");
    return NULL;
}

/* Runs 'ops_text' (with %s standing for the root row's UUID) on a copy
 * of the view; returns the results and leaves the copy in '*after'. */
static json_t *
run(struct fixture *f, const char *ops_text, bool *ok, json_t **after)
{
    char buf[4096];
    json_error_t jerr;
    json_t *ops, *view, *results;

    snprintf(buf, sizeof buf, ops_text, root_uuid(f), root_uuid(f));
    ops = json_loads(buf, 0, &jerr);
    if (!ops) {
        fail_msg("bad test JSON: %s: %s", jerr.text, buf);
    }
    view = json_deep_copy(f->view);
    json_decref(f->recreated);
    f->recreated = json_object();
    results = ov_txn_run(f->schema, &hooks, view, ops, ok, f->recreated);
    json_decref(ops);
    if (after) {
        *after = view;
    } else {
        json_decref(view);
    }
    return results;
}

/* The error tag of result 'i', or "" if it is not an error. */
static const char *
tag(const json_t *results, size_t i)
{
    const char *t = json_string_value(json_object_get(
                                          json_array_get(results, i),
                                          "error"));
    return t ? t : "";
}

static bool
details_has(const json_t *results, size_t i, const char *needle)
{
    const char *d = json_string_value(json_object_get(
                                          json_array_get(results, i),
                                          "details"));
    return d && strstr(d, needle);
}

/* ---- Framing. ---- */

static void
test_splitter(void **state)
{
    static const char stream[] =
        "{\"method\":\"echo\",\"params\":[\"}{\\\"[\"],\"id\":1}"
        "  [1,[2,{\"a\":\"]\"}]]\n{\"id\":null,\"result\":{}}";
    static const size_t lens[] = { 43, 17, 23 };
    struct ov_splitter sp;
    struct ft_error err;
    const char *msg;
    size_t len, n;

    (void) state;
    /* Whole, then one byte at a time. */
    for (int mode = 0; mode < 2; mode++) {
        ov_splitter_init(&sp, 1024);
        n = 0;
        for (size_t i = 0; i < strlen(stream); i++) {
            if (mode == 0 && i) {
                break;
            }
            ov_splitter_feed(&sp, stream + i, mode ? 1 : strlen(stream));
            while (ov_splitter_next(&sp, &msg, &len, &err) == 1) {
                assert_true(n < 3);
                assert_int_equal(len, lens[n]);
                json_decref(json_loadb(msg, len, 0, NULL));
                n++;
            }
        }
        assert_int_equal(n, 3);
        ov_splitter_uninit(&sp);
    }

    /* Every truncation of the first message is incomplete, not an
     * error. */
    for (size_t cut = 0; cut < lens[0]; cut++) {
        ov_splitter_init(&sp, 1024);
        ov_splitter_feed(&sp, stream, cut);
        assert_int_equal(ov_splitter_next(&sp, &msg, &len, &err), 0);
        ov_splitter_uninit(&sp);
    }

    /* Not an object or array; too long. */
    ov_splitter_init(&sp, 1024);
    ov_splitter_feed(&sp, " 42", 3);
    assert_int_equal(ov_splitter_next(&sp, &msg, &len, &err), -EPROTO);
    assert_non_null(strstr(err.reason, "'4'"));
    ov_splitter_uninit(&sp);
    ov_splitter_init(&sp, 16);
    ov_splitter_feed(&sp, "[\"0123456789abcdefghij\"]", 24);
    assert_int_equal(ov_splitter_next(&sp, &msg, &len, &err), -EMSGSIZE);
    ov_splitter_uninit(&sp);
}

static void
test_msg_parse(void **state)
{
    static const struct {
        const char *text;
        int result;
        int type;
    } cases[] = {
        { "{\"method\":\"echo\",\"params\":[],\"id\":0}", 0, OV_REQUEST },
        { "{\"method\":\"update\",\"params\":[],\"id\":null}", 0, OV_NOTIFY },
        { "{\"method\":\"update\",\"params\":[]}", 0, OV_NOTIFY },
        { "{\"result\":[],\"error\":null,\"id\":\"echo\"}", 0, OV_REPLY },
        { "[\"method\"]", -EINVAL, 0 },
        { "{\"method\":1,\"params\":[],\"id\":1}", -EINVAL, 0 },
        { "{\"method\":\"echo\",\"params\":{},\"id\":1}", -EINVAL, 0 },
        { "{\"method\":\"echo\",\"id\":1}", -EINVAL, 0 },
        { "{\"result\":[]}", -EINVAL, 0 },
        { "{}", -EINVAL, 0 },
    };
    struct ft_error err;
    struct ov_msg m;

    (void) state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j = json_loads(cases[i].text, 0, NULL);

        assert_non_null(j);
        assert_int_equal(ov_msg_parse(j, &m, &err), cases[i].result);
        if (!cases[i].result) {
            assert_int_equal(m.type, cases[i].type);
        } else {
            assert_true(strlen(err.reason) > 0);
        }
        json_decref(j);
    }
}

/* ---- Operations. ---- */

static void
test_insert_gc_and_refs(void **state)
{
    struct fixture *f = *state;
    json_t *r, *after;
    bool ok;

    /* A bridge nobody refers to is garbage collected. */
    r = run(f, "[{\"op\":\"insert\",\"table\":\"Bridge\","
            "\"row\":{\"name\":\"br9\"}}]", &ok, &after);
    assert_true(ok);
    assert_int_equal(json_object_size(json_object_get(after, "Bridge")), 0);
    json_decref(r);
    json_decref(after);

    /* Referred to from the root: kept, with its port and interface. */
    r = run(f, "[{\"op\":\"insert\",\"table\":\"Bridge\",\"uuid-name\":\"b\","
            "\"row\":{\"name\":\"br0\",\"ports\":[\"named-uuid\",\"p\"]}},"
            "{\"op\":\"insert\",\"table\":\"Port\",\"uuid-name\":\"p\","
            "\"row\":{\"name\":\"br0\",\"interfaces\":[\"named-uuid\",\"i\"]}},"
            "{\"op\":\"insert\",\"table\":\"Interface\",\"uuid-name\":\"i\","
            "\"row\":{\"name\":\"br0\",\"type\":\"internal\"}},"
            "{\"op\":\"mutate\",\"table\":\"Open_vSwitch\",\"where\":[],"
            "\"mutations\":[[\"bridges\",\"insert\",[\"set\","
            "[[\"named-uuid\",\"b\"]]]],[\"next_cfg\",\"+=\",1]]},"
            "{\"op\":\"select\",\"table\":\"Open_vSwitch\",\"where\":[],"
            "\"columns\":[\"next_cfg\"]}]", &ok, &after);
    assert_true(ok);
    assert_int_equal(json_object_size(json_object_get(after, "Port")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(
        json_object_get(json_array_get(r, 4), "rows"), 0), "next_cfg")), 1);
    json_decref(r);
    json_decref(after);

    /* A strong reference to nothing. */
    r = run(f, "[{\"op\":\"update\",\"table\":\"Open_vSwitch\",\"where\":[],"
            "\"row\":{\"bridges\":[\"uuid\","
            "\"01234567-89ab-cdef-0123-456789abcdef\"]}}]", &ok, NULL);
    assert_false(ok);
    assert_string_equal(tag(r, 1), "referential integrity violation");
    json_decref(r);

    /* Two bridges of one name (the index, checked after the garbage
     * collection as ovsdb-server does: both are referenced). */
    r = run(f, "[{\"op\":\"insert\",\"table\":\"Bridge\",\"uuid-name\":\"a\","
            "\"row\":{\"name\":\"x\"}},{\"op\":\"insert\",\"table\":\"Bridge\","
            "\"uuid-name\":\"b\",\"row\":{\"name\":\"x\"}},"
            "{\"op\":\"update\",\"table\":\"Open_vSwitch\",\"where\":[],"
            "\"row\":{\"bridges\":[\"set\",[[\"named-uuid\",\"a\"],"
            "[\"named-uuid\",\"b\"]]]}}]", &ok, NULL);
    assert_false(ok);
    assert_string_equal(tag(r, 3), "constraint violation");
    assert_true(details_has(r, 3, "identical values"));
    json_decref(r);
    /* Unreferenced, both are collected before the index is checked. */
    r = run(f, "[{\"op\":\"insert\",\"table\":\"Bridge\",\"uuid-name\":\"a\","
            "\"row\":{\"name\":\"x\"}},{\"op\":\"insert\",\"table\":\"Bridge\","
            "\"uuid-name\":\"b\",\"row\":{\"name\":\"x\"}}]", &ok, NULL);
    assert_true(ok);
    json_decref(r);
}

/* The commands that turn the fixture's view into 'after' (the rows
 * f->recreated names deleted and inserted again), as compact JSON text
 * for the caller to free. */
static char *
commands_text(struct fixture *f, const json_t *after)
{
    struct ov_cfg cfg = { 0, 0 };
    json_t *cmds = NULL, *error;
    char *text;

    error = ov_view_commands(f->schema, f->view, after, f->recreated, &cmds,
                             &cfg);
    assert_null(error);
    text = json_dumps(cmds, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(cmds);
    return text;
}

/* Checks that the commands take port p1 off bridge 'from' and add a new
 * p1 to bridge 'to'. */
static void
assert_p1_readded(struct fixture *f, const json_t *after, const char *from,
                  const char *to)
{
    char want[512], *text = commands_text(f, after);

    snprintf(want, sizeof want,
             "[{\"method\":\"del-port\",\"params\":{\"bridge\":\"%s\","
             "\"port\":\"p1\"}},{\"method\":\"add-port\",\"params\":"
             "{\"bridge\":\"%s\",\"port\":\"p1\"}},{\"method\":\"set\","
             "\"params\":{\"args\":[\"type=system\"],\"record\":\"p1\","
             "\"table\":\"Interface\"}}]", from, to);
    assert_string_equal(text, want);
    free(text);
}

/* Puts in 'ops' what ovs-vsctl sends for "del-port br0 p1 -- add-port
 * 'to' p1": br0 loses the reference to 'port_uuid', the Port and
 * Interface rows are inserted again, 'to' gains the reference. */
static void
move_p1_ops(char *ops, size_t size, const char *port_uuid, const char *to)
{
    snprintf(ops, size, "[{\"op\":\"mutate\",\"table\":\"Bridge\","
             "\"where\":[[\"name\",\"==\",\"br0\"]],\"mutations\":[[\"ports\","
             "\"delete\",[\"set\",[[\"uuid\",\"%s\"]]]]]},"
             "{\"op\":\"insert\",\"table\":\"Port\",\"uuid-name\":\"p\","
             "\"row\":{\"name\":\"p1\",\"interfaces\":[\"named-uuid\",\"i\"]}},"
             "{\"op\":\"insert\",\"table\":\"Interface\",\"uuid-name\":\"i\","
             "\"row\":{\"name\":\"p1\"}},"
             "{\"op\":\"mutate\",\"table\":\"Bridge\",\"where\":[[\"name\","
             "\"==\",\"%s\"]],\"mutations\":[[\"ports\",\"insert\",[\"set\","
             "[[\"named-uuid\",\"p\"]]]]]}]", port_uuid, to);
}

/* Moving a port between bridges in one transaction ("del-port br0 p1 --
 * add-port br1 p1"): the new Port and Interface rows have the names, and
 * so the UUIDs, of rows the commit's garbage collection removes.  They
 * get those UUIDs once the old rows are gone; without the removal the
 * name index refuses the transaction. */
static void
test_move_port(void **state)
{
    struct fixture *f = *state;
    json_t *r, *after, *row, *ports;
    char port_uuid[37], br_uuid[37], ops[2048], *text;
    const char *uuid;
    bool ok;

    r = run(f, "[{\"op\":\"insert\",\"table\":\"Bridge\",\"uuid-name\":\"b0\","
            "\"row\":{\"name\":\"br0\",\"ports\":[\"named-uuid\",\"p\"]}},"
            "{\"op\":\"insert\",\"table\":\"Bridge\",\"uuid-name\":\"b1\","
            "\"row\":{\"name\":\"br1\"}},"
            "{\"op\":\"insert\",\"table\":\"Port\",\"uuid-name\":\"p\","
            "\"row\":{\"name\":\"p1\",\"interfaces\":[\"named-uuid\",\"i\"],"
            "\"tag\":5}},"
            "{\"op\":\"insert\",\"table\":\"Interface\",\"uuid-name\":\"i\","
            "\"row\":{\"name\":\"p1\"}},"
            "{\"op\":\"update\",\"table\":\"Open_vSwitch\",\"where\":[],"
            "\"row\":{\"bridges\":[\"set\",[[\"named-uuid\",\"b0\"],"
            "[\"named-uuid\",\"b1\"]]]}}]", &ok, &after);
    assert_true(ok);
    json_decref(r);
    json_decref(f->view);
    f->view = after;

    row = json_pack("{s:s}", "name", "p1");
    ov_view_uuid_for(ov_schema_table(f->schema, "Port"), row, port_uuid);
    json_decref(row);
    assert_non_null(json_object_get(json_object_get(f->view, "Port"),
                                    port_uuid));
    /* A status column the switch filled in: the move must not read as a
     * client writing it. */
    json_object_foreach (json_object_get(f->view, "Interface"), uuid, row) {
        json_object_set_new(row, "admin_state", json_string("up"));
    }

    /* The move, as ovs-vsctl sends it. */
    move_p1_ops(ops, sizeof ops, port_uuid, "br1");

    r = run(f, ops, &ok, &after);
    assert_true(ok);
    /* The insert's result names the row by the UUID it has after the
     * commit. */
    text = json_dumps(json_array_get(r, 1), JSON_COMPACT);
    assert_non_null(strstr(text, port_uuid));
    free(text);
    assert_int_equal(json_object_size(json_object_get(after, "Port")), 1);
    assert_int_equal(json_object_size(json_object_get(after, "Interface")),
                     1);
    json_object_foreach (json_object_get(after, "Interface"), uuid, row) {
        assert_string_equal(json_string_value(json_object_get(
                                row, "admin_state")), "up");
    }
    json_object_foreach (json_object_get(after, "Bridge"), uuid, row) {
        const char *name = json_string_value(json_object_get(row, "name"));

        ports = json_object_get(row, "ports");
        text = json_dumps(ports, JSON_COMPACT);
        if (!strcmp(name, "br1")) {
            assert_non_null(strstr(text, port_uuid));
        } else {
            assert_null(strstr(text, port_uuid));
        }
        free(text);
    }
    assert_non_null(json_object_get(f->recreated, port_uuid));
    assert_p1_readded(f, after, "br0", "br1");
    json_decref(r);
    json_decref(after);

    /* Deleted and added again on the same bridge ("del-port br0 p1 --
     * add-port br0 p1"): a new port, not the old one edited in place, so
     * its tag goes with the old row. */
    move_p1_ops(ops, sizeof ops, port_uuid, "br0");

    r = run(f, ops, &ok, &after);
    assert_true(ok);
    assert_non_null(json_object_get(f->recreated, port_uuid));
    assert_p1_readded(f, after, "br0", "br0");
    json_decref(r);
    json_decref(after);

    /* The same bridge deleted and added again ("del-br br1 -- add-br
     * br1", ovs-vsctl's way to start a bridge afresh). */
    row = json_pack("{s:s}", "name", "br1");
    ov_view_uuid_for(ov_schema_table(f->schema, "Bridge"), row, br_uuid);
    json_decref(row);
    snprintf(ops, sizeof ops, "[{\"op\":\"mutate\",\"table\":"
             "\"Open_vSwitch\",\"where\":[],\"mutations\":[[\"bridges\","
             "\"delete\",[\"set\",[[\"uuid\",\"%s\"]]]]]},"
             "{\"op\":\"insert\",\"table\":\"Bridge\",\"uuid-name\":\"b\","
             "\"row\":{\"name\":\"br1\",\"ports\":[\"named-uuid\",\"p\"]}},"
             "{\"op\":\"insert\",\"table\":\"Port\",\"uuid-name\":\"p\","
             "\"row\":{\"name\":\"br1\",\"interfaces\":[\"named-uuid\",\"i\"]}},"
             "{\"op\":\"insert\",\"table\":\"Interface\",\"uuid-name\":\"i\","
             "\"row\":{\"name\":\"br1\",\"type\":\"internal\"}},"
             "{\"op\":\"mutate\",\"table\":\"Open_vSwitch\",\"where\":[],"
             "\"mutations\":[[\"bridges\",\"insert\",[\"set\","
             "[[\"named-uuid\",\"b\"]]]]]}]", br_uuid);
    r = run(f, ops, &ok, &after);
    assert_true(ok);
    assert_non_null(json_object_get(json_object_get(after, "Bridge"),
                                    br_uuid));
    assert_non_null(json_object_get(f->recreated, br_uuid));
    text = commands_text(f, after);
    assert_non_null(strstr(text, "{\"method\":\"del-br\",\"params\":"
                           "{\"bridge\":\"br1\"}}"));
    assert_non_null(strstr(text, "{\"method\":\"add-br\",\"params\":"
                           "{\"bridge\":\"br1\"}}"));
    assert_true(strstr(text, "del-br") < strstr(text, "add-br"));
    assert_null(strstr(text, "del-port"));
    free(text);
    json_decref(r);
    json_decref(after);

    /* The same without taking the port off br0: two ports named p1. */
    snprintf(ops, sizeof ops,
             "[{\"op\":\"insert\",\"table\":\"Port\",\"uuid-name\":\"p\","
             "\"row\":{\"name\":\"p1\",\"interfaces\":[\"named-uuid\",\"i\"]}},"
             "{\"op\":\"insert\",\"table\":\"Interface\",\"uuid-name\":\"i\","
             "\"row\":{\"name\":\"p1\"}},"
             "{\"op\":\"mutate\",\"table\":\"Bridge\",\"where\":[[\"name\","
             "\"==\",\"br1\"]],\"mutations\":[[\"ports\",\"insert\",[\"set\","
             "[[\"named-uuid\",\"p\"]]]]]}]");
    r = run(f, ops, &ok, NULL);
    assert_false(ok);
    assert_string_equal(tag(r, 3), "constraint violation");
    assert_true(details_has(r, 3, "identical values"));
    json_decref(r);
}

static void
test_op_errors(void **state)
{
    static const struct {
        const char *ops;
        size_t idx;
        const char *tag;
        const char *details;
    } cases[] = {
        { "[{\"op\":\"insert\",\"table\":\"Nope\",\"row\":{}}]", 0,
          "unknown table", "Nope" },
        { "[{\"op\":\"insert\",\"table\":\"Bridge\",\"row\":{\"nope\":1}}]", 0,
          "unknown column", "nope" },
        { "[{\"op\":\"insert\",\"table\":\"Bridge\",\"row\":{\"name\":1}}]", 0,
          "syntax error", "name" },
        { "[{\"op\":\"insert\",\"table\":\"Bridge\",\"row\":{\"name\":\"b\","
          "\"fail_mode\":\"bogus\"}}]", 0, "constraint violation", "bogus" },
        { "[{\"op\":\"insert\",\"table\":\"Port\",\"row\":{\"name\":\"p\","
          "\"tag\":5000}}]", 0, "constraint violation", "5000" },
        { "[{\"op\":\"update\",\"table\":\"Bridge\",\"where\":[],"
          "\"row\":{\"name\":\"x\"}}]", 0, "constraint violation",
          "immutable" },
        { "[{\"op\":\"comment\",\"comment\":\"x\"},{\"op\":\"abort\"},"
          "{\"op\":\"comment\"}]", 1, "aborted", "" },
        { "[{\"op\":\"assert\",\"lock\":\"l\"}]", 0, "not owner", "" },
        { "[{\"op\":\"wait\",\"table\":\"Open_vSwitch\",\"where\":[],"
          "\"columns\":[\"next_cfg\"],\"until\":\"==\",\"rows\":"
          "[{\"next_cfg\":5}],\"timeout\":0}]", 0, "timed out", "" },
        { "[{\"op\":\"mutate\",\"table\":\"Open_vSwitch\",\"where\":[],"
          "\"mutations\":[[\"next_cfg\",\"/=\",0]]}]", 0, "domain error",
          "zero" },
        { "[{\"op\":\"select\",\"table\":\"Bridge\",\"where\":"
          "[[\"name\",\"<\",\"a\"]]}]", 0, "syntax error", "<" },
        { "[{\"op\":\"insert\",\"table\":\"Bridge\",\"row\":{\"ports\":"
          "[\"named-uuid\",\"zz\"]}}]", 0, "syntax error", "zz" },
        { "[{\"op\":\"frobnicate\"}]", 0, "syntax error", "frobnicate" },
        { "[{\"op\":\"insert\",\"table\":\"Bridge\",\"uuid-name\":\"a\","
          "\"row\":{\"name\":\"x\"}},{\"op\":\"insert\",\"table\":\"Bridge\","
          "\"uuid-name\":\"a\",\"row\":{\"name\":\"y\"}}]", 0,
          "duplicate uuid-name", "" },
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *ops = json_loads(cases[i].ops, 0, NULL);
        bool ok;
        json_t *r = run(f, cases[i].ops, &ok, NULL);

        assert_false(ok);
        if (strcmp(tag(r, cases[i].idx), cases[i].tag)
            || !details_has(r, cases[i].idx, cases[i].details)) {
            fail_msg("case %zu: %s", i, json_dumps(r, 0));
        }
        /* One result per operation, null after the failed one. */
        assert_int_equal(json_array_size(r), json_array_size(ops));
        for (size_t k = cases[i].idx + 1; k < json_array_size(r); k++) {
            assert_true(json_is_null(json_array_get(r, k)));
        }
        json_decref(ops);
        json_decref(r);
    }
}

static void
test_select_wait_mutate(void **state)
{
    struct fixture *f = *state;
    char want[256], *text;
    json_t *r;
    bool ok;

    r = run(f, "[{\"op\":\"wait\",\"table\":\"Open_vSwitch\",\"where\":"
            "[[\"_uuid\",\"==\",[\"uuid\",\"%s\"]]],\"columns\":[\"bridges\"],"
            "\"until\":\"==\",\"rows\":[{\"bridges\":[\"set\",[]]}],"
            "\"timeout\":0},"
            "{\"op\":\"mutate\",\"table\":\"Open_vSwitch\",\"where\":[],"
            "\"mutations\":[[\"external_ids\",\"insert\",[\"map\",[[\"a\","
            "\"1\"],[\"b\",\"2\"]]]],[\"external_ids\",\"delete\",[\"set\","
            "[\"a\"]]],[\"next_cfg\",\"+=\",7],[\"next_cfg\",\"*=\",3]]},"
            "{\"op\":\"select\",\"table\":\"Open_vSwitch\",\"where\":"
            "[[\"external_ids\",\"includes\",[\"map\",[[\"b\",\"2\"]]]]],"
            "\"columns\":[\"external_ids\",\"next_cfg\",\"_uuid\"]},"
            "{\"op\":\"select\",\"table\":\"Open_vSwitch\",\"where\":"
            "[[\"next_cfg\",\">\",21]]}]", &ok, NULL);
    assert_true(ok);
    snprintf(want, sizeof want, "{\"rows\":[{\"_uuid\":[\"uuid\",\"%s\"],"
             "\"external_ids\":[\"map\",[[\"b\",\"2\"]]],\"next_cfg\":21}]}",
             root_uuid(f));
    text = json_dumps(json_array_get(r, 2), JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text, want);
    free(text);
    text = json_dumps(json_array_get(r, 3), JSON_COMPACT);
    assert_string_equal(text, "{\"rows\":[]}");
    free(text);
    json_decref(r);
}

/* Every member of every operation replaced by each wrong-typed value:
 * never a crash, and an error unless the value happens to be valid. */
static void
test_fuzz_types(void **state)
{
    static const char ops_text[] =
        "[{\"op\":\"insert\",\"table\":\"Bridge\",\"uuid-name\":\"b\","
        "\"row\":{\"name\":\"br0\",\"other_config\":[\"map\",[[\"k\",\"v\"]]],"
        "\"ports\":[\"set\",[]]}},"
        "{\"op\":\"update\",\"table\":\"Open_vSwitch\",\"where\":[[\"_uuid\","
        "\"==\",[\"uuid\",\"%s\"]]],\"row\":{\"bridges\":[\"named-uuid\","
        "\"b\"]}},"
        "{\"op\":\"mutate\",\"table\":\"Open_vSwitch\",\"where\":[],"
        "\"mutations\":[[\"next_cfg\",\"+=\",1]]},"
        "{\"op\":\"select\",\"table\":\"Bridge\",\"where\":[[\"name\",\"==\","
        "\"br0\"]],\"columns\":[\"name\"]},"
        "{\"op\":\"wait\",\"table\":\"Bridge\",\"where\":[],\"columns\":"
        "[\"name\"],\"until\":\"!=\",\"rows\":[],\"timeout\":0},"
        "{\"op\":\"delete\",\"table\":\"Port\",\"where\":[[\"name\","
        "\"includes\",\"x\"]]},{\"op\":\"comment\",\"comment\":\"c\"}]";
    const char *wrong[] = { "null", "1", "\"x\"", "[]", "{}", "[\"set\"]",
                            "[\"map\",[[1]]]", "[\"uuid\",\"nope\"]", "true",
                            "1.5", "[[[]]]" };
    struct fixture *f = *state;
    json_t *ops, *op;
    char buf[4096];
    size_t i;

    snprintf(buf, sizeof buf, ops_text, root_uuid(f));
    ops = json_loads(buf, 0, NULL);
    assert_non_null(ops);
    json_array_foreach (ops, i, op) {
        const char *key;
        json_t *v;

        json_object_foreach (op, key, v) {
            for (size_t w = 0; w < sizeof wrong / sizeof wrong[0]; w++) {
                json_t *copy = json_deep_copy(ops), *view, *r;
                bool ok;

                json_object_set_new(json_array_get(copy, i), key,
                                    json_loads(wrong[w], JSON_DECODE_ANY,
                                               NULL));
                view = json_deep_copy(f->view);
                r = ov_txn_run(f->schema, &hooks, view, copy, &ok, NULL);
                assert_true(json_is_array(r));
                assert_true(json_array_size(r) >= json_array_size(copy));
                json_decref(r);
                json_decref(view);
                json_decref(copy);
            }
        }
    }
    json_decref(ops);
}

/* ---- From a view to FlowTier commands. ---- */

static void
test_view_commands(void **state)
{
    struct fixture *f = *state;
    json_t *r, *after, *cmds = NULL, *error;
    struct ov_cfg cfg = { 0, 0 };
    char *text;
    bool ok;

    r = run(f, "[{\"op\":\"insert\",\"table\":\"Bridge\",\"uuid-name\":\"b\","
            "\"row\":{\"name\":\"br0\",\"ports\":[\"named-uuid\",\"p\"],"
            "\"external_ids\":[\"map\",[[\"k\",\"v \\\"q\\\"\"]]]}},"
            "{\"op\":\"insert\",\"table\":\"Port\",\"uuid-name\":\"p\","
            "\"row\":{\"name\":\"br0\",\"interfaces\":[\"named-uuid\",\"i\"],"
            "\"tag\":7}},"
            "{\"op\":\"insert\",\"table\":\"Interface\",\"uuid-name\":\"i\","
            "\"row\":{\"name\":\"br0\",\"type\":\"internal\"}},"
            "{\"op\":\"update\",\"table\":\"Open_vSwitch\",\"where\":[],"
            "\"row\":{\"bridges\":[\"named-uuid\",\"b\"],\"next_cfg\":4}}]",
            &ok, &after);
    assert_true(ok);
    error = ov_view_commands(f->schema, f->view, after, NULL, &cmds, &cfg);
    assert_null(error);
    text = json_dumps(cmds, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text,
        "[{\"method\":\"add-br\",\"params\":{\"bridge\":\"br0\"}},"
        "{\"method\":\"set\",\"params\":{\"args\":[\"external_ids={\\\"k\\\""
        "=\\\"v \\\\\\\"q\\\\\\\"\\\"}\"],\"record\":\"br0\","
        "\"table\":\"Bridge\"}},"
        "{\"method\":\"set\",\"params\":{\"args\":[\"tag=7\"],\"record\":"
        "\"br0\",\"table\":\"Port\"}},"
        "{\"method\":\"set\",\"params\":{\"args\":[\"type=\\\"internal\\\"\"],"
        "\"record\":\"br0\",\"table\":\"Interface\"}}]");
    assert_int_equal(cfg.next_cfg, 4);
    free(text);
    json_decref(cmds);
    json_decref(r);
    json_decref(after);

    /* A table FlowTier does not implement, and a column. */
    r = run(f, "[{\"op\":\"insert\",\"table\":\"Manager\",\"uuid-name\":\"m\","
            "\"row\":{\"target\":\"ptcp:6640\"}},{\"op\":\"update\",\"table\":"
            "\"Open_vSwitch\",\"where\":[],\"row\":{\"manager_options\":"
            "[\"named-uuid\",\"m\"]}}]", &ok, &after);
    assert_true(ok);
    error = ov_view_commands(f->schema, f->view, after, NULL, &cmds, &cfg);
    assert_non_null(error);
    assert_non_null(strstr(json_string_value(json_object_get(error,
                                                             "details")),
                           "manager_options"));
    json_decref(error);
    json_decref(r);
    json_decref(after);
}

/* The Interface table's status columns come from the running switch's
 * status: in OVSDB's types, a value outside its column's type left at
 * the default, other interfaces untouched; a client cannot write them;
 * a monitor of them sees a new reading. */
static void
test_view_status(void **state)
{
    struct fixture *f = *state;
    struct ov_cfg cfg = { 0, 0 };
    struct ft_db_txn *txn;
    struct ft_error err;
    json_t *status, *view, *iface, *row, *r, *after, *cmds = NULL, *error;
    json_t *reqs, *mon, *upd;
    const char *uuid;
    char *text;
    bool ok;

    assert_int_equal(ft_db_txn_begin(f->db, &txn, &err), 0);
    assert_int_equal(ft_db_add_br(txn, "br0", &err), 0);
    assert_int_equal(ft_db_add_port(txn, "br0", "vnet0", "tap", &err), 0);
    assert_int_equal(ft_db_txn_commit(txn, &err), 0);
    status = json_loads("{\"vnet0\": {\"ifindex\": 7, \"mtu\": 1500,"
                        "\"link_state\": \"sideways\", \"admin_state\": "
                        "\"up\", \"mac_in_use\": \"02:00:00:00:00:07\","
                        "\"statistics\": {\"rx_packets\": 3, \"tx_bytes\":"
                        " 420}, \"options\": {\"x\": \"y\"}}}", 0, NULL);
    assert_non_null(status);
    view = ov_view_build(f->schema, f->db, &cfg, status);
    iface = json_object_get(view, "Interface");
    assert_int_equal(json_object_size(iface), 2);
    json_object_foreach (iface, uuid, row) {
        const char *name = json_string_value(json_object_get(row, "name"));

        text = json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS);
        if (!strcmp(name, "vnet0")) {
            assert_non_null(strstr(text, "\"ifindex\":[\"set\",[7]],"));
            assert_non_null(strstr(text, "\"mtu\":[\"set\",[1500]],"));
            assert_non_null(strstr(text, "\"admin_state\":[\"set\",[\"up\"]],"));
            assert_non_null(strstr(text, "\"mac_in_use\":[\"set\","
                                   "[\"02:00:00:00:00:07\"]],"));
            assert_non_null(strstr(text, "\"statistics\":[\"map\","
                                   "[[\"rx_packets\",3],[\"tx_bytes\","
                                   "420]]],"));
            /* Not one of link_state's values; not a status column. */
            assert_non_null(strstr(text, "\"link_state\":[\"set\",[]],"));
            assert_non_null(strstr(text, "\"options\":[\"map\",[]],"));
        } else {
            assert_string_equal(name, "br0");
            assert_non_null(strstr(text, "\"ifindex\":[\"set\",[]],"));
            assert_non_null(strstr(text, "\"statistics\":[\"map\",[]],"));
        }
        free(text);
    }
    json_decref(f->view);
    f->view = view;

    /* Writing one is refused; the other columns of the row still work. */
    r = run(f, "[{\"op\":\"update\",\"table\":\"Interface\","
            "\"where\":[[\"name\",\"==\",\"vnet0\"]],\"row\":"
            "{\"statistics\":[\"map\",[[\"rx_packets\",5]]]}}]", &ok, &after);
    assert_true(ok);
    error = ov_view_commands(f->schema, f->view, after, NULL, &cmds, &cfg);
    assert_non_null(error);
    assert_non_null(strstr(json_string_value(json_object_get(error,
                                                             "details")),
                           "statistics of table Interface is set by "
                           "FlowTier"));
    json_decref(error);
    json_decref(r);
    json_decref(after);
    r = run(f, "[{\"op\":\"update\",\"table\":\"Interface\","
            "\"where\":[[\"name\",\"==\",\"vnet0\"]],\"row\":"
            "{\"external_ids\":[\"map\",[[\"a\",\"b\"]]]}}]", &ok, &after);
    assert_true(ok);
    assert_null(ov_view_commands(f->schema, f->view, after, NULL, &cmds,
                                 &cfg));
    text = json_dumps(cmds, JSON_COMPACT);
    assert_non_null(strstr(text, "external_ids"));
    assert_null(strstr(text, "statistics"));
    free(text);
    json_decref(cmds);
    json_decref(r);
    json_decref(after);

    /* A new reading reaches a monitor of the column. */
    reqs = json_loads("{\"Interface\":[{\"columns\":[\"statistics\"]}]}",
                      0, NULL);
    assert_null(ov_monitor_parse(f->schema, 2, reqs, &mon));
    json_object_set_new(json_object_get(json_object_get(status, "vnet0"),
                                        "statistics"),
                        "rx_packets", json_integer(4));
    view = ov_view_build(f->schema, f->db, &cfg, status);
    upd = ov_monitor_updates(f->schema, mon, f->view, view);
    text = json_dumps(upd, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(strstr(text, "{\"modify\":{\"statistics\":[\"map\","
                           "[[\"rx_packets\",4]]]}}"));
    free(text);
    json_decref(upd);
    json_decref(view);
    json_decref(mon);
    json_decref(reqs);
    json_decref(status);
}

/* ---- Monitors. ---- */

static void
test_monitor(void **state)
{
    struct fixture *f = *state;
    json_t *reqs, *mon1, *mon2, *init, *after, *r, *u1, *u2, *error;
    char *text;
    bool ok;

    reqs = json_loads("{\"Open_vSwitch\":[{\"columns\":[\"next_cfg\","
                      "\"external_ids\"]}]}", 0, NULL);
    assert_null(ov_monitor_parse(f->schema, 1, reqs, &mon1));
    assert_null(ov_monitor_parse(f->schema, 2, reqs, &mon2));
    init = ov_monitor_initial(f->schema, mon2, f->view);
    text = json_dumps(init, JSON_COMPACT);
    /* update2's initial rows leave default values out. */
    assert_non_null(strstr(text, "{\"initial\":{}}"));
    free(text);
    json_decref(init);

    r = run(f, "[{\"op\":\"mutate\",\"table\":\"Open_vSwitch\",\"where\":[],"
            "\"mutations\":[[\"next_cfg\",\"+=\",2],[\"external_ids\","
            "\"insert\",[\"map\",[[\"a\",\"1\"]]]]]}]", &ok, &after);
    assert_true(ok);
    u1 = ov_monitor_updates(f->schema, mon1, f->view, after);
    u2 = ov_monitor_updates(f->schema, mon2, f->view, after);
    text = json_dumps(u1, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(strstr(text, "\"new\":{\"external_ids\":[\"map\","
                           "[[\"a\",\"1\"]]],\"next_cfg\":2},\"old\":"
                           "{\"external_ids\":[\"map\",[]],\"next_cfg\":0}"));
    free(text);
    text = json_dumps(u2, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(strstr(text, "{\"modify\":{\"external_ids\":[\"map\","
                           "[[\"a\",\"1\"]]],\"next_cfg\":2}}"));
    free(text);
    assert_null(ov_monitor_updates(f->schema, mon2, after, after));

    json_decref(reqs);
    reqs = json_loads("{\"Nope\":{}}", 0, NULL);
    error = ov_monitor_parse(f->schema, 2, reqs, &init);
    assert_non_null(error);
    assert_null(init);
    json_decref(error);
    json_decref(reqs);
    json_decref(u1);
    json_decref(u2);
    json_decref(r);
    json_decref(after);
    json_decref(mon1);
    json_decref(mon2);
}

/* An error whose details are not UTF-8 (jansson's parse error quotes the
 * bytes of a bad message) is still an error object: it once was NULL and
 * made the server abort on one malformed message.  Found by
 * tests/fuzz/fuzz-ovsdb.c. */
static void
test_error_not_utf8(void **state)
{
    json_t *e = ov_error("syntax error", "invalid JSON: %s",
                         "invalid escape near '\"\\u00e\xc7'");
    char *text;

    (void) state;
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "details")),
                        "invalid JSON: invalid escape near '\"\\u00e?'");
    text = json_dumps(e, JSON_COMPACT);
    assert_non_null(text);
    free(text);
    json_decref(e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_not_utf8),
        cmocka_unit_test(test_splitter),
        cmocka_unit_test(test_msg_parse),
        cmocka_unit_test_setup_teardown(test_insert_gc_and_refs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_move_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_op_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select_wait_mutate, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fuzz_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_monitor, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fuzz-ovsdb.c - libFuzzer target for the decoding side of the OVSDB
 * endpoint (mgmt/ovsdb/): a connection's byte stream split into JSON texts
 * (ov_splitter), each classified as a JSON-RPC 1.0 message (ov_msg_parse),
 * and the requests the endpoint acts on run through the same functions the
 * server calls: "transact" (ov_txn_run on a copy of the view, then
 * ov_view_commands to turn the change into FlowTier configuration
 * commands) and "monitor", "monitor_cond", "monitor_cond_since"
 * (ov_monitor_parse, the initial rows, and the updates after each
 * accepted transaction).  The view is built once from a database with a
 * bridge, ports and flows (ov_view_build); nothing is applied to it.
 *
 * Checks, besides the sanitizers: a text that does not parse gets an
 * error (ov_error(), as the server builds it: a NULL there made the
 * server abort); a transaction's result is an array with one entry per
 * operation at least; an accepted transaction yields an array of
 * commands; every reply and update can be written as JSON.
 */
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mgmt/db/db.h"
#include "mgmt/ovsdb/ovsdb-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_ovsdb {
    struct ov_schema *schema;
    json_t *view;               /* Of the reference database. */
};

static const struct ov_txn_hooks hooks = {
    ov_view_uuid_for, ov_view_reinserted
};

static void
fail(const char *what, const json_t *j)
{
    char *text = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

    fprintf(stderr, "fuzz-ovsdb: %s%s%s\n", what, text ? ": " : "",
            text ? text : "");
    abort();
}

static void
check_writable(const json_t *j, const char *what)
{
    char *text = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);

    if (!text) {
        fail(what, NULL);
    }
    free(text);
}

static void
remove_db(const char *dir)
{
    static const char *const names[] = { "flowtier.db", "flowtier.db.lock",
                                         "flowtier.db.tmp" };
    char path[128];

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* The schema, and the view of a database with a bridge, ports, flows. */
static struct fuzz_ovsdb *
fuzz_setup(void)
{
    static const char *const set[] = { "Port", "vnet0", "tag=10" };
    struct ft_db_options opts = { .no_fsync = true };
    struct fuzz_ovsdb *f = calloc(1, sizeof *f);
    struct ov_cfg cfg = { 1, 1 };
    struct ft_db_txn *txn;
    struct ft_error err;
    struct ft_db *db;
    char dir[] = "/tmp/fuzz-ovsdb-XXXXXX";

    if (ov_schema_create(ft_ovsdb_schema_text, &f->schema, &err)
        || !mkdtemp(dir) || ft_db_open(dir, &opts, &db, NULL, &err)
        || ft_db_txn_begin(db, &txn, &err)
        || ft_db_add_br(txn, "br0", &err)
        || ft_db_add_port(txn, "br0", "vnet0", "tap", &err)
        || ft_db_add_port(txn, "br0", "eth1", NULL, &err)
        || ft_db_set(txn, 3, set, &err)
        || ft_db_flow_add(txn, "br0", "priority=10,ip actions=NORMAL", &err)
        || ft_db_txn_commit(txn, &err)) {
        fprintf(stderr, "fuzz-ovsdb: setup: %s\n", err.reason);
        abort();
    }
    f->view = ov_view_build(f->schema, db, &cfg, NULL);
    ft_db_close(db);
    remove_db(dir);
    return f;
}

/* The params of a request after the database name. */
static json_t *
after_db(const json_t *params)
{
    json_t *rest = json_array();

    for (size_t i = 1; i < json_array_size(params); i++) {
        json_array_append(rest, json_array_get(params, i));
    }
    return rest;
}

static void
run_transact(struct fuzz_ovsdb *f, json_t **view, json_t *monitors,
             const json_t *params)
{
    json_t *ops = after_db(params), *copy = json_deep_copy(*view);
    json_t *results, *commands = NULL, *error = NULL;
    json_t *recreated = json_object();
    struct ov_cfg cfg = { 1, 1 };
    const char *key;
    json_t *mon;
    bool ok;

    results = ov_txn_run(f->schema, &hooks, copy, ops, &ok, recreated);
    if (!json_is_array(results)
        || json_array_size(results) < json_array_size(ops)) {
        fail("a transaction's result is not one entry per operation", ops);
    }
    if (ok) {
        error = ov_view_commands(f->schema, *view, copy, recreated,
                                 &commands, &cfg);
        if (!error && !json_is_array(commands)) {
            fail("an accepted transaction gave no commands", ops);
        }
        check_writable(error ? error : commands, "commands not writable");
    }
    check_writable(results, "a transaction's result cannot be written");
    if (ok && !error) {
        json_object_foreach (monitors, key, mon) {
            json_t *upd = ov_monitor_updates(f->schema, mon, *view, copy);

            if (upd) {
                check_writable(upd, "an update cannot be written");
            }
            json_decref(upd);
        }
        json_decref(*view);
        *view = json_incref(copy);
    }
    json_decref(error);
    json_decref(commands);
    json_decref(recreated);
    json_decref(results);
    json_decref(copy);
    json_decref(ops);
}

static void
run_monitor(struct fuzz_ovsdb *f, const json_t *view, json_t *monitors,
            const json_t *params, int version)
{
    json_t *mon = NULL, *error, *initial;
    char key[32];

    error = ov_monitor_parse(f->schema, version, json_array_get(params, 2),
                             &mon);
    if (error) {
        check_writable(error, "a monitor error cannot be written");
        json_decref(error);
        return;
    }
    initial = ov_monitor_initial(f->schema, mon, view);
    check_writable(initial, "a monitor's initial rows cannot be written");
    json_decref(initial);
    snprintf(key, sizeof key, "%zu", json_object_size(monitors));
    json_object_set_new(monitors, key, mon);
}

static void
run_text(struct fuzz_ovsdb *f, json_t **view, json_t *monitors,
         const char *text, size_t len)
{
    json_error_t jerr;
    json_t *j = json_loadb(text, len, 0, &jerr);
    struct ft_error err;
    struct ov_msg m;

    if (!j) {
        /* The server's answer to a text that does not parse. */
        json_t *e = ov_error("syntax error", "invalid JSON: %s", jerr.text);

        if (!e) {
            fail("no error reply for a text that does not parse", NULL);
        }
        check_writable(e, "the error reply cannot be written");
        json_decref(e);
        return;
    }
    if (ov_msg_parse(j, &m, &err)) {
        if (!err.reason[0]) {
            fail("a message refused without a reason", j);
        }
    } else if (m.type != OV_REPLY && json_is_array(m.params)) {
        if (!strcmp(m.method, "transact")) {
            run_transact(f, view, monitors, m.params);
        } else if (!strcmp(m.method, "monitor")) {
            run_monitor(f, *view, monitors, m.params, 1);
        } else if (!strcmp(m.method, "monitor_cond")) {
            run_monitor(f, *view, monitors, m.params, 2);
        } else if (!strcmp(m.method, "monitor_cond_since")) {
            run_monitor(f, *view, monitors, m.params, 3);
        }
    }
    json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fuzz_ovsdb *f;
    struct ov_splitter sp;
    struct ft_error err;
    json_t *view, *monitors;
    const char *msg;
    size_t len;
    int r;

    if (!f) {
        f = fuzz_setup();
    }
    if (size > 65536) {
        return 0;
    }
    view = json_incref(f->view);
    monitors = json_object();
    ov_splitter_init(&sp, 32768);
    ov_splitter_feed(&sp, data, size);
    while ((r = ov_splitter_next(&sp, &msg, &len, &err)) == 1) {
        run_text(f, &view, monitors, msg, len);
    }
    if (r < 0 && !err.reason[0]) {
        fail("the stream was refused without a reason", NULL);
    }
    ov_splitter_uninit(&sp);
    json_decref(monitors);
    json_decref(view);
    return 0;
}

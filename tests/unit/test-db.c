/*
 * test-db.c - unit tests for the configuration database (mgmt/db*.c): the
 * ovs-vsctl verbs and their validation, atomic transactions, reference
 * keeping (garbage collection, ofport numbers), persistence and
 * compaction, and crash safety: recovery from every truncation of the
 * journal, from corrupted tails, and from a writer killed with SIGKILL at
 * random moments.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "mgmt/db/db.h"
#include "mgmt/db/db-private.h"

/* ---- Helpers. ---- */

static char *
make_tmpdir(void)
{
    char *dir = strdup("/tmp/ft-test-db-XXXXXX");

    assert_non_null(mkdtemp(dir));
    return dir;
}

static void
remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    if (!d) {
        return;
    }
    while ((de = readdir(d)) != NULL) {
        char path[512];
        struct stat st;

        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (!lstat(path, &st) && S_ISDIR(st.st_mode)) {
            remove_tree(path);
        } else {
            unlink(path);
        }
    }
    closedir(d);
    rmdir(dir);
}

static char *
journal_path(const char *dir)
{
    static char path[512];

    snprintf(path, sizeof path, "%s/flowtier.db", dir);
    return path;
}

static char *
read_whole(const char *path, size_t *sizep)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(n + 1);
    assert_int_equal(fread(buf, 1, n, f), (size_t) n);
    buf[n] = '\0';
    fclose(f);
    *sizep = n;
    return buf;
}

static void
write_whole(const char *path, const char *buf, size_t n)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
}

static struct ft_db *
open_ok(const char *dir, const struct ft_db_options *opts,
        struct ft_db_warnings *w)
{
    struct ft_error err;
    struct ft_db *db;
    int error = ft_db_open(dir, opts, &db, w, &err);

    if (error) {
        fail_msg("open %s: %s", dir, err.reason);
    }
    return db;
}

static char *
dump(const struct ft_db *db)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    ft_db_dump(db, &s);
    return s.s;
}

/* Runs one ovs-vsctl-style verb given as a space-separated command. */
static int
vsctl(struct ft_db_txn *txn, const char *cmd, struct ft_error *err)
{
    char *copy = strdup(cmd), *save, *word;
    const char *argv[16];
    int argc = 0, error;

    for (word = strtok_r(copy, " ", &save); word && argc < 16;
         word = strtok_r(NULL, " ", &save)) {
        argv[argc++] = word;
    }
    if (!strcmp(argv[0], "set")) {
        error = ft_db_set(txn, argc - 1, argv + 1, err);
    } else if (!strcmp(argv[0], "clear")) {
        error = ft_db_clear(txn, argc - 1, argv + 1, err);
    } else if (!strcmp(argv[0], "add")) {
        error = ft_db_add(txn, argc - 1, argv + 1, err);
    } else if (!strcmp(argv[0], "remove")) {
        error = ft_db_remove(txn, argc - 1, argv + 1, err);
    } else {
        error = -EINVAL;
    }
    free(copy);
    return error;
}

/* Commits one transaction made of the ';'-separated commands in 'cmds'
 * ("add-br NAME", "add-port BR NAME", or a vsctl verb); fails the test on
 * error. */
static void
run(struct ft_db *db, const char *cmds)
{
    char *copy = strdup(cmds), *save, *cmd;
    struct ft_db_txn *txn;
    struct ft_error err;
    char a[64], b[64];

    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    for (cmd = strtok_r(copy, ";", &save); cmd;
         cmd = strtok_r(NULL, ";", &save)) {
        int error;

        while (*cmd == ' ') {
            cmd++;
        }
        if (sscanf(cmd, "add-br %63s", a) == 1) {
            error = ft_db_add_br(txn, a, &err);
        } else if (sscanf(cmd, "add-port %63s %63s", a, b) == 2) {
            error = ft_db_add_port(txn, a, b, NULL, &err);
        } else if (sscanf(cmd, "del-port %63s", a) == 1) {
            error = ft_db_del_port(txn, NULL, a, &err);
        } else if (sscanf(cmd, "del-br %63s", a) == 1) {
            error = ft_db_del_br(txn, a, &err);
        } else {
            error = vsctl(txn, cmd, &err);
        }
        if (error) {
            fail_msg("\"%s\": %s", cmd, err.reason);
        }
    }
    if (ft_db_txn_commit(txn, &err)) {
        fail_msg("commit \"%s\": %s", cmds, err.reason);
    }
    free(copy);
}

/* Returns the output of 'get' for the space-separated arguments. */
static char *
get(const struct ft_db *db, const char *args, int *errorp,
    struct ft_error *err)
{
    struct ds out = DS_EMPTY_INITIALIZER;
    char *copy = strdup(args), *save, *word;
    const char *argv[16];
    int argc = 0;

    for (word = strtok_r(copy, " ", &save); word && argc < 16;
         word = strtok_r(NULL, " ", &save)) {
        argv[argc++] = word;
    }
    *errorp = ft_db_get(db, argc, argv, &out, err);
    free(copy);
    if (!out.s) {
        ds_put_cstr(&out, "");
    }
    return out.s;
}

static void
assert_get(const struct ft_db *db, const char *args, const char *expected)
{
    struct ft_error err;
    int error;
    char *out = get(db, args, &error, &err);

    if (error) {
        fail_msg("get %s: %s", args, err.reason);
    }
    assert_string_equal(out, expected);
    free(out);
}

/* Runs one failing command in its own transaction; checks the error code,
 * that the reason contains 'reason', and that nothing changed. */
static void
assert_fails(struct ft_db *db, const char *cmd, int code, const char *reason)
{
    char *before = dump(db), *after;
    uint64_t seq = ft_db_seq(db);
    struct ft_db_txn *txn;
    struct ft_error err, cerr;
    int error;

    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    error = vsctl(txn, cmd, &err);
    if (error != code || !strstr(err.reason, reason)) {
        fail_msg("\"%s\": got %d \"%s\", want %d \"%s\"", cmd, error,
                 error ? err.reason : "", code, reason);
    }
    assert_int_equal(ft_db_txn_commit(txn, &cerr), code);
    assert_string_equal(cerr.reason, err.reason);
    after = dump(db);
    assert_string_equal(before, after);
    assert_int_equal(ft_db_seq(db), seq);
    free(before);
    free(after);
}

/* Checks that 'cmd' runs but its commit fails with 'code' and a reason
 * containing 'reason', and leaves the database as it was. */
static void
assert_commit_fails(struct ft_db *db, const char *cmd, int code,
                    const char *reason)
{
    char *before = dump(db), *after;
    uint64_t seq = ft_db_seq(db);
    struct ft_db_txn *txn;
    struct ft_error err;

    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(vsctl(txn, cmd, &err), 0);
    assert_int_equal(ft_db_txn_commit(txn, &err), code);
    if (!strstr(err.reason, reason)) {
        fail_msg("\"%s\": got \"%s\", want \"%s\"", cmd, err.reason,
                 reason);
    }
    after = dump(db);
    assert_string_equal(before, after);
    assert_int_equal(ft_db_seq(db), seq);
    free(before);
    free(after);
}

/* ---- Tests. ---- */

static void
test_open_errors(void **state)
{
    const struct ft_db_options ro = { .read_only = true };
    struct ft_db_warnings w;
    struct ft_db_txn *txn;
    struct ft_error err;
    struct ft_db *db, *db2;
    char *dir = make_tmpdir();
    char sub[256], path[256];
    size_t size;
    char *buf;

    (void) state;
    /* Missing directory. */
    snprintf(sub, sizeof sub, "%s/missing", dir);
    assert_int_equal(ft_db_open(sub, NULL, &db, &w, &err), -ENOENT);
    assert_null(db);
    assert_non_null(strstr(err.reason, "does not exist"));

    /* A file where the directory should be. */
    snprintf(path, sizeof path, "%s/file", dir);
    write_whole(path, "x", 1);
    assert_int_equal(ft_db_open(path, NULL, &db, &w, &err), -ENOTDIR);
    assert_non_null(strstr(err.reason, "not a directory"));

    /* A new database; a second opener is refused while it is open. */
    snprintf(sub, sizeof sub, "%s/db", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    db = open_ok(sub, NULL, &w);
    assert_int_equal(w.n, 0);
    assert_int_equal(ft_db_seq(db), 0);
    assert_int_equal(ft_db_open(sub, NULL, &db2, NULL, &err), -EBUSY);
    assert_non_null(strstr(err.reason, "in use"));
    /* A reader (the CLI with no daemon) finds it held: -EBUSY at once. */
    assert_int_equal(ft_db_open(sub, &ro, &db2, NULL, &err), -EBUSY);
    run(db, "add-br br0");
    ft_db_close(db);

    /* Readers share the database, write nothing, and begin no
     * transaction; a writer waits for them and then gives up. */
    db = open_ok(sub, &ro, &w);
    db2 = open_ok(sub, &ro, &w);
    assert_non_null(ft_db_find(db2, FT_DB_BRIDGE, "br0"));
    assert_int_equal(ft_db_txn_begin(db2, &txn, &err), -EROFS);
    assert_non_null(strstr(err.reason, "reading only"));
    ft_db_close(db2);
    assert_int_equal(ft_db_open(sub, NULL, &db2, NULL, &err), -EBUSY);
    ft_db_close(db);

    /* A damaged snapshot (complete first line) is refused, not cut. */
    buf = read_whole(journal_path(sub), &size);
    buf[30] ^= 0x01;
    write_whole(journal_path(sub), buf, size);
    assert_int_equal(ft_db_open(sub, NULL, &db, &w, &err), -EINVAL);
    assert_non_null(strstr(err.reason, "snapshot record is damaged"));
    free(buf);
    buf = read_whole(journal_path(sub), &size);
    assert_true(size > 0);
    free(buf);

    /* Garbage. */
    write_whole(journal_path(sub), "hello world\nmore\n", 17);
    assert_int_equal(ft_db_open(sub, NULL, &db, &w, &err), -EINVAL);
    assert_non_null(strstr(err.reason, "not a FlowTier database"));
    write_whole(journal_path(sub), "\x7f" "ELF\x02\x01", 6);
    assert_int_equal(ft_db_open(sub, NULL, &db, &w, &err), -EINVAL);
    assert_non_null(strstr(err.reason, "not a FlowTier database"));

    /* An empty journal opens as an empty database, with a warning. */
    write_whole(journal_path(sub), "", 0);
    db = open_ok(sub, NULL, &w);
    assert_int_equal(w.n, 1);
    assert_non_null(strstr(w.msgs[0], "empty"));
    assert_int_equal(ft_db_n_rows(db, FT_DB_BRIDGE), 0);
    ft_db_warnings_destroy(&w);
    run(db, "add-br br1");
    ft_db_close(db);
    db = open_ok(sub, NULL, &w);
    assert_int_equal(w.n, 0);
    assert_non_null(ft_db_find(db, FT_DB_BRIDGE, "br1"));
    ft_db_close(db);

    remove_tree(dir);
    free(dir);
}

static void
test_vsctl(void **state)
{
    const char *list_argv[] = { "Port", "vnet0" };
    const char *json_argv[] = { "interface", "vnet0" };
    struct ds out = DS_EMPTY_INITIALIZER;
    struct ft_error err;
    char *dir = make_tmpdir();
    struct ft_db *db = open_ok(dir, NULL, NULL);
    json_t *j;

    (void) state;
    run(db, "add-br br0; add-port br0 vnet0");
    assert_get(db, "Bridge br0 fail_mode", "[]\n");
    assert_get(db, "Bridge br0 flows_persist", "true\n");
    assert_get(db, "Interface br0 type", "internal\n");
    assert_get(db, "Interface vnet0 type", "system\n");

    run(db, "set Port vnet0 tag=10; "
        "set Interface vnet0 external-ids:vm-id=vm1 ofport_request=7; "
        "set Bridge br0 other_config:max-idle=5000 fail_mode=secure; "
        "set port vnet0 trunks=20,10 vlan_mode=native-untagged");
    assert_get(db, "Port vnet0 tag", "10\n");
    assert_get(db, "Port vnet0 trunks", "[10, 20]\n");
    assert_get(db, "Bridge br0 fail_mode other_config:max-idle",
               "secure\n\"5000\"\n");
    assert_get(db, "Interface vnet0 external_ids", "{vm-id=vm1}\n");
    assert_get(db, "Interface vnet0 ofport", "7\n");
    assert_get(db, "Interface br0 ofport", "65534\n");

    /* Whole-map syntax, quoting, add/remove, clear. */
    run(db, "set Bridge br0 other_config={flow-limit=1000,"
        "dpdk-extra=\"a,b\"}");
    assert_get(db, "Bridge br0 other_config",
               "{dpdk-extra=\"a,b\", flow-limit=\"1000\"}\n");
    run(db, "add Bridge br0 other_config mac-table-size=4096 "
        "dpdk-extra=ignored; add Port vnet0 trunks 30,40; "
        "remove Port vnet0 trunks 10");
    assert_get(db, "Bridge br0 other_config:dpdk-extra "
               "other_config:mac-table-size", "\"a,b\"\n\"4096\"\n");
    assert_get(db, "Port vnet0 trunks", "[20, 30, 40]\n");
    run(db, "remove Bridge br0 other_config dpdk-extra flow-limit=999");
    assert_get(db, "Bridge br0 other_config",
               "{flow-limit=\"1000\", mac-table-size=\"4096\"}\n");
    run(db, "clear Port vnet0 trunks tag vlan_mode; "
        "clear Interface vnet0 type; set Bridge br0 flows_persist=false");
    assert_get(db, "Port vnet0 trunks tag vlan_mode", "[]\n[]\n[]\n");
    assert_get(db, "Interface vnet0 type", "system\n");
    assert_get(db, "Bridge br0 flows_persist", "false\n");
    run(db, "set Port vnet0 tag=[]");

    /* Typed reading. */
    {
        const struct ft_db_row *br = ft_db_find(db, FT_DB_BRIDGE, "br0");
        const struct ft_db_row *ifc = ft_db_find(db, FT_DB_INTERFACE,
                                                 "vnet0");
        int64_t x = -1;

        assert_non_null(br);
        assert_string_equal(ft_db_row_string(br, "fail_mode"), "secure");
        assert_false(ft_db_row_bool(br, "flows_persist"));
        assert_string_equal(ft_db_row_map_get(br, "other_config",
                                              "mac-table-size"), "4096");
        assert_null(ft_db_row_map_get(br, "other_config", "nope"));
        assert_true(ft_db_row_int(ifc, "ofport", &x));
        assert_int_equal(x, 7);
        assert_false(ft_db_row_int(ft_db_find(db, FT_DB_PORT, "vnet0"),
                                   "tag", &x));
        assert_string_equal(ft_db_row_name(ft_db_port_bridge(db, "vnet0")),
                            "br0");
        assert_string_equal(ft_db_row_name(ft_db_iface_port(db, "vnet0")),
                            "vnet0");
        assert_null(ft_db_row_get(br, "no_such_column"));
    }

    /* 'list' in ovs-vsctl's layout. */
    assert_int_equal(ft_db_list(db, 2, list_argv, FT_DB_FORMAT_LIST, &out,
                                &err), 0);
    assert_non_null(strstr(ds_cstr(&out), "name                : vnet0\n"));
    assert_non_null(strstr(ds_cstr(&out), "tag                 : []\n"));
    assert_non_null(strstr(ds_cstr(&out),
                           "interfaces          : [vnet0]\n"));
    ds_clear(&out);

    /* --format=json: OVSDB encoding of every column. */
    assert_int_equal(ft_db_list(db, 2, json_argv, FT_DB_FORMAT_JSON, &out,
                                &err), 0);
    j = json_loads(ds_cstr(&out), 0, NULL);
    assert_non_null(j);
    {
        json_t *headings = json_object_get(j, "headings");
        json_t *row = json_array_get(json_object_get(j, "data"), 0);
        size_t i;
        json_t *h;
        int seen = 0;

        assert_int_equal(json_array_size(headings), json_array_size(row));
        json_array_foreach(headings, i, h) {
            json_t *v = json_array_get(row, i);

            if (!strcmp(json_string_value(h), "ofport")) {
                assert_int_equal(json_integer_value(v), 7);
                seen++;
            } else if (!strcmp(json_string_value(h), "external_ids")) {
                assert_string_equal(json_string_value(json_array_get(v, 0)),
                                    "map");
                seen++;
            } else if (!strcmp(json_string_value(h), "name")) {
                assert_string_equal(json_string_value(v), "vnet0");
                seen++;
            }
        }
        assert_int_equal(seen, 3);
    }
    json_decref(j);
    ds_destroy(&out);

    ft_db_close(db);
    remove_tree(dir);
    free(dir);
}

static void
test_vsctl_errors(void **state)
{
    char *dir = make_tmpdir();
    struct ft_db *db = open_ok(dir, NULL, NULL);
    struct ft_error err;
    char *out;
    int error;

    (void) state;
    run(db, "add-br br0; add-port br0 vnet0");

    assert_fails(db, "set Foo br0 name=x", -EINVAL, "unknown table \"Foo\"");
    assert_fails(db, "set Port nope tag=1", -ENOENT,
                 "no row \"nope\" in table Port");
    assert_fails(db, "set Port vnet0 foo=1", -EINVAL,
                 "Port does not contain a column whose name matches \"foo\"");
    assert_fails(db, "set Port vnet0 tag=5000", -EINVAL,
                 "Port vnet0 column tag: 5000 is not in the valid range 0 "
                 "to 4095 (inclusive)");
    assert_fails(db, "set Port vnet0 tag=abc", -EINVAL,
                 "\"abc\" is not a valid integer");
    assert_fails(db, "set Port vnet0 tag=", -EINVAL,
                 "does not end in \"=\" followed by a value");
    assert_fails(db, "set Port vnet0 trunks=[1,4096]", -EINVAL,
                 "column trunks: 4096 is not in the valid range");
    assert_fails(db, "set Bridge br0 fail_mode=bogus", -EINVAL,
                 "bogus is not one of the allowed values ([secure, "
                 "standalone])");
    assert_fails(db, "set Bridge br0 flows_persist=maybe", -EINVAL,
                 "not a valid boolean");
    assert_fails(db, "set Bridge br0 other_config:max-idle=100", -EINVAL,
                 "column other_config: key max-idle: 100 is not in the "
                 "valid range 500");
    assert_fails(db, "set Bridge br0 other_config:flow-limit=lots", -EINVAL,
                 "key flow-limit: \"lots\" is not a valid integer");
    assert_fails(db, "set Bridge br0 other_config:pmd-cpu=abc", -EINVAL,
                 "key pmd-cpu: \"abc\" is not a valid integer");
    assert_fails(db, "set Bridge br0 other_config:pmd-cpu=4096", -EINVAL,
                 "key pmd-cpu: 4096 is not in the valid range 0 to 1023");
    assert_fails(db, "add Bridge br0 other_config pmd-cpus=1", -EINVAL,
                 "Bridge br0 column other_config: unknown key \"pmd-cpus\" "
                 "(known keys: dpdk-extra, flow-limit, hw-offload, "
                 "mac-aging-time, mac-table-size, max-idle, pmd-cpu, "
                 "pmd-cpu-mask, tc-policy, tier-order; free-form data goes in "
                 "external_ids)");
    assert_fails(db, "set Interface vnet0 other_config:colour=red", -EINVAL,
                 "unknown key \"colour\" (known keys: hw-offload, "
                 "tc-policy, tier-order;");
    assert_commit_fails(db, "clear Bridge br0 ports", -EINVAL,
                 "Bridge br0 column ports: the bridge's own (local) port br0 "
                 "cannot be removed from it (remove the bridge with del-br)");
    assert_commit_fails(db, "remove Bridge br0 ports br0", -EINVAL,
                 "own (local) port br0 cannot be removed");
    assert_fails(db, "set Bridge br0 name=br1", -EINVAL,
                 "cannot modify read-only column name in table Bridge");
    assert_fails(db, "set Interface vnet0 ofport=3", -EINVAL,
                 "read-only column ofport");
    assert_fails(db, "set Interface vnet0 type=veth", -EINVAL,
                 "veth is not one of the allowed values");
    assert_fails(db, "set Interface vnet0 ofport_request=65280", -EINVAL,
                 "not in the valid range 1 to 65279");
    assert_fails(db, "set Port vnet0 tag:x=1", -EINVAL,
                 "cannot specify key to set for non-map column tag");
    assert_fails(db, "clear Bridge br0 name", -EINVAL, "read-only");
    assert_fails(db, "add Port vnet0 tag 5", -EINVAL, "use set");
    assert_fails(db, "set Port vnet0", -EINVAL, "expected TABLE RECORD");
    assert_fails(db, "set Bridge br0 other_config={a=b", -EINVAL,
                 "unbalanced");

    /* Errors from 'get'. */
    out = get(db, "Port vnet0 foo", &error, &err);
    assert_int_equal(error, -EINVAL);
    assert_non_null(strstr(err.reason, "matches \"foo\""));
    free(out);
    out = get(db, "Bridge br0 other_config:nokey", &error, &err);
    assert_int_equal(error, -ENOENT);
    assert_string_equal(err.reason, "no key \"nokey\" in Bridge record "
                        "\"br0\" column other_config");
    free(out);
    out = get(db, "Port vnet0 interfaces:foo", &error, &err);
    assert_int_equal(error, -EINVAL);
    assert_non_null(strstr(err.reason, "non-map column interfaces"));
    free(out);

    ft_db_close(db);
    remove_tree(dir);
    free(dir);
}

static void
test_txn_atomic(void **state)
{
    char *dir = make_tmpdir();
    struct ft_db *db = open_ok(dir, NULL, NULL);
    struct ft_db_txn *txn, *txn2;
    struct ft_error err;
    char *before, *after;
    uint64_t seq;

    (void) state;
    run(db, "add-br br0; add-port br0 p1; set Port p1 tag=5");
    before = dump(db);
    seq = ft_db_seq(db);

    /* Several good writes, then a bad one: nothing stays. */
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(ft_db_txn_begin(db, &txn2, &err), -EBUSY);
    assert_int_equal(ft_db_add_port(txn, "br0", "p2", "tap", &err), 0);
    assert_int_equal(vsctl(txn, "set Port p1 tag=6 trunks=1,2", &err), 0);
    assert_int_equal(ft_db_flow_add(txn, "br0", "priority=1 actions=drop",
                                    &err), 0);
    assert_int_equal(ft_db_del_port(txn, NULL, "p1", &err), 0);
    assert_non_null(ft_db_find(db, FT_DB_PORT, "p2"));  /* Visible. */
    assert_int_equal(vsctl(txn, "set Port p2 tag=9999", &err), -EINVAL);
    /* Poisoned: later writes fail with the first error. */
    assert_int_equal(ft_db_add_br(txn, "br9", &err), -EINVAL);
    assert_non_null(strstr(err.reason, "tag"));
    assert_int_equal(ft_db_txn_commit(txn, &err), -EINVAL);
    after = dump(db);
    assert_string_equal(before, after);
    free(after);
    assert_int_equal(ft_db_seq(db), seq);

    /* Abort undoes too. */
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(ft_db_add_br(txn, "br1", &err), 0);
    assert_int_equal(vsctl(txn, "set Bridge br0 external_ids:a=b", &err), 0);
    assert_int_equal(ft_db_del_br(txn, "br0", &err), 0);
    ft_db_txn_abort(txn);
    after = dump(db);
    assert_string_equal(before, after);
    free(after);

    /* Map entries changed, added and removed, some twice, are each put
     * back as they were. */
    run(db, "set Bridge br0 external_ids:k1=v1 external_ids:k2=v2");
    free(before);
    before = dump(db);
    seq = ft_db_seq(db);
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(vsctl(txn, "set Bridge br0 external_ids:k1=x "
                           "external_ids:k3=y", &err), 0);
    assert_int_equal(vsctl(txn, "remove Bridge br0 external_ids k2", &err),
                     0);
    assert_int_equal(vsctl(txn, "set Bridge br0 external_ids:k2=z "
                           "external_ids:k1=w", &err), 0);
    assert_int_equal(vsctl(txn, "remove Bridge br0 external_ids k3", &err),
                     0);
    ft_db_txn_abort(txn);
    after = dump(db);
    assert_string_equal(before, after);
    free(after);

    /* A failure found at commit (broken reference) undoes everything. */
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(vsctl(txn, "set Port p1 tag=7", &err), 0);
    assert_int_equal(vsctl(txn, "add Bridge br0 ports nope", &err), 0);
    assert_int_equal(ft_db_txn_commit(txn, &err), -EINVAL);
    assert_string_equal(err.reason, "Bridge br0 column ports: no Port named "
                        "\"nope\"");
    after = dump(db);
    assert_string_equal(before, after);
    free(after);

    /* An empty transaction writes nothing. */
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(vsctl(txn, "set Port p1 tag=5", &err), 0);
    assert_int_equal(ft_db_txn_commit(txn, &err), 0);
    assert_int_equal(ft_db_seq(db), seq);

    /* And on disk: the failed transactions left no trace. */
    ft_db_close(db);
    db = open_ok(dir, NULL, NULL);
    after = dump(db);
    assert_string_equal(before, after);
    assert_int_equal(ft_db_seq(db), seq);
    free(after);
    free(before);
    ft_db_close(db);
    remove_tree(dir);
    free(dir);
}

static void
test_topology(void **state)
{
    char *dir = make_tmpdir();
    struct ft_db *db = open_ok(dir, NULL, NULL);
    struct ft_db_txn *txn;
    struct ft_error err;

    (void) state;
    run(db, "add-br br0; add-port br0 p1; add-port br0 p2; add-br br1; "
        "add-port br1 q1");
    assert_int_equal(ft_db_n_rows(db, FT_DB_BRIDGE), 2);
    assert_int_equal(ft_db_n_rows(db, FT_DB_PORT), 5);
    assert_int_equal(ft_db_n_rows(db, FT_DB_INTERFACE), 5);
    assert_get(db, "Bridge br0 ports", "[br0, p1, p2]\n");
    assert_get(db, "Interface p1 ofport", "1\n");
    assert_get(db, "Interface p2 ofport", "2\n");
    assert_get(db, "Interface q1 ofport", "1\n");
    assert_get(db, "Interface br1 ofport", "65534\n");

    /* ofport_request moves a port; numbers stay stable otherwise. */
    run(db, "set Interface p2 ofport_request=1");
    assert_get(db, "Interface p2 ofport", "1\n");
    assert_get(db, "Interface p1 ofport", "2\n");
    run(db, "add-port br0 p3");
    assert_get(db, "Interface p3 ofport", "3\n");
    run(db, "del-port p1; add-port br0 p4");
    assert_get(db, "Interface p4 ofport", "2\n");
    assert_null(ft_db_find(db, FT_DB_PORT, "p1"));
    assert_null(ft_db_find(db, FT_DB_INTERFACE, "p1"));

    /* A port moved to another bridge in one transaction is a new port
     * there (its old columns stay behind), and the move commits. */
    run(db, "add-port br1 p5; set Port p5 tag=4");
    run(db, "del-port p5; add-port br0 p5");
    assert_string_equal(ft_db_port_bridge(db, "p5")->cols[0].s, "br0");
    assert_get(db, "Port p5 tag", "[]\n");
    run(db, "del-port p5");
    /* A bridge deleted and added again in one transaction: its bridge
     * port is new too, its other ports are gone. */
    run(db, "add-br br2; add-port br2 p6; set Port br2 tag=3");
    run(db, "del-br br2; add-br br2");
    assert_null(ft_db_find(db, FT_DB_PORT, "p6"));
    assert_string_equal(ft_db_port_bridge(db, "br2")->cols[0].s, "br2");
    assert_get(db, "Port br2 tag", "[]\n");
    run(db, "del-br br2");

    /* Name clashes and missing rows. */
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(ft_db_add_port(txn, "br1", "p2", NULL, &err), -EEXIST);
    assert_string_equal(err.reason, "port \"p2\" already exists on bridge "
                        "br0");
    ft_db_txn_abort(txn);
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(ft_db_add_br(txn, "br0", &err), -EEXIST);
    ft_db_txn_abort(txn);
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(ft_db_del_port(txn, "br1", "p2", &err), -ENOENT);
    assert_non_null(strstr(err.reason, "bridge br1 has no port named"));
    ft_db_txn_abort(txn);
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(ft_db_add_port(txn, "br7", "z", NULL, &err), -ENOENT);
    ft_db_txn_abort(txn);

    /* A port in two bridges, or without interfaces, fails the commit. */
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(vsctl(txn, "add Bridge br1 ports p2", &err), 0);
    assert_int_equal(ft_db_txn_commit(txn, &err), -EINVAL);
    assert_non_null(strstr(err.reason, "Port p2 is in both Bridge br0 and "
                           "Bridge br1"));
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(vsctl(txn, "clear Port p2 interfaces", &err), 0);
    assert_int_equal(ft_db_txn_commit(txn, &err), -EINVAL);
    assert_string_equal(err.reason, "Port p2 has no interfaces");

    /* del-br takes its ports and interfaces along. */
    run(db, "del-br br0");
    assert_int_equal(ft_db_n_rows(db, FT_DB_BRIDGE), 1);
    assert_int_equal(ft_db_n_rows(db, FT_DB_PORT), 2);
    assert_int_equal(ft_db_n_rows(db, FT_DB_INTERFACE), 2);
    assert_null(ft_db_find(db, FT_DB_INTERFACE, "p2"));

    ft_db_close(db);
    remove_tree(dir);
    free(dir);
}

/* ft_db_flows_add(): many flows in one "list_extend" operation, in order
 * after those already there; undone by an abort and by a failed write
 * later in the transaction; one journal line however many flows, which
 * a reopen replays to the same state. */
static void
test_flows_add_bulk(void **state)
{
    char *dir = make_tmpdir();
    struct ft_db *db = open_ok(dir, NULL, NULL);
    const struct ft_db_datum *flows;
    struct ft_db_txn *txn;
    struct ft_error err;
    char *texts[500], *before, *after, *buf;
    size_t size, lines = 0;

    (void) state;
    run(db, "add-br br0");
    for (size_t i = 0; i < 500; i++) {
        texts[i] = malloc(64);
        snprintf(texts[i], 64, "priority=%zu,ip actions=drop", i);
    }
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(ft_db_flow_add(txn, "br0", "actions=NORMAL", &err), 0);
    assert_int_equal(ft_db_txn_commit(txn, &err), 0);

    /* Aborted, and poisoned by a later failure: nothing stays. */
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(ft_db_flows_add(txn, "br0", (const char *const *) texts,
                                     500, &err), 0);
    ft_db_txn_abort(txn);
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(ft_db_flows_add(txn, "br0", (const char *const *) texts,
                                     500, &err), 0);
    assert_int_equal(ft_db_flows_add(txn, "nobr", (const char *const *) texts,
                                     1, &err), -ENOENT);
    assert_int_equal(ft_db_txn_commit(txn, &err), -ENOENT);
    flows = ft_db_row_get(ft_db_find(db, FT_DB_BRIDGE, "br0"), "flows");
    assert_int_equal(flows->n, 1);

    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(ft_db_flows_add(txn, "br0", (const char *const *) texts,
                                     500, &err), 0);
    assert_int_equal(ft_db_txn_commit(txn, &err), 0);
    flows = ft_db_row_get(ft_db_find(db, FT_DB_BRIDGE, "br0"), "flows");
    assert_int_equal(flows->n, 501);
    assert_string_equal(flows->strs[0], "actions=NORMAL");
    assert_string_equal(flows->strs[1], "priority=0,ip actions=drop");
    assert_string_equal(flows->strs[500], "priority=499,ip actions=drop");
    before = dump(db);
    ft_db_close(db);

    buf = read_whole(journal_path(dir), &size);
    for (size_t i = 0; i < size; i++) {
        lines += buf[i] == '\n';
    }
    assert_int_equal(lines, 4);         /* snapshot, add-br, 1, 500 */
    assert_non_null(strstr(buf, "\"list_extend\""));
    free(buf);
    db = open_ok(dir, NULL, NULL);
    after = dump(db);
    assert_string_equal(before, after);
    for (size_t i = 0; i < 500; i++) {
        free(texts[i]);
    }
    free(before);
    free(after);
    ft_db_close(db);
    remove_tree(dir);
    free(dir);
}

/* ft_db_flows_add_take(): the texts move into the database (the caller's
 * elements are NULL after), and the record written without jansson
 * escapes what JSON needs escaped: a reopen replays the same strings,
 * quotes, backslashes and a non-ASCII text (which takes the general
 * path) included. */
static void
test_flows_add_take(void **state)
{
    static const char *const want[] = {
        "priority=1,ip actions=drop",
        "a \"quoted\" \\ back\\slash",
        "caf\xc3\xa9 \"x\"",
        "",
    };
    enum { N = sizeof want / sizeof want[0] };
    char *dir = make_tmpdir();
    struct ft_db *db = open_ok(dir, NULL, NULL);
    const struct ft_db_datum *flows;
    struct ft_db_txn *txn;
    struct ft_error err;
    char *texts[N], *before, *after;

    (void) state;
    run(db, "add-br br0");
    for (size_t i = 0; i < N; i++) {
        texts[i] = strdup(want[i]);
    }
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(ft_db_flows_add_take(txn, "br0", texts, 2, &err), 0);
    assert_int_equal(ft_db_flows_add_take(txn, "br0", texts + 2, N - 2,
                                          &err), 0);
    assert_int_equal(ft_db_txn_commit(txn, &err), 0);
    for (size_t i = 0; i < N; i++) {
        assert_null(texts[i]);
    }

    /* A failed one frees the texts and poisons the transaction. */
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    texts[0] = strdup("x");
    assert_int_equal(ft_db_flows_add_take(txn, "nobr", texts, 1, &err),
                     -ENOENT);
    assert_null(texts[0]);
    assert_int_equal(ft_db_txn_commit(txn, &err), -ENOENT);

    flows = ft_db_row_get(ft_db_find(db, FT_DB_BRIDGE, "br0"), "flows");
    assert_int_equal(flows->n, N);
    for (size_t i = 0; i < N; i++) {
        assert_string_equal(flows->strs[i], want[i]);
    }
    before = dump(db);
    ft_db_close(db);
    db = open_ok(dir, NULL, NULL);
    flows = ft_db_row_get(ft_db_find(db, FT_DB_BRIDGE, "br0"), "flows");
    assert_int_equal(flows->n, N);
    for (size_t i = 0; i < N; i++) {
        assert_string_equal(flows->strs[i], want[i]);
    }
    after = dump(db);
    assert_string_equal(before, after);
    free(before);
    free(after);
    ft_db_close(db);
    remove_tree(dir);
    free(dir);
}

static void
test_flows_and_compaction(void **state)
{
    struct ft_db_options opts = { .compact_records = 5 };
    char *dir = make_tmpdir();
    struct ft_db *db = open_ok(dir, &opts, NULL);
    struct ft_db_txn *txn;
    struct ft_error err;
    char *before, *after, *buf;
    size_t size, lines = 0;

    (void) state;
    run(db, "add-br br0");
    for (int i = 0; i < 30; i++) {
        char flow[64];

        snprintf(flow, sizeof flow, "priority=%d,in_port=%d actions=drop",
                 i, i % 3);
        assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
        assert_int_equal(ft_db_flow_add(txn, "br0", flow, &err), 0);
        assert_int_equal(ft_db_txn_commit(txn, &err), 0);
    }
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(ft_db_flow_del(txn, "br0",
                                    "priority=4,in_port=1 actions=drop",
                                    &err), 0);
    assert_int_equal(ft_db_flow_del(txn, "br0", "priority=4,in_port=1 "
                                    "actions=drop", &err), -ENOENT);
    ft_db_txn_abort(txn);
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(ft_db_flow_del(txn, "br0",
                                    "priority=4,in_port=1 actions=drop",
                                    &err), 0);
    assert_int_equal(ft_db_txn_commit(txn, &err), 0);
    assert_int_equal(ft_db_seq(db), 32);
    before = dump(db);

    /* Compaction kept the journal short. */
    buf = read_whole(journal_path(dir), &size);
    for (size_t i = 0; i < size; i++) {
        lines += buf[i] == '\n';
    }
    assert_true(lines <= 6);
    free(buf);

    ft_db_close(db);
    db = open_ok(dir, &opts, NULL);
    after = dump(db);
    assert_string_equal(before, after);
    assert_int_equal(ft_db_seq(db), 32);
    {
        const struct ft_db_datum *flows
            = ft_db_row_get(ft_db_find(db, FT_DB_BRIDGE, "br0"), "flows");

        assert_int_equal(flows->n, 29);
        assert_string_equal(flows->strs[0],
                            "priority=0,in_port=0 actions=drop");
        assert_string_equal(flows->strs[4],
                            "priority=5,in_port=2 actions=drop");
    }
    assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
    assert_int_equal(ft_db_flows_clear(txn, "br0", &err), 0);
    assert_int_equal(ft_db_txn_commit(txn, &err), 0);
    assert_int_equal(ft_db_compact(db, &err), 0);
    ft_db_close(db);
    db = open_ok(dir, &opts, NULL);
    assert_int_equal(ft_db_row_get(ft_db_find(db, FT_DB_BRIDGE, "br0"),
                                   "flows")->n, 0);
    assert_int_equal(ft_db_seq(db), 33);
    free(before);
    free(after);
    ft_db_close(db);
    remove_tree(dir);
    free(dir);
}

/* Builds a journal of a dozen transactions of every kind; returns the
 * state after each (states[0] = empty) and the journal bytes. */
static char *
build_history(const char *dir, char **states, size_t *n_states,
              size_t *sizep)
{
    static const char *const steps[] = {
        "add-br br0",
        "add-port br0 vnet0; set Port vnet0 tag=10",
        "set Interface vnet0 external-ids:vm-id=vm1 options:dpdk-devargs="
        "\"0000:01:00.0\"",
        "set Bridge br0 other_config:max-idle=5000 fail_mode=secure",
        "set Port vnet0 trunks=10,20,30; add-port br0 vnet1",
        "add-br br1; add-port br1 tap0",
        "set Interface tap0 ofport_request=42",
        "clear Port vnet0 trunks; set Port vnet1 vlan_mode=trunk",
        "del-port vnet0",
        "set Bridge br1 flows_persist=false external_ids:k=\"a=b\"",
        "del-br br0",
        "add-br br2; set Bridge br2 other_config:flow-limit=10",
    };
    struct ft_db *db = open_ok(dir, NULL, NULL);
    size_t n = 0;

    states[n++] = dump(db);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        run(db, steps[i]);
        states[n++] = dump(db);
        if (i == 5) {
            struct ft_db_txn *txn;
            struct ft_error err;

            assert_int_equal(ft_db_txn_begin(db, &txn, &err), 0);
            assert_int_equal(ft_db_flow_add(txn, "br1", "priority=5,ip,"
                                            "nw_dst=10.0.0.1 actions=output:"
                                            "1", &err), 0);
            assert_int_equal(ft_db_flow_add(txn, "br1", "actions=NORMAL",
                                            &err), 0);
            assert_int_equal(ft_db_txn_commit(txn, &err), 0);
            states[n++] = dump(db);
        }
        assert_int_equal(ft_db_seq(db), n - 1);
    }
    ft_db_close(db);
    *n_states = n;
    return read_whole(journal_path(dir), sizep);
}

static size_t
count_newlines(const char *buf, size_t n)
{
    size_t count = 0;

    for (size_t i = 0; i < n; i++) {
        count += buf[i] == '\n';
    }
    return count;
}

/* Opens 'dir' and checks it holds 'expected' at sequence 'seq'. */
static void
check_recovery(const char *dir, const char *expected, uint64_t seq,
               bool expect_warning, size_t where)
{
    struct ft_db_options opts = { .no_fsync = true };
    struct ft_db_warnings w;
    struct ft_error err;
    struct ft_db *db;
    char *got;

    if (ft_db_open(dir, &opts, &db, &w, &err)) {
        fail_msg("offset %zu: open failed: %s", where, err.reason);
    }
    got = dump(db);
    if (strcmp(got, expected) || ft_db_seq(db) != seq) {
        fail_msg("offset %zu: recovered seq %llu\n%s\nwant seq %llu\n%s",
                 where, (unsigned long long) ft_db_seq(db), got,
                 (unsigned long long) seq, expected);
    }
    if (expect_warning != (w.n > 0)) {
        fail_msg("offset %zu: %zu warnings, expected %s", where, w.n,
                 expect_warning ? "some" : "none");
    }
    free(got);
    ft_db_warnings_destroy(&w);
    ft_db_close(db);
}

static void
test_crash_every_offset(void **state)
{
    char *dir = make_tmpdir();
    char *states[32];
    size_t n_states, size, first_nl;
    char copy[256];
    char *journal;
    unsigned int seed = 12345;

    (void) state;
    journal = build_history(dir, states, &n_states, &size);
    assert_int_equal(count_newlines(journal, size), n_states);
    snprintf(copy, sizeof copy, "%s/copy", dir);
    assert_int_equal(mkdir(copy, 0700), 0);

    /* A crash at every byte: the journal cut to each length. */
    for (size_t len = 0; len <= size; len++) {
        size_t lines = count_newlines(journal, len);
        size_t k = lines ? lines - 1 : 0;
        bool torn = len > 0 && journal[len - 1] != '\n';

        write_whole(journal_path(copy), journal, len);
        check_recovery(copy, states[k], k, torn || len == 0, len);
        /* The tail was cut: opening again is clean and the same. */
        if (len > 0 && lines > 0) {
            check_recovery(copy, states[k], k, false, len);
        }
    }

    /* Corruption in the tail: random bytes flipped after the snapshot. */
    first_nl = (char *) memchr(journal, '\n', size) - journal;
    for (int iter = 0; iter < 400; iter++) {
        char *bad = malloc(size);
        size_t off = first_nl + 1 + rand_r(&seed) % (size - first_nl - 1);
        int n_flips = 1 + rand_r(&seed) % 3;
        size_t k;

        memcpy(bad, journal, size);
        bad[off] ^= 1 + rand_r(&seed) % 255;
        for (int f = 1; f < n_flips; f++) {
            size_t o2 = off + rand_r(&seed) % (size - off);

            bad[o2] ^= 1 + rand_r(&seed) % 255;
        }
        k = count_newlines(journal, off) - 1;
        write_whole(journal_path(copy), bad, size);
        check_recovery(copy, states[k], k, true, off);
        free(bad);
    }

    for (size_t i = 0; i < n_states; i++) {
        free(states[i]);
    }
    free(journal);
    remove_tree(dir);
    free(dir);
}

/* The child: commits forever, reporting each acknowledged transaction's
 * number on 'fd'. */
static void
kill_child(const char *dir, int iter, int fd)
{
    struct ft_db_options opts = { .compact_records = 7 };
    struct ft_error err;
    struct ft_db *db;

    if (ft_db_open(dir, &opts, &db, NULL, &err)) {
        fprintf(stderr, "child: open: %s\n", err.reason);
        _exit(1);
    }
    for (uint32_t i = 1; i < 1000000; i++) {
        struct ft_db_txn *txn;
        char arg[64];
        const char *argv[] = { "Bridge", "br0", arg };

        snprintf(arg, sizeof arg, "external_ids:it%d-%u=%u", iter, i, i);
        if (ft_db_txn_begin(db, &txn, &err)
            || ft_db_set(txn, 3, argv, &err)
            || ft_db_txn_commit(txn, &err)) {
            fprintf(stderr, "child: commit: %s\n", err.reason);
            _exit(1);
        }
        if (write(fd, &i, sizeof i) != sizeof i) {
            _exit(1);
        }
    }
    _exit(0);
}

static void
test_sigkill(void **state)
{
    char *dir = make_tmpdir();
    struct ft_db *db = open_ok(dir, NULL, NULL);
    unsigned int seed = 4242;
    uint32_t total = 0;

    (void) state;
    run(db, "add-br br0");
    ft_db_close(db);

    for (int iter = 0; iter < 6; iter++) {
        struct ft_db_warnings w;
        const struct ft_db_row *br;
        uint32_t acked = 0, x;
        int fds[2], status;
        pid_t pid;

        assert_int_equal(pipe(fds), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (!pid) {
            close(fds[0]);
            kill_child(dir, iter, fds[1]);
        }
        close(fds[1]);
        usleep(20000 + rand_r(&seed) % 150000);
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        while (read(fds[0], &x, sizeof x) == sizeof x) {
            assert_int_equal(x, acked + 1);
            acked = x;
        }
        close(fds[0]);

        db = open_ok(dir, NULL, &w);
        br = ft_db_find(db, FT_DB_BRIDGE, "br0");
        assert_non_null(br);
        for (uint32_t i = 1; i <= acked; i++) {
            char key[32], val[16];
            const char *v;

            snprintf(key, sizeof key, "it%d-%u", iter, i);
            snprintf(val, sizeof val, "%u", i);
            v = ft_db_row_map_get(br, "external_ids", key);
            if (!v || strcmp(v, val)) {
                fail_msg("iteration %d: acknowledged transaction %u lost "
                         "(%u acknowledged)", iter, i, acked);
            }
        }
        total += acked;
        print_message("iteration %d: %u acknowledged, %zu warnings\n",
                      iter, acked, w.n);
        ft_db_warnings_destroy(&w);
        ft_db_close(db);
    }
    /* The test means something only if the child got work done. */
    assert_true(total > 0);
    remove_tree(dir);
    free(dir);
}

/* The journal's CRC is CRC-32 (IEEE): journals written before stay
 * readable only if it never changes. */
static void
test_crc32(void **state)
{
    (void) state;
    assert_int_equal(db_crc32("123456789", 9), 0xcbf43926);
    assert_int_equal(db_crc32("", 0), 0);
    assert_int_equal(db_crc32("The quick brown fox jumps over the lazy dog",
                              43), 0x414fa339);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_flows_add_bulk),
        cmocka_unit_test(test_flows_add_take),
        cmocka_unit_test(test_vsctl),
        cmocka_unit_test(test_vsctl_errors),
        cmocka_unit_test(test_txn_atomic),
        cmocka_unit_test(test_topology),
        cmocka_unit_test(test_flows_and_compaction),
        cmocka_unit_test(test_crash_every_offset),
        cmocka_unit_test(test_sigkill),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

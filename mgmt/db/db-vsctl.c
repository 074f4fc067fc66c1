/*
 * db-vsctl.c - the configuration database's ovs-vsctl-style verbs (set,
 * clear, add, remove, get, list), its topology calls (add-br, add-port,
 * del-br, del-port) and its flow list calls.
 *
 * Each write turns its arguments into operations (see db.c) and applies
 * them in the caller's transaction; a failure poisons the transaction.
 * Reads format rows in ovs-vsctl's syntax and layouts.  No I/O.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/util.h"

#include "mgmt/db/db-private.h"

/* ft_db_flows_del() of up to this many flows writes one "list_del" per
 * flow (each a search of the list); more become one "set" of what stays,
 * so removing k of n flows costs O(n log k), not O(n * k). */
#define DB_FLOWS_DEL_ONE_BY_ONE 32

/* ---- ovs-vsctl-style verbs. ---- */

static int
resolve_row(const struct ft_db *db, const char *tname, const char *rname,
            enum ft_db_table *t, struct ft_db_row **row, struct ft_error *err)
{
    int error = ft_db_table_from_name(tname, t, err);

    if (error) {
        return error;
    }
    *row = db_row_find(db, *t, rname);
    return *row ? 0 : ft_error_set(err, -ENOENT, "no row \"%s\" in table %s",
                                   rname, db_table_name(*t));
}

static const struct ft_db_column *
resolve_column(enum ft_db_table t, const char *name, bool write, size_t *ci,
               struct ft_error *err)
{
    const struct ft_db_column *col = db_column_find(t, name, ci);

    if (!col) {
        ft_error_set(err, -EINVAL, "%s does not contain a column whose name "
                     "matches \"%s\"", db_table_name(t), name);
        return NULL;
    }
    if (write && col->read_only) {
        ft_error_set(err, -EINVAL, "cannot modify read-only column %s in "
                     "table %s", col->name, db_table_name(t));
        return NULL;
    }
    return col;
}

static int
check_args(int argc, int min, const char *usage, struct ft_error *err)
{
    return argc < min ? ft_error_set(err, -EINVAL, "expected %s", usage) : 0;
}

/* Splits "COLUMN[:KEY]" at the first ':' into a new 'column' and 'key'
 * (NULL without one; a quoted key is unquoted). */
static int
split_column_key(const char *arg, size_t len, char **column, char **key,
                 struct ft_error *err)
{
    const char *colon = memchr(arg, ':', len);
    size_t clen = colon ? (size_t) (colon - arg) : len;
    int error = 0;

    *column = ft_xmalloc(clen + 1);
    memcpy(*column, arg, clen);
    (*column)[clen] = '\0';
    *key = NULL;
    if (colon) {
        char *raw = ft_xmalloc(len - clen);

        memcpy(raw, colon + 1, len - clen - 1);
        raw[len - clen - 1] = '\0';
        error = db_atom_parse_string(raw, key, err);
        free(raw);
        if (error) {
            free(*column);
            *column = NULL;
        }
    }
    return error;
}

static int
set_one(struct ft_db_txn *txn, enum ft_db_table t, const char *rname,
        const char *arg, struct ft_error *err)
{
    const char *eq = strchr(arg, '=');
    const struct ft_db_column *col;
    char *cname, *key;
    struct ft_error e;
    json_t *op;
    size_t ci;
    int error;

    if (!eq || !eq[1]) {
        return ft_error_set(err, -EINVAL, "%s: argument does not end in \"=\" "
                            "followed by a value", arg);
    }
    error = split_column_key(arg, eq - arg, &cname, &key, err);
    if (error) {
        return error;
    }
    col = resolve_column(t, cname, true, &ci, err);
    if (!col) {
        error = -EINVAL;
    } else if (key) {
        char *value;

        if (col->type != FT_DB_MAP) {
            error = ft_error_set(err, -EINVAL, "cannot specify key to set "
                                 "for non-map column %s", col->name);
        } else if (db_atom_parse_string(eq + 1, &value, &e)) {
            error = db_op_error(err, e.code, t, rname, col, &e);
        } else {
            op = db_op_new("map_put", t, rname, col);
            json_object_set_new(op, "key", json_string(key));
            json_object_set_new(op, "value", json_string(value));
            free(value);
            error = db_apply_op(txn, op, err);
        }
    } else {
        struct ft_db_datum d;

        if (db_datum_parse(col, eq + 1, &d, &e)) {
            error = db_op_error(err, e.code, t, rname, col, &e);
        } else {
            op = db_op_new("set", t, rname, col);
            json_object_set_new(op, "value", db_datum_to_json(col, &d));
            db_datum_destroy(&d);
            error = db_apply_op(txn, op, err);
        }
    }
    free(cname);
    free(key);
    return error;
}

/* Checks that there are at least 'min' arguments (else the error says
 * 'usage') and finds the row of the first two, TABLE RECORD. */
static int
row_args(struct ft_db_txn *txn, int argc, const char *const *argv, int min,
         const char *usage, enum ft_db_table *t, struct ft_db_row **row,
         struct ft_error *e)
{
    int error = check_args(argc, min, usage, e);

    return error ? error : resolve_row(txn->db, argv[0], argv[1], t, row, e);
}

int
ft_db_set(struct ft_db_txn *txn, int argc, const char *const *argv,
          struct ft_error *err)
{
    struct ft_db_row *row;
    enum ft_db_table t;
    struct ft_error e;
    int error;

    if (txn->error.code) {
        return db_txn_poisoned(txn, err);
    }
    error = row_args(txn, argc, argv, 3,
                     "TABLE RECORD COLUMN[:KEY]=VALUE...", &t, &row, &e);
    for (int i = 2; !error && i < argc; i++) {
        error = set_one(txn, t, argv[1], argv[i], &e);
    }
    return db_txn_fail(txn, error, &e, err);
}

int
ft_db_clear(struct ft_db_txn *txn, int argc, const char *const *argv,
            struct ft_error *err)
{
    struct ft_db_row *row;
    enum ft_db_table t;
    struct ft_error e;
    int error;

    if (txn->error.code) {
        return db_txn_poisoned(txn, err);
    }
    error = row_args(txn, argc, argv, 3, "TABLE RECORD COLUMN...", &t, &row,
                     &e);
    for (int i = 2; !error && i < argc; i++) {
        const struct ft_db_column *col;
        struct ft_db_datum d;
        json_t *op;
        size_t ci;

        col = resolve_column(t, argv[i], true, &ci, &e);
        if (!col) {
            error = -EINVAL;
            break;
        }
        db_datum_init_default(&d, col);
        if ((col->type == FT_DB_STRING || col->type == FT_DB_INT)
            && !col->optional && !col->default_value) {
            db_datum_destroy(&d);
            error = ft_error_set(&e, -EINVAL, "cannot clear column %s of "
                                 "table %s: it may not be empty", col->name,
                                 db_table_name(t));
            break;
        }
        op = db_op_new("set", t, argv[1], col);
        json_object_set_new(op, "value", db_datum_to_json(col, &d));
        db_datum_destroy(&d);
        error = db_apply_op(txn, op, &e);
    }
    return db_txn_fail(txn, error, &e, err);
}

/* Parses 'text' as elements of collection column 'col' (or, for a map
 * whose elements are given as bare keys, as a list of keys). */
static int
parse_elements(const struct ft_db_column *col, const char *text,
               bool keys_only, struct ft_db_datum *d, struct ft_error *err)
{
    static const struct ft_db_column key_list = {
        .name = "keys", .type = FT_DB_LIST,
    };

    return db_datum_parse(keys_only ? &key_list : col, text, d, err);
}

static int
add_remove(struct ft_db_txn *txn, int argc, const char *const *argv,
           bool add, struct ft_error *e)
{
    const struct ft_db_column *col;
    struct ft_db_row *row;
    enum ft_db_table t;
    size_t ci;
    int error;

    error = row_args(txn, argc, argv, 4, "TABLE RECORD COLUMN VALUE...", &t,
                     &row, e);
    if (error) {
        return error;
    }
    col = resolve_column(t, argv[2], true, &ci, e);
    if (!col) {
        return -EINVAL;
    }
    if (col->type != FT_DB_MAP && col->type != FT_DB_INT_SET
        && col->type != FT_DB_LIST) {
        return ft_error_set(e, -EINVAL, "cannot %s %s column %s of table %s; "
                            "use set", add ? "add to" : "remove from",
                            "scalar", col->name, db_table_name(t));
    }
    for (int i = 3; !error && i < argc; i++) {
        bool keys_only = col->type == FT_DB_MAP && !add
                         && !strchr(argv[i], '=');
        struct ft_error pe;
        struct ft_db_datum d;

        if (parse_elements(col, argv[i], keys_only, &d, &pe)) {
            return db_op_error(e, pe.code, t, argv[1], col, &pe);
        }
        for (size_t j = 0; !error && j < d.n; j++) {
            const struct ft_db_datum *cur = &row->cols[ci];
            json_t *op = NULL;
            size_t idx;

            if (col->type == FT_DB_MAP) {
                bool found = db_map_find(cur, d.strs[j], &idx);

                if (add && !found) {
                    op = db_op_new("map_put", t, argv[1], col);
                    json_object_set_new(op, "value",
                                        json_string(d.values[j]));
                } else if (!add && found
                           && (keys_only
                               || !strcmp(cur->values[idx], d.values[j]))) {
                    op = db_op_new("map_del", t, argv[1], col);
                }
                if (op) {
                    json_object_set_new(op, "key", json_string(d.strs[j]));
                }
            } else if (col->type == FT_DB_INT_SET) {
                op = db_op_new(add ? "set_add" : "set_del", t, argv[1], col);
                json_object_set_new(op, "value", json_integer(d.ints[j]));
            } else {
                bool found = false;

                for (idx = 0; idx < cur->n && !found; idx++) {
                    found = !strcmp(cur->strs[idx], d.strs[j]);
                }
                if (add != found) {
                    op = db_op_new(add ? "list_add" : "list_del", t, argv[1],
                                   col);
                    json_object_set_new(op, "value", json_string(d.strs[j]));
                }
            }
            if (op) {
                error = db_apply_op(txn, op, e);
            }
        }
        db_datum_destroy(&d);
    }
    return error;
}

int
ft_db_add(struct ft_db_txn *txn, int argc, const char *const *argv,
          struct ft_error *err)
{
    struct ft_error e;

    if (txn->error.code) {
        return db_txn_poisoned(txn, err);
    }
    return db_txn_fail(txn, add_remove(txn, argc, argv, true, &e), &e, err);
}

int
ft_db_remove(struct ft_db_txn *txn, int argc, const char *const *argv,
             struct ft_error *err)
{
    struct ft_error e;

    if (txn->error.code) {
        return db_txn_poisoned(txn, err);
    }
    return db_txn_fail(txn, add_remove(txn, argc, argv, false, &e), &e, err);
}

/* ---- Topology and flows. ---- */

static int
op_list(struct ft_db_txn *txn, const char *verb, enum ft_db_table t,
        const char *row, const char *column, const char *value,
        struct ft_error *err)
{
    json_t *op = db_op_new(verb, t, row, db_column_find(t, column, NULL));

    json_object_set_new(op, "value", json_string(value));
    return db_apply_op(txn, op, err);
}

static int
op_row(struct ft_db_txn *txn, const char *verb, enum ft_db_table t,
       const char *row, struct ft_error *err)
{
    return db_apply_op(txn, db_op_new(verb, t, row, NULL), err);
}

static int
check_name(const char *what, const char *name, struct ft_error *err)
{
    if (!name || !*name) {
        return ft_error_set(err, -EINVAL, "%s name may not be empty", what);
    }
    return 0;
}

static int
check_port_free(const struct ft_db *db, const char *name,
                struct ft_error *err)
{
    const struct ft_db_row *br = ft_db_port_bridge(db, name);

    if (db_row_find(db, FT_DB_PORT, name)) {
        return ft_error_set(err, -EEXIST, "port \"%s\" already exists%s%s",
                            name, br ? " on bridge " : "",
                            br ? br->cols[0].s : "");
    }
    if (db_row_find(db, FT_DB_INTERFACE, name)) {
        return ft_error_set(err, -EEXIST, "interface \"%s\" already exists",
                            name);
    }
    return 0;
}

/* A port that an earlier command of this transaction took off its bridge
 * ("del-port br0 p -- add-port br1 p", or "del-br br0 -- add-br br0",
 * whose bridge port outlives the deleted bridge) is still a row until the
 * commit collects it.  A port added again under its name is a new port,
 * as in Open vSwitch: the old row and its interfaces go now. */
static int
drop_detached_port(struct ft_db_txn *txn, const char *port,
                   struct ft_error *e)
{
    const struct ft_db_row *row = db_row_find(txn->db, FT_DB_PORT, port);
    int error = 0;
    size_t ci;

    if (!row || ft_db_port_bridge(txn->db, port)) {
        return 0;
    }
    /* The interfaces first, while the port's row names them. */
    db_column_find(FT_DB_PORT, "interfaces", &ci);
    for (size_t i = 0; !error && i < row->cols[ci].n; i++) {
        error = op_row(txn, "delete", FT_DB_INTERFACE, row->cols[ci].strs[i],
                       e);
    }
    return error ? error : op_row(txn, "delete", FT_DB_PORT, port, e);
}

static int
add_port__(struct ft_db_txn *txn, const char *br, const char *port,
           const char *type, struct ft_error *e)
{
    int error = drop_detached_port(txn, port, e);

    if (!error) {
        error = check_port_free(txn->db, port, e);
    }

    if (!error) {
        error = op_row(txn, "insert", FT_DB_PORT, port, e);
    }
    if (!error) {
        error = op_row(txn, "insert", FT_DB_INTERFACE, port, e);
    }
    if (!error && type) {
        json_t *op = db_op_new("set", FT_DB_INTERFACE, port,
                               db_column_find(FT_DB_INTERFACE, "type", NULL));

        json_object_set_new(op, "value", json_string(type));
        error = db_apply_op(txn, op, e);
    }
    if (!error) {
        error = op_list(txn, "list_add", FT_DB_PORT, port, "interfaces",
                        port, e);
    }
    if (!error) {
        error = op_list(txn, "list_add", FT_DB_BRIDGE, br, "ports", port, e);
    }
    return error;
}

int
ft_db_add_br(struct ft_db_txn *txn, const char *br, struct ft_error *err)
{
    struct ft_error e;
    int error;

    if (txn->error.code) {
        return db_txn_poisoned(txn, err);
    }
    error = check_name("bridge", br, &e);
    if (!error && db_row_find(txn->db, FT_DB_BRIDGE, br)) {
        error = ft_error_set(&e, -EEXIST, "bridge \"%s\" already exists", br);
    }
    if (!error) {
        error = drop_detached_port(txn, br, &e);
    }
    if (!error) {
        error = check_port_free(txn->db, br, &e);
    }
    if (!error) {
        error = op_row(txn, "insert", FT_DB_BRIDGE, br, &e);
    }
    if (!error) {
        error = add_port__(txn, br, br, "internal", &e);
    }
    return db_txn_fail(txn, error, &e, err);
}

int
ft_db_del_br(struct ft_db_txn *txn, const char *br, struct ft_error *err)
{
    struct ft_error e;
    int error = 0;

    if (txn->error.code) {
        return db_txn_poisoned(txn, err);
    }
    if (!db_row_find(txn->db, FT_DB_BRIDGE, br)) {
        error = ft_error_set(&e, -ENOENT, "no bridge named \"%s\"", br);
    } else {
        error = op_row(txn, "delete", FT_DB_BRIDGE, br, &e);
    }
    return db_txn_fail(txn, error, &e, err);
}

int
ft_db_add_port(struct ft_db_txn *txn, const char *br, const char *port,
               const char *type, struct ft_error *err)
{
    struct ft_error e;
    int error;

    if (txn->error.code) {
        return db_txn_poisoned(txn, err);
    }
    error = check_name("port", port, &e);
    if (!error && !db_row_find(txn->db, FT_DB_BRIDGE, br)) {
        error = ft_error_set(&e, -ENOENT, "no bridge named \"%s\"", br);
    }
    if (!error) {
        error = add_port__(txn, br, port, type, &e);
    }
    return db_txn_fail(txn, error, &e, err);
}

int
ft_db_del_port(struct ft_db_txn *txn, const char *br, const char *port,
               struct ft_error *err)
{
    const struct ft_db_row *owner;
    struct ft_error e;
    int error;

    if (txn->error.code) {
        return db_txn_poisoned(txn, err);
    }
    owner = ft_db_port_bridge(txn->db, port);
    if (br && !db_row_find(txn->db, FT_DB_BRIDGE, br)) {
        error = ft_error_set(&e, -ENOENT, "no bridge named \"%s\"", br);
    } else if (!owner || (br && strcmp(owner->cols[0].s, br))) {
        error = ft_error_set(&e, -ENOENT, "%s%s has no port named \"%s\"",
                             br ? "bridge " : "the database",
                             br ? br : "", port);
    } else {
        error = op_list(txn, "list_del", FT_DB_BRIDGE, owner->cols[0].s,
                        "ports", port, &e);
    }
    return db_txn_fail(txn, error, &e, err);
}

static int
find_bridge(const struct ft_db_txn *txn, const char *br,
            struct ft_db_row **row, struct ft_error *e)
{
    *row = db_row_find(txn->db, FT_DB_BRIDGE, br);
    return *row ? 0 : ft_error_set(e, -ENOENT, "no bridge named \"%s\"", br);
}

int
ft_db_flow_add(struct ft_db_txn *txn, const char *br, const char *flow,
               struct ft_error *err)
{
    struct ft_db_row *row;
    struct ft_error e;
    int error;

    if (txn->error.code) {
        return db_txn_poisoned(txn, err);
    }
    error = find_bridge(txn, br, &row, &e);
    if (!error) {
        error = op_list(txn, "list_add", FT_DB_BRIDGE, br, "flows", flow, &e);
    }
    return db_txn_fail(txn, error, &e, err);
}

int
ft_db_flows_add(struct ft_db_txn *txn, const char *br,
                const char *const *flows, size_t n, struct ft_error *err)
{
    struct ft_db_row *row;
    struct ft_error e;
    int error;

    if (txn->error.code) {
        return db_txn_poisoned(txn, err);
    }
    error = find_bridge(txn, br, &row, &e);
    if (!error && n) {
        char **copies = ft_xmalloc(n * sizeof *copies);

        for (size_t i = 0; i < n; i++) {
            copies[i] = ft_xstrdup(flows[i]);
        }
        error = db_apply_list_extend(txn, FT_DB_BRIDGE, br,
                                     db_column_find(FT_DB_BRIDGE, "flows",
                                                    NULL),
                                     copies, n, &e);
        free(copies);
    }
    return db_txn_fail(txn, error, &e, err);
}

int
ft_db_flows_add_take(struct ft_db_txn *txn, const char *br, char **flows,
                     size_t n, struct ft_error *err)
{
    struct ft_db_row *row;
    struct ft_error e;
    int error;

    if (txn->error.code) {
        error = db_txn_poisoned(txn, err);
    } else {
        error = find_bridge(txn, br, &row, &e);
        if (!error) {
            error = db_apply_list_extend(txn, FT_DB_BRIDGE, br,
                                         db_column_find(FT_DB_BRIDGE,
                                                        "flows", NULL),
                                         flows, n, &e);
        }
        error = db_txn_fail(txn, error, &e, err);
    }
    for (size_t i = 0; i < n; i++) {
        free(flows[i]);
        flows[i] = NULL;
    }
    return error;
}

int
ft_db_flow_del(struct ft_db_txn *txn, const char *br, const char *flow,
               struct ft_error *err)
{
    const struct ft_db_datum *flows;
    struct ft_db_row *row;
    struct ft_error e;
    int error;

    if (txn->error.code) {
        return db_txn_poisoned(txn, err);
    }
    error = find_bridge(txn, br, &row, &e);
    if (!error) {
        size_t i;

        flows = ft_db_row_get(row, "flows");
        for (i = 0; i < flows->n && strcmp(flows->strs[i], flow); i++) {
            continue;
        }
        if (i >= flows->n) {
            error = ft_error_set(&e, -ENOENT, "bridge %s has no flow \"%s\"",
                                 br, flow);
        } else {
            error = op_list(txn, "list_del", FT_DB_BRIDGE, br, "flows", flow,
                            &e);
        }
    }
    return db_txn_fail(txn, error, &e, err);
}

static int
str_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Sets 'br''s flows to those of 'row' not in 'flows' (one element per
 * copy): one pass over the list and a binary search per flow. */
static int
flows_del_bulk(struct ft_db_txn *txn, const char *br,
               const struct ft_db_row *row, const char *const *flows,
               size_t n, struct ft_error *e)
{
    const struct ft_db_datum *d = ft_db_row_get(row, "flows");
    const char **sorted = ft_xmalloc((n + 1) * sizeof *sorted);
    bool *used = calloc(n + 1, sizeof *used);
    json_t *keep = json_array(), *op;
    size_t n_used = 0;

    if (!used) {
        abort();
    }
    memcpy(sorted, flows, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, str_ptr_cmp);
    for (size_t i = 0; i < d->n; i++) {
        const char *key = d->strs[i];
        const char **hit = bsearch(&key, sorted, n, sizeof *sorted,
                                   str_ptr_cmp);

        /* Equal texts sit side by side: take the first copy not used. */
        while (hit && hit > sorted && !strcmp(hit[-1], key)) {
            hit--;
        }
        while (hit && hit < sorted + n && !strcmp(*hit, key)
               && used[hit - sorted]) {
            hit++;
        }
        if (hit && hit < sorted + n && !strcmp(*hit, key)) {
            used[hit - sorted] = true;
            n_used++;
        } else {
            json_array_append_new(keep, json_string(key));
        }
    }
    if (n_used < n) {
        for (size_t i = 0; i < n; i++) {
            if (!used[i]) {
                ft_error_set(e, -ENOENT, "bridge %s has no flow \"%s\"", br,
                             sorted[i]);
                break;
            }
        }
        json_decref(keep);
        free(used);
        free(sorted);
        return e->code;
    }
    free(used);
    free(sorted);
    op = db_op_new("set", FT_DB_BRIDGE, br,
                   db_column_find(FT_DB_BRIDGE, "flows", NULL));
    json_object_set_new(op, "value", keep);
    return db_apply_op(txn, op, e);
}

int
ft_db_flows_del(struct ft_db_txn *txn, const char *br,
                const char *const *flows, size_t n, struct ft_error *err)
{
    struct ft_db_row *row;
    struct ft_error e;
    int error;

    if (txn->error.code) {
        return db_txn_poisoned(txn, err);
    }
    if (n <= DB_FLOWS_DEL_ONE_BY_ONE) {
        for (size_t i = 0; i < n; i++) {
            error = ft_db_flow_del(txn, br, flows[i], err);
            if (error) {
                return error;
            }
        }
        return 0;
    }
    error = find_bridge(txn, br, &row, &e);
    if (!error) {
        error = flows_del_bulk(txn, br, row, flows, n, &e);
    }
    return db_txn_fail(txn, error, &e, err);
}

int
ft_db_flows_clear(struct ft_db_txn *txn, const char *br,
                  struct ft_error *err)
{
    struct ft_db_row *row;
    struct ft_error e;
    int error;

    if (txn->error.code) {
        return db_txn_poisoned(txn, err);
    }
    error = find_bridge(txn, br, &row, &e);
    if (!error) {
        json_t *op = db_op_new("set", FT_DB_BRIDGE, br,
                               db_column_find(FT_DB_BRIDGE, "flows", NULL));

        json_object_set_new(op, "value", json_array());
        error = db_apply_op(txn, op, &e);
    }
    return db_txn_fail(txn, error, &e, err);
}

int
ft_db_get(const struct ft_db *db, int argc, const char *const *argv,
          struct ds *out, struct ft_error *err)
{
    struct ft_db_row *row;
    enum ft_db_table t;
    struct ds s = DS_EMPTY_INITIALIZER;
    int error;

    error = check_args(argc, 3, "TABLE RECORD COLUMN[:KEY]...", err);
    if (!error) {
        error = resolve_row(db, argv[0], argv[1], &t, &row, err);
    }
    for (int i = 2; !error && i < argc; i++) {
        const struct ft_db_column *col;
        char *cname, *key;
        size_t ci, idx;

        error = split_column_key(argv[i], strlen(argv[i]), &cname, &key, err);
        if (error) {
            break;
        }
        col = resolve_column(t, cname, false, &ci, err);
        if (!col) {
            error = -EINVAL;
        } else if (!key) {
            db_datum_format(col, &row->cols[ci], &s);
            ds_put_char(&s, '\n');
        } else if (col->type != FT_DB_MAP) {
            error = ft_error_set(err, -EINVAL, "cannot specify key to get "
                                 "for non-map column %s", col->name);
        } else if (!db_map_find(&row->cols[ci], key, &idx)) {
            error = ft_error_set(err, -ENOENT, "no key \"%s\" in %s record "
                                 "\"%s\" column %s", key, db_table_name(t),
                                 argv[1], col->name);
        } else {
            db_string_format(row->cols[ci].values[idx], &s);
            ds_put_char(&s, '\n');
        }
        free(cname);
        free(key);
    }
    if (!error) {
        ds_put_cstr(out, ds_cstr(&s));
    }
    ds_destroy(&s);
    return error;
}

static void
list_row(const struct ft_db_row *row, enum ft_db_format format,
         struct ds *out, json_t *data)
{
    const struct ft_db_table_schema *ts = ft_db_schema(row->table);
    json_t *jrow = json_array();

    for (size_t i = 0; i < ts->n_columns; i++) {
        if (format == FT_DB_FORMAT_JSON) {
            json_array_append_new(jrow, db_datum_to_ovsdb_json(
                                      &ts->columns[i], &row->cols[i]));
        } else {
            ds_put_format(out, "%-20s: ", ts->columns[i].name);
            db_datum_format(&ts->columns[i], &row->cols[i], out);
            ds_put_char(out, '\n');
        }
    }
    json_array_append_new(data, jrow);
}

int
ft_db_list(const struct ft_db *db, int argc, const char *const *argv,
           enum ft_db_format format, struct ds *out, struct ft_error *err)
{
    const struct ft_db_row **rows;
    const struct ft_db_table_schema *ts;
    enum ft_db_table t;
    size_t n = 0;
    json_t *data;
    int error;

    error = check_args(argc, 1, "TABLE [RECORD...]", err);
    if (!error) {
        error = ft_db_table_from_name(argv[0], &t, err);
    }
    if (error) {
        return error;
    }
    rows = ft_xmalloc((argc > 1 ? (size_t) argc : db->tables[t].n + 1)
                   * sizeof *rows);
    if (argc == 1) {
        for (size_t i = 0; i < db->tables[t].n; i++) {
            rows[n++] = db->tables[t].rows[i];
        }
    }
    for (int i = 1; i < argc; i++) {
        struct ft_db_row *row;

        error = resolve_row(db, argv[0], argv[i], &t, &row, err);
        if (error) {
            free(rows);
            return error;
        }
        rows[n++] = row;
    }
    data = json_array();
    for (size_t i = 0; i < n; i++) {
        if (i && format == FT_DB_FORMAT_LIST) {
            ds_put_char(out, '\n');
        }
        list_row(rows[i], format, out, data);
    }
    if (format == FT_DB_FORMAT_JSON) {
        json_t *headings = json_array();
        json_t *top;
        char *text;

        ts = ft_db_schema(t);
        for (size_t i = 0; i < ts->n_columns; i++) {
            json_array_append_new(headings,
                                  json_string(ts->columns[i].name));
        }
        top = json_pack("{s:O, s:o}", "data", data, "headings", headings);
        text = json_dumps(top, JSON_COMPACT);
        ds_put_format(out, "%s\n", text);
        free(text);
        json_decref(top);
    }
    json_decref(data);
    free(rows);
    return 0;
}

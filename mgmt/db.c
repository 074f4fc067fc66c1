/*
 * db.c - the configuration database's rows, operations and transactions.
 *
 * Rows live in memory, one sorted array per table.  Every change, whether
 * it comes from an ovs-vsctl-style verb, a topology call (add-br,
 * add-port) or the journal's replay, is an "operation": a small JSON
 * object such as {"op":"map_put","table":"Bridge","row":"br0",
 * "column":"other_config","key":"max-idle","value":"5000"}.  One function,
 * apply_op(), validates and applies operations and records how to undo
 * them, so what is replayed from the journal is exactly what was
 * committed.  A transaction is the list of operations it applied plus
 * their undo log; commit adds the operations that keep references whole
 * (garbage collection, ofport numbers), then hands the list to
 * db-journal.c, and only then forgets the undo log.
 *
 * Touches no file itself; all I/O is in db-journal.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/port.h"
#include "mgmt/db-private.h"

static const size_t DEFAULT_COMPACT_RECORDS = 1000;
static const size_t DEFAULT_COMPACT_BYTES = 16 * 1024 * 1024;

static void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p) {
        abort();
    }
    return p;
}

static char *
xstrdup(const char *s)
{
    char *p = strdup(s);

    if (!p) {
        abort();
    }
    return p;
}

/* ---- Warnings. ---- */

void
db_warn(struct ft_db_warnings *w, const char *format, ...)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    va_list args;

    if (!w) {
        return;
    }
    va_start(args, format);
    ds_put_format_valist(&s, format, args);
    va_end(args);
    w->msgs = realloc(w->msgs, (w->n + 1) * sizeof *w->msgs);
    if (!w->msgs) {
        abort();
    }
    w->msgs[w->n++] = s.s ? s.s : xstrdup("");
}

void
ft_db_warnings_destroy(struct ft_db_warnings *w)
{
    if (w) {
        for (size_t i = 0; i < w->n; i++) {
            free(w->msgs[i]);
        }
        free(w->msgs);
        w->msgs = NULL;
        w->n = 0;
    }
}

/* ---- Rows and tables. ---- */

static const char *
table_name(enum ft_db_table t)
{
    return ft_db_schema(t)->name;
}

static struct ft_db_row *
row_create(enum ft_db_table t, const char *name)
{
    const struct ft_db_table_schema *ts = ft_db_schema(t);
    struct ft_db_row *row;

    row = xmalloc(sizeof *row + ts->n_columns * sizeof row->cols[0]);
    row->table = t;
    for (size_t i = 0; i < ts->n_columns; i++) {
        db_datum_init_default(&row->cols[i], &ts->columns[i]);
    }
    free(row->cols[0].s);
    row->cols[0].s = xstrdup(name);
    return row;
}

static void
row_destroy(struct ft_db_row *row)
{
    if (row) {
        size_t n = ft_db_schema(row->table)->n_columns;

        for (size_t i = 0; i < n; i++) {
            db_datum_destroy(&row->cols[i]);
        }
        free(row);
    }
}

/* Binary search: returns true and the index of 'name', or false and the
 * index where it would go. */
static bool
table_find(const struct db_table *t, const char *name, size_t *idx)
{
    size_t lo = 0, hi = t->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(name, t->rows[mid]->cols[0].s);

        if (!cmp) {
            *idx = mid;
            return true;
        } else if (cmp < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    *idx = lo;
    return false;
}

static struct ft_db_row *
db_row_find(const struct ft_db *db, enum ft_db_table t, const char *name)
{
    size_t idx;

    return table_find(&db->tables[t], name, &idx)
           ? db->tables[t].rows[idx] : NULL;
}

static void
table_insert(struct db_table *t, struct ft_db_row *row)
{
    size_t idx;

    table_find(t, row->cols[0].s, &idx);
    if (t->n >= t->allocated) {
        t->allocated = t->allocated ? 2 * t->allocated : 8;
        t->rows = realloc(t->rows, t->allocated * sizeof *t->rows);
        if (!t->rows) {
            abort();
        }
    }
    memmove(&t->rows[idx + 1], &t->rows[idx],
            (t->n - idx) * sizeof *t->rows);
    t->rows[idx] = row;
    t->n++;
}

static struct ft_db_row *
table_remove(struct db_table *t, const char *name)
{
    struct ft_db_row *row;
    size_t idx;

    if (!table_find(t, name, &idx)) {
        return NULL;
    }
    row = t->rows[idx];
    t->n--;
    memmove(&t->rows[idx], &t->rows[idx + 1],
            (t->n - idx) * sizeof *t->rows);
    return row;
}

void
db_state_clear(struct ft_db *db)
{
    for (int t = 0; t < FT_DB_N_TABLES; t++) {
        for (size_t i = 0; i < db->tables[t].n; i++) {
            row_destroy(db->tables[t].rows[i]);
        }
        free(db->tables[t].rows);
        memset(&db->tables[t], 0, sizeof db->tables[t]);
    }
}

/* ---- Transactions: the undo log. ---- */

enum undo_kind {
    UNDO_INSERT,        /* Row 'name' was inserted: remove it. */
    UNDO_DELETE,        /* 'row' was removed: put it back. */
    UNDO_COLUMN,        /* Column 'col' of 'name' was 'old'. */
    UNDO_LIST_ADD,      /* Element 'idx' of list 'col' was added. */
    UNDO_LIST_DEL,      /* Element 'idx' of list 'col', 'str', was removed. */
};

struct undo {
    enum undo_kind kind;
    enum ft_db_table table;
    char *name;
    struct ft_db_row *row;
    size_t col, idx;
    struct ft_db_datum old;
    char *str;
};

struct ft_db_txn {
    struct ft_db *db;
    json_t *ops;                /* Operations applied that changed data. */
    struct undo *undo;
    size_t n_undo, allocated;
    struct ft_error error;      /* First failure; poisons the txn. */
};

static struct undo *
undo_push(struct ft_db_txn *txn, enum undo_kind kind, enum ft_db_table t,
          const char *name)
{
    struct undo *u;

    if (txn->n_undo >= txn->allocated) {
        txn->allocated = txn->allocated ? 2 * txn->allocated : 16;
        txn->undo = realloc(txn->undo, txn->allocated * sizeof *txn->undo);
        if (!txn->undo) {
            abort();
        }
    }
    u = &txn->undo[txn->n_undo++];
    memset(u, 0, sizeof *u);
    u->kind = kind;
    u->table = t;
    u->name = name ? xstrdup(name) : NULL;
    return u;
}

static void
undo_free(struct undo *u)
{
    free(u->name);
    row_destroy(u->row);
    db_datum_destroy(&u->old);
    free(u->str);
}

static void
undo_apply(struct ft_db *db, struct undo *u)
{
    struct db_table *t = &db->tables[u->table];
    struct ft_db_row *row;

    switch (u->kind) {
    case UNDO_INSERT:
        row_destroy(table_remove(t, u->name));
        break;
    case UNDO_DELETE:
        table_insert(t, u->row);
        u->row = NULL;
        break;
    case UNDO_COLUMN:
        row = db_row_find(db, u->table, u->name);
        if (row) {
            db_datum_swap(&row->cols[u->col], &u->old);
        }
        break;
    case UNDO_LIST_ADD:
        row = db_row_find(db, u->table, u->name);
        if (row) {
            db_list_remove(&row->cols[u->col], u->idx);
        }
        break;
    case UNDO_LIST_DEL:
        row = db_row_find(db, u->table, u->name);
        if (row) {
            db_list_insert(&row->cols[u->col], u->idx, u->str);
            u->str = NULL;
        }
        break;
    }
}

/* Ends 'txn': undoes its changes if 'rollback', then frees it. */
static void
txn_end(struct ft_db_txn *txn, bool rollback)
{
    for (size_t i = txn->n_undo; i-- > 0;) {
        if (rollback) {
            undo_apply(txn->db, &txn->undo[i]);
        }
        undo_free(&txn->undo[i]);
    }
    free(txn->undo);
    json_decref(txn->ops);
    if (txn->db->txn == txn) {
        txn->db->txn = NULL;
    }
    free(txn);
}

static struct ft_db_txn *
txn_create(struct ft_db *db)
{
    struct ft_db_txn *txn = xmalloc(sizeof *txn);

    memset(txn, 0, sizeof *txn);
    txn->db = db;
    txn->ops = json_array();
    db->txn = txn;
    return txn;
}

/* ---- Operations. ---- */

static json_t *
op_new(const char *op, enum ft_db_table t, const char *row,
       const struct ft_db_column *col)
{
    json_t *j = json_pack("{s:s, s:s, s:s}", "op", op, "table",
                          table_name(t), "row", row);

    if (col) {
        json_object_set_new(j, "column", json_string(col->name));
    }
    return j;
}

static int
op_error(struct ft_error *err, int code, enum ft_db_table t, const char *row,
         const struct ft_db_column *col, const struct ft_error *inner)
{
    return ft_error_set(err, code, "%s %s column %s: %s", table_name(t), row,
                        col->name, inner->reason);
}

static int
op_string(const json_t *op, const char *member, const char **s,
          struct ft_error *err)
{
    *s = json_string_value(json_object_get(op, member));
    return *s ? 0 : ft_error_set(err, -EINVAL, "operation lacks string "
                                 "\"%s\"", member);
}

/* Applies 'op' within 'txn', recording its undo.  Sets '*changed' to
 * whether the data changed.  On error nothing is changed. */
static int
apply_op__(struct ft_db_txn *txn, const json_t *op, bool *changed,
           struct ft_error *err)
{
    struct ft_db *db = txn->db;
    const char *verb, *tname, *name, *cname, *key, *value;
    const struct ft_db_column *col = NULL;
    struct ft_db_row *row;
    struct ft_error e;
    enum ft_db_table t;
    struct undo *u;
    size_t ci = 0, idx;
    const json_t *jv;
    int error;

    *changed = false;
    if (op_string(op, "op", &verb, err) || op_string(op, "table", &tname, err)
        || op_string(op, "row", &name, err)) {
        return -EINVAL;
    }
    error = ft_db_table_from_name(tname, &t, err);
    if (error) {
        return error;
    }
    row = db_row_find(db, t, name);

    if (!strcmp(verb, "insert")) {
        if (row) {
            return ft_error_set(err, -EEXIST, "row \"%s\" already exists in "
                                "table %s", name, table_name(t));
        }
        if (!*name) {
            return ft_error_set(err, -EINVAL, "%s row name may not be empty",
                                table_name(t));
        }
        table_insert(&db->tables[t], row_create(t, name));
        undo_push(txn, UNDO_INSERT, t, name);
        *changed = true;
        return 0;
    }
    if (!row) {
        return ft_error_set(err, -ENOENT, "no row \"%s\" in table %s", name,
                            table_name(t));
    }
    if (!strcmp(verb, "delete")) {
        u = undo_push(txn, UNDO_DELETE, t, NULL);
        u->row = table_remove(&db->tables[t], name);
        *changed = true;
        return 0;
    }

    if (op_string(op, "column", &cname, err)) {
        return -EINVAL;
    }
    col = db_column_find(t, cname, &ci);
    if (!col || !ci) {
        return ft_error_set(err, -EINVAL, "%s does not contain a writable "
                            "column named \"%s\"", table_name(t), cname);
    }
    jv = json_object_get(op, "value");

    if (!strcmp(verb, "set")) {
        struct ft_db_datum d;

        if (db_datum_from_json(col, jv ? jv : json_null(), &d, &e)) {
            return op_error(err, e.code, t, name, col, &e);
        }
        if (db_datum_equal(&d, &row->cols[ci], col)) {
            db_datum_destroy(&d);
            return 0;
        }
        u = undo_push(txn, UNDO_COLUMN, t, name);
        u->col = ci;
        u->old = row->cols[ci];
        row->cols[ci] = d;
    } else if (!strcmp(verb, "map_put") || !strcmp(verb, "map_del")) {
        struct ft_db_datum *d = &row->cols[ci];
        bool put = verb[4] == 'p';
        bool found;

        if (col->type != FT_DB_MAP) {
            return ft_error_set(err, -EINVAL, "%s %s column %s is not a map",
                                table_name(t), name, col->name);
        }
        if (op_string(op, "key", &key, err)
            || (put && op_string(op, "value", &value, err))) {
            return -EINVAL;
        }
        if (put && db_map_value_check(col, key, value, &e)) {
            return op_error(err, e.code, t, name, col, &e);
        }
        found = db_map_find(d, key, &idx);
        if (put ? found && !strcmp(d->values[idx], value) : !found) {
            return 0;
        }
        u = undo_push(txn, UNDO_COLUMN, t, name);
        u->col = ci;
        db_datum_clone(&u->old, d);
        if (!put) {
            db_map_remove(d, idx);
        } else if (found) {
            free(d->values[idx]);
            d->values[idx] = xstrdup(value);
        } else {
            db_map_insert(d, idx, xstrdup(key), xstrdup(value));
        }
    } else if (!strcmp(verb, "set_add") || !strcmp(verb, "set_del")) {
        struct ft_db_datum *d = &row->cols[ci];
        bool add = verb[4] == 'a';
        int64_t x;
        bool found;

        if (col->type != FT_DB_INT_SET || !json_is_integer(jv)) {
            return ft_error_set(err, -EINVAL, "%s %s column %s: %s needs an "
                                "integer set and value", table_name(t), name,
                                col->name, verb);
        }
        x = json_integer_value(jv);
        if (add && (x < col->min || x > col->max)) {
            ft_error_set(&e, -EINVAL, "%"PRId64" is not in the valid range "
                         "%"PRId64" to %"PRId64" (inclusive)", x, col->min,
                         col->max);
            return op_error(err, e.code, t, name, col, &e);
        }
        found = db_set_find(d, x, &idx);
        if (add == found) {
            return 0;
        }
        u = undo_push(txn, UNDO_COLUMN, t, name);
        u->col = ci;
        db_datum_clone(&u->old, d);
        if (add) {
            db_set_insert(d, idx, x);
        } else {
            db_set_remove(d, idx);
        }
    } else if (!strcmp(verb, "list_add") || !strcmp(verb, "list_del")) {
        struct ft_db_datum *d = &row->cols[ci];

        if (col->type != FT_DB_LIST || !json_is_string(jv)) {
            return ft_error_set(err, -EINVAL, "%s %s column %s: %s needs a "
                                "list and a string value", table_name(t),
                                name, col->name, verb);
        }
        value = json_string_value(jv);
        if (verb[5] == 'a') {
            u = undo_push(txn, UNDO_LIST_ADD, t, name);
            u->col = ci;
            u->idx = d->n;
            db_list_insert(d, d->n, xstrdup(value));
        } else {
            for (idx = 0; idx < d->n; idx++) {
                if (!strcmp(d->strs[idx], value)) {
                    break;
                }
            }
            if (idx >= d->n) {
                return 0;
            }
            u = undo_push(txn, UNDO_LIST_DEL, t, name);
            u->col = ci;
            u->idx = idx;
            u->str = d->strs[idx];
            d->strs[idx] = NULL;
            d->n--;
            memmove(&d->strs[idx], &d->strs[idx + 1],
                    (d->n - idx) * sizeof *d->strs);
        }
    } else {
        return ft_error_set(err, -EINVAL, "unknown operation \"%s\"", verb);
    }
    *changed = true;
    return 0;
}

/* Applies 'op' (whose reference this function takes) in 'txn' and, if it
 * changed anything, adds it to the transaction's operations. */
static int
apply_op(struct ft_db_txn *txn, json_t *op, struct ft_error *err)
{
    bool changed;
    int error = apply_op__(txn, op, &changed, err);

    if (!error && changed) {
        json_array_append(txn->ops, op);
    }
    json_decref(op);
    return error;
}

int
db_ops_replay(struct ft_db *db, const json_t *ops, struct ft_error *err)
{
    struct ft_db_txn *txn;
    const json_t *op;
    size_t i;

    if (!json_is_array(ops)) {
        return ft_error_set(err, -EINVAL, "\"ops\" is not an array");
    }
    txn = txn_create(db);
    json_array_foreach(ops, i, op) {
        bool changed;
        int error = apply_op__(txn, op, &changed, err);

        if (error) {
            txn_end(txn, true);
            return error;
        }
    }
    txn_end(txn, false);
    return 0;
}

/* ---- Commit: keeping references whole. ---- */

/* Checks the references from 'from'.'col' (a list of row names of table
 * 'to'), fills 'owner[i]' with the referring row of each row i of 'to' (or
 * NULL), and deletes rows of 'to' nobody refers to. */
static int
fix_refs(struct ft_db_txn *txn, enum ft_db_table from, const char *cname,
         enum ft_db_table to, struct ft_error *err)
{
    struct ft_db *db = txn->db;
    const struct db_table *ft = &db->tables[from], *tt = &db->tables[to];
    const struct ft_db_row **owner;
    size_t ci, n_orphans = 0;
    char **orphans;
    int error = 0;

    db_column_find(from, cname, &ci);
    owner = calloc(tt->n + 1, sizeof *owner);
    if (!owner) {
        abort();
    }
    for (size_t i = 0; !error && i < ft->n; i++) {
        const struct ft_db_row *r = ft->rows[i];
        const struct ft_db_datum *d = &r->cols[ci];

        if (from == FT_DB_PORT && d->n == 0) {
            error = ft_error_set(err, -EINVAL, "Port %s has no interfaces",
                                 r->cols[0].s);
        }
        for (size_t j = 0; !error && j < d->n; j++) {
            size_t idx;

            if (!table_find(tt, d->strs[j], &idx)) {
                error = ft_error_set(err, -EINVAL, "%s %s column %s: no %s "
                                     "named \"%s\"", table_name(from),
                                     r->cols[0].s, cname, table_name(to),
                                     d->strs[j]);
            } else if (owner[idx]) {
                error = ft_error_set(err, -EINVAL, "%s %s is in both %s %s "
                                     "and %s %s", table_name(to), d->strs[j],
                                     table_name(from), owner[idx]->cols[0].s,
                                     table_name(from), r->cols[0].s);
            } else {
                owner[idx] = r;
            }
        }
    }
    orphans = xmalloc((tt->n + 1) * sizeof *orphans);
    for (size_t i = 0; !error && i < tt->n; i++) {
        if (!owner[i]) {
            orphans[n_orphans++] = xstrdup(tt->rows[i]->cols[0].s);
        }
    }
    for (size_t i = 0; i < n_orphans; i++) {
        if (!error) {
            error = apply_op(txn, op_new("delete", to, orphans[i], NULL),
                             err);
        }
        free(orphans[i]);
    }
    free(orphans);
    free(owner);
    return error;
}

static bool
bit_test(const uint8_t *bits, unsigned int i)
{
    return bits[i / 8] & (1u << (i % 8));
}

static void
bit_set(uint8_t *bits, unsigned int i)
{
    bits[i / 8] |= 1u << (i % 8);
}

/* Gives every interface of 'br' an OpenFlow port number: the bridge's own
 * interface gets OFPP_LOCAL; then requests are honoured when free; then
 * interfaces keep the number they have when still free; the rest get the
 * lowest free numbers. */
static int
assign_ofports(struct ft_db_txn *txn, const struct ft_db_row *br,
               struct ft_error *err)
{
    struct ft_db *db = txn->db;
    const struct ft_db_datum *ports = ft_db_row_get(br, "ports");
    struct ft_db_row **ifaces = NULL;
    size_t n = 0, allocated = 0, req_ci, port_ci;
    uint8_t used[65536 / 8];
    int64_t *want;
    unsigned int next = 1;
    int error = 0;

    db_column_find(FT_DB_INTERFACE, "ofport_request", &req_ci);
    db_column_find(FT_DB_INTERFACE, "ofport", &port_ci);
    for (size_t i = 0; i < ports->n; i++) {
        const struct ft_db_row *p = db_row_find(db, FT_DB_PORT,
                                                ports->strs[i]);
        const struct ft_db_datum *ifs = ft_db_row_get(p, "interfaces");

        for (size_t j = 0; j < ifs->n; j++) {
            if (n >= allocated) {
                allocated = allocated ? 2 * allocated : 8;
                ifaces = realloc(ifaces, allocated * sizeof *ifaces);
                if (!ifaces) {
                    abort();
                }
            }
            ifaces[n++] = db_row_find(db, FT_DB_INTERFACE, ifs->strs[j]);
        }
    }
    memset(used, 0, sizeof used);
    want = xmalloc((n + 1) * sizeof *want);
    for (size_t i = 0; i < n; i++) {
        want[i] = 0;
        if (!strcmp(ifaces[i]->cols[0].s, br->cols[0].s)) {
            want[i] = FT_PORT_LOCAL;
            bit_set(used, FT_PORT_LOCAL);
        }
    }
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            const struct ft_db_datum *d = &ifaces[i]->cols[pass ? port_ci
                                                                : req_ci];

            if (!want[i] && d->present && d->i >= 1 && d->i <= 65279
                && !bit_test(used, d->i)) {
                want[i] = d->i;
                bit_set(used, d->i);
            }
        }
    }
    for (size_t i = 0; i < n && !error; i++) {
        json_t *op;

        if (!want[i]) {
            while (next <= 65279 && bit_test(used, next)) {
                next++;
            }
            if (next > 65279) {
                error = ft_error_set(err, -ENOSPC, "bridge %s: no free "
                                     "OpenFlow port number", br->cols[0].s);
                break;
            }
            want[i] = next;
            bit_set(used, next);
        }
        if (ifaces[i]->cols[port_ci].present
            && ifaces[i]->cols[port_ci].i == want[i]) {
            continue;
        }
        op = op_new("set", FT_DB_INTERFACE, ifaces[i]->cols[0].s,
                    &ft_db_schema(FT_DB_INTERFACE)->columns[port_ci]);
        json_object_set_new(op, "value", json_integer(want[i]));
        error = apply_op(txn, op, err);
    }
    free(want);
    free(ifaces);
    return error;
}

static int
txn_fix(struct ft_db_txn *txn, struct ft_error *err)
{
    struct ft_db *db = txn->db;
    int error;

    error = fix_refs(txn, FT_DB_BRIDGE, "ports", FT_DB_PORT, err);
    if (!error) {
        error = fix_refs(txn, FT_DB_PORT, "interfaces", FT_DB_INTERFACE,
                         err);
    }
    for (size_t i = 0; !error && i < db->tables[FT_DB_BRIDGE].n; i++) {
        error = assign_ofports(txn, db->tables[FT_DB_BRIDGE].rows[i], err);
    }
    return error;
}

/* ---- Transactions: the public face. ---- */

int
ft_db_txn_begin(struct ft_db *db, struct ft_db_txn **txnp,
                struct ft_error *err)
{
    *txnp = NULL;
    if (db->txn) {
        return ft_error_set(err, -EBUSY, "a transaction is already open");
    }
    if (db->journal.broken) {
        return ft_error_set(err, db->journal.broken, "journal %s is in an "
                            "unknown state after an earlier write error; "
                            "reopen the database", db->journal.path);
    }
    *txnp = txn_create(db);
    return 0;
}

int
ft_db_txn_commit(struct ft_db_txn *txn, struct ft_error *err)
{
    struct ft_db *db = txn->db;
    json_t *record;
    int error;

    if (txn->error.code) {
        error = txn->error.code;
        if (err) {
            *err = txn->error;
        }
        txn_end(txn, true);
        return error;
    }
    error = txn_fix(txn, err);
    if (error) {
        txn_end(txn, true);
        return error;
    }
    if (!json_array_size(txn->ops)) {
        txn_end(txn, false);
        return 0;
    }
    record = json_pack("{s:I, s:O}", "seq", (json_int_t) db->seq + 1, "ops",
                       txn->ops);
    error = db_journal_append(db, record, err);
    json_decref(record);
    txn_end(txn, error != 0);
    if (error) {
        return error;
    }
    db->seq++;
    if (db_journal_should_compact(db)) {
        /* The commit is durable already; a failed compaction leaves the
         * journal as it was and is tried again after the next commit. */
        db_journal_compact(db, NULL);
    }
    return 0;
}

void
ft_db_txn_abort(struct ft_db_txn *txn)
{
    if (txn) {
        txn_end(txn, true);
    }
}

/* Records the first failure of 'txn' and returns it in 'err'. */
static int
txn_fail(struct ft_db_txn *txn, int error, const struct ft_error *e,
         struct ft_error *err)
{
    if (error) {
        if (!txn->error.code) {
            txn->error = *e;
            txn->error.code = error;
        }
        if (err) {
            *err = *e;
            err->code = error;
        }
    }
    return error;
}

/* Returns the error of a poisoned 'txn'. */
static int
txn_poisoned(const struct ft_db_txn *txn, struct ft_error *err)
{
    if (txn->error.code && err) {
        *err = txn->error;
    }
    return txn->error.code;
}

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
                                   rname, table_name(*t));
}

static const struct ft_db_column *
resolve_column(enum ft_db_table t, const char *name, bool write, size_t *ci,
               struct ft_error *err)
{
    const struct ft_db_column *col = db_column_find(t, name, ci);

    if (!col) {
        ft_error_set(err, -EINVAL, "%s does not contain a column whose name "
                     "matches \"%s\"", table_name(t), name);
        return NULL;
    }
    if (write && col->read_only) {
        ft_error_set(err, -EINVAL, "cannot modify read-only column %s in "
                     "table %s", col->name, table_name(t));
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

    *column = xmalloc(clen + 1);
    memcpy(*column, arg, clen);
    (*column)[clen] = '\0';
    *key = NULL;
    if (colon) {
        char *raw = xmalloc(len - clen);

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
            error = op_error(err, e.code, t, rname, col, &e);
        } else {
            op = op_new("map_put", t, rname, col);
            json_object_set_new(op, "key", json_string(key));
            json_object_set_new(op, "value", json_string(value));
            free(value);
            error = apply_op(txn, op, err);
        }
    } else {
        struct ft_db_datum d;

        if (db_datum_parse(col, eq + 1, &d, &e)) {
            error = op_error(err, e.code, t, rname, col, &e);
        } else {
            op = op_new("set", t, rname, col);
            json_object_set_new(op, "value", db_datum_to_json(col, &d));
            db_datum_destroy(&d);
            error = apply_op(txn, op, err);
        }
    }
    free(cname);
    free(key);
    return error;
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
        return txn_poisoned(txn, err);
    }
    error = check_args(argc, 3, "TABLE RECORD COLUMN[:KEY]=VALUE...", &e);
    if (!error) {
        error = resolve_row(txn->db, argv[0], argv[1], &t, &row, &e);
    }
    for (int i = 2; !error && i < argc; i++) {
        error = set_one(txn, t, argv[1], argv[i], &e);
    }
    return txn_fail(txn, error, &e, err);
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
        return txn_poisoned(txn, err);
    }
    error = check_args(argc, 3, "TABLE RECORD COLUMN...", &e);
    if (!error) {
        error = resolve_row(txn->db, argv[0], argv[1], &t, &row, &e);
    }
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
                                 table_name(t));
            break;
        }
        op = op_new("set", t, argv[1], col);
        json_object_set_new(op, "value", db_datum_to_json(col, &d));
        db_datum_destroy(&d);
        error = apply_op(txn, op, &e);
    }
    return txn_fail(txn, error, &e, err);
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

    error = check_args(argc, 4, "TABLE RECORD COLUMN VALUE...", e);
    if (!error) {
        error = resolve_row(txn->db, argv[0], argv[1], &t, &row, e);
    }
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
                            "scalar", col->name, table_name(t));
    }
    for (int i = 3; !error && i < argc; i++) {
        bool keys_only = col->type == FT_DB_MAP && !add
                         && !strchr(argv[i], '=');
        struct ft_error pe;
        struct ft_db_datum d;

        if (parse_elements(col, argv[i], keys_only, &d, &pe)) {
            return op_error(e, pe.code, t, argv[1], col, &pe);
        }
        for (size_t j = 0; !error && j < d.n; j++) {
            const struct ft_db_datum *cur = &row->cols[ci];
            json_t *op = NULL;
            size_t idx;

            if (col->type == FT_DB_MAP) {
                bool found = db_map_find(cur, d.strs[j], &idx);

                if (add && !found) {
                    op = op_new("map_put", t, argv[1], col);
                    json_object_set_new(op, "value",
                                        json_string(d.values[j]));
                } else if (!add && found
                           && (keys_only
                               || !strcmp(cur->values[idx], d.values[j]))) {
                    op = op_new("map_del", t, argv[1], col);
                }
                if (op) {
                    json_object_set_new(op, "key", json_string(d.strs[j]));
                }
            } else if (col->type == FT_DB_INT_SET) {
                op = op_new(add ? "set_add" : "set_del", t, argv[1], col);
                json_object_set_new(op, "value", json_integer(d.ints[j]));
            } else {
                bool found = false;

                for (idx = 0; idx < cur->n && !found; idx++) {
                    found = !strcmp(cur->strs[idx], d.strs[j]);
                }
                if (add != found) {
                    op = op_new(add ? "list_add" : "list_del", t, argv[1],
                                col);
                    json_object_set_new(op, "value", json_string(d.strs[j]));
                }
            }
            if (op) {
                error = apply_op(txn, op, e);
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
        return txn_poisoned(txn, err);
    }
    return txn_fail(txn, add_remove(txn, argc, argv, true, &e), &e, err);
}

int
ft_db_remove(struct ft_db_txn *txn, int argc, const char *const *argv,
             struct ft_error *err)
{
    struct ft_error e;

    if (txn->error.code) {
        return txn_poisoned(txn, err);
    }
    return txn_fail(txn, add_remove(txn, argc, argv, false, &e), &e, err);
}

/* ---- Topology and flows. ---- */

static int
op_list(struct ft_db_txn *txn, const char *verb, enum ft_db_table t,
        const char *row, const char *column, const char *value,
        struct ft_error *err)
{
    json_t *op = op_new(verb, t, row, db_column_find(t, column, NULL));

    json_object_set_new(op, "value", json_string(value));
    return apply_op(txn, op, err);
}

static int
op_row(struct ft_db_txn *txn, const char *verb, enum ft_db_table t,
       const char *row, struct ft_error *err)
{
    return apply_op(txn, op_new(verb, t, row, NULL), err);
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

static int
add_port__(struct ft_db_txn *txn, const char *br, const char *port,
           const char *type, struct ft_error *e)
{
    int error = check_port_free(txn->db, port, e);

    if (!error) {
        error = op_row(txn, "insert", FT_DB_PORT, port, e);
    }
    if (!error) {
        error = op_row(txn, "insert", FT_DB_INTERFACE, port, e);
    }
    if (!error && type) {
        json_t *op = op_new("set", FT_DB_INTERFACE, port,
                            db_column_find(FT_DB_INTERFACE, "type", NULL));

        json_object_set_new(op, "value", json_string(type));
        error = apply_op(txn, op, e);
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
        return txn_poisoned(txn, err);
    }
    error = check_name("bridge", br, &e);
    if (!error && db_row_find(txn->db, FT_DB_BRIDGE, br)) {
        error = ft_error_set(&e, -EEXIST, "bridge \"%s\" already exists", br);
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
    return txn_fail(txn, error, &e, err);
}

int
ft_db_del_br(struct ft_db_txn *txn, const char *br, struct ft_error *err)
{
    struct ft_error e;
    int error = 0;

    if (txn->error.code) {
        return txn_poisoned(txn, err);
    }
    if (!db_row_find(txn->db, FT_DB_BRIDGE, br)) {
        error = ft_error_set(&e, -ENOENT, "no bridge named \"%s\"", br);
    } else {
        error = op_row(txn, "delete", FT_DB_BRIDGE, br, &e);
    }
    return txn_fail(txn, error, &e, err);
}

int
ft_db_add_port(struct ft_db_txn *txn, const char *br, const char *port,
               const char *type, struct ft_error *err)
{
    struct ft_error e;
    int error;

    if (txn->error.code) {
        return txn_poisoned(txn, err);
    }
    error = check_name("port", port, &e);
    if (!error && !db_row_find(txn->db, FT_DB_BRIDGE, br)) {
        error = ft_error_set(&e, -ENOENT, "no bridge named \"%s\"", br);
    }
    if (!error) {
        error = add_port__(txn, br, port, type, &e);
    }
    return txn_fail(txn, error, &e, err);
}

int
ft_db_del_port(struct ft_db_txn *txn, const char *br, const char *port,
               struct ft_error *err)
{
    const struct ft_db_row *owner;
    struct ft_error e;
    int error;

    if (txn->error.code) {
        return txn_poisoned(txn, err);
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
    return txn_fail(txn, error, &e, err);
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
        return txn_poisoned(txn, err);
    }
    error = find_bridge(txn, br, &row, &e);
    if (!error) {
        error = op_list(txn, "list_add", FT_DB_BRIDGE, br, "flows", flow, &e);
    }
    return txn_fail(txn, error, &e, err);
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
        return txn_poisoned(txn, err);
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
    return txn_fail(txn, error, &e, err);
}

int
ft_db_flows_clear(struct ft_db_txn *txn, const char *br,
                  struct ft_error *err)
{
    struct ft_db_row *row;
    struct ft_error e;
    int error;

    if (txn->error.code) {
        return txn_poisoned(txn, err);
    }
    error = find_bridge(txn, br, &row, &e);
    if (!error) {
        json_t *op = op_new("set", FT_DB_BRIDGE, br,
                            db_column_find(FT_DB_BRIDGE, "flows", NULL));

        json_object_set_new(op, "value", json_array());
        error = apply_op(txn, op, &e);
    }
    return txn_fail(txn, error, &e, err);
}

/* ---- Reading. ---- */

size_t
ft_db_n_rows(const struct ft_db *db, enum ft_db_table t)
{
    return db->tables[t].n;
}

const struct ft_db_row *
ft_db_row_at(const struct ft_db *db, enum ft_db_table t, size_t idx)
{
    return idx < db->tables[t].n ? db->tables[t].rows[idx] : NULL;
}

const struct ft_db_row *
ft_db_find(const struct ft_db *db, enum ft_db_table t, const char *name)
{
    return db_row_find(db, t, name);
}

enum ft_db_table
ft_db_row_table(const struct ft_db_row *row)
{
    return row->table;
}

const char *
ft_db_row_name(const struct ft_db_row *row)
{
    return row->cols[0].s;
}

const struct ft_db_datum *
ft_db_row_get(const struct ft_db_row *row, const char *column)
{
    size_t ci;

    return db_column_find(row->table, column, &ci) ? &row->cols[ci] : NULL;
}

const char *
ft_db_row_string(const struct ft_db_row *row, const char *column)
{
    const struct ft_db_datum *d = ft_db_row_get(row, column);

    return d && d->present ? d->s : NULL;
}

bool
ft_db_row_int(const struct ft_db_row *row, const char *column,
              int64_t *value)
{
    const struct ft_db_column *col = db_column_find(row->table, column,
                                                    NULL);
    const struct ft_db_datum *d = ft_db_row_get(row, column);

    if (!col || col->type != FT_DB_INT || !d->present) {
        return false;
    }
    *value = d->i;
    return true;
}

bool
ft_db_row_bool(const struct ft_db_row *row, const char *column)
{
    const struct ft_db_column *col = db_column_find(row->table, column,
                                                    NULL);

    return col && col->type == FT_DB_BOOL && ft_db_row_get(row, column)->b;
}

const char *
ft_db_row_map_get(const struct ft_db_row *row, const char *column,
                  const char *key)
{
    const struct ft_db_column *col = db_column_find(row->table, column,
                                                    NULL);
    const struct ft_db_datum *d = ft_db_row_get(row, column);
    size_t idx;

    if (!col || col->type != FT_DB_MAP || !db_map_find(d, key, &idx)) {
        return NULL;
    }
    return d->values[idx];
}

static const struct ft_db_row *
find_owner(const struct ft_db *db, enum ft_db_table t, const char *column,
           const char *name)
{
    size_t ci;

    db_column_find(t, column, &ci);
    for (size_t i = 0; i < db->tables[t].n; i++) {
        const struct ft_db_datum *d = &db->tables[t].rows[i]->cols[ci];

        for (size_t j = 0; j < d->n; j++) {
            if (!strcmp(d->strs[j], name)) {
                return db->tables[t].rows[i];
            }
        }
    }
    return NULL;
}

const struct ft_db_row *
ft_db_port_bridge(const struct ft_db *db, const char *port)
{
    return find_owner(db, FT_DB_BRIDGE, "ports", port);
}

const struct ft_db_row *
ft_db_iface_port(const struct ft_db *db, const char *iface)
{
    return find_owner(db, FT_DB_PORT, "interfaces", iface);
}

uint64_t
ft_db_seq(const struct ft_db *db)
{
    return db->seq;
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
                                 "\"%s\" column %s", key, table_name(t),
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
    rows = xmalloc((argc > 1 ? (size_t) argc : db->tables[t].n + 1)
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

/* ---- Whole-state JSON (snapshots and dumps). ---- */

json_t *
db_state_to_json(const struct ft_db *db)
{
    json_t *state = json_object();

    for (int t = 0; t < FT_DB_N_TABLES; t++) {
        const struct ft_db_table_schema *ts = ft_db_schema(t);
        json_t *jt = json_object();

        for (size_t i = 0; i < db->tables[t].n; i++) {
            const struct ft_db_row *row = db->tables[t].rows[i];
            json_t *jr = json_object();

            for (size_t c = 1; c < ts->n_columns; c++) {
                json_object_set_new(jr, ts->columns[c].name,
                                    db_datum_to_json(&ts->columns[c],
                                                     &row->cols[c]));
            }
            json_object_set_new(jt, row->cols[0].s, jr);
        }
        json_object_set_new(state, ts->name, jt);
    }
    return state;
}

int
db_state_load(struct ft_db *db, const json_t *state,
              struct ft_db_warnings *warnings, struct ft_error *err)
{
    const char *tname, *rname, *cname;
    json_t *jt, *jr, *jv;

    if (!json_is_object(state)) {
        return ft_error_set(err, -EINVAL, "snapshot is not a JSON object");
    }
    json_object_foreach((json_t *) state, tname, jt) {
        enum ft_db_table t;

        if (ft_db_table_from_name(tname, &t, NULL)) {
            db_warn(warnings, "snapshot: ignored unknown table \"%s\"",
                    tname);
            continue;
        }
        if (!json_is_object(jt)) {
            return ft_error_set(err, -EINVAL, "snapshot: table %s is not a "
                                "JSON object", tname);
        }
        json_object_foreach(jt, rname, jr) {
            struct ft_db_row *row;

            if (!json_is_object(jr) || db_row_find(db, t, rname)) {
                return ft_error_set(err, -EINVAL, "snapshot: %s row \"%s\" "
                                    "is not an object or is repeated",
                                    tname, rname);
            }
            row = row_create(t, rname);
            table_insert(&db->tables[t], row);
            json_object_foreach(jr, cname, jv) {
                const struct ft_db_column *col;
                struct ft_error e;
                size_t ci;

                col = db_column_find(t, cname, &ci);
                if (!col || !ci) {
                    db_warn(warnings, "snapshot: ignored unknown column %s "
                            "of %s %s", cname, tname, rname);
                    continue;
                }
                db_datum_destroy(&row->cols[ci]);
                if (db_datum_from_json(col, jv, &row->cols[ci], &e)) {
                    db_datum_init_default(&row->cols[ci], col);
                    return ft_error_set(err, -EINVAL, "snapshot: %s %s "
                                        "column %s: %s", tname, rname,
                                        col->name, e.reason);
                }
            }
        }
    }
    return 0;
}

void
ft_db_dump(const struct ft_db *db, struct ds *out)
{
    json_t *state = db_state_to_json(db);
    char *text = json_dumps(state, JSON_COMPACT);

    ds_put_cstr(out, text ? text : "{}");
    free(text);
    json_decref(state);
}

/* ---- Opening and closing. ---- */

int
ft_db_open(const char *dir, const struct ft_db_options *opts,
           struct ft_db **dbp, struct ft_db_warnings *warnings,
           struct ft_error *err)
{
    struct ft_db *db;
    int error;

    *dbp = NULL;
    if (warnings) {
        warnings->msgs = NULL;
        warnings->n = 0;
    }
    db = xmalloc(sizeof *db);
    memset(db, 0, sizeof *db);
    if (opts) {
        db->opts = *opts;
    }
    if (!db->opts.compact_records) {
        db->opts.compact_records = DEFAULT_COMPACT_RECORDS;
    }
    if (!db->opts.compact_bytes) {
        db->opts.compact_bytes = DEFAULT_COMPACT_BYTES;
    }
    error = db_journal_open(db, dir, warnings, err);
    if (error) {
        db_state_clear(db);
        free(db);
        return error;
    }
    *dbp = db;
    return 0;
}

void
ft_db_close(struct ft_db *db)
{
    if (db) {
        ft_db_txn_abort(db->txn);
        db_journal_close(db);
        db_state_clear(db);
        free(db);
    }
}

int
ft_db_compact(struct ft_db *db, struct ft_error *err)
{
    if (db->txn) {
        return ft_error_set(err, -EBUSY, "cannot compact inside a "
                            "transaction");
    }
    return db_journal_compact(db, err);
}

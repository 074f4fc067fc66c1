/*
 * db.c - the configuration database's rows, operations and transactions.
 *
 * Rows live in memory, one sorted array per table.  Every change, whether
 * it comes from an ovs-vsctl-style verb or a topology call (db-vsctl.c)
 * or from the journal's replay, is an "operation": a small JSON
 * object such as {"op":"map_put","table":"Bridge","row":"br0",
 * "column":"other_config","key":"max-idle","value":"5000"}.  One function,
 * db_apply_op(), validates and applies operations and records how to undo
 * them, so what is replayed from the journal is exactly what was
 * committed.  A transaction is the list of operations it applied, kept
 * as the text of its journal record, plus their undo log; commit adds
 * the operations that keep references whole (garbage collection, ofport
 * numbers), then hands the record to db-journal.c, and only then forgets
 * the undo log.  One operation takes a shorter way, for the sake of
 * large batches of flows: db_apply_list_extend() moves the flow texts
 * into the row and writes its record text directly, the same JSON the
 * general way would write and the replay reads back with
 * db_apply_op()'s rules.
 *
 * Touches no file itself; all I/O is in db-journal.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/port.h"
#include "flowtier/util.h"
#include "mgmt/db/db-private.h"

static const size_t DEFAULT_COMPACT_RECORDS = 1000;
static const size_t DEFAULT_COMPACT_BYTES = 16 * 1024 * 1024;

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
    w->msgs[w->n++] = s.s ? s.s : ft_xstrdup("");
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

const char *
db_table_name(enum ft_db_table t)
{
    return ft_db_schema(t)->name;
}

static struct ft_db_row *
row_create(enum ft_db_table t, const char *name)
{
    const struct ft_db_table_schema *ts = ft_db_schema(t);
    struct ft_db_row *row;

    row = ft_xmalloc(sizeof *row + ts->n_columns * sizeof row->cols[0]);
    row->table = t;
    for (size_t i = 0; i < ts->n_columns; i++) {
        db_datum_init_default(&row->cols[i], &ts->columns[i]);
    }
    free(row->cols[0].s);
    row->cols[0].s = ft_xstrdup(name);
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

/* A table's rows are sorted by name (column 0). */
static const char *
table_row_name(const void *t, size_t i)
{
    return ((const struct db_table *) t)->rows[i]->cols[0].s;
}

/* Returns true and the index of row 'name', or false and the index where
 * it would go. */
static bool
table_find(const struct db_table *t, const char *name, size_t *idx)
{
    return ft_sorted_find(name, t->n, table_row_name, t, idx);
}

struct ft_db_row *
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

static struct db_undo *
undo_push(struct ft_db_txn *txn, enum db_undo_kind kind, enum ft_db_table t,
          const char *name)
{
    struct db_undo *u;

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
    u->name = name ? ft_xstrdup(name) : NULL;
    return u;
}

static void
undo_free(struct db_undo *u)
{
    free(u->name);
    row_destroy(u->row);
    db_datum_destroy(&u->old);
    free(u->str);
    free(u->value);
}

/* Puts back the entry a DB_UNDO_MAP undo recorded. */
static void
undo_map_entry(struct ft_db_datum *d, struct db_undo *u)
{
    size_t idx;
    bool found = db_map_find(d, u->str, &idx);

    if (!u->value) {
        if (found) {
            db_map_remove(d, idx);
        }
    } else if (found) {
        free(d->values[idx]);
        d->values[idx] = u->value;
        u->value = NULL;
    } else {
        db_map_insert(d, idx, u->str, u->value);
        u->str = u->value = NULL;
    }
}

static void
undo_apply(struct ft_db *db, struct db_undo *u)
{
    struct db_table *t = &db->tables[u->table];
    struct ft_db_row *row;

    switch (u->kind) {
    case DB_UNDO_INSERT:
        row_destroy(table_remove(t, u->name));
        break;
    case DB_UNDO_DELETE:
        table_insert(t, u->row);
        u->row = NULL;
        break;
    case DB_UNDO_COLUMN:
        row = db_row_find(db, u->table, u->name);
        if (row) {
            db_datum_swap(&row->cols[u->col], &u->old);
        }
        break;
    case DB_UNDO_LIST_ADD:
        row = db_row_find(db, u->table, u->name);
        if (row) {
            db_list_remove(&row->cols[u->col], u->idx);
        }
        break;
    case DB_UNDO_LIST_DEL:
        row = db_row_find(db, u->table, u->name);
        if (row) {
            db_list_insert(&row->cols[u->col], u->idx, u->str);
            u->str = NULL;
        }
        break;
    case DB_UNDO_MAP:
        row = db_row_find(db, u->table, u->name);
        if (row) {
            undo_map_entry(&row->cols[u->col], u);
        }
        break;
    case DB_UNDO_LIST_EXTEND:
        row = db_row_find(db, u->table, u->name);
        if (row) {
            struct ft_db_datum *d = &row->cols[u->col];

            while (d->n > u->idx) {
                free(d->strs[--d->n]);
                d->strs[d->n] = NULL;
            }
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
    ds_destroy(&txn->ops);
    if (txn->db->txn == txn) {
        txn->db->txn = NULL;
    }
    free(txn);
}

static struct ft_db_txn *
txn_create(struct ft_db *db)
{
    struct ft_db_txn *txn = ft_xmalloc(sizeof *txn);

    memset(txn, 0, sizeof *txn);
    txn->db = db;
    ds_init(&txn->ops);
    db->txn = txn;
    return txn;
}

/* ---- Operations. ---- */

json_t *
db_op_new(const char *op, enum ft_db_table t, const char *row,
          const struct ft_db_column *col)
{
    json_t *j = json_pack("{s:s, s:s, s:s}", "op", op, "table",
                          db_table_name(t), "row", row);

    if (col) {
        json_object_set_new(j, "column", json_string(col->name));
    }
    return j;
}

int
db_op_error(struct ft_error *err, int code, enum ft_db_table t,
            const char *row, const struct ft_db_column *col,
            const struct ft_error *inner)
{
    return ft_error_set(err, code, "%s %s column %s: %s", db_table_name(t),
                        row, col->name, inner->reason);
}

static int
op_string(const json_t *op, const char *member, const char **s,
          struct ft_error *err)
{
    *s = json_string_value(json_object_get(op, member));
    return *s ? 0 : ft_error_set(err, -EINVAL, "operation lacks string "
                                 "\"%s\"", member);
}

/* One column operation being applied. */
struct col_op {
    struct ft_db_txn *txn;
    const json_t *op;
    enum ft_db_table t;
    const char *name;
    struct ft_db_row *row;
    const struct ft_db_column *col;
    size_t ci;
    const json_t *value;        /* "value" member, or NULL. */
};

static struct db_undo *
col_op_undo(const struct col_op *c, enum db_undo_kind kind)
{
    struct db_undo *u = undo_push(c->txn, kind, c->t, c->name);

    u->col = c->ci;
    return u;
}

/* A new write to a map checks the entries it adds or changes with
 * db_map_key_check(); entries already there are left alone, and so is a
 * journal being replayed. */
static int
map_check_new(const struct col_op *c, const struct ft_db_datum *d,
              struct ft_error *err)
{
    const struct ft_db_datum *old = &c->row->cols[c->ci];

    if (c->col->type != FT_DB_MAP || c->txn->replay) {
        return 0;
    }
    for (size_t i = 0; i < d->n; i++) {
        size_t idx;

        if (db_map_find(old, d->strs[i], &idx)
            && !strcmp(old->values[idx], d->values[i])) {
            continue;
        }
        if (db_map_key_check(c->col, d->strs[i], d->values[i], err)) {
            return err->code;
        }
    }
    return 0;
}

static int
col_op_set(const struct col_op *c, bool *changed, struct ft_error *err)
{
    struct ft_db_datum d;
    struct ft_error e;

    if (db_datum_from_json(c->col, c->value ? c->value : json_null(), &d,
                           &e)) {
        return db_op_error(err, e.code, c->t, c->name, c->col, &e);
    }
    if (db_datum_equal(&d, &c->row->cols[c->ci], c->col)) {
        db_datum_destroy(&d);
        return 0;
    }
    if (map_check_new(c, &d, &e)) {
        db_datum_destroy(&d);
        return db_op_error(err, e.code, c->t, c->name, c->col, &e);
    }
    col_op_undo(c, DB_UNDO_COLUMN)->old = c->row->cols[c->ci];
    c->row->cols[c->ci] = d;
    *changed = true;
    return 0;
}

static int
col_op_map(const struct col_op *c, bool put, bool *changed,
           struct ft_error *err)
{
    struct ft_db_datum *d = &c->row->cols[c->ci];
    const char *key, *value = NULL;
    struct db_undo *u;
    struct ft_error e;
    bool found;
    size_t idx;

    if (c->col->type != FT_DB_MAP) {
        return ft_error_set(err, -EINVAL, "%s %s column %s is not a map",
                            db_table_name(c->t), c->name, c->col->name);
    }
    if (op_string(c->op, "key", &key, err)
        || (put && op_string(c->op, "value", &value, err))) {
        return -EINVAL;
    }
    if (put && (db_map_value_check(c->col, key, value, &e)
                || (!c->txn->replay
                    && db_map_key_check(c->col, key, value, &e)))) {
        return db_op_error(err, e.code, c->t, c->name, c->col, &e);
    }
    found = db_map_find(d, key, &idx);
    if (put ? found && !strcmp(d->values[idx], value) : !found) {
        return 0;
    }
    u = col_op_undo(c, DB_UNDO_MAP);
    u->str = ft_xstrdup(key);
    u->value = found ? ft_xstrdup(d->values[idx]) : NULL;
    if (!put) {
        db_map_remove(d, idx);
    } else if (found) {
        free(d->values[idx]);
        d->values[idx] = ft_xstrdup(value);
    } else {
        db_map_insert(d, idx, ft_xstrdup(key), ft_xstrdup(value));
    }
    *changed = true;
    return 0;
}

static int
col_op_int_set(const struct col_op *c, bool add, bool *changed,
               struct ft_error *err)
{
    struct ft_db_datum *d = &c->row->cols[c->ci];
    struct ft_error e;
    size_t idx;
    int64_t x;

    if (c->col->type != FT_DB_INT_SET || !json_is_integer(c->value)) {
        return ft_error_set(err, -EINVAL, "%s %s column %s: needs an integer "
                            "set and an integer value", db_table_name(c->t),
                            c->name, c->col->name);
    }
    x = json_integer_value(c->value);
    if (add && (x < c->col->min || x > c->col->max)) {
        ft_error_set(&e, -EINVAL, "%"PRId64" is not in the valid range "
                     "%"PRId64" to %"PRId64" (inclusive)", x, c->col->min,
                     c->col->max);
        return db_op_error(err, e.code, c->t, c->name, c->col, &e);
    }
    if (add == db_set_find(d, x, &idx)) {
        return 0;
    }
    db_datum_clone(&col_op_undo(c, DB_UNDO_COLUMN)->old, d);
    if (add) {
        db_set_insert(d, idx, x);
    } else {
        db_set_remove(d, idx);
    }
    *changed = true;
    return 0;
}

static int
col_op_list(const struct col_op *c, bool add, bool *changed,
            struct ft_error *err)
{
    struct ft_db_datum *d = &c->row->cols[c->ci];
    struct db_undo *u;
    const char *value;
    size_t idx;

    if (c->col->type != FT_DB_LIST || !json_is_string(c->value)) {
        return ft_error_set(err, -EINVAL, "%s %s column %s: needs a list and "
                            "a string value", db_table_name(c->t), c->name,
                            c->col->name);
    }
    value = json_string_value(c->value);
    if (add) {
        col_op_undo(c, DB_UNDO_LIST_ADD)->idx = d->n;
        db_list_insert(d, d->n, ft_xstrdup(value));
        *changed = true;
        return 0;
    }
    for (idx = 0; idx < d->n; idx++) {
        if (!strcmp(d->strs[idx], value)) {
            u = col_op_undo(c, DB_UNDO_LIST_DEL);
            u->idx = idx;
            u->str = d->strs[idx];
            d->strs[idx] = NULL;
            d->n--;
            memmove(&d->strs[idx], &d->strs[idx + 1],
                    (d->n - idx) * sizeof *d->strs);
            *changed = true;
            break;
        }
    }
    return 0;
}

/* "list_extend": appends every string of the array 'value' to a list, in
 * order, as that many "list_add" would (one operation, so that a large
 * batch of flows is one short journal record). */
static int
col_op_list_extend(const struct col_op *c, bool *changed,
                   struct ft_error *err)
{
    struct ft_db_datum *d = &c->row->cols[c->ci];
    const json_t *v;
    size_t i;

    if (c->col->type != FT_DB_LIST || !json_is_array(c->value)) {
        return ft_error_set(err, -EINVAL, "%s %s column %s: needs a list and "
                            "an array of strings", db_table_name(c->t),
                            c->name, c->col->name);
    }
    json_array_foreach(c->value, i, v) {
        if (!json_is_string(v)) {
            return ft_error_set(err, -EINVAL, "%s %s column %s: element %zu "
                                "is not a string", db_table_name(c->t),
                                c->name, c->col->name, i);
        }
    }
    if (!json_array_size(c->value)) {
        return 0;
    }
    col_op_undo(c, DB_UNDO_LIST_EXTEND)->idx = d->n;
    json_array_foreach(c->value, i, v) {
        db_list_insert(d, d->n, ft_xstrdup(json_string_value(v)));
    }
    *changed = true;
    return 0;
}

static int
row_op(struct ft_db_txn *txn, const char *verb, enum ft_db_table t,
       const char *name, struct ft_db_row *row, bool *changed,
       struct ft_error *err)
{
    struct ft_db *db = txn->db;

    if (!strcmp(verb, "insert")) {
        if (row) {
            return ft_error_set(err, -EEXIST, "row \"%s\" already exists in "
                                "table %s", name, db_table_name(t));
        }
        if (!*name) {
            return ft_error_set(err, -EINVAL, "%s row name may not be empty",
                                db_table_name(t));
        }
        table_insert(&db->tables[t], row_create(t, name));
        undo_push(txn, DB_UNDO_INSERT, t, name);
    } else {
        undo_push(txn, DB_UNDO_DELETE, t, NULL)->row
            = table_remove(&db->tables[t], name);
    }
    *changed = true;
    return 0;
}

/* Applies 'op' within 'txn', recording its undo.  Sets '*changed' to
 * whether the data changed.  On error nothing is changed. */
static int
apply_op__(struct ft_db_txn *txn, const json_t *op, bool *changed,
           struct ft_error *err)
{
    const char *verb, *tname, *cname;
    struct col_op c = { .txn = txn, .op = op };
    int error;

    *changed = false;
    if (op_string(op, "op", &verb, err) || op_string(op, "table", &tname, err)
        || op_string(op, "row", &c.name, err)) {
        return -EINVAL;
    }
    error = ft_db_table_from_name(tname, &c.t, err);
    if (error) {
        return error;
    }
    c.row = db_row_find(txn->db, c.t, c.name);
    if (!c.row && strcmp(verb, "insert")) {
        return ft_error_set(err, -ENOENT, "no row \"%s\" in table %s",
                            c.name, db_table_name(c.t));
    }
    if (!strcmp(verb, "insert") || !strcmp(verb, "delete")) {
        return row_op(txn, verb, c.t, c.name, c.row, changed, err);
    }

    if (op_string(op, "column", &cname, err)) {
        return -EINVAL;
    }
    c.col = db_column_find(c.t, cname, &c.ci);
    if (!c.col || !c.ci) {
        return ft_error_set(err, -EINVAL, "%s does not contain a writable "
                            "column named \"%s\"", db_table_name(c.t), cname);
    }
    c.value = json_object_get(op, "value");
    if (!strcmp(verb, "set")) {
        return col_op_set(&c, changed, err);
    } else if (!strcmp(verb, "map_put") || !strcmp(verb, "map_del")) {
        return col_op_map(&c, verb[4] == 'p', changed, err);
    } else if (!strcmp(verb, "set_add") || !strcmp(verb, "set_del")) {
        return col_op_int_set(&c, verb[4] == 'a', changed, err);
    } else if (!strcmp(verb, "list_add") || !strcmp(verb, "list_del")) {
        return col_op_list(&c, verb[5] == 'a', changed, err);
    } else if (!strcmp(verb, "list_extend")) {
        return col_op_list_extend(&c, changed, err);
    }
    return ft_error_set(err, -EINVAL, "unknown operation \"%s\"", verb);
}

/* Appends one operation's JSON text to 'txn''s record. */
static void
txn_put_op(struct ft_db_txn *txn, const char *text, size_t len)
{
    if (txn->n_ops++) {
        ds_put_char(&txn->ops, ',');
    }
    ds_put_buffer(&txn->ops, text, len);
}

/* Applies 'op' (whose reference this function takes) in 'txn' and, if it
 * changed anything, adds it to the transaction's operations. */
int
db_apply_op(struct ft_db_txn *txn, json_t *op, struct ft_error *err)
{
    bool changed;
    int error = apply_op__(txn, op, &changed, err);

    if (!error && changed) {
        char *text = json_dumps(op, JSON_COMPACT);

        if (!text) {
            abort();
        }
        txn_put_op(txn, text, strlen(text));
        free(text);
    }
    json_decref(op);
    return error;
}

/* Appends 's' to 'out' as a JSON string.  'true' if 's' is ASCII without
 * control characters (what a JSON string needs no escape but '\"' and
 * '\\' for), else 'false' with 'out' as it was. */
static bool
put_json_ascii(struct ds *out, const char *s)
{
    size_t start = out->len;

    ds_put_char(out, '"');
    for (const char *p = s; *p; ) {
        size_t n = strcspn(p, "\"\\");

        for (size_t i = 0; i < n; i++) {
            unsigned char c = p[i];

            if (c < 0x20 || c >= 0x7f) {
                out->len = start;
                out->s[start] = '\0';
                return false;
            }
        }
        ds_put_buffer(out, p, n);
        p += n;
        if (*p) {
            ds_put_char(out, '\\');
            ds_put_char(out, *p++);
        }
    }
    ds_put_char(out, '"');
    return true;
}

int
db_apply_list_extend(struct ft_db_txn *txn, enum ft_db_table t,
                     const char *name, const struct ft_db_column *col,
                     char **strs, size_t n, struct ft_error *err)
{
    struct ft_db_row *row = db_row_find(txn->db, t, name);
    struct ds *ops = &txn->ops;
    size_t start = ops->len, ci;
    struct ft_db_datum *d;
    json_t *op, *values;
    struct db_undo *u;
    int error = 0;

    if (!row || !col || col->type != FT_DB_LIST || !n
        || db_column_find(t, col->name, &ci) != col) {
        error = !n ? 0
                : !row ? ft_error_set(err, -ENOENT, "no row \"%s\" in "
                                      "table %s", name, db_table_name(t))
                : ft_error_set(err, -EINVAL, "%s %s: list_extend needs a "
                               "list column", db_table_name(t), name);
        goto out;
    }
    if (txn->n_ops) {
        ds_put_char(ops, ',');
    }
    ds_put_cstr(ops, "{\"op\":\"list_extend\",\"table\":");
    put_json_ascii(ops, db_table_name(t));
    ds_put_cstr(ops, ",\"row\":");
    if (!put_json_ascii(ops, name)) {
        goto not_ascii;
    }
    ds_put_cstr(ops, ",\"column\":");
    put_json_ascii(ops, col->name);
    ds_put_cstr(ops, ",\"value\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) {
            ds_put_char(ops, ',');
        }
        if (!put_json_ascii(ops, strs[i])) {
            goto not_ascii;
        }
    }
    ds_put_cstr(ops, "]}");
    txn->n_ops++;

    /* Applied as col_op_list_extend() would, the strings moved in. */
    d = &row->cols[ci];
    u = undo_push(txn, DB_UNDO_LIST_EXTEND, t, name);
    u->col = ci;
    u->idx = d->n;
    for (size_t i = 0; i < n; i++) {
        db_list_insert(d, d->n, strs[i]);
        strs[i] = NULL;
    }
    goto out;

not_ascii:
    /* Rare (flow texts are ASCII): the general path, which escapes. */
    ops->len = start;
    if (ops->s) {
        ops->s[start] = '\0';
    }
    op = db_op_new("list_extend", t, name, col);
    values = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(values, json_string(strs[i]));
    }
    json_object_set_new(op, "value", values);
    error = db_apply_op(txn, op, err);
out:
    for (size_t i = 0; i < n; i++) {
        free(strs[i]);
        strs[i] = NULL;
    }
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
    txn->replay = true;
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
                                     "named \"%s\"", db_table_name(from),
                                     r->cols[0].s, cname, db_table_name(to),
                                     d->strs[j]);
            } else if (owner[idx]) {
                error = ft_error_set(err, -EINVAL, "%s %s is in both %s %s "
                                     "and %s %s", db_table_name(to),
                                     d->strs[j], db_table_name(from),
                                     owner[idx]->cols[0].s,
                                     db_table_name(from), r->cols[0].s);
            } else {
                owner[idx] = r;
            }
        }
    }
    orphans = ft_xmalloc((tt->n + 1) * sizeof *orphans);
    for (size_t i = 0; !error && i < tt->n; i++) {
        if (!owner[i]) {
            orphans[n_orphans++] = ft_xstrdup(tt->rows[i]->cols[0].s);
        }
    }
    for (size_t i = 0; i < n_orphans; i++) {
        if (!error) {
            error = db_apply_op(txn, db_op_new("delete", to, orphans[i], NULL),
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

void
ft_db_plan_ofports(const char *br_name, const struct ft_db_row *const *ifaces,
                   size_t n, int64_t *ofports)
{
    static const char *const cols[2] = { "ofport_request", "ofport" };
    uint8_t used[65536 / 8];
    unsigned int next = 1;

    memset(used, 0, sizeof used);
    for (size_t i = 0; i < n; i++) {
        ofports[i] = 0;
        if (!strcmp(ft_db_row_name(ifaces[i]), br_name)) {
            ofports[i] = FT_PORT_LOCAL;
            bit_set(used, FT_PORT_LOCAL);
        }
    }
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            int64_t v;

            if (!ofports[i] && ft_db_row_int(ifaces[i], cols[pass], &v)
                && v >= 1 && v <= FT_DB_OFPORT_MAX
                && !bit_test(used, (unsigned int) v)) {
                ofports[i] = v;
                bit_set(used, (unsigned int) v);
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!ofports[i]) {
            while (next <= FT_DB_OFPORT_MAX && bit_test(used, next)) {
                next++;
            }
            if (next <= FT_DB_OFPORT_MAX) {
                ofports[i] = next;
                bit_set(used, next);
            }
        }
    }
}

/* Gives every interface of 'br' the OpenFlow port number
 * ft_db_plan_ofports() plans for it (see db.h). */
static int
assign_ofports(struct ft_db_txn *txn, const struct ft_db_row *br,
               struct ft_error *err)
{
    struct ft_db *db = txn->db;
    const struct ft_db_datum *ports = ft_db_row_get(br, "ports");
    struct ft_db_row **ifaces = NULL;
    size_t n = 0, allocated = 0, port_ci;
    int64_t *want;
    int error = 0;

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
    want = ft_xmalloc((n + 1) * sizeof *want);
    ft_db_plan_ofports(br->cols[0].s, (const struct ft_db_row *const *) ifaces,
                       n, want);
    for (size_t i = 0; i < n && !error; i++) {
        json_t *op;

        if (!want[i]) {
            error = ft_error_set(err, -ENOSPC, "bridge %s: no free "
                                 "OpenFlow port number", br->cols[0].s);
            break;
        }
        if (ifaces[i]->cols[port_ci].present
            && ifaces[i]->cols[port_ci].i == want[i]) {
            continue;
        }
        op = db_op_new("set", FT_DB_INTERFACE, ifaces[i]->cols[0].s,
                       &ft_db_schema(FT_DB_INTERFACE)->columns[port_ci]);
        json_object_set_new(op, "value", json_integer(want[i]));
        error = db_apply_op(txn, op, err);
    }
    free(want);
    free(ifaces);
    return error;
}

/* A bridge always keeps its own (local) port, the one named as it is:
 * clearing or editing its 'ports' may not take it away. */
static int
check_local_port(const struct ft_db_row *br, struct ft_error *err)
{
    const char *name = br->cols[0].s;
    const struct ft_db_datum *ports = ft_db_row_get(br, "ports");

    for (size_t i = 0; i < ports->n; i++) {
        if (!strcmp(ports->strs[i], name)) {
            return 0;
        }
    }
    return ft_error_set(err, -EINVAL, "Bridge %s column ports: the bridge's "
                        "own (local) port %s cannot be removed from it "
                        "(remove the bridge with del-br)", name, name);
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
        error = check_local_port(db->tables[FT_DB_BRIDGE].rows[i], err);
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
    if (db->opts.read_only) {
        return ft_error_set(err, -EROFS, "the database %s is open for "
                            "reading only", db->journal.dir);
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
    struct ds record;
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
    if (!txn->n_ops) {
        txn_end(txn, false);
        return 0;
    }
    /* {"seq":N,"ops":[OPS]} after the room for the line's head. */
    ds_init(&record);
    ds_reserve(&record, DB_RECORD_HEAD_LEN + 32 + txn->ops.len);
    ds_put_char_multiple(&record, ' ', DB_RECORD_HEAD_LEN);
    ds_put_cstr(&record, "{\"seq\":");
    ds_put_uint(&record, db->seq + 1);
    ds_put_cstr(&record, ",\"ops\":[");
    ds_put_buffer(&record, txn->ops.s, txn->ops.len);
    ds_put_cstr(&record, "]}");
    error = db_journal_append(db, &record, err);
    ds_destroy(&record);
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
int
db_txn_fail(struct ft_db_txn *txn, int error, const struct ft_error *e,
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
int
db_txn_poisoned(const struct ft_db_txn *txn, struct ft_error *err)
{
    if (txn->error.code && err) {
        *err = txn->error;
    }
    return txn->error.code;
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
    db = ft_xmalloc(sizeof *db);
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

/*
 * ovsdb-txn.c - the operations of an OVSDB "transact" request (RFC 7047
 * section 5.2: insert, select, update, mutate, delete, wait, commit,
 * abort, comment, assert) run on a view, then the checks every commit
 * makes: garbage collection of rows no root row reaches, weak references
 * dropped, strong references and indexes checked.
 *
 * Part of the management plane's OVSDB endpoint.  Works on JSON values
 * only; whether FlowTier can apply the result is ovsdb-view.c's question.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/util.h"
#include "mgmt/ovsdb/ovsdb-private.h"

struct txn_ctx {
    const struct ov_schema *schema;
    const struct ov_txn_hooks *hooks;
    json_t *view;
    json_t *symtab;             /* uuid-name -> uuid. */
    json_t *renames;            /* temporary uuid -> [the hook's uuid,
                                 * the row that held it or null]. */
    json_t *given;              /* The hook's uuids given to inserts. */
};

/* Puts in 'buf' the UUID for a row of 't' that 'rowj' inserts.  The
 * hooks may derive a row's UUID from its name; when a row of that UUID
 * already exists (one this transaction may still delete, or leave for the
 * commit's garbage collection, as "del-port br0 p -- add-port br1 p"
 * does) or an earlier insert of this transaction was given it, the new
 * row gets a random UUID until the commit, which gives it the hook's once
 * the old row is gone (rename_inserts()).  Two inserts of one name are
 * then refused by the commit's index check. */
static void
insert_uuid(struct txn_ctx *ctx, const struct ov_table *t,
            const json_t *rowj, char buf[37])
{
    json_t *rows = json_object_get(ctx->view, t->name);

    ctx->hooks->uuid_for(t, rowj, buf);
    json_t *old = json_object_get(rows, buf);
    bool taken = old || json_object_get(ctx->given, buf);

    json_object_set_new(ctx->given, buf, json_true());
    if (taken) {
        json_t *final = json_string(buf);

        ov_uuid_random(buf);
        json_object_set_new(ctx->renames, buf,
                            json_pack("[o,O]", final, old ? old
                                      : json_null()));
    }
}

static json_t *
op_table(struct txn_ctx *ctx, const json_t *op, const struct ov_table **tp,
         json_t **rowsp)
{
    const char *name = json_string_value(json_object_get(op, "table"));

    *tp = name ? ov_schema_table(ctx->schema, name) : NULL;
    if (!name) {
        return ov_error("syntax error", "\"table\" must be a string");
    }
    if (!*tp) {
        return ov_error("unknown table", "No table named %s.", name);
    }
    *rowsp = json_object_get(ctx->view, name);
    return NULL;
}

/* Parses the columns of 'rowj' into 'row'; 'update' refuses immutable
 * columns. */
static json_t *
parse_row(struct txn_ctx *ctx, const struct ov_table *t, const json_t *rowj,
          bool update, json_t *row)
{
    const char *cname;
    json_t *v;

    if (rowj && !json_is_object(rowj)) {
        return ov_error("syntax error", "\"row\" must be an object");
    }
    json_object_foreach ((json_t *) rowj, cname, v) {
        const struct ov_column *c = ov_table_column(t, cname);
        json_t *d = NULL, *error;

        if (!c) {
            return ov_error("unknown column", "No column %s in table %s.",
                            cname, t->name);
        }
        if (c == ov_uuid_column() || (update && !c->mutable_)) {
            return ov_error("constraint violation", "Cannot update "
                            "immutable column %s in table %s.", cname,
                            t->name);
        }
        error = ov_datum_parse(c, v, ctx->symtab, false, &d);
        if (error) {
            return error;
        }
        json_object_set_new(row, cname, d);
    }
    return NULL;
}

static json_t *
op_insert(struct txn_ctx *ctx, const json_t *op, json_t **result)
{
    const char *uname = json_string_value(json_object_get(op, "uuid-name"));
    const struct ov_table *t;
    json_t *rows, *row, *error;
    const char *uuid;

    if ((error = op_table(ctx, op, &t, &rows))) {
        return error;
    }
    row = ov_row_default(t);
    error = parse_row(ctx, t, json_object_get(op, "row"), false, row);
    if (error) {
        json_decref(row);
        return error;
    }
    uuid = json_string_value(json_object_get(ctx->symtab, uname ? uname
                                             : ""));
    if (!uname) {
        char buf[37];

        insert_uuid(ctx, t, json_object_get(op, "row"), buf);
        json_object_set_new(ctx->symtab, "", json_string(buf));
        uuid = json_string_value(json_object_get(ctx->symtab, ""));
    }
    if (json_object_get(rows, uuid)) {
        json_t *name = json_object_get(row, "name");
        char *text = json_dumps(name, JSON_ENCODE_ANY);

        json_decref(row);
        error = ov_error("constraint violation", "Transaction causes "
                         "multiple rows in \"%s\" table to have identical "
                         "values (%s) for index on column \"name\".",
                         t->name, text ? text : "?");
        free(text);
        return error;
    }
    json_object_set_new(rows, uuid, row);
    *result = json_pack("{s:o}", "uuid", ov_uuid_atom(uuid));
    return NULL;
}

/* Collects the UUIDs of the rows of 'rows' that 'op''s "where" matches. */
static json_t *
op_match(struct txn_ctx *ctx, const struct ov_table *t, json_t *rows,
         const json_t *op, json_t **uuids)
{
    json_t *where = NULL, *row, *error;
    const char *uuid;

    *uuids = NULL;
    if (!json_object_get(op, "where")) {
        return ov_error("syntax error", "\"where\" is required");
    }
    error = ov_where_parse(t, json_object_get(op, "where"), ctx->symtab,
                           &where);
    if (error) {
        return error;
    }
    *uuids = json_array();
    json_object_foreach (rows, uuid, row) {
        if (ov_where_eval(t, where, uuid, row)) {
            json_array_append_new(*uuids, json_string(uuid));
        }
    }
    json_decref(where);
    return NULL;
}

static json_t *
project(const struct ov_table *t, const char *uuid, const json_t *row,
        const json_t *columns)
{
    json_t *out = json_object(), *c;
    size_t i;

    if (!columns) {
        json_object_set_new(out, "_uuid", ov_row_get(row, uuid, "_uuid"));
        json_object_set_new(out, "_version",
                            ov_row_get(row, uuid, "_version"));
        for (i = 0; i < t->n_columns; i++) {
            json_object_set(out, t->columns[i].name,
                            json_object_get(row, t->columns[i].name));
        }
        return out;
    }
    json_array_foreach (columns, i, c) {
        const char *name = json_string_value(c);

        json_object_set_new(out, name, ov_row_get(row, uuid, name));
    }
    return out;
}

static json_t *
check_columns(const struct ov_table *t, const json_t *columns)
{
    json_t *c;
    size_t i;

    if (columns && !json_is_array(columns)) {
        return ov_error("syntax error", "\"columns\" must be an array");
    }
    json_array_foreach (columns, i, c) {
        if (!ov_table_column(t, json_string_value(c))) {
            return ov_error("syntax error", "%s is not a valid column name "
                            "in table %s", json_is_string(c)
                            ? json_string_value(c) : "(not a string)",
                            t->name);
        }
    }
    return NULL;
}

static json_t *
op_select(struct txn_ctx *ctx, const json_t *op, json_t **result)
{
    const json_t *columns = json_object_get(op, "columns");
    const struct ov_table *t;
    json_t *rows, *uuids, *out, *u, *error;
    size_t i;

    if ((error = op_table(ctx, op, &t, &rows))
        || (error = check_columns(t, columns))
        || (error = op_match(ctx, t, rows, op, &uuids))) {
        return error;
    }
    out = json_array();
    json_array_foreach (uuids, i, u) {
        const char *uuid = json_string_value(u);

        json_array_append_new(out, project(t, uuid,
                                           json_object_get(rows, uuid),
                                           columns));
    }
    json_decref(uuids);
    *result = json_pack("{s:o}", "rows", out);
    return NULL;
}

static json_t *
op_update(struct txn_ctx *ctx, const json_t *op, json_t **result)
{
    const struct ov_table *t;
    json_t *rows, *uuids, *patch, *u, *error;
    size_t i;

    if ((error = op_table(ctx, op, &t, &rows))) {
        return error;
    }
    patch = json_object();
    error = parse_row(ctx, t, json_object_get(op, "row"), true, patch);
    if (!error) {
        error = op_match(ctx, t, rows, op, &uuids);
    }
    if (error) {
        json_decref(patch);
        return error;
    }
    json_array_foreach (uuids, i, u) {
        json_object_update(json_object_get(rows, json_string_value(u)),
                           patch);
    }
    *result = json_pack("{s:I}", "count", (json_int_t) json_array_size(uuids));
    json_decref(uuids);
    json_decref(patch);
    return NULL;
}

static json_t *
op_mutate(struct txn_ctx *ctx, const json_t *op, json_t **result)
{
    const struct ov_table *t;
    json_t *rows, *uuids, *u, *error;
    size_t i;

    if ((error = op_table(ctx, op, &t, &rows))
        || (error = op_match(ctx, t, rows, op, &uuids))) {
        return error;
    }
    json_array_foreach (uuids, i, u) {
        json_t *row = json_object_get(rows, json_string_value(u));

        error = ov_mutate_row(t, json_object_get(op, "mutations"),
                              ctx->symtab, row);
        if (error) {
            break;
        }
    }
    if (!error && !json_array_size(uuids)) {
        /* Check the mutations' syntax even when no row matches. */
        json_t *row = ov_row_default(t);

        error = ov_mutate_row(t, json_object_get(op, "mutations"),
                              ctx->symtab, row);
        if (error && !strcmp(json_string_value(json_object_get(error,
                                                                "error")),
                             "constraint violation")) {
            json_decref(error);
            error = NULL;
        }
        json_decref(row);
    }
    if (!error) {
        *result = json_pack("{s:I}", "count",
                            (json_int_t) json_array_size(uuids));
    }
    json_decref(uuids);
    return error;
}

static json_t *
op_delete(struct txn_ctx *ctx, const json_t *op, json_t **result)
{
    const struct ov_table *t;
    json_t *rows, *uuids, *u, *error;
    size_t i;

    if ((error = op_table(ctx, op, &t, &rows))
        || (error = op_match(ctx, t, rows, op, &uuids))) {
        return error;
    }
    json_array_foreach (uuids, i, u) {
        json_object_del(rows, json_string_value(u));
    }
    *result = json_pack("{s:I}", "count", (json_int_t) json_array_size(uuids));
    json_decref(uuids);
    return NULL;
}

/* Do the rows of 'rows' that 'op' selects, projected on its columns,
 * equal its "rows" as a multiset? */
static json_t *
wait_compare(struct txn_ctx *ctx, const struct ov_table *t, json_t *rows,
             const json_t *op, bool *equal)
{
    const json_t *columns = json_object_get(op, "columns");
    const json_t *want = json_object_get(op, "rows");
    json_t *uuids, *have, *u, *w, *error;
    size_t i;

    if (!json_is_array(want) || !json_is_array(columns)) {
        return ov_error("syntax error", "\"wait\" needs \"columns\" and "
                        "\"rows\" arrays");
    }
    if ((error = check_columns(t, columns))
        || (error = op_match(ctx, t, rows, op, &uuids))) {
        return error;
    }
    have = json_array();
    json_array_foreach (uuids, i, u) {
        const char *uuid = json_string_value(u);

        json_array_append_new(have, project(t, uuid,
                                            json_object_get(rows, uuid),
                                            columns));
    }
    json_decref(uuids);
    *equal = json_array_size(have) == json_array_size(want);
    json_array_foreach (want, i, w) {
        json_t *parsed = json_object();
        bool found = false;

        error = parse_row(ctx, t, w, false, parsed);
        for (size_t k = 0; !error && k < json_array_size(have); k++) {
            if (json_equal(json_array_get(have, k), parsed)) {
                json_array_remove(have, k);
                found = true;
                break;
            }
        }
        json_decref(parsed);
        if (error) {
            break;
        }
        if (!found) {
            *equal = false;
        }
    }
    if (json_array_size(have)) {
        *equal = false;
    }
    json_decref(have);
    return error;
}

static json_t *
op_wait(struct txn_ctx *ctx, const json_t *op, json_t **result)
{
    const char *until = json_string_value(json_object_get(op, "until"));
    const struct ov_table *t;
    json_t *rows, *error;
    bool equal = false;

    if ((error = op_table(ctx, op, &t, &rows))) {
        return error;
    }
    if (!until || (strcmp(until, "==") && strcmp(until, "!="))) {
        return ov_error("syntax error", "\"until\" must be \"==\" or "
                        "\"!=\"");
    }
    if ((error = wait_compare(ctx, t, rows, op, &equal))) {
        return error;
    }
    if (equal == !strcmp(until, "==")) {
        *result = json_object();
        return NULL;
    }
    if (json_integer_value(json_object_get(op, "timeout")) == 0
        && json_object_get(op, "timeout")) {
        return ov_error("timed out", "\"wait\" timed out");
    }
    return ov_error("not supported", "\"wait\" whose condition does not hold "
                    "yet needs \"timeout\": 0 (this server does not delay "
                    "transactions)");
}

static json_t *
op_comment(struct txn_ctx *ctx, const json_t *op, json_t **result)
{
    (void) ctx;
    (void) op;
    *result = json_object();
    return NULL;
}

static json_t *
op_assert(struct txn_ctx *ctx, const json_t *op, json_t **result)
{
    (void) ctx;
    (void) result;
    return ov_error("not owner", "Asserted lock %s not held.",
                    json_is_string(json_object_get(op, "lock"))
                    ? json_string_value(json_object_get(op, "lock")) : "");
}

static json_t *
op_abort(struct txn_ctx *ctx, const json_t *op, json_t **result)
{
    (void) ctx;
    (void) op;
    (void) result;
    return ov_error("aborted", "aborted by request");
}

static json_t *
op_commit(struct txn_ctx *ctx, const json_t *op, json_t **result)
{
    (void) ctx;
    if (!json_is_boolean(json_object_get(op, "durable"))) {
        return ov_error("syntax error", "\"durable\" must be a boolean");
    }
    /* Every commit is durable: FlowTier's journal fsyncs it. */
    *result = json_object();
    return NULL;
}

static const struct {
    const char *name;
    json_t *(*fn)(struct txn_ctx *, const json_t *op, json_t **result);
} ops_table[] = {
    { "insert", op_insert }, { "select", op_select },
    { "update", op_update }, { "mutate", op_mutate },
    { "delete", op_delete }, { "wait", op_wait },
    { "commit", op_commit }, { "abort", op_abort },
    { "comment", op_comment }, { "assert", op_assert },
};

/* Gives each insert's "uuid-name" its UUID before any operation runs, so
 * operations may refer to rows inserted later in the transaction. */
static json_t *
name_inserts(struct txn_ctx *ctx, const json_t *ops)
{
    json_t *op;
    size_t i;

    json_array_foreach (ops, i, op) {
        const char *op_name = json_string_value(json_object_get(op, "op"));
        const char *uname = json_string_value(json_object_get(op,
                                                              "uuid-name"));
        const struct ov_table *t;
        char buf[37];

        if (!op_name || strcmp(op_name, "insert") || !uname) {
            continue;
        }
        t = ov_schema_table(ctx->schema, json_string_value(
                                json_object_get(op, "table")));
        if (!t) {
            continue;
        }
        if (json_object_get(ctx->symtab, uname)) {
            return ov_error("duplicate uuid-name", "This \"uuid-name\" "
                            "appeared on an earlier \"insert\" operation.");
        }
        insert_uuid(ctx, t, json_object_get(op, "row"), buf);
        json_object_set_new(ctx->symtab, uname, json_string(buf));
    }
    return NULL;
}

static json_t *
run_op(struct txn_ctx *ctx, const json_t *op, json_t **result)
{
    const char *name = json_string_value(json_object_get(op, "op"));

    *result = NULL;
    if (!json_is_object(op) || !name) {
        return ov_error("syntax error", "an operation must be an object "
                        "with an \"op\" string");
    }
    for (size_t i = 0; i < sizeof ops_table / sizeof ops_table[0]; i++) {
        if (!strcmp(ops_table[i].name, name)) {
            return ops_table[i].fn(ctx, op, result);
        }
    }
    return ov_error("syntax error", "No operation \"%s\"", name);
}

/* A copy of the value 'map' has for string 'v', or NULL. */
static json_t *
renamed(const json_t *v, const json_t *map)
{
    const json_t *to = (json_is_string(v)
                        ? json_object_get(map, json_string_value(v)) : NULL);

    return to ? json_string(json_string_value(to)) : NULL;
}

/* Replaces every string of 'j' (values, not object keys) that is a key
 * of 'map' by its value there.  A random UUID's text occurs nowhere but
 * in references to its row. */
static void
replace_strings(json_t *j, const json_t *map)
{
    const char *key;
    json_t *v, *to;
    size_t i;

    if (json_is_array(j)) {
        json_array_foreach (j, i, v) {
            if ((to = renamed(v, map))) {
                json_array_set_new(j, i, to);
            } else {
                replace_strings(v, map);
            }
        }
    } else if (json_is_object(j)) {
        json_object_foreach (j, key, v) {
            if ((to = renamed(v, map))) {
                json_object_set_new(j, key, to);
            } else {
                replace_strings(v, map);
            }
        }
    }
}

/* After a commit's checks: each row inserted under a temporary UUID takes
 * the one the hooks gave it, in the view and in 'results', if the row
 * that held it is gone (one walk of each for all the renames).  A row
 * whose old holder stayed keeps the temporary UUID (the hooks' owner
 * refuses it, or the index check already did). */
static void
rename_inserts(struct txn_ctx *ctx, json_t *results, json_t *recreated)
{
    json_t *map = json_object(), *v;
    const char *temp;

    json_object_foreach (ctx->renames, temp, v) {
        const char *final = json_string_value(json_array_get(v, 0));
        const json_t *old = json_array_get(v, 1);

        for (size_t t = 0; t < ctx->schema->n_tables; t++) {
            const struct ov_table *tb = &ctx->schema->tables[t];
            json_t *rows = json_object_get(ctx->view, tb->name);
            json_t *row = json_object_get(rows, temp);

            if (!row || json_object_get(rows, final)) {
                continue;
            }
            if (json_is_object(old)) {
                if (ctx->hooks->reinserted) {
                    ctx->hooks->reinserted(tb, old, row);
                }
                if (recreated) {
                    json_object_set_new(recreated, final, json_true());
                }
            }
            json_object_set(rows, final, row);
            json_object_del(rows, temp);
            json_object_set(map, temp, json_array_get(v, 0));
        }
    }
    if (json_object_size(map)) {
        replace_strings(ctx->view, map);
        replace_strings(results, map);
    }
    json_decref(map);
}

json_t *
ov_txn_run(const struct ov_schema *s, const struct ov_txn_hooks *hooks,
           json_t *view, const json_t *ops, bool *ok, json_t *recreated)
{
    struct txn_ctx ctx = { s, hooks, view, json_object(), json_object(),
                           json_object() };
    json_t *results = json_array(), *error;
    size_t n = json_array_size(ops), i = 0;

    *ok = false;
    error = name_inserts(&ctx, ops);
    for (; !error && i < n; i++) {
        json_t *result = NULL;

        error = run_op(&ctx, json_array_get(ops, i), &result);
        if (!error) {
            json_array_append_new(results, result);
        }
    }
    if (error) {
        json_array_append_new(results, error);
        while (json_array_size(results) < n) {
            json_array_append_new(results, json_null());
        }
    } else if ((error = ov_txn_check(s, view))) {
        json_array_append_new(results, error);
    } else {
        rename_inserts(&ctx, results, recreated);
        *ok = true;
    }
    json_decref(ctx.symtab);
    json_decref(ctx.renames);
    json_decref(ctx.given);
    return results;
}

/* ---- Commit checks. ---- */

/* Calls 'fn' on every reference atom of column 'c' in datum 'd'; 'fn'
 * returns false to remove the element (weak references). */
static void
each_ref(const struct ov_column *c, json_t *d,
         bool (*fn)(const struct ov_base *, const json_t *atom, void *aux),
         void *aux)
{
    json_t *elems = ov_elems(c, d), *e;
    size_t i;

    for (i = 0; i < json_array_size(elems);) {
        bool keep = true;

        e = json_array_get(elems, i);
        if (c->key.ref_table) {
            keep = fn(&c->key, c->is_map ? json_array_get(e, 0) : e, aux);
        }
        if (keep && c->is_map && c->value.ref_table) {
            keep = fn(&c->value, json_array_get(e, 1), aux);
        }
        if (!keep && json_is_array(d) && json_array_size(d) == 2
            && json_array_get(d, 1) == elems) {
            json_array_remove(elems, i);
        } else {
            i++;
        }
    }
    ov_elems_release(c, elems);
}

struct ref_ctx {
    json_t *view;
    json_t *referenced;         /* uuid -> true (strong references). */
    json_t *error;
    const char *table, *column, *row;
};

static bool
mark_strong(const struct ov_base *b, const json_t *atom, void *r_)
{
    struct ref_ctx *r = r_;

    if (!b->weak) {
        json_object_set_new(r->referenced,
                            json_string_value(json_array_get(atom, 1)),
                            json_true());
    }
    return true;
}

static void
collect_refs(const struct ov_schema *s, struct ref_ctx *r)
{
    for (size_t t = 0; t < s->n_tables; t++) {
        const struct ov_table *tb = &s->tables[t];
        json_t *rows = json_object_get(r->view, tb->name), *row;
        const char *uuid;

        json_object_foreach (rows, uuid, row) {
            for (size_t c = 0; c < tb->n_columns; c++) {
                each_ref(&tb->columns[c],
                         json_object_get(row, tb->columns[c].name),
                         mark_strong, r);
            }
        }
    }
}

static void
collect_garbage(const struct ov_schema *s, json_t *view)
{
    bool changed = true;

    while (changed) {
        struct ref_ctx r = { .view = view, .referenced = json_object() };

        changed = false;
        collect_refs(s, &r);
        for (size_t t = 0; t < s->n_tables; t++) {
            json_t *rows = json_object_get(view, s->tables[t].name), *row;
            const char *uuid;
            void *tmp;

            if (s->tables[t].is_root) {
                continue;
            }
            json_object_foreach_safe (rows, tmp, uuid, row) {
                if (!json_object_get(r.referenced, uuid)) {
                    json_object_del(rows, uuid);
                    changed = true;
                }
            }
        }
        json_decref(r.referenced);
    }
}

static bool
check_ref(const struct ov_base *b, const json_t *atom, void *r_)
{
    struct ref_ctx *r = r_;
    const char *target = json_string_value(json_array_get(atom, 1));

    if (json_object_get(json_object_get(r->view, b->ref_table), target)) {
        return true;
    }
    if (b->weak) {
        return false;
    }
    if (!r->error) {
        r->error = ov_error("referential integrity violation", "Table %s "
                            "column %s row %s references nonexistent row %s "
                            "in table %s.", r->table, r->column, r->row,
                            target, b->ref_table);
    }
    return true;
}

static json_t *
check_index(const struct ov_table *t, json_t *rows, const json_t *index)
{
    json_t *seen = json_object(), *row, *error = NULL;
    const char *uuid;

    json_object_foreach (rows, uuid, row) {
        json_t *key = json_array(), *c;
        char *text;
        size_t i;

        json_array_foreach (index, i, c) {
            json_array_append(key, json_object_get(row,
                                                   json_string_value(c)));
        }
        text = json_dumps(key, JSON_COMPACT);
        json_decref(key);
        if (!error && text && json_object_get(seen, text)) {
            error = ov_error("constraint violation", "Transaction causes "
                             "multiple rows in \"%s\" table to have "
                             "identical values (%s) for index on columns "
                             "%s.", t->name, text,
                             json_string_value(json_array_get(index, 0)));
        } else if (text) {
            json_object_set_new(seen, text, json_true());
        }
        free(text);
    }
    json_decref(seen);
    return error;
}

static json_t *
check_table(const struct ov_table *t, json_t *view)
{
    json_t *rows = json_object_get(view, t->name), *row, *index;
    struct ref_ctx r = { .view = view, .table = t->name };
    const char *uuid;
    size_t i;

    json_object_foreach (rows, uuid, row) {
        r.row = uuid;
        for (size_t c = 0; c < t->n_columns && !r.error; c++) {
            const struct ov_column *col = &t->columns[c];

            r.column = col->name;
            each_ref(col, json_object_get(row, col->name), check_ref, &r);
            if (!r.error && (col->key.ref_table || col->value.ref_table)) {
                r.error = ov_datum_check_count(col, json_object_get(
                                                   row, col->name));
            }
        }
        if (r.error) {
            return r.error;
        }
    }
    if (t->max_rows && json_object_size(rows) > t->max_rows) {
        return ov_error("constraint violation", "Transaction causes \"%s\" "
                        "table to contain %zu rows, greater than the schema-"
                        "defined limit of %zu row(s).", t->name,
                        json_object_size(rows), t->max_rows);
    }
    json_array_foreach (t->indexes, i, index) {
        json_t *error = check_index(t, rows, index);

        if (error) {
            return error;
        }
    }
    return NULL;
}

json_t *
ov_txn_check(const struct ov_schema *s, json_t *view)
{
    collect_garbage(s, view);
    for (size_t t = 0; t < s->n_tables; t++) {
        json_t *error = check_table(&s->tables[t], view);

        if (error) {
            return error;
        }
    }
    return NULL;
}

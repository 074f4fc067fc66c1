/*
 * ovsdb-monitor.c - OVSDB monitors: "monitor" (RFC 7047 section 4.1.5,
 * "update" notifications with old and new values), "monitor_cond" and
 * "monitor_cond_since" (Open vSwitch's extensions: conditions, "update2"
 * and "update3" notifications with differences).  A monitor is a JSON
 * object {"version": 1|2|3, "tables": {TABLE: [REQUEST...]}} whose
 * requests have their "columns", parsed "where" and "select" filled in;
 * updates are computed by comparing two views.
 *
 * Part of the management plane's OVSDB endpoint; pure functions.
 */
#include <stdlib.h>
#include <string.h>

#include "mgmt/ovsdb/ovsdb-private.h"

static json_t *
parse_select(const json_t *j, json_t **out)
{
    static const char *const keys[] = { "initial", "insert", "delete",
                                        "modify" };

    *out = json_object();
    for (size_t i = 0; i < 4; i++) {
        const json_t *v = json_object_get(j, keys[i]);

        if (v && !json_is_boolean(v)) {
            return ov_error("syntax error", "\"select\" member \"%s\" must "
                            "be a boolean", keys[i]);
        }
        json_object_set_new(*out, keys[i], json_boolean(!v
                                                        || json_is_true(v)));
    }
    return NULL;
}

static json_t *
parse_request(const struct ov_table *t, int version, const json_t *r,
              json_t **out)
{
    const json_t *cols = json_object_get(r, "columns");
    json_t *columns = json_array(), *where = NULL, *select = NULL, *c;
    json_t *error = NULL;
    size_t i;

    *out = NULL;
    if (!json_is_object(r) || (cols && !json_is_array(cols))) {
        error = ov_error("syntax error", "a monitor request for table %s "
                         "must be an object with a \"columns\" array",
                         t->name);
    }
    json_array_foreach (cols, i, c) {
        const struct ov_column *col = ov_table_column(t,
                                                      json_string_value(c));

        if (!error && (!col || col == ov_uuid_column())) {
            error = ov_error("syntax error", "%s is not a valid column name "
                             "in table %s", json_is_string(c)
                             ? json_string_value(c) : "(not a string)",
                             t->name);
        }
        json_array_append(columns, c);
    }
    if (!error && !cols) {
        for (i = 0; i < t->n_columns; i++) {
            json_array_append_new(columns, json_string(t->columns[i].name));
        }
    }
    if (!error && version > 1) {
        error = ov_where_parse(t, json_object_get(r, "where"), NULL, &where);
    }
    if (!error) {
        error = parse_select(json_object_get(r, "select"), &select);
    }
    if (error) {
        json_decref(columns);
        json_decref(where);
        json_decref(select);
        return error;
    }
    *out = json_pack("{s:o, s:o, s:o}", "columns", columns,
                     "where", where ? where : json_array(), "select", select);
    return NULL;
}

json_t *
ov_monitor_parse(const struct ov_schema *s, int version, const json_t *reqs,
                 json_t **mon)
{
    json_t *tables = json_object(), *r;
    const char *name;

    *mon = NULL;
    if (!json_is_object(reqs)) {
        json_decref(tables);
        return ov_error("syntax error", "monitor requests must be an object "
                        "keyed by table");
    }
    json_object_foreach ((json_t *) reqs, name, r) {
        const struct ov_table *t = ov_schema_table(s, name);
        json_t *list = json_array(), *one, *error = NULL, *e;
        size_t i;

        if (!t) {
            error = ov_error("unknown table", "No table named %s.", name);
        } else if (json_is_array(r)) {
            json_array_foreach (r, i, e) {
                if ((error = parse_request(t, version, e, &one))) {
                    break;
                }
                json_array_append_new(list, one);
            }
        } else if (!(error = parse_request(t, version, r, &one))) {
            json_array_append_new(list, one);
        }
        if (error) {
            json_decref(list);
            json_decref(tables);
            return error;
        }
        json_object_set_new(tables, name, list);
    }
    *mon = json_pack("{s:i, s:o}", "version", version, "tables", tables);
    return NULL;
}

/* The monitored columns of 'row'; with 'skip_default', those that differ
 * from their defaults only (update2's "initial" and "insert"). */
static json_t *
project(const struct ov_table *t, const json_t *req, const json_t *row,
        bool skip_default)
{
    json_t *out = json_object(), *c;
    size_t i;

    json_array_foreach (json_object_get(req, "columns"), i, c) {
        const char *name = json_string_value(c);
        json_t *v = json_object_get(row, name);

        if (!skip_default || !ov_datum_is_default(ov_table_column(t, name),
                                                  v)) {
            json_object_set(out, name, v);
        }
    }
    return out;
}

static bool
selects(const json_t *req, const char *what)
{
    return json_is_true(json_object_get(json_object_get(req, "select"),
                                        what));
}

static bool
visible(const struct ov_table *t, const json_t *req, const char *uuid,
        const json_t *row)
{
    return row && ov_where_eval(t, json_object_get(req, "where"), uuid, row);
}

/* One row's update for request 'req', or NULL. */
static json_t *
row_update(const struct ov_table *t, const json_t *req, int version,
           const char *uuid, const json_t *o, const json_t *n)
{
    bool ov = visible(t, req, uuid, o), nv = visible(t, req, uuid, n);
    json_t *old, *diff, *c;
    size_t i;

    if (!ov && nv) {
        if (!selects(req, o ? "modify" : "insert") && !selects(req, "insert")) {
            return NULL;
        }
        return version == 1 ? json_pack("{s:o}", "new",
                                        project(t, req, n, false))
               : json_pack("{s:o}", "insert", project(t, req, n, true));
    }
    if (ov && !nv) {
        if (!selects(req, "delete")) {
            return NULL;
        }
        return version == 1 ? json_pack("{s:o}", "old",
                                        project(t, req, o, false))
               : json_pack("{s:n}", "delete");
    }
    if (!ov || !selects(req, "modify")) {
        return NULL;
    }
    old = json_object();
    diff = json_object();
    json_array_foreach (json_object_get(req, "columns"), i, c) {
        const char *name = json_string_value(c);
        json_t *a = json_object_get(o, name), *b = json_object_get(n, name);

        if (!json_equal(a, b)) {
            json_object_set(old, name, a);
            json_object_set_new(diff, name, ov_datum_diff(
                                    ov_table_column(t, name), a, b));
        }
    }
    if (!json_object_size(old)) {
        json_decref(old);
        json_decref(diff);
        return NULL;
    }
    if (version == 1) {
        json_decref(diff);
        return json_pack("{s:o, s:o}", "old", old, "new",
                         project(t, req, n, false));
    }
    json_decref(old);
    return json_pack("{s:o}", "modify", diff);
}

static void
table_updates(const struct ov_table *t, const json_t *req, int version,
              const json_t *orows, const json_t *nrows, json_t *out)
{
    const char *uuid;
    json_t *row, *u;

    json_object_foreach ((json_t *) orows, uuid, row) {
        if ((u = row_update(t, req, version, uuid, row,
                            json_object_get(nrows, uuid)))) {
            json_object_set_new(out, uuid, u);
        }
    }
    json_object_foreach ((json_t *) nrows, uuid, row) {
        if (!json_object_get(orows, uuid)
            && (u = row_update(t, req, version, uuid, NULL, row))) {
            json_object_set_new(out, uuid, u);
        }
    }
}

json_t *
ov_monitor_updates(const struct ov_schema *s, const json_t *mon,
                   const json_t *old, const json_t *new)
{
    int version = json_integer_value(json_object_get(mon, "version"));
    json_t *out = json_object(), *reqs, *req;
    const char *name;
    size_t i;

    json_object_foreach (json_object_get(mon, "tables"), name, reqs) {
        const struct ov_table *t = ov_schema_table(s, name);
        json_t *rows = json_object();

        json_array_foreach (reqs, i, req) {
            table_updates(t, req, version, json_object_get(old, name),
                          json_object_get(new, name), rows);
        }
        if (json_object_size(rows)) {
            json_object_set_new(out, name, rows);
        } else {
            json_decref(rows);
        }
    }
    if (!json_object_size(out)) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *
ov_monitor_initial(const struct ov_schema *s, const json_t *mon,
                   const json_t *view)
{
    int version = json_integer_value(json_object_get(mon, "version"));
    json_t *out = json_object(), *reqs, *req, *row;
    const char *name, *uuid;
    size_t i;

    json_object_foreach (json_object_get(mon, "tables"), name, reqs) {
        const struct ov_table *t = ov_schema_table(s, name);
        json_t *rows = json_object();

        json_array_foreach (reqs, i, req) {
            if (!selects(req, "initial")) {
                continue;
            }
            json_object_foreach (json_object_get(view, name), uuid, row) {
                if (!visible(t, req, uuid, row)) {
                    continue;
                }
                json_object_set_new(rows, uuid, version == 1
                    ? json_pack("{s:o}", "new", project(t, req, row, false))
                    : json_pack("{s:o}", "initial",
                                project(t, req, row, true)));
            }
        }
        if (json_object_size(rows)) {
            json_object_set_new(out, name, rows);
        } else {
            json_decref(rows);
        }
    }
    return out;
}

/*
 * ovsdb-datum.c - OVSDB values (RFC 7047 section 5.1): atoms, sets and
 * maps parsed from the wire into the canonical form of ovsdb-private.h
 * and checked against their column's type; conditions ("where") and
 * mutations; update2 differences.
 *
 * Part of the management plane's OVSDB endpoint; pure functions over
 * JSON values, no I/O.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/util.h"
#include "mgmt/ovsdb/ovsdb-private.h"

json_t *
ov_error(const char *tag, const char *format, ...)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    va_list args;
    json_t *e;

    va_start(args, format);
    ds_put_format_valist(&s, format, args);
    va_end(args);
    e = json_pack("{s:s, s:s}", "error", tag, "details", ds_cstr(&s));
    if (!e) {
        /* Not UTF-8 (bytes quoted from a bad message, a cut name): the
         * details in ASCII, '?' for the rest, rather than no error. */
        for (size_t i = 0; i < s.len; i++) {
            s.s[i] = s.s[i] & 0x80 ? '?' : s.s[i];
        }
        e = json_pack("{s:s, s:s}", "error", tag, "details", ds_cstr(&s));
    }
    ds_destroy(&s);
    return e;
}

/* ---- Atoms. ---- */

static int
atom_rank(const json_t *a)
{
    return json_is_integer(a) ? 0 : json_is_real(a) ? 1
           : json_is_boolean(a) ? 2 : json_is_string(a) ? 3 : 4;
}

int
ov_atom_cmp(const json_t *a, const json_t *b)
{
    int ra = atom_rank(a), rb = atom_rank(b);

    if (ra != rb) {
        return ra < rb ? -1 : 1;
    }
    switch (ra) {
    case 0: {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return x < y ? -1 : x > y;
    }
    case 1: {
        double x = json_real_value(a), y = json_real_value(b);
        return x < y ? -1 : x > y;
    }
    case 2:
        return json_is_true(a) - json_is_true(b);
    case 3:
        return strcmp(json_string_value(a), json_string_value(b));
    default:
        if (json_is_array(a) && json_array_size(a) == 2
            && json_is_array(b) && json_array_size(b) == 2
            && json_is_string(json_array_get(a, 0))) {
            /* A UUID, or a map pair [KEY, VALUE] ordered by key. */
            int c = ov_atom_cmp(json_array_get(a, 0), json_array_get(b, 0));
            return c ? c : ov_atom_cmp(json_array_get(a, 1),
                                       json_array_get(b, 1));
        }
        if (json_is_array(a) && json_is_array(b)) {
            return ov_atom_cmp(json_array_get(a, 0), json_array_get(b, 0));
        }
        return 0;
    }
}

static bool
is_tagged(const json_t *j, const char *tag, size_t n)
{
    return json_is_array(j) && json_array_size(j) == n
           && json_is_string(json_array_get(j, 0))
           && !strcmp(json_string_value(json_array_get(j, 0)), tag);
}

static const char *
type_name(enum ov_atype t)
{
    static const char *const names[] = {
        "integer", "real", "boolean", "string", "uuid"
    };
    return names[t];
}

static bool
enum_has(const json_t *enums, const json_t *atom)
{
    size_t i;
    json_t *e;

    json_array_foreach (enums, i, e) {
        if (json_equal(e, atom)) {
            return true;
        }
    }
    return false;
}

static json_t *
parse_uuid(const json_t *j, const json_t *symtab, json_t **out)
{
    const char *s = json_string_value(json_array_get(j, 1));

    if (is_tagged(j, "uuid", 2) && ov_uuid_valid(s)) {
        *out = ov_uuid_atom(s);
        return NULL;
    }
    if (is_tagged(j, "named-uuid", 2) && s) {
        const char *u = json_string_value(json_object_get(symtab, s));

        if (!u) {
            return ov_error("syntax error", "named-uuid \"%s\" is not the "
                            "uuid-name of any insert in this transaction",
                            s);
        }
        *out = ov_uuid_atom(u);
        return NULL;
    }
    return ov_error("syntax error", "expected uuid");
}

static json_t *
parse_atom(const struct ov_base *b, const json_t *j, const json_t *symtab,
           json_t **out)
{
    *out = NULL;
    switch (b->type) {
    case OV_INTEGER:
        if (!json_is_integer(j)) {
            break;
        }
        if (json_integer_value(j) < b->min_int
            || json_integer_value(j) > b->max_int) {
            return ov_error("constraint violation", "%"PRId64" is not in "
                            "the valid range %"PRId64" to %"PRId64
                            " (inclusive)", (int64_t) json_integer_value(j),
                            b->min_int, b->max_int);
        }
        *out = json_integer(json_integer_value(j));
        break;
    case OV_REAL:
        if (json_is_number(j)) {
            *out = json_real(json_number_value(j));
        }
        break;
    case OV_BOOLEAN:
        if (json_is_boolean(j)) {
            *out = json_boolean(json_is_true(j));
        }
        break;
    case OV_STRING:
        if (json_is_string(j)) {
            *out = json_string(json_string_value(j));
        }
        break;
    case OV_UUID:
        return parse_uuid(j, symtab, out);
    }
    if (!*out) {
        return ov_error("syntax error", "expected %s", type_name(b->type));
    }
    if (b->enums && !enum_has(b->enums, *out)) {
        char *text = json_dumps(*out, JSON_ENCODE_ANY);
        json_t *e = ov_error("constraint violation", "%s is not one of the "
                             "allowed values", text ? text : "?");

        free(text);
        json_decref(*out);
        *out = NULL;
        return e;
    }
    return NULL;
}

/* ---- Data. ---- */

static bool
is_scalar(const struct ov_column *c)
{
    return !c->is_map && c->min == 1 && c->max == 1;
}

static int
elem_cmp(const void *a, const void *b)
{
    return ov_atom_cmp(*(json_t *const *) a, *(json_t *const *) b);
}

/* Sorts 'elems' in place and reports whether two are equal (by key for a
 * map). */
static bool
sort_elems(json_t *elems, bool is_map)
{
    size_t n = json_array_size(elems);
    json_t **v = ft_xcalloc(n ? n : 1, sizeof *v);
    bool dup = false;

    for (size_t i = 0; i < n; i++) {
        v[i] = json_incref(json_array_get(elems, i));
    }
    qsort(v, n, sizeof *v, elem_cmp);
    json_array_clear(elems);
    for (size_t i = 0; i < n; i++) {
        if (i && !ov_atom_cmp(is_map ? json_array_get(v[i - 1], 0) : v[i - 1],
                              is_map ? json_array_get(v[i], 0) : v[i])) {
            dup = true;
        }
        json_array_append_new(elems, v[i]);
    }
    free(v);
    return dup;
}

json_t *
ov_datum_from_elems(const struct ov_column *c, json_t *elems)
{
    if (is_scalar(c) && json_array_size(elems) == 1) {
        json_t *a = json_incref(json_array_get(elems, 0));

        json_decref(elems);
        return a;
    }
    return json_pack("[s,o]", c->is_map ? "map" : "set", elems);
}

json_t *
ov_datum_check_count(const struct ov_column *c, const json_t *d)
{
    size_t n = is_scalar(c) ? 1 : json_array_size(json_array_get(d, 1));

    if (n < c->min) {
        return ov_error("constraint violation", "%s must have at least "
                        "%"PRIu32" members but %zu are present", c->name,
                        c->min, n);
    }
    if (n > c->max) {
        return ov_error("constraint violation", "%s must have at most "
                        "%"PRIu32" members but %zu are present", c->name,
                        c->max, n);
    }
    return NULL;
}

static json_t *
parse_elems(const struct ov_column *c, const json_t *list,
            const json_t *symtab, json_t *elems)
{
    size_t i;
    json_t *e;

    json_array_foreach (list, i, e) {
        json_t *k = NULL, *v = NULL, *error;

        if (c->is_map) {
            if (!json_is_array(e) || json_array_size(e) != 2) {
                return ov_error("syntax error", "column %s: a map element "
                                "must be [KEY, VALUE]", c->name);
            }
            error = parse_atom(&c->key, json_array_get(e, 0), symtab, &k);
            if (!error) {
                error = parse_atom(&c->value, json_array_get(e, 1), symtab,
                                   &v);
            }
            if (error) {
                json_decref(k);
                return error;
            }
            json_array_append_new(elems, json_pack("[o,o]", k, v));
        } else {
            error = parse_atom(&c->key, e, symtab, &k);
            if (error) {
                return error;
            }
            json_array_append_new(elems, k);
        }
    }
    return NULL;
}

json_t *
ov_datum_parse(const struct ov_column *c, const json_t *j,
               const json_t *symtab, bool relaxed, json_t **out)
{
    json_t *elems = json_array(), *error = NULL;

    *out = NULL;
    if (c->is_map) {
        if (!is_tagged(j, "map", 2) || !json_is_array(json_array_get(j, 1))) {
            error = ov_error("syntax error", "column %s: expected [\"map\", "
                             "[[KEY, VALUE]...]]", c->name);
        } else {
            error = parse_elems(c, json_array_get(j, 1), symtab, elems);
        }
    } else if (is_tagged(j, "set", 2)) {
        if (!json_is_array(json_array_get(j, 1))) {
            error = ov_error("syntax error", "column %s: expected [\"set\", "
                             "[...]]", c->name);
        } else {
            error = parse_elems(c, json_array_get(j, 1), symtab, elems);
        }
    } else {
        json_t *a = NULL;

        error = parse_atom(&c->key, j, symtab, &a);
        if (error && !strncmp(json_string_value(json_object_get(
                                  error, "details")), "expected", 8)) {
            /* Name the column when the value has the wrong shape. */
            json_decref(error);
            error = ov_error("syntax error", "column %s: expected %s",
                             c->name, type_name(c->key.type));
        }
        if (a) {
            json_array_append_new(elems, a);
        }
    }
    if (!error && sort_elems(elems, c->is_map)) {
        error = ov_error("constraint violation", "column %s: %s contains "
                         "duplicates", c->name, c->is_map ? "map" : "set");
    }
    if (error) {
        json_decref(elems);
        return error;
    }
    *out = ov_datum_from_elems(c, elems);
    if (!relaxed && (error = ov_datum_check_count(c, *out))) {
        json_decref(*out);
        *out = NULL;
    }
    return error;
}

static json_t *
default_atom(const struct ov_base *b)
{
    static const char zero[] = "00000000-0000-0000-0000-000000000000";

    if (b->enums && json_array_size(b->enums)) {
        return json_incref(json_array_get(b->enums, 0));
    }
    switch (b->type) {
    case OV_INTEGER: return json_integer(0);
    case OV_REAL: return json_real(0);
    case OV_BOOLEAN: return json_false();
    case OV_STRING: return json_string("");
    case OV_UUID: return ov_uuid_atom(zero);
    }
    return json_null();
}

json_t *
ov_datum_default(const struct ov_column *c)
{
    if (is_scalar(c)) {
        return default_atom(&c->key);
    }
    return json_pack("[s,[]]", c->is_map ? "map" : "set");
}

bool
ov_datum_is_default(const struct ov_column *c, const json_t *d)
{
    json_t *def = ov_datum_default(c);
    bool eq = json_equal(def, d);

    json_decref(def);
    return eq;
}

json_t *
ov_elems(const struct ov_column *c, const json_t *d)
{
    if (is_scalar(c)) {
        return json_pack("[O]", d);
    }
    return json_array_get(d, 1);
}

void
ov_elems_release(const struct ov_column *c, json_t *elems)
{
    if (is_scalar(c)) {
        json_decref(elems);
    }
}

static bool
elems_has(const json_t *elems, const json_t *x)
{
    size_t i;
    json_t *e;

    json_array_foreach (elems, i, e) {
        if (json_equal(e, x)) {
            return true;
        }
    }
    return false;
}

/* The pair of map 'elems' with key 'key', or NULL. */
static json_t *
map_lookup(const json_t *elems, const json_t *key)
{
    size_t i;
    json_t *e;

    json_array_foreach (elems, i, e) {
        if (json_equal(json_array_get(e, 0), key)) {
            return e;
        }
    }
    return NULL;
}

json_t *
ov_datum_diff(const struct ov_column *c, const json_t *old, const json_t *new)
{
    json_t *a, *b, *out, *e;
    size_t i;

    if (is_scalar(c)) {
        return json_incref((json_t *) new);
    }
    a = json_array_get(old, 1);
    b = json_array_get(new, 1);
    out = json_array();
    json_array_foreach (a, i, e) {
        if (c->is_map) {
            json_t *nb = map_lookup(b, json_array_get(e, 0));

            if (!nb) {
                json_array_append(out, e);
            } else if (!json_equal(nb, e)) {
                json_array_append(out, nb);
            }
        } else if (!elems_has(b, e)) {
            json_array_append(out, e);
        }
    }
    json_array_foreach (b, i, e) {
        if (c->is_map ? !map_lookup(a, json_array_get(e, 0))
                      : !elems_has(a, e)) {
            json_array_append(out, e);
        }
    }
    sort_elems(out, false);
    return json_pack("[s,o]", c->is_map ? "map" : "set", out);
}

/* ---- Rows. ---- */

json_t *
ov_row_get(const json_t *row, const char *uuid, const char *col)
{
    if (!strcmp(col, "_uuid")) {
        return ov_uuid_atom(uuid);
    }
    if (!strcmp(col, "_version")) {
        char *text = json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS);
        char buf[37];

        ov_uuid_hash(uuid, text ? text : "", buf);
        free(text);
        return ov_uuid_atom(buf);
    }
    return json_incref(json_object_get(row, col));
}

json_t *
ov_row_default(const struct ov_table *t)
{
    json_t *row = json_object();

    for (size_t i = 0; i < t->n_columns; i++) {
        json_object_set_new(row, t->columns[i].name,
                            ov_datum_default(&t->columns[i]));
    }
    return row;
}

/* ---- Conditions. ---- */

static const char *const functions[] = {
    "<", "<=", "==", "!=", ">=", ">", "includes", "excludes", NULL
};

static json_t *
parse_clause(const struct ov_table *t, const json_t *cl, const json_t *symtab,
             json_t **out)
{
    const char *cname = json_string_value(json_array_get(cl, 0));
    const char *fn = json_string_value(json_array_get(cl, 1));
    const struct ov_column *c;
    json_t *d = NULL, *error;
    size_t i;

    if (json_is_boolean(cl)) {
        *out = json_incref((json_t *) cl);
        return NULL;
    }
    if (!json_is_array(cl) || json_array_size(cl) != 3 || !cname || !fn) {
        return ov_error("syntax error", "a condition must be [COLUMN, "
                        "FUNCTION, VALUE]");
    }
    c = ov_table_column(t, cname);
    if (!c) {
        return ov_error("syntax error", "No column %s in table %s.", cname,
                        t->name);
    }
    for (i = 0; functions[i] && strcmp(functions[i], fn); i++) {
        continue;
    }
    if (!functions[i]) {
        return ov_error("syntax error", "unknown function \"%s\"", fn);
    }
    if (i < 6 && i != 2 && i != 3
        && (!is_scalar(c) || (c->key.type != OV_INTEGER
                              && c->key.type != OV_REAL))) {
        return ov_error("syntax error", "Type mismatch: \"%s\" operator may "
                        "not be used with column %s", fn, cname);
    }
    error = ov_datum_parse(c, json_array_get(cl, 2), symtab, i >= 6, &d);
    if (error) {
        return error;
    }
    *out = json_pack("[s,s,o]", cname, fn, d);
    return NULL;
}

json_t *
ov_where_parse(const struct ov_table *t, const json_t *j,
               const json_t *symtab, json_t **out)
{
    json_t *cl;
    size_t i;

    *out = NULL;
    if (!j) {
        *out = json_array();
        return NULL;
    }
    if (!json_is_array(j)) {
        return ov_error("syntax error", "\"where\" must be an array of "
                        "conditions");
    }
    *out = json_array();
    json_array_foreach (j, i, cl) {
        json_t *p = NULL, *error = parse_clause(t, cl, symtab, &p);

        if (error) {
            json_decref(*out);
            *out = NULL;
            return error;
        }
        json_array_append_new(*out, p);
    }
    return NULL;
}

static bool
clause_eval(const struct ov_table *t, const json_t *cl, const char *uuid,
            const json_t *row)
{
    const char *fn = json_string_value(json_array_get(cl, 1));
    const struct ov_column *c;
    json_t *v, *arg = json_array_get(cl, 2), *ve, *ae, *e;
    bool result = true;
    size_t i;

    if (json_is_boolean(cl)) {
        return json_is_true(cl);
    }
    c = ov_table_column(t, json_string_value(json_array_get(cl, 0)));
    v = ov_row_get(row, uuid, c->name);
    if (!strcmp(fn, "==") || !strcmp(fn, "!=")) {
        result = json_equal(v, arg) == !strcmp(fn, "==");
    } else if (!strcmp(fn, "includes") || !strcmp(fn, "excludes")) {
        bool inc = !strcmp(fn, "includes");

        ve = ov_elems(c, v);
        ae = ov_elems(c, arg);
        json_array_foreach (ae, i, e) {
            if (elems_has(ve, e) != inc) {
                result = false;
            }
        }
        ov_elems_release(c, ve);
        ov_elems_release(c, ae);
    } else {
        double x = json_number_value(v), y = json_number_value(arg);

        result = (!strcmp(fn, "<") ? x < y : !strcmp(fn, "<=") ? x <= y
                  : !strcmp(fn, ">=") ? x >= y : x > y);
    }
    json_decref(v);
    return result;
}

bool
ov_where_eval(const struct ov_table *t, const json_t *where,
              const char *uuid, const json_t *row)
{
    json_t *cl;
    size_t i;

    json_array_foreach (where, i, cl) {
        if (!clause_eval(t, cl, uuid, row)) {
            return false;
        }
    }
    return true;
}

/* ---- Mutations. ---- */

static json_t *
arith(const struct ov_base *b, const char *op, const json_t *x,
      const json_t *y, json_t **out)
{
    *out = NULL;
    if (b->type == OV_INTEGER) {
        json_int_t a = json_integer_value(x), c = json_integer_value(y), r;

        if ((op[0] == '/' || op[0] == '%') && !c) {
            return ov_error("domain error", "division by zero");
        }
        if ((op[0] == '+' && __builtin_add_overflow(a, c, &r))
            || (op[0] == '-' && __builtin_sub_overflow(a, c, &r))
            || (op[0] == '*' && __builtin_mul_overflow(a, c, &r))) {
            return ov_error("range error", "result of %s overflows", op);
        }
        r = op[0] == '+' ? a + c : op[0] == '-' ? a - c : op[0] == '*'
            ? a * c : op[0] == '/' ? a / c : a % c;
        if (r < b->min_int || r > b->max_int) {
            return ov_error("constraint violation", "%"PRId64" is not in "
                            "the valid range %"PRId64" to %"PRId64
                            " (inclusive)", (int64_t) r, b->min_int,
                            b->max_int);
        }
        *out = json_integer(r);
    } else if (b->type == OV_REAL && op[0] != '%') {
        double a = json_number_value(x), c = json_number_value(y);
        double r = op[0] == '+' ? a + c : op[0] == '-' ? a - c
                   : op[0] == '*' ? a * c : a / c;

        if (!isfinite(r)) {
            return ov_error("range error", "result of %s is not finite", op);
        }
        *out = json_real(r);
    } else {
        return ov_error("syntax error", "Type mismatch: \"%s\" may not be "
                        "used with %s", op, type_name(b->type));
    }
    return NULL;
}

static json_t *
mutate_arith(const struct ov_column *c, const char *op, const json_t *argj,
             json_t **d)
{
    struct ov_column one = *c;
    json_t *arg = NULL, *elems, *out = json_array(), *e, *error;
    size_t i;

    one.min = one.max = 1;
    one.is_map = false;
    if (c->is_map) {
        json_decref(out);
        return ov_error("syntax error", "Type mismatch: \"%s\" may not be "
                        "used with map column %s", op, c->name);
    }
    one.key.enums = NULL;
    one.key.min_int = INT64_MIN;
    one.key.max_int = INT64_MAX;
    error = ov_datum_parse(&one, argj, NULL, false, &arg);
    elems = error ? NULL : ov_elems(c, *d);
    json_array_foreach (elems, i, e) {
        json_t *r;

        if ((error = arith(&c->key, op, e, arg, &r))) {
            break;
        }
        json_array_append_new(out, r);
    }
    if (elems) {
        ov_elems_release(c, elems);
    }
    json_decref(arg);
    if (!error && sort_elems(out, false)) {
        error = ov_error("constraint violation", "column %s: mutation made "
                         "set elements equal", c->name);
    }
    if (error) {
        json_decref(out);
        return error;
    }
    json_decref(*d);
    *d = ov_datum_from_elems(c, out);
    return NULL;
}

static json_t *
mutate_set(const struct ov_column *c, bool insert, const json_t *argj,
           const json_t *symtab, json_t **d)
{
    json_t *arg = NULL, *out, *e, *error;
    struct ov_column keys = *c;
    bool by_key = false;
    size_t i;

    if (is_scalar(c)) {
        return ov_error("syntax error", "Type mismatch: \"%s\" may not be "
                        "used with scalar column %s",
                        insert ? "insert" : "delete", c->name);
    }
    error = ov_datum_parse(c, argj, symtab, true, &arg);
    if (error && c->is_map && !insert) {
        /* "delete" from a map also takes a set of keys. */
        json_decref(error);
        keys.is_map = false;
        keys.min = 0;
        keys.max = OV_UNLIMITED;
        by_key = true;
        error = ov_datum_parse(&keys, argj, symtab, true, &arg);
    }
    if (error) {
        return error;
    }
    out = json_copy(json_array_get(*d, 1));
    json_array_foreach (json_array_get(arg, 1), i, e) {
        json_t *cur = (by_key ? map_lookup(out, e)
                       : c->is_map ? map_lookup(out, json_array_get(e, 0))
                       : elems_has(out, e) ? e : NULL);

        if (insert && !cur) {
            json_array_append(out, e);
        } else if (!insert && cur && (by_key || json_equal(cur, e))) {
            for (size_t k = 0; k < json_array_size(out); k++) {
                if (json_equal(json_array_get(out, k), cur)) {
                    json_array_remove(out, k);
                    break;
                }
            }
        }
    }
    json_decref(arg);
    sort_elems(out, c->is_map);
    json_decref(*d);
    *d = json_pack("[s,o]", c->is_map ? "map" : "set", out);
    return NULL;
}

static json_t *
mutate_one(const struct ov_table *t, const json_t *m, const json_t *symtab,
           json_t *row)
{
    const char *cname = json_string_value(json_array_get(m, 0));
    const char *op = json_string_value(json_array_get(m, 1));
    const struct ov_column *c;
    json_t *d, *error;

    if (!json_is_array(m) || json_array_size(m) != 3 || !cname || !op) {
        return ov_error("syntax error", "a mutation must be [COLUMN, "
                        "MUTATOR, VALUE]");
    }
    c = ov_table_column(t, cname);
    if (!c) {
        return ov_error("syntax error", "No column %s in table %s.", cname,
                        t->name);
    }
    if (c == ov_uuid_column() || !c->mutable_) {
        return ov_error("constraint violation", "Cannot mutate immutable "
                        "column %s in table %s.", cname, t->name);
    }
    d = json_incref(json_object_get(row, cname));
    if (!strcmp(op, "insert") || !strcmp(op, "delete")) {
        error = mutate_set(c, op[0] == 'i', json_array_get(m, 2), symtab, &d);
    } else if (strlen(op) == 2 && op[1] == '=' && strchr("+-*/%", op[0])) {
        error = mutate_arith(c, op, json_array_get(m, 2), &d);
    } else {
        error = ov_error("syntax error", "unknown mutator \"%s\"", op);
    }
    if (!error && !is_scalar(c)) {
        error = ov_datum_check_count(c, d);
    }
    if (!error) {
        json_object_set(row, cname, d);
    }
    json_decref(d);
    return error;
}

json_t *
ov_mutate_row(const struct ov_table *t, const json_t *j, const json_t *symtab,
              json_t *row)
{
    json_t *m;
    size_t i;

    if (!json_is_array(j)) {
        return ov_error("syntax error", "\"mutations\" must be an array");
    }
    json_array_foreach (j, i, m) {
        json_t *error = mutate_one(t, m, symtab, row);

        if (error) {
            return error;
        }
    }
    return NULL;
}

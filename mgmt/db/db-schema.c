/*
 * db-schema.c - the configuration database's column table and its values.
 *
 * Declares the three tables (Bridge, Port, Interface) as data: each
 * column's type, range, allowed values and known map keys.  Everything
 * that validates, parses or prints a value is driven by that table: the
 * ovs-vsctl syntax ("trunks=[10,20]", "other_config:max-idle=5000"), the
 * journal's JSON form, and the OVSDB JSON of 'ovs-vsctl --format=json'.
 *
 * Pure functions over 'struct ft_db_datum'; no I/O, no state.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flowtier/util.h"

#include "mgmt/db/db-private.h"

/* ---- The column table. ---- */

static const char *const fail_modes[] = { "secure", "standalone", NULL };
static const char *const vlan_modes[] = {
    "access", "native-tagged", "native-untagged", "trunk", NULL
};
static const char *const datapath_types[] = { "netdev", "system", NULL };
static const char *const iface_types[] = {
    "afxdp", "dpdk", "internal", "system", "tap", "vxlan", NULL
};

/* What mgmt/bridge/bridge.c and mgmt/daemon/server.c read. */
#define INT_KEY(KEY, MIN, MAX) \
    { .key = KEY, .min = MIN, .max = MAX, .type = FT_DB_KEY_INT }
#define STRING_KEY(KEY) { .key = KEY, .type = FT_DB_KEY_STRING }

static const struct ft_db_key_rule bridge_other_config_keys[] = {
    STRING_KEY("dpdk-extra"),
    INT_KEY("flow-limit", 0, UINT32_MAX),
    STRING_KEY("hw-offload"),
    { .key = "mac-aging-time", .min = 1, .max = UINT32_MAX,
      .type = FT_DB_KEY_INT, .write_only = true },
    INT_KEY("mac-table-size", 1, UINT32_MAX),
    INT_KEY("max-idle", 500, INT32_MAX),
    { .key = "pmd-cpu", .min = 0, .max = 1023, .type = FT_DB_KEY_INT,
      .write_only = true },
    STRING_KEY("pmd-cpu-mask"),
    STRING_KEY("tc-policy"),
    STRING_KEY("tier-order"),
    { .key = NULL },
};

static const struct ft_db_key_rule iface_other_config_keys[] = {
    STRING_KEY("hw-offload"),
    STRING_KEY("tc-policy"),
    STRING_KEY("tier-order"),
    { .key = NULL },
};

static const struct ft_db_column bridge_columns[] = {
    { .name = "name", .type = FT_DB_STRING, .read_only = true },
    { .name = "controller", .type = FT_DB_LIST },
    { .name = "datapath_type", .type = FT_DB_ENUM, .optional = true,
      .enum_values = datapath_types },
    { .name = "external_ids", .type = FT_DB_MAP },
    { .name = "fail_mode", .type = FT_DB_ENUM, .optional = true,
      .enum_values = fail_modes },
    { .name = "flows", .type = FT_DB_LIST },
    { .name = "flows_persist", .type = FT_DB_BOOL,
      .default_value = "true" },
    { .name = "other_config", .type = FT_DB_MAP,
      .key_rules = bridge_other_config_keys, .closed_keys = true },
    { .name = "ports", .type = FT_DB_LIST, .is_ref = true,
      .ref_table = FT_DB_PORT },
};

static const struct ft_db_column port_columns[] = {
    { .name = "name", .type = FT_DB_STRING, .read_only = true },
    { .name = "external_ids", .type = FT_DB_MAP },
    { .name = "interfaces", .type = FT_DB_LIST, .is_ref = true,
      .ref_table = FT_DB_INTERFACE },
    { .name = "tag", .type = FT_DB_INT, .optional = true,
      .min = 0, .max = 4095 },
    { .name = "trunks", .type = FT_DB_INT_SET, .min = 0, .max = 4095 },
    { .name = "vlan_mode", .type = FT_DB_ENUM, .optional = true,
      .enum_values = vlan_modes },
};

static const struct ft_db_column iface_columns[] = {
    { .name = "name", .type = FT_DB_STRING, .read_only = true },
    /* Status, not configuration: the daemon shows in it why it could not
     * open the interface; the database keeps it empty. */
    { .name = "error", .type = FT_DB_STRING, .optional = true,
      .read_only = true },
    { .name = "external_ids", .type = FT_DB_MAP },
    { .name = "ofport", .type = FT_DB_INT, .optional = true,
      .read_only = true, .min = 1, .max = 65534 },
    { .name = "ofport_request", .type = FT_DB_INT, .optional = true,
      .min = 1, .max = 65279 },
    { .name = "options", .type = FT_DB_MAP },
    { .name = "other_config", .type = FT_DB_MAP,
      .key_rules = iface_other_config_keys, .closed_keys = true },
    { .name = "type", .type = FT_DB_ENUM, .enum_values = iface_types,
      .default_value = "system" },
};

#define N_ELEMS(ARRAY) (sizeof (ARRAY) / sizeof (ARRAY)[0])

static const struct ft_db_table_schema schemas[FT_DB_N_TABLES] = {
    [FT_DB_BRIDGE] = { "Bridge", bridge_columns, N_ELEMS(bridge_columns) },
    [FT_DB_PORT] = { "Port", port_columns, N_ELEMS(port_columns) },
    [FT_DB_INTERFACE] = { "Interface", iface_columns,
                          N_ELEMS(iface_columns) },
};

const struct ft_db_table_schema *
ft_db_schema(enum ft_db_table table)
{
    return &schemas[table];
}

int
ft_db_table_from_name(const char *name, enum ft_db_table *table,
                      struct ft_error *err)
{
    for (int i = 0; i < FT_DB_N_TABLES; i++) {
        if (!strcasecmp(name, schemas[i].name)) {
            *table = i;
            return 0;
        }
    }
    return ft_error_set(err, -EINVAL, "unknown table \"%s\"", name);
}

/* Column names compare with '-' and '_' alike ("external-ids"). */
static bool
column_name_equal(const char *a, const char *b)
{
    for (;; a++, b++) {
        char ca = *a == '-' ? '_' : *a;
        char cb = *b == '-' ? '_' : *b;

        if (ca != cb) {
            return false;
        } else if (!ca) {
            return true;
        }
    }
}

const struct ft_db_column *
db_column_find(enum ft_db_table table, const char *name, size_t *idx)
{
    const struct ft_db_table_schema *ts = &schemas[table];

    for (size_t i = 0; i < ts->n_columns; i++) {
        if (column_name_equal(ts->columns[i].name, name)) {
            if (idx) {
                *idx = i;
            }
            return &ts->columns[i];
        }
    }
    return NULL;
}

/* ---- Datum basics. ---- */

void
db_datum_init(struct ft_db_datum *d)
{
    memset(d, 0, sizeof *d);
}

void
db_datum_init_default(struct ft_db_datum *d, const struct ft_db_column *col)
{
    db_datum_init(d);
    switch (col->type) {
    case FT_DB_STRING:
        if (!col->optional) {
            d->present = true;
            d->s = ft_xstrdup(col->default_value ? col->default_value : "");
        }
        break;
    case FT_DB_ENUM:
        if (col->default_value) {
            d->present = true;
            d->s = ft_xstrdup(col->default_value);
        }
        break;
    case FT_DB_INT:
        if (!col->optional) {
            d->present = true;
            d->i = col->default_value ? strtoll(col->default_value, NULL, 10)
                                      : col->min;
        }
        break;
    case FT_DB_BOOL:
        d->present = true;
        d->b = col->default_value && !strcmp(col->default_value, "true");
        break;
    case FT_DB_MAP:
    case FT_DB_INT_SET:
    case FT_DB_LIST:
        d->present = true;
        break;
    }
}

void
db_datum_destroy(struct ft_db_datum *d)
{
    for (size_t i = 0; i < d->n; i++) {
        if (d->strs) {
            free(d->strs[i]);
        }
        if (d->values) {
            free(d->values[i]);
        }
    }
    free(d->s);
    free(d->strs);
    free(d->values);
    free(d->ints);
    db_datum_init(d);
}

void
db_datum_clone(struct ft_db_datum *dst, const struct ft_db_datum *src)
{
    *dst = *src;
    dst->s = src->s ? ft_xstrdup(src->s) : NULL;
    dst->allocated = src->n;
    dst->strs = NULL;
    dst->values = NULL;
    dst->ints = NULL;
    if (src->strs) {
        dst->strs = ft_xrealloc(NULL, src->n * sizeof *dst->strs);
        for (size_t i = 0; i < src->n; i++) {
            dst->strs[i] = ft_xstrdup(src->strs[i]);
        }
    }
    if (src->values) {
        dst->values = ft_xrealloc(NULL, src->n * sizeof *dst->values);
        for (size_t i = 0; i < src->n; i++) {
            dst->values[i] = ft_xstrdup(src->values[i]);
        }
    }
    if (src->ints) {
        dst->ints = ft_xrealloc(NULL, src->n * sizeof *dst->ints);
        memcpy(dst->ints, src->ints, src->n * sizeof *dst->ints);
    }
}

void
db_datum_swap(struct ft_db_datum *a, struct ft_db_datum *b)
{
    struct ft_db_datum tmp = *a;

    *a = *b;
    *b = tmp;
}

bool
db_datum_equal(const struct ft_db_datum *a, const struct ft_db_datum *b,
               const struct ft_db_column *col)
{
    switch (col->type) {
    case FT_DB_STRING:
    case FT_DB_ENUM:
        return a->present == b->present
               && (!a->present || !strcmp(a->s, b->s));
    case FT_DB_INT:
        return a->present == b->present && (!a->present || a->i == b->i);
    case FT_DB_BOOL:
        return a->b == b->b;
    case FT_DB_MAP:
    case FT_DB_LIST:
        if (a->n != b->n) {
            return false;
        }
        for (size_t i = 0; i < a->n; i++) {
            if (strcmp(a->strs[i], b->strs[i])
                || (col->type == FT_DB_MAP
                    && strcmp(a->values[i], b->values[i]))) {
                return false;
            }
        }
        return true;
    case FT_DB_INT_SET:
        return a->n == b->n
               && (!a->n || !memcmp(a->ints, b->ints,
                                    a->n * sizeof *a->ints));
    }
    return false;
}

/* ---- Collections. ---- */

static void
datum_reserve(struct ft_db_datum *d, enum ft_db_type type)
{
    if (d->n < d->allocated) {
        return;
    }
    d->allocated = d->allocated ? d->allocated * 2 : 4;
    if (type == FT_DB_INT_SET) {
        d->ints = ft_xrealloc(d->ints, d->allocated * sizeof *d->ints);
    } else {
        d->strs = ft_xrealloc(d->strs, d->allocated * sizeof *d->strs);
        if (type == FT_DB_MAP) {
            d->values = ft_xrealloc(d->values,
                                 d->allocated * sizeof *d->values);
        }
    }
}

static const char *
datum_str(const void *d, size_t i)
{
    return ((const struct ft_db_datum *) d)->strs[i];
}

bool
db_map_find(const struct ft_db_datum *d, const char *key, size_t *idx)
{
    return ft_sorted_find(key, d->n, datum_str, d, idx);
}

void
db_map_insert(struct ft_db_datum *d, size_t idx, char *key, char *value)
{
    datum_reserve(d, FT_DB_MAP);
    memmove(&d->strs[idx + 1], &d->strs[idx],
            (d->n - idx) * sizeof *d->strs);
    memmove(&d->values[idx + 1], &d->values[idx],
            (d->n - idx) * sizeof *d->values);
    d->strs[idx] = key;
    d->values[idx] = value;
    d->n++;
}

void
db_map_remove(struct ft_db_datum *d, size_t idx)
{
    free(d->strs[idx]);
    free(d->values[idx]);
    d->n--;
    memmove(&d->strs[idx], &d->strs[idx + 1],
            (d->n - idx) * sizeof *d->strs);
    memmove(&d->values[idx], &d->values[idx + 1],
            (d->n - idx) * sizeof *d->values);
}

bool
db_set_find(const struct ft_db_datum *d, int64_t x, size_t *idx)
{
    size_t lo = 0, hi = d->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (x == d->ints[mid]) {
            *idx = mid;
            return true;
        } else if (x < d->ints[mid]) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    *idx = lo;
    return false;
}

void
db_set_insert(struct ft_db_datum *d, size_t idx, int64_t x)
{
    datum_reserve(d, FT_DB_INT_SET);
    memmove(&d->ints[idx + 1], &d->ints[idx],
            (d->n - idx) * sizeof *d->ints);
    d->ints[idx] = x;
    d->n++;
}

void
db_set_remove(struct ft_db_datum *d, size_t idx)
{
    d->n--;
    memmove(&d->ints[idx], &d->ints[idx + 1],
            (d->n - idx) * sizeof *d->ints);
}

void
db_list_insert(struct ft_db_datum *d, size_t idx, char *s)
{
    datum_reserve(d, FT_DB_LIST);
    memmove(&d->strs[idx + 1], &d->strs[idx],
            (d->n - idx) * sizeof *d->strs);
    d->strs[idx] = s;
    d->n++;
}

void
db_list_remove(struct ft_db_datum *d, size_t idx)
{
    free(d->strs[idx]);
    d->n--;
    memmove(&d->strs[idx], &d->strs[idx + 1],
            (d->n - idx) * sizeof *d->strs);
}

/* ---- Validation. ---- */

static int
check_string(const char *s, struct ft_error *err)
{
    json_t *j = json_string(s);

    if (!j) {
        return ft_error_set(err, -EINVAL, "string is not valid UTF-8");
    }
    json_decref(j);
    return 0;
}

static int
check_int(const struct ft_db_column *col, int64_t x, struct ft_error *err)
{
    if (x < col->min || x > col->max) {
        return ft_error_set(err, -EINVAL, "%"PRId64" is not in the valid "
                            "range %"PRId64" to %"PRId64" (inclusive)",
                            x, col->min, col->max);
    }
    return 0;
}

static int
check_enum(const struct ft_db_column *col, const char *s,
           struct ft_error *err)
{
    struct ds allowed = DS_EMPTY_INITIALIZER;

    for (const char *const *v = col->enum_values; *v; v++) {
        if (!strcmp(*v, s)) {
            return 0;
        }
    }
    for (const char *const *v = col->enum_values; *v; v++) {
        ds_put_format(&allowed, "%s%s", v == col->enum_values ? "" : ", ",
                      *v);
    }
    ft_error_set(err, -EINVAL, "%s is not one of the allowed values ([%s])",
                 s, ds_cstr(&allowed));
    ds_destroy(&allowed);
    return -EINVAL;
}

static int
parse_int(const char *text, int64_t *out)
{
    char *end;
    long long x;

    if (!*text || isspace((unsigned char) *text)) {
        return -EINVAL;
    }
    errno = 0;
    x = strtoll(text, &end, 10);
    if (errno || *end) {
        return -EINVAL;
    }
    *out = x;
    return 0;
}

/* Checks 'value' of integer key rule 'r'. */
static int
check_int_key(const struct ft_db_key_rule *r, const char *value,
              struct ft_error *err)
{
    int64_t x;

    if (parse_int(value, &x)) {
        return ft_error_set(err, -EINVAL, "key %s: \"%s\" is not a valid "
                            "integer", r->key, value);
    }
    if (x < r->min || x > r->max) {
        return ft_error_set(err, -EINVAL, "key %s: %"PRId64" is not in "
                            "the valid range %"PRId64" to %"PRId64
                            " (inclusive)", r->key, x, r->min, r->max);
    }
    return 0;
}

int
db_map_value_check(const struct ft_db_column *col, const char *key,
                   const char *value, struct ft_error *err)
{
    int error = check_string(key, err);

    if (!error) {
        error = check_string(value, err);
    }
    if (error || !col->key_rules) {
        return error;
    }
    for (const struct ft_db_key_rule *r = col->key_rules; r->key; r++) {
        if (!strcmp(r->key, key) && r->type == FT_DB_KEY_INT
            && !r->write_only) {
            return check_int_key(r, value, err);
        }
    }
    return 0;
}

/* Appends the known keys of 'col' to 'ds', comma-separated. */
static void
known_keys(const struct ft_db_column *col, struct ds *ds)
{
    for (const struct ft_db_key_rule *r = col->key_rules; r->key; r++) {
        ds_put_format(ds, "%s%s", r == col->key_rules ? "" : ", ", r->key);
    }
}

int
db_map_key_check(const struct ft_db_column *col, const char *key,
                 const char *value, struct ft_error *err)
{
    const struct ft_db_key_rule *r;

    for (r = col->key_rules; r && r->key; r++) {
        if (!strcmp(r->key, key)) {
            break;
        }
    }
    if (!r || !r->key) {
        struct ds ds = DS_EMPTY_INITIALIZER;
        int error = 0;

        if (col->closed_keys) {
            known_keys(col, &ds);
            error = ft_error_set(err, -EINVAL, "unknown key \"%s\" (known "
                                 "keys: %s; free-form data goes in "
                                 "external_ids)", key, ds_cstr(&ds));
        }
        ds_destroy(&ds);
        return error;
    }
    return r->type == FT_DB_KEY_INT ? check_int_key(r, value, err) : 0;
}

int
db_datum_check(const struct ft_db_column *col, const struct ft_db_datum *d,
               struct ft_error *err)
{
    int error = 0;

    switch (col->type) {
    case FT_DB_STRING:
    case FT_DB_ENUM:
        if (!d->present) {
            return col->optional ? 0 : ft_error_set(err, -EINVAL,
                                                    "value may not be empty");
        }
        error = check_string(d->s, err);
        if (!error && col->type == FT_DB_ENUM) {
            error = check_enum(col, d->s, err);
        }
        return error;
    case FT_DB_INT:
        if (!d->present) {
            return col->optional ? 0 : ft_error_set(err, -EINVAL,
                                                    "value may not be empty");
        }
        return check_int(col, d->i, err);
    case FT_DB_BOOL:
        return 0;
    case FT_DB_MAP:
        for (size_t i = 0; !error && i < d->n; i++) {
            error = db_map_value_check(col, d->strs[i], d->values[i], err);
        }
        return error;
    case FT_DB_INT_SET:
        for (size_t i = 0; !error && i < d->n; i++) {
            error = check_int(col, d->ints[i], err);
        }
        return error;
    case FT_DB_LIST:
        for (size_t i = 0; !error && i < d->n; i++) {
            error = check_string(d->strs[i], err);
        }
        return error;
    }
    return 0;
}

/* ---- ovs-vsctl syntax: parsing. ---- */

static const char *
skip_space(const char *p)
{
    while (isspace((unsigned char) *p)) {
        p++;
    }
    return p;
}

/* Reads one atom at '*pp': a double-quoted string with JSON escapes, or a
 * run of characters up to whitespace or one of 'stops'.  Stores a new
 * string in '*out' and advances '*pp'. */
static int
lex_atom(const char **pp, const char *stops, char **out,
         struct ft_error *err)
{
    const char *p = *pp;
    const char *start = p;

    if (*p == '"') {
        json_error_t jerr;
        json_t *j;

        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1]) {
                p++;
            }
        }
        if (*p != '"') {
            return ft_error_set(err, -EINVAL, "%s: missing closing quote",
                                start);
        }
        p++;
        j = json_loadb(start, p - start, JSON_DECODE_ANY, &jerr);
        if (!j || !json_is_string(j)) {
            json_decref(j);
            return ft_error_set(err, -EINVAL, "%.*s: bad quoted string (%s)",
                                (int) (p - start), start, jerr.text);
        }
        *out = ft_xstrdup(json_string_value(j));
        json_decref(j);
    } else {
        while (*p && !isspace((unsigned char) *p) && !strchr(stops, *p)) {
            p++;
        }
        if (p == start) {
            return ft_error_set(err, -EINVAL, "missing value at \"%s\"",
                                start);
        }
        *out = ft_xrealloc(NULL, p - start + 1);
        memcpy(*out, start, p - start);
        (*out)[p - start] = '\0';
    }
    *pp = p;
    return 0;
}

int
db_atom_parse_string(const char *text, char **out, struct ft_error *err)
{
    const char *p = text;
    int error;

    if (*text != '"') {
        *out = ft_xstrdup(text);
        return check_string(*out, err);
    }
    error = lex_atom(&p, "", out, err);
    if (!error && *skip_space(p)) {
        free(*out);
        *out = NULL;
        return ft_error_set(err, -EINVAL, "%s: text after closing quote",
                            text);
    }
    return error ? error : check_string(*out, err);
}

int
db_atom_parse_int(const struct ft_db_column *col, const char *text,
                  int64_t *out, struct ft_error *err)
{
    if (parse_int(text, out)) {
        return ft_error_set(err, -EINVAL, "\"%s\" is not a valid integer",
                            text);
    }
    return check_int(col, *out, err);
}

static int
parse_collection(const struct ft_db_column *col, const char *text,
                 struct ft_db_datum *d, struct ft_error *err)
{
    bool is_map = col->type == FT_DB_MAP;
    char open = is_map ? '{' : '[', close = is_map ? '}' : ']';
    const char *p = skip_space(text);
    bool bracketed = *p == open;
    int error = 0;

    if (bracketed) {
        p = skip_space(p + 1);
    }
    while (*p && *p != close) {
        char *key = NULL, *value = NULL;
        size_t idx;

        error = lex_atom(&p, is_map ? ",={}[]" : ",[]{}", &key, err);
        if (error) {
            break;
        }
        p = skip_space(p);
        if (is_map) {
            if (*p != '=') {
                error = ft_error_set(err, -EINVAL, "%s: map element \"%s\" "
                                     "lacks \"=VALUE\"", text, key);
                free(key);
                break;
            }
            p = skip_space(p + 1);
            error = lex_atom(&p, ",={}[]", &value, err);
            if (error) {
                free(key);
                break;
            }
            if (db_map_find(d, key, &idx)) {
                free(d->values[idx]);
                d->values[idx] = value;
                free(key);
            } else {
                db_map_insert(d, idx, key, value);
            }
        } else if (col->type == FT_DB_INT_SET) {
            int64_t x;

            error = db_atom_parse_int(col, key, &x, err);
            free(key);
            if (error) {
                break;
            }
            if (!db_set_find(d, x, &idx)) {
                db_set_insert(d, idx, x);
            }
        } else {
            db_list_insert(d, d->n, key);
        }
        p = skip_space(p);
        if (*p == ',') {
            p = skip_space(p + 1);
        } else if (*p && *p != close) {
            error = ft_error_set(err, -EINVAL, "%s: expected \",\" at \"%s\"",
                                 text, p);
            break;
        }
    }
    if (!error) {
        if (bracketed != (*p == close)) {
            error = ft_error_set(err, -EINVAL, "%s: unbalanced \"%c\"", text,
                                 bracketed ? open : close);
        } else if (bracketed && *skip_space(p + 1)) {
            error = ft_error_set(err, -EINVAL, "%s: text after \"%c\"", text,
                                 close);
        }
    }
    return error;
}

int
db_datum_parse(const struct ft_db_column *col, const char *text,
               struct ft_db_datum *d, struct ft_error *err)
{
    int error = 0;

    db_datum_init(d);
    d->present = true;
    if (col->optional && !strcmp(text, "[]")) {
        d->present = false;
        return 0;
    }
    switch (col->type) {
    case FT_DB_STRING:
    case FT_DB_ENUM:
        error = db_atom_parse_string(text, &d->s, err);
        break;
    case FT_DB_INT:
        error = db_atom_parse_int(col, text, &d->i, err);
        break;
    case FT_DB_BOOL:
        if (!strcmp(text, "true")) {
            d->b = true;
        } else if (strcmp(text, "false")) {
            error = ft_error_set(err, -EINVAL, "\"%s\" is not a valid boolean "
                                 "(use \"true\" or \"false\")", text);
        }
        break;
    case FT_DB_MAP:
    case FT_DB_INT_SET:
    case FT_DB_LIST:
        error = parse_collection(col, text, d, err);
        break;
    }
    if (!error) {
        error = db_datum_check(col, d, err);
    }
    if (error) {
        db_datum_destroy(d);
    }
    return error;
}

/* ---- ovs-vsctl syntax: printing. ---- */

static bool
string_needs_quotes(const char *s)
{
    if (!isalpha((unsigned char) *s) && *s != '_') {
        return true;
    }
    for (const char *p = s; *p; p++) {
        if (!isalnum((unsigned char) *p) && !strchr("_-.", *p)) {
            return true;
        }
    }
    return !strcmp(s, "true") || !strcmp(s, "false");
}

void
db_string_format(const char *s, struct ds *out)
{
    json_t *j;
    char *text;

    if (!string_needs_quotes(s)) {
        ds_put_cstr(out, s);
        return;
    }
    j = json_string(s);
    text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    ds_put_cstr(out, text ? text : "\"\"");
    free(text);
    json_decref(j);
}

void
db_datum_format(const struct ft_db_column *col, const struct ft_db_datum *d,
                struct ds *out)
{
    switch (col->type) {
    case FT_DB_STRING:
    case FT_DB_ENUM:
        if (d->present) {
            db_string_format(d->s, out);
        } else {
            ds_put_cstr(out, "[]");
        }
        break;
    case FT_DB_INT:
        if (d->present) {
            ds_put_format(out, "%"PRId64, d->i);
        } else {
            ds_put_cstr(out, "[]");
        }
        break;
    case FT_DB_BOOL:
        ds_put_cstr(out, d->b ? "true" : "false");
        break;
    case FT_DB_MAP:
        ds_put_char(out, '{');
        for (size_t i = 0; i < d->n; i++) {
            if (i) {
                ds_put_cstr(out, ", ");
            }
            db_string_format(d->strs[i], out);
            ds_put_char(out, '=');
            db_string_format(d->values[i], out);
        }
        ds_put_char(out, '}');
        break;
    case FT_DB_INT_SET:
    case FT_DB_LIST:
        ds_put_char(out, '[');
        for (size_t i = 0; i < d->n; i++) {
            if (i) {
                ds_put_cstr(out, ", ");
            }
            if (col->type == FT_DB_INT_SET) {
                ds_put_format(out, "%"PRId64, d->ints[i]);
            } else {
                db_string_format(d->strs[i], out);
            }
        }
        ds_put_char(out, ']');
        break;
    }
}

/* ---- JSON: the journal's form. ---- */

json_t *
db_datum_to_json(const struct ft_db_column *col, const struct ft_db_datum *d)
{
    json_t *j;

    switch (col->type) {
    case FT_DB_STRING:
    case FT_DB_ENUM:
        return d->present ? json_string(d->s) : json_null();
    case FT_DB_INT:
        return d->present ? json_integer(d->i) : json_null();
    case FT_DB_BOOL:
        return json_boolean(d->b);
    case FT_DB_MAP:
        j = json_object();
        for (size_t i = 0; i < d->n; i++) {
            json_object_set_new(j, d->strs[i], json_string(d->values[i]));
        }
        return j;
    case FT_DB_INT_SET:
        j = json_array();
        for (size_t i = 0; i < d->n; i++) {
            json_array_append_new(j, json_integer(d->ints[i]));
        }
        return j;
    case FT_DB_LIST:
        j = json_array();
        for (size_t i = 0; i < d->n; i++) {
            json_array_append_new(j, json_string(d->strs[i]));
        }
        return j;
    }
    return json_null();
}

static int
json_type_error(const struct ft_db_column *col, struct ft_error *err)
{
    static const char *const names[] = {
        [FT_DB_STRING] = "a string", [FT_DB_INT] = "an integer",
        [FT_DB_BOOL] = "a boolean", [FT_DB_ENUM] = "a string",
        [FT_DB_MAP] = "an object of strings",
        [FT_DB_INT_SET] = "an array of integers",
        [FT_DB_LIST] = "an array of strings",
    };

    return ft_error_set(err, -EINVAL, "expected %s%s",
                        (size_t) col->type < N_ELEMS(names)
                        ? names[col->type] : "another type",
                        col->optional ? " or null" : "");
}

static int
datum_from_json__(const struct ft_db_column *col, const json_t *j,
                  struct ft_db_datum *d, struct ft_error *err)
{
    const char *key;
    json_t *value;
    size_t i, idx;

    d->present = true;
    if (json_is_null(j) && col->optional) {
        d->present = false;
        return 0;
    }
    switch (col->type) {
    case FT_DB_STRING:
    case FT_DB_ENUM:
        if (!json_is_string(j)) {
            return json_type_error(col, err);
        }
        d->s = ft_xstrdup(json_string_value(j));
        return 0;
    case FT_DB_INT:
        if (!json_is_integer(j)) {
            return json_type_error(col, err);
        }
        d->i = json_integer_value(j);
        return 0;
    case FT_DB_BOOL:
        if (!json_is_boolean(j)) {
            return json_type_error(col, err);
        }
        d->b = json_is_true(j);
        return 0;
    case FT_DB_MAP:
        if (!json_is_object(j)) {
            return json_type_error(col, err);
        }
        json_object_foreach((json_t *) j, key, value) {
            if (!json_is_string(value)) {
                return json_type_error(col, err);
            }
            if (!db_map_find(d, key, &idx)) {
                db_map_insert(d, idx, ft_xstrdup(key),
                              ft_xstrdup(json_string_value(value)));
            }
        }
        return 0;
    case FT_DB_INT_SET:
        if (!json_is_array(j)) {
            return json_type_error(col, err);
        }
        json_array_foreach(j, i, value) {
            if (!json_is_integer(value)) {
                return json_type_error(col, err);
            }
            if (!db_set_find(d, json_integer_value(value), &idx)) {
                db_set_insert(d, idx, json_integer_value(value));
            }
        }
        return 0;
    case FT_DB_LIST:
        if (!json_is_array(j)) {
            return json_type_error(col, err);
        }
        json_array_foreach(j, i, value) {
            if (!json_is_string(value)) {
                return json_type_error(col, err);
            }
            db_list_insert(d, d->n, ft_xstrdup(json_string_value(value)));
        }
        return 0;
    }
    return json_type_error(col, err);
}

int
db_datum_from_json(const struct ft_db_column *col, const json_t *j,
                   struct ft_db_datum *d, struct ft_error *err)
{
    int error;

    db_datum_init(d);
    error = datum_from_json__(col, j, d, err);
    if (!error) {
        error = db_datum_check(col, d, err);
    }
    if (error) {
        db_datum_destroy(d);
    }
    return error;
}

/* ---- JSON: OVSDB's form, for 'list --format=json'. ---- */

static json_t *
ovsdb_set(json_t *elems)
{
    if (json_array_size(elems) == 1) {
        json_t *one = json_incref(json_array_get(elems, 0));

        json_decref(elems);
        return one;
    }
    return json_pack("[s, o]", "set", elems);
}

json_t *
db_datum_to_ovsdb_json(const struct ft_db_column *col,
                       const struct ft_db_datum *d)
{
    json_t *elems;

    switch (col->type) {
    case FT_DB_STRING:
    case FT_DB_ENUM:
    case FT_DB_INT:
        return d->present ? db_datum_to_json(col, d)
                          : json_pack("[s, []]", "set");
    case FT_DB_BOOL:
        return json_boolean(d->b);
    case FT_DB_MAP:
        elems = json_array();
        for (size_t i = 0; i < d->n; i++) {
            json_array_append_new(elems, json_pack("[s, s]", d->strs[i],
                                                   d->values[i]));
        }
        return json_pack("[s, o]", "map", elems);
    case FT_DB_INT_SET:
    case FT_DB_LIST:
        return ovsdb_set(db_datum_to_json(col, d));
    }
    return json_null();
}

/*
 * ovsdb-schema.c - the OVSDB schema FlowTier serves, parsed into column
 * types (RFC 7047 section 3.2: atomic types, enums, ranges, references,
 * element counts), and the UUIDs of rows.
 *
 * Part of the management plane's OVSDB endpoint; pure data and
 * functions, no I/O.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowtier/util.h"
#include "mgmt/ovsdb/ovsdb-private.h"

static const struct {
    const char *name;
    enum ov_atype type;
} atypes[] = {
    { "integer", OV_INTEGER }, { "real", OV_REAL },
    { "boolean", OV_BOOLEAN }, { "string", OV_STRING }, { "uuid", OV_UUID },
};

static int
parse_base(const json_t *j, struct ov_base *b, struct ft_error *err)
{
    const char *tname = json_is_string(j) ? json_string_value(j)
                        : json_string_value(json_object_get(j, "type"));
    const json_t *v;

    memset(b, 0, sizeof *b);
    b->min_int = INT64_MIN;
    b->max_int = INT64_MAX;
    b->min_real = -1e308;
    b->max_real = 1e308;
    for (size_t i = 0; tname && i < sizeof atypes / sizeof atypes[0]; i++) {
        if (!strcmp(tname, atypes[i].name)) {
            b->type = atypes[i].type;
            goto found;
        }
    }
    return ft_error_set(err, -EINVAL, "schema: bad base type");
found:
    if (!json_is_object(j)) {
        return 0;
    }
    if ((v = json_object_get(j, "minInteger"))) {
        b->min_int = json_integer_value(v);
    }
    if ((v = json_object_get(j, "maxInteger"))) {
        b->max_int = json_integer_value(v);
    }
    if ((v = json_object_get(j, "minReal"))) {
        b->min_real = json_number_value(v);
    }
    if ((v = json_object_get(j, "maxReal"))) {
        b->max_real = json_number_value(v);
    }
    b->ref_table = json_string_value(json_object_get(j, "refTable"));
    v = json_object_get(j, "refType");
    b->weak = v && !strcmp(json_string_value(v), "weak");
    b->enums = json_object_get(j, "enum");
    if (b->enums && !json_is_array(b->enums)) {
        return ft_error_set(err, -EINVAL, "schema: bad enum");
    }
    return 0;
}

static uint32_t
parse_count(const json_t *j, uint32_t dflt)
{
    if (json_is_string(j)) {
        return OV_UNLIMITED;
    }
    return j ? (uint32_t) json_integer_value(j) : dflt;
}

static int
parse_column(const char *name, json_t *cj, struct ov_column *c,
             struct ft_error *err)
{
    json_t *t = json_object_get(cj, "type");
    const json_t *m;
    int error;

    c->name = name;
    c->type_json = t;
    m = json_object_get(cj, "mutable");
    c->mutable_ = !m || json_is_true(m);
    if (json_is_string(t)) {
        c->min = c->max = 1;
        return parse_base(t, &c->key, err);
    }
    error = parse_base(json_object_get(t, "key"), &c->key, err);
    if (!error && json_object_get(t, "value")) {
        c->is_map = true;
        error = parse_base(json_object_get(t, "value"), &c->value, err);
    }
    c->min = parse_count(json_object_get(t, "min"), 1);
    c->max = parse_count(json_object_get(t, "max"), 1);
    return error;
}

/* Turns each enum (["set", [...]] or one atom) into a canonical datum of
 * its base, so membership is a lookup among sorted atoms. */
static void
canonical_enum(struct ov_column *c, struct ov_base *b)
{
    struct ov_column tmp = { .name = c->name, .key = *b, .min = 0,
                             .max = OV_UNLIMITED };
    json_t *out = NULL, *e;

    if (!b->enums) {
        return;
    }
    tmp.key.enums = NULL;
    e = ov_datum_parse(&tmp, b->enums, NULL, true, &out);
    json_decref(e);
    b->enums = out ? json_array_get(out, 1) : NULL;
    if (out) {
        json_incref((json_t *) b->enums);
        json_decref(out);
    }
}

static int
parse_table(const char *name, json_t *tj, struct ov_table *t,
            struct ft_error *err)
{
    json_t *cols = json_object_get(tj, "columns"), *cj;
    const char *cname;
    size_t i = 0;

    t->name = name;
    t->is_root = json_is_true(json_object_get(tj, "isRoot"));
    t->max_rows = json_integer_value(json_object_get(tj, "maxRows"));
    t->indexes = json_object_get(tj, "indexes");
    t->n_columns = json_object_size(cols);
    t->columns = ft_xcalloc(t->n_columns, sizeof *t->columns);
    json_object_foreach (cols, cname, cj) {
        int error = parse_column(cname, cj, &t->columns[i], err);

        if (error) {
            return error;
        }
        canonical_enum(&t->columns[i], &t->columns[i].key);
        canonical_enum(&t->columns[i], &t->columns[i].value);
        i++;
    }
    return 0;
}

int
ov_schema_create(const char *text, struct ov_schema **sp,
                 struct ft_error *err)
{
    struct ov_schema *s = ft_xcalloc(1, sizeof *s);
    json_t *tables, *tj;
    const char *name;
    json_error_t jerr;
    size_t i = 0;

    *sp = NULL;
    s->json = json_loads(text, 0, &jerr);
    tables = json_object_get(s->json, "tables");
    if (!json_is_object(tables)) {
        ov_schema_destroy(s);
        return ft_error_set(err, -EINVAL, "schema: %s", jerr.text);
    }
    s->n_tables = json_object_size(tables);
    s->tables = ft_xcalloc(s->n_tables, sizeof *s->tables);
    json_object_foreach (tables, name, tj) {
        if (parse_table(name, tj, &s->tables[i++], err)) {
            s->n_tables = i;
            ov_schema_destroy(s);
            return -EINVAL;
        }
    }
    *sp = s;
    return 0;
}

void
ov_schema_destroy(struct ov_schema *s)
{
    if (!s) {
        return;
    }
    for (size_t i = 0; i < s->n_tables; i++) {
        for (size_t j = 0; j < s->tables[i].n_columns; j++) {
            json_decref((json_t *) s->tables[i].columns[j].key.enums);
            json_decref((json_t *) s->tables[i].columns[j].value.enums);
        }
        free(s->tables[i].columns);
    }
    free(s->tables);
    json_decref(s->json);
    free(s);
}

const struct ov_table *
ov_schema_table(const struct ov_schema *s, const char *name)
{
    for (size_t i = 0; name && i < s->n_tables; i++) {
        if (!strcmp(s->tables[i].name, name)) {
            return &s->tables[i];
        }
    }
    return NULL;
}

const struct ov_column *
ov_uuid_column(void)
{
    static const struct ov_column uuid_col = {
        .name = "_uuid", .key = { .type = OV_UUID }, .min = 1, .max = 1,
    };
    return &uuid_col;
}

const struct ov_column *
ov_table_column(const struct ov_table *t, const char *name)
{
    if (!name) {
        return NULL;
    }
    if (!strcmp(name, "_uuid") || !strcmp(name, "_version")) {
        return ov_uuid_column();
    }
    for (size_t i = 0; i < t->n_columns; i++) {
        if (!strcmp(t->columns[i].name, name)) {
            return &t->columns[i];
        }
    }
    return NULL;
}

/* ---- UUIDs. ---- */

static uint64_t
fnv1a(const char *s, uint64_t h)
{
    for (; *s; s++) {
        h = (h ^ (uint8_t) *s) * 0x100000001b3ULL;
    }
    return h;
}

static void
uuid_format(uint64_t hi, uint64_t lo, char buf[37])
{
    /* Version 4 and variant bits, so the result looks like any UUID. */
    hi = (hi & ~0xf000ULL) | 0x4000ULL;
    lo = (lo & ~(3ULL << 62)) | (2ULL << 62);
    snprintf(buf, 37, "%08"PRIx32"-%04"PRIx32"-%04"PRIx32"-%04"PRIx32
             "-%012"PRIx64, (uint32_t) (hi >> 32),
             (uint32_t) ((hi >> 16) & 0xffff), (uint32_t) (hi & 0xffff),
             (uint32_t) (lo >> 48), (uint64_t) (lo & 0xffffffffffffULL));
}

void
ov_uuid_hash(const char *a, const char *b, char buf[37])
{
    uint64_t h1 = fnv1a(b, fnv1a("\x01", fnv1a(a, 0xcbf29ce484222325ULL)));
    uint64_t h2 = fnv1a(a, fnv1a("\x02", fnv1a(b, 0x84222325cbf29ce4ULL)));

    /* Mix once more so similar names spread over all bits. */
    h1 ^= h2 >> 29;
    h2 ^= h1 * 0x9e3779b97f4a7c15ULL;
    uuid_format(h1, h2, buf);
}

void
ov_uuid_random(char buf[37])
{
    uint64_t hi = 0, lo = 0;
    FILE *f = fopen("/dev/urandom", "r");

    if (!f || fread(&hi, sizeof hi, 1, f) != 1
        || fread(&lo, sizeof lo, 1, f) != 1) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        hi ^= (uint64_t) ts.tv_nsec * 0x9e3779b97f4a7c15ULL;
        lo ^= (uint64_t) ts.tv_sec ^ (uint64_t) (uintptr_t) buf;
    }
    if (f) {
        fclose(f);
    }
    uuid_format(hi, lo, buf);
}

bool
ov_uuid_valid(const char *s)
{
    static const char pattern[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

    if (!s || strlen(s) != 36) {
        return false;
    }
    for (size_t i = 0; i < 36; i++) {
        bool hex = strchr("0123456789abcdefABCDEF", s[i]) && s[i];

        if (pattern[i] == '-' ? s[i] != '-' : !hex) {
            return false;
        }
    }
    return true;
}

json_t *
ov_uuid_atom(const char *uuid)
{
    return json_pack("[s,s]", "uuid", uuid);
}

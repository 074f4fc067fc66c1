/*
 * ovsdb-view.c - FlowTier's configuration database seen as the tables of
 * the Open_vSwitch schema, and a change to that view turned back into the
 * daemon's own configuration commands (add-br, del-br, add-port,
 * del-port, set), so that a write through OVSDB gets the journal, the
 * durability, the validation and the bridge reconfiguration of a write
 * through the CLI, in one transaction.
 *
 * The mapping
 * ===========
 *
 * Bridge, Port and Interface rows are FlowTier's rows of the same name;
 * their UUIDs are derived from table and name, so they are the same in
 * every view and across restarts.  The one Open_vSwitch row lists the
 * bridges and carries next_cfg/cur_cfg, which the endpoint keeps in
 * memory (ovs-vsctl bumps next_cfg and waits for cur_cfg to reach it;
 * FlowTier applies a change before it answers, so cur_cfg follows at
 * once).  The columns in 'maps' below have a meaning in FlowTier; every
 * other column of these tables, and every other table, keeps its default
 * value: a transaction that changes one is refused with an error naming
 * the column or table, and nothing of it is applied.
 *
 * Part of the management plane's OVSDB endpoint; reads the database
 * (mgmt/db/db.h), writes nothing itself.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/util.h"
#include "mgmt/db/db.h"
#include "mgmt/ovsdb/ovsdb-private.h"

enum map_kind {
    MK_NAME,        /* The row's name (immutable). */
    MK_STRING,      /* Optional FlowTier string <-> string, "" if none. */
    MK_TYPE,        /* Interface type: FlowTier "system" <-> "". */
    MK_OPT,         /* Optional FlowTier scalar <-> set of 0 or 1. */
    MK_STATUS,      /* Same, but set by FlowTier (ofport, error). */
    MK_MAP,         /* String map. */
    MK_INTSET,      /* Integer set. */
    MK_REFS,        /* FlowTier list of names <-> set of references. */
};

struct col_map {
    const char *table, *column;
    enum map_kind kind;
    enum ft_db_table ref;       /* MK_REFS. */
};

static const struct col_map maps[] = {
    { "Bridge", "name", MK_NAME, 0 },
    { "Bridge", "datapath_type", MK_STRING, 0 },
    { "Bridge", "external_ids", MK_MAP, 0 },
    { "Bridge", "fail_mode", MK_OPT, 0 },
    { "Bridge", "other_config", MK_MAP, 0 },
    { "Bridge", "ports", MK_REFS, FT_DB_PORT },
    { "Port", "name", MK_NAME, 0 },
    { "Port", "external_ids", MK_MAP, 0 },
    { "Port", "interfaces", MK_REFS, FT_DB_INTERFACE },
    { "Port", "tag", MK_OPT, 0 },
    { "Port", "trunks", MK_INTSET, 0 },
    { "Port", "vlan_mode", MK_OPT, 0 },
    { "Interface", "name", MK_NAME, 0 },
    { "Interface", "error", MK_STATUS, 0 },
    { "Interface", "external_ids", MK_MAP, 0 },
    { "Interface", "ofport", MK_STATUS, 0 },
    { "Interface", "ofport_request", MK_OPT, 0 },
    { "Interface", "options", MK_MAP, 0 },
    { "Interface", "other_config", MK_MAP, 0 },
    { "Interface", "type", MK_TYPE, 0 },
    /* The running switch's view of the interface (ov_view_build()'s
     * 'status'), refreshed every few seconds as in Open vSwitch. */
    { "Interface", "admin_state", MK_STATUS, 0 },
    { "Interface", "ifindex", MK_STATUS, 0 },
    { "Interface", "link_state", MK_STATUS, 0 },
    { "Interface", "mac_in_use", MK_STATUS, 0 },
    { "Interface", "mtu", MK_STATUS, 0 },
    { "Interface", "statistics", MK_STATUS, 0 },
    { "Interface", "status", MK_STATUS, 0 },
};

#define N_MAPS (sizeof maps / sizeof maps[0])

static const char *const ft_tables[FT_DB_N_TABLES] = {
    [FT_DB_BRIDGE] = "Bridge", [FT_DB_PORT] = "Port",
    [FT_DB_INTERFACE] = "Interface",
};

static const struct col_map *
map_find(const char *table, const char *column)
{
    for (size_t i = 0; i < N_MAPS; i++) {
        if (!strcmp(maps[i].table, table) && !strcmp(maps[i].column, column)) {
            return &maps[i];
        }
    }
    return NULL;
}

static bool
is_ft_table(const char *name)
{
    for (int i = 0; i < FT_DB_N_TABLES; i++) {
        if (!strcmp(ft_tables[i], name)) {
            return true;
        }
    }
    return false;
}

static void
row_uuid(const char *table, const char *name, char buf[37])
{
    ov_uuid_hash(table, name, buf);
}

void
ov_view_reinserted(const struct ov_table *t, const json_t *old, json_t *new)
{
    for (size_t i = 0; i < t->n_columns; i++) {
        const char *name = t->columns[i].name;
        const struct col_map *m = map_find(t->name, name);

        if (m && m->kind == MK_STATUS && json_object_get(old, name)
            && ov_datum_is_default(&t->columns[i],
                                   json_object_get(new, name))) {
            json_object_set_new(new, name,
                                json_deep_copy(json_object_get(old, name)));
        }
    }
}

void
ov_view_uuid_for(const struct ov_table *t, const json_t *row, char buf[37])
{
    const char *name = json_string_value(json_object_get(row, "name"));

    if (is_ft_table(t->name) && name) {
        row_uuid(t->name, name, buf);
    } else if (!strcmp(t->name, "Open_vSwitch")) {
        row_uuid("Open_vSwitch", "", buf);
    } else {
        ov_uuid_random(buf);
    }
}

/* ---- Building the view. ---- */

static json_t *
ft_atom(const struct ft_db_datum *d, enum ft_db_type type)
{
    return type == FT_DB_INT ? json_integer(d->i) : json_string(d->s);
}

static json_t *
wire_value(const struct col_map *m, const struct ft_db_column *fc,
           const struct ft_db_datum *d)
{
    json_t *elems;

    switch (m->kind) {
    case MK_NAME:
        return json_string(d->s);
    case MK_STRING:
        return json_string(d->present ? d->s : "");
    case MK_TYPE:
        return json_string(d->present && strcmp(d->s, "system") ? d->s : "");
    case MK_OPT:
    case MK_STATUS:
        return d->present ? json_pack("[s,[o]]", "set", ft_atom(d, fc->type))
                          : json_pack("[s,[]]", "set");
    case MK_MAP:
        elems = json_array();
        for (size_t i = 0; i < d->n; i++) {
            json_array_append_new(elems, json_pack("[s,s]", d->strs[i],
                                                   d->values[i]));
        }
        return json_pack("[s,o]", "map", elems);
    case MK_INTSET:
        elems = json_array();
        for (size_t i = 0; i < d->n; i++) {
            json_array_append_new(elems, json_integer(d->ints[i]));
        }
        return json_pack("[s,o]", "set", elems);
    case MK_REFS:
        elems = json_array();
        for (size_t i = 0; i < d->n; i++) {
            char buf[37];

            row_uuid(ft_tables[m->ref], d->strs[i], buf);
            json_array_append_new(elems, ov_uuid_atom(buf));
        }
        return json_pack("[s,o]", "set", elems);
    }
    return json_null();
}

/* Sets column 'c' of 'row' to wire datum 'wire' (whose reference it
 * takes) in canonical form, unless 'wire' is not of the column's type:
 * then the column keeps its value. */
static void
row_set_wire(json_t *row, const struct ov_column *c, json_t *wire)
{
    json_t *d = NULL, *error;

    error = ov_datum_parse(c, wire, NULL, true, &d);
    json_decref(wire);
    if (error) {
        json_decref(error);
        return;
    }
    json_object_set_new(row, c->name, d);
}

static json_t *
view_row(const struct ov_table *t, const struct ft_db_row *frow)
{
    const struct ft_db_table_schema *fs = ft_db_schema(
        ft_db_row_table(frow));
    json_t *row = ov_row_default(t);

    for (size_t i = 0; i < fs->n_columns; i++) {
        const struct col_map *m = map_find(t->name, fs->columns[i].name);
        const struct ov_column *c = m ? ov_table_column(t, m->column) : NULL;

        if (!c) {
            continue;
        }
        /* A FlowTier value outside OVS's type (cannot happen with the
         * two schemas as they are) leaves the default. */
        row_set_wire(row, c, wire_value(m, &fs->columns[i],
                                        ft_db_row_get(frow,
                                                      fs->columns[i].name)));
    }
    return row;
}

/* Puts the running switch's status of the interface 'row' names, from
 * 'status' ({COLUMN: VALUE}: integers and strings as they are, a map as
 * a JSON object), in the row's status columns.  A value outside the
 * column's type is left out: the column keeps its default. */
static void
view_status(const struct ov_table *t, json_t *row, const json_t *status)
{
    const char *column;
    json_t *v;

    json_object_foreach ((json_t *) status, column, v) {
        const struct col_map *m = map_find(t->name, column);
        const struct ov_column *c = ov_table_column(t, column);
        json_t *wire;

        if (!m || m->kind != MK_STATUS || !c) {
            continue;
        }
        if (json_is_object(v)) {
            const char *key;
            json_t *value, *pairs = json_array();

            json_object_foreach (v, key, value) {
                json_array_append_new(pairs, json_pack("[s,O]", key, value));
            }
            wire = json_pack("[s,o]", "map", pairs);
        } else {
            wire = json_incref(v);
        }
        row_set_wire(row, c, wire);
    }
}

json_t *
ov_view_build(const struct ov_schema *s, const struct ft_db *db,
              const struct ov_cfg *cfg, const json_t *status)
{
    json_t *view = json_object(), *root, *bridges = json_array(), *sorted;
    const struct ov_table *ovs = ov_schema_table(s, "Open_vSwitch");
    char buf[37];

    for (size_t i = 0; i < s->n_tables; i++) {
        json_object_set_new(view, s->tables[i].name, json_object());
    }
    for (int t = 0; t < FT_DB_N_TABLES; t++) {
        const struct ov_table *ot = ov_schema_table(s, ft_tables[t]);
        json_t *rows = json_object_get(view, ft_tables[t]);
        const struct ft_db_row *frow;
        size_t idx;

        FT_DB_FOR_EACH (frow, idx, db, t) {
            json_t *row = view_row(ot, frow);
            const json_t *st = t == FT_DB_INTERFACE && status
                ? json_object_get(status, ft_db_row_name(frow)) : NULL;

            if (json_is_object(st)) {
                view_status(ot, row, st);
            }
            row_uuid(ft_tables[t], ft_db_row_name(frow), buf);
            json_object_set_new(rows, buf, row);
            if (t == FT_DB_BRIDGE) {
                json_array_append_new(bridges, ov_uuid_atom(buf));
            }
        }
    }
    root = ov_row_default(ovs);
    bridges = json_pack("[s,o]", "set", bridges);
    json_decref(ov_datum_parse(ov_table_column(ovs, "bridges"), bridges,
                               NULL, true, &sorted));
    json_decref(bridges);
    json_object_set_new(root, "bridges", sorted);
    json_object_set_new(root, "next_cfg", json_integer(cfg->next_cfg));
    json_object_set_new(root, "cur_cfg", json_integer(cfg->cur_cfg));
    row_uuid("Open_vSwitch", "", buf);
    json_object_set_new(json_object_get(view, "Open_vSwitch"), buf, root);
    return view;
}

/* ---- From a changed view to commands. ---- */

static json_t *
refuse_column(const char *table, const char *column)
{
    return ov_error("not supported", "FlowTier does not implement column "
                    "%s of table %s (only its default value is accepted); "
                    "nothing in this transaction was applied", column,
                    table);
}

/* Checks the columns FlowTier has no use for, and the status ones. */
static json_t *
check_row_columns(const struct ov_table *t, const json_t *old,
                  const json_t *new)
{
    for (size_t i = 0; i < t->n_columns; i++) {
        const struct ov_column *c = &t->columns[i];
        const struct col_map *m = map_find(t->name, c->name);
        json_t *o = old ? json_object_get(old, c->name) : NULL;
        json_t *n = json_object_get(new, c->name);
        bool changed = o ? !json_equal(o, n) : !ov_datum_is_default(c, n);

        if (!changed || (m && m->kind != MK_STATUS)) {
            continue;
        }
        if (m) {
            return ov_error("constraint violation", "column %s of table %s "
                            "is set by FlowTier, not by clients", c->name,
                            t->name);
        }
        return refuse_column(t->name, c->name);
    }
    return NULL;
}

static json_t *
check_root(const struct ov_schema *s, const json_t *old, const json_t *new,
           struct ov_cfg *cfg)
{
    const struct ov_table *t = ov_schema_table(s, "Open_vSwitch");
    json_t *orows = json_object_get(old, t->name);
    json_t *nrows = json_object_get(new, t->name);
    const char *uuid;
    json_t *orow, *nrow;

    if (json_object_size(nrows) != 1) {
        return ov_error("not supported", "FlowTier has exactly one "
                        "Open_vSwitch row; it cannot be deleted or doubled");
    }
    json_object_foreach (orows, uuid, orow) {
        nrow = json_object_get(nrows, uuid);
        if (!nrow) {
            return ov_error("not supported", "FlowTier's Open_vSwitch row "
                            "cannot be replaced");
        }
        for (size_t i = 0; i < t->n_columns; i++) {
            const char *name = t->columns[i].name;

            if (!strcmp(name, "bridges") || !strcmp(name, "next_cfg")
                || !strcmp(name, "cur_cfg")) {
                continue;
            }
            if (!json_equal(json_object_get(orow, name),
                            json_object_get(nrow, name))) {
                return refuse_column(t->name, name);
            }
        }
        cfg->next_cfg = json_integer_value(json_object_get(nrow, "next_cfg"));
        cfg->cur_cfg = json_integer_value(json_object_get(nrow, "cur_cfg"));
    }
    return NULL;
}

static json_t *
check_tables(const struct ov_schema *s, const json_t *old, const json_t *new)
{
    for (size_t i = 0; i < s->n_tables; i++) {
        const struct ov_table *t = &s->tables[i];
        json_t *orows = json_object_get(old, t->name);
        json_t *nrows = json_object_get(new, t->name), *nrow;
        const char *uuid;

        if (!strcmp(t->name, "Open_vSwitch")) {
            continue;
        }
        if (!is_ft_table(t->name)) {
            if (!json_equal(orows, nrows)) {
                return ov_error("not supported", "FlowTier does not "
                                "implement table %s: its rows cannot be "
                                "created or changed; nothing in this "
                                "transaction was applied", t->name);
            }
            continue;
        }
        json_object_foreach (nrows, uuid, nrow) {
            const char *name = json_string_value(json_object_get(nrow,
                                                                 "name"));
            json_t *error;
            char buf[37];

            row_uuid(t->name, name ? name : "", buf);
            if (!name || !*name || strcmp(buf, uuid)) {
                return ov_error("constraint violation", "column name of "
                                "table %s: FlowTier names each row for good "
                                "and needs a nonempty name (\"%s\")",
                                t->name, name ? name : "");
            }
            error = check_row_columns(t, json_object_get(orows, uuid), nrow);
            if (error) {
                return error;
            }
        }
    }
    return NULL;
}

/* Port name -> bridge name, and the checks on Port.interfaces. */
static json_t *
port_owners(const json_t *view, json_t **owners)
{
    json_t *bridges = json_object_get(view, "Bridge"), *ports, *br, *e;
    json_t *prows = json_object_get(view, "Port");
    json_t *irows = json_object_get(view, "Interface");
    const char *uuid;
    size_t i;

    *owners = json_object();
    json_object_foreach (bridges, uuid, br) {
        const char *bname = json_string_value(json_object_get(br, "name"));

        ports = json_array_get(json_object_get(br, "ports"), 1);
        json_array_foreach (ports, i, e) {
            const char *pu = json_string_value(json_array_get(e, 1));
            json_t *port = json_object_get(prows, pu);
            const char *pname = json_string_value(json_object_get(port,
                                                                  "name"));
            json_t *ifs = json_array_get(json_object_get(port, "interfaces"),
                                         1);
            json_t *iface = json_object_get(irows, json_string_value(
                json_array_get(json_array_get(ifs, 0), 1)));
            const char *iname = json_string_value(json_object_get(iface,
                                                                  "name"));

            if (json_array_size(ifs) != 1 || !iname || strcmp(iname, pname)) {
                json_decref(*owners);
                *owners = NULL;
                return ov_error("not supported", "column interfaces of "
                                "table Port: a FlowTier port has exactly one "
                                "interface, named as the port (port \"%s\")",
                                pname ? pname : "");
            }
            json_object_set_new(*owners, pname, json_string(bname));
        }
    }
    return NULL;
}

static void
add_cmd(json_t *cmds, const char *method, json_t *params)
{
    json_array_append_new(cmds, json_pack("{s:s, s:o}", "method", method,
                                          "params", params));
}

static void
put_quoted(struct ds *out, const json_t *atom)
{
    char *text = json_dumps(atom, JSON_ENCODE_ANY);

    ds_put_cstr(out, text ? text : "\"\"");
    free(text);
}

/* COLUMN=VALUE in ovs-vsctl syntax for FlowTier's parser. */
static char *
set_arg(const struct col_map *m, const json_t *d)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    json_t *elems = json_array_get(d, 1), *e;
    size_t i;

    ds_put_format(&s, "%s=", m->column);
    switch (m->kind) {
    case MK_STRING:
    case MK_TYPE:
        if (!*json_string_value(d)) {
            ds_put_cstr(&s, m->kind == MK_TYPE ? "system" : "[]");
        } else {
            put_quoted(&s, d);
        }
        break;
    case MK_OPT:
        if (!json_array_size(elems)) {
            ds_put_cstr(&s, "[]");
        } else {
            put_quoted(&s, json_array_get(elems, 0));
        }
        break;
    case MK_MAP:
        ds_put_char(&s, '{');
        json_array_foreach (elems, i, e) {
            ds_put_cstr(&s, i ? ", " : "");
            put_quoted(&s, json_array_get(e, 0));
            ds_put_char(&s, '=');
            put_quoted(&s, json_array_get(e, 1));
        }
        ds_put_char(&s, '}');
        break;
    case MK_INTSET:
        ds_put_char(&s, '[');
        json_array_foreach (elems, i, e) {
            ds_put_format(&s, "%s%"PRId64, i ? "," : "",
                          (int64_t) json_integer_value(e));
        }
        ds_put_char(&s, ']');
        break;
    default:
        break;
    }
    return s.s ? s.s : ft_xstrdup("");
}

/* "set" commands for the mapped columns of 'new' that differ from 'old'
 * (or from the defaults for a row FlowTier just created). */
static void
set_cmds(const struct ov_table *t, const json_t *old, const json_t *new,
         bool created, json_t *cmds)
{
    const char *name = json_string_value(json_object_get(new, "name"));
    json_t *args = json_array();

    for (size_t i = 0; i < N_MAPS; i++) {
        const struct col_map *m = &maps[i];
        const struct ov_column *c;
        json_t *n;
        bool changed;

        if (strcmp(m->table, t->name) || m->kind == MK_NAME
            || m->kind == MK_STATUS || m->kind == MK_REFS) {
            continue;
        }
        c = ov_table_column(t, m->column);
        n = json_object_get(new, m->column);
        changed = old ? !json_equal(json_object_get(old, m->column), n)
                      : !ov_datum_is_default(c, n) || (created
                                                       && m->kind == MK_TYPE);
        if (changed) {
            char *arg = set_arg(m, n);

            json_array_append_new(args, json_string(arg));
            free(arg);
        }
    }
    if (json_array_size(args)) {
        add_cmd(cmds, "set", json_pack("{s:s, s:s, s:o}", "table", t->name,
                                       "record", name, "args", args));
    } else {
        json_decref(args);
    }
}

/* True if the row of 'table' named 'name' was deleted and inserted again
 * in the transaction ('recreated' from ov_txn_run()). */
static bool
is_recreated(const json_t *recreated, const char *table, const char *name)
{
    char buf[37];

    row_uuid(table, name, buf);
    return json_object_get(recreated, buf) != NULL;
}

static void
topology_cmds(const json_t *old, const json_t *new, const json_t *recreated,
              const json_t *oown, const json_t *nown, json_t *cmds,
              json_t *created)
{
    const char *name;
    json_t *v;

    json_object_foreach ((json_t *) oown, name, v) {
        const char *nb = json_string_value(json_object_get(nown, name));
        const char *ob = json_string_value(v);
        char buf[37];

        row_uuid("Bridge", ob, buf);
        if ((!nb || strcmp(nb, ob) || is_recreated(recreated, "Port", name))
            && json_object_get(json_object_get(new, "Bridge"), buf)
            && !json_object_get(recreated, buf)) {
            add_cmd(cmds, "del-port", json_pack("{s:s, s:s}", "bridge", ob,
                                                "port", name));
        }
    }
    json_object_foreach (json_object_get(old, "Bridge"), name, v) {
        if (!json_object_get(json_object_get(new, "Bridge"), name)
            || json_object_get(recreated, name)) {
            add_cmd(cmds, "del-br", json_pack("{s:s}", "bridge",
                                              json_string_value(
                                                  json_object_get(v, "name"))));
        }
    }
    json_object_foreach (json_object_get(new, "Bridge"), name, v) {
        if (!json_object_get(json_object_get(old, "Bridge"), name)
            || json_object_get(recreated, name)) {
            const char *bname = json_string_value(json_object_get(v, "name"));

            add_cmd(cmds, "add-br", json_pack("{s:s}", "bridge", bname));
            json_object_set_new(created, bname, json_true());
        }
    }
    json_object_foreach ((json_t *) nown, name, v) {
        const char *ob = json_string_value(json_object_get(oown, name));
        const char *nb = json_string_value(v);

        if (ob && !strcmp(ob, nb) && !json_object_get(created, nb)
            && !is_recreated(recreated, "Port", name)) {
            continue;
        }
        if (!strcmp(name, nb) && json_object_get(created, nb)) {
            continue;       /* add-br made the bridge's own port. */
        }
        add_cmd(cmds, "add-port", json_pack("{s:s, s:s}", "bridge", nb,
                                            "port", name));
        json_object_set_new(created, name, json_true());
    }
}

json_t *
ov_view_commands(const struct ov_schema *s, const json_t *old,
                 const json_t *new, const json_t *recreated,
                 json_t **commands, struct ov_cfg *cfg)
{
    json_t *oown = NULL, *nown = NULL, *created, *cmds, *error;

    *commands = NULL;
    if ((error = check_root(s, old, new, cfg))
        || (error = check_tables(s, old, new))
        || (error = port_owners(old, &oown))
        || (error = port_owners(new, &nown))) {
        json_decref(oown);
        return error;
    }
    cmds = json_array();
    created = json_object();
    topology_cmds(old, new, recreated, oown, nown, cmds, created);
    for (int i = 0; i < FT_DB_N_TABLES; i++) {
        const struct ov_table *t = ov_schema_table(s, ft_tables[i]);
        json_t *nrows = json_object_get(new, t->name), *nrow;
        const char *uuid;

        json_object_foreach (nrows, uuid, nrow) {
            const char *name = json_string_value(json_object_get(nrow,
                                                                 "name"));
            bool fresh = json_is_true(json_object_get(created, name));
            json_t *orow = json_object_get(json_object_get(old, t->name),
                                           uuid);

            set_cmds(t, fresh ? NULL : orow, nrow, fresh, cmds);
        }
    }
    json_decref(created);
    json_decref(oown);
    json_decref(nown);
    *commands = cmds;
    return NULL;
}

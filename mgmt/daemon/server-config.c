/*
 * server-config.c - the daemon's configuration methods, in the spirit of
 * ovs-vsctl: add-br, del-br, add-port, del-port, set, clear, add, remove
 * (each a write inside the server's transaction; "transact" chains several
 * into one), and the reads list-br, list-ports, get, list and show.
 *
 * Part of the management plane (flowtierd).  Writes go through the
 * database's verbs (mgmt/db/db.h), which validate tables, columns and values;
 * server.c then makes the running bridges match.  Reads return both the
 * text the CLI prints and the same data as JSON ("text" and "data").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/daemon/server-private.h"

#define P(NAME, TYPE, REQUIRED) { NAME, FT_RPC_##TYPE, REQUIRED }
#define END { NULL, 0, false }

const struct ft_rpc_param srv_add_br_params[] = {
    P("bridge", STRING, true), P("may_exist", BOOL, false), END,
};
const struct ft_rpc_param srv_del_br_params[] = {
    P("bridge", STRING, true), P("if_exists", BOOL, false), END,
};
const struct ft_rpc_param srv_add_port_params[] = {
    P("bridge", STRING, true), P("port", STRING, true),
    P("type", STRING, false), P("may_exist", BOOL, false), END,
};
const struct ft_rpc_param srv_del_port_params[] = {
    P("bridge", STRING, false), P("port", STRING, true),
    P("if_exists", BOOL, false), END,
};
const struct ft_rpc_param srv_db_write_params[] = {
    P("table", STRING, true), P("record", STRING, true),
    P("args", STRINGS, true), END,
};
const struct ft_rpc_param srv_opening_ports_params[] = {
    P("ports", STRINGS, false), END,
};

static const char *
param_string(json_t *params, const char *name)
{
    return json_string_value(json_object_get(params, name));
}

static bool
param_bool(json_t *params, const char *name)
{
    return json_is_true(json_object_get(params, name));
}

/* ---- Writes. ---- */

static int
w_add_br(struct ft_server *s, json_t *params, struct ft_error *err)
{
    const char *br = param_string(params, "bridge");

    if (param_bool(params, "may_exist")
        && ft_db_find(s->db, FT_DB_BRIDGE, br)) {
        return 0;
    }
    return ft_db_add_br(s->txn, br, err);
}

static int
w_del_br(struct ft_server *s, json_t *params, struct ft_error *err)
{
    const char *br = param_string(params, "bridge");

    if (param_bool(params, "if_exists")
        && !ft_db_find(s->db, FT_DB_BRIDGE, br)) {
        return 0;
    }
    return ft_db_del_br(s->txn, br, err);
}

static int
w_add_port(struct ft_server *s, json_t *params, struct ft_error *err)
{
    const char *br = param_string(params, "bridge");
    const char *port = param_string(params, "port");
    const struct ft_db_row *owner;

    if (param_bool(params, "may_exist")
        && (owner = ft_db_port_bridge(s->db, port)) != NULL) {
        if (strcmp(ft_db_row_name(owner), br)) {
            return ft_error_set(err, -EEXIST, "\"--may-exist add-port %s "
                                "%s\" but %s is actually attached to bridge "
                                "%s", br, port, port, ft_db_row_name(owner));
        }
        return 0;
    }
    return ft_db_add_port(s->txn, br, port, param_string(params, "type"),
                          err);
}

static int
w_del_port(struct ft_server *s, json_t *params, struct ft_error *err)
{
    const char *br = param_string(params, "bridge");
    const char *port = param_string(params, "port");

    if (param_bool(params, "if_exists") && !ft_db_port_bridge(s->db, port)) {
        return 0;
    }
    if (br && !strcmp(br, port) && ft_db_find(s->db, FT_DB_BRIDGE, br)) {
        return ft_error_set(err, -EINVAL, "cannot delete port %s because "
                            "it is the local port for bridge %s (deleting "
                            "this port requires deleting the entire "
                            "bridge)", port, br);
    }
    return ft_db_del_port(s->txn, br, port, err);
}

/* Runs ovs-vsctl verb 'fn' with argv TABLE RECORD ARGS... */
static int
db_verb(struct ft_server *s, json_t *params,
        int (*fn)(struct ft_db_txn *, int, const char *const *,
                  struct ft_error *),
        struct ft_error *err)
{
    json_t *args = json_object_get(params, "args");
    size_t n = json_array_size(args);
    const char **argv = calloc(n + 2, sizeof *argv);
    int error;

    if (!argv) {
        abort();
    }
    argv[0] = param_string(params, "table");
    argv[1] = param_string(params, "record");
    for (size_t i = 0; i < n; i++) {
        argv[i + 2] = json_string_value(json_array_get(args, i));
    }
    error = fn(s->txn, (int) n + 2, argv, err);
    free(argv);
    return error;
}

static int
w_set(struct ft_server *s, json_t *params, struct ft_error *err)
{
    return db_verb(s, params, ft_db_set, err);
}

static int
w_clear(struct ft_server *s, json_t *params, struct ft_error *err)
{
    return db_verb(s, params, ft_db_clear, err);
}

static int
w_add(struct ft_server *s, json_t *params, struct ft_error *err)
{
    return db_verb(s, params, ft_db_add, err);
}

static int
w_remove(struct ft_server *s, json_t *params, struct ft_error *err)
{
    return db_verb(s, params, ft_db_remove, err);
}

const struct srv_write_op srv_write_ops[] = {
    { "add-br", srv_add_br_params, w_add_br },
    { "del-br", srv_del_br_params, w_del_br },
    { "add-port", srv_add_port_params, w_add_port },
    { "del-port", srv_del_port_params, w_del_port },
    { "set", srv_db_write_params, w_set },
    { "clear", srv_db_write_params, w_clear },
    { "add", srv_db_write_params, w_add },
    { "remove", srv_db_write_params, w_remove },
};

const size_t srv_n_write_ops = sizeof srv_write_ops / sizeof srv_write_ops[0];

const struct srv_write_op *
srv_write_op_find(const char *name)
{
    for (size_t i = 0; i < srv_n_write_ops; i++) {
        if (!strcmp(srv_write_ops[i].name, name)) {
            return &srv_write_ops[i];
        }
    }
    return NULL;
}

/* The names of the ports whose device is opening in the background, or,
 * if 'keys' is not NULL, their opens' keys ("BRIDGE PORT ID"). */
static json_t *
opening_names__(const struct ft_server *s, bool keys)
{
    json_t *names = json_array();

    for (size_t b = 0; b < s->n_bridges; b++) {
        const struct srv_bridge *sb = s->bridges[b];

        for (size_t p = 0; p < sb->cfg->cfg.n_ports; p++) {
            const char *name = sb->cfg->cfg.ports[p].name;
            uint64_t id = ft_bridge_port_open_id(sb->br, name);

            if (id && keys) {
                json_array_append_new(names, json_sprintf("%s %s %"PRIu64,
                                                          sb->name, name,
                                                          id));
            } else if (id) {
                json_array_append_new(names, json_string(name));
            }
        }
    }
    return names;
}

static json_t *
opening_names(const struct ft_server *s)
{
    return opening_names__(s, false);
}

/* True if the JSON array of strings 'a' holds 'str'. */
static bool
json_strings_have(json_t *a, const char *str)
{
    size_t i;
    json_t *v;

    json_array_foreach(a, i, v) {
        if (!strcmp(json_string_value(v), str)) {
            return true;
        }
    }
    return false;
}

/* A write's result: {"opening": [PORT...]}, the ports whose device is
 * opening in the background once it is done, in an open the write
 * started (not in those under way before it, 'before' as from
 * opening_names__() with keys): the CLI waits for them with
 * "opening-ports", and a write that opens nothing answers at once.
 * Frees 'before'. */
static json_t *
opening_result(const struct ft_server *s, json_t *before)
{
    json_t *keys = opening_names__(s, true), *names = json_array();
    size_t i;
    json_t *v;

    json_array_foreach(keys, i, v) {
        const char *key = json_string_value(v);

        if (!json_strings_have(before, key)) {
            const char *port = strchr(key, ' ') + 1;

            json_array_append_new(names, json_stringn(port,
                                                      strcspn(port, " ")));
        }
    }
    json_decref(keys);
    json_decref(before);
    return json_pack("{s:o}", "opening", names);
}

static int
run_one(const char *name, json_t *params, json_t **result,
        struct ft_error *err, void *s)
{
    const struct srv_write_op *op = srv_write_op_find(name);
    json_t *before = opening_names__(s, true);
    int error = srv_run_writes(s, &op, &params, 1, err);

    *result = NULL;
    if (error) {
        json_decref(before);
    } else {
        *result = opening_result(s, before);
    }
    return error;
}

int
srv_add_br(json_t *params, json_t **result, struct ft_error *err, void *s)
{
    return run_one("add-br", params, result, err, s);
}

int
srv_del_br(json_t *params, json_t **result, struct ft_error *err, void *s)
{
    return run_one("del-br", params, result, err, s);
}

int
srv_add_port(json_t *params, json_t **result, struct ft_error *err, void *s)
{
    return run_one("add-port", params, result, err, s);
}

int
srv_del_port(json_t *params, json_t **result, struct ft_error *err, void *s)
{
    return run_one("del-port", params, result, err, s);
}

int
srv_set(json_t *params, json_t **result, struct ft_error *err, void *s)
{
    return run_one("set", params, result, err, s);
}

int
srv_clear(json_t *params, json_t **result, struct ft_error *err, void *s)
{
    return run_one("clear", params, result, err, s);
}

int
srv_add(json_t *params, json_t **result, struct ft_error *err, void *s)
{
    return run_one("add", params, result, err, s);
}

int
srv_remove(json_t *params, json_t **result, struct ft_error *err, void *s)
{
    return run_one("remove", params, result, err, s);
}

/* {"commands": [{"method": "add-port", "params": {...}}, ...]}: every
 * command in one transaction, as ovs-vsctl's "--" chaining. */
int
srv_transact(json_t *params, json_t **result, struct ft_error *err,
             void *s)
{
    json_t *commands = json_object_get(params, "commands");
    size_t n = json_array_size(commands);
    const struct srv_write_op **ops;
    json_t **op_params, *before = NULL;
    int error = 0;

    *result = NULL;
    if (!n) {
        return ft_error_set(err, FT_RPC_ERR_PARAMS, "transact: no commands");
    }
    ops = calloc(n, sizeof *ops);
    op_params = calloc(n, sizeof *op_params);
    if (!ops || !op_params) {
        abort();
    }
    for (size_t i = 0; i < n && !error; i++) {
        json_t *cmd = json_array_get(commands, i);
        const char *name = json_string_value(json_object_get(cmd, "method"));
        struct ft_rpc_method m;

        op_params[i] = json_object_get(cmd, "params");
        if (!json_is_object(cmd) || !name || !json_is_object(op_params[i])) {
            error = ft_error_set(err, FT_RPC_ERR_PARAMS, "transact: command "
                                 "%zu must be {\"method\": NAME, \"params\":"
                                 " {...}}", i + 1);
        } else if (!(ops[i] = srv_write_op_find(name))) {
            error = ft_error_set(err, FT_RPC_ERR_PARAMS, "transact: command "
                                 "%zu: \"%.64s\" is not a configuration "
                                 "write", i + 1, name);
        } else {
            m.name = name;
            m.params = ops[i]->params;
            m.handler = NULL;
            error = ft_rpc_check_params(&m, op_params[i], err);
        }
    }
    if (!error) {
        before = opening_names__(s, true);
        error = srv_run_writes(s, ops, op_params, n, err);
    }
    if (!error) {
        *result = opening_result(s, before);
    } else {
        json_decref(before);
    }
    free(ops);
    free(op_params);
    return error;
}

/* ---- Reads. ---- */

static int
compare_strs(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Sorted copy of the names of 'd' (a list column); free the array only. */
static const char **
sorted_names(const struct ft_db_datum *d)
{
    const char **names = calloc(d->n + 1, sizeof *names);

    if (!names) {
        abort();
    }
    for (size_t i = 0; i < d->n; i++) {
        names[i] = d->strs[i];
    }
    qsort(names, d->n, sizeof *names, compare_strs);
    return names;
}

int
srv_list_br(json_t *params, json_t **result, struct ft_error *err, void *s_)
{
    struct ft_server *s = s_;
    struct ds text = DS_EMPTY_INITIALIZER;
    json_t *data = json_array();
    const struct ft_db_row *row;
    size_t idx;

    FT_DB_FOR_EACH (row, idx, s->db, FT_DB_BRIDGE) {
        ds_put_format(&text, "%s\n", ft_db_row_name(row));
        json_array_append_new(data, json_string(ft_db_row_name(row)));
    }
    *result = srv_text_result(&text, data);
    return 0;
}

int
srv_list_ports(json_t *params, json_t **result, struct ft_error *err,
               void *s_)
{
    struct ft_server *s = s_;
    const char *br = param_string(params, "bridge");
    const struct ft_db_row *row = ft_db_find(s->db, FT_DB_BRIDGE, br);
    struct ds text = DS_EMPTY_INITIALIZER;
    const struct ft_db_datum *ports;
    const char **names;
    json_t *data;

    if (!row) {
        return ft_error_set(err, -ENOENT, "no bridge named \"%s\"", br);
    }
    ports = ft_db_row_get(row, "ports");
    names = sorted_names(ports);
    data = json_array();
    for (size_t i = 0; i < ports->n; i++) {
        if (strcmp(names[i], br)) {    /* Not the local port, as OVS. */
            ds_put_format(&text, "%s\n", names[i]);
            json_array_append_new(data, json_string(names[i]));
        }
    }
    free(names);
    *result = srv_text_result(&text, data);
    return 0;
}

/* ---- The Interface 'error' column. ----
 *
 * 'error' is status, not configuration: why the running bridge could not
 * open the interface.  The database keeps the column (read-only, always
 * empty, so it is never persisted); the reads below show the running
 * bridges' value in it. */

/* Appends 'error' in ovs-vsctl syntax (a quoted string). */
static void
format_error_value(const char *error, struct ds *out)
{
    json_t *j = json_string(error);
    char *q = json_dumps(j, JSON_ENCODE_ANY);

    ds_put_cstr(out, q ? q : "\"\"");
    free(q);
    json_decref(j);
}

/* True if 'params' read the Interface table. */
static bool
reads_interfaces(json_t *params)
{
    enum ft_db_table t;

    return !ft_db_table_from_name(param_string(params, "table"), &t, NULL)
           && t == FT_DB_INTERFACE;
}

/* 'get Interface NAME COLUMN...' printed 'text', one line per column:
 * puts the running value of 'error' in. */
static void
get_overlay_error(const struct ft_server *s, json_t *params, struct ds *text)
{
    const char *iface = json_string_value(json_array_get(
                                              json_object_get(params,
                                                              "records"), 0));
    const char *error = srv_iface_error(s, iface);
    json_t *args = json_object_get(params, "args");
    struct ds out = DS_EMPTY_INITIALIZER;
    const char *p = ds_cstr(text);

    if (!error) {
        return;
    }
    for (size_t i = 0; *p; i++) {
        size_t len = strcspn(p, "\n");
        const char *col = json_string_value(json_array_get(args, i));

        if (col && !strcmp(col, "error")) {
            format_error_value(error, &out);
        } else {
            ds_put_buffer(&out, p, len);
        }
        ds_put_char(&out, '\n');
        p += len + (p[len] == '\n');
    }
    ds_destroy(text);
    *text = out;
}

/* 'list Interface' printed 'text' (blocks of "COLUMN : VALUE" lines, a
 * blank line between rows) and 'data' ({"headings": [...], "data":
 * [[...], ...]}, rows in the same order): puts the running value of
 * 'error' in both. */
static void
list_overlay_error(const struct ft_server *s, struct ds *text, json_t *data)
{
    json_t *headings = json_object_get(data, "headings");
    json_t *rows = json_object_get(data, "data");
    struct ds out = DS_EMPTY_INITIALIZER;
    size_t name_idx = SIZE_MAX, error_idx = SIZE_MAX, row = 0;
    const char *p = ds_cstr(text);
    json_t *h;
    size_t i;

    json_array_foreach(headings, i, h) {
        if (!strcmp(json_string_value(h) ? json_string_value(h) : "",
                    "name")) {
            name_idx = i;
        } else if (!strcmp(json_string_value(h) ? json_string_value(h) : "",
                           "error")) {
            error_idx = i;
        }
    }
    if (name_idx == SIZE_MAX || error_idx == SIZE_MAX) {
        return;
    }
    while (*p) {
        size_t len = strcspn(p, "\n");
        json_t *r = json_array_get(rows, row);
        const char *name = json_string_value(json_array_get(r, name_idx));
        const char *error = name ? srv_iface_error(s, name) : NULL;

        if (!len) {
            row++;
            ds_put_char(&out, '\n');
        } else if (error && len > 22 && !strncmp(p, "error ", 6)
                   && !strncmp(p + 20, ": ", 2)) {
            ds_put_buffer(&out, p, 22);
            format_error_value(error, &out);
            ds_put_char(&out, '\n');
        } else {
            ds_put_buffer(&out, p, len);
            ds_put_char(&out, '\n');
        }
        p += len + (p[len] == '\n');
    }
    ds_destroy(text);
    *text = out;

    json_array_foreach(rows, i, h) {
        const char *name = json_string_value(json_array_get(h, name_idx));
        const char *error = name ? srv_iface_error(s, name) : NULL;

        if (error) {
            json_array_set_new(h, error_idx, json_string(error));
        }
    }
}

/* argv TABLE [RECORDS...] [ARGS...] for the database's readers. */
static const char **
read_argv(json_t *params, int *argcp)
{
    json_t *records = json_object_get(params, "records");
    json_t *args = json_object_get(params, "args");
    size_t n = 1 + json_array_size(records) + json_array_size(args);
    const char **argv = calloc(n + 1, sizeof *argv);
    size_t k = 0;

    if (!argv) {
        abort();
    }
    argv[k++] = param_string(params, "table");
    for (size_t i = 0; i < json_array_size(records); i++) {
        argv[k++] = json_string_value(json_array_get(records, i));
    }
    for (size_t i = 0; i < json_array_size(args); i++) {
        argv[k++] = json_string_value(json_array_get(args, i));
    }
    *argcp = (int) k;
    return argv;
}

int
srv_get(json_t *params, json_t **result, struct ft_error *err, void *s_)
{
    struct ft_server *s = s_;
    struct ds text = DS_EMPTY_INITIALIZER;
    const char **argv;
    json_t *data;
    int argc, error;

    if (json_array_size(json_object_get(params, "records")) != 1
        || !json_array_size(json_object_get(params, "args"))) {
        return ft_error_set(err, FT_RPC_ERR_PARAMS, "get: needs one record "
                            "and at least one column");
    }
    argv = read_argv(params, &argc);
    error = ft_db_get(s->db, argc, argv, &text, err);
    free(argv);
    if (error) {
        ds_destroy(&text);
        return error;
    }
    if (reads_interfaces(params)) {
        get_overlay_error(s, params, &text);
    }
    data = json_array();
    for (const char *p = ds_cstr(&text); *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t) (nl - p) : strlen(p);

        json_array_append_new(data, json_stringn(p, len));
        p += len + (nl ? 1 : 0);
    }
    *result = srv_text_result(&text, data);
    return 0;
}

int
srv_list(json_t *params, json_t **result, struct ft_error *err, void *s_)
{
    struct ft_server *s = s_;
    struct ds text = DS_EMPTY_INITIALIZER;
    struct ds json_text = DS_EMPTY_INITIALIZER;
    const char **argv;
    json_t *data;
    int argc, error;

    if (json_object_get(params, "args")) {
        return ft_error_set(err, FT_RPC_ERR_PARAMS, "list: takes a table "
                            "and records only");
    }
    argv = read_argv(params, &argc);
    error = ft_db_list(s->db, argc, argv, FT_DB_FORMAT_LIST, &text, err);
    if (!error) {
        error = ft_db_list(s->db, argc, argv, FT_DB_FORMAT_JSON, &json_text,
                           err);
    }
    free(argv);
    if (error) {
        ds_destroy(&text);
        ds_destroy(&json_text);
        return error;
    }
    data = json_loads(ds_cstr(&json_text), 0, NULL);
    ds_destroy(&json_text);
    if (reads_interfaces(params)) {
        list_overlay_error(s, &text, data);
    }
    *result = srv_text_result(&text, data);
    return 0;
}

/* Appends "LABEL: VALUE" for 'column' of 'table' row 'name' in ovs-vsctl
 * syntax at 'indent' when the column is not empty (as ovs-vsctl show). */
static void
show_column(const struct ft_db *db, const char *table, const char *name,
            const char *column, int indent, struct ds *text)
{
    const char *argv[3] = { table, name, column };
    struct ds value = DS_EMPTY_INITIALIZER;

    if (!ft_db_get(db, 3, argv, &value, NULL)) {
        ds_chomp(&value, "\n");
        if (value.len && strcmp(ds_cstr(&value), "[]")
            && strcmp(ds_cstr(&value), "{}")) {
            ds_put_char_multiple(text, ' ', (size_t) indent);
            ds_put_format(text, "%s: %s\n", column, ds_cstr(&value));
        }
    }
    ds_destroy(&value);
}

static json_t *
datum_to_json(const struct ft_db_datum *d, bool is_map, bool is_ints)
{
    json_t *j;

    if (is_map) {
        j = json_object();
        for (size_t i = 0; i < d->n; i++) {
            json_object_set_new(j, d->strs[i], json_string(d->values[i]));
        }
    } else if (is_ints) {
        j = json_array();
        for (size_t i = 0; i < d->n; i++) {
            json_array_append_new(j, json_integer(d->ints[i]));
        }
    } else {
        j = json_array();
        for (size_t i = 0; i < d->n; i++) {
            json_array_append_new(j, json_string(d->strs[i]));
        }
    }
    return j;
}

/* The running bridge whose port holds interface 'iface', or NULL. */
static struct srv_bridge *
iface_bridge(const struct ft_server *s, const char *iface)
{
    const struct ft_db_row *port = ft_db_iface_port(s->db, iface);
    const struct ft_db_row *br = port ? ft_db_port_bridge(
        s->db, ft_db_row_name(port)) : NULL;

    return br ? srv_bridge_find(s, ft_db_row_name(br)) : NULL;
}

/* "representor: pf0vf3 of switch 0123abcd": an open interface on a NIC's
 * embedded switch, as its port class identifies it. */
static void
show_representor(const struct ft_server *s, const char *iface,
                 struct ds *text, json_t *ji)
{
    struct srv_bridge *sb = iface_bridge(s, iface);
    struct ft_port_identity id;
    struct ds sw = DS_EMPTY_INITIALIZER;

    if (!sb || ft_bridge_port_identity(sb->br, iface, &id)
        || !id.switch_id_len || !id.phys_port_name[0]) {
        return;
    }
    for (size_t i = 0; i < id.switch_id_len; i++) {
        ds_put_format(&sw, "%02x", id.switch_id[i]);
    }
    ds_put_format(text, "                representor: %s of switch %s\n",
                  id.phys_port_name, ds_cstr(&sw));
    json_object_set_new(ji, "representor",
                        json_pack("{s:s, s:s}", "port", id.phys_port_name,
                                  "switch_id", ds_cstr(&sw)));
    ds_destroy(&sw);
}

/* Appends what the port class says of how it runs the interface
 * ("xdp-mode=native, n_rxq=1"), as Open vSwitch's Interface status. */
static void
show_status(const struct ft_server *s, const char *iface, struct ds *text,
            json_t *ji)
{
    struct srv_bridge *sb = iface_bridge(s, iface);
    struct ft_port_identity id;

    if (sb && !ft_bridge_port_identity(sb->br, iface, &id)
        && id.status[0]) {
        ds_put_format(text, "                status: %s\n", id.status);
        json_object_set_new(ji, "status", json_string(id.status));
    }
}

static json_t *
show_port(const struct ft_server *s, const char *pname, struct ds *text)
{
    const struct ft_db *db = s->db;
    const struct ft_db_row *prow = ft_db_find(db, FT_DB_PORT, pname);
    const struct ft_db_datum *ifs = ft_db_row_get(prow, "interfaces");
    json_t *jp = json_pack("{s:s}", "name", pname), *jifs = json_array();
    const char *vlan_mode = ft_db_row_string(prow, "vlan_mode");
    const char **inames = sorted_names(ifs);
    int64_t tag;

    ds_put_format(text, "        Port %s\n", pname);
    show_column(db, "Port", pname, "tag", 12, text);
    show_column(db, "Port", pname, "trunks", 12, text);
    show_column(db, "Port", pname, "vlan_mode", 12, text);
    if (ft_db_row_int(prow, "tag", &tag)) {
        json_object_set_new(jp, "tag", json_integer(tag));
    }
    json_object_set_new(jp, "trunks", datum_to_json(
                            ft_db_row_get(prow, "trunks"), false, true));
    if (vlan_mode) {
        json_object_set_new(jp, "vlan_mode", json_string(vlan_mode));
    }
    for (size_t i = 0; i < ifs->n; i++) {
        const struct ft_db_row *irow = ft_db_find(db, FT_DB_INTERFACE,
                                                  inames[i]);
        const char *type = irow ? ft_db_row_string(irow, "type") : NULL;
        const char *error = srv_iface_error(s, inames[i]);
        json_t *ji = json_pack("{s:s}", "name", inames[i]);
        int64_t ofport;

        ds_put_format(text, "            Interface %s\n", inames[i]);
        if (!irow) {
            json_array_append_new(jifs, ji);
            continue;
        }
        if (type && strcmp(type, "system")) {
            ds_put_format(text, "                type: %s\n", type);
        }
        show_column(db, "Interface", inames[i], "options", 16, text);
        show_representor(s, inames[i], text, ji);
        show_status(s, inames[i], text, ji);
        if (error) {
            ds_put_cstr(text, "                error: ");
            format_error_value(error, text);
            ds_put_char(text, '\n');
            json_object_set_new(ji, "error", json_string(error));
        }
        json_object_set_new(ji, "type", json_string(type ? type : "system"));
        if (ft_db_row_int(irow, "ofport", &ofport)) {
            json_object_set_new(ji, "ofport", json_integer(ofport));
        }
        json_object_set_new(ji, "options", datum_to_json(
                                ft_db_row_get(irow, "options"), true,
                                false));
        json_array_append_new(jifs, ji);
    }
    free(inames);
    json_object_set_new(jp, "interfaces", jifs);
    return jp;
}

int
srv_show(json_t *params, json_t **result, struct ft_error *err, void *s_)
{
    struct ft_server *s = s_;
    struct ds text = DS_EMPTY_INITIALIZER;
    json_t *bridges = json_array();
    const struct ft_db_row *row;
    size_t idx;

    FT_DB_FOR_EACH (row, idx, s->db, FT_DB_BRIDGE) {
        const char *name = ft_db_row_name(row);
        const char *fail_mode = ft_db_row_string(row, "fail_mode");
        const struct ft_db_datum *ports = ft_db_row_get(row, "ports");
        const char **pnames = sorted_names(ports);
        json_t *jb = json_pack("{s:s}", "name", name);
        json_t *jports = json_array();

        ds_put_format(&text, "    Bridge %s\n", name);
        if (fail_mode) {
            ds_put_format(&text, "        fail_mode: %s\n", fail_mode);
            json_object_set_new(jb, "fail_mode", json_string(fail_mode));
        }
        if (!srv_bridge_find(s, name)) {
            ds_put_cstr(&text, "        error: \"not running\"\n");
        }
        json_object_set_new(jb, "running",
                            json_boolean(srv_bridge_find(s, name)));
        for (size_t i = 0; i < ports->n; i++) {
            json_array_append_new(jports, show_port(s, pnames[i], &text));
        }
        free(pnames);
        json_object_set_new(jb, "ports", jports);
        json_array_append_new(bridges, jb);
    }
    *result = srv_text_result(&text, json_pack("{s:o}", "bridges", bridges));
    return 0;
}

/* opening-ports [PORTS]: the ports whose device is opening in the
 * background (the CLI waits for them after a write), and the error of
 * each of the interfaces 'ports' that has one. */
int
srv_opening_ports(json_t *params, json_t **result, struct ft_error *err,
                  void *s_)
{
    struct ft_server *s = s_;
    json_t *asked = json_object_get(params, "ports");
    json_t *opening = opening_names(s), *errors = json_object();
    struct ds text = DS_EMPTY_INITIALIZER;
    size_t i;
    json_t *v;

    (void) err;
    json_array_foreach(opening, i, v) {
        ds_put_format(&text, "%s\n", json_string_value(v));
    }
    json_array_foreach(asked, i, v) {
        const char *why = srv_iface_error(s, json_string_value(v));

        if (why) {
            json_object_set_new(errors, json_string_value(v),
                                json_string(why));
        }
    }
    *result = srv_text_result(&text, json_pack("{s:o, s:o}", "opening",
                                               opening, "errors", errors));
    return 0;
}

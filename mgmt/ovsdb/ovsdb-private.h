/*
 * ovsdb-private.h - internals shared by the OVSDB endpoint's files:
 * ovsdb-datum.c (schema, values, conditions, mutations), ovsdb-txn.c (the
 * "transact" operations), ovsdb-view.c (FlowTier's database seen as
 * Open_vSwitch tables, and changes to it turned back into configuration
 * writes), ovsdb-monitor.c (monitors and their updates), ovsdb-server.c
 * (sockets, connections, methods), ovsdb-jsonrpc.c (framing).  Not for
 * use outside mgmt/ovsdb/.
 *
 * A "view" is a JSON object {TABLE: {UUID: ROW}} holding every table of
 * the schema; a ROW is {COLUMN: DATUM} with every column of its table.
 * DATUMs are kept canonical, so that json_equal() compares values: a
 * column of exactly one value holds the bare atom; other columns hold
 * ["set", [ATOM...]] or ["map", [[KEY, VALUE]...]] with the atoms sorted
 * (ov_atom_cmp()).  Atoms are JSON integers, reals, booleans, strings, or
 * ["uuid", "…"].
 *
 * OVSDB errors are JSON objects {"error": TAG, "details": TEXT} with
 * Open vSwitch's tags ("syntax error", "constraint violation", ...);
 * functions that can fail return such an object (a new reference) or NULL.
 */
#ifndef FLOWTIER_MGMT_OVSDB_PRIVATE_H
#define FLOWTIER_MGMT_OVSDB_PRIVATE_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/ds.h"
#include "flowtier/error.h"

struct ft_db;

#define OV_DB_NAME "Open_vSwitch"
#define OV_UNLIMITED UINT32_MAX

/* ovsdb-schema-text.c */
extern const char ft_ovsdb_schema_text[];

/* ---- Schema (ovsdb-schema.c). ---- */

enum ov_atype { OV_INTEGER, OV_REAL, OV_BOOLEAN, OV_STRING, OV_UUID };

struct ov_base {
    enum ov_atype type;
    const json_t *enums;        /* Canonical set of allowed atoms, or NULL. */
    int64_t min_int, max_int;
    double min_real, max_real;
    const char *ref_table;      /* OV_UUID referring to a table, or NULL. */
    bool weak;                  /* refType "weak". */
};

struct ov_column {
    const char *name;
    struct ov_base key, value;
    bool is_map;                /* 'value' is meaningful. */
    uint32_t min, max;          /* Number of elements; OV_UNLIMITED. */
    bool mutable_;
    json_t *type_json;          /* The schema's "type", for messages. */
};

struct ov_table {
    const char *name;
    struct ov_column *columns;
    size_t n_columns;
    bool is_root;
    size_t max_rows;            /* 0: unlimited. */
    json_t *indexes;            /* Array of arrays of column names. */
};

struct ov_schema {
    json_t *json;               /* As served by get_schema. */
    struct ov_table *tables;
    size_t n_tables;
};

/* Parses the schema text.  Returns 0 or -EINVAL with 'err' saying why. */
int ov_schema_create(const char *text, struct ov_schema **sp,
                     struct ft_error *err);
void ov_schema_destroy(struct ov_schema *);
const struct ov_table *ov_schema_table(const struct ov_schema *,
                                       const char *name);
const struct ov_column *ov_table_column(const struct ov_table *,
                                        const char *name);
/* The pseudo-columns "_uuid" and "_version" (uuid scalars). */
const struct ov_column *ov_uuid_column(void);

/* UUIDs (ovsdb-schema.c).  ov_uuid_hash() fills 'buf' (37 bytes) with a
 * UUID made from hashing 'a' and 'b' (the same inputs, the same UUID);
 * ov_uuid_atom() returns ["uuid", 'uuid']. */
json_t *ov_uuid_atom(const char *uuid);
void ov_uuid_hash(const char *a, const char *b, char buf[37]);
void ov_uuid_random(char buf[37]);
bool ov_uuid_valid(const char *);

/* ---- Values (ovsdb-datum.c). ---- */

/* A new error object {"error": 'tag', "details": ...}. */
json_t *ov_error(const char *tag, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Orders atoms (and map pairs, by key then value). */
int ov_atom_cmp(const json_t *a, const json_t *b);

/* Parses wire datum 'j' of column 'col' into canonical '*out'.  'symtab'
 * (object: uuid-name -> uuid string) resolves ["named-uuid", NAME]; may be
 * NULL.  'relaxed' skips the element-count check (conditions, mutation
 * arguments). */
json_t *ov_datum_parse(const struct ov_column *col, const json_t *j,
                       const json_t *symtab, bool relaxed, json_t **out);
json_t *ov_datum_default(const struct ov_column *col);
bool ov_datum_is_default(const struct ov_column *col, const json_t *d);
/* The elements of canonical datum 'd' as an array (borrowed for sets and
 * maps; for a scalar, a new one-element array the caller must release:
 * use ov_elems_release()). */
json_t *ov_elems(const struct ov_column *col, const json_t *d);
void ov_elems_release(const struct ov_column *col, json_t *elems);
/* Builds a canonical datum from the array 'elems' (reference taken). */
json_t *ov_datum_from_elems(const struct ov_column *col, json_t *elems);
/* update2's "modify" form of a column that went from 'old' to 'new'. */
json_t *ov_datum_diff(const struct ov_column *col, const json_t *old,
                      const json_t *new);
/* Checks the element count of 'd'. */
json_t *ov_datum_check_count(const struct ov_column *col, const json_t *d);

/* ---- Conditions and mutations (ovsdb-datum.c). ---- */

/* Parses "where" 'j' against 'table' into '*out' (an array of
 * [COLUMN, FUNCTION, DATUM] with canonical datums, or true/false). */
json_t *ov_where_parse(const struct ov_table *table, const json_t *j,
                       const json_t *symtab, json_t **out);
bool ov_where_eval(const struct ov_table *table, const json_t *where,
                   const char *uuid, const json_t *row);
/* Applies "mutations" 'j' to 'row' (modified in place). */
json_t *ov_mutate_row(const struct ov_table *table, const json_t *j,
                      const json_t *symtab, json_t *row);

/* ---- Rows. ---- */

/* Value of 'col' in 'row' ("_uuid" and "_version" included). */
json_t *ov_row_get(const json_t *row, const char *uuid, const char *col);
/* A row of 'table' with every column at its default. */
json_t *ov_row_default(const struct ov_table *table);

/* ---- Transactions (ovsdb-txn.c). ---- */

/* How a transaction names the rows it inserts: 'uuid_for' fills 'buf'
 * with the UUID of a new row of 'table' (FlowTier derives it from the
 * row's name).  When a new row takes over the UUID of a row the commit
 * removed, 'reinserted' (may be NULL) may carry columns the server owns
 * from 'old' to 'new'. */
struct ov_txn_hooks {
    void (*uuid_for)(const struct ov_table *table, const json_t *row,
                     char buf[37]);
    void (*reinserted)(const struct ov_table *table, const json_t *old,
                       json_t *new);
};

/* Runs the operations 'ops' (the "transact" params after the database
 * name) on 'view', which is modified in place (the caller passes a copy
 * and keeps the original to compare).  Returns the result array and sets
 * '*ok' when every operation succeeded and the references are whole
 * (garbage collected, checked).  A failed operation's error takes its
 * place in the array, later ones are null.  'recreated' (may be NULL)
 * gets the UUIDs of rows that a committed transaction removed and
 * inserted again under the same UUID (see ov_txn_hooks), as keys. */
json_t *ov_txn_run(const struct ov_schema *, const struct ov_txn_hooks *,
                   json_t *view, const json_t *ops, bool *ok,
                   json_t *recreated);

/* Deletes unreferenced rows of non-root tables, drops dangling weak
 * references and checks strong ones and the indexes.  Returns an error
 * object or NULL. */
json_t *ov_txn_check(const struct ov_schema *, json_t *view);

/* ---- FlowTier's database as a view (ovsdb-view.c). ---- */

struct ov_cfg {
    int64_t next_cfg, cur_cfg;
};

/* The view of 'db' and 'cfg'.  'status' (may be NULL) is the running
 * switch's {INTERFACE-NAME: {COLUMN: VALUE}} for the Interface table's
 * status columns (admin_state, error, ifindex, link_state, mac_in_use,
 * mtu, statistics; a map as a JSON object); an interface it does not name
 * keeps their defaults. */
json_t *ov_view_build(const struct ov_schema *, const struct ft_db *db,
                      const struct ov_cfg *cfg, const json_t *status);
/* Copies the status columns (set by FlowTier, not by clients) of 'old'
 * to 'new', a row inserted again under the same name, where the client
 * left them at their defaults. */
void ov_view_reinserted(const struct ov_table *, const json_t *old,
                        json_t *new);
void ov_view_uuid_for(const struct ov_table *, const json_t *row,
                      char buf[37]);
/* Turns the change from 'old' to 'new' into FlowTier configuration
 * commands (the daemon's "transact" form) in '*commands' and the new
 * counters in '*cfg'.  The rows whose UUIDs are keys of 'recreated' (may
 * be NULL; from ov_txn_run()) were deleted and inserted again: a bridge
 * or port among them is deleted and added, not changed in place.
 * Returns an error object naming what FlowTier cannot apply, or NULL. */
json_t *ov_view_commands(const struct ov_schema *, const json_t *old,
                         const json_t *new, const json_t *recreated,
                         json_t **commands, struct ov_cfg *cfg);

/* ---- Monitors (ovsdb-monitor.c). ---- */

/* Parses the monitor requests 'reqs' ("monitor" when 'version' is 1,
 * "monitor_cond" 2, "monitor_cond_since" 3) into '*mon'. */
json_t *ov_monitor_parse(const struct ov_schema *, int version,
                         const json_t *reqs, json_t **mon);
/* The rows monitor 'mon' starts with, in its version's update form. */
json_t *ov_monitor_initial(const struct ov_schema *, const json_t *mon,
                           const json_t *view);
/* What monitor 'mon' learns from the change 'old' -> 'new', or NULL if
 * nothing it watches changed. */
json_t *ov_monitor_updates(const struct ov_schema *, const json_t *mon,
                           const json_t *old, const json_t *new);

/* ---- Framing and requests (ovsdb-jsonrpc.c). ---- */

/* Splits a byte stream into JSON texts (objects or arrays), as OVSDB
 * peers send them back to back without separators. */
struct ov_splitter {
    struct ds buf;
    size_t start;               /* First byte of the pending text. */
    size_t pos;                 /* Next byte to scan. */
    int depth;
    bool in_string, escape;
    size_t max_msg;
};

void ov_splitter_init(struct ov_splitter *, size_t max_msg);
void ov_splitter_uninit(struct ov_splitter *);
void ov_splitter_feed(struct ov_splitter *, const void *, size_t);
/* Returns 1 with the next complete text in '*msg' ('*len' bytes, valid
 * until the next call), 0 when none is complete, -EPROTO when the stream
 * holds something that is not an object or array (err says where), or
 * -EMSGSIZE when a text exceeds the limit. */
int ov_splitter_next(struct ov_splitter *, const char **msg, size_t *len,
                     struct ft_error *err);

/* A JSON-RPC 1.0 message. */
struct ov_msg {
    enum { OV_REQUEST, OV_NOTIFY, OV_REPLY } type;
    const char *method;         /* Requests and notifications. */
    json_t *params;             /* Borrowed from the parsed text. */
    json_t *id;                 /* Borrowed; NULL for notifications. */
};

/* Classifies 'j'.  Returns 0, or -EINVAL with 'err' saying what is
 * wrong. */
int ov_msg_parse(json_t *j, struct ov_msg *msg, struct ft_error *err);

#endif /* mgmt/ovsdb/ovsdb-private.h */

/*
 * db.h - FlowTier's persistent configuration database.
 *
 * What?
 * =====
 *
 * The database holds what must survive a restart of flowtierd: bridges,
 * their ports and interfaces, and (unless a bridge says otherwise) the
 * bridge's OpenFlow flows.  Three tables, named and shaped as Open vSwitch
 * users know them from ovs-vsctl:
 *
 *   Bridge     name, fail_mode, other_config, external_ids, flows_persist,
 *              ports (names of Port rows, in order), flows (canonical flow
 *              text, one rule per element, in the order they were added).
 *   Port       name, tag, trunks, vlan_mode, interfaces (names of Interface
 *              rows), external_ids.
 *   Interface  name, type, ofport_request, ofport, options, external_ids.
 *
 * Every row is identified by its 'name', unique within its table (a bridge
 * and its local port share a name, as in OVS).  The column table
 * (ft_db_schema()) gives each column's type and constraints; it drives the
 * validation of every write and the ovs-vsctl-style verbs below.
 *
 * Values are written in ovs-vsctl syntax: "tag=10", "tag=[]",
 * "trunks=[10,20]" or "trunks=10,20", "external-ids:vm-id=vm1",
 * "other_config={max-idle=5000, flow-limit=1000}", "fail_mode=secure".
 * Strings may be double-quoted with JSON escapes.  In column names '-' and
 * '_' are the same character; table names ignore case.
 *
 * Transactions
 * ============
 *
 * Every change goes through a transaction: ft_db_txn_begin(), any number
 * of write calls, then ft_db_txn_commit() or ft_db_txn_abort().  At most
 * one transaction is open per database.  A write is applied to the
 * in-memory rows at once (so reads made while the transaction is open see
 * it), and undone if the transaction does not commit.  When any write in a
 * transaction fails, the transaction is poisoned: later writes return the
 * same error without doing anything, and commit rolls everything back and
 * returns that error.  So a transaction is all or nothing.
 *
 * At commit the database also keeps its references whole, as OVSDB does:
 * Port and Interface rows that no Bridge (resp. Port) refers to any more
 * are deleted; a reference to a missing row, a row referred to twice, or a
 * Port without an interface fails the commit with a reason; and every
 * interface of a bridge gets an 'ofport' (its 'ofport_request' when free,
 * else the lowest free number; the bridge's own local interface gets
 * 65534, OFPP_LOCAL).
 *
 * Durability
 * ==========
 *
 * A database is a directory holding 'flowtier.db', a write-ahead journal
 * of JSON lines.  The first line is a snapshot of the whole state; each
 * later line is one committed transaction:
 *
 *   {"crc":"1c291ca3","txn":{"seq":7,"ops":[...]}}
 *
 * 'crc' is the CRC-32 of the bytes of the "txn" value.  ft_db_txn_commit()
 * returns 0 only after the line has been written and fsync'ed: a caller
 * may acknowledge a change to its own client as soon as commit returns 0,
 * and the change then survives a crash of the process or the machine.
 *
 * On open the journal is replayed.  A torn or corrupt tail (a last line
 * without its newline, bad JSON, a checksum mismatch, a sequence gap) is
 * cut off: the file is truncated after the last good transaction, and a
 * warning saying how many bytes were dropped and why is returned.  A
 * database therefore always opens as the state after some prefix of the
 * committed transactions, never a half-applied one.  A first line that is
 * complete but damaged (the snapshot) is not cut: the open fails, since
 * cutting it would throw the whole database away.
 *
 * When the transactions after the snapshot grow past a threshold (see
 * 'struct ft_db_options'), the journal is compacted: the state is written
 * to 'flowtier.db.tmp', fsync'ed, renamed over 'flowtier.db', and the
 * directory is fsync'ed, so a crash leaves either the old or the new file.
 * 'flowtier.db.lock' (flock) keeps a second process from opening the same
 * database.
 *
 * Errors
 * ======
 *
 * Functions return 0 or a negative errno and, when 'err' is nonnull, fill
 * it with a reason a person can act on:
 *   -EINVAL  bad input: unknown table or column ('unknown table "Foo"'),
 *            bad value ('Port vnet0 column tag: 5000 is not in the valid
 *            range 0 to 4095 (inclusive)'), read-only column, broken
 *            references at commit; a journal that is not a FlowTier
 *            database.
 *   -ENOENT  no such row, map key, list element or database directory.
 *   -EEXIST  add_br/add_port of a name already in use.
 *   -EBUSY   a transaction is already open; the database is locked by
 *            another process.
 *   other    I/O errors from the journal (-EIO, -ENOSPC, ...).
 *
 * Thread safety: none.  One thread (the daemon's main loop) owns a
 * 'struct ft_db' and everything obtained from it.
 */
#ifndef FLOWTIER_MGMT_DB_H
#define FLOWTIER_MGMT_DB_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/ds.h"
#include "flowtier/error.h"

struct ft_db;
struct ft_db_txn;
struct ft_db_row;

/* ---- Schema. ---- */

enum ft_db_table {
    FT_DB_BRIDGE,
    FT_DB_PORT,
    FT_DB_INTERFACE,
    FT_DB_N_TABLES
};

enum ft_db_type {
    FT_DB_STRING,       /* 's'. */
    FT_DB_INT,          /* 'i', within [min, max]. */
    FT_DB_BOOL,         /* 'b'. */
    FT_DB_ENUM,         /* 's', one of 'enum_values'. */
    FT_DB_MAP,          /* 'strs' (keys, sorted, unique) -> 'values'. */
    FT_DB_INT_SET,      /* 'ints', sorted, unique, within [min, max]. */
    FT_DB_LIST,         /* 'strs', ordered (row names, flow text). */
};

/* What a map key's value must be. */
enum ft_db_key_type {
    FT_DB_KEY_INT,              /* An integer in [min, max]. */
    FT_DB_KEY_STRING,           /* A string the bridge checks before the
                                 * commit (hw-offload, tier-order). */
};

/* A map key the software reads (other_config:max-idle and friends), and
 * what its value must be.  Integer ranges are checked on every load; keys
 * a column with 'closed_keys' does not know are refused when written (a
 * journal written before that check still loads). */
struct ft_db_key_rule {
    const char *key;
    int64_t min, max;
    enum ft_db_key_type type;
    bool write_only;            /* Checked on writes only: a journal from
                                 * before the check may hold anything. */
};

struct ft_db_column {
    const char *name;
    enum ft_db_type type;
    bool optional;              /* Scalar that may be empty ("[]"). */
    bool read_only;             /* Not writable through set/clear/etc. */
    int64_t min, max;           /* FT_DB_INT and FT_DB_INT_SET. */
    const char *const *enum_values;     /* FT_DB_ENUM, NULL-terminated. */
    const char *default_value;  /* Required scalars, ovs-vsctl syntax. */
    bool is_ref;                /* FT_DB_LIST of names of 'ref_table'. */
    enum ft_db_table ref_table;
    const struct ft_db_key_rule *key_rules;  /* FT_DB_MAP; ends at NULL. */
    bool closed_keys;           /* Keys not in 'key_rules' are refused. */
};

struct ft_db_table_schema {
    const char *name;           /* "Bridge", "Port", "Interface". */
    const struct ft_db_column *columns;  /* columns[0] is "name". */
    size_t n_columns;
};

/* Returns the schema of 'table'.  Static data, never freed. */
const struct ft_db_table_schema *ft_db_schema(enum ft_db_table table);

/* Looks up a table by name, ignoring case.  Returns 0 or -EINVAL. */
int ft_db_table_from_name(const char *name, enum ft_db_table *table,
                          struct ft_error *err);

/* One column's value.  Scalars use 'present' (false = empty) and one of
 * 's', 'i', 'b'; collections use 'n' elements of 'strs'/'values' (maps,
 * lists) or 'ints' (int sets) and have 'present' true.  Owned by the row;
 * read-only for callers. */
struct ft_db_datum {
    bool present;
    char *s;
    int64_t i;
    bool b;
    size_t n, allocated;
    char **strs;
    char **values;
    int64_t *ints;
};

/* ---- Opening and closing. ---- */

struct ft_db_options {
    /* Compact when the transactions after the snapshot number at least
     * 'compact_records' (default 1000) or take at least 'compact_bytes'
     * (default 16 MiB), and in either case at least half the size of the
     * snapshot (so a large flow table is not rewritten for every few
     * flows).  0 means the default. */
    size_t compact_records;
    size_t compact_bytes;

    /* Skip fsync.  Only for throwaway databases (tests that open many
     * copies); a commit is then not durable across a machine crash. */
    bool no_fsync;

    /* Open for reading only, as the CLI does when no daemon runs: a
     * shared lock instead of an exclusive one, nothing written (a damaged
     * tail is skipped, not cut), and ft_db_txn_begin() refuses with
     * -EROFS.  A read-write open that finds the lock taken waits up to 2 s
     * for it, so that a reader never makes a daemon fail to start; a
     * read-only open that finds it taken exclusively fails with -EBUSY at
     * once (a daemon holds the database: ask it). */
    bool read_only;
};

/* Messages about recoveries made while opening (a cut tail, an empty
 * journal).  Owned by the caller; release with ft_db_warnings_destroy(). */
struct ft_db_warnings {
    char **msgs;
    size_t n;
};

void ft_db_warnings_destroy(struct ft_db_warnings *);

/* Opens the database in directory 'dir', creating an empty one if the
 * directory exists and holds no journal, and replays it.  'opts' may be
 * NULL for defaults.  'warnings' may be NULL; if not, it is initialized
 * and receives one message per recovery.  On success returns 0 and stores
 * a database in '*dbp' that the caller must ft_db_close().  On failure
 * '*dbp' is NULL and 'err' says why: -ENOENT (no directory), -ENOTDIR,
 * -EBUSY (locked by another process), -EINVAL (not a FlowTier journal, or
 * a corrupt snapshot), or an I/O error. */
int ft_db_open(const char *dir, const struct ft_db_options *opts,
               struct ft_db **dbp, struct ft_db_warnings *warnings,
               struct ft_error *err);

/* Closes 'db', aborting an open transaction.  NULL is a no-op. */
void ft_db_close(struct ft_db *db);

/* Sequence number of the last committed transaction (0 for a new
 * database).  Compaction keeps it. */
uint64_t ft_db_seq(const struct ft_db *db);

/* Compacts the journal now (see above).  Returns 0 or a negative errno;
 * the database stays usable either way.  -EBUSY inside a transaction. */
int ft_db_compact(struct ft_db *db, struct ft_error *err);

/* ---- Transactions. ---- */

/* Starts a transaction on 'db'.  Returns 0 and '*txnp', or -EBUSY if one
 * is already open, or the error that broke the journal (see commit). */
int ft_db_txn_begin(struct ft_db *db, struct ft_db_txn **txnp,
                    struct ft_error *err);

/* Commits 'txn' and frees it.  Returns 0 once the transaction is on disk
 * (fsync'ed).  On failure nothing of the transaction remains, in memory
 * or on disk, and 'err' says why (the first failed write, a broken
 * reference, or an I/O error).  After an fsync failure the journal's
 * state is unknown, so further transactions fail with -EIO until the
 * database is reopened.  A transaction that changed nothing writes
 * nothing. */
int ft_db_txn_commit(struct ft_db_txn *txn, struct ft_error *err);

/* Undoes and frees 'txn'.  NULL is a no-op. */
void ft_db_txn_abort(struct ft_db_txn *txn);

/* ---- ovs-vsctl-style writes, inside a transaction. ----
 *
 * 'argv' holds 'argc' words as on the ovs-vsctl command line after the
 * verb; e.g. for "set Port vnet0 tag=10 trunks=[]" argv is {"Port",
 * "vnet0", "tag=10", "trunks=[]"}.  The strings are only read. */

/* TABLE RECORD COLUMN[:KEY]=VALUE...  Sets columns, or map keys. */
int ft_db_set(struct ft_db_txn *txn, int argc, const char *const *argv,
              struct ft_error *err);

/* TABLE RECORD COLUMN...  Empties maps, sets, lists and optional scalars;
 * resets required scalars with a default to that default. */
int ft_db_clear(struct ft_db_txn *txn, int argc, const char *const *argv,
                struct ft_error *err);

/* TABLE RECORD COLUMN VALUE...  Adds elements to a set or list, or
 * KEY=VALUE pairs to a map (an existing key keeps its value, as in
 * ovs-vsctl). */
int ft_db_add(struct ft_db_txn *txn, int argc, const char *const *argv,
              struct ft_error *err);

/* TABLE RECORD COLUMN VALUE...  Removes elements from a set or list, or
 * keys (KEY, or KEY=VALUE to remove only on that value) from a map.
 * Absent elements are not an error, as in ovs-vsctl. */
int ft_db_remove(struct ft_db_txn *txn, int argc, const char *const *argv,
                 struct ft_error *err);

/* ---- Topology and flows, inside a transaction. ---- */

/* Creates bridge 'br' with its local port and internal interface, both
 * also named 'br'.  -EEXIST if a bridge or port of that name exists. */
int ft_db_add_br(struct ft_db_txn *txn, const char *br, struct ft_error *);

/* Deletes bridge 'br' with its ports and interfaces.  -ENOENT if none. */
int ft_db_del_br(struct ft_db_txn *txn, const char *br, struct ft_error *);

/* Adds port 'port' with one interface of the same name and type 'type'
 * (NULL for "system") to bridge 'br'.  -EEXIST if the port or interface
 * name is taken, -ENOENT if 'br' does not exist. */
int ft_db_add_port(struct ft_db_txn *txn, const char *br, const char *port,
                   const char *type, struct ft_error *);

/* Removes port 'port' (and its interfaces) from bridge 'br', or from
 * whichever bridge has it when 'br' is NULL.  -ENOENT if not found. */
int ft_db_del_port(struct ft_db_txn *txn, const char *br, const char *port,
                   struct ft_error *);

/* Appends 'flow' (canonical flow text) to bridge 'br''s flows.  The caller
 * removes a rule the new one replaces; identical text is not merged. */
int ft_db_flow_add(struct ft_db_txn *txn, const char *br, const char *flow,
                   struct ft_error *);

/* Appends the 'n' texts 'flows' to 'br''s flows, in order, as 'n'
 * ft_db_flow_add() would, but as one operation: one short record in the
 * journal however many flows it holds. */
int ft_db_flows_add(struct ft_db_txn *txn, const char *br,
                    const char *const *flows, size_t n, struct ft_error *);

/* As ft_db_flows_add(), but takes the texts 'flows' points to: the
 * database keeps them as they are rather than copies, and each element
 * is set to NULL (freed if the operation failed); the array stays the
 * caller's. */
int ft_db_flows_add_take(struct ft_db_txn *txn, const char *br,
                         char **flows, size_t n, struct ft_error *);

/* Removes the first flow of 'br' whose text equals 'flow'.  -ENOENT if
 * there is none. */
int ft_db_flow_del(struct ft_db_txn *txn, const char *br, const char *flow,
                   struct ft_error *);

/* Removes from 'br''s flows one copy of each of the 'n' texts 'flows', as
 * many ft_db_flow_del() would, but in time O(F log n) for F flows rather
 * than O(F * n).  -ENOENT (and nothing removed) if one is missing. */
int ft_db_flows_del(struct ft_db_txn *txn, const char *br,
                    const char *const *flows, size_t n, struct ft_error *);

/* Removes every flow of 'br'. */
int ft_db_flows_clear(struct ft_db_txn *txn, const char *br,
                      struct ft_error *);

/* ---- Reading. ----
 *
 * Rows and data returned are owned by the database and stay valid until
 * the next write or until the transaction that could undo them ends. */

enum ft_db_format {
    FT_DB_FORMAT_LIST,      /* "name                : br0" blocks. */
    FT_DB_FORMAT_JSON,      /* ovs-vsctl --format=json: headings + data. */
};

/* TABLE RECORD COLUMN[:KEY]...  Appends each value to 'out', one per
 * line, in ovs-vsctl syntax ('"5000"' for a map value that looks like a
 * number).  -ENOENT for a missing row or map key. */
int ft_db_get(const struct ft_db *db, int argc, const char *const *argv,
              struct ds *out, struct ft_error *err);

/* TABLE [RECORD...]  Appends every column of the given rows (all rows, by
 * name, when none is given) to 'out' in 'format'. */
int ft_db_list(const struct ft_db *db, int argc, const char *const *argv,
               enum ft_db_format format, struct ds *out,
               struct ft_error *err);

/* Appends the whole state as one JSON object, {"Bridge":{"br0":{...}},
 * ...}, to 'out': the same form as the journal's snapshot. */
void ft_db_dump(const struct ft_db *db, struct ds *out);

/* Rows of 'table', sorted by name: indexes 0 to ft_db_n_rows() - 1. */
size_t ft_db_n_rows(const struct ft_db *db, enum ft_db_table table);
const struct ft_db_row *ft_db_row_at(const struct ft_db *db,
                                     enum ft_db_table table, size_t idx);
/* Returns the row named 'name' in 'table', or NULL. */
const struct ft_db_row *ft_db_find(const struct ft_db *db,
                                   enum ft_db_table table, const char *name);

#define FT_DB_FOR_EACH(ROW, IDX, DB, TABLE)                         \
    for ((IDX) = 0;                                                 \
         (IDX) < ft_db_n_rows(DB, TABLE)                            \
         && ((ROW) = ft_db_row_at(DB, TABLE, IDX)) != NULL;         \
         (IDX)++)

enum ft_db_table ft_db_row_table(const struct ft_db_row *row);
const char *ft_db_row_name(const struct ft_db_row *row);

/* Returns the value of 'column' ('-' and '_' alike), or NULL if the table
 * has no such column. */
const struct ft_db_datum *ft_db_row_get(const struct ft_db_row *row,
                                        const char *column);

/* Typed shortcuts.  ft_db_row_string() returns NULL when the column is
 * empty or not a string/enum; ft_db_row_int() returns false (leaving
 * '*value') when it is empty or not an int; ft_db_row_bool() returns
 * false for a non-bool column; ft_db_row_map_get() returns NULL when the
 * key is absent. */
const char *ft_db_row_string(const struct ft_db_row *, const char *column);
bool ft_db_row_int(const struct ft_db_row *, const char *column,
                   int64_t *value);
bool ft_db_row_bool(const struct ft_db_row *, const char *column);
const char *ft_db_row_map_get(const struct ft_db_row *, const char *column,
                              const char *key);

/* Largest OpenFlow port number an interface may get. */
#define FT_DB_OFPORT_MAX 65279

/* Computes the OpenFlow port numbers that a commit gives the 'n'
 * interfaces 'ifaces' of bridge 'br_name', in the order given, into
 * 'ofports': the bridge's own interface gets 65534 (OFPP_LOCAL); then each
 * free 'ofport_request' is granted; then interfaces keep a free 'ofport'
 * they already have; the rest get the lowest free numbers (0 when none is
 * left).  The commit applies exactly this; the daemon calls it to learn
 * the numbers before committing. */
void ft_db_plan_ofports(const char *br_name,
                        const struct ft_db_row *const *ifaces, size_t n,
                        int64_t *ofports);

/* Returns the bridge holding port 'port', or NULL. */
const struct ft_db_row *ft_db_port_bridge(const struct ft_db *db,
                                          const char *port);
/* Returns the port holding interface 'iface', or NULL. */
const struct ft_db_row *ft_db_iface_port(const struct ft_db *db,
                                         const char *iface);

#endif /* mgmt/db/db.h */

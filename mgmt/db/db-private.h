/*
 * db-private.h - internals shared by the configuration database's files:
 * db-schema.c (column types, values and their syntaxes), db.c (rows,
 * operations, transactions), db-vsctl.c (the ovs-vsctl verbs) and
 * db-journal.c (the write-ahead journal).  Not for use outside mgmt/db*.c.
 */
#ifndef FLOWTIER_MGMT_DB_PRIVATE_H
#define FLOWTIER_MGMT_DB_PRIVATE_H 1

#include <jansson.h>
#include <sys/types.h>

#include "mgmt/db/db.h"

#define DB_JOURNAL_NAME "flowtier.db"
#define DB_TMP_NAME     "flowtier.db.tmp"
#define DB_LOCK_NAME    "flowtier.db.lock"

struct ft_db_row {
    enum ft_db_table table;
    struct ft_db_datum cols[];  /* One per schema column; cols[0] = name. */
};

struct db_table {
    struct ft_db_row **rows;    /* Sorted by name. */
    size_t n, allocated;
};

struct db_journal {
    char *dir;
    char *path;                 /* dir/flowtier.db */
    char *tmp_path;             /* dir/flowtier.db.tmp */
    int fd;                     /* Journal, open for appending; or -1. */
    int lock_fd;                /* dir/flowtier.db.lock, flock'ed. */
    off_t size;                 /* Bytes of good records. */
    off_t snapshot_size;        /* Bytes of the first line. */
    size_t n_records;           /* Transaction lines after the snapshot. */
    int broken;                 /* Negative errno after a failed sync. */
};

struct ft_db {
    struct db_table tables[FT_DB_N_TABLES];
    struct ft_db_options opts;
    uint64_t seq;
    struct ft_db_txn *txn;      /* The open transaction, or NULL. */
    struct db_journal journal;
};

/* A transaction: the operations it applied and how to undo them. */
enum db_undo_kind {
    DB_UNDO_INSERT,     /* Row 'name' was inserted: remove it. */
    DB_UNDO_DELETE,     /* 'row' was removed: put it back. */
    DB_UNDO_COLUMN,     /* Column 'col' of 'name' was 'old'. */
    DB_UNDO_LIST_ADD,   /* Element 'idx' of list 'col' was added. */
    DB_UNDO_LIST_DEL,   /* Element 'idx' of list 'col', 'str', was removed. */
    DB_UNDO_LIST_EXTEND,        /* Elements 'idx' and on of list 'col' were
                                 * appended. */
    DB_UNDO_MAP,        /* Key 'str' of map 'col' had value 'value' (NULL:
                         * it was absent).  One entry, not the whole map: a
                         * map of n keys costs O(log n) per change, so
                         * replaying a journal of n changes to one map is
                         * not quadratic. */
};

struct db_undo {
    enum db_undo_kind kind;
    enum ft_db_table table;
    char *name;
    struct ft_db_row *row;
    size_t col, idx;
    struct ft_db_datum old;
    char *str;
    char *value;
};

struct ft_db_txn {
    struct ft_db *db;
    struct ds ops;              /* The operations applied that changed
                                 * data, as the journal record's "ops"
                                 * elements: compact JSON objects, comma
                                 * separated. */
    size_t n_ops;
    struct db_undo *undo;
    size_t n_undo, allocated;
    struct ft_error error;      /* First failure; poisons the txn. */
    bool replay;                /* Loading the journal, not a new write. */
};

/* db.c, for db-vsctl.c. */
const char *db_table_name(enum ft_db_table);
struct ft_db_row *db_row_find(const struct ft_db *, enum ft_db_table,
                              const char *name);
json_t *db_op_new(const char *op, enum ft_db_table, const char *row,
                  const struct ft_db_column *);
int db_op_error(struct ft_error *, int code, enum ft_db_table,
                const char *row, const struct ft_db_column *,
                const struct ft_error *inner);
int db_apply_op(struct ft_db_txn *, json_t *op, struct ft_error *);
/* Appends the strings 'strs' to list column 'col' of row 'name' of table
 * 't' as one "list_extend" operation, taking their ownership whatever
 * the outcome (each element is set to NULL; the array stays the
 * caller's).  Printable ASCII strings (flow texts) are moved into the
 * row as they are and written into the journal record directly rather
 * than built as JSON; others take db_apply_op()'s way.  Returns 0 or a
 * negative errno with 'err'. */
int db_apply_list_extend(struct ft_db_txn *, enum ft_db_table t,
                         const char *name, const struct ft_db_column *col,
                         char **strs, size_t n, struct ft_error *err);
int db_txn_fail(struct ft_db_txn *, int error, const struct ft_error *,
                struct ft_error *);
int db_txn_poisoned(const struct ft_db_txn *, struct ft_error *);

/* db-schema.c. */
const struct ft_db_column *db_column_find(enum ft_db_table, const char *name,
                                          size_t *idx);
void db_datum_init(struct ft_db_datum *);
void db_datum_init_default(struct ft_db_datum *, const struct ft_db_column *);
void db_datum_destroy(struct ft_db_datum *);
void db_datum_clone(struct ft_db_datum *dst, const struct ft_db_datum *src);
void db_datum_swap(struct ft_db_datum *, struct ft_db_datum *);
bool db_datum_equal(const struct ft_db_datum *, const struct ft_db_datum *,
                    const struct ft_db_column *);
int db_datum_check(const struct ft_db_column *, const struct ft_db_datum *,
                   struct ft_error *);
int db_datum_parse(const struct ft_db_column *, const char *text,
                   struct ft_db_datum *, struct ft_error *);
int db_atom_parse_string(const char *text, char **out, struct ft_error *);
int db_atom_parse_int(const struct ft_db_column *, const char *text,
                      int64_t *out, struct ft_error *);
int db_map_value_check(const struct ft_db_column *, const char *key,
                       const char *value, struct ft_error *);

/* The checks a write makes of map key 'key': db_map_value_check()'s and,
 * for a column with 'closed_keys', that the key is known (the message
 * lists those that are).  Not applied when a journal is replayed. */
int db_map_key_check(const struct ft_db_column *, const char *key,
                     const char *value, struct ft_error *);
void db_datum_format(const struct ft_db_column *, const struct ft_db_datum *,
                     struct ds *);
void db_string_format(const char *, struct ds *);
json_t *db_datum_to_json(const struct ft_db_column *,
                         const struct ft_db_datum *);
int db_datum_from_json(const struct ft_db_column *, const json_t *,
                       struct ft_db_datum *, struct ft_error *);
json_t *db_datum_to_ovsdb_json(const struct ft_db_column *,
                               const struct ft_db_datum *);

/* Collections.  Map and set lookups are binary searches. */
bool db_map_find(const struct ft_db_datum *, const char *key, size_t *idx);
void db_map_insert(struct ft_db_datum *, size_t idx, char *key, char *value);
void db_map_remove(struct ft_db_datum *, size_t idx);
bool db_set_find(const struct ft_db_datum *, int64_t, size_t *idx);
void db_set_insert(struct ft_db_datum *, size_t idx, int64_t);
void db_set_remove(struct ft_db_datum *, size_t idx);
void db_list_insert(struct ft_db_datum *, size_t idx, char *);
void db_list_remove(struct ft_db_datum *, size_t idx);

/* db.c, for the journal. */
void db_warn(struct ft_db_warnings *, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
json_t *db_state_to_json(const struct ft_db *);
int db_state_load(struct ft_db *, const json_t *state,
                  struct ft_db_warnings *, struct ft_error *);
int db_ops_replay(struct ft_db *, const json_t *ops, struct ft_error *);
void db_state_clear(struct ft_db *);

/* db-journal.c. */
uint32_t db_crc32(const void *, size_t);
int db_journal_open(struct ft_db *, const char *dir,
                    struct ft_db_warnings *, struct ft_error *);
/* Appends 'record' as one journal line and syncs it.  'record' holds
 * DB_RECORD_HEAD_LEN bytes of room, then the record's JSON text; this
 * fills in the room and adds the line's end. */
#define DB_RECORD_HEAD_LEN 24
int db_journal_append(struct ft_db *, struct ds *record, struct ft_error *);
int db_journal_compact(struct ft_db *, struct ft_error *);
bool db_journal_should_compact(const struct ft_db *);
void db_journal_close(struct ft_db *);

#endif /* mgmt/db/db-private.h */

/*
 * db-journal.c - the configuration database's write-ahead journal.
 *
 * One file, 'flowtier.db', of JSON lines; see the "Durability" section of
 * db.h for the format and the guarantees.  This file does all of the
 * database's I/O: it locks the directory, replays the journal into the
 * rows held by db.c (cutting a torn or corrupt tail), appends and fsyncs
 * one line per committed transaction, and compacts the journal into a
 * snapshot with the write-temp, fsync, rename, fsync-directory sequence.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgmt/db/db-private.h"

/* {"crc":"xxxxxxxx","txn":PAYLOAD}\n */
#define LINE_HEAD "{\"crc\":\""
#define LINE_MID "\",\"txn\":"
#define LINE_HEAD_LEN 8
#define LINE_PAYLOAD_OFS (LINE_HEAD_LEN + 8 + 8)

uint32_t
db_crc32(const void *data_, size_t n)
{
    const uint8_t *data = data_;
    uint32_t crc = 0xffffffff;

    for (size_t i = 0; i < n; i++) {
        crc ^= data[i];
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
        }
    }
    return ~crc;
}

static char *
path_join(const char *dir, const char *name)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    ds_put_format(&s, "%s/%s", dir, name);
    return s.s;
}

static int
write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t r = write(fd, buf, n);

        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        buf += r;
        n -= r;
    }
    return 0;
}

static int
sync_fd(const struct ft_db *db, int fd)
{
    if (db->opts.no_fsync) {
        return 0;
    }
    return fsync(fd) < 0 ? -errno : 0;
}

static int
sync_dir(const struct ft_db *db, const char *dir)
{
    int fd, error;

    if (db->opts.no_fsync) {
        return 0;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    error = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return error;
}

/* Formats 'txn' as one journal line into 'line'. */
static int
format_line(const json_t *txn, struct ds *line)
{
    char *payload = json_dumps(txn, JSON_COMPACT);

    if (!payload) {
        return -ENOMEM;
    }
    ds_put_format(line, LINE_HEAD "%08"PRIx32 LINE_MID "%s}\n",
                  db_crc32(payload, strlen(payload)), payload);
    free(payload);
    return 0;
}

/* Checks and parses one line of 'len' bytes (without its newline).
 * Returns the "txn" object, or NULL with the reason in 'why'. */
static json_t *
parse_line(const char *line, size_t len, struct ft_error *why)
{
    const char *payload = line + LINE_PAYLOAD_OFS;
    uint32_t stored = 0, crc;
    json_error_t jerr;
    size_t plen;
    json_t *txn;

    if (len < LINE_PAYLOAD_OFS + 3
        || memcmp(line, LINE_HEAD, LINE_HEAD_LEN)
        || memcmp(line + LINE_HEAD_LEN + 8, LINE_MID, 8)
        || line[len - 1] != '}') {
        ft_error_set(why, -EINVAL, "malformed record");
        return NULL;
    }
    for (int i = 0; i < 8; i++) {
        char c = line[LINE_HEAD_LEN + i];
        int v = c >= '0' && c <= '9' ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

        if (v < 0) {
            ft_error_set(why, -EINVAL, "malformed checksum");
            return NULL;
        }
        stored = (stored << 4) | v;
    }
    plen = len - LINE_PAYLOAD_OFS - 1;
    crc = db_crc32(payload, plen);
    if (crc != stored) {
        ft_error_set(why, -EINVAL, "checksum mismatch (stored %08"PRIx32
                     ", computed %08"PRIx32")", stored, crc);
        return NULL;
    }
    txn = json_loadb(payload, plen, JSON_REJECT_DUPLICATES, &jerr);
    if (!txn || !json_is_object(txn)
        || !json_is_integer(json_object_get(txn, "seq"))) {
        ft_error_set(why, -EINVAL, "bad JSON: %s",
                     txn ? "not a record with a \"seq\"" : jerr.text);
        json_decref(txn);
        return NULL;
    }
    return txn;
}

/* Writes the whole state as a one-line journal at 'tmp_path', makes it
 * durable and renames it to 'path'.  Stores its size in '*sizep' and
 * whether the rename happened (even if a later step failed) in
 * '*renamed'. */
static int
write_snapshot(struct ft_db *db, off_t *sizep, bool *renamed,
               struct ft_error *err)
{
    struct db_journal *j = &db->journal;
    struct ds line = DS_EMPTY_INITIALIZER;
    json_t *txn;
    int fd, error;

    *renamed = false;
    txn = json_pack("{s:I, s:o}", "seq", (json_int_t) db->seq, "snapshot",
                    db_state_to_json(db));
    error = format_line(txn, &line);
    json_decref(txn);
    if (error) {
        ds_destroy(&line);
        return ft_error_set(err, error, "journal %s: cannot format snapshot",
                            j->path);
    }
    fd = open(j->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = -errno;
        ds_destroy(&line);
        return ft_error_set(err, error, "%s: cannot create: %s", j->tmp_path,
                            strerror(-error));
    }
    error = write_all(fd, line.s, line.len);
    if (!error) {
        error = sync_fd(db, fd);
    }
    if (close(fd) < 0 && !error) {
        error = -errno;
    }
    if (!error && rename(j->tmp_path, j->path) < 0) {
        error = -errno;
    }
    if (error) {
        unlink(j->tmp_path);
        ds_destroy(&line);
        return ft_error_set(err, error, "%s: cannot write snapshot: %s",
                            j->tmp_path, strerror(-error));
    }
    *renamed = true;
    *sizep = line.len;
    ds_destroy(&line);
    error = sync_dir(db, j->dir);
    if (error) {
        return ft_error_set(err, error, "%s: cannot sync directory: %s",
                            j->dir, strerror(-error));
    }
    return 0;
}

static int
open_append(struct db_journal *j, struct ft_error *err)
{
    int fd = open(j->path, O_RDWR | O_APPEND | O_CLOEXEC);

    if (fd < 0) {
        int error = -errno;

        return ft_error_set(err, error, "%s: cannot open: %s", j->path,
                            strerror(-error));
    }
    if (j->fd >= 0) {
        close(j->fd);
    }
    j->fd = fd;
    return 0;
}

/* Starts the journal afresh with a snapshot of the current state. */
static int
rewrite(struct ft_db *db, struct ft_error *err)
{
    struct db_journal *j = &db->journal;
    bool renamed;
    off_t size = 0;
    int error = write_snapshot(db, &size, &renamed, err);

    if (renamed) {
        /* The old file is gone: appending to it would lose records. */
        struct ft_error e;
        int error2 = open_append(j, &e);

        if (error2) {
            j->broken = error2;
            if (!error) {
                error = error2;
                if (err) {
                    *err = e;
                }
            }
        } else {
            j->size = j->snapshot_size = size;
            j->n_records = 0;
        }
    }
    return error;
}

static int
read_file(int fd, const char *path, char **bufp, size_t *sizep,
          struct ft_error *err)
{
    size_t n = 0, allocated = 65536;
    char *buf = malloc(allocated);

    if (!buf) {
        abort();
    }
    for (;;) {
        ssize_t r;

        if (n == allocated) {
            allocated *= 2;
            buf = realloc(buf, allocated);
            if (!buf) {
                abort();
            }
        }
        r = read(fd, buf + n, allocated - n);
        if (r < 0) {
            int error = -errno;

            if (errno == EINTR) {
                continue;
            }
            free(buf);
            return ft_error_set(err, error, "%s: read failed: %s", path,
                                strerror(-error));
        } else if (!r) {
            break;
        }
        n += r;
    }
    *bufp = buf;
    *sizep = n;
    return 0;
}

/* Replays 'buf' into 'db'.  Sets '*good' to the length of the prefix of
 * good records and '*fresh' if the journal must be started afresh (it had
 * no complete snapshot). */
static int
replay(struct ft_db *db, const char *buf, size_t size, size_t *good,
       bool *fresh, struct ft_db_warnings *warnings, struct ft_error *err)
{
    struct db_journal *j = &db->journal;
    struct ft_error why;
    size_t off = 0;
    bool first = true;

    *good = 0;
    *fresh = false;
    why.code = 0;
    while (off < size) {
        const char *line = buf + off;
        const char *nl = memchr(line, '\n', size - off);
        json_t *txn;
        int error;

        if (!nl) {
            ft_error_set(&why, -EINVAL, "incomplete record (no newline)");
            break;
        }
        txn = parse_line(line, nl - line, &why);
        if (!txn) {
            break;
        }
        if (first) {
            const json_t *state = json_object_get(txn, "snapshot");

            if (!state) {
                json_decref(txn);
                ft_error_set(&why, -EINVAL, "first record is not a "
                             "snapshot");
                break;
            }
            db->seq = json_integer_value(json_object_get(txn, "seq"));
            error = db_state_load(db, state, warnings, err);
            if (error) {
                json_decref(txn);
                return ft_error_set(err, error, "journal %s: %s", j->path,
                                    err ? err->reason : "bad snapshot");
            }
            j->snapshot_size = nl + 1 - line;
            first = false;
        } else {
            uint64_t seq = json_integer_value(json_object_get(txn, "seq"));

            if (seq != db->seq + 1) {
                json_decref(txn);
                ft_error_set(&why, -EINVAL, "sequence gap (expected %"PRIu64
                             ", found %"PRIu64")", db->seq + 1, seq);
                break;
            }
            error = db_ops_replay(db, json_object_get(txn, "ops"), err);
            if (error) {
                json_decref(txn);
                return ft_error_set(err, error, "journal %s: transaction %"
                                    PRIu64" at offset %zu does not apply: %s",
                                    j->path, seq, off,
                                    err ? err->reason : "");
            }
            db->seq = seq;
            j->n_records++;
        }
        json_decref(txn);
        off = nl + 1 - buf;
        *good = off;
    }
    if (off >= size) {
        return 0;
    }
    if (!first) {
        db_warn(warnings, "journal %s: discarded %zu bytes of damaged tail "
                "at offset %zu (%s); the database holds the transactions "
                "up to %"PRIu64, j->path, size - off, off, why.reason,
                db->seq);
        return 0;
    }
    /* No good snapshot.  Only an incomplete first line that starts like a
     * journal is a torn creation; anything else is refused. */
    if (memcmp(buf, LINE_HEAD, size < LINE_HEAD_LEN ? size : LINE_HEAD_LEN)) {
        return ft_error_set(err, -EINVAL, "%s is not a FlowTier database "
                            "journal (it does not start with a journal "
                            "record)", j->path);
    }
    if (memchr(buf, '\n', size)) {
        return ft_error_set(err, -EINVAL, "journal %s: the snapshot record "
                            "is damaged (%s); refusing to open.  Move the "
                            "file aside to start an empty database",
                            j->path, why.reason);
    }
    db_warn(warnings, "journal %s: the snapshot record is incomplete "
            "(%zu bytes; creation was interrupted); starting with an empty "
            "database", j->path, size);
    *fresh = true;
    return 0;
}

/* How long a read-write open waits for a lock a reader holds. */
#define DB_LOCK_WAIT_MS 2000
#define DB_LOCK_RETRY_MS 10

/* Takes the directory's lock: shared for 'read_only', else exclusive,
 * waiting up to DB_LOCK_WAIT_MS for readers to let go. */
static int
lock_dir(struct db_journal *j, bool read_only, struct ft_error *err)
{
    char *lock_path = path_join(j->dir, DB_LOCK_NAME);
    int error = 0, waited = 0;

    j->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (j->lock_fd < 0 && read_only) {
        j->lock_fd = open(lock_path, O_RDONLY | O_CLOEXEC);
        if (j->lock_fd < 0 && errno == ENOENT) {
            free(lock_path);
            return 0;           /* Nobody ever wrote here. */
        }
    }
    if (j->lock_fd < 0) {
        error = -errno;
        ft_error_set(err, error, "%s: cannot open lock file: %s", lock_path,
                     strerror(-error));
        free(lock_path);
        return error;
    }
    while (flock(j->lock_fd, (read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
        if (errno == EINTR) {
            continue;
        }
        if (errno != EWOULDBLOCK || read_only
            || waited >= DB_LOCK_WAIT_MS) {
            error = errno == EWOULDBLOCK ? -EBUSY : -errno;
            ft_error_set(err, error, "database %s is in use by another "
                         "process", j->dir);
            break;
        }
        usleep(DB_LOCK_RETRY_MS * 1000);
        waited += DB_LOCK_RETRY_MS;
    }
    free(lock_path);
    return error;
}

static int
load(struct ft_db *db, struct ft_db_warnings *warnings, struct ft_error *err)
{
    struct db_journal *j = &db->journal;
    size_t size = 0, good = 0;
    bool fresh = false;
    char *buf = NULL;
    int error;

    error = read_file(j->fd, j->path, &buf, &size, err);
    if (error) {
        return error;
    }
    if (!size) {
        db_warn(warnings, "journal %s is empty (creation was interrupted); "
                "starting with an empty database", j->path);
        free(buf);
        return db->opts.read_only ? 0 : rewrite(db, err);
    }
    error = replay(db, buf, size, &good, &fresh, warnings, err);
    free(buf);
    if (error) {
        return error;
    }
    if (fresh) {
        db_state_clear(db);
        db->seq = 0;
        return db->opts.read_only ? 0 : rewrite(db, err);
    }
    if (good < size && !db->opts.read_only) {
        if (ftruncate(j->fd, good) < 0 || sync_fd(db, j->fd) < 0) {
            error = -errno;
            return ft_error_set(err, error, "journal %s: cannot cut the "
                                "damaged tail: %s", j->path,
                                strerror(-error));
        }
    }
    j->size = good;
    return 0;
}

int
db_journal_open(struct ft_db *db, const char *dir,
                struct ft_db_warnings *warnings, struct ft_error *err)
{
    struct db_journal *j = &db->journal;
    struct stat st;
    int error;

    j->fd = j->lock_fd = -1;
    if (stat(dir, &st) < 0) {
        error = -errno;
        return ft_error_set(err, error, "database directory \"%s\": %s", dir,
                            error == -ENOENT ? "does not exist"
                                             : strerror(-error));
    }
    if (!S_ISDIR(st.st_mode)) {
        return ft_error_set(err, -ENOTDIR, "database directory \"%s\" is not "
                            "a directory", dir);
    }
    j->dir = strdup(dir);
    j->path = path_join(dir, DB_JOURNAL_NAME);
    j->tmp_path = path_join(dir, DB_TMP_NAME);
    if (!j->dir) {
        abort();
    }
    error = lock_dir(j, db->opts.read_only, err);
    if (!error) {
        if (!db->opts.read_only) {
            /* A leftover of a compaction that did not reach its rename. */
            unlink(j->tmp_path);
        }
        j->fd = open(j->path, db->opts.read_only ? O_RDONLY | O_CLOEXEC
                              : O_RDWR | O_APPEND | O_CLOEXEC);
        if (j->fd >= 0) {
            error = load(db, warnings, err);
        } else if (errno == ENOENT) {
            error = db->opts.read_only ? 0 : rewrite(db, err);
        } else {
            error = -errno;
            ft_error_set(err, error, "%s: cannot open: %s", j->path,
                         strerror(-error));
        }
    }
    if (error) {
        db_journal_close(db);
    }
    return error;
}

int
db_journal_append(struct ft_db *db, const json_t *txn, struct ft_error *err)
{
    struct db_journal *j = &db->journal;
    struct ds line = DS_EMPTY_INITIALIZER;
    int error;

    if (j->broken) {
        return ft_error_set(err, j->broken, "journal %s is in an unknown "
                            "state after an earlier write error; reopen the "
                            "database", j->path);
    }
    error = format_line(txn, &line);
    if (error) {
        ds_destroy(&line);
        return ft_error_set(err, error, "journal %s: cannot format record",
                            j->path);
    }
    error = write_all(j->fd, line.s, line.len);
    if (!error) {
        error = sync_fd(db, j->fd);
        if (error) {
            /* What reached the disk is unknown: stop writing. */
            j->broken = -EIO;
        }
    }
    if (error) {
        if (ftruncate(j->fd, j->size) < 0) {
            j->broken = -EIO;
        }
        ds_destroy(&line);
        return ft_error_set(err, error, "journal %s: write failed: %s",
                            j->path, strerror(-error));
    }
    j->size += line.len;
    j->n_records++;
    ds_destroy(&line);
    return 0;
}

bool
db_journal_should_compact(const struct ft_db *db)
{
    const struct db_journal *j = &db->journal;
    size_t since = j->size - j->snapshot_size;

    return (j->n_records >= db->opts.compact_records
            || since >= db->opts.compact_bytes)
           && since >= (size_t) j->snapshot_size / 2;
}

int
db_journal_compact(struct ft_db *db, struct ft_error *err)
{
    struct db_journal *j = &db->journal;

    if (j->broken) {
        return ft_error_set(err, j->broken, "journal %s is in an unknown "
                            "state after an earlier write error; reopen the "
                            "database", j->path);
    }
    return rewrite(db, err);
}

void
db_journal_close(struct ft_db *db)
{
    struct db_journal *j = &db->journal;

    if (j->fd >= 0) {
        close(j->fd);
    }
    if (j->lock_fd >= 0) {
        close(j->lock_fd);
    }
    free(j->dir);
    free(j->path);
    free(j->tmp_path);
    memset(j, 0, sizeof *j);
    j->fd = j->lock_fd = -1;
}

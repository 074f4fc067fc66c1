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

/* CRC-32 (IEEE 802.3, reflected), a byte at a time from a table. */
uint32_t
db_crc32(const void *data_, size_t n)
{
    static const uint32_t table[256] = {
        0x00000000, 0x77073096, 0xee0e612c, 0x990951ba,
        0x076dc419, 0x706af48f, 0xe963a535, 0x9e6495a3,
        0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988,
        0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91,
        0x1db71064, 0x6ab020f2, 0xf3b97148, 0x84be41de,
        0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
        0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec,
        0x14015c4f, 0x63066cd9, 0xfa0f3d63, 0x8d080df5,
        0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172,
        0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b,
        0x35b5a8fa, 0x42b2986c, 0xdbbbc9d6, 0xacbcf940,
        0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
        0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116,
        0x21b4f4b5, 0x56b3c423, 0xcfba9599, 0xb8bda50f,
        0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924,
        0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d,
        0x76dc4190, 0x01db7106, 0x98d220bc, 0xefd5102a,
        0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
        0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818,
        0x7f6a0dbb, 0x086d3d2d, 0x91646c97, 0xe6635c01,
        0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e,
        0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457,
        0x65b0d9c6, 0x12b7e950, 0x8bbeb8ea, 0xfcb9887c,
        0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
        0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2,
        0x4adfa541, 0x3dd895d7, 0xa4d1c46d, 0xd3d6f4fb,
        0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0,
        0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9,
        0x5005713c, 0x270241aa, 0xbe0b1010, 0xc90c2086,
        0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
        0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4,
        0x59b33d17, 0x2eb40d81, 0xb7bd5c3b, 0xc0ba6cad,
        0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a,
        0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683,
        0xe3630b12, 0x94643b84, 0x0d6d6a3e, 0x7a6a5aa8,
        0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
        0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe,
        0xf762575d, 0x806567cb, 0x196c3671, 0x6e6b06e7,
        0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc,
        0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5,
        0xd6d6a3e8, 0xa1d1937e, 0x38d8c2c4, 0x4fdff252,
        0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
        0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60,
        0xdf60efc3, 0xa867df55, 0x316e8eef, 0x4669be79,
        0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236,
        0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f,
        0xc5ba3bbe, 0xb2bd0b28, 0x2bb45a92, 0x5cb36a04,
        0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
        0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a,
        0x9c0906a9, 0xeb0e363f, 0x72076785, 0x05005713,
        0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38,
        0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21,
        0x86d3d2d4, 0xf1d4e242, 0x68ddb3f8, 0x1fda836e,
        0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
        0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c,
        0x8f659eff, 0xf862ae69, 0x616bffd3, 0x166ccf45,
        0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2,
        0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db,
        0xaed16a4a, 0xd9d65adc, 0x40df0b66, 0x37d83bf0,
        0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
        0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6,
        0xbad03605, 0xcdd70693, 0x54de5729, 0x23d967bf,
        0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94,
        0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d,
    };
    const uint8_t *data = data_;
    uint32_t crc = 0xffffffff;

    for (size_t i = 0; i < n; i++) {
        crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
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

_Static_assert(LINE_PAYLOAD_OFS == DB_RECORD_HEAD_LEN,
               "the room db.c leaves for a line's head");

/* Makes 'line' (DB_RECORD_HEAD_LEN bytes of room, then a record's JSON
 * text) one journal line: the head with the text's checksum, and the
 * end. */
static void
finish_line(struct ds *line)
{
    static const char hex[] = "0123456789abcdef";
    const char *payload = line->s + LINE_PAYLOAD_OFS;
    uint32_t crc = db_crc32(payload, line->len - LINE_PAYLOAD_OFS);

    memcpy(line->s, LINE_HEAD, LINE_HEAD_LEN);
    for (int i = 0; i < 8; i++) {
        line->s[LINE_HEAD_LEN + i] = hex[(crc >> (28 - 4 * i)) & 0xf];
    }
    memcpy(line->s + LINE_HEAD_LEN + 8, LINE_MID, 8);
    ds_put_buffer(line, "}\n", 2);
}

/* Formats 'txn' as one journal line into 'line' (empty). */
static int
format_line(const json_t *txn, struct ds *line)
{
    char *payload = json_dumps(txn, JSON_COMPACT);

    if (!payload) {
        return -ENOMEM;
    }
    ds_put_char_multiple(line, ' ', LINE_PAYLOAD_OFS);
    ds_put_cstr(line, payload);
    free(payload);
    finish_line(line);
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
db_journal_append(struct ft_db *db, struct ds *line, struct ft_error *err)
{
    struct db_journal *j = &db->journal;
    int error;

    if (j->broken) {
        return ft_error_set(err, j->broken, "journal %s is in an unknown "
                            "state after an earlier write error; reopen the "
                            "database", j->path);
    }
    if (line->len < LINE_PAYLOAD_OFS) {
        return ft_error_set(err, -EINVAL, "journal %s: record without the "
                            "room for its head", j->path);
    }
    finish_line(line);
    error = write_all(j->fd, line->s, line->len);
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
        return ft_error_set(err, error, "journal %s: write failed: %s",
                            j->path, strerror(-error));
    }
    j->size += line->len;
    j->n_records++;
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

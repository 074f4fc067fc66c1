/*
 * fuzz-journal.c - libFuzzer target for the configuration database's
 * recovery (mgmt/db/db-journal.c): what ft_db_open() makes of a damaged
 * journal file.  At start a reference journal is made with the real
 * database (a snapshot and a few committed transactions: bridges, ports,
 * columns, flows) and the state after each commit is kept.  The first
 * byte of an input picks how the rest is used:
 *
 *   even  as edits of the reference journal (4 bytes each: a 16-bit
 *         offset, an operation - overwrite a byte, cut the file there,
 *         insert a byte - and a byte value).  The database must open, as
 *         the state after exactly a prefix of the committed transactions,
 *         at least every transaction wholly before the first changed byte
 *         (or, with a damaged snapshot, refuse with a reason or start
 *         empty).
 *   odd   as the journal file itself.  Whatever opens must reopen as the
 *         same state (recovery leaves a journal that loads cleanly).
 *
 * Either way, a database that opened takes one more commit, and a reopen
 * then shows that commit on top of the recovered state: the repaired
 * journal goes on working.  Files live in a private directory under
 * /dev/shm (or $TMPDIR), removed at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowtier/ds.h"
#include "mgmt/db/db.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_COMMITS 6

struct fuzz_journal {
    char dir[64];
    char path[96];
    char *good;                 /* The reference journal. */
    size_t good_len;
    size_t ends[N_COMMITS + 1]; /* End of the snapshot line, of record i. */
    char *states[N_COMMITS + 1];        /* ft_db_dump() after i commits. */
};

static void
fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz-journal: %s%s%s\n", what, detail ? ": " : "",
            detail ? detail : "");
    abort();
}

static const struct ft_db_options fuzz_opts = { .no_fsync = true };

static char *
db_state(const struct ft_db *db)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    ft_db_dump(db, &s);
    return s.s ? s.s : strdup("");
}

static int
commit_step(struct ft_db *db, int step, struct ft_error *err)
{
    static const char *const set_br[] = { "Bridge", "br0",
                                          "other_config:max-idle=5000" };
    static const char *const set_port[] = { "Port", "vnet0", "tag=10" };
    struct ft_db_txn *txn;
    int error = ft_db_txn_begin(db, &txn, err);

    if (error) {
        return error;
    }
    switch (step) {
    case 0: error = ft_db_add_br(txn, "br0", err); break;
    case 1: error = ft_db_add_port(txn, "br0", "vnet0", "tap", err); break;
    case 2: error = ft_db_set(txn, 3, set_br, err)
                    || ft_db_set(txn, 3, set_port, err); break;
    case 3: error = ft_db_flow_add(txn, "br0", "priority=10,ip "
                                   "actions=output:1", err); break;
    case 4: error = ft_db_add_br(txn, "br1", err)
                    || ft_db_flow_add(txn, "br1", "actions=NORMAL", err);
        break;
    default: error = ft_db_del_port(txn, "br0", "vnet0", err); break;
    }
    if (error) {
        ft_db_txn_abort(txn);
        return -EINVAL;
    }
    return ft_db_txn_commit(txn, err);
}

static char *
read_file(const char *path, size_t *len)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    char buf[4096];
    ssize_t n;
    int fd = open(path, O_RDONLY);

    if (fd < 0) {
        fail("cannot read the journal", strerror(errno));
    }
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        ds_put_buffer(&s, buf, n);
    }
    close(fd);
    *len = s.len;
    return s.s ? s.s : strdup("");
}

static void
write_file(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    if (fd < 0 || (len && write(fd, data, len) != (ssize_t) len)) {
        fail("cannot write the journal", strerror(errno));
    }
    close(fd);
}

static struct fuzz_journal *fj;

static void
fuzz_cleanup(void)
{
    char lock[128];

    unlink(fj->path);
    snprintf(lock, sizeof lock, "%s.lock", fj->path);
    unlink(lock);
    snprintf(lock, sizeof lock, "%s.tmp", fj->path);
    unlink(lock);
    rmdir(fj->dir);
}

/* Makes the reference journal and the state after each of its commits. */
static void
fuzz_setup(void)
{
    const char *tmp = access("/dev/shm", W_OK) ? getenv("TMPDIR") : "/dev/shm";
    struct ft_error err;
    struct ft_db *db;

    fj = calloc(1, sizeof *fj);
    snprintf(fj->dir, sizeof fj->dir, "%s/fuzz-journal.XXXXXX",
             tmp ? tmp : "/tmp");
    if (!mkdtemp(fj->dir)) {
        fail("mkdtemp", strerror(errno));
    }
    snprintf(fj->path, sizeof fj->path, "%s/flowtier.db", fj->dir);
    atexit(fuzz_cleanup);
    if (ft_db_open(fj->dir, &fuzz_opts, &db, NULL, &err)) {
        fail("cannot create the reference database", err.reason);
    }
    fj->states[0] = db_state(db);
    for (int i = 0; i < N_COMMITS; i++) {
        if (commit_step(db, i, &err)) {
            fail("a reference commit failed", err.reason);
        }
        fj->states[i + 1] = db_state(db);
    }
    ft_db_close(db);
    fj->good = read_file(fj->path, &fj->good_len);
    for (size_t i = 0, k = 0; i < fj->good_len; i++) {
        if (fj->good[i] == '\n') {
            if (k > N_COMMITS) {
                fail("the reference journal has more records than commits",
                     NULL);
            }
            fj->ends[k++] = i + 1;
        }
    }
    if (fj->ends[N_COMMITS] != fj->good_len) {
        fail("the reference journal does not hold one record per commit",
             NULL);
    }
}

/* Applies the edits in 'ops' to a copy of the reference journal. */
static char *
edit_journal(const uint8_t *ops, size_t n_ops, size_t *lenp)
{
    size_t len = fj->good_len;
    char *buf = malloc(len + n_ops / 4 + 1);

    memcpy(buf, fj->good, len);
    for (size_t i = 0; i + 4 <= n_ops; i += 4) {
        size_t off = (size_t) (ops[i] | ops[i + 1] << 8) % (len + 1);

        switch (ops[i + 2] % 3) {
        case 0:
            if (off < len) {
                buf[off] = (char) ops[i + 3];
            }
            break;
        case 1:
            len = off;
            break;
        default:
            memmove(buf + off + 1, buf + off, len - off);
            buf[off] = (char) ops[i + 3];
            len++;
            break;
        }
    }
    *lenp = len;
    return buf;
}

/* Opens the journal on disk.  Returns the database or NULL with 'err'. */
static struct ft_db *
open_db(struct ft_error *err)
{
    struct ft_db_warnings warnings;
    struct ft_db *db;

    if (ft_db_open(fj->dir, &fuzz_opts, &db, &warnings, err)) {
        if (!err->reason[0]) {
            fail("a refusal to open without a reason", NULL);
        }
        return NULL;
    }
    ft_db_warnings_destroy(&warnings);
    return db;
}

/* 'db' just opened as 'state': one more commit, then a reopen must show
 * exactly that commit on top. */
static void
check_goes_on(struct ft_db *db, const char *state)
{
    struct ft_db_txn *txn;
    struct ft_error err;
    char *before, *after;

    before = db_state(db);
    if (strcmp(before, state)) {
        fail("the state changed without a commit", before);
    }
    if (ft_db_txn_begin(db, &txn, &err)
        || (ft_db_find(db, FT_DB_BRIDGE, "br1")
            && ft_db_del_br(txn, "br1", &err))
        || ft_db_add_br(txn, "br-after", &err)
        || ft_db_txn_commit(txn, &err)) {
        fail("a recovered database takes no commit", err.reason);
    }
    after = db_state(db);
    ft_db_close(db);
    db = open_db(&err);
    if (!db) {
        fail("a recovered database does not reopen after a commit",
             err.reason);
    }
    char *reopened = db_state(db);

    if (strcmp(reopened, after)) {
        fail("a commit after recovery was not kept", reopened);
    }
    free(reopened);
    free(before);
    free(after);
    ft_db_close(db);
}

static void
fuzz_edits(const uint8_t *ops, size_t n_ops)
{
    size_t len, first = 0;
    struct ft_error err;
    struct ft_db *db;
    char *buf = edit_journal(ops, n_ops, &len);
    int k = 0, j;

    while (first < len && first < fj->good_len
           && buf[first] == fj->good[first]) {
        first++;
    }
    while (k < N_COMMITS && fj->ends[k + 1] <= first) {
        k++;
    }
    if (first == fj->good_len) {
        k = N_COMMITS;      /* Only bytes after the end were added. */
    }
    write_file(fj->path, buf, len);
    db = open_db(&err);
    if (!db) {
        if (first >= fj->ends[0]) {
            fail("a journal with a good snapshot does not load", err.reason);
        }
        free(buf);
        return;
    }
    char *state = db_state(db);

    for (j = first < fj->ends[0] ? 0 : k; j <= N_COMMITS; j++) {
        if (!strcmp(state, fj->states[j])) {
            break;
        }
    }
    if (j > N_COMMITS) {
        fail("the recovered state is not a committed prefix that keeps "
             "every transaction before the damage", state);
    }
    check_goes_on(db, state);
    free(state);
    free(buf);
}

static void
fuzz_raw(const uint8_t *data, size_t size)
{
    struct ft_error err;
    struct ft_db *db;
    char *state, *again;

    write_file(fj->path, (const char *) data, size);
    db = open_db(&err);
    if (!db) {
        return;
    }
    state = db_state(db);
    ft_db_close(db);
    db = open_db(&err);
    if (!db) {
        fail("a recovered journal does not reopen", err.reason);
    }
    again = db_state(db);
    if (strcmp(state, again)) {
        fail("a recovered journal reopens as another state", again);
    }
    check_goes_on(db, state);
    free(state);
    free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fj) {
        fuzz_setup();
    }
    if (size < 1 || size > 16384) {
        return 0;
    }
    if (data[0] & 1) {
        fuzz_raw(data + 1, size - 1);
    } else {
        fuzz_edits(data + 1, size - 1);
    }
    return 0;
}

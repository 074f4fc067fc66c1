/*
 * add-flows-cmd.c - 'flowtier add-flows BRIDGE FILE' as a stream: the file
 * is read a chunk at a time and sent to flowtierd's add-flows stream
 * (mgmt/daemon/server-flow-stream.c) over one connection, then committed
 * as one transaction.  So a file of any size is added all or nothing
 * while the command holds one chunk (and a line number per flow) in
 * memory, never the whole file.
 *
 * Part of the flowtier command (mgmt/cli/).  Talks to the daemon only
 * through its control socket; reads FILE (or standard input for "-").
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "flowtier/error.h"
#include "mgmt/cli/flowtier-cli.h"
#include "mgmt/daemon/rpc.h"

/* Flows per chunk: about 1.5 MB of JSON for typical rules, well under the
 * control socket's message limit (FT_RPC_MAX_MSG). */
#define CHUNK_FLOWS 16384

struct stream {
    struct ft_rpc_client *client;
    int timeout_ms;
    json_int_t id;
    const char *file;
    int *linenos;               /* File line of each flow sent so far. */
    size_t n, allocated;
};

/* Turns the daemon's "line N: reason" (N counts the stream's flows) into
 * "FILE:LINE: reason". */
static void
rewrite_line(const struct stream *st, struct ft_error *err)
{
    unsigned long idx;
    int used = 0;

    if (sscanf(err->reason, "line %lu: %n", &idx, &used) == 1 && used
        && idx >= 1 && idx <= st->n) {
        char reason[FT_ERROR_REASON_MAX];

        snprintf(reason, sizeof reason, "%s:%d: %s", st->file,
                 st->linenos[idx - 1], err->reason + used);
        snprintf(err->reason, sizeof err->reason, "%s", reason);
    }
}

static int
stream_call(struct stream *st, const char *method, json_t *params,
            json_t **result, struct ft_error *err)
{
    json_t *r = NULL;
    int error;

    error = ft_rpc_client_call(st->client, method, params, st->timeout_ms,
                               &r, err);
    if (result) {
        *result = r;
    } else {
        json_decref(r);
    }
    return error;
}

/* Sends the flows of 'chunk'.  Returns 0 or a negative errno with 'err'. */
static int
send_chunk(struct stream *st, json_t *chunk, struct ft_error *err)
{
    return stream_call(st, "add-flows-chunk",
                       json_pack("{s:I, s:O}", "stream", st->id, "flows",
                                 chunk), NULL, err);
}

/* Appends the flow on 'line' (file line 'lineno'), if it is one, to
 * 'chunk'. */
static void
add_line(struct stream *st, char *line, int lineno, json_t *chunk)
{
    char *s = line + strspn(line, " \t");
    size_t len = strlen(s);

    while (len && strchr("\r\n \t", s[len - 1])) {
        s[--len] = '\0';
    }
    if (!*s || *s == '#') {
        return;
    }
    if (st->n == st->allocated) {
        st->allocated = st->allocated ? 2 * st->allocated : 1024;
        st->linenos = realloc(st->linenos,
                              st->allocated * sizeof *st->linenos);
        if (!st->linenos) {
            abort();
        }
    }
    st->linenos[st->n++] = lineno;
    json_array_append_new(chunk, json_string(s));
}

/* Reads 'in' and sends it chunk by chunk. */
static int
send_file(struct stream *st, FILE *in, struct ft_error *err)
{
    json_t *chunk = json_array();
    char *line = NULL;
    size_t size = 0;
    int lineno = 0, error = 0;

    while (!error && getline(&line, &size, in) != -1) {
        add_line(st, line, ++lineno, chunk);
        if (json_array_size(chunk) == CHUNK_FLOWS) {
            error = send_chunk(st, chunk, err);
            json_array_clear(chunk);
        }
    }
    if (!error && ferror(in)) {
        error = ft_error_set(err, -errno, "%s: %s", st->file,
                             strerror(errno));
    }
    if (!error && json_array_size(chunk)) {
        error = send_chunk(st, chunk, err);
    }
    free(line);
    json_decref(chunk);
    return error;
}

int
ft_cli_add_flows(const char *rundir, int timeout_ms, const char *bridge,
                 const char *file)
{
    FILE *in = strcmp(file, "-") ? fopen(file, "r") : stdin;
    struct stream st = { .timeout_ms = timeout_ms, .file = file };
    json_t *result = NULL;
    struct ft_error err;
    char *path = NULL;
    int error, status = 1;

    if (!in) {
        fprintf(stderr, "flowtier: %s: %s\n", file, strerror(errno));
        return 1;
    }
    if (asprintf(&path, "%s/flowtierd.sock", rundir) < 0) {
        abort();
    }
    error = ft_rpc_client_open(path, &st.client, &err);
    if (!error) {
        error = stream_call(&st, "add-flows-begin",
                            json_pack("{s:s}", "bridge", bridge), &result,
                            &err);
    }
    if (!error) {
        st.id = json_integer_value(json_object_get(result, "stream"));
        error = send_file(&st, in, &err);
        if (error && error != -ETIMEDOUT && error != -ECONNRESET
            && err.code != -ENOENT) {
            /* The daemon may still hold the stream: let it go now. */
            struct ft_error ignore;

            stream_call(&st, "add-flows-abort",
                        json_pack("{s:I}", "stream", st.id), NULL, &ignore);
        }
    }
    if (!error) {
        error = stream_call(&st, "add-flows-commit",
                            json_pack("{s:I}", "stream", st.id), NULL, &err);
        if (error == -ETIMEDOUT || error == -ECONNRESET) {
            fprintf(stderr, "flowtier: %s; the flows reached the daemon but "
                    "no reply came: whether add-flows was carried out is "
                    "unknown; check 'flowtier dump-flows %s' before trying "
                    "again\n", err.reason, bridge);
            status = FT_CLI_EXIT_UNKNOWN;
            goto out;
        }
    }
    if (error) {
        rewrite_line(&st, &err);
        fprintf(stderr, "flowtier: %s\n", err.reason);
    } else {
        status = 0;
    }
out:
    json_decref(result);
    ft_rpc_client_close(st.client);
    free(st.linenos);
    free(path);
    if (in != stdin) {
        fclose(in);
    }
    return status;
}

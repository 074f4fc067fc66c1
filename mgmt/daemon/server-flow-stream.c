/*
 * server-flow-stream.c - 'add-flows' of any size as a stream: the client
 * opens a stream on a bridge ("add-flows-begin"), sends the flows in
 * chunks ("add-flows-chunk", each well under the control socket's message
 * limit), then commits ("add-flows-commit") or gives up
 * ("add-flows-abort").
 *
 * Part of the management plane (flowtierd).  Each chunk is parsed at once
 * with the bridge's port map and kept parsed; nothing reaches the bridge
 * or the database before the commit, which applies every flow of the
 * stream as one batch and one database transaction (server-flows.c): all
 * or nothing, as a one-message add-flows.  A line that does not parse
 * ends the stream, with its number counted from the stream's first flow
 * ("line N: ..."), and nothing is added.  A stream whose client went
 * away (no chunk for STREAM_IDLE_MS) is dropped, so a client killed
 * halfway leaves no flow and no memory behind.  Touches only the
 * server's streams, its bridges' flow tables through server-flows.c, and
 * the log.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/util.h"
#include "mgmt/daemon/event-loop.h"
#include "mgmt/daemon/rpc.h"
#include "mgmt/daemon/server-private.h"
#include "mgmt/flowsyntax/ofp-flow.h"

#define MODULE "flows"

/* A stream with no call for this long (ms) is dropped. */
#define STREAM_IDLE_MS 60000

/* Streams open at once, at most (each may hold a large flow table). */
#define MAX_STREAMS 16

struct srv_flow_stream {
    struct ft_server *s;
    int64_t id;
    char *bridge;
    struct ft_flow_spec *specs;
    size_t n, allocated;
    uint64_t idle_timer;
};

static void
stream_destroy(struct srv_flow_stream *st)
{
    struct ft_server *s = st->s;

    for (size_t i = 0; i < s->n_streams; i++) {
        if (s->streams[i] == st) {
            s->streams[i] = s->streams[--s->n_streams];
            break;
        }
    }
    if (s->loop && st->idle_timer) {
        ft_loop_cancel_timer(s->loop, st->idle_timer);
    }
    for (size_t i = 0; i < st->n; i++) {
        ft_flow_spec_uninit(&st->specs[i]);
    }
    free(st->specs);
    free(st->bridge);
    free(st);
}

void
srv_flow_streams_destroy(struct ft_server *s)
{
    while (s->n_streams) {
        stream_destroy(s->streams[s->n_streams - 1]);
    }
    free(s->streams);
    s->streams = NULL;
}

static void
idle_timer_cb(void *st_)
{
    struct srv_flow_stream *st = st_;

    st->idle_timer = 0;
    ft_log_msg(st->s->log, FT_LOG_WARN, MODULE, "bridge %s: add-flows "
               "stream %"PRId64" dropped after %d s without a call (%zu "
               "flows received, none added)", st->bridge, st->id,
               STREAM_IDLE_MS / 1000, st->n);
    stream_destroy(st);
}

static void
stream_touch(struct srv_flow_stream *st)
{
    if (st->s->loop) {
        if (st->idle_timer) {
            ft_loop_cancel_timer(st->s->loop, st->idle_timer);
        }
        st->idle_timer = ft_loop_add_timer(st->s->loop, STREAM_IDLE_MS, 0,
                                           idle_timer_cb, st);
    }
}

static int
stream_get(struct ft_server *s, json_t *params, struct srv_flow_stream **stp,
           struct ft_error *err)
{
    int64_t id = json_integer_value(json_object_get(params, "stream"));

    for (size_t i = 0; i < s->n_streams; i++) {
        if (s->streams[i]->id == id) {
            *stp = s->streams[i];
            return 0;
        }
    }
    return ft_error_set(err, -ENOENT, "no add-flows stream %"PRId64" (it "
                        "ended after an error, or was idle %d s)", id,
                        STREAM_IDLE_MS / 1000);
}

/* Finds the stream named by 'params' and its bridge.  A stream whose
 * bridge was deleted since it began is ended here, with that reason. */
static int
stream_get_with_bridge(struct ft_server *s, json_t *params,
                       struct srv_flow_stream **stp, struct srv_bridge **sbp,
                       struct ft_error *err)
{
    int error = stream_get(s, params, stp, err);

    if (error) {
        return error;
    }
    *sbp = srv_bridge_find(s, (*stp)->bridge);
    if (!*sbp) {
        error = ft_error_set(err, -ENOENT, "bridge %s was deleted",
                             (*stp)->bridge);
        stream_destroy(*stp);
        return error;
    }
    return 0;
}

int
srv_add_flows_begin(json_t *params, json_t **result, struct ft_error *err,
                    void *s_)
{
    struct ft_server *s = s_;
    struct srv_flow_stream *st = NULL;
    struct srv_bridge *sb = NULL;
    int error;

    *result = NULL;
    error = srv_bridge_get(s, params, &sb, err);
    if (error) {
        return error;
    }
    if (s->n_streams >= MAX_STREAMS) {
        return ft_error_set(err, -EBUSY, "%d add-flows streams are open "
                            "already; wait for one to finish", MAX_STREAMS);
    }
    st = ft_xcalloc(1, sizeof *st);
    st->s = s;
    st->id = ++s->last_stream_id;
    st->bridge = ft_xstrdup(sb->name);
    s->streams = realloc(s->streams, (s->n_streams + 1) * sizeof *s->streams);
    if (!s->streams) {
        abort();
    }
    s->streams[s->n_streams++] = st;
    stream_touch(st);
    *result = json_pack("{s:I}", "stream", (json_int_t) st->id);
    return 0;
}

int
srv_add_flows_chunk(json_t *params, json_t **result, struct ft_error *err,
                    void *s_)
{
    json_t *flows = json_object_get(params, "flows");
    struct ft_server *s = s_;
    struct srv_flow_stream *st = NULL;
    struct srv_bridge *sb = NULL;
    size_t n = json_array_size(flows);
    int error;

    *result = NULL;
    error = stream_get_with_bridge(s, params, &st, &sb, err);
    if (error) {
        return error;
    }
    if (st->n + n > st->allocated) {
        st->allocated = st->n + n > 2 * st->allocated ? st->n + n
                                                      : 2 * st->allocated;
        st->specs = realloc(st->specs, st->allocated * sizeof *st->specs);
        if (!st->specs) {
            abort();
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct ft_flow_spec *spec = &st->specs[st->n];
        char reason[FT_ERROR_REASON_MAX];

        ft_flow_spec_init(spec);
        error = ft_flow_spec_parse(json_string_value(json_array_get(flows, i)),
                                   FT_FLOW_ADD, ft_bridge_port_map(sb->br),
                                   spec, err);
        if (error) {
            ft_flow_spec_uninit(spec);
            snprintf(reason, sizeof reason, "%s", err->reason);
            ft_error_set(err, error, "line %zu: %s", st->n + 1, reason);
            stream_destroy(st);
            return error;
        }
        st->n++;
    }
    stream_touch(st);
    return 0;
}

int
srv_add_flows_commit(json_t *params, json_t **result, struct ft_error *err,
                     void *s_)
{
    struct ft_server *s = s_;
    struct ft_bridge_flow_changes changes;
    struct ft_bridge_flow_op *ops;
    struct srv_flow_stream *st = NULL;
    struct srv_bridge *sb = NULL;
    int error;

    *result = NULL;
    error = stream_get_with_bridge(s, params, &st, &sb, err);
    if (error) {
        return error;
    }
    ops = ft_xcalloc(st->n ? st->n : 1, sizeof *ops);
    for (size_t i = 0; i < st->n; i++) {
        ops[i].cmd = FT_FLOW_ADD;
        ops[i].spec = &st->specs[i];
    }
    ft_bridge_flow_changes_init(&changes);
    error = srv_flows_apply(s, sb, ops, st->n, &changes, err);
    if (!error) {
        *result = json_pack("{s:I, s:I}", "added",
                            (json_int_t) changes.n_added, "removed",
                            (json_int_t) changes.n_removed);
    } else if (!strncmp(err->reason, "flow ", 5)) {
        /* "flow N: " is the stream's line N. */
        memcpy(err->reason, "line", 4);
    }
    ft_bridge_flow_changes_uninit(&changes);
    free(ops);
    stream_destroy(st);
    return error;
}

int
srv_add_flows_abort(json_t *params, json_t **result, struct ft_error *err,
                    void *s_)
{
    struct srv_flow_stream *st = NULL;
    int error;

    *result = NULL;
    error = stream_get(s_, params, &st, err);
    if (!error) {
        stream_destroy(st);
    }
    return error;
}

/*
 * rpc.c - JSON-RPC 2.0 framing, dispatch, server and client over Unix
 * stream sockets (see rpc.h).
 *
 * Part of the management plane.  The server side runs in flowtierd's event
 * loop and never blocks: sockets are nonblocking, replies that do not fit
 * in the socket buffer wait in a per-connection output buffer, and a
 * connection whose client stops reading stops being read from until its
 * output drains.  The client side (used by the 'flowtier' CLI) blocks.
 */
#include "mgmt/daemon/rpc.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "flowtier/ds.h"
#include "mgmt/daemon/event-loop.h"
#include "mgmt/daemon/log.h"

#define READ_CHUNK 65536
#define OUT_HIGH_WATER (4u * 1024 * 1024)   /* Stop reading above this. */

/* ---- Framing. ---- */

void
ft_rpc_reader_init(struct ft_rpc_reader *r, size_t max_msg)
{
    memset(r, 0, sizeof *r);
    r->max_msg = max_msg ? max_msg : FT_RPC_MAX_MSG;
}

void
ft_rpc_reader_uninit(struct ft_rpc_reader *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}

/* Makes room for 'n' more bytes (plus a NUL), dropping returned bytes. */
static void
reader_reserve(struct ft_rpc_reader *r, size_t n)
{
    if (r->start) {
        memmove(r->buf, r->buf + r->start, r->len - r->start);
        r->len -= r->start;
        r->start = 0;
    }
    if (r->len + n + 1 > r->allocated) {
        size_t allocated = r->allocated ? r->allocated : 4096;

        while (allocated < r->len + n + 1) {
            allocated *= 2;
        }
        r->buf = realloc(r->buf, allocated);
        if (!r->buf) {
            abort();
        }
        r->allocated = allocated;
    }
}

void
ft_rpc_reader_feed(struct ft_rpc_reader *r, const void *data, size_t n)
{
    reader_reserve(r, n);
    memcpy(r->buf + r->len, data, n);
    r->len += n;
}

ssize_t
ft_rpc_reader_recv(struct ft_rpc_reader *r, int fd)
{
    ssize_t n;

    reader_reserve(r, READ_CHUNK);
    do {
        n = recv(fd, r->buf + r->len, READ_CHUNK, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
    r->len += (size_t) n;
    return n;
}

int
ft_rpc_reader_next(struct ft_rpc_reader *r, char **msg, size_t *len)
{
    size_t avail = r->len - r->start;
    char *begin = r->buf + r->start;
    char *nl;

    nl = avail > r->scanned
         ? memchr(begin + r->scanned, '\n', avail - r->scanned) : NULL;
    if (!nl) {
        r->scanned = avail;
        return avail > r->max_msg ? -EMSGSIZE : 0;
    }
    if ((size_t) (nl - begin) > r->max_msg) {
        return -EMSGSIZE;
    }
    *nl = '\0';
    *msg = begin;
    *len = (size_t) (nl - begin);
    if (*len && begin[*len - 1] == '\r') {
        begin[--*len] = '\0';
    }
    r->start += (size_t) (nl - begin) + 1;
    r->scanned = 0;
    return 1;
}

size_t
ft_rpc_reader_pending(const struct ft_rpc_reader *r)
{
    return r->len - r->start;
}

/* ---- Dispatch. ---- */

/* 'message' as a JSON string even when it is not valid UTF-8 (a reason
 * cut in the middle of a character, bytes quoted from a bad request):
 * each byte of a broken sequence becomes '?', and if the result is still
 * refused (an overlong form, a surrogate), every non-ASCII byte does. */
static json_t *
rpc_message_string(const char *message)
{
    json_t *j = json_string(message);
    size_t n = strlen(message);
    char *copy;

    if (j) {
        return j;
    }
    copy = malloc(n + 1);
    if (!copy) {
        abort();
    }
    for (size_t i = 0; i < n; ) {
        const unsigned char c = message[i];
        size_t len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2
                     : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4
                     : 0;
        size_t k = 1;

        while (len && k < len && i + k < n
               && (message[i + k] & 0xc0) == 0x80) {
            k++;
        }
        if (len && k == len) {
            memcpy(copy + i, message + i, len);
            i += len;
        } else {
            copy[i++] = '?';
        }
    }
    copy[n] = '\0';
    j = json_string(copy);
    if (!j) {
        for (size_t i = 0; i < n; i++) {
            copy[i] = copy[i] & 0x80 ? '?' : copy[i];
        }
        j = json_string(copy);
    }
    free(copy);
    return j;
}

json_t *
ft_rpc_error_reply(json_t *id, int code, const char *message,
                   int errno_value)
{
    json_t *error = json_pack("{s:i, s:o}", "code", code, "message",
                              rpc_message_string(message));
    json_t *reply;

    if (errno_value) {
        json_object_set_new(error, "data",
                            json_pack("{s:i}", "errno", errno_value));
    }
    reply = json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0",
                      "id", id ? id : json_null(), "error", error);
    return reply;
}

static const char *
type_name(enum ft_rpc_type type)
{
    switch (type) {
    case FT_RPC_STRING: return "a string";
    case FT_RPC_INT: return "an integer";
    case FT_RPC_BOOL: return "a boolean";
    case FT_RPC_STRINGS: return "an array of strings";
    case FT_RPC_ARRAY: return "an array";
    case FT_RPC_OBJECT: return "an object";
    }
    return "?";
}

static bool
type_matches(enum ft_rpc_type type, const json_t *v)
{
    size_t i;
    json_t *e;

    switch (type) {
    case FT_RPC_STRING: return json_is_string(v);
    case FT_RPC_INT: return json_is_integer(v);
    case FT_RPC_BOOL: return json_is_boolean(v);
    case FT_RPC_ARRAY: return json_is_array(v);
    case FT_RPC_OBJECT: return json_is_object(v);
    case FT_RPC_STRINGS:
        if (!json_is_array(v)) {
            return false;
        }
        json_array_foreach (v, i, e) {
            if (!json_is_string(e)) {
                return false;
            }
        }
        return true;
    }
    return false;
}

int
ft_rpc_check_params(const struct ft_rpc_method *method, json_t *params,
             struct ft_error *err)
{
    const struct ft_rpc_param *p;
    const char *key;
    json_t *value;

    json_object_foreach (params, key, value) {
        for (p = method->params; p && p->name; p++) {
            if (!strcmp(p->name, key)) {
                break;
            }
        }
        if (!p || !p->name) {
            return ft_error_set(err, FT_RPC_ERR_PARAMS, "%s: unknown "
                                "parameter \"%s\"", method->name, key);
        }
        if (!type_matches(p->type, value)) {
            return ft_error_set(err, FT_RPC_ERR_PARAMS, "%s: parameter "
                                "\"%s\" must be %s", method->name, key,
                                type_name(p->type));
        }
    }
    for (p = method->params; p && p->name; p++) {
        if (p->required && !json_object_get(params, p->name)) {
            return ft_error_set(err, FT_RPC_ERR_PARAMS, "%s: missing "
                                "parameter \"%s\"", method->name, p->name);
        }
    }
    return 0;
}

json_t *
ft_rpc_dispatch(const struct ft_rpc_method *methods, size_t n,
                const char *msg, size_t len, void *aux)
{
    const struct ft_rpc_method *method = NULL;
    json_t *request, *id, *params, *result = NULL, *reply;
    const char *name;
    struct ft_error err;
    json_error_t jerr;
    int error;

    request = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!request) {
        char reason[FT_ERROR_REASON_MAX];

        snprintf(reason, sizeof reason, "parse error: %s (column %d)",
                 jerr.text, jerr.column);
        return ft_rpc_error_reply(NULL, FT_RPC_ERR_PARSE, reason, 0);
    }
    id = json_object_get(request, "id");
    if (!json_is_object(request)) {
        reply = ft_rpc_error_reply(NULL, FT_RPC_ERR_INVALID,
                                   "a request must be a JSON object", 0);
        goto out;
    }
    if (id && !json_is_integer(id) && !json_is_string(id)
        && !json_is_null(id)) {
        reply = ft_rpc_error_reply(NULL, FT_RPC_ERR_INVALID,
                                   "\"id\" must be a number or a string", 0);
        goto out;
    }
    name = json_string_value(json_object_get(request, "method"));
    if (!name || !json_is_string(json_object_get(request, "jsonrpc"))
        || strcmp(json_string_value(json_object_get(request, "jsonrpc")),
                  "2.0")) {
        reply = ft_rpc_error_reply(id, FT_RPC_ERR_INVALID, "a request needs "
                                   "\"jsonrpc\":\"2.0\" and a string "
                                   "\"method\"", 0);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(methods[i].name, name)) {
            method = &methods[i];
            break;
        }
    }
    if (!method) {
        char reason[FT_ERROR_REASON_MAX];

        snprintf(reason, sizeof reason, "unknown method \"%.100s\"", name);
        reply = ft_rpc_error_reply(id, FT_RPC_ERR_NO_METHOD, reason, 0);
        goto out;
    }
    params = json_object_get(request, "params");
    if (params && json_is_null(params)) {
        params = NULL;
    }
    if (params && !json_is_object(params)) {
        reply = ft_rpc_error_reply(id, FT_RPC_ERR_PARAMS, "\"params\" must "
                                   "be an object (named parameters)", 0);
        goto out;
    }
    if (!params) {
        params = json_object();
        json_object_set_new(request, "params", params);
    }

    ft_error_clear(&err);
    error = ft_rpc_check_params(method, params, &err);
    if (!error) {
        error = method->handler(params, &result, &err, aux);
    }
    if (!id) {
        reply = NULL;
        json_decref(result);
    } else if (error == FT_RPC_ERR_PARAMS) {
        reply = ft_rpc_error_reply(id, FT_RPC_ERR_PARAMS, err.reason, 0);
    } else if (error) {
        reply = ft_rpc_error_reply(id, FT_RPC_ERR_FAILED,
                                   err.reason[0] ? err.reason
                                                 : strerror(-error),
                                   -error);
    } else {
        reply = json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id,
                          "result", result ? result : json_null());
    }
out:
    json_decref(request);
    return reply;
}

/* ---- Server. ---- */

/* A connection that read or wrote a message this large gives the memory
 * its handling freed back to the system when it closes (malloc_trim()). */
#define RPC_TRIM_BYTES (1u << 20)

/* Limits that keep one client, or many, from taking the daemon down.
 *
 * File descriptors: the connection cap is the smaller of the configured
 * one and the open-file limit minus a reserve (a quarter of the limit,
 * 32 to 256 descriptors) for the database, ports, netlink and the other
 * sockets.  When the cap is reached, or accept() fails for want of a
 * descriptor (EMFILE, ENFILE), the connection idle longest is closed if it
 * has been idle RPC_EVICT_IDLE_MS, so that a CLI command still gets
 * through; otherwise the newcomer is told why and closed (at the cap), or
 * the listener is not polled for RPC_ACCEPT_PAUSE_MS (out of descriptors:
 * level-triggered epoll would report it again at once, forever).
 *
 * Memory: a connection holding the first bytes of a request but not its
 * newline is closed with a reason when no byte came for
 * RPC_PARTIAL_TIMEOUT_MS.  The bytes of unfinished requests across all
 * connections are bounded by the server's budget (max_buffered, default
 * RPC_BUFFER_BUDGET): a connection past RPC_SMALL_REQUEST unfinished bytes
 * while the total is over the budget is refused with the reason. */
#define RPC_FD_RESERVE_MIN 32
#define RPC_FD_RESERVE_MAX 256
#define RPC_EVICT_IDLE_MS 1000
#define RPC_ACCEPT_PAUSE_MS 100
#define RPC_PARTIAL_TIMEOUT_MS 5000
#define RPC_SWEEP_MS 1000
#define RPC_BUFFER_BUDGET ((size_t) 64 << 20)
#define RPC_SMALL_REQUEST ((size_t) 64 << 10)

struct conn {
    struct ft_rpc_server *server;
    int fd;
    struct ft_rpc_reader in;
    struct ds out;
    size_t out_start;           /* Bytes of 'out' already sent. */
    uint32_t events;            /* Watched in the loop. */
    bool closing;               /* Close once 'out' is sent. */
    struct conn **slot;         /* Where the server keeps it. */
    long long int last_rx;      /* When bytes last came (ft_time_msec()). */
    size_t counted;             /* Unfinished bytes counted in 'buffered'. */
    bool large;                 /* Once read a message of RPC_TRIM_BYTES. */
};

struct ft_rpc_server {
    struct ft_loop *loop;
    struct ft_log *log;
    char *path;
    int fd;
    const struct ft_rpc_method *methods;
    size_t n_methods;
    void *aux;
    size_t max_msg;
    size_t max_conns;           /* Configured cap, within the fd limit. */
    size_t budget;              /* Bound on 'buffered'. */
    size_t buffered;            /* Unfinished request bytes, all conns. */
    struct conn **conns;
    size_t n_conns, allocated_conns;
    struct ft_ratelimit rl;
    uint64_t sweep_timer;       /* Periodic: partial request timeouts. */
    uint64_t resume_timer;      /* Nonzero while the listener is paused. */
};

static void conn_destroy(struct conn *);

static void
conn_set_events(struct conn *c, uint32_t events)
{
    if (c->events != events) {
        c->events = events;
        ft_loop_mod_fd(c->server->loop, c->fd, events);
    }
}

/* Sends what it can of the output buffer; returns 0 or a negative errno
 * (the connection is then dead). */
static int
conn_flush(struct conn *c)
{
    while (c->out_start < c->out.len) {
        ssize_t n = send(c->fd, c->out.s + c->out_start,
                         c->out.len - c->out_start,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EWOULDBLOCK ? 0 : -errno;
        }
        c->out_start += (size_t) n;
    }
    if (c->out_start == c->out.len) {
        ds_clear(&c->out);
        c->out_start = 0;
    }
    return 0;
}

/* Watches for what the connection needs next. */
static void
conn_update_events(struct conn *c)
{
    uint32_t events = 0;
    size_t unsent = c->out.len - c->out_start;

    if (!c->closing && unsent < OUT_HIGH_WATER) {
        events |= EPOLLIN;
    }
    if (unsent) {
        events |= EPOLLOUT;
    }
    conn_set_events(c, events);
}

static void
conn_queue(struct conn *c, json_t *reply)
{
    char *text = json_dumps(reply, JSON_COMPACT | JSON_REAL_PRECISION(15));

    if (!text) {
        abort();
    }
    ds_put_cstr(&c->out, text);
    ds_put_char(&c->out, '\n');
    free(text);
    json_decref(reply);
}

/* Handles every complete message buffered.  Returns false if the
 * connection must close once its output is sent. */
static bool
conn_process(struct conn *c)
{
    struct ft_rpc_server *s = c->server;
    char *msg;
    size_t len;
    int r;

    while ((r = ft_rpc_reader_next(&c->in, &msg, &len)) > 0) {
        size_t i;
        json_t *reply;

        for (i = 0; i < len && strchr(" \t\r", msg[i]); i++) {
            continue;
        }
        if (i == len) {
            continue;           /* Blank line. */
        }
        reply = ft_rpc_dispatch(s->methods, s->n_methods, msg, len, s->aux);
        if (reply) {
            json_t *error = json_object_get(reply, "error");

            if (error) {
                ft_log_rl(s->log, &s->rl, FT_LOG_DBG, "rpc",
                          "request failed: %s", json_string_value(
                              json_object_get(error, "message")));
            }
            conn_queue(c, reply);
        }
    }
    if (r == -EMSGSIZE) {
        char reason[FT_ERROR_REASON_MAX];

        snprintf(reason, sizeof reason, "message longer than %zu bytes; "
                 "closing the connection", s->max_msg);
        ft_log_rl(s->log, &s->rl, FT_LOG_WARN, "rpc", "client sent a %s",
                  reason);
        conn_queue(c, ft_rpc_error_reply(NULL, FT_RPC_ERR_TOO_BIG, reason,
                                         EMSGSIZE));
        return false;
    }
    return true;
}

/* Keeps the server's count of unfinished request bytes in step with
 * 'c', and gives back the input buffer of a connection that has none. */
static void
conn_account(struct conn *c)
{
    struct ft_rpc_server *s = c->server;
    size_t pending = ft_rpc_reader_pending(&c->in);

    s->buffered = s->buffered - c->counted + pending;
    c->counted = pending;
    if (!pending && c->in.allocated) {
        c->large |= c->in.allocated >= RPC_TRIM_BYTES;
        ft_rpc_reader_uninit(&c->in);
        ft_rpc_reader_init(&c->in, s->max_msg);
    }
}

/* Queues an error reply that says 'reason' and marks 'c' to close. */
static void
conn_refuse(struct conn *c, int code, const char *reason, int errno_value)
{
    ft_log_rl(c->server->log, &c->server->rl, FT_LOG_WARN, "rpc",
              "closing a client connection: %s", reason);
    conn_queue(c, ft_rpc_error_reply(NULL, code, reason, errno_value));
    c->closing = true;
}

/* Refuses 'c' if it holds a large unfinished request while the server is
 * over its budget of unfinished bytes. */
static void
conn_check_budget(struct conn *c)
{
    struct ft_rpc_server *s = c->server;
    char reason[FT_ERROR_REASON_MAX];

    if (c->closing || c->counted <= RPC_SMALL_REQUEST
        || s->buffered <= s->budget) {
        return;
    }
    snprintf(reason, sizeof reason, "request refused: the daemon holds "
             "%zu MiB of unfinished requests (limit %zu MiB); send it again "
             "when the others are done", s->buffered >> 20, s->budget >> 20);
    conn_refuse(c, FT_RPC_ERR_TOO_BIG, reason, ENOBUFS);
}

/* Sends what can be sent; closes 'c' when it is done or broken.  Returns
 * false if 'c' is gone. */
static bool
conn_settle(struct conn *c)
{
    if (conn_flush(c) < 0
        || (c->closing && c->out.len == c->out_start)) {
        conn_destroy(c);
        return false;
    }
    conn_update_events(c);
    return true;
}

static void
conn_cb(int fd, uint32_t events, void *c_)
{
    struct conn *c = c_;
    bool keep = true;

    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR) && !c->closing) {
        ssize_t n = ft_rpc_reader_recv(&c->in, fd);

        if (n > 0) {
            c->last_rx = ft_time_msec();
            keep = conn_process(c);
        } else if (n == 0) {
            /* End of stream: leftovers are a truncated message. */
            if (ft_rpc_reader_pending(&c->in)) {
                conn_queue(c, ft_rpc_error_reply(
                               NULL, FT_RPC_ERR_PARSE, "truncated message "
                               "(no newline before end of stream)", 0));
            }
            keep = false;
        } else if (n != -EAGAIN) {
            conn_destroy(c);
            return;
        }
        if (!keep) {
            c->closing = true;
        }
        conn_account(c);
        conn_check_budget(c);
    }
    conn_settle(c);
}

static void
conn_destroy(struct conn *c)
{
    struct ft_rpc_server *s = c->server;
    size_t idx = (size_t) (c->slot - s->conns);
    bool large = c->large || c->in.allocated >= RPC_TRIM_BYTES
                 || c->out.allocated >= RPC_TRIM_BYTES;

    ft_loop_del_fd(s->loop, c->fd);
    close(c->fd);
    s->buffered -= c->counted;
    ft_rpc_reader_uninit(&c->in);
    ds_destroy(&c->out);
    s->conns[idx] = s->conns[--s->n_conns];
    s->conns[idx]->slot = &s->conns[idx];
    free(c);
    if (large) {
        /* A large request (add-flows of 100,000 rules is 7.5 MB) or reply
         * leaves many megabytes of freed buffers, parsed copies and
         * formatted texts inside the heap, which malloc keeps: without
         * this, the daemon's resident memory would stay at the peak of
         * its largest request for good. */
        malloc_trim(0);
    }
}

/* The connection idle longest (nothing unfinished, nothing to send) if
 * it has been idle RPC_EVICT_IDLE_MS, else NULL. */
static struct conn *
idlest_conn(const struct ft_rpc_server *s, long long int now)
{
    struct conn *best = NULL;

    for (size_t i = 0; i < s->n_conns; i++) {
        struct conn *c = s->conns[i];

        if (!c->closing && !c->counted && c->out.len == c->out_start
            && now - c->last_rx >= RPC_EVICT_IDLE_MS
            && (!best || c->last_rx < best->last_rx)) {
            best = c;
        }
    }
    return best;
}

/* Makes room for a new connection by closing the one idle longest.
 * Returns false if none has been idle long enough. */
static bool
evict_idle(struct ft_rpc_server *s, const char *why)
{
    struct conn *c = idlest_conn(s, ft_time_msec());
    char reason[FT_ERROR_REASON_MAX];

    if (!c) {
        return false;
    }
    snprintf(reason, sizeof reason, "closing this idle connection: %s",
             why);
    conn_refuse(c, FT_RPC_ERR_FAILED, reason, EMFILE);
    (void) conn_flush(c);       /* Best effort: it goes either way. */
    conn_destroy(c);
    return true;
}

static void
resume_cb(void *s_)
{
    struct ft_rpc_server *s = s_;

    s->resume_timer = 0;
    ft_loop_mod_fd(s->loop, s->fd, EPOLLIN);
}

/* Out of file descriptors: make room, or stop polling the listener for a
 * while (the pending connection would be reported again at once). */
static void
accept_out_of_fds(struct ft_rpc_server *s, int error)
{
    if (evict_idle(s, "the daemon is out of file descriptors")) {
        return;
    }
    ft_log_rl(s->log, &s->rl, FT_LOG_WARN, "rpc", "accept: %s with %zu "
              "clients connected; not accepting for %d ms",
              strerror(error), s->n_conns, RPC_ACCEPT_PAUSE_MS);
    if (!s->resume_timer) {
        ft_loop_mod_fd(s->loop, s->fd, 0);
        s->resume_timer = ft_loop_add_timer(s->loop, RPC_ACCEPT_PAUSE_MS, 0,
                                            resume_cb, s);
    }
}

/* Tells the client on 'cfd' why it is refused (if the socket takes it)
 * and closes it. */
static void
refuse_fd(int cfd, const char *reason)
{
    json_t *reply = ft_rpc_error_reply(NULL, FT_RPC_ERR_FAILED, reason,
                                       EMFILE);
    char *text = json_dumps(reply, JSON_COMPACT);

    if (text) {
        size_t len = strlen(text);

        text[len] = '\n';
        (void) !send(cfd, text, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        free(text);
    }
    json_decref(reply);
    close(cfd);
}

static void
accept_cb(int fd, uint32_t events, void *s_)
{
    struct ft_rpc_server *s = s_;
    struct conn *c;
    int cfd;

    cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
            || errno == ENOMEM) {
            accept_out_of_fds(s, errno);
        } else if (errno != EAGAIN && errno != EINTR) {
            ft_log_rl(s->log, &s->rl, FT_LOG_WARN, "rpc", "accept: %s",
                      strerror(errno));
        }
        return;
    }
    if (s->n_conns >= s->max_conns
        && !evict_idle(s, "the daemon is at its connection limit")) {
        char reason[FT_ERROR_REASON_MAX];

        snprintf(reason, sizeof reason, "refused: %zu connections are open "
                 "already (the limit, from the open-file limit) and none "
                 "is idle; try again", s->n_conns);
        ft_log_rl(s->log, &s->rl, FT_LOG_WARN, "rpc", "client %s", reason);
        refuse_fd(cfd, reason);
        return;
    }
    c = calloc(1, sizeof *c);
    if (!c) {
        abort();
    }
    c->server = s;
    c->fd = cfd;
    c->last_rx = ft_time_msec();
    ft_rpc_reader_init(&c->in, s->max_msg);
    ds_init(&c->out);
    c->events = EPOLLIN;
    if (ft_loop_add_fd(s->loop, cfd, EPOLLIN, conn_cb, c)) {
        close(cfd);
        ft_rpc_reader_uninit(&c->in);
        free(c);
        return;
    }
    if (s->n_conns == s->allocated_conns) {
        s->allocated_conns = s->allocated_conns ? 2 * s->allocated_conns : 8;
        s->conns = realloc(s->conns, s->allocated_conns * sizeof *s->conns);
        if (!s->conns) {
            abort();
        }
        for (size_t i = 0; i < s->n_conns; i++) {
            s->conns[i]->slot = &s->conns[i];
        }
    }
    s->conns[s->n_conns] = c;
    c->slot = &s->conns[s->n_conns];
    s->n_conns++;
}

/* Closes, with the reason, connections whose unfinished request got no
 * byte for RPC_PARTIAL_TIMEOUT_MS. */
static void
sweep_cb(void *s_)
{
    struct ft_rpc_server *s = s_;
    long long int now = ft_time_msec();

    /* Backwards: closing conns[i] moves an already visited one there. */
    for (size_t i = s->n_conns; i-- > 0; ) {
        struct conn *c = s->conns[i];
        char reason[FT_ERROR_REASON_MAX];

        if (c->closing || !c->counted
            || now - c->last_rx < RPC_PARTIAL_TIMEOUT_MS) {
            continue;
        }
        snprintf(reason, sizeof reason, "request incomplete: %zu bytes "
                 "without a newline and none for %d s; closing the "
                 "connection", c->counted, RPC_PARTIAL_TIMEOUT_MS / 1000);
        conn_refuse(c, FT_RPC_ERR_PARSE, reason, 0);
        if (conn_settle(c)) {
            conn_destroy(c);    /* Its client is not reading either. */
        }
    }
}

/* The connection cap: 'wanted', within the open-file limit less a
 * reserve for everything else the daemon opens. */
static size_t
conn_cap(size_t wanted)
{
    struct rlimit rl;
    size_t limit, reserve;

    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY) {
        return wanted;
    }
    limit = (size_t) rl.rlim_cur;
    reserve = limit / 4;
    reserve = reserve < RPC_FD_RESERVE_MIN ? RPC_FD_RESERVE_MIN
              : reserve > RPC_FD_RESERVE_MAX ? RPC_FD_RESERVE_MAX : reserve;
    if (limit <= reserve) {
        return 1;
    }
    return limit - reserve < wanted ? limit - reserve : wanted;
}

static int
fill_sockaddr(const char *path, struct sockaddr_un *sun, struct ft_error *err)
{
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sun->sun_path) {
        return ft_error_set(err, -ENAMETOOLONG, "%s: socket path longer "
                            "than %zu bytes", path,
                            sizeof sun->sun_path - 1);
    }
    strcpy(sun->sun_path, path);
    return 0;
}

int
ft_rpc_server_create(struct ft_loop *loop, const char *path,
                     const struct ft_rpc_server_options *opts,
                     const struct ft_rpc_method *methods, size_t n,
                     void *aux, struct ft_log *log,
                     struct ft_rpc_server **serverp, struct ft_error *err)
{
    struct ft_rpc_server *s;
    struct sockaddr_un sun;
    int fd, error;

    *serverp = NULL;
    error = fill_sockaddr(path, &sun, err);
    if (error) {
        return error;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return ft_error_set(err, -errno, "socket: %s", strerror(errno));
    }
    unlink(path);
    if (bind(fd, (struct sockaddr *) &sun, sizeof sun) < 0) {
        error = ft_error_set(err, -errno, "%s: bind: %s", path,
                             strerror(errno));
        goto close_fd;
    }
    if (chmod(path, opts->mode) < 0
        || (opts->gid != (gid_t) -1 && chown(path, (uid_t) -1,
                                             opts->gid) < 0)) {
        error = ft_error_set(err, -errno, "%s: setting owner and mode: %s",
                             path, strerror(errno));
        goto unlink_path;
    }
    if (listen(fd, 64) < 0) {
        error = ft_error_set(err, -errno, "%s: listen: %s", path,
                             strerror(errno));
        goto unlink_path;
    }

    s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        abort();
    }
    s->loop = loop;
    s->log = log;
    s->fd = fd;
    s->methods = methods;
    s->n_methods = n;
    s->aux = aux;
    s->max_msg = opts->max_msg ? opts->max_msg : FT_RPC_MAX_MSG;
    s->max_conns = conn_cap(opts->max_conns ? opts->max_conns : 1024);
    s->budget = opts->max_buffered ? opts->max_buffered : RPC_BUFFER_BUDGET;
    s->rl = (struct ft_ratelimit) FT_RATELIMIT_INIT(60, 10);
    error = ft_loop_add_fd(loop, fd, EPOLLIN, accept_cb, s);
    if (error) {
        ft_error_set(err, error, "%s: event loop: %s", path,
                     strerror(-error));
        free(s->path);
        free(s);
        goto unlink_path;
    }
    s->sweep_timer = ft_loop_add_timer(loop, RPC_SWEEP_MS, RPC_SWEEP_MS,
                                       sweep_cb, s);
    *serverp = s;
    return 0;

unlink_path:
    unlink(path);
close_fd:
    close(fd);
    return error;
}

void
ft_rpc_server_destroy(struct ft_rpc_server *s)
{
    if (!s) {
        return;
    }
    while (s->n_conns) {
        conn_destroy(s->conns[0]);
    }
    ft_loop_cancel_timer(s->loop, s->sweep_timer);
    ft_loop_cancel_timer(s->loop, s->resume_timer);
    ft_loop_del_fd(s->loop, s->fd);
    close(s->fd);
    unlink(s->path);
    free(s->conns);
    free(s->path);
    free(s);
}

size_t
ft_rpc_server_n_conns(const struct ft_rpc_server *s)
{
    return s->n_conns;
}

/* ---- Client. ---- */

struct ft_rpc_client {
    int fd;
    char *path;
    struct ft_rpc_reader in;
    json_int_t next_id;
};

int
ft_rpc_client_open(const char *path, struct ft_rpc_client **clientp,
                   struct ft_error *err)
{
    struct ft_rpc_client *c;
    struct sockaddr_un sun;
    int fd, error;

    *clientp = NULL;
    error = fill_sockaddr(path, &sun, err);
    if (error) {
        return error;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return ft_error_set(err, -errno, "socket: %s", strerror(errno));
    }
    if (connect(fd, (struct sockaddr *) &sun, sizeof sun) < 0) {
        error = -errno;
        close(fd);
        if (error == -ENOENT || error == -ECONNREFUSED) {
            return ft_error_set(err, error, "%s: %s (is flowtierd "
                                "running?)", path, strerror(-error));
        }
        return ft_error_set(err, error, "%s: %s", path, strerror(-error));
    }
    c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path))) {
        abort();
    }
    c->fd = fd;
    c->next_id = 1;
    /* Replies may be large (dump-flows of a big table). */
    ft_rpc_reader_init(&c->in, (size_t) 1 << 31);
    *clientp = c;
    return 0;
}

void
ft_rpc_client_close(struct ft_rpc_client *c)
{
    if (c) {
        close(c->fd);
        ft_rpc_reader_uninit(&c->in);
        free(c->path);
        free(c);
    }
}

static int
client_send(struct ft_rpc_client *c, const char *buf, size_t len,
            struct ft_error *err)
{
    while (len) {
        ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            /* Not all of it went: the request was never run. */
            return ft_error_set(err, errno == ECONNRESET ? -EPIPE : -errno,
                                "%s: send: %s", c->path, strerror(errno));
        }
        buf += n;
        len -= (size_t) n;
    }
    return 0;
}

/* Interprets 'reply' to request 'id'. */
static int
client_parse_reply(json_t *reply, json_int_t id, json_t **result,
                   struct ft_error *err)
{
    json_t *error = json_object_get(reply, "error");
    json_t *rid = json_object_get(reply, "id");

    if (error) {
        const char *msg = json_string_value(json_object_get(error,
                                                            "message"));
        json_int_t code = json_integer_value(json_object_get(error, "code"));
        json_int_t eno = json_integer_value(
            json_object_get(json_object_get(error, "data"), "errno"));

        if (code != FT_RPC_ERR_FAILED || eno <= 0) {
            eno = code == FT_RPC_ERR_TOO_BIG ? EMSGSIZE : EINVAL;
        }
        return ft_error_set(err, (int) -eno, "%s",
                            msg ? msg : "error without a message");
    }
    if (!json_is_integer(rid) || json_integer_value(rid) != id
        || !json_object_get(reply, "result")) {
        return ft_error_set(err, -EPROTO, "reply does not match request");
    }
    *result = json_incref(json_object_get(reply, "result"));
    return 0;
}

int
ft_rpc_client_call(struct ft_rpc_client *c, const char *method,
                   json_t *params, int timeout_ms, json_t **result,
                   struct ft_error *err)
{
    json_int_t id = c->next_id++;
    long long int deadline = timeout_ms < 0 ? -1
                             : ft_time_msec() + timeout_ms;
    json_t *request;
    char *text;
    int error;

    *result = NULL;
    request = json_pack("{s:s, s:I, s:s}", "jsonrpc", "2.0", "id", id,
                        "method", method);
    json_object_set_new(request, "params", params ? params : json_object());
    text = json_dumps(request, JSON_COMPACT);
    json_decref(request);
    if (!text) {
        abort();
    }
    if (strlen(text) + 1 > FT_RPC_MAX_MSG) {
        /* The daemon would refuse it and close the connection; say why
         * here rather than report a broken pipe. */
        error = ft_error_set(err, -EMSGSIZE, "%s: request of %zu bytes is "
                             "over the control socket's limit of %u bytes "
                             "(split the input)", method, strlen(text) + 1,
                             FT_RPC_MAX_MSG);
        free(text);
        return error;
    }
    error = client_send(c, text, strlen(text), err);
    if (!error) {
        error = client_send(c, "\n", 1, err);
    }
    free(text);
    if (error) {
        return error;
    }

    for (;;) {
        struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
        json_error_t jerr;
        json_t *reply;
        char *msg;
        size_t len;
        ssize_t n;
        int r, wait;

        r = ft_rpc_reader_next(&c->in, &msg, &len);
        if (r < 0) {
            return ft_error_set(err, r, "reply too long");
        } else if (r > 0) {
            reply = json_loadb(msg, len, 0, &jerr);
            if (!reply) {
                return ft_error_set(err, -EPROTO, "bad reply: %s",
                                    jerr.text);
            }
            error = client_parse_reply(reply, id, result, err);
            json_decref(reply);
            return error;
        }
        wait = -1;
        if (deadline >= 0) {
            long long int left = deadline - ft_time_msec();

            if (left <= 0) {
                return ft_error_set(err, -ETIMEDOUT, "%s: no reply within "
                                    "%d ms", c->path, timeout_ms);
            }
            wait = (int) left;
        }
        if (poll(&pfd, 1, wait) < 0 && errno != EINTR) {
            return ft_error_set(err, -errno, "poll: %s", strerror(errno));
        }
        if (!pfd.revents) {
            continue;
        }
        n = ft_rpc_reader_recv(&c->in, c->fd);
        if (n == 0) {
            return ft_error_set(err, -ECONNRESET, "%s: the daemon closed "
                                "the connection without replying", c->path);
        } else if (n < 0 && n != -EAGAIN) {
            /* The request went in full: whatever broke, it may have run. */
            return ft_error_set(err, -ECONNRESET, "%s: %s", c->path,
                                strerror((int) -n));
        }
    }
}

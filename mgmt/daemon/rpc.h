/*
 * rpc.h - JSON-RPC 2.0 over a Unix stream socket: framing, dispatch,
 * server and client.
 *
 * Wire format
 * ===========
 *
 * One JSON object per message, each followed by a newline ('\n').  A
 * request:
 *
 *   {"jsonrpc":"2.0","id":1,"method":"add-br","params":{"bridge":"br0"}}
 *
 * and its reply, either
 *
 *   {"jsonrpc":"2.0","id":1,"result":...}
 *   {"jsonrpc":"2.0","id":1,"error":{"code":-32000,
 *                                    "message":"no bridge named \"br9\"",
 *                                    "data":{"errno":2}}}
 *
 * Parameters are always named (an object).  The error codes are JSON-RPC's
 * own (-32700 parse error, -32600 invalid request, -32601 unknown method,
 * -32602 bad parameters) plus FT_RPC_ERR_FAILED for a request that was
 * well-formed but failed; its "data" carries the positive errno.  A
 * request without "id" is a notification: it runs but gets no reply.
 *
 * Robustness
 * ==========
 *
 * A message longer than the server's limit (FT_RPC_MAX_MSG by default) is
 * answered with an error and the connection is closed, without buffering
 * the rest of it.  A line that is not JSON, or JSON that is not a request,
 * gets an error reply and the connection stays usable.  Bytes after the
 * last newline when the client shuts down its side are a truncated
 * message: error reply, then close.  A client that goes away in the middle
 * of anything only loses its own connection.  A request left unfinished
 * (no newline) with no byte for 5 s is answered with an error and closed;
 * unfinished requests across connections share a memory budget, and a
 * large one past it is refused with the reason.  The connection cap
 * follows the open-file limit; at the cap, or out of descriptors, the
 * connection idle longest makes room, and the listener is never polled in
 * a loop that cannot accept (rpc.c has the figures).
 *
 * Dispatch is table driven: each 'struct ft_rpc_method' names its
 * parameters and their JSON types, and the dispatcher rejects missing,
 * unknown or mistyped parameters before the handler runs, so a handler
 * only sees what it declared.
 *
 * Not thread-safe; the server runs in one event loop.
 */
#ifndef FLOWTIER_MGMT_RPC_H
#define FLOWTIER_MGMT_RPC_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "flowtier/error.h"

struct ft_loop;
struct ft_log;

#define FT_RPC_MAX_MSG (8u * 1024 * 1024)   /* Default message limit. */

/* Error codes. */
#define FT_RPC_ERR_PARSE          -32700
#define FT_RPC_ERR_INVALID        -32600
#define FT_RPC_ERR_NO_METHOD      -32601
#define FT_RPC_ERR_PARAMS         -32602
#define FT_RPC_ERR_INTERNAL       -32603
#define FT_RPC_ERR_FAILED         -32000
#define FT_RPC_ERR_TOO_BIG        -32001

/* ---- Framing. ---- */

/* Accumulates bytes from a stream and cuts them into messages. */
struct ft_rpc_reader {
    char *buf;
    size_t start;               /* First byte not yet returned. */
    size_t len;                 /* Bytes in 'buf'. */
    size_t allocated;
    size_t scanned;             /* Bytes from 'start' known to hold no
                                 * newline. */
    size_t max_msg;
};

void ft_rpc_reader_init(struct ft_rpc_reader *, size_t max_msg);
void ft_rpc_reader_uninit(struct ft_rpc_reader *);

/* Appends 'n' bytes. */
void ft_rpc_reader_feed(struct ft_rpc_reader *, const void *data, size_t n);

/* Reads what 'fd' has (once).  Returns the number of bytes read (0 at end
 * of stream), -EAGAIN if none is ready, or another negative errno. */
ssize_t ft_rpc_reader_recv(struct ft_rpc_reader *, int fd);

/* Takes the next complete message out of the reader.  Returns 1 and points
 * '*msg' at it ('*len' bytes, newline removed, NUL-terminated; valid
 * until the next call on the reader), 0 if no complete message is
 * buffered, or -EMSGSIZE if the pending message already exceeds the
 * limit (the reader is then unusable). */
int ft_rpc_reader_next(struct ft_rpc_reader *, char **msg, size_t *len);

/* Bytes buffered that are not part of a returned message. */
size_t ft_rpc_reader_pending(const struct ft_rpc_reader *);

/* ---- Dispatch. ---- */

enum ft_rpc_type {
    FT_RPC_STRING,
    FT_RPC_INT,
    FT_RPC_BOOL,
    FT_RPC_STRINGS,             /* Array of strings. */
    FT_RPC_ARRAY,               /* Any array (the handler checks). */
    FT_RPC_OBJECT,
};

struct ft_rpc_param {
    const char *name;
    enum ft_rpc_type type;
    bool required;
};

/* Handles one call.  'params' is the request's "params" object, already
 * checked against the method's parameter list (absent optional parameters
 * are absent).  On success returns 0 and stores the result in '*result'
 * (a new reference, or NULL for JSON null).  On failure returns a negative
 * errno with 'err' filled; a handler may instead return
 * FT_RPC_ERR_PARAMS to reject its parameters with 'err' saying why. */
typedef int ft_rpc_handler(json_t *params, json_t **result,
                           struct ft_error *err, void *aux);

struct ft_rpc_method {
    const char *name;
    const struct ft_rpc_param *params;  /* Ends with a NULL name; may be
                                         * NULL for none. */
    ft_rpc_handler *handler;
};

/* Runs request 'msg' ('len' bytes, one JSON text) against the 'n'
 * 'methods', passing 'aux' to the handler.  Returns the reply to send
 * (a new reference) or NULL for a notification. */
json_t *ft_rpc_dispatch(const struct ft_rpc_method *methods, size_t n,
                        const char *msg, size_t len, void *aux);

/* Checks 'params' (an object) against 'method''s parameter list, as
 * ft_rpc_dispatch() does before calling a handler (for methods that run
 * other methods, like a transaction of several commands).  Returns 0 or
 * FT_RPC_ERR_PARAMS with 'err' saying what is wrong. */
int ft_rpc_check_params(const struct ft_rpc_method *method, json_t *params,
                        struct ft_error *err);

/* Builds an error reply for 'id' (may be NULL: JSON null). */
json_t *ft_rpc_error_reply(json_t *id, int code, const char *message,
                           int errno_value);

/* ---- Server. ---- */

struct ft_rpc_server_options {
    mode_t mode;                /* Socket file mode, e.g. 0660. */
    gid_t gid;                  /* Socket group, or (gid_t) -1 to keep. */
    size_t max_msg;             /* 0: FT_RPC_MAX_MSG. */
    size_t max_conns;           /* 0: 1024; never above the open-file
                                 * limit less a reserve (see rpc.c). */
    size_t max_buffered;        /* Bytes of unfinished requests across
                                 * connections; 0: 64 MiB. */
};

struct ft_rpc_server;

/* Listens on Unix socket 'path' (a stale file there is replaced; the
 * caller makes sure no live server owns it, e.g. with a pidfile) and
 * serves 'methods' in 'loop'.  'methods' and 'aux' must outlive the
 * server.  'log' may be NULL.  Returns 0 and '*serverp' or a negative
 * errno with 'err' filled. */
int ft_rpc_server_create(struct ft_loop *loop, const char *path,
                         const struct ft_rpc_server_options *opts,
                         const struct ft_rpc_method *methods, size_t n,
                         void *aux, struct ft_log *log,
                         struct ft_rpc_server **serverp,
                         struct ft_error *err);

/* Closes every connection and the listening socket and removes the socket
 * file.  NULL is a no-op. */
void ft_rpc_server_destroy(struct ft_rpc_server *server);

/* Number of open client connections. */
size_t ft_rpc_server_n_conns(const struct ft_rpc_server *server);

/* ---- Client (blocking). ---- */

struct ft_rpc_client;

/* Connects to the server at 'path'.  Returns 0 and '*clientp', or a
 * negative errno with 'err' saying what to check (e.g. "is flowtierd
 * running?"). */
int ft_rpc_client_open(const char *path, struct ft_rpc_client **clientp,
                       struct ft_error *err);
void ft_rpc_client_close(struct ft_rpc_client *client);

/* Calls 'method' with 'params' (an object; the reference is taken; NULL
 * for none) and waits for the reply, at most 'timeout_ms' (-1: forever).
 * Returns 0 and '*result' (a new reference; JSON null for a null result),
 * or a negative errno with 'err' holding the server's message: the errno
 * the server reported, -EINVAL for a protocol-level error reply (bad
 * parameters, unknown method), -EPROTO for a reply that makes no sense,
 * or the socket's error.  Two codes mean the whole request reached the
 * server but no reply came, so whether it was carried out is unknown:
 * -ETIMEDOUT (none within 'timeout_ms') and -ECONNRESET (the connection
 * ended first, e.g. the daemon died).  A request that could not be sent
 * in full was never carried out (the server runs only whole lines): that
 * fails with -EPIPE or another errno, never with these two. */
int ft_rpc_client_call(struct ft_rpc_client *client, const char *method,
                       json_t *params, int timeout_ms, json_t **result,
                       struct ft_error *err);

#endif /* mgmt/daemon/rpc.h */

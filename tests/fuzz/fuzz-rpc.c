/*
 * fuzz-rpc.c - libFuzzer target for the decoding of flowtierd's JSON-RPC
 * control requests (mgmt/daemon/rpc.c): the byte stream of a connection
 * cut into messages by the reader, each message run through
 * ft_rpc_dispatch() against the daemon's own method table
 * (ft_server_methods(): its names and parameter lists), with every handler
 * replaced by one that checks what it is given and echoes it, so that no
 * configuration is touched.  The first byte sets the size of the chunks the
 * stream arrives in and the message size limit.
 *
 * Checks: a handler only sees the parameters its method declares, of the
 * declared types, with the required ones present; every request with an
 * "id" gets a reply and every reply is a JSON text that parses again (a
 * reply that cannot be written leaves the client waiting forever); a
 * message over the limit stops the reader.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/daemon/rpc.h"
#include "mgmt/daemon/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_rpc {
    const struct ft_rpc_method *method;     /* The one being called. */
    int calls;
};

static void
check(int ok, const char *what, const char *msg, size_t len)
{
    if (!ok) {
        fprintf(stderr, "fuzz-rpc: %s\n  message: %.*s\n", what, (int) len,
                msg);
        abort();
    }
}

/* Stands for every method's handler: checks the contract of dispatch. */
static int
echo_handler(json_t *params, json_t **result, struct ft_error *err,
             void *aux)
{
    struct fuzz_rpc *ctx = aux;
    struct ft_error check_err;

    (void) err;
    ctx->calls++;
    check(ctx->method != NULL, "a handler ran for an unknown method", "", 0);
    check(json_is_object(params), "params is not an object", "", 0);
    /* Every parameter declared, of its type, the required ones there:
     * what dispatch promises to check before a handler runs. */
    if (ft_rpc_check_params(ctx->method, params, &check_err)) {
        check(0, "a handler got parameters its method refuses",
              check_err.reason, strlen(check_err.reason));
    }
    *result = json_deep_copy(params);
    return 0;
}

/* The method table with the real names and parameters, echo handlers. */
static const struct ft_rpc_method *
fuzz_methods(size_t *n)
{
    static struct ft_rpc_method copy[64];
    static size_t n_copy;

    if (!n_copy) {
        const struct ft_rpc_method *real = ft_server_methods(&n_copy);

        if (n_copy > sizeof copy / sizeof copy[0]) {
            abort();
        }
        for (size_t i = 0; i < n_copy; i++) {
            copy[i] = real[i];
            copy[i].handler = echo_handler;
        }
    }
    *n = n_copy;
    return copy;
}

static void
dispatch_one(const char *msg, size_t len)
{
    const struct ft_rpc_method *methods;
    struct fuzz_rpc ctx = { NULL, 0 };
    json_t *request, *reply, *back;
    const char *name;
    bool has_id;
    char *text;
    size_t n;

    methods = fuzz_methods(&n);
    request = json_loadb(msg, len, JSON_REJECT_DUPLICATES, NULL);
    has_id = !json_is_object(request)
             || json_object_get(request, "id") != NULL;
    name = json_string_value(json_object_get(request, "method"));
    for (size_t i = 0; name && i < n; i++) {
        if (!strcmp(methods[i].name, name)) {
            ctx.method = &methods[i];
        }
    }
    reply = ft_rpc_dispatch(methods, n, msg, len, &ctx);
    check(ctx.calls <= 1, "a handler ran more than once", msg, len);
    check(reply || !has_id, "a request with an id got no reply", msg, len);
    if (reply) {
        text = json_dumps(reply, JSON_COMPACT);
        check(text != NULL, "the reply cannot be written", msg, len);
        back = json_loads(text, 0, NULL);
        check(back != NULL, "the reply is not JSON", text, strlen(text));
        json_decref(back);
        free(text);
    }
    json_decref(reply);
    json_decref(request);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ft_rpc_reader reader;
    size_t chunk, max_msg, pos;
    char *msg;
    size_t len;
    int r = 0;

    if (size < 1 || size > 65536) {
        return 0;
    }
    chunk = (data[0] & 15) + 1;
    max_msg = data[0] & 16 ? 64 : 16384;
    ft_rpc_reader_init(&reader, max_msg);
    for (pos = 1; pos < size && r >= 0; pos += chunk) {
        size_t n = size - pos < chunk ? size - pos : chunk;

        ft_rpc_reader_feed(&reader, data + pos, n);
        while ((r = ft_rpc_reader_next(&reader, &msg, &len)) == 1) {
            check(len <= max_msg, "a message over the limit was returned",
                  msg, len);
            check(strlen(msg) <= len && msg[len] == '\0',
                  "a message is not NUL-terminated", msg, len);
            dispatch_one(msg, len);
        }
    }
    ft_rpc_reader_uninit(&reader);
    return 0;
}

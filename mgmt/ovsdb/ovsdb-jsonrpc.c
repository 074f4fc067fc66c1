/*
 * ovsdb-jsonrpc.c - OVSDB's JSON-RPC 1.0 framing: peers send JSON texts
 * back to back, with or without whitespace between them and never with a
 * length, so the stream is cut by tracking brackets and strings; and the
 * classification of one message as request, notification or reply.
 *
 * Part of the management plane's OVSDB endpoint; no I/O.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/ovsdb/ovsdb-private.h"

void
ov_splitter_init(struct ov_splitter *sp, size_t max_msg)
{
    memset(sp, 0, sizeof *sp);
    ds_init(&sp->buf);
    sp->max_msg = max_msg;
}

void
ov_splitter_uninit(struct ov_splitter *sp)
{
    ds_destroy(&sp->buf);
}

void
ov_splitter_feed(struct ov_splitter *sp, const void *data, size_t n)
{
    if (sp->start && sp->start == sp->buf.len) {
        ds_clear(&sp->buf);
        sp->start = sp->pos = 0;
    } else if (sp->start > 65536 && sp->start > sp->buf.len / 2) {
        /* Drop what was returned already. */
        memmove(sp->buf.s, sp->buf.s + sp->start, sp->buf.len - sp->start);
        sp->buf.len -= sp->start;
        sp->pos -= sp->start;
        sp->start = 0;
    }
    ds_put_buffer(&sp->buf, data, n);
}

int
ov_splitter_next(struct ov_splitter *sp, const char **msg, size_t *len,
                 struct ft_error *err)
{
    while (sp->pos < sp->buf.len) {
        char c = sp->buf.s[sp->pos++];

        if (sp->depth == 0) {
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                sp->start = sp->pos;
                continue;
            }
            if (c != '{' && c != '[') {
                return ft_error_set(err, -EPROTO, "byte %zu: expected a "
                                    "JSON object or array, not '%c'",
                                    sp->pos - 1, c);
            }
            sp->depth = 1;
        } else if (sp->in_string) {
            if (sp->escape) {
                sp->escape = false;
            } else if (c == '\\') {
                sp->escape = true;
            } else if (c == '"') {
                sp->in_string = false;
            }
        } else if (c == '"') {
            sp->in_string = true;
        } else if (c == '{' || c == '[') {
            sp->depth++;
        } else if ((c == '}' || c == ']') && --sp->depth == 0) {
            *msg = sp->buf.s + sp->start;
            *len = sp->pos - sp->start;
            sp->start = sp->pos;
            return 1;
        }
        if (sp->pos - sp->start > sp->max_msg) {
            return ft_error_set(err, -EMSGSIZE, "message longer than %zu "
                                "bytes", sp->max_msg);
        }
    }
    return 0;
}

int
ov_msg_parse(json_t *j, struct ov_msg *msg, struct ft_error *err)
{
    json_t *method, *id;

    memset(msg, 0, sizeof *msg);
    if (!json_is_object(j)) {
        return ft_error_set(err, -EINVAL, "a JSON-RPC message must be an "
                            "object");
    }
    method = json_object_get(j, "method");
    id = json_object_get(j, "id");
    if (!method) {
        if (id && (json_object_get(j, "result")
                   || json_object_get(j, "error"))) {
            msg->type = OV_REPLY;
            msg->id = id;
            return 0;
        }
        return ft_error_set(err, -EINVAL, "message has neither \"method\" "
                            "nor \"result\"/\"error\" with \"id\"");
    }
    if (!json_is_string(method)) {
        return ft_error_set(err, -EINVAL, "\"method\" must be a string");
    }
    msg->method = json_string_value(method);
    msg->params = json_object_get(j, "params");
    if (!json_is_array(msg->params)) {
        return ft_error_set(err, -EINVAL, "\"params\" must be an array");
    }
    msg->type = !id || json_is_null(id) ? OV_NOTIFY : OV_REQUEST;
    msg->id = json_is_null(id) ? NULL : id;
    return 0;
}

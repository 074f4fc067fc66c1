/*
 * test-rpc.c - unit tests of the JSON-RPC layer (mgmt/daemon/rpc.c) and the event
 * loop under it (mgmt/daemon/event-loop.c): framing with partial reads, limits,
 * dispatch against a fake method table, and a live server on a Unix
 * socket fed malformed, oversized, truncated and abandoned requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "mgmt/daemon/event-loop.h"
#include "mgmt/daemon/log.h"
#include "mgmt/daemon/rpc.h"

/* ---- Framing. ---- */

static void
test_reader_partial(void **state)
{
    struct ft_rpc_reader r;
    const char *text = "{\"a\":1}\n{\"b\":2}\r\n{\"c\"";
    char *msg;
    size_t len;

    (void) state;
    ft_rpc_reader_init(&r, 64);
    /* One byte at a time: nothing until the first newline. */
    for (size_t i = 0; i < 7; i++) {
        ft_rpc_reader_feed(&r, text + i, 1);
        assert_int_equal(ft_rpc_reader_next(&r, &msg, &len), 0);
    }
    ft_rpc_reader_feed(&r, text + 7, strlen(text) - 7);
    assert_int_equal(ft_rpc_reader_next(&r, &msg, &len), 1);
    assert_int_equal(len, 7);
    assert_string_equal(msg, "{\"a\":1}");
    assert_int_equal(ft_rpc_reader_next(&r, &msg, &len), 1);
    assert_string_equal(msg, "{\"b\":2}");      /* CR dropped. */
    assert_int_equal(ft_rpc_reader_next(&r, &msg, &len), 0);
    assert_int_equal(ft_rpc_reader_pending(&r), 4);
    ft_rpc_reader_feed(&r, ":3}\n", 4);
    assert_int_equal(ft_rpc_reader_next(&r, &msg, &len), 1);
    assert_string_equal(msg, "{\"c\":3}");
    assert_int_equal(ft_rpc_reader_pending(&r), 0);
    ft_rpc_reader_uninit(&r);
}

static void
test_reader_limit(void **state)
{
    struct ft_rpc_reader r;
    char big[100];
    char *msg;
    size_t len;

    (void) state;
    memset(big, 'x', sizeof big);

    /* Exactly the limit is fine. */
    ft_rpc_reader_init(&r, 16);
    ft_rpc_reader_feed(&r, big, 16);
    ft_rpc_reader_feed(&r, "\n", 1);
    assert_int_equal(ft_rpc_reader_next(&r, &msg, &len), 1);
    assert_int_equal(len, 16);
    ft_rpc_reader_uninit(&r);

    /* Over the limit without a newline yet: refused at once. */
    ft_rpc_reader_init(&r, 16);
    ft_rpc_reader_feed(&r, big, 10);
    assert_int_equal(ft_rpc_reader_next(&r, &msg, &len), 0);
    ft_rpc_reader_feed(&r, big, 10);
    assert_int_equal(ft_rpc_reader_next(&r, &msg, &len), -EMSGSIZE);
    ft_rpc_reader_uninit(&r);

    /* Over the limit with its newline in the same chunk. */
    ft_rpc_reader_init(&r, 16);
    ft_rpc_reader_feed(&r, "{}\n", 3);
    ft_rpc_reader_feed(&r, big, 17);
    ft_rpc_reader_feed(&r, "\n", 1);
    assert_int_equal(ft_rpc_reader_next(&r, &msg, &len), 1);
    assert_string_equal(msg, "{}");
    assert_int_equal(ft_rpc_reader_next(&r, &msg, &len), -EMSGSIZE);
    ft_rpc_reader_uninit(&r);
}

/* ---- Dispatch. ---- */

struct fake {
    int n_calls;
    const char *last_name;
};

static int
fake_echo(json_t *params, json_t **result, struct ft_error *err, void *aux)
{
    struct fake *f = aux;
    json_t *times = json_object_get(params, "times");

    f->n_calls++;
    f->last_name = "echo";
    if (times && json_integer_value(times) < 0) {
        return ft_error_set(err, FT_RPC_ERR_PARAMS, "times must be >= 0");
    }
    *result = json_pack("{s:O, s:I}", "text", json_object_get(params, "text"),
                        "times", times ? json_integer_value(times) : 1);
    return 0;
}

static int
fake_fail(json_t *params, json_t **result, struct ft_error *err, void *aux)
{
    struct fake *f = aux;

    f->n_calls++;
    f->last_name = "fail";
    return ft_error_set(err, -ENOENT, "no bridge named \"%s\"",
                        json_string_value(json_object_get(params, "bridge")));
}

static const struct ft_rpc_param echo_params[] = {
    { "text", FT_RPC_STRING, true },
    { "times", FT_RPC_INT, false },
    { "words", FT_RPC_STRINGS, false },
    { NULL, 0, false },
};

static const struct ft_rpc_param fail_params[] = {
    { "bridge", FT_RPC_STRING, true },
    { NULL, 0, false },
};

static const struct ft_rpc_method fake_methods[] = {
    { "echo", echo_params, fake_echo },
    { "fail", fail_params, fake_fail },
};

#define N_FAKE (sizeof fake_methods / sizeof fake_methods[0])

/* Dispatches 'text' and returns the error code of the reply (0 if it is a
 * result).  Stores the reply in '*replyp' if nonnull. */
static int
dispatch(struct fake *f, const char *text, json_t **replyp)
{
    json_t *reply = ft_rpc_dispatch(fake_methods, N_FAKE, text, strlen(text),
                                    f);
    int code = 0;

    assert_non_null(reply);
    assert_string_equal(json_string_value(json_object_get(reply, "jsonrpc")),
                        "2.0");
    if (json_object_get(reply, "error")) {
        code = (int) json_integer_value(
            json_object_get(json_object_get(reply, "error"), "code"));
        assert_null(json_object_get(reply, "result"));
    } else {
        assert_non_null(json_object_get(reply, "result"));
    }
    if (replyp) {
        *replyp = reply;
    } else {
        json_decref(reply);
    }
    return code;
}

static void
test_dispatch(void **state)
{
    struct fake f = { 0, NULL };
    json_t *reply, *result;

    (void) state;
    assert_int_equal(dispatch(&f, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":"
                              "\"echo\",\"params\":{\"text\":\"hi\","
                              "\"times\":3}}", &reply), 0);
    assert_int_equal(json_integer_value(json_object_get(reply, "id")), 7);
    result = json_object_get(reply, "result");
    assert_string_equal(json_string_value(json_object_get(result, "text")),
                        "hi");
    assert_int_equal(json_integer_value(json_object_get(result, "times")), 3);
    json_decref(reply);
    assert_int_equal(f.n_calls, 1);

    /* String ids are echoed back. */
    assert_int_equal(dispatch(&f, "{\"jsonrpc\":\"2.0\",\"id\":\"x\","
                              "\"method\":\"echo\",\"params\":{\"text\":"
                              "\"a\"}}", &reply), 0);
    assert_string_equal(json_string_value(json_object_get(reply, "id")), "x");
    json_decref(reply);

    /* A failing handler: errno and reason reach the client. */
    assert_int_equal(dispatch(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
                              "\"fail\",\"params\":{\"bridge\":\"br9\"}}",
                              &reply), FT_RPC_ERR_FAILED);
    result = json_object_get(reply, "error");
    assert_string_equal(json_string_value(json_object_get(result,
                                                          "message")),
                        "no bridge named \"br9\"");
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(result, "data"), "errno")), ENOENT);
    json_decref(reply);
    assert_int_equal(f.n_calls, 3);
}

static void
test_dispatch_bad(void **state)
{
    struct fake f = { 0, NULL };
    json_t *reply;

    (void) state;
    assert_int_equal(dispatch(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"meth",
                              NULL), FT_RPC_ERR_PARSE);
    assert_int_equal(dispatch(&f, "not json at all", NULL),
                     FT_RPC_ERR_PARSE);
    assert_int_equal(dispatch(&f, "{} {}", NULL), FT_RPC_ERR_PARSE);
    assert_int_equal(dispatch(&f, "{\"id\":1,\"id\":2}", NULL),
                     FT_RPC_ERR_PARSE);
    assert_int_equal(dispatch(&f, "[1,2,3]", NULL), FT_RPC_ERR_INVALID);
    assert_int_equal(dispatch(&f, "{\"id\":1,\"method\":\"echo\"}", NULL),
                     FT_RPC_ERR_INVALID);
    assert_int_equal(dispatch(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,"
                              "\"method\":5}", NULL), FT_RPC_ERR_INVALID);
    assert_int_equal(dispatch(&f, "{\"jsonrpc\":\"2.0\",\"id\":[1],"
                              "\"method\":\"echo\"}", NULL),
                     FT_RPC_ERR_INVALID);
    assert_int_equal(dispatch(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,"
                              "\"method\":\"nope\"}", &reply),
                     FT_RPC_ERR_NO_METHOD);
    assert_non_null(strstr(json_string_value(json_object_get(
        json_object_get(reply, "error"), "message")), "nope"));
    json_decref(reply);

    /* Parameters: positional, missing, unknown, mistyped. */
    assert_int_equal(dispatch(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
                              "\"echo\",\"params\":[\"hi\"]}", NULL),
                     FT_RPC_ERR_PARAMS);
    assert_int_equal(dispatch(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
                              "\"echo\"}", NULL), FT_RPC_ERR_PARAMS);
    assert_int_equal(dispatch(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
                              "\"echo\",\"params\":{\"text\":\"a\",\"x\":1}}",
                              NULL), FT_RPC_ERR_PARAMS);
    assert_int_equal(dispatch(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
                              "\"echo\",\"params\":{\"text\":5}}", NULL),
                     FT_RPC_ERR_PARAMS);
    assert_int_equal(dispatch(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
                              "\"echo\",\"params\":{\"text\":\"a\","
                              "\"words\":[\"a\",1]}}", NULL),
                     FT_RPC_ERR_PARAMS);
    /* None of those reached a handler. */
    assert_int_equal(f.n_calls, 0);

    /* A handler may reject its parameters itself. */
    assert_int_equal(dispatch(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
                              "\"echo\",\"params\":{\"text\":\"a\","
                              "\"times\":-1}}", NULL), FT_RPC_ERR_PARAMS);
    assert_int_equal(f.n_calls, 1);

    /* A notification runs but gets no reply. */
    {
        const char *note = "{\"jsonrpc\":\"2.0\",\"method\":\"echo\","
                           "\"params\":{\"text\":\"n\"}}";

        reply = ft_rpc_dispatch(fake_methods, N_FAKE, note, strlen(note), &f);
    }
    assert_null(reply);
    assert_int_equal(f.n_calls, 2);
}

/* A reply whose reason is not valid UTF-8 (bytes quoted from a request
 * that is not UTF-8, a reason cut in a character) is still sent: the
 * broken bytes become '?'.  Found by tests/fuzz/fuzz-rpc.c. */
static void
test_dispatch_bad_utf8(void **state)
{
    static const char bad[] = "{\"jsonrpc\":\"2.0\",\"id\":13,"
                              "\"params\":{\"b\":\"\\u00e\xc7\xa3\xff\"}}";
    struct fake f = { 0, NULL };
    const char *message;
    json_t *reply;
    char *text;

    (void) state;
    assert_int_equal(dispatch(&f, bad, &reply), FT_RPC_ERR_PARSE);
    text = json_dumps(reply, JSON_COMPACT);
    assert_non_null(text);
    free(text);
    json_decref(reply);

    /* "é" cut after its first byte, and a valid one kept. */
    reply = ft_rpc_error_reply(NULL, FT_RPC_ERR_FAILED,
                               "no bridge \xc3\xa9\xc3", ENOENT);
    assert_non_null(reply);
    message = json_string_value(json_object_get(json_object_get(reply,
                                                                "error"),
                                                "message"));
    assert_string_equal(message, "no bridge \xc3\xa9?");
    json_decref(reply);
    assert_int_equal(f.n_calls, 0);
}

/* ---- Event loop. ---- */

struct timer_log {
    struct ft_loop *loop;
    char order[16];
    size_t n;
    uint64_t cancel_me;
};

static void
timer_a(void *aux)
{
    struct timer_log *t = aux;

    t->order[t->n++] = 'a';
    /* Cancelling another timer from a callback keeps it from firing. */
    ft_loop_cancel_timer(t->loop, t->cancel_me);
}

static void
timer_b(void *aux)
{
    struct timer_log *t = aux;

    t->order[t->n++] = 'b';
}

static void
test_loop_timers(void **state)
{
    struct timer_log t;
    struct ft_error err;
    struct ft_loop *loop;
    long long int start;
    uint64_t id;

    (void) state;
    memset(&t, 0, sizeof t);
    assert_int_equal(ft_loop_create(&loop, &err), 0);
    t.loop = loop;
    ft_loop_add_timer(loop, 0, 0, timer_a, &t);
    t.cancel_me = ft_loop_add_timer(loop, 0, 0, timer_b, &t);
    id = ft_loop_add_timer(loop, 20, 20, timer_b, &t);
    assert_int_not_equal(id, 0);
    assert_int_equal(ft_loop_n_timers(loop), 3);
    start = ft_time_msec();
    ft_loop_run_once(loop, 0);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.order[0], 'a');
    assert_int_equal(ft_loop_n_timers(loop), 1);    /* The periodic one. */
    while (t.n < 3) {
        ft_loop_run_once(loop, 100);
    }
    assert_true(ft_time_msec() - start >= 40);
    assert_int_equal(ft_loop_n_timers(loop), 1);
    ft_loop_cancel_timer(loop, id);
    assert_int_equal(ft_loop_n_timers(loop), 0);
    ft_loop_destroy(loop);
}

/* ---- A live server. ---- */

struct live {
    char dir[64];
    char path[96];
    struct ft_loop *loop;
    struct ft_rpc_server *server;
    struct fake fake;
    char pending[65536];
    size_t pending_len;
};

static int
live_setup(void **state)
{
    struct ft_rpc_server_options opts = {
        .mode = 0660, .gid = (gid_t) -1, .max_msg = 4096,
    };
    struct live *l = calloc(1, sizeof *l);
    struct ft_error err;

    snprintf(l->dir, sizeof l->dir, "/tmp/test-rpc.XXXXXX");
    assert_non_null(mkdtemp(l->dir));
    snprintf(l->path, sizeof l->path, "%s/sock", l->dir);
    assert_int_equal(ft_loop_create(&l->loop, &err), 0);
    assert_int_equal(ft_rpc_server_create(l->loop, l->path, &opts,
                                          fake_methods, N_FAKE, &l->fake,
                                          NULL, &l->server, &err), 0);
    *state = l;
    return 0;
}

static int
live_teardown(void **state)
{
    struct live *l = *state;

    ft_rpc_server_destroy(l->server);
    ft_loop_destroy(l->loop);
    rmdir(l->dir);
    free(l);
    return 0;
}

static int
raw_connect(const struct live *l)
{
    struct sockaddr_un sun;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, l->path);
    assert_int_equal(connect(fd, (struct sockaddr *) &sun, sizeof sun), 0);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

static void
raw_send(int fd, const char *text)
{
    size_t len = strlen(text);

    assert_int_equal(send(fd, text, len, MSG_NOSIGNAL), (ssize_t) len);
}

/* Runs the server's loop until client 'fd' has a whole line, or the
 * server closed the connection.  Returns the line (malloc'd) or NULL on
 * end of stream.  Bytes after the line wait in 'l->pending' for the next
 * call (one raw client at a time uses it). */
static char *
pump_line(struct live *l, int fd)
{
    for (int i = 0; i < 500; i++) {
        char *nl = strchr(l->pending, '\n');
        ssize_t n;

        if (nl) {
            char *line = strndup(l->pending, (size_t) (nl - l->pending));

            memmove(l->pending, nl + 1, strlen(nl + 1) + 1);
            l->pending_len = strlen(l->pending);
            return line;
        }
        ft_loop_run_once(l->loop, 10);
        n = recv(fd, l->pending + l->pending_len,
                 sizeof l->pending - 1 - l->pending_len, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            return NULL;
        }
        if (n > 0) {
            l->pending_len += (size_t) n;
            l->pending[l->pending_len] = '\0';
        }
    }
    fail_msg("no reply from the server");
    return NULL;
}

/* Error code of reply 'line', 0 for a result. */
static int
reply_code(const char *line)
{
    json_t *reply = json_loads(line, 0, NULL);
    json_t *error;
    int code = 0;

    assert_non_null(reply);
    error = json_object_get(reply, "error");
    if (error) {
        code = (int) json_integer_value(json_object_get(error, "code"));
    }
    json_decref(reply);
    return code;
}

static void
expect_reply(struct live *l, int fd, int code)
{
    char *line = pump_line(l, fd);

    assert_non_null(line);
    assert_int_equal(reply_code(line), code);
    free(line);
}

static const char echo_req[] =
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\","
    "\"params\":{\"text\":\"hi\"}}\n";

static void
test_server_socket_mode(void **state)
{
    struct live *l = *state;
    struct stat st;

    assert_int_equal(stat(l->path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0660);
}

static void
test_server_malformed(void **state)
{
    struct live *l = *state;
    int fd = raw_connect(l);

    /* Garbage, then a valid request on the same connection. */
    raw_send(fd, "{{{{ not json\n");
    expect_reply(l, fd, FT_RPC_ERR_PARSE);
    raw_send(fd, "\n   \n");     /* Blank lines are ignored. */
    raw_send(fd, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"echo\","
             "\"params\":{\"text\":7}}\n");
    expect_reply(l, fd, FT_RPC_ERR_PARAMS);
    raw_send(fd, echo_req);
    expect_reply(l, fd, 0);

    /* Two requests in one write, and one split over three writes. */
    raw_send(fd, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"nope\"}\n"
             "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"echo\","
             "\"params\":{\"text\":\"x\"}}\n");
    expect_reply(l, fd, FT_RPC_ERR_NO_METHOD);
    expect_reply(l, fd, 0);
    raw_send(fd, "{\"jsonrpc\":\"2.0\",");
    ft_loop_run_once(l->loop, 10);
    raw_send(fd, "\"id\":5,\"method\":\"ec");
    ft_loop_run_once(l->loop, 10);
    raw_send(fd, "ho\",\"params\":{\"text\":\"y\"}}\n");
    expect_reply(l, fd, 0);
    close(fd);
}

static void
test_server_oversized(void **state)
{
    struct live *l = *state;
    int fd = raw_connect(l), other = raw_connect(l);
    char *big = malloc(10000);
    char *line;

    /* 10000 bytes without a newline against a 4096-byte limit: an error
     * reply, then the server closes the connection. */
    memset(big, 'x', 9999);
    big[9999] = '\0';
    send(fd, big, 9999, MSG_NOSIGNAL);
    line = pump_line(l, fd);
    assert_non_null(line);
    assert_int_equal(reply_code(line), FT_RPC_ERR_TOO_BIG);
    free(line);
    assert_null(pump_line(l, fd));
    close(fd);
    free(big);

    /* The other client is still served. */
    raw_send(other, echo_req);
    expect_reply(l, other, 0);
    assert_int_equal(ft_rpc_server_n_conns(l->server), 1);
    close(other);
}

static void
test_server_truncated(void **state)
{
    struct live *l = *state;
    int fd = raw_connect(l);
    char *line;

    /* Half a request, then the client shuts down its sending side. */
    raw_send(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"meth");
    shutdown(fd, SHUT_WR);
    line = pump_line(l, fd);
    assert_non_null(line);
    assert_int_equal(reply_code(line), FT_RPC_ERR_PARSE);
    assert_non_null(strstr(line, "truncated"));
    free(line);
    assert_null(pump_line(l, fd));
    close(fd);
    for (int i = 0; i < 5; i++) {
        ft_loop_run_once(l->loop, 1);
    }
    assert_int_equal(ft_rpc_server_n_conns(l->server), 0);
}

static void
test_server_abandoned(void **state)
{
    struct live *l = *state;
    int fd, other;

    /* A client that sends a request and leaves before the reply. */
    for (int i = 0; i < 20; i++) {
        fd = raw_connect(l);
        raw_send(fd, echo_req);
        close(fd);
    }
    other = raw_connect(l);
    raw_send(other, echo_req);
    expect_reply(l, other, 0);
    for (int i = 0; i < 5; i++) {
        ft_loop_run_once(l->loop, 1);
    }
    assert_int_equal(ft_rpc_server_n_conns(l->server), 1);
    close(other);
}

/* The blocking client, run in a thread while the test drives the loop. */
struct client_job {
    const char *path;
    int error;
    char reason[FT_ERROR_REASON_MAX];
    char text[64];
    int fail_error;
    volatile int done;
};

static void *
client_thread(void *job_)
{
    struct client_job *job = job_;
    struct ft_rpc_client *c;
    struct ft_error err;
    json_t *result;

    job->error = ft_rpc_client_open(job->path, &c, &err);
    if (!job->error) {
        job->error = ft_rpc_client_call(c, "echo",
                                        json_pack("{s:s}", "text", "ok"),
                                        5000, &result, &err);
        if (!job->error) {
            snprintf(job->text, sizeof job->text, "%s", json_string_value(
                         json_object_get(result, "text")));
            json_decref(result);
        }
        job->fail_error = ft_rpc_client_call(
            c, "fail", json_pack("{s:s}", "bridge", "brX"), 5000, &result,
            &err);
        snprintf(job->reason, sizeof job->reason, "%s", err.reason);
        ft_rpc_client_close(c);
    }
    job->done = 1;
    return NULL;
}

static void
test_client(void **state)
{
    struct live *l = *state;
    struct client_job job;
    struct ft_rpc_client *c;
    struct ft_error err;
    pthread_t thread;

    memset(&job, 0, sizeof job);
    job.path = l->path;
    assert_int_equal(pthread_create(&thread, NULL, client_thread, &job), 0);
    for (int i = 0; i < 500 && !job.done; i++) {
        ft_loop_run_once(l->loop, 10);
    }
    pthread_join(thread, NULL);
    assert_int_equal(job.error, 0);
    assert_string_equal(job.text, "ok");
    assert_int_equal(job.fail_error, -ENOENT);
    assert_string_equal(job.reason, "no bridge named \"brX\"");

    /* No server: a clear error. */
    assert_int_equal(ft_rpc_client_open("/nonexistent/flowtierd.sock", &c,
                                        &err), -ENOENT);
    assert_non_null(strstr(err.reason, "is flowtierd running?"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_partial),
        cmocka_unit_test(test_reader_limit),
        cmocka_unit_test(test_dispatch),
        cmocka_unit_test(test_dispatch_bad),
        cmocka_unit_test(test_dispatch_bad_utf8),
        cmocka_unit_test(test_loop_timers),
        cmocka_unit_test_setup_teardown(test_server_socket_mode,
                                        live_setup, live_teardown),
        cmocka_unit_test_setup_teardown(test_server_malformed,
                                        live_setup, live_teardown),
        cmocka_unit_test_setup_teardown(test_server_oversized,
                                        live_setup, live_teardown),
        cmocka_unit_test_setup_teardown(test_server_truncated,
                                        live_setup, live_teardown),
        cmocka_unit_test_setup_teardown(test_server_abandoned,
                                        live_setup, live_teardown),
        cmocka_unit_test_setup_teardown(test_client,
                                        live_setup, live_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

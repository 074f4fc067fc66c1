/*
 * ovsdb-server.c - the OVSDB endpoint's sockets, connections and methods
 * (see ovsdb.h): accepts clients on Unix sockets, cuts their byte
 * streams into JSON-RPC messages, answers list_dbs, get_schema,
 * transact, the monitor methods and echo, and pushes monitor updates
 * whenever the view of FlowTier's database changes.
 *
 * Part of the management plane (flowtierd).  Reads the configuration
 * database; writes only through the daemon's 'apply' callback.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "flowtier/util.h"
#include "mgmt/daemon/event-loop.h"
#include "mgmt/daemon/log.h"
#include "mgmt/db/db.h"
#include "mgmt/ovsdb/ovsdb.h"
#include "mgmt/ovsdb/ovsdb-private.h"

#define MODULE "ovsdb"
#define MAX_MSG (16u * 1024 * 1024)
#define MAX_UNSENT (64u * 1024 * 1024)
#define MAX_CONNS 256
#define POLL_MS 100
/* How often the Interface table's status columns are read from the
 * running switch (Open vSwitch's default stats-update-interval). */
#define STATUS_MS 5000

struct listener {
    int fd;
    char *path;
    struct ft_ovsdb_server *server;
};

struct conn {
    int fd;
    struct ov_splitter in;
    struct ds out;
    size_t out_start;
    uint32_t events;
    json_t *monitors;           /* Monitor id (JSON text) -> monitor. */
    bool closing;
    struct ft_ovsdb_server *server;
};

struct ft_ovsdb_server {
    struct ft_loop *loop;
    struct ft_log *log;
    const struct ft_db *db;
    ft_ovsdb_apply_fn *apply;
    void *aux;
    struct ov_schema *schema;
    struct listener **listeners;
    size_t n_listeners;
    struct conn **conns;
    size_t n_conns;
    json_t *view;               /* As the monitors last saw it. */
    uint64_t seq;               /* Database sequence number of 'view'. */
    struct ov_cfg cfg;
    uint64_t timer;
    struct ft_ratelimit rl;
    ft_ovsdb_status_fn *status;
    void *status_aux;
    long long int status_at;    /* When 'view' last read the status. */
};

static const struct ov_txn_hooks hooks = {
    ov_view_uuid_for, ov_view_reinserted
};

/* ---- Output. ---- */

static void conn_close(struct conn *);

static void
conn_set_events(struct conn *c)
{
    uint32_t events = c->closing ? 0 : EPOLLIN;

    if (c->out.len > c->out_start) {
        events |= EPOLLOUT;
    }
    if (events != c->events) {
        c->events = events;
        ft_loop_mod_fd(c->server->loop, c->fd, events);
    }
}

/* Sends what the socket takes.  Returns false if the connection died. */
static bool
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
            if (errno != EAGAIN) {
                return false;
            }
            break;
        }
        c->out_start += (size_t) n;
    }
    if (c->out_start == c->out.len) {
        ds_clear(&c->out);
        c->out_start = 0;
    }
    conn_set_events(c);
    return c->out.len - c->out_start < MAX_UNSENT;
}

static void
conn_send(struct conn *c, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT | JSON_REAL_PRECISION(17));

    if (!text) {
        abort();
    }
    ds_put_cstr(&c->out, text);
    free(text);
    json_decref(msg);
}

static json_t *
reply(json_t *id, json_t *result)
{
    return json_pack("{s:O?, s:o, s:n}", "id", id, "result", result,
                     "error");
}

static json_t *
error_reply(json_t *id, json_t *error)
{
    return json_pack("{s:O?, s:n, s:o}", "id", id, "result", "error", error);
}

/* ---- Publishing changes. ---- */

/* Rebuilds the view from the database and tells every monitor what
 * changed. */
static json_t *
server_view(struct ft_ovsdb_server *s)
{
    json_t *status = s->status ? s->status(s->status_aux) : NULL;
    json_t *view = ov_view_build(s->schema, s->db, &s->cfg, status);

    json_decref(status);
    s->status_at = ft_time_msec();
    return view;
}

static void
publish(struct ft_ovsdb_server *s)
{
    json_t *view = server_view(s);

    s->seq = ft_db_seq(s->db);
    if (json_equal(view, s->view)) {
        json_decref(view);
        return;
    }
    for (size_t i = 0; i < s->n_conns; i++) {
        struct conn *c = s->conns[i];
        const char *key;
        json_t *mon;

        json_object_foreach (c->monitors, key, mon) {
            json_t *upd = ov_monitor_updates(s->schema, mon, s->view, view);
            int version = json_integer_value(json_object_get(mon,
                                                             "version"));
            json_t *id = json_object_get(mon, "id");
            static const char zero[] = "00000000-0000-0000-0000-000000000000";

            if (!upd) {
                continue;
            }
            conn_send(c, json_pack("{s:n, s:s, s:o}", "id", "method",
                                   version == 1 ? "update"
                                   : version == 2 ? "update2" : "update3",
                                   "params", version == 3
                                   ? json_pack("[O,s,o]", id, zero, upd)
                                   : json_pack("[O,o]", id, upd)));
        }
    }
    json_decref(s->view);
    s->view = view;
    for (size_t i = 0; i < s->n_conns; i++) {
        /* Not closed here: the caller may be serving this connection.
         * Its callback closes it. */
        if (!conn_flush(s->conns[i])) {
            s->conns[i]->closing = true;
            conn_set_events(s->conns[i]);
        }
    }
}

/* Whether the status columns were read more than STATUS_MS ago.  They
 * are read again only while a client is connected (and when one
 * connects): with nobody to read them, a view rebuilt every few seconds
 * would only churn the heap, and one built during a flood of new flows
 * would keep pages of it resident after the flood. */
static bool
status_stale(const struct ft_ovsdb_server *s)
{
    return s->status && ft_time_msec() - s->status_at >= STATUS_MS;
}

static void
poll_cb(void *s_)
{
    struct ft_ovsdb_server *s = s_;

    if (ft_db_seq(s->db) != s->seq || (s->n_conns && status_stale(s))) {
        publish(s);
    }
}

/* ---- Methods. ---- */

static json_t *
check_db(const json_t *params, size_t min_params)
{
    const char *db = json_string_value(json_array_get(params, 0));

    if (json_array_size(params) < min_params || !db) {
        return ov_error("syntax error", "expected the database name and "
                        "%zu more parameters", min_params - 1);
    }
    if (strcmp(db, OV_DB_NAME)) {
        return ov_error("unknown database", "%s is not a database served "
                        "here (only %s)", db, OV_DB_NAME);
    }
    return NULL;
}

static json_t *
m_transact(struct conn *c, const json_t *params, json_t **result)
{
    struct ft_ovsdb_server *s = c->server;
    json_t *ops, *view, *results, *commands = NULL, *error, *recreated;
    struct ov_cfg cfg = s->cfg;
    bool ok;

    if ((error = check_db(params, 1))) {
        return error;
    }
    if (ft_db_seq(s->db) != s->seq || (s->n_conns && status_stale(s))) {
        publish(s);
    }
    ops = json_array();
    for (size_t i = 1; i < json_array_size(params); i++) {
        json_array_append(ops, json_array_get(params, i));
    }
    view = json_deep_copy(s->view);
    recreated = json_object();
    results = ov_txn_run(s->schema, &hooks, view, ops, &ok, recreated);
    if (ok && (error = ov_view_commands(s->schema, s->view, view, recreated,
                                        &commands, &cfg))) {
        json_array_append_new(results, error);
        ok = false;
    }
    if (ok && json_array_size(commands)) {
        struct ft_error err;

        ft_error_clear(&err);
        if (s->apply(s->aux, commands, &err)) {
            json_array_append_new(results, ov_error(
                "constraint violation", "%s", err.reason));
            ok = false;
        }
    }
    if (ok) {
        /* Applied before this reply: the configuration is current. */
        s->cfg.next_cfg = cfg.next_cfg;
        s->cfg.cur_cfg = cfg.next_cfg;
        publish(s);
    }
    json_decref(commands);
    json_decref(recreated);
    json_decref(view);
    json_decref(ops);
    *result = results;
    return NULL;
}

static json_t *
m_monitor(struct conn *c, const json_t *params, json_t **result, int version)
{
    struct ft_ovsdb_server *s = c->server;
    json_t *mon, *initial, *error;
    char *key;

    if ((error = check_db(params, 3))) {
        return error;
    }
    key = json_dumps(json_array_get(params, 1), JSON_ENCODE_ANY
                     | JSON_COMPACT | JSON_SORT_KEYS);
    if (key && json_object_get(c->monitors, key)) {
        free(key);
        return ov_error("duplicate monitor ID", "a monitor with this ID "
                        "exists on this connection");
    }
    error = ov_monitor_parse(s->schema, version, json_array_get(params, 2),
                             &mon);
    if (error || !key) {
        free(key);
        return error ? error : ov_error("syntax error", "bad monitor ID");
    }
    if (ft_db_seq(s->db) != s->seq || (s->n_conns && status_stale(s))) {
        publish(s);
    }
    json_object_set(mon, "id", json_array_get(params, 1));
    json_object_set_new(c->monitors, key, mon);
    free(key);
    initial = ov_monitor_initial(s->schema, mon, s->view);
    *result = version == 3 ? json_pack("[b,s,o]", false,
                                       "00000000-0000-0000-0000-000000000000",
                                       initial)
                           : initial;
    return NULL;
}

static json_t *
m_monitor_cancel(struct conn *c, const json_t *params, json_t **result)
{
    char *key = json_dumps(json_array_get(params, 0), JSON_ENCODE_ANY
                           | JSON_COMPACT | JSON_SORT_KEYS);
    bool found = key && json_object_get(c->monitors, key);

    if (found) {
        json_object_del(c->monitors, key);
    }
    free(key);
    if (!found || json_array_size(params) != 1) {
        return ov_error("unknown monitor", "no monitor with this ID");
    }
    *result = json_object();
    return NULL;
}

static json_t *
dispatch(struct conn *c, const struct ov_msg *m, json_t **result)
{
    const json_t *p = m->params;
    json_t *error;

    *result = NULL;
    if (!strcmp(m->method, "list_dbs")) {
        *result = json_pack("[s]", OV_DB_NAME);
    } else if (!strcmp(m->method, "get_schema")) {
        if ((error = check_db(p, 1))) {
            return error;
        }
        *result = json_incref(c->server->schema->json);
    } else if (!strcmp(m->method, "transact")) {
        return m_transact(c, p, result);
    } else if (!strcmp(m->method, "monitor")) {
        return m_monitor(c, p, result, 1);
    } else if (!strcmp(m->method, "monitor_cond")) {
        return m_monitor(c, p, result, 2);
    } else if (!strcmp(m->method, "monitor_cond_since")) {
        return m_monitor(c, p, result, 3);
    } else if (!strcmp(m->method, "monitor_cancel")) {
        return m_monitor_cancel(c, p, result);
    } else if (!strcmp(m->method, "echo")) {
        *result = json_incref((json_t *) p);
    } else if (!strcmp(m->method, "set_db_change_aware")) {
        *result = json_object();
    } else {
        return ov_error("unknown method", "%s is not a method of this "
                        "server", m->method);
    }
    return NULL;
}

/* Handles one message text.  Returns false if the connection must close. */
static bool
conn_handle(struct conn *c, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *j = json_loadb(text, len, 0, &jerr), *result, *error;
    struct ov_msg m;
    struct ft_error err;

    if (!j) {
        conn_send(c, error_reply(NULL, ov_error("syntax error", "invalid "
                                                "JSON: %s", jerr.text)));
        return false;
    }
    if (ov_msg_parse(j, &m, &err)) {
        conn_send(c, error_reply(json_object_get(j, "id"),
                                 ov_error("syntax error", "%s", err.reason)));
    } else if (m.type != OV_REPLY) {
        error = dispatch(c, &m, &result);
        if (m.type == OV_NOTIFY) {
            json_decref(error);
            json_decref(result);
        } else if (error) {
            conn_send(c, error_reply(m.id, error));
        } else {
            conn_send(c, reply(m.id, result ? result : json_null()));
        }
    }
    json_decref(j);
    return true;
}

/* ---- Connections. ---- */

static void
conn_close(struct conn *c)
{
    struct ft_ovsdb_server *s = c->server;

    for (size_t i = 0; i < s->n_conns; i++) {
        if (s->conns[i] == c) {
            s->conns[i] = s->conns[--s->n_conns];
            break;
        }
    }
    ft_loop_del_fd(s->loop, c->fd);
    close(c->fd);
    ov_splitter_uninit(&c->in);
    ds_destroy(&c->out);
    json_decref(c->monitors);
    free(c);
}

static void
conn_read(struct conn *c)
{
    char buf[65536];
    ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
    const char *msg;
    struct ft_error err;
    size_t len;
    int r;

    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        if (n == 0 && c->in.start < c->in.buf.len && c->in.depth) {
            conn_send(c, error_reply(NULL, ov_error(
                "syntax error", "connection closed in the middle of a "
                "message (%zu bytes)", c->in.buf.len - c->in.start)));
        }
        c->closing = true;
        return;
    }
    ov_splitter_feed(&c->in, buf, (size_t) n);
    while (!c->closing && (r = ov_splitter_next(&c->in, &msg, &len,
                                                &err)) != 0) {
        if (r < 0) {
            conn_send(c, error_reply(NULL, ov_error("syntax error", "%s",
                                                    err.reason)));
            c->closing = true;
        } else if (!conn_handle(c, msg, len)) {
            c->closing = true;
        }
    }
}

static void
conn_cb(int fd, uint32_t events, void *c_)
{
    struct conn *c = c_;

    (void) fd;
    if (events & EPOLLIN) {
        conn_read(c);
    }
    if (!conn_flush(c) || (events & EPOLLERR)
        || (c->closing && c->out.len == c->out_start)
        || ((events & EPOLLHUP) && !(events & EPOLLIN))) {
        conn_close(c);
    }
}

static void
accept_cb(int fd, uint32_t events, void *l_)
{
    struct listener *l = l_;
    struct ft_ovsdb_server *s = l->server;
    struct conn *c;
    int cfd;

    (void) events;
    cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
        return;
    }
    if (s->n_conns >= MAX_CONNS) {
        ft_log_rl(s->log, &s->rl, FT_LOG_WARN, MODULE, "refusing a client: "
                  "%zu connections open already", s->n_conns);
        close(cfd);
        return;
    }
    c = ft_xcalloc(1, sizeof *c);
    c->fd = cfd;
    c->server = s;
    c->events = EPOLLIN;
    c->monitors = json_object();
    ov_splitter_init(&c->in, MAX_MSG);
    ds_init(&c->out);
    if (ft_loop_add_fd(s->loop, cfd, EPOLLIN, conn_cb, c)) {
        close(cfd);
        ov_splitter_uninit(&c->in);
        json_decref(c->monitors);
        free(c);
        return;
    }
    s->conns = ft_xrealloc(s->conns, (s->n_conns + 1) * sizeof *s->conns);
    s->conns[s->n_conns++] = c;
    if (status_stale(s)) {
        publish(s);
    }
}

/* ---- Server. ---- */

int
ft_ovsdb_server_create(struct ft_loop *loop, struct ft_log *log,
                       const struct ft_db *db, ft_ovsdb_apply_fn *apply,
                       void *aux, struct ft_ovsdb_server **serverp,
                       struct ft_error *err)
{
    struct ft_ovsdb_server *s = ft_xcalloc(1, sizeof *s);
    int error;

    *serverp = NULL;
    error = ov_schema_create(ft_ovsdb_schema_text, &s->schema, err);
    if (error) {
        free(s);
        return error;
    }
    s->loop = loop;
    s->log = log;
    s->db = db;
    s->apply = apply;
    s->aux = aux;
    s->rl = (struct ft_ratelimit) FT_RATELIMIT_INIT(60, 10);
    s->view = server_view(s);
    s->seq = ft_db_seq(db);
    s->timer = ft_loop_add_timer(loop, POLL_MS, POLL_MS, poll_cb, s);
    *serverp = s;
    return 0;
}

void
ft_ovsdb_server_set_status(struct ft_ovsdb_server *s,
                           ft_ovsdb_status_fn *status, void *aux)
{
    s->status = status;
    s->status_aux = aux;
    publish(s);
}

int
ft_ovsdb_server_listen(struct ft_ovsdb_server *s, const char *path,
                       struct ft_error *err)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    struct listener *l;
    int fd, error;

    if (strlen(path) >= sizeof sun.sun_path) {
        return ft_error_set(err, -ENAMETOOLONG, "%s: socket path longer "
                            "than %zu bytes", path, sizeof sun.sun_path - 1);
    }
    strcpy(sun.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return ft_error_set(err, -errno, "socket: %s", strerror(errno));
    }
    unlink(path);
    if (bind(fd, (struct sockaddr *) &sun, sizeof sun) < 0
        || chmod(path, 0660) < 0 || listen(fd, 64) < 0) {
        error = ft_error_set(err, -errno, "%s: %s", path, strerror(errno));
        close(fd);
        return error;
    }
    l = ft_xcalloc(1, sizeof *l);
    l->fd = fd;
    l->path = ft_xstrdup(path);
    l->server = s;
    error = ft_loop_add_fd(s->loop, fd, EPOLLIN, accept_cb, l);
    if (error) {
        unlink(path);
        close(fd);
        free(l->path);
        free(l);
        return ft_error_set(err, error, "%s: event loop: %s", path,
                            strerror(-error));
    }
    s->listeners = ft_xrealloc(s->listeners,
                               (s->n_listeners + 1) * sizeof *s->listeners);
    s->listeners[s->n_listeners++] = l;
    return 0;
}

void
ft_ovsdb_server_destroy(struct ft_ovsdb_server *s)
{
    if (!s) {
        return;
    }
    while (s->n_conns) {
        conn_close(s->conns[0]);
    }
    for (size_t i = 0; i < s->n_listeners; i++) {
        ft_loop_del_fd(s->loop, s->listeners[i]->fd);
        close(s->listeners[i]->fd);
        unlink(s->listeners[i]->path);
        free(s->listeners[i]->path);
        free(s->listeners[i]);
    }
    ft_loop_cancel_timer(s->loop, s->timer);
    free(s->listeners);
    free(s->conns);
    json_decref(s->view);
    ov_schema_destroy(s->schema);
    free(s);
}

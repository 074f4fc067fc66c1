/*
 * cli-daemon.c - the 'flowtier' subcommands that talk to flowtierd over
 * its JSON-RPC socket: ovs-vsctl's verbs (add-br, add-port, set, show,
 * ...), ovs-ofctl's (add-flow, dump-flows, ...), trace, dump-dp-flows.
 *
 * Each command line becomes one request; the daemon returns "text" (what
 * is printed) and "data" (printed instead with --format json).  Write
 * commands chained with "--" as in ovs-vsctl ("add-port br0 p1 -- set
 * Interface p1 type=internal") become one "transact" request: one
 * database transaction.  When the daemon is not running, the reads of the
 * configuration (show, list-br, list-ports, get, list) open the database
 * directly.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "flowtier/ds.h"
#include "flowtier/error.h"
#include "mgmt/daemon/event-loop.h"
#include "mgmt/daemon/log.h"
#include "mgmt/cli/flowtier-cli.h"
#include "mgmt/daemon/rpc.h"
#include "mgmt/daemon/server.h"

#define DEFAULT_RUNDIR "/run/flowtier"
#define DEFAULT_DBDIR "/var/lib/flowtier"
#define DEFAULT_TIMEOUT_MS 60000
#define CLI_RETRY_MS 20             /* Waiting for a starting daemon. */

/* A command line cut into its "--"-separated segments, options taken
 * out. */
struct segment {
    char **args;                /* Positional words; args[0] = verb. */
    int n;
    bool may_exist, if_exists, strict;
    bool tiers, explain;        /* dump-flows --tiers, dump-dp-flows
                                 * --explain. */
};

struct cli {
    const char *rundir, *dbdir;
    bool json;
    int timeout_ms;
    struct segment *segs;
    size_t n_segs;
};

static int
cli_usage_error(const char *verb, const char *msg)
{
    fprintf(stderr, "flowtier %s: %s (use 'flowtier %s --help')\n", verb,
            msg, verb);
    return 2;
}

/* Parses 'argv' (argv[0] = the verb).  Returns 0 or 2 (usage error,
 * reported). */
static int
cli_parse(int argc, char *argv[], struct cli *c)
{
    struct segment *seg;

    memset(c, 0, sizeof *c);
    c->rundir = getenv("FLOWTIER_RUNDIR");
    c->dbdir = getenv("FLOWTIER_DBDIR");
    c->timeout_ms = DEFAULT_TIMEOUT_MS;
    c->segs = calloc((size_t) argc + 1, sizeof *c->segs);
    if (!c->segs) {
        abort();
    }
    seg = &c->segs[c->n_segs++];
    seg->args = calloc((size_t) argc + 1, sizeof *seg->args);
    seg->args[seg->n++] = argv[0];
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        const char *value = NULL;
        size_t len = strcspn(a, "=");

        if (!strcmp(a, "--")) {
            seg = &c->segs[c->n_segs++];
            seg->args = calloc((size_t) argc + 1, sizeof *seg->args);
            continue;
        }
        if (strncmp(a, "--", 2)) {
            seg->args[seg->n++] = a;
            continue;
        }
#define OPT_IS(NAME) (len == strlen(NAME) && !strncmp(a, NAME, len))
        if (OPT_IS("--rundir") || OPT_IS("--dbdir") || OPT_IS("--format")
            || OPT_IS("--timeout")) {
            if (a[len] == '=') {
                value = a + len + 1;
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                return cli_usage_error(argv[0], "option needs a value");
            }
        }
        if (OPT_IS("--rundir")) {
            c->rundir = value;
        } else if (OPT_IS("--dbdir")) {
            c->dbdir = value;
        } else if (OPT_IS("--format")) {
            if (!strcmp(value, "json")) {
                c->json = true;
            } else if (!strcmp(value, "text") || !strcmp(value, "list")) {
                c->json = false;
            } else {
                return cli_usage_error(argv[0], "--format must be json or "
                                       "text");
            }
        } else if (OPT_IS("--timeout")) {
            char *end;
            long t = strtol(value, &end, 10);

            if (*end || t <= 0 || t > 86400) {
                return cli_usage_error(argv[0], "--timeout takes seconds");
            }
            c->timeout_ms = (int) t * 1000;
        } else if (OPT_IS("--may-exist")) {
            seg->may_exist = true;
        } else if (OPT_IS("--if-exists")) {
            seg->if_exists = true;
        } else if (OPT_IS("--strict")) {
            seg->strict = true;
        } else if (OPT_IS("--tiers")) {
            seg->tiers = true;
        } else if (OPT_IS("--explain")) {
            seg->explain = true;
        } else {
            fprintf(stderr, "flowtier %s: unknown option %s (use 'flowtier "
                    "%s --help')\n", argv[0], a, argv[0]);
            return 2;
        }
#undef OPT_IS
    }
    if (!c->rundir || !*c->rundir) {
        c->rundir = DEFAULT_RUNDIR;
    }
    if (!c->dbdir || !*c->dbdir) {
        c->dbdir = DEFAULT_DBDIR;
    }
    return 0;
}

static void
cli_destroy(struct cli *c)
{
    for (size_t i = 0; i < c->n_segs; i++) {
        free(c->segs[i].args);
    }
    free(c->segs);
}

static json_t *
strings_json(char **args, int n)
{
    json_t *a = json_array();

    for (int i = 0; i < n; i++) {
        json_array_append_new(a, json_string(args[i]));
    }
    return a;
}

/* ---- Building requests. ---- */

/* Reads the flows of 'file' ("-" for stdin): one per line, blank lines
 * and '#' comments skipped.  Returns an array of strings and the file's
 * line number of each in '*linenos', or NULL after reporting the error. */
static json_t *
read_flows(const char *file, int **linenos)
{
    FILE *stream = strcmp(file, "-") ? fopen(file, "r") : stdin;
    json_t *flows;
    char *line = NULL;
    size_t size = 0, n = 0, allocated = 0;
    int lineno = 0;

    *linenos = NULL;
    if (!stream) {
        fprintf(stderr, "flowtier: %s: %s\n", file, strerror(errno));
        return NULL;
    }
    flows = json_array();
    while (getline(&line, &size, stream) != -1) {
        char *s = line;
        size_t len;

        lineno++;
        s += strspn(s, " \t");
        len = strlen(s);
        while (len && strchr("\r\n \t", s[len - 1])) {
            s[--len] = '\0';
        }
        if (!*s || *s == '#') {
            continue;
        }
        if (n == allocated) {
            allocated = allocated ? 2 * allocated : 64;
            *linenos = realloc(*linenos, allocated * sizeof **linenos);
            if (!*linenos) {
                abort();
            }
        }
        (*linenos)[n++] = lineno;
        json_array_append_new(flows, json_string(s));
    }
    free(line);
    if (stream != stdin) {
        fclose(stream);
    }
    return flows;
}

/* Turns the daemon's "line N: reason" (N counts the flows sent) into
 * "FILE:LINE: reason". */
static void
rewrite_line_error(struct ft_error *err, const char *file,
                   const int *linenos, size_t n)
{
    unsigned long idx;
    int used = 0;

    if (sscanf(err->reason, "line %lu: %n", &idx, &used) == 1 && used
        && idx >= 1 && idx <= n) {
        char reason[FT_ERROR_REASON_MAX];

        snprintf(reason, sizeof reason, "%s:%d: %s", file,
                 linenos[idx - 1], err->reason + used);
        snprintf(err->reason, sizeof err->reason, "%s", reason);
    }
}

/* The write commands that can be chained with "--". */
static int
write_request(const struct segment *seg, json_t **paramsp, const char **mp)
{
    const char *verb = seg->args[0];
    char **a = seg->args;
    int n = seg->n;
    json_t *p;

    *mp = verb;
    if (!strcmp(verb, "add-br") && n == 2) {
        p = json_pack("{s:s}", "bridge", a[1]);
        if (seg->may_exist) {
            json_object_set_new(p, "may_exist", json_true());
        }
    } else if (!strcmp(verb, "del-br") && n == 2) {
        p = json_pack("{s:s}", "bridge", a[1]);
        if (seg->if_exists) {
            json_object_set_new(p, "if_exists", json_true());
        }
    } else if (!strcmp(verb, "add-port") && n == 3) {
        p = json_pack("{s:s, s:s}", "bridge", a[1], "port", a[2]);
        if (seg->may_exist) {
            json_object_set_new(p, "may_exist", json_true());
        }
    } else if (!strcmp(verb, "del-port") && (n == 2 || n == 3)) {
        p = json_pack("{s:s}", "port", a[n - 1]);
        if (n == 3) {
            json_object_set_new(p, "bridge", json_string(a[1]));
        }
        if (seg->if_exists) {
            json_object_set_new(p, "if_exists", json_true());
        }
    } else if ((!strcmp(verb, "set") || !strcmp(verb, "clear")
                || !strcmp(verb, "add") || !strcmp(verb, "remove"))
               && n >= 4) {
        p = json_pack("{s:s, s:s, s:o}", "table", a[1], "record", a[2],
                      "args", strings_json(a + 3, n - 3));
    } else if (!strcmp(verb, "set-controller") && n >= 3) {
        /* 'set Bridge BR controller=["T1", "T2"]' */
        json_t *targets = strings_json(a + 2, n - 2);
        char *list = json_dumps(targets, JSON_COMPACT);
        char *arg;

        if (!list || asprintf(&arg, "controller=%s", list) < 0) {
            abort();
        }
        p = json_pack("{s:s, s:s, s:[s]}", "table", "Bridge", "record", a[1],
                      "args", arg);
        free(arg);
        free(list);
        json_decref(targets);
        *mp = "set";
    } else if (!strcmp(verb, "del-controller") && n == 2) {
        p = json_pack("{s:s, s:s, s:[s]}", "table", "Bridge", "record", a[1],
                      "args", "controller");
        *mp = "clear";
    } else {
        return -EINVAL;
    }
    *paramsp = p;
    return 0;
}

static bool
is_write_verb(const char *verb)
{
    static const char *const verbs[] = {
        "add-br", "del-br", "add-port", "del-port", "set", "clear", "add",
        "remove", "set-controller", "del-controller", NULL,
    };

    for (size_t i = 0; verbs[i]; i++) {
        if (!strcmp(verb, verbs[i])) {
            return true;
        }
    }
    return false;
}

/* Builds the request of a read or flow command.  Returns 0, or 2 after
 * reporting a usage error, or 1 after reporting another error. */
static int
other_request(const struct cli *c, json_t **paramsp, int **linenos,
              const char **file)
{
    const struct segment *seg = &c->segs[0];
    const char *verb = seg->args[0];
    char **a = seg->args;
    int n = seg->n;
    json_t *p = NULL;

    if (c->n_segs > 1) {
        return cli_usage_error(verb, "only configuration writes can be "
                               "chained with \"--\"");
    }
    if ((!strcmp(verb, "list-br") || !strcmp(verb, "show")) && n == 1) {
        p = json_object();
    } else if ((!strcmp(verb, "list-ports") || !strcmp(verb, "dpif-show")
                || !strcmp(verb, "get-controller"))
               && n == 2) {
        p = json_pack("{s:s}", "bridge", a[1]);
    } else if (!strcmp(verb, "dump-dp-flows") && (n == 2 || n == 3)) {
        p = json_pack("{s:s}", "bridge", a[1]);
        if (n == 3) {
            if (strncmp(a[2], "type=", 5)) {
                json_decref(p);
                return cli_usage_error(verb, "the second argument is "
                                       "type=KIND");
            }
            json_object_set_new(p, "type", json_string(a[2] + 5));
        }
        if (seg->explain) {
            json_object_set_new(p, "explain", json_true());
        }
    } else if (!strcmp(verb, "offload") && (n == 2 || n == 3)
               && !strcmp(a[1], "show")) {
        p = n == 3 ? json_pack("{s:s}", "bridge", a[2]) : json_object();
    } else if (!strcmp(verb, "get") && n >= 4) {
        p = json_pack("{s:s, s:[s], s:o}", "table", a[1], "records", a[2],
                      "args", strings_json(a + 3, n - 3));
    } else if (!strcmp(verb, "list") && n >= 2) {
        p = json_pack("{s:s, s:o}", "table", a[1], "records",
                      strings_json(a + 2, n - 2));
    } else if ((!strcmp(verb, "add-flow") || !strcmp(verb, "mod-flows")
                || !strcmp(verb, "trace")) && n == 3) {
        p = json_pack("{s:s, s:s}", "bridge", a[1], "flow", a[2]);
    } else if ((!strcmp(verb, "del-flows") || !strcmp(verb, "dump-flows"))
               && (n == 2 || n == 3)) {
        p = json_pack("{s:s}", "bridge", a[1]);
        if (n == 3) {
            json_object_set_new(p, "flow", json_string(a[2]));
        }
        if (seg->tiers && !strcmp(verb, "dump-flows")) {
            json_object_set_new(p, "tiers", json_true());
        }
    } else if ((!strcmp(verb, "add-flows") || !strcmp(verb, "replace-flows"))
               && n == 3) {
        json_t *flows = read_flows(a[2], linenos);

        if (!flows) {
            return 1;
        }
        *file = a[2];
        p = json_pack("{s:s, s:o}", "bridge", a[1], "flows", flows);
    } else if (!strcmp(verb, "dump-ports") && (n == 2 || n == 3)) {
        p = json_pack("{s:s}", "bridge", a[1]);
        if (n == 3) {
            json_object_set_new(p, "port", json_string(a[2]));
        }
    } else {
        return cli_usage_error(verb, "wrong number of arguments");
    }
    if ((seg->tiers && strcmp(verb, "dump-flows"))
        || (seg->explain && strcmp(verb, "dump-dp-flows"))) {
        json_decref(p);
        return cli_usage_error(verb, seg->tiers ? "--tiers applies to "
                               "dump-flows only" : "--explain applies to "
                               "dump-dp-flows only");
    }
    if (seg->strict) {
        if (strcmp(verb, "mod-flows") && strcmp(verb, "del-flows")) {
            json_decref(p);
            return cli_usage_error(verb, "--strict applies to mod-flows and "
                                   "del-flows only");
        }
        json_object_set_new(p, "strict", json_true());
    }
    *paramsp = p;
    return 0;
}

/* ---- Running requests. ---- */

/* True for requests that change nothing, which may be sent again. */
static bool
is_read(const char *method)
{
    static const char *const changes[] = {
        "add-br", "del-br", "add-port", "del-port", "set", "clear", "add",
        "remove", "set-controller", "del-controller", "transact",
        "add-flow", "add-flows", "mod-flows", "del-flows", "replace-flows",
        NULL,
    };

    for (size_t i = 0; changes[i]; i++) {
        if (!strcmp(method, changes[i])) {
            return false;
        }
    }
    return true;
}

static bool
is_config_read(const char *method)
{
    return !strcmp(method, "show") || !strcmp(method, "list-br")
           || !strcmp(method, "list-ports") || !strcmp(method, "get")
           || !strcmp(method, "list");
}

/* Runs a configuration read against the database itself (the daemon is
 * not running). */
static int
call_offline(const struct cli *c, const char *method, json_t *params,
             json_t **result, struct ft_error *err)
{
    struct ft_server_options opts = { .dbdir = c->dbdir, .no_bridges = true,
                                      .db_read_only = true };
    const struct ft_rpc_method *methods;
    struct ft_server *server;
    json_t *request, *reply, *e;
    char *text;
    size_t n;
    int error;

    *result = NULL;
    error = ft_server_create(NULL, NULL, &opts, &server, err);
    if (error) {
        json_decref(params);
        return error;
    }
    request = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1,
                        "method", method, "params", params);
    text = json_dumps(request, JSON_COMPACT);
    json_decref(request);
    methods = ft_server_methods(&n);
    reply = ft_rpc_dispatch(methods, n, text, strlen(text), server);
    free(text);
    ft_server_destroy(server);
    e = json_object_get(reply, "error");
    if (e) {
        error = ft_error_set(err, -EINVAL, "%s", json_string_value(
                                 json_object_get(e, "message")));
    } else {
        *result = json_incref(json_object_get(reply, "result"));
    }
    json_decref(reply);
    return error;
}

/* Sends the request to the daemon.  A configuration read with no daemon
 * to answer reads the database itself; if a daemon holds the database
 * (it is starting), the read waits for its socket, up to the timeout. */
static int
call(const struct cli *c, const char *method, json_t *params,
     json_t **result, struct ft_error *err)
{
    long long int deadline = ft_time_msec() + c->timeout_ms;
    struct ft_rpc_client *client;
    char *path;
    int error;

    if (asprintf(&path, "%s/flowtierd.sock", c->rundir) < 0) {
        abort();
    }
    for (;;) {
        error = ft_rpc_client_open(path, &client, err);
        if (!error) {
            long long int left = deadline - ft_time_msec();

            error = ft_rpc_client_call(client, method, json_incref(params),
                                       left > 0 ? (int) left : 1, result,
                                       err);
            ft_rpc_client_close(client);
            if (error == -ETIMEDOUT) {
                /* The call had what was left of the timeout; the user
                 * asked for the whole of it. */
                ft_error_set(err, -ETIMEDOUT, "%s: no reply within %d ms",
                             path, c->timeout_ms);
            }
            if ((error == -ECONNRESET || error == -EPIPE) && is_read(method)
                && ft_time_msec() < deadline) {
                /* The daemon went away mid-read (it is stopping or
                 * restarting): a read may be asked again. */
                usleep(CLI_RETRY_MS * 1000);
                continue;
            }
            break;
        }
        if ((error != -ENOENT && error != -ECONNREFUSED)
            || !is_config_read(method)) {
            break;
        }
        error = call_offline(c, method, json_incref(params), result, err);
        if (error != -EBUSY || ft_time_msec() >= deadline) {
            break;
        }
        usleep(CLI_RETRY_MS * 1000);
    }
    free(path);
    json_decref(params);
    return error;
}

/* True if a name of 'names' is in 'opening' (arrays of strings). */
static bool
any_opening(json_t *names, json_t *opening)
{
    size_t i, j;
    json_t *n, *o;

    json_array_foreach(names, i, n) {
        json_array_foreach(opening, j, o) {
            if (json_equal(n, o)) {
                return true;
            }
        }
    }
    return false;
}

/* After a write whose result names ports the daemon opens in the
 * background (DPDK ports): waits, up to the timeout, for their open to
 * end, so that the command returns once they forward, as Open vSwitch's
 * ovs-vsctl waits for its switch.  A port that did not open stays
 * configured with its reason in the Interface error column, as in Open
 * vSwitch: the reason is printed as a warning (the write was done). */
static void
wait_opening_ports(const struct cli *c, json_t *result)
{
    long long int deadline = ft_time_msec() + c->timeout_ms;
    json_t *names = json_object_get(result, "opening");

    while (json_array_size(names)) {
        json_t *params = json_pack("{s:O}", "ports", names);
        json_t *reply = NULL, *data;
        struct ft_error err;
        const char *name;
        json_t *why;

        if (call(c, "opening-ports", params, &reply, &err)) {
            fprintf(stderr, "flowtier: warning: cannot tell whether ports "
                    "opened: %s\n", err.reason);
            return;
        }
        data = json_object_get(reply, "data");
        if (any_opening(names, json_object_get(data, "opening"))
            && ft_time_msec() < deadline) {
            json_decref(reply);
            usleep(CLI_RETRY_MS * 1000);
            continue;
        }
        json_object_foreach(json_object_get(data, "errors"), name, why) {
            fprintf(stderr, "flowtier: warning: port %s is not open: %s "
                    "(it stays configured, its Interface error column "
                    "says why; 'flowtier del-port %s' removes it)\n",
                    name, json_string_value(why), name);
        }
        json_decref(reply);
        return;
    }
}

static void
print_result(const struct cli *c, json_t *result)
{
    if (c->json) {
        /* Durations and ages are whole milliseconds in seconds: 15
         * significant digits print them as they are ("0.43", not
         * "0.42999999999999999"). */
        char *s = json_dumps(json_object_get(result, "data"),
                             JSON_INDENT(2) | JSON_ENCODE_ANY
                             | JSON_REAL_PRECISION(15));

        if (s) {
            printf("%s\n", s);
            free(s);
        }
    } else {
        fputs(json_string_value(json_object_get(result, "text")) ?: "",
              stdout);
    }
}

int
ft_cli_daemon(int argc, char *argv[])
{
    const char *method = argv[0], *file = NULL;
    json_t *params = NULL, *result = NULL;
    int *linenos = NULL;
    struct ft_error err;
    struct cli c;
    int status;

    status = cli_parse(argc, argv, &c);
    if (status) {
        goto out;
    }
    if (!strcmp(method, "add-flows") && c.n_segs == 1 && c.segs[0].n == 3
        && !c.segs[0].strict && !c.segs[0].tiers && !c.segs[0].explain) {
        /* Streamed: a file of any size, one transaction. */
        status = ft_cli_add_flows(c.rundir, c.timeout_ms, c.segs[0].args[1],
                                  c.segs[0].args[2]);
        if (!status && c.json) {
            printf("{}\n");
        }
        goto out;
    }
    if (is_write_verb(method)) {
        json_t *commands = json_array();
        const char *first = method;

        for (size_t i = 0; i < c.n_segs; i++) {
            const char *m;
            json_t *p;

            if (!c.segs[i].n || write_request(&c.segs[i], &p, &m)) {
                json_decref(commands);
                status = cli_usage_error(c.segs[i].n ? c.segs[i].args[0]
                                                     : method,
                                         c.segs[i].n && !is_write_verb(
                                             c.segs[i].args[0])
                                         ? "only configuration writes can "
                                           "be chained with \"--\""
                                         : "wrong number of arguments");
                goto out;
            }
            json_array_append_new(commands, json_pack("{s:s, s:o}", "method",
                                                      m, "params", p));
            if (!i) {
                first = m;
            }
        }
        if (c.n_segs == 1) {
            method = first;
            params = json_incref(json_object_get(json_array_get(commands, 0),
                                                 "params"));
        } else {
            method = "transact";
            params = json_pack("{s:O}", "commands", commands);
        }
        json_decref(commands);
    } else {
        status = other_request(&c, &params, &linenos, &file);
        if (status) {
            goto out;
        }
        if (!strcmp(method, "offload")) {
            method = "offload-show";
        }
    }

    status = call(&c, method, json_incref(params), &result, &err) ? 1 : 0;
    if (status && !is_read(method)
        && (err.code == -ETIMEDOUT || err.code == -ECONNRESET)) {
        /* The request went; the answer did not come back. */
        fprintf(stderr, "flowtier: %s; the request reached the daemon but "
                "no reply came: whether %s was carried out is "
                "unknown; check the state (e.g. 'flowtier show', "
                "'flowtier dump-flows') before trying again\n", err.reason,
                method);
        status = FT_CLI_EXIT_UNKNOWN;
    } else if (status) {
        if (file) {
            rewrite_line_error(&err, file, linenos,
                               json_array_size(json_object_get(params,
                                                               "flows")));
        }
        fprintf(stderr, "flowtier: %s\n", err.reason);
    } else {
        if (is_write_verb(argv[0])) {
            wait_opening_ports(&c, result);
        }
        if (json_is_object(result) && json_object_get(result, "text")) {
            print_result(&c, result);
        } else if (c.json) {
            printf("{}\n");
        }
    }
    json_decref(result);
out:
    json_decref(params);
    free(linenos);
    cli_destroy(&c);
    return status;
}

int
ft_cli_trace_any(int argc, char *argv[])
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--flows") || !strncmp(argv[i], "--flows=", 8)) {
            return ft_cli_trace(argc, argv);
        }
    }
    return ft_cli_daemon(argc, argv);
}

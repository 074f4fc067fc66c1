/*
 * flowtierd.c - main() of the FlowTier daemon.
 *
 * Parses the command line, then starts, in this order: the log, the run
 * and database directories, the pidfile (one instance per run directory),
 * the event loop with a signalfd, the server (database and running
 * bridges) and the JSON-RPC control socket.  With --detach the process
 * forks first and the parent exits only once the socket is listening.
 * SIGTERM and SIGINT stop the loop; everything is then torn down in
 * reverse (bridges destroyed, their devices removed, socket and pidfile
 * removed).  SIGHUP reopens the log file.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgmt/daemon/daemon.h"
#include "mgmt/daemon/event-loop.h"
#include "mgmt/daemon/log.h"
#include "mgmt/daemon/rpc.h"
#include "mgmt/daemon/server.h"
#include "mgmt/ovsdb/ovsdb.h"
#include "swpath/dpdk-eal.h"

#define DEFAULT_RUNDIR "/run/flowtier"
#define DEFAULT_DBDIR "/var/lib/flowtier"

struct options {
    const char *rundir;
    const char *dbdir;
    const char *log_file;
    const char *socket_group;
    const char *ovsdb_socket;
    enum ft_log_level log_level;
    bool detach;
    bool no_fsync;
};

struct daemon_state {
    struct ft_loop *loop;
    struct ft_log *log;
    int sigfd;
    int exit_signal;
};

static void
usage(FILE *stream)
{
    fprintf(stream,
"usage: flowtierd [OPTION]...\n"
"FlowTier daemon: runs the bridges of its database and serves the\n"
"'flowtier' command on a JSON-RPC socket.\n"
"\n"
"  --rundir=DIR         socket and pidfile directory (default\n"
"                       $FLOWTIER_RUNDIR or " DEFAULT_RUNDIR ")\n"
"  --dbdir=DIR          database directory (default $FLOWTIER_DBDIR or\n"
"                       " DEFAULT_DBDIR ")\n"
"  --socket-group=GROUP group owning the sockets (mode 0660: control,\n"
"                       OpenFlow BRIDGE.mgmt, OVSDB) and the run\n"
"                       directory; default: the daemon's own group\n"
"  --ovsdb-socket=PATH  serve the OVSDB protocol (ovs-vsctl, libvirt)\n"
"                       on PATH too, e.g. /run/openvswitch/db.sock; it\n"
"                       is always served on RUNDIR/db.sock\n"
"  --detach             run in the background once the socket listens\n"
"  --log-file=FILE      log to FILE instead of stderr\n"
"  --log-level=LEVEL    off, err, warn, info (default), dbg\n"
"  --no-fsync           do not fsync the database (throwaway test\n"
"                       databases only)\n"
"  -h, --help           this help\n"
"\n"
"DPDK ports (Interface type=dpdk, options:dpdk-devargs=DEVARGS) start\n"
"DPDK's EAL once per process, with the first such bridge's\n"
"other_config:dpdk-extra, or by default with\n"
"  --no-huge --no-pci -m 512 --no-shconf --no-telemetry\n"
"  --file-prefix=flowtier-PID\n"
"(no hugepages needed).  Other arguments take effect on restart.\n"
"\n"
"An interface whose device cannot be opened when the daemon starts (a\n"
"guest's tap not there yet) is kept, with the reason in its 'error'\n"
"column, and tried again every 5 s and on each configuration change.\n");
}

/* Returns 0, 1 to exit successfully (--help), or 2 for a usage error. */
static int
parse_options(int argc, char *argv[], struct options *o)
{
    enum { OPT_RUNDIR = 256, OPT_DBDIR, OPT_DETACH, OPT_LOG_FILE,
           OPT_LOG_LEVEL, OPT_SOCKET_GROUP, OPT_NO_FSYNC, OPT_OVSDB_SOCKET };
    static const struct option long_options[] = {
        { "rundir", required_argument, NULL, OPT_RUNDIR },
        { "dbdir", required_argument, NULL, OPT_DBDIR },
        { "detach", no_argument, NULL, OPT_DETACH },
        { "log-file", required_argument, NULL, OPT_LOG_FILE },
        { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
        { "socket-group", required_argument, NULL, OPT_SOCKET_GROUP },
        { "no-fsync", no_argument, NULL, OPT_NO_FSYNC },
        { "ovsdb-socket", required_argument, NULL, OPT_OVSDB_SOCKET },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    memset(o, 0, sizeof *o);
    o->rundir = getenv("FLOWTIER_RUNDIR");
    o->dbdir = getenv("FLOWTIER_DBDIR");
    o->log_level = FT_LOG_INFO;
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (c) {
        case OPT_RUNDIR: o->rundir = optarg; break;
        case OPT_DBDIR: o->dbdir = optarg; break;
        case OPT_DETACH: o->detach = true; break;
        case OPT_LOG_FILE: o->log_file = optarg; break;
        case OPT_SOCKET_GROUP: o->socket_group = optarg; break;
        case OPT_NO_FSYNC: o->no_fsync = true; break;
        case OPT_OVSDB_SOCKET: o->ovsdb_socket = optarg; break;
        case OPT_LOG_LEVEL:
            if (ft_log_level_from_string(optarg, &o->log_level)) {
                fprintf(stderr, "flowtierd: --log-level: '%s' is not one "
                        "of off, err, warn, info, dbg\n", optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            fprintf(stderr, "flowtierd: use --help for usage\n");
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "flowtierd: unexpected argument '%s' (use --help)\n",
                argv[optind]);
        return 2;
    }
    if (!o->rundir || !*o->rundir) {
        o->rundir = DEFAULT_RUNDIR;
    }
    if (!o->dbdir || !*o->dbdir) {
        o->dbdir = DEFAULT_DBDIR;
    }
    return 0;
}

static void
signal_cb(int fd, uint32_t events, void *st_)
{
    struct daemon_state *st = st_;
    int sig;

    while ((sig = ft_daemon_signal_read(fd)) > 0) {
        if (sig == SIGHUP) {
            struct ft_error err;

            if (ft_log_reopen(st->log, &err)) {
                ft_log_msg(st->log, FT_LOG_ERR, "daemon", "%s", err.reason);
            }
            continue;
        }
        ft_log_msg(st->log, FT_LOG_INFO, "daemon", "%s received; shutting "
                   "down", strsignal(sig));
        st->exit_signal = sig;
        ft_loop_stop(st->loop);
    }
}

/* Looks up 'name' (a group name or number).  Returns 0 or -ENOENT. */
static int
lookup_group(const char *name, gid_t *gid, struct ft_error *err)
{
    struct group grp, *res = NULL;
    char buf[4096];
    char *end;
    long n;

    if (getgrnam_r(name, &grp, buf, sizeof buf, &res) == 0 && res) {
        *gid = res->gr_gid;
        return 0;
    }
    n = strtol(name, &end, 10);
    if (*name && !*end && n >= 0) {
        *gid = (gid_t) n;
        return 0;
    }
    return ft_error_set(err, -ENOENT, "--socket-group: no group named "
                        "\"%s\"", name);
}

/* Applies an OVSDB client's change as the daemon's "transact" method,
 * the path every CLI configuration write takes. */
static int
ovsdb_apply(void *server, json_t *commands, struct ft_error *err)
{
    const struct ft_rpc_method *methods;
    json_t *params, *result = NULL;
    size_t n;
    int error = -ENOSYS;

    methods = ft_server_methods(&n);
    params = json_pack("{s:O}", "commands", commands);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(methods[i].name, "transact")) {
            error = methods[i].handler(params, &result, err, server);
            break;
        }
    }
    json_decref(params);
    json_decref(result);
    return error < 0 ? error : error ? -EINVAL : 0;
}

/* Serves OVSDB on RUNDIR/db.sock and on --ovsdb-socket (given to group
 * 'gid' unless it is -1). */
static int
ovsdb_start(const struct options *o, const char *rundir, gid_t gid,
            struct daemon_state *st, struct ft_server *server,
            struct ft_ovsdb_server **ovsdbp, struct ft_error *err)
{
    char *path = NULL;
    int error;

    error = ft_ovsdb_server_create(st->loop, st->log, ft_server_db(server),
                                   ovsdb_apply, server, ovsdbp, err);
    if (error) {
        return error;
    }
    ft_ovsdb_server_set_status(*ovsdbp, ft_server_iface_status, server);
    if (asprintf(&path, "%s/db.sock", rundir) < 0) {
        abort();
    }
    error = ft_ovsdb_server_listen(*ovsdbp, path, err);
    free(path);
    if (!error && o->ovsdb_socket) {
        error = ft_ovsdb_server_listen(*ovsdbp, o->ovsdb_socket, err);
        if (!error && gid != (gid_t) -1
            && chown(o->ovsdb_socket, (uid_t) -1, gid) < 0) {
            error = ft_error_set(err, -errno, "%s: chown: %s",
                                 o->ovsdb_socket, strerror(errno));
        }
    }
    return error;
}

/* Makes 'path' absolute (the daemon changes to '/' when it detaches). */
static char *
absolute(const char *path)
{
    char *abs = realpath(path, NULL);

    if (!abs) {
        abs = strdup(path);
        if (!abs) {
            abort();
        }
    }
    return abs;
}

static int
run(const struct options *o, struct ft_daemon_detach *dd)
{
    struct ft_rpc_server_options ropts = { .mode = 0660, .gid = (gid_t) -1 };
    struct ft_server_options sopts = { .db_no_fsync = o->no_fsync };
    static const int signals[] = { SIGTERM, SIGINT, SIGHUP };
    struct ft_rpc_server *rpc = NULL;
    struct ft_ovsdb_server *ovsdb = NULL;
    struct ft_server *server = NULL;
    struct ft_pidfile *pidfile = NULL;
    struct daemon_state st;
    char *rundir = NULL, *dbdir = NULL, *path = NULL;
    const struct ft_rpc_method *methods;
    struct ft_error err;
    size_t n_methods;
    int status = 1;

    memset(&st, 0, sizeof st);
    st.sigfd = -1;
    if (ft_log_create(o->log_file, o->log_level, &st.log, &err)) {
        fprintf(stderr, "flowtierd: %s\n", err.reason);
        return 1;
    }
    if (o->socket_group && lookup_group(o->socket_group, &ropts.gid, &err)) {
        goto error;
    }
    if (ft_daemon_mkdir(o->rundir, 0750, true, &err)
        || ft_daemon_mkdir(o->dbdir, 0750, false, &err)) {
        goto error;
    }
    rundir = absolute(o->rundir);
    dbdir = absolute(o->dbdir);
    /* With the set-group-ID bit, every socket made in the run directory
     * (control, OpenFlow BRIDGE.mgmt, OVSDB db.sock) gets the group. */
    if (ropts.gid != (gid_t) -1 && (chown(rundir, (uid_t) -1, ropts.gid)
                                    || chmod(rundir, 02750))) {
        ft_error_set(&err, -errno, "%s: chown or chmod: %s", rundir,
                     strerror(errno));
        goto error;
    }
    if (asprintf(&path, "%s/flowtierd.pid", rundir) < 0) {
        abort();
    }
    if (ft_pidfile_create(path, &pidfile, &err)) {
        goto error;
    }
    free(path);
    path = NULL;

    if (ft_loop_create(&st.loop, &err)) {
        goto error;
    }
    st.sigfd = ft_daemon_signals_open(signals, 3, &err);
    if (st.sigfd < 0 || ft_loop_add_fd(st.loop, st.sigfd, EPOLLIN, signal_cb,
                                       &st)) {
        goto error;
    }
    sopts.dbdir = dbdir;
    sopts.rundir = rundir;
    if (ft_server_create(st.loop, st.log, &sopts, &server, &err)) {
        goto error;
    }
    if (asprintf(&path, "%s/flowtierd.sock", rundir) < 0) {
        abort();
    }
    methods = ft_server_methods(&n_methods);
    if (ft_rpc_server_create(st.loop, path, &ropts, methods, n_methods,
                             server, st.log, &rpc, &err)
        || ovsdb_start(o, rundir, ropts.gid, &st, server, &ovsdb, &err)) {
        goto error;
    }
    ft_log_msg(st.log, FT_LOG_INFO, "daemon", "flowtierd (pid %ld) "
               "listening on %s, database %s, %zu bridges", (long) getpid(),
               path, dbdir, ft_server_n_bridges(server));
    ft_daemon_detach_finish(dd, !o->log_file);

    if (ft_loop_run(st.loop)) {
        ft_log_msg(st.log, FT_LOG_ERR, "daemon", "event loop: %s",
                   strerror(errno));
    } else {
        status = 0;
    }
    goto out;

error:
    ft_log_msg(st.log, FT_LOG_ERR, "daemon", "%s", err.reason);
    if (o->log_file || !ft_log_enabled(st.log, FT_LOG_ERR)) {
        /* Make sure the caller sees why the daemon did not start. */
        fprintf(stderr, "flowtierd: %s\n", err.reason);
    }
out:
    ft_ovsdb_server_destroy(ovsdb);
    ft_rpc_server_destroy(rpc);
    ft_server_destroy(server);
    if (ft_dpdk_eal_runtime_dir()) {
        /* DPDK leaves the run-time directory of its --file-prefix behind;
         * with the default arguments it is this process's own and empty
         * (rmdir() leaves a directory that is not). */
        rmdir(ft_dpdk_eal_runtime_dir());
    }
    if (st.sigfd >= 0) {
        close(st.sigfd);
    }
    ft_loop_destroy(st.loop);
    ft_pidfile_destroy(pidfile);
    if (!status) {
        ft_log_msg(st.log, FT_LOG_INFO, "daemon", "exiting");
    }
    ft_log_destroy(st.log);
    free(path);
    free(rundir);
    free(dbdir);
    return status;
}

int
main(int argc, char *argv[])
{
    struct ft_daemon_detach dd = { .notify_fd = -1 };
    struct options o;
    struct ft_error err;
    int r;

    r = parse_options(argc, argv, &o);
    if (r) {
        return r == 1 ? 0 : 2;
    }
    if (o.detach) {
        int exit_status;

        r = ft_daemon_fork(&dd, &exit_status, &err);
        if (r < 0) {
            fprintf(stderr, "flowtierd: %s\n", err.reason);
            return 1;
        }
        if (r > 0) {
            return exit_status;
        }
    }
    return run(&o, &dd);
}

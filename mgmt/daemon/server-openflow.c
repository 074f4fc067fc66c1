/*
 * server-openflow.c - each running bridge's OpenFlow connections in the
 * daemon's event loop: its management socket $FLOWTIER_RUNDIR/BRIDGE.mgmt
 * (as Open vSwitch's BRIDGE.mgmt, so 'ovs-ofctl ... unix:RUNDIR/br0.mgmt'
 * works), and its controllers (the Bridge's 'controller' column): active
 * "tcp:IP[:PORT]" and "unix:PATH" connections, reconnected with backoff,
 * and "ptcp:[PORT][:IP]" listeners.  A standalone bridge whose active
 * controllers are all disconnected switches everything with NORMAL
 * (fail-open, as Open vSwitch); a secure one keeps its flows.
 *
 * Part of the management plane (flowtierd).  The protocol is in
 * mgmt/openflow/ofconn.c; this file moves bytes between sockets and
 * connections, and gives the connections the daemon's flow change path:
 * FLOW_MODs are made on the bridge held, committed to the database, then
 * kept (server-flows.c), like the CLI's add-flow.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mgmt/daemon/event-loop.h"
#include "mgmt/daemon/server-private.h"
#include "mgmt/openflow/ofconn.h"

#define MODULE "openflow"

/* Output a connection may queue before its reads pause (a peer that does
 * not read its replies). */
#define MAX_QUEUED (16u << 20)

/* Bytes read from a connection before they are handled: what a peer sent
 * in a burst is handled at once, so its FLOW_MODs make one batch (one
 * database commit) rather than one per small read. */
#define MAX_READ (1u << 20)

/* Reconnection backoff of an active controller, ms (as OVS: 1 s doubling
 * to 8 s). */
#define BACKOFF_MIN 1000
#define BACKOFF_MAX 8000

#define DEFAULT_OF_PORT 6653

struct srv_controller;

struct srv_ofconn {
    struct srv_openflow *of;
    struct srv_controller *ctl; /* The active controller it is for, or
                                 * NULL (a client of a listener). */
    int fd;
    struct ft_ofconn *conn;
    uint32_t events;            /* Watched now. */
    bool connecting;            /* Active connect() under way. */
    bool closing;               /* Close once the output is written. */
    bool busy;                  /* Handling its input: the handler writes
                                 * the output when it is done. */
    uint64_t batch_timer;       /* Applies waiting FLOW_MODs; 0 if none. */
    uint64_t probe_timer;       /* Controllers: inactivity probe check. */
    long long int last_rx;      /* ms, when the peer last sent something. */
    long long int probe_sent;   /* ms, when the probe went, or 0. */
    uint8_t *rbuf;              /* Reads land here (kept: allocating and
                                 * freeing it per read cost a burst of
                                 * FLOW_MODs a tenth of its time). */
    size_t rbuf_size;
};

/* A controller connection idle for PROBE_INTERVAL ms gets an ECHO_REQUEST;
 * one that stays silent PROBE_INTERVAL ms more is dropped (and an active
 * one reconnected), as Open vSwitch's default inactivity_probe of 5 s.
 * Checked every PROBE_TICK ms. */
#define PROBE_INTERVAL 5000
#define PROBE_TICK 500

/* How long (ms) FLOW_MODs may wait for more to join their batch. */
#define BATCH_DELAY 2

/* One target of the 'controller' column. */
struct srv_controller {
    struct srv_openflow *of;
    char *target;
    bool passive;               /* ptcp: a listener. */
    int listen_fd;              /* ptcp:, or -1. */
    struct srv_ofconn *conn;    /* Active: the connection, or NULL. */
    uint64_t retry_timer;       /* Active: next connect, or 0. */
    long long int backoff;      /* ms. */
};

struct srv_openflow {
    struct srv_bridge *sb;
    char *path;
    int fd;
    struct srv_ofconn **conns;
    size_t n_conns, allocated_conns;
    struct srv_controller **ctls;
    size_t n_ctls;
    struct ft_ofp_port *ports;  /* As last told to the connections. */
    size_t n_ports;
    uint64_t port_timer;        /* Looks for port changes. */
    bool miss_to_controller;    /* See update_miss(). */
    struct ft_ofconn_roles roles;       /* Shared by the connections. */
};

/* How often (ms) link state changes are looked for. */
#define PORT_CHECK_INTERVAL 1000

static void controller_retry(struct srv_controller *);
static void update_fail_open(struct srv_openflow *);
static void update_miss(struct srv_openflow *);

static void
conn_destroy(struct srv_ofconn *sc)
{
    struct srv_openflow *of = sc->of;

    for (size_t i = 0; i < of->n_conns; i++) {
        if (of->conns[i] == sc) {
            of->conns[i] = of->conns[--of->n_conns];
            break;
        }
    }
    ft_loop_del_fd(of->sb->server->loop, sc->fd);
    ft_loop_cancel_timer(of->sb->server->loop, sc->batch_timer);
    ft_loop_cancel_timer(of->sb->server->loop, sc->probe_timer);
    close(sc->fd);
    ft_ofconn_destroy(sc->conn);
    free(sc->rbuf);
    if (sc->ctl && !sc->ctl->passive) {
        sc->ctl->conn = NULL;
        controller_retry(sc->ctl);
    }
    free(sc);
    update_fail_open(of);
    update_miss(of);
}

/* Writes what it can; returns false if the connection is gone. */
static bool
conn_flush(struct srv_ofconn *sc)
{
    struct ft_ofpbuf *out = ft_ofconn_output(sc->conn);
    uint32_t want;

    while (out->size) {
        ssize_t n = send(sc->fd, out->data, out->size, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                break;
            }
            conn_destroy(sc);
            return false;
        }
        ft_ofpbuf_pull(out, (size_t) n);
    }
    if (!out->size && sc->closing) {
        conn_destroy(sc);
        return false;
    }
    want = (out->size ? EPOLLOUT : 0)
           | (out->size < MAX_QUEUED && !sc->closing ? EPOLLIN : 0);
    if (want != sc->events) {
        sc->events = want;
        ft_loop_mod_fd(sc->of->sb->server->loop, sc->fd, want);
    }
    return true;
}

/* An active connect() finished (or failed). */
static bool
conn_connected(struct srv_ofconn *sc)
{
    int soerr = 0;
    socklen_t len = sizeof soerr;

    if (getsockopt(sc->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr) {
        ft_log_rl(sc->of->sb->server->log, &sc->of->sb->server->rl,
                  FT_LOG_INFO, MODULE, "bridge %s: controller %s: %s",
                  sc->of->sb->name, sc->ctl->target,
                  strerror(soerr ? soerr : errno));
        conn_destroy(sc);
        return false;
    }
    sc->connecting = false;
    sc->last_rx = ft_time_msec();
    sc->ctl->backoff = BACKOFF_MIN;
    ft_log_msg(sc->of->sb->server->log, FT_LOG_INFO, MODULE, "bridge %s: "
               "connected to controller %s", sc->of->sb->name,
               sc->ctl->target);
    return true;
}

static bool conn_flush(struct srv_ofconn *);

static void
probe_timer_cb(void *sc_)
{
    struct srv_ofconn *sc = sc_;
    struct ft_server *s = sc->of->sb->server;
    long long int now = ft_time_msec();

    if (sc->connecting) {
        if (now - sc->last_rx >= PROBE_INTERVAL) {
            ft_log_rl(s->log, &s->rl, FT_LOG_INFO, MODULE, "bridge %s: "
                      "controller %s: connection timed out",
                      sc->of->sb->name, sc->ctl->target);
            conn_destroy(sc);
        }
        return;
    }
    if (!sc->probe_sent) {
        if (now - sc->last_rx >= PROBE_INTERVAL) {
            sc->probe_sent = now;
            if (ft_ofconn_echo_request(sc->conn)) {
                conn_flush(sc);
            }
        }
    } else if (now - sc->probe_sent >= PROBE_INTERVAL) {
        ft_log_msg(s->log, FT_LOG_WARN, MODULE, "bridge %s: controller %s: "
                   "no response to inactivity probe after %d s, "
                   "disconnecting", sc->of->sb->name, sc->ctl->target,
                   2 * PROBE_INTERVAL / 1000);
        conn_destroy(sc);
    }
}

static void
batch_timer_cb(void *sc_)
{
    struct srv_ofconn *sc = sc_;

    sc->batch_timer = 0;
    sc->busy = true;
    ft_ofconn_flush(sc->conn);
    sc->busy = false;
    srv_bridge_schedule(sc->of->sb);
    conn_flush(sc);
}

/* Reads what 'sc' has, up to MAX_READ bytes, into 'sc->rbuf' (grown as
 * needed).  Returns the number of bytes, 0 at end of file, or a negative
 * errno (-EAGAIN when nothing was there). */
static ssize_t
conn_read(struct srv_ofconn *sc)
{
    size_t size = 0;

    if (!sc->rbuf) {
        sc->rbuf_size = 65536;
        sc->rbuf = malloc(sc->rbuf_size);
        if (!sc->rbuf) {
            abort();
        }
    }
    while (size < MAX_READ) {
        ssize_t n;

        if (size == sc->rbuf_size) {
            sc->rbuf_size *= 2;
            sc->rbuf = realloc(sc->rbuf, sc->rbuf_size);
            if (!sc->rbuf) {
                abort();
            }
        }
        n = recv(sc->fd, sc->rbuf + size, sc->rbuf_size - size, 0);
        if (n > 0) {
            size += (size_t) n;
        } else if (n == 0) {
            return size ? (ssize_t) size : 0;
        } else if (errno == EINTR) {
            continue;
        } else {
            return size ? (ssize_t) size : -errno;
        }
    }
    return (ssize_t) size;
}

static void
conn_cb(int fd, uint32_t events, void *sc_)
{
    struct srv_ofconn *sc = sc_;
    uint8_t version;

    (void) fd;
    if (sc->connecting) {
        if (conn_connected(sc)) {
            conn_flush(sc);
        }
        return;
    }
    version = ft_ofconn_version(sc->conn);
    if (events & EPOLLIN) {
        ssize_t n = conn_read(sc);

        if (n == 0 || (n < 0 && n != -EAGAIN)) {
            conn_destroy(sc);
            return;
        }
        if (n > 0) {
            sc->last_rx = ft_time_msec();
            sc->probe_sent = 0;
        }
        sc->busy = true;
        if (n > 0 && ft_ofconn_input(sc->conn, sc->rbuf, (size_t) n)) {
            sc->closing = true;
            ft_ofconn_flush(sc->conn);
        }
        sc->busy = false;
        if (ft_ofconn_has_pending(sc->conn) && !sc->batch_timer) {
            sc->batch_timer = ft_loop_add_timer(sc->of->sb->server->loop,
                                                BATCH_DELAY, 0,
                                                batch_timer_cb, sc);
        }
        srv_bridge_schedule(sc->of->sb);
    } else if (events & (EPOLLHUP | EPOLLERR)) {
        conn_destroy(sc);
        return;
    }
    if (version != ft_ofconn_version(sc->conn)) {
        update_miss(sc->of);            /* Negotiated. */
        if (sc->ctl) {
            update_fail_open(sc->of);   /* A controller. */
        }
    }
    conn_flush(sc);
}

/* ---- What a connection asks of the daemon. ---- */

static int
of_flow_mods(void *sb_, const struct ft_bridge_flow_op *ops, size_t n,
             struct ft_error *err)
{
    struct srv_bridge *sb = sb_;

    return srv_flows_apply_ops(sb->server, sb, ops, n, err);
}

static int
of_packet_out(void *sb_, ft_port_no in_port, const struct ft_ofpacts *acts,
              const void *frame, size_t len, struct ft_error *err)
{
    struct srv_bridge *sb = sb_;
    int error = ft_bridge_packet_out(sb->br, in_port, acts, frame, len,
                                     ft_time_msec(), err);

    srv_bridge_schedule(sb);
    return error;
}

/* A CONTROLLER action's packet: to every connection that wants it. */
static void
of_packet_in(void *of_, const struct ft_bridge_packet_in *pin)
{
    struct srv_openflow *of = of_;

    for (size_t i = of->n_conns; i-- > 0;) {
        struct srv_ofconn *sc = of->conns[i];

        if (!sc->connecting && ft_ofconn_packet_in(sc->conn, pin)
            && !sc->busy) {
            conn_flush(sc);
        }
    }
}

/* A rule flagged send_flow_rem left the tables: every connection that
 * wants it hears (as in Open vSwitch, not only the one that added it). */
static void
of_flow_removed(void *of_, const struct ft_bridge_flow_removed *fr)
{
    struct srv_openflow *of = of_;

    for (size_t i = of->n_conns; i-- > 0;) {
        struct srv_ofconn *sc = of->conns[i];

        if (!sc->connecting && ft_ofconn_flow_removed(sc->conn, fr)
            && !sc->busy) {
            conn_flush(sc);
        }
    }
}

/* 'c' became master: every other master of the bridge becomes a slave. */
static void
of_new_master(void *sb_, const struct ft_ofconn *c)
{
    struct srv_bridge *sb = sb_;
    struct srv_openflow *of = sb->openflow;

    for (size_t i = 0; of && i < of->n_conns; i++) {
        if (of->conns[i]->conn != c) {
            ft_ofconn_demote(of->conns[i]->conn);
        }
    }
}

struct ports_aux {
    struct ft_ofp_port *ports;
    size_t n, allocated;
    const char *bridge;
    int sock;
};

static void
port_cb(const struct ft_bridge_port_stats *ps, void *aux_)
{
    struct ports_aux *aux = aux_;
    struct ft_ofp_port *p;
    struct ifreq ifr;

    if (aux->n == aux->allocated) {
        aux->allocated = aux->allocated ? 2 * aux->allocated : 8;
        aux->ports = realloc(aux->ports, aux->allocated * sizeof *aux->ports);
        if (!aux->ports) {
            abort();
        }
    }
    p = &aux->ports[aux->n++];
    memset(p, 0, sizeof *p);
    p->port = ps->port;
    snprintf(p->name, sizeof p->name, "%s",
             ps->name ? ps->name : aux->bridge);
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", p->name);
    if (aux->sock >= 0 && !ioctl(aux->sock, SIOCGIFHWADDR, &ifr)) {
        memcpy(p->hw_addr.ea, ifr.ifr_hwaddr.sa_data, 6);
    }
    if (aux->sock >= 0 && !ioctl(aux->sock, SIOCGIFFLAGS, &ifr)) {
        p->config = ifr.ifr_flags & IFF_UP ? 0 : FT_OFPPC_PORT_DOWN;
        p->state = ifr.ifr_flags & IFF_RUNNING ? FT_OFPPS_LIVE
                   : FT_OFPPS_LINK_DOWN;
    }
}

static size_t
of_ports(void *sb_, struct ft_ofp_port **ports)
{
    struct srv_bridge *sb = sb_;
    struct ports_aux aux = { NULL, 0, 0, sb->name, -1 };

    aux.sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ft_bridge_dump_ports(sb->br, port_cb, &aux);
    if (aux.sock >= 0) {
        close(aux.sock);
    }
    *ports = aux.ports;
    return aux.n;
}

static void
of_refused(void *sb_, const char *msg_name, const struct ft_ofp_error *oe)
{
    struct srv_bridge *sb = sb_;

    ft_log_rl(sb->server->log, &sb->server->rl, FT_LOG_WARN, MODULE,
              "bridge %s: %s refused with %s: %s", sb->name, msg_name,
              ft_ofperr_name(oe->id), oe->err.reason);
}

static void
send_port_status(struct srv_openflow *of, uint8_t reason,
                 const struct ft_ofp_port *port)
{
    for (size_t i = of->n_conns; i-- > 0;) {
        struct srv_ofconn *sc = of->conns[i];

        if (!sc->connecting && ft_ofconn_port_status(sc->conn, reason, port)) {
            conn_flush(sc);
        }
    }
}

static const struct ft_ofp_port *
find_port(const struct ft_ofp_port *ports, size_t n, ft_port_no port)
{
    for (size_t i = 0; i < n; i++) {
        if (ports[i].port == port) {
            return &ports[i];
        }
    }
    return NULL;
}

/* Tells the connections what changed in the bridge's ports since the last
 * call (PORT_STATUS add, delete, modify). */
static void
ports_changed(struct srv_openflow *of)
{
    struct ft_ofp_port *ports = NULL;
    size_t n = of_ports(of->sb, &ports);

    for (size_t i = 0; i < of->n_ports; i++) {
        if (!find_port(ports, n, of->ports[i].port)) {
            send_port_status(of, FT_OFPPR_DELETE, &of->ports[i]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        const struct ft_ofp_port *old = find_port(of->ports, of->n_ports,
                                                  ports[i].port);

        if (!old) {
            send_port_status(of, FT_OFPPR_ADD, &ports[i]);
        } else if (memcmp(old, &ports[i], sizeof *old)) {
            send_port_status(of, FT_OFPPR_MODIFY, &ports[i]);
        }
    }
    free(of->ports);
    of->ports = ports;
    of->n_ports = n;
}

static void
port_timer_cb(void *of_)
{
    ports_changed(of_);
}

/* A datapath id from the bridge's name: stable across restarts. */
static uint64_t
bridge_dpid(const char *name)
{
    uint64_t h = 14695981039346656037ull;

    for (const char *p = name; *p; p++) {
        h = (h ^ (uint8_t) *p) * 1099511628211ull;
    }
    return h & 0xffffffffffffull;
}

/* A connection on 'cfd' for 'ctl' (NULL: a listener's client). */
static struct srv_ofconn *
conn_create(struct srv_openflow *of, struct srv_controller *ctl, int cfd,
            bool connecting)
{
    struct ft_ofconn_switch sw;
    struct srv_ofconn *sc;

    memset(&sw, 0, sizeof sw);
    sw.br = of->sb->br;
    sw.dpid = bridge_dpid(of->sb->name);
    sw.flow_mods = of_flow_mods;
    sw.packet_out = of_packet_out;
    sw.ports = of_ports;
    sw.refused = of_refused;
    sw.roles = &of->roles;
    sw.new_master = of_new_master;
    sw.aux = of->sb;
    sc = calloc(1, sizeof *sc);
    if (!sc) {
        abort();
    }
    sc->of = of;
    sc->ctl = ctl;
    sc->fd = cfd;
    sc->conn = ft_ofconn_create(&sw, !ctl);
    sc->connecting = connecting;
    sc->events = connecting ? EPOLLOUT : EPOLLIN;
    sc->last_rx = ft_time_msec();
    if (ctl) {
        sc->probe_timer = ft_loop_add_timer(of->sb->server->loop, PROBE_TICK,
                                            PROBE_TICK, probe_timer_cb, sc);
    }
    if (of->n_conns == of->allocated_conns) {
        of->allocated_conns = of->allocated_conns
                              ? 2 * of->allocated_conns : 4;
        of->conns = realloc(of->conns,
                            of->allocated_conns * sizeof *of->conns);
        if (!of->conns) {
            abort();
        }
    }
    of->conns[of->n_conns++] = sc;
    ft_loop_add_fd(of->sb->server->loop, cfd, sc->events, conn_cb, sc);
    if (!connecting) {
        conn_flush(sc);
    }
    return sc;
}

static void
listener_cb(int fd, uint32_t events, void *of_)
{
    struct srv_openflow *of = of_;
    int cfd;

    (void) events;
    cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd >= 0) {
        conn_create(of, NULL, cfd, false);
    }
}

/* ---- Controllers. ---- */

/* A parsed target. */
struct target {
    enum { T_TCP, T_UNIX, T_PTCP } kind;
    struct sockaddr_in sin;
    struct sockaddr_un sun;
};

static int
parse_port(const char *s, uint16_t *port)
{
    char *end;
    long p = strtol(s, &end, 10);

    if (!*s || *end || p < 1 || p > 65535) {
        return -EINVAL;
    }
    *port = (uint16_t) p;
    return 0;
}

static int
parse_target(const char *target, struct target *t, struct ft_error *err)
{
    char buf[128], *ip, *port;
    uint16_t pn = DEFAULT_OF_PORT;

    memset(t, 0, sizeof *t);
    if (!strncmp(target, "unix:", 5)) {
        t->kind = T_UNIX;
        t->sun.sun_family = AF_UNIX;
        if (!target[5] || strlen(target + 5) >= sizeof t->sun.sun_path) {
            return ft_error_set(err, -EINVAL, "\"%s\": the socket path is "
                                "empty or too long", target);
        }
        strcpy(t->sun.sun_path, target + 5);
        return 0;
    }
    if (strncmp(target, "tcp:", 4) && strncmp(target, "ptcp:", 5)) {
        return ft_error_set(err, -EINVAL, "\"%s\" is not tcp:IP[:PORT], "
                            "unix:PATH or ptcp:[PORT][:IP]", target);
    }
    t->kind = target[0] == 'p' ? T_PTCP : T_TCP;
    snprintf(buf, sizeof buf, "%s", strchr(target, ':') + 1);
    t->sin.sin_family = AF_INET;
    if (t->kind == T_TCP) {
        ip = buf;
        port = strchr(buf, ':');
    } else {
        port = buf;
        ip = strchr(buf, ':');
    }
    if (port && port == ip) {
        port = NULL;
    }
    if (ip && ip != buf) {
        *ip++ = '\0';
    } else if (port && port != buf) {
        *port++ = '\0';
    }
    if ((port && *port && parse_port(port, &pn))
        || (ip && *ip && inet_pton(AF_INET, ip, &t->sin.sin_addr) != 1)
        || (t->kind == T_TCP && (!ip || !*ip))) {
        return ft_error_set(err, -EINVAL, "\"%s\": expected %s (IPv4 "
                            "address, port 1-65535)", target,
                            t->kind == T_TCP ? "tcp:IP[:PORT]"
                                             : "ptcp:[PORT][:IP]");
    }
    t->sin.sin_port = htons(pn);
    return 0;
}

int
srv_openflow_check_target(const char *target, struct ft_error *err)
{
    struct target t;

    return parse_target(target, &t, err);
}

/* Open vSwitch sends table misses to the controller while an OpenFlow 1.0
 * connection is up (OpenFlow 1.0's default), and drops them otherwise. */
static void
update_miss(struct srv_openflow *of)
{
    bool of10 = false;

    for (size_t i = 0; i < of->n_conns; i++) {
        of10 |= ft_ofconn_version(of->conns[i]->conn) == FT_OFP10_VERSION;
    }
    if (of10 != of->miss_to_controller) {
        of->miss_to_controller = of10;
        ft_bridge_set_miss_to_controller(of->sb->br, of10);
        srv_bridge_schedule(of->sb);
    }
}

static void
update_fail_open(struct srv_openflow *of)
{
    const char *mode = of->sb->cfg->cfg.fail_mode;
    bool standalone = !mode || strcmp(mode, "secure");
    bool connected = false, want;

    for (size_t i = 0; i < of->n_conns; i++) {
        if (of->conns[i]->ctl && ft_ofconn_version(of->conns[i]->conn)) {
            connected = true;
        }
    }
    want = standalone && of->n_ctls && !connected;
    if (want != ft_bridge_is_fail_open(of->sb->br)) {
        ft_log_msg(of->sb->server->log, FT_LOG_INFO, MODULE, "bridge %s: "
                   "%s fail-open mode (NORMAL switching)", of->sb->name,
                   want ? "entering" : "leaving");
        ft_bridge_set_fail_open(of->sb->br, want);
        srv_bridge_schedule(of->sb);
    }
}

static void
controller_connect(void *ctl_)
{
    struct srv_controller *ctl = ctl_;
    struct srv_openflow *of = ctl->of;
    struct target t;
    int fd, error;

    ctl->retry_timer = 0;
    parse_target(ctl->target, &t, NULL);
    fd = socket(t.kind == T_UNIX ? AF_UNIX : AF_INET,
                SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        controller_retry(ctl);
        return;
    }
    if (t.kind == T_TCP) {
        int one = 1;

        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        error = connect(fd, (struct sockaddr *) &t.sin, sizeof t.sin);
    } else {
        error = connect(fd, (struct sockaddr *) &t.sun, sizeof t.sun);
    }
    if (error && errno != EINPROGRESS) {
        close(fd);
        controller_retry(ctl);
        return;
    }
    ctl->conn = conn_create(of, ctl, fd, true);
}

static void
controller_retry(struct srv_controller *ctl)
{
    struct ft_loop *loop = ctl->of->sb->server->loop;

    if (ctl->passive || ctl->retry_timer || ctl->conn) {
        return;
    }
    ctl->retry_timer = ft_loop_add_timer(loop, ctl->backoff, 0,
                                         controller_connect, ctl);
    ctl->backoff = ctl->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX
                   : ctl->backoff * 2;
}

static void
ptcp_cb(int fd, uint32_t events, void *ctl_)
{
    struct srv_controller *ctl = ctl_;
    int cfd;

    (void) events;
    cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd >= 0) {
        int one = 1;

        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn_create(ctl->of, ctl, cfd, false);
    }
}

static struct srv_controller *
controller_create(struct srv_openflow *of, const char *target)
{
    struct srv_controller *ctl = calloc(1, sizeof *ctl);
    struct ft_error err;
    struct target t;

    if (!ctl || !(ctl->target = strdup(target))) {
        abort();
    }
    ctl->of = of;
    ctl->listen_fd = -1;
    ctl->backoff = BACKOFF_MIN;
    parse_target(target, &t, NULL);
    if (t.kind != T_PTCP) {
        controller_connect(ctl);
        return ctl;
    }
    ctl->passive = true;
    ctl->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK
                            | SOCK_CLOEXEC, 0);
    if (ctl->listen_fd >= 0) {
        int one = 1;

        setsockopt(ctl->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
                   sizeof one);
        if (bind(ctl->listen_fd, (struct sockaddr *) &t.sin, sizeof t.sin)
            || listen(ctl->listen_fd, 16)) {
            ft_error_set(&err, -errno, "%s", strerror(errno));
            ft_log_msg(of->sb->server->log, FT_LOG_ERR, MODULE, "bridge %s: "
                       "controller %s: cannot listen: %s", of->sb->name,
                       target, err.reason);
            close(ctl->listen_fd);
            ctl->listen_fd = -1;
        } else {
            ft_loop_add_fd(of->sb->server->loop, ctl->listen_fd, EPOLLIN,
                           ptcp_cb, ctl);
        }
    }
    return ctl;
}

static void
controller_destroy(struct srv_controller *ctl)
{
    struct srv_openflow *of = ctl->of;

    ft_loop_cancel_timer(of->sb->server->loop, ctl->retry_timer);
    ctl->retry_timer = 0;
    ctl->passive = true;        /* No reconnection from conn_destroy(). */
    for (size_t i = of->n_conns; i-- > 0;) {
        if (of->conns[i]->ctl == ctl) {
            conn_destroy(of->conns[i]);
        }
    }
    if (ctl->listen_fd >= 0) {
        ft_loop_del_fd(of->sb->server->loop, ctl->listen_fd);
        close(ctl->listen_fd);
    }
    free(ctl->target);
    free(ctl);
}

void
srv_openflow_reconfigure(struct srv_bridge *sb)
{
    struct srv_openflow *of = sb->openflow;
    const struct srv_cfg *cfg = sb->cfg;
    struct srv_controller **ctls;
    size_t n = 0;

    if (!of) {
        return;
    }
    ctls = calloc(cfg->n_controllers + 1, sizeof *ctls);
    if (!ctls) {
        abort();
    }
    /* Keep the controllers that stay (their connections with them). */
    for (size_t i = 0; i < cfg->n_controllers; i++) {
        for (size_t j = 0; j < of->n_ctls; j++) {
            if (of->ctls[j] && !strcmp(of->ctls[j]->target,
                                       cfg->controllers[i])) {
                ctls[n++] = of->ctls[j];
                of->ctls[j] = NULL;
                break;
            }
        }
    }
    for (size_t j = 0; j < of->n_ctls; j++) {
        if (of->ctls[j]) {
            controller_destroy(of->ctls[j]);
        }
    }
    free(of->ctls);
    of->ctls = ctls;
    of->n_ctls = n;
    for (size_t i = 0; i < cfg->n_controllers; i++) {
        bool have = false;

        for (size_t j = 0; j < n; j++) {
            have |= !strcmp(ctls[j]->target, cfg->controllers[i]);
        }
        if (!have) {
            of->ctls[of->n_ctls++] = controller_create(of,
                                                       cfg->controllers[i]);
        }
    }
    update_fail_open(of);
    ports_changed(of);
}

int
srv_get_controller(json_t *params, json_t **result, struct ft_error *err,
                   void *s)
{
    struct ds text = DS_EMPTY_INITIALIZER;
    json_t *data = json_array();
    struct srv_openflow *of;
    struct srv_bridge *sb;
    int error;

    error = srv_bridge_get(s, params, &sb, err);
    if (error) {
        json_decref(data);
        return error;
    }
    of = sb->openflow;
    for (size_t i = 0; of && i < of->n_ctls; i++) {
        const struct srv_controller *ctl = of->ctls[i];
        size_t n_conns = 0;

        for (size_t j = 0; j < of->n_conns; j++) {
            n_conns += of->conns[j]->ctl == ctl
                       && ft_ofconn_version(of->conns[j]->conn);
        }
        ds_put_format(&text, "%s%s\n", ctl->target,
                      ctl->passive ? "" : n_conns ? " (connected)"
                                                  : " (not connected)");
        json_array_append_new(data, json_pack("{s:s, s:b, s:i}", "target",
                                              ctl->target, "connected",
                                              n_conns > 0, "connections",
                                              (int) n_conns));
    }
    *result = srv_text_result(&text, json_pack("{s:o, s:b}", "controllers",
                                               data, "fail_open",
                                               ft_bridge_is_fail_open(sb->br)));
    return 0;
}

int
srv_openflow_start(struct srv_bridge *sb, struct ft_error *err)
{
    struct ft_server *s = sb->server;
    struct sockaddr_un sun;
    struct srv_openflow *of;
    int fd;

    if (!s->rundir) {
        return 0;
    }
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    if ((size_t) snprintf(sun.sun_path, sizeof sun.sun_path, "%s/%s.mgmt",
                          s->rundir, sb->name) >= sizeof sun.sun_path) {
        return ft_error_set(err, -ENAMETOOLONG, "bridge %s: OpenFlow socket "
                            "path %s/%s.mgmt is too long", sb->name,
                            s->rundir, sb->name);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return ft_error_set(err, -errno, "socket: %s", strerror(errno));
    }
    unlink(sun.sun_path);
    if (bind(fd, (struct sockaddr *) &sun, sizeof sun) || listen(fd, 16)) {
        int error = -errno;

        close(fd);
        return ft_error_set(err, error, "bridge %s: %s: %s", sb->name,
                            sun.sun_path, strerror(-error));
    }
    chmod(sun.sun_path, 0660);
    of = calloc(1, sizeof *of);
    if (!of || !(of->path = strdup(sun.sun_path))) {
        abort();
    }
    of->sb = sb;
    of->fd = fd;
    ft_loop_add_fd(s->loop, fd, EPOLLIN, listener_cb, of);
    sb->openflow = of;
    ft_bridge_set_packet_in_cb(sb->br, of_packet_in, of);
    ft_bridge_set_flow_removed_cb(sb->br, of_flow_removed, of);
    of->port_timer = ft_loop_add_timer(s->loop, PORT_CHECK_INTERVAL,
                                       PORT_CHECK_INTERVAL, port_timer_cb,
                                       of);
    srv_openflow_reconfigure(sb);
    return 0;
}

void
srv_openflow_stop(struct srv_bridge *sb)
{
    struct srv_openflow *of = sb->openflow;

    if (!of) {
        return;
    }
    ft_bridge_set_packet_in_cb(sb->br, NULL, NULL);
    ft_bridge_set_flow_removed_cb(sb->br, NULL, NULL);
    ft_loop_cancel_timer(sb->server->loop, of->port_timer);
    free(of->ports);
    for (size_t i = 0; i < of->n_ctls; i++) {
        controller_destroy(of->ctls[i]);
    }
    free(of->ctls);
    of->n_ctls = 0;
    while (of->n_conns) {
        conn_destroy(of->conns[of->n_conns - 1]);
    }
    ft_loop_del_fd(sb->server->loop, of->fd);
    close(of->fd);
    unlink(of->path);
    free(of->path);
    free(of->conns);
    free(of);
    sb->openflow = NULL;
}

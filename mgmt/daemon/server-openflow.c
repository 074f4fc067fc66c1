/*
 * server-openflow.c - each running bridge's OpenFlow management socket,
 * $FLOWTIER_RUNDIR/BRIDGE.mgmt (as Open vSwitch's BRIDGE.mgmt, so
 * 'ovs-ofctl ... unix:RUNDIR/br0.mgmt' works), and its connections in the
 * daemon's event loop.
 *
 * Part of the management plane (flowtierd).  The protocol is in
 * mgmt/openflow/ofconn.c; this file moves bytes between sockets and
 * connections, and gives the connections the daemon's flow change path:
 * a FLOW_MOD is checked on the bridge as a dry run, committed to the
 * database, then made (server-flows.c), like the CLI's add-flow.
 */
#include <errno.h>
#include <net/if.h>
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

struct srv_ofconn {
    struct srv_openflow *of;
    int fd;
    struct ft_ofconn *conn;
    uint32_t events;            /* Watched now. */
    bool closing;               /* Close once the output is written. */
};

struct srv_openflow {
    struct srv_bridge *sb;
    char *path;
    int fd;
    struct srv_ofconn **conns;
    size_t n_conns, allocated_conns;
};

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
    close(sc->fd);
    ft_ofconn_destroy(sc->conn);
    free(sc);
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

static void
conn_cb(int fd, uint32_t events, void *sc_)
{
    struct srv_ofconn *sc = sc_;
    uint8_t buf[65536];

    if (events & EPOLLIN) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);

        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            conn_destroy(sc);
            return;
        }
        if (n > 0 && ft_ofconn_input(sc->conn, buf, (size_t) n)) {
            sc->closing = true;
        }
        srv_bridge_schedule(sc->of->sb);
    } else if (events & (EPOLLHUP | EPOLLERR)) {
        conn_destroy(sc);
        return;
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

static void
listener_cb(int fd, uint32_t events, void *of_)
{
    struct srv_openflow *of = of_;
    struct ft_ofconn_switch sw;
    struct srv_ofconn *sc;
    int cfd;

    (void) events;
    cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
        return;
    }
    memset(&sw, 0, sizeof sw);
    sw.br = of->sb->br;
    sw.dpid = bridge_dpid(of->sb->name);
    sw.flow_mods = of_flow_mods;
    sw.ports = of_ports;
    sw.refused = of_refused;
    sw.aux = of->sb;
    sc = calloc(1, sizeof *sc);
    if (!sc) {
        abort();
    }
    sc->of = of;
    sc->fd = cfd;
    sc->conn = ft_ofconn_create(&sw);
    sc->events = EPOLLIN;
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
    ft_loop_add_fd(of->sb->server->loop, cfd, EPOLLIN, conn_cb, sc);
    conn_flush(sc);
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
    return 0;
}

void
srv_openflow_stop(struct srv_bridge *sb)
{
    struct srv_openflow *of = sb->openflow;

    if (!of) {
        return;
    }
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

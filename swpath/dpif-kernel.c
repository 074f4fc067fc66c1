/*
 * dpif-kernel.c - the kernel datapath class (type "system"): a bridge's
 * packets are switched by FlowTier's kernel module, flowtier.ko (kmod/),
 * and this class drives it over generic netlink (kdp-nl.h,
 * flowtier/kdp.h).  Its megaflows are in the kernel tier.
 *
 * It sits in swpath/ beside the userspace datapath and touches only its
 * netlink sockets: one for requests, and the ones the module sends upcalls
 * to (misses and userspace actions), which are the descriptors the bridge
 * polls.  Each port has an upcall socket of its own (a queue per port),
 * read in turn with an equal share of each run's budget, so a port that
 * floods misses fills its own queue and waits its turn while the other
 * ports' misses are still set up; the datapath's socket takes the rest.
 * It keeps a handle per megaflow (the module's id, the match and actions
 * it was given) in a hash table by id, and reads counters from the module
 * in batches.
 *
 * A datapath of the bridge's name left in the kernel by a daemon that was
 * killed went on forwarding with its megaflows while the daemon was away.
 * Creating the datapath again takes it over: its upcalls are pointed at
 * the new sockets, its ports are kept for the bridge to add again by name
 * (a port added again under the same number stays attached: no packet is
 * dropped), and its megaflows are read back with their counters for the
 * bridge to adopt (ft_dpif_flow_adopt()), which then revalidates them.
 * Destroying the datapath (a clean stop) removes it from the kernel.
 *
 * Every upcall's key, extracted by the module, is compared with the key
 * swpath/flow-extract.c extracts from the same frame: a difference is
 * counted and logged, since megaflows are computed from that key.  (The
 * outer header of a packet a vxlan port received is not in the frame:
 * the module's tunnel fields are taken as they are.)
 *
 * A vxlan port is a VXLAN device in external mode that the caller opened
 * (FlowTier's, see dpif.h), attached as a port of kind VXLAN: the module
 * puts the outer header in the key and encapsulates after set(tunnel).
 *
 * This file holds the class's lifecycle, ports, execution, upcalls and
 * counters; its megaflows are in dpif-kernel-flow.c, the takeover in
 * dpif-kernel-takeover.c (dpif-kernel-private.h: what they share).
 */
#include "dpif-kernel-private.h"

#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "flowtier/util.h"
#include "flow-extract.h"
#include "netdev.h"
#include "tnl-config.h"

#define LOG_INTERVAL_MS 1000
#define LOG_BURST 10
#define UPCALL_BUF_SIZE (65536 + FT_PACKET_HEADROOM)
#define UPCALL_SOCK_RCVBUF (4 * 1024 * 1024)


long long int
dk_time_msec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long int) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void __attribute__((format(printf, 2, 3)))
dk_log(struct dpif_kernel *dk, const char *fmt, ...)
{
    char msg[512];
    long long int now;
    va_list args;
    int n;

    if (!dk->up.log_cb) {
        return;
    }
    now = dk_time_msec();
    if (now - dk->log_window >= LOG_INTERVAL_MS) {
        dk->log_window = now;
        dk->log_in_window = 0;
    }
    if (dk->log_in_window >= LOG_BURST) {
        dk->log_suppressed++;
        return;
    }
    dk->log_in_window++;
    n = snprintf(msg, sizeof msg, "%s: ", dk->up.name);
    va_start(args, fmt);
    vsnprintf(msg + n, sizeof msg - n, fmt, args);
    va_end(args);
    if (dk->log_suppressed) {
        size_t len = strlen(msg);

        snprintf(msg + len, sizeof msg - len,
                 " (%llu earlier messages suppressed)",
                 (unsigned long long) dk->log_suppressed);
        dk->log_suppressed = 0;
    }
    dk->up.log_cb(dk->up.log_aux, msg);
}

/* ---- Lifecycle. ---- */

static int dk_upcall_msg(struct nl_msg *msg, void *arg);

/* Upcalls answer no request: their sequence numbers mean nothing. */
static int
dk_no_seq_check(struct nl_msg *msg, void *arg)
{
    (void) msg;
    (void) arg;
    return NL_OK;
}

/* Opens an upcall socket in '*sockp' (for the datapath, or for the port
 * 'what' names). */
int
dk_usock_open(struct nl_sock **sockp, const char *what, struct ft_error *err)
{
    struct nl_sock *sock = nl_socket_alloc();
    int error;

    *sockp = NULL;
    if (!sock) {
        return ft_error_set(err, -ENOMEM, "kernel datapath: no memory");
    }
    nl_socket_disable_seq_check(sock);
    error = genl_connect(sock);
    if (error) {
        nl_socket_free(sock);
        return ft_error_set(err, -EIO, "%s: cannot open an upcall socket: "
                            "%s", what, nl_geterror(error));
    }
    nl_socket_set_nonblocking(sock);
    nl_socket_set_buffer_size(sock, UPCALL_SOCK_RCVBUF, 0);
    *sockp = sock;
    return 0;
}

static int
dk_open_upcall_socket(struct dpif_kernel *dk, struct ft_error *err)
{
    dk->ucb = nl_cb_alloc(NL_CB_DEFAULT);
    if (!dk->ucb) {
        abort();
    }
    nl_cb_set(dk->ucb, NL_CB_VALID, NL_CB_CUSTOM, dk_upcall_msg, dk);
    nl_cb_set(dk->ucb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, dk_no_seq_check, NULL);
    return dk_usock_open(&dk->usock, "kernel datapath", err);
}

/* Creates the module's datapath, or takes over the one of the same name a
 * killed daemon left behind. */
static int
dk_dp_new(struct dpif_kernel *dk, struct ft_error *err)
{
    struct nl_msg *msg;
    int error;

    msg = ft_kdp_nl_msg(&dk->nl, dk->nl.family_dp, FT_KDP_DP_CMD_NEW, 0,
                        dk->dpname);
    nla_put_u32(msg, FT_KDP_DP_ATTR_UPCALL_PID,
                nl_socket_get_local_port(dk->usock));
    error = ft_kdp_nl_transact(&dk->nl, msg, FT_KDP_DP_ATTR_MAX, NULL,
                               NULL, "kernel datapath", err);
    if (error == -EEXIST) {
        ft_error_clear(err);
        error = dk_dp_adopt(dk, err);
    }
    return error;
}

static void
dk_free(struct dpif_kernel *dk)
{
    flows_clear(dk);
    free(dk->buckets);
    for (size_t i = 0; i < dk->n_ports; i++) {
        if (dk->ports[i].usock) {
            nl_socket_free(dk->ports[i].usock);
        }
    }
    free(dk->ports);
    if (dk->ucb) {
        nl_cb_put(dk->ucb);
    }
    if (dk->usock) {
        nl_socket_free(dk->usock);
    }
    ft_kdp_nl_close(&dk->nl);
    ft_dp_actions_uninit(&dk->scratch);
    free(dk->buf);
    free(dk);
}

static int
dk_create(const char *name, struct ft_dpif **dpifp, struct ft_error *err)
{
    struct dpif_kernel *dk;
    int error;

    if (strlen(name) >= FT_KDP_NAME_MAX) {
        return ft_error_set(err, -EINVAL, "kernel datapath: bridge name %s "
                            "is longer than %d characters", name,
                            FT_KDP_NAME_MAX - 1);
    }
    dk = ft_xcalloc(1, sizeof *dk);
    snprintf(dk->dpname, sizeof dk->dpname, "%s", name);
    ft_dp_actions_init(&dk->scratch);
    dk->buf = ft_xmalloc(UPCALL_BUF_SIZE);
    error = ft_kdp_nl_open(&dk->nl, err);
    if (!error) {
        error = dk_open_upcall_socket(dk, err);
    }
    if (!error) {
        error = dk_dp_new(dk, err);
    }
    if (error) {
        dk_free(dk);
        return error;
    }
    *dpifp = &dk->up;
    return 0;
}

static void
dk_destroy(struct ft_dpif *dpif)
{
    struct dpif_kernel *dk = dk_cast(dpif);
    struct nl_msg *msg;

    msg = ft_kdp_nl_msg(&dk->nl, dk->nl.family_dp, FT_KDP_DP_CMD_DEL, 0,
                        dk->dpname);
    ft_kdp_nl_transact(&dk->nl, msg, 0, NULL, NULL, "kernel datapath",
                       NULL);
    dk_free(dk);
}

/* ---- Ports. ---- */

struct kport *
kport_find(const struct dpif_kernel *dk, ft_port_no port_no)
{
    for (size_t i = 0; i < dk->n_ports; i++) {
        if (dk->ports[i].port_no == port_no) {
            return &dk->ports[i];
        }
    }
    return NULL;
}

static int
vport_reply_ifindex(struct nlattr **attrs, void *aux)
{
    int *ifindex = aux;

    if (attrs[FT_KDP_VPORT_ATTR_IFINDEX]) {
        *ifindex = (int) nla_get_u32(attrs[FT_KDP_VPORT_ATTR_IFINDEX]);
    }
    return 0;
}

static struct kport *
kport_find_name(const struct dpif_kernel *dk, const char *devname)
{
    for (size_t i = 0; i < dk->n_ports; i++) {
        if (!strcmp(dk->ports[i].name, devname)) {
            return &dk->ports[i];
        }
    }
    return NULL;
}

static const char *
kport_type(const struct kport *p)
{
    return (p->kind == FT_KDP_VPORT_INTERNAL ? "internal"
            : p->kind == FT_KDP_VPORT_VXLAN ? "vxlan" : "system");
}

struct kport *
kport_find_dev(const struct dpif_kernel *dk, const char *dev)
{
    for (size_t i = 0; i < dk->n_ports; i++) {
        if (!strcmp(dk->ports[i].dev, dev)) {
            return &dk->ports[i];
        }
    }
    return NULL;
}

/* Inserts port 'name' of device 'dev' in 'dk->ports' (sorted by number)
 * and returns it. */
struct kport *
kport_insert(struct dpif_kernel *dk, ft_port_no port_no, const char *name,
             const char *dev, int ifindex, enum ft_kdp_vport_type kind)
{
    struct kport *p;
    size_t i;

    dk->ports = ft_xrealloc(dk->ports, (dk->n_ports + 1) * sizeof *dk->ports);
    p = dk->ports;
    for (i = dk->n_ports; i > 0 && p[i - 1].port_no > port_no; i--) {
        p[i] = p[i - 1];
    }
    memset(&p[i], 0, sizeof p[i]);
    p[i].port_no = port_no;
    snprintf(p[i].name, sizeof p[i].name, "%s", name);
    snprintf(p[i].dev, sizeof p[i].dev, "%s", dev);
    p[i].ifindex = ifindex;
    p[i].kind = kind;
    dk->n_ports++;
    return &p[i];
}

/* Checks the options 'opts' of vxlan port 'name' and finds in them the
 * device the bridge opened for it (FT_DPIF_OPT_TNL_DEVICE), stored in
 * 'dev'; stores its UDP port in '*dst_port'. */
static int
dk_vxlan_opts(const struct dpif_kernel *dk, const char *name,
              const struct ft_netdev_option *opts, size_t n_opts,
              char dev[FT_PORT_NAME_MAX], uint16_t *dst_port,
              struct ft_error *err)
{
    struct ft_netdev_option *user = ft_xcalloc(n_opts + 1, sizeof *user);
    struct ft_tnl_config cfg;
    size_t n_user = 0;
    int error;

    dev[0] = '\0';
    for (size_t i = 0; i < n_opts; i++) {
        if (!strcmp(opts[i].key, FT_DPIF_OPT_TNL_DEVICE)) {
            snprintf(dev, FT_PORT_NAME_MAX, "%s", opts[i].value);
        } else {
            user[n_user++] = opts[i];
        }
    }
    error = ft_tnl_config_parse(name, user, n_user, &cfg, err);
    free(user);
    if (error) {
        return error;
    }
    if (!dev[0]) {
        return ft_error_set(err, -EINVAL, "port %s: a vxlan port of the "
                            "kernel datapath needs FlowTier's VXLAN device "
                            "for UDP port %u (the bridge opens it)", name,
                            cfg.dst_port);
    }
    for (size_t i = 0; i < dk->n_ports; i++) {
        const struct kport *p = &dk->ports[i];

        if (!p->adopted && p->tnl_dst_port == cfg.dst_port
            && strcmp(p->name, name)) {
            return ft_error_set(err, -EEXIST, "port %s: the kernel datapath "
                                "takes one vxlan port per UDP port, and "
                                "port %s has UDP port %u (its VXLAN device "
                                "receives every VNI and remote of it)",
                                name, p->name, cfg.dst_port);
        }
    }
    *dst_port = cfg.dst_port;
    return 0;
}

/* The kind of port of 'type' ("system", "internal", "vxlan"), or -1. */
static int
dk_port_kind(const char *type)
{
    if (!type || !*type || !strcmp(type, "system")) {
        return FT_KDP_VPORT_NETDEV;
    }
    return (!strcmp(type, "internal") ? FT_KDP_VPORT_INTERNAL
            : !strcmp(type, "vxlan") ? FT_KDP_VPORT_VXLAN : -1);
}

static int
dk_port_add(struct ft_dpif *dpif, ft_port_no port_no, const char *devname,
            const char *type, const struct ft_netdev_option *opts,
            size_t n_opts, struct ft_error *err)
{
    struct dpif_kernel *dk = dk_cast(dpif);
    int kind = dk_port_kind(type);
    char dev[FT_PORT_NAME_MAX];
    uint16_t dst_port = 0;
    struct nl_sock *sock;
    struct nl_msg *msg;
    struct kport *p;
    char what[64];
    int ifindex = 0, error;

    if (kind < 0) {
        return ft_error_set(err, -EOPNOTSUPP, "port %s: type %s is not "
                            "available in the kernel datapath "
                            "(datapath_type=system attaches existing "
                            "network devices, type system, VXLAN tunnels, "
                            "type vxlan, and makes the bridge's internal "
                            "port)", devname, type);
    }
    if (strlen(devname) >= FT_PORT_NAME_MAX) {
        return ft_error_set(err, -EINVAL, "port %s: name too long", devname);
    }
    if (kind == FT_KDP_VPORT_VXLAN) {
        error = dk_vxlan_opts(dk, devname, opts, n_opts, dev, &dst_port,
                              err);
        if (error) {
            return error;
        }
    } else if (n_opts) {
        return ft_error_set(err, -EINVAL, "port %s: the kernel datapath "
                            "takes no options for a port of type %s",
                            devname, type ? type : "system");
    } else {
        snprintf(dev, sizeof dev, "%s", devname);
    }
    snprintf(what, sizeof what, "port %s", devname);
    p = dk_port_clear_adopted(dk, port_no, dev, kind);
    if (p) {
        snprintf(p->name, sizeof p->name, "%s", devname);
        p->tnl_dst_port = dst_port;
        error = dk_port_claim(dk, p, what, err);
        if (error != -ENOENT) {
            return error;
        }
        /* Its device went meanwhile (a killed daemon's VXLAN device is
         * made anew), and the port with it: attach the new one. */
        dk_port_del(&dk->up, port_no);
    }
    if (kport_find(dk, port_no)) {
        return ft_error_set(err, -EEXIST, "port %s: port number %u is in "
                            "use", devname, port_no);
    }
    error = dk_usock_open(&sock, what, err);
    if (error) {
        return error;
    }
    msg = ft_kdp_nl_msg(&dk->nl, dk->nl.family_vport, FT_KDP_VPORT_CMD_NEW,
                        0, dk->dpname);
    nla_put_u32(msg, FT_KDP_VPORT_ATTR_PORT_NO, port_no);
    nla_put_string(msg, FT_KDP_VPORT_ATTR_IFNAME, dev);
    nla_put_u32(msg, FT_KDP_VPORT_ATTR_TYPE, (uint32_t) kind);
    nla_put_u32(msg, FT_KDP_VPORT_ATTR_UPCALL_PID,
                nl_socket_get_local_port(sock));
    error = ft_kdp_nl_transact(&dk->nl, msg, FT_KDP_VPORT_ATTR_MAX,
                               vport_reply_ifindex, &ifindex, what, err);
    if (error) {
        nl_socket_free(sock);
        return error;
    }
    p = kport_insert(dk, port_no, devname, dev, ifindex, kind);
    p->usock = sock;
    p->tnl_dst_port = dst_port;
    return 0;
}

int
dk_port_del(struct ft_dpif *dpif, ft_port_no port_no)
{
    struct dpif_kernel *dk = dk_cast(dpif);
    struct kport *p = kport_find(dk, port_no);
    struct nl_msg *msg;
    size_t i;

    if (!p) {
        return -ENOENT;
    }
    msg = ft_kdp_nl_msg(&dk->nl, dk->nl.family_vport, FT_KDP_VPORT_CMD_DEL,
                        0, dk->dpname);
    nla_put_u32(msg, FT_KDP_VPORT_ATTR_PORT_NO, port_no);
    /* -ENOENT: the device went away and took the port with it. */
    ft_kdp_nl_transact(&dk->nl, msg, 0, NULL, NULL, "port", NULL);
    if (p->usock) {
        nl_socket_free(p->usock);
    }
    i = (size_t) (p - dk->ports);
    memmove(&dk->ports[i], &dk->ports[i + 1],
            (dk->n_ports - i - 1) * sizeof *dk->ports);
    dk->n_ports--;
    return 0;
}

static void
kport_to_info(const struct kport *p, struct ft_dpif_port_info *info)
{
    info->port_no = p->port_no;
    info->name = p->name;
    info->type = kport_type(p);
    /* (A vxlan port's device is not the port's name: as in the userspace
     * datapath, the port has no ifindex of its own.) */
    info->ifindex = p->kind == FT_KDP_VPORT_VXLAN ? 0 : p->ifindex;
    info->fd = -1;
}

static int
dk_port_get(const struct ft_dpif *dpif, ft_port_no port_no,
            struct ft_dpif_port_info *info)
{
    const struct kport *p = kport_find(dk_cast_const(dpif), port_no);

    if (!p || p->adopted) {
        return -ENOENT;
    }
    kport_to_info(p, info);
    return 0;
}

static int
dk_port_get_by_name(const struct ft_dpif *dpif, const char *devname,
                    struct ft_dpif_port_info *info)
{
    const struct dpif_kernel *dk = dk_cast_const(dpif);

    const struct kport *p = kport_find_name(dk, devname);

    if (!p || p->adopted) {
        return -ENOENT;
    }
    kport_to_info(p, info);
    return 0;
}

static int
vport_reply_stats(struct nlattr **attrs, void *aux)
{
    struct ft_kdp_vport_stats *st = aux;
    struct nlattr *a = attrs[FT_KDP_VPORT_ATTR_STATS];

    if (!a || nla_len(a) < (int) sizeof *st) {
        return -EPROTO;
    }
    memcpy(st, nla_data(a), sizeof *st);
    return 0;
}

/* Reads the module's counters of port 'port_no' into '*st'.  Returns 0,
 * -ENOENT if the datapath has no such port, or the request's error. */
static int
dk_vport_read_stats(struct dpif_kernel *dk, ft_port_no port_no,
                    struct ft_kdp_vport_stats *st)
{
    struct nl_msg *msg;

    if (!kport_find(dk, port_no)) {
        return -ENOENT;
    }
    msg = ft_kdp_nl_msg(&dk->nl, dk->nl.family_vport, FT_KDP_VPORT_CMD_GET,
                        0, dk->dpname);
    nla_put_u32(msg, FT_KDP_VPORT_ATTR_PORT_NO, port_no);
    return ft_kdp_nl_transact(&dk->nl, msg, FT_KDP_VPORT_ATTR_MAX,
                              vport_reply_stats, st, "port", NULL);
}

static int
dk_port_get_stats(struct ft_dpif *dpif, ft_port_no port_no,
                  struct ft_netdev_stats *stats)
{
    struct ft_kdp_vport_stats st;
    int error;

    error = dk_vport_read_stats(dk_cast(dpif), port_no, &st);
    if (error) {
        return error;
    }
    memset(stats, 0, sizeof *stats);
    stats->rx_packets = st.rx_packets;
    stats->rx_bytes = st.rx_bytes;
    stats->tx_packets = st.tx_packets;
    stats->tx_bytes = st.tx_bytes;
    stats->tx_dropped = st.tx_dropped;
    stats->rx_dropped = st.upcalls_lost;
    return 0;
}

static int
dk_port_get_mac(const struct ft_dpif *dpif, ft_port_no port_no,
                struct ft_eth_addr *mac)
{
    const struct kport *p = kport_find(dk_cast_const(dpif), port_no);
    struct ifreq ifr;
    int fd, error = 0;

    if (!p) {
        return -ENOENT;
    }
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", p->name);
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
        error = -errno;
    } else {
        memcpy(mac->ea, ifr.ifr_hwaddr.sa_data, FT_ETH_ALEN);
    }
    close(fd);
    return error;
}

static int
dk_port_get_identity(const struct ft_dpif *dpif, ft_port_no port_no,
                     struct ft_port_identity *id)
{
    const struct kport *p = kport_find(dk_cast_const(dpif), port_no);

    if (!p) {
        return -ENOENT;
    }
    memset(id, 0, sizeof *id);
    id->port_no = port_no;
    snprintf(id->name, sizeof id->name, "%s", p->name);
    snprintf(id->type, sizeof id->type, "%s", kport_type(p));
    /* A vxlan port is FlowTier's device for its UDP port, which a
     * provider that offloads tunnels opens itself. */
    id->ifindex = p->kind == FT_KDP_VPORT_VXLAN ? 0 : p->ifindex;
    id->tnl_dst_port = p->tnl_dst_port;
    id->dpdk_port_id = -1;
    id->kernel_datapath = true;
    if (id->ifindex > 0) {
        /* A NIC's representor: its e-switch, for the hw tier in front. */
        ft_netdev_get_switch_identity(p->name, id);
    }
    return 0;
}

static int
dk_port_foreach(const struct ft_dpif *dpif,
                int (*cb)(const struct ft_dpif_port_info *, void *aux),
                void *aux)
{
    const struct dpif_kernel *dk = dk_cast_const(dpif);

    for (size_t i = 0; i < dk->n_ports; i++) {
        struct ft_dpif_port_info info;
        int r;

        if (dk->ports[i].adopted) {
            continue;
        }
        kport_to_info(&dk->ports[i], &info);
        r = cb(&info, aux);
        if (r) {
            return r;
        }
    }
    return 0;
}

static size_t
dk_port_count(const struct ft_dpif *dpif)
{
    const struct dpif_kernel *dk = dk_cast_const(dpif);
    size_t n = 0;

    for (size_t i = 0; i < dk->n_ports; i++) {
        n += !dk->ports[i].adopted;
    }
    return n;
}

static int
dk_port_get_upcall_stats(struct ft_dpif *dpif, ft_port_no port_no,
                         struct ft_dpif_upcall_stats *stats)
{
    struct ft_kdp_vport_stats st;
    int error;

    error = dk_vport_read_stats(dk_cast(dpif), port_no, &st);
    if (!error) {
        stats->sent = st.upcalls;
        stats->dropped = st.upcalls_lost;
    }
    return error;
}

/* The upcall sockets: the datapath's, then each port's. */
static size_t
dk_get_fds(const struct ft_dpif *dpif, int fds[], size_t max)
{
    const struct dpif_kernel *dk = dk_cast_const(dpif);
    size_t n = 0;

    if (n < max) {
        fds[n] = nl_socket_get_fd(dk->usock);
    }
    n++;
    for (size_t i = 0; i < dk->n_ports; i++) {
        if (dk->ports[i].usock) {
            if (n < max) {
                fds[n] = nl_socket_get_fd(dk->ports[i].usock);
            }
            n++;
        }
    }
    return n;
}

/* ---- Executing. ---- */

static int
dk_execute_frame(struct dpif_kernel *dk, const void *data, size_t len,
                 ft_port_no in_port, const struct ft_dp_actions *actions,
                 struct ft_error *err)
{
    struct nl_msg *msg;
    int error;

    msg = ft_kdp_nl_msg(&dk->nl, dk->nl.family_packet,
                        FT_KDP_PACKET_CMD_EXECUTE, 0, dk->dpname);
    error = ft_kdp_nl_put_actions(msg, FT_KDP_PACKET_ATTR_ACTIONS, actions,
                                  err);
    if (error) {
        nlmsg_free(msg);
        return error;
    }
    if (nla_put(msg, FT_KDP_PACKET_ATTR_DATA, (int) len, data) < 0
        || nla_put_u32(msg, FT_KDP_PACKET_ATTR_IN_PORT, in_port) < 0) {
        nlmsg_free(msg);
        return ft_error_set(err, -EMSGSIZE, "kernel datapath: a frame of "
                            "%zu bytes does not fit a message", len);
    }
    return ft_kdp_nl_transact(&dk->nl, msg, 0, NULL, NULL,
                              "kernel datapath: execute", err);
}

static int
dk_execute(struct ft_dpif *dpif, struct ft_packet *pkt,
           const struct ft_dp_actions *actions)
{
    return dk_execute_frame(dk_cast(dpif), ft_packet_data(pkt), pkt->size,
                            pkt->in_port, actions, NULL);
}

/* ---- Upcalls. ---- */

static void
dk_check_key(struct dpif_kernel *dk, const struct ft_flow *key,
             const struct ft_packet *pkt)
{
    struct ft_flow ukey;
    int error;

    error = ft_flow_extract(ft_packet_data(pkt), pkt->size, key->in_port,
                            &ukey);
    /* The outer header is not in the frame: the module's is the key's. */
    ukey.tun_id = key->tun_id;
    ukey.tun_src = key->tun_src;
    ukey.tun_dst = key->tun_dst;
    ukey.tun_tos = key->tun_tos;
    ukey.tun_ttl = key->tun_ttl;
    ukey.tun_flags = key->tun_flags;
    if (error || !ft_flow_equal(&ukey, key)) {
        dk->n_key_mismatch++;
        dk_log(dk, "the kernel module's key of a %"PRIu32"-byte packet from "
               "port %"PRIu32" differs from the userspace parser's",
               pkt->size, key->in_port);
    }
}

static void
dk_handle_miss(struct dpif_kernel *dk, const struct ft_flow *key,
               struct ft_packet *pkt, bool whole)
{
    struct ft_dpif_flow *flow = NULL;
    struct ft_match megaflow;
    struct ft_error err;
    int error;

    if (whole) {
        dk_check_key(dk, key, pkt);
    }
    if (!dk->up.upcall_cb) {
        dk->n_lost++;
        return;
    }
    memset(&megaflow, 0, sizeof megaflow);
    ft_dp_actions_clear(&dk->scratch);
    ft_error_clear(&err);
    dk->n_upcalls++;
    error = dk->up.upcall_cb(dk->up.upcall_aux, &dk->up, key, pkt, &megaflow,
                             &dk->scratch, &flow, &err);
    if (error) {
        dk->n_lost++;
        dk_log(dk, "upcall for a packet from port %"PRIu32" failed: %s",
               key->in_port, err.reason[0] ? err.reason
               : strerror(error < 0 ? -error : error));
        return;
    }
    if (flow && !ft_match_contains(&flow->match, key)) {
        dk->n_bad_megaflows++;
        dk_log(dk, "upcall for a packet from port %"PRIu32" installed a "
               "megaflow that does not match it", key->in_port);
    } else if (flow) {
        flow->extra.n_packets++;
        flow->extra.n_bytes += pkt->size;
        flow->extra.used = dk_time_msec();
    }
    ft_error_clear(&err);
    error = dk_execute_frame(dk, ft_packet_data(pkt), pkt->size, key->in_port,
                             &dk->scratch, &err);
    if (error) {
        dk_log(dk, "executing the actions of an upcalled packet: %s",
               err.reason);
    }
}

static void
dk_handle_action(struct dpif_kernel *dk, const struct ft_kdp_upcall *up,
                 const struct ft_packet *pkt)
{
    struct ft_dpa_userspace act;

    if (!up->has_userspace) {
        return;
    }
    if (!dk->up.userspace_cb) {
        dk->n_userspace_dropped++;
        return;
    }
    memset(&act, 0, sizeof act);
    act.reason = up->userspace.reason;
    act.max_len = up->userspace.max_len;
    act.cookie = up->userspace.cookie;
    act.table_id = up->userspace.table_id;
    dk->up.userspace_cb(dk->up.userspace_aux, &act, pkt);
}

/* One message on the upcall socket. */
static int
dk_upcall_msg(struct nl_msg *msg, void *arg)
{
    struct dpif_kernel *dk = arg;
    struct ft_kdp_upcall up;
    struct ft_packet pkt;

    dk->run_budget--;
    dk->quota--;
    if (ft_kdp_upcall_parse(nlmsg_hdr(msg), &up)
        || up.len > UPCALL_BUF_SIZE - FT_PACKET_HEADROOM) {
        return NL_OK;
    }
    ft_packet_init(&pkt, dk->buf, UPCALL_BUF_SIZE, FT_PACKET_HEADROOM);
    memcpy(ft_packet_data(&pkt), up.data, up.len);
    pkt.size = (uint32_t) up.len;
    ft_packet_parse(&pkt);
    pkt.in_port = up.key.in_port;

    if (up.cmd == FT_KDP_PACKET_CMD_MISS) {
        dk_handle_miss(dk, &up.key, &pkt, up.whole);
    } else if (up.cmd == FT_KDP_PACKET_CMD_ACTION) {
        dk_handle_action(dk, &up, &pkt);
    }
    return NL_OK;
}

/* Reads upcalls from 'sock' until it is empty or this socket's quota or
 * the run's budget is used up.  Returns true if it may have more. */
static bool
dk_read_upcalls(struct dpif_kernel *dk, struct nl_sock *sock, int quota)
{
    dk->quota = quota;
    while (dk->quota > 0 && dk->run_budget > 0) {
        int error = nl_recvmsgs(sock, dk->ucb);

        if (error == -NLE_AGAIN) {
            return false;
        } else if (error == -NLE_NOMEM) {
            dk_log(dk, "an upcall socket overflowed: misses were lost "
                   "(counted by the module as lost)");
        } else if (error < 0) {
            dk_log(dk, "reading upcalls: %s", nl_geterror(error));
            return false;
        }
    }
    return true;
}

/* The upcall socket of turn 'i': 0 the datapath's, then the ports'. */
static struct nl_sock *
dk_usock_at(const struct dpif_kernel *dk, size_t i)
{
    return i ? dk->ports[i - 1].usock : dk->usock;
}

/* Fair servicing: every socket gets an equal share of the budget in turn,
 * starting after the one that started last time, and the share of those
 * that had less is handed round again to those that had more. */
static int
dk_run(struct ft_dpif *dpif, int budget)
{
    struct dpif_kernel *dk = dk_cast(dpif);
    size_t n = dk->n_ports + 1;
    bool more = true;

    dk->run_budget = budget;
    while (more && dk->run_budget > 0) {
        int quota = dk->run_budget / (int) n;

        more = false;
        for (size_t k = 0; k < n && dk->run_budget > 0; k++) {
            struct nl_sock *sock = dk_usock_at(dk, (dk->rr + k) % n);

            if (sock) {
                more |= dk_read_upcalls(dk, sock, quota > 0 ? quota : 1);
            }
        }
    }
    dk->rr = (dk->rr + 1) % n;
    return budget - dk->run_budget;
}

/* ---- Counters. ---- */

static int
dp_reply_stats(struct nlattr **attrs, void *aux)
{
    struct ft_kdp_dp_stats *st = aux;
    struct nlattr *a = attrs[FT_KDP_DP_ATTR_STATS];

    if (!a || nla_len(a) < (int) sizeof *st) {
        return -EPROTO;
    }
    memcpy(st, nla_data(a), sizeof *st);
    return 0;
}

static void
dk_get_stats(const struct ft_dpif *dpif, struct ft_dpif_stats *stats)
{
    /* Reading counters asks the module: the socket is not const. */
    struct dpif_kernel *dk = dk_cast((struct ft_dpif *) dpif);
    struct ft_kdp_dp_stats st;
    struct nl_msg *msg;

    memset(&st, 0, sizeof st);
    memset(stats, 0, sizeof *stats);
    msg = ft_kdp_nl_msg(&dk->nl, dk->nl.family_dp, FT_KDP_DP_CMD_GET, 0,
                        dk->dpname);
    ft_kdp_nl_transact(&dk->nl, msg, FT_KDP_DP_ATTR_MAX, dp_reply_stats, &st,
                       "kernel datapath", NULL);
    stats->n_hit_megaflow = st.n_hit;
    stats->n_missed = st.n_missed;
    stats->n_lost = st.n_lost + dk->n_lost;
    stats->n_upcalls = dk->n_upcalls;
    stats->n_bad_megaflows = dk->n_bad_megaflows;
    stats->n_invalid = st.n_invalid;
    stats->n_tx_no_port = st.n_tx_no_port;
    stats->n_userspace = st.n_userspace;
    stats->n_userspace_dropped = st.n_userspace_lost
                                 + dk->n_userspace_dropped;
    stats->n_exec_skipped = st.n_exec_skipped;
    stats->n_flows = st.n_flows;
    stats->n_masks = st.n_masks;
    stats->upcall_rate = st.upcall_rate;
    stats->n_upcalls_ratelimited = st.n_ratelimited;
}

const struct ft_dpif_class ft_dpif_kernel_class = {
    .type = "system",
    .tier = FT_TIER_KERNEL,
    .create = dk_create,
    .destroy = dk_destroy,
    .port_add = dk_port_add,
    .port_del = dk_port_del,
    .port_get = dk_port_get,
    .port_get_by_name = dk_port_get_by_name,
    .port_get_stats = dk_port_get_stats,
    .port_get_upcall_stats = dk_port_get_upcall_stats,
    .port_get_mac = dk_port_get_mac,
    .port_get_identity = dk_port_get_identity,
    .port_foreach = dk_port_foreach,
    .port_count = dk_port_count,
    .run = dk_run,
    .get_fds = dk_get_fds,
    .execute = dk_execute,
    .flow_put = dk_flow_put,
    .flow_modify = dk_flow_modify,
    .flow_del = dk_flow_del,
    .flow_stats = dk_flow_stats,
    .flow_dump = dk_flow_dump,
    .flow_flush = dk_flow_flush,
    .flow_adopt = dk_flow_adopt,
    .flow_count = dk_flow_count,
    .get_stats = dk_get_stats,
};

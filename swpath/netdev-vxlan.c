/*
 * netdev-vxlan.c - the "vxlan" port class and the VXLAN endpoint (UDP
 * socket, AF_PACKET sender, underlay routes) its ports share; the design
 * is in swpath/netdev-vxlan.h.
 *
 * Part of the software datapath.  Owns the sockets it opens and the
 * buffers of one receive and one transmit batch, allocated when the
 * endpoint is created; nothing is allocated per packet.  All state lives
 * in 'struct ft_vxlan_endpoint' and 'struct vxlan_netdev'.
 */
#include "netdev-vxlan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tnl-route.h"
#include "vxlan.h"
#include "vxlan-rxgroup.h"

#define BATCH FT_PACKET_BATCH_MAX
#define RX_BUF_SIZE (FT_PACKET_HEADROOM + 65536)
#define TX_BUF_SIZE (FT_VXLAN_ENCAP_LEN + FT_NETDEV_MAX_FRAME)
#define CTRL_SIZE 128

/* epoll tags: the route fd, or EV_UDP + the index of a receive socket. */
enum { EV_ROUTE = 1, EV_UDP = 2 };

struct ft_vxlan_endpoint {
    uint16_t dst_port;
    struct ft_vxlan_rxgroup rx; /* Receive; rx.fds[0] sends while
                                 * unresolved. */
    int tx_fd;                  /* AF_PACKET, send only. */
    int ep_fd;                  /* epoll of rx.fds and the route fd. */
    int pmtudisc;               /* IP_MTU_DISCOVER now set on rx.fds[0]. */
    struct ft_tnl_route *route;
    uint16_t ip_id;
    struct ft_vxlan_stats stats;

    uint8_t *rx_bufs;           /* BATCH * RX_BUF_SIZE. */
    struct ft_packet rx_pkts[BATCH];
    struct mmsghdr rx_msgs[BATCH];
    struct iovec rx_iov[BATCH];
    struct sockaddr_in rx_addr[BATCH];
    uint8_t rx_ctrl[BATCH][CTRL_SIZE];

    uint8_t *tx_bufs;           /* BATCH * TX_BUF_SIZE. */
    struct mmsghdr tx_msgs[BATCH];
    struct iovec tx_iov[BATCH];
    struct sockaddr_ll tx_addr[BATCH];
    size_t n_tx;
};

/* While the kernel has not confirmed a next hop lately, one packet in
 * this many ms goes through it, so that it checks the neighbour. */
#define NEIGH_REFRESH_MS 1000

/* ---- The endpoint. ---- */

static long long int
ep_time_msec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (long long int) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
ep_epoll_add(int ep_fd, int fd, uint32_t tag)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

    return epoll_ctl(ep_fd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static void
ep_init_rx(struct ft_vxlan_endpoint *ep)
{
    for (size_t i = 0; i < BATCH; i++) {
        struct msghdr *m = &ep->rx_msgs[i].msg_hdr;

        ep->rx_iov[i].iov_base = ep->rx_bufs + i * RX_BUF_SIZE
                                 + FT_PACKET_HEADROOM - FT_VXLAN_HEADER_LEN;
        ep->rx_iov[i].iov_len = RX_BUF_SIZE - FT_PACKET_HEADROOM
                                + FT_VXLAN_HEADER_LEN;
        m->msg_iov = &ep->rx_iov[i];
        m->msg_iovlen = 1;
        m->msg_name = &ep->rx_addr[i];
        m->msg_control = ep->rx_ctrl[i];
    }
}

int
ft_vxlan_endpoint_create(uint16_t dst_port, struct ft_vxlan_endpoint **epp,
                         struct ft_error *err)
{
    struct ft_vxlan_endpoint *ep = calloc(1, sizeof *ep);
    int error;

    *epp = NULL;
    if (!ep) {
        return ft_error_set(err, -ENOMEM, "vxlan: out of memory");
    }
    ep->dst_port = dst_port;
    ep->tx_fd = ep->ep_fd = -1;
    ep->pmtudisc = -1;
    ep->rx_bufs = malloc((size_t) BATCH * RX_BUF_SIZE);
    ep->tx_bufs = malloc((size_t) BATCH * TX_BUF_SIZE);
    if (!ep->rx_bufs || !ep->tx_bufs) {
        error = ft_error_set(err, -ENOMEM, "vxlan: out of memory");
        goto fail;
    }
    error = ft_vxlan_rxgroup_open(&ep->rx, dst_port, NULL, err);
    if (error) {
        goto fail;
    }
    ep->tx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
                       0);
    if (ep->tx_fd < 0) {
        error = -errno;
        ft_error_set(err, error, "vxlan: cannot open a packet socket to "
                     "send on the underlay: %s", strerror(-error));
        goto fail;
    }
    error = ft_tnl_route_create(&ep->route, err);
    if (error) {
        goto fail;
    }
    ep->ep_fd = epoll_create1(EPOLL_CLOEXEC);
    error = ep->ep_fd < 0 ? -errno : 0;
    for (size_t i = 0; !error && i < ep->rx.n_fds; i++) {
        error = ep_epoll_add(ep->ep_fd, ep->rx.fds[i], EV_UDP + i);
    }
    if (!error) {
        error = ep_epoll_add(ep->ep_fd, ft_tnl_route_get_fd(ep->route),
                             EV_ROUTE);
    }
    if (error) {
        ft_error_set(err, error, "vxlan: epoll: %s", strerror(-error));
        goto fail;
    }
    ep_init_rx(ep);
    *epp = ep;
    return 0;

fail:
    ft_vxlan_endpoint_destroy(ep);
    return error;
}

void
ft_vxlan_endpoint_destroy(struct ft_vxlan_endpoint *ep)
{
    if (!ep) {
        return;
    }
    if (ep->ep_fd >= 0) {
        close(ep->ep_fd);
    }
    ft_vxlan_rxgroup_close(&ep->rx);
    if (ep->tx_fd >= 0) {
        close(ep->tx_fd);
    }
    ft_tnl_route_destroy(ep->route);
    free(ep->rx_bufs);
    free(ep->tx_bufs);
    free(ep);
}

uint16_t
ft_vxlan_endpoint_port(const struct ft_vxlan_endpoint *ep)
{
    return ep->dst_port;
}

int
ft_vxlan_endpoint_get_fd(const struct ft_vxlan_endpoint *ep)
{
    return ep->ep_fd;
}

void
ft_vxlan_endpoint_get_stats(const struct ft_vxlan_endpoint *ep,
                            struct ft_vxlan_stats *stats)
{
    *stats = ep->stats;
    stats->route_changes = ft_tnl_route_changes(ep->route);
    stats->rx_sockets = ep->rx.n_fds;
    snprintf(stats->no_flags_reason, sizeof stats->no_flags_reason, "%s",
             ep->rx.no_flags_reason);
}

void
ft_vxlan_endpoint_add_stats(const struct ft_vxlan_endpoint *ep,
                            struct ft_vxlan_stats *sum)
{
    struct ft_vxlan_stats s;

    ft_vxlan_endpoint_get_stats(ep, &s);
    sum->rx_packets += s.rx_packets;
    sum->rx_invalid += s.rx_invalid;
    sum->tx_packets += s.tx_packets;
    sum->tx_via_kernel += s.tx_via_kernel;
    sum->tx_too_big += s.tx_too_big;
    sum->tx_no_route += s.tx_no_route;
    sum->tx_errors += s.tx_errors;
    sum->route_changes += s.route_changes;
    sum->rx_sockets += s.rx_sockets;
    if (!sum->no_flags_reason[0]) {
        memcpy(sum->no_flags_reason, s.no_flags_reason,
               sizeof sum->no_flags_reason);
    }
}

/* Receive. */

/* Reads the outer destination, TOS and TTL of message 'm' into 't'. */
static void
ep_rx_ancillary(struct msghdr *m, struct ft_packet_tunnel *t)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level != IPPROTO_IP) {
            continue;
        }
        if (c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;

            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            t->dst = ntohl(pi.ipi_addr.s_addr);
        } else if (c->cmsg_type == IP_TOS) {
            t->tos = *CMSG_DATA(c);
        } else if (c->cmsg_type == IP_TTL) {
            int ttl;

            memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
            t->ttl = ttl;
        }
    }
}

/* Receives from socket 'sock' of the group into the free slots of
 * 'batch' and the endpoint's buffers from 'slot' on.  Returns the number
 * of slots used, or a negative errno. */
static int
ep_rx_udp(struct ft_vxlan_endpoint *ep, size_t sock, size_t slot,
          struct ft_packet_batch *batch)
{
    uint16_t flags = FT_TNL_F_KEY | ft_vxlan_rxgroup_flags(&ep->rx, sock);
    size_t used = batch->count > slot ? batch->count : slot;
    size_t room = used < BATCH ? BATCH - used : 0;
    int n;

    if (!room) {
        return 0;
    }
    for (size_t i = slot; i < slot + room; i++) {
        ep->rx_msgs[i].msg_hdr.msg_namelen = sizeof ep->rx_addr[i];
        ep->rx_msgs[i].msg_hdr.msg_controllen = CTRL_SIZE;
        ep->rx_msgs[i].msg_hdr.msg_flags = 0;
    }
    n = recvmmsg(ep->rx.fds[sock], &ep->rx_msgs[slot], room, MSG_DONTWAIT,
                 NULL);
    if (n < 0) {
        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
    }
    for (size_t i = slot; i < slot + (size_t) n; i++) {
        struct msghdr *m = &ep->rx_msgs[i].msg_hdr;
        size_t len = ep->rx_msgs[i].msg_len;
        struct ft_packet *pkt = &ep->rx_pkts[i];
        uint32_t vni;

        if (m->msg_flags & MSG_TRUNC
            || ft_vxlan_parse_header(ep->rx_iov[i].iov_base, len, &vni)) {
            ep->stats.rx_invalid++;
            continue;
        }
        ft_packet_init(pkt, ep->rx_bufs + i * RX_BUF_SIZE, RX_BUF_SIZE,
                       FT_PACKET_HEADROOM);
        pkt->size = len - FT_VXLAN_HEADER_LEN;
        pkt->tunnel.valid = true;
        pkt->tunnel.tun_id = vni;
        pkt->tunnel.src = ntohl(ep->rx_addr[i].sin_addr.s_addr);
        pkt->tunnel.flags = flags;
        pkt->tunnel.tp_dst = ep->dst_port;
        ep_rx_ancillary(m, &pkt->tunnel);
        ep->stats.rx_packets++;
        ft_packet_batch_add(batch, pkt);
    }
    return n;
}

int
ft_vxlan_endpoint_rx(struct ft_vxlan_endpoint *ep,
                     struct ft_packet_batch *batch)
{
    struct epoll_event evs[FT_VXLAN_RX_SOCKS + 1];
    int n = epoll_wait(ep->ep_fd, evs, FT_VXLAN_RX_SOCKS + 1, 0);
    size_t slot = 0;
    int retval = 0;

    for (int i = 0; i < n; i++) {
        if (evs[i].data.u32 == EV_ROUTE) {
            ft_tnl_route_run(ep->route);
        }
    }
    for (int i = 0; i < n && retval >= 0; i++) {
        if (evs[i].data.u32 >= EV_UDP) {
            retval = ep_rx_udp(ep, evs[i].data.u32 - EV_UDP, slot, batch);
            slot += retval > 0 ? (size_t) retval : 0;
        }
    }
    return retval < 0 ? retval : (int) batch->count;
}

/* Transmit. */

static void
ep_flush(struct ft_vxlan_endpoint *ep)
{
    size_t done = 0;

    while (done < ep->n_tx) {
        int n = sendmmsg(ep->tx_fd, &ep->tx_msgs[done], ep->n_tx - done,
                         MSG_DONTWAIT);

        if (n <= 0) {
            /* The first unsent frame was refused: count it, go on. */
            ep->stats.tx_errors++;
            ep->stats.tx_packets--;
            done++;
        } else {
            done += n;
        }
    }
    ep->n_tx = 0;
}

/* Sends 'pkt' with its tunnel header 't' through the UDP socket: the
 * kernel routes it, resolves the neighbour or fragments. */
static int
ep_tx_kernel(struct ft_vxlan_endpoint *ep, const struct ft_packet *pkt,
             const struct ft_packet_tunnel *t, uint32_t src)
{
    struct sockaddr_in to = { .sin_family = AF_INET,
                              .sin_port = htons(t->tp_dst ? t->tp_dst
                                                : ep->dst_port),
                              .sin_addr.s_addr = htonl(t->dst) };
    uint8_t vx[FT_VXLAN_HEADER_LEN] = { FT_VXLAN_FLAG_VNI, 0, 0, 0,
                                        t->tun_id >> 16, t->tun_id >> 8,
                                        t->tun_id, 0 };
    struct iovec iov[2] = {
        { vx, sizeof vx },
        { ft_packet_data(pkt), pkt->size },
    };
    union {
        uint8_t buf[CMSG_SPACE(sizeof(struct in_pktinfo))
                    + 2 * CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctrl;
    struct msghdr m = { .msg_name = &to, .msg_namelen = sizeof to,
                        .msg_iov = iov, .msg_iovlen = 2,
                        .msg_control = ctrl.buf,
                        .msg_controllen = sizeof ctrl.buf };
    int pmtu = t->flags & FT_TNL_F_DONT_FRAGMENT ? IP_PMTUDISC_DO
                                                  : IP_PMTUDISC_DONT;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    struct in_pktinfo pi = { .ipi_spec_dst.s_addr = htonl(src) };
    int tos = t->tos, ttl = t->ttl ? t->ttl : FT_TNL_DEFAULT_TTL;

    memset(ctrl.buf, 0, sizeof ctrl.buf);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
    c = CMSG_NXTHDR(&m, c);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_TOS;
    c->cmsg_len = CMSG_LEN(sizeof tos);
    memcpy(CMSG_DATA(c), &tos, sizeof tos);
    c = CMSG_NXTHDR(&m, c);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_TTL;
    c->cmsg_len = CMSG_LEN(sizeof ttl);
    memcpy(CMSG_DATA(c), &ttl, sizeof ttl);

    if (pmtu != ep->pmtudisc
        && !setsockopt(ep->rx.fds[0], IPPROTO_IP, IP_MTU_DISCOVER, &pmtu,
                       sizeof pmtu)) {
        ep->pmtudisc = pmtu;
    }
    if (sendmsg(ep->rx.fds[0], &m, MSG_DONTWAIT) < 0) {
        ep->stats.tx_errors++;
        return -errno;
    }
    ep->stats.tx_via_kernel++;
    ep->stats.tx_packets++;
    return 0;
}

/* Encapsulates 'pkt' (whose 'tunnel' says where to) and queues it.
 * Returns 0 or a negative errno (counted in the endpoint's stats). */
static int
ep_tx(struct ft_vxlan_endpoint *ep, const struct ft_packet *pkt)
{
    const struct ft_packet_tunnel *t = &pkt->tunnel;
    struct ft_tnl_nexthop *nh;
    struct ft_vxlan_outer o;
    size_t ip_len = pkt->size + FT_VXLAN_IP_OVERHEAD;
    uint8_t *buf;
    uint32_t src;

    if (!t->valid || !t->dst) {
        ep->stats.tx_no_route++;
        return -EDESTADDRREQ;
    }
    nh = ft_tnl_route_lookup(ep->route, t->dst);
    if (nh->error) {
        ep->stats.tx_no_route++;
        return nh->error;
    }
    src = t->src ? t->src : nh->src;
    if (ip_len > nh->mtu || ip_len > 65535) {
        if (t->flags & FT_TNL_F_DONT_FRAGMENT || ip_len > 65535) {
            ep->stats.tx_too_big++;
            return -EMSGSIZE;
        }
        return ep_tx_kernel(ep, pkt, t, src);
    }
    if (!nh->resolved || !src) {
        return ep_tx_kernel(ep, pkt, t, src);
    }
    if (nh->unconfirmed) {
        long long int now = ep_time_msec();

        if (now - nh->refreshed >= NEIGH_REFRESH_MS) {
            nh->refreshed = now;
            return ep_tx_kernel(ep, pkt, t, src);
        }
    }

    memset(&o, 0, sizeof o);
    o.eth_src = nh->src_mac;
    o.eth_dst = nh->dst_mac;
    o.ip_src = src;
    o.ip_dst = t->dst;
    o.tos = t->tos;
    o.ttl = t->ttl ? t->ttl : FT_TNL_DEFAULT_TTL;
    o.df = t->flags & FT_TNL_F_DONT_FRAGMENT;
    o.ip_id = ep->ip_id++;
    o.udp_src = ft_vxlan_src_port(pkt);
    o.udp_dst = t->tp_dst ? t->tp_dst : ep->dst_port;
    o.vni = t->tun_id;

    if (ep->n_tx >= BATCH) {
        ep_flush(ep);
    }
    buf = ep->tx_bufs + ep->n_tx * TX_BUF_SIZE;
    ft_vxlan_build_header(&o, pkt->size, buf);
    memcpy(buf + FT_VXLAN_ENCAP_LEN, ft_packet_data(pkt), pkt->size);

    struct sockaddr_ll *ll = &ep->tx_addr[ep->n_tx];
    struct msghdr *m = &ep->tx_msgs[ep->n_tx].msg_hdr;

    memset(ll, 0, sizeof *ll);
    ll->sll_family = AF_PACKET;
    ll->sll_protocol = htons(ETH_P_IP);
    ll->sll_ifindex = nh->ifindex;
    ll->sll_halen = FT_ETH_ALEN;
    memcpy(ll->sll_addr, nh->dst_mac.ea, FT_ETH_ALEN);
    ep->tx_iov[ep->n_tx].iov_base = buf;
    ep->tx_iov[ep->n_tx].iov_len = FT_VXLAN_ENCAP_LEN + pkt->size;
    memset(m, 0, sizeof *m);
    m->msg_name = ll;
    m->msg_namelen = sizeof *ll;
    m->msg_iov = &ep->tx_iov[ep->n_tx];
    m->msg_iovlen = 1;
    ep->n_tx++;
    ep->stats.tx_packets++;
    return 0;
}

/* ---- The port class. ---- */

struct vxlan_netdev {
    struct ft_netdev up;
    struct ft_tnl_config cfg;
    struct ft_vxlan_endpoint *ep;
    struct ft_netdev_stats stats;
};

static struct vxlan_netdev *
vxlan_cast(const struct ft_netdev *netdev)
{
    return (struct vxlan_netdev *) netdev;
}

static int
vxlan_open(const char *name, const struct ft_netdev_option *opts,
           size_t n_opts, struct ft_netdev **netdevp, struct ft_error *err)
{
    struct vxlan_netdev *dev;
    struct ft_tnl_config cfg;
    int error;

    error = ft_tnl_config_parse(name, opts, n_opts, &cfg, err);
    if (error) {
        return error;
    }
    dev = calloc(1, sizeof *dev);
    if (!dev) {
        return ft_error_set(err, -ENOMEM, "port %s: out of memory", name);
    }
    dev->up.class = &ft_netdev_vxlan_class;
    snprintf(dev->up.name, sizeof dev->up.name, "%s", name);
    dev->cfg = cfg;
    *netdevp = &dev->up;
    return 0;
}

static void
vxlan_close(struct ft_netdev *netdev)
{
    free(vxlan_cast(netdev));
}

/* The endpoint receives for every port (see the design above). */
static int
vxlan_rx_burst(struct ft_netdev *netdev, struct ft_packet_batch *batch)
{
    (void) netdev;
    (void) batch;
    return 0;
}

static int
vxlan_tx(struct ft_netdev *netdev, const struct ft_packet *pkt)
{
    struct vxlan_netdev *dev = vxlan_cast(netdev);
    int error = dev->ep ? ep_tx(dev->ep, pkt) : -ENOTCONN;

    if (error) {
        dev->stats.tx_errors++;
    } else {
        dev->stats.tx_packets++;
        dev->stats.tx_bytes += pkt->size;
    }
    return error;
}

static void
vxlan_tx_flush(struct ft_netdev *netdev)
{
    struct vxlan_netdev *dev = vxlan_cast(netdev);

    if (dev->ep && dev->ep->n_tx) {
        ep_flush(dev->ep);
    }
}

static int
vxlan_get_stats(struct ft_netdev *netdev, struct ft_netdev_stats *stats)
{
    *stats = vxlan_cast(netdev)->stats;
    return 0;
}

/* A tunnel port is no kernel device: what an offload provider needs is
 * its outer UDP port. */
static void
vxlan_get_identity(const struct ft_netdev *netdev, struct ft_port_identity *id)
{
    id->tnl_dst_port = vxlan_cast(netdev)->cfg.dst_port;
}

const struct ft_netdev_class ft_netdev_vxlan_class = {
    .type = "vxlan",
    .open = vxlan_open,
    .close = vxlan_close,
    .rx_burst = vxlan_rx_burst,
    .tx = vxlan_tx,
    .tx_flush = vxlan_tx_flush,
    .get_stats = vxlan_get_stats,
    .get_identity = vxlan_get_identity,
};

bool
ft_netdev_is_vxlan(const struct ft_netdev *netdev)
{
    return netdev->class == &ft_netdev_vxlan_class;
}

const struct ft_tnl_config *
ft_netdev_vxlan_config(const struct ft_netdev *netdev)
{
    return &vxlan_cast(netdev)->cfg;
}

void
ft_netdev_vxlan_attach(struct ft_netdev *netdev, struct ft_vxlan_endpoint *ep)
{
    vxlan_cast(netdev)->ep = ep;
}

void
ft_netdev_vxlan_count_rx(struct ft_netdev *netdev, uint32_t bytes)
{
    struct vxlan_netdev *dev = vxlan_cast(netdev);

    dev->stats.rx_packets++;
    dev->stats.rx_bytes += bytes;
}

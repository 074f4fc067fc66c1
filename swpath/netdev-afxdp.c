/*
 * netdev-afxdp.c - the "afxdp" port class (Open vSwitch's type name): an
 * existing Linux network device read and written through AF_XDP sockets,
 * one per receive queue, with FlowTier's XDP program (afxdp-xdp.h)
 * steering the device's frames into them.
 *
 * Part of the software datapath (swpath/).  It touches the device (XDP
 * program, AF_XDP sockets, up state) and, when XDP cannot be had, opens
 * the device as a "system" port (netdev-afpacket.c) instead.
 *
 * Queues and memory
 * =================
 *
 * Each receive queue 0 .. n_rxq-1 (options:n_rxq, default 1; at most the
 * device's number of receive queues) has its own socket and UMEM of
 * FT_AFXDP_N_FRAMES frames of FT_AFXDP_FRAME_SIZE bytes (32 MiB, of which
 * only the pages frames touch are committed), its own
 * fill, rx, tx and completion rings, and a pool (afxdp-pool.h) that
 * knows where each frame is.  Half of the frames are kept in the fill
 * ring for receiving, the rest serve transmissions.  Frames the kernel
 * would put on a queue beyond n_rxq go to the kernel's stack (the
 * program passes them): set n_rxq to the device's queue count.  The
 * sockets are bound in copy mode (XDP_COPY): the kernel copies each frame
 * between its buffers and the UMEM, which works on every driver; zero
 * copy is not used.
 *
 * Receive: rx_burst() first gives the kernel back the frames of the
 * previous burst (the datapath is done with them: see swpath/netdev.h),
 * then takes up to a batch of descriptors from the queues in turn and
 * returns packets pointing into the UMEM, with the 256 bytes of headroom
 * the kernel leaves in front of each frame (XDP_PACKET_HEADROOM).  No
 * system call, no copy.
 *
 * Transmit: tx() copies the frame into a free frame of queue 0's UMEM;
 * tx_flush() puts them into queue 0's tx ring in one submit and kicks the
 * kernel with one sendto() (copy mode sends only when asked), then takes
 * back the frames the kernel completed.  A frame that finds no free UMEM
 * frame or no room in the tx ring is dropped and counted ('tx_dropped').
 *
 * AF_XDP carries no checksum or segmentation metadata: frames are
 * received as they are on the wire (a partial checksum a namespace's veth
 * left unfinished stays unfinished: turn TX checksum offload off on such
 * peers, 'ethtool -K eth0 tx off'), and tx_offloads is false, so the
 * datapath segments and completes checksums in software before tx().
 *
 * When XDP cannot be had
 * ======================
 *
 * open() refuses (the port stays closed, with the reason in the
 * Interface's error column) for a bad option, a missing device, and a
 * device another running flowtierd (or another port of this one) already
 * switches through AF_XDP: falling back would switch its frames twice.
 *
 * It falls back to an AF_PACKET "system" port on the same device, and
 * says why in the port's identity (flowtier/port.h: 'degraded', shown in
 * the Interface's error column while the port works, and 'status':
 * "xdp-mode=none"), when:
 *
 *   - another tool's XDP program is on the device (it is never touched;
 *     the reason names its id, name and mode);
 *   - the kernel has no AF_XDP, or refuses the program or the sockets
 *     (its reason given);
 *   - the device refuses the program in the mode asked (xdp-mode=native
 *     on a driver without native XDP, a veth whose peer MTU is too large:
 *     the kernel's own message).  With xdp-mode=best-effort a device that
 *     refuses native mode gets generic mode, and 'status' says why native
 *     was refused.
 *
 * Clean up
 * ========
 *
 * close() detaches the program (only if it is still ours) and closes the
 * sockets.  A daemon killed with -9 leaves its program attached; the next
 * open() of the device recognises it by its name (afxdp-xdp.h) and
 * removes it before attaching its own.
 *
 * Thread-safety: a netdev belongs to one thread (see swpath/netdev.h).
 */
#include "netdev.h"

#include <errno.h>
#include <dirent.h>
#include <linux/if_xdp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <xdp/xsk.h>

#include "afxdp-pool.h"
#include "afxdp-xdp.h"

#define FT_AFXDP_FRAME_SIZE 4096
#define FT_AFXDP_N_FRAMES 8192
#define FT_AFXDP_RX_RING 4096       /* Fill and rx rings: as many frames
                                     * as an AF_PACKET port's ring holds,
                                     * for when the daemon is not
                                     * scheduled for a while. */
#define FT_AFXDP_TX_RING 2048       /* Tx and completion rings. */
#define FT_AFXDP_MAX_RXQ 16
#define FT_AFXDP_KICK_TRIES 4       /* sendto()s per flush at most. */

#define BATCH FT_PACKET_BATCH_MAX

struct afxdp_queue {
    struct xsk_umem *umem;
    struct xsk_socket *xsk;
    struct xsk_ring_prod fill, tx;
    struct xsk_ring_cons comp, rx;
    struct ft_afxdp_pool pool;
    uint8_t *area;                  /* The UMEM. */
    int fd;
};

struct afxdp_netdev {
    struct ft_netdev up;
    struct ft_netdev *fallback;     /* The AF_PACKET port used instead. */
    char status[FT_PORT_STATUS_MAX];
    char degraded[FT_PORT_STATUS_MAX];

    struct ft_afxdp_xdp xdp;
    struct afxdp_queue *queues;
    uint32_t n_rxq;
    uint32_t next_rxq;              /* Where the next burst starts. */
    int epfd;                       /* Polls every queue, if n_rxq > 1. */

    struct ft_packet pkts[BATCH];
    struct ft_afxdp_rx descs[BATCH];
    uint64_t tx_frames[BATCH];      /* Taken, filled, not yet in the ring. */
    uint32_t tx_lens[BATCH];
    uint32_t n_tx;

    struct ft_netdev_stats stats;
    uint64_t bad_descs;             /* Descriptors the kernel should not
                                     * have handed back (rx_errors). */
};

static struct afxdp_netdev *
afxdp_cast(const struct ft_netdev *netdev)
{
    return (struct afxdp_netdev *) netdev;
}

/* Number of receive queues of device 'name' (sysfs), at least 1. */
static uint32_t
afxdp_device_rxqs(const char *name)
{
    char path[64];
    struct dirent *de;
    uint32_t n = 0;
    DIR *d;

    snprintf(path, sizeof path, "/sys/class/net/%s/queues", name);
    d = opendir(path);
    if (!d) {
        return 1;
    }
    while ((de = readdir(d))) {
        n += !strncmp(de->d_name, "rx-", 3);
    }
    closedir(d);
    return n ? n : 1;
}

/* Parses the options into '*mode' and '*n_rxq'. */
static int
afxdp_parse_options(const char *name, const struct ft_netdev_option *opts,
                    size_t n_opts, enum ft_afxdp_mode *mode,
                    uint32_t *n_rxq, struct ft_error *err)
{
    static const char *const known[] = { "xdp-mode", "n_rxq", NULL };
    const char *s;
    int error;

    error = ft_netdev_options_check(name, "afxdp", opts, n_opts, known, err);
    if (error) {
        return error;
    }
    *mode = FT_AFXDP_MODE_BEST_EFFORT;
    s = ft_netdev_option_find(opts, n_opts, "xdp-mode");
    if (s && ft_afxdp_mode_parse(s, mode)) {
        return ft_error_set(err, -EINVAL, "port %s: xdp-mode=%s is not one "
                            "of best-effort, native, generic", name, s);
    }
    *n_rxq = 1;
    s = ft_netdev_option_find(opts, n_opts, "n_rxq");
    if (s) {
        char *end;
        long n = strtol(s, &end, 10);

        if (*end || end == s || n < 1 || n > FT_AFXDP_MAX_RXQ) {
            return ft_error_set(err, -EINVAL, "port %s: n_rxq=%s is not a "
                                "number of receive queues from 1 to %d",
                                name, s, FT_AFXDP_MAX_RXQ);
        }
        *n_rxq = (uint32_t) n;
    }
    return 0;
}

static void
afxdp_queue_close(struct afxdp_queue *q)
{
    if (q->xsk) {
        xsk_socket__delete(q->xsk);
    }
    if (q->umem) {
        xsk_umem__delete(q->umem);
    }
    if (q->area) {
        munmap(q->area, (size_t) FT_AFXDP_N_FRAMES * FT_AFXDP_FRAME_SIZE);
    }
    ft_afxdp_pool_uninit(&q->pool);
    memset(q, 0, sizeof *q);
    q->fd = -1;
}

/* How long a queue's socket waits for the queue to come free.  Closing
 * an AF_XDP socket releases its buffer pool from a kernel work queue, not
 * in close() itself: until that work has run the queue is still taken and
 * a new socket on it fails with EBUSY.  A port reopened at once (its
 * options changed, or a daemon restarted) meets that window, longer on a
 * busy machine. */
#define AFXDP_QUEUE_WAIT_MS 1000
#define AFXDP_QUEUE_RETRY_MS 10

/* xsk_socket__create() for queue 'qid' of 'name', waiting up to
 * AFXDP_QUEUE_WAIT_MS while the queue is still held by a socket being
 * released.  Returns 0 or libxdp's errno. */
static int
afxdp_socket_create(struct afxdp_queue *q, const char *name, uint32_t qid,
                    const struct xsk_socket_config *scfg)
{
    const struct timespec pause = {
        .tv_nsec = AFXDP_QUEUE_RETRY_MS * 1000000L,
    };
    int error;

    for (int waited = 0; ; waited += AFXDP_QUEUE_RETRY_MS) {
        error = xsk_socket__create(&q->xsk, name, qid, q->umem, &q->rx,
                                   &q->tx, scfg);
        if (abs(error) != EBUSY || waited >= AFXDP_QUEUE_WAIT_MS) {
            return error;
        }
        nanosleep(&pause, NULL);
    }
}

/* Opens queue 'qid': UMEM, socket bound in copy mode, fill ring primed,
 * the socket entered in the XSKMAP. */
static int
afxdp_queue_open(struct afxdp_netdev *dev, uint32_t qid, struct ft_error *err)
{
    struct afxdp_queue *q = &dev->queues[qid];
    size_t size = (size_t) FT_AFXDP_N_FRAMES * FT_AFXDP_FRAME_SIZE;
    struct xsk_umem_config ucfg = {
        .fill_size = FT_AFXDP_RX_RING, .comp_size = FT_AFXDP_TX_RING,
        .frame_size = FT_AFXDP_FRAME_SIZE, .frame_headroom = 0,
    };
    struct xsk_socket_config scfg = {
        .rx_size = FT_AFXDP_RX_RING, .tx_size = FT_AFXDP_TX_RING,
        .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
        .bind_flags = XDP_COPY,
    };
    const char *what;
    int error;

    q->area = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q->area == MAP_FAILED) {
        q->area = NULL;
        error = -errno;
        what = "memory for the UMEM";
        goto error;
    }
    error = ft_afxdp_pool_init(&q->pool, FT_AFXDP_N_FRAMES,
                               FT_AFXDP_FRAME_SIZE);
    what = "the frame pool";
    if (!error) {
        error = xsk_umem__create(&q->umem, q->area, size, &q->fill, &q->comp,
                                 &ucfg);
        what = "the UMEM";
    }
    if (!error) {
        error = afxdp_socket_create(q, dev->up.name, qid, &scfg);
        what = "the AF_XDP socket";
    }
    if (error) {
        goto error;
    }
    q->fd = xsk_socket__fd(q->xsk);
    error = ft_afxdp_xdp_set_socket(&dev->xdp, qid, q->fd);
    what = "the XSKMAP entry";
    if (error) {
        goto error;
    }
    ft_afxdp_pool_fill(&q->pool, &q->fill, FT_AFXDP_N_FRAMES / 2);
    return 0;

error:
    return ft_error_set(err, error < 0 ? error : -error,
                        "afxdp: %s queue %u: cannot create %s: %s%s",
                        dev->up.name, qid, what, strerror(abs(error)),
                        abs(error) == EAFNOSUPPORT
                        ? " (no AF_XDP in this kernel)" : "");
}

/* An epoll descriptor that polls readable when any queue has frames. */
static int
afxdp_setup_epoll(struct afxdp_netdev *dev, struct ft_error *err)
{
    dev->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (dev->epfd < 0) {
        return ft_error_set(err, -errno, "port %s: epoll: %s", dev->up.name,
                            strerror(errno));
    }
    for (uint32_t i = 0; i < dev->n_rxq; i++) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

        if (epoll_ctl(dev->epfd, EPOLL_CTL_ADD, dev->queues[i].fd, &ev)) {
            return ft_error_set(err, -errno, "port %s: epoll: %s",
                                dev->up.name, strerror(errno));
        }
    }
    return 0;
}

/* Closes everything of XDP: sockets first, then the program. */
static void
afxdp_close_xdp(struct afxdp_netdev *dev)
{
    for (uint32_t i = 0; dev->queues && i < dev->n_rxq; i++) {
        afxdp_queue_close(&dev->queues[i]);
    }
    free(dev->queues);
    dev->queues = NULL;
    if (dev->epfd >= 0) {
        close(dev->epfd);
        dev->epfd = -1;
    }
    ft_afxdp_xdp_destroy(&dev->xdp);
}

static void
afxdp_close(struct ft_netdev *netdev)
{
    struct afxdp_netdev *dev = afxdp_cast(netdev);

    afxdp_close_xdp(dev);
    ft_netdev_close(dev->fallback);
    free(dev);
}

/* Loads, sets up the queues and attaches.  Returns 0, or a negative errno
 * with the reason ('err') after undoing what it did. */
static int
afxdp_setup_xdp(struct afxdp_netdev *dev, enum ft_afxdp_mode mode,
                struct ft_error *err)
{
    int error;

    error = ft_afxdp_xdp_load(&dev->xdp, dev->up.name, dev->up.ifindex,
                              dev->n_rxq, err);
    if (error) {
        return error;
    }
    dev->queues = calloc(dev->n_rxq, sizeof *dev->queues);
    if (!dev->queues) {
        error = ft_error_set(err, -ENOMEM, "port %s: out of memory",
                             dev->up.name);
    }
    for (uint32_t i = 0; !error && i < dev->n_rxq; i++) {
        dev->queues[i].fd = -1;
        error = afxdp_queue_open(dev, i, err);
    }
    if (!error && dev->n_rxq > 1) {
        error = afxdp_setup_epoll(dev, err);
    }
    if (!error) {
        error = ft_afxdp_xdp_attach(&dev->xdp, mode, err);
    }
    if (error) {
        afxdp_close_xdp(dev);
        return error;
    }
    snprintf(dev->status, sizeof dev->status, "xdp-mode=%s, n_rxq=%u%s%s",
             ft_afxdp_mode_name(dev->xdp.mode), dev->n_rxq,
             dev->xdp.native_refused[0] ? ", native refused: " : "",
             dev->xdp.native_refused);
    return 0;
}

/* Opens the device as an AF_PACKET port instead, for 'why'. */
static int
afxdp_fall_back(struct afxdp_netdev *dev, const struct ft_error *why,
                struct ft_error *err)
{
    int error = ft_netdev_open(dev->up.name, "system", NULL, 0,
                               &dev->fallback, err);

    if (error) {
        return error;
    }
    snprintf(dev->degraded, sizeof dev->degraded,
             "%s; receiving through AF_PACKET instead", why->reason);
    snprintf(dev->status, sizeof dev->status, "xdp-mode=none");
    dev->up.tx_offloads = dev->fallback->tx_offloads;
    return 0;
}

static int
afxdp_open(const char *name, const struct ft_netdev_option *opts,
           size_t n_opts, struct ft_netdev **netdevp, struct ft_error *err)
{
    struct afxdp_netdev *dev;
    enum ft_afxdp_mode mode;
    struct ft_error why;
    uint32_t n_rxq, dev_rxqs, removed;
    int error, ifindex;

    error = afxdp_parse_options(name, opts, n_opts, &mode, &n_rxq, err);
    if (error) {
        return error;
    }
    ifindex = ft_netdev_linux_ifindex(name);
    if (ifindex < 0) {
        return ft_error_set(err, -ENODEV, "port %s: no such network device",
                            name);
    }
    dev_rxqs = afxdp_device_rxqs(name);
    if (n_rxq > dev_rxqs) {
        return ft_error_set(err, -EINVAL, "port %s: n_rxq=%u but %s has %u "
                            "receive queue%s", name, n_rxq, name, dev_rxqs,
                            dev_rxqs == 1 ? "" : "s");
    }
    error = ft_afxdp_xdp_check_device(name, ifindex, &removed, &why);
    if (error == -EBUSY) {
        if (err) {
            *err = why;
        }
        return error;
    }

    dev = calloc(1, sizeof *dev);
    if (!dev) {
        return ft_error_set(err, -ENOMEM, "port %s: out of memory", name);
    }
    dev->up.class = &ft_netdev_afxdp_class;
    snprintf(dev->up.name, sizeof dev->up.name, "%s", name);
    dev->up.ifindex = ifindex;
    dev->n_rxq = n_rxq;
    dev->epfd = -1;
    dev->xdp.prog_fd = dev->xdp.map_fd = -1;

    if (!error) {
        error = ft_netdev_linux_set_up(name);
        if (error) {
            ft_error_set(err, error, "port %s: cannot bring the device up: "
                         "%s", name, strerror(-error));
            afxdp_close(&dev->up);
            return error;
        }
        error = afxdp_setup_xdp(dev, mode, &why);
    }
    if (error) {
        error = afxdp_fall_back(dev, &why, err);
        if (error) {
            afxdp_close(&dev->up);
            return error;
        }
    }
    if (removed && !dev->fallback) {
        size_t len = strlen(dev->status);

        snprintf(dev->status + len, sizeof dev->status - len,
                 ", removed-leftover-prog=%u", removed);
    }
    *netdevp = &dev->up;
    return 0;
}

static int
afxdp_rx_burst(struct ft_netdev *netdev, struct ft_packet_batch *batch)
{
    struct afxdp_netdev *dev = afxdp_cast(netdev);
    int n = 0;

    if (dev->fallback) {
        return ft_netdev_rx_burst(dev->fallback, batch);
    }
    for (uint32_t i = 0; i < dev->n_rxq; i++) {
        struct afxdp_queue *q = &dev->queues[i];

        /* The datapath is done with the previous burst's frames. */
        ft_afxdp_pool_release_held(&q->pool, &q->fill);
        ft_afxdp_pool_fill(&q->pool, &q->fill, FT_AFXDP_N_FRAMES / 2);
    }
    for (uint32_t k = 0; k < dev->n_rxq && batch->count < BATCH; k++) {
        uint32_t qi = (dev->next_rxq + k) % dev->n_rxq;
        struct afxdp_queue *q = &dev->queues[qi];
        uint32_t got = ft_afxdp_pool_rx(&q->pool, &q->rx, dev->descs,
                                        BATCH - batch->count,
                                        &dev->bad_descs);

        for (uint32_t j = 0; j < got; j++) {
            struct ft_packet *pkt = &dev->pkts[batch->count];
            const struct ft_afxdp_rx *d = &dev->descs[j];

            ft_packet_init(pkt, q->area + d->frame, FT_AFXDP_FRAME_SIZE,
                           d->data_ofs);
            pkt->size = d->len;
            dev->stats.rx_packets++;
            dev->stats.rx_bytes += d->len;
            batch->packets[batch->count++] = pkt;
            n++;
        }
    }
    dev->next_rxq = (dev->next_rxq + 1) % dev->n_rxq;
    return n;
}

/* Kicks the kernel to send what the tx ring holds (copy mode sends only
 * from sendto()), a bounded number of times. */
static void
afxdp_kick(struct afxdp_queue *q)
{
    for (int i = 0; i < FT_AFXDP_KICK_TRIES; i++) {
        if (sendto(q->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0
            || (errno != EAGAIN && errno != EBUSY && errno != EINTR)) {
            return;
        }
    }
}

static void
afxdp_tx_flush(struct ft_netdev *netdev)
{
    struct afxdp_netdev *dev = afxdp_cast(netdev);
    struct afxdp_queue *q;
    uint32_t sent;

    if (dev->fallback) {
        ft_netdev_tx_flush(dev->fallback);
        return;
    }
    q = &dev->queues[0];
    if (!dev->n_tx) {
        return;
    }
    sent = ft_afxdp_pool_tx(&q->pool, &q->tx, dev->tx_frames, dev->tx_lens,
                            0, dev->n_tx);
    for (uint32_t i = 0; i < sent; i++) {
        dev->stats.tx_packets++;
        dev->stats.tx_bytes += dev->tx_lens[i];
    }
    for (uint32_t i = sent; i < dev->n_tx; i++) {
        ft_afxdp_pool_put(&q->pool, dev->tx_frames[i]);
        dev->stats.tx_dropped++;
    }
    dev->n_tx = 0;
    afxdp_kick(q);
    ft_afxdp_pool_complete(&q->pool, &q->comp, &dev->bad_descs);
}

static int
afxdp_tx(struct ft_netdev *netdev, const struct ft_packet *pkt)
{
    struct afxdp_netdev *dev = afxdp_cast(netdev);
    struct afxdp_queue *q;
    uint64_t frame;

    if (dev->fallback) {
        return dev->fallback->class->tx(dev->fallback, pkt);
    }
    q = &dev->queues[0];
    if (!pkt->size || pkt->size > FT_AFXDP_FRAME_SIZE) {
        dev->stats.tx_errors++;
        return -EMSGSIZE;
    }
    if (dev->n_tx >= BATCH) {
        afxdp_tx_flush(netdev);
    }
    if (!ft_afxdp_pool_get(&q->pool, &frame)) {
        ft_afxdp_pool_complete(&q->pool, &q->comp, &dev->bad_descs);
        if (!ft_afxdp_pool_get(&q->pool, &frame)) {
            dev->stats.tx_dropped++;
            return -ENOBUFS;
        }
    }
    memcpy(q->area + frame, ft_packet_data(pkt), pkt->size);
    dev->tx_frames[dev->n_tx] = frame;
    dev->tx_lens[dev->n_tx] = pkt->size;
    dev->n_tx++;
    return 0;
}

static int
afxdp_get_fd(const struct ft_netdev *netdev)
{
    const struct afxdp_netdev *dev = afxdp_cast(netdev);

    if (dev->fallback) {
        return ft_netdev_get_fd(dev->fallback);
    }
    return dev->n_rxq > 1 ? dev->epfd : dev->queues[0].fd;
}

static int
afxdp_get_stats(struct ft_netdev *netdev, struct ft_netdev_stats *stats)
{
    struct afxdp_netdev *dev = afxdp_cast(netdev);

    if (dev->fallback) {
        return ft_netdev_get_stats(dev->fallback, stats);
    }
    *stats = dev->stats;
    stats->rx_errors += dev->bad_descs;
    for (uint32_t i = 0; i < dev->n_rxq; i++) {
        struct xdp_statistics xs;
        socklen_t len = sizeof xs;

        /* The kernel's counters are totals since the socket opened. */
        if (!getsockopt(dev->queues[i].fd, SOL_XDP, XDP_STATISTICS, &xs,
                        &len)) {
            stats->rx_dropped += xs.rx_dropped + xs.rx_ring_full;
            stats->rx_errors += xs.rx_invalid_descs;
            stats->tx_errors += xs.tx_invalid_descs;
        }
    }
    return 0;
}

static int
afxdp_get_mac(const struct ft_netdev *netdev, struct ft_eth_addr *mac)
{
    return ft_netdev_linux_get_mac(netdev->name, mac);
}

static void
afxdp_get_identity(const struct ft_netdev *netdev,
                   struct ft_port_identity *id)
{
    const struct afxdp_netdev *dev = afxdp_cast(netdev);

    snprintf(id->status, sizeof id->status, "%s", dev->status);
    snprintf(id->degraded, sizeof id->degraded, "%s", dev->degraded);
}

const struct ft_netdev_class ft_netdev_afxdp_class = {
    .type = "afxdp",
    .open = afxdp_open,
    .close = afxdp_close,
    .rx_burst = afxdp_rx_burst,
    .tx = afxdp_tx,
    .tx_flush = afxdp_tx_flush,
    .get_fd = afxdp_get_fd,
    .get_stats = afxdp_get_stats,
    .get_mac = afxdp_get_mac,
    .get_identity = afxdp_get_identity,
};

/*
 * netdev-afpacket.c - the "system" port class: an existing Linux network
 * device (a veth end, a NIC, a tap someone else created) read through an
 * AF_PACKET socket with a memory-mapped TPACKET_V2 receive ring and
 * written with sendmmsg() on a second AF_PACKET socket.
 *
 * Receive
 * =======
 *
 * The ring is FT_AFPACKET_N_FRAMES slots of FT_AFPACKET_FRAME_SIZE bytes,
 * or as many as option rx_ring_frames says.  A port whose first packets
 * come in bursts, such as a SmartNIC representor whose misses reach the
 * daemon while it installs the rules before them, loses the frames past
 * the ring's end while the daemon is busy: without the option its ring
 * grows to FT_AFPACKET_GROW_FRAMES as soon as it is a quarter full, or
 * after a loss (afpacket_grow_ring()).  The kernel cannot resize a ring in
 * place without detaching the socket for the time it takes to allocate
 * the new one (tens of milliseconds under load, every frame lost), so
 * growing opens a second socket with the large ring, switches the device
 * over to it, and reads the old ring to its end before the new one:
 * nothing is lost or delivered twice.  Such a port is polled through an
 * epoll set of its own, so that the descriptor the event loop watches
 * stays the same.
 * The kernel hands each slot over as soon as it has written its frame
 * (TP_STATUS_USER) and wakes the poller then, so a lone frame waits for
 * nothing.  (A TPACKET_V3 ring hands over whole blocks, when full or when
 * a timer of at least one jiffy expires: that held a ping's round trip at
 * 1-4 ms.)  rx_burst() takes whatever slots are ready, up to a batch, and
 * returns pointers into them, so receiving costs no system call and no
 * copy; a slot goes back to the kernel at the next rx_burst().
 * PACKET_RESERVE leaves FT_PACKET_HEADROOM bytes in front of every frame,
 * used to put back the VLAN tag the kernel moved out of the frame
 * (TP_STATUS_VLAN_VALID) and, later, by the executor to push tags.
 *
 * A frame larger than a slot (a TSO/GRO super-frame, a jumbo frame) is
 * put in the ring truncated and marked TP_STATUS_COPY, because the socket
 * sets PACKET_COPY_THRESH: the kernel then also queues it whole on the
 * socket's receive queue, in the same order, and rx_burst() reads it from
 * there with recvmsg() into one of FT_PACKET_BATCH_MAX buffers of the
 * port (PACKET_AUXDATA gives its VLAN tag and checksum state).  If the
 * receive queue is full, the truncated frame is dropped and counted in
 * 'rx_dropped'.
 *
 * Both sockets set PACKET_VNET_HDR (unless the port has option
 * vnet_hdr=false): the kernel writes a virtio-net header just in front of
 * each frame in the ring, and in front of what recvmsg() reads, so partial
 * checksums and TSO/GRO super-frames of up to 64 KiB arrive
 * whole and are described in 'pkt->offload', once checked against the
 * frame's own headers (the checksum must start at its L4 header; one that
 * starts elsewhere is completed here, a super-frame whose headers do not
 * match its header is dropped and counted in 'rx_errors').  Without the
 * header (a kernel that refuses it, or the option), frames the kernel left
 * with a partial checksum (TP_STATUS_CSUMNOTREADY) get it completed here
 * (see swpath/netdev.h).
 *
 * Generic receive offload
 * =======================
 *
 * A NIC's driver coalesces the segments of a TCP stream (GRO) before
 * the socket sees them; a veth does not unless GRO is turned on in it
 * (then it receives through NAPI, as a NIC does).  Without, a stream
 * whose sender has TSO off crosses the daemon one MTU-sized frame at a
 * time, two system calls each: on veths that held one TCP stream at
 * about 0.4x the Linux bridge.  So a port on a veth turns GRO on in it,
 * when the port has virtio-net headers both ways (a coalesced frame is a
 * super-frame like a TSO one: it goes out whole, or is cut again where
 * the output cannot take it).  Option gro=true does the same for any
 * device, gro=false turns GRO off (every frame is then switched as it
 * was sent, and counted so); either way the device's setting goes back
 * when the last port on it closes (afpacket_gro_hold).  An AF_XDP port
 * that falls back to this class gets the default.  OpenFlow counters count coalesced frames, as
 * they count a guest's TSO frames.
 *
 * The socket sets PACKET_IGNORE_OUTGOING, so it sees neither its own
 * transmissions nor anything else sent out of the device (the datapath
 * switches what the device receives), and puts the device in promiscuous
 * mode (PACKET_MR_PROMISC, undone by the kernel when the socket closes).
 *
 * For the kernel TC tier the receive socket is bound to another device
 * instead, a slow-path device TC redirects the port's misses to
 * (set_rx_device): a packet socket on the port itself would get its copy
 * of every packet before TC ingress runs, so the packets a TC rule
 * forwards would be switched a second time.  The port stays promiscuous
 * and transmits as before.
 *
 * Transmit
 * ========
 *
 * Frames go out through a socket of their own, bound to the device with
 * protocol 0 so that it receives nothing, and never polled.  Sending on the
 * receive socket would make the kernel wake the event loop's epoll waiter
 * for write space each time it frees a sent frame (sock_def_write_space),
 * which on veth cost 5-8% of the daemon's CPU and 13% of its 64-byte
 * forwarding rate; the transmit socket has no waiter to wake.  The receive
 * socket's PACKET_IGNORE_OUTGOING covers everything sent out of the device,
 * so it does not see these frames either.
 *
 * tx() copies the frame into one of FT_PACKET_BATCH_MAX preallocated
 * slots; tx_flush() sends the slots with one sendmmsg() (more only when a
 * frame is refused).  A frame handed over for the last time ('may_steal',
 * swpath/packet.h: its last action is this output) is not copied: its
 * message points at the frame where it was received (the receive ring's
 * slot, or the buffer recvmsg() filled), which the datapath leaves alone
 * until it has flushed.  That saves a copy of up to 64 KiB per
 * super-frame; the kernel still copies the frame into the skb it sends.
 * Slot memory is reserved for 64 KiB frames but only the pages that
 * frames touch are ever committed.  With PACKET_VNET_HDR
 * each message is two pieces, the virtio-net header built from
 * 'pkt->offload' (zero for an ordinary frame) and the frame: the kernel
 * segments a super-frame, or completes a checksum, only if the device
 * cannot take it as it is (dev_queue_xmit()'s validate_xmit_skb()).
 */
#include "netdev.h"

#include <errno.h>
#include <endian.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

/* Receive ring geometry: 4,096 slots of 2 KiB (8 MiB per port) in blocks
 * of 64 KiB.  A slot holds the kernel's header, the headroom, the
 * virtio-net header and a frame of up to about 1,840 bytes (a 1,500-byte
 * MTU with room to spare); larger frames come through recvmsg(). */
#define FT_AFPACKET_FRAME_SIZE 2048
#define FT_AFPACKET_N_FRAMES 4096
/* Without option rx_ring_frames a ring the daemon falls a quarter of it
 * behind on grows to this (32 MiB): a port whose new flows' first packets come in bursts (a
 * SmartNIC representor) keeps them while the daemon sets up the flows
 * before them, and only such a port pays for the larger ring. */
#define FT_AFPACKET_GROW_FRAMES 16384
/* Bounds of option rx_ring_frames (2 MiB to 128 MiB a port); it must be
 * a multiple of the slots in a block. */
#define FT_AFPACKET_MIN_FRAMES 1024
#define FT_AFPACKET_MAX_FRAMES 65536
#define FT_AFPACKET_BLOCK_FRAMES (FT_AFPACKET_BLOCK_SIZE / FT_AFPACKET_FRAME_SIZE)
#define FT_AFPACKET_BLOCK_SIZE (64 * 1024)

/* Receive queue for frames larger than a slot: a few dozen super-frames. */
#define FT_AFPACKET_RCVBUF (4 * 1024 * 1024)

/* Receive buffer for a frame read with recvmsg(). */
#define FT_AFPACKET_RX_SLOT (FT_PACKET_HEADROOM + FT_NETDEV_MAX_FRAME)

/* Transmit slot: the largest frame plus two pushed VLAN tags. */
#define FT_AFPACKET_TX_SLOT (FT_NETDEV_MAX_FRAME + 2 * FT_VLAN_HEADER_LEN)

#define BATCH FT_PACKET_BATCH_MAX

struct afpacket_netdev {
    struct ft_netdev up;
    int fd;                         /* Receive socket. */
    int epfd;                       /* Polled instead of 'fd' by a port
                                     * whose ring may grow (-1: none): an
                                     * epoll set holding the socket, which
                                     * growing replaces. */
    int rx_ifindex;                 /* Device the socket is bound to
                                     * (atomic: set_rx_device()). */
    int tx_fd;                      /* Transmit socket, never polled. */
    bool rx_vnet;                   /* Frames in the ring have a
                                     * virtio-net header in front. */

    /* Receive ring. */
    uint8_t *ring;
    size_t ring_size;
    unsigned int n_frames;          /* Slots in it. */
    unsigned int grow_max;          /* Slots it may grow to; it does not
                                     * grow if not more than 'n_frames'. */
    bool grow_wanted;               /* The kernel dropped frames for want
                                     * of a slot: grow.  Set by
                                     * get_stats() too (atomic). */
    unsigned int head;              /* Next slot to read. */

    /* While a grown ring's old one is drained (afpacket_grow_ring()):
     * the new socket and its ring, taken over once the old ring is empty.
     * 'next_fd' is -1 otherwise. */
    int next_fd;
    uint8_t *next_ring;
    size_t next_size;

    unsigned int release[BATCH];    /* Slots to give back. */
    unsigned int n_release;
    struct ft_packet pkts[BATCH];
    uint8_t *rx_buf;                /* BATCH slots for recvmsg(). */

    /* Transmit queue. */
    uint8_t *tx_buf;                /* BATCH slots. */
    struct iovec iov[BATCH][2];     /* Header (if tx_offloads), frame. */
    struct virtio_net_hdr vnet[BATCH];
    struct mmsghdr msgs[BATCH];
    size_t n_tx;

    struct ft_netdev_stats stats;   /* rx_dropped from the kernel is added
                                     * in get_stats(). */
    uint64_t kernel_drops;

    bool gro_held;                  /* Counted in the device's
                                     * afpacket_gro_hold. */
};

/* The devices whose GRO ports set, each with how many ports hold it: a
 * device can be a port of two bridges for a moment (one bridge deleted
 * while another adds the device), and only the last port to close puts
 * the device's own setting back.  Ports open on background threads
 * (mgmt/bridge/bridge.h), hence the lock. */
struct afpacket_gro_hold {
    struct afpacket_gro_hold *next;
    int ifindex;
    unsigned int n_ports;
    bool changed;                   /* A port changed GRO... */
    bool was;                       /* ...from this. */
};

static struct afpacket_gro_hold *afpacket_gro_holds;
static pthread_mutex_t afpacket_gro_mutex = PTHREAD_MUTEX_INITIALIZER;

/* Option gro. */
enum afpacket_gro {
    AFPACKET_GRO_DEFAULT,           /* On for a veth, else left alone. */
    AFPACKET_GRO_ON,
    AFPACKET_GRO_OFF,
};

static struct afpacket_netdev *
afpacket_cast(const struct ft_netdev *netdev)
{
    return (struct afpacket_netdev *) netdev;
}

/* Slot 'i' of the ring (blocks hold whole slots, back to back). */
static struct tpacket2_hdr *
afpacket_slot(const struct afpacket_netdev *dev, unsigned int i)
{
    return (struct tpacket2_hdr *) (void *)
           (dev->ring + (size_t) i * FT_AFPACKET_FRAME_SIZE);
}

/* Transmit slot 'i'. */
static uint8_t *
afpacket_tx_slot(const struct afpacket_netdev *dev, size_t i)
{
    return dev->tx_buf + i * FT_AFPACKET_TX_SLOT;
}

static int
afpacket_setsockopt(const struct afpacket_netdev *dev, int fd, int level,
                    int opt, const void *val, socklen_t len,
                    const char *what, struct ft_error *err)
{
    if (setsockopt(fd, level, opt, val, len) < 0) {
        int error = -errno;

        return ft_error_set(err, error, "port %s: cannot set %s: %s",
                            dev->up.name, what, strerror(-error));
    }
    return 0;
}

/* Maps the socket's receive ring of 'n_frames' slots. */
static int
afpacket_mmap_ring(struct afpacket_netdev *dev, unsigned int n_frames,
                   struct ft_error *err)
{
    size_t size = (size_t) n_frames * FT_AFPACKET_FRAME_SIZE;
    uint8_t *ring;
    int error;

    ring = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED,
                dev->fd, 0);
    if (ring == MAP_FAILED) {
        /* MAP_LOCKED may exceed RLIMIT_MEMLOCK; the ring works unlocked. */
        ring = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
                    dev->fd, 0);
    }
    if (ring == MAP_FAILED) {
        error = -errno;
        return ft_error_set(err, error,
                            "port %s: cannot map the receive ring: %s",
                            dev->up.name, strerror(-error));
    }
    dev->ring = ring;
    dev->ring_size = size;
    __atomic_store_n(&dev->n_frames, n_frames, __ATOMIC_RELAXED);
    dev->head = 0;
    return 0;
}

/* Asks the kernel for a receive ring of 'n_frames' slots (the socket must
 * have none yet) and maps it. */
static int
afpacket_map_ring(struct afpacket_netdev *dev, unsigned int n_frames,
                  struct ft_error *err)
{
    struct tpacket_req req;
    int error;

    memset(&req, 0, sizeof req);
    req.tp_block_size = FT_AFPACKET_BLOCK_SIZE;
    req.tp_block_nr = n_frames / FT_AFPACKET_BLOCK_FRAMES;
    req.tp_frame_size = FT_AFPACKET_FRAME_SIZE;
    req.tp_frame_nr = n_frames;
    error = afpacket_setsockopt(dev, dev->fd, SOL_PACKET, PACKET_RX_RING,
                                &req, sizeof req, "the receive ring", err);
    return error ? error : afpacket_mmap_ring(dev, n_frames, err);
}

static int
afpacket_setup_ring(struct afpacket_netdev *dev, struct ft_error *err)
{
    int version = TPACKET_V2;
    int reserve = FT_PACKET_HEADROOM;
    int error;

    error = afpacket_setsockopt(dev, dev->fd, SOL_PACKET, PACKET_VERSION,
                                &version, sizeof version, "TPACKET_V2",
                                err);
    if (!error) {
        error = afpacket_setsockopt(dev, dev->fd, SOL_PACKET,
                                    PACKET_RESERVE, &reserve, sizeof reserve,
                                    "PACKET_RESERVE", err);
    }
    if (!error) {
        error = afpacket_map_ring(dev, dev->n_frames, err);
    }
    return error;
}

/* Adds the frames the kernel dropped since the last call (reading its
 * counters resets them) to 'kernel_drops' and returns how many.  Called
 * by the receiving thread (when the ring grows) and by whoever reads the
 * port's counters. */
static uint64_t
afpacket_read_drops(struct afpacket_netdev *dev)
{
    struct tpacket_stats kst;
    socklen_t len = sizeof kst;

    if (getsockopt(dev->fd, SOL_PACKET, PACKET_STATISTICS, &kst, &len)
        || !kst.tp_drops) {
        return 0;
    }
    __atomic_fetch_add(&dev->kernel_drops, kst.tp_drops, __ATOMIC_RELAXED);
    return kst.tp_drops;
}

/* Opens a non-blocking AF_PACKET socket into '*fdp'. */
static int
afpacket_socket(const struct afpacket_netdev *dev, int *fdp,
                struct ft_error *err)
{
    *fdp = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (*fdp < 0) {
        int error = -errno;

        return ft_error_set(err, error,
                            "port %s: cannot open an AF_PACKET socket: %s%s",
                            dev->up.name, strerror(-error),
                            error == -EPERM ? " (needs CAP_NET_RAW)" : "");
    }
    return 0;
}

/* Binds 'fd' to device 'ifindex' for 'protocol' (network byte order; 0
 * makes the kernel deliver nothing to the socket). */
static int
afpacket_bind_to(const struct afpacket_netdev *dev, int fd, int ifindex,
                 uint16_t protocol, struct ft_error *err)
{
    struct sockaddr_ll sll;

    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = protocol;
    sll.sll_ifindex = ifindex;
    if (bind(fd, (struct sockaddr *) &sll, sizeof sll) < 0) {
        int error = -errno;

        return ft_error_set(err, error, "port %s: cannot bind: %s",
                            dev->up.name, strerror(-error));
    }
    return 0;
}

/* Binds 'fd' to the port's own device. */
static int
afpacket_bind(const struct afpacket_netdev *dev, int fd, uint16_t protocol,
              struct ft_error *err)
{
    return afpacket_bind_to(dev, fd, dev->up.ifindex, protocol, err);
}

/* Makes the kernel queue frames larger than a ring slot whole on the
 * receive socket (PACKET_COPY_THRESH), with their VLAN tag and checksum
 * state (PACKET_AUXDATA), in a receive buffer that holds a burst of
 * super-frames. */
static int
afpacket_setup_copy(struct afpacket_netdev *dev, struct ft_error *err)
{
    int rcvbuf = FT_AFPACKET_RCVBUF;
    int one = 1;
    int error;

    error = afpacket_setsockopt(dev, dev->fd, SOL_PACKET, PACKET_COPY_THRESH,
                                &one, sizeof one, "PACKET_COPY_THRESH", err);
    if (!error) {
        error = afpacket_setsockopt(dev, dev->fd, SOL_PACKET,
                                    PACKET_AUXDATA, &one, sizeof one,
                                    "PACKET_AUXDATA", err);
    }
    /* A smaller buffer only drops super-frames in bursts: not fatal. */
    if (!error && setsockopt(dev->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
                             sizeof rcvbuf) < 0) {
        setsockopt(dev->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    return error;
}

/* Opens the receive socket 'dev->fd' with its ring of 'dev->n_frames'
 * slots, unbound: PACKET_IGNORE_OUTGOING and the ring are set before the
 * bind, so no frame reaches the socket before them.  The socket puts the
 * device in promiscuous mode. */
static int
afpacket_prepare_rx_socket(struct afpacket_netdev *dev, bool want_vnet,
                           struct ft_error *err)
{
    struct packet_mreq mreq;
    int one = 1;
    int error;

    error = afpacket_socket(dev, &dev->fd, err);
    if (!error) {
        error = afpacket_setsockopt(dev, dev->fd, SOL_PACKET,
                                    PACKET_IGNORE_OUTGOING, &one, sizeof one,
                                    "PACKET_IGNORE_OUTGOING", err);
    }
    if (!error && want_vnet) {
        /* Before the ring, which the kernel lays out for it.  Refused by
         * an old kernel: then frames come without it (see the top). */
        dev->rx_vnet = !setsockopt(dev->fd, SOL_PACKET, PACKET_VNET_HDR,
                                   &one, sizeof one);
    }
    if (!error) {
        error = afpacket_setup_ring(dev, err);
    }
    if (!error) {
        error = afpacket_setup_copy(dev, err);
    }
    if (error) {
        return error;
    }
    memset(&mreq, 0, sizeof mreq);
    mreq.mr_ifindex = dev->up.ifindex;
    mreq.mr_type = PACKET_MR_PROMISC;
    return afpacket_setsockopt(dev, dev->fd, SOL_PACKET,
                               PACKET_ADD_MEMBERSHIP, &mreq, sizeof mreq,
                               "promiscuous mode", err);
}

/* Binds receive socket 'fd' to device 'ifindex' for every protocol and
 * clears the error the bind may have left pending (device down). */
static int
afpacket_bind_rx(const struct afpacket_netdev *dev, int fd, int ifindex,
                 struct ft_error *err)
{
    int error = afpacket_bind_to(dev, fd, ifindex, htons(ETH_P_ALL), err);

    if (!error) {
        int pending;

        getsockopt(fd, SOL_SOCKET, SO_ERROR, &pending, &(socklen_t) {
                       sizeof pending });
    }
    return error;
}

/* Opens the receive socket with its ring, bound to the port's device, and
 * for a port whose ring may grow the epoll set it is polled through. */
static int
afpacket_setup_rx_socket(struct afpacket_netdev *dev, bool want_vnet,
                         struct ft_error *err)
{
    int error = afpacket_prepare_rx_socket(dev, want_vnet, err);

    if (!error) {
        dev->rx_ifindex = dev->up.ifindex;
        error = afpacket_bind_rx(dev, dev->fd, dev->rx_ifindex, err);
    }
    if (!error && dev->grow_max > dev->n_frames) {
        struct epoll_event ev = { .events = EPOLLIN };

        dev->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (dev->epfd < 0 || epoll_ctl(dev->epfd, EPOLL_CTL_ADD, dev->fd,
                                       &ev)) {
            error = -errno;
            ft_error_set(err, error, "port %s: cannot make an epoll set "
                         "for the receive socket: %s", dev->up.name,
                         strerror(-error));
        }
    }
    return error;
}

/* Opens the transmit socket: bound with protocol 0, so the kernel delivers
 * nothing to it, and never polled, so freeing the frames sent on it wakes
 * nobody. */
static int
afpacket_setup_tx_socket(struct afpacket_netdev *dev, bool want_vnet,
                         struct ft_error *err)
{
    int sndbuf = 4 * 1024 * 1024;
    int one = 1;
    int error;

    error = afpacket_socket(dev, &dev->tx_fd, err);
    if (!error) {
        error = afpacket_bind(dev, dev->tx_fd, 0, err);
    }
    if (error) {
        return error;
    }
    /* Without it, ft_netdev_tx() segments and completes in software. */
    dev->up.tx_offloads = (want_vnet
                           && !setsockopt(dev->tx_fd, SOL_PACKET,
                                          PACKET_VNET_HDR, &one,
                                          sizeof one));
    for (size_t i = 0; i < BATCH; i++) {
        struct msghdr *m = &dev->msgs[i].msg_hdr;

        dev->iov[i][0].iov_base = &dev->vnet[i];
        dev->iov[i][0].iov_len = sizeof dev->vnet[i];
        m->msg_iov = &dev->iov[i][dev->up.tx_offloads ? 0 : 1];
        m->msg_iovlen = dev->up.tx_offloads ? 2 : 1;
    }
    /* A larger send buffer only avoids ENOBUFS in bursts: not fatal. */
    if (setsockopt(dev->tx_fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
                   sizeof sndbuf) < 0) {
        setsockopt(dev->tx_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
                   sizeof sndbuf);
    }
    return 0;
}

/* Sets the device's generic receive offload as option gro says ('want');
 * see "Generic receive offload" at the top. */
static int
afpacket_setup_gro(struct afpacket_netdev *dev, enum afpacket_gro want,
                   struct ft_error *err)
{
    const char *name = dev->up.name;
    bool on = false, target = want != AFPACKET_GRO_OFF;
    struct afpacket_gro_hold *hold;
    char driver[32];
    int error;

    if (want == AFPACKET_GRO_DEFAULT
        && (!dev->rx_vnet || !dev->up.tx_offloads
            || ft_netdev_linux_get_driver(name, driver, sizeof driver)
            || strcmp(driver, "veth"))) {
        return 0;
    }
    if (want == AFPACKET_GRO_ON && (!dev->rx_vnet || !dev->up.tx_offloads)) {
        return ft_error_set(err, -EINVAL, "port %s: option gro=true needs "
                            "virtio-net headers (option vnet_hdr=true and "
                            "a kernel that takes PACKET_VNET_HDR): without "
                            "them a coalesced frame cannot be forwarded "
                            "whole", name);
    }
    pthread_mutex_lock(&afpacket_gro_mutex);
    for (hold = afpacket_gro_holds; hold; hold = hold->next) {
        if (hold->ifindex == dev->up.ifindex) {
            break;
        }
    }
    error = ft_netdev_linux_get_gro(name, &on);
    if (!error && on != target) {
        error = ft_netdev_linux_set_gro(name, target);
    }
    if (!error && !hold) {
        hold = calloc(1, sizeof *hold);
        if (hold) {
            hold->ifindex = dev->up.ifindex;
            hold->next = afpacket_gro_holds;
            afpacket_gro_holds = hold;
        } else {
            if (on != target) {
                ft_netdev_linux_set_gro(name, on);
            }
            error = -ENOMEM;
        }
    }
    if (!error) {
        if (on != target && !hold->changed) {
            hold->changed = true;
            hold->was = on;
        }
        hold->n_ports++;
        dev->gro_held = true;
    }
    pthread_mutex_unlock(&afpacket_gro_mutex);

    if (error && want != AFPACKET_GRO_DEFAULT) {
        return ft_error_set(err, error, "port %s: cannot turn generic "
                            "receive offload %s: %s", name,
                            target ? "on" : "off", strerror(-error));
    }
    /* Without the option it is only faster: a device that refuses keeps
     * working as it is. */
    return 0;
}

/* Lets go of the device's GRO: the last port puts its setting back. */
static void
afpacket_release_gro(struct afpacket_netdev *dev)
{
    struct afpacket_gro_hold **p, *hold;

    pthread_mutex_lock(&afpacket_gro_mutex);
    for (p = &afpacket_gro_holds; (hold = *p); p = &hold->next) {
        if (hold->ifindex == dev->up.ifindex) {
            if (!--hold->n_ports) {
                if (hold->changed) {
                    ft_netdev_linux_set_gro(dev->up.name, hold->was);
                }
                *p = hold->next;
                free(hold);
            }
            break;
        }
    }
    pthread_mutex_unlock(&afpacket_gro_mutex);
    dev->gro_held = false;
}

static void
afpacket_close(struct ft_netdev *netdev)
{
    struct afpacket_netdev *dev = afpacket_cast(netdev);

    if (dev->gro_held) {
        afpacket_release_gro(dev);
    }
    if (dev->ring) {
        munmap(dev->ring, dev->ring_size);
    }
    if (dev->next_ring) {
        munmap(dev->next_ring, dev->next_size);
    }
    if (dev->next_fd >= 0) {
        close(dev->next_fd);
    }
    if (dev->fd >= 0) {
        close(dev->fd);
    }
    if (dev->epfd >= 0) {
        close(dev->epfd);
    }
    if (dev->tx_fd >= 0) {
        close(dev->tx_fd);
    }
    free(dev->tx_buf);
    free(dev->rx_buf);
    free(dev);
}

/* Reads option vnet_hdr (default true) into '*want_vnet'. */
static int
afpacket_vnet_option(const char *name, const struct ft_netdev_option *opts,
                     size_t n_opts, bool *want_vnet, struct ft_error *err)
{
    const char *v = ft_netdev_option_find(opts, n_opts, "vnet_hdr");

    *want_vnet = !v || !strcmp(v, "true");
    if (v && strcmp(v, "true") && strcmp(v, "false")) {
        return ft_error_set(err, -EINVAL, "port %s: option vnet_hdr=%s "
                            "must be true or false", name, v);
    }
    return 0;
}

/* Reads option gro into '*gro'. */
static int
afpacket_gro_option(const char *name, const struct ft_netdev_option *opts,
                    size_t n_opts, enum afpacket_gro *gro,
                    struct ft_error *err)
{
    const char *v = ft_netdev_option_find(opts, n_opts, "gro");

    *gro = (!v ? AFPACKET_GRO_DEFAULT
            : !strcmp(v, "true") ? AFPACKET_GRO_ON : AFPACKET_GRO_OFF);
    if (v && strcmp(v, "true") && strcmp(v, "false")) {
        return ft_error_set(err, -EINVAL, "port %s: option gro=%s must be "
                            "true or false", name, v);
    }
    return 0;
}

/* Reads option rx_ring_frames into '*n_frames' and '*grow_max': a size
 * given is kept; without one the ring starts at FT_AFPACKET_N_FRAMES and
 * grows to FT_AFPACKET_GROW_FRAMES (see afpacket_rx_burst()). */
static int
afpacket_ring_option(const char *name, const struct ft_netdev_option *opts,
                     size_t n_opts, unsigned int *n_frames,
                     unsigned int *grow_max, struct ft_error *err)
{
    const char *v = ft_netdev_option_find(opts, n_opts, "rx_ring_frames");
    char *end;
    unsigned long n;

    *n_frames = FT_AFPACKET_N_FRAMES;
    *grow_max = FT_AFPACKET_GROW_FRAMES;
    if (!v) {
        return 0;
    }
    errno = 0;
    n = strtoul(v, &end, 10);
    if (errno || end == v || *end || *v == '-'
        || n < FT_AFPACKET_MIN_FRAMES || n > FT_AFPACKET_MAX_FRAMES
        || n % FT_AFPACKET_BLOCK_FRAMES) {
        return ft_error_set(err, -EINVAL, "port %s: option rx_ring_frames="
                            "%s must be a multiple of %d from %d to %d "
                            "(slots of %d bytes in the receive ring)", name,
                            v, FT_AFPACKET_BLOCK_FRAMES,
                            FT_AFPACKET_MIN_FRAMES, FT_AFPACKET_MAX_FRAMES,
                            FT_AFPACKET_FRAME_SIZE);
    }
    *n_frames = (unsigned int) n;
    *grow_max = 0;
    return 0;
}

static int
afpacket_open(const char *name, const struct ft_netdev_option *opts,
              size_t n_opts, struct ft_netdev **netdevp,
              struct ft_error *err)
{
    static const char *const known[] = { "vnet_hdr", "rx_ring_frames",
                                         "gro", NULL };
    struct afpacket_netdev *dev;
    unsigned int n_frames, grow_max;
    enum afpacket_gro gro;
    bool want_vnet;
    int ifindex, error;

    error = ft_netdev_options_check(name, "system", opts, n_opts, known,
                                    err);
    if (!error) {
        error = afpacket_vnet_option(name, opts, n_opts, &want_vnet, err);
    }
    if (!error) {
        error = afpacket_ring_option(name, opts, n_opts, &n_frames,
                                     &grow_max, err);
    }
    if (!error) {
        error = afpacket_gro_option(name, opts, n_opts, &gro, err);
    }
    if (error) {
        return error;
    }
    ifindex = ft_netdev_linux_ifindex(name);
    if (ifindex < 0) {
        return ft_error_set(err, -ENODEV,
                            "port %s: no such network device", name);
    }

    dev = calloc(1, sizeof *dev);
    if (!dev) {
        return ft_error_set(err, -ENOMEM, "port %s: out of memory", name);
    }
    dev->up.class = &ft_netdev_afpacket_class;
    snprintf(dev->up.name, sizeof dev->up.name, "%s", name);
    dev->up.ifindex = ifindex;
    dev->fd = -1;
    dev->next_fd = -1;
    dev->epfd = -1;
    dev->tx_fd = -1;
    dev->n_frames = n_frames;
    dev->grow_max = grow_max;

    /* Only the pages that frames touch are ever committed. */
    dev->tx_buf = malloc((size_t) BATCH * FT_AFPACKET_TX_SLOT);
    dev->rx_buf = malloc((size_t) BATCH * FT_AFPACKET_RX_SLOT);
    if (!dev->tx_buf || !dev->rx_buf) {
        error = ft_error_set(err, -ENOMEM, "port %s: out of memory", name);
        goto error;
    }

    /* Up first: binding to a device that is down leaves an ENETDOWN
     * pending on the receive socket, which its first poll would report. */
    error = ft_netdev_linux_set_up(name);
    if (error) {
        ft_error_set(err, error, "port %s: cannot bring the device up: %s",
                     name, strerror(-error));
        goto error;
    }
    error = afpacket_setup_rx_socket(dev, want_vnet, err);
    if (!error) {
        error = afpacket_setup_tx_socket(dev, want_vnet, err);
    }
    if (!error) {
        error = afpacket_setup_gro(dev, gro, err);
    }
    if (error) {
        goto error;
    }
    *netdevp = &dev->up;
    return 0;

error:
    afpacket_close(&dev->up);
    return error;
}

/* Receives from device 'ifindex' (0: the port's own).  The ring keeps the
 * frames already in it: they were received before, on whichever device
 * the socket was bound to then. */
static int
afpacket_set_rx_device(struct ft_netdev *netdev, int ifindex,
                       struct ft_error *err)
{
    struct afpacket_netdev *dev = afpacket_cast(netdev);

    if (ifindex < 0) {
        return ft_error_set(err, -EINVAL, "port %s: no device %d to "
                            "receive from", netdev->name, ifindex);
    }
    ifindex = ifindex ? ifindex : netdev->ifindex;
    __atomic_store_n(&dev->rx_ifindex, ifindex, __ATOMIC_RELAXED);
    /* During a growth the old socket takes nothing more (see
     * afpacket_grow_ring()). */
    return afpacket_bind_to(dev, dev->next_fd >= 0 ? dev->next_fd : dev->fd,
                            ifindex, htons(ETH_P_ALL), err);
}

/* Puts the tag the kernel took out of the frame back in front of the
 * ethertype, using 4 bytes of headroom. */
static void
afpacket_push_vlan(struct ft_packet *pkt, uint16_t tpid, uint16_t tci)
{
    uint8_t *old = ft_packet_data(pkt);
    uint8_t *new = old - FT_VLAN_HEADER_LEN;

    memmove(new, old, 2 * FT_ETH_ALEN);
    new[12] = tpid >> 8;
    new[13] = tpid;
    new[14] = tci >> 8;
    new[15] = tci;
    pkt->data_ofs -= FT_VLAN_HEADER_LEN;
    pkt->size += FT_VLAN_HEADER_LEN;
}

/* Completes the checksum of the 'len' bytes at 'p' into the field at
 * 'p + offset' (an Internet checksum over bytes the stack already summed
 * the pseudo-header into), as Linux's skb_checksum_help(). */
static void
afpacket_csum_help(uint8_t *p, size_t len, size_t offset)
{
    uint32_t sum = 0;
    uint16_t csum;

    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += (uint32_t) (p[i] << 8 | p[i + 1]);
    }
    if (len & 1) {
        sum += (uint32_t) p[len - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    csum = ~sum;
    p[offset] = csum >> 8;
    p[offset + 1] = csum;
}

/* Takes the offloads the virtio-net header 'vh' describes into 'pkt'
 * ('vlan_pushed': a tag was put back in front of what the header counts
 * from).  Returns false if the frame is to be dropped: a super-frame whose
 * header does not match its own headers, or a checksum outside it. */
static bool
afpacket_take_vnet(const struct virtio_net_hdr *vh, struct ft_packet *pkt,
                   bool vlan_pushed)
{
    uint32_t start = le16toh(vh->csum_start);
    uint32_t offset = le16toh(vh->csum_offset);
    uint8_t type = vh->gso_type;

    if (!(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
        /* A super-frame always needs its checksums; data_valid alone is
         * nothing to act on. */
        return type == VIRTIO_NET_HDR_GSO_NONE;
    }
    start += vlan_pushed ? FT_VLAN_HEADER_LEN : 0;
    ft_packet_parse(pkt);
    if (ft_packet_has_l4(pkt) && start == pkt->l4_ofs
        && offset + 2 <= ft_packet_l4_size(pkt)) {
        pkt->offload.flags = FT_PACKET_OFL_CSUM;
        pkt->offload.csum_offset = offset;
        pkt->offload.gso_type = type;
        pkt->offload.gso_size = type ? le16toh(vh->gso_size) : 0;
        return true;
    }
    if (type != VIRTIO_NET_HDR_GSO_NONE || start >= pkt->size
        || offset + 2 > pkt->size - start) {
        return false;
    }
    /* A checksum of some other layer (an inner header of a tunnel): the
     * executor would not keep it right, so complete it here. */
    afpacket_csum_help(ft_packet_data(pkt) + start, pkt->size - start,
                       offset);
    return true;
}

/* What the kernel says about a frame besides its bytes, from a ring slot
 * or from recvmsg()'s PACKET_AUXDATA. */
struct afpacket_meta {
    uint32_t status;                /* TP_STATUS_* */
    uint16_t vlan_tci;
    uint16_t vlan_tpid;
    const struct virtio_net_hdr *vh;    /* NULL without PACKET_VNET_HDR. */
};

/* Finishes 'pkt', whose frame is in place: puts back the VLAN tag the
 * kernel took out and takes in the offloads 'm' describes.  Returns false
 * if it is to be dropped (counted). */
static bool
afpacket_finish_frame(struct afpacket_netdev *dev,
                      const struct afpacket_meta *m, struct ft_packet *pkt)
{
    const struct virtio_net_hdr *vh = m->vh;
    bool vlan_pushed = false;

    if (m->status & TP_STATUS_VLAN_VALID && pkt->size >= 2 * FT_ETH_ALEN
        && ft_packet_headroom(pkt) >= FT_VLAN_HEADER_LEN) {
        uint16_t tpid = (m->status & TP_STATUS_VLAN_TPID_VALID
                         ? m->vlan_tpid : FT_ETH_TYPE_VLAN);

        afpacket_push_vlan(pkt, tpid, m->vlan_tci);
        vlan_pushed = true;
    }
    if (vh) {
        if ((vh->flags || vh->gso_type)
            && !afpacket_take_vnet(vh, pkt, vlan_pushed)) {
            dev->stats.rx_errors++;
            return false;
        }
    } else if (m->status & TP_STATUS_CSUMNOTREADY) {
        ft_packet_parse(pkt);
        ft_netdev_complete_csum(pkt);
    }
    dev->stats.rx_packets++;
    dev->stats.rx_bytes += pkt->size;
    return true;
}

/* Turns the frame in ring slot 'hdr' into 'pkt'.  Returns false if it is
 * to be skipped. */
static bool
afpacket_take_slot(struct afpacket_netdev *dev, struct tpacket2_hdr *hdr,
                   uint32_t status, struct ft_packet *pkt)
{
    size_t hdr_end = (TPACKET_ALIGN(sizeof(struct tpacket2_hdr))
                      + sizeof(struct sockaddr_ll));
    const struct sockaddr_ll *sll = (const void *)
        ((uint8_t *) hdr + TPACKET_ALIGN(sizeof(struct tpacket2_hdr)));
    uint8_t *base = (uint8_t *) hdr + hdr_end;
    struct afpacket_meta m = { status, hdr->tp_vlan_tci, hdr->tp_vlan_tpid,
                               NULL };
    struct virtio_net_hdr vh;

    if (sll->sll_pkttype == PACKET_OUTGOING) {
        return false;
    }
    if (hdr->tp_snaplen < hdr->tp_len) {
        /* Too large for a slot, and no room left to queue it whole. */
        dev->stats.rx_dropped++;
        return false;
    }
    if (hdr->tp_mac < hdr_end + (dev->rx_vnet ? sizeof vh : 0)
        || hdr->tp_mac + hdr->tp_snaplen > FT_AFPACKET_FRAME_SIZE) {
        dev->stats.rx_errors++;
        return false;
    }
    if (dev->rx_vnet) {
        /* Copied first: putting a VLAN tag back overwrites its end. */
        memcpy(&vh, (uint8_t *) hdr + hdr->tp_mac - sizeof vh, sizeof vh);
        m.vh = &vh;
    }
    ft_packet_init(pkt, base, hdr->tp_mac - hdr_end + hdr->tp_snaplen,
                   hdr->tp_mac - hdr_end);
    pkt->size = hdr->tp_snaplen;
    return afpacket_finish_frame(dev, &m, pkt);
}

/* Reads the frame the kernel queued whole for a TP_STATUS_COPY slot into
 * receive buffer 'i' and turns it into 'pkt'.  Returns false if it is to
 * be skipped. */
static bool
afpacket_take_copy(struct afpacket_netdev *dev, size_t i,
                   struct ft_packet *pkt)
{
    uint8_t *buf = dev->rx_buf + i * FT_AFPACKET_RX_SLOT;
    union {
        struct cmsghdr align;
        uint8_t buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
    } control;
    struct virtio_net_hdr vh;
    struct iovec iov[2] = {
        { &vh, sizeof vh },
        { buf + FT_PACKET_HEADROOM, FT_NETDEV_MAX_FRAME },
    };
    struct sockaddr_ll sll;
    struct msghdr msg = {
        .msg_name = &sll, .msg_namelen = sizeof sll,
        .msg_iov = &iov[dev->rx_vnet ? 0 : 1],
        .msg_iovlen = dev->rx_vnet ? 2 : 1,
        .msg_control = &control, .msg_controllen = sizeof control,
    };
    struct afpacket_meta m = { 0, 0, 0, dev->rx_vnet ? &vh : NULL };
    ssize_t n;

    do {
        n = recvmsg(dev->fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        dev->stats.rx_dropped++;
        return false;
    }
    n -= dev->rx_vnet ? sizeof vh : 0;
    if (n <= 0 || msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)
        || n > FT_NETDEV_MAX_FRAME) {
        dev->stats.rx_errors++;
        return false;
    }
    if (sll.sll_pkttype == PACKET_OUTGOING) {
        return false;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
         c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
            struct tpacket_auxdata aux;

            memcpy(&aux, CMSG_DATA(c), sizeof aux);
            m.status = aux.tp_status;
            m.vlan_tci = aux.tp_vlan_tci;
            m.vlan_tpid = aux.tp_vlan_tpid;
        }
    }
    ft_packet_init(pkt, buf, FT_AFPACKET_RX_SLOT, FT_PACKET_HEADROOM);
    pkt->size = n;
    return afpacket_finish_frame(dev, &m, pkt);
}

static void
afpacket_release_slot(struct tpacket2_hdr *hdr)
{
    __atomic_store_n(&hdr->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}

/* Stops growing: the port keeps the ring it has. */
static void
afpacket_stop_growing(struct afpacket_netdev *dev)
{
    __atomic_store_n(&dev->grow_max, dev->n_frames, __ATOMIC_RELAXED);
    __atomic_store_n(&dev->grow_wanted, false, __ATOMIC_RELAXED);
}

/* Removes the filter of socket 'fd' (the kernel wants an int, unused). */
static void
afpacket_detach_filter(int fd)
{
    int unused = 0;

    setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof unused);
}

/* Loads the eBPF socket filter "take the frame if word 0 of array map
 * 'map_fd' is 'owner'", returning its descriptor or a negative errno. */
static int
afpacket_owner_filter(int map_fd, int owner)
{
    struct bpf_insn insns[] = {
        /* Key 0 on the stack; r1 = the map, r2 = &key. */
        { .code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = BPF_REG_10,
          .off = -4, .imm = 0 },
        { .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1,
          .src_reg = BPF_PSEUDO_MAP_FD, .imm = map_fd },
        { .code = 0 },
        { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_2,
          .src_reg = BPF_REG_10 },
        { .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_2,
          .imm = -4 },
        { .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem },
        /* No value, or not ours: to "refuse". */
        { .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = BPF_REG_0,
          .off = 4, .imm = 0 },
        { .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_0,
          .src_reg = BPF_REG_0 },
        { .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = BPF_REG_0,
          .off = 2, .imm = owner },
        /* Take the whole frame. */
        { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
          .imm = -1 },
        { .code = BPF_JMP | BPF_EXIT },
        /* refuse: */
        { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
          .imm = 0 },
        { .code = BPF_JMP | BPF_EXIT },
    };
    int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "ft_rx_owner",
                           "GPL", insns, sizeof insns / sizeof insns[0],
                           NULL);

    return fd < 0 ? -errno : fd;
}

/* Switches the device from receive socket 'old_fd' to 'new_fd' (set up,
 * unbound), binding the new one to 'ifindex'.
 *
 * Each socket gets an eBPF filter that takes a frame only while a shared
 * one-word map names it: the old one first (the map says "old", so it
 * takes everything as before), then the new one, which is bound.  One
 * write of the map moves every later frame from the old socket to the
 * new: a frame is taken by exactly one of them unless the map changes
 * between the two sockets' filters running on that same frame (the new
 * socket's, listed first by the kernel, refused it and the old one's
 * too), a window of a few hundred nanoseconds.
 *
 * Where eBPF cannot be had, the old socket gets a classic filter that
 * takes nothing and then the new one is bound: a frame arriving between
 * the two system calls is missed.
 *
 * Returns 0 with the new socket receiving and the old one taking nothing
 * more, or a negative errno with the old one receiving as before. */
static int
afpacket_switch_socket(struct afpacket_netdev *dev, int old_fd, int new_fd,
                       int ifindex)
{
    static struct sock_filter none[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
    struct sock_fprog drop_all = { 1, none };
    int map_fd, old_prog = -1, new_prog = -1, error;
    uint32_t key = 0, owner = 1;
    struct ft_error err;

    map_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ft_rx_owner", sizeof key,
                            sizeof owner, 1, NULL);
    if (map_fd >= 0) {
        old_prog = afpacket_owner_filter(map_fd, 0);
        new_prog = afpacket_owner_filter(map_fd, 1);
    }
    if (old_prog >= 0 && new_prog >= 0
        && !setsockopt(old_fd, SOL_SOCKET, SO_ATTACH_BPF, &old_prog,
                       sizeof old_prog)) {
        if (setsockopt(new_fd, SOL_SOCKET, SO_ATTACH_BPF, &new_prog,
                       sizeof new_prog)) {
            error = -errno;
        } else {
            error = afpacket_bind_rx(dev, new_fd, ifindex, &err);
        }
        if (!error && bpf_map_update_elem(map_fd, &key, &owner, BPF_ANY)) {
            error = -errno;
        }
        if (error) {
            afpacket_detach_filter(old_fd);
        }
    } else if (setsockopt(old_fd, SOL_SOCKET, SO_ATTACH_FILTER, &drop_all,
                          sizeof drop_all)) {
        error = -errno;
    } else {
        error = afpacket_bind_rx(dev, new_fd, ifindex, &err);
        if (error) {
            afpacket_detach_filter(old_fd);
        }
    }
    if (!error) {
        /* Returns once no CPU still delivers to it. */
        afpacket_bind_to(dev, old_fd, ifindex, 0, &err);
    }
    /* The sockets keep the programs (and they the map) while attached. */
    if (new_prog >= 0) {
        close(new_prog);
    }
    if (old_prog >= 0) {
        close(old_prog);
    }
    if (map_fd >= 0) {
        close(map_fd);
    }
    return error;
}

/* Replaces the receive socket with one whose ring has 'grow_max' slots
 * (see the top).
 *
 * The new socket is set up unbound while the old ring, a quarter full,
 * keeps taking what arrives during the allocation (milliseconds for 32
 * MiB).  Then the device moves to it (afpacket_switch_socket()), and the
 * old socket, which takes nothing more, stays the port's until its ring
 * and the frames queued whole for it are read: afpacket_finish_growth()
 * then gives the new socket the old one's descriptor number.  The epoll
 * set polled for the port watches both meanwhile.
 *
 * If the new socket cannot be had (no memory for the ring), or the switch
 * fails, the port keeps its socket and ring and stops growing. */
static void
afpacket_grow_ring(struct afpacket_netdev *dev)
{
    struct epoll_event ev = { .events = EPOLLIN };
    unsigned int old_frames = dev->n_frames, head = dev->head;
    uint8_t *old_ring = dev->ring;
    size_t old_size = dev->ring_size;
    bool rx_vnet = dev->rx_vnet;
    int old_fd = dev->fd, new_fd, ifindex, error;
    uint8_t *new_ring;
    size_t new_size;
    struct ft_error err;

    /* The new socket is set up in the port's receive fields, which then
     * get the old socket's back until the switch is over. */
    dev->fd = -1;
    dev->ring = NULL;
    dev->n_frames = dev->grow_max;
    error = afpacket_prepare_rx_socket(dev, rx_vnet, &err);
    if (!error && dev->rx_vnet != rx_vnet) {
        error = -EPROTO;
    }
    if (!error && epoll_ctl(dev->epfd, EPOLL_CTL_ADD, dev->fd, &ev)) {
        error = -errno;
    }
    new_fd = dev->fd;
    new_ring = dev->ring;
    new_size = dev->ring_size;
    dev->fd = old_fd;
    dev->ring = old_ring;
    dev->ring_size = old_size;
    __atomic_store_n(&dev->n_frames, old_frames, __ATOMIC_RELAXED);
    dev->head = head;
    dev->rx_vnet = rx_vnet;

    ifindex = __atomic_load_n(&dev->rx_ifindex, __ATOMIC_RELAXED);
    if (!error) {
        error = afpacket_switch_socket(dev, old_fd, new_fd, ifindex);
    }
    if (error) {
        if (new_ring) {
            munmap(new_ring, new_size);
        }
        if (new_fd >= 0) {
            close(new_fd);
        }
        afpacket_stop_growing(dev);
        return;
    }
    dev->next_fd = new_fd;
    dev->next_ring = new_ring;
    dev->next_size = new_size;
    __atomic_store_n(&dev->grow_wanted, false, __ATOMIC_RELAXED);
    if (__atomic_load_n(&dev->rx_ifindex, __ATOMIC_RELAXED) != ifindex) {
        /* set_rx_device() bound the old socket meanwhile. */
        afpacket_bind_rx(dev, new_fd,
                         __atomic_load_n(&dev->rx_ifindex, __ATOMIC_RELAXED),
                         &err);
    }
}

/* Called once the old ring of a growth has been read to its end, with no
 * frame returned pointing into it: unmaps it and puts the new socket at
 * the old one's descriptor number with dup2(), which closes the old, so
 * whoever reads the port's counters keeps a valid descriptor. */
static void
afpacket_finish_growth(struct afpacket_netdev *dev)
{
    afpacket_read_drops(dev);
    munmap(dev->ring, dev->ring_size);
    if (dup2(dev->next_fd, dev->fd) < 0) {
        /* Only EINTR or EBUSY (a racing open in another thread) could
         * get here; the new socket then keeps its own number. */
        close(dev->fd);
        dev->fd = dev->next_fd;
    } else {
        close(dev->next_fd);
    }
    /* The map names the new socket for good: its filter is only a cost. */
    afpacket_detach_filter(dev->fd);
    dev->ring = dev->next_ring;
    dev->ring_size = dev->next_size;
    dev->head = 0;
    dev->next_fd = -1;
    dev->next_ring = NULL;
    __atomic_store_n(&dev->n_frames, dev->grow_max, __ATOMIC_RELAXED);
}

/* True if the kernel has written the slot a quarter of a ring ahead of
 * 'head': the reader is that far behind, and the ring grows while the
 * other three quarters still have room for what arrives meanwhile. */
static bool
afpacket_ring_behind(const struct afpacket_netdev *dev)
{
    unsigned int i = (dev->head + dev->n_frames / 4) % dev->n_frames;

    return __atomic_load_n(&afpacket_slot(dev, i)->tp_status,
                           __ATOMIC_RELAXED) & TP_STATUS_USER;
}

static int
afpacket_rx_burst(struct ft_netdev *netdev, struct ft_packet_batch *batch)
{
    struct afpacket_netdev *dev = afpacket_cast(netdev);
    int n = 0;

    /* The frames of these slots were returned by the previous burst and
     * are done with: hand the slots back. */
    for (unsigned int i = 0; i < dev->n_release; i++) {
        afpacket_release_slot(afpacket_slot(dev, dev->release[i]));
    }
    dev->n_release = 0;

    if (!dev->ring) {
        return -ENOMEM;
    }
    if (dev->next_fd >= 0) {
        /* The old ring of a growth takes nothing more: once read to its
         * end, the new one takes over. */
        if (!(__atomic_load_n(&afpacket_slot(dev, dev->head)->tp_status,
                              __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
            afpacket_finish_growth(dev);
        }
    } else if (dev->n_frames < __atomic_load_n(&dev->grow_max,
                                               __ATOMIC_RELAXED)
               && (__atomic_load_n(&dev->grow_wanted, __ATOMIC_RELAXED)
                   || afpacket_ring_behind(dev))) {
        afpacket_grow_ring(dev);
    }

    while (batch->count < FT_PACKET_BATCH_MAX) {
        struct tpacket2_hdr *hdr = afpacket_slot(dev, dev->head);
        uint32_t status = __atomic_load_n(&hdr->tp_status, __ATOMIC_ACQUIRE);
        struct ft_packet *pkt = &dev->pkts[batch->count];
        bool copied = status & TP_STATUS_COPY;
        bool took;

        if (!(status & TP_STATUS_USER)) {
            break;
        }
        if (status & TP_STATUS_LOSING && dev->n_frames < dev->grow_max) {
            __atomic_store_n(&dev->grow_wanted, true, __ATOMIC_RELAXED);
        }
        took = (copied ? afpacket_take_copy(dev, batch->count, pkt)
                       : afpacket_take_slot(dev, hdr, status, pkt));
        if (took) {
            batch->packets[batch->count++] = pkt;
            n++;
        }
        if (took && !copied) {
            dev->release[dev->n_release++] = dev->head;
        } else {
            /* Nothing returned points into the slot. */
            afpacket_release_slot(hdr);
        }
        dev->head = (dev->head + 1) % dev->n_frames;
    }
    return n;
}

static void
afpacket_tx_flush(struct ft_netdev *netdev)
{
    struct afpacket_netdev *dev = afpacket_cast(netdev);
    size_t i = 0;

    while (i < dev->n_tx) {
        int n = sendmmsg(dev->tx_fd, &dev->msgs[i], dev->n_tx - i,
                         MSG_DONTWAIT);

        if (n > 0) {
            for (size_t j = i; j < i + n; j++) {
                dev->stats.tx_packets++;
                dev->stats.tx_bytes += dev->iov[j][1].iov_len;
            }
            i += n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            /* Message 'i' was refused: count it and go on after it. */
            if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
                dev->stats.tx_dropped++;
            } else {
                dev->stats.tx_errors++;
            }
            i++;
        }
    }
    dev->n_tx = 0;
}

/* Describes the offloads of 'pkt' in the virtio-net header 'vh' (all zero
 * for an ordinary frame).  The checksum starts at the L4 header wherever
 * the actions moved it (swpath/packet.h, "Offloads"). */
static void
afpacket_put_vnet(const struct ft_packet *pkt, struct virtio_net_hdr *vh)
{
    const struct ft_packet_offload *o = &pkt->offload;

    memset(vh, 0, sizeof *vh);
    if (!(o->flags & FT_PACKET_OFL_CSUM) || !ft_packet_has_l4(pkt)) {
        return;
    }
    vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    vh->csum_start = htole16(pkt->l4_ofs);
    vh->csum_offset = htole16(o->csum_offset);
    if (o->gso_type != FT_PACKET_GSO_NONE) {
        const uint8_t *l4 = ft_packet_data(pkt) + pkt->l4_ofs;
        uint32_t l4_hdr = (pkt->l4_proto == FT_IPPROTO_TCP
                           ? (l4[12] >> 4) * 4u : 8);

        vh->gso_type = o->gso_type;
        vh->gso_size = htole16(o->gso_size);
        vh->hdr_len = htole16(pkt->l4_ofs + l4_hdr);
    }
}

static int
afpacket_tx(struct ft_netdev *netdev, const struct ft_packet *pkt)
{
    struct afpacket_netdev *dev = afpacket_cast(netdev);

    if (pkt->size > FT_AFPACKET_TX_SLOT || !pkt->size) {
        dev->stats.tx_errors++;
        return -EMSGSIZE;
    }
    if (dev->n_tx >= BATCH) {
        afpacket_tx_flush(netdev);
    }
    if (dev->up.tx_offloads) {
        afpacket_put_vnet(pkt, &dev->vnet[dev->n_tx]);
    }
    if (pkt->may_steal) {
        /* Its bytes stay as they are until the flush (swpath/packet.h). */
        dev->iov[dev->n_tx][1].iov_base = ft_packet_data(pkt);
    } else {
        dev->iov[dev->n_tx][1].iov_base = afpacket_tx_slot(dev, dev->n_tx);
        memcpy(dev->iov[dev->n_tx][1].iov_base, ft_packet_data(pkt),
               pkt->size);
    }
    dev->iov[dev->n_tx][1].iov_len = pkt->size;
    dev->n_tx++;
    return 0;
}

static int
afpacket_get_fd(const struct ft_netdev *netdev)
{
    const struct afpacket_netdev *dev = afpacket_cast(netdev);

    return dev->epfd >= 0 ? dev->epfd : dev->fd;
}

static int
afpacket_get_stats(struct ft_netdev *netdev, struct ft_netdev_stats *stats)
{
    struct afpacket_netdev *dev = afpacket_cast(netdev);

    if (afpacket_read_drops(dev)
        && __atomic_load_n(&dev->n_frames, __ATOMIC_RELAXED)
           < __atomic_load_n(&dev->grow_max, __ATOMIC_RELAXED)) {
        __atomic_store_n(&dev->grow_wanted, true, __ATOMIC_RELAXED);
    }
    *stats = dev->stats;
    stats->rx_dropped += __atomic_load_n(&dev->kernel_drops,
                                         __ATOMIC_RELAXED);
    stats->rx_ring_frames = __atomic_load_n(&dev->n_frames, __ATOMIC_RELAXED);
    return 0;
}

static int
afpacket_get_mac(const struct ft_netdev *netdev, struct ft_eth_addr *mac)
{
    return ft_netdev_linux_get_mac(netdev->name, mac);
}

const struct ft_netdev_class ft_netdev_afpacket_class = {
    .type = "system",
    .open = afpacket_open,
    .close = afpacket_close,
    .rx_burst = afpacket_rx_burst,
    .tx = afpacket_tx,
    .tx_flush = afpacket_tx_flush,
    .get_fd = afpacket_get_fd,
    .get_stats = afpacket_get_stats,
    .get_mac = afpacket_get_mac,
    .set_rx_device = afpacket_set_rx_device,
};

/*
 * netdev.h - port classes: how the software datapath reads and writes the
 * frames of one network device.
 *
 * What?
 * =====
 *
 * A port class ('struct ft_netdev_class') is one way of doing packet I/O on
 * a device: AF_PACKET with memory-mapped rings on an existing Linux netdev
 * ("system"), AF_XDP sockets on an existing netdev ("afxdp"), a tap device
 * created for a guest ("tap"), the bridge's own port ("internal").  The
 * datapath (swpath/dpif.h) opens one
 * 'struct ft_netdev' per port through the registry below and then only
 * calls the members of its class, so adding a class (DPDK ethdev, VXLAN)
 * is one ops struct plus one entry in the registry table in netdev.c.
 *
 * Receive
 * =======
 *
 * rx_burst() fills a batch with packets whose buffers the netdev owns
 * (ring slots or preallocated buffers: nothing is allocated per packet).
 * They stay valid, and may be modified in place (the executor pushes and
 * pops VLAN tags, rewrites headers), until the next rx_burst() or close on
 * the same netdev.  Each has at least FT_NETDEV_MIN_HEADROOM bytes of
 * headroom.  An 802.1Q/802.1ad tag that the kernel took out of the frame
 * (AF_PACKET reports it beside the frame) is put back in, so the parser
 * sees the frame as it was on the wire.
 *
 * Transmit
 * ========
 *
 * tx() takes a copy of the frame (the caller's buffer changes right after)
 * and queues it; tx_flush() sends what is queued in as few system calls as
 * possible.  A class may send at once from tx() when its queue is full.
 * Frames the device refuses are counted in the stats, never reported per
 * packet.
 *
 * Checksum offload and large frames
 * =================================
 *
 * The "system" class (and "tap", which reads its device through it)
 * exchanges a virtio-net header with the kernel on both of its sockets
 * (PACKET_VNET_HDR): a frame that the sending stack left with a partial
 * TCP, UDP or SCTP checksum (checksum offload between veths, a guest's
 * virtio) or a TCP/UDP super-frame of up to 64 KiB (TSO, GSO, GRO) is
 * received whole, in one piece, and described in 'pkt->offload'
 * (swpath/packet.h).  Sent back out with its header, the kernel completes
 * or segments it only where the device behind cannot take it, or passes
 * it on whole (a veth peer, a guest that negotiated the offloads).  A
 * netdev whose 'tx_offloads' is set takes such frames; for any other
 * port, ft_netdev_tx() segments and completes them in software first
 * (swpath/gso.h), so a DPDK port, a tunnel or the internal port gets
 * ordinary frames.  Where the kernel refuses PACKET_VNET_HDR, or the port
 * has option vnet_hdr=false, the class falls back: partial checksums are
 * completed on receive, and a frame larger than the output device's MTU
 * is refused by the kernel on transmit and counted in 'tx_errors' (turn
 * TSO/GSO off on the peers then, e.g. 'ethtool -K veth0 tso off gso
 * off').
 *
 * Thread-safety: a netdev belongs to one thread (the datapath's).  Classes
 * keep all state in their netdev structs; the registry is a constant table.
 */
#ifndef SWPATH_NETDEV_H
#define SWPATH_NETDEV_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flowtier/error.h"
#include "flowtier/flow.h"
#include "flowtier/port.h"
#include "packet.h"

/* Longest device name, including the NUL (Linux IFNAMSIZ). */
#define FT_NETDEV_NAME_MAX 16

/* Largest frame received or sent. */
#define FT_NETDEV_MAX_FRAME 65536

/* Headroom every received packet has, at least. */
#define FT_NETDEV_MIN_HEADROOM 64

/* A port option, as in the database's Interface options column. */
struct ft_netdev_option {
    const char *key;
    const char *value;
};

/* Port counters, as 'ovs-ofctl dump-ports' shows them, from the switch's
 * point of view: 'rx' is what the datapath received from the device, 'tx'
 * what it sent to it. */
struct ft_netdev_stats {
    uint64_t rx_packets;
    uint64_t rx_bytes;
    uint64_t rx_dropped;        /* Ring full, or no room in the kernel. */
    uint64_t rx_errors;         /* Truncated or unreadable frames. */
    uint64_t tx_packets;
    uint64_t tx_bytes;
    uint64_t tx_dropped;        /* Kernel queue full (EAGAIN, ENOBUFS). */
    uint64_t tx_errors;         /* Refused: too large (EMSGSIZE), device
                                 * down, other errors. */
    uint32_t rx_ring_frames;    /* Slots of the receive ring now (an
                                 * AF_PACKET port's grows after drops),
                                 * 0 if the port has none. */
};

struct ft_netdev_class;

/* An open device.  Classes embed it as the first member of their own
 * struct.  Every field is set by open() and read-only afterwards. */
struct ft_netdev {
    const struct ft_netdev_class *class;
    char name[FT_NETDEV_NAME_MAX];
    int ifindex;                /* Linux ifindex, or 0 if none. */
    bool tx_offloads;           /* tx() takes frames with offloads
                                 * (partial checksums, super-frames). */
};

struct ft_netdev_class {
    /* Type name, as in the database's Interface type column ("system",
     * "tap", "internal"). */
    const char *type;

    /* Opens device 'name' with the 'n_opts' options 'opts' and stores the
     * new netdev in '*netdevp'.  Returns 0, or a negative errno with 'err'
     * filled with a reason that names the device ("port vnet9: no such
     * network device"): -ENODEV if the device does not exist (classes that
     * use an existing device), -EINVAL for a bad or unknown option, other
     * errnos from the kernel.  Must not be NULL. */
    int (*open)(const char *name, const struct ft_netdev_option *opts,
                size_t n_opts, struct ft_netdev **netdevp,
                struct ft_error *err);

    /* Checks the options 'opts' of device 'name' as open() would, without
     * opening anything, quickly: an open that takes long (done in a thread
     * of its own, swpath/netdev-opener.h) can refuse bad options at once.
     * Returns 0 or -EINVAL with 'err' filled.  NULL means no check. */
    int (*check)(const char *name, const struct ft_netdev_option *opts,
                 size_t n_opts, struct ft_error *err);

    /* Closes 'netdev' and frees it, undoing what open() set up on the
     * device (promiscuous mode, a device it created).  Must not be NULL. */
    void (*close)(struct ft_netdev *netdev);

    /* Receives up to FT_PACKET_BATCH_MAX - 'batch->count' packets into
     * 'batch' without blocking; see "Receive" above for their lifetime.
     * Returns the number added (0 if none is waiting) or a negative errno
     * for a device error.  Must not be NULL. */
    int (*rx_burst)(struct ft_netdev *netdev, struct ft_packet_batch *batch);

    /* Queues a copy of 'pkt's frame for transmission; see "Transmit".
     * Returns 0, or a negative errno if the frame was not queued (e.g.
     * -EMSGSIZE above FT_NETDEV_MAX_FRAME); either way the stats count
     * it.  Must not be NULL. */
    int (*tx)(struct ft_netdev *netdev, const struct ft_packet *pkt);

    /* Queues the 'n' packets 'pkts' as 'n' calls of tx(), in order, would
     * (the datapath's outputs of a burst that shares a megaflow), none of
     * them with offloads unless 'tx_offloads' is set.  NULL: the caller
     * calls tx() for each. */
    void (*tx_n)(struct ft_netdev *netdev, struct ft_packet *const pkts[],
                 size_t n);

    /* Sends what tx() queued.  NULL if tx() sends at once. */
    void (*tx_flush)(struct ft_netdev *netdev);

    /* Returns a file descriptor that polls readable (EPOLLIN) when
     * rx_burst() would return packets, or -1 if the device must be polled
     * by calling rx_burst().  NULL means -1. */
    int (*get_fd)(const struct ft_netdev *netdev);

    /* Stores the counters of 'netdev' in '*stats'.  Returns 0 or a negative
     * errno.  Must not be NULL. */
    int (*get_stats)(struct ft_netdev *netdev, struct ft_netdev_stats *);

    /* Stores the device's Ethernet address in '*mac'.  Returns 0 or a
     * negative errno.  NULL means -EOPNOTSUPP. */
    int (*get_mac)(const struct ft_netdev *netdev, struct ft_eth_addr *mac);

    /* Adds to '*id', which ft_netdev_get_identity() filled with the name,
     * the type, the ifindex and, for a Linux device, its e-switch identity
     * (switch id, phys_port_name), what only the class knows (a DPDK port
     * id).  NULL if the class has nothing to add. */
    void (*get_identity)(const struct ft_netdev *netdev,
                         struct ft_port_identity *id);

    /* Makes 'netdev' receive what Linux device 'ifindex' receives instead
     * of what its own device receives (0: its own again); transmission
     * stays on its own device.  The kernel TC tier uses it: a port's
     * misses are redirected by a last TC rule to a device of FlowTier's
     * (a slow-path device), so that the packets TC rules handle never
     * reach the datapath.  Returns 0 or a negative errno with 'err'
     * filled.  NULL means -EOPNOTSUPP. */
    int (*set_rx_device)(struct ft_netdev *netdev, int ifindex,
                         struct ft_error *err);
};

/* The classes built in (see the registry table in netdev.c). */
extern const struct ft_netdev_class ft_netdev_afpacket_class;  /* system */
extern const struct ft_netdev_class ft_netdev_tap_class;       /* tap */
extern const struct ft_netdev_class ft_netdev_internal_class;  /* internal */
extern const struct ft_netdev_class ft_netdev_dpdk_class;      /* dpdk */
extern const struct ft_netdev_class ft_netdev_vxlan_class;     /* vxlan */
extern const struct ft_netdev_class ft_netdev_afxdp_class;     /* afxdp */

/* Returns the class whose type is 'type', or NULL if there is none. */
const struct ft_netdev_class *ft_netdev_class_lookup(const char *type);

/* Opens device 'name' of type 'type' (NULL or "" means "system").
 * Returns 0 with '*netdevp' set, -EOPNOTSUPP with a reason for a type no
 * class implements, or what the class's open() returns.  'err' may be
 * NULL. */
int ft_netdev_open(const char *name, const char *type,
                   const struct ft_netdev_option *opts, size_t n_opts,
                   struct ft_netdev **netdevp, struct ft_error *err);

/* Checks the options of device 'name' of type 'type' without opening it
 * (the class's check()).  Returns 0, or what ft_netdev_open() would return
 * for a bad name, type or option, with 'err' (may be NULL) filled. */
int ft_netdev_check(const char *name, const char *type,
                    const struct ft_netdev_option *opts, size_t n_opts,
                    struct ft_error *err);

/* Closes 'netdev'.  NULL is a no-op. */
void ft_netdev_close(struct ft_netdev *netdev);

/* Returns the value of option 'key' among 'opts', or NULL. */
const char *ft_netdev_option_find(const struct ft_netdev_option *opts,
                                  size_t n_opts, const char *key);

/* Checks that every key in 'opts' is among the NULL-terminated 'known'.
 * Returns 0, or -EINVAL with a reason naming 'name' and the option. */
int ft_netdev_options_check(const char *name, const char *type,
                            const struct ft_netdev_option *opts,
                            size_t n_opts, const char *const known[],
                            struct ft_error *err);

static inline int
ft_netdev_rx_burst(struct ft_netdev *netdev, struct ft_packet_batch *batch)
{
    return netdev->class->rx_burst(netdev, batch);
}

/* Segments or completes in software the frame 'pkt', which carries
 * offloads, and queues the resulting frames on 'netdev' (see "Checksum
 * offload and large frames").  Returns 0, the first error tx() returned,
 * or the error of ft_gso_apply() (swpath/gso.h) for a frame whose offload
 * does not fit its headers, which is counted nowhere else. */
int ft_netdev_tx_soft(struct ft_netdev *netdev, const struct ft_packet *pkt);

/* Queues 'pkt' on 'netdev' (see the tx() member), segmenting it or
 * completing its checksum first if it carries offloads the port does not
 * take. */
static inline int
ft_netdev_tx(struct ft_netdev *netdev, const struct ft_packet *pkt)
{
    if (ft_packet_has_offload(pkt) && !netdev->tx_offloads) {
        return ft_netdev_tx_soft(netdev, pkt);
    }
    return netdev->class->tx(netdev, pkt);
}

/* Queues the 'n' packets 'pkts' on 'netdev' as 'n' calls of
 * ft_netdev_tx() would, through one call of the class where it can take a
 * burst. */
static inline void
ft_netdev_tx_n(struct ft_netdev *netdev, struct ft_packet *const pkts[],
               size_t n)
{
    bool soft = false;

    if (netdev->class->tx_n) {
        for (size_t i = 0; i < n && !netdev->tx_offloads; i++) {
            soft |= ft_packet_has_offload(pkts[i]);
        }
        if (!soft) {
            netdev->class->tx_n(netdev, pkts, n);
            return;
        }
    }
    for (size_t i = 0; i < n; i++) {
        ft_netdev_tx(netdev, pkts[i]);
    }
}

static inline void
ft_netdev_tx_flush(struct ft_netdev *netdev)
{
    if (netdev->class->tx_flush) {
        netdev->class->tx_flush(netdev);
    }
}

static inline int
ft_netdev_get_fd(const struct ft_netdev *netdev)
{
    return netdev->class->get_fd ? netdev->class->get_fd(netdev) : -1;
}

static inline int
ft_netdev_get_stats(struct ft_netdev *netdev, struct ft_netdev_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    return netdev->class->get_stats(netdev, stats);
}

static inline int
ft_netdev_get_mac(const struct ft_netdev *netdev, struct ft_eth_addr *mac)
{
    return (netdev->class->get_mac
            ? netdev->class->get_mac(netdev, mac) : -EOPNOTSUPP);
}

/* See 'set_rx_device' in struct ft_netdev_class. */
static inline int
ft_netdev_set_rx_device(struct ft_netdev *netdev, int ifindex,
                        struct ft_error *err)
{
    return (netdev->class->set_rx_device
            ? netdev->class->set_rx_device(netdev, ifindex, err)
            : ft_error_set(err, -EOPNOTSUPP, "port %s: a port of type %s "
                           "cannot receive from another device",
                           netdev->name, netdev->class->type));
}

/* Stores what an offload provider needs to know about 'netdev' in '*id'
 * (flowtier/port.h), 'port_no' included. */
void ft_netdev_get_identity(const struct ft_netdev *netdev,
                            ft_port_no port_no, struct ft_port_identity *id);

/* Adds to '*id' the embedded switch of the Linux device 'name', from
 * sysfs: its phys_switch_id (left empty on a device on no e-switch) and
 * phys_port_name.  For a datapath whose ports are kernel devices it
 * does not open as netdevs (the kernel module's). */
void ft_netdev_get_switch_identity(const char *name,
                                   struct ft_port_identity *id);

/* Helpers shared by the Linux classes (netdev.c). */

/* Returns the ifindex of device 'name', or -ENODEV. */
int ft_netdev_linux_ifindex(const char *name);

/* Reads the Ethernet address of device 'name'.  Returns 0 or -errno. */
int ft_netdev_linux_get_mac(const char *name, struct ft_eth_addr *mac);

/* Sets the Ethernet address of device 'name'.  Returns 0 or -errno. */
int ft_netdev_linux_set_mac(const char *name, struct ft_eth_addr mac);

/* Brings device 'name' administratively up.  Returns 0 or -errno. */
int ft_netdev_linux_set_up(const char *name);

/* Reads the IFF_* flags of device 'name' into '*flags'.  Returns 0 or
 * -errno. */
int ft_netdev_linux_get_flags(const char *name, unsigned int *flags);

/* Reads the name of the driver of device 'name' ("veth", "mlx5_core")
 * into 'buf'.  Returns 0 or -errno. */
int ft_netdev_linux_get_driver(const char *name, char *buf, size_t size);

/* Reads (into '*on') or sets whether device 'name' does generic receive
 * offload.  Return 0 or -errno (-EOPNOTSUPP: the device kept its
 * setting). */
int ft_netdev_linux_get_gro(const char *name, bool *on);
int ft_netdev_linux_set_gro(const char *name, bool on);

/* Parses 'xx:xx:xx:xx:xx:xx' into '*mac'.  Returns 0 or -EINVAL. */
int ft_netdev_parse_mac(const char *s, struct ft_eth_addr *mac);

/* Completes a partial (offloaded) TCP, UDP or SCTP checksum of the parsed
 * packet 'pkt' in software, as the device that would have offloaded it.
 * Returns 0, or -EINVAL if 'pkt' has no such L4 header. */
int ft_netdev_complete_csum(struct ft_packet *pkt);

#endif /* swpath/netdev.h */

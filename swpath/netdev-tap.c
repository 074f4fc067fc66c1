/*
 * netdev-tap.c - the "tap" and "internal" port classes: tap devices that
 * FlowTier creates through /dev/net/tun (IFF_TAP | IFF_NO_PI).
 *
 * "internal": a port of the host's own stack: the bridge's own port
 * (named like the bridge), or more of them (ovs-vsctl add-port BR NAME --
 * set Interface NAME type=internal).  FlowTier
 * holds the tap's file descriptor: what the host stack sends out of the
 * device is read from it (rx), what the switch outputs to the port is
 * written to it (and so received by the host stack).  The device exists as
 * long as the port does.  One read() or write() per frame: this port
 * carries the host's own traffic, not the guests'.
 *
 * "tap": a tap for a QEMU guest ('-netdev tap,ifname=NAME,script=no,
 * downscript=no').  QEMU opens /dev/net/tun and attaches to the device by
 * name, so FlowTier must not hold a queue of it: a single-queue tap takes
 * one file descriptor only, and IFF_MULTI_QUEUE would have to be used by
 * QEMU too (it uses it only with queues=N).  So the tap is created
 * persistent (TUNSETPERSIST) and its descriptor closed at once; FlowTier
 * switches its frames through the "system" class (AF_PACKET ring):
 * frames the guest writes are what the device receives, and frames sent
 * on the device go to the guest.  With virtio-net headers on that class's
 * sockets (option vnet_hdr, default true), a guest whose QEMU opened the
 * tap with IFF_VNET_HDR and enabled offloads (TUNSETOFFLOAD, as virtio-net
 * does) sends its TSO super-frames and partial checksums through the
 * switch whole, and receives them whole; the kernel segments or completes
 * them on the way to a guest that did not enable the offloads.  Until a guest attaches, the device has
 * no carrier and frames sent to it are dropped by the kernel.  An existing
 * device of that name is used as it is.  When the port is deleted, a tap
 * FlowTier created is made non-persistent (so it disappears), unless a
 * guest still holds it: then it is left for the guest.
 *
 * A persistent tap outlives a daemon killed with SIGKILL.  So that the
 * next daemon knows the device as its own and removes it in turn, a tap
 * FlowTier creates carries the interface alias TAP_ALIAS (written and
 * read through /sys/class/net/NAME/ifalias, as 'ip link set NAME alias'
 * does); a device of that name found with that alias is taken as
 * created by FlowTier, any other is the user's and is never removed.
 */
#include "netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define TAP_ALIAS "flowtier-tap: created by flowtierd for a tap port"
#define BATCH FT_PACKET_BATCH_MAX
#define TAP_BUF_SIZE (FT_PACKET_HEADROOM + FT_NETDEV_MAX_FRAME)

/* Opens /dev/net/tun and attaches it to tap 'name' (creating the device if
 * needed).  Returns the descriptor or a negative errno with 'err' set. */
static int
tap_open_tun(const char *name, bool nonblock, struct ft_error *err)
{
    struct ifreq ifr;
    int fd, error;

    fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | (nonblock ? O_NONBLOCK
                                                            : 0));
    if (fd < 0) {
        error = -errno;
        return ft_error_set(err, error, "port %s: cannot open /dev/net/tun: "
                            "%s", name, strerror(-error));
    }
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        error = -errno;
        close(fd);
        return ft_error_set(err, error,
                            "port %s: cannot create or attach to the tap "
                            "device: %s%s", name, strerror(-error),
                            error == -EBUSY
                            ? " (another process holds it)"
                            : error == -EINVAL
                            ? " (a device of that name exists and is not "
                              "a single-queue tap)" : "");
    }
    return fd;
}

/* "tap". */

/* Writes (if 'set') or compares with TAP_ALIAS the alias of device
 * 'name'.  Returns true if it was written or matched. */
static bool
tap_alias(const char *name, bool set)
{
    char path[64 + IFNAMSIZ], buf[sizeof TAP_ALIAS + 1];
    bool ok = false;
    FILE *f;

    snprintf(path, sizeof path, "/sys/class/net/%s/ifalias", name);
    f = fopen(path, set ? "we" : "re");
    if (!f) {
        return false;
    }
    if (set) {
        ok = fputs(TAP_ALIAS "\n", f) >= 0;
    } else if (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = '\0';
        ok = !strcmp(buf, TAP_ALIAS);
    }
    ok = !fclose(f) && ok;
    return ok;
}

struct tap_netdev {
    struct ft_netdev up;
    struct ft_netdev *ring;     /* "system" netdev on the same device. */
    bool created;               /* We made the persistent device. */
};

static struct tap_netdev *
tap_cast(const struct ft_netdev *netdev)
{
    return (struct tap_netdev *) netdev;
}

/* Makes the persistent tap 'name' non-persistent, so that it disappears
 * once nobody holds it.  Fails (leaving it) if a guest holds it. */
static void
tap_unpersist(const char *name)
{
    int fd = tap_open_tun(name, true, NULL);

    if (fd >= 0) {
        ioctl(fd, TUNSETPERSIST, 0);
        close(fd);
    }
}

static void
tap_close(struct ft_netdev *netdev)
{
    struct tap_netdev *dev = tap_cast(netdev);

    ft_netdev_close(dev->ring);
    if (dev->created) {
        tap_unpersist(dev->up.name);
    }
    free(dev);
}

static int
tap_open(const char *name, const struct ft_netdev_option *opts,
         size_t n_opts, struct ft_netdev **netdevp, struct ft_error *err)
{
    static const char *const known[] = { "vnet_hdr", NULL };
    struct tap_netdev *dev;
    int error;

    error = ft_netdev_options_check(name, "tap", opts, n_opts, known, err);
    if (error) {
        return error;
    }
    dev = calloc(1, sizeof *dev);
    if (!dev) {
        return ft_error_set(err, -ENOMEM, "port %s: out of memory", name);
    }
    dev->up.class = &ft_netdev_tap_class;
    snprintf(dev->up.name, sizeof dev->up.name, "%s", name);

    if (ft_netdev_linux_ifindex(name) < 0) {
        int fd = tap_open_tun(name, true, err);

        if (fd < 0) {
            free(dev);
            return fd;
        }
        if (ioctl(fd, TUNSETPERSIST, 1) < 0) {
            error = -errno;
            close(fd);
            free(dev);
            return ft_error_set(err, error, "port %s: cannot make the tap "
                                "persistent: %s", name, strerror(-error));
        }
        close(fd);
        dev->created = true;
        tap_alias(name, true);
    } else {
        /* Left by a daemon killed before it could remove it? */
        dev->created = tap_alias(name, false);
    }

    error = ft_netdev_open(name, "system", opts, n_opts, &dev->ring, err);
    if (error) {
        tap_close(&dev->up);
        return error;
    }
    dev->up.ifindex = dev->ring->ifindex;
    dev->up.tx_offloads = dev->ring->tx_offloads;
    *netdevp = &dev->up;
    return 0;
}

static int
tap_rx_burst(struct ft_netdev *netdev, struct ft_packet_batch *batch)
{
    return ft_netdev_rx_burst(tap_cast(netdev)->ring, batch);
}

static int
tap_tx(struct ft_netdev *netdev, const struct ft_packet *pkt)
{
    return ft_netdev_tx(tap_cast(netdev)->ring, pkt);
}

static void
tap_tx_flush(struct ft_netdev *netdev)
{
    ft_netdev_tx_flush(tap_cast(netdev)->ring);
}

static int
tap_get_fd(const struct ft_netdev *netdev)
{
    return ft_netdev_get_fd(tap_cast(netdev)->ring);
}

static int
tap_get_stats(struct ft_netdev *netdev, struct ft_netdev_stats *stats)
{
    return ft_netdev_get_stats(tap_cast(netdev)->ring, stats);
}

static int
tap_get_mac(const struct ft_netdev *netdev, struct ft_eth_addr *mac)
{
    return ft_netdev_linux_get_mac(netdev->name, mac);
}

const struct ft_netdev_class ft_netdev_tap_class = {
    .type = "tap",
    .open = tap_open,
    .close = tap_close,
    .rx_burst = tap_rx_burst,
    .tx = tap_tx,
    .tx_flush = tap_tx_flush,
    .get_fd = tap_get_fd,
    .get_stats = tap_get_stats,
    .get_mac = tap_get_mac,
};

/* "internal". */

struct internal_netdev {
    struct ft_netdev up;
    int fd;
    uint8_t *bufs;              /* BATCH buffers of TAP_BUF_SIZE. */
    struct ft_packet pkts[BATCH];
    struct ft_netdev_stats stats;
};

static struct internal_netdev *
internal_cast(const struct ft_netdev *netdev)
{
    return (struct internal_netdev *) netdev;
}

static void
internal_close(struct ft_netdev *netdev)
{
    struct internal_netdev *dev = internal_cast(netdev);

    if (dev->fd >= 0) {
        close(dev->fd);
    }
    free(dev->bufs);
    free(dev);
}

static int
internal_open(const char *name, const struct ft_netdev_option *opts,
              size_t n_opts, struct ft_netdev **netdevp,
              struct ft_error *err)
{
    static const char *const known[] = { "mac", NULL };
    const char *mac_s = ft_netdev_option_find(opts, n_opts, "mac");
    struct internal_netdev *dev;
    struct ft_eth_addr mac;
    int error;

    error = ft_netdev_options_check(name, "internal", opts, n_opts, known,
                                    err);
    if (error) {
        return error;
    }
    if (mac_s && (ft_netdev_parse_mac(mac_s, &mac)
                  || ft_eth_addr_is_multicast(mac)
                  || ft_eth_addr_is_zero(mac))) {
        return ft_error_set(err, -EINVAL, "port %s: option mac=%s is not a "
                            "unicast Ethernet address", name, mac_s);
    }

    dev = calloc(1, sizeof *dev);
    if (!dev) {
        return ft_error_set(err, -ENOMEM, "port %s: out of memory", name);
    }
    dev->up.class = &ft_netdev_internal_class;
    snprintf(dev->up.name, sizeof dev->up.name, "%s", name);
    dev->fd = -1;
    dev->bufs = malloc((size_t) BATCH * TAP_BUF_SIZE);
    if (!dev->bufs) {
        error = ft_error_set(err, -ENOMEM, "port %s: out of memory", name);
        goto error;
    }

    dev->fd = tap_open_tun(name, true, err);
    if (dev->fd < 0) {
        error = dev->fd;
        goto error;
    }
    if (mac_s) {
        error = ft_netdev_linux_set_mac(name, mac);
        if (error) {
            ft_error_set(err, error, "port %s: cannot set mac=%s: %s",
                         name, mac_s, strerror(-error));
            goto error;
        }
    }
    error = ft_netdev_linux_set_up(name);
    if (error) {
        ft_error_set(err, error, "port %s: cannot bring the device up: %s",
                     name, strerror(-error));
        goto error;
    }
    dev->up.ifindex = ft_netdev_linux_ifindex(name);
    if (dev->up.ifindex < 0) {
        dev->up.ifindex = 0;
    }
    *netdevp = &dev->up;
    return 0;

error:
    internal_close(&dev->up);
    return error;
}

static int
internal_rx_burst(struct ft_netdev *netdev, struct ft_packet_batch *batch)
{
    struct internal_netdev *dev = internal_cast(netdev);
    int n = 0;

    while (batch->count < FT_PACKET_BATCH_MAX) {
        struct ft_packet *pkt = &dev->pkts[n];
        uint8_t *buf = dev->bufs + (size_t) n * TAP_BUF_SIZE;
        ssize_t len;

        len = read(dev->fd, buf + FT_PACKET_HEADROOM, FT_NETDEV_MAX_FRAME);
        if (len < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN) {
                dev->stats.rx_errors++;
            }
            break;
        }
        ft_packet_init(pkt, buf, FT_PACKET_HEADROOM + len,
                       FT_PACKET_HEADROOM);
        pkt->size = len;
        dev->stats.rx_packets++;
        dev->stats.rx_bytes += len;
        batch->packets[batch->count++] = pkt;
        n++;
    }
    return n;
}

static int
internal_tx(struct ft_netdev *netdev, const struct ft_packet *pkt)
{
    struct internal_netdev *dev = internal_cast(netdev);
    ssize_t n;

    do {
        n = write(dev->fd, ft_packet_data(pkt), pkt->size);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        int error = -errno;

        if (error == -EAGAIN || error == -ENOBUFS) {
            dev->stats.tx_dropped++;
        } else {
            dev->stats.tx_errors++;
        }
        return error;
    }
    dev->stats.tx_packets++;
    dev->stats.tx_bytes += pkt->size;
    return 0;
}

static int
internal_get_fd(const struct ft_netdev *netdev)
{
    return internal_cast(netdev)->fd;
}

static int
internal_get_stats(struct ft_netdev *netdev, struct ft_netdev_stats *stats)
{
    *stats = internal_cast(netdev)->stats;
    return 0;
}

static int
internal_get_mac(const struct ft_netdev *netdev, struct ft_eth_addr *mac)
{
    return ft_netdev_linux_get_mac(netdev->name, mac);
}

const struct ft_netdev_class ft_netdev_internal_class = {
    .type = "internal",
    .open = internal_open,
    .close = internal_close,
    .rx_burst = internal_rx_burst,
    .tx = internal_tx,
    .tx_flush = NULL,
    .get_fd = internal_get_fd,
    .get_stats = internal_get_stats,
    .get_mac = internal_get_mac,
};

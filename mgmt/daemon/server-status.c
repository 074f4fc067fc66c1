/*
 * server-status.c - the running switch's status of each interface, as the
 * OVSDB endpoint's Interface table shows it (mgmt/ovsdb/ovsdb.h,
 * ft_ovsdb_status_fn): the datapath's counters of every open port under
 * Open vSwitch's "statistics" names, and for ports that are kernel
 * devices (system, internal, tap, afxdp) the device's ifindex, MTU, MAC
 * address and state; and for an interface that could not be opened (or
 * runs degraded) the reason, in "error".  libvirt reads "statistics" for
 * a guest's vhost-user interface (for a tap, it reads the kernel's
 * counters).
 *
 * Part of flowtierd's management plane; reads the running bridges and
 * asks the kernel about devices (ioctl on a datagram socket); changes
 * nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mgmt/daemon/server-private.h"
#include "swpath/netdev.h"

/* Port types whose interface is a kernel network device of its name. */
static bool
is_kernel_device(const char *type)
{
    static const char *const types[] = { "system", "internal", "tap",
                                         "afxdp" };

    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (!strcmp(type, types[i])) {
            return true;
        }
    }
    return false;
}

/* Adds the device's driver (OVS's status key driver_name) and whether it
 * does generic receive offload (swpath/netdev-afpacket.c turns it on in
 * a veth port) to 'status'. */
static void
device_ethtool_status(const char *name, json_t *status)
{
    char driver[64];
    bool gro;

    if (!ft_netdev_linux_get_driver(name, driver, sizeof driver)
        && driver[0]) {
        json_object_set_new(status, "driver_name", json_string(driver));
    }
    if (!ft_netdev_linux_get_gro(name, &gro)) {
        json_object_set_new(status, "gro", json_string(gro ? "true"
                                                            : "false"));
    }
}

/* Adds what the kernel says of device 'name' to 'st' and 'status';
 * nothing if it cannot be asked (the device went since the port was
 * listed). */
static void
device_status(int sock, const char *name, json_t *st, json_t *status)
{
    struct ifreq ifr;
    char mac[18];
    unsigned int ifindex = if_nametoindex(name);
    const unsigned char *a;

    if (!ifindex || strlen(name) >= sizeof ifr.ifr_name) {
        return;
    }
    json_object_set_new(st, "ifindex", json_integer(ifindex));
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, name);
    if (!ioctl(sock, SIOCGIFFLAGS, &ifr)) {
        bool up = ifr.ifr_flags & IFF_UP;

        json_object_set_new(st, "admin_state", json_string(up ? "up"
                                                           : "down"));
        json_object_set_new(st, "link_state",
                            json_string(up && (ifr.ifr_flags & IFF_RUNNING)
                                        ? "up" : "down"));
    }
    if (!ioctl(sock, SIOCGIFMTU, &ifr)) {
        json_object_set_new(st, "mtu", json_integer(ifr.ifr_mtu));
    }
    if (!ioctl(sock, SIOCGIFHWADDR, &ifr)) {
        a = (const unsigned char *) ifr.ifr_hwaddr.sa_data;
        snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x",
                 a[0], a[1], a[2], a[3], a[4], a[5]);
        json_object_set_new(st, "mac_in_use", json_string(mac));
    }
    device_ethtool_status(name, status);
}

struct status_ctx {
    json_t *out;
    int sock;
};

static void
port_status_cb(const struct ft_bridge_port_stats *p, void *ctx_)
{
    struct status_ctx *ctx = ctx_;
    json_t *st = json_object();
    json_t *status = json_object();

    json_object_set_new(st, "statistics", json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
        "rx_packets", (json_int_t) p->rx_packets,
        "rx_bytes", (json_int_t) p->rx_bytes,
        "rx_dropped", (json_int_t) p->rx_dropped,
        "rx_errors", (json_int_t) p->rx_errors,
        "tx_packets", (json_int_t) p->tx_packets,
        "tx_bytes", (json_int_t) p->tx_bytes,
        "tx_dropped", (json_int_t) p->tx_dropped,
        "tx_errors", (json_int_t) p->tx_errors));
    if (ctx->sock >= 0 && is_kernel_device(p->type)) {
        device_status(ctx->sock, p->name, st, status);
    }
    if (p->rx_ring_frames) {
        char frames[16];

        snprintf(frames, sizeof frames, "%"PRIu32, p->rx_ring_frames);
        json_object_set_new(status, "rx_ring_frames", json_string(frames));
    }
    if (json_object_size(status)) {
        json_object_set_new(st, "status", status);
    } else {
        json_decref(status);
    }
    json_object_set_new(ctx->out, p->name, st);
}

/* Why each interface that is not open (or runs degraded) is so, as the
 * CLI's `get Interface NAME error` says it. */
static void
error_status(const struct ft_server *s, json_t *out)
{
    const struct ft_db_row *row;
    size_t idx;

    FT_DB_FOR_EACH (row, idx, s->db, FT_DB_INTERFACE) {
        const char *name = ft_db_row_name(row);
        const char *error = srv_iface_error(s, name);
        json_t *st;

        if (!error) {
            continue;
        }
        st = json_object_get(out, name);
        if (!st) {
            st = json_object();
            json_object_set_new(out, name, st);
        }
        json_object_set_new(st, "error", json_string(error));
    }
}

json_t *
ft_server_iface_status(void *server_)
{
    struct ft_server *s = server_;
    struct status_ctx ctx;

    ctx.out = json_object();
    ctx.sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    for (size_t i = 0; i < s->n_bridges; i++) {
        ft_bridge_dump_ports(s->bridges[i]->br, port_status_cb, &ctx);
    }
    if (ctx.sock >= 0) {
        close(ctx.sock);
    }
    error_status(s, ctx.out);
    return ctx.out;
}

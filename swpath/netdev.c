/*
 * netdev.c - the port class registry and helpers the Linux classes share.
 *
 * The registry is a constant table: a new class (DPDK ethdev, VXLAN) is one
 * entry below.  The helpers do device ioctls (ifindex, flags, MAC) through
 * a short-lived socket, finish offloaded checksums in software, and hand a
 * port that cannot take offloads its frames segmented (gso.c).  No
 * state lives here.
 */
#include "netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "execute.h"
#include "gso.h"

static const struct ft_netdev_class *const netdev_classes[] = {
    &ft_netdev_afpacket_class,
    &ft_netdev_tap_class,
    &ft_netdev_internal_class,
    &ft_netdev_dpdk_class,
    &ft_netdev_vxlan_class,
    &ft_netdev_afxdp_class,
};

#define N_NETDEV_CLASSES (sizeof netdev_classes / sizeof netdev_classes[0])

const struct ft_netdev_class *
ft_netdev_class_lookup(const char *type)
{
    for (size_t i = 0; i < N_NETDEV_CLASSES; i++) {
        if (!strcmp(netdev_classes[i]->type, type)) {
            return netdev_classes[i];
        }
    }
    return NULL;
}

/* Checks 'name' and finds the class of 'type' in '*classp'.  Returns 0,
 * or -EINVAL or -EOPNOTSUPP with 'err' filled. */
static int
netdev_lookup(const char *name, const char *type,
              const struct ft_netdev_class **classp, struct ft_error *err)
{
    const struct ft_netdev_class *class;
    char known[128] = "";

    if (!name || !name[0] || strlen(name) >= FT_NETDEV_NAME_MAX
        || strchr(name, '/') || strchr(name, ' ')) {
        return ft_error_set(err, -EINVAL,
                            "port %s: invalid device name (1 to %d "
                            "characters, no '/' or spaces)",
                            name ? name : "(null)", FT_NETDEV_NAME_MAX - 1);
    }
    if (!type || !type[0]) {
        type = "system";
    }
    class = ft_netdev_class_lookup(type);
    if (!class) {
        for (size_t i = 0; i < N_NETDEV_CLASSES; i++) {
            size_t len = strlen(known);

            snprintf(known + len, sizeof known - len, "%s%s",
                     i ? ", " : "", netdev_classes[i]->type);
        }
        return ft_error_set(err, -EOPNOTSUPP,
                            "port %s: interface type '%s' is not supported "
                            "by the userspace datapath (supported: %s)",
                            name, type, known);
    }
    *classp = class;
    return 0;
}

int
ft_netdev_check(const char *name, const char *type,
                const struct ft_netdev_option *opts, size_t n_opts,
                struct ft_error *err)
{
    const struct ft_netdev_class *class = NULL;
    int error = netdev_lookup(name, type, &class, err);

    return (error ? error
            : class->check ? class->check(name, opts, n_opts, err) : 0);
}

int
ft_netdev_open(const char *name, const char *type,
               const struct ft_netdev_option *opts, size_t n_opts,
               struct ft_netdev **netdevp, struct ft_error *err)
{
    const struct ft_netdev_class *class = NULL;
    int error;

    *netdevp = NULL;
    error = netdev_lookup(name, type, &class, err);
    return error ? error : class->open(name, opts, n_opts, netdevp, err);
}

void
ft_netdev_close(struct ft_netdev *netdev)
{
    if (netdev) {
        netdev->class->close(netdev);
    }
}

const char *
ft_netdev_option_find(const struct ft_netdev_option *opts, size_t n_opts,
                      const char *key)
{
    for (size_t i = 0; i < n_opts; i++) {
        if (opts[i].key && !strcmp(opts[i].key, key)) {
            return opts[i].value;
        }
    }
    return NULL;
}

int
ft_netdev_options_check(const char *name, const char *type,
                        const struct ft_netdev_option *opts, size_t n_opts,
                        const char *const known[], struct ft_error *err)
{
    for (size_t i = 0; i < n_opts; i++) {
        bool found = false;

        for (size_t j = 0; known[j]; j++) {
            if (opts[i].key && !strcmp(opts[i].key, known[j])) {
                found = true;
                break;
            }
        }
        if (!found) {
            return ft_error_set(err, -EINVAL,
                                "port %s: unknown option '%s' for type %s",
                                name, opts[i].key ? opts[i].key : "(null)",
                                type);
        }
    }
    return 0;
}

int
ft_netdev_linux_ifindex(const char *name)
{
    unsigned int ifindex = if_nametoindex(name);

    return ifindex ? (int) ifindex : -ENODEV;
}

/* Runs ioctl 'cmd' on 'ifr' (whose name is set from 'name') through a
 * short-lived socket.  Returns 0 or -errno. */
static int
netdev_ioctl(const char *name, unsigned long cmd, struct ifreq *ifr)
{
    int fd, error = 0;

    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    snprintf(ifr->ifr_name, sizeof ifr->ifr_name, "%s", name);
    if (ioctl(fd, cmd, ifr) < 0) {
        error = -errno;
    }
    close(fd);
    return error;
}

int
ft_netdev_linux_get_mac(const char *name, struct ft_eth_addr *mac)
{
    struct ifreq ifr;
    int error;

    memset(&ifr, 0, sizeof ifr);
    error = netdev_ioctl(name, SIOCGIFHWADDR, &ifr);
    if (!error) {
        memcpy(mac->ea, ifr.ifr_hwaddr.sa_data, FT_ETH_ALEN);
    }
    return error;
}

int
ft_netdev_linux_set_mac(const char *name, struct ft_eth_addr mac)
{
    struct ifreq ifr;

    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_hwaddr.sa_family = 1;       /* ARPHRD_ETHER */
    memcpy(ifr.ifr_hwaddr.sa_data, mac.ea, FT_ETH_ALEN);
    return netdev_ioctl(name, SIOCSIFHWADDR, &ifr);
}

int
ft_netdev_linux_get_flags(const char *name, unsigned int *flags)
{
    struct ifreq ifr;
    int error;

    memset(&ifr, 0, sizeof ifr);
    error = netdev_ioctl(name, SIOCGIFFLAGS, &ifr);
    if (!error) {
        *flags = (unsigned short) ifr.ifr_flags;
    }
    return error;
}

int
ft_netdev_linux_set_up(const char *name)
{
    struct ifreq ifr;
    int error;

    memset(&ifr, 0, sizeof ifr);
    error = netdev_ioctl(name, SIOCGIFFLAGS, &ifr);
    if (error || ifr.ifr_flags & IFF_UP) {
        return error;
    }
    ifr.ifr_flags |= IFF_UP;
    return netdev_ioctl(name, SIOCSIFFLAGS, &ifr);
}

/* Runs ethtool command 'data' (its first member is the command) on
 * device 'name'.  Returns 0 or -errno. */
static int
netdev_ethtool(const char *name, void *data)
{
    struct ifreq ifr;

    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_data = data;
    return netdev_ioctl(name, SIOCETHTOOL, &ifr);
}

int
ft_netdev_linux_get_driver(const char *name, char *buf, size_t size)
{
    struct ethtool_drvinfo info;
    int error;

    memset(&info, 0, sizeof info);
    info.cmd = ETHTOOL_GDRVINFO;
    error = netdev_ethtool(name, &info);
    if (!error) {
        snprintf(buf, size, "%.*s", (int) sizeof info.driver, info.driver);
    }
    return error;
}

int
ft_netdev_linux_get_gro(const char *name, bool *on)
{
    struct ethtool_value v = { .cmd = ETHTOOL_GGRO };
    int error = netdev_ethtool(name, &v);

    if (!error) {
        *on = v.data != 0;
    }
    return error;
}

int
ft_netdev_linux_set_gro(const char *name, bool on)
{
    struct ethtool_value v = { .cmd = ETHTOOL_SGRO, .data = on };
    bool now;
    int error = netdev_ethtool(name, &v);

    /* A device may keep GRO off (the kernel drops a wanted feature the
     * device cannot have) without failing the request: then the wanted
     * setting goes back to what the device has. */
    if (!error && !ft_netdev_linux_get_gro(name, &now) && now != on) {
        v.data = now;
        netdev_ethtool(name, &v);
        error = -EOPNOTSUPP;
    }
    return error;
}

int
ft_netdev_parse_mac(const char *s, struct ft_eth_addr *mac)
{
    unsigned int b[FT_ETH_ALEN];
    int n = 0;

    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3],
               &b[4], &b[5], &n) != 6 || s[n]) {
        return -EINVAL;
    }
    for (int i = 0; i < FT_ETH_ALEN; i++) {
        mac->ea[i] = b[i];
    }
    return 0;
}

/* One's complement sum of 'len' bytes at 'p' (big-endian 16-bit words),
 * added to 'sum', not folded. */
static uint32_t
csum_add_bytes(uint32_t sum, const uint8_t *p, size_t len)
{
    while (len >= 2) {
        sum += (uint32_t) (p[0] << 8 | p[1]);
        p += 2;
        len -= 2;
    }
    if (len) {
        sum += (uint32_t) p[0] << 8;
    }
    return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t) ~sum;
}

int
ft_netdev_complete_csum(struct ft_packet *pkt)
{
    uint8_t *data = ft_packet_data(pkt);
    uint8_t *l3, *l4;
    uint32_t l4_len, sum = 0;
    size_t check_ofs;
    uint16_t csum;

    if (!ft_packet_has_l3(pkt) || !ft_packet_has_l4(pkt)) {
        return -EINVAL;
    }
    l3 = data + pkt->l3_ofs;
    l4 = data + pkt->l4_ofs;
    l4_len = pkt->l4_end - pkt->l4_ofs;

    if (pkt->l4_proto == FT_IPPROTO_SCTP) {
        uint32_t crc;

        if (l4_len < 12) {
            return -EINVAL;
        }
        memset(l4 + 8, 0, 4);
        crc = ft_execute_crc32c(0, l4, l4_len);
        l4[8] = crc;
        l4[9] = crc >> 8;
        l4[10] = crc >> 16;
        l4[11] = crc >> 24;
        return 0;
    }
    if (pkt->l4_proto == FT_IPPROTO_TCP && l4_len >= 20) {
        check_ofs = 16;
    } else if (pkt->l4_proto == FT_IPPROTO_UDP && l4_len >= 8) {
        check_ofs = 6;
    } else {
        return -EINVAL;
    }

    /* Pseudo-header. */
    if (pkt->eth_type == FT_ETH_TYPE_IP) {
        sum = csum_add_bytes(sum, l3 + 12, 8);
    } else {
        sum = csum_add_bytes(sum, l3 + 8, 32);
    }
    sum += pkt->l4_proto;
    sum += l4_len & 0xffff;
    sum += l4_len >> 16;

    l4[check_ofs] = l4[check_ofs + 1] = 0;
    sum = csum_add_bytes(sum, l4, l4_len);
    csum = csum_fold(sum);
    if (!csum && pkt->l4_proto == FT_IPPROTO_UDP) {
        csum = 0xffff;
    }
    l4[check_ofs] = csum >> 8;
    l4[check_ofs + 1] = csum;
    return 0;
}

/* Reads sysfs attribute 'attr' of device 'name' into 'buf' (at most 'size'
 * bytes with the NUL, trailing newline removed).  Returns its length, or
 * -1 if the device has no such attribute (or it cannot be read: devices
 * that are on no e-switch answer EOPNOTSUPP). */
static int
netdev_sysfs_read(const char *name, const char *attr, char *buf, size_t size)
{
    char path[128];
    ssize_t n;
    int fd;

    snprintf(path, sizeof path, "/sys/class/net/%s/%s", name, attr);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0) {
        return -1;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) {
        n--;
    }
    buf[n] = '\0';
    return (int) n;
}

/* Parses the hexadecimal phys_switch_id 'hex' into 'id'. */
static void
netdev_parse_switch_id(const char *hex, struct ft_port_identity *id)
{
    size_t len = strlen(hex);

    if (len % 2 || len / 2 > sizeof id->switch_id) {
        return;
    }
    for (size_t i = 0; i < len / 2; i++) {
        unsigned int byte;

        if (sscanf(hex + 2 * i, "%2x", &byte) != 1) {
            id->switch_id_len = 0;
            return;
        }
        id->switch_id[i] = (uint8_t) byte;
    }
    id->switch_id_len = (uint8_t) (len / 2);
}

void
ft_netdev_get_switch_identity(const char *name, struct ft_port_identity *id)
{
    char buf[2 * FT_SWITCH_ID_MAX + 2];

    if (netdev_sysfs_read(name, "phys_switch_id", buf, sizeof buf) > 0) {
        netdev_parse_switch_id(buf, id);
    }
    if (netdev_sysfs_read(name, "phys_port_name", buf, sizeof buf) > 0) {
        snprintf(id->phys_port_name, sizeof id->phys_port_name, "%s", buf);
    }
}

void
ft_netdev_get_identity(const struct ft_netdev *netdev, ft_port_no port_no,
                       struct ft_port_identity *id)
{
    memset(id, 0, sizeof *id);
    id->port_no = port_no;
    snprintf(id->name, sizeof id->name, "%s", netdev->name);
    snprintf(id->type, sizeof id->type, "%s", netdev->class->type);
    id->ifindex = netdev->ifindex;
    id->dpdk_port_id = -1;
    if (netdev->ifindex > 0) {
        ft_netdev_get_switch_identity(netdev->name, id);
    }
    if (netdev->class->get_identity) {
        netdev->class->get_identity(netdev, id);
    }
}

static int
netdev_tx_emit(void *netdev_, const struct ft_packet *seg)
{
    struct ft_netdev *netdev = netdev_;

    return netdev->class->tx(netdev, seg);
}

int
ft_netdev_tx_soft(struct ft_netdev *netdev, const struct ft_packet *pkt)
{
    /* On the stack: a thread's stack has room for it, and nothing is
     * allocated per packet. */
    uint8_t buf[FT_GSO_BUF_SIZE];
    int n = ft_gso_apply(pkt, buf, sizeof buf, netdev_tx_emit, netdev);

    return n < 0 ? n : 0;
}

/*
 * vnet-frames.c - the two ends of a TCP super-frame's trip through a tap
 * port, for tests/system/test-vnet.sh.
 *
 *   vnet-frames send TAP SRC_MAC DST_MAC SRC_IP DST_IP BYTES MSS
 *       Attaches to tap TAP as QEMU's virtio-net does (IFF_TAP |
 *       IFF_NO_PI | IFF_VNET_HDR, then TUNSETOFFLOAD with checksum and
 *       TSO), and writes one TCP/IPv4 super-frame carrying BYTES of
 *       payload (byte i is i * 7 + 3 mod 251), with a virtio-net header
 *       asking for segments of MSS payload bytes and a partial checksum
 *       (the field holds the pseudo-header sum, as Linux's stack leaves
 *       it).  Prints the payload's byte count and 64-bit FNV-1a hash,
 *       which 'recv' prints the same way.
 *
 *   vnet-frames recv IFACE SRC_IP SECONDS
 *       Reads IFACE with a packet socket for up to SECONDS (until the
 *       stream's last segment, PSH set, is seen), keeps the TCP/IPv4
 *       frames from SRC_IP, and checks each: no longer than IFACE's MTU,
 *       IPv4 header and TCP checksums right, sequence numbers contiguous
 *       from the first.  Prints "segments N max M bytes B hash H", or
 *       the first fault on stderr with exit status 1.
 *
 * Standalone: no FlowTier code, so it checks FlowTier rather than
 * agreeing with it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAME 65536

static uint16_t
be16(const uint8_t *p)
{
    return (uint16_t) (p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}

static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += be16(p + i);
    }
    if (len & 1) {
        sum += (uint32_t) p[len - 1] << 8;
    }
    return sum;
}

static uint16_t
fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t) sum;
}

static uint64_t
fnv(uint64_t h, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        h = (h ^ p[i]) * 0x100000001b3ULL;
    }
    return h;
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
    return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
                  &mac[2], &mac[3], &mac[4], &mac[5]) == 6 ? 0 : -1;
}

static int
do_send(char **argv)
{
    static uint8_t buf[sizeof(struct virtio_net_hdr) + MAX_FRAME];
    struct virtio_net_hdr *vh = (void *) buf;
    uint8_t *f = buf + sizeof *vh, *ip = f + 14, *tcp = ip + 20;
    size_t bytes = strtoul(argv[6], NULL, 0);
    unsigned int mss = strtoul(argv[7], NULL, 0);
    struct in_addr src, dst;
    struct ifreq ifr;
    uint64_t hash;
    size_t len;
    int fd;

    if (bytes + 54 > MAX_FRAME || bytes + 40 > 65535 || !mss
        || parse_mac(argv[3], f) || parse_mac(argv[2], f + 6)
        || !inet_aton(argv[4], &src) || !inet_aton(argv[5], &dst)) {
        fprintf(stderr, "vnet-frames send: bad arguments\n");
        return 2;
    }
    fd = open("/dev/net/tun", O_RDWR);
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", argv[1]);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0
        || ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)
           < 0) {
        fprintf(stderr, "vnet-frames send: cannot attach to tap %s: %s\n",
                argv[1], strerror(errno));
        return 1;
    }
    /* Let the switch see the carrier come up (it drops nothing, but the
     * kernel drops what is sent to a tap without carrier). */
    usleep(300 * 1000);

    f[12] = 0x08;
    f[13] = 0x00;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    ip[2] = (20 + 20 + bytes) >> 8;
    ip[3] = (20 + 20 + bytes) & 0xff;
    ip[4] = 0x12;
    ip[6] = 0x40;               /* DF */
    ip[8] = 64;
    ip[9] = IPPROTO_TCP;
    memcpy(ip + 12, &src, 4);
    memcpy(ip + 16, &dst, 4);
    uint16_t c = ~fold(sum16(0, ip, 20));
    ip[10] = c >> 8;
    ip[11] = c;

    memset(tcp, 0, 20);
    tcp[0] = 40000 >> 8;
    tcp[1] = 40000 & 0xff;
    tcp[2] = 5001 >> 8;
    tcp[3] = 5001 & 0xff;
    tcp[4] = 0x11;              /* seq 0x11223344 */
    tcp[5] = 0x22;
    tcp[6] = 0x33;
    tcp[7] = 0x44;
    tcp[12] = 5 << 4;
    tcp[13] = 0x18;             /* PSH, ACK */
    tcp[14] = 0xff;
    tcp[15] = 0xff;
    for (size_t i = 0; i < bytes; i++) {
        tcp[20 + i] = (uint8_t) ((i * 7 + 3) % 251);
    }
    /* Partial: the pseudo-header sum, not complemented. */
    uint32_t ps = sum16(0, ip + 12, 8) + IPPROTO_TCP + 20 + bytes;
    uint16_t p = fold(ps);
    tcp[16] = p >> 8;
    tcp[17] = p;

    memset(vh, 0, sizeof *vh);
    vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
    vh->hdr_len = 54;
    vh->gso_size = mss;
    vh->csum_start = 34;
    vh->csum_offset = 16;
    len = sizeof *vh + 54 + bytes;
    if (write(fd, buf, len) != (ssize_t) len) {
        fprintf(stderr, "vnet-frames send: write: %s\n", strerror(errno));
        return 1;
    }
    hash = fnv(0xcbf29ce484222325ULL, tcp + 20, bytes);
    printf("bytes %zu hash %016llx\n", bytes, (unsigned long long) hash);
    fflush(stdout);
    usleep(500 * 1000);         /* Keep the carrier while it crosses. */
    close(fd);
    return 0;
}

/* Checks one frame; returns 0 (not ours), 1 (ours, fine), -1 (fault). */
static int
check_frame(const uint8_t *f, size_t len, struct in_addr src,
            size_t mtu, uint32_t *next_seq, bool *started,
            uint64_t *hash, size_t *bytes, bool *last)
{
    const uint8_t *ip = f + 14, *tcp;
    size_t ihl, tot, plen;

    if (len < 54 || be16(f + 12) != 0x0800 || ip[9] != IPPROTO_TCP
        || memcmp(ip + 12, &src, 4)) {
        return 0;
    }
    ihl = (ip[0] & 15) * 4u;
    tot = be16(ip + 2);
    if (len - 14 > mtu) {
        fprintf(stderr, "frame of %zu bytes above the MTU %zu\n", len, mtu);
        return -1;
    }
    if (tot > len - 14 || ihl < 20 || fold(sum16(0, ip, ihl)) != 0xffff) {
        fprintf(stderr, "bad IPv4 header (length %zu, checksum)\n", tot);
        return -1;
    }
    tcp = ip + ihl;
    uint32_t ps = sum16(0, ip + 12, 8) + IPPROTO_TCP + (tot - ihl);
    if (fold(sum16(ps, tcp, tot - ihl)) != 0xffff) {
        fprintf(stderr, "bad TCP checksum in a segment of %zu bytes\n", tot);
        return -1;
    }
    plen = tot - ihl - (tcp[12] >> 4) * 4u;
    if (*started && be32(tcp + 4) != *next_seq) {
        fprintf(stderr, "sequence %u where %u was next\n", be32(tcp + 4),
                *next_seq);
        return -1;
    }
    *started = true;
    *next_seq = be32(tcp + 4) + plen;
    *hash = fnv(*hash, tcp + (tcp[12] >> 4) * 4u, plen);
    *bytes += plen;
    *last = tcp[13] & 0x08;
    return 1;
}

static int
do_recv(char **argv)
{
    static uint8_t f[MAX_FRAME];
    unsigned int ifindex = if_nametoindex(argv[1]);
    struct sockaddr_ll sll;
    struct in_addr src;
    struct ifreq ifr;
    uint64_t hash = 0xcbf29ce484222325ULL;
    size_t bytes = 0, n_seg = 0, max_seg = 0, mtu;
    uint32_t next_seq = 0;
    bool started = false, last = false;
    time_t end = time(NULL) + atoi(argv[3]);
    int fd;

    fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (!ifindex || fd < 0 || !inet_aton(argv[2], &src)) {
        fprintf(stderr, "vnet-frames recv: %s: %s\n", argv[1],
                strerror(errno));
        return 1;
    }
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", argv[1]);
    mtu = ioctl(fd, SIOCGIFMTU, &ifr) ? 1500 : (size_t) ifr.ifr_mtu;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = ifindex;
    if (bind(fd, (struct sockaddr *) &sll, sizeof sll) < 0) {
        perror("vnet-frames recv: bind");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    while (!last && time(NULL) < end) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        ssize_t len;
        int r;

        if (poll(&pfd, 1, 200) <= 0) {
            continue;
        }
        len = recv(fd, f, sizeof f, MSG_TRUNC);
        if (len < 0 || (size_t) len > sizeof f) {
            continue;
        }
        r = check_frame(f, len, src, mtu, &next_seq, &started, &hash,
                        &bytes, &last);
        if (r < 0) {
            return 1;
        }
        if (r) {
            n_seg++;
            max_seg = (size_t) len > max_seg ? (size_t) len : max_seg;
        }
    }
    printf("segments %zu max %zu bytes %zu hash %016llx\n", n_seg, max_seg,
           bytes, (unsigned long long) hash);
    return last ? 0 : 1;
}

int
main(int argc, char **argv)
{
    if (argc == 9 && !strcmp(argv[1], "send")) {
        return do_send(argv + 1);
    }
    if (argc == 5 && !strcmp(argv[1], "recv")) {
        return do_recv(argv + 1);
    }
    fprintf(stderr, "usage: vnet-frames send TAP SRC_MAC DST_MAC SRC_IP "
            "DST_IP BYTES MSS\n"
            "       vnet-frames recv IFACE SRC_IP SECONDS\n");
    return 2;
}

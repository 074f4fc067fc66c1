/*
 * traffic-send.c - the benchmark's packet source: sends minimum-size UDP
 * frames (60 bytes on the wire before the FCS; --size for larger ones)
 * out of one network device
 * through an AF_PACKET raw socket, as fast as sendmmsg() takes them, for a
 * fixed time.
 *
 * The frames go to a fixed destination MAC and IPv4 address, from the
 * device's own MAC; the IPv4 header checksum is correct and the UDP
 * checksum is zero (none), so a receiving host stack accepts them.  With
 * --flows N the UDP source port cycles over N values, so that the switch
 * under test sees N microflows (one megaflow for a MAC-learning switch).
 *
 * The socket bypasses the qdisc layer (PACKET_QDISC_BYPASS): the sender
 * measures the switch, not the traffic control layer of its own device.
 *
 * Output: one line of KEY=VALUE pairs, "sent=N seconds=T pps=R
 * refused=E cpu=C", where 'refused' counts messages sendmmsg() did not
 * take and C is the CPU time (s) the sender used, system calls included.
 * Exit status: 0 after a run, 1 on a setup error, 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define FRAME_LEN 60            /* Minimum Ethernet frame less the FCS. */
#define MAX_FRAME_LEN 1514      /* Full-size frame less the FCS. */
#define MAX_BATCH 1024
#define MAX_FLOWS 65536

struct send_opts {
    const char *dev;
    uint8_t dst_mac[6];
    struct in_addr src_ip;
    struct in_addr dst_ip;
    uint16_t src_port;
    uint16_t dst_port;
    double seconds;
    unsigned int batch;
    unsigned int flows;
    unsigned int size;          /* Frame length, FRAME_LEN by default. */
};

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: traffic-send --dev IFNAME --dst-mac MAC --src-ip IP "
            "--dst-ip IP [OPTION]...\n"
            "Sends 64-byte UDP frames out of IFNAME for a fixed time.\n\n"
            "  --dport PORT     UDP destination port (default 9)\n"
            "  --sport PORT     first UDP source port (default 1024)\n"
            "  --flows N        cycle the source port over N values "
            "(default 1)\n"
            "  --seconds S      how long to send (default 10)\n"
            "  --batch N        frames per sendmmsg() (default 64, at most "
            "%d)\n"
            "  --size BYTES     frame length without FCS, %d to %d "
            "(default %d)\n", MAX_BATCH, FRAME_LEN, MAX_FRAME_LEN,
            FRAME_LEN);
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
    unsigned int b[6];
    char extra;

    if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
               &b[5], &extra) != 6) {
        return -EINVAL;
    }
    for (int i = 0; i < 6; i++) {
        if (b[i] > 0xff) {
            return -EINVAL;
        }
        mac[i] = b[i];
    }
    return 0;
}

static int
parse_uint(const char *s, unsigned long max, unsigned long *valp)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max) {
        return -EINVAL;
    }
    *valp = v;
    return 0;
}

/* Parses the command line into 'o'.  Returns 0, 1 after printing the
 * help, or -EINVAL after printing the reason. */
static int
parse_opts(int argc, char *argv[], struct send_opts *o)
{
    static const struct option longopts[] = {
        { "dev", required_argument, NULL, 'd' },
        { "dst-mac", required_argument, NULL, 'm' },
        { "src-ip", required_argument, NULL, 's' },
        { "dst-ip", required_argument, NULL, 't' },
        { "dport", required_argument, NULL, 'p' },
        { "sport", required_argument, NULL, 'P' },
        { "flows", required_argument, NULL, 'f' },
        { "seconds", required_argument, NULL, 'S' },
        { "batch", required_argument, NULL, 'b' },
        { "size", required_argument, NULL, 'z' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool have_mac = false, have_src = false, have_dst = false;
    unsigned long v;
    char *end;
    int c;

    memset(o, 0, sizeof *o);
    o->src_port = 1024;
    o->dst_port = 9;
    o->seconds = 10;
    o->batch = 64;
    o->flows = 1;
    o->size = FRAME_LEN;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->dev = optarg;
            break;
        case 'm':
            if (parse_mac(optarg, o->dst_mac)) {
                fprintf(stderr, "traffic-send: bad MAC '%s'\n", optarg);
                return -EINVAL;
            }
            have_mac = true;
            break;
        case 's':
        case 't':
            if (inet_pton(AF_INET, optarg,
                          c == 's' ? &o->src_ip : &o->dst_ip) != 1) {
                fprintf(stderr, "traffic-send: bad IPv4 address '%s'\n",
                        optarg);
                return -EINVAL;
            }
            *(c == 's' ? &have_src : &have_dst) = true;
            break;
        case 'p':
        case 'P':
            if (parse_uint(optarg, 65535, &v)) {
                fprintf(stderr, "traffic-send: bad port '%s'\n", optarg);
                return -EINVAL;
            }
            *(c == 'p' ? &o->dst_port : &o->src_port) = v;
            break;
        case 'f':
            if (parse_uint(optarg, MAX_FLOWS, &v) || !v) {
                fprintf(stderr, "traffic-send: --flows must be 1..%d\n",
                        MAX_FLOWS);
                return -EINVAL;
            }
            o->flows = v;
            break;
        case 'S':
            o->seconds = strtod(optarg, &end);
            if (*end || !(o->seconds > 0)) {
                fprintf(stderr, "traffic-send: bad --seconds '%s'\n",
                        optarg);
                return -EINVAL;
            }
            break;
        case 'b':
            if (parse_uint(optarg, MAX_BATCH, &v) || !v) {
                fprintf(stderr, "traffic-send: --batch must be 1..%d\n",
                        MAX_BATCH);
                return -EINVAL;
            }
            o->batch = v;
            break;
        case 'z':
            if (parse_uint(optarg, MAX_FRAME_LEN, &v) || v < FRAME_LEN) {
                fprintf(stderr, "traffic-send: --size must be %d..%d\n",
                        FRAME_LEN, MAX_FRAME_LEN);
                return -EINVAL;
            }
            o->size = v;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -EINVAL;
        }
    }
    if (optind != argc || !o->dev || !have_mac || !have_src || !have_dst) {
        usage(stderr);
        return -EINVAL;
    }
    return 0;
}

static uint16_t
ip_checksum(const uint8_t *hdr, size_t len)
{
    uint32_t sum = 0;

    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += (uint32_t) hdr[i] << 8 | hdr[i + 1];
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum;
}

/* Writes the frame of source port 'sport' into 'f' ('o->size' bytes). */
static void
build_frame(const struct send_opts *o, const uint8_t src_mac[6],
            uint16_t sport, uint8_t *f)
{
    uint8_t *ip = f + 14, *udp = ip + 20;
    uint16_t csum;

    memset(f, 0, o->size);
    memcpy(f, o->dst_mac, 6);
    memcpy(f + 6, src_mac, 6);
    f[12] = 0x08;                       /* IPv4 */
    ip[0] = 0x45;
    ip[2] = (o->size - 14) >> 8;        /* Total length. */
    ip[3] = (o->size - 14) & 0xff;
    ip[6] = 0x40;                       /* Don't fragment. */
    ip[8] = 64;                         /* TTL */
    ip[9] = 17;                         /* UDP */
    memcpy(ip + 12, &o->src_ip, 4);
    memcpy(ip + 16, &o->dst_ip, 4);
    csum = ip_checksum(ip, 20);
    ip[10] = csum >> 8;
    ip[11] = csum;
    udp[0] = sport >> 8;
    udp[1] = sport;
    udp[2] = o->dst_port >> 8;
    udp[3] = o->dst_port;
    udp[4] = (o->size - 14 - 20) >> 8;  /* UDP length; checksum 0. */
    udp[5] = (o->size - 14 - 20) & 0xff;
}

/* Opens the raw socket on 'o->dev' and reads the device's MAC into
 * 'mac'.  Returns the socket or a negative errno after printing why. */
static int
open_socket(const struct send_opts *o, uint8_t mac[6])
{
    struct sockaddr_ll sll;
    struct ifreq ifr;
    int one = 1;
    int fd;

    fd = socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0) {
        int error = -errno;

        perror("traffic-send: socket(AF_PACKET)");
        return error;
    }
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", o->dev);
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
        int error = -errno;

        fprintf(stderr, "traffic-send: %s: %s\n", o->dev, strerror(errno));
        close(fd);
        return error;
    }
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    /* Not fatal: older kernels send through the qdisc. */
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);

    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = 0;       /* Send only: receive nothing. */
    sll.sll_ifindex = if_nametoindex(o->dev);
    if (!sll.sll_ifindex
        || bind(fd, (struct sockaddr *) &sll, sizeof sll) < 0) {
        int error = errno ? -errno : -ENODEV;

        fprintf(stderr, "traffic-send: bind to %s: %s\n", o->dev,
                strerror(-error));
        close(fd);
        return error;
    }
    return fd;
}

int
main(int argc, char *argv[])
{
    uint8_t *frames;
    static struct mmsghdr msgs[MAX_BATCH];
    static struct iovec iovs[MAX_BATCH];
    unsigned long long sent = 0, refused = 0;
    unsigned int next_flow = 0;
    struct send_opts o;
    double start, end, now;
    uint8_t src_mac[6];
    int fd;

    switch (parse_opts(argc, argv, &o)) {
    case 0:
        break;
    case 1:
        return 0;
    default:
        return 2;
    }
    fd = open_socket(&o, src_mac);
    if (fd < 0) {
        return 1;
    }
    frames = malloc((size_t) o.flows * o.size);
    if (!frames) {
        fprintf(stderr, "traffic-send: out of memory\n");
        close(fd);
        return 1;
    }
    for (unsigned int i = 0; i < o.flows; i++) {
        build_frame(&o, src_mac, (uint16_t) (o.src_port + i),
                    frames + (size_t) i * o.size);
    }
    for (unsigned int i = 0; i < o.batch; i++) {
        iovs[i].iov_len = o.size;
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }

    start = now_sec();
    end = start + o.seconds;
    do {
        int n;

        for (unsigned int i = 0; i < o.batch; i++) {
            iovs[i].iov_base = frames + (size_t) next_flow * o.size;
            if (++next_flow == o.flows) {
                next_flow = 0;
            }
        }
        n = sendmmsg(fd, msgs, o.batch, 0);
        if (n > 0) {
            sent += n;
            refused += o.batch - n;
        } else if (n < 0 && errno != EINTR && errno != ENOBUFS
                   && errno != EAGAIN) {
            fprintf(stderr, "traffic-send: sendmmsg: %s\n", strerror(errno));
            close(fd);
            free(frames);
            return 1;
        } else {
            refused += o.batch;
        }
        now = now_sec();
    } while (now < end);

    printf("sent=%llu seconds=%.3f pps=%.0f refused=%llu cpu=%.2f\n", sent,
           now - start, sent / (now - start), refused, cpu_sec());
    close(fd);
    free(frames);
    return 0;
}

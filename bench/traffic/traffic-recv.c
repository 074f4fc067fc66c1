/*
 * traffic-recv.c - the benchmark's packet sink: counts the UDP packets
 * that reach one port of this network namespace during a fixed window and
 * prints the rate.
 *
 * The window opens 'skip' seconds after the first packet arrives (so that
 * start-up transients of the sender and of the switch under test are left
 * out) and lasts 'seconds'.  Two ways of counting:
 *
 *   udp   (default) a UDP socket bound to the port, drained with
 *         recvmmsg(): packets delivered to an application, through the
 *         host's IP and UDP stack.
 *   ring  an AF_PACKET TPACKET_V3 ring on one device, counting IPv4/UDP
 *         frames to the port: packets the device received, without the
 *         cost of the UDP socket.  A UDP socket is bound to the port all
 *         the same (never read), so that the stack does not answer every
 *         packet with an ICMP port unreachable.
 *
 * Output: one line, "received=N seconds=T pps=R cpu=C" (C: the CPU time,
 * in seconds, this process used); exit status 1 if no
 * packet arrived within --wait seconds, 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define RECV_BATCH 256
#define RING_BLOCK_SIZE (1 << 20)
#define RING_N_BLOCKS 64
#define RING_FRAME_SIZE 2048

struct recv_opts {
    bool ring;
    const char *dev;
    uint16_t port;
    double seconds;
    double skip;
    double wait;
};

/* Counting state: packets before the window, in it, and its bounds. */
struct recv_count {
    double start;               /* Window start, 0 until the first packet. */
    double end;
    unsigned long long n;
    bool done;
};

static void
usage(FILE *out)
{
    fputs("usage: traffic-recv --port PORT [OPTION]...\n"
          "Counts UDP packets to PORT and prints the rate.\n\n"
          "  --mode udp|ring  count at a UDP socket (default) or on the "
          "ring of --dev\n"
          "  --dev IFNAME     device for --mode ring\n"
          "  --seconds S      length of the counting window (default 10)\n"
          "  --skip S         time between the first packet and the window "
          "(default 1)\n"
          "  --wait S         give up if no packet comes in S seconds "
          "(default 10)\n", out);
}

static int
parse_seconds(const char *s, double *valp)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || *end || v < 0) {
        return -EINVAL;
    }
    *valp = v;
    return 0;
}

/* Parses the command line into 'o'.  Returns 0, 1 after printing the
 * help, or -EINVAL after printing the reason. */
static int
parse_opts(int argc, char *argv[], struct recv_opts *o)
{
    static const struct option longopts[] = {
        { "mode", required_argument, NULL, 'm' },
        { "dev", required_argument, NULL, 'd' },
        { "port", required_argument, NULL, 'p' },
        { "seconds", required_argument, NULL, 'S' },
        { "skip", required_argument, NULL, 'k' },
        { "wait", required_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    unsigned long port = 0;
    char *end;
    int c;

    memset(o, 0, sizeof *o);
    o->seconds = 10;
    o->skip = 1;
    o->wait = 10;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (strcmp(optarg, "udp") && strcmp(optarg, "ring")) {
                fprintf(stderr, "traffic-recv: --mode is udp or ring\n");
                return -EINVAL;
            }
            o->ring = !strcmp(optarg, "ring");
            break;
        case 'd':
            o->dev = optarg;
            break;
        case 'p':
            port = strtoul(optarg, &end, 10);
            if (*end || !port || port > 65535) {
                fprintf(stderr, "traffic-recv: bad port '%s'\n", optarg);
                return -EINVAL;
            }
            break;
        case 'S':
        case 'k':
        case 'w':
            if (parse_seconds(optarg, c == 'S' ? &o->seconds
                              : c == 'k' ? &o->skip : &o->wait)) {
                fprintf(stderr, "traffic-recv: bad time '%s'\n", optarg);
                return -EINVAL;
            }
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -EINVAL;
        }
    }
    if (optind != argc || !port || !(o->seconds > 0)
        || (o->ring && !o->dev)) {
        usage(stderr);
        return -EINVAL;
    }
    o->port = port;
    return 0;
}

static int
open_udp(const struct recv_opts *o, bool big_buffer)
{
    struct sockaddr_in sin;
    int rcvbuf = 16 * 1024 * 1024;
    int fd;

    fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        perror("traffic-recv: socket(AF_INET)");
        return -1;
    }
    if (big_buffer
        && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
                      sizeof rcvbuf) < 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(o->port);
    if (bind(fd, (struct sockaddr *) &sin, sizeof sin) < 0) {
        fprintf(stderr, "traffic-recv: bind UDP port %u: %s\n", o->port,
                strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Adds 'n' packets that arrived at 'now' to 'c', opening and closing the
 * window as time goes. */
static void
count_add(struct recv_count *c, const struct recv_opts *o, double now,
          unsigned int n)
{
    if (!c->start) {
        if (!n) {
            return;
        }
        c->start = now + o->skip;
        c->end = c->start + o->seconds;
    }
    if (now >= c->end) {
        c->done = true;
    } else if (now >= c->start) {
        c->n += n;
    }
}

static int
run_udp(const struct recv_opts *o, struct recv_count *c)
{
    static char bufs[RECV_BATCH][64];
    static struct mmsghdr msgs[RECV_BATCH];
    static struct iovec iovs[RECV_BATCH];
    double deadline = now_sec() + o->wait;
    int fd = open_udp(o, true);

    if (fd < 0) {
        return -1;
    }
    for (int i = 0; i < RECV_BATCH; i++) {
        iovs[i].iov_base = bufs[i];
        iovs[i].iov_len = sizeof bufs[i];
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    while (!c->done) {
        int n = recvmmsg(fd, msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
        double now = now_sec();

        if (n > 0) {
            count_add(c, o, now, n);
            continue;
        }
        count_add(c, o, now, 0);
        if (!c->start && now > deadline) {
            break;
        }
        poll(&(struct pollfd) { .fd = fd, .events = POLLIN }, 1, 20);
    }
    close(fd);
    return 0;
}

/* True if the frame at 'f' ('len' bytes) is IPv4/UDP to 'port'. */
static bool
frame_matches(const uint8_t *f, size_t len, uint16_t port)
{
    size_t ihl;

    if (len < 14 + 20 + 8 || f[12] != 0x08 || f[13] != 0x00
        || f[14 + 9] != 17) {
        return false;
    }
    ihl = (f[14] & 0xf) * 4;
    if (ihl < 20 || len < 14 + ihl + 8) {
        return false;
    }
    return (f[14 + ihl + 2] << 8 | f[14 + ihl + 3]) == port;
}

/* Counts the matching frames of one block the kernel handed over. */
static unsigned int
ring_walk_block(struct tpacket_block_desc *bd, uint16_t port)
{
    struct tpacket3_hdr *h = (struct tpacket3_hdr *) (void *)
        ((uint8_t *) bd + bd->hdr.bh1.offset_to_first_pkt);
    unsigned int n = 0;

    for (unsigned int i = 0; i < bd->hdr.bh1.num_pkts; i++) {
        if (frame_matches((uint8_t *) h + h->tp_mac, h->tp_snaplen, port)) {
            n++;
        }
        h = (struct tpacket3_hdr *) (void *)
            ((uint8_t *) h + h->tp_next_offset);
    }
    return n;
}

static int
run_ring(const struct recv_opts *o, struct recv_count *c)
{
    double deadline = now_sec() + o->wait;
    int version = TPACKET_V3;
    struct tpacket_req3 req;
    struct sockaddr_ll sll;
    unsigned int cur = 0;
    uint8_t *ring;
    int fd, udp_fd;

    udp_fd = open_udp(o, false);
    fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
    if (udp_fd < 0 || fd < 0) {
        perror("traffic-recv: socket");
        return -1;
    }
    memset(&req, 0, sizeof req);
    req.tp_block_size = RING_BLOCK_SIZE;
    req.tp_block_nr = RING_N_BLOCKS;
    req.tp_frame_size = RING_FRAME_SIZE;
    req.tp_frame_nr = RING_BLOCK_SIZE / RING_FRAME_SIZE * RING_N_BLOCKS;
    req.tp_retire_blk_tov = 10;
    /* Only the headers are needed. */
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version)
        || setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req)) {
        perror("traffic-recv: ring setup");
        return -1;
    }
    ring = mmap(NULL, (size_t) RING_BLOCK_SIZE * RING_N_BLOCKS,
                PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_IP);
    sll.sll_ifindex = if_nametoindex(o->dev);
    if (ring == MAP_FAILED || !sll.sll_ifindex
        || bind(fd, (struct sockaddr *) &sll, sizeof sll) < 0) {
        fprintf(stderr, "traffic-recv: ring on %s: %s\n", o->dev,
                strerror(errno ? errno : ENODEV));
        return -1;
    }

    while (!c->done) {
        struct tpacket_block_desc *bd = (struct tpacket_block_desc *)
            (void *) (ring + (size_t) cur * RING_BLOCK_SIZE);
        double now;

        if (__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE)
            & TP_STATUS_USER) {
            unsigned int n = ring_walk_block(bd, o->port);

            __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
                             __ATOMIC_RELEASE);
            cur = (cur + 1) % RING_N_BLOCKS;
            count_add(c, o, now_sec(), n);
            continue;
        }
        now = now_sec();
        count_add(c, o, now, 0);
        if (!c->start && now > deadline) {
            break;
        }
        poll(&(struct pollfd) { .fd = fd, .events = POLLIN }, 1, 20);
    }
    munmap(ring, (size_t) RING_BLOCK_SIZE * RING_N_BLOCKS);
    close(fd);
    close(udp_fd);
    return 0;
}

int
main(int argc, char *argv[])
{
    struct recv_count c = { 0, 0, 0, false };
    struct recv_opts o;

    switch (parse_opts(argc, argv, &o)) {
    case 0:
        break;
    case 1:
        return 0;
    default:
        return 2;
    }
    if (o.ring ? run_ring(&o, &c) : run_udp(&o, &c)) {
        return 1;
    }
    if (!c.start) {
        fprintf(stderr, "traffic-recv: no packet to port %u in %.1f s\n",
                o.port, o.wait);
        printf("received=0 seconds=0 pps=0\n");
        return 1;
    }
    printf("received=%llu seconds=%.3f pps=%.0f cpu=%.2f\n", c.n,
           o.seconds, c.n / o.seconds, cpu_sec());
    return 0;
}

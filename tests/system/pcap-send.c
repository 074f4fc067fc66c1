/*
 * pcap-send.c - sends every frame of a pcap capture out of one network
 * device, as fast as the kernel takes them: the frame source of the
 * hostile-traffic system test (tests/system/test-hostile-traffic.sh),
 * whose frames tests/system/hostile-frames.py writes.
 *
 * Frames go through an AF_PACKET raw socket with sendmmsg() in batches,
 * bypassing the qdisc layer.  A frame the kernel refuses (one shorter than
 * an Ethernet header, say) is counted and skipped; the rest of its batch
 * is sent.
 *
 * usage: pcap-send DEVICE FILE
 * Output: "sent N refused R" on stdout.  Exit status 0, or 1 with a
 * message on stderr if the device or the file cannot be used.
 */
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 256
#define MAX_FRAME 65535

struct pcap_rec {
    uint32_t sec, usec, caplen, len;
};

static int
open_socket(const char *dev)
{
    struct sockaddr_ll sll;
    int one = 1;
    int fd;

    fd = socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0) {
        fprintf(stderr, "pcap-send: socket: %s\n", strerror(errno));
        return -1;
    }
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = if_nametoindex(dev);
    if (!sll.sll_ifindex || bind(fd, (struct sockaddr *) &sll, sizeof sll)) {
        fprintf(stderr, "pcap-send: device %s: %s\n", dev, strerror(errno));
        close(fd);
        return -1;
    }
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    return fd;
}

/* Sends the 'n' frames of 'msgs', counting into '*sent' and '*refused'. */
static void
send_batch(int fd, struct mmsghdr *msgs, unsigned int n,
           unsigned long *sent, unsigned long *refused)
{
    unsigned int done = 0;

    while (done < n) {
        int r = sendmmsg(fd, msgs + done, n - done, 0);

        if (r > 0) {
            done += r;
            *sent += r;
        } else if (r < 0 && (errno == EAGAIN || errno == ENOBUFS
                             || errno == EINTR)) {
            usleep(100);
        } else {
            done++;             /* The kernel will not take this one. */
            (*refused)++;
        }
    }
}

int
main(int argc, char *argv[])
{
    static uint8_t bufs[BATCH][MAX_FRAME];
    struct mmsghdr msgs[BATCH];
    struct iovec iovs[BATCH];
    unsigned long sent = 0, refused = 0;
    uint8_t ghdr[24];
    unsigned int n = 0;
    struct pcap_rec rec;
    FILE *f;
    int fd;

    if (argc != 3) {
        fprintf(stderr, "usage: pcap-send DEVICE FILE\n");
        return 1;
    }
    f = fopen(argv[2], "rb");
    if (!f || fread(ghdr, sizeof ghdr, 1, f) != 1
        || memcmp(ghdr, "\xd4\xc3\xb2\xa1", 4)) {
        fprintf(stderr, "pcap-send: %s: not a little-endian pcap file\n",
                argv[2]);
        return 1;
    }
    fd = open_socket(argv[1]);
    if (fd < 0) {
        return 1;
    }
    memset(msgs, 0, sizeof msgs);
    while (fread(&rec, sizeof rec, 1, f) == 1) {
        if (rec.caplen > MAX_FRAME
            || fread(bufs[n], 1, rec.caplen, f) != rec.caplen) {
            fprintf(stderr, "pcap-send: %s: truncated record\n", argv[2]);
            return 1;
        }
        iovs[n].iov_base = bufs[n];
        iovs[n].iov_len = rec.caplen;
        msgs[n].msg_hdr.msg_iov = &iovs[n];
        msgs[n].msg_hdr.msg_iovlen = 1;
        if (++n == BATCH) {
            send_batch(fd, msgs, n, &sent, &refused);
            n = 0;
        }
    }
    send_batch(fd, msgs, n, &sent, &refused);
    printf("sent %lu refused %lu\n", sent, refused);
    fclose(f);
    close(fd);
    return 0;
}

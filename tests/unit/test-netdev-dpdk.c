/*
 * test-netdev-dpdk.c - unit tests for the "dpdk" port class
 * (swpath/netdev-dpdk.c) and the EAL start (swpath/dpdk-eal.c), on DPDK's
 * software devices: net_pcap (frames read from and written to pcap files
 * this test writes and reads by hand), net_ring (a loopback: what is sent
 * is received) and net_null.
 *
 * The EAL runs without hugepages or PCI, with a file prefix of its own.
 * It can start only once per process, so the tests that need it not
 * running come first, and the failed start is tried in a child process.
 * As root, net_tap is tried against the kernel through an AF_PACKET
 * socket on the tap's kernel side.  The EAL is started as the daemon
 * starts it, by the thread of a port's opener (swpath/netdev-opener.h),
 * which ends afterwards; the other tests then use DPDK from the main
 * thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "flowtier/error.h"
#include "swpath/dpdk-eal.h"
#include "swpath/netdev.h"
#include "swpath/netdev-closer.h"
#include "swpath/netdev-opener.h"

/* pcap files. */

struct pcap_file_header {
    uint32_t magic;
    uint16_t version_major;
    uint16_t version_minor;
    int32_t thiszone;
    uint32_t sigfigs;
    uint32_t snaplen;
    uint32_t linktype;
};

struct pcap_record_header {
    uint32_t ts_sec;
    uint32_t ts_usec;
    uint32_t incl_len;
    uint32_t orig_len;
};

#define PCAP_MAGIC 0xa1b2c3d4   /* Microsecond timestamps, our byte order. */
#define MAX_FRAMES 8
#define MAX_FRAME_LEN 4000

struct frames {
    size_t n;
    size_t len[MAX_FRAMES];
    uint8_t data[MAX_FRAMES][MAX_FRAME_LEN];
};

/* Writes 'frames' (none if NULL) to a new pcap file 'path'. */
static void
pcap_write(const char *path, const struct frames *frames)
{
    struct pcap_file_header fh = {
        .magic = PCAP_MAGIC, .version_major = 2, .version_minor = 4,
        .snaplen = 65535, .linktype = 1,
    };
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(&fh, sizeof fh, 1, f), 1);
    for (size_t i = 0; frames && i < frames->n; i++) {
        struct pcap_record_header rh = {
            .ts_sec = 1, .ts_usec = i,
            .incl_len = frames->len[i], .orig_len = frames->len[i],
        };

        assert_int_equal(fwrite(&rh, sizeof rh, 1, f), 1);
        assert_int_equal(fwrite(frames->data[i], frames->len[i], 1, f), 1);
    }
    assert_int_equal(fclose(f), 0);
}

/* Reads the pcap file 'path' into 'frames'. */
static void
pcap_read(const char *path, struct frames *frames)
{
    struct pcap_file_header fh;
    struct pcap_record_header rh;
    FILE *f = fopen(path, "rb");

    assert_non_null(f);
    assert_int_equal(fread(&fh, sizeof fh, 1, f), 1);
    assert_true(fh.magic == PCAP_MAGIC || fh.magic == 0xa1b23c4d);
    assert_int_equal(fh.linktype, 1);
    frames->n = 0;
    while (fread(&rh, sizeof rh, 1, f) == 1) {
        assert_true(frames->n < MAX_FRAMES);
        assert_true(rh.incl_len <= MAX_FRAME_LEN);
        assert_int_equal(rh.incl_len, rh.orig_len);
        assert_int_equal(fread(frames->data[frames->n], rh.incl_len, 1, f),
                         1);
        frames->len[frames->n++] = rh.incl_len;
    }
    assert_int_equal(fclose(f), 0);
}

/* Appends an Ethernet + IPv4 + UDP frame of 'len' bytes whose payload is
 * a pattern seeded by 'seed'. */
static void
frame_add(struct frames *frames, size_t len, uint8_t seed)
{
    static const uint8_t head[] = {
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02,     /* dst */
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01,     /* src */
        0x08, 0x00,
        0x45, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11,
        0x00, 0x00, 10, 0, 0, 1, 10, 0, 0, 2,
        0x30, 0x39, 0x00, 0x35, 0x00, 0x00, 0x00, 0x00,
    };
    uint8_t *p = frames->data[frames->n];

    assert_true(frames->n < MAX_FRAMES && len <= MAX_FRAME_LEN);
    assert_true(len >= sizeof head);
    memcpy(p, head, sizeof head);
    p[16] = (len - 14) >> 8;
    p[17] = (len - 14) & 0xff;
    p[38] = (len - 34) >> 8;
    p[39] = (len - 34) & 0xff;
    for (size_t i = sizeof head; i < len; i++) {
        p[i] = (uint8_t) (seed + i * 7);
    }
    frames->len[frames->n++] = len;
}

/* Test state. */

struct fixture {
    char dir[64];
    char in[128], out[128], empty[128];
    char eal_args[256];
};

static struct fixture fx;

static void
open_ok(const char *name, const char *devargs, struct ft_netdev **netdevp)
{
    struct ft_netdev_option opt = { "dpdk-devargs", devargs };
    struct ft_error err;
    int error;

    ft_error_clear(&err);
    error = ft_netdev_open(name, "dpdk", &opt, 1, netdevp, &err);
    if (error) {
        print_error("open %s (%s): %s\n", name, devargs, err.reason);
    }
    assert_int_equal(error, 0);
    assert_non_null(*netdevp);
    assert_string_equal((*netdevp)->name, name);
}

static int
open_fail(const char *name, const char *devargs, struct ft_error *err)
{
    struct ft_netdev_option opt = { "dpdk-devargs", devargs };
    struct ft_netdev *netdev = (struct ft_netdev *) &netdev;
    int error;

    ft_error_clear(err);
    error = ft_netdev_open(name, "dpdk", &opt, 1, &netdev, err);
    assert_true(error < 0);
    assert_null(netdev);
    assert_int_equal(err->code, error);
    return error;
}

/* Receives until 'want' packets arrived or 100 tries passed; copies them
 * into 'got'. */
static void
rx_frames(struct ft_netdev *netdev, size_t want, struct frames *got)
{
    got->n = 0;
    for (int try = 0; try < 100 && got->n < want; try++) {
        struct ft_packet_batch batch;
        int n;

        ft_packet_batch_init(&batch);
        n = ft_netdev_rx_burst(netdev, &batch);
        assert_true(n >= 0);
        assert_int_equal(batch.count, n);
        for (size_t i = 0; i < batch.count; i++) {
            const struct ft_packet *pkt = batch.packets[i];

            assert_true(got->n < MAX_FRAMES);
            assert_true(pkt->size <= MAX_FRAME_LEN);
            assert_true(ft_packet_headroom(pkt) >= FT_NETDEV_MIN_HEADROOM);
            assert_true(pkt->data_ofs + pkt->size <= pkt->allocated);
            memcpy(got->data[got->n], ft_packet_data(pkt), pkt->size);
            got->len[got->n++] = pkt->size;
        }
        if (!n) {
            usleep(1000);
        }
    }
}

static void
tx_frames(struct ft_netdev *netdev, const struct frames *frames)
{
    for (size_t i = 0; i < frames->n; i++) {
        uint8_t buf[FT_PACKET_HEADROOM + MAX_FRAME_LEN];
        struct ft_packet pkt;

        ft_packet_init(&pkt, buf, sizeof buf, FT_PACKET_HEADROOM);
        assert_int_equal(ft_packet_set_frame(&pkt, frames->data[i],
                                             frames->len[i]), 0);
        assert_int_equal(ft_netdev_tx(netdev, &pkt), 0);
        memset(buf, 0xee, sizeof buf);      /* tx() kept a copy. */
    }
    ft_netdev_tx_flush(netdev);
}

static void
assert_frames_equal(const struct frames *a, const struct frames *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->len[i], b->len[i]);
        assert_memory_equal(a->data[i], b->data[i], a->len[i]);
    }
}

static uint64_t
frames_bytes(const struct frames *frames)
{
    uint64_t bytes = 0;

    for (size_t i = 0; i < frames->n; i++) {
        bytes += frames->len[i];
    }
    return bytes;
}

/* Before the EAL runs. */

static void
test_open_before_eal(void **state)
{
    struct ft_error err;

    (void) state;
    assert_false(ft_dpdk_eal_is_running());
    assert_int_equal(open_fail("p0", "net_null0", &err), -EOPNOTSUPP);
    assert_non_null(strstr(err.reason, "DPDK is not initialized"));
}

/* A failed start, in a child so that this process can still start the
 * EAL: the reason carries DPDK's explanation, and a second call reports
 * the same failure. */
static void
test_eal_init_fails(void **state)
{
    int status;
    pid_t pid;

    (void) state;
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (!pid) {
        struct ft_error err, err2;
        int error, error2;

        /* DPDK prints its usage on standard output. */
        if (!freopen("/dev/null", "w", stdout)) {
            _exit(10);
        }
        ft_error_clear(&err);
        error = ft_dpdk_eal_init("--no-huge --no-such-option", &err);
        error2 = ft_dpdk_eal_init("--no-huge", &err2);
        fprintf(stderr, "reason: %s\n", err.reason);
        _exit(error != -EINVAL ? 1
              : !strstr(err.reason, "'--no-huge --no-such-option' failed: "
                        "Invalid argument") ? 2
              : !strstr(err.reason, "Invalid 'command line' arguments")
              ? 3
              : error2 != error || strcmp(err.reason, err2.reason) ? 4
              : ft_dpdk_eal_is_running() ? 5 : 0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Starts an opener of DPDK port 'name' on 'devargs' (and the EAL with
 * 'eal_args' if not NULL) and returns its outcome, waiting for it. */
static int
opener_run(const char *name, const char *devargs, const char *eal_args,
           struct ft_netdev **netdevp, struct ft_error *err)
{
    struct ft_netdev_option opt = { "dpdk-devargs", devargs };
    struct ft_netdev_opener *op;

    ft_error_clear(err);
    assert_int_equal(ft_netdev_opener_start(name, "dpdk", &opt, 1, eal_args,
                                            &op, err), 0);
    for (int i = 0; i < 30000 && !ft_netdev_opener_done(op); i++) {
        usleep(1000);
    }
    assert_true(ft_netdev_opener_done(op));
    *netdevp = (struct ft_netdev *) err;        /* Must be overwritten. */
    return ft_netdev_opener_finish(op, netdevp, err);
}

/* The EAL started by an opener's thread, as the daemon starts it, with the
 * port's device opened after it in the same thread. */
static void
test_opener_starts_eal(void **state)
{
    struct ft_netdev *netdev;
    struct ft_error err;

    (void) state;
    assert_false(ft_dpdk_eal_is_running());
    assert_int_equal(opener_run("o0", "net_null0,no-rx=1", fx.eal_args,
                                &netdev, &err), 0);
    assert_true(ft_dpdk_eal_is_running());
    assert_non_null(netdev);
    assert_string_equal(netdev->name, "o0");
    assert_string_equal(netdev->class->type, "dpdk");
    ft_netdev_close(netdev);        /* From another thread than the open. */
}

/* Openers once the EAL runs: DPDK's reason of a failed open, the EAL's
 * reason for other arguments, options checked without opening, and an
 * open abandoned while it runs, whose device its thread closes. */
static void
test_opener(void **state)
{
    struct ft_netdev_option opts[2] = {
        { "dpdk-devargs", "net_null3" }, { "n_rxq_desc", "100" },
    };
    struct ft_netdev_opener *op;
    struct ft_netdev *netdev;
    struct ft_error err;
    int error = -1;

    (void) state;
    assert_int_equal(opener_run("o1", "net_pcap0,rx_pcap=/nonexistent",
                                NULL, &netdev, &err), -EPERM);
    assert_null(netdev);
    assert_non_null(strstr(err.reason, "/nonexistent: No such file"));

    assert_int_equal(opener_run("o1", "net_null2", "--no-huge -m 256",
                                &netdev, &err), -EALREADY);
    assert_null(netdev);
    assert_non_null(strstr(err.reason, "port o1: other_config:dpdk-extra: "
                           "DPDK EAL already runs with arguments"));

    assert_int_equal(ft_netdev_check("o1", "dpdk", opts, 2, &err), -EINVAL);
    assert_non_null(strstr(err.reason, "n_rxq_desc=100 is not a power"));
    assert_int_equal(ft_netdev_check("o1", "dpdk", opts, 1, &err), 0);
    assert_int_equal(ft_netdev_check("o1", "dpdk", NULL, 0, &err), -EINVAL);
    assert_string_equal(err.reason,
                        "interface o1: options:dpdk-devargs is required");
    assert_int_equal(ft_netdev_check("o1", "nosuch", NULL, 0, &err),
                     -EOPNOTSUPP);

    /* Abandoned at once: the device is closed by the opener's thread, so
     * that it opens again (busy only until then). */
    assert_int_equal(ft_netdev_opener_start("o2", "dpdk", opts, 1, NULL,
                                            &op, &err), 0);
    ft_netdev_opener_abandon(op);
    for (int i = 0; i < 3000 && error; i++) {
        error = ft_netdev_open("o3", "dpdk", opts, 1, &netdev, &err);
        if (error) {
            assert_int_equal(error, -EBUSY);
            usleep(1000);
        }
    }
    assert_int_equal(error, 0);
    ft_netdev_close(netdev);
    ft_netdev_opener_abandon(NULL);
}

/* A device released by a closer while another port's open holds DPDK's
 * control lock: starting the closer does not wait for the lock, the
 * release waits, and an open of the same device and name given the
 * closer waits in its own thread for the release, then opens it. */
static void
test_closer(void **state)
{
    struct ft_netdev_option opts[2] = {
        { "dpdk-devargs", "net_null5" }, { "n_mbufs", "16383" },
    };
    struct ft_netdev_closer *closer;
    struct ft_netdev_opener *op;
    struct ft_netdev *netdev, *other;
    struct ft_error err;

    (void) state;
    ft_error_clear(&err);
    assert_int_equal(ft_netdev_open("c1", "dpdk", opts, 2, &netdev, &err),
                     0);
    /* Without the release, the device is busy. */
    assert_int_equal(ft_netdev_open("c2", "dpdk", opts, 1, &other, &err),
                     -EBUSY);
    assert_non_null(strstr(err.reason, "already in use by flowtier "
                           "interface c1"));

    ft_dpdk_control_lock();         /* As another port's open does. */
    assert_int_equal(ft_netdev_closer_start(netdev, "net_null5", &closer,
                                            &err), 0);
    assert_string_equal(ft_netdev_closer_name(closer), "c1");
    assert_string_equal(ft_netdev_closer_key(closer), "net_null5");
    usleep(50000);
    assert_false(ft_netdev_closer_done(closer));
    assert_int_equal(ft_netdev_opener_start_after("c1", "dpdk", opts, 1,
                                                  NULL, &closer, 1, &op,
                                                  &err), 0);
    usleep(20000);
    assert_false(ft_netdev_opener_done(op));
    ft_dpdk_control_unlock();

    for (int i = 0; i < 30000 && !ft_netdev_opener_done(op); i++) {
        usleep(1000);
    }
    assert_int_equal(ft_netdev_opener_finish(op, &netdev, &err), 0);
    assert_string_equal(netdev->name, "c1");

    /* A closer finished by its owner. */
    assert_int_equal(ft_netdev_closer_start(netdev, NULL, &closer, &err),
                     0);
    assert_string_equal(ft_netdev_closer_key(closer), "");
    ft_netdev_closer_finish(closer);
    assert_int_equal(ft_netdev_open("c2", "dpdk", opts, 1, &other, &err),
                     0);
    ft_netdev_close(other);
    ft_netdev_closer_finish(NULL);
}

static void
test_eal_init(void **state)
{
    struct ft_error err;
    char buf[300];

    (void) state;
    ft_error_clear(&err);
    assert_int_equal(ft_dpdk_eal_init(fx.eal_args, &err), 0);
    assert_true(ft_dpdk_eal_is_running());
    assert_string_equal(ft_dpdk_eal_args(buf, sizeof buf), fx.eal_args);

    /* The same arguments again, spaced differently: nothing to do. */
    snprintf(buf, sizeof buf, "  %s ", fx.eal_args);
    assert_int_equal(ft_dpdk_eal_init(buf, &err), 0);

    /* Other arguments need another process. */
    assert_int_equal(ft_dpdk_eal_init("--no-huge -m 256", &err),
                     -EALREADY);
    assert_non_null(strstr(err.reason, "already runs with arguments"));
    assert_non_null(strstr(err.reason, "'--no-huge -m 256'"));
    assert_true(ft_dpdk_eal_is_running());

    memset(buf, 'x', sizeof buf - 1);
    buf[sizeof buf - 1] = '\0';
    for (size_t i = 1; i < sizeof buf - 1; i += 4) {
        buf[i] = ' ';
    }
    assert_int_equal(ft_dpdk_eal_init(buf, &err), -E2BIG);
    assert_non_null(strstr(err.reason, "more than 61 arguments"));
}

/* A device the EAL attached at start (--vdev) is taken over, and detached
 * at close like any other. */
static void
test_eal_vdev(void **state)
{
    struct ft_netdev *netdev;

    (void) state;
    for (int i = 0; i < 2; i++) {
        open_ok("v0", "net_null9,no-rx=1", &netdev);
        ft_netdev_close(netdev);
    }
}

/* With the EAL. */

static void
test_options(void **state)
{
    struct ft_netdev_option opts[2] = {
        { "dpdk-devargs", "net_null0" }, { "n_rxq_desc", "100" },
    };
    struct ft_netdev *netdev = NULL;
    struct ft_error err;

    (void) state;
    ft_error_clear(&err);
    assert_int_equal(ft_netdev_open("p0", "dpdk", NULL, 0, &netdev, &err),
                     -EINVAL);
    assert_string_equal(err.reason,
                        "interface p0: options:dpdk-devargs is required");
    assert_int_equal(ft_netdev_open("p0", "dpdk", opts, 2, &netdev, &err),
                     -EINVAL);
    assert_non_null(strstr(err.reason, "n_rxq_desc=100 is not a power"));
    opts[1].key = "n_txq_desc";
    opts[1].value = "8192";
    assert_int_equal(ft_netdev_open("p0", "dpdk", opts, 2, &netdev, &err),
                     -EINVAL);
    assert_non_null(strstr(err.reason, "options:n_txq_desc=8192 is not a "
                           "power of 2 from 16 to"));
    opts[1].key = "n_mbufs";
    opts[1].value = "10";
    assert_int_equal(ft_netdev_open("p0", "dpdk", opts, 2, &netdev, &err),
                     -EINVAL);
    assert_non_null(strstr(err.reason, "options:n_mbufs=10 is not an "
                           "integer from 64 to"));
    opts[1].value = "64x";
    assert_int_equal(ft_netdev_open("p0", "dpdk", opts, 2, &netdev, &err),
                     -EINVAL);
    assert_non_null(strstr(err.reason, "options:n_mbufs=64x is not"));
    opts[1].key = "color";
    assert_int_equal(ft_netdev_open("p0", "dpdk", opts, 2, &netdev, &err),
                     -EINVAL);
    assert_non_null(strstr(err.reason, "unknown option 'color'"));
    assert_null(netdev);

    /* Valid descriptor counts. */
    opts[1].key = "n_txq_desc";
    opts[1].value = "256";
    assert_int_equal(ft_netdev_open("p0", "dpdk", opts, 2, &netdev, &err),
                     0);
    ft_netdev_close(netdev);
}

static void
test_bad_devargs(void **state)
{
    char devargs[300];
    struct ft_netdev *netdev;
    struct ft_error err;

    (void) state;
    assert_int_equal(open_fail("p0", "net_nonexistent0", &err), -ENODEV);
    assert_non_null(strstr(err.reason, "interface p0: cannot attach DPDK "
                           "device 'net_nonexistent0': no DPDK bus or "
                           "driver knows this device name"));
    print_message("net_nonexistent0: %s\n", err.reason);

    open_fail("p0", "net_pcap0,rx_pcap=/nonexistent", &err);
    assert_non_null(strstr(err.reason, "'net_pcap0,rx_pcap=/nonexistent'"));
    /* DPDK's own words, from its log. */
    assert_non_null(strstr(err.reason, "/nonexistent: No such file"));
    print_message("rx_pcap=/nonexistent: %s\n", err.reason);

    /* Nothing was left behind: the same device opens now. */
    snprintf(devargs, sizeof devargs, "net_pcap0,rx_pcap=%s,tx_pcap=%s",
             fx.empty, fx.out);
    open_ok("p0", devargs, &netdev);
    ft_netdev_close(netdev);
}

/* Representors: no driver on this machine makes any, so each open is
 * refused with DPDK's reason or the driver's name, and leaves nothing
 * behind; a row naming several is refused before DPDK is asked. */
static void
test_representor_refused(void **state)
{
    struct ft_netdev *netdev;
    struct ft_error err;

    (void) state;
    open_fail("r1", "0000:08:00.0,representor=vf1", &err);
    assert_non_null(strstr(err.reason, "interface r1: cannot attach DPDK "
                           "device '0000:08:00.0,representor=vf1': "));
    print_message("PCI PF: %s\n", err.reason);

    /* net_ring takes any argument and makes no representor. */
    assert_int_equal(open_fail("r1", "net_ring0,representor=vf1", &err),
                     -EOPNOTSUPP);
    assert_string_equal(err.reason, "interface r1: DPDK device "
                        "'net_ring0,representor=vf1' has no representor "
                        "port vf1: net_ring created none (it implements no "
                        "representors, or not this one)");
    /* ... and was detached again: the plain device opens. */
    open_ok("r1", "net_ring0", &netdev);
    ft_netdev_close(netdev);

    assert_int_equal(open_fail("r1", "0000:08:00.0,representor=vf[0-3]",
                               &err), -EINVAL);
    assert_non_null(strstr(err.reason, "names 4 representors, but an "
                           "interface is one port"));
    assert_int_equal(open_fail("r1", "0000:08:00.0,representor=vf[2-1]",
                               &err), -EINVAL);
    assert_non_null(strstr(err.reason, "the range 2-1 goes down"));
}

static void
test_pcap_rx(void **state)
{
    static struct frames in, got;
    struct ft_netdev_stats stats;
    struct ft_netdev *netdev;
    char devargs[300];

    (void) state;
    in.n = 0;
    frame_add(&in, 60, 1);
    frame_add(&in, 342, 2);
    frame_add(&in, 1514, 3);
    frame_add(&in, 3000, 4);        /* Larger than one mbuf. */
    frame_add(&in, 64, 5);
    pcap_write(fx.in, &in);

    snprintf(devargs, sizeof devargs, "net_pcap0,rx_pcap=%s,tx_pcap=%s",
             fx.in, fx.out);
    open_ok("p0", devargs, &netdev);
    assert_int_equal(ft_netdev_get_fd(netdev), -1);
    rx_frames(netdev, in.n, &got);
    assert_frames_equal(&in, &got);

    /* The file is at its end. */
    rx_frames(netdev, 1, &got);
    assert_int_equal(got.n, 0);

    assert_int_equal(ft_netdev_get_stats(netdev, &stats), 0);
    assert_int_equal(stats.rx_packets, in.n);
    assert_int_equal(stats.rx_bytes, frames_bytes(&in));
    assert_int_equal(stats.tx_packets, 0);
    assert_int_equal(stats.rx_errors + stats.rx_dropped, 0);
    ft_netdev_close(netdev);
}

static void
test_pcap_tx(void **state)
{
    static struct frames out, got;
    struct ft_netdev_stats stats;
    struct ft_netdev *netdev;
    uint8_t big[FT_PACKET_HEADROOM + 3000];
    struct ft_packet pkt;
    char devargs[300];

    (void) state;
    out.n = 0;
    frame_add(&out, 60, 11);
    frame_add(&out, 1000, 12);
    frame_add(&out, 1514, 13);

    snprintf(devargs, sizeof devargs, "net_pcap1,rx_pcap=%s,tx_pcap=%s",
             fx.empty, fx.out);
    open_ok("p1", devargs, &netdev);
    tx_frames(netdev, &out);

    /* Larger than an mbuf: refused and counted. */
    ft_packet_init(&pkt, big, sizeof big, FT_PACKET_HEADROOM);
    pkt.size = 3000;
    memset(ft_packet_data(&pkt), 0x55, pkt.size);
    assert_int_equal(ft_netdev_tx(netdev, &pkt), -EMSGSIZE);

    assert_int_equal(ft_netdev_get_stats(netdev, &stats), 0);
    assert_int_equal(stats.tx_packets, out.n);
    assert_int_equal(stats.tx_bytes, frames_bytes(&out));
    assert_int_equal(stats.tx_errors, 1);
    assert_int_equal(stats.tx_dropped, 0);
    assert_int_equal(stats.rx_packets, 0);
    ft_netdev_close(netdev);

    /* Closing wrote the file out. */
    pcap_read(fx.out, &got);
    assert_frames_equal(&out, &got);

    /* The same devargs open again, and start a new file. */
    open_ok("p1", devargs, &netdev);
    tx_frames(netdev, &(struct frames) { 0 });
    ft_netdev_close(netdev);
    pcap_read(fx.out, &got);
    assert_int_equal(got.n, 0);
}

/* net_ring without arguments loops its TX queue back to its RX queue:
 * the frames come back in the mbufs tx() filled, without copies. */
static void
test_ring_loopback(void **state)
{
    static struct frames out, got;
    struct ft_netdev_stats stats;
    struct ft_netdev *netdev;

    (void) state;
    out.n = 0;
    for (int i = 0; i < 5; i++) {
        frame_add(&out, 60 + i * 300, 20 + i);
    }
    open_ok("r0", "net_ring0", &netdev);
    tx_frames(netdev, &out);
    rx_frames(netdev, out.n, &got);
    assert_frames_equal(&out, &got);

    assert_int_equal(ft_netdev_get_stats(netdev, &stats), 0);
    assert_int_equal(stats.tx_packets, out.n);
    assert_int_equal(stats.rx_packets, out.n);
    ft_netdev_close(netdev);
}

/* Opens an AF_PACKET socket bound to 'ifindex'. */
static int
packet_socket(int ifindex)
{
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
        .sll_ifindex = ifindex,
    };
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *) &sll, sizeof sll), 0);
    return fd;
}

/* net_tap: what the kernel sends on the tap, the port receives; what the
 * port sends, the kernel receives.  The kernel may send frames of its own
 * (IPv6 neighbor discovery), so the test looks for its frames among
 * others. */
static void
test_tap(void **state)
{
    static struct frames in, out, got;
    struct ft_netdev *netdev;
    char iface[IFNAMSIZ], devargs[64];
    int fd, ifindex;
    bool found = false;

    (void) state;
    if (geteuid()) {
        skip();
    }
    snprintf(iface, sizeof iface, "ftdtap%ld", (long) getpid() % 100000);
    snprintf(devargs, sizeof devargs, "net_tap0,iface=%s", iface);
    open_ok("t0", devargs, &netdev);
    ifindex = if_nametoindex(iface);
    assert_true(ifindex > 0);
    assert_int_equal(netdev->ifindex, ifindex);
    fd = packet_socket(ifindex);

    /* Kernel to port. */
    in.n = 0;
    frame_add(&in, 98, 31);
    assert_int_equal(send(fd, in.data[0], in.len[0], 0), in.len[0]);
    for (int try = 0; try < 20 && !found; try++) {
        rx_frames(netdev, 1, &got);
        for (size_t i = 0; i < got.n; i++) {
            found |= (got.len[i] == in.len[0]
                      && !memcmp(got.data[i], in.data[0], in.len[0]));
        }
    }
    assert_true(found);

    /* Port to kernel. */
    out.n = 0;
    frame_add(&out, 150, 32);
    tx_frames(netdev, &out);
    found = false;
    for (int try = 0; try < 20 && !found; try++) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        uint8_t buf[2048];
        ssize_t n;

        if (poll(&pfd, 1, 100) <= 0) {
            continue;
        }
        n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        found = (n == (ssize_t) out.len[0]
                 && !memcmp(buf, out.data[0], out.len[0]));
    }
    assert_true(found);
    close(fd);

    ft_netdev_close(netdev);
    assert_int_equal(if_nametoindex(iface), 0);     /* Tap removed. */
}

static void
test_null_busy_reopen(void **state)
{
    struct ft_netdev *netdev, *netdev2;
    struct ft_netdev_stats stats;
    struct ft_eth_addr mac;
    static struct frames out, got;
    struct ft_error err;

    (void) state;
    out.n = 0;
    for (int i = 0; i < MAX_FRAMES; i++) {
        frame_add(&out, 64 + i, i);
    }
    open_ok("n0", "net_null0,no-rx=1", &netdev);
    rx_frames(netdev, 1, &got);
    assert_int_equal(got.n, 0);

    /* 40 frames: more than one transmit queue's worth. */
    for (int i = 0; i < 5; i++) {
        tx_frames(netdev, &out);
    }
    assert_int_equal(ft_netdev_get_stats(netdev, &stats), 0);
    assert_int_equal(stats.tx_packets, 5 * out.n);
    assert_int_equal(stats.tx_dropped + stats.tx_errors, 0);
    /* net_null counts no bytes (net_pcap does: test_pcap_tx). */
    assert_int_equal(ft_netdev_get_mac(netdev, &mac), 0);

    /* One device, one port. */
    assert_int_equal(open_fail("n1", "net_null0,no-rx=1", &err), -EBUSY);
    assert_non_null(strstr(err.reason, "already in use by flowtier "
                           "interface n0"));

    /* The refused open left n0's device alone. */
    tx_frames(netdev, &out);
    assert_int_equal(ft_netdev_get_stats(netdev, &stats), 0);
    assert_int_equal(stats.tx_packets, 6 * out.n);
    ft_netdev_close(netdev);

    open_ok("n1", "net_null0,no-rx=1", &netdev2);
    assert_int_equal(ft_netdev_get_stats(netdev2, &stats), 0);
    assert_int_equal(stats.tx_packets, 0);
    ft_netdev_close(netdev2);
}

static int
setup(void **state)
{
    (void) state;
    snprintf(fx.dir, sizeof fx.dir, "/tmp/ft-dpdk-XXXXXX");
    if (!mkdtemp(fx.dir)) {
        return -1;
    }
    snprintf(fx.in, sizeof fx.in, "%s/in.pcap", fx.dir);
    snprintf(fx.out, sizeof fx.out, "%s/out.pcap", fx.dir);
    snprintf(fx.empty, sizeof fx.empty, "%s/empty.pcap", fx.dir);
    snprintf(fx.eal_args, sizeof fx.eal_args, "--no-huge --no-pci -m 512 "
             "--no-shconf --file-prefix=ft-test-%ld --no-telemetry "
             "--vdev=net_null9,no-rx=1",
             (long) getpid());
    pcap_write(fx.empty, NULL);
    return 0;
}

static int
teardown(void **state)
{
    const char *run_dir = ft_dpdk_eal_runtime_dir();

    (void) state;
    if (run_dir) {
        rmdir(run_dir);         /* Empty with --no-shconf --no-telemetry. */
    }
    unlink(fx.in);
    unlink(fx.out);
    unlink(fx.empty);
    return rmdir(fx.dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_before_eal),
        cmocka_unit_test(test_eal_init_fails),
        cmocka_unit_test(test_opener_starts_eal),
        cmocka_unit_test(test_eal_init),
        cmocka_unit_test(test_opener),
        cmocka_unit_test(test_closer),
        cmocka_unit_test(test_eal_vdev),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_bad_devargs),
        cmocka_unit_test(test_representor_refused),
        cmocka_unit_test(test_pcap_rx),
        cmocka_unit_test(test_pcap_tx),
        cmocka_unit_test(test_ring_loopback),
        cmocka_unit_test(test_null_busy_reopen),
        cmocka_unit_test(test_tap),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

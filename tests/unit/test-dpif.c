/*
 * test-dpif.c - tests of the userspace datapath and its port classes on
 * real devices.
 *
 * The program moves itself into a new network namespace (so nothing leaks
 * to the host), creates veth pairs "dpN"/"injN", attaches the "dpN" ends
 * to a datapath as "system" ports, injects frames on the "injN" ends with
 * raw AF_PACKET sockets and reads what the datapath forwarded there.  The
 * upcall callback is a small translator whose answers the tests choose.
 * Needs root (CAP_NET_ADMIN, CAP_NET_RAW): without it every test fails
 * with a message saying so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "swpath/dpif.h"
#include "swpath/dpif-netdev.h"
#include "swpath/emc.h"
#include "swpath/flow-extract.h"
#include "swpath/netdev.h"

#define N_VETH 3
#define MAX_FRAME 9100

/* What the test translator answers. */
struct xlate_rule {
    bool used;
    ft_port_no in_port;
    struct ft_dp_actions actions;
};

struct fixture {
    bool ready;
    char why[512];
    struct ft_dpif *dpif;
    int inj[N_VETH];                /* Raw sockets on injN. */

    /* Test translator: megaflow = in_port + dl_dst, actions per port. */
    struct xlate_rule rules[4];
    int n_upcalls;
    struct ft_flow last_key;
    int fail_upcalls;               /* Return -EIO this many times. */

    /* Megaflows the test translator installed, and their handles. */
    struct ft_match installed[64];
    struct ft_dpif_flow *handles[64];
    size_t n_installed;
    bool no_install;                /* Install nothing: held elsewhere. */

    int n_logs;
    char last_log[512];
    int n_userspace;
};

static int
run_cmd(const char *fmt, ...)
{
    char cmd[512];
    va_list args;

    va_start(args, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, args);
    va_end(args);
    return system(cmd);
}

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Opens a raw socket on 'ifname' that sees only what the device receives,
 * with VLAN tags reported in auxdata. */
static int
open_raw(const char *ifname)
{
    struct sockaddr_ll sll;
    int one = 1;
    int fd;

    fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                htons(ETH_P_ALL));
    if (fd < 0) {
        return -errno;
    }
    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one);
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = if_nametoindex(ifname);
    if (bind(fd, (struct sockaddr *) &sll, sizeof sll) < 0) {
        close(fd);
        return -errno;
    }
    return fd;
}

/* Reads one frame from raw socket 'fd' into 'buf', putting back a VLAN tag
 * the kernel took out.  Returns its length, or -1 if none is waiting. */
static int
raw_recv(int fd, uint8_t *buf, size_t size)
{
    union {
        struct cmsghdr cm;
        char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
    } cbuf;
    struct iovec iov = { buf + 4, size - 4 };
    struct msghdr msg;
    struct cmsghdr *cm;
    ssize_t n;

    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = &cbuf;
    msg.msg_controllen = sizeof cbuf;
    n = recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
        return -1;
    }
    for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        struct tpacket_auxdata *aux = (void *) CMSG_DATA(cm);

        if (cm->cmsg_level == SOL_PACKET && cm->cmsg_type == PACKET_AUXDATA
            && aux->tp_status & TP_STATUS_VLAN_VALID && n >= 12) {
            uint16_t tpid = (aux->tp_status & TP_STATUS_VLAN_TPID_VALID
                             ? aux->tp_vlan_tpid : ETH_P_8021Q);

            memmove(buf, buf + 4, 12);
            buf[12] = tpid >> 8;
            buf[13] = tpid;
            buf[14] = aux->tp_vlan_tci >> 8;
            buf[15] = aux->tp_vlan_tci;
            return n + 4;
        }
    }
    memmove(buf, buf + 4, n);
    return n;
}

static void
drain(int fd)
{
    uint8_t buf[MAX_FRAME + 64];

    while (raw_recv(fd, buf, sizeof buf) >= 0) {
        continue;
    }
}

/* Runs the datapath until 'want' frames arrived on raw socket 'fd' (or
 * 'ms' milliseconds passed, or, with 'fd' < 0, for 'ms').  The last frame
 * is stored in 'buf' and its length in '*lenp'.  Returns frames read. */
static int
pump(struct fixture *f, int fd, int want, uint8_t *buf, size_t size,
     int *lenp, int ms)
{
    long long deadline = now_ms() + ms;
    int got = 0;

    while (now_ms() < deadline && (fd < 0 || got < want)) {
        int fds[16];
        struct pollfd pfd[17];
        size_t n = ft_dpif_get_fds(f->dpif, fds, 16);

        for (size_t i = 0; i < n; i++) {
            pfd[i].fd = fds[i];
            pfd[i].events = POLLIN;
        }
        if (fd >= 0) {
            pfd[n].fd = fd;
            pfd[n].events = POLLIN;
        }
        poll(pfd, n + (fd >= 0), 2);
        ft_dpif_run(f->dpif, 256);
        if (fd >= 0) {
            int len;

            while (got < want && (len = raw_recv(fd, buf, size)) >= 0) {
                got++;
                if (lenp) {
                    *lenp = len;
                }
            }
        }
    }
    if (getenv("DPIF_DEBUG") && fd >= 0 && got < want) {
        struct ft_dpif_stats st;

        ft_dpif_get_stats(f->dpif, &st);
        fprintf(stderr, "pump: got %d/%d emc %llu mf %llu miss %llu lost %llu "
                "noport %llu inv %llu up %d\n", got, want,
                (unsigned long long) st.n_hit_emc,
                (unsigned long long) st.n_hit_megaflow,
                (unsigned long long) st.n_missed,
                (unsigned long long) st.n_lost,
                (unsigned long long) st.n_tx_no_port,
                (unsigned long long) st.n_invalid, f->n_upcalls);
        for (int p = 1; p <= N_VETH; p++) {
            struct ft_netdev_stats ps;

            ft_dpif_port_get_stats(f->dpif, p, &ps);
            fprintf(stderr, "  port %d rx %llu tx %llu txdrop %llu "
                    "txerr %llu rxdrop %llu\n", p,
                    (unsigned long long) ps.rx_packets,
                    (unsigned long long) ps.tx_packets,
                    (unsigned long long) ps.tx_dropped,
                    (unsigned long long) ps.tx_errors,
                    (unsigned long long) ps.rx_dropped);
        }
    }
    return got;
}

/* Test translator: answers and, unless 'no_install', installs the
 * megaflow in the datapath as the management plane would. */
static int
test_upcall(void *aux, struct ft_dpif *dpif, const struct ft_flow *key,
            struct ft_packet *pkt, struct ft_match *megaflow,
            struct ft_dp_actions *actions, struct ft_dpif_flow **flow_out,
            struct ft_error *err)
{
    struct fixture *f = aux;

    f->n_upcalls++;
    f->last_key = *key;
    assert_ptr_equal(dpif, f->dpif);
    assert_int_equal(pkt->in_port, key->in_port);
    if (f->fail_upcalls > 0) {
        f->fail_upcalls--;
        return ft_error_set(err, -EIO, "test translator refused");
    }
    megaflow->flow.in_port = key->in_port;
    megaflow->mask.in_port = UINT32_MAX;
    megaflow->flow.dl_dst = key->dl_dst;
    memset(megaflow->mask.dl_dst.ea, 0xff, FT_ETH_ALEN);
    for (size_t i = 0; i < 4; i++) {
        if (f->rules[i].used && f->rules[i].in_port == key->in_port) {
            ft_dp_actions_copy(actions, &f->rules[i].actions);
        }
    }
    if (!f->no_install) {
        assert_true(f->n_installed < 64);
        assert_int_equal(ft_dpif_flow_put(dpif, megaflow, actions, flow_out,
                                          NULL), 0);
        f->installed[f->n_installed] = *megaflow;
        f->handles[f->n_installed++] = *flow_out;
    }
    return 0;
}

/* The handle of the installed megaflow 'match', or NULL. */
static struct ft_dpif_flow *
find_installed(const struct fixture *f, const struct ft_match *match)
{
    for (size_t i = 0; i < f->n_installed; i++) {
        if (ft_match_equal(&f->installed[i], match)) {
            return f->handles[i];
        }
    }
    return NULL;
}

/* Reads one megaflow's counters. */
static struct ft_stats
flow_stats(const struct fixture *f, struct ft_dpif_flow *flow)
{
    struct ft_stats st;

    assert_int_equal(ft_dpif_flow_stats(f->dpif, &flow, 1, &st), 0);
    return st;
}

static void
test_log(void *aux, const char *msg)
{
    struct fixture *f = aux;

    f->n_logs++;
    snprintf(f->last_log, sizeof f->last_log, "%s", msg);
}

static void
test_userspace(void *aux, const struct ft_dpa_userspace *act,
               const struct ft_packet *pkt)
{
    struct fixture *f = aux;

    assert_int_equal(act->reason, FT_USERSPACE_CONTROLLER);
    assert_true(pkt->size >= 14);
    f->n_userspace++;
}

static void
set_rule(struct fixture *f, int i, ft_port_no in_port)
{
    f->rules[i].used = true;
    f->rules[i].in_port = in_port;
    ft_dp_actions_clear(&f->rules[i].actions);
}

/* Builds an Ethernet/IPv4/UDP frame of 'len' bytes (>= 42) into 'buf'. */
static void
make_udp(uint8_t *buf, size_t len, uint8_t dst_last, uint8_t src_last,
         uint16_t dport)
{
    static const uint8_t hdr[] = {
        0x02, 0, 0, 0, 0, 0x00,       /* dl_dst, last byte set below */
        0x02, 0, 0, 0, 1, 0x00,       /* dl_src */
        0x08, 0x00,
        0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0,
        10, 0, 0, 1, 10, 0, 0, 2,
        0x30, 0x39, 0, 0, 0, 0, 0, 0,
    };
    size_t ip_len = len - 14;

    memset(buf, 0, len);
    memcpy(buf, hdr, sizeof hdr);
    buf[5] = dst_last;
    buf[11] = src_last;
    buf[16] = ip_len >> 8;
    buf[17] = ip_len;
    buf[36] = dport >> 8;
    buf[37] = dport;
    buf[38] = (ip_len - 20) >> 8;
    buf[39] = ip_len - 20;
    for (size_t i = 42; i < len; i++) {
        buf[i] = i * 7;
    }
}

static void
inject(struct fixture *f, int i, const void *frame, size_t len)
{
    assert_int_equal(send(f->inj[i], frame, len, 0), (ssize_t) len);
}

static int
setup_env(struct fixture *f)
{
    struct ft_error err;
    char name[16];

    if (geteuid() != 0) {
        snprintf(f->why, sizeof f->why, "test-dpif needs root "
                 "(CAP_NET_ADMIN and CAP_NET_RAW) to create network "
                 "namespaces, veths and taps; run it as root");
        return -1;
    }
    if (unshare(CLONE_NEWNET) < 0) {
        snprintf(f->why, sizeof f->why, "unshare(CLONE_NEWNET) failed: %s "
                 "(needs CAP_SYS_ADMIN)", strerror(errno));
        return -1;
    }
    run_cmd("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
            "net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1");
    run_cmd("ip link set lo up");
    for (int i = 0; i < N_VETH; i++) {
        if (run_cmd("ip link add dp%d mtu 9100 type veth peer name inj%d "
                    "mtu 9100 && ip link set inj%d up", i, i, i)) {
            snprintf(f->why, sizeof f->why, "cannot create veth pairs "
                     "with 'ip link add' (CAP_NET_ADMIN?)");
            return -1;
        }
    }
    if (ft_dpif_create(NULL, "br0", &f->dpif, NULL)) {
        snprintf(f->why, sizeof f->why, "ft_dpif_create failed");
        return -1;
    }
    ft_dpif_set_upcall_cb(f->dpif, test_upcall, f);
    ft_dpif_set_log_cb(f->dpif, test_log, f);
    ft_dpif_set_userspace_cb(f->dpif, test_userspace, f);
    for (int i = 0; i < N_VETH; i++) {
        snprintf(name, sizeof name, "dp%d", i);
        if (ft_dpif_port_add(f->dpif, i + 1, name, "system", NULL, 0,
                             &err)) {
            snprintf(f->why, sizeof f->why, "adding %s: %s", name,
                     err.reason);
            return -1;
        }
        snprintf(name, sizeof name, "inj%d", i);
        f->inj[i] = open_raw(name);
        if (f->inj[i] < 0) {
            snprintf(f->why, sizeof f->why, "raw socket on %s: %s", name,
                     strerror(-f->inj[i]));
            return -1;
        }
    }
    /* Let link-up chatter settle, then forget it. */
    pump(f, -1, 0, NULL, 0, NULL, 50);
    return 0;
}

static int
group_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    for (int i = 0; i < 4; i++) {
        ft_dp_actions_init(&f->rules[i].actions);
    }
    f->ready = !setup_env(f);
    *state = f;
    return 0;
}

static int
group_teardown(void **state)
{
    struct fixture *f = *state;

    ft_dpif_destroy(f->dpif);
    for (int i = 0; i < N_VETH; i++) {
        if (f->inj[i] > 0) {
            close(f->inj[i]);
        }
    }
    for (int i = 0; i < 4; i++) {
        ft_dp_actions_uninit(&f->rules[i].actions);
    }
    free(f);
    return 0;
}

/* Every test starts with an empty flow table and quiet sockets. */
static struct fixture *
start(void **state)
{
    struct fixture *f = *state;

    if (!f->ready) {
        fail_msg("%s", f->why);
    }
    ft_dpif_flow_flush(f->dpif);
    f->n_installed = 0;
    f->no_install = false;
    for (int i = 0; i < 4; i++) {
        f->rules[i].used = false;
    }
    pump(f, -1, 0, NULL, 0, NULL, 5);
    for (int i = 0; i < N_VETH; i++) {
        drain(f->inj[i]);
    }
    f->n_upcalls = 0;
    f->fail_upcalls = 0;
    return f;
}

static void
test_bad_ports(void **state)
{
    struct fixture *f = start(state);
    struct ft_netdev_option opt = { "bogus", "1" };
    struct ft_dpif_port_info info;
    struct ft_error err;

    ft_error_clear(&err);
    assert_int_equal(ft_dpif_port_add(f->dpif, 9, "vnet9", "system", NULL,
                                      0, &err), -ENODEV);
    assert_string_equal(err.reason, "port vnet9: no such network device");
    assert_int_equal(ft_dpif_port_add(f->dpif, 9, "dp0", NULL, NULL, 0,
                                      &err), -EEXIST);
    assert_non_null(strstr(err.reason, "already in datapath br0"));
    assert_int_equal(ft_dpif_port_add(f->dpif, 1, "lo", NULL, NULL, 0,
                                      &err), -EEXIST);
    assert_non_null(strstr(err.reason, "port number 1 is already used by "
                           "dp0"));
    assert_int_equal(ft_dpif_port_add(f->dpif, 0, "lo", NULL, NULL, 0,
                                      &err), -EINVAL);
    assert_int_equal(ft_dpif_port_add(f->dpif, 0xfff0, "lo", NULL, NULL, 0,
                                      &err), -EINVAL);
    assert_int_equal(ft_dpif_port_add(f->dpif, 9, "lo", "geneve", NULL, 0,
                                      &err), -EOPNOTSUPP);
    assert_non_null(strstr(err.reason, "type 'geneve' is not supported"));
    assert_int_equal(ft_dpif_port_add(f->dpif, 9, "lo", "dpdk", NULL, 0,
                                      &err), -EINVAL);
    assert_non_null(strstr(err.reason, "dpdk-devargs is required"));
    assert_int_equal(ft_dpif_port_add(f->dpif, 9, "lo", "system", &opt, 1,
                                      &err), -EINVAL);
    assert_string_equal(err.reason,
                        "port lo: unknown option 'bogus' for type system");
    assert_int_equal(ft_dpif_port_add(f->dpif, 9, "much-too-long-name",
                                      "system", NULL, 0, &err), -EINVAL);
    assert_int_equal(ft_dpif_port_count(f->dpif), N_VETH);
    assert_int_equal(ft_dpif_port_del(f->dpif, 9), -ENOENT);
    assert_int_equal(ft_dpif_port_get(f->dpif, 9, &info), -ENOENT);
    assert_int_equal(ft_dpif_port_get_by_name(f->dpif, "dp1", &info), 0);
    assert_int_equal(info.port_no, 2);
    assert_string_equal(info.type, "system");
    assert_true(info.fd >= 0);
    assert_int_equal(info.ifindex, if_nametoindex("dp1"));
}

/* Numbers of the frames send_frames() sent and read_burst() read last. */
static uint32_t frames_sent, frames_read;

/* Sends 'n' 60-byte frames on raw socket 'fd', each numbered after the
 * ethertype, and gives the kernel 50 ms to deliver those it queued. */
static void
send_frames(int fd, int n)
{
    uint8_t frame[60] = {
        0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5,
    };

    for (int i = 0; i < n; i++) {
        uint32_t seq = htonl(++frames_sent);

        memcpy(&frame[14], &seq, sizeof seq);
        assert_int_equal(send(fd, frame, sizeof frame, 0),
                         (ssize_t) sizeof frame);
    }
    usleep(50000);
}

/* Reads one burst from 'netdev' and returns its frames, checking that
 * they come in the order they were sent (a dropped frame leaves a gap). */
static int
read_burst(struct ft_netdev *netdev)
{
    struct ft_packet_batch batch;
    int n;

    ft_packet_batch_init(&batch);
    n = ft_netdev_rx_burst(netdev, &batch);
    for (int i = 0; i < n; i++) {
        const uint8_t *p = ft_packet_data(batch.packets[i]);
        uint32_t seq;

        assert_int_equal(batch.packets[i]->size, 60);
        memcpy(&seq, p + 14, sizeof seq);
        assert_true(ntohl(seq) > frames_read);
        frames_read = ntohl(seq);
    }
    return n;
}

/* Reads 'netdev' until three polls 1 ms apart find nothing; returns the
 * frames read. */
static int
read_dry(struct ft_netdev *netdev)
{
    int got = 0, idle = 0;

    while (idle < 3) {
        int n = read_burst(netdev);

        if (n > 0) {
            got += n;
            idle = 0;
        } else {
            idle++;
            usleep(1000);
        }
    }
    return got;
}

/* Sends 'n' frames into veth end 'inj' while nothing reads the "system"
 * port on its peer 'dev', opened with option rx_ring_frames='frames'
 * (NULL: none); then reads the port dry.  Returns the frames read and
 * sets '*dropped' to the port's rx_dropped. */
static int
ring_burst(const char *dev, const char *inj, const char *frames, int n,
           uint64_t *dropped)
{
    struct ft_netdev_option opt = { "rx_ring_frames", frames };
    struct ft_netdev_stats st;
    struct ft_netdev *netdev;
    struct ft_error err;
    int fd, got;

    assert_int_equal(ft_netdev_open(dev, "system", &opt, frames ? 1 : 0,
                                    &netdev, &err), 0);
    fd = open_raw(inj);
    assert_true(fd >= 0);
    send_frames(fd, n);
    got = read_dry(netdev);
    ft_netdev_get_stats(netdev, &st);
    *dropped = st.rx_dropped;
    close(fd);
    ft_netdev_close(netdev);
    return got;
}

/* Option rx_ring_frames: a ring of 8,192 slots holds a burst of 6,000
 * frames that the default 4,096 cannot (the rest counted as dropped), and
 * a size the ring cannot have is refused with the reason. */
static void
test_rx_ring_frames(void **state)
{
    struct ft_netdev_option opt = { "rx_ring_frames", "5000" };
    struct ft_netdev *netdev;
    struct ft_error err;
    uint64_t dropped;
    int got;

    (void) start(state);
    assert_int_equal(run_cmd("ip link add rb0 type veth peer name rbi0 && "
                             "ip link set rbi0 up"), 0);
    got = ring_burst("rb0", "rbi0", NULL, 6000, &dropped);
    assert_true(got <= 4096);
    assert_true(dropped >= (uint64_t) (6000 - got));
    got = ring_burst("rb0", "rbi0", "8192", 6000, &dropped);
    assert_true(got >= 6000);
    assert_int_equal(dropped, 0);

    assert_int_equal(ft_netdev_open("rb0", "system", &opt, 1, &netdev,
                                    &err), -EINVAL);
    assert_string_equal(err.reason, "port rb0: option rx_ring_frames=5000 "
                        "must be a multiple of 32 from 1024 to 65536 (slots "
                        "of 2048 bytes in the receive ring)");
    opt.value = "131072";
    assert_int_equal(ft_netdev_open("rb0", "system", &opt, 1, &netdev,
                                    &err), -EINVAL);
    opt.value = "-4096";
    assert_int_equal(ft_netdev_open("rb0", "system", &opt, 1, &netdev,
                                    &err), -EINVAL);
    run_cmd("ip link del rb0");
}

/* Makes veth pair 'dev'-'inj', opens 'dev' as a "system" port with its
 * default ring into '*netdevp' and returns a raw socket on 'inj'.  GRO
 * stays off: with it the veth queues frames for its NAPI poll and drops
 * there what does not fit, so a burst's losses would split between the
 * veth and the ring at the scheduler's whim. */
static int
veth_port(const char *dev, const char *inj, struct ft_netdev **netdevp)
{
    struct ft_netdev_option gro = { "gro", "false" };
    char cmd[128];
    struct ft_error err;
    int fd;

    snprintf(cmd, sizeof cmd, "ip link add %s type veth peer name %s && "
             "ip link set %s up", dev, inj, inj);
    assert_int_equal(run_cmd(cmd), 0);
    fd = open_raw(inj);
    assert_true(fd >= 0);
    assert_int_equal(ft_netdev_open(dev, "system", &gro, 1, netdevp, &err),
                     0);
    return fd;
}

/* Without option rx_ring_frames a port's ring grows from 4,096 to 16,384
 * slots once it is a quarter full, and loses none of the frames it held: they
 * come first, in order, then the new ring's; a burst that overflowed the
 * small ring fits the large one.  A ring of the size given by the option
 * never grows. */
static void
test_rx_ring_grows(void **state)
{
    struct ft_netdev_option opts[2] = { { "rx_ring_frames", "4096" },
                                        { "gro", "false" } };
    struct ft_netdev_stats st;
    struct ft_netdev *netdev;
    struct ft_error err;
    uint64_t dropped;
    int fd, got;

    (void) start(state);
    fd = veth_port("rg0", "rgi0", &netdev);
    ft_netdev_get_stats(netdev, &st);
    assert_int_equal(st.rx_ring_frames, 4096);

    /* Overflow while nothing reads: the kernel drops what the ring cannot
     * hold.  The first read finds the ring full and grows it; the 4,096
     * frames it held arrive all the same, before the 100 sent after the
     * growth. */
    send_frames(fd, 6000);
    got = read_burst(netdev);
    assert_int_equal(got, FT_PACKET_BATCH_MAX);
    send_frames(fd, 100);
    got += read_dry(netdev);
    assert_int_equal(got, 4096 + 100);
    ft_netdev_get_stats(netdev, &st);
    assert_int_equal(st.rx_ring_frames, 16384);
    assert_int_equal(st.rx_dropped, 6000 - 4096);
    dropped = st.rx_dropped;

    /* Twice that burst now fits. */
    send_frames(fd, 12000);
    assert_int_equal(read_dry(netdev), 12000);
    ft_netdev_get_stats(netdev, &st);
    assert_int_equal(st.rx_dropped, dropped);

    /* 16,384 is the limit. */
    send_frames(fd, 20000);
    assert_int_equal(read_dry(netdev), 16384);
    ft_netdev_get_stats(netdev, &st);
    assert_int_equal(st.rx_dropped, dropped + 20000 - 16384);
    assert_int_equal(st.rx_ring_frames, 16384);
    ft_netdev_close(netdev);

    /* A size given is kept (GRO off as in veth_port()). */
    assert_int_equal(ft_netdev_open("rg0", "system", opts, 2, &netdev,
                                    &err), 0);
    send_frames(fd, 6000);
    assert_int_equal(read_dry(netdev), 4096);
    ft_netdev_get_stats(netdev, &st);
    assert_int_equal(st.rx_dropped, 6000 - 4096);
    send_frames(fd, 1);
    read_dry(netdev);
    ft_netdev_get_stats(netdev, &st);
    assert_int_equal(st.rx_ring_frames, 4096);
    ft_netdev_close(netdev);
    close(fd);
    run_cmd("ip link del rg0");
}

struct sender {
    int fd;
    int n;
};

/* Sends 'n' frames, one every 20 us. */
static void *
sender_main(void *s_)
{
    struct sender *s = s_;

    for (int i = 0; i < s->n; i++) {
        uint8_t frame[60] = {
            0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5,
        };
        uint32_t seq = htonl(__atomic_add_fetch(&frames_sent, 1,
                                                __ATOMIC_RELAXED));

        memcpy(&frame[14], &seq, sizeof seq);
        if (send(s->fd, frame, sizeof frame, 0) != (ssize_t) sizeof frame) {
            abort();
        }
        usleep(20);
    }
    return NULL;
}

/* The ring grows by moving the device to a new socket: frames that keep
 * arriving meanwhile all arrive, in order, none twice; a child process
 * still mapping the old ring does not hold the growth back; and the
 * descriptor the port is polled through stays the same and wakes for the
 * new socket's frames. */
static void
test_rx_ring_grow_live(void **state)
{
    struct ft_netdev_stats st;
    struct ft_netdev *netdev;
    struct sender sender;
    struct pollfd pfd;
    pthread_t thread;
    pid_t child;
    int fd, got;

    (void) start(state);
    fd = veth_port("rh0", "rhi0", &netdev);
    pfd.fd = ft_netdev_get_fd(netdev);
    pfd.events = POLLIN;
    child = fork();
    assert_true(child >= 0);
    if (!child) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        pause();
        _exit(0);
    }

    /* Less than a quarter full: no growth. */
    send_frames(fd, 1000);
    assert_int_equal(read_dry(netdev), 1000);
    ft_netdev_get_stats(netdev, &st);
    assert_int_equal(st.rx_ring_frames, 4096);

    /* Over a quarter full: the next read grows the ring while 3,000 more
     * frames come, and not one is dropped. */
    send_frames(fd, 1100);
    sender.fd = fd;
    sender.n = 3000;
    assert_int_equal(pthread_create(&thread, NULL, sender_main, &sender), 0);
    got = read_burst(netdev);
    pthread_join(thread, NULL);
    usleep(50000);
    got += read_dry(netdev);
    assert_int_equal(got, 1100 + 3000);
    ft_netdev_get_stats(netdev, &st);
    assert_int_equal(st.rx_ring_frames, 16384);
    assert_int_equal(st.rx_dropped, 0);

    assert_int_equal(poll(&pfd, 1, 0), 0);
    send_frames(fd, 1);
    assert_int_equal(poll(&pfd, 1, 1000), 1);
    assert_true(pfd.revents & POLLIN);
    assert_int_equal(ft_netdev_get_fd(netdev), pfd.fd);
    assert_int_equal(read_dry(netdev), 1);
    send_frames(fd, 12000);
    assert_int_equal(read_dry(netdev), 12000);

    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    ft_netdev_close(netdev);
    close(fd);
    run_cmd("ip link del rh0");
}

static int
count_port(const struct ft_dpif_port_info *info, void *aux)
{
    ft_port_no *last = aux;

    assert_true(info->port_no > *last);
    *last = info->port_no;
    return 0;
}

static void
test_fds_and_ports(void **state)
{
    struct fixture *f = start(state);
    ft_port_no last = 0;
    int fds[2];

    assert_int_equal(ft_dpif_get_fds(f->dpif, fds, 2), N_VETH);
    assert_true(fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1]);
    assert_false(ft_dpif_needs_polling(f->dpif));
    assert_int_equal(ft_dpif_port_foreach(f->dpif, count_port, &last), 0);
    assert_int_equal(last, N_VETH);
}

static void
test_miss_then_hits(void **state)
{
    struct fixture *f = start(state);
    uint8_t frame[100], buf[MAX_FRAME + 64];
    struct ft_netdev_stats ps0, ps1, ps0b, ps1b;
    struct ft_dpif_stats s0, s1;
    struct ft_dpif_flow *flow;
    struct ft_match match;
    struct ft_stats st;
    struct ft_flow want;
    int len = 0;

    set_rule(f, 0, 1);
    ft_dp_actions_put_output(&f->rules[0].actions, 2);
    ft_dpif_get_stats(f->dpif, &s0);
    ft_dpif_port_get_stats(f->dpif, 1, &ps0);
    ft_dpif_port_get_stats(f->dpif, 2, &ps1);

    make_udp(frame, sizeof frame, 0x22, 0x11, 53);
    inject(f, 0, frame, sizeof frame);
    assert_int_equal(pump(f, f->inj[1], 1, buf, sizeof buf, &len, 2000), 1);
    assert_int_equal(len, sizeof frame);
    assert_memory_equal(buf, frame, sizeof frame);

    /* The upcall saw the packet's key. */
    assert_int_equal(f->n_upcalls, 1);
    ft_flow_extract(frame, sizeof frame, 1, &want);
    assert_true(ft_flow_equal(&want, &f->last_key));
    assert_int_equal(f->last_key.tp_dst, 53);
    assert_int_equal(f->last_key.nw_src, 0x0a000001);
    assert_int_equal(ft_dpif_flow_count(f->dpif), 1);

    /* Subsequent packets: no upcall, EMC hits. */
    for (int i = 0; i < 5; i++) {
        inject(f, 0, frame, sizeof frame);
    }
    assert_int_equal(pump(f, f->inj[1], 5, buf, sizeof buf, &len, 2000), 5);
    assert_int_equal(f->n_upcalls, 1);
    ft_dpif_get_stats(f->dpif, &s1);
    assert_int_equal(s1.n_hit_emc - s0.n_hit_emc, 5);
    assert_int_equal(s1.n_missed - s0.n_missed, 1);

    /* Another source MAC: same megaflow (it matches in_port and dl_dst
     * only), found in the megaflow cache. */
    make_udp(frame, sizeof frame, 0x22, 0x33, 53);
    inject(f, 0, frame, sizeof frame);
    assert_int_equal(pump(f, f->inj[1], 1, buf, sizeof buf, &len, 2000), 1);
    assert_int_equal(f->n_upcalls, 1);
    ft_dpif_get_stats(f->dpif, &s0);
    assert_int_equal(s0.n_hit_megaflow - s1.n_hit_megaflow, 1);

    /* Megaflow stats. */
    memset(&match, 0, sizeof match);
    match.flow.in_port = 1;
    match.mask.in_port = UINT32_MAX;
    match.flow.dl_dst = want.dl_dst;
    memset(match.mask.dl_dst.ea, 0xff, FT_ETH_ALEN);
    flow = find_installed(f, &match);
    assert_non_null(flow);
    st = flow_stats(f, flow);
    assert_int_equal(st.n_packets, 7);
    assert_int_equal(st.n_bytes, 7 * sizeof frame);
    assert_true(st.used > 0);

    /* Port stats. */
    ft_dpif_port_get_stats(f->dpif, 1, &ps0b);
    ft_dpif_port_get_stats(f->dpif, 2, &ps1b);
    assert_int_equal(ps0b.rx_packets - ps0.rx_packets, 7);
    assert_int_equal(ps0b.rx_bytes - ps0.rx_bytes, 7 * sizeof frame);
    assert_int_equal(ps1b.tx_packets - ps1.tx_packets, 7);
    assert_int_equal(ps1b.tx_bytes - ps1.tx_bytes, 7 * sizeof frame);
    assert_int_equal(ps1b.tx_errors, 0);

    /* Deleting the megaflow hands back its final counters and makes the
     * next packet an upcall again. */
    memset(&st, 0, sizeof st);
    assert_int_equal(ft_dpif_flow_del(f->dpif, flow, &st), 0);
    assert_int_equal(st.n_packets, 7);
    assert_int_equal(ft_dpif_flow_count(f->dpif), 0);
    inject(f, 0, frame, sizeof frame);
    assert_int_equal(pump(f, f->inj[1], 1, buf, sizeof buf, &len, 2000), 1);
    assert_int_equal(f->n_upcalls, 2);
}

/* Many packets of one new flow in one burst: one upcall. */
static void
test_batch_one_upcall(void **state)
{
    struct fixture *f = start(state);
    uint8_t frame[64], buf[MAX_FRAME + 64];
    int len;

    set_rule(f, 0, 1);
    ft_dp_actions_put_output(&f->rules[0].actions, 2);
    make_udp(frame, sizeof frame, 0x44, 0x11, 99);
    for (int i = 0; i < 20; i++) {
        inject(f, 0, frame, sizeof frame);
    }
    assert_int_equal(pump(f, f->inj[1], 20, buf, sizeof buf, &len, 2000),
                     20);
    /* The ring hands them over in one or a few bursts: at most one upcall
     * per burst, never one per packet. */
    assert_true(f->n_upcalls >= 1 && f->n_upcalls <= 3);
    assert_int_equal(ft_dpif_flow_count(f->dpif), 1);
}

static void
test_vlan(void **state)
{
    struct fixture *f = start(state);
    uint8_t frame[100], tagged[104], buf[MAX_FRAME + 64];
    struct ft_dp_action *act;
    int len = 0;

    /* Port 1 -> push VLAN 100 prio 5 -> port 2; port 2 -> pop -> port 1;
     * port 3 -> as is -> port 1. */
    set_rule(f, 0, 1);
    act = ft_dp_actions_put(&f->rules[0].actions, FT_DPA_PUSH_VLAN);
    act->push_vlan.tpid = FT_ETH_TYPE_VLAN;
    act->push_vlan.tci = FT_VLAN_CFI | 100 | 5 << FT_VLAN_PCP_SHIFT;
    ft_dp_actions_put_output(&f->rules[0].actions, 2);
    set_rule(f, 1, 2);
    ft_dp_actions_put(&f->rules[1].actions, FT_DPA_POP_VLAN);
    ft_dp_actions_put_output(&f->rules[1].actions, 1);
    set_rule(f, 2, 3);
    ft_dp_actions_put_output(&f->rules[2].actions, 1);

    make_udp(frame, sizeof frame, 0x55, 0x11, 7);
    memcpy(tagged, frame, 12);
    tagged[12] = 0x81;
    tagged[13] = 0x00;
    tagged[14] = 0xa0;          /* PCP 5, VID 100. */
    tagged[15] = 100;
    memcpy(tagged + 16, frame + 12, sizeof frame - 12);

    inject(f, 0, frame, sizeof frame);
    assert_int_equal(pump(f, f->inj[1], 1, buf, sizeof buf, &len, 2000), 1);
    assert_int_equal(len, sizeof tagged);
    assert_memory_equal(buf, tagged, sizeof tagged);

    /* A tagged frame received keeps its tag in the key and is popped. */
    inject(f, 1, tagged, sizeof tagged);
    assert_int_equal(pump(f, f->inj[0], 1, buf, sizeof buf, &len, 2000), 1);
    assert_int_equal(f->last_key.in_port, 2);
    assert_int_equal(f->last_key.vlans[0].tpid, FT_ETH_TYPE_VLAN);
    assert_int_equal(f->last_key.vlans[0].tci,
                     FT_VLAN_CFI | 100 | 5 << FT_VLAN_PCP_SHIFT);
    assert_int_equal(f->last_key.dl_type, FT_ETH_TYPE_IP);
    assert_int_equal(len, sizeof frame);
    assert_memory_equal(buf, frame, sizeof frame);

    /* Forwarded as is, the tag stays on the wire; 802.1ad too. */
    inject(f, 2, tagged, sizeof tagged);
    assert_int_equal(pump(f, f->inj[0], 1, buf, sizeof buf, &len, 2000), 1);
    assert_int_equal(len, sizeof tagged);
    assert_memory_equal(buf, tagged, sizeof tagged);
    tagged[5] = 0x56;           /* New dl_dst: a new megaflow. */
    tagged[12] = 0x88;
    tagged[13] = 0xa8;
    inject(f, 2, tagged, sizeof tagged);
    assert_int_equal(pump(f, f->inj[0], 1, buf, sizeof buf, &len, 2000), 1);
    assert_int_equal(f->last_key.vlans[0].tpid, FT_ETH_TYPE_VLAN_AD);
    assert_int_equal(len, sizeof tagged);
    assert_memory_equal(buf, tagged, sizeof tagged);
}

static void
test_frame_sizes(void **state)
{
    struct fixture *f = start(state);
    static const size_t sizes[] = { 14, 15, 42, 60, 64, 1000, 1514, 1518,
                                    4000, 9000 };
    static uint8_t frame[9000], buf[MAX_FRAME + 64];
    struct ft_dpif_stats s0, s1;
    int len = 0;

    set_rule(f, 0, 1);
    ft_dp_actions_put_output(&f->rules[0].actions, 3);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];

        if (n >= 42) {
            make_udp(frame, n, 0x66, 0x11, 1000 + i);
        } else {
            memset(frame, 0, n);
            frame[0] = 0x02;
            frame[5] = 0x66;
            frame[6] = 0x02;
            memset(frame + 12, 0x88, n - 12);
        }
        inject(f, 0, frame, n);
        assert_int_equal(pump(f, f->inj[2], 1, buf, sizeof buf, &len, 2000),
                         1);
        assert_int_equal(len, n);
        assert_memory_equal(buf, frame, n);
    }

    /* A runt: the kernel may or may not pass it; either way nothing
     * breaks and the next frame goes through. */
    ft_dpif_get_stats(f->dpif, &s0);
    send(f->inj[0], frame, 10, 0);
    pump(f, -1, 0, NULL, 0, NULL, 20);
    ft_dpif_get_stats(f->dpif, &s1);
    assert_true(s1.n_hit_emc + s1.n_hit_megaflow + s1.n_missed
                + s1.n_invalid - s0.n_hit_emc - s0.n_hit_megaflow
                - s0.n_missed - s0.n_invalid <= 1);
    make_udp(frame, 60, 0x66, 0x11, 5);
    inject(f, 0, frame, 60);
    assert_int_equal(pump(f, f->inj[2], 1, buf, sizeof buf, &len, 2000), 1);
    assert_int_equal(len, 60);
}

/* A burst of frames of one megaflow whose actions are output:2,output:3:
 * port 2 gets copies, port 3 (the last output) the frames themselves,
 * sent from where port 1 received them (a ring slot, or for the larger
 * ones the buffer recvmsg() filled).  Each frame must arrive on both,
 * intact and in order, whichever way it went. */
static void
test_last_output_burst(void **state)
{
    struct fixture *f = start(state);
    static const size_t sizes[] = { 60, 1514, 4000, 64, 9000, 100, 2000, 42 };
    enum { N = sizeof sizes / sizeof sizes[0] };
    static uint8_t frames[N][9000], buf[MAX_FRAME + 64];
    int len = 0;

    set_rule(f, 0, 1);
    ft_dp_actions_put_output(&f->rules[0].actions, 2);
    ft_dp_actions_put_output(&f->rules[0].actions, 3);

    /* The megaflow first, so that the burst hits it. */
    make_udp(frames[0], 60, 0x77, 0x11, 1);
    inject(f, 0, frames[0], 60);
    assert_int_equal(pump(f, f->inj[2], 1, buf, sizeof buf, &len, 2000), 1);
    pump(f, -1, 0, NULL, 0, NULL, 20);
    drain(f->inj[1]);
    drain(f->inj[2]);

    for (size_t i = 0; i < N; i++) {
        make_udp(frames[i], sizes[i], 0x77, 0x11, 100 + i);
        inject(f, 0, frames[i], sizes[i]);
    }
    for (int p = 2; p >= 1; p--) {
        for (size_t i = 0; i < N; i++) {
            long long deadline = now_ms() + 2000;

            while ((len = raw_recv(f->inj[p], buf, sizeof buf)) < 0
                   && now_ms() < deadline) {
                pump(f, -1, 0, NULL, 0, NULL, 2);
            }
            assert_int_equal(len, sizes[i]);
            assert_memory_equal(buf, frames[i], sizes[i]);
        }
    }
    assert_int_equal(f->n_upcalls, 1);
}

/* A frame the datapath gets with fewer than 14 bytes is dropped and
 * counted (ft_dpif_execute() is the way to hand it one directly). */
static void
test_execute(void **state)
{
    struct fixture *f = start(state);
    uint8_t mem[256], frame[60], buf[MAX_FRAME + 64];
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dp_action *act;
    struct ft_dpif_stats s0, s1;
    struct ft_packet pkt;
    int len = 0;

    make_udp(frame, sizeof frame, 0x77, 0x11, 1);
    ft_packet_init(&pkt, mem, sizeof mem, FT_PACKET_HEADROOM);
    ft_packet_set_frame(&pkt, frame, sizeof frame);
    pkt.in_port = FT_PORT_NONE;

    ft_dp_actions_put_output(&acts, 2);
    ft_dp_actions_put_output(&acts, 42);    /* No such port. */
    act = ft_dp_actions_put(&acts, FT_DPA_USERSPACE);
    act->userspace.reason = FT_USERSPACE_CONTROLLER;
    ft_dpif_get_stats(f->dpif, &s0);
    f->n_userspace = 0;
    assert_int_equal(ft_dpif_execute(f->dpif, &pkt, &acts), 0);
    assert_int_equal(pump(f, f->inj[1], 1, buf, sizeof buf, &len, 2000), 1);
    assert_int_equal(len, sizeof frame);
    ft_dpif_get_stats(f->dpif, &s1);
    assert_int_equal(s1.n_tx_no_port - s0.n_tx_no_port, 1);
    assert_int_equal(s1.n_userspace - s0.n_userspace, 1);
    assert_int_equal(f->n_userspace, 1);

    /* Without a userspace callback: counted and dropped. */
    ft_dpif_set_userspace_cb(f->dpif, NULL, NULL);
    assert_int_equal(ft_dpif_execute(f->dpif, &pkt, &acts), 0);
    ft_dpif_set_userspace_cb(f->dpif, test_userspace, f);
    ft_dpif_get_stats(f->dpif, &s0);
    assert_int_equal(s0.n_userspace_dropped - s1.n_userspace_dropped, 1);
    assert_int_equal(f->n_userspace, 1);

    /* A 10-byte frame: a POP_VLAN is skipped, the output still happens. */
    ft_dp_actions_clear(&acts);
    ft_dp_actions_put(&acts, FT_DPA_POP_VLAN);
    ft_dp_actions_put_output(&acts, 3);
    ft_packet_set_frame(&pkt, frame, 10);
    assert_int_equal(ft_dpif_execute(f->dpif, &pkt, &acts), -EINVAL);
    ft_dpif_get_stats(f->dpif, &s1);
    assert_int_equal(s1.n_exec_skipped - s0.n_exec_skipped, 1);
    ft_dp_actions_uninit(&acts);
}

static void
test_upcall_failure(void **state)
{
    struct fixture *f = start(state);
    uint8_t frame[80], buf[MAX_FRAME + 64];
    struct ft_dpif_stats s0, s1;
    int len;

    set_rule(f, 0, 1);
    ft_dp_actions_put_output(&f->rules[0].actions, 2);
    f->fail_upcalls = 1;
    f->n_logs = 0;
    ft_dpif_get_stats(f->dpif, &s0);
    make_udp(frame, sizeof frame, 0x88, 0x11, 1);
    inject(f, 0, frame, sizeof frame);
    assert_int_equal(pump(f, f->inj[1], 1, buf, sizeof buf, &len, 300), 0);
    ft_dpif_get_stats(f->dpif, &s1);
    assert_int_equal(s1.n_lost - s0.n_lost, 1);
    assert_int_equal(ft_dpif_flow_count(f->dpif), 0);
    assert_true(f->n_logs >= 1);
    assert_non_null(strstr(f->last_log, "test translator refused"));

    /* The next one succeeds. */
    inject(f, 0, frame, sizeof frame);
    assert_int_equal(pump(f, f->inj[1], 1, buf, sizeof buf, &len, 2000), 1);
    assert_int_equal(ft_dpif_flow_count(f->dpif), 1);
}

/* A megaflow held in another tier: the upcall installs nothing here, the
 * packet is still forwarded, nothing is counted here, and every packet
 * of it goes up. */
static void
test_held_elsewhere(void **state)
{
    struct fixture *f = start(state);
    uint8_t frame[80], buf[MAX_FRAME + 64];
    struct ft_dpif_stats s0, s1;
    int len;

    set_rule(f, 0, 1);
    ft_dp_actions_put_output(&f->rules[0].actions, 2);
    f->no_install = true;
    ft_dpif_get_stats(f->dpif, &s0);

    make_udp(frame, sizeof frame, 0x92, 0x11, 1);
    for (int i = 0; i < 3; i++) {
        inject(f, 0, frame, sizeof frame);
        assert_int_equal(pump(f, f->inj[1], 1, buf, sizeof buf, &len, 2000),
                         1);
    }
    assert_int_equal(ft_dpif_flow_count(f->dpif), 0);
    assert_int_equal(f->n_upcalls, 3);
    ft_dpif_get_stats(f->dpif, &s1);
    assert_int_equal(s1.n_upcalls - s0.n_upcalls, 3);
    assert_int_equal(s1.n_lost - s0.n_lost, 0);
}

/* The checksum a UDP socket leaves to the device (veth offload) is
 * completed before the frame leaves on another port: the switch passes it
 * on partial, with a virtio-net header, and the kernel completes it for
 * an output device without checksum offload (dp1 here). */
static void
test_partial_checksum(void **state)
{
    struct fixture *f = start(state);
    struct sockaddr_in sin;
    uint8_t buf[MAX_FRAME + 64];
    uint32_t sum = 0;
    int len = 0, fd;

    set_rule(f, 0, 1);
    ft_dp_actions_put_output(&f->rules[0].actions, 2);
    assert_int_equal(run_cmd("ip addr add 10.9.0.1/24 dev inj0 && "
                             "ip neigh replace 10.9.0.2 lladdr "
                             "02:00:00:00:00:99 dev inj0 && "
                             "ethtool -K dp1 tx off >/dev/null"), 0);
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(4789);
    sin.sin_addr.s_addr = htonl(0x0a090002);
    assert_int_equal(sendto(fd, "hello, switch", 13, 0,
                            (struct sockaddr *) &sin, sizeof sin), 13);
    close(fd);
    assert_int_equal(pump(f, f->inj[1], 1, buf, sizeof buf, &len, 2000), 1);
    run_cmd("ip addr flush dev inj0; ethtool -K dp1 tx on >/dev/null");
    assert_int_equal(len, 14 + 20 + 8 + 13);
    assert_int_equal(buf[23], 17);

    /* Verify: pseudo-header + UDP datagram sums to 0xffff. */
    for (int i = 26; i < 34; i += 2) {
        sum += buf[i] << 8 | buf[i + 1];
    }
    sum += 17 + (len - 34);
    for (int i = 34; i < len; i += 2) {
        sum += buf[i] << 8 | (i + 1 < len ? buf[i + 1] : 0);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    assert_int_not_equal(buf[40] << 8 | buf[41], 0);
    assert_int_equal(sum, 0xffff);
}

static void
test_tap_port(void **state)
{
    struct fixture *f = start(state);
    uint8_t frame[70], buf[MAX_FRAME + 64];
    struct ft_netdev_stats ps;
    struct ifreq ifr;
    struct pollfd pfd;
    struct ft_error err;
    int fd, len = 0;
    ssize_t n;

    assert_int_equal(ft_dpif_port_add(f->dpif, 10, "vm0tap", "tap", NULL, 0,
                                      &err), 0);
    assert_true(if_nametoindex("vm0tap") > 0);
    assert_int_equal(run_cmd("ip link show vm0tap | grep -q ',UP'"), 0);

    /* A guest opens the tap by name, as QEMU does. */
    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
    assert_true(fd >= 0);
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "vm0tap");
    assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
    close(fd);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;

    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
    assert_true(fd >= 0);
    assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
    /* The guest's attach turns the carrier on; the kernel's link watch
     * (up to a second later) then gives the device its queue back, and
     * until it has, what is sent to the device is dropped.  Its
     * operational state turns "up" in the same step. */
    assert_int_equal(run_cmd("for i in $(seq 100); do ip -o link show "
                             "vm0tap | grep -q ' state UP ' && exit 0; "
                             "sleep 0.05; done; exit 1"), 0);

    /* Guest -> switch -> port 2; port 1 -> switch -> guest. */
    set_rule(f, 0, 10);
    ft_dp_actions_put_output(&f->rules[0].actions, 2);
    set_rule(f, 1, 1);
    ft_dp_actions_put_output(&f->rules[1].actions, 10);
    make_udp(frame, sizeof frame, 0xa1, 0x11, 3);
    assert_int_equal(write(fd, frame, sizeof frame), sizeof frame);
    assert_int_equal(pump(f, f->inj[1], 1, buf, sizeof buf, &len, 2000), 1);
    assert_int_equal(f->last_key.in_port, 10);
    assert_int_equal(len, sizeof frame);
    assert_memory_equal(buf, frame, sizeof frame);

    make_udp(frame, sizeof frame, 0xa2, 0x11, 4);
    inject(f, 0, frame, sizeof frame);
    pump(f, -1, 0, NULL, 0, NULL, 50);
    pfd.fd = fd;
    pfd.events = POLLIN;
    n = -1;
    /* Up to 5 s: on a loaded machine the tap's queue is served late. */
    for (int i = 0; i < 100 && n != (ssize_t) sizeof frame; i++) {
        poll(&pfd, 1, 50);
        n = read(fd, buf, sizeof buf);
        pump(f, -1, 0, NULL, 0, NULL, 5);
    }
    assert_int_equal(n, sizeof frame);
    assert_memory_equal(buf, frame, sizeof frame);
    assert_int_equal(ft_dpif_port_get_stats(f->dpif, 10, &ps), 0);
    assert_true(ps.rx_packets >= 1 && ps.tx_packets >= 1);

    /* Deleting the port while the guest holds the tap leaves it to the
     * guest; once the guest is gone too, the tap disappears. */
    assert_int_equal(ft_dpif_port_del(f->dpif, 10), 0);
    assert_true(if_nametoindex("vm0tap") > 0);
    close(fd);
    assert_int_equal(ft_dpif_port_add(f->dpif, 10, "vm0tap", "tap", NULL, 0,
                                      &err), 0);
    assert_int_equal(ft_dpif_port_del(f->dpif, 10), 0);
    /* The tap existed before this port_add: left in place. */
    assert_true(if_nametoindex("vm0tap") > 0);
    run_cmd("ip link del vm0tap");
    assert_int_equal(ft_dpif_port_add(f->dpif, 10, "vm1tap", "tap", NULL, 0,
                                      &err), 0);
    assert_int_equal(ft_dpif_port_del(f->dpif, 10), 0);
    assert_int_equal(if_nametoindex("vm1tap"), 0);
}

static void
test_internal_port(void **state)
{
    struct fixture *f = start(state);
    struct ft_netdev_option opt = { "mac", "02:12:34:56:78:9a" };
    uint8_t frame[70], buf[MAX_FRAME + 64];
    struct ft_eth_addr mac;
    struct ft_error err;
    int raw, len = 0;

    assert_int_equal(ft_dpif_port_add(f->dpif, FT_PORT_LOCAL, "br0",
                                      "internal", &opt, 1, &err), 0);
    assert_true(if_nametoindex("br0") > 0);
    assert_int_equal(run_cmd("ip link show br0 | grep -q ',UP'"), 0);
    assert_int_equal(ft_dpif_port_get_mac(f->dpif, FT_PORT_LOCAL, &mac), 0);
    assert_int_equal(mac.ea[5], 0x9a);
    assert_int_equal(mac.ea[1], 0x12);
    raw = open_raw("br0");
    assert_true(raw >= 0);

    /* Host stack sends on br0 -> switch -> port 2. */
    set_rule(f, 0, FT_PORT_LOCAL);
    ft_dp_actions_put_output(&f->rules[0].actions, 2);
    set_rule(f, 1, 1);
    ft_dp_actions_put_output(&f->rules[1].actions, FT_PORT_LOCAL);
    make_udp(frame, sizeof frame, 0xb1, 0x11, 3);
    assert_int_equal(send(raw, frame, sizeof frame, 0), sizeof frame);
    assert_int_equal(pump(f, f->inj[1], 1, buf, sizeof buf, &len, 2000), 1);
    assert_int_equal(f->last_key.in_port, FT_PORT_LOCAL);
    assert_memory_equal(buf, frame, sizeof frame);

    /* Port 1 -> switch -> LOCAL: the host stack receives it. */
    drain(raw);
    make_udp(frame, sizeof frame, 0xb2, 0x11, 4);
    inject(f, 0, frame, sizeof frame);
    assert_int_equal(pump(f, raw, 1, buf, sizeof buf, &len, 2000), 1);
    assert_int_equal(len, sizeof frame);
    assert_memory_equal(buf, frame, sizeof frame);
    close(raw);

    assert_int_equal(ft_dpif_port_del(f->dpif, FT_PORT_LOCAL), 0);
    assert_int_equal(if_nametoindex("br0"), 0);
    opt.value = "01:00:00:00:00:01";
    assert_int_equal(ft_dpif_port_add(f->dpif, FT_PORT_LOCAL, "br0",
                                      "internal", &opt, 1, &err), -EINVAL);
    assert_non_null(strstr(err.reason, "not a unicast"));
    assert_int_equal(ft_dpif_port_add(f->dpif, FT_PORT_LOCAL, "dp0",
                                      "internal", NULL, 0, &err), -EEXIST);
}

/* What a dump saw: megaflows by UDP port, and their handles. */
struct dump {
    int n;
    int by_port[16];
    struct ft_dpif_flow *handles[16];
};

static int
dump_cb(const struct ft_dpif_flow_info *info, void *aux)
{
    struct dump *d = aux;
    uint16_t port = info->match->flow.tp_dst;

    assert_true(port < 16);
    assert_non_null(info->flow);
    assert_int_equal(info->actions->n, 1);
    d->n++;
    d->by_port[port]++;
    d->handles[port] = info->flow;
    return 0;
}

static void
udp_port_match(struct ft_match *m, uint16_t port)
{
    memset(m, 0, sizeof *m);
    m->flow.in_port = 1;
    m->mask.in_port = UINT32_MAX;
    m->flow.dl_type = FT_ETH_TYPE_IP;
    m->mask.dl_type = 0xffff;
    m->flow.nw_proto = 17;
    m->mask.nw_proto = 0xff;
    m->flow.tp_dst = port;
    m->mask.tp_dst = 0xffff;
}

/* Megaflows by handle: put, a second put of the same match, counters read
 * in a batch, actions changed in place (the exact-match cache sees it),
 * dump, delete with final counters, flush. */
static void
test_flow_api(void **state)
{
    struct fixture *f = start(state);
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dpif_flow *flows[4], *dup;
    struct ft_stats st[4], final;
    struct dump d;
    struct ft_match m;
    struct ft_error err;
    uint8_t frame[60], buf[MAX_FRAME + 64];
    int len;

    ft_dp_actions_put_output(&acts, 3);
    for (int i = 0; i < 4; i++) {
        udp_port_match(&m, i);
        assert_int_equal(ft_dpif_flow_put(f->dpif, &m, &acts, &flows[i],
                                          &err), 0);
    }
    assert_int_equal(ft_dpif_flow_put(f->dpif, &m, &acts, &dup, &err),
                     -EEXIST);
    assert_ptr_equal(dup, flows[3]);
    assert_non_null(strstr(err.reason, "already installed"));
    assert_int_equal(ft_dpif_flow_count(f->dpif), 4);

    /* Traffic hits the megaflow for port 3, then its actions change to
     * port 2, keeping the counters. */
    make_udp(frame, sizeof frame, 0xc1, 0x11, 3);
    inject(f, 0, frame, sizeof frame);
    assert_int_equal(pump(f, f->inj[2], 1, buf, sizeof buf, &len, 2000), 1);
    assert_int_equal(f->n_upcalls, 0);
    ft_dp_actions_clear(&acts);
    ft_dp_actions_put_output(&acts, 2);
    assert_int_equal(ft_dpif_flow_modify(f->dpif, flows[3], &acts, &err), 0);
    inject(f, 0, frame, sizeof frame);
    assert_int_equal(pump(f, f->inj[1], 1, buf, sizeof buf, &len, 2000), 1);
    assert_int_equal(f->n_upcalls, 0);
    assert_int_equal(ft_dpif_flow_stats(f->dpif, flows, 4, st), 0);
    assert_int_equal(st[3].n_packets, 2);
    assert_int_equal(st[3].n_bytes, 2 * sizeof frame);
    assert_int_equal(st[0].n_packets + st[1].n_packets + st[2].n_packets, 0);

    /* A dump reports each megaflow once, with its handle. */
    memset(&d, 0, sizeof d);
    assert_int_equal(ft_dpif_flow_dump(f->dpif, dump_cb, &d), 0);
    assert_int_equal(d.n, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(d.by_port[i], 1);
        assert_ptr_equal(d.handles[i], flows[i]);
    }

    /* Delete with the final counters; the next packet is an upcall. */
    assert_int_equal(ft_dpif_flow_del(f->dpif, flows[3], &final), 0);
    assert_int_equal(final.n_packets, 2);
    assert_int_equal(ft_dpif_flow_count(f->dpif), 3);
    set_rule(f, 0, 1);
    ft_dp_actions_put_output(&f->rules[0].actions, 2);
    inject(f, 0, frame, sizeof frame);
    assert_int_equal(pump(f, f->inj[1], 1, buf, sizeof buf, &len, 2000), 1);
    assert_int_equal(f->n_upcalls, 1);

    ft_dpif_flow_flush(f->dpif);
    f->n_installed = 0;
    assert_int_equal(ft_dpif_flow_count(f->dpif), 0);
    ft_dp_actions_uninit(&acts);
}

/* The receive path's parser (with its shortcut for untagged IPv4 UDP and
 * TCP) gives the key, the hash and the header offsets that
 * ft_packet_parse(), ft_flow_extract() and ft_emc_hash() give, for
 * ordinary frames, their edge cases and random damage to them. */
static void
check_parse_same(const uint8_t *frame, size_t len)
{
    uint8_t buf_a[256], buf_b[256];
    struct ft_packet a, b;
    struct ft_flow key_a, key_b;
    uint32_t hash_a = 0;
    int error;

    assert_true(len <= sizeof buf_a - 64);
    ft_packet_init(&a, buf_a, sizeof buf_a, 64);
    ft_packet_init(&b, buf_b, sizeof buf_b, 64);
    assert_int_equal(ft_packet_set_frame(&a, frame, len), 0);
    assert_int_equal(ft_packet_set_frame(&b, frame, len), 0);
    memset(&a.l3_ofs, 0xa5, sizeof a.l3_ofs);  /* Must be recomputed. */
    a.l4_ofs = 7;

    error = ft_dpif_parse_packet(&a, 3, &key_a, &hash_a);
    ft_packet_parse(&b);
    assert_int_equal(error,
                     ft_flow_extract(ft_packet_data(&b), b.size, 3, &key_b));
    assert_int_equal(a.in_port, 3);
    assert_int_equal(a.l3_ofs, b.l3_ofs);
    assert_int_equal(a.l4_ofs, b.l4_ofs);
    assert_int_equal(a.l4_end, b.l4_end);
    assert_int_equal(a.eth_type, b.eth_type);
    assert_int_equal(a.l4_proto, b.l4_proto);
    assert_int_equal(a.flags, b.flags);
    assert_memory_equal(&key_a, &key_b, sizeof key_a);
    if (!error) {
        assert_int_equal(hash_a, ft_emc_hash(&key_b));
    }
}

static void
test_parse_shortcut(void **state)
{
    static const uint8_t udp[60] = {
        0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,
        0x45, 0x10, 0, 46, 0, 1, 0, 0, 64, 17, 0, 0,
        10, 0, 0, 1, 10, 1, 2, 3, 0x30, 0x39, 0, 53, 0, 26, 0, 0,
    };
    uint8_t f[128];
    uint32_t rng = 12345;

    (void) state;
    check_parse_same(udp, sizeof udp);

    /* TCP: data offsets 5 (ok), 4 (bad) and 15 (beyond the datagram). */
    for (int doff = 4; doff <= 15; doff += doff == 5 ? 10 : 1) {
        memcpy(f, udp, sizeof udp);
        f[23] = 6;
        f[16] = 0;
        f[17] = 60;             /* 20 + 40: room for a 20-byte header. */
        memset(f + 60, 0, 14);
        f[46] = doff << 4 | 0x1;    /* NS. */
        f[47] = 0x12;           /* SYN ACK. */
        check_parse_same(f, 74);
    }
    /* IP options, fragments, a total length beyond the frame or under
     * the header, another version, a short UDP header. */
    memcpy(f, udp, sizeof udp);
    f[14] = 0x46;
    check_parse_same(f, sizeof udp);
    for (int frag = 0; frag < 3; frag++) {
        memcpy(f, udp, sizeof udp);
        f[20] = frag == 0 ? 0x20 : frag == 1 ? 0x00 : 0x40;
        f[21] = frag == 1 ? 0x08 : 0;
        check_parse_same(f, sizeof udp);
    }
    memcpy(f, udp, sizeof udp);
    f[17] = 47;
    check_parse_same(f, sizeof udp);
    f[17] = 19;
    check_parse_same(f, sizeof udp);
    f[17] = 27;                 /* 7 bytes of UDP. */
    check_parse_same(f, sizeof udp);
    memcpy(f, udp, sizeof udp);
    f[14] = 0x65;
    check_parse_same(f, sizeof udp);
    /* ICMP, a VLAN tag, ARP, IPv6, short frames. */
    memcpy(f, udp, sizeof udp);
    f[23] = 1;
    check_parse_same(f, sizeof udp);
    memcpy(f, udp, 12);
    f[12] = 0x81;
    f[13] = 0;
    f[14] = 0;
    f[15] = 5;
    memcpy(f + 16, udp + 12, sizeof udp - 12);
    check_parse_same(f, sizeof udp + 4);
    memcpy(f, udp, sizeof udp);
    f[13] = 0x06;
    check_parse_same(f, sizeof udp);
    memcpy(f, udp, sizeof udp);
    f[12] = 0x86;
    f[13] = 0xdd;
    f[14] = 0x60;
    check_parse_same(f, sizeof udp);
    for (size_t len = 0; len < 44; len++) {
        check_parse_same(udp, len);
    }

    /* Random damage to the headers of UDP and TCP frames. */
    for (int i = 0; i < 20000; i++) {
        size_t len = 34 + (i % 60);

        memcpy(f, udp, sizeof udp);
        memset(f + sizeof udp, 0x5a, sizeof f - sizeof udp);
        if (i & 1) {
            f[23] = 6;
            f[46] = 0x50;
        }
        for (int n = 0; n < 1 + i % 3; n++) {
            rng = rng * 1103515245 + 12345;
            f[12 + (rng >> 16) % 40] = rng >> 8;
        }
        check_parse_same(f, len);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_ports),
        cmocka_unit_test(test_rx_ring_frames),
        cmocka_unit_test(test_rx_ring_grows),
        cmocka_unit_test(test_rx_ring_grow_live),
        cmocka_unit_test(test_fds_and_ports),
        cmocka_unit_test(test_miss_then_hits),
        cmocka_unit_test(test_batch_one_upcall),
        cmocka_unit_test(test_vlan),
        cmocka_unit_test(test_frame_sizes),
        cmocka_unit_test(test_last_output_burst),
        cmocka_unit_test(test_execute),
        cmocka_unit_test(test_upcall_failure),
        cmocka_unit_test(test_held_elsewhere),
        cmocka_unit_test(test_partial_checksum),
        cmocka_unit_test(test_tap_port),
        cmocka_unit_test(test_internal_port),
        cmocka_unit_test(test_flow_api),
        cmocka_unit_test(test_parse_shortcut),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

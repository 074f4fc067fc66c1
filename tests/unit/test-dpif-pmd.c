/*
 * test-dpif-pmd.c - tests of the userspace datapath's forwarding threads
 * (ft_dpif_set_pmd_cpus(), swpath/dpif-pmd.c) on real devices: misses
 * queued to the caller's thread and answered there, megaflows installed
 * in every thread, counters exact through puts, changes, deletions and
 * the threads' own stop, packet-out, USERSPACE actions handed to the
 * owner's thread, and bad CPU lists refused.
 *
 * As test-dpif.c, the program moves itself into a new network namespace,
 * attaches veth ends "dpN" to a datapath and injects frames on the peers
 * "injN" with raw sockets.  Needs root; without it every test fails with
 * a message saying so.  Uses CPUs 0 and 1 (CPU 0 alone on a machine with
 * one).
 */
#define _GNU_SOURCE 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "swpath/dpif.h"

#define N_VETH 3

struct fixture {
    bool ready;
    char why[512];
    struct ft_dpif *dpif;
    int inj[N_VETH];
    int cpus[2];
    size_t n_cpus;

    /* Translator: megaflow = in_port + dl_dst; output to 'out[in_port]'. */
    ft_port_no out[N_VETH + 1];
    int n_upcalls;
    struct ft_dpif_flow *handle;    /* The last megaflow installed. */
    int n_installed;

    /* USERSPACE actions: how many reached the callback, and whether each
     * did on the thread that owns the datapath. */
    int n_userspace;
    bool userspace_elsewhere;
    pthread_t owner;
    bool to_userspace;              /* The translator's actions: USERSPACE. */
};

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

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
    /* The threads forward while a test still sends: room for every frame
     * a test sends before it reads. */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &(int) { 8 << 20 },
               sizeof(int));
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

/* Runs the datapath's caller side (upcalls) until 'want' frames with UDP
 * destination port 'dport' arrived on 'fd' (or 'ms' passed; 'fd' < 0:
 * for 'ms').  Returns the frames counted. */
static int
pump(struct fixture *f, int fd, int want, uint16_t dport, int ms)
{
    long long deadline = now_ms() + ms;
    uint8_t buf[2048];
    int got = 0;

    while (now_ms() < deadline && (fd < 0 || got < want)) {
        int fds[8];
        struct pollfd pfd[9];
        size_t n = ft_dpif_get_fds(f->dpif, fds, 8);
        ssize_t len;

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
        while (fd >= 0 && got < want
               && (len = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) >= 0) {
            if (len >= 42 && buf[12] == 0x08 && buf[13] == 0
                && (buf[36] << 8 | buf[37]) == dport) {
                got++;
            }
        }
    }
    return got;
}

static int
test_upcall(void *aux, struct ft_dpif *dpif, const struct ft_flow *key,
            struct ft_packet *pkt, struct ft_match *megaflow,
            struct ft_dp_actions *actions, struct ft_dpif_flow **flow_out,
            struct ft_error *err)
{
    struct fixture *f = aux;
    int error;

    (void) pkt;
    (void) err;
    f->n_upcalls++;
    megaflow->flow.in_port = key->in_port;
    megaflow->mask.in_port = UINT32_MAX;
    megaflow->flow.dl_dst = key->dl_dst;
    memset(megaflow->mask.dl_dst.ea, 0xff, FT_ETH_ALEN);
    if (f->to_userspace) {
        ft_dp_actions_put(actions, FT_DPA_USERSPACE)->userspace.reason
            = FT_USERSPACE_CONTROLLER;
    } else if (key->in_port <= N_VETH && f->out[key->in_port]) {
        ft_dp_actions_put_output(actions, f->out[key->in_port]);
    }
    /* As the management plane: a later miss of an installed megaflow
     * (another thread's, or one queued before the put) gets its handle. */
    error = ft_dpif_flow_put(dpif, megaflow, actions, flow_out, NULL);
    if (!error) {
        f->n_installed++;
        f->handle = *flow_out;
    } else {
        assert_int_equal(error, -EEXIST);
    }
    return 0;
}

static void
test_userspace(void *aux, const struct ft_dpa_userspace *act,
               const struct ft_packet *pkt)
{
    struct fixture *f = aux;

    f->n_userspace += act->reason == FT_USERSPACE_CONTROLLER
                      && pkt->size == 100 && pkt->in_port == 1;
    f->userspace_elsewhere |= !pthread_equal(pthread_self(), f->owner);
}

static void
make_udp(uint8_t *buf, size_t len, uint8_t dst_last, uint16_t dport)
{
    static const uint8_t hdr[] = {
        0x02, 0, 0, 0, 0, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x08, 0x00,
        0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0,
        10, 0, 0, 1, 10, 0, 0, 2,
        0x30, 0x39, 0, 0, 0, 0, 0, 0,
    };
    size_t ip_len = len - 14;

    memset(buf, 0, len);
    memcpy(buf, hdr, sizeof hdr);
    buf[5] = dst_last;
    buf[16] = ip_len >> 8;
    buf[17] = ip_len;
    buf[36] = dport >> 8;
    buf[37] = dport;
    buf[38] = (ip_len - 20) >> 8;
    buf[39] = ip_len - 20;
}

/* Sends 'n' 100-byte UDP frames to dl_dst ...:'dst_last', UDP port
 * 'dport', into veth 'i' (port i + 1). */
static void
inject(struct fixture *f, int i, int n, uint8_t dst_last, uint16_t dport)
{
    uint8_t frame[100];

    make_udp(frame, sizeof frame, dst_last, dport);
    for (int k = 0; k < n; k++) {
        while (send(f->inj[i], frame, sizeof frame, 0) < 0) {
            assert_int_equal(errno, ENOBUFS);
            usleep(100);
        }
    }
}

static struct ft_stats
flow_stats(struct fixture *f, struct ft_dpif_flow *flow)
{
    struct ft_stats st;

    assert_int_equal(ft_dpif_flow_stats(f->dpif, &flow, 1, &st), 0);
    return st;
}

/* Waits (1 s at most) until 'flow' counted 'want' packets. */
static uint64_t
wait_packets(struct fixture *f, struct ft_dpif_flow *flow, uint64_t want)
{
    long long deadline = now_ms() + 1000;
    uint64_t n;

    while ((n = flow_stats(f, flow).n_packets) < want
           && now_ms() < deadline) {
        pump(f, -1, 0, 0, 2);
    }
    return n;
}

static int
count_tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *de;
    int n = 0;

    while (d && (de = readdir(d))) {
        n += de->d_name[0] != '.';
    }
    if (d) {
        closedir(d);
    }
    return n;
}

static int
setup_env(struct fixture *f)
{
    struct ft_error err;
    char name[16];

    if (geteuid() != 0) {
        snprintf(f->why, sizeof f->why, "test-dpif-pmd needs root "
                 "(CAP_NET_ADMIN, CAP_NET_RAW) for a network namespace "
                 "and veths; run it as root");
        return -1;
    }
    if (unshare(CLONE_NEWNET) < 0) {
        snprintf(f->why, sizeof f->why, "unshare(CLONE_NEWNET): %s",
                 strerror(errno));
        return -1;
    }
    system("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
           "net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1");
    for (int i = 0; i < N_VETH; i++) {
        char cmd[128];

        snprintf(cmd, sizeof cmd, "ip link add dp%d type veth peer name "
                 "inj%d && ip link set inj%d up", i, i, i);
        if (system(cmd)) {
            snprintf(f->why, sizeof f->why, "cannot create veths with "
                     "'ip link add'");
            return -1;
        }
    }
    if (ft_dpif_create(NULL, "br0", &f->dpif, NULL)) {
        snprintf(f->why, sizeof f->why, "ft_dpif_create failed");
        return -1;
    }
    ft_dpif_set_upcall_cb(f->dpif, test_upcall, f);
    ft_dpif_set_userspace_cb(f->dpif, test_userspace, f);
    f->owner = pthread_self();
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
    f->cpus[0] = 0;
    f->cpus[1] = 1;
    f->n_cpus = get_nprocs() > 1 ? 2 : 1;
    return 0;
}

static int
group_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

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
    free(f);
    return 0;
}

/* Each test starts with threads running, no megaflow, quiet sockets. */
static struct fixture *
start(void **state)
{
    struct fixture *f = *state;
    struct ft_error err;
    uint8_t buf[2048];

    if (!f->ready) {
        fail_msg("%s", f->why);
    }
    ft_error_clear(&err);
    if (ft_dpif_set_pmd_cpus(f->dpif, f->cpus, f->n_cpus, &err)) {
        fail_msg("set_pmd_cpus: %s", err.reason);
    }
    ft_dpif_flow_flush(f->dpif);
    memset(f->out, 0, sizeof f->out);
    f->to_userspace = false;
    pump(f, -1, 0, 0, 20);
    for (int i = 0; i < N_VETH; i++) {
        while (recv(f->inj[i], buf, sizeof buf, MSG_DONTWAIT) >= 0) {
            continue;
        }
    }
    f->n_upcalls = 0;
    f->n_installed = 0;
    f->handle = NULL;
    return f;
}

static void
test_bad_cpus(void **state)
{
    struct fixture *f = start(state);
    int bad[2] = { 0, 0 }, off[1];
    struct ft_error err;

    ft_error_clear(&err);
    assert_int_equal(ft_dpif_set_pmd_cpus(f->dpif, bad, 2, &err), -EINVAL);
    assert_non_null(strstr(err.reason, "distinct, in ascending order"));
    off[0] = get_nprocs_conf() + 3;
    ft_error_clear(&err);
    assert_int_equal(ft_dpif_set_pmd_cpus(f->dpif, off, 1, &err), -EINVAL);
    assert_non_null(strstr(err.reason, "cannot start the forwarding thread"));
    /* A refusal leaves the datapath forwarding in the caller's thread. */
    f->out[1] = 2;
    inject(f, 0, 10, 2, 7001);
    assert_int_equal(pump(f, f->inj[1], 10, 7001, 2000), 10);
}

/* Frames through the threads; the megaflow's count is exactly what was
 * sent, before and at its deletion, and the threads each hold a copy. */
static void
test_exact_counts(void **state)
{
    struct fixture *f = start(state);
    struct ft_dpif_stats st0, st;
    struct ft_stats final;
    const int n = 500;

    f->out[1] = 2;
    ft_dpif_get_stats(f->dpif, &st0);
    inject(f, 0, n, 2, 7002);
    assert_int_equal(pump(f, f->inj[1], n, 7002, 5000), n);
    assert_non_null(f->handle);
    assert_true(f->n_upcalls >= 1);
    assert_int_equal(wait_packets(f, f->handle, n), n);
    ft_dpif_get_stats(f->dpif, &st);
    assert_int_equal(st.n_hit_emc + st.n_hit_megaflow + st.n_missed
                     - (st0.n_hit_emc + st0.n_hit_megaflow + st0.n_missed),
                     n);
    /* Each miss went up; those after the put were answered by it
     * without the callback (test_misses_answered_by_put). */
    assert_true((uint64_t) f->n_upcalls <= st.n_missed - st0.n_missed);
    assert_int_equal(st.n_lost, st0.n_lost);

    /* More after the megaflow is in: every one a hit now. */
    inject(f, 0, n, 2, 7002);
    assert_int_equal(pump(f, f->inj[1], n, 7002, 5000), n);
    assert_int_equal(wait_packets(f, f->handle, 2 * n), 2 * n);
    assert_int_equal(ft_dpif_flow_del(f->dpif, f->handle, &final), 0);
    assert_int_equal(final.n_packets, 2 * n);
    assert_int_equal(final.n_bytes, 2 * n * 100);
    assert_int_equal(ft_dpif_flow_count(f->dpif), 0);
}

struct pmd_seen {
    int n;
    size_t flows[4];
    char rxqs[4][256];
    uint64_t hits[4], missed[4];
    int cpu[4];
};

static int
collect_pmd(const struct ft_dpif_pmd_info *info, void *aux)
{
    struct pmd_seen *s = aux;

    assert_true(s->n < 4);
    s->flows[s->n] = info->n_flows;
    snprintf(s->rxqs[s->n], sizeof s->rxqs[0], "%s", info->rxqs);
    s->hits[s->n] = info->n_hit_emc + info->n_hit_megaflow;
    s->missed[s->n] = info->n_missed;
    s->cpu[s->n] = info->cpu;
    s->n++;
    return 0;
}

/* The threads, their CPUs and queues (round-robin), a copy of each
 * megaflow in each, and traffic both ways counted by the thread that
 * polls its port. */
static void
test_threads_and_queues(void **state)
{
    struct fixture *f = start(state);
    struct pmd_seen s;

    f->out[1] = 2;
    f->out[2] = 1;
    inject(f, 0, 50, 2, 7003);
    inject(f, 1, 50, 1, 7003);
    assert_int_equal(pump(f, f->inj[1], 50, 7003, 5000), 50);
    assert_int_equal(pump(f, f->inj[0], 50, 7003, 5000), 50);
    pump(f, -1, 0, 0, 20);      /* Puts applied (commands run). */

    memset(&s, 0, sizeof s);
    assert_int_equal(ft_dpif_pmd_foreach(f->dpif, collect_pmd, &s), 0);
    assert_int_equal(s.n, (int) f->n_cpus);
    if (f->n_cpus == 2) {
        assert_int_equal(s.cpu[0], 0);
        assert_int_equal(s.cpu[1], 1);
        assert_string_equal(s.rxqs[0], "dp0 dp2");
        assert_string_equal(s.rxqs[1], "dp1");
        assert_int_equal(s.hits[0] + s.missed[0], 50);
        assert_int_equal(s.hits[1] + s.missed[1], 50);
    } else {
        assert_string_equal(s.rxqs[0], "dp0 dp1 dp2");
    }
    for (int i = 0; i < s.n; i++) {
        assert_int_equal(s.flows[i], 2);
    }
}

/* New actions while frames flow: the frames after the change go to the
 * new port, and the count goes on. */
static void
test_modify_under_traffic(void **state)
{
    struct fixture *f = start(state);
    struct ft_dp_actions acts;
    const int n = 300;

    f->out[1] = 2;
    inject(f, 0, n, 2, 7004);
    assert_int_equal(pump(f, f->inj[1], n, 7004, 5000), n);
    ft_dp_actions_init(&acts);
    ft_dp_actions_put_output(&acts, 3);
    assert_int_equal(ft_dpif_flow_modify(f->dpif, f->handle, &acts, NULL),
                     0);
    ft_dp_actions_uninit(&acts);
    pump(f, -1, 0, 0, 20);
    inject(f, 0, n, 2, 7004);
    assert_int_equal(pump(f, f->inj[2], n, 7004, 5000), n);
    assert_int_equal(pump(f, f->inj[1], 1, 7004, 50), 0);
    assert_int_equal(wait_packets(f, f->handle, 2 * n), 2 * n);
}

/* Many megaflows put and deleted while one carries traffic: its count
 * stays exact and every deletion answers. */
static void
test_churn_under_traffic(void **state)
{
    struct fixture *f = start(state);
    struct ft_dp_actions acts;
    struct ft_dpif_flow *flows[500];
    const int n = 200;

    f->out[1] = 2;
    inject(f, 0, 1, 2, 7005);
    assert_int_equal(pump(f, f->inj[1], 1, 7005, 5000), 1);
    ft_dp_actions_init(&acts);
    ft_dp_actions_put_output(&acts, 3);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 500; i++) {
            struct ft_match m;

            memset(&m, 0, sizeof m);
            m.flow.in_port = 2;
            m.mask.in_port = UINT32_MAX;
            m.flow.tp_dst = htons(i + 1);
            m.mask.tp_dst = 0xffff;
            assert_int_equal(ft_dpif_flow_put(f->dpif, &m, &acts, &flows[i],
                                              NULL), 0);
        }
        inject(f, 0, n, 2, 7005);
        for (int i = 0; i < 500; i++) {
            struct ft_stats st;

            assert_int_equal(ft_dpif_flow_del(f->dpif, flows[i], &st), 0);
            assert_int_equal(st.n_packets, 0);
        }
        assert_int_equal(pump(f, f->inj[1], n, 7005, 5000), n);
    }
    ft_dp_actions_uninit(&acts);
    assert_int_equal(wait_packets(f, f->handle, 3 * n + 1), 3 * n + 1);
    assert_int_equal(ft_dpif_flow_count(f->dpif), 1);
}

static int
sum_emc_used(const struct ft_dpif_pmd_info *info, void *aux)
{
    *(size_t *) aux += info->n_emc_used;
    return 0;
}

/* A thread's exact-match cache lets go of a deleted megaflow as the
 * thread deletes its copy: none of its entries keeps one allocated. */
static void
test_emc_swept(void **state)
{
    struct fixture *f = start(state);
    struct ft_dpif_stats st;
    size_t used = 0;
    const int n = 300;

    f->out[1] = 2;
    for (int k = 0; k < 10; k++) {
        inject(f, 0, n, 2, 7100 + k);
        assert_int_equal(pump(f, f->inj[1], n, 7100 + k, 5000), n);
    }
    ft_dpif_get_stats(f->dpif, &st);
    assert_true(st.n_hit_emc > 0);
    assert_int_equal(ft_dpif_pmd_foreach(f->dpif, sum_emc_used, &used), 0);
    assert_true(used > 0);
    assert_int_equal(ft_dpif_flow_del(f->dpif, f->handle, NULL), 0);
    assert_int_equal(ft_dpif_flow_count(f->dpif), 0);
    used = 0;
    assert_int_equal(ft_dpif_pmd_foreach(f->dpif, sum_emc_used, &used), 0);
    assert_int_equal(used, 0);
}

/* A packet the caller executes (packet-out) leaves through a thread. */
static void
test_execute(void **state)
{
    struct fixture *f = start(state);
    struct ft_dp_actions acts;
    struct ft_packet pkt;
    uint8_t frame[100], buf[256];

    make_udp(frame, sizeof frame, 3, 7006);
    ft_packet_init(&pkt, buf, sizeof buf, 64);
    memcpy(ft_packet_data(&pkt), frame, sizeof frame);
    pkt.size = sizeof frame;
    ft_packet_parse(&pkt);
    ft_dp_actions_init(&acts);
    ft_dp_actions_put_output(&acts, 3);
    assert_int_equal(ft_dpif_execute(f->dpif, &pkt, &acts), 0);
    ft_dp_actions_uninit(&acts);
    assert_int_equal(pump(f, f->inj[2], 1, 7006, 2000), 1);
}

/* USERSPACE actions (OpenFlow CONTROLLER) run in a thread reach the
 * callback on the owner's thread, once per packet, the first (missed)
 * packets included. */
static void
test_userspace_action(void **state)
{
    struct fixture *f = start(state);
    long long deadline;
    const int n = 40;

    f->to_userspace = true;
    f->n_userspace = 0;
    f->userspace_elsewhere = false;
    inject(f, 0, n, 2, 7008);
    deadline = now_ms() + 5000;
    while (f->n_userspace < n && now_ms() < deadline) {
        pump(f, -1, 0, 0, 5);
    }
    assert_int_equal(f->n_userspace, n);
    assert_false(f->userspace_elsewhere);
    assert_int_equal(wait_packets(f, f->handle, n), n);
}

/* Sends 'n' UDP frames of 'len' bytes, as inject(). */
static void
inject_len(struct fixture *f, int i, int n, size_t len, uint8_t dst_last,
           uint16_t dport)
{
    uint8_t frame[2048];

    assert_true(len <= sizeof frame);
    make_udp(frame, len, dst_last, dport);
    for (int k = 0; k < n; k++) {
        while (send(f->inj[i], frame, len, 0) < 0) {
            assert_int_equal(errno, ENOBUFS);
            usleep(100);
        }
    }
}

/* A thread copies the packets it sends up into buffers of its own, which
 * come back to it with the daemon's answer: more packets than it has
 * buffers (2,048) all go up and come back, whether the answer runs them
 * (EXECUTE) or only returns them (a USERSPACE action's packet, once the
 * callback has it); frames too big for a buffer (1,700 bytes) are copied
 * another way and come back the same. */
static void
test_upcall_buffers_recycled(void **state)
{
    struct fixture *f = start(state);
    struct ft_dpif_stats st0, st;
    long long deadline;
    const int rounds = 6, n = 500;   /* 3,000 packets. */

    /* USERSPACE: 3,000 packets up, each returned after the callback. */
    f->to_userspace = true;
    f->n_userspace = 0;
    ft_dpif_get_stats(f->dpif, &st0);
    for (int r = 0; r < rounds; r++) {
        inject(f, 0, n, 2, 7010);
        deadline = now_ms() + 5000;
        while (f->n_userspace < (r + 1) * n && now_ms() < deadline) {
            pump(f, -1, 0, 0, 5);
        }
        assert_int_equal(f->n_userspace, (r + 1) * n);
    }
    ft_dpif_get_stats(f->dpif, &st);
    assert_int_equal(st.n_userspace_dropped, st0.n_userspace_dropped);

    /* EXECUTE: 3,000 misses, 250 destinations a round, each its own
     * megaflow, forwarded to port 2. */
    f->to_userspace = false;
    f->out[1] = 2;
    ft_dpif_get_stats(f->dpif, &st0);
    for (int r = 0; r < 12; r++) {
        ft_dpif_flow_flush(f->dpif);
        for (int d = 0; d < 250; d++) {
            inject(f, 0, 1, d, 7011);
        }
        assert_int_equal(pump(f, f->inj[1], 250, 7011, 5000), 250);
    }
    ft_dpif_get_stats(f->dpif, &st);
    assert_true(st.n_missed - st0.n_missed >= 3000);
    assert_int_equal(st.n_lost, st0.n_lost);

    /* Frames bigger than a buffer. */
    system("for d in dp0 inj0 dp1 inj1; do ip link set $d mtu 1800; done");
    ft_dpif_flow_flush(f->dpif);
    ft_dpif_get_stats(f->dpif, &st0);
    inject_len(f, 0, n, 1700, 40, 7012);
    assert_int_equal(pump(f, f->inj[1], n, 7012, 5000), n);
    ft_dpif_get_stats(f->dpif, &st);
    assert_true(st.n_missed > st0.n_missed);
    assert_int_equal(st.n_lost, st0.n_lost);
    system("for d in dp0 inj0 dp1 inj1; do ip link set $d mtu 1500; done");
}

/* Packets of one flow that all missed before its megaflow was put (the
 * daemon was not running) cost one translation: the first one's put
 * answers the others, which are forwarded and counted on the megaflow. */
static void
test_misses_answered_by_put(void **state)
{
    struct fixture *f = start(state);
    struct ft_dpif_stats st0, st;
    const int n = 200;

    f->out[1] = 2;
    ft_dpif_get_stats(f->dpif, &st0);
    inject(f, 0, n, 9, 7013);
    /* Every frame reaches a thread and misses before an upcall is
     * handled: nothing calls ft_dpif_run() meanwhile. */
    for (int i = 0; i < 100; i++) {
        ft_dpif_get_stats(f->dpif, &st);
        if (st.n_missed - st0.n_missed >= (uint64_t) n) {
            break;
        }
        usleep(10000);
    }
    assert_int_equal(st.n_missed - st0.n_missed, n);
    assert_int_equal(pump(f, f->inj[1], n, 7013, 5000), n);
    assert_int_equal(f->n_upcalls, 1);
    assert_int_equal(f->n_installed, 1);
    assert_int_equal(wait_packets(f, f->handle, n), n);
    ft_dpif_get_stats(f->dpif, &st);
    assert_int_equal(st.n_lost, st0.n_lost);
}

/* Stopping the threads joins them, keeps the megaflows with their counts,
 * and the caller's thread forwards again. */
static void
test_stop(void **state)
{
    struct fixture *f = start(state);
    struct ft_dpif_stats st0, st;
    struct ft_stats final;
    int tasks;
    const int n = 100;

    f->out[1] = 2;
    inject(f, 0, n, 2, 7007);
    assert_int_equal(pump(f, f->inj[1], n, 7007, 5000), n);
    assert_int_equal(wait_packets(f, f->handle, n), n);
    tasks = count_tasks();
    ft_dpif_get_stats(f->dpif, &st0);
    assert_int_equal(ft_dpif_set_pmd_cpus(f->dpif, NULL, 0, NULL), 0);
    assert_int_equal(count_tasks(), tasks - (int) f->n_cpus);
    ft_dpif_get_stats(f->dpif, &st);
    assert_int_equal(st.n_hit_emc + st.n_hit_megaflow + st.n_missed,
                     st0.n_hit_emc + st0.n_hit_megaflow + st0.n_missed);
    assert_int_equal(ft_dpif_pmd_foreach(f->dpif, collect_pmd, NULL), 0);
    assert_int_equal(flow_stats(f, f->handle).n_packets, n);
    inject(f, 0, n, 2, 7007);
    assert_int_equal(pump(f, f->inj[1], n, 7007, 5000), n);
    assert_int_equal(ft_dpif_flow_del(f->dpif, f->handle, &final), 0);
    assert_int_equal(final.n_packets, 2 * n);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_cpus),
        cmocka_unit_test(test_exact_counts),
        cmocka_unit_test(test_threads_and_queues),
        cmocka_unit_test(test_modify_under_traffic),
        cmocka_unit_test(test_churn_under_traffic),
        cmocka_unit_test(test_emc_swept),
        cmocka_unit_test(test_execute),
        cmocka_unit_test(test_userspace_action),
        cmocka_unit_test(test_upcall_buffers_recycled),
        cmocka_unit_test(test_misses_answered_by_put),
        cmocka_unit_test(test_stop),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

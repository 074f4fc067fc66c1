/*
 * bench-dpif.c - forwarding rate of the userspace datapath between two
 * veths, 64-byte UDP frames.
 *
 * Runs in its own network namespace (needs root): veth pairs dp0/inj0 and
 * dp1/inj1, dp0 and dp1 in a datapath with one megaflow "in_port=1 ->
 * output:2".  A child process blasts frames into inj0 with sendmmsg() for
 * the given number of seconds; the parent runs the datapath and reports
 * packets per second received on port 1 and sent on port 2.
 *
 * Usage: bench-dpif [SECONDS]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "swpath/dpif.h"

static double
now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
blast(const char *ifname, double seconds)
{
    static uint8_t frame[60] = {
        0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,
        0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0,
        10, 0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0, 9, 0, 26, 0, 0,
    };
    struct mmsghdr msgs[64];
    struct iovec iov = { frame, sizeof frame };
    struct sockaddr_ll sll;
    double end = now_sec() + seconds;
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = if_nametoindex(ifname);
    if (fd < 0 || bind(fd, (struct sockaddr *) &sll, sizeof sll) < 0) {
        perror("injector socket");
        _exit(1);
    }
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < 64; i++) {
        msgs[i].msg_hdr.msg_iov = &iov;
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    while (now_sec() < end) {
        sendmmsg(fd, msgs, 64, 0);
    }
    _exit(0);
}

int
main(int argc, char *argv[])
{
    double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_netdev_stats rx, tx;
    struct ft_dpif_stats st;
    struct ft_dpif *dpif;
    struct ft_dpif_flow *flow;
    struct ft_error err;
    struct ft_match m;
    double start, elapsed;
    long long total = 0;
    pid_t child;
    int status;

    if (unshare(CLONE_NEWNET) < 0) {
        fprintf(stderr, "bench-dpif: unshare(CLONE_NEWNET): %s (run as "
                "root)\n", strerror(errno));
        return 1;
    }
    if (system("ip link set lo up && "
               "ip link add dp0 type veth peer name inj0 && "
               "ip link add dp1 type veth peer name inj1 && "
               "ip link set inj0 up && ip link set inj1 up")) {
        fprintf(stderr, "bench-dpif: cannot create veths\n");
        return 1;
    }
    if (ft_dpif_create(NULL, "bench", &dpif, &err)
        || ft_dpif_port_add(dpif, 1, "dp0", "system", NULL, 0, &err)
        || ft_dpif_port_add(dpif, 2, "dp1", "system", NULL, 0, &err)) {
        fprintf(stderr, "bench-dpif: %s\n", err.reason);
        return 1;
    }
    memset(&m, 0, sizeof m);
    m.flow.in_port = 1;
    m.mask.in_port = UINT32_MAX;
    ft_dp_actions_put_output(&acts, 2);
    ft_dpif_flow_put(dpif, &m, &acts, &flow, NULL);

    child = fork();
    if (!child) {
        blast("inj0", seconds);
    }
    start = now_sec();
    while (waitpid(child, &status, WNOHANG) == 0) {
        int fds[2];
        struct pollfd pfd[2];
        size_t n = ft_dpif_get_fds(dpif, fds, 2);

        for (size_t i = 0; i < n; i++) {
            pfd[i].fd = fds[i];
            pfd[i].events = POLLIN;
        }
        poll(pfd, n, 1);
        total += ft_dpif_run(dpif, 1024);
    }
    total += ft_dpif_run(dpif, 1 << 20);
    elapsed = now_sec() - start;

    ft_dpif_port_get_stats(dpif, 1, &rx);
    ft_dpif_port_get_stats(dpif, 2, &tx);
    ft_dpif_get_stats(dpif, &st);
    printf("%.1f s: port 1 rx %llu (%.0f pps, %llu dropped in the ring), "
           "port 2 tx %llu (%.0f pps, %llu dropped, %llu errors); "
           "EMC hits %llu, megaflow hits %llu\n", elapsed,
           (unsigned long long) rx.rx_packets, rx.rx_packets / elapsed,
           (unsigned long long) rx.rx_dropped,
           (unsigned long long) tx.tx_packets, tx.tx_packets / elapsed,
           (unsigned long long) tx.tx_dropped,
           (unsigned long long) tx.tx_errors,
           (unsigned long long) st.n_hit_emc,
           (unsigned long long) st.n_hit_megaflow);
    ft_dp_actions_uninit(&acts);
    ft_dpif_destroy(dpif);
    return total > 0 ? 0 : 1;
}

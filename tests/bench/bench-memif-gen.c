/*
 * bench-memif-gen.c - a traffic source for the DPDK forwarding cases that
 * makes its frames as it sends them, so that the switch under test needs
 * no mbuf per flow to replay them.
 *
 * net_pcap's infinite_rx keeps a whole capture in mbufs of the receiving
 * port's pool: a million flows need a million mbufs, which Open vSwitch's
 * shared pool (262,144) does not have.  This program is instead the server
 * side of a memif interface (DPDK's net_memif, shared-memory rings over a
 * Unix socket): the switch's port is the client, net_memif0,role=client,
 * socket=PATH,socket-abstract=no, and receives the frames as from any
 * DPDK port, copying each out of the shared ring into an mbuf of its own
 * pool (net_pcap's infinite_rx copies from its cached mbufs the same way).
 *
 * Frame i (i = 0 .. flows - 1, then again from 0) is the frame i of the
 * benchmark's captures (bench/lib/case-dpdk3t.sh, 'fwd' kind): 60 bytes,
 * 02:00:00:00:00:01 -> 02:00:00:00:00:02, UDP 10.0.X.Y:P -> 10.1.X.Y:5000
 * with X.Y = i mod 65536 and P = 1024 + i / 65536.  Frames are sent in
 * that order as fast as the client's ring takes them; a burst the ring
 * does not take is offered again, so no flow is skipped.
 *
 * On SIGUSR1, prints a line "at T s: sent N frames; F bursts not all
 * taken" (T since the start; a burst not all taken means the client's
 * ring was full: the switch, not this program, set the pace) and goes on.
 * On SIGINT or SIGTERM (or after --seconds), prints the totals and the
 * rate, and exits 0.
 *
 * Usage: bench-memif-gen --socket PATH [--flows N] [--cpu C]
 *                        [--seconds S] [--eal 'ARGS']
 *   --socket PATH  the memif control socket (a file; created here)
 *   --flows N      distinct flows (default 1000, at most 16,777,216)
 *   --cpu C        the CPU to send from (default 0)
 *   --seconds S    stop after S seconds (default: at a signal)
 *   --eal ARGS     extra EAL arguments
 *
 * Needs root (DPDK).
 */
#define _GNU_SOURCE 1

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#define BURST 32
#define FRAME_LEN 60
#define N_MBUFS 8191
#define MAX_FLOWS (1u << 24)
#define N_RXQ 8

static volatile sig_atomic_t stop, report;

static void
on_signal(int sig)
{
    if (sig == SIGUSR1) {
        report = 1;
    } else {
        stop = 1;
    }
}

static double
now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The one's complement sum of 'n' bytes at 'p' (n even), not folded. */
static uint32_t
sum16(const uint8_t *p, size_t n)
{
    uint32_t s = 0;

    for (size_t i = 0; i < n; i += 2) {
        s += (uint32_t) p[i] << 8 | p[i + 1];
    }
    return s;
}

static uint16_t
fold(uint32_t s)
{
    while (s >> 16) {
        s = (s & 0xffff) + (s >> 16);
    }
    return ~s & 0xffff;
}

struct gen {
    uint8_t tmpl[FRAME_LEN];
    uint32_t ip_sum;            /* The template's IP header sum, addresses'
                                 * varying words zero. */
    uint32_t n_flows;
};

static void
gen_init(struct gen *g, uint32_t n_flows)
{
    static const uint8_t hdr[42] = {
        0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,
        0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0,
        10, 0, 0, 0, 10, 1, 0, 0,
        0, 0, 0x13, 0x88, 0, 26, 0, 0,
    };

    memset(g, 0, sizeof *g);
    memcpy(g->tmpl, hdr, sizeof hdr);
    g->ip_sum = sum16(g->tmpl + 14, 20);
    g->n_flows = n_flows;
}

/* Writes frame 'i' into 'p' (FRAME_LEN bytes). */
static inline void
gen_frame(const struct gen *g, uint8_t *p, uint32_t i)
{
    uint16_t lo = i & 0xffff;
    uint16_t sport = 1024 + (i >> 16);
    uint16_t csum;

    memcpy(p, g->tmpl, FRAME_LEN);
    p[28] = p[32] = lo >> 8;
    p[29] = p[33] = lo & 0xff;
    /* Both addresses' last words are 'lo'. */
    csum = fold(g->ip_sum + 2u * lo);
    p[24] = csum >> 8;
    p[25] = csum & 0xff;
    p[34] = sport >> 8;
    p[35] = sport & 0xff;
}

static void
usage(void)
{
    fprintf(stderr, "usage: bench-memif-gen --socket PATH [--flows N] "
            "[--cpu C] [--seconds S] [--eal 'ARGS']\n");
    exit(2);
}

int
main(int argc, char *argv[])
{
    const char *socket_path = NULL, *extra = "";
    unsigned long flows = 1000, cpu = 0;
    double seconds = 0;
    char *eal_argv[64], lcores[32], vdev[512], prefix[64], *copy, *tok;
    int eal_argc = 0;
    struct rte_eth_conf conf;
    struct rte_mempool *mp;
    struct rte_mbuf *pkts[BURST];
    struct gen g;
    uint64_t sent = 0, full = 0;
    uint32_t next = 0;
    uint16_t port;
    double t0, deadline;
    int error;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (!v) {
            usage();
        }
        if (!strcmp(a, "--socket")) {
            socket_path = v;
        } else if (!strcmp(a, "--flows")) {
            flows = strtoul(v, NULL, 10);
        } else if (!strcmp(a, "--cpu")) {
            cpu = strtoul(v, NULL, 10);
        } else if (!strcmp(a, "--seconds")) {
            seconds = atof(v);
        } else if (!strcmp(a, "--eal")) {
            extra = v;
        } else {
            usage();
        }
        i++;
    }
    if (!socket_path || !flows || flows > MAX_FLOWS) {
        usage();
    }

    snprintf(lcores, sizeof lcores, "--lcores=0@%lu", cpu);
    snprintf(vdev, sizeof vdev, "--vdev=net_memif0,role=server,socket=%s,"
             "socket-abstract=no", socket_path);
    snprintf(prefix, sizeof prefix, "--file-prefix=ftmemif-%d",
             (int) getpid());
    eal_argv[eal_argc++] = argv[0];
    eal_argv[eal_argc++] = lcores;
    eal_argv[eal_argc++] = "--no-huge";
    eal_argv[eal_argc++] = "--no-pci";
    eal_argv[eal_argc++] = "-m";
    eal_argv[eal_argc++] = "256";
    eal_argv[eal_argc++] = "--no-shconf";
    eal_argv[eal_argc++] = "--no-telemetry";
    eal_argv[eal_argc++] = prefix;
    eal_argv[eal_argc++] = vdev;
    copy = strdup(extra);
    for (tok = strtok(copy, " "); tok && eal_argc < 63;
         tok = strtok(NULL, " ")) {
        eal_argv[eal_argc++] = tok;
    }
    eal_argv[eal_argc] = NULL;
    if (rte_eal_init(eal_argc, eal_argv) < 0) {
        fprintf(stderr, "bench-memif-gen: EAL init failed: %s\n",
                rte_strerror(rte_errno));
        return 1;
    }
    if (rte_eth_dev_get_port_by_name("net_memif0", &port)) {
        fprintf(stderr, "bench-memif-gen: no net_memif0 port (is DPDK's "
                "memif driver, librte_net_memif, installed?)\n");
        return 1;
    }
    mp = rte_pktmbuf_pool_create("gen", N_MBUFS, 256, 0,
                                 RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
    if (!mp) {
        fprintf(stderr, "bench-memif-gen: no mbuf pool: %s\n",
                rte_strerror(rte_errno));
        return 1;
    }
    /* The client's transmit queues are this side's receive queues, and a
     * memif server refuses a client with more than it has: Open vSwitch
     * opens one per forwarding thread plus one.  Nothing is read from
     * them. */
    memset(&conf, 0, sizeof conf);
    error = rte_eth_dev_configure(port, N_RXQ, 1, &conf);
    for (int q = 0; !error && q < N_RXQ; q++) {
        error = rte_eth_rx_queue_setup(port, q, 256, rte_socket_id(), NULL,
                                       mp);
    }
    if (!error) {
        error = rte_eth_tx_queue_setup(port, 0, 1024, rte_socket_id(),
                                       NULL);
    }
    if (!error) {
        error = rte_eth_dev_start(port);
    }
    if (error) {
        fprintf(stderr, "bench-memif-gen: cannot start net_memif0: %s\n",
                strerror(error < 0 ? -error : error));
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGUSR1, on_signal);
    gen_init(&g, flows);
    fprintf(stderr, "bench-memif-gen: %lu flows on %s, CPU %lu\n", flows,
            socket_path, cpu);

    t0 = now_sec();
    deadline = seconds > 0 ? t0 + seconds : 0;
    for (uint64_t iter = 0; !stop; iter++) {
        uint16_t n;

        if (!(iter & 0xffff) && deadline && now_sec() >= deadline) {
            break;
        }
        if (report) {
            report = 0;
            printf("at %.3f s: sent %" PRIu64 " frames; %" PRIu64
                   " bursts not all taken\n", now_sec() - t0, sent, full);
            fflush(stdout);
        }
        if (rte_pktmbuf_alloc_bulk(mp, pkts, BURST)) {
            continue;
        }
        for (int k = 0; k < BURST; k++) {
            struct rte_mbuf *m = pkts[k];
            uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

            gen_frame(&g, p, (next + k) % g.n_flows);
            m->data_len = m->pkt_len = FRAME_LEN;
        }
        n = rte_eth_tx_burst(port, 0, pkts, BURST);
        if (n < BURST) {
            rte_pktmbuf_free_bulk(pkts + n, BURST - n);
            full++;
        }
        next = (next + n) % g.n_flows;
        sent += n;
    }
    {
        double t = now_sec() - t0;

        printf("sent %" PRIu64 " frames in %.2f s: %.3f Mpps; %" PRIu64
               " bursts not all taken\n", sent, t, sent / t / 1e6, full);
    }
    rte_eth_dev_stop(port);
    rte_eth_dev_close(port);
    rte_eal_cleanup();
    free(copy);
    return 0;
}

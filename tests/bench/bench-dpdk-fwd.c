/*
 * bench-dpdk-fwd.c - forwarding rate and flow setup rate of a bridge with
 * two DPDK ports, on one core, without the daemon.
 *
 * Builds a bridge (mgmt/bridge/bridge.h) with DPDK port 1, a net_pcap device that
 * replays a capture this program writes (infinite_rx=1), and port 2, a
 * net_null sink, and the OpenFlow table
 *
 *   priority=100,udp,tp_dst=53,actions=drop
 *   priority=50,ip,nw_dst=10.1.0.0/16,actions=mod_vlan_vid:100,output:2
 *
 * The capture holds one 60-byte UDP frame per flow: flow i is
 * 10.0.X.Y:P -> 10.1.A.B:5000 with X.Y = i mod 65536, P = 1024 + i / 65536
 * and A.B = i mod 65536, so every frame is a distinct 5-tuple inside
 * 10.1.0.0/16 (none goes to port 53).  Megaflows are made by the real
 * upcall path (translation of the table above, then install), as in the
 * daemon; the loop is the daemon's (ft_bridge_run(), and
 * ft_bridge_periodic() when it is due).
 *
 * Forwarding mode (default): runs 1 s to warm up, then --seconds (10) and
 * reports packets per second received on port 1 (and the tx count of port
 * 2, which must agree) and TSC cycles per packet: TSC ticks over the
 * measurement divided by packets.  The TSC runs at a constant rate on
 * this machine (constant_tsc, nonstop_tsc); its rate is measured against
 * CLOCK_MONOTONIC over the run and printed, so cycles/packet are TSC
 * cycles at that rate.  On a machine shared with other work the thread
 * does not always have its core: the line also gives the rate per second
 * of CPU time the process got (getrusage()) and the cycles per packet of
 * that CPU time, which is what the datapath itself costs.
 *
 * Setup mode (--setup): the table also gets
 *
 *   priority=200,dl_src=02:00:00:00:00:00,actions=drop
 *
 * (a MAC ACL), so that every megaflow matches the whole source MAC, and
 * frame i gets source MAC 02:ff:ii:ii:ii:ii: every frame misses every
 * cache and needs its own megaflow.  Reports megaflows installed per
 * second until all --flows are installed (flow-limit is raised above
 * --flows).
 *
 * Forwarding threads (--pmd-mask MASK): the bridge gets other_config:
 * pmd-cpu-mask=MASK, so that its datapath forwards in one thread per CPU
 * of MASK and this program's loop only handles upcalls and the
 * revalidator, as the daemon's does.  --inputs 2 gives the bridge two
 * replaying ports (1 and 2, net_pcap0 and net_pcap1, the same capture)
 * and two sinks (3 and 4), the table sending port 1's frames to 3 and
 * port 2's to 4: with two threads each polls one input (the datapath
 * spreads ports round-robin in port number order).  The rate is then
 * both inputs' together.
 *
 * Revalidation mode (--reval, with the --setup capture and table: one
 * megaflow per frame): once every megaflow is installed and traffic has
 * run for a second, a rule is added (priority=10,udp,tp_dst=54,actions=
 * drop), so that the revalidator translates every megaflow again while
 * the frames keep coming.  Reports how long that took and the longest
 * time a receive queue waited to be polled meanwhile: without threads,
 * the longest gap between two receive rounds of this loop (the
 * revalidator works in slices between them); with threads, the longest
 * round of any thread (dpif-show's "longest round").
 *
 * Usage: bench-dpdk-fwd [--flows N] [--seconds S] [--setup] [--reval]
 *                       [--cpu C] [--pmd-mask MASK] [--inputs 1|2]
 *                       [--dir DIR] [--eal 'ARGS']
 *   --flows N    distinct flows in the capture (default 1000)
 *   --seconds S  measurement time (default 10)
 *   --cpu C      pin the thread (and DPDK's main lcore) to CPU C
 *   --dir DIR    where the capture is written (default /tmp)
 *   --eal ARGS   DPDK EAL arguments (default "--no-huge --no-pci -m M
 *                --no-shconf --no-telemetry --file-prefix=ftbench-PID",
 *                with M sized for the capture's mbufs)
 *
 * Needs root (DPDK).  Memory: about 2.5 KiB per flow for the capture's
 * mbufs; with --no-huge the EAL needs about 6 KiB per flow (6.3 GiB at
 * 1M flows), which the default --eal gives it.
 */
#define _GNU_SOURCE 1

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <poll.h>

#include "mgmt/bridge/bridge.h"
#include "mgmt/daemon/log.h"
#include "swpath/dpif.h"

struct options {
    unsigned long flows;
    double seconds;
    bool setup;
    bool reval;
    int cpu;
    const char *pmd_mask;
    int inputs;
    const char *dir;
    const char *eal;
};

struct port_counts {
    uint64_t rx[5], tx[5], tx_dropped[5];
};

static inline uint64_t
rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t) hi << 32 | lo;
}

static double
now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
cpu_sec(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
           + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static uint16_t
ip_csum(const uint8_t *h)
{
    uint32_t sum = 0;

    for (int i = 0; i < 20; i += 2) {
        sum += h[i] << 8 | h[i + 1];
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum;
}

/* Writes the capture described at the top of this file to 'path'. */
static int
write_pcap(const char *path, unsigned long n, bool setup)
{
    FILE *f = fopen(path, "wb");
    uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };

    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    fwrite(hdr, sizeof hdr, 1, f);
    for (unsigned long i = 0; i < n; i++) {
        uint32_t rec[4] = { 1, (uint32_t) (i % 1000000), 60, 60 };
        uint8_t fr[60];
        uint16_t sport = 1024 + i / 65536;

        memset(fr, 0, sizeof fr);
        memcpy(fr, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
        if (setup) {
            fr[7] = 0xff;
            fr[8] = i >> 24;
            fr[9] = i >> 16;
            fr[10] = i >> 8;
            fr[11] = i;
        }
        fr[12] = 0x08;
        fr[14] = 0x45;
        fr[17] = 46;                /* IP total length. */
        fr[22] = 64;
        fr[23] = 17;
        fr[26] = 10;
        fr[28] = (i >> 8) & 0xff;
        fr[29] = i & 0xff;
        fr[30] = 10;
        fr[31] = 1;
        fr[32] = (i >> 8) & 0xff;
        fr[33] = i & 0xff;
        uint16_t csum = ip_csum(fr + 14);
        fr[24] = csum >> 8;
        fr[25] = csum;
        fr[34] = sport >> 8;
        fr[35] = sport;
        fr[36] = 5000 >> 8;
        fr[37] = 5000 & 0xff;
        fr[39] = 26;                /* UDP length; checksum 0. */
        fwrite(rec, sizeof rec, 1, f);
        fwrite(fr, sizeof fr, 1, f);
    }
    if (fclose(f)) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void
count_port(const struct ft_bridge_port_stats *ps, void *aux)
{
    struct port_counts *c = aux;

    if (ps->port >= 1 && ps->port <= 4) {
        c->rx[ps->port] = ps->rx_packets;
        c->tx[ps->port] = ps->tx_packets;
        c->tx_dropped[ps->port] = ps->tx_dropped;
    }
}

static void
usage(void)
{
    fprintf(stderr, "usage: bench-dpdk-fwd [--flows N] [--seconds S] "
            "[--setup] [--reval] [--cpu C] [--pmd-mask MASK] "
            "[--inputs 1|2] [--dir DIR] [--eal 'ARGS']\n");
}

static int
parse_options(int argc, char *argv[], struct options *o)
{
    o->flows = 1000;
    o->seconds = 10;
    o->setup = false;
    o->reval = false;
    o->cpu = -1;
    o->pmd_mask = NULL;
    o->inputs = 1;
    o->dir = "/tmp";
    o->eal = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (!strcmp(a, "--setup")) {
            o->setup = true;
            continue;
        }
        if (!strcmp(a, "--reval")) {
            o->setup = o->reval = true;
            continue;
        }
        if (!v) {
            usage();
            return -1;
        }
        if (!strcmp(a, "--flows")) {
            o->flows = strtoul(v, NULL, 10);
        } else if (!strcmp(a, "--seconds")) {
            o->seconds = atof(v);
        } else if (!strcmp(a, "--cpu")) {
            o->cpu = atoi(v);
        } else if (!strcmp(a, "--pmd-mask")) {
            o->pmd_mask = v;
        } else if (!strcmp(a, "--inputs")) {
            o->inputs = atoi(v);
        } else if (!strcmp(a, "--dir")) {
            o->dir = v;
        } else if (!strcmp(a, "--eal")) {
            o->eal = v;
        } else {
            usage();
            return -1;
        }
        i++;
    }
    if (!o->flows || o->flows > (1ul << 24) || o->seconds <= 0
        || o->inputs < 1 || o->inputs > 2) {
        usage();
        return -1;
    }
    return 0;
}

/* Waits until the 'n' ports 'ports' of 'br', which open in the
 * background (mgmt/bridge/bridge.h), are in its datapath.  Returns 0, or
 * -EIO with the reason printed if one did not open. */
static int
wait_opens(struct ft_bridge *br, const struct ft_bridge_port_cfg *ports,
           int n)
{
    for (;;) {
        bool opening = false;

        ft_bridge_finish_opens(br, ft_time_msec());
        for (int i = 0; i < n; i++) {
            const char *why;

            if (ft_bridge_port_opening(br, ports[i].name)) {
                opening = true;
            } else if ((why = ft_bridge_port_error(br, ports[i].name))) {
                fprintf(stderr, "bench-dpdk-fwd: port %s: %s\n",
                        ports[i].name, why);
                return -EIO;
            }
        }
        if (!opening) {
            return 0;
        }
        usleep(10000);
    }
}

/* Creates the bridge of the top of this file. */
static int
make_bridge(const struct options *o, const char *pcap, struct ft_bridge **brp)
{
    static char *oc_keys[] = { "dpdk-extra", "flow-limit", "max-idle",
                               "pmd-cpu-mask" };
    char eal[512], limit[32], in_args[2][1024], n_mbufs[32];
    char *oc_values[4] = { eal, limit, "100000", (char *) o->pmd_mask };
    char *in_keys[] = { "dpdk-devargs", "n_mbufs" };
    char *in_values[2][2] = { { in_args[0], n_mbufs },
                              { in_args[1], n_mbufs } };
    char *out_keys[] = { "dpdk-devargs" };
    char *out_values[2][1] = { { "net_null0,no-rx=1" },
                               { "net_null1,no-rx=1" } };
    static const char *names[4] = { "dpdk0", "dpdk2", "dpdk1", "dpdk3" };
    struct ft_bridge_port_cfg ports[4];
    struct ft_bridge_cfg cfg;
    struct ft_error err;
    const char *flows1[3] = {
        "priority=100,udp,tp_dst=53,actions=drop",
        "priority=50,ip,nw_dst=10.1.0.0/16,actions=mod_vlan_vid:100,output:2",
        "priority=200,dl_src=02:00:00:00:00:00,actions=drop",
    };
    const char *flows2[4] = {
        "priority=100,udp,tp_dst=53,actions=drop",
        "priority=50,in_port=1,ip,nw_dst=10.1.0.0/16,"
        "actions=mod_vlan_vid:100,output:3",
        "priority=50,in_port=2,ip,nw_dst=10.1.0.0/16,"
        "actions=mod_vlan_vid:100,output:4",
        "priority=200,dl_src=02:00:00:00:00:00,actions=drop",
    };
    int k = o->inputs;
    unsigned long mem_mb = 256 + k * o->flows * 6144 / (1 << 20);
    long long int now = ft_time_msec();
    int error;

    if (o->eal) {
        snprintf(eal, sizeof eal, "%s", o->eal);
    } else {
        int n = snprintf(eal, sizeof eal, "--no-huge --no-pci -m %lu "
                         "--no-shconf --no-telemetry "
                         "--file-prefix=ftbench-%ld", mem_mb,
                         (long) getpid());

        if (o->cpu >= 0) {
            snprintf(eal + n, sizeof eal - n, " -l %d", o->cpu);
        }
    }
    snprintf(limit, sizeof limit, "%lu", o->flows * k + 1000);
    for (int i = 0; i < k; i++) {
        snprintf(in_args[i], sizeof in_args[i],
                 "net_pcap%d,rx_pcap=%s,infinite_rx=1", i, pcap);
    }
    snprintf(n_mbufs, sizeof n_mbufs, "%lu", o->flows + 8192);

    /* Inputs are ports 1..k, sinks k+1..2k. */
    memset(ports, 0, sizeof ports);
    for (int i = 0; i < k; i++) {
        struct ft_bridge_port_cfg *in = &ports[i], *out = &ports[k + i];

        in->name = names[i];
        in->ofport = 1 + i;
        in->type = "dpdk";
        in->options = (struct ft_bridge_smap) { in_keys, in_values[i], 2 };
        in->tag = -1;
        out->name = names[2 + i];
        out->ofport = 1 + k + i;
        out->type = "dpdk";
        out->options = (struct ft_bridge_smap) { out_keys, out_values[i],
                                                 1 };
        out->tag = -1;
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.fail_mode = "secure";
    cfg.other_config = (struct ft_bridge_smap) { oc_keys, oc_values,
                                                 o->pmd_mask ? 4 : 3 };
    cfg.ports = ports;
    cfg.n_ports = 2 * k;

    error = ft_bridge_create("br0", NULL, now, brp, &err);
    if (!error) {
        error = ft_bridge_reconfigure(*brp, &cfg, now, &err);
    }
    if (!error && k == 1) {
        error = ft_bridge_replace_flows(*brp, flows1, o->setup ? 3 : 2, 0,
                                        now, NULL, &err);
    } else if (!error) {
        error = ft_bridge_replace_flows(*brp, flows2, o->setup ? 4 : 3, 0,
                                        now, NULL, &err);
    }
    if (error) {
        fprintf(stderr, "bench-dpdk-fwd: %s\n", err.reason);
        return error;
    }
    return wait_opens(*brp, ports, 2 * k);
}

/* The longest round of any forwarding thread now (dpif-show's). */
static int
max_round_cb(const struct ft_dpif_pmd_info *info, void *aux)
{
    uint64_t *max = aux;

    if (info->max_round_ns > *max) {
        *max = info->max_round_ns;
    }
    return 0;
}

/* Runs the bridge as the daemon does until 'until' (seconds on
 * CLOCK_MONOTONIC) or, if 'want_flows' is nonzero, until it has that many
 * megaflows, or, if 'want_version' is nonzero, until the tables' version
 * 'want_version' is in every megaflow.  With forwarding threads it waits
 * for their misses as the daemon does (poll() on the bridge's
 * descriptors); without, it polls the ports all the time.  Stores in
 * '*max_gap_ns' (if nonnull) the longest a receive queue waited.  Returns
 * the packets this loop received (0 with threads). */
static uint64_t
run_until(struct ft_bridge *br, double until, size_t want_flows,
          uint64_t want_version, uint64_t *max_gap_ns)
{
    bool threads = !ft_bridge_needs_polling(br);
    double last = now_sec();
    uint64_t n = 0;

    for (unsigned int iter = 0;; iter++) {
        long long int now = ft_time_msec();

        if (threads) {
            struct pollfd pfd[4];
            int fds[4];
            size_t n_fds = ft_bridge_get_fds(br, fds, 4);

            for (size_t i = 0; i < n_fds && i < 4; i++) {
                pfd[i].fd = fds[i];
                pfd[i].events = POLLIN;
            }
            poll(pfd, n_fds < 4 ? n_fds : 4, 1);
            now = ft_time_msec();
        }
        n += ft_bridge_run(br, now);
        if (max_gap_ns && !threads) {
            double t = now_sec();

            if ((t - last) * 1e9 > *max_gap_ns) {
                *max_gap_ns = (t - last) * 1e9;
            }
            last = t;
        }
        if (threads || (iter & 255) == 0) {
            if (now >= ft_bridge_next_wakeup(br)) {
                ft_bridge_periodic(br, now);
                if (max_gap_ns) {
                    last = now_sec();   /* Not a gap: the slice is over. */
                }
            }
            if (max_gap_ns && threads) {
                ft_bridge_pmd_foreach(br, max_round_cb, max_gap_ns);
            }
            if (now_sec() >= until) {
                break;
            }
        }
        if (want_flows || want_version) {
            struct ft_bridge_stats st;

            ft_bridge_get_stats(br, &st);
            if (want_flows && st.n_megaflows >= want_flows) {
                break;
            }
            if (want_version && st.change_version >= want_version) {
                break;
            }
        }
    }
    return n;
}

/* Packets received on the inputs since 'c0'. */
static uint64_t
rx_since(const struct port_counts *c0, const struct port_counts *c1, int k)
{
    uint64_t n = 0;

    for (int i = 1; i <= k; i++) {
        n += c1->rx[i] - c0->rx[i];
    }
    return n;
}

static int
bench_forward(struct ft_bridge *br, const struct options *o)
{
    struct port_counts c0, c1;
    struct ft_bridge_stats st;
    double t0, t1, cpu0, cpu1;
    uint64_t tsc0, tsc1, n;
    double hz;

    run_until(br, now_sec() + 1.0, 0, 0, NULL);
    memset(&c0, 0, sizeof c0);
    ft_bridge_dump_ports(br, count_port, &c0);
    cpu0 = cpu_sec();
    t0 = now_sec();
    tsc0 = rdtsc();
    n = run_until(br, t0 + o->seconds, 0, 0, NULL);
    tsc1 = rdtsc();
    t1 = now_sec();
    cpu1 = cpu_sec();
    memset(&c1, 0, sizeof c1);
    ft_bridge_dump_ports(br, count_port, &c1);
    ft_bridge_get_stats(br, &st);
    n = rx_since(&c0, &c1, o->inputs);

    hz = (tsc1 - tsc0) / (t1 - t0);
    printf("flows %lu: %.2f Mpps over %.1f s, %.1f TSC cycles/packet "
           "(TSC %.0f MHz), CPU %.0f%% of one core; per CPU second: "
           "%.2f Mpps, %.1f cycles/packet\n",
           o->flows, n / (t1 - t0) / 1e6, t1 - t0,
           (double) (tsc1 - tsc0) / n, hz / 1e6,
           100 * (cpu1 - cpu0) / (t1 - t0), n / (cpu1 - cpu0) / 1e6,
           (cpu1 - cpu0) * hz / n);
    int k = o->inputs;
    uint64_t tx = 0, dropped = 0;

    for (int i = 1 + k; i <= 2 * k; i++) {
        tx += c1.tx[i] - c0.tx[i];
        dropped += c1.tx_dropped[i] - c0.tx_dropped[i];
    }
    printf("  inputs rx %" PRIu64 " (port 1: %" PRIu64 "), sinks tx %"
           PRIu64 " (dropped %" PRIu64 "), megaflows %zu, upcalls %" PRIu64
           ", threads %s\n", n, c1.rx[1] - c0.rx[1], tx, dropped,
           st.n_megaflows, st.n_missed, o->pmd_mask ? o->pmd_mask : "none");
    if (tx + 1000 * k < n) {
        fprintf(stderr, "bench-dpdk-fwd: port 2 sent fewer frames than "
                "port 1 received\n");
        return 1;
    }
    return 0;
}

static int
bench_setup(struct ft_bridge *br, const struct options *o)
{
    struct ft_bridge_stats st;
    double t0, t1, cpu0, cpu1;

    cpu0 = cpu_sec();
    t0 = now_sec();
    run_until(br, t0 + o->seconds, o->flows, 0, NULL);
    t1 = now_sec();
    cpu1 = cpu_sec();
    ft_bridge_get_stats(br, &st);
    printf("setup: %zu megaflows in %.3f s: %.0f megaflows/s "
           "(upcalls %" PRIu64 ", lost %" PRIu64 ", limit hits %" PRIu64
           "); CPU %.0f%% of one core, %.0f megaflows per CPU second\n",
           st.n_megaflows, t1 - t0, st.n_megaflows / (t1 - t0),
           st.n_missed, st.n_lost, st.n_flow_limit_hits,
           100 * (cpu1 - cpu0) / (t1 - t0), st.n_megaflows / (cpu1 - cpu0));
    if (st.n_megaflows < o->flows) {
        fprintf(stderr, "bench-dpdk-fwd: only %zu of %lu megaflows in %.0f "
                "s\n", st.n_megaflows, o->flows, o->seconds);
        return 1;
    }
    return 0;
}

/* Installs every megaflow, forwards for a second, then changes the table
 * and measures the revalidation under traffic (see the top). */
static int
bench_reval(struct ft_bridge *br, const struct options *o)
{
    const char *rule[] = { "priority=10,udp,tp_dst=54,actions=drop" };
    struct port_counts c0, c1;
    struct ft_bridge_stats st;
    uint64_t max_gap = 0;
    double t0, t1;
    int rc = bench_setup(br, o);

    if (rc) {
        return rc;
    }
    run_until(br, now_sec() + 1.0, 0, 0, NULL);
    memset(&c0, 0, sizeof c0);
    ft_bridge_dump_ports(br, count_port, &c0);
    if (ft_bridge_flow_mod_lines(br, FT_FLOW_ADD, rule, 1, 0,
                                 ft_time_msec(), NULL, NULL)) {
        fprintf(stderr, "bench-dpdk-fwd: cannot add the rule\n");
        return 1;
    }
    ft_bridge_get_stats(br, &st);
    t0 = now_sec();
    run_until(br, t0 + 120, 0, st.tables_version, &max_gap);
    t1 = now_sec();
    memset(&c1, 0, sizeof c1);
    ft_bridge_dump_ports(br, count_port, &c1);
    ft_bridge_get_stats(br, &st);
    printf("reval: %zu megaflows translated again in %.3f s (settled in "
           "%.3f ms), %.2f Mpps meanwhile, longest wait of a receive "
           "queue %.3f ms, threads %s\n", st.n_megaflows, t1 - t0,
           st.change_settle_usec / 1e3,
           rx_since(&c0, &c1, o->inputs) / (t1 - t0) / 1e6, max_gap / 1e6,
           o->pmd_mask ? o->pmd_mask : "none");
    return 0;
}

int
main(int argc, char *argv[])
{
    struct options o;
    struct ft_bridge *br;
    char pcap[512];
    int rc;

    if (parse_options(argc, argv, &o)) {
        return 2;
    }
    if (o.cpu >= 0) {
        cpu_set_t set;

        CPU_ZERO(&set);
        CPU_SET(o.cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set)) {
            fprintf(stderr, "bench-dpdk-fwd: cannot pin to CPU %d: %s\n",
                    o.cpu, strerror(errno));
            return 1;
        }
    }
    snprintf(pcap, sizeof pcap, "%s/ftbench-%ld-%lu%s.pcap", o.dir,
             (long) getpid(), o.flows, o.setup ? "-setup" : "");
    if (write_pcap(pcap, o.flows, o.setup)) {
        return 1;
    }
    if (make_bridge(&o, pcap, &br)) {
        unlink(pcap);
        return 1;
    }
    rc = (o.reval ? bench_reval(br, &o)
          : o.setup ? bench_setup(br, &o) : bench_forward(br, &o));
    ft_bridge_destroy(br);
    unlink(pcap);
    return rc;
}

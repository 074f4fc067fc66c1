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
 * Usage: bench-dpdk-fwd [--flows N] [--seconds S] [--setup] [--cpu C]
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

#include "mgmt/bridge/bridge.h"
#include "mgmt/daemon/log.h"

struct options {
    unsigned long flows;
    double seconds;
    bool setup;
    int cpu;
    const char *dir;
    const char *eal;
};

struct port_counts {
    uint64_t rx[3], tx[3], tx_dropped[3];
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

    if (ps->port == 1 || ps->port == 2) {
        c->rx[ps->port] = ps->rx_packets;
        c->tx[ps->port] = ps->tx_packets;
        c->tx_dropped[ps->port] = ps->tx_dropped;
    }
}

static void
usage(void)
{
    fprintf(stderr, "usage: bench-dpdk-fwd [--flows N] [--seconds S] "
            "[--setup] [--cpu C] [--dir DIR] [--eal 'ARGS']\n");
}

static int
parse_options(int argc, char *argv[], struct options *o)
{
    o->flows = 1000;
    o->seconds = 10;
    o->setup = false;
    o->cpu = -1;
    o->dir = "/tmp";
    o->eal = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (!strcmp(a, "--setup")) {
            o->setup = true;
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
    if (!o->flows || o->flows > (1ul << 24) || o->seconds <= 0) {
        usage();
        return -1;
    }
    return 0;
}

/* Creates the bridge of the top of this file. */
static int
make_bridge(const struct options *o, const char *pcap, struct ft_bridge **brp)
{
    static char *oc_keys[] = { "dpdk-extra", "flow-limit", "max-idle" };
    char eal[512], limit[32], in_args[1024], n_mbufs[32];
    char *oc_values[3] = { eal, limit, "100000" };
    char *in_keys[] = { "dpdk-devargs", "n_mbufs" };
    char *in_values[] = { in_args, n_mbufs };
    char *out_keys[] = { "dpdk-devargs" };
    char *out_values[] = { "net_null0,no-rx=1" };
    struct ft_bridge_port_cfg ports[2];
    struct ft_bridge_cfg cfg;
    struct ft_error err;
    const char *flows[3] = {
        "priority=100,udp,tp_dst=53,actions=drop",
        "priority=50,ip,nw_dst=10.1.0.0/16,actions=mod_vlan_vid:100,output:2",
        "priority=200,dl_src=02:00:00:00:00:00,actions=drop",
    };
    unsigned long mem_mb = 256 + o->flows * 6144 / (1 << 20);
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
    snprintf(limit, sizeof limit, "%lu", o->flows + 1000);
    snprintf(in_args, sizeof in_args, "net_pcap0,rx_pcap=%s,infinite_rx=1",
             pcap);
    snprintf(n_mbufs, sizeof n_mbufs, "%lu", o->flows + 8192);

    memset(ports, 0, sizeof ports);
    ports[0].name = "dpdk0";
    ports[0].ofport = 1;
    ports[0].type = "dpdk";
    ports[0].options = (struct ft_bridge_smap) { in_keys, in_values, 2 };
    ports[0].tag = -1;
    ports[1].name = "dpdk1";
    ports[1].ofport = 2;
    ports[1].type = "dpdk";
    ports[1].options = (struct ft_bridge_smap) { out_keys, out_values, 1 };
    ports[1].tag = -1;
    memset(&cfg, 0, sizeof cfg);
    cfg.fail_mode = "secure";
    cfg.other_config = (struct ft_bridge_smap) { oc_keys, oc_values, 3 };
    cfg.ports = ports;
    cfg.n_ports = 2;

    error = ft_bridge_create("br0", NULL, now, brp, &err);
    if (!error) {
        error = ft_bridge_reconfigure(*brp, &cfg, now, &err);
    }
    if (!error) {
        error = ft_bridge_replace_flows(*brp, flows, o->setup ? 3 : 2, 0,
                                        now, NULL, &err);
    }
    if (error) {
        fprintf(stderr, "bench-dpdk-fwd: %s\n", err.reason);
    }
    return error;
}

/* Runs the bridge as the daemon does until 'until' (seconds on
 * CLOCK_MONOTONIC) or, if 'want_flows' is nonzero, until it has that many
 * megaflows.  Returns the packets received. */
static uint64_t
run_until(struct ft_bridge *br, double until, size_t want_flows)
{
    uint64_t n = 0;

    for (unsigned int iter = 0;; iter++) {
        long long int now = ft_time_msec();

        n += ft_bridge_run(br, now);
        if ((iter & 255) == 0) {
            if (now >= ft_bridge_next_wakeup(br)) {
                ft_bridge_periodic(br, now);
            }
            if (now_sec() >= until) {
                break;
            }
        }
        if (want_flows) {
            struct ft_bridge_stats st;

            ft_bridge_get_stats(br, &st);
            if (st.n_megaflows >= want_flows) {
                break;
            }
        }
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

    run_until(br, now_sec() + 1.0, 0);
    memset(&c0, 0, sizeof c0);
    ft_bridge_dump_ports(br, count_port, &c0);
    cpu0 = cpu_sec();
    t0 = now_sec();
    tsc0 = rdtsc();
    n = run_until(br, t0 + o->seconds, 0);
    tsc1 = rdtsc();
    t1 = now_sec();
    cpu1 = cpu_sec();
    memset(&c1, 0, sizeof c1);
    ft_bridge_dump_ports(br, count_port, &c1);
    ft_bridge_get_stats(br, &st);

    hz = (tsc1 - tsc0) / (t1 - t0);
    printf("flows %lu: %.2f Mpps over %.1f s, %.1f TSC cycles/packet "
           "(TSC %.0f MHz), CPU %.0f%% of one core; per CPU second: "
           "%.2f Mpps, %.1f cycles/packet\n",
           o->flows, n / (t1 - t0) / 1e6, t1 - t0,
           (double) (tsc1 - tsc0) / n, hz / 1e6,
           100 * (cpu1 - cpu0) / (t1 - t0), n / (cpu1 - cpu0) / 1e6,
           (cpu1 - cpu0) * hz / n);
    printf("  port 1 rx %" PRIu64 ", port 2 tx %" PRIu64 " (dropped %"
           PRIu64 "), megaflows %zu, upcalls %" PRIu64 "\n",
           c1.rx[1] - c0.rx[1], c1.tx[2] - c0.tx[2],
           c1.tx_dropped[2] - c0.tx_dropped[2], st.n_megaflows,
           st.n_missed);
    if (c1.tx[2] - c0.tx[2] + 1000 < n) {
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
    double t0, t1;

    t0 = now_sec();
    run_until(br, t0 + o->seconds, o->flows);
    t1 = now_sec();
    ft_bridge_get_stats(br, &st);
    printf("setup: %zu megaflows in %.3f s: %.0f megaflows/s "
           "(upcalls %" PRIu64 ", lost %" PRIu64 ", limit hits %" PRIu64
           ")\n", st.n_megaflows, t1 - t0, st.n_megaflows / (t1 - t0),
           st.n_missed, st.n_lost, st.n_flow_limit_hits);
    if (st.n_megaflows < o->flows) {
        fprintf(stderr, "bench-dpdk-fwd: only %zu of %lu megaflows in %.0f "
                "s\n", st.n_megaflows, o->flows, o->seconds);
        return 1;
    }
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
    rc = o.setup ? bench_setup(br, &o) : bench_forward(br, &o);
    ft_bridge_destroy(br);
    unlink(pcap);
    return rc;
}

/*
 * test-vxlan.c - tests of the VXLAN wire format (swpath/vxlan.c) and of
 * the vxlan port options (swpath/tnl-config.c).
 *
 * Encapsulation and decapsulation are checked byte for byte against
 * vectors scapy computes at build time (tests/unit/vxlan-vectors.py, an
 * implementation independent of FlowTier's): ICMP, TCP, a 1400-byte and
 * a minimal UDP frame, ARP, IPv6 and a VLAN-tagged frame, under two sets
 * of outer parameters (DF or not, TOS, TTL, IP id, VNIs up to 2^24 - 1).
 * The path to the vectors is the program's first argument.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swpath/packet.h"
#include "swpath/tnl-config.h"
#include "swpath/vxlan.h"

#define MAX_FRAME 4096

static const char *vectors_path;

/* Decodes 'hex' into 'out' (at most 'max' bytes).  Returns the length. */
static size_t
unhex(const char *hex, uint8_t *out, size_t max)
{
    size_t n = strlen(hex) / 2;

    assert_true(n <= max);
    for (size_t i = 0; i < n; i++) {
        unsigned int b;

        assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
        out[i] = b;
    }
    return n;
}

static uint32_t
ipv4(const char *s)
{
    struct in_addr a;

    assert_int_equal(inet_pton(AF_INET, s, &a), 1);
    return ntohl(a.s_addr);
}

/* Splits 'line' at spaces into at most 'max' fields.  Returns how many. */
static size_t
split(char *line, char *fields[], size_t max)
{
    size_t n = 0;

    for (char *tok = strtok(line, " \n"); tok && n < max;
         tok = strtok(NULL, " \n")) {
        fields[n++] = tok;
    }
    return n;
}

/* Calls 'cb' on each vectors line of type 'type'.  Returns the count. */
static size_t
foreach_vector(const char *type, void (*cb)(char *fields[], size_t n))
{
    static char line[4 * MAX_FRAME + 512];
    FILE *f = fopen(vectors_path, "r");
    size_t count = 0;

    if (!f) {
        fail_msg("cannot open the vectors file %s", vectors_path);
    }
    while (fgets(line, sizeof line, f)) {
        char *fields[16];
        size_t n = split(line, fields, 16);

        if (n && !strcmp(fields[0], type)) {
            cb(fields, n);
            count++;
        }
    }
    fclose(f);
    return count;
}

static void
check_encap(char *v[], size_t n)
{
    static uint8_t inner[MAX_FRAME], want[MAX_FRAME], got[MAX_FRAME];
    struct ft_vxlan_outer o;
    size_t inner_len, want_len;

    assert_int_equal(n, 15);
    memset(&o, 0, sizeof o);
    o.vni = strtoul(v[2], NULL, 10);
    unhex(v[3], o.eth_src.ea, 6);
    unhex(v[4], o.eth_dst.ea, 6);
    o.ip_src = ipv4(v[5]);
    o.ip_dst = ipv4(v[6]);
    o.tos = atoi(v[7]);
    o.ttl = atoi(v[8]);
    o.df = atoi(v[9]);
    o.ip_id = atoi(v[10]);
    o.udp_src = atoi(v[11]);
    o.udp_dst = atoi(v[12]);
    inner_len = unhex(v[13], inner, sizeof inner);
    want_len = unhex(v[14], want, sizeof want);

    memset(got, 0xa5, sizeof got);
    ft_vxlan_build_header(&o, inner_len, got);
    memcpy(got + FT_VXLAN_ENCAP_LEN, inner, inner_len);
    assert_int_equal(FT_VXLAN_ENCAP_LEN + inner_len, want_len);
    if (memcmp(got, want, want_len)) {
        for (size_t i = 0; i < want_len; i++) {
            if (got[i] != want[i]) {
                fail_msg("%s: byte %zu is %02x, scapy says %02x", v[1], i,
                         got[i], want[i]);
            }
        }
    }
}

static void
test_encap_vectors(void **state)
{
    (void) state;
    assert_true(foreach_vector("encap", check_encap) >= 7);
}

static void
check_decap(char *v[], size_t n)
{
    static uint8_t payload[MAX_FRAME], inner[MAX_FRAME];
    size_t len, inner_len;
    uint32_t vni = 0;

    assert_int_equal(n, 5);
    len = unhex(v[3], payload, sizeof payload);
    inner_len = unhex(v[4], inner, sizeof inner);
    assert_int_equal(ft_vxlan_parse_header(payload, len, &vni), 0);
    assert_int_equal(vni, strtoul(v[2], NULL, 10));
    assert_int_equal(len - FT_VXLAN_HEADER_LEN, inner_len);
    assert_memory_equal(payload + FT_VXLAN_HEADER_LEN, inner, inner_len);
}

static void
check_bad(char *v[], size_t n)
{
    static uint8_t payload[MAX_FRAME];
    uint32_t vni = 0;
    size_t len;

    assert_int_equal(n, 3);
    len = unhex(v[2], payload, sizeof payload);
    assert_int_equal(ft_vxlan_parse_header(payload, len, &vni), -EINVAL);
}

static void
test_decap_vectors(void **state)
{
    (void) state;
    assert_true(foreach_vector("decap", check_decap) >= 7);
    assert_int_equal(foreach_vector("bad", check_bad), 2);
}

/* A UDP frame 10.0.0.1:'sport' -> 10.0.0.11:53 in 'pkt'. */
static void
udp_frame(struct ft_packet *pkt, uint8_t *buf, size_t size, uint16_t sport)
{
    uint8_t f[42] = {
        2, 0, 0, 0, 0, 0x0b, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
        0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 11,
        sport >> 8, sport & 0xff, 0, 53, 0, 8, 0, 0,
    };

    ft_packet_init(pkt, buf, size, FT_PACKET_HEADROOM);
    assert_int_equal(ft_packet_set_frame(pkt, f, sizeof f), 0);
}

static void
test_src_port(void **state)
{
    static uint8_t buf[512];
    static uint8_t seen[65536];
    struct ft_packet pkt;
    size_t distinct = 0;
    uint16_t first;

    (void) state;
    udp_frame(&pkt, buf, sizeof buf, 1000);
    first = ft_vxlan_src_port(&pkt);
    udp_frame(&pkt, buf, sizeof buf, 1000);
    assert_int_equal(ft_vxlan_src_port(&pkt), first);
    memset(seen, 0, sizeof seen);
    for (unsigned int sport = 1000; sport < 1256; sport++) {
        uint16_t p;

        udp_frame(&pkt, buf, sizeof buf, sport);
        p = ft_vxlan_src_port(&pkt);
        assert_true(p >= 32768 && p < 61000);
        distinct += !seen[p];
        seen[p] = 1;
    }
    /* 256 flows into 28,232 ports: a good hash leaves few collisions. */
    assert_true(distinct >= 240);
}

/* Parses options "k1", "v1", ..., NULL. */
static int
parse(struct ft_tnl_config *cfg, struct ft_error *err, ...)
{
    struct ft_netdev_option opts[16];
    size_t n = 0;
    va_list args;
    const char *k;

    va_start(args, err);
    while ((k = va_arg(args, const char *)) != NULL) {
        opts[n].key = k;
        opts[n].value = va_arg(args, const char *);
        n++;
    }
    va_end(args);
    ft_error_clear(err);
    return ft_tnl_config_parse("vx0", opts, n, cfg, err);
}

static void
expect_einval(int error)
{
    assert_int_equal(error, -EINVAL);
}

static void
test_config_parse(void **state)
{
    struct ft_tnl_config c;
    struct ft_error err;

    (void) state;
    assert_int_equal(parse(&c, &err, "remote_ip", "172.31.1.2", NULL), 0);
    assert_int_equal(c.remote_ip, 0xac1f0102);
    assert_int_equal(c.dst_port, 4789);
    assert_int_equal(c.ttl, 64);
    assert_true(c.df && !c.key && !c.key_flow && !c.remote_flow);

    assert_int_equal(parse(&c, &err, "remote_ip", "flow", "key", "flow",
                           "dst_port", "8472", "local_ip", "10.1.1.1",
                           "tos", "inherit", "ttl", "9", "df_default",
                           "false", NULL), 0);
    assert_true(c.remote_flow && c.key_flow && c.tos_inherit && !c.df);
    assert_false(c.local_flow);
    assert_int_equal(c.dst_port, 8472);
    assert_int_equal(c.local_ip, 0x0a010101);
    assert_int_equal(c.ttl, 9);

    expect_einval(parse(&c, &err, "remote_ip", "1.2.3.4", "key",
                        "16777216", NULL));
    assert_string_equal(err.reason, "port vx0: options:key '16777216' is "
                        "not a number from 0 to 16777215 or 'flow'");
    expect_einval(parse(&c, &err, "remote_ip", "1.2.3.4",
                        "dst_port", "0", NULL));
    assert_string_equal(err.reason, "port vx0: options:dst_port '0' is not "
                        "a UDP port from 1 to 65535");
    expect_einval(parse(&c, &err, "remote_ip", "1.2.3.4", "ttl",
                        "0", NULL));
    expect_einval(parse(&c, &err, "remote_ip", "1.2.3.4", "tos",
                        "-1", NULL));
    expect_einval(parse(&c, &err, "remote_ip", "fd00::1", NULL));
    assert_string_equal(err.reason, "port vx0: options:remote_ip "
                        "'fd00::1': the VXLAN underlay is IPv4 only (the "
                        "flow key holds IPv4 tunnel addresses)");
    expect_einval(parse(&c, &err, "key", "1", NULL));
    assert_string_equal(err.reason, "port vx0: a vxlan port needs "
                        "options:remote_ip (an IPv4 address or 'flow')");
    expect_einval(parse(&c, &err, "remote_ip", "1.2.3.4",
                        "csum", "true", NULL));
    assert_string_equal(err.reason, "port vx0: unknown option 'csum' for "
                        "type vxlan (known: remote_ip, key, dst_port, "
                        "local_ip, tos, ttl, df_default)");
    expect_einval(parse(&c, &err, "remote_ip", "0.0.0.0", NULL));
}

static void
test_config_rx_score(void **state)
{
    struct ft_tnl_config fixed, any_key, any, local;
    struct ft_error err;
    uint32_t b = 0xac1f0102, a = 0xac1f0101;

    (void) state;
    assert_int_equal(parse(&fixed, &err, "remote_ip", "172.31.1.2", "key",
                           "100", NULL), 0);
    assert_int_equal(parse(&any_key, &err, "remote_ip", "172.31.1.2", "key",
                           "flow", NULL), 0);
    assert_int_equal(parse(&any, &err, "remote_ip", "flow", "key", "flow",
                           NULL), 0);
    assert_int_equal(parse(&local, &err, "remote_ip", "172.31.1.2", "key",
                           "100", "local_ip", "172.31.1.1", NULL), 0);

    assert_int_equal(ft_tnl_config_rx_score(&fixed, b, a, 200), 0);
    assert_int_equal(ft_tnl_config_rx_score(&fixed, a, a, 100), 0);
    assert_int_equal(ft_tnl_config_rx_score(&local, b, b, 100), 0);
    assert_true(ft_tnl_config_rx_score(&any, a, a, 7) > 0);
    /* The most specific port wins. */
    assert_true(ft_tnl_config_rx_score(&local, b, a, 100)
                > ft_tnl_config_rx_score(&fixed, b, a, 100));
    assert_true(ft_tnl_config_rx_score(&fixed, b, a, 100)
                > ft_tnl_config_rx_score(&any_key, b, a, 100));
    assert_true(ft_tnl_config_rx_score(&any_key, b, a, 100)
                > ft_tnl_config_rx_score(&any, b, a, 100));
}

static void
test_config_encap(void **state)
{
    struct ft_tnl_config c;
    struct ft_dpa_tunnel t;
    struct ft_flow flow, wc;
    struct ft_error err;

    (void) state;
    memset(&flow, 0, sizeof flow);
    memset(&wc, 0, sizeof wc);
    flow.dl_type = FT_ETH_TYPE_IP;
    flow.nw_tos = 0xb8;
    flow.nw_ttl = 33;
    assert_int_equal(parse(&c, &err, "remote_ip", "172.31.1.2", "key", "100",
                           "tos", "inherit", NULL), 0);
    assert_int_equal(ft_tnl_config_encap(&c, &flow, &wc, &t, &err), 0);
    assert_int_equal(t.dst, 0xac1f0102);
    assert_int_equal(t.tun_id, 100);
    assert_int_equal(t.tos, 0xb8);
    assert_int_equal(t.ttl, 64);
    assert_int_equal(t.tp_dst, 4789);
    assert_int_equal(t.flags, FT_TNL_F_KEY | FT_TNL_F_DONT_FRAGMENT);
    assert_int_equal(wc.nw_tos, 0xff);
    assert_int_equal(wc.tun_dst, 0);
    assert_int_equal(wc.tun_id, 0);
    assert_int_equal(wc.tun_src, 0);
    assert_int_equal(t.src, 0);

    /* ECN is always inherited (CE as ECT(0)), with or without tos=inherit,
     * and un-wildcarded; a fixed tos keeps its own DSCP. */
    flow.nw_tos = 0xb9;
    assert_int_equal(ft_tnl_config_encap(&c, &flow, NULL, &t, &err), 0);
    assert_int_equal(t.tos, 0xb9);
    flow.nw_tos = 0xbb;
    assert_int_equal(ft_tnl_config_encap(&c, &flow, NULL, &t, &err), 0);
    assert_int_equal(t.tos, 0xba);
    memset(&wc, 0, sizeof wc);
    assert_int_equal(parse(&c, &err, "remote_ip", "172.31.1.2", "tos", "0x20",
                           NULL), 0);
    assert_int_equal(ft_tnl_config_encap(&c, &flow, &wc, &t, &err), 0);
    assert_int_equal(t.tos, 0x22);
    assert_int_equal(wc.nw_tos, 0x03);
    flow.nw_tos = 0x01;
    assert_int_equal(ft_tnl_config_encap(&c, &flow, NULL, &t, &err), 0);
    assert_int_equal(t.tos, 0x21);
    flow.dl_type = FT_ETH_TYPE_ARP;
    memset(&wc, 0, sizeof wc);
    assert_int_equal(ft_tnl_config_encap(&c, &flow, &wc, &t, &err), 0);
    assert_int_equal(t.tos, 0x20);
    assert_int_equal(wc.nw_tos, 0);
    flow.dl_type = FT_ETH_TYPE_IP;
    flow.nw_tos = 0xb8;

    memset(&wc, 0, sizeof wc);
    assert_int_equal(parse(&c, &err, "remote_ip", "flow", "key", "flow",
                           "local_ip", "flow", "df_default", "false",
                           NULL), 0);
    assert_int_equal(ft_tnl_config_encap(&c, &flow, &wc, &t, &err),
                     -EINVAL);
    assert_string_equal(err.reason, "remote_ip=flow and the flow has no "
                        "tun_dst (set it with set_field:IP->tun_dst)");
    flow.tun_dst = 0xc0000201;
    flow.tun_src = 0xc0000202;
    flow.tun_id = 0x12345678;
    assert_int_equal(ft_tnl_config_encap(&c, &flow, &wc, &t, &err), 0);
    assert_int_equal(t.dst, 0xc0000201);
    assert_int_equal(t.src, 0xc0000202);
    assert_int_equal(wc.tun_src, UINT32_MAX);
    assert_int_equal(t.tun_id, 0x345678);
    assert_int_equal(t.flags, FT_TNL_F_KEY);
    assert_int_equal(wc.tun_dst, UINT32_MAX);
    assert_true(wc.tun_id == UINT64_MAX);
}

int
main(int argc, char *argv[])
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encap_vectors),
        cmocka_unit_test(test_decap_vectors),
        cmocka_unit_test(test_src_port),
        cmocka_unit_test(test_config_parse),
        cmocka_unit_test(test_config_rx_score),
        cmocka_unit_test(test_config_encap),
    };

    if (argc != 2) {
        fprintf(stderr, "usage: %s VECTORS (from vxlan-vectors.py)\n",
                argv[0]);
        return 1;
    }
    vectors_path = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}

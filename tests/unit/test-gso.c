/*
 * test-gso.c - unit tests for software segmentation and checksum
 * completion (swpath/gso.c).
 *
 * Builds TCP and UDP super-frames (IPv4 with and without a VLAN tag,
 * IPv6) with a partial checksum, as a sender with TSO leaves them, cuts
 * them with ft_gso_apply() and checks every segment against rules written
 * here: length, IPv4 total length and identifier, IPv6 payload length,
 * TCP sequence numbers and flags, UDP length, and every checksum from
 * scratch (RFC 1071); the segments' payloads put together must be the
 * super-frame's.  Malformed offloads are refused without emitting.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "swpath/gso.h"
#include "swpath/packet.h"

#define FRAME_MAX 65600

static void
put16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static uint16_t
get16(const uint8_t *p)
{
    return (uint16_t) (p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t) get16(p) << 16 | get16(p + 2);
}

static uint32_t
ref_sum(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += (uint32_t) p[i] << 8 | p[i + 1];
    }
    if (len & 1) {
        sum += (uint32_t) p[len - 1] << 8;
    }
    return sum;
}

static uint16_t
ref_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t) sum;
}

/* Pseudo-header sum of the IP header at 'ip' for 'len' L4 bytes. */
static uint32_t
ref_pseudo(const uint8_t *ip, int v6, uint8_t proto, size_t len)
{
    uint32_t sum = v6 ? ref_sum(0, ip + 8, 32) : ref_sum(0, ip + 12, 8);

    return sum + proto + (uint32_t) len;
}

/* A super-frame under test. */
struct sframe {
    uint8_t mem[FRAME_MAX];
    struct ft_packet pkt;
    int v6, vlan, tcp;
    size_t payload;
    uint8_t tcp_flags;
};

/* Builds Ethernet (+ 802.1Q) + IPv4 or IPv6 + TCP (20 bytes, with 12
 * bytes of options when 'tcp_opts') or UDP + 'payload' bytes, with the L4
 * checksum partial, and parses it. */
static void
sframe_build(struct sframe *s, int v6, int vlan, int tcp, int tcp_opts,
             size_t payload, uint8_t tcp_flags)
{
    uint8_t *f = s->mem + FT_PACKET_HEADROOM, *ip, *l4;
    size_t ofs = 12, l4_hlen = tcp ? 20 + (tcp_opts ? 12 : 0) : 8;

    memset(s->mem, 0, sizeof s->mem);
    s->v6 = v6;
    s->vlan = vlan;
    s->tcp = tcp;
    s->payload = payload;
    s->tcp_flags = tcp_flags;
    memcpy(f, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
    if (vlan) {
        put16(f + 12, FT_ETH_TYPE_VLAN);
        put16(f + 14, 100);
        ofs += 4;
    }
    put16(f + ofs, v6 ? FT_ETH_TYPE_IPV6 : FT_ETH_TYPE_IP);
    ip = f + ofs + 2;
    l4 = ip + (v6 ? 40 : 20);
    if (v6) {
        ip[0] = 0x60;
        put16(ip + 4, l4_hlen + payload);
        ip[6] = tcp ? FT_IPPROTO_TCP : FT_IPPROTO_UDP;
        ip[7] = 64;
        ip[8] = 0xfd;
        ip[23] = 1;
        ip[24] = 0xfd;
        ip[39] = 2;
    } else {
        ip[0] = 0x45;
        put16(ip + 2, 20 + l4_hlen + payload);
        put16(ip + 4, 0xfffe);      /* Wraps across the segments. */
        put16(ip + 6, 0x4000);
        ip[8] = 64;
        ip[9] = tcp ? FT_IPPROTO_TCP : FT_IPPROTO_UDP;
        memcpy(ip + 12, "\x0a\0\0\x01\x0a\0\0\x02", 8);
        put16(ip + 10, ~ref_fold(ref_sum(0, ip, 20)));
    }
    if (tcp) {
        put16(l4, 40000);
        put16(l4 + 2, 5001);
        memcpy(l4 + 4, "\xff\xff\xf0\x00", 4);  /* Wraps too. */
        l4[12] = (uint8_t) (l4_hlen / 4) << 4;
        l4[13] = tcp_flags;
        put16(l4 + 14, 512);
        if (tcp_opts) {
            memcpy(l4 + 20, "\x01\x01\x08\x0a\x11\x22\x33\x44\x55\x66\x77"
                   "\x88", 12);
        }
    } else {
        put16(l4, 5353);
        put16(l4 + 2, 4789);
        put16(l4 + 4, l4_hlen + payload);
    }
    for (size_t i = 0; i < payload; i++) {
        l4[l4_hlen + i] = (uint8_t) ((i * 7 + 3) % 251);
    }
    put16(l4 + (tcp ? 16 : 6),
          ref_fold(ref_pseudo(ip, v6, tcp ? FT_IPPROTO_TCP : FT_IPPROTO_UDP,
                              l4_hlen + payload)));

    ft_packet_init(&s->pkt, s->mem, sizeof s->mem, FT_PACKET_HEADROOM);
    s->pkt.size = (size_t) (l4 - f) + l4_hlen + payload;
    ft_packet_parse(&s->pkt);
    assert_true(ft_packet_has_l4(&s->pkt));
    s->pkt.in_port = 7;
    s->pkt.offload.flags = FT_PACKET_OFL_CSUM;
    s->pkt.offload.csum_offset = tcp ? 16 : 6;
}

/* What the segments told the checker. */
struct collect {
    const struct sframe *s;
    int n;
    size_t max_size;
    uint8_t payload[FRAME_MAX];
    size_t bytes;
    uint32_t first_seq;
    int fail_at;                /* Segment whose emit fails, or -1. */
};

static int
collect_emit(void *aux, const struct ft_packet *seg)
{
    struct collect *c = aux;
    const struct sframe *s = c->s;
    const uint8_t *f = ft_packet_data(seg), *ip, *l4;
    size_t ip_len, l4_len, hlen;
    uint8_t proto = s->tcp ? FT_IPPROTO_TCP : FT_IPPROTO_UDP;

    assert_int_equal(seg->offload.flags, 0);
    assert_int_equal(seg->in_port, 7);
    assert_true(ft_packet_has_l4(seg));
    assert_int_equal(seg->l3_ofs, s->pkt.l3_ofs);
    ip = f + seg->l3_ofs;
    l4 = f + seg->l4_ofs;
    l4_len = seg->l4_end - seg->l4_ofs;
    if (s->v6) {
        ip_len = get16(ip + 4) + 40u;
    } else {
        ip_len = get16(ip + 2);
        assert_int_equal(ref_fold(ref_sum(0, ip, 20)), 0xffff);
        assert_int_equal(get16(ip + 4), (uint16_t) (0xfffe + c->n));
    }
    assert_int_equal(seg->l3_ofs + ip_len, seg->size);
    assert_int_equal(ref_fold(ref_sum(ref_pseudo(ip, s->v6, proto, l4_len),
                                      l4, l4_len)), 0xffff);
    if (s->tcp) {
        hlen = (l4[12] >> 4) * 4u;
        assert_int_equal(get32(l4 + 4), (uint32_t) (0xfffff000u + c->bytes));
        if (c->n == 0) {
            assert_int_equal(l4[13] & 0x80, s->tcp_flags & 0x80);
        } else {
            assert_int_equal(l4[13] & 0x80, 0);
        }
        c->first_seq = c->n ? c->first_seq : get32(l4 + 4);
    } else {
        hlen = 8;
        assert_int_equal(get16(l4 + 4), l4_len);
    }
    memcpy(c->payload + c->bytes, l4 + hlen, l4_len - hlen);
    c->bytes += l4_len - hlen;
    c->max_size = seg->size > c->max_size ? seg->size : c->max_size;
    /* Flags that belong to the last segment only. */
    if (s->tcp && c->bytes < s->payload) {
        assert_int_equal(l4[13] & 0x09, 0);
    } else if (s->tcp) {
        assert_int_equal(l4[13] & 0x09, s->tcp_flags & 0x09);
    }
    return c->n++ == c->fail_at ? -ENOBUFS : 0;
}

static void
check_segments(int v6, int vlan, int tcp, int opts, size_t payload,
               uint16_t mss)
{
    static struct sframe s;
    static struct collect c;
    static uint8_t buf[FT_GSO_BUF_SIZE];
    const uint8_t *orig;
    size_t hdr_len;
    int n, expect;

    sframe_build(&s, v6, vlan, tcp, opts, payload, 0x80 | 0x18 | 0x01);
    s.pkt.offload.gso_type = tcp ? (v6 ? FT_PACKET_GSO_TCPV6
                                    : FT_PACKET_GSO_TCPV4)
                                 : FT_PACKET_GSO_UDP_L4;
    s.pkt.offload.gso_size = mss;
    memset(&c, 0, sizeof c);
    c.s = &s;
    c.fail_at = -1;
    n = ft_gso_apply(&s.pkt, buf, sizeof buf, collect_emit, &c);
    expect = payload ? (int) ((payload + mss - 1) / mss) : 1;
    assert_int_equal(n, expect);
    assert_int_equal(c.n, expect);
    assert_int_equal(c.bytes, payload);
    hdr_len = s.pkt.l4_ofs + (tcp ? 20 + (opts ? 12 : 0) : 8);
    assert_true(c.max_size <= hdr_len + mss);
    orig = ft_packet_data(&s.pkt) + hdr_len;
    assert_memory_equal(c.payload, orig, payload);
}

static void
test_tcpv4(void **state)
{
    (void) state;
    check_segments(0, 0, 1, 0, 20000, 1448);
    check_segments(0, 0, 1, 1, 64000, 1436);
    check_segments(0, 1, 1, 0, 3000, 1448);     /* VLAN-tagged. */
    check_segments(0, 0, 1, 0, 1448, 1448);     /* Exactly one segment. */
    check_segments(0, 0, 1, 0, 100, 1448);      /* Below one segment. */
    check_segments(0, 0, 1, 0, 1449, 1448);     /* One byte over. */
}

static void
test_tcpv6(void **state)
{
    (void) state;
    check_segments(1, 0, 1, 0, 30000, 1428);
    check_segments(1, 1, 1, 1, 5000, 1000);
}

static void
test_udp_l4(void **state)
{
    (void) state;
    check_segments(0, 0, 0, 0, 8000, 1472);
    check_segments(1, 0, 0, 0, 4000, 1000);
}

/* A partial checksum alone: one frame, checksum completed, bytes kept. */
static void
test_csum_only(void **state)
{
    static struct sframe s;
    static struct collect c;
    static uint8_t buf[FT_GSO_BUF_SIZE];

    (void) state;
    for (int v6 = 0; v6 < 2; v6++) {
        for (int tcp = 0; tcp < 2; tcp++) {
            sframe_build(&s, v6, !v6, tcp, 0, 999, 0x18);
            memset(&c, 0, sizeof c);
            c.s = &s;
            c.fail_at = -1;
            assert_int_equal(ft_gso_apply(&s.pkt, buf, sizeof buf,
                                          collect_emit, &c), 1);
            assert_int_equal(c.bytes, 999);
            /* The original is untouched: still partial. */
            assert_int_equal(s.pkt.offload.flags, FT_PACKET_OFL_CSUM);
        }
    }
}

static int
never_emit(void *aux, const struct ft_packet *seg)
{
    (void) aux;
    (void) seg;
    fail();
    return 0;
}

static void
test_refusals(void **state)
{
    static struct sframe s;
    static uint8_t buf[FT_GSO_BUF_SIZE];

    (void) state;
    /* TCPv4 GSO on an IPv6 frame, and on UDP. */
    sframe_build(&s, 1, 0, 1, 0, 5000, 0x10);
    s.pkt.offload.gso_type = FT_PACKET_GSO_TCPV4;
    s.pkt.offload.gso_size = 1000;
    assert_int_equal(ft_gso_apply(&s.pkt, buf, sizeof buf, never_emit,
                                  NULL), -EINVAL);
    sframe_build(&s, 0, 0, 0, 0, 5000, 0);
    s.pkt.offload.gso_type = FT_PACKET_GSO_TCPV4;
    s.pkt.offload.gso_size = 1000;
    assert_int_equal(ft_gso_apply(&s.pkt, buf, sizeof buf, never_emit,
                                  NULL), -EINVAL);
    /* Segment size 0. */
    sframe_build(&s, 0, 0, 1, 0, 5000, 0x10);
    s.pkt.offload.gso_type = FT_PACKET_GSO_TCPV4;
    s.pkt.offload.gso_size = 0;
    assert_int_equal(ft_gso_apply(&s.pkt, buf, sizeof buf, never_emit,
                                  NULL), -EINVAL);
    /* UDP fragmentation offload (virtio's GSO_UDP, 3): not done here. */
    s.pkt.offload.gso_type = 3;
    s.pkt.offload.gso_size = 1000;
    assert_int_equal(ft_gso_apply(&s.pkt, buf, sizeof buf, never_emit,
                                  NULL), -EOPNOTSUPP);
    /* A TCP data offset past the datagram. */
    s.pkt.offload.gso_type = FT_PACKET_GSO_TCPV4;
    ft_packet_data(&s.pkt)[s.pkt.l4_ofs + 12] = 15 << 4;
    s.pkt.size = s.pkt.l4_ofs + 40;
    put16(ft_packet_data(&s.pkt) + s.pkt.l3_ofs + 2, 60);
    ft_packet_parse(&s.pkt);
    assert_int_equal(ft_gso_apply(&s.pkt, buf, sizeof buf, never_emit,
                                  NULL), -EINVAL);
    /* A buffer too small for one segment. */
    sframe_build(&s, 0, 0, 1, 0, 5000, 0x10);
    s.pkt.offload.gso_type = FT_PACKET_GSO_TCPV4;
    s.pkt.offload.gso_size = 1448;
    assert_int_equal(ft_gso_apply(&s.pkt, buf, 1000, never_emit, NULL),
                     -ENOSPC);
}

/* An emit that fails for one segment: the others still go, and the error
 * is reported. */
static void
test_emit_error(void **state)
{
    static struct sframe s;
    static struct collect c;
    static uint8_t buf[FT_GSO_BUF_SIZE];

    (void) state;
    sframe_build(&s, 0, 0, 1, 0, 10000, 0x18);
    s.pkt.offload.gso_type = FT_PACKET_GSO_TCPV4;
    s.pkt.offload.gso_size = 1000;
    memset(&c, 0, sizeof c);
    c.s = &s;
    c.fail_at = 3;
    assert_int_equal(ft_gso_apply(&s.pkt, buf, sizeof buf, collect_emit,
                                  &c), -ENOBUFS);
    assert_int_equal(c.n, 10);
    assert_int_equal(c.bytes, 10000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcpv4),
        cmocka_unit_test(test_tcpv6),
        cmocka_unit_test(test_udp_l4),
        cmocka_unit_test(test_csum_only),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_emit_error),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test-flow-extract.c - unit tests for the packet parser (swpath).
 *
 * Each case builds one frame byte by byte and states, with literal values,
 * the complete key the parser must produce.  Besides the full frame, every
 * case is parsed at every truncation length 0..len, each cut copied into a
 * heap buffer of exactly that size so that AddressSanitizer catches any read
 * past the end; the result must be exactly what the documented truncation
 * rules predict.  IP cases are also cut with their IP length field rewritten
 * to match the cut, which drives the L4 and ND option bounds checks.  Last,
 * mutated copies of the cases and random byte strings are parsed and checked
 * against invariants that hold for any input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swpath/flow-extract.h"

#define FRAME_MAX 256
#define IN_PORT   7

#define MAC(...) ((struct ft_eth_addr) { { __VA_ARGS__ } })

#define ETH_TYPE_MPLS 0x8847
#define ETH_TYPE_RARP 0x8035

/* A test frame, the key it must parse to, and where each layer ends. */
struct tframe {
    uint8_t buf[FRAME_MAX];
    size_t len;

    int n_tags;                 /* VLAN tags written. */
    uint16_t tag_tpid[3];
    bool snap;                  /* 802.3 with LLC/SNAP. */
    size_t l2_end;              /* 'dl_type' final from this length on. */
    size_t l3_end;              /* L3 and above appear at this length
                                 * (0: the key has nothing past L2). */

    /* IP cases, for cuts with a rewritten length field (ip_ofs 0: none). */
    size_t ip_ofs;
    int ip_version;
    size_t l3_hdr_end;          /* End of the IPv4 header / IPv6 chain. */
    size_t l4_end;              /* End of the L4 header (0: no L4). */
    size_t sll_end;             /* End of the ND SLL option (0: none). */
    size_t tll_end;             /* End of the ND TLL option (0: none). */
    size_t nd_dup_end;          /* End of a repeated ND LLA option. */

    struct ft_flow want;
};

/* Frame construction. */

static void
put(struct tframe *f, const void *p, size_t n)
{
    assert_true(f->len + n <= FRAME_MAX);
    memcpy(f->buf + f->len, p, n);
    f->len += n;
}

static void
put8(struct tframe *f, uint8_t v)
{
    put(f, &v, 1);
}

static void
put16(struct tframe *f, uint16_t v)
{
    put8(f, v >> 8);
    put8(f, v & 0xff);
}

static void
put32(struct tframe *f, uint32_t v)
{
    put16(f, v >> 16);
    put16(f, v & 0xffff);
}

static void
put_pattern(struct tframe *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        put8(f, (uint8_t) (i * 7 + 3));
    }
}

static void
set16(uint8_t *buf, size_t ofs, uint16_t v)
{
    buf[ofs] = v >> 8;
    buf[ofs + 1] = v & 0xff;
}

static struct ft_in6_addr
in6(const char *s)
{
    struct ft_in6_addr a;

    assert_int_equal(inet_pton(AF_INET6, s, a.s6), 1);
    return a;
}

static void
tf_eth(struct tframe *f, struct ft_eth_addr dst, struct ft_eth_addr src)
{
    memset(f, 0, sizeof *f);
    put(f, dst.ea, FT_ETH_ALEN);
    put(f, src.ea, FT_ETH_ALEN);
}

static void
tf_vlan(struct tframe *f, uint16_t tpid, uint16_t tci)
{
    assert_true(f->n_tags < 3);
    f->tag_tpid[f->n_tags++] = tpid;
    put16(f, tpid);
    put16(f, tci);
}

static void
tf_type(struct tframe *f, uint16_t type)
{
    put16(f, type);
    f->l2_end = f->len;
}

/* 802.3 length, LLC and SNAP header with OUI 'oui' and type 'type'. */
static void
tf_snap(struct tframe *f, uint32_t oui, uint16_t type)
{
    put16(f, 0x0040);
    put8(f, 0xaa);
    put8(f, 0xaa);
    put8(f, 0x03);
    put8(f, oui >> 16);
    put16(f, oui & 0xffff);
    put16(f, type);
    f->snap = true;
    f->l2_end = f->len;
}

static void
tf_ipv4(struct tframe *f, uint8_t tos, uint16_t frag_off, uint8_t ttl,
        uint8_t proto, uint32_t src, uint32_t dst, size_t opt_len)
{
    assert_true(opt_len % 4 == 0 && opt_len <= 40);
    f->ip_ofs = f->len;
    f->ip_version = 4;
    put8(f, 0x40 | (5 + opt_len / 4));
    put8(f, tos);
    put16(f, 0);                /* Total length, set by tf_ip_end(). */
    put16(f, 0x1234);
    put16(f, frag_off);
    put8(f, ttl);
    put8(f, proto);
    put16(f, 0);
    put32(f, src);
    put32(f, dst);
    if (opt_len) {
        /* Router alert, then NOPs, then end of options. */
        put32(f, 0x94040000);
        for (size_t i = 4; i < opt_len - 1; i++) {
            put8(f, 1);
        }
        if (opt_len > 4) {
            put8(f, 0);
        }
    }
    f->l3_hdr_end = f->len;
}

static void
tf_ipv6(struct tframe *f, uint8_t tc, uint32_t label, uint8_t nxt,
        uint8_t hlim, const char *src, const char *dst)
{
    f->ip_ofs = f->len;
    f->ip_version = 6;
    put32(f, (6u << 28) | ((uint32_t) tc << 20) | label);
    put16(f, 0);                /* Payload length, set by tf_ip_end(). */
    put8(f, nxt);
    put8(f, hlim);
    put(f, in6(src).s6, 16);
    put(f, in6(dst).s6, 16);
    f->l3_hdr_end = f->len;
}

/* Hop-by-hop, routing or destination options header of 'hlen' bytes. */
static void
tf_ipv6_opts(struct tframe *f, uint8_t nxt, size_t hlen)
{
    assert_true(hlen % 8 == 0 && hlen >= 8);
    put8(f, nxt);
    put8(f, hlen / 8 - 1);
    put8(f, 1);                 /* PadN over the rest. */
    put8(f, hlen - 4);
    for (size_t i = 4; i < hlen; i++) {
        put8(f, 0);
    }
}

static void
tf_ipv6_ah(struct tframe *f, uint8_t nxt, size_t hlen)
{
    assert_true(hlen % 4 == 0 && hlen >= 12);
    put8(f, nxt);
    put8(f, hlen / 4 - 2);
    put16(f, 0);
    put32(f, 0xdeadbeef);       /* SPI. */
    put32(f, 1);                /* Sequence number. */
    for (size_t i = 12; i < hlen; i++) {
        put8(f, 0x5a);          /* ICV. */
    }
}

static void
tf_ipv6_frag(struct tframe *f, uint8_t nxt, uint16_t offset, bool more)
{
    put8(f, nxt);
    put8(f, 0);
    put16(f, (uint16_t) (offset << 3) | more);
    put32(f, 0x01020304);
}

static void
tf_l3_hdr_done(struct tframe *f)
{
    f->l3_hdr_end = f->len;
}

/* Sets the IP length field from the bytes written so far. */
static void
tf_ip_end(struct tframe *f)
{
    size_t n = f->len - f->ip_ofs;

    if (f->ip_version == 4) {
        set16(f->buf, f->ip_ofs + 2, n);
    } else {
        set16(f->buf, f->ip_ofs + 4, n - 40);
    }
    f->l3_end = f->len;
}

static void
tf_tcp(struct tframe *f, uint16_t sport, uint16_t dport, uint16_t flags,
       size_t opt_len)
{
    assert_true(opt_len % 4 == 0 && opt_len <= 40);
    put16(f, sport);
    put16(f, dport);
    put32(f, 0x11223344);
    put32(f, 0x55667788);
    put16(f, (uint16_t) ((5 + opt_len / 4) << 12) | flags);
    put16(f, 65535);
    put16(f, 0);
    put16(f, 0);
    if (opt_len) {
        put32(f, 0x020405b4);   /* MSS 1460. */
        for (size_t i = 4; i < opt_len; i++) {
            put8(f, 1);
        }
    }
    f->l4_end = f->len;
}

static void
tf_udp(struct tframe *f, uint16_t sport, uint16_t dport, size_t payload)
{
    put16(f, sport);
    put16(f, dport);
    put16(f, 8 + payload);
    put16(f, 0);
    f->l4_end = f->len;
    put_pattern(f, payload);
}

static void
tf_sctp(struct tframe *f, uint16_t sport, uint16_t dport)
{
    put16(f, sport);
    put16(f, dport);
    put32(f, 0xcafef00d);
    put32(f, 0);
    f->l4_end = f->len;
}

static void
tf_icmp(struct tframe *f, uint8_t type, uint8_t code)
{
    put8(f, type);
    put8(f, code);
    put16(f, 0);
    put32(f, 0x00010002);
    f->l4_end = f->len;
}

static void
tf_nd_lla(struct tframe *f, uint8_t type, struct ft_eth_addr ea)
{
    size_t *end = type == 1 ? &f->sll_end : &f->tll_end;

    put8(f, type);
    put8(f, 1);
    put(f, ea.ea, FT_ETH_ALEN);
    if (*end && !f->nd_dup_end) {
        f->nd_dup_end = f->len;
    } else if (!*end) {
        *end = f->len;
    }
}

/* The cases: each builds a frame and fills in the key it must give. */

static void
case_ipv4_tcp(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x0800);
    tf_ipv4(f, 0xb9, 0x4000, 64, 6, 0x0a000001, 0xc0a80102, 0);
    tf_tcp(f, 49152, 80, FT_TCP_SYN | FT_TCP_ACK, 0);
    put_pattern(f, 10);
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0800;
    w->nw_src = 0x0a000001;
    w->nw_dst = 0xc0a80102;
    w->nw_proto = 6;
    w->nw_tos = 0xb9;
    w->nw_ttl = 64;
    w->tp_src = 49152;
    w->tp_dst = 80;
    w->tcp_flags = 0x012;
}

/* Every flag bit, including NS and the three reserved bits, and TCP
 * options. */
static void
case_ipv4_tcp_flags(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x0800);
    tf_ipv4(f, 0x00, 0x0000, 1, 6, 0x01020304, 0x05060708, 0);
    tf_tcp(f, 1, 65535, 0x0fff, 12);
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0800;
    w->nw_src = 0x01020304;
    w->nw_dst = 0x05060708;
    w->nw_proto = 6;
    w->nw_ttl = 1;
    w->tp_src = 1;
    w->tp_dst = 65535;
    w->tcp_flags = 0x0fff;
}

static void
case_ipv4_tcp_ns(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x0800);
    tf_ipv4(f, 0x02, 0x0000, 128, 6, 0x0a0a0a0a, 0x0b0b0b0b, 0);
    tf_tcp(f, 443, 50000, FT_TCP_NS | FT_TCP_CWR | FT_TCP_ECE | FT_TCP_FIN,
           0);
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0800;
    w->nw_src = 0x0a0a0a0a;
    w->nw_dst = 0x0b0b0b0b;
    w->nw_proto = 6;
    w->nw_tos = 0x02;
    w->nw_ttl = 128;
    w->tp_src = 443;
    w->tp_dst = 50000;
    w->tcp_flags = 0x1c1;
}

/* 12 bytes of IPv4 options before UDP, Ethernet padding after. */
static void
case_ipv4_options_udp(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
           MAC(0x00, 0x00, 0x5e, 0x00, 0x01, 0x01));
    tf_type(f, 0x0800);
    tf_ipv4(f, 0x10, 0x0000, 255, 17, 0xc0000201, 0xe0000016, 12);
    tf_udp(f, 68, 67, 2);
    tf_ip_end(f);
    while (f->len < 60) {
        put8(f, 0);
    }

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    w->dl_src = MAC(0x00, 0x00, 0x5e, 0x00, 0x01, 0x01);
    w->dl_type = 0x0800;
    w->nw_src = 0xc0000201;
    w->nw_dst = 0xe0000016;
    w->nw_proto = 17;
    w->nw_tos = 0x10;
    w->nw_ttl = 255;
    w->tp_src = 68;
    w->tp_dst = 67;
}

static void
case_ipv4_sctp(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x0800);
    tf_ipv4(f, 0x00, 0x4000, 64, 132, 0xac100001, 0xac100002, 0);
    tf_sctp(f, 2905, 36412);
    put_pattern(f, 16);
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0800;
    w->nw_src = 0xac100001;
    w->nw_dst = 0xac100002;
    w->nw_proto = 132;
    w->nw_ttl = 64;
    w->tp_src = 2905;
    w->tp_dst = 36412;
}

/* First fragment (MF, offset 0): a fragment, with L4. */
static void
case_ipv4_frag_first(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x0800);
    tf_ipv4(f, 0x00, 0x2000, 64, 17, 0x0a000001, 0x0a000002, 0);
    tf_udp(f, 5353, 5353, 24);
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0800;
    w->nw_src = 0x0a000001;
    w->nw_dst = 0x0a000002;
    w->nw_proto = 17;
    w->nw_ttl = 64;
    w->nw_frag = FT_FRAG_ANY;
    w->tp_src = 5353;
    w->tp_dst = 5353;
}

/* Later fragment (offset 185, MF): payload looks like UDP but is not
 * parsed. */
static void
case_ipv4_frag_later(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x0800);
    tf_ipv4(f, 0x00, 0x2000 | 185, 64, 17, 0x0a000001, 0x0a000002, 0);
    tf_udp(f, 5353, 5353, 24);
    f->l4_end = 0;
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0800;
    w->nw_src = 0x0a000001;
    w->nw_dst = 0x0a000002;
    w->nw_proto = 17;
    w->nw_ttl = 64;
    w->nw_frag = FT_FRAG_ANY | FT_FRAG_LATER;
}

/* Last fragment (offset set, MF clear, DF set) is a later fragment. */
static void
case_ipv4_frag_last(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x0800);
    tf_ipv4(f, 0x00, 0x4000 | 1, 64, 6, 0x0a000001, 0x0a000002, 0);
    tf_tcp(f, 80, 1024, FT_TCP_ACK, 0);
    f->l4_end = 0;
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0800;
    w->nw_src = 0x0a000001;
    w->nw_dst = 0x0a000002;
    w->nw_proto = 6;
    w->nw_ttl = 64;
    w->nw_frag = FT_FRAG_ANY | FT_FRAG_LATER;
}

/* 802.1Q tag, PCP 5, VID 100, then IPv4 ICMP echo request. */
static void
case_vlan_icmp(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_vlan(f, 0x8100, (5 << 13) | 100);
    tf_type(f, 0x0800);
    tf_ipv4(f, 0xc0, 0x0000, 63, 1, 0x08080808, 0x0a000001, 0);
    tf_icmp(f, 8, 0);
    put_pattern(f, 32);
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0800;
    w->vlans[0].tpid = 0x8100;
    w->vlans[0].tci = 0xb064;
    w->nw_src = 0x08080808;
    w->nw_dst = 0x0a000001;
    w->nw_proto = 1;
    w->nw_tos = 0xc0;
    w->nw_ttl = 63;
    w->tp_src = 8;
    w->tp_dst = 0;
}

/* 802.1ad outer tag (PCP 3, VID 10) + 802.1Q inner tag (VID 20), IPv6
 * TCP. */
static void
case_qinq_ipv6_tcp(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x33, 0x33, 0x00, 0x00, 0x00, 0x01),
           MAC(0x02, 0x00, 0x00, 0x00, 0x00, 0x02));
    tf_vlan(f, 0x88a8, (3 << 13) | 10);
    tf_vlan(f, 0x8100, 20);
    tf_type(f, 0x86dd);
    tf_ipv6(f, 0x2e, 0xabcde, 6, 64, "2001:db8::1", "2001:db8::2");
    tf_tcp(f, 22, 60000, FT_TCP_PSH | FT_TCP_ACK, 0);
    put_pattern(f, 5);
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x33, 0x33, 0x00, 0x00, 0x00, 0x01);
    w->dl_src = MAC(0x02, 0x00, 0x00, 0x00, 0x00, 0x02);
    w->dl_type = 0x86dd;
    w->vlans[0].tpid = 0x88a8;
    w->vlans[0].tci = 0x700a;
    w->vlans[1].tpid = 0x8100;
    w->vlans[1].tci = 0x1014;
    w->ipv6_src = in6("2001:db8::1");
    w->ipv6_dst = in6("2001:db8::2");
    w->ipv6_label = 0xabcde;
    w->nw_proto = 6;
    w->nw_tos = 0x2e;
    w->nw_ttl = 64;
    w->tp_src = 22;
    w->tp_dst = 60000;
    w->tcp_flags = 0x018;
}

/* Two 0x8100 tags, then ARP reply. */
static void
case_double_8100_arp(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_vlan(f, 0x8100, 0x0fff);
    tf_vlan(f, 0x8100, (7 << 13) | 1);
    tf_type(f, 0x0806);
    put16(f, 1);
    put16(f, 0x0800);
    put8(f, 6);
    put8(f, 4);
    put16(f, 2);
    put(f, MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee).ea, 6);
    put32(f, 0x0a000002);
    put(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55).ea, 6);
    put32(f, 0x0a000001);
    f->l3_end = f->len;

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0806;
    w->vlans[0].tpid = 0x8100;
    w->vlans[0].tci = 0x1fff;
    w->vlans[1].tpid = 0x8100;
    w->vlans[1].tci = 0xf001;
    w->nw_proto = 2;
    w->nw_src = 0x0a000002;
    w->nw_dst = 0x0a000001;
    w->arp_sha = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->arp_tha = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
}

/* Three tags: only two are parsed, 'dl_type' is the third TPID. */
static void
case_triple_tag(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_vlan(f, 0x88a8, 1);
    tf_vlan(f, 0x8100, 2);
    tf_vlan(f, 0x8100, 3);
    tf_type(f, 0x0800);
    tf_ipv4(f, 0x00, 0x0000, 64, 17, 0x0a000001, 0x0a000002, 0);
    tf_udp(f, 1, 2, 0);
    tf_ip_end(f);
    f->ip_ofs = 0;
    f->l3_end = 0;

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x8100;
    w->vlans[0].tpid = 0x88a8;
    w->vlans[0].tci = 0x1001;
    w->vlans[1].tpid = 0x8100;
    w->vlans[1].tci = 0x1002;
}

static void
case_arp_request(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x0806);
    put16(f, 1);
    put16(f, 0x0800);
    put8(f, 6);
    put8(f, 4);
    put16(f, 1);
    put(f, MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee).ea, 6);
    put32(f, 0xc0a80001);
    put(f, MAC(0, 0, 0, 0, 0, 0).ea, 6);
    put32(f, 0xc0a800fe);
    f->l3_end = f->len;
    while (f->len < 60) {
        put8(f, 0);
    }

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0806;
    w->nw_proto = 1;
    w->nw_src = 0xc0a80001;
    w->nw_dst = 0xc0a800fe;
    w->arp_sha = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
}

/* RARP, and an opcode that does not fit 8 bits (recorded as 0). */
static void
case_rarp_big_op(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, ETH_TYPE_RARP);
    put16(f, 1);
    put16(f, 0x0800);
    put8(f, 6);
    put8(f, 4);
    put16(f, 0x0103);
    put(f, MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee).ea, 6);
    put32(f, 0x01010101);
    put(f, MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xef).ea, 6);
    put32(f, 0x02020202);
    f->l3_end = f->len;

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = ETH_TYPE_RARP;
    w->nw_proto = 0;
    w->nw_src = 0x01010101;
    w->nw_dst = 0x02020202;
    w->arp_sha = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->arp_tha = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xef);
}

/* ARP over a non-Ethernet hardware type: no L3 fields. */
static void
case_arp_not_ethernet(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x0806);
    put16(f, 6);
    put16(f, 0x0800);
    put8(f, 6);
    put8(f, 4);
    put16(f, 1);
    put_pattern(f, 20);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0806;
}

/* 802.3 + LLC/SNAP carrying IPv4 UDP. */
static void
case_snap_ipv4_udp(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_snap(f, 0x000000, 0x0800);
    tf_ipv4(f, 0x04, 0x0000, 9, 17, 0x7f000001, 0x7f000002, 4);
    tf_udp(f, 4789, 4790, 3);
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0800;
    w->nw_src = 0x7f000001;
    w->nw_dst = 0x7f000002;
    w->nw_proto = 17;
    w->nw_tos = 0x04;
    w->nw_ttl = 9;
    w->tp_src = 4789;
    w->tp_dst = 4790;
}

/* 802.1Q tag, then 802.3 + LLC/SNAP carrying ARP. */
static void
case_vlan_snap_arp(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_vlan(f, 0x8100, 42);
    tf_snap(f, 0x000000, 0x0806);
    put16(f, 1);
    put16(f, 0x0800);
    put8(f, 6);
    put8(f, 4);
    put16(f, 1);
    put(f, MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee).ea, 6);
    put32(f, 0x0a00000a);
    put(f, MAC(0, 0, 0, 0, 0, 0).ea, 6);
    put32(f, 0x0a00000b);
    f->l3_end = f->len;

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0806;
    w->vlans[0].tpid = 0x8100;
    w->vlans[0].tci = 0x102a;
    w->nw_proto = 1;
    w->nw_src = 0x0a00000a;
    w->nw_dst = 0x0a00000b;
    w->arp_sha = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
}

/* 802.3 with SNAP but a vendor OUI: no ethertype. */
static void
case_snap_vendor_oui(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_snap(f, 0x00000c, 0x2000);
    f->snap = false;
    put_pattern(f, 30);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = FT_ETH_TYPE_NONE;
}

/* 802.3 with plain LLC (spanning tree BPDU). */
static void
case_llc_stp(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x01, 0x80, 0xc2, 0x00, 0x00, 0x00),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 38);
    put8(f, 0x42);
    put8(f, 0x42);
    put8(f, 0x03);
    put_pattern(f, 35);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x01, 0x80, 0xc2, 0x00, 0x00, 0x00);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = FT_ETH_TYPE_NONE;
}

/* An ethertype that is not parsed further. */
static void
case_mpls(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, ETH_TYPE_MPLS);
    put32(f, (100 << 12) | 0x100 | 64);
    put8(f, 0x45);
    put_pattern(f, 30);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = ETH_TYPE_MPLS;
}

/* IPv4 header claiming IHL 4: invalid, no L3. */
static void
case_ipv4_bad_ihl(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x0800);
    tf_ipv4(f, 0x00, 0x0000, 64, 17, 0x0a000001, 0x0a000002, 0);
    tf_udp(f, 1, 2, 4);
    tf_ip_end(f);
    f->buf[f->ip_ofs] = 0x44;
    f->ip_ofs = 0;
    f->l3_end = 0;

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0800;
}

/* IPv4 total length beyond the frame: no L3. */
static void
case_ipv4_long_total(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x0800);
    tf_ipv4(f, 0x00, 0x0000, 64, 17, 0x0a000001, 0x0a000002, 0);
    tf_udp(f, 1, 2, 4);
    tf_ip_end(f);
    set16(f->buf, f->ip_ofs + 2, f->len - f->ip_ofs + 1);
    f->ip_ofs = 0;
    f->l3_end = 0;

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0800;
}

/* IPv4 total length smaller than its header: no L3. */
static void
case_ipv4_short_total(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x0800);
    tf_ipv4(f, 0x00, 0x0000, 64, 17, 0x0a000001, 0x0a000002, 8);
    tf_udp(f, 1, 2, 4);
    tf_ip_end(f);
    set16(f->buf, f->ip_ofs + 2, 24);
    f->ip_ofs = 0;
    f->l3_end = 0;

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0800;
}

/* Version 5 in an IPv4 ethertype: no L3. */
static void
case_ipv4_bad_version(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x0800);
    tf_ipv4(f, 0x00, 0x0000, 64, 17, 0x0a000001, 0x0a000002, 0);
    tf_udp(f, 1, 2, 4);
    tf_ip_end(f);
    f->buf[f->ip_ofs] = 0x55;
    f->ip_ofs = 0;
    f->l3_end = 0;

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0800;
}

/* The IP datagram ends inside the TCP header (the rest is padding): L3
 * kept, no L4. */
static void
case_ipv4_tcp_cut_by_total(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x0800);
    tf_ipv4(f, 0x00, 0x0000, 64, 6, 0x0a000001, 0x0a000002, 0);
    f->len += 12;
    tf_ip_end(f);
    f->len -= 12;
    tf_tcp(f, 1000, 2000, FT_TCP_SYN, 0);
    f->l4_end = 0;

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0800;
    w->nw_src = 0x0a000001;
    w->nw_dst = 0x0a000002;
    w->nw_proto = 6;
    w->nw_ttl = 64;
}

/* TCP data offset 4 (below the minimum): L3 kept, no L4. */
static void
case_ipv4_tcp_bad_offset(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x0800);
    tf_ipv4(f, 0x00, 0x0000, 64, 6, 0x0a000001, 0x0a000002, 0);
    tf_tcp(f, 1000, 2000, FT_TCP_SYN, 0);
    f->buf[f->len - 8] = 0x40;
    f->l4_end = 0;
    put_pattern(f, 8);
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x0800;
    w->nw_src = 0x0a000001;
    w->nw_dst = 0x0a000002;
    w->nw_proto = 6;
    w->nw_ttl = 64;
}

static void
case_ipv6_udp(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x86dd);
    tf_ipv6(f, 0xb8, 0x12345, 17, 255, "fe80::1", "ff02::fb");
    tf_udp(f, 5353, 5353, 20);
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x86dd;
    w->ipv6_src = in6("fe80::1");
    w->ipv6_dst = in6("ff02::fb");
    w->ipv6_label = 0x12345;
    w->nw_proto = 17;
    w->nw_tos = 0xb8;
    w->nw_ttl = 255;
    w->tp_src = 5353;
    w->tp_dst = 5353;
}

/* Hop-by-hop, routing, destination options, AH, fragment (first
 * fragment), destination options, then TCP. */
static void
case_ipv6_ext_chain(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x86dd);
    tf_ipv6(f, 0x01, 0xfffff, 0, 32, "2001:db8:1::10", "2001:db8:2::20");
    tf_ipv6_opts(f, 43, 8);
    tf_ipv6_opts(f, 60, 24);
    tf_ipv6_opts(f, 51, 16);
    tf_ipv6_ah(f, 44, 24);
    tf_ipv6_frag(f, 60, 0, true);
    tf_ipv6_opts(f, 6, 8);
    tf_l3_hdr_done(f);
    tf_tcp(f, 8080, 34567, FT_TCP_RST, 4);
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x86dd;
    w->ipv6_src = in6("2001:db8:1::10");
    w->ipv6_dst = in6("2001:db8:2::20");
    w->ipv6_label = 0xfffff;
    w->nw_proto = 6;
    w->nw_tos = 0x01;
    w->nw_ttl = 32;
    w->nw_frag = FT_FRAG_ANY;
    w->tp_src = 8080;
    w->tp_dst = 34567;
    w->tcp_flags = 0x004;
}

/* Hop-by-hop then a later fragment: 'nw_proto' 44, no L4. */
static void
case_ipv6_frag_later(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x86dd);
    tf_ipv6(f, 0x00, 0x00001, 0, 64, "2001:db8::1", "2001:db8::2");
    tf_ipv6_opts(f, 44, 8);
    tf_ipv6_frag(f, 17, 100, false);
    tf_l3_hdr_done(f);
    tf_udp(f, 53, 53, 16);
    f->l4_end = 0;
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x86dd;
    w->ipv6_src = in6("2001:db8::1");
    w->ipv6_dst = in6("2001:db8::2");
    w->ipv6_label = 0x00001;
    w->nw_proto = 44;
    w->nw_ttl = 64;
    w->nw_frag = FT_FRAG_ANY | FT_FRAG_LATER;
}

/* A fragment header with offset 0 and M clear is not a fragment. */
static void
case_ipv6_atomic_frag(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x86dd);
    tf_ipv6(f, 0x00, 0, 44, 64, "2001:db8::1", "2001:db8::2");
    tf_ipv6_frag(f, 132, 0, false);
    tf_l3_hdr_done(f);
    tf_sctp(f, 9899, 9900);
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x86dd;
    w->ipv6_src = in6("2001:db8::1");
    w->ipv6_dst = in6("2001:db8::2");
    w->nw_proto = 132;
    w->nw_ttl = 64;
    w->tp_src = 9899;
    w->tp_dst = 9900;
}

/* ESP ends the chain. */
static void
case_ipv6_esp(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x86dd);
    tf_ipv6(f, 0x00, 0, 0, 64, "2001:db8::1", "2001:db8::2");
    tf_ipv6_opts(f, 50, 8);
    tf_l3_hdr_done(f);
    put_pattern(f, 24);
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x86dd;
    w->ipv6_src = in6("2001:db8::1");
    w->ipv6_dst = in6("2001:db8::2");
    w->nw_proto = 50;
    w->nw_ttl = 64;
}

/* Destination options then "no next header". */
static void
case_ipv6_no_next(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x86dd);
    tf_ipv6(f, 0x00, 0, 60, 1, "::1", "::2");
    tf_ipv6_opts(f, 59, 16);
    tf_l3_hdr_done(f);
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x86dd;
    w->ipv6_src = in6("::1");
    w->ipv6_dst = in6("::2");
    w->nw_proto = 59;
    w->nw_ttl = 1;
}

/* Hop-by-hop header longer than the payload length: no L3. */
static void
case_ipv6_chain_overrun(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x86dd);
    tf_ipv6(f, 0x00, 0, 0, 64, "2001:db8::1", "2001:db8::2");
    tf_ipv6_opts(f, 17, 16);
    tf_udp(f, 1, 2, 0);
    tf_ip_end(f);
    set16(f->buf, f->ip_ofs + 4, 8);
    f->ip_ofs = 0;
    f->l3_end = 0;

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x86dd;
}

/* Payload length beyond the frame: no L3. */
static void
case_ipv6_long_payload(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x86dd);
    tf_ipv6(f, 0x00, 0, 17, 64, "2001:db8::1", "2001:db8::2");
    tf_udp(f, 1, 2, 4);
    tf_ip_end(f);
    set16(f->buf, f->ip_ofs + 4, 13);
    f->ip_ofs = 0;
    f->l3_end = 0;

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x86dd;
}

static void
case_icmpv6_echo(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x86dd);
    tf_ipv6(f, 0x00, 0x54321, 58, 64, "2001:db8::1", "2001:db8::2");
    tf_icmp(f, 128, 0);
    put_pattern(f, 16);
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x86dd;
    w->ipv6_src = in6("2001:db8::1");
    w->ipv6_dst = in6("2001:db8::2");
    w->ipv6_label = 0x54321;
    w->nw_proto = 58;
    w->nw_ttl = 64;
    w->tp_src = 128;
}

/* Neighbor solicitation: nonce option, SLL option. */
static void
case_nd_ns_sll(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x33, 0x33, 0xff, 0x00, 0x00, 0x02),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x86dd);
    tf_ipv6(f, 0x00, 0, 58, 255, "fe80::1", "ff02::1:ff00:2");
    tf_icmp(f, 135, 0);
    f->len -= 4;
    put32(f, 0);
    put(f, in6("fe80::2").s6, 16);
    put8(f, 14);                /* Nonce option, 8 bytes. */
    put8(f, 1);
    put_pattern(f, 6);
    tf_nd_lla(f, 1, MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x33, 0x33, 0xff, 0x00, 0x00, 0x02);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x86dd;
    w->ipv6_src = in6("fe80::1");
    w->ipv6_dst = in6("ff02::1:ff00:2");
    w->nw_proto = 58;
    w->nw_ttl = 255;
    w->tp_src = 135;
    w->arp_sha = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
}

/* Neighbor advertisement: TLL, an unknown 16-byte option, then SLL. */
static void
case_nd_na_tll_sll(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee),
           MAC(0x02, 0x11, 0x11, 0x11, 0x11, 0x11));
    tf_type(f, 0x86dd);
    tf_ipv6(f, 0x00, 0, 58, 255, "fe80::2", "fe80::1");
    tf_icmp(f, 136, 0);
    f->len -= 4;
    put32(f, 0x60000000);       /* Solicited, override. */
    put(f, in6("fe80::2").s6, 16);
    tf_nd_lla(f, 2, MAC(0x02, 0x11, 0x11, 0x11, 0x11, 0x11));
    put8(f, 99);
    put8(f, 2);
    put_pattern(f, 14);
    tf_nd_lla(f, 1, MAC(0x02, 0x22, 0x22, 0x22, 0x22, 0x22));
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_src = MAC(0x02, 0x11, 0x11, 0x11, 0x11, 0x11);
    w->dl_type = 0x86dd;
    w->ipv6_src = in6("fe80::2");
    w->ipv6_dst = in6("fe80::1");
    w->nw_proto = 58;
    w->nw_ttl = 255;
    w->tp_src = 136;
    w->arp_sha = MAC(0x02, 0x22, 0x22, 0x22, 0x22, 0x22);
    w->arp_tha = MAC(0x02, 0x11, 0x11, 0x11, 0x11, 0x11);
}

/* Two SLL options: the packet is invalid, neither address is kept. */
static void
case_nd_dup_sll(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x33, 0x33, 0xff, 0x00, 0x00, 0x02),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x86dd);
    tf_ipv6(f, 0x00, 0, 58, 255, "fe80::1", "ff02::1:ff00:2");
    tf_icmp(f, 135, 0);
    put(f, in6("fe80::2").s6, 16);
    tf_nd_lla(f, 2, MAC(0x02, 0x33, 0x33, 0x33, 0x33, 0x33));
    tf_nd_lla(f, 1, MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_nd_lla(f, 1, MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xef));
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x33, 0x33, 0xff, 0x00, 0x00, 0x02);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x86dd;
    w->ipv6_src = in6("fe80::1");
    w->ipv6_dst = in6("ff02::1:ff00:2");
    w->nw_proto = 58;
    w->nw_ttl = 255;
    w->tp_src = 135;
}

/* A zero-length option ends the walk; the SLL before it is kept, the TLL
 * after it is not. */
static void
case_nd_zero_len_opt(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x33, 0x33, 0xff, 0x00, 0x00, 0x02),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x86dd);
    tf_ipv6(f, 0x00, 0, 58, 255, "fe80::1", "ff02::1:ff00:2");
    tf_icmp(f, 135, 0);
    put(f, in6("fe80::2").s6, 16);
    tf_nd_lla(f, 1, MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    put8(f, 3);
    put8(f, 0);
    put_pattern(f, 6);
    tf_nd_lla(f, 2, MAC(0x02, 0x33, 0x33, 0x33, 0x33, 0x33));
    f->tll_end = 0;
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x33, 0x33, 0xff, 0x00, 0x00, 0x02);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x86dd;
    w->ipv6_src = in6("fe80::1");
    w->ipv6_dst = in6("ff02::1:ff00:2");
    w->nw_proto = 58;
    w->nw_ttl = 255;
    w->tp_src = 135;
    w->arp_sha = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
}

/* ND with a non-zero code is plain ICMPv6: options are not read. */
static void
case_nd_bad_code(struct tframe *f)
{
    struct ft_flow *w = &f->want;

    tf_eth(f, MAC(0x33, 0x33, 0xff, 0x00, 0x00, 0x02),
           MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    tf_type(f, 0x86dd);
    tf_ipv6(f, 0x00, 0, 58, 255, "fe80::1", "ff02::1:ff00:2");
    tf_icmp(f, 135, 1);
    put(f, in6("fe80::2").s6, 16);
    tf_nd_lla(f, 1, MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee));
    f->sll_end = 0;
    tf_ip_end(f);

    w->in_port = IN_PORT;
    w->dl_dst = MAC(0x33, 0x33, 0xff, 0x00, 0x00, 0x02);
    w->dl_src = MAC(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    w->dl_type = 0x86dd;
    w->ipv6_src = in6("fe80::1");
    w->ipv6_dst = in6("ff02::1:ff00:2");
    w->nw_proto = 58;
    w->nw_ttl = 255;
    w->tp_src = 135;
    w->tp_dst = 1;
}

struct frame_case {
    const char *name;
    void (*build)(struct tframe *);
};

#define CASE(NAME) { #NAME, case_##NAME }
static const struct frame_case cases[] = {
    CASE(ipv4_tcp),
    CASE(ipv4_tcp_flags),
    CASE(ipv4_tcp_ns),
    CASE(ipv4_options_udp),
    CASE(ipv4_sctp),
    CASE(ipv4_frag_first),
    CASE(ipv4_frag_later),
    CASE(ipv4_frag_last),
    CASE(vlan_icmp),
    CASE(qinq_ipv6_tcp),
    CASE(double_8100_arp),
    CASE(triple_tag),
    CASE(arp_request),
    CASE(rarp_big_op),
    CASE(arp_not_ethernet),
    CASE(snap_ipv4_udp),
    CASE(vlan_snap_arp),
    CASE(snap_vendor_oui),
    CASE(llc_stp),
    CASE(mpls),
    CASE(ipv4_bad_ihl),
    CASE(ipv4_long_total),
    CASE(ipv4_short_total),
    CASE(ipv4_bad_version),
    CASE(ipv4_tcp_cut_by_total),
    CASE(ipv4_tcp_bad_offset),
    CASE(ipv6_udp),
    CASE(ipv6_ext_chain),
    CASE(ipv6_frag_later),
    CASE(ipv6_atomic_frag),
    CASE(ipv6_esp),
    CASE(ipv6_no_next),
    CASE(ipv6_chain_overrun),
    CASE(ipv6_long_payload),
    CASE(icmpv6_echo),
    CASE(nd_ns_sll),
    CASE(nd_na_tll_sll),
    CASE(nd_dup_sll),
    CASE(nd_zero_len_opt),
    CASE(nd_bad_code),
};
#define N_CASES (sizeof cases / sizeof cases[0])

/* Checking. */

static void
assert_flow_equal(const struct ft_flow *got, const struct ft_flow *want)
{
    assert_int_equal(got->tun_id, want->tun_id);
    assert_int_equal(got->tun_src, want->tun_src);
    assert_int_equal(got->tun_dst, want->tun_dst);
    assert_int_equal(got->tun_tos, want->tun_tos);
    assert_int_equal(got->tun_ttl, want->tun_ttl);
    assert_int_equal(got->tun_flags, want->tun_flags);
    assert_int_equal(got->in_port, want->in_port);
    assert_int_equal(got->metadata, want->metadata);
    assert_memory_equal(got->regs, want->regs, sizeof got->regs);
    assert_memory_equal(got->dl_dst.ea, want->dl_dst.ea, FT_ETH_ALEN);
    assert_memory_equal(got->dl_src.ea, want->dl_src.ea, FT_ETH_ALEN);
    assert_int_equal(got->dl_type, want->dl_type);
    assert_int_equal(got->pad1, 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(got->vlans[i].tpid, want->vlans[i].tpid);
        assert_int_equal(got->vlans[i].tci, want->vlans[i].tci);
    }
    assert_int_equal(got->nw_src, want->nw_src);
    assert_int_equal(got->nw_dst, want->nw_dst);
    assert_memory_equal(got->ipv6_src.s6, want->ipv6_src.s6, 16);
    assert_memory_equal(got->ipv6_dst.s6, want->ipv6_dst.s6, 16);
    assert_int_equal(got->ipv6_label, want->ipv6_label);
    assert_int_equal(got->nw_proto, want->nw_proto);
    assert_int_equal(got->nw_tos, want->nw_tos);
    assert_int_equal(got->nw_ttl, want->nw_ttl);
    assert_int_equal(got->nw_frag, want->nw_frag);
    assert_memory_equal(got->arp_sha.ea, want->arp_sha.ea, FT_ETH_ALEN);
    assert_memory_equal(got->arp_tha.ea, want->arp_tha.ea, FT_ETH_ALEN);
    assert_int_equal(got->tp_src, want->tp_src);
    assert_int_equal(got->tp_dst, want->tp_dst);
    assert_int_equal(got->tcp_flags, want->tcp_flags);
    assert_memory_equal(got->pad2, want->pad2, sizeof got->pad2);
    assert_memory_equal(got, want, sizeof *got);
}

/* Parses the first 'n' bytes of 'frame' from a heap copy of exactly 'n'
 * bytes (NULL for 0), into a key first filled with garbage. */
static int
parse_copy(const uint8_t *frame, size_t n, struct ft_flow *flow)
{
    uint8_t *copy = NULL;
    int ret;

    if (n) {
        copy = malloc(n);
        assert_non_null(copy);
        memcpy(copy, frame, n);
    }
    memset(flow, 0xa5, sizeof *flow);
    ret = ft_flow_extract(copy, n, IN_PORT, flow);
    free(copy);
    return ret;
}

static bool
eth_is_zero(struct ft_eth_addr ea)
{
    return ft_eth_addr_is_zero(ea);
}

static bool
in6_is_zero(const struct ft_in6_addr *a)
{
    static const struct ft_in6_addr zero;

    return !memcmp(a, &zero, sizeof *a);
}

/* Properties that hold for the key of any input of length 'n'. */
static void
check_invariants(const struct ft_flow *fl, size_t n, int ret)
{
    static const uint32_t zero_regs[FT_N_REGS];
    bool l3_zero = !fl->nw_src && !fl->nw_dst && in6_is_zero(&fl->ipv6_src)
                   && in6_is_zero(&fl->ipv6_dst) && !fl->ipv6_label
                   && !fl->nw_proto && !fl->nw_tos && !fl->nw_ttl
                   && !fl->nw_frag && eth_is_zero(fl->arp_sha)
                   && eth_is_zero(fl->arp_tha);
    bool l4_zero = !fl->tp_src && !fl->tp_dst && !fl->tcp_flags;

    assert_int_equal(ret, n < 14 ? -EINVAL : 0);
    assert_int_equal(fl->in_port, IN_PORT);
    assert_true(!fl->tun_id && !fl->tun_src && !fl->tun_dst && !fl->tun_tos
                && !fl->tun_ttl && !fl->tun_flags && !fl->metadata);
    assert_memory_equal(fl->regs, zero_regs, sizeof zero_regs);
    assert_int_equal(fl->pad1, 0);
    assert_true(!fl->pad2[0] && !fl->pad2[1] && !fl->pad2[2]);

    if (n < 14) {
        struct ft_flow only_port;

        ft_flow_zero(&only_port);
        only_port.in_port = IN_PORT;
        assert_memory_equal(fl, &only_port, sizeof *fl);
        return;
    }

    assert_true(fl->dl_type >= FT_ETH_TYPE_MIN
                || fl->dl_type == FT_ETH_TYPE_NONE);
    for (int i = 0; i < 2; i++) {
        const struct ft_vlan *v = &fl->vlans[i];

        if (v->tci & FT_VLAN_CFI) {
            assert_true(v->tpid == FT_ETH_TYPE_VLAN
                        || v->tpid == FT_ETH_TYPE_VLAN_AD);
        } else {
            assert_true(!v->tpid && !v->tci);
        }
    }
    if (fl->vlans[1].tci) {
        assert_true(fl->vlans[0].tci & FT_VLAN_CFI);
    }

    switch (fl->dl_type) {
    case FT_ETH_TYPE_IP:
        assert_true(in6_is_zero(&fl->ipv6_src) && in6_is_zero(&fl->ipv6_dst)
                    && !fl->ipv6_label && eth_is_zero(fl->arp_sha)
                    && eth_is_zero(fl->arp_tha));
        break;
    case FT_ETH_TYPE_IPV6:
        assert_true(!fl->nw_src && !fl->nw_dst);
        assert_true(fl->ipv6_label <= 0xfffff);
        if (!eth_is_zero(fl->arp_sha) || !eth_is_zero(fl->arp_tha)) {
            assert_int_equal(fl->nw_proto, FT_IPPROTO_ICMPV6);
            assert_true(fl->tp_src == 135 || fl->tp_src == 136);
            assert_int_equal(fl->tp_dst, 0);
        }
        break;
    case FT_ETH_TYPE_ARP:
    case ETH_TYPE_RARP:
        assert_true(in6_is_zero(&fl->ipv6_src) && in6_is_zero(&fl->ipv6_dst)
                    && !fl->ipv6_label && !fl->nw_tos && !fl->nw_ttl
                    && !fl->nw_frag);
        assert_true(l4_zero);
        break;
    default:
        assert_true(l3_zero && l4_zero);
        break;
    }

    assert_int_equal(fl->nw_frag & ~FT_FRAG_MASK, 0);
    if (fl->nw_frag & FT_FRAG_LATER) {
        assert_true(fl->nw_frag & FT_FRAG_ANY);
        assert_true(l4_zero);
    }
    assert_int_equal(fl->tcp_flags & ~FT_TCP_FLAGS_MASK, 0);
    if (fl->tcp_flags) {
        assert_int_equal(fl->nw_proto, FT_IPPROTO_TCP);
    }
    if (!l4_zero && ft_flow_is_ip(fl)) {
        assert_true(fl->nw_proto == FT_IPPROTO_TCP
                    || fl->nw_proto == FT_IPPROTO_UDP
                    || fl->nw_proto == FT_IPPROTO_SCTP
                    || fl->nw_proto == FT_IPPROTO_ICMP
                    || fl->nw_proto == FT_IPPROTO_ICMPV6);
    }
    if (fl->nw_proto == FT_IPPROTO_ICMP || fl->nw_proto == FT_IPPROTO_ICMPV6) {
        assert_true(fl->tp_src <= 0xff && fl->tp_dst <= 0xff);
    }
}

/* The key that the first 'n' bytes of 'f' must give.  With 'patched', the
 * IP length field has been rewritten to end the datagram at 'n'. */
static void
expect_cut(const struct tframe *f, size_t n, bool patched,
           struct ft_flow *exp)
{
    const struct ft_flow *w = &f->want;
    int k;

    ft_flow_zero(exp);
    exp->in_port = w->in_port;
    if (n < 14) {
        return;
    }
    exp->dl_dst = w->dl_dst;
    exp->dl_src = w->dl_src;

    /* Tag k counts once its TCI and the type after it are in. */
    for (k = 0; k < f->n_tags && k < 2; k++) {
        if (n < 18 + 4 * (size_t) k) {
            break;
        }
        exp->vlans[k] = w->vlans[k];
    }
    if (k < f->n_tags) {
        exp->dl_type = f->tag_tpid[k];
        return;
    }
    exp->dl_type = (!f->snap || n >= f->l2_end) ? w->dl_type
                                                : FT_ETH_TYPE_NONE;
    if (n < f->l2_end) {
        return;
    }

    if (!patched) {
        if (!f->l3_end || n >= f->l3_end) {
            *exp = *w;
        }
        return;
    }

    if (n < f->l3_hdr_end) {
        return;
    }
    exp->nw_src = w->nw_src;
    exp->nw_dst = w->nw_dst;
    exp->ipv6_src = w->ipv6_src;
    exp->ipv6_dst = w->ipv6_dst;
    exp->ipv6_label = w->ipv6_label;
    exp->nw_proto = w->nw_proto;
    exp->nw_tos = w->nw_tos;
    exp->nw_ttl = w->nw_ttl;
    exp->nw_frag = w->nw_frag;
    if (f->l4_end && n >= f->l4_end) {
        exp->tp_src = w->tp_src;
        exp->tp_dst = w->tp_dst;
        exp->tcp_flags = w->tcp_flags;
    }
    if (!f->nd_dup_end || n < f->nd_dup_end) {
        if (f->sll_end && n >= f->sll_end) {
            memcpy(exp->arp_sha.ea, f->buf + f->sll_end - 6, FT_ETH_ALEN);
        }
        if (f->tll_end && n >= f->tll_end) {
            memcpy(exp->arp_tha.ea, f->buf + f->tll_end - 6, FT_ETH_ALEN);
        }
    }
}

static void
check_cut(const struct tframe *f, const uint8_t *frame, size_t n,
          bool patched, const char *name)
{
    struct ft_flow got, cut_want;
    int ret = parse_copy(frame, n, &got);

    expect_cut(f, n, patched, &cut_want);
    if (!ft_flow_equal(&got, &cut_want)) {
        print_error("%s: unexpected key for the first %zu of %zu bytes%s\n",
                    name, n, f->len, patched ? " (IP length rewritten)" : "");
    }
    assert_flow_equal(&got, &cut_want);
    check_invariants(&got, n, ret);
}

/* Tests. */

static void
test_case(void **state)
{
    const struct frame_case *c = *state;
    struct tframe f;
    struct ft_flow got;
    int ret;

    c->build(&f);

    /* The whole frame. */
    ret = parse_copy(f.buf, f.len, &got);
    assert_int_equal(ret, 0);
    assert_flow_equal(&got, &f.want);
    check_invariants(&got, f.len, ret);

    /* Every truncation. */
    for (size_t n = 0; n <= f.len; n++) {
        check_cut(&f, f.buf, n, false, c->name);
    }

    /* Every truncation inside the IP datagram, with the IP length field
     * rewritten to end the datagram at the cut. */
    if (f.ip_ofs && f.l3_end) {
        for (size_t n = f.ip_ofs + 6; n <= f.l3_end; n++) {
            uint8_t frame[FRAME_MAX];

            memcpy(frame, f.buf, n);
            if (f.ip_version == 4) {
                set16(frame, f.ip_ofs + 2, n - f.ip_ofs);
            } else if (n >= f.ip_ofs + 40) {
                set16(frame, f.ip_ofs + 4, n - f.ip_ofs - 40);
            }
            check_cut(&f, frame, n, true, c->name);
        }
    }
}

static void
test_runt(void **state)
{
    static const uint8_t frame[14] = {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00,
    };
    struct ft_flow flow, want;

    ft_flow_zero(&want);
    want.in_port = 3;

    memset(&flow, 0xff, sizeof flow);
    assert_int_equal(ft_flow_extract(NULL, 0, 3, &flow), -EINVAL);
    assert_flow_equal(&flow, &want);

    memset(&flow, 0xff, sizeof flow);
    assert_int_equal(ft_flow_extract(frame, 13, 3, &flow), -EINVAL);
    assert_flow_equal(&flow, &want);

    /* 14 bytes: L2 only, IPv4 ethertype with no header. */
    memset(&flow, 0xff, sizeof flow);
    assert_int_equal(ft_flow_extract(frame, 14, 3, &flow), 0);
    want.dl_dst = MAC(1, 2, 3, 4, 5, 6);
    want.dl_src = MAC(7, 8, 9, 10, 11, 12);
    want.dl_type = 0x0800;
    assert_flow_equal(&flow, &want);
}

/* The parser must not need alignment: parse a case at every offset of a
 * larger buffer. */
static void
test_unaligned(void **state)
{
    struct tframe f;
    uint8_t *buf = malloc(FRAME_MAX + 8);

    assert_non_null(buf);
    case_qinq_ipv6_tcp(&f);
    for (size_t shift = 0; shift < 8; shift++) {
        struct ft_flow got;

        memcpy(buf + shift, f.buf, f.len);
        assert_int_equal(ft_flow_extract(buf + shift, f.len, IN_PORT, &got),
                         0);
        assert_flow_equal(&got, &f.want);
    }
    free(buf);
}

static uint32_t
rng_next(uint64_t *s)
{
    /* xorshift64*. */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (uint32_t) ((*s * 0x2545f4914f6cdd1dULL) >> 32);
}

static void
fuzz_one(const uint8_t *frame, size_t n)
{
    struct ft_flow a, b;
    int ret_a = parse_copy(frame, n, &a);
    int ret_b;

    check_invariants(&a, n, ret_a);

    /* Same input, same key, whatever was in the key before. */
    memset(&b, 0, sizeof b);
    ret_b = ft_flow_extract(frame, n, IN_PORT, &b);
    assert_int_equal(ret_a, ret_b);
    assert_memory_equal(&a, &b, sizeof a);
}

/* Random bytes, with the ethertype and first L3 byte often made
 * interesting so that the deeper parsers are reached. */
static void
test_fuzz_random(void **state)
{
    static const uint16_t types[] = {
        0x0800, 0x86dd, 0x0806, 0x8035, 0x8100, 0x88a8, 0x0040,
    };
    uint64_t seed = 0x0123456789abcdefULL;
    uint8_t frame[200];

    for (int iter = 0; iter < 200000; iter++) {
        size_t n = rng_next(&seed) % (sizeof frame + 1);

        for (size_t i = 0; i < n; i++) {
            frame[i] = (uint8_t) rng_next(&seed);
        }
        if (n >= 15 && rng_next(&seed) % 4) {
            uint16_t type = types[rng_next(&seed) % 7];

            set16(frame, 12, type);
            frame[14] = rng_next(&seed) % 2 ? 0x45 : 0x60;
        }
        fuzz_one(frame, n);
    }
}

/* Each case with a few bytes changed and a random length. */
static void
test_fuzz_mutate(void **state)
{
    uint64_t seed = 0xfeedfacecafebeefULL;

    for (size_t c = 0; c < N_CASES; c++) {
        struct tframe f;

        cases[c].build(&f);
        for (int iter = 0; iter < 4000; iter++) {
            uint8_t frame[FRAME_MAX];
            int n_mut = 1 + rng_next(&seed) % 4;
            size_t n = f.len - rng_next(&seed) % (f.len / 4 + 1);

            memcpy(frame, f.buf, f.len);
            for (int m = 0; m < n_mut; m++) {
                size_t pos = rng_next(&seed) % f.len;

                frame[pos] = rng_next(&seed) % 2 ? (uint8_t) rng_next(&seed)
                                                 : frame[pos] ^ 0x0f;
            }
            fuzz_one(frame, n);
        }
    }
}

int
main(void)
{
    struct CMUnitTest tests[N_CASES + 4];
    size_t n = 0;

    for (size_t i = 0; i < N_CASES; i++) {
        tests[n++] = (struct CMUnitTest) {
            .name = cases[i].name,
            .test_func = test_case,
            .initial_state = (void *) &cases[i],
        };
    }
    tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_runt);
    tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_unaligned);
    tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_fuzz_random);
    tests[n++] = (struct CMUnitTest) cmocka_unit_test(test_fuzz_mutate);

    return _cmocka_run_group_tests("flow-extract", tests, n, NULL, NULL);
}

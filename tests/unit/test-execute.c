/*
 * test-execute.c - unit tests for the action executor (swpath/execute.c).
 *
 * Builds real Ethernet frames, runs datapath actions on them and checks the
 * resulting bytes, and every IPv4 header, TCP, UDP, ICMPv6 and SCTP
 * checksum against a from-scratch computation written here (RFC 1071 sums,
 * a bitwise CRC32c).  Truncated frames are run in buffers of exactly their
 * length so that AddressSanitizer catches any out-of-bounds access.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flowtier/dp-actions.h"
#include "swpath/execute.h"
#include "swpath/flow-extract.h"
#include "swpath/packet.h"

#define BUF_SIZE 2048

/* ---------------------------------------------------------------------- */
/* Reference computations. */

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
    return ~sum & 0xffff;
}

/* RFC 1071 checksum of the pseudo-header and the L4 bytes at 'l4'.  With
 * the checksum field included, a correct packet yields 0. */
static uint16_t
ref_l4_csum(const uint8_t *ip, int v6, uint8_t proto, const uint8_t *l4,
            size_t len)
{
    uint32_t sum = 0;

    if (v6) {
        sum = ref_sum(sum, ip + 8, 32);
    } else {
        sum = ref_sum(sum, ip + 12, 8);
    }
    sum += proto;
    sum += (uint32_t) len;
    sum = ref_sum(sum, l4, len);
    return ref_fold(sum);
}

static uint32_t
ref_crc32c(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xffffffff;

    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++) {
            crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78 : crc >> 1;
        }
    }
    return ~crc;
}

static uint32_t
rand_next(uint32_t *state)
{
    uint32_t x = *state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* ---------------------------------------------------------------------- */
/* Frame building. */

static const uint8_t mac_a[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t mac_b[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
static const uint8_t v6_a[16] = {
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 };
static const uint8_t v6_b[16] = {
    0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44,
    0x55 };

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
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}

/* Writes an L4 header of 'proto' with 'payload' bytes of data after it and
 * returns its length (checksum not yet filled). */
static size_t
build_l4(uint8_t *l4, uint8_t proto, size_t payload)
{
    size_t hlen;

    switch (proto) {
    case FT_IPPROTO_TCP:
        hlen = 20;
        memset(l4, 0, hlen);
        put16(l4, 1234);
        put16(l4 + 2, 80);
        l4[4] = 0x12;
        l4[12] = 5 << 4;
        l4[13] = 0x18;
        put16(l4 + 14, 512);
        break;
    case FT_IPPROTO_UDP:
        hlen = 8;
        put16(l4, 5353);
        put16(l4 + 2, 4789);
        put16(l4 + 4, hlen + payload);
        put16(l4 + 6, 0);
        break;
    case FT_IPPROTO_SCTP:
        hlen = 12;
        memset(l4, 0, hlen);
        put16(l4, 2905);
        put16(l4 + 2, 38412);
        l4[4] = 0xde;
        break;
    case FT_IPPROTO_ICMP:
    case FT_IPPROTO_ICMPV6:
        hlen = 8;
        memset(l4, 0, hlen);
        l4[0] = proto == FT_IPPROTO_ICMP ? 8 : 128;     /* Echo request. */
        put16(l4 + 4, 7);
        break;
    default:
        hlen = 0;
    }
    for (size_t i = 0; i < payload; i++) {
        l4[hlen + i] = (uint8_t) (i * 7 + 3);
    }
    return hlen + payload;
}

/* Fills the L4 checksum of a segment built by build_l4(). */
static void
fill_l4_csum(const uint8_t *ip, int v6, uint8_t proto, uint8_t *l4,
             size_t len)
{
    if (proto == FT_IPPROTO_TCP) {
        put16(l4 + 16, ref_l4_csum(ip, v6, proto, l4, len));
    } else if (proto == FT_IPPROTO_UDP) {
        uint16_t c = ref_l4_csum(ip, v6, proto, l4, len);

        put16(l4 + 6, c ? c : 0xffff);
    } else if (proto == FT_IPPROTO_ICMPV6) {
        put16(l4 + 2, ref_l4_csum(ip, v6, proto, l4, len));
    } else if (proto == FT_IPPROTO_ICMP) {
        put16(l4 + 2, ref_fold(ref_sum(0, l4, len)));  /* No pseudo-header. */
    } else if (proto == FT_IPPROTO_SCTP) {
        uint32_t crc = ref_crc32c(l4, len);

        l4[8] = crc;
        l4[9] = crc >> 8;
        l4[10] = crc >> 16;
        l4[11] = crc >> 24;
    }
}

/* Builds Ethernet (+ optional 802.1Q tag) + IPv4 + L4 into 'f'; returns
 * the frame length. */
static size_t
build_ipv4(uint8_t *f, int vlan, uint8_t proto, size_t payload)
{
    uint8_t *ip, *l4;
    size_t ofs = 12, l4_len;

    memcpy(f, mac_b, 6);
    memcpy(f + 6, mac_a, 6);
    if (vlan) {
        put16(f + 12, FT_ETH_TYPE_VLAN);
        put16(f + 14, 100);
        ofs += 4;
    }
    put16(f + ofs, FT_ETH_TYPE_IP);
    ip = f + ofs + 2;
    l4 = ip + 20;
    l4_len = build_l4(l4, proto, payload);
    ip[0] = 0x45;
    ip[1] = 0x28;
    put16(ip + 2, 20 + l4_len);
    put16(ip + 4, 0x1c46);
    put16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = proto;
    put16(ip + 10, 0);
    ip[12] = 10; ip[13] = 0; ip[14] = 0; ip[15] = 1;
    ip[16] = 192; ip[17] = 168; ip[18] = 7; ip[19] = 42;
    put16(ip + 10, ref_fold(ref_sum(0, ip, 20)));
    fill_l4_csum(ip, 0, proto, l4, l4_len);
    return (size_t) (l4 - f) + l4_len;
}

/* Builds Ethernet + IPv6 (+ optional 8-byte destination options header)
 * + L4. */
static size_t
build_ipv6(uint8_t *f, int ext, uint8_t proto, size_t payload)
{
    uint8_t *ip = f + 14, *l4;
    size_t l4_len, ext_len = ext ? 8 : 0;

    memcpy(f, mac_b, 6);
    memcpy(f + 6, mac_a, 6);
    put16(f + 12, FT_ETH_TYPE_IPV6);
    l4 = ip + 40 + ext_len;
    l4_len = build_l4(l4, proto, payload);
    ip[0] = 0x60 | 0x0b;        /* tclass 0xb4, label 0x12345. */
    ip[1] = 0x41;
    ip[2] = 0x23;
    ip[3] = 0x45;
    put16(ip + 4, ext_len + l4_len);
    ip[6] = ext ? 60 : proto;
    ip[7] = 255;
    memcpy(ip + 8, v6_a, 16);
    memcpy(ip + 24, v6_b, 16);
    if (ext) {
        memset(ip + 40, 0, 8);
        ip[40] = proto;
        ip[42] = 1;             /* PadN option filling the header. */
        ip[43] = 4;
    }
    fill_l4_csum(ip, 1, proto, l4, l4_len);
    return (size_t) (l4 - f) + l4_len;
}

/* Checks every checksum of the IP packet in 'pkt'. */
static void
check_csums(const struct ft_packet *pkt)
{
    const uint8_t *f = ft_packet_data(pkt);
    const uint8_t *ip, *l4;
    size_t l4_len;
    int v6;

    assert_true(ft_packet_has_l3(pkt));
    assert_true(ft_packet_has_l4(pkt));
    ip = f + pkt->l3_ofs;
    l4 = f + pkt->l4_ofs;
    l4_len = pkt->l4_end - pkt->l4_ofs;
    v6 = pkt->eth_type == FT_ETH_TYPE_IPV6;
    if (!v6) {
        assert_int_equal(ref_fold(ref_sum(0, ip, (ip[0] & 15) * 4)), 0);
    }
    switch (pkt->l4_proto) {
    case FT_IPPROTO_TCP:
    case FT_IPPROTO_ICMPV6:
        assert_int_equal(ref_l4_csum(ip, v6, pkt->l4_proto, l4, l4_len), 0);
        break;
    case FT_IPPROTO_ICMP:
        assert_int_equal(ref_fold(ref_sum(0, l4, l4_len)), 0);
        break;
    case FT_IPPROTO_UDP:
        if (get16(l4 + 6)) {
            assert_int_equal(ref_l4_csum(ip, v6, pkt->l4_proto, l4, l4_len),
                             0);
        }
        break;
    case FT_IPPROTO_SCTP: {
        uint8_t copy[BUF_SIZE];
        uint32_t crc;

        memcpy(copy, l4, l4_len);
        memset(copy + 8, 0, 4);
        crc = ref_crc32c(copy, l4_len);
        assert_int_equal(l4[8] | l4[9] << 8 | l4[10] << 16
                         | (uint32_t) l4[11] << 24, crc);
        break;
    }
    default:
        fail();
    }
}

/* A packet over a stack buffer with FT_PACKET_HEADROOM in front. */
struct test_pkt {
    struct ft_packet pkt;
    uint8_t mem[BUF_SIZE];
};

static void
test_pkt_init(struct test_pkt *tp, const uint8_t *frame, size_t len)
{
    ft_packet_init(&tp->pkt, tp->mem, sizeof tp->mem, FT_PACKET_HEADROOM);
    assert_int_equal(ft_packet_set_frame(&tp->pkt, frame, len), 0);
}

/* Output capture. */
struct capture {
    int n;
    ft_port_no ports[8];
    size_t lens[8];
    uint8_t frames[8][BUF_SIZE];
    uint64_t cookie;
};

static void
capture_output(void *aux, ft_port_no port, const struct ft_packet *pkt)
{
    struct capture *c = aux;

    assert_true(c->n < 8);
    c->ports[c->n] = port;
    c->lens[c->n] = pkt->size;
    memcpy(c->frames[c->n], ft_packet_data(pkt), pkt->size);
    c->n++;
}

static void
capture_userspace(void *aux, const struct ft_dpa_userspace *act,
                  const struct ft_packet *pkt)
{
    struct capture *c = aux;

    c->cookie = act->cookie;
    capture_output(aux, FT_PORT_CONTROLLER, pkt);
}

/* ---------------------------------------------------------------------- */
/* Tests. */

static void
test_parse_offsets(void **state)
{
    uint8_t f[BUF_SIZE];
    struct test_pkt tp;
    size_t len;

    (void) state;
    len = build_ipv4(f, 1, FT_IPPROTO_TCP, 10);
    test_pkt_init(&tp, f, len);
    assert_int_equal(tp.pkt.eth_type, FT_ETH_TYPE_IP);
    assert_int_equal(tp.pkt.l3_ofs, 18);
    assert_int_equal(tp.pkt.l4_ofs, 38);
    assert_int_equal(tp.pkt.l4_end, len);
    assert_int_equal(tp.pkt.l4_proto, FT_IPPROTO_TCP);
    check_csums(&tp.pkt);

    /* Ethernet padding is not part of the datagram. */
    memset(f + len, 0, 6);
    test_pkt_init(&tp, f, len + 6);
    assert_int_equal(tp.pkt.l4_end, len);

    len = build_ipv6(f, 1, FT_IPPROTO_UDP, 5);
    test_pkt_init(&tp, f, len);
    assert_int_equal(tp.pkt.l3_ofs, 14);
    assert_int_equal(tp.pkt.l4_ofs, 14 + 40 + 8);
    assert_int_equal(tp.pkt.l4_proto, FT_IPPROTO_UDP);
    check_csums(&tp.pkt);

    /* A later IPv4 fragment has no L4 header. */
    len = build_ipv4(f, 0, FT_IPPROTO_UDP, 10);
    put16(f + 14 + 6, 0x0010);
    test_pkt_init(&tp, f, len);
    assert_true(ft_packet_has_l3(&tp.pkt));
    assert_false(ft_packet_has_l4(&tp.pkt));
}

static void
test_output_snapshots(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_execute_hooks hooks = { capture_output, capture_userspace,
                                      NULL };
    struct ft_execute_stats st = { 0 };
    struct capture *cap = calloc(1, sizeof *cap);
    struct ft_dp_action *a;
    uint8_t f[BUF_SIZE];
    struct test_pkt tp;
    size_t len;

    (void) state;
    hooks.aux = cap;
    len = build_ipv4(f, 0, FT_IPPROTO_UDP, 20);
    test_pkt_init(&tp, f, len);

    ft_dp_actions_put_output(&acts, 3);
    a = ft_dp_actions_put(&acts, FT_DPA_SET_ETH);
    memcpy(a->eth.dst.ea, mac_a, 6);
    memset(a->eth.dst_mask.ea, 0xff, 6);
    ft_dp_actions_put_output(&acts, 7);
    a = ft_dp_actions_put(&acts, FT_DPA_USERSPACE);
    a->userspace.cookie = 0xabcdef;
    a->userspace.max_len = 0xffff;

    assert_int_equal(ft_execute_actions(&tp.pkt, &acts, &hooks, &st), 0);
    assert_int_equal(cap->n, 3);
    assert_int_equal(cap->ports[0], 3);
    assert_int_equal(cap->ports[1], 7);
    assert_int_equal(cap->ports[2], FT_PORT_CONTROLLER);
    assert_int_equal(cap->cookie, 0xabcdef);
    assert_memory_equal(cap->frames[0], f, len);
    assert_memory_equal(cap->frames[1], mac_a, 6);
    assert_memory_equal(cap->frames[1] + 6, mac_a, 6);
    assert_memory_equal(cap->frames[1] + 12, f + 12, len - 12);
    assert_int_equal(st.n_packets, 1);
    assert_int_equal(st.n_actions, 4);
    assert_int_equal(st.n_outputs, 3);
    assert_int_equal(st.n_skipped, 0);

    /* No hooks: outputs go nowhere but the rewrite still happens. */
    test_pkt_init(&tp, f, len);
    assert_int_equal(ft_execute_actions(&tp.pkt, &acts, NULL, NULL), 0);
    assert_memory_equal(ft_packet_data(&tp.pkt), mac_a, 6);

    ft_dp_actions_uninit(&acts);
    free(cap);
}

static void
test_set_eth_masked(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dp_action *a;
    uint8_t f[BUF_SIZE];
    struct test_pkt tp;
    size_t len;

    (void) state;
    len = build_ipv4(f, 0, FT_IPPROTO_TCP, 0);
    test_pkt_init(&tp, f, len);
    a = ft_dp_actions_put(&acts, FT_DPA_SET_ETH);
    memset(a->eth.src.ea, 0xff, 6);
    a->eth.src_mask.ea[0] = 0x0f;
    a->eth.src_mask.ea[5] = 0xff;
    assert_int_equal(ft_execute_actions(&tp.pkt, &acts, NULL, NULL), 0);
    assert_int_equal(ft_packet_data(&tp.pkt)[6], 0x0f);
    assert_memory_equal(ft_packet_data(&tp.pkt) + 7, mac_a + 1, 4);
    assert_int_equal(ft_packet_data(&tp.pkt)[11], 0xff);
    assert_memory_equal(ft_packet_data(&tp.pkt), mac_b, 6);
    ft_dp_actions_uninit(&acts);
}

static void
test_vlan_push_pop(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dp_action *a;
    uint8_t f[BUF_SIZE];
    struct test_pkt tp;
    const uint8_t *d;
    size_t len;

    (void) state;
    len = build_ipv4(f, 0, FT_IPPROTO_TCP, 16);
    test_pkt_init(&tp, f, len);

    /* QinQ: push 802.1Q vid 100 pcp 5, then 802.1ad vid 7 outside it. */
    a = ft_dp_actions_put(&acts, FT_DPA_PUSH_VLAN);
    a->push_vlan.tpid = FT_ETH_TYPE_VLAN;
    a->push_vlan.tci = FT_VLAN_CFI | 5 << FT_VLAN_PCP_SHIFT | 100;
    a = ft_dp_actions_put(&acts, FT_DPA_PUSH_VLAN);
    a->push_vlan.tpid = FT_ETH_TYPE_VLAN_AD;
    a->push_vlan.tci = FT_VLAN_CFI | 7;
    /* The L3 offsets must have followed: rewrite TTL after the pushes. */
    a = ft_dp_actions_put(&acts, FT_DPA_SET_IPV4);
    a->ipv4.ttl = 9;
    a->ipv4.ttl_mask = 0xff;
    assert_int_equal(ft_execute_actions(&tp.pkt, &acts, NULL, NULL), 0);

    d = ft_packet_data(&tp.pkt);
    assert_int_equal(tp.pkt.size, len + 8);
    assert_int_equal(tp.pkt.data_ofs, FT_PACKET_HEADROOM - 8);
    assert_memory_equal(d, f, 12);
    assert_int_equal(get16(d + 12), FT_ETH_TYPE_VLAN_AD);
    assert_int_equal(get16(d + 14), 7);              /* CFI not on wire. */
    assert_int_equal(get16(d + 16), FT_ETH_TYPE_VLAN);
    assert_int_equal(get16(d + 18), 5 << 13 | 100);
    assert_memory_equal(d + 20, f + 12, 2 + 8);      /* Up to TTL. */
    assert_int_equal(d[14 + 8 + 8], 9);
    assert_int_equal(tp.pkt.l3_ofs, 22);
    check_csums(&tp.pkt);

    /* Pop both: back to the original frame apart from the TTL. */
    ft_dp_actions_clear(&acts);
    ft_dp_actions_put(&acts, FT_DPA_POP_VLAN);
    ft_dp_actions_put(&acts, FT_DPA_POP_VLAN);
    assert_int_equal(ft_execute_actions(&tp.pkt, &acts, NULL, NULL), 0);
    d = ft_packet_data(&tp.pkt);
    assert_int_equal(tp.pkt.size, len);
    assert_int_equal(tp.pkt.l3_ofs, 14);
    assert_int_equal(tp.pkt.l4_ofs, 34);
    assert_memory_equal(d, f, 22);
    assert_int_equal(d[22], 9);
    check_csums(&tp.pkt);

    /* Popping an untagged frame is skipped and counted. */
    {
        struct ft_execute_stats st = { 0 };

        ft_dp_actions_clear(&acts);
        ft_dp_actions_put(&acts, FT_DPA_POP_VLAN);
        assert_int_equal(ft_execute_actions(&tp.pkt, &acts, NULL, &st),
                         -EINVAL);
        assert_int_equal(st.n_skipped, 1);
        assert_int_equal(tp.pkt.size, len);
    }

    ft_dp_actions_uninit(&acts);
}

static void
test_vlan_push_no_headroom(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_execute_stats st = { 0 };
    struct ft_dp_action *a;
    struct ft_packet pkt;
    uint8_t f[BUF_SIZE];
    uint8_t *mem;
    size_t len;

    (void) state;
    len = build_ipv4(f, 0, FT_IPPROTO_UDP, 3);
    a = ft_dp_actions_put(&acts, FT_DPA_PUSH_VLAN);
    a->push_vlan.tpid = FT_ETH_TYPE_VLAN;
    a->push_vlan.tci = FT_VLAN_CFI | 42;

    /* Tailroom only: the frame moves within the buffer. */
    mem = malloc(len + 4);
    ft_packet_init(&pkt, mem, len + 4, 0);
    assert_int_equal(ft_packet_set_frame(&pkt, f, len), 0);
    assert_int_equal(ft_execute_actions(&pkt, &acts, NULL, &st), 0);
    assert_int_equal(pkt.size, len + 4);
    assert_memory_equal(mem, f, 12);
    assert_int_equal(get16(mem + 14), 42);
    assert_memory_equal(mem + 16, f + 12, len - 12);
    check_csums(&pkt);
    free(mem);

    /* No room at all. */
    mem = malloc(len);
    ft_packet_init(&pkt, mem, len, 0);
    assert_int_equal(ft_packet_set_frame(&pkt, f, len), 0);
    assert_int_equal(ft_execute_actions(&pkt, &acts, NULL, &st), -ENOSPC);
    assert_int_equal(st.n_skipped, 1);
    assert_int_equal(pkt.size, len);
    assert_memory_equal(mem, f, len);
    free(mem);

    ft_dp_actions_uninit(&acts);
}

/* Random masked IPv4 rewrites on TCP, UDP and zero-checksum UDP frames. */
static void
test_set_ipv4_random(void **state)
{
    static const uint8_t protos[] = { FT_IPPROTO_TCP, FT_IPPROTO_UDP,
                                      FT_IPPROTO_SCTP };
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    uint32_t seed = 0x12345678;
    uint8_t f[BUF_SIZE];
    struct test_pkt tp;

    (void) state;
    for (int iter = 0; iter < 600; iter++) {
        uint8_t proto = protos[iter % 3];
        int zero_udp = proto == FT_IPPROTO_UDP && (iter / 3) % 4 == 0;
        struct ft_dp_action *a;
        const uint8_t *ip;
        uint32_t old_src, old_dst;
        uint8_t old_tos, old_ttl;
        size_t len;

        len = build_ipv4(f, iter & 1, proto, rand_next(&seed) % 64);
        if (zero_udp) {
            put16(f + (iter & 1 ? 18 : 14) + 20 + 6, 0);
        }
        test_pkt_init(&tp, f, len);
        ip = ft_packet_data(&tp.pkt) + tp.pkt.l3_ofs;
        old_src = get32(ip + 12);
        old_dst = get32(ip + 16);
        old_tos = ip[1];
        old_ttl = ip[8];

        ft_dp_actions_clear(&acts);
        a = ft_dp_actions_put(&acts, FT_DPA_SET_IPV4);
        a->ipv4.src = rand_next(&seed);
        a->ipv4.dst = rand_next(&seed);
        a->ipv4.tos = rand_next(&seed);
        a->ipv4.ttl = rand_next(&seed);
        a->ipv4.src_mask = rand_next(&seed) & rand_next(&seed);
        a->ipv4.dst_mask = iter % 5 ? rand_next(&seed) : 0xffffffff;
        a->ipv4.tos_mask = iter % 7 ? 0 : FT_IP_DSCP_MASK;
        a->ipv4.ttl_mask = iter % 2 ? 0xff : 0;
        a->ipv4.src &= a->ipv4.src_mask;

        assert_int_equal(ft_execute_actions(&tp.pkt, &acts, NULL, NULL), 0);
        assert_int_equal(get32(ip + 12), (old_src & ~a->ipv4.src_mask)
                         | (a->ipv4.src & a->ipv4.src_mask));
        assert_int_equal(get32(ip + 16), (old_dst & ~a->ipv4.dst_mask)
                         | (a->ipv4.dst & a->ipv4.dst_mask));
        assert_int_equal(ip[1], (uint8_t) ((old_tos & ~a->ipv4.tos_mask)
                                           | (a->ipv4.tos
                                              & a->ipv4.tos_mask)));
        assert_int_equal(ip[8], (uint8_t) ((old_ttl & ~a->ipv4.ttl_mask)
                                           | (a->ipv4.ttl
                                              & a->ipv4.ttl_mask)));
        check_csums(&tp.pkt);
        if (zero_udp) {
            assert_int_equal(get16(ft_packet_data(&tp.pkt)
                                   + tp.pkt.l4_ofs + 6), 0);
        }
    }
    ft_dp_actions_uninit(&acts);
}

static void
test_set_ipv6(void **state)
{
    static const uint8_t protos[] = { FT_IPPROTO_TCP, FT_IPPROTO_UDP,
                                      FT_IPPROTO_ICMPV6 };
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    uint32_t seed = 0xfeedbeef;
    uint8_t f[BUF_SIZE];
    struct test_pkt tp;

    (void) state;
    for (int iter = 0; iter < 300; iter++) {
        uint8_t proto = protos[iter % 3];
        struct ft_dp_action *a;
        uint8_t old[40];
        const uint8_t *ip;
        size_t len;

        len = build_ipv6(f, iter & 1, proto, rand_next(&seed) % 50);
        test_pkt_init(&tp, f, len);
        ip = ft_packet_data(&tp.pkt) + tp.pkt.l3_ofs;
        memcpy(old, ip, 40);

        ft_dp_actions_clear(&acts);
        a = ft_dp_actions_put(&acts, FT_DPA_SET_IPV6);
        for (int i = 0; i < 16; i++) {
            a->ipv6.src.s6[i] = rand_next(&seed);
            a->ipv6.dst.s6[i] = rand_next(&seed);
            a->ipv6.src_mask.s6[i] = iter % 4 ? rand_next(&seed) : 0xff;
            a->ipv6.dst_mask.s6[i] = i >= 8 ? 0xff : 0;
        }
        a->ipv6.tclass = 0x5c;
        a->ipv6.tclass_mask = iter % 2 ? 0xff : 0;
        a->ipv6.label = 0xabcde;
        a->ipv6.label_mask = iter % 3 ? 0xfffff : 0;
        a->ipv6.hlimit = 17;
        a->ipv6.hlimit_mask = 0xff;

        assert_int_equal(ft_execute_actions(&tp.pkt, &acts, NULL, NULL), 0);
        assert_int_equal(ip[0] >> 4, 6);
        assert_int_equal((get16(ip) >> 4) & 0xff,
                         a->ipv6.tclass_mask ? 0x5c : 0xb4);
        assert_int_equal(get32(ip) & 0xfffff,
                         a->ipv6.label_mask ? 0xabcde : 0x12345);
        assert_int_equal(ip[7], 17);
        assert_memory_equal(ip + 4, old + 4, 3);
        for (int i = 0; i < 16; i++) {
            assert_int_equal(ip[8 + i],
                             (uint8_t) ((old[8 + i] & ~a->ipv6.src_mask.s6[i])
                                        | (a->ipv6.src.s6[i]
                                           & a->ipv6.src_mask.s6[i])));
            assert_int_equal(ip[24 + i], i >= 8 ? a->ipv6.dst.s6[i]
                                                : old[24 + i]);
        }
        check_csums(&tp.pkt);
    }
    ft_dp_actions_uninit(&acts);
}

static void
test_set_l4(void **state)
{
    static const uint8_t protos[] = { FT_IPPROTO_TCP, FT_IPPROTO_UDP,
                                      FT_IPPROTO_SCTP };
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    uint32_t seed = 77;
    uint8_t f[BUF_SIZE];
    struct test_pkt tp;

    (void) state;
    for (int iter = 0; iter < 300; iter++) {
        uint8_t proto = protos[iter % 3];
        struct ft_dp_action *a;
        const uint8_t *l4;
        uint16_t old_src, old_dst;
        size_t len;

        if (iter & 1) {
            len = build_ipv6(f, iter & 2, proto, rand_next(&seed) % 40);
        } else {
            len = build_ipv4(f, iter & 2, proto, rand_next(&seed) % 40);
        }
        test_pkt_init(&tp, f, len);
        l4 = ft_packet_data(&tp.pkt) + tp.pkt.l4_ofs;
        old_src = get16(l4);
        old_dst = get16(l4 + 2);

        ft_dp_actions_clear(&acts);
        a = ft_dp_actions_put(&acts, FT_DPA_SET_L4);
        a->l4.proto = proto;
        a->l4.src = rand_next(&seed);
        a->l4.dst = rand_next(&seed);
        a->l4.src_mask = iter % 4 ? 0xffff : 0;
        a->l4.dst_mask = rand_next(&seed);
        assert_int_equal(ft_execute_actions(&tp.pkt, &acts, NULL, NULL), 0);
        assert_int_equal(get16(l4), (uint16_t) ((old_src & ~a->l4.src_mask)
                                                | (a->l4.src
                                                   & a->l4.src_mask)));
        assert_int_equal(get16(l4 + 2),
                         (uint16_t) ((old_dst & ~a->l4.dst_mask)
                                     | (a->l4.dst & a->l4.dst_mask)));
        check_csums(&tp.pkt);

        /* The same action on a packet of another protocol is skipped. */
        a->l4.proto = protos[(iter + 1) % 3];
        test_pkt_init(&tp, f, len);
        assert_int_equal(ft_execute_actions(&tp.pkt, &acts, NULL, NULL),
                         -EINVAL);
        assert_memory_equal(ft_packet_data(&tp.pkt), f, len);
    }
    ft_dp_actions_uninit(&acts);
}

/* A UDP checksum update that yields 0 must be written as 0xffff. */
static void
test_udp_csum_zero_result(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dp_action *a;
    uint8_t f[BUF_SIZE], g[BUF_SIZE];
    struct test_pkt tp;
    size_t len;
    uint32_t port;

    (void) state;
    len = build_ipv4(f, 0, FT_IPPROTO_UDP, 12);
    /* Find the destination port for which the from-scratch checksum is 0,
     * i.e. the one's complement sum is 0xffff. */
    for (port = 0; port < 0x10000; port++) {
        memcpy(g, f, len);
        put16(g + 34 + 2, port);
        put16(g + 34 + 6, 0);
        if (!ref_l4_csum(g + 14, 0, FT_IPPROTO_UDP, g + 34, len - 34)) {
            break;
        }
    }
    assert_true(port < 0x10000);

    test_pkt_init(&tp, f, len);
    a = ft_dp_actions_put(&acts, FT_DPA_SET_L4);
    a->l4.proto = FT_IPPROTO_UDP;
    a->l4.dst = port;
    a->l4.dst_mask = 0xffff;
    assert_int_equal(ft_execute_actions(&tp.pkt, &acts, NULL, NULL), 0);
    assert_int_equal(get16(ft_packet_data(&tp.pkt) + 34 + 6), 0xffff);
    check_csums(&tp.pkt);
    ft_dp_actions_uninit(&acts);
}

/* ICMP type and code (Open vSwitch's set(icmp()) for mod_tp_src/dst on
 * ICMP), ICMPv4 and ICMPv6, with the checksum kept right; a packet of
 * another protocol is left alone. */
static void
test_set_icmp(void **state)
{
    static const uint8_t protos[] = { FT_IPPROTO_ICMP, FT_IPPROTO_ICMPV6 };
    uint8_t f[BUF_SIZE];
    struct test_pkt tp;

    (void) state;
    for (size_t i = 0; i < 3; i++) {
        struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
        struct ft_dp_action *a;
        const uint8_t *l4;
        size_t len;

        len = i == 2 ? build_ipv4(f, 0, FT_IPPROTO_TCP, 5)
              : protos[i] == FT_IPPROTO_ICMP
              ? build_ipv4(f, 1, FT_IPPROTO_ICMP, 13)
              : build_ipv6(f, 0, FT_IPPROTO_ICMPV6, 13);
        test_pkt_init(&tp, f, len);
        a = ft_dp_actions_put(&acts, FT_DPA_SET_L4);
        a->l4.proto = protos[i % 2];
        a->l4.src = 3;
        a->l4.dst = 13;
        a->l4.src_mask = a->l4.dst_mask = 0xff;
        l4 = ft_packet_data(&tp.pkt) + tp.pkt.l4_ofs;
        if (i == 2) {
            assert_int_not_equal(ft_execute_actions(&tp.pkt, &acts, NULL,
                                                    NULL), 0);
            assert_memory_equal(ft_packet_data(&tp.pkt), f, len);
        } else {
            assert_int_equal(ft_execute_actions(&tp.pkt, &acts, NULL, NULL),
                             0);
            assert_int_equal(l4[0], 3);
            assert_int_equal(l4[1], 13);
        }
        check_csums(&tp.pkt);
        ft_dp_actions_uninit(&acts);
    }
}

static void
test_crc32c_vector(void **state)
{
    (void) state;
    assert_int_equal(ft_execute_crc32c(0, "123456789", 9), 0xe3069283);
    /* Continuation gives the same result as one pass. */
    assert_int_equal(ft_execute_crc32c(ft_execute_crc32c(0, "1234", 4),
                                       "56789", 5), 0xe3069283);
}

/* SCTP with a wrong checksum stays wrong by the same difference. */
static void
test_sctp_bad_csum_stays_bad(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dp_action *a;
    uint8_t f[BUF_SIZE];
    struct test_pkt tp;
    uint8_t *l4;
    size_t len;

    (void) state;
    len = build_ipv4(f, 0, FT_IPPROTO_SCTP, 16);
    f[34 + 8] ^= 0x5a;
    test_pkt_init(&tp, f, len);
    a = ft_dp_actions_put(&acts, FT_DPA_SET_L4);
    a->l4.proto = FT_IPPROTO_SCTP;
    a->l4.src = 99;
    a->l4.src_mask = 0xffff;
    assert_int_equal(ft_execute_actions(&tp.pkt, &acts, NULL, NULL), 0);
    l4 = ft_packet_data(&tp.pkt) + 34;
    assert_int_equal(get16(l4), 99);
    l4[8] ^= 0x5a;
    check_csums(&tp.pkt);
    ft_dp_actions_uninit(&acts);
}

static void
test_set_tunnel(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dp_action *a;
    uint8_t f[BUF_SIZE];
    struct test_pkt tp;
    size_t len;

    (void) state;
    len = build_ipv4(f, 0, FT_IPPROTO_UDP, 4);
    test_pkt_init(&tp, f, len);
    assert_false(tp.pkt.tunnel.valid);
    a = ft_dp_actions_put(&acts, FT_DPA_SET_TUNNEL);
    a->tunnel.tun_id = 5001;
    a->tunnel.src = 0x0a000001;
    a->tunnel.dst = 0x0a000002;
    a->tunnel.ttl = 64;
    a->tunnel.tos = 0x10;
    a->tunnel.flags = FT_TNL_F_KEY | FT_TNL_F_DONT_FRAGMENT;
    a->tunnel.tp_dst = 4789;
    assert_int_equal(ft_execute_actions(&tp.pkt, &acts, NULL, NULL), 0);
    assert_true(tp.pkt.tunnel.valid);
    assert_int_equal(tp.pkt.tunnel.tun_id, 5001);
    assert_int_equal(tp.pkt.tunnel.src, 0x0a000001);
    assert_int_equal(tp.pkt.tunnel.dst, 0x0a000002);
    assert_int_equal(tp.pkt.tunnel.ttl, 64);
    assert_int_equal(tp.pkt.tunnel.tos, 0x10);
    assert_int_equal(tp.pkt.tunnel.flags,
                     FT_TNL_F_KEY | FT_TNL_F_DONT_FRAGMENT);
    assert_int_equal(tp.pkt.tunnel.tp_dst, 4789);
    assert_memory_equal(ft_packet_data(&tp.pkt), f, len);
    ft_dp_actions_uninit(&acts);
}

/* Rewrites the IPv4 total length or IPv6 payload length of the frame in
 * 'f' to end the datagram at 'len', if the IP header is all there. */
static void
fix_ip_length(uint8_t *f, size_t len)
{
    size_t l3 = len >= 14 && get16(f + 12) == FT_ETH_TYPE_VLAN ? 18 : 14;

    if (len < l3) {
        return;
    }
    if (get16(f + l3 - 2) == FT_ETH_TYPE_IP && len >= l3 + 20) {
        put16(f + l3 + 2, len - l3);
    } else if (get16(f + l3 - 2) == FT_ETH_TYPE_IPV6 && len >= l3 + 40) {
        put16(f + l3 + 4, len - l3 - 40);
    }
}

/* Every action on every prefix of several frames, each in a heap buffer of
 * exactly its size (plus optional headroom), so that ASan sees any access
 * past the frame. */
static void
test_truncated_frames(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_execute_stats st = { 0 };
    struct ft_dp_action *a;
    uint8_t frames[6][BUF_SIZE];
    size_t n_short_l4 = 0;
    size_t lens[6];

    (void) state;
    lens[0] = build_ipv4(frames[0], 1, FT_IPPROTO_TCP, 8);
    lens[1] = build_ipv4(frames[1], 0, FT_IPPROTO_UDP, 3);
    lens[2] = build_ipv4(frames[2], 1, FT_IPPROTO_SCTP, 4);
    lens[3] = build_ipv6(frames[3], 1, FT_IPPROTO_TCP, 2);
    lens[4] = build_ipv6(frames[4], 0, FT_IPPROTO_ICMPV6, 0);
    lens[5] = build_ipv6(frames[5], 1, FT_IPPROTO_SCTP, 0);

    a = ft_dp_actions_put(&acts, FT_DPA_SET_ETH);
    memset(a->eth.dst_mask.ea, 0xff, 6);
    a = ft_dp_actions_put(&acts, FT_DPA_SET_IPV4);
    a->ipv4.src_mask = a->ipv4.dst_mask = 0xffffffff;
    a->ipv4.src = 0x01020304;
    a->ipv4.ttl_mask = a->ipv4.tos_mask = 0xff;
    a = ft_dp_actions_put(&acts, FT_DPA_SET_IPV6);
    memset(a->ipv6.src_mask.s6, 0xff, 16);
    memset(a->ipv6.dst_mask.s6, 0xff, 16);
    a->ipv6.label_mask = 0xfffff;
    a->ipv6.hlimit_mask = 0xff;
    for (int p = 0; p < 3; p++) {
        static const uint8_t protos[] = { FT_IPPROTO_TCP, FT_IPPROTO_UDP,
                                          FT_IPPROTO_SCTP };

        a = ft_dp_actions_put(&acts, FT_DPA_SET_L4);
        a->l4.proto = protos[p];
        a->l4.src_mask = a->l4.dst_mask = 0xffff;
        a->l4.src = 1;
    }
    ft_dp_actions_put(&acts, FT_DPA_POP_VLAN);
    a = ft_dp_actions_put(&acts, FT_DPA_PUSH_VLAN);
    a->push_vlan.tpid = FT_ETH_TYPE_VLAN;
    a->push_vlan.tci = FT_VLAN_CFI | 1;
    ft_dp_actions_put_output(&acts, 1);

    for (int i = 0; i < 6; i++) {
        for (size_t len = 0; len <= lens[i]; len++) {
            for (size_t variant = 0; variant < 4; variant++) {
                size_t head = variant & 1 ? 4 : 0;
                uint8_t *mem = malloc(head + len + !(head + len));
                uint8_t cut[BUF_SIZE];
                struct ft_packet pkt;
                int error;

                memcpy(cut, frames[i], len);
                if (variant & 2) {
                    /* Make the IP header agree with the cut, so that the
                     * L4 header itself is what is short. */
                    fix_ip_length(cut, len);
                }
                ft_packet_init(&pkt, mem, head + len, head);
                assert_int_equal(ft_packet_set_frame(&pkt, cut, len), 0);
                error = ft_execute_actions(&pkt, &acts, NULL, &st);
                /* A whole frame has 2 of the 3 L4 protocols wrong and one
                 * of IPv4/IPv6 wrong; a cut one at least as much. */
                assert_int_not_equal(error, 0);
                assert_true(pkt.size <= head + len);
                if (variant & 2 && ft_packet_has_l4(&pkt)) {
                    n_short_l4++;
                }
                if (!len) {
                    assert_int_equal(pkt.size, 0);
                }
                free(mem);
            }
        }
    }
    assert_true(st.n_skipped > 0);
    assert_true(n_short_l4 > 0);
    assert_int_equal(st.n_actions + st.n_skipped, st.n_packets * acts.n);
    ft_dp_actions_uninit(&acts);
}

/* IPv4 header claiming more bytes than the frame has: no L3 is found and
 * L3/L4 rewrites are skipped, the Ethernet one still applies. */
static void
test_lying_lengths(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_execute_stats st = { 0 };
    struct ft_dp_action *a;
    uint8_t f[BUF_SIZE];
    struct test_pkt tp;
    size_t len;

    (void) state;
    len = build_ipv4(f, 0, FT_IPPROTO_TCP, 0);
    put16(f + 16, 1500);
    test_pkt_init(&tp, f, len);
    assert_false(ft_packet_has_l3(&tp.pkt));
    a = ft_dp_actions_put(&acts, FT_DPA_SET_IPV4);
    a->ipv4.ttl_mask = 0xff;
    a = ft_dp_actions_put(&acts, FT_DPA_SET_L4);
    a->l4.proto = FT_IPPROTO_TCP;
    a->l4.src_mask = 0xffff;
    a = ft_dp_actions_put(&acts, FT_DPA_SET_ETH);
    memset(a->eth.src_mask.ea, 0xff, 6);
    assert_int_equal(ft_execute_actions(&tp.pkt, &acts, NULL, &st), -EINVAL);
    assert_int_equal(st.n_skipped, 2);
    assert_int_equal(st.n_actions, 1);
    assert_memory_equal(ft_packet_data(&tp.pkt) + 12, f + 12, len - 12);

    /* IPv6 whose extension header runs past the payload: no L4. */
    len = build_ipv6(f, 1, FT_IPPROTO_TCP, 0);
    f[14 + 41] = 10;            /* Header length 88 bytes. */
    test_pkt_init(&tp, f, len);
    assert_true(ft_packet_has_l3(&tp.pkt));
    assert_false(ft_packet_has_l4(&tp.pkt));
    ft_dp_actions_uninit(&acts);
}

static void
test_batch(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_execute_hooks hooks = { capture_output, NULL, NULL };
    struct ft_execute_stats st = { 0 };
    struct capture *cap = calloc(1, sizeof *cap);
    struct ft_packet_batch batch;
    struct test_pkt *tps = calloc(3, sizeof *tps);
    struct ft_dp_action *a;
    uint8_t f[BUF_SIZE];
    size_t len;

    (void) state;
    hooks.aux = cap;
    ft_packet_batch_init(&batch);
    len = build_ipv4(f, 0, FT_IPPROTO_TCP, 5);
    for (int i = 0; i < 3; i++) {
        test_pkt_init(&tps[i], f, len);
        assert_true(ft_packet_batch_add(&batch, &tps[i].pkt));
    }
    a = ft_dp_actions_put(&acts, FT_DPA_SET_IPV4);
    a->ipv4.dst = 0x0a0a0a0a;
    a->ipv4.dst_mask = 0xffffffff;
    ft_dp_actions_put_output(&acts, 2);
    assert_int_equal(ft_execute_batch(&batch, &acts, &hooks, &st), 0);
    assert_int_equal(cap->n, 3);
    assert_int_equal(st.n_packets, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(get32(cap->frames[i] + 30), 0x0a0a0a0a);
        check_csums(&tps[i].pkt);
    }
    while (!ft_packet_batch_is_full(&batch)) {
        assert_true(ft_packet_batch_add(&batch, &tps[0].pkt));
    }
    assert_false(ft_packet_batch_add(&batch, &tps[0].pkt));
    assert_int_equal(batch.count, FT_PACKET_BATCH_MAX);
    ft_dp_actions_uninit(&acts);
    free(tps);
    free(cap);
}

/* ft_execute_action_n() against ft_execute_action() packet by packet, on
 * twin packets: the same frames, offsets and counts, for the VLAN push
 * it runs inline (one packet without headroom, which takes the tag in its
 * tailroom, and one too short, skipped) and for an action it dispatches
 * (an IPv4 rewrite, skipped on the short frame). */
static void
test_action_n(void **state)
{
    enum { N = 4 };
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct test_pkt *one = calloc(N, sizeof *one);
    struct test_pkt *many = calloc(N, sizeof *many);
    struct ft_packet *pkts[N];
    struct ft_dp_action *a;
    uint8_t f[BUF_SIZE];
    size_t len;

    (void) state;
    a = ft_dp_actions_put(&acts, FT_DPA_PUSH_VLAN);
    a->push_vlan.tpid = FT_ETH_TYPE_VLAN;
    a->push_vlan.tci = FT_VLAN_CFI | 3 << FT_VLAN_PCP_SHIFT | 100;
    a = ft_dp_actions_put(&acts, FT_DPA_SET_IPV4);
    a->ipv4.dst = 0x0a0a0a0a;
    a->ipv4.dst_mask = 0xffffffff;
    for (size_t k = 0; k < acts.n; k++) {
        struct ft_execute_stats st1 = { 0 }, stn = { 0 };

        for (int i = 0; i < N; i++) {
            len = build_ipv4(f, 0, i ? FT_IPPROTO_UDP : FT_IPPROTO_TCP,
                             i * 7);
            if (i == N - 1) {
                len = 10;
            }
            test_pkt_init(&one[i], f, len);
            test_pkt_init(&many[i], f, len);
            if (i == 1) {
                one[i].pkt.data_ofs = many[i].pkt.data_ofs = 0;
                memcpy(one[i].mem, f, len);
                memcpy(many[i].mem, f, len);
            }
            ft_packet_parse(&one[i].pkt);
            ft_packet_parse(&many[i].pkt);
            pkts[i] = &many[i].pkt;
            ft_execute_action(&one[i].pkt, &acts.acts[k], NULL, &st1);
        }
        ft_execute_action_n(pkts, N, &acts.acts[k], NULL, &stn);
        assert_int_equal(stn.n_actions, N - 1);
        assert_int_equal(stn.n_skipped, 1);
        assert_memory_equal(&stn, &st1, sizeof stn);
        for (int i = 0; i < N; i++) {
            const struct ft_packet *p1 = &one[i].pkt, *pn = &many[i].pkt;

            assert_int_equal(pn->size, p1->size);
            assert_int_equal(pn->data_ofs, p1->data_ofs);
            assert_int_equal(pn->l3_ofs, p1->l3_ofs);
            assert_int_equal(pn->l4_ofs, p1->l4_ofs);
            assert_int_equal(pn->l4_end, p1->l4_end);
            assert_memory_equal(ft_packet_data(pn), ft_packet_data(p1),
                                p1->size);
        }
        if (k == 0) {
            assert_int_equal(many[0].pkt.size, build_ipv4(f, 0,
                             FT_IPPROTO_TCP, 0) + FT_VLAN_HEADER_LEN);
            assert_int_equal(get16(ft_packet_data(&many[1].pkt) + 12),
                             FT_ETH_TYPE_VLAN);
        }
    }
    ft_dp_actions_uninit(&acts);
    free(one);
    free(many);
}

/* Makes the L4 checksum of the parsed 'pkt' partial, as a sender with
 * checksum offload leaves it: the field holds the pseudo-header sum. */
static void
make_partial(struct ft_packet *pkt)
{
    uint8_t *f = ft_packet_data(pkt);
    uint8_t *ip = f + pkt->l3_ofs, *l4 = f + pkt->l4_ofs;
    size_t len = pkt->l4_end - pkt->l4_ofs;
    int v6 = pkt->eth_type == FT_ETH_TYPE_IPV6;
    size_t ofs = pkt->l4_proto == FT_IPPROTO_TCP ? 16 : 6;
    uint32_t sum = v6 ? ref_sum(0, ip + 8, 32) : ref_sum(0, ip + 12, 8);

    sum += pkt->l4_proto + (uint32_t) len;
    put16(l4 + ofs, ~ref_fold(sum));
    pkt->offload.flags = FT_PACKET_OFL_CSUM;
    pkt->offload.csum_offset = ofs;
}

/* Completes the partial checksum of 'pkt' as a NIC does: the sum from the
 * L4 header to the end, field included, complemented into the field. */
static void
complete_like_nic(struct ft_packet *pkt)
{
    uint8_t *l4 = ft_packet_data(pkt) + pkt->l4_ofs;
    size_t len = pkt->l4_end - pkt->l4_ofs;

    put16(l4 + pkt->offload.csum_offset, ref_fold(ref_sum(0, l4, len)));
    pkt->offload.flags = 0;
}

/* Address and port rewrites and a VLAN push on a frame whose checksum is
 * partial: completed afterwards, it is the frame that the same actions
 * make from the fully summed original, byte for byte. */
static void
test_partial_csum_rewrites(void **state)
{
    static const uint8_t protos[] = { FT_IPPROTO_TCP, FT_IPPROTO_UDP };
    struct ft_dp_actions acts;
    struct ft_dp_action *a;
    struct test_pkt full, part;
    uint8_t f[BUF_SIZE];

    (void) state;
    for (int v6 = 0; v6 < 2; v6++) {
        for (size_t p = 0; p < 2; p++) {
            size_t len = (v6 ? build_ipv6(f, 0, protos[p], 333)
                          : build_ipv4(f, 0, protos[p], 333));

            ft_dp_actions_init(&acts);
            if (v6) {
                a = ft_dp_actions_put(&acts, FT_DPA_SET_IPV6);
                memset(&a->ipv6.dst, 0x5a, sizeof a->ipv6.dst);
                memset(&a->ipv6.dst_mask, 0xff, sizeof a->ipv6.dst_mask);
            } else {
                a = ft_dp_actions_put(&acts, FT_DPA_SET_IPV4);
                a->ipv4.src = 0xc0a80063;
                a->ipv4.src_mask = 0xffffffff;
                a->ipv4.dst = 0x0a0b0c0d;
                a->ipv4.dst_mask = 0xffffffff;
                a->ipv4.ttl = 3;
                a->ipv4.ttl_mask = 0xff;
            }
            a = ft_dp_actions_put(&acts, FT_DPA_SET_L4);
            a->l4.proto = protos[p];
            a->l4.src = 6000;
            a->l4.src_mask = 0xffff;
            a->l4.dst = 7001;
            a->l4.dst_mask = 0xffff;
            a = ft_dp_actions_put(&acts, FT_DPA_PUSH_VLAN);
            a->push_vlan.tpid = FT_ETH_TYPE_VLAN;
            a->push_vlan.tci = FT_VLAN_CFI | 100;

            test_pkt_init(&full, f, len);
            test_pkt_init(&part, f, len);
            make_partial(&part.pkt);
            assert_int_equal(ft_execute_actions(&full.pkt, &acts, NULL,
                                                NULL), 0);
            assert_int_equal(ft_execute_actions(&part.pkt, &acts, NULL,
                                                NULL), 0);
            assert_int_equal(part.pkt.offload.flags, FT_PACKET_OFL_CSUM);
            complete_like_nic(&part.pkt);
            check_csums(&full.pkt);
            assert_int_equal(part.pkt.size, full.pkt.size);
            assert_memory_equal(ft_packet_data(&part.pkt),
                                ft_packet_data(&full.pkt), full.pkt.size);
            ft_dp_actions_uninit(&acts);
        }
    }
}

/* The flow parser sees in the rewritten frame what the actions set. */
static void
test_extract_after_actions(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_dp_action *a;
    struct ft_flow before, after;
    uint8_t f[BUF_SIZE];
    struct test_pkt tp;
    size_t len;

    (void) state;
    len = build_ipv4(f, 0, FT_IPPROTO_TCP, 12);
    test_pkt_init(&tp, f, len);
    assert_int_equal(ft_flow_extract(f, len, 1, &before), 0);

    a = ft_dp_actions_put(&acts, FT_DPA_PUSH_VLAN);
    a->push_vlan.tpid = FT_ETH_TYPE_VLAN;
    a->push_vlan.tci = FT_VLAN_CFI | 3 << FT_VLAN_PCP_SHIFT | 999;
    a = ft_dp_actions_put(&acts, FT_DPA_SET_IPV4);
    a->ipv4.src = 0xac100001;
    a->ipv4.src_mask = 0xffffffff;
    a->ipv4.tos = 0xb8;
    a->ipv4.tos_mask = FT_IP_DSCP_MASK;
    a->ipv4.ttl = 3;
    a->ipv4.ttl_mask = 0xff;
    a = ft_dp_actions_put(&acts, FT_DPA_SET_L4);
    a->l4.proto = FT_IPPROTO_TCP;
    a->l4.dst = 8080;
    a->l4.dst_mask = 0xffff;
    assert_int_equal(ft_execute_actions(&tp.pkt, &acts, NULL, NULL), 0);
    assert_int_equal(ft_flow_extract(ft_packet_data(&tp.pkt), tp.pkt.size,
                                     1, &after), 0);

    assert_int_equal(after.vlans[0].tpid, FT_ETH_TYPE_VLAN);
    assert_int_equal(after.vlans[0].tci,
                     FT_VLAN_CFI | 3 << FT_VLAN_PCP_SHIFT | 999);
    assert_int_equal(after.nw_src, 0xac100001);
    assert_int_equal(after.nw_tos, 0xb8 | (before.nw_tos & FT_IP_ECN_MASK));
    assert_int_equal(after.nw_ttl, 3);
    assert_int_equal(after.tp_dst, 8080);
    /* Everything else is as before. */
    after.vlans[0] = before.vlans[0];
    after.nw_src = before.nw_src;
    after.nw_tos = before.nw_tos;
    after.nw_ttl = before.nw_ttl;
    after.tp_dst = before.tp_dst;
    assert_true(ft_flow_equal(&after, &before));

    /* And popping the tag gives the original key back at L2. */
    ft_dp_actions_clear(&acts);
    ft_dp_actions_put(&acts, FT_DPA_POP_VLAN);
    assert_int_equal(ft_execute_actions(&tp.pkt, &acts, NULL, NULL), 0);
    assert_int_equal(ft_flow_extract(ft_packet_data(&tp.pkt), tp.pkt.size,
                                     1, &after), 0);
    assert_int_equal(after.vlans[0].tci, 0);
    assert_int_equal(after.dl_type, FT_ETH_TYPE_IP);
    ft_dp_actions_uninit(&acts);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_offsets),
        cmocka_unit_test(test_output_snapshots),
        cmocka_unit_test(test_set_eth_masked),
        cmocka_unit_test(test_vlan_push_pop),
        cmocka_unit_test(test_vlan_push_no_headroom),
        cmocka_unit_test(test_set_ipv4_random),
        cmocka_unit_test(test_set_ipv6),
        cmocka_unit_test(test_set_l4),
        cmocka_unit_test(test_udp_csum_zero_result),
        cmocka_unit_test(test_crc32c_vector),
        cmocka_unit_test(test_sctp_bad_csum_stays_bad),
        cmocka_unit_test(test_set_tunnel),
        cmocka_unit_test(test_truncated_frames),
        cmocka_unit_test(test_lying_lengths),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_action_n),
        cmocka_unit_test(test_set_icmp),
        cmocka_unit_test(test_extract_after_actions),
        cmocka_unit_test(test_partial_csum_rewrites),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test-field.c - unit tests for the field table (mgmt/flowsyntax/field.c): names and
 * synonyms, storage of every field in struct ft_flow, OF1.0 VLAN
 * semantics, prerequisites, value parsing and printing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mgmt/flowsyntax/field.h"

static void
test_ids_and_names(void **state)
{
    (void) state;
    for (int i = 0; i < FT_N_FIELDS; i++) {
        const struct ft_field *f = ft_field_from_id(i);

        assert_non_null(f);
        assert_int_equal(f->id, i);
        assert_non_null(f->name);
        assert_ptr_equal(ft_field_from_name(f->name), f);
        if (f->nxm_name) {
            assert_ptr_equal(ft_field_from_name(f->nxm_name), f);
        }
        assert_true(f->ofs + (f->n_bytes) <= sizeof(struct ft_flow));
        assert_true(f->n_bits <= f->n_bytes * 8);
    }
    assert_null(ft_field_from_name("no_such_field"));
    assert_null(ft_field_from_name(""));
}

static void
test_synonyms(void **state)
{
    static const struct {
        const char *name;
        enum ft_field_id id;
    } cases[] = {
        { "in_port", FT_F_IN_PORT }, { "tun_id", FT_F_TUN_ID },
        { "tunnel_id", FT_F_TUN_ID }, { "tun_src", FT_F_TUN_SRC },
        { "tun_dst", FT_F_TUN_DST }, { "metadata", FT_F_METADATA },
        { "reg0", FT_F_REG0 }, { "reg7", FT_F_REG7 },
        { "NXM_NX_REG0", FT_F_REG0 }, { "NXM_NX_REG7", FT_F_REG7 },
        { "dl_src", FT_F_ETH_SRC }, { "eth_src", FT_F_ETH_SRC },
        { "NXM_OF_ETH_SRC", FT_F_ETH_SRC }, { "dl_dst", FT_F_ETH_DST },
        { "eth_dst", FT_F_ETH_DST }, { "dl_type", FT_F_ETH_TYPE },
        { "eth_type", FT_F_ETH_TYPE }, { "vlan_tci", FT_F_VLAN_TCI },
        { "dl_vlan", FT_F_DL_VLAN }, { "dl_vlan_pcp", FT_F_DL_VLAN_PCP },
        { "vlan_vid", FT_F_VLAN_VID }, { "vlan_pcp", FT_F_VLAN_PCP },
        { "nw_src", FT_F_IPV4_SRC }, { "ip_src", FT_F_IPV4_SRC },
        { "NXM_OF_IP_SRC", FT_F_IPV4_SRC }, { "nw_dst", FT_F_IPV4_DST },
        { "ip_dst", FT_F_IPV4_DST }, { "ipv6_src", FT_F_IPV6_SRC },
        { "ipv6_dst", FT_F_IPV6_DST }, { "ipv6_label", FT_F_IPV6_LABEL },
        { "nw_proto", FT_F_IP_PROTO }, { "ip_proto", FT_F_IP_PROTO },
        { "nw_tos", FT_F_IP_TOS }, { "ip_dscp", FT_F_IP_DSCP },
        { "nw_ecn", FT_F_IP_ECN }, { "ip_ecn", FT_F_IP_ECN },
        { "nw_ttl", FT_F_IP_TTL }, { "nw_frag", FT_F_IP_FRAG },
        { "arp_op", FT_F_ARP_OP }, { "arp_spa", FT_F_ARP_SPA },
        { "arp_tpa", FT_F_ARP_TPA }, { "arp_sha", FT_F_ARP_SHA },
        { "arp_tha", FT_F_ARP_THA }, { "tp_src", FT_F_TP_SRC },
        { "tp_dst", FT_F_TP_DST }, { "tcp_src", FT_F_TCP_SRC },
        { "tcp_dst", FT_F_TCP_DST }, { "udp_src", FT_F_UDP_SRC },
        { "udp_dst", FT_F_UDP_DST }, { "sctp_src", FT_F_SCTP_SRC },
        { "sctp_dst", FT_F_SCTP_DST }, { "tcp_flags", FT_F_TCP_FLAGS },
        { "icmp_type", FT_F_ICMP_TYPE }, { "icmp_code", FT_F_ICMP_CODE },
        { "icmpv6_type", FT_F_ICMPV6_TYPE },
        { "icmpv6_code", FT_F_ICMPV6_CODE },
    };

    (void) state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct ft_field *f = ft_field_from_name(cases[i].name);

        assert_non_null(f);
        assert_int_equal(f->id, cases[i].id);
    }
}

/* Every field's value lands where struct ft_flow says, and reads back. */
static void
test_get_set_storage(void **state)
{
    struct ft_flow flow;
    union ft_value v, m;
    const struct ft_field *f;

    (void) state;
    ft_flow_zero(&flow);
    memset(&v, 0, sizeof v);
    v.u64 = 0x12345678;
    ft_field_set(ft_field_from_id(FT_F_REG3), &v, NULL, &flow);
    assert_int_equal(flow.regs[3], 0x12345678);

    v.u64 = 5;
    ft_field_set(ft_field_from_id(FT_F_VLAN_PCP), &v, NULL, &flow);
    assert_int_equal(flow.vlans[0].tci, 5 << 13);

    v.u64 = 0x10;
    ft_field_set(ft_field_from_id(FT_F_IP_TOS), &v, NULL, &flow);
    v.u64 = 3;
    ft_field_set(ft_field_from_id(FT_F_IP_ECN), &v, NULL, &flow);
    assert_int_equal(flow.nw_tos, 0x13);
    ft_field_get(ft_field_from_id(FT_F_IP_DSCP), &flow, &v);
    assert_int_equal(v.u64, 4);
    ft_field_get(ft_field_from_id(FT_F_IP_TOS), &flow, &v);
    assert_int_equal(v.u64, 0x10);

    /* Overlays: arp_spa is nw_src, icmp_type is tp_src. */
    v.u64 = 0x0a000001;
    ft_field_set(ft_field_from_id(FT_F_ARP_SPA), &v, NULL, &flow);
    assert_int_equal(flow.nw_src, 0x0a000001);
    v.u64 = 8;
    ft_field_set(ft_field_from_id(FT_F_ICMP_TYPE), &v, NULL, &flow);
    assert_int_equal(flow.tp_src, 8);

    f = ft_field_from_id(FT_F_ETH_SRC);
    memset(&v, 0, sizeof v);
    memset(&m, 0, sizeof m);
    v.mac.ea[0] = 0xaa;
    v.mac.ea[5] = 0x55;
    m.mac.ea[0] = 0xff;
    ft_field_set(f, &v, &m, &flow);
    assert_int_equal(flow.dl_src.ea[0], 0xaa);
    assert_int_equal(flow.dl_src.ea[5], 0);     /* Masked out. */

    /* Masked integer write leaves the other bits alone. */
    flow.regs[0] = 0xffff0000;
    memset(&v, 0, sizeof v);
    memset(&m, 0, sizeof m);
    v.u64 = 0x5;
    m.u64 = 0xf;
    ft_field_set(ft_field_from_id(FT_F_REG0), &v, &m, &flow);
    assert_int_equal(flow.regs[0], 0xffff0005);
}

static void
test_vlan_semantics(void **state)
{
    struct ft_match match;
    union ft_value v;

    (void) state;
    memset(&v, 0, sizeof v);
    ft_match_init_catchall(&match);
    v.u64 = 5;
    ft_match_set_field(&match, ft_field_from_id(FT_F_DL_VLAN), &v, NULL);
    assert_int_equal(match.flow.vlans[0].tci, 0x1005);
    assert_int_equal(match.mask.vlans[0].tci, 0x1fff);

    v.u64 = 3;
    ft_match_set_field(&match, ft_field_from_id(FT_F_DL_VLAN_PCP), &v, NULL);
    assert_int_equal(match.flow.vlans[0].tci, 0x7005);
    assert_int_equal(match.mask.vlans[0].tci, 0xffff);

    ft_match_init_catchall(&match);
    v.u64 = 0xffff;
    ft_match_set_field(&match, ft_field_from_id(FT_F_DL_VLAN), &v, NULL);
    assert_int_equal(match.flow.vlans[0].tci, 0);
    assert_int_equal(match.mask.vlans[0].tci, 0xffff);

    ft_match_init_catchall(&match);
    v.u64 = 0x1005;
    ft_match_set_field(&match, ft_field_from_id(FT_F_VLAN_VID), &v, NULL);
    assert_int_equal(match.flow.vlans[0].tci, 0x1005);
    assert_int_equal(match.mask.vlans[0].tci, 0x1fff);
}

static void
test_prereqs(void **state)
{
    struct ft_flow flow, wc;
    const struct ft_field *tp_dst = ft_field_from_id(FT_F_TP_DST);
    const struct ft_field *tcp_dst = ft_field_from_id(FT_F_TCP_DST);
    const struct ft_field *icmp6 = ft_field_from_id(FT_F_ICMPV6_TYPE);
    const struct ft_field *pcp = ft_field_from_id(FT_F_VLAN_PCP);

    (void) state;
    ft_flow_zero(&flow);
    ft_flow_zero(&wc);
    assert_false(ft_field_prereqs_ok(tp_dst, &flow, &wc));
    assert_int_equal(wc.dl_type, 0xffff);

    flow.dl_type = FT_ETH_TYPE_IP;
    flow.nw_proto = FT_IPPROTO_UDP;
    ft_flow_zero(&wc);
    assert_true(ft_field_prereqs_ok(tp_dst, &flow, &wc));
    assert_false(ft_field_prereqs_ok(tcp_dst, &flow, NULL));
    assert_int_equal(wc.nw_proto, 0xff);
    assert_int_equal(wc.dl_type, 0xffff);

    flow.dl_type = FT_ETH_TYPE_IPV6;
    flow.nw_proto = FT_IPPROTO_ICMPV6;
    assert_true(ft_field_prereqs_ok(icmp6, &flow, NULL));
    assert_false(ft_field_prereqs_ok(tp_dst, &flow, NULL));
    assert_false(ft_field_prereqs_ok(ft_field_from_id(FT_F_ICMP_TYPE),
                                     &flow, NULL));

    ft_flow_zero(&wc);
    assert_false(ft_field_prereqs_ok(pcp, &flow, &wc));
    assert_int_equal(wc.vlans[0].tci, FT_VLAN_CFI);
    flow.vlans[0].tci = FT_VLAN_CFI | 5;
    assert_true(ft_field_prereqs_ok(pcp, &flow, NULL));
    assert_true(ft_field_prereqs_ok(ft_field_from_id(FT_F_REG0), &flow,
                                    NULL));
}

static void
test_unwildcard_and_masks(void **state)
{
    struct ft_flow wc;
    union ft_value m;
    const struct ft_field *dscp = ft_field_from_id(FT_F_IP_DSCP);
    const struct ft_field *ip6 = ft_field_from_id(FT_F_IPV6_SRC);

    (void) state;
    ft_flow_zero(&wc);
    ft_field_unwildcard(dscp, NULL, &wc);
    assert_int_equal(wc.nw_tos, 0xfc);
    ft_field_unwildcard(ft_field_from_id(FT_F_DL_VLAN), NULL, &wc);
    assert_int_equal(wc.vlans[0].tci, 0x1fff);

    ft_field_full_mask(ip6, &m);
    assert_true(ft_field_mask_is_exact(ip6, &m));
    assert_false(ft_field_mask_is_zero(ip6, &m));
    m.bytes[15] = 0xfe;
    assert_false(ft_field_mask_is_exact(ip6, &m));
    memset(&m, 0, sizeof m);
    assert_true(ft_field_mask_is_zero(ip6, &m));

    ft_field_full_mask(ft_field_from_id(FT_F_IPV6_LABEL), &m);
    assert_int_equal(m.u64, 0xfffff);
    ft_field_full_mask(ft_field_from_id(FT_F_IP_TOS), &m);
    assert_int_equal(m.u64, 0xfc);
}

/* Parses 'text' for field 'name' and prints it back. */
static int
parse_format(const char *name, const char *text, char *out, size_t size)
{
    const struct ft_field *f = ft_field_from_name(name);
    union ft_value v, m;
    struct ft_error err;
    struct ds ds = DS_EMPTY_INITIALIZER;
    int error;

    assert_non_null(f);
    error = ft_field_parse(f, text, &v, &m, &err);
    if (error) {
        assert_int_equal(err.code, error);
        assert_true(strlen(err.reason) > 0);
        snprintf(out, size, "%s", err.reason);
        return error;
    }
    ft_field_format(f, &v, &m, &ds);
    snprintf(out, size, "%s", ds_cstr(&ds));
    ds_destroy(&ds);
    return 0;
}

static void
test_parse_format(void **state)
{
    static const struct {
        const char *field, *in, *out;
    } ok[] = {
        { "nw_src", "10.0.0.0/8", "10.0.0.0/8" },
        { "nw_src", "10.1.2.3/255.255.0.0", "10.1.0.0/16" },
        { "nw_src", "10.1.2.3/255.0.255.0", "10.0.2.0/255.0.255.0" },
        { "nw_src", "1.2.3.4/32", "1.2.3.4" },
        { "ipv6_src", "2001:db8::1/32", "2001:db8::/32" },
        { "ipv6_src", "::1/ffff::ffff", "::1/ffff::ffff" },
        { "dl_src", "01:02:03:04:05:06/ff:ff:ff:00:00:00",
          "01:02:03:00:00:00/ff:ff:ff:00:00:00" },
        { "dl_src", "a:b:c:d:e:f", "0a:0b:0c:0d:0e:0f" },
        { "reg0", "0x10", "0x10" },
        { "reg0", "16/0xf0", "0x10/0xf0" },
        { "tp_dst", "80", "80" },
        { "tp_dst", "0x50/0xfff0", "0x50/0xfff0" },
        { "tcp_flags", "+syn-ack", "+syn-ack" },
        { "tcp_flags", "syn|ack", "syn|ack" },
        { "tcp_flags", "0x12/0x12", "+syn+ack" },
        { "nw_frag", "later", "later" },
        { "nw_frag", "not_later", "not_later" },
        { "nw_frag", "yes", "yes" },
        { "tun_id", "0x0", "0" },
        { "vlan_pcp", "7", "7" },
    };
    static const struct {
        const char *field, *in, *why;
    } bad[] = {
        { "nw_src", "10.0.0.300", "not an IPv4 address" },
        { "nw_src", "10.0.0.1/33", "prefix length" },
        { "nw_src", "10.0.0", "not an IPv4 address" },
        { "ipv6_src", "2001:db8::g", "not an IPv6 address" },
        { "ipv6_src", "::1/129", "prefix length" },
        { "dl_src", "00:11:22:33:44", "not an Ethernet address" },
        { "dl_src", "00:11:22:33:44:55:66", "not an Ethernet address" },
        { "tp_dst", "65536", "out of range" },
        { "tp_dst", "-1", "not a number" },
        { "dl_vlan", "4096", "out of range" },
        { "vlan_pcp", "8", "out of range" },
        { "ip_dscp", "64", "out of range" },
        { "nw_tos", "3", "ECN bits" },
        { "nw_ttl", "1/1", "does not take a mask" },
        { "tcp_flags", "+syn+bogus", "not a TCP flag" },
        { "nw_frag", "maybe", "not one of" },
        { "reg0", "0x100000000", "out of range" },
        { "reg0", "", "missing value" },
        { "reg0", "5/", "missing mask" },
    };
    char buf[FT_ERROR_REASON_MAX];

    (void) state;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(parse_format(ok[i].field, ok[i].in, buf,
                                      sizeof buf), 0);
        assert_string_equal(buf, ok[i].out);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse_format(bad[i].field, bad[i].in, buf,
                                      sizeof buf), -EINVAL);
        if (!strstr(buf, bad[i].why)) {
            fail_msg("%s=%s: '%s' lacks '%s'", bad[i].field, bad[i].in, buf,
                     bad[i].why);
        }
    }
}

/* The number appenders the flow printers use instead of printf must write
 * what printf writes, for every width and the edges of each range. */
static void
test_ds_numbers_match_printf(void **state)
{
    static const unsigned long long int values[] = {
        0, 1, 9, 10, 15, 16, 99, 100, 255, 256, 0xfff, 0x1000, 65535,
        65536, 0xfffff, 4294967295ULL, 4294967296ULL, 0x8000000000000000ULL,
        18446744073709551615ULL,
    };
    uint64_t x = 0x9e3779b97f4a7c15ULL;

    (void) state;
    for (size_t i = 0; i < 1000 + sizeof values / sizeof values[0]; i++) {
        unsigned long long int v;
        char want[64], long_want[512];
        struct ds ds = DS_EMPTY_INITIALIZER;

        if (i < sizeof values / sizeof values[0]) {
            v = values[i];
        } else {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v = x >> (i % 64);
        }
        ds_put_uint(&ds, v);
        snprintf(want, sizeof want, "%llu", v);
        assert_string_equal(ds_cstr(&ds), want);
        for (int width = 0; width <= 17; width++) {
            ds_clear(&ds);
            ds_put_hex(&ds, v, width);
            snprintf(want, sizeof want, "%0*llx", width ? width : 1, v);
            assert_string_equal(ds_cstr(&ds), want);
        }
        ds_clear(&ds);
        ds_put_hex_0x(&ds, v);
        snprintf(want, sizeof want, "%#llx", v);
        assert_string_equal(ds_cstr(&ds), want);

        /* And ds_put_format() past the room it first tries. */
        ds_clear(&ds);
        long_want[0] = '\0';
        for (int k = 0; k < 20; k++) {
            size_t len = strlen(long_want);

            ds_put_format(&ds, "%llu,", v);
            snprintf(long_want + len, sizeof long_want - len, "%llu,", v);
        }
        assert_string_equal(ds_cstr(&ds), long_want);
        ds_destroy(&ds);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_and_names),
        cmocka_unit_test(test_synonyms),
        cmocka_unit_test(test_get_set_storage),
        cmocka_unit_test(test_vlan_semantics),
        cmocka_unit_test(test_prereqs),
        cmocka_unit_test(test_unwildcard_and_masks),
        cmocka_unit_test(test_parse_format),
        cmocka_unit_test(test_ds_numbers_match_printf),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

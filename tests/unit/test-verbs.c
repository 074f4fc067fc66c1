/*
 * test-verbs.c - unit tests for the verbs provider's translation of
 * megaflows into ibv_flow_attr and ibv_flow_spec_* lists
 * (offload/verbs-spec.c): golden lists with each spec's type, size and
 * fields in network order read back from the rule's bytes, the text that
 * shows a rule, the counter spec, and the refusals' words.  No device is
 * involved: the VM test (tests/vm/test-verbs-rxe.sh) probes a real one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>

#include <cmocka.h>

#include "flowtier/ds.h"
#include "offload/verbs-spec.h"

/* The bytes of each spec of 'r' in order: offsets into r->buf. */
static size_t
spec_offsets(const struct ft_verbs_rule *r, size_t ofs[], size_t max)
{
    size_t at = sizeof r->attr, n = 0;

    for (unsigned int i = 0; i < r->attr.num_of_specs && n < max; i++) {
        struct ibv_flow_spec h;

        memcpy(&h.hdr, &r->buf[at], sizeof h.hdr);
        assert_true(h.hdr.size >= sizeof h.hdr);
        assert_true(at + h.hdr.size <= r->len);
        ofs[n++] = at;
        at += h.hdr.size;
    }
    assert_int_equal(at, r->len);
    return n;
}

static void
spec_at(const struct ft_verbs_rule *r, size_t ofs, void *spec, size_t size,
        int type)
{
    struct ibv_flow_spec h;

    memcpy(&h.hdr, &r->buf[ofs], sizeof h.hdr);
    assert_int_equal(h.hdr.type, type);
    assert_int_equal(h.hdr.size, size);
    memcpy(spec, &r->buf[ofs], size);
}

static void
base_match(struct ft_match *m)
{
    memset(m, 0, sizeof *m);
    m->flow.in_port = 1;
    m->mask.in_port = UINT32_MAX;
}

static void
set_udp4(struct ft_match *m)
{
    static const uint8_t dst[6] = { 2, 0, 0, 0, 0, 9 };

    memcpy(m->flow.dl_dst.ea, dst, 6);
    memset(m->mask.dl_dst.ea, 0xff, 6);
    m->flow.vlans[0].tci = FT_VLAN_CFI | 100;
    m->mask.vlans[0].tci = FT_VLAN_CFI | 0x0fff;
    m->flow.dl_type = FT_ETH_TYPE_IP;
    m->mask.dl_type = 0xffff;
    m->flow.nw_dst = 0x0a010203;
    m->mask.nw_dst = 0xffffff00;
    m->flow.nw_proto = FT_IPPROTO_UDP;
    m->mask.nw_proto = 0xff;
    m->flow.tp_dst = 53;
    m->mask.tp_dst = 0xffff;
}

/* dl_dst=02:00:00:00:00:09,dl_vlan=100,udp,nw_dst=10.1.2.0/24,tp_dst=53
 * actions:drop -> eth, ipv4_ext, udp, action_drop, action_count. */
static void
test_udp4_drop_counted(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ibv_flow_spec_eth eth;
    struct ibv_flow_spec_ipv4_ext ip;
    struct ibv_flow_spec_tcp_udp udp;
    struct ibv_flow_spec_action_drop drop;
    struct ibv_flow_spec_counter_action count;
    struct ft_verbs_rule r;
    struct ft_error err;
    struct ft_match m;
    size_t ofs[8];

    (void) state;
    base_match(&m);
    set_udp4(&m);
    assert_int_equal(ft_verbs_xlate(&m, &acts, 2, true, &r, &err), 0);
    assert_int_equal(r.attr.type, IBV_FLOW_ATTR_NORMAL);
    assert_int_equal(r.attr.port, 2);
    assert_int_equal(r.attr.num_of_specs, 5);
    assert_int_equal(spec_offsets(&r, ofs, 8), 5);
    /* x86-64 ABI sizes of the verbs structs: 20 + 40 + 32 + 16 + 8 + 16. */
    assert_int_equal(r.attr.size, 132);
    assert_int_equal(r.len, 132);

    spec_at(&r, ofs[0], &eth, 40, IBV_FLOW_SPEC_ETH);
    assert_memory_equal(eth.val.dst_mac, "\x02\0\0\0\0\x09", 6);
    assert_memory_equal(eth.mask.dst_mac, "\xff\xff\xff\xff\xff\xff", 6);
    assert_memory_equal(eth.mask.src_mac, "\0\0\0\0\0\0", 6);
    assert_int_equal(eth.val.ether_type, htons(0x0800));
    assert_int_equal(eth.mask.ether_type, 0xffff);
    /* The tag as on the wire: FlowTier's "present" bit is not DEI. */
    assert_int_equal(eth.val.vlan_tag, htons(100));
    assert_int_equal(eth.mask.vlan_tag, htons(0x0fff));

    spec_at(&r, ofs[1], &ip, 32, IBV_FLOW_SPEC_IPV4_EXT);
    assert_int_equal(ip.val.dst_ip, htonl(0x0a010200));
    assert_int_equal(ip.mask.dst_ip, htonl(0xffffff00));
    assert_int_equal(ip.mask.src_ip, 0);
    assert_int_equal(ip.val.proto, 17);
    assert_int_equal(ip.mask.proto, 0xff);
    assert_int_equal(ip.mask.tos, 0);
    assert_int_equal(ip.mask.ttl, 0);

    spec_at(&r, ofs[2], &udp, 16, IBV_FLOW_SPEC_UDP);
    assert_int_equal(udp.val.dst_port, htons(53));
    assert_int_equal(udp.mask.dst_port, 0xffff);
    assert_int_equal(udp.mask.src_port, 0);

    spec_at(&r, ofs[3], &drop, 8, IBV_FLOW_SPEC_ACTION_DROP);
    spec_at(&r, ofs[4], &count, 16, IBV_FLOW_SPEC_ACTION_COUNT);
    assert_null(count.counters);
    assert_int_equal(ft_verbs_rule_set_counters(
                         &r, (struct ibv_counters *) &m), 0);
    spec_at(&r, ofs[4], &count, 16, IBV_FLOW_SPEC_ACTION_COUNT);
    assert_ptr_equal(count.counters, &m);
}

/* The same rule, shown. */
static void
test_format(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ds s = DS_EMPTY_INITIALIZER;
    struct ft_verbs_rule r;
    struct ft_error err;
    struct ft_match m;

    (void) state;
    base_match(&m);
    set_udp4(&m);
    assert_int_equal(ft_verbs_xlate(&m, &acts, 1, true, &r, &err), 0);
    ft_verbs_rule_format(&r, &s);
    assert_string_equal(ds_cstr(&s),
        "ibv_create_flow port 1 priority 0 specs 5 size 132\n"
        "  eth dst 02:00:00:00:00:09/ff:ff:ff:ff:ff:ff type 0x0800/0xffff "
        "vlan_tag 0x0064/0x0fff (size 40)\n"
        "  ipv4_ext dst 10.1.2.0/255.255.255.0 proto 17/255 (size 32)\n"
        "  udp dst_port 53/65535 (size 16)\n"
        "  action_drop (size 8)\n"
        "  action_count (size 16)\n");
    ds_destroy(&s);
}

/* IPv6 TCP from port 22, untagged not asked, no counter: eth, ipv6, tcp,
 * drop; no counter spec to set. */
static void
test_tcp6_uncounted(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ibv_flow_spec_ipv6 ip;
    struct ibv_flow_spec_tcp_udp tcp;
    struct ft_verbs_rule r;
    struct ft_error err;
    struct ft_match m;
    size_t ofs[8];

    (void) state;
    base_match(&m);
    m.flow.dl_type = FT_ETH_TYPE_IPV6;
    m.mask.dl_type = 0xffff;
    m.flow.ipv6_src.s6[0] = 0xfd;
    m.flow.ipv6_src.s6[15] = 1;
    memset(m.mask.ipv6_src.s6, 0xff, 16);
    m.flow.nw_proto = FT_IPPROTO_TCP;
    m.mask.nw_proto = 0xff;
    m.flow.nw_ttl = 64;
    m.mask.nw_ttl = 0xff;
    m.flow.tp_src = 22;
    m.mask.tp_src = 0xffff;
    assert_int_equal(ft_verbs_xlate(&m, &acts, 1, false, &r, &err), 0);
    assert_int_equal(spec_offsets(&r, ofs, 8), 4);
    assert_int_equal(r.attr.size, 20 + 40 + 88 + 16 + 8);
    spec_at(&r, ofs[1], &ip, 88, IBV_FLOW_SPEC_IPV6);
    assert_int_equal(ip.val.src_ip[0], 0xfd);
    assert_int_equal(ip.val.src_ip[15], 1);
    assert_int_equal(ip.mask.src_ip[7], 0xff);
    assert_int_equal(ip.mask.dst_ip[0], 0);
    assert_int_equal(ip.val.next_hdr, 6);
    assert_int_equal(ip.val.hop_limit, 64);
    assert_int_equal(ip.mask.flow_label, 0);
    spec_at(&r, ofs[2], &tcp, 16, IBV_FLOW_SPEC_TCP);
    assert_int_equal(tcp.val.src_port, htons(22));
    assert_int_equal(tcp.mask.dst_port, 0);
    assert_int_equal(ft_verbs_rule_set_counters(&r, NULL), -ENOENT);
}

/* Expects 'm' with 'acts' refused with -EOPNOTSUPP and a reason holding
 * 'words'. */
static void
expect_refusal(const struct ft_match *m, const struct ft_dp_actions *acts,
               const char *words)
{
    struct ft_verbs_rule r;
    struct ft_error err;

    ft_error_clear(&err);
    assert_int_equal(ft_verbs_xlate(m, acts, 1, true, &r, &err),
                     -EOPNOTSUPP);
    if (!strstr(err.reason, words) || strncmp(err.reason, "verbs: ", 7)) {
        fail_msg("reason '%s' lacks '%s'", err.reason, words);
    }
}

static void
test_refused_actions(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_match m;

    (void) state;
    base_match(&m);
    set_udp4(&m);
    ft_dp_actions_put_output(&acts, 3);
    expect_refusal(&m, &acts, "output to port 3 is not offloadable");
    ft_dp_actions_uninit(&acts);
    ft_dp_actions_init(&acts);
    ft_dp_actions_put(&acts, FT_DPA_USERSPACE);
    expect_refusal(&m, &acts, "action userspace is not offloadable");
    ft_dp_actions_uninit(&acts);
    ft_dp_actions_init(&acts);
    ft_dp_actions_put(&acts, FT_DPA_POP_VLAN);
    ft_dp_actions_put_output(&acts, 3);
    expect_refusal(&m, &acts, "VLAN push or pop are not offloadable");
    ft_dp_actions_uninit(&acts);
}

static void
test_refused_matches(void **state)
{
    struct ft_dp_actions acts = FT_DP_ACTIONS_INITIALIZER;
    struct ft_match m;

    (void) state;
    base_match(&m);
    m.mask.vlans[0].tci = FT_VLAN_CFI;
    expect_refusal(&m, &acts, "the absence of a VLAN tag");
    m.flow.vlans[0].tci = FT_VLAN_CFI;
    expect_refusal(&m, &acts, "without its VID or PCP");

    base_match(&m);
    set_udp4(&m);
    m.mask.nw_frag = FT_FRAG_MASK;
    expect_refusal(&m, &acts, "fragment state (nw_frag)");

    base_match(&m);
    set_udp4(&m);
    m.flow.nw_proto = FT_IPPROTO_TCP;
    m.mask.tcp_flags = 0x02;
    expect_refusal(&m, &acts, "tcp_flags");

    base_match(&m);
    set_udp4(&m);
    m.flow.nw_proto = FT_IPPROTO_ICMP;
    expect_refusal(&m, &acts, "ICMP type or code");

    base_match(&m);
    m.flow.dl_type = FT_ETH_TYPE_ARP;
    m.mask.dl_type = 0xffff;
    m.mask.nw_proto = 0xff;
    expect_refusal(&m, &acts, "ARP fields");

    base_match(&m);
    m.mask.tun_id = 1;
    expect_refusal(&m, &acts, "tunnel decapsulation");

    base_match(&m);
    m.mask.in_port = 0;
    expect_refusal(&m, &acts, "a wildcarded in_port");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp4_drop_counted),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_tcp6_uncounted),
        cmocka_unit_test(test_refused_actions),
        cmocka_unit_test(test_refused_matches),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

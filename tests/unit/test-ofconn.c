/*
 * test-ofconn.c - unit tests for mgmt/openflow/: version negotiation, a
 * FLOW_MOD as ovs-ofctl sends it (bytes recorded from ovs-ofctl 3.1) put
 * in the bridge and read back through a FLOW multipart, ERRORs with the
 * right type and code, and the decoder fed every truncation and random
 * corruptions of valid OpenFlow 1.0 and 1.3 messages: each must get
 * well-formed replies (or an ERROR) and never a crash or an overread (the
 * AddressSanitizer build runs this too).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mgmt/bridge/bridge.h"
#include "mgmt/daemon/log.h"
#include "mgmt/openflow/ofconn.h"

struct fixture {
    struct ft_bridge *br;
    struct ft_ofconn_switch sw;
    struct ft_ofconn_roles roles;
    struct ft_ofconn *conns[2];     /* For new_master(), if set. */
    size_t n_refused;
};

static void
demote_others(void *f_, const struct ft_ofconn *c)
{
    struct fixture *f = f_;

    for (size_t i = 0; i < 2; i++) {
        if (f->conns[i] && f->conns[i] != c) {
            ft_ofconn_demote(f->conns[i]);
        }
    }
}

static int
apply_ops(void *f_, const struct ft_bridge_flow_op *ops, size_t n,
          struct ft_error *err)
{
    struct fixture *f = f_;

    return ft_bridge_flow_mod_batch(f->br, ops, n, 0, ft_time_msec(), NULL,
                                    err);
}

static size_t
no_ports(void *f, struct ft_ofp_port **ports)
{
    (void) f;
    *ports = NULL;
    return 0;
}

static void
count_refused(void *f_, const char *name, const struct ft_ofp_error *oe)
{
    struct fixture *f = f_;

    (void) name, (void) oe;
    f->n_refused++;
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct ft_error err;

    assert_int_equal(ft_bridge_create("br0", "netdev", ft_time_msec(),
                                      &f->br, &err), 0);
    f->sw.br = f->br;
    f->sw.dpid = 0x1234;
    f->sw.flow_mods = apply_ops;
    f->sw.ports = no_ports;
    f->sw.refused = count_refused;
    f->sw.roles = &f->roles;
    f->sw.new_master = demote_others;
    f->sw.aux = f;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    ft_bridge_destroy(f->br);
    free(f);
    return 0;
}

static size_t
unhex(const char *hex, uint8_t *out)
{
    size_t n = 0;

    for (; hex[0] && hex[1]; hex += 2) {
        unsigned int x;

        sscanf(hex, "%2x", &x);
        out[n++] = (uint8_t) x;
    }
    return n;
}

/* Checks that 'b' holds whole messages, each with a sane header; returns
 * how many, and the wire type of the 'want'th (0-based) in '*type'. */
static size_t
check_output(const struct ft_ofpbuf *b, size_t want, uint8_t *type,
             uint16_t *err_type, uint16_t *err_code)
{
    size_t ofs = 0, n = 0;

    while (ofs < b->size) {
        uint16_t len;

        assert_true(b->size - ofs >= 8);
        len = ft_ofp_get16(b->data + ofs + 2);
        assert_true(len >= 8 && len <= b->size - ofs);
        assert_true(b->data[ofs] == 1 || b->data[ofs] == 4);
        if (n == want && type) {
            *type = b->data[ofs + 1];
            if (*type == 1 && err_type) {
                *err_type = ft_ofp_get16(b->data + ofs + 8);
                *err_code = ft_ofp_get16(b->data + ofs + 10);
            }
        }
        ofs += len;
        n++;
    }
    return n;
}

/* A connection past HELLO in 'version'. */
static struct ft_ofconn *
connect_as(struct fixture *f, uint8_t version)
{
    struct ft_ofconn *c = ft_ofconn_create(&f->sw, false);
    uint8_t hello[16];

    assert_int_equal(check_output(ft_ofconn_output(c), 0, NULL, NULL, NULL),
                     1);
    ft_ofpbuf_clear(ft_ofconn_output(c));
    memset(hello, 0, sizeof hello);
    hello[0] = version;
    hello[3] = 16;
    hello[9] = 1;                       /* OFPHET_VERSIONBITMAP. */
    hello[11] = 8;
    hello[15] = (uint8_t) (1u << version);
    assert_int_equal(ft_ofconn_input(c, hello, sizeof hello), 0);
    assert_int_equal(ft_ofconn_version(c), version);
    return c;
}

static void
test_negotiation(void **state)
{
    struct fixture *f = *state;
    /* ovs-ofctl's HELLO offering 1.0 and 1.3. */
    static const uint8_t both[] = { 4, 0, 0, 16, 0, 0, 0, 1,
                                    0, 1, 0, 8, 0, 0, 0, 0x12 };
    /* A peer offering only OpenFlow 1.5. */
    static const uint8_t of15[] = { 6, 0, 0, 16, 0, 0, 0, 1,
                                    0, 1, 0, 8, 0, 0, 0, 0x40 };
    struct ft_ofconn *c = ft_ofconn_create(&f->sw, false);
    uint16_t et = 99, ec = 99;
    uint8_t type = 99;

    assert_int_equal(ft_ofconn_input(c, both, sizeof both), 0);
    assert_int_equal(ft_ofconn_version(c), 4);
    ft_ofconn_destroy(c);

    c = ft_ofconn_create(&f->sw, false);
    ft_ofpbuf_clear(ft_ofconn_output(c));
    assert_int_equal(ft_ofconn_input(c, of15, sizeof of15), -EPROTO);
    assert_int_equal(check_output(ft_ofconn_output(c), 0, &type, &et, &ec),
                     1);
    assert_int_equal(type, 1);          /* ERROR */
    assert_int_equal(et, 0);            /* OFPET_HELLO_FAILED */
    assert_int_equal(ec, 0);            /* OFPHFC_INCOMPATIBLE */
    ft_ofconn_destroy(c);
}

/* ovs-ofctl -O OpenFlow13 add-flow ... table=1,priority=10,ip,
 * nw_dst=10.0.0.2,actions=output:2 (FLOW_MOD, then BARRIER). */
static const char flow_mod13[] =
    "040e0060000000020000000000000000000000000000000001000000000000"
    "0affffffffffffffffffffffff000000000001001280000a020800800018040a"
    "000002000000000000000400180000000000000010000000020000000000000000";
static const char barrier13[] = "0414000800000003";
/* OFPST_FLOW request for every table (ovs-ofctl dump-flows). */
static const char flow_stats13[] =
    "04120038000000020001000000000000ff000000ffffffffffffffff00000000"
    "000000000000000000000000000000000001000400000000";

/* Sends ROLE_REQUEST 'role' with generation 'gen' on 'c'; returns the
 * reply's role and generation, or the ERROR's type << 16 | code with
 * '*is_error'. */
static uint32_t
role_request(struct ft_ofconn *c, uint32_t role, uint64_t gen,
             uint64_t *reply_gen, bool *is_error)
{
    uint8_t req[24] = { 4, 24, 0, 24, 0, 0, 0, 9 };
    struct ft_ofpbuf *out = ft_ofconn_output(c);
    uint16_t et = 0, ec = 0;
    uint8_t type = 0;
    uint32_t result;

    for (int i = 0; i < 4; i++) {
        req[8 + i] = (uint8_t) (role >> (24 - 8 * i));
    }
    for (int i = 0; i < 8; i++) {
        req[16 + i] = (uint8_t) (gen >> (56 - 8 * i));
    }
    ft_ofpbuf_clear(out);
    assert_int_equal(ft_ofconn_input(c, req, sizeof req), 0);
    assert_int_equal(check_output(out, 0, &type, &et, &ec), 1);
    *is_error = type == 1;
    if (*is_error) {
        result = (uint32_t) et << 16 | ec;
    } else {
        assert_int_equal(type, 25);     /* ROLE_REPLY */
        result = ft_ofp_get32(out->data + 8);
        *reply_gen = ft_ofp_get64(out->data + 16);
    }
    ft_ofpbuf_clear(out);
    return result;
}

/* Master election: a stale generation id is refused with OFPRRFC_STALE,
 * ids compare as wrapping sequence numbers, equal ignores them, and a
 * new master makes the old one a slave (which may not change flows). */
static void
test_role_generation(void **state)
{
    struct fixture *f = *state;
    struct ft_ofconn *a = connect_as(f, 4), *b = connect_as(f, 4);
    uint8_t buf[512], type = 0;
    uint64_t gen = 0;
    bool err;
    size_t n;

    f->conns[0] = a;
    f->conns[1] = b;
    assert_int_equal(role_request(a, 2, 5, &gen, &err), 2);
    assert_false(err);
    assert_true(gen == 5);
    assert_int_equal(role_request(b, 2, 4, &gen, &err), 11 << 16 | 0);
    assert_true(err);
    assert_int_equal(role_request(b, 1, 0, &gen, &err), 1);   /* equal */
    assert_false(err);
    assert_true(gen == 5);
    assert_int_equal(role_request(b, 2, 6, &gen, &err), 2);
    assert_false(err);
    /* 'a' is a slave now: NOCHANGE says so, and its FLOW_MOD is refused. */
    assert_int_equal(role_request(a, 0, 0, &gen, &err), 3);
    assert_true(gen == 6);
    n = unhex(flow_mod13, buf);
    assert_int_equal(ft_ofconn_input(a, buf, n), 0);
    assert_int_equal(check_output(ft_ofconn_output(a), 0, &type, NULL,
                                  NULL), 1);
    assert_int_equal(type, 1);
    /* Wrapping: 0 comes after UINT64_MAX. */
    assert_int_equal(role_request(b, 2, 0x8000000000000005ull, &gen, &err),
                     2);
    assert_false(err);
    assert_int_equal(role_request(b, 2, UINT64_MAX, &gen, &err), 2);
    assert_false(err);
    assert_int_equal(role_request(a, 3, 0, &gen, &err), 3);
    assert_false(err);
    assert_int_equal(role_request(a, 3, UINT64_MAX, &gen, &err),
                     11 << 16 | 0);
    ft_ofconn_destroy(a);
    ft_ofconn_destroy(b);
}

/* Sends SET_ASYNC with 'm' (pin, ps, fr for master, then for slave:
 * m[kind][role]) and returns what GET_ASYNC reads back in 'got'. */
static void
set_get_async(struct ft_ofconn *c, const uint32_t m[3][2], uint32_t got[6])
{
    uint8_t msg[32] = { 4, 28, 0, 32, 0, 0, 0, 7 };
    const uint8_t get[8] = { 4, 26, 0, 8, 0, 0, 0, 8 };
    struct ft_ofpbuf *out = ft_ofconn_output(c);
    uint8_t type = 0;

    for (int i = 0; i < 6; i++) {
        uint32_t v = m[i / 2][i % 2];

        for (int j = 0; j < 4; j++) {
            msg[8 + 4 * i + j] = (uint8_t) (v >> (24 - 8 * j));
        }
    }
    ft_ofpbuf_clear(out);
    assert_int_equal(ft_ofconn_input(c, msg, sizeof msg), 0);
    assert_int_equal(ft_ofconn_input(c, get, sizeof get), 0);
    assert_int_equal(check_output(out, 0, &type, NULL, NULL), 1);
    assert_int_equal(type, 27);         /* GET_ASYNC_REPLY */
    assert_int_equal(out->size, 32);
    for (int i = 0; i < 6; i++) {
        got[i] = ft_ofp_get32(out->data + 8 + 4 * i);
    }
    ft_ofpbuf_clear(out);
}

static bool
sends_packet_in(struct ft_ofconn *c, uint8_t reason)
{
    static const uint8_t frame[60];
    struct ft_bridge_packet_in pin = {
        .reason = reason, .in_port = 1, .data = frame, .len = sizeof frame,
        .max_len = 0xffff,
    };
    bool sent = ft_ofconn_packet_in(c, &pin);

    ft_ofpbuf_clear(ft_ofconn_output(c));
    return sent;
}

static bool
sends_port_status(struct ft_ofconn *c, uint8_t reason)
{
    struct ft_ofp_port port = { .port = 3, .name = "p3" };
    bool sent = ft_ofconn_port_status(c, reason, &port);

    ft_ofpbuf_clear(ft_ofconn_output(c));
    return sent;
}

/* SET_ASYNC and GET_ASYNC: Open vSwitch's defaults, the masks kept per
 * role (bits no reason has dropped, as OVS does), applied to packet-ins
 * and port status in each role; a management-socket connection gets
 * asynchronous messages after SET_ASYNC; a SET_ASYNC of the wrong length
 * is refused and changes nothing. */
static void
test_async_config(void **state)
{
    struct fixture *f = *state;
    struct ft_ofconn *c = connect_as(f, 4);
    struct ft_ofconn *svc = ft_ofconn_create(&f->sw, true);
    const uint8_t get[8] = { 4, 26, 0, 8, 0, 0, 0, 8 };
    const uint8_t short_set[28] = { 4, 28, 0, 28, 0, 0, 0, 9 };
    const uint32_t defaults[6] = { 0x3, 0x0, 0x7, 0x7, 0xf, 0x0 };
    const uint32_t all[3][2] = { { ~0u, ~0u }, { ~0u, ~0u }, { ~0u, ~0u } };
    const uint32_t pin_nomatch[3][2] = { { 1, 2 }, { 2, 1 }, { 4, 0 } };
    struct ft_ofpbuf *out = ft_ofconn_output(c);
    uint16_t et = 0, ec = 0;
    uint8_t type = 0;
    uint64_t gen;
    uint32_t got[6];
    bool err;

    /* Defaults. */
    assert_int_equal(ft_ofconn_input(c, get, sizeof get), 0);
    assert_int_equal(check_output(out, 0, &type, NULL, NULL), 1);
    assert_int_equal(type, 27);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(ft_ofp_get32(out->data + 8 + 4 * i), defaults[i]);
    }
    ft_ofpbuf_clear(out);
    assert_true(sends_packet_in(c, FT_USERSPACE_CONTROLLER));
    assert_true(sends_port_status(c, 0));

    /* Only the reasons a kind has are kept. */
    set_get_async(c, all, got);
    assert_int_equal(got[0], 0x7);
    assert_int_equal(got[2], 0x7);
    assert_int_equal(got[4], 0x3f);
    assert_int_equal(got[5], 0x3f);

    /* Master: packet-in no_match only, port status delete only. */
    set_get_async(c, pin_nomatch, got);
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], 2);
    assert_int_equal(got[2], 2);
    assert_int_equal(got[3], 1);
    assert_false(sends_packet_in(c, FT_USERSPACE_CONTROLLER));
    assert_false(sends_port_status(c, 0));
    assert_true(sends_port_status(c, 1));

    /* Slave: the slave masks apply (action only, add only). */
    assert_int_equal(role_request(c, 3, 1, &gen, &err), 3);
    assert_false(err);
    assert_true(sends_packet_in(c, FT_USERSPACE_CONTROLLER));
    assert_true(sends_port_status(c, 0));
    assert_false(sends_port_status(c, 1));

    /* The wrong length: BAD_REQUEST/BAD_LEN, the masks as they were. */
    assert_int_equal(ft_ofconn_input(c, short_set, sizeof short_set), 0);
    assert_int_equal(check_output(out, 0, &type, &et, &ec), 1);
    assert_int_equal(type, 1);
    assert_int_equal(et, 1);
    assert_int_equal(ec, 6);
    ft_ofpbuf_clear(out);
    assert_true(sends_packet_in(c, FT_USERSPACE_CONTROLLER));

    /* A management-socket connection: nothing until SET_ASYNC. */
    ft_ofpbuf_clear(ft_ofconn_output(svc));
    {
        uint8_t hello[8] = { 4, 0, 0, 8, 0, 0, 0, 1 };

        assert_int_equal(ft_ofconn_input(svc, hello, sizeof hello), 0);
    }
    assert_false(sends_packet_in(svc, FT_USERSPACE_CONTROLLER));
    set_get_async(svc, pin_nomatch, got);
    assert_false(sends_packet_in(svc, FT_USERSPACE_CONTROLLER));
    assert_true(sends_port_status(svc, 1));
    ft_ofconn_destroy(c);
    ft_ofconn_destroy(svc);
}

/* Writes a multipart request part: 'flags', xid 'xid', type FLOW, and
 * 'body_len' bytes of 'body' into 'out'; returns its length. */
static size_t
mp_part(uint8_t *out, uint16_t flags, uint32_t xid, const uint8_t *body,
        size_t body_len)
{
    size_t len = 16 + body_len;

    memset(out, 0, 16);
    out[0] = 4;
    out[1] = 18;
    out[2] = (uint8_t) (len >> 8);
    out[3] = (uint8_t) len;
    out[7] = (uint8_t) xid;
    out[9] = 1;                         /* OFPMP_FLOW */
    out[11] = (uint8_t) flags;
    memcpy(out + 16, body, body_len);
    return len;
}

/* A multipart request in parts (OFPMPF_REQ_MORE) is answered once whole;
 * parts of another xid in between, or more than 64 kB of parts, are
 * refused. */
static void
test_multipart_request_parts(void **state)
{
    struct fixture *f = *state;
    struct ft_ofconn *c = connect_as(f, 4);
    static uint8_t big[40000];
    uint8_t whole[128], buf[41000], type = 0;
    uint16_t et = 0, ec = 0;
    size_t n = unhex(flow_stats13, whole), m;

    m = mp_part(buf, 1, 2, whole + 16, 20);
    assert_int_equal(ft_ofconn_input(c, buf, m), 0);
    assert_int_equal(ft_ofconn_output(c)->size, 0);
    m = mp_part(buf, 0, 2, whole + 36, n - 36);
    assert_int_equal(ft_ofconn_input(c, buf, m), 0);
    assert_int_equal(check_output(ft_ofconn_output(c), 0, &type, NULL,
                                  NULL), 1);
    assert_int_equal(type, 19);         /* MULTIPART_REPLY */
    ft_ofpbuf_clear(ft_ofconn_output(c));

    m = mp_part(buf, 1, 2, whole + 16, 20);
    assert_int_equal(ft_ofconn_input(c, buf, m), 0);
    m = mp_part(buf, 0, 3, whole + 36, n - 36);
    assert_int_equal(ft_ofconn_input(c, buf, m), 0);
    assert_int_equal(check_output(ft_ofconn_output(c), 0, &type, &et, &ec),
                     1);
    assert_int_equal(type, 1);
    assert_int_equal(et << 8 | ec, 1 << 8 | 2);     /* BAD_MULTIPART */
    ft_ofpbuf_clear(ft_ofconn_output(c));

    for (int i = 0; i < 2; i++) {
        m = mp_part(buf, 1, 4, big, sizeof big);
        assert_int_equal(ft_ofconn_input(c, buf, m), 0);
    }
    assert_int_equal(check_output(ft_ofconn_output(c), 0, &type, &et, &ec),
                     1);
    assert_int_equal(type, 1);
    assert_int_equal(et << 8 | ec, 1 << 8 | 13);    /* BUFFER_OVERFLOW */
    ft_ofconn_destroy(c);
}

static void
test_flow_mod_and_dump(void **state)
{
    struct fixture *f = *state;
    struct ft_ofconn *c = connect_as(f, 4);
    const struct ft_oftables *oft = ft_bridge_tables(f->br);
    uint8_t buf[512], type = 0;
    size_t n;

    n = unhex(flow_mod13, buf);
    n += unhex(barrier13, buf + n);
    assert_int_equal(ft_ofconn_input(c, buf, n), 0);
    assert_int_equal(ft_cls_count(&oft->tables[1]), 1);
    assert_int_equal(check_output(ft_ofconn_output(c), 0, &type, NULL,
                                  NULL), 1);
    assert_int_equal(type, 21);         /* BARRIER_REPLY, no ERROR. */
    ft_ofpbuf_clear(ft_ofconn_output(c));

    n = unhex(flow_stats13, buf);
    assert_int_equal(ft_ofconn_input(c, buf, n), 0);
    assert_int_equal(check_output(ft_ofconn_output(c), 0, &type, NULL,
                                  NULL), 1);
    assert_int_equal(type, 19);         /* MULTIPART_REPLY */
    {
        const struct ft_ofpbuf *out = ft_ofconn_output(c);
        const uint8_t *e = out->data + 16;

        assert_int_equal(e[2], 1);                          /* table */
        assert_int_equal(ft_ofp_get16(e + 12), 10);         /* priority */
        /* The match: eth_type=0x0800, ipv4_dst=10.0.0.2. */
        assert_int_equal(ft_ofp_get32(e + 62), 0x0a000002);
    }
    ft_ofconn_destroy(c);
}

static void
expect_error(struct fixture *f, uint8_t version, const char *hex,
             uint16_t want_type, uint16_t want_code)
{
    struct ft_ofconn *c = connect_as(f, version);
    uint16_t et = 0xffff, ec = 0xffff;
    uint8_t buf[512], type = 0;
    size_t n = unhex(hex, buf);

    ft_ofconn_input(c, buf, n);
    if (check_output(ft_ofconn_output(c), 0, &type, &et, &ec) != 1) {
        fail_msg("no single reply to %s", hex);
    }
    if (type != 1 || et != want_type || ec != want_code) {
        fail_msg("%s: got type %u error %u/%u", hex, type, et, ec);
    }
    assert_int_equal(et, want_type);
    assert_int_equal(ec, want_code);
    ft_ofconn_destroy(c);
}

static void
test_errors(void **state)
{
    struct fixture *f = *state;

    /* GROUP stats: OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART. */
    expect_error(f, 4, "04120018000000050006000000000000ffffffff00000000",
                 1, 2);
    /* GROUP_MOD: OFPBRC_BAD_TYPE. */
    expect_error(f, 4, "040f001000000005000000000000000a", 1, 1);
    /* A FLOW_MOD whose match claims 40 bytes: OFPBMC_BAD_LEN. */
    expect_error(f, 4, "040e0038000000020000000000000000000000000000000000000000"
                 "0000000affffffffffffffffffffffff000000000001002800000000",
                 4, 1);
    /* Add to table 255: OFPBRC_BAD_TABLE_ID. */
    expect_error(f, 4, "040e00380000000200000000000000000000000000000000ff000000"
                 "0000000affffffffffffffffffffffff000000000001000400000000",
                 1, 9);
    /* Action group:7: OFPBAC_BAD_OUT_GROUP. */
    expect_error(f, 4, "040e0048000000020000000000000000000000000000000000000000"
                 "0000000affffffffffffffffffffffff000000000001000400000000"
                 "00040010000000000016000800000007",
                 2, 9);
    /* Meter instruction: OFPMMFC_INVALID_METER, as Open vSwitch. */
    expect_error(f, 4, "040e0040000000020000000000000000000000000000000000000000"
                 "0000000affffffffffffffffffffffff000000000001000400000000"
                 "0006000800000005",
                 12, 2);
    /* OF1.0 message on a 1.3 connection: OFPBRC_BAD_VERSION. */
    expect_error(f, 4, "0105000800000007", 1, 0);
    /* resubmit(IN_PORT) in table 255, the current one: the packet
     * resubmitted to itself, OFPBAC_BAD_ARGUMENT (the flow syntax refuses
     * it too, so every rule's text parses again). */
    expect_error(f, 4, "040e0078000000020000000000000000000000000000000000000000"
                 "0000000affffffffffffffffffffffff000000000001000a80000a02"
                 "08060000000000000004003000000000001100088100000000190010"
                 "80000c021065000000000000ffff001000002320000efff8ff000000"
                 "0001000804000000",
                 2, 5);
    /* OF1.0 FLOW_MOD with ENQUEUE: OFPBAC_BAD_TYPE. */
    expect_error(f, 1, "010e005800000002003fffff00000000000000000000000000000000"
                 "00000000000000000000000000000000000000000000000000000000"
                 "0000000000008000ffffffffffff0000000b00100001000000000000"
                 "00000001",
                 2, 0);
}

/* Three FLOW_MODs in one read: the middle one (goto_table back from
 * table 2 to 1) is refused by the bridge, the other two are applied, and
 * only the middle one gets an ERROR, before the BARRIER_REPLY. */
static void
test_batch_with_a_refusal(void **state)
{
    static const char *const msgs[] = {
        "040e00380000000200000000000000000000000000000000010000000000000a"
        "ffffffffffffffffffffffff000000000001000400000000",
        "040e00400000000300000000000000000000000000000000020000000000000a"
        "ffffffffffffffffffffffff0000000000010004000000000001000801000000",
        "040e00380000000400000000000000000000000000000000030000000000000a"
        "ffffffffffffffffffffffff000000000001000400000000",
        "0414000800000005",
    };
    struct fixture *f = *state;
    struct ft_ofconn *c = connect_as(f, 4);
    const struct ft_oftables *oft = ft_bridge_tables(f->br);
    const struct ft_ofpbuf *out;
    uint8_t buf[512], type = 0;
    size_t n = 0;

    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        n += unhex(msgs[i], buf + n);
    }
    assert_int_equal(ft_ofconn_input(c, buf, n), 0);
    assert_int_equal(ft_cls_count(&oft->tables[1]), 1);
    assert_int_equal(ft_cls_count(&oft->tables[2]), 0);
    assert_int_equal(ft_cls_count(&oft->tables[3]), 1);
    out = ft_ofconn_output(c);
    assert_int_equal(check_output(out, 0, &type, NULL, NULL), 2);
    assert_int_equal(type, 1);                          /* ERROR */
    assert_int_equal(ft_ofp_get32(out->data + 4), 3);   /* its xid */
    check_output(out, 1, &type, NULL, NULL);
    assert_int_equal(type, 21);                         /* BARRIER_REPLY */
    assert_int_equal(f->n_refused, 1);
    ft_ofconn_destroy(c);
}

/* Valid messages of both versions, to be cut and corrupted. */
static const struct {
    uint8_t version;
    const char *hex;
} corpus[] = {
    { 4, flow_mod13 },
    { 4, flow_stats13 },
    { 4, barrier13 },
    { 4, "0412001000000003000d000000000000" },      /* PORT_DESC */
    { 4, "0412001000000002000c000000000000" },      /* TABLE_FEATURES */
    { 4, "04120018000000040004000000000000ffffffff00000000" }, /* PORT */
    { 4, "0405000800000002" },                      /* FEATURES */
    { 4, "0409000c000000050000ffff" },              /* SET_CONFIG */
    { 4, "041800180000000900000002000000000000000000000000" },
    /* FLOW_MOD: arp, push_vlan, set_field vlan_vid, resubmit, goto. */
    { 4, "040e0078000000020000000000000000000000000000000000000000"
         "0000000affffffffffffffffffffffff000000000001000a80000a02"
         "08060000000000000004003000000000001100088100000000190010"
         "80000c021065000000000000ffff001000002320000efff801000000"
         "0001000804000000" },
    /* OF1.0: FLOW_MOD (tcp,tp_dst=80 -> mod_nw_src, output:1). */
    { 1, "010e005800000002003fff4f00000000000000000000000000000000"
         "00000800000600000000000000000000000000500000000000000000"
         "0000000000008000ffffffffffff000000060008c0a8010100000008"
         "00010000" },
    { 1, "0110003800000002000100000000ffffffffffff000000000000000000000000"
         "00000000000000000000000000000000000000000000000000ff00ffff" },
    { 1, "0110001400000003000400000000ffff000000000000" },
    { 1, "0104001800000003000023200000000f0100000000000000" },
    { 1, "0112000800000004" },
};

static uint64_t
next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Feeds 'msg' (its header's length fixed up to 'n') and checks the
 * connection's output is well formed. */
static void
feed(struct fixture *f, uint8_t version, uint8_t *msg, size_t n)
{
    struct ft_ofconn *c = connect_as(f, version);

    if (n >= 4) {
        msg[2] = (uint8_t) (n >> 8);
        msg[3] = (uint8_t) n;
    }
    ft_ofconn_input(c, msg, n);
    check_output(ft_ofconn_output(c), 0, NULL, NULL, NULL);
    ft_ofconn_destroy(c);
}

static void
test_truncations_and_corruption(void **state)
{
    struct fixture *f = *state;
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    size_t n_fed = 0;

    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
        uint8_t orig[512], msg[512];
        size_t n = unhex(corpus[i].hex, orig);

        /* Every truncation, with the header's length saying so. */
        for (size_t len = 0; len <= n; len++) {
            memcpy(msg, orig, n);
            feed(f, corpus[i].version, msg, len);
            n_fed++;
        }
        /* Random corruptions: 1-4 bytes changed, length kept (the length
         * itself may be among them). */
        for (int k = 0; k < 3000; k++) {
            struct ft_ofconn *c = connect_as(f, corpus[i].version);
            int n_flips = 1 + (int) (next_rand(&seed) % 4);

            memcpy(msg, orig, n);
            for (int j = 0; j < n_flips; j++) {
                msg[8 + next_rand(&seed) % (n > 8 ? n - 8 : 1)]
                    = (uint8_t) next_rand(&seed);
            }
            if (next_rand(&seed) % 8 == 0) {
                msg[2 + next_rand(&seed) % 2] = (uint8_t) next_rand(&seed);
            }
            ft_ofconn_input(c, msg, n);
            check_output(ft_ofconn_output(c), 0, NULL, NULL, NULL);
            ft_ofconn_destroy(c);
            n_fed++;
        }
    }
    assert_true(n_fed > 40000);
    /* Corrupted FLOW_MODs do add rules; the tables stay consistent. */
    assert_true(ft_bridge_tables(f->br)->n_rules >= 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_negotiation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flow_mod_and_dump, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_role_generation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_async_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multipart_request_parts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_batch_with_a_refusal, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_truncations_and_corruption,
                                        setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

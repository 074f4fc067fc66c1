/*
 * test-vxlan-rx.c - tests of the VXLAN endpoint's receive sockets
 * (swpath/vxlan-rxgroup.c) and of the outer flags the endpoint reports
 * (swpath/netdev-vxlan.c).
 *
 * Runs in a network namespace of its own (root).  Datagrams are crafted
 * whole (outer IPv4 with or without DF, UDP with a computed checksum or
 * none) and sent over loopback with a raw IP_HDRINCL socket; the kernel's
 * socket lookup runs the reuseport program on them, and the tests look
 * at which socket got each and at the tun_flags the endpoint gives it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flowtier/flow-key.h"
#include "swpath/netdev-vxlan.h"
#include "swpath/packet.h"
#include "swpath/vxlan-rxgroup.h"

#define PORT 4789
#define LOOPBACK 0x7f000001

static uint16_t
csum_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t) ~sum;
}

static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += (uint32_t) p[i] << 8 | p[i + 1];
    }
    if (len & 1) {
        sum += (uint32_t) p[len - 1] << 8;
    }
    return sum;
}

/* Sends to 127.0.0.1:PORT a VXLAN datagram of VNI 'vni' whose outer IPv4
 * header has DF if 'df' and whose UDP header has its checksum if
 * 'csum' (else 0). */
static void
send_vxlan(int raw, bool df, bool csum, uint32_t vni)
{
    static const uint8_t inner[14] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2,
                                       0x08, 0x00 };
    uint8_t pkt[20 + 8 + 8 + sizeof inner] = { 0 };
    uint8_t *ip = pkt, *udp = pkt + 20, *vx = udp + 8;
    size_t udp_len = sizeof pkt - 20;
    struct sockaddr_in to = { .sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(LOOPBACK) };
    uint32_t sum;

    ip[0] = 0x45;
    ip[2] = sizeof pkt >> 8;
    ip[3] = sizeof pkt & 0xff;
    ip[6] = df ? 0x40 : 0;
    ip[8] = 64;
    ip[9] = IPPROTO_UDP;
    memcpy(ip + 12, (uint8_t[]) { 127, 0, 0, 1, 127, 0, 0, 1 }, 8);
    udp[0] = 0xc0;
    udp[1] = 0x01;
    udp[2] = PORT >> 8;
    udp[3] = PORT & 0xff;
    udp[4] = udp_len >> 8;
    udp[5] = udp_len & 0xff;
    vx[0] = 0x08;
    vx[4] = vni >> 16;
    vx[5] = vni >> 8;
    vx[6] = vni;
    memcpy(vx + 8, inner, sizeof inner);
    if (csum) {
        sum = csum_add(0, ip + 12, 8) + IPPROTO_UDP + udp_len;
        uint16_t c = csum_fold(csum_add(sum, udp, udp_len));

        c = c ? c : 0xffff;
        udp[6] = c >> 8;
        udp[7] = c & 0xff;
    }
    assert_int_equal(sendto(raw, pkt, sizeof pkt, 0,
                            (struct sockaddr *) &to, sizeof to),
                     (ssize_t) sizeof pkt);
}

/* Returns the index of the socket of 'g' that has a datagram waiting,
 * having read it, or -1 if none has one within a second. */
static int
which_socket(const struct ft_vxlan_rxgroup *g)
{
    struct pollfd pfd[FT_VXLAN_RX_SOCKS];
    uint8_t buf[256];

    for (size_t i = 0; i < g->n_fds; i++) {
        pfd[i] = (struct pollfd) { .fd = g->fds[i], .events = POLLIN };
    }
    if (poll(pfd, g->n_fds, 1000) <= 0) {
        return -1;
    }
    for (size_t i = 0; i < g->n_fds; i++) {
        if (pfd[i].revents & POLLIN) {
            assert_true(recv(g->fds[i], buf, sizeof buf, 0) > 0);
            return (int) i;
        }
    }
    return -1;
}

static int
raw_socket(void)
{
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);

    assert_true(fd >= 0);
    return fd;
}

static int
setup_netns(void **state)
{
    (void) state;
    if (unshare(CLONE_NEWNET) || system("ip link set lo up")) {
        fprintf(stderr, "test-vxlan-rx needs root (a network namespace)\n");
        return -1;
    }
    return 0;
}

/* Each combination of DF and checksum reaches the socket of its index,
 * several times over (the kernel's hash would spread them). */
static void
test_group_index(void **state)
{
    struct ft_vxlan_rxgroup g;
    struct ft_error err;
    int raw = raw_socket();

    (void) state;
    ft_error_clear(&err);
    assert_int_equal(ft_vxlan_rxgroup_open(&g, PORT, NULL, &err), 0);
    assert_int_equal(g.n_fds, FT_VXLAN_RX_SOCKS);
    assert_string_equal(g.no_flags_reason, "");
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 4; i++) {
            send_vxlan(raw, i & 2, i & 1, 100 + i);
            assert_int_equal(which_socket(&g), i);
            assert_int_equal(ft_vxlan_rxgroup_flags(&g, i),
                             (i & 2 ? FT_TNL_F_DONT_FRAGMENT : 0)
                             | (i & 1 ? FT_TNL_F_CSUM : 0));
        }
    }
    close(raw);
    ft_vxlan_rxgroup_close(&g);
}

/* The port is FlowTier's alone: a second group, or a plain socket, on
 * it is refused as with one socket. */
static void
test_group_exclusive(void **state)
{
    struct ft_vxlan_rxgroup g, g2;
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_port = htons(PORT) };
    struct ft_error err;
    int fd;

    (void) state;
    assert_int_equal(ft_vxlan_rxgroup_open(&g, PORT, NULL, &err), 0);
    ft_error_clear(&err);
    assert_int_equal(ft_vxlan_rxgroup_open(&g2, PORT, NULL, &err),
                     -EADDRINUSE);
    assert_non_null(strstr(err.reason, "cannot receive on UDP port 4789"));
    assert_int_equal(g2.n_fds, 0);
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_int_equal(bind(fd, (struct sockaddr *) &sin, sizeof sin), -1);
    assert_int_equal(errno, EADDRINUSE);
    close(fd);
    ft_vxlan_rxgroup_close(&g);
    /* Closed, the port is free again. */
    assert_int_equal(ft_vxlan_rxgroup_open(&g, PORT, NULL, &err), 0);
    ft_vxlan_rxgroup_close(&g);
}

/* A program the kernel refuses leaves one socket, which takes every
 * packet, says why, and reports no flags. */
static void
test_group_fallback(void **state)
{
    /* A jump past the end: refused by the kernel's checker. */
    struct sock_filter bad[] = {
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 5),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog prog = { .len = 2, .filter = bad };
    struct ft_vxlan_rxgroup g;
    struct ft_error err;
    int raw = raw_socket();

    (void) state;
    assert_int_equal(ft_vxlan_rxgroup_open(&g, PORT, &prog, &err), 0);
    assert_int_equal(g.n_fds, 1);
    assert_non_null(strstr(g.no_flags_reason, "not seen on UDP port 4789 "
                           "(reported -df-csum): the kernel refused the "
                           "SO_ATTACH_REUSEPORT_CBPF program: "));
    for (int i = 0; i < 4; i++) {
        send_vxlan(raw, i & 2, i & 1, 100 + i);
        assert_int_equal(which_socket(&g), 0);
        assert_int_equal(ft_vxlan_rxgroup_flags(&g, 0), 0);
    }
    close(raw);
    ft_vxlan_rxgroup_close(&g);
}

/* The endpoint gives each decapsulated packet the flags it was sent
 * with, plus key; a batch takes packets of several sockets. */
static void
test_endpoint_flags(void **state)
{
    struct ft_vxlan_endpoint *ep;
    struct ft_packet_batch batch;
    struct ft_vxlan_stats st;
    struct ft_error err;
    uint16_t seen[4] = { 0 };
    int raw = raw_socket();
    size_t got = 0;

    (void) state;
    ft_error_clear(&err);
    assert_int_equal(ft_vxlan_endpoint_create(PORT, &ep, &err), 0);
    for (int i = 0; i < 4; i++) {
        send_vxlan(raw, i & 2, i & 1, 100 + i);
        send_vxlan(raw, i & 2, i & 1, 100 + i);
    }
    for (int tries = 0; got < 8 && tries < 100; tries++) {
        struct pollfd pfd = { .fd = ft_vxlan_endpoint_get_fd(ep),
                              .events = POLLIN };

        poll(&pfd, 1, 100);
        ft_packet_batch_init(&batch);
        assert_true(ft_vxlan_endpoint_rx(ep, &batch) >= 0);
        for (size_t j = 0; j < batch.count; j++) {
            const struct ft_packet_tunnel *t = &batch.packets[j]->tunnel;
            uint64_t i = t->tun_id - 100;

            assert_true(i < 4);
            seen[i]++;
            assert_int_equal(t->flags, FT_TNL_F_KEY
                             | (i & 2 ? FT_TNL_F_DONT_FRAGMENT : 0)
                             | (i & 1 ? FT_TNL_F_CSUM : 0));
            assert_int_equal(t->src, LOOPBACK);
            assert_int_equal(t->ttl, 64);
        }
        got += batch.count;
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(seen[i], 2);
    }
    ft_vxlan_endpoint_get_stats(ep, &st);
    assert_int_equal(st.rx_sockets, FT_VXLAN_RX_SOCKS);
    assert_string_equal(st.no_flags_reason, "");
    close(raw);
    ft_vxlan_endpoint_destroy(ep);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_index),
        cmocka_unit_test(test_group_exclusive),
        cmocka_unit_test(test_group_fallback),
        cmocka_unit_test(test_endpoint_flags),
    };

    return cmocka_run_group_tests(tests, setup_netns, NULL);
}

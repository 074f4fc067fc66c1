/*
 * test-bridge-link.c - a bridge's ports following the kernel's device
 * notifications (mgmt/bridge/bridge-link.c, swpath/link-watch.c): the
 * decisions on notifications made up by the test (a failed open held off
 * for the device that failed but not for a device made since, the old
 * device's last notification read once it is gone, a deletion last in a
 * batch, notifications lost), then real devices in a
 * network namespace of the test's own: deleted, made again under the
 * same name, renamed away and back, each noticed from the notification
 * alone, and forwarding again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "mgmt/bridge/bridge.h"
#include "bridge-harness.h"

/* br0 with a0, b0, LOCAL and "d0", whose device does not exist yet. */
static struct ft_bridge *
make_link_switch(void)
{
    struct ft_bridge_port_cfg ports[N_VETH + 1];
    struct ft_bridge_cfg cfg;
    struct ft_bridge *br = make_switch(false, NULL, NULL, 0);
    struct ft_error err;

    memcpy(ports, port_cfgs, 3 * sizeof *ports);
    memset(&ports[3], 0, sizeof ports[3]);
    ports[3].name = "d0";
    ports[3].ofport = 4;
    ports[3].tag = -1;
    memset(&cfg, 0, sizeof cfg);
    cfg.ports = ports;
    cfg.n_ports = 4;
    cfg.keep_failed_ports = true;
    assert_int_equal(ft_bridge_reconfigure(br, &cfg, now_ms(), &err), 0);
    assert_non_null(ft_bridge_port_error(br, "d0"));
    return br;
}

static struct ft_link_event
link_ev(bool deleted, const char *name, int ifindex, unsigned int flags)
{
    struct ft_link_event ev = { .deleted = deleted, .ifindex = ifindex,
                                .flags = flags };

    snprintf(ev.name, sizeof ev.name, "%s", name);
    return ev;
}

/* A UDP socket bound to 'port' on every address, held so that a VXLAN
 * device on that port cannot be brought up. */
static int
bind_udp(uint16_t port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_port = htons(port) };
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *) &sin, sizeof sin), 0);
    return fd;
}

/* A broadcast from port 1 tagged 'tag' floods out of d0: its peer d0p
 * receives it. */
static void
flood_reaches_d0(struct ft_bridge *br, uint32_t tag)
{
    int d0p = open_sniffer("d0p");

    assert_true(d0p >= 0);
    drain(d0p);
    inject(0, 1, 0xff, FT_IPPROTO_UDP, 53, tag);
    assert_true(expect_tag(br, d0p, tag, 1000));
    close(d0p);
}

/* The decisions alone, on notifications the test makes up (and real
 * devices behind them). */
static void
test_link_decisions(void **state)
{
    long long int t = now_ms();
    struct ft_link_event evs[2];
    struct ft_bridge *br;
    int ifindex, udp;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_link_switch();

    /* A device of another name: nothing opens or closes. */
    evs[0] = link_ev(false, "x0", 77, IFF_UP);
    assert_int_equal(ft_bridge_link_events(br, evs, 1, false, t), 0);
    assert_non_null(ft_bridge_port_error(br, "d0"));

    /* d0 "appears" but is not there: the open fails, the port keeps its
     * reason. */
    evs[0] = link_ev(false, "d0", 4242, 0);
    assert_int_equal(ft_bridge_link_events(br, evs, 1, false, t), 0);
    assert_non_null(strstr(ft_bridge_port_error(br, "d0"),
                           "No such device"));

    /* A device made since the open failed (the name named none then) is
     * tried at once.  It is a VXLAN device whose UDP port the test holds,
     * so that it cannot be brought up: the open fails again, in the
     * kernel's words. */
    udp = bind_udp(4790);
    assert_int_equal(sh("ip link add d0 type vxlan id 7 dstport 4790"), 0);
    ifindex = (int) if_nametoindex("d0");
    assert_true(ifindex > 0);
    evs[0] = link_ev(false, "d0", ifindex, 0);
    assert_int_equal(ft_bridge_link_events(br, evs, 1, false, t + 10), 0);
    assert_non_null(strstr(ft_bridge_port_error(br, "d0"),
                           "Address already in use"));

    /* Then it could open (the port is free), but that device with the
     * same flags is held off (the storm a device FlowTier's own failing
     * open changes could make); with other flags (brought up) it is
     * tried. */
    close(udp);
    assert_int_equal(ft_bridge_link_events(br, evs, 1, false, t + 20), 0);
    assert_non_null(strstr(ft_bridge_port_error(br, "d0"),
                           "Address already in use"));
    evs[0] = link_ev(false, "d0", ifindex, IFF_UP);
    assert_int_equal(ft_bridge_link_events(br, evs, 1, false, t + 30), 1);
    assert_null(ft_bridge_port_error(br, "d0"));
    assert_int_equal(sh("ip link del d0 && ip link add d0 type veth peer "
                        "name d0p && ip link set d0 up && "
                        "ip link set d0p up"), 0);
    assert_int_equal(ft_bridge_check_ports(br, t + 30), 2);
    assert_null(ft_bridge_port_error(br, "d0"));

    /* Deleted and made again in one go, the old device's last
     * notification (going down) read once its name is gone: closed, the
     * open it started fails; the new device's notification, within the
     * hold-off, opens the port on the new device. */
    ifindex = (int) if_nametoindex("d0");
    assert_int_equal(sh("ip link del d0"), 0);
    evs[0] = link_ev(false, "d0", ifindex, 0);
    assert_int_equal(ft_bridge_link_events(br, evs, 1, false, t + 40), 1);
    assert_non_null(strstr(ft_bridge_port_error(br, "d0"),
                           "No such device"));
    assert_int_equal(sh("ip link add d0 type veth peer name d0p && "
                        "ip link set d0 up && ip link set d0p up"), 0);
    evs[0] = link_ev(true, "d0", ifindex, 0);
    assert_int_equal(ft_bridge_link_events(br, evs, 1, false, t + 50), 0);
    assert_non_null(ft_bridge_port_error(br, "d0"));
    evs[0] = link_ev(false, "d0", (int) if_nametoindex("d0"), IFF_UP);
    assert_int_equal(ft_bridge_link_events(br, evs, 1, false, t + 60), 1);
    assert_null(ft_bridge_port_error(br, "d0"));
    flood_reaches_d0(br, 0x92929201);
    ifindex = (int) if_nametoindex("d0");

    /* The device is replaced by one of the same name (another ifindex),
     * both notifications in one batch: closed, and opened on the new. */
    assert_int_equal(sh("ip link del d0 && ip link add d0 type veth peer "
                        "name d0p && ip link set d0 up && "
                        "ip link set d0p up"), 0);
    assert_int_not_equal((int) if_nametoindex("d0"), ifindex);
    evs[0] = link_ev(true, "d0", ifindex, 0);
    evs[1] = link_ev(false, "d0", (int) if_nametoindex("d0"), IFF_UP);
    assert_int_equal(ft_bridge_link_events(br, evs, 2, false, t + 70), 2);
    assert_null(ft_bridge_port_error(br, "d0"));

    /* Made and deleted in one batch, the device gone: closed, not
     * opened. */
    ifindex = (int) if_nametoindex("d0");
    assert_int_equal(sh("ip link del d0"), 0);
    evs[0] = link_ev(false, "d0", ifindex, IFF_UP);
    evs[1] = link_ev(true, "d0", ifindex, IFF_UP);
    assert_int_equal(ft_bridge_link_events(br, evs, 2, false, t + 80), 1);
    assert_non_null(strstr(ft_bridge_port_error(br, "d0"),
                           "No such device"));

    /* Notifications lost: every port is checked, d0 opens with no
     * notification of it. */
    assert_int_equal(sh("ip link add d0 type veth peer name d0p && "
                        "ip link set d0 up && ip link set d0p up"), 0);
    assert_int_equal(ft_bridge_link_events(br, NULL, 0, false, t + 90), 0);
    assert_non_null(ft_bridge_port_error(br, "d0"));
    assert_int_equal(ft_bridge_link_events(br, NULL, 0, true, t + 90), 1);
    assert_null(ft_bridge_port_error(br, "d0"));
    destroy_switch(br);
    assert_int_equal(sh("ip link del d0"), 0);
}

/* Reads notifications for up to 1 s until port d0 is open ('open') or
 * not.  Returns true if it got there. */
static bool
link_wait(struct ft_bridge *br, bool open)
{
    long long int deadline = now_ms() + 1000;

    while (now_ms() < deadline) {
        struct pollfd pfd = { .fd = ft_bridge_link_fd(br), .events = POLLIN };

        poll(&pfd, 1, 50);
        ft_bridge_link_run(br, now_ms());
        if (!ft_bridge_port_error(br, "d0") == open) {
            return true;
        }
    }
    return false;
}

/* Real devices, noticed from the notifications alone (the test never
 * calls ft_bridge_check_ports()). */
static void
test_link_devices(void **state)
{
    struct ft_bridge *br;
    struct ft_error err;
    uint32_t tag = 0x91919100;

    (void) state;
    if (!in_netns) {
        skip();
    }
    br = make_link_switch();
    assert_int_equal(ft_bridge_link_fd(br), -1);
    assert_int_equal(ft_bridge_link_start(br, &err), 0);
    assert_true(ft_bridge_link_fd(br) >= 0);
    assert_int_equal(ft_bridge_link_run(br, now_ms()), 0);

    /* Made: opened, floods reach it. */
    assert_int_equal(sh("ip link add d0 type veth peer name d0p && "
                        "ip link set d0 up && ip link set d0p up"), 0);
    assert_true(link_wait(br, true));
    for (int round = 0; round < 3; round++) {
        flood_reaches_d0(br, ++tag);

        /* Deleted: closed, with Open vSwitch's words; the others go on. */
        assert_int_equal(sh("ip link del d0"), 0);
        assert_true(link_wait(br, false));
        assert_non_null(strstr(ft_bridge_port_error(br, "d0"),
                               "No such device"));
        inject(0, 1, 0xff, FT_IPPROTO_UDP, 53, ++tag);
        assert_true(expect_tag(br, peer_fd[1], tag, 1000));

        /* Made again under the name: opened on the new device. */
        assert_int_equal(sh("ip link add d0 type veth peer name d0p && "
                            "ip link set d0 up && ip link set d0p up"), 0);
        assert_true(link_wait(br, true));
    }

    /* Renamed away: closed; back and up: opened, and forwards. */
    assert_int_equal(sh("ip link set d0 down && ip link set d0 name d0r"), 0);
    assert_true(link_wait(br, false));
    assert_int_equal(sh("ip link set d0r name d0 && ip link set d0 up"), 0);
    assert_true(link_wait(br, true));
    flood_reaches_d0(br, ++tag);

    /* Two hundred devices of other names at once (they stay until the
     * namespace goes: deleting veths is slow): read without harm, d0
     * stays open. */
    assert_int_equal(sh("for i in $(seq 100); do echo link add x$i type veth "
                        "peer name y$i; done | ip -batch -"), 0);
    for (int i = 0; i < 4; i++) {
        struct pollfd pfd = { .fd = ft_bridge_link_fd(br), .events = POLLIN };

        poll(&pfd, 1, 50);
        assert_int_equal(ft_bridge_link_run(br, now_ms()), 0);
    }
    assert_null(ft_bridge_port_error(br, "d0"));
    destroy_switch(br);
    assert_int_equal(sh("ip link del d0"), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_decisions),
        cmocka_unit_test(test_link_devices),
    };

    return cmocka_run_group_tests(tests, setup_netns, teardown_netns);
}

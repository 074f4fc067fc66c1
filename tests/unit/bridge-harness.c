/*
 * bridge-harness.c - what the tests of running bridges share (see
 * bridge-harness.h).
 */
#include "bridge-harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

bool in_netns;
int peer_fd[N_VETH];
int local_fd;

struct ft_bridge_port_cfg port_cfgs[N_VETH + 1];
size_t n_port_cfgs;

long long int
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

struct ft_bridge *
make_bridge(void)
{
    struct ft_bridge *br;
    struct ft_error err;

    assert_int_equal(ft_bridge_create("br0", NULL, now_ms(), &br, &err), 0);
    return br;
}

int
lines_mod(struct ft_bridge *br, enum ft_flow_cmd cmd, const char *line,
          unsigned int flags, struct ft_bridge_flow_changes *c,
          struct ft_error *err)
{
    return ft_bridge_flow_mod_lines(br, cmd, &line, 1, flags, now_ms(), c,
                                    err);
}

int
sh(const char *cmd)
{
    return system(cmd);
}

int
open_sniffer(const char *dev)
{
    struct sockaddr_ll sll;
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));

    if (fd < 0) {
        return -1;
    }
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = if_nametoindex(dev);
    if (bind(fd, (struct sockaddr *) &sll, sizeof sll)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Drains what 'fd' received so far. */
void
drain(int fd)
{
    char buf[2048];

    while (recv(fd, buf, sizeof buf, 0) > 0) {
        continue;
    }
}

int
setup_netns(void **state)
{
    (void) state;
    if (geteuid() != 0 || unshare(CLONE_NEWNET)) {
        return 0;
    }
    /* No IPv6 chatter from the new devices (not needed for correctness:
     * the tests look for their own frames only). */
    (void) sh("sysctl -qw net.ipv6.conf.default.disable_ipv6=1 "
              "net.ipv6.conf.all.disable_ipv6=1 >/dev/null 2>&1");
    sh("ip link set lo up");
    for (int i = 0; i < N_VETH; i++) {
        char cmd[256], peer[16];

        snprintf(cmd, sizeof cmd, "ip link add %c0 type veth peer name %c0p "
                 "&& ip link set %c0 up && ip link set %c0p up",
                 'a' + i, 'a' + i, 'a' + i, 'a' + i);
        if (sh(cmd)) {
            return 0;
        }
        snprintf(peer, sizeof peer, "%c0p", 'a' + i);
        peer_fd[i] = open_sniffer(peer);
        if (peer_fd[i] < 0) {
            return 0;
        }
    }
    in_netns = true;
    return 0;
}

int
teardown_netns(void **state)
{
    (void) state;
    for (int i = 0; i < N_VETH; i++) {
        if (peer_fd[i] > 0) {
            close(peer_fd[i]);
        }
    }
    return 0;
}

/* Builds an Ethernet + IPv4 frame of 'proto' (ICMP, TCP or UDP) from port
 * 'sport' to 'dport' with 'tag' in the payload.  Returns its length. */
size_t
make_frame(uint8_t *f, uint8_t src, uint8_t dst, uint8_t proto,
           uint16_t sport, uint16_t dport, uint32_t tag)
{
    size_t l4 = proto == FT_IPPROTO_UDP ? 8 : proto == FT_IPPROTO_TCP ? 20 : 8;
    size_t ip_len = 20 + l4 + 32;
    uint8_t *ip = f + 14, *l4h = ip + 20;

    memset(f, 0, 14 + ip_len);
    memcpy(f, (uint8_t[]) { 0x02, 0, 0, 0, 0, dst }, 6);
    if (dst == 0xff) {
        memset(f, 0xff, 6);
    }
    memcpy(f + 6, (uint8_t[]) { 0x02, 0, 0, 0, 0, src }, 6);
    f[12] = 0x08;
    ip[0] = 0x45;
    ip[2] = ip_len >> 8;
    ip[3] = ip_len & 0xff;
    ip[8] = 64;
    ip[9] = proto;
    memcpy(ip + 12, (uint8_t[]) { 10, 0, 0, src }, 4);
    memcpy(ip + 16, (uint8_t[]) { 10, 0, 0, dst }, 4);
    if (proto == FT_IPPROTO_ICMP) {
        l4h[0] = 8;
    } else {
        l4h[0] = sport >> 8;
        l4h[1] = sport & 0xff;
        l4h[2] = dport >> 8;
        l4h[3] = dport & 0xff;
        if (proto == FT_IPPROTO_UDP) {
            l4h[5] = 8 + 32;
        } else {
            l4h[12] = 5 << 4;
            l4h[13] = FT_TCP_ACK;
        }
    }
    memcpy(l4h + l4, &tag, sizeof tag);
    return 14 + ip_len;
}

void
inject(int peer, uint8_t src, uint8_t dst, uint8_t proto, uint16_t dport,
       uint32_t tag)
{
    uint8_t f[256];
    size_t n = make_frame(f, src, dst, proto, 1000, dport, tag);

    assert_int_equal(send(peer_fd[peer], f, n, 0), (ssize_t) n);
}

/* Runs the bridge until 'fd' receives a frame carrying 'tag' (true) or
 * 'ms' pass (false). */
bool
expect_tag(struct ft_bridge *br, int fd, uint32_t tag, int ms)
{
    long long int deadline = now_ms() + ms;

    do {
        char buf[4096];
        struct sockaddr_ll sll;
        socklen_t len = sizeof sll;
        ssize_t n;

        ft_bridge_run(br, now_ms());
        ft_bridge_periodic(br, now_ms());
        while ((n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *) &sll,
                             &len)) > 0) {
            if (sll.sll_pkttype != PACKET_OUTGOING
                && memmem(buf, n, &tag, sizeof tag)) {
                return true;
            }
            len = sizeof sll;
        }
        usleep(1000);
    } while (now_ms() < deadline);
    return false;
}

/* Creates "br0" with ports a0=1, b0=2 (and c0=3 if 'with_c'), LOCAL, and
 * 'other_config', with the flow "priority=0 actions=NORMAL". */
struct ft_bridge *
make_switch(bool with_c, char **oc_keys, char **oc_values, size_t n_oc)
{
    static const char *const names[] = { "a0", "b0", "c0" };
    struct ft_bridge_cfg cfg;
    struct ft_bridge *br = make_bridge();
    struct ft_error err;
    size_t n = 0;

    memset(port_cfgs, 0, sizeof port_cfgs);
    for (int i = 0; i < (with_c ? 3 : 2); i++) {
        port_cfgs[n].name = names[i];
        port_cfgs[n].ofport = i + 1;
        port_cfgs[n].tag = -1;
        n++;
    }
    port_cfgs[n].name = "br0";
    port_cfgs[n].type = "internal";
    port_cfgs[n].ofport = FT_PORT_LOCAL;
    port_cfgs[n].tag = -1;
    n++;
    memset(&cfg, 0, sizeof cfg);
    cfg.ports = port_cfgs;
    cfg.n_ports = n_port_cfgs = n;
    cfg.other_config.keys = oc_keys;
    cfg.other_config.values = oc_values;
    cfg.other_config.n = n_oc;
    if (ft_bridge_reconfigure(br, &cfg, now_ms(), &err)) {
        fail_msg("reconfigure: %s", err.reason);
    }
    assert_int_equal(lines_mod(br, FT_FLOW_ADD, FT_BRIDGE_DEFAULT_FLOW, 0,
                               NULL, &err), 0);
    local_fd = open_sniffer("br0");
    assert_true(local_fd >= 0);
    for (int i = 0; i < N_VETH; i++) {
        drain(peer_fd[i]);
    }
    return br;
}

void
destroy_switch(struct ft_bridge *br)
{
    close(local_fd);
    ft_bridge_destroy(br);
}

void
dp_flow_cb(const struct ft_bridge_dp_flow *f, void *aux)
{
    struct ds *s = aux;

    ft_bridge_format_dp_flow(f, now_ms(), s);
    ds_put_char(s, '\n');
}

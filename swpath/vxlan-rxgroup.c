/*
 * vxlan-rxgroup.c - the SO_REUSEPORT group of UDP sockets through which a
 * VXLAN endpoint receives, and the classic BPF program that sorts the
 * datagrams onto them by their outer DF bit and UDP checksum; the design
 * is in swpath/vxlan-rxgroup.h.
 *
 * Part of the software datapath, used by netdev-vxlan.c.  Touches only
 * the sockets it opens, which the caller's 'struct ft_vxlan_rxgroup'
 * holds.
 */
#include "vxlan-rxgroup.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flowtier/flow-key.h"

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

/* Offsets from the outer IPv4 header (SKF_NET_OFF: the kernel runs the
 * program with the data after the UDP header, so the headers are reached
 * from the network header). */
#define NET(OFF) ((uint32_t) (SKF_NET_OFF + (OFF)))
#define IP_FLAGS_BYTE 6         /* Flags and fragment offset, high byte. */
#define IP_DF_IN_BYTE 0x40
#define UDP_CSUM_OFF 6          /* From the UDP header. */

/* Returns df << 1 | (csum != 0), the index of the socket in the group. */
static const struct sock_filter rx_prog_insns[] = {
    /* X = the IPv4 header's length. */
    BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, NET(0)),
    /* A = the UDP checksum field. */
    BPF_STMT(BPF_LD | BPF_H | BPF_IND, NET(UDP_CSUM_OFF)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
    BPF_STMT(BPF_LD | BPF_IMM, 1),
    /* X = csum != 0 (A is 0 when the jump was taken). */
    BPF_STMT(BPF_MISC | BPF_TAX, 0),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, NET(IP_FLAGS_BYTE)),
    BPF_STMT(BPF_ALU | BPF_AND | BPF_K, IP_DF_IN_BYTE),
    BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 5),
    BPF_STMT(BPF_ALU | BPF_OR | BPF_X, 0),
    BPF_STMT(BPF_RET | BPF_A, 0),
};

const struct sock_fprog *
ft_vxlan_rxgroup_prog(void)
{
    static const struct sock_fprog prog = {
        .len = sizeof rx_prog_insns / sizeof rx_prog_insns[0],
        .filter = (struct sock_filter *) rx_prog_insns,
    };

    return &prog;
}

uint16_t
ft_vxlan_rxgroup_flags(const struct ft_vxlan_rxgroup *g, size_t i)
{
    if (g->n_fds != FT_VXLAN_RX_SOCKS) {
        return 0;
    }
    return (i & 2 ? FT_TNL_F_DONT_FRAGMENT : 0) | (i & 1 ? FT_TNL_F_CSUM : 0);
}

static int
rxg_bind(int fd, uint16_t dst_port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_port = htons(dst_port) };

    return bind(fd, (struct sockaddr *) &sin, sizeof sin) ? -errno : 0;
}

/* Opens one receive socket, with SO_REUSEPORT if 'reuseport', not bound.
 * Returns the descriptor or a negative errno. */
static int
rxg_socket(bool reuseport)
{
    int one = 1, fd, error;

    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -errno;
    }
    if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one)
        || setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof one)
        || setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one)
        || (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
                                    sizeof one))) {
        error = -errno;
        close(fd);
        return error;
    }
    return fd;
}

static int
rxg_in_use(uint16_t dst_port, int error, struct ft_error *err)
{
    return ft_error_set(err, error, "vxlan: cannot receive on UDP port %u: "
                        "%s%s", dst_port, strerror(-error),
                        error == -EADDRINUSE
                        ? " (a Linux vxlan device, another program or "
                          "another bridge's vxlan port has it; the vxlan "
                          "ports of one UDP port must be on one bridge)"
                        : "");
}

/* Makes the group of FT_VXLAN_RX_SOCKS sockets with 'prog', which goes on
 * the first socket before its bind so that it decides from the first
 * datagram.  Returns 0 or a negative errno with a reason in 'why'. */
static int
rxg_open_group(struct ft_vxlan_rxgroup *g, uint16_t dst_port,
               const struct sock_fprog *prog, struct ft_error *why)
{
    for (size_t i = 0; i < FT_VXLAN_RX_SOCKS; i++) {
        int fd = rxg_socket(true), error;

        if (fd < 0) {
            return ft_error_set(why, fd, "SO_REUSEPORT: %s", strerror(-fd));
        }
        g->fds[g->n_fds++] = fd;
        if (!i && setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, prog,
                             sizeof *prog)) {
            error = -errno;
            return ft_error_set(why, error, "the kernel refused the "
                                "SO_ATTACH_REUSEPORT_CBPF program: %s",
                                strerror(-error));
        }
        error = rxg_bind(fd, dst_port);
        if (error) {
            return ft_error_set(why, error, "binding socket %zu of the "
                                "SO_REUSEPORT group: %s", i,
                                strerror(-error));
        }
    }
    return 0;
}

int
ft_vxlan_rxgroup_open(struct ft_vxlan_rxgroup *g, uint16_t dst_port,
                      const struct sock_fprog *prog, struct ft_error *err)
{
    struct ft_error why;
    int fd, error;

    memset(g, 0, sizeof *g);
    /* The port must be free: a plain socket cannot join a group. */
    fd = rxg_socket(false);
    if (fd < 0) {
        return ft_error_set(err, fd, "vxlan: cannot open a UDP socket: %s",
                            strerror(-fd));
    }
    error = rxg_bind(fd, dst_port);
    close(fd);
    if (error) {
        return rxg_in_use(dst_port, error, err);
    }

    ft_error_clear(&why);
    error = rxg_open_group(g, dst_port, prog ? prog : ft_vxlan_rxgroup_prog(),
                           &why);
    if (!error) {
        return 0;
    }
    ft_vxlan_rxgroup_close(g);
    snprintf(g->no_flags_reason, sizeof g->no_flags_reason,
             "outer DF and UDP checksum of received packets not seen on "
             "UDP port %u (reported -df-csum): %s", dst_port, why.reason);

    fd = rxg_socket(false);
    error = fd < 0 ? fd : rxg_bind(fd, dst_port);
    if (error) {
        if (fd >= 0) {
            close(fd);
        }
        g->no_flags_reason[0] = '\0';
        return rxg_in_use(dst_port, error, err);
    }
    g->fds[0] = fd;
    g->n_fds = 1;
    return 0;
}

void
ft_vxlan_rxgroup_close(struct ft_vxlan_rxgroup *g)
{
    for (size_t i = 0; i < g->n_fds; i++) {
        close(g->fds[i]);
    }
    g->n_fds = 0;
}

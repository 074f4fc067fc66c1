/*
 * vxlan-rxgroup.h - the UDP sockets a VXLAN endpoint receives through,
 * which tell each packet's outer DF bit and UDP checksum by the socket
 * it arrives on.
 *
 * Design
 * ======
 *
 * No socket option hands out the outer IPv4 header's DF bit or whether
 * the UDP checksum field was set (IP_PKTINFO, IP_RECVTOS and IP_RECVTTL
 * give addresses, TOS and TTL only), and a raw socket would get a second
 * copy of every UDP datagram of the host.  So the UDP port is bound by a
 * SO_REUSEPORT group of FT_VXLAN_RX_SOCKS sockets with a classic BPF
 * program (SO_ATTACH_REUSEPORT_CBPF) that picks the socket of each
 * datagram: the kernel runs it during the socket lookup with the data
 * after the UDP header, so it reads the IPv4 flags and the UDP checksum
 * through negative SKF_NET_OFF loads (the IP header's length by
 * BPF_LDX|BPF_MSH) and returns df << 1 | (csum != 0).  The group's
 * socket order is the order of their binds, which is the order of
 * 'fds'.  The socket a packet comes from gives its flags: no copy, no
 * second read, the same recvmmsg() per batch as one socket.
 *
 * The kernel falls back to its hash for an index out of range, which
 * the program never returns once all the sockets are bound: the few
 * datagrams of the microseconds between the first bind and the last may
 * be read with the wrong flags.
 *
 * Only FlowTier's endpoint may hold the port: before making the group a
 * plain socket is bound to the port and closed again, so a port a Linux
 * vxlan device, another program or another FlowTier endpoint has is
 * refused (-EADDRINUSE) as with one socket (a program that binds it with
 * SO_REUSEPORT as the same user between that check and the group's
 * first bind would join the group, as with any reuseport group).
 *
 * If the kernel refuses SO_REUSEPORT or the program, the group is one
 * plain socket, the reason is kept in 'no_flags_reason' and every packet
 * is reported "-df-csum" (what ft_vxlan_rxgroup_flags() says).
 */
#ifndef SWPATH_VXLAN_RXGROUP_H
#define SWPATH_VXLAN_RXGROUP_H 1

#include <stddef.h>
#include <stdint.h>

#include "flowtier/error.h"

struct sock_fprog;

/* Sockets per UDP port: one per combination of the DF and csum flags. */
#define FT_VXLAN_RX_SOCKS 4

struct ft_vxlan_rxgroup {
    int fds[FT_VXLAN_RX_SOCKS];     /* fds[i] gets the packets of index i. */
    size_t n_fds;                   /* FT_VXLAN_RX_SOCKS, or 1. */
    char no_flags_reason[FT_ERROR_REASON_MAX];  /* Why n_fds is 1, or "". */
};

/* Binds the receive sockets of UDP port 'dst_port' (any address, the
 * calling thread's network namespace) into 'g': nonblocking, with
 * IP_PKTINFO, IP_RECVTOS and IP_RECVTTL.  'prog' is the reuseport
 * program; NULL means ft_vxlan_rxgroup_prog() (another one is for tests
 * only).  If the kernel refuses the group, 'g' has one socket and says
 * why; that is no error.  Returns 0, or a negative errno with a reason
 * in 'err' ('g' then holds no socket). */
int ft_vxlan_rxgroup_open(struct ft_vxlan_rxgroup *g, uint16_t dst_port,
                          const struct sock_fprog *prog,
                          struct ft_error *err);

/* Closes the sockets of 'g'.  A 'g' with n_fds 0 is a no-op. */
void ft_vxlan_rxgroup_close(struct ft_vxlan_rxgroup *g);

/* The FT_TNL_F_DONT_FRAGMENT and FT_TNL_F_CSUM bits of every packet
 * received on socket 'i' of 'g' (0 for the one socket of a group
 * without flags). */
uint16_t ft_vxlan_rxgroup_flags(const struct ft_vxlan_rxgroup *g, size_t i);

/* The program that picks a socket by the outer flags. */
const struct sock_fprog *ft_vxlan_rxgroup_prog(void);

#endif /* SWPATH_VXLAN_RXGROUP_H */

/*
 * tunnel-dev.c - FlowTier's VXLAN devices for the kernel datapath (see
 * tunnel-dev.h), on the TC provider's device handling (tc-tunnel.c) and
 * rtnetlink channel (tc-nl.c).  In the offload layer; touches only the
 * devices FlowTier creates.  Keeps no state: the count of opens is the
 * device's (tc-tunnel.h).
 */
#include "tunnel-dev.h"

#include <errno.h>
#include <net/if.h>

#include "tc-nl.h"
#include "tc-tunnel.h"

int
ft_tunnel_dev_open(uint16_t dst_port, char name[FT_PORT_NAME_MAX],
                   int *ifindex, struct ft_error *err)
{
    struct nl_sock *sock;
    int error;

    error = ft_tc_nl_open(&sock, err);
    if (error) {
        return error;
    }
    error = ft_tc_tunnel_dev_open(sock, dst_port, ifindex, err);
    if (!error) {
        error = ft_tc_tunnel_dev_up(sock, *ifindex, err);
        if (!error && !if_indextoname((unsigned int) *ifindex, name)) {
            error = ft_error_set(err, -errno, "FlowTier's VXLAN device for "
                                 "UDP port %u vanished", dst_port);
        }
        if (error) {
            ft_tc_tunnel_dev_close(sock, dst_port);
        }
    }
    ft_tc_nl_close(sock);
    return error;
}

void
ft_tunnel_dev_close(uint16_t dst_port)
{
    struct nl_sock *sock;

    if (!ft_tc_nl_open(&sock, NULL)) {
        ft_tc_tunnel_dev_close(sock, dst_port);
        ft_tc_nl_close(sock);
    }
}

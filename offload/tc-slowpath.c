/*
 * tc-slowpath.c - the slow path of the kernel TC tier (see
 * tc-slowpath.h): a veth pair per port and the catch-all filter that
 * redirects the port's misses into it.
 *
 * Part of the TC provider (offload layer).  Talks rtnetlink through
 * tc-nl.c; touches only devices named ftsp<IFINDEX> carrying FlowTier's
 * alias, and their IPv6 sysctl.  The catch-all is built by the same
 * ft_tc_filter_build() as every other filter, so --explain and the tests
 * render it as tc would.
 */
#include "tc-slowpath.h"

#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "flowtier/dp-actions.h"
#include "flowtier/flow.h"
#include "tc-nl.h"

void
ft_tc_slowpath_names(int port_ifindex, char tx[16], char rx[16])
{
    snprintf(tx, 16, "ftsp%d", port_ifindex);
    snprintf(rx, 16, "ftsp%du", port_ifindex);
}

struct nl_msg *
ft_tc_slowpath_veth_msg(const char *tx, const char *rx, const char *port_name)
{
    struct nl_msg *msg = ft_tc_nl_link_msg(RTM_NEWLINK,
                                           NLM_F_CREATE | NLM_F_EXCL, 0,
                                           0, 0);
    struct nlattr *linkinfo, *data, *peer;
    struct ifinfomsg peer_ifi;
    char alias[64];

    snprintf(alias, sizeof alias, "%s%s", FT_TC_SLOWPATH_ALIAS, port_name);
    nla_put_string(msg, IFLA_IFNAME, tx);
    nla_put_string(msg, IFLA_IFALIAS, alias);
    nla_put_u32(msg, IFLA_MTU, 65535);
    linkinfo = nla_nest_start(msg, IFLA_LINKINFO);
    nla_put_string(msg, IFLA_INFO_KIND, "veth");
    data = nla_nest_start(msg, IFLA_INFO_DATA);
    peer = nla_nest_start(msg, VETH_INFO_PEER);
    memset(&peer_ifi, 0, sizeof peer_ifi);
    peer_ifi.ifi_family = AF_UNSPEC;
    if (nlmsg_append(msg, &peer_ifi, sizeof peer_ifi, NLMSG_ALIGNTO) < 0) {
        abort();
    }
    nla_put_string(msg, IFLA_IFNAME, rx);
    nla_put_u32(msg, IFLA_MTU, 65535);
    nla_nest_end(msg, peer);
    nla_nest_end(msg, data);
    nla_nest_end(msg, linkinfo);
    return msg;
}

/* The catch-all's one output goes to the slow path, whose ifindex is
 * 'aux'. */
static int
slowpath_lookup(void *aux, ft_port_no port_no,
                const struct ft_dpa_tunnel *tnl, struct ft_tc_port_info *info,
                struct ft_error *err)
{
    (void) port_no;
    (void) tnl;
    (void) err;
    memset(info, 0, sizeof *info);
    info->ifindex = *(const int *) aux;
    return 0;
}

int
ft_tc_slowpath_catchall_msg(int port_ifindex, int tx_ifindex,
                            const uint8_t cookie[FT_TC_COOKIE_LEN],
                            uint32_t skip, struct nl_msg **msgp,
                            struct ft_error *err)
{
    struct ft_dp_actions actions;
    struct ft_match match;
    uint16_t protocol = 0;
    int error;

    /* Every packet: no key but the input port, which is the device the
     * filter is on. */
    ft_match_init_catchall(&match);
    match.mask.in_port = UINT32_MAX;
    ft_dp_actions_init(&actions);
    ft_dp_actions_put_output(&actions, FT_PORT_NONE);
    error = ft_tc_filter_build(NLM_F_CREATE | NLM_F_EXCL, port_ifindex,
                               &match, &actions, slowpath_lookup,
                               &tx_ifindex, cookie, skip, msgp, &protocol,
                               err);
    ft_dp_actions_uninit(&actions);
    if (!error) {
        ft_tc_filter_set_id(*msgp, FT_TC_SLOWPATH_PRIO, protocol, 0);
    }
    return error;
}

/* True if device 'name' exists; '*ours' then says whether it carries
 * FlowTier's slow-path alias. */
static bool
slowpath_exists(const char *name, bool *ours)
{
    char path[96], alias[128] = "";
    FILE *f;

    snprintf(path, sizeof path, "/sys/class/net/%s/ifalias", name);
    f = fopen(path, "r");
    if (!f) {
        *ours = false;
        return if_nametoindex(name) != 0;
    }
    if (!fgets(alias, sizeof alias, f)) {
        alias[0] = '\0';
    }
    fclose(f);
    *ours = !strncmp(alias, FT_TC_SLOWPATH_ALIAS,
                     strlen(FT_TC_SLOWPATH_ALIAS));
    return true;
}

/* Turns IPv6 off on 'name', so that the pair sends nothing of its own
 * (router and neighbour solicitations would reach the datapath as if the
 * port had received them).  A kernel without IPv6 has nothing to turn
 * off. */
static int
slowpath_no_ipv6(const char *name, struct ft_error *err)
{
    char path[96];
    FILE *f;

    snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
             name);
    f = fopen(path, "w");
    if (!f) {
        return errno == ENOENT ? 0
               : ft_error_set(err, -errno, "tc: slow-path device %s: "
                              "cannot turn IPv6 off: %s", name,
                              strerror(errno));
    }
    fputs("1\n", f);
    return fclose(f) ? ft_error_set(err, -EIO, "tc: slow-path device %s: "
                                    "cannot turn IPv6 off", name) : 0;
}

/* Brings 'name' up, with the alias of 'port_name' (veth takes none for
 * the peer in the request that creates it). */
static int
slowpath_set_up(struct nl_sock *sock, const char *name, const char *port_name,
                int *ifindex, struct ft_error *err)
{
    char what[64], alias[64];
    struct nl_msg *msg;

    *ifindex = (int) if_nametoindex(name);
    if (!*ifindex) {
        return ft_error_set(err, -ENODEV, "tc: slow-path device %s "
                            "vanished", name);
    }
    snprintf(what, sizeof what, "tc: slow-path device %s: up", name);
    snprintf(alias, sizeof alias, "%s%s", FT_TC_SLOWPATH_ALIAS, port_name);
    msg = ft_tc_nl_link_msg(RTM_NEWLINK, 0, *ifindex, IFF_UP, IFF_UP);
    nla_put_string(msg, IFLA_IFALIAS, alias);
    return ft_tc_nl_transact(sock, msg, what, err);
}

int
ft_tc_slowpath_create(struct nl_sock *sock, const char *port_name,
                      int port_ifindex, int *tx_ifindex, int *rx_ifindex,
                      struct ft_error *err)
{
    char tx[16], rx[16], what[96];
    bool ours;
    int error;

    ft_tc_slowpath_names(port_ifindex, tx, rx);
    if (slowpath_exists(tx, &ours)) {
        if (!ours) {
            return ft_error_set(err, -EEXIST, "tc: port %s: its slow-path "
                                "device name %s is taken by a device that "
                                "is not FlowTier's", port_name, tx);
        }
        ft_tc_slowpath_destroy(sock, port_ifindex);
    }
    snprintf(what, sizeof what, "tc: port %s: slow-path veth %s", port_name,
             tx);
    error = ft_tc_nl_transact(sock, ft_tc_slowpath_veth_msg(tx, rx,
                                                            port_name),
                              what, err);
    if (!error) {
        error = slowpath_no_ipv6(tx, err);
    }
    if (!error) {
        error = slowpath_no_ipv6(rx, err);
    }
    if (!error) {
        error = slowpath_set_up(sock, rx, port_name, rx_ifindex, err);
    }
    if (!error) {
        error = slowpath_set_up(sock, tx, port_name, tx_ifindex, err);
    }
    if (error) {
        ft_tc_slowpath_destroy(sock, port_ifindex);
    }
    return error;
}

int
ft_tc_slowpath_destroy(struct nl_sock *sock, int port_ifindex)
{
    char tx[16], rx[16];
    struct nl_msg *msg;
    bool ours;

    ft_tc_slowpath_names(port_ifindex, tx, rx);
    if (!slowpath_exists(tx, &ours) || !ours) {
        return 0;
    }
    /* Deleting one end of a veth pair deletes both. */
    msg = ft_tc_nl_link_msg(RTM_DELLINK, 0, 0, 0, 0);
    nla_put_string(msg, IFLA_IFNAME, tx);
    return ft_tc_nl_transact(sock, msg, "tc: delete slow-path device", NULL);
}

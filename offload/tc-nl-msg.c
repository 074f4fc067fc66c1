/*
 * tc-nl-msg.c - the fixed headers of the TC provider's rtnetlink requests
 * (struct tcmsg, struct ifinfomsg; see tc-nl.h), and the request that
 * wants only its ack.  Apart from tc-nl.c's socket so that a model of the
 * kernel's side (tests/unit/tc-nl-fake.c), linked in place of tc-nl.c,
 * sends the very requests the provider builds.  Touches nothing but the
 * messages it returns.
 */
#include "tc-nl.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>

/* A request of 'type' asking for an ack, its fixed header 'hdr' of 'len'
 * bytes first; aborts when out of memory, as libnl's callers here do. */
static struct nl_msg *
nl_request(int type, int flags, const void *hdr, size_t len)
{
    struct nl_msg *msg;

    msg = nlmsg_alloc_simple(type, flags | NLM_F_REQUEST | NLM_F_ACK);
    if (!msg || nlmsg_append(msg, (void *) hdr, len, NLMSG_ALIGNTO) < 0) {
        abort();
    }
    return msg;
}

struct nl_msg *
ft_tc_nl_msg(int type, int flags, int ifindex, uint32_t parent,
             uint32_t handle, uint32_t info)
{
    struct tcmsg tcm;

    memset(&tcm, 0, sizeof tcm);
    tcm.tcm_family = AF_UNSPEC;
    tcm.tcm_ifindex = ifindex;
    tcm.tcm_parent = parent;
    tcm.tcm_handle = handle;
    tcm.tcm_info = info;
    return nl_request(type, flags, &tcm, sizeof tcm);
}

struct nl_msg *
ft_tc_nl_link_msg(int type, int flags, int ifindex, unsigned int ifi_flags,
                  unsigned int ifi_change)
{
    struct ifinfomsg ifi;

    memset(&ifi, 0, sizeof ifi);
    ifi.ifi_family = AF_UNSPEC;
    ifi.ifi_index = ifindex;
    ifi.ifi_flags = ifi_flags;
    ifi.ifi_change = ifi_change;
    return nl_request(type, flags, &ifi, sizeof ifi);
}

int
ft_tc_nl_transact(struct nl_sock *sock, struct nl_msg *msg, const char *what,
                  struct ft_error *err)
{
    return ft_tc_nl_request(sock, msg, NULL, NULL, what, NULL, err);
}

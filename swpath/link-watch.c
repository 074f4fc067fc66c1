/*
 * link-watch.c - network device notifications through libnl
 * (swpath/link-watch.h explains the design).
 *
 * Part of the software datapath.  Talks rtnetlink only: one socket joined
 * to RTNLGRP_LINK; it sends nothing.  All state lives in
 * 'struct ft_link_watch'.
 */
#include "link-watch.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

struct ft_link_watch {
    struct nl_sock *sock;
    ft_link_watch_cb *cb;       /* During ft_link_watch_run() only. */
    void *aux;
    int n_read;
};

/* The attributes read from a link message. */
static struct nla_policy link_policy[IFLA_MAX + 1] = {
    [IFLA_IFNAME] = { .type = NLA_STRING, .maxlen = IF_NAMESIZE },
};

/* Parses one RTM_NEWLINK or RTM_DELLINK into an event for the owner;
 * other messages and malformed ones are skipped. */
static int
link_watch_parse(struct nl_msg *msg, void *w_)
{
    struct ft_link_watch *w = w_;
    struct nlmsghdr *nlh = nlmsg_hdr(msg);
    struct nlattr *tb[IFLA_MAX + 1];
    struct ft_link_event ev;
    struct ifinfomsg *ifi;

    if ((nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
        || nlmsg_parse(nlh, sizeof *ifi, tb, IFLA_MAX, link_policy) < 0) {
        return NL_SKIP;
    }
    ifi = nlmsg_data(nlh);
    memset(&ev, 0, sizeof ev);
    ev.deleted = nlh->nlmsg_type == RTM_DELLINK;
    ev.ifindex = ifi->ifi_index;
    ev.flags = ifi->ifi_flags;
    if (tb[IFLA_IFNAME]) {
        nla_strlcpy(ev.name, tb[IFLA_IFNAME], sizeof ev.name);
    }
    w->n_read++;
    w->cb(&ev, w->aux);
    return NL_OK;
}

int
ft_link_watch_create(struct ft_link_watch **watchp, struct ft_error *err)
{
    struct ft_link_watch *w = calloc(1, sizeof *w);
    const char *what = "socket";
    int error;

    *watchp = NULL;
    if (!w || !(w->sock = nl_socket_alloc())) {
        free(w);
        return ft_error_set(err, -ENOMEM, "device notifications: out of "
                            "memory");
    }
    nl_socket_disable_seq_check(w->sock);
    nl_socket_modify_cb(w->sock, NL_CB_VALID, NL_CB_CUSTOM,
                        link_watch_parse, w);
    error = nl_connect(w->sock, NETLINK_ROUTE);
    if (!error) {
        what = "RTNLGRP_LINK membership";
        error = nl_socket_add_membership(w->sock, RTNLGRP_LINK);
    }
    if (!error) {
        what = "non-blocking mode";
        error = nl_socket_set_nonblocking(w->sock);
    }
    if (!error) {
        int size = FT_LINK_WATCH_RCVBUF;

        /* Beyond net.core.rmem_max if the process may (CAP_NET_ADMIN);
         * else as much as SO_RCVBUF gives, and lost notifications are
         * caught by the owner's full check. */
        what = "receive buffer";
        if (setsockopt(nl_socket_get_fd(w->sock), SOL_SOCKET, SO_RCVBUFFORCE,
                       &size, sizeof size)) {
            error = nl_socket_set_buffer_size(w->sock, size, 0);
        }
    }
    if (error) {
        ft_error_set(err, -EIO, "device notifications: cannot set up the "
                     "rtnetlink %s (libnl: %s)", what, nl_geterror(error));
        ft_link_watch_destroy(w);
        return -EIO;
    }
    *watchp = w;
    return 0;
}

void
ft_link_watch_destroy(struct ft_link_watch *w)
{
    if (w) {
        nl_socket_free(w->sock);
        free(w);
    }
}

int
ft_link_watch_get_fd(const struct ft_link_watch *w)
{
    return nl_socket_get_fd(w->sock);
}

int
ft_link_watch_run(struct ft_link_watch *w, ft_link_watch_cb *cb, void *aux)
{
    bool lost = false;

    w->cb = cb;
    w->aux = aux;
    w->n_read = 0;
    for (;;) {
        int error = nl_recvmsgs_default(w->sock);

        if (error == -NLE_AGAIN) {
            break;
        } else if (error < 0) {
            /* ENOBUFS (libnl: NLE_NOMEM): the kernel dropped
             * notifications.  Read on: what is queued after is good. */
            lost = true;
            if (error != -NLE_NOMEM) {
                break;
            }
        }
    }
    w->cb = NULL;
    w->aux = NULL;
    return lost ? -ENOBUFS : w->n_read;
}

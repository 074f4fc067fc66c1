/*
 * tc-del.c - many flower filters deleted in one batch (see tc-del.h).
 *
 * Part of the offload layer, private to the TC provider.  Talks to the
 * kernel only through tc-nl.c's pipelined requests; keeps no state
 * between calls.  At most FT_TC_DEL_WINDOW requests are in flight: a
 * window is sent, then its answers read, so a batch of N filters costs
 * N / FT_TC_DEL_WINDOW waits instead of N.
 */
#include "tc-del.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "tc-nl.h"

#define TC_INGRESS_PARENT TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)

/* One window: the sequence number of each request sent, by position. */
struct del_window {
    const struct ft_tc_filter_id *ids;
    struct ft_tc_del_result *results;
    uint32_t seqs[FT_TC_DEL_WINDOW];
    bool answered[FT_TC_DEL_WINDOW];
    size_t n;
};

static struct ft_tc_del_result *
del_window_find(struct del_window *w, uint32_t seq, size_t *idx)
{
    for (size_t i = 0; i < w->n; i++) {
        if (w->seqs[i] == seq) {
            *idx = i;
            return &w->results[i];
        }
    }
    return NULL;
}

static void
del_msg_cb(const struct nlmsghdr *nlh, void *w_)
{
    size_t idx;
    struct ft_tc_del_result *r = del_window_find(w_, nlh->nlmsg_seq, &idx);

    if (r && nlh->nlmsg_type == RTM_DELTFILTER
        && !ft_tc_filter_parse(nlh, &r->filter)) {
        r->echoed = true;
    }
}

static void
del_ack_cb(uint32_t seq, int error, const char *msg, void *w_)
{
    struct del_window *w = w_;
    size_t idx;
    struct ft_tc_del_result *r = del_window_find(w, seq, &idx);

    if (r) {
        r->error = error;
        snprintf(r->msg, sizeof r->msg, "%s", msg ? msg : "");
        w->answered[idx] = true;
    }
}

/* Sends the deletes of 'w' and reads their answers.  Returns 0 or -EIO. */
static int
del_window_run(struct nl_sock *sock, struct del_window *w)
{
    size_t sent = 0;
    int error = 0;

    for (size_t i = 0; i < w->n && !error; i++) {
        const struct ft_tc_filter_id *id = &w->ids[i];
        struct nl_msg *msg = ft_tc_nl_msg(RTM_DELTFILTER, NLM_F_ECHO,
                                          id->ifindex, TC_INGRESS_PARENT,
                                          id->handle,
                                          TC_H_MAKE(id->prio << 16,
                                                    id->protocol));

        nla_put_string(msg, TCA_KIND, "flower");
        error = ft_tc_nl_send(sock, msg, &w->seqs[i], "tc: delete filter",
                              NULL);
        sent += !error;
    }
    /* What was sent is answered even if a later send failed. */
    if (sent && ft_tc_nl_collect(sock, w->seqs, sent, del_msg_cb,
                                 del_ack_cb, w)) {
        error = -EIO;
    }
    for (size_t i = 0; error && i < w->n; i++) {
        if (!w->answered[i]) {
            w->results[i].error = -EIO;
            snprintf(w->results[i].msg, sizeof w->results[i].msg,
                     "the kernel's answer was lost");
        }
    }
    return error ? -EIO : 0;
}

int
ft_tc_del_filters(struct nl_sock *sock, const struct ft_tc_filter_id ids[],
                  size_t n, struct ft_tc_del_result results[])
{
    int error = 0;

    memset(results, 0, n * sizeof *results);
    for (size_t start = 0; start < n; start += FT_TC_DEL_WINDOW) {
        struct del_window w;

        memset(&w, 0, sizeof w);
        w.ids = &ids[start];
        w.results = &results[start];
        w.n = n - start < FT_TC_DEL_WINDOW ? n - start : FT_TC_DEL_WINDOW;
        if (del_window_run(sock, &w)) {
            error = -EIO;
        }
    }
    return error;
}

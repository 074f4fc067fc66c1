/*
 * tc-nl-fake.c - a model of the kernel's TC side behind the TC provider's
 * rtnetlink channel (offload/tc-nl.h), for unit tests: linked in place of
 * tc-nl.c, it keeps the flower filters the provider adds, replaces and
 * deletes, answers as the kernel does (acks in request order, the filter
 * sent back for NLM_F_ECHO and for a get, dumps), refuses what a test
 * scripts with the message it gives, and counts what the provider asks:
 * requests, waits for answers (each a round trip to the kernel) and
 * dumps.
 *
 * Test code only; its state is the one 'struct tc_fake' a test owns
 * (tc-nl-fake.h), which the socket pointer leads to.
 */
#include "tc-nl-fake.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <linux/gen_stats.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "offload/tc-nl.h"
#include "offload/tc-translate.h"

/* The one model the provider's sockets talk to, set by the test. */
static struct tc_fake *the_fake;

void
tc_fake_init(struct tc_fake *f)
{
    memset(f, 0, sizeof *f);
    the_fake = f;
}

struct tc_fake_filter *
tc_fake_find(struct tc_fake *f, int ifindex, uint32_t handle)
{
    for (size_t i = 0; i < f->n; i++) {
        if (f->filters[i].ifindex == ifindex
            && f->filters[i].handle == handle) {
            return &f->filters[i];
        }
    }
    return NULL;
}

int
ft_tc_nl_open(struct nl_sock **sockp, struct ft_error *err)
{
    (void) err;
    *sockp = (struct nl_sock *) the_fake;
    return 0;
}

void
ft_tc_nl_close(struct nl_sock *sock)
{
    (void) sock;
}

/* The filter 'ff' as the kernel sends it: message 'type', one action of
 * its kind with FlowTier's cookie (unless it is someone else's) and its
 * counters. */
static struct nl_msg *
filter_msg(const struct tc_fake_filter *ff, int type, uint32_t seq)
{
    struct nl_msg *msg = nlmsg_alloc_simple(type, 0);
    struct tcmsg tcm = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ff->ifindex,
                         .tcm_handle = ff->handle,
                         .tcm_info = TC_H_MAKE(ff->prio << 16,
                                               ff->protocol) };
    struct gnet_stats_basic b = { .bytes = ff->bytes,
                                  .packets = ff->packets };
    struct nlattr *opts, *acts, *act, *stats;

    nlmsg_hdr(msg)->nlmsg_seq = seq;
    nlmsg_append(msg, &tcm, sizeof tcm, NLMSG_ALIGNTO);
    nla_put_string(msg, TCA_KIND, "flower");
    opts = nla_nest_start(msg, TCA_OPTIONS);
    nla_put_u32(msg, TCA_FLOWER_FLAGS, ff->flags | TCA_CLS_FLAGS_IN_HW);
    acts = nla_nest_start(msg, TCA_FLOWER_ACT);
    act = nla_nest_start(msg, 1);
    nla_put_string(msg, TCA_ACT_KIND, ff->action);
    if (!ff->foreign) {
        nla_put(msg, TCA_ACT_COOKIE, 16,
                FT_TC_COOKIE_MAGIC "\0\0\0\0\0\0\0");
    }
    stats = nla_nest_start(msg, TCA_ACT_STATS);
    nla_put(msg, TCA_STATS_BASIC, sizeof b, &b);
    nla_nest_end(msg, stats);
    nla_nest_end(msg, act);
    nla_nest_end(msg, acts);
    nla_nest_end(msg, opts);
    return msg;
}

/* The kind and flags of the first action and flower flags of request
 * 'nlh'. */
static void
request_filter(struct nlmsghdr *nlh, struct tc_fake_filter *ff)
{
    struct nlattr *tb[TCA_MAX + 1], *fl[TCA_FLOWER_MAX + 1];
    struct nlattr *acts[TCA_ACT_MAX_PRIO + 1], *act[TCA_ACT_MAX + 1];

    snprintf(ff->action, sizeof ff->action, "?");
    if (nlmsg_parse(nlh, sizeof(struct tcmsg), tb, TCA_MAX, NULL) < 0
        || !tb[TCA_OPTIONS]
        || nla_parse_nested(fl, TCA_FLOWER_MAX, tb[TCA_OPTIONS], NULL) < 0) {
        return;
    }
    if (fl[TCA_FLOWER_FLAGS]) {
        ff->flags = nla_get_u32(fl[TCA_FLOWER_FLAGS]);
    }
    if (fl[TCA_FLOWER_ACT]
        && nla_parse_nested(acts, TCA_ACT_MAX_PRIO, fl[TCA_FLOWER_ACT],
                            NULL) >= 0
        && acts[1] && nla_parse_nested(act, TCA_ACT_MAX, acts[1], NULL) >= 0
        && act[TCA_ACT_KIND]) {
        snprintf(ff->action, sizeof ff->action, "%s",
                 (const char *) nla_data(act[TCA_ACT_KIND]));
    }
}

/* What the model does with request 'nlh': its answer's errno and
 * message, and for an echo or a get the filter to send back ('*reply',
 * NULL if none). */
static int
fake_handle(struct tc_fake *f, struct nlmsghdr *nlh, const char **msg,
            struct nl_msg **reply)
{
    int type = nlh->nlmsg_type;
    struct tcmsg *tcm = nlmsg_data(nlh);
    struct tc_fake_filter *ff = NULL;
    bool echo = nlh->nlmsg_flags & NLM_F_ECHO;

    *msg = "";
    *reply = NULL;
    f->n_requests++;
    if (type == RTM_NEWTFILTER || type == RTM_GETTFILTER
        || type == RTM_DELTFILTER) {
        ff = tc_fake_find(f, tcm->tcm_ifindex, tcm->tcm_handle);
    }
    switch (nlh->nlmsg_type) {
    case RTM_NEWTFILTER:
        if (nlh->nlmsg_flags & NLM_F_REPLACE) {
            if (!ff) {
                return -ENOENT;
            }
            if (f->refuse_replace == ff->handle) {
                *msg = f->refuse_msg;
                return -EOPNOTSUPP;
            }
            request_filter(nlh, ff);
            ff->packets = ff->bytes = 0;    /* A new filter counts anew. */
            f->n_replaced++;
        } else {
            if (ff || f->n >= TC_FAKE_MAX) {
                return ff ? -EEXIST : -ENOSPC;
            }
            ff = &f->filters[f->n++];
            memset(ff, 0, sizeof *ff);
            ff->ifindex = tcm->tcm_ifindex;
            ff->handle = tcm->tcm_handle;
            ff->prio = TC_H_MAJ(tcm->tcm_info) >> 16;
            ff->protocol = TC_H_MIN(tcm->tcm_info);
            request_filter(nlh, ff);
        }
        if (echo) {
            *reply = filter_msg(ff, RTM_NEWTFILTER, nlh->nlmsg_seq);
        }
        return 0;
    case RTM_GETTFILTER:
        if (!ff) {
            return -ENOENT;
        }
        *reply = filter_msg(ff, RTM_NEWTFILTER, nlh->nlmsg_seq);
        return 0;
    case RTM_DELTFILTER:
        if (!ff) {
            return -ENOENT;
        }
        if (f->refuse_del == ff->handle) {
            f->n_del_refused++;
            *msg = f->refuse_msg;
            return -EBUSY;
        }
        if (echo) {
            *reply = filter_msg(ff, RTM_DELTFILTER, nlh->nlmsg_seq);
        }
        *ff = f->filters[--f->n];
        f->n_deleted++;
        return 0;
    case RTM_DELQDISC:
        if (f->n_qdiscs_deleted < sizeof f->qdiscs_deleted
                                  / sizeof f->qdiscs_deleted[0]) {
            f->qdiscs_deleted[f->n_qdiscs_deleted++] = tcm->tcm_ifindex;
        }
        return 0;
    default:
        return 0;               /* Other qdisc requests, links: taken. */
    }
}

int
ft_tc_nl_request(struct nl_sock *sock, struct nl_msg *msg,
                 int (*cb)(struct nl_msg *, void *aux), void *aux,
                 const char *what, char warning[FT_ERROR_REASON_MAX],
                 struct ft_error *err)
{
    struct tc_fake *f = (struct tc_fake *) sock;
    struct nl_msg *reply;
    const char *m;
    int error;

    f->n_waits++;
    error = fake_handle(f, nlmsg_hdr(msg), &m, &reply);
    nlmsg_free(msg);
    if (reply) {
        if (cb) {
            cb(reply, aux);
        }
        nlmsg_free(reply);
    }
    if (warning) {
        warning[0] = '\0';
    }
    return error ? ft_error_set(err, error, "%s: %s", what,
                                m[0] ? m : strerror(-error)) : 0;
}

int
ft_tc_nl_send(struct nl_sock *sock, struct nl_msg *msg, uint32_t *seq,
              const char *what, struct ft_error *err)
{
    struct tc_fake *f = (struct tc_fake *) sock;
    struct tc_fake_answer *a;

    (void) what;
    (void) err;
    if (f->n_queued >= TC_FAKE_MAX_QUEUED) {
        abort();                /* More in flight than a socket holds. */
    }
    a = &f->queued[f->n_queued++];
    *seq = a->seq = ++f->next_seq;
    nlmsg_hdr(msg)->nlmsg_seq = a->seq;
    a->error = fake_handle(f, nlmsg_hdr(msg), &a->msg, &a->reply);
    if (f->n_queued > f->max_in_flight) {
        f->max_in_flight = f->n_queued;
    }
    nlmsg_free(msg);
    return 0;
}

int
ft_tc_nl_collect(struct nl_sock *sock, const uint32_t seqs[], size_t n,
                 void (*msg_cb)(const struct nlmsghdr *, void *aux),
                 void (*ack_cb)(uint32_t seq, int error, const char *msg,
                                void *aux),
                 void *aux)
{
    struct tc_fake *f = (struct tc_fake *) sock;
    size_t answered = 0, kept = 0;

    f->n_waits++;
    for (size_t i = 0; i < f->n_queued; i++) {
        struct tc_fake_answer *a = &f->queued[i];
        bool wanted = false;

        for (size_t j = 0; j < n && !wanted; j++) {
            wanted = seqs[j] == a->seq;
        }
        if (!wanted) {
            f->queued[kept++] = *a;
            continue;
        }
        if (a->reply) {
            if (msg_cb) {
                msg_cb(nlmsg_hdr(a->reply), aux);
            }
            nlmsg_free(a->reply);
        }
        ack_cb(a->seq, a->error, a->msg, aux);
        answered++;
    }
    f->n_queued = kept;
    return answered == n ? 0 : -EIO;
}

void
ft_tc_nl_set_timeout(struct nl_sock *sock, int ms)
{
    (void) sock;
    (void) ms;
}

int
ft_tc_nl_dump(struct nl_sock *sock, struct nl_msg *msg,
              int (*cb)(struct nl_msg *, void *aux), void *aux)
{
    struct tc_fake *f = (struct tc_fake *) sock;
    struct nlmsghdr *nlh = nlmsg_hdr(msg);
    int ifindex = ((struct tcmsg *) nlmsg_data(nlh))->tcm_ifindex;
    bool filters = nlh->nlmsg_type == RTM_GETTFILTER;

    nlmsg_free(msg);
    f->n_waits++;
    if (!filters) {
        return 0;
    }
    f->n_dumps++;
    for (size_t i = 0; i < f->n; i++) {
        if (f->filters[i].ifindex == ifindex) {
            struct nl_msg *m = filter_msg(&f->filters[i], RTM_NEWTFILTER, 0);

            cb(m, aux);
            nlmsg_free(m);
        }
    }
    return 0;
}

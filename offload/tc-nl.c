/*
 * tc-nl.c - the TC provider's rtnetlink channel (see tc-nl.h), on libnl-3:
 * its socket and receive loop (the request headers are built in
 * tc-nl-msg.c); the extended ack
 * (NETLINK_EXT_ACK) is read here so that the kernel's own words become
 * the refusal reason a user sees.
 */
#include "tc-nl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Sets how long a receive on 'sock' waits for the kernel's next message
 * before giving up. */
static void
nl_set_rcvtimeo(struct nl_sock *sock, int ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

    setsockopt(nl_socket_get_fd(sock), SOL_SOCKET, SO_RCVTIMEO, &tv,
               sizeof tv);
}

void
ft_tc_nl_set_timeout(struct nl_sock *sock, int ms)
{
    nl_set_rcvtimeo(sock, ms);
}

int
ft_tc_nl_open(struct nl_sock **sockp, struct ft_error *err)
{
    struct nl_sock *sock = nl_socket_alloc();
    int one = 1;
    int error;

    *sockp = NULL;
    if (!sock) {
        return ft_error_set(err, -ENOMEM, "tc: out of memory");
    }
    error = nl_connect(sock, NETLINK_ROUTE);
    if (error) {
        nl_socket_free(sock);
        return ft_error_set(err, -EPERM, "tc: cannot open an rtnetlink "
                            "socket: %s", nl_geterror(error));
    }
    /* Ask for the kernel's reasons, and for acks without a copy of the
     * request (the reasons then start right after the error). */
    setsockopt(nl_socket_get_fd(sock), SOL_NETLINK, NETLINK_EXT_ACK, &one,
               sizeof one);
    setsockopt(nl_socket_get_fd(sock), SOL_NETLINK, NETLINK_CAP_ACK, &one,
               sizeof one);
    nl_socket_disable_auto_ack(sock);
    /* Room for the answers of a batch of pipelined requests. */
    nl_socket_set_buffer_size(sock, 1 << 20, 0);
    /* The kernel answers a request while handling it, before the send
     * returns, and a dump while it is read: a receive that waits long
     * waits for an answer that was lost. */
    nl_set_rcvtimeo(sock, FT_TC_NL_TIMEOUT_MS);
    *sockp = sock;
    return 0;
}

void
ft_tc_nl_close(struct nl_sock *sock)
{
    if (sock) {
        nl_socket_free(sock);
    }
}

/* What the error callback found. */
struct ack {
    int error;                  /* 0 or negative errno. */
    char msg[FT_ERROR_REASON_MAX];
    int done;
    uint32_t seq;               /* The request's sequence number. */
};

/* Skips every message that answers another request than 'ack''s (one
 * sent earlier whose answer came late or was not read). */
static int
ack_seq_check_cb(struct nl_msg *msg, void *aux)
{
    const struct ack *ack = aux;

    return nlmsg_hdr(msg)->nlmsg_seq == ack->seq ? NL_OK : NL_SKIP;
}

/* Reads the extack message that follows 'e' in its netlink message (sent
 * with NETLINK_CAP_ACK: no copy of the request in between). */
static void
ack_read_extack(const struct nlmsgerr *e, struct ack *ack)
{
    const struct nlmsghdr *nlh = (const struct nlmsghdr *)
                                 ((const char *) e - NLMSG_HDRLEN);
    const char *p = (const char *) e + sizeof *e;
    const char *end = (const char *) nlh + nlh->nlmsg_len;

    if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) {
        return;
    }
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
        p += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
    }
    while (p + sizeof(struct nlattr) <= end) {
        const struct nlattr *a = (const struct nlattr *) p;
        size_t len = a->nla_len;

        if (len < sizeof *a || p + len > end) {
            return;
        }
        if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG
            && len > sizeof *a) {
            size_t n = len - sizeof *a;

            n = n < sizeof ack->msg ? n : sizeof ack->msg - 1;
            memcpy(ack->msg, p + sizeof *a, n);
            ack->msg[n] = '\0';
            ack->msg[strcspn(ack->msg, "\n")] = '\0';
            return;
        }
        p += NLA_ALIGN(len);
    }
}

static int
ack_error_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *aux)
{
    struct ack *ack = aux;

    (void) nla;
    ack->error = e->error;
    ack->done = 1;
    ack_read_extack(e, ack);
    return NL_STOP;
}

static int
ack_finish_cb(struct nl_msg *msg, void *aux)
{
    struct ack *ack = aux;
    struct nlmsghdr *nlh = nlmsg_hdr(msg);

    /* A request that succeeded may still carry the kernel's words (a
     * driver that did not take a filter TC kept in software). */
    if (nlh->nlmsg_type == NLMSG_ERROR
        && nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(struct nlmsgerr)) {
        ack_read_extack(nlmsg_data(nlh), ack);
    }
    ack->done = 1;
    return NL_STOP;
}

/* Receives until the request's ack or error, passing other messages to
 * 'valid' (may be NULL). */
static int
nl_wait(struct nl_sock *sock, struct ack *ack,
        int (*valid)(struct nl_msg *, void *), void *aux)
{
    struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
    int error = 0;

    if (!cb) {
        return -ENOMEM;
    }
    nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, ack_seq_check_cb, ack);
    nl_cb_err(cb, NL_CB_CUSTOM, ack_error_cb, ack);
    nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ack_finish_cb, ack);
    nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, ack_finish_cb, ack);
    if (valid) {
        nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid, aux);
    }
    while (!ack->done) {
        error = nl_recvmsgs(sock, cb);
        if (error < 0 && !ack->done) {
            break;
        }
        error = 0;
    }
    nl_cb_put(cb);
    return error == -NLE_AGAIN ? -ETIMEDOUT : error < 0 ? -EIO : 0;
}

int
ft_tc_nl_request(struct nl_sock *sock, struct nl_msg *msg,
                 int (*cb)(struct nl_msg *, void *aux), void *aux,
                 const char *what, char warning[FT_ERROR_REASON_MAX],
                 struct ft_error *err)
{
    struct ack ack = { 0, "", 0, 0 };
    int error;

    if (warning) {
        warning[0] = '\0';
    }
    error = nl_send_auto(sock, msg);
    ack.seq = nlmsg_hdr(msg)->nlmsg_seq;
    nlmsg_free(msg);
    if (error < 0) {
        return ft_error_set(err, -EIO, "%s: cannot send: %s", what,
                            nl_geterror(error));
    }
    error = nl_wait(sock, &ack, cb, aux);
    if (error == -ETIMEDOUT) {
        return ft_error_set(err, error, "%s: no answer from the kernel in "
                            "%d ms", what, FT_TC_NL_TIMEOUT_MS);
    }
    if (!error && !ack.error && warning) {
        memcpy(warning, ack.msg, sizeof ack.msg);
    }
    if (!error) {
        error = ack.error;
    }
    if (error) {
        return ft_error_set(err, error, "%s: %s", what,
                            ack.msg[0] ? ack.msg : strerror(-error));
    }
    return 0;
}

int
ft_tc_nl_send(struct nl_sock *sock, struct nl_msg *msg, uint32_t *seq,
              const char *what, struct ft_error *err)
{
    int error;

    nl_complete_msg(sock, msg);
    *seq = nlmsg_hdr(msg)->nlmsg_seq;
    error = nl_send(sock, msg);
    nlmsg_free(msg);
    return (error < 0
            ? ft_error_set(err, -EIO, "%s: cannot send: %s", what,
                           nl_geterror(error))
            : 0);
}

/* The position of 'seq' among the 'n' sequence numbers 'seqs' not answered
 * yet ('answered'), or -1. */
static ssize_t
collect_find(const uint32_t seqs[], const bool answered[], size_t n,
             uint32_t seq)
{
    for (size_t i = 0; i < n; i++) {
        if (seqs[i] == seq && !answered[i]) {
            return (ssize_t) i;
        }
    }
    return -1;
}

int
ft_tc_nl_collect(struct nl_sock *sock, const uint32_t seqs[], size_t n,
                 void (*msg_cb)(const struct nlmsghdr *, void *aux),
                 void (*ack_cb)(uint32_t seq, int error, const char *msg,
                                void *aux),
                 void *aux)
{
    enum { BUF_SIZE = 65536 };
    int fd = nl_socket_get_fd(sock);
    bool *answered;
    size_t left = n;
    char *buf;
    int error = 0;

    if (!n) {
        return 0;
    }
    buf = malloc(BUF_SIZE);
    answered = calloc(n, sizeof *answered);
    if (!buf || !answered) {
        free(answered);
        free(buf);
        return -ENOMEM;
    }
    while (left) {
        ssize_t len = recv(fd, buf, BUF_SIZE, 0);
        const struct nlmsghdr *nlh = (const struct nlmsghdr *) buf;
        int room;

        if (len < 0 && errno == EINTR) {
            continue;
        }
        if (len <= 0) {
            error = (len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
                     ? -ETIMEDOUT : -EIO);
            break;
        }
        for (room = (int) len; left && NLMSG_OK(nlh, room);
             nlh = NLMSG_NEXT(nlh, room)) {
            ssize_t i = collect_find(seqs, answered, n, nlh->nlmsg_seq);

            if (i < 0) {
                continue;       /* An earlier request's, late. */
            }
            if (nlh->nlmsg_type == NLMSG_ERROR
                && nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(struct nlmsgerr)) {
                const struct nlmsgerr *e = NLMSG_DATA(nlh);
                struct ack ack = { e->error, "", 1, nlh->nlmsg_seq };

                ack_read_extack(e, &ack);
                answered[i] = true;
                left--;
                ack_cb(nlh->nlmsg_seq, ack.error, ack.msg, aux);
            } else if (msg_cb) {
                msg_cb(nlh, aux);
            }
        }
    }
    free(answered);
    free(buf);
    return error;
}

int
ft_tc_nl_dump(struct nl_sock *sock, struct nl_msg *msg,
              int (*cb)(struct nl_msg *, void *aux), void *aux)
{
    struct ack ack = { 0, "", 0, 0 };
    int error;

    nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_DUMP;
    nlmsg_hdr(msg)->nlmsg_flags &= ~NLM_F_ACK;
    error = nl_send_auto(sock, msg);
    ack.seq = nlmsg_hdr(msg)->nlmsg_seq;
    nlmsg_free(msg);
    if (error < 0) {
        return -EIO;
    }
    error = nl_wait(sock, &ack, cb, aux);
    return error ? error : ack.error;
}

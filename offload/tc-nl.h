/*
 * tc-nl.h - the TC provider's rtnetlink channel: one libnl-3 socket per
 * provider instance, requests answered with the kernel's extended ack
 * message, and dumps.
 *
 * Private to offload/tc*.c.  Every function returns 0 or a negative errno;
 * a failed request fills 'err' with the kernel's extack message when it
 * gave one ("Error: ftnic: cannot offload action tunnel_key set"), else
 * with the errno's words, prefixed by what was being done.
 */
#ifndef OFFLOAD_TC_NL_H
#define OFFLOAD_TC_NL_H 1

#include <stdint.h>

#include "flowtier/error.h"

struct nl_msg;
struct nl_sock;
struct nlmsghdr;

/* How long (ms) a receive waits for the kernel's next message.  The
 * kernel answers a request while it handles it, so a wait this long is
 * for an answer that was lost (the socket's receive buffer was full):
 * the request then fails with -ETIMEDOUT instead of blocking its caller
 * for good. */
#define FT_TC_NL_TIMEOUT_MS 5000

/* Opens an rtnetlink socket with extended acks.  Returns 0 with '*sockp'
 * set or a negative errno with 'err' filled. */
int ft_tc_nl_open(struct nl_sock **sockp, struct ft_error *err);
void ft_tc_nl_close(struct nl_sock *);

/* Makes receives on 'sock' wait at most 'ms' instead of
 * FT_TC_NL_TIMEOUT_MS (for tests). */
void ft_tc_nl_set_timeout(struct nl_sock *, int ms);

/* Builds a TC message of 'type' (RTM_NEWTFILTER, ...) with 'flags'
 * (NLM_F_*, NLM_F_REQUEST and NLM_F_ACK are added) and a struct tcmsg for
 * 'ifindex', 'parent', 'handle' and 'info'.  Aborts on allocation
 * failure. */
struct nl_msg *ft_tc_nl_msg(int type, int flags, int ifindex,
                            uint32_t parent, uint32_t handle, uint32_t info);

/* Builds an rtnetlink link message of 'type' (RTM_NEWLINK, RTM_GETLINK,
 * RTM_DELLINK) with 'flags' (NLM_F_REQUEST and NLM_F_ACK are added) and a
 * struct ifinfomsg for 'ifindex' (0: by name or for a dump) with
 * 'ifi_flags' under the mask 'ifi_change'.  Aborts on allocation
 * failure. */
struct nl_msg *ft_tc_nl_link_msg(int type, int flags, int ifindex,
                                 unsigned int ifi_flags,
                                 unsigned int ifi_change);

/* Sends 'msg' (freed here) and waits for the kernel's answer, the one
 * with the request's sequence number (an earlier request's answer that
 * came late is skipped).  Returns 0, or the kernel's negative errno with
 * 'err' set to "WHAT: message" (the extack message, or the errno's
 * words), or -ETIMEDOUT if no answer came within FT_TC_NL_TIMEOUT_MS. */
int ft_tc_nl_transact(struct nl_sock *, struct nl_msg *msg, const char *what,
                      struct ft_error *err);

/* Sends 'msg' (freed here), passes each message of the answer before
 * the ack to 'cb' (may be NULL) and waits for the ack.  Returns as
 * ft_tc_nl_transact(); on success, if 'warning' is nonnull, stores in it
 * the message the kernel attached to its ack ("" if none): a driver's
 * refusal of a filter that TC kept in software arrives that way. */
int ft_tc_nl_request(struct nl_sock *, struct nl_msg *msg,
                     int (*cb)(struct nl_msg *, void *aux), void *aux,
                     const char *what, char warning[FT_ERROR_REASON_MAX],
                     struct ft_error *err);

/* Pipelined requests: ft_tc_nl_send() sends a request without waiting
 * for its answer, and ft_tc_nl_collect() then reads the answers of the
 * requests sent so, in the order the kernel handled them (that of the
 * sends), each matched by its sequence number.  No other request may use
 * the socket in between. */

/* Sends 'msg' (freed here), NLM_F_ACK set, and stores its sequence number
 * in '*seq'.  Returns 0, or -EIO with 'err' set to "WHAT: ...". */
int ft_tc_nl_send(struct nl_sock *, struct nl_msg *msg, uint32_t *seq,
                  const char *what, struct ft_error *err);

/* Receives until the requests with the 'n' sequence numbers 'seqs' are
 * acked, calling 'ack_cb' with each ack (its sequence number, 0 or the
 * kernel's negative errno, and the message the kernel attached, "" if
 * none) and 'msg_cb' (may be NULL) with every other message of those
 * requests (the filter an NLM_F_ECHO request gets back comes before its
 * ack).  Messages of other requests (earlier ones, answered late) are
 * skipped.  Returns 0, -EIO if the socket failed (answers were lost) or
 * -ETIMEDOUT if no message came for FT_TC_NL_TIMEOUT_MS: the requests
 * not acked then have an unknown fate. */
int ft_tc_nl_collect(struct nl_sock *, const uint32_t seqs[], size_t n,
                     void (*msg_cb)(const struct nlmsghdr *, void *aux),
                     void (*ack_cb)(uint32_t seq, int error, const char *msg,
                                    void *aux),
                     void *aux);

/* Sends the dump request 'msg' (freed here) and calls 'cb' with each
 * message of the answer.  Returns 0 or a negative errno. */
int ft_tc_nl_dump(struct nl_sock *, struct nl_msg *msg,
                  int (*cb)(struct nl_msg *, void *aux), void *aux);

#endif /* offload/tc-nl.h */

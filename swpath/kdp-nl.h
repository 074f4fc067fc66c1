/*
 * kdp-nl.h - the netlink client of flowtier.ko's protocol
 * (flowtier/kdp.h), for the kernel datapath class (dpif-kernel.c): a
 * request socket with its families resolved, requests that wait for their
 * answer and turn an extended-ack refusal into a reason, and the encoding
 * of FlowTier's datapath actions as the module's nested attributes.
 *
 * Thread-safety: none; one client per datapath.
 */
#ifndef SWPATH_KDP_NL_H
#define SWPATH_KDP_NL_H 1

#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "flowtier/dp-actions.h"
#include "flowtier/error.h"
#include "flowtier/kdp.h"

struct ft_kdp_nl {
    struct nl_sock *sock;       /* Requests and their answers. */
    int family_dp, family_vport, family_flow, family_packet;
};

/* Opens the request socket and resolves the module's four families.
 * Returns 0, or a negative errno with 'err' saying why: -EOPNOTSUPP when
 * the module is not loaded (and whether this kernel can load modules at
 * all), other errors from the socket. */
int ft_kdp_nl_open(struct ft_kdp_nl *nl, struct ft_error *err);
void ft_kdp_nl_close(struct ft_kdp_nl *nl);

/* Starts a message of 'family' and 'cmd' for datapath 'dp' with 'flags'
 * (NLM_F_DUMP for a dump).  Aborts on allocation failure. */
struct nl_msg *ft_kdp_nl_msg(const struct ft_kdp_nl *nl, int family,
                             uint8_t cmd, int flags, const char *dp);

/* Sends 'msg' (consumed) and receives its answer: 'cb' (may be NULL) is
 * called with the attributes (indexed up to 'maxattr') of every reply
 * message, until the kernel's ACK, the end of a dump, or an error.
 * Returns 0, the callback's negative return value, or the kernel's
 * negative errno with 'err' set to "WHAT: REASON", REASON the module's
 * extended-ack message (or strerror). */
int ft_kdp_nl_transact(struct ft_kdp_nl *nl, struct nl_msg *msg,
                       int maxattr,
                       int (*cb)(struct nlattr **attrs, void *aux),
                       void *aux, const char *what, struct ft_error *err);

/* Appends 'actions' to 'msg' as a nested attribute 'attrtype'.  Returns 0
 * or -EOPNOTSUPP with 'err' naming the action the module cannot run. */
int ft_kdp_nl_put_actions(struct nl_msg *msg, int attrtype,
                          const struct ft_dp_actions *actions,
                          struct ft_error *err);

/* One message of the upcall socket, as the module sends it. */
struct ft_kdp_upcall {
    uint8_t cmd;                /* FT_KDP_PACKET_CMD_MISS or _ACTION. */
    struct ft_flow key;         /* The module's key (a copy). */
    const void *data;           /* The frame, inside the message. */
    size_t len;                 /* Its length. */
    bool whole;                 /* 'data' is the whole frame (the LEN
                                 * attribute says so). */
    bool has_userspace;         /* 'userspace' came with the message. */
    struct ft_kdp_userspace userspace;
};

/* Parses 'nlh', a message of the upcall socket whose 'nlmsg_len' bytes are
 * readable (as libnl hands them to a callback), into '*up', whose 'data'
 * then points into 'nlh'.  Returns 0, or -EINVAL (then '*up' is zeroed)
 * if the generic netlink header, the frame or a key of the right size is
 * missing.  Pure: no socket, no state; reads only within 'nlmsg_len'. */
int ft_kdp_upcall_parse(const struct nlmsghdr *nlh, struct ft_kdp_upcall *up);

/* Decodes the nested attribute 'nest' (the module's encoding, as
 * ft_kdp_nl_put_actions() writes it) into 'actions' (initialized; its old
 * contents are replaced).  Returns 0 or -EPROTO for an action this side
 * does not know or of the wrong size. */
int ft_kdp_nl_get_actions(const struct nlattr *nest,
                          struct ft_dp_actions *actions);

#endif /* swpath/kdp-nl.h */

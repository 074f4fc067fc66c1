/*
 * tc-del.h - removing many flower filters at once: the delete requests
 * sent back to back, their answers read together, each deleted filter's
 * last counters from the copy the kernel sends back (NLM_F_ECHO), so that
 * no dump is needed to know what a filter counted before it went.
 *
 * Private to offload/tc*.c and their tests.  Returns 0 or a negative
 * errno, as everywhere.
 */
#ifndef OFFLOAD_TC_DEL_H
#define OFFLOAD_TC_DEL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/error.h"
#include "tc-filter.h"

struct nl_sock;

/* Requests in flight at most: their answers (a deleted filter is sent
 * back whole, actions and counters) must fit in the socket's receive
 * buffer (tc-nl.c asks for 1 MiB). */
#define FT_TC_DEL_WINDOW 64

/* Which filter: on the ingress of 'ifindex', priority 'prio', protocol
 * 'protocol' (network byte order), handle 'handle'. */
struct ft_tc_filter_id {
    int ifindex;
    uint32_t prio;
    uint16_t protocol;
    uint32_t handle;
};

/* What became of one delete. */
struct ft_tc_del_result {
    int error;                  /* 0, or the kernel's negative errno. */
    char msg[FT_ERROR_REASON_MAX];  /* Its extack message, "" if none. */
    bool echoed;                /* 'filter' holds the deleted filter as
                                 * the kernel sent it back. */
    struct ft_tc_filter filter;
};

/* Deletes the 'n' filters 'ids' on 'sock', at most FT_TC_DEL_WINDOW
 * requests outstanding, and stores what became of ids[i] in
 * 'results[i]'.  No other request may be outstanding on 'sock'.  Returns
 * 0, or -EIO if the socket failed: then every delete not answered has
 * 'error' -EIO and msg "the kernel's answer was lost" (the filter may or
 * may not be gone). */
int ft_tc_del_filters(struct nl_sock *sock, const struct ft_tc_filter_id ids[],
                      size_t n, struct ft_tc_del_result results[]);

#endif /* offload/tc-del.h */

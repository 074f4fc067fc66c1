/*
 * tc-nl-fake.h - a model of the kernel's TC side for the TC provider's
 * unit tests (tc-nl-fake.c): linked in place of offload/tc-nl.c.
 */
#ifndef TESTS_UNIT_TC_NL_FAKE_H
#define TESTS_UNIT_TC_NL_FAKE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl_msg;

#define TC_FAKE_MAX 4096
#define TC_FAKE_MAX_QUEUED 256

struct tc_fake_filter {
    int ifindex;
    uint32_t handle, prio;
    uint16_t protocol;
    uint32_t flags;             /* TCA_FLOWER_FLAGS as requested. */
    char action[16];            /* The first action's kind. */
    uint64_t packets, bytes;    /* What the test says it counted. */
    bool foreign;               /* Someone else's: no FlowTier cookie. */
};

/* An answer of a request sent without waiting (ft_tc_nl_send()). */
struct tc_fake_answer {
    uint32_t seq;
    int error;
    const char *msg;
    struct nl_msg *reply;
};

struct tc_fake {
    struct tc_fake_filter filters[TC_FAKE_MAX];
    size_t n;

    /* Refusals: the replace or the delete of filter handle 'refuse_*'
     * (0: none) fails with 'refuse_msg' as the kernel's extack. */
    uint32_t refuse_replace, refuse_del;
    const char *refuse_msg;

    struct tc_fake_answer queued[TC_FAKE_MAX_QUEUED];
    size_t n_queued;
    uint32_t next_seq;

    /* What the provider asked. */
    size_t n_requests;          /* Every request. */
    size_t n_waits;             /* Round trips: each wait for answers. */
    size_t n_dumps;             /* Filter dumps. */
    size_t n_replaced, n_deleted;
    size_t n_del_refused;       /* Deletes refused (refuse_del). */
    size_t max_in_flight;       /* Requests sent, not yet answered. */
    int qdiscs_deleted[16];     /* The ifindex of each qdisc deletion. */
    size_t n_qdiscs_deleted;
};

/* Makes 'f' empty and the model every provider socket opened from now on
 * talks to. */
void tc_fake_init(struct tc_fake *f);

struct tc_fake_filter *tc_fake_find(struct tc_fake *f, int ifindex,
                                    uint32_t handle);

#endif /* tests/unit/tc-nl-fake.h */

/*
 * dpif-kernel-private.h - what the files of the kernel datapath class
 * (type "system", ft_dpif_kernel_class) share: the datapath object, its
 * ports and its megaflow handles.
 *
 * The class is three files, all in swpath/:
 *
 *   dpif-kernel.c           the class: lifecycle, ports, execution,
 *                           upcalls, counters;
 *   dpif-kernel-flow.c      the megaflows: handles by id, put, modify,
 *                           delete, counters in batches, dumps;
 *   dpif-kernel-takeover.c  taking over a datapath a killed daemon left:
 *                           reading its ports and megaflows back, claiming
 *                           the ports added again, reporting the megaflows
 *                           for adoption.
 *
 * Everything here is for these files only: the rest of the tree sees the
 * class through dpif.h.
 */
#ifndef SWPATH_DPIF_KERNEL_PRIVATE_H
#define SWPATH_DPIF_KERNEL_PRIVATE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpif-provider.h"
#include "flowtier/kdp.h"
#include "kdp-nl.h"

struct ft_dpif_flow {
    struct ft_dpif_flow *next;  /* In its hash bucket. */
    uint32_t id;                /* The module's id. */
    struct ft_match match;
    struct ft_dp_actions actions;
    struct ft_stats extra;      /* Upcalled packets executed on it. */
    bool adopted;               /* Found in place, not yet reported by
                                 * dk_flow_adopt(). */
    bool unreadable;            /* ... with actions this side cannot read:
                                 * never reported. */
};

struct kport {
    ft_port_no port_no;
    char name[FT_PORT_NAME_MAX];    /* The port's. */
    char dev[FT_PORT_NAME_MAX];     /* Its device's: 'name', but for a vxlan
                                     * port FlowTier's VXLAN device. */
    int ifindex;
    enum ft_kdp_vport_type kind;    /* INTERNAL: the module created the
                                     * device. */
    uint16_t tnl_dst_port;          /* A vxlan port's UDP port, or 0. */
    bool adopted;               /* Found in place, not yet added again. */
    struct nl_sock *usock;      /* Its upcalls (NULL while adopted). */
};

struct dpif_kernel {
    struct ft_dpif up;
    char dpname[FT_KDP_NAME_MAX];
    struct ft_kdp_nl nl;
    struct nl_sock *usock;      /* Upcalls of no port arrive here. */
    struct nl_cb *ucb;          /* For every upcall socket. */

    struct kport *ports;        /* Sorted by port number. */
    size_t n_ports;

    struct ft_dpif_flow **buckets;
    size_t n_buckets;
    size_t n_flows;

    /* Counted here (the module counts the rest). */
    uint64_t n_upcalls, n_lost, n_bad_megaflows, n_key_mismatch;
    uint64_t n_userspace_dropped;

    struct ft_dp_actions scratch;
    uint8_t *buf;               /* An upcalled frame, with headroom. */
    int run_budget;             /* Upcalls left in this ft_dpif_run(). */
    int quota;                  /* ... for the socket being read. */
    size_t rr;                  /* The socket read first next run. */
    bool adopting;              /* Adopted megaflows not yet reported. */

    long long int log_window;
    unsigned int log_in_window;
    uint64_t log_suppressed;
};

static inline struct dpif_kernel *
dk_cast(struct ft_dpif *dpif)
{
    return (struct dpif_kernel *) dpif;
}

static inline const struct dpif_kernel *
dk_cast_const(const struct ft_dpif *dpif)
{
    return (const struct dpif_kernel *) dpif;
}

/* A megaflow dump's walk (dk_flow_dump(), dk_flow_adopt()). */
struct dump_ctx {
    struct dpif_kernel *dk;
    int (*cb)(const struct ft_dpif_flow_info *, void *aux);
    void *aux;
    long long int now;
    bool adopting;              /* Only adopted megaflows, then no longer. */
};

/* dpif-kernel.c. */

/* The monotonic clock, in milliseconds. */
long long int dk_time_msec(void);

/* Opens a non-blocking upcall socket in '*sockp' (for the datapath, or for
 * the port 'what' names).  Returns 0, or a negative errno with '*sockp'
 * NULL and the reason in 'err'. */
int dk_usock_open(struct nl_sock **sockp, const char *what,
                  struct ft_error *err);

/* The port of 'dk' numbered 'port_no', or of device 'dev', or NULL. */
struct kport *kport_find(const struct dpif_kernel *dk, ft_port_no port_no);
struct kport *kport_find_dev(const struct dpif_kernel *dk, const char *dev);

/* Inserts port 'name' of device 'dev' in 'dk->ports' (sorted by number)
 * and returns it, with no upcall socket and not adopted.  Pointers to
 * other ports of 'dk' are invalid afterwards. */
struct kport *kport_insert(struct dpif_kernel *dk, ft_port_no port_no,
                           const char *name, const char *dev, int ifindex,
                           enum ft_kdp_vport_type kind);

/* Detaches port 'port_no' from the module and forgets it.  Returns 0, or
 * -ENOENT if 'dpif' has no such port.  Pointers to ports are invalid
 * afterwards. */
int dk_port_del(struct ft_dpif *dpif, ft_port_no port_no);

/* dpif-kernel-flow.c. */

/* Adds 'f' (its id set) to the handles of 'dk'; 'dk' owns it. */
void flow_insert(struct dpif_kernel *dk, struct ft_dpif_flow *f);

/* Frees every handle of 'dk' (the module's megaflows are left alone). */
void flows_clear(struct dpif_kernel *dk);

/* Reports the megaflow of one dump reply 'attrs' to the walk 'aux' (a
 * struct dump_ctx) if it has a handle (an adopted one only, while
 * adopting).  Returns the callback's answer, 0 when it was not reported,
 * or -EPROTO for a reply with no id or counters. */
int flow_dump_one(struct nlattr **attrs, void *aux);

/* The megaflow members of ft_dpif_kernel_class (dpif-provider.h). */
int dk_flow_put(struct ft_dpif *dpif, const struct ft_match *match,
                const struct ft_dp_actions *actions,
                struct ft_dpif_flow **flowp, struct ft_error *err);
int dk_flow_modify(struct ft_dpif *dpif, struct ft_dpif_flow *flow,
                   const struct ft_dp_actions *actions,
                   struct ft_error *err);
int dk_flow_del(struct ft_dpif *dpif, struct ft_dpif_flow *flow,
                struct ft_stats *stats);
int dk_flow_stats(struct ft_dpif *dpif, struct ft_dpif_flow *const flows[],
                  size_t n, struct ft_stats stats[]);
int dk_flow_dump(struct ft_dpif *dpif,
                 int (*cb)(const struct ft_dpif_flow_info *, void *aux),
                 void *aux);
void dk_flow_flush(struct ft_dpif *dpif);
size_t dk_flow_count(const struct ft_dpif *dpif);

/* dpif-kernel-takeover.c. */

/* Takes over the datapath named 'dk->dpname' that the module already has:
 * its upcalls come to 'dk->usock', its ports are kept as adopted ones,
 * its megaflows as adopted handles.  Returns 0, or a negative errno with
 * the reason in 'err'. */
int dk_dp_adopt(struct dpif_kernel *dk, struct ft_error *err);

/* Points the upcalls of the adopted port 'p' at a socket of its own: it is
 * this run's port from now on.  Returns 0, or a negative errno (-ENOENT:
 * the port is gone from the module) with the reason in 'err'. */
int dk_port_claim(struct dpif_kernel *dk, struct kport *p, const char *what,
                  struct ft_error *err);

/* Detaches the adopted ports that stand in the way of port 'port_no' of
 * device 'dev' of kind 'kind', unless one is that very port, which it
 * returns (to be claimed); otherwise NULL. */
struct kport *dk_port_clear_adopted(struct dpif_kernel *dk,
                                    ft_port_no port_no, const char *dev,
                                    enum ft_kdp_vport_type kind);

/* The flow_adopt member of ft_dpif_kernel_class (dpif-provider.h). */
int dk_flow_adopt(struct ft_dpif *dpif,
                  int (*cb)(const struct ft_dpif_flow_info *, void *aux),
                  void *aux);

#endif /* swpath/dpif-kernel-private.h */

/*
 * dpif-provider.h - the datapath class: what a datapath implementation
 * provides to the rest of FlowTier through swpath/dpif.h.
 *
 * What?
 * =====
 *
 * A datapath switches a bridge's packets with megaflows the management
 * plane gives it.  The userspace datapath (swpath/dpif-netdev.c, type
 * "netdev") is one class; the kernel module's datapath (type "system") is
 * another.  A bridge picks one with its datapath_type, and from then on
 * only calls the functions in swpath/dpif.h, which dispatch to the members
 * of 'struct ft_dpif_class' below.
 *
 * Implementations embed 'struct ft_dpif' as the first member of their own
 * struct and keep every piece of state there (no file-scope globals), so
 * two bridges, or two tests, run side by side.
 *
 * NULL members
 * ============
 *
 * A member that may be NULL says so.  The dispatcher turns a call to a NULL
 * member into -EOPNOTSUPP with a reason naming the datapath type and the
 * operation, or into the documented neutral answer (no descriptors, no
 * polling).
 *
 * Megaflow handles
 * ================
 *
 * flow_put() returns a handle ('struct ft_dpif_flow *', opaque outside the
 * class) that stays valid until flow_del() of it, flow_flush() or
 * destroy().  Every other flow member takes the handle, never a match:
 * the management plane keeps its own table of megaflows (keyed by match)
 * and the datapath need not look anything up to serve it.
 *
 * Thread-safety: none; a datapath belongs to the thread that created it.
 */
#ifndef SWPATH_DPIF_PROVIDER_H
#define SWPATH_DPIF_PROVIDER_H 1

#include "dpif.h"

/* The part of every datapath that the dispatcher reads. */
struct ft_dpif {
    const struct ft_dpif_class *class;
    char *name;                     /* The bridge's name (owned). */

    /* Callbacks (swpath/dpif.h), NULL when unset. */
    ft_dpif_upcall_cb *upcall_cb;
    void *upcall_aux;
    ft_dpif_userspace_cb *userspace_cb;
    void *userspace_aux;
    ft_dpif_log_cb *log_cb;
    void *log_aux;
};

struct ft_dpif_class {
    /* "netdev" (userspace), "system" (kernel module). */
    const char *type;

    /* The tier this datapath's megaflows are in: FT_TIER_USER for the
     * userspace datapath, FT_TIER_KERNEL for the kernel's. */
    enum ft_tier tier;

    /* Allocates a datapath for bridge 'name' and stores it in '*dpifp'
     * with only 'class' left for the dispatcher to fill ('name' and the
     * callbacks are the dispatcher's).  Returns 0 or a negative errno with
     * 'err' saying why (a kernel datapath whose module is not loaded).
     * Must not be NULL. */
    int (*create)(const char *name, struct ft_dpif **dpifp,
                  struct ft_error *err);

    /* Closes every port, drops every megaflow and frees the datapath
     * (not 'name', which the dispatcher frees).  Must not be NULL. */
    void (*destroy)(struct ft_dpif *);

    /* Ports: as the functions of the same names in swpath/dpif.h.  Must
     * not be NULL. */
    int (*port_add)(struct ft_dpif *, ft_port_no port_no,
                    const char *devname, const char *type,
                    const struct ft_netdev_option *opts, size_t n_opts,
                    struct ft_error *err);
    /* May be NULL (the datapath opens its ports' devices itself). */
    int (*port_add_netdev)(struct ft_dpif *, ft_port_no port_no,
                           const char *type, struct ft_netdev *netdev,
                           struct ft_error *err);
    int (*port_del)(struct ft_dpif *, ft_port_no port_no);
    /* May be NULL (the datapath closes its ports' devices itself). */
    int (*port_take)(struct ft_dpif *, ft_port_no port_no,
                     struct ft_netdev **netdevp);
    int (*port_get)(const struct ft_dpif *, ft_port_no port_no,
                    struct ft_dpif_port_info *info);
    int (*port_get_by_name)(const struct ft_dpif *, const char *devname,
                            struct ft_dpif_port_info *info);
    int (*port_get_stats)(struct ft_dpif *, ft_port_no port_no,
                          struct ft_netdev_stats *stats);
    /* May be NULL (no per-port upcall queues). */
    int (*port_get_upcall_stats)(struct ft_dpif *, ft_port_no port_no,
                                 struct ft_dpif_upcall_stats *stats);
    int (*port_get_mac)(const struct ft_dpif *, ft_port_no port_no,
                        struct ft_eth_addr *mac);
    int (*port_get_identity)(const struct ft_dpif *, ft_port_no port_no,
                             struct ft_port_identity *id);
    /* May be NULL (the datapath reads no port through a socket). */
    int (*port_set_rx_device)(struct ft_dpif *, ft_port_no port_no,
                              int ifindex, struct ft_error *err);
    int (*port_foreach)(const struct ft_dpif *,
                        int (*cb)(const struct ft_dpif_port_info *,
                                  void *aux),
                        void *aux);
    size_t (*port_count)(const struct ft_dpif *);

    /* Running.  run() must not be NULL; run_polled() NULL means the
     * datapath has nothing to poll (get_fds covers every port);
     * get_fds() NULL means no descriptors; needs_polling() NULL means
     * false. */
    int (*run)(struct ft_dpif *, int budget);
    int (*run_polled)(struct ft_dpif *, int budget, long long int now_ms);
    size_t (*get_fds)(const struct ft_dpif *, int fds[], size_t max);
    bool (*needs_polling)(const struct ft_dpif *);

    /* Executes 'actions' on 'pkt'.  May be NULL. */
    int (*execute)(struct ft_dpif *, struct ft_packet *pkt,
                   const struct ft_dp_actions *actions);

    /* Megaflows, by handle (see above).  flow_put(), flow_del() and
     * flow_stats() must not be NULL; flow_modify() may be (then a change
     * of actions is a delete and a put, done by the caller). */
    int (*flow_put)(struct ft_dpif *, const struct ft_match *match,
                    const struct ft_dp_actions *actions,
                    struct ft_dpif_flow **flowp, struct ft_error *err);
    int (*flow_modify)(struct ft_dpif *, struct ft_dpif_flow *flow,
                       const struct ft_dp_actions *actions,
                       struct ft_error *err);
    int (*flow_del)(struct ft_dpif *, struct ft_dpif_flow *flow,
                    struct ft_stats *stats);
    int (*flow_stats)(struct ft_dpif *, struct ft_dpif_flow *const flows[],
                      size_t n, struct ft_stats stats[]);
    int (*flow_dump)(struct ft_dpif *,
                     int (*cb)(const struct ft_dpif_flow_info *, void *aux),
                     void *aux);
    void (*flow_flush)(struct ft_dpif *);
    /* As ft_dpif_flow_adopt().  May be NULL (nothing is ever taken
     * over). */
    int (*flow_adopt)(struct ft_dpif *,
                      int (*cb)(const struct ft_dpif_flow_info *, void *aux),
                      void *aux);
    size_t (*flow_count)(const struct ft_dpif *);

    /* As ft_dpif_set_pmd_cpus() and ft_dpif_pmd_foreach().  May be NULL
     * (no forwarding threads). */
    int (*set_pmd_cpus)(struct ft_dpif *, const int cpus[], size_t n,
                        struct ft_error *err);
    int (*pmd_foreach)(const struct ft_dpif *,
                       int (*cb)(const struct ft_dpif_pmd_info *, void *),
                       void *aux);

    /* Datapath-wide counters.  Must not be NULL. */
    void (*get_stats)(const struct ft_dpif *, struct ft_dpif_stats *);
};

/* The classes built in. */
extern const struct ft_dpif_class ft_dpif_netdev_class;   /* "netdev" */
extern const struct ft_dpif_class ft_dpif_kernel_class;   /* "system" */

#endif /* swpath/dpif-provider.h */

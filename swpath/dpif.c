/*
 * dpif.c - the datapath dispatcher: swpath/dpif.h's functions, each
 * calling the member of the datapath's class (swpath/dpif-provider.h).
 *
 * It holds what every datapath has in common (name, callbacks) and turns
 * a call to a member a class leaves NULL into -EOPNOTSUPP with a reason, or
 * into the neutral answer the contract gives.  It keeps no state of its
 * own: the class table below is constant.
 */
#include "dpif-provider.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/util.h"

static const struct ft_dpif_class *const dpif_classes[] = {
    &ft_dpif_netdev_class,
    &ft_dpif_kernel_class,
};

#define N_CLASSES (sizeof dpif_classes / sizeof dpif_classes[0])

static const struct ft_dpif_class *
dpif_class_lookup(const char *type)
{
    for (size_t i = 0; i < N_CLASSES; i++) {
        if (!strcmp(dpif_classes[i]->type, type)) {
            return dpif_classes[i];
        }
    }
    return NULL;
}

static int
dpif_unsupported(const struct ft_dpif *dpif, const char *op,
                 struct ft_error *err)
{
    return ft_error_set(err, -EOPNOTSUPP, "datapath %s (type %s) cannot %s",
                        dpif->name, dpif->class->type, op);
}

int
ft_dpif_create(const char *type, const char *name, struct ft_dpif **dpifp,
               struct ft_error *err)
{
    const struct ft_dpif_class *class;
    struct ft_dpif *dpif;
    int error;

    *dpifp = NULL;
    if (!name || !*name) {
        return ft_error_set(err, -EINVAL, "a datapath needs a name");
    }
    type = type && *type ? type : FT_DPIF_DEFAULT_TYPE;
    class = dpif_class_lookup(type);
    if (!class) {
        return ft_error_set(err, -EOPNOTSUPP, "datapath type \"%s\" is not "
                            "available: this build has \"netdev\" (the "
                            "userspace datapath) and \"system\" (the "
                            "kernel module's)", type);
    }
    error = class->create(name, &dpif, err);
    if (error) {
        return error;
    }
    dpif->class = class;
    dpif->name = ft_xstrdup(name);
    dpif->upcall_cb = NULL;
    dpif->userspace_cb = NULL;
    dpif->log_cb = NULL;
    *dpifp = dpif;
    return 0;
}

void
ft_dpif_destroy(struct ft_dpif *dpif)
{
    if (dpif) {
        char *name = dpif->name;

        dpif->class->destroy(dpif);
        free(name);
    }
}

const char *
ft_dpif_name(const struct ft_dpif *dpif)
{
    return dpif->name;
}

const char *
ft_dpif_type(const struct ft_dpif *dpif)
{
    return dpif->class->type;
}

enum ft_tier
ft_dpif_tier(const struct ft_dpif *dpif)
{
    return dpif->class->tier;
}

void
ft_dpif_set_upcall_cb(struct ft_dpif *dpif, ft_dpif_upcall_cb *cb, void *aux)
{
    dpif->upcall_cb = cb;
    dpif->upcall_aux = aux;
}

void
ft_dpif_set_userspace_cb(struct ft_dpif *dpif, ft_dpif_userspace_cb *cb,
                         void *aux)
{
    dpif->userspace_cb = cb;
    dpif->userspace_aux = aux;
}

void
ft_dpif_set_log_cb(struct ft_dpif *dpif, ft_dpif_log_cb *cb, void *aux)
{
    dpif->log_cb = cb;
    dpif->log_aux = aux;
}

/* Ports. */

int
ft_dpif_port_add(struct ft_dpif *dpif, ft_port_no port_no,
                 const char *devname, const char *type,
                 const struct ft_netdev_option *opts, size_t n_opts,
                 struct ft_error *err)
{
    return dpif->class->port_add(dpif, port_no, devname, type, opts, n_opts,
                                 err);
}

int
ft_dpif_port_add_netdev(struct ft_dpif *dpif, ft_port_no port_no,
                        const char *type, struct ft_netdev *netdev,
                        struct ft_error *err)
{
    if (!dpif->class->port_add_netdev) {
        int error = ft_error_set(err, -EOPNOTSUPP, "port %s: datapath %s "
                                 "(type %s) opens its ports' devices "
                                 "itself", netdev->name, dpif->name,
                                 dpif->class->type);

        ft_netdev_close(netdev);
        return error;
    }
    return dpif->class->port_add_netdev(dpif, port_no, type, netdev, err);
}

bool
ft_dpif_can_add_netdev(const struct ft_dpif *dpif)
{
    return dpif->class->port_add_netdev != NULL;
}

int
ft_dpif_port_del(struct ft_dpif *dpif, ft_port_no port_no)
{
    return dpif->class->port_del(dpif, port_no);
}

int
ft_dpif_port_take(struct ft_dpif *dpif, ft_port_no port_no,
                  struct ft_netdev **netdevp)
{
    *netdevp = NULL;
    return (dpif->class->port_take
            ? dpif->class->port_take(dpif, port_no, netdevp) : -EOPNOTSUPP);
}

int
ft_dpif_port_get_stats(struct ft_dpif *dpif, ft_port_no port_no,
                       struct ft_netdev_stats *stats)
{
    return dpif->class->port_get_stats(dpif, port_no, stats);
}

int
ft_dpif_port_get_upcall_stats(struct ft_dpif *dpif, ft_port_no port_no,
                              struct ft_dpif_upcall_stats *stats)
{
    return (dpif->class->port_get_upcall_stats
            ? dpif->class->port_get_upcall_stats(dpif, port_no, stats)
            : -EOPNOTSUPP);
}

int
ft_dpif_port_get(const struct ft_dpif *dpif, ft_port_no port_no,
                 struct ft_dpif_port_info *info)
{
    return dpif->class->port_get(dpif, port_no, info);
}

int
ft_dpif_port_get_by_name(const struct ft_dpif *dpif, const char *devname,
                         struct ft_dpif_port_info *info)
{
    return dpif->class->port_get_by_name(dpif, devname, info);
}

int
ft_dpif_port_get_mac(const struct ft_dpif *dpif, ft_port_no port_no,
                     struct ft_eth_addr *mac)
{
    return dpif->class->port_get_mac(dpif, port_no, mac);
}

int
ft_dpif_port_get_identity(const struct ft_dpif *dpif, ft_port_no port_no,
                          struct ft_port_identity *id)
{
    return dpif->class->port_get_identity(dpif, port_no, id);
}

int
ft_dpif_port_set_rx_device(struct ft_dpif *dpif, ft_port_no port_no,
                           int ifindex, struct ft_error *err)
{
    return (dpif->class->port_set_rx_device
            ? dpif->class->port_set_rx_device(dpif, port_no, ifindex, err)
            : ft_error_set(err, -EOPNOTSUPP, "datapath %s: its ports "
                           "cannot receive from another device",
                           dpif->class->type));
}

int
ft_dpif_port_foreach(const struct ft_dpif *dpif,
                     int (*cb)(const struct ft_dpif_port_info *, void *aux),
                     void *aux)
{
    return dpif->class->port_foreach(dpif, cb, aux);
}

size_t
ft_dpif_port_count(const struct ft_dpif *dpif)
{
    return dpif->class->port_count(dpif);
}

/* Running. */

int
ft_dpif_run(struct ft_dpif *dpif, int budget)
{
    return dpif->class->run(dpif, budget);
}

int
ft_dpif_run_polled(struct ft_dpif *dpif, int budget, long long int now_ms)
{
    return (dpif->class->run_polled
            ? dpif->class->run_polled(dpif, budget, now_ms) : 0);
}

size_t
ft_dpif_get_fds(const struct ft_dpif *dpif, int fds[], size_t max)
{
    return dpif->class->get_fds ? dpif->class->get_fds(dpif, fds, max) : 0;
}

bool
ft_dpif_needs_polling(const struct ft_dpif *dpif)
{
    return dpif->class->needs_polling && dpif->class->needs_polling(dpif);
}

int
ft_dpif_execute(struct ft_dpif *dpif, struct ft_packet *pkt,
                const struct ft_dp_actions *actions)
{
    return (dpif->class->execute
            ? dpif->class->execute(dpif, pkt, actions)
            : dpif_unsupported(dpif, "execute packets", NULL));
}

/* Megaflows. */

int
ft_dpif_flow_put(struct ft_dpif *dpif, const struct ft_match *match,
                 const struct ft_dp_actions *actions,
                 struct ft_dpif_flow **flowp, struct ft_error *err)
{
    return dpif->class->flow_put(dpif, match, actions, flowp, err);
}

int
ft_dpif_flow_modify(struct ft_dpif *dpif, struct ft_dpif_flow *flow,
                    const struct ft_dp_actions *actions, struct ft_error *err)
{
    return (dpif->class->flow_modify
            ? dpif->class->flow_modify(dpif, flow, actions, err)
            : dpif_unsupported(dpif, "modify a megaflow in place", err));
}

int
ft_dpif_flow_del(struct ft_dpif *dpif, struct ft_dpif_flow *flow,
                 struct ft_stats *stats)
{
    return dpif->class->flow_del(dpif, flow, stats);
}

int
ft_dpif_flow_stats(struct ft_dpif *dpif, struct ft_dpif_flow *const flows[],
                   size_t n, struct ft_stats stats[])
{
    return n ? dpif->class->flow_stats(dpif, flows, n, stats) : 0;
}

int
ft_dpif_flow_dump(struct ft_dpif *dpif,
                  int (*cb)(const struct ft_dpif_flow_info *, void *aux),
                  void *aux)
{
    return (dpif->class->flow_dump
            ? dpif->class->flow_dump(dpif, cb, aux)
            : dpif_unsupported(dpif, "dump its megaflows", NULL));
}

int
ft_dpif_flow_adopt(struct ft_dpif *dpif,
                   int (*cb)(const struct ft_dpif_flow_info *, void *aux),
                   void *aux)
{
    return dpif->class->flow_adopt ? dpif->class->flow_adopt(dpif, cb, aux)
                                   : 0;
}

void
ft_dpif_flow_flush(struct ft_dpif *dpif)
{
    if (dpif->class->flow_flush) {
        dpif->class->flow_flush(dpif);
    }
}

size_t
ft_dpif_flow_count(const struct ft_dpif *dpif)
{
    return dpif->class->flow_count ? dpif->class->flow_count(dpif) : 0;
}

void
ft_dpif_get_stats(const struct ft_dpif *dpif, struct ft_dpif_stats *stats)
{
    dpif->class->get_stats(dpif, stats);
}

/* Forwarding threads. */

int
ft_dpif_set_pmd_cpus(struct ft_dpif *dpif, const int cpus[], size_t n,
                     struct ft_error *err)
{
    if (!dpif->class->set_pmd_cpus) {
        return n ? ft_error_set(err, -EOPNOTSUPP, "datapath %s: type %s "
                                "has no forwarding threads of its own "
                                "(other_config:pmd-cpu-mask needs "
                                "datapath_type=netdev)", dpif->name,
                                dpif->class->type) : 0;
    }
    return dpif->class->set_pmd_cpus(dpif, cpus, n, err);
}

int
ft_dpif_pmd_foreach(const struct ft_dpif *dpif,
                    int (*cb)(const struct ft_dpif_pmd_info *, void *aux),
                    void *aux)
{
    return (dpif->class->pmd_foreach
            ? dpif->class->pmd_foreach(dpif, cb, aux) : -EOPNOTSUPP);
}

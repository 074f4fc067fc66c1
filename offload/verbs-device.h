/*
 * verbs-device.h - the RDMA device behind a network device, found through
 * libibverbs, and what it can do for a switch: raw packet QPs, flow
 * steering, flow counters, its port's link layer and state.
 *
 * Used by the verbs provider (offload-verbs.c) to probe a port, and by
 * 'flowtier offload show' to show the device.  The types here carry no
 * libibverbs type, so that users need not see <infiniband/verbs.h>.
 *
 * Finding the device: every device libibverbs lists is opened and each
 * Ethernet port's GID table entry 0 asked for its netdev
 * (ibv_query_gid_ex(), 'ndev_ifindex'); failing that, sysfs is read
 * (/sys/class/net/DEV/device/infiniband/NAME for a PCI function,
 * /sys/class/infiniband/NAME/parent for Soft-RoCE and siw) and the device
 * of that name is taken, port 1.
 */
#ifndef OFFLOAD_VERBS_DEVICE_H
#define OFFLOAD_VERBS_DEVICE_H 1

#include <stdbool.h>
#include <stdint.h>

#include "flowtier/error.h"

struct ibv_context;

/* What one RDMA device port can do, as the device itself says. */
struct ft_verbs_port_info {
    char dev[64];               /* "rxe0", "mlx5_0". */
    uint8_t port_num;           /* 1-based. */
    const char *found_by;       /* "GID table", "sysfs". */
    const char *link_layer;     /* "Ethernet", "InfiniBand", "unspecified". */
    const char *state;          /* "ACTIVE", "DOWN", ... */

    bool flow_steering;         /* IBV_DEVICE_MANAGED_FLOW_STEERING. */
    bool raw_ip_csum;           /* IBV_DEVICE_RAW_IP_CSUM. */
    bool raw_multi;             /* IBV_DEVICE_RAW_MULTI. */
    bool raw_scatter_fcs;       /* IBV_DEVICE_RAW_SCATTER_FCS. */
    uint32_t raw_packet_caps;   /* IBV_RAW_PACKET_CAP_*. */

    /* 0 if a raw packet QP (IBV_QPT_RAW_PACKET) could be created on the
     * port just now, else the negative errno ibv_create_qp() or what
     * precedes it gave. */
    int raw_qp_error;
    /* 0 if flow counters (ibv_create_counters()) could be created, else
     * its negative errno. */
    int counters_error;
};

/* Names of the IBV_RAW_PACKET_CAP_* bits of 'raw_packet_caps', in bit
 * order ("cvlan_stripping", "scatter_fcs", "ip_csum", "delay_drop"). */
extern const char *const ft_verbs_raw_cap_names[4];

/* Finds the RDMA device port behind network device 'netdev' (ifindex
 * 'ifindex') and fills '*info' with what it can do, trying a raw packet
 * QP and flow counters on it.  With nonnull 'ctxp', leaves the device open
 * and stores its context there (the caller closes it with
 * ibv_close_device()).  Returns 0, or -ENODEV with 'err' saying that no
 * RDMA device is behind 'netdev' (the reason names the ways it looked),
 * or another negative errno with a reason. */
int ft_verbs_port_find(const char *netdev, int ifindex,
                       struct ft_verbs_port_info *info,
                       struct ibv_context **ctxp, struct ft_error *err);

#endif /* offload/verbs-device.h */

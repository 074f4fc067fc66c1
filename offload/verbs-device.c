/*
 * verbs-device.c - the RDMA device behind a network device and its
 * capabilities, through libibverbs (see verbs-device.h).
 *
 * Part of offload/.  Opens RDMA devices (and closes them unless the
 * caller keeps one), reads sysfs under /sys/class/net and
 * /sys/class/infiniband; creates and destroys a PD, CQ, raw packet QP and
 * counters set to learn whether the device allows them.  No state.
 */
#include "verbs-device.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>

#include <infiniband/verbs.h>

const char *const ft_verbs_raw_cap_names[4] = {
    "cvlan_stripping", "scatter_fcs", "ip_csum", "delay_drop",
};

static const char *
port_state_name(enum ibv_port_state state)
{
    static const char *const names[] = {
        [IBV_PORT_NOP] = "NOP", [IBV_PORT_DOWN] = "DOWN",
        [IBV_PORT_INIT] = "INIT", [IBV_PORT_ARMED] = "ARMED",
        [IBV_PORT_ACTIVE] = "ACTIVE", [IBV_PORT_ACTIVE_DEFER] = "ACTIVE_DEFER",
    };

    return ((unsigned int) state < sizeof names / sizeof names[0]
            && names[state] ? names[state] : "unknown");
}

static const char *
link_layer_name(uint8_t ll)
{
    return (ll == IBV_LINK_LAYER_ETHERNET ? "Ethernet"
            : ll == IBV_LINK_LAYER_INFINIBAND ? "InfiniBand"
            : "unspecified");
}

/* Tries a raw packet QP on port 'port_num' of 'ctx': 0 or negative
 * errno.  Destroys what it made. */
static int
probe_raw_qp(struct ibv_context *ctx, uint8_t port_num)
{
    struct ibv_qp_init_attr qa;
    struct ibv_pd *pd;
    struct ibv_cq *cq = NULL;
    struct ibv_qp *qp = NULL;
    int error = 0;

    (void) port_num;
    pd = ibv_alloc_pd(ctx);
    if (!pd) {
        return errno ? -errno : -ENOMEM;
    }
    cq = ibv_create_cq(ctx, 1, NULL, NULL, 0);
    if (!cq) {
        error = errno ? -errno : -ENOMEM;
        goto out_pd;
    }
    memset(&qa, 0, sizeof qa);
    qa.send_cq = qa.recv_cq = cq;
    qa.qp_type = IBV_QPT_RAW_PACKET;
    qa.cap.max_send_wr = qa.cap.max_recv_wr = 1;
    qa.cap.max_send_sge = qa.cap.max_recv_sge = 1;
    qp = ibv_create_qp(pd, &qa);
    if (!qp) {
        error = errno ? -errno : -EOPNOTSUPP;
    } else {
        ibv_destroy_qp(qp);
    }
    ibv_destroy_cq(cq);
out_pd:
    ibv_dealloc_pd(pd);
    return error;
}

static int
probe_counters(struct ibv_context *ctx)
{
    struct ibv_counters_init_attr ia;
    struct ibv_counters *c;

    memset(&ia, 0, sizeof ia);
    errno = 0;
    c = ibv_create_counters(ctx, &ia);
    if (!c) {
        return errno ? -errno : -EOPNOTSUPP;
    }
    ibv_destroy_counters(c);
    return 0;
}

/* Fills 'info' from port 'port_num' of open device 'ctx'. */
static void
fill_info(struct ibv_context *ctx, uint8_t port_num,
          const struct ibv_port_attr *pa, struct ft_verbs_port_info *info)
{
    struct ibv_device_attr_ex dx;

    snprintf(info->dev, sizeof info->dev, "%s",
             ibv_get_device_name(ctx->device));
    info->port_num = port_num;
    info->link_layer = link_layer_name(pa->link_layer);
    info->state = port_state_name(pa->state);
    memset(&dx, 0, sizeof dx);
    if (!ibv_query_device_ex(ctx, NULL, &dx)) {
        uint64_t f = dx.device_cap_flags_ex;

        info->flow_steering = f & IBV_DEVICE_MANAGED_FLOW_STEERING;
        info->raw_ip_csum = f & IBV_DEVICE_RAW_IP_CSUM;
        info->raw_multi = f & IBV_DEVICE_RAW_MULTI;
        info->raw_scatter_fcs = f & IBV_DEVICE_RAW_SCATTER_FCS;
        info->raw_packet_caps = dx.raw_packet_caps;
    }
    info->raw_qp_error = probe_raw_qp(ctx, port_num);
    info->counters_error = probe_counters(ctx);
}

/* The port of open device 'ctx' whose GID entry 0 names 'ifindex', or
 * 0. */
static uint8_t
gid_port(struct ibv_context *ctx, int ifindex, struct ibv_port_attr *pa)
{
    struct ibv_device_attr da;

    if (ibv_query_device(ctx, &da)) {
        return 0;
    }
    for (unsigned int p = 1; p <= da.phys_port_cnt; p++) {
        struct ibv_gid_entry ge;

        if (ibv_query_port(ctx, p, pa)
            || pa->link_layer != IBV_LINK_LAYER_ETHERNET) {
            continue;
        }
        memset(&ge, 0, sizeof ge);
        if (!ibv_query_gid_ex(ctx, p, 0, &ge, 0)
            && ge.ndev_ifindex == (uint32_t) ifindex) {
            return p;
        }
    }
    return 0;
}

/* The RDMA device name sysfs puts behind 'netdev', into 'name'. */
static bool
sysfs_device(const char *netdev, char *name, size_t size)
{
    char path[PATH_MAX], parent[64];
    struct dirent *de;
    bool found = false;
    DIR *dir;
    FILE *f;

    snprintf(path, sizeof path, "/sys/class/net/%s/device/infiniband",
             netdev);
    dir = opendir(path);
    while (dir && !found && (de = readdir(dir))) {
        if (de->d_name[0] != '.') {
            snprintf(name, size, "%s", de->d_name);
            found = true;
        }
    }
    if (dir) {
        closedir(dir);
    }
    dir = found ? NULL : opendir("/sys/class/infiniband");
    while (dir && !found && (de = readdir(dir))) {
        snprintf(path, sizeof path, "/sys/class/infiniband/%s/parent",
                 de->d_name);
        f = de->d_name[0] != '.' ? fopen(path, "r") : NULL;
        if (f && fgets(parent, sizeof parent, f)) {
            parent[strcspn(parent, "\n")] = '\0';
            if (!strcmp(parent, netdev)) {
                snprintf(name, size, "%s", de->d_name);
                found = true;
            }
        }
        if (f) {
            fclose(f);
        }
    }
    if (dir) {
        closedir(dir);
    }
    return found;
}

/* Opens the device of 'list' that is behind 'netdev', storing its port
 * in '*port' and attributes in '*pa'.  Returns the context or NULL. */
static struct ibv_context *
open_behind(struct ibv_device **list, int n, const char *netdev,
            int ifindex, uint8_t *port, struct ibv_port_attr *pa,
            const char **found_by)
{
    char name[NAME_MAX + 1];

    for (int i = 0; i < n; i++) {
        struct ibv_context *ctx = ibv_open_device(list[i]);

        if (ctx && (*port = gid_port(ctx, ifindex, pa))) {
            *found_by = "GID table";
            return ctx;
        }
        if (ctx) {
            ibv_close_device(ctx);
        }
    }
    if (!sysfs_device(netdev, name, sizeof name)) {
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        if (!strcmp(ibv_get_device_name(list[i]), name)) {
            struct ibv_context *ctx = ibv_open_device(list[i]);

            *port = 1;
            if (ctx && !ibv_query_port(ctx, 1, pa)) {
                *found_by = "sysfs";
                return ctx;
            }
            if (ctx) {
                ibv_close_device(ctx);
            }
        }
    }
    return NULL;
}

int
ft_verbs_port_find(const char *netdev, int ifindex,
                   struct ft_verbs_port_info *info,
                   struct ibv_context **ctxp, struct ft_error *err)
{
    struct ibv_device **list;
    struct ibv_context *ctx;
    struct ibv_port_attr pa;
    uint8_t port = 0;
    int n = 0;

    memset(info, 0, sizeof *info);
    if (ctxp) {
        *ctxp = NULL;
    }
    list = ibv_get_device_list(&n);
    if (!list) {
        /* ENOSYS: no /sys/class/infiniband_verbs. */
        return ft_error_set(err, -ENODEV, "verbs: port %s has no RDMA "
                            "device behind it (the kernel lists none; is "
                            "ib_uverbs loaded?)", netdev);
    }
    memset(&pa, 0, sizeof pa);
    ctx = open_behind(list, n, netdev, ifindex, &port, &pa, &info->found_by);
    ibv_free_device_list(list);
    if (!ctx) {
        return ft_error_set(err, -ENODEV, "verbs: port %s has no RDMA "
                            "device behind it (none of the %d RDMA devices "
                            "libibverbs lists is on it)", netdev, n);
    }
    fill_info(ctx, port, &pa, info);
    if (ctxp) {
        *ctxp = ctx;
    } else {
        ibv_close_device(ctx);
    }
    return 0;
}

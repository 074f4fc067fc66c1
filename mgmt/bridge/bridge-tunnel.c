/*
 * bridge-tunnel.c - the vxlan ports of a bridge whose datapath is the
 * kernel's (datapath_type=system): FlowTier's VXLAN device for the port's
 * UDP port (offload/tunnel-dev.h) is opened and brought up here and handed
 * to the datapath as the port's device (swpath/dpif.h,
 * FT_DPIF_OPT_TNL_DEVICE); it is closed when the port closes.  Opens are
 * counted with the TC provider's, which hangs its hw tier decapsulation
 * rules from the same device, so neither closes it under the other.  A
 * port that is closed and opened again (its options changed) keeps the
 * device: the bridge holds one more open across the change.
 *
 * Part of the management plane (mgmt/bridge): the one place that joins
 * the offload layer's device to the kernel datapath, since the software
 * datapath layer may not call the offload layer.  Touches the bridge's
 * datapath ports and FlowTier's VXLAN devices only.
 */
#include <errno.h>
#include <string.h>

#include "flowtier/util.h"
#include "mgmt/bridge/bridge-private.h"
#include "offload/tunnel-dev.h"

bool
bridge_tnl_needs_dev(const struct ft_bridge *br, const struct bridge_port *p)
{
    return p->is_tnl && !strcmp(ft_dpif_type(br->dpif), "system");
}

int
bridge_tnl_port_add(struct ft_bridge *br, const struct bridge_port *p,
                    struct ft_error *err)
{
    struct ft_netdev_option *opts;
    char dev[FT_PORT_NAME_MAX];
    struct ft_error e;
    int ifindex, error;

    ft_error_clear(&e);
    error = ft_tunnel_dev_open(p->tnl.dst_port, dev, &ifindex, &e);
    if (error) {
        return ft_error_set(err, error, "port %s: %s", p->name, e.reason);
    }
    opts = ft_xcalloc(p->n_opts + 1, sizeof *opts);
    memcpy(opts, p->opts, p->n_opts * sizeof *opts);
    opts[p->n_opts].key = FT_DPIF_OPT_TNL_DEVICE;
    opts[p->n_opts].value = dev;
    error = ft_dpif_port_add(br->dpif, p->ofport, p->name, p->type, opts,
                             p->n_opts + 1, err);
    free(opts);
    if (error) {
        ft_tunnel_dev_close(p->tnl.dst_port);
    }
    return error;
}

uint16_t
bridge_tnl_dev_port(const struct ft_bridge *br, ft_port_no port_no)
{
    struct ft_port_identity id;

    if (strcmp(ft_dpif_type(br->dpif), "system")
        || ft_dpif_port_get_identity(br->dpif, port_no, &id)
        || strcmp(id.type, "vxlan")) {
        return 0;
    }
    return id.tnl_dst_port;
}

void
bridge_tnl_dev_close(uint16_t dst_port)
{
    if (dst_port) {
        ft_tunnel_dev_close(dst_port);
    }
}

uint16_t
bridge_tnl_dev_hold(const struct ft_bridge *br, ft_port_no port_no)
{
    uint16_t dst_port = bridge_tnl_dev_port(br, port_no);
    char dev[FT_PORT_NAME_MAX];
    struct ft_error e;
    int ifindex;

    if (!dst_port || ft_tunnel_dev_open(dst_port, dev, &ifindex, &e)) {
        return 0;
    }
    return dst_port;
}

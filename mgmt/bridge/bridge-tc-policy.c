/*
 * bridge-tc-policy.c - other_config:tc-policy, on a Bridge and on an
 * Interface: which TC tier may serve a port, and the slow path of the
 * kernel one.
 *
 * Part of the management plane (mgmt/bridge).  It decides which offload
 * providers of type "tc" may serve a port (skip_sw: the one of the hw
 * tier, skip_hw: the one of the kernel tier, none: the one of the hw tier
 * with neither skip flag, the kernel deciding per rule) and, when a provider gives a
 * port a slow path (offload/offload.h, slow_path_ifindex), makes the
 * datapath read the port's packets from there (swpath/dpif.h).  Touches
 * the bridge's offload records and its datapath's ports only.
 *
 * TC in software (skip_hw) serves the ports of either datapath: in front
 * of the userspace one through a slow path per port, in front of the
 * kernel one (datapath_type=system) with none, since TC ingress runs
 * before the kernel datapath's receive handler.
 */
#include <errno.h>
#include <string.h>

#include "mgmt/bridge/bridge-private.h"
#include "offload/offload.h"

static const struct {
    const char *name;
    int policy;
} tc_policies[] = {
    { "skip_sw", BRIDGE_TC_SKIP_SW },
    { "skip_hw", BRIDGE_TC_SKIP_HW },
    { "none", BRIDGE_TC_NONE },
};

int
bridge_tc_policy_parse(const char *owner, const char *value, int *policy,
                       struct ft_error *err)
{
    for (size_t i = 0; i < sizeof tc_policies / sizeof *tc_policies; i++) {
        if (!strcmp(value, tc_policies[i].name)) {
            *policy = tc_policies[i].policy;
            return 0;
        }
    }
    return ft_error_set(err, -EINVAL, "%s: other_config:tc-policy: '%s' is "
                        "not one of skip_sw, skip_hw, none", owner, value);
}

int
bridge_port_tc_policy(const struct ft_bridge *br, ft_port_no port_no)
{
    const struct bridge_port *p = bridge_port_find(br, port_no);

    return p && p->tc_policy >= 0 ? p->tc_policy : br->tc_policy;
}

int
bridge_tc_policy_check(const struct bridge_offload *bo, const char *name,
                       int policy, struct ft_error *err)
{
    enum ft_tier tier = ft_offload_tier(bo->offload);

    if (strcmp(ft_offload_type(bo->offload), "tc")) {
        return 0;
    }
    if (tier == FT_TIER_HW && policy == BRIDGE_TC_SKIP_HW) {
        return ft_error_set(err, -EOPNOTSUPP, "tc: port %s: "
                            "other_config:tc-policy=skip_hw keeps TC rules "
                            "out of the NIC", name);
    }
    if (tier == FT_TIER_KERNEL && policy == BRIDGE_TC_NONE) {
        return ft_error_set(err, -EOPNOTSUPP, "tc: port %s: with "
                            "other_config:tc-policy=none the hw tier's "
                            "provider puts TC rules and the kernel keeps "
                            "in software what the NIC does not take", name);
    }
    if (tier == FT_TIER_KERNEL && policy != BRIDGE_TC_SKIP_HW) {
        return ft_error_set(err, -EOPNOTSUPP, "tc: port %s: TC in software "
                            "is off (other_config:tc-policy=skip_hw turns "
                            "it on)", name);
    }
    /* In front of the kernel datapath (datapath_type=system) TC in
     * software needs no slow path: what no filter takes goes on to the
     * datapath's receive handler on the same device.  So with
     * tc-policy=none there, a filter the NIC did not take is run by TC
     * in software before the datapath sees the packet, as with skip_hw. */
    return 0;
}

int
bridge_slow_path_start(struct ft_bridge *br, ft_port_no port_no,
                       const struct ft_offload_caps *caps,
                       struct ft_error *err)
{
    return (caps->slow_path_ifindex
            ? ft_dpif_port_set_rx_device(br->dpif, port_no,
                                         caps->slow_path_ifindex, err)
            : 0);
}

void
bridge_slow_path_stop(struct ft_bridge *br, const struct bridge_offload *bo,
                      ft_port_no port_no)
{
    const struct ft_offload_caps *caps = bridge_offload_port_caps(bo,
                                                                  port_no);

    if (caps && caps->slow_path_ifindex) {
        ft_dpif_port_set_rx_device(br->dpif, port_no, 0, NULL);
    }
}

/* The TC policy 'bo' last probed 'port_no' with, or -1 if it did not. */
static int
bridge_probed_policy(const struct bridge_offload *bo, ft_port_no port_no)
{
    for (size_t i = 0; i < bo->n_served; i++) {
        if (bo->served[i].port_no == port_no) {
            return bo->served[i].tc_policy;
        }
    }
    for (size_t i = 0; i < bo->n_refused; i++) {
        if (bo->refused[i].port_no == port_no) {
            return bo->refused[i].tc_policy;
        }
    }
    return -1;
}

/* True if some provider probed open port 'p' with a TC policy that is not
 * its policy now. */
static bool
bridge_port_policy_stale(const struct ft_bridge *br,
                         const struct bridge_port *p)
{
    int policy = bridge_port_tc_policy(br, p->ofport);

    for (size_t j = 0; j < br->n_offloads && !p->error; j++) {
        int probed = bridge_probed_policy(&br->offloads[j], p->ofport);

        if (probed >= 0 && probed != policy) {
            return true;
        }
    }
    return false;
}

bool
bridge_tc_policy_stale(const struct ft_bridge *br)
{
    for (size_t i = 0; i < br->n_ports; i++) {
        if (bridge_port_policy_stale(br, &br->ports[i])) {
            return true;
        }
    }
    return false;
}

void
bridge_tc_policy_refresh(struct ft_bridge *br)
{
    for (size_t i = 0; i < br->n_ports; i++) {
        ft_port_no port_no = br->ports[i].ofport;

        if (bridge_port_policy_stale(br, &br->ports[i])) {
            bridge_megaflows_remove_port(br, port_no);
            for (size_t j = 0; j < br->n_offloads; j++) {
                bridge_offload_probe(br, &br->offloads[j], port_no);
            }
        }
    }
}

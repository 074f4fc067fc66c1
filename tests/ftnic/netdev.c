// SPDX-License-Identifier: GPL-2.0
/*
 * ftnic netdevs: the four kinds of network device of the SmartNIC model
 * (a model for tests; see ftnic.h).  A VF's and the wire's transmit enter
 * the e-switch; a representor's transmit leaves it at the representor's
 * port.  Representors carry the switch identity (phys_switch_id,
 * phys_port_name) and take TC offload (ndo_setup_tc, rules.c).
 *
 * Touches only the netdev and its private area; the datapath is
 * eswitch.c's.
 */
#include <linux/ethtool.h>

#include "ftnic.h"

static struct ftnic_netdev *ftnic_priv(const struct net_device *dev)
{
	return netdev_priv(dev);
}

/*
 * Delivers 'skb' (data at the Ethernet header) as received on 'dev', and
 * counts it there.  Takes ownership of 'skb'.  Any context.
 */
void ftnic_netdev_rx(struct net_device *dev, struct sk_buff *skb)
{
	unsigned int len = skb->len;

	/* dev_forward_skb() scrubs the packet when it changes namespace,
	 * drops it when 'dev' is down or the packet too long, and frees it
	 * then. */
	if (dev_forward_skb(dev, skb) == NET_RX_SUCCESS)
		dev_sw_netstats_rx_add(dev, len);
	else
		dev_core_stats_rx_dropped_inc(dev);
}

static netdev_tx_t ftnic_vf_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct ftnic_netdev *p = ftnic_priv(dev);

	dev_sw_netstats_tx_add(dev, 1, skb->len);
	ftnic_eswitch_ingress(p->port, skb);
	return NETDEV_TX_OK;
}

static netdev_tx_t ftnic_wire_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct ftnic_netdev *p = ftnic_priv(dev);

	dev_sw_netstats_tx_add(dev, 1, skb->len);
	ftnic_eswitch_ingress(&p->nic->uplink, skb);
	return NETDEV_TX_OK;
}

static netdev_tx_t ftnic_rep_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct ftnic_netdev *p = ftnic_priv(dev);

	dev_sw_netstats_tx_add(dev, 1, skb->len);
	ftnic_eswitch_egress(p->port, skb);
	return NETDEV_TX_OK;
}

static int ftnic_rep_get_port_parent_id(struct net_device *dev,
					struct netdev_phys_item_id *ppid)
{
	struct ftnic_netdev *p = ftnic_priv(dev);

	if (p->port->dl_registered)
		return -EOPNOTSUPP;	/* devlink answers from the port */
	ppid->id_len = sizeof(p->nic->switch_id);
	memcpy(ppid->id, p->nic->switch_id, ppid->id_len);
	return 0;
}

static int ftnic_rep_get_phys_port_name(struct net_device *dev, char *name,
					size_t len)
{
	struct ftnic_netdev *p = ftnic_priv(dev);
	int n;

	if (p->port->dl_registered)
		return -EOPNOTSUPP;	/* devlink answers from the port */
	if (p->port->vf < 0)
		n = snprintf(name, len, "p0");
	else
		n = snprintf(name, len, "pf0vf%d", p->port->vf);
	return n < len ? 0 : -EINVAL;
}

static struct devlink_port *ftnic_rep_get_devlink_port(struct net_device *dev)
{
	struct ftnic_netdev *p = ftnic_priv(dev);

	return p->port->dl_registered ? &p->port->dl_port : NULL;
}

static const struct net_device_ops ftnic_vf_ops = {
	.ndo_start_xmit		= ftnic_vf_xmit,
	.ndo_get_stats64	= dev_get_tstats64,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
};

static const struct net_device_ops ftnic_wire_ops = {
	.ndo_start_xmit		= ftnic_wire_xmit,
	.ndo_get_stats64	= dev_get_tstats64,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
};

static const struct net_device_ops ftnic_rep_ops = {
	.ndo_start_xmit		= ftnic_rep_xmit,
	.ndo_get_stats64	= dev_get_tstats64,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_setup_tc		= ftnic_rules_setup_tc,
	.ndo_get_port_parent_id	= ftnic_rep_get_port_parent_id,
	.ndo_get_phys_port_name	= ftnic_rep_get_phys_port_name,
	.ndo_get_devlink_port	= ftnic_rep_get_devlink_port,
};

bool ftnic_netdev_is_rep(const struct net_device *dev)
{
	return dev->netdev_ops == &ftnic_rep_ops;
}

static void ftnic_netdev_free_stats(struct net_device *dev)
{
	free_percpu(dev->tstats);
}

static void ftnic_netdev_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->features |= NETIF_F_LLTX;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = 9000;
}

/* What 'ethtool -i' says: the model's name, so that a tool can tell the
 * model from hardware. */
static void ftnic_get_drvinfo(struct net_device *dev,
			      struct ethtool_drvinfo *info)
{
	strscpy(info->driver, "ftnic", sizeof(info->driver));
	strscpy(info->version, "model", sizeof(info->version));
	strscpy(info->bus_info, "ftnic model", sizeof(info->bus_info));
}

static const struct ethtool_ops ftnic_ethtool_ops = {
	.get_drvinfo = ftnic_get_drvinfo,
};

/*
 * Creates and registers one netdev of 'kind' named 'name' for 'port' of
 * 'nic' ('port' is NULL for the wire).  Returns it, or an ERR_PTR.  The
 * caller unregisters it; it frees itself then.  Takes the RTNL.
 */
struct net_device *ftnic_netdev_create(struct ftnic *nic, enum ftnic_dev_kind kind,
				       struct ftnic_port *port, const char *name)
{
	struct net_device *dev;
	struct ftnic_netdev *p;
	int err;

	dev = alloc_netdev(sizeof(*p), name, NET_NAME_PREDICTABLE,
			   ftnic_netdev_setup);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	p = netdev_priv(dev);
	p->kind = kind;
	p->nic = nic;
	p->port = port;
	switch (kind) {
	case FTNIC_DEV_VF:
		dev->netdev_ops = &ftnic_vf_ops;
		break;
	case FTNIC_DEV_WIRE:
		dev->netdev_ops = &ftnic_wire_ops;
		break;
	case FTNIC_DEV_REP:
		dev->netdev_ops = &ftnic_rep_ops;
		dev->hw_features |= NETIF_F_HW_TC;
		dev->features |= NETIF_F_HW_TC;
		break;
	}
	dev->ethtool_ops = &ftnic_ethtool_ops;
	eth_hw_addr_random(dev);

	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	if (!dev->tstats) {
		err = -ENOMEM;
		goto free_netdev;
	}
	err = register_netdev(dev);
	if (err)
		goto free_stats;
	/* From here on unregistering frees it all (set only now: a failed
	 * registration must not run the destructor before our own undo). */
	dev->priv_destructor = ftnic_netdev_free_stats;
	dev->needs_free_netdev = true;
	netif_carrier_on(dev);
	return dev;

free_stats:
	free_percpu(dev->tstats);
	dev->tstats = NULL;
free_netdev:
	free_netdev(dev);
	return ERR_PTR(err);
}

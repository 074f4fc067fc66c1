// SPDX-License-Identifier: GPL-2.0
/*
 * vport.c - the ports of a datapath: an existing netdev attached under a
 * port number with an rx_handler, so that what it receives enters the
 * datapath (ft_dp_process()) after TC ingress has run, and what the
 * datapath outputs to it leaves through dev_queue_xmit().  Also the
 * flowtier_vport generic netlink family and the netdev notifier that
 * detaches a port whose device goes away.  An internal port is a netdev
 * of the module's own: what the host transmits on it enters the datapath,
 * what the datapath outputs to it the host receives.  A VXLAN port is an
 * external (collect_metadata) VXLAN device attached the same way: what it
 * decapsulates arrives with RX tunnel metadata, which ft_dp_process()
 * puts in the key; what the datapath outputs to it must carry the TX
 * tunnel metadata of a SET_TUNNEL action, which the device encapsulates
 * with (anything else is dropped and counted).  Locking: datapath.h.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <net/vxlan.h>

#include "datapath.h"

/* Attribute policy of flowtier_vport:
 *   DP_NAME   the datapath (every command);
 *   PORT_NO   1..FT_PORT_MAX or FT_PORT_LOCAL (NEW, DEL, GET; the
 *             upper bound is checked by NEW, past the policy's s16);
 *   IFNAME    the existing Ethernet netdev to attach, or the internal
 *             one to create (NEW);
 *   TYPE      enum ft_kdp_vport_type, default NETDEV (NEW): NETDEV and
 *             VXLAN attach IFNAME, INTERNAL creates it;
 *   UPCALL_PID  the netlink port of the port's own upcall socket, 0 for
 *             the datapath's (NEW, SET);
 *   IFINDEX, STATS  only in replies. */
static const struct nla_policy ft_vport_policy[FT_KDP_VPORT_ATTR_MAX + 1] = {
	[FT_KDP_ATTR_DP_NAME] = { .type = NLA_NUL_STRING,
				  .len = FT_KDP_NAME_MAX - 1 },
	[FT_KDP_VPORT_ATTR_PORT_NO] = NLA_POLICY_MIN(NLA_U32, 1),
	[FT_KDP_VPORT_ATTR_IFNAME] = { .type = NLA_NUL_STRING,
				       .len = IFNAMSIZ - 1 },
	[FT_KDP_VPORT_ATTR_TYPE] = NLA_POLICY_MAX(NLA_U32,
						  FT_KDP_VPORT_VXLAN),
	[FT_KDP_VPORT_ATTR_UPCALL_PID] = { .type = NLA_U32 },
	[FT_KDP_VPORT_ATTR_IFINDEX] = { .type = NLA_REJECT },
	[FT_KDP_VPORT_ATTR_STATS] = { .type = NLA_REJECT },
};

struct ft_vport *ft_vport_lookup(const struct ft_dp *dp, u32 port_no)
{
	const struct hlist_head *head =
		&dp->ports[hash_32(port_no, FT_PORT_HASH_BITS)];
	struct ft_vport *vport;

	hlist_for_each_entry_rcu(vport, head, node, lockdep_rtnl_is_held() ||
				 ft_genl_is_held())
		if (vport->port_no == port_no)
			return vport;
	return NULL;
}

static rx_handler_result_t ft_vport_rx(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct ft_vport *vport;

	if (unlikely(skb->pkt_type == PACKET_LOOPBACK))
		return RX_HANDLER_PASS;
	vport = rcu_dereference(skb->dev->rx_handler_data);
	if (unlikely(!vport))
		return RX_HANDLER_PASS;
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (unlikely(!skb))
		return RX_HANDLER_CONSUMED;
	skb_push_rcsum(skb, ETH_HLEN);
	ft_dp_process(vport->dp, vport, skb);
	return RX_HANDLER_CONSUMED;
}

/* The internal port's device. */
struct ft_internal_priv {
	struct ft_vport __rcu *vport;
};

static netdev_tx_t ft_internal_xmit(struct sk_buff *skb,
				    struct net_device *dev)
{
	struct ft_internal_priv *priv = netdev_priv(dev);
	struct ft_vport *vport;

	rcu_read_lock();
	vport = rcu_dereference(priv->vport);
	if (likely(vport && skb->len >= ETH_HLEN)) {
		skb_reset_mac_header(skb);
		ft_dp_process(vport->dp, vport, skb);
	} else {
		kfree_skb(skb);
	}
	rcu_read_unlock();
	return NETDEV_TX_OK;
}

static int ft_internal_open(struct net_device *dev)
{
	netif_start_queue(dev);
	return 0;
}

static int ft_internal_stop(struct net_device *dev)
{
	netif_stop_queue(dev);
	return 0;
}

static const struct net_device_ops ft_internal_ops = {
	.ndo_open = ft_internal_open,
	.ndo_stop = ft_internal_stop,
	.ndo_start_xmit = ft_internal_xmit,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

static void ft_internal_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->netdev_ops = &ft_internal_ops;
	dev->needs_free_netdev = true;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->features |= NETIF_F_LLTX | NETIF_F_SG | NETIF_F_HW_CSUM |
			 NETIF_F_HIGHDMA;
	dev->hw_features = dev->features;
	dev->max_mtu = ETH_MAX_MTU;
	eth_hw_addr_random(dev);
}

static struct net_device *ft_internal_create(struct ft_dp *dp,
					     struct ft_vport *vport,
					     struct nlattr *ifname,
					     struct netlink_ext_ack *extack)
{
	struct ft_internal_priv *priv;
	struct net_device *dev;
	int err;

	if (__dev_get_by_name(dp->net, nla_data(ifname))) {
		NL_SET_ERR_MSG_ATTR(extack, ifname,
				    "flowtier: a device of that name exists");
		return ERR_PTR(-EEXIST);
	}
	dev = alloc_netdev(sizeof(*priv), nla_data(ifname), NET_NAME_USER,
			   ft_internal_setup);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	dev_net_set(dev, dp->net);
	priv = netdev_priv(dev);
	rcu_assign_pointer(priv->vport, vport);
	err = register_netdevice(dev);
	if (err) {
		NL_SET_ERR_MSG_ATTR(extack, ifname,
				    "flowtier: cannot register the internal device");
		free_netdev(dev);
		return ERR_PTR(err);
	}
	return dev;
}

void ft_vport_send(struct ft_vport *vport, struct sk_buff *skb)
{
	struct ft_vport_pcpu *s = this_cpu_ptr(vport->stats);
	unsigned int len = skb->len;
	struct net_device *dev = vport->dev;

	if (unlikely(!(dev->flags & IFF_UP) ||
		     (len > dev->mtu + dev->hard_header_len +
			    (skb_vlan_tagged(skb) ? VLAN_HLEN : 0) &&
		      !skb_is_gso(skb)))) {
		kfree_skb(skb);
		u64_stats_update_begin(&s->syncp);
		s->tx_dropped++;
		u64_stats_update_end(&s->syncp);
		return;
	}
	if (vport->vxlan) {
		const struct ip_tunnel_info *info = skb_tunnel_info(skb);

		/* The device drops what has no outer header to get, and
		 * says nothing: count it here. */
		if (unlikely(!info || !(info->mode & IP_TUNNEL_INFO_TX))) {
			kfree_skb(skb);
			u64_stats_update_begin(&s->syncp);
			s->tx_dropped++;
			u64_stats_update_end(&s->syncp);
			return;
		}
	} else {
		/* A decapsulated packet's RX metadata stays behind. */
		skb_dst_drop(skb);
	}
	skb->dev = dev;
	skb_reset_mac_header(skb);
	skb->protocol = eth_type_trans(skb, dev);
	if (vport->internal) {
		/* To the host, as if the device had received it. */
		skb_scrub_packet(skb, !net_eq(dev_net(dev), vport->dp->net));
		u64_stats_update_begin(&s->syncp);
		s->tx_packets++;
		s->tx_bytes += len;
		u64_stats_update_end(&s->syncp);
		netif_rx(skb);
		return;
	}
	skb_push(skb, ETH_HLEN);
	skb_reset_mac_len(skb);
	skb->pkt_type = PACKET_OUTGOING;
	u64_stats_update_begin(&s->syncp);
	if (dev_queue_xmit(skb) == NET_XMIT_SUCCESS) {
		s->tx_packets++;
		s->tx_bytes += len;
	} else {
		s->tx_dropped++;
	}
	u64_stats_update_end(&s->syncp);
}

static void ft_vport_free_rcu(struct rcu_head *rcu)
{
	struct ft_vport *vport = container_of(rcu, struct ft_vport, rcu);

	free_percpu(vport->stats);
	kfree(vport);
}

/* Detaches 'vport' from its device and datapath; freed after a grace
 * period.  RTNL and (except from the notifier) the genl mutex held. */
void ft_vport_del(struct ft_vport *vport, bool dev_gone)
{
	struct net_device *dev = vport->dev;

	ASSERT_RTNL();
	if (vport->internal) {
		struct ft_internal_priv *priv = netdev_priv(dev);

		RCU_INIT_POINTER(priv->vport, NULL);
	} else {
		netdev_rx_handler_unregister(dev);
		if (!vport->vxlan)
			dev_set_promiscuity(dev, -1);
	}
	hlist_del_rcu(&vport->node);
	vport->dp->n_ports--;
	netdev_put(dev, &vport->dev_tracker);
	if (vport->internal && !dev_gone)
		unregister_netdevice(dev);
	call_rcu(&vport->rcu, ft_vport_free_rcu);
}

static void ft_vport_get_stats(struct ft_vport *vport,
			       struct ft_kdp_vport_stats *st)
{
	int cpu;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		const struct ft_vport_pcpu *s = per_cpu_ptr(vport->stats, cpu);
		struct ft_vport_pcpu c;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			c = *s;
		} while (u64_stats_fetch_retry(&s->syncp, start));
		st->rx_packets += c.rx_packets;
		st->rx_bytes += c.rx_bytes;
		st->tx_packets += c.tx_packets;
		st->tx_bytes += c.tx_bytes;
		st->tx_dropped += c.tx_dropped;
		st->upcalls += c.upcalls;
		st->upcalls_lost += c.upcalls_lost;
	}
}

static int ft_vport_fill(struct sk_buff *skb, struct ft_vport *vport,
			 u32 portid, u32 seq, u32 flags, u8 cmd)
{
	struct ft_kdp_vport_stats st;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &ft_vport_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	ft_vport_get_stats(vport, &st);
	if (nla_put_string(skb, FT_KDP_ATTR_DP_NAME, vport->dp->name) ||
	    nla_put_u32(skb, FT_KDP_VPORT_ATTR_PORT_NO, vport->port_no) ||
	    nla_put_string(skb, FT_KDP_VPORT_ATTR_IFNAME, vport->dev->name) ||
	    nla_put_u32(skb, FT_KDP_VPORT_ATTR_IFINDEX,
			vport->dev->ifindex) ||
	    nla_put_u32(skb, FT_KDP_VPORT_ATTR_TYPE,
			vport->internal ? FT_KDP_VPORT_INTERNAL :
			vport->vxlan ? FT_KDP_VPORT_VXLAN :
			FT_KDP_VPORT_NETDEV) ||
	    nla_put_u32(skb, FT_KDP_VPORT_ATTR_UPCALL_PID,
			READ_ONCE(vport->upcall_pid)) ||
	    nla_put_64bit(skb, FT_KDP_VPORT_ATTR_STATS, sizeof(st), &st,
			  FT_KDP_ATTR_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int ft_vport_reply(struct ft_vport *vport, struct genl_info *info,
			  u8 cmd)
{
	struct sk_buff *reply = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	int err;

	if (!reply)
		return -ENOMEM;
	err = ft_vport_fill(reply, vport, info->snd_portid, info->snd_seq, 0,
			    cmd);
	if (err) {
		kfree_skb(reply);
		return err;
	}
	return genlmsg_reply(reply, info);
}

/* True if 'dev' is a VXLAN device in external (collect_metadata) mode. */
static bool ft_vxlan_external(struct net_device *dev)
{
	const struct vxlan_dev *vxlan;

	if (!netif_is_vxlan(dev))
		return false;
	vxlan = netdev_priv(dev);
	return vxlan->cfg.flags & VXLAN_F_COLLECT_METADATA;
}

/* Checks that 'dev' can be a port of kind 'vxlan' or not; RTNL held. */
static int ft_vport_check_dev(struct net_device *dev, bool vxlan,
			      struct nlattr *attr,
			      struct netlink_ext_ack *extack)
{
	if (vxlan && !netif_is_vxlan(dev)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "flowtier: a port of type VXLAN needs a VXLAN device");
		return -EINVAL;
	}
	if (vxlan && !ft_vxlan_external(dev)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "flowtier: the VXLAN device is not in external (collect_metadata) mode: its packets would carry no outer header");
		return -EINVAL;
	}
	if (!vxlan && ft_vxlan_external(dev)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "flowtier: an external VXLAN device is a port of type VXLAN (as a plain port it could not encapsulate)");
		return -EINVAL;
	}
	if (dev->type != ARPHRD_ETHER || dev->addr_len != ETH_ALEN) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "flowtier: the device is not Ethernet");
		return -EINVAL;
	}
	if (dev->flags & IFF_LOOPBACK) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "flowtier: the loopback device cannot be a port");
		return -EINVAL;
	}
	if (dev->netdev_ops == &ft_internal_ops) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "flowtier: the device is a datapath's internal port");
		return -EBUSY;
	}
	if (netdev_is_rx_handler_busy(dev)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "flowtier: the device is already in a bridge, bond or datapath (its rx_handler is taken)");
		return -EBUSY;
	}
	return 0;
}

static int ft_vport_attach(struct ft_dp *dp, struct ft_vport *vport,
			   struct nlattr *ifname, struct netlink_ext_ack *extack)
{
	struct net_device *dev;
	int err;

	if (vport->internal) {
		dev = ft_internal_create(dp, vport, ifname, extack);
		if (IS_ERR(dev))
			return PTR_ERR(dev);
		vport->dev = dev;
		goto attached;
	}
	dev = __dev_get_by_name(dp->net, nla_data(ifname));
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(extack, ifname,
				    "flowtier: no such network device");
		return -ENODEV;
	}
	err = ft_vport_check_dev(dev, vport->vxlan, ifname, extack);
	if (err)
		return err;
	vport->dev = dev;
	err = netdev_rx_handler_register(dev, ft_vport_rx, vport);
	if (err) {
		NL_SET_ERR_MSG_ATTR(extack, ifname,
				    "flowtier: cannot attach an rx_handler to the device");
		return err;
	}
	/* (A VXLAN device takes every inner destination as it is.) */
	if (!vport->vxlan)
		dev_set_promiscuity(dev, 1);
attached:
	netdev_hold(dev, &vport->dev_tracker, GFP_KERNEL);
	hlist_add_head_rcu(&vport->node,
			   &dp->ports[hash_32(vport->port_no,
					      FT_PORT_HASH_BITS)]);
	dp->n_ports++;
	return 0;
}

static int ft_vport_cmd_new(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *port_attr = info->attrs[FT_KDP_VPORT_ATTR_PORT_NO];
	struct nlattr *ifname = info->attrs[FT_KDP_VPORT_ATTR_IFNAME];
	struct ft_vport *vport;
	struct ft_dp *dp;
	u32 port_no;
	int err;

	if (!port_attr || !ifname) {
		NL_SET_ERR_MSG(info->extack,
			       "flowtier: a port needs a number and a device name");
		return -EINVAL;
	}
	port_no = nla_get_u32(port_attr);
	if (port_no > FT_PORT_MAX && port_no != FT_PORT_LOCAL) {
		NL_SET_ERR_MSG_ATTR(info->extack, port_attr,
				    "flowtier: port number is reserved");
		return -EINVAL;
	}
	vport = kzalloc(sizeof(*vport), GFP_KERNEL);
	if (!vport)
		return -ENOMEM;
	vport->stats = netdev_alloc_pcpu_stats(struct ft_vport_pcpu);
	if (!vport->stats) {
		kfree(vport);
		return -ENOMEM;
	}
	spin_lock_init(&vport->bucket.lock);
	vport->bucket.last = jiffies;
	vport->port_no = port_no;
	if (info->attrs[FT_KDP_VPORT_ATTR_TYPE]) {
		u32 type = nla_get_u32(info->attrs[FT_KDP_VPORT_ATTR_TYPE]);

		vport->internal = type == FT_KDP_VPORT_INTERNAL;
		vport->vxlan = type == FT_KDP_VPORT_VXLAN;
	}
	if (info->attrs[FT_KDP_VPORT_ATTR_UPCALL_PID])
		vport->upcall_pid =
			nla_get_u32(info->attrs[FT_KDP_VPORT_ATTR_UPCALL_PID]);

	rtnl_lock();
	dp = ft_dp_from_info(info);
	if (!dp) {
		err = -ENODEV;
		goto err_unlock;
	}
	vport->dp = dp;
	vport->bucket.tokens = (u64)dp->upcall_rate * 1000;
	if (ft_vport_lookup(dp, port_no)) {
		NL_SET_ERR_MSG_ATTR(info->extack, port_attr,
				    "flowtier: the datapath has a port of that number");
		err = -EEXIST;
		goto err_unlock;
	}
	err = ft_vport_attach(dp, vport, ifname, info->extack);
	if (err)
		goto err_unlock;
	err = ft_vport_reply(vport, info, FT_KDP_VPORT_CMD_NEW);
	rtnl_unlock();
	return err;

err_unlock:
	rtnl_unlock();
	free_percpu(vport->stats);
	kfree(vport);
	return err;
}

static struct ft_vport *ft_vport_from_info(struct ft_dp *dp,
					   struct genl_info *info)
{
	struct nlattr *port_attr = info->attrs[FT_KDP_VPORT_ATTR_PORT_NO];
	struct ft_vport *vport;

	if (!port_attr) {
		NL_SET_ERR_MSG(info->extack, "flowtier: no port number");
		return NULL;
	}
	vport = ft_vport_lookup(dp, nla_get_u32(port_attr));
	if (!vport)
		NL_SET_ERR_MSG_ATTR(info->extack, port_attr,
				    "flowtier: the datapath has no port of that number");
	return vport;
}

static int ft_vport_cmd_del(struct sk_buff *skb, struct genl_info *info)
{
	struct ft_vport *vport;
	struct ft_dp *dp;
	int err = 0;

	rtnl_lock();
	dp = ft_dp_from_info(info);
	vport = dp ? ft_vport_from_info(dp, info) : NULL;
	if (vport)
		ft_vport_del(vport, false);
	else
		err = dp ? -ENOENT : -ENODEV;
	rtnl_unlock();
	return err;
}

/* SET: the socket the port's upcalls go to (a daemon that took over a
 * datapath points its ports at its own sockets). */
static int ft_vport_cmd_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *pid = info->attrs[FT_KDP_VPORT_ATTR_UPCALL_PID];
	struct ft_vport *vport;
	struct ft_dp *dp;
	int err = 0;

	if (!pid) {
		NL_SET_ERR_MSG(info->extack,
			       "flowtier: SET of a port needs UPCALL_PID");
		return -EINVAL;
	}
	rtnl_lock();
	dp = ft_dp_from_info(info);
	vport = dp ? ft_vport_from_info(dp, info) : NULL;
	if (vport)
		WRITE_ONCE(vport->upcall_pid, nla_get_u32(pid));
	else
		err = dp ? -ENOENT : -ENODEV;
	rtnl_unlock();
	return err;
}

static int ft_vport_cmd_get(struct sk_buff *skb, struct genl_info *info)
{
	struct ft_vport *vport;
	struct ft_dp *dp;
	int err;

	rtnl_lock();
	dp = ft_dp_from_info(info);
	vport = dp ? ft_vport_from_info(dp, info) : NULL;
	if (vport)
		err = ft_vport_reply(vport, info, FT_KDP_VPORT_CMD_GET);
	else
		err = dp ? -ENOENT : -ENODEV;
	rtnl_unlock();
	return err;
}

static int ft_vport_cmd_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_dumpit_info *dinfo = genl_dumpit_info(cb);
	struct nlattr *name = dinfo->attrs[FT_KDP_ATTR_DP_NAME];
	struct ft_vport *vport;
	struct ft_dp *dp;
	int bucket, skip, i;

	if (!name) {
		NL_SET_ERR_MSG(cb->extack, "flowtier: no datapath name");
		return -EINVAL;
	}
	dp = ft_dp_lookup(sock_net(skb->sk), name);
	if (!dp) {
		NL_SET_ERR_MSG_ATTR(cb->extack, name,
				    "flowtier: no datapath of that name");
		return -ENODEV;
	}
	rtnl_lock();
	for (bucket = cb->args[0]; bucket < ARRAY_SIZE(dp->ports); bucket++) {
		skip = cb->args[1];
		i = 0;
		hlist_for_each_entry(vport, &dp->ports[bucket], node) {
			if (i++ < skip)
				continue;
			if (ft_vport_fill(skb, vport,
					  NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, NLM_F_MULTI,
					  FT_KDP_VPORT_CMD_GET))
				goto out;
			cb->args[1]++;
		}
		cb->args[0]++;
		cb->args[1] = 0;
	}
out:
	rtnl_unlock();
	return skb->len;
}

static const struct genl_ops ft_vport_ops[] = {
	{ .cmd = FT_KDP_VPORT_CMD_NEW, .flags = GENL_UNS_ADMIN_PERM,
	  .doit = ft_vport_cmd_new },
	{ .cmd = FT_KDP_VPORT_CMD_DEL, .flags = GENL_UNS_ADMIN_PERM,
	  .doit = ft_vport_cmd_del },
	{ .cmd = FT_KDP_VPORT_CMD_GET, .doit = ft_vport_cmd_get,
	  .dumpit = ft_vport_cmd_dump },
	{ .cmd = FT_KDP_VPORT_CMD_SET, .flags = GENL_UNS_ADMIN_PERM,
	  .doit = ft_vport_cmd_set },
};

struct genl_family ft_vport_family __ro_after_init = {
	.name = FT_KDP_VPORT_FAMILY,
	.version = FT_KDP_VERSION,
	.maxattr = FT_KDP_VPORT_ATTR_MAX,
	.policy = ft_vport_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = ft_vport_ops,
	.n_ops = ARRAY_SIZE(ft_vport_ops),
};

/* A device going away takes its port with it (RTNL held). */
static int ft_vport_netdev_event(struct notifier_block *nb,
				 unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct ft_vport *vport;

	if (event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	if (dev->netdev_ops == &ft_internal_ops)
		vport = rtnl_dereference(((struct ft_internal_priv *)
					  netdev_priv(dev))->vport);
	else if (dev->rx_handler == ft_vport_rx)
		vport = rtnl_dereference(dev->rx_handler_data);
	else
		return NOTIFY_DONE;
	if (vport)
		ft_vport_del(vport, true);
	return NOTIFY_DONE;
}

static struct notifier_block ft_vport_notifier = {
	.notifier_call = ft_vport_netdev_event,
};

int ft_vport_init(void)
{
	return register_netdevice_notifier(&ft_vport_notifier);
}

void ft_vport_exit(void)
{
	unregister_netdevice_notifier(&ft_vport_notifier);
}

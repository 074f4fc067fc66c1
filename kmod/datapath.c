// SPDX-License-Identifier: GPL-2.0
/*
 * datapath.c - flowtier.ko's entry: module load and unload, the datapaths
 * of each network namespace, and the flowtier_dp generic netlink family
 * (create, delete, read with counters, set the upcall socket and rate).
 * It owns the datapath objects; ports (vport.c) and megaflows
 * (flow_table.c) live inside them.  Locking: datapath.h.
 */
#include <linux/module.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "datapath.h"

unsigned int ft_net_id __read_mostly;
struct workqueue_struct *ft_wq __read_mostly;

/* Per-namespace state: the datapaths created in it. */
struct ft_net {
	struct list_head dps;
};

/* Attribute policy of flowtier_dp (every command):
 *   DP_NAME      the datapath, 1..15 bytes, NUL-terminated;
 *   UPCALL_PID   the netlink port upcalls go to (NEW, SET); 0 means none
 *                (misses are counted as lost);
 *   UPCALL_RATE  upcalls per second per port, at least 1 (NEW, SET);
 *   STATS        only in replies: refused in requests. */
static const struct nla_policy ft_dp_policy[FT_KDP_DP_ATTR_MAX + 1] = {
	[FT_KDP_ATTR_DP_NAME] = { .type = NLA_NUL_STRING,
				  .len = FT_KDP_NAME_MAX - 1 },
	[FT_KDP_DP_ATTR_UPCALL_PID] = { .type = NLA_U32 },
	[FT_KDP_DP_ATTR_UPCALL_RATE] = NLA_POLICY_MIN(NLA_U32, 1),
	[FT_KDP_DP_ATTR_STATS] = { .type = NLA_REJECT },
};

struct ft_dp *ft_dp_lookup(struct net *net, const struct nlattr *name)
{
	struct ft_net *fn = net_generic(net, ft_net_id);
	struct ft_dp *dp;

	list_for_each_entry(dp, &fn->dps, node)
		if (!nla_strcmp(name, dp->name))
			return dp;
	return NULL;
}

/* The datapath a request names, or NULL with an extack message. */
struct ft_dp *ft_dp_from_info(struct genl_info *info)
{
	struct nlattr *name = info->attrs[FT_KDP_ATTR_DP_NAME];
	struct ft_dp *dp;

	if (!name) {
		NL_SET_ERR_MSG(info->extack, "flowtier: no datapath name");
		return NULL;
	}
	dp = ft_dp_lookup(genl_info_net(info), name);
	if (!dp)
		NL_SET_ERR_MSG_ATTR(info->extack, name,
				    "flowtier: no datapath of that name");
	return dp;
}

static void ft_dp_get_stats(struct ft_dp *dp, struct ft_kdp_dp_stats *st)
{
	int cpu;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		const struct ft_dp_pcpu *s = per_cpu_ptr(dp->stats, cpu);
		struct ft_dp_pcpu c;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			c = *s;
		} while (u64_stats_fetch_retry(&s->syncp, start));
		st->n_hit += c.n_hit;
		st->n_missed += c.n_missed;
		st->n_upcalls += c.n_upcalls;
		st->n_lost += c.n_lost;
		st->n_ratelimited += c.n_ratelimited;
		st->n_invalid += c.n_invalid;
		st->n_tx_no_port += c.n_tx_no_port;
		st->n_userspace += c.n_userspace;
		st->n_userspace_lost += c.n_userspace_lost;
		st->n_exec_skipped += c.n_exec_skipped;
	}
	st->n_flows = dp->table.n_flows;
	st->n_masks = ft_table_n_masks(&dp->table);
	st->upcall_rate = dp->upcall_rate;
}

static int ft_dp_fill(struct sk_buff *skb, struct ft_dp *dp, u32 portid,
		      u32 seq, u32 flags, u8 cmd)
{
	struct ft_kdp_dp_stats st;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &ft_dp_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	ft_dp_get_stats(dp, &st);
	if (nla_put_string(skb, FT_KDP_ATTR_DP_NAME, dp->name) ||
	    nla_put_u32(skb, FT_KDP_DP_ATTR_UPCALL_PID, dp->upcall_pid) ||
	    nla_put_u32(skb, FT_KDP_DP_ATTR_UPCALL_RATE, dp->upcall_rate) ||
	    nla_put_64bit(skb, FT_KDP_DP_ATTR_STATS, sizeof(st), &st,
			  FT_KDP_ATTR_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int ft_dp_reply(struct ft_dp *dp, struct genl_info *info, u8 cmd)
{
	struct sk_buff *reply = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	int err;

	if (!reply)
		return -ENOMEM;
	err = ft_dp_fill(reply, dp, info->snd_portid, info->snd_seq, 0, cmd);
	if (err) {
		kfree_skb(reply);
		return err;
	}
	return genlmsg_reply(reply, info);
}

static void ft_dp_apply(struct ft_dp *dp, struct genl_info *info)
{
	if (info->attrs[FT_KDP_DP_ATTR_UPCALL_PID])
		WRITE_ONCE(dp->upcall_pid,
			   nla_get_u32(info->attrs[FT_KDP_DP_ATTR_UPCALL_PID]));
	if (info->attrs[FT_KDP_DP_ATTR_UPCALL_RATE])
		WRITE_ONCE(dp->upcall_rate,
			   nla_get_u32(info->attrs[FT_KDP_DP_ATTR_UPCALL_RATE]));
}

static int ft_dp_cmd_new(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *name = info->attrs[FT_KDP_ATTR_DP_NAME];
	struct net *net = genl_info_net(info);
	struct ft_net *fn = net_generic(net, ft_net_id);
	struct ft_dp *dp;
	int err;

	if (!name) {
		NL_SET_ERR_MSG(info->extack, "flowtier: a datapath needs a name");
		return -EINVAL;
	}
	if (!nla_len(name) || !*(char *)nla_data(name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, name,
				    "flowtier: empty datapath name");
		return -EINVAL;
	}
	if (ft_dp_lookup(net, name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, name,
				    "flowtier: a datapath of that name exists");
		return -EEXIST;
	}
	dp = kzalloc(sizeof(*dp), GFP_KERNEL);
	if (!dp)
		return -ENOMEM;
	nla_strscpy(dp->name, name, sizeof(dp->name));
	dp->net = net;
	dp->upcall_pid = info->snd_portid;
	dp->upcall_rate = FT_KDP_DEFAULT_UPCALL_RATE;
	ft_dp_apply(dp, info);
	dp->stats = netdev_alloc_pcpu_stats(struct ft_dp_pcpu);
	if (!dp->stats) {
		err = -ENOMEM;
		goto err_free_dp;
	}
	err = ft_table_init(&dp->table);
	if (err)
		goto err_free_stats;
	list_add_tail_rcu(&dp->node, &fn->dps);
	return ft_dp_reply(dp, info, FT_KDP_DP_CMD_NEW);

err_free_stats:
	free_percpu(dp->stats);
err_free_dp:
	kfree(dp);
	return err;
}

/* Detaches every port, drops every megaflow and frees 'dp' after a grace
 * period.  Genl mutex held (or the namespace going away). */
static void ft_dp_destroy(struct ft_dp *dp)
{
	struct ft_vport *vport;
	struct hlist_node *n;
	int i;

	list_del_rcu(&dp->node);
	rtnl_lock();
	for (i = 0; i < ARRAY_SIZE(dp->ports); i++)
		hlist_for_each_entry_safe(vport, n, &dp->ports[i], node)
			ft_vport_del(vport, false);
	rtnl_unlock();
	synchronize_net();
	ft_table_destroy(&dp->table);
	free_percpu(dp->stats);
	kfree_rcu(dp, rcu);
}

static int ft_dp_cmd_del(struct sk_buff *skb, struct genl_info *info)
{
	struct ft_dp *dp = ft_dp_from_info(info);

	if (!dp)
		return -ENODEV;
	ft_dp_destroy(dp);
	return 0;
}

static int ft_dp_cmd_set(struct sk_buff *skb, struct genl_info *info)
{
	struct ft_dp *dp = ft_dp_from_info(info);

	if (!dp)
		return -ENODEV;
	ft_dp_apply(dp, info);
	return ft_dp_reply(dp, info, FT_KDP_DP_CMD_SET);
}

static int ft_dp_cmd_get(struct sk_buff *skb, struct genl_info *info)
{
	struct ft_dp *dp = ft_dp_from_info(info);

	if (!dp)
		return -ENODEV;
	return ft_dp_reply(dp, info, FT_KDP_DP_CMD_GET);
}

static int ft_dp_cmd_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct ft_net *fn = net_generic(sock_net(skb->sk), ft_net_id);
	struct ft_dp *dp;
	int skip = cb->args[0], i = 0;

	list_for_each_entry(dp, &fn->dps, node) {
		if (i++ < skip)
			continue;
		if (ft_dp_fill(skb, dp, NETLINK_CB(cb->skb).portid,
			       cb->nlh->nlmsg_seq, NLM_F_MULTI,
			       FT_KDP_DP_CMD_GET))
			break;
		cb->args[0]++;
	}
	return skb->len;
}

static const struct genl_ops ft_dp_ops[] = {
	{ .cmd = FT_KDP_DP_CMD_NEW, .flags = GENL_UNS_ADMIN_PERM,
	  .doit = ft_dp_cmd_new },
	{ .cmd = FT_KDP_DP_CMD_DEL, .flags = GENL_UNS_ADMIN_PERM,
	  .doit = ft_dp_cmd_del },
	{ .cmd = FT_KDP_DP_CMD_GET, .doit = ft_dp_cmd_get,
	  .dumpit = ft_dp_cmd_dump },
	{ .cmd = FT_KDP_DP_CMD_SET, .flags = GENL_UNS_ADMIN_PERM,
	  .doit = ft_dp_cmd_set },
};

struct genl_family ft_dp_family __ro_after_init = {
	.name = FT_KDP_DP_FAMILY,
	.version = FT_KDP_VERSION,
	.maxattr = FT_KDP_DP_ATTR_MAX,
	.policy = ft_dp_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = ft_dp_ops,
	.n_ops = ARRAY_SIZE(ft_dp_ops),
};

static int __net_init ft_net_init(struct net *net)
{
	struct ft_net *fn = net_generic(net, ft_net_id);

	INIT_LIST_HEAD(&fn->dps);
	return 0;
}

static void __net_exit ft_net_exit(struct net *net)
{
	struct ft_net *fn = net_generic(net, ft_net_id);
	struct ft_dp *dp, *n;

	list_for_each_entry_safe(dp, n, &fn->dps, node)
		ft_dp_destroy(dp);
}

static struct pernet_operations ft_net_ops = {
	.init = ft_net_init,
	.exit = ft_net_exit,
	.id = &ft_net_id,
	.size = sizeof(struct ft_net),
};

static struct genl_family *const ft_families[] = {
	&ft_dp_family, &ft_vport_family, &ft_flow_family, &ft_packet_family,
};

static void ft_unregister_families(int n)
{
	while (n-- > 0)
		genl_unregister_family(ft_families[n]);
}

static int __init ft_init(void)
{
	int err, i;

	ft_wq = alloc_workqueue("flowtier", 0, 0);
	if (!ft_wq)
		return -ENOMEM;
	err = register_pernet_device(&ft_net_ops);
	if (err)
		goto err_wq;
	err = ft_vport_init();
	if (err)
		goto err_pernet;
	for (i = 0; i < ARRAY_SIZE(ft_families); i++) {
		err = genl_register_family(ft_families[i]);
		if (err)
			goto err_families;
	}
	pr_info("flowtier: kernel datapath loaded\n");
	return 0;

err_families:
	ft_unregister_families(i);
	ft_vport_exit();
err_pernet:
	unregister_pernet_device(&ft_net_ops);
err_wq:
	destroy_workqueue(ft_wq);
	return err;
}

static void __exit ft_exit(void)
{
	ft_unregister_families(ARRAY_SIZE(ft_families));
	unregister_pernet_device(&ft_net_ops);
	ft_vport_exit();
	rcu_barrier();
	destroy_workqueue(ft_wq);
	pr_info("flowtier: kernel datapath unloaded\n");
}

module_init(ft_init);
module_exit(ft_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("FlowTier kernel datapath: megaflow fast path");
MODULE_ALIAS_GENL_FAMILY(FT_KDP_DP_FAMILY);

// SPDX-License-Identifier: GPL-2.0
/*
 * flow_netlink.c - the flowtier_flow generic netlink family: megaflows in
 * and out of a datapath's table (flow_table.c), their actions decoded from
 * and encoded to nested attributes, and their counters read by id in
 * batches.  Every attribute goes through a policy table; every refusal
 * says which attribute and why.  A SET_TUNNEL action's TX tunnel metadata
 * (a metadata_dst) is built here, once per action list, and released
 * with it.  Runs under the genl mutex.
 */
#include "datapath.h"

/* Attribute policy of flowtier_flow:
 *   DP_NAME  the datapath (every command);
 *   ID       a megaflow's id, as NEW answered it (DEL, GET, SET);
 *   KEY      a struct ft_flow, masked by MASK (NEW);
 *   MASK     a struct ft_flow; OpenFlow metadata and registers must be
 *            wildcarded (NEW);
 *   ACTIONS  nested, ft_action_policy below (NEW, SET);
 *   IDS      up to FT_KDP_STATS_BATCH u32 ids (STATS);
 *   STATS, STATS_ARRAY  only in replies. */
static const struct nla_policy ft_flow_policy[FT_KDP_FLOW_ATTR_MAX + 1] = {
	[FT_KDP_ATTR_DP_NAME] = { .type = NLA_NUL_STRING,
				  .len = FT_KDP_NAME_MAX - 1 },
	[FT_KDP_FLOW_ATTR_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[FT_KDP_FLOW_ATTR_KEY] = NLA_POLICY_EXACT_LEN(sizeof(struct ft_flow)),
	[FT_KDP_FLOW_ATTR_MASK] = NLA_POLICY_EXACT_LEN(sizeof(struct ft_flow)),
	[FT_KDP_FLOW_ATTR_ACTIONS] = { .type = NLA_NESTED },
	[FT_KDP_FLOW_ATTR_IDS] = { .type = NLA_BINARY,
				   .len = FT_KDP_STATS_BATCH * sizeof(u32) },
	[FT_KDP_FLOW_ATTR_STATS] = { .type = NLA_REJECT },
	[FT_KDP_FLOW_ATTR_STATS_ARRAY] = { .type = NLA_REJECT },
};

/* Policy of one action inside an ACTIONS nest: its payload size. */
static const struct nla_policy ft_action_policy[FT_KDP_ACTION_MAX + 1] = {
	[FT_KDP_ACTION_OUTPUT] = { .type = NLA_U32 },
	[FT_KDP_ACTION_PUSH_VLAN] =
		NLA_POLICY_EXACT_LEN(sizeof(struct ft_kdp_vlan)),
	[FT_KDP_ACTION_POP_VLAN] = { .type = NLA_FLAG },
	[FT_KDP_ACTION_SET_ETH] =
		NLA_POLICY_EXACT_LEN(sizeof(struct ft_kdp_set_eth)),
	[FT_KDP_ACTION_SET_IPV4] =
		NLA_POLICY_EXACT_LEN(sizeof(struct ft_kdp_set_ipv4)),
	[FT_KDP_ACTION_SET_IPV6] =
		NLA_POLICY_EXACT_LEN(sizeof(struct ft_kdp_set_ipv6)),
	[FT_KDP_ACTION_SET_L4] =
		NLA_POLICY_EXACT_LEN(sizeof(struct ft_kdp_set_l4)),
	[FT_KDP_ACTION_USERSPACE] =
		NLA_POLICY_EXACT_LEN(sizeof(struct ft_kdp_userspace)),
	[FT_KDP_ACTION_SET_TUNNEL] = { .type = NLA_NESTED },
};

/* A VNI is 24 bits. */
static struct netlink_range_validation ft_vni_range __ro_after_init = {
	.max = 0xffffff,
};

/* Policy of the outer header inside a SET_TUNNEL nest. */
static const struct nla_policy
ft_tunnel_policy[FT_KDP_TUNNEL_ATTR_MAX + 1] = {
	[FT_KDP_TUNNEL_ATTR_ID] = NLA_POLICY_FULL_RANGE(NLA_U64, &ft_vni_range),
	[FT_KDP_TUNNEL_ATTR_SRC] = { .type = NLA_U32 },
	[FT_KDP_TUNNEL_ATTR_DST] = NLA_POLICY_MIN(NLA_U32, 1),
	[FT_KDP_TUNNEL_ATTR_TOS] = { .type = NLA_U8 },
	[FT_KDP_TUNNEL_ATTR_TTL] = { .type = NLA_U8 },
	[FT_KDP_TUNNEL_ATTR_FLAGS] =
		NLA_POLICY_MASK(NLA_U16, FT_TNL_F_DONT_FRAGMENT |
					 FT_TNL_F_CSUM | FT_TNL_F_KEY),
	[FT_KDP_TUNNEL_ATTR_TP_DST] = { .type = NLA_U16 },
};

/* Decodes the SET_TUNNEL nest 'a' into 'k' and builds its TX metadata. */
static int ft_tunnel_from_nl(const struct nlattr *a, struct ft_ktunnel *k,
			     struct netlink_ext_ack *extack)
{
	struct nlattr *tb[FT_KDP_TUNNEL_ATTR_MAX + 1];
	struct ip_tunnel_info *info;
	__be16 flags;
	int err;

	err = nla_parse_nested(tb, FT_KDP_TUNNEL_ATTR_MAX, a, ft_tunnel_policy,
			       extack);
	if (err)
		return err;
	if (!tb[FT_KDP_TUNNEL_ATTR_DST]) {
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "flowtier: set_tunnel needs an outer destination");
		return -EINVAL;
	}
	k->id = tb[FT_KDP_TUNNEL_ATTR_ID] ?
		nla_get_u64(tb[FT_KDP_TUNNEL_ATTR_ID]) : 0;
	k->src = tb[FT_KDP_TUNNEL_ATTR_SRC] ?
		 nla_get_u32(tb[FT_KDP_TUNNEL_ATTR_SRC]) : 0;
	k->dst = nla_get_u32(tb[FT_KDP_TUNNEL_ATTR_DST]);
	k->tos = tb[FT_KDP_TUNNEL_ATTR_TOS] ?
		 nla_get_u8(tb[FT_KDP_TUNNEL_ATTR_TOS]) : 0;
	k->ttl = tb[FT_KDP_TUNNEL_ATTR_TTL] ?
		 nla_get_u8(tb[FT_KDP_TUNNEL_ATTR_TTL]) : 0;
	k->flags = tb[FT_KDP_TUNNEL_ATTR_FLAGS] ?
		   nla_get_u16(tb[FT_KDP_TUNNEL_ATTR_FLAGS]) : 0;
	k->tp_dst = tb[FT_KDP_TUNNEL_ATTR_TP_DST] ?
		    nla_get_u16(tb[FT_KDP_TUNNEL_ATTR_TP_DST]) : 0;

	k->md = metadata_dst_alloc(0, METADATA_IP_TUNNEL, GFP_KERNEL);
	if (!k->md)
		return -ENOMEM;
	flags = ((k->flags & FT_TNL_F_KEY) ? TUNNEL_KEY : 0) |
		((k->flags & FT_TNL_F_CSUM) ? TUNNEL_CSUM : 0) |
		((k->flags & FT_TNL_F_DONT_FRAGMENT) ? TUNNEL_DONT_FRAGMENT : 0);
	info = &k->md->u.tun_info;
	info->mode = IP_TUNNEL_INFO_TX;
	ip_tunnel_key_init(&info->key, htonl(k->src), htonl(k->dst), k->tos,
			   k->ttl, 0, 0, htons(k->tp_dst), cpu_to_be64(k->id),
			   flags);
	return 0;
}

static int ft_tunnel_to_nl(struct sk_buff *skb, const struct ft_ktunnel *k)
{
	struct nlattr *nest = nla_nest_start(skb, FT_KDP_ACTION_SET_TUNNEL);

	if (!nest ||
	    nla_put(skb, FT_KDP_TUNNEL_ATTR_ID, sizeof(k->id), &k->id) ||
	    nla_put_u32(skb, FT_KDP_TUNNEL_ATTR_SRC, k->src) ||
	    nla_put_u32(skb, FT_KDP_TUNNEL_ATTR_DST, k->dst) ||
	    nla_put_u8(skb, FT_KDP_TUNNEL_ATTR_TOS, k->tos) ||
	    nla_put_u8(skb, FT_KDP_TUNNEL_ATTR_TTL, k->ttl) ||
	    nla_put_u16(skb, FT_KDP_TUNNEL_ATTR_FLAGS, k->flags) ||
	    nla_put_u16(skb, FT_KDP_TUNNEL_ATTR_TP_DST, k->tp_dst))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

void ft_actions_free(struct ft_kactions *acts)
{
	u32 i;

	if (!acts)
		return;
	for (i = 0; i < acts->n; i++)
		if (acts->acts[i].type == FT_KDP_ACTION_SET_TUNNEL &&
		    acts->acts[i].tunnel.md)
			dst_release(&acts->acts[i].tunnel.md->dst);
	kfree(acts);
}

static void ft_actions_free_cb(struct rcu_head *rcu)
{
	ft_actions_free(container_of(rcu, struct ft_kactions, rcu));
}

void ft_actions_free_rcu(struct ft_kactions *acts)
{
	if (acts)
		call_rcu(&acts->rcu, ft_actions_free_cb);
}

/* The union of an action, as bytes: one memcpy() fills whichever member
 * the type names (a copy through '&k->port' would span fields). */
static void *ft_kaction_payload(struct ft_kaction *k)
{
	return (u8 *)k + offsetof(struct ft_kaction, port);
}

/* Checks what the policy cannot: port numbers, tag types, protocols. */
static int ft_action_check(const struct nlattr *a, struct ft_kaction *k,
			   struct netlink_ext_ack *extack)
{
	switch (k->type) {
	case FT_KDP_ACTION_OUTPUT:
		if (k->port > FT_PORT_MAX && k->port != FT_PORT_LOCAL &&
		    k->port != FT_PORT_IN_PORT) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "flowtier: output to a reserved port number");
			return -EINVAL;
		}
		return 0;
	case FT_KDP_ACTION_PUSH_VLAN:
		if (k->vlan.tpid != FT_ETH_TYPE_VLAN &&
		    k->vlan.tpid != FT_ETH_TYPE_VLAN_AD) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "flowtier: push_vlan: tpid must be 0x8100 or 0x88a8");
			return -EINVAL;
		}
		return 0;
	case FT_KDP_ACTION_SET_L4:
		if (k->l4.proto != FT_IPPROTO_TCP &&
		    k->l4.proto != FT_IPPROTO_UDP) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "flowtier: set_l4: only TCP and UDP ports can be set");
			return -EOPNOTSUPP;
		}
		return 0;
	default:
		return 0;
	}
}

struct ft_kactions *ft_actions_from_nl(const struct nlattr *attr,
				       struct netlink_ext_ack *extack)
{
	struct ft_kactions *acts;
	const struct nlattr *a;
	int rem, n = 0, err;

	err = nla_validate_nested(attr, FT_KDP_ACTION_MAX, ft_action_policy,
				  extack);
	if (err)
		return ERR_PTR(err);
	nla_for_each_nested(a, attr, rem)
		n++;
	if (n > FT_KDP_MAX_ACTIONS) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "flowtier: too many actions");
		return ERR_PTR(-E2BIG);
	}
	acts = kzalloc(struct_size(acts, acts, n), GFP_KERNEL);
	if (!acts)
		return ERR_PTR(-ENOMEM);
	nla_for_each_nested(a, attr, rem) {
		struct ft_kaction *k = &acts->acts[acts->n++];

		k->type = nla_type(a);
		if (k->type == FT_KDP_ACTION_UNSPEC) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "flowtier: action of type 0");
			ft_actions_free(acts);
			return ERR_PTR(-EINVAL);
		}
		if (k->type == FT_KDP_ACTION_SET_TUNNEL) {
			err = ft_tunnel_from_nl(a, &k->tunnel, extack);
			if (err) {
				ft_actions_free(acts);
				return ERR_PTR(err);
			}
			continue;
		}
		if (nla_len(a))
			memcpy(ft_kaction_payload(k), nla_data(a),
			       min_t(int, nla_len(a),
				     sizeof(*k) - offsetof(struct ft_kaction, port)));
		err = ft_action_check(a, k, extack);
		if (err) {
			ft_actions_free(acts);
			return ERR_PTR(err);
		}
	}
	return acts;
}

/* Payload size of each action, for encoding (the policy checks it on
 * the way in). */
static const u8 ft_action_size[FT_KDP_ACTION_MAX + 1] = {
	[FT_KDP_ACTION_OUTPUT] = sizeof(u32),
	[FT_KDP_ACTION_PUSH_VLAN] = sizeof(struct ft_kdp_vlan),
	[FT_KDP_ACTION_POP_VLAN] = 0,
	[FT_KDP_ACTION_SET_ETH] = sizeof(struct ft_kdp_set_eth),
	[FT_KDP_ACTION_SET_IPV4] = sizeof(struct ft_kdp_set_ipv4),
	[FT_KDP_ACTION_SET_IPV6] = sizeof(struct ft_kdp_set_ipv6),
	[FT_KDP_ACTION_SET_L4] = sizeof(struct ft_kdp_set_l4),
	[FT_KDP_ACTION_USERSPACE] = sizeof(struct ft_kdp_userspace),
};

int ft_actions_to_nl(struct sk_buff *skb, int attrtype,
		     const struct ft_kactions *acts)
{
	struct nlattr *nest = nla_nest_start(skb, attrtype);
	u32 i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < acts->n; i++) {
		const struct ft_kaction *k = &acts->acts[i];

		if (k->type == FT_KDP_ACTION_SET_TUNNEL ?
		    ft_tunnel_to_nl(skb, &k->tunnel) :
		    nla_put(skb, k->type, ft_action_size[k->type],
			    ft_kaction_payload((struct ft_kaction *)k))) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Refuses a mask on fields the module does not extract.  (Tunnel fields
 * are extracted: from a VXLAN port's packets, zero from the others'.) */
static int ft_mask_check(const struct ft_flow *mask, const struct nlattr *a,
			 struct netlink_ext_ack *extack)
{
	int i;

	for (i = 0; i < FT_N_REGS; i++)
		if (mask->regs[i])
			break;
	if (mask->metadata || i < FT_N_REGS) {
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "flowtier: OpenFlow metadata and registers are not datapath fields");
		return -EINVAL;
	}
	if (mask->pad1 || mask->pad2[0] || mask->pad2[1] || mask->pad2[2]) {
		NL_SET_ERR_MSG_ATTR(extack, a, "flowtier: padding is masked");
		return -EINVAL;
	}
	return 0;
}

static struct ft_kflow *ft_kflow_alloc(const struct ft_flow *key,
				       const struct ft_flow *mask)
{
	struct ft_kflow *flow = kzalloc(sizeof(*flow), GFP_KERNEL);
	const u64 *k = (const u64 *)key, *m = (const u64 *)mask;
	u64 *out;
	int w;

	if (!flow)
		return NULL;
	flow->stats = netdev_alloc_pcpu_stats(struct ft_flow_pcpu);
	if (!flow->stats) {
		kfree(flow);
		return NULL;
	}
	out = (u64 *)&flow->key;
	for (w = 0; w < sizeof(*key) / sizeof(u64); w++)
		out[w] = k[w] & m[w];
	return flow;
}

static int ft_flow_reply_id(struct genl_info *info, u32 id, u8 cmd)
{
	struct sk_buff *reply = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	void *hdr;

	if (!reply)
		return -ENOMEM;
	hdr = genlmsg_put_reply(reply, info, &ft_flow_family, 0, cmd);
	if (!hdr || nla_put_u32(reply, FT_KDP_FLOW_ATTR_ID, id)) {
		kfree_skb(reply);
		return -EMSGSIZE;
	}
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);
}

static int ft_flow_cmd_new(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct ft_kactions *acts;
	struct ft_kflow *flow;
	struct ft_dp *dp;
	int err;

	if (!a[FT_KDP_FLOW_ATTR_KEY] || !a[FT_KDP_FLOW_ATTR_MASK] ||
	    !a[FT_KDP_FLOW_ATTR_ACTIONS]) {
		NL_SET_ERR_MSG(info->extack,
			       "flowtier: a megaflow needs a key, a mask and actions");
		return -EINVAL;
	}
	dp = ft_dp_from_info(info);
	if (!dp)
		return -ENODEV;
	err = ft_mask_check(nla_data(a[FT_KDP_FLOW_ATTR_MASK]),
			    a[FT_KDP_FLOW_ATTR_MASK], info->extack);
	if (err)
		return err;
	acts = ft_actions_from_nl(a[FT_KDP_FLOW_ATTR_ACTIONS], info->extack);
	if (IS_ERR(acts))
		return PTR_ERR(acts);
	flow = ft_kflow_alloc(nla_data(a[FT_KDP_FLOW_ATTR_KEY]),
			      nla_data(a[FT_KDP_FLOW_ATTR_MASK]));
	if (!flow) {
		ft_actions_free(acts);
		return -ENOMEM;
	}
	RCU_INIT_POINTER(flow->acts, acts);
	err = ft_table_insert(&dp->table, flow,
			      nla_data(a[FT_KDP_FLOW_ATTR_MASK]), info->extack);
	if (err) {
		ft_actions_free(acts);
		free_percpu(flow->stats);
		kfree(flow);
		return err;
	}
	ft_table_reorder(&dp->table);
	return ft_flow_reply_id(info, flow->id, FT_KDP_FLOW_CMD_NEW);
}

static struct ft_kflow *ft_flow_from_info(struct ft_dp *dp,
					  struct genl_info *info)
{
	struct nlattr *id = info->attrs[FT_KDP_FLOW_ATTR_ID];
	struct ft_kflow *flow;

	if (!id) {
		NL_SET_ERR_MSG(info->extack, "flowtier: no megaflow id");
		return NULL;
	}
	flow = idr_find(&dp->table.ids, nla_get_u32(id));
	if (!flow)
		NL_SET_ERR_MSG_ATTR(info->extack, id,
				    "flowtier: no megaflow of that id");
	return flow;
}

static int ft_flow_fill(struct sk_buff *skb, const struct ft_kflow *flow,
			u32 portid, u32 seq, u32 flags, u8 cmd)
{
	struct ft_kdp_flow_stats st;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &ft_flow_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	ft_kflow_get_stats(flow, &st);
	if (nla_put_u32(skb, FT_KDP_FLOW_ATTR_ID, flow->id) ||
	    nla_put(skb, FT_KDP_FLOW_ATTR_KEY, sizeof(flow->key), &flow->key) ||
	    nla_put(skb, FT_KDP_FLOW_ATTR_MASK, sizeof(flow->mask->mask),
		    &flow->mask->mask) ||
	    ft_actions_to_nl(skb, FT_KDP_FLOW_ATTR_ACTIONS,
			     rcu_dereference_check(flow->acts,
						   ft_genl_is_held())) ||
	    nla_put_64bit(skb, FT_KDP_FLOW_ATTR_STATS, sizeof(st), &st,
			  FT_KDP_ATTR_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* Builds the reply describing 'flow' (its counters as they are now) for
 * the request 'info'.  Returns NULL with *errp set on failure. */
static struct sk_buff *ft_flow_reply(struct ft_kflow *flow,
				     struct genl_info *info, u8 cmd, int *errp)
{
	struct sk_buff *reply;
	int err;

	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply) {
		*errp = -ENOMEM;
		return NULL;
	}
	err = ft_flow_fill(reply, flow, info->snd_portid, info->snd_seq, 0,
			   cmd);
	if (err) {
		kfree_skb(reply);
		*errp = err;
		return NULL;
	}
	return reply;
}

static int ft_flow_cmd_del(struct sk_buff *skb, struct genl_info *info)
{
	struct ft_dp *dp = ft_dp_from_info(info);
	struct ft_kflow *flow;
	struct sk_buff *reply;
	int err = 0;

	if (!dp)
		return -ENODEV;
	flow = ft_flow_from_info(dp, info);
	if (!flow)
		return -ENOENT;
	/* The reply carries the final counters.  Without memory for it the
	 * flow stays (the request failed); a flow too large to describe
	 * still goes. */
	reply = ft_flow_reply(flow, info, FT_KDP_FLOW_CMD_DEL, &err);
	if (!reply && err == -ENOMEM)
		return err;
	ft_table_remove(&dp->table, flow);
	ft_kflow_free(flow);
	return reply ? genlmsg_reply(reply, info) : err;
}

static int ft_flow_cmd_get(struct sk_buff *skb, struct genl_info *info)
{
	struct ft_dp *dp = ft_dp_from_info(info);
	struct ft_kflow *flow;
	struct sk_buff *reply;
	int err = 0;

	if (!dp)
		return -ENODEV;
	flow = ft_flow_from_info(dp, info);
	if (!flow)
		return -ENOENT;
	reply = ft_flow_reply(flow, info, FT_KDP_FLOW_CMD_GET, &err);
	return reply ? genlmsg_reply(reply, info) : err;
}

static int ft_flow_cmd_set(struct sk_buff *skb, struct genl_info *info)
{
	struct ft_kactions *acts, *old;
	struct ft_dp *dp = ft_dp_from_info(info);
	struct ft_kflow *flow;

	if (!dp)
		return -ENODEV;
	flow = ft_flow_from_info(dp, info);
	if (!flow)
		return -ENOENT;
	if (!info->attrs[FT_KDP_FLOW_ATTR_ACTIONS]) {
		NL_SET_ERR_MSG(info->extack, "flowtier: no actions to set");
		return -EINVAL;
	}
	acts = ft_actions_from_nl(info->attrs[FT_KDP_FLOW_ATTR_ACTIONS],
				  info->extack);
	if (IS_ERR(acts))
		return PTR_ERR(acts);
	old = rcu_replace_pointer(flow->acts, acts, ft_genl_is_held());
	ft_actions_free_rcu(old);
	return 0;
}

static int ft_flow_cmd_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *ids_attr = info->attrs[FT_KDP_FLOW_ATTR_IDS];
	struct ft_kdp_flow_stats *st;
	struct ft_dp *dp = ft_dp_from_info(info);
	struct sk_buff *reply;
	struct nlattr *arr;
	const u32 *ids;
	int i, n;
	void *hdr;

	if (!dp)
		return -ENODEV;
	if (!ids_attr || nla_len(ids_attr) % sizeof(u32)) {
		NL_SET_ERR_MSG_ATTR(info->extack, ids_attr,
				    "flowtier: STATS needs an array of u32 ids");
		return -EINVAL;
	}
	ft_table_reorder(&dp->table);
	ids = nla_data(ids_attr);
	n = nla_len(ids_attr) / sizeof(u32);
	reply = genlmsg_new(nla_total_size_64bit(n * sizeof(*st)) + 64,
			    GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	hdr = genlmsg_put_reply(reply, info, &ft_flow_family, 0,
				FT_KDP_FLOW_CMD_STATS);
	arr = hdr ? nla_reserve_64bit(reply, FT_KDP_FLOW_ATTR_STATS_ARRAY,
				      n * sizeof(*st), FT_KDP_ATTR_PAD) : NULL;
	if (!arr) {
		kfree_skb(reply);
		return -EMSGSIZE;
	}
	st = nla_data(arr);
	for (i = 0; i < n; i++) {
		struct ft_kflow *flow = idr_find(&dp->table.ids, ids[i]);

		if (!flow) {
			kfree_skb(reply);
			NL_SET_ERR_MSG_ATTR(info->extack, ids_attr,
					    "flowtier: an id in the batch names no megaflow");
			return -ENOENT;
		}
		ft_kflow_get_stats(flow, &st[i]);
	}
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);
}

static int ft_flow_cmd_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct ft_dp *dp = ft_dp_from_info(info);

	if (!dp)
		return -ENODEV;
	ft_table_flush(&dp->table);
	return 0;
}

static int ft_flow_cmd_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_dumpit_info *dinfo = genl_dumpit_info(cb);
	struct nlattr *name = dinfo->attrs[FT_KDP_ATTR_DP_NAME];
	struct ft_kflow *flow;
	struct ft_dp *dp;
	int id;

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
	id = cb->args[0];
	while ((flow = idr_get_next(&dp->table.ids, &id))) {
		if (ft_flow_fill(skb, flow, NETLINK_CB(cb->skb).portid,
				 cb->nlh->nlmsg_seq, NLM_F_MULTI,
				 FT_KDP_FLOW_CMD_GET))
			break;
		id++;
	}
	cb->args[0] = id;
	return skb->len;
}

static const struct genl_ops ft_flow_ops[] = {
	{ .cmd = FT_KDP_FLOW_CMD_NEW, .flags = GENL_UNS_ADMIN_PERM,
	  .doit = ft_flow_cmd_new },
	{ .cmd = FT_KDP_FLOW_CMD_DEL, .flags = GENL_UNS_ADMIN_PERM,
	  .doit = ft_flow_cmd_del },
	{ .cmd = FT_KDP_FLOW_CMD_GET, .doit = ft_flow_cmd_get,
	  .dumpit = ft_flow_cmd_dump },
	{ .cmd = FT_KDP_FLOW_CMD_SET, .flags = GENL_UNS_ADMIN_PERM,
	  .doit = ft_flow_cmd_set },
	{ .cmd = FT_KDP_FLOW_CMD_STATS, .doit = ft_flow_cmd_stats },
	{ .cmd = FT_KDP_FLOW_CMD_FLUSH, .flags = GENL_UNS_ADMIN_PERM,
	  .doit = ft_flow_cmd_flush },
};

struct genl_family ft_flow_family __ro_after_init = {
	.name = FT_KDP_FLOW_FAMILY,
	.version = FT_KDP_VERSION,
	.maxattr = FT_KDP_FLOW_ATTR_MAX,
	.policy = ft_flow_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = ft_flow_ops,
	.n_ops = ARRAY_SIZE(ft_flow_ops),
};

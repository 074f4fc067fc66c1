// SPDX-License-Identifier: GPL-2.0
/*
 * TC flower offload into the SmartNIC model's rule table (a model for
 * tests; see ftnic.h).
 *
 * Every representor takes ndo_setup_tc(TC_SETUP_BLOCK) and binds a
 * flow-block callback to its ingress block.  The callback turns a flower
 * rule (FLOW_CLS_REPLACE) into a struct ftnic_rule: a key and mask in the
 * e-switch's own shape and a flat list of actions, or refuses it with an
 * extack message naming the field or action it cannot take ("ftnic:
 * cannot offload ...") and -EOPNOTSUPP; a full table is -ENOSPC.
 * FLOW_CLS_DESTROY removes a rule; FLOW_CLS_STATS reports the packets and
 * bytes the model counted since the last report, and the last use.
 *
 * What the model takes.  Match: Ethernet addresses, ethertype, one VLAN
 * tag (tpid, id, priority), IPv4 addresses, protocol, tos, ttl, TCP/UDP/
 * SCTP ports, ICMP type and code.  Actions: redirect or mirror to a port
 * of the same e-switch (a representor stands for its VF, the uplink
 * representor for the wire), redirect to a representor's ingress (to the
 * host), trap, accept, drop, VLAN push/pop/modify, pedit of Ethernet
 * addresses, IPv4 tos/ttl/addresses and TCP/UDP ports (the model fixes
 * checksums itself, so csum is accepted as a no-op), VXLAN encapsulation
 * (tunnel_key set then a redirect to a VXLAN device; tunnel.c).  Chain 0
 * only.
 *
 * Decap rules come from the ingress blocks of VXLAN devices (tunnel.c
 * binds ftnic_rules_decap_block_cb() there): they may also match on
 * enc_src_ip, enc_dst_ip, enc_key_id and enc_dst_port, must start with
 * tunnel_key unset, and go to the table of the NIC they redirect to.
 *
 * Locking: see ftnic.h.  Callbacks come from TC in process context.
 */
#include <linux/slab.h>
#include <linux/ip.h>
#include <linux/tc_act/tc_csum.h>
#include <net/pkt_cls.h>
#include "ftnic.h"

#define FTNIC_REFUSE(extack, what) ({					\
	NL_SET_ERR_MSG(extack, "ftnic: cannot offload " what);		\
	-EOPNOTSUPP;							\
})

/* Match fields the model cannot take, with the words naming them. */
static const char *const ftnic_key_refusals[FLOW_DISSECTOR_KEY_MAX] = {
	[FLOW_DISSECTOR_KEY_IPV6_ADDRS] = "ftnic: cannot offload match on IPv6 addresses",
	[FLOW_DISSECTOR_KEY_PORTS_RANGE] = "ftnic: cannot offload match on port ranges",
	[FLOW_DISSECTOR_KEY_ARP] = "ftnic: cannot offload match on ARP fields",
	[FLOW_DISSECTOR_KEY_CVLAN] = "ftnic: cannot offload match on an inner VLAN tag (cvlan)",
	[FLOW_DISSECTOR_KEY_TCP] = "ftnic: cannot offload match on TCP flags",
	[FLOW_DISSECTOR_KEY_MPLS] = "ftnic: cannot offload match on MPLS",
	[FLOW_DISSECTOR_KEY_ENC_KEYID] = "ftnic: cannot offload match on tunnel fields (enc_key_id)",
	[FLOW_DISSECTOR_KEY_ENC_IPV4_ADDRS] = "ftnic: cannot offload match on tunnel fields (enc_src_ip/enc_dst_ip)",
	[FLOW_DISSECTOR_KEY_ENC_IPV6_ADDRS] = "ftnic: cannot offload match on tunnel fields (enc IPv6 addresses)",
	[FLOW_DISSECTOR_KEY_ENC_CONTROL] = "ftnic: cannot offload match on tunnel fields (enc_control)",
	[FLOW_DISSECTOR_KEY_ENC_PORTS] = "ftnic: cannot offload match on tunnel fields (enc_dst_port)",
	[FLOW_DISSECTOR_KEY_ENC_IP] = "ftnic: cannot offload match on tunnel fields (enc_tos/enc_ttl)",
	[FLOW_DISSECTOR_KEY_ENC_OPTS] = "ftnic: cannot offload match on tunnel options",
	[FLOW_DISSECTOR_KEY_META] = "ftnic: cannot offload match on the ingress device (indev)",
	[FLOW_DISSECTOR_KEY_CT] = "ftnic: cannot offload match on conntrack state (ct_*)",
	[FLOW_DISSECTOR_KEY_PPPOE] = "ftnic: cannot offload match on PPPoE",
	[FLOW_DISSECTOR_KEY_L2TPV3] = "ftnic: cannot offload match on L2TPv3",
};

#define FTNIC_KEYS_TAKEN (BIT(FLOW_DISSECTOR_KEY_CONTROL) |		\
			  BIT(FLOW_DISSECTOR_KEY_BASIC) |		\
			  BIT(FLOW_DISSECTOR_KEY_ETH_ADDRS) |		\
			  BIT(FLOW_DISSECTOR_KEY_VLAN) |		\
			  BIT(FLOW_DISSECTOR_KEY_NUM_OF_VLANS) |	\
			  BIT(FLOW_DISSECTOR_KEY_IPV4_ADDRS) |		\
			  BIT(FLOW_DISSECTOR_KEY_IP) |			\
			  BIT(FLOW_DISSECTOR_KEY_PORTS) |		\
			  BIT(FLOW_DISSECTOR_KEY_ICMP))

/* What decap rules (from VXLAN devices' blocks) may match on besides. */
#define FTNIC_ENC_KEYS_TAKEN (BIT(FLOW_DISSECTOR_KEY_ENC_CONTROL) |	\
			      BIT(FLOW_DISSECTOR_KEY_ENC_IPV4_ADDRS) |	\
			      BIT(FLOW_DISSECTOR_KEY_ENC_IPV6_ADDRS) |	\
			      BIT(FLOW_DISSECTOR_KEY_ENC_KEYID) |	\
			      BIT(FLOW_DISSECTOR_KEY_ENC_PORTS))

/* Actions the model cannot take, with the words naming them. */
static const char *const ftnic_action_refusals[] = {
	[FLOW_ACTION_GOTO] = "ftnic: cannot offload action goto (chains)",
	[FLOW_ACTION_MIRRED_INGRESS] = "ftnic: cannot offload action mirred ingress mirror",
	[FLOW_ACTION_TUNNEL_DECAP] = "ftnic: cannot offload action tunnel_key unset here (only first, on a VXLAN device)",
	[FLOW_ACTION_ADD] = "ftnic: cannot offload action pedit add (only set)",
	[FLOW_ACTION_MARK] = "ftnic: cannot offload action skbedit mark",
	[FLOW_ACTION_PTYPE] = "ftnic: cannot offload action skbedit ptype",
	[FLOW_ACTION_PRIORITY] = "ftnic: cannot offload action skbedit priority",
	[FLOW_ACTION_QUEUE] = "ftnic: cannot offload action skbedit queue_mapping",
	[FLOW_ACTION_SAMPLE] = "ftnic: cannot offload action sample",
	[FLOW_ACTION_POLICE] = "ftnic: cannot offload action police",
	[FLOW_ACTION_CT] = "ftnic: cannot offload action ct",
	[FLOW_ACTION_CT_METADATA] = "ftnic: cannot offload action ct metadata",
	[FLOW_ACTION_MPLS_PUSH] = "ftnic: cannot offload action mpls push",
	[FLOW_ACTION_MPLS_POP] = "ftnic: cannot offload action mpls pop",
	[FLOW_ACTION_MPLS_MANGLE] = "ftnic: cannot offload action mpls modify",
	[FLOW_ACTION_GATE] = "ftnic: cannot offload action gate",
	[FLOW_ACTION_PPPOE_PUSH] = "ftnic: cannot offload action pppoe push",
	[FLOW_ACTION_JUMP] = "ftnic: cannot offload action jump",
	[FLOW_ACTION_PIPE] = "ftnic: cannot offload action pipe",
	[FLOW_ACTION_VLAN_PUSH_ETH] = "ftnic: cannot offload action vlan push_eth",
	[FLOW_ACTION_VLAN_POP_ETH] = "ftnic: cannot offload action vlan pop_eth",
	[FLOW_ACTION_CONTINUE] = "ftnic: cannot offload action continue",
};

static void ftnic_set_msg(struct netlink_ext_ack *extack, const char *msg)
{
	if (extack)
		extack->_msg = msg;
}

/* Refuses a rule that matches on a field the model does not take,
 * naming the first such field.  'addr_type' is the control key's. */
static int ftnic_match_check_keys(struct flow_rule *fr, u16 addr_type,
				  bool decap, struct netlink_ext_ack *extack)
{
	unsigned int extra = fr->match.dissector->used_keys & ~FTNIC_KEYS_TAKEN;
	unsigned int id;

	/* Flower declares both address keys; addr_type says which one the
	 * rule uses. */
	if (addr_type != FLOW_DISSECTOR_KEY_IPV6_ADDRS)
		extra &= ~BIT(FLOW_DISSECTOR_KEY_IPV6_ADDRS);
	if (decap)
		extra &= ~FTNIC_ENC_KEYS_TAKEN;
	if (!extra)
		return 0;
	id = __ffs(extra);
	if (id < FLOW_DISSECTOR_KEY_MAX && ftnic_key_refusals[id])
		ftnic_set_msg(extack, ftnic_key_refusals[id]);
	else
		NL_SET_ERR_MSG(extack, "ftnic: cannot offload match on this field");
	return -EOPNOTSUPP;
}

/* Ethertype, IP protocol, Ethernet addresses, the VLAN tag. */
static int ftnic_match_l2(struct flow_rule *fr, struct ftnic_key *k,
			  struct ftnic_key *m, struct netlink_ext_ack *extack)
{
	if (flow_rule_match_key(fr, FLOW_DISSECTOR_KEY_BASIC)) {
		struct flow_match_basic match;

		flow_rule_match_basic(fr, &match);
		k->n_proto = match.key->n_proto;
		m->n_proto = match.mask->n_proto;
		k->ip_proto = match.key->ip_proto;
		m->ip_proto = match.mask->ip_proto;
	}
	if (flow_rule_match_key(fr, FLOW_DISSECTOR_KEY_ETH_ADDRS)) {
		struct flow_match_eth_addrs match;

		flow_rule_match_eth_addrs(fr, &match);
		ether_addr_copy(k->dst, match.key->dst);
		ether_addr_copy(m->dst, match.mask->dst);
		ether_addr_copy(k->src, match.key->src);
		ether_addr_copy(m->src, match.mask->src);
	}
	if (flow_rule_match_key(fr, FLOW_DISSECTOR_KEY_VLAN)) {
		struct flow_match_vlan match;

		flow_rule_match_vlan(fr, &match);
		if (match.mask->vlan_dei)
			return FTNIC_REFUSE(extack, "match on the VLAN DEI bit");
		k->vlan_tpid = match.key->vlan_tpid;
		m->vlan_tpid = match.mask->vlan_tpid;
		k->vlan_id = match.key->vlan_id;
		m->vlan_id = match.mask->vlan_id;
		k->vlan_prio = match.key->vlan_priority;
		m->vlan_prio = match.mask->vlan_priority;
	}
	if (flow_rule_match_key(fr, FLOW_DISSECTOR_KEY_NUM_OF_VLANS)) {
		const struct flow_dissector_key_num_of_vlans *key;

		/* No tag: a TPID of zero.  The model has one tag at most.
		 * (6.1 has the key but no flow_rule_match_ helper for it.) */
		key = skb_flow_dissector_target(fr->match.dissector,
						FLOW_DISSECTOR_KEY_NUM_OF_VLANS,
						fr->match.key);
		if (key->num_of_vlans ||
		    flow_rule_match_key(fr, FLOW_DISSECTOR_KEY_VLAN))
			return FTNIC_REFUSE(extack, "match on a number of VLAN tags other than none");
		k->vlan_tpid = 0;
		m->vlan_tpid = htons(0xffff);
	}
	return 0;
}

/* IPv4 addresses, tos and ttl, transport ports, ICMP type and code. */
static void ftnic_match_l3_l4(struct flow_rule *fr, u16 addr_type,
			      struct ftnic_key *k, struct ftnic_key *m)
{
	if (addr_type == FLOW_DISSECTOR_KEY_IPV4_ADDRS) {
		struct flow_match_ipv4_addrs match;

		flow_rule_match_ipv4_addrs(fr, &match);
		k->ipv4_src = match.key->src;
		m->ipv4_src = match.mask->src;
		k->ipv4_dst = match.key->dst;
		m->ipv4_dst = match.mask->dst;
	}
	if (flow_rule_match_key(fr, FLOW_DISSECTOR_KEY_IP)) {
		struct flow_match_ip match;

		flow_rule_match_ip(fr, &match);
		k->ip_tos = match.key->tos;
		m->ip_tos = match.mask->tos;
		k->ip_ttl = match.key->ttl;
		m->ip_ttl = match.mask->ttl;
	}
	if (flow_rule_match_key(fr, FLOW_DISSECTOR_KEY_PORTS)) {
		struct flow_match_ports match;

		flow_rule_match_ports(fr, &match);
		k->tp_src = match.key->src;
		m->tp_src = match.mask->src;
		k->tp_dst = match.key->dst;
		m->tp_dst = match.mask->dst;
	}
	if (flow_rule_match_key(fr, FLOW_DISSECTOR_KEY_ICMP)) {
		struct flow_match_icmp match;

		flow_rule_match_icmp(fr, &match);
		k->icmp_type = match.key->type;
		m->icmp_type = match.mask->type;
		k->icmp_code = match.key->code;
		m->icmp_code = match.mask->code;
	}
}

/* The outer (enc_*) fields of a decap rule. */
static int ftnic_match_enc(struct flow_rule *fr, struct ftnic_rule *rule,
			   struct netlink_ext_ack *extack)
{
	struct ftnic_enc_key *k = &rule->enc_key, *m = &rule->enc_mask;

	if (flow_rule_match_key(fr, FLOW_DISSECTOR_KEY_ENC_CONTROL)) {
		struct flow_match_control match;

		flow_rule_match_enc_control(fr, &match);
		if (match.key->addr_type == FLOW_DISSECTOR_KEY_IPV6_ADDRS)
			return FTNIC_REFUSE(extack, "match on tunnel fields (enc IPv6 addresses)");
		if (match.key->addr_type == FLOW_DISSECTOR_KEY_IPV4_ADDRS) {
			struct flow_match_ipv4_addrs a;

			flow_rule_match_enc_ipv4_addrs(fr, &a);
			k->src = a.key->src;
			m->src = a.mask->src;
			k->dst = a.key->dst;
			m->dst = a.mask->dst;
		}
	}
	if (flow_rule_match_key(fr, FLOW_DISSECTOR_KEY_ENC_KEYID)) {
		struct flow_match_enc_keyid match;

		flow_rule_match_enc_keyid(fr, &match);
		k->vni_field = cpu_to_be32(be32_to_cpu(match.key->keyid) << 8);
		m->vni_field = cpu_to_be32(be32_to_cpu(match.mask->keyid) << 8);
	}
	if (flow_rule_match_key(fr, FLOW_DISSECTOR_KEY_ENC_PORTS)) {
		struct flow_match_ports match;

		flow_rule_match_enc_ports(fr, &match);
		if (match.mask->src)
			return FTNIC_REFUSE(extack, "match on tunnel fields (enc_src_port)");
		k->dport = match.key->dst;
		m->dport = match.mask->dst;
	}
	k->src &= m->src;
	k->dst &= m->dst;
	k->vni_field &= m->vni_field;
	k->dport &= m->dport;
	return 0;
}

/* Fills the key and mask of 'rule' from flower's match, or refuses it. */
static int ftnic_parse_match(struct flow_rule *fr, struct ftnic_rule *rule,
			     struct netlink_ext_ack *extack)
{
	u8 *kb = (u8 *)&rule->key, *mb = (u8 *)&rule->mask;
	u16 addr_type = 0;
	size_t i;
	int err;

	if (flow_rule_match_key(fr, FLOW_DISSECTOR_KEY_CONTROL)) {
		struct flow_match_control match;

		flow_rule_match_control(fr, &match);
		addr_type = match.key->addr_type;
		if (match.mask->flags &
		    ~(FLOW_DIS_IS_FRAGMENT | FLOW_DIS_FIRST_FRAG))
			return FTNIC_REFUSE(extack, "match on these ip_flags");
		rule->key.ip_flags = match.key->flags & match.mask->flags;
		rule->mask.ip_flags = match.mask->flags;
	}
	err = ftnic_match_check_keys(fr, addr_type, rule->decap, extack);
	if (err)
		return err;
	if (rule->decap) {
		err = ftnic_match_enc(fr, rule, extack);
		if (err)
			return err;
	}
	err = ftnic_match_l2(fr, &rule->key, &rule->mask, extack);
	if (err)
		return err;
	ftnic_match_l3_l4(fr, addr_type, &rule->key, &rule->mask);

	/* Packets are compared under the mask: keep the key inside it. */
	for (i = 0; i < sizeof(rule->key); i++)
		kb[i] &= mb[i];
	return 0;
}

/* The port a redirect or mirror to 'dev' means, or NULL when 'dev' is not
 * a representor of the same e-switch as 'port'. */
static struct ftnic_port *ftnic_target_port(struct ftnic_port *port,
					    const struct net_device *dev)
{
	const struct ftnic_netdev *p;

	if (!dev || !ftnic_netdev_is_rep(dev))
		return NULL;
	p = netdev_priv(dev);
	return p->nic == port->nic ? p->port : NULL;
}

/* Whether the model can rewrite this pedit word (and fix the checksums
 * after it).  'mask' has the bits kept, in packet byte order. */
static bool ftnic_pedit_taken(const struct flow_action_entry *act)
{
	u32 mask = act->mangle.mask, off = act->mangle.offset;
	const u8 *kept = (const u8 *)&mask;

	switch (act->mangle.htype) {
	case FLOW_ACT_MANGLE_HDR_TYPE_ETH:
		return off <= 8;		/* the two MAC addresses */
	case FLOW_ACT_MANGLE_HDR_TYPE_IP4:
		if (off == offsetof(struct iphdr, saddr) ||
		    off == offsetof(struct iphdr, daddr))
			return true;
		if (off == 0)			/* tos only */
			return kept[0] == 0xff && kept[2] == 0xff && kept[3] == 0xff;
		if (off == 8)			/* ttl only */
			return kept[1] == 0xff && kept[2] == 0xff && kept[3] == 0xff;
		return false;
	case FLOW_ACT_MANGLE_HDR_TYPE_TCP:
	case FLOW_ACT_MANGLE_HDR_TYPE_UDP:
		return off == 0;		/* the two ports */
	default:
		return false;
	}
}

static int ftnic_parse_action(struct ftnic_port *port,
			      const struct flow_action_entry *act,
			      struct ftnic_action *a,
			      struct netlink_ext_ack *extack)
{
	switch (act->id) {
	case FLOW_ACTION_ACCEPT:
	case FLOW_ACTION_TRAP:
		a->kind = FTNIC_ACT_TO_HOST;
		a->port = port;
		return 0;
	case FLOW_ACTION_DROP:
		a->kind = FTNIC_ACT_DROP;
		return 0;
	case FLOW_ACTION_REDIRECT:
	case FLOW_ACTION_MIRRED:
	case FLOW_ACTION_REDIRECT_INGRESS:
		a->port = ftnic_target_port(port, act->dev);
		if (!a->port)
			return FTNIC_REFUSE(extack, "action mirred to a device outside this e-switch (only its representors)");
		a->kind = act->id == FLOW_ACTION_REDIRECT ? FTNIC_ACT_OUTPUT :
			  act->id == FLOW_ACTION_MIRRED ? FTNIC_ACT_MIRROR :
			  FTNIC_ACT_TO_HOST;
		return 0;
	case FLOW_ACTION_VLAN_PUSH:
		if (act->vlan.proto != htons(ETH_P_8021Q) &&
		    act->vlan.proto != htons(ETH_P_8021AD))
			return FTNIC_REFUSE(extack, "action vlan push of this protocol");
		a->kind = FTNIC_ACT_VLAN_PUSH;
		a->vlan.proto = act->vlan.proto;
		a->vlan.vid = act->vlan.vid;
		a->vlan.prio = act->vlan.prio;
		return 0;
	case FLOW_ACTION_VLAN_POP:
		a->kind = FTNIC_ACT_VLAN_POP;
		return 0;
	case FLOW_ACTION_VLAN_MANGLE:
		a->kind = FTNIC_ACT_VLAN_MODIFY;
		a->vlan.vid = act->vlan.vid;
		a->vlan.prio = act->vlan.prio;
		return 0;
	case FLOW_ACTION_MANGLE:
		if (!ftnic_pedit_taken(act))
			return FTNIC_REFUSE(extack, "action pedit of this field (only MAC addresses, IPv4 tos/ttl/addresses, TCP/UDP ports)");
		a->kind = FTNIC_ACT_PEDIT;
		a->pedit.htype = act->mangle.htype;
		a->pedit.offset = act->mangle.offset;
		a->pedit.mask = act->mangle.mask;
		a->pedit.val = act->mangle.val;
		return 0;
	default:
		if (act->id < ARRAY_SIZE(ftnic_action_refusals) &&
		    ftnic_action_refusals[act->id])
			ftnic_set_msg(extack, ftnic_action_refusals[act->id]);
		else
			NL_SET_ERR_MSG(extack, "ftnic: cannot offload this action");
		return -EOPNOTSUPP;
	}
}

static int ftnic_parse_actions(struct ftnic_port *port, struct flow_rule *fr,
			       struct ftnic_rule *rule,
			       struct netlink_ext_ack *extack)
{
	const struct flow_action_entry *act, *next;
	struct ftnic_action *a;
	int i, err;

	if (!flow_action_has_entries(&fr->action))
		return FTNIC_REFUSE(extack, "a rule without actions");
	if (!flow_action_basic_hw_stats_check(&fr->action, extack))
		return -EOPNOTSUPP;

	flow_action_for_each(i, act, &fr->action) {
		if (rule->decap && i == 0) {
			/* The model strips the outer headers when it matches. */
			if (act->id != FLOW_ACTION_TUNNEL_DECAP)
				return FTNIC_REFUSE(extack, "a rule on a VXLAN device that does not start with tunnel_key unset");
			continue;
		}
		if (act->id == FLOW_ACTION_TUNNEL_ENCAP) {
			/* With the redirect after it: encap, out the uplink. */
			next = i + 1 < fr->action.num_entries ? act + 1 : NULL;
			if (rule->n_actions + 2 > FTNIC_MAX_ACTIONS)
				return FTNIC_REFUSE(extack, "more than 16 actions in a rule");
			a = &rule->actions[rule->n_actions];
			err = ftnic_tunnel_parse_encap(port, act, next, &a->encap,
						       extack);
			if (err)
				return err;
			a->kind = FTNIC_ACT_VXLAN_ENCAP;
			a[1].kind = FTNIC_ACT_OUTPUT;
			a[1].port = &port->nic->uplink;
			rule->n_actions += 2;
			i++;	/* the redirect is taken */
			continue;
		}
		if (act->id == FLOW_ACTION_CSUM) {
			/* The model always fixes the checksums it breaks. */
			if (act->csum_flags & ~(TCA_CSUM_UPDATE_FLAG_IPV4HDR |
						TCA_CSUM_UPDATE_FLAG_TCP |
						TCA_CSUM_UPDATE_FLAG_UDP))
				return FTNIC_REFUSE(extack, "action csum of other than iph, tcp, udp");
			continue;
		}
		if (rule->n_actions == FTNIC_MAX_ACTIONS)
			return FTNIC_REFUSE(extack, "more than 16 actions in a rule");
		err = ftnic_parse_action(port, act,
					 &rule->actions[rule->n_actions], extack);
		if (err)
			return err;
		rule->n_actions++;
	}
	return 0;
}

/* The rule 'cookie' on 'port', or NULL.  Caller holds rules_lock. */
static struct ftnic_rule *ftnic_rule_find(struct ftnic_port *port,
					  unsigned long cookie)
{
	struct ftnic_rule *rule;

	hlist_for_each_entry(rule, ftnic_cookie_bucket(port->nic, cookie), by_cookie)
		if (rule->cookie == cookie && rule->port == port)
			return rule;
	return NULL;
}

/* Puts 'rule' (not a decap rule) in its port's group of rules with its
 * mask, made if there is none, and in the hash by masked key.  Caller
 * holds rules_lock. */
static int ftnic_rule_hash(struct ftnic_port *port, struct ftnic_rule *rule)
{
	struct ftnic_mask *m;

	list_for_each_entry(m, &port->masks, node)
		if (!memcmp(&m->mask, &rule->mask, sizeof(m->mask)))
			goto found;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->mask = rule->mask;
	list_add_tail_rcu(&m->node, &port->masks);
found:
	m->n_rules++;
	rule->mask_group = m;
	hlist_add_head_rcu(&rule->by_key,
			   ftnic_key_bucket(port->nic,
					    ftnic_key_hash_masked(&rule->key, m)));
	return 0;
}

/* Offloads the flower rule 'f' on 'port' (a decap rule when 'decap': it
 * matches packets from the wire at the uplink, 'port'). */
static int ftnic_rule_add(struct ftnic_port *port, struct flow_cls_offload *f,
			  bool decap)
{
	struct netlink_ext_ack *extack = f->common.extack;
	struct flow_rule *fr = flow_cls_offload_flow_rule(f);
	struct ftnic *nic = port->nic;
	struct ftnic_rule *rule, *pos;
	struct list_head *list;
	int err;

	if (f->common.chain_index)
		return FTNIC_REFUSE(extack, "rules in chains other than 0");

	rule = kzalloc(sizeof(*rule), GFP_KERNEL);
	if (!rule)
		return -ENOMEM;
	spin_lock_init(&rule->lock);
	rule->port = port;
	rule->cookie = f->cookie;
	rule->prio = f->common.prio;
	rule->lastused = jiffies;
	rule->decap = decap;
	err = ftnic_parse_match(fr, rule, extack);
	if (err)
		goto free_rule;
	err = ftnic_parse_actions(port, fr, rule, extack);
	if (err)
		goto free_rule;

	mutex_lock(&nic->rules_lock);
	if (ftnic_rule_find(port, f->cookie)) {
		NL_SET_ERR_MSG(extack, "ftnic: cannot offload: the rule is there already");
		err = -EEXIST;
		goto unlock;
	}
	if (nic->n_rules >= nic->max_rules) {
		NL_SET_ERR_MSG(extack, "ftnic: cannot offload: rule table full (max_rules)");
		err = -ENOSPC;
		goto unlock;
	}
	if (!decap) {
		err = ftnic_rule_hash(port, rule);
		if (err)
			goto unlock;
	}
	rule->seq = nic->next_seq++;
	/* Lowest priority value first, as TC walks them; after the rules of
	 * its own priority.  Walked from the tail: the rules behind a new one
	 * are those of higher priority values, usually few (a handful of
	 * table-miss filters behind 100,000 of one priority made a walk from
	 * the head cost each insertion the whole list). */
	list = decap ? &nic->decap_rules : &port->rules;
	list_for_each_entry_reverse(pos, list, in_port)
		if (pos->prio <= rule->prio)
			break;
	/* 'pos' is the last rule not after 'rule', or the list head. */
	list_add_rcu(&rule->in_port, &pos->in_port);
	hlist_add_head(&rule->by_cookie, ftnic_cookie_bucket(nic, rule->cookie));
	nic->n_rules++;
	mutex_unlock(&nic->rules_lock);
	return 0;

unlock:
	mutex_unlock(&nic->rules_lock);
free_rule:
	kfree(rule);
	return err;
}

/* Takes 'rule' out of the table; frees it after readers are done.
 * Caller holds rules_lock. */
static void ftnic_rule_remove(struct ftnic *nic, struct ftnic_rule *rule)
{
	struct ftnic_mask *m = rule->mask_group;

	hlist_del_init(&rule->by_cookie);
	list_del_rcu(&rule->in_port);
	if (m) {
		hlist_del_init_rcu(&rule->by_key);
		if (!--m->n_rules) {
			list_del_rcu(&m->node);
			kfree_rcu(m, rcu);
		}
	}
	nic->n_rules--;
	kfree_rcu(rule, rcu);
}

static int ftnic_rule_del(struct ftnic_port *port, struct flow_cls_offload *f)
{
	struct ftnic *nic = port->nic;
	struct ftnic_rule *rule;

	mutex_lock(&nic->rules_lock);
	rule = ftnic_rule_find(port, f->cookie);
	if (rule)
		ftnic_rule_remove(nic, rule);
	mutex_unlock(&nic->rules_lock);
	return rule ? 0 : -ENOENT;
}

static int ftnic_rule_stats(struct ftnic_port *port, struct flow_cls_offload *f)
{
	struct ftnic *nic = port->nic;
	struct ftnic_rule *rule;
	u64 packets, bytes, lastused;

	mutex_lock(&nic->rules_lock);
	rule = ftnic_rule_find(port, f->cookie);
	if (!rule) {
		mutex_unlock(&nic->rules_lock);
		return -ENOENT;
	}
	spin_lock_bh(&rule->lock);
	packets = rule->packets - rule->reported_packets;
	bytes = rule->bytes - rule->reported_bytes;
	rule->reported_packets = rule->packets;
	rule->reported_bytes = rule->bytes;
	lastused = rule->lastused;
	spin_unlock_bh(&rule->lock);
	mutex_unlock(&nic->rules_lock);

	flow_stats_update(&f->stats, bytes, packets, 0, lastused,
			  FLOW_ACTION_HW_STATS_IMMEDIATE);
	return 0;
}

static int ftnic_rules_block_cb(enum tc_setup_type type, void *type_data,
				void *cb_priv)
{
	struct flow_cls_offload *f = type_data;
	struct ftnic_port *port = cb_priv;

	if (type != TC_SETUP_CLSFLOWER)
		return -EOPNOTSUPP;
	switch (f->command) {
	case FLOW_CLS_REPLACE:
		return ftnic_rule_add(port, f, false);
	case FLOW_CLS_DESTROY:
		return ftnic_rule_del(port, f);
	case FLOW_CLS_STATS:
		return ftnic_rule_stats(port, f);
	default:
		return -EOPNOTSUPP;
	}
}

/* The NIC a rule from a VXLAN device's block belongs to: that of the
 * first representor it redirects to, or NULL. */
static struct ftnic *ftnic_decap_target(struct ftnic_indr *indr,
					struct flow_rule *fr)
{
	const struct flow_action_entry *act;
	const struct ftnic_netdev *p;
	int i;

	flow_action_for_each(i, act, &fr->action) {
		if (act->id != FLOW_ACTION_REDIRECT || !act->dev ||
		    !ftnic_netdev_is_rep(act->dev))
			continue;
		p = netdev_priv(act->dev);
		return p->nic;
	}
	return NULL;
}

/*
 * The flow-block callback for the ingress block of a VXLAN device
 * (tunnel.c binds it): flower rules there are decap rules.  'cb_priv' is
 * the struct ftnic_indr.  Rules land in the table of the NIC they
 * redirect to; destroy and stats find them there by cookie.
 */
int ftnic_rules_decap_block_cb(enum tc_setup_type type, void *type_data,
			       void *cb_priv)
{
	struct flow_cls_offload *f = type_data;
	struct ftnic_indr *indr = cb_priv;
	struct ftnic *nic;
	unsigned int i;
	int err = -ENOENT;

	if (type != TC_SETUP_CLSFLOWER)
		return -EOPNOTSUPP;
	switch (f->command) {
	case FLOW_CLS_REPLACE:
		nic = ftnic_decap_target(indr, flow_cls_offload_flow_rule(f));
		if (!nic)
			return FTNIC_REFUSE(f->common.extack, "a rule on a VXLAN device without a redirect to a representor");
		return ftnic_rule_add(&nic->uplink, f, true);
	case FLOW_CLS_DESTROY:
		for (i = 0; i < indr->n_nics && err == -ENOENT; i++)
			err = ftnic_rule_del(&indr->nics[i]->uplink, f);
		return err;
	case FLOW_CLS_STATS:
		for (i = 0; i < indr->n_nics && err == -ENOENT; i++)
			err = ftnic_rule_stats(&indr->nics[i]->uplink, f);
		return err;
	default:
		return -EOPNOTSUPP;
	}
}

/* ndo_setup_tc of every representor: binds its ingress flow block. */
int ftnic_rules_setup_tc(struct net_device *dev, enum tc_setup_type type,
			 void *type_data)
{
	struct ftnic_netdev *p = netdev_priv(dev);

	switch (type) {
	case TC_SETUP_BLOCK:
		return flow_block_cb_setup_simple(type_data, &p->port->block_cbs,
						  ftnic_rules_block_cb,
						  p->port, p->port, true);
	default:
		return -EOPNOTSUPP;
	}
}

/* Removes every rule of 'nic' (module unload), saying so when there were
 * any. */
void ftnic_rules_flush(struct ftnic *nic)
{
	struct ftnic_rule *rule;
	struct hlist_node *tmp;
	unsigned int bkt;

	mutex_lock(&nic->rules_lock);
	/* TC destroys every rule before the representors go: any left is
	 * a leak in the model, which the tests look for in the log. */
	if (nic->n_rules)
		pr_warn("ftnic%d: %u rules left at unload\n", nic->id, nic->n_rules);
	for (bkt = 0; bkt < (1U << nic->rule_hash_bits); bkt++)
		hlist_for_each_entry_safe(rule, tmp, &nic->rules_by_cookie[bkt],
					  by_cookie)
			ftnic_rule_remove(nic, rule);
	mutex_unlock(&nic->rules_lock);
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ftnic: a model of a SmartNIC with an embedded switch, for tests.
 *
 * What it is: a kernel module that makes netdevs which behave, through the
 * kernel's real APIs, like a NIC in switchdev mode with SR-IOV.  Its
 * "hardware" is C code in this module.  It exists so that FlowTier's
 * hardware tier can be tested against a device that really accepts or
 * refuses TC flower rules (ndo_setup_tc, flow-block callbacks) on machines
 * that have no such NIC.  Its counters and rates say nothing about any
 * real hardware and must never be quoted as hardware performance.
 *
 * One instance ("nic") models one NIC with one physical port:
 *
 *   ftnicNvfM   VF M's netdev: what a guest gets by passthrough
 *   ftnicNrM    VF M's representor (phys_port_name pf0vfM)
 *   ftnicN      the uplink representor (phys_port_name p0)
 *   ftnicNwire  the far end of the physical port: what the top-of-rack
 *               switch sees (absent when pair=1 cables nic 0 to nic 1)
 *
 * The e-switch (eswitch.c) sits between the VFs and the physical port.  A
 * packet a VF transmits, or the wire delivers, enters the e-switch at that
 * port and is matched against the rules offloaded to the port's
 * representor (rules.c).  A hit runs the rule's actions in the model; a
 * miss delivers the packet on the representor (the slow path).  What the
 * host transmits on a representor leaves the e-switch at that port: VF M
 * receives it, or for the uplink representor, the wire.
 *
 * Files: main.c (module parameters, nic life cycle), netdev.c (the four
 * kinds of netdev), devlink.c (devlink instance and port flavours),
 * rules.c (flow-block callbacks, rule parsing, the rule table), tunnel.c
 * (VXLAN: encapsulation, and the indirect blocks that bring decap rules
 * from VXLAN devices), eswitch.c (the datapath), sriov.c (one VF removed
 * and made again while the module is loaded, through sysfs).
 *
 * Lookup: a NIC's TCAM finds a packet's rule in one step, whatever the
 * number of rules, and costs the host nothing.  The model finds it by
 * tuple space search: a port's rules are grouped by mask (struct
 * ftnic_mask), each rule hashed by its masked key into
 * nic->rules_by_key, and a packet is looked up once per mask of its port,
 * the first rule in priority order winning; so a packet's cost in the
 * model does not grow with the number of rules (a walk of every rule made
 * each packet of a port with 10,000 rules cost as much as a third of an
 * emulated guest's CPU, which no hardware would charge the host).
 *
 * DOC: Locking
 * Rules are added and removed under nic->rules_lock (a mutex: flow-block
 * callbacks run in process context).  The datapath walks each port's
 * masks and the rule hash under RCU (it runs in the transmit path, BH
 * disabled); a removed rule or mask is freed after a grace period.  Rule counters take rule->lock.
 * VFs are made and removed under nic->vfs_lock; the datapath reads a
 * port's 'rep' and 'vf_dev' with READ_ONCE() under RCU and drops what
 * would go to one that is NULL (a removed VF), and a removal waits for a
 * grace period before unregistering the netdevs.
 */
#ifndef FTNIC_H
#define FTNIC_H

#include <linux/etherdevice.h>
#include <linux/hash.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/spinlock.h>
#include <net/devlink.h>
#include <net/flow_offload.h>

#define FTNIC_MAX_ACTIONS 16

enum ftnic_dev_kind {
	FTNIC_DEV_VF,		/* VF netdev */
	FTNIC_DEV_REP,		/* VF representor or uplink representor */
	FTNIC_DEV_WIRE,		/* far end of the physical port */
};

struct ftnic;

/* One port of the e-switch: a VF (vf >= 0) or the uplink (vf == -1). */
struct ftnic_port {
	struct ftnic *nic;
	int vf;
	struct net_device *rep;		/* its representor; NULL: VF removed */
	struct net_device *vf_dev;	/* the VF netdev; NULL for the uplink
					 * and a removed VF */
	struct list_head rules;		/* by priority */
	struct list_head masks;		/* struct ftnic_mask; RCU readers */
	struct list_head block_cbs;	/* flow_block_cb_setup_simple() list */
	struct devlink_port dl_port;	/* devlink=1: the representor's port */
	bool dl_registered;
};

/* What a netdev's private area holds. */
struct ftnic_netdev {
	enum ftnic_dev_kind kind;
	struct ftnic *nic;
	struct ftnic_port *port;	/* NULL for the wire */
};

struct ftnic {
	int id;
	u8 switch_id[8];		/* phys_switch_id of every representor */
	int num_vfs;
	struct ftnic_port uplink;
	struct ftnic_port *vfs;		/* num_vfs of them */
	struct mutex vfs_lock;		/* VFs made and removed (sriov.c) */
	int n_vfs_present;		/* VFs that exist now */
	bool sriov_attrs;		/* sriov.c's sysfs files are there */
	struct net_device *wire;	/* NULL when cabled to 'peer' */
	struct list_head decap_rules;	/* VXLAN decap rules (uplink ingress) */
	struct ftnic *peer;		/* pair=1: the nic at the cable's end */
	bool dying;			/* module unload: the datapath drops all */
	struct platform_device *pdev;	/* devlink=1: the device devlink needs */
	struct devlink *devlink;	/* devlink=1, else NULL */

	struct mutex rules_lock;	/* the rule table and port lists */
	/* Both tables have 1 << rule_hash_bits buckets, sized at module
	 * load from max_rules (about one rule a bucket when full): a filter's
	 * stats, replace and destroy each look its cookie up, and a fixed
	 * 1,024 buckets held ~100 rules each at 100,000 filters. */
	struct hlist_head *rules_by_cookie;
	struct hlist_head *rules_by_key;	/* masked key; RCU readers */
	unsigned int rule_hash_bits;
	u64 next_seq;			/* the next rule's ftnic_rule.seq */
	unsigned int n_rules;
	unsigned int max_rules;
};

/* A packet's fields as the e-switch matches them (the same shape as the
 * kernel's flow dissector output for flower: after one VLAN tag, n_proto
 * is the inner ethertype and vlan_tpid the tag's).  Zeroed before use so
 * that padding compares equal. */
struct ftnic_key {
	u8 dst[ETH_ALEN];
	u8 src[ETH_ALEN];
	__be16 n_proto;
	__be16 vlan_tpid;
	u16 vlan_id;
	u8 vlan_prio;
	u8 ip_proto;
	u8 ip_tos;
	u8 ip_ttl;
	__be32 ipv4_src;
	__be32 ipv4_dst;
	__be16 tp_src;
	__be16 tp_dst;
	u8 icmp_type;
	u8 icmp_code;
	u8 ip_flags;		/* FLOW_DIS_IS_FRAGMENT, FLOW_DIS_FIRST_FRAG */
};

/* The outer fields of a VXLAN packet from the wire, as decap rules match
 * them (flower's enc_* keys).  Zeroed before use. */
struct ftnic_enc_key {
	__be32 src;
	__be32 dst;
	__be32 vni_field;	/* VNI << 8, network order */
	__be16 dport;
	u16 pad;
};

enum ftnic_act_kind {
	FTNIC_ACT_OUTPUT,	/* leave the e-switch at a port (VF or wire) */
	FTNIC_ACT_TO_HOST,	/* deliver on a representor (slow path) */
	FTNIC_ACT_MIRROR,	/* a copy out of a port, then go on */
	FTNIC_ACT_DROP,
	FTNIC_ACT_VLAN_PUSH,
	FTNIC_ACT_VLAN_POP,
	FTNIC_ACT_VLAN_MODIFY,
	FTNIC_ACT_PEDIT,	/* one 32-bit word: (word & mask) ^ val */
	FTNIC_ACT_VXLAN_ENCAP,	/* wrap in Ethernet/IPv4/UDP/VXLAN */
};

/* The outer headers of a VXLAN encapsulation, resolved (route and
 * neighbour) when the rule was offloaded, as a NIC's tunnel table does. */
struct ftnic_encap {
	u8 dst[ETH_ALEN];
	u8 src[ETH_ALEN];
	__be32 saddr;
	__be32 daddr;
	__be32 vni_field;	/* VNI << 8, network order */
	__be16 dport;
	u8 tos;
	u8 ttl;
};

struct ftnic_action {
	enum ftnic_act_kind kind;
	union {
		struct ftnic_port *port;	/* OUTPUT, TO_HOST, MIRROR */
		struct {
			__be16 proto;
			u16 vid;
			u8 prio;
		} vlan;
		struct {
			enum flow_action_mangle_base htype;
			u32 offset;
			u32 mask;
			u32 val;
		} pedit;
		struct ftnic_encap encap;
	};
};

/* The rules of one port that have one mask (see "Lookup" above). */
struct ftnic_mask {
	struct list_head node;		/* port->masks */
	struct rcu_head rcu;
	struct ftnic_key mask;
	unsigned int n_rules;		/* under rules_lock */
};

struct ftnic_rule {
	struct hlist_node by_cookie;	/* nic->rules_by_cookie */
	struct hlist_node by_key;	/* nic->rules_by_key (not decap) */
	struct list_head in_port;	/* port->rules */
	struct rcu_head rcu;
	struct ftnic_port *port;	/* where it matches */
	struct ftnic_mask *mask_group;	/* its mask's group (not decap) */
	unsigned long cookie;
	u32 prio;
	u64 seq;			/* order of insertion: among rules of
					 * one priority, the older wins */
	struct ftnic_key key;		/* decap rules: the inner packet's */
	struct ftnic_key mask;
	bool decap;			/* in nic->decap_rules, not port->rules */
	struct ftnic_enc_key enc_key;
	struct ftnic_enc_key enc_mask;
	int n_actions;
	struct ftnic_action actions[FTNIC_MAX_ACTIONS];

	spinlock_t lock;		/* the counters below */
	u64 packets, bytes;
	u64 lastused;			/* jiffies */
	u64 reported_packets, reported_bytes;
};

/* netdev.c */
struct net_device *ftnic_netdev_create(struct ftnic *nic, enum ftnic_dev_kind kind,
				       struct ftnic_port *port, const char *name);
bool ftnic_netdev_is_rep(const struct net_device *dev);
void ftnic_netdev_rx(struct net_device *dev, struct sk_buff *skb);

/* devlink.c */
int ftnic_devlink_create(struct ftnic *nic);
void ftnic_devlink_destroy(struct ftnic *nic);
int ftnic_devlink_port_register(struct ftnic_port *port);
void ftnic_devlink_port_set_netdev(struct ftnic_port *port);
void ftnic_devlink_port_unregister(struct ftnic_port *port);

/* The NICs that take rules bound through VXLAN devices' blocks
 * (indirect flow blocks): a rule goes to the NIC of its redirect target. */
struct ftnic_indr {
	struct ftnic **nics;
	unsigned int n_nics;
};

/* rules.c */
int ftnic_rules_setup_tc(struct net_device *dev, enum tc_setup_type type,
			 void *type_data);
int ftnic_rules_decap_block_cb(enum tc_setup_type type, void *type_data,
			       void *cb_priv);
void ftnic_rules_flush(struct ftnic *nic);

/* sriov.c */
int ftnic_vf_add(struct ftnic *nic, int vf);
void ftnic_vf_remove(struct ftnic *nic, int vf);
int ftnic_sriov_attrs_add(struct ftnic *nic);
void ftnic_sriov_attrs_remove(struct ftnic *nic);

/* tunnel.c */
int ftnic_tunnel_parse_encap(struct ftnic_port *port,
			     const struct flow_action_entry *act,
			     const struct flow_action_entry *next,
			     struct ftnic_encap *e,
			     struct netlink_ext_ack *extack);
int ftnic_tunnel_encap(struct sk_buff *skb, const struct ftnic_encap *e,
		       const struct ftnic_key *key);
int ftnic_tunnel_indr_register(struct ftnic_indr *indr);
void ftnic_tunnel_indr_unregister(struct ftnic_indr *indr);

/* eswitch.c */
void ftnic_eswitch_ingress(struct ftnic_port *port, struct sk_buff *skb);
void ftnic_eswitch_egress(struct ftnic_port *port, struct sk_buff *skb);
int ftnic_key_parse(struct sk_buff *skb, struct ftnic_key *key,
		    int *l3_off, int *l4_off);
/* The bucket of cookie 'cookie' in nic->rules_by_cookie. */
static inline struct hlist_head *ftnic_cookie_bucket(struct ftnic *nic,
						     unsigned long cookie)
{
	return &nic->rules_by_cookie[hash_long(cookie, nic->rule_hash_bits)];
}

/* The bucket of masked-key hash 'hash' in nic->rules_by_key. */
static inline struct hlist_head *ftnic_key_bucket(struct ftnic *nic, u32 hash)
{
	return &nic->rules_by_key[hash_32(hash, nic->rule_hash_bits)];
}

u32 ftnic_key_hash_masked(const struct ftnic_key *key,
			  const struct ftnic_mask *m);

#endif /* FTNIC_H */

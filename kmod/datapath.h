/* SPDX-License-Identifier: GPL-2.0 */
/*
 * datapath.h - flowtier.ko's internal structures: datapaths, ports,
 * megaflows and the masked megaflow table, and the functions the module's
 * files call in one another.  The wire protocol is flowtier/kdp.h.
 *
 * DOC: Locking
 *
 * Every configuration change (datapath, port, megaflow) runs in a generic
 * netlink handler, serialized by the genl mutex (no family sets
 * parallel_ops).  Ports are also changed under RTNL: attaching and
 * detaching an rx_handler needs it, and the netdev notifier, which holds
 * RTNL but not the genl mutex, detaches a port whose device goes away.
 * So:
 *   - the datapath list of a namespace and the megaflow table: genl mutex;
 *   - a datapath's port table: genl mutex *and* RTNL to write, either one
 *     (or RCU) to read;
 *   - packets (rx_handler, softirq) read everything under RCU only, and
 *     count in per-CPU counters.
 * Objects are freed after an RCU grace period.  A port holds a reference
 * on its netdev (netdev_hold) and its datapath; the datapath outlives its
 * ports (deleting it detaches them first).
 */
#ifndef FT_KMOD_DATAPATH_H
#define FT_KMOD_DATAPATH_H

#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/rhashtable.h>
#include <linux/skbuff.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <net/dst_metadata.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "flowtier/flow-key.h"
#include "flowtier/kdp.h"
#include "flowtier/port.h"

#define FT_PORT_HASH_BITS 8

/* For RCU checks: the genl mutex is held (lockdep kernels only). */
#ifdef CONFIG_LOCKDEP
#define ft_genl_is_held() lockdep_genl_is_held()
#else
#define ft_genl_is_held() true
#endif

/* Per-CPU datapath counters (see struct ft_kdp_dp_stats). */
struct ft_dp_pcpu {
	u64 n_hit, n_missed, n_upcalls, n_lost, n_ratelimited, n_invalid;
	u64 n_tx_no_port, n_userspace, n_userspace_lost, n_exec_skipped;
	struct u64_stats_sync syncp;
};

struct ft_vport_pcpu {
	u64 rx_packets, rx_bytes, tx_packets, tx_bytes, tx_dropped;
	u64 upcalls, upcalls_lost;
	struct u64_stats_sync syncp;
};

/* Upcall rate limit of one port: a token bucket refilled at the
 * datapath's rate, so a port that misses a lot cannot take the upcall
 * socket from the others. */
struct ft_upcall_bucket {
	spinlock_t lock;
	u64 tokens;                 /* In 1/1000 of an upcall. */
	unsigned long last;         /* jiffies of the last refill. */
};

struct ft_vport {
	struct hlist_node node;     /* In ft_dp.ports, by port_no. */
	struct ft_dp *dp;
	struct net_device *dev;
	netdevice_tracker dev_tracker;
	bool internal;              /* 'dev' is ours (vport.c). */
	bool vxlan;                 /* 'dev' is an external VXLAN device:
				     * its packets carry tunnel metadata. */
	u32 port_no;
	u32 upcall_pid;             /* Its own upcall socket, 0: the dp's. */
	struct ft_vport_pcpu __percpu *stats;
	struct ft_upcall_bucket bucket;
	struct rcu_head rcu;
};

/* A SET_TUNNEL action: its attributes (host order, for dumps) and the TX
 * tunnel metadata built from them once, of which every packet it runs
 * on takes a reference (released with the action list). */
struct ft_ktunnel {
	struct metadata_dst *md;
	u64 id;
	u32 src, dst;
	u8 tos, ttl;
	u16 flags, tp_dst;
};

/* One action, decoded from its netlink attribute. */
struct ft_kaction {
	u16 type;                   /* enum ft_kdp_action */
	union {
		u32 port;
		struct ft_kdp_vlan vlan;
		struct ft_kdp_set_eth eth;
		struct ft_kdp_set_ipv4 ipv4;
		struct ft_kdp_set_ipv6 ipv6;
		struct ft_kdp_set_l4 l4;
		struct ft_kdp_userspace userspace;
		struct ft_ktunnel tunnel;
	};
};

struct ft_kactions {
	struct rcu_head rcu;
	u32 n;
	struct ft_kaction acts[];
};

struct ft_flow_pcpu {
	u64 packets, bytes;
	unsigned long used;         /* jiffies, 0 if never. */
	struct u64_stats_sync syncp;
};

struct ft_mask;

struct ft_kflow {
	struct rhash_head node;     /* In its mask's table, by 'key'. */
	struct ft_flow key;         /* Masked by mask->mask. */
	struct ft_mask *mask;
	u32 id;
	struct ft_kactions __rcu *acts;
	struct ft_flow_pcpu __percpu *stats;
	struct rcu_head rcu;
};

/* The megaflows of one mask: a hash table over the masked key. */
struct ft_mask {
	struct ft_flow mask;
	struct rhashtable flows;
	u32 n_flows;
	u64 __percpu *hits;
	u64 last_hits;              /* Sum at the last reordering. */
	u64 rate;                   /* Hits between the last reorderings. */
	struct rcu_work rwork;
};

/* The masks in lookup order, most hit first; replaced whole (RCU). */
struct ft_mask_array {
	struct rcu_head rcu;
	u32 n;
	struct ft_mask *masks[];
};

struct ft_flow_table {
	struct ft_mask_array __rcu *masks;
	struct idr ids;             /* id -> struct ft_kflow */
	u32 n_flows;
	unsigned long next_reorder; /* jiffies: masks sorted again after. */
};

struct ft_dp {
	struct list_head node;      /* In the namespace's list. */
	char name[FT_KDP_NAME_MAX];
	struct net *net;
	u32 upcall_pid;             /* Netlink port of the upcall socket. */
	u32 upcall_rate;            /* Upcalls/s per port. */
	struct hlist_head ports[1 << FT_PORT_HASH_BITS];
	u32 n_ports;
	struct ft_flow_table table;
	struct ft_dp_pcpu __percpu *stats;
	struct rcu_head rcu;
};

/* Counting helpers. */
#define FT_DP_COUNT(dp, field) do {					\
		struct ft_dp_pcpu *s_ = this_cpu_ptr((dp)->stats);	\
		u64_stats_update_begin(&s_->syncp);			\
		s_->field++;						\
		u64_stats_update_end(&s_->syncp);			\
	} while (0)

/* datapath.c */
extern struct genl_family ft_dp_family;
extern struct workqueue_struct *ft_wq;  /* Frees what may sleep. */
struct ft_dp *ft_dp_lookup(struct net *net, const struct nlattr *name);
struct ft_dp *ft_dp_from_info(struct genl_info *info);
extern unsigned int ft_net_id;

/* vport.c */
int ft_vport_init(void);
void ft_vport_exit(void);
extern struct genl_family ft_vport_family;
struct ft_vport *ft_vport_lookup(const struct ft_dp *dp, u32 port_no);
/* Detaches 'vport' (and unregisters an internal port's device unless
 * 'dev_gone', the device being unregistered already). */
void ft_vport_del(struct ft_vport *vport, bool dev_gone);
void ft_vport_send(struct ft_vport *vport, struct sk_buff *skb);

/* flow.c: key extraction from a frame whose data starts at the Ethernet
 * header; returns 0 or -EINVAL (under 14 bytes). */
int ft_flow_key_extract(struct sk_buff *skb, u32 in_port,
			struct ft_flow *key);
/* Puts the outer header of the RX tunnel metadata 'info' in the tunnel
 * fields of 'key'. */
void ft_flow_key_tunnel(const struct ip_tunnel_info *info,
			struct ft_flow *key);

/* flow_table.c */
int ft_table_init(struct ft_flow_table *table);
void ft_table_destroy(struct ft_flow_table *table);
struct ft_kflow *ft_table_lookup(struct ft_flow_table *table,
				 const struct ft_flow *key);
int ft_table_insert(struct ft_flow_table *table, struct ft_kflow *flow,
		    const struct ft_flow *mask, struct netlink_ext_ack *extack);
void ft_table_remove(struct ft_flow_table *table, struct ft_kflow *flow);
void ft_table_flush(struct ft_flow_table *table);
/* Sorts the masks by their hits since the last call, at most once a
 * second (the flow family's handlers call it; genl mutex held). */
void ft_table_reorder(struct ft_flow_table *table);
u32 ft_table_n_masks(struct ft_flow_table *table);
void ft_kflow_free(struct ft_kflow *flow);
void ft_kflow_get_stats(const struct ft_kflow *flow,
			struct ft_kdp_flow_stats *stats);

/* flow_netlink.c */
extern struct genl_family ft_flow_family;
struct ft_kactions *ft_actions_from_nl(const struct nlattr *attr,
				       struct netlink_ext_ack *extack);
int ft_actions_to_nl(struct sk_buff *skb, int attrtype,
		     const struct ft_kactions *acts);
/* Frees 'acts' (NULL: nothing) and what its actions hold, now, or after
 * a grace period (packets may still run them). */
void ft_actions_free(struct ft_kactions *acts);
void ft_actions_free_rcu(struct ft_kactions *acts);

/* actions.c: runs 'acts' on 'skb' (consumed), which came in on port
 * 'in_port' of 'dp' with key 'key'.  Under RCU, BHs off. */
void ft_actions_execute(struct ft_dp *dp, struct sk_buff *skb,
			const struct ft_flow *key,
			const struct ft_kactions *acts);

/* upcall.c */
extern struct genl_family ft_packet_family;
int ft_upcall(struct ft_dp *dp, struct ft_vport *vport, struct sk_buff *skb,
	      const struct ft_flow *key, u8 cmd,
	      const struct ft_kdp_userspace *userspace);
void ft_dp_process(struct ft_dp *dp, struct ft_vport *vport,
		   struct sk_buff *skb);

#endif /* FT_KMOD_DATAPATH_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * flow_table.c - the masked megaflow table of a datapath: one hash table
 * (rhashtable over the masked key) per distinct mask, the masks kept in an
 * array ordered by how many packets each matched recently, so that a
 * lookup tries the busiest masks first and stops at the first hit (the
 * management plane never installs two overlapping megaflows).  Megaflows
 * are also indexed by id (an idr) for the netlink handlers.
 *
 * A lookup costs one masked hash and one hash-table probe per mask tried,
 * no allocation, no lock (RCU).  Changes run under the genl mutex and
 * publish a new mask array when the set of masks changes or is reordered.
 */
#include <linux/sort.h>

#include "datapath.h"

#define FT_MAX_MASKS 4096

static const struct rhashtable_params ft_flow_params = {
	.key_len = sizeof(struct ft_flow),
	.key_offset = offsetof(struct ft_kflow, key),
	.head_offset = offsetof(struct ft_kflow, node),
	.automatic_shrinking = true,
};

static struct ft_mask_array *ft_mask_array_alloc(u32 n)
{
	struct ft_mask_array *ma;

	ma = kzalloc(struct_size(ma, masks, n), GFP_KERNEL);
	if (ma)
		ma->n = n;
	return ma;
}

static struct ft_mask_array *ft_masks(struct ft_flow_table *table)
{
	return rcu_dereference_check(table->masks, ft_genl_is_held());
}

int ft_table_init(struct ft_flow_table *table)
{
	struct ft_mask_array *ma = ft_mask_array_alloc(0);

	if (!ma)
		return -ENOMEM;
	RCU_INIT_POINTER(table->masks, ma);
	idr_init(&table->ids);
	table->n_flows = 0;
	table->next_reorder = jiffies + HZ;
	return 0;
}

u32 ft_table_n_masks(struct ft_flow_table *table)
{
	return ft_masks(table)->n;
}

static void ft_kflow_free_rcu(struct rcu_head *rcu)
{
	struct ft_kflow *flow = container_of(rcu, struct ft_kflow, rcu);

	ft_actions_free(rcu_dereference_raw(flow->acts));
	free_percpu(flow->stats);
	kfree(flow);
}

/* Frees 'flow' after a grace period (it must be in no table). */
void ft_kflow_free(struct ft_kflow *flow)
{
	call_rcu(&flow->rcu, ft_kflow_free_rcu);
}

/* After a grace period, in process context: rhashtable_destroy() may
 * sleep. */
static void ft_mask_free_work(struct work_struct *work)
{
	struct ft_mask *mask = container_of(to_rcu_work(work), struct ft_mask,
					    rwork);

	rhashtable_destroy(&mask->flows);
	free_percpu(mask->hits);
	kfree(mask);
}

struct ft_kflow *ft_table_lookup(struct ft_flow_table *table,
				 const struct ft_flow *key)
{
	struct ft_mask_array *ma = rcu_dereference(table->masks);
	struct ft_flow masked;
	u32 i;

	for (i = 0; i < ma->n; i++) {
		struct ft_mask *mask = ma->masks[i];
		const u64 *k = (const u64 *)key, *m = (const u64 *)&mask->mask;
		u64 *out = (u64 *)&masked;
		struct ft_kflow *flow;
		int w;

		for (w = 0; w < sizeof(masked) / sizeof(u64); w++)
			out[w] = k[w] & m[w];
		flow = rhashtable_lookup(&mask->flows, &masked, ft_flow_params);
		if (flow) {
			this_cpu_inc(*mask->hits);
			return flow;
		}
	}
	return NULL;
}

/* Publishes a copy of the mask array with 'add' appended (if nonnull)
 * and 'del' left out (if nonnull). */
static int ft_masks_replace(struct ft_flow_table *table, struct ft_mask *add,
			    struct ft_mask *del)
{
	struct ft_mask_array *old = ft_masks(table), *ma;
	u32 i, n = 0;

	ma = ft_mask_array_alloc(old->n + (add ? 1 : 0));
	if (!ma)
		return -ENOMEM;
	for (i = 0; i < old->n; i++)
		if (old->masks[i] != del)
			ma->masks[n++] = old->masks[i];
	if (add)
		ma->masks[n++] = add;
	ma->n = n;
	rcu_assign_pointer(table->masks, ma);
	kfree_rcu(old, rcu);
	return 0;
}

static struct ft_mask *ft_mask_find(struct ft_flow_table *table,
				    const struct ft_flow *mask)
{
	struct ft_mask_array *ma = ft_masks(table);
	u32 i;

	for (i = 0; i < ma->n; i++)
		if (!memcmp(&ma->masks[i]->mask, mask, sizeof(*mask)))
			return ma->masks[i];
	return NULL;
}

static struct ft_mask *ft_mask_create(struct ft_flow_table *table,
				      const struct ft_flow *m,
				      struct netlink_ext_ack *extack)
{
	struct ft_mask *mask;

	if (ft_masks(table)->n >= FT_MAX_MASKS) {
		NL_SET_ERR_MSG(extack, "flowtier: too many distinct masks");
		return ERR_PTR(-ENOSPC);
	}
	mask = kzalloc(sizeof(*mask), GFP_KERNEL);
	if (!mask)
		return ERR_PTR(-ENOMEM);
	mask->mask = *m;
	mask->hits = alloc_percpu(u64);
	if (!mask->hits || rhashtable_init(&mask->flows, &ft_flow_params)) {
		free_percpu(mask->hits);
		kfree(mask);
		return ERR_PTR(-ENOMEM);
	}
	if (ft_masks_replace(table, mask, NULL)) {
		rhashtable_destroy(&mask->flows);
		free_percpu(mask->hits);
		kfree(mask);
		return ERR_PTR(-ENOMEM);
	}
	return mask;
}

static void ft_mask_unref(struct ft_flow_table *table, struct ft_mask *mask)
{
	if (--mask->n_flows)
		return;
	if (ft_masks_replace(table, NULL, mask)) {
		/* Out of memory: keep the empty mask, it matches nothing. */
		mask->n_flows = 0;
		return;
	}
	INIT_RCU_WORK(&mask->rwork, ft_mask_free_work);
	queue_rcu_work(ft_wq, &mask->rwork);
}

/* Inserts 'flow' (key already masked, id unset) under 'mask'.  Returns 0,
 * -EEXIST if a megaflow with the same key and mask exists, -ENOSPC or
 * -ENOMEM, with an extack message. */
int ft_table_insert(struct ft_flow_table *table, struct ft_kflow *flow,
		    const struct ft_flow *m, struct netlink_ext_ack *extack)
{
	struct ft_mask *mask = ft_mask_find(table, m);
	int id, err;

	if (!mask) {
		mask = ft_mask_create(table, m, extack);
		if (IS_ERR(mask))
			return PTR_ERR(mask);
	}
	mask->n_flows++;
	flow->mask = mask;
	err = rhashtable_lookup_insert_fast(&mask->flows, &flow->node,
					    ft_flow_params);
	if (err) {
		if (err == -EEXIST)
			NL_SET_ERR_MSG(extack,
				       "flowtier: a megaflow with this key and mask exists");
		goto err_unref;
	}
	id = idr_alloc_cyclic(&table->ids, flow, 1, INT_MAX, GFP_KERNEL);
	if (id < 0) {
		err = id;
		rhashtable_remove_fast(&mask->flows, &flow->node,
				       ft_flow_params);
		goto err_unref;
	}
	flow->id = id;
	table->n_flows++;
	return 0;

err_unref:
	ft_mask_unref(table, mask);
	return err;
}

/* Takes 'flow' out of the table; the caller frees it with
 * ft_kflow_free(). */
void ft_table_remove(struct ft_flow_table *table, struct ft_kflow *flow)
{
	idr_remove(&table->ids, flow->id);
	rhashtable_remove_fast(&flow->mask->flows, &flow->node,
			       ft_flow_params);
	table->n_flows--;
	ft_mask_unref(table, flow->mask);
}

void ft_table_flush(struct ft_flow_table *table)
{
	struct ft_kflow *flow;
	int id;

	idr_for_each_entry(&table->ids, flow, id) {
		ft_table_remove(table, flow);
		ft_kflow_free(flow);
	}
}

/* Frees the table; no packet may use it any more. */
void ft_table_destroy(struct ft_flow_table *table)
{
	ft_table_flush(table);
	idr_destroy(&table->ids);
	kfree_rcu(rcu_dereference_raw(table->masks), rcu);
}

static u64 ft_mask_hits(const struct ft_mask *mask)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *per_cpu_ptr(mask->hits, cpu);
	return sum;
}

static int ft_mask_cmp(const void *a_, const void *b_)
{
	const struct ft_mask *a = *(struct ft_mask *const *)a_;
	const struct ft_mask *b = *(struct ft_mask *const *)b_;

	return a->rate > b->rate ? -1 : a->rate < b->rate;
}

void ft_table_reorder(struct ft_flow_table *table)
{
	struct ft_mask_array *old = ft_masks(table), *ma;
	u32 i;

	if (time_before(jiffies, table->next_reorder) || old->n < 2)
		return;
	table->next_reorder = jiffies + HZ;
	ma = ft_mask_array_alloc(old->n);
	if (!ma)
		return;
	for (i = 0; i < old->n; i++) {
		struct ft_mask *mask = old->masks[i];
		u64 hits = ft_mask_hits(mask);

		mask->rate = hits - mask->last_hits;
		mask->last_hits = hits;
		ma->masks[i] = mask;
	}
	sort(ma->masks, ma->n, sizeof(ma->masks[0]), ft_mask_cmp, NULL);
	rcu_assign_pointer(table->masks, ma);
	kfree_rcu(old, rcu);
}

void ft_kflow_get_stats(const struct ft_kflow *flow,
			struct ft_kdp_flow_stats *stats)
{
	unsigned long used = 0;
	int cpu;

	stats->packets = stats->bytes = 0;
	for_each_possible_cpu(cpu) {
		const struct ft_flow_pcpu *s = per_cpu_ptr(flow->stats, cpu);
		unsigned int start;
		u64 p, b;
		unsigned long u;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			p = s->packets;
			b = s->bytes;
			u = s->used;
		} while (u64_stats_fetch_retry(&s->syncp, start));
		stats->packets += p;
		stats->bytes += b;
		if (u && (!used || time_after(u, used)))
			used = u;
	}
	stats->used_ms = used ? jiffies_to_msecs(jiffies - used) : ~0ULL;
}

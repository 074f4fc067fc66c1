/*
 * offload-dummy.h - a scriptable offload provider, for tests only.
 *
 * It holds megaflows in a table in memory and never touches a device.  A
 * test decides what it refuses (a match field, an action, a port), how
 * many rules fit, whether the next modify fails, and what its counters
 * say.  It is built into a library that only the tests link: no bridge
 * configuration can reach it, and its counters are whatever a test set,
 * never a measurement of anything.
 */
#ifndef OFFLOAD_OFFLOAD_DUMMY_H
#define OFFLOAD_OFFLOAD_DUMMY_H 1

#include "offload.h"

extern const struct ft_offload_class ft_offload_dummy_class;

/* Refuses every megaflow whose mask touches match field 'field' (a name of
 * 'struct ft_flow', e.g. "tp_dst", "nw_src", "dl_vlan" for the outer VLAN
 * tag), with "NAME: cannot offload match on FIELD".  NULL clears.
 * Returns 0, or -EINVAL for an unknown field name. */
int ft_offload_dummy_refuse_field(struct ft_offload *, const char *field);

/* With 'defer', a put the script refuses returns 0 as a batching provider's
 * does before the device answered, and the refusal (with its reason) comes
 * from commit (offload.h, "Batches"); so does the slower tier of
 * ft_offload_dummy_keep_slower(). */
void ft_offload_dummy_defer_refusals(struct ft_offload *, bool defer);

/* An instance of the hw tier holds every megaflow whose mask touches
 * 'field' but reports it in the kernel tier (flow_tier), with "NAME:
 * cannot offload match on FIELD (kept in the kernel)": what TC with
 * neither skip flag does with a rule the NIC refuses.  NULL clears.
 * Returns 0, or -EINVAL for an unknown field name. */
int ft_offload_dummy_keep_slower(struct ft_offload *, const char *field);

/* Refuses every megaflow with an action of 'type' (enum ft_dpa_type), with
 * "NAME: cannot offload action TYPE"; a negative 'type' clears. */
void ft_offload_dummy_refuse_action(struct ft_offload *, int type);

/* Refuses port 'port_no' at probe with 'reason' (NULL clears). */
void ft_offload_dummy_refuse_port(struct ft_offload *, ft_port_no port_no,
                                  const char *reason);

/* Holds at most 'max' rules; a put beyond gets -ENOSPC (0: no bound). */
void ft_offload_dummy_set_max_flows(struct ft_offload *, size_t max);

/* Makes every batched counter read (flow_stats) take 'usec' of wall time
 * more, as a driver that reads each rule through the NIC does (0: none). */
void ft_offload_dummy_set_stats_delay(struct ft_offload *, uint64_t usec);

/* Makes every flow_modify and flow_del take 'usec' of wall time more, as
 * a device whose rule changes are slow does (TC under an emulated CPU)
 * (0: none). */
void ft_offload_dummy_set_change_delay(struct ft_offload *, uint64_t usec);

/* Makes the next 'n' calls of flow_modify fail with -EIO. */
void ft_offload_dummy_fail_modifies(struct ft_offload *, unsigned int n);

/* Adds 'n_packets' and 'n_bytes', used at 'used', to the counters of every
 * rule whose match equals 'match' (NULL: every rule).  Returns the number
 * of rules credited. */
size_t ft_offload_dummy_credit(struct ft_offload *, const struct ft_match *,
                               uint64_t n_packets, uint64_t n_bytes,
                               long long int used);

/* Number of rules held, and of calls made to each member so far. */
size_t ft_offload_dummy_n_flows(const struct ft_offload *);
struct ft_offload_dummy_calls {
    unsigned int port_add, flow_put, flow_modify, flow_del, flow_stats;
    unsigned int flush;
};
void ft_offload_dummy_get_calls(const struct ft_offload *,
                                struct ft_offload_dummy_calls *);

/* Finds the rule whose match equals 'match': returns its actions, or NULL
 * if there is none.  Valid until the rule changes. */
const struct ft_dp_actions *ft_offload_dummy_find(const struct ft_offload *,
                                                  const struct ft_match *);

#endif /* offload/offload-dummy.h */

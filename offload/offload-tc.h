/*
 * offload-tc.h - the TC flower offload provider.
 *
 * One instance per bridge and tier.  For the hw tier its filters carry
 * skip_sw: a filter the kernel accepts exists only in the NIC (the kernel
 * reports it in_hw), so a packet it handles never reaches the kernel's
 * software path or the daemon; a NIC that cannot take it refuses with its
 * own words (the extended ack), which become the megaflow's reason.
 *
 * On a port probed with 'hw_or_kernel' (other_config:tc-policy=none) the
 * hw tier's filters carry neither flag: the kernel puts each in the NIC
 * if its driver takes it and keeps it in software otherwise; the filter
 * the kernel sends back (NLM_F_ECHO) says which (in_hw), the ack's
 * message why not, and flow_tier() reports it.  Such a port gets the
 * kernel tier's slow path, below.
 *
 * For the kernel tier its filters carry skip_hw: they exist only in the
 * kernel's software path, and each port it serves gets a slow path
 * (tc-slowpath.h): a veth pair of FlowTier's and a last, catch-all filter
 * redirecting every miss into it; the port's caps name the pair's end the
 * datapath must read instead of the port (slow_path_ifindex), so that a
 * packet a filter handled never reaches the daemon.
 *
 * Ports: a port the hw tier serves is a Linux netdev on a NIC's embedded
 * switch (it has a phys_switch_id: an SR-IOV VF representor, an uplink);
 * one the kernel tier serves is any Linux netdev of type system.  The
 * provider puts a clsact qdisc on it if it has no ingress qdisc yet
 * (never deleting one that exists) and its filters on its ingress.  Every
 * filter carries FlowTier's cookie on its first action: the provider
 * removes its own leftovers (after a crash) when it starts serving a port
 * and all of its filters when it stops, and never touches a filter it did
 * not add; the same goes for the slow-path pairs, which carry FlowTier's
 * alias.
 *
 * Counters come from one dump of a port's filters for all of the
 * megaflows asked about at once.
 *
 * New filters are sent in batches (offload.h, "Batches"): each request
 * goes out at once and flow_put() returns, up to TC_MAX_PENDING of them;
 * their acks (and, with neither skip flag, the filters sent back) are
 * read together when the batch is full, at commit, or before any other
 * request on the socket, each matched to its filter by sequence number,
 * so that a refusal keeps its own extack message.  A change of actions
 * goes the same way: a get of the old filter's counts and the replace,
 * back to back (the replaced filter counts from zero; the old counts are
 * kept), a refusal reported by commit, the old filter then removed.
 * Removals go out up to 64 at a time, each asking for the deleted filter
 * back (NLM_F_ECHO), which carries its last counters: no dump per
 * removal.  A filter the kernel would not delete is kept and tried again
 * at later commits and batches of removals, each failure doubling the
 * gap, and at every flush of its port; after 8 failed deletes it is given
 * up and counted with the kernel's reason (ft_offload_get_removals()).
 * Every wait for the kernel's answers ends after FT_TC_NL_TIMEOUT_MS
 * (tc-nl.h) if they do not come.
 */
#ifndef OFFLOAD_OFFLOAD_TC_H
#define OFFLOAD_OFFLOAD_TC_H 1

#include "offload.h"

extern const struct ft_offload_class ft_offload_tc_class;

#endif /* offload/offload-tc.h */

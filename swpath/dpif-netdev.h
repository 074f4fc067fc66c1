/*
 * dpif-netdev.h - the userspace datapath (datapath type "netdev"): how it
 * receives, classifies and forwards packets.
 *
 * It is the first datapath class (swpath/dpif-provider.h); everything
 * outside swpath/ uses it through swpath/dpif.h.  This header holds what
 * is particular to it: its tuning constants and the packet parser entry
 * point the tests compare with the generic one.
 *
 * The receive path
 * ================
 *
 * ft_dpif_run() takes up to 32 packets per port per round (one rx burst)
 * and, for the batch:
 *
 *   1. parses each packet into a flow key (in_port = the port's number)
 *      and hashes the key (untagged IPv4 UDP and TCP frames take a shorter
 *      path that gives the same key and hash, ft_dpif_parse_packet());
 *   2. looks each key up in the exact-match cache, then the misses in the
 *      megaflow cache in one batched lookup; a megaflow-cache hit is cached
 *      in the EMC once in FT_DPIF_EMC_INSERT_INV_PROB times on average (as
 *      Open vSwitch's emc-insert-inv-prob), an upcall's answer always
 *      while the EMC is in use.
 *      While the EMC finds fewer than FT_DPIF_EMC_MIN_HIT_PCT percent of
 *      the keys (many more flows than its entries), a miss in it costs more
 *      than its hits save: the datapath then skips it, keys going straight
 *      to the megaflow cache, except in one burst out of
 *      FT_DPIF_EMC_PROBE_EVERY, which still uses (and fills) it so that
 *      its hit rate keeps being measured; it is back in use as soon as
 *      that rate is over the threshold again;
 *   3. groups the packets found by megaflow and runs each group's actions
 *      action by action over the group (groups in the order of their first
 *      packet, packets in arrival order), crediting the megaflow once per
 *      group; outputs are queued on the output ports and flushed once per
 *      batch.  The last action of a list, if it is an output, hands the
 *      packets over (swpath/packet.h 'may_steal'): a DPDK output port then
 *      sends a DPDK input port's mbuf itself, without a copy;
 *   4. then, in arrival order, a packet that missed both caches goes to the
 *      upcall callback (swpath/dpif.h), once per distinct megaflow: later
 *      packets of the same batch that the returned megaflow covers reuse
 *      the answer without another upcall, if the callback installed the
 *      megaflow here (else each is counted by the callback, so each goes
 *      up).
 *
 * Nothing on this path allocates: packets live in the ports' receive rings
 * or preallocated buffers, keys and actions in per-datapath scratch space
 * sized once.  Installing a megaflow allocates the megaflow (and its
 * actions), nothing else.
 *
 * Outputs
 * =======
 *
 * An OUTPUT action to a port of this datapath queues the frame on that
 * port, the input port included (the translator decides; FT_PORT_IN_PORT
 * also means the input port).  An output to a port the datapath does not
 * have is counted in 'n_tx_no_port' and dropped.  A USERSPACE action
 * (OpenFlow CONTROLLER) goes to the userspace callback if one is set; it
 * is always counted in 'n_userspace', and in 'n_userspace_dropped' when no
 * callback is set.
 *
 * VXLAN ports
 * ===========
 *
 * The "vxlan" ports on one UDP port share an endpoint (swpath/netdev-
 * vxlan.h) that the datapath creates with the first of them and destroys
 * with the last; its descriptor is among ft_dpif_get_fds().  Each round
 * also takes one burst from each endpoint: every decapsulated packet goes
 * to the port whose options fit its outer header best (a packet no port
 * takes is counted and dropped), its key gets the outer header (tun_id,
 * tun_src, tun_dst, tun_tos, tun_ttl, tun_flags) and in_port, and the
 * packets of each port go through steps 1-4 as one batch.  An output to
 * a vxlan port encapsulates with the metadata of the SET_TUNNEL action
 * before it.
 *
 * Forwarding threads
 * ==================
 *
 * After ft_dpif_set_pmd_cpus(), the receive path above runs in one thread
 * per CPU given, each over its share of the ports, with its own EMC and
 * megaflow cache; step 4 then queues the missed packet to the owner's
 * thread, whose ft_dpif_run() calls the upcall callback and sends the
 * packet back to be executed (swpath/dpif-pmd.c has the design).
 *
 * Thread-safety
 * =============
 *
 * None: a datapath is owned by one thread, which makes every call.
 * Different datapaths are independent (no shared state).  Its forwarding
 * threads are its own business.
 */
#ifndef SWPATH_DPIF_NETDEV_H
#define SWPATH_DPIF_NETDEV_H 1

#include <stdint.h>

#include "flowtier/flow.h"
#include "flowtier/port.h"
#include "packet.h"

/* A megaflow-cache hit is cached in the EMC once in this many times on
 * average. */
#define FT_DPIF_EMC_INSERT_INV_PROB 100

/* The EMC is skipped while it finds fewer than this percentage of the keys
 * looked up in it (measured over FT_DPIF_EMC_WINDOW lookups), except in one
 * receive burst out of FT_DPIF_EMC_PROBE_EVERY. */
#define FT_DPIF_EMC_MIN_HIT_PCT 30
#define FT_DPIF_EMC_WINDOW 8192
#define FT_DPIF_EMC_PROBE_EVERY 16

/* Finds the header offsets of 'pkt' (as ft_packet_parse()), sets its
 * 'in_port' to 'in_port', and stores its flow key (as ft_flow_extract())
 * in '*key' and the key's ft_emc_hash() in '*hash', as the receive path
 * does.  Returns 0, or -EINVAL for a frame under 14 bytes (then '*hash' is
 * not set). */
int ft_dpif_parse_packet(struct ft_packet *pkt, ft_port_no in_port,
                         struct ft_flow *key, uint32_t *hash);

#endif /* swpath/dpif-netdev.h */

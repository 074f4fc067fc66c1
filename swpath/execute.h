/*
 * execute.h - the software datapath's action executor.
 *
 * Applies a megaflow's datapath actions (flowtier/dp-actions.h) to real
 * Ethernet frames, in order: header rewrites with checksum maintenance,
 * VLAN push and pop, tunnel metadata, and outputs handed to the caller.
 *
 * Checksums
 * =========
 *
 * SET_IPV4 keeps the IPv4 header checksum right and, for address changes,
 * updates the TCP or UDP checksum incrementally (RFC 1624) for the
 * pseudo-header.  SET_IPV6 address changes update the TCP, UDP or ICMPv6
 * checksum the same way (not for a destination change when a routing
 * header with segments left is present: the pseudo-header then uses the
 * final destination, which does not change).  SET_L4 updates TCP and UDP
 * checksums for the ports and SCTP's CRC32c by its difference over the
 * bytes present, so that a bad checksum stays bad.  A UDP checksum of 0
 * ("none") stays 0; an update that would yield 0 writes 0xffff.  Later
 * IP fragments carry no L4 header and are not touched at L4.  A frame
 * whose L4 checksum is partial (FT_PACKET_OFL_CSUM, swpath/packet.h) has
 * only its pseudo-header sum updated for address changes and nothing for
 * port changes, as Linux does for CHECKSUM_PARTIAL; the checksum is
 * completed later over the rewritten bytes.
 *
 * Malformed packets
 * =================
 *
 * An action whose header is missing, truncated or of another protocol (a
 * SET_L4 for TCP on a UDP packet, a POP_VLAN on an untagged frame, a
 * PUSH_VLAN with neither head- nor tailroom) is skipped and counted in
 * 'struct ft_execute_stats'; the following actions still run.  Nothing is
 * read or written outside the frame.
 *
 * Outputs
 * =======
 *
 * OUTPUT calls the 'output' hook with the port and the packet as it is at
 * that point; the hook must copy what it wants to keep (the buffer is
 * modified by later actions and belongs to the caller).  USERSPACE calls
 * the 'userspace' hook the same way.  A NULL hook makes that action a
 * counted no-op.
 *
 * Thread-safety: none needed; all state is in the arguments.
 */
#ifndef SWPATH_EXECUTE_H
#define SWPATH_EXECUTE_H 1

#include <stddef.h>
#include <stdint.h>

#include "flowtier/dp-actions.h"
#include "packet.h"

struct ft_execute_hooks {
    /* Sends 'pkt' (not to be kept) out of 'port'.  May be NULL. */
    void (*output)(void *aux, ft_port_no port, const struct ft_packet *pkt);

    /* Hands 'pkt' (not to be kept) to the daemon as 'act' says.  May be
     * NULL. */
    void (*userspace)(void *aux, const struct ft_dpa_userspace *act,
                      const struct ft_packet *pkt);

    void *aux;
};

/* Counters the caller accumulates across calls (zero them once). */
struct ft_execute_stats {
    uint64_t n_packets;         /* Packets run through an action list. */
    uint64_t n_actions;         /* Actions applied. */
    uint64_t n_skipped;         /* Actions skipped: header missing etc. */
    uint64_t n_outputs;         /* OUTPUT and USERSPACE hook calls. */
};

/* Runs 'actions' on 'pkt' in order, as described at the top of this file.
 * 'pkt' must have been parsed (ft_packet_parse()); its offsets stay valid.
 * 'hooks' may be NULL (outputs then go nowhere); 'stats' may be NULL.
 *
 * Returns 0 if every action applied, or the negative errno of the first
 * skipped one: -EINVAL if the header the action needs is missing or
 * malformed, -ENOSPC if a VLAN tag did not fit the buffer, -EOPNOTSUPP for
 * an action type this executor does not know. */
int ft_execute_actions(struct ft_packet *pkt,
                       const struct ft_dp_actions *actions,
                       const struct ft_execute_hooks *hooks,
                       struct ft_execute_stats *stats);

/* Runs the one action 'act' on 'pkt' as ft_execute_actions() would run it
 * in a list, and counts it in 'stats' (which must not be NULL) as an
 * applied or skipped action (not as a packet).  For callers that run a
 * list action by action over a batch of packets.  Returns 0 or the
 * action's error, as ft_execute_actions(). */
int ft_execute_action(struct ft_packet *pkt, const struct ft_dp_action *act,
                      const struct ft_execute_hooks *hooks,
                      struct ft_execute_stats *stats);

/* Runs the one action 'act' on each of the 'n' packets 'pkts', as 'n'
 * calls of ft_execute_action() would, in the same order and with the same
 * counts in 'stats' (which must not be NULL), but choosing what to do once
 * for all of them: the datapath's way of running a megaflow's actions on
 * the packets of a burst that share it. */
void ft_execute_action_n(struct ft_packet *const pkts[], size_t n,
                         const struct ft_dp_action *act,
                         const struct ft_execute_hooks *hooks,
                         struct ft_execute_stats *stats);

/* Runs 'actions' on every packet of 'batch', one packet after another (all
 * actions of packet 0, then of packet 1, ...).  Returns 0 or the first
 * error, as ft_execute_actions(). */
int ft_execute_batch(struct ft_packet_batch *batch,
                     const struct ft_dp_actions *actions,
                     const struct ft_execute_hooks *hooks,
                     struct ft_execute_stats *stats);

/* CRC32c (Castagnoli), as SCTP uses it, of the 'len' bytes at 'data',
 * continuing from 'crc' (start with 0).  Returned in host order; SCTP
 * stores it little-endian. */
uint32_t ft_execute_crc32c(uint32_t crc, const void *data, size_t len);

#endif /* swpath/execute.h */

/*
 * ofconn.h - one OpenFlow connection to a bridge: version negotiation and
 * the switch's side of every request, over bytes in and bytes out.
 *
 * What?
 * =====
 *
 * A 'struct ft_ofconn' is the protocol state of one connection (a client
 * of the bridge's BRIDGE.mgmt socket, ovs-ofctl or a controller).  It owns
 * no socket: the daemon (mgmt/daemon/server-openflow.c) reads bytes from
 * the socket into ft_ofconn_input() and writes out what
 * ft_ofconn_output() holds.  So the whole protocol runs in unit tests with
 * no socket at all.
 *
 * Messages are handled in order, completely, as they arrive: a BARRIER is
 * answered when every earlier message is done, because every earlier
 * message is done by then.
 *
 * Reads (FLOW, AGGREGATE, PORT stats...) go to the bridge directly; flow
 * table changes go through the 'flow_mods' callback, which is the same
 * path the CLI's flow changes take (checked on the bridge, committed to
 * the database, then made), so a rule added over OpenFlow is persisted,
 * counted, traced and revalidated like any other.
 *
 * Not thread-safe; runs in the daemon's event loop.
 */
#ifndef FLOWTIER_MGMT_OFCONN_H
#define FLOWTIER_MGMT_OFCONN_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/error.h"
#include "mgmt/bridge/bridge.h"
#include "mgmt/openflow/ofp-msg.h"

struct ft_ofconn;

/* The controllers' roles on one bridge, shared by its connections: the
 * largest generation id a master or slave request carried (OpenFlow 1.3
 * "master election"). */
struct ft_ofconn_roles {
    bool generation_set;
    uint64_t generation;
};

/* What a connection needs from its bridge and daemon. */
struct ft_ofconn_switch {
    struct ft_bridge *br;
    uint64_t dpid;

    /* Applies 'ops[0..n-1]' all or nothing, the way the CLI's flow
     * changes are applied.  Returns 0 or a negative errno with 'err'. */
    int (*flow_mods)(void *aux, const struct ft_bridge_flow_op *ops,
                     size_t n, struct ft_error *err);

    /* Fills '*ports' (malloc'ed, freed by the caller) with the bridge's
     * open ports in ascending number; returns how many. */
    size_t (*ports)(void *aux, struct ft_ofp_port **ports);

    /* Sends a packet-out's frame through the bridge (see
     * ft_bridge_packet_out()).  Returns 0 or a negative errno with 'err'. */
    int (*packet_out)(void *aux, ft_port_no in_port,
                      const struct ft_ofpacts *acts, const void *frame,
                      size_t len, struct ft_error *err);

    /* The bridge's roles (never NULL), and a callback that makes every
     * other master connection of the bridge a slave (ft_ofconn_demote())
     * when 'c' becomes master. */
    struct ft_ofconn_roles *roles;
    void (*new_master)(void *aux, const struct ft_ofconn *c);

    /* Reports a refusal sent to the peer (for the log). May be NULL. */
    void (*refused)(void *aux, const char *msg_name,
                    const struct ft_ofp_error *oe);
    void *aux;
};

/* Creates a connection serving 'sw' (copied) that has already queued its
 * HELLO in its output.  A 'service' connection (ovs-ofctl on BRIDGE.mgmt,
 * a ptcp: listener's client) gets asynchronous messages (packet-in) only
 * after it sent a SET_CONFIG or a SET_ASYNC, as in Open vSwitch; a
 * controller's always.
 *
 * Which asynchronous messages: OpenFlow 1.3's SET_ASYNC sets, for the
 * master and equal roles and for the slave role, the packet-in, port
 * status and flow removed reasons the connection gets (GET_ASYNC reads
 * them back).  The defaults are Open vSwitch's: master and equal get
 * packet-ins for no_match and action, every port status and flow
 * removed; a slave only port status. */
struct ft_ofconn *ft_ofconn_create(const struct ft_ofconn_switch *sw,
                                   bool service);
void ft_ofconn_destroy(struct ft_ofconn *);

/* Feeds 'n' bytes received from the peer; handles every complete message
 * among what was received so far.  Returns 0, or -EPROTO when the
 * connection must be closed once its output is written (failed version
 * negotiation, a message whose length cannot be trusted). */
int ft_ofconn_input(struct ft_ofconn *, const uint8_t *data, size_t n);

/* True if FLOW_MODs wait to be applied as a batch; the caller must then
 * call ft_ofconn_flush() soon (a few ms) unless more input comes. */
bool ft_ofconn_has_pending(const struct ft_ofconn *);
/* Applies the FLOW_MODs waiting in the batch (ERRORs for those refused go
 * to the output). */
void ft_ofconn_flush(struct ft_ofconn *);

/* The bytes waiting to go to the peer.  The caller removes what it wrote
 * with ft_ofpbuf_pull(). */
struct ft_ofpbuf *ft_ofconn_output(struct ft_ofconn *);

/* Queues a PACKET_IN for 'pin' if the connection wants it (its reason in
 * the connection's role, see ft_ofconn_create()).  Returns true
 * if it queued one. */
bool ft_ofconn_packet_in(struct ft_ofconn *,
                         const struct ft_bridge_packet_in *pin);

/* Queues a FLOW_REMOVED for 'fr' if the connection wants asynchronous
 * messages and this reason in its role (see ft_ofconn_create()).
 * Returns true if it queued one. */
bool ft_ofconn_flow_removed(struct ft_ofconn *,
                            const struct ft_bridge_flow_removed *fr);

/* Queues an ECHO_REQUEST (an inactivity probe: any message from the peer
 * answers it) once the version is negotiated.  Returns true if it queued
 * one. */
bool ft_ofconn_echo_request(struct ft_ofconn *);

/* Queues a PORT_STATUS of 'reason' (FT_OFPPR_*) for 'port' if the
 * connection wants asynchronous messages and this reason in its role.  Returns true if it queued
 * one. */
bool ft_ofconn_port_status(struct ft_ofconn *, uint8_t reason,
                           const struct ft_ofp_port *port);

/* Makes the connection a slave if it is the master (another connection
 * became master). */
void ft_ofconn_demote(struct ft_ofconn *);

/* The negotiated version, 0 before negotiation. */
uint8_t ft_ofconn_version(const struct ft_ofconn *);

#endif /* mgmt/openflow/ofconn.h */

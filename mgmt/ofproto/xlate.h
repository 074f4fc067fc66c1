/*
 * xlate.h - translation of the OpenFlow pipeline into a megaflow.
 *
 * Given a bridge (its tables, its ports and their VLAN configuration, its
 * MAC learning table) and a flow key, ft_xlate() walks the tables from
 * table 0 as a packet with that key would: it follows resubmit and
 * goto_table (nesting depth limit 64; a resubmit that would re-enter a
 * (table, in_port, flow) already on the stack is a loop), executes
 * NORMAL, and records every bit of the key it consulted.  The result:
 *
 *   - a megaflow: the key under the mask of consulted bits, so that every
 *     packet inside it would get the same datapath actions;
 *   - the datapath actions, flat, in OVS's commit order: header changes
 *     are applied lazily, just before each output, as set/push/pop
 *     actions;
 *   - the OpenFlow rules passed through, referenced, for counters;
 *   - optionally a human-readable trace in the form of 'ovs-appctl
 *     ofproto/trace'.
 *
 * A translation error (loop, depth exceeded) is not fatal: the actions
 * become "drop", the megaflow stays valid, and the error is returned with
 * a reason (and printed in the trace).
 *
 * Not thread-safe; runs in the daemon's main loop (or in a CLI process
 * for the offline trace).
 */
#ifndef FLOWTIER_MGMT_XLATE_H
#define FLOWTIER_MGMT_XLATE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/dp-actions.h"
#include "flowtier/ds.h"
#include "flowtier/error.h"
#include "flowtier/flow.h"
#include "flowtier/port.h"
#include "mgmt/ofproto/mac-learning.h"
#include "mgmt/ofproto/oftable.h"
#include "swpath/tnl-config.h"

#define FT_XLATE_MAX_DEPTH 64

/* A port's VLAN mode, as in the database's Port vlan_mode column. */
enum ft_vlan_mode {
    FT_VLAN_TRUNK,              /* Tagged frames of the trunks; untagged
                                 * frames are VLAN 0. (Default without tag.) */
    FT_VLAN_ACCESS,             /* Untagged frames only, in VLAN 'tag'.
                                 * (Default with a tag.) */
    FT_VLAN_NATIVE_TAGGED,      /* Trunk; untagged input is in 'tag'; output
                                 * in 'tag' is tagged. */
    FT_VLAN_NATIVE_UNTAGGED,    /* Trunk; untagged input is in 'tag'; output
                                 * in 'tag' is untagged. */
};

/* A bridge port as translation sees it. */
struct ft_xport {
    ft_port_no port;
    const char *name;
    enum ft_vlan_mode vlan_mode;
    int tag;                    /* 0..4095, or -1 for none. */
    const uint64_t *trunks;     /* 4096-bit bitmap of allowed VLANs, or
                                 * NULL for all. */
    bool no_flood;              /* Excluded from FLOOD (and NORMAL's). */
    const struct ft_tnl_config *tnl;    /* A VXLAN port's options, or NULL:
                                         * an output to it is preceded by
                                         * set(tunnel(...)), and a packet
                                         * from it matches its outer
                                         * header. */
};

/* A bridge as translation sees it.  The caller owns everything. */
struct ft_xbridge {
    const char *name;
    struct ft_oftables *tables;
    struct ft_mac_learning *ml;         /* NULL: NORMAL only floods. */
    const struct ft_xport *ports;       /* Sorted by port number. */
    size_t n_ports;
    bool fail_open;             /* Standalone with its controllers gone:
                                 * NORMAL for every packet, above every
                                 * OpenFlow rule (as Open vSwitch's
                                 * fail-open flow). */
    bool miss_to_controller;    /* A table 0 or goto_table lookup that finds
                                 * nothing sends the packet up with
                                 * FT_USERSPACE_NO_MATCH instead of dropping
                                 * it (OpenFlow 1.0's table-miss, as Open
                                 * vSwitch while an OpenFlow 1.0 connection
                                 * is up). */
};

struct ft_xlate_in {
    const struct ft_xbridge *br;
    struct ft_flow flow;        /* The packet's key; flow.in_port set. */
    long long int now;          /* ms, for MAC learning and rule 'used'. */
    bool may_learn;             /* Update MAC table (false for trace). */
    struct ds *trace;           /* Append an ofproto/trace style report
                                 * here, or NULL. */
    const struct ft_ofpacts *actions;   /* Packet-out: run these instead of
                                         * table 0 (output to TABLE then
                                         * runs the tables); else NULL. */
};

struct ft_xlate_out {
    struct ft_match megaflow;
    struct ft_dp_actions actions;
    struct ft_ofrule **rules;   /* Referenced; in the order passed. */
    size_t n_rules, allocated_rules;
    bool uses_normal;           /* NORMAL consulted the MAC table, so the
                                 * megaflow depends on it. */
};

void ft_xlate_out_init(struct ft_xlate_out *);
/* Unrefs the rules and frees everything. */
void ft_xlate_out_uninit(struct ft_xlate_out *);

/* Translates 'in' into 'out' (initialized by the caller; its previous
 * contents are released).  Returns 0, or a negative errno with 'err'
 * filled when translation stopped early (-ELOOP for a resubmit loop or
 * depth limit); 'out' is valid either way. */
int ft_xlate(const struct ft_xlate_in *in, struct ft_xlate_out *out,
             struct ft_error *err);

#endif /* mgmt/ofproto/xlate.h */

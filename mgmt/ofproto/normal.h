/*
 * normal.h - the NORMAL action: an 802.1Q learning switch.
 *
 * ft_normal_xlate() decides, for one flow arriving on one port of a bridge,
 * where NORMAL sends it and with which VLAN tag on each output port:
 *
 *   1. Input VLAN: from the input port's mode (access ports take untagged
 *      frames into their 'tag' VLAN and drop tagged ones; trunks take
 *      tagged frames of their 'trunks' and treat untagged ones as VLAN 0,
 *      or as 'tag' for the native modes).  A frame not admissible is
 *      dropped with a reason.
 *   2. Learning: the source MAC is learned on (VLAN, input port) when
 *      'may_learn' is set (multicast sources never are).
 *   3. Forwarding: a known unicast destination in the same VLAN goes to its
 *      port (never back out of the input port: then it is dropped);
 *      broadcast, multicast and unknown destinations are flooded to every
 *      other port carrying that VLAN (except no_flood ports).
 *   4. Output VLAN per port: untagged on access ports and on the native
 *      VLAN of native-untagged ports, tagged with the VLAN (and the input
 *      frame's PCP) elsewhere.
 *
 * Every key bit consulted is OR-ed into 'wc': in_port, dl_src and dl_dst,
 * the outer VLAN TCI; the megaflow then depends on the MAC table state,
 * which the revalidator handles.  Outputs are in ascending port order.
 */
#ifndef FLOWTIER_MGMT_NORMAL_H
#define FLOWTIER_MGMT_NORMAL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/ds.h"
#include "flowtier/flow.h"
#include "flowtier/port.h"
#include "mgmt/ofproto/xlate.h"

struct ft_normal_output {
    ft_port_no port;
    uint16_t tci;       /* Outer tag to send with: 0 = untagged, else a
                         * full TCI with FT_VLAN_CFI set. */
};

struct ft_normal_result {
    struct ft_normal_output *outs;      /* Owned; ascending port order. */
    size_t n, allocated;
    const char *drop_reason;    /* Static string when nothing is output
                                 * for a reason worth showing, else NULL. */
};

void ft_normal_result_init(struct ft_normal_result *);
void ft_normal_result_uninit(struct ft_normal_result *);

/* Runs NORMAL for 'flow' (as modified by the pipeline so far) on bridge
 * 'br' at time 'now' (ms).  Fills 'res' (initialized by the caller; its
 * old outputs are discarded), ORs consulted bits into 'wc' (nonnull), and
 * if 'trace' is nonnull appends indented lines in the style of
 * ofproto/trace ("     -> learned that 02:00:00:00:00:01 is on port 1 in
 * VLAN 0", "     -> forwarding to learned port", "     -> no learned MAC
 * for destination, flooding"). */
void ft_normal_xlate(const struct ft_xbridge *br, const struct ft_flow *flow,
                     struct ft_flow *wc, long long int now, bool may_learn,
                     struct ft_normal_result *res, struct ds *trace);

#endif /* mgmt/ofproto/normal.h */

/*
 * normal.c - the NORMAL action: an 802.1Q learning switch.
 *
 * Part of the management plane's translation: ft_xlate() (mgmt/ofproto/xlate.c)
 * calls ft_normal_xlate() when the pipeline executes NORMAL, then emits
 * one output per ft_normal_output with the flow's outer VLAN tag set to
 * the output's 'tci'.  This file reads the bridge's port view, reads and
 * (when allowed) updates the bridge's MAC learning table, and touches
 * nothing else.
 *
 * Behaviour follows Open vSwitch 3.1's xlate_normal() and its helpers in
 * ofproto/ofproto-dpif-xlate.c, with each FlowTier port being its own
 * bundle.  In order:
 *
 *   1. The input port must be a bridge port (or CONTROLLER / NONE, which
 *      act as a trunk of every VLAN that is never learned on).
 *   2. A frame whose ethertype says VLAN but whose tag is not present
 *      (truncated tag) is dropped.
 *   3. The input VID (0 when untagged or priority-tagged) must be
 *      admissible: access ports take only VID 0; trunks take the VIDs in
 *      'trunks' (all if NULL), and VID 0 (untagged) only if it is in
 *      'trunks'; native ports always take VID 0 and their native VLAN and
 *      never trunk VLAN 0 explicitly, as OVS's bundle_set() arranges.
 *   4. The frame's VLAN: the port's 'tag' on access ports and for VID 0 on
 *      native ports, else the frame's VID.  A missing 'tag' on an access
 *      or native port means VLAN 0, as in OVS.
 *   5. Frames to reserved multicast MACs (IEEE 802.1D 01:80:c2:00:00:0x,
 *      Cisco and Extreme protocol addresses; OVS's eth_addr_is_reserved())
 *      are dropped: FlowTier has no forward_bpdu option.
 *   6. The source MAC is learned on (VLAN, input port) if 'may_learn'.
 *      Multicast and broadcast sources are forwarded but never learned.
 *   7. A destination learned in that VLAN goes to its port; if that port
 *      is the input port the frame is dropped.  Multicast, broadcast and
 *      unknown destinations are flooded to every port other than the input
 *      port that is not no_flood and carries the VLAN.
 *   8. Output tag per port (OVS's xvlan_output_translate()): none on access
 *      ports and on a native-untagged port's native VLAN, else VID | PCP
 *      with the input frame's PCP; a would-be tag of VID 0 and PCP 0 is no
 *      tag at all.
 *
 * Un-wildcarding (what the megaflow must match): in_port, dl_src, dl_dst
 * and the outer tag's VID and CFI always, as OVS does; dl_type when the
 * frame has no outer tag (step 2 reads it); the outer PCP when an output
 * carries a tag that differs from the input tag, since the input PCP is
 * copied into it; the inner tag's VID and CFI when an access port's
 * eligibility depends on whether the frame is double tagged.
 *
 * Differences from OVS, on purpose:
 *
 *   - No multicast snooping, mirrors, bonds or dot1q-tunnel ports (FlowTier
 *     has none), so no gratuitous ARP check either: OVS un-wildcards the
 *     ARP opcode and addresses of broadcast ARPs for its bond lock; here
 *     they do not affect the result and stay wildcarded.
 *   - Access ports never emit priority tags (OVS's use_priority_tags is
 *     off by default).
 *   - A learned port that does not carry the frame's VLAN (possible only
 *     with a stale table after reconfiguration) is not output to:
 *     "learned port does not carry VLAN N, dropping".  OVS outputs.
 *
 * Not thread-safe (the MAC table is updated); runs in the daemon's main
 * loop.
 */
#include "mgmt/ofproto/normal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VLAN_BITMAP_WORDS (4096 / 64)

/* The input side of one NORMAL decision. */
struct normal_ctx {
    const struct ft_xbridge *br;
    const struct ft_flow *flow;
    struct ft_flow *wc;
    struct ds *trace;
    struct ft_normal_result *res;

    const struct ft_xport *in;  /* NULL for CONTROLLER / NONE input. */
    uint16_t vlan;              /* VLAN inside the bridge, 0..4095. */
    uint16_t pcp;               /* Input PCP, in TCI position. */
    bool in_tagged;             /* Input has an outer tag. */
};

/* Trace lines, indented as ofproto/trace prints a NORMAL action's details
 * inside a table ("    NORMAL" then "     -> ..."). */
enum trace_kind {
    TRACE_DETAIL,               /* "     -> text" */
    TRACE_WARN,                 /* "     >> text" */
    TRACE_ERROR,                /* "     >>>> text <<<<" */
};

static void __attribute__((format(printf, 3, 4)))
trace_line(const struct normal_ctx *ctx, enum trace_kind kind,
           const char *fmt, ...)
{
    va_list args;

    if (!ctx->trace) {
        return;
    }
    ds_put_cstr(ctx->trace, (kind == TRACE_DETAIL ? "     -> "
                             : kind == TRACE_WARN ? "     >> "
                             : "     >>>> "));
    va_start(args, fmt);
    ds_put_format_valist(ctx->trace, fmt, args);
    va_end(args);
    if (kind == TRACE_ERROR) {
        ds_put_cstr(ctx->trace, " <<<<");
    }
    ds_put_char(ctx->trace, '\n');
}

/* Ports are named in traces by name, or by number if they have none. */
struct port_label {
    char s[32];
};

static const char *
port_label(const struct ft_xport *port, struct port_label *buf)
{
    if (!port) {
        return "OFPP_NONE";
    }
    if (port->name && port->name[0]) {
        return port->name;
    }
    snprintf(buf->s, sizeof buf->s, "%"PRIu32, port->port);
    return buf->s;
}

void
ft_normal_result_init(struct ft_normal_result *res)
{
    res->outs = NULL;
    res->n = res->allocated = 0;
    res->drop_reason = NULL;
}

void
ft_normal_result_uninit(struct ft_normal_result *res)
{
    if (res) {
        free(res->outs);
        ft_normal_result_init(res);
    }
}

/* Allocation failure aborts, as for every growable buffer in FlowTier. */
static void
result_add(struct ft_normal_result *res, ft_port_no port, uint16_t tci)
{
    if (res->n >= res->allocated) {
        size_t n = res->allocated ? res->allocated * 2 : 8;
        struct ft_normal_output *outs = realloc(res->outs, n * sizeof *outs);

        if (!outs) {
            abort();
        }
        res->outs = outs;
        res->allocated = n;
    }
    res->outs[res->n].port = port;
    res->outs[res->n].tci = tci;
    res->n++;
}

static void
drop(struct normal_ctx *ctx, const char *reason)
{
    ctx->res->drop_reason = reason;
}

/* Ports and their VLANs. */

static const struct ft_xport *
find_port(const struct ft_xbridge *br, ft_port_no port_no)
{
    size_t lo = 0, hi = br->n_ports;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        ft_port_no p = br->ports[mid].port;

        if (p == port_no) {
            return &br->ports[mid];
        } else if (p < port_no) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

/* The VLAN of an access port, or the native VLAN of a native port. */
static uint16_t
port_vlan(const struct ft_xport *port)
{
    return port->tag >= 0 && port->tag <= FT_VLAN_VID_MASK ? port->tag : 0;
}

static bool
bitmap_has(const uint64_t *bitmap, uint16_t vid)
{
    return (bitmap[vid / 64] >> (vid % 64)) & 1;
}

/* True if 'port' carries 'vid' as a trunk.  A native port always carries
 * its native VLAN and, when that is not VLAN 0, never VLAN 0 (OVS's
 * bundle_set() forces both into its trunk bitmap). */
static bool
port_trunks_vlan(const struct ft_xport *port, uint16_t vid)
{
    switch (port->vlan_mode) {
    case FT_VLAN_ACCESS:
        return false;

    case FT_VLAN_NATIVE_TAGGED:
    case FT_VLAN_NATIVE_UNTAGGED: {
        uint16_t native = port_vlan(port);

        if (native) {
            if (vid == native) {
                return true;
            } else if (!vid) {
                return false;
            }
        }
        break;
    }

    case FT_VLAN_TRUNK:
        break;
    }
    return !port->trunks || bitmap_has(port->trunks, vid);
}

/* True if the frame (double tagged or not) may leave 'port' in 'vlan'.  An
 * access port takes only frames without an inner tag of nonzero VID. */
static bool
port_includes_vlan(struct normal_ctx *ctx, const struct ft_xport *port)
{
    if (port->vlan_mode != FT_VLAN_ACCESS) {
        return port_trunks_vlan(port, ctx->vlan);
    }
    if (ctx->vlan != port_vlan(port)) {
        return false;
    }
    if (ctx->in_tagged && (!ctx->in || ctx->in->vlan_mode != FT_VLAN_ACCESS)) {
        uint16_t inner = ctx->flow->vlans[1].tci;

        ctx->wc->vlans[1].tci |= FT_VLAN_VID_MASK | FT_VLAN_CFI;
        return !(inner & FT_VLAN_CFI) || !(inner & FT_VLAN_VID_MASK);
    }
    return true;
}

/* Checks the input VID (0 if untagged) against the input port's mode, as
 * OVS's input_vid_is_valid(). */
static bool
input_vid_is_valid(const struct normal_ctx *ctx, uint16_t vid)
{
    const struct ft_xport *in = ctx->in;
    struct port_label buf;

    if (!in) {
        return true;
    }
    switch (in->vlan_mode) {
    case FT_VLAN_ACCESS:
        if (vid) {
            trace_line(ctx, TRACE_ERROR, "dropping VLAN %"PRIu16" tagged "
                       "packet received on port %s configured as VLAN %d "
                       "access port", vid, port_label(in, &buf),
                       port_vlan(in));
            return false;
        }
        return true;

    case FT_VLAN_NATIVE_TAGGED:
    case FT_VLAN_NATIVE_UNTAGGED:
        if (!vid) {
            return true;
        }
        /* Fall through. */
    case FT_VLAN_TRUNK:
        if (!port_trunks_vlan(in, vid)) {
            trace_line(ctx, TRACE_ERROR, "dropping VLAN %"PRIu16" packet "
                       "received on port %s not configured for trunking "
                       "VLAN %"PRIu16, vid, port_label(in, &buf), vid);
            return false;
        }
        return true;
    }
    return false;
}

/* The frame's VLAN inside the bridge, given a valid input VID. */
static uint16_t
input_vlan(const struct ft_xport *in, uint16_t vid)
{
    if (!in) {
        return vid;
    }
    switch (in->vlan_mode) {
    case FT_VLAN_ACCESS:
        return port_vlan(in);
    case FT_VLAN_NATIVE_TAGGED:
    case FT_VLAN_NATIVE_UNTAGGED:
        return vid ? vid : port_vlan(in);
    case FT_VLAN_TRUNK:
        break;
    }
    return vid;
}

/* True for the addresses OVS's eth_addr_is_reserved() lists: a bridge must
 * never forward frames sent to them. */
static bool
eth_addr_is_reserved(struct ft_eth_addr ea)
{
    static const uint64_t singles[] = {
        0x00e02b000000ULL,      /* Extreme EDP. */
        0x00e02b000004ULL,      /* Extreme EAPS. */
        0x00e02b000006ULL,      /* Extreme EAPS. */
        0x01000c000000ULL,      /* Cisco ISL. */
        0x01000cccccccULL,      /* Cisco PAgP, UDLD, CDP, DTP, VTP. */
        0x01000ccccccdULL,      /* Cisco PVST+. */
        0x01000ccdcdcdULL,      /* Cisco STP Uplink Fast, FlexLink. */
    };
    uint64_t x = 0;

    for (int i = 0; i < FT_ETH_ALEN; i++) {
        x = (x << 8) | ea.ea[i];
    }
    if ((x & ~0xfULL) == 0x0180c2000000ULL      /* STP, pause, LLDP... */
        || (x & ~0x7ULL) == 0x01000cccccc0ULL) { /* Cisco CFM. */
        return true;
    }
    for (size_t i = 0; i < sizeof singles / sizeof singles[0]; i++) {
        if (x == singles[i]) {
            return true;
        }
    }
    return false;
}

/* Output. */

/* The outer TCI with which the frame leaves 'port' (OVS's
 * xvlan_output_translate() followed by xvlan_put()). */
static uint16_t
output_tci(const struct normal_ctx *ctx, const struct ft_xport *port)
{
    uint16_t tci;

    switch (port->vlan_mode) {
    case FT_VLAN_ACCESS:
        return 0;
    case FT_VLAN_NATIVE_UNTAGGED:
        if (ctx->vlan == port_vlan(port)) {
            return 0;
        }
        break;
    case FT_VLAN_TRUNK:
    case FT_VLAN_NATIVE_TAGGED:
        break;
    }
    tci = ctx->vlan | ctx->pcp;
    return tci ? tci | FT_VLAN_CFI : 0;
}

static void
output_normal(struct normal_ctx *ctx, const struct ft_xport *port)
{
    uint16_t tci = output_tci(ctx, port);

    /* The input PCP is copied into a rewritten tag: the megaflow must then
     * match it.  An unchanged tag or a popped one does not depend on it. */
    if (tci && ctx->in_tagged && tci != ctx->flow->vlans[0].tci) {
        ctx->wc->vlans[0].tci |= FT_VLAN_PCP_MASK;
    }
    result_add(ctx->res, port->port, tci);
}

static void
flood(struct normal_ctx *ctx)
{
    const struct ft_xbridge *br = ctx->br;

    for (size_t i = 0; i < br->n_ports; i++) {
        const struct ft_xport *port = &br->ports[i];

        if (port != ctx->in && !port->no_flood
            && port_includes_vlan(ctx, port)) {
            output_normal(ctx, port);
        }
    }
}

static void
format_mac(struct ft_eth_addr mac, char s[18])
{
    snprintf(s, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac.ea[0], mac.ea[1],
             mac.ea[2], mac.ea[3], mac.ea[4], mac.ea[5]);
}

/* Forwards to the learned port of the destination, or floods. */
static void
forward(struct normal_ctx *ctx, long long int now)
{
    const struct ft_flow *flow = ctx->flow;
    const struct ft_xport *port;
    ft_port_no learned = FT_PORT_NONE;

    if (ctx->br->ml) {
        learned = ft_mac_learning_lookup(ctx->br->ml, flow->dl_dst,
                                         ctx->vlan, now);
    }
    if (learned == FT_PORT_NONE) {
        trace_line(ctx, TRACE_DETAIL,
                   "no learned MAC for destination, flooding");
        flood(ctx);
        return;
    }

    port = find_port(ctx->br, learned);
    if (!port) {
        trace_line(ctx, TRACE_WARN, "learned port is unknown, dropping");
        drop(ctx, "learned port is unknown");
    } else if (port == ctx->in) {
        trace_line(ctx, TRACE_DETAIL, "learned port is input port, dropping");
        drop(ctx, "learned port is input port");
    } else if (!port_includes_vlan(ctx, port)) {
        trace_line(ctx, TRACE_WARN, "learned port does not carry VLAN %d, "
                   "dropping", ctx->vlan);
        drop(ctx, "learned port does not carry the VLAN");
    } else {
        trace_line(ctx, TRACE_DETAIL, "forwarding to learned port");
        output_normal(ctx, port);
    }
}

void
ft_normal_xlate(const struct ft_xbridge *br, const struct ft_flow *flow,
                struct ft_flow *wc, long long int now, bool may_learn,
                struct ft_normal_result *res, struct ds *trace)
{
    struct normal_ctx ctx = {
        .br = br, .flow = flow, .wc = wc, .trace = trace, .res = res,
    };
    uint16_t tci = flow->vlans[0].tci;
    uint16_t vid;

    res->n = 0;
    res->drop_reason = NULL;

    wc->in_port = UINT32_MAX;
    memset(&wc->dl_src, 0xff, sizeof wc->dl_src);
    memset(&wc->dl_dst, 0xff, sizeof wc->dl_dst);
    wc->vlans[0].tci |= FT_VLAN_VID_MASK | FT_VLAN_CFI;

    ctx.in = find_port(br, flow->in_port);
    if (!ctx.in && flow->in_port != FT_PORT_CONTROLLER
        && flow->in_port != FT_PORT_NONE) {
        trace_line(&ctx, TRACE_WARN, "no input bundle, dropping");
        drop(&ctx, "no input bundle");
        return;
    }

    ctx.in_tagged = (tci & FT_VLAN_CFI) != 0;
    if (!ctx.in_tagged) {
        wc->dl_type = UINT16_MAX;
        if (flow->dl_type == FT_ETH_TYPE_VLAN
            || flow->dl_type == FT_ETH_TYPE_VLAN_AD) {
            trace_line(&ctx, TRACE_WARN, "partial VLAN tag, dropping");
            drop(&ctx, "partial VLAN tag");
            return;
        }
    }

    vid = ctx.in_tagged ? tci & FT_VLAN_VID_MASK : 0;
    if (!input_vid_is_valid(&ctx, vid)) {
        trace_line(&ctx, TRACE_WARN,
                   "disallowed VLAN VID for this input port, dropping");
        drop(&ctx, "disallowed VLAN VID for this input port");
        return;
    }
    ctx.vlan = input_vlan(ctx.in, vid);
    ctx.pcp = ctx.in_tagged ? tci & FT_VLAN_PCP_MASK : 0;

    if (eth_addr_is_reserved(flow->dl_dst)) {
        trace_line(&ctx, TRACE_DETAIL,
                   "packet has reserved destination MAC, dropping");
        drop(&ctx, "packet has reserved destination MAC");
        return;
    }

    if (may_learn && br->ml && ctx.in
        && ft_mac_learning_learn(br->ml, flow->dl_src, ctx.vlan,
                                 ctx.in->port, now)) {
        struct port_label buf;
        char mac[18];

        format_mac(flow->dl_src, mac);
        trace_line(&ctx, TRACE_DETAIL, "learned that %s is on port %s in "
                   "VLAN %d", mac, port_label(ctx.in, &buf), ctx.vlan);
    }

    forward(&ctx, now);
}

/*
 * bridge-packet.c - packets between a running bridge and its controllers:
 * what CONTROLLER actions send up (packet-in) and frames a controller
 * sends through the bridge (packet-out).
 *
 * Part of mgmt/bridge/ (see bridge.h).  Translates with mgmt/ofproto/xlate
 * and executes on the bridge's datapath (swpath/dpif.h); knows nothing of
 * OpenFlow's wire format.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/bridge/bridge-private.h"
#include "swpath/flow-extract.h"
#include "swpath/packet.h"

/* Room in front of a packet-out frame for the tags its actions push. */
#define PACKET_OUT_HEADROOM 64

static void
bridge_userspace(void *br_, const struct ft_dpa_userspace *act,
                 const struct ft_packet *pkt)
{
    struct ft_bridge *br = br_;
    struct ft_bridge_packet_in pin;

    if (!br->packet_in_cb) {
        return;
    }
    pin.reason = act->reason;
    pin.cookie = act->cookie;
    pin.table_id = act->table_id;
    pin.in_port = pkt->in_port;
    pin.data = ft_packet_data(pkt);
    pin.len = pkt->size;
    pin.max_len = act->max_len;
    br->packet_in_cb(br->packet_in_aux, &pin);
}

void
ft_bridge_set_packet_in_cb(struct ft_bridge *br, ft_bridge_packet_in_cb *cb,
                           void *aux)
{
    br->packet_in_cb = cb;
    br->packet_in_aux = aux;
    ft_dpif_set_userspace_cb(br->dpif, cb ? bridge_userspace : NULL, br);
}

void
ft_bridge_set_miss_to_controller(struct ft_bridge *br, bool on)
{
    if (br->miss_to_controller != on) {
        br->miss_to_controller = on;
        br->tables.version++;       /* Every megaflow is stale. */
    }
}

void
ft_bridge_set_fail_open(struct ft_bridge *br, bool fail_open)
{
    if (br->fail_open != fail_open) {
        br->fail_open = fail_open;
        br->tables.version++;       /* Every megaflow is stale. */
    }
}

bool
ft_bridge_is_fail_open(const struct ft_bridge *br)
{
    return br->fail_open;
}

int
ft_bridge_packet_out(struct ft_bridge *br, ft_port_no in_port,
                     const struct ft_ofpacts *acts, const void *frame,
                     size_t len, long long int now, struct ft_error *err)
{
    struct ft_xlate_out xout;
    struct ft_xbridge xbr;
    struct ft_xlate_in in;
    struct ft_packet pkt;
    uint8_t *buf;
    int error;

    if (len < FT_ETH_HEADER_LEN) {
        return ft_error_set(err, -EINVAL, "packet-out: a %zu-byte frame is "
                            "shorter than an Ethernet header", len);
    }
    ft_bridge_xbridge(br, &xbr);
    memset(&in, 0, sizeof in);
    in.br = &xbr;
    ft_flow_extract(frame, len, in_port, &in.flow);
    in.now = now;
    in.actions = acts;
    ft_xlate_out_init(&xout);
    error = ft_xlate(&in, &xout, err);
    if (!error) {
        buf = malloc(len + PACKET_OUT_HEADROOM);
        if (!buf) {
            abort();
        }
        ft_packet_init(&pkt, buf, len + PACKET_OUT_HEADROOM,
                       PACKET_OUT_HEADROOM);
        memcpy(ft_packet_data(&pkt), frame, len);
        pkt.size = (uint32_t) len;
        ft_packet_parse(&pkt);
        /* From the controller or nowhere: no input port to exclude. */
        pkt.in_port = in_port < FT_PORT_MAX || in_port == FT_PORT_LOCAL
                      ? in_port : FT_PORT_NONE;
        error = ft_dpif_execute(br->dpif, &pkt, &xout.actions);
        if (error) {
            ft_error_set(err, error, "packet-out: the datapath could not "
                         "run every action: %s", strerror(-error));
        }
        free(buf);
    }
    ft_xlate_out_uninit(&xout);
    return error;
}

/*
 * fuzz-ofp-msg.c - libFuzzer target for the OpenFlow codec
 * (mgmt/openflow/ofp-*.c): any bytes, read as a message of OpenFlow 1.0
 * or 1.3 (the first byte picks), go through the header check and every
 * decoder a switch runs on what a peer sends (HELLO, FLOW_MOD, PACKET_OUT,
 * STATS/MULTIPART, OXM matches, actions, instructions).  Built and run by
 * tests/fuzz/run-fuzz.sh with clang's -fsanitize=fuzzer,address,undefined:
 * any overread, leak or crash fails it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/openflow/ofp-msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
decode_as_message(const uint8_t *msg, size_t len, uint8_t version)
{
    struct ft_ofp_stats_request req;
    struct ft_ofp_packet_out po;
    struct ft_ofp_flow_mod fm;
    struct ft_ofp_error oe;
    struct ft_ofp_header h;

    ft_ofp_header_read(msg, &h);
    h.length = (uint16_t) len;
    if (ft_ofp_msg_check(&h, version, &oe)) {
        return;
    }
    switch (h.type) {
    case FT_OFPT_HELLO:
        ft_ofp_hello_versions(msg, len, &oe);
        break;
    case FT_OFPT_FLOW_MOD:
        ft_ofp_flow_mod_decode(msg, len, version, msg[1] & 1, &fm, &oe);
        ft_ofp_flow_mod_uninit(&fm);
        break;
    case FT_OFPT_PACKET_OUT:
        ft_ofp_packet_out_decode(msg, len, version, &po, &oe);
        ft_ofpacts_uninit(&po.actions);
        break;
    case FT_OFPT_STATS_REQUEST:
        ft_ofp_stats_request_decode(msg, len, version, &req, &oe);
        break;
    default:
        break;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t version, *msg;
    struct ft_ofpacts acts;
    struct ft_ofp_error oe;
    struct ft_match match;
    size_t match_len;

    if (size < 9 || size > FT_OFP_MAX_MSG_LEN) {
        return 0;
    }
    version = data[0] & 1 ? FT_OFP13_VERSION : FT_OFP10_VERSION;
    /* An exact-size copy, so ASan sees any read past the message. */
    msg = malloc(size - 1);
    memcpy(msg, data + 1, size - 1);
    msg[0] = version;
    decode_as_message(msg, size - 1, version);

    /* The TLV decoders on their own, on the raw bytes. */
    ft_oxm_match_decode(msg, size - 1, &match, &match_len, &oe);
    ft_ofpacts_init(&acts);
    if (version == FT_OFP10_VERSION) {
        ft_ofp10_actions_decode(msg, size - 1, &acts, &oe);
    } else {
        ft_ofp13_instructions_decode(msg, size - 1, &acts, &oe);
    }
    ft_ofpacts_uninit(&acts);
    free(msg);
    return 0;
}

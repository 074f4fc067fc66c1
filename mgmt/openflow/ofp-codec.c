/*
 * ofp-codec.c - OpenFlow 1.0 / 1.3 wire basics: the error table, the byte
 * buffer, the message table with the length each type must have, HELLO
 * and ERROR, and port numbers.
 *
 * Part of mgmt/openflow/ (see ofp-msg.h).  Pure functions over byte
 * buffers: no I/O, no bridge, no globals but constant tables.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/openflow/ofp-msg.h"

/* ---- Errors. ---- */

struct ofperr_entry {
    const char *name;
    uint16_t type10, code10;    /* OpenFlow 1.0. */
    uint16_t type13, code13;    /* OpenFlow 1.3. */
};

/* OF1.0 lacks BAD_MATCH, BAD_INSTRUCTION and several codes: those map to
 * the closest 1.0 error (FLOW_MOD_FAILED UNSUPPORTED, BAD_ACTION ...). */
static const struct ofperr_entry ofperrs[FT_N_OFPERRS] = {
    [FT_OFPERR_HELLO_INCOMPATIBLE] = { "OFPHFC_INCOMPATIBLE", 0, 0, 0, 0 },
    [FT_OFPERR_BAD_VERSION] = { "OFPBRC_BAD_VERSION", 1, 0, 1, 0 },
    [FT_OFPERR_BAD_TYPE] = { "OFPBRC_BAD_TYPE", 1, 1, 1, 1 },
    [FT_OFPERR_BAD_STAT] = { "OFPBRC_BAD_STAT", 1, 2, 1, 2 },
    [FT_OFPERR_BAD_VENDOR] = { "OFPBRC_BAD_VENDOR", 1, 3, 1, 3 },
    [FT_OFPERR_BAD_SUBTYPE] = { "OFPBRC_BAD_SUBTYPE", 1, 4, 1, 4 },
    [FT_OFPERR_BAD_LEN] = { "OFPBRC_BAD_LEN", 1, 6, 1, 6 },
    [FT_OFPERR_BUFFER_UNKNOWN] = { "OFPBRC_BUFFER_UNKNOWN", 1, 8, 1, 8 },
    [FT_OFPERR_BAD_TABLE_ID] = { "OFPBRC_BAD_TABLE_ID", 3, 5, 1, 9 },
    [FT_OFPERR_BAD_PORT] = { "OFPBRC_BAD_PORT", 1, 2, 1, 11 },
    [FT_OFPERR_ACTION_BAD_TYPE] = { "OFPBAC_BAD_TYPE", 2, 0, 2, 0 },
    [FT_OFPERR_ACTION_BAD_LEN] = { "OFPBAC_BAD_LEN", 2, 1, 2, 1 },
    [FT_OFPERR_ACTION_BAD_VENDOR] = { "OFPBAC_BAD_VENDOR", 2, 2, 2, 2 },
    [FT_OFPERR_ACTION_BAD_SUBTYPE] = { "OFPBAC_BAD_VENDOR_TYPE", 2, 3,
                                       2, 3 },
    [FT_OFPERR_ACTION_BAD_OUT_PORT] = { "OFPBAC_BAD_OUT_PORT", 2, 4, 2, 4 },
    [FT_OFPERR_ACTION_BAD_ARGUMENT] = { "OFPBAC_BAD_ARGUMENT", 2, 5, 2, 5 },
    [FT_OFPERR_ACTION_BAD_OUT_GROUP] = { "OFPBAC_BAD_OUT_GROUP", 2, 0,
                                         2, 9 },
    [FT_OFPERR_ACTION_BAD_SET_TYPE] = { "OFPBAC_BAD_SET_TYPE", 2, 0, 2, 13 },
    [FT_OFPERR_ACTION_BAD_SET_LEN] = { "OFPBAC_BAD_SET_LEN", 2, 1, 2, 14 },
    [FT_OFPERR_ACTION_BAD_SET_ARGUMENT] = { "OFPBAC_BAD_SET_ARGUMENT", 2, 5,
                                            2, 15 },
    [FT_OFPERR_INST_UNKNOWN] = { "OFPBIC_UNKNOWN_INST", 3, 5, 3, 0 },
    [FT_OFPERR_INST_UNSUP] = { "OFPBIC_UNSUP_INST", 3, 5, 3, 1 },
    [FT_OFPERR_INST_BAD_LEN] = { "OFPBIC_BAD_LEN", 1, 6, 3, 8 },
    [FT_OFPERR_MATCH_BAD_TYPE] = { "OFPBMC_BAD_TYPE", 3, 5, 4, 0 },
    [FT_OFPERR_MATCH_BAD_LEN] = { "OFPBMC_BAD_LEN", 1, 6, 4, 1 },
    [FT_OFPERR_MATCH_BAD_FIELD] = { "OFPBMC_BAD_FIELD", 3, 5, 4, 6 },
    [FT_OFPERR_MATCH_BAD_VALUE] = { "OFPBMC_BAD_VALUE", 3, 5, 4, 7 },
    [FT_OFPERR_MATCH_BAD_MASK] = { "OFPBMC_BAD_MASK", 3, 5, 4, 8 },
    [FT_OFPERR_MATCH_BAD_PREREQ] = { "OFPBMC_BAD_PREREQ", 3, 5, 4, 9 },
    [FT_OFPERR_MATCH_DUP_FIELD] = { "OFPBMC_DUP_FIELD", 3, 5, 4, 10 },
    [FT_OFPERR_FLOW_MOD_UNKNOWN] = { "OFPFMFC_UNKNOWN", 3, 5, 5, 0 },
    [FT_OFPERR_FLOW_MOD_TABLE_FULL] = { "OFPFMFC_TABLE_FULL", 3, 0, 5, 1 },
    [FT_OFPERR_FLOW_MOD_BAD_COMMAND] = { "OFPFMFC_BAD_COMMAND", 3, 4,
                                         5, 6 },
    [FT_OFPERR_FLOW_MOD_BAD_FLAGS] = { "OFPFMFC_BAD_FLAGS", 3, 5, 5, 7 },
    [FT_OFPERR_FLOW_MOD_EPERM] = { "OFPFMFC_EPERM", 3, 2, 5, 4 },
    /* As Open vSwitch answers a flow naming a meter it does not have
     * (OpenFlow 1.3's code 1 is METER_EXISTS). */
    [FT_OFPERR_METER_UNKNOWN] = { "OFPMMFC_INVALID_METER", 3, 5, 12, 2 },
    [FT_OFPERR_SWITCH_CONFIG_BAD_FLAGS] = { "OFPSCFC_BAD_FLAGS", 1, 1,
                                            10, 0 },
    [FT_OFPERR_ROLE_BAD_ROLE] = { "OFPRRFC_BAD_ROLE", 1, 1, 11, 2 },
    [FT_OFPERR_ROLE_STALE] = { "OFPRRFC_STALE", 1, 1, 11, 0 },
    [FT_OFPERR_MULTIPART_BUFFER_OVERFLOW] = {
        "OFPBRC_MULTIPART_BUFFER_OVERFLOW", 1, 1, 1, 13 },
};

int
ft_ofperr_set(struct ft_ofp_error *oe, enum ft_ofperr id, const char *fmt,
              ...)
{
    if (oe) {
        va_list args;

        oe->id = id;
        oe->err.code = -EINVAL;
        va_start(args, fmt);
        vsnprintf(oe->err.reason, sizeof oe->err.reason, fmt, args);
        va_end(args);
    }
    return -EINVAL;
}

void
ft_ofperr_type_code(enum ft_ofperr id, uint8_t version, uint16_t *type,
                    uint16_t *code)
{
    const struct ofperr_entry *e = &ofperrs[id < FT_N_OFPERRS ? id : 0];

    *type = version == FT_OFP10_VERSION ? e->type10 : e->type13;
    *code = version == FT_OFP10_VERSION ? e->code10 : e->code13;
}

const char *
ft_ofperr_name(enum ft_ofperr id)
{
    return id < FT_N_OFPERRS ? ofperrs[id].name : "?";
}

/* ---- Byte buffer. ---- */

void
ft_ofpbuf_init(struct ft_ofpbuf *b)
{
    memset(b, 0, sizeof *b);
}

void
ft_ofpbuf_uninit(struct ft_ofpbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

uint8_t *
ft_ofpbuf_put_zeros(struct ft_ofpbuf *b, size_t n)
{
    uint8_t *p;

    if (b->size + n > b->allocated) {
        size_t want = b->allocated ? 2 * b->allocated : 256;

        while (want < b->size + n) {
            want *= 2;
        }
        b->data = realloc(b->data, want);
        if (!b->data) {
            abort();
        }
        b->allocated = want;
    }
    p = b->data + b->size;
    memset(p, 0, n);
    b->size += n;
    return p;
}

void
ft_ofpbuf_put(struct ft_ofpbuf *b, const void *p, size_t n)
{
    if (n) {
        memcpy(ft_ofpbuf_put_zeros(b, n), p, n);
    }
}

void
ft_ofpbuf_put_u8(struct ft_ofpbuf *b, uint8_t x)
{
    *ft_ofpbuf_put_zeros(b, 1) = x;
}

void
ft_ofpbuf_put_be16(struct ft_ofpbuf *b, uint16_t x)
{
    uint8_t *p = ft_ofpbuf_put_zeros(b, 2);

    p[0] = x >> 8;
    p[1] = x;
}

void
ft_ofpbuf_put_be32(struct ft_ofpbuf *b, uint32_t x)
{
    ft_ofpbuf_put_be16(b, x >> 16);
    ft_ofpbuf_put_be16(b, x);
}

void
ft_ofpbuf_put_be64(struct ft_ofpbuf *b, uint64_t x)
{
    ft_ofpbuf_put_be32(b, x >> 32);
    ft_ofpbuf_put_be32(b, x);
}

void
ft_ofpbuf_pad8(struct ft_ofpbuf *b, size_t start)
{
    size_t n = (b->size - start) % 8;

    if (n) {
        ft_ofpbuf_put_zeros(b, 8 - n);
    }
}

void
ft_ofpbuf_set_be16(struct ft_ofpbuf *b, size_t ofs, uint16_t x)
{
    b->data[ofs] = x >> 8;
    b->data[ofs + 1] = x;
}

void
ft_ofpbuf_clear(struct ft_ofpbuf *b)
{
    b->size = 0;
}

void
ft_ofpbuf_pull(struct ft_ofpbuf *b, size_t n)
{
    if (n >= b->size) {
        b->size = 0;
    } else {
        memmove(b->data, b->data + n, b->size - n);
        b->size -= n;
    }
}

uint16_t
ft_ofp_get16(const uint8_t *p)
{
    return (uint16_t) (p[0] << 8 | p[1]);
}

uint32_t
ft_ofp_get32(const uint8_t *p)
{
    return (uint32_t) ft_ofp_get16(p) << 16 | ft_ofp_get16(p + 2);
}

uint64_t
ft_ofp_get64(const uint8_t *p)
{
    return (uint64_t) ft_ofp_get32(p) << 32 | ft_ofp_get32(p + 4);
}

/* ---- The message table. ---- */

struct msg_entry {
    enum ft_ofp_type type;
    uint8_t version;
    uint8_t wire;
    uint16_t min_len;           /* Header included. */
    bool exact;                 /* No variable part. */
    bool to_switch;             /* A controller may send it. */
};

static const struct msg_entry msgs[] = {
#define M10(T, W, L, X, S) { FT_OFPT_##T, FT_OFP10_VERSION, W, L, X, S }
#define M13(T, W, L, X, S) { FT_OFPT_##T, FT_OFP13_VERSION, W, L, X, S }
    M10(HELLO, 0, 8, false, true),
    M10(ERROR, 1, 12, false, true),
    M10(ECHO_REQUEST, 2, 8, false, true),
    M10(ECHO_REPLY, 3, 8, false, true),
    M10(VENDOR, 4, 12, false, true),
    M10(FEATURES_REQUEST, 5, 8, true, true),
    M10(FEATURES_REPLY, 6, 32, false, false),
    M10(GET_CONFIG_REQUEST, 7, 8, true, true),
    M10(GET_CONFIG_REPLY, 8, 12, true, false),
    M10(SET_CONFIG, 9, 12, true, true),
    M10(PACKET_IN, 10, 18, false, false),
    M10(FLOW_REMOVED, 11, 88, true, false),
    M10(PORT_STATUS, 12, 64, true, false),
    M10(PACKET_OUT, 13, 16, false, true),
    M10(FLOW_MOD, 14, 72, false, true),
    M10(PORT_MOD, 15, 32, true, true),
    M10(STATS_REQUEST, 16, 12, false, true),
    M10(STATS_REPLY, 17, 12, false, false),
    M10(BARRIER_REQUEST, 18, 8, true, true),
    M10(BARRIER_REPLY, 19, 8, true, false),
    M10(QUEUE_GET_CONFIG_REQUEST, 20, 12, true, true),
    M13(HELLO, 0, 8, false, true),
    M13(ERROR, 1, 12, false, true),
    M13(ECHO_REQUEST, 2, 8, false, true),
    M13(ECHO_REPLY, 3, 8, false, true),
    M13(VENDOR, 4, 16, false, true),
    M13(FEATURES_REQUEST, 5, 8, true, true),
    M13(FEATURES_REPLY, 6, 32, true, false),
    M13(GET_CONFIG_REQUEST, 7, 8, true, true),
    M13(GET_CONFIG_REPLY, 8, 12, true, false),
    M13(SET_CONFIG, 9, 12, true, true),
    M13(PACKET_IN, 10, 34, false, false),
    M13(FLOW_REMOVED, 11, 56, false, false),
    M13(PORT_STATUS, 12, 80, true, false),
    M13(PACKET_OUT, 13, 24, false, true),
    M13(FLOW_MOD, 14, 56, false, true),
    M13(GROUP_MOD, 15, 16, false, true),
    M13(PORT_MOD, 16, 40, true, true),
    M13(TABLE_MOD, 17, 16, true, true),
    M13(STATS_REQUEST, 18, 16, false, true),
    M13(STATS_REPLY, 19, 16, false, false),
    M13(BARRIER_REQUEST, 20, 8, true, true),
    M13(BARRIER_REPLY, 21, 8, true, false),
    M13(QUEUE_GET_CONFIG_REQUEST, 22, 16, true, true),
    M13(ROLE_REQUEST, 24, 24, true, true),
    M13(ROLE_REPLY, 25, 24, true, false),
    M13(GET_ASYNC_REQUEST, 26, 8, true, true),
    M13(GET_ASYNC_REPLY, 27, 32, true, false),
    M13(SET_ASYNC, 28, 32, true, true),
    M13(METER_MOD, 29, 16, false, true),
#undef M10
#undef M13
};

static const struct msg_entry *
msg_by_wire(uint8_t version, uint8_t wire)
{
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        if (msgs[i].version == version && msgs[i].wire == wire) {
            return &msgs[i];
        }
    }
    return NULL;
}

static const struct msg_entry *
msg_by_type(uint8_t version, enum ft_ofp_type type)
{
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        if (msgs[i].version == version && msgs[i].type == type) {
            return &msgs[i];
        }
    }
    return NULL;
}

void
ft_ofp_header_read(const uint8_t *buf, struct ft_ofp_header *h)
{
    const struct msg_entry *m;

    h->version = buf[0];
    h->wire_type = buf[1];
    h->length = ft_ofp_get16(buf + 2);
    h->xid = ft_ofp_get32(buf + 4);
    m = msg_by_wire(h->version, h->wire_type);
    h->type = m ? m->type
              : h->wire_type == 0 ? FT_OFPT_HELLO : FT_OFPT_UNKNOWN;
}

int
ft_ofp_msg_check(const struct ft_ofp_header *h, uint8_t version,
                 struct ft_ofp_error *oe)
{
    const struct msg_entry *m;

    if (h->length < FT_OFP_HEADER_LEN) {
        return ft_ofperr_set(oe, FT_OFPERR_BAD_LEN, "message length %u is "
                             "shorter than the 8-byte header", h->length);
    }
    if (h->wire_type == 0 && (h->version == FT_OFP10_VERSION
                              || h->version == FT_OFP13_VERSION
                              || h->version > FT_OFP13_VERSION)) {
        return 0;               /* HELLO: any version may offer. */
    }
    if (h->version != version) {
        return ft_ofperr_set(oe, FT_OFPERR_BAD_VERSION, "message of "
                             "OpenFlow version 0x%02x on a connection that "
                             "speaks 0x%02x", h->version, version);
    }
    m = msg_by_wire(h->version, h->wire_type);
    if (!m || !m->to_switch) {
        return ft_ofperr_set(oe, FT_OFPERR_BAD_TYPE, "message type %u is "
                             "not one a switch accepts in OpenFlow 0x%02x",
                             h->wire_type, h->version);
    }
    if (h->length < m->min_len || (m->exact && h->length != m->min_len)) {
        return ft_ofperr_set(oe, FT_OFPERR_BAD_LEN, "message type %u has "
                             "length %u, needs %s%u", h->wire_type,
                             h->length, m->exact ? "" : "at least ",
                             m->min_len);
    }
    return 0;
}

size_t
ft_ofp_msg_start(struct ft_ofpbuf *b, uint8_t version, enum ft_ofp_type type,
                 uint32_t xid)
{
    const struct msg_entry *m = msg_by_type(version, type);
    size_t start = b->size;

    ft_ofpbuf_put_u8(b, version);
    ft_ofpbuf_put_u8(b, m ? m->wire : 0xff);
    ft_ofpbuf_put_be16(b, 0);
    ft_ofpbuf_put_be32(b, xid);
    return start;
}

void
ft_ofp_msg_finish(struct ft_ofpbuf *b, size_t start)
{
    ft_ofpbuf_set_be16(b, start + 2, (uint16_t) (b->size - start));
}

/* ---- HELLO and ERROR. ---- */

#define OFPHET_VERSIONBITMAP 1

uint32_t
ft_ofp_hello_versions(const uint8_t *msg, size_t len, struct ft_ofp_error *oe)
{
    size_t ofs = FT_OFP_HEADER_LEN;
    uint8_t version = msg[0];

    while (ofs + 4 <= len) {
        uint16_t type = ft_ofp_get16(msg + ofs);
        uint16_t elen = ft_ofp_get16(msg + ofs + 2);

        if (elen < 4 || elen > len - ofs) {
            ft_ofperr_set(oe, FT_OFPERR_BAD_LEN, "HELLO element of type %u "
                          "has length %u with %zu bytes left", type, elen,
                          len - ofs);
            return 0;
        }
        if (type == OFPHET_VERSIONBITMAP) {
            uint32_t bitmap = elen >= 8 ? ft_ofp_get32(msg + ofs + 4) : 0;

            if (!bitmap) {
                ft_ofperr_set(oe, FT_OFPERR_HELLO_INCOMPATIBLE, "HELLO "
                              "version bitmap offers no version");
            }
            return bitmap;
        }
        ofs += (elen + 7) / 8 * 8;
    }
    /* No bitmap: every version up to the header's. */
    return version >= 31 ? 0xfffffffeu : ((1u << (version + 1)) - 2);
}

void
ft_ofp_put_hello(struct ft_ofpbuf *b, uint8_t version, uint32_t bitmap,
                 uint32_t xid)
{
    size_t start = ft_ofp_msg_start(b, version, FT_OFPT_HELLO, xid);

    ft_ofpbuf_put_be16(b, OFPHET_VERSIONBITMAP);
    ft_ofpbuf_put_be16(b, 8);
    ft_ofpbuf_put_be32(b, bitmap);
    ft_ofp_msg_finish(b, start);
}

void
ft_ofp_put_error(struct ft_ofpbuf *b, uint8_t version, uint32_t xid,
                 enum ft_ofperr id, const uint8_t *req, size_t req_len,
                 const char *text)
{
    size_t start = ft_ofp_msg_start(b, version, FT_OFPT_ERROR, xid);
    uint16_t type, code;

    ft_ofperr_type_code(id, version, &type, &code);
    ft_ofpbuf_put_be16(b, type);
    ft_ofpbuf_put_be16(b, code);
    if (req) {
        ft_ofpbuf_put(b, req, req_len < 64 ? req_len : 64);
    } else if (text) {
        ft_ofpbuf_put(b, text, strlen(text));
    }
    ft_ofp_msg_finish(b, start);
}

/* ---- Ports. ---- */

int
ft_ofp_port_from_wire(uint8_t version, uint32_t wire, ft_port_no *port)
{
    if (version == FT_OFP10_VERSION) {
        *port = wire & 0xffff;
        return wire > 0xffff ? -EINVAL : 0;
    }
    if (wire >= 0xffffff00u) {
        *port = wire & 0xffff;
        return 0;
    }
    if (wire >= FT_PORT_MAX) {
        return -EINVAL;
    }
    *port = wire;
    return 0;
}

uint32_t
ft_ofp_port_to_wire(uint8_t version, ft_port_no port)
{
    if (version != FT_OFP10_VERSION && port >= FT_PORT_MAX) {
        return 0xffff0000u | port;
    }
    return port;
}

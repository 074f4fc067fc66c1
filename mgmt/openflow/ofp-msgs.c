/*
 * ofp-msgs.c - OpenFlow 1.0 / 1.3 message bodies: FLOW_MOD and
 * STATS/MULTIPART requests decoded, FEATURES, DESC, FLOW, AGGREGATE,
 * TABLE, PORT and PORT_DESC replies encoded, multipart replies split at
 * 64 kB.
 *
 * Part of mgmt/openflow/ (see ofp-msg.h).  Pure functions.
 */
#include <errno.h>
#include <string.h>

#include "mgmt/openflow/ofp-msg.h"

/* ---- FLOW_MOD. ---- */

void
ft_ofp_flow_mod_uninit(struct ft_ofp_flow_mod *fm)
{
    ft_flow_spec_uninit(&fm->spec);
}

static int
flow_mod_command(uint8_t command, struct ft_ofp_flow_mod *fm,
                 struct ft_ofp_error *oe)
{
    static const enum ft_flow_cmd cmds[] = {
        FT_FLOW_ADD, FT_FLOW_MODIFY, FT_FLOW_MODIFY_STRICT, FT_FLOW_DELETE,
        FT_FLOW_DELETE_STRICT,
    };

    if (command >= sizeof cmds / sizeof cmds[0]) {
        return ft_ofperr_set(oe, FT_OFPERR_FLOW_MOD_BAD_COMMAND, "flow mod "
                             "command %u is not add (0), modify (1, 2) or "
                             "delete (3, 4)", command);
    }
    fm->cmd = cmds[command];
    return 0;
}

static int
flow_mod_check(struct ft_ofp_flow_mod *fm, struct ft_ofp_error *oe)
{
    struct ft_flow_spec *spec = &fm->spec;
    bool is_delete = fm->cmd == FT_FLOW_DELETE
                     || fm->cmd == FT_FLOW_DELETE_STRICT;

    if (fm->cmd == FT_FLOW_ADD && spec->table_id >= FT_N_TABLES) {
        return ft_ofperr_set(oe, FT_OFPERR_BAD_TABLE_ID, "add to table %u: "
                             "tables are 0..%d", spec->table_id,
                             FT_N_TABLES - 1);
    }
    if (fm->buffer_id != FT_OFP_NO_BUFFER && !is_delete) {
        return ft_ofperr_set(oe, FT_OFPERR_BUFFER_UNKNOWN, "buffer %u does "
                             "not exist: FlowTier buffers no packets "
                             "(n_buffers=0)", fm->buffer_id);
    }
    if (fm->flags & ~(FT_OFPFF_SEND_FLOW_REM | FT_OFPFF_RESET_COUNTS
                      | FT_OFPFF_NO_PKT_COUNTS | FT_OFPFF_NO_BYT_COUNTS)) {
        return ft_ofperr_set(oe, FT_OFPERR_FLOW_MOD_BAD_FLAGS, "flow mod "
                             "flags 0x%x: %s is not supported", fm->flags,
                             fm->flags & FT_OFPFF_CHECK_OVERLAP
                             ? "check_overlap" : "an unknown flag");
    }
    if (fm->flags & FT_OFPFF_SEND_FLOW_REM && !is_delete) {
        spec->flags |= FT_FLOW_F_SEND_FLOW_REM;
    }
    if (is_delete ? (fm->out_port != FT_PORT_NONE
                     || fm->out_group != 0xffffffffu) : false) {
        return ft_ofperr_set(oe, FT_OFPERR_FLOW_MOD_UNKNOWN, "delete "
                             "filtered by out_port or out_group is not "
                             "supported");
    }
    for (size_t i = 0; i < spec->actions.n; i++) {
        if (spec->actions.acts[i].type == FT_OFPACT_METER) {
            return ft_ofperr_set(oe, FT_OFPERR_METER_UNKNOWN, "meter %u "
                                 "does not exist",
                                 spec->actions.acts[i].meter_id);
        }
    }
    spec->has_actions = !is_delete;
    if (fm->cmd == FT_FLOW_ADD) {
        spec->cookie_mask = 0;
    }
    return 0;
}

static int
flow_mod_decode10(const uint8_t *msg, size_t len, bool table_id_ext,
                  struct ft_ofp_flow_mod *fm, struct ft_ofp_error *oe)
{
    struct ft_flow_spec *spec = &fm->spec;
    uint16_t command = ft_ofp_get16(msg + 56);
    int error;

    error = ft_ofp10_match_decode(msg + 8, &spec->match, oe);
    if (error) {
        return error;
    }
    spec->cookie = ft_ofp_get64(msg + 48);
    spec->table_id = table_id_ext ? command >> 8 : 0;
    if (!table_id_ext && (command >> 8)) {
        return ft_ofperr_set(oe, FT_OFPERR_FLOW_MOD_BAD_COMMAND, "flow mod "
                             "command 0x%04x has a table id but the "
                             "table-id extension is off", command);
    }
    error = flow_mod_command(command & 0xff, fm, oe);
    if (error) {
        return error;
    }
    if (!table_id_ext && fm->cmd != FT_FLOW_ADD) {
        spec->table_id = FT_TABLE_ALL;
    }
    spec->idle_timeout = ft_ofp_get16(msg + 58);
    spec->hard_timeout = ft_ofp_get16(msg + 60);
    spec->priority = ft_ofp_get16(msg + 62);
    fm->buffer_id = ft_ofp_get32(msg + 64);
    fm->out_port = ft_ofp_get16(msg + 68);
    fm->out_group = 0xffffffffu;
    fm->flags = ft_ofp_get16(msg + 70);
    if (fm->cmd == FT_FLOW_MODIFY || fm->cmd == FT_FLOW_MODIFY_STRICT) {
        /* OF1.0 modify sets the cookie it carries (no mask). */
        spec->cookie_mask = 0;
    }
    return ft_ofp10_actions_decode(msg + 72, len - 72, &spec->actions, oe);
}

static int
flow_mod_decode13(const uint8_t *msg, size_t len, struct ft_ofp_flow_mod *fm,
                  struct ft_ofp_error *oe)
{
    struct ft_flow_spec *spec = &fm->spec;
    size_t match_len;
    ft_port_no out_port;
    int error;

    spec->cookie = ft_ofp_get64(msg + 8);
    spec->cookie_mask = ft_ofp_get64(msg + 16);
    spec->table_id = msg[24];
    error = flow_mod_command(msg[25], fm, oe);
    if (error) {
        return error;
    }
    spec->idle_timeout = ft_ofp_get16(msg + 26);
    spec->hard_timeout = ft_ofp_get16(msg + 28);
    spec->priority = ft_ofp_get16(msg + 30);
    fm->buffer_id = ft_ofp_get32(msg + 32);
    if (ft_ofp_port_from_wire(FT_OFP13_VERSION, ft_ofp_get32(msg + 36),
                              &out_port)) {
        return ft_ofperr_set(oe, FT_OFPERR_BAD_PORT, "out_port 0x%08x is "
                             "not a port", ft_ofp_get32(msg + 36));
    }
    fm->out_port = ft_ofp_get32(msg + 36) == 0xffffffffu ? FT_PORT_NONE
                   : out_port;
    fm->out_group = ft_ofp_get32(msg + 40);
    fm->flags = ft_ofp_get16(msg + 44);
    error = ft_oxm_match_decode(msg + 48, len - 48, &spec->match, &match_len,
                                oe);
    if (error) {
        return error;
    }
    if ((fm->cmd == FT_FLOW_MODIFY || fm->cmd == FT_FLOW_MODIFY_STRICT)
        && !spec->cookie_mask) {
        /* OF1.3 modify never changes cookies: filter on none. */
        spec->cookie = 0;
    }
    return ft_ofp13_instructions_decode(msg + 48 + match_len,
                                        len - 48 - match_len,
                                        &spec->actions, oe);
}

int
ft_ofp_flow_mod_decode(const uint8_t *msg, size_t len, uint8_t version,
                       bool table_id_ext, struct ft_ofp_flow_mod *fm,
                       struct ft_ofp_error *oe)
{
    int error;

    memset(fm, 0, sizeof *fm);
    ft_flow_spec_init(&fm->spec);
    if (len < (version == FT_OFP10_VERSION ? 72u : 56u)) {
        return ft_ofperr_set(oe, FT_OFPERR_BAD_LEN, "FLOW_MOD of %zu bytes "
                             "is too short", len);
    }
    error = version == FT_OFP10_VERSION
            ? flow_mod_decode10(msg, len, table_id_ext, fm, oe)
            : flow_mod_decode13(msg, len, fm, oe);
    return error ? error : flow_mod_check(fm, oe);
}

/* ---- PACKET_OUT and PACKET_IN. ---- */

int
ft_ofp_packet_out_decode(const uint8_t *msg, size_t len, uint8_t version,
                         struct ft_ofp_packet_out *po,
                         struct ft_ofp_error *oe)
{
    size_t hlen = version == FT_OFP10_VERSION ? 16 : 24;
    uint32_t buffer_id = ft_ofp_get32(msg + 8);
    uint32_t in_port;
    size_t acts_len;
    int error;

    memset(po, 0, sizeof *po);
    ft_ofpacts_init(&po->actions);
    if (len < hlen) {
        return ft_ofperr_set(oe, FT_OFPERR_BAD_LEN, "PACKET_OUT of %zu "
                             "bytes is too short", len);
    }
    in_port = version == FT_OFP10_VERSION ? ft_ofp_get16(msg + 12)
              : ft_ofp_get32(msg + 12);
    acts_len = ft_ofp_get16(msg + (version == FT_OFP10_VERSION ? 14 : 16));
    if (buffer_id != FT_OFP_NO_BUFFER) {
        return ft_ofperr_set(oe, FT_OFPERR_BUFFER_UNKNOWN, "buffer %u does "
                             "not exist: FlowTier buffers no packets",
                             buffer_id);
    }
    if (ft_ofp_port_from_wire(version, in_port, &po->in_port)) {
        return ft_ofperr_set(oe, FT_OFPERR_BAD_PORT, "in_port 0x%x is not "
                             "a port", in_port);
    }
    if (acts_len > len - hlen) {
        return ft_ofperr_set(oe, FT_OFPERR_BAD_LEN, "PACKET_OUT actions of "
                             "%zu bytes with %zu left", acts_len, len - hlen);
    }
    error = ft_ofp_packet_out_actions_decode(version, msg + hlen, acts_len,
                                             &po->actions, oe);
    if (error) {
        return error;
    }
    po->data = msg + hlen + acts_len;
    po->len = len - hlen - acts_len;
    if (po->len < 14) {
        return ft_ofperr_set(oe, FT_OFPERR_BAD_LEN, "PACKET_OUT frame of "
                             "%zu bytes is shorter than an Ethernet header",
                             po->len);
    }
    return 0;
}

void
ft_ofp_put_packet_in(struct ft_ofpbuf *b, uint8_t version,
                     const struct ft_ofp_packet_in *pin)
{
    size_t start = ft_ofp_msg_start(b, version, FT_OFPT_PACKET_IN, 0);
    size_t len = pin->len;

    if (len > FT_OFP_MAX_MSG_LEN - 64) {
        len = FT_OFP_MAX_MSG_LEN - 64;
    }
    ft_ofpbuf_put_be32(b, FT_OFP_NO_BUFFER);
    ft_ofpbuf_put_be16(b, (uint16_t) (pin->total_len > 0xffff ? 0xffff
                                      : pin->total_len));
    if (version == FT_OFP10_VERSION) {
        ft_ofpbuf_put_be16(b, pin->in_port);
        ft_ofpbuf_put_u8(b, pin->reason);
        ft_ofpbuf_put_u8(b, 0);
    } else {
        struct ft_match m;
        union ft_value v = { .u64 = pin->in_port };

        ft_ofpbuf_put_u8(b, pin->reason);
        ft_ofpbuf_put_u8(b, pin->table_id);
        ft_ofpbuf_put_be64(b, pin->cookie);
        ft_match_init_catchall(&m);
        ft_match_set_field(&m, ft_field_from_id(FT_F_IN_PORT), &v, NULL);
        ft_oxm_match_encode(&m, b);
        ft_ofpbuf_put_zeros(b, 2);
    }
    ft_ofpbuf_put(b, pin->data, len);
    ft_ofp_msg_finish(b, start);
}

void
ft_ofp_put_flow_removed(struct ft_ofpbuf *b, uint8_t version,
                        const struct ft_ofp_flow_removed *fr)
{
    const struct ft_flow_spec *spec = fr->spec;
    size_t start = ft_ofp_msg_start(b, version, FT_OFPT_FLOW_REMOVED, 0);
    long long int d = fr->duration_ms < 0 ? 0 : fr->duration_ms;

    if (version == FT_OFP10_VERSION) {
        ft_ofp10_match_encode(&spec->match, b);
    }
    ft_ofpbuf_put_be64(b, spec->cookie);
    ft_ofpbuf_put_be16(b, spec->priority);
    ft_ofpbuf_put_u8(b, fr->reason);
    ft_ofpbuf_put_u8(b, version == FT_OFP10_VERSION ? 0 : spec->table_id);
    ft_ofpbuf_put_be32(b, (uint32_t) (d / 1000));
    ft_ofpbuf_put_be32(b, (uint32_t) (d % 1000) * 1000000);
    ft_ofpbuf_put_be16(b, spec->idle_timeout);
    ft_ofpbuf_put_be16(b, version == FT_OFP10_VERSION ? 0
                       : spec->hard_timeout);
    ft_ofpbuf_put_be64(b, fr->n_packets);
    ft_ofpbuf_put_be64(b, fr->n_bytes);
    if (version != FT_OFP10_VERSION) {
        ft_oxm_match_encode(&spec->match, b);
    }
    ft_ofp_msg_finish(b, start);
}

/* ---- Multipart requests. ---- */

static int
decode_flow_request(const uint8_t *body, size_t len, uint8_t version,
                    struct ft_ofp_stats_request *req, struct ft_ofp_error *oe)
{
    size_t match_len;

    if (version == FT_OFP10_VERSION) {
        if (len != 44) {
            return ft_ofperr_set(oe, FT_OFPERR_BAD_LEN, "flow stats request "
                                 "body of %zu bytes, must be 44", len);
        }
        req->table_id = body[40];
        req->out_port = ft_ofp_get16(body + 42);
        req->out_group = 0xffffffffu;
        return ft_ofp10_match_decode(body, &req->match, oe);
    }
    if (len < 40) {
        return ft_ofperr_set(oe, FT_OFPERR_BAD_LEN, "flow stats request "
                             "body of %zu bytes, needs at least 40", len);
    }
    req->table_id = body[0];
    req->out_port = ft_ofp_get32(body + 4) == 0xffffffffu ? FT_PORT_NONE
                    : (ft_port_no) ft_ofp_get32(body + 4);
    req->out_group = ft_ofp_get32(body + 8);
    req->cookie = ft_ofp_get64(body + 16);
    req->cookie_mask = ft_ofp_get64(body + 24);
    if (ft_oxm_match_decode(body + 32, len - 32, &req->match, &match_len,
                            oe)) {
        return -EINVAL;
    }
    if (32 + match_len != len) {
        return ft_ofperr_set(oe, FT_OFPERR_BAD_LEN, "flow stats request has "
                             "%zu bytes after its match", len - 32
                             - match_len);
    }
    return 0;
}

int
ft_ofp_stats_request_decode(const uint8_t *msg, size_t len, uint8_t version,
                            struct ft_ofp_stats_request *req,
                            struct ft_ofp_error *oe)
{
    size_t hlen = version == FT_OFP10_VERSION ? 12 : 16;
    const uint8_t *body = msg + hlen;
    size_t blen = len - hlen;

    memset(req, 0, sizeof *req);
    req->type = ft_ofp_get16(msg + 8);
    req->flags = ft_ofp_get16(msg + 10);
    req->port = FT_PORT_NONE;
    switch (req->type) {
    case FT_OFPST_DESC:
    case FT_OFPST_TABLE:
    case FT_OFPST_PORT_DESC:
    case FT_OFPST_GROUP_DESC:
    case FT_OFPST_GROUP_FEATURES:
    case FT_OFPST_METER_FEATURES:
        if (blen) {
            return ft_ofperr_set(oe, FT_OFPERR_BAD_LEN, "stats request type "
                                 "%u has a %zu-byte body, must be empty",
                                 req->type, blen);
        }
        return 0;
    case FT_OFPST_TABLE_FEATURES:
        return 0;               /* A body sets features: refused later. */
    case FT_OFPST_FLOW:
    case FT_OFPST_AGGREGATE:
        return decode_flow_request(body, blen, version, req, oe);
    case FT_OFPST_PORT:
        if (blen != 8) {
            return ft_ofperr_set(oe, FT_OFPERR_BAD_LEN, "port stats request "
                                 "body of %zu bytes, must be 8", blen);
        }
        if (version == FT_OFP10_VERSION) {
            req->port = ft_ofp_get16(body);
        } else if (ft_ofp_get32(body) == 0xffffffffu) {
            req->port = FT_PORT_NONE;
        } else if (ft_ofp_port_from_wire(version, ft_ofp_get32(body),
                                         &req->port)) {
            return ft_ofperr_set(oe, FT_OFPERR_BAD_PORT, "port 0x%08x is not "
                                 "a port", ft_ofp_get32(body));
        }
        return 0;
    case FT_OFPST_GROUP:
    case FT_OFPST_METER:
    case FT_OFPST_METER_CONFIG:
    case FT_OFPST_QUEUE:
        return 0;               /* Well-formed enough: refused later. */
    default:
        return ft_ofperr_set(oe, FT_OFPERR_BAD_STAT, "stats type %u is not "
                             "supported", req->type);
    }
}

/* ---- Multipart replies. ---- */

static void
mp_begin_msg(struct ft_ofp_mp_reply *r)
{
    r->start = ft_ofp_msg_start(r->out, r->version, FT_OFPT_STATS_REPLY,
                                r->xid);
    ft_ofpbuf_put_be16(r->out, r->stats_type);
    ft_ofpbuf_put_be16(r->out, 0);
    if (r->version != FT_OFP10_VERSION) {
        ft_ofpbuf_put_zeros(r->out, 4);
    }
}

void
ft_ofp_mp_start(struct ft_ofp_mp_reply *r, struct ft_ofpbuf *out,
                uint8_t version, uint32_t xid, uint16_t stats_type)
{
    r->out = out;
    r->version = version;
    r->xid = xid;
    r->stats_type = stats_type;
    mp_begin_msg(r);
}

void
ft_ofp_mp_prepare(struct ft_ofp_mp_reply *r, size_t max_len)
{
    if (r->out->size - r->start + max_len > FT_OFP_MAX_MSG_LEN) {
        ft_ofpbuf_set_be16(r->out, r->start + 10, 1);   /* MORE. */
        ft_ofp_msg_finish(r->out, r->start);
        mp_begin_msg(r);
    }
}

void
ft_ofp_mp_finish(struct ft_ofp_mp_reply *r)
{
    ft_ofp_msg_finish(r->out, r->start);
}

void
ft_ofp_put_flow_stats(struct ft_ofp_mp_reply *r,
                      const struct ft_ofp_flow_stats *fs)
{
    const struct ft_flow_spec *spec = fs->spec;
    struct ft_ofpbuf entry;
    long long int d = fs->duration_ms < 0 ? 0 : fs->duration_ms;

    ft_ofpbuf_init(&entry);
    ft_ofpbuf_put_be16(&entry, 0);
    ft_ofpbuf_put_u8(&entry, spec->table_id);
    ft_ofpbuf_put_u8(&entry, 0);
    if (r->version == FT_OFP10_VERSION) {
        ft_ofp10_match_encode(&spec->match, &entry);
    }
    ft_ofpbuf_put_be32(&entry, (uint32_t) (d / 1000));
    ft_ofpbuf_put_be32(&entry, (uint32_t) (d % 1000) * 1000000);
    ft_ofpbuf_put_be16(&entry, spec->priority);
    ft_ofpbuf_put_be16(&entry, spec->idle_timeout);
    ft_ofpbuf_put_be16(&entry, spec->hard_timeout);
    if (r->version == FT_OFP10_VERSION) {
        ft_ofpbuf_put_zeros(&entry, 6);
    } else {
        ft_ofpbuf_put_be16(&entry, fs->flags);
        ft_ofpbuf_put_zeros(&entry, 4);
    }
    ft_ofpbuf_put_be64(&entry, spec->cookie);
    ft_ofpbuf_put_be64(&entry, fs->n_packets);
    ft_ofpbuf_put_be64(&entry, fs->n_bytes);
    if (r->version == FT_OFP10_VERSION) {
        ft_ofp10_actions_encode(&spec->actions, &entry);
    } else {
        ft_oxm_match_encode(&spec->match, &entry);
        ft_ofp13_instructions_encode(&spec->actions, &spec->match, &entry);
    }
    ft_ofpbuf_set_be16(&entry, 0, (uint16_t) entry.size);
    ft_ofp_mp_prepare(r, entry.size);
    ft_ofpbuf_put(r->out, entry.data, entry.size);
    ft_ofpbuf_uninit(&entry);
}

void
ft_ofp_put_aggregate(struct ft_ofp_mp_reply *r, uint64_t n_packets,
                     uint64_t n_bytes, uint32_t n_flows)
{
    ft_ofpbuf_put_be64(r->out, n_packets);
    ft_ofpbuf_put_be64(r->out, n_bytes);
    ft_ofpbuf_put_be32(r->out, n_flows);
    ft_ofpbuf_put_zeros(r->out, 4);
}

static void
put_string(struct ft_ofpbuf *b, const char *s, size_t n)
{
    uint8_t *p = ft_ofpbuf_put_zeros(b, n);
    size_t len = strlen(s);

    memcpy(p, s, len < n - 1 ? len : n - 1);
}

void
ft_ofp_put_desc(struct ft_ofp_mp_reply *r, const char *dp_desc)
{
    put_string(r->out, "FlowTier", 256);
    put_string(r->out, "FlowTier virtual switch", 256);
    put_string(r->out, "flowtierd", 256);
    put_string(r->out, "None", 32);
    put_string(r->out, dp_desc, 256);
}

/* A table features property: 'n' items of 'item_len' bytes. */
static void
put_tf_prop(struct ft_ofpbuf *b, uint16_t type, const uint32_t *items,
            size_t n, size_t item_len)
{
    size_t start = b->size;

    ft_ofpbuf_put_be16(b, type);
    ft_ofpbuf_put_be16(b, (uint16_t) (4 + n * item_len));
    for (size_t i = 0; i < n; i++) {
        if (item_len == 1) {
            ft_ofpbuf_put_u8(b, (uint8_t) items[i]);
        } else {
            ft_ofpbuf_put_be32(b, items[i]);
        }
    }
    ft_ofpbuf_pad8(b, start);
}

void
ft_ofp_put_table_features(struct ft_ofp_mp_reply *r, uint8_t table_id,
                          uint8_t n_tables)
{
    /* Instruction and action ids: type << 16 | length 4. */
    static const uint32_t insts[] = {
        1 << 16 | 4, 2 << 16 | 4, 4 << 16 | 4,          /* goto, metadata,
                                                         * apply. */
    };
    static const uint32_t acts[] = {
        0 << 16 | 4, 17 << 16 | 4, 18 << 16 | 4, 24 << 16 | 4, 25 << 16 | 4,
    };
    uint32_t fields[64], next[256];
    size_t n_fields, n_next = 0;
    struct ft_ofpbuf e;

    ft_ofpbuf_init(&e);
    ft_ofpbuf_put_be16(&e, 0);
    ft_ofpbuf_put_u8(&e, table_id);
    ft_ofpbuf_put_zeros(&e, 5 + 32);            /* pad, name (none). */
    ft_ofpbuf_put_be64(&e, UINT64_MAX);         /* metadata_match. */
    ft_ofpbuf_put_be64(&e, UINT64_MAX);         /* metadata_write. */
    ft_ofpbuf_put_be32(&e, 0);                  /* config. */
    ft_ofpbuf_put_be32(&e, 1000000);            /* max_entries. */
    put_tf_prop(&e, 0, insts, sizeof insts / sizeof insts[0], 4);
    for (unsigned int t = table_id + 1u; t < n_tables; t++) {
        next[n_next++] = t;
    }
    put_tf_prop(&e, 2, next, n_next, 1);
    put_tf_prop(&e, 4, NULL, 0, 4);             /* No write_actions. */
    put_tf_prop(&e, 6, acts, sizeof acts / sizeof acts[0], 4);
    n_fields = ft_oxm_headers(fields, 64, FT_OXM_HEADERS_MATCH);
    put_tf_prop(&e, 8, fields, n_fields, 4);    /* MATCH. */
    n_fields = ft_oxm_headers(fields, 64, FT_OXM_HEADERS_WILDCARDS);
    put_tf_prop(&e, 10, fields, n_fields, 4);   /* WILDCARDS. */
    put_tf_prop(&e, 12, NULL, 0, 4);            /* No write_setfield. */
    n_fields = ft_oxm_headers(fields, 64, FT_OXM_HEADERS_WRITABLE);
    put_tf_prop(&e, 14, fields, n_fields, 4);   /* APPLY_SETFIELD. */
    ft_ofpbuf_set_be16(&e, 0, (uint16_t) e.size);
    ft_ofp_mp_prepare(r, e.size);
    ft_ofpbuf_put(r->out, e.data, e.size);
    ft_ofpbuf_uninit(&e);
}

void
ft_ofp_put_table_stats(struct ft_ofp_mp_reply *r,
                       const struct ft_ofp_table_stats *ts)
{
    ft_ofp_mp_prepare(r, 64);
    ft_ofpbuf_put_u8(r->out, ts->table_id);
    ft_ofpbuf_put_zeros(r->out, 3);
    if (r->version == FT_OFP10_VERSION) {
        put_string(r->out, "", 32);         /* No names, as in 1.3. */
        ft_ofpbuf_put_be32(r->out, 0x3fffff);       /* OFPFW10_ALL. */
        ft_ofpbuf_put_be32(r->out, 1000000);        /* max_entries. */
    }
    ft_ofpbuf_put_be32(r->out, ts->active_count);
    ft_ofpbuf_put_be64(r->out, ts->lookup_count);
    ft_ofpbuf_put_be64(r->out, ts->matched_count);
}

void
ft_ofp_put_port(struct ft_ofpbuf *b, uint8_t version,
                const struct ft_ofp_port *p)
{
    if (version == FT_OFP10_VERSION) {
        ft_ofpbuf_put_be16(b, p->port);
        ft_ofpbuf_put(b, p->hw_addr.ea, 6);
        put_string(b, p->name, 16);
        ft_ofpbuf_put_be32(b, p->config);
        ft_ofpbuf_put_be32(b, p->state & FT_OFPPS_LINK_DOWN);
        ft_ofpbuf_put_be32(b, p->curr);
        ft_ofpbuf_put_zeros(b, 12);         /* advertised, supported,
                                             * peer. */
        return;
    }
    ft_ofpbuf_put_be32(b, ft_ofp_port_to_wire(version, p->port));
    ft_ofpbuf_put_zeros(b, 4);
    ft_ofpbuf_put(b, p->hw_addr.ea, 6);
    ft_ofpbuf_put_zeros(b, 2);
    put_string(b, p->name, 16);
    ft_ofpbuf_put_be32(b, p->config);
    ft_ofpbuf_put_be32(b, p->state);
    ft_ofpbuf_put_be32(b, p->curr);
    ft_ofpbuf_put_zeros(b, 12);
    ft_ofpbuf_put_be32(b, p->curr_speed);
    ft_ofpbuf_put_be32(b, 0);               /* max_speed. */
}

void
ft_ofp_put_port_status(struct ft_ofpbuf *b, uint8_t version, uint8_t reason,
                       const struct ft_ofp_port *port)
{
    size_t start = ft_ofp_msg_start(b, version, FT_OFPT_PORT_STATUS, 0);

    ft_ofpbuf_put_u8(b, reason);
    ft_ofpbuf_put_zeros(b, 7);
    ft_ofp_put_port(b, version, port);
    ft_ofp_msg_finish(b, start);
}

void
ft_ofp_put_port_stats(struct ft_ofp_mp_reply *r,
                      const struct ft_ofp_port_stats *ps)
{
    const uint64_t counters[] = {
        ps->rx_packets, ps->tx_packets, ps->rx_bytes, ps->tx_bytes,
        ps->rx_dropped, ps->tx_dropped, ps->rx_errors, ps->tx_errors,
        ps->rx_frame_err, ps->rx_over_err, ps->rx_crc_err, ps->collisions,
    };

    ft_ofp_mp_prepare(r, 112);
    if (r->version == FT_OFP10_VERSION) {
        ft_ofpbuf_put_be16(r->out, ps->port);
        ft_ofpbuf_put_zeros(r->out, 6);
    } else {
        ft_ofpbuf_put_be32(r->out, ft_ofp_port_to_wire(r->version,
                                                       ps->port));
        ft_ofpbuf_put_zeros(r->out, 4);
    }
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
        ft_ofpbuf_put_be64(r->out, counters[i]);
    }
    if (r->version != FT_OFP10_VERSION) {
        ft_ofpbuf_put_be32(r->out, (uint32_t) (ps->duration_ms / 1000));
        ft_ofpbuf_put_be32(r->out,
                           (uint32_t) (ps->duration_ms % 1000) * 1000000);
    }
}

#define OFPC_FLOW_STATS 0x1
#define OFPC_TABLE_STATS 0x2
#define OFPC_PORT_STATS 0x4

void
ft_ofp_put_features(struct ft_ofpbuf *b, uint8_t version, uint32_t xid,
                    uint64_t dpid, const struct ft_ofp_port *ports,
                    size_t n_ports)
{
    size_t start = ft_ofp_msg_start(b, version, FT_OFPT_FEATURES_REPLY, xid);

    ft_ofpbuf_put_be64(b, dpid);
    ft_ofpbuf_put_be32(b, 0);               /* n_buffers. */
    ft_ofpbuf_put_u8(b, FT_N_TABLES);
    ft_ofpbuf_put_zeros(b, 3);
    ft_ofpbuf_put_be32(b, OFPC_FLOW_STATS | OFPC_TABLE_STATS
                       | OFPC_PORT_STATS);
    if (version == FT_OFP10_VERSION) {
        /* Actions: output, vlan vid/pcp, strip, dl/nw/tos/tp rewrites. */
        ft_ofpbuf_put_be32(b, 0x7ff);
        for (size_t i = 0; i < n_ports; i++) {
            ft_ofp_put_port(b, version, &ports[i]);
        }
    } else {
        ft_ofpbuf_put_be32(b, 0);
    }
    ft_ofp_msg_finish(b, start);
}

/*
 * ofp-msg.h - the OpenFlow 1.0 and 1.3 wire format: decoding messages into
 * FlowTier's own structures and encoding replies, with no I/O and no
 * state.
 *
 * What?
 * =====
 *
 * The codec is the only code that touches OpenFlow bytes.  It turns a
 * FLOW_MOD into a 'struct ft_flow_spec' (the flow syntax's own structure,
 * so a rule added over OpenFlow is the same rule as one typed at the CLI),
 * a multipart request into a 'struct ft_ofp_stats_request', and builds
 * every reply the switch sends.  The connection (ofconn.h) decides what to
 * do with them.
 *
 * Length checks
 * =============
 *
 * Every decoder is told the length of what it may read and checks each
 * fixed part, each TLV and each padding against it before reading: a
 * message that claims more than it has, a TLV that runs past its
 * container, or a length that is not a multiple of 8 where OpenFlow says
 * it must be, is refused with the OpenFlow error OpenFlow names for it
 * (OFPBRC_BAD_LEN, OFPBAC_BAD_LEN, OFPBMC_BAD_LEN...).  Decoders never
 * read past 'len' and never crash on any input; tests/unit/test-ofp-msg.c
 * feeds them every truncation and random corruptions of valid messages,
 * and tests/fuzz/ has a libFuzzer target.
 *
 * Errors
 * ======
 *
 * A refusal is an 'enum ft_ofperr' (the meaning, version-neutral) and a
 * reason a person can act on ("OXM field 0x8000/39 (OXM_OF_PBB_ISID) is
 * not supported").  ft_ofperr_type_code() maps the meaning to the type and
 * code of the version spoken, from one table.
 */
#ifndef FLOWTIER_MGMT_OFP_MSG_H
#define FLOWTIER_MGMT_OFP_MSG_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/error.h"
#include "flowtier/flow.h"
#include "mgmt/flowsyntax/ofp-flow.h"

#define FT_OFP10_VERSION 0x01
#define FT_OFP13_VERSION 0x04
#define FT_OFP_HEADER_LEN 8
#define FT_OFP_MAX_MSG_LEN 65535
#define FT_OFP_NO_BUFFER 0xffffffffu
#define FT_OFP_MISS_SEND_LEN 128        /* OFP_DEFAULT_MISS_SEND_LEN. */

/* The messages the switch knows, whatever their number in a version. */
enum ft_ofp_type {
    FT_OFPT_HELLO,
    FT_OFPT_ERROR,
    FT_OFPT_ECHO_REQUEST,
    FT_OFPT_ECHO_REPLY,
    FT_OFPT_VENDOR,             /* OF1.0 VENDOR, OF1.3 EXPERIMENTER. */
    FT_OFPT_FEATURES_REQUEST,
    FT_OFPT_FEATURES_REPLY,
    FT_OFPT_GET_CONFIG_REQUEST,
    FT_OFPT_GET_CONFIG_REPLY,
    FT_OFPT_SET_CONFIG,
    FT_OFPT_PACKET_IN,
    FT_OFPT_FLOW_REMOVED,
    FT_OFPT_PORT_STATUS,
    FT_OFPT_PACKET_OUT,
    FT_OFPT_FLOW_MOD,
    FT_OFPT_GROUP_MOD,
    FT_OFPT_PORT_MOD,
    FT_OFPT_TABLE_MOD,
    FT_OFPT_STATS_REQUEST,      /* OF1.3 MULTIPART_REQUEST. */
    FT_OFPT_STATS_REPLY,
    FT_OFPT_BARRIER_REQUEST,
    FT_OFPT_BARRIER_REPLY,
    FT_OFPT_QUEUE_GET_CONFIG_REQUEST,
    FT_OFPT_ROLE_REQUEST,
    FT_OFPT_ROLE_REPLY,
    FT_OFPT_GET_ASYNC_REQUEST,
    FT_OFPT_GET_ASYNC_REPLY,
    FT_OFPT_SET_ASYNC,
    FT_OFPT_METER_MOD,
    FT_OFPT_UNKNOWN,
};

/* Multipart (stats) kinds; the numbers are OpenFlow's, the same in 1.0
 * and 1.3 for the ones 1.0 has. */
enum ft_ofp_stats_type {
    FT_OFPST_DESC = 0,
    FT_OFPST_FLOW = 1,
    FT_OFPST_AGGREGATE = 2,
    FT_OFPST_TABLE = 3,
    FT_OFPST_PORT = 4,
    FT_OFPST_QUEUE = 5,
    FT_OFPST_GROUP = 6,
    FT_OFPST_GROUP_DESC = 7,
    FT_OFPST_GROUP_FEATURES = 8,
    FT_OFPST_METER = 9,
    FT_OFPST_METER_CONFIG = 10,
    FT_OFPST_METER_FEATURES = 11,
    FT_OFPST_TABLE_FEATURES = 12,
    FT_OFPST_PORT_DESC = 13,
    FT_OFPST_VENDOR = 0xffff,
};

/* The refusals, version-neutral (see ft_ofperr_type_code()). */
enum ft_ofperr {
    FT_OFPERR_HELLO_INCOMPATIBLE,
    FT_OFPERR_BAD_VERSION,
    FT_OFPERR_BAD_TYPE,
    FT_OFPERR_BAD_STAT,
    FT_OFPERR_BAD_VENDOR,
    FT_OFPERR_BAD_SUBTYPE,
    FT_OFPERR_BAD_LEN,
    FT_OFPERR_BUFFER_UNKNOWN,
    FT_OFPERR_BAD_TABLE_ID,
    FT_OFPERR_BAD_PORT,
    FT_OFPERR_ACTION_BAD_TYPE,
    FT_OFPERR_ACTION_BAD_LEN,
    FT_OFPERR_ACTION_BAD_VENDOR,
    FT_OFPERR_ACTION_BAD_SUBTYPE,
    FT_OFPERR_ACTION_BAD_OUT_PORT,
    FT_OFPERR_ACTION_BAD_ARGUMENT,
    FT_OFPERR_ACTION_BAD_OUT_GROUP,
    FT_OFPERR_ACTION_BAD_SET_TYPE,
    FT_OFPERR_ACTION_BAD_SET_LEN,
    FT_OFPERR_ACTION_BAD_SET_ARGUMENT,
    FT_OFPERR_INST_UNKNOWN,
    FT_OFPERR_INST_UNSUP,
    FT_OFPERR_INST_BAD_LEN,
    FT_OFPERR_MATCH_BAD_TYPE,
    FT_OFPERR_MATCH_BAD_LEN,
    FT_OFPERR_MATCH_BAD_FIELD,
    FT_OFPERR_MATCH_BAD_VALUE,
    FT_OFPERR_MATCH_BAD_MASK,
    FT_OFPERR_MATCH_BAD_PREREQ,
    FT_OFPERR_MATCH_DUP_FIELD,
    FT_OFPERR_FLOW_MOD_UNKNOWN,
    FT_OFPERR_FLOW_MOD_TABLE_FULL,
    FT_OFPERR_FLOW_MOD_BAD_COMMAND,
    FT_OFPERR_FLOW_MOD_BAD_FLAGS,
    FT_OFPERR_FLOW_MOD_EPERM,
    FT_OFPERR_METER_UNKNOWN,
    FT_OFPERR_SWITCH_CONFIG_BAD_FLAGS,
    FT_OFPERR_ROLE_BAD_ROLE,
    FT_OFPERR_ROLE_STALE,
    FT_OFPERR_MULTIPART_BUFFER_OVERFLOW,
    FT_N_OFPERRS
};

/* A refusal: what OpenFlow calls it and why, for a person. */
struct ft_ofp_error {
    enum ft_ofperr id;
    struct ft_error err;
};

/* Records 'id' and a reason in 'oe' (may be NULL); returns -EINVAL. */
int ft_ofperr_set(struct ft_ofp_error *oe, enum ft_ofperr id,
                  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The type and code of 'id' in 'version'. */
void ft_ofperr_type_code(enum ft_ofperr id, uint8_t version, uint16_t *type,
                         uint16_t *code);

/* Name of 'id' as ovs-ofctl prints it ("OFPBRC_BAD_LEN"). */
const char *ft_ofperr_name(enum ft_ofperr id);

/* ---- A growable byte buffer for encoding. ---- */

struct ft_ofpbuf {
    uint8_t *data;
    size_t size, allocated;
};

void ft_ofpbuf_init(struct ft_ofpbuf *);
void ft_ofpbuf_uninit(struct ft_ofpbuf *);
/* Appends 'n' zero bytes and returns them. */
uint8_t *ft_ofpbuf_put_zeros(struct ft_ofpbuf *, size_t n);
void ft_ofpbuf_put(struct ft_ofpbuf *, const void *, size_t n);
void ft_ofpbuf_put_u8(struct ft_ofpbuf *, uint8_t);
void ft_ofpbuf_put_be16(struct ft_ofpbuf *, uint16_t);
void ft_ofpbuf_put_be32(struct ft_ofpbuf *, uint32_t);
void ft_ofpbuf_put_be64(struct ft_ofpbuf *, uint64_t);
/* Pads with zeros to a multiple of 8 bytes from offset 'start'. */
void ft_ofpbuf_pad8(struct ft_ofpbuf *, size_t start);
/* Writes big-endian 16 bits at 'ofs' (inside the buffer). */
void ft_ofpbuf_set_be16(struct ft_ofpbuf *, size_t ofs, uint16_t);
void ft_ofpbuf_clear(struct ft_ofpbuf *);
/* Drops the first 'n' bytes. */
void ft_ofpbuf_pull(struct ft_ofpbuf *, size_t n);

/* Big-endian reads from a buffer known to hold them. */
uint16_t ft_ofp_get16(const uint8_t *);
uint32_t ft_ofp_get32(const uint8_t *);
uint64_t ft_ofp_get64(const uint8_t *);

/* ---- Headers and the message table. ---- */

struct ft_ofp_header {
    uint8_t version;
    uint8_t wire_type;
    uint16_t length;
    uint32_t xid;
    enum ft_ofp_type type;      /* FT_OFPT_UNKNOWN if not in the table. */
};

/* Reads the header at 'buf' ('len' bytes available, >= 8).  Returns 0 and
 * 'h' when the header is complete, whatever its type. */
void ft_ofp_header_read(const uint8_t *buf, struct ft_ofp_header *h);

/* Checks the whole message 'buf' of 'h->length' bytes: a version the
 * switch speaks ('version', the negotiated one, or any known one for a
 * HELLO), a type known in that version, and at least the fixed length of
 * that type (exactly it where the type has no variable part).  Returns 0
 * or -EINVAL with 'oe'. */
int ft_ofp_msg_check(const struct ft_ofp_header *h, uint8_t version,
                     struct ft_ofp_error *oe);

/* Appends a header of 'type' in 'version' with 'xid' and a zero length
 * (fixed by ft_ofp_msg_finish()); returns its offset. */
size_t ft_ofp_msg_start(struct ft_ofpbuf *, uint8_t version,
                        enum ft_ofp_type type, uint32_t xid);
/* Writes the length of the message started at 'start'. */
void ft_ofp_msg_finish(struct ft_ofpbuf *, size_t start);

/* Versions a HELLO offers: its version bitmap element if present, else
 * every version up to the header's.  Returns the bitmap of versions
 * (bit N = version N) or 0 with 'oe' if the HELLO is malformed. */
uint32_t ft_ofp_hello_versions(const uint8_t *msg, size_t len,
                               struct ft_ofp_error *oe);

/* Appends a HELLO offering 'bitmap'. */
void ft_ofp_put_hello(struct ft_ofpbuf *, uint8_t version, uint32_t bitmap,
                      uint32_t xid);

/* Appends an ERROR of 'id' in 'version' for the request 'req' of
 * 'req_len' bytes (its first 64 bytes are the error's data) or, when
 * 'req' is NULL, with 'text' as data (HELLO_FAILED). */
void ft_ofp_put_error(struct ft_ofpbuf *, uint8_t version, uint32_t xid,
                      enum ft_ofperr id, const uint8_t *req, size_t req_len,
                      const char *text);

/* ---- Ports. ---- */

/* OpenFlow port number in 'version' <-> FlowTier's (16-bit, OF1.0 style;
 * OF1.3 reserved ports 0xfffffff8.. map to 0xfff8..).  Returns 0 or
 * -EINVAL for a number FlowTier cannot hold. */
int ft_ofp_port_from_wire(uint8_t version, uint32_t wire, ft_port_no *port);
uint32_t ft_ofp_port_to_wire(uint8_t version, ft_port_no port);

/* ---- Matches. ---- */

/* Decodes an OF1.0 'struct ofp_match' (40 bytes at 'p'). */
int ft_ofp10_match_decode(const uint8_t *p, struct ft_match *match,
                          struct ft_ofp_error *oe);
void ft_ofp10_match_encode(const struct ft_match *, struct ft_ofpbuf *);

/* Decodes an OF1.3 'struct ofp_match' (OXM) at 'p' with 'len' bytes
 * available; '*match_len' gets its length with padding.  Refuses
 * duplicate fields, unknown fields, bad masks and fields whose
 * prerequisites the match does not give. */
int ft_oxm_match_decode(const uint8_t *p, size_t len, struct ft_match *match,
                        size_t *match_len, struct ft_ofp_error *oe);
void ft_oxm_match_encode(const struct ft_match *, struct ft_ofpbuf *);

/* One OXM TLV (set_field's argument): decodes the field and value at 'p'
 * ('len' bytes).  Returns the TLV's length (> 0) or -EINVAL with 'oe'. */
int ft_oxm_field_decode(const uint8_t *p, size_t len,
                        const struct ft_field **field, union ft_value *value,
                        union ft_value *mask, bool *has_mask,
                        struct ft_ofp_error *oe);
/* Appends field 'f' = value/mask as an OXM TLV (NULL mask: exact).
 * Returns 0, or -ENOENT if 'f' has no OXM or NXM number. */
int ft_oxm_field_encode(const struct ft_field *f, const union ft_value *value,
                        const union ft_value *mask, struct ft_ofpbuf *);

/* Which fields ft_oxm_headers() lists. */
enum ft_oxm_headers_kind {
    FT_OXM_HEADERS_MATCH,       /* Every field matched; the mask bit set on
                                 * those that take arbitrary masks. */
    FT_OXM_HEADERS_WILDCARDS,   /* Every field matched, no mask bit. */
    FT_OXM_HEADERS_WRITABLE,    /* Those set_field can set. */
};

/* Puts into 'headers' (room for 'max') the OXM headers (class, field, mask
 * bit, length) of the fields of 'kind'; returns how many. */
size_t ft_oxm_headers(uint32_t *headers, size_t max,
                      enum ft_oxm_headers_kind kind);

/* ---- Actions and instructions. ---- */

/* Decodes OF1.0 actions ('len' bytes at 'p') or OF1.3 instructions into
 * 'acts' (initialized).  'match' is the rule's match, for checks that
 * depend on it. */
int ft_ofp10_actions_decode(const uint8_t *p, size_t len,
                            struct ft_ofpacts *acts, struct ft_ofp_error *oe);
int ft_ofp13_instructions_decode(const uint8_t *p, size_t len,
                                 struct ft_ofpacts *acts,
                                 struct ft_ofp_error *oe);
/* OF1.3 actions without instructions (PACKET_OUT, APPLY_ACTIONS). */
int ft_ofp13_actions_decode(const uint8_t *p, size_t len,
                            struct ft_ofpacts *acts, struct ft_ofp_error *oe);

/* A packet-out's actions in 'version' (output to TABLE allowed). */
int ft_ofp_packet_out_actions_decode(uint8_t version, const uint8_t *p,
                                     size_t len, struct ft_ofpacts *acts,
                                     struct ft_ofp_error *oe);

/* Appends 'acts' as OF1.0 actions or OF1.3 instructions.  'match' decides
 * whether an OF1.0-style mod_vlan_vid needs a push_vlan in OF1.3. */
void ft_ofp10_actions_encode(const struct ft_ofpacts *, struct ft_ofpbuf *);
void ft_ofp13_instructions_encode(const struct ft_ofpacts *,
                                  const struct ft_match *match,
                                  struct ft_ofpbuf *);

/* ---- FLOW_MOD. ---- */

#define FT_OFPFF_SEND_FLOW_REM 0x0001
#define FT_OFPFF_CHECK_OVERLAP 0x0002
#define FT_OFPFF_RESET_COUNTS  0x0004
#define FT_OFPFF_NO_PKT_COUNTS 0x0008
#define FT_OFPFF_NO_BYT_COUNTS 0x0010

struct ft_ofp_flow_mod {
    enum ft_flow_cmd cmd;
    struct ft_flow_spec spec;   /* Owned; ft_ofp_flow_mod_uninit(). */
    uint32_t buffer_id;
    ft_port_no out_port;        /* FT_PORT_NONE: any. */
    uint32_t out_group;         /* 0xffffffff: any. */
    uint16_t flags;             /* FT_OFPFF_*. */
};

void ft_ofp_flow_mod_uninit(struct ft_ofp_flow_mod *);

/* Decodes FLOW_MOD 'msg' ('len' bytes, header included).  With
 * 'table_id_ext' an OF1.0 command's upper byte is the table
 * (NXT_FLOW_MOD_TABLE_ID).  'fm' is initialized here and must be
 * uninitialized by the caller whatever the result. */
int ft_ofp_flow_mod_decode(const uint8_t *msg, size_t len, uint8_t version,
                           bool table_id_ext, struct ft_ofp_flow_mod *fm,
                           struct ft_ofp_error *oe);

/* ---- PACKET_OUT and PACKET_IN. ---- */

struct ft_ofp_packet_out {
    ft_port_no in_port;
    struct ft_ofpacts actions;  /* Owned: ft_ofpacts_uninit(). */
    const uint8_t *data;        /* Inside the message. */
    size_t len;
};

/* Decodes PACKET_OUT 'msg' ('len' bytes); 'po->actions' is initialized
 * here and must be uninitialized by the caller whatever the result.
 * Refuses a buffer id (FlowTier buffers nothing) and a frame shorter than
 * an Ethernet header. */
int ft_ofp_packet_out_decode(const uint8_t *msg, size_t len, uint8_t version,
                             struct ft_ofp_packet_out *po,
                             struct ft_ofp_error *oe);

#define FT_OFPR_NO_MATCH 0
#define FT_OFPR_ACTION 1

struct ft_ofp_packet_in {
    uint8_t reason;             /* FT_OFPR_*. */
    uint8_t table_id;
    uint64_t cookie;
    ft_port_no in_port;
    const uint8_t *data;
    size_t len;                 /* Bytes of 'data' to send. */
    size_t total_len;           /* The frame's whole length. */
};

/* Appends a PACKET_IN (buffer_id none) in 'version'. */
void ft_ofp_put_packet_in(struct ft_ofpbuf *, uint8_t version,
                          const struct ft_ofp_packet_in *);

/* A rule that left the tables, for FLOW_REMOVED. */
struct ft_ofp_flow_removed {
    const struct ft_flow_spec *spec;
    uint8_t reason;             /* OFPRR_*: 0 idle, 1 hard, 2 delete. */
    long long int duration_ms;
    uint64_t n_packets, n_bytes;
};

/* Appends a FLOW_REMOVED in 'version' (OF1.0 has no table id or
 * hard_timeout: they are left out). */
void ft_ofp_put_flow_removed(struct ft_ofpbuf *, uint8_t version,
                             const struct ft_ofp_flow_removed *);

/* ---- Multipart requests and replies. ---- */

struct ft_ofp_stats_request {
    enum ft_ofp_stats_type type;
    uint16_t flags;
    /* FLOW and AGGREGATE: */
    uint8_t table_id;
    ft_port_no out_port;
    uint32_t out_group;
    uint64_t cookie, cookie_mask;
    struct ft_match match;
    /* PORT (and PORT_DESC in OF1.5, not here): */
    ft_port_no port;            /* FT_PORT_NONE: all ports. */
};

/* Decodes STATS/MULTIPART_REQUEST 'msg' ('len' bytes). */
int ft_ofp_stats_request_decode(const uint8_t *msg, size_t len,
                                uint8_t version,
                                struct ft_ofp_stats_request *req,
                                struct ft_ofp_error *oe);

/* A multipart reply being built: entries go into 'out' as one or more
 * messages of at most FT_OFP_MAX_MSG_LEN bytes, each but the last with
 * the MORE flag. */
struct ft_ofp_mp_reply {
    struct ft_ofpbuf *out;
    uint8_t version;
    uint32_t xid;
    uint16_t stats_type;
    size_t start;               /* Offset of the current message. */
};

void ft_ofp_mp_start(struct ft_ofp_mp_reply *, struct ft_ofpbuf *out,
                     uint8_t version, uint32_t xid, uint16_t stats_type);
/* Call before appending an entry of at most 'max_len' bytes. */
void ft_ofp_mp_prepare(struct ft_ofp_mp_reply *, size_t max_len);
void ft_ofp_mp_finish(struct ft_ofp_mp_reply *);

/* One rule of a FLOW reply. */
struct ft_ofp_flow_stats {
    const struct ft_flow_spec *spec;
    long long int duration_ms;
    uint64_t n_packets, n_bytes;
    uint16_t flags;
};

void ft_ofp_put_flow_stats(struct ft_ofp_mp_reply *,
                           const struct ft_ofp_flow_stats *);
void ft_ofp_put_aggregate(struct ft_ofp_mp_reply *, uint64_t n_packets,
                          uint64_t n_bytes, uint32_t n_flows);

/* One port, for FEATURES (OF1.0), PORT_DESC and PORT_STATUS. */
struct ft_ofp_port {
    ft_port_no port;
    struct ft_eth_addr hw_addr;
    char name[16];
    uint32_t config, state;     /* OFPPC_*, OFPPS_*. */
    uint32_t curr;              /* OFPPF_* of the current link. */
    uint32_t curr_speed;        /* kbps (OF1.3). */
};

#define FT_OFPPC_PORT_DOWN 0x1
#define FT_OFPPS_LINK_DOWN 0x1
#define FT_OFPPS_LIVE 0x4       /* OF1.3. */

void ft_ofp_put_port(struct ft_ofpbuf *, uint8_t version,
                     const struct ft_ofp_port *);

#define FT_OFPPR_ADD 0
#define FT_OFPPR_DELETE 1
#define FT_OFPPR_MODIFY 2

/* Appends a PORT_STATUS of 'reason' (FT_OFPPR_*) for 'port'. */
void ft_ofp_put_port_status(struct ft_ofpbuf *, uint8_t version,
                            uint8_t reason, const struct ft_ofp_port *port);

/* Port counters; UINT64_MAX prints as "?" in ovs-ofctl. */
struct ft_ofp_port_stats {
    ft_port_no port;
    uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
    uint64_t rx_dropped, tx_dropped, rx_errors, tx_errors;
    uint64_t rx_frame_err, rx_over_err, rx_crc_err, collisions;
    long long int duration_ms;
};

void ft_ofp_put_port_stats(struct ft_ofp_mp_reply *,
                           const struct ft_ofp_port_stats *);

struct ft_ofp_table_stats {
    uint8_t table_id;
    uint32_t active_count;
    uint64_t lookup_count, matched_count;
};

void ft_ofp_put_table_stats(struct ft_ofp_mp_reply *,
                            const struct ft_ofp_table_stats *);
void ft_ofp_put_desc(struct ft_ofp_mp_reply *, const char *dp_desc);

/* One OF1.3 table features entry for table 'table_id' of 'n_tables', with
 * the properties ovs-ofctl requires: the instructions, next tables,
 * actions and fields FlowTier supports. */
void ft_ofp_put_table_features(struct ft_ofp_mp_reply *, uint8_t table_id,
                               uint8_t n_tables);

/* FEATURES_REPLY: OF1.0 carries the ports, OF1.3 none. */
void ft_ofp_put_features(struct ft_ofpbuf *, uint8_t version, uint32_t xid,
                         uint64_t dpid, const struct ft_ofp_port *ports,
                         size_t n_ports);

#endif /* mgmt/openflow/ofp-msg.h */

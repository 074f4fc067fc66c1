/*
 * ofconn.c - the switch's side of one OpenFlow 1.0 / 1.3 connection:
 * HELLO and version negotiation, then one handler per message type, from
 * a table.
 *
 * Part of mgmt/openflow/ (see ofconn.h).  Reads the bridge through
 * mgmt/bridge/bridge.h; changes its flow table only through the
 * 'flow_mods' callback.  Bytes in, bytes out: no socket here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/openflow/ofconn.h"
#include "mgmt/daemon/log.h"
#include "mgmt/ofproto/oftable.h"

#define VERSIONS_BITMAP ((1u << FT_OFP10_VERSION) | (1u << FT_OFP13_VERSION))

#define NX_VENDOR_ID 0x00002320
#define NXT_SET_FLOW_FORMAT 12
#define NXT_FLOW_MOD_TABLE_ID 15

#define OFPCR_ROLE_NOCHANGE 0
#define OFPCR_ROLE_EQUAL 1
#define OFPCR_ROLE_MASTER 2
#define OFPCR_ROLE_SLAVE 3

/* Asynchronous messages a connection gets (OpenFlow 1.3 SET_ASYNC):
 * one bitmap of reasons per kind, for the master and equal roles
 * (ASYNC_MASTER) and for the slave role (ASYNC_SLAVE), as on the wire. */
enum { ASYNC_PACKET_IN, ASYNC_PORT_STATUS, ASYNC_FLOW_REMOVED, N_ASYNC };
enum { ASYNC_MASTER, ASYNC_SLAVE };

/* The reasons each kind has in OpenFlow 1.3; a SET_ASYNC's other bits are
 * dropped, as Open vSwitch does (packet-in: no_match, action,
 * invalid_ttl; port status: add, delete, modify; flow removed: idle,
 * hard, delete, group_delete, and OpenFlow 1.4's meter_delete and
 * eviction, which Open vSwitch keeps too). */
static const uint32_t async_known[N_ASYNC] = { 0x7, 0x7, 0x3f };

/* Defaults, as Open vSwitch's for OpenFlow 1.0 and 1.3: the master (and
 * equal) role gets packet-ins of no_match and action, every port status
 * and every flow removed reason; the slave role only port status. */
static const uint32_t async_default[2][N_ASYNC] = {
    [ASYNC_MASTER] = { 0x3, 0x7, 0xf },
    [ASYNC_SLAVE] = { 0x0, 0x7, 0x0 },
};

/* FLOW_MODs applied together, at most (see "Batches" below). */
#define MAX_BATCH 4096

/* A decoded FLOW_MOD waiting in the batch. */
struct pending_fm {
    struct ft_ofp_flow_mod fm;
    uint8_t head[64];           /* The message's start, for an ERROR. */
    size_t len;                 /* Bytes in 'head'. */
    uint32_t xid;
};

struct ft_ofconn {
    struct ft_ofconn_switch sw;
    uint8_t version;            /* 0 until HELLO is received. */
    bool table_id_ext;          /* NXT_FLOW_MOD_TABLE_ID is on. */
    uint16_t config_flags;
    uint16_t miss_send_len;
    uint32_t role;
    bool service;               /* See ft_ofconn_create(). */
    bool async;                 /* Wants asynchronous messages. */
    uint32_t async_masks[2][N_ASYNC];   /* ASYNC_MASTER/SLAVE, by kind. */
    struct ft_ofpbuf rx, tx;
    bool failed;
    struct pending_fm *batch;
    size_t n_batch;
    uint32_t echo_xid;          /* Of the last inactivity probe. */
    struct ft_ofpbuf mp_req;    /* A multipart request being reassembled
                                 * (OFPMPF_REQ_MORE), or empty. */
};

/* One message being handled. */
struct ofmsg {
    const uint8_t *data;
    size_t len;
    struct ft_ofp_header h;
};

typedef int ofmsg_handler(struct ft_ofconn *, const struct ofmsg *,
                          struct ft_ofp_error *);

struct ft_ofconn *
ft_ofconn_create(const struct ft_ofconn_switch *sw, bool service)
{
    struct ft_ofconn *c = calloc(1, sizeof *c);

    if (!c) {
        abort();
    }
    c->sw = *sw;
    c->service = service;
    c->async = !service;
    c->miss_send_len = FT_OFP_MISS_SEND_LEN;
    memcpy(c->async_masks, async_default, sizeof c->async_masks);
    ft_ofpbuf_init(&c->rx);
    ft_ofpbuf_init(&c->tx);
    ft_ofpbuf_init(&c->mp_req);
    ft_ofp_put_hello(&c->tx, FT_OFP13_VERSION, VERSIONS_BITMAP, 0);
    return c;
}

static void flush_batch(struct ft_ofconn *);

void
ft_ofconn_destroy(struct ft_ofconn *c)
{
    if (c) {
        flush_batch(c);
        free(c->batch);
        ft_ofpbuf_uninit(&c->rx);
        ft_ofpbuf_uninit(&c->tx);
        ft_ofpbuf_uninit(&c->mp_req);
        free(c);
    }
}

struct ft_ofpbuf *
ft_ofconn_output(struct ft_ofconn *c)
{
    return &c->tx;
}

uint8_t
ft_ofconn_version(const struct ft_ofconn *c)
{
    return c->version;
}

/* ---- Handlers. ---- */

static int
handle_hello(struct ft_ofconn *c, const struct ofmsg *m,
             struct ft_ofp_error *oe)
{
    uint32_t theirs = ft_ofp_hello_versions(m->data, m->len, oe);
    uint32_t common = theirs & VERSIONS_BITMAP;
    char text[128];

    if (c->version) {
        return 0;               /* A second HELLO changes nothing. */
    }
    if (!common) {
        snprintf(text, sizeof text, "We support versions 0x01 and 0x04, "
                 "you support bitmap 0x%08x, no common versions.", theirs);
        ft_ofp_put_error(&c->tx, m->h.version < FT_OFP13_VERSION
                         ? m->h.version : FT_OFP13_VERSION, m->h.xid,
                         FT_OFPERR_HELLO_INCOMPATIBLE, NULL, 0, text);
        c->failed = true;
        return 0;
    }
    c->version = common & (1u << FT_OFP13_VERSION) ? FT_OFP13_VERSION
                 : FT_OFP10_VERSION;
    return 0;
}

static int
handle_echo(struct ft_ofconn *c, const struct ofmsg *m,
            struct ft_ofp_error *oe)
{
    size_t start = ft_ofp_msg_start(&c->tx, c->version, FT_OFPT_ECHO_REPLY,
                                    m->h.xid);

    (void) oe;
    ft_ofpbuf_put(&c->tx, m->data + FT_OFP_HEADER_LEN,
                  m->len - FT_OFP_HEADER_LEN);
    ft_ofp_msg_finish(&c->tx, start);
    return 0;
}

static int
handle_ignore(struct ft_ofconn *c, const struct ofmsg *m,
              struct ft_ofp_error *oe)
{
    (void) c, (void) m, (void) oe;
    return 0;
}

static int
handle_features(struct ft_ofconn *c, const struct ofmsg *m,
                struct ft_ofp_error *oe)
{
    struct ft_ofp_port *ports = NULL;
    size_t n = c->sw.ports(c->sw.aux, &ports);

    (void) oe;
    ft_ofp_put_features(&c->tx, c->version, m->h.xid, c->sw.dpid, ports, n);
    free(ports);
    return 0;
}

static int
handle_get_config(struct ft_ofconn *c, const struct ofmsg *m,
                  struct ft_ofp_error *oe)
{
    size_t start = ft_ofp_msg_start(&c->tx, c->version,
                                    FT_OFPT_GET_CONFIG_REPLY, m->h.xid);

    (void) oe;
    ft_ofpbuf_put_be16(&c->tx, c->config_flags);
    ft_ofpbuf_put_be16(&c->tx, c->miss_send_len);
    ft_ofp_msg_finish(&c->tx, start);
    return 0;
}

static int
handle_set_config(struct ft_ofconn *c, const struct ofmsg *m,
                  struct ft_ofp_error *oe)
{
    uint16_t flags = ft_ofp_get16(m->data + 8);

    if (flags & 3) {
        return ft_ofperr_set(oe, FT_OFPERR_SWITCH_CONFIG_BAD_FLAGS,
                             "fragment handling %u is not supported (only "
                             "\"normal\", 0)", flags & 3);
    }
    c->config_flags = flags;
    c->miss_send_len = ft_ofp_get16(m->data + 10);
    c->async = true;
    return 0;
}

static int
handle_barrier(struct ft_ofconn *c, const struct ofmsg *m,
               struct ft_ofp_error *oe)
{
    size_t start = ft_ofp_msg_start(&c->tx, c->version,
                                    FT_OFPT_BARRIER_REPLY, m->h.xid);

    (void) oe;
    ft_ofp_msg_finish(&c->tx, start);
    return 0;
}

/* True if the connection gets asynchronous messages of 'kind' for
 * 'reason' in its current role. */
static bool
async_wanted(const struct ft_ofconn *c, int kind, unsigned int reason)
{
    int role = c->role == OFPCR_ROLE_SLAVE ? ASYNC_SLAVE : ASYNC_MASTER;

    if (!c->version || !c->async || c->failed || reason >= 32) {
        return false;
    }
    return c->async_masks[role][kind] & (1u << reason);
}

/* OpenFlow 1.3 SET_ASYNC: packet_in_mask[2], port_status_mask[2],
 * flow_removed_mask[2] (master/equal, then slave).  As in Open vSwitch, a
 * connection of the management socket gets asynchronous messages from
 * then on, as after a SET_CONFIG. */
static int
handle_set_async(struct ft_ofconn *c, const struct ofmsg *m,
                 struct ft_ofp_error *oe)
{
    (void) oe;
    for (int kind = 0; kind < N_ASYNC; kind++) {
        for (int role = ASYNC_MASTER; role <= ASYNC_SLAVE; role++) {
            uint32_t v = ft_ofp_get32(m->data + 8 + 8 * kind + 4 * role);

            c->async_masks[role][kind] = v & async_known[kind];
        }
    }
    c->async = true;
    return 0;
}

static int
handle_get_async(struct ft_ofconn *c, const struct ofmsg *m,
                 struct ft_ofp_error *oe)
{
    size_t start = ft_ofp_msg_start(&c->tx, c->version,
                                    FT_OFPT_GET_ASYNC_REPLY, m->h.xid);

    (void) oe;
    for (int kind = 0; kind < N_ASYNC; kind++) {
        for (int role = ASYNC_MASTER; role <= ASYNC_SLAVE; role++) {
            ft_ofpbuf_put_be32(&c->tx, c->async_masks[role][kind]);
        }
    }
    ft_ofp_msg_finish(&c->tx, start);
    return 0;
}

/* The OpenFlow refusal for a flow change the bridge refused. */
static int
bridge_refusal(const struct ft_error *err, struct ft_ofp_error *oe)
{
    enum ft_ofperr id = FT_OFPERR_FLOW_MOD_UNKNOWN;

    if (err->code == -ENOSPC) {
        id = FT_OFPERR_FLOW_MOD_TABLE_FULL;
    } else if (err->code == -ENOENT && strstr(err->reason, "meter")) {
        id = FT_OFPERR_METER_UNKNOWN;
    } else if (err->code == -EPERM) {
        id = FT_OFPERR_FLOW_MOD_EPERM;
    }
    return ft_ofperr_set(oe, id, "%s", err->reason);
}

static void
refuse(struct ft_ofconn *c, const char *name, uint32_t xid,
       const uint8_t *msg, size_t len, const struct ft_ofp_error *oe)
{
    ft_ofp_put_error(&c->tx, c->version, xid, oe->id, msg, len, NULL);
    if (c->sw.refused) {
        c->sw.refused(c->sw.aux, name, oe);
    }
}

/* Batches
 * =======
 *
 * Consecutive FLOW_MODs (ovs-ofctl add-flows, a controller's burst) are
 * applied as one batch: one check, one database transaction, one change
 * of the bridge, instead of one each.  OpenFlow makes each FLOW_MOD stand
 * alone, so if the batch is refused its FLOW_MODs are applied again one
 * by one and only the ones that fail get an ERROR.  The batch is applied
 * before any other message is handled (a BARRIER, a dump), so replies
 * keep their order, when it is full, and when the daemon calls
 * ft_ofconn_flush() (shortly after the peer stops sending). */
static void
flush_batch(struct ft_ofconn *c)
{
    struct ft_bridge_flow_op *ops;
    struct ft_ofp_error oe;
    struct ft_error err;
    size_t n = c->n_batch;

    if (!n) {
        return;
    }
    ops = calloc(n, sizeof *ops);
    if (!ops) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        ops[i].cmd = c->batch[i].fm.cmd;
        ops[i].spec = &c->batch[i].fm.spec;
    }
    ft_error_clear(&err);
    if (c->sw.flow_mods(c->sw.aux, ops, n, &err)) {
        for (size_t i = 0; i < n; i++) {
            struct pending_fm *p = &c->batch[i];

            ft_error_clear(&err);
            if (n == 1 || c->sw.flow_mods(c->sw.aux, &ops[i], 1, &err)) {
                bridge_refusal(&err, &oe);
                refuse(c, "FLOW_MOD", p->xid, p->head, p->len, &oe);
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        ft_ofp_flow_mod_uninit(&c->batch[i].fm);
    }
    free(ops);
    c->n_batch = 0;
}

static int
handle_flow_mod(struct ft_ofconn *c, const struct ofmsg *m,
                struct ft_ofp_error *oe)
{
    struct pending_fm *p;
    int error;

    if (c->role == OFPCR_ROLE_SLAVE) {
        return ft_ofperr_set(oe, FT_OFPERR_FLOW_MOD_EPERM, "a controller "
                             "in the slave role may not change flows");
    }
    if (c->n_batch == MAX_BATCH) {
        flush_batch(c);
    }
    if (!c->batch) {
        c->batch = calloc(MAX_BATCH, sizeof *c->batch);
        if (!c->batch) {
            abort();
        }
    }
    p = &c->batch[c->n_batch];
    error = ft_ofp_flow_mod_decode(m->data, m->len, c->version,
                                   c->table_id_ext, &p->fm, oe);
    if (error) {
        ft_ofp_flow_mod_uninit(&p->fm);
        flush_batch(c);         /* Earlier FLOW_MODs first. */
        return error;
    }
    p->len = m->len < sizeof p->head ? m->len : sizeof p->head;
    memcpy(p->head, m->data, p->len);
    p->xid = m->h.xid;
    c->n_batch++;
    return 0;
}

static int
handle_packet_out(struct ft_ofconn *c, const struct ofmsg *m,
                  struct ft_ofp_error *oe)
{
    struct ft_ofp_packet_out po;
    struct ft_error err;
    int error;

    if (c->role == OFPCR_ROLE_SLAVE) {
        return ft_ofperr_set(oe, FT_OFPERR_FLOW_MOD_EPERM, "a controller "
                             "in the slave role may not send packets");
    }
    error = ft_ofp_packet_out_decode(m->data, m->len, c->version, &po, oe);
    if (!error) {
        ft_error_clear(&err);
        error = c->sw.packet_out(c->sw.aux, po.in_port, &po.actions,
                                 po.data, po.len, &err);
        if (error) {
            error = ft_ofperr_set(oe, FT_OFPERR_ACTION_BAD_ARGUMENT, "%s",
                                  err.reason);
        }
    }
    ft_ofpacts_uninit(&po.actions);
    return error;
}

bool
ft_ofconn_packet_in(struct ft_ofconn *c, const struct ft_bridge_packet_in *pin)
{
    struct ft_ofp_packet_in p;
    size_t max_len = pin->max_len;

    p.reason = pin->reason == FT_USERSPACE_CONTROLLER ? FT_OFPR_ACTION
               : FT_OFPR_NO_MATCH;
    if (!async_wanted(c, ASYNC_PACKET_IN, p.reason)) {
        return false;
    }
    if (pin->reason == FT_USERSPACE_NO_MATCH) {
        /* OpenFlow 1.0's table-miss; OpenFlow 1.3 drops (OVS alike). */
        if (c->version != FT_OFP10_VERSION) {
            return false;
        }
        max_len = c->miss_send_len;
    }
    p.table_id = pin->table_id;
    p.cookie = pin->cookie;
    p.in_port = pin->in_port;
    p.data = pin->data;
    p.total_len = pin->len;
    p.len = max_len < pin->len ? max_len : pin->len;
    ft_ofp_put_packet_in(&c->tx, c->version, &p);
    return true;
}

bool
ft_ofconn_flow_removed(struct ft_ofconn *c,
                       const struct ft_bridge_flow_removed *fr)
{
    struct ft_ofp_flow_removed m;

    if (!async_wanted(c, ASYNC_FLOW_REMOVED, fr->reason)) {
        return false;
    }
    m.spec = &fr->rule->spec;
    m.reason = fr->reason;
    m.duration_ms = fr->now - fr->rule->created;
    m.n_packets = fr->rule->stats.n_packets;
    m.n_bytes = fr->rule->stats.n_bytes;
    ft_ofp_put_flow_removed(&c->tx, c->version, &m);
    return true;
}

bool
ft_ofconn_echo_request(struct ft_ofconn *c)
{
    size_t start;

    if (!c->version || c->failed) {
        return false;
    }
    start = ft_ofp_msg_start(&c->tx, c->version, FT_OFPT_ECHO_REQUEST,
                             ++c->echo_xid);
    ft_ofp_msg_finish(&c->tx, start);
    return true;
}

bool
ft_ofconn_has_pending(const struct ft_ofconn *c)
{
    return c->n_batch > 0;
}

void
ft_ofconn_flush(struct ft_ofconn *c)
{
    flush_batch(c);
}

bool
ft_ofconn_port_status(struct ft_ofconn *c, uint8_t reason,
                      const struct ft_ofp_port *port)
{
    if (!async_wanted(c, ASYNC_PORT_STATUS, reason)) {
        return false;
    }
    ft_ofp_put_port_status(&c->tx, c->version, reason, port);
    return true;
}

static int
handle_vendor(struct ft_ofconn *c, const struct ofmsg *m,
              struct ft_ofp_error *oe)
{
    uint32_t vendor = ft_ofp_get32(m->data + 8);
    uint32_t subtype;

    if (vendor != NX_VENDOR_ID || m->len < 16) {
        return ft_ofperr_set(oe, FT_OFPERR_BAD_VENDOR, "vendor 0x%08x: "
                             "no extension messages of that vendor are "
                             "supported", vendor);
    }
    subtype = ft_ofp_get32(m->data + 12);
    if (subtype == NXT_FLOW_MOD_TABLE_ID && m->len == 24
        && c->version == FT_OFP10_VERSION) {
        c->table_id_ext = m->data[16] != 0;
        return 0;
    }
    if (subtype == NXT_SET_FLOW_FORMAT && m->len == 20) {
        uint32_t format = ft_ofp_get32(m->data + 16);

        if (!format) {
            return 0;           /* The OpenFlow 1.0 match: what we speak. */
        }
        return ft_ofperr_set(oe, FT_OFPERR_BAD_SUBTYPE, "flow format %u "
                             "(NXM) is not supported with OpenFlow 1.0: "
                             "fields the 1.0 match lacks (IPv6, registers, "
                             "tunnel ids, cookie masks) need OpenFlow 1.3 "
                             "(ovs-ofctl -O OpenFlow13)", format);
    }
    return ft_ofperr_set(oe, FT_OFPERR_BAD_SUBTYPE, "Nicira extension "
                         "message %u is not supported (the OpenFlow 1.0 "
                         "match and table ids are)", subtype);
}

void
ft_ofconn_demote(struct ft_ofconn *c)
{
    if (c->role == OFPCR_ROLE_MASTER) {
        c->role = OFPCR_ROLE_SLAVE;
    }
}

/* A master or slave request's generation id: refused if older than the
 * newest seen on the bridge (as a 64-bit sequence number, so it may wrap),
 * else it becomes the newest. */
static int
check_generation(struct ft_ofconn *c, uint64_t gen, struct ft_ofp_error *oe)
{
    struct ft_ofconn_roles *r = c->sw.roles;

    if (r->generation_set && (int64_t) (gen - r->generation) < 0) {
        return ft_ofperr_set(oe, FT_OFPERR_ROLE_STALE, "generation id "
                             "%#"PRIx64" is older than %#"PRIx64", the "
                             "newest a controller sent", gen, r->generation);
    }
    r->generation_set = true;
    r->generation = gen;
    return 0;
}

static int
handle_role(struct ft_ofconn *c, const struct ofmsg *m,
            struct ft_ofp_error *oe)
{
    uint32_t role = ft_ofp_get32(m->data + 8);
    uint64_t gen = ft_ofp_get64(m->data + 16);
    const struct ft_ofconn_roles *r = c->sw.roles;
    size_t start;

    if (role > OFPCR_ROLE_SLAVE) {
        return ft_ofperr_set(oe, FT_OFPERR_ROLE_BAD_ROLE, "role %u is not "
                             "nochange, equal, master or slave", role);
    }
    if ((role == OFPCR_ROLE_MASTER || role == OFPCR_ROLE_SLAVE)
        && check_generation(c, gen, oe)) {
        return -EINVAL;
    }
    if (role != OFPCR_ROLE_NOCHANGE) {
        c->role = role;
    }
    if (role == OFPCR_ROLE_MASTER && c->sw.new_master) {
        c->sw.new_master(c->sw.aux, c);
    }
    start = ft_ofp_msg_start(&c->tx, c->version, FT_OFPT_ROLE_REPLY,
                             m->h.xid);
    ft_ofpbuf_put_be32(&c->tx, c->role ? c->role : OFPCR_ROLE_EQUAL);
    ft_ofpbuf_put_zeros(&c->tx, 4);
    ft_ofpbuf_put_be64(&c->tx, r->generation_set ? r->generation : 0);
    ft_ofp_msg_finish(&c->tx, start);
    return 0;
}

static int
handle_unsupported(struct ft_ofconn *c, const struct ofmsg *m,
                   struct ft_ofp_error *oe)
{
    static const struct {
        enum ft_ofp_type type;
        const char *what;
    } names[] = {
        { FT_OFPT_GROUP_MOD, "groups are not supported" },
        { FT_OFPT_METER_MOD, "meters are not supported" },
        { FT_OFPT_PORT_MOD, "port configuration over OpenFlow is not "
          "supported (use 'flowtier set Interface')" },
        { FT_OFPT_TABLE_MOD, "table configuration is not supported" },
        { FT_OFPT_QUEUE_GET_CONFIG_REQUEST, "queues are not supported" },
    };
    const char *what = "this message is not supported";

    (void) c;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (names[i].type == m->h.type) {
            what = names[i].what;
        }
    }
    return ft_ofperr_set(oe, FT_OFPERR_BAD_TYPE, "message type %u: %s",
                         m->h.wire_type, what);
}

/* ---- Multipart. ---- */

struct flow_walk {
    struct ft_ofp_mp_reply *r;
    const struct ft_ofp_stats_request *req;
    long long int now;
    uint64_t n_packets, n_bytes;
    uint32_t n_flows;
};

static bool
outputs_to(const struct ft_flow_spec *spec, ft_port_no port)
{
    for (size_t i = 0; i < spec->actions.n; i++) {
        const struct ft_ofpact *a = &spec->actions.acts[i];

        if ((a->type == FT_OFPACT_OUTPUT && a->output.port == port)
            || (a->type == FT_OFPACT_CONTROLLER
                && port == FT_PORT_CONTROLLER)) {
            return true;
        }
    }
    return false;
}

static void
flow_walk_cb(const struct ft_ofrule *rule, void *aux_)
{
    struct flow_walk *w = aux_;
    struct ft_ofp_flow_stats fs;

    if (w->req->out_port != FT_PORT_NONE
        && !outputs_to(&rule->spec, w->req->out_port)) {
        return;
    }
    if (!w->r) {
        w->n_packets += rule->stats.n_packets;
        w->n_bytes += rule->stats.n_bytes;
        w->n_flows++;
        return;
    }
    fs.spec = &rule->spec;
    fs.duration_ms = w->now - rule->created;
    fs.n_packets = rule->stats.n_packets;
    fs.n_bytes = rule->stats.n_bytes;
    fs.flags = rule->spec.flags & FT_FLOW_F_SEND_FLOW_REM
               ? FT_OFPFF_SEND_FLOW_REM : 0;
    ft_ofp_put_flow_stats(w->r, &fs);
}

static void
walk_flows(struct ft_ofconn *c, const struct ft_ofp_stats_request *req,
           struct flow_walk *w)
{
    w->req = req;
    w->now = ft_time_msec();
    ft_bridge_dump_flows(c->sw.br, req->table_id >= FT_N_TABLES
                         ? FT_TABLE_ALL : req->table_id, &req->match,
                         req->cookie, req->cookie_mask, flow_walk_cb, w);
}

static void
stats_tables(struct ft_ofconn *c, struct ft_ofp_mp_reply *r)
{
    const struct ft_oftables *oft = ft_bridge_tables(c->sw.br);

    for (unsigned int t = 0; t < FT_N_TABLES; t++) {
        struct ft_ofp_stats_request req;
        struct flow_walk w;
        struct ft_ofp_table_stats ts;

        memset(&req, 0, sizeof req);
        memset(&w, 0, sizeof w);
        req.table_id = (uint8_t) t;
        req.out_port = FT_PORT_NONE;
        ts.table_id = (uint8_t) t;
        ts.active_count = (uint32_t) ft_cls_count(&oft->tables[t]);
        if (ts.active_count) {
            walk_flows(c, &req, &w);
        }
        /* The datapath counts packets per rule, not lookups per table:
         * both counters are the packets this table's rules matched. */
        ts.lookup_count = ts.matched_count = w.n_packets;
        ft_ofp_put_table_stats(r, &ts);
    }
}

struct port_walk {
    struct ft_ofp_mp_reply *r;
    ft_port_no port;
    size_t n;
};

static void
port_stats_cb(const struct ft_bridge_port_stats *ps, void *aux_)
{
    struct port_walk *w = aux_;
    struct ft_ofp_port_stats s;

    if (w->port != FT_PORT_NONE && w->port != ps->port) {
        return;
    }
    w->n++;
    if (!w->r) {
        return;
    }
    memset(&s, 0, sizeof s);
    s.port = ps->port;
    s.rx_packets = ps->rx_packets;
    s.tx_packets = ps->tx_packets;
    s.rx_bytes = ps->rx_bytes;
    s.tx_bytes = ps->tx_bytes;
    s.rx_dropped = ps->rx_dropped;
    s.tx_dropped = ps->tx_dropped;
    s.rx_errors = ps->rx_errors;
    s.tx_errors = ps->tx_errors;
    /* Not counted by the datapath: "?" in ovs-ofctl. */
    s.rx_frame_err = s.rx_over_err = s.rx_crc_err = s.collisions
        = UINT64_MAX;
    s.duration_ms = 0;
    ft_ofp_put_port_stats(w->r, &s);
}

static int
stats_ports(struct ft_ofconn *c, const struct ft_ofp_stats_request *req,
            struct ft_ofp_mp_reply *r, struct ft_ofp_error *oe)
{
    struct port_walk w = { NULL, req->port, 0 };

    if (req->port != FT_PORT_NONE) {
        ft_bridge_dump_ports(c->sw.br, port_stats_cb, &w);
        if (!w.n) {
            return ft_ofperr_set(oe, FT_OFPERR_BAD_PORT, "bridge %s has no "
                                 "open port %u", ft_bridge_name(c->sw.br),
                                 req->port);
        }
    }
    w.r = r;
    ft_bridge_dump_ports(c->sw.br, port_stats_cb, &w);
    return 0;
}

static void
stats_port_desc(struct ft_ofconn *c, struct ft_ofp_mp_reply *r)
{
    struct ft_ofp_port *ports = NULL;
    size_t n = c->sw.ports(c->sw.aux, &ports);

    for (size_t i = 0; i < n; i++) {
        ft_ofp_mp_prepare(r, 64);
        ft_ofp_put_port(r->out, r->version, &ports[i]);
    }
    free(ports);
}

static int
stats_refused(const struct ft_ofp_stats_request *req,
              struct ft_ofp_error *oe)
{
    const char *what = "is not supported";

    switch (req->type) {
    case FT_OFPST_GROUP:
    case FT_OFPST_GROUP_DESC:
    case FT_OFPST_GROUP_FEATURES:
        what = "(groups): FlowTier has no group table";
        break;
    case FT_OFPST_METER:
    case FT_OFPST_METER_CONFIG:
    case FT_OFPST_METER_FEATURES:
        what = "(meters): FlowTier has no meter table";
        break;
    case FT_OFPST_QUEUE:
        what = "(queues): FlowTier has no queues";
        break;
    case FT_OFPST_TABLE_FEATURES:
        what = "(setting table features) is not supported";
        break;
    default:
        break;
    }
    return ft_ofperr_set(oe, FT_OFPERR_BAD_STAT, "stats type %u %s",
                         req->type, what);
}

#define OFPMPF_REQ_MORE 1

/* OpenFlow 1.3 multipart requests in several messages: the parts (same
 * xid and type, each but the last with OFPMPF_REQ_MORE) are put together
 * into one request of at most FT_OFP_MAX_MSG_LEN bytes, which is then
 * handled as if it came whole.  Returns 1 while parts are missing, 0 with
 * '*m' the whole request (in 'c->mp_req' when it was reassembled), or
 * -EINVAL with 'oe'. */
static int
mp_reassemble(struct ft_ofconn *c, struct ofmsg *m, struct ft_ofp_error *oe)
{
    bool more = ft_ofp_get16(m->data + 10) & OFPMPF_REQ_MORE;
    struct ft_ofpbuf *b = &c->mp_req;

    if (c->version != FT_OFP13_VERSION || (!more && !b->size)) {
        return 0;
    }
    if (b->size && (ft_ofp_get32(b->data + 4) != m->h.xid
                    || ft_ofp_get16(b->data + 8)
                       != ft_ofp_get16(m->data + 8))) {
        ft_ofpbuf_clear(b);
        return ft_ofperr_set(oe, FT_OFPERR_BAD_STAT, "a multipart request "
                             "part of another xid or type came before the "
                             "last part of the one under way");
    }
    if (b->size + m->len - (b->size ? 16 : 0) > FT_OFP_MAX_MSG_LEN) {
        ft_ofpbuf_clear(b);
        return ft_ofperr_set(oe, FT_OFPERR_MULTIPART_BUFFER_OVERFLOW,
                             "multipart request parts over %d bytes in "
                             "all", FT_OFP_MAX_MSG_LEN);
    }
    if (!b->size) {
        ft_ofpbuf_put(b, m->data, m->len);
    } else {
        ft_ofpbuf_put(b, m->data + 16, m->len - 16);
    }
    if (more) {
        return 1;
    }
    ft_ofpbuf_set_be16(b, 2, (uint16_t) b->size);
    ft_ofpbuf_set_be16(b, 10, 0);
    m->data = b->data;
    m->len = b->size;
    return 0;
}

static int handle_stats__(struct ft_ofconn *, const struct ofmsg *,
                          struct ft_ofp_error *);

static int
handle_stats(struct ft_ofconn *c, const struct ofmsg *m_,
             struct ft_ofp_error *oe)
{
    struct ofmsg m = *m_;
    int error = mp_reassemble(c, &m, oe);

    if (error) {
        return error < 0 ? error : 0;
    }
    error = handle_stats__(c, &m, oe);
    ft_ofpbuf_clear(&c->mp_req);
    return error;
}

static int
handle_stats__(struct ft_ofconn *c, const struct ofmsg *m,
               struct ft_ofp_error *oe)
{
    struct ft_ofp_stats_request req;
    struct ft_ofp_mp_reply r;
    struct flow_walk w;
    size_t mark = c->tx.size;
    int error;

    error = ft_ofp_stats_request_decode(m->data, m->len, c->version, &req,
                                        oe);
    if (error) {
        return error;
    }
    if (req.type == FT_OFPST_TABLE_FEATURES
        && m->len > (c->version == FT_OFP10_VERSION ? 12u : 16u)) {
        return stats_refused(&req, oe);
    }
    ft_ofp_mp_start(&r, &c->tx, c->version, m->h.xid, req.type);
    memset(&w, 0, sizeof w);
    switch (req.type) {
    case FT_OFPST_DESC:
        ft_ofp_put_desc(&r, ft_bridge_name(c->sw.br));
        break;
    case FT_OFPST_FLOW:
        w.r = &r;
        walk_flows(c, &req, &w);
        break;
    case FT_OFPST_AGGREGATE:
        walk_flows(c, &req, &w);
        ft_ofp_put_aggregate(&r, w.n_packets, w.n_bytes, w.n_flows);
        break;
    case FT_OFPST_TABLE:
        stats_tables(c, &r);
        break;
    case FT_OFPST_PORT:
        error = stats_ports(c, &req, &r, oe);
        break;
    case FT_OFPST_PORT_DESC:
        stats_port_desc(c, &r);
        break;
    case FT_OFPST_TABLE_FEATURES:
        for (unsigned int t = 0; t < FT_N_TABLES; t++) {
            ft_ofp_put_table_features(&r, (uint8_t) t, FT_N_TABLES);
        }
        break;
    default:
        error = stats_refused(&req, oe);
        break;
    }
    if (error) {
        c->tx.size = mark;
        return error;
    }
    ft_ofp_mp_finish(&r);
    return 0;
}

/* ---- Dispatch. ---- */

static const struct {
    enum ft_ofp_type type;
    ofmsg_handler *handler;
    const char *name;
} handlers[] = {
    { FT_OFPT_HELLO, handle_hello, "HELLO" },
    { FT_OFPT_ERROR, handle_ignore, "ERROR" },
    { FT_OFPT_ECHO_REQUEST, handle_echo, "ECHO_REQUEST" },
    { FT_OFPT_ECHO_REPLY, handle_ignore, "ECHO_REPLY" },
    { FT_OFPT_VENDOR, handle_vendor, "VENDOR" },
    { FT_OFPT_FEATURES_REQUEST, handle_features, "FEATURES_REQUEST" },
    { FT_OFPT_GET_CONFIG_REQUEST, handle_get_config, "GET_CONFIG_REQUEST" },
    { FT_OFPT_SET_CONFIG, handle_set_config, "SET_CONFIG" },
    { FT_OFPT_FLOW_MOD, handle_flow_mod, "FLOW_MOD" },
    { FT_OFPT_PACKET_OUT, handle_packet_out, "PACKET_OUT" },
    { FT_OFPT_STATS_REQUEST, handle_stats, "STATS_REQUEST" },
    { FT_OFPT_BARRIER_REQUEST, handle_barrier, "BARRIER_REQUEST" },
    { FT_OFPT_ROLE_REQUEST, handle_role, "ROLE_REQUEST" },
    { FT_OFPT_SET_ASYNC, handle_set_async, "SET_ASYNC" },
    { FT_OFPT_GET_ASYNC_REQUEST, handle_get_async, "GET_ASYNC_REQUEST" },
};

static int
handle_msg(struct ft_ofconn *c, const struct ofmsg *m,
           struct ft_ofp_error *oe, const char **name)
{
    int error = ft_ofp_msg_check(&m->h, c->version, oe);

    *name = "message";
    if (error) {
        flush_batch(c);
        return error;
    }
    if (!c->version && m->h.type != FT_OFPT_HELLO) {
        return ft_ofperr_set(oe, FT_OFPERR_BAD_TYPE, "the first message "
                             "must be HELLO");
    }
    if (m->h.type != FT_OFPT_FLOW_MOD) {
        flush_batch(c);
    }
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++) {
        if (handlers[i].type == m->h.type) {
            *name = handlers[i].name;
            return handlers[i].handler(c, m, oe);
        }
    }
    return handle_unsupported(c, m, oe);
}

int
ft_ofconn_input(struct ft_ofconn *c, const uint8_t *data, size_t n)
{
    size_t ofs = 0;

    if (c->failed) {
        return -EPROTO;
    }
    ft_ofpbuf_put(&c->rx, data, n);
    while (!c->failed && c->rx.size - ofs >= FT_OFP_HEADER_LEN) {
        struct ft_ofp_error oe;
        struct ofmsg m;
        const char *name;

        ft_ofp_header_read(c->rx.data + ofs, &m.h);
        if (m.h.length < FT_OFP_HEADER_LEN) {
            /* The stream cannot be resynchronized. */
            ft_ofp_put_error(&c->tx, c->version ? c->version
                             : FT_OFP13_VERSION, m.h.xid, FT_OFPERR_BAD_LEN,
                             c->rx.data + ofs, FT_OFP_HEADER_LEN, NULL);
            c->failed = true;
            break;
        }
        if (c->rx.size - ofs < m.h.length) {
            break;
        }
        m.data = c->rx.data + ofs;
        m.len = m.h.length;
        ft_error_clear(&oe.err);
        if (handle_msg(c, &m, &oe, &name)) {
            if (!c->version) {
                c->version = m.h.version == FT_OFP10_VERSION
                             ? FT_OFP10_VERSION : FT_OFP13_VERSION;
                refuse(c, name, m.h.xid, m.data, m.len, &oe);
                c->version = 0;
                c->failed = true;
            } else {
                refuse(c, name, m.h.xid, m.data, m.len, &oe);
            }
        }
        ofs += m.h.length;
    }
    ft_ofpbuf_pull(&c->rx, ofs);
    return c->failed ? -EPROTO : 0;
}

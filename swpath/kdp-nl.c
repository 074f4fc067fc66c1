/*
 * kdp-nl.c - the netlink client of flowtier.ko (kdp-nl.h), on libnl-3 and
 * libnl-genl-3.  Sits in swpath/ under the kernel datapath class; touches
 * only its own socket.  Requests ask for extended acks, so that every
 * refusal reaches the user with the module's reason.
 */
#include "kdp-nl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>

/* 0, or -EMSGSIZE if libnl could not append (it answers its own codes). */
#define PUT(CALL) ((CALL) < 0 ? -EMSGSIZE : 0)

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Why the module's families are missing, for the refusal. */
static int
kdp_nl_no_module(struct ft_error *err)
{
    FILE *f;
    int disabled = 0;

    if (access("/proc/modules", F_OK)) {
        return ft_error_set(err, -EOPNOTSUPP, "datapath type system needs "
                            "the flowtier kernel module, but this kernel "
                            "cannot load modules (it has no /proc/modules: "
                            "built without module support); use "
                            "datapath_type=netdev");
    }
    f = fopen("/proc/sys/kernel/modules_disabled", "r");
    if (f) {
        if (fscanf(f, "%d", &disabled) != 1) {
            disabled = 0;
        }
        fclose(f);
    }
    if (disabled) {
        return ft_error_set(err, -EOPNOTSUPP, "datapath type system needs "
                            "the flowtier kernel module, but this kernel "
                            "refuses to load modules "
                            "(kernel.modules_disabled=1); use "
                            "datapath_type=netdev");
    }
    return ft_error_set(err, -EOPNOTSUPP, "datapath type system needs the "
                        "flowtier kernel module, which is not loaded "
                        "(insmod flowtier.ko from the build's kmod/ "
                        "folder)");
}

int
ft_kdp_nl_open(struct ft_kdp_nl *nl, struct ft_error *err)
{
    static const char *const names[] = {
        FT_KDP_DP_FAMILY, FT_KDP_VPORT_FAMILY, FT_KDP_FLOW_FAMILY,
        FT_KDP_PACKET_FAMILY,
    };
    int *ids[] = {
        &nl->family_dp, &nl->family_vport, &nl->family_flow,
        &nl->family_packet,
    };
    int one = 1, error;

    memset(nl, 0, sizeof *nl);
    nl->sock = nl_socket_alloc();
    if (!nl->sock) {
        return ft_error_set(err, -ENOMEM, "kernel datapath: no memory for "
                            "a netlink socket");
    }
    error = genl_connect(nl->sock);
    if (error) {
        ft_kdp_nl_close(nl);
        return ft_error_set(err, -EPERM, "kernel datapath: cannot open a "
                            "generic netlink socket: %s", nl_geterror(error));
    }
    setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_EXT_ACK,
               &one, sizeof one);
    setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_CAP_ACK,
               &one, sizeof one);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        *ids[i] = genl_ctrl_resolve(nl->sock, names[i]);
        if (*ids[i] < 0) {
            ft_kdp_nl_close(nl);
            return kdp_nl_no_module(err);
        }
    }
    return 0;
}

void
ft_kdp_nl_close(struct ft_kdp_nl *nl)
{
    if (nl->sock) {
        nl_socket_free(nl->sock);
        nl->sock = NULL;
    }
}

struct nl_msg *
ft_kdp_nl_msg(const struct ft_kdp_nl *nl, int family, uint8_t cmd,
              int flags, const char *dp)
{
    struct nl_msg *msg = nlmsg_alloc();

    if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
                             flags, cmd, FT_KDP_VERSION)
        || (dp && nla_put_string(msg, FT_KDP_ATTR_DP_NAME, dp))) {
        abort();
    }
    return msg;
}

struct transact {
    int maxattr;
    int (*cb)(struct nlattr **attrs, void *aux);
    void *aux;
    int cb_error;
    int error;
    char reason[256];
    int done;
};

static int
transact_valid(struct nl_msg *msg, void *arg)
{
    struct transact *t = arg;
    struct nlattr *attrs[64];
    int error;

    if (!t->cb || t->cb_error) {
        return NL_OK;
    }
    if (t->maxattr >= 64) {
        abort();
    }
    error = genlmsg_parse(nlmsg_hdr(msg), 0, attrs, t->maxattr, NULL);
    if (error) {
        t->cb_error = -EPROTO;
        return NL_OK;
    }
    t->cb_error = t->cb(attrs, t->aux);
    return NL_OK;
}

/* Reads the extended-ack message of an error, if the kernel sent one. */
static void
transact_extack(const struct nlmsgerr *e, char *buf, size_t size)
{
    const struct nlmsghdr *nlh = (const void *) ((const char *) e
                                                 - NLMSG_HDRLEN);
    size_t ofs = NLMSG_HDRLEN + sizeof *e;

    if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) {
        return;
    }
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
        ofs += e->msg.nlmsg_len - NLMSG_HDRLEN;
    }
    while (ofs + NLA_HDRLEN <= nlh->nlmsg_len) {
        const struct nlattr *a = (const void *) ((const char *) nlh + ofs);

        if (a->nla_len < NLA_HDRLEN || ofs + a->nla_len > nlh->nlmsg_len) {
            return;
        }
        if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
            snprintf(buf, size, "%.*s", (int) (a->nla_len - NLA_HDRLEN),
                     (const char *) a + NLA_HDRLEN);
            return;
        }
        ofs += NLA_ALIGN(a->nla_len);
    }
}

static int
transact_err(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
    struct transact *t = arg;

    (void) nla;
    t->error = e->error;
    transact_extack(e, t->reason, sizeof t->reason);
    t->done = 1;
    return NL_STOP;
}

static int
transact_finish(struct nl_msg *msg, void *arg)
{
    struct transact *t = arg;

    (void) msg;
    t->done = 1;
    return NL_STOP;
}

int
ft_kdp_nl_transact(struct ft_kdp_nl *nl, struct nl_msg *msg, int maxattr,
                   int (*cb)(struct nlattr **attrs, void *aux), void *aux,
                   const char *what, struct ft_error *err)
{
    struct transact t = { .maxattr = maxattr, .cb = cb, .aux = aux };
    struct nl_cb *ncb = nl_cb_alloc(NL_CB_DEFAULT);
    int error;

    if (!ncb) {
        abort();
    }
    nl_cb_set(ncb, NL_CB_VALID, NL_CB_CUSTOM, transact_valid, &t);
    nl_cb_set(ncb, NL_CB_FINISH, NL_CB_CUSTOM, transact_finish, &t);
    nl_cb_set(ncb, NL_CB_ACK, NL_CB_CUSTOM, transact_finish, &t);
    nl_cb_err(ncb, NL_CB_CUSTOM, transact_err, &t);
    error = nl_send_auto(nl->sock, msg);
    nlmsg_free(msg);
    if (error < 0) {
        nl_cb_put(ncb);
        return ft_error_set(err, -EIO, "%s: cannot send to the kernel "
                            "datapath: %s", what, nl_geterror(error));
    }
    while (!t.done) {
        error = nl_recvmsgs(nl->sock, ncb);
        if (error < 0 && !t.done) {
            nl_cb_put(ncb);
            return ft_error_set(err, -EIO, "%s: no answer from the kernel "
                                "datapath: %s", what, nl_geterror(error));
        }
    }
    nl_cb_put(ncb);
    if (t.error) {
        return ft_error_set(err, t.error, "%s: %s", what,
                            t.reason[0] ? t.reason : strerror(-t.error));
    }
    if (t.cb_error) {
        return ft_error_set(err, t.cb_error, "%s: unexpected answer from "
                            "the kernel datapath", what);
    }
    return 0;
}

/* The outer header 't' as a SET_TUNNEL nest. */
static int
put_tunnel(struct nl_msg *msg, const struct ft_dpa_tunnel *t)
{
    struct nlattr *nest = nla_nest_start(msg, FT_KDP_ACTION_SET_TUNNEL
                                              | NLA_F_NESTED);

    if (!nest
        || nla_put_u64(msg, FT_KDP_TUNNEL_ATTR_ID, t->tun_id) < 0
        || nla_put_u32(msg, FT_KDP_TUNNEL_ATTR_SRC, t->src) < 0
        || nla_put_u32(msg, FT_KDP_TUNNEL_ATTR_DST, t->dst) < 0
        || nla_put_u8(msg, FT_KDP_TUNNEL_ATTR_TOS, t->tos) < 0
        || nla_put_u8(msg, FT_KDP_TUNNEL_ATTR_TTL, t->ttl) < 0
        || nla_put_u16(msg, FT_KDP_TUNNEL_ATTR_FLAGS, t->flags) < 0
        || nla_put_u16(msg, FT_KDP_TUNNEL_ATTR_TP_DST, t->tp_dst) < 0) {
        return -EMSGSIZE;
    }
    nla_nest_end(msg, nest);
    return 0;
}

/* One action as its netlink attribute.  Returns 0 or a negative errno
 * (with 'err' set when the module cannot run the action). */
static int
put_action(struct nl_msg *msg, const struct ft_dp_action *a,
           struct ft_error *err)
{
    switch (a->type) {
    case FT_DPA_OUTPUT:
        return PUT(nla_put_u32(msg, FT_KDP_ACTION_OUTPUT, a->port));
    case FT_DPA_PUSH_VLAN: {
        struct ft_kdp_vlan v = { a->push_vlan.tpid, a->push_vlan.tci };

        return PUT(nla_put(msg, FT_KDP_ACTION_PUSH_VLAN, sizeof v, &v));
    }
    case FT_DPA_POP_VLAN:
        return PUT(nla_put_flag(msg, FT_KDP_ACTION_POP_VLAN));
    case FT_DPA_SET_ETH: {
        struct ft_kdp_set_eth e;

        memcpy(e.src, a->eth.src.ea, 6);
        memcpy(e.dst, a->eth.dst.ea, 6);
        memcpy(e.src_mask, a->eth.src_mask.ea, 6);
        memcpy(e.dst_mask, a->eth.dst_mask.ea, 6);
        return PUT(nla_put(msg, FT_KDP_ACTION_SET_ETH, sizeof e, &e));
    }
    case FT_DPA_SET_IPV4: {
        struct ft_kdp_set_ipv4 s = {
            a->ipv4.src, a->ipv4.dst, a->ipv4.src_mask, a->ipv4.dst_mask,
            a->ipv4.tos, a->ipv4.ttl, a->ipv4.tos_mask, a->ipv4.ttl_mask,
        };

        return PUT(nla_put(msg, FT_KDP_ACTION_SET_IPV4, sizeof s, &s));
    }
    case FT_DPA_SET_IPV6: {
        struct ft_kdp_set_ipv6 s;

        memset(&s, 0, sizeof s);
        memcpy(s.src, a->ipv6.src.s6, 16);
        memcpy(s.dst, a->ipv6.dst.s6, 16);
        memcpy(s.src_mask, a->ipv6.src_mask.s6, 16);
        memcpy(s.dst_mask, a->ipv6.dst_mask.s6, 16);
        s.label = a->ipv6.label;
        s.label_mask = a->ipv6.label_mask;
        s.tclass = a->ipv6.tclass;
        s.tclass_mask = a->ipv6.tclass_mask;
        s.hlimit = a->ipv6.hlimit;
        s.hlimit_mask = a->ipv6.hlimit_mask;
        return PUT(nla_put(msg, FT_KDP_ACTION_SET_IPV6, sizeof s, &s));
    }
    case FT_DPA_SET_L4: {
        struct ft_kdp_set_l4 s;

        memset(&s, 0, sizeof s);
        s.proto = a->l4.proto;
        s.src = a->l4.src;
        s.dst = a->l4.dst;
        s.src_mask = a->l4.src_mask;
        s.dst_mask = a->l4.dst_mask;
        if (s.proto != FT_IPPROTO_TCP && s.proto != FT_IPPROTO_UDP) {
            return ft_error_set(err, -EOPNOTSUPP, "kernel datapath: "
                                "set_field of %s is not supported",
                                s.proto == FT_IPPROTO_SCTP ? "SCTP ports"
                                : "ICMP type and code");
        }
        return PUT(nla_put(msg, FT_KDP_ACTION_SET_L4, sizeof s, &s));
    }
    case FT_DPA_USERSPACE: {
        struct ft_kdp_userspace u;

        memset(&u, 0, sizeof u);
        u.cookie = a->userspace.cookie;
        u.max_len = a->userspace.max_len;
        u.reason = a->userspace.reason;
        u.table_id = a->userspace.table_id;
        return PUT(nla_put(msg, FT_KDP_ACTION_USERSPACE, sizeof u, &u));
    }
    case FT_DPA_SET_TUNNEL:
        return put_tunnel(msg, &a->tunnel);
    }
    return ft_error_set(err, -EINVAL, "kernel datapath: unknown action %d",
                        (int) a->type);
}

int
ft_kdp_nl_put_actions(struct nl_msg *msg, int attrtype,
                      const struct ft_dp_actions *actions,
                      struct ft_error *err)
{
    struct nlattr *nest;

    if (actions->n > FT_KDP_MAX_ACTIONS) {
        return ft_error_set(err, -EOPNOTSUPP, "kernel datapath: %zu "
                            "actions, more than the %d it takes",
                            actions->n, FT_KDP_MAX_ACTIONS);
    }
    if (!actions->n) {
        /* Drop.  (libnl's nla_nest_end() would trim an empty nest.) */
        return PUT(nla_put(msg, attrtype | NLA_F_NESTED, 0, NULL));
    }
    nest = nla_nest_start(msg, attrtype | NLA_F_NESTED);
    if (!nest) {
        abort();
    }
    for (size_t i = 0; i < actions->n; i++) {
        int error = put_action(msg, &actions->acts[i], err);

        if (error) {
            return error;
        }
    }
    nla_nest_end(msg, nest);
    return 0;
}

int
ft_kdp_upcall_parse(const struct nlmsghdr *nlh_, struct ft_kdp_upcall *up)
{
    struct nlmsghdr *nlh = (struct nlmsghdr *) nlh_;   /* libnl's API. */
    struct nlattr *attrs[FT_KDP_PACKET_ATTR_MAX + 1];
    struct nlattr *data, *key, *len, *user;

    memset(up, 0, sizeof *up);
    if (genlmsg_parse(nlh, 0, attrs, FT_KDP_PACKET_ATTR_MAX, NULL)) {
        return -EINVAL;
    }
    data = attrs[FT_KDP_PACKET_ATTR_DATA];
    key = attrs[FT_KDP_PACKET_ATTR_KEY];
    if (!data || !key || nla_len(key) != (int) sizeof up->key) {
        return -EINVAL;
    }
    up->cmd = genlmsg_hdr(nlh)->cmd;
    memcpy(&up->key, nla_data(key), sizeof up->key);
    up->data = nla_data(data);
    up->len = (size_t) nla_len(data);
    len = attrs[FT_KDP_PACKET_ATTR_LEN];
    up->whole = (len && nla_len(len) == (int) sizeof(uint32_t)
                 && nla_get_u32(len) == up->len);
    user = attrs[FT_KDP_PACKET_ATTR_USERSPACE];
    if (user && nla_len(user) >= (int) sizeof up->userspace) {
        memcpy(&up->userspace, nla_data(user), sizeof up->userspace);
        up->has_userspace = true;
    }
    return 0;
}

/* The SET_TUNNEL nest 'a' appended to 'actions'.  Returns 0 or -EPROTO. */
static int
get_tunnel(const struct nlattr *a, struct ft_dp_actions *actions)
{
    static const int sizes[FT_KDP_TUNNEL_ATTR_MAX + 1] = {
        [FT_KDP_TUNNEL_ATTR_ID] = sizeof(uint64_t),
        [FT_KDP_TUNNEL_ATTR_SRC] = sizeof(uint32_t),
        [FT_KDP_TUNNEL_ATTR_DST] = sizeof(uint32_t),
        [FT_KDP_TUNNEL_ATTR_TOS] = sizeof(uint8_t),
        [FT_KDP_TUNNEL_ATTR_TTL] = sizeof(uint8_t),
        [FT_KDP_TUNNEL_ATTR_FLAGS] = sizeof(uint16_t),
        [FT_KDP_TUNNEL_ATTR_TP_DST] = sizeof(uint16_t),
    };
    struct ft_dpa_tunnel t;
    const struct nlattr *f;
    int rem;

    memset(&t, 0, sizeof t);
    nla_for_each_nested(f, a, rem) {
        int type = nla_type(f);

        if (type <= FT_KDP_TUNNEL_ATTR_UNSPEC || type > FT_KDP_TUNNEL_ATTR_MAX
            || nla_len(f) < sizes[type]) {
            return -EPROTO;
        }
        switch ((enum ft_kdp_tunnel_attr) type) {
        case FT_KDP_TUNNEL_ATTR_ID:
            memcpy(&t.tun_id, nla_data(f), sizeof t.tun_id);
            break;
        case FT_KDP_TUNNEL_ATTR_SRC:
            t.src = nla_get_u32(f);
            break;
        case FT_KDP_TUNNEL_ATTR_DST:
            t.dst = nla_get_u32(f);
            break;
        case FT_KDP_TUNNEL_ATTR_TOS:
            t.tos = nla_get_u8(f);
            break;
        case FT_KDP_TUNNEL_ATTR_TTL:
            t.ttl = nla_get_u8(f);
            break;
        case FT_KDP_TUNNEL_ATTR_FLAGS:
            t.flags = nla_get_u16(f);
            break;
        case FT_KDP_TUNNEL_ATTR_TP_DST:
            t.tp_dst = nla_get_u16(f);
            break;
        case FT_KDP_TUNNEL_ATTR_UNSPEC:
        case __FT_KDP_TUNNEL_ATTR_MAX:
            return -EPROTO;
        }
    }
    if (!t.dst) {
        return -EPROTO;
    }
    ft_dp_actions_put(actions, FT_DPA_SET_TUNNEL)->tunnel = t;
    return 0;
}

/* The action of the module's attribute 'a' appended to 'actions'.
 * Returns 0 or -EPROTO (unknown type, wrong size). */
static int
get_action(const struct nlattr *a, struct ft_dp_actions *actions)
{
    static const int sizes[FT_KDP_ACTION_MAX + 1] = {
        [FT_KDP_ACTION_OUTPUT] = sizeof(uint32_t),
        [FT_KDP_ACTION_PUSH_VLAN] = sizeof(struct ft_kdp_vlan),
        [FT_KDP_ACTION_POP_VLAN] = 0,
        [FT_KDP_ACTION_SET_ETH] = sizeof(struct ft_kdp_set_eth),
        [FT_KDP_ACTION_SET_IPV4] = sizeof(struct ft_kdp_set_ipv4),
        [FT_KDP_ACTION_SET_IPV6] = sizeof(struct ft_kdp_set_ipv6),
        [FT_KDP_ACTION_SET_L4] = sizeof(struct ft_kdp_set_l4),
        [FT_KDP_ACTION_USERSPACE] = sizeof(struct ft_kdp_userspace),
    };
    int type = nla_type(a);
    const void *d = nla_data(a);
    struct ft_dp_action *act;

    if (type <= FT_KDP_ACTION_UNSPEC || type > FT_KDP_ACTION_MAX
        || nla_len(a) < sizes[type]) {
        return -EPROTO;
    }
    switch ((enum ft_kdp_action) type) {
    case FT_KDP_ACTION_OUTPUT:
        ft_dp_actions_put_output(actions, nla_get_u32(a));
        return 0;
    case FT_KDP_ACTION_PUSH_VLAN: {
        const struct ft_kdp_vlan *v = d;

        act = ft_dp_actions_put(actions, FT_DPA_PUSH_VLAN);
        act->push_vlan.tpid = v->tpid;
        act->push_vlan.tci = v->tci;
        return 0;
    }
    case FT_KDP_ACTION_POP_VLAN:
        ft_dp_actions_put(actions, FT_DPA_POP_VLAN);
        return 0;
    case FT_KDP_ACTION_SET_ETH: {
        const struct ft_kdp_set_eth *e = d;

        act = ft_dp_actions_put(actions, FT_DPA_SET_ETH);
        memcpy(act->eth.src.ea, e->src, 6);
        memcpy(act->eth.dst.ea, e->dst, 6);
        memcpy(act->eth.src_mask.ea, e->src_mask, 6);
        memcpy(act->eth.dst_mask.ea, e->dst_mask, 6);
        return 0;
    }
    case FT_KDP_ACTION_SET_IPV4: {
        const struct ft_kdp_set_ipv4 *s = d;

        act = ft_dp_actions_put(actions, FT_DPA_SET_IPV4);
        act->ipv4.src = s->src;
        act->ipv4.dst = s->dst;
        act->ipv4.src_mask = s->src_mask;
        act->ipv4.dst_mask = s->dst_mask;
        act->ipv4.tos = s->tos;
        act->ipv4.ttl = s->ttl;
        act->ipv4.tos_mask = s->tos_mask;
        act->ipv4.ttl_mask = s->ttl_mask;
        return 0;
    }
    case FT_KDP_ACTION_SET_IPV6: {
        const struct ft_kdp_set_ipv6 *s = d;

        act = ft_dp_actions_put(actions, FT_DPA_SET_IPV6);
        memcpy(act->ipv6.src.s6, s->src, 16);
        memcpy(act->ipv6.dst.s6, s->dst, 16);
        memcpy(act->ipv6.src_mask.s6, s->src_mask, 16);
        memcpy(act->ipv6.dst_mask.s6, s->dst_mask, 16);
        act->ipv6.label = s->label;
        act->ipv6.label_mask = s->label_mask;
        act->ipv6.tclass = s->tclass;
        act->ipv6.tclass_mask = s->tclass_mask;
        act->ipv6.hlimit = s->hlimit;
        act->ipv6.hlimit_mask = s->hlimit_mask;
        return 0;
    }
    case FT_KDP_ACTION_SET_L4: {
        const struct ft_kdp_set_l4 *s = d;

        act = ft_dp_actions_put(actions, FT_DPA_SET_L4);
        act->l4.proto = s->proto;
        act->l4.src = s->src;
        act->l4.dst = s->dst;
        act->l4.src_mask = s->src_mask;
        act->l4.dst_mask = s->dst_mask;
        return 0;
    }
    case FT_KDP_ACTION_USERSPACE: {
        const struct ft_kdp_userspace *u = d;

        act = ft_dp_actions_put(actions, FT_DPA_USERSPACE);
        act->userspace.cookie = u->cookie;
        act->userspace.max_len = u->max_len;
        act->userspace.reason = u->reason;
        act->userspace.table_id = u->table_id;
        return 0;
    }
    case FT_KDP_ACTION_SET_TUNNEL:
        return get_tunnel(a, actions);
    case FT_KDP_ACTION_UNSPEC:
    case __FT_KDP_ACTION_MAX:
        break;
    }
    return -EPROTO;
}

int
ft_kdp_nl_get_actions(const struct nlattr *nest,
                      struct ft_dp_actions *actions)
{
    const struct nlattr *a;
    int rem;

    ft_dp_actions_clear(actions);
    nla_for_each_nested(a, nest, rem) {
        int error = get_action(a, actions);

        if (error) {
            return error;
        }
    }
    return 0;
}

/*
 * dpif-kernel-takeover.c - taking over, in the kernel datapath class
 * (dpif-kernel.c), a datapath of the bridge's name that a killed daemon
 * left in flowtier.ko.  It went on forwarding with its megaflows while the
 * daemon was away: creating the datapath again points its upcalls at the
 * new socket, reads its ports back (kept, adopted, for the bridge to add
 * again by name: a port added again under the same number is claimed and
 * stays attached) and its megaflows with their actions, for the bridge to
 * adopt through ft_dpif_flow_adopt(); what is not added again or adopted
 * is then removed.
 *
 * Part of the software datapath, in swpath/ beside dpif-kernel.c
 * (dpif-kernel-private.h).  It touches the ports and handles of the
 * datapath object it is given, the upcall sockets it opens for claimed
 * ports, and the datapath's request socket.
 */
#include "dpif-kernel-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/util.h"

/* ---- Taking over a datapath a killed daemon left. ---- */

static int
adopt_port(struct nlattr **attrs, void *aux)
{
    struct dpif_kernel *dk = aux;
    struct nlattr *no = attrs[FT_KDP_VPORT_ATTR_PORT_NO];
    struct nlattr *name = attrs[FT_KDP_VPORT_ATTR_IFNAME];
    struct nlattr *type = attrs[FT_KDP_VPORT_ATTR_TYPE];
    struct nlattr *ifindex = attrs[FT_KDP_VPORT_ATTR_IFINDEX];

    if (!no || !name || nla_len(name) > FT_PORT_NAME_MAX) {
        return -EPROTO;
    }
    kport_insert(dk, nla_get_u32(no), nla_get_string(name),
                 nla_get_string(name),
                 ifindex ? (int) nla_get_u32(ifindex) : 0,
                 type ? (enum ft_kdp_vport_type) nla_get_u32(type)
                      : FT_KDP_VPORT_NETDEV)
        ->adopted = true;
    return 0;
}

static int
adopt_flow(struct nlattr **attrs, void *aux)
{
    struct dpif_kernel *dk = aux;
    struct nlattr *id = attrs[FT_KDP_FLOW_ATTR_ID];
    struct nlattr *key = attrs[FT_KDP_FLOW_ATTR_KEY];
    struct nlattr *mask = attrs[FT_KDP_FLOW_ATTR_MASK];
    struct nlattr *acts = attrs[FT_KDP_FLOW_ATTR_ACTIONS];
    struct ft_dpif_flow *f;

    if (!id || !key || !mask || !acts
        || nla_len(key) != (int) sizeof f->match.flow
        || nla_len(mask) != (int) sizeof f->match.mask) {
        return -EPROTO;
    }
    f = ft_xcalloc(1, sizeof *f);
    f->id = nla_get_u32(id);
    memcpy(&f->match.flow, nla_data(key), sizeof f->match.flow);
    memcpy(&f->match.mask, nla_data(mask), sizeof f->match.mask);
    ft_dp_actions_init(&f->actions);
    /* A megaflow with an action this daemon cannot read is never reported:
     * dk_flow_adopt() deletes it, and the next packet that needs it sets
     * up another. */
    f->unreadable = ft_kdp_nl_get_actions(acts, &f->actions) != 0;
    f->adopted = true;
    flow_insert(dk, f);
    return 0;
}

/* Takes over the datapath of this name: its upcalls come to this run's
 * socket, its ports wait for the bridge to add them again, its megaflows
 * for it to adopt them. */
int
dk_dp_adopt(struct dpif_kernel *dk, struct ft_error *err)
{
    struct nl_msg *msg;
    int error;

    msg = ft_kdp_nl_msg(&dk->nl, dk->nl.family_dp, FT_KDP_DP_CMD_SET, 0,
                        dk->dpname);
    nla_put_u32(msg, FT_KDP_DP_ATTR_UPCALL_PID,
                nl_socket_get_local_port(dk->usock));
    error = ft_kdp_nl_transact(&dk->nl, msg, 0, NULL, NULL,
                               "kernel datapath: taking over the one in "
                               "place", err);
    if (!error) {
        msg = ft_kdp_nl_msg(&dk->nl, dk->nl.family_vport,
                            FT_KDP_VPORT_CMD_GET, NLM_F_DUMP, dk->dpname);
        error = ft_kdp_nl_transact(&dk->nl, msg, FT_KDP_VPORT_ATTR_MAX,
                                   adopt_port, dk, "kernel datapath: "
                                   "reading the ports in place", err);
    }
    if (!error) {
        msg = ft_kdp_nl_msg(&dk->nl, dk->nl.family_flow,
                            FT_KDP_FLOW_CMD_GET, NLM_F_DUMP, dk->dpname);
        error = ft_kdp_nl_transact(&dk->nl, msg, FT_KDP_FLOW_ATTR_MAX,
                                   adopt_flow, dk, "kernel datapath: "
                                   "reading the megaflows in place", err);
    }
    dk->adopting = !error;
    return error;
}

int
dk_flow_adopt(struct ft_dpif *dpif,
              int (*cb)(const struct ft_dpif_flow_info *, void *aux),
              void *aux)
{
    struct dpif_kernel *dk = dk_cast(dpif);
    struct dump_ctx c = { dk, cb, aux, dk_time_msec(), true };
    struct nl_msg *msg;
    int error;

    if (!dk->adopting) {
        return 0;
    }
    dk->adopting = false;
    msg = ft_kdp_nl_msg(&dk->nl, dk->nl.family_flow, FT_KDP_FLOW_CMD_GET,
                        NLM_F_DUMP, dk->dpname);
    error = ft_kdp_nl_transact(&dk->nl, msg, FT_KDP_FLOW_ATTR_MAX,
                               flow_dump_one, &c, "kernel datapath", NULL);
    /* What was not reported (gone meanwhile, or the callback stopped)
     * goes. */
    for (size_t i = 0; i < dk->n_buckets; i++) {
        struct ft_dpif_flow *f, *next;

        for (f = dk->buckets[i]; f; f = next) {
            next = f->next;
            if (f->adopted) {
                dk_flow_del(dpif, f, NULL);
            }
        }
    }
    for (size_t i = dk->n_ports; i-- > 0; ) {
        if (dk->ports[i].adopted) {
            dk_port_del(dpif, dk->ports[i].port_no);
        }
    }
    return error;
}

/* Points the upcalls of the adopted port 'p' at a socket of its own: it is
 * this run's port from now on, and never left the datapath. */
int
dk_port_claim(struct dpif_kernel *dk, struct kport *p, const char *what,
              struct ft_error *err)
{
    struct nl_sock *sock;
    struct nl_msg *msg;
    int error;

    error = dk_usock_open(&sock, what, err);
    if (error) {
        return error;
    }
    msg = ft_kdp_nl_msg(&dk->nl, dk->nl.family_vport, FT_KDP_VPORT_CMD_SET,
                        0, dk->dpname);
    nla_put_u32(msg, FT_KDP_VPORT_ATTR_PORT_NO, p->port_no);
    nla_put_u32(msg, FT_KDP_VPORT_ATTR_UPCALL_PID,
                nl_socket_get_local_port(sock));
    error = ft_kdp_nl_transact(&dk->nl, msg, 0, NULL, NULL, what, err);
    if (error) {
        nl_socket_free(sock);
        return error;
    }
    p->usock = sock;
    p->adopted = false;
    return 0;
}

/* Detaches the ports of the previous run that stand in the way of port
 * 'port_no' of device 'dev' of kind 'kind', unless one is that very port,
 * which it returns (to be claimed). */
struct kport *
dk_port_clear_adopted(struct dpif_kernel *dk, ft_port_no port_no,
                      const char *dev, enum ft_kdp_vport_type kind)
{
    struct kport *p = kport_find_dev(dk, dev);

    if (p && p->adopted) {
        if (p->port_no == port_no && p->kind == kind) {
            return p;
        }
        dk_port_del(&dk->up, p->port_no);
    }
    p = kport_find(dk, port_no);
    if (p && p->adopted) {
        dk_port_del(&dk->up, port_no);
    }
    return NULL;
}

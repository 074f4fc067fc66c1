/*
 * tc-tunnel.c - VXLAN for the TC provider: the enc_* keys of a
 * decapsulation rule (see tc-translate.h), FlowTier's VXLAN devices and
 * the route toward a tunnel's remote end (see tc-tunnel.h).
 *
 * Part of the TC provider, in the offload layer.  Talks rtnetlink through
 * the provider's socket (tc-nl.c): it creates, reads and deletes links
 * whose alias is FlowTier's, and reads routes.  Keeps no state.
 */
#include "tc-tunnel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "flowtier/port.h"
#include "match-check.h"
#include "tc-nl.h"
#include "tc-translate.h"

#define ALIAS_PREFIX "FlowTier pid "
#define ALIAS_USERS " users "

/* ---- The enc_* keys of a decapsulation rule. ---- */

/* Refuses a decapsulation megaflow whose mask has the outer DF or csum
 * bit: flower has no key for a tunnel's outer flags before Linux 6.11,
 * so a filter would take +df and -df packets alike.  The translation
 * puts them in the mask only where an OpenFlow rule on tun_flags looked
 * at them (mgmt/ofproto/xlate.c, wc_init_tunnel), so the megaflows of a
 * table without such a rule stay offloadable whatever the senders set. */
static int
match_tun_flags(const struct ft_match *m, struct ft_error *err)
{
    uint16_t mask = m->mask.tun_flags, v = m->flow.tun_flags & mask;

    if (mask & ~(FT_TNL_F_DONT_FRAGMENT | FT_TNL_F_CSUM | FT_TNL_F_KEY)) {
        return ft_offload_refuse_match("tc", "tun_flags other than df, "
                                       "csum and key", err);
    }
    if (mask & (FT_TNL_F_DONT_FRAGMENT | FT_TNL_F_CSUM)) {
        return ft_offload_refuse_match("tc", "the outer tun_flags df or csum "
                                       "(an OpenFlow rule matches "
                                       "tun_flags' df or csum bit, and TC "
                                       "has no key for a tunnel's outer "
                                       "flags before Linux 6.11: a filter "
                                       "would take +df and -df alike)",
                                       err);
    }
    if ((mask & FT_TNL_F_KEY) && !(v & FT_TNL_F_KEY)) {
        return ft_offload_refuse_match("tc", "tun_flags -key (a VXLAN "
                                       "packet always has a key)", err);
    }
    return 0;
}

int
ft_tc_tunnel_match_put(struct nl_msg *msg, const struct ft_match *m,
                       const struct ft_tc_port_info *in,
                       struct ft_error *err)
{
    uint16_t dst_port = in->tnl_dst_port;
    uint64_t id_mask = m->mask.tun_id;
    int error = match_tun_flags(m, err);

    if (error) {
        return error;
    }
    if (id_mask) {
        if ((id_mask & 0xffffff) != 0xffffff) {
            return ft_offload_refuse_match("tc", "part of tun_id "
                                           "(enc_key_id has no mask)", err);
        }
        if (m->flow.tun_id > 0xffffff) {
            return ft_offload_refuse_match("tc", "a tun_id over 24 bits",
                                           err);
        }
        nla_put_u32(msg, TCA_FLOWER_KEY_ENC_KEY_ID,
                    htonl((uint32_t) m->flow.tun_id));
    }
    if (m->mask.tun_src) {
        nla_put_u32(msg, TCA_FLOWER_KEY_ENC_IPV4_SRC,
                    htonl(m->flow.tun_src & m->mask.tun_src));
        nla_put_u32(msg, TCA_FLOWER_KEY_ENC_IPV4_SRC_MASK,
                    htonl(m->mask.tun_src));
    }
    if (m->mask.tun_dst) {
        nla_put_u32(msg, TCA_FLOWER_KEY_ENC_IPV4_DST,
                    htonl(m->flow.tun_dst & m->mask.tun_dst));
        nla_put_u32(msg, TCA_FLOWER_KEY_ENC_IPV4_DST_MASK,
                    htonl(m->mask.tun_dst));
    }
    /* The port said which packets are its own by their UDP port. */
    nla_put_u16(msg, TCA_FLOWER_KEY_ENC_UDP_DST_PORT, htons(dst_port));
    nla_put_u16(msg, TCA_FLOWER_KEY_ENC_UDP_DST_PORT_MASK, 0xffff);
    if (m->mask.tun_tos) {
        nla_put_u8(msg, TCA_FLOWER_KEY_ENC_IP_TOS,
                   m->flow.tun_tos & m->mask.tun_tos);
        nla_put_u8(msg, TCA_FLOWER_KEY_ENC_IP_TOS_MASK, m->mask.tun_tos);
    }
    if (m->mask.tun_ttl) {
        nla_put_u8(msg, TCA_FLOWER_KEY_ENC_IP_TTL,
                   m->flow.tun_ttl & m->mask.tun_ttl);
        nla_put_u8(msg, TCA_FLOWER_KEY_ENC_IP_TTL_MASK, m->mask.tun_ttl);
    }
    return 0;
}

/* ---- FlowTier's VXLAN devices. ---- */

static void
dev_name(uint16_t dst_port, char name[FT_PORT_NAME_MAX])
{
    snprintf(name, FT_PORT_NAME_MAX, "ft_vxlan_%u", dst_port);
}

/* What a link message says of the device. */
struct link_info {
    int ifindex;
    char name[FT_PORT_NAME_MAX];
    char kind[16];
    long pid;                   /* From a FlowTier alias; 0 if none. */
    int users;                  /* Its opens not yet closed (alias). */
};

static void
link_parse(struct nl_msg *nmsg, struct link_info *li)
{
    struct nlmsghdr *nlh = nlmsg_hdr(nmsg);
    struct ifinfomsg *ifi = nlmsg_data(nlh);
    struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1];

    memset(li, 0, sizeof *li);
    if (nlh->nlmsg_type != RTM_NEWLINK
        || nlmsg_parse(nlh, sizeof *ifi, tb, IFLA_MAX, NULL) < 0) {
        return;
    }
    li->ifindex = ifi->ifi_index;
    if (tb[IFLA_IFNAME]) {
        nla_strlcpy(li->name, tb[IFLA_IFNAME], sizeof li->name);
    }
    if (tb[IFLA_LINKINFO]
        && nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO],
                            NULL) >= 0
        && info[IFLA_INFO_KIND]) {
        nla_strlcpy(li->kind, info[IFLA_INFO_KIND], sizeof li->kind);
    }
    if (tb[IFLA_IFALIAS]) {
        char alias[64];

        nla_strlcpy(alias, tb[IFLA_IFALIAS], sizeof alias);
        if (!strncmp(alias, ALIAS_PREFIX, strlen(ALIAS_PREFIX))) {
            const char *users;

            li->pid = strtol(alias + strlen(ALIAS_PREFIX), NULL, 10);
            users = strstr(alias, ALIAS_USERS);
            li->users = users ? atoi(users + strlen(ALIAS_USERS)) : 1;
        }
    }
}

static int
link_get_cb(struct nl_msg *msg, void *aux)
{
    link_parse(msg, aux);
    return NL_OK;
}

/* Reads the link named 'name' into '*li'.  Returns 0 or -ENODEV. */
static int
link_get(struct nl_sock *sock, const char *name, struct link_info *li)
{
    struct nl_msg *msg = ft_tc_nl_link_msg(RTM_GETLINK, 0, 0, 0, 0);
    int error;

    memset(li, 0, sizeof *li);
    nla_put_string(msg, IFLA_IFNAME, name);
    error = ft_tc_nl_request(sock, msg, link_get_cb, li, "tc: link", NULL,
                             NULL);
    return error ? error : li->ifindex ? 0 : -ENODEV;
}

static int
link_del(struct nl_sock *sock, int ifindex, struct ft_error *err)
{
    return ft_tc_nl_transact(sock,
                             ft_tc_nl_link_msg(RTM_DELLINK, 0, ifindex, 0, 0),
                             "tc: delete VXLAN device", err);
}

/* True if the process 'pid' is gone. */
static bool
pid_gone(long pid)
{
    return pid > 0 && kill((pid_t) pid, 0) < 0 && errno == ESRCH;
}

static int
dev_create(struct nl_sock *sock, const char *name, uint16_t dst_port,
           struct ft_error *err)
{
    struct nl_msg *msg = ft_tc_nl_link_msg(RTM_NEWLINK,
                                           NLM_F_CREATE | NLM_F_EXCL, 0, 0, 0);
    struct nlattr *linkinfo, *data;
    char what[64];

    nla_put_string(msg, IFLA_IFNAME, name);
    linkinfo = nla_nest_start(msg, IFLA_LINKINFO);
    nla_put_string(msg, IFLA_INFO_KIND, "vxlan");
    data = nla_nest_start(msg, IFLA_INFO_DATA);
    nla_put_u8(msg, IFLA_VXLAN_COLLECT_METADATA, 1);
    nla_put_u16(msg, IFLA_VXLAN_PORT, htons(dst_port));
    nla_put_u8(msg, IFLA_VXLAN_LEARNING, 0);
    nla_nest_end(msg, data);
    nla_nest_end(msg, linkinfo);
    snprintf(what, sizeof what, "tc: create VXLAN device %s", name);
    return ft_tc_nl_transact(sock, msg, what, err);
}

/* Names this process the device's owner, with 'users' opens of it. */
static int
dev_set_alias(struct nl_sock *sock, int ifindex, int users,
              struct ft_error *err)
{
    struct nl_msg *msg = ft_tc_nl_link_msg(RTM_NEWLINK, 0, ifindex, 0, 0);
    char alias[64];

    snprintf(alias, sizeof alias, ALIAS_PREFIX "%ld" ALIAS_USERS "%d",
             (long) getpid(), users);
    nla_put_string(msg, IFLA_IFALIAS, alias);
    return ft_tc_nl_transact(sock, msg, "tc: name the VXLAN device's owner",
                             err);
}

int
ft_tc_tunnel_dev_open(struct nl_sock *sock, uint16_t dst_port, int *ifindex,
                      struct ft_error *err)
{
    char name[FT_PORT_NAME_MAX];
    struct link_info li;
    int error;

    dev_name(dst_port, name);
    if (!link_get(sock, name, &li)) {
        if (li.pid == getpid()) {
            *ifindex = li.ifindex;
            return dev_set_alias(sock, li.ifindex, li.users + 1, err);
        }
        if (!li.pid || strcmp(li.kind, "vxlan")) {
            return ft_error_set(err, -EEXIST, "tc: a device %s exists that "
                                "FlowTier did not create: VXLAN on UDP "
                                "port %u is not offloaded (delete or "
                                "rename it)", name, dst_port);
        }
        if (!pid_gone(li.pid)) {
            return ft_error_set(err, -EEXIST, "tc: %s belongs to another "
                                "FlowTier daemon (pid %ld)", name, li.pid);
        }
        /* A killed daemon's: its filters go with it. */
        link_del(sock, li.ifindex, NULL);
    }
    error = dev_create(sock, name, dst_port, err);
    if (!error) {
        error = link_get(sock, name, &li);
        if (error) {
            return ft_error_set(err, error, "tc: VXLAN device %s vanished",
                                name);
        }
        error = dev_set_alias(sock, li.ifindex, 1, err);
        if (error) {
            link_del(sock, li.ifindex, NULL);
            return error;
        }
        *ifindex = li.ifindex;
    }
    return error;
}

void
ft_tc_tunnel_dev_close(struct nl_sock *sock, uint16_t dst_port)
{
    char name[FT_PORT_NAME_MAX];
    struct link_info li;

    dev_name(dst_port, name);
    if (!link_get(sock, name, &li) && li.pid == getpid()
        && !strcmp(li.kind, "vxlan")) {
        if (li.users > 1) {
            dev_set_alias(sock, li.ifindex, li.users - 1, NULL);
        } else {
            link_del(sock, li.ifindex, NULL);
        }
    }
}

int
ft_tc_tunnel_dev_up(struct nl_sock *sock, int ifindex, struct ft_error *err)
{
    return ft_tc_nl_transact(sock, ft_tc_nl_link_msg(RTM_NEWLINK, 0, ifindex,
                                                     IFF_UP, IFF_UP),
                             "bring FlowTier's VXLAN device up (is its UDP "
                             "port taken by another socket, such as a "
                             "datapath_type=netdev bridge's vxlan port?)",
                             err);
}

struct sweep {
    int ifindex[64];
    size_t n;
};

static int
sweep_cb(struct nl_msg *msg, void *aux)
{
    struct sweep *sw = aux;
    struct link_info li;

    link_parse(msg, &li);
    if (li.ifindex && !strcmp(li.kind, "vxlan")
        && !strncmp(li.name, "ft_vxlan_", strlen("ft_vxlan_"))
        && pid_gone(li.pid) && sw->n < sizeof sw->ifindex
                                        / sizeof sw->ifindex[0]) {
        sw->ifindex[sw->n++] = li.ifindex;
    }
    return NL_OK;
}

void
ft_tc_tunnel_dev_sweep(struct nl_sock *sock)
{
    struct sweep sw = { .n = 0 };

    if (!ft_tc_nl_dump(sock, ft_tc_nl_link_msg(RTM_GETLINK, 0, 0, 0, 0),
                       sweep_cb, &sw)) {
        for (size_t i = 0; i < sw.n; i++) {
            link_del(sock, sw.ifindex[i], NULL);
        }
    }
}

/* ---- Routes. ---- */

struct route_answer {
    int oif;
    uint32_t src;               /* Network order. */
    uint8_t type;
};

static int
route_cb(struct nl_msg *msg, void *aux)
{
    struct nlmsghdr *nlh = nlmsg_hdr(msg);
    struct route_answer *ra = aux;
    struct rtmsg *rtm = nlmsg_data(nlh);
    struct nlattr *tb[RTA_MAX + 1];

    if (nlh->nlmsg_type != RTM_NEWROUTE
        || nlmsg_parse(nlh, sizeof *rtm, tb, RTA_MAX, NULL) < 0) {
        return NL_OK;
    }
    ra->type = rtm->rtm_type;
    if (tb[RTA_OIF]) {
        ra->oif = (int) nla_get_u32(tb[RTA_OIF]);
    }
    if (tb[RTA_PREFSRC]) {
        ra->src = nla_get_u32(tb[RTA_PREFSRC]);
    }
    return NL_OK;
}

static int
tunnel_route(struct nl_sock *sock, uint32_t dst, int *oif, uint32_t *src,
             struct ft_error *err)
{
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_REQUEST
                                                          | NLM_F_ACK);
    struct route_answer ra = { 0, 0, 0 };
    struct in_addr a = { htonl(dst) };
    char abuf[INET_ADDRSTRLEN];
    struct ft_error rerr;
    struct rtmsg rtm;
    int error;

    if (!msg) {
        abort();
    }
    memset(&rtm, 0, sizeof rtm);
    rtm.rtm_family = AF_INET;
    rtm.rtm_dst_len = 32;
    if (nlmsg_append(msg, &rtm, sizeof rtm, NLMSG_ALIGNTO) < 0) {
        abort();
    }
    nla_put_u32(msg, RTA_DST, htonl(dst));
    error = ft_tc_nl_request(sock, msg, route_cb, &ra, "route", NULL, &rerr);
    if (error || ra.type != RTN_UNICAST || !ra.oif) {
        inet_ntop(AF_INET, &a, abuf, sizeof abuf);
        return ft_error_set(err, -EOPNOTSUPP, "tc: tunnel to %s: no route "
                            "to it%s%s", abuf, error ? ": " : "",
                            error ? rerr.reason : "");
    }
    *oif = ra.oif;
    *src = ntohl(ra.src);
    return 0;
}

/* Reads the phys_switch_id of device 'name' into 'id'; returns its
 * length, 0 if it has none. */
static size_t
switch_id_read(const char *name, uint8_t id[FT_SWITCH_ID_MAX])
{
    char path[96], hex[2 * FT_SWITCH_ID_MAX + 2];
    size_t n = 0;
    FILE *f;

    snprintf(path, sizeof path, "/sys/class/net/%s/phys_switch_id", name);
    f = fopen(path, "r");
    if (!f) {
        return 0;
    }
    if (fgets(hex, sizeof hex, f)) {
        unsigned int byte;

        while (n < FT_SWITCH_ID_MAX && sscanf(hex + 2 * n, "%2x", &byte) == 1
               && hex[2 * n + 1] && hex[2 * n + 1] != '\n') {
            id[n++] = (uint8_t) byte;
        }
    }
    fclose(f);
    return n;
}

int
ft_tc_tunnel_route_src(struct nl_sock *sock, uint32_t dst, uint32_t *src,
                       struct ft_error *err)
{
    int oif;

    return tunnel_route(sock, dst, &oif, src, err);
}

int
ft_tc_tunnel_route_check(struct nl_sock *sock, uint32_t dst,
                         const uint8_t *switch_id, size_t len,
                         const char *in_name, uint32_t *src,
                         struct ft_error *err)
{
    struct in_addr a = { htonl(dst) };
    uint8_t id[FT_SWITCH_ID_MAX];
    char name[FT_PORT_NAME_MAX] = "", abuf[INET_ADDRSTRLEN];
    struct link_info li;
    size_t n = 0;
    int oif = 0, error;

    error = tunnel_route(sock, dst, &oif, src, err);
    if (error) {
        return error;
    }
    memset(&li, 0, sizeof li);
    if (ft_tc_nl_request(sock, ft_tc_nl_link_msg(RTM_GETLINK, 0, oif, 0, 0),
                         link_get_cb, &li, "tc: link", NULL, NULL) == 0 && li.ifindex) {
        snprintf(name, sizeof name, "%s", li.name);
        n = switch_id_read(name, id);
    }
    if (!n || n != len || memcmp(id, switch_id, len)) {
        inet_ntop(AF_INET, &a, abuf, sizeof abuf);
        return ft_error_set(err, -EOPNOTSUPP, "tc: tunnel to %s: its route "
                            "leaves through %s, not a port of the e-switch "
                            "of %s", abuf, name[0] ? name : "an unknown "
                            "device", in_name);
    }
    return 0;
}

int
ft_tc_tunnel_refuse_software(const char *what, struct ft_error *err)
{
    return ft_error_set(err, -EOPNOTSUPP, "tc: %s: VXLAN stays in userspace "
                        "with tc-policy=skip_hw: TC in software needs an up "
                        "VXLAN device, which would take the UDP port from "
                        "the userspace datapath (skip_sw offloads it to a "
                        "NIC; datapath_type=system takes it)", what);
}

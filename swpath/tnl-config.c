/*
 * tnl-config.c - the options of a VXLAN port, parsed and checked by a
 * table (one row per option: its parser and its help words), and the
 * receive and transmit questions asked of them (swpath/tnl-config.h).
 *
 * Part of the software datapath; pure functions over their arguments, no
 * I/O, no state.  The management plane calls them too (translation of an
 * output to a tunnel port).
 */
#include "tnl-config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct tnl_opt {
    const char *key;
    const char *expect;         /* What a good value looks like. */
    int (*parse)(const char *value, struct ft_tnl_config *);
};

/* Parses an IPv4 address; -EAFNOSUPPORT for an IPv6 one. */
static int
parse_ipv4(const char *s, uint32_t *ip)
{
    struct in_addr a;
    struct in6_addr a6;

    if (inet_pton(AF_INET, s, &a) == 1) {
        *ip = ntohl(a.s_addr);
        return *ip ? 0 : -EINVAL;
    }
    return inet_pton(AF_INET6, s, &a6) == 1 ? -EAFNOSUPPORT : -EINVAL;
}

static int
parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
    char *end;

    if (!*s || *s == '-' || *s == ' ') {
        return -EINVAL;
    }
    errno = 0;
    *v = strtoull(s, &end, 0);
    return errno || *end || *v < min || *v > max ? -EINVAL : 0;
}

static int
opt_remote_ip(const char *s, struct ft_tnl_config *c)
{
    if (!strcmp(s, "flow")) {
        c->remote_flow = true;
        return 0;
    }
    return parse_ipv4(s, &c->remote_ip);
}

static int
opt_key(const char *s, struct ft_tnl_config *c)
{
    if (!strcmp(s, "flow")) {
        c->key_flow = true;
        return 0;
    }
    return parse_uint(s, 0, FT_VXLAN_MAX_VNI, &c->key);
}

static int
opt_dst_port(const char *s, struct ft_tnl_config *c)
{
    uint64_t v = 0;
    int error = parse_uint(s, 1, 65535, &v);

    c->dst_port = v;
    return error;
}

static int
opt_local_ip(const char *s, struct ft_tnl_config *c)
{
    if (!strcmp(s, "flow")) {
        c->local_flow = true;
        return 0;
    }
    return parse_ipv4(s, &c->local_ip);
}

static int
opt_tos(const char *s, struct ft_tnl_config *c)
{
    uint64_t v = 0;
    int error;

    if (!strcmp(s, "inherit")) {
        c->tos_inherit = true;
        return 0;
    }
    error = parse_uint(s, 0, 255, &v);
    c->tos = v;
    return error;
}

static int
opt_ttl(const char *s, struct ft_tnl_config *c)
{
    uint64_t v = 0;
    int error;

    if (!strcmp(s, "inherit")) {
        c->ttl_inherit = true;
        return 0;
    }
    error = parse_uint(s, 1, 255, &v);
    c->ttl = v;
    return error;
}

static int
opt_df_default(const char *s, struct ft_tnl_config *c)
{
    if (!strcmp(s, "true")) {
        c->df = true;
    } else if (!strcmp(s, "false")) {
        c->df = false;
    } else {
        return -EINVAL;
    }
    return 0;
}

static const struct tnl_opt tnl_opts[] = {
    { "remote_ip", "an IPv4 address or 'flow'", opt_remote_ip },
    { "key", "a number from 0 to 16777215 or 'flow'", opt_key },
    { "dst_port", "a UDP port from 1 to 65535", opt_dst_port },
    { "local_ip", "an IPv4 address or 'flow'", opt_local_ip },
    { "tos", "a number from 0 to 255 or 'inherit'", opt_tos },
    { "ttl", "a number from 1 to 255 or 'inherit'", opt_ttl },
    { "df_default", "'true' or 'false'", opt_df_default },
};

#define N_TNL_OPTS (sizeof tnl_opts / sizeof tnl_opts[0])

static const struct tnl_opt *
tnl_opt_find(const char *key)
{
    for (size_t i = 0; i < N_TNL_OPTS; i++) {
        if (!strcmp(tnl_opts[i].key, key)) {
            return &tnl_opts[i];
        }
    }
    return NULL;
}

int
ft_tnl_config_parse(const char *name, const struct ft_netdev_option *opts,
                    size_t n_opts, struct ft_tnl_config *cfg,
                    struct ft_error *err)
{
    bool have_remote = false;

    memset(cfg, 0, sizeof *cfg);
    cfg->dst_port = FT_VXLAN_DEFAULT_PORT;
    cfg->ttl = FT_TNL_DEFAULT_TTL;
    cfg->df = true;
    for (size_t i = 0; i < n_opts; i++) {
        const char *key = opts[i].key ? opts[i].key : "";
        const char *value = opts[i].value ? opts[i].value : "";
        const struct tnl_opt *o = tnl_opt_find(key);
        int error;

        if (!o) {
            return ft_error_set(err, -EINVAL, "port %s: unknown option '%s' "
                                "for type vxlan (known: remote_ip, key, "
                                "dst_port, local_ip, tos, ttl, df_default)",
                                name, key);
        }
        error = o->parse(value, cfg);
        if (error == -EAFNOSUPPORT) {
            return ft_error_set(err, -EINVAL, "port %s: options:%s '%s': "
                                "the VXLAN underlay is IPv4 only (the flow "
                                "key holds IPv4 tunnel addresses)", name,
                                key, value);
        } else if (error) {
            return ft_error_set(err, -EINVAL, "port %s: options:%s '%s' is "
                                "not %s", name, key, value, o->expect);
        }
        have_remote = have_remote || !strcmp(key, "remote_ip");
    }
    if (!have_remote) {
        return ft_error_set(err, -EINVAL, "port %s: a vxlan port needs "
                            "options:remote_ip (an IPv4 address or 'flow')",
                            name);
    }
    return 0;
}

int
ft_tnl_config_rx_score(const struct ft_tnl_config *cfg, uint32_t src,
                       uint32_t dst, uint64_t vni)
{
    int score = 1;

    if (!cfg->remote_flow) {
        if (cfg->remote_ip != src) {
            return 0;
        }
        score += 4;
    }
    if (!cfg->key_flow) {
        if (cfg->key != vni) {
            return 0;
        }
        score += 2;
    }
    if (cfg->local_ip) {
        if (cfg->local_ip != dst) {
            return 0;
        }
        score += 1;
    }
    return score;
}

#define TNL_ECN_ECT_0 0x02
#define TNL_ECN_CE 0x03

/* The outer ECN bits of an IP packet are always the inner packet's, as in
 * Open vSwitch (RFC 6040's normal mode), except that Congestion
 * Experienced becomes ECT(0), and they are ORed into a fixed options:tos. */
static void
encap_ecn(const struct ft_flow *flow, bool ip, struct ft_flow *wc,
          struct ft_dpa_tunnel *tnl)
{
    uint8_t ecn;

    if (!ip) {
        return;
    }
    if (wc) {
        wc->dl_type = UINT16_MAX;
        wc->nw_tos |= FT_IP_ECN_MASK;
    }
    ecn = flow->nw_tos & FT_IP_ECN_MASK;
    tnl->tos |= ecn == TNL_ECN_CE ? TNL_ECN_ECT_0 : ecn;
}

int
ft_tnl_config_encap(const struct ft_tnl_config *cfg,
                    const struct ft_flow *flow, struct ft_flow *wc,
                    struct ft_dpa_tunnel *tnl, struct ft_error *err)
{
    bool ip = flow->dl_type == FT_ETH_TYPE_IP
              || flow->dl_type == FT_ETH_TYPE_IPV6;

    memset(tnl, 0, sizeof *tnl);
    if (cfg->remote_flow) {
        tnl->dst = flow->tun_dst;
        if (wc) {
            wc->tun_dst = UINT32_MAX;
        }
        if (!tnl->dst) {
            return ft_error_set(err, -EINVAL, "remote_ip=flow and the flow "
                                "has no tun_dst (set it with set_field:"
                                "IP->tun_dst)");
        }
    } else {
        tnl->dst = cfg->remote_ip;
    }
    if (cfg->key_flow) {
        tnl->tun_id = flow->tun_id & FT_VXLAN_MAX_VNI;
        if (wc) {
            wc->tun_id = UINT64_MAX;
        }
    } else {
        tnl->tun_id = cfg->key;
    }
    if (cfg->local_flow) {
        tnl->src = flow->tun_src;
        if (wc) {
            wc->tun_src = UINT32_MAX;
        }
    } else {
        tnl->src = cfg->local_ip;
    }
    if (cfg->tos_inherit || cfg->ttl_inherit) {
        if (wc) {
            wc->dl_type = UINT16_MAX;
        }
    }
    if (cfg->tos_inherit) {
        tnl->tos = ip ? flow->nw_tos & ~FT_IP_ECN_MASK : 0;
        if (wc && ip) {
            wc->nw_tos |= (uint8_t) ~FT_IP_ECN_MASK;
        }
    } else {
        tnl->tos = cfg->tos;
    }
    encap_ecn(flow, ip, wc, tnl);
    if (cfg->ttl_inherit && ip) {
        tnl->ttl = flow->nw_ttl;
        if (wc) {
            wc->nw_ttl = UINT8_MAX;
        }
    } else {
        tnl->ttl = cfg->ttl_inherit ? FT_TNL_DEFAULT_TTL : cfg->ttl;
    }
    tnl->flags = FT_TNL_F_KEY | (cfg->df ? FT_TNL_F_DONT_FRAGMENT : 0);
    tnl->tp_dst = cfg->dst_port;
    return 0;
}

/*
 * match-check.h - what every offload provider's translator needs first:
 * whether a megaflow's mask touches a field, and the refusal of the
 * fields no NIC or TC rule here can match (tunnel metadata, OpenFlow
 * metadata and registers, an inner VLAN tag, the IPv6 flow label, a
 * wildcarded in_port), with the exceptions a provider asks for.
 *
 * Private to offload/.  Header-only, so that translators built with other
 * compile flags (rte_flow's, with DPDK's) use the same code.
 */
#ifndef OFFLOAD_MATCH_CHECK_H
#define OFFLOAD_MATCH_CHECK_H 1

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/error.h"
#include "flowtier/flow.h"

static inline bool
ft_offload_is_zero(const void *p_, size_t n)
{
    const uint8_t *p = p_;

    for (size_t i = 0; i < n; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

/* True if the mask of match 'M' touches FIELD. */
#define FT_OFFLOAD_MASKED(M, FIELD) \
    (!ft_offload_is_zero(&(M)->mask.FIELD, sizeof (M)->mask.FIELD))

/* "PROVIDER: match on WHAT is not offloadable", as -EOPNOTSUPP. */
static inline int
ft_offload_refuse_match(const char *provider, const char *what,
                        struct ft_error *err)
{
    return ft_error_set(err, -EOPNOTSUPP, "%s: match on %s is not "
                        "offloadable", provider, what);
}

/* True if the mask of 'm' touches a tunnel field. */
static inline bool
ft_offload_match_has_tunnel(const struct ft_match *m)
{
    return (FT_OFFLOAD_MASKED(m, tun_id) || FT_OFFLOAD_MASKED(m, tun_src)
            || FT_OFFLOAD_MASKED(m, tun_dst) || FT_OFFLOAD_MASKED(m, tun_tos)
            || FT_OFFLOAD_MASKED(m, tun_ttl)
            || FT_OFFLOAD_MASKED(m, tun_flags));
}

/* True if the mask of 'm' touches the inner VLAN tag only to say that
 * there is none, under an outer tag, with an exact EtherType that is no
 * TPID.  Every megaflow of a tagged packet says so (a second tag's
 * absence is in each, and NORMAL adds the inner VID toward an access
 * port); a rule that matches the EtherType after the outer tag (tc's
 * vlan_ethtype, rte_flow's VLAN inner_type) says it too, since a second
 * tag would put its TPID there. */
static inline bool
ft_offload_match_no_inner_vlan(const struct ft_match *m)
{
    uint16_t type = m->flow.dl_type;

    return (m->mask.vlans[0].tci & m->flow.vlans[0].tci & FT_VLAN_CFI)
           && (m->mask.vlans[1].tci & FT_VLAN_CFI)
           && !(m->mask.vlans[1].tci & m->flow.vlans[1].tci)
           && !(m->mask.vlans[1].tpid & m->flow.vlans[1].tpid)
           && m->mask.dl_type == 0xffff
           && type != FT_ETH_TYPE_VLAN && type != FT_ETH_TYPE_VLAN_AD;
}

/* What a provider matches that others cannot (flags of
 * ft_offload_check_match__()). */
enum {
    /* Tunnel fields: the provider translates them itself. */
    FT_OFFLOAD_MATCH_TUNNEL = 1 << 0,
    /* The inner VLAN tag's absence, as ft_offload_match_no_inner_vlan()
     * says it: the provider matches the EtherType after the outer tag. */
    FT_OFFLOAD_MATCH_NO_INNER_VLAN = 1 << 1,
};

/* Refuses 'm' if its mask touches a field that no provider can match, in
 * the words of 'provider' ("tc", "rte_flow"), but for what 'ok' (flags
 * FT_OFFLOAD_MATCH_*) says the provider matches.  Returns 0 or
 * -EOPNOTSUPP. */
static inline int
ft_offload_check_match__(const struct ft_match *m, const char *provider,
                         unsigned int ok, struct ft_error *err)
{
    static const char *const regs[] = {
        "reg0", "reg1", "reg2", "reg3", "reg4", "reg5", "reg6", "reg7",
    };
    const char *what = NULL;

    if (!(ok & FT_OFFLOAD_MATCH_TUNNEL) && ft_offload_match_has_tunnel(m)) {
        return ft_error_set(err, -EOPNOTSUPP, "%s: tunnel decapsulation "
                            "(a match on tun_id, tun_src, tun_dst or "
                            "tun_flags) is not offloadable by %s yet: the "
                            "userspace datapath decapsulates", provider,
                            provider);
    }
    if (FT_OFFLOAD_MASKED(m, metadata)) {
        what = "metadata";
    } else if (FT_OFFLOAD_MASKED(m, regs)) {
        for (size_t i = 0; i < FT_N_REGS && !what; i++) {
            what = m->mask.regs[i] ? regs[i] : NULL;
        }
    } else if (FT_OFFLOAD_MASKED(m, vlans[1])
               && !((ok & FT_OFFLOAD_MATCH_NO_INNER_VLAN)
                    && ft_offload_match_no_inner_vlan(m))) {
        what = "an inner VLAN tag";
    } else if (FT_OFFLOAD_MASKED(m, ipv6_label)) {
        what = "the IPv6 flow label";
    } else if (m->mask.in_port != UINT32_MAX) {
        what = "a wildcarded in_port";
    }
    return what ? ft_offload_refuse_match(provider, what, err) : 0;
}

static inline int
ft_offload_check_match(const struct ft_match *m, const char *provider,
                       struct ft_error *err)
{
    return ft_offload_check_match__(m, provider, 0, err);
}

#endif /* offload/match-check.h */

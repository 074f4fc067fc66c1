/*
 * verbs-spec.h - a megaflow in verbs' words: the 'struct ibv_flow_attr'
 * and the 'struct ibv_flow_spec_*' list that follows it, as
 * ibv_create_flow() takes them, for the verbs provider (offload-verbs.c).
 *
 * What a rule can say
 * ===================
 *
 * Matches: Ethernet destination, source and type, the outer VLAN tag's
 * VID and PCP (IBV_FLOW_SPEC_ETH), IPv4 addresses, protocol, TOS and TTL
 * (IBV_FLOW_SPEC_IPV4_EXT), IPv6 addresses, next header, traffic class
 * and hop limit (IBV_FLOW_SPEC_IPV6), TCP or UDP ports
 * (IBV_FLOW_SPEC_TCP, IBV_FLOW_SPEC_UDP).  Actions: drop
 * (IBV_FLOW_SPEC_ACTION_DROP), with a counter (IBV_FLOW_SPEC_ACTION_COUNT)
 * when the caller gives one.  Flow steering delivers what it does not drop
 * to a receive queue of this host: it cannot send a packet out of another
 * port nor rewrite it, so a megaflow with any datapath action is refused.
 *
 * Everything else is refused with -EOPNOTSUPP and the field or action
 * that stopped it: the absence of a VLAN tag and fragment state (verbs
 * filters cannot say either), TCP flags, ICMP type and code, ARP, and the
 * fields no provider takes (match-check.h).
 *
 * Private to offload/.  Needs no device: the unit tests check the bytes.
 */
#ifndef OFFLOAD_VERBS_SPEC_H
#define OFFLOAD_VERBS_SPEC_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>

#include "flowtier/dp-actions.h"
#include "flowtier/error.h"
#include "flowtier/flow.h"

struct ds;

/* Room for the attribute and the longest list: eth, ipv6, tcp_udp, drop,
 * count. */
#define FT_VERBS_RULE_MAX 256

/* A rule: 'len' bytes of 'buf', the attribute first, then the specs one
 * after the other, each 'hdr.size' bytes long, as ibv_create_flow()
 * reads them.  'attr' is the buffer's start. */
struct ft_verbs_rule {
    union {
        struct ibv_flow_attr attr;
        uint8_t buf[FT_VERBS_RULE_MAX];
        uint64_t align_;
    };
    size_t len;
};

/* Translates megaflow 'match' with datapath 'actions' into 'rule' for
 * port 'port_num' of the device (the rule's 'attr.port'); with 'count',
 * the rule ends with a counter spec whose counters set is NULL until
 * ft_verbs_rule_set_counters() gives it one.  Returns 0, or
 * -EOPNOTSUPP with 'err' saying which field or action verbs cannot take
 * ("verbs: match on ... is not offloadable").  'rule' is overwritten
 * either way. */
int ft_verbs_xlate(const struct ft_match *match,
                   const struct ft_dp_actions *actions, uint8_t port_num,
                   bool count, struct ft_verbs_rule *rule,
                   struct ft_error *err);

/* Points the counter spec of 'rule' (made with 'count') at 'counters'.
 * Returns 0, or -ENOENT if the rule has no counter spec. */
int ft_verbs_rule_set_counters(struct ft_verbs_rule *rule,
                               struct ibv_counters *counters);

/* Appends 'rule' to 'out' as one line per spec ("ibv_flow_attr port 1
 * specs 3 size 140", "  eth dst 02:00:00:00:00:01/ff:... type 0x0800
 * (size 40)", ...), read back from its bytes. */
void ft_verbs_rule_format(const struct ft_verbs_rule *rule, struct ds *out);

#endif /* offload/verbs-spec.h */

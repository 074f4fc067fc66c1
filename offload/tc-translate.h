/*
 * tc-translate.h - a megaflow in TC's words: the flower keys of its match
 * (tc-match.c) and the TC actions of its datapath actions (tc-action.c).
 *
 * Private to offload/tc*.c.  Both translators either write every part of
 * the megaflow into the netlink message or refuse with -EOPNOTSUPP and a
 * reason that names the field or action ("tc: match on reg0 is not
 * offloadable"), leaving the message to be freed by the caller.
 */
#ifndef OFFLOAD_TC_TRANSLATE_H
#define OFFLOAD_TC_TRANSLATE_H 1

#include <stdint.h>

#include "flowtier/dp-actions.h"
#include "flowtier/error.h"
#include "flowtier/flow.h"
#include "flowtier/port.h"

struct nl_msg;

/* The cookie on the first action of every filter FlowTier installs: it
 * tells FlowTier's filters from everyone else's. */
#define FT_TC_COOKIE_MAGIC "FlowTier"
#define FT_TC_COOKIE_LEN 16

/* Writes the flower keys of 'match' (its in_port is the device the filter
 * is on, not a key) into 'msg', inside TCA_OPTIONS, and stores the
 * filter's protocol (network byte order, ETH_P_ALL if any) in
 * '*protocol'.  Returns 0 or -EOPNOTSUPP with 'err' naming the field. */
int ft_tc_match_put(struct nl_msg *msg, const struct ft_match *match,
                    uint16_t *protocol, struct ft_error *err);

/* Says where port 'port_no' is for an output action: its ifindex, and
 * whether it is on the same e-switch as the filter's input port.  Returns
 * 0, or -EOPNOTSUPP with 'err' saying why the port cannot be an output. */
typedef int ft_tc_port_lookup(void *aux, ft_port_no port_no, int *ifindex,
                              struct ft_error *err);

/* Writes the TC actions of 'actions' (TCA_FLOWER_ACT) into 'msg' for the
 * megaflow 'match' (its in_port is the filter's device; its nw_proto says
 * which checksums a rewrite must fix), with 'cookie' on the first action.
 * A list without an output is a drop.  Returns 0 or -EOPNOTSUPP with
 * 'err' naming the action. */
int ft_tc_actions_put(struct nl_msg *msg, const struct ft_dp_actions *actions,
                      const struct ft_match *match, ft_tc_port_lookup *lookup,
                      void *aux, const uint8_t cookie[FT_TC_COOKIE_LEN],
                      struct ft_error *err);

#endif /* offload/tc-translate.h */

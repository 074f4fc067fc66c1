/*
 * ofp-flow.h - OpenFlow flow specifications in the ovs-ofctl dialect.
 *
 * A 'struct ft_flow_spec' is one line of an 'ovs-ofctl add-flows' file
 * parsed: table, priority, cookie, timeouts, match and actions.  The same
 * struct serves add-flow, mod-flows and del-flows (whose lines may carry a
 * cookie mask and leave the table or actions out) and the classifier's
 * rules.
 *
 * Parsing (ofp-parse.c) is table driven and all-or-nothing: on error
 * 'spec' is left initialized but empty and 'err' names the bad token and
 * its 1-based character position, e.g.
 *     "column 23: nw_src: '10.0.0.300' is not an IPv4 address".
 * Printing (ofp-print.c) follows 'ovs-ofctl dump-flows': omitted defaults,
 * OVS field order; and ft_flow_spec_parse(ft_flow_spec_format(x)) == x.
 */
#ifndef FLOWTIER_MGMT_OFP_FLOW_H
#define FLOWTIER_MGMT_OFP_FLOW_H 1

#include <stdbool.h>
#include <stdint.h>

#include "flowtier/ds.h"
#include "flowtier/error.h"
#include "flowtier/flow.h"
#include "flowtier/port.h"
#include "mgmt/flowsyntax/ofp-actions.h"

#define FT_N_TABLES 255          /* Tables 0..254. */
#define FT_TABLE_ALL 255         /* "Every table", for mod and del. */
#define FT_DEFAULT_PRIORITY 32768

/* Port names <-> numbers, for "in_port=vnet0" and "output:vnet0".  Owned
 * by the caller; the parser and printer only read it.  May be NULL. */
struct ft_port_map_entry {
    char *name;
    ft_port_no port;
};

struct ft_port_map {
    struct ft_port_map_entry *entries;
    size_t n, allocated;
};

void ft_port_map_init(struct ft_port_map *);
void ft_port_map_destroy(struct ft_port_map *);
/* Adds or replaces 'name'. */
void ft_port_map_add(struct ft_port_map *, const char *name, ft_port_no);
/* Returns 0 and '*port', or -ENOENT. */
int ft_port_map_find_name(const struct ft_port_map *, const char *name,
                          ft_port_no *port);
/* Returns the name of 'port', or NULL. */
const char *ft_port_map_find_port(const struct ft_port_map *, ft_port_no);

/* What a line is for: decides which keys are allowed and which defaults
 * apply (ADD: table 0, priority 32768, actions required; MODIFY/DELETE:
 * table ALL, actions optional (DELETE: forbidden); STRICT variants take
 * priority into account). */
enum ft_flow_cmd {
    FT_FLOW_ADD,
    FT_FLOW_MODIFY,
    FT_FLOW_MODIFY_STRICT,
    FT_FLOW_DELETE,
    FT_FLOW_DELETE_STRICT,
};

/* The members are ordered so that the small ones share words: every
 * OpenFlow rule holds one. */
struct ft_flow_spec {
    uint8_t table_id;           /* FT_TABLE_ALL allowed for mod/del. */
    bool has_actions;           /* "actions=" present (mod/del lines). */
    uint16_t priority;
    uint16_t idle_timeout;      /* Seconds; 0 = none. */
    uint16_t hard_timeout;
    uint64_t cookie;
    uint64_t cookie_mask;       /* mod/del filter; 0 = any cookie. */
    uint16_t flags;             /* FT_FLOW_F_*. */
    struct ft_match match;
    struct ft_ofpacts actions;
};

/* 'flags': the controller hears of the rule's removal (FLOW_REMOVED), as
 * "send_flow_rem" in the flow syntax. */
#define FT_FLOW_F_SEND_FLOW_REM 0x0001

void ft_flow_spec_init(struct ft_flow_spec *);
void ft_flow_spec_uninit(struct ft_flow_spec *);
/* Deep copy; 'dst' must be initialized. */
void ft_flow_spec_copy(struct ft_flow_spec *dst,
                       const struct ft_flow_spec *src);

/* Parses one flow line 'text' for 'cmd'.  'ports' may be NULL (then port
 * names are errors).  Returns 0, or -EINVAL with 'err' filled; 'spec' must
 * be initialized and is replaced either way (empty on error). */
int ft_flow_spec_parse(const char *text, enum ft_flow_cmd cmd,
                       const struct ft_port_map *ports,
                       struct ft_flow_spec *spec, struct ft_error *err);

/* Parses just a match ("tcp,nw_src=10.0.0.0/8,tp_dst=22"), as used by
 * 'trace' for a packet's flow (where ports are named or numbered).
 * Returns 0 or -EINVAL. */
int ft_match_parse(const char *text, const struct ft_port_map *ports,
                   struct ft_match *match, struct ft_error *err);

/* Parses an action list ("mod_vlan_vid:10,output:2"). */
int ft_ofpacts_parse(const char *text, const struct ft_port_map *ports,
                     struct ft_ofpacts *acts, struct ft_error *err);

/* Appends the match in dump-flows form: "priority=100,tcp,in_port=1,..."
 * ('priority' printed first unless it equals FT_DEFAULT_PRIORITY and
 * 'print_priority' is false; pass print_priority=false and priority=-1 to
 * omit it).  Port numbers print as names when 'ports' knows them. */
void ft_match_format(const struct ft_match *, int priority,
                     const struct ft_port_map *ports, struct ds *out);

/* Appends the actions ("drop" when empty). */
void ft_ofpacts_format(const struct ft_ofpacts *,
                       const struct ft_port_map *ports, struct ds *out);

/* Appends the whole spec the way 'dump-flows --no-stats' prints a rule,
 * but with every non-default key so that parsing gives the spec back:
 * "table=1, cookie=0x5, idle_timeout=10, priority=100,ip actions=drop". */
void ft_flow_spec_format(const struct ft_flow_spec *,
                         const struct ft_port_map *ports, struct ds *out);

/* Parses an OpenFlow port: decimal number, reserved name (IN_PORT, NORMAL,
 * FLOOD, ALL, CONTROLLER, LOCAL, NONE) or a name in 'ports'. */
int ft_port_parse(const char *text, const struct ft_port_map *ports,
                  ft_port_no *port, struct ft_error *err);

/* Appends a port: reserved name, name from 'ports', or number. */
void ft_port_format(ft_port_no, const struct ft_port_map *ports,
                    struct ds *out);

#endif /* mgmt/flowsyntax/ofp-flow.h */

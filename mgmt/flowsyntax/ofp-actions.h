/*
 * ofp-actions.h - OpenFlow actions, as FlowTier holds them in a rule.
 *
 * A rule's actions are a 'struct ft_ofpacts': an array of fixed-size
 * 'struct ft_ofpact' in execution order.  An empty list is "drop".  The
 * flow syntax parser (ofp-parse.c) builds them, the printer (ofp-print.c)
 * prints them the way 'ovs-ofctl dump-flows' does, and the translator
 * (xlate.c) executes them against a flow to produce datapath actions.
 *
 * Reserved ports (NORMAL, FLOOD, ALL, IN_PORT, LOCAL) are FT_OFPACT_OUTPUT
 * to the FT_PORT_* numbers of flowtier/port.h.  CONTROLLER has its own
 * type because it carries a max_len.
 *
 * Field writes of every spelling (set_field, load, mod_dl_src, mod_nw_tos,
 * mod_tp_dst, mod_vlan_pcp on a tagged packet...) are FT_OFPACT_SET_FIELD
 * with a value and a mask; 'spelling' remembers how the user wrote it so
 * that printing gives it back.
 */
#ifndef FLOWTIER_MGMT_OFP_ACTIONS_H
#define FLOWTIER_MGMT_OFP_ACTIONS_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/error.h"
#include "flowtier/port.h"
#include "mgmt/flowsyntax/field.h"

enum ft_ofpact_type {
    FT_OFPACT_OUTPUT,           /* 'output'. */
    FT_OFPACT_CONTROLLER,       /* 'controller'. */
    FT_OFPACT_RESUBMIT,         /* 'resubmit'. */
    FT_OFPACT_GOTO_TABLE,       /* 'table_id'. */
    FT_OFPACT_SET_VLAN_VID,     /* 'vlan_vid': OF1.0 mod_vlan_vid. */
    FT_OFPACT_SET_VLAN_PCP,     /* 'vlan_pcp': OF1.0 mod_vlan_pcp. */
    FT_OFPACT_STRIP_VLAN,       /* 'strip_vlan' (strip_vlan / pop_vlan). */
    FT_OFPACT_PUSH_VLAN,        /* 'push_vlan'. */
    FT_OFPACT_SET_FIELD,        /* 'set_field'. */
    FT_OFPACT_DEC_TTL,          /* No argument. */
    FT_OFPACT_SET_TUNNEL,       /* 'set_tunnel'. */
    FT_OFPACT_WRITE_METADATA,   /* 'write_metadata'. */
    FT_OFPACT_METER,            /* 'meter'. */
};

/* How a set_field was written; printing uses the same spelling. */
enum ft_set_field_spelling {
    FT_SPELL_SET_FIELD,         /* set_field:V->F */
    FT_SPELL_LOAD,              /* load:V->F[a..b] */
    FT_SPELL_MOD_DL_SRC,
    FT_SPELL_MOD_DL_DST,
    FT_SPELL_MOD_NW_SRC,
    FT_SPELL_MOD_NW_DST,
    FT_SPELL_MOD_NW_TOS,
    FT_SPELL_MOD_TP_SRC,
    FT_SPELL_MOD_TP_DST,
};

struct ft_ofpact_output {
    ft_port_no port;            /* Port number or FT_PORT_* reserved. */
};

struct ft_ofpact_controller {
    uint16_t max_len;           /* Bytes of packet sent; 65535 = all. */
};

struct ft_ofpact_resubmit {
    ft_port_no in_port;         /* FT_PORT_IN_PORT = keep the input port. */
    uint8_t table_id;           /* 255 = the current table. */
};

struct ft_ofpact_vlan_vid {
    uint16_t vid;               /* 0..4095. */
    bool push_vlan_if_needed;   /* OF1.0 semantics: push a tag if none. */
};

struct ft_ofpact_vlan_pcp {
    uint8_t pcp;                /* 0..7. */
    bool push_vlan_if_needed;
};

struct ft_ofpact_push_vlan {
    uint16_t ethertype;         /* 0x8100 or 0x88a8. */
};

struct ft_ofpact_set_field {
    enum ft_field_id field;
    union ft_value value;       /* Only bits in 'mask' are meaningful. */
    union ft_value mask;        /* Full mask for set_field. */
    uint8_t spelling;           /* enum ft_set_field_spelling. */
};

struct ft_ofpact_set_tunnel {
    uint64_t tun_id;
    bool is64;                  /* Written as set_tunnel64. */
};

struct ft_ofpact_write_metadata {
    uint64_t metadata;
    uint64_t mask;              /* UINT64_MAX when no mask was given. */
};

struct ft_ofpact {
    enum ft_ofpact_type type;
    union {
        struct ft_ofpact_output output;
        struct ft_ofpact_controller controller;
        struct ft_ofpact_resubmit resubmit;
        uint8_t table_id;
        struct ft_ofpact_vlan_vid vlan_vid;
        struct ft_ofpact_vlan_pcp vlan_pcp;
        struct ft_ofpact_push_vlan push_vlan;
        struct ft_ofpact_set_field set_field;
        struct ft_ofpact_set_tunnel set_tunnel;
        struct ft_ofpact_write_metadata write_metadata;
        uint32_t meter_id;
    };
};

/* 'acts' is owned (freed by ft_ofpacts_uninit()) when 'allocated' is
 * nonzero.  With 'allocated' zero it is NULL or storage someone else
 * keeps (an OpenFlow rule's actions share the rule's allocation): then
 * growing or copying into the list moves it to storage of its own. */
struct ft_ofpacts {
    struct ft_ofpact *acts;
    size_t n;
    size_t allocated;
};

#define FT_OFPACTS_INITIALIZER { NULL, 0, 0 }

void ft_ofpacts_init(struct ft_ofpacts *);
void ft_ofpacts_uninit(struct ft_ofpacts *);

/* Appends a zeroed action of 'type'; returns it to be filled in. */
struct ft_ofpact *ft_ofpacts_put(struct ft_ofpacts *, enum ft_ofpact_type);

/* Deep copy; 'dst' must be initialized and is overwritten. */
void ft_ofpacts_copy(struct ft_ofpacts *dst, const struct ft_ofpacts *src);

/* Structural equality (same actions, same order, same spellings). */
bool ft_ofpacts_equal(const struct ft_ofpacts *, const struct ft_ofpacts *);

/* FlowTier has no meter table yet, so every meter:N names a meter that
 * does not exist.  Returns 0 if 'acts' uses no meter, else -ENOENT with
 * "meter N does not exist" in 'err' (as a switch without that meter must
 * refuse the flow). */
int ft_ofpacts_check_meters(const struct ft_ofpacts *acts,
                            struct ft_error *err);

#endif /* mgmt/flowsyntax/ofp-actions.h */

/*
 * field.h - the field table: every matchable and settable field of
 * 'struct ft_flow', by id and by name.
 *
 * One table drives the flow syntax parser and printer (match fields,
 * set_field, load), the translator (set_field on the flow, prerequisite
 * checks, un-wildcarding) and the megaflow printer.  A field is a run of
 * 'n_bits' bits, 'shift' bits up from the bottom of a host-order integer of
 * 'n_bytes' bytes at byte offset 'ofs' in 'struct ft_flow' (vlan_pcp is 3
 * bits at shift 13 of the 2-byte vlans[0].tci), or, for MAC and IPv6
 * addresses (n_bytes 6 and 16), the whole byte array.
 *
 * Values travel as 'union ft_value': integers (n_bytes <= 8) in 'u64',
 * host order, already shifted down (vlan_pcp 5 is u64 == 5); addresses in
 * 'mac' / 'ipv6'.
 */
#ifndef FLOWTIER_MGMT_FIELD_H
#define FLOWTIER_MGMT_FIELD_H 1

#include <stdbool.h>
#include <stdint.h>

#include "flowtier/ds.h"
#include "flowtier/error.h"
#include "flowtier/flow.h"

enum ft_field_id {
    FT_F_IN_PORT,
    FT_F_TUN_ID,
    FT_F_TUN_SRC,
    FT_F_TUN_DST,
    FT_F_TUN_TOS,
    FT_F_TUN_TTL,
    FT_F_TUN_FLAGS,
    FT_F_METADATA,
    FT_F_REG0, FT_F_REG1, FT_F_REG2, FT_F_REG3,
    FT_F_REG4, FT_F_REG5, FT_F_REG6, FT_F_REG7,
    FT_F_ETH_SRC,
    FT_F_ETH_DST,
    FT_F_ETH_TYPE,
    FT_F_VLAN_TCI,      /* Whole TCI of vlans[0], CFI = present. */
    FT_F_DL_VLAN,       /* OF1.0 dl_vlan: VID; matching it requires a tag. */
    FT_F_DL_VLAN_PCP,   /* OF1.0 dl_vlan_pcp; requires a tag. */
    FT_F_VLAN_VID,      /* OXM vlan_vid: 13 bits, VID | 0x1000 present. */
    FT_F_VLAN_PCP,      /* OXM vlan_pcp. */
    FT_F_IPV4_SRC,      /* nw_src (IPv4). */
    FT_F_IPV4_DST,      /* nw_dst (IPv4). */
    FT_F_IPV6_SRC,
    FT_F_IPV6_DST,
    FT_F_IPV6_LABEL,
    FT_F_IP_PROTO,      /* nw_proto. */
    FT_F_IP_TOS,        /* nw_tos: the DSCP bits of the TOS byte, in place. */
    FT_F_IP_DSCP,       /* ip_dscp: DSCP shifted down (0..63). */
    FT_F_IP_ECN,        /* nw_ecn / ip_ecn. */
    FT_F_IP_TTL,        /* nw_ttl. */
    FT_F_IP_FRAG,       /* nw_frag. */
    FT_F_ARP_OP,
    FT_F_ARP_SPA,
    FT_F_ARP_TPA,
    FT_F_ARP_SHA,
    FT_F_ARP_THA,
    FT_F_TP_SRC,        /* Generic L4 source (TCP, UDP or SCTP). */
    FT_F_TP_DST,
    FT_F_TCP_SRC,
    FT_F_TCP_DST,
    FT_F_UDP_SRC,
    FT_F_UDP_DST,
    FT_F_SCTP_SRC,
    FT_F_SCTP_DST,
    FT_F_TCP_FLAGS,
    FT_F_ICMP_TYPE,
    FT_F_ICMP_CODE,
    FT_F_ICMPV6_TYPE,
    FT_F_ICMPV6_CODE,
    FT_N_FIELDS
};

/* What a packet must be for a field to be meaningful. */
enum ft_field_prereq {
    FT_PREREQ_NONE,
    FT_PREREQ_VLAN,     /* vlans[0] present. */
    FT_PREREQ_ARP,      /* dl_type == ARP. */
    FT_PREREQ_IP_ANY,   /* dl_type == IPv4 or IPv6. */
    FT_PREREQ_IPV4,
    FT_PREREQ_IPV6,
    FT_PREREQ_L4,       /* IP with nw_proto TCP, UDP or SCTP. */
    FT_PREREQ_TCP,      /* IP (v4 or v6) and nw_proto == TCP. */
    FT_PREREQ_UDP,
    FT_PREREQ_SCTP,
    FT_PREREQ_ICMPV4,   /* IPv4 and nw_proto == ICMP. */
    FT_PREREQ_ICMPV6,   /* IPv6 and nw_proto == ICMPv6. */
};

/* How a value prints and parses. */
enum ft_field_format {
    FT_FMT_DECIMAL,     /* 10 (hex accepted on input with 0x). */
    FT_FMT_HEX,         /* 0x1f. */
    FT_FMT_ETHERNET,    /* aa:bb:cc:dd:ee:ff. */
    FT_FMT_IPV4,        /* 10.0.0.1 (CIDR or dotted mask on input). */
    FT_FMT_IPV6,        /* 2001:db8::1 (/len or mask on input). */
    FT_FMT_PORT,        /* OpenFlow port: number, reserved or port name. */
    FT_FMT_FRAG,        /* no, yes, first, later, not_later. */
    FT_FMT_TCP_FLAGS,   /* +syn-ack or 0x12/0x12. */
};

union ft_value {
    uint64_t u64;
    struct ft_eth_addr mac;
    struct ft_in6_addr ipv6;
    uint8_t bytes[16];
};

struct ft_field {
    enum ft_field_id id;
    const char *name;           /* Canonical name, as dump-flows prints. */
    const char *nxm_name;       /* "NXM_OF_IP_SRC", for load:; or NULL. */
    uint16_t ofs;               /* Byte offset in struct ft_flow. */
    uint8_t n_bytes;            /* Storage: 1, 2, 4, 8, 6 (MAC), 16. */
    uint8_t n_bits;             /* Width of the field. */
    uint8_t shift;              /* Bit offset inside the storage integer. */
    bool maskable;              /* Arbitrary masks allowed on match. */
    bool writable;              /* May be set_field / load target. */
    enum ft_field_format format;
    enum ft_field_prereq prereq;
};

/* Returns the field with 'id'; never NULL for id < FT_N_FIELDS. */
const struct ft_field *ft_field_from_id(enum ft_field_id id);

/* Returns the field named 'name' (canonical names, OVS synonyms such as
 * tcp_src or eth_src, and NXM names such as NXM_NX_REG0), or NULL. */
const struct ft_field *ft_field_from_name(const char *name);

/* Reads the field's value from 'flow' into 'value'. */
void ft_field_get(const struct ft_field *, const struct ft_flow *flow,
                  union ft_value *value);

/* Writes 'value' into 'flow', only the bits set in 'mask' (NULL = all). */
void ft_field_set(const struct ft_field *, const union ft_value *value,
                  const union ft_value *mask, struct ft_flow *flow);

/* Sets the bits of the field's storage that 'mask' covers (NULL = the
 * whole field) to ones in 'wc': marks the field as consulted. */
void ft_field_unwildcard(const struct ft_field *, const union ft_value *mask,
                         struct ft_flow *wc);

/* Adds "field == value/mask" to 'match' (mask NULL = exact), keeping the
 * match normalized. */
void ft_match_set_field(struct ft_match *match, const struct ft_field *,
                        const union ft_value *value,
                        const union ft_value *mask);

/* Reads the field's value and mask out of 'match'. */
void ft_match_get_field(const struct ft_match *match, const struct ft_field *,
                        union ft_value *value, union ft_value *mask);

/* All-ones mask of the field's width. */
void ft_field_full_mask(const struct ft_field *, union ft_value *mask);

/* True if 'mask' is all-zero (field fully wildcarded) / all-ones. */
bool ft_field_mask_is_zero(const struct ft_field *, const union ft_value *);
bool ft_field_mask_is_exact(const struct ft_field *, const union ft_value *);

/* True if 'flow' satisfies the field's prerequisites.  If 'wc' is nonnull,
 * marks the fields the check consulted (dl_type, nw_proto, vlan CFI). */
bool ft_field_prereqs_ok(const struct ft_field *, const struct ft_flow *flow,
                         struct ft_flow *wc);

/* Parses 'text' as a value of the field, with an optional "/mask" when
 * 'mask' is nonnull (absent mask = exact, written to 'mask').  Port names
 * are not resolved here (the flow parser does that).  Returns 0 or -EINVAL
 * with a reason in 'err'. */
int ft_field_parse(const struct ft_field *, const char *text,
                   union ft_value *value, union ft_value *mask,
                   struct ft_error *err);

/* Appends the value (and "/mask" unless 'mask' is NULL or exact) in the
 * field's format. */
void ft_field_format(const struct ft_field *, const union ft_value *value,
                     const union ft_value *mask, struct ds *out);

#endif /* mgmt/flowsyntax/field.h */

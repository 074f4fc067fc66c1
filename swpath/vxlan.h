/*
 * vxlan.h - the VXLAN wire format (RFC 7348): the 50-byte outer header a
 * frame gets (Ethernet, IPv4, UDP, VXLAN), the VXLAN header a received
 * UDP payload starts with, and the outer UDP source port chosen from the
 * inner flow so that the underlay's ECMP and RSS spread tunnelled flows as
 * they would spread the flows themselves.
 *
 * Pure functions over bytes; the port class (swpath/netdev-vxlan.c) does
 * the I/O.  Outer fields are in host order here and written big-endian.
 */
#ifndef SWPATH_VXLAN_H
#define SWPATH_VXLAN_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/flow.h"
#include "packet.h"

#define FT_VXLAN_HEADER_LEN 8
#define FT_UDP_HEADER_LEN 8
/* Outer Ethernet + IPv4 + UDP + VXLAN. */
#define FT_VXLAN_ENCAP_LEN (FT_ETH_HEADER_LEN + FT_IPV4_HEADER_LEN \
                            + FT_UDP_HEADER_LEN + FT_VXLAN_HEADER_LEN)
/* What the outer headers add to the inner frame in the underlay's IP
 * packet (the outer Ethernet header is not part of the MTU). */
#define FT_VXLAN_IP_OVERHEAD (FT_VXLAN_ENCAP_LEN - FT_ETH_HEADER_LEN)

/* The "I" flag: the VNI is valid. */
#define FT_VXLAN_FLAG_VNI 0x08

/* The outer header of one encapsulated frame. */
struct ft_vxlan_outer {
    struct ft_eth_addr eth_src, eth_dst;
    uint32_t ip_src, ip_dst;
    uint8_t tos, ttl;
    bool df;                    /* IPv4 don't fragment. */
    uint16_t ip_id;
    uint16_t udp_src, udp_dst;
    uint32_t vni;               /* Low 24 bits used. */
};

/* Writes into 'hdr' the FT_VXLAN_ENCAP_LEN bytes that go in front of an
 * inner frame of 'inner_len' bytes: IPv4 header with its checksum, UDP
 * with checksum 0 (as RFC 7348 allows and Linux and Open vSwitch send by
 * default), VXLAN with the I flag.  'inner_len' must be at most
 * 65535 - FT_VXLAN_IP_OVERHEAD. */
void ft_vxlan_build_header(const struct ft_vxlan_outer *outer,
                           size_t inner_len, uint8_t hdr[]);

/* Reads the VXLAN header at the start of the 'len'-byte UDP payload 'p'
 * into '*vni'.  Returns 0, or -EINVAL if the payload is too short to hold
 * a header and an Ethernet header or the I flag is clear. */
int ft_vxlan_parse_header(const uint8_t *p, size_t len, uint32_t *vni);

/* The outer UDP source port for the parsed inner frame 'pkt': a hash of
 * its Ethernet addresses, IP addresses, IP protocol and L4 ports, in
 * Linux's default ephemeral range [32768, 61000) as Linux's vxlan device
 * and Open vSwitch pick it. */
uint16_t ft_vxlan_src_port(const struct ft_packet *pkt);

#endif /* swpath/vxlan.h */

/*
 * flow-extract.h - parsing a raw Ethernet frame into a flow key.
 *
 * The software datapath calls ft_flow_extract() once per received packet
 * and looks the resulting 'struct ft_flow' up in the megaflow cache.  The
 * parser runs on the per-packet path: it allocates nothing, keeps no state,
 * reads each header byte at most once or twice and does work bounded by the
 * frame length (at most 2 VLAN tags, a bounded IPv6 extension header chain,
 * a bounded ND option walk).
 *
 * What is parsed
 * ==============
 *
 *   - Ethernet II, and 802.3 with LLC/SNAP (OUI 00-00-00): 'dl_type' is the
 *     SNAP ethertype.  Other 802.3 frames get 'dl_type' FT_ETH_TYPE_NONE.
 *   - Up to 2 VLAN tags, TPID 0x8100 or 0x88a8 in either position
 *     ('vlans[0]' outermost).  The CFI bit of 'tci' is set to mean
 *     "present"; 'dl_type' is the ethertype after the tags.  A third tag is
 *     not parsed: 'dl_type' is then its TPID.
 *   - ARP and RARP for Ethernet/IPv4: opcode in 'nw_proto' (0 if the opcode
 *     does not fit in 8 bits), SPA/TPA in 'nw_src'/'nw_dst', SHA/THA in
 *     'arp_sha'/'arp_tha'.
 *   - IPv4 (options skipped by IHL): addresses, proto, TOS byte, TTL,
 *     fragment bits.  A later fragment (offset != 0) has no L4 fields.
 *   - IPv6: addresses, flow label, traffic class, hop limit, and the
 *     extension header chain (hop-by-hop, routing, destination options,
 *     AH, fragment).  'nw_proto' is the first header that is not one of
 *     those (so ESP = 50 and "no next header" = 59 end the chain).  A
 *     fragment header with a non-zero offset or the M bit set makes the
 *     packet a fragment; for a later fragment 'nw_proto' is 44 (fragment)
 *     and there are no L4 fields, as in Open vSwitch.
 *   - TCP (ports, the low 12 bits of the flags word incl. NS), UDP, SCTP
 *     (ports), ICMP and ICMPv6 (type in 'tp_src', code in 'tp_dst').  For
 *     ICMPv6 neighbor solicitations and advertisements (code 0), the source
 *     and target link-layer address options go to 'arp_sha'/'arp_tha' (a
 *     repeated option makes both zero); the ND target is not stored.
 *
 * Truncated and malformed frames
 * ==============================
 *
 * Every layer is all-or-nothing, and parsing stops at the first layer that
 * is not complete and valid; nothing is ever read beyond 'len' bytes:
 *
 *   - Under 14 bytes (no complete Ethernet header): the key holds only
 *     'in_port' and the function returns -EINVAL.
 *   - L2: a VLAN tag is recorded only if the tag and the 2-byte type after
 *     it are present; otherwise 'dl_type' is the tag's TPID.  An 802.3 frame
 *     whose LLC/SNAP header is cut short has 'dl_type' FT_ETH_TYPE_NONE.
 *   - L3: an IPv4 header with version != 4, IHL < 5, or a total length
 *     smaller than the header or larger than the frame, an IPv6 header with
 *     version != 6 or a payload length beyond the frame, an IPv6 extension
 *     header chain that does not fit the payload, or an ARP packet that is
 *     short or not Ethernet/IPv4 leaves every L3 field (and L4) zero;
 *     'dl_type' and L2 are kept.  Bytes after the IP datagram (Ethernet
 *     padding) are ignored.
 *   - L4: a TCP header shorter than 20 bytes or whose data offset is below
 *     5 or beyond the datagram, a UDP header under 8 bytes, an SCTP header
 *     under 12 bytes, or an ICMP/ICMPv6 header under 8 bytes leaves every L4
 *     field zero; L3 is kept.  A cut or zero-length ND option ends the
 *     option walk, keeping the options already seen.
 *
 * No checksum is verified.
 */
#ifndef SWPATH_FLOW_EXTRACT_H
#define SWPATH_FLOW_EXTRACT_H 1

#include <stddef.h>

#include <flowtier/flow.h>
#include <flowtier/port.h>

/* Parses the 'len' bytes of the Ethernet frame at 'frame' (which may be NULL
 * if 'len' is 0) into 'flow', following the rules at the top of this file.
 * 'flow' is zeroed first, then 'in_port' is set to 'in_port'; the tunnel
 * metadata, OpenFlow metadata and registers stay zero for the caller to
 * fill.  'frame' need not be aligned and is only read.
 *
 * Returns 0 if 'frame' holds at least a complete Ethernet header (the key
 * then describes every layer that was complete and valid), or -EINVAL if it
 * is shorter than 14 bytes (the key then holds only 'in_port').
 *
 * Thread-safe: no shared state. */
int ft_flow_extract(const void *frame, size_t len, ft_port_no in_port,
                    struct ft_flow *flow);

#endif /* swpath/flow-extract.h */

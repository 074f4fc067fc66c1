/*
 * gso.h - software segmentation and checksum completion of frames that
 * carry offloads (swpath/packet.h, "Offloads").
 *
 * What?
 * =====
 *
 * A TCP super-frame received with a virtio-net header (a guest's or a
 * namespace's TSO, up to 64 KiB) must become MTU-sized segments, each with
 * its own IP length and identifier, TCP sequence number and full
 * checksums, before it goes to a port that cannot take the header (a DPDK
 * port, a VXLAN tunnel, the bridge's internal port); a frame with only a
 * partial checksum must get it completed.  ft_gso_apply() does both, the
 * way Linux's tcp_gso_segment() and __udp_gso_segment() do: the headers up
 * to the end of the TCP (or UDP) header are copied onto every segment;
 * FIN and PSH stay only on the last segment and CWR only on the first;
 * IPv4 identifiers count up from the super-frame's.
 *
 * Work: one copy of the frame and one checksum pass over it, whatever the
 * number of segments.  Nothing is allocated: segments are built one after
 * the other in a buffer the caller provides.
 */
#ifndef SWPATH_GSO_H
#define SWPATH_GSO_H 1

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

/* Receives each finished segment 'seg' (an ordinary frame: no offload,
 * parsed, checksums complete, 'in_port' and 'tunnel' those of the
 * super-frame).  'seg' and its buffer are reused for the next segment as
 * soon as the callback returns.  Returns 0 or a negative errno, which
 * ft_gso_apply() reports after emitting the other segments. */
typedef int ft_gso_emit_cb(void *aux, const struct ft_packet *seg);

/* Smallest 'buf_size' that ft_gso_apply() accepts for any frame that fits
 * FT_NETDEV_MAX_FRAME (swpath/netdev.h) bytes. */
#define FT_GSO_BUF_SIZE (FT_PACKET_HEADROOM + 65536 + 64)

/* Turns the parsed frame 'pkt', which carries offloads, into ordinary
 * frames handed to 'emit' one by one, built in the 'buf_size' bytes at
 * 'buf': its segments if it is a super-frame, else one copy with the L4
 * checksum completed.  'pkt' is not modified.
 *
 * Returns the number of frames emitted, the first error 'emit' returned,
 * -EINVAL (nothing emitted) if the offload does not fit the frame (no L4
 * header of the protocol the GSO type names, a TCP header longer than
 * the datagram, a zero segment size), -EOPNOTSUPP for a GSO type not
 * handled here (UDP fragmentation offload, tunnels), or -ENOSPC if a
 * segment does not fit 'buf'. */
int ft_gso_apply(const struct ft_packet *pkt, uint8_t *buf, size_t buf_size,
                 ft_gso_emit_cb *emit, void *aux);

#endif /* swpath/gso.h */

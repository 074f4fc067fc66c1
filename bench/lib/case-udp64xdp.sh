# case-udp64xdp.sh - case udp64 (64-byte UDP ns1 -> ns2, packets/s
# delivered to a UDP socket in ns2: see case-udp64.sh) with FlowTier's
# ports of type afxdp, against the Linux bridge and FlowTier's AF_PACKET
# ports in the same run.
#
# Switches (whatever --switches says):
#   flowtier-xdp-native   v1 and v2 type=afxdp, options:xdp-mode=native
#                         (veth runs the program in its NAPI poll)
#   flowtier-xdp-generic  v1 and v2 type=afxdp, options:xdp-mode=generic
#   flowtier              type system (AF_PACKET), for reference
#   linux-bridge          the kernel's bridge
# A switch whose ports fell back to AF_PACKET is no afxdp measurement:
# sw-afxdp.sh refuses to start it then (the run is reported failed).

CASE_udp64xdp_UNIT=pps
CASE_udp64xdp_DESC="64-byte UDP frames ns1 -> ns2 through afxdp ports, \
packets/s delivered to a UDP socket"
CASE_udp64xdp_SWITCHES=flowtier-xdp-native,flowtier-xdp-generic,flowtier,linux-bridge

case_udp64xdp_run() {
    case_udp64_run
}

# case-vxlan.sh - VXLAN encapsulation and decapsulation host to host
# (sw-vxlan.sh): UDP frames from ns1 reach ns2 through host A's switch,
# which encapsulates them, the underlay, and host B's, which decapsulates
# them; the value is the rate at which they reach a UDP socket in ns2, as
# in case-udp64.sh (whose run function this uses).
#
#   vxlan64    64-byte inner frames (60 bytes before the FCS)
#   vxlan1400  1400-byte inner frames

CASE_vxlan64_UNIT=pps
CASE_vxlan64_DESC="VXLAN host to host, 64-byte inner UDP frames ns1 -> \
ns2, packets/s delivered"
CASE_vxlan64_SWITCHES=flowtier-vxlan,ovs-vxlan

CASE_vxlan1400_UNIT=pps
CASE_vxlan1400_DESC="VXLAN host to host, 1400-byte inner UDP frames ns1 \
-> ns2, packets/s delivered"
CASE_vxlan1400_SWITCHES=flowtier-vxlan,ovs-vxlan

case_vxlan64_run() {
    CASE_FRAME_SIZE=60 case_udp64_run
}

case_vxlan1400_run() {
    CASE_FRAME_SIZE=1400 case_udp64_run
}

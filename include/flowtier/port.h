/*
 * port.h - port numbers.
 *
 * FlowTier uses one port number space from OpenFlow down to the datapaths:
 * a port's OpenFlow number is also its number in every tier, so datapath
 * actions print with the numbers a user sees in 'dump-flows'.  The reserved
 * values are OpenFlow 1.0's, widened to 32 bits.
 */
#ifndef FLOWTIER_PORT_H
#define FLOWTIER_PORT_H 1

#ifdef __KERNEL__                   /* Also read by kmod/. */
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stdint.h>
#endif

typedef uint32_t ft_port_no;

#define FT_PORT_MAX        0xff00u  /* Largest number of a physical port. */
#define FT_PORT_IN_PORT    0xfff8u  /* Send back out of the input port. */
#define FT_PORT_TABLE      0xfff9u  /* Run through the tables (packet-out). */
#define FT_PORT_NORMAL     0xfffau  /* L2 learning switch. */
#define FT_PORT_FLOOD      0xfffbu  /* All ports but input and no-flood. */
#define FT_PORT_ALL        0xfffcu  /* All ports but input. */
#define FT_PORT_CONTROLLER 0xfffdu  /* To the OpenFlow controller. */
#define FT_PORT_LOCAL      0xfffeu  /* The bridge's own internal port. */
#define FT_PORT_NONE       0xffffu  /* No port. */

/* Longest phys_switch_id a device reports (Linux MAX_PHYS_ITEM_ID_LEN). */
#define FT_SWITCH_ID_MAX 32
/* Longest device or phys_port_name, with the NUL (Linux IFNAMSIZ). */
#define FT_PORT_NAME_MAX 16
/* Longest 'status' or 'degraded' text of a port, with the NUL. */
#define FT_PORT_STATUS_MAX 384

/* What a tier below the management plane needs to know about a port to
 * program rules for it, filled by the port class that opened it
 * (swpath/netdev.h) and handed to offload providers (offload/) by the
 * management plane, so that neither layer includes the other:
 *
 *   - a kernel netdev has an 'ifindex' (TC attaches to it);
 *   - a DPDK ethdev has a 'dpdk_port_id' (rte_flow programs it);
 *   - a port of a NIC's embedded switch (an SR-IOV VF representor, the
 *     uplink) has the e-switch's 'switch_id' (sysfs phys_switch_id) and
 *     its 'phys_port_name' ("pf0vf3", "p0").  Two ports with the same
 *     switch id are on the same e-switch;
 *   - a tunnel port (type "vxlan") has its outer UDP port
 *     ('tnl_dst_port'): a provider that offloads tunnels hangs their
 *     rules on a device of its own for that UDP port. */
struct ft_port_identity {
    ft_port_no port_no;
    char name[FT_PORT_NAME_MAX];        /* Device name. */
    char type[FT_PORT_NAME_MAX];        /* Port class: "system", "tap",
                                         * "internal", "dpdk". */
    int ifindex;                        /* Linux ifindex, or 0. */
    int dpdk_port_id;                   /* DPDK ethdev port, or -1. */
    uint8_t switch_id[FT_SWITCH_ID_MAX];
    uint8_t switch_id_len;              /* 0: on no embedded switch. */
    char phys_port_name[FT_PORT_NAME_MAX];  /* "" if none. */
    /* A DPDK ethdev whose driver reports a switch domain (a PF, a
     * representor): rte_flow 'transfer' rules join the ports of one
     * domain, never ports of two. */
    uint8_t dpdk_on_switch;             /* 0: none (net_tap, net_null). */
    uint16_t dpdk_switch_domain;
    uint16_t tnl_dst_port;              /* A tunnel port's outer UDP
                                         * destination port, or 0. */
    /* How the port class runs the port, for the Interface's status
     * ("xdp-mode=generic, n_rxq=1" for an afxdp port), or "". */
    char status[FT_PORT_STATUS_MAX];
    /* Why the port runs in a lesser way than its configuration asks (an
     * afxdp port receiving through AF_PACKET because XDP could not
     * attach), or "" if it does not.  The port works; the management
     * plane shows this in the Interface's error column. */
    char degraded[FT_PORT_STATUS_MAX];
    /* Set by the management plane before a provider of the hw tier
     * probes the port: true lets it leave to the kernel whether each rule
     * goes into the NIC or stays in the kernel's software path (TC with
     * neither skip flag: other_config:tc-policy=none). */
    bool hw_or_kernel;
    /* Set by the kernel datapath (datapath_type=system): its receive
     * handler on the port's device gets what TC ingress lets through, so
     * a TC rule in software needs no slow path in front of it, and
     * FlowTier's VXLAN device of a tunnel port is up (it owns the UDP
     * port and decapsulates). */
    bool kernel_datapath;
};

#endif /* flowtier/port.h */

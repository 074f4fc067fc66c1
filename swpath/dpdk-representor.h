/*
 * dpdk-representor.h - the 'representor=' argument of a DPDK device's
 * devargs, read and checked before DPDK sees it.
 *
 * A NIC with an embedded switch (SR-IOV in switchdev mode) is probed by
 * its PF's PCI address; 'representor=' asks its driver for ethdev ports
 * that stand for the switch's other ports (VFs, SFs, other PFs).  The
 * syntax is DPDK 22.11's (rte_eth_devargs_parse_representor_ports()):
 *
 *     representor=[c<L>]pf<L>vf<L>     VF representors of PF(s) L
 *     representor=[c<L>]pf<L>sf<L>     SF representors
 *     representor=[c<L>]pf<L>          PF representors
 *     representor=vf<L>  sf<L>  <L>    of the PF probed (a bare list: VFs)
 *
 * where <L> is a number, a range "0-3", or a bracketed list of both
 * "[0,2,5-7]"; "c" (a multi-host controller) must be followed by "pf".
 * Examples: "vf1", "vf[0-3]", "pf0vf3", "[0,2]", "c1pf0sf[2,4]".
 *
 * FlowTier's rule on top: one Interface row is one ethdev port, so a row
 * that opens a representor names exactly one ("representor=vf1"); the
 * rows of one PF's representors each name theirs with the same PCI
 * address (as in Open vSwitch: dpdk-devargs=0000:08:00.0,representor=vf1
 * on one row, ...,representor=vf2 on the next).  Lists are read (DPDK
 * takes them and a PF probed with one creates every port it names) so
 * that the refusal can say how many the row named.
 *
 * Pure string work: no DPDK call, no state.
 */
#ifndef SWPATH_DPDK_REPRESENTOR_H
#define SWPATH_DPDK_REPRESENTOR_H 1

#include <stddef.h>
#include <stdint.h>

#include "flowtier/error.h"

enum ft_dpdk_rep_type {
    FT_DPDK_REP_NONE,           /* No 'representor=' in the devargs. */
    FT_DPDK_REP_VF,
    FT_DPDK_REP_SF,
    FT_DPDK_REP_PF,
};

#define FT_DPDK_REP_MAX_IDS 64      /* Per list; DPDK allows as many. */
#define FT_DPDK_REP_MAX_CTRLS 4     /* DPDK's RTE_MAX_MULTI_HOST_CTRLS. */

struct ft_dpdk_representors {
    enum ft_dpdk_rep_type type;
    uint16_t controllers[FT_DPDK_REP_MAX_CTRLS];
    size_t n_controllers;
    uint16_t pfs[FT_DPDK_REP_MAX_IDS];
    size_t n_pfs;
    uint16_t ids[FT_DPDK_REP_MAX_IDS];  /* VF or SF numbers (not PF). */
    size_t n_ids;
};

/* Reads the 'representor=' argument of 'devargs' ("0000:08:00.0,
 * representor=vf1") into '*reps' (type FT_DPDK_REP_NONE without one).
 * Returns 0, or -EINVAL with a reason in 'err' that quotes the value and
 * says what is wrong in it ("representor=vf[3-1]: the range 3-1 goes
 * down").  'name' is the interface's, for the reason. */
int ft_dpdk_representor_parse(const char *name, const char *devargs,
                              struct ft_dpdk_representors *reps,
                              struct ft_error *err);

/* How many ports '*reps' names (0 for FT_DPDK_REP_NONE). */
size_t ft_dpdk_representor_count(const struct ft_dpdk_representors *reps);

/* Writes the one port '*reps' names (count 1) as a switch port name:
 * "vf1", "pf0vf3", "c1pf0sf2", "pf1", into 'buf' of 'size' bytes. */
void ft_dpdk_representor_format(const struct ft_dpdk_representors *reps,
                                char *buf, size_t size);

#endif /* swpath/dpdk-representor.h */

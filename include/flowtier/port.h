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

#include <stdint.h>

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

#endif /* flowtier/port.h */

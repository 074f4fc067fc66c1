/*
 * offload-verbs.h - the verbs offload provider: megaflows as flow
 * steering rules (ibv_create_flow()) on a raw packet QP of the RDMA
 * device behind a port, for the hw tier.
 *
 * It serves a port when libibverbs finds an Ethernet RDMA device port
 * behind it (verbs-device.h) that has managed flow steering
 * (IBV_DEVICE_MANAGED_FLOW_STEERING) and lets it create a raw packet QP;
 * otherwise the probe refuses the port with the device's own answer
 * ("verbs: port eth1: rxe0 has no flow steering
 * (IBV_DEVICE_MANAGED_FLOW_STEERING absent)").  It holds drop rules
 * (verbs-spec.h says which matches), each with a flow counters set
 * (ibv_create_counters(), read with ibv_read_counters()); a device
 * without flow counters gets no rule, so that OpenFlow counters stay
 * exact.
 */
#ifndef OFFLOAD_OFFLOAD_VERBS_H
#define OFFLOAD_OFFLOAD_VERBS_H 1

#include "offload.h"

extern const struct ft_offload_class ft_offload_verbs_class;

#endif /* offload/offload-verbs.h */

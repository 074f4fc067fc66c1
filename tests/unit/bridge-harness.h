/*
 * bridge-harness.h - what the tests of running bridges share: a network
 * namespace of their own with veth pairs, frames injected on one end and
 * looked for on another, and a bridge "br0" with those ports.
 *
 * setup_netns() (a cmocka group setup) moves the test program into a new
 * network namespace when it runs as root and creates the veth pairs
 * a0/a0p, b0/b0p, c0/c0p: 'a0', 'b0', 'c0' go in the bridge, the test
 * holds sniffers on 'a0p', 'b0p', 'c0p' ('peer_fd').  Without root,
 * 'in_netns' stays false and the packet tests skip.
 */
#ifndef TESTS_UNIT_BRIDGE_HARNESS_H
#define TESTS_UNIT_BRIDGE_HARNESS_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mgmt/bridge/bridge.h"

#define N_VETH 3

extern bool in_netns;           /* Root, in a namespace of our own. */
extern int peer_fd[N_VETH];     /* Sniffers on a0p, b0p, c0p. */
extern int local_fd;            /* Sniffer on br0 (make_switch()). */

/* The ports make_switch() gave the bridge, for a test to change and
 * reconfigure with. */
extern struct ft_bridge_port_cfg port_cfgs[N_VETH + 1];
extern size_t n_port_cfgs;

long long int now_ms(void);

/* A bridge "br0" without ports. */
struct ft_bridge *make_bridge(void);

/* ft_bridge_flow_mod_lines() of the single line 'line'. */
int lines_mod(struct ft_bridge *br, enum ft_flow_cmd cmd, const char *line,
              unsigned int flags, struct ft_bridge_flow_changes *c,
              struct ft_error *err);

int sh(const char *cmd);
int open_sniffer(const char *dev);
void drain(int fd);

/* cmocka group setup and teardown. */
int setup_netns(void **state);
int teardown_netns(void **state);

/* Builds an Ethernet + IPv4 frame of 'proto' (ICMP, TCP or UDP) from port
 * 'sport' to 'dport' with 'tag' in the payload.  Returns its length. */
size_t make_frame(uint8_t *f, uint8_t src, uint8_t dst, uint8_t proto,
                  uint16_t sport, uint16_t dport, uint32_t tag);

/* Sends such a frame (source port 1000) from peer 'peer'. */
void inject(int peer, uint8_t src, uint8_t dst, uint8_t proto,
            uint16_t dport, uint32_t tag);

/* Runs the bridge until 'fd' receives a frame carrying 'tag' (true) or
 * 'ms' pass (false). */
bool expect_tag(struct ft_bridge *br, int fd, uint32_t tag, int ms);

/* Creates "br0" with ports a0=1, b0=2 (and c0=3 if 'with_c'), LOCAL, and
 * 'other_config', with the flow "priority=0 actions=NORMAL". */
struct ft_bridge *make_switch(bool with_c, char **oc_keys, char **oc_values,
                              size_t n_oc);
void destroy_switch(struct ft_bridge *br);

/* A dump-dp-flows callback that appends each megaflow's line to the
 * 'struct ds' 'aux'. */
void dp_flow_cb(const struct ft_bridge_dp_flow *f, void *aux);

#endif /* tests/unit/bridge-harness.h */

/*
 * bridge.h - a running bridge: OpenFlow tables, NORMAL, a datapath and
 * the offload providers joined together.
 *
 * What?
 * =====
 *
 * A 'struct ft_bridge' is what flowtierd runs for each Bridge row of its
 * database.  It owns:
 *
 *   - the OpenFlow tables (mgmt/ofproto/oftable.h) and the MAC learning
 *     table behind NORMAL (mgmt/ofproto/mac-learning.h);
 *   - a datapath (swpath/dpif.h) of its datapath_type, with the bridge's
 *     ports in it, and the offload providers given to it
 *     (offload/offload.h, ft_bridge_offload_attach());
 *   - one record per megaflow, in whichever tier holds it
 *     (mgmt/bridge/megaflow.h): its match and actions, the OpenFlow rules
 *     it was translated from, the tables' version and MAC table generation
 *     it was translated at, its counters in every tier, and why each
 *     faster tier did not take it;
 *   - the revalidator and the timers (rule timeouts, MAC aging).
 *
 * The daemon tells it what to be (ft_bridge_reconfigure()), changes its
 * flows (ft_bridge_flow_mod() and friends), polls its file descriptors and
 * calls ft_bridge_run() when they are readable, and ft_bridge_periodic()
 * when ft_bridge_next_wakeup() says so.  Everything a CLI command shows
 * (dump-flows, dump-dp-flows, dump-ports, trace, fdb) is read through the
 * functions below.
 *
 * Life of a packet
 * ================
 *
 * ft_bridge_run() lets the datapath receive a burst on each port.  A
 * packet that hits a megaflow of a faster tier, or of the datapath, never
 * reaches this file.  A miss is an upcall: the bridge translates the
 * packet's key with ft_xlate() (learning MACs), places the megaflow in a
 * tier (see "Tiers") and installs it there, and the datapath executes the
 * actions on the packet.  A translation that fails (resubmit loop, depth
 * limit, a meter) still yields a megaflow whose actions are "drop" (as
 * Open vSwitch installs a drop flow): it is counted in 'n_xlate_errors'.
 * With 'flow-limit' megaflows in all tiers together, no new one is made:
 * the packet is still executed (and counted on its rules), the refusal is
 * counted in 'n_flow_limit_hits' and logged, rate-limited.
 *
 * Tiers
 * =====
 *
 * A megaflow is offered to the tiers in the order other_config:tier-order
 * gives ("hw,kernel,user" by default; an interface's own other_config
 * overrides the bridge's for megaflows that come in on it); the hw tier
 * only with other_config:hw-offload=true (false by default, as in Open
 * vSwitch).  In each tier the offload providers attached for it are asked
 * in turn; the datapath's own tier ("user" for datapath_type netdev) is
 * the datapath, and always the last resort.  The first that takes it
 * holds it, and every refusal is kept with its reason for dump-dp-flows
 * ("not in hw: tc: action set(ipv6) not offloadable").  A tier that was
 * full (-ENOSPC) is asked again when room frees; the megaflow then moves
 * there with its counters.  A holder that cannot change a megaflow's
 * actions on revalidation loses it to the next tier, nothing lost.
 *
 * Revalidation and counters
 * =========================
 *
 * ft_bridge_periodic() runs the revalidator every
 * FT_BRIDGE_REVALIDATE_INTERVAL ms, or less often when a pass costs much
 * (ft_bridge_revalidate_period(): up to nine times a pass's work, at most
 * 5 s and a quarter of max-idle), and at the next call after any change
 * of the OpenFlow tables or of the MAC table.  For each megaflow it:
 *
 *   1. reads the counters of its tier (one batched read per tier and
 *      provider) and credits what every tier counted since the last pass
 *      to each of its OpenFlow rules (ft_ofrule_credit()): a rule's
 *      n_packets / n_bytes are what hardware, kernel and userspace saw
 *      together, and its 'used' time keeps its idle_timeout from firing;
 *   2. deletes it when it has been idle longer than 'max-idle' ms;
 *   3. re-translates it when the tables' version or (for megaflows that
 *      went through NORMAL) the MAC table changed since its translation:
 *      a different match deletes it, different actions modify it in
 *      whichever tier holds it, and the record takes the new rules;
 *   4. moves it to a faster tier that was full and may have room now.
 *
 * It then expires OpenFlow rules whose idle_timeout or hard_timeout has
 * passed (ft_bridge_take_expired_flows() reports them) and MAC entries
 * older than the aging time.  Counts seen between a megaflow's last pass
 * and its deletion are credited before it goes.
 *
 * The datapath runs in the daemon's one thread, and a pass over 200,000
 * megaflows that all need translating again takes about 150 ms: so
 * ft_bridge_periodic() runs a pass in slices of at most
 * FT_BRIDGE_REVALIDATE_SLICE megaflows, each sized from the pace of the
 * previous ones to take about FT_BRIDGE_REVALIDATE_SLICE_USEC (so a
 * control request waits for one short slice at most, however slow
 * translation is on a loaded machine), or FT_BRIDGE_REVALIDATE_BUSY_USEC
 * when upcalls came since the previous slice (new flows being set up
 * yield the loop back sooner; a pass with no misses around keeps its
 * pace), a walk of the megaflow table that removals during the pass do
 * not disturb, and ft_bridge_next_wakeup() asks for the next slice at
 * once; the caller forwards packets in between.  A pass covers the
 * megaflows there were when it began: those installed during it were
 * translated with the tables of their time, and the next pass sees them
 * (a pass that chased them would not end while new flows keep
 * coming).  ft_bridge_revalidate() (port
 * changes, which must hold for the very next packet) runs a whole pass at
 * once, dropping a pass in progress.
 *
 * Ports
 * =====
 *
 * FlowTier uses one port number space: a port's 'ofport' is its number in
 * the datapath, in datapath actions and in OpenFlow.  Interface types:
 *
 *   "system"    an existing network device, opened by name.
 *   "internal"  the bridge's own port: a tap device named like the bridge,
 *               created by the datapath, ofport FT_PORT_LOCAL (65534).  It
 *               is an ordinary member of NORMAL's and FLOOD's flooding.
 *   "tap"       a tap device created for a virtual machine (QEMU attaches
 *               to it by name).
 *   "dpdk"      a DPDK port; 'options' holds "dpdk-devargs".  Refused by
 *               the datapath with a reason when it has no DPDK port class.
 *
 * Ports the bridge created (internal, tap) are removed from the system
 * when the port is removed or the bridge destroyed.
 *
 * Ports that cannot be opened
 * ===========================
 *
 * A port stays in the bridge's configuration even while its device cannot
 * be opened (a virtual machine's tap or veth not there yet after a reboot,
 * a device deleted while the bridge runs, a DPDK device that failed): it
 * keeps its name and number in the port map, so flows naming it parse and
 * stay, but it is not in the datapath, NORMAL and FLOOD skip it, and
 * dump-ports leaves it out.  ft_bridge_port_error() says why, in the words
 * Open vSwitch uses for its Interface 'error' column ("could not open
 * network device vnet9 (No such device)").
 *
 *   - ft_bridge_reconfigure() fails on a new port (or a changed one that
 *     was open) that cannot be opened, unless 'keep_failed_ports' is set;
 *     a port that was already failing and stays configured never fails
 *     it.  Every reconfiguration tries the failing ports again.
 *   - ft_bridge_check_ports() closes the open ports whose device has gone
 *     (the device was deleted or replaced) and tries the failing ports
 *     again; the daemon calls it every FT_BRIDGE_PORT_RETRY_INTERVAL ms
 *     and when a port's descriptor reports an error.  That is the
 *     safety net: the kernel's device notifications make it act at once
 *     (see "Device notifications").
 *
 * Device notifications
 * ====================
 *
 * ft_bridge_link_start() subscribes the bridge to the kernel's device
 * notifications (swpath/link-watch.h); the daemon polls
 * ft_bridge_link_fd() and calls ft_bridge_link_run() when it is readable.
 * For each batch read:
 *
 *   - a deletion, or any change of a device that names no port (a port's
 *     device renamed), closes every open port whose device is gone, as
 *     ft_bridge_check_ports() does (so a device deleted and made again
 *     under the same name, another ifindex, is closed and then opened
 *     again on the new one);
 *   - a port not open whose name a device now has (made, renamed to it,
 *     brought up) is opened, unless the last notification of the batch
 *     for that name deleted it;
 *   - notifications lost (the socket's buffer overflowed) run
 *     ft_bridge_check_ports() whole.
 *
 * Devices that name no port only cost the close check, once per batch;
 * FlowTier's own devices (taps, slow-path pairs, vxlan devices) do not
 * loop: an open port ignores its own device appearing, and a port whose
 * open a notification started and that failed is not tried again for
 * BRIDGE_LINK_HOLDOFF ms by a notification of the device its name named
 * then, unless that device's flags changed (the 5 s check still tries
 * it).  A device made since (another ifindex) is tried at once: when a
 * device is deleted and made again in one go, the old one's last
 * notification may be read once its name is gone, and the open it starts
 * fails; the new device's notifications must still open the port.  A
 * device FlowTier's own failing open makes and removes again sends its
 * notifications of both in the same batch, the deletion last.
 *
 * DPDK
 * ====
 *
 * Before the first "dpdk" port opens, the bridge starts DPDK's EAL (once
 * per process, swpath/dpdk-eal.h) with the bridge's other_config
 * "dpdk-extra", or FT_BRIDGE_DEFAULT_DPDK_EXTRA when it has none (then
 * an EAL already running is used as it is).  An EAL that runs with other
 * arguments, or fails to start, is the reason the port does not open.
 * DPDK ports have no descriptor: ft_bridge_needs_polling() is then true.
 *
 * Ports that open in the background
 * =================================
 *
 * Opening a DPDK port takes a second or more (the EAL on the first one,
 * probe, mbuf pool, queues, start), which the daemon's one loop cannot
 * spend: in a datapath that takes open devices (the userspace one), a
 * "dpdk" port's device is opened in a thread of its own
 * (swpath/netdev-opener.h, the EAL started there too when it does not
 * run yet).  Meanwhile the port is "opening": its error says so
 * (BRIDGE_OPENING_REASON, in the Interface error column and 'show'), it
 * is in no datapath, NORMAL and FLOOD skip it.  ft_bridge_finish_opens()
 * adds it to the datapath once its device is fully open (the forwarding
 * threads never see it before), or records DPDK's reason as its error,
 * as for any port that does not open.  Removed or changed while opening,
 * the open is abandoned: its thread closes what it opened.  An EAL that
 * already runs with other arguments refuses the port at once.  Removed
 * or changed once open, such a port leaves the datapath at once (no
 * packet goes to or comes from it afterwards) and its device is released
 * in a thread of its own (swpath/netdev-closer.h: stop, close, queues
 * and pool freed, a virtual device detached; hundreds of milliseconds,
 * or longer while another port opens); an open of the same name or
 * device (added again at once) waits for that release in its own
 * thread.  Destroying the bridge (del-br) does the same with each of its
 * DPDK ports, and releases those still opening once their open ends:
 * their releases go to the set the bridge was given
 * (ft_bridge_set_releases()), shared with the daemon's other bridges and
 * outliving them, so that the bridge, or a port of the same name or
 * device in any bridge, made again at once waits for them in its opening
 * thread, and the daemon's stop waits for them.  A bridge with no such
 * set waits, when it is destroyed, for its opens and releases under way.
 *
 * Errors
 * ======
 *
 * Every function that can fail returns 0 or a negative errno and fills
 * 'err' (which may be NULL) with a reason a person can act on:
 *   -EINVAL   a configuration value or flow that is wrong ("port p1:
 *             vlan_mode 'foo' is not one of access, native-tagged,
 *             native-untagged, trunk"; "line 3: column 5: ...").
 *   -ENOENT   "meter 1 does not exist"; a device that does not exist
 *             ("port vnet9: no such network device").
 *   -EEXIST   two ports with one name or number.
 *   other     whatever the datapath or the system said, with its reason.
 *
 * Thread-safety: none.  A bridge belongs to the daemon's main loop.
 *
 * Time: every 'now' is milliseconds on CLOCK_MONOTONIC, passed in by the
 * caller (so tests can move time forward); the datapath stamps megaflows'
 * last use on the same clock.
 */
#ifndef FLOWTIER_MGMT_BRIDGE_H
#define FLOWTIER_MGMT_BRIDGE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/dp-actions.h"
#include "flowtier/ds.h"
#include "flowtier/error.h"
#include "flowtier/flow.h"
#include "flowtier/port.h"
#include "flowtier/stats.h"
#include "mgmt/ofproto/mac-learning.h"
#include "mgmt/flowsyntax/ofp-flow.h"
#include "mgmt/ofproto/oftable.h"
#include "mgmt/ofproto/xlate.h"
#include "swpath/link-watch.h"
#include "swpath/netdev-vxlan.h"

struct ft_bridge;

/* Defaults of the Bridge other_config keys. */
#define FT_BRIDGE_DEFAULT_MAX_IDLE 10000        /* ms ("max-idle"). */
#define FT_BRIDGE_DEFAULT_FLOW_LIMIT 200000     /* "flow-limit". */
#define FT_BRIDGE_DEFAULT_MAC_TABLE_SIZE FT_MAC_DEFAULT_MAX
#define FT_BRIDGE_DEFAULT_MAC_AGING FT_MAC_DEFAULT_IDLE_TIME  /* Seconds. */

/* The DPDK EAL arguments used when other_config:dpdk-extra is not set,
 * with the process id in place of the %ld: no hugepages, no PCI scan, no
 * shared configuration, a run-time directory of this process's own. */
#define FT_BRIDGE_DEFAULT_DPDK_EXTRA \
    "--no-huge --no-pci -m 512 --no-shconf --no-telemetry " \
    "--file-prefix=flowtier-%ld"

/* How often (ms) the daemon calls ft_bridge_check_ports(). */
#define FT_BRIDGE_PORT_RETRY_INTERVAL 5000

/* The revalidator's period, in ms, and its shortest period while the
 * tables keep changing. */
#define FT_BRIDGE_REVALIDATE_INTERVAL 500
#define FT_BRIDGE_REVALIDATE_SOON 10
/* The period grows with what a pass costs: at least
 * FT_BRIDGE_REVALIDATE_WORK_RATIO times the time the last pass's slices
 * took together (so periodic passes take at most a tenth of the daemon's
 * time, however many megaflows there are: reading the counters of 10,000
 * TC filters through a NIC's driver took over half a second of an
 * emulated guest's CPU, every 500 ms, while new flows waited), but never
 * more than FT_BRIDGE_REVALIDATE_INTERVAL_MAX nor a quarter of max-idle,
 * so counters stay at most a few seconds old and idle megaflows go in
 * time. */
#define FT_BRIDGE_REVALIDATE_WORK_RATIO 9
#define FT_BRIDGE_REVALIDATE_INTERVAL_MAX 5000
/* Megaflows per slice of a periodic pass (see ft_bridge_periodic()), at
 * most, and the time (us) a slice is sized to take: a slice is one
 * callback of the daemon's loop, so it is what a control request may
 * wait for, and on a loaded machine 4,096 megaflows translated again
 * took over 50 ms. */
#define FT_BRIDGE_REVALIDATE_SLICE 4096
#define FT_BRIDGE_REVALIDATE_SLICE_USEC 3000
/* The time (us) a slice is sized to take instead when the datapath
 * handed up misses since the previous slice: with the daemon's loop
 * polling the ports for about 1 ms between slices, a pass then takes a
 * third of the loop, not three quarters, and new flows' upcalls wait
 * less behind it. */
#define FT_BRIDGE_REVALIDATE_BUSY_USEC 500

/* The flow Open vSwitch puts in a new bridge's table 0 in standalone fail
 * mode.  A bridge starts with empty tables; the daemon adds this flow
 * through ft_bridge_flow_mod_lines() when it creates a bridge whose
 * fail_mode is not "secure", so that the flow is in its database like any
 * other. */
#define FT_BRIDGE_DEFAULT_FLOW "priority=0 actions=NORMAL"

/* ---- Configuration. ---- */

/* A string map as the database holds one: 'n' keys and values. */
struct ft_bridge_smap {
    char *const *keys;
    char *const *values;
    size_t n;
};

/* One port of the bridge (a Port row with its one Interface).  Every
 * pointer is the caller's and need only live during the call. */
struct ft_bridge_port_cfg {
    const char *name;           /* Port and interface name. */
    ft_port_no ofport;          /* 1..FT_PORT_MAX, or FT_PORT_LOCAL for the
                                 * "internal" port. */
    const char *type;           /* "system" (NULL means this), "internal",
                                 * "tap", "dpdk". */
    struct ft_bridge_smap options;      /* Interface options. */
    struct ft_bridge_smap other_config; /* Interface other_config:
                                         * "hw-offload", "tier-order"
                                         * override the bridge's for
                                         * megaflows that come in on this
                                         * port. */

    /* VLAN configuration (Port tag, trunks, vlan_mode). */
    int tag;                    /* 0..4095, or -1 for none. */
    const int64_t *trunks;      /* VLANs 0..4095; n_trunks == 0: all. */
    size_t n_trunks;
    const char *vlan_mode;      /* "access", "trunk", "native-tagged",
                                 * "native-untagged", or NULL: "access"
                                 * with a tag, else "trunk". */
};

struct ft_bridge_cfg {
    const char *fail_mode;      /* "standalone" (NULL means this) or
                                 * "secure".  Decides the default flow
                                 * (see FT_BRIDGE_DEFAULT_FLOW); the
                                 * daemon's OpenFlow code decides
                                 * fail-open from it (see
                                 * ft_bridge_set_fail_open()). */
    const char *datapath_type;  /* "netdev" (NULL or "" mean this) or
                                 * "system".  Fixed when the bridge is
                                 * created: a different value is refused. */
    struct ft_bridge_smap other_config;  /* "hw-offload" ("true" or
                                          * "false", the default),
                                          * "tier-order" (default
                                          * "hw,kernel,user"; see
                                          * "Tiers"), "max-idle" (ms, >= 500),
                                          * "flow-limit" (0 = no
                                          * megaflows), "mac-table-size"
                                          * (>= 1), "mac-aging-time" (s,
                                          * >= 1).  Missing keys take the
                                          * defaults above; unknown keys
                                          * are ignored. */
    const struct ft_bridge_port_cfg *ports;
    size_t n_ports;

    /* What to do with a new or changed port whose device cannot be opened
     * (see "Ports that cannot be opened" below): false fails the whole
     * reconfiguration (a user's command); true keeps the port configured
     * but not open, with the reason, and goes on (starting the daemon,
     * putting a configuration back). */
    bool keep_failed_ports;
};

/* Creates bridge 'name' with an empty datapath of type 'datapath_type'
 * ("netdev", "system"; NULL means "netdev"), empty tables and the default
 * configuration (no ports).  Stores it in '*brp' and returns 0, or
 * returns a negative errno with 'err' filled (the datapath could not be
 * created: "datapath type "system" is not available: ...").  'now' is the
 * current time (ms). */
int ft_bridge_create(const char *name, const char *datapath_type,
                     long long int now, struct ft_bridge **brp,
                     struct ft_error *err);

struct ft_offload;
struct ft_offload_caps;

/* Gives the bridge the offload provider instance 'offload' (for the tier
 * it was created for), which it owns from then on and destroys with
 * itself.  The bridge probes its open ports with it at once, and every
 * port it opens later; megaflows made from then on are offered to it (see
 * "Tiers").  Returns 0, or -ENOSPC past FT_BRIDGE_MAX_OFFLOADS (then
 * 'offload' is still the caller's). */
int ft_bridge_offload_attach(struct ft_bridge *, struct ft_offload *offload);

/* Offload providers per bridge, at most. */
#define FT_BRIDGE_MAX_OFFLOADS 8

/* Removes every port from the datapath (deleting the internal and tap
 * devices the bridge created), frees the megaflows, rules and everything
 * else.  The devices of DPDK ports, and of those still opening, are
 * released in threads ("Ports that open in the background"): kept in
 * the set given by ft_bridge_set_releases(), or waited for here if the
 * bridge has none.  NULL is a no-op. */
void ft_bridge_destroy(struct ft_bridge *);

/* A set of releases of removed DPDK ports' devices under way, which
 * bridges share and which outlives them ("Ports that open in the
 * background").  It belongs to the thread that runs its bridges. */
struct ft_bridge_releases;
struct ft_log;

/* Returns a new, empty set of releases. */
struct ft_bridge_releases *ft_bridge_releases_create(void);

/* Waits for every release in 'rel' to end and frees it.  Destroy it after
 * the bridges that use it.  NULL is a no-op. */
void ft_bridge_releases_destroy(struct ft_bridge_releases *rel);

/* Frees the releases of 'rel' that have ended, each logged at info level
 * to 'log' (NULL: not logged), and returns how many are still under way.
 * Never waits. */
size_t ft_bridge_releases_reap(struct ft_bridge_releases *rel,
                               struct ft_log *log);

/* Makes 'br' keep the releases of its removed ports' devices in 'rel'
 * from now on, and look there for those an open of its ports waits for
 * (releases of 'br' under way move there).  The caller keeps 'rel' until
 * after ft_bridge_destroy(br), which leaves the bridge's last releases in
 * it. */
void ft_bridge_set_releases(struct ft_bridge *, struct ft_bridge_releases *);

const char *ft_bridge_name(const struct ft_bridge *);

struct ft_log;

/* Sends the bridge's warnings (flow limit reached, translation errors, a
 * port that could not be reopened) to 'log' (module "bridge"), rate
 * limited; until then, or with NULL, they go to stderr.  The caller keeps
 * 'log' alive while the bridge lives. */
void ft_bridge_set_log(struct ft_bridge *, struct ft_log *log);

/* Makes the bridge match 'cfg' at time 'now':
 *
 *   - validates everything first (values, types, duplicate names or
 *     numbers): nothing changes on -EINVAL / -EEXIST;
 *   - opens the ports that are new, then closes the ports that are gone.
 *     A port whose type, options or number changed is closed and opened
 *     again.  If a new port, or a changed port that was open, cannot be
 *     opened and 'cfg->keep_failed_ports' is false, the ports opened by
 *     this call are closed again and the error of the datapath is
 *     returned with the port's name ("port vnet9: no such network
 *     device"): the bridge keeps its previous ports (a changed port whose
 *     new configuration fails is reopened with its old one).  Otherwise
 *     the port is kept, not open (see "Ports that cannot be opened");
 *     ports that were not open are tried again;
 *   - VLAN changes apply to every megaflow at once (see below);
 *   - then applies other_config (MAC table size and aging, flow limit,
 *     max-idle) and fail_mode.
 *
 * Any port change (VLAN settings included) flushes the MAC entries of the
 * ports concerned and runs a revalidator pass at once, so the change holds
 * for the next packet.
 * Returns 0 or a negative errno with 'err' filled. */
int ft_bridge_reconfigure(struct ft_bridge *, const struct ft_bridge_cfg *cfg,
                          long long int now, struct ft_error *err);

/* Closes the open ports whose device is gone (deleted, or replaced by
 * another device of the same name), then tries again to open every port
 * that is not open, at time 'now'.  Logs each port that goes down or
 * comes up (rate limited).  Returns the number of ports opened or closed:
 * if nonzero, the descriptors (ft_bridge_get_fds()) and
 * ft_bridge_needs_polling() may have changed. */
int ft_bridge_check_ports(struct ft_bridge *, long long int now);

/* Subscribes 'br' to the kernel's device notifications (see "Device
 * notifications"), in the calling thread's network namespace.  Returns 0
 * (also when already subscribed) or a negative errno with 'err' filled;
 * without them the bridge still checks its ports every
 * FT_BRIDGE_PORT_RETRY_INTERVAL ms. */
int ft_bridge_link_start(struct ft_bridge *, struct ft_error *err);

/* The descriptor that polls readable when device notifications wait, or
 * -1 before ft_bridge_link_start(). */
int ft_bridge_link_fd(const struct ft_bridge *);

/* Reads the waiting device notifications, without blocking, and closes
 * and opens the ports they concern at time 'now' (see "Device
 * notifications").  Returns the number of ports opened or closed, as
 * ft_bridge_check_ports() does. */
int ft_bridge_link_run(struct ft_bridge *, long long int now);

/* What ft_bridge_link_run() does with the batch of 'n' notifications
 * 'evs' ('lost': some were lost after them) at time 'now': the decisions
 * alone, for tests and for callers that read notifications themselves.
 * Returns the number of ports opened or closed. */
int ft_bridge_link_events(struct ft_bridge *, const struct ft_link_event *evs,
                          size_t n, bool lost, long long int now);

/* Adds to the datapath the ports whose device finished opening in the
 * background (see "Ports that open in the background"), and records why
 * for those that did not open.  The daemon calls it when
 * ft_bridge_next_wakeup() says so (every BRIDGE_OPEN_CHECK_INTERVAL, 10
 * ms, while a port opens).  Returns the number of opens that ended: if
 * nonzero, the descriptors and ft_bridge_needs_polling() may have
 * changed. */
int ft_bridge_finish_opens(struct ft_bridge *, long long int now);

/* True if port 'name' is opening in the background (its error says so
 * meanwhile). */
bool ft_bridge_port_opening(const struct ft_bridge *, const char *name);

/* If port 'name' is opening in the background, returns a number that
 * tells this open from the bridge's other opens (the first is 1), else
 * 0: a write names only the opens it started. */
uint64_t ft_bridge_port_open_id(const struct ft_bridge *, const char *name);

/* Returns why port 'name' is not open, or NULL if it is open (or is not a
 * port of the bridge).  Valid until the next change of the bridge's
 * ports. */
const char *ft_bridge_port_error(const struct ft_bridge *, const char *name);

/* Returns why open port 'name' runs in a lesser way than configured (an
 * afxdp port that fell back to AF_PACKET: flowtier/port.h 'degraded'), or
 * NULL.  Valid until the next change of the bridge's ports. */
const char *ft_bridge_port_degraded(const struct ft_bridge *,
                                    const char *name);

/* Stores what the port class knows of open port 'name' (ifindex, DPDK
 * port, e-switch id and phys_port_name: flowtier/port.h) in '*id'.
 * Returns 0, or -ENOENT if the bridge has no such open port. */
int ft_bridge_port_identity(const struct ft_bridge *, const char *name,
                            struct ft_port_identity *id);

/* Number of configured ports that are not open (those opening in the
 * background left out). */
size_t ft_bridge_n_failed_ports(const struct ft_bridge *);

/* Port names <-> numbers of the bridge's current ports (the internal port
 * as its name and LOCAL), for parsing flows and printing.  Valid until the
 * next ft_bridge_reconfigure(). */
const struct ft_port_map *ft_bridge_port_map(const struct ft_bridge *);

/* ---- Flow table changes. ---- */

/* What a change did to the flow table, as canonical flow texts
 * (ft_flow_spec_format() with port numbers, not names: each text parses
 * back to its rule, and names never go stale), so that the daemon can
 * mirror it in its database.  The lists are the net change: a rule
 * removed and added again with the same text appears in neither, and a
 * rule whose actions a modify changed appears in both (old text removed,
 * new text added).  Owned by the caller. */
struct ft_bridge_flow_changes {
    char **removed;
    size_t n_removed, allocated_removed;
    char **added;
    size_t n_added, allocated_added;
};

void ft_bridge_flow_changes_init(struct ft_bridge_flow_changes *);
void ft_bridge_flow_changes_uninit(struct ft_bridge_flow_changes *);
/* Empties both lists (keeps them initialized). */
void ft_bridge_flow_changes_clear(struct ft_bridge_flow_changes *);

/* One flow mod of a batch. */
struct ft_bridge_flow_op {
    enum ft_flow_cmd cmd;
    const struct ft_flow_spec *spec;
};

/* Flags for the flow mod functions. */
#define FT_BRIDGE_DRY_RUN 0x1   /* Check and report, change nothing. */
#define FT_BRIDGE_HOLD 0x2      /* Make the change, but keep what undoes
                                 * it until ft_bridge_flow_mod_finish(). */

/* Applies 'ops[0..n-1]' in order, all or nothing, at time 'now': if any
 * op fails (e.g. "meter 1 does not exist", a goto_table that goes back),
 * every op before it is undone (rules, counters and timeouts exactly as
 * before) and the error is returned with "flow N: " (1-based) in front of
 * its reason.  With FT_BRIDGE_DRY_RUN the tables are left as they were
 * even on success.  If 'changes' is nonnull (initialized by the caller)
 * the net change is appended to it (also for a dry run; left alone on
 * failure).  Changes bump the tables' version, which makes the next
 * ft_bridge_periodic() revalidate every megaflow.  Semantics of each op:
 * ft_oftables_apply().  Returns 0 or a negative errno. */
int ft_bridge_flow_mod_batch(struct ft_bridge *,
                             const struct ft_bridge_flow_op *ops, size_t n,
                             unsigned int flags, long long int now,
                             struct ft_bridge_flow_changes *changes,
                             struct ft_error *err);

/* Ends a change made with FT_BRIDGE_HOLD: 'keep' makes it final (and
 * tells the flow removed callback of the rules it deleted), otherwise it
 * is undone (rules, counters and timeouts exactly as before).  Until then
 * every other flow change of the bridge fails with -EBUSY; the tables
 * hold the change meanwhile (a packet translated then sees it: call it
 * before returning to the event loop).  No-op without a held change. */
void ft_bridge_flow_mod_finish(struct ft_bridge *, bool keep);

/* A batch of one. */
int ft_bridge_flow_mod(struct ft_bridge *, enum ft_flow_cmd cmd,
                       const struct ft_flow_spec *spec, unsigned int flags,
                       long long int now,
                       struct ft_bridge_flow_changes *changes,
                       struct ft_error *err);

/* Parses 'lines[0..n-1]' for 'cmd' with the bridge's port map and applies
 * them as one batch ('add-flows FILE', 'del-flows FILE').  A line that
 * does not parse fails the batch before anything changes, with "line N: "
 * (1-based index into 'lines') in front of the parser's reason; a line
 * that fails to apply likewise.  Returns 0 or a negative errno. */
int ft_bridge_flow_mod_lines(struct ft_bridge *, enum ft_flow_cmd cmd,
                             const char *const *lines, size_t n,
                             unsigned int flags, long long int now,
                             struct ft_bridge_flow_changes *changes,
                             struct ft_error *err);

/* Makes the flow table hold exactly the flows of 'lines' (add syntax)
 * ('replace-flows FILE'), all or nothing: rules whose canonical text is
 * in 'lines' are kept with their counters, other rules are deleted, and
 * flows not yet present are added.  Errors, 'flags' and 'changes' as for
 * ft_bridge_flow_mod_lines(). */
int ft_bridge_replace_flows(struct ft_bridge *, const char *const *lines,
                            size_t n, unsigned int flags, long long int now,
                            struct ft_bridge_flow_changes *changes,
                            struct ft_error *err);

/* Moves into 'changes' (initialized by the caller) the canonical texts of
 * the rules that idle_timeout or hard_timeout removed since the last call,
 * as 'removed' entries, so that the daemon drops them from its database
 * too.  Call it after ft_bridge_periodic(). */
void ft_bridge_take_expired_flows(struct ft_bridge *,
                                  struct ft_bridge_flow_changes *changes);

/* ---- Reading the flow table (dump-flows). ---- */

/* Calls 'cb' for every rule of table 'table_id' (FT_TABLE_ALL for all)
 * that is at least as specific as 'target' (NULL: every rule) and passes
 * the cookie filter, in dump-flows order.  The rule's 'stats' hold its
 * unified counters as of the last revalidator pass; 'created' and 'used'
 * give duration and idle age.  'cb' must not change the bridge. */
void ft_bridge_dump_flows(const struct ft_bridge *, uint8_t table_id,
                          const struct ft_match *target, uint64_t cookie,
                          uint64_t cookie_mask,
                          void (*cb)(const struct ft_ofrule *, void *aux),
                          void *aux);

/* Appends 'rule' at time 'now' the way 'ovs-ofctl dump-flows' prints one:
 * " cookie=0x0, duration=3.962s, table=0, n_packets=2, n_bytes=196,
 * idle_age=3, priority=100,icmp,in_port=2 actions=drop" (no newline),
 * with port names from 'ports' (may be NULL). */
void ft_bridge_format_flow(const struct ft_ofrule *rule, long long int now,
                           const struct ft_port_map *ports, struct ds *out);

/* The same, and with 'tiers' each counter followed by what each tier
 * counted of it: "n_packets=5 (hw=4,kernel=0,user=1), n_bytes=490
 * (hw=392,kernel=0,user=98)". */
void ft_bridge_format_flow_tiers(const struct ft_ofrule *rule,
                                 long long int now,
                                 const struct ft_port_map *ports, bool tiers,
                                 struct ds *out);

/* The OpenFlow tables themselves, read-only (n_rules, version). */
const struct ft_oftables *ft_bridge_tables(const struct ft_bridge *);

/* ---- Trace. ---- */

/* Traces 'flow_text' (a match such as "icmp,in_port=p1,dl_dst=..", ports
 * named or numbered) through the bridge's current tables and MAC table
 * at 'now', without learning or changing anything, and appends the
 * report to 'out' in the form of 'ovs-appctl ofproto/trace' (the same
 * text as the offline 'flowtier trace').  Returns 0, or -EINVAL if
 * 'flow_text' does not parse (with 'err' filled).  A translation error
 * is part of the report, not a failure. */
int ft_bridge_trace(struct ft_bridge *, const char *flow_text,
                    long long int now, struct ds *out, struct ft_error *err);

/* ---- Megaflows (dump-dp-flows). ---- */

/* Why a megaflow is not in a faster tier. */
struct ft_bridge_tier_reason {
    enum ft_tier tier;
    const char *reason;         /* "no offload provider". */
};

/* One megaflow of the bridge.  Pointers valid during the callback only. */
struct ft_bridge_dp_flow {
    const struct ft_match *match;
    const struct ft_dp_actions *actions;
    struct ft_stats stats;      /* Packets, bytes and last use over every
                                 * tier, read from the tiers now. */
    struct ft_tier_stats tier_stats;    /* The same, per tier. */
    enum ft_tier tier;          /* The tier that holds it. */
    const char *holder;         /* The offload provider holding it ("tc"),
                                 * or the datapath's type ("netdev"). */
    const char *dp;             /* Who runs it, in dpctl's words: the
                                 * provider's kind ("tc", "rte_flow"), or
                                 * "kmod" or "user" for a datapath. */
    bool offloaded;             /* In the hw tier (OVS's "offloaded"). */
    const struct ft_bridge_tier_reason *reasons;  /* Each faster tier and
                                                   * why it refused. */
    size_t n_reasons;
    const char *front_reason;   /* Held by the datapath: why TC in front
                                 * of it (tc-policy=skip_hw on a
                                 * datapath_type=system bridge) refused
                                 * it, or NULL. */
    size_t n_rules;             /* OpenFlow rules it was translated from. */
};

/* Calls 'cb' for every megaflow of the bridge, in no particular order.
 * 'cb' must not change the bridge. */
void ft_bridge_dump_dp_flows(struct ft_bridge *,
                             void (*cb)(const struct ft_bridge_dp_flow *,
                                        void *aux),
                             void *aux);

/* Appends 'f' at time 'now' in the style of 'ovs-appctl dpctl/dump-flows'
 * with the match in megaflow syntax (mgmt/flowsyntax/odp-print.h) and FlowTier's
 * tier information:
 *   "ip,in_port=1,nw_dst=10.0.100.3,nw_frag=no, packets:5, bytes:490,
 *    used:0.081s, offloaded:no, dp:user, tier:user, not in hw: no offload
 *    provider, not in kernel: no offload provider,
 *    actions:push_vlan(vid=100,pcp=0),3"
 * ("used:never" for an unused megaflow; no newline). */
void ft_bridge_format_dp_flow(const struct ft_bridge_dp_flow *f,
                              long long int now, struct ds *out);

/* Which megaflows 'dump-dp-flows type=' shows (OVS's words where they
 * exist). */
enum ft_bridge_dp_filter {
    FT_DP_FILTER_ALL,
    FT_DP_FILTER_OFFLOADED,         /* In the hw tier. */
    FT_DP_FILTER_NON_OFFLOADED,
    FT_DP_FILTER_TC,                /* Held by a TC provider. */
    FT_DP_FILTER_RTE_FLOW,
    FT_DP_FILTER_KERNEL,            /* In the kernel tier. */
    FT_DP_FILTER_USER,
};

/* Parses the value of 'type=' ("offloaded", "tc", ...) into '*filter'.
 * Returns 0 or -EINVAL with 'err' listing the words. */
int ft_bridge_dp_filter_parse(const char *s, enum ft_bridge_dp_filter *filter,
                              struct ft_error *err);

/* True if 'f' is one of the megaflows 'filter' shows. */
bool ft_bridge_dp_filter_match(enum ft_bridge_dp_filter filter,
                               const struct ft_bridge_dp_flow *f);

/* For each offload provider of the bridge, calls 'cb' with the rule it
 * installs (or would install) for the megaflow 'f' as a person would type
 * it ('command', see ft_offload_explain()), or with the reason it cannot
 * ('refusal': the provider's probe answer for the input port, or its
 * translation's refusal).  Changes nothing. */
void ft_bridge_explain_dp_flow(struct ft_bridge *,
                               const struct ft_bridge_dp_flow *f,
                               void (*cb)(const char *provider,
                                          const char *command,
                                          const char *refusal, void *aux),
                               void *aux);

/* ---- Offload providers and ports (offload show). ---- */

/* What one offload provider says of one port. */
struct ft_bridge_port_offload {
    const char *provider;       /* "tc", "rte_flow". */
    enum ft_tier tier;
    const struct ft_offload_caps *caps;     /* NULL if it does not serve
                                             * the port... */
    const char *refusal;        /* ...then why, from its probe. */
    size_t n_rules;             /* Megaflows of the port it holds. */
};

/* At most this many distinct reasons are listed per port. */
#define FT_BRIDGE_MAX_PORT_REASONS 8

/* One open port of the bridge, as the offload providers see it.
 * Pointers valid during the callback only. */
struct ft_bridge_offload_port {
    const struct ft_port_identity *id;
    const struct ft_bridge_port_offload *providers;
    size_t n_providers;
    size_t flows_per_tier[FT_N_TIERS];  /* Megaflows coming in on it. */

    /* Why those not in hw are not: each distinct reason, in the order the
     * megaflow table holds them, with how many megaflows give it;
     * 'n_hw_other' counts those whose reason did not fit. */
    const char *hw_reasons[FT_BRIDGE_MAX_PORT_REASONS];
    size_t hw_reason_flows[FT_BRIDGE_MAX_PORT_REASONS];
    size_t n_hw_reasons;
    size_t n_hw_other;
};

/* Calls 'cb' for every open port of the bridge, in ascending port number
 * order.  'cb' must not change the bridge. */
void ft_bridge_offload_ports(struct ft_bridge *,
                             void (*cb)(const struct ft_bridge_offload_port *,
                                        void *aux),
                             void *aux);

/* ---- Ports (dump-ports). ---- */

struct ft_bridge_port_stats {
    ft_port_no port;
    const char *name;
    const char *type;
    uint64_t rx_packets, rx_bytes, rx_dropped, rx_errors;
    uint64_t tx_packets, tx_bytes, tx_dropped, tx_errors;
    uint32_t rx_ring_frames;    /* Receive ring slots, 0 if none. */
};

/* Calls 'cb' for every open port of the bridge, in ascending port number
 * order (LOCAL last), with the datapath's counters (ports that could not
 * be opened are left out).  'cb' must not change the
 * bridge. */
void ft_bridge_dump_ports(struct ft_bridge *,
                          void (*cb)(const struct ft_bridge_port_stats *,
                                     void *aux),
                          void *aux);

/* ---- Packets to and from a controller (bridge-packet.c). ---- */

/* A packet a CONTROLLER action sent up.  Pointers valid during the
 * callback only. */
struct ft_bridge_packet_in {
    uint8_t reason;             /* enum ft_dpa_userspace_reason. */
    uint64_t cookie;            /* Of the rule whose action it was. */
    uint8_t table_id;
    ft_port_no in_port;
    const uint8_t *data;        /* The frame as the action saw it. */
    size_t len;                 /* Its whole length. */
    uint16_t max_len;           /* Bytes the action asked for (0xffff:
                                 * all). */
};

typedef void ft_bridge_packet_in_cb(void *aux,
                                    const struct ft_bridge_packet_in *);

/* Calls 'cb' for every packet a CONTROLLER action sends up (NULL: such
 * packets are counted by the datapath and dropped). */
void ft_bridge_set_packet_in_cb(struct ft_bridge *, ft_bridge_packet_in_cb *cb,
                                void *aux);

/* With 'on', a packet that no rule of table 0 (or of a goto_table)
 * matches goes up as a packet-in of reason FT_USERSPACE_NO_MATCH instead
 * of being dropped: OpenFlow 1.0's table-miss, which Open vSwitch applies
 * while some OpenFlow 1.0 connection is up.  Changing it makes every
 * megaflow stale. */
void ft_bridge_set_miss_to_controller(struct ft_bridge *, bool on);

/* Why a rule left the tables (OpenFlow's OFPRR_* numbers). */
#define FT_BRIDGE_REMOVED_IDLE 0        /* idle_timeout. */
#define FT_BRIDGE_REMOVED_HARD 1        /* hard_timeout. */
#define FT_BRIDGE_REMOVED_DELETE 2      /* A delete (OpenFlow, CLI). */

/* A rule with FT_FLOW_F_SEND_FLOW_REM that left the tables; 'rule' (its
 * spec, 'created', unified counters as of the last revalidator pass) is
 * valid during the callback only. */
struct ft_bridge_flow_removed {
    const struct ft_ofrule *rule;
    uint8_t reason;             /* FT_BRIDGE_REMOVED_*. */
    long long int now;          /* ms, when it left. */
};

typedef void ft_bridge_flow_removed_cb(void *aux,
                                       const struct ft_bridge_flow_removed *);

/* Calls 'cb' for every rule flagged send_flow_rem that a committed
 * delete, idle_timeout or hard_timeout removes (not for a dry run, nor for
 * a rule an add replaces).  NULL: nobody is told. */
void ft_bridge_set_flow_removed_cb(struct ft_bridge *,
                                   ft_bridge_flow_removed_cb *cb, void *aux);

/* Sends the 'len'-byte frame 'frame' as if it came in on 'in_port'
 * (FT_PORT_NONE, FT_PORT_LOCAL or a port), through 'acts' (translated as
 * a rule's actions; output to FT_PORT_TABLE runs the flow tables).
 * Returns 0, or a negative errno with 'err': -EINVAL for a frame shorter
 * than an Ethernet header, or the translation's or datapath's error. */
int ft_bridge_packet_out(struct ft_bridge *, ft_port_no in_port,
                         const struct ft_ofpacts *acts, const void *frame,
                         size_t len, long long int now, struct ft_error *err);

/* Makes every packet switched by NORMAL, above every OpenFlow rule, while
 * 'fail_open' (a standalone bridge whose controllers are all
 * disconnected, as Open vSwitch's fail-open mode); the megaflows are
 * translated again either way. */
void ft_bridge_set_fail_open(struct ft_bridge *, bool fail_open);
bool ft_bridge_is_fail_open(const struct ft_bridge *);

/* ---- MAC table (fdb/show). ---- */

/* The MAC learning table, read-only. */
const struct ft_mac_learning *ft_bridge_mac_learning(const struct ft_bridge *);

/* ---- Statistics. ---- */

struct ft_bridge_stats {
    size_t n_megaflows;         /* In every tier now. */
    size_t n_megaflows_tier[FT_N_TIERS];    /* ...in each tier. */
    uint32_t flow_limit;        /* Current "flow-limit". */
    long long int max_idle;     /* Current "max-idle", ms. */
    uint64_t n_hits;            /* Packets that hit a megaflow. */
    uint64_t n_hit_emc;         /* Of those, found by the EMC. */
    uint64_t n_emc_skipped;     /* Not looked up in the EMC (its hit rate
                                 * was too low). */
    bool emc_bypassed;          /* The EMC is being skipped now. */
    uint64_t n_missed;          /* Upcalls. */
    uint64_t n_lost;            /* Upcalls dropped (no room, bad frame). */
    uint64_t n_invalid;         /* Frames too short for Ethernet, dropped
                                 * (every frame received is a hit, a miss
                                 * or one of these). */
    uint32_t upcall_rate;       /* Per port and second, 0: no limit. */
    uint64_t n_upcalls_ratelimited; /* Misses over it (in 'n_lost'). */
    uint64_t n_xlate_errors;    /* Upcalls whose translation failed (drop
                                 * megaflow installed). */
    uint64_t n_flow_limit_hits; /* Installs refused at 'flow-limit'. */
    uint64_t n_revalidations;   /* Revalidator passes. */
    uint64_t last_reval_usec;   /* Wall time of the last pass, us. */
    uint64_t last_reval_work_usec;  /* Its slices' time together, us. */
    long long int reval_period; /* ft_bridge_revalidate_period(), ms. */
    uint64_t last_reval_flows;  /* Megaflows the last pass walked. */
    uint64_t last_reval_stale;  /* Of those, translated again because the
                                 * tables, ports or MAC table changed. */
    uint64_t tables_version;    /* Bumped by every change of the tables. */
    uint64_t change_version;    /* The tables' version the figures below
                                 * are for (0: none settled yet). */
    uint64_t change_settle_usec;    /* From the first slice that saw it to
                                     * the end of the first pass begun
                                     * after: every megaflow reflects it. */
    uint64_t change_retranslated;   /* Megaflows translated again in that
                                     * time. */
    uint64_t n_megaflows_expired;    /* Idle past max-idle. */
    uint64_t n_megaflows_modified;   /* Actions changed on revalidation. */
    uint64_t n_megaflows_deleted;    /* Removed on revalidation. */
    uint64_t n_megaflows_moved;      /* Moved to a faster tier that had
                                      * been full. */
    uint64_t n_offload_del_failed;   /* Rule removals a provider failed
                                      * (it tries again a few times). */
    uint64_t n_offload_del_retrying; /* Of those, still tried again. */
    uint64_t n_offload_del_given_up; /* Of those, given up: the rules
                                      * stay in the device (the log says
                                      * why, once per reason). */
    uint64_t n_rules_expired;   /* OpenFlow rules timed out. */
    size_t n_tnl_endpoints;     /* VXLAN UDP ports the datapath has. */
    struct ft_vxlan_stats tnl;  /* Their counters (swpath/netdev-vxlan.h). */
    uint64_t n_tnl_no_port;     /* Received, no vxlan port took it. */
};

void ft_bridge_get_stats(struct ft_bridge *, struct ft_bridge_stats *);

/* Calls 'cb' for each forwarding thread of the bridge's datapath
 * (other_config:pmd-cpu-mask), in order, until it returns nonzero;
 * returns that, 0 (also with no threads), or -EOPNOTSUPP for a datapath
 * without threads of its own. */
struct ft_dpif_pmd_info;
int ft_bridge_pmd_foreach(const struct ft_bridge *,
                          int (*cb)(const struct ft_dpif_pmd_info *,
                                    void *aux),
                          void *aux);

/* Calls 'cb' with the name, number and upcall counters (misses queued to
 * the daemon, misses dropped: over the port's rate or its queue full) of
 * every open port, in port number order, for a datapath that queues each
 * port's upcalls apart (datapath_type=system).  Returns 0, or -EOPNOTSUPP
 * for a datapath that does not (nothing is called). */
int ft_bridge_port_upcalls(struct ft_bridge *,
                           void (*cb)(const char *name, ft_port_no port_no,
                                      uint64_t sent, uint64_t dropped,
                                      void *aux),
                           void *aux);

/* ---- Event loop. ---- */

/* Stores up to 'max' file descriptors the caller should poll for input
 * (POLLIN) in 'fds' and returns how many there are (call again with more
 * room if that exceeds 'max').  The set changes only in
 * ft_bridge_reconfigure(). */
size_t ft_bridge_get_fds(const struct ft_bridge *, int *fds, size_t max);

/* True if some port has no file descriptor to poll: the caller must then
 * also call ft_bridge_run_polled() (or ft_bridge_run()) every millisecond
 * or so. */
bool ft_bridge_needs_polling(const struct ft_bridge *);

/* Receives and processes what the ports have (a bounded burst per port,
 * so that the caller's loop stays responsive), handling upcalls at time
 * 'now'.  Returns the number of packets received (>= 0). */
int ft_bridge_run(struct ft_bridge *, long long int now);

/* As ft_bridge_run(), but only for the ports without a descriptor (see
 * ft_dpif_run_polled()): what a polling loop calls between the times the
 * other ports' descriptors are readable. */
int ft_bridge_run_polled(struct ft_bridge *, long long int now);

/* Runs what is due at 'now': the revalidator (see above), OpenFlow rule
 * timeouts and MAC aging. */
void ft_bridge_periodic(struct ft_bridge *, long long int now);

/* The time (ms) at which ft_bridge_periodic() next has work: at most
 * ft_bridge_revalidate_period() after the last pass, and at most
 * FT_BRIDGE_REVALIDATE_SOON after it once the flow table, the MAC table
 * or the ports changed; while a pass is in progress, now (a time not
 * after the current one). */
long long int ft_bridge_next_wakeup(const struct ft_bridge *);

/* The revalidator's period (ms) while nothing changes:
 * FT_BRIDGE_REVALIDATE_INTERVAL, or FT_BRIDGE_REVALIDATE_WORK_RATIO times
 * the time the last pass's slices took if that is longer, bounded by
 * FT_BRIDGE_REVALIDATE_INTERVAL_MAX and a quarter of max-idle (never
 * below FT_BRIDGE_REVALIDATE_INTERVAL). */
long long int ft_bridge_revalidate_period(const struct ft_bridge *);

/* Runs a revalidator pass at 'now' at once, whatever the timers say (for
 * tests and for 'revalidator/wait'-style commands). */
void ft_bridge_revalidate(struct ft_bridge *, long long int now);

#endif /* mgmt/bridge/bridge.h */

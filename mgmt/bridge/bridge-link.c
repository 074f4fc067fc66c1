/*
 * bridge-link.c - a bridge's ports following the kernel's device
 * notifications: closed at once when their device goes, opened at once
 * when a device of their name appears (mgmt/bridge/bridge.h, "Device
 * notifications", says what is decided).
 *
 * Part of the management plane's bridge.  Reads notifications through
 * swpath/link-watch.h; opens and closes ports only through
 * bridge_ports_check() (bridge.c), as the periodic check does.
 */
#include "mgmt/bridge/bridge-private.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/util.h"

/* How long (ms) a port whose open a notification started, and failed, is
 * not tried again by a notification of a device with the same flags. */
#define BRIDGE_LINK_HOLDOFF 1000

int
ft_bridge_link_start(struct ft_bridge *br, struct ft_error *err)
{
    int error;

    if (br->links) {
        return 0;
    }
    error = ft_link_watch_create(&br->links, err);
    if (error) {
        char reason[FT_ERROR_REASON_MAX];

        snprintf(reason, sizeof reason, "%s",
                 err && err->reason[0] ? err->reason : strerror(-error));
        return ft_error_set(err, error, "bridge %s: %s", br->name, reason);
    }
    return 0;
}

int
ft_bridge_link_fd(const struct ft_bridge *br)
{
    return br->links ? ft_link_watch_get_fd(br->links) : -1;
}

/* Notes one notification on the port it names, if any. */
static void
bridge_link_note(const struct ft_link_event *ev, void *br_)
{
    struct ft_bridge *br = br_;

    for (size_t i = 0; i < br->n_ports; i++) {
        struct bridge_port *p = &br->ports[i];

        if (!strcmp(p->name, ev->name)) {
            p->link_seen = true;
            p->link_deleted = ev->deleted;
            p->link_ifindex = ev->ifindex;
            p->link_flags = ev->flags;
            br->link_close_check |= ev->deleted;
            return;
        }
    }
    /* A deletion, or a device renamed away from a port's name, may take
     * an open port's device. */
    br->link_close_check = true;
}

/* True if a notification should open the port 'p', not open.  Only the
 * device that had the port's name when a notification's open of it
 * failed is held off, and only while its flags stay as they were: a
 * device made since (another ifindex) is tried at once.  The failed open
 * may have been started by the old device's last notification (its going
 * down), read once it was gone; holding off by that notification's
 * ifindex, or by any notification of the name, would leave the new
 * device to the periodic check. */
static bool
bridge_link_should_retry(const struct bridge_port *p, long long int now)
{
    if (!p->link_seen || p->link_deleted) {
        return false;
    }
    return !p->link_fail_at || now - p->link_fail_at >= BRIDGE_LINK_HOLDOFF
           || p->link_ifindex != p->link_fail_ifindex
           || p->link_flags != p->link_fail_flags;
}

/* Records that the open of 'p' a notification started at 'now' failed:
 * against the device its name names now, if any. */
static void
bridge_link_note_failure(struct bridge_port *p, long long int now)
{
    int ifindex = ft_netdev_linux_ifindex(p->name);

    p->link_fail_at = now ? now : 1;
    p->link_fail_ifindex = ifindex > 0 ? ifindex : 0;
    p->link_fail_flags = p->link_flags;
}

/* Acts on the notifications noted on the ports since the last call. */
static int
bridge_link_apply(struct ft_bridge *br, bool lost, long long int now)
{
    bool *retry = ft_xcalloc(br->n_ports ? br->n_ports : 1, sizeof *retry);
    bool any = br->link_close_check;
    int n_changed = 0;

    for (size_t i = 0; i < br->n_ports; i++) {
        retry[i] = bridge_link_should_retry(&br->ports[i], now);
        any |= retry[i];
    }
    if (lost) {
        n_changed = ft_bridge_check_ports(br, now);
    } else if (any) {
        n_changed = bridge_ports_check(br, now, retry);
    }
    for (size_t i = 0; i < br->n_ports; i++) {
        struct bridge_port *p = &br->ports[i];

        if (retry[i] && p->error && !p->opener) {
            bridge_link_note_failure(p, now);
        } else if (retry[i]) {
            p->link_fail_at = 0;
        }
        p->link_seen = false;
    }
    br->link_close_check = false;
    free(retry);
    return n_changed;
}

int
ft_bridge_link_events(struct ft_bridge *br, const struct ft_link_event *evs,
                      size_t n, bool lost, long long int now)
{
    for (size_t i = 0; i < n; i++) {
        bridge_link_note(&evs[i], br);
    }
    return bridge_link_apply(br, lost, now);
}

int
ft_bridge_link_run(struct ft_bridge *br, long long int now)
{
    int n;

    if (!br->links) {
        return 0;
    }
    n = ft_link_watch_run(br->links, bridge_link_note, br);
    if (n == 0) {
        return 0;
    }
    return bridge_link_apply(br, n == -ENOBUFS, now);
}

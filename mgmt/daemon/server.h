/*
 * server.h - what flowtierd serves: the configuration database, the
 * running bridges made from it, and the JSON-RPC methods over both.
 *
 * What?
 * =====
 *
 * A 'struct ft_server' opens the database, creates a running bridge
 * (mgmt/bridge/bridge.h) for each Bridge row with its ports and persisted flows,
 * hooks the bridges' file descriptors and timers into the event loop, and
 * offers one JSON-RPC method per CLI command (ft_server_methods()).
 *
 * Every write is one database transaction
 * =======================================
 *
 * A configuration write (add-br, add-port, set, ..., or several chained
 * with "transact") runs its database writes in one transaction, then makes
 * the running bridges match the database as it would be after commit
 * (creating, reconfiguring, destroying bridges), then commits.  If a write
 * fails, a bridge refuses its new configuration (a missing device, a bad
 * option) or the commit fails, the bridges are put back as they were and
 * the transaction is aborted: nothing changes, and the caller gets one
 * reason.  A bridge that is deleted is destroyed only after the commit.
 *
 * A flow change (add-flow, add-flows, mod-flows, del-flows, replace-flows)
 * is made on the bridge held (FT_BRIDGE_HOLD: checked, and undoable),
 * which yields the net change as canonical flow texts; those are mirrored
 * into the Bridge row's 'flows' (a few list edits, however big the table)
 * and committed; only then is the change kept, and a failed commit undoes
 * it.  Nothing else runs in between, so no client and no packet sees a
 * change before it is committed.  Bridges with
 * flows_persist=false skip the database.  Flows removed by their timeouts
 * are dropped from the database by the periodic timer.
 *
 * Not thread-safe: everything runs in the daemon's event loop.
 */
#ifndef FLOWTIER_MGMT_SERVER_H
#define FLOWTIER_MGMT_SERVER_H 1

#include <stdbool.h>
#include <stddef.h>

#include "flowtier/error.h"
#include "mgmt/daemon/rpc.h"

struct ft_db;
struct ft_loop;
struct ft_log;
struct ft_server;

struct ft_server_options {
    const char *dbdir;          /* Database directory (must exist). */
    bool db_no_fsync;           /* Throwaway databases only. */
    bool db_read_only;          /* Reads only (the CLI, no daemon). */
    bool no_bridges;            /* Open the database only, start no bridge
                                 * (to read the configuration while the
                                 * daemon is down). */
    const char *rundir;         /* Where each bridge's OpenFlow socket
                                 * BRIDGE.mgmt goes; NULL: none. */
};

/* Opens the database in 'opts->dbdir' (logging its recovery warnings) and
 * starts a bridge for each of its Bridge rows, re-adding each bridge's
 * persisted flows (or, with flows_persist=false, the default flow).  A
 * bridge that cannot start is logged and skipped; the others run.
 * Returns 0 and '*serverp', or a negative errno with 'err' filled (the
 * database cannot be opened). */
int ft_server_create(struct ft_loop *loop, struct ft_log *log,
                     const struct ft_server_options *opts,
                     struct ft_server **serverp, struct ft_error *err);

/* Destroys every bridge (removing the devices they created) and closes
 * the database.  NULL is a no-op. */
void ft_server_destroy(struct ft_server *server);

/* The method table, for ft_rpc_server_create() with the server as 'aux'.
 * Static data. */
const struct ft_rpc_method *ft_server_methods(size_t *n);

/* The configuration database (for readers such as the OVSDB endpoint;
 * writes go through the methods). */
const struct ft_db *ft_server_db(const struct ft_server *server);

/* Number of running bridges. */
size_t ft_server_n_bridges(const struct ft_server *server);

/* The status of every open port of every running bridge, for the OVSDB
 * endpoint's Interface table (ft_ovsdb_status_fn, mgmt/ovsdb/ovsdb.h;
 * 'server' is a struct ft_server): {NAME: {"statistics": {...},
 * "ifindex": N, "mtu": N, "mac_in_use": "...", "admin_state": "up",
 * "link_state": "up", "error": "..."}}, the device's part only for ports
 * that are kernel devices, "error" only for interfaces not open or
 * degraded.  Returns a new reference (server-status.c). */
json_t *ft_server_iface_status(void *server);

#endif /* mgmt/daemon/server.h */

/*
 * ovsdb.h - flowtierd's OVSDB management protocol endpoint (RFC 7047),
 * so that Open vSwitch's own clients (ovs-vsctl, and libvirt and
 * OpenStack through it) configure FlowTier unchanged.
 *
 * What?
 * =====
 *
 * An OVSDB server on one or more Unix sockets serving one database,
 * "Open_vSwitch", with Open vSwitch 3.1's schema.  Its Bridge, Port and
 * Interface rows are FlowTier's configuration database (mgmt/db/db.h);
 * its one Open_vSwitch row lists the bridges.  Methods: list_dbs,
 * get_schema, transact (every operation of RFC 7047 with Open vSwitch's
 * error strings), monitor, monitor_cond, monitor_cond_since,
 * monitor_cancel, echo.  Other databases ("_Server") get an error, which
 * clients take as "a standalone server".
 *
 * A transaction runs on a copy of the current view, is checked as OVSDB
 * checks it (references, garbage collection of unreferenced Port and
 * Interface rows, indexes), and its net change is applied through
 * 'apply': the daemon's own configuration transaction, so it gets the
 * journal, the durability, the validation and the bridge reconfiguration
 * of a CLI command, all or nothing.  A change FlowTier cannot make (a
 * table or column it does not implement) fails the whole transaction with
 * an error naming it.  next_cfg and cur_cfg live in memory: cur_cfg
 * reaches next_cfg as soon as a transaction is applied, so a client that
 * waits for it ("ovs-vsctl" without "--no-wait") returns at once.
 *
 * Monitors see every change, the CLI's included (the database's sequence
 * number is checked every 100 ms and after each transaction).
 *
 * Robustness: bytes that are not JSON get an error reply and the
 * connection is closed; a JSON message that is not a valid request gets
 * an error reply; a message past 16 MiB closes the connection.  Nothing
 * a client sends can stop the daemon.
 *
 * Not thread-safe: runs in the daemon's event loop.
 */
#ifndef FLOWTIER_MGMT_OVSDB_H
#define FLOWTIER_MGMT_OVSDB_H 1

#include <jansson.h>

#include "flowtier/error.h"

struct ft_db;
struct ft_log;
struct ft_loop;
struct ft_ovsdb_server;

/* Applies 'commands' (the daemon's "transact" form: [{"method": "add-br",
 * "params": {...}}, ...]) as one configuration transaction.  Returns 0 or
 * a negative errno with 'err' saying why; on failure nothing changed. */
typedef int ft_ovsdb_apply_fn(void *aux, json_t *commands,
                              struct ft_error *err);

/* Creates a server over 'db' (read only; it must outlive the server)
 * that writes through 'apply' with 'aux'.  'log' may be NULL.  Returns 0
 * and '*serverp', or a negative errno with 'err' filled. */
int ft_ovsdb_server_create(struct ft_loop *loop, struct ft_log *log,
                           const struct ft_db *db, ft_ovsdb_apply_fn *apply,
                           void *aux, struct ft_ovsdb_server **serverp,
                           struct ft_error *err);

/* The running switch's status of its interfaces: a new JSON object
 * {INTERFACE-NAME: {COLUMN: VALUE}} for the Interface table's status
 * columns "admin_state" and "link_state" ("up" or "down"), "ifindex",
 * "mtu" (integers), "mac_in_use" ("aa:bb:cc:dd:ee:ff") and "statistics"
 * (an object of counter name -> integer, Open vSwitch's names:
 * "rx_packets", "tx_bytes", ...), "error" (why it is not open).  A column left out keeps its default;
 * an interface left out keeps all of them. */
typedef json_t *ft_ovsdb_status_fn(void *aux);

/* Reads the Interface table's status columns from 'status' (with 'aux')
 * now, then every 5 seconds while a client is connected (as Open vSwitch
 * refreshes them) and when one connects if the last reading is older;
 * monitors of those columns get the changes. */
void ft_ovsdb_server_set_status(struct ft_ovsdb_server *,
                                ft_ovsdb_status_fn *status, void *aux);

/* Listens on Unix socket 'path' too (mode 0660; a stale file there is
 * replaced).  Returns 0 or a negative errno with 'err' filled. */
int ft_ovsdb_server_listen(struct ft_ovsdb_server *, const char *path,
                           struct ft_error *err);

/* Closes every connection and socket, removing the socket files.  NULL
 * is a no-op. */
void ft_ovsdb_server_destroy(struct ft_ovsdb_server *);

#endif /* mgmt/ovsdb/ovsdb.h */

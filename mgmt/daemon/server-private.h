/*
 * server-private.h - the daemon server's state, shared by server.c (bridges,
 * transactions, method table), server-config.c (database commands) and
 * server-flows.c (flow commands).  Not for use outside those files.
 */
#ifndef FLOWTIER_MGMT_SERVER_PRIVATE_H
#define FLOWTIER_MGMT_SERVER_PRIVATE_H 1

#include <jansson.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "flowtier/ds.h"
#include "flowtier/error.h"
#include "mgmt/bridge/bridge.h"
#include "mgmt/db/db.h"
#include "mgmt/daemon/log.h"
#include "mgmt/daemon/server.h"

/* A bridge configuration that owns its strings (built from the database,
 * kept to put a bridge back as it was). */
struct srv_cfg {
    struct ft_bridge_cfg cfg;
    bool flows_persist;
    char **controllers;         /* OpenFlow controller targets. */
    size_t n_controllers;
    void **ptrs;                /* Everything to free. */
    size_t n_ptrs, allocated_ptrs;
};

/* One running bridge. */
struct srv_bridge {
    char *name;
    struct ft_bridge *br;
    struct srv_cfg *cfg;        /* As applied. */
    int *fds;                   /* Watched in the loop. */
    size_t n_fds;
    uint64_t timer;             /* Periodic work; 0 if none scheduled. */
    uint64_t poll_timer;        /* For ports without an fd; 0 if none. */
    uint64_t fd_round;          /* Loop round of the last run for an fd. */
    bool busy;                  /* Polling without a pause (see server.c,
                                 * "Polling ports without a descriptor"). */
    long long int idle_since_ns;    /* First empty poll while busy, or 0. */
    uint64_t check_timer;       /* ft_bridge_check_ports(). */
    uint64_t recheck_timer;     /* One more check soon after a descriptor
                                 * reported an error; 0 if none. */
    long long int timer_when;
    struct ft_server *server;
    struct srv_openflow *openflow;  /* BRIDGE.mgmt; NULL without rundir. */
};

struct ft_server {
    struct ft_loop *loop;
    struct ft_log *log;
    struct ft_db *db;
    struct srv_bridge **bridges;
    size_t n_bridges, allocated_bridges;
    struct ft_db_txn *txn;      /* Open during a configuration write. */
    struct ft_ratelimit rl;
    int pmd_cpu;                /* CPU the thread is pinned to, or -1. */
    bool have_affinity;         /* 'affinity' holds the thread's CPUs from
                                 * before the first pinning. */
    cpu_set_t affinity;
    char *rundir;               /* For BRIDGE.mgmt sockets; may be NULL. */
    struct srv_flow_stream **streams;   /* add-flows streams open. */
    size_t n_streams;
    int64_t last_stream_id;
    struct ft_bridge_releases *releases;    /* Of the bridges' removed
                                             * DPDK ports' devices. */
    uint64_t releases_timer;    /* Looks at 'releases' while not empty. */
};

/* server.c */
struct srv_bridge *srv_bridge_find(const struct ft_server *,
                                   const char *name);
/* Why interface 'iface' of a running bridge is not open, or NULL. */
const char *srv_iface_error(const struct ft_server *, const char *iface);
int srv_bridge_get(const struct ft_server *, json_t *params,
                   struct srv_bridge **sbp, struct ft_error *err);
void srv_bridge_schedule(struct srv_bridge *);
void srv_cfg_destroy(struct srv_cfg *);
json_t *srv_text_result(struct ds *text, json_t *data);

/* A configuration write, run inside the server's open transaction. */
typedef int srv_write_fn(struct ft_server *, json_t *params,
                         struct ft_error *err);

struct srv_write_op {
    const char *name;
    const struct ft_rpc_param *params;
    srv_write_fn *fn;
};

/* Runs the 'n' writes 'ops[i]' with 'params[i]' as one transaction (see
 * server.h). */
int srv_run_writes(struct ft_server *, const struct srv_write_op *const *ops,
                   json_t **params, size_t n, struct ft_error *err);

/* server-config.c */
extern const struct ft_rpc_param srv_add_br_params[], srv_del_br_params[],
    srv_add_port_params[], srv_del_port_params[], srv_db_write_params[],
    srv_opening_ports_params[];
extern const struct srv_write_op srv_write_ops[];
extern const size_t srv_n_write_ops;
const struct srv_write_op *srv_write_op_find(const char *name);

ft_rpc_handler srv_transact, srv_add_br, srv_del_br, srv_add_port,
    srv_del_port, srv_set, srv_clear, srv_add, srv_remove, srv_list_br,
    srv_list_ports, srv_get, srv_list, srv_show, srv_opening_ports;

/* server-flows.c */
ft_rpc_handler srv_add_flow, srv_add_flows, srv_mod_flows, srv_del_flows,
    srv_replace_flows, srv_dump_flows, srv_trace, srv_dump_dp_flows,
    srv_dpif_show, srv_dump_ports;

/* server-offload.c */
ft_rpc_handler srv_offload_show;

/* Writes the flows of 'sb' into its row of the open transaction, or
 * clears them there, after its flows_persist changed to
 * 'sb->cfg->flows_persist'. */
int srv_flows_persist_changed(struct ft_server *, struct srv_bridge *sb,
                              struct ft_error *err);

/* Mirrors 'changes' into bridge 'sb''s database row inside 'txn'.  The
 * texts of the flows added move into the database (the elements of
 * 'changes->added' are NULL afterwards; the counts stay). */
int srv_flows_mirror(struct ft_server *, struct ft_db_txn *txn,
                     const struct srv_bridge *sb,
                     struct ft_bridge_flow_changes *changes,
                     struct ft_error *err);

/* As srv_flows_apply_ops(), and appends the net change to 'changes'
 * (initialized by the caller). */
int srv_flows_apply(struct ft_server *, struct srv_bridge *sb,
                    const struct ft_bridge_flow_op *ops, size_t n,
                    struct ft_bridge_flow_changes *changes,
                    struct ft_error *err);

/* server-flow-stream.c: add-flows in chunks, one transaction. */
ft_rpc_handler srv_add_flows_begin;
ft_rpc_handler srv_add_flows_chunk;
ft_rpc_handler srv_add_flows_commit;
ft_rpc_handler srv_add_flows_abort;
void srv_flow_streams_destroy(struct ft_server *);

/* Applies 'ops[0..n-1]' to 'sb' all or nothing the way the CLI's flow
 * changes are applied: made on the bridge held, the net change committed
 * to the database, then kept (or undone if the commit failed). */
int srv_flows_apply_ops(struct ft_server *, struct srv_bridge *sb,
                        const struct ft_bridge_flow_op *ops, size_t n,
                        struct ft_error *err);

/* server-openflow.c */
ft_rpc_handler srv_get_controller;
/* Listens on RUNDIR/BRIDGE.mgmt for OpenFlow connections to 'sb' (nothing
 * without a rundir).  Returns 0 or a negative errno. */
int srv_openflow_start(struct srv_bridge *sb, struct ft_error *err);
/* Closes the socket, its connections and removes its file. */
void srv_openflow_stop(struct srv_bridge *sb);
/* Checks controller target 'target' ("tcp:IP[:PORT]", "unix:PATH",
 * "ptcp:[PORT][:IP]").  Returns 0 or -EINVAL with a reason. */
int srv_openflow_check_target(const char *target, struct ft_error *err);
/* Makes the bridge's controller connections and listeners match
 * 'sb->cfg' (after a configuration change was committed). */
void srv_openflow_reconfigure(struct srv_bridge *sb);

#endif /* mgmt/daemon/server-private.h */

/*
 * dpif-pmd.c - the forwarding (PMD) threads of the userspace datapath:
 * one per CPU of other_config:pmd-cpu-mask, pinned, each polling its
 * share of the receive queues with a forwarding context of its own
 * (swpath/dpif-netdev-private.h), and the two rings between each thread
 * and the daemon's thread.
 *
 * Part of the software datapath.  Everything here but the threads' loop
 * runs on the daemon's thread.
 *
 * Design
 * ======
 *
 * Up: a packet that misses a thread's caches is copied into a buffer of
 * the thread's own pool and sent, with its key, through the thread's
 * upcall ring (swpath/spsc-ring.h), and an eventfd wakes the daemon,
 * whose ft_dpif_run() calls the upcall callback for it
 * (translation, placement) exactly as without threads.  USERSPACE actions
 * and log lines go up the same way.  A full ring drops the miss (counted
 * in the thread's 'n_lost'): a thread never waits for the daemon.
 *
 * Down: the daemon changes a thread's megaflow cache only through the
 * thread's command ring: PUT (a copy of a megaflow the management plane
 * put), MODIFY (new actions), DEL and FLUSH (with a reply), and EXECUTE
 * (a missed packet, or a packet-out, with its actions, run by the thread
 * on its ports and credited to its copy of the megaflow), and RELEASE (a
 * missed packet given back unsent).  Every packet that went up comes
 * back down to be freed by its thread, and actions the daemon allocated
 * for a command go back up (the 'trash' ring) to be freed by the daemon:
 * neither thread frees into the other's heap arena.  A thread applies
 * up to CMD_BURST commands after each round of receive bursts.
 * Every megaflow is put in every thread, so whichever thread a flow's
 * packets arrive on finds it; a ring's order makes a PUT precede the
 * EXECUTE of the missed packet that caused it.
 *
 * Counters: a thread's copy of a megaflow is counted by that thread only
 * (ft_dpcls_flow_credit()) and read here with relaxed atomic loads.  DEL
 * waits for each thread's reply, which carries the copy's final counts:
 * nothing a thread counted is lost, and nothing is counted after.
 *
 * Ports change only while the threads are stopped (pause/resume); the
 * receive queues are then spread round-robin over the threads again.
 * Transmission to a port from several threads is serialized by the
 * port's 'tx_lock' (dpif-fwd.c), held by a thread from its first frame
 * queued on the port to the flush at the end of the batch.
 */
#define _GNU_SOURCE 1
#include "dpif-netdev-private.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "dpdk-eal.h"
#include "spsc-ring.h"

#define UPCALL_RING_SLOTS 1024
#define CMD_RING_SLOTS 8192
#define TRASH_RING_SLOTS CMD_RING_SLOTS
#define CMD_BURST 64
#define PKT_HEADROOM 128

/* A thread's copies of missed packets come from a pool of its own: a
 * miss costs no malloc(), and no other thread ever frees into this
 * thread's heap arena (a free() of another arena's chunk takes that
 * arena's lock, which a thread copying misses at full rate holds most of
 * the time).  Each copy goes up with its upcall and comes back down with
 * the EXECUTE or RELEASE that answers it.  PKT_POOL_N covers a full
 * upcall ring and as many answers on their way back; PKT_POOL_BUF holds
 * the packet's header, PKT_HEADROOM and a frame of up to PKT_POOL_ROOM
 * bytes (a 1500-byte MTU with two VLAN tags).  Bigger frames (jumbo,
 * TSO super-frames) are copied with malloc() and freed by the thread
 * too. */
#define PKT_POOL_N 2048
#define PKT_POOL_BUF 1792
#define PKT_POOL_ROOM (PKT_POOL_BUF - sizeof(struct ft_packet) - PKT_HEADROOM)

/* Empty rounds after which an idle thread naps IDLE_NAP_NS between
 * rounds, so that an idle datapath does not keep its CPUs at 100%. */
#define IDLE_ROUNDS 20000
#define IDLE_NAP_NS 20000

enum upcall_type { UP_MISS, UP_USERSPACE, UP_LOG };

struct dpif_upcall {
    enum upcall_type type;
    unsigned int pmd;                   /* Thread index. */
    struct ft_packet *pkt;              /* A copy (owned), or NULL. */
    char *msg;                          /* UP_LOG (owned). */
    struct ft_dpa_userspace act;        /* UP_USERSPACE. */
    struct ft_flow key;                 /* UP_MISS. */
};

enum cmd_type {
    CMD_PUT, CMD_MODIFY, CMD_DEL, CMD_FLUSH, CMD_EXECUTE,
    CMD_RELEASE,                        /* A missed packet, not sent. */
};

/* What DEL and FLUSH answer: each thread stores its copy's final counts
 * in its slot and counts 'pending' down; the last wakes the daemon. */
struct dpif_reply {
    unsigned int pending;
    struct ft_stats stats[FT_DPIF_PMD_MAX];
};

struct dpif_cmd {
    enum cmd_type type;
    struct ft_dpcls_flow *flow;         /* The handle ('main.cls'). */
    struct ft_dp_actions *actions;      /* PUT, MODIFY, EXECUTE (owned). */
    struct ft_packet *pkt;              /* EXECUTE, RELEASE (owned). */
    struct dpif_reply *reply;           /* DEL, FLUSH. */
};

struct dpif_pmd {
    struct dpif_pmds *set;
    unsigned int index;
    int cpu;
    pthread_t thread;
    bool running;
    bool exit;                          /* Atomic: stop after this round. */

    struct dpif_fwd fwd;
    struct ft_spsc_ring upcalls;        /* This thread -> daemon. */
    struct ft_spsc_ring trash;          /* This thread -> daemon: actions
                                         * the daemon allocated, for it to
                                         * free (see pmd_trash()). */
    unsigned char *pool;                /* PKT_POOL_N buffers. */
    uint32_t *pool_free;                /* Indexes of the free ones. */
    uint32_t pool_n_free;               /* Touched by the thread only
                                         * (or with the thread stopped). */
    struct ft_spsc_ring cmds;           /* Daemon -> this thread. */
    bool woke;                          /* Pushed upcalls this round. */
    uint64_t n_commands;

    /* The longest round (receive bursts and commands) in the current
     * second and in the last whole one, in ns: the longest time a port
     * waited to be polled. */
    uint64_t round_max_cur;
    uint64_t round_max_prev;

    /* Receive queues (set while stopped). */
    struct dpif_port **rxqs;
    size_t n_rxqs;
    struct ft_vxlan_endpoint *eps[DPIF_MAX_ENDPOINTS];
    size_t n_eps;
};

struct dpif_pmds {
    struct dpif_netdev *dp;
    struct dpif_pmd *pmds[FT_DPIF_PMD_MAX];
    size_t n;
    int upcall_fd;                      /* Misses wait (eventfd). */
    int reply_fd;                       /* A reply is complete (eventfd). */
    size_t next_rr;                     /* Upcall fairness. */
    struct ft_dp_actions scratch_actions;
};

static void
eventfd_kick(int fd)
{
    uint64_t one = 1;

    if (write(fd, &one, sizeof one) < 0) {
        /* The counter is saturated: the reader is awake anyway. */
    }
}

static void
eventfd_drain(int fd)
{
    uint64_t n;

    if (read(fd, &n, sizeof n) < 0) {
        /* EAGAIN: nothing was pending. */
    }
}

/* ---- Packet copies. ---- */

/* Copies 'src' into the 'allocated' bytes at 'base', which 'pkt' heads. */
static struct ft_packet *
packet_copy_into(struct ft_packet *pkt, void *base, size_t allocated,
                 const struct ft_packet *src)
{
    ft_packet_init(pkt, base, allocated, PKT_HEADROOM);
    memcpy(ft_packet_data(pkt), ft_packet_data(src), src->size);
    pkt->size = src->size;
    pkt->l3_ofs = src->l3_ofs;
    pkt->l4_ofs = src->l4_ofs;
    pkt->l4_end = src->l4_end;
    pkt->eth_type = src->eth_type;
    pkt->l4_proto = src->l4_proto;
    pkt->flags = src->flags;
    pkt->in_port = src->in_port;
    pkt->tunnel = src->tunnel;
    pkt->offload = src->offload;
    return pkt;
}

static struct ft_packet *
packet_clone(const struct ft_packet *src)
{
    size_t alloc = PKT_HEADROOM + src->size;
    struct ft_packet *pkt = malloc(sizeof *pkt + alloc);

    return pkt ? packet_copy_into(pkt, pkt + 1, alloc, src) : NULL;
}

/* A copy of 'src' for an upcall of 'pmd': from its pool, or from malloc()
 * for a frame too big for a pool buffer.  NULL if the pool is empty (as
 * many misses are on their way as it holds) or malloc() fails. */
static struct ft_packet *
pmd_packet_clone(struct dpif_pmd *pmd, const struct ft_packet *src)
{
    struct ft_packet *pkt;
    uint32_t i;

    if (src->size > PKT_POOL_ROOM) {
        return packet_clone(src);
    }
    if (!pmd->pool_n_free) {
        return NULL;
    }
    i = pmd->pool_free[--pmd->pool_n_free];
    pkt = (struct ft_packet *) (pmd->pool + (size_t) i * PKT_POOL_BUF);
    return packet_copy_into(pkt, pkt + 1, PKT_POOL_BUF - sizeof *pkt, src);
}

/* Frees a packet that came down to 'pmd' (a copy from its pool or from
 * malloc()).  Runs on the thread, or with the thread stopped. */
static void
pmd_packet_free(struct dpif_pmd *pmd, struct ft_packet *pkt)
{
    uintptr_t ofs = (uintptr_t) pkt - (uintptr_t) pmd->pool;

    if (pkt && pmd->pool && (uintptr_t) pkt >= (uintptr_t) pmd->pool
        && ofs < (uintptr_t) PKT_POOL_N * PKT_POOL_BUF) {
        pmd->pool_free[pmd->pool_n_free++] = ofs / PKT_POOL_BUF;
    } else {
        free(pkt);
    }
}

static struct ft_dp_actions *
actions_clone(const struct ft_dp_actions *src)
{
    struct ft_dp_actions *a = malloc(sizeof *a);

    if (a) {
        ft_dp_actions_init(a);
        ft_dp_actions_copy(a, src);
    }
    return a;
}

static void
actions_free(struct ft_dp_actions *a)
{
    if (a) {
        ft_dp_actions_uninit(a);
        free(a);
    }
}

/* ---- The thread's side. ---- */

static void
pmd_push_upcall(struct dpif_fwd *fwd, struct dpif_upcall *up)
{
    struct dpif_pmd *pmd = fwd->pmd;

    up->pmd = pmd->index;
    if (!ft_spsc_ring_push(&pmd->upcalls, up)) {
        pmd_packet_free(pmd, up->pkt);
        free(up->msg);
        fwd->stats.n_lost++;
        return;
    }
    pmd->woke = true;
}

/* True if 'pmd' has room to send an upcall: a miss that would not fit
 * is dropped before its copy is made. */
static bool
pmd_upcall_room(const struct dpif_pmd *pmd)
{
    return (ft_spsc_ring_count(&pmd->upcalls)
            < ft_spsc_ring_capacity(&pmd->upcalls));
}

void
dpif_pmd_upcall_miss(struct dpif_fwd *fwd, struct ft_packet *pkt,
                     const struct ft_flow *key)
{
    struct dpif_upcall up = { .type = UP_MISS };

    if (!pmd_upcall_room(fwd->pmd)
        || !(up.pkt = pmd_packet_clone(fwd->pmd, pkt))) {
        fwd->stats.n_upcalls++;
        fwd->stats.n_lost++;
        return;
    }
    up.key = *key;
    fwd->stats.n_upcalls++;
    pmd_push_upcall(fwd, &up);
}

void
dpif_pmd_upcall_userspace(struct dpif_fwd *fwd,
                          const struct ft_dpa_userspace *act,
                          const struct ft_packet *pkt)
{
    struct dpif_upcall up = { .type = UP_USERSPACE, .act = *act };

    up.pkt = pmd_packet_clone(fwd->pmd, pkt);
    if (!up.pkt) {
        fwd->stats.n_userspace_dropped++;
        return;
    }
    pmd_push_upcall(fwd, &up);
}

void
dpif_pmd_upcall_log(struct dpif_fwd *fwd, const char *msg)
{
    struct dpif_upcall up = { .type = UP_LOG };

    up.msg = strdup(msg);
    if (up.msg) {
        pmd_push_upcall(fwd, &up);
    }
}

/* Hands actions that came down with a command back to the daemon's
 * thread, which allocated them, to free: freeing them here would take
 * the daemon's heap arena lock once the thread's cache of free chunks is
 * full, about every other command while megaflows are being set up, and
 * the daemon, allocating all the time then, would wait for it in turn.
 * Freed here only if the ring is full. */
static void
pmd_trash(struct dpif_pmd *pmd, struct ft_dp_actions *actions)
{
    if (actions && !ft_spsc_ring_push(&pmd->trash, &actions)) {
        actions_free(actions);
    }
}

/* Frees what 'pmd' handed back with pmd_trash(): on the daemon's thread,
 * or with the thread stopped. */
static void
pmd_empty_trash(struct dpif_pmd *pmd)
{
    struct ft_dp_actions *actions;

    while (ft_spsc_ring_pop(&pmd->trash, &actions)) {
        actions_free(actions);
    }
}

static void
pmd_reply(struct dpif_pmd *pmd, struct dpif_reply *reply)
{
    if (__atomic_sub_fetch(&reply->pending, 1, __ATOMIC_ACQ_REL) == 0) {
        eventfd_kick(pmd->set->reply_fd);
    }
}

/* Removes this thread's copy of 'flow' and stores its final counts in
 * '*final'.  The copy stays allocated while this thread's EMC holds it:
 * the EMC is swept here, on this thread (which alone touches it), as the
 * daemon's thread sweeps its own (ft_emc_note_removal()). */
static void
pmd_flow_del(struct dpif_pmd *pmd, struct ft_dpcls_flow *flow,
             struct ft_stats *final)
{
    struct ft_dpcls_flow **ext = flow->user;
    struct ft_dpcls_flow *copy = ext[pmd->index];

    memset(final, 0, sizeof *final);
    if (copy) {
        *final = copy->stats;
        __atomic_store_n(&ext[pmd->index], NULL, __ATOMIC_RELEASE);
        ft_dpcls_remove(&pmd->fwd.cls, copy);
        ft_emc_note_removal(&pmd->fwd.emc, ft_dpcls_count(&pmd->fwd.cls));
    }
}

static int
pmd_flush_one(struct ft_dpcls_flow *copy, void *aux)
{
    struct dpif_pmd *pmd = aux;
    struct ft_dpcls_flow *flow = copy->user;
    struct ft_dpcls_flow **ext = flow->user;

    __atomic_store_n(&ext[pmd->index], NULL, __ATOMIC_RELEASE);
    ft_dpcls_remove(&pmd->fwd.cls, copy);
    return 1;       /* The walk must start again after a removal. */
}

static void
pmd_apply(struct dpif_pmd *pmd, struct dpif_cmd *cmd)
{
    struct dpif_fwd *fwd = &pmd->fwd;
    struct ft_dpcls_flow **ext = cmd->flow ? cmd->flow->user : NULL;
    struct ft_dpcls_flow *copy = NULL;
    struct ft_match match;

    pmd->n_commands++;
    switch (cmd->type) {
    case CMD_PUT:
        ft_dpcls_flow_get_match(cmd->flow, &match);
        if (!ft_dpcls_insert(&fwd->cls, &match, cmd->actions,
                             cmd->flow, &copy)) {
            __atomic_store_n(&ext[pmd->index], copy, __ATOMIC_RELEASE);
        } else {
            dpif_fwd_log(fwd, "no memory for a megaflow: its packets go "
                         "to the daemon's thread");
        }
        break;
    case CMD_MODIFY:
        if (ext[pmd->index]) {
            ft_dpcls_flow_set_actions(ext[pmd->index], cmd->actions);
        }
        break;
    case CMD_DEL:
        pmd_flow_del(pmd, cmd->flow, &cmd->reply->stats[pmd->index]);
        pmd_reply(pmd, cmd->reply);
        break;
    case CMD_FLUSH:
        while (ft_dpcls_foreach(&fwd->cls, pmd_flush_one, pmd)) {
            continue;
        }
        ft_emc_flush(&fwd->emc);
        pmd_reply(pmd, cmd->reply);
        break;
    case CMD_EXECUTE:
        /* A missed packet whose megaflow was put runs this thread's copy
         * of its actions (the put came first, any change after it). */
        copy = ext ? ext[pmd->index] : NULL;
        if (cmd->actions || copy) {
            dpif_fwd_execute(fwd, cmd->pkt,
                             cmd->actions ? cmd->actions : &copy->actions,
                             copy);
        } else {
            fwd->stats.n_lost++;        /* Its put found no memory. */
        }
        pmd_packet_free(pmd, cmd->pkt);
        break;
    case CMD_RELEASE:
        pmd_packet_free(pmd, cmd->pkt);
        break;
    }
    pmd_trash(pmd, cmd->actions);
}

/* Applies up to 'max' queued commands.  Returns how many. */
static size_t
pmd_apply_commands(struct dpif_pmd *pmd, size_t max)
{
    struct dpif_cmd cmd;
    size_t n = 0;

    while (n < max && ft_spsc_ring_pop(&pmd->cmds, &cmd)) {
        pmd_apply(pmd, &cmd);
        n++;
    }
    return n;
}

static uint64_t
pmd_time_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Accounts for a round that ended at 'now' and began at '*last'. */
static void
pmd_round_end(struct dpif_pmd *pmd, uint64_t now, uint64_t *last,
              uint64_t *window)
{
    uint64_t d = now - *last;

    if (d > pmd->round_max_cur) {
        __atomic_store_n(&pmd->round_max_cur, d, __ATOMIC_RELAXED);
    }
    if (now - *window >= 1000000000) {
        __atomic_store_n(&pmd->round_max_prev, pmd->round_max_cur,
                         __ATOMIC_RELAXED);
        __atomic_store_n(&pmd->round_max_cur, 0, __ATOMIC_RELAXED);
        *window = now;
    }
    *last = now;
}

static void *
pmd_main(void *pmd_)
{
    struct dpif_pmd *pmd = pmd_;
    struct dpif_fwd *fwd = &pmd->fwd;
    unsigned int idle = 0;
    uint64_t last = pmd_time_ns(), window = last;
    char name[16];

    snprintf(name, sizeof name, "pmd-c%02d", pmd->cpu);
    pthread_setname_np(pthread_self(), name);
    ft_dpdk_thread_register();
    while (!__atomic_load_n(&pmd->exit, __ATOMIC_ACQUIRE)) {
        /* The round's clock is the one read at the end of the last. */
        int n = dpif_fwd_poll(fwd, pmd->rxqs, pmd->n_rxqs, pmd->eps,
                              pmd->n_eps, (int) (DPIF_BATCH
                                                 * (pmd->n_rxqs
                                                    + pmd->n_eps + 1)),
                              false, (long long int) (last / 1000000));
        size_t n_cmds = pmd_apply_commands(pmd, CMD_BURST);

        if (pmd->woke) {
            pmd->woke = false;
            eventfd_kick(pmd->set->upcall_fd);
        }
        if (n || n_cmds) {
            idle = 0;
        } else if (++idle >= IDLE_ROUNDS) {
            struct timespec ts = { 0, IDLE_NAP_NS };

            nanosleep(&ts, NULL);
        }
        pmd_round_end(pmd, pmd_time_ns(), &last, &window);
    }
    pmd_apply_commands(pmd, SIZE_MAX);
    dpif_fwd_flush(fwd);
    ft_dpdk_thread_unregister();
    if (pmd->woke) {
        pmd->woke = false;
        eventfd_kick(pmd->set->upcall_fd);
    }
    return NULL;
}

/* ---- The daemon's side. ---- */

/* Queues 'cmd' for 'pmd', waiting for room if its ring is full (the
 * thread empties it by CMD_BURST per round, so it never waits long). */
static void
pmds_send(struct dpif_pmd *pmd, const struct dpif_cmd *cmd)
{
    while (!ft_spsc_ring_push(&pmd->cmds, cmd)) {
        struct timespec ts = { 0, 10000 };

        pmd_empty_trash(pmd);
        nanosleep(&ts, NULL);
    }
}

/* Waits until every thread answered 'reply'.  A thread answers within a
 * round, tens of microseconds: the wait yields (so that a thread sharing
 * this CPU runs) for up to WAIT_SPIN_NS before it sleeps on the reply
 * eventfd, because on a busy machine a wakeup from sleep can take
 * milliseconds, and a revalidator deleting many megaflows waits once per
 * megaflow. */
#define WAIT_SPIN_NS 500000

static void
pmds_wait(struct dpif_pmds *set, struct dpif_reply *reply)
{
    uint64_t start = 0;
    unsigned int spins = 0;

    while (__atomic_load_n(&reply->pending, __ATOMIC_ACQUIRE)) {
        if (!(++spins & 15)) {
            uint64_t now = pmd_time_ns();

            if (!start) {
                start = now;
            } else if (now - start >= WAIT_SPIN_NS) {
                struct pollfd pfd = { .fd = set->reply_fd,
                                      .events = POLLIN };

                poll(&pfd, 1, 1);
                eventfd_drain(set->reply_fd);
                continue;
            }
        }
        sched_yield();
    }
}

static void
pmd_stop(struct dpif_pmd *pmd)
{
    if (pmd->running) {
        __atomic_store_n(&pmd->exit, true, __ATOMIC_RELEASE);
        pthread_join(pmd->thread, NULL);
        pmd->running = false;
    }
}

static int
pmd_start(struct dpif_pmd *pmd, struct ft_error *err)
{
    pthread_attr_t attr;
    cpu_set_t cpus;
    int error;

    CPU_ZERO(&cpus);
    CPU_SET(pmd->cpu, &cpus);
    pmd->exit = false;
    pthread_attr_init(&attr);
    pthread_attr_setaffinity_np(&attr, sizeof cpus, &cpus);
    error = pthread_create(&pmd->thread, &attr, pmd_main, pmd);
    pthread_attr_destroy(&attr);
    if (error) {
        return ft_error_set(err, -error, "datapath %s: cannot start the "
                            "forwarding thread for CPU %d: %s%s",
                            pmd->set->dp->up.name, pmd->cpu,
                            strerror(error), error == EINVAL
                            ? " (is that CPU online, and in this process's "
                              "cpuset?)" : "");
    }
    pmd->running = true;
    return 0;
}

/* Spreads the receive queues (a port each; an endpoint each for the
 * vxlan ports) round-robin over the threads. */
static int
pmds_assign(struct dpif_pmds *set)
{
    struct dpif_netdev *dp = set->dp;
    size_t k = 0;

    for (size_t i = 0; i < set->n; i++) {
        struct dpif_pmd *pmd = set->pmds[i];
        struct dpif_port **rxqs;

        rxqs = realloc(pmd->rxqs, (dp->n_ports + 1) * sizeof *rxqs);
        if (!rxqs) {
            return -ENOMEM;
        }
        pmd->rxqs = rxqs;
        pmd->n_rxqs = 0;
        pmd->n_eps = 0;
    }
    for (size_t i = 0; i < dp->n_ports; i++) {
        if (!dp->ports[i]->tunnel) {
            struct dpif_pmd *pmd = set->pmds[k++ % set->n];

            pmd->rxqs[pmd->n_rxqs++] = dp->ports[i];
        }
    }
    for (size_t e = 0; e < dp->n_endpoints; e++) {
        struct dpif_pmd *pmd = set->pmds[k++ % set->n];

        pmd->eps[pmd->n_eps++] = dp->endpoints[e];
    }
    return 0;
}

void
dpif_pmds_pause(struct dpif_pmds *set)
{
    for (size_t i = 0; i < set->n; i++) {
        pmd_stop(set->pmds[i]);
    }
}

int
dpif_pmds_resume(struct dpif_pmds *set)
{
    struct ft_error err;
    int error = pmds_assign(set);

    for (size_t i = 0; !error && i < set->n; i++) {
        error = pmd_start(set->pmds[i], &err);
    }
    return error;
}

int
dpif_pmds_reserve(struct dpif_pmds *set, size_t n_ports)
{
    for (size_t i = 0; i < set->n; i++) {
        int error = dpif_fwd_reserve(&set->pmds[i]->fwd, n_ports);

        if (error) {
            return error;
        }
    }
    return 0;
}

void
dpif_pmds_forget_port(struct dpif_pmds *set, struct dpif_port *port)
{
    for (size_t i = 0; i < set->n; i++) {
        dpif_fwd_forget_port(&set->pmds[i]->fwd, port);
    }
}

size_t
dpif_pmds_n(const struct dpif_pmds *set)
{
    return set->n;
}

int
dpif_pmds_upcall_fd(const struct dpif_pmds *set)
{
    return set->upcall_fd;
}

static void pmd_destroy(struct dpif_pmd *);

static struct dpif_pmd *
pmd_create(struct dpif_pmds *set, unsigned int index, int cpu)
{
    struct dpif_pmd *pmd = calloc(1, sizeof *pmd);

    if (!pmd) {
        return NULL;
    }
    pmd->set = set;
    pmd->index = index;
    pmd->cpu = cpu;
    if (dpif_fwd_init(&pmd->fwd, set->dp, pmd, index + 1)
        || dpif_fwd_reserve(&pmd->fwd, set->dp->allocated_ports)
        || ft_spsc_ring_init(&pmd->upcalls, UPCALL_RING_SLOTS,
                             sizeof(struct dpif_upcall))
        || ft_spsc_ring_init(&pmd->cmds, CMD_RING_SLOTS,
                             sizeof(struct dpif_cmd))
        || ft_spsc_ring_init(&pmd->trash, TRASH_RING_SLOTS,
                             sizeof(struct ft_dp_actions *))) {
        pmd_destroy(pmd);
        return NULL;
    }
    /* Untouched buffers cost no memory until a miss needs them. */
    pmd->pool = malloc((size_t) PKT_POOL_N * PKT_POOL_BUF);
    pmd->pool_free = malloc(PKT_POOL_N * sizeof *pmd->pool_free);
    if (!pmd->pool || !pmd->pool_free) {
        pmd_destroy(pmd);
        return NULL;
    }
    /* Handed out from the lowest index up, so that a light load keeps
     * touching the same few buffers. */
    for (uint32_t i = 0; i < PKT_POOL_N; i++) {
        pmd->pool_free[i] = PKT_POOL_N - 1 - i;
    }
    pmd->pool_n_free = PKT_POOL_N;
    return pmd;
}

/* Frees what is left in the rings of a stopped thread, and the thread. */
static void
pmd_destroy(struct dpif_pmd *pmd)
{
    struct dpif_upcall up;
    struct dpif_cmd cmd;

    if (!pmd) {
        return;
    }
    pmd_stop(pmd);
    if (pmd->upcalls.slots) {
        while (ft_spsc_ring_pop(&pmd->upcalls, &up)) {
            pmd_packet_free(pmd, up.pkt);
            free(up.msg);
        }
    }
    if (pmd->cmds.slots) {
        while (ft_spsc_ring_pop(&pmd->cmds, &cmd)) {
            pmd_packet_free(pmd, cmd.pkt);
            actions_free(cmd.actions);
        }
    }
    if (pmd->trash.slots) {
        pmd_empty_trash(pmd);
    }
    ft_spsc_ring_uninit(&pmd->upcalls);
    ft_spsc_ring_uninit(&pmd->cmds);
    ft_spsc_ring_uninit(&pmd->trash);
    free(pmd->pool);
    free(pmd->pool_free);
    dpif_fwd_uninit(&pmd->fwd);
    free(pmd->rxqs);
    free(pmd);
}

struct pmds_load {
    struct dpif_pmds *set;
    int error;
};

/* Gives a megaflow of 'main.cls' its array of copies and a copy in each
 * (stopped) thread. */
static int
pmds_load_flow(struct ft_dpcls_flow *flow, void *aux)
{
    struct pmds_load *load = aux;
    struct dpif_pmds *set = load->set;
    struct ft_dpcls_flow **ext = calloc(set->n, sizeof *ext);
    struct ft_match match;

    if (!ext) {
        load->error = -ENOMEM;
        return 1;
    }
    flow->user = ext;
    ft_dpcls_flow_get_match(flow, &match);
    for (size_t i = 0; i < set->n; i++) {
        struct dpif_fwd *fwd = &set->pmds[i]->fwd;

        if (ft_dpcls_insert(&fwd->cls, &match, &flow->actions, flow,
                            &ext[i])) {
            load->error = -ENOMEM;
            return 1;
        }
    }
    return 0;
}

static int
pmds_unload_flow(struct ft_dpcls_flow *flow, void *aux)
{
    struct dpif_pmds *set = aux;
    struct ft_dpcls_flow **ext = flow->user;

    if (ext) {
        for (size_t i = 0; i < set->n; i++) {
            if (ext[i]) {
                dpif_stats_add(&flow->stats, &ext[i]->stats);
            }
        }
        free(ext);
        flow->user = NULL;
    }
    return 0;
}

int
dpif_pmds_create(struct dpif_netdev *dp, const int cpus[], size_t n,
                 struct dpif_pmds **setp, struct ft_error *err)
{
    struct dpif_pmds *set = calloc(1, sizeof *set);
    struct pmds_load load = { .set = set };
    int error = 0;

    *setp = NULL;
    for (size_t i = 0; i < n; i++) {
        if (cpus[i] < 0 || cpus[i] >= CPU_SETSIZE
            || (i && cpus[i] <= cpus[i - 1])) {
            free(set);
            return ft_error_set(err, -EINVAL, "datapath %s: CPU %d: the "
                                "forwarding threads' CPUs must be distinct, "
                                "in ascending order, from 0 to %d",
                                dp->up.name, cpus[i], CPU_SETSIZE - 1);
        }
    }
    if (!set) {
        return ft_error_set(err, -ENOMEM, "datapath %s: out of memory",
                            dp->up.name);
    }
    set->dp = dp;
    set->upcall_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    set->reply_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ft_dp_actions_init(&set->scratch_actions);
    if (set->upcall_fd < 0 || set->reply_fd < 0) {
        error = ft_error_set(err, -errno, "datapath %s: eventfd: %s",
                             dp->up.name, strerror(errno));
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        set->pmds[i] = pmd_create(set, i, cpus[i]);
        if (!set->pmds[i]) {
            error = ft_error_set(err, -ENOMEM, "datapath %s: out of memory "
                                 "for forwarding threads", dp->up.name);
            goto fail;
        }
        set->n++;
    }
    ft_dpcls_foreach(&dp->main.cls, pmds_load_flow, &load);
    if (load.error) {
        error = ft_error_set(err, load.error, "datapath %s: out of memory "
                             "for the threads' megaflows", dp->up.name);
        goto fail;
    }
    error = pmds_assign(set);
    for (size_t i = 0; !error && i < set->n; i++) {
        error = pmd_start(set->pmds[i], err);
    }
    if (error) {
        goto fail;
    }
    *setp = set;
    return 0;

fail:
    dpif_pmds_destroy(set);
    return error;
}

void
dpif_pmds_destroy(struct dpif_pmds *set)
{
    if (!set) {
        return;
    }
    dpif_pmds_pause(set);
    /* What the threads queued up is dropped: their packets were misses
     * not yet handled, as a queue overflow would drop them. */
    ft_dpcls_foreach(&set->dp->main.cls, pmds_unload_flow, set);
    /* The datapath's counters go on from what the threads counted. */
    if (set->n) {
        struct dpif_fwd *main = &set->dp->main;
        bool bypassed = main->stats.emc_bypassed;

        dpif_pmds_get_stats(set, &main->stats);
        main->stats.emc_bypassed = bypassed;
        for (size_t i = 0; i < set->n; i++) {
            main->xstats.n_skipped += set->pmds[i]->fwd.xstats.n_skipped;
        }
    }
    for (size_t i = 0; i < set->n; i++) {
        pmd_destroy(set->pmds[i]);
    }
    if (set->upcall_fd >= 0) {
        close(set->upcall_fd);
    }
    if (set->reply_fd >= 0) {
        close(set->reply_fd);
    }
    ft_dp_actions_uninit(&set->scratch_actions);
    free(set);
}

/* Gives the packet of 'up' back to its thread, which frees it. */
static void
pmds_release(struct dpif_pmds *set, struct dpif_upcall *up)
{
    struct dpif_cmd cmd = { .type = CMD_RELEASE, .pkt = up->pkt };

    if (up->pkt) {
        pmds_send(set->pmds[up->pmd], &cmd);
        up->pkt = NULL;
    }
}

/* Handles one miss of thread 'up->pmd': the upcall callback, then the
 * packet back to its thread with the actions. */
static void
pmds_handle_miss(struct dpif_pmds *set, struct dpif_upcall *up)
{
    struct dpif_netdev *dp = set->dp;
    struct dpif_fwd *stats_fwd = &dp->main;
    struct ft_dpif_flow *installed = NULL;
    struct ft_dpcls_flow *flow;
    struct ft_match match;
    struct ft_error err;
    struct dpif_cmd cmd;
    int error;

    /* A megaflow put since the packet missed answers it as the thread's
     * lookup would have, had the put arrived first: the packet takes the
     * thread's copy of its actions, without a second translation.  That
     * is the common case while flows are set up: a flow's later packets
     * miss too until the put its first packet caused reaches the thread,
     * and each of them came up here. */
    flow = ft_dpcls_lookup(&dp->main.cls, &up->key);
    if (flow) {
        memset(&cmd, 0, sizeof cmd);
        cmd.type = CMD_EXECUTE;
        cmd.flow = flow;
        cmd.pkt = up->pkt;
        pmds_send(set->pmds[up->pmd], &cmd);
        return;
    }

    memset(&match, 0, sizeof match);
    ft_dp_actions_clear(&set->scratch_actions);
    ft_error_clear(&err);
    error = dp->up.upcall_cb(dp->up.upcall_aux, &dp->up, &up->key, up->pkt,
                             &match, &set->scratch_actions, &installed,
                             &err);
    if (error) {
        stats_fwd->stats.n_lost++;
        dpif_fwd_log(stats_fwd, "upcall for a packet from port %u failed: "
                     "%s", up->key.in_port, err.reason[0] ? err.reason
                     : strerror(error < 0 ? -error : error));
        pmds_release(set, up);
        return;
    }
    flow = (struct ft_dpcls_flow *) installed;
    if (flow && !ft_dpcls_flow_contains(flow, &up->key)) {
        stats_fwd->stats.n_bad_megaflows++;
        dpif_fwd_log(stats_fwd, "upcall for a packet from port %u "
                     "installed a megaflow that does not match it",
                     up->key.in_port);
        flow = NULL;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = CMD_EXECUTE;
    cmd.flow = flow;
    cmd.pkt = up->pkt;
    if (!flow) {
        /* Held elsewhere or nowhere: the packet takes its actions along.
         * (Installed here, the thread runs its own copy's.) */
        cmd.actions = actions_clone(&set->scratch_actions);
        if (!cmd.actions) {
            stats_fwd->stats.n_lost++;
            pmds_release(set, up);
            return;
        }
    }
    pmds_send(set->pmds[up->pmd], &cmd);
}

static void
pmds_handle(struct dpif_pmds *set, struct dpif_upcall *up)
{
    const struct ft_dpif *dpif = &set->dp->up;

    switch (up->type) {
    case UP_MISS:
        if (dpif->upcall_cb) {
            pmds_handle_miss(set, up);
            return;
        }
        set->dp->main.stats.n_lost++;
        break;
    case UP_USERSPACE:
        if (dpif->userspace_cb) {
            dpif->userspace_cb(dpif->userspace_aux, &up->act, up->pkt);
        }
        break;
    case UP_LOG:
        if (dpif->log_cb) {
            dpif->log_cb(dpif->log_aux, up->msg);
        }
        break;
    }
    pmds_release(set, up);
    free(up->msg);
}

/* Frees what the threads handed back (pmd_trash()). */
static void
pmds_empty_trash(struct dpif_pmds *set)
{
    for (size_t i = 0; i < set->n; i++) {
        pmd_empty_trash(set->pmds[i]);
    }
}

int
dpif_pmds_run(struct dpif_pmds *set, int budget)
{
    int total = 0;
    bool more = true;

    eventfd_drain(set->upcall_fd);
    pmds_empty_trash(set);
    while (more && total < budget) {
        more = false;
        for (size_t k = 0; k < set->n && total < budget; k++) {
            struct dpif_pmd *pmd = set->pmds[(set->next_rr + k) % set->n];
            struct dpif_upcall up;

            /* One at a time from each thread, in turn: a thread flooding
             * misses does not starve the others'. */
            if (ft_spsc_ring_pop(&pmd->upcalls, &up)) {
                pmds_handle(set, &up);
                total++;
                more = true;
            }
        }
        set->next_rr++;
    }
    if (more) {
        /* Budget spent with misses left: come back. */
        eventfd_kick(set->upcall_fd);
    }
    return total;
}

int
dpif_pmds_execute(struct dpif_pmds *set, const struct ft_packet *pkt,
                  const struct ft_dp_actions *actions)
{
    struct dpif_cmd cmd = { .type = CMD_EXECUTE };

    cmd.pkt = packet_clone(pkt);
    cmd.actions = actions_clone(actions);
    if (!cmd.pkt || !cmd.actions) {
        free(cmd.pkt);
        actions_free(cmd.actions);
        return -ENOMEM;
    }
    pmds_send(set->pmds[0], &cmd);
    return 0;
}

struct ft_dpcls_flow **
dpif_pmds_flow_ext(const struct dpif_pmds *set)
{
    return calloc(set->n, sizeof(struct ft_dpcls_flow *));
}

void
dpif_pmds_flow_put(struct dpif_pmds *set, struct ft_dpcls_flow *flow)
{
    for (size_t i = 0; i < set->n; i++) {
        struct dpif_cmd cmd = { .type = CMD_PUT, .flow = flow };

        cmd.actions = actions_clone(&flow->actions);
        if (!cmd.actions) {
            /* That thread has no copy: the megaflow's packets miss there
             * and come up, and their EXECUTE finds no actions to run, so
             * they are dropped and counted in its 'n_lost' (out of
             * memory, as when its own copy of a put fails). */
            continue;
        }
        pmds_send(set->pmds[i], &cmd);
    }
}

int
dpif_pmds_flow_modify(struct dpif_pmds *set, struct ft_dpcls_flow *flow,
                      const struct ft_dp_actions *actions)
{
    struct ft_dp_actions *copies[FT_DPIF_PMD_MAX];

    for (size_t i = 0; i < set->n; i++) {
        copies[i] = actions_clone(actions);
        if (!copies[i]) {
            while (i--) {
                actions_free(copies[i]);
            }
            return -ENOMEM;
        }
    }
    for (size_t i = 0; i < set->n; i++) {
        struct dpif_cmd cmd = { .type = CMD_MODIFY, .flow = flow,
                                .actions = copies[i] };

        pmds_send(set->pmds[i], &cmd);
    }
    return 0;
}

void
dpif_pmds_flow_del(struct dpif_pmds *set, struct ft_dpcls_flow *flow,
                   struct ft_stats *stats)
{
    struct dpif_reply reply;

    reply.pending = set->n;
    for (size_t i = 0; i < set->n; i++) {
        struct dpif_cmd cmd = { .type = CMD_DEL, .flow = flow,
                                .reply = &reply };

        pmds_send(set->pmds[i], &cmd);
    }
    pmds_wait(set, &reply);
    for (size_t i = 0; i < set->n; i++) {
        dpif_stats_add(stats, &reply.stats[i]);
    }
    free(flow->user);
    flow->user = NULL;
}

void
dpif_pmds_flow_stats(const struct dpif_pmds *set,
                     const struct ft_dpcls_flow *flow, struct ft_stats *stats)
{
    struct ft_dpcls_flow **ext = flow->user;

    for (size_t i = 0; ext && i < set->n; i++) {
        struct ft_dpcls_flow *copy = __atomic_load_n(&ext[i],
                                                     __ATOMIC_ACQUIRE);
        struct ft_stats s;

        if (!copy) {
            continue;
        }
        s.n_packets = __atomic_load_n(&copy->stats.n_packets,
                                      __ATOMIC_RELAXED);
        s.n_bytes = __atomic_load_n(&copy->stats.n_bytes, __ATOMIC_RELAXED);
        s.used = __atomic_load_n(&copy->stats.used, __ATOMIC_RELAXED);
        dpif_stats_add(stats, &s);
    }
}

void
dpif_pmds_flow_flush(struct dpif_pmds *set)
{
    struct dpif_reply reply;

    reply.pending = set->n;
    for (size_t i = 0; i < set->n; i++) {
        struct dpif_cmd cmd = { .type = CMD_FLUSH, .reply = &reply };

        pmds_send(set->pmds[i], &cmd);
    }
    pmds_wait(set, &reply);
}

#define LOAD(FIELD) __atomic_load_n(&FIELD, __ATOMIC_RELAXED)

void
dpif_pmds_get_stats(const struct dpif_pmds *set, struct ft_dpif_stats *st)
{
    for (size_t i = 0; i < set->n; i++) {
        const struct dpif_fwd *fwd = &set->pmds[i]->fwd;

        st->n_hit_emc += LOAD(fwd->stats.n_hit_emc);
        st->n_emc_skipped += LOAD(fwd->stats.n_emc_skipped);
        st->emc_bypassed |= LOAD(fwd->stats.emc_bypassed);
        st->n_hit_megaflow += LOAD(fwd->stats.n_hit_megaflow);
        st->n_missed += LOAD(fwd->stats.n_missed);
        st->n_lost += LOAD(fwd->stats.n_lost);
        st->n_upcalls += LOAD(fwd->stats.n_upcalls);
        st->n_invalid += LOAD(fwd->stats.n_invalid);
        st->n_tx_no_port += LOAD(fwd->stats.n_tx_no_port);
        st->n_userspace += LOAD(fwd->stats.n_userspace);
        st->n_userspace_dropped += LOAD(fwd->stats.n_userspace_dropped);
        st->n_exec_skipped += LOAD(fwd->xstats.n_skipped);
        st->n_tnl_no_port += LOAD(fwd->stats.n_tnl_no_port);
    }
}

int
dpif_pmds_foreach(const struct dpif_pmds *set,
                  int (*cb)(const struct ft_dpif_pmd_info *, void *),
                  void *aux)
{
    for (size_t i = 0; i < set->n; i++) {
        const struct dpif_pmd *pmd = set->pmds[i];
        const struct dpif_fwd *fwd = &pmd->fwd;
        struct ft_dpif_pmd_info info;
        size_t len = 0;
        int retval;

        memset(&info, 0, sizeof info);
        info.id = pmd->index;
        info.cpu = pmd->cpu;
        for (size_t q = 0; q < pmd->n_rxqs && len < sizeof info.rxqs; q++) {
            len += snprintf(info.rxqs + len, sizeof info.rxqs - len, "%s%s",
                            len ? " " : "", pmd->rxqs[q]->netdev->name);
        }
        for (size_t e = 0; e < pmd->n_eps && len < sizeof info.rxqs; e++) {
            len += snprintf(info.rxqs + len, sizeof info.rxqs - len,
                            "%svxlan:%u", len ? " " : "",
                            ft_vxlan_endpoint_port(pmd->eps[e]));
        }
        info.n_rxqs = pmd->n_rxqs + pmd->n_eps;
        info.n_flows = LOAD(fwd->cls.n_flows);
        info.n_hit_emc = LOAD(fwd->stats.n_hit_emc);
        info.n_hit_megaflow = LOAD(fwd->stats.n_hit_megaflow);
        info.n_missed = LOAD(fwd->stats.n_missed);
        info.n_lost = LOAD(fwd->stats.n_lost);
        info.n_commands = LOAD(pmd->n_commands);
        info.n_emc_used = LOAD(fwd->emc.n_used);
        info.max_round_ns = LOAD(pmd->round_max_prev);
        if (LOAD(pmd->round_max_cur) > info.max_round_ns) {
            info.max_round_ns = LOAD(pmd->round_max_cur);
        }
        retval = cb(&info, aux);
        if (retval) {
            return retval;
        }
    }
    return 0;
}

/*
 * dpdk-eal.h - DPDK's Environment Abstraction Layer, started once per
 * process, and the capture of DPDK's log messages as error reasons.
 *
 * What?
 * =====
 *
 * Every DPDK call needs the EAL, and DPDK starts it at most once in a
 * process's life (rte_eal_init() cannot be repeated, even after
 * rte_eal_cleanup()).  The EAL's arguments therefore belong to the daemon,
 * not to a port: the daemon calls ft_dpdk_eal_init() with the arguments
 * from its configuration (other_config:dpdk-extra, e.g. "--no-huge --no-pci
 * -m 512 --no-shconf --file-prefix=ft1") before it opens its first port of
 * type "dpdk".  Calling it again with the same arguments is harmless;
 * other arguments are refused with a reason, because they can only take
 * effect in a new process.  A failed start is remembered and reported
 * again to later calls: DPDK cannot retry it either.
 *
 * Arguments
 * =========
 *
 * 'args' is split at white space (no quoting).  FlowTier adds the program
 * name, and "-l CPU" (CPU = the first one the process may run on) unless
 * 'args' chooses cores with -l, -c or --lcores, so that the EAL starts no
 * worker thread.  On machines without hugepages, "--no-huge -m 512" gives
 * DPDK 512 MiB of ordinary memory; several DPDK processes on one machine
 * need "--no-shconf" or "--in-memory", or distinct "--file-prefix"es.
 *
 * rte_eal_init() pins the calling thread to the EAL's main core; FlowTier
 * restores the thread's previous CPU affinity afterwards, so that the
 * daemon keeps running where the system lets it.
 *
 * What the "dpdk" port class expects (swpath/netdev-dpdk.c)
 * =========================================================
 *
 *   - The EAL runs before the first "dpdk" port opens; otherwise open()
 *     refuses with -EOPNOTSUPP and a reason saying so.
 *   - Its ports have no descriptor (get_fd() is -1), so
 *     ft_dpif_needs_polling() is true while a datapath has one: the
 *     daemon's loop then calls ft_dpif_run() on a short timer (about every
 *     millisecond) as well as when other ports' descriptors are readable.
 *     An idle port costs one non-blocking rte_eth_rx_burst() per tick.
 *   - Receiving and sending run in the datapath's threads; the class
 *     needs no DPDK worker core (none is started unless dpdk-extra asks
 *     for cores).
 *
 * Threads
 * =======
 *
 * Starting the EAL and opening a port take a second or more, so the
 * daemon does both in a thread of their own (swpath/netdev-opener.h),
 * never in its event loop.  The thread that starts the EAL becomes its
 * main lcore and may end afterwards: FlowTier launches nothing on lcores,
 * and the EAL's own threads (interrupts, multi-process channel) do not
 * depend on it.  Other threads are non-EAL threads (rte_lcore_id() is
 * LCORE_ID_ANY) unless ft_dpdk_thread_register() made them lcores.
 * DPDK's device control calls (rte_dev_probe(), rte_eth_dev_configure(),
 * queue setup, start, stop, close, rte_dev_remove(), and the devargs list
 * behind them) are not thread-safe: every caller takes
 * ft_dpdk_control_lock() around them, so one thread at a time opens or
 * closes ports.  Receive and transmit bursts on a started port need no
 * such lock.
 *
 * Log capture
 * ===========
 *
 * DPDK says why a call failed in its log ("pcap_open_offline(/x) failed:
 * /x: No such file or directory"), while the call itself returns a bare
 * errno.  ft_dpdk_log_capture_start() and ft_dpdk_log_capture_stop()
 * bracket such calls: error messages logged by the calling thread in
 * between are kept, so that they can be appended to the reason shown to
 * the user.  Every message is still written to DPDK's usual log stream.
 *
 * Thread-safety: ft_dpdk_eal_*() may be called from any thread; a capture
 * belongs to the thread that started it.  DPDK has one log stream per
 * process, so captures must not overlap.
 */
#ifndef SWPATH_DPDK_EAL_H
#define SWPATH_DPDK_EAL_H 1

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "flowtier/error.h"

/* Starts DPDK's EAL with the white-space separated arguments 'args' (NULL
 * means none), as described at the top of this file.  Returns 0 if the
 * EAL runs with these arguments (now or already), or a negative errno with
 * 'err' (which may be NULL) filled:
 *   -EALREADY  the EAL already runs with other arguments (the reason
 *              names both);
 *   -E2BIG     more than 61 arguments or 4095 bytes;
 *   other      rte_eal_init() failed, now or in an earlier call; the
 *              reason holds rte_strerror() and DPDK's own error message. */
int ft_dpdk_eal_init(const char *args, struct ft_error *err);

/* True if the EAL runs (ft_dpdk_eal_init() succeeded).  Never waits, not
 * even while another thread starts the EAL (false then). */
bool ft_dpdk_eal_is_running(void);

/* Serializes DPDK's device control calls (see "Threads" above): held
 * while a port opens (a second or more) or closes.  Not recursive. */
void ft_dpdk_control_lock(void);
void ft_dpdk_control_unlock(void);

/* Makes the calling thread, one the EAL did not start (a forwarding
 * thread of the userspace datapath), known to DPDK as an lcore of its own,
 * so that its mbuf allocations and frees use a per-lcore mempool cache
 * rather than the pool's shared ring.  Returns 0 (also when the EAL does
 * not run: nothing to do) or a negative errno (no lcore left); the thread
 * works either way.  ft_dpdk_thread_unregister() undoes it before the
 * thread exits. */
int ft_dpdk_thread_register(void);
void ft_dpdk_thread_unregister(void);

/* Copies the arguments the EAL runs with (as given to ft_dpdk_eal_init(),
 * one space between arguments) into 'buf' of 'size' bytes and returns
 * 'buf', or returns NULL if the EAL does not run. */
const char *ft_dpdk_eal_args(char *buf, size_t size);

/* Returns the directory where the running EAL keeps its run-time files
 * (under /var/run/dpdk for root, named after --file-prefix), or NULL if
 * the EAL does not run.  DPDK leaves it behind when the process exits. */
const char *ft_dpdk_eal_runtime_dir(void);

/* Log capture; see the top of this file.  Treat the members as private. */
struct ft_dpdk_log_capture {
    FILE *saved;                /* Stream DPDK logged to before. */
    FILE *stream;               /* Ours, while the capture runs. */
    pthread_t thread;           /* Thread whose messages are kept. */
    size_t len;
    char text[FT_ERROR_REASON_MAX];   /* Error messages, "; " between. */
};

/* Makes DPDK log through 'cap' until ft_dpdk_log_capture_stop(). */
void ft_dpdk_log_capture_start(struct ft_dpdk_log_capture *cap);

/* Makes DPDK log to its previous stream again and returns the error
 * messages (level ERR or worse) that the calling thread logged since the
 * start, separated by "; ", truncated to fit: "" if there were none.  The
 * string lives in 'cap'. */
const char *ft_dpdk_log_capture_stop(struct ft_dpdk_log_capture *cap);

#endif /* swpath/dpdk-eal.h */

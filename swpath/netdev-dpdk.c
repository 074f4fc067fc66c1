/*
 * netdev-dpdk.c - the "dpdk" port class: a DPDK ethdev port, one receive
 * and one transmit queue, polled by the datapath.
 *
 * The device is named by the Interface's options:dpdk-devargs, in DPDK's
 * syntax: a virtual device with its arguments ("net_tap0,iface=dtap0",
 * "net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap", "net_null0,no-rx=1") or a
 * PCI address.  open() attaches it with rte_dev_probe() (a device the EAL
 * already attached, e.g. from --vdev, is taken as it is), takes ownership
 * of its ethdev port (so two ports cannot share it), configures one RX and
 * one TX queue with an mbuf pool of its own, starts it and turns
 * promiscuous mode on.  close() undoes all of it: it stops and closes the
 * ethdev port and detaches the device with rte_dev_remove() (unless other
 * ports of the device remain), so the same devargs can be opened again.
 * DPDK's EAL must be running first (swpath/dpdk-eal.h); the daemon starts
 * it from its configuration.  open() and close() make DPDK's device
 * control calls under ft_dpdk_control_lock(), so that ports may open in
 * threads of their own (swpath/netdev-opener.h) while others close; an
 * open takes a second or more, and a close waits for one in progress;
 * the daemon closes its ports in threads too (swpath/netdev-closer.h),
 * since releasing the queues and the pool (DPDK clears the memory it
 * frees) and detaching a device take hundreds of milliseconds.
 *
 * Polling
 * =======
 *
 * A DPDK port has no file descriptor to wait on: get_fd() returns -1, so
 * ft_dpif_needs_polling() is true for a datapath with such a port, and the
 * daemon's loop must call ft_dpif_run() on a short timer (about every
 * millisecond) besides waiting on the other ports' descriptors.  Each
 * rx_burst() is one non-blocking rte_eth_rx_burst() call; an idle port
 * costs one such call per tick, not a spinning core.
 *
 * Representors
 * ============
 *
 * "0000:08:00.0,representor=vf1" opens one representor port of a NIC's
 * embedded switch (dpdk-representor.h has the syntax; one representor per
 * Interface row, the rows of one PF's representors each with the PF's
 * address).  open() takes the port if an earlier row's probe of the PF
 * created it, else probes the PF with these devargs, and finds the port
 * by DPDK's own matching of devargs to ports among those flagged
 * RTE_ETH_DEV_REPRESENTOR.  A driver that makes no such port is refused
 * with DPDK's words, or with its name when it probed without complaint.
 * The identity of a port whose driver reports a switch domain
 * (rte_eth_dev_info's switch_info) carries it, and a representor's its
 * name ("vf1"), for rte_flow's transfer rules.  The PF stays attached
 * while any of its ports is unowned.
 *
 * Receive without copies
 * ======================
 *
 * rx_burst() hands out the received mbufs' own buffers: a packet's 'base'
 * is the mbuf's buffer, its headroom the mbuf's (RTE_PKTMBUF_HEADROOM, 128
 * bytes), and its 'mbuf_slot' the netdev's slot for the mbuf.  The mbufs
 * stay with the netdev until the next rx_burst() or close, which free them
 * back to the pool, except those another DPDK port took (below).  A frame
 * is copied, into a buffer the netdev keeps per batch slot (allocated the
 * first time the slot needs it), only when the mbuf cannot be used as it
 * is: a chain of segments, less than FT_NETDEV_MIN_HEADROOM of headroom,
 * or a buffer shared with other mbufs; such a packet has no 'mbuf_slot'.
 * A VLAN tag the device stripped is put back.
 *
 * Transmit
 * ========
 *
 * A packet with 'may_steal' whose mbuf is still in its receiving port's
 * slot (swpath/packet.h) is sent as it is: tx() takes the mbuf out of the
 * slot, points it at the frame as it is now (a pushed VLAN tag lives in
 * its headroom) and queues it; nothing is copied.  Any other packet is
 * copied into an mbuf from the port's pool.  A full queue (32 frames) and
 * tx_flush() send the queue with rte_eth_tx_burst().  Frames larger than
 * one mbuf (2048 bytes) are refused (-EMSGSIZE, counted in 'tx_errors');
 * frames the device does not take, or for which the pool has no mbuf, are
 * counted in 'tx_dropped'.
 *
 * Pools
 * =====
 *
 * Each port has its own pool of options:n_mbufs mbufs (default: enough
 * for full rings and a few bursts, 4095 at the default ring sizes; a
 * net_pcap port with infinite_rx=1 keeps its whole capture in mbufs of the
 * pool, so it needs at least as many as the capture has frames).  An mbuf
 * sent without a copy may still sit in another port's transmit ring when
 * its own port closes, so close() frees the pool only when all its mbufs
 * are back; otherwise it marks the pool orphaned, and every later open()
 * and close() frees the orphaned pools whose mbufs have all come back.
 * The pools are found through DPDK's own registry of pools
 * (rte_mempool_walk()), so the class keeps no state outside its netdevs.
 *
 * Stats come from rte_eth_stats_get() (reset when the port opens), plus
 * what this class counts itself.
 */
#include "netdev.h"

/* rte_devargs_reset(), the only way to free what rte_devargs_parse()
 * allocates, is still marked experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API 1

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>

#include "dpdk-eal.h"
#include "dpdk-representor.h"

#define BATCH FT_PACKET_BATCH_MAX

#define DPDK_DEFAULT_DESC 512
#define DPDK_MAX_DESC 4096
#define DPDK_MBUF_CACHE 32
#define DPDK_MBUF_DATA_ROOM RTE_MBUF_DEFAULT_BUF_SIZE   /* 2048 + 128. */
#define DPDK_MIN_MBUFS 4095
#define DPDK_MAX_MBUFS (1u << 26)

/* Names of this class's pools start with this. */
#define DPDK_POOL_PREFIX "ft_mp_"

/* A pool's private area: DPDK's, then ours. */
struct dpdk_pool_priv {
    struct rte_pktmbuf_pool_private mbp;    /* Must come first. */
    bool orphaned;              /* Its port closed; free once full. */
};

/* Bytes of a copied frame's buffer. */
#define DPDK_LINEAR_SIZE (FT_PACKET_HEADROOM + FT_NETDEV_MAX_FRAME)

struct dpdk_netdev {
    struct ft_netdev up;
    char *devargs;
    uint16_t port_id;
    uint64_t owner_id;
    bool attached;              /* open() attached the device (else the
                                 * EAL had it already, e.g. from --vdev). */
    bool started;
    struct rte_mempool *pool;
    uint16_t n_rxd, n_txd;      /* Descriptors per queue. */
    uint32_t n_mbufs;           /* options:n_mbufs, or 0 for the default. */
    struct ft_dpdk_representors reps;   /* What 'representor=' names. */
    bool on_switch;             /* The driver reports a switch domain. */
    uint16_t switch_domain;

    /* Receive: the mbufs of the last burst and the packets made of them. */
    struct rte_mbuf *rx_mbufs[BATCH];
    void *rx_slots[BATCH];      /* The same mbufs, NULL once taken. */
    uint16_t n_rx_mbufs;
    struct ft_packet rx_pkts[BATCH];
    uint8_t *linear[BATCH];     /* Copies' buffers, NULL until needed. */

    /* Transmit queue. */
    struct rte_mbuf *tx_mbufs[BATCH];
    uint16_t n_tx;

    /* Counted here, on top of the device's own stats. */
    uint64_t rx_errors, rx_dropped;
    uint64_t tx_errors, tx_dropped;
};

static const char *const dpdk_known_options[] = {
    "dpdk-devargs", "n_rxq_desc", "n_txq_desc", "n_mbufs", NULL,
};

static struct dpdk_netdev *
dpdk_netdev_cast(const struct ft_netdev *netdev)
{
    return (struct dpdk_netdev *) netdev;
}

/* Opening. */

/* Parses the integer option 'key' into '*v': 'dflt' if absent, an error
 * unless it is from 'min' to 'max' (and a power of 2 if 'pow2'). */
static int
dpdk_parse_uint(const char *name, const struct ft_netdev_option *opts,
                size_t n_opts, const char *key, unsigned long min,
                unsigned long max, bool pow2, unsigned long dflt,
                unsigned long *v, struct ft_error *err)
{
    const char *s = ft_netdev_option_find(opts, n_opts, key);
    char *end;

    *v = dflt;
    if (!s) {
        return 0;
    }
    errno = 0;
    *v = strtoul(s, &end, 10);
    if (errno || end == s || *end || *v < min || *v > max
        || (pow2 && (*v & (*v - 1)))) {
        *v = dflt;
        return ft_error_set(err, -EINVAL, "interface %s: options:%s=%s is "
                            "not %s from %lu to %lu", name, key, s,
                            pow2 ? "a power of 2" : "an integer", min, max);
    }
    return 0;
}

/* Parses the descriptor count option 'key' (a power of 2 from 16 to
 * DPDK_MAX_DESC) into '*n', DPDK_DEFAULT_DESC if absent. */
static int
dpdk_parse_desc(const char *name, const struct ft_netdev_option *opts,
                size_t n_opts, const char *key, uint16_t *n,
                struct ft_error *err)
{
    unsigned long v;
    int error = dpdk_parse_uint(name, opts, n_opts, key, 16, DPDK_MAX_DESC,
                                true, DPDK_DEFAULT_DESC, &v, err);

    *n = v;
    return error;
}

/* Parses options:n_mbufs into '*n' (0 if absent). */
static int
dpdk_parse_n_mbufs(const char *name, const struct ft_netdev_option *opts,
                   size_t n_opts, uint32_t *n, struct ft_error *err)
{
    unsigned long v;
    int error = dpdk_parse_uint(name, opts, n_opts, "n_mbufs", 64,
                                DPDK_MAX_MBUFS, false, 0, &v, err);

    *n = v;
    return error;
}

/* Pools. */

static struct dpdk_pool_priv *
dpdk_pool_priv(struct rte_mempool *mp)
{
    return rte_mempool_get_priv(mp);
}

/* Creates a pool of packet mbufs named 'name' with 'n' mbufs of
 * DPDK_MBUF_DATA_ROOM bytes, as rte_pktmbuf_pool_create() does, but with
 * room for 'struct dpdk_pool_priv'.  Returns the pool or NULL with
 * rte_errno set. */
static struct rte_mempool *
dpdk_pool_create(const char *name, unsigned int n, int socket)
{
    struct rte_pktmbuf_pool_private mbp;
    struct rte_mempool *mp;
    int error;

    mp = rte_mempool_create_empty(name, n,
                                  sizeof(struct rte_mbuf)
                                  + DPDK_MBUF_DATA_ROOM,
                                  DPDK_MBUF_CACHE,
                                  sizeof(struct dpdk_pool_priv), socket, 0);
    if (!mp) {
        return NULL;
    }
    error = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(),
                                       NULL);
    if (error) {
        goto fail;
    }
    memset(&mbp, 0, sizeof mbp);
    mbp.mbuf_data_room_size = DPDK_MBUF_DATA_ROOM;
    mbp.mbuf_priv_size = 0;
    rte_pktmbuf_pool_init(mp, &mbp);
    dpdk_pool_priv(mp)->orphaned = false;
    error = rte_mempool_populate_default(mp);
    if (error < 0) {
        goto fail;
    }
    rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
    return mp;

fail:
    rte_mempool_free(mp);
    rte_errno = error < 0 ? -error : error;
    return NULL;
}

/* rte_mempool_walk() callback: frees 'mp' if it is an orphaned pool of
 * this class whose mbufs are all back. */
static void
dpdk_pool_sweep_one(struct rte_mempool *mp, void *aux)
{
    struct rte_mempool **victim = aux;

    if (!*victim && !strncmp(mp->name, DPDK_POOL_PREFIX,
                             strlen(DPDK_POOL_PREFIX))
        && dpdk_pool_priv(mp)->orphaned && rte_mempool_full(mp)) {
        *victim = mp;
    }
}

/* Frees the orphaned pools whose mbufs have all come back.  (Freeing
 * inside the walk would change the list being walked: one per walk.) */
static void
dpdk_pool_sweep(void)
{
    for (;;) {
        struct rte_mempool *victim = NULL;

        rte_mempool_walk(dpdk_pool_sweep_one, &victim);
        if (!victim) {
            break;
        }
        rte_mempool_free(victim);
    }
}

/* Releases 'mp', a port's pool whose port has closed. */
static void
dpdk_pool_release(struct rte_mempool *mp)
{
    if (mp) {
        if (rte_mempool_full(mp)) {
            rte_mempool_free(mp);
        } else {
            dpdk_pool_priv(mp)->orphaned = true;
        }
    }
    dpdk_pool_sweep();
}

/* Finds the ethdev port of the device that 'devargs' names: by the
 * device's name (what precedes the first comma), else, if 'match', by
 * DPDK's devargs matching, which also finds ports named otherwise (a PCI
 * address in short form, representors) but logs errors for devargs no
 * bus knows.  Returns 0 with '*port_id' set, or -ENODEV. */
static int
dpdk_find_port(const char *devargs, bool match, uint16_t *port_id)
{
    char name[RTE_ETH_NAME_MAX_LEN];
    struct rte_dev_iterator iter;
    size_t len = strcspn(devargs, ",");
    uint16_t id;

    if (len < sizeof name) {
        memcpy(name, devargs, len);
        name[len] = '\0';
        if (!rte_eth_dev_get_port_by_name(name, port_id)) {
            return 0;
        }
    }
    if (!match) {
        return -ENODEV;
    }
    RTE_ETH_FOREACH_MATCHING_DEV(id, devargs, &iter) {
        *port_id = id;
        rte_eth_iterator_cleanup(&iter);
        return 0;
    }
    return -ENODEV;
}

/* Takes ownership of 'dev->port_id' for 'dev', so that no other interface
 * can open it.  Returns 0, -EBUSY if another owns it, or another negative
 * errno, with 'err' filled. */
static int
dpdk_own(struct dpdk_netdev *dev, struct ft_error *err)
{
    struct rte_eth_dev_owner owner;
    int error;

    memset(&owner, 0, sizeof owner);
    snprintf(owner.name, sizeof owner.name, "flowtier interface %s",
             dev->up.name);
    error = rte_eth_dev_owner_new(&owner.id);
    if (!error) {
        error = rte_eth_dev_owner_set(dev->port_id, &owner);
    }
    if (error) {
        struct rte_eth_dev_owner cur;

        if (!rte_eth_dev_owner_get(dev->port_id, &cur) && cur.id) {
            return ft_error_set(err, -EBUSY, "interface %s: DPDK device "
                                "'%s' is already in use by %s", dev->up.name,
                                dev->devargs, cur.name);
        }
        return ft_error_set(err, error, "interface %s: cannot take DPDK "
                            "device '%s': %s", dev->up.name, dev->devargs,
                            rte_strerror(-error));
    }
    dev->owner_id = owner.id;
    return 0;
}

/* Asks DPDK to probe 'dev->devargs'.  Returns 0, or a negative errno
 * with DPDK's reason (what it logged) in 'err'. */
static int
dpdk_probe(struct dpdk_netdev *dev, struct ft_error *err)
{
    struct ft_dpdk_log_capture cap;
    const char *msg;
    int error;

    ft_dpdk_log_capture_start(&cap);
    error = rte_dev_probe(dev->devargs);
    msg = ft_dpdk_log_capture_stop(&cap);
    if (error == -EFAULT) {
        /* DPDK's code for "no bus recognizes the device". */
        return ft_error_set(err, -ENODEV, "interface %s: cannot attach DPDK "
                            "device '%s': no DPDK bus or driver knows this "
                            "device name%s%s", dev->up.name, dev->devargs,
                            *msg ? ": " : "", msg);
    } else if (error) {
        return ft_error_set(err, error < 0 ? error : -EINVAL,
                            "interface %s: cannot attach DPDK device '%s': "
                            "%s%s%s", dev->up.name, dev->devargs,
                            rte_strerror(error < 0 ? -error : EINVAL),
                            *msg ? ": " : "", msg);
    }
    return 0;
}

/* Finds the representor port 'dev->devargs' names, by DPDK's own
 * matching of devargs to ports (the representor ids the driver gave its
 * ports), among ports flagged RTE_ETH_DEV_REPRESENTOR.  Returns 0 with
 * 'dev->port_id' set, or -ENODEV. */
static int
dpdk_find_representor(struct dpdk_netdev *dev)
{
    struct rte_dev_iterator iter;
    struct rte_eth_dev_info info;
    uint16_t id;

    RTE_ETH_FOREACH_MATCHING_DEV(id, dev->devargs, &iter) {
        if (!rte_eth_dev_info_get(id, &info) && info.dev_flags
            && *info.dev_flags & RTE_ETH_DEV_REPRESENTOR) {
            dev->port_id = id;
            rte_eth_iterator_cleanup(&iter);
            return 0;
        }
    }
    return -ENODEV;
}

/* Opens the representor port 'dev->devargs' names: taken as it is if an
 * earlier interface's probe of the PF created it, else after probing the
 * PF with these devargs (drivers with representors probe a PF again to
 * add ports).  Returns 0 or a negative errno with 'err' filled. */
static int
dpdk_attach_representor(struct dpdk_netdev *dev, struct ft_error *err)
{
    char rep[FT_PORT_NAME_MAX];
    struct rte_eth_dev_info info;
    const char *driver = "its driver";
    uint16_t pf;
    bool was_there;
    int error;

    if (!dpdk_find_representor(dev)) {
        return dpdk_own(dev, err);
    }
    was_there = !dpdk_find_port(dev->devargs, false, &pf);
    error = dpdk_probe(dev, err);
    if (error) {
        return error;
    }
    dev->attached = !was_there;
    if (!dpdk_find_representor(dev)) {
        return dpdk_own(dev, err);
    }
    if ((was_there || !dpdk_find_port(dev->devargs, false, &pf))
        && !rte_eth_dev_info_get(pf, &info) && info.driver_name) {
        driver = info.driver_name;
    }
    ft_dpdk_representor_format(&dev->reps, rep, sizeof rep);
    return ft_error_set(err, -EOPNOTSUPP, "interface %s: DPDK device '%s' "
                        "has no representor port %s: %s created none (it "
                        "implements no representors, or not this one)",
                        dev->up.name, dev->devargs, rep, driver);
}

/* Attaches the device of 'dev->devargs' (unless the EAL has it already),
 * finds its port and takes ownership of it.  Returns 0 or a negative
 * errno with 'err' filled. */
static int
dpdk_attach(struct dpdk_netdev *dev, struct ft_error *err)
{
    int error;

    if (dev->reps.type != FT_DPDK_REP_NONE) {
        return dpdk_attach_representor(dev, err);
    }
    /* rte_dev_probe() also succeeds for a device already attached, so
     * look first: close() must not detach a device open() did not
     * attach when open() fails (e.g. on another interface's device). */
    if (!dpdk_find_port(dev->devargs, false, &dev->port_id)) {
        return dpdk_own(dev, err);
    }

    error = dpdk_probe(dev, err);
    if (error) {
        return error;
    }
    dev->attached = true;

    if (dpdk_find_port(dev->devargs, true, &dev->port_id)) {
        return ft_error_set(err, -ENODEV, "interface %s: DPDK device '%s' "
                            "has no ethdev port", dev->up.name,
                            dev->devargs);
    }
    return dpdk_own(dev, err);
}

/* Reports the DPDK call 'what' that failed with 'error' on 'dev'. */
static int
dpdk_fail(struct dpdk_netdev *dev, const char *what, int error,
          const char *msg, struct ft_error *err)
{
    if (error >= 0) {
        error = -EIO;
    }
    return ft_error_set(err, error, "interface %s: DPDK port %u (%s): %s "
                        "failed: %s%s%s", dev->up.name, dev->port_id,
                        dev->devargs, what, rte_strerror(-error),
                        msg && *msg ? ": " : "", msg ? msg : "");
}

/* Creates the mbuf pool, configures the queues and starts the port.
 * Returns 0 or a negative errno with 'err' filled. */
static int
dpdk_start(struct dpdk_netdev *dev, struct ft_error *err)
{
    struct ft_dpdk_log_capture cap;
    struct rte_eth_conf conf;
    char pool_name[RTE_MEMPOOL_NAMESIZE];
    unsigned int n_mbufs;
    const char *msg;
    int socket, error;

    socket = rte_eth_dev_socket_id(dev->port_id);
    if (socket < 0) {
        socket = SOCKET_ID_ANY;
    }

    ft_dpdk_log_capture_start(&cap);
    memset(&conf, 0, sizeof conf);
    error = rte_eth_dev_configure(dev->port_id, 1, 1, &conf);
    if (error) {
        msg = ft_dpdk_log_capture_stop(&cap);
        return dpdk_fail(dev, "configuring 1 RX and 1 TX queue", error,
                         msg, err);
    }
    rte_eth_dev_adjust_nb_rx_tx_desc(dev->port_id, &dev->n_rxd,
                                     &dev->n_txd);

    /* Enough for full RX and TX rings, of this port and of another that
     * sends this port's mbufs without copies, received and queued bursts,
     * and the per-core caches; 2^n - 1 is the mempool's best size. */
    n_mbufs = dev->n_mbufs;
    if (!n_mbufs) {
        n_mbufs = dev->n_rxd + 2 * dev->n_txd + 4 * BATCH
                  + 2 * DPDK_MBUF_CACHE;
        n_mbufs = (1u << (32 - __builtin_clz(n_mbufs))) - 1;
        if (n_mbufs < DPDK_MIN_MBUFS) {
            n_mbufs = DPDK_MIN_MBUFS;
        }
    }
    /* The owner id is never reused, so an orphaned pool keeps its name. */
    snprintf(pool_name, sizeof pool_name, DPDK_POOL_PREFIX "%" PRIx64,
             dev->owner_id);
    dev->pool = dpdk_pool_create(pool_name, n_mbufs, socket);
    if (!dev->pool) {
        error = -rte_errno;
        msg = ft_dpdk_log_capture_stop(&cap);
        return dpdk_fail(dev, "creating a pool of mbufs", error, msg, err);
    }

    error = rte_eth_rx_queue_setup(dev->port_id, 0, dev->n_rxd, socket,
                                   NULL, dev->pool);
    if (!error) {
        error = rte_eth_tx_queue_setup(dev->port_id, 0, dev->n_txd, socket,
                                       NULL);
    }
    if (error) {
        msg = ft_dpdk_log_capture_stop(&cap);
        return dpdk_fail(dev, "setting up the queues", error, msg, err);
    }

    error = rte_eth_dev_start(dev->port_id);
    msg = ft_dpdk_log_capture_stop(&cap);
    if (error) {
        return dpdk_fail(dev, "starting", error, msg, err);
    }
    dev->started = true;

    /* Some virtual devices (net_null, net_ring) have no such mode. */
    error = rte_eth_promiscuous_enable(dev->port_id);
    if (error && error != -ENOTSUP) {
        return dpdk_fail(dev, "enabling promiscuous mode", error, NULL, err);
    }
    rte_eth_stats_reset(dev->port_id);
    return 0;
}

/* Frees the mbufs of the last receive burst that no port took. */
static void
dpdk_rx_release(struct dpdk_netdev *dev)
{
    uint16_t n = 0;

    for (uint16_t i = 0; i < dev->n_rx_mbufs; i++) {
        if (dev->rx_slots[i]) {
            dev->rx_mbufs[n++] = dev->rx_slots[i];
        }
    }
    if (n) {
        rte_pktmbuf_free_bulk(dev->rx_mbufs, n);
    }
    dev->n_rx_mbufs = 0;
}

/* Undoes what open() did to 'dev', as far as it got, and frees it. */
static void
dpdk_destroy(struct dpdk_netdev *dev)
{
    dpdk_rx_release(dev);
    if (dev->n_tx) {
        rte_pktmbuf_free_bulk(dev->tx_mbufs, dev->n_tx);
        dev->n_tx = 0;
    }
    if (dev->started) {
        rte_eth_dev_stop(dev->port_id);
    }
    if (dev->owner_id) {
        struct rte_eth_dev_info info;
        struct rte_device *rte_dev = NULL;
        uint16_t other;

        if (!rte_eth_dev_info_get(dev->port_id, &info)) {
            rte_dev = info.device;
        }
        rte_eth_dev_owner_unset(dev->port_id, dev->owner_id);
        /* Releases the queues, so the pool's mbufs come back. */
        rte_eth_dev_close(dev->port_id);
        if (rte_dev) {
            RTE_ETH_FOREACH_DEV_OF(other, rte_dev) {
                rte_dev = NULL;     /* Its other ports are still in use. */
                break;
            }
        }
        if (rte_dev) {
            rte_dev_remove(rte_dev);
        }
    } else if (dev->attached) {
        /* Attached, but without a port of ours: detach it again. */
        struct rte_devargs da;

        memset(&da, 0, sizeof da);
        if (!rte_devargs_parse(&da, dev->devargs)) {
            rte_eal_hotplug_remove(rte_bus_name(da.bus), da.name);
            rte_devargs_reset(&da);
        }
    }
    dpdk_pool_release(dev->pool);
    for (size_t i = 0; i < BATCH; i++) {
        free(dev->linear[i]);
    }
    free(dev->devargs);
    free(dev);
}

/* Reads the 'representor=' of 'devargs' of interface 'name' into 'reps':
 * one port, or none. */
static int
dpdk_parse_representor(const char *name, const char *devargs,
                       struct ft_dpdk_representors *reps,
                       struct ft_error *err)
{
    size_t n;
    int error;

    error = ft_dpdk_representor_parse(name, devargs, reps, err);
    if (error) {
        return error;
    }
    n = ft_dpdk_representor_count(reps);
    if (n > 1) {
        return ft_error_set(err, -EINVAL, "interface %s: options:dpdk-"
                            "devargs '%s' names %zu representors, but an "
                            "interface is one port: give each representor "
                            "its own Interface row with the same device "
                            "(0000:08:00.0,representor=vf1 on one, "
                            "...,representor=vf2 on the next)", name,
                            devargs, n);
    }
    return 0;
}

static void dpdk_close(struct ft_netdev *);

/* The options of an interface, checked without opening it. */
static int
dpdk_check(const char *name, const struct ft_netdev_option *opts,
           size_t n_opts, struct ft_error *err)
{
    const char *devargs;
    uint32_t n_mbufs;
    uint16_t n_desc;
    int error;

    error = ft_netdev_options_check(name, "dpdk", opts, n_opts,
                                    dpdk_known_options, err);
    if (error) {
        return error;
    }
    devargs = ft_netdev_option_find(opts, n_opts, "dpdk-devargs");
    if (!devargs || !devargs[0]) {
        return ft_error_set(err, -EINVAL, "interface %s: "
                            "options:dpdk-devargs is required", name);
    }
    error = dpdk_parse_desc(name, opts, n_opts, "n_rxq_desc", &n_desc, err);
    if (!error) {
        error = dpdk_parse_desc(name, opts, n_opts, "n_txq_desc", &n_desc,
                                err);
    }
    if (!error) {
        error = dpdk_parse_n_mbufs(name, opts, n_opts, &n_mbufs, err);
    }
    if (!error) {
        struct ft_dpdk_representors reps;

        error = dpdk_parse_representor(name, devargs, &reps, err);
    }
    return error;
}

static int
dpdk_open(const char *name, const struct ft_netdev_option *opts,
          size_t n_opts, struct ft_netdev **netdevp, struct ft_error *err)
{
    struct rte_eth_dev_info info;
    struct dpdk_netdev *dev;
    const char *devargs;
    int error;

    *netdevp = NULL;
    error = dpdk_check(name, opts, n_opts, err);
    if (error) {
        return error;
    }
    devargs = ft_netdev_option_find(opts, n_opts, "dpdk-devargs");
    if (!ft_dpdk_eal_is_running()) {
        return ft_error_set(err, -EOPNOTSUPP, "interface %s: DPDK is not "
                            "initialized (the daemon starts DPDK's EAL with "
                            "the arguments in other_config:dpdk-extra before "
                            "it opens dpdk ports)", name);
    }

    dev = calloc(1, sizeof *dev);
    if (!dev || !(dev->devargs = strdup(devargs))) {
        free(dev);
        return ft_error_set(err, -ENOMEM, "interface %s: out of memory",
                            name);
    }
    dev->up.class = &ft_netdev_dpdk_class;
    snprintf(dev->up.name, sizeof dev->up.name, "%s", name);

    error = dpdk_parse_desc(name, opts, n_opts, "n_rxq_desc", &dev->n_rxd,
                            err);
    if (!error) {
        error = dpdk_parse_n_mbufs(name, opts, n_opts, &dev->n_mbufs, err);
    }
    if (!error) {
        error = dpdk_parse_desc(name, opts, n_opts, "n_txq_desc",
                                &dev->n_txd, err);
    }
    if (!error) {
        error = dpdk_parse_representor(name, devargs, &dev->reps, err);
    }
    if (error) {
        dpdk_close(&dev->up);
        return error;
    }

    ft_dpdk_control_lock();
    dpdk_pool_sweep();
    error = dpdk_attach(dev, err);
    if (!error) {
        error = dpdk_start(dev, err);
    }
    if (error) {
        dpdk_destroy(dev);
        ft_dpdk_control_unlock();
        return error;
    }
    if (!rte_eth_dev_info_get(dev->port_id, &info)) {
        dev->up.ifindex = info.if_index;
        dev->switch_domain = info.switch_info.domain_id;
        dev->on_switch = (info.switch_info.domain_id
                          != RTE_ETH_DEV_SWITCH_DOMAIN_ID_INVALID);
    }
    ft_dpdk_control_unlock();
    *netdevp = &dev->up;
    return 0;
}

static void
dpdk_close(struct ft_netdev *netdev)
{
    ft_dpdk_control_lock();
    dpdk_destroy(dpdk_netdev_cast(netdev));
    ft_dpdk_control_unlock();
}

/* Receiving. */

/* Copies the frame of 'm' into slot 'i''s own buffer and makes 'pkt' of
 * it.  Returns false (counted) if the frame cannot be taken. */
static bool
dpdk_rx_copy(struct dpdk_netdev *dev, struct rte_mbuf *m, size_t i,
             struct ft_packet *pkt)
{
    const void *src;

    if (m->pkt_len > FT_NETDEV_MAX_FRAME) {
        dev->rx_errors++;
        return false;
    }
    if (!dev->linear[i]) {
        dev->linear[i] = malloc(DPDK_LINEAR_SIZE);
        if (!dev->linear[i]) {
            dev->rx_dropped++;
            return false;
        }
    }
    ft_packet_init(pkt, dev->linear[i], DPDK_LINEAR_SIZE,
                   FT_PACKET_HEADROOM);
    /* Gathers the segments into the buffer, or points into the first
     * segment if the frame is all there. */
    src = rte_pktmbuf_read(m, 0, m->pkt_len, ft_packet_data(pkt));
    if (!src) {
        dev->rx_errors++;
        return false;
    }
    if (src != ft_packet_data(pkt)) {
        memcpy(ft_packet_data(pkt), src, m->pkt_len);
    }
    pkt->size = m->pkt_len;
    return true;
}

/* Puts back into 'pkt' the VLAN tag 'tci' that the device took out. */
static void
dpdk_rx_push_vlan(struct ft_packet *pkt, uint16_t tci)
{
    uint8_t *data = ft_packet_data(pkt);

    memmove(data - FT_VLAN_HEADER_LEN, data, 2 * FT_ETH_ALEN);
    pkt->data_ofs -= FT_VLAN_HEADER_LEN;
    pkt->size += FT_VLAN_HEADER_LEN;
    data = ft_packet_data(pkt) + 2 * FT_ETH_ALEN;
    data[0] = FT_ETH_TYPE_VLAN >> 8;
    data[1] = FT_ETH_TYPE_VLAN & 0xff;
    data[2] = tci >> 8;
    data[3] = tci & 0xff;
}

/* Makes 'pkt' of the received mbuf 'm' in batch slot 'i'.  Returns false
 * if it is dropped. */
static bool
dpdk_rx_take(struct dpdk_netdev *dev, struct rte_mbuf *m, size_t i,
             struct ft_packet *pkt)
{
    bool stripped = (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) != 0;
    size_t need = FT_NETDEV_MIN_HEADROOM + (stripped ? FT_VLAN_HEADER_LEN
                                                      : 0);

    if (m->nb_segs == 1 && RTE_MBUF_DIRECT(m)
        && rte_mbuf_refcnt_read(m) == 1 && m->data_off >= need) {
        ft_packet_init(pkt, m->buf_addr, m->buf_len, m->data_off);
        pkt->size = m->data_len;
        pkt->mbuf_slot = &dev->rx_slots[i];
    } else if (!dpdk_rx_copy(dev, m, i, pkt)) {
        return false;
    }
    if (stripped && pkt->size >= 2 * FT_ETH_ALEN) {
        dpdk_rx_push_vlan(pkt, m->vlan_tci);
    }
    return true;
}

static int
dpdk_rx_burst(struct ft_netdev *netdev, struct ft_packet_batch *batch)
{
    struct dpdk_netdev *dev = dpdk_netdev_cast(netdev);
    uint16_t room, n;
    int added = 0;

    dpdk_rx_release(dev);
    room = batch->count < BATCH ? BATCH - batch->count : 0;
    if (!room) {
        return 0;
    }
    n = rte_eth_rx_burst(dev->port_id, 0, dev->rx_mbufs, room);
    for (uint16_t i = 0; i < n; i++) {
        struct ft_packet *pkt = &dev->rx_pkts[i];

        dev->rx_slots[i] = dev->rx_mbufs[i];
        if (i + 1 < n) {
            rte_prefetch0(rte_pktmbuf_mtod(dev->rx_mbufs[i + 1], void *));
        }
        if (dpdk_rx_take(dev, dev->rx_mbufs[i], i, pkt)) {
            batch->packets[batch->count++] = pkt;
            added++;
        }
    }
    dev->n_rx_mbufs = n;
    return added;
}

/* Transmitting. */

static void
dpdk_tx_flush(struct ft_netdev *netdev)
{
    struct dpdk_netdev *dev = dpdk_netdev_cast(netdev);
    uint16_t sent = 0;

    /* A second try gives a device whose ring was full a moment to drain
     * what it already took. */
    for (int try = 0; try < 2 && sent < dev->n_tx; try++) {
        sent += rte_eth_tx_burst(dev->port_id, 0, dev->tx_mbufs + sent,
                                 dev->n_tx - sent);
    }
    if (sent < dev->n_tx) {
        rte_pktmbuf_free_bulk(dev->tx_mbufs + sent, dev->n_tx - sent);
        dev->tx_dropped += dev->n_tx - sent;
    }
    dev->n_tx = 0;
}

static inline int
dpdk_tx(struct ft_netdev *netdev, const struct ft_packet *pkt)
{
    struct dpdk_netdev *dev = dpdk_netdev_cast(netdev);
    struct rte_mbuf *m;
    char *data;

    if (pkt->may_steal && pkt->mbuf_slot && *pkt->mbuf_slot) {
        /* Send the received mbuf itself (see "Transmit"). */
        m = *pkt->mbuf_slot;
        *pkt->mbuf_slot = NULL;
        m->data_off = pkt->data_ofs;
        m->data_len = m->pkt_len = pkt->size;
        m->ol_flags = 0;
        dev->tx_mbufs[dev->n_tx++] = m;
        if (dev->n_tx == BATCH) {
            dpdk_tx_flush(netdev);
        }
        return 0;
    }
    if (pkt->size > DPDK_MBUF_DATA_ROOM - RTE_PKTMBUF_HEADROOM) {
        dev->tx_errors++;
        return -EMSGSIZE;
    }
    m = rte_pktmbuf_alloc(dev->pool);
    if (!m) {
        dev->tx_dropped++;
        return -ENOBUFS;
    }
    data = rte_pktmbuf_append(m, pkt->size);
    memcpy(data, ft_packet_data(pkt), pkt->size);
    dev->tx_mbufs[dev->n_tx++] = m;
    if (dev->n_tx == BATCH) {
        dpdk_tx_flush(netdev);
    }
    return 0;
}

static void
dpdk_tx_n(struct ft_netdev *netdev, struct ft_packet *const pkts[], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dpdk_tx(netdev, pkts[i]);
    }
}

/* Status. */

static int
dpdk_get_stats(struct ft_netdev *netdev, struct ft_netdev_stats *stats)
{
    struct dpdk_netdev *dev = dpdk_netdev_cast(netdev);
    struct rte_eth_stats s;
    int error;

    error = rte_eth_stats_get(dev->port_id, &s);
    if (error) {
        return error;
    }
    stats->rx_packets = s.ipackets;
    stats->rx_bytes = s.ibytes;
    stats->rx_dropped = s.imissed + s.rx_nombuf + dev->rx_dropped;
    stats->rx_errors = s.ierrors + dev->rx_errors;
    stats->tx_packets = s.opackets;
    stats->tx_bytes = s.obytes;
    stats->tx_dropped = dev->tx_dropped;
    stats->tx_errors = s.oerrors + dev->tx_errors;
    return 0;
}

static int
dpdk_get_mac(const struct ft_netdev *netdev, struct ft_eth_addr *mac)
{
    struct dpdk_netdev *dev = dpdk_netdev_cast(netdev);
    struct rte_ether_addr addr;
    int error;

    error = rte_eth_macaddr_get(dev->port_id, &addr);
    if (!error) {
        memcpy(mac->ea, addr.addr_bytes, sizeof mac->ea);
    }
    return error;
}

static void
dpdk_get_identity(const struct ft_netdev *netdev, struct ft_port_identity *id)
{
    const struct dpdk_netdev *dev = dpdk_netdev_cast(netdev);

    id->dpdk_port_id = dev->port_id;
    id->dpdk_on_switch = dev->on_switch;
    id->dpdk_switch_domain = dev->switch_domain;
    if (dev->reps.type != FT_DPDK_REP_NONE) {
        ft_dpdk_representor_format(&dev->reps, id->phys_port_name,
                                   sizeof id->phys_port_name);
    }
}

const struct ft_netdev_class ft_netdev_dpdk_class = {
    .type = "dpdk",
    .check = dpdk_check,
    .open = dpdk_open,
    .close = dpdk_close,
    .rx_burst = dpdk_rx_burst,
    .tx = dpdk_tx,
    .tx_n = dpdk_tx_n,
    .tx_flush = dpdk_tx_flush,
    .get_fd = NULL,             /* Polled: see "Polling" above. */
    .get_stats = dpdk_get_stats,
    .get_mac = dpdk_get_mac,
    .get_identity = dpdk_get_identity,
};

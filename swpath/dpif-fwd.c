/*
 * dpif-fwd.c - the receive path of the userspace datapath, run by one
 * forwarding context (swpath/dpif-netdev-private.h): parse, exact-match
 * cache, megaflow cache, execute in batches, misses.
 *
 * Part of the software datapath.  swpath/dpif-netdev.h describes the
 * path.  A context is run either by the daemon's thread (no forwarding
 * threads: misses call the upcall callback at once) or by one forwarding
 * thread (misses are queued to the daemon's thread, dpif-pmd.c); it
 * touches its own state, reads the datapath's ports, and writes only the
 * ports' transmit queues (under dpif_port_tx_lock() when there are
 * forwarding threads).
 */
#include "dpif-netdev-private.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flow-extract.h"

#define BATCH DPIF_BATCH

/* Rate limit of log lines. */
#define LOG_BURST 10
#define LOG_INTERVAL_MS 1000

long long int
dpif_time_msec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long int) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
dpif_fwd_log(struct dpif_fwd *fwd, const char *fmt, ...)
{
    const struct ft_dpif *up = &fwd->dp->up;
    char msg[512];
    long long int now;
    va_list args;
    int n;

    if (!up->log_cb) {
        return;
    }
    now = dpif_time_msec();
    if (now - fwd->log_window >= LOG_INTERVAL_MS) {
        fwd->log_window = now;
        fwd->log_in_window = 0;
    }
    if (fwd->log_in_window >= LOG_BURST) {
        fwd->log_suppressed++;
        return;
    }
    fwd->log_in_window++;

    n = snprintf(msg, sizeof msg, "%s: ", up->name);
    if (fwd->pmd) {
        n += snprintf(msg + n, sizeof msg - n, "pmd %u: ", fwd->idx - 1);
    }
    va_start(args, fmt);
    vsnprintf(msg + n, sizeof msg - n, fmt, args);
    va_end(args);
    if (fwd->log_suppressed) {
        size_t len = strlen(msg);

        snprintf(msg + len, sizeof msg - len,
                 " (%llu earlier messages suppressed)",
                 (unsigned long long) fwd->log_suppressed);
        fwd->log_suppressed = 0;
    }
    if (fwd->pmd) {
        dpif_pmd_upcall_log(fwd, msg);
    } else {
        up->log_cb(up->log_aux, msg);
    }
}

/* Ports.  With forwarding threads, a context holds a port's 'tx_lock'
 * from the first frame it queues there to the flush.  It never waits for
 * a lock while it holds another: if the lock is taken, it first flushes
 * (and so releases) every port it holds.  Without threads, no lock. */

static inline void
dpif_port_claim(struct dpif_fwd *fwd, struct dpif_port *port)
{
    if (port->tx_pending[fwd->idx]) {
        return;
    }
    if (fwd->pmd) {
        pthread_mutex_t *lock = dpif_port_tx_lock(fwd->dp, port);

        if (pthread_mutex_trylock(lock)) {
            /* (Also when this context holds it: vxlan ports share one.) */
            dpif_fwd_flush(fwd);
            pthread_mutex_lock(lock);
        }
    }
    port->tx_pending[fwd->idx] = true;
    fwd->pending[fwd->n_pending++] = port;
}

/* Queues 'pkt' on 'port' and remembers to flush it. */
static void
dpif_port_send(struct dpif_fwd *fwd, struct dpif_port *port,
               const struct ft_packet *pkt)
{
    dpif_port_claim(fwd, port);
    ft_netdev_tx(port->netdev, pkt);
}

void
dpif_fwd_flush(struct dpif_fwd *fwd)
{
    for (size_t i = 0; i < fwd->n_pending; i++) {
        struct dpif_port *port = fwd->pending[i];

        ft_netdev_tx_flush(port->netdev);
        port->tx_pending[fwd->idx] = false;
        if (fwd->pmd) {
            pthread_mutex_unlock(dpif_port_tx_lock(fwd->dp, port));
        }
    }
    fwd->n_pending = 0;
}

void
dpif_fwd_forget_port(struct dpif_fwd *fwd, struct dpif_port *port)
{
    for (size_t i = 0; i < fwd->n_pending; i++) {
        if (fwd->pending[i] == port) {
            fwd->pending[i] = fwd->pending[--fwd->n_pending];
            port->tx_pending[fwd->idx] = false;
            if (fwd->pmd) {
                pthread_mutex_unlock(dpif_port_tx_lock(fwd->dp, port));
            }
            return;
        }
    }
}

int
dpif_fwd_reserve(struct dpif_fwd *fwd, size_t n_ports)
{
    struct dpif_port **pending;

    pending = realloc(fwd->pending, (n_ports ? n_ports : 1)
                                    * sizeof *pending);
    if (!pending) {
        return -ENOMEM;
    }
    fwd->pending = pending;
    return 0;
}

static void
dpif_output(void *aux, ft_port_no port_no, const struct ft_packet *pkt)
{
    struct dpif_fwd *fwd = aux;
    struct dpif_port *port;

    if (port_no == FT_PORT_IN_PORT) {
        port_no = pkt->in_port;
    }
    port = dpif_port_find(fwd->dp, port_no);
    if (port) {
        dpif_port_send(fwd, port, pkt);
    } else {
        fwd->stats.n_tx_no_port++;
    }
}

static void
dpif_userspace(void *aux, const struct ft_dpa_userspace *act,
               const struct ft_packet *pkt)
{
    struct dpif_fwd *fwd = aux;
    const struct ft_dpif *up = &fwd->dp->up;

    fwd->stats.n_userspace++;
    if (!up->userspace_cb) {
        fwd->stats.n_userspace_dropped++;
    } else if (fwd->pmd) {
        dpif_pmd_upcall_userspace(fwd, act, pkt);
    } else {
        up->userspace_cb(up->userspace_aux, act, pkt);
    }
}

int
dpif_fwd_init(struct dpif_fwd *fwd, struct dpif_netdev *dp,
              struct dpif_pmd *pmd, unsigned int idx)
{
    memset(fwd, 0, sizeof *fwd);
    if (ft_emc_init(&fwd->emc, FT_EMC_DEFAULT_ENTRIES)) {
        return -ENOMEM;
    }
    fwd->dp = dp;
    fwd->pmd = pmd;
    fwd->idx = idx;
    ft_dpcls_init(&fwd->cls);
    fwd->rng = 0x2545f491 + idx;
    fwd->hooks.output = dpif_output;
    fwd->hooks.userspace = dpif_userspace;
    fwd->hooks.aux = fwd;
    for (size_t i = 0; i < BATCH; i++) {
        ft_dp_actions_init(&fwd->slots[i].actions);
    }
    return 0;
}

void
dpif_fwd_uninit(struct dpif_fwd *fwd)
{
    ft_emc_uninit(&fwd->emc);
    ft_dpcls_destroy(&fwd->cls);
    for (size_t i = 0; i < BATCH; i++) {
        ft_dp_actions_uninit(&fwd->slots[i].actions);
    }
    free(fwd->pending);
    fwd->pending = NULL;
}

/* The receive path. */

static void
dpif_execute_one(struct dpif_fwd *fwd, struct ft_packet *pkt,
                 const struct ft_dp_actions *actions,
                 struct ft_dpcls_flow *flow)
{
    uint32_t size = pkt->size;

    ft_execute_actions(pkt, actions, &fwd->hooks, &fwd->xstats);
    if (flow) {
        ft_dpcls_flow_credit(flow, 1, size, fwd->now);
    }
}

/* Handles packet 'i' of the batch, which missed both caches. */
static void
dpif_handle_miss(struct dpif_fwd *fwd, struct ft_packet *pkt, size_t i)
{
    const struct ft_dpif *up = &fwd->dp->up;
    const struct ft_flow *key = &fwd->keys[i];
    struct ft_dpif_flow *installed = NULL;
    struct dpif_upcall_slot *slot;
    struct ft_error err;
    int error;

    fwd->stats.n_missed++;
    for (size_t s = 0; s < fwd->n_slots; s++) {
        slot = &fwd->slots[s];
        if (ft_match_contains(&slot->match, key)) {
            dpif_execute_one(fwd, pkt, &slot->actions, slot->flow);
            return;
        }
    }
    if (!up->upcall_cb) {
        fwd->stats.n_lost++;
        return;
    }
    if (fwd->pmd) {
        dpif_pmd_upcall_miss(fwd, pkt, key);
        return;
    }

    slot = &fwd->slots[fwd->n_slots];
    memset(&slot->match, 0, sizeof slot->match);
    ft_dp_actions_clear(&slot->actions);
    ft_error_clear(&err);
    fwd->stats.n_upcalls++;
    error = up->upcall_cb(up->upcall_aux, &fwd->dp->up, key, pkt,
                          &slot->match, &slot->actions, &installed, &err);
    if (error) {
        fwd->stats.n_lost++;
        dpif_fwd_log(fwd, "upcall for a packet from port %u failed: %s",
                 key->in_port, err.reason[0] ? err.reason
                 : strerror(error < 0 ? -error : error));
        return;
    }
    slot->flow = (struct ft_dpcls_flow *) installed;
    if (!slot->flow) {
        /* Held in another tier, or nowhere: the callback counted the
         * packet, and a later packet of this batch asks again. */
        dpif_execute_one(fwd, pkt, &slot->actions, NULL);
        return;
    }
    if (!ft_dpcls_flow_contains(slot->flow, key)) {
        fwd->stats.n_bad_megaflows++;
        dpif_fwd_log(fwd, "upcall for a packet from port %u installed a "
                 "megaflow that does not match it", key->in_port);
        dpif_execute_one(fwd, pkt, &slot->actions, NULL);
        return;
    }
    ft_dpcls_flow_get_match(slot->flow, &slot->match);
    fwd->n_slots++;
    if (!fwd->stats.emc_bypassed) {
        /* (While it is bypassed, a flood of new flows would only evict
         * entries, each eviction a cache miss on the evicted megaflow.) */
        ft_emc_insert(&fwd->emc, key, fwd->hashes[i], slot->flow);
    }
    dpif_execute_one(fwd, pkt, &slot->actions, slot->flow);
}

/* Parsing.  Most frames are untagged IPv4 UDP or TCP without options or
 * fragmentation: dpif_parse_fast() fills their offsets directly and makes
 * the DPIF_FAST_WORDS words of their key that may be nonzero (the words
 * at 'dpif_fast_idx', every other word of such a key is zero) and the
 * hash of those, and dpif_parse_slow() hands every other frame to
 * ft_packet_parse(), ft_flow_extract() and ft_emc_hash(), with the same
 * result (tests/unit/test-dpif.c compares the two).  A burst that uses
 * the EMC keeps a shortcut frame's key as its words until the EMC misses
 * (ft_emc_lookup_words()): a hit never writes the whole key. */

static inline uint16_t
dpif_be16(const uint8_t *p)
{
    return (uint16_t) (p[0] << 8 | p[1]);
}

static inline uint32_t
dpif_be32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}

/* Word indexes of the fields the fast parser writes. */
#define W(FIELD) (offsetof(struct ft_flow, FIELD) / 8)

/* The words of the key dpif_parse_fast() makes, in this order. */
static const uint8_t dpif_fast_idx[DPIF_FAST_WORDS] = {
    W(in_port), W(dl_dst), W(dl_type), W(nw_src), W(nw_proto), W(tp_src),
    W(tcp_flags),
};

/* The shortcut (see above): for an untagged IPv4 UDP or TCP frame in
 * 'pkt', sets its header offsets, stores the words of its key in 'w'
 * and their hash in '*hashp', and returns true; for any other frame
 * returns false. */
static inline bool
dpif_parse_fast(struct ft_packet *pkt, ft_port_no in_port,
                uint64_t w[DPIF_FAST_WORDS], uint32_t *hashp)
{
    const uint8_t *p = ft_packet_data(pkt);
    const uint8_t *ip = p + FT_ETH_HEADER_LEN;
    const uint8_t *l4 = ip + FT_IPV4_HEADER_LEN;
    uint32_t size = pkt->size;
    uint32_t tot_len, l4_len;
    uint64_t sum;
    uint8_t proto;

    if (size < FT_ETH_HEADER_LEN + FT_IPV4_HEADER_LEN
        || p[12] != 0x08 || p[13] != 0x00 || ip[0] != 0x45
        || (dpif_be16(ip + 6) & 0x3fff)) {
        return false;
    }
    tot_len = dpif_be16(ip + 2);
    if (tot_len < FT_IPV4_HEADER_LEN
        || tot_len > size - FT_ETH_HEADER_LEN) {
        return false;
    }
    l4_len = tot_len - FT_IPV4_HEADER_LEN;
    proto = ip[9];
    if (proto == FT_IPPROTO_UDP) {
        if (l4_len < 8) {
            return false;
        }
    } else if (proto == FT_IPPROTO_TCP) {
        if (l4_len < 20 || (l4[12] >> 4) < 5
            || (l4[12] >> 4) * 4u > l4_len) {
            return false;
        }
    } else {
        return false;
    }

    pkt->eth_type = FT_ETH_TYPE_IP;
    pkt->l3_ofs = FT_ETH_HEADER_LEN;
    pkt->l4_ofs = FT_ETH_HEADER_LEN + FT_IPV4_HEADER_LEN;
    pkt->l4_end = FT_ETH_HEADER_LEN + tot_len;
    pkt->l4_proto = proto;
    pkt->flags = 0;

    /* Builds the key's words in registers and stores each once: storing
     * fields and then reading words back would stall on store
     * forwarding.  The layout is 'struct ft_flow''s on a little-endian
     * machine (checked below). */
    uint64_t w_port = (uint64_t) in_port << 32;
    uint64_t w_eth0, w_eth1, w_ip, w_nw, w_tp, w_tcp = 0;
    uint32_t src_tail;

    memcpy(&w_eth0, p, 8);                  /* dl_dst, dl_src[0..1]. */
    memcpy(&src_tail, p + 8, 4);            /* dl_src[2..5]. */
    w_eth1 = src_tail | (uint64_t) FT_ETH_TYPE_IP << 32;
    w_ip = dpif_be32(ip + 12) | (uint64_t) dpif_be32(ip + 16) << 32;
    w_nw = (uint64_t) proto << 32 | (uint64_t) ip[1] << 40
           | (uint64_t) ip[8] << 48;
    w_tp = (uint64_t) dpif_be16(l4) << 32
           | (uint64_t) dpif_be16(l4 + 2) << 48;
    if (proto == FT_IPPROTO_TCP) {
        w_tcp = dpif_be16(l4 + 12) & FT_TCP_FLAGS_MASK;
    }
    w[0] = w_port;
    w[1] = w_eth0;
    w[2] = w_eth1;
    w[3] = w_ip;
    w[4] = w_nw;
    w[5] = w_tp;
    w[6] = w_tcp;

    sum = ft_emc_hash_word(W(in_port), w_port);
    sum += ft_emc_hash_word(W(dl_dst), w_eth0);
    sum += ft_emc_hash_word(W(dl_type), w_eth1);
    sum += ft_emc_hash_word(W(nw_src), w_ip);
    sum += ft_emc_hash_word(W(nw_proto), w_nw);
    sum += ft_emc_hash_word(W(tp_src), w_tp);
    sum += ft_emc_hash_word(W(tcp_flags), w_tcp);
    *hashp = ft_emc_hash_finish(sum);
    return true;
}

/* Writes the whole key '*key' whose words at 'dpif_fast_idx' are 'w'. */
static inline void
dpif_key_from_words(struct ft_flow *key, const uint64_t w[DPIF_FAST_WORDS])
{
    uint64_t *kw = ft_flow_u64_rw(key);

    /* Every word, in order (a loop of zeros becomes 'rep stos', which
     * costs more than the rest of the parse). */
    kw[0] = 0;
    kw[1] = 0;
    kw[2] = w[0];
    kw[3] = 0;
    kw[4] = 0;
    kw[5] = 0;
    kw[6] = 0;
    kw[7] = 0;
    kw[8] = w[1];
    kw[9] = w[2];
    kw[10] = 0;
    kw[11] = w[3];
    kw[12] = 0;
    kw[13] = 0;
    kw[14] = 0;
    kw[15] = 0;
    kw[16] = w[4];
    kw[17] = 0;
    kw[18] = w[5];
    kw[19] = w[6];
}

/* The word layout dpif_parse_fast() builds. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
               && offsetof(struct ft_flow, in_port) == W(in_port) * 8 + 4
               && offsetof(struct ft_flow, dl_dst) == W(dl_dst) * 8
               && offsetof(struct ft_flow, dl_src) == W(dl_dst) * 8 + 6
               && offsetof(struct ft_flow, dl_type) == W(dl_type) * 8 + 4
               && W(dl_type) == W(dl_dst) + 1
               && offsetof(struct ft_flow, nw_src) == W(nw_src) * 8
               && offsetof(struct ft_flow, nw_dst) == W(nw_src) * 8 + 4
               && offsetof(struct ft_flow, nw_proto) == W(nw_proto) * 8 + 4
               && offsetof(struct ft_flow, nw_tos) == W(nw_proto) * 8 + 5
               && offsetof(struct ft_flow, nw_ttl) == W(nw_proto) * 8 + 6
               && offsetof(struct ft_flow, tp_src) == W(tp_src) * 8 + 4
               && offsetof(struct ft_flow, tp_dst) == W(tp_src) * 8 + 6
               && offsetof(struct ft_flow, tcp_flags) == W(tcp_flags) * 8
               && W(in_port) == 2 && W(dl_dst) == 8 && W(nw_src) == 11
               && W(nw_proto) == 16 && W(tp_src) == 18 && FT_FLOW_U64S == 20,
               "dpif_parse_fast() builds the wrong words");

/* Every frame the shortcut does not take: sets the header offsets of
 * 'pkt', its flow key '*key' (from 'in_port') and the key's EMC hash
 * '*hashp'.  Returns false for a frame too short to have a key.  Out of
 * line: the shortcut is what runs for every packet. */
static bool __attribute__((noinline))
dpif_parse_slow(struct ft_packet *pkt, ft_port_no in_port,
                struct ft_flow *key, uint32_t *hashp)
{
    ft_packet_parse(pkt);
    if (ft_flow_extract(ft_packet_data(pkt), pkt->size, in_port, key)) {
        return false;
    }
    *hashp = ft_emc_hash(key);
    return true;
}

/* Sets the header offsets of 'pkt' (from 'in_port'), its flow key '*key'
 * and the key's EMC hash '*hashp'.  Returns false for a frame too short to
 * have a key. */
static inline bool
dpif_parse(struct ft_packet *pkt, ft_port_no in_port, struct ft_flow *key,
           uint32_t *hashp)
{
    uint64_t w[DPIF_FAST_WORDS];

    pkt->in_port = in_port;
    if (dpif_parse_fast(pkt, in_port, w, hashp)) {
        dpif_key_from_words(key, w);
        return true;
    }
    return dpif_parse_slow(pkt, in_port, key, hashp);
}

int
ft_dpif_parse_packet(struct ft_packet *pkt, ft_port_no in_port,
                     struct ft_flow *key, uint32_t *hash)
{
    return dpif_parse(pkt, in_port, key, hash) ? 0 : -EINVAL;
}

/* Adds packet 'i' of the receive batch to the per-megaflow batch of
 * 'flow'. */
static inline void
dpif_flow_batch_add(struct dpif_fwd *fwd, struct ft_dpcls_flow *flow,
                    struct ft_packet *pkt)
{
    struct dpif_flow_batch *fb;
    size_t i;

    for (i = fwd->n_fbatches; i > 0; i--) {
        if (fwd->fbatches[i - 1].flow == flow) {
            break;
        }
    }
    if (i) {
        fb = &fwd->fbatches[i - 1];
    } else {
        fb = &fwd->fbatches[fwd->n_fbatches++];
        fb->flow = flow;
        fb->n = 0;
        fb->bytes = 0;
    }
    fb->pkts[fb->n++] = pkt;
    fb->bytes += pkt->size;
}

/* True, once every FT_DPIF_EMC_INSERT_INV_PROB calls on average: whether a
 * megaflow-cache hit is cached in the EMC (as Open vSwitch's
 * emc-insert-inv-prob), so that traffic with more flows than the EMC holds
 * does not rewrite it for every packet. */
static inline bool
dpif_emc_insert_draw(struct dpif_fwd *fwd)
{
    uint32_t x = fwd->rng;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    fwd->rng = x;
    return x % FT_DPIF_EMC_INSERT_INV_PROB == 0;
}

/* Whether this burst uses the EMC: always while it is not bypassed, and
 * one burst in FT_DPIF_EMC_PROBE_EVERY while it is. */
static inline bool
dpif_emc_use(struct dpif_fwd *fwd)
{
    if (!fwd->stats.emc_bypassed) {
        return true;
    }
    if (++fwd->emc_bursts >= FT_DPIF_EMC_PROBE_EVERY) {
        fwd->emc_bursts = 0;
        return true;
    }
    return false;
}

/* Counts 'n_lookups' EMC lookups of which 'n_hits' hit, and decides
 * whether to bypass the EMC at the end of each window. */
static inline void
dpif_emc_account(struct dpif_fwd *fwd, size_t n_lookups, size_t n_hits)
{
    fwd->emc_lookups += n_lookups;
    fwd->emc_hits += n_hits;
    if (fwd->emc_lookups >= FT_DPIF_EMC_WINDOW) {
        fwd->stats.emc_bypassed
            = (uint64_t) fwd->emc_hits * 100
              < (uint64_t) fwd->emc_lookups * FT_DPIF_EMC_MIN_HIT_PCT;
        fwd->emc_lookups = fwd->emc_hits = 0;
    }
}

/* Puts the outer header of the decapsulated packet 'pkt' in its key and
 * hashes the key again. */
static void
dpif_tunnel_key(const struct ft_packet *pkt, struct ft_flow *key,
                uint32_t *hashp)
{
    key->tun_id = pkt->tunnel.tun_id;
    key->tun_src = pkt->tunnel.src;
    key->tun_dst = pkt->tunnel.dst;
    key->tun_tos = pkt->tunnel.tos;
    key->tun_ttl = pkt->tunnel.ttl;
    key->tun_flags = pkt->tunnel.flags;
    *hashp = ft_emc_hash(key);
}

/* Parses and looks up every packet of 'batch' (from 'port_no'): packets
 * found in a cache go to their megaflow's batch, the others are marked in
 * the returned map (bit i: packet i), with their keys in 'fwd->keys'. */
static uint32_t
dpif_classify(struct dpif_fwd *fwd, struct ft_packet_batch *batch,
              ft_port_no port_no, bool tunnel)
{
    const struct ft_flow *miss_keys[BATCH];
    struct ft_dpcls_flow *found[BATCH];
    size_t miss_idx[BATCH];
    uint32_t miss_map = 0;
    size_t n_miss = 0;
    size_t n = batch->count;

    bool use_emc = dpif_emc_use(fwd);
    size_t n_valid = 0, n_emc_hits = 0;
    /* Bit i: packet i's key is only its words in 'fwd->words' (see
     * "Parsing").  Only for the EMC: the megaflow cache takes whole keys,
     * and a tunnel's key has words the shortcut does not set. */
    bool by_words = use_emc && !tunnel;
    uint32_t words_map = 0;

    for (size_t i = 0; i < n; i++) {
        struct ft_packet *pkt = batch->packets[i];

        if (by_words) {
            pkt->in_port = port_no;
            if (dpif_parse_fast(pkt, port_no, fwd->words[i],
                                &fwd->hashes[i])) {
                fwd->valid[i] = true;
                words_map |= UINT32_C(1) << i;
            } else {
                fwd->valid[i] = dpif_parse_slow(pkt, port_no, &fwd->keys[i],
                                                &fwd->hashes[i]);
            }
        } else {
            fwd->valid[i] = dpif_parse(pkt, port_no, &fwd->keys[i],
                                       &fwd->hashes[i]);
            if (tunnel && fwd->valid[i]) {
                dpif_tunnel_key(pkt, &fwd->keys[i], &fwd->hashes[i]);
            }
        }
        if (fwd->valid[i] && use_emc) {
            ft_emc_prefetch(&fwd->emc, fwd->hashes[i]);
        }
    }
    fwd->n_fbatches = 0;
    for (size_t i = 0; i < n; i++) {
        bool words = words_map & (UINT32_C(1) << i);
        struct ft_dpcls_flow *flow = NULL;

        if (!fwd->valid[i]) {
            fwd->stats.n_invalid++;
            continue;
        }
        n_valid++;
        if (words) {
            flow = ft_emc_lookup_words(&fwd->emc, dpif_fast_idx,
                                       DPIF_FAST_WORDS, fwd->words[i],
                                       fwd->hashes[i]);
        } else if (use_emc) {
            flow = ft_emc_lookup(&fwd->emc, &fwd->keys[i],
                                 fwd->hashes[i]);
        }
        if (flow) {
            n_emc_hits++;
            dpif_flow_batch_add(fwd, flow, batch->packets[i]);
        } else {
            if (words) {
                dpif_key_from_words(&fwd->keys[i], fwd->words[i]);
            }
            miss_keys[n_miss] = &fwd->keys[i];
            miss_idx[n_miss++] = i;
        }
    }
    if (use_emc) {
        fwd->stats.n_hit_emc += n_emc_hits;
        dpif_emc_account(fwd, n_valid, n_emc_hits);
    } else {
        fwd->stats.n_emc_skipped += n_valid;
    }
    if (!n_miss) {
        return 0;
    }
    ft_dpcls_lookup_batch(&fwd->cls, miss_keys, n_miss, found);
    for (size_t m = 0; m < n_miss; m++) {
        size_t i = miss_idx[m];

        if (found[m]) {
            fwd->stats.n_hit_megaflow++;
            dpif_flow_batch_add(fwd, found[m], batch->packets[i]);
            if (use_emc && dpif_emc_insert_draw(fwd)) {
                ft_emc_insert(&fwd->emc, &fwd->keys[i], fwd->hashes[i],
                              found[m]);
            }
        } else {
            miss_map |= UINT32_C(1) << i;
        }
    }
    return miss_map;
}

/* Queues the 'n' packets 'pkts' on the port numbered 'port_no'
 * (FT_PORT_IN_PORT: their input port).  'last': this is their last
 * action, so a port may take their buffers. */
static void
dpif_output_batch(struct dpif_fwd *fwd, ft_port_no port_no,
                  struct ft_packet **pkts, size_t n, bool last)
{
    struct dpif_port *port;

    if (port_no == FT_PORT_IN_PORT) {
        port_no = pkts[0]->in_port;
    }
    fwd->xstats.n_outputs += n;
    fwd->xstats.n_actions += n;
    port = dpif_port_find(fwd->dp, port_no);
    if (!port) {
        fwd->stats.n_tx_no_port += n;
        return;
    }
    dpif_port_claim(fwd, port);
    if (!last) {
        ft_netdev_tx_n(port->netdev, pkts, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        pkts[i]->may_steal = true;
    }
    ft_netdev_tx_n(port->netdev, pkts, n);
    for (size_t i = 0; i < n; i++) {
        pkts[i]->may_steal = false;
    }
}

/* Runs the actions of the megaflow batch 'fb' on its packets, action by
 * action (each action on every packet before the next one), and credits
 * the megaflow. */
static void
dpif_execute_flow_batch(struct dpif_fwd *fwd, struct dpif_flow_batch *fb)
{
    const struct ft_dp_actions *actions = &fb->flow->actions;

    fwd->xstats.n_packets += fb->n;
    for (size_t a = 0; a < actions->n; a++) {
        const struct ft_dp_action *act = &actions->acts[a];

        if (act->type == FT_DPA_OUTPUT) {
            dpif_output_batch(fwd, act->port, fb->pkts, fb->n,
                              a + 1 == actions->n);
            continue;
        }
        ft_execute_action_n(fb->pkts, fb->n, act, &fwd->hooks,
                            &fwd->xstats);
    }
    ft_dpcls_flow_credit(fb->flow, fb->n, fb->bytes, fwd->now);
}

static void
dpif_process_batch(struct dpif_fwd *fwd, struct ft_packet_batch *batch,
                   ft_port_no port_no, bool tunnel)
{
    uint32_t miss_map = dpif_classify(fwd, batch, port_no, tunnel);

    for (size_t b = 0; b < fwd->n_fbatches; b++) {
        dpif_execute_flow_batch(fwd, &fwd->fbatches[b]);
    }
    if (miss_map) {
        fwd->n_slots = 0;
        while (miss_map) {
            size_t i = __builtin_ctz(miss_map);

            miss_map &= miss_map - 1;
            dpif_handle_miss(fwd, batch->packets[i], i);
        }
    }
    dpif_fwd_flush(fwd);
}

/* The vxlan port of endpoint 'dst_port' that fits the outer header 't'
 * best (swpath/tnl-config.h), or NULL. */
static struct dpif_port *
dpif_tunnel_port(const struct dpif_netdev *dp, uint16_t dst_port,
                 const struct ft_packet_tunnel *t)
{
    struct dpif_port *best = NULL;
    int best_score = 0;

    for (size_t i = 0; i < dp->n_ports; i++) {
        struct dpif_port *p = dp->ports[i];
        const struct ft_tnl_config *cfg;
        int score;

        if (!p->tunnel) {
            continue;
        }
        cfg = ft_netdev_vxlan_config(p->netdev);
        if (cfg->dst_port != dst_port) {
            continue;
        }
        score = ft_tnl_config_rx_score(cfg, t->src, t->dst, t->tun_id);
        if (score > best_score) {
            best = p;
            best_score = score;
        }
    }
    return best;
}

/* Gives each packet of 'batch', received by endpoint 'ep', to the vxlan
 * port that takes it, and processes them port by port, in arrival order
 * within each port. */
static void
dpif_tunnel_process(struct dpif_fwd *fwd, struct ft_vxlan_endpoint *ep,
                    struct ft_packet_batch *batch)
{
    uint16_t dst_port = ft_vxlan_endpoint_port(ep);
    struct dpif_port *owner[BATCH];
    bool done[BATCH];

    for (size_t i = 0; i < batch->count; i++) {
        owner[i] = dpif_tunnel_port(fwd->dp, dst_port,
                                    &batch->packets[i]->tunnel);
        done[i] = !owner[i];
        if (owner[i]) {
            ft_netdev_vxlan_count_rx(owner[i]->netdev,
                                     batch->packets[i]->size);
        } else {
            fwd->stats.n_tnl_no_port++;
        }
    }
    for (size_t i = 0; i < batch->count; i++) {
        struct ft_packet_batch sub;

        if (done[i]) {
            continue;
        }
        sub.count = 0;
        for (size_t j = i; j < batch->count; j++) {
            if (!done[j] && owner[j] == owner[i]) {
                done[j] = true;
                ft_packet_batch_add(&sub, batch->packets[j]);
            }
        }
        dpif_process_batch(fwd, &sub, owner[i]->port_no, true);
    }
}

/* Receives one burst from each of the 'n' VXLAN endpoints 'eps'.  Returns
 * the packets. */
static int
dpif_run_tunnels(struct dpif_fwd *fwd, struct ft_vxlan_endpoint *const eps[],
                 size_t n_ep)
{
    int total = 0;

    for (size_t e = 0; e < n_ep; e++) {
        struct ft_packet_batch batch;
        int n;

        batch.count = 0;
        n = ft_vxlan_endpoint_rx(eps[e], &batch);
        if (n < 0) {
            dpif_fwd_log(fwd, "vxlan UDP port %u: receive error: %s",
                         ft_vxlan_endpoint_port(eps[e]), strerror(-n));
        }
        if (batch.count) {
            dpif_tunnel_process(fwd, eps[e], &batch);
            total += batch.count;
        }
    }
    return total;
}

int
dpif_fwd_poll(struct dpif_fwd *fwd, struct dpif_port *const ports[],
              size_t n_ports, struct ft_vxlan_endpoint *const eps[],
              size_t n_ep, int budget, bool polled_only,
              long long int now_ms)
{
    int total = 0;

    if (budget <= 0) {
        return 0;
    }
    fwd->now = now_ms;
    for (;;) {
        int progress = 0;

        for (size_t i = 0; i < n_ports && total < budget; i++) {
            struct dpif_port *port = ports[i];
            struct ft_packet_batch batch;
            int n;

            if (polled_only && !port->polled) {
                continue;
            }
            batch.count = 0;
            n = ft_netdev_rx_burst(port->netdev, &batch);
            if (n < 0) {
                dpif_fwd_log(fwd, "port %s: receive error: %s",
                             port->netdev->name, strerror(-n));
            }
            if (batch.count) {
                dpif_process_batch(fwd, &batch, port->port_no, false);
                total += batch.count;
                progress += batch.count;
            }
        }
        if (!polled_only && total < budget) {
            int n = dpif_run_tunnels(fwd, eps, n_ep);

            total += n;
            progress += n;
        }
        if (!progress || total >= budget) {
            break;
        }
    }
    return total;
}

int
dpif_fwd_execute(struct dpif_fwd *fwd, struct ft_packet *pkt,
                 const struct ft_dp_actions *actions,
                 struct ft_dpcls_flow *flow)
{
    uint32_t size = pkt->size;
    int error;

    fwd->now = dpif_time_msec();
    error = ft_execute_actions(pkt, actions, &fwd->hooks, &fwd->xstats);
    if (flow) {
        ft_dpcls_flow_credit(flow, 1, size, fwd->now);
    }
    dpif_fwd_flush(fwd);
    return error;
}

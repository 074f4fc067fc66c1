/*
 * test-mac-learning.c - unit tests for the MAC learning table
 * (mgmt/ofproto/mac-learning.c): learning and lookup, VLAN separation, moves,
 * refresh, aging on a fake clock, the size limit, flush, stats and dump.
 * Also checks the table against a linear reference model under a long
 * random sequence of operations, small and large enough to grow and
 * shrink, and that its memory follows its population.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mgmt/ofproto/mac-learning.h"

#define SEC 1000LL      /* The table's clock is in milliseconds. */

static struct ft_eth_addr
mac(uint32_t n)
{
    struct ft_eth_addr ea = { { 0x02, 0x00, (uint8_t) (n >> 24),
                                (uint8_t) (n >> 16), (uint8_t) (n >> 8),
                                (uint8_t) n } };
    return ea;
}

static struct ft_mac_learning_stats
stats_of(const struct ft_mac_learning *ml)
{
    struct ft_mac_learning_stats s;

    ft_mac_learning_get_stats(ml, &s);
    return s;
}

static void
test_learn_lookup(void **state)
{
    struct ft_mac_learning *ml = ft_mac_learning_create(0, 0);

    assert_non_null(ml);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(1), 0, 0), FT_PORT_NONE);
    assert_true(ft_mac_learning_learn(ml, mac(1), 0, 1, 0));
    assert_true(ft_mac_learning_learn(ml, mac(2), 0, 2, 0));
    assert_int_equal(ft_mac_learning_lookup(ml, mac(1), 0, 10), 1);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(2), 0, 10), 2);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(3), 0, 10), FT_PORT_NONE);
    assert_int_equal(ft_mac_learning_count(ml), 2);
    ft_mac_learning_destroy(ml);
    ft_mac_learning_destroy(NULL);
}

static void
test_multicast_never_learned(void **state)
{
    struct ft_mac_learning *ml = ft_mac_learning_create(0, 0);
    struct ft_eth_addr mc = { { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } };
    struct ft_eth_addr bc = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

    assert_false(ft_mac_learning_learn(ml, mc, 0, 1, 0));
    assert_false(ft_mac_learning_learn(ml, bc, 0, 1, 0));
    assert_int_equal(ft_mac_learning_count(ml), 0);
    assert_int_equal(ft_mac_learning_lookup(ml, bc, 0, 0), FT_PORT_NONE);
    assert_int_equal(stats_of(ml).n_learned, 0);
    ft_mac_learning_destroy(ml);
}

static void
test_vlan_separation(void **state)
{
    struct ft_mac_learning *ml = ft_mac_learning_create(0, 0);

    assert_true(ft_mac_learning_learn(ml, mac(1), 10, 1, 0));
    assert_true(ft_mac_learning_learn(ml, mac(1), 20, 2, 0));
    assert_int_equal(ft_mac_learning_lookup(ml, mac(1), 10, 0), 1);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(1), 20, 0), 2);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(1), 0, 0), FT_PORT_NONE);
    assert_int_equal(ft_mac_learning_count(ml), 2);
    assert_int_equal(stats_of(ml).n_moved, 0);
    ft_mac_learning_destroy(ml);
}

static void
test_move_and_refresh(void **state)
{
    struct ft_mac_learning *ml = ft_mac_learning_create(0, 0);
    struct ft_mac_learning_stats s;

    assert_true(ft_mac_learning_learn(ml, mac(1), 0, 1, 0));
    /* Same port: refresh only. */
    assert_false(ft_mac_learning_learn(ml, mac(1), 0, 1, 5 * SEC));
    /* New port: move. */
    assert_true(ft_mac_learning_learn(ml, mac(1), 0, 3, 6 * SEC));
    assert_int_equal(ft_mac_learning_lookup(ml, mac(1), 0, 6 * SEC), 3);
    assert_int_equal(ft_mac_learning_count(ml), 1);

    s = stats_of(ml);
    assert_int_equal(s.n_learned, 1);
    assert_int_equal(s.n_moved, 1);

    /* A refresh restarts the idle clock: learned at 6 s, refreshed at
     * 250 s, still alive at 500 s. */
    assert_false(ft_mac_learning_learn(ml, mac(1), 0, 3, 250 * SEC));
    assert_int_equal(ft_mac_learning_lookup(ml, mac(1), 0, 500 * SEC), 3);
    assert_int_equal(ft_mac_learning_expire(ml, 500 * SEC), 0);
    ft_mac_learning_destroy(ml);
}

static void
test_aging_default(void **state)
{
    struct ft_mac_learning *ml = ft_mac_learning_create(0, 0);

    ft_mac_learning_learn(ml, mac(1), 0, 1, 1000 * SEC);
    ft_mac_learning_learn(ml, mac(2), 0, 2, 1100 * SEC);

    /* 300 s exactly: still there. */
    assert_int_equal(ft_mac_learning_lookup(ml, mac(1), 0, 1300 * SEC), 1);
    assert_int_equal(ft_mac_learning_expire(ml, 1300 * SEC), 0);
    /* Just past 300 s: aged, even before expire() runs. */
    assert_int_equal(ft_mac_learning_lookup(ml, mac(1), 0, 1300 * SEC + 1),
                     FT_PORT_NONE);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(2), 0, 1300 * SEC + 1),
                     2);
    assert_int_equal(ft_mac_learning_count(ml), 2);
    assert_int_equal(ft_mac_learning_expire(ml, 1300 * SEC + 1), 1);
    assert_int_equal(ft_mac_learning_count(ml), 1);
    assert_int_equal(ft_mac_learning_expire(ml, 1401 * SEC), 1);
    assert_int_equal(ft_mac_learning_count(ml), 0);
    assert_int_equal(stats_of(ml).n_expired, 2);
    ft_mac_learning_destroy(ml);
}

static void
test_aging_set_idle_time(void **state)
{
    struct ft_mac_learning *ml = ft_mac_learning_create(0, 60);

    ft_mac_learning_learn(ml, mac(1), 0, 1, 0);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(1), 0, 60 * SEC), 1);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(1), 0, 61 * SEC),
                     FT_PORT_NONE);

    /* Relearning an aged entry counts as an expiry plus a new entry. */
    assert_true(ft_mac_learning_learn(ml, mac(1), 0, 1, 61 * SEC));
    assert_int_equal(stats_of(ml).n_expired, 1);
    assert_int_equal(stats_of(ml).n_learned, 2);

    /* Changing the idle time applies to existing entries. */
    ft_mac_learning_set_idle_time(ml, 600);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(1), 0, 400 * SEC), 1);
    ft_mac_learning_set_idle_time(ml, 30);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(1), 0, 100 * SEC),
                     FT_PORT_NONE);

    /* Clamped to at least 15 s, as in OVS. */
    ft_mac_learning_set_idle_time(ml, 1);
    ft_mac_learning_learn(ml, mac(2), 0, 2, 1000 * SEC);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(2), 0, 1015 * SEC), 2);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(2), 0, 1016 * SEC),
                     FT_PORT_NONE);
    ft_mac_learning_destroy(ml);
}

static void
test_size_limit_evicts_oldest(void **state)
{
    struct ft_mac_learning *ml = ft_mac_learning_create(3, 0);

    ft_mac_learning_learn(ml, mac(1), 0, 1, 1 * SEC);
    ft_mac_learning_learn(ml, mac(2), 0, 1, 2 * SEC);
    ft_mac_learning_learn(ml, mac(3), 0, 1, 3 * SEC);
    /* Refresh mac 1: now mac 2 is the least recently learned. */
    ft_mac_learning_learn(ml, mac(1), 0, 1, 4 * SEC);
    assert_true(ft_mac_learning_learn(ml, mac(4), 0, 2, 5 * SEC));

    assert_int_equal(ft_mac_learning_count(ml), 3);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(2), 0, 5 * SEC),
                     FT_PORT_NONE);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(1), 0, 5 * SEC), 1);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(3), 0, 5 * SEC), 1);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(4), 0, 5 * SEC), 2);
    assert_int_equal(stats_of(ml).n_evicted, 1);

    /* Lowering the limit evicts at once, oldest first (mac 3, mac 1). */
    ft_mac_learning_set_max(ml, 1);
    assert_int_equal(ft_mac_learning_count(ml), 1);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(4), 0, 5 * SEC), 2);
    assert_int_equal(stats_of(ml).n_evicted, 3);

    /* Aged-out entries make room before anything live is evicted. */
    ft_mac_learning_set_max(ml, 2);
    ft_mac_learning_learn(ml, mac(5), 0, 1, 200 * SEC);
    ft_mac_learning_learn(ml, mac(6), 0, 1, 400 * SEC);   /* mac 4 aged. */
    assert_int_equal(stats_of(ml).n_evicted, 3);
    assert_int_equal(stats_of(ml).n_expired, 1);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(5), 0, 400 * SEC), 1);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(6), 0, 400 * SEC), 1);
    ft_mac_learning_destroy(ml);
}

static void
test_flush(void **state)
{
    struct ft_mac_learning *ml = ft_mac_learning_create(0, 0);

    for (uint32_t i = 0; i < 10; i++) {
        ft_mac_learning_learn(ml, mac(i), 0, i % 2 ? 1 : 2, 0);
    }
    ft_mac_learning_flush(ml, 1);
    assert_int_equal(ft_mac_learning_count(ml), 5);
    for (uint32_t i = 0; i < 10; i++) {
        assert_int_equal(ft_mac_learning_lookup(ml, mac(i), 0, 0),
                         i % 2 ? FT_PORT_NONE : 2);
    }
    ft_mac_learning_flush(ml, FT_PORT_NONE);
    assert_int_equal(ft_mac_learning_count(ml), 0);
    assert_int_equal(ft_mac_learning_lookup(ml, mac(0), 0, 0), FT_PORT_NONE);
    /* The table is still usable after a flush. */
    assert_true(ft_mac_learning_learn(ml, mac(0), 0, 7, 0));
    assert_int_equal(ft_mac_learning_lookup(ml, mac(0), 0, 0), 7);
    ft_mac_learning_destroy(ml);
}

struct dump_row {
    struct ft_eth_addr mac;
    uint16_t vlan;
    ft_port_no port;
    unsigned int age;
};

struct dump_rows {
    struct dump_row rows[8];
    size_t n;
};

static void
dump_cb(struct ft_eth_addr ea, uint16_t vlan, ft_port_no port,
        unsigned int age, void *aux)
{
    struct dump_rows *d = aux;

    assert_true(d->n < 8);
    d->rows[d->n].mac = ea;
    d->rows[d->n].vlan = vlan;
    d->rows[d->n].port = port;
    d->rows[d->n].age = age;
    d->n++;
}

static void
test_dump(void **state)
{
    struct ft_mac_learning *ml = ft_mac_learning_create(0, 0);
    struct dump_rows d = { .n = 0 };
    bool seen1 = false, seen2 = false;

    ft_mac_learning_learn(ml, mac(1), 10, 4, 0);
    ft_mac_learning_learn(ml, mac(2), 20, 5, 100 * SEC);
    ft_mac_learning_learn(ml, mac(3), 30, 6, 100 * SEC - 400 * SEC);

    /* At 250 s: mac 3 (learned at -300 s) is aged and not shown. */
    ft_mac_learning_dump(ml, 250 * SEC + 500, dump_cb, &d);
    assert_int_equal(d.n, 2);
    for (size_t i = 0; i < d.n; i++) {
        if (ft_eth_addr_equal(d.rows[i].mac, mac(1))) {
            assert_int_equal(d.rows[i].vlan, 10);
            assert_int_equal(d.rows[i].port, 4);
            assert_int_equal(d.rows[i].age, 250);
            seen1 = true;
        } else {
            assert_true(ft_eth_addr_equal(d.rows[i].mac, mac(2)));
            assert_int_equal(d.rows[i].vlan, 20);
            assert_int_equal(d.rows[i].port, 5);
            assert_int_equal(d.rows[i].age, 150);
            seen2 = true;
        }
    }
    assert_true(seen1 && seen2);
    ft_mac_learning_destroy(ml);
}

/* Reference model: a linear array with the same semantics. */
struct ref_entry {
    uint32_t mac;
    uint16_t vlan;
    ft_port_no port;
    long long int used;
    unsigned long long seq;     /* LRU order: larger is newer. */
};

struct ref_table {
    struct ref_entry *e;            /* 'max' entries. */
    size_t n, max;
    long long int idle_ms;
    unsigned long long seq;
};

static void
ref_remove(struct ref_table *r, size_t i)
{
    r->e[i] = r->e[--r->n];
}

static void
ref_expire(struct ref_table *r, long long int now)
{
    for (size_t i = 0; i < r->n;) {
        if (now - r->e[i].used > r->idle_ms) {
            ref_remove(r, i);
        } else {
            i++;
        }
    }
}

static bool
ref_learn(struct ref_table *r, uint32_t m, uint16_t vlan, ft_port_no port,
          long long int now)
{
    size_t oldest = 0;

    for (size_t i = 0; i < r->n; i++) {
        struct ref_entry *e = &r->e[i];

        if (e->mac == m && e->vlan == vlan) {
            if (now - e->used > r->idle_ms) {
                ref_remove(r, i);
                break;
            }
            bool moved = e->port != port;
            e->port = port;
            e->used = now;
            e->seq = ++r->seq;
            return moved;
        }
    }
    ref_expire(r, now);
    if (r->n >= r->max) {
        for (size_t i = 1; i < r->n; i++) {
            if (r->e[i].seq < r->e[oldest].seq) {
                oldest = i;
            }
        }
        ref_remove(r, oldest);
    }
    r->e[r->n++] = (struct ref_entry) { m, vlan, port, now, ++r->seq };
    return true;
}

static ft_port_no
ref_lookup(const struct ref_table *r, uint32_t m, uint16_t vlan,
           long long int now)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct ref_entry *e = &r->e[i];

        if (e->mac == m && e->vlan == vlan) {
            return now - e->used > r->idle_ms ? FT_PORT_NONE : e->port;
        }
    }
    return FT_PORT_NONE;
}

/* Runs 'steps' random operations on MACs 0..n_macs-1 against the
 * reference model; once in 'jump' steps the clock jumps past the idle
 * time, so that the table empties and fills again. */
static void
check_against_reference(size_t max, uint32_t n_macs, int steps, int jump)
{
    struct ft_mac_learning *ml = ft_mac_learning_create(max, 20);
    struct ref_table ref = { .n = 0, .max = max, .idle_ms = 20 * SEC };
    long long int now = 0;
    unsigned int seed = 12345;

    ref.e = calloc(max, sizeof *ref.e);
    assert_non_null(ref.e);
    for (int step = 0; step < steps; step++) {
        uint32_t m, op;
        uint16_t vlan;
        ft_port_no port;

        seed = seed * 1103515245 + 12345;
        op = (seed >> 16) % 100;
        m = (seed >> 3) % n_macs;
        vlan = (seed >> 4) % 3;
        port = 1 + (seed >> 20) % 4;
        now += (seed >> 24) % 200;
        if (jump && step % jump == jump - 1) {
            now += 21 * SEC;
        }

        if (op < 50) {
            assert_int_equal(ft_mac_learning_learn(ml, mac(m), vlan, port,
                                                   now),
                             ref_learn(&ref, m, vlan, port, now));
        } else if (op < 98) {
            assert_int_equal(ft_mac_learning_lookup(ml, mac(m), vlan, now),
                             ref_lookup(&ref, m, vlan, now));
        } else {
            ft_mac_learning_expire(ml, now);
            ref_expire(&ref, now);
            assert_int_equal(ft_mac_learning_count(ml), ref.n);
        }
        assert_true(ft_mac_learning_count(ml) <= max);
    }
    free(ref.e);
    ft_mac_learning_destroy(ml);
}

static void
test_against_reference(void **state)
{
    (void) state;
    check_against_reference(40, 97, 20000, 0);
}

/* Large enough for the arrays to grow and shrink many times over, with
 * entries moved into freed slots all along. */
static void
test_against_reference_grow_shrink(void **state)
{
    (void) state;
    check_against_reference(3000, 9000, 40000, 5000);
}

/* The table's memory follows its population: it grows for a flood and
 * shrinks once the entries are gone, with hysteresis. */
static void
test_capacity_follows_count(void **state)
{
    struct ft_mac_learning *ml = ft_mac_learning_create(8192, 15);
    size_t small, cap;

    (void) state;
    small = ft_mac_learning_capacity(ml);
    for (uint32_t i = 0; i < 5000; i++) {
        ft_mac_learning_learn(ml, mac(i), 0, 1, 0);
    }
    assert_true(ft_mac_learning_capacity(ml) >= 5000);
    assert_true(ft_mac_learning_capacity(ml) <= 2 * 5000);
    for (uint32_t i = 0; i < 10; i++) {
        ft_mac_learning_learn(ml, mac(100000 + i), 0, 2, 14 * SEC);
    }
    /* The flood ages out; the 10 learned later stay, and so do their
     * ports. */
    assert_int_equal(ft_mac_learning_expire(ml, 16 * SEC), 5000);
    assert_int_equal(ft_mac_learning_count(ml), 10);
    assert_int_equal(ft_mac_learning_capacity(ml), small);
    for (uint32_t i = 0; i < 10; i++) {
        assert_int_equal(ft_mac_learning_lookup(ml, mac(100000 + i), 0,
                                                16 * SEC), 2);
    }
    assert_int_equal(ft_mac_learning_lookup(ml, mac(7), 0, 16 * SEC),
                     FT_PORT_NONE);

    ft_mac_learning_destroy(ml);

    /* Just past a doubling, a removal and a new entry in turn do not
     * resize the table each time. */
    ml = ft_mac_learning_create(1000, 15);
    for (uint32_t i = 0; i < 1000; i++) {
        ft_mac_learning_learn(ml, mac(i), 0, 1, 0);
        if (ft_mac_learning_capacity(ml) < ft_mac_learning_count(ml) + 1) {
            break;
        }
    }
    cap = ft_mac_learning_count(ml);
    assert_int_equal(ft_mac_learning_capacity(ml), cap);
    ft_mac_learning_learn(ml, mac(5000), 0, 1, 0);
    assert_int_equal(ft_mac_learning_capacity(ml), 2 * cap);
    for (uint32_t i = 0; i < 50; i++) {
        ft_mac_learning_set_max(ml, cap);
        assert_int_equal(ft_mac_learning_capacity(ml), 2 * cap);
        ft_mac_learning_set_max(ml, cap + 1);
        ft_mac_learning_learn(ml, mac(6000 + i), 0, 1, 0);
        assert_int_equal(ft_mac_learning_count(ml), cap + 1);
        assert_int_equal(ft_mac_learning_capacity(ml), 2 * cap);
    }
    ft_mac_learning_destroy(ml);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learn_lookup),
        cmocka_unit_test(test_multicast_never_learned),
        cmocka_unit_test(test_vlan_separation),
        cmocka_unit_test(test_move_and_refresh),
        cmocka_unit_test(test_aging_default),
        cmocka_unit_test(test_aging_set_idle_time),
        cmocka_unit_test(test_size_limit_evicts_oldest),
        cmocka_unit_test(test_flush),
        cmocka_unit_test(test_dump),
        cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_against_reference_grow_shrink),
        cmocka_unit_test(test_capacity_follows_count),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test-spsc-ring.c - tests of the single-producer, single-consumer ring
 * (swpath/spsc-ring.h) the forwarding threads and the daemon talk through:
 * sizes refused, order kept, full and empty seen, and two threads moving
 * a million elements with none lost, repeated or reordered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "swpath/spsc-ring.h"

struct elem {
    uint64_t seq;
    uint64_t check;         /* ~seq: a torn copy would not match. */
    char pad[40];
};

static void
test_bad_sizes(void **state)
{
    struct ft_spsc_ring ring;

    (void) state;
    assert_int_equal(ft_spsc_ring_init(&ring, 0, 8), -EINVAL);
    assert_int_equal(ft_spsc_ring_init(&ring, 1, 8), -EINVAL);
    assert_int_equal(ft_spsc_ring_init(&ring, 12, 8), -EINVAL);
    assert_int_equal(ft_spsc_ring_init(&ring, 16, 0), -EINVAL);
    assert_int_equal(ft_spsc_ring_init(&ring, 1u << 25, 8), -EINVAL);
}

static void
test_order_full_empty(void **state)
{
    struct ft_spsc_ring ring;
    struct elem e;

    (void) state;
    assert_int_equal(ft_spsc_ring_init(&ring, 8, sizeof e), 0);
    assert_int_equal(ft_spsc_ring_capacity(&ring), 7);
    assert_false(ft_spsc_ring_pop(&ring, &e));
    /* Wraps around several times. */
    for (uint64_t round = 0; round < 5; round++) {
        for (uint64_t i = 0; i < 7; i++) {
            e.seq = round * 100 + i;
            assert_true(ft_spsc_ring_push(&ring, &e));
        }
        e.seq = 999;
        assert_false(ft_spsc_ring_push(&ring, &e));
        assert_int_equal(ft_spsc_ring_count(&ring), 7);
        for (uint64_t i = 0; i < 7; i++) {
            assert_true(ft_spsc_ring_pop(&ring, &e));
            assert_int_equal(e.seq, round * 100 + i);
        }
        assert_false(ft_spsc_ring_pop(&ring, &e));
        assert_int_equal(ft_spsc_ring_count(&ring), 0);
    }
    ft_spsc_ring_uninit(&ring);
}

#define N_ELEMS 1000000

static void *
producer(void *ring_)
{
    struct ft_spsc_ring *ring = ring_;
    struct elem e;

    memset(&e, 0, sizeof e);
    for (uint64_t i = 0; i < N_ELEMS; i++) {
        e.seq = i;
        e.check = ~i;
        while (!ft_spsc_ring_push(ring, &e)) {
            sched_yield();
        }
    }
    return NULL;
}

static void
test_two_threads(void **state)
{
    struct ft_spsc_ring ring;
    pthread_t thread;
    uint64_t next = 0;
    struct elem e;

    (void) state;
    assert_int_equal(ft_spsc_ring_init(&ring, 64, sizeof e), 0);
    assert_int_equal(pthread_create(&thread, NULL, producer, &ring), 0);
    while (next < N_ELEMS) {
        if (!ft_spsc_ring_pop(&ring, &e)) {
            sched_yield();
            continue;
        }
        if (e.seq != next || e.check != ~next) {
            fail_msg("element %llu arrived as %llu (check %llx)",
                     (unsigned long long) next,
                     (unsigned long long) e.seq,
                     (unsigned long long) e.check);
        }
        next++;
    }
    pthread_join(thread, NULL);
    assert_false(ft_spsc_ring_pop(&ring, &e));
    ft_spsc_ring_uninit(&ring);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_sizes),
        cmocka_unit_test(test_order_full_empty),
        cmocka_unit_test(test_two_threads),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test-dpdk-representor.c - unit tests of the reader of the devargs'
 * 'representor=' (swpath/dpdk-representor.c): every form DPDK 22.11
 * accepts, read into the ports it names, and the refusals of what DPDK
 * would refuse, each with the reason a user sees.  No DPDK call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <errno.h>

#include <cmocka.h>

#include "swpath/dpdk-representor.h"

/* Reads 'devargs' and checks its type, count and the name of its first
 * port. */
static void
expect(const char *devargs, enum ft_dpdk_rep_type type, size_t count,
       const char *first)
{
    struct ft_dpdk_representors reps;
    struct ft_error err;
    char name[32];

    ft_error_clear(&err);
    if (ft_dpdk_representor_parse("d1", devargs, &reps, &err)) {
        fail_msg("%s refused: %s", devargs, err.reason);
    }
    assert_int_equal(reps.type, type);
    assert_int_equal(ft_dpdk_representor_count(&reps), count);
    ft_dpdk_representor_format(&reps, name, sizeof name);
    assert_string_equal(name, first);
}

static void
test_forms(void **state)
{
    struct ft_dpdk_representors reps;
    struct ft_error err;

    (void) state;
    expect("net_null0", FT_DPDK_REP_NONE, 0, "");
    expect("0000:08:00.0", FT_DPDK_REP_NONE, 0, "");
    expect("0000:08:00.0,representor=vf1", FT_DPDK_REP_VF, 1, "vf1");
    expect("0000:08:00.0,representor=3", FT_DPDK_REP_VF, 1, "vf3");
    expect("0000:08:00.0,representor=pf0vf3", FT_DPDK_REP_VF, 1, "pf0vf3");
    expect("0000:08:00.0,representor=pf1", FT_DPDK_REP_PF, 1, "pf1");
    expect("0000:08:00.0,representor=sf2", FT_DPDK_REP_SF, 1, "sf2");
    expect("0000:08:00.0,representor=c1pf0sf2", FT_DPDK_REP_SF, 1,
           "c1pf0sf2");
    expect("0000:08:00.0,representor=vf[0-3]", FT_DPDK_REP_VF, 4, "vf0");
    expect("0000:08:00.0,representor=[0,2]", FT_DPDK_REP_VF, 2, "vf0");
    expect("0000:08:00.0,representor=[0,2],dv_flow_en=1", FT_DPDK_REP_VF, 2,
           "vf0");
    expect("0000:08:00.0,dv_flow_en=1,representor=pf[0,1]vf[1,4-6]",
           FT_DPDK_REP_VF, 8, "pf0vf1");
    expect("0000:08:00.0,representor=2-5", FT_DPDK_REP_VF, 4, "vf2");

    /* The lists, number by number. */
    assert_int_equal(ft_dpdk_representor_parse(
        "d1", "0000:08:00.0,representor=pf1vf[0,2-3,9]", &reps, &err), 0);
    assert_int_equal(reps.n_pfs, 1);
    assert_int_equal(reps.pfs[0], 1);
    assert_int_equal(reps.n_ids, 4);
    assert_int_equal(reps.ids[0], 0);
    assert_int_equal(reps.ids[1], 2);
    assert_int_equal(reps.ids[2], 3);
    assert_int_equal(reps.ids[3], 9);
    assert_int_equal(reps.n_controllers, 0);
}

static void
expect_refusal(const char *devargs, const char *reason)
{
    struct ft_dpdk_representors reps;
    struct ft_error err;

    ft_error_clear(&err);
    assert_int_equal(ft_dpdk_representor_parse("d1", devargs, &reps, &err),
                     -EINVAL);
    assert_int_equal(err.code, -EINVAL);
    if (!strstr(err.reason, reason)) {
        fail_msg("%s: expected '%s' in '%s'", devargs, reason, err.reason);
    }
    assert_int_equal(reps.type, FT_DPDK_REP_NONE);
}

static void
test_refusals(void **state)
{
    (void) state;
    expect_refusal("0000:08:00.0,representor=",
                   "interface d1: options:dpdk-devargs: representor=: the "
                   "value is empty (DPDK's syntax: vf1, vf[0-3], [0,2], "
                   "pf0vf3, pf0sf[1,2], c1pf0vf3, pf1)");
    expect_refusal("0000:08:00.0,representor=vf[3-1]",
                   "representor=vf[3-1]: the range 3-1 goes down");
    expect_refusal("0000:08:00.0,representor=vf70000",
                   "representor=vf70000: a number is larger than 65535");
    expect_refusal("0000:08:00.0,representor=vfx",
                   "representor=vfx: expected a number at 'x'");
    expect_refusal("0000:08:00.0,representor=vf",
                   "representor=vf: expected a number at the end");
    expect_refusal("0000:08:00.0,representor=vf[1,2",
                   "representor=vf[1,2: a list in [ ] must be numbers and "
                   "ranges separated by ',' and end with ']'");
    expect_refusal("0000:08:00.0,representor=vf[1,1]",
                   "representor=vf[1,1]: 1 is named twice");
    expect_refusal("0000:08:00.0,representor=c1vf2",
                   "representor=c1vf2: a controller (c<N>) must be followed "
                   "by pf<N>");
    expect_refusal("0000:08:00.0,representor=pf0xf1",
                   "representor=pf0xf1: pf<N> must be followed by vf<N>, "
                   "sf<N> or nothing");
    expect_refusal("0000:08:00.0,representor=vf1x",
                   "representor=vf1x: unexpected 'x' after the list");
    expect_refusal("0000:08:00.0,representor=vf[0-99]",
                   "representor=vf[0-99]: more than 64 numbers in a list");
    expect_refusal("0000:08:00.0,representor=vf1,representor=vf2",
                   "interface d1: options:dpdk-devargs names representor= "
                   "twice");
    expect_refusal(",representor=vf1",
                   "representor= needs the device (the PF's PCI address) "
                   "before it");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_refusals),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

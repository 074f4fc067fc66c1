/*
 * fuzz-flow-syntax.c - libFuzzer target for the ovs-ofctl flow syntax
 * (mgmt/flowsyntax/: field.c, ofp-parse*.c, ofp-print.c).  The first byte
 * picks what the rest (text) is parsed as: a whole flow line for one of
 * the five commands (add, modify, modify strict, delete, delete strict), a
 * match alone (as 'trace' takes it) or an action list alone.  Whatever
 * parses must print, and the printed text must parse again to the same
 * thing and print the same way (parse -> print -> parse is a fixed point);
 * any difference aborts with both texts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/ds.h"
#include "flowtier/flow.h"
#include "mgmt/flowsyntax/ofp-flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what, const char *in, const char *printed)
{
    if (!ok) {
        fprintf(stderr, "fuzz-flow-syntax: %s\n  input:   %s\n"
                "  printed: %s\n", what, in, printed);
        abort();
    }
}

static bool
spec_equal(const struct ft_flow_spec *a, const struct ft_flow_spec *b)
{
    return a->table_id == b->table_id && a->priority == b->priority
           && a->cookie == b->cookie && a->cookie_mask == b->cookie_mask
           && a->idle_timeout == b->idle_timeout
           && a->hard_timeout == b->hard_timeout
           && ft_match_equal(&a->match, &b->match)
           && ft_ofpacts_equal(&a->actions, &b->actions);
}

/* A flow line for 'cmd'; an added flow must round-trip. */
static void
fuzz_line(const char *text, enum ft_flow_cmd cmd,
          const struct ft_port_map *ports)
{
    struct ft_flow_spec s1, s2;
    struct ds p1 = DS_EMPTY_INITIALIZER, p2 = DS_EMPTY_INITIALIZER;
    struct ft_error err;

    ft_flow_spec_init(&s1);
    ft_flow_spec_init(&s2);
    if (!ft_flow_spec_parse(text, cmd, ports, &s1, &err)) {
        ft_flow_spec_format(&s1, ports, &p1);
        if (cmd == FT_FLOW_ADD) {
            int error = ft_flow_spec_parse(ds_cstr(&p1), cmd, ports, &s2,
                                           &err);

            check(!error, "the printed flow does not parse", text,
                  ds_cstr(&p1));
            check(spec_equal(&s1, &s2), "the printed flow parses to "
                  "another flow", text, ds_cstr(&p1));
            ft_flow_spec_format(&s2, ports, &p2);
            check(!strcmp(ds_cstr(&p1), ds_cstr(&p2)), "printing is not "
                  "stable", text, ds_cstr(&p2));
        }
    } else {
        check(err.reason[0] != '\0', "a refusal without a reason", text, "");
    }
    ft_flow_spec_uninit(&s1);
    ft_flow_spec_uninit(&s2);
    ds_destroy(&p1);
    ds_destroy(&p2);
}

static void
fuzz_match(const char *text, const struct ft_port_map *ports)
{
    struct ds p1 = DS_EMPTY_INITIALIZER, p2 = DS_EMPTY_INITIALIZER;
    struct ft_match m1, m2;
    struct ft_error err;

    if (!ft_match_parse(text, ports, &m1, &err)) {
        ft_match_format(&m1, -1, ports, &p1);
        check(!ft_match_parse(ds_cstr(&p1), ports, &m2, &err),
              "the printed match does not parse", text, ds_cstr(&p1));
        check(ft_match_equal(&m1, &m2), "the printed match parses to "
              "another match", text, ds_cstr(&p1));
        ft_match_format(&m2, -1, ports, &p2);
        check(!strcmp(ds_cstr(&p1), ds_cstr(&p2)), "printing is not stable",
              text, ds_cstr(&p2));
    }
    ds_destroy(&p1);
    ds_destroy(&p2);
}

static void
fuzz_actions(const char *text, const struct ft_port_map *ports)
{
    struct ds p1 = DS_EMPTY_INITIALIZER, p2 = DS_EMPTY_INITIALIZER;
    struct ft_ofpacts a1, a2;
    struct ft_error err;

    ft_ofpacts_init(&a1);
    ft_ofpacts_init(&a2);
    if (!ft_ofpacts_parse(text, ports, &a1, &err)) {
        ft_ofpacts_format(&a1, ports, &p1);
        check(!ft_ofpacts_parse(ds_cstr(&p1), ports, &a2, &err),
              "the printed actions do not parse", text, ds_cstr(&p1));
        check(ft_ofpacts_equal(&a1, &a2), "the printed actions parse to "
              "other actions", text, ds_cstr(&p1));
        ft_ofpacts_format(&a2, ports, &p2);
        check(!strcmp(ds_cstr(&p1), ds_cstr(&p2)), "printing is not stable",
              text, ds_cstr(&p2));
    }
    ft_ofpacts_uninit(&a1);
    ft_ofpacts_uninit(&a2);
    ds_destroy(&p1);
    ds_destroy(&p2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ft_port_map ports;
    char *text;

    if (size < 1 || size > 4096) {
        return 0;
    }
    text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';

    /* The names the unit tests use, so names print and parse back. */
    ft_port_map_init(&ports);
    ft_port_map_add(&ports, "vnet0", 7);
    ft_port_map_add(&ports, "p-1.x", 12);
    switch (data[0] % 7) {
    case 5:
        fuzz_match(text, &ports);
        break;
    case 6:
        fuzz_actions(text, &ports);
        break;
    default:
        fuzz_line(text, (enum ft_flow_cmd) (data[0] % 7), &ports);
        break;
    }
    ft_port_map_destroy(&ports);
    free(text);
    return 0;
}

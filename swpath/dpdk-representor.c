/*
 * dpdk-representor.c - reads and checks the 'representor=' argument of a
 * DPDK device's devargs (see dpdk-representor.h for the syntax).
 *
 * Part of swpath's DPDK port class (netdev-dpdk.c uses it before it asks
 * DPDK to probe a device), but pure string work: it calls no DPDK
 * function and touches nothing but its arguments.  The grammar is a table
 * of prefixes, each with the list it reads and what may follow it.
 */
#include "dpdk-representor.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define KEY "representor="

/* A list being read: where it goes, how much room it has. */
struct rep_list {
    uint16_t *ids;
    size_t *n;
    size_t max;
};

/* Parsing state, for the reasons. */
struct rep_parser {
    const char *name;           /* The interface's. */
    const char *value;          /* All of representor='s value. */
    const char *p;              /* The next character to read. */
    struct ft_error *err;
};

static int
rep_fail(struct rep_parser *rp, const char *what)
{
    return ft_error_set(rp->err, -EINVAL, "interface %s: options:dpdk-"
                        "devargs: representor=%s: %s (DPDK's syntax: vf1, "
                        "vf[0-3], [0,2], pf0vf3, pf0sf[1,2], c1pf0vf3, pf1)",
                        rp->name, rp->value, what);
}

/* Reads a decimal number up to 65535 into '*v'. */
static int
rep_number(struct rep_parser *rp, unsigned long *v)
{
    char what[64];

    if (*rp->p < '0' || *rp->p > '9') {
        snprintf(what, sizeof what, *rp->p ? "expected a number at '%.8s'"
                 : "expected a number at the end", rp->p);
        return rep_fail(rp, what);
    }
    *v = 0;
    while (*rp->p >= '0' && *rp->p <= '9') {
        *v = *v * 10 + (unsigned long) (*rp->p++ - '0');
        if (*v > UINT16_MAX) {
            return rep_fail(rp, "a number is larger than 65535");
        }
    }
    return 0;
}

/* Reads "N" or "N-M" and appends the numbers to 'l'. */
static int
rep_range(struct rep_parser *rp, struct rep_list *l)
{
    unsigned long lo, hi;
    char what[64];
    int error;

    error = rep_number(rp, &lo);
    hi = lo;
    if (!error && *rp->p == '-') {
        rp->p++;
        error = rep_number(rp, &hi);
        if (!error && hi < lo) {
            snprintf(what, sizeof what, "the range %lu-%lu goes down", lo,
                     hi);
            return rep_fail(rp, what);
        }
    }
    for (unsigned long v = lo; !error && v <= hi; v++) {
        if (*l->n >= l->max) {
            snprintf(what, sizeof what, "more than %zu numbers in a list",
                     l->max);
            return rep_fail(rp, what);
        }
        for (size_t i = 0; i < *l->n; i++) {
            if (l->ids[i] == v) {
                snprintf(what, sizeof what, "%lu is named twice", v);
                return rep_fail(rp, what);
            }
        }
        l->ids[(*l->n)++] = (uint16_t) v;
    }
    return error;
}

/* Reads a list: a range, or "[" ranges separated by "," "]". */
static int
rep_list(struct rep_parser *rp, struct rep_list *l)
{
    int error;

    if (*rp->p != '[') {
        return rep_range(rp, l);
    }
    rp->p++;
    for (;;) {
        error = rep_range(rp, l);
        if (error) {
            return error;
        }
        if (*rp->p == ']') {
            rp->p++;
            return 0;
        }
        if (*rp->p != ',') {
            return rep_fail(rp, "a list in [ ] must be numbers and ranges "
                            "separated by ',' and end with ']'");
        }
        rp->p++;
    }
}

/* The prefixes, in the order they may come. */
enum rep_prefix { P_CTRL, P_PF, P_VF, P_SF, P_BARE };

static const struct {
    const char *word;
    enum ft_dpdk_rep_type type;
} prefixes[] = {
    [P_CTRL] = { "c", FT_DPDK_REP_NONE },
    [P_PF] = { "pf", FT_DPDK_REP_PF },
    [P_VF] = { "vf", FT_DPDK_REP_VF },
    [P_SF] = { "sf", FT_DPDK_REP_SF },
    [P_BARE] = { "", FT_DPDK_REP_VF },
};

static bool
rep_take(struct rep_parser *rp, enum rep_prefix pre)
{
    size_t n = strlen(prefixes[pre].word);

    if (strncmp(rp->p, prefixes[pre].word, n)) {
        return false;
    }
    rp->p += n;
    return true;
}

/* Parses 'rp->value' into 'reps'. */
static int
rep_value(struct rep_parser *rp, struct ft_dpdk_representors *reps)
{
    struct rep_list ctrls = { reps->controllers, &reps->n_controllers,
                              FT_DPDK_REP_MAX_CTRLS };
    struct rep_list pfs = { reps->pfs, &reps->n_pfs, FT_DPDK_REP_MAX_IDS };
    struct rep_list ids = { reps->ids, &reps->n_ids, FT_DPDK_REP_MAX_IDS };
    int error = 0;

    if (!*rp->p) {
        return rep_fail(rp, "the value is empty");
    }
    if (rep_take(rp, P_CTRL) && (error = rep_list(rp, &ctrls))) {
        return error;
    }
    if (rep_take(rp, P_PF)) {
        reps->type = FT_DPDK_REP_PF;
        error = rep_list(rp, &pfs);
        if (error || !*rp->p) {
            return error;
        }
    } else if (reps->n_controllers) {
        return rep_fail(rp, "a controller (c<N>) must be followed by "
                        "pf<N>");
    }
    if (rep_take(rp, P_VF)) {
        reps->type = prefixes[P_VF].type;
    } else if (rep_take(rp, P_SF)) {
        reps->type = prefixes[P_SF].type;
    } else if (reps->type == FT_DPDK_REP_PF) {
        return rep_fail(rp, "pf<N> must be followed by vf<N>, sf<N> or "
                        "nothing");
    } else {
        reps->type = prefixes[P_BARE].type;
    }
    error = rep_list(rp, &ids);
    if (!error && *rp->p) {
        char what[64];

        snprintf(what, sizeof what, "unexpected '%.8s' after the list",
                 rp->p);
        return rep_fail(rp, what);
    }
    return error;
}

/* Finds the value of the 'representor=' argument of 'devargs', copied
 * into 'buf', skipping commas inside brackets.  Returns 1 if found, 0 if
 * not, or -EINVAL if it is there twice. */
static int
rep_find(const char *devargs, char *buf, size_t size)
{
    const char *p = strchr(devargs, ',');
    int found = 0;

    while (p) {
        const char *arg = p + 1, *end = arg;
        int depth = 0;

        for (; *end && (depth || *end != ','); end++) {
            depth += *end == '[' ? 1 : *end == ']' ? -1 : 0;
        }
        if (!strncmp(arg, KEY, strlen(KEY))) {
            size_t n = (size_t) (end - arg) - strlen(KEY);

            if (found++) {
                return -EINVAL;
            }
            n = n < size - 1 ? n : size - 1;
            memcpy(buf, arg + strlen(KEY), n);
            buf[n] = '\0';
        }
        p = *end ? end : NULL;
    }
    return found;
}

int
ft_dpdk_representor_parse(const char *name, const char *devargs,
                          struct ft_dpdk_representors *reps,
                          struct ft_error *err)
{
    char value[256];
    struct rep_parser rp = { name, value, value, err };
    int found;

    memset(reps, 0, sizeof *reps);
    found = rep_find(devargs, value, sizeof value);
    if (found < 0) {
        return ft_error_set(err, -EINVAL, "interface %s: options:dpdk-"
                            "devargs names representor= twice (DPDK reads "
                            "one: put every representor in one list, or "
                            "give each its own Interface row)", name);
    }
    if (!found) {
        return 0;
    }
    if (devargs[0] == ',') {
        return ft_error_set(err, -EINVAL, "interface %s: options:dpdk-"
                            "devargs: representor= needs the device (the "
                            "PF's PCI address) before it, as in "
                            "0000:08:00.0,representor=vf1", name);
    }
    if (rep_value(&rp, reps)) {
        memset(reps, 0, sizeof *reps);
        return -EINVAL;
    }
    return 0;
}

size_t
ft_dpdk_representor_count(const struct ft_dpdk_representors *reps)
{
    size_t n_ctrls = reps->n_controllers ? reps->n_controllers : 1;
    size_t n_pfs = reps->n_pfs ? reps->n_pfs : 1;

    if (reps->type == FT_DPDK_REP_NONE) {
        return 0;
    }
    return n_ctrls * n_pfs * (reps->type == FT_DPDK_REP_PF ? 1
                              : reps->n_ids);
}

void
ft_dpdk_representor_format(const struct ft_dpdk_representors *reps,
                           char *buf, size_t size)
{
    int n = 0;

    buf[0] = '\0';
    if (reps->n_controllers && n >= 0 && (size_t) n < size) {
        n += snprintf(buf + n, size - n, "c%u", reps->controllers[0]);
    }
    if (reps->n_pfs && n >= 0 && (size_t) n < size) {
        n += snprintf(buf + n, size - n, "pf%u", reps->pfs[0]);
    }
    if (reps->type != FT_DPDK_REP_PF && reps->n_ids && n >= 0
        && (size_t) n < size) {
        snprintf(buf + n, size - n, "%s%u",
                 reps->type == FT_DPDK_REP_SF ? "sf" : "vf", reps->ids[0]);
    }
}

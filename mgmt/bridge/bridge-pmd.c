/*
 * bridge-pmd.c - a bridge's forwarding threads: other_config:pmd-cpu-mask
 * (Open vSwitch's key and syntax) checked and handed to the datapath, and
 * what each thread does, for dpif-show.
 *
 * Part of the management plane's running bridge (mgmt/bridge/); talks to
 * the datapath through swpath/dpif.h only.
 */
#define _GNU_SOURCE 1
#include "mgmt/bridge/bridge-private.h"

#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/sysinfo.h>

/* Parses the hexadecimal CPU mask 'value' ("0x3", "3", "0X0c"; Open
 * vSwitch's syntax) into the ascending CPU numbers 'cpus' (room for
 * FT_DPIF_PMD_MAX) and '*n'.  Every CPU must be on this machine.  Returns
 * 0 or -EINVAL with 'err' naming what is wrong. */
int
ft_bridge_pmd_mask_parse(const char *value, int cpus[], size_t *n,
                         struct ft_error *err)
{
    const char *digits = value;
    int n_conf = get_nprocs_conf();
    size_t len;

    *n = 0;
    if (!strncmp(digits, "0x", 2) || !strncmp(digits, "0X", 2)) {
        digits += 2;
    }
    len = strlen(digits);
    if (!len) {
        return ft_error_set(err, -EINVAL, "other_config:pmd-cpu-mask: '%s' "
                            "is not a hexadecimal CPU mask (e.g. 0x3 for "
                            "CPUs 0 and 1)", value);
    }
    /* From the last digit (CPUs 0-3) to the first. */
    for (size_t i = 0; i < len; i++) {
        char c = digits[len - 1 - i];
        int nibble;

        if (!isxdigit((unsigned char) c)) {
            return ft_error_set(err, -EINVAL, "other_config:pmd-cpu-mask: "
                                "'%s' is not a hexadecimal CPU mask (e.g. "
                                "0x3 for CPUs 0 and 1)", value);
        }
        nibble = isdigit((unsigned char) c) ? c - '0'
                 : tolower((unsigned char) c) - 'a' + 10;
        for (int b = 0; b < 4; b++) {
            int cpu = (int) i * 4 + b;

            if (!(nibble & (1 << b))) {
                continue;
            }
            if (cpu >= n_conf || cpu >= CPU_SETSIZE) {
                return ft_error_set(err, -EINVAL, "other_config:pmd-cpu-"
                                    "mask: '%s' selects CPU %d, but this "
                                    "machine has CPUs 0 to %d", value, cpu,
                                    n_conf - 1);
            }
            if (*n >= FT_DPIF_PMD_MAX) {
                return ft_error_set(err, -EINVAL, "other_config:pmd-cpu-"
                                    "mask: '%s' selects more than %d CPUs",
                                    value, FT_DPIF_PMD_MAX);
            }
            cpus[(*n)++] = cpu;
        }
    }
    if (!*n) {
        return ft_error_set(err, -EINVAL, "other_config:pmd-cpu-mask: '%s' "
                            "selects no CPU (remove the key to forward in "
                            "the daemon's thread)", value);
    }
    return 0;
}

void
ft_bridge_pmd_apply(struct ft_bridge *br, const int cpus[], size_t n)
{
    struct ft_error err;
    int error;

    if (n == br->n_pmd_cpus
        && !memcmp(cpus, br->pmd_cpus, n * sizeof *cpus)) {
        return;
    }
    ft_error_clear(&err);
    error = ft_dpif_set_pmd_cpus(br->dpif, cpus, n, &err);
    if (error) {
        ft_bridge_warn(br, NULL, "%s", err.reason);
        n = 0;
    }
    memcpy(br->pmd_cpus, cpus, n * sizeof *cpus);
    br->n_pmd_cpus = n;
}

int
ft_bridge_pmd_foreach(const struct ft_bridge *br,
                      int (*cb)(const struct ft_dpif_pmd_info *, void *),
                      void *aux)
{
    return ft_dpif_pmd_foreach(br->dpif, cb, aux);
}

/*
 * dpdk-eal.c - starts DPDK's EAL once per process (swpath/dpdk-eal.h) and
 * captures DPDK's error messages as reasons.
 *
 * The EAL is process-wide state inside DPDK itself, so the record of how
 * it was started is process-wide too: 'eal' below is the one file-scope
 * variable of the software datapath, guarded by its mutex.  It holds the
 * argument strings for the life of the process, because the EAL may keep
 * pointers into its argv.
 */
#include "dpdk-eal.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_errno.h>
#include <rte_log.h>

#define EAL_MAX_ARGS 64         /* Including the program name and "-l N". */
#define EAL_ARGS_SIZE 4096

enum eal_state {
    EAL_NOT_STARTED,
    EAL_RUNNING,
    EAL_FAILED,
};

static struct {
    pthread_mutex_t mutex;
    enum eal_state state;           /* Written under 'mutex'; read with
                                     * atomic loads (a thread starting
                                     * the EAL holds 'mutex' for a second
                                     * or more). */
    pthread_mutex_t control;        /* ft_dpdk_control_lock(). */
    char args[EAL_ARGS_SIZE];       /* As given, one space between. */
    struct ft_error failure;        /* Why the start failed (EAL_FAILED). */

    /* What rte_eal_init() was given; kept for the process's life. */
    char strings[EAL_ARGS_SIZE + 64];
    char *argv[EAL_MAX_ARGS + 1];
} eal = {
    .mutex = PTHREAD_MUTEX_INITIALIZER,
    .control = PTHREAD_MUTEX_INITIALIZER,
};

/* Splits 'args' at white space into 'out' (one space between arguments,
 * 'size' bytes).  Returns the number of arguments, or -E2BIG. */
static int
eal_normalize_args(const char *args, char *out, size_t size)
{
    size_t len = 0;
    int n = 0;

    out[0] = '\0';
    while (args && *args) {
        size_t word = strcspn(args, " \t\n\r\f\v");

        if (!word) {
            args++;
            continue;
        }
        if (len + word + 2 > size || ++n > EAL_MAX_ARGS - 3) {
            return -E2BIG;
        }
        if (len) {
            out[len++] = ' ';
        }
        memcpy(out + len, args, word);
        len += word;
        out[len] = '\0';
        args += word;
    }
    return n;
}

/* True if the normalized 'args' choose the EAL's cores themselves. */
static bool
eal_args_choose_cores(const char *args)
{
    static const char *const opts[] = { "-l", "-c", "--lcores" };
    const char *p = args;

    while (*p) {
        size_t word = strcspn(p, " ");

        for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
            size_t olen = strlen(opts[i]);

            /* "-l 0", "-l0", "--lcores=0", "--lcores 0". */
            if (word >= olen && !strncmp(p, opts[i], olen)
                && (word == olen || opts[i][1] != '-' || p[olen] == '=')) {
                return true;
            }
        }
        p += word;
        p += *p == ' ';
    }
    return false;
}

/* Builds eal.argv from the normalized eal.args.  Returns argc. */
static int
eal_build_argv(void)
{
    char *s = eal.strings;
    size_t left = sizeof eal.strings;
    int argc = 0;
    char *p;

    eal.argv[argc++] = s;
    s += snprintf(s, left, "flowtierd") + 1;
    left = sizeof eal.strings - (s - eal.strings);

    if (!eal_args_choose_cores(eal.args)) {
        cpu_set_t cpus;
        int cpu = 0;

        if (!sched_getaffinity(0, sizeof cpus, &cpus)) {
            while (cpu < CPU_SETSIZE - 1 && !CPU_ISSET(cpu, &cpus)) {
                cpu++;
            }
        }
        eal.argv[argc++] = s;
        s += snprintf(s, left, "-l") + 1;
        left = sizeof eal.strings - (s - eal.strings);
        eal.argv[argc++] = s;
        s += snprintf(s, left, "%d", cpu) + 1;
        left = sizeof eal.strings - (s - eal.strings);
    }

    /* eal.args fits: eal_normalize_args() checked its size. */
    memcpy(s, eal.args, strlen(eal.args) + 1);
    for (p = s; *p; ) {
        eal.argv[argc++] = p;
        p += strcspn(p, " ");
        if (*p) {
            *p++ = '\0';
        }
    }
    eal.argv[argc] = NULL;
    return argc;
}

/* Runs rte_eal_init() on eal.args.  Returns 0 or a negative errno with
 * 'err' filled.  Called with eal.mutex held. */
static int
eal_start(struct ft_error *err)
{
    struct ft_dpdk_log_capture cap;
    char *argv[EAL_MAX_ARGS + 1];
    bool have_cpus;
    cpu_set_t cpus;
    const char *msg;
    int argc, ret;

    argc = eal_build_argv();
    /* rte_eal_init() reorders its argv: give it a copy of the array. */
    memcpy(argv, eal.argv, sizeof argv);

    have_cpus = !sched_getaffinity(0, sizeof cpus, &cpus);
    ft_dpdk_log_capture_start(&cap);
    ret = rte_eal_init(argc, argv);
    msg = ft_dpdk_log_capture_stop(&cap);
    /* Back to DPDK's default stream, which rte_eal_init() just set up
     * (standard output and syslog). */
    rte_openlog_stream(NULL);
    if (have_cpus) {
        sched_setaffinity(0, sizeof cpus, &cpus);
    }

    if (ret < 0) {
        int error = rte_errno > 0 ? rte_errno : EINVAL;

        return ft_error_set(err, -error, "DPDK EAL initialization with "
                            "arguments '%s' failed: %s%s%s", eal.args,
                            rte_strerror(error), *msg ? ": " : "", msg);
    }
    return 0;
}

int
ft_dpdk_eal_init(const char *args, struct ft_error *err)
{
    char normalized[EAL_ARGS_SIZE];
    int error = 0;

    if (eal_normalize_args(args, normalized, sizeof normalized) < 0) {
        return ft_error_set(err, -E2BIG, "DPDK EAL arguments '%.64s...': "
                            "more than %d arguments or %d bytes",
                            args, EAL_MAX_ARGS - 3, EAL_ARGS_SIZE - 1);
    }

    pthread_mutex_lock(&eal.mutex);
    switch (eal.state) {
    case EAL_NOT_STARTED:
        memcpy(eal.args, normalized, sizeof eal.args);
        error = eal_start(&eal.failure);
        __atomic_store_n(&eal.state, error ? EAL_FAILED : EAL_RUNNING,
                         __ATOMIC_RELEASE);
        if (error && err) {
            *err = eal.failure;
        }
        break;

    case EAL_RUNNING:
        if (strcmp(eal.args, normalized)) {
            error = ft_error_set(err, -EALREADY, "DPDK EAL already runs with "
                                 "arguments '%s'; arguments '%s' take "
                                 "effect only when the daemon restarts",
                                 eal.args, normalized);
        }
        break;

    case EAL_FAILED:
        error = eal.failure.code;
        if (err) {
            *err = eal.failure;
        }
        break;
    }
    pthread_mutex_unlock(&eal.mutex);
    return error;
}

int
ft_dpdk_thread_register(void)
{
    if (!ft_dpdk_eal_is_running() || rte_lcore_id() != LCORE_ID_ANY) {
        return 0;
    }
    return rte_thread_register() ? -rte_errno : 0;
}

void
ft_dpdk_thread_unregister(void)
{
    if (ft_dpdk_eal_is_running() && rte_lcore_id() != LCORE_ID_ANY) {
        rte_thread_unregister();
    }
}

bool
ft_dpdk_eal_is_running(void)
{
    return __atomic_load_n(&eal.state, __ATOMIC_ACQUIRE) == EAL_RUNNING;
}

void
ft_dpdk_control_lock(void)
{
    pthread_mutex_lock(&eal.control);
}

void
ft_dpdk_control_unlock(void)
{
    pthread_mutex_unlock(&eal.control);
}

const char *
ft_dpdk_eal_args(char *buf, size_t size)
{
    const char *ret = NULL;

    /* eal.args does not change once the EAL runs. */
    if (ft_dpdk_eal_is_running() && size) {
        snprintf(buf, size, "%s", eal.args);
        ret = buf;
    }
    return ret;
}

const char *
ft_dpdk_eal_runtime_dir(void)
{
    return ft_dpdk_eal_is_running() ? rte_eal_get_runtime_dir() : NULL;
}

/* Log capture. */

/* Appends the message 'buf' of 'size' bytes to 'cap' without its trailing
 * white space, if it fits ("; " between messages). */
static void
log_capture_keep(struct ft_dpdk_log_capture *cap, const char *buf,
                 size_t size)
{
    size_t room;

    while (size && strchr(" \t\r\n", buf[size - 1])) {
        size--;
    }
    if (!size) {
        return;
    }
    if (cap->len) {
        if (sizeof cap->text - cap->len < 3) {
            return;
        }
        memcpy(cap->text + cap->len, "; ", 2);
        cap->len += 2;
    }
    room = sizeof cap->text - 1 - cap->len;
    if (size > room) {
        size = room;
    }
    memcpy(cap->text + cap->len, buf, size);
    cap->len += size;
    cap->text[cap->len] = '\0';
}

/* fopencookie() write function: DPDK calls it from rte_vlog(), once per
 * message, so rte_log_cur_msg_loglevel() is the message's level. */
static ssize_t
log_capture_write(void *cap_, const char *buf, size_t size)
{
    struct ft_dpdk_log_capture *cap = cap_;

    if (pthread_equal(pthread_self(), cap->thread)
        && rte_log_cur_msg_loglevel() <= (int) RTE_LOG_ERR) {
        log_capture_keep(cap, buf, size);
    }
    fwrite(buf, 1, size, cap->saved);
    fflush(cap->saved);
    return size;
}

void
ft_dpdk_log_capture_start(struct ft_dpdk_log_capture *cap)
{
    static const cookie_io_functions_t funcs = {
        .write = log_capture_write,
    };

    cap->saved = rte_log_get_stream();
    cap->thread = pthread_self();
    cap->len = 0;
    cap->text[0] = '\0';
    cap->stream = fopencookie(cap, "w", funcs);
    if (cap->stream) {
        rte_openlog_stream(cap->stream);
    }
}

const char *
ft_dpdk_log_capture_stop(struct ft_dpdk_log_capture *cap)
{
    if (cap->stream) {
        rte_openlog_stream(cap->saved);
        fclose(cap->stream);
        cap->stream = NULL;
    }
    return cap->text;
}

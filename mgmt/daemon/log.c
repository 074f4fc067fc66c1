/*
 * log.c - the daemon's log (see log.h).
 *
 * Part of the management plane.  Formats one line per message with a UTC
 * timestamp and writes it with a single fputs + fflush, so that lines of
 * two daemons sharing a terminal do not interleave mid-line.  Holds no
 * global state; the clock helpers only read the system clocks.
 */
#include "mgmt/daemon/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "flowtier/ds.h"

struct ft_log {
    char *path;                 /* NULL: stderr. */
    FILE *stream;
    enum ft_log_level level;
    unsigned long long seq;
};

long long int
ft_time_msec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long int) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long int
ft_time_usec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long int) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

long long int
ft_time_wall_msec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long int) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
open_stream(const char *path, FILE **streamp, struct ft_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

    if (fd < 0 || !(*streamp = fdopen(fd, "a"))) {
        int error = -errno;

        if (fd >= 0) {
            close(fd);
        }
        return ft_error_set(err, error, "%s: cannot open log file: %s",
                            path, strerror(-error));
    }
    return 0;
}

int
ft_log_create(const char *path, enum ft_log_level level,
              struct ft_log **logp, struct ft_error *err)
{
    struct ft_log *log;
    FILE *stream = stderr;
    int error;

    *logp = NULL;
    if (path) {
        error = open_stream(path, &stream, err);
        if (error) {
            return error;
        }
    }
    log = calloc(1, sizeof *log);
    if (!log || (path && !(log->path = strdup(path)))) {
        abort();
    }
    log->stream = stream;
    log->level = level;
    *logp = log;
    return 0;
}

void
ft_log_destroy(struct ft_log *log)
{
    if (log) {
        if (log->path) {
            fclose(log->stream);
        } else {
            fflush(log->stream);
        }
        free(log->path);
        free(log);
    }
}

int
ft_log_reopen(struct ft_log *log, struct ft_error *err)
{
    FILE *stream;
    int error;

    if (!log || !log->path) {
        return 0;
    }
    error = open_stream(log->path, &stream, err);
    if (!error) {
        fclose(log->stream);
        log->stream = stream;
    }
    return error;
}

void
ft_log_set_level(struct ft_log *log, enum ft_log_level level)
{
    if (log) {
        log->level = level;
    }
}

bool
ft_log_enabled(const struct ft_log *log, enum ft_log_level level)
{
    return log && level != FT_LOG_OFF && level <= log->level;
}

static const char *const level_names[] = {
    [FT_LOG_OFF] = "off",
    [FT_LOG_ERR] = "err",
    [FT_LOG_WARN] = "warn",
    [FT_LOG_INFO] = "info",
    [FT_LOG_DBG] = "dbg",
};

int
ft_log_level_from_string(const char *s, enum ft_log_level *level)
{
    static const struct {
        const char *name;
        enum ft_log_level level;
    } aliases[] = {
        { "error", FT_LOG_ERR },
        { "warning", FT_LOG_WARN },
        { "debug", FT_LOG_DBG },
    };

    for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
        if (!strcasecmp(s, level_names[i])) {
            *level = (enum ft_log_level) i;
            return 0;
        }
    }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (!strcasecmp(s, aliases[i].name)) {
            *level = aliases[i].level;
            return 0;
        }
    }
    return -EINVAL;
}

const char *
ft_log_level_to_string(enum ft_log_level level)
{
    return level <= FT_LOG_DBG ? level_names[level] : "?";
}

static void
log_valist(struct ft_log *log, enum ft_log_level level, const char *module,
           unsigned int n_dropped, const char *fmt, va_list args)
{
    static const char *const upper[] = {
        [FT_LOG_OFF] = "OFF", [FT_LOG_ERR] = "ERR", [FT_LOG_WARN] = "WARN",
        [FT_LOG_INFO] = "INFO", [FT_LOG_DBG] = "DBG",
    };
    long long int now = ft_time_wall_msec();
    time_t secs = (time_t) (now / 1000);
    struct ds line = DS_EMPTY_INITIALIZER;
    char stamp[32];
    struct tm tm;
    size_t body;

    gmtime_r(&secs, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    ds_put_format(&line, "%s.%03lldZ|%05llu|%s|%s|", stamp, now % 1000,
                  ++log->seq, module, upper[level]);
    body = line.len;
    ds_put_format_valist(&line, fmt, args);
    for (size_t i = body; i < line.len; i++) {
        if (line.s[i] == '\n' || line.s[i] == '\r') {
            line.s[i] = ' ';
        }
    }
    if (n_dropped) {
        ds_put_format(&line, " (%u similar message%s suppressed)",
                      n_dropped, n_dropped == 1 ? "" : "s");
    }
    ds_put_char(&line, '\n');
    fputs(ds_cstr(&line), log->stream);
    fflush(log->stream);
    ds_destroy(&line);
}

void
ft_log_msg(struct ft_log *log, enum ft_log_level level, const char *module,
           const char *fmt, ...)
{
    va_list args;

    if (!ft_log_enabled(log, level)) {
        return;
    }
    va_start(args, fmt);
    log_valist(log, level, module, 0, fmt, args);
    va_end(args);
}

#define TOKENS_PER_MSG 60000LL  /* One message = one minute of 1/min. */

bool
ft_ratelimit_allow(struct ft_ratelimit *rl, long long int now)
{
    long long int cap = (long long int) rl->burst * TOKENS_PER_MSG;

    if (!rl->last) {
        rl->tokens = cap;
    } else if (now > rl->last) {
        /* 'rate' messages per 60000 ms: 'rate' tokens per ms. */
        long long int elapsed = now - rl->last;

        if (elapsed > TOKENS_PER_MSG) {
            elapsed = TOKENS_PER_MSG;   /* Keep the product small. */
        }
        rl->tokens += elapsed * rl->rate;
        if (rl->tokens > cap) {
            rl->tokens = cap;
        }
    }
    rl->last = now;
    if (rl->tokens >= TOKENS_PER_MSG) {
        rl->tokens -= TOKENS_PER_MSG;
        return true;
    }
    rl->n_dropped++;
    return false;
}

void
ft_log_rl(struct ft_log *log, struct ft_ratelimit *rl,
          enum ft_log_level level, const char *module, const char *fmt, ...)
{
    unsigned int n_dropped;
    va_list args;

    if (!ft_log_enabled(log, level)
        || !ft_ratelimit_allow(rl, ft_time_msec())) {
        return;
    }
    n_dropped = rl->n_dropped;
    rl->n_dropped = 0;
    va_start(args, fmt);
    log_valist(log, level, module, n_dropped, fmt, args);
    va_end(args);
}

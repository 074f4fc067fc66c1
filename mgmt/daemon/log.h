/*
 * log.h - the daemon's log: levels, timestamps, rate limiting.
 *
 * A 'struct ft_log' writes lines in the form Open vSwitch users know from
 * ovs-vswitchd.log:
 *
 *   2026-11-26T05:37:47.123Z|00001|server|WARN|bridge br0: port p1: ...
 *
 * (UTC time with milliseconds, a sequence number, the module, the level,
 * the message) to stderr or to a file.  Messages above the log's level are
 * dropped.  A caller that may log once per packet or per client message
 * wraps the call in a 'struct ft_ratelimit' (a token bucket), so a flood of
 * bad input cannot fill the disk: suppressed messages are counted and the
 * count is reported with the next message that gets through.
 *
 * No global state: each daemon instance (and each test) owns its log and
 * passes it to the modules that log.  A NULL log discards everything.
 * Not thread-safe: one thread owns a log.
 */
#ifndef FLOWTIER_MGMT_LOG_H
#define FLOWTIER_MGMT_LOG_H 1

#include <stdbool.h>
#include <stdint.h>

#include "flowtier/error.h"

enum ft_log_level {
    FT_LOG_OFF,         /* Nothing at all. */
    FT_LOG_ERR,
    FT_LOG_WARN,
    FT_LOG_INFO,
    FT_LOG_DBG,
};

struct ft_log;

/* Creates a log that writes to 'path' (appending, created 0640 if absent)
 * or to stderr when 'path' is NULL, keeping messages at 'level' or more
 * severe.  Returns 0 and '*logp', or a negative errno with 'err' filled
 * (the file cannot be opened). */
int ft_log_create(const char *path, enum ft_log_level level,
                  struct ft_log **logp, struct ft_error *err);

/* Flushes and closes 'log'.  NULL is a no-op. */
void ft_log_destroy(struct ft_log *log);

/* Reopens the log file (after logrotate moved it away).  No-op for stderr.
 * Returns 0 or a negative errno; on error the old file stays in use. */
int ft_log_reopen(struct ft_log *log, struct ft_error *err);

void ft_log_set_level(struct ft_log *log, enum ft_log_level level);
/* True if a message at 'level' would be written. */
bool ft_log_enabled(const struct ft_log *log, enum ft_log_level level);

/* "off", "err", "warn", "info", "dbg" (also "error", "warning", "debug",
 * any case).  Returns 0 or -EINVAL. */
int ft_log_level_from_string(const char *s, enum ft_log_level *level);
const char *ft_log_level_to_string(enum ft_log_level level);

/* Writes one message from 'module' at 'level'.  A newline in the message
 * is written as a space, so one message is always one line. */
void ft_log_msg(struct ft_log *log, enum ft_log_level level,
                const char *module, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A token bucket: at most 'burst' messages at once, refilled at 'rate'
 * messages per minute.  Initialize with FT_RATELIMIT_INIT. */
struct ft_ratelimit {
    unsigned int rate;          /* Messages per minute. */
    unsigned int burst;         /* Bucket size. */
    long long int tokens;       /* In 1/60000ths of a message. */
    long long int last;         /* ms of the last refill; 0 = never. */
    unsigned int n_dropped;     /* Suppressed since the last message. */
};

#define FT_RATELIMIT_INIT(RATE, BURST) { (RATE), (BURST), 0, 0, 0 }

/* Returns true if a message may be written at 'now' (ms, monotonic), and
 * takes a token; else counts the message as dropped. */
bool ft_ratelimit_allow(struct ft_ratelimit *rl, long long int now);

/* Like ft_log_msg() but rate limited by 'rl'; a message that gets through
 * after others were suppressed says how many were. */
void ft_log_rl(struct ft_log *log, struct ft_ratelimit *rl,
               enum ft_log_level level, const char *module,
               const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Monotonic clock in milliseconds. */
long long int ft_time_msec(void);
/* The same clock in microseconds, for timing work. */
long long int ft_time_usec(void);

/* Wall clock in milliseconds since the epoch. */
long long int ft_time_wall_msec(void);

#endif /* mgmt/daemon/log.h */

/*
 * clock.h - the two clocks the traffic tools report rates with: wall time
 * on the monotonic clock and this process's CPU time (user + system).
 */
#ifndef FLOWTIER_BENCH_CLOCK_H
#define FLOWTIER_BENCH_CLOCK_H 1

#include <sys/resource.h>
#include <time.h>

/* CPU time (user + system) this process used so far, in seconds. */
static inline double
cpu_sec(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
            + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
}

/* Monotonic wall time, in seconds. */
static inline double
now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* bench/traffic/clock.h */

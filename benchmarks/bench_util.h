/*
 * bench_util.h - the clock and the sort order the C benchmarks share
 * (included by cloop.c, cmeta.c, csqlite.c and csyscalls.c).
 */
#ifndef DINGOFS_BENCH_UTIL_H
#define DINGOFS_BENCH_UTIL_H

#include <time.h>

/* Seconds on the monotonic clock. */
static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Nanoseconds on the monotonic clock. */
static inline double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* qsort order of doubles, smallest first. */
static inline int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

#endif

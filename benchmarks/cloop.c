/*
 * cloop.c - per-call cost of a few libdingofs functions called from a C loop.
 *
 * This is the baseline of the Python binding-overhead benchmark: the Python
 * side calls the same functions on the same kind of filesystem (a fresh
 * local:// filesystem in the same scratch directory) and the difference is
 * what Python adds per call.
 *
 *   cloop BASE_DIR ITERATIONS REPEAT
 *
 * Mounts local://cloop?base=BASE_DIR, creates /d/f (4 KiB) and prints one
 * JSON object: {"op": nanoseconds_per_call, ...}, each the median of REPEAT
 * timed loops of ITERATIONS calls. Exit status 1 when a call fails.
 */
#define _GNU_SOURCE
#include <dingofs/libdingofs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#define MAX_REPEAT 31

static uintptr_t h;

static double median(double* v, int n) {
  qsort(v, (size_t)n, sizeof v[0], cmp_double);
  return (n % 2) ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void ck(long rc, const char* what) {
  if (rc < 0) {
    fprintf(stderr, "cloop: %s failed: %s\n", what, strerror((int)-rc));
    exit(1);
  }
}

int main(int argc, char** argv) {
  long iters, repeat;
  char url[4200];
  char data[4096];
  struct stat st;
  uint32_t iflags;
  int* fds;
  double t[MAX_REPEAT];
  int first = 1;

  if (argc != 4) {
    fprintf(stderr, "usage: cloop BASE_DIR ITERATIONS REPEAT\n");
    return 2;
  }
  iters = strtol(argv[2], NULL, 10);
  repeat = strtol(argv[3], NULL, 10);
  if (iters < 1 || iters > 10000000 || repeat < 1 || repeat > MAX_REPEAT) {
    fprintf(stderr, "cloop: ITERATIONS in [1, 1e7], REPEAT in [1, %d]\n",
            MAX_REPEAT);
    return 2;
  }
  snprintf(url, sizeof url, "local://cloop?base=%s", argv[1]);
  h = dingofs_new();
  if (h == 0) return 1;
  ck(dingofs_mount_nolog(h, url, "cloop", "/cloop"), "mount");
  ck(dingofs_mkdirs(h, "/d", 0755), "mkdirs");
  {
    int fd = dingofs_open(h, "/d/f", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck(fd, "open");
    memset(data, 'x', sizeof data);
    ck(dingofs_write(h, fd, data, sizeof data), "write");
    ck(dingofs_close(h, fd), "close");
  }
  ck(dingofs_setxattr(h, "/d/f", "user.bench", "value-0123456789", 16, 0),
     "setxattr");
  fds = malloc(sizeof(int) * (size_t)iters);
  if (fds == NULL) return 1;

  printf("{");
/* Time REPEAT loops of ITERATIONS evaluations of BODY; print the median. */
#define LOOP(NAME, BODY)                                          \
  do {                                                            \
    for (long r = 0; r < repeat; r++) {                           \
      double t0 = now_ns();                                       \
      for (long i = 0; i < iters; i++) {                          \
        BODY;                                                     \
      }                                                           \
      t[r] = (now_ns() - t0) / (double)iters;                     \
    }                                                             \
    printf("%s\"%s\": %.2f", first ? "" : ", ", NAME,             \
           median(t, (int)repeat));                               \
    first = 0;                                                    \
  } while (0)

  LOOP("x_access", ck(dingofs_x_access(h, "/d/f", F_OK), "x_access"));
  LOOP("stat", ck(dingofs_stat(h, "/d/f", &st), "stat"));
  LOOP("lstat", ck(dingofs_lstat(h, "/d/f", &st), "lstat"));
  LOOP("x_stat", ck(dingofs_x_stat(h, "/d/f", 0, &st, &iflags), "x_stat"));
  LOOP("getxattr",
       ck(dingofs_getxattr(h, "/d/f", "user.bench", data, sizeof data),
          "getxattr"));
  {
    int fd = dingofs_open(h, "/d/f", O_RDONLY, 0);
    ck(fd, "open");
    LOOP("fstat", ck(dingofs_fstat(h, fd, &st), "fstat"));
    LOOP("pread_4k", ck(dingofs_pread(h, fd, data, sizeof data, 0), "pread"));
    LOOP("seek", ck(dingofs_lseek(h, fd, 0, SEEK_SET), "lseek"));
    LOOP("seek_read_4k", {
      ck(dingofs_lseek(h, fd, 0, SEEK_SET), "lseek");
      ck(dingofs_read(h, fd, data, sizeof data), "read");
    });
    ck(dingofs_close(h, fd), "close");
  }
  LOOP("open_close", {
    int fd = dingofs_open(h, "/d/f", O_RDONLY, 0);
    ck(fd, "open");
    ck(dingofs_close(h, fd), "close");
  });
  /* close alone: open the fds untimed, then time closing them */
  for (long r = 0; r < repeat; r++) {
    double t0;
    for (long i = 0; i < iters; i++) {
      fds[i] = dingofs_open(h, "/d/f", O_RDONLY, 0);
      ck(fds[i], "open");
    }
    t0 = now_ns();
    for (long i = 0; i < iters; i++) ck(dingofs_close(h, fds[i]), "close");
    t[r] = (now_ns() - t0) / (double)iters;
  }
  printf(", \"close\": %.2f}\n", median(t, (int)repeat));
  free(fds);
  ck(dingofs_umount(h), "umount");
  dingofs_delete(h);
  return 0;
}

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
 * JSON object: {"op": nanoseconds_per_call, ...}, each the best of REPEAT
 * timed loops of ITERATIONS calls, the loops of all calls taken round-robin.
 * Exit status 1 when a call fails.
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

  {
    /* Every round times one loop of every call, round-robin, so that a burst
     * of load on a shared machine lands on all calls alike; each call's number
     * is its best round (noise only ever adds time). */
    static const char* const names[] = {
        "x_access", "stat", "lstat", "x_stat", "getxattr", "fstat",
        "pread_4k", "seek", "seek_read_4k", "open_close", "close"};
    enum { NOPS = sizeof names / sizeof names[0] };
    double best[NOPS];
    int fd = dingofs_open(h, "/d/f", O_RDONLY, 0);
    ck(fd, "open");
    for (int k = 0; k < NOPS; k++) best[k] = 1e300;
    for (long r = 0; r < repeat; r++) {
      for (int k = 0; k < NOPS; k++) {
        double t0;
        /* open+close and close run with the file closed everywhere else (as
         * on the Python side): the fd of the calls before goes, untimed. */
        if (k == NOPS - 2) ck(dingofs_close(h, fd), "close");
        if (k == NOPS - 1) { /* close alone: the fds are opened untimed */
          for (long i = 0; i < iters; i++) {
            fds[i] = dingofs_open(h, "/d/f", O_RDONLY, 0);
            ck(fds[i], "open");
          }
        }
        t0 = now_ns();
#define EACH(BODY) for (long i = 0; i < iters; i++) { BODY; } break
        switch (k) {
          case 0: EACH(ck(dingofs_x_access(h, "/d/f", F_OK), "x_access"));
          case 1: EACH(ck(dingofs_stat(h, "/d/f", &st), "stat"));
          case 2: EACH(ck(dingofs_lstat(h, "/d/f", &st), "lstat"));
          case 3: EACH(ck(dingofs_x_stat(h, "/d/f", 0, &st, &iflags), "x_stat"));
          case 4:
            EACH(ck(dingofs_getxattr(h, "/d/f", "user.bench", data, sizeof data),
                    "getxattr"));
          case 5: EACH(ck(dingofs_fstat(h, fd, &st), "fstat"));
          case 6: EACH(ck(dingofs_pread(h, fd, data, sizeof data, 0), "pread"));
          case 7: EACH(ck(dingofs_lseek(h, fd, 0, SEEK_SET), "lseek"));
          case 8:
            EACH(ck(dingofs_lseek(h, fd, 0, SEEK_SET), "lseek");
                 ck(dingofs_read(h, fd, data, sizeof data), "read"));
          case 9:
            EACH(int f2 = dingofs_open(h, "/d/f", O_RDONLY, 0); ck(f2, "open");
                 ck(dingofs_close(h, f2), "close"));
          default: EACH(ck(dingofs_close(h, fds[i]), "close"));
        }
#undef EACH
        t0 = (now_ns() - t0) / (double)iters;
        if (t0 < best[k]) best[k] = t0;
        if (k == NOPS - 1) {
          fd = dingofs_open(h, "/d/f", O_RDONLY, 0);
          ck(fd, "open");
        }
      }
    }
    ck(dingofs_close(h, fd), "close");
    printf("{");
    for (int k = 0; k < NOPS; k++)
      printf("%s\"%s\": %.2f", k ? ", " : "", names[k], best[k]);
    printf("}\n");
  }
  free(fds);
  ck(dingofs_umount(h), "umount");
  dingofs_delete(h);
  return 0;
}

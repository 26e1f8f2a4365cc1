/*
 * csyscalls.c - write system calls and throughput of small metadata changes
 * through libdingofs on a local:// filesystem (driven by syscalls.py).
 *
 *   csyscalls BASE_DIR OP COUNT THREADS
 *
 * OP is one of
 *   create     open(O_CREAT) of a new file, then close
 *   create4k   the same with one 4 KiB write in between (an inline file)
 *   unlink     removal of a 4 KiB (inline) file made before the timed part
 *   setxattr   setxattr of a user. attribute of an existing file, a new
 *              value each time
 * THREADS threads share one mounted handle, each working in a directory of
 * its own, COUNT/THREADS operations each.
 *
 * The timed part is bracketed by two access() calls on names that do not
 * exist ("/csyscalls-phase-begin", "/csyscalls-phase-end"), so a system call
 * trace can be cut to it. The write system calls of the process in it (all
 * threads, the engine's background ones included) come from /proc/self/io
 * (syscw counts write, pwrite, writev, pwritev). Prints one JSON object:
 *   {"op": ..., "threads": N, "count": N, "seconds": s, "ops_per_s": x,
 *    "syscw_per_op": x, "syscr_per_op": x}
 * Exit status 1 when a call fails, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <dingofs/libdingofs.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#define MAX_THREADS 16
#define SMALL 4096

enum op { OP_CREATE, OP_CREATE4K, OP_UNLINK, OP_SETXATTR };

static uintptr_t h;
static enum op op;
static volatile int failed;
static char small_buf[SMALL];

struct job {
  int t;
  int count;
  pthread_barrier_t* start;
};

static void fail(const char* what, const char* path, long rc) {
  fprintf(stderr, "csyscalls: %s %s: %s\n", what, path, strerror(rc < 0 ? (int)-rc : EIO));
  failed = 1;
}

/* syscw and syscr of this process so far. */
static void proc_io(long long* w, long long* r) {
  *w = *r = 0;
  FILE* f = fopen("/proc/self/io", "r");
  if (f == NULL) return;
  char line[128];
  while (fgets(line, sizeof line, f) != NULL) {
    sscanf(line, "syscw: %lld", w);
    sscanf(line, "syscr: %lld", r);
  }
  fclose(f);
}

static int make_small(const char* path) {
  int fd = dingofs_open(h, path, O_CREAT | O_WRONLY, 0644);
  if (fd < 0) return fd;
  ssize_t n = dingofs_write(h, fd, small_buf, SMALL);
  int rc = dingofs_close(h, fd);
  if (n != SMALL) return n < 0 ? (int)n : -EIO;
  return rc;
}

static void one(int t, int i) {
  char path[128];
  snprintf(path, sizeof path, "/d%d/f%d", t, i);
  long rc = 0;
  switch (op) {
    case OP_CREATE: {
      int fd = dingofs_open(h, path, O_CREAT | O_WRONLY, 0644);
      rc = fd < 0 ? fd : dingofs_close(h, fd);
      break;
    }
    case OP_CREATE4K:
      rc = make_small(path);
      break;
    case OP_UNLINK:
      rc = dingofs_unlink(h, path);
      break;
    case OP_SETXATTR: {
      char value[32];
      int n = snprintf(value, sizeof value, "value-%d", i);
      snprintf(path, sizeof path, "/d%d/x", t);
      rc = dingofs_setxattr(h, path, "user.bench", value, (size_t)n, 0);
      break;
    }
  }
  if (rc < 0) fail("operation on", path, rc);
}

static void* work(void* arg) {
  struct job* j = arg;
  pthread_barrier_wait(j->start);
  for (int i = 0; i < j->count && !failed; i++) one(j->t, i);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: csyscalls BASE_DIR create|create4k|unlink|setxattr COUNT THREADS\n");
    return 2;
  }
  const char* base = argv[1];
  const char* opname = argv[2];
  int count = atoi(argv[3]);
  int threads = atoi(argv[4]);
  if (strcmp(opname, "create") == 0) op = OP_CREATE;
  else if (strcmp(opname, "create4k") == 0) op = OP_CREATE4K;
  else if (strcmp(opname, "unlink") == 0) op = OP_UNLINK;
  else if (strcmp(opname, "setxattr") == 0) op = OP_SETXATTR;
  else {
    fprintf(stderr, "csyscalls: unknown operation %s\n", opname);
    return 2;
  }
  if (count < 1 || threads < 1 || threads > MAX_THREADS || count < threads) {
    fprintf(stderr, "csyscalls: COUNT >= THREADS, 1 <= THREADS <= %d\n", MAX_THREADS);
    return 2;
  }
  memset(small_buf, 'x', sizeof small_buf);
  char addr[700];
  mkdir(base, 0755);
  snprintf(addr, sizeof addr, "local://csys?base=%s", base);
  h = dingofs_new();
  int rc = dingofs_mount_nolog(h, addr, "csys", "/");
  if (rc != 0) {
    fprintf(stderr, "csyscalls: mount %s: %s\n", addr, strerror(-rc));
    return 1;
  }
  int per = count / threads;
  for (int t = 0; t < threads && !failed; t++) {
    char dir[64];
    snprintf(dir, sizeof dir, "/d%d", t);
    rc = dingofs_mkdir(h, dir, 0755);
    if (rc != 0) fail("mkdir", dir, rc);
    if (op == OP_UNLINK) {
      for (int i = 0; i < per && !failed; i++) {
        char path[128];
        snprintf(path, sizeof path, "/d%d/f%d", t, i);
        rc = make_small(path);
        if (rc != 0) fail("create", path, rc);
      }
    } else if (op == OP_SETXATTR) {
      char path[128];
      snprintf(path, sizeof path, "/d%d/x", t);
      rc = make_small(path);
      if (rc != 0) fail("create", path, rc);
    }
  }
  struct job jobs[MAX_THREADS];
  pthread_t tids[MAX_THREADS];
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
  for (int t = 0; t < threads; t++) {
    jobs[t].t = t;
    jobs[t].count = per;
    jobs[t].start = &start;
    pthread_create(&tids[t], NULL, work, &jobs[t]);
  }
  long long w0, r0, w1, r1;
  access("/csyscalls-phase-begin", F_OK);
  proc_io(&w0, &r0);
  pthread_barrier_wait(&start);
  double t0 = now_s();
  for (int t = 0; t < threads; t++) pthread_join(tids[t], NULL);
  double dt = now_s() - t0;
  proc_io(&w1, &r1);
  access("/csyscalls-phase-end", F_OK);
  pthread_barrier_destroy(&start);
  dingofs_umount(h);
  dingofs_delete(h);
  if (failed) return 1;
  double n = (double)per * threads;
  printf("{\"op\": \"%s\", \"threads\": %d, \"count\": %d, \"seconds\": %.6f, \"ops_per_s\": %.1f, "
         "\"syscw_per_op\": %.3f, \"syscr_per_op\": %.3f}\n",
         opname, threads, per * threads, dt, n / dt, (double)(w1 - w0) / n,
         (double)(r1 - r0) / n);
  return 0;
}

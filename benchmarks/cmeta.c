/*
 * cmeta.c - metadata throughput at the C level: empty-file creation
 * (open with O_CREAT, then close) by 1 and by 2 threads, through libdingofs
 * on a local:// filesystem and through plain POSIX calls on a directory of the
 * same disk.
 *
 *   cmeta BASE_DIR FILES ROUNDS
 *
 * Every round runs the four cases (SDK 1 thread, POSIX 1 thread, SDK 2
 * threads, POSIX 2 threads), alternating the sides, each in fresh
 * directories; with 2 threads each thread creates FILES/2 files in a
 * directory of its own, through one shared handle. Prints one JSON object of
 * files per second, each the median over the rounds, with min and max:
 *   {"sdk1": [median, min, max], "posix1": [...], "sdk2": [...], "posix2": [...]}
 * Nothing is deleted until the end (mass deletion slows the next creations on
 * ext4 for a while). Exit status 1 when a call fails.
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

#define MAX_ROUNDS 31
#define THREADS 2

static uintptr_t h;
static const char* host_root;
static int files;
static volatile int failed;

struct job {
  int sdk;
  int count;
  char dir[600];
  pthread_barrier_t* start;
};

static void* work(void* arg) {
  struct job* j = arg;
  char path[700];
  pthread_barrier_wait(j->start);
  for (int i = 0; i < j->count && !failed; i++) {
    snprintf(path, sizeof path, "%s/f%d", j->dir, i);
    if (j->sdk) {
      int fd = dingofs_open(h, path, O_CREAT | O_WRONLY, 0644);
      if (fd < 0 || dingofs_close(h, fd) != 0) {
        fprintf(stderr, "cmeta: %s: %s\n", path, strerror(fd < 0 ? -fd : EIO));
        failed = 1;
      }
    } else {
      int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      if (fd < 0 || close(fd) != 0) {
        fprintf(stderr, "cmeta: %s: %s\n", path, strerror(errno));
        failed = 1;
      }
    }
  }
  return NULL;
}

/* Files per second of one case. */
static double one_case(int sdk, int nthreads, int round) {
  struct job jobs[THREADS];
  pthread_t tids[THREADS];
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1);
  for (int t = 0; t < nthreads; t++) {
    struct job* j = &jobs[t];
    j->sdk = sdk;
    j->count = files / nthreads;
    j->start = &start;
    if (sdk) {
      snprintf(j->dir, sizeof j->dir, "/r%d-t%d-%d", round, nthreads, t);
      if (dingofs_mkdir(h, j->dir, 0755) != 0) failed = 1;
    } else {
      snprintf(j->dir, sizeof j->dir, "%s/r%d-t%d-%d", host_root, round, nthreads, t);
      if (mkdir(j->dir, 0755) != 0) failed = 1;
    }
    pthread_create(&tids[t], NULL, work, j);
  }
  pthread_barrier_wait(&start);
  double t0 = now_s();
  for (int t = 0; t < nthreads; t++) pthread_join(tids[t], NULL);
  double dt = now_s() - t0;
  pthread_barrier_destroy(&start);
  return (double)(files / nthreads * nthreads) / dt;
}

static void summary(const char* key, double* v, int n, int last) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  printf("\"%s\": [%.1f, %.1f, %.1f]%s", key, v[n / 2], v[0], v[n - 1], last ? "" : ", ");
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: cmeta BASE_DIR FILES ROUNDS\n");
    return 2;
  }
  const char* base = argv[1];
  files = atoi(argv[2]);
  int rounds = atoi(argv[3]);
  if (files < THREADS || rounds < 1 || rounds > MAX_ROUNDS) {
    fprintf(stderr, "cmeta: FILES >= 2 and 1 <= ROUNDS <= %d\n", MAX_ROUNDS);
    return 2;
  }
  char fsdir[600], addr[700], host[600];
  snprintf(fsdir, sizeof fsdir, "%s/fs", base);
  snprintf(host, sizeof host, "%s/host", base);
  mkdir(fsdir, 0755);
  mkdir(host, 0755);
  host_root = host;
  snprintf(addr, sizeof addr, "local://cmeta?base=%s", fsdir);
  h = dingofs_new();
  int rc = dingofs_mount_nolog(h, addr, "cmeta", "/");
  if (rc != 0) {
    fprintf(stderr, "cmeta: mount %s: %s\n", addr, strerror(-rc));
    return 1;
  }
  double v[4][MAX_ROUNDS];
  for (int r = 0; r < rounds && !failed; r++) {
    /* Alternate which side goes first. */
    int first = r % 2;
    for (int k = 0; k < 2; k++) {
      int sdk = k == 0 ? first : !first;
      v[sdk ? 0 : 1][r] = one_case(sdk, 1, r);
    }
    for (int k = 0; k < 2; k++) {
      int sdk = k == 0 ? !first : first;
      v[sdk ? 2 : 3][r] = one_case(sdk, 2, r);
    }
  }
  dingofs_umount(h);
  dingofs_delete(h);
  if (failed) return 1;
  printf("{");
  summary("sdk1", v[0], rounds, 0);
  summary("posix1", v[1], rounds, 0);
  summary("sdk2", v[2], rounds, 0);
  summary("posix2", v[3], rounds, 1);
  printf("}\n");
  return 0;
}

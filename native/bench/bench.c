/*
 * bench.c - the embedded engine against the host filesystem, side by side.
 *
 * One process, one disk: a fresh directory under $BENCH_DIR holds both the
 * host tree (used through libc) and the engine's local:// filesystem. Every
 * operation runs the same workload on both, BENCH_REPEAT times, and the
 * median is reported. Metadata operations interleave the two sides in small
 * chunks; I/O runs alternate which side goes first.
 *
 * Environment:
 *   BENCH_DIR      parent of the scratch directory (default: build/bench-tmp
 *                  next to the library, set by the Makefile; else the cwd)
 *   BENCH_SEQ_MB   size of the sequential file in MiB (default 1024)
 *   BENCH_REPEAT   repetitions per measurement (default 5, 1..15)
 *   BENCH_JSON     also write the results as JSON to this path
 *   BENCH_KEEP     keep the scratch directory when set to 1
 *
 * Exit status: 0 when every operation ran (goals missed or not), 1 when an
 * operation failed, 2 for a setup problem.
 */
#define _GNU_SOURCE
#include <dingofs/libdingofs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NFILES 2000        /* create/unlink/mkdir/rmdir/small writes */
#define NSTAT 20000        /* stat and lstat calls */
#define NDIRENT 10000      /* entries of the listed directory */
#define NRAND 20000        /* random 4 KiB preads */
#define IO_CHUNK (1 << 20) /* sequential I/O call size */
#define SMALL 4096
#define MAX_REPEAT 15

/* ------------------------------------------------------------------ util */

static void die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("bench: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

/* Fail on a negative -errno / -1 result, naming the operation. */
static long ck(long rc, const char* side, const char* what, const char* path) {
  if (rc < 0) {
    int e = (rc == -1 && errno != 0) ? errno : (int)-rc;
    die("%s: %s(%s) failed: %s", side, what, path ? path : "", strerror(e));
  }
  return rc;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static double median(double* v, int n) {
  qsort(v, (size_t)n, sizeof v[0], cmp_double);
  return (n % 2) ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static long env_long(const char* name, long def, long lo, long hi) {
  const char* s = getenv(name);
  char* end;
  long v;
  if (s == NULL || *s == '\0') return def;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno != 0 || *end != '\0' || v < lo || v > hi) {
    fprintf(stderr, "bench: %s=%s must be an integer in [%ld, %ld]\n", name, s,
            lo, hi);
    exit(2);
  }
  return v;
}

static int rm_entry(const char* p, const struct stat* st, int t,
                    struct FTW* f) {
  (void)st;
  (void)t;
  (void)f;
  return remove(p);
}

/* xorshift64: the same random offsets for both sides. */
static uint64_t rng_next(uint64_t* s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
}

/* ------------------------------------------------- the two filesystems */

/*
 * One backend = one side. The host side prefixes paths with its root
 * directory and calls libc; the engine side calls libdingofs with the
 * in-filesystem path. Each call returns >= 0 or a negative value.
 */
typedef struct {
  const char* name;
  int is_engine;
  char root[4096]; /* host: absolute directory; engine: "" */
  uintptr_t h;
} side_t;

static const char* full(const side_t* s, const char* p, char* buf) {
  if (s->is_engine) return p;
  snprintf(buf, 8192, "%s%s", s->root, p);
  return buf;
}

static int s_mkdir(const side_t* s, const char* p) {
  char b[8192];
  if (s->is_engine) return dingofs_mkdir(s->h, p, 0755);
  return mkdir(full(s, p, b), 0755) == 0 ? 0 : -errno;
}
static int s_rmdir(const side_t* s, const char* p) {
  char b[8192];
  if (s->is_engine) return dingofs_rmdir(s->h, p);
  return rmdir(full(s, p, b)) == 0 ? 0 : -errno;
}
static int s_unlink(const side_t* s, const char* p) {
  char b[8192];
  if (s->is_engine) return dingofs_unlink(s->h, p);
  return unlink(full(s, p, b)) == 0 ? 0 : -errno;
}
static int s_open(const side_t* s, const char* p, int flags, mode_t mode) {
  char b[8192];
  int fd;
  if (s->is_engine) return dingofs_open(s->h, p, flags, mode);
  fd = open(full(s, p, b), flags | O_CLOEXEC, mode);
  return fd >= 0 ? fd : -errno;
}
static int s_close(const side_t* s, int fd) {
  if (s->is_engine) return dingofs_close(s->h, fd);
  return close(fd) == 0 ? 0 : -errno;
}
static ssize_t s_write(const side_t* s, int fd, const void* buf, size_t n) {
  ssize_t r;
  if (s->is_engine) return dingofs_write(s->h, fd, buf, n);
  r = write(fd, buf, n);
  return r >= 0 ? r : -errno;
}
static ssize_t s_read(const side_t* s, int fd, void* buf, size_t n) {
  ssize_t r;
  if (s->is_engine) return dingofs_read(s->h, fd, buf, n);
  r = read(fd, buf, n);
  return r >= 0 ? r : -errno;
}
static ssize_t s_pread(const side_t* s, int fd, void* buf, size_t n, off_t o) {
  ssize_t r;
  if (s->is_engine) return dingofs_pread(s->h, fd, buf, n, o);
  r = pread(fd, buf, n, o);
  return r >= 0 ? r : -errno;
}
static int s_stat(const side_t* s, const char* p, struct stat* st, int l) {
  char b[8192];
  if (s->is_engine)
    return l ? dingofs_lstat(s->h, p, st) : dingofs_stat(s->h, p, st);
  return (l ? lstat(full(s, p, b), st) : stat(full(s, p, b), st)) == 0
             ? 0
             : -errno;
}

/* List a directory completely; returns the number of entries (with . ..). */
static long s_listdir(const side_t* s, const char* p) {
  long n = 0;
  if (s->is_engine) {
    static dingofs_dirent_t ents[128];
    uint64_t dh = 0;
    int r;
    ck(dingofs_opendir(s->h, p, &dh), s->name, "opendir", p);
    while ((r = dingofs_readdir(s->h, dh, ents, 128)) > 0) n += r;
    ck(r, s->name, "readdir", p);
    ck(dingofs_closedir(s->h, dh), s->name, "closedir", p);
  } else {
    char b[8192];
    DIR* d = opendir(full(s, p, b));
    struct dirent* e;
    if (d == NULL) ck(-1, s->name, "opendir", p);
    errno = 0;
    while ((e = readdir(d)) != NULL) n++;
    if (errno != 0) ck(-1, s->name, "readdir", p);
    closedir(d);
  }
  return n;
}

/* -------------------------------------------------------- measurements */

/*
 * Result of one operation. Latency operations keep seconds per operation;
 * throughput operations keep bytes per second. ratio: engine/host time for
 * latency, engine/host throughput for I/O.
 */
typedef struct {
  const char* key;
  const char* label;
  int is_io;          /* throughput (MB/s) rather than latency (us/op) */
  double goal;        /* latency: max ratio; I/O: min ratio */
  double host[MAX_REPEAT];
  double engine[MAX_REPEAT];
  double host_med, engine_med, ratio;
  int met;
} result_t;

static result_t results[] = {
    {"stat", "stat, 3-deep path", 0, 5.0, {0}, {0}, 0, 0, 0, 0},
    {"lstat", "lstat, 3-deep path", 0, 5.0, {0}, {0}, 0, 0, 0, 0},
    {"create", "create+close", 0, 3.0, {0}, {0}, 0, 0, 0, 0},
    {"unlink", "unlink", 0, 3.0, {0}, {0}, 0, 0, 0, 0},
    {"mkdir", "mkdir", 0, 3.0, {0}, {0}, 0, 0, 0, 0},
    {"rmdir", "rmdir", 0, 3.0, {0}, {0}, 0, 0, 0, 0},
    {"readdir", "readdir, 10000 entries (per listing)", 0, 3.0, {0}, {0}, 0, 0, 0, 0},
    {"write4k", "create+4 KiB write+close", 0, 3.0, {0}, {0}, 0, 0, 0, 0},
    {"seqwrite", "sequential write, 1 MiB calls", 1, 0.8, {0}, {0}, 0, 0, 0, 0},
    {"seqread", "sequential read, 1 MiB calls", 1, 0.8, {0}, {0}, 0, 0, 0, 0},
    {"randread", "random 4 KiB pread", 1, 0.8, {0}, {0}, 0, 0, 0, 0},
};
#define NRESULTS ((int)(sizeof results / sizeof results[0]))

static result_t* result(const char* key) {
  for (int i = 0; i < NRESULTS; i++)
    if (strcmp(results[i].key, key) == 0) return &results[i];
  die("internal: no result %s", key);
  return NULL;
}

static int warming_up; /* set during the untimed warm-up pass */

static void record(const char* key, const side_t* s, int rep, double v) {
  result_t* r = result(key);
  if (warming_up) return;
  if (s->is_engine)
    r->engine[rep] = v;
  else
    r->host[rep] = v;
}

static char* small_buf;
static char* big_buf;
static long seq_mb;

/*
 * Latency operations are interleaved: the n operations are cut into chunks
 * of CHUNK_OPS, and host and engine take turns chunk by chunk (the one
 * starting alternates), each side's time being summed separately. Load from
 * other processes then falls on both sides alike.
 */
#define CHUNK_OPS 100

typedef void (*op_fn)(const side_t* s, int rep, int i);

static void interleave(const char* key, op_fn fn, side_t* sides, int rep,
                       int n) {
  double spent[2] = {0, 0};
  for (int start = 0, chunk = 0; start < n; start += CHUNK_OPS, chunk++) {
    int end = start + CHUNK_OPS < n ? start + CHUNK_OPS : n;
    for (int k = 0; k < 2; k++) {
      int si = (k + rep + chunk) % 2;
      double t0 = now_s();
      for (int i = start; i < end; i++) fn(&sides[si], rep, i);
      spent[si] += now_s() - t0;
    }
  }
  record(key, &sides[0], rep, spent[0] / n);
  record(key, &sides[1], rep, spent[1] / n);
}

static const char* deep_path = "/s1/s2/s3/file"; /* made by setup_side() */

static void op_stat(const side_t* s, int rep, int i) {
  struct stat st;
  (void)rep;
  (void)i;
  ck(s_stat(s, deep_path, &st, 0), s->name, "stat", deep_path);
}

static void op_lstat(const side_t* s, int rep, int i) {
  struct stat st;
  (void)rep;
  (void)i;
  ck(s_stat(s, deep_path, &st, 1), s->name, "lstat", deep_path);
}

static void op_create(const side_t* s, int rep, int i) {
  char p[64];
  snprintf(p, sizeof p, "/files%d/f%05d", rep, i);
  int fd = (int)ck(s_open(s, p, O_CREAT | O_EXCL | O_WRONLY, 0644), s->name,
                   "open", p);
  ck(s_close(s, fd), s->name, "close", p);
}

static void op_unlink(const side_t* s, int rep, int i) {
  char p[64];
  snprintf(p, sizeof p, "/files%d/f%05d", rep, i);
  ck(s_unlink(s, p), s->name, "unlink", p);
}

static void op_mkdir(const side_t* s, int rep, int i) {
  char p[64];
  snprintf(p, sizeof p, "/files%d/d%05d", rep, i);
  ck(s_mkdir(s, p), s->name, "mkdir", p);
}

static void op_rmdir(const side_t* s, int rep, int i) {
  char p[64];
  snprintf(p, sizeof p, "/files%d/d%05d", rep, i);
  ck(s_rmdir(s, p), s->name, "rmdir", p);
}

static void op_write4k(const side_t* s, int rep, int i) {
  char p[64];
  snprintf(p, sizeof p, "/files%d/w%05d", rep, i);
  int fd = (int)ck(s_open(s, p, O_CREAT | O_TRUNC | O_WRONLY, 0644), s->name,
                   "open", p);
  if (ck(s_write(s, fd, small_buf, SMALL), s->name, "write", p) != SMALL)
    die("%s: short write on %s", s->name, p);
  ck(s_close(s, fd), s->name, "close", p);
}

static void op_unlink_w(const side_t* s, int rep, int i) {
  char p[64];
  snprintf(p, sizeof p, "/files%d/w%05d", rep, i);
  ck(s_unlink(s, p), s->name, "unlink", p);
}

static void bench_metadata(side_t* sides, int rep) {
  char d[64];
  snprintf(d, sizeof d, "/files%d", rep);
  for (int k = 0; k < 2; k++) ck(s_mkdir(&sides[k], d), sides[k].name, "mkdir", d);
  interleave("stat", op_stat, sides, rep, NSTAT);
  interleave("lstat", op_lstat, sides, rep, NSTAT);
  interleave("create", op_create, sides, rep, NFILES);
  interleave("unlink", op_unlink, sides, rep, NFILES);
  interleave("mkdir", op_mkdir, sides, rep, NFILES);
  interleave("rmdir", op_rmdir, sides, rep, NFILES);
  interleave("write4k", op_write4k, sides, rep, NFILES);
  for (int k = 0; k < 2; k++) {
    for (int i = 0; i < NFILES; i++) op_unlink_w(&sides[k], rep, i);
    ck(s_rmdir(&sides[k], d), sides[k].name, "rmdir", d);
  }
}

/* Full listings of /big (10000 entries), the sides taking turns. */
#define NLIST 4

static void bench_readdir(side_t* sides, int rep) {
  double spent[2] = {0, 0};
  for (int k = 0; k < 2 * NLIST; k++) {
    int si = (k + rep) % 2;
    double t0 = now_s();
    long n = s_listdir(&sides[si], "/big");
    spent[si] += now_s() - t0;
    if (n != NDIRENT + 2)
      die("%s: listing /big returned %ld entries, expected %d", sides[si].name,
          n, NDIRENT + 2);
  }
  record("readdir", &sides[0], rep, spent[0] / NLIST);
  record("readdir", &sides[1], rep, spent[1] / NLIST);
}

static void bench_seqwrite(const side_t* s, int rep) {
  const char* p = "/seq";
  long long total = (long long)seq_mb << 20;
  double t0 = now_s();
  int fd = (int)ck(s_open(s, p, O_CREAT | O_TRUNC | O_WRONLY, 0644), s->name,
                   "open", p);
  for (long long done = 0; done < total; done += IO_CHUNK) {
    big_buf[0] = (char)(done >> 20); /* not all blocks identical */
    if (ck(s_write(s, fd, big_buf, IO_CHUNK), s->name, "write", p) != IO_CHUNK)
      die("%s: short write on %s", s->name, p);
  }
  ck(s_close(s, fd), s->name, "close", p);
  record("seqwrite", s, rep, (double)total / (now_s() - t0));
}

static void bench_seqread(const side_t* s, int rep) {
  const char* p = "/seq";
  long long total = (long long)seq_mb << 20, done = 0;
  ssize_t r;
  double t0 = now_s();
  int fd = (int)ck(s_open(s, p, O_RDONLY, 0), s->name, "open", p);
  while ((r = s_read(s, fd, big_buf, IO_CHUNK)) > 0) done += r;
  ck(r, s->name, "read", p);
  ck(s_close(s, fd), s->name, "close", p);
  record("seqread", s, rep, (double)done / (now_s() - t0));
  if (done != total)
    die("%s: read %lld bytes of %s, expected %lld", s->name, done, p, total);
}

static void bench_randread(const side_t* s, int rep) {
  const char* p = "/seq";
  uint64_t blocks = ((uint64_t)seq_mb << 20) / SMALL, seed = 0x9e3779b97f4a7c15ull;
  int fd = (int)ck(s_open(s, p, O_RDONLY, 0), s->name, "open", p);
  double t0 = now_s();
  for (int i = 0; i < NRAND; i++) {
    off_t off = (off_t)(rng_next(&seed) % blocks) * SMALL;
    if (ck(s_pread(s, fd, small_buf, SMALL, off), s->name, "pread", p) != SMALL)
      die("%s: short pread on %s", s->name, p);
  }
  record("randread", s, rep, (double)NRAND * SMALL / (now_s() - t0));
  ck(s_close(s, fd), s->name, "close", p);
}

/* One-time layout: the 3-deep file and the big directory. */
static void setup_side(const side_t* s) {
  char p[256];
  const char* dirs[] = {"/s1", "/s1/s2", "/s1/s2/s3", "/big"};
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    ck(s_mkdir(s, dirs[i]), s->name, "mkdir", dirs[i]);
  int fd = (int)ck(s_open(s, "/s1/s2/s3/file", O_CREAT | O_WRONLY, 0644),
                   s->name, "open", "/s1/s2/s3/file");
  ck(s_close(s, fd), s->name, "close", "/s1/s2/s3/file");
  for (int i = 0; i < NDIRENT; i++) {
    snprintf(p, sizeof p, "/big/entry-%05d", i);
    fd = (int)ck(s_open(s, p, O_CREAT | O_WRONLY, 0644), s->name, "open", p);
    ck(s_close(s, fd), s->name, "close", p);
  }
}

typedef void (*bench_fn)(const side_t*, int);

/*
 * Run fn on both sides for repetition rep, alternating who goes first.
 * With flush set, dirty data of earlier steps is written back first
 * (untimed), so that neither side pays for the other's writeback. Caches are
 * never dropped.
 */
static void both(bench_fn fn, side_t* sides, int rep, int flush) {
  int first = rep % 2;
  if (flush) sync();
  fn(&sides[first], rep);
  if (flush) sync();
  fn(&sides[1 - first], rep);
}

/* ----------------------------------------------------------- reporting */

static void finish(int reps) {
  for (int i = 0; i < NRESULTS; i++) {
    result_t* r = &results[i];
    r->host_med = median(r->host, reps);
    r->engine_med = median(r->engine, reps);
    if (r->is_io) {
      r->ratio = r->engine_med / r->host_med;
      r->met = r->ratio >= r->goal;
    } else {
      r->ratio = r->engine_med / r->host_med;
      r->met = r->ratio <= r->goal;
    }
  }
}

static void print_table(long reps) {
  int met = 0;
  printf("\n%-38s %12s %12s %9s %8s  %s\n", "operation", "host", "engine",
         "ratio", "goal", "result");
  for (int i = 0; i < NRESULTS; i++) {
    const result_t* r = &results[i];
    char h[32], e[32], ratio[32], goal[32];
    if (r->is_io) {
      snprintf(h, sizeof h, "%.0f MB/s", r->host_med / 1e6);
      snprintf(e, sizeof e, "%.0f MB/s", r->engine_med / 1e6);
      snprintf(ratio, sizeof ratio, "%.0f%%", r->ratio * 100);
      snprintf(goal, sizeof goal, ">=%.0f%%", r->goal * 100);
    } else {
      snprintf(h, sizeof h, "%.2f us", r->host_med * 1e6);
      snprintf(e, sizeof e, "%.2f us", r->engine_med * 1e6);
      snprintf(ratio, sizeof ratio, "%.2fx", r->ratio);
      snprintf(goal, sizeof goal, "<=%.0fx", r->goal);
    }
    printf("%-38s %12s %12s %9s %8s  %s\n", r->label, h, e, ratio, goal,
           r->met ? "met" : "MISSED");
    met += r->met;
  }
  printf("\n%d of %d goals met (median of %ld runs; latency ratio = engine/host"
         " time, I/O ratio = engine/host throughput)\n",
         met, NRESULTS, reps);
}

/* Write s as a JSON string literal. */
static void json_str(FILE* f, const char* s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

static int write_json(const char* path, long reps, const char* dir) {
  FILE* f = fopen(path, "w");
  if (f == NULL) {
    fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  fprintf(f, "{\n  \"benchmark\": \"libdingofs native\",\n");
  fprintf(f, "  \"version\": \"%s\",\n", dingofs_x_version(NULL));
  fprintf(f, "  \"repeat\": %ld,\n  \"seq_mb\": %ld,\n", reps, seq_mb);
  fprintf(f, "  \"dir\": ");
  json_str(f, dir);
  fprintf(f, ",\n  \"results\": [\n");
  for (int i = 0; i < NRESULTS; i++) {
    const result_t* r = &results[i];
    fprintf(f,
            "    {\"op\": \"%s\", \"label\": \"%s\", \"unit\": \"%s\", "
            "\"host\": %.6g, \"engine\": %.6g, \"ratio\": %.4f, "
            "\"goal\": \"%s%g\", \"met\": %s,\n     \"host_runs\": [",
            r->key, r->label, r->is_io ? "MB/s" : "us/op",
            r->is_io ? r->host_med / 1e6 : r->host_med * 1e6,
            r->is_io ? r->engine_med / 1e6 : r->engine_med * 1e6, r->ratio,
            r->is_io ? ">=" : "<=", r->goal, r->met ? "true" : "false");
    for (int k = 0; k < reps; k++)
      fprintf(f, "%s%.6g", k ? ", " : "",
              r->is_io ? r->host[k] / 1e6 : r->host[k] * 1e6);
    fprintf(f, "], \"engine_runs\": [");
    for (int k = 0; k < reps; k++)
      fprintf(f, "%s%.6g", k ? ", " : "",
              r->is_io ? r->engine[k] / 1e6 : r->engine[k] * 1e6);
    fprintf(f, "]}%s\n", i + 1 < NRESULTS ? "," : "");
  }
  fprintf(f, "  ]\n}\n");
  if (fclose(f) != 0) {
    fprintf(stderr, "bench: cannot write %s\n", path);
    return -1;
  }
  return 0;
}

/* ---------------------------------------------------------------- main */

int main(void) {
  const char* parent = getenv("BENCH_DIR");
  const char* json = getenv("BENCH_JSON");
  const char* keep = getenv("BENCH_KEEP");
  long reps = env_long("BENCH_REPEAT", 5, 1, MAX_REPEAT);
  char scratch[4096], addr[8192], logdir[4200];
  side_t sides[2];
  double t_start = now_s();
  int embedded = 0;

  seq_mb = env_long("BENCH_SEQ_MB", 1024, 1, 1 << 20);
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (parent == NULL || *parent == '\0') parent = ".";
  if (mkdir(parent, 0755) != 0 && errno != EEXIST) {
    fprintf(stderr, "bench: cannot create %s: %s\n", parent, strerror(errno));
    return 2;
  }
  snprintf(scratch, sizeof scratch, "%s/run.XXXXXX", parent);
  if (mkdtemp(scratch) == NULL) {
    fprintf(stderr, "bench: mkdtemp in %s: %s\n", parent, strerror(errno));
    return 2;
  }
  if (realpath(scratch, addr) != NULL &&
      snprintf(scratch, sizeof scratch, "%s", addr) >= (int)sizeof scratch) {
    fprintf(stderr, "bench: path too long: %s\n", addr);
    return 2;
  }

  /* Host side: scratch/host. Engine side: local://bench?base=scratch/engine */
  memset(sides, 0, sizeof sides);
  sides[0].name = "host";
  if (strlen(scratch) > 2048 ||
      snprintf(sides[0].root, sizeof sides[0].root, "%s/host", scratch) >=
          (int)sizeof sides[0].root) {
    fprintf(stderr, "bench: BENCH_DIR path too long\n");
    return 2;
  }
  sides[1].name = "engine";
  sides[1].is_engine = 1;
  if (mkdir(sides[0].root, 0755) != 0) {
    fprintf(stderr, "bench: mkdir %s: %s\n", sides[0].root, strerror(errno));
    return 2;
  }
  snprintf(addr, sizeof addr, "local://bench?base=%s/engine", scratch);
  snprintf(logdir, sizeof logdir, "%s/log", scratch);
  if (mkdir(logdir, 0755) != 0) {
    fprintf(stderr, "bench: mkdir %s: %s\n", logdir, strerror(errno));
    return 2;
  }
  sides[1].h = dingofs_new();
  if (sides[1].h == 0) die("dingofs_new failed");
  ck(dingofs_conf_set(sides[1].h, "log.dir", logdir), "engine", "conf_set",
     "log.dir");
  ck(dingofs_mount(sides[1].h, addr, "bench", "/bench"), "engine", "mount",
     addr);

  small_buf = malloc(SMALL);
  big_buf = malloc(IO_CHUNK);
  if (small_buf == NULL || big_buf == NULL) die("out of memory");
  for (int i = 0; i < IO_CHUNK; i++) big_buf[i] = (char)(i * 131 + 7);
  memset(small_buf, 'x', SMALL);

  const char* version = dingofs_x_version(&embedded);
  printf("libdingofs %s (%s) vs host, scratch %s\n", version,
         embedded ? "embedded engine" : "not the embedded engine", scratch);
  printf("repeat %ld, sequential file %ld MiB\n", reps, seq_mb);

  setup_side(&sides[0]);
  setup_side(&sides[1]);
  printf("setup done (%.1f s)\n", now_s() - t_start);

  /* Metadata first, then data: the large files' writeback and deletion
   * would otherwise disturb the metadata timings. */
  for (int rep = 0; rep < reps; rep++) {
    double t0 = now_s();
    bench_metadata(sides, rep);
    bench_readdir(sides, rep);
    printf("metadata run %d/%ld done (%.1f s)\n", rep + 1, reps, now_s() - t0);
  }
  /* One untimed pass first: the first large write into memory the system
   * has not used yet is much slower than later ones and would decide the
   * first run alone. */
  warming_up = 1;
  both(bench_seqwrite, sides, 0, 1);
  both(bench_seqread, sides, 0, 0);
  ck(s_unlink(&sides[0], "/seq"), "host", "unlink", "/seq");
  ck(s_unlink(&sides[1], "/seq"), "engine", "unlink", "/seq");
  warming_up = 0;
  for (int rep = 0; rep < reps; rep++) {
    double t0 = now_s();
    both(bench_seqwrite, sides, rep, 1);
    both(bench_seqread, sides, rep, 0);
    both(bench_randread, sides, rep, 0);
    ck(s_unlink(&sides[0], "/seq"), "host", "unlink", "/seq");
    ck(s_unlink(&sides[1], "/seq"), "engine", "unlink", "/seq");
    printf("data run %d/%ld done (%.1f s)\n", rep + 1, reps, now_s() - t0);
  }

  ck(dingofs_umount(sides[1].h), "engine", "umount", addr);
  dingofs_delete(sides[1].h);

  finish((int)reps);
  print_table(reps);
  printf("total time %.1f s\n", now_s() - t_start);
  int rc = 0;
  if (json != NULL && *json != '\0') {
    if (write_json(json, reps, scratch) != 0)
      rc = 1;
    else
      printf("JSON written to %s\n", json);
  }
  if (keep == NULL || strcmp(keep, "1") != 0)
    nftw(scratch, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
  else
    printf("scratch kept: %s\n", scratch);
  free(small_buf);
  free(big_buf);
  return rc;
}

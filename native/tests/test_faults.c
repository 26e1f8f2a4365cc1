/*
 * I/O-error injection, in the manner of SQLite's own tests: the N-th call of
 * the workload thread to a libc function that can fail (open, openat, read,
 * pread, write, pwrite, fsync, fdatasync, ftruncate, fallocate, rename,
 * unlink, mkdir) fails with EIO (or ENOSPC), for N = 1, 2, 3, ... until the
 * workload runs through without reaching N. After every run:
 *
 *   - a fault that hit a data path (write, sync) was reported by the call
 *     of the workload that made it;
 *   - a failed fsync stays failed: the next fsync of the same file fails too;
 *   - a new handle mounts, fsck finds nothing, and every file whose last
 *     change was followed by a successful fsync reads back exactly.
 *
 * The functions are interposed by defining them in this program (linked with
 * -rdynamic, so the SQLite library binds to them as well); the real ones come
 * from dlsym(RTLD_NEXT). Only the thread that runs the workload counts calls,
 * so a sweep is repeatable whatever the engine's background threads do.
 *
 * DINGOFS_FAULT_SWEEP=full runs every N of every mode; the default runs every
 * N up to 60 and every 7th after that (the whole range is still covered);
 * =short (the sanitizer build) every N up to 30 and every 17th after that.
 * DINGOFS_FAULT_START=N starts the sweep at N, DINGOFS_FAULT_N=N ends it
 * there, DINGOFS_FAULT_TRACE=1 prints a backtrace of each injected fault.
 */
#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdarg.h>

#include "helpers.h"

/* ------------------------------------------------------------ injection */

static __thread int fi_armed;
static long fi_target;  /* 1-based call number to fail; 0 = never */
static long fi_count;   /* calls counted in this run */
static int fi_errno = EIO;
static int fi_persist;  /* 1: every call from the target on fails (a dead disk) */
static int fi_fired;
static char fi_what[48];
static char fi_during[48];
static const char* cur_op = "";
static int fi_only_space;  /* count only calls that can report ENOSPC */
static int fi_only_writes; /* count only calls that change the disk */
/* Count only calls made after the workload's first write to the store's
 * journal (the commit of its change): the journal writes themselves never
 * fail then, so the commit goes through and what follows it fails. */
static int fi_after_commit;
static int fi_seen_commit;

/* Arms one run: fail call number `target` (counted as the flags say) with
 * err; every count and record of the previous run is reset first. */
static void fi_arm(int err, int persist, int only_space, int only_writes, int after_commit,
                   long target) {
  fi_errno = err;
  fi_persist = persist;
  fi_only_space = only_space;
  fi_only_writes = only_writes;
  fi_after_commit = after_commit;
  fi_seen_commit = 0;
  fi_count = 0;
  fi_fired = 0;
  fi_what[0] = '\0';
  fi_during[0] = '\0';
  __atomic_store_n(&fi_target, target, __ATOMIC_SEQ_CST);
}

/* kind: 1 = can report ENOSPC, 2 = changes the disk. */
static int fi_hit(const char* name, int kind) {
  if (!fi_armed || fi_target == 0) return 0;
  if (fi_after_commit && !fi_seen_commit) return 0;
  if (fi_only_space && !(kind & 1)) return 0;
  if (fi_only_writes && !(kind & 2)) return 0;
  long count = __atomic_add_fetch(&fi_count, 1, __ATOMIC_RELAXED);
  if (count == fi_target || (fi_persist && count > fi_target)) {
    if (__atomic_fetch_add(&fi_fired, 1, __ATOMIC_RELAXED) == 0) {
      snprintf(fi_what, sizeof fi_what, "%s", name);
      snprintf(fi_during, sizeof fi_during, "%s", cur_op);
      if (getenv("DINGOFS_FAULT_TRACE") != NULL) {
        void* frames[32];
        backtrace_symbols_fd(frames, backtrace(frames, 32), 2);
      }
    }
    errno = fi_errno;
    return 1;
  }
  return 0;
}

/* 1 when fd is the store's journal (meta.db-wal). */
static int fd_is_journal(int fd) {
  char link[64], target[1024];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n < 4) return 0;
  target[n] = '\0';
  return strcmp(target + n - 4, "-wal") == 0;
}

/* In the after-commit mode: a write of the workload to the journal, which
 * goes through and opens the count. */
static int fi_journal_write(int fd) {
  if (!fi_after_commit || !fi_armed || !fd_is_journal(fd)) return 0;
  fi_seen_commit = 1;
  return 1;
}

#define REAL(name) \
  static __typeof__(name)* real_fn; \
  if (real_fn == NULL) real_fn = (__typeof__(name)*)dlsym(RTLD_NEXT, #name)

static mode_t open_mode(int flags, va_list ap) {
  return (flags & (O_CREAT | __O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

static int open_kind(int flags) {
  return ((flags & O_CREAT) ? 1 : 0) | ((flags & O_ACCMODE) != O_RDONLY ? 2 : 0) |
         ((flags & (O_CREAT | O_TRUNC)) ? 2 : 0);
}

int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t m = open_mode(flags, ap);
  va_end(ap);
  REAL(open);
  if (fi_hit("open", open_kind(flags))) return -1;
  return real_fn(path, flags, m);
}

int open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t m = open_mode(flags, ap);
  va_end(ap);
  REAL(open64);
  if (fi_hit("open64", open_kind(flags))) return -1;
  return real_fn(path, flags, m);
}

int openat(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t m = open_mode(flags, ap);
  va_end(ap);
  REAL(openat);
  if (fi_hit("openat", open_kind(flags))) return -1;
  return real_fn(dirfd, path, flags, m);
}

ssize_t read(int fd, void* buf, size_t n) {
  REAL(read);
  if (fi_hit("read", 0)) return -1;
  return real_fn(fd, buf, n);
}

ssize_t pread(int fd, void* buf, size_t n, off_t off) {
  REAL(pread);
  if (fi_hit("pread", 0)) return -1;
  return real_fn(fd, buf, n, off);
}

ssize_t pread64(int fd, void* buf, size_t n, off_t off) {
  REAL(pread64);
  if (fi_hit("pread64", 0)) return -1;
  return real_fn(fd, buf, n, off);
}

ssize_t write(int fd, const void* buf, size_t n) {
  REAL(write);
  if (fi_journal_write(fd)) return real_fn(fd, buf, n);
  if (fi_hit("write", 3)) return -1;
  return real_fn(fd, buf, n);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  REAL(pwrite);
  if (fi_journal_write(fd)) return real_fn(fd, buf, n, off);
  if (fi_hit("pwrite", 3)) return -1;
  return real_fn(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off_t off) {
  REAL(pwrite64);
  if (fi_journal_write(fd)) return real_fn(fd, buf, n, off);
  if (fi_hit("pwrite64", 3)) return -1;
  return real_fn(fd, buf, n, off);
}

/* Background faults: every data sync of a thread other than the workload's
 * fails while fi_other is set. */
static __thread int fi_is_workload;
static int fi_other;
static int fi_other_fired;

static int fi_other_hit(int fd) {
  struct stat st;
  if (!__atomic_load_n(&fi_other, __ATOMIC_SEQ_CST) || fi_is_workload) return 0;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  __atomic_add_fetch(&fi_other_fired, 1, __ATOMIC_SEQ_CST);
  errno = EIO;
  return 1;
}

/* SQLite syncs a directory after creating a file in it and ignores a
 * failure there on purpose (not every filesystem can): named apart. */
static const char* sync_name(int fd, const char* name, const char* dir_name) {
  struct stat st;
  if (fi_after_commit && fi_armed && fd_is_journal(fd)) return "sync of the journal";
  return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) ? dir_name : name;
}

int fsync(int fd) {
  REAL(fsync);
  if (fi_other_hit(fd)) return -1;
  if (fi_hit(sync_name(fd, "fsync", "fsync of a directory"), 3)) return -1;
  return real_fn(fd);
}

int fdatasync(int fd) {
  REAL(fdatasync);
  if (fi_other_hit(fd)) return -1;
  if (fi_hit(sync_name(fd, "fdatasync", "fdatasync of a directory"), 3)) return -1;
  return real_fn(fd);
}

int ftruncate(int fd, off_t len) {
  REAL(ftruncate);
  if (fi_hit("ftruncate", 3)) return -1;
  return real_fn(fd, len);
}

int ftruncate64(int fd, off_t len) {
  REAL(ftruncate64);
  if (fi_hit("ftruncate64", 3)) return -1;
  return real_fn(fd, len);
}

int fallocate(int fd, int mode, off_t off, off_t len) {
  REAL(fallocate);
  if (fi_hit("fallocate", 3)) return -1;
  return real_fn(fd, mode, off, len);
}

int fallocate64(int fd, int mode, off_t off, off_t len) {
  REAL(fallocate64);
  if (fi_hit("fallocate64", 3)) return -1;
  return real_fn(fd, mode, off, len);
}

int rename(const char* a, const char* b) {
  REAL(rename);
  if (fi_hit("rename", 3)) return -1;
  return real_fn(a, b);
}

int renameat(int da, const char* a, int db, const char* b) {
  REAL(renameat);
  if (fi_hit("renameat", 3)) return -1;
  return real_fn(da, a, db, b);
}

int unlink(const char* path) {
  REAL(unlink);
  if (fi_hit("unlink", 2)) return -1;
  return real_fn(path);
}

int mkdir(const char* path, mode_t mode) {
  REAL(mkdir);
  if (fi_hit("mkdir", 3)) return -1;
  return real_fn(path, mode);
}

/* ------------------------------------------------------------ the model */

#define NFILES 6

/* What a file must hold after a remount, when it is known. */
struct expect {
  const char* path;
  int known;  /* 1: its last change was followed by a successful fsync */
  unsigned char data[90000];
  size_t len;
};

static struct expect model[NFILES] = {
    {"/w/a", 0, {0}, 0}, {"/w/b", 0, {0}, 0}, {"/w/c", 0, {0}, 0},
    {"/w/d", 0, {0}, 0}, {"/w/e", 0, {0}, 0}, {"/w/big", 0, {0}, 0},
};

struct run {
  int errors;          /* workload calls that returned an error */
  int data_errors;     /* ... of them write, pwrite, fsync, truncate */
  int not_sticky;      /* an fsync that succeeded right after one failed */
  int bad_reads;       /* a read that succeeded with wrong bytes */
  long first_err;      /* the first error a workload call returned (-errno) */
};

static int fail_if(struct run* r, long rc, int data) {
  if (rc >= 0) return 0;
  if (r->errors == 0) r->first_err = rc;
  r->errors++;
  if (data) r->data_errors++;
  return 1;
}

/* fsync fd; on failure, a second fsync must fail as well. */
static int sync_file(uintptr_t h, int fd, struct run* r) {
  int rc = dingofs_fsync(h, fd, 1);
  if (fail_if(r, rc, 1)) {
    if (dingofs_fsync(h, fd, 1) == 0 || dingofs_fsync(h, fd, 0) == 0) r->not_sticky++;
    return -1;
  }
  return 0;
}

/* Creates (or rewrites) model[i] with len bytes of seed, fsyncs it. */
static void put(uintptr_t h, int i, size_t len, unsigned seed, int do_sync, struct run* r) {
  struct expect* e = &model[i];
  cur_op = e->path;
  e->known = 0;
  int fd = dingofs_open(h, e->path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fail_if(r, fd, 0)) return;
  fill_pattern(e->data, len, seed);
  size_t done = 0;
  int ok = 1;
  while (done < len) {
    size_t n = len - done > 16384 ? 16384 : len - done;
    ssize_t w = dingofs_write(h, fd, e->data + done, n);
    if (w <= 0) {
      fail_if(r, w < 0 ? (long)w : -1, 1);
      ok = 0;
      break;
    }
    done += (size_t)w;
  }
  e->len = len;
  if (ok && do_sync && sync_file(h, fd, r) == 0) e->known = 1;
  if (fail_if(r, dingofs_close(h, fd), 0)) e->known = 0;
}

/* Changes bytes in the middle of model[i] and fsyncs. */
static void patch(uintptr_t h, int i, size_t off, size_t len, unsigned seed, struct run* r) {
  struct expect* e = &model[i];
  int was = e->known;
  e->known = 0;
  if (!was || off + len > e->len) return;
  cur_op = "patch";
  int fd = dingofs_open(h, e->path, O_RDWR, 0);
  if (fail_if(r, fd, 0)) return;
  unsigned char buf[8192];
  fill_pattern(buf, len, seed);
  ssize_t w = dingofs_pwrite(h, fd, buf, len, (off_t)off);
  if (w == (ssize_t)len) {
    memcpy(e->data + off, buf, len);
    if (sync_file(h, fd, r) == 0) e->known = 1;
  } else {
    fail_if(r, w < 0 ? (long)w : -1, 1);
  }
  if (fail_if(r, dingofs_close(h, fd), 0)) e->known = 0;
}

/* Reads model[i] back through h: a read that succeeds returns the model. */
static void check_read(uintptr_t h, int i, struct run* r) {
  struct expect* e = &model[i];
  if (!e->known) return;
  cur_op = "read";
  static unsigned char buf[90000];
  ssize_t n = get_file(h, e->path, buf, sizeof buf);
  if (fail_if(r, n, 0)) return;
  if ((size_t)n != e->len || memcmp(buf, e->data, e->len) != 0) r->bad_reads++;
}

static void workload(uintptr_t h, struct run* r) {
  cur_op = "namespace";
  fail_if(r, dingofs_mkdir(h, "/w", 0755), 0);
  put(h, 0, 10000, 1, 1, r);
  put(h, 1, 3000, 2, 0, r);
  cur_op = "namespace";
  fail_if(r, dingofs_setxattr(h, "/w/a", "user.k", "value", 5, 0), 0);
  fail_if(r, dingofs_rename(h, "/w/b", "/w/b2"), 0);
  put(h, 2, 70000, 3, 1, r);
  put(h, 5, 85000, 4, 1, r);
  patch(h, 0, 100, 5000, 5, r);
  check_read(h, 0, r);
  cur_op = "namespace";
  fail_if(r, dingofs_truncate(h, "/w/c", 5000), 1);
  model[2].known = 0; /* truncated without a sync of its own */
  fail_if(r, dingofs_unlink(h, "/w/b2"), 0);
  fail_if(r, dingofs_mkdir(h, "/w/sub", 0755), 0);
  fail_if(r, dingofs_symlink(h, "a", "/w/sub/ln"), 0);
  fail_if(r, dingofs_link(h, "/w/a", "/w/sub/hard"), 0);
  put(h, 3, 1, 6, 1, r);
  cur_op = "namespace";
  fail_if(r, dingofs_removexattr(h, "/w/a", "user.k"), 0);
  put(h, 4, 20000, 7, 1, r);
  cur_op = "namespace";
  if (!fail_if(r, dingofs_rename(h, "/w/e", "/w/d"), 0)) { /* over an existing name */
    model[3] = model[4];
    model[3].path = "/w/d";
    model[4].known = 0;
  }
  if (!fail_if(r, dingofs_unlink(h, "/w/big"), 0)) model[5].known = 0;
  (void)dingofs_rmdir(h, "/w/sub"); /* not empty, unless the link calls failed */
  check_read(h, 2, r);
  check_read(h, 3, r);
  patch(h, 3, 10, 100, 8, r);
  check_read(h, 3, r);
}

/* ------------------------------------------------------------ the sweep */

struct mode {
  const char* name;
  int err;
  int persist;
  int only_space;
  int only_writes;
};

static const struct mode kModes[] = {
    {"EIO, one call", EIO, 0, 0, 0},
    {"ENOSPC, one call", ENOSPC, 0, 1, 0},
    {"EIO from the call on (a dead disk)", EIO, 1, 0, 0},
    /* What a filesystem remounted read-only after an error does (a tmpfs
     * or ext4 cannot be remounted read-only while files are open for
     * writing, so this is how the test gets there). */
    {"EROFS for every change from the call on (storage turned read-only)", EROFS, 1, 0, 1},
};

/* The step from one N to the next: 1 for the full sweep, else 1 up to 60
 * and 7 after that (DINGOFS_FAULT_SWEEP=short: 1 up to 30, then 17). */
static long sweep_step(long n) {
  const char* s = getenv("DINGOFS_FAULT_SWEEP");
  if (s != NULL && strcmp(s, "full") == 0) return 1;
  if (s != NULL && strcmp(s, "short") == 0) return n < 30 ? 1 : 17;
  return n < 60 ? 1 : 7;
}

/* One run with the fault at call n; returns 1 when the fault fired. */
static int one_run(const struct mode* m, long n, int* failures) {
  char name[32];
  snprintf(name, sizeof name, "f%ld%c", n,
           m->only_writes ? 'r' : m->persist ? 'p' : m->only_space ? 's' : 'e');
  for (int i = 0; i < NFILES; i++) model[i].known = 0;
  model[3].path = "/w/d";
  model[4].path = "/w/e";

  struct run r;
  memset(&r, 0, sizeof r);
  fi_arm(m->err, m->persist, m->only_space, m->only_writes, 0, n);

  uintptr_t h = dingofs_new();
  fi_armed = 1;
  cur_op = "mount";
  int mounted = fs_try_mount(h, name, NULL) == 0;
  if (mounted) workload(h, &r);
  cur_op = "umount";
  int urc = mounted ? dingofs_umount(h) : 0;
  fi_armed = 0;
  dingofs_delete(h);
  int fired = fi_fired > 0;
  int bad = 0;

  /* Only a failed sync must stay failed: a failed write of the journal
   * loses nothing acknowledged, and the next fsync rightly succeeds. */
  if (r.not_sticky && strstr(fi_what, "sync") != NULL && strstr(fi_what, "directory") == NULL) {
    fprintf(stderr, "  [%s] N=%ld (%s during %s): an fsync succeeded right after one failed\n",
            m->name, n, fi_what, fi_during);
    bad = 1;
  }
  if (r.bad_reads) {
    fprintf(stderr, "  [%s] N=%ld (%s): a read returned wrong bytes without an error\n", m->name,
            n, fi_what);
    bad = 1;
  }
  /* A fault in a call that moves file data must reach the caller. */
  if (fired && !m->persist && mounted &&
      strstr(fi_what, "sync") != NULL && strstr(fi_what, "directory") == NULL &&
      r.data_errors == 0 && urc == 0) {
    fprintf(stderr, "  [%s] N=%ld: the failed %s during %s was not reported\n", m->name, n,
            fi_what, fi_during);
    bad = 1;
  }

  /* A fault in the workload reaches one of its calls, unless the engine
   * rightly gets past it: ENOSPC in a change that frees space (it retries
   * with the space reserve) or in an access-time update (best effort), and
   * the unlink of a removed file's data after the removal committed (tried
   * again at umount, else by the next mount's recovery; fsck below checks). */
  if (fired && !m->persist && mounted && r.errors == 0 && strcmp(fi_during, "mount") != 0 &&
      strcmp(fi_during, "umount") != 0 && m->err != ENOSPC && strcmp(fi_what, "unlink") != 0) {
    fprintf(stderr, "  [%s] N=%ld: %s during %s: no call reported an error\n", m->name, n,
            fi_what, fi_during);
    bad = 1;
  }

  /* Storage turned read-only: the first call to hear of it gets EROFS. */
  if (fired && m->err == EROFS && mounted && r.errors > 0 && r.first_err != -EROFS &&
      r.first_err != -1) {
    fprintf(stderr, "  [%s] N=%ld: %s during %s: the first error was %ld, not -EROFS\n",
            m->name, n, fi_what, fi_during, r.first_err);
    bad = 1;
  }

  /* Afterwards, without faults: mount, check, read back. */
  uintptr_t h2 = dingofs_new();
  int rc = fs_try_mount(h2, name, NULL);
  if (rc != 0) {
    fprintf(stderr, "  [%s] N=%ld (%s): the remount failed: %d\n", m->name, n, fi_what, rc);
    bad = 1;
  } else {
    struct run r2;
    memset(&r2, 0, sizeof r2);
    for (int i = 0; i < NFILES; i++) check_read(h2, i, &r2);
    if (r2.errors || r2.bad_reads) {
      fprintf(stderr, "  [%s] N=%ld (%s): an fsync'ed file does not read back (%d errors, %d bad)\n",
              m->name, n, fi_what, r2.errors, r2.bad_reads);
      bad = 1;
    }
    if (dingofs_umount(h2) != 0) {
      fprintf(stderr, "  [%s] N=%ld: the clean umount failed\n", m->name, n);
      bad = 1;
    }
  }
  dingofs_delete(h2);
  char addr[1024];
  fs_addr(addr, sizeof addr, name, NULL);
  char* report = NULL;
  int problems = dingofs_x_fsck(addr, 0, &report);
  if (problems != 0) {
    fprintf(stderr, "  [%s] N=%ld (%s): fsck: %d\n%s\n", m->name, n, fi_what, problems,
                report ? report : "");
    bad = 1;
  }
  dingofs_x_free(report);
  if (bad) (*failures)++;
  return fired;
}

static void sweep(const struct mode* m) {
  int failures = 0;
  long n = getenv("DINGOFS_FAULT_START") ? atol(getenv("DINGOFS_FAULT_START")) : 1;
  long runs = 0, fired_runs = 0;
  /* A run without a fault first: the calls a process makes only once (SQLite
   * setting itself up) are out of the way, and run N is the same every time. */
  one_run(m, 0, &failures);
  for (;; runs++) {
    int fired = one_run(m, n, &failures);
    if (!fired) break;
    fired_runs++;
    if (failures > 5) break;
    n += sweep_step(n);
    if (getenv("DINGOFS_FAULT_N") != NULL && n > atol(getenv("DINGOFS_FAULT_N"))) break;
  }
  fprintf(stderr, "  %s: %ld runs, faults at calls 1..%ld, %d failed\n", m->name, runs + 1, n - 1,
          failures);
  CHECK_EQ_INT(failures, 0);
  CHECK(fired_runs > 10); /* the workload does reach the disk */
}

TEST(faults_eio_at_every_call) { sweep(&kModes[0]); }
TEST(faults_enospc_at_every_call) { sweep(&kModes[1]); }
TEST(faults_dead_disk_from_every_call) { sweep(&kModes[2]); }
TEST(faults_read_only_from_every_change) { sweep(&kModes[3]); }

/* A sync that fails in the background checkpointer (its own connection, its
 * own thread) covered the journal every commit goes to: the next fsync of the
 * workload fails, and so does the umount, and nothing is damaged. */
TEST(faults_checkpointer_sync_failure_reaches_the_next_fsync) {
  uintptr_t h = fs_open("ckpt", NULL);
  int fd = dingofs_open(h, "/f", O_RDWR | O_CREAT, 0644);
  REQUIRE(fd >= 0);
  char buf[4096];
  fill_pattern(buf, sizeof buf, 9);
  REQUIRE_EQ_INT(dingofs_write(h, fd, buf, sizeof buf), sizeof buf);
  REQUIRE_EQ_INT(dingofs_fsync(h, fd, 0), 0);
  fi_is_workload = 1;
  __atomic_store_n(&fi_other, 1, __ATOMIC_SEQ_CST);
  /* Commits until the journal asks for a background checkpoint. */
  for (int i = 0; i < 20000 && __atomic_load_n(&fi_other_fired, __ATOMIC_SEQ_CST) == 0; i++) {
    char p[32];
    snprintf(p, sizeof p, "/x%d", i);
    REQUIRE_EQ_INT(dingofs_mkdir(h, p, 0755), 0);
    if (i % 200 == 199) usleep(20000);
  }
  for (int i = 0; i < 500 && __atomic_load_n(&fi_other_fired, __ATOMIC_SEQ_CST) == 0; i++)
    usleep(10000);
  __atomic_store_n(&fi_other, 0, __ATOMIC_SEQ_CST);
  REQUIRE(__atomic_load_n(&fi_other_fired, __ATOMIC_SEQ_CST) > 0);
  CHECK_EQ_INT(dingofs_fsync(h, fd, 0), -EIO);
  CHECK_EQ_INT(dingofs_fsync(h, fd, 1), -EIO);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  CHECK_EQ_INT(dingofs_umount(h), -EIO);
  dingofs_delete(h);
  fi_is_workload = 0;
  uintptr_t h2 = fs_open("ckpt", NULL);
  CHECK(file_equals(h2, "/f", buf, sizeof buf));
  CHECK(path_exists(h2, "/x0"));
  fs_close(h2);
  char addr[1024];
  fs_addr(addr, sizeof addr, "ckpt", NULL);
  CHECK_EQ_INT(dingofs_x_fsck(addr, 0, NULL), 0);
}

/* Group commit under faults: two threads create files at once, so their
 * changes share transactions, while the N-th disk-changing call of either
 * fails with ENOSPC (a batch's commit or one of its statements). Whatever the
 * batch did, every call's answer must match the store afterwards: a create
 * that returned a descriptor made its file, one that failed left nothing. */
#define GF_FILES 60

struct gf_arg {
  uintptr_t h;
  int id;
  int made[GF_FILES];  /* 1: open succeeded, 0: it failed */
};

static void* gf_worker(void* p) {
  struct gf_arg* a = p;
  fi_armed = 1;
  char path[64];
  for (int i = 0; i < GF_FILES; i++) {
    snprintf(path, sizeof path, "/g/t%d_%02d", a->id, i);
    int fd = dingofs_open(a->h, path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    a->made[i] = fd >= 0;
    if (fd >= 0) dingofs_close(a->h, fd);
  }
  fi_armed = 0;
  return NULL;
}

TEST(faults_grouped_commits_answer_what_the_store_holds) {
  int bad = 0, fired = 0;
  for (long n = 1; n <= 120; n += (n < 30 ? 1 : 7)) {
    char name[32];
    snprintf(name, sizeof name, "g%ld", n);
    uintptr_t h = dingofs_new();
    REQUIRE_EQ_INT(fs_try_mount(h, name, NULL), 0);
    REQUIRE_EQ_INT(dingofs_mkdir(h, "/g", 0755), 0);
    fi_arm(ENOSPC, 0, 0, 1, 0, n);
    struct gf_arg a[2];
    memset(a, 0, sizeof a);
    pthread_t t[2];
    for (int k = 0; k < 2; k++) {
      a[k].h = h;
      a[k].id = k;
      REQUIRE(pthread_create(&t[k], NULL, gf_worker, &a[k]) == 0);
    }
    for (int k = 0; k < 2; k++) pthread_join(t[k], NULL);
    __atomic_store_n(&fi_target, 0, __ATOMIC_SEQ_CST);
    if (fi_fired) fired++;
    dingofs_umount(h);
    dingofs_delete(h);
    /* a fresh mount tells what the store holds */
    h = dingofs_new();
    REQUIRE_EQ_INT(fs_try_mount(h, name, NULL), 0);
    for (int k = 0; k < 2; k++)
      for (int i = 0; i < GF_FILES; i++) {
        char path[64];
        snprintf(path, sizeof path, "/g/t%d_%02d", k, i);
        struct stat st;
        int exists = dingofs_stat(h, path, &st) == 0;
        if (exists != a[k].made[i]) {
          fprintf(stderr, "  fault at write %ld: %s %s but open said %s\n", n, path,
                  exists ? "exists" : "is missing", a[k].made[i] ? "made" : "failed");
          bad++;
        }
      }
    dingofs_umount(h);
    dingofs_delete(h);
    char addr[1024];
    fs_addr(addr, sizeof addr, name, NULL);
    char* report = NULL;
    int rc = dingofs_x_fsck(addr, 0, &report);
    if (rc != 0) {
      fprintf(stderr, "  fault at write %ld: fsck = %d\n%s\n", n, rc, report ? report : "");
      bad++;
    }
    dingofs_x_free(report);
  }
  CHECK_EQ_INT(bad, 0);
  CHECK(fired > 0);
}

/* A change whose commit went through and whose later step failed: a small
 * file moves between the inline form (its bytes in the store) and a data
 * file, and the N-th disk-changing call after the commit (the sync of a
 * durable commit's journal, the unlink of the data file the file no longer
 * uses, a write to the data file it now uses, ...) fails with ENOSPC, for
 * N = 1, 2, ... until nothing fails. The change is not made again nor taken
 * back: its call reports the failure, and the handle that made it, a second
 * mount of the filesystem and a later mount all see the committed change;
 * a later growth of the file loses nothing, and fsck is clean. */
#define AC_BIG 70000   /* past the default inline threshold (64 KiB) */
#define AC_SMALL 1000  /* within it */

enum ac_kind { AC_TRUNCATE, AC_FTRUNCATE, AC_OPEN_TRUNC, AC_GROW };

static unsigned char ac_old[2 * AC_BIG + 200];
static unsigned char ac_big[AC_BIG];
static unsigned char ac_more[AC_BIG];
static unsigned char ac_read[2 * AC_BIG + 400];

/* 1 when fd (of h) reads exactly data[0..len), by fstat and pread. */
static int ac_fd_holds(uintptr_t h, int fd, const unsigned char* data, size_t len,
                       const char* who) {
  struct stat st;
  int rc = dingofs_fstat(h, fd, &st);
  ssize_t n = dingofs_pread(h, fd, ac_read, sizeof ac_read, 0);
  if (rc == 0 && st.st_size == (off_t)len && n == (ssize_t)len && memcmp(ac_read, data, len) == 0)
    return 1;
  fprintf(stderr, "  %s: fstat %d size %lld, read %zd, expected %zu bytes%s\n", who, rc,
          (long long)st.st_size, n, len, n == (ssize_t)len ? " (content differs)" : "");
  return 0;
}

/* 1 when path (of h) has size len and reads exactly data[0..len). */
static int ac_path_holds(uintptr_t h, const char* path, const unsigned char* data, size_t len,
                         const char* who) {
  long long size = size_of(h, path);
  if (size != (long long)len) {
    fprintf(stderr, "  %s: stat says %lld bytes, expected %zu\n", who, size, len);
    return 0;
  }
  if (!file_equals(h, path, data, len)) {
    fprintf(stderr, "  %s: content differs\n", who);
    return 0;
  }
  return 1;
}

/* One run with the fault at call n after the commit; returns 1 when it fired. */
static int ac_run(enum ac_kind kind, long n, int* failures) {
  static const char* kNames[] = {"truncate", "ftruncate", "open O_TRUNC", "grow"};
  char name[32];
  snprintf(name, sizeof name, "ac%d_%ld", (int)kind, n);
  const char* path = kind == AC_GROW ? "/g" : "/f";
  int bad = 0;

  uintptr_t h = fs_open(name, NULL);
  uintptr_t h2 = fs_open(name, NULL); /* another mount of the same filesystem */
  size_t old_len, new_len;
  int fd = -1;
  if (kind == AC_GROW) {
    /* 50 committed and synced bytes, 50 more only in the handle's buffer. */
    old_len = 100;
    fill_pattern(ac_old, old_len, 21);
    fd = dingofs_open(h, path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE_EQ_INT(dingofs_pwrite(h, fd, ac_old, 50, 0), 50);
    REQUIRE_EQ_INT(dingofs_fsync(h, fd, 0), 0);
    REQUIRE_EQ_INT(dingofs_pwrite(h, fd, ac_old + 50, 50, 50), 50);
    fill_pattern(ac_big, AC_BIG, 22);
    memcpy(ac_old + old_len, ac_big, AC_BIG);
    new_len = old_len + AC_BIG;
  } else {
    old_len = AC_BIG;
    fill_pattern(ac_old, old_len, 23);
    REQUIRE_EQ_INT(put_file(h, path, ac_old, old_len), 0);
    REQUIRE(ac_path_holds(h2, path, ac_old, old_len, "the other mount before"));
    if (kind == AC_FTRUNCATE) {
      fd = dingofs_open(h, path, O_RDWR, 0);
      REQUIRE(fd >= 0);
    }
    new_len = kind == AC_OPEN_TRUNC ? 0 : AC_SMALL;
  }

  fi_arm(ENOSPC, 0, 0, 1, 1, n);
  fi_what[0] = '\0';
  cur_op = kNames[kind];
  fi_armed = 1;
  long rc;
  if (kind == AC_TRUNCATE)
    rc = dingofs_truncate(h, path, AC_SMALL);
  else if (kind == AC_FTRUNCATE)
    rc = dingofs_ftruncate(h, fd, AC_SMALL);
  else if (kind == AC_OPEN_TRUNC)
    rc = dingofs_open(h, path, O_RDWR | O_TRUNC, 0);
  else
    rc = dingofs_pwrite(h, fd, ac_big, AC_BIG, 100);
  fi_armed = 0;
  fi_after_commit = 0;
  fi_target = 0;
  int fired = fi_fired > 0;
  char what[64];
  snprintf(what, sizeof what, "%s, fault %ld (%s)", kNames[kind], n, fired ? fi_what : "none");

  long ok_rc = kind == AC_GROW ? AC_BIG : 0;
  if (kind == AC_OPEN_TRUNC && rc >= 0) {
    fd = (int)rc; /* the descriptor it opened */
    rc = 0;
  }
  if (fired ? rc != -ENOSPC : rc != ok_rc) {
    fprintf(stderr, "  %s: the call returned %ld, expected %ld\n", what, rc,
            fired ? (long)-ENOSPC : ok_rc);
    bad = 1;
  }
  /* A truncate committed whatever failed after the commit; a write whose
   * call failed wrote nothing (the file only moved to a data file). */
  size_t len = kind == AC_GROW && rc < 0 ? old_len : new_len;
  const unsigned char* data = ac_old;

  /* The handle that made the change. */
  if (fd >= 0 && !ac_fd_holds(h, fd, data, len, what)) bad = 1;
  if (kind == AC_GROW) {
    int crc = dingofs_close(h, fd);
    if (crc != 0) {
      fprintf(stderr, "  %s: close returned %d\n", what, crc);
      bad = 1;
    }
    fd = -1;
  }
  if (!ac_path_holds(h, path, data, len, what)) bad = 1;
  /* Another mount: what the store holds. */
  if (!ac_path_holds(h2, path, data, len, "the other mount")) bad = 1;

  /* The file grows again (a truncated one out of the inline form once more):
   * nothing of it may go missing later. */
  fill_pattern(ac_more, AC_BIG, 24);
  memcpy(ac_old + len, ac_more, AC_BIG);
  size_t final_len = len + AC_BIG;
  int wfd = fd >= 0 ? fd : dingofs_open(h, path, O_RDWR, 0);
  if (wfd < 0 || dingofs_pwrite(h, wfd, ac_more, AC_BIG, (off_t)len) != AC_BIG) {
    fprintf(stderr, "  %s: the later write failed\n", what);
    bad = 1;
  }
  if (wfd >= 0 && dingofs_close(h, wfd) != 0) {
    fprintf(stderr, "  %s: the later close failed\n", what);
    bad = 1;
  }
  if (!ac_path_holds(h2, path, ac_old, final_len, "the other mount, after the growth")) bad = 1;
  /* A failed sync earlier in the mount makes umount report EIO. */
  int u1 = dingofs_umount(h), u2 = dingofs_umount(h2);
  if ((u1 != 0 && u1 != -EIO) || (u2 != 0 && u2 != -EIO)) {
    fprintf(stderr, "  %s: umount returned %d and %d\n", what, u1, u2);
    bad = 1;
  }
  dingofs_delete(h);
  dingofs_delete(h2);

  uintptr_t h3 = fs_open(name, NULL);
  if (!ac_path_holds(h3, path, ac_old, final_len, "a later mount")) bad = 1;
  if (dingofs_umount(h3) != 0) {
    fprintf(stderr, "  %s: the clean umount failed\n", what);
    bad = 1;
  }
  dingofs_delete(h3);
  if (fsck_problems(name) != 0) {
    fprintf(stderr, "  %s: fsck is not clean\n", what);
    bad = 1;
  }
  if (bad) (*failures)++;
  return fired;
}

static void ac_sweep(enum ac_kind kind) {
  int failures = 0, fired = 0;
  long n = 1;
  for (; n < 50 && ac_run(kind, n, &failures); n++) fired++;
  fprintf(stderr, "  %d faults after the commit, %d runs failed\n", fired, failures);
  CHECK_EQ_INT(failures, 0);
  CHECK(fired >= 1);
}

TEST(faults_truncate_to_inline_enospc) { ac_sweep(AC_TRUNCATE); }
TEST(faults_ftruncate_to_inline_enospc) { ac_sweep(AC_FTRUNCATE); }
TEST(faults_grow_out_of_inline_enospc) { ac_sweep(AC_GROW); }
TEST(faults_open_trunc_to_inline_enospc) { ac_sweep(AC_OPEN_TRUNC); }

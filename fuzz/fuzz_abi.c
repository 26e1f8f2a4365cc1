/*
 * fuzz_abi.c - libFuzzer target for the libdingofs C ABI (embedded engine).
 *
 * Each input is a little program for a byte-driven interpreter.  It keeps a
 * few handles (new / mounted / unmounted / deleted), a table of fds and
 * directory handles (live and stale), and builds paths from a small alphabet
 * of names (plus ".", "..", "", over-long names and paths).  Every function of
 * libdingofs.h is reachable, with valid and invalid arguments: NULL where the
 * contract says -EINVAL, stale or foreign fds, unknown handles, negative and
 * huge offsets, bad flags and whences, umount/delete in the middle of a run.
 *
 * Sizes are capped so that one input never needs more than a few MiB of
 * memory or disk: buffers are fixed, allocation lengths are small unless the
 * operation only punches holes, offsets may be huge (files are sparse).
 *
 * Beyond "no crash, no sanitizer report", a few contract rules are checked on
 * every call and a violation aborts (so libFuzzer keeps the input):
 *   - the result is >= 0 or a plausible -errno (-1 .. -4095);
 *   - errno is left untouched;
 *   - handle 0 gives -EINVAL;
 *   - byte counts never exceed what was asked for, readdir never more
 *     entries than the buffer holds, names are NUL-terminated.
 *
 * Every input starts from an empty base directory (a private temporary
 * directory of the process, wiped between inputs) and resets the
 * process-wide options to their defaults, so inputs replay the same way.
 *
 * Build: see fuzz/Makefile (libFuzzer with clang, or the standalone replay
 * driver replay_main.c with any C compiler).
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "dingofs/libdingofs.h"

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif

/* ------------------------------------------------------------------------ */
/* Input reader                                                              */
/* ------------------------------------------------------------------------ */

typedef struct {
  const uint8_t* p;
  size_t n;
} reader_t;

static uint8_t u8(reader_t* r) {
  if (r->n == 0) return 0;
  r->n--;
  return *r->p++;
}
/* Every read is its own statement: C leaves the order of evaluation of
 * operands and arguments unspecified, and an input must mean the same
 * program whichever compiler built the target (clang for libFuzzer, gcc for
 * the replay). */
static uint16_t u16(reader_t* r) {
  uint16_t lo = u8(r);
  uint16_t hi = u8(r);
  return (uint16_t)(lo | (hi << 8));
}
static uint32_t u32(reader_t* r) {
  uint32_t lo = u16(r);
  uint32_t hi = u16(r);
  return lo | (hi << 16);
}
static uint64_t u64(reader_t* r) {
  uint64_t lo = u32(r);
  uint64_t hi = u32(r);
  return lo | (hi << 32);
}

/* ------------------------------------------------------------------------ */
/* Contract checks                                                           */
/* ------------------------------------------------------------------------ */

#define ERRNO_SENTINEL 12345

static void violation(const char* what, long long rc) {
  fprintf(stderr, "fuzz_abi: contract violation: %s (rc=%lld)\n", what, rc);
  abort();
}

/* Runs one call expression with errno set to a sentinel, then checks the
 * result range and that errno was left alone. */
#define CALL(expr)                                                    \
  ({                                                                  \
    errno = ERRNO_SENTINEL;                                           \
    long long rc_ = (long long)(expr);                                \
    if (errno != ERRNO_SENTINEL) violation("errno changed: " #expr, rc_); \
    if (rc_ < -4095) violation("result below -4095: " #expr, rc_);    \
    rc_;                                                              \
  })

#define CALL_VOID(expr)                                               \
  do {                                                                \
    errno = ERRNO_SENTINEL;                                           \
    expr;                                                             \
    if (errno != ERRNO_SENTINEL) violation("errno changed: " #expr, 0); \
  } while (0)

#define EXPECT(cond, what, rc) \
  do {                         \
    if (!(cond)) violation(what, rc); \
  } while (0)

/* ------------------------------------------------------------------------ */
/* Interpreter state                                                         */
/* ------------------------------------------------------------------------ */

#define NHANDLES 3
#define NFDS 8
#define NDIRS 4
#define IOBUF (64 * 1024)
#define XATTR_BUF (65536 + 64)
#define IOCTL_BUF 16384
#define PATHBUF 8192

typedef struct {
  uintptr_t h; /* last value from dingofs_new (kept after delete: stale) */
  int live;    /* not deleted yet */
} hslot_t;

typedef struct {
  int slot; /* handle slot it came from */
  int fd;
} fdslot_t;

typedef struct {
  int slot;
  uint64_t dh;
} dirslot_t;

static char g_base[PATH_MAX];   /* private base directory of this process */
static char g_logs[PATH_MAX];   /* log directory inside it */
static hslot_t g_h[NHANDLES];
static fdslot_t g_fd[NFDS];
static dirslot_t g_dir[NDIRS];
static int g_fd_next, g_dir_next;

static uint8_t g_iobuf[IOBUF];
static uint8_t g_xbuf[XATTR_BUF];
static uint8_t g_ioctl[IOCTL_BUF];
static char g_path[2][PATHBUF];
static char g_addr[PATHBUF];
static char g_long[4200];

/* Known engine bugs whose inputs are kept in fuzz/crashes/: the generators
 * steer around them unless DINGOFS_FUZZ_KNOWN_BUGS=1 (set it to reproduce,
 * or once the engine is fixed). None at present: the times overflow in
 *   Fs::Utimens (seconds * 1e9 beyond int64) is fixed, its input is in corpus/. */
static int g_known_bugs;


static int rm_one(const char* p, const struct stat* st, int type, struct FTW* ftw) {
  (void)st;
  (void)type;
  if (ftw->level > 0) remove(p);
  return 0;
}

static void wipe_base(void) { nftw(g_base, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static void remove_base(void) {
  if (g_base[0] == '\0') return;
  wipe_base();
  rmdir(g_base);
}

static void init_once(void) {
  static int done;
  if (done) return;
  done = 1;
  const char* tmp = getenv("TMPDIR");
  if (!tmp || !*tmp) tmp = "/tmp";
  snprintf(g_base, sizeof g_base, "%s/dingofs-fuzz-XXXXXX", tmp);
  if (!mkdtemp(g_base)) {
    perror("fuzz_abi: mkdtemp");
    abort();
  }
  atexit(remove_base);
  const char* kb = getenv("DINGOFS_FUZZ_KNOWN_BUGS");
  g_known_bugs = kb && *kb == '1';
  snprintf(g_logs, sizeof g_logs, "%s/logs", g_base);
  /* dingofs_conf_print writes to stdout; keep the fuzzer's output readable. */
  int nul = open("/dev/null", O_WRONLY);
  if (nul >= 0) {
    dup2(nul, 1);
    close(nul);
  }
  memset(g_long, 'n', sizeof g_long - 1);
  for (size_t i = 0; i < sizeof g_iobuf; i++) g_iobuf[i] = (uint8_t)(i * 131u + 7u);
}

/* Resets every process-wide option to its default so that inputs do not
 * influence each other. */
static void reset_options(void) {
  dingofs_option_t* opts = NULL;
  int n = 0;
  if (dingofs_conf_list(0, &opts, &n) != 0) return;
  for (int i = 0; i < n; i++) {
    if (strstr(opts[i].description, "per handle") || strstr(opts[i].description, "per-handle"))
      continue;
    dingofs_conf_set(0, opts[i].name, opts[i].default_value);
  }
  dingofs_conf_list_free(opts, n);
}

/* ------------------------------------------------------------------------ */
/* Argument generators                                                       */
/* ------------------------------------------------------------------------ */

static const char* const kNames[] = {"a", "b", "c", "d", "sub", ".", "..", "", "x y", "\xff\xfe"};
#define NNAMES (sizeof kNames / sizeof kNames[0])

/* A path into buffer idx (0 or 1); may return NULL. */
static const char* gen_path(reader_t* r, int idx) {
  uint8_t k = u8(r);
  char* out = g_path[idx];
  switch (k & 0x1f) {
    case 0:
      return NULL;
    case 1:
      return "";
    case 2:
      return "/";
    case 3: /* a name of 255 bytes, then 256 */
    case 4: {
      size_t len = (k & 0x1f) == 3 ? 255 : 256;
      out[0] = '/';
      memcpy(out + 1, g_long, len);
      out[1 + len] = '\0';
      return out;
    }
    case 5: { /* a path longer than PATH_MAX */
      size_t pos = 0;
      while (pos < 4200) {
        out[pos++] = '/';
        memcpy(out + pos, "dd", 2);
        pos += 2;
      }
      out[pos] = '\0';
      return out;
    }
    default:
      break;
  }
  int depth = 1 + (k >> 5) % 4;
  size_t pos = 0;
  uint8_t shape = u8(r);
  if (!(shape & 1)) out[pos++] = '/';
  for (int i = 0; i < depth; i++) {
    const char* name = kNames[u8(r) % NNAMES];
    size_t len = strlen(name);
    memcpy(out + pos, name, len);
    pos += len;
    if (i + 1 < depth) out[pos++] = '/';
  }
  if (shape & 2) out[pos++] = '/';
  if (shape & 4) out[pos++] = '/'; /* doubled separator */
  out[pos] = '\0';
  return out;
}

static int slot_of(reader_t* r) { return u8(r) % NHANDLES; }

/* A handle value: mostly a slot's (live or stale), sometimes 0 or garbage. */
static uintptr_t gen_handle(reader_t* r, int* slot) {
  uint8_t k = u8(r);
  *slot = k % NHANDLES;
  switch (k >> 5) {
    case 0:
      return 0;
    case 1:
      return (uintptr_t)0xdeadbeefu + k;
    default:
      return g_h[*slot].h;
  }
}

static int gen_fd(reader_t* r) {
  uint8_t k = u8(r);
  switch (k & 0xf) {
    case 0:
      return -1;
    case 1:
      return 0;
    case 2:
      return 2;
    case 3:
      return INT_MAX;
    case 4:
      return 3 + (k >> 4);
    default:
      return g_fd[k % NFDS].fd;
  }
}

static uint64_t gen_dh(reader_t* r) {
  uint8_t k = u8(r);
  switch (k & 7) {
    case 0:
      return 0;
    case 1:
      return UINT64_MAX;
    case 2:
      return 1 + (k >> 3);
    default:
      return g_dir[k % NDIRS].dh;
  }
}

static off_t gen_off(reader_t* r) {
  uint8_t k = u8(r);
  switch (k & 0xf) {
    case 0:
      return 0;
    case 1:
      return -1;
    case 2:
      return INT64_MAX;
    case 3:
      return (off_t)1 << 40;
    case 4:
      return ((off_t)16 << 40) - 1; /* 16 TiB - 1 */
    case 5:
      return (off_t)16 << 40;
    case 6:
      return INT64_MIN;
    case 7:
      return 4096 * (off_t)(k >> 4);
    default:
      return (off_t)u16(r);
  }
}

/* A transfer length no larger than cap. */
static size_t gen_len(reader_t* r, size_t cap) {
  uint8_t k = u8(r);
  size_t v;
  switch (k & 7) {
    case 0:
      v = 0;
      break;
    case 1:
      v = 1;
      break;
    case 2:
      v = cap;
      break;
    case 3:
      v = 4096;
      break;
    default:
      v = u16(r);
      break;
  }
  return v > cap ? cap : v;
}

static mode_t gen_mode(reader_t* r) {
  static const mode_t kModes[] = {0644, 0755, 0, 0777, 07777, 0400, 0200, 01777, 0xffffffffu};
  uint8_t k = u8(r);
  if (k < 200) return kModes[k % (sizeof kModes / sizeof kModes[0])];
  return (mode_t)u32(r);
}

static int gen_open_flags(reader_t* r) {
  static const int kAcc[] = {O_RDONLY, O_WRONLY, O_RDWR, 3};
  static const int kExtra[] = {O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW,
                               O_NONBLOCK, O_SYNC, O_PATH, O_TMPFILE};
  uint16_t k = u16(r);
  int flags = kAcc[k & 3];
  for (size_t i = 0; i < sizeof kExtra / sizeof kExtra[0]; i++)
    if (k & (4u << i)) flags |= kExtra[i];
  return flags;
}

static const char* gen_xname(reader_t* r) {
  static const char* const kX[] = {"user.a", "user.b", "trusted.t", "security.s", "system.x",
                                   "other.o", "user.", "", "a", NULL};
  uint8_t k = u8(r);
  if (k == 255) {
    static char longname[300];
    memcpy(longname, "user.", 5);
    memset(longname + 5, 'z', 260);
    longname[265] = '\0';
    return longname;
  }
  return kX[k % (sizeof kX / sizeof kX[0])];
}

/* Builds a local:// address into g_addr (fsname "f" or "g"). */
static const char* gen_addr(reader_t* r, const char** fsname) {
  uint8_t k = u8(r);
  const char* name = (k & 1) ? "g" : "f";
  *fsname = (k & 2) ? name : ((k & 4) ? "" : ((k & 8) ? NULL : "other"));
  switch (k >> 4) {
    case 0:
      return NULL;
    case 1:
      return "";
    case 2:
      return "host:1234";
    case 3:
      snprintf(g_addr, sizeof g_addr, "local://%s?base=%s&create=0", name, g_base);
      return g_addr;
    case 4:
      snprintf(g_addr, sizeof g_addr, "local://%s?base=%s&ro=1", name, g_base);
      return g_addr;
    case 5:
      snprintf(g_addr, sizeof g_addr, "local://%s?base=%s&capacity=%u", name, g_base,
               (unsigned)u16(r) * 64u);
      return g_addr;
    case 6:
      snprintf(g_addr, sizeof g_addr, "local://%s?base=%s&inodes=%u", name, g_base,
               (unsigned)(u8(r) % 16));
      return g_addr;
    case 7:
      snprintf(g_addr, sizeof g_addr, "local://%s?base=%s&path=%s/data-%c", name, g_base,
               g_base, (k & 1) ? 'x' : 'y');
      return g_addr;
    case 8:
      snprintf(g_addr, sizeof g_addr, "local://%s?base=%s&bogus=1", name, g_base);
      return g_addr;
    case 9:
      snprintf(g_addr, sizeof g_addr, "local://?base=%s", g_base);
      return g_addr;
    case 10:
      snprintf(g_addr, sizeof g_addr, "local://%s/../x?base=%s", name, g_base);
      return g_addr;
    case 11:
      snprintf(g_addr, sizeof g_addr, "local://%s?base=%s&storage=mem", name, g_base);
      return g_addr;
    default:
      snprintf(g_addr, sizeof g_addr, "local://%s?base=%s", name, g_base);
      return g_addr;
  }
}

static void remember_fd(int slot, int fd) {
  g_fd[g_fd_next].slot = slot;
  g_fd[g_fd_next].fd = fd;
  g_fd_next = (g_fd_next + 1) % NFDS;
}

static void remember_dir(int slot, uint64_t dh) {
  g_dir[g_dir_next].slot = slot;
  g_dir[g_dir_next].dh = dh;
  g_dir_next = (g_dir_next + 1) % NDIRS;
}

/* Handle-0 calls must be -EINVAL. */
#define EXPECT_H0(h, rc, name) \
  EXPECT((h) != 0 || (rc) == -EINVAL, name " on handle 0 is not -EINVAL", rc)

/* ------------------------------------------------------------------------ */
/* Operations                                                                */
/* ------------------------------------------------------------------------ */

static void op_conf(reader_t* r, uintptr_t h) {
  static const char* const kKeys[] = {
      "log.dir", "log_dir", "log.level", "log_level", "log.v", "log_v", "conf.file", "conf_file",
      "dingofs_data_sync", "dingofs_meta_cache_entries", "dingofs_meta_synchronous",
      "logtostderr", "minloglevel", "vfs_access_logging", "vfs_meta_max_name_length",
      "vfs_meta_rpc_retry_times", "vfs_meta_rpc_timeout_ms", "vfs_periodic_flush_interval_ms",
      "no_such_key", "", NULL};
  static const char* const kVals[] = {"0", "1", "-1", "true", "false", "INFO", "FATAL", "3",
                                      "always", "ordered", "full", "off", "255", "10",
                                      "4294967296", "18446744073709551616", "", "x", NULL,
                                      "9999999999999999999999"};
  const char* key = kKeys[u8(r) % (sizeof kKeys / sizeof kKeys[0])];
  const char* val = kVals[u8(r) % (sizeof kVals / sizeof kVals[0])];
  /* Log directories stay inside the private base directory; logging to
   * stderr would flood the fuzzer's output. */
  if (key && (strstr(key, "log.dir") || strstr(key, "log_dir"))) {
    val = (u8(r) & 1) ? g_logs : g_base;
  }
  if (key && !strcmp(key, "logtostderr")) val = "false";
  switch (u8(r) % 4) {
    case 0: {
      long long rc = CALL(dingofs_conf_set(h, key, val));
      (void)rc;
      break;
    }
    case 1: {
      char buf[64];
      size_t sz = u8(r) % (sizeof buf + 1);
      memset(buf, 0x5a, sizeof buf);
      char* p = (u8(r) & 7) ? buf : NULL;
      long long rc = CALL(dingofs_conf_get(h, key, p, sz));
      if (rc == 0) EXPECT(p && memchr(p, '\0', sz) != NULL, "conf_get value not terminated", rc);
      if (rc == -ERANGE) {
        for (size_t i = 0; i < sizeof buf; i++)
          EXPECT((uint8_t)buf[i] == 0x5a, "conf_get -ERANGE touched the buffer", rc);
      }
      break;
    }
    case 2: {
      dingofs_option_t* opts = NULL;
      int n = -1;
      uint8_t k = u8(r);
      long long rc = CALL(dingofs_conf_list(h, (k & 1) ? NULL : &opts, (k & 2) ? NULL : &n));
      if (rc == 0) {
        EXPECT(n > 0, "conf_list returned no options", n);
        for (int i = 0; i < n; i++) {
          EXPECT(opts[i].name && opts[i].type && opts[i].default_value && opts[i].description,
                 "conf_list entry with NULL field", i);
          if (i > 0) EXPECT(strcmp(opts[i - 1].name, opts[i].name) < 0, "conf_list not sorted", i);
        }
        CALL_VOID(dingofs_conf_list_free(opts, n));
      }
      CALL_VOID(dingofs_conf_list_free(NULL, (int)(k >> 2)));
      break;
    }
    default: {
      /* A conf file made of known keys and fuzzed values, or a bad one. */
      char path[PATH_MAX];
      uint8_t k = u8(r);
      snprintf(path, sizeof path, "%s/conf-%u", g_base, k & 3);
      if (k & 4) {
        FILE* f = fopen(path, "w");
        if (f) {
          int lines = u8(r) % 6;
          for (int i = 0; i < lines; i++) {
            const char* kk = kKeys[u8(r) % (sizeof kKeys / sizeof kKeys[0])];
            const char* vv = kVals[u8(r) % (sizeof kVals / sizeof kVals[0])];
            if (!kk) kk = "";
            if (!vv) vv = "";
            if (strstr(kk, "log.dir") || strstr(kk, "log_dir") || strstr(kk, "conf")) vv = g_logs;
            if (!strcmp(kk, "logtostderr")) vv = "false";
            switch (u8(r) % 5) {
              case 0: fprintf(f, "--%s=%s\n", kk, vv); break;
              case 1: fprintf(f, "-%s=%s\n", kk, vv); break;
              case 2: fprintf(f, "# %s\n\n", kk); break;
              case 3: fprintf(f, "%s %s\n", kk, vv); break;
              default: fprintf(f, "--%s\n", kk); break;
            }
          }
          fclose(f);
        }
      }
      const char* arg = (k & 8) ? path : ((k & 16) ? "" : ((k & 32) ? NULL : g_base));
      long long rc = CALL(dingofs_conf_load(h, arg));
      EXPECT_H0(h, rc, "conf_load");
      break;
    }
  }
}

static void op_mount(reader_t* r, uintptr_t h, int slot) {
  const char* fsname = NULL;
  const char* addr = gen_addr(r, &fsname);
  uint8_t k = u8(r);
  const char* mp = (k & 2) ? "/mnt/fuzz" : ((k & 4) ? NULL : "");
  long long rc;
  if (k & 1)
    rc = CALL(dingofs_mount(h, addr, fsname, mp));
  else
    rc = CALL(dingofs_mount_nolog(h, addr, fsname, mp));
  EXPECT_H0(h, rc, "mount");
  (void)slot;
}

static void op_open(reader_t* r, uintptr_t h, int slot) {
  const char* p = gen_path(r, 0);
  int flags = gen_open_flags(r);
  mode_t mode = gen_mode(r);
  long long rc = CALL(dingofs_open(h, p, flags, mode));
  EXPECT_H0(h, rc, "open");
  if (rc >= 0) {
    EXPECT(rc >= 3, "open returned an fd below 3", rc);
    remember_fd(slot, (int)rc);
  }
}

static void op_io(reader_t* r, uintptr_t h) {
  int fd = gen_fd(r);
  size_t len = gen_len(r, IOBUF);
  uint8_t k = u8(r);
  void* buf = (k & 0xf0) == 0xf0 ? NULL : g_iobuf;
  long long rc = 0;
  switch (k & 3) {
    case 0:
      rc = CALL(dingofs_read(h, fd, buf, len));
      break;
    case 1:
      rc = CALL(dingofs_write(h, fd, buf, len));
      break;
    case 2:
      rc = CALL(dingofs_pread(h, fd, buf, len, gen_off(r)));
      break;
    default:
      rc = CALL(dingofs_pwrite(h, fd, buf, len, gen_off(r)));
      break;
  }
  EXPECT_H0(h, rc, "read/write");
  EXPECT(rc <= (long long)len, "transfer larger than asked", rc);
}

static void op_fdmisc(reader_t* r, uintptr_t h) {
  int fd = gen_fd(r);
  uint8_t k = u8(r);
  long long rc = 0;
  switch (k % 10) {
    case 0: {
      static const int kWhence[] = {SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE, 7, -1};
      off_t off = gen_off(r);
      int whence = kWhence[u8(r) % 7];
      rc = CALL(dingofs_lseek(h, fd, off, whence));
      break;
    }
    case 1:
      rc = CALL(dingofs_flush(h, fd));
      break;
    case 2:
      rc = CALL(dingofs_fsync(h, fd, (int)(k >> 4) - 4));
      break;
    case 3:
      rc = CALL(dingofs_close(h, fd));
      break;
    case 4:
      rc = CALL(dingofs_ftruncate(h, fd, gen_off(r)));
      break;
    case 5: {
      struct stat st;
      rc = CALL(dingofs_fstat(h, fd, (k & 0x80) ? NULL : &st));
      break;
    }
    case 6: {
      struct stat st;
      uint32_t fl;
      rc = CALL(dingofs_x_fstat(h, fd, (k & 0x80) ? NULL : &st, (k & 0x40) ? NULL : &fl));
      break;
    }
    case 7: {
      static const int kOps[] = {LOCK_SH, LOCK_EX, LOCK_UN, 0, 0x40};
      int op = kOps[u8(r) % 5];
      /* Never a blocking request: two fds of this process could deadlock. */
      if (op != LOCK_UN) op |= LOCK_NB;
      rc = CALL(dingofs_x_flock(h, fd, op));
      break;
    }
    case 8: {
      static const int kModes[] = {0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                   FALLOC_FL_PUNCH_HOLE, 0x10, -1};
      int mode = kModes[u8(r) % 6];
      off_t off = gen_off(r);
      off_t len;
      if (mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE))
        len = gen_off(r);
      else {
        uint8_t lk = u8(r);
        len = (lk & 3) == 0 ? -1 : (off_t)(lk & 3) * 4096 * (off_t)(u8(r) % 64); /* <= 756 KiB */
      }
      rc = CALL(dingofs_x_fallocate(h, fd, mode, off, len));
      break;
    }
    default: {
      static const unsigned kCmds[] = {0x80086601u, 0x40086602u, 0x80046601u, 0x40046602u,
                                       0x801c581fu, 0x401c5820u, 0u, 0xffffffffu, 0x5401u};
      unsigned cmd = kCmds[u8(r) % (sizeof kCmds / sizeof kCmds[0])];
      if (u8(r) == 0xff) cmd = u32(r);
      memset(g_ioctl, 0, 8);
      g_ioctl[0] = u8(r); /* flags to set: low byte fuzzed */
      g_ioctl[1] = u8(r) & 0x0f;
      rc = CALL(dingofs_ioctl(h, fd, cmd, (k & 0x80) ? NULL : g_ioctl));
      break;
    }
  }
  EXPECT_H0(h, rc, "fd call");
}

static void op_copy(reader_t* r, uintptr_t h) {
  int fin = gen_fd(r);
  int fout = gen_fd(r);
  off_t oin = gen_off(r);
  off_t oout = gen_off(r);
  uint8_t k = u8(r);
  size_t len = gen_len(r, 1u << 20);
  unsigned flags = (k & 0x80) ? 1u : 0u;
  long long rc = CALL(dingofs_x_copy_file_range(h, fin, (k & 1) ? NULL : &oin, fout,
                                               (k & 2) ? NULL : &oout, len, flags));
  EXPECT_H0(h, rc, "copy_file_range");
  EXPECT(rc <= (long long)len, "copy larger than asked", rc);
}

static void op_meta(reader_t* r, uintptr_t h) {
  uint8_t k = u8(r);
  const char* p = gen_path(r, 0);
  long long rc = 0;
  struct stat st;
  switch (k % 12) {
    case 0:
      rc = CALL(dingofs_stat(h, p, (k & 0x80) ? NULL : &st));
      break;
    case 1:
      rc = CALL(dingofs_lstat(h, p, (k & 0x80) ? NULL : &st));
      break;
    case 2: {
      uint32_t fl;
      rc = CALL(dingofs_x_stat(h, p, (k & 0x40) ? DINGOFS_X_NOFOLLOW : (int)(k >> 6) * 7,
                               (k & 0x80) ? NULL : &st, (k & 0x20) ? NULL : &fl));
      break;
    }
    case 3:
      rc = CALL(dingofs_chmod(h, p, gen_mode(r)));
      break;
    case 4:
    case 5: {
      static const uint32_t kIds[] = {0, 1000, 65534, (uint32_t)-1, 12345678};
      uid_t u = kIds[u8(r) % 5];
      gid_t g = kIds[u8(r) % 5];
      if ((k % 12) == 4)
        rc = CALL(dingofs_chown(h, p, u, g));
      else
        rc = CALL(dingofs_x_lchown(h, p, u, g));
      break;
    }
    case 6:
      rc = CALL(dingofs_truncate(h, p, gen_off(r)));
      break;
    case 7: {
      struct timeval tv[2];
      tv[0].tv_sec = (time_t)(int32_t)u32(r);
      tv[0].tv_usec = (suseconds_t)(u32(r) % 2000000);
      int64_t big = (int64_t)u64(r);
      tv[1].tv_sec = (time_t)(big >> (u8(r) % 64));
      tv[1].tv_usec = (suseconds_t)u8(r);
      rc = CALL(dingofs_utimes(h, p, (k & 0x80) ? NULL : tv));
      break;
    }
    case 8: {
      static const long kNs[] = {0, 999999999, 1000000000, -1, UTIME_NOW, UTIME_OMIT};
      struct timespec ts[2];
      int64_t big = (int64_t)u64(r);
      ts[0].tv_sec = (time_t)(big >> (u8(r) % 64));
      ts[0].tv_nsec = kNs[u8(r) % 6];
      ts[1].tv_sec = (time_t)(int32_t)u32(r);
      ts[1].tv_nsec = kNs[u8(r) % 6];
      int flags = (k & 0x40) ? DINGOFS_X_NOFOLLOW : ((k & 0x20) ? 0x7fff : 0);
      rc = CALL(dingofs_x_utimens(h, p, (k & 0x80) ? NULL : ts, flags));
      break;
    }
    case 9: {
      static const int kAcc[] = {F_OK, R_OK, W_OK, X_OK, R_OK | W_OK | X_OK, 0x40, -1};
      rc = CALL(dingofs_x_access(h, p, kAcc[u8(r) % 7]));
      break;
    }
    case 10: {
      dingofs_statfs_t sf;
      rc = CALL(dingofs_statfs(h, (k & 0x80) ? NULL : &sf));
      break;
    }
    default: {
      static const mode_t kTypes[] = {S_IFREG, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK, S_IFDIR,
                                      S_IFLNK, 0};
      mode_t type = kTypes[u8(r) % 8];
      mode_t mode = type | (gen_mode(r) & 07777);
      rc = CALL(dingofs_x_mknod(h, p, mode, (dev_t)u16(r)));
      break;
    }
  }
  EXPECT_H0(h, rc, "metadata call");
}

static void op_dir(reader_t* r, uintptr_t h, int slot) {
  uint8_t k = u8(r);
  long long rc = 0;
  switch (k % 6) {
    case 0:
    case 1: {
      const char* p = gen_path(r, 0);
      mode_t mode = gen_mode(r);
      if (k % 6 == 0)
        rc = CALL(dingofs_mkdir(h, p, mode));
      else
        rc = CALL(dingofs_mkdirs(h, p, mode));
      break;
    }
    case 2:
      rc = CALL(dingofs_rmdir(h, gen_path(r, 0)));
      break;
    case 3: {
      uint64_t dh = 0;
      const char* p = gen_path(r, 0);
      rc = CALL(dingofs_opendir(h, p, (k & 0x80) ? NULL : &dh));
      if (rc == 0) {
        EXPECT(dh >= 1, "opendir returned handle 0", 0);
        remember_dir(slot, dh);
      }
      break;
    }
    case 4: {
      dingofs_dirent_t ents[8];
      uint64_t dh = gen_dh(r);
      int count = (int)(u8(r) % 10) - 1; /* -1 .. 8 */
      memset(ents, 0x7f, sizeof ents);
      if (k & 0x80) {
        dingofs_x_direntplus_t plus[4];
        int pc = count > 4 ? 4 : count;
        rc = CALL(dingofs_x_readdirplus(h, dh, (k & 0x40) ? NULL : plus, pc));
        EXPECT(rc <= (pc > 0 ? pc : 0), "readdirplus returned too many", rc);
        for (long long i = 0; i < rc; i++)
          EXPECT(memchr(plus[i].dirent.d_name, '\0', 256) != NULL, "unterminated d_name", i);
      } else {
        rc = CALL(dingofs_readdir(h, dh, (k & 0x40) ? NULL : ents, count));
        EXPECT(rc <= (count > 0 ? count : 0), "readdir returned too many", rc);
        for (long long i = 0; i < rc; i++)
          EXPECT(memchr(ents[i].d_name, '\0', 256) != NULL, "unterminated d_name", i);
      }
      break;
    }
    default:
      rc = CALL(dingofs_closedir(h, gen_dh(r)));
      break;
  }
  EXPECT_H0(h, rc, "directory call");
}

static void op_links(reader_t* r, uintptr_t h) {
  uint8_t k = u8(r);
  long long rc = 0;
  switch (k % 6) {
    case 0: {
      const char* a = gen_path(r, 0);
      const char* b = gen_path(r, 1);
      rc = CALL(dingofs_rename(h, a, b));
      break;
    }
    case 1: {
      static const unsigned kFl[] = {0, DINGOFS_X_RENAME_NOREPLACE, DINGOFS_X_RENAME_EXCHANGE, 3,
                                     4};
      const char* a = gen_path(r, 0);
      const char* b = gen_path(r, 1);
      rc = CALL(dingofs_x_rename2(h, a, b, kFl[u8(r) % 5]));
      break;
    }
    case 2:
      rc = CALL(dingofs_unlink(h, gen_path(r, 0)));
      break;
    case 3: {
      const char* a = gen_path(r, 0);
      const char* b = gen_path(r, 1);
      rc = CALL(dingofs_link(h, a, b));
      break;
    }
    case 4: {
      /* The target is stored verbatim: any path, or a 4 KiB one. */
      const char* target = gen_path(r, 1);
      if ((k & 0xc0) == 0xc0) {
        memset(g_path[1], 't', 4096);
        g_path[1][4096] = '\0';
        target = g_path[1];
      }
      rc = CALL(dingofs_symlink(h, target, gen_path(r, 0)));
      break;
    }
    default: {
      char buf[512];
      size_t sz = gen_len(r, sizeof buf);
      rc = CALL(dingofs_readlink(h, gen_path(r, 0), (k & 0x80) ? NULL : buf, sz));
      EXPECT(rc <= (long long)sz, "readlink returned more than bufsz", rc);
      break;
    }
  }
  EXPECT_H0(h, rc, "link call");
}

static void op_xattr(reader_t* r, uintptr_t h) {
  uint8_t k = u8(r);
  const char* p = gen_path(r, 0);
  const char* name = gen_xname(r);
  long long rc = 0;
  switch (k % 4) {
    case 0: {
      uint8_t sk = u8(r);
      size_t size = (sk & 3) == 0 ? 65536 : ((sk & 3) == 1 ? 65537 : (size_t)(sk >> 2));
      static const int kFl[] = {0, XATTR_CREATE, XATTR_REPLACE, 3, 8};
      rc = CALL(dingofs_setxattr(h, p, name, (k & 0x80) ? NULL : g_xbuf, size, kFl[u8(r) % 5]));
      break;
    }
    case 1: {
      size_t size = gen_len(r, XATTR_BUF);
      rc = CALL(dingofs_getxattr(h, p, name, (k & 0x80) ? NULL : g_xbuf, size));
      if (size > 0) EXPECT(rc <= (long long)size, "getxattr returned more than size", rc);
      break;
    }
    case 2: {
      size_t size = gen_len(r, 1024);
      rc = CALL(dingofs_listxattr(h, p, (k & 0x80) ? NULL : (char*)g_xbuf, size));
      if (size > 0) EXPECT(rc <= (long long)size, "listxattr returned more than size", rc);
      break;
    }
    default:
      rc = CALL(dingofs_removexattr(h, p, name));
      break;
  }
  EXPECT_H0(h, rc, "xattr call");
}

static void op_fsck(reader_t* r) {
  uint8_t k = u8(r);
  const char* fsname = NULL;
  const char* addr = gen_addr(r, &fsname);
  char* report = NULL;
  int flags = (k & 1) ? DINGOFS_X_FSCK_REPAIR : ((k & 2) ? 0x10 : 0);
  long long rc = CALL(dingofs_x_fsck(addr, flags, (k & 4) ? NULL : &report));
  (void)rc;
  CALL_VOID(dingofs_x_free(report));
}

/* ------------------------------------------------------------------------ */
/* Entry point                                                               */
/* ------------------------------------------------------------------------ */

static void reset_state(void) {
  memset(g_h, 0, sizeof g_h);
  memset(g_fd, 0, sizeof g_fd);
  memset(g_dir, 0, sizeof g_dir);
  g_fd_next = g_dir_next = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  init_once();
  /* Bounded work per input: long inputs are cut. */
  reader_t r = {data, size > 4096 ? 4096 : size};
  reset_state();
  wipe_base();
  reset_options();
  mkdir(g_logs, 0700);

  /* Slot 0 starts mounted, so short inputs already reach the filesystem. */
  {
    uintptr_t h = dingofs_new();
    if (h) {
      dingofs_conf_set(h, "log.dir", g_logs);
      snprintf(g_addr, sizeof g_addr, "local://f?base=%s", g_base);
      dingofs_mount_nolog(h, g_addr, "f", "/mnt/fuzz");
    }
    g_h[0].h = h;
    g_h[0].live = h != 0;
  }

  int steps = 0;
  while (r.n > 0 && steps++ < 256) {
    uint8_t op = u8(&r);
    int slot = 0;
    switch (op % 16) {
      case 0: { /* lifecycle */
        slot = slot_of(&r);
        uint8_t k = u8(&r);
        switch (k % 4) {
          case 0:
            if (g_h[slot].live) CALL_VOID(dingofs_delete(g_h[slot].h));
            g_h[slot].h = CALL(dingofs_new());
            g_h[slot].live = g_h[slot].h != 0;
            /* The handle's log file goes into the base directory. */
            if (g_h[slot].live) dingofs_conf_set(g_h[slot].h, "log.dir", g_logs);
            break;
          case 1: {
            long long rc = CALL(dingofs_umount(g_h[slot].h));
            (void)rc;
            break;
          }
          case 2:
            /* delete is also called on stale, unknown and 0 handles */
            CALL_VOID(dingofs_delete((k & 0x80) ? 0 : g_h[slot].h));
            if (!(k & 0x80)) g_h[slot].live = 0;
            break;
          default:
            op_mount(&r, g_h[slot].h, slot);
            break;
        }
        break;
      }
      case 1: {
        uintptr_t h = gen_handle(&r, &slot);
        op_conf(&r, h);
        break;
      }
      case 2:
      case 3: {
        uintptr_t h = gen_handle(&r, &slot);
        op_open(&r, h, slot);
        break;
      }
      case 4:
      case 5: {
        uintptr_t h = gen_handle(&r, &slot);
        op_io(&r, h);
        break;
      }
      case 6:
      case 7: {
        uintptr_t h = gen_handle(&r, &slot);
        op_fdmisc(&r, h);
        break;
      }
      case 8: {
        uintptr_t h = gen_handle(&r, &slot);
        op_copy(&r, h);
        break;
      }
      case 9:
      case 10: {
        uintptr_t h = gen_handle(&r, &slot);
        op_meta(&r, h);
        break;
      }
      case 11:
      case 12: {
        uintptr_t h = gen_handle(&r, &slot);
        op_dir(&r, h, slot);
        break;
      }
      case 13: {
        uintptr_t h = gen_handle(&r, &slot);
        op_links(&r, h);
        break;
      }
      case 14: {
        uintptr_t h = gen_handle(&r, &slot);
        op_xattr(&r, h);
        break;
      }
      default:
        if (op & 0x80) {
          op_fsck(&r);
        } else {
          int embedded = -1;
          const char* v = dingofs_x_version((op & 0x40) ? NULL : &embedded);
          EXPECT(v != NULL, "x_version returned NULL", 0);
          if (!(op & 0x40)) EXPECT(embedded == 1, "x_version: not embedded", embedded);
          if ((op & 0x30) == 0x30) dingofs_conf_print(g_h[u8(&r) % NHANDLES].h);
        }
        break;
    }
  }

  /* Everything is released before the next input (leak detection). */
  for (int i = 0; i < NHANDLES; i++)
    if (g_h[i].live) dingofs_delete(g_h[i].h);
  return 0;
}

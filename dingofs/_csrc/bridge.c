/*
 * bridge.c - the C half of the cffi bridges between Python and libdingofs.
 *
 * Compiled into each bridge module next to the code cffi generates from the
 * declarations in dingofs/_cdef/. It holds the wrappers of the engine's
 * extensions, which let a module load and run against a library without them
 * (the upstream client), and the helpers of the Python hot paths. The
 * functions are documented in bridge.h.
 */
#include "bridge.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* The extensions, declared weak: an absent one is a null address instead of a
 * link or load error. Where the header declares them too, the compiler checks
 * that extensions.def gives the same signatures. */
#define DFX_EXTENSION(name, ret, params, args, absent) \
  extern ret dingofs_x_##name params __attribute__((weak));
#define DFX_EXTENSION_VOID(name, params, args) \
  extern void dingofs_x_##name params __attribute__((weak));
#include "extensions.def"
#undef DFX_EXTENSION
#undef DFX_EXTENSION_VOID

/* Feature bit of each extension: its position in the list. */
enum {
#define DFX_EXTENSION(name, ...) DFX_BIT_##name,
#define DFX_EXTENSION_VOID(name, ...) DFX_BIT_##name,
#include "extensions.def"
#undef DFX_EXTENSION
#undef DFX_EXTENSION_VOID
  DFX_EXTENSION_COUNT
};

_Static_assert(DFX_EXTENSION_COUNT <= 32, "the feature bits must fit an unsigned int");

#define DFX_EXTENSION(name, ret, params, args, absent) \
  ret dfx_##name params { return dingofs_x_##name ? dingofs_x_##name args : absent; }
#define DFX_EXTENSION_VOID(name, params, args) \
  void dfx_##name params {                     \
    if (dingofs_x_##name) dingofs_x_##name args; \
  }
#include "extensions.def"
#undef DFX_EXTENSION
#undef DFX_EXTENSION_VOID

unsigned int dfx_present(void) {
  unsigned int mask = 0;
#define DFX_EXTENSION(name, ...) \
  if (dingofs_x_##name) mask |= 1u << DFX_BIT_##name;
#define DFX_EXTENSION_VOID DFX_EXTENSION
#include "extensions.def"
#undef DFX_EXTENSION
#undef DFX_EXTENSION_VOID
  return mask;
}

const char* dfx_extension_names(void) {
  return
#define DFX_EXTENSION(name, ...) #name " "
#define DFX_EXTENSION_VOID DFX_EXTENSION
#include "extensions.def"
#undef DFX_EXTENSION
#undef DFX_EXTENSION_VOID
      "";
}

int dfx_flush_stdout(void) { return fflush(stdout); }

#ifndef DFX_BUILT_VERSION
#define DFX_BUILT_VERSION ""
#endif

const char* dfx_built_version(void) { return DFX_BUILT_VERSION; }

const char* dfx_library_path(void) {
  Dl_info info;
  if (dladdr((void*)&dingofs_new, &info) != 0 && info.dli_fname != NULL) return info.dli_fname;
  return NULL;
}

/* The record of a struct stat and inode flags. */
static void dfx_attr_set(dfx_attr_t* a, const struct stat* st, uint32_t flags) {
  a->ino = (uint64_t)st->st_ino;
  a->mode = (int64_t)st->st_mode;
  a->nlink = (int64_t)st->st_nlink;
  a->uid = (int64_t)st->st_uid;
  a->gid = (int64_t)st->st_gid;
  a->size = (int64_t)st->st_size;
  a->rdev = (int64_t)st->st_rdev;
  a->atime_ns = (int64_t)st->st_atim.tv_sec * 1000000000 + st->st_atim.tv_nsec;
  a->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
  a->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
  a->blksize = (int64_t)st->st_blksize;
  a->blocks = (int64_t)st->st_blocks;
  a->flags = (int64_t)flags;
}

_Static_assert(sizeof(dfx_attr_t) == 13 * 8, "dfx_attr_t must match the struct format \"=Q12q\"");

/* Run `call` (which fills `st` and `fl`) and turn its result into *out. */
#define DFX_ATTR_CALL(call)                    \
  do {                                         \
    struct stat st;                            \
    uint32_t fl = 0;                           \
    int rc_ = (call);                          \
    if (rc_ >= 0) dfx_attr_set(out, &st, fl);  \
    return rc_;                                \
  } while (0)

int dfx_stat_plain(uintptr_t h, const char* path, int follow, dfx_attr_t* out) {
  DFX_ATTR_CALL(follow ? dingofs_stat(h, path, &st) : dingofs_lstat(h, path, &st));
}

int dfx_fstat_plain(uintptr_t h, int fd, dfx_attr_t* out) {
  DFX_ATTR_CALL(dingofs_fstat(h, fd, &st));
}

int dfx_setattr_rec(uintptr_t h, const char* path, int flags, uint32_t mask, mode_t mode,
                    uid_t uid, gid_t gid, off_t size, const struct timespec ts[2],
                    dfx_attr_t* out) {
  DFX_ATTR_CALL(dfx_setattr(h, path, flags, mask, mode, uid, gid, size, ts, &st, &fl));
}

int dfx_last_attr_rec(uintptr_t h, dfx_attr_t* out) { DFX_ATTR_CALL(dfx_last_attr(h, &st, &fl)); }

int dfx_readdir_pack(uintptr_t h, uint64_t dh, int plus, void* tmp, int count, char* names,
                     uint64_t* inos, unsigned char* types, dfx_attr_t* attrs, int64_t* out) {
  const dingofs_x_direntplus_t* plus_recs = (const dingofs_x_direntplus_t*)tmp;
  const dingofs_dirent_t* recs = (const dingofs_dirent_t*)tmp;
  int n, i;
  int64_t k = 0;
  size_t used = 0;
  if (count <= 0 || (plus && attrs == NULL)) return -EINVAL;
  n = plus ? dfx_readdirplus(h, dh, (dingofs_x_direntplus_t*)tmp, count)
           : dingofs_readdir(h, dh, (dingofs_dirent_t*)tmp, count);
  if (n < 0) return n;
  if (n > count) n = count;
  for (i = 0; i < n; i++) {
    const dingofs_dirent_t* d = plus ? &plus_recs[i].dirent : &recs[i];
    size_t len = strnlen(d->d_name, sizeof d->d_name);
    if (len == 0) continue;
    if (d->d_name[0] == '.' && (len == 1 || (len == 2 && d->d_name[1] == '.'))) {
      if (len == 1 && d->d_ino == 1) out[2] = 1;
      continue;
    }
    memcpy(names + used, d->d_name, len);
    used += len;
    names[used++] = '\0';
    inos[k] = d->d_ino;
    types[k] = d->d_type;
    if (plus) dfx_attr_set(&attrs[k], &plus_recs[i].st, plus_recs[i].flags);
    k++;
  }
  out[0] = k;
  out[1] = (int64_t)used;
  return n;
}

int dfx_gate_enter(dfx_gate_t* g) {
  /* Count first, then look: dfx_gate_shut sets the flag first, then looks at the
   * count, so one of the two always sees the other (sequentially consistent). */
  __atomic_fetch_add(&g->calls, 1, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&g->closed, __ATOMIC_SEQ_CST)) {
    __atomic_fetch_sub(&g->calls, 1, __ATOMIC_SEQ_CST);
    return DFX_REFUSED;
  }
  return 0;
}

void dfx_gate_leave(dfx_gate_t* g) { __atomic_fetch_sub(&g->calls, 1, __ATOMIC_SEQ_CST); }

int dfx_gate_shut(dfx_gate_t* g) {
  struct timespec pause = {0, 20000};
  if (__atomic_exchange_n(&g->closed, 1, __ATOMIC_SEQ_CST)) return 0;
  /* Calls in flight are rare at a close and short: sleep a little, then longer. */
  while (__atomic_load_n(&g->calls, __ATOMIC_SEQ_CST) > 0) {
    nanosleep(&pause, NULL);
    if (pause.tv_nsec < 2000000) pause.tv_nsec *= 2;
  }
  return 1;
}

void dfx_gate_kill(dfx_gate_t* g) {
  __atomic_store_n(&g->closed, 1, __ATOMIC_SEQ_CST);
  __atomic_store_n(&g->calls, 0, __ATOMIC_SEQ_CST);
}

/* The body of a gated call: enter, call, leave. */
#define DFX_GATED(type, call)                         \
  do {                                                \
    type r_;                                          \
    if (dfx_gate_enter(g) != 0) return DFX_REFUSED;   \
    r_ = (call);                                      \
    dfx_gate_leave(g);                                \
    return r_;                                        \
  } while (0)

/* The same, counting the call in the pair at `slot` of g->counts (and the bytes
 * moved when `bytes` and the call succeeded). */
#define DFX_GATED_COUNTED(type, call, slot, bytes)                          \
  do {                                                                      \
    type r_;                                                                \
    int64_t* c_ = g->counts;                                                \
    if (dfx_gate_enter(g) != 0) return DFX_REFUSED;                         \
    r_ = (call);                                                            \
    dfx_gate_leave(g);                                                      \
    if (c_ != NULL) {                                                       \
      __atomic_fetch_add(&c_[(slot)], 1, __ATOMIC_RELAXED);                 \
      if ((bytes) && r_ > 0)                                                \
        __atomic_fetch_add(&c_[(slot) + 1], (int64_t)r_, __ATOMIC_RELAXED); \
    }                                                                       \
    return r_;                                                              \
  } while (0)

int dfx_close_file(dfx_gate_t* file, dfx_gate_t* g, int fd) {
  if (!dfx_gate_shut(file)) return DFX_SHUT_BEFORE;
  DFX_GATED_COUNTED(int, dingofs_close(g->h, fd), DFX_COUNT_CLOSE, 0);
}

ssize_t dfx_pread_counted(dfx_gate_t* g, int fd, char* buf, size_t count, off_t offset) {
  DFX_GATED_COUNTED(ssize_t, dingofs_pread(g->h, fd, buf, count, offset), DFX_COUNT_PREAD, 1);
}

ssize_t dfx_read_counted(dfx_gate_t* g, int fd, char* buf, size_t count) {
  DFX_GATED_COUNTED(ssize_t, dingofs_read(g->h, fd, buf, count), DFX_COUNT_READ, 1);
}

off_t dfx_lseek_counted(dfx_gate_t* g, int fd, off_t offset, int whence) {
  DFX_GATED_COUNTED(off_t, dingofs_lseek(g->h, fd, offset, whence), DFX_COUNT_LSEEK, 0);
}

/* dfx_stat/dfx_fstat into a record (the gate and counters are around them). */
static int dfx_stat_rec(uintptr_t h, const char* path, int flags, dfx_attr_t* out) {
  DFX_ATTR_CALL(dfx_stat(h, path, flags, &st, &fl));
}

static int dfx_fstat_rec(uintptr_t h, int fd, dfx_attr_t* out) {
  DFX_ATTR_CALL(dfx_fstat(h, fd, &st, &fl));
}

int dfx_stat_counted(dfx_gate_t* g, const char* path, int flags, dfx_attr_t* out) {
  DFX_GATED_COUNTED(int, dfx_stat_rec(g->h, path, flags, out), DFX_COUNT_STAT, 0);
}

int dfx_fstat_counted(dfx_gate_t* g, int fd, dfx_attr_t* out) {
  DFX_GATED_COUNTED(int, dfx_fstat_rec(g->h, fd, out), DFX_COUNT_FSTAT, 0);
}

int dfx_access_counted(dfx_gate_t* g, const char* path, int mode) {
  DFX_GATED_COUNTED(int, dfx_access(g->h, path, mode), DFX_COUNT_ACCESS, 0);
}

int dfx_open_gated(dfx_gate_t* g, const char* path, int flags, mode_t mode, int refuse_dir) {
  int fd;
  uintptr_t h = g->h;
  if (dfx_gate_enter(g) != 0) return DFX_REFUSED;
  fd = dingofs_open(h, path, flags, mode);
  if (fd >= 0 && refuse_dir) {
    struct stat st;
    int rc = dingofs_fstat(h, fd, &st);
    if (rc < 0 || S_ISDIR(st.st_mode)) {
      dingofs_close(h, fd);
      fd = rc < 0 ? rc : -EISDIR;
    }
  }
  dfx_gate_leave(g);
  return fd;
}

int dfx_close_gated(dfx_gate_t* g, int fd) { DFX_GATED(int, dingofs_close(g->h, fd)); }

ssize_t dfx_write_gated(dfx_gate_t* g, int fd, const void* buf, size_t count) {
  DFX_GATED(ssize_t, dingofs_write(g->h, fd, buf, count));
}

ssize_t dfx_pwrite_gated(dfx_gate_t* g, int fd, const void* buf, size_t count, off_t offset) {
  DFX_GATED(ssize_t, dingofs_pwrite(g->h, fd, buf, count, offset));
}

ssize_t dfx_getxattr_gated(dfx_gate_t* g, const char* path, const char* name, void* value,
                           size_t size) {
  DFX_GATED(ssize_t, dingofs_getxattr(g->h, path, name, value, size));
}


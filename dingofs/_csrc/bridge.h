/*
 * bridge.h - what the cffi bridge modules (dingofs._bridge, dingofs._bridge_sys)
 * see of the C side: the libdingofs header, the platform headers whose types and
 * constants the declarations in dingofs/_cdef/ name, and the functions that
 * bridge.c defines for Python (prefix dfx_). The cffi declarations mirror this
 * header.
 *
 * The bridge builds against any libdingofs.h that has the 45 core functions:
 * a header without the extension section (the upstream client's) still gets
 * the extension types and constants from the fallbacks below.
 */
#ifndef DINGOFS_BRIDGE_H_
#define DINGOFS_BRIDGE_H_

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/fs.h>

#include <dingofs/libdingofs.h>

/* Extension types and constants, for a header that lacks them. */
#ifndef DINGOFS_X_TYPES_DEFINED
#define DINGOFS_X_TYPES_DEFINED 1
typedef struct {
  dingofs_dirent_t dirent;
  struct stat st;
  uint32_t flags;
} dingofs_x_direntplus_t;
#endif
#ifndef DINGOFS_X_RENAME_NOREPLACE
#define DINGOFS_X_RENAME_NOREPLACE 1u
#endif
#ifndef DINGOFS_X_RENAME_EXCHANGE
#define DINGOFS_X_RENAME_EXCHANGE 2u
#endif
#ifndef DINGOFS_X_NOFOLLOW
#define DINGOFS_X_NOFOLLOW 0x100
#endif
#ifndef DINGOFS_X_FSCK_REPAIR
#define DINGOFS_X_FSCK_REPAIR 1
#endif
#ifndef DINGOFS_X_LOCAL_TYPES_DEFINED
#define DINGOFS_X_LOCAL_TYPES_DEFINED 1
typedef struct {
  const char* name;
  const char* base_dir;
  const char* meta_dir;
  const char* data_dir;
  int64_t bytes;
  int exists;
  int mounted;
} dingofs_x_local_t;
#endif
#ifndef DINGOFS_X_LOCAL_SIZES
#define DINGOFS_X_LOCAL_SIZES 1
#define DINGOFS_X_LOCAL_PARSE 2
#endif
#ifndef DINGOFS_X_SET_MODE
#define DINGOFS_X_SET_MODE 0x01u
#define DINGOFS_X_SET_UID 0x02u
#define DINGOFS_X_SET_GID 0x04u
#define DINGOFS_X_SET_SIZE 0x08u
#define DINGOFS_X_SET_ATIME 0x10u
#define DINGOFS_X_SET_MTIME 0x20u
#endif

/* The module exports nothing but its PyInit_ function. */
#pragma GCC visibility push(hidden)

/* One wrapper dfx_NAME per extension dingofs_x_NAME of extensions.def, with the
 * same signature. It calls the extension when the loaded library has it, else
 * returns the entry's "value when absent" (-EOPNOTSUPP, NULL or 0; dfx_free
 * does nothing). */
#define DFX_EXTENSION(name, ret, params, args, absent) ret dfx_##name params;
#define DFX_EXTENSION_VOID(name, params, args) void dfx_##name params;
#include "extensions.def"
#undef DFX_EXTENSION
#undef DFX_EXTENSION_VOID

/* Which extensions the loaded library has: bit i is the i-th entry of
 * extensions.def. */
unsigned int dfx_present(void);

/* The NAMEs of extensions.def in order (bit 0 first), separated by spaces. */
const char* dfx_extension_names(void);

/* fflush(stdout), for Python code that shares stdout with the library. */
int dfx_flush_stdout(void);

/* Version of the library this bridge was built against when the build knew it
 * (the DFX_BUILT_VERSION macro), else "". */
const char* dfx_built_version(void);

/* File of the object that defines the core functions this bridge calls: the
 * bridge module itself when the engine is linked in, else the shared library;
 * NULL when it cannot be told. */
const char* dfx_library_path(void);

/* cdef: begin (build_ffi.py hands what stands up to "cdef: end" to cffi) */
/* The attributes of one inode, in the one layout the Python layer decodes
 * (struct format "=Q12q": every member 8 bytes, no padding): struct stat's
 * fields widened to 64 bits, the three times in nanoseconds since the epoch,
 * and the inode flags (FS_*_FL bits; 0 where the call does not read them). */
typedef struct {
  uint64_t ino;
  int64_t mode;
  int64_t nlink;
  int64_t uid;
  int64_t gid;
  int64_t size;
  int64_t rdev;
  int64_t atime_ns;
  int64_t mtime_ns;
  int64_t ctime_ns;
  int64_t blksize;
  int64_t blocks;
  int64_t flags;
} dfx_attr_t;

/* The calls that return attributes, as dfx_attr_t records. The extension
 * forms (x_stat, x_fstat, x_setattr, x_last_attr) return -EOPNOTSUPP when the
 * library lacks them; the plain forms use the core calls (flags 0).
 *   dfx_stat_plain: dingofs_stat, or dingofs_lstat when follow is 0. */
int dfx_stat_plain(uintptr_t h, const char* path, int follow, dfx_attr_t* out);
int dfx_fstat_plain(uintptr_t h, int fd, dfx_attr_t* out);
int dfx_setattr_rec(uintptr_t h, const char* path, int flags, uint32_t mask, mode_t mode,
                    uid_t uid, gid_t gid, off_t size, const struct timespec ts[2],
                    dfx_attr_t* out);
int dfx_last_attr_rec(uintptr_t h, dfx_attr_t* out);

/* One batch of directory entries, packed for a cheap decode in Python.
 *   plus:   0 reads dingofs_readdir() records into tmp (dingofs_dirent_t[count]),
 *           1 reads dfx_readdirplus() records (dingofs_x_direntplus_t[count]).
 *   names:  receives the names (without "." and ".."), each followed by a NUL
 *           (capacity: count * sizeof(d_name)).
 *   inos, types: the inode number and d_type of each packed entry.
 *   attrs:  with plus, the attributes of each packed entry (capacity: count);
 *           else unused (may be NULL).
 *   out[0]: entries packed; out[1]: bytes used in names; out[2]: set to 1 when the
 *           batch held "." with inode 1 (the root directory), else left alone.
 * Returns the number of records the library returned (0 at the end) or -errno. */
int dfx_readdir_pack(uintptr_t h, uint64_t dh, int plus, void* tmp, int count, char* names,
                     uint64_t* inos, unsigned char* types, dfx_attr_t* attrs, int64_t* out);

/* A call gate: counts the calls in flight on one object of the Python layer (a
 * client's handle, an open file, a directory iterator) and refuses new ones once
 * it is closed, so that a handle is never deleted, nor a descriptor closed, under
 * a call that still uses it. Python allocates one per object (zeroed: open, no
 * calls); every function below that takes one enters it before the library call
 * and leaves it after, and returns DFX_REFUSED, without calling the library,
 * when the gate is closed. */
typedef struct {
  int64_t calls;   /* calls in flight */
  int32_t closed;  /* 1 once dfx_gate_shut or dfx_gate_kill ran */
  int32_t spare;
  uintptr_t h;     /* the library handle of the gated calls */
  int64_t* counts; /* the session's statistics of the counted calls, or NULL */
} dfx_gate_t;

/* Where each counted call keeps its (calls, bytes) pair in dfx_gate_t.counts. */
#define DFX_COUNT_PREAD 0
#define DFX_COUNT_READ 2
#define DFX_COUNT_LSEEK 4
#define DFX_COUNT_STAT 6
#define DFX_COUNT_FSTAT 8
#define DFX_COUNT_ACCESS 10
#define DFX_COUNT_CLOSE 12
#define DFX_COUNTS 14

/* What a gated call returns when its gate is closed: never a -errno (those are
 * above -4096). */
#define DFX_REFUSED (-0x10000)
/* What dfx_close_file returns for a file whose gate was shut already. */
#define DFX_SHUT_BEFORE 1

/* Enter the gate: 0, or DFX_REFUSED (and nothing counted) when it is closed. */
int dfx_gate_enter(dfx_gate_t* g);
/* Leave a gate entered with success. */
void dfx_gate_leave(dfx_gate_t* g);
/* Close the gate and wait until no call is in flight (the caller must not be in
 * one itself). Returns 1, or 0 when the gate was closed already (then it does
 * not wait). Waits by sleeping, without a lock that a fork could leave held. */
int dfx_gate_shut(dfx_gate_t* g);
/* In a fork child: close the gate and forget the calls of the parent's threads
 * (they never leave in the child). */
void dfx_gate_kill(dfx_gate_t* g);

/* The hot calls, gated (see dfx_gate_t) on the gate's handle, with statistics
 * kept in C: the call's pair in g->counts (DFX_COUNT_*) gets one more call and,
 * for the reads, the bytes moved (relaxed atomics: the GIL is released during
 * the call). Each argument less is a conversion less for cffi on every call. */
ssize_t dfx_pread_counted(dfx_gate_t* g, int fd, char* buf, size_t count, off_t offset);
ssize_t dfx_read_counted(dfx_gate_t* g, int fd, char* buf, size_t count);
off_t dfx_lseek_counted(dfx_gate_t* g, int fd, off_t offset, int whence);
int dfx_stat_counted(dfx_gate_t* g, const char* path, int flags, dfx_attr_t* out);
int dfx_fstat_counted(dfx_gate_t* g, int fd, dfx_attr_t* out);
int dfx_access_counted(dfx_gate_t* g, const char* path, int mode);
/* The close of an open file in one call: shut the file's own gate `file` (waiting
 * for its calls in flight, as dfx_gate_shut), then close `fd` gated and counted on
 * `g`, the gate of the handle that owns it. Returns DFX_SHUT_BEFORE, without
 * closing anything, when `file` was shut already; else as dingofs_close (or
 * DFX_REFUSED when `g` is closed: the handle's unmount releases `fd`). */
int dfx_close_file(dfx_gate_t* file, dfx_gate_t* g, int fd);

/* More hot calls, gated; the library's call counts them in Python.
 * dfx_open_gated with refuse_dir: a directory that opened (for reading) is
 * closed again and -EISDIR returned, as io.FileIO refuses it; the check is
 * one fstat in C instead of a second call from Python. */
int dfx_open_gated(dfx_gate_t* g, const char* path, int flags, mode_t mode, int refuse_dir);
int dfx_close_gated(dfx_gate_t* g, int fd);
ssize_t dfx_write_gated(dfx_gate_t* g, int fd, const void* buf, size_t count);
ssize_t dfx_pwrite_gated(dfx_gate_t* g, int fd, const void* buf, size_t count, off_t offset);
ssize_t dfx_getxattr_gated(dfx_gate_t* g, const char* path, const char* name, void* value,
                           size_t size);

/* cdef: end */

#pragma GCC visibility pop

#endif /* DINGOFS_BRIDGE_H_ */

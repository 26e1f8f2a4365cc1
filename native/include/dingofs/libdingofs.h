/*
 * libdingofs.h - C interface of the DingoFS client library.
 *
 * Two libraries implement this interface with the same SONAME (libdingofs.so.1):
 *   - the embedded engine of the dingofs Python SDK, which mounts local
 *     filesystems addressed as "local://NAME[?key=value&...]";
 *   - the upstream DingoFS client, which mounts a DingoFS cluster addressed by
 *     its MDS list "host:port[,host:port...]".
 * The core functions (first part of this file) are source- and
 * binary-compatible between the two. The extensions (last part, prefixed
 * dingofs_x_) exist only in the embedded engine; portable callers look them up
 * at run time (weak symbols or dlsym) and treat a missing one as EOPNOTSUPP.
 *
 * General rules
 *   - Every int/ssize_t/off_t result is >= 0 on success and -errno on failure.
 *     The global errno is left untouched.
 *   - A handle (uintptr_t) comes from dingofs_new(); 0 is never a valid handle
 *     and any call taking a handle returns -EINVAL for 0 (the embedded engine
 *     also for any handle it did not issue or has already deleted).
 *   - Path and fd calls on a handle that is not mounted return -ENOTCONN.
 *     An fd or directory handle that the handle does not know returns -EBADF.
 *   - File descriptors (>= 3) and directory handles (>= 1) belong to one
 *     handle and are never reused by it: a late call on a closed one is -EBADF.
 *   - Required pointer arguments that are NULL return -EINVAL.
 *   - Paths are absolute inside the mounted filesystem (a relative path starts
 *     at its root). Symlinks are followed except where a function says not.
 *   - All functions are thread-safe. A close/closedir/umount racing I/O on the
 *     same object makes the racing call either complete or fail with
 *     -EBADF/-ENOTCONN.
 *   - A handle belongs to the process that mounted it; in a forked child its
 *     calls return -ENOTCONN and dingofs_delete() only frees memory.
 */
#ifndef DINGOFS_LIBDINGOFS_H_
#define DINGOFS_LIBDINGOFS_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/time.h>
#include <dirent.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Types                                                                     */
/* ------------------------------------------------------------------------ */

/* One directory entry as returned by dingofs_readdir(). */
typedef struct {
  uint64_t d_ino;      /* inode number */
  uint8_t d_type;      /* DT_REG, DT_DIR, DT_LNK, ... (DT_UNKNOWN if unknown) */
  char d_name[256];    /* NUL-terminated name */
} dingofs_dirent_t;

/* Filesystem usage as returned by dingofs_statfs(). */
typedef struct {
  int64_t total_bytes;
  int64_t used_bytes;
  int64_t total_inodes;
  int64_t used_inodes;
} dingofs_statfs_t;

/* One configuration option as returned by dingofs_conf_list(). */
typedef struct {
  const char* name;
  const char* type;           /* "bool", "int32", "uint32", "int64", "string", ... */
  const char* default_value;  /* effective default */
  const char* description;
} dingofs_option_t;

/* ------------------------------------------------------------------------ */
/* Lifecycle and configuration                                               */
/* ------------------------------------------------------------------------ */

/*
 * dingofs_new - create an unmounted handle.
 * Returns the handle, or 0 when memory is exhausted.
 *
 * dingofs_delete - release a handle. A mounted handle is unmounted first.
 * 0 is ignored; deleting an unknown handle is harmless in the embedded engine.
 */
uintptr_t dingofs_new(void);
void dingofs_delete(uintptr_t h);

/*
 * dingofs_conf_list - list the known options, sorted by name.
 *   h:     a handle or 0 (options are the same for every handle).
 *   opts:  [out] heap array owned by the caller, freed with
 *          dingofs_conf_list_free().
 *   count: [out] number of entries.
 * Returns 0, -EINVAL for NULL pointers, -ENOMEM.
 *
 * dingofs_conf_list_free - free what dingofs_conf_list() returned.
 * NULL is ignored.
 *
 * dingofs_conf_print - print every option and its current value to stdout.
 * h may be 0.
 */
int dingofs_conf_list(uintptr_t h, dingofs_option_t** opts, int* count);
void dingofs_conf_list_free(dingofs_option_t* opts, int count);
void dingofs_conf_print(uintptr_t h);

/*
 * dingofs_conf_set - set an option.
 * Log options (log.dir/log_dir, log.level/log_level, log.v/log_v,
 * conf.file/conf_file) belong to the handle; every other option is
 * process-wide and applies at the latest to mounts made afterwards.
 * Returns 0, -EINVAL for an unknown key, a malformed value or NULL arguments.
 *
 * dingofs_conf_get - read an option's current value as a string.
 *   value: [out] buffer receiving the NUL-terminated value.
 *   bufsz: its size; too small -> -ERANGE and the buffer is left untouched.
 * Returns 0, -EINVAL (unknown key, NULL arguments), -ERANGE.
 *
 * dingofs_conf_load - remember a configuration file to apply at mount.
 * The file holds one "--key=value" or "-key=value" per line; '#' starts a
 * comment line; blank lines are ignored. dingofs_conf_set() calls made after
 * dingofs_conf_load() win over the file. A bad line makes the mount fail with
 * -EINVAL (and a log line naming it).
 * Returns 0, -EINVAL for NULL or "", -errno when the file cannot be read.
 */
int dingofs_conf_set(uintptr_t h, const char* key, const char* value);
int dingofs_conf_load(uintptr_t h, const char* path);
int dingofs_conf_get(uintptr_t h, const char* key, char* value, size_t bufsz);

/*
 * dingofs_mount - mount a filesystem on the handle.
 *   mds_addrs:  "host:port[,host:port]" for a cluster, or for the embedded
 *               engine "local://NAME[?base=DIR&storage=file&path=DIR&create=0|1
 *               &ro=1&capacity=BYTES&inodes=N]".
 *   fsname:     the filesystem name (the embedded engine: NAME or "").
 *   mountpoint: a label used in logs; no kernel mount is made.
 * A handle mounts once (-EINVAL the second time). Opens the log file
 * dingofs-<NAME>.<pid>.<handle>.log in the handle's log.dir.
 * Returns 0 or -errno: -EINVAL (bad arguments), -ENOENT (create=0 and no such
 * filesystem), -EPROTO (on-disk format newer than the library),
 * -EPROTONOSUPPORT (an address this library cannot serve), -EIO, ...
 *
 * dingofs_mount_nolog - the same without creating a log file.
 *
 * dingofs_umount - flush everything, close every fd and directory handle of
 * the handle (later use: -EBADF) and detach. Returns 0, -EINVAL, -ENOTCONN.
 */
int dingofs_mount(uintptr_t h, const char* mds_addrs, const char* fsname,
                  const char* mountpoint);
int dingofs_mount_nolog(uintptr_t h, const char* mds_addrs, const char* fsname,
                        const char* mountpoint);
int dingofs_umount(uintptr_t h);

/* ------------------------------------------------------------------------ */
/* File I/O                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * dingofs_open - open (and with O_CREAT create) a file.
 *   flags: O_RDONLY/O_WRONLY/O_RDWR with O_CREAT, O_EXCL, O_TRUNC, O_APPEND,
 *          O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK (others ignored).
 *   mode:  permission bits of a created file (no umask is applied).
 * Returns an fd >= 3 or -errno (-ENOENT, -EEXIST, -EISDIR, -ENOTDIR, -ELOOP,
 * -EACCES, -ENXIO for special files, -EROFS, -ENOSPC, -ENAMETOOLONG, ...).
 *
 * dingofs_read / dingofs_write - transfer at the fd's offset and advance it.
 * dingofs_pread / dingofs_pwrite - transfer at an explicit offset; the fd's
 * offset is unchanged (with O_APPEND, pwrite appends, as on Linux).
 * Return the number of bytes moved (0 at end of file), or -EBADF (unknown fd
 * or wrong direction), -EISDIR, -EINVAL (negative offset, NULL buffer),
 * -EFBIG, -ENOSPC, -EPERM (immutable/append-only), -EIO.
 *
 * dingofs_lseek - move the fd's offset (SEEK_SET, SEEK_CUR, SEEK_END; the
 * embedded engine also SEEK_DATA and SEEK_HOLE). Returns the new offset,
 * -EINVAL, -ENXIO, -EBADF.
 *
 * dingofs_flush - publish the file's size and times to other handles and
 * processes. dingofs_fsync - make its data and metadata durable (datasync != 0:
 * data and the metadata needed to read it). Return 0 or -errno.
 *
 * dingofs_close - flush and release the fd. Returns 0 or -EBADF.
 *
 * dingofs_ftruncate - set the size of the fd's file (needs write access).
 * Returns 0, -EINVAL (negative length or not writable), -EFBIG, -EPERM.
 */
int dingofs_open(uintptr_t h, const char* path, int flags, mode_t mode);
ssize_t dingofs_read(uintptr_t h, int fd, void* buf, size_t count);
ssize_t dingofs_write(uintptr_t h, int fd, const void* buf, size_t count);
ssize_t dingofs_pread(uintptr_t h, int fd, void* buf, size_t count, off_t offset);
ssize_t dingofs_pwrite(uintptr_t h, int fd, const void* buf, size_t count,
                       off_t offset);
off_t dingofs_lseek(uintptr_t h, int fd, off_t offset, int whence);
int dingofs_flush(uintptr_t h, int fd);
int dingofs_fsync(uintptr_t h, int fd, int datasync);
int dingofs_close(uintptr_t h, int fd);
int dingofs_ftruncate(uintptr_t h, int fd, off_t length);

/* ------------------------------------------------------------------------ */
/* Metadata                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * dingofs_stat / dingofs_lstat / dingofs_fstat - attributes of a path
 * (following a final symlink), of a path (not following it), of an fd.
 *   st: [out] filled like stat(2): st_ino, st_mode, st_nlink, st_uid, st_gid,
 *       st_rdev, st_size, st_blksize, st_blocks and nanosecond times.
 *
 * dingofs_chmod - set the permission bits (07777); the type bits are kept.
 * dingofs_chown - set owner and group; (uid_t)-1 / (gid_t)-1 keep a field.
 * dingofs_truncate - set a file's size (-EINVAL for a negative length,
 *   -EISDIR for a directory).
 * dingofs_utimes - set access (tv[0]) and modification (tv[1]) times with
 *   microsecond precision; tv == NULL sets both to now.
 * dingofs_statfs - filesystem capacity and usage.
 * All return 0 or -errno.
 */
int dingofs_stat(uintptr_t h, const char* path, struct stat* st);
int dingofs_lstat(uintptr_t h, const char* path, struct stat* st);
int dingofs_fstat(uintptr_t h, int fd, struct stat* st);
int dingofs_chmod(uintptr_t h, const char* path, mode_t mode);
int dingofs_chown(uintptr_t h, const char* path, uid_t owner, gid_t group);
int dingofs_truncate(uintptr_t h, const char* path, off_t length);
int dingofs_utimes(uintptr_t h, const char* path, const struct timeval tv[2]);
int dingofs_statfs(uintptr_t h, dingofs_statfs_t* st);

/* ------------------------------------------------------------------------ */
/* Directories                                                               */
/* ------------------------------------------------------------------------ */

/*
 * dingofs_mkdir - create a directory (mode & 01777, no umask).
 *   -EEXIST if the name exists, -ENOENT/-ENOTDIR for a bad parent.
 * dingofs_mkdirs - like "mkdir -p": 0 if the directory already exists,
 *   -ENOTDIR if a middle component is not a directory, -EEXIST if the last
 *   one exists and is not a directory.
 * dingofs_rmdir - remove an empty directory (-ENOTEMPTY, -ENOTDIR, -EINVAL
 *   for a final ".", -EBUSY for the root).
 *
 * dingofs_opendir - open a directory for reading.
 *   dh: [out] directory handle (>= 1).
 * dingofs_readdir - read up to count entries into buf: "." and ".." first,
 *   then the entries. Returns the number read, 0 at the end, -EINVAL for
 *   count <= 0 or NULL buf, -EBADF. Entries present for the whole iteration
 *   are returned exactly once; removing entries already returned never makes
 *   others be skipped.
 * dingofs_closedir - release a directory handle (-EBADF if unknown).
 */
int dingofs_mkdir(uintptr_t h, const char* path, mode_t mode);
int dingofs_mkdirs(uintptr_t h, const char* path, mode_t mode);
int dingofs_rmdir(uintptr_t h, const char* path);
int dingofs_opendir(uintptr_t h, const char* path, uint64_t* dh);
int dingofs_readdir(uintptr_t h, uint64_t dh, dingofs_dirent_t* buf, int count);
int dingofs_closedir(uintptr_t h, uint64_t dh);

/* ------------------------------------------------------------------------ */
/* Links, rename, unlink                                                     */
/* ------------------------------------------------------------------------ */

/*
 * dingofs_rename - atomically rename src to dst, replacing a file, or an
 *   empty directory by a directory. -ENOTDIR, -EISDIR, -ENOTEMPTY, -EINVAL
 *   (a directory into its own subtree), -EXDEV never. Renaming a name onto
 *   itself or onto another link of the same inode does nothing.
 * dingofs_unlink - remove a name (-EISDIR for a directory). An open file
 *   stays usable through its fds until the last close.
 * dingofs_link - make newpath another name of oldpath (oldpath is not
 *   followed if it is a symlink). -EPERM for a directory, -EEXIST.
 * dingofs_symlink - create linkpath as a symlink holding target verbatim.
 * dingofs_readlink - copy a symlink's target into buf (not NUL-terminated,
 *   truncated to bufsz). Returns the number of bytes copied; when it equals
 *   bufsz the caller retries with a larger buffer. -EINVAL (not a symlink,
 *   NULL buf, bufsz 0).
 * All others return 0 or -errno.
 */
int dingofs_rename(uintptr_t h, const char* src, const char* dst);
int dingofs_unlink(uintptr_t h, const char* path);
int dingofs_link(uintptr_t h, const char* oldpath, const char* newpath);
int dingofs_symlink(uintptr_t h, const char* target, const char* linkpath);
ssize_t dingofs_readlink(uintptr_t h, const char* path, char* buf, size_t bufsz);

/* ------------------------------------------------------------------------ */
/* Extended attributes and ioctl                                             */
/* ------------------------------------------------------------------------ */

/*
 * dingofs_setxattr - set attribute name (with a user., trusted., security. or
 *   system. prefix) to value. flags: 0, XATTR_CREATE (-EEXIST if present),
 *   XATTR_REPLACE (-ENODATA if absent). value may be NULL when size is 0.
 *   -ERANGE for an empty or too long name, -E2BIG above 65536 bytes,
 *   -EOPNOTSUPP for an unknown namespace.
 * dingofs_getxattr - copy the value into value[0..size). size 0 asks for the
 *   length (value may then be NULL). Returns the length, -ENODATA, -ERANGE
 *   (buffer too small).
 * dingofs_listxattr - the names, each NUL-terminated, concatenated. size 0
 *   asks for the length. Returns the length or -ERANGE.
 * dingofs_removexattr - remove an attribute (-ENODATA if absent).
 *
 * dingofs_ioctl - inode ioctls on an open fd. The direction and size of the
 *   argument come from cmd (_IOC_DIR/_IOC_SIZE); exactly _IOC_SIZE(cmd)
 *   bytes are read from or written to arg. Supported: FS_IOC_GETFLAGS,
 *   FS_IOC_SETFLAGS (8-byte argument, low 32 bits used), FS_IOC32_GETFLAGS,
 *   FS_IOC32_SETFLAGS (4 bytes), FS_IOC_FSGETXATTR (struct fsxattr, 28
 *   bytes). Anything else: -EOPNOTSUPP. Setting FS_IMMUTABLE_FL or
 *   FS_APPEND_FL needs root (-EPERM).
 */
int dingofs_setxattr(uintptr_t h, const char* path, const char* name,
                     const void* value, size_t size, int flags);
ssize_t dingofs_getxattr(uintptr_t h, const char* path, const char* name,
                         void* value, size_t size);
ssize_t dingofs_listxattr(uintptr_t h, const char* path, char* list, size_t size);
int dingofs_removexattr(uintptr_t h, const char* path, const char* name);
int dingofs_ioctl(uintptr_t h, int fd, unsigned int cmd, void* arg);

/* ======================================================================== */
/* Extensions of the embedded engine                                         */
/*                                                                           */
/* Not part of the upstream library. Callers that must also run against the  */
/* upstream client declare these weak (or use dlsym) and fall back when they */
/* are absent. The same error conventions apply.                             */
/* ======================================================================== */

#include <time.h> /* struct timespec */

#ifndef DINGOFS_X_TYPES_DEFINED
#define DINGOFS_X_TYPES_DEFINED 1

/* One entry returned by dingofs_x_readdirplus(). */
typedef struct {
  dingofs_dirent_t dirent;  /* name, inode number and type */
  struct stat st;           /* attributes of the entry itself (not followed) */
  uint32_t flags;           /* inode flags word (FS_*_FL) */
} dingofs_x_direntplus_t;

#endif /* DINGOFS_X_TYPES_DEFINED */

#ifndef DINGOFS_X_LOCAL_TYPES_DEFINED
#define DINGOFS_X_LOCAL_TYPES_DEFINED 1

/* A local filesystem, as dingofs_x_local_info() and dingofs_x_local_list()
 * describe it. The strings live in the same allocation as the entries. */
typedef struct {
  const char* name;     /* NAME */
  const char* base_dir; /* base directory: base=, else the default base */
  const char* meta_dir; /* metadata directory: <base_dir>/meta/<NAME> */
  const char* data_dir; /* data directory: the one recorded at creation when the
                           filesystem exists, else path=, else
                           <base_dir>/data/<NAME> */
  int64_t bytes;        /* bytes allocated on disk to its files (metadata and
                           data), -1 when not counted */
  int exists;           /* 1: it exists (has a metadata store); 0: it does not;
                           -1: not looked at */
  int mounted;          /* 1: some handle, in any process, has it mounted (or a
                           repair runs); 0: none has; -1: not looked at or
                           cannot be told */
} dingofs_x_local_t;

#endif /* DINGOFS_X_LOCAL_TYPES_DEFINED */

/* Flags of dingofs_x_rename2() (same values as Linux renameat2). */
#define DINGOFS_X_RENAME_NOREPLACE 1u
#define DINGOFS_X_RENAME_EXCHANGE 2u

/* Flag of the *_x_* calls that must not follow a final symlink
 * (same value as AT_SYMLINK_NOFOLLOW). */
#define DINGOFS_X_NOFOLLOW 0x100

/* Fields of dingofs_x_setattr(). */
#define DINGOFS_X_SET_MODE 0x01u
#define DINGOFS_X_SET_UID 0x02u
#define DINGOFS_X_SET_GID 0x04u
#define DINGOFS_X_SET_SIZE 0x08u
#define DINGOFS_X_SET_ATIME 0x10u
#define DINGOFS_X_SET_MTIME 0x20u

/* Flags of dingofs_x_fsck(). */
#define DINGOFS_X_FSCK_REPAIR 1

/* Flags of dingofs_x_local_info() and dingofs_x_local_list(). */
#define DINGOFS_X_LOCAL_SIZES 1 /* count the bytes on disk (walks the files) */
#define DINGOFS_X_LOCAL_PARSE 2 /* the address alone: no file is looked at */

/*
 * dingofs_x_version - the library version ("0.1.0").
 *   is_embedded: [out, optional] set to 1 for the embedded engine.
 * Returns a static string; never NULL.
 */
const char* dingofs_x_version(int* is_embedded);

/*
 * dingofs_x_mknod - create a regular file (S_IFREG), FIFO (S_IFIFO) or
 *   socket (S_IFSOCK); character and block devices (rdev = dev) for root only
 *   (-EPERM otherwise). mode holds the type and the permission bits (no
 *   umask). Returns 0, -EEXIST, -EINVAL (unknown type), ...
 */
int dingofs_x_mknod(uintptr_t h, const char* path, mode_t mode, dev_t dev);

/*
 * dingofs_x_utimens - set atime (ts[0]) and mtime (ts[1]) with nanosecond
 *   precision; tv_nsec may be UTIME_NOW or UTIME_OMIT; ts == NULL sets both to
 *   now. flags: 0 or DINGOFS_X_NOFOLLOW (change a symlink itself).
 */
int dingofs_x_utimens(uintptr_t h, const char* path, const struct timespec ts[2],
                      int flags);

/*
 * dingofs_x_stat - stat that also returns the inode flags word.
 *   flags: 0 or DINGOFS_X_NOFOLLOW (lstat).
 *   st:     [out] attributes.
 *   iflags: [out, optional] FS_*_FL word (0 for symlinks and special files).
 * dingofs_x_fstat - the same for an fd.
 */
int dingofs_x_stat(uintptr_t h, const char* path, int flags, struct stat* st,
                   uint32_t* iflags);
int dingofs_x_fstat(uintptr_t h, int fd, struct stat* st, uint32_t* iflags);

/*
 * dingofs_x_readdirplus - like dingofs_readdir() but without "." and "..",
 *   and with each entry's attributes (lstat-like) and inode flags. Shares the
 *   directory handle's position with dingofs_readdir(). Returns the number of
 *   entries, 0 at the end, -EINVAL, -EBADF.
 */
int dingofs_x_readdirplus(uintptr_t h, uint64_t dh, dingofs_x_direntplus_t* buf,
                          int count);

/*
 * dingofs_x_rename2 - rename with flags: 0 (as dingofs_rename),
 *   DINGOFS_X_RENAME_NOREPLACE (-EEXIST if dst exists),
 *   DINGOFS_X_RENAME_EXCHANGE (atomically swap two existing names; -ENOENT if
 *   either is missing). Both flags together: -EINVAL.
 */
int dingofs_x_rename2(uintptr_t h, const char* src, const char* dst,
                      unsigned int flags);

/*
 * dingofs_x_copy_file_range - copy up to len bytes from fd_in to fd_out
 *   inside the filesystem, like copy_file_range(2).
 *   off_in/off_out: [in/out, optional] offsets to use and advance; NULL uses
 *   and advances the fd's own offset.
 *   flags: must be 0.
 * Returns the number of bytes copied (0 at end of input), -EBADF (wrong
 * direction), -EINVAL (same file with overlapping ranges, flags), -EISDIR.
 */
ssize_t dingofs_x_copy_file_range(uintptr_t h, int fd_in, off_t* off_in,
                                  int fd_out, off_t* off_out, size_t len,
                                  unsigned int flags);

/*
 * dingofs_x_flock - advisory whole-file lock, like flock(2).
 *   op: LOCK_SH, LOCK_EX or LOCK_UN, optionally | LOCK_NB.
 * Locks belong to the fd; they conflict between fds (in this or other
 * processes) and are released on close, umount and process exit.
 * Returns 0, -EWOULDBLOCK (LOCK_NB and a conflict), -EINVAL, -EBADF,
 * -ETIMEDOUT never (a blocking lock waits).
 */
int dingofs_x_flock(uintptr_t h, int fd, int op);

/*
 * dingofs_x_fallocate - allocate (mode 0, or FALLOC_FL_KEEP_SIZE) or punch a
 *   hole (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) in [offset, offset+len).
 * Returns 0, -EOPNOTSUPP for other modes, -EINVAL, -EBADF, -ENOSPC.
 */
int dingofs_x_fallocate(uintptr_t h, int fd, int mode, off_t offset, off_t len);

/*
 * dingofs_x_access - check access like access(2) / faccessat(2) with
 *   AT_EACCESS: mode is F_OK or a mask of R_OK, W_OK, X_OK, checked against
 *   the caller's effective uid/gid. Returns 0, -EACCES, -ENOENT, ...
 */
int dingofs_x_access(uintptr_t h, const char* path, int mode);

/*
 * dingofs_x_lchown - chown that does not follow a final symlink.
 * dingofs_x_fchmod / dingofs_x_fchown - chmod/chown through an fd.
 */
int dingofs_x_lchown(uintptr_t h, const char* path, uid_t owner, gid_t group);
int dingofs_x_fchmod(uintptr_t h, int fd, mode_t mode);
int dingofs_x_fchown(uintptr_t h, int fd, uid_t owner, gid_t group);

/*
 * dingofs_x_fsck - check (and optionally repair) a local filesystem without
 *   mounting it.
 *   mds_addrs: "local://NAME[?base=...&path=...]".
 *   flags:     0 (read-only check, allowed while mounted elsewhere) or
 *              DINGOFS_X_FSCK_REPAIR (-EBUSY while any process has it
 *              mounted).
 *   report:    [out, optional] heap string, one problem per line, freed with
 *              dingofs_x_free().
 * Returns the number of problems found (0 = consistent; in-use orphans of
 * live openers are reported but not counted), or -errno.
 */
int dingofs_x_fsck(const char* mds_addrs, int flags, char** report);

/*
 * dingofs_x_setattr - change several attributes in one transaction: all of
 *   them or none. Applied in the order size (truncate), owner and group
 *   (chown; -1 keeps a field), permission bits (chmod), times (ts[0] atime,
 *   ts[1] mtime, tv_nsec may be UTIME_NOW), each with the rules of its own
 *   call, for the fields named in mask (DINGOFS_X_SET_*).
 *   flags: 0 or DINGOFS_X_NOFOLLOW (then SIZE is -EINVAL, and MODE of a
 *          symlink -EOPNOTSUPP).
 *   st, iflags: [out, optional] the attributes after the change, read in the
 *          same transaction.
 * Returns 0 or -errno.
 */
int dingofs_x_setattr(uintptr_t h, const char* path, int flags, unsigned int mask,
                      mode_t mode, uid_t uid, gid_t gid, off_t size,
                      const struct timespec ts[2], struct stat* st, uint32_t* iflags);

/*
 * dingofs_x_last_attr - the attributes of the inode that the calling
 *   thread's last successful change through handle h created or changed
 *   (mkdir, mknod, symlink, link, chmod, chown, truncate, utimes and their
 *   extension variants), as read inside that call's own transaction: another
 *   client's later change or a lost search permission does not affect them.
 * Returns 0, or -ENODATA when this thread made no such call on h.
 */
int dingofs_x_last_attr(uintptr_t h, struct stat* st, uint32_t* iflags);

/*
 * dingofs_x_local_info - what a local:// address resolves to, without
 *   mounting: the name, base, metadata and data directories a mount of it
 *   would use (parsed exactly as dingofs_mount() parses it; a parameter given
 *   twice counts with its last value), and whether the filesystem exists and
 *   is mounted.
 *   mds_addrs: "local://NAME[?base=...&path=...&...]".
 *   flags:     0, DINGOFS_X_LOCAL_SIZES (also count the bytes on disk) or
 *              DINGOFS_X_LOCAL_PARSE (from the address alone, touching no
 *              file: exists, mounted and bytes are -1, data_dir is path= or
 *              the default). Both together: -EINVAL.
 *   info:      [out] one heap entry, freed with dingofs_x_free(); NULL on
 *              failure.
 * Returns 0, -EINVAL (malformed address, NULL pointer, unknown flag; see
 * dingofs_x_last_error()), -EPROTONOSUPPORT (not a local:// address),
 * -ENOMEM.
 */
int dingofs_x_local_info(const char* mds_addrs, int flags, dingofs_x_local_t** info);

/*
 * dingofs_x_local_list - the local filesystems under a base directory, sorted
 *   by name (byte order), each described as by dingofs_x_local_info().
 *   base:  the base directory; NULL for the default one ($DINGOFS_BASE_DIR,
 *          else /var/dingo for root and ~/.dingo for other users).
 *   flags: 0 or DINGOFS_X_LOCAL_SIZES.
 *   list:  [out] the entries in one heap block freed with dingofs_x_free();
 *          NULL when there are none and on failure.
 * Returns the number of entries (0 for a base that does not exist), or
 * -EINVAL (empty base, NULL list, unknown flag), -EACCES, ... (the base
 * cannot be read).
 */
int dingofs_x_local_list(const char* base, int flags, dingofs_x_local_t** list);

/*
 * dingofs_x_local_remove - delete a local filesystem: its metadata directory
 *   and its data files (in the data directory recorded at creation, which may
 *   be a path= directory outside the base). Only the engine's own files go: a
 *   data directory that holds anything else is left with that in it.
 *   mds_addrs: "local://NAME[?base=...]"; a path= must name the recorded data
 *              directory.
 *   The removal holds the filesystem's mount lock: a mount that starts
 *   meanwhile fails.
 * Returns 0, -ENOENT (no such filesystem), -EBUSY (a handle, in this or
 * another process, has it mounted, or a repair runs), -EINVAL (malformed
 * address, or a path= other than the recorded one), -EPROTONOSUPPORT (not a
 * local:// address), or the -errno of a file that could not be removed
 * (then running it again finishes the removal). dingofs_x_last_error()
 * explains a failure.
 */
int dingofs_x_local_remove(const char* mds_addrs);

/*
 * dingofs_x_last_error - the explanation of the calling thread's last failed
 *   mount or dingofs_x_local_*() call (what was wrong and what is valid),
 *   copied NUL-terminated into buf (truncated to bufsz - 1 bytes).
 * Returns the length of the whole text (0 when there is none).
 */
size_t dingofs_x_last_error(char* buf, size_t bufsz);

/* dingofs_x_free - free memory returned by an extension. NULL is ignored. */
void dingofs_x_free(void* p);

#ifdef __cplusplus
}
#endif

#endif /* DINGOFS_LIBDINGOFS_H_ */

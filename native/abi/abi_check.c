/*
 * abi_check.c - compile-time proof that a libdingofs.h declares the upstream
 * ABI: the 45 core functions with their exact types and the three structs
 * with their exact layouts (x86-64).
 *
 * Built against our header and against upstream's (see Makefile, target
 * "check"). Linked and run, it also proves that the library it is linked
 * with exports every core symbol.
 */
#include <dingofs/libdingofs.h>

#include <stddef.h>
#include <stdio.h>

/*
 * FN(name, ret, params...) checks that `name` has exactly the type
 * ret(params...) and stores its address in a table (so that linking the
 * program needs the symbol). Both a pointer assignment (diagnosed under
 * -Werror) and a type-compatibility assertion are used.
 */
#define FN(name, ret, ...)                                                   \
  _Static_assert(__builtin_types_compatible_p(__typeof__(&name),             \
                                              ret (*)(__VA_ARGS__)),         \
                 #name " does not have the upstream type");                  \
  static ret (*const p_##name)(__VA_ARGS__) = name;

/* Lifecycle and configuration */
FN(dingofs_new, uintptr_t, void)
FN(dingofs_delete, void, uintptr_t)
FN(dingofs_conf_list, int, uintptr_t, dingofs_option_t**, int*)
FN(dingofs_conf_list_free, void, dingofs_option_t*, int)
FN(dingofs_conf_print, void, uintptr_t)
FN(dingofs_conf_set, int, uintptr_t, const char*, const char*)
FN(dingofs_conf_load, int, uintptr_t, const char*)
FN(dingofs_conf_get, int, uintptr_t, const char*, char*, size_t)
FN(dingofs_mount, int, uintptr_t, const char*, const char*, const char*)
FN(dingofs_mount_nolog, int, uintptr_t, const char*, const char*, const char*)
FN(dingofs_umount, int, uintptr_t)
/* File I/O */
FN(dingofs_open, int, uintptr_t, const char*, int, mode_t)
FN(dingofs_read, ssize_t, uintptr_t, int, void*, size_t)
FN(dingofs_write, ssize_t, uintptr_t, int, const void*, size_t)
FN(dingofs_pread, ssize_t, uintptr_t, int, void*, size_t, off_t)
FN(dingofs_pwrite, ssize_t, uintptr_t, int, const void*, size_t, off_t)
FN(dingofs_lseek, off_t, uintptr_t, int, off_t, int)
FN(dingofs_flush, int, uintptr_t, int)
FN(dingofs_fsync, int, uintptr_t, int, int)
FN(dingofs_close, int, uintptr_t, int)
FN(dingofs_ftruncate, int, uintptr_t, int, off_t)
/* Metadata */
FN(dingofs_stat, int, uintptr_t, const char*, struct stat*)
FN(dingofs_lstat, int, uintptr_t, const char*, struct stat*)
FN(dingofs_fstat, int, uintptr_t, int, struct stat*)
FN(dingofs_chmod, int, uintptr_t, const char*, mode_t)
FN(dingofs_chown, int, uintptr_t, const char*, uid_t, gid_t)
FN(dingofs_truncate, int, uintptr_t, const char*, off_t)
FN(dingofs_utimes, int, uintptr_t, const char*, const struct timeval*)
FN(dingofs_statfs, int, uintptr_t, dingofs_statfs_t*)
/* Directories */
FN(dingofs_mkdir, int, uintptr_t, const char*, mode_t)
FN(dingofs_mkdirs, int, uintptr_t, const char*, mode_t)
FN(dingofs_rmdir, int, uintptr_t, const char*)
FN(dingofs_opendir, int, uintptr_t, const char*, uint64_t*)
FN(dingofs_readdir, int, uintptr_t, uint64_t, dingofs_dirent_t*, int)
FN(dingofs_closedir, int, uintptr_t, uint64_t)
/* Links, rename, unlink */
FN(dingofs_rename, int, uintptr_t, const char*, const char*)
FN(dingofs_unlink, int, uintptr_t, const char*)
FN(dingofs_link, int, uintptr_t, const char*, const char*)
FN(dingofs_symlink, int, uintptr_t, const char*, const char*)
FN(dingofs_readlink, ssize_t, uintptr_t, const char*, char*, size_t)
/* Extended attributes and ioctl */
FN(dingofs_setxattr, int, uintptr_t, const char*, const char*, const void*,
   size_t, int)
FN(dingofs_getxattr, ssize_t, uintptr_t, const char*, const char*, void*,
   size_t)
FN(dingofs_listxattr, ssize_t, uintptr_t, const char*, char*, size_t)
FN(dingofs_removexattr, int, uintptr_t, const char*, const char*)
FN(dingofs_ioctl, int, uintptr_t, int, unsigned int, void*)

/* Platform types the signatures are written in (x86-64 Linux, glibc). */
_Static_assert(sizeof(uintptr_t) == 8, "uintptr_t");
_Static_assert(sizeof(off_t) == 8, "off_t must be 64-bit");
_Static_assert(sizeof(ssize_t) == 8 && sizeof(size_t) == 8, "size types");
_Static_assert(sizeof(mode_t) == 4 && sizeof(uid_t) == 4 &&
                   sizeof(gid_t) == 4, "mode/uid/gid");
_Static_assert(sizeof(struct stat) == 144, "struct stat");
_Static_assert(sizeof(struct timeval) == 16, "struct timeval");

/* dingofs_dirent_t */
_Static_assert(sizeof(dingofs_dirent_t) == 272, "dirent size");
_Static_assert(offsetof(dingofs_dirent_t, d_ino) == 0, "d_ino");
_Static_assert(offsetof(dingofs_dirent_t, d_type) == 8, "d_type");
_Static_assert(offsetof(dingofs_dirent_t, d_name) == 9, "d_name");
_Static_assert(sizeof(((dingofs_dirent_t*)0)->d_ino) == 8, "d_ino size");
_Static_assert(sizeof(((dingofs_dirent_t*)0)->d_type) == 1, "d_type size");
_Static_assert(sizeof(((dingofs_dirent_t*)0)->d_name) == 256, "d_name size");
_Static_assert(_Alignof(dingofs_dirent_t) == 8, "dirent alignment");

/* dingofs_statfs_t */
_Static_assert(sizeof(dingofs_statfs_t) == 32, "statfs size");
_Static_assert(offsetof(dingofs_statfs_t, total_bytes) == 0, "total_bytes");
_Static_assert(offsetof(dingofs_statfs_t, used_bytes) == 8, "used_bytes");
_Static_assert(offsetof(dingofs_statfs_t, total_inodes) == 16, "total_inodes");
_Static_assert(offsetof(dingofs_statfs_t, used_inodes) == 24, "used_inodes");
_Static_assert(__builtin_types_compatible_p(
                   __typeof__(((dingofs_statfs_t*)0)->used_inodes), int64_t),
               "statfs fields are int64_t");

/* dingofs_option_t */
_Static_assert(sizeof(dingofs_option_t) == 32, "option size");
_Static_assert(offsetof(dingofs_option_t, name) == 0, "name");
_Static_assert(offsetof(dingofs_option_t, type) == 8, "type");
_Static_assert(offsetof(dingofs_option_t, default_value) == 16, "default");
_Static_assert(offsetof(dingofs_option_t, description) == 24, "description");

#ifdef DINGOFS_X_TYPES_DEFINED
/* Our header only: the extension entry embeds the core dirent first. */
_Static_assert(offsetof(dingofs_x_direntplus_t, dirent) == 0,
               "direntplus starts with a dingofs_dirent_t");
#endif

typedef void (*any_fn)(void);

int main(void) {
  /* Use every pointer so that the linker must resolve every symbol. */
  const any_fn table[] = {
      (any_fn)p_dingofs_new,          (any_fn)p_dingofs_delete,
      (any_fn)p_dingofs_conf_list,    (any_fn)p_dingofs_conf_list_free,
      (any_fn)p_dingofs_conf_print,   (any_fn)p_dingofs_conf_set,
      (any_fn)p_dingofs_conf_load,    (any_fn)p_dingofs_conf_get,
      (any_fn)p_dingofs_mount,        (any_fn)p_dingofs_mount_nolog,
      (any_fn)p_dingofs_umount,       (any_fn)p_dingofs_open,
      (any_fn)p_dingofs_read,         (any_fn)p_dingofs_write,
      (any_fn)p_dingofs_pread,        (any_fn)p_dingofs_pwrite,
      (any_fn)p_dingofs_lseek,        (any_fn)p_dingofs_flush,
      (any_fn)p_dingofs_fsync,        (any_fn)p_dingofs_close,
      (any_fn)p_dingofs_ftruncate,    (any_fn)p_dingofs_stat,
      (any_fn)p_dingofs_lstat,        (any_fn)p_dingofs_fstat,
      (any_fn)p_dingofs_chmod,        (any_fn)p_dingofs_chown,
      (any_fn)p_dingofs_truncate,     (any_fn)p_dingofs_utimes,
      (any_fn)p_dingofs_statfs,       (any_fn)p_dingofs_mkdir,
      (any_fn)p_dingofs_mkdirs,       (any_fn)p_dingofs_rmdir,
      (any_fn)p_dingofs_opendir,      (any_fn)p_dingofs_readdir,
      (any_fn)p_dingofs_closedir,     (any_fn)p_dingofs_rename,
      (any_fn)p_dingofs_unlink,       (any_fn)p_dingofs_link,
      (any_fn)p_dingofs_symlink,      (any_fn)p_dingofs_readlink,
      (any_fn)p_dingofs_setxattr,     (any_fn)p_dingofs_getxattr,
      (any_fn)p_dingofs_listxattr,    (any_fn)p_dingofs_removexattr,
      (any_fn)p_dingofs_ioctl,
  };
  size_t n = sizeof(table) / sizeof(table[0]);
  size_t missing = 0;
  for (size_t i = 0; i < n; i++)
    if (table[i] == NULL) missing++;
  printf("abi_check: %zu core functions resolved, %zu missing\n", n - missing,
         missing);
  return (n == 45 && missing == 0) ? 0 : 1;
}

/* Lifecycle, handles, misuse, options, configuration file, logging, fork. */
#include <dirent.h>
#include <sys/wait.h>

#include "helpers.h"

TEST(handle_new_is_nonzero_and_never_reused) {
  uintptr_t a = dingofs_new();
  uintptr_t b = dingofs_new();
  REQUIRE(a != 0);
  REQUIRE(b != 0);
  CHECK(a != b);
  dingofs_delete(a);
  uintptr_t c = dingofs_new();
  CHECK(c != 0);
  CHECK(c != a);
  CHECK(c != b);
  dingofs_delete(b);
  dingofs_delete(c);
  dingofs_delete(0); /* no-op */
  dingofs_delete(a); /* already deleted: harmless */
}

static void check_all_einval(uintptr_t h) {
  struct stat st;
  char buf[16];
  uint64_t dh = 0;
  dingofs_dirent_t de;
  dingofs_statfs_t sf;
  char val[64];
  CHECK_EQ_INT(dingofs_conf_set(h, "log.level", "INFO"), -EINVAL);
  CHECK_EQ_INT(dingofs_conf_get(h, "log.level", val, sizeof val), -EINVAL);
  CHECK_EQ_INT(dingofs_conf_load(h, "/nonexistent.conf"), -EINVAL);
  CHECK_EQ_INT(dingofs_mount(h, "local://x", "x", "/m"), -EINVAL);
  CHECK_EQ_INT(dingofs_mount_nolog(h, "local://x", "x", "/m"), -EINVAL);
  CHECK_EQ_INT(dingofs_umount(h), -EINVAL);
  CHECK_EQ_INT(dingofs_open(h, "/a", O_RDONLY, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_read(h, 3, buf, 1), -EINVAL);
  CHECK_EQ_INT(dingofs_write(h, 3, buf, 1), -EINVAL);
  CHECK_EQ_INT(dingofs_pread(h, 3, buf, 1, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_pwrite(h, 3, buf, 1, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_lseek(h, 3, 0, SEEK_SET), -EINVAL);
  CHECK_EQ_INT(dingofs_flush(h, 3), -EINVAL);
  CHECK_EQ_INT(dingofs_fsync(h, 3, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_close(h, 3), -EINVAL);
  CHECK_EQ_INT(dingofs_ftruncate(h, 3, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_stat(h, "/", &st), -EINVAL);
  CHECK_EQ_INT(dingofs_lstat(h, "/", &st), -EINVAL);
  CHECK_EQ_INT(dingofs_fstat(h, 3, &st), -EINVAL);
  CHECK_EQ_INT(dingofs_chmod(h, "/", 0755), -EINVAL);
  CHECK_EQ_INT(dingofs_chown(h, "/", 0, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_truncate(h, "/a", 0), -EINVAL);
  CHECK_EQ_INT(dingofs_utimes(h, "/", NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_statfs(h, &sf), -EINVAL);
  CHECK_EQ_INT(dingofs_mkdir(h, "/d", 0755), -EINVAL);
  CHECK_EQ_INT(dingofs_mkdirs(h, "/d", 0755), -EINVAL);
  CHECK_EQ_INT(dingofs_rmdir(h, "/d"), -EINVAL);
  CHECK_EQ_INT(dingofs_opendir(h, "/", &dh), -EINVAL);
  CHECK_EQ_INT(dingofs_readdir(h, 1, &de, 1), -EINVAL);
  CHECK_EQ_INT(dingofs_closedir(h, 1), -EINVAL);
  CHECK_EQ_INT(dingofs_rename(h, "/a", "/b"), -EINVAL);
  CHECK_EQ_INT(dingofs_unlink(h, "/a"), -EINVAL);
  CHECK_EQ_INT(dingofs_link(h, "/a", "/b"), -EINVAL);
  CHECK_EQ_INT(dingofs_symlink(h, "/a", "/b"), -EINVAL);
  CHECK_EQ_INT(dingofs_readlink(h, "/b", buf, sizeof buf), -EINVAL);
  CHECK_EQ_INT(dingofs_setxattr(h, "/", "user.a", "v", 1, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_getxattr(h, "/", "user.a", buf, sizeof buf), -EINVAL);
  CHECK_EQ_INT(dingofs_listxattr(h, "/", buf, sizeof buf), -EINVAL);
  CHECK_EQ_INT(dingofs_removexattr(h, "/", "user.a"), -EINVAL);
  uint64_t fl = 0;
  CHECK_EQ_INT(dingofs_ioctl(h, 3, 0x80086601u, &fl), -EINVAL);
  CHECK_EQ_INT(dingofs_x_mknod(h, "/f", S_IFIFO | 0644, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_x_utimens(h, "/", NULL, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_x_stat(h, "/", 0, &st, NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_x_fstat(h, 3, &st, NULL), -EINVAL);
  dingofs_x_direntplus_t dp;
  CHECK_EQ_INT(dingofs_x_readdirplus(h, 1, &dp, 1), -EINVAL);
  CHECK_EQ_INT(dingofs_x_rename2(h, "/a", "/b", 0), -EINVAL);
  CHECK_EQ_INT(dingofs_x_copy_file_range(h, 3, NULL, 4, NULL, 1, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_x_flock(h, 3, LOCK_EX), -EINVAL);
  CHECK_EQ_INT(dingofs_x_fallocate(h, 3, 0, 0, 1), -EINVAL);
  CHECK_EQ_INT(dingofs_x_access(h, "/", F_OK), -EINVAL);
  CHECK_EQ_INT(dingofs_x_lchown(h, "/", 0, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_x_fchmod(h, 3, 0644), -EINVAL);
  CHECK_EQ_INT(dingofs_x_fchown(h, 3, 0, 0), -EINVAL);
}

TEST(handle_zero_is_einval_everywhere) {
  check_all_einval(0);
  /* conf_list and conf_print accept 0. */
  dingofs_option_t* opts = NULL;
  int n = 0;
  CHECK_EQ_INT(dingofs_conf_list(0, &opts, &n), 0);
  CHECK(n > 0);
  dingofs_conf_list_free(opts, n);
  dingofs_conf_print(0);
}

TEST(unknown_and_deleted_handles_are_einval) {
  uintptr_t h = dingofs_new();
  REQUIRE(h != 0);
  /* A value that was never issued. */
  check_all_einval(h ^ (uintptr_t)0x5a5a5a5a00ull);
  check_all_einval((uintptr_t)0x7fffffffffffull);
  dingofs_delete(h);
  /* A deleted handle. */
  check_all_einval(h);
}

TEST(unmounted_handle_enotconn_and_ebadf) {
  uintptr_t h = dingofs_new();
  REQUIRE(h != 0);
  struct stat st;
  char buf[8];
  dingofs_statfs_t sf;
  dingofs_dirent_t de;
  uint64_t dh;
  CHECK_EQ_INT(dingofs_stat(h, "/", &st), -ENOTCONN);
  CHECK_EQ_INT(dingofs_open(h, "/a", O_RDWR | O_CREAT, 0644), -ENOTCONN);
  CHECK_EQ_INT(dingofs_mkdir(h, "/d", 0755), -ENOTCONN);
  CHECK_EQ_INT(dingofs_opendir(h, "/", &dh), -ENOTCONN);
  CHECK_EQ_INT(dingofs_statfs(h, &sf), -ENOTCONN);
  CHECK_EQ_INT(dingofs_unlink(h, "/a"), -ENOTCONN);
  CHECK_EQ_INT(dingofs_x_access(h, "/", F_OK), -ENOTCONN);
  CHECK_EQ_INT(dingofs_umount(h), -ENOTCONN);
  /* Unknown fds and directory handles are always -EBADF. */
  CHECK_EQ_INT(dingofs_read(h, 3, buf, sizeof buf), -EBADF);
  CHECK_EQ_INT(dingofs_fstat(h, 3, &st), -EBADF);
  CHECK_EQ_INT(dingofs_close(h, 3), -EBADF);
  CHECK_EQ_INT(dingofs_readdir(h, 1, &de, 1), -EBADF);
  CHECK_EQ_INT(dingofs_closedir(h, 1), -EBADF);
  dingofs_delete(h);
}

TEST(umount_closes_fds_and_dirs) {
  uintptr_t h = fs_default();
  int fd = dingofs_open(h, "/f", O_RDWR | O_CREAT, 0644);
  REQUIRE(fd >= 3);
  CHECK_EQ_INT(dingofs_write(h, fd, "hello", 5), 5);
  uint64_t dh = 0;
  REQUIRE_EQ_INT(dingofs_opendir(h, "/", &dh), 0);
  CHECK(dh >= 1);
  REQUIRE_EQ_INT(dingofs_umount(h), 0);
  char buf[8];
  struct stat st;
  dingofs_dirent_t de;
  CHECK_EQ_INT(dingofs_read(h, fd, buf, sizeof buf), -EBADF);
  CHECK_EQ_INT(dingofs_pwrite(h, fd, buf, 1, 0), -EBADF);
  CHECK_EQ_INT(dingofs_fstat(h, fd, &st), -EBADF);
  CHECK_EQ_INT(dingofs_close(h, fd), -EBADF);
  CHECK_EQ_INT(dingofs_readdir(h, dh, &de, 1), -EBADF);
  CHECK_EQ_INT(dingofs_closedir(h, dh), -EBADF);
  CHECK_EQ_INT(dingofs_stat(h, "/f", &st), -ENOTCONN);
  CHECK_EQ_INT(dingofs_umount(h), -ENOTCONN);
  /* A handle mounts once. */
  CHECK_EQ_INT(fs_try_mount(h, FSNAME, NULL), -EINVAL);
  dingofs_delete(h);
  /* umount flushed the unclosed write. */
  uintptr_t h2 = fs_default();
  CHECK(file_equals(h2, "/f", "hello", 5));
  fs_close(h2);
}

TEST(second_mount_is_einval) {
  uintptr_t h = fs_default();
  CHECK_EQ_INT(fs_try_mount(h, FSNAME, NULL), -EINVAL);
  CHECK_EQ_INT(fs_try_mount(h, "other", NULL), -EINVAL);
  /* still mounted and usable */
  struct stat st;
  CHECK_EQ_INT(dingofs_stat(h, "/", &st), 0);
  fs_close(h);
}

TEST(delete_of_mounted_handle_unmounts_and_flushes) {
  uintptr_t h = fs_default();
  int fd = dingofs_open(h, "/keep", O_WRONLY | O_CREAT, 0600);
  REQUIRE(fd >= 3);
  char data[10000];
  fill_pattern(data, sizeof data, 7);
  CHECK_EQ_INT(dingofs_write(h, fd, data, sizeof data), (long long)sizeof data);
  uint64_t dh;
  CHECK_EQ_INT(dingofs_opendir(h, "/", &dh), 0);
  dingofs_delete(h); /* fd and dh still open */
  struct stat st;
  CHECK_EQ_INT(dingofs_stat(h, "/keep", &st), -EINVAL);
  uintptr_t h2 = fs_default();
  CHECK(file_equals(h2, "/keep", data, sizeof data));
  fs_close(h2);
}

/* Runs one call with errno preset and checks both its result and errno. */
#define ERRNO_KEPT(call, want)                                  \
  do {                                                          \
    errno = 4242;                                               \
    long long got_ = (long long)(call);                         \
    int e_ = errno;                                             \
    CHECK_EQ_INT(got_, want);                                   \
    if (e_ != 4242) {                                           \
      fprintf(stderr, "  errno changed to %d by %s\n", e_, #call); \
      CHECK(!"errno untouched");                                \
    }                                                           \
  } while (0)

TEST(errno_is_never_changed) {
  uintptr_t h = dingofs_new();
  char addr[1024];
  fs_addr(addr, sizeof addr, FSNAME, NULL);
  ERRNO_KEPT(dingofs_mount_nolog(h, addr, FSNAME, "/m"), 0);
  struct stat st;
  char buf[4];
  uint64_t dh;
  ERRNO_KEPT(dingofs_stat(h, "/missing", &st), -ENOENT);
  ERRNO_KEPT(dingofs_lstat(h, "/missing", &st), -ENOENT);
  ERRNO_KEPT(dingofs_read(h, 999, buf, 1), -EBADF);
  ERRNO_KEPT(dingofs_open(h, "/missing/x", O_RDONLY, 0), -ENOENT);
  ERRNO_KEPT(dingofs_open(h, "/missing", O_RDONLY, 0), -ENOENT);
  ERRNO_KEPT(dingofs_opendir(h, "/missing", &dh), -ENOENT);
  ERRNO_KEPT(dingofs_mkdir(h, "/d", 0755), 0);
  ERRNO_KEPT(dingofs_mkdir(h, "/d", 0755), -EEXIST);
  ERRNO_KEPT(dingofs_rmdir(h, "/missing"), -ENOENT);
  ERRNO_KEPT(dingofs_unlink(h, "/missing"), -ENOENT);
  ERRNO_KEPT(dingofs_rename(h, "/missing", "/x"), -ENOENT);
  ERRNO_KEPT(dingofs_readlink(h, "/d", buf, sizeof buf), -EINVAL);
  ERRNO_KEPT(dingofs_getxattr(h, "/d", "user.none", buf, sizeof buf), -ENODATA);
  ERRNO_KEPT(dingofs_conf_set(h, "no.such.key", "1"), -EINVAL);
  ERRNO_KEPT(dingofs_stat(0, "/", &st), -EINVAL);
  ERRNO_KEPT(put_file(h, "/f", "x", 1), 0);
  ERRNO_KEPT(dingofs_x_access(h, "/missing", F_OK), -ENOENT);
  ERRNO_KEPT(dingofs_x_stat(h, "/missing", 0, &st, NULL), -ENOENT);
  ERRNO_KEPT(dingofs_umount(h), 0);
  dingofs_delete(h);
  uintptr_t h2 = dingofs_new();
  ERRNO_KEPT(dingofs_mount_nolog(h2, "", "", "/m"), -EINVAL);
  ERRNO_KEPT(dingofs_mount_nolog(h2, "127.0.0.1:6700", "x", "/m"), -EPROTONOSUPPORT);
  char missing[1024];
  fs_addr(missing, sizeof missing, "nosuch", "create=0");
  ERRNO_KEPT(dingofs_mount_nolog(h2, missing, "nosuch", "/m"), -ENOENT);
  ERRNO_KEPT(dingofs_conf_load(h2, "/nonexistent/file.conf"), -ENOENT);
  dingofs_delete(h2);
}

TEST(null_pointers_are_einval_before_fd_lookup) {
  uintptr_t h = fs_default();
  struct stat st;
  char buf[8];
  CHECK_EQ_INT(put_file(h, "/f", "abc", 3), 0);
  CHECK_EQ_INT(dingofs_open(h, NULL, O_RDONLY, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_stat(h, NULL, &st), -EINVAL);
  CHECK_EQ_INT(dingofs_stat(h, "/f", NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_lstat(h, "/f", NULL), -EINVAL);
  /* fd 999 is unknown: NULL must win over the fd lookup. */
  CHECK_EQ_INT(dingofs_read(h, 999, NULL, 4), -EINVAL);
  CHECK_EQ_INT(dingofs_write(h, 999, NULL, 4), -EINVAL);
  CHECK_EQ_INT(dingofs_pread(h, 999, NULL, 4, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_pwrite(h, 999, NULL, 4, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_fstat(h, 999, NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_readdir(h, 999, NULL, 4), -EINVAL);
  CHECK_EQ_INT(dingofs_x_readdirplus(h, 999, NULL, 4), -EINVAL);
  CHECK_EQ_INT(dingofs_ioctl(h, 999, 0x80086601u, NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_x_fstat(h, 999, NULL, NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_opendir(h, "/", NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_opendir(h, NULL, (uint64_t*)buf), -EINVAL);
  CHECK_EQ_INT(dingofs_statfs(h, NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_mkdir(h, NULL, 0755), -EINVAL);
  CHECK_EQ_INT(dingofs_mkdirs(h, NULL, 0755), -EINVAL);
  CHECK_EQ_INT(dingofs_rmdir(h, NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_unlink(h, NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_rename(h, NULL, "/g"), -EINVAL);
  CHECK_EQ_INT(dingofs_rename(h, "/f", NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_link(h, "/f", NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_symlink(h, NULL, "/s"), -EINVAL);
  CHECK_EQ_INT(dingofs_symlink(h, "/f", NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_readlink(h, "/f", NULL, 8), -EINVAL);
  CHECK_EQ_INT(dingofs_chmod(h, NULL, 0644), -EINVAL);
  CHECK_EQ_INT(dingofs_chown(h, NULL, 0, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_truncate(h, NULL, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_utimes(h, NULL, NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", NULL, "v", 1, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_setxattr(h, NULL, "user.a", "v", 1, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "user.a", NULL, 1, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_getxattr(h, "/f", "user.a", NULL, 4), -EINVAL);
  CHECK_EQ_INT(dingofs_getxattr(h, "/f", NULL, buf, 4), -EINVAL);
  CHECK_EQ_INT(dingofs_listxattr(h, "/f", NULL, 4), -EINVAL);
  CHECK_EQ_INT(dingofs_removexattr(h, "/f", NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_conf_set(h, NULL, "1"), -EINVAL);
  CHECK_EQ_INT(dingofs_conf_set(h, "log.level", NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_conf_get(h, NULL, buf, sizeof buf), -EINVAL);
  CHECK_EQ_INT(dingofs_conf_get(h, "log.level", NULL, 8), -EINVAL);
  CHECK_EQ_INT(dingofs_conf_list(h, NULL, (int*)buf), -EINVAL);
  dingofs_option_t* opts;
  CHECK_EQ_INT(dingofs_conf_list(h, &opts, NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_x_stat(h, "/f", 0, NULL, NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_x_stat(h, NULL, 0, &st, NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_x_mknod(h, NULL, S_IFIFO | 0600, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_x_access(h, NULL, F_OK), -EINVAL);
  CHECK_EQ_INT(dingofs_x_rename2(h, NULL, "/g", 0), -EINVAL);
  CHECK_EQ_INT(dingofs_x_lchown(h, NULL, 0, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_x_fsck(NULL, 0, NULL), -EINVAL);
  /* Optional pointers. */
  dingofs_conf_list_free(NULL, 5);
  dingofs_x_free(NULL);
  CHECK_EQ_INT(dingofs_utimes(h, "/f", NULL), 0);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "user.empty", NULL, 0, 0), 0);
  CHECK_EQ_INT(dingofs_getxattr(h, "/f", "user.empty", NULL, 0), 0);
  CHECK_EQ_INT(dingofs_listxattr(h, "/f", NULL, 0),
               (long long)sizeof("user.empty"));
  CHECK_EQ_INT(dingofs_x_stat(h, "/f", 0, &st, NULL), 0);
  fs_close(h);
}

TEST(fds_and_dir_handles_are_never_reused) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/a", "aaaa", 4), 0);
  REQUIRE_EQ_INT(put_file(h, "/b", "bbbb", 4), 0);
  int seen[64];
  uint64_t dseen[64];
  for (int i = 0; i < 64; i++) {
    int fd = dingofs_open(h, (i & 1) ? "/a" : "/b", O_RDONLY, 0);
    REQUIRE(fd >= 3);
    for (int j = 0; j < i; j++) CHECK(seen[j] != fd);
    seen[i] = fd;
    CHECK_EQ_INT(dingofs_close(h, fd), 0);
    uint64_t dh = 0;
    REQUIRE_EQ_INT(dingofs_opendir(h, "/", &dh), 0);
    CHECK(dh >= 1);
    for (int j = 0; j < i; j++) CHECK(dseen[j] != dh);
    dseen[i] = dh;
    CHECK_EQ_INT(dingofs_closedir(h, dh), 0);
  }
  /* Late use of closed fds / dir handles: -EBADF, never another file. */
  int live = dingofs_open(h, "/a", O_RDONLY, 0);
  REQUIRE(live >= 3);
  char buf[8];
  for (int i = 0; i < 64; i++) {
    CHECK_EQ_INT(dingofs_read(h, seen[i], buf, 4), -EBADF);
    CHECK_EQ_INT(dingofs_close(h, seen[i]), -EBADF);
    dingofs_dirent_t de;
    CHECK_EQ_INT(dingofs_readdir(h, dseen[i], &de, 1), -EBADF);
    CHECK_EQ_INT(dingofs_closedir(h, dseen[i]), -EBADF);
  }
  CHECK_EQ_INT(dingofs_read(h, -1, buf, 4), -EBADF);
  CHECK_EQ_INT(dingofs_read(h, 0, buf, 4), -EBADF);
  CHECK_EQ_INT(dingofs_read(h, live, buf, 4), 4);
  CHECK_EQ_INT(dingofs_close(h, live), 0);
  fs_close(h);
}

TEST(fds_belong_to_their_handle) {
  uintptr_t h1 = fs_default();
  uintptr_t h2 = fs_default();
  REQUIRE_EQ_INT(put_file(h1, "/a", "1234", 4), 0);
  int fd1 = dingofs_open(h1, "/a", O_RDONLY, 0);
  REQUIRE(fd1 >= 3);
  /* h2 never opened anything: h1's fd means nothing to it */
  char buf[4];
  CHECK_EQ_INT(dingofs_read(h2, fd1, buf, 4), -EBADF);
  CHECK_EQ_INT(dingofs_close(h2, fd1), -EBADF);
  uint64_t dh1 = 0;
  REQUIRE_EQ_INT(dingofs_opendir(h1, "/", &dh1), 0);
  dingofs_dirent_t de;
  CHECK_EQ_INT(dingofs_readdir(h2, dh1, &de, 1), -EBADF);
  CHECK_EQ_INT(dingofs_closedir(h1, dh1), 0);
  CHECK_EQ_INT(dingofs_read(h1, fd1, buf, 4), 4);
  CHECK_EQ_INT(dingofs_close(h1, fd1), 0);
  fs_close(h1);
  fs_close(h2);
}

/* ---------------------------------------------------------------------- */
/* Options                                                                 */
/* ---------------------------------------------------------------------- */

static void expect_conf(uintptr_t h, const char* key, const char* want) {
  char v[512];
  int rc = dingofs_conf_get(h, key, v, sizeof v);
  CHECK_EQ_INT(rc, 0);
  if (rc == 0 && strcmp(v, want) != 0) {
    fprintf(stderr, "  conf %s = '%s', expected '%s'\n", key, v, want);
    CHECK(!"conf value mismatch");
  }
}

TEST(conf_log_keys_defaults_and_round_trip) {
  uintptr_t h = dingofs_new();
  expect_conf(h, "log.dir", "/tmp");
  expect_conf(h, "log_dir", "/tmp");
  expect_conf(h, "log.level", "WARNING");
  expect_conf(h, "log_level", "WARNING");
  expect_conf(h, "log.v", "0");
  expect_conf(h, "log_v", "0");
  expect_conf(h, "conf.file", "");
  expect_conf(h, "conf_file", "");
  CHECK_EQ_INT(dingofs_conf_set(h, "log_dir", tt_base), 0);
  expect_conf(h, "log.dir", tt_base);
  CHECK_EQ_INT(dingofs_conf_set(h, "log.level", "INFO"), 0);
  expect_conf(h, "log_level", "INFO");
  CHECK_EQ_INT(dingofs_conf_set(h, "log_v", "3"), 0);
  expect_conf(h, "log.v", "3");
  CHECK_EQ_INT(dingofs_conf_set(h, "log.v", "abc"), -EINVAL);
  CHECK_EQ_INT(dingofs_conf_set(h, "log.v", ""), -EINVAL);
  expect_conf(h, "log.v", "3");
  /* per handle: a fresh handle still has the defaults */
  uintptr_t h2 = dingofs_new();
  expect_conf(h2, "log.dir", "/tmp");
  expect_conf(h2, "log.level", "WARNING");
  expect_conf(h2, "log.v", "0");
  dingofs_delete(h2);
  dingofs_delete(h);
}

TEST(conf_unknown_keys_and_bad_values) {
  uintptr_t h = dingofs_new();
  char v[64];
  CHECK_EQ_INT(dingofs_conf_set(h, "no_such_option", "1"), -EINVAL);
  CHECK_EQ_INT(dingofs_conf_get(h, "no_such_option", v, sizeof v), -EINVAL);
  CHECK_EQ_INT(dingofs_conf_set(h, "", "1"), -EINVAL);
  CHECK_EQ_INT(dingofs_conf_set(h, "vfs_meta_rpc_timeout_ms", "soon"), -EINVAL);
  CHECK_EQ_INT(dingofs_conf_set(h, "vfs_access_logging", "maybe"), -EINVAL);
  CHECK_EQ_INT(dingofs_conf_set(h, "vfs_meta_max_name_length", "0"), -EINVAL);
  CHECK_EQ_INT(dingofs_conf_set(h, "vfs_meta_max_name_length", "256"), -EINVAL);
  expect_conf(h, "vfs_meta_max_name_length", "255");
  expect_conf(h, "vfs_meta_rpc_timeout_ms", "10000");
  CHECK_EQ_INT(dingofs_conf_set(h, "vfs_meta_rpc_timeout_ms", "2500"), 0);
  expect_conf(h, "vfs_meta_rpc_timeout_ms", "2500");
  /* process-wide: visible through any handle, and through 0 */
  uintptr_t h2 = dingofs_new();
  expect_conf(h2, "vfs_meta_rpc_timeout_ms", "2500");
  dingofs_delete(h2);
  dingofs_delete(h);
}

TEST(conf_get_small_buffer_is_erange_untouched) {
  uintptr_t h = dingofs_new();
  CHECK_EQ_INT(dingofs_conf_set(h, "log.level", "WARNING"), 0);
  char v[8];
  memset(v, 'Z', sizeof v);
  CHECK_EQ_INT(dingofs_conf_get(h, "log.level", v, 7), -ERANGE);
  for (int i = 0; i < 8; i++) CHECK(v[i] == 'Z');
  CHECK_EQ_INT(dingofs_conf_get(h, "log.level", v, 0), -ERANGE);
  CHECK_EQ_INT(dingofs_conf_get(h, "log.level", v, 8), 0);
  CHECK(strcmp(v, "WARNING") == 0);
  dingofs_delete(h);
}

TEST(conf_list_sorted_and_complete) {
  dingofs_option_t* opts = NULL;
  int n = 0;
  REQUIRE_EQ_INT(dingofs_conf_list(0, &opts, &n), 0);
  REQUIRE(opts != NULL);
  REQUIRE(n > 0);
  const char* required[] = {"logtostderr", "minloglevel",
                            "vfs_meta_max_name_length",
                            "vfs_meta_rpc_timeout_ms",
                            "vfs_meta_rpc_retry_times", "vfs_access_logging",
                            "vfs_periodic_flush_interval_ms"};
  int found[7] = {0};
  int log_dir = 0, log_level = 0, log_v = 0, conf_file = 0;
  for (int i = 0; i < n; i++) {
    REQUIRE(opts[i].name && *opts[i].name);
    CHECK(opts[i].type && *opts[i].type);
    CHECK(opts[i].default_value != NULL);
    CHECK(opts[i].description && *opts[i].description);
    if (i > 0 && strcmp(opts[i - 1].name, opts[i].name) >= 0) {
      fprintf(stderr, "  not sorted: %s before %s\n", opts[i - 1].name,
              opts[i].name);
      CHECK(!"conf_list sorted by name");
    }
    for (int k = 0; k < 7; k++)
      if (!strcmp(opts[i].name, required[k])) found[k] = 1;
    const char* nm = opts[i].name;
    int per_handle = 0;
    if (!strcmp(nm, "log.dir") || !strcmp(nm, "log_dir")) log_dir = per_handle = 1;
    if (!strcmp(nm, "log.level") || !strcmp(nm, "log_level")) log_level = per_handle = 1;
    if (!strcmp(nm, "log.v") || !strcmp(nm, "log_v")) log_v = per_handle = 1;
    if (!strcmp(nm, "conf.file") || !strcmp(nm, "conf_file")) conf_file = per_handle = 1;
    if (per_handle && opts[i].description) {
      if (!strcasestr(opts[i].description, "handle")) {
        fprintf(stderr, "  description of %s does not say per handle\n", nm);
        CHECK(!"per-handle option documented as such");
      }
    }
    if (!strcmp(nm, "vfs_meta_max_name_length"))
      CHECK(opts[i].default_value && !strcmp(opts[i].default_value, "255"));
    if (!strcmp(nm, "vfs_meta_rpc_timeout_ms"))
      CHECK(opts[i].default_value && !strcmp(opts[i].default_value, "10000"));
    if (!strcmp(nm, "vfs_access_logging"))
      CHECK(opts[i].default_value && (!strcmp(opts[i].default_value, "false") ||
                                      !strcmp(opts[i].default_value, "0")));
    if (!strcmp(nm, "log.dir") || !strcmp(nm, "log_dir"))
      CHECK(opts[i].default_value && !strcmp(opts[i].default_value, "/tmp"));
    if (!strcmp(nm, "log.level") || !strcmp(nm, "log_level"))
      CHECK(opts[i].default_value && !strcmp(opts[i].default_value, "WARNING"));
  }
  for (int k = 0; k < 7; k++) {
    if (!found[k]) fprintf(stderr, "  option %s not listed\n", required[k]);
    CHECK(found[k]);
  }
  CHECK(log_dir && log_level && log_v && conf_file);
  dingofs_conf_list_free(opts, n);
  /* Every listed key is accepted by conf_get. */
  uintptr_t h = dingofs_new();
  REQUIRE_EQ_INT(dingofs_conf_list(h, &opts, &n), 0);
  for (int i = 0; i < n; i++) {
    char v[4096];
    int rc = dingofs_conf_get(h, opts[i].name, v, sizeof v);
    if (rc != 0) fprintf(stderr, "  conf_get(%s) = %d\n", opts[i].name, rc);
    CHECK_EQ_INT(rc, 0);
  }
  dingofs_conf_list_free(opts, n);
  dingofs_delete(h);
}

TEST(conf_process_wide_option_takes_effect_at_mount) {
  uintptr_t h = dingofs_new();
  REQUIRE_EQ_INT(dingofs_conf_set(h, "vfs_meta_max_name_length", "10"), 0);
  REQUIRE_EQ_INT(fs_try_mount(h, FSNAME, NULL), 0);
  CHECK_EQ_INT(put_file(h, "/0123456789", "x", 1), 0);
  CHECK_EQ_INT(put_file(h, "/0123456789a", "x", 1), -ENAMETOOLONG);
  CHECK_EQ_INT(dingofs_mkdir(h, "/0123456789ab", 0755), -ENAMETOOLONG);
  fs_close(h);
}

/* ---------------------------------------------------------------------- */
/* Configuration file                                                      */
/* ---------------------------------------------------------------------- */

static void write_host_file(const char* path, const char* text) {
  FILE* f = fopen(path, "w");
  REQUIRE(f != NULL);
  fputs(text, f);
  fclose(f);
}

TEST(conf_load_argument_errors) {
  uintptr_t h = dingofs_new();
  CHECK_EQ_INT(dingofs_conf_load(h, NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_conf_load(h, ""), -EINVAL);
  char p[600];
  snprintf(p, sizeof p, "%s/missing.conf", tt_base);
  CHECK_EQ_INT(dingofs_conf_load(h, p), -ENOENT);
  CHECK_EQ_INT(dingofs_conf_load(h, tt_base), -EISDIR);
  dingofs_delete(h);
}

TEST(conf_file_applied_at_mount_and_set_wins) {
  char p[600];
  snprintf(p, sizeof p, "%s/a.conf", tt_base);
  write_host_file(p,
                  "# a comment line\n"
                  "\n"
                  "--vfs_meta_max_name_length=12\n"
                  "   \n"
                  "-log_level=ERROR\n"
                  "--log.v=2\n"
                  "--vfs_meta_rpc_timeout_ms=7000\n");
  uintptr_t h = dingofs_new();
  REQUIRE_EQ_INT(dingofs_conf_load(h, p), 0);
  expect_conf(h, "conf.file", p);
  /* conf_set after conf_load wins over the file */
  REQUIRE_EQ_INT(dingofs_conf_set(h, "vfs_meta_rpc_timeout_ms", "6000"), 0);
  REQUIRE_EQ_INT(fs_try_mount(h, FSNAME, NULL), 0);
  expect_conf(h, "log.level", "ERROR");
  expect_conf(h, "log.v", "2");
  expect_conf(h, "vfs_meta_rpc_timeout_ms", "6000");
  CHECK_EQ_INT(put_file(h, "/abcdefghijkl", "x", 1), 0);
  CHECK_EQ_INT(put_file(h, "/abcdefghijklm", "x", 1), -ENAMETOOLONG);
  fs_close(h);
}

TEST(conf_file_set_after_load_wins_for_name_length) {
  char p[600];
  snprintf(p, sizeof p, "%s/b.conf", tt_base);
  write_host_file(p, "--vfs_meta_max_name_length=8\n");
  uintptr_t h = dingofs_new();
  REQUIRE_EQ_INT(dingofs_conf_load(h, p), 0);
  REQUIRE_EQ_INT(dingofs_conf_set(h, "vfs_meta_max_name_length", "20"), 0);
  REQUIRE_EQ_INT(fs_try_mount(h, FSNAME, NULL), 0);
  CHECK_EQ_INT(put_file(h, "/0123456789abcdef", "x", 1), 0);
  fs_close(h);
}

static int dir_file_containing(const char* dir, const char* prefix,
                               const char* needle, char* found, size_t n) {
  DIR* d = opendir(dir);
  if (!d) return 0;
  struct dirent* e;
  int hit = 0;
  while (!hit && (e = readdir(d))) {
    if (strncmp(e->d_name, prefix, strlen(prefix))) continue;
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    FILE* f = fopen(p, "r");
    if (!f) continue;
    char line[4096];
    while (fgets(line, sizeof line, f))
      if (!needle || strstr(line, needle)) {
        hit = 1;
        break;
      }
    fclose(f);
    if (hit && found) snprintf(found, n, "%s", p);
  }
  closedir(d);
  return hit;
}

TEST(conf_file_bad_line_fails_mount_with_log_line) {
  char p[600], logdir[600];
  snprintf(p, sizeof p, "%s/bad.conf", tt_base);
  snprintf(logdir, sizeof logdir, "%s/logs", tt_base);
  REQUIRE(mkdir(logdir, 0755) == 0);
  write_host_file(p, "--log_level=INFO\nthis_is_not_an_option_line_xyz\n");
  uintptr_t h = dingofs_new();
  REQUIRE_EQ_INT(dingofs_conf_set(h, "log.dir", logdir), 0);
  REQUIRE_EQ_INT(dingofs_conf_load(h, p), 0);
  char addr[1024];
  fs_addr(addr, sizeof addr, FSNAME, NULL);
  CHECK_EQ_INT(dingofs_mount(h, addr, FSNAME, "/m"), -EINVAL);
  CHECK(dir_file_containing(logdir, "dingofs-", "this_is_not_an_option_line_xyz",
                            NULL, 0));
  struct stat st;
  CHECK_EQ_INT(dingofs_stat(h, "/", &st), -ENOTCONN);
  dingofs_delete(h);
  /* an unknown key in the file is also a bad line */
  write_host_file(p, "--no_such_option_abc=1\n");
  h = dingofs_new();
  REQUIRE_EQ_INT(dingofs_conf_load(h, p), 0);
  CHECK_EQ_INT(fs_try_mount(h, FSNAME, NULL), -EINVAL);
  dingofs_delete(h);
}

/* ---------------------------------------------------------------------- */
/* Logging                                                                 */
/* ---------------------------------------------------------------------- */

TEST(mount_creates_named_log_file_with_header) {
  char logdir[600];
  snprintf(logdir, sizeof logdir, "%s/logs", tt_base);
  REQUIRE(mkdir(logdir, 0755) == 0);
  uintptr_t h = dingofs_new();
  REQUIRE_EQ_INT(dingofs_conf_set(h, "log.dir", logdir), 0);
  char addr[1024];
  fs_addr(addr, sizeof addr, "logfs", NULL);
  REQUIRE_EQ_INT(dingofs_mount(h, addr, "logfs", "/mnt/label"), 0);
  char prefix[128];
  snprintf(prefix, sizeof prefix, "dingofs-logfs.%d.", (int)getpid());
  char path[1200] = "";
  CHECK(dir_file_containing(logdir, prefix, NULL, path, sizeof path));
  size_t pl = strlen(path);
  CHECK(pl > 4 && !strcmp(path + pl - 4, ".log"));
  FILE* f = fopen(path, "r");
  REQUIRE(f != NULL);
  char line[1024] = "";
  CHECK(fgets(line, sizeof line, f) != NULL);
  fclose(f);
  char pid[32];
  snprintf(pid, sizeof pid, "%d", (int)getpid());
  CHECK(strstr(line, "0.1.0") != NULL);
  CHECK(strstr(line, "logfs") != NULL);
  CHECK(strstr(line, pid) != NULL);
  fs_close(h);
  /* mount_nolog writes no log file */
  char logdir2[600];
  snprintf(logdir2, sizeof logdir2, "%s/logs2", tt_base);
  REQUIRE(mkdir(logdir2, 0755) == 0);
  h = dingofs_new();
  REQUIRE_EQ_INT(dingofs_conf_set(h, "log.dir", logdir2), 0);
  REQUIRE_EQ_INT(dingofs_mount_nolog(h, addr, "logfs", "/m"), 0);
  CHECK_EQ_INT(put_file(h, "/x", "1", 1), 0);
  fs_close(h);
  CHECK_EQ_INT(host_count_files(logdir2), 0);
}

TEST(access_logging_writes_one_line_per_operation) {
  char logdir[600];
  snprintf(logdir, sizeof logdir, "%s/logs", tt_base);
  REQUIRE(mkdir(logdir, 0755) == 0);
  char addr[1024];
  fs_addr(addr, sizeof addr, FSNAME, NULL);
  /* off by default: the marker never shows up */
  uintptr_t h = dingofs_new();
  REQUIRE_EQ_INT(dingofs_conf_set(h, "log.dir", logdir), 0);
  REQUIRE_EQ_INT(dingofs_mount(h, addr, FSNAME, "/m"), 0);
  struct stat st;
  CHECK_EQ_INT(dingofs_stat(h, "/quiet_marker_q1", &st), -ENOENT);
  fs_close(h);
  CHECK(!dir_file_containing(logdir, "dingofs-", "quiet_marker_q1", NULL, 0));
  h = dingofs_new();
  REQUIRE_EQ_INT(dingofs_conf_set(h, "log.dir", logdir), 0);
  REQUIRE_EQ_INT(dingofs_conf_set(h, "vfs_access_logging", "true"), 0);
  REQUIRE_EQ_INT(dingofs_mount(h, addr, FSNAME, "/m"), 0);
  CHECK_EQ_INT(dingofs_stat(h, "/loud_marker_l1", &st), -ENOENT);
  CHECK_EQ_INT(dingofs_mkdir(h, "/loud_marker_l2", 0755), 0);
  fs_close(h);
  CHECK(dir_file_containing(logdir, "dingofs-", "loud_marker_l1", NULL, 0));
  CHECK(dir_file_containing(logdir, "dingofs-", "loud_marker_l2", NULL, 0));
}

static int count_log_lines(const char* dir) {
  DIR* d = opendir(dir);
  if (!d) return -1;
  struct dirent* e;
  int lines = 0;
  while ((e = readdir(d))) {
    if (strncmp(e->d_name, "dingofs-", 8)) continue;
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    FILE* f = fopen(p, "r");
    if (!f) continue;
    int c;
    while ((c = fgetc(f)) != EOF) lines += c == '\n';
    fclose(f);
  }
  closedir(d);
  return lines;
}

static int log_lines_with(const char* sub, const char* level, const char* minlevel) {
  char logdir[600];
  snprintf(logdir, sizeof logdir, "%s/%s", tt_base, sub);
  REQUIRE(mkdir(logdir, 0755) == 0);
  uintptr_t h = dingofs_new();
  REQUIRE_EQ_INT(dingofs_conf_set(h, "log.dir", logdir), 0);
  REQUIRE_EQ_INT(dingofs_conf_set(h, "log.level", level), 0);
  REQUIRE_EQ_INT(dingofs_conf_set(h, "minloglevel", minlevel), 0);
  char addr[1024];
  fs_addr(addr, sizeof addr, FSNAME, NULL);
  REQUIRE_EQ_INT(dingofs_mount(h, addr, FSNAME, "/m"), 0);
  struct stat st;
  for (int i = 0; i < 5; i++) dingofs_stat(h, "/nothing_here", &st);
  CHECK_EQ_INT(put_file(h, "/f", "x", 1), 0);
  fs_close(h);
  return count_log_lines(logdir);
}

TEST(log_level_and_minloglevel_filter_lines) {
  int verbose = log_lines_with("v", "INFO", "0");
  int strict_level = log_lines_with("l", "FATAL", "0");
  int strict_min = log_lines_with("m", "INFO", "3");
  CHECK(verbose > 1);
  /* only the header line survives a FATAL threshold, from either knob */
  CHECK_EQ_INT(strict_level, 1);
  CHECK_EQ_INT(strict_min, 1);
}

/* Run fn with stdout/stderr redirected into files; returns the bytes each got. */
static void capture(void (*fn)(void*), void* arg, long* out, long* err) {
  char po[600], pe[600];
  snprintf(po, sizeof po, "%s/stdout.txt", tt_base);
  snprintf(pe, sizeof pe, "%s/stderr.txt", tt_base);
  fflush(stdout);
  fflush(stderr);
  int so = dup(1), se = dup(2);
  int fo = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  dup2(fo, 1);
  dup2(fe, 2);
  fn(arg);
  fflush(stdout);
  fflush(stderr);
  dup2(so, 1);
  dup2(se, 2);
  close(so);
  close(se);
  struct stat st;
  fstat(fo, &st);
  *out = st.st_size;
  fstat(fe, &st);
  *err = st.st_size;
  close(fo);
  close(fe);
}

static int quiet_results[8];
static void noisy_workload(void* arg) {
  const char* extra = arg;
  char addr[1024];
  uintptr_t h = dingofs_new();
  char logdir[600];
  snprintf(logdir, sizeof logdir, "%s", tt_base);
  dingofs_conf_set(h, "log.dir", logdir);
  dingofs_conf_set(h, "log.level", "INFO");
  if (extra) {
    dingofs_conf_set(h, "logtostderr", "true");
    dingofs_conf_set(h, "minloglevel", "0");
    dingofs_conf_set(h, "vfs_access_logging", "true");
  }
  fs_addr(addr, sizeof addr, FSNAME, NULL);
  quiet_results[0] = dingofs_mount(h, addr, FSNAME, "/m");
  struct stat st;
  quiet_results[1] = dingofs_stat(h, "/nope", &st);
  quiet_results[2] = dingofs_mkdir(h, "/d", 0755);
  quiet_results[3] = dingofs_mkdir(h, "/d", 0755);
  quiet_results[4] = put_file(h, "/d/f", "abc", 3);
  quiet_results[5] = dingofs_umount(h);
  dingofs_delete(h);
  uintptr_t h2 = dingofs_new();
  dingofs_conf_set(h2, "log.dir", logdir);
  quiet_results[6] = dingofs_mount(h2, "10.0.0.1:6700", "x", "/m");
  quiet_results[7] = dingofs_mount_nolog(h2, "", "", "/m");
  dingofs_delete(h2);
}

TEST(nothing_on_stdout_or_stderr_unless_logtostderr) {
  long out = -1, err = -1;
  capture(noisy_workload, NULL, &out, &err);
  CHECK_EQ_INT(quiet_results[0], 0);
  CHECK_EQ_INT(quiet_results[1], -ENOENT);
  CHECK_EQ_INT(quiet_results[3], -EEXIST);
  CHECK_EQ_INT(quiet_results[5], 0);
  CHECK_EQ_INT(quiet_results[6], -EPROTONOSUPPORT);
  CHECK_EQ_INT(quiet_results[7], -EINVAL);
  CHECK_EQ_INT(out, 0);
  CHECK_EQ_INT(err, 0);
  capture(noisy_workload, "stderr", &out, &err);
  CHECK_EQ_INT(quiet_results[0], 0);
  CHECK_EQ_INT(out, 0);
  CHECK(err > 0);
}

static void print_conf(void* arg) {
  (void)arg;
  uintptr_t h = dingofs_new();
  dingofs_conf_set(h, "log.level", "ERROR");
  dingofs_conf_print(h);
  dingofs_delete(h);
}

TEST(conf_print_lists_options_on_stdout) {
  long out = 0, err = 0;
  capture(print_conf, NULL, &out, &err);
  CHECK(out > 0);
  CHECK_EQ_INT(err, 0);
  char po[600];
  snprintf(po, sizeof po, "%s/stdout.txt", tt_base);
  FILE* f = fopen(po, "r");
  REQUIRE(f != NULL);
  char text[65536];
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = 0;
  fclose(f);
  CHECK(strstr(text, "vfs_meta_rpc_timeout_ms") != NULL);
  CHECK(strstr(text, "ERROR") != NULL);
}

/* ---------------------------------------------------------------------- */
/* Version                                                                 */
/* ---------------------------------------------------------------------- */

TEST(x_version_reports_embedded_engine) {
  int emb = -1;
  const char* v = dingofs_x_version(&emb);
  REQUIRE(v != NULL);
  CHECK(strcmp(v, "0.1.0") == 0);
  CHECK_EQ_INT(emb, 1);
  CHECK(dingofs_x_version(NULL) == v || strcmp(dingofs_x_version(NULL), v) == 0);
}

/* ---------------------------------------------------------------------- */
/* fork                                                                    */
/* ---------------------------------------------------------------------- */

struct fork_ctx {
  uintptr_t h;
  int fd;
  uint64_t dh;
};

static void forked_child(void* arg) {
  struct fork_ctx* c = arg;
  struct stat st;
  char buf[16];
  dingofs_dirent_t de;
  CHECK_EQ_INT(dingofs_stat(c->h, "/data", &st), -ENOTCONN);
  CHECK_EQ_INT(dingofs_read(c->h, c->fd, buf, 4), -ENOTCONN);
  CHECK_EQ_INT(dingofs_pwrite(c->h, c->fd, "zz", 2, 0), -ENOTCONN);
  CHECK_EQ_INT(dingofs_readdir(c->h, c->dh, &de, 1), -ENOTCONN);
  CHECK_EQ_INT(dingofs_mkdir(c->h, "/child_dir", 0755), -ENOTCONN);
  CHECK_EQ_INT(dingofs_unlink(c->h, "/data"), -ENOTCONN);
  dingofs_delete(c->h); /* frees memory only */
  CHECK_EQ_INT(dingofs_stat(c->h, "/data", &st), -EINVAL);
  /* a new handle in the child works */
  uintptr_t h2 = fs_default();
  CHECK(file_equals(h2, "/data", "parentdata", 10));
  CHECK_EQ_INT(put_file(h2, "/from_child", "kid", 3), 0);
  fs_close(h2);
}

TEST(fork_inherited_handle_is_enotconn_and_delete_harmless) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/data", "parentdata", 10), 0);
  struct fork_ctx c = {h, -1, 0};
  c.fd = dingofs_open(h, "/data", O_RDWR, 0);
  REQUIRE(c.fd >= 3);
  REQUIRE_EQ_INT(dingofs_opendir(h, "/", &c.dh), 0);
  /* Several rounds: a child must never hang or fail, whatever the state of
   * the parent's threads at the moment of the fork. */
  for (int round = 0; round < 10; round++) {
    int st = run_in_child_timeout(forked_child, &c, 10);
    if (st == 124) fprintf(stderr, "  round %d: forked child hung (killed after 10 s)\n", round);
    CHECK_EQ_INT(st, 0);
    if (st != 0) break;
    usleep((useconds_t)(round * 1000));
  }
  /* parent's handle, fds and dir handles are intact */
  char buf[16] = {0};
  CHECK_EQ_INT(dingofs_pread(h, c.fd, buf, 10, 0), 10);
  CHECK(memcmp(buf, "parentdata", 10) == 0);
  CHECK(file_equals(h, "/from_child", "kid", 3));
  dingofs_dirent_t de[8];
  CHECK(dingofs_readdir(h, c.dh, de, 8) > 0);
  CHECK_EQ_INT(dingofs_closedir(h, c.dh), 0);
  CHECK_EQ_INT(dingofs_close(h, c.fd), 0);
  CHECK_EQ_INT(dingofs_mkdir(h, "/after_fork", 0755), 0);
  fs_close(h);
}

/* Host descriptors of this process (the directory's own one not counted). */
static int count_host_fds(void) {
  DIR* d = opendir("/proc/self/fd");
  if (d == NULL) return -1;
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1;
}

/* A mounted handle holds a fixed set of host descriptors: nothing is opened
 * lazily by the background threads (the WAL grows past the checkpoint
 * threshold here), and umount + delete give every one back. */
TEST(host_fd_count_constant_while_mounted_and_restored_after_delete) {
  int before = count_host_fds();
  REQUIRE(before > 0);
  uintptr_t h = dingofs_new();
  REQUIRE(h != 0);
  REQUIRE_EQ_INT(fs_try_mount(h, FSNAME, NULL), 0);
  int mounted = count_host_fds();
  CHECK(mounted > before);
  int changed = 0;
  for (int i = 0; i < 1500; i++) {
    char p[32];
    snprintf(p, sizeof p, "/f%d", i % 500);
    int fd = dingofs_open(h, p, O_WRONLY | O_CREAT | O_APPEND, 0644);
    REQUIRE(fd >= 3);
    REQUIRE_EQ_INT(dingofs_write(h, fd, "x", 1), 1);
    REQUIRE_EQ_INT(dingofs_close(h, fd), 0);
    if (i % 3 == 0) dingofs_unlink(h, p);
    if (i % 100 == 99) {
      usleep(20000); /* let a requested background checkpoint run */
      int now = count_host_fds();
      if (now != mounted && !changed) {
        fprintf(stderr, "  after %d cycles: %d descriptors, %d at mount\n", i + 1, now, mounted);
        changed = 1;
      }
    }
  }
  CHECK_EQ_INT(changed, 0);
  usleep(100000);
  CHECK_EQ_INT(count_host_fds(), mounted);
  CHECK_EQ_INT(dingofs_umount(h), 0);
  dingofs_delete(h);
  CHECK_EQ_INT(count_host_fds(), before);
}

/* dingofs_open flags. */
#include "helpers.h"

TEST(open_creat_makes_regular_file_with_exact_mode) {
  uintptr_t h = fs_default();
  int fd = dingofs_open(h, "/a", O_WRONLY | O_CREAT, 0777);
  REQUIRE(fd >= 3);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  struct stat st;
  REQUIRE_EQ_INT(dingofs_stat(h, "/a", &st), 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK_EQ_INT(st.st_mode & 07777, 0777);
  CHECK_EQ_INT(st.st_size, 0);
  CHECK_EQ_INT(st.st_nlink, 1);
  CHECK_EQ_INT(st.st_uid, geteuid());
  CHECK_EQ_INT(st.st_gid, getegid());
  fd = dingofs_open(h, "/b", O_RDWR | O_CREAT, 04751);
  REQUIRE(fd >= 3);
  dingofs_close(h, fd);
  REQUIRE_EQ_INT(dingofs_stat(h, "/b", &st), 0);
  CHECK_EQ_INT(st.st_mode & 07777, 04751);
  fd = dingofs_open(h, "/c", O_RDONLY | O_CREAT, 0);
  REQUIRE(fd >= 3);
  dingofs_close(h, fd);
  REQUIRE_EQ_INT(dingofs_stat(h, "/c", &st), 0);
  CHECK_EQ_INT(st.st_mode, S_IFREG);
  fs_close(h);
}

TEST(open_creat_existing_and_excl) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "keep", 4), 0);
  int fd = dingofs_open(h, "/f", O_RDWR | O_CREAT, 0600);
  REQUIRE(fd >= 3);
  char buf[8];
  CHECK_EQ_INT(dingofs_read(h, fd, buf, 8), 4);
  dingofs_close(h, fd);
  struct stat st;
  REQUIRE_EQ_INT(dingofs_stat(h, "/f", &st), 0);
  CHECK_EQ_INT(st.st_mode & 07777, 0644); /* mode of an existing file kept */
  CHECK_EQ_INT(dingofs_open(h, "/f", O_RDWR | O_CREAT | O_EXCL, 0600), -EEXIST);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  CHECK_EQ_INT(dingofs_open(h, "/d", O_RDONLY | O_CREAT | O_EXCL, 0600), -EEXIST);
  REQUIRE_EQ_INT(dingofs_symlink(h, "f", "/lf"), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "nowhere", "/dangling"), 0);
  CHECK_EQ_INT(dingofs_open(h, "/lf", O_WRONLY | O_CREAT | O_EXCL, 0600), -EEXIST);
  CHECK_EQ_INT(dingofs_open(h, "/dangling", O_WRONLY | O_CREAT | O_EXCL, 0600), -EEXIST);
  CHECK(!path_exists(h, "/nowhere"));
  CHECK_EQ_INT(dingofs_open(h, "/missing", O_RDONLY, 0), -ENOENT);
  CHECK_EQ_INT(dingofs_open(h, "/missing", O_WRONLY | O_EXCL, 0), -ENOENT);
  fs_close(h);
}

TEST(open_creat_through_dangling_symlink_creates_target) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "d/target", "/link"), 0);
  int fd = dingofs_open(h, "/link", O_WRONLY | O_CREAT, 0640);
  REQUIRE(fd >= 3);
  CHECK_EQ_INT(dingofs_write(h, fd, "via", 3), 3);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  struct stat st;
  CHECK_EQ_INT(dingofs_lstat(h, "/d/target", &st), 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK_EQ_INT(st.st_mode & 07777, 0640);
  CHECK_EQ_INT(dingofs_lstat(h, "/link", &st), 0);
  CHECK(S_ISLNK(st.st_mode));
  CHECK(file_equals(h, "/d/target", "via", 3));
  fs_close(h);
}

TEST(open_trunc_also_with_rdonly) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "0123456789", 10), 0);
  int fd = dingofs_open(h, "/f", O_RDONLY | O_TRUNC, 0);
  REQUIRE(fd >= 3);
  struct stat st;
  CHECK_EQ_INT(dingofs_fstat(h, fd, &st), 0);
  CHECK_EQ_INT(st.st_size, 0);
  dingofs_close(h, fd);
  CHECK_EQ_INT(size_of(h, "/f"), 0);
  REQUIRE_EQ_INT(put_file(h, "/g", "0123456789", 10), 0);
  fd = dingofs_open(h, "/g", O_WRONLY | O_TRUNC, 0);
  REQUIRE(fd >= 3);
  CHECK_EQ_INT(dingofs_write(h, fd, "ab", 2), 2);
  dingofs_close(h, fd);
  CHECK(file_equals(h, "/g", "ab", 2));
  fs_close(h);
}

TEST(open_directory_rules) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "x", 1), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  CHECK_EQ_INT(dingofs_open(h, "/f", O_RDONLY | O_DIRECTORY, 0), -ENOTDIR);
  CHECK_EQ_INT(dingofs_open(h, "/d", O_WRONLY, 0), -EISDIR);
  CHECK_EQ_INT(dingofs_open(h, "/d", O_RDWR, 0), -EISDIR);
  CHECK_EQ_INT(dingofs_open(h, "/d", O_WRONLY | O_CREAT, 0644), -EISDIR);
  CHECK_EQ_INT(dingofs_open(h, "/", O_RDWR, 0), -EISDIR);
  int fd = dingofs_open(h, "/d", O_RDONLY | O_DIRECTORY, 0);
  REQUIRE(fd >= 3);
  char buf[8];
  CHECK_EQ_INT(dingofs_read(h, fd, buf, 8), -EISDIR);
  CHECK_EQ_INT(dingofs_pread(h, fd, buf, 8, 0), -EISDIR);
  struct stat st;
  CHECK_EQ_INT(dingofs_fstat(h, fd, &st), 0);
  CHECK(S_ISDIR(st.st_mode));
  uint32_t fl = 0xdeadbeef;
  CHECK_EQ_INT(dingofs_ioctl(h, fd, FS_IOC32_GETFLAGS, &fl), 0);
  CHECK(fl != 0xdeadbeef);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  fd = dingofs_open(h, "/", O_RDONLY, 0);
  CHECK(fd >= 3);
  dingofs_close(h, fd);
  fs_close(h);
}

TEST(open_nofollow_and_nonblock) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "x", 1), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "f", "/l"), 0);
  CHECK_EQ_INT(dingofs_open(h, "/l", O_RDONLY | O_NOFOLLOW, 0), -ELOOP);
  CHECK_EQ_INT(dingofs_open(h, "/l", O_WRONLY | O_CREAT | O_NOFOLLOW, 0644), -ELOOP);
  int fd = dingofs_open(h, "/f", O_RDONLY | O_NOFOLLOW, 0);
  CHECK(fd >= 3);
  dingofs_close(h, fd);
  fd = dingofs_open(h, "/f", O_RDWR | O_NONBLOCK, 0);
  CHECK(fd >= 3);
  char c = 0;
  CHECK_EQ_INT(dingofs_read(h, fd, &c, 1), 1);
  CHECK_EQ_INT(c, 'x');
  dingofs_close(h, fd);
  /* a symlink in the middle is still followed with O_NOFOLLOW */
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  REQUIRE_EQ_INT(put_file(h, "/d/g", "y", 1), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "d", "/ld"), 0);
  fd = dingofs_open(h, "/ld/g", O_RDONLY | O_NOFOLLOW, 0);
  CHECK(fd >= 3);
  dingofs_close(h, fd);
  fs_close(h);
}

TEST(open_special_files_is_enxio) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_x_mknod(h, "/fifo", S_IFIFO | 0666, 0), 0);
  REQUIRE_EQ_INT(dingofs_x_mknod(h, "/sock", S_IFSOCK | 0666, 0), 0);
  CHECK_EQ_INT(dingofs_open(h, "/fifo", O_RDONLY, 0), -ENXIO);
  CHECK_EQ_INT(dingofs_open(h, "/fifo", O_WRONLY | O_NONBLOCK, 0), -ENXIO);
  CHECK_EQ_INT(dingofs_open(h, "/sock", O_RDWR, 0), -ENXIO);
  if (geteuid() == 0) {
    REQUIRE_EQ_INT(dingofs_x_mknod(h, "/chr", S_IFCHR | 0666, makedev(1, 3)), 0);
    REQUIRE_EQ_INT(dingofs_x_mknod(h, "/blk", S_IFBLK | 0660, makedev(8, 0)), 0);
    CHECK_EQ_INT(dingofs_open(h, "/chr", O_RDWR, 0), -ENXIO);
    CHECK_EQ_INT(dingofs_open(h, "/blk", O_RDONLY, 0), -ENXIO);
  }
  /* through a symlink as well */
  REQUIRE_EQ_INT(dingofs_symlink(h, "fifo", "/lfifo"), 0);
  CHECK_EQ_INT(dingofs_open(h, "/lfifo", O_RDONLY, 0), -ENXIO);
  fs_close(h);
}

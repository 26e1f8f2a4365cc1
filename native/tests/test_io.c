/* File I/O: offsets, sparse and large files, O_APPEND, truncation, directions,
 * visibility between handles, unlink while open. */
#include "helpers.h"

TEST(io_read_write_offsets) {
  uintptr_t h = fs_default();
  int fd = dingofs_open(h, "/f", O_RDWR | O_CREAT, 0644);
  REQUIRE(fd >= 3);
  CHECK_EQ_INT(dingofs_write(h, fd, "hello ", 6), 6);
  CHECK_EQ_INT(dingofs_write(h, fd, "world", 5), 5);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 0, SEEK_CUR), 11);
  CHECK_EQ_INT(dingofs_write(h, fd, "", 0), 0);
  char buf[32] = {0};
  CHECK_EQ_INT(dingofs_read(h, fd, buf, sizeof buf), 0); /* at EOF */
  CHECK_EQ_INT(dingofs_pread(h, fd, buf, 5, 6), 5);
  CHECK(memcmp(buf, "world", 5) == 0);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 0, SEEK_CUR), 11); /* pread keeps it */
  CHECK_EQ_INT(dingofs_pwrite(h, fd, "W", 1, 6), 1);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 0, SEEK_CUR), 11);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 0, SEEK_SET), 0);
  memset(buf, 0, sizeof buf);
  CHECK_EQ_INT(dingofs_read(h, fd, buf, 4), 4);
  CHECK(memcmp(buf, "hell", 4) == 0);
  CHECK_EQ_INT(dingofs_read(h, fd, buf, sizeof buf), 7);
  CHECK(memcmp(buf, "o World", 7) == 0);
  CHECK_EQ_INT(dingofs_lseek(h, fd, -5, SEEK_END), 6);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 2, SEEK_CUR), 8);
  CHECK_EQ_INT(dingofs_lseek(h, fd, -100, SEEK_CUR), -EINVAL);
  CHECK_EQ_INT(dingofs_lseek(h, fd, -1, SEEK_SET), -EINVAL);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 0, 12345), -EINVAL);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 0, SEEK_CUR), 8);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 100, SEEK_SET), 100); /* past EOF is fine */
  CHECK_EQ_INT(dingofs_read(h, fd, buf, 4), 0);
  CHECK_EQ_INT(dingofs_pread(h, fd, buf, 4, -1), -EINVAL);
  CHECK_EQ_INT(dingofs_pwrite(h, fd, buf, 4, -1), -EINVAL);
  CHECK_EQ_INT(dingofs_flush(h, fd), 0);
  CHECK_EQ_INT(dingofs_fsync(h, fd, 0), 0);
  CHECK_EQ_INT(dingofs_fsync(h, fd, 1), 0);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  CHECK_EQ_INT(dingofs_close(h, fd), -EBADF);
  CHECK(file_equals(h, "/f", "hello World", 11));
  fs_close(h);
}

TEST(io_big_buffer_round_trip) {
  uintptr_t h = fs_default();
  size_t n = 5 * 1024 * 1024 + 123;
  char* data = malloc(n);
  REQUIRE(data != NULL);
  fill_pattern(data, n, 42);
  CHECK_EQ_INT(put_file(h, "/big", data, n), 0);
  CHECK_EQ_INT(size_of(h, "/big"), (long long)n);
  CHECK(file_equals(h, "/big", data, n));
  /* unaligned partial reads */
  int fd = dingofs_open(h, "/big", O_RDONLY, 0);
  REQUIRE(fd >= 3);
  char buf[10000];
  off_t offs[] = {1, 4095, 4096, 65535, 1048577, (off_t)n - 9999};
  for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
    CHECK_EQ_INT(dingofs_pread(h, fd, buf, 9999, offs[i]), 9999);
    CHECK(memcmp(buf, data + offs[i], 9999) == 0);
  }
  CHECK_EQ_INT(dingofs_pread(h, fd, buf, 10000, (off_t)n - 10), 10);
  dingofs_close(h, fd);
  free(data);
  fs_close(h);
}

TEST(io_wrong_direction_is_ebadf) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "abc", 3), 0);
  int r = dingofs_open(h, "/f", O_RDONLY, 0);
  int w = dingofs_open(h, "/f", O_WRONLY, 0);
  REQUIRE(r >= 3);
  REQUIRE(w >= 3);
  char buf[4];
  CHECK_EQ_INT(dingofs_write(h, r, "x", 1), -EBADF);
  CHECK_EQ_INT(dingofs_pwrite(h, r, "x", 1, 0), -EBADF);
  CHECK_EQ_INT(dingofs_read(h, w, buf, 1), -EBADF);
  CHECK_EQ_INT(dingofs_pread(h, w, buf, 1, 0), -EBADF);
  CHECK_EQ_INT(dingofs_ftruncate(h, r, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_ftruncate(h, w, -1), -EINVAL);
  CHECK_EQ_INT(dingofs_ftruncate(h, w, 1), 0);
  CHECK_EQ_INT(dingofs_close(h, r), 0);
  CHECK_EQ_INT(dingofs_close(h, w), 0);
  CHECK(file_equals(h, "/f", "a", 1));
  fs_close(h);
}

TEST(io_sparse_files_read_zeros) {
  uintptr_t h = fs_default();
  int fd = dingofs_open(h, "/sparse", O_RDWR | O_CREAT, 0644);
  REQUIRE(fd >= 3);
  off_t off = 10 * 1024 * 1024;
  CHECK_EQ_INT(dingofs_pwrite(h, fd, "end", 3, off), 3);
  struct stat st;
  CHECK_EQ_INT(dingofs_fstat(h, fd, &st), 0);
  CHECK_EQ_INT(st.st_size, off + 3);
  CHECK(st.st_blocks * 512 < 1024 * 1024);
  char buf[8192];
  memset(buf, 1, sizeof buf);
  CHECK_EQ_INT(dingofs_pread(h, fd, buf, sizeof buf, 5 * 1024 * 1024), (long long)sizeof buf);
  int zeros = 1;
  for (size_t i = 0; i < sizeof buf; i++) zeros &= buf[i] == 0;
  CHECK(zeros);
  CHECK_EQ_INT(dingofs_pread(h, fd, buf, 6, off - 3), 6);
  CHECK(memcmp(buf, "\0\0\0end", 6) == 0);
  /* extending with ftruncate also reads zeros */
  CHECK_EQ_INT(dingofs_ftruncate(h, fd, off + 100), 0);
  CHECK_EQ_INT(dingofs_pread(h, fd, buf, 200, off), 100);
  CHECK(memcmp(buf, "end", 3) == 0);
  zeros = 1;
  for (int i = 3; i < 100; i++) zeros &= buf[i] == 0;
  CHECK(zeros);
  /* shrink then grow: old bytes do not come back */
  CHECK_EQ_INT(dingofs_ftruncate(h, fd, off + 1), 0);
  CHECK_EQ_INT(dingofs_ftruncate(h, fd, off + 3), 0);
  CHECK_EQ_INT(dingofs_pread(h, fd, buf, 3, off), 3);
  CHECK(memcmp(buf, "e\0\0", 3) == 0);
  dingofs_close(h, fd);
  fs_close(h);
}

TEST(io_large_offsets_and_efbig) {
  uintptr_t h = fs_default();
  int fd = dingofs_open(h, "/huge", O_RDWR | O_CREAT, 0644);
  REQUIRE(fd >= 3);
  off_t tib = (off_t)1 << 40;
  CHECK_EQ_INT(dingofs_pwrite(h, fd, "TiB", 3, tib - 1), 3);
  struct stat st;
  CHECK_EQ_INT(dingofs_fstat(h, fd, &st), 0);
  CHECK_EQ_INT(st.st_size, tib + 2);
  char buf[8] = {0};
  CHECK_EQ_INT(dingofs_pread(h, fd, buf, 8, tib - 2), 4);
  CHECK(memcmp(buf, "\0TiB", 4) == 0);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 0, SEEK_END), tib + 2);
  dingofs_statfs_t sf;
  CHECK_EQ_INT(dingofs_statfs(h, &sf), 0);
  CHECK(sf.used_bytes < 64 * 1024 * 1024);
  off_t huge = INT64_MAX - 2;
  CHECK_EQ_INT(dingofs_pwrite(h, fd, "x", 1, huge), -EFBIG);
  CHECK_EQ_INT(dingofs_ftruncate(h, fd, INT64_MAX), -EFBIG);
  /* seeking there may be refused (as ext4 does); writing there must be */
  off_t pos = dingofs_lseek(h, fd, huge, SEEK_SET);
  CHECK(pos == huge || pos == -EINVAL);
  if (pos == huge) CHECK_EQ_INT(dingofs_write(h, fd, "x", 1), -EFBIG);
  CHECK_EQ_INT(dingofs_truncate(h, "/huge", INT64_MAX), -EFBIG);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  CHECK_EQ_INT(size_of(h, "/huge"), tib + 2);
  fs_close(h);
  /* durable across remount */
  h = fs_default();
  fd = dingofs_open(h, "/huge", O_RDONLY, 0);
  REQUIRE(fd >= 3);
  CHECK_EQ_INT(dingofs_pread(h, fd, buf, 3, tib - 1), 3);
  CHECK(memcmp(buf, "TiB", 3) == 0);
  dingofs_close(h, fd);
  fs_close(h);
}

TEST(io_o_append_always_at_end) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/log", "12345", 5), 0);
  int fd = dingofs_open(h, "/log", O_WRONLY | O_APPEND, 0);
  REQUIRE(fd >= 3);
  CHECK_EQ_INT(dingofs_write(h, fd, "ab", 2), 2);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 0, SEEK_CUR), 7);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 0, SEEK_SET), 0);
  CHECK_EQ_INT(dingofs_write(h, fd, "cd", 2), 2);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 0, SEEK_CUR), 9);
  CHECK_EQ_INT(dingofs_pwrite(h, fd, "ef", 2, 0), 2); /* appends, as Linux */
  /* another fd extends the file; the next append goes after that */
  int fd2 = dingofs_open(h, "/log", O_WRONLY, 0);
  REQUIRE(fd2 >= 3);
  CHECK_EQ_INT(dingofs_pwrite(h, fd2, "XYZ", 3, 11), 3);
  CHECK_EQ_INT(dingofs_write(h, fd, "g", 1), 1);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 0, SEEK_CUR), 15);
  dingofs_close(h, fd2);
  dingofs_close(h, fd);
  CHECK(file_equals(h, "/log", "12345abcdefXYZg", 15));
  /* O_APPEND on a new file with O_CREAT */
  fd = dingofs_open(h, "/log2", O_RDWR | O_APPEND | O_CREAT, 0644);
  REQUIRE(fd >= 3);
  CHECK_EQ_INT(dingofs_write(h, fd, "a", 1), 1);
  CHECK_EQ_INT(dingofs_pwrite(h, fd, "b", 1, 100), 1);
  char buf[4] = {0};
  CHECK_EQ_INT(dingofs_pread(h, fd, buf, 4, 0), 2);
  CHECK(memcmp(buf, "ab", 2) == 0);
  dingofs_close(h, fd);
  fs_close(h);
}

TEST(io_truncate_by_path) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "0123456789", 10), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  CHECK_EQ_INT(dingofs_truncate(h, "/f", 4), 0);
  CHECK(file_equals(h, "/f", "0123", 4));
  CHECK_EQ_INT(dingofs_truncate(h, "/f", 6), 0);
  CHECK(file_equals(h, "/f", "0123\0\0", 6));
  CHECK_EQ_INT(dingofs_truncate(h, "/f", -1), -EINVAL);
  CHECK_EQ_INT(dingofs_truncate(h, "/d", 0), -EISDIR);
  CHECK_EQ_INT(dingofs_truncate(h, "/missing", 0), -ENOENT);
  REQUIRE_EQ_INT(dingofs_symlink(h, "f", "/l"), 0);
  CHECK_EQ_INT(dingofs_truncate(h, "/l", 2), 0); /* follows */
  CHECK_EQ_INT(size_of(h, "/f"), 2);
  fs_close(h);
}

TEST(io_size_visible_at_once_and_published_by_flush) {
  uintptr_t h1 = fs_default();
  uintptr_t h2 = fs_default();
  int fd = dingofs_open(h1, "/f", O_WRONLY | O_CREAT, 0644);
  REQUIRE(fd >= 3);
  REQUIRE_EQ_INT(dingofs_close(h1, fd), 0);
  fd = dingofs_open(h1, "/f", O_WRONLY, 0);
  REQUIRE(fd >= 3);
  char data[5000];
  fill_pattern(data, sizeof data, 9);
  CHECK_EQ_INT(dingofs_write(h1, fd, data, sizeof data), (long long)sizeof data);
  struct stat st;
  CHECK_EQ_INT(dingofs_stat(h1, "/f", &st), 0);
  CHECK_EQ_INT(st.st_size, 5000);
  CHECK_EQ_INT(dingofs_fstat(h1, fd, &st), 0);
  CHECK_EQ_INT(st.st_size, 5000);
  CHECK_EQ_INT(dingofs_flush(h1, fd), 0);
  CHECK_EQ_INT(size_of(h2, "/f"), 5000);
  CHECK(file_equals(h2, "/f", data, sizeof data));
  CHECK_EQ_INT(dingofs_pwrite(h1, fd, data, 100, 5000), 100);
  CHECK_EQ_INT(dingofs_close(h1, fd), 0);
  CHECK_EQ_INT(size_of(h2, "/f"), 5100);
  fs_close(h1);
  fs_close(h2);
}

TEST(io_periodic_flush_publishes_size) {
  uintptr_t h1 = dingofs_new();
  REQUIRE_EQ_INT(dingofs_conf_set(h1, "vfs_periodic_flush_interval_ms", "100"), 0);
  REQUIRE_EQ_INT(fs_try_mount(h1, FSNAME, NULL), 0);
  uintptr_t h2 = fs_default();
  int fd = dingofs_open(h1, "/f", O_WRONLY | O_CREAT, 0644);
  REQUIRE(fd >= 3);
  REQUIRE_EQ_INT(dingofs_close(h1, fd), 0);
  fd = dingofs_open(h1, "/f", O_WRONLY, 0);
  REQUIRE(fd >= 3);
  CHECK_EQ_INT(dingofs_write(h1, fd, "0123456789", 10), 10);
  long long sz = -1;
  for (int i = 0; i < 50 && sz != 10; i++) {
    usleep(50000);
    sz = size_of(h2, "/f");
  }
  CHECK_EQ_INT(sz, 10);
  dingofs_close(h1, fd);
  fs_close(h1);
  fs_close(h2);
}

TEST(io_unlink_while_open) {
  uintptr_t h = fs_default();
  char data[300000];
  fill_pattern(data, sizeof data, 77);
  REQUIRE_EQ_INT(put_file(h, "/victim", data, sizeof data), 0);
  dingofs_statfs_t sf0, sf1, sf2;
  REQUIRE_EQ_INT(dingofs_statfs(h, &sf0), 0);
  int fd = dingofs_open(h, "/victim", O_RDWR, 0);
  int fd2 = dingofs_open(h, "/victim", O_RDONLY, 0);
  REQUIRE(fd >= 3);
  REQUIRE(fd2 >= 3);
  CHECK_EQ_INT(dingofs_unlink(h, "/victim"), 0);
  CHECK(!path_exists(h, "/victim"));
  char names[4][256];
  CHECK_EQ_INT(list_names(h, "/", names, 4), 0);
  /* the name can be reused at once */
  CHECK_EQ_INT(put_file(h, "/victim", "new", 3), 0);
  struct stat st;
  CHECK_EQ_INT(dingofs_fstat(h, fd, &st), 0);
  CHECK_EQ_INT(st.st_nlink, 0);
  CHECK_EQ_INT(st.st_size, (long long)sizeof data);
  char buf[1000];
  CHECK_EQ_INT(dingofs_pread(h, fd2, buf, 1000, 200000), 1000);
  CHECK(memcmp(buf, data + 200000, 1000) == 0);
  CHECK_EQ_INT(dingofs_pwrite(h, fd, "ZZZ", 3, 10), 3);
  CHECK_EQ_INT(dingofs_pread(h, fd2, buf, 5, 9), 5);
  CHECK(memcmp(buf + 1, "ZZZ", 3) == 0);
  CHECK_EQ_INT(dingofs_fsync(h, fd, 0), 0);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  CHECK_EQ_INT(dingofs_pread(h, fd2, buf, 3, 10), 3);
  CHECK(memcmp(buf, "ZZZ", 3) == 0);
  REQUIRE_EQ_INT(dingofs_statfs(h, &sf1), 0);
  CHECK(sf1.used_bytes >= sf0.used_bytes);
  CHECK_EQ_INT(dingofs_close(h, fd2), 0);
  /* last close frees the data */
  REQUIRE_EQ_INT(dingofs_statfs(h, &sf2), 0);
  CHECK(sf2.used_bytes <= sf0.used_bytes - (long long)sizeof data + 4096);
  CHECK_EQ_INT(sf2.used_inodes, sf0.used_inodes);
  CHECK(file_equals(h, "/victim", "new", 3));
  fs_close(h);
  char dat[700];
  snprintf(dat, sizeof dat, "%s/data/%s", tt_base, FSNAME);
  CHECK(host_count_files(dat) <= 1);
  char addr[1024];
  fs_addr(addr, sizeof addr, FSNAME, NULL);
  CHECK_EQ_INT(dingofs_x_fsck(addr, 0, NULL), 0);
}

TEST(io_unlinked_open_file_survives_umount_of_other_handle) {
  uintptr_t h1 = fs_default();
  uintptr_t h2 = fs_default();
  REQUIRE_EQ_INT(put_file(h1, "/f", "persist", 7), 0);
  int fd = dingofs_open(h1, "/f", O_RDONLY, 0);
  REQUIRE(fd >= 3);
  CHECK_EQ_INT(dingofs_unlink(h2, "/f"), 0);
  fs_close(h2); /* the other handle's umount must not free it */
  char buf[8] = {0};
  CHECK_EQ_INT(dingofs_pread(h1, fd, buf, 8, 0), 7);
  CHECK(memcmp(buf, "persist", 7) == 0);
  CHECK_EQ_INT(dingofs_close(h1, fd), 0);
  fs_close(h1);
}

static void open_unlink_and_die(void* arg) {
  (void)arg;
  uintptr_t h = fs_default();
  int fd = dingofs_open(h, "/doomed", O_RDONLY, 0);
  if (fd < 3) _exit(2);
  if (dingofs_unlink(h, "/doomed") != 0) _exit(3);
  /* die holding the unlinked file open: no close, no umount */
  _exit(0);
}

TEST(io_orphan_of_crashed_opener_is_reclaimed) {
  uintptr_t h = fs_default();
  dingofs_statfs_t s0, s1;
  REQUIRE_EQ_INT(dingofs_statfs(h, &s0), 0);
  char* data = malloc(1 << 20);
  REQUIRE(data != NULL);
  fill_pattern(data, 1 << 20, 3);
  REQUIRE_EQ_INT(put_file(h, "/doomed", data, 1 << 20), 0);
  free(data);
  fs_close(h);
  CHECK_EQ_INT(run_in_child(open_unlink_and_die, NULL), 0);
  char addr[1024];
  fs_addr(addr, sizeof addr, FSNAME, NULL);
  /* the next mount (or checker) that can take the lock reclaims it */
  h = fs_default();
  REQUIRE_EQ_INT(dingofs_statfs(h, &s1), 0);
  CHECK_EQ_INT(s1.used_inodes, s0.used_inodes);
  CHECK(s1.used_bytes <= s0.used_bytes + 4096);
  fs_close(h);
  CHECK_EQ_INT(dingofs_x_fsck(addr, 0, NULL), 0);
  char dat[700];
  snprintf(dat, sizeof dat, "%s/data/%s", tt_base, FSNAME);
  CHECK(host_count_files(dat) <= 0);
}

/*
 * test_inline.c - small files kept in the metadata store (on-disk format 2),
 * the moves between the inline form and a data file, and the format upgrade.
 */
#include "helpers.h"

#include <sys/wait.h>

#define BIG (100 * 1024) /* above the default threshold (64 KiB) */

static int data_files(const char* name) {
  char dir[700];
  snprintf(dir, sizeof dir, "%s/data/%s", tt_base, name);
  return host_count_files(dir);
}

static int64_t used_bytes(uintptr_t h) {
  dingofs_statfs_t st;
  REQUIRE_EQ_INT(dingofs_statfs(h, &st), 0);
  return st.used_bytes;
}

static int write_at(uintptr_t h, const char* path, int flags, const void* buf, size_t n,
                    off_t off) {
  int fd = dingofs_open(h, path, O_WRONLY | flags, 0644);
  if (fd < 0) return fd;
  ssize_t w = dingofs_pwrite(h, fd, buf, n, off);
  int rc = dingofs_close(h, fd);
  if (w != (ssize_t)n) return w < 0 ? (int)w : -EIO;
  return rc;
}

TEST(inline_small_file_touches_no_data_file) {
  uintptr_t h = fs_default();
  int64_t before = used_bytes(h);
  static char buf[4096], got[8192];
  fill_pattern(buf, sizeof buf, 1);
  CHECK_EQ_INT(put_file(h, "/a", buf, sizeof buf), 0);
  CHECK_EQ_INT(data_files(FSNAME), 0);
  CHECK(file_equals(h, "/a", buf, sizeof buf));
  struct stat st;
  REQUIRE_EQ_INT(dingofs_stat(h, "/a", &st), 0);
  CHECK_EQ_INT(st.st_size, 4096);
  CHECK(st.st_blocks * 512 >= 4096);
  /* inline bytes count as data in statfs */
  CHECK_EQ_INT(used_bytes(h) - before, 4096);
  /* reads past a short inline copy are zeros (a hole made by truncate) */
  CHECK_EQ_INT(dingofs_truncate(h, "/a", 6000), 0);
  CHECK_EQ_INT(get_file(h, "/a", got, sizeof got), 6000);
  CHECK(memcmp(got, buf, 4096) == 0);
  int zeros = 1;
  for (int i = 4096; i < 6000; i++) zeros &= got[i] == 0;
  CHECK(zeros);
  CHECK_EQ_INT(dingofs_unlink(h, "/a"), 0);
  CHECK_EQ_INT(used_bytes(h), before);
  CHECK_EQ_INT(data_files(FSNAME), 0);
  fs_close(h);
  CHECK_EQ_INT(fsck_problems(FSNAME), 0);
}

TEST(inline_threshold_zero_writes_data_files) {
  uintptr_t h = dingofs_new();
  REQUIRE_EQ_INT(dingofs_conf_set(h, "dingofs_inline_max_bytes", "0"), 0);
  REQUIRE_EQ_INT(fs_try_mount(h, FSNAME, NULL), 0);
  CHECK_EQ_INT(put_file(h, "/a", "hello", 5), 0);
  CHECK_EQ_INT(data_files(FSNAME), 1);
  CHECK(file_equals(h, "/a", "hello", 5));
  fs_close(h);
  /* out of range */
  h = dingofs_new();
  CHECK_EQ_INT(dingofs_conf_set(h, "dingofs_inline_max_bytes", "2000000"), -EINVAL);
  CHECK_EQ_INT(dingofs_conf_set(h, "dingofs_inline_max_bytes", "-1"), -EINVAL);
  REQUIRE_EQ_INT(dingofs_conf_set(h, "dingofs_inline_max_bytes", "65536"), 0);
  dingofs_delete(h);
}

TEST(inline_grows_into_a_data_file_and_truncate_brings_it_back) {
  uintptr_t h = fs_default();
  static char buf[BIG + 1000], got[BIG + 2000];
  fill_pattern(buf, sizeof buf, 2);
  CHECK_EQ_INT(put_file(h, "/f", buf, 1000), 0);
  CHECK_EQ_INT(data_files(FSNAME), 0);
  /* a write past the threshold moves it to a data file, keeping its bytes */
  CHECK_EQ_INT(write_at(h, "/f", 0, buf + 1000, BIG, 1000), 0);
  CHECK_EQ_INT(data_files(FSNAME), 1);
  CHECK(file_equals(h, "/f", buf, BIG + 1000));
  /* truncated down to what the store holds: back inline, no data file */
  CHECK_EQ_INT(dingofs_truncate(h, "/f", 700), 0);
  CHECK_EQ_INT(data_files(FSNAME), 0);
  CHECK(file_equals(h, "/f", buf, 700));
  /* the same through an open fd (only this handle has it open) */
  CHECK_EQ_INT(write_at(h, "/f", 0, buf + 700, BIG, 700), 0);
  CHECK_EQ_INT(data_files(FSNAME), 1);
  int fd = dingofs_open(h, "/f", O_RDWR, 0);
  REQUIRE(fd >= 0);
  CHECK_EQ_INT(dingofs_ftruncate(h, fd, 300), 0);
  CHECK_EQ_INT(data_files(FSNAME), 0);
  CHECK_EQ_INT(dingofs_pwrite(h, fd, buf + 300, 100, 300), 100);
  CHECK_EQ_INT(dingofs_pread(h, fd, got, sizeof got, 0), 400);
  CHECK(memcmp(got, buf, 400) == 0);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  CHECK(file_equals(h, "/f", buf, 400));
  /* O_TRUNC of a data file makes it inline again */
  CHECK_EQ_INT(write_at(h, "/f", 0, buf, BIG, 0), 0);
  CHECK_EQ_INT(data_files(FSNAME), 1);
  CHECK_EQ_INT(put_file(h, "/f", "new", 3), 0);
  CHECK_EQ_INT(data_files(FSNAME), 0);
  CHECK(file_equals(h, "/f", "new", 3));
  /* a data file open in another handle stays a data file */
  CHECK_EQ_INT(write_at(h, "/f", 0, buf, BIG, 0), 0);
  uintptr_t h2 = fs_default();
  int fd2 = dingofs_open(h2, "/f", O_RDONLY, 0);
  REQUIRE(fd2 >= 0);
  CHECK_EQ_INT(dingofs_truncate(h, "/f", 10), 0);
  CHECK_EQ_INT(data_files(FSNAME), 1);
  /* (its size is the one it opened with: close-to-open) */
  CHECK(dingofs_pread(h2, fd2, got, 100, 0) >= 10);
  CHECK(memcmp(got, buf, 10) == 0);
  CHECK_EQ_INT(dingofs_close(h2, fd2), 0);
  fs_close(h2);
  CHECK(file_equals(h, "/f", buf, 10));
  fs_close(h);
  CHECK_EQ_INT(fsck_problems(FSNAME), 0);
}

TEST(inline_handles_merge_their_ranges) {
  uintptr_t a = fs_default();
  uintptr_t b = fs_default();
  CHECK_EQ_INT(put_file(a, "/m", "", 0), 0);
  int fa = dingofs_open(a, "/m", O_RDWR, 0);
  int fb = dingofs_open(b, "/m", O_RDWR, 0);
  REQUIRE(fa >= 0 && fb >= 0);
  char x[100], y[100], want[200];
  memset(x, 'a', sizeof x);
  memset(y, 'b', sizeof y);
  CHECK_EQ_INT(dingofs_pwrite(a, fa, x, 100, 0), 100);
  CHECK_EQ_INT(dingofs_pwrite(b, fb, y, 100, 100), 100);
  CHECK_EQ_INT(dingofs_close(a, fa), 0);
  CHECK_EQ_INT(dingofs_close(b, fb), 0);
  memcpy(want, x, 100);
  memcpy(want + 100, y, 100);
  CHECK(file_equals(a, "/m", want, 200));
  CHECK(file_equals(b, "/m", want, 200));
  /* close-to-open: a new open sees the other handle's committed bytes */
  fa = dingofs_open(a, "/m", O_RDWR, 0);
  REQUIRE(fa >= 0);
  CHECK_EQ_INT(write_at(b, "/m", 0, "ZZ", 2, 50), 0);
  int fa2 = dingofs_open(a, "/m", O_RDONLY, 0);
  char got[200];
  CHECK_EQ_INT(dingofs_pread(a, fa2, got, 200, 0), 200);
  CHECK(got[50] == 'Z' && got[51] == 'Z' && got[49] == 'a');
  CHECK_EQ_INT(dingofs_close(a, fa2), 0);
  CHECK_EQ_INT(dingofs_close(a, fa), 0);
  fs_close(b);
  fs_close(a);
  CHECK_EQ_INT(fsck_problems(FSNAME), 0);
}

/* The parent writes its own bytes into inline file `path` and keeps them
 * uncommitted while a child process runs `child`; then the parent closes and
 * the file must read `want`. */
static void own_bytes_beside_a_child(const char* path, const void* own, size_t n, off_t off,
                                     void (*child)(void*), const void* want, size_t want_len) {
  uintptr_t h = fs_default();
  CHECK_EQ_INT(put_file(h, path, "", 0), 0);
  int fd = dingofs_open(h, path, O_RDWR, 0);
  REQUIRE(fd >= 0);
  CHECK_EQ_INT(dingofs_pwrite(h, fd, own, n, off), (ssize_t)n);
  CHECK_EQ_INT(run_in_child(child, (void*)path), 0);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  CHECK(file_equals(h, path, want, want_len));
  fs_close(h);
  CHECK_EQ_INT(fsck_problems(FSNAME), 0);
}

/* Another process writes bytes 300..600 of the file. */
static void write_range_child(void* arg) {
  uintptr_t h = fs_default();
  char y[300];
  memset(y, 'c', sizeof y);
  CHECK_EQ_INT(write_at(h, (const char*)arg, 0, y, sizeof y, 300), 0);
  fs_close(h);
}

TEST(inline_two_processes_write_ranges_of_one_file) {
  char x[300], want[600];
  memset(x, 'p', sizeof x);
  memcpy(want, x, 300);
  memset(want + 300, 'c', 300);
  own_bytes_beside_a_child("/p", x, sizeof x, 0, write_range_child, want, sizeof want);
}

/* Another process grows the file past the threshold (to a data file). */
static void grow_child(void* arg) {
  uintptr_t h = fs_default();
  static char big[BIG];
  memset(big, 'g', sizeof big);
  CHECK_EQ_INT(write_at(h, (const char*)arg, 0, big, sizeof big, 0), 0);
  CHECK_EQ_INT(data_files(FSNAME), 1);
  fs_close(h);
}

/* The parent's uncommitted inline bytes land in the data file. */
TEST(inline_moved_out_by_another_process_keeps_our_bytes) {
  static char want[BIG];
  memset(want, 'g', sizeof want);
  memcpy(want + 10, "mine", 4);
  own_bytes_beside_a_child("/o", "mine", 4, 10, grow_child, want, sizeof want);
}

TEST(inline_append_seek_allocate_and_copy) {
  uintptr_t h = fs_default();
  CHECK_EQ_INT(put_file(h, "/s", "0123456789", 10), 0);
  int fd = dingofs_open(h, "/s", O_RDONLY, 0);
  REQUIRE(fd >= 0);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 3, SEEK_DATA), 3);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 3, SEEK_HOLE), 10);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 10, SEEK_DATA), -ENXIO);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  /* copy_file_range between two inline files */
  CHECK_EQ_INT(put_file(h, "/t", "", 0), 0);
  int in = dingofs_open(h, "/s", O_RDONLY, 0);
  int out = dingofs_open(h, "/t", O_WRONLY, 0);
  REQUIRE(in >= 0 && out >= 0);
  off_t oi = 2, oo = 0;
  CHECK_EQ_INT(dingofs_x_copy_file_range(h, in, &oi, out, &oo, 5, 0), 5);
  CHECK_EQ_INT(dingofs_close(h, in), 0);
  CHECK_EQ_INT(dingofs_close(h, out), 0);
  CHECK(file_equals(h, "/t", "23456", 5));
  CHECK_EQ_INT(data_files(FSNAME), 0);
  /* an append moves the file to a data file, atomically at the end */
  fd = dingofs_open(h, "/s", O_WRONLY | O_APPEND, 0);
  REQUIRE(fd >= 0);
  CHECK_EQ_INT(dingofs_write(h, fd, "ab", 2), 2);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  CHECK(file_equals(h, "/s", "0123456789ab", 12));
  CHECK_EQ_INT(data_files(FSNAME), 1);
  /* so does an allocation */
  fd = dingofs_open(h, "/t", O_RDWR, 0);
  REQUIRE(fd >= 0);
  CHECK_EQ_INT(dingofs_x_fallocate(h, fd, 0, 0, 8192), 0);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  CHECK_EQ_INT(size_of(h, "/t"), 8192);
  char got[8192];
  CHECK_EQ_INT(get_file(h, "/t", got, sizeof got), 8192);
  CHECK(memcmp(got, "23456", 5) == 0 && got[5] == 0 && got[8191] == 0);
  CHECK_EQ_INT(data_files(FSNAME), 2);
  fs_close(h);
  CHECK_EQ_INT(fsck_problems(FSNAME), 0);
}

TEST(inline_capacity_counts_inline_bytes) {
  uintptr_t h = fs_open(FSNAME, "capacity=65536");
  static char buf[30000];
  fill_pattern(buf, sizeof buf, 3);
  CHECK_EQ_INT(put_file(h, "/a", buf, sizeof buf), 0);
  CHECK_EQ_INT(put_file(h, "/b", buf, sizeof buf), 0);
  CHECK_EQ_INT(put_file(h, "/c", buf, sizeof buf), -ENOSPC);
  CHECK_EQ_INT(dingofs_unlink(h, "/a"), 0);
  CHECK_EQ_INT(dingofs_unlink(h, "/c"), 0);
  CHECK_EQ_INT(put_file(h, "/c", buf, sizeof buf), 0);
  CHECK(file_equals(h, "/c", buf, sizeof buf));
  fs_close(h);
  CHECK_EQ_INT(fsck_problems(FSNAME), 0);
}

/* ---- on-disk format ---- */

static int mount_rc(const char* query) {
  uintptr_t h = dingofs_new();
  int rc = fs_try_mount(h, FSNAME, query);
  if (rc == 0) dingofs_umount(h);
  dingofs_delete(h);
  return rc;
}

TEST(format_older_store_is_upgraded_when_nobody_has_it_mounted) {
  setenv("DINGOFS_TEST_FORMAT", "1", 1); /* play a library of format 1 */
  uintptr_t h = fs_default();
  CHECK_EQ_INT(put_file(h, "/old", "format one", 10), 0);
  fs_close(h);
  CHECK_EQ_INT(data_files(FSNAME), 1); /* format 1 has no inline data */
  unsetenv("DINGOFS_TEST_FORMAT");
  h = fs_default(); /* upgrades */
  CHECK(file_equals(h, "/old", "format one", 10));
  CHECK_EQ_INT(put_file(h, "/new", "format two", 10), 0);
  CHECK_EQ_INT(data_files(FSNAME), 1);
  fs_close(h);
  CHECK_EQ_INT(fsck_problems(FSNAME), 0);
  /* the older library now refuses it, clearly */
  setenv("DINGOFS_TEST_FORMAT", "1", 1);
  CHECK_EQ_INT(mount_rc(NULL), -EPROTO);
  CHECK_EQ_INT(mount_rc("ro=1"), -EPROTO);
  unsetenv("DINGOFS_TEST_FORMAT");
}

static void newer_library_child(void* arg) {
  (void)arg;
  unsetenv("DINGOFS_TEST_FORMAT");
  uintptr_t h = dingofs_new();
  CHECK_EQ_INT(fs_try_mount(h, FSNAME, NULL), -EBUSY);
  char why[512];
  dingofs_x_last_error(why, sizeof why);
  CHECK(strstr(why, "format") != NULL && strstr(why, "mounted") != NULL);
  dingofs_delete(h);
  /* read-only, it can use the older format as it is */
  h = dingofs_new();
  CHECK_EQ_INT(fs_try_mount(h, FSNAME, "ro=1"), 0);
  CHECK(file_equals(h, "/old", "format one", 10));
  fs_close(h);
}

TEST(format_upgrade_refused_beside_an_older_process) {
  setenv("DINGOFS_TEST_FORMAT", "1", 1);
  uintptr_t old = fs_default(); /* the older process stays mounted */
  CHECK_EQ_INT(put_file(old, "/old", "format one", 10), 0);
  CHECK_EQ_INT(run_in_child(newer_library_child, NULL), 0);
  /* the older process never saw a change of format */
  CHECK(file_equals(old, "/old", "format one", 10));
  CHECK_EQ_INT(put_file(old, "/old2", "still one", 9), 0);
  fs_close(old);
  unsetenv("DINGOFS_TEST_FORMAT");
  CHECK_EQ_INT(mount_rc(NULL), 0); /* alone now: upgraded */
  setenv("DINGOFS_TEST_FORMAT", "1", 1);
  CHECK_EQ_INT(mount_rc(NULL), -EPROTO);
  unsetenv("DINGOFS_TEST_FORMAT");
  CHECK_EQ_INT(fsck_problems(FSNAME), 0);
}

/* Another process replaces the file's bytes (still inline). */
static void rewrite_child(void* arg) {
  uintptr_t h = fs_default();
  CHECK_EQ_INT(put_file(h, (const char*)arg, "child bytes", 11), 0);
  fs_close(h);
}

/* The engine remembers what it learnt of a file's inline state (its bytes, or
 * that it has a data file), so a second open asks the store nothing; every
 * change by another handle or process must still be seen by the next open. */
TEST(inline_known_state_follows_other_handles_and_processes) {
  uintptr_t a = fs_default();
  uintptr_t b = fs_default();
  static char big[BIG], got[BIG + 10];
  memset(big, 'g', sizeof big);
  for (int round = 0; round < 3; round++) {
    /* each check opens twice through a: the second open answers from what
     * the first one learnt, unless the store moved on in between */
    CHECK_EQ_INT(put_file(b, "/k", "first", 5), 0);
    CHECK(file_equals(a, "/k", "first", 5));
    CHECK(file_equals(a, "/k", "first", 5));
    CHECK_EQ_INT(put_file(b, "/k", "second!", 7), 0); /* new inline bytes */
    CHECK(file_equals(a, "/k", "second!", 7));
    CHECK_EQ_INT(put_file(b, "/k", big, sizeof big), 0); /* to a data file */
    CHECK(file_equals(a, "/k", big, sizeof big));
    CHECK(file_equals(a, "/k", big, sizeof big));
    CHECK_EQ_INT(dingofs_truncate(b, "/k", 3), 0); /* back inline */
    CHECK(file_equals(a, "/k", "ggg", 3));
    CHECK_EQ_INT(run_in_child(rewrite_child, (void*)"/k"), 0);
    CHECK(file_equals(a, "/k", "child bytes", 11));
    CHECK(file_equals(a, "/k", "child bytes", 11));
    /* removed and made again: maybe the same inode number, other bytes */
    CHECK_EQ_INT(dingofs_unlink(b, "/k"), 0);
    CHECK_EQ_INT(get_file(a, "/k", got, sizeof got), -ENOENT);
    CHECK_EQ_INT(put_file(b, "/k", "third", 5), 0);
    CHECK(file_equals(a, "/k", "third", 5));
    /* a's own changes, then b reads them */
    CHECK_EQ_INT(put_file(a, "/k", big, sizeof big), 0);
    CHECK(file_equals(b, "/k", big, sizeof big));
    CHECK_EQ_INT(dingofs_truncate(a, "/k", 4), 0);
    CHECK(file_equals(a, "/k", "gggg", 4));
    CHECK(file_equals(b, "/k", "gggg", 4));
    CHECK_EQ_INT(dingofs_unlink(a, "/k"), 0);
  }
  fs_close(b);
  fs_close(a);
  CHECK_EQ_INT(fsck_problems(FSNAME), 0);
}

/* The dingofs_x_* extensions. */
#include <sqlite3.h>
#include <sys/wait.h>

#include "helpers.h"

TEST(x_mknod_types_and_errors) {
  uintptr_t h = fs_default();
  CHECK_EQ_INT(dingofs_x_mknod(h, "/reg", S_IFREG | 0640, 0), 0);
  CHECK_EQ_INT(dingofs_x_mknod(h, "/fifo", S_IFIFO | 0604, 0), 0);
  CHECK_EQ_INT(dingofs_x_mknod(h, "/sock", S_IFSOCK | 0777, 0), 0);
  struct stat st;
  REQUIRE_EQ_INT(dingofs_lstat(h, "/reg", &st), 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK_EQ_INT(st.st_mode & 07777, 0640);
  CHECK_EQ_INT(st.st_size, 0);
  REQUIRE_EQ_INT(dingofs_lstat(h, "/fifo", &st), 0);
  CHECK(S_ISFIFO(st.st_mode));
  CHECK_EQ_INT(st.st_mode & 07777, 0604);
  REQUIRE_EQ_INT(dingofs_lstat(h, "/sock", &st), 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK_EQ_INT(st.st_mode & 07777, 0777);
  if (geteuid() == 0) {
    dev_t dev = makedev(4, 64);
    CHECK_EQ_INT(dingofs_x_mknod(h, "/chr", S_IFCHR | 0620, dev), 0);
    REQUIRE_EQ_INT(dingofs_lstat(h, "/chr", &st), 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK_EQ_INT(st.st_rdev, dev);
    dev = makedev(259, 70000);
    CHECK_EQ_INT(dingofs_x_mknod(h, "/blk", S_IFBLK | 0600, dev), 0);
    REQUIRE_EQ_INT(dingofs_lstat(h, "/blk", &st), 0);
    CHECK(S_ISBLK(st.st_mode));
    CHECK_EQ_INT(st.st_rdev, dev);
  }
  CHECK_EQ_INT(dingofs_x_mknod(h, "/fifo", S_IFIFO | 0600, 0), -EEXIST);
  CHECK_EQ_INT(dingofs_x_mknod(h, "/dir", S_IFDIR | 0755, 0), -EPERM); /* as Linux */
  CHECK_EQ_INT(dingofs_x_mknod(h, "/lnk", S_IFLNK | 0777, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_x_mknod(h, "/missing/x", S_IFIFO | 0600, 0), -ENOENT);
  /* the fifo is a node in the namespace: rename, link and unlink work */
  CHECK_EQ_INT(dingofs_rename(h, "/fifo", "/fifo2"), 0);
  CHECK_EQ_INT(dingofs_link(h, "/fifo2", "/fifo3"), 0);
  CHECK_EQ_INT(dingofs_unlink(h, "/fifo2"), 0);
  CHECK_EQ_INT(dingofs_unlink(h, "/fifo3"), 0);
  fs_close(h);
}

TEST(x_utimens_now_omit_nofollow) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "", 0), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "f", "/l"), 0);
  struct timespec set[2] = {{100, 1}, {200, 2}};
  REQUIRE_EQ_INT(dingofs_x_utimens(h, "/f", set, 0), 0);
  struct timespec om[2] = {{0, UTIME_OMIT}, {300, 3}};
  CHECK_EQ_INT(dingofs_x_utimens(h, "/f", om, 0), 0);
  struct stat st;
  REQUIRE_EQ_INT(dingofs_lstat(h, "/f", &st), 0);
  CHECK_EQ_INT(st.st_atim.tv_sec, 100);
  CHECK_EQ_INT(st.st_atim.tv_nsec, 1);
  CHECK_EQ_INT(st.st_mtim.tv_sec, 300);
  CHECK_EQ_INT(st.st_mtim.tv_nsec, 3);
  struct timespec t0 = now_ts();
  struct timespec nw[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
  CHECK_EQ_INT(dingofs_x_utimens(h, "/f", nw, 0), 0);
  REQUIRE_EQ_INT(dingofs_lstat(h, "/f", &st), 0);
  CHECK(ts_le(t0, st.st_atim));
  CHECK_EQ_INT(st.st_mtim.tv_sec, 300);
  struct timespec both_omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
  CHECK_EQ_INT(dingofs_x_utimens(h, "/f", both_omit, 0), 0);
  CHECK_EQ_INT(dingofs_x_utimens(h, "/f", NULL, 0), 0);
  REQUIRE_EQ_INT(dingofs_lstat(h, "/f", &st), 0);
  CHECK(ts_le(t0, st.st_mtim));
  /* follows by default, changes the link itself with NOFOLLOW */
  struct stat lbefore;
  REQUIRE_EQ_INT(dingofs_lstat(h, "/l", &lbefore), 0);
  struct timespec v[2] = {{7, 7}, {8, 8}};
  CHECK_EQ_INT(dingofs_x_utimens(h, "/l", v, DINGOFS_X_NOFOLLOW), 0);
  struct stat lst, fst;
  REQUIRE_EQ_INT(dingofs_lstat(h, "/l", &lst), 0);
  REQUIRE_EQ_INT(dingofs_lstat(h, "/f", &fst), 0);
  CHECK_EQ_INT(lst.st_mtim.tv_sec, 8);
  CHECK_EQ_INT(lst.st_mtim.tv_nsec, 8);
  CHECK(fst.st_mtim.tv_sec != 8);
  struct timespec w[2] = {{9, 9}, {10, 10}};
  CHECK_EQ_INT(dingofs_x_utimens(h, "/l", w, 0), 0);
  REQUIRE_EQ_INT(dingofs_lstat(h, "/f", &fst), 0);
  CHECK_EQ_INT(fst.st_mtim.tv_sec, 10);
  CHECK_EQ_INT(dingofs_x_utimens(h, "/f", w, 0x4), -EINVAL);
  CHECK_EQ_INT(dingofs_x_utimens(h, "/missing", w, 0), -ENOENT);
  fs_close(h);
}

TEST(x_stat_and_x_fstat) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "12345", 5), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "f", "/l"), 0);
  int fd = dingofs_open(h, "/f", O_RDONLY, 0);
  REQUIRE(fd >= 3);
  uint32_t fl = FS_NODUMP_FL;
  REQUIRE_EQ_INT(dingofs_ioctl(h, fd, FS_IOC32_SETFLAGS, &fl), 0);
  struct stat a, b;
  uint32_t ia = 0, ib = 0;
  CHECK_EQ_INT(dingofs_x_stat(h, "/l", 0, &a, &ia), 0);
  CHECK_EQ_INT(dingofs_stat(h, "/f", &b), 0);
  CHECK_EQ_INT(a.st_ino, b.st_ino);
  CHECK_EQ_INT(a.st_size, 5);
  CHECK_EQ_INT(ia, FS_NODUMP_FL);
  ia = 0xffff;
  CHECK_EQ_INT(dingofs_x_stat(h, "/l", DINGOFS_X_NOFOLLOW, &a, &ia), 0);
  CHECK(S_ISLNK(a.st_mode));
  CHECK_EQ_INT(ia, 0);
  CHECK_EQ_INT(dingofs_x_stat(h, "/f", 0, &a, NULL), 0);
  CHECK_EQ_INT(dingofs_x_stat(h, "/missing", 0, &a, &ia), -ENOENT);
  CHECK_EQ_INT(dingofs_x_fstat(h, fd, &a, &ib), 0);
  CHECK_EQ_INT(ib, FS_NODUMP_FL);
  CHECK_EQ_INT(a.st_ino, b.st_ino);
  CHECK(a.st_blksize > 0);
  CHECK_EQ_INT(dingofs_x_fstat(h, fd, &a, NULL), 0);
  CHECK_EQ_INT(dingofs_x_fstat(h, 999, &a, &ib), -EBADF);
  CHECK_EQ_INT(dingofs_x_stat(h, "/f", 0x1, &a, &ia), -EINVAL);
  dingofs_close(h, fd);
  fs_close(h);
}

TEST(x_readdirplus_attributes_and_shared_position) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  char p[64];
  for (int i = 0; i < 20; i++) {
    snprintf(p, sizeof p, "/d/f%02d", i);
    REQUIRE_EQ_INT(put_file(h, p, "abcdefghijklmnopqrstuvwxyz", (size_t)i), 0);
  }
  REQUIRE_EQ_INT(dingofs_symlink(h, "f00", "/d/link"), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d/sub", 0700), 0);
  int fd = dingofs_open(h, "/d/f03", O_RDONLY, 0);
  uint32_t fl = FS_NODUMP_FL;
  REQUIRE_EQ_INT(dingofs_ioctl(h, fd, FS_IOC32_SETFLAGS, &fl), 0);
  dingofs_close(h, fd);
  uint64_t dh;
  REQUIRE_EQ_INT(dingofs_opendir(h, "/d", &dh), 0);
  dingofs_x_direntplus_t e[64];
  CHECK_EQ_INT(dingofs_x_readdirplus(h, dh, e, 0), -EINVAL);
  int n = 0;
  for (;;) {
    int got = dingofs_x_readdirplus(h, dh, e + n, 5);
    REQUIRE(got >= 0);
    if (got == 0) break;
    n += got;
    REQUIRE(n <= 59);
  }
  CHECK_EQ_INT(n, 22);
  for (int i = 0; i < n; i++) {
    CHECK(strcmp(e[i].dirent.d_name, ".") && strcmp(e[i].dirent.d_name, ".."));
    snprintf(p, sizeof p, "/d/%s", e[i].dirent.d_name);
    struct stat st;
    REQUIRE_EQ_INT(dingofs_lstat(h, p, &st), 0);
    CHECK_EQ_INT(e[i].st.st_ino, st.st_ino);
    CHECK_EQ_INT(e[i].dirent.d_ino, st.st_ino);
    CHECK_EQ_INT(e[i].st.st_mode, st.st_mode);
    CHECK_EQ_INT(e[i].st.st_size, st.st_size);
    CHECK_EQ_INT(e[i].st.st_nlink, st.st_nlink);
    CHECK_EQ_INT(e[i].st.st_mtim.tv_nsec, st.st_mtim.tv_nsec);
    if (!strcmp(e[i].dirent.d_name, "f03")) CHECK_EQ_INT(e[i].flags, FS_NODUMP_FL);
    if (!strcmp(e[i].dirent.d_name, "link")) {
      CHECK(S_ISLNK(e[i].st.st_mode));
      CHECK_EQ_INT(e[i].dirent.d_type, DT_LNK);
    }
    if (!strcmp(e[i].dirent.d_name, "sub")) CHECK_EQ_INT(e[i].dirent.d_type, DT_DIR);
  }
  CHECK_EQ_INT(dingofs_closedir(h, dh), 0);
  CHECK_EQ_INT(dingofs_x_readdirplus(h, dh, e, 4), -EBADF);
  /* mixing readdir and readdirplus on one handle: each entry once */
  REQUIRE_EQ_INT(dingofs_opendir(h, "/d", &dh), 0);
  dingofs_dirent_t d[8];
  int seen = 0;
  CHECK_EQ_INT(dingofs_readdir(h, dh, d, 4), 4); /* ".", "..", two entries */
  CHECK(!strcmp(d[0].d_name, "."));
  seen += 2;
  int got;
  while ((got = dingofs_x_readdirplus(h, dh, e, 3)) > 0) {
    for (int i = 0; i < got; i++) {
      CHECK(strcmp(e[i].dirent.d_name, d[2].d_name));
      CHECK(strcmp(e[i].dirent.d_name, d[3].d_name));
    }
    seen += got;
    got = dingofs_readdir(h, dh, d + 4, 2);
    if (got <= 0) break;
    seen += got;
  }
  CHECK_EQ_INT(seen, 22);
  dingofs_closedir(h, dh);
  fs_close(h);
}

TEST(x_rename2_noreplace_exchange) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/a", "A", 1), 0);
  REQUIRE_EQ_INT(put_file(h, "/b", "BB", 2), 0);
  REQUIRE_EQ_INT(dingofs_mkdirs(h, "/d/inner", 0755), 0);
  CHECK_EQ_INT(dingofs_x_rename2(h, "/a", "/b", DINGOFS_X_RENAME_NOREPLACE), -EEXIST);
  CHECK(file_equals(h, "/b", "BB", 2));
  CHECK_EQ_INT(dingofs_x_rename2(h, "/a", "/c", DINGOFS_X_RENAME_NOREPLACE), 0);
  CHECK(file_equals(h, "/c", "A", 1));
  CHECK(!path_exists(h, "/a"));
  CHECK_EQ_INT(dingofs_x_rename2(h, "/c", "/b", DINGOFS_X_RENAME_EXCHANGE), 0);
  CHECK(file_equals(h, "/c", "BB", 2));
  CHECK(file_equals(h, "/b", "A", 1));
  /* a file and a directory can be exchanged; link counts follow */
  CHECK_EQ_INT(dingofs_x_rename2(h, "/b", "/d/inner", DINGOFS_X_RENAME_EXCHANGE), 0);
  struct stat st;
  CHECK_EQ_INT(dingofs_lstat(h, "/b", &st), 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK_EQ_INT(dingofs_lstat(h, "/d/inner", &st), 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK_EQ_INT(dingofs_lstat(h, "/d", &st), 0);
  CHECK_EQ_INT(st.st_nlink, 2);
  CHECK_EQ_INT(dingofs_lstat(h, "/", &st), 0);
  CHECK_EQ_INT(st.st_nlink, 4); /* /b and /d */
  CHECK_EQ_INT(dingofs_stat(h, "/b/..", &st), 0);
  CHECK_EQ_INT(st.st_ino, 1);
  CHECK_EQ_INT(dingofs_x_rename2(h, "/c", "/missing", DINGOFS_X_RENAME_EXCHANGE), -ENOENT);
  CHECK_EQ_INT(dingofs_x_rename2(h, "/missing", "/c", DINGOFS_X_RENAME_EXCHANGE), -ENOENT);
  CHECK_EQ_INT(dingofs_x_rename2(h, "/c", "/b",
                                 DINGOFS_X_RENAME_EXCHANGE | DINGOFS_X_RENAME_NOREPLACE),
               -EINVAL);
  CHECK_EQ_INT(dingofs_x_rename2(h, "/c", "/e", 0x80), -EINVAL);
  CHECK_EQ_INT(dingofs_x_rename2(h, "/c", "/e", 0), 0);
  CHECK(file_equals(h, "/e", "BB", 2));
  /* exchanging a directory into its own subtree is refused */
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/b/deeper", 0755), 0);
  CHECK_EQ_INT(dingofs_x_rename2(h, "/b", "/b/deeper", DINGOFS_X_RENAME_EXCHANGE), -EINVAL);
  fs_close(h);
}

TEST(x_copy_file_range) {
  uintptr_t h = fs_default();
  char data[100000];
  fill_pattern(data, sizeof data, 21);
  REQUIRE_EQ_INT(put_file(h, "/src", data, sizeof data), 0);
  int in = dingofs_open(h, "/src", O_RDONLY, 0);
  int out = dingofs_open(h, "/dst", O_RDWR | O_CREAT, 0644);
  REQUIRE(in >= 3);
  REQUIRE(out >= 3);
  /* fd offsets used and advanced */
  CHECK_EQ_INT(dingofs_lseek(h, in, 1000, SEEK_SET), 1000);
  CHECK_EQ_INT(dingofs_x_copy_file_range(h, in, NULL, out, NULL, 5000, 0), 5000);
  CHECK_EQ_INT(dingofs_lseek(h, in, 0, SEEK_CUR), 6000);
  CHECK_EQ_INT(dingofs_lseek(h, out, 0, SEEK_CUR), 5000);
  char buf[5000];
  CHECK_EQ_INT(dingofs_pread(h, out, buf, 5000, 0), 5000);
  CHECK(memcmp(buf, data + 1000, 5000) == 0);
  /* explicit offsets used and advanced; fd offsets untouched */
  off_t oi = 50000, oo = 200000;
  CHECK_EQ_INT(dingofs_x_copy_file_range(h, in, &oi, out, &oo, 100000, 0), 50000);
  CHECK_EQ_INT(oi, 100000);
  CHECK_EQ_INT(oo, 250000);
  CHECK_EQ_INT(dingofs_lseek(h, in, 0, SEEK_CUR), 6000);
  CHECK_EQ_INT(dingofs_lseek(h, out, 0, SEEK_CUR), 5000);
  struct stat st;
  CHECK_EQ_INT(dingofs_fstat(h, out, &st), 0);
  CHECK_EQ_INT(st.st_size, 250000);
  static char big[50000];
  CHECK_EQ_INT(dingofs_pread(h, out, big, 50000, 200000), 50000);
  CHECK(memcmp(big, data + 50000, 50000) == 0);
  CHECK_EQ_INT(dingofs_pread(h, out, big, 10, 100000), 10);
  CHECK(memcmp(big, "\0\0\0\0\0\0\0\0\0\0", 10) == 0);
  /* at end of input */
  CHECK_EQ_INT(dingofs_x_copy_file_range(h, in, &oi, out, &oo, 10, 0), 0);
  /* errors */
  CHECK_EQ_INT(dingofs_x_copy_file_range(h, out, NULL, in, NULL, 10, 0), -EBADF);
  CHECK_EQ_INT(dingofs_x_copy_file_range(h, in, NULL, out, NULL, 10, 1), -EINVAL);
  CHECK_EQ_INT(dingofs_x_copy_file_range(h, 999, NULL, out, NULL, 10, 0), -EBADF);
  off_t a = 0, b = 100;
  CHECK_EQ_INT(dingofs_x_copy_file_range(h, out, &a, out, &b, 200, 0), -EINVAL);
  a = 0;
  b = 300000;
  CHECK_EQ_INT(dingofs_x_copy_file_range(h, out, &a, out, &b, 200, 0), 200);
  CHECK_EQ_INT(dingofs_pread(h, out, big, 200, 300000), 200);
  CHECK(memcmp(big, data + 1000, 200) == 0);
  off_t neg = -1;
  CHECK_EQ_INT(dingofs_x_copy_file_range(h, in, &neg, out, NULL, 10, 0), -EINVAL);
  int dfd = dingofs_open(h, "/", O_RDONLY, 0);
  REQUIRE(dfd >= 3);
  CHECK_EQ_INT(dingofs_x_copy_file_range(h, dfd, NULL, out, NULL, 10, 0), -EISDIR);
  dingofs_close(h, dfd);
  dingofs_close(h, in);
  dingofs_close(h, out);
  fs_close(h);
}

TEST(x_flock_between_fds) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/lock", "", 0), 0);
  int a = dingofs_open(h, "/lock", O_RDONLY, 0);
  int b = dingofs_open(h, "/lock", O_RDONLY, 0);
  REQUIRE(a >= 3);
  REQUIRE(b >= 3);
  CHECK_EQ_INT(dingofs_x_flock(h, a, LOCK_EX), 0);
  CHECK_EQ_INT(dingofs_x_flock(h, b, LOCK_EX | LOCK_NB), -EWOULDBLOCK);
  CHECK_EQ_INT(dingofs_x_flock(h, b, LOCK_SH | LOCK_NB), -EWOULDBLOCK);
  CHECK_EQ_INT(dingofs_x_flock(h, a, LOCK_EX), 0); /* re-lock same fd */
  CHECK_EQ_INT(dingofs_x_flock(h, a, LOCK_UN), 0);
  CHECK_EQ_INT(dingofs_x_flock(h, a, LOCK_SH), 0);
  CHECK_EQ_INT(dingofs_x_flock(h, b, LOCK_SH | LOCK_NB), 0);
  CHECK_EQ_INT(dingofs_x_flock(h, b, LOCK_EX | LOCK_NB), -EWOULDBLOCK);
  CHECK_EQ_INT(dingofs_x_flock(h, a, LOCK_UN), 0);
  CHECK_EQ_INT(dingofs_x_flock(h, b, LOCK_EX | LOCK_NB), 0); /* upgrade */
  /* closing releases */
  CHECK_EQ_INT(dingofs_close(h, b), 0);
  CHECK_EQ_INT(dingofs_x_flock(h, a, LOCK_EX | LOCK_NB), 0);
  CHECK_EQ_INT(dingofs_x_flock(h, a, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_x_flock(h, a, LOCK_SH | LOCK_EX), -EINVAL);
  CHECK_EQ_INT(dingofs_x_flock(h, 999, LOCK_SH), -EBADF);
  /* a lock on another file does not conflict */
  REQUIRE_EQ_INT(put_file(h, "/other", "", 0), 0);
  int c = dingofs_open(h, "/other", O_RDONLY, 0);
  CHECK_EQ_INT(dingofs_x_flock(h, c, LOCK_EX | LOCK_NB), 0);
  dingofs_close(h, c);
  /* a lock held through another handle conflicts too; umount releases */
  uintptr_t h2 = fs_default();
  int d = dingofs_open(h2, "/lock", O_RDONLY, 0);
  REQUIRE(d >= 3);
  CHECK_EQ_INT(dingofs_x_flock(h2, d, LOCK_SH | LOCK_NB), -EWOULDBLOCK);
  fs_close(h);
  CHECK_EQ_INT(dingofs_x_flock(h2, d, LOCK_EX | LOCK_NB), 0);
  dingofs_close(h2, d);
  fs_close(h2);
}

TEST(x_flock_across_processes_and_exit_releases) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/lock", "", 0), 0);
  int a = dingofs_open(h, "/lock", O_RDONLY, 0);
  REQUIRE(a >= 3);
  REQUIRE_EQ_INT(dingofs_x_flock(h, a, LOCK_EX), 0);
  int go[2], done[2];
  REQUIRE(pipe(go) == 0 && pipe(done) == 0);
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    /* child: its own handle */
    uintptr_t hc = dingofs_new();
    int rc = fs_try_mount(hc, FSNAME, NULL);
    if (rc) _exit(10);
    int fd = dingofs_open(hc, "/lock", O_RDONLY, 0);
    if (fd < 3) _exit(11);
    if (dingofs_x_flock(hc, fd, LOCK_SH | LOCK_NB) != -EWOULDBLOCK) _exit(12);
    char c = 'r';
    if (write(done[1], &c, 1) != 1) _exit(13);
    /* blocks until the parent unlocks */
    if (dingofs_x_flock(hc, fd, LOCK_EX) != 0) _exit(14);
    if (read(go[0], &c, 1) != 1) _exit(15);
    /* exit while holding the lock, without unlocking or unmounting */
    _exit(0);
  }
  char c;
  REQUIRE(read(done[0], &c, 1) == 1);
  usleep(100000);
  CHECK_EQ_INT(dingofs_x_flock(h, a, LOCK_UN), 0);
  /* wait until the child holds it */
  int b = dingofs_open(h, "/lock", O_RDONLY, 0);
  int held = 0;
  for (int i = 0; i < 200 && !held; i++) {
    int rc = dingofs_x_flock(h, b, LOCK_EX | LOCK_NB);
    if (rc == -EWOULDBLOCK) held = 1;
    else {
      if (rc == 0) dingofs_x_flock(h, b, LOCK_UN);
      usleep(10000);
    }
  }
  CHECK(held);
  c = 'g';
  CHECK(write(go[1], &c, 1) == 1);
  CHECK_EQ_INT(wait_child(pid), 0);
  /* the child's exit released its lock */
  CHECK_EQ_INT(dingofs_x_flock(h, b, LOCK_EX | LOCK_NB), 0);
  dingofs_close(h, a);
  dingofs_close(h, b);
  fs_close(h);
}

TEST(x_fallocate_modes) {
  uintptr_t h = fs_default();
  int fd = dingofs_open(h, "/f", O_RDWR | O_CREAT, 0644);
  REQUIRE(fd >= 3);
  dingofs_statfs_t s0, s1, s2;
  REQUIRE_EQ_INT(dingofs_statfs(h, &s0), 0);
  CHECK_EQ_INT(dingofs_x_fallocate(h, fd, 0, 0, 1 << 20), 0);
  struct stat st;
  CHECK_EQ_INT(dingofs_fstat(h, fd, &st), 0);
  CHECK_EQ_INT(st.st_size, 1 << 20);
  REQUIRE_EQ_INT(dingofs_statfs(h, &s1), 0);
  CHECK(s1.used_bytes - s0.used_bytes >= (1 << 20));
  CHECK_EQ_INT(dingofs_x_fallocate(h, fd, FALLOC_FL_KEEP_SIZE, 1 << 20, 1 << 20), 0);
  CHECK_EQ_INT(dingofs_fstat(h, fd, &st), 0);
  CHECK_EQ_INT(st.st_size, 1 << 20);
  char* data = malloc(1 << 20);
  REQUIRE(data != NULL);
  fill_pattern(data, 1 << 20, 8);
  CHECK_EQ_INT(dingofs_pwrite(h, fd, data, 1 << 20, 0), 1 << 20);
  REQUIRE_EQ_INT(dingofs_statfs(h, &s1), 0);
  CHECK_EQ_INT(dingofs_x_fallocate(h, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                   256 << 10, 512 << 10), 0);
  CHECK_EQ_INT(dingofs_fstat(h, fd, &st), 0);
  CHECK_EQ_INT(st.st_size, 1 << 20);
  char* back = malloc(1 << 20);
  REQUIRE(back != NULL);
  CHECK_EQ_INT(dingofs_pread(h, fd, back, 1 << 20, 0), 1 << 20);
  CHECK(memcmp(back, data, 256 << 10) == 0);
  int zero = 1;
  for (int i = 256 << 10; i < (768 << 10); i++) zero &= back[i] == 0;
  CHECK(zero);
  CHECK(memcmp(back + (768 << 10), data + (768 << 10), 256 << 10) == 0);
  REQUIRE_EQ_INT(dingofs_statfs(h, &s2), 0);
  CHECK(s1.used_bytes - s2.used_bytes >= (256 << 10));
  free(data);
  free(back);
  CHECK_EQ_INT(dingofs_x_fallocate(h, fd, FALLOC_FL_PUNCH_HOLE, 0, 10), -EOPNOTSUPP);
  CHECK_EQ_INT(dingofs_x_fallocate(h, fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4096), -EOPNOTSUPP);
  CHECK_EQ_INT(dingofs_x_fallocate(h, fd, FALLOC_FL_ZERO_RANGE, 0, 4096), -EOPNOTSUPP);
  CHECK_EQ_INT(dingofs_x_fallocate(h, fd, 0, -1, 10), -EINVAL);
  CHECK_EQ_INT(dingofs_x_fallocate(h, fd, 0, 0, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_x_fallocate(h, fd, 0, 0, -5), -EINVAL);
  CHECK_EQ_INT(dingofs_x_fallocate(h, 999, 0, 0, 10), -EBADF);
  int ro = dingofs_open(h, "/f", O_RDONLY, 0);
  CHECK_EQ_INT(dingofs_x_fallocate(h, ro, 0, 0, 10), -EBADF);
  dingofs_close(h, ro);
  CHECK_EQ_INT(dingofs_x_fallocate(h, fd, 0, INT64_MAX - 10, 100), -EFBIG);
  dingofs_close(h, fd);
  fs_close(h);
  /* fallocate respects the capacity limit */
  h = fs_open("small", "capacity=1048576");
  fd = dingofs_open(h, "/f", O_RDWR | O_CREAT, 0644);
  REQUIRE(fd >= 3);
  CHECK_EQ_INT(dingofs_x_fallocate(h, fd, 0, 0, 8 << 20), -ENOSPC);
  dingofs_close(h, fd);
  fs_close(h);
}

TEST(x_lseek_data_and_hole) {
  uintptr_t h = fs_default();
  int fd = dingofs_open(h, "/s", O_RDWR | O_CREAT, 0644);
  REQUIRE(fd >= 3);
  static char chunk[65536];
  fill_pattern(chunk, sizeof chunk, 2);
  const off_t M = 1 << 20;
  CHECK_EQ_INT(dingofs_pwrite(h, fd, chunk, sizeof chunk, 0), (long long)sizeof chunk);
  CHECK_EQ_INT(dingofs_pwrite(h, fd, chunk, sizeof chunk, M), (long long)sizeof chunk);
  CHECK_EQ_INT(dingofs_ftruncate(h, fd, 2 * M), 0);
  CHECK_EQ_INT(dingofs_fsync(h, fd, 0), 0);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 0, SEEK_DATA), 0);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 0, SEEK_HOLE), 65536);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 65536, SEEK_DATA), M);
  CHECK_EQ_INT(dingofs_lseek(h, fd, M + 10, SEEK_DATA), M + 10);
  CHECK_EQ_INT(dingofs_lseek(h, fd, M, SEEK_HOLE), M + 65536);
  CHECK_EQ_INT(dingofs_lseek(h, fd, M + 65536, SEEK_DATA), -ENXIO);
  CHECK_EQ_INT(dingofs_lseek(h, fd, M + 65536, SEEK_HOLE), M + 65536);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 2 * M, SEEK_DATA), -ENXIO);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 2 * M, SEEK_HOLE), -ENXIO);
  CHECK_EQ_INT(dingofs_lseek(h, fd, -1, SEEK_DATA), -ENXIO);
  /* the offset moved to the last answer */
  CHECK_EQ_INT(dingofs_lseek(h, fd, M + 65536, SEEK_HOLE), M + 65536);
  CHECK_EQ_INT(dingofs_lseek(h, fd, 0, SEEK_CUR), M + 65536);
  dingofs_close(h, fd);
  fs_close(h);
}

TEST(x_access_as_root) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "", 0), 0);
  REQUIRE_EQ_INT(dingofs_chmod(h, "/f", 0), 0);
  CHECK_EQ_INT(dingofs_x_access(h, "/f", F_OK), 0);
  CHECK_EQ_INT(dingofs_x_access(h, "/missing", F_OK), -ENOENT);
  if (geteuid() == 0) {
    CHECK_EQ_INT(dingofs_x_access(h, "/f", R_OK | W_OK), 0);
    CHECK_EQ_INT(dingofs_x_access(h, "/f", X_OK), -EACCES); /* no x bit at all */
    REQUIRE_EQ_INT(dingofs_chmod(h, "/f", 0001), 0);
    CHECK_EQ_INT(dingofs_x_access(h, "/f", X_OK), 0);
  }
  CHECK_EQ_INT(dingofs_x_access(h, "/f", 0x40), -EINVAL);
  REQUIRE_EQ_INT(dingofs_symlink(h, "nowhere", "/dang"), 0);
  CHECK_EQ_INT(dingofs_x_access(h, "/dang", F_OK), -ENOENT); /* follows */
  fs_close(h);
}

TEST(x_lchown_fchmod_fchown) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "", 0), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "f", "/l"), 0);
  CHECK_EQ_INT(dingofs_x_lchown(h, "/l", 101, 202), 0);
  struct stat st;
  REQUIRE_EQ_INT(dingofs_lstat(h, "/l", &st), 0);
  CHECK_EQ_INT(st.st_uid, 101);
  CHECK_EQ_INT(st.st_gid, 202);
  REQUIRE_EQ_INT(dingofs_lstat(h, "/f", &st), 0);
  CHECK_EQ_INT(st.st_uid, geteuid());
  CHECK_EQ_INT(dingofs_x_lchown(h, "/f", (uid_t)-1, 303), 0);
  REQUIRE_EQ_INT(dingofs_lstat(h, "/f", &st), 0);
  CHECK_EQ_INT(st.st_uid, geteuid());
  CHECK_EQ_INT(st.st_gid, 303);
  int fd = dingofs_open(h, "/f", O_RDONLY, 0);
  REQUIRE(fd >= 3);
  CHECK_EQ_INT(dingofs_x_fchmod(h, fd, 0751 | S_IFDIR), 0);
  CHECK_EQ_INT(dingofs_x_fchown(h, fd, 7, (gid_t)-1), 0);
  REQUIRE_EQ_INT(dingofs_fstat(h, fd, &st), 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK_EQ_INT(st.st_mode & 07777, 0751);
  CHECK_EQ_INT(st.st_uid, 7);
  CHECK_EQ_INT(st.st_gid, 303);
  CHECK_EQ_INT(dingofs_x_fchmod(h, 999, 0644), -EBADF);
  CHECK_EQ_INT(dingofs_x_fchown(h, 999, 0, 0), -EBADF);
  /* works on an unlinked file too */
  CHECK_EQ_INT(dingofs_unlink(h, "/f"), 0);
  CHECK_EQ_INT(dingofs_x_fchmod(h, fd, 0600), 0);
  REQUIRE_EQ_INT(dingofs_fstat(h, fd, &st), 0);
  CHECK_EQ_INT(st.st_mode & 07777, 0600);
  dingofs_close(h, fd);
  CHECK_EQ_INT(dingofs_x_lchown(h, "/missing", 1, 1), -ENOENT);
  fs_close(h);
}

TEST(x_fsck_report_repair_and_ebusy) {
  char addr[1024];
  fs_addr(addr, sizeof addr, FSNAME, NULL);
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_mkdirs(h, "/a/b", 0755), 0);
  REQUIRE_EQ_INT(put_file(h, "/a/b/f", "content", 7), 0);
  REQUIRE_EQ_INT(dingofs_link(h, "/a/b/f", "/a/g"), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "a/g", "/s"), 0);
  /* read-only check while mounted, with an in-use orphan */
  int fd = dingofs_open(h, "/a/g", O_RDONLY, 0);
  REQUIRE(fd >= 3);
  REQUIRE_EQ_INT(dingofs_unlink(h, "/a/g"), 0);
  REQUIRE_EQ_INT(dingofs_unlink(h, "/a/b/f"), 0);
  char* report = NULL;
  CHECK_EQ_INT(dingofs_x_fsck(addr, 0, &report), 0);
  CHECK(report != NULL);
  dingofs_x_free(report);
  CHECK_EQ_INT(dingofs_x_fsck(addr, 0, NULL), 0);
  CHECK_EQ_INT(dingofs_x_fsck(addr, DINGOFS_X_FSCK_REPAIR, NULL), -EBUSY);
  char buf[8];
  CHECK_EQ_INT(dingofs_pread(h, fd, buf, 8, 0), 7); /* orphan still readable */
  dingofs_close(h, fd);
  fs_close(h);
  report = NULL;
  CHECK_EQ_INT(dingofs_x_fsck(addr, DINGOFS_X_FSCK_REPAIR, &report), 0);
  dingofs_x_free(report);
  /* mounted in another process: repair refused, check allowed */
  mounted_child_t child;
  REQUIRE_EQ_INT(mounted_child_start(&child, FSNAME), 0);
  CHECK_EQ_INT(dingofs_x_fsck(addr, DINGOFS_X_FSCK_REPAIR, NULL), -EBUSY);
  CHECK_EQ_INT(dingofs_x_fsck(addr, 0, NULL), 0);
  CHECK_EQ_INT(mounted_child_end(&child), 0);
  CHECK_EQ_INT(dingofs_x_fsck(addr, DINGOFS_X_FSCK_REPAIR, NULL), 0);
  /* errors */
  char missing[1024];
  fs_addr(missing, sizeof missing, "nosuchfs", NULL);
  CHECK_EQ_INT(dingofs_x_fsck(missing, 0, NULL), -ENOENT);
  CHECK_EQ_INT(dingofs_x_fsck("127.0.0.1:6700", 0, NULL), -EPROTONOSUPPORT);
  CHECK_EQ_INT(dingofs_x_fsck("", 0, NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_x_fsck(addr, 0x10, NULL), -EINVAL);
  /* the filesystem is intact after all this */
  h = fs_default();
  char target[16];
  CHECK_EQ_INT(dingofs_readlink(h, "/s", target, sizeof target), 3);
  CHECK(path_exists(h, "/a/b"));
  fs_close(h);
}

/* Damage the metadata behind the engine's back: the checker must see it and
 * the repair must fix it. Uses the engine's SQLite store meta/<NAME>/meta.db. */
static int sql_exec(const char* db, const char* sql) {
  sqlite3* s = NULL;
  if (sqlite3_open_v2(db, &s, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
    sqlite3_close(s);
    return -1;
  }
  sqlite3_busy_timeout(s, 5000);
  char* err = NULL;
  int rc = sqlite3_exec(s, sql, NULL, NULL, &err);
  if (rc != SQLITE_OK) fprintf(stderr, "  sql '%s': %s\n", sql, err ? err : "?");
  sqlite3_free(err);
  int changes = sqlite3_changes(s);
  sqlite3_close(s);
  return rc == SQLITE_OK ? changes : -1;
}

/* Writes a stray host data file for inode number ino into path. */
static void plant_data_file(char* path, size_t n, long long ino) {
  snprintf(path, n, "%s/data/%s/%02llx", tt_base, FSNAME, ino & 0xff);
  mkdir(path, 0700);
  snprintf(path + strlen(path), n - strlen(path), "/%lld", ino);
  FILE* f = fopen(path, "w");
  REQUIRE(f != NULL);
  fputs("stray data", f);
  fclose(f);
}

static int report_mentions(const char* report, const char* what) {
  return report != NULL && strstr(report, what) != NULL;
}

TEST(x_fsck_finds_and_repairs_damage) {
  char addr[1024];
  fs_addr(addr, sizeof addr, FSNAME, NULL);
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/victim", "v", 1), 0);
  REQUIRE_EQ_INT(put_file(h, "/gone", "g", 1), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/dir", 0755), 0);
  struct stat st;
  REQUIRE_EQ_INT(dingofs_stat(h, "/victim", &st), 0);
  long long ino = (long long)st.st_ino;
  REQUIRE_EQ_INT(dingofs_stat(h, "/gone", &st), 0);
  long long gone_ino = (long long)st.st_ino;
  REQUIRE_EQ_INT(dingofs_unlink(h, "/gone"), 0);
  fs_close(h);
  REQUIRE_EQ_INT(dingofs_x_fsck(addr, 0, NULL), 0);
  char db[800], sql[256];
  snprintf(db, sizeof db, "%s/meta/%s/meta.db", tt_base, FSNAME);
  /* a wrong link count */
  snprintf(sql, sizeof sql, "UPDATE inodes SET nlink = nlink + 5 WHERE ino = %lld", ino);
  REQUIRE_EQ_INT(sql_exec(db, sql), 1);
  /* an entry pointing at no inode */
  REQUIRE_EQ_INT(sql_exec(db, "INSERT INTO dentries(parent, name, ino) "
                              "VALUES(1, CAST('ghost' AS BLOB), 987654)"), 1);
  /* data of a never-issued inode number, and data of a removed inode (what a
   * removal killed between its commit and the unlink of the file leaves) */
  char stray[900], leftover[900];
  plant_data_file(stray, sizeof stray, 987655);
  plant_data_file(leftover, sizeof leftover, gone_ino);

  /* offline (nobody has it mounted): all four are problems */
  char* report = NULL;
  int found = dingofs_x_fsck(addr, 0, &report);
  CHECK_EQ_INT(found, 4);
  REQUIRE(report != NULL);
  int lines = 0;
  for (const char* p = report; *p; p++) lines += *p == '\n';
  CHECK(lines >= 4);
  CHECK(report_mentions(report, stray));
  CHECK(report_mentions(report, leftover));
  if (found != 4) fprintf(stderr, "  offline report:\n%s\n", report);
  dingofs_x_free(report);
  /* a read-only check changed nothing */
  CHECK_EQ_INT(dingofs_x_fsck(addr, 0, NULL), found);

  /* online (mounted here; the filesystem was shut down cleanly, so mounting
   * sweeps nothing): the removed inode's data file is only noted, as an
   * unlink in progress elsewhere shows one for a moment */
  h = fs_default();
  report = NULL;
  int online = dingofs_x_fsck(addr, 0, &report);
  CHECK_EQ_INT(online, found - 1);
  CHECK(report_mentions(report, leftover));
  CHECK(report_mentions(report, stray));
  if (online != found - 1) fprintf(stderr, "  online report:\n%s\n", report ? report : "");
  dingofs_x_free(report);
  CHECK_EQ_INT(dingofs_x_fsck(addr, DINGOFS_X_FSCK_REPAIR, NULL), -EBUSY);
  fs_close(h);

  CHECK_EQ_INT(dingofs_x_fsck(addr, DINGOFS_X_FSCK_REPAIR, NULL), found);
  CHECK_EQ_INT(dingofs_x_fsck(addr, 0, NULL), 0);
  h = fs_default();
  REQUIRE_EQ_INT(dingofs_stat(h, "/victim", &st), 0);
  CHECK_EQ_INT(st.st_nlink, 1);
  CHECK_EQ_INT(dingofs_stat(h, "/ghost", &st), -ENOENT);
  char names[8][256];
  CHECK_EQ_INT(list_names(h, "/", names, 8), 2);
  CHECK(file_equals(h, "/victim", "v", 1));
  fs_close(h);
  struct stat hs;
  CHECK(stat(stray, &hs) != 0);
  CHECK(stat(leftover, &hs) != 0);
}

/* After a crash, the recovery at the next mount frees every data file left
 * without an inode, so an offline check after crash + remount finds none. */
static void write_then_die(void* arg) {
  (void)arg;
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/keep", "k", 1), 0);
  _exit(0); /* no umount: an unclean shutdown */
}

TEST(x_fsck_offline_after_crash_and_remount_finds_no_leftovers) {
  char addr[1024];
  fs_addr(addr, sizeof addr, FSNAME, NULL);
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/gone", "g", 1), 0);
  struct stat st;
  REQUIRE_EQ_INT(dingofs_stat(h, "/gone", &st), 0);
  long long gone_ino = (long long)st.st_ino;
  REQUIRE_EQ_INT(dingofs_unlink(h, "/gone"), 0);
  fs_close(h);
  /* the state a removal killed after its commit leaves, then a crash */
  char leftover[900];
  plant_data_file(leftover, sizeof leftover, gone_ino);
  CHECK_EQ_INT(run_in_child(write_then_die, NULL), 0);
  CHECK_EQ_INT(dingofs_x_fsck(addr, 0, NULL), 1); /* offline, before recovery */
  h = fs_default();                               /* recovery */
  fs_close(h);
  struct stat hs;
  CHECK(stat(leftover, &hs) != 0);
  CHECK_EQ_INT(dingofs_x_fsck(addr, 0, NULL), 0);
}

/* A process dies while another one still has the filesystem mounted: the last
 * umount does the recovery itself, so nothing it left survives the clean
 * shutdown (an offline check afterwards finds nothing). */
TEST(x_fsck_offline_after_crash_while_others_mounted_finds_no_leftovers) {
  char addr[1024];
  fs_addr(addr, sizeof addr, FSNAME, NULL);
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/gone", "g", 1), 0);
  struct stat st;
  REQUIRE_EQ_INT(dingofs_stat(h, "/gone", &st), 0);
  long long gone_ino = (long long)st.st_ino;
  REQUIRE_EQ_INT(dingofs_unlink(h, "/gone"), 0);
  CHECK_EQ_INT(run_in_child(write_then_die, NULL), 0); /* mounts beside h, dies */
  char leftover[900];
  plant_data_file(leftover, sizeof leftover, gone_ino);
  CHECK_EQ_INT(dingofs_x_fsck(addr, 0, NULL), 0); /* online: only noted */
  fs_close(h);                                    /* last one out */
  struct stat hs;
  CHECK(stat(leftover, &hs) != 0);
  CHECK_EQ_INT(dingofs_x_fsck(addr, 0, NULL), 0);
  h = fs_default();
  CHECK(file_equals(h, "/keep", "k", 1));
  fs_close(h);
}

/* ---- attributes from the change's own transaction, errors that explain ---- */

TEST(ext_setattr_is_one_transaction) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "0123456789", 10), 0);
  struct timespec ts[2] = {{100, 5}, {200, 7}};
  struct stat st;
  uint32_t fl = 99;
  unsigned mask = DINGOFS_X_SET_MODE | DINGOFS_X_SET_SIZE | DINGOFS_X_SET_ATIME |
                  DINGOFS_X_SET_MTIME | DINGOFS_X_SET_UID | DINGOFS_X_SET_GID;
  CHECK_EQ_INT(dingofs_x_setattr(h, "/f", 0, mask, 0640, 123, 456, 4, ts, &st, &fl), 0);
  CHECK_EQ_INT(st.st_mode & 07777, 0640);
  CHECK_EQ_INT(st.st_size, 4);
  CHECK_EQ_INT(st.st_uid, 123);
  CHECK_EQ_INT(st.st_gid, 456);
  CHECK_EQ_INT(st.st_atim.tv_sec, 100);
  CHECK_EQ_INT(st.st_mtim.tv_nsec, 7);
  CHECK_EQ_INT(fl, 0);
  struct stat again;
  REQUIRE_EQ_INT(dingofs_stat(h, "/f", &again), 0);
  CHECK_EQ_INT(again.st_mode, st.st_mode);
  CHECK_EQ_INT(again.st_size, 4);
  /* A failing part (a bad time) leaves every other field as it was. */
  struct timespec bad[2] = {{1, 2000000000L}, {1, 0}};
  CHECK_EQ_INT(dingofs_x_setattr(h, "/f", 0, DINGOFS_X_SET_MODE | DINGOFS_X_SET_SIZE |
                                 DINGOFS_X_SET_ATIME, 0600, 0, 0, 1, bad, NULL, NULL),
               -EINVAL);
  REQUIRE_EQ_INT(dingofs_stat(h, "/f", &again), 0);
  CHECK_EQ_INT(again.st_mode & 07777, 0640);
  CHECK_EQ_INT(again.st_size, 4);
  /* Bad arguments. */
  CHECK_EQ_INT(dingofs_x_setattr(h, "/f", 0, 0x1000, 0, 0, 0, 0, NULL, NULL, NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_x_setattr(h, "/f", 0, DINGOFS_X_SET_MTIME, 0, 0, 0, 0, NULL, NULL, NULL),
               -EINVAL);
  CHECK_EQ_INT(dingofs_x_setattr(h, "/f", DINGOFS_X_NOFOLLOW, DINGOFS_X_SET_SIZE, 0, 0, 0, 0,
                                 NULL, NULL, NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_symlink(h, "/f", "/l"), 0);
  CHECK_EQ_INT(dingofs_x_setattr(h, "/l", DINGOFS_X_NOFOLLOW, DINGOFS_X_SET_MODE, 0600, 0, 0, 0,
                                 NULL, NULL, NULL), -EOPNOTSUPP);
  CHECK_EQ_INT(dingofs_x_setattr(h, "/missing", 0, DINGOFS_X_SET_MODE, 0600, 0, 0, 0, NULL,
                                 NULL, NULL), -ENOENT);
  fs_close(h);
}

static void unprivileged_chmod_dot(uintptr_t h, void* arg) {
  (void)arg;
  /* The change removes the search permission it would need to stat again. */
  CHECK_EQ_INT(dingofs_mkdir(h, "/a", 0644), 0);
  CHECK_EQ_INT(dingofs_chmod(h, "/a", 0755), 0);
  CHECK_EQ_INT(dingofs_chmod(h, "/a/.", 0644), 0);
  struct stat st;
  uint32_t fl;
  CHECK_EQ_INT(dingofs_x_last_attr(h, &st, &fl), 0);
  CHECK_EQ_INT(st.st_mode, S_IFDIR | 0644);
  CHECK_EQ_INT(dingofs_stat(h, "/a/.", &st), -EACCES);
}

TEST(ext_last_attr_comes_from_the_change) {
  uintptr_t h = fs_default();
  struct stat st;
  CHECK_EQ_INT(dingofs_x_last_attr(h, &st, NULL), -ENODATA);
  CHECK_EQ_INT(dingofs_mkdir(h, "/d", 0750), 0);
  CHECK_EQ_INT(dingofs_x_last_attr(h, &st, NULL), 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK_EQ_INT(st.st_mode & 07777, 0750);
  ino_t dir = st.st_ino;
  CHECK_EQ_INT(put_file(h, "/d/f", "abc", 3), 0);
  CHECK_EQ_INT(dingofs_link(h, "/d/f", "/g"), 0);
  CHECK_EQ_INT(dingofs_x_last_attr(h, &st, NULL), 0);
  CHECK_EQ_INT(st.st_nlink, 2);
  CHECK_EQ_INT(st.st_size, 3);
  CHECK(st.st_ino != dir);
  CHECK_EQ_INT(dingofs_symlink(h, "/d/f", "/s"), 0);
  CHECK_EQ_INT(dingofs_x_last_attr(h, &st, NULL), 0);
  CHECK(S_ISLNK(st.st_mode));
  CHECK_EQ_INT(st.st_size, 4);
  CHECK_EQ_INT(dingofs_chown(h, "/g", 7, 8), 0);
  CHECK_EQ_INT(dingofs_x_last_attr(h, &st, NULL), 0);
  CHECK_EQ_INT(st.st_uid, 7);
  CHECK_EQ_INT(dingofs_truncate(h, "/g", 1), 0);
  CHECK_EQ_INT(dingofs_x_last_attr(h, &st, NULL), 0);
  CHECK_EQ_INT(st.st_size, 1);
  /* Another handle's record is its own. */
  uintptr_t h2 = fs_default();
  CHECK_EQ_INT(dingofs_x_last_attr(h2, &st, NULL), -ENODATA);
  fs_close(h2);
  fs_close(h);
  if (geteuid() == 0) {
    h = fs_default();
    CHECK_EQ_INT(dingofs_chmod(h, "/", 0777), 0);
    fs_close(h);
    CHECK_EQ_INT(run_as_user(65534, 65534, NULL, 0, unprivileged_chmod_dot, NULL), 0);
  }
}

TEST(ext_last_error_explains_a_failed_mount) {
  char buf[512];
  uintptr_t h = dingofs_new();
  char addr[1024];
  fs_addr(addr, sizeof addr, FSNAME, "bogus=1");
  CHECK_EQ_INT(dingofs_mount_nolog(h, addr, FSNAME, "/m"), -EINVAL);
  CHECK(dingofs_x_last_error(buf, sizeof buf) > 0);
  CHECK(strstr(buf, "unknown parameter bogus") != NULL);
  CHECK(strstr(buf, "known: base, path") != NULL); /* and what is valid */
  fs_addr(addr, sizeof addr, FSNAME, NULL);
  CHECK_EQ_INT(dingofs_mount_nolog(h, addr, "other", "/m"), -EINVAL);
  CHECK(strstr(buf, "bogus") != NULL); /* buf untouched until asked again */
  dingofs_x_last_error(buf, sizeof buf);
  CHECK(strstr(buf, "does not match") != NULL);
  CHECK_EQ_INT(dingofs_mount_nolog(h, "10.0.0.1:6700", "x", "/m"), -EPROTONOSUPPORT);
  dingofs_x_last_error(buf, sizeof buf);
  CHECK(strstr(buf, "embedded engine") != NULL);
  /* Truncation: the whole length is returned. */
  char tiny[8];
  size_t n = dingofs_x_last_error(tiny, sizeof tiny);
  CHECK(n > 7);
  CHECK_EQ_INT((int)strlen(tiny), 7);
  CHECK_EQ_INT(dingofs_x_last_error(NULL, 0), n);
  CHECK_EQ_INT(dingofs_mount_nolog(h, addr, FSNAME, "/m"), 0);
  CHECK_EQ_INT(dingofs_x_last_error(buf, sizeof buf), 0);
  dingofs_umount(h);
  dingofs_delete(h);
}

TEST(ext_unsafe_fs_parameter_is_parsed) {
  uintptr_t h = fs_open(FSNAME, "unsafe_fs=1");
  CHECK_EQ_INT(put_file(h, "/x", "1", 1), 0);
  fs_close(h);
  uintptr_t b = dingofs_new();
  char addr[1024];
  fs_addr(addr, sizeof addr, FSNAME, "unsafe_fs=2");
  CHECK_EQ_INT(dingofs_mount_nolog(b, addr, FSNAME, "/m"), -EINVAL);
  dingofs_delete(b);
}

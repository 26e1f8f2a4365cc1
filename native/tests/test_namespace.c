/* Namespace: mkdir/rmdir/mkdirs, rename, hard links, symlinks, readdir. */
#include "helpers.h"

static long long ino_of(uintptr_t h, const char* p) {
  struct stat st;
  int rc = dingofs_lstat(h, p, &st);
  return rc < 0 ? rc : (long long)st.st_ino;
}

static long long nlink_of(uintptr_t h, const char* p) {
  struct stat st;
  int rc = dingofs_lstat(h, p, &st);
  return rc < 0 ? rc : (long long)st.st_nlink;
}

TEST(mkdir_rmdir_rules) {
  uintptr_t h = fs_default();
  CHECK_EQ_INT(dingofs_mkdir(h, "/d", 07777), 0);
  struct stat st;
  REQUIRE_EQ_INT(dingofs_stat(h, "/d", &st), 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK_EQ_INT(st.st_mode & 07777, 01777);
  CHECK_EQ_INT(st.st_nlink, 2);
  CHECK_EQ_INT(st.st_uid, geteuid());
  CHECK_EQ_INT(dingofs_mkdir(h, "/d", 0755), -EEXIST);
  REQUIRE_EQ_INT(put_file(h, "/f", "", 0), 0);
  CHECK_EQ_INT(dingofs_mkdir(h, "/f", 0755), -EEXIST);
  CHECK_EQ_INT(dingofs_mkdir(h, "/nope/d", 0755), -ENOENT);
  CHECK_EQ_INT(dingofs_mkdir(h, "/f/d", 0755), -ENOTDIR);
  CHECK_EQ_INT(dingofs_mkdir(h, "/", 0755), -EEXIST);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d/sub", 0700), 0);
  CHECK_EQ_INT(dingofs_rmdir(h, "/d"), -ENOTEMPTY);
  CHECK_EQ_INT(dingofs_rmdir(h, "/f"), -ENOTDIR);
  CHECK_EQ_INT(dingofs_rmdir(h, "/missing"), -ENOENT);
  CHECK_EQ_INT(dingofs_rmdir(h, "/d/sub/."), -EINVAL);
  CHECK_EQ_INT(dingofs_rmdir(h, "/"), -EBUSY);
  REQUIRE_EQ_INT(dingofs_symlink(h, "d/sub", "/lsub"), 0);
  CHECK_EQ_INT(dingofs_rmdir(h, "/lsub"), -ENOTDIR); /* not followed */
  CHECK_EQ_INT(dingofs_rmdir(h, "/d/sub"), 0);
  CHECK_EQ_INT(dingofs_rmdir(h, "/d"), 0);
  CHECK(!path_exists(h, "/d"));
  fs_close(h);
}

TEST(mkdirs_rules) {
  uintptr_t h = fs_default();
  CHECK_EQ_INT(dingofs_mkdirs(h, "/a/b/c/d", 0750), 0);
  struct stat st;
  REQUIRE_EQ_INT(dingofs_stat(h, "/a/b/c/d", &st), 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK_EQ_INT(st.st_mode & 0777, 0750);
  REQUIRE_EQ_INT(dingofs_stat(h, "/a/b", &st), 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK_EQ_INT(dingofs_mkdirs(h, "/a/b/c/d", 0750), 0);
  CHECK_EQ_INT(dingofs_mkdirs(h, "/a/b", 0750), 0);
  CHECK_EQ_INT(dingofs_mkdirs(h, "/", 0750), 0);
  REQUIRE_EQ_INT(put_file(h, "/a/file", "", 0), 0);
  CHECK_EQ_INT(dingofs_mkdirs(h, "/a/file/x/y", 0755), -ENOTDIR);
  CHECK_EQ_INT(dingofs_mkdirs(h, "/a/file", 0755), -EEXIST);
  REQUIRE_EQ_INT(dingofs_symlink(h, "b", "/a/lb"), 0);
  CHECK_EQ_INT(dingofs_mkdirs(h, "/a/lb/new", 0755), 0); /* through a symlink */
  CHECK(path_exists(h, "/a/b/new"));
  CHECK_EQ_INT(dingofs_mkdirs(h, "/a/lb", 0755), 0);
  fs_close(h);
}

TEST(rename_basic_and_replace_file) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/a", "AAA", 3), 0);
  REQUIRE_EQ_INT(put_file(h, "/b", "BB", 2), 0);
  long long ia = ino_of(h, "/a");
  dingofs_statfs_t sf0, sf1;
  REQUIRE_EQ_INT(dingofs_statfs(h, &sf0), 0);
  CHECK_EQ_INT(dingofs_rename(h, "/a", "/b"), 0);
  CHECK(!path_exists(h, "/a"));
  CHECK_EQ_INT(ino_of(h, "/b"), ia);
  CHECK(file_equals(h, "/b", "AAA", 3));
  REQUIRE_EQ_INT(dingofs_statfs(h, &sf1), 0);
  CHECK_EQ_INT(sf1.used_inodes, sf0.used_inodes - 1);
  REQUIRE_EQ_INT(dingofs_mkdirs(h, "/x/y", 0755), 0);
  CHECK_EQ_INT(dingofs_rename(h, "/b", "/x/y/moved"), 0);
  CHECK(file_equals(h, "/x/y/moved", "AAA", 3));
  CHECK_EQ_INT(dingofs_rename(h, "/missing", "/z"), -ENOENT);
  CHECK_EQ_INT(dingofs_rename(h, "/x/y/moved", "/nodir/z"), -ENOENT);
  fs_close(h);
}

TEST(rename_directory_rules) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_mkdirs(h, "/d1/inner", 0755), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/empty", 0755), 0);
  REQUIRE_EQ_INT(dingofs_mkdirs(h, "/full/x", 0755), 0);
  REQUIRE_EQ_INT(put_file(h, "/file", "f", 1), 0);
  CHECK_EQ_INT(dingofs_rename(h, "/d1", "/full"), -ENOTEMPTY);
  CHECK_EQ_INT(dingofs_rename(h, "/d1", "/file"), -ENOTDIR);
  CHECK_EQ_INT(dingofs_rename(h, "/file", "/empty"), -EISDIR);
  CHECK_EQ_INT(dingofs_rename(h, "/d1", "/d1/inner/sub"), -EINVAL);
  CHECK_EQ_INT(dingofs_rename(h, "/d1", "/d1/new"), -EINVAL);
  long long id1 = ino_of(h, "/d1");
  CHECK_EQ_INT(dingofs_rename(h, "/d1", "/empty"), 0);
  CHECK_EQ_INT(ino_of(h, "/empty"), id1);
  CHECK(path_exists(h, "/empty/inner"));
  CHECK(!path_exists(h, "/d1"));
  /* moving a directory updates both parents' link counts and its ".." */
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/p1", 0755), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/p2", 0755), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/p1/c", 0755), 0);
  CHECK_EQ_INT(nlink_of(h, "/p1"), 3);
  CHECK_EQ_INT(nlink_of(h, "/p2"), 2);
  CHECK_EQ_INT(dingofs_rename(h, "/p1/c", "/p2/c"), 0);
  CHECK_EQ_INT(nlink_of(h, "/p1"), 2);
  CHECK_EQ_INT(nlink_of(h, "/p2"), 3);
  struct stat st;
  CHECK_EQ_INT(dingofs_stat(h, "/p2/c/..", &st), 0);
  CHECK_EQ_INT(st.st_ino, ino_of(h, "/p2"));
  fs_close(h);
}

TEST(rename_onto_itself_or_hard_link_is_noop) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/a", "x", 1), 0);
  REQUIRE_EQ_INT(dingofs_link(h, "/a", "/b"), 0);
  CHECK_EQ_INT(dingofs_rename(h, "/a", "/a"), 0);
  CHECK_EQ_INT(dingofs_rename(h, "/a", "/b"), 0);
  CHECK(path_exists(h, "/a"));
  CHECK(path_exists(h, "/b"));
  CHECK_EQ_INT(nlink_of(h, "/a"), 2);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  CHECK_EQ_INT(dingofs_rename(h, "/d", "/d"), 0);
  CHECK(path_exists(h, "/d"));
  fs_close(h);
}

TEST(rename_symlink_moves_link_not_target_and_open_fd_survives) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/t", "target", 6), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "t", "/l"), 0);
  CHECK_EQ_INT(dingofs_rename(h, "/l", "/l2"), 0);
  struct stat st;
  CHECK_EQ_INT(dingofs_lstat(h, "/l2", &st), 0);
  CHECK(S_ISLNK(st.st_mode));
  CHECK(path_exists(h, "/t"));
  int fd = dingofs_open(h, "/t", O_RDWR, 0);
  REQUIRE(fd >= 3);
  CHECK_EQ_INT(dingofs_rename(h, "/t", "/t2"), 0);
  CHECK_EQ_INT(dingofs_pwrite(h, fd, "T", 1, 0), 1);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  CHECK(file_equals(h, "/t2", "Target", 6));
  fs_close(h);
}

TEST(hard_links_and_nlink) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "data", 4), 0);
  CHECK_EQ_INT(dingofs_link(h, "/f", "/g"), 0);
  CHECK_EQ_INT(ino_of(h, "/f"), ino_of(h, "/g"));
  CHECK_EQ_INT(nlink_of(h, "/f"), 2);
  CHECK_EQ_INT(dingofs_link(h, "/f", "/g"), -EEXIST);
  CHECK_EQ_INT(dingofs_link(h, "/missing", "/h"), -ENOENT);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  CHECK_EQ_INT(dingofs_link(h, "/d", "/d2"), -EPERM);
  CHECK_EQ_INT(dingofs_unlink(h, "/d"), -EISDIR);
  CHECK_EQ_INT(dingofs_link(h, "/f", "/d/h"), 0);
  CHECK_EQ_INT(nlink_of(h, "/f"), 3);
  CHECK_EQ_INT(dingofs_unlink(h, "/f"), 0);
  CHECK_EQ_INT(nlink_of(h, "/g"), 2);
  CHECK(file_equals(h, "/d/h", "data", 4));
  /* writes through one name are seen through the other */
  int fd = dingofs_open(h, "/g", O_WRONLY, 0);
  REQUIRE(fd >= 3);
  CHECK_EQ_INT(dingofs_pwrite(h, fd, "D", 1, 0), 1);
  dingofs_close(h, fd);
  CHECK(file_equals(h, "/d/h", "Data", 4));
  /* link does not follow a symlink source */
  REQUIRE_EQ_INT(dingofs_symlink(h, "g", "/sl"), 0);
  CHECK_EQ_INT(dingofs_link(h, "/sl", "/sl2"), 0);
  struct stat st;
  CHECK_EQ_INT(dingofs_lstat(h, "/sl2", &st), 0);
  CHECK(S_ISLNK(st.st_mode));
  CHECK_EQ_INT(st.st_nlink, 2);
  CHECK_EQ_INT(nlink_of(h, "/g"), 2);
  fs_close(h);
  /* link counts persist */
  h = fs_default();
  CHECK_EQ_INT(nlink_of(h, "/g"), 2);
  CHECK_EQ_INT(nlink_of(h, "/sl"), 2);
  fs_close(h);
}

TEST(directory_nlink_is_two_plus_subdirs) {
  uintptr_t h = fs_default();
  CHECK_EQ_INT(nlink_of(h, "/"), 2);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/a", 0755), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/b", 0755), 0);
  REQUIRE_EQ_INT(put_file(h, "/file", "", 0), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "a", "/sl"), 0);
  CHECK_EQ_INT(nlink_of(h, "/"), 4);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/a/x", 0755), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/a/y", 0755), 0);
  CHECK_EQ_INT(nlink_of(h, "/a"), 4);
  CHECK_EQ_INT(dingofs_rmdir(h, "/a/x"), 0);
  CHECK_EQ_INT(nlink_of(h, "/a"), 3);
  CHECK_EQ_INT(dingofs_rename(h, "/a/y", "/b/y"), 0);
  CHECK_EQ_INT(nlink_of(h, "/a"), 2);
  CHECK_EQ_INT(nlink_of(h, "/b"), 3);
  CHECK_EQ_INT(dingofs_rmdir(h, "/a"), 0);
  CHECK_EQ_INT(nlink_of(h, "/"), 3);
  fs_close(h);
}

TEST(symlink_rules) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "file", 4), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  CHECK_EQ_INT(dingofs_symlink(h, "f", "/l"), 0);
  CHECK_EQ_INT(dingofs_symlink(h, "other", "/l"), -EEXIST);
  CHECK_EQ_INT(dingofs_symlink(h, "x", "/f"), -EEXIST);
  CHECK_EQ_INT(dingofs_symlink(h, "x", "/missing/l"), -ENOENT);
  struct stat st, st2;
  CHECK_EQ_INT(dingofs_lstat(h, "/l", &st), 0);
  CHECK(S_ISLNK(st.st_mode));
  CHECK_EQ_INT(st.st_size, 1);
  CHECK_EQ_INT(dingofs_stat(h, "/l", &st2), 0);
  CHECK(S_ISREG(st2.st_mode));
  CHECK_EQ_INT(st2.st_ino, ino_of(h, "/f"));
  /* chmod follows */
  CHECK_EQ_INT(dingofs_chmod(h, "/l", 0600), 0);
  CHECK_EQ_INT(dingofs_stat(h, "/f", &st2), 0);
  CHECK_EQ_INT(st2.st_mode & 07777, 0600);
  /* readlink details */
  char buf[8];
  CHECK_EQ_INT(dingofs_readlink(h, "/f", buf, sizeof buf), -EINVAL);
  CHECK_EQ_INT(dingofs_readlink(h, "/d", buf, sizeof buf), -EINVAL);
  CHECK_EQ_INT(dingofs_readlink(h, "/l", buf, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_readlink(h, "/missing", buf, sizeof buf), -ENOENT);
  REQUIRE_EQ_INT(dingofs_symlink(h, "0123456789", "/long"), 0);
  memset(buf, '#', sizeof buf);
  CHECK_EQ_INT(dingofs_readlink(h, "/long", buf, 4), 4);
  CHECK(memcmp(buf, "0123#", 5) == 0);
  char big[32];
  memset(big, '#', sizeof big);
  CHECK_EQ_INT(dingofs_readlink(h, "/long", big, sizeof big), 10);
  CHECK(big[10] == '#'); /* not NUL-terminated */
  /* unlink removes the link, not the target */
  CHECK_EQ_INT(dingofs_unlink(h, "/l"), 0);
  CHECK(path_exists(h, "/f"));
  /* a symlink to a directory is removed by unlink */
  REQUIRE_EQ_INT(dingofs_symlink(h, "d", "/ld"), 0);
  CHECK_EQ_INT(dingofs_unlink(h, "/ld"), 0);
  CHECK(path_exists(h, "/d"));
  /* empty target is rejected like Linux */
  CHECK_EQ_INT(dingofs_symlink(h, "", "/empty"), -ENOENT);
  /* a dangling symlink: lstat works, stat fails */
  REQUIRE_EQ_INT(dingofs_symlink(h, "nowhere", "/dang"), 0);
  CHECK_EQ_INT(dingofs_lstat(h, "/dang", &st), 0);
  CHECK_EQ_INT(dingofs_stat(h, "/dang", &st), -ENOENT);
  fs_close(h);
}

static int dt_of(dingofs_dirent_t* e, int n, const char* name) {
  for (int i = 0; i < n; i++)
    if (!strcmp(e[i].d_name, name)) return e[i].d_type;
  return -1;
}

TEST(readdir_dots_first_types_and_end) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  REQUIRE_EQ_INT(put_file(h, "/d/reg", "", 0), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d/dir", 0755), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "reg", "/d/lnk"), 0);
  REQUIRE_EQ_INT(dingofs_x_mknod(h, "/d/fifo", S_IFIFO | 0644, 0), 0);
  REQUIRE_EQ_INT(dingofs_x_mknod(h, "/d/sock", S_IFSOCK | 0644, 0), 0);
  uint64_t dh = 0;
  REQUIRE_EQ_INT(dingofs_opendir(h, "/d", &dh), 0);
  CHECK(dh >= 1);
  dingofs_dirent_t e[32];
  CHECK_EQ_INT(dingofs_readdir(h, dh, e, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_readdir(h, dh, e, -3), -EINVAL);
  int n = 0;
  for (;;) {
    int got = dingofs_readdir(h, dh, e + n, 1); /* one at a time */
    REQUIRE(got >= 0);
    if (got == 0) break;
    CHECK_EQ_INT(got, 1);
    n += got;
    REQUIRE(n < 32);
  }
  CHECK_EQ_INT(dingofs_readdir(h, dh, e + n, 4), 0); /* stays at the end */
  REQUIRE_EQ_INT(n, 7);
  CHECK(strcmp(e[0].d_name, ".") == 0);
  CHECK(strcmp(e[1].d_name, "..") == 0);
  CHECK_EQ_INT(e[0].d_ino, ino_of(h, "/d"));
  CHECK_EQ_INT(e[1].d_ino, 1);
  CHECK_EQ_INT(e[0].d_type, DT_DIR);
  CHECK_EQ_INT(dt_of(e, n, "reg"), DT_REG);
  CHECK_EQ_INT(dt_of(e, n, "dir"), DT_DIR);
  CHECK_EQ_INT(dt_of(e, n, "lnk"), DT_LNK);
  CHECK_EQ_INT(dt_of(e, n, "fifo"), DT_FIFO);
  CHECK_EQ_INT(dt_of(e, n, "sock"), DT_SOCK);
  for (int i = 2; i < n; i++) {
    char p[300];
    snprintf(p, sizeof p, "/d/%s", e[i].d_name);
    CHECK_EQ_INT(e[i].d_ino, ino_of(h, p));
    CHECK(memchr(e[i].d_name, 0, sizeof e[i].d_name) != NULL);
  }
  CHECK_EQ_INT(dingofs_closedir(h, dh), 0);
  CHECK_EQ_INT(dingofs_closedir(h, dh), -EBADF);
  CHECK_EQ_INT(dingofs_readdir(h, dh, e, 1), -EBADF);
  /* root: ".." is the root itself */
  REQUIRE_EQ_INT(dingofs_opendir(h, "/", &dh), 0);
  CHECK_EQ_INT(dingofs_readdir(h, dh, e, 32), 3);
  CHECK_EQ_INT(e[1].d_ino, 1);
  dingofs_closedir(h, dh);
  CHECK_EQ_INT(dingofs_opendir(h, "/d/reg", &dh), -ENOTDIR);
  CHECK_EQ_INT(dingofs_opendir(h, "/nope", &dh), -ENOENT);
  /* opendir follows a symlink to a directory */
  REQUIRE_EQ_INT(dingofs_symlink(h, "d", "/ld"), 0);
  REQUIRE_EQ_INT(dingofs_opendir(h, "/ld", &dh), 0);
  CHECK_EQ_INT(dingofs_readdir(h, dh, e, 32), 7);
  dingofs_closedir(h, dh);
  fs_close(h);
}

TEST(readdir_deleting_returned_entries_skips_nothing) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  const int N = 600;
  char p[64];
  for (int i = 0; i < N; i++) {
    snprintf(p, sizeof p, "/d/entry_%04d", i);
    REQUIRE_EQ_INT(put_file(h, p, "", 0), 0);
  }
  static unsigned char seen[600];
  memset(seen, 0, sizeof seen);
  uint64_t dh;
  REQUIRE_EQ_INT(dingofs_opendir(h, "/d", &dh), 0);
  dingofs_dirent_t e[7];
  int total = 0, dup = 0, extra = 0, added = 0;
  for (;;) {
    int got = dingofs_readdir(h, dh, e, 7);
    REQUIRE(got >= 0);
    if (got == 0) break;
    for (int i = 0; i < got; i++) {
      if (!strcmp(e[i].d_name, ".") || !strcmp(e[i].d_name, "..")) continue;
      int k = -1;
      if (sscanf(e[i].d_name, "entry_%d", &k) == 1 && k >= 0 && k < N) {
        if (seen[k]) dup++;
        seen[k] = 1;
        total++;
        snprintf(p, sizeof p, "/d/%s", e[i].d_name);
        CHECK_EQ_INT(dingofs_unlink(h, p), 0); /* delete what was returned */
      } else {
        extra++;
      }
    }
    /* entries added during the iteration may or may not show up */
    if (added < 20) {
      snprintf(p, sizeof p, "/d/new_%02d", added++);
      CHECK_EQ_INT(put_file(h, p, "", 0), 0);
    }
  }
  dingofs_closedir(h, dh);
  CHECK_EQ_INT(dup, 0);
  CHECK_EQ_INT(total, N);
  CHECK(extra <= added);
  char names[64][256];
  CHECK_EQ_INT(list_names(h, "/d", names, 64), added);
  fs_close(h);
}

TEST(readdir_sees_each_stable_entry_once_while_others_change) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  char p[64];
  for (int i = 0; i < 300; i++) {
    snprintf(p, sizeof p, "/d/%s_%03d", (i % 2) ? "keep" : "drop", i);
    REQUIRE_EQ_INT(put_file(h, p, "", 0), 0);
  }
  static unsigned char seen[300];
  memset(seen, 0, sizeof seen);
  uint64_t dh;
  REQUIRE_EQ_INT(dingofs_opendir(h, "/d", &dh), 0);
  dingofs_dirent_t e[10];
  int dup = 0, round = 0;
  for (;;) {
    int got = dingofs_readdir(h, dh, e, 10);
    REQUIRE(got >= 0);
    if (got == 0) break;
    for (int i = 0; i < got; i++) {
      int k;
      if (sscanf(e[i].d_name, "keep_%d", &k) == 1) {
        if (seen[k]) dup++;
        seen[k] = 1;
      }
    }
    /* remove some not-yet-returned "drop" entries, add new ones */
    for (int j = 0; j < 5; j++) {
      snprintf(p, sizeof p, "/d/drop_%03d", (round * 10 + j * 2 + 150) % 300 & ~1);
      dingofs_unlink(h, p);
    }
    snprintf(p, sizeof p, "/d/added_%03d", round);
    CHECK_EQ_INT(put_file(h, p, "", 0), 0);
    round++;
  }
  dingofs_closedir(h, dh);
  CHECK_EQ_INT(dup, 0);
  int missing = 0;
  for (int i = 1; i < 300; i += 2) missing += !seen[i];
  CHECK_EQ_INT(missing, 0);
  fs_close(h);
}

TEST(inode_numbers_root_is_1_and_never_reused) {
  uintptr_t h = fs_default();
  CHECK_EQ_INT(ino_of(h, "/"), 1);
  long long used[64];
  int n = 0;
  for (int i = 0; i < 20; i++) {
    REQUIRE_EQ_INT(put_file(h, "/f", "", 0), 0);
    long long ino = ino_of(h, "/f");
    for (int j = 0; j < n; j++) CHECK(used[j] != ino);
    used[n++] = ino;
    REQUIRE_EQ_INT(dingofs_unlink(h, "/f"), 0);
  }
  fs_close(h);
  h = fs_default();
  for (int i = 0; i < 20; i++) {
    char p[32];
    snprintf(p, sizeof p, "/d%d", i);
    REQUIRE_EQ_INT(dingofs_mkdir(h, p, 0755), 0);
    long long ino = ino_of(h, p);
    for (int j = 0; j < n; j++) CHECK(used[j] != ino);
  }
  fs_close(h);
}

/* Path resolution rules. */
#include "helpers.h"

TEST(paths_relative_empty_and_repeated_slashes) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_mkdir(h, "a", 0755), 0);
  REQUIRE_EQ_INT(put_file(h, "a/f", "xy", 2), 0);
  struct stat st1, st2, st3;
  CHECK_EQ_INT(dingofs_stat(h, "/a/f", &st1), 0);
  CHECK_EQ_INT(dingofs_stat(h, "a/f", &st2), 0);
  CHECK_EQ_INT(dingofs_stat(h, "//a///f", &st3), 0);
  CHECK_EQ_INT(st1.st_ino, st2.st_ino);
  CHECK_EQ_INT(st1.st_ino, st3.st_ino);
  CHECK_EQ_INT(dingofs_stat(h, "", &st1), -ENOENT);
  CHECK_EQ_INT(dingofs_open(h, "", O_RDONLY, 0), -ENOENT);
  CHECK_EQ_INT(dingofs_open(h, "", O_WRONLY | O_CREAT, 0644), -ENOENT);
  CHECK_EQ_INT(dingofs_mkdir(h, "", 0755), -ENOENT);
  CHECK_EQ_INT(dingofs_unlink(h, ""), -ENOENT);
  CHECK_EQ_INT(dingofs_stat(h, "/", &st1), 0);
  CHECK_EQ_INT(st1.st_ino, 1);
  CHECK(S_ISDIR(st1.st_mode));
  CHECK_EQ_INT(dingofs_stat(h, "///", &st2), 0);
  CHECK_EQ_INT(st2.st_ino, 1);
  fs_close(h);
}

TEST(paths_name_and_path_length_limits) {
  uintptr_t h = fs_default();
  char name[300];
  name[0] = '/';
  memset(name + 1, 'n', 255);
  name[256] = 0;
  CHECK_EQ_INT(put_file(h, name, "1", 1), 0);
  char names[4][256];
  CHECK_EQ_INT(list_names(h, "/", names, 4), 1);
  CHECK_EQ_INT(strlen(names[0]), 255);
  name[256] = 'n';
  name[257] = 0;
  CHECK_EQ_INT(put_file(h, name, "1", 1), -ENAMETOOLONG);
  struct stat st;
  CHECK_EQ_INT(dingofs_stat(h, name, &st), -ENAMETOOLONG);
  CHECK_EQ_INT(dingofs_mkdir(h, name, 0755), -ENAMETOOLONG);
  CHECK_EQ_INT(dingofs_symlink(h, "x", name), -ENAMETOOLONG);
  /* a path of exactly 4095 bytes works, 4096 is too long */
  char path[4200];
  size_t len = 0;
  while (len + 201 <= 4095) {
    path[len++] = '/';
    memset(path + len, 'p', 200);
    len += 200;
  }
  path[len++] = '/';
  while (len < 4095) path[len++] = 'q';
  path[len] = 0;
  CHECK_EQ_INT(strlen(path), 4095);
  CHECK_EQ_INT(dingofs_mkdirs(h, path, 0755), 0);
  CHECK_EQ_INT(dingofs_stat(h, path, &st), 0);
  CHECK(S_ISDIR(st.st_mode));
  path[4095] = 'q';
  path[4096] = 0;
  CHECK_EQ_INT(dingofs_stat(h, path, &st), -ENAMETOOLONG);
  CHECK_EQ_INT(dingofs_mkdirs(h, path, 0755), -ENAMETOOLONG);
  CHECK_EQ_INT(dingofs_open(h, path, O_CREAT | O_WRONLY, 0644), -ENAMETOOLONG);
  fs_close(h);
}

TEST(paths_non_directory_in_middle_is_enotdir) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "x", 1), 0);
  struct stat st;
  CHECK_EQ_INT(dingofs_stat(h, "/f/x", &st), -ENOTDIR);
  CHECK_EQ_INT(dingofs_open(h, "/f/x", O_CREAT | O_WRONLY, 0644), -ENOTDIR);
  CHECK_EQ_INT(dingofs_mkdir(h, "/f/d", 0755), -ENOTDIR);
  CHECK_EQ_INT(dingofs_unlink(h, "/f/x"), -ENOTDIR);
  CHECK_EQ_INT(dingofs_stat(h, "/missing/x", &st), -ENOENT);
  fs_close(h);
}

TEST(paths_trailing_slash) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "x", 1), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "d", "/ld"), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "f", "/lf"), 0);
  struct stat st;
  CHECK_EQ_INT(dingofs_stat(h, "/f/", &st), -ENOTDIR);
  CHECK_EQ_INT(dingofs_lstat(h, "/f/", &st), -ENOTDIR);
  CHECK_EQ_INT(dingofs_open(h, "/f/", O_RDONLY, 0), -ENOTDIR);
  CHECK_EQ_INT(dingofs_stat(h, "/d/", &st), 0);
  CHECK(S_ISDIR(st.st_mode));
  /* a final symlink followed by a slash is followed */
  CHECK_EQ_INT(dingofs_lstat(h, "/ld/", &st), 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK_EQ_INT(dingofs_stat(h, "/lf/", &st), -ENOTDIR);
  CHECK_EQ_INT(dingofs_open(h, "/new/", O_CREAT | O_WRONLY, 0644), -EISDIR);
  CHECK_EQ_INT(dingofs_open(h, "/new/", O_CREAT | O_RDONLY, 0644), -EISDIR);
  CHECK(!path_exists(h, "/new"));
  CHECK_EQ_INT(dingofs_mkdir(h, "/d2/", 0755), 0);
  CHECK_EQ_INT(dingofs_stat(h, "/d2", &st), 0);
  CHECK_EQ_INT(dingofs_unlink(h, "/f/"), -ENOTDIR);
  CHECK_EQ_INT(dingofs_rmdir(h, "/d2/"), 0);
  fs_close(h);
}

TEST(paths_dot_and_dotdot_are_physical) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_mkdirs(h, "/a/b/c", 0755), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/x", 0755), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "/a/b", "/x/l"), 0);
  struct stat sa, sb, sr, s;
  REQUIRE_EQ_INT(dingofs_stat(h, "/a", &sa), 0);
  REQUIRE_EQ_INT(dingofs_stat(h, "/a/b", &sb), 0);
  REQUIRE_EQ_INT(dingofs_stat(h, "/", &sr), 0);
  /* /x/l/.. is the parent of the symlink's target, not /x */
  CHECK_EQ_INT(dingofs_stat(h, "/x/l/..", &s), 0);
  CHECK_EQ_INT(s.st_ino, sa.st_ino);
  CHECK_EQ_INT(dingofs_stat(h, "/x/l/c/../.", &s), 0);
  CHECK_EQ_INT(s.st_ino, sb.st_ino);
  CHECK_EQ_INT(dingofs_stat(h, "/..", &s), 0);
  CHECK_EQ_INT(s.st_ino, sr.st_ino);
  CHECK_EQ_INT(dingofs_stat(h, "/../../a/./b/../..", &s), 0);
  CHECK_EQ_INT(s.st_ino, sr.st_ino);
  CHECK_EQ_INT(dingofs_stat(h, "/a/./b/.", &s), 0);
  CHECK_EQ_INT(s.st_ino, sb.st_ino);
  CHECK_EQ_INT(put_file(h, "/x/l/../file_in_a", "1", 1), 0);
  CHECK(path_exists(h, "/a/file_in_a"));
  CHECK_EQ_INT(dingofs_rmdir(h, "/a/b/c/."), -EINVAL);
  CHECK(path_exists(h, "/a/b/c"));
  CHECK_EQ_INT(dingofs_rmdir(h, "/"), -EBUSY);
  fs_close(h);
}

TEST(paths_symlinks_followed_in_middle_and_absolute_from_root) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_mkdirs(h, "/d/e", 0755), 0);
  REQUIRE_EQ_INT(put_file(h, "/d/e/f", "hello", 5), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "/d", "/abs"), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "d/e", "/rel"), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "../d/e/f", "/d/up"), 0);
  CHECK(file_equals(h, "/abs/e/f", "hello", 5));
  CHECK(file_equals(h, "/rel/f", "hello", 5));
  CHECK(file_equals(h, "/d/up", "hello", 5));
  /* absolute target resolves inside the filesystem, not on the host */
  REQUIRE_EQ_INT(dingofs_symlink(h, "/etc/passwd", "/host"), 0);
  struct stat st;
  CHECK_EQ_INT(dingofs_stat(h, "/host", &st), -ENOENT);
  fs_close(h);
}

TEST(paths_symlink_hop_limit_and_loops) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/target", "T", 1), 0);
  char prev[32] = "target", cur[32];
  for (int i = 0; i <= 40; i++) {
    snprintf(cur, sizeof cur, "/s%d", i);
    REQUIRE_EQ_INT(dingofs_symlink(h, prev, cur), 0);
    snprintf(prev, sizeof prev, "s%d", i);
  }
  /* s39 needs 40 hops, s40 needs 41 */
  CHECK(file_equals(h, "/s39", "T", 1));
  struct stat st;
  CHECK_EQ_INT(dingofs_stat(h, "/s40", &st), -ELOOP);
  CHECK_EQ_INT(dingofs_open(h, "/s40", O_RDONLY, 0), -ELOOP);
  CHECK_EQ_INT(dingofs_lstat(h, "/s40", &st), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "loopb", "/loopa"), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "loopa", "/loopb"), 0);
  CHECK_EQ_INT(dingofs_stat(h, "/loopa", &st), -ELOOP);
  CHECK_EQ_INT(dingofs_stat(h, "/loopa/x", &st), -ELOOP);
  CHECK_EQ_INT(dingofs_open(h, "/loopa", O_CREAT | O_WRONLY, 0644), -ELOOP);
  REQUIRE_EQ_INT(dingofs_symlink(h, "self", "/self"), 0);
  CHECK_EQ_INT(dingofs_stat(h, "/self", &st), -ELOOP);
  fs_close(h);
}

TEST(paths_readlink_returns_target_verbatim) {
  uintptr_t h = fs_default();
  const char* t = "..//odd/./target/../x/";
  REQUIRE_EQ_INT(dingofs_symlink(h, t, "/l"), 0);
  char buf[256];
  ssize_t n = dingofs_readlink(h, "/l", buf, sizeof buf);
  CHECK_EQ_INT(n, (long long)strlen(t));
  CHECK(n > 0 && memcmp(buf, t, (size_t)n) == 0);
  struct stat st;
  CHECK_EQ_INT(dingofs_lstat(h, "/l", &st), 0);
  CHECK(S_ISLNK(st.st_mode));
  CHECK_EQ_INT(st.st_size, (long long)strlen(t));
  fs_close(h);
}

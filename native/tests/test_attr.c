/* Attributes: times, ownership and permissions, xattrs, inode flags,
 * statfs. */
#include <sys/statvfs.h>

#include "helpers.h"

static struct timespec mtim(const struct stat* st) { return st->st_mtim; }
static struct timespec ctim(const struct stat* st) { return st->st_ctim; }
static struct timespec atim(const struct stat* st) { return st->st_atim; }
static int ts_eq(struct timespec a, struct timespec b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}
static int ts_lt(struct timespec a, struct timespec b) { return !ts_le(b, a); }

static struct stat lst(uintptr_t h, const char* p) {
  struct stat st;
  memset(&st, 0, sizeof st);
  int rc = dingofs_lstat(h, p, &st);
  if (rc != 0) fprintf(stderr, "  lstat(%s) = %d\n", p, rc);
  CHECK_EQ_INT(rc, 0);
  return st;
}

/* Let the clock move so a later timestamp is strictly greater. */
static void tick(void) { usleep(2000); }

/* ---------------------------------------------------------------------- */
/* Times                                                                   */
/* ---------------------------------------------------------------------- */

TEST(times_creation_sets_all_three) {
  uintptr_t h = fs_default();
  struct timespec t0 = now_ts();
  REQUIRE_EQ_INT(put_file(h, "/f", "", 0), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "f", "/l"), 0);
  struct timespec t1 = now_ts();
  const char* ps[] = {"/f", "/d", "/l"};
  for (int i = 0; i < 3; i++) {
    struct stat st = lst(h, ps[i]);
    CHECK(ts_le(t0, atim(&st)) && ts_le(atim(&st), t1));
    CHECK(ts_le(t0, mtim(&st)) && ts_le(mtim(&st), t1));
    CHECK(ts_le(t0, ctim(&st)) && ts_le(ctim(&st), t1));
  }
  /* nanosecond resolution: not all of them fall on whole microseconds */
  int sub_us = 0;
  for (int i = 0; i < 20; i++) {
    char p[32];
    snprintf(p, sizeof p, "/n%d", i);
    REQUIRE_EQ_INT(put_file(h, p, "", 0), 0);
    struct stat st = lst(h, p);
    if (st.st_mtim.tv_nsec % 1000) sub_us = 1;
  }
  CHECK(sub_us);
  fs_close(h);
}

TEST(times_utimes_and_utimens_precision) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "", 0), 0);
  struct timeval tv[2] = {{1000000000, 123456}, {1100000000, 654321}};
  CHECK_EQ_INT(dingofs_utimes(h, "/f", tv), 0);
  struct stat st = lst(h, "/f");
  CHECK_EQ_INT(st.st_atim.tv_sec, 1000000000);
  CHECK_EQ_INT(st.st_atim.tv_nsec, 123456000);
  CHECK_EQ_INT(st.st_mtim.tv_sec, 1100000000);
  CHECK_EQ_INT(st.st_mtim.tv_nsec, 654321000);
  struct timespec ts[2] = {{1200000000, 123456789}, {1300000000, 987654321}};
  CHECK_EQ_INT(dingofs_x_utimens(h, "/f", ts, 0), 0);
  st = lst(h, "/f");
  CHECK_EQ_INT(st.st_atim.tv_sec, 1200000000);
  CHECK_EQ_INT(st.st_atim.tv_nsec, 123456789);
  CHECK_EQ_INT(st.st_mtim.tv_sec, 1300000000);
  CHECK_EQ_INT(st.st_mtim.tv_nsec, 987654321);
  /* pre-1970 and far-future times */
  struct timespec ts2[2] = {{-1000, 5}, {4102444800LL, 999999999}};
  CHECK_EQ_INT(dingofs_x_utimens(h, "/f", ts2, 0), 0);
  st = lst(h, "/f");
  CHECK_EQ_INT(st.st_atim.tv_sec, -1000);
  CHECK_EQ_INT(st.st_atim.tv_nsec, 5);
  CHECK_EQ_INT(st.st_mtim.tv_sec, 4102444800LL);
  fs_close(h);
  /* persisted exactly */
  h = fs_default();
  st = lst(h, "/f");
  CHECK_EQ_INT(st.st_mtim.tv_nsec, 999999999);
  CHECK_EQ_INT(st.st_atim.tv_nsec, 5);
  struct timespec t0 = now_ts();
  CHECK_EQ_INT(dingofs_utimes(h, "/f", NULL), 0);
  st = lst(h, "/f");
  CHECK(ts_le(t0, st.st_mtim) && ts_le(t0, st.st_atim));
  CHECK(ts_le(st.st_mtim, now_ts()));
  struct timeval bad[2] = {{0, 1000000}, {0, 0}};
  CHECK_EQ_INT(dingofs_utimes(h, "/f", bad), -EINVAL);
  struct timespec badn[2] = {{0, 1000000000}, {0, 0}};
  CHECK_EQ_INT(dingofs_x_utimens(h, "/f", badn, 0), -EINVAL);
  fs_close(h);
}

/* Times set by path on a file this process holds open with bytes written
 * and not yet committed (an inline file's bytes live in memory until the
 * close): the bytes and the size survive, the times set stay through the
 * close, and a write after them moves mtime on again. Both forms: inline
 * (1 and 4,000 bytes) and a data file (100,000 bytes, past the threshold). */
TEST(times_set_while_the_file_is_open_with_unwritten_bytes) {
  uintptr_t h = fs_default();
  uintptr_t other = fs_default();
  static const size_t sizes[] = {1, 4000, 100000};
  static char data[100001];
  for (int k = 0; k < 6; k++) {
    size_t n = sizes[k % 3];
    int explicit_times = k >= 3;
    char path[32];
    snprintf(path, sizeof path, "/open%d", k);
    fill_pattern(data, n + 1, (unsigned)k + 1);
    int fd = dingofs_open(h, path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    REQUIRE(fd >= 3);
    REQUIRE_EQ_INT(dingofs_write(h, fd, data, n), (long)n);
    struct timespec t0 = now_ts();
    struct timespec set[2] = {{1000, 1}, {2000, 2}};
    CHECK_EQ_INT(dingofs_x_utimens(h, path, explicit_times ? set : NULL, 0), 0);
    struct stat st = lst(h, path);
    CHECK_EQ_INT(st.st_size, (long)n);
    if (explicit_times) {
      CHECK(ts_eq(st.st_mtim, set[1]) && ts_eq(st.st_atim, set[0]));
    } else {
      CHECK(ts_le(t0, st.st_mtim));
    }
    CHECK_EQ_INT(dingofs_close(h, fd), 0);
    CHECK(file_equals(h, path, data, n));
    CHECK(file_equals(other, path, data, n));
    st = lst(other, path);
    CHECK_EQ_INT(st.st_size, (long)n);
    if (explicit_times) CHECK(ts_eq(st.st_mtim, set[1]) && ts_eq(st.st_atim, set[0]));
    if (!explicit_times) continue;
    /* Appended bytes not yet committed, then times: both stay. */
    fd = dingofs_open(h, path, O_WRONLY | O_APPEND, 0);
    REQUIRE(fd >= 3);
    REQUIRE_EQ_INT(dingofs_write(h, fd, data + n, 1), 1);
    CHECK_EQ_INT(dingofs_x_utimens(h, path, set, 0), 0);
    CHECK_EQ_INT(dingofs_close(h, fd), 0);
    CHECK(file_equals(other, path, data, n + 1));
    st = lst(other, path);
    CHECK(ts_eq(st.st_mtim, set[1]));
    /* Times, then a write: the write moves mtime on. */
    fd = dingofs_open(h, path, O_WRONLY, 0);
    REQUIRE(fd >= 3);
    CHECK_EQ_INT(dingofs_x_utimens(h, path, set, 0), 0);
    t0 = now_ts();
    REQUIRE_EQ_INT(dingofs_pwrite(h, fd, data, 1, 0), 1);
    CHECK_EQ_INT(dingofs_close(h, fd), 0);
    CHECK(file_equals(other, path, data, n + 1));
    st = lst(other, path);
    CHECK(ts_le(t0, st.st_mtim));
  }
  fs_close(other);
  fs_close(h);
}

/* chmod, chown and setxattr of a file this process holds open with bytes
 * written and not yet committed: its ctime is the change's, before and after
 * the close that commits the write (the write's earlier ctime does not win). */
TEST(times_ctime_of_a_change_while_the_file_is_open_with_unwritten_bytes) {
  uintptr_t h = fs_default();
  static char data[100000];
  static const size_t sizes[] = {10, 100000};
  for (int k = 0; k < 6; k++) {
    size_t n = sizes[k % 2];
    char path[32];
    snprintf(path, sizeof path, "/c%d", k);
    int fd = dingofs_open(h, path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    REQUIRE(fd >= 3);
    REQUIRE_EQ_INT(dingofs_write(h, fd, data, n), (long)n);
    tick();
    struct timespec t0 = now_ts();
    int rc = k / 2 == 0   ? dingofs_chmod(h, path, 0600)
             : k / 2 == 1 ? dingofs_chown(h, path, 0, 0)
                          : dingofs_setxattr(h, path, "user.k", "v", 1, 0);
    CHECK_EQ_INT(rc, 0);
    struct stat st = lst(h, path);
    CHECK(ts_le(t0, st.st_ctim));
    CHECK_EQ_INT(dingofs_close(h, fd), 0);
    st = lst(h, path);
    CHECK(ts_le(t0, st.st_ctim));
    CHECK_EQ_INT(st.st_size, (long)n);
    CHECK(ts_lt(st.st_mtim, t0));  /* the write's mtime stays */
  }
  fs_close(h);
}

TEST(times_write_and_truncate_update_mtime_ctime_not_atime) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "abc", 3), 0);
  struct timespec old[2] = {{1000, 1}, {1000, 2}};
  REQUIRE_EQ_INT(dingofs_x_utimens(h, "/f", old, 0), 0);
  struct stat s0 = lst(h, "/f");
  tick();
  int fd = dingofs_open(h, "/f", O_RDWR, 0);
  REQUIRE(fd >= 3);
  char buf[4];
  CHECK_EQ_INT(dingofs_read(h, fd, buf, 3), 3);
  struct stat s1;
  CHECK_EQ_INT(dingofs_fstat(h, fd, &s1), 0);
  CHECK(ts_eq(atim(&s1), atim(&s0))); /* noatime */
  CHECK(ts_eq(mtim(&s1), mtim(&s0)));
  CHECK_EQ_INT(dingofs_pwrite(h, fd, "X", 1, 0), 1);
  CHECK_EQ_INT(dingofs_fstat(h, fd, &s1), 0);
  CHECK(ts_lt(mtim(&s0), mtim(&s1)));
  CHECK(ts_lt(ctim(&s0), ctim(&s1)));
  CHECK(ts_eq(atim(&s1), atim(&s0)));
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  struct stat s2 = lst(h, "/f");
  CHECK(ts_eq(mtim(&s2), mtim(&s1)));
  tick();
  CHECK_EQ_INT(dingofs_truncate(h, "/f", 1), 0);
  struct stat s3 = lst(h, "/f");
  CHECK(ts_lt(mtim(&s2), mtim(&s3)));
  CHECK(ts_lt(ctim(&s2), ctim(&s3)));
  tick();
  fd = dingofs_open(h, "/f", O_WRONLY, 0);
  CHECK_EQ_INT(dingofs_ftruncate(h, fd, 10), 0);
  struct stat s4;
  CHECK_EQ_INT(dingofs_fstat(h, fd, &s4), 0);
  CHECK(ts_lt(mtim(&s3), mtim(&s4)));
  dingofs_close(h, fd);
  /* atime stays where it was set */
  CHECK(ts_eq(atim(&s4), atim(&s0)));
  fs_close(h);
}

TEST(times_metadata_changes_update_ctime_only) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "abc", 3), 0);
  struct stat s = lst(h, "/f");
  struct timespec m = mtim(&s);
#define CTIME_BUMPS(op)                                  \
  do {                                                   \
    struct stat b_ = lst(h, "/f");                       \
    tick();                                              \
    CHECK_EQ_INT(op, 0);                                 \
    struct stat a_ = lst(h, "/f");                       \
    CHECK(ts_lt(ctim(&b_), ctim(&a_)));                  \
    CHECK(ts_eq(mtim(&a_), m));                          \
  } while (0)
  CTIME_BUMPS(dingofs_chmod(h, "/f", 0600));
  CTIME_BUMPS(dingofs_chown(h, "/f", 123, 456));
  CTIME_BUMPS(dingofs_link(h, "/f", "/g"));
  CTIME_BUMPS(dingofs_unlink(h, "/g"));
  CTIME_BUMPS(dingofs_setxattr(h, "/f", "user.a", "1", 1, 0));
  CTIME_BUMPS(dingofs_removexattr(h, "/f", "user.a"));
  {
    struct stat b = lst(h, "/f");
    tick();
    CHECK_EQ_INT(dingofs_rename(h, "/f", "/f2"), 0);
    struct stat a = lst(h, "/f2");
    CHECK(ts_lt(ctim(&b), ctim(&a)));
    CHECK(ts_eq(mtim(&a), m));
  }
#undef CTIME_BUMPS
  fs_close(h);
}

TEST(times_directory_changes_update_dir_mtime_ctime) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/e", 0755), 0);
#define DIR_BUMPS(dir, op)                                     \
  do {                                                         \
    struct stat b_ = lst(h, dir);                              \
    tick();                                                    \
    CHECK_EQ_INT(op, 0);                                       \
    struct stat a_ = lst(h, dir);                              \
    CHECK(ts_lt(mtim(&b_), mtim(&a_)));                        \
    CHECK(ts_lt(ctim(&b_), ctim(&a_)));                        \
  } while (0)
  DIR_BUMPS("/d", put_file(h, "/d/f", "", 0));
  DIR_BUMPS("/d", dingofs_mkdir(h, "/d/sub", 0755));
  DIR_BUMPS("/d", dingofs_symlink(h, "x", "/d/l"));
  DIR_BUMPS("/d", dingofs_link(h, "/d/f", "/d/f2"));
  DIR_BUMPS("/d", dingofs_unlink(h, "/d/f2"));
  DIR_BUMPS("/d", dingofs_rmdir(h, "/d/sub"));
  DIR_BUMPS("/d", dingofs_rename(h, "/d/f", "/e/f"));
  DIR_BUMPS("/e", dingofs_rename(h, "/e/f", "/d/f"));
  DIR_BUMPS("/d", dingofs_rename(h, "/d/f", "/d/f3"));
  DIR_BUMPS("/d", dingofs_x_mknod(h, "/d/p", S_IFIFO | 0600, 0));
#undef DIR_BUMPS
  /* listing a directory does not change its atime */
  struct stat b = lst(h, "/d");
  char names[8][256];
  CHECK(list_names(h, "/d", names, 8) > 0);
  struct stat a = lst(h, "/d");
  CHECK(ts_eq(atim(&a), atim(&b)));
  fs_close(h);
}

/* ---------------------------------------------------------------------- */
/* Ownership and modes as root                                             */
/* ---------------------------------------------------------------------- */

TEST(chmod_chown_as_root) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "", 0), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  CHECK_EQ_INT(dingofs_chmod(h, "/f", 07777 | S_IFDIR), 0);
  struct stat st = lst(h, "/f");
  CHECK(S_ISREG(st.st_mode)); /* type bits kept */
  CHECK_EQ_INT(st.st_mode & 07777, 07777);
  CHECK_EQ_INT(dingofs_chmod(h, "/d", 0), 0);
  st = lst(h, "/d");
  CHECK(S_ISDIR(st.st_mode));
  CHECK_EQ_INT(st.st_mode & 07777, 0);
  CHECK_EQ_INT(dingofs_chown(h, "/f", 1000, 2000), 0);
  st = lst(h, "/f");
  CHECK_EQ_INT(st.st_uid, 1000);
  CHECK_EQ_INT(st.st_gid, 2000);
  CHECK_EQ_INT(dingofs_chown(h, "/f", (uid_t)-1, 3000), 0);
  st = lst(h, "/f");
  CHECK_EQ_INT(st.st_uid, 1000);
  CHECK_EQ_INT(st.st_gid, 3000);
  CHECK_EQ_INT(dingofs_chown(h, "/f", 4000, (gid_t)-1), 0);
  st = lst(h, "/f");
  CHECK_EQ_INT(st.st_uid, 4000);
  CHECK_EQ_INT(st.st_gid, 3000);
  CHECK_EQ_INT(dingofs_chmod(h, "/missing", 0644), -ENOENT);
  CHECK_EQ_INT(dingofs_chown(h, "/missing", 0, 0), -ENOENT);
  /* chown follows symlinks, x_lchown does not */
  REQUIRE_EQ_INT(dingofs_symlink(h, "f", "/l"), 0);
  CHECK_EQ_INT(dingofs_chown(h, "/l", 11, 12), 0);
  st = lst(h, "/f");
  CHECK_EQ_INT(st.st_uid, 11);
  st = lst(h, "/l");
  CHECK_EQ_INT(st.st_uid, 0);
  fs_close(h);
}

TEST(setgid_directory_inheritance) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/sg", 0777), 0);
  REQUIRE_EQ_INT(dingofs_chown(h, "/sg", 0, 4321), 0);
  REQUIRE_EQ_INT(dingofs_chmod(h, "/sg", 02777), 0);
  REQUIRE_EQ_INT(put_file(h, "/sg/f", "", 0), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/sg/sub", 0755), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "f", "/sg/l"), 0);
  struct stat st = lst(h, "/sg/f");
  CHECK_EQ_INT(st.st_gid, 4321);
  st = lst(h, "/sg/l");
  CHECK_EQ_INT(st.st_gid, 4321);
  st = lst(h, "/sg/sub");
  CHECK_EQ_INT(st.st_gid, 4321);
  CHECK(st.st_mode & S_ISGID);
  REQUIRE_EQ_INT(put_file(h, "/sg/sub/g", "", 0), 0);
  st = lst(h, "/sg/sub/g");
  CHECK_EQ_INT(st.st_gid, 4321);
  /* outside: the caller's gid */
  REQUIRE_EQ_INT(put_file(h, "/plain", "", 0), 0);
  st = lst(h, "/plain");
  CHECK_EQ_INT(st.st_gid, getegid());
  fs_close(h);
}

/* ---------------------------------------------------------------------- */
/* Permissions as a non-root user                                          */
/* ---------------------------------------------------------------------- */

#define NOBODY 65534
#define EXTRA_GID 4321

static void perm_setup(void) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_chmod(h, "/", 0755), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/pub", 0777), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/priv", 0700), 0);
  REQUIRE_EQ_INT(put_file(h, "/priv/x", "secret", 6), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/nosearch", 0666), 0);
  REQUIRE_EQ_INT(put_file(h, "/nosearch/x", "", 0), 0);
  REQUIRE_EQ_INT(put_file(h, "/ro_file", "ro", 2), 0);
  REQUIRE_EQ_INT(dingofs_chmod(h, "/ro_file", 0444), 0);
  REQUIRE_EQ_INT(put_file(h, "/rw_file", "rw", 2), 0);
  REQUIRE_EQ_INT(dingofs_chmod(h, "/rw_file", 0666), 0);
  REQUIRE_EQ_INT(put_file(h, "/wo_file", "wo", 2), 0);
  REQUIRE_EQ_INT(dingofs_chmod(h, "/wo_file", 0222), 0);
  REQUIRE_EQ_INT(put_file(h, "/grp_file", "g", 1), 0);
  REQUIRE_EQ_INT(dingofs_chown(h, "/grp_file", 0, EXTRA_GID), 0);
  REQUIRE_EQ_INT(dingofs_chmod(h, "/grp_file", 0060), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/sticky", 0777), 0);
  REQUIRE_EQ_INT(dingofs_chmod(h, "/sticky", 01777), 0);
  REQUIRE_EQ_INT(put_file(h, "/sticky/rootfile", "r", 1), 0);
  REQUIRE_EQ_INT(dingofs_chmod(h, "/sticky/rootfile", 0666), 0);
  REQUIRE_EQ_INT(put_file(h, "/sticky/mine", "m", 1), 0);
  REQUIRE_EQ_INT(dingofs_chown(h, "/sticky/mine", NOBODY, NOBODY), 0);
  REQUIRE_EQ_INT(put_file(h, "/own", "own", 3), 0);
  REQUIRE_EQ_INT(dingofs_chown(h, "/own", NOBODY, NOBODY), 0);
  REQUIRE_EQ_INT(dingofs_chmod(h, "/own", 0644), 0);
  REQUIRE_EQ_INT(put_file(h, "/suid", "#!", 2), 0);
  REQUIRE_EQ_INT(dingofs_chown(h, "/suid", NOBODY, NOBODY), 0);
  REQUIRE_EQ_INT(dingofs_chmod(h, "/suid", 06775), 0);
  REQUIRE_EQ_INT(put_file(h, "/suid2", "#!", 2), 0);
  REQUIRE_EQ_INT(dingofs_chown(h, "/suid2", NOBODY, NOBODY), 0);
  REQUIRE_EQ_INT(dingofs_chmod(h, "/suid2", 06755), 0);
  fs_close(h);
}

static void perm_checks(uintptr_t h, void* arg) {
  (void)arg;
  struct stat st;
  char buf[16];
  uint64_t dh;
  /* files */
  CHECK_EQ_INT(dingofs_open(h, "/ro_file", O_WRONLY, 0), -EACCES);
  CHECK_EQ_INT(dingofs_open(h, "/ro_file", O_RDWR, 0), -EACCES);
  int fd = dingofs_open(h, "/ro_file", O_RDONLY, 0);
  CHECK(fd >= 3);
  if (fd >= 3) dingofs_close(h, fd);
  CHECK_EQ_INT(dingofs_open(h, "/wo_file", O_RDONLY, 0), -EACCES);
  fd = dingofs_open(h, "/wo_file", O_WRONLY, 0);
  CHECK(fd >= 3);
  if (fd >= 3) dingofs_close(h, fd);
  CHECK_EQ_INT(dingofs_truncate(h, "/ro_file", 0), -EACCES);
  fd = dingofs_open(h, "/grp_file", O_RDWR, 0); /* via the extra group */
  CHECK(fd >= 3);
  if (fd >= 3) dingofs_close(h, fd);
  CHECK_EQ_INT(dingofs_x_access(h, "/ro_file", R_OK), 0);
  CHECK_EQ_INT(dingofs_x_access(h, "/ro_file", W_OK), -EACCES);
  CHECK_EQ_INT(dingofs_x_access(h, "/ro_file", X_OK), -EACCES);
  CHECK_EQ_INT(dingofs_x_access(h, "/grp_file", R_OK | W_OK), 0);
  CHECK_EQ_INT(dingofs_x_access(h, "/priv/x", F_OK), -EACCES);
  /* directories: search and write */
  CHECK_EQ_INT(dingofs_stat(h, "/priv/x", &st), -EACCES);
  CHECK_EQ_INT(dingofs_opendir(h, "/priv", &dh), -EACCES);
  CHECK_EQ_INT(dingofs_stat(h, "/priv", &st), 0);
  CHECK_EQ_INT(dingofs_stat(h, "/nosearch/x", &st), -EACCES);
  CHECK_EQ_INT(dingofs_open(h, "/newfile", O_WRONLY | O_CREAT, 0644), -EACCES);
  CHECK_EQ_INT(dingofs_mkdir(h, "/newdir", 0755), -EACCES);
  CHECK_EQ_INT(dingofs_unlink(h, "/rw_file"), -EACCES);
  CHECK_EQ_INT(dingofs_rename(h, "/rw_file", "/pub/x"), -EACCES);
  CHECK_EQ_INT(dingofs_symlink(h, "x", "/sl"), -EACCES);
  /* new inodes take the caller's ids */
  CHECK_EQ_INT(put_file(h, "/pub/mine", "1", 1), 0);
  CHECK_EQ_INT(dingofs_lstat(h, "/pub/mine", &st), 0);
  CHECK_EQ_INT(st.st_uid, NOBODY);
  CHECK_EQ_INT(st.st_gid, NOBODY);
  CHECK_EQ_INT(dingofs_mkdir(h, "/pub/mydir", 0755), 0);
  CHECK_EQ_INT(dingofs_lstat(h, "/pub/mydir", &st), 0);
  CHECK_EQ_INT(st.st_uid, NOBODY);
  /* sticky directory */
  CHECK_EQ_INT(dingofs_unlink(h, "/sticky/rootfile"), -EPERM);
  CHECK_EQ_INT(dingofs_rename(h, "/sticky/rootfile", "/sticky/r2"), -EPERM);
  CHECK_EQ_INT(dingofs_rename(h, "/sticky/mine", "/sticky/rootfile"), -EPERM);
  CHECK_EQ_INT(dingofs_unlink(h, "/sticky/mine"), 0);
  /* ownership changes */
  CHECK_EQ_INT(dingofs_chmod(h, "/rw_file", 0600), -EPERM);
  CHECK_EQ_INT(dingofs_chmod(h, "/own", 0600), 0);
  CHECK_EQ_INT(dingofs_chown(h, "/own", 0, (gid_t)-1), -EPERM);
  CHECK_EQ_INT(dingofs_chown(h, "/own", (uid_t)-1, 999), -EPERM);
  CHECK_EQ_INT(dingofs_chown(h, "/own", (uid_t)-1, EXTRA_GID), 0);
  CHECK_EQ_INT(dingofs_chown(h, "/own", NOBODY, NOBODY), 0);
  CHECK_EQ_INT(dingofs_chown(h, "/rw_file", (uid_t)-1, NOBODY), -EPERM);
  /* times: "now" needs write permission, explicit times need ownership */
  CHECK_EQ_INT(dingofs_utimes(h, "/rw_file", NULL), 0);
  struct timeval tv[2] = {{5, 0}, {5, 0}};
  CHECK_EQ_INT(dingofs_utimes(h, "/rw_file", tv), -EPERM);
  CHECK_EQ_INT(dingofs_utimes(h, "/ro_file", NULL), -EACCES);
  CHECK_EQ_INT(dingofs_utimes(h, "/own", tv), 0);
  /* a non-root write clears set-uid/set-gid */
  fd = dingofs_open(h, "/suid", O_WRONLY, 0);
  CHECK(fd >= 3);
  if (fd >= 3) {
    CHECK_EQ_INT(dingofs_write(h, fd, "x", 1), 1);
    dingofs_close(h, fd);
  }
  CHECK_EQ_INT(dingofs_lstat(h, "/suid", &st), 0);
  CHECK_EQ_INT(st.st_mode & 07777, 0775);
  /* so does a non-root chown */
  CHECK_EQ_INT(dingofs_chown(h, "/suid2", (uid_t)-1, EXTRA_GID), 0);
  CHECK_EQ_INT(dingofs_lstat(h, "/suid2", &st), 0);
  CHECK_EQ_INT(st.st_mode & 06000, 0);
  /* xattrs */
  CHECK_EQ_INT(dingofs_setxattr(h, "/ro_file", "user.a", "1", 1, 0), -EACCES);
  CHECK_EQ_INT(dingofs_setxattr(h, "/own", "user.a", "1", 1, 0), 0);
  CHECK_EQ_INT(dingofs_setxattr(h, "/own", "trusted.a", "1", 1, 0), -EPERM);
  CHECK_EQ_INT(dingofs_getxattr(h, "/priv/x", "user.a", buf, sizeof buf), -EACCES);
  /* devices and inode flags */
  CHECK_EQ_INT(dingofs_x_mknod(h, "/pub/chr", S_IFCHR | 0600, makedev(1, 3)), -EPERM);
  CHECK_EQ_INT(dingofs_x_mknod(h, "/pub/fifo", S_IFIFO | 0600, 0), 0);
  fd = dingofs_open(h, "/own", O_RDONLY, 0);
  CHECK(fd >= 3);
  if (fd >= 3) {
    uint32_t fl = FS_IMMUTABLE_FL;
    CHECK_EQ_INT(dingofs_ioctl(h, fd, FS_IOC32_SETFLAGS, &fl), -EPERM);
    fl = FS_APPEND_FL;
    CHECK_EQ_INT(dingofs_ioctl(h, fd, FS_IOC32_SETFLAGS, &fl), -EPERM);
    fl = FS_NODUMP_FL; /* the owner may change other bits */
    CHECK_EQ_INT(dingofs_ioctl(h, fd, FS_IOC32_SETFLAGS, &fl), 0);
    dingofs_close(h, fd);
  }
  fd = dingofs_open(h, "/rw_file", O_RDONLY, 0);
  CHECK(fd >= 3);
  if (fd >= 3) {
    uint32_t fl = FS_NODUMP_FL; /* not the owner */
    CHECK_EQ_INT(dingofs_ioctl(h, fd, FS_IOC32_SETFLAGS, &fl), -EPERM);
    dingofs_close(h, fd);
  }
  /* proof for the parent that every check above ran */
  CHECK_EQ_INT(put_file(h, "/pub/checks_done", "1", 1), 0);
}

TEST(permissions_as_non_root_user) {
  if (geteuid() != 0) SKIP("not root: cannot switch to another user");
  perm_setup();
  gid_t groups[2] = {NOBODY, EXTRA_GID};
  CHECK_EQ_INT(run_as_user(NOBODY, NOBODY, groups, 2, perm_checks, NULL), 0);
  /* root was not affected by anything above */
  uintptr_t h = fs_default();
  CHECK(file_equals(h, "/priv/x", "secret", 6));
  CHECK(path_exists(h, "/sticky/rootfile"));
  CHECK(path_exists(h, "/pub/checks_done"));
  fs_close(h);
}

static void group_perm_checks(uintptr_t h, void* arg) {
  (void)arg;
  /* without the extra group the group bits no longer apply */
  CHECK_EQ_INT(dingofs_open(h, "/grp_file", O_RDONLY, 0), -EACCES);
  CHECK_EQ_INT(dingofs_x_access(h, "/grp_file", R_OK), -EACCES);
}

TEST(permissions_depend_on_supplementary_groups) {
  if (geteuid() != 0) SKIP("not root: cannot switch to another user");
  perm_setup();
  gid_t groups[1] = {NOBODY};
  CHECK_EQ_INT(run_as_user(NOBODY, NOBODY, groups, 1, group_perm_checks, NULL), 0);
}

/* The caller's class alone decides: bits that the other classes have do not
 * help the owner or a group member (the engine answers without asking who
 * the caller is only when all three classes grant the access). */
static void class_checks(uintptr_t h, void* arg) {
  struct stat st;
  (void)arg;
  /* owner: 0077 grants the group and everyone else, not the owner */
  CHECK_EQ_INT(dingofs_stat(h, "/cls_owner/f", &st), -EACCES);
  CHECK_EQ_INT(dingofs_open(h, "/cls_owner_file", O_RDONLY, 0), -EACCES);
  CHECK_EQ_INT(dingofs_x_access(h, "/cls_owner_file", R_OK), -EACCES);
  /* group member: 0707 grants the owner and everyone else, not the group */
  CHECK_EQ_INT(dingofs_stat(h, "/cls_group/f", &st), -EACCES);
  CHECK_EQ_INT(dingofs_open(h, "/cls_group_file", O_RDONLY, 0), -EACCES);
  /* all three classes: granted */
  CHECK_EQ_INT(dingofs_stat(h, "/cls_all/f", &st), 0);
  int fd = dingofs_open(h, "/cls_all/f", O_RDONLY, 0);
  CHECK(fd >= 3);
  if (fd >= 3) dingofs_close(h, fd);
}

TEST(permission_classes_are_not_combined) {
  if (geteuid() != 0) SKIP("not root: cannot switch to another user");
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_chmod(h, "/", 0755), 0);
  const char* dirs[] = {"/cls_owner", "/cls_group", "/cls_all"};
  const mode_t modes[] = {0077, 0707, 0555};
  for (int i = 0; i < 3; i++) {
    char path[64];
    REQUIRE_EQ_INT(dingofs_mkdir(h, dirs[i], 0700), 0);
    snprintf(path, sizeof path, "%s/f", dirs[i]);
    REQUIRE_EQ_INT(put_file(h, path, "x", 1), 0);
    REQUIRE_EQ_INT(dingofs_chmod(h, path, 0444), 0);
    REQUIRE_EQ_INT(dingofs_chown(h, dirs[i], i == 0 ? NOBODY : 0, i == 1 ? EXTRA_GID : 0), 0);
    REQUIRE_EQ_INT(dingofs_chmod(h, dirs[i], modes[i]), 0);
  }
  REQUIRE_EQ_INT(put_file(h, "/cls_owner_file", "o", 1), 0);
  REQUIRE_EQ_INT(dingofs_chown(h, "/cls_owner_file", NOBODY, NOBODY), 0);
  REQUIRE_EQ_INT(dingofs_chmod(h, "/cls_owner_file", 0044), 0);
  REQUIRE_EQ_INT(put_file(h, "/cls_group_file", "g", 1), 0);
  REQUIRE_EQ_INT(dingofs_chown(h, "/cls_group_file", 0, EXTRA_GID), 0);
  REQUIRE_EQ_INT(dingofs_chmod(h, "/cls_group_file", 0404), 0);
  /* root: any execute bit lets it search, read needs no bit at all */
  struct stat st;
  CHECK_EQ_INT(dingofs_stat(h, "/cls_owner/f", &st), 0);
  CHECK_EQ_INT(dingofs_chmod(h, "/cls_group_file", 0), 0);
  int fd = dingofs_open(h, "/cls_group_file", O_RDONLY, 0);
  CHECK(fd >= 3);
  if (fd >= 3) dingofs_close(h, fd);
  CHECK_EQ_INT(dingofs_chmod(h, "/cls_group_file", 0404), 0);
  fs_close(h);
  gid_t groups[2] = {NOBODY, EXTRA_GID};
  CHECK_EQ_INT(run_as_user(NOBODY, NOBODY, groups, 2, class_checks, NULL), 0);
}

/* ---------------------------------------------------------------------- */
/* Extended attributes                                                     */
/* ---------------------------------------------------------------------- */

static void xattr_other_process(void* arg) {
  (void)arg;
  uintptr_t h = fs_default();
  CHECK_EQ_INT(dingofs_setxattr(h, "/xc", "user.k", "22", 2, 0), 0);
  CHECK_EQ_INT(dingofs_removexattr(h, "/xc", "user.gone"), 0);
  fs_close(h);
}

/* A handle keeps what it read of xattrs (values and absent names) only while
 * nobody else changed the store: every change by another handle or process
 * shows at the next read, and so do its own removals and failed changes. */
TEST(xattr_reads_see_every_change) {
  uintptr_t h1 = fs_default();
  uintptr_t h2 = fs_default();
  char buf[16];
  REQUIRE_EQ_INT(put_file(h1, "/xc", "x", 1), 0);
  REQUIRE_EQ_INT(dingofs_setxattr(h1, "/xc", "user.k", "1", 1, 0), 0);
  REQUIRE_EQ_INT(dingofs_setxattr(h1, "/xc", "user.gone", "g", 1, 0), 0);
  CHECK_EQ_INT(dingofs_getxattr(h1, "/xc", "user.k", buf, sizeof buf), 1);
  CHECK_EQ_INT(dingofs_getxattr(h1, "/xc", "user.new", buf, sizeof buf), -ENODATA);
  /* another handle of this process */
  CHECK_EQ_INT(dingofs_setxattr(h2, "/xc", "user.k", "333", 3, 0), 0);
  CHECK_EQ_INT(dingofs_setxattr(h2, "/xc", "user.new", "n", 1, 0), 0);
  CHECK_EQ_INT(dingofs_getxattr(h1, "/xc", "user.k", buf, sizeof buf), 3);
  CHECK(memcmp(buf, "333", 3) == 0);
  CHECK_EQ_INT(dingofs_getxattr(h1, "/xc", "user.new", buf, sizeof buf), 1);
  /* another process */
  CHECK_EQ_INT(run_in_child(xattr_other_process, NULL), 0);
  CHECK_EQ_INT(dingofs_getxattr(h1, "/xc", "user.k", buf, sizeof buf), 2);
  CHECK(memcmp(buf, "22", 2) == 0);
  CHECK_EQ_INT(dingofs_getxattr(h1, "/xc", "user.gone", buf, sizeof buf), -ENODATA);
  /* its own changes: a removal, a failed replace, a file made again */
  CHECK_EQ_INT(dingofs_removexattr(h1, "/xc", "user.new"), 0);
  CHECK_EQ_INT(dingofs_getxattr(h1, "/xc", "user.new", buf, sizeof buf), -ENODATA);
  CHECK_EQ_INT(dingofs_setxattr(h1, "/xc", "user.new", "r", 1, XATTR_REPLACE), -ENODATA);
  CHECK_EQ_INT(dingofs_getxattr(h1, "/xc", "user.new", buf, sizeof buf), -ENODATA);
  CHECK_EQ_INT(dingofs_getxattr(h1, "/xc", "user.k", buf, 1), -ERANGE);
  CHECK_EQ_INT(dingofs_getxattr(h1, "/xc", "user.k", NULL, 0), 2);
  for (int i = 0; i < 3; i++) {
    CHECK_EQ_INT(dingofs_unlink(h1, "/xc"), 0);
    CHECK_EQ_INT(put_file(h1, "/xc", "y", 1), 0);
    CHECK_EQ_INT(dingofs_getxattr(h1, "/xc", "user.k", buf, sizeof buf), -ENODATA);
    CHECK_EQ_INT(dingofs_setxattr(h1, "/xc", "user.k", "7", 1, 0), 0);
  }
  CHECK_EQ_INT(dingofs_getxattr(h2, "/xc", "user.k", buf, sizeof buf), 1);
  CHECK(buf[0] == '7');
  fs_close(h2);
  fs_close(h1);
  CHECK_EQ_INT(fsck_problems(FSNAME), 0);
}

TEST(xattr_set_get_list_remove) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "", 0), 0);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "user.one", "1", 1, 0), 0);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "trusted.two", "22", 2, 0), 0);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "security.three", "333", 3, 0), 0);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "system.four", "4444", 4, 0), 0);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "user.empty", "", 0, 0), 0);
  char buf[128];
  CHECK_EQ_INT(dingofs_getxattr(h, "/f", "trusted.two", NULL, 0), 2);
  CHECK_EQ_INT(dingofs_getxattr(h, "/f", "trusted.two", buf, sizeof buf), 2);
  CHECK(memcmp(buf, "22", 2) == 0);
  CHECK_EQ_INT(dingofs_getxattr(h, "/f", "security.three", buf, 2), -ERANGE);
  CHECK_EQ_INT(dingofs_getxattr(h, "/f", "user.empty", buf, sizeof buf), 0);
  CHECK_EQ_INT(dingofs_getxattr(h, "/f", "user.none", buf, sizeof buf), -ENODATA);
  long want = (long)(sizeof "user.one" + sizeof "trusted.two" +
                     sizeof "security.three" + sizeof "system.four" +
                     sizeof "user.empty");
  CHECK_EQ_INT(dingofs_listxattr(h, "/f", NULL, 0), want);
  CHECK_EQ_INT(dingofs_listxattr(h, "/f", buf, (size_t)want - 1), -ERANGE);
  memset(buf, 0, sizeof buf);
  CHECK_EQ_INT(dingofs_listxattr(h, "/f", buf, sizeof buf), want);
  int count = 0, found = 0;
  for (char* p = buf; p < buf + want; p += strlen(p) + 1) {
    count++;
    if (!strcmp(p, "security.three")) found = 1;
  }
  CHECK_EQ_INT(count, 5);
  CHECK(found);
  /* replace the value */
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "user.one", "uno", 3, 0), 0);
  CHECK_EQ_INT(dingofs_getxattr(h, "/f", "user.one", buf, sizeof buf), 3);
  CHECK(memcmp(buf, "uno", 3) == 0);
  CHECK_EQ_INT(dingofs_removexattr(h, "/f", "user.one"), 0);
  CHECK_EQ_INT(dingofs_removexattr(h, "/f", "user.one"), -ENODATA);
  CHECK_EQ_INT(dingofs_getxattr(h, "/f", "user.one", buf, sizeof buf), -ENODATA);
  CHECK_EQ_INT(dingofs_getxattr(h, "/missing", "user.one", buf, sizeof buf), -ENOENT);
  /* directories and symlink-following */
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  CHECK_EQ_INT(dingofs_setxattr(h, "/d", "user.dir", "d", 1, 0), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "f", "/l"), 0);
  CHECK_EQ_INT(dingofs_setxattr(h, "/l", "user.via", "v", 1, 0), 0);
  CHECK_EQ_INT(dingofs_getxattr(h, "/f", "user.via", buf, sizeof buf), 1);
  fs_close(h);
  /* persisted */
  h = fs_default();
  CHECK_EQ_INT(dingofs_getxattr(h, "/d", "user.dir", buf, sizeof buf), 1);
  CHECK_EQ_INT(dingofs_getxattr(h, "/f", "system.four", buf, sizeof buf), 4);
  CHECK_EQ_INT(dingofs_listxattr(h, "/f", NULL, 0),
               (long long)(sizeof "trusted.two" + sizeof "security.three" +
                           sizeof "system.four" + sizeof "user.empty" +
                           sizeof "user.via"));
  fs_close(h);
}

TEST(xattr_flags_names_and_sizes) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "", 0), 0);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "user.a", "1", 1, XATTR_REPLACE), -ENODATA);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "user.a", "1", 1, XATTR_CREATE), 0);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "user.a", "2", 1, XATTR_CREATE), -EEXIST);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "user.a", "3", 1, XATTR_REPLACE), 0);
  char buf[8];
  CHECK_EQ_INT(dingofs_getxattr(h, "/f", "user.a", buf, sizeof buf), 1);
  CHECK_EQ_INT(buf[0], '3');
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "user.a", "4", 1, 0x40), -EINVAL);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "nonsense.a", "1", 1, 0), -EOPNOTSUPP);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "noprefix", "1", 1, 0), -EOPNOTSUPP);
  CHECK_EQ_INT(dingofs_getxattr(h, "/f", "nonsense.a", buf, sizeof buf), -EOPNOTSUPP);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "", "1", 1, 0), -ERANGE);
  char name[300] = "user.";
  memset(name + 5, 'n', 250);
  name[255] = 0;
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", name, "1", 1, 0), 0);
  name[255] = 'n';
  name[256] = 0;
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", name, "1", 1, 0), -ERANGE);
  char* big = malloc(65537);
  REQUIRE(big != NULL);
  fill_pattern(big, 65537, 4);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "user.big", big, 65536, 0), 0);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "user.bigger", big, 65537, 0), -E2BIG);
  char* back = malloc(65536);
  REQUIRE(back != NULL);
  CHECK_EQ_INT(dingofs_getxattr(h, "/f", "user.big", back, 65536), 65536);
  CHECK(memcmp(big, back, 65536) == 0);
  free(big);
  free(back);
  fs_close(h);
}

/* ---------------------------------------------------------------------- */
/* Inode flags through ioctl                                               */
/* ---------------------------------------------------------------------- */

struct fsx28 {
  uint32_t xflags, extsize, nextents, projid, cowextsize;
  unsigned char pad[8];
};

TEST(ioctl_flags_round_trip_and_exact_sizes) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "", 0), 0);
  int fd = dingofs_open(h, "/f", O_RDONLY, 0);
  REQUIRE(fd >= 3);
  /* 8-byte set: only the low 32 bits are used */
  uint64_t v8 = 0xabcdef0000000000ull | FS_NODUMP_FL | FS_NOATIME_FL;
  CHECK_EQ_INT(dingofs_ioctl(h, fd, FS_IOC_SETFLAGS, &v8), 0);
  uint64_t g8 = ~0ull;
  CHECK_EQ_INT(dingofs_ioctl(h, fd, FS_IOC_GETFLAGS, &g8), 0);
  CHECK_EQ_INT(g8 & 0xffffffffull, FS_NODUMP_FL | FS_NOATIME_FL);
  /* 4-byte get writes exactly 4 bytes */
  unsigned char guard[8];
  memset(guard, 0xee, sizeof guard);
  CHECK_EQ_INT(dingofs_ioctl(h, fd, FS_IOC32_GETFLAGS, guard), 0);
  uint32_t got;
  memcpy(&got, guard, 4);
  CHECK_EQ_INT(got, FS_NODUMP_FL | FS_NOATIME_FL);
  for (int i = 4; i < 8; i++) CHECK_EQ_INT(guard[i], 0xee);
  /* arbitrary bits are stored verbatim */
  uint32_t v4 = FS_NODUMP_FL | FS_SYNC_FL | FS_NOCOW_FL | FS_PROJINHERIT_FL;
  CHECK_EQ_INT(dingofs_ioctl(h, fd, FS_IOC32_SETFLAGS, &v4), 0);
  got = 0;
  CHECK_EQ_INT(dingofs_ioctl(h, fd, FS_IOC32_GETFLAGS, &got), 0);
  CHECK_EQ_INT(got, v4);
  uint32_t iflags = 0;
  struct stat st;
  CHECK_EQ_INT(dingofs_x_stat(h, "/f", 0, &st, &iflags), 0);
  CHECK_EQ_INT(iflags, v4);
  /* FSGETXATTR: 28 bytes, matching FS_XFLAG bits */
  unsigned char x[40];
  memset(x, 0xee, sizeof x);
  CHECK_EQ_INT(dingofs_ioctl(h, fd, FS_IOC_FSGETXATTR, x), 0);
  for (int i = 28; i < 40; i++) CHECK_EQ_INT(x[i], 0xee);
  struct fsx28 fx;
  memcpy(&fx, x, 28);
  CHECK(fx.xflags & FS_XFLAG_NODUMP);
  CHECK(fx.xflags & FS_XFLAG_SYNC);
  CHECK(!(fx.xflags & FS_XFLAG_IMMUTABLE));
  CHECK(!(fx.xflags & FS_XFLAG_APPEND));
  /* unsupported commands */
  CHECK_EQ_INT(dingofs_ioctl(h, fd, FS_IOC_FSSETXATTR, x), -EOPNOTSUPP);
  CHECK_EQ_INT(dingofs_ioctl(h, fd, 0x5401 /* TCGETS */, x), -EOPNOTSUPP);
  CHECK_EQ_INT(dingofs_ioctl(h, fd, 0x541B /* FIONREAD */, x), -EOPNOTSUPP);
  CHECK_EQ_INT(dingofs_ioctl(h, fd, _IOR('f', 99, int), x), -EOPNOTSUPP);
  CHECK_EQ_INT(dingofs_ioctl(h, 9999, FS_IOC_GETFLAGS, &g8), -EBADF);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  fs_close(h);
  /* persisted */
  h = fs_default();
  iflags = 0;
  CHECK_EQ_INT(dingofs_x_stat(h, "/f", 0, &st, &iflags), 0);
  CHECK_EQ_INT(iflags, v4);
  fs_close(h);
}

static int set_flags(uintptr_t h, const char* p, uint32_t fl) {
  int fd = dingofs_open(h, p, O_RDONLY, 0);
  if (fd < 0) return fd;
  int rc = dingofs_ioctl(h, fd, FS_IOC32_SETFLAGS, &fl);
  dingofs_close(h, fd);
  return rc;
}

TEST(ioctl_immutable_is_enforced) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "frozen", 6), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  REQUIRE_EQ_INT(put_file(h, "/d/inside", "", 0), 0);
  int wfd = dingofs_open(h, "/f", O_WRONLY, 0);
  REQUIRE(wfd >= 3);
  REQUIRE_EQ_INT(set_flags(h, "/f", FS_IMMUTABLE_FL), 0);
  REQUIRE_EQ_INT(set_flags(h, "/d", FS_IMMUTABLE_FL), 0);
  unsigned char x[28];
  int rfd = dingofs_open(h, "/f", O_RDONLY, 0);
  REQUIRE(rfd >= 3);
  CHECK_EQ_INT(dingofs_ioctl(h, rfd, FS_IOC_FSGETXATTR, x), 0);
  uint32_t xf;
  memcpy(&xf, x, 4);
  CHECK(xf & FS_XFLAG_IMMUTABLE);
  CHECK_EQ_INT(dingofs_pwrite(h, wfd, "x", 1, 0), -EPERM);
  CHECK_EQ_INT(dingofs_ftruncate(h, wfd, 0), -EPERM);
  CHECK_EQ_INT(dingofs_open(h, "/f", O_WRONLY, 0), -EPERM);
  CHECK_EQ_INT(dingofs_open(h, "/f", O_RDONLY | O_TRUNC, 0), -EPERM);
  CHECK_EQ_INT(dingofs_truncate(h, "/f", 0), -EPERM);
  CHECK_EQ_INT(dingofs_rename(h, "/f", "/g"), -EPERM);
  CHECK_EQ_INT(dingofs_unlink(h, "/f"), -EPERM);
  CHECK_EQ_INT(dingofs_link(h, "/f", "/g"), -EPERM);
  CHECK_EQ_INT(dingofs_chmod(h, "/f", 0600), -EPERM);
  CHECK_EQ_INT(dingofs_chown(h, "/f", 1, 1), -EPERM);
  CHECK_EQ_INT(dingofs_utimes(h, "/f", NULL), -EPERM);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "user.a", "1", 1, 0), -EPERM);
  CHECK_EQ_INT(dingofs_x_fallocate(h, wfd, 0, 0, 4096), -EPERM);
  /* an immutable directory accepts no entry changes */
  CHECK_EQ_INT(put_file(h, "/d/new", "", 0), -EPERM);
  CHECK_EQ_INT(dingofs_unlink(h, "/d/inside"), -EPERM);
  CHECK_EQ_INT(dingofs_mkdir(h, "/d/sub", 0755), -EPERM);
  CHECK_EQ_INT(dingofs_rmdir(h, "/d"), -EPERM);
  /* reading still works */
  char buf[8];
  CHECK_EQ_INT(dingofs_pread(h, rfd, buf, 8, 0), 6);
  /* clearing the flag restores everything */
  REQUIRE_EQ_INT(set_flags(h, "/f", 0), 0);
  REQUIRE_EQ_INT(set_flags(h, "/d", 0), 0);
  CHECK_EQ_INT(dingofs_pwrite(h, wfd, "F", 1, 0), 1);
  CHECK_EQ_INT(dingofs_close(h, wfd), 0);
  CHECK_EQ_INT(dingofs_close(h, rfd), 0);
  CHECK(file_equals(h, "/f", "Frozen", 6));
  CHECK_EQ_INT(dingofs_unlink(h, "/d/inside"), 0);
  CHECK_EQ_INT(dingofs_unlink(h, "/f"), 0);
  fs_close(h);
}

TEST(ioctl_append_only_is_enforced) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/log", "abc", 3), 0);
  REQUIRE_EQ_INT(set_flags(h, "/log", FS_APPEND_FL), 0);
  CHECK_EQ_INT(dingofs_open(h, "/log", O_WRONLY, 0), -EPERM);
  CHECK_EQ_INT(dingofs_open(h, "/log", O_WRONLY | O_APPEND | O_TRUNC, 0), -EPERM);
  CHECK_EQ_INT(dingofs_truncate(h, "/log", 1), -EPERM);
  CHECK_EQ_INT(dingofs_rename(h, "/log", "/log2"), -EPERM);
  CHECK_EQ_INT(dingofs_unlink(h, "/log"), -EPERM);
  int fd = dingofs_open(h, "/log", O_WRONLY | O_APPEND, 0);
  REQUIRE(fd >= 3);
  CHECK_EQ_INT(dingofs_write(h, fd, "de", 2), 2);
  CHECK_EQ_INT(dingofs_pwrite(h, fd, "f", 1, 0), 1);
  CHECK_EQ_INT(dingofs_ftruncate(h, fd, 0), -EPERM);
  CHECK_EQ_INT(dingofs_x_fallocate(h, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 2),
               -EPERM);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  CHECK(file_equals(h, "/log", "abcdef", 6));
  REQUIRE_EQ_INT(set_flags(h, "/log", 0), 0);
  CHECK_EQ_INT(dingofs_unlink(h, "/log"), 0);
  fs_close(h);
}

/* ---------------------------------------------------------------------- */
/* statfs                                                                  */
/* ---------------------------------------------------------------------- */

TEST(statfs_defaults_and_usage) {
  uintptr_t h = fs_default();
  dingofs_statfs_t s0, s1, s2, s3, s4;
  REQUIRE_EQ_INT(dingofs_statfs(h, &s0), 0);
  CHECK_EQ_INT(s0.used_inodes, 1);
  CHECK_EQ_INT(s0.total_inodes, 1ll << 40);
  struct statvfs vfs;
  char dat[700];
  snprintf(dat, sizeof dat, "%s", tt_base);
  REQUIRE(statvfs(dat, &vfs) == 0);
  long long disk = (long long)vfs.f_blocks * (long long)vfs.f_frsize;
  CHECK(s0.total_bytes > disk - disk / 100 && s0.total_bytes < disk + disk / 100);
  CHECK(s0.used_bytes >= 0 && s0.used_bytes < 65536);
  char* mb = malloc(1 << 20);
  REQUIRE(mb != NULL);
  fill_pattern(mb, 1 << 20, 1);
  REQUIRE_EQ_INT(put_file(h, "/mb", mb, 1 << 20), 0);
  free(mb);
  REQUIRE_EQ_INT(dingofs_statfs(h, &s1), 0);
  CHECK(s1.used_bytes - s0.used_bytes >= (1 << 20));
  CHECK(s1.used_bytes - s0.used_bytes <= (1 << 20) + 65536);
  CHECK_EQ_INT(s1.used_inodes, 2);
  /* a sparse file counts only what it stores */
  int fd = dingofs_open(h, "/sparse", O_WRONLY | O_CREAT, 0644);
  REQUIRE(fd >= 3);
  CHECK_EQ_INT(dingofs_pwrite(h, fd, "x", 1, 100 << 20), 1);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  REQUIRE_EQ_INT(dingofs_statfs(h, &s2), 0);
  CHECK(s2.used_bytes - s1.used_bytes >= 1);
  CHECK(s2.used_bytes - s1.used_bytes <= 65536);
  /* symlinks count their target */
  char target[201];
  memset(target, 't', 200);
  target[200] = 0;
  REQUIRE_EQ_INT(dingofs_symlink(h, target, "/sl"), 0);
  REQUIRE_EQ_INT(dingofs_statfs(h, &s3), 0);
  CHECK(s3.used_bytes - s2.used_bytes >= 200);
  CHECK(s3.used_bytes - s2.used_bytes <= 8192);
  CHECK_EQ_INT(s3.used_inodes, 4);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  CHECK_EQ_INT(dingofs_unlink(h, "/mb"), 0);
  CHECK_EQ_INT(dingofs_unlink(h, "/sparse"), 0);
  CHECK_EQ_INT(dingofs_unlink(h, "/sl"), 0);
  REQUIRE_EQ_INT(dingofs_statfs(h, &s4), 0);
  CHECK_EQ_INT(s4.used_inodes, 2);
  CHECK(s4.used_bytes <= s0.used_bytes + 4096);
  fs_close(h);
}

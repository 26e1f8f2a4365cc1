/* Addressing, mount parameters, read-only mounts, limits, on-disk layout,
 * format version. */
#include <dirent.h>
#include <sqlite3.h>
#include <ftw.h>
#include <strings.h>

#include "helpers.h"

static int try_addr(const char* addr, const char* fsname) {
  uintptr_t h = dingofs_new();
  int rc = dingofs_mount_nolog(h, addr, fsname, "/m");
  dingofs_delete(h);
  return rc;
}

static int try_name(const char* name) {
  char addr[1024];
  snprintf(addr, sizeof addr, "local://%s?base=%s", name, tt_base);
  return try_addr(addr, "");
}

TEST(mount_name_rules) {
  CHECK_EQ_INT(try_name(""), -EINVAL);
  CHECK_EQ_INT(try_name(".hidden"), -EINVAL);
  CHECK_EQ_INT(try_name("."), -EINVAL);
  CHECK_EQ_INT(try_name(".."), -EINVAL);
  CHECK_EQ_INT(try_name("a/b"), -EINVAL);
  CHECK_EQ_INT(try_name("a b"), -EINVAL);
  CHECK_EQ_INT(try_name("a:b"), -EINVAL);
  CHECK_EQ_INT(try_name("caf\xc3\xa9"), -EINVAL);
  char n65[66], n64[65];
  memset(n65, 'n', 65);
  n65[65] = 0;
  memset(n64, 'n', 64);
  n64[64] = 0;
  CHECK_EQ_INT(try_name(n65), -EINVAL);
  CHECK_EQ_INT(try_name(n64), 0);
  CHECK_EQ_INT(try_name("A-z_0.9"), 0);
  CHECK_EQ_INT(try_name("x"), 0);
}

TEST(mount_fsname_must_match_or_be_empty) {
  char addr[1024];
  fs_addr(addr, sizeof addr, "alpha", NULL);
  CHECK_EQ_INT(try_addr(addr, "beta"), -EINVAL);
  CHECK_EQ_INT(try_addr(addr, "alpha"), 0);
  CHECK_EQ_INT(try_addr(addr, ""), 0);
  uintptr_t h = dingofs_new();
  REQUIRE_EQ_INT(dingofs_conf_set(h, "log.dir", tt_base), 0);
  CHECK_EQ_INT(dingofs_mount_nolog(h, NULL, "alpha", "/m"), -EINVAL);
  CHECK_EQ_INT(dingofs_mount(h, NULL, "alpha", "/m"), -EINVAL);
  /* the label may be anything */
  CHECK_EQ_INT(dingofs_mount_nolog(h, addr, "alpha", "no such dir/at all"), 0);
  fs_close(h);
}

TEST(mount_unknown_query_parameter_is_einval) {
  char addr[1024];
  snprintf(addr, sizeof addr, "local://q?base=%s&colour=blue", tt_base);
  CHECK_EQ_INT(try_addr(addr, "q"), -EINVAL);
  snprintf(addr, sizeof addr, "local://q?base=%s&create=maybe", tt_base);
  CHECK_EQ_INT(try_addr(addr, "q"), -EINVAL);
  snprintf(addr, sizeof addr, "local://q?base=%s&capacity=lots", tt_base);
  CHECK_EQ_INT(try_addr(addr, "q"), -EINVAL);
}

static int log_mentions(const char* dir, const char* needle) {
  DIR* d = opendir(dir);
  if (!d) return 0;
  struct dirent* e;
  int hit = 0;
  while (!hit && (e = readdir(d))) {
    if (strncmp(e->d_name, "dingofs-", 8)) continue;
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    FILE* f = fopen(p, "r");
    if (!f) continue;
    char line[4096];
    while (!hit && fgets(line, sizeof line, f))
      if (strcasestr(line, needle)) hit = 1;
    fclose(f);
  }
  closedir(d);
  return hit;
}

TEST(mount_cluster_address_is_eprotonosupport_with_log_line) {
  CHECK_EQ_INT(try_addr("127.0.0.1:6700", "fs"), -EPROTONOSUPPORT);
  CHECK_EQ_INT(try_addr("10.0.0.1:6700,10.0.0.2:6700", "fs"), -EPROTONOSUPPORT);
  CHECK_EQ_INT(try_addr("file:///tmp/x", "fs"), -EPROTONOSUPPORT);
  CHECK_EQ_INT(try_addr("", ""), -EINVAL);
  char logdir[600];
  snprintf(logdir, sizeof logdir, "%s/logs", tt_base);
  REQUIRE(mkdir(logdir, 0755) == 0);
  uintptr_t h = dingofs_new();
  REQUIRE_EQ_INT(dingofs_conf_set(h, "log.dir", logdir), 0);
  CHECK_EQ_INT(dingofs_mount(h, "127.0.0.1:6700", "fs", "/m"), -EPROTONOSUPPORT);
  CHECK(log_mentions(logdir, "embedded"));
  /* the handle is still unmounted and usable for a local mount */
  CHECK_EQ_INT(fs_try_mount(h, FSNAME, NULL), 0);
  fs_close(h);
}

TEST(mount_create_0) {
  uintptr_t h = dingofs_new();
  CHECK_EQ_INT(fs_try_mount(h, "nofs", "create=0"), -ENOENT);
  dingofs_delete(h);
  char p[700];
  snprintf(p, sizeof p, "%s/meta/nofs", tt_base);
  struct stat st;
  CHECK(stat(p, &st) != 0); /* nothing was created */
  h = fs_open("nofs", "create=1");
  CHECK_EQ_INT(put_file(h, "/x", "1", 1), 0);
  fs_close(h);
  h = fs_open("nofs", "create=0");
  CHECK(file_equals(h, "/x", "1", 1));
  fs_close(h);
}

TEST(mount_read_only_rejects_every_change) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/f", "data", 4), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/d", 0755), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "f", "/s"), 0);
  REQUIRE_EQ_INT(dingofs_setxattr(h, "/f", "user.k", "v", 1, 0), 0);
  fs_close(h);
  h = fs_open(FSNAME, "ro=1");
  CHECK_EQ_INT(dingofs_open(h, "/f", O_WRONLY, 0), -EROFS);
  CHECK_EQ_INT(dingofs_open(h, "/f", O_RDWR, 0), -EROFS);
  CHECK_EQ_INT(dingofs_open(h, "/f", O_RDONLY | O_TRUNC, 0), -EROFS);
  CHECK_EQ_INT(dingofs_open(h, "/new", O_WRONLY | O_CREAT, 0644), -EROFS);
  CHECK_EQ_INT(dingofs_mkdir(h, "/d2", 0755), -EROFS);
  CHECK_EQ_INT(dingofs_mkdirs(h, "/d3/d4", 0755), -EROFS);
  CHECK_EQ_INT(dingofs_rmdir(h, "/d"), -EROFS);
  CHECK_EQ_INT(dingofs_unlink(h, "/f"), -EROFS);
  CHECK_EQ_INT(dingofs_rename(h, "/f", "/g"), -EROFS);
  CHECK_EQ_INT(dingofs_link(h, "/f", "/g"), -EROFS);
  CHECK_EQ_INT(dingofs_symlink(h, "f", "/s2"), -EROFS);
  CHECK_EQ_INT(dingofs_chmod(h, "/f", 0600), -EROFS);
  CHECK_EQ_INT(dingofs_chown(h, "/f", 1, 1), -EROFS);
  CHECK_EQ_INT(dingofs_truncate(h, "/f", 0), -EROFS);
  CHECK_EQ_INT(dingofs_utimes(h, "/f", NULL), -EROFS);
  CHECK_EQ_INT(dingofs_setxattr(h, "/f", "user.k", "w", 1, 0), -EROFS);
  CHECK_EQ_INT(dingofs_removexattr(h, "/f", "user.k"), -EROFS);
  CHECK_EQ_INT(dingofs_x_mknod(h, "/p", S_IFIFO | 0644, 0), -EROFS);
  CHECK_EQ_INT(dingofs_x_utimens(h, "/f", NULL, 0), -EROFS);
  CHECK_EQ_INT(dingofs_x_rename2(h, "/f", "/d", DINGOFS_X_RENAME_EXCHANGE), -EROFS);
  CHECK_EQ_INT(dingofs_x_lchown(h, "/s", 1, 1), -EROFS);
  int fd = dingofs_open(h, "/f", O_RDONLY, 0);
  REQUIRE(fd >= 3);
  char buf[8];
  CHECK_EQ_INT(dingofs_read(h, fd, buf, 8), 4);
  /* The fd is read-only (the only kind a read-only mount gives out), so
   * both the read-only-mount rule and the fd-direction rule apply. */
  int rc = dingofs_ftruncate(h, fd, 0);
  CHECK(rc == -EROFS || rc == -EINVAL);
  rc = dingofs_x_fallocate(h, fd, 0, 0, 100);
  CHECK(rc == -EROFS || rc == -EBADF);
  CHECK_EQ_INT(dingofs_x_fchmod(h, fd, 0600), -EROFS);
  CHECK_EQ_INT(dingofs_x_fchown(h, fd, 1, 1), -EROFS);
  uint64_t fl = FS_NODUMP_FL;
  CHECK_EQ_INT(dingofs_ioctl(h, fd, FS_IOC_SETFLAGS, &fl), -EROFS);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  /* reads still work */
  CHECK(file_equals(h, "/f", "data", 4));
  CHECK_EQ_INT(dingofs_getxattr(h, "/f", "user.k", buf, sizeof buf), 1);
  char names[8][256];
  CHECK_EQ_INT(list_names(h, "/", names, 8), 3);
  fs_close(h);
  /* nothing changed */
  h = fs_default();
  CHECK(file_equals(h, "/f", "data", 4));
  CHECK(!path_exists(h, "/new"));
  fs_close(h);
}

TEST(mount_capacity_limit_enospc_and_persisted) {
  uintptr_t h = fs_open("cap", "capacity=1048576");
  dingofs_statfs_t sf;
  REQUIRE_EQ_INT(dingofs_statfs(h, &sf), 0);
  CHECK_EQ_INT(sf.total_bytes, 1048576);
  int fd = dingofs_open(h, "/big", O_WRONLY | O_CREAT, 0644);
  REQUIRE(fd >= 3);
  static char chunk[65536];
  fill_pattern(chunk, sizeof chunk, 3);
  long long total = 0;
  int rc = 0;
  for (int i = 0; i < 40; i++) {
    ssize_t w = dingofs_write(h, fd, chunk, sizeof chunk);
    if (w < 0) {
      rc = (int)w;
      break;
    }
    total += w;
    if (w < (ssize_t)sizeof chunk) {
      w = dingofs_write(h, fd, chunk, sizeof chunk);
      rc = w < 0 ? (int)w : 0;
      break;
    }
  }
  if (rc == 0) rc = dingofs_fsync(h, fd, 0);
  if (rc == 0) rc = dingofs_close(h, fd);
  else dingofs_close(h, fd);
  CHECK_EQ_INT(rc, -ENOSPC);
  CHECK(total <= 1048576);
  CHECK(total >= 1048576 / 2);
  REQUIRE_EQ_INT(dingofs_statfs(h, &sf), 0);
  CHECK(sf.used_bytes <= 1048576);
  /* freeing space makes writes possible again */
  CHECK_EQ_INT(dingofs_unlink(h, "/big"), 0);
  CHECK_EQ_INT(put_file(h, "/small", chunk, 4096), 0);
  fs_close(h);
  /* the limit is persisted; a parameter at a later mount does not change it */
  h = fs_open("cap", NULL);
  REQUIRE_EQ_INT(dingofs_statfs(h, &sf), 0);
  CHECK_EQ_INT(sf.total_bytes, 1048576);
  fs_close(h);
}

TEST(mount_inodes_limit_enospc_and_persisted) {
  uintptr_t h = fs_open("ino", "inodes=10");
  dingofs_statfs_t sf;
  REQUIRE_EQ_INT(dingofs_statfs(h, &sf), 0);
  CHECK_EQ_INT(sf.total_inodes, 10);
  CHECK_EQ_INT(sf.used_inodes, 1);
  char p[32];
  for (int i = 0; i < 9; i++) {
    snprintf(p, sizeof p, "/f%d", i);
    CHECK_EQ_INT(put_file(h, p, "", 0), 0);
  }
  CHECK_EQ_INT(dingofs_open(h, "/one_more", O_WRONLY | O_CREAT, 0644), -ENOSPC);
  CHECK_EQ_INT(dingofs_mkdir(h, "/dir", 0755), -ENOSPC);
  CHECK_EQ_INT(dingofs_symlink(h, "x", "/sl"), -ENOSPC);
  CHECK_EQ_INT(dingofs_x_mknod(h, "/fifo", S_IFIFO | 0644, 0), -ENOSPC);
  /* a hard link takes no inode */
  CHECK_EQ_INT(dingofs_link(h, "/f0", "/f0link"), 0);
  REQUIRE_EQ_INT(dingofs_statfs(h, &sf), 0);
  CHECK_EQ_INT(sf.used_inodes, 10);
  CHECK_EQ_INT(dingofs_unlink(h, "/f1"), 0);
  CHECK_EQ_INT(dingofs_mkdir(h, "/dir", 0755), 0);
  fs_close(h);
  h = fs_open("ino", NULL);
  REQUIRE_EQ_INT(dingofs_statfs(h, &sf), 0);
  CHECK_EQ_INT(sf.total_inodes, 10);
  CHECK_EQ_INT(sf.used_inodes, 10);
  fs_close(h);
}

TEST(mount_base_from_environment) {
  REQUIRE(setenv("DINGOFS_BASE_DIR", tt_base, 1) == 0);
  uintptr_t h = dingofs_new();
  CHECK_EQ_INT(dingofs_mount_nolog(h, "local://envfs", "envfs", "/m"), 0);
  CHECK_EQ_INT(put_file(h, "/x", "1", 1), 0);
  fs_close(h);
  char p[700];
  struct stat st;
  snprintf(p, sizeof p, "%s/meta/envfs", tt_base);
  CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
  /* base= wins over the environment */
  char other[600];
  snprintf(other, sizeof other, "%s/other", tt_base);
  REQUIRE(mkdir(other, 0700) == 0);
  char addr[800];
  snprintf(addr, sizeof addr, "local://envfs2?base=%s", other);
  h = dingofs_new();
  CHECK_EQ_INT(dingofs_mount_nolog(h, addr, "", "/m"), 0);
  fs_close(h);
  snprintf(p, sizeof p, "%s/meta/envfs2", other);
  CHECK(stat(p, &st) == 0);
  snprintf(p, sizeof p, "%s/meta/envfs2", tt_base);
  CHECK(stat(p, &st) != 0);
}

static int bad_mode_count;
static int check_mode(const char* path, const struct stat* sb, int flag,
                      struct FTW* ftw) {
  (void)ftw;
  if (flag == FTW_D && (sb->st_mode & 07777) != 0700) {
    fprintf(stderr, "  directory %s has mode %o\n", path, sb->st_mode & 07777);
    bad_mode_count++;
  }
  if (flag == FTW_F && S_ISREG(sb->st_mode) && (sb->st_mode & 07777) != 0600) {
    fprintf(stderr, "  file %s has mode %o\n", path, sb->st_mode & 07777);
    bad_mode_count++;
  }
  return 0;
}

TEST(on_disk_layout_and_modes) {
  uintptr_t h = fs_open("lay", NULL);
  char data[200000];
  fill_pattern(data, sizeof data, 11);
  CHECK_EQ_INT(put_file(h, "/file", data, sizeof data), 0);
  CHECK_EQ_INT(dingofs_mkdir(h, "/sub", 0777), 0);
  fs_close(h);
  char meta[700], dat[700];
  snprintf(meta, sizeof meta, "%s/meta/lay", tt_base);
  snprintf(dat, sizeof dat, "%s/data/lay", tt_base);
  CHECK(host_count_files(meta) >= 1);
  CHECK(host_count_files(dat) >= 1);
  bad_mode_count = 0;
  char p[700];
  snprintf(p, sizeof p, "%s/meta", tt_base);
  nftw(p, check_mode, 16, FTW_PHYS);
  snprintf(p, sizeof p, "%s/data", tt_base);
  nftw(p, check_mode, 16, FTW_PHYS);
  CHECK_EQ_INT(bad_mode_count, 0);
}

TEST(storage_path_puts_data_elsewhere) {
  char dpath[600];
  snprintf(dpath, sizeof dpath, "%s/elsewhere", tt_base);
  char q[800];
  snprintf(q, sizeof q, "storage=file&path=%s", dpath);
  uintptr_t h = fs_open("sp", q);
  char data[100000];
  fill_pattern(data, sizeof data, 5);
  CHECK_EQ_INT(put_file(h, "/file", data, sizeof data), 0);
  fs_close(h);
  CHECK(host_count_files(dpath) >= 1);
  char dat[700];
  snprintf(dat, sizeof dat, "%s/data/sp", tt_base);
  CHECK(host_count_files(dat) <= 0);
  h = fs_open("sp", q);
  CHECK(file_equals(h, "/file", data, sizeof data));
  fs_close(h);
}

/* Make the stored format version newer than any library knows. The engine
 * keeps its metadata in a SQLite database under <base>/meta/<NAME>/. */
static int bump_version_in_db(const char* dbpath) {
  sqlite3* db = NULL;
  if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
    sqlite3_close(db);
    return 0;
  }
  sqlite3_busy_timeout(db, 5000);
  int changed = 0;
  sqlite3_stmt* st = NULL;
  char tables[64][128];
  int nt = 0;
  if (sqlite3_prepare_v2(db,
                         "SELECT name FROM sqlite_master WHERE type='table' "
                         "AND name NOT LIKE 'sqlite_%'",
                         -1, &st, NULL) == SQLITE_OK) {
    while (nt < 64 && sqlite3_step(st) == SQLITE_ROW)
      snprintf(tables[nt++], 128, "%s", sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  for (int t = 0; t < nt; t++) {
    char sql[512];
    snprintf(sql, sizeof sql, "PRAGMA table_info(\"%s\")", tables[t]);
    char cols[32][128];
    int nc = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK)
      while (nc < 32 && sqlite3_step(st) == SQLITE_ROW)
        snprintf(cols[nc++], 128, "%s", sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
    const char* keycol = NULL;
    const char* valcol = NULL;
    for (int c = 0; c < nc; c++) {
      if (!strcasecmp(cols[c], "key") || !strcasecmp(cols[c], "name") ||
          !strcasecmp(cols[c], "k"))
        keycol = cols[c];
      if (!strcasecmp(cols[c], "value") || !strcasecmp(cols[c], "val") ||
          !strcasecmp(cols[c], "v"))
        valcol = cols[c];
    }
    if (keycol && valcol) {
      snprintf(sql, sizeof sql,
               "UPDATE \"%s\" SET \"%s\" = CAST(\"%s\" AS INTEGER) + 1000 "
               "WHERE \"%s\" LIKE '%%version%%'",
               tables[t], valcol, valcol, keycol);
      if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
        changed += sqlite3_changes(db);
      continue;
    }
    for (int c = 0; c < nc; c++) {
      if (!strcasestr(cols[c], "format_version") &&
          !(strcasestr(tables[t], "format") || strcasestr(tables[t], "super") ||
            strcasestr(tables[t], "meta") || strcasestr(tables[t], "setting") ||
            strcasestr(tables[t], "schema")))
        continue;
      if (!strcasestr(cols[c], "version")) continue;
      snprintf(sql, sizeof sql,
               "UPDATE \"%s\" SET \"%s\" = CAST(\"%s\" AS INTEGER) + 1000",
               tables[t], cols[c], cols[c]);
      if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
        changed += sqlite3_changes(db);
    }
  }
  /* PRAGMA user_version, when the engine uses it */
  int uv = 0;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    uv = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (uv > 0) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", uv + 1000);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK) changed++;
  }
  sqlite3_close(db);
  return changed;
}

static int bump_format_version(const char* metadir) {
  DIR* d = opendir(metadir);
  if (!d) return 0;
  struct dirent* e;
  int changed = 0;
  while ((e = readdir(d))) {
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", metadir, e->d_name);
    FILE* f = fopen(p, "rb");
    if (!f) continue;
    char hdr[16] = {0};
    size_t n = fread(hdr, 1, 16, f);
    fclose(f);
    if (n == 16 && !memcmp(hdr, "SQLite format 3", 16)) changed += bump_version_in_db(p);
  }
  closedir(d);
  return changed;
}

TEST(newer_format_version_is_eproto) {
  uintptr_t h = fs_open("fmt", NULL);
  CHECK_EQ_INT(put_file(h, "/x", "1", 1), 0);
  fs_close(h);
  char meta[700];
  snprintf(meta, sizeof meta, "%s/meta/fmt", tt_base);
  REQUIRE(bump_format_version(meta) > 0);
  char logdir[600];
  snprintf(logdir, sizeof logdir, "%s/logs", tt_base);
  REQUIRE(mkdir(logdir, 0755) == 0);
  h = dingofs_new();
  REQUIRE_EQ_INT(dingofs_conf_set(h, "log.dir", logdir), 0);
  char addr[1024];
  fs_addr(addr, sizeof addr, "fmt", NULL);
  CHECK_EQ_INT(dingofs_mount(h, addr, "fmt", "/m"), -EPROTO);
  CHECK(log_mentions(logdir, "version"));
  struct stat st;
  CHECK_EQ_INT(dingofs_stat(h, "/", &st), -ENOTCONN);
  dingofs_delete(h);
  /* also the checker refuses it rather than "repairing" it */
  CHECK(dingofs_x_fsck(addr, DINGOFS_X_FSCK_REPAIR, NULL) < 0);
}

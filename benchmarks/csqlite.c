/*
 * csqlite.c - the floor SQLite sets under one metadata change: unlink and
 * setxattr through plain POSIX calls on a directory, through libdingofs on a
 * local:// filesystem of the same disk, and as the smallest SQLite write
 * transaction that could record the same change (a database made like the
 * engine's metadata store: 1 KiB pages, WAL, synchronous=NORMAL, incremental
 * auto-vacuum).
 *
 *   csqlite BASE_DIR OPS ROUNDS
 *
 * The bare transactions are, for unlink,
 *   BEGIN IMMEDIATE; DELETE a (parent, name) row; DELETE an inode row; COMMIT
 * and for setxattr
 *   BEGIN IMMEDIATE; INSERT OR REPLACE an (ino, name) row; UPDATE the inode's
 *   ctime; COMMIT
 * with prepared statements and the journal copied back outside the timed loop,
 * so they cost less than any store that also keeps a change sequence, checks
 * permissions or frees inline data. Every round times OPS calls of each of the
 * three sides, in an order that rotates from round to round, on files made
 * (untimed) for that round. Prints one JSON object, microseconds per call, each
 * the median over the rounds with min and max:
 *   {"unlink": {"posix": [median, min, max], "sqlite": [...], "engine": [...]},
 *    "setxattr": {...}}
 * A side that cannot run here (e.g. no user xattrs on the host filesystem)
 * is null. Exit status 1 when a call fails.
 */
#define _GNU_SOURCE
#include <dingofs/libdingofs.h>

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#define MAX_ROUNDS 31
#define SIDES 3

enum { POSIX, SQLITE, ENGINE };
static const char* const kSide[SIDES] = {"posix", "sqlite", "engine"};
static const char kValue[] = "value-0123456789";

static uintptr_t h;
static sqlite3* db;
static sqlite3_stmt *begin_st, *commit_st, *del_dentry, *del_inode, *put_xattr, *touch_inode;
static char host_root[600];
static int ops;

static void die(const char* what, const char* detail) {
  fprintf(stderr, "csqlite: %s: %s\n", what, detail);
  exit(1);
}

static void exec_sql(const char* sql) {
  char* err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) die(sql, err ? err : "?");
}

static void prepare(sqlite3_stmt** st, const char* sql) {
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
    die(sql, sqlite3_errmsg(db));
}

static void step(sqlite3_stmt* st) {
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) die("step", sqlite3_errmsg(db));
  sqlite3_reset(st);
}

static void open_db(const char* base) {
  char path[700];
  snprintf(path, sizeof path, "%s/floor.db", base);
  if (sqlite3_open(path, &db) != SQLITE_OK) die(path, sqlite3_errmsg(db));
  exec_sql("PRAGMA page_size=1024; PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL;"
           " PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;"
           "CREATE TABLE IF NOT EXISTS inodes(ino INTEGER PRIMARY KEY, mode INTEGER, uid INTEGER,"
           " gid INTEGER, size INTEGER, atime INTEGER, mtime INTEGER, ctime INTEGER);"
           "CREATE TABLE IF NOT EXISTS dentries(parent INTEGER NOT NULL, name BLOB NOT NULL,"
           " ino INTEGER NOT NULL, PRIMARY KEY(parent, name)) WITHOUT ROWID;"
           "CREATE TABLE IF NOT EXISTS xattrs(ino INTEGER NOT NULL, name BLOB NOT NULL,"
           " value BLOB NOT NULL, PRIMARY KEY(ino, name)) WITHOUT ROWID;");
  prepare(&begin_st, "BEGIN IMMEDIATE");
  prepare(&commit_st, "COMMIT");
  prepare(&del_dentry, "DELETE FROM dentries WHERE parent = ?1 AND name = ?2");
  prepare(&del_inode, "DELETE FROM inodes WHERE ino = ?1");
  prepare(&put_xattr, "INSERT OR REPLACE INTO xattrs(ino, name, value) VALUES(?1, ?2, ?3)");
  prepare(&touch_inode, "UPDATE inodes SET ctime = ?2 WHERE ino = ?1");
}

/* One directory's worth of rows in the database: inode r*ops+i, name f<i>. */
static void fill_db(int round) {
  sqlite3_stmt *ins_inode, *ins_dentry;
  prepare(&ins_inode, "INSERT INTO inodes VALUES(?1, 33188, 0, 0, 0, 0, 0, 0)");
  prepare(&ins_dentry, "INSERT INTO dentries VALUES(?1, ?2, ?3)");
  exec_sql("BEGIN");
  char name[32];
  for (int i = 0; i < ops; i++) {
    sqlite3_int64 ino = (sqlite3_int64)round * ops + i + 2;
    int n = snprintf(name, sizeof name, "f%d", i);
    sqlite3_bind_int64(ins_inode, 1, ino);
    step(ins_inode);
    sqlite3_bind_int64(ins_dentry, 1, round + 1);
    sqlite3_bind_blob(ins_dentry, 2, name, n, SQLITE_TRANSIENT);
    sqlite3_bind_int64(ins_dentry, 3, ino);
    step(ins_dentry);
  }
  exec_sql("COMMIT");
  sqlite3_finalize(ins_inode);
  sqlite3_finalize(ins_dentry);
  exec_sql("PRAGMA wal_checkpoint(TRUNCATE)");
}

/* Files for one round on the host and on the engine: <dir>/f<i>, empty. */
static void make_files(int round) {
  char dir[700], path[760];
  snprintf(dir, sizeof dir, "%s/r%d", host_root, round);
  if (mkdir(dir, 0755) != 0) die(dir, strerror(errno));
  for (int i = 0; i < ops; i++) {
    snprintf(path, sizeof path, "%s/f%d", dir, i);
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0 || close(fd) != 0) die(path, strerror(errno));
  }
  snprintf(dir, sizeof dir, "/r%d", round);
  int rc = dingofs_mkdir(h, dir, 0755);
  if (rc != 0) die(dir, strerror(-rc));
  for (int i = 0; i < ops; i++) {
    snprintf(path, sizeof path, "%s/f%d", dir, i);
    int fd = dingofs_open(h, path, O_CREAT | O_WRONLY, 0644);
    if (fd < 0) die(path, strerror(-fd));
    rc = dingofs_close(h, fd);
    if (rc != 0) die(path, strerror(-rc));
  }
}

/* Microseconds per call of one side's setxattr (xattr=1) or unlink (xattr=0). */
static double run_side(int side, int xattr, int round) {
  char path[760];
  double t0 = now_s();
  for (int i = 0; i < ops; i++) {
    sqlite3_int64 ino = (sqlite3_int64)round * ops + i + 2;
    switch (side) {
      case POSIX:
        snprintf(path, sizeof path, "%s/r%d/f%d", host_root, round, i);
        if (xattr) {
          if (setxattr(path, "user.k", kValue, sizeof kValue - 1, 0) != 0) {
            if (errno == ENOTSUP && i == 0) return -1;
            die(path, strerror(errno));
          }
        } else if (unlink(path) != 0) {
          die(path, strerror(errno));
        }
        break;
      case SQLITE:
        step(begin_st);
        if (xattr) {
          sqlite3_bind_int64(put_xattr, 1, ino);
          sqlite3_bind_blob(put_xattr, 2, "user.k", 6, SQLITE_STATIC);
          sqlite3_bind_blob(put_xattr, 3, kValue, sizeof kValue - 1, SQLITE_STATIC);
          step(put_xattr);
          sqlite3_bind_int64(touch_inode, 1, ino);
          sqlite3_bind_int64(touch_inode, 2, i);
          step(touch_inode);
        } else {
          int n = snprintf(path, sizeof path, "f%d", i);
          sqlite3_bind_int64(del_dentry, 1, round + 1);
          sqlite3_bind_blob(del_dentry, 2, path, n, SQLITE_STATIC);
          step(del_dentry);
          sqlite3_bind_int64(del_inode, 1, ino);
          step(del_inode);
        }
        step(commit_st);
        break;
      default: {
        snprintf(path, sizeof path, "/r%d/f%d", round, i);
        int rc = xattr ? dingofs_setxattr(h, path, "user.k", kValue, sizeof kValue - 1, 0)
                       : dingofs_unlink(h, path);
        if (rc != 0) die(path, strerror(-rc));
      }
    }
  }
  double us = (now_s() - t0) / ops * 1e6;
  if (side == SQLITE) exec_sql("PRAGMA wal_checkpoint(TRUNCATE)");  // untimed
  return us;
}

static void summary(const char* op, double v[SIDES][MAX_ROUNDS], int n, int last) {
  printf("\"%s\": {", op);
  for (int s = 0; s < SIDES; s++) {
    qsort(v[s], (size_t)n, sizeof v[s][0], cmp_double);
    if (v[s][0] < 0)
      printf("\"%s\": null", kSide[s]);
    else
      printf("\"%s\": [%.2f, %.2f, %.2f]", kSide[s], v[s][n / 2], v[s][0], v[s][n - 1]);
    printf("%s", s + 1 < SIDES ? ", " : "");
  }
  printf("}%s", last ? "" : ", ");
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: csqlite BASE_DIR OPS ROUNDS\n");
    return 2;
  }
  const char* base = argv[1];
  ops = atoi(argv[2]);
  int rounds = atoi(argv[3]);
  if (ops < 1 || rounds < 1 || rounds > MAX_ROUNDS) {
    fprintf(stderr, "csqlite: OPS >= 1 and 1 <= ROUNDS <= %d\n", MAX_ROUNDS);
    return 2;
  }
  char fsdir[600], addr[700];
  snprintf(fsdir, sizeof fsdir, "%s/fs", base);
  snprintf(host_root, sizeof host_root, "%s/host", base);
  mkdir(fsdir, 0755);
  mkdir(host_root, 0755);
  open_db(base);
  snprintf(addr, sizeof addr, "local://csqlite?base=%s", fsdir);
  h = dingofs_new();
  int rc = dingofs_mount_nolog(h, addr, "csqlite", "/");
  if (rc != 0) die(addr, strerror(-rc));
  static double v[2][SIDES][MAX_ROUNDS];
  for (int r = 0; r < rounds; r++) {
    make_files(r);
    fill_db(r);
    // setxattr first (the files and rows must exist), then unlink them all.
    for (int x = 1; x >= 0; x--) {
      for (int k = 0; k < SIDES; k++) {
        int side = (r + k) % SIDES;
        v[x][side][r] = run_side(side, x, r);  // -1: no host xattrs, every round
      }
    }
  }
  dingofs_umount(h);
  dingofs_delete(h);
  sqlite3_close(db);
  printf("{");
  summary("unlink", v[0], rounds, 0);
  summary("setxattr", v[1], rounds, 1);
  printf("}\n");
  return 0;
}

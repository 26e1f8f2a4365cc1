/*
 * Which errno wins when a call breaks several rules at once: the engine must
 * answer what Linux (ext4) answers. Each case below was measured with the real
 * system calls on ext4; the same table is replayed on a host directory too
 * and a host that answers differently is reported (not failed: other kernels
 * and filesystems may legitimately differ), so the table can be re-checked.
 *
 * Layout made on both sides before the cases:
 *   file  dir/  dir/sub/  full/x  fifo  dangling -> nowhere  ldir -> dir  lfile -> file
 */
#include "helpers.h"

enum op {
  OP_MKDIR,
  OP_MKNOD,     /* a = path, flags = mode */
  OP_SYMLINK,   /* a = target, b = link path */
  OP_LINK,
  OP_RENAME,    /* flags = rename2 flags */
  OP_UNLINK,
  OP_RMDIR,
  OP_OPEN,      /* flags = open flags */
  OP_GETXATTR,  /* a = path, b = name */
  OP_SETXATTR,  /* a = path, b = name, flags = xattr flags, size = value size */
  OP_REMOVEXATTR,
};

struct ecase {
  enum op op;
  const char* a;
  const char* b;
  int flags;
  size_t size;
  int want; /* errno, 0 for success */
};

#define LONGNAME                                                                    \
  "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn" \
  "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn" \
  "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn" \
  "nnnnnnnnnnnnnnnnnnnnnn" /* 259 bytes */
#define LONGXATTR                                                                   \
  "user.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
  "xxxxxxxxxxxxxxxxxxxxxx" /* 259 bytes */

static const struct ecase kCases[] = {
    /* xattrs: name length, then path, then namespace */
    {OP_GETXATTR, "missing", "bogus.x", 0, 0, ENOENT},
    {OP_GETXATTR, "file", "bogus.x", 0, 0, EOPNOTSUPP},
    {OP_GETXATTR, "missing", "", 0, 0, ERANGE},
    {OP_GETXATTR, "missing", LONGXATTR, 0, 0, ERANGE},
    {OP_GETXATTR, "file/", "user.a", 0, 0, ENOTDIR},
    {OP_GETXATTR, "file/x", "bogus.x", 0, 0, ENOTDIR},
    {OP_GETXATTR, "file", "user.", 0, 0, EINVAL},
    {OP_GETXATTR, "missing", "user.", 0, 0, ENOENT},
    {OP_SETXATTR, "missing", "", 0, 1, ERANGE},
    {OP_SETXATTR, "missing", LONGXATTR, 0, 1, ERANGE},
    {OP_SETXATTR, "missing", "bogus.x", 0, 1, ENOENT},
    {OP_SETXATTR, "file", "bogus.x", 0, 1, EOPNOTSUPP},
    {OP_SETXATTR, "file", "user.", 0, 1, EINVAL},
    {OP_SETXATTR, "missing", "", 4, 1, EINVAL},        /* flags before the name */
    {OP_SETXATTR, "missing", "bogus.x", 4, 1, EINVAL},
    {OP_SETXATTR, "missing", "", 0, 70000, ERANGE},    /* name before the size */
    {OP_SETXATTR, "missing", "bogus.x", 0, 70000, E2BIG}, /* size before the path */
    {OP_SETXATTR, "file", "bogus.x", 0, 70000, E2BIG},
    {OP_REMOVEXATTR, "missing", "", 0, 0, ERANGE},
    {OP_REMOVEXATTR, "missing", "bogus.x", 0, 0, ENOENT},
    {OP_REMOVEXATTR, "file", "bogus.x", 0, 0, EOPNOTSUPP},
    /* user.* exists only on regular files and directories */
    {OP_GETXATTR, "fifo", "user.a", 0, 0, ENODATA},
    {OP_SETXATTR, "fifo", "user.a", 0, 1, EPERM},
    {OP_REMOVEXATTR, "fifo", "user.a", 0, 0, EPERM},
    {OP_REMOVEXATTR, "fifo", "user.", 0, 0, EPERM},
    /* link: old path, then the new name's existence, then the kind of source */
    {OP_LINK, "dir", "dir", 0, 0, EEXIST},
    {OP_LINK, "dir", "file", 0, 0, EEXIST},
    {OP_LINK, "dir", "new", 0, 0, EPERM},
    {OP_LINK, "missing", "x", 0, 0, ENOENT},
    {OP_LINK, "missing", "file", 0, 0, ENOENT},
    {OP_LINK, "file", "missingdir/x", 0, 0, ENOENT},
    {OP_LINK, "dir", "missingdir/x", 0, 0, ENOENT},
    {OP_LINK, "file", "file/x", 0, 0, ENOTDIR},
    {OP_LINK, "file", "new/", 0, 0, ENOENT},
    {OP_LINK, "file", "file/", 0, 0, EEXIST},
    {OP_LINK, "file", "dir/", 0, 0, EEXIST},
    {OP_LINK, "file", "dangling/", 0, 0, EEXIST},
    {OP_LINK, "file", "dangling", 0, 0, EEXIST},
    {OP_LINK, "file/", "x", 0, 0, ENOTDIR},
    {OP_LINK, "dir/", "x", 0, 0, EPERM},
    {OP_LINK, "dir/", "dir", 0, 0, EEXIST},
    {OP_LINK, "ldir/", "x", 0, 0, EPERM},
    {OP_LINK, "file", ".", 0, 0, EEXIST},
    {OP_LINK, "file", "dir/..", 0, 0, EEXIST},
    {OP_LINK, "dir", ".", 0, 0, EEXIST},
    {OP_LINK, "file", LONGNAME, 0, 0, ENAMETOOLONG},
    {OP_LINK, "dir", LONGNAME, 0, 0, ENAMETOOLONG},
    {OP_LINK, "missing", LONGNAME, 0, 0, ENOENT},
    /* mkdir: an existing final name (symlinks not followed) is EEXIST */
    {OP_MKDIR, "file/", NULL, 0, 0, EEXIST},
    {OP_MKDIR, "dangling", NULL, 0, 0, EEXIST},
    {OP_MKDIR, "dangling/", NULL, 0, 0, EEXIST},
    {OP_MKDIR, "ldir/", NULL, 0, 0, EEXIST},
    {OP_MKDIR, "file/x", NULL, 0, 0, ENOTDIR},
    {OP_MKDIR, ".", NULL, 0, 0, EEXIST},
    {OP_MKDIR, "dir/..", NULL, 0, 0, EEXIST},
    {OP_MKDIR, "missing/.", NULL, 0, 0, ENOENT},
    {OP_MKDIR, LONGNAME, NULL, 0, 0, ENAMETOOLONG},
    {OP_MKDIR, "missing/" LONGNAME, NULL, 0, 0, ENOENT},
    /* mknod: the type first, then like mkdir, a slash on a new name ENOENT */
    {OP_MKNOD, "file/", NULL, S_IFREG | 0644, 0, EEXIST},
    {OP_MKNOD, "missing/", NULL, S_IFREG | 0644, 0, ENOENT},
    {OP_MKNOD, "dangling/", NULL, S_IFREG | 0644, 0, EEXIST},
    {OP_MKNOD, "dir/", NULL, S_IFREG | 0644, 0, EEXIST},
    {OP_MKNOD, "new", NULL, S_IFDIR | 0755, 0, EPERM},
    {OP_MKNOD, "file", NULL, S_IFDIR | 0755, 0, EPERM},
    {OP_MKNOD, "missing/x", NULL, S_IFDIR | 0755, 0, EPERM},
    {OP_MKNOD, "file", NULL, 0170000 | 0644, 0, EINVAL},
    {OP_MKNOD, "missing/x", NULL, 0170000 | 0644, 0, EINVAL},
    {OP_MKNOD, ".", NULL, S_IFREG | 0644, 0, EEXIST},
    {OP_MKNOD, LONGNAME, NULL, S_IFREG | 0644, 0, ENAMETOOLONG},
    /* symlink */
    {OP_SYMLINK, "t", "file/", 0, 0, EEXIST},
    {OP_SYMLINK, "t", "missing/", 0, 0, ENOENT},
    {OP_SYMLINK, "t", "dangling/", 0, 0, EEXIST},
    {OP_SYMLINK, "t", "dir/", 0, 0, EEXIST},
    {OP_SYMLINK, "", "file", 0, 0, ENOENT},
    {OP_SYMLINK, "", "missing/x", 0, 0, ENOENT},
    {OP_SYMLINK, "t", ".", 0, 0, EEXIST},
    {OP_SYMLINK, "t", LONGNAME, 0, 0, ENAMETOOLONG},
    /* open: O_CREAT with a trailing slash is EISDIR once the parent exists */
    {OP_OPEN, "file/", NULL, O_CREAT | O_WRONLY, 0, EISDIR},
    {OP_OPEN, "file/", NULL, O_RDONLY, 0, ENOTDIR},
    {OP_OPEN, "missing/", NULL, O_CREAT | O_WRONLY, 0, EISDIR},
    {OP_OPEN, "missing/", NULL, O_RDONLY, 0, ENOENT},
    {OP_OPEN, "dir/", NULL, O_CREAT | O_RDONLY, 0, EISDIR},
    {OP_OPEN, "dir", NULL, O_CREAT | O_RDONLY, 0, EISDIR},
    {OP_OPEN, "dangling/", NULL, O_CREAT | O_WRONLY, 0, EISDIR},
    {OP_OPEN, "dangling", NULL, O_CREAT | O_EXCL | O_WRONLY, 0, EEXIST},
    {OP_OPEN, "file/", NULL, O_CREAT | O_EXCL | O_WRONLY, 0, EISDIR},
    {OP_OPEN, "missing/", NULL, O_CREAT | O_EXCL | O_WRONLY, 0, EISDIR},
    {OP_OPEN, "missing/x/", NULL, O_CREAT | O_WRONLY, 0, ENOENT},
    {OP_OPEN, "file/x", NULL, O_CREAT | O_WRONLY, 0, ENOTDIR},
    {OP_OPEN, ".", NULL, O_CREAT | O_RDONLY, 0, EISDIR},
    {OP_OPEN, "lfile/", NULL, O_RDONLY, 0, ENOTDIR},
    {OP_OPEN, "lfile/", NULL, O_CREAT | O_WRONLY, 0, EISDIR},
    {OP_OPEN, LONGNAME, NULL, O_CREAT | O_WRONLY, 0, ENAMETOOLONG},
    {OP_OPEN, LONGNAME "/", NULL, O_CREAT | O_WRONLY, 0, EISDIR},
    /* rename */
    {OP_RENAME, "missing", "x", 0, 0, ENOENT},
    {OP_RENAME, "missing", "file/", 0, 0, ENOENT},
    {OP_RENAME, "missing", "missingdir/x", 0, 0, ENOENT},
    {OP_RENAME, "missing", "file/x", 0, 0, ENOTDIR},
    {OP_RENAME, "file", "missingdir/x", 0, 0, ENOENT},
    {OP_RENAME, "file", "dir", 0, 0, EISDIR},
    {OP_RENAME, "dir", "file", 0, 0, ENOTDIR},
    {OP_RENAME, "dir", "full", 0, 0, ENOTEMPTY},
    {OP_RENAME, "dir", "dir/sub", 0, 0, EINVAL},
    {OP_RENAME, "dir", "dir/sub/x", 0, 0, EINVAL},
    {OP_RENAME, "dir/sub", "dir", 0, 0, ENOTEMPTY},
    {OP_RENAME, "full/x", "full", 0, 0, ENOTEMPTY},
    {OP_RENAME, "file", "new/", 0, 0, ENOTDIR},
    {OP_RENAME, "file/", "new", 0, 0, ENOTDIR},
    {OP_RENAME, "file", "lfile/", 0, 0, ENOTDIR},
    {OP_RENAME, "file", "dangling/", 0, 0, ENOTDIR},
    {OP_RENAME, "file", ".", 0, 0, EBUSY},
    {OP_RENAME, "missing", ".", 0, 0, EBUSY},
    {OP_RENAME, ".", "x", 0, 0, EBUSY},
    {OP_RENAME, "file", "file", 0, 0, 0},
    {OP_RENAME, "file", LONGNAME, 0, 0, ENAMETOOLONG},
    {OP_RENAME, "missing", LONGNAME, 0, 0, ENOENT},
    {OP_RENAME, "dir", "dir/sub/..", 0, 0, EBUSY},
    {OP_RENAME, "ldir/", "x", 0, 0, ENOTDIR},
    {OP_RENAME, "file", "dir", DINGOFS_X_RENAME_NOREPLACE, 0, EEXIST},
    {OP_RENAME, "file", ".", DINGOFS_X_RENAME_NOREPLACE, 0, EEXIST},
    {OP_RENAME, "file", "missing", DINGOFS_X_RENAME_EXCHANGE, 0, ENOENT},
    {OP_RENAME, "missing", "file", DINGOFS_X_RENAME_EXCHANGE, 0, ENOENT},
    {OP_RENAME, "file", "lfile/", DINGOFS_X_RENAME_EXCHANGE, 0, ENOTDIR},
    {OP_RENAME, "dir", "dir/sub", DINGOFS_X_RENAME_EXCHANGE, 0, EINVAL},
    {OP_RENAME, "dir/sub", "dir", DINGOFS_X_RENAME_EXCHANGE, 0, EINVAL},
    /* unlink / rmdir: final symlinks are never followed */
    {OP_UNLINK, "file/", NULL, 0, 0, ENOTDIR},
    {OP_UNLINK, "dir/", NULL, 0, 0, EISDIR},
    {OP_UNLINK, "missing/", NULL, 0, 0, ENOENT},
    {OP_UNLINK, "lfile/", NULL, 0, 0, ENOTDIR},
    {OP_UNLINK, "ldir/", NULL, 0, 0, ENOTDIR},
    {OP_UNLINK, "dangling/", NULL, 0, 0, ENOTDIR},
    {OP_UNLINK, LONGNAME, NULL, 0, 0, ENAMETOOLONG},
    {OP_RMDIR, "file/", NULL, 0, 0, ENOTDIR},
    {OP_RMDIR, "ldir/", NULL, 0, 0, ENOTDIR},
    {OP_RMDIR, "ldir", NULL, 0, 0, ENOTDIR},
    {OP_RMDIR, "dangling/", NULL, 0, 0, ENOTDIR},
    {OP_RMDIR, "missing/.", NULL, 0, 0, ENOENT},
    {OP_RMDIR, "file/.", NULL, 0, 0, ENOTDIR},
    {OP_RMDIR, "dir/.", NULL, 0, 0, EINVAL},
    {OP_RMDIR, "dir/..", NULL, 0, 0, ENOTEMPTY},
    {OP_RMDIR, LONGNAME, NULL, 0, 0, ENAMETOOLONG},
};

static char value_buf[70000];

/* The case on the engine; returns 0 or an errno. */
static int run_engine(uintptr_t h, const struct ecase* c) {
  char a[600], b[600];
  snprintf(a, sizeof a, "/%s", c->a);
  if (c->b) snprintf(b, sizeof b, "/%s", c->b);
  long rc;
  switch (c->op) {
    case OP_MKDIR: rc = dingofs_mkdir(h, a, 0755); break;
    case OP_MKNOD: rc = dingofs_x_mknod(h, a, (mode_t)c->flags, 0); break;
    case OP_SYMLINK: rc = dingofs_symlink(h, c->a, b); break;
    case OP_LINK: rc = dingofs_link(h, a, b); break;
    case OP_RENAME:
      rc = c->flags ? dingofs_x_rename2(h, a, b, (unsigned)c->flags) : dingofs_rename(h, a, b);
      break;
    case OP_UNLINK: rc = dingofs_unlink(h, a); break;
    case OP_RMDIR: rc = dingofs_rmdir(h, a); break;
    case OP_OPEN:
      rc = dingofs_open(h, a, c->flags, 0644);
      if (rc >= 0) {
        dingofs_close(h, (int)rc);
        rc = 0;
      }
      break;
    case OP_GETXATTR: rc = dingofs_getxattr(h, a, c->b, value_buf, 64); break;
    case OP_SETXATTR: rc = dingofs_setxattr(h, a, c->b, value_buf, c->size, c->flags); break;
    case OP_REMOVEXATTR: rc = dingofs_removexattr(h, a, c->b); break;
    default: rc = -EINVAL;
  }
  return rc < 0 ? (int)-rc : 0;
}

/* The same case with the host's system calls under dir. */
static int run_host(const char* dir, const struct ecase* c) {
  char a[1200], b[1200];
  snprintf(a, sizeof a, "%s/%s", dir, c->a);
  if (c->b) snprintf(b, sizeof b, "%s/%s", dir, c->b);
  long rc;
  errno = 0;
  switch (c->op) {
    case OP_MKDIR: rc = mkdir(a, 0755); break;
    case OP_MKNOD: rc = mknod(a, (mode_t)c->flags, 0); break;
    case OP_SYMLINK: rc = symlink(c->a, b); break;
    case OP_LINK: rc = link(a, b); break;
    case OP_RENAME:
      rc = c->flags ? renameat2(AT_FDCWD, a, AT_FDCWD, b, (unsigned)c->flags) : rename(a, b);
      break;
    case OP_UNLINK: rc = unlink(a); break;
    case OP_RMDIR: rc = rmdir(a); break;
    case OP_OPEN:
      rc = open(a, c->flags | O_CLOEXEC, 0644);
      if (rc >= 0) {
        close((int)rc);
        rc = 0;
      }
      break;
    case OP_GETXATTR: rc = getxattr(a, c->b, value_buf, 64); break;
    case OP_SETXATTR: rc = setxattr(a, c->b, value_buf, c->size, c->flags); break;
    case OP_REMOVEXATTR: rc = removexattr(a, c->b); break;
    default: rc = -1; errno = EINVAL;
  }
  return rc < 0 ? errno : 0;
}

static const char* op_name(enum op op) {
  static const char* const names[] = {"mkdir", "mknod",  "symlink", "link",     "rename",
                                      "unlink", "rmdir", "open",    "getxattr", "setxattr",
                                      "removexattr"};
  return names[op];
}

static void describe(const struct ecase* c, char* out, size_t n) {
  char a[24], b[24];
  snprintf(a, sizeof a, "%.20s", c->a);
  snprintf(b, sizeof b, "%.20s", c->b ? c->b : "");
  snprintf(out, n, "%s(%s%s%s, flags 0%o, size %zu)", op_name(c->op), a, c->b ? ", " : "", b,
           (unsigned)c->flags, c->size);
}

TEST(errno_order_matches_linux) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/file", "", 0), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/dir", 0755), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/dir/sub", 0755), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/full", 0755), 0);
  REQUIRE_EQ_INT(put_file(h, "/full/x", "", 0), 0);
  REQUIRE_EQ_INT(dingofs_x_mknod(h, "/fifo", S_IFIFO | 0644, 0), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "nowhere", "/dangling"), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "dir", "/ldir"), 0);
  REQUIRE_EQ_INT(dingofs_symlink(h, "file", "/lfile"), 0);

  char host[600];
  snprintf(host, sizeof host, "%s/host", tt_base);
  REQUIRE(mkdir(host, 0755) == 0);
  char p[700];
#define HOSTP(rel) (snprintf(p, sizeof p, "%s/%s", host, rel), p)
  int fd = open(HOSTP("file"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  close(fd);
  REQUIRE(mkdir(HOSTP("dir"), 0755) == 0);
  REQUIRE(mkdir(HOSTP("dir/sub"), 0755) == 0);
  REQUIRE(mkdir(HOSTP("full"), 0755) == 0);
  fd = open(HOSTP("full/x"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  close(fd);
  REQUIRE(mknod(HOSTP("fifo"), S_IFIFO | 0644, 0) == 0);
  REQUIRE(symlink("nowhere", HOSTP("dangling")) == 0);
  REQUIRE(symlink("dir", HOSTP("ldir")) == 0);
  REQUIRE(symlink("file", HOSTP("lfile")) == 0);
#undef HOSTP

  int host_differs = 0;
  for (size_t i = 0; i < sizeof kCases / sizeof kCases[0]; i++) {
    const struct ecase* c = &kCases[i];
    char what[160];
    describe(c, what, sizeof what);
    int got = run_engine(h, c);
    if (got != c->want) {
      fprintf(stderr, "  %s: engine %s, Linux %s\n", what, strerrorname_np(got) ? strerrorname_np(got) : "0",
              strerrorname_np(c->want) ? strerrorname_np(c->want) : "0");
      CHECK_EQ_INT(got, c->want);
    }
    int on_host = run_host(host, c);
    if (on_host != c->want) {
      host_differs++;
      fprintf(stderr, "  note: this host answers %s(%d) for %s (table: %d)\n",
              strerrorname_np(on_host) ? strerrorname_np(on_host) : "0", on_host, what, c->want);
    }
  }
  if (host_differs) fprintf(stderr, "  note: %d cases differ on this host\n", host_differs);
  /* nothing was created by the failing calls */
  char names[16][256];
  CHECK_EQ_INT(list_names(h, "/", names, 16), 7);
  fs_close(h);
}

/* Permission errors come before the type of the victim and before CAP_MKNOD,
 * and an immutable directory is EPERM before its mode bits are looked at. */
static void order_as_user(uintptr_t h, void* arg) {
  (void)arg;
  /* /ro is 0555 root-owned: every change inside it is EACCES first */
  CHECK_EQ_INT(dingofs_unlink(h, "/ro/d"), -EACCES);        /* not EISDIR */
  CHECK_EQ_INT(dingofs_rmdir(h, "/ro/f"), -EACCES);         /* not ENOTDIR */
  CHECK_EQ_INT(dingofs_rename(h, "/ro/f", "/ro/d"), -EACCES); /* not EISDIR */
  CHECK_EQ_INT(dingofs_mkdir(h, "/ro/f", 0755), -EEXIST);   /* existence first */
  CHECK_EQ_INT(dingofs_mkdir(h, "/ro/new", 0755), -EACCES);
  CHECK_EQ_INT(dingofs_link(h, "/ro/d", "/ro/new"), -EACCES); /* not EPERM */
  CHECK_EQ_INT(dingofs_x_mknod(h, "/ro/f", S_IFCHR | 0644, makedev(1, 3)), -EEXIST);
  CHECK_EQ_INT(dingofs_x_mknod(h, "/ro/c", S_IFCHR | 0644, makedev(1, 3)), -EACCES);
  CHECK_EQ_INT(dingofs_x_mknod(h, "/w/c", S_IFCHR | 0644, makedev(1, 3)), -EPERM);
  /* xattrs: the inode's permission before the namespace */
  CHECK_EQ_INT(dingofs_setxattr(h, "/ro/f", "bogus.x", "v", 1, 0), -EACCES);
  CHECK_EQ_INT(dingofs_removexattr(h, "/ro/f", "bogus.x"), -EACCES);
  CHECK_EQ_INT(dingofs_getxattr(h, "/ro/secret", "bogus.x", NULL, 0), -EACCES);
  CHECK_EQ_INT(dingofs_getxattr(h, "/ro/f", "bogus.x", NULL, 0), -EOPNOTSUPP);
  CHECK_EQ_INT(dingofs_setxattr(h, "/w/mine", "security.x", "v", 1, 0), -EPERM);
}

TEST(errno_order_permissions_before_types) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/ro", 0755), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/ro/d", 0755), 0);
  REQUIRE_EQ_INT(put_file(h, "/ro/f", "", 0), 0);
  REQUIRE_EQ_INT(put_file(h, "/ro/secret", "", 0), 0);
  REQUIRE_EQ_INT(dingofs_chmod(h, "/ro/secret", 0600), 0);
  REQUIRE_EQ_INT(dingofs_chmod(h, "/ro", 0555), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/w", 0777), 0);
  REQUIRE_EQ_INT(put_file(h, "/w/mine", "", 0), 0);
  REQUIRE_EQ_INT(dingofs_chown(h, "/w/mine", 65534, 65534), 0);
  /* immutable directory: EPERM even for root, before EEXIST is impossible */
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/imm", 0755), 0);
  int fd = dingofs_open(h, "/imm", O_RDONLY, 0);
  REQUIRE(fd >= 3);
  uint64_t flags = FS_IMMUTABLE_FL;
  REQUIRE_EQ_INT(dingofs_ioctl(h, fd, FS_IOC_SETFLAGS, &flags), 0);
  CHECK_EQ_INT(dingofs_mkdir(h, "/imm/x", 0755), -EPERM);
  CHECK_EQ_INT(dingofs_x_mknod(h, "/imm/x", S_IFIFO | 0644, 0), -EPERM);
  flags = 0;
  REQUIRE_EQ_INT(dingofs_ioctl(h, fd, FS_IOC_SETFLAGS, &flags), 0);
  dingofs_close(h, fd);
  fs_close(h);
  CHECK_EQ_INT(run_as_user(65534, 65534, NULL, 0, order_as_user, NULL), 0);
}

/*
 * stat.c - attributes: stat, lstat (a symlink itself), fstat, and changing
 * permissions, times and size.
 *
 *   ./stat [ADDRESS]
 */
#include "example.h"

#include <sys/stat.h>
#include <sys/time.h>

static void show(const char* what, const struct stat* st) {
  const char* type = S_ISREG(st->st_mode)   ? "file"
                     : S_ISDIR(st->st_mode) ? "directory"
                     : S_ISLNK(st->st_mode) ? "symlink"
                                            : "other";
  printf("%-28s %-9s ino %-6llu mode %04o nlink %llu uid %u size %lld "
         "mtime %lld.%09ld\n",
         what, type, (unsigned long long)st->st_ino,
         (unsigned)(st->st_mode & 07777), (unsigned long long)st->st_nlink,
         (unsigned)st->st_uid, (long long)st->st_size,
         (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

int main(int argc, char** argv) {
  uintptr_t h = ex_mount(argc, argv);
  char dir[64], file[96], link[96];
  struct stat st;

  snprintf(dir, sizeof dir, "/stat-%d", (int)getpid());
  snprintf(file, sizeof file, "%s/data", dir);
  snprintf(link, sizeof link, "%s/link", dir);

  CHECK(dingofs_mkdir(h, dir, 0750));
  int fd = (int)CHECK(dingofs_open(h, file, O_CREAT | O_EXCL | O_RDWR, 0640));
  CHECK(dingofs_write(h, fd, "0123456789", 10));
  CHECK(dingofs_symlink(h, "data", link));

  CHECK(dingofs_stat(h, dir, &st));
  show("stat(dir)", &st);
  EXPECT(S_ISDIR(st.st_mode));
  CHECK(dingofs_fstat(h, fd, &st));
  show("fstat(file)", &st);
  EXPECT(S_ISREG(st.st_mode) && st.st_size == 10);
  CHECK(dingofs_stat(h, link, &st));
  show("stat(link) follows", &st);
  EXPECT(S_ISREG(st.st_mode));
  CHECK(dingofs_lstat(h, link, &st));
  show("lstat(link)", &st);
  EXPECT(S_ISLNK(st.st_mode));

  char target[64];
  ssize_t n = CHECK(dingofs_readlink(h, link, target, sizeof target));
  printf("readlink(link) = \"%.*s\"\n", (int)n, target);

  /* Change size, permissions and times (last: truncating sets mtime), then
   * look again. */
  CHECK(dingofs_ftruncate(h, fd, 4));
  CHECK(dingofs_close(h, fd));
  CHECK(dingofs_chmod(h, file, 0600));
  struct timeval tv[2] = {{1000000000, 0}, {1234567890, 500000}};
  CHECK(dingofs_utimes(h, file, tv));
  CHECK(dingofs_stat(h, file, &st));
  show("after truncate+chmod+utimes", &st);
  EXPECT((st.st_mode & 07777) == 0600 && st.st_size == 4);
  EXPECT(st.st_mtim.tv_sec == 1234567890 && st.st_atim.tv_sec == 1000000000);

  /* Errors come back as -errno. */
  int rc = dingofs_stat(h, "/no/such/file", &st);
  printf("stat(/no/such/file) = %d (%s)\n", rc, strerror(-rc));
  EXPECT(rc == -ENOENT);

  CHECK(dingofs_unlink(h, link));
  CHECK(dingofs_unlink(h, file));
  CHECK(dingofs_rmdir(h, dir));
  ex_umount(h);
  printf("stat: ok\n");
  return 0;
}

/*
 * write.c - create a file and write to it: sequential writes, a positioned
 * write, fsync, and a size check through fstat.
 *
 *   ./write [ADDRESS]
 */
#include "example.h"

#include <sys/stat.h>

int main(int argc, char** argv) {
  uintptr_t h = ex_mount(argc, argv);
  char path[64];
  snprintf(path, sizeof path, "/write-%d.txt", (int)getpid());

  int fd = (int)CHECK(dingofs_open(h, path, O_CREAT | O_TRUNC | O_WRONLY, 0644));
  printf("opened %s as fd %d\n", path, fd);

  const char* lines[] = {"first line\n", "second line\n", "third line\n"};
  size_t total = 0;
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    size_t len = strlen(lines[i]);
    ssize_t n = CHECK(dingofs_write(h, fd, lines[i], len));
    EXPECT((size_t)n == len);
    total += len;
  }
  printf("wrote %zu bytes sequentially\n", total);

  /* Overwrite "first" with "FIRST" without moving the file offset. */
  CHECK(dingofs_pwrite(h, fd, "FIRST", 5, 0));
  EXPECT(CHECK(dingofs_lseek(h, fd, 0, SEEK_CUR)) == (off_t)total);

  CHECK(dingofs_fsync(h, fd, 0));
  struct stat st;
  CHECK(dingofs_fstat(h, fd, &st));
  printf("after fsync: size %lld, mode %o\n", (long long)st.st_size,
         (unsigned)(st.st_mode & 07777));
  EXPECT(st.st_size == (off_t)total && S_ISREG(st.st_mode));
  CHECK(dingofs_close(h, fd));

  /* Read it back to show what is on the filesystem. */
  char buf[128];
  fd = (int)CHECK(dingofs_open(h, path, O_RDONLY, 0));
  ssize_t n = CHECK(dingofs_read(h, fd, buf, sizeof buf - 1));
  buf[n] = '\0';
  CHECK(dingofs_close(h, fd));
  printf("contents:\n%s", buf);
  EXPECT(strncmp(buf, "FIRST line\n", 11) == 0);

  CHECK(dingofs_unlink(h, path));
  ex_umount(h);
  printf("write: ok\n");
  return 0;
}

/*
 * read.c - read a file: sequential reads in chunks, positioned reads, seeks.
 *
 *   ./read [ADDRESS [PATH]]
 *
 * Without PATH the example first writes a 1 MiB test file and then reads
 * it; with PATH it reads that existing file and prints its size and a
 * checksum.
 */
#include "example.h"

#define CHUNK 65536

static unsigned long sum_bytes(const unsigned char* p, size_t n,
                               unsigned long sum) {
  for (size_t i = 0; i < n; i++) sum = sum * 31 + p[i];
  return sum;
}

int main(int argc, char** argv) {
  uintptr_t h = ex_mount(argc, argv);
  static unsigned char buf[CHUNK];
  char own[64];
  const char* path = argc > 2 ? argv[2] : NULL;
  unsigned long expect = 0;
  off_t size = 1 << 20;

  if (path == NULL) {
    snprintf(own, sizeof own, "/read-%d.bin", (int)getpid());
    path = own;
    int fd = (int)CHECK(dingofs_open(h, path, O_CREAT | O_EXCL | O_WRONLY, 0644));
    for (off_t off = 0; off < size; off += CHUNK) {
      for (int i = 0; i < CHUNK; i++) buf[i] = (unsigned char)((off + i) * 7);
      EXPECT(CHECK(dingofs_write(h, fd, buf, CHUNK)) == CHUNK);
      expect = sum_bytes(buf, CHUNK, expect);
    }
    CHECK(dingofs_close(h, fd));
    printf("wrote %lld bytes to %s\n", (long long)size, path);
  }

  int fd = (int)CHECK(dingofs_open(h, path, O_RDONLY, 0));
  off_t end = CHECK(dingofs_lseek(h, fd, 0, SEEK_END));
  CHECK(dingofs_lseek(h, fd, 0, SEEK_SET));
  unsigned long sum = 0;
  long long total = 0;
  ssize_t n;
  while ((n = CHECK(dingofs_read(h, fd, buf, sizeof buf))) > 0) {
    sum = sum_bytes(buf, (size_t)n, sum);
    total += n;
  }
  printf("read %lld bytes (size by lseek: %lld), checksum %lx\n", total,
         (long long)end, sum);
  EXPECT(total == (long long)end);

  /* A positioned read does not move the offset, which is now at the end. */
  if (end > 16) {
    n = CHECK(dingofs_pread(h, fd, buf, 16, end / 2));
    EXPECT(n == 16);
    printf("16 bytes at offset %lld:", (long long)(end / 2));
    for (int i = 0; i < 16; i++) printf(" %02x", buf[i]);
    printf("\n");
    EXPECT(CHECK(dingofs_read(h, fd, buf, sizeof buf)) == 0);
  }
  CHECK(dingofs_close(h, fd));

  if (path == own) {
    EXPECT(total == size && sum == expect);
    CHECK(dingofs_unlink(h, path));
  }
  ex_umount(h);
  printf("read: ok\n");
  return 0;
}

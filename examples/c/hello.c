/*
 * hello.c - the smallest complete libdingofs program: create a handle,
 * mount, make a directory, show filesystem usage, unmount, delete.
 *
 *   ./hello [ADDRESS]      (see example.h for the default address)
 */
#include "example.h"

#include <sys/stat.h>

int main(int argc, char** argv) {
  int embedded = 0;
  if (dingofs_x_version != NULL) {
    const char* version = dingofs_x_version(&embedded);
    printf("libdingofs %s (embedded engine: %s)\n", version,
           embedded ? "yes" : "no");
  } else {
    printf("libdingofs without extensions (upstream client)\n");
  }

  uintptr_t h = ex_mount(argc, argv);

  char dir[64];
  snprintf(dir, sizeof dir, "/hello-%d", (int)getpid());
  CHECK(dingofs_mkdir(h, dir, 0755));
  struct stat st;
  CHECK(dingofs_stat(h, dir, &st));
  EXPECT(S_ISDIR(st.st_mode));
  printf("created %s (inode %llu, mode %o)\n", dir,
         (unsigned long long)st.st_ino, (unsigned)(st.st_mode & 07777));

  dingofs_statfs_t fs;
  CHECK(dingofs_statfs(h, &fs));
  printf("statfs: %lld of %lld bytes used, %lld of %lld inodes used\n",
         (long long)fs.used_bytes, (long long)fs.total_bytes,
         (long long)fs.used_inodes, (long long)fs.total_inodes);
  EXPECT(fs.used_inodes >= 2); /* the root and the new directory */

  CHECK(dingofs_rmdir(h, dir));
  ex_umount(h);
  printf("hello: ok\n");
  return 0;
}

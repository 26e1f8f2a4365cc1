/*
 * readdir.c - list a directory in batches, then rename and clean up.
 *
 *   ./readdir [ADDRESS]
 */
#include "example.h"

#include <dirent.h>

#define BATCH 4

static const char* type_name(unsigned t) {
  switch (t) {
    case DT_DIR: return "dir";
    case DT_REG: return "file";
    case DT_LNK: return "link";
    default: return "other";
  }
}

int main(int argc, char** argv) {
  uintptr_t h = ex_mount(argc, argv);
  char dir[64], path[128], path2[128];
  snprintf(dir, sizeof dir, "/readdir-%d", (int)getpid());

  CHECK(dingofs_mkdirs(h, dir, 0755));
  for (int i = 0; i < 6; i++) {
    snprintf(path, sizeof path, "%s/file-%d", dir, i);
    CHECK(dingofs_close(h, (int)CHECK(dingofs_open(h, path, O_CREAT | O_WRONLY, 0644))));
  }
  snprintf(path, sizeof path, "%s/sub", dir);
  CHECK(dingofs_mkdir(h, path, 0755));

  /* Small batches to show that readdir continues where it stopped. */
  uint64_t dh;
  dingofs_dirent_t ents[BATCH];
  int n, total = 0, batches = 0;
  CHECK(dingofs_opendir(h, dir, &dh));
  while ((n = (int)CHECK(dingofs_readdir(h, dh, ents, BATCH))) > 0) {
    batches++;
    for (int i = 0; i < n; i++)
      printf("  %-8s %-4s ino %llu\n", ents[i].d_name,
             type_name(ents[i].d_type), (unsigned long long)ents[i].d_ino);
    total += n;
  }
  CHECK(dingofs_closedir(h, dh));
  printf("%d entries in %d batches\n", total, batches);
  EXPECT(total == 6 + 1 + 2); /* files, sub, "." and ".." */

  /* Rename one file into the subdirectory, then remove everything. */
  snprintf(path, sizeof path, "%s/file-0", dir);
  snprintf(path2, sizeof path2, "%s/sub/moved", dir);
  CHECK(dingofs_rename(h, path, path2));
  CHECK(dingofs_unlink(h, path2));
  for (int i = 1; i < 6; i++) {
    snprintf(path, sizeof path, "%s/file-%d", dir, i);
    CHECK(dingofs_unlink(h, path));
  }
  snprintf(path, sizeof path, "%s/sub", dir);
  CHECK(dingofs_rmdir(h, path));
  CHECK(dingofs_rmdir(h, dir));
  ex_umount(h);
  printf("readdir: ok\n");
  return 0;
}

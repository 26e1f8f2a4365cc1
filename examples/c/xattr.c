/*
 * xattr.c - extended attributes: set, size query, get, list, remove.
 *
 *   ./xattr [ADDRESS]
 */
#include "example.h"

#include <sys/xattr.h> /* XATTR_CREATE, XATTR_REPLACE */

int main(int argc, char** argv) {
  uintptr_t h = ex_mount(argc, argv);
  char path[64];
  snprintf(path, sizeof path, "/xattr-%d.txt", (int)getpid());
  CHECK(dingofs_close(h, (int)CHECK(dingofs_open(h, path, O_CREAT | O_WRONLY, 0644))));

  CHECK(dingofs_setxattr(h, path, "user.color", "blue", 4, XATTR_CREATE));
  CHECK(dingofs_setxattr(h, path, "user.owner", "examples", 8, 0));
  CHECK(dingofs_setxattr(h, path, "user.color", "green", 5, XATTR_REPLACE));

  /* Ask for the size first, then fetch the value. */
  ssize_t len = CHECK(dingofs_getxattr(h, path, "user.color", NULL, 0));
  char* value = malloc((size_t)len + 1);
  EXPECT(value != NULL);
  len = CHECK(dingofs_getxattr(h, path, "user.color", value, (size_t)len));
  value[len] = '\0';
  printf("user.color = \"%s\"\n", value);
  EXPECT(strcmp(value, "green") == 0);
  free(value);

  /* The list is a run of NUL-terminated names. */
  ssize_t size = CHECK(dingofs_listxattr(h, path, NULL, 0));
  char* names = malloc((size_t)size);
  EXPECT(names != NULL);
  size = CHECK(dingofs_listxattr(h, path, names, (size_t)size));
  printf("attributes:");
  for (char* p = names; p < names + size; p += strlen(p) + 1) printf(" %s", p);
  printf("\n");
  free(names);

  CHECK(dingofs_removexattr(h, path, "user.owner"));
  int rc = (int)dingofs_getxattr(h, path, "user.owner", NULL, 0);
  printf("after removexattr: getxattr(user.owner) = %d (%s)\n", rc,
         strerror(-rc));
  EXPECT(rc == -ENODATA);

  CHECK(dingofs_unlink(h, path));
  ex_umount(h);
  printf("xattr: ok\n");
  return 0;
}

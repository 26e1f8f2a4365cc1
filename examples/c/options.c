/*
 * options.c - configuration: list the options, read one, change it.
 * Needs no mount, so it also runs against the upstream client without a
 * cluster.
 *
 *   ./options [NAME...]     print the named options (default: a summary)
 */
#include "example.h"

int main(int argc, char** argv) {
  uintptr_t h = dingofs_new();
  if (h == 0) {
    fprintf(stderr, "dingofs_new: out of memory\n");
    return 1;
  }
  char value[512];

  dingofs_option_t* opts = NULL;
  int count = 0;
  CHECK(dingofs_conf_list(h, &opts, &count));
  printf("%d options\n", count);
  for (int i = 0; i < count && (argc > 1 || i < 8); i++) {
    int wanted = argc <= 1;
    for (int k = 1; k < argc; k++)
      if (strcmp(argv[k], opts[i].name) == 0) wanted = 1;
    if (!wanted) continue;
    CHECK(dingofs_conf_get(h, opts[i].name, value, sizeof value));
    printf("  %-34s %-7s = %-12s (default %s)\n      %s\n", opts[i].name,
           opts[i].type, value, opts[i].default_value, opts[i].description);
  }
  if (argc <= 1 && count > 8) printf("  ... and %d more\n", count - 8);
  dingofs_conf_list_free(opts, count);

  const char* key = "vfs_meta_rpc_timeout_ms";
  CHECK(dingofs_conf_get(h, key, value, sizeof value));
  printf("%s = %s\n", key, value);
  CHECK(dingofs_conf_set(h, key, "3000"));
  CHECK(dingofs_conf_get(h, key, value, sizeof value));
  printf("%s = %s after conf_set\n", key, value);
  EXPECT(strcmp(value, "3000") == 0);

  /* Per-handle log options and error cases. */
  CHECK(dingofs_conf_set(h, "log.level", "ERROR"));
  CHECK(dingofs_conf_get(h, "log.level", value, sizeof value));
  printf("log.level = %s\n", value);
  char tiny[2];
  int rc = dingofs_conf_get(h, key, tiny, sizeof tiny);
  printf("conf_get into a 2-byte buffer = %d (%s)\n", rc, strerror(-rc));
  EXPECT(rc == -ERANGE);
  rc = dingofs_conf_set(h, "no_such_option", "1");
  printf("conf_set(no_such_option) = %d (%s)\n", rc, strerror(-rc));
  EXPECT(rc == -EINVAL);

  dingofs_delete(h);
  printf("options: ok\n");
  return 0;
}

/* Local filesystems without a mount: dingofs_x_local_info (address rules,
 * resolved directories, existence, liveness), dingofs_x_local_list and
 * dingofs_x_local_remove (refused while mounted anywhere; a path= data
 * directory is what goes). */
#include <sys/wait.h>

#include "helpers.h"

#define CHECK_STR(a, b)                                                              \
  do {                                                                               \
    const char* tt_sa_ = (a);                                                        \
    const char* tt_sb_ = (b);                                                        \
    if (tt_sa_ == NULL || strcmp(tt_sa_, tt_sb_) != 0) {                             \
      fprintf(stderr, "  %s = '%s', expected '%s'\n", #a, tt_sa_ ? tt_sa_ : "(null)", \
              tt_sb_);                                                               \
      CHECK(!"strings differ");                                                      \
    }                                                                                \
  } while (0)

static int host_exists(const char* path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

static int info_rc(const char* addr, int flags) {
  dingofs_x_local_t* info = NULL;
  int rc = dingofs_x_local_info(addr, flags, &info);
  if (rc != 0) CHECK(info == NULL);
  dingofs_x_free(info);
  return rc;
}

/* A file big enough to live in a data file (not inline in the store). */
static void put_data_file(uintptr_t h, const char* path) {
  static char big[200000];
  fill_pattern(big, sizeof big, 7);
  REQUIRE_EQ_INT(put_file(h, path, big, sizeof big), 0);
}

TEST(local_info_parses_like_mount) {
  dingofs_x_local_t* info = NULL;
  REQUIRE_EQ_INT(dingofs_x_local_info("local://abc?base=/srv/x//", DINGOFS_X_LOCAL_PARSE, &info),
                 0);
  CHECK_STR(info->name, "abc");
  CHECK_STR(info->base_dir, "/srv/x");
  CHECK_STR(info->meta_dir, "/srv/x/meta/abc");
  CHECK_STR(info->data_dir, "/srv/x/data/abc");
  CHECK_EQ_INT(info->exists, -1);
  CHECK_EQ_INT(info->mounted, -1);
  CHECK_EQ_INT(info->bytes, -1);
  dingofs_x_free(info);
  /* path= (escaped), the other parameters, and the last of a repeated one */
  REQUIRE_EQ_INT(dingofs_x_local_info("local://A-z_0.9?base=/a&storage=file&path=/d%20ir&ro=1"
                                      "&create=0&capacity=10&inodes=5&unsafe_fs=1&base=/b",
                                      DINGOFS_X_LOCAL_PARSE, &info),
                 0);
  CHECK_STR(info->name, "A-z_0.9");
  CHECK_STR(info->base_dir, "/b");
  CHECK_STR(info->meta_dir, "/b/meta/A-z_0.9");
  CHECK_STR(info->data_dir, "/d ir");
  dingofs_x_free(info);
  /* the default base: $DINGOFS_BASE_DIR, else /var/dingo (root) or ~/.dingo */
  char env[1100];
  snprintf(env, sizeof env, "%s/envbase/", tt_base);
  setenv("DINGOFS_BASE_DIR", env, 1);
  REQUIRE_EQ_INT(dingofs_x_local_info("local://n", DINGOFS_X_LOCAL_PARSE, &info), 0);
  snprintf(env, sizeof env, "%s/envbase", tt_base);
  CHECK_STR(info->base_dir, env);
  dingofs_x_free(info);
  setenv("DINGOFS_BASE_DIR", "", 1);
  setenv("HOME", "/home/someone", 1);
  REQUIRE_EQ_INT(dingofs_x_local_info("local://n", DINGOFS_X_LOCAL_PARSE, &info), 0);
  CHECK_STR(info->base_dir, geteuid() == 0 ? "/var/dingo" : "/home/someone/.dingo");
  CHECK_STR(info->data_dir,
            geteuid() == 0 ? "/var/dingo/data/n" : "/home/someone/.dingo/data/n");
  dingofs_x_free(info);
  unsetenv("DINGOFS_BASE_DIR");
  /* the name rules */
  const char* bad[] = {"", "local://", "local://.x", "local://a/b", "local://a b",
                       "local://caf\xc3\xa9", "local://a?colour=blue", "local://a?base=",
                       "local://a?ro", "local://a?ro=2", "local://a?capacity=-1",
                       "local://a?path=%zz", "local://a?storage=s3",
                       "local://nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = info_rc(bad[i], DINGOFS_X_LOCAL_PARSE);
    if (rc != -EINVAL) fprintf(stderr, "  address '%s'\n", bad[i]);
    CHECK_EQ_INT(rc, -EINVAL);
    CHECK_EQ_INT(info_rc(bad[i], 0), rc);
  }
  char why[512];
  CHECK_EQ_INT(info_rc("local://a?colour=blue", 0), -EINVAL);
  CHECK(dingofs_x_last_error(why, sizeof why) > 0);
  CHECK(strstr(why, "unknown parameter colour") != NULL);
  CHECK_EQ_INT(info_rc("127.0.0.1:6700", 0), -EPROTONOSUPPORT);
  CHECK(dingofs_x_last_error(why, sizeof why) > 0);
  CHECK(strstr(why, "local://") != NULL);
  CHECK_EQ_INT(info_rc("host:1,host:2", DINGOFS_X_LOCAL_PARSE), -EPROTONOSUPPORT);
  CHECK_EQ_INT(info_rc("local://ok", DINGOFS_X_LOCAL_PARSE), 0);
  CHECK_EQ_INT(dingofs_x_last_error(why, sizeof why), 0); /* a success clears it */
  /* arguments */
  CHECK_EQ_INT(info_rc(NULL, 0), -EINVAL);
  CHECK_EQ_INT(dingofs_x_local_info("local://ok", 0, NULL), -EINVAL);
  CHECK_EQ_INT(info_rc("local://ok", DINGOFS_X_LOCAL_PARSE | DINGOFS_X_LOCAL_SIZES), -EINVAL);
  CHECK_EQ_INT(info_rc("local://ok", 0x10), -EINVAL);
  /* the parser is the mount's: what it refuses, mount refuses */
  uintptr_t h = dingofs_new();
  CHECK_EQ_INT(dingofs_mount_nolog(h, "local://a?colour=blue", "", "/m"), -EINVAL);
  dingofs_delete(h);
}

TEST(local_info_of_existing_filesystems) {
  char addr[1024], data[1024];
  /* missing: nothing is created by looking */
  fs_addr(addr, sizeof addr, "gone", NULL);
  dingofs_x_local_t* info = NULL;
  REQUIRE_EQ_INT(dingofs_x_local_info(addr, DINGOFS_X_LOCAL_SIZES, &info), 0);
  CHECK_EQ_INT(info->exists, 0);
  CHECK_EQ_INT(info->mounted, 0);
  CHECK_EQ_INT(info->bytes, 0);
  CHECK(!host_exists(info->meta_dir));
  dingofs_x_free(info);
  /* created with path=: info without path= finds the recorded data directory */
  snprintf(data, sizeof data, "%s/elsewhere/data", tt_base);
  char query[1100];
  snprintf(query, sizeof query, "path=%s", data);
  uintptr_t h = fs_open("p", query);
  put_data_file(h, "/big");
  fs_addr(addr, sizeof addr, "p", NULL);
  REQUIRE_EQ_INT(dingofs_x_local_info(addr, 0, &info), 0);
  CHECK_EQ_INT(info->exists, 1);
  CHECK_EQ_INT(info->mounted, 1);
  CHECK_EQ_INT(info->bytes, -1);
  CHECK_STR(info->data_dir, data);
  dingofs_x_free(info);
  fs_close(h);
  REQUIRE_EQ_INT(dingofs_x_local_info(addr, DINGOFS_X_LOCAL_SIZES, &info), 0);
  CHECK_EQ_INT(info->exists, 1);
  CHECK_EQ_INT(info->mounted, 0);
  CHECK(info->bytes >= 200000); /* the data file counts, wherever it is */
  CHECK_STR(info->data_dir, data);
  dingofs_x_free(info);
  /* a read-only mount counts as mounted too */
  h = fs_open("p", "ro=1");
  CHECK_EQ_INT(dingofs_x_local_info(addr, 0, &info), 0);
  CHECK_EQ_INT(info->mounted, 1);
  dingofs_x_free(info);
  fs_close(h);
}

TEST(local_list_names_sizes_and_bases) {
  char path[1100], data[1100];
  fs_close(fs_open("b", NULL));
  fs_close(fs_open("a", NULL));
  snprintf(data, sizeof data, "path=%s/outside", tt_base);
  uintptr_t h = fs_open("c", data);
  put_data_file(h, "/big");
  fs_close(h);
  /* what is not a filesystem's directory is not listed */
  snprintf(path, sizeof path, "%s/meta/.hidden", tt_base);
  REQUIRE(mkdir(path, 0700) == 0);
  snprintf(path, sizeof path, "%s/meta/bad name", tt_base);
  REQUIRE(mkdir(path, 0700) == 0);
  snprintf(path, sizeof path, "%s/meta/file", tt_base);
  int fd = open(path, O_WRONLY | O_CREAT, 0600);
  REQUIRE(fd >= 0);
  close(fd);
  dingofs_x_local_t* list = NULL;
  int n = dingofs_x_local_list(tt_base, DINGOFS_X_LOCAL_SIZES, &list);
  REQUIRE_EQ_INT(n, 3);
  CHECK_STR(list[0].name, "a");
  CHECK_STR(list[1].name, "b");
  CHECK_STR(list[2].name, "c");
  for (int i = 0; i < n; i++) {
    CHECK_STR(list[i].base_dir, tt_base);
    CHECK_EQ_INT(list[i].exists, 1);
    CHECK_EQ_INT(list[i].mounted, 0);
    CHECK(list[i].bytes > 0);
  }
  snprintf(path, sizeof path, "%s/outside", tt_base);
  CHECK_STR(list[2].data_dir, path);
  CHECK(list[2].bytes >= list[0].bytes + 200000);
  dingofs_x_free(list);
  /* without sizes, and mounted */
  h = fs_open("b", NULL);
  n = dingofs_x_local_list(tt_base, 0, &list);
  REQUIRE_EQ_INT(n, 3);
  CHECK_EQ_INT(list[0].bytes, -1);
  CHECK_EQ_INT(list[0].mounted, 0);
  CHECK_EQ_INT(list[1].mounted, 1);
  dingofs_x_free(list);
  fs_close(h);
  /* the default base, and a trailing '/' */
  setenv("DINGOFS_BASE_DIR", tt_base, 1);
  CHECK_EQ_INT(dingofs_x_local_list(NULL, 0, &list), 3);
  dingofs_x_free(list);
  snprintf(path, sizeof path, "%s/", tt_base);
  CHECK_EQ_INT(dingofs_x_local_list(path, 0, &list), 3);
  CHECK_STR(list[0].base_dir, tt_base);
  dingofs_x_free(list);
  /* a base without filesystems */
  snprintf(path, sizeof path, "%s/nothing-here", tt_base);
  list = (dingofs_x_local_t*)1;
  CHECK_EQ_INT(dingofs_x_local_list(path, 0, &list), 0);
  CHECK(list == NULL);
  CHECK(!host_exists(path));
  /* arguments */
  CHECK_EQ_INT(dingofs_x_local_list("", 0, &list), -EINVAL);
  CHECK_EQ_INT(dingofs_x_local_list(tt_base, 0, NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_x_local_list(tt_base, DINGOFS_X_LOCAL_PARSE, &list), -EINVAL);
  /* a base/meta that is not a directory */
  snprintf(path, sizeof path, "%s/flat", tt_base);
  REQUIRE(mkdir(path, 0700) == 0);
  snprintf(path, sizeof path, "%s/flat/meta", tt_base);
  fd = open(path, O_WRONLY | O_CREAT, 0600);
  REQUIRE(fd >= 0);
  close(fd);
  snprintf(path, sizeof path, "%s/flat", tt_base);
  CHECK_EQ_INT(dingofs_x_local_list(path, 0, &list), -ENOTDIR);
}

TEST(local_remove_refused_while_mounted_anywhere) {
  char addr[1024], path[1100], why[512];
  fs_addr(addr, sizeof addr, "busy", NULL);
  uintptr_t h = fs_open("busy", NULL);
  put_data_file(h, "/big");
  /* mounted in this process */
  CHECK_EQ_INT(dingofs_x_local_remove(addr), -EBUSY);
  CHECK(dingofs_x_last_error(why, sizeof why) > 0);
  CHECK(strstr(why, "mounted") != NULL);
  CHECK_EQ_INT(size_of(h, "/big"), 200000);
  fs_close(h);
  /* mounted in another process */
  mounted_child_t child;
  REQUIRE_EQ_INT(mounted_child_start(&child, "busy"), 0);
  CHECK_EQ_INT(dingofs_x_local_remove(addr), -EBUSY);
  dingofs_x_local_t* info = NULL;
  REQUIRE_EQ_INT(dingofs_x_local_info(addr, 0, &info), 0);
  CHECK_EQ_INT(info->mounted, 1);
  dingofs_x_free(info);
  /* the refused removal did not disturb the mount */
  CHECK_EQ_INT(mounted_child_end(&child), 0);
  CHECK_EQ_INT(fsck_problems("busy"), 0);
  /* not mounted any more: removed, metadata and data */
  CHECK_EQ_INT(dingofs_x_local_remove(addr), 0);
  snprintf(path, sizeof path, "%s/meta/busy", tt_base);
  CHECK(!host_exists(path));
  snprintf(path, sizeof path, "%s/data/busy", tt_base);
  CHECK(!host_exists(path));
  CHECK_EQ_INT(dingofs_x_local_remove(addr), -ENOENT);
  CHECK(dingofs_x_last_error(why, sizeof why) > 0);
  CHECK(strstr(why, "no filesystem busy") != NULL);
  h = dingofs_new();
  CHECK_EQ_INT(fs_try_mount(h, "busy", "create=0"), -ENOENT);
  dingofs_delete(h);
  /* a new filesystem of the same name starts empty */
  h = fs_open("busy", NULL);
  CHECK(!path_exists(h, "/big"));
  fs_close(h);
}

TEST(local_remove_of_a_path_filesystem_removes_its_data_dir) {
  char addr[1024], query[1100], data[1100], path[1200];
  snprintf(data, sizeof data, "%s/elsewhere/pdata", tt_base);
  snprintf(query, sizeof query, "path=%s", data);
  uintptr_t h = fs_open("pfs", query);
  put_data_file(h, "/big");
  put_data_file(h, "/big2");
  fs_close(h);
  REQUIRE(host_count_files(data) == 2);
  /* a path= other than the recorded one is refused, nothing is removed */
  char wrong[1200];
  snprintf(wrong, sizeof wrong, "path=%s/other", tt_base);
  fs_addr(addr, sizeof addr, "pfs", wrong);
  CHECK_EQ_INT(dingofs_x_local_remove(addr), -EINVAL);
  CHECK_EQ_INT(host_count_files(data), 2);
  /* the recorded one, given or not */
  fs_addr(addr, sizeof addr, "pfs", NULL);
  CHECK_EQ_INT(dingofs_x_local_remove(addr), 0);
  CHECK(!host_exists(data));
  snprintf(path, sizeof path, "%s/elsewhere", tt_base);
  CHECK(host_exists(path)); /* only the data directory itself goes */
  snprintf(path, sizeof path, "%s/meta/pfs", tt_base);
  CHECK(!host_exists(path));
  /* a data directory shared with other files keeps them */
  snprintf(data, sizeof data, "%s/shared", tt_base);
  REQUIRE(mkdir(data, 0700) == 0);
  snprintf(path, sizeof path, "%s/keep.txt", data);
  int fd = open(path, O_WRONLY | O_CREAT, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, "mine", 4) == 4);
  close(fd);
  snprintf(query, sizeof query, "path=%s", data);
  h = fs_open("shared", query);
  put_data_file(h, "/big");
  fs_close(h);
  fs_addr(addr, sizeof addr, "shared", query);
  CHECK_EQ_INT(dingofs_x_local_remove(addr), 0);
  CHECK(host_exists(path));
  CHECK_EQ_INT(host_count_files(data), 1);
  snprintf(path, sizeof path, "%s/00", data);
  CHECK(!host_exists(path));
}

TEST(local_remove_errors_and_leftovers) {
  char addr[1024], path[1100];
  CHECK_EQ_INT(dingofs_x_local_remove(NULL), -EINVAL);
  CHECK_EQ_INT(dingofs_x_local_remove(""), -EINVAL);
  CHECK_EQ_INT(dingofs_x_local_remove("local://../etc"), -EINVAL);
  CHECK_EQ_INT(dingofs_x_local_remove("local://x?colour=1"), -EINVAL);
  CHECK_EQ_INT(dingofs_x_local_remove("127.0.0.1:6700"), -EPROTONOSUPPORT);
  fs_addr(addr, sizeof addr, "never", NULL);
  CHECK_EQ_INT(dingofs_x_local_remove(addr), -ENOENT);
  /* a data directory left without its store (which mount refuses to cover
   * with a new, empty filesystem) is removed */
  uintptr_t h = fs_open("orphaned", NULL);
  put_data_file(h, "/big");
  fs_close(h);
  snprintf(path, sizeof path, "%s/meta/orphaned", tt_base);
  char cmd[1300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  REQUIRE(system(cmd) == 0);
  h = dingofs_new();
  CHECK_EQ_INT(fs_try_mount(h, "orphaned", NULL), -EEXIST);
  dingofs_delete(h);
  fs_addr(addr, sizeof addr, "orphaned", NULL);
  CHECK_EQ_INT(dingofs_x_local_remove(addr), 0);
  snprintf(path, sizeof path, "%s/data/orphaned", tt_base);
  CHECK(!host_exists(path));
  fs_close(fs_open("orphaned", NULL));
}

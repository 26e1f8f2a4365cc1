#include "helpers.h"

#include <ftw.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

void fs_addr(char* out, size_t n, const char* name, const char* query) {
  if (query && *query)
    snprintf(out, n, "local://%s?base=%s&%s", name, tt_base, query);
  else
    snprintf(out, n, "local://%s?base=%s", name, tt_base);
}

int fs_try_mount(uintptr_t h, const char* name, const char* query) {
  char addr[1024];
  fs_addr(addr, sizeof addr, name, query);
  /* DINGOFS_TEST_INLINE_MAX runs a suite with another inline threshold
   * (make check-crash runs the crash tests at 0 and at the default). */
  const char* inl = getenv("DINGOFS_TEST_INLINE_MAX");
  if (inl != NULL && dingofs_conf_set(h, "dingofs_inline_max_bytes", inl) != 0) return -EINVAL;
  return dingofs_mount_nolog(h, addr, name, "/mnt/test");
}

int fsck_problems(const char* name) {
  char addr[1024];
  fs_addr(addr, sizeof addr, name, NULL);
  char* report = NULL;
  int rc = dingofs_x_fsck(addr, 0, &report);
  if (rc != 0 && report != NULL) fprintf(stderr, "  fsck of %s: %d\n%s", name, rc, report);
  dingofs_x_free(report);
  return rc;
}

uintptr_t fs_open(const char* name, const char* query) {
  uintptr_t h = dingofs_new();
  REQUIRE(h != 0);
  int rc = fs_try_mount(h, name, query);
  if (rc != 0) {
    fprintf(stderr, "  mount of %s (%s) failed: %d (%s)\n", name,
            query ? query : "", rc, strerror(-rc));
    dingofs_delete(h);
  }
  REQUIRE_EQ_INT(rc, 0);
  return h;
}

uintptr_t fs_default(void) { return fs_open(FSNAME, NULL); }

void fs_close(uintptr_t h) {
  CHECK_EQ_INT(dingofs_umount(h), 0);
  dingofs_delete(h);
}

int put_file(uintptr_t h, const char* path, const void* data, size_t len) {
  int fd = dingofs_open(h, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return fd;
  size_t done = 0;
  while (done < len) {
    ssize_t w = dingofs_write(h, fd, (const char*)data + done, len - done);
    if (w <= 0) {
      dingofs_close(h, fd);
      return w < 0 ? (int)w : -EIO;
    }
    done += (size_t)w;
  }
  return dingofs_close(h, fd);
}

ssize_t get_file(uintptr_t h, const char* path, void* buf, size_t cap) {
  int fd = dingofs_open(h, path, O_RDONLY, 0);
  if (fd < 0) return fd;
  size_t done = 0;
  while (done < cap) {
    ssize_t r = dingofs_read(h, fd, (char*)buf + done, cap - done);
    if (r < 0) {
      dingofs_close(h, fd);
      return r;
    }
    if (r == 0) break;
    done += (size_t)r;
  }
  int rc = dingofs_close(h, fd);
  if (rc < 0) return rc;
  return (ssize_t)done;
}

int file_equals(uintptr_t h, const char* path, const void* data, size_t len) {
  char* buf = malloc(len + 16);
  if (!buf) return 0;
  ssize_t n = get_file(h, path, buf, len + 16);
  int ok = n == (ssize_t)len && memcmp(buf, data, len) == 0;
  if (!ok)
    fprintf(stderr, "  file %s: read %zd bytes, expected %zu%s\n", path, n,
            len, n == (ssize_t)len ? " (content differs)" : "");
  free(buf);
  return ok;
}

int list_names(uintptr_t h, const char* path, char (*names)[256], int max) {
  uint64_t dh = 0;
  int rc = dingofs_opendir(h, path, &dh);
  if (rc < 0) return rc;
  dingofs_dirent_t ents[16];
  int n = 0;
  for (;;) {
    int got = dingofs_readdir(h, dh, ents, 16);
    if (got < 0) {
      dingofs_closedir(h, dh);
      return got;
    }
    if (got == 0) break;
    for (int i = 0; i < got; i++) {
      if (!strcmp(ents[i].d_name, ".") || !strcmp(ents[i].d_name, ".."))
        continue;
      if (n < max) snprintf(names[n], 256, "%s", ents[i].d_name);
      n++;
    }
  }
  rc = dingofs_closedir(h, dh);
  return rc < 0 ? rc : n;
}

int has_name(char (*names)[256], int n, const char* name) {
  for (int i = 0; i < n; i++)
    if (!strcmp(names[i], name)) return 1;
  return 0;
}

int path_exists(uintptr_t h, const char* path) {
  struct stat st;
  return dingofs_lstat(h, path, &st) == 0;
}

long long size_of(uintptr_t h, const char* path) {
  struct stat st;
  int rc = dingofs_stat(h, path, &st);
  return rc < 0 ? rc : (long long)st.st_size;
}

unsigned char pattern_byte(unsigned seed, size_t off) {
  unsigned v = (unsigned)(off * 2654435761u) ^ (seed * 40503u) ^
               (unsigned)(off >> 7);
  unsigned char c = (unsigned char)(v ^ (v >> 13) ^ (v >> 24));
  return c ? c : 0x5a;
}

void fill_pattern(void* buf, size_t len, unsigned seed) {
  unsigned char* p = buf;
  for (size_t i = 0; i < len; i++) p[i] = pattern_byte(seed, i);
}

int wait_child(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

int mounted_child_start(mounted_child_t* c, const char* name) {
  int ready[2], go[2];
  if (pipe(ready) != 0) return -1;
  if (pipe(go) != 0) {
    close(ready[0]);
    close(ready[1]);
    return -1;
  }
  fflush(stdout);
  fflush(stderr);
  c->pid = fork();
  if (c->pid == 0) {
    tt_failures = 0;
    close(ready[0]);
    close(go[1]);
    uintptr_t h = fs_open(name, NULL);
    char m = 'm';
    CHECK(write(ready[1], &m, 1) == 1);
    CHECK(read(go[0], &m, 1) == 1);
    fs_close(h);
    fflush(stdout);
    fflush(stderr);
    _exit(tt_failures ? 1 : 0);
  }
  close(ready[1]);
  close(go[0]);
  c->ready = ready[0];
  c->go = go[1];
  char m;
  if (c->pid < 0 || read(c->ready, &m, 1) != 1) {
    close(c->ready);
    close(c->go);
    if (c->pid > 0) wait_child(c->pid);
    return -1;
  }
  return 0;
}

int mounted_child_end(mounted_child_t* c) {
  int ok = write(c->go, "x", 1) == 1;
  close(c->go);
  close(c->ready);
  int rc = wait_child(c->pid);
  return ok ? rc : -1;
}

int run_in_child(void (*fn)(void*), void* arg) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    tt_failures = 0;
    fn(arg);
    fflush(stdout);
    fflush(stderr);
    _exit(tt_failures ? 1 : 0);
  }
  return wait_child(pid);
}

int run_in_child_timeout(void (*fn)(void*), void* arg, int seconds) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    tt_failures = 0;
    fn(arg);
    fflush(stdout);
    fflush(stderr);
    _exit(tt_failures ? 1 : 0);
  }
  for (int waited_ms = 0; waited_ms < seconds * 1000; waited_ms += 10) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
    if (r < 0 && errno != EINTR) return -1;
    usleep(10000);
  }
  kill(pid, SIGKILL);
  wait_child(pid);
  return 124;
}

static uid_t chown_uid;
static gid_t chown_gid;
static int chown_one(const char* path, const struct stat* sb, int flag,
                     struct FTW* ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  /* best effort: a file that vanished meanwhile is not an error */
  (void)lchown(path, chown_uid, chown_gid);
  return 0;
}

void host_chown_tree(const char* dir, uid_t uid, gid_t gid) {
  chown_uid = uid;
  chown_gid = gid;
  nftw(dir, chown_one, 16, FTW_PHYS);
}

static int count_files_n;
static int count_one(const char* path, const struct stat* sb, int flag,
                     struct FTW* ftw) {
  (void)path;
  (void)ftw;
  if (flag == FTW_F && S_ISREG(sb->st_mode)) count_files_n++;
  return 0;
}

int host_count_files(const char* dir) {
  count_files_n = 0;
  if (nftw(dir, count_one, 16, FTW_PHYS) != 0) return -1;
  return count_files_n;
}

int run_as_user(uid_t uid, gid_t gid, const gid_t* groups, int ng,
                void (*fn)(uintptr_t, void*), void* arg) {
  if (geteuid() != 0) SKIP("permission tests need root to switch users");
  host_chown_tree(tt_base, uid, gid);
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    tt_failures = 0;
    if (setgroups((size_t)ng, groups) != 0 || setgid(gid) != 0 ||
        setuid(uid) != 0) {
      fprintf(stderr, "  cannot switch to uid %u: %s\n", (unsigned)uid,
              strerror(errno));
      _exit(3);
    }
    uintptr_t h = dingofs_new();
    char addr[1024];
    fs_addr(addr, sizeof addr, FSNAME, NULL);
    int rc = dingofs_mount_nolog(h, addr, FSNAME, "/mnt/user");
    if (rc != 0) {
      fprintf(stderr, "  mount as uid %u failed: %d\n", (unsigned)uid, rc);
      _exit(4);
    }
    fn(h, arg);
    dingofs_umount(h);
    dingofs_delete(h);
    fflush(stdout);
    fflush(stderr);
    _exit(tt_failures ? 1 : 0);
  }
  int st = wait_child(pid);
  host_chown_tree(tt_base, 0, 0);
  return st;
}

struct timespec now_ts(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

int ts_le(struct timespec a, struct timespec b) {
  return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec);
}

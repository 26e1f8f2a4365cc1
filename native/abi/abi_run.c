/*
 * abi_run.c - run-time cross check of a libdingofs.so.1 without a cluster.
 *
 * Built against one library (header + link) and run against either, by
 * LD_LIBRARY_PATH. Exercises only what works without a filesystem to mount:
 * handle lifecycle, configuration, the option list, and the error path of a
 * mount on an unreachable address. Prints one line per check and exits 0
 * only if every check passed.
 *
 * Environment:
 *   ABI_RUN_LOG_DIR   log directory to give the library (default: a new
 *                     temporary directory, removed at exit if empty)
 *   ABI_RUN_PORT      metrics port for the upstream client's mount attempt
 *                     (default: a free port chosen at run time)
 *   ABI_RUN_ADDR      unreachable cluster address (default 127.0.0.1:1)
 *
 * The prebuilt upstream client executes AVX-512 instructions when it mounts:
 * on an x86-64 processor without them its mount attempt is skipped (and
 * said so), since it would end the program with SIGILL.
 */
#define _GNU_SOURCE
#include <dingofs/libdingofs.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Present only in the embedded engine; resolved at run time. */
const char* dingofs_x_version(int* is_embedded) __attribute__((weak));

static int failures;
static int checks;
static int notes;

/* 1 when /proc/cpuinfo has a flags line without avx512f or avx512vl. */
static int cpu_lacks_avx512(void) {
#if defined(__x86_64__)
  FILE* f = fopen("/proc/cpuinfo", "r");
  char line[8192];
  int lacks = 0;
  if (f == NULL) return 0;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "flags", 5) != 0) continue;
    int f512 = 0, vl512 = 0;
    char* save = NULL;
    for (char* w = strtok_r(line, " \t\n", &save); w != NULL;
         w = strtok_r(NULL, " \t\n", &save)) {
      f512 |= strcmp(w, "avx512f") == 0;
      vl512 |= strcmp(w, "avx512vl") == 0;
    }
    lacks = !f512 || !vl512;
    break;
  }
  fclose(f);
  return lacks;
#else
  return 0;
#endif
}

/* Library calls seen changing errno (the contract says they must not). */
static const char* errno_culprit;
static int errno_seen;

/* Evaluate a library call with errno primed, remembering who changed it. */
#define CALL(call)                                      \
  __extension__({                                       \
    errno = 4242;                                       \
    __typeof__(call) r_ = (call);                       \
    if (errno != 4242) {                                \
      if (errno_culprit == NULL) errno_seen = errno;    \
      errno_culprit = #call;                            \
      printf("  errno changed to %d (%s) by %s\n", errno, \
             strerror(errno), #call);                   \
    }                                                   \
    r_;                                                 \
  })

/* A documented deviation of the upstream client: reported, not counted. */
static void note(int ok, const char* what, long got) {
  if (ok) {
    checks++;
    printf("  [ok] %s (got %ld)\n", what, got);
  } else {
    notes++;
    printf("  [note] upstream deviation: %s (got %ld)\n", what, got);
  }
}

static int remove_entry(const char* path, const struct stat* st, int type,
                        struct FTW* ftw) {
  (void)st;
  (void)type;
  (void)ftw;
  return remove(path);
}

static void check(int ok, const char* what, long got) {
  checks++;
  if (!ok) failures++;
  printf("  [%s] %s (got %ld)\n", ok ? "ok" : "FAIL", what, got);
}

/* Path of the libdingofs mapped into this process. */
static void print_loaded_library(void) {
  FILE* f = fopen("/proc/self/maps", "r");
  char line[4096];
  if (f == NULL) return;
  while (fgets(line, sizeof line, f) != NULL) {
    char* p = strstr(line, "libdingofs.so");
    if (p != NULL) {
      char* path = strchr(line, '/');
      if (path != NULL) printf("library: %s", path);
      break;
    }
  }
  fclose(f);
}

/* A TCP port that is free right now (best effort). */
static int free_port(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int port = 0;
  if (s < 0) return 0;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr*)&a, sizeof a) == 0 &&
      getsockname(s, (struct sockaddr*)&a, &len) == 0)
    port = ntohs(a.sin_port);
  close(s);
  return port;
}

int main(void) {
  int embedded = 0;
  const char* version = "upstream (no dingofs_x_version)";
  char tmpl[] = "/tmp/dingofs-abi-run.XXXXXX";
  const char* log_dir = getenv("ABI_RUN_LOG_DIR");
  const char* addr = getenv("ABI_RUN_ADDR");
  char buf[256];
  char tiny[2] = {'#', '#'};
  int rc;

  setvbuf(stdout, NULL, _IOLBF, 0);
  print_loaded_library();
  if (dingofs_x_version != NULL) version = dingofs_x_version(&embedded);
  printf("version: %s, embedded: %d\n", version, embedded);

  if (log_dir == NULL || *log_dir == '\0') {
    log_dir = mkdtemp(tmpl);
    if (log_dir == NULL) {
      perror("mkdtemp");
      return 2;
    }
  }
  if (addr == NULL || *addr == '\0') addr = "127.0.0.1:1";

  uintptr_t h = CALL(dingofs_new());
  check(h != 0, "dingofs_new returns a handle", (long)(h != 0));
  if (h == 0) return 1;

  rc = CALL(dingofs_conf_set(h, "log_dir", log_dir));
  check(rc == 0, "conf_set(log_dir)", rc);
  rc = CALL(dingofs_conf_set(h, "log.dir", log_dir));
  check(rc == 0, "conf_set(log.dir)", rc);
  rc = CALL(dingofs_conf_get(h, "log.dir", buf, sizeof buf));
  check(rc == 0 && strcmp(buf, log_dir) == 0, "conf_get(log.dir) round-trips",
        rc);

  rc = CALL(dingofs_conf_get(h, "vfs_meta_rpc_timeout_ms", buf, sizeof buf));
  check(rc == 0 && strtol(buf, NULL, 10) > 0,
        "conf_get(vfs_meta_rpc_timeout_ms) gives a positive number", rc);
  if (rc == 0) printf("  default vfs_meta_rpc_timeout_ms = %s\n", buf);
  rc = CALL(dingofs_conf_set(h, "vfs_meta_rpc_timeout_ms", "2500"));
  check(rc == 0, "conf_set(vfs_meta_rpc_timeout_ms, 2500)", rc);
  rc = CALL(dingofs_conf_get(h, "vfs_meta_rpc_timeout_ms", buf, sizeof buf));
  check(rc == 0 && strcmp(buf, "2500") == 0,
        "conf_get(vfs_meta_rpc_timeout_ms) == 2500", rc);
  rc = CALL(dingofs_conf_get(h, "vfs_meta_rpc_timeout_ms", tiny, sizeof tiny));
  check(rc == -ERANGE && tiny[0] == '#' && tiny[1] == '#',
        "conf_get into a 2-byte buffer: -ERANGE, buffer untouched", rc);
  rc = CALL(dingofs_conf_set(h, "no_such_option_abi_run", "1"));
  check(rc == -EINVAL, "conf_set(unknown key) == -EINVAL", rc);
  rc = CALL(dingofs_conf_get(h, "no_such_option_abi_run", buf, sizeof buf));
  check(rc == -EINVAL, "conf_get(unknown key) == -EINVAL", rc);

  dingofs_option_t* opts = NULL;
  int count = -1;
  rc = CALL(dingofs_conf_list(h, &opts, &count));
  check(rc == 0 && opts != NULL && count > 0, "conf_list returns options", rc);
  if (rc == 0 && opts != NULL) {
    int named = 0, sorted = 1, found = 0;
    for (int i = 0; i < count; i++) {
      if (opts[i].name != NULL && opts[i].name[0] != '\0' &&
          opts[i].type != NULL && opts[i].type[0] != '\0')
        named++;
      if (opts[i].name != NULL &&
          strcmp(opts[i].name, "vfs_meta_rpc_timeout_ms") == 0)
        found = 1;
      if (i > 0 && opts[i - 1].name != NULL && opts[i].name != NULL &&
          strcmp(opts[i - 1].name, opts[i].name) > 0)
        sorted = 0;
    }
    printf("  conf_list: %d options, sorted by name: %s\n", count,
           sorted ? "yes" : "no");
    check(named == count, "every option has a name and a type", named);
    check(found, "vfs_meta_rpc_timeout_ms is listed", found);
    dingofs_conf_list_free(opts, count);
  }
  dingofs_conf_list_free(NULL, 0);

  /* The upstream client starts a metrics server at mount: keep it off the
   * default port so parallel runs do not collide. The engine has no such
   * option (no port is ever opened) and must refuse the unknown key. */
  int port = getenv("ABI_RUN_PORT") ? atoi(getenv("ABI_RUN_PORT")) : free_port();
  snprintf(buf, sizeof buf, "%d", port > 0 ? port : 0);
  rc = CALL(dingofs_conf_set(h, "vfs_dummy_server_port", buf));
  if (embedded)
    check(rc == -EINVAL, "conf_set(vfs_dummy_server_port): unknown to engine",
          rc);
  else
    check(rc == 0, "conf_set(vfs_dummy_server_port)", rc);

  int tried_mount = 1;
  if (!embedded && cpu_lacks_avx512()) {
    tried_mount = 0;
    printf("  [skip] mount of an unreachable cluster address: this processor "
           "lacks AVX-512, which the upstream client executes at mount "
           "(SIGILL)\n");
  } else {
    rc = CALL(dingofs_mount(h, addr, "abi-run-fs", "/abi-run"));
    printf("  mount(%s) = %d (%s)\n", addr, rc, rc < 0 ? strerror(-rc) : "ok");
    check(rc < 0, "mount of an unreachable cluster address fails", rc);
    if (embedded)
      check(rc == -EPROTONOSUPPORT, "engine: cluster address -EPROTONOSUPPORT",
            rc);
  }

  rc = CALL(dingofs_umount(h));
  /* Upstream answers 0 for a handle that never tried to mount. */
  if (tried_mount)
    check(rc < 0, "umount of a handle that is not mounted fails", rc);
  else
    note(rc < 0, "umount of a handle that never mounted fails", rc);

  if (embedded)
    check(errno_culprit == NULL, "errno left untouched by the library",
          errno_seen);
  else
    note(errno_culprit == NULL, "errno left untouched by the library",
         errno_seen);

  dingofs_delete(h);
  dingofs_delete(0);

  /* A fresh handle still works after a failed mount on another one. */
  uintptr_t h2 = dingofs_new();
  check(h2 != 0, "a second dingofs_new returns a handle", (long)(h2 != 0));
  /* The engine never reuses a handle value; upstream may (it is a pointer). */
  if (embedded)
    check(h2 != h, "a deleted handle's value is not reused", (long)(h2 != h));
  else
    note(h2 != h, "a deleted handle's value is not reused", (long)(h2 != h));
  if (h2 != 0) {
    rc = CALL(dingofs_conf_get(h2, "vfs_meta_rpc_timeout_ms", buf, sizeof buf));
    check(rc == 0 && strcmp(buf, "2500") == 0,
          "process-wide option is seen by another handle", rc);
    dingofs_delete(h2);
  }

  if (getenv("ABI_RUN_LOG_DIR") == NULL) {
    /* Leave log files for inspection only when the run failed. */
    if (failures == 0) {
      if (nftw(log_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "could not remove %s\n", log_dir);
    } else {
      printf("logs kept in %s\n", log_dir);
    }
  }
  printf("abi_run: %d checks, %d failed, %d upstream deviations noted\n",
         checks, failures, notes);
  return failures == 0 ? 0 : 1;
}

/*
 * example.h - shared plumbing of the C examples: choosing the address,
 * mounting, and checking return values.
 *
 * Address: argv[1], else $DINGOFS_MDS_ADDRS, else a fresh embedded
 * filesystem "local://cexample?base=<new temporary directory>" that is
 * removed again at exit. A cluster address ("host:port[,host:port]") needs
 * the filesystem name in $DINGOFS_FSNAME. $DINGOFS_LOG_DIR sets log.dir.
 *
 * Every libdingofs call returns >= 0 on success and -errno on failure;
 * CHECK() prints the failing call with its error and exits with status 1.
 */
#ifndef DINGOFS_EXAMPLE_H_
#define DINGOFS_EXAMPLE_H_

#define _GNU_SOURCE
#include <dingofs/libdingofs.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An extension of the embedded engine: absent (NULL) in the upstream
 * library, so it is declared weak and tested before use. */
const char* dingofs_x_version(int* is_embedded) __attribute__((weak));

static uintptr_t ex_handle;
static char ex_tmpdir[4096];

static inline int ex_rm(const char* p, const struct stat* st, int t, struct FTW* f) {
  (void)st;
  (void)t;
  (void)f;
  return remove(p);
}

static inline void ex_cleanup(void) {
  if (ex_handle != 0) {
    dingofs_delete(ex_handle); /* unmounts first if still mounted */
    ex_handle = 0;
  }
  if (ex_tmpdir[0] != '\0') {
    nftw(ex_tmpdir, ex_rm, 16, FTW_DEPTH | FTW_PHYS);
    ex_tmpdir[0] = '\0';
  }
}

/* Exit with a message when a libdingofs call failed. */
#define CHECK(call)                                                        \
  __extension__({                                                          \
    long ex_rc_ = (long)(call);                                            \
    if (ex_rc_ < 0) {                                                      \
      fprintf(stderr, "%s:%d: %s failed: %s (%ld)\n", __FILE__, __LINE__,  \
              #call, strerror((int)-ex_rc_), ex_rc_);                      \
      exit(1);                                                             \
    }                                                                      \
    ex_rc_;                                                                \
  })

/* Exit when a condition about a result does not hold. */
#define EXPECT(cond)                                                       \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: expectation failed: %s\n", __FILE__,         \
              __LINE__, #cond);                                            \
      exit(1);                                                             \
    }                                                                      \
  } while (0)

/* The address to mount, following the rules at the top of this file. */
static inline const char* ex_address(int argc, char** argv) {
  static char addr[4200];
  const char* a = argc > 1 ? argv[1] : getenv("DINGOFS_MDS_ADDRS");
  if (a != NULL && *a != '\0') return a;
  snprintf(ex_tmpdir, sizeof ex_tmpdir, "%s/dingofs-cexample.XXXXXX",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (mkdtemp(ex_tmpdir) == NULL) {
    perror("mkdtemp");
    exit(1);
  }
  snprintf(addr, sizeof addr, "local://cexample?base=%s", ex_tmpdir);
  return addr;
}

/* Create a handle, apply the log directory and mount; returns the handle. */
static inline uintptr_t ex_mount(int argc, char** argv) {
  const char* addr = ex_address(argc, argv);
  const char* fsname = getenv("DINGOFS_FSNAME");
  const char* log_dir = getenv("DINGOFS_LOG_DIR");
  int local = strncmp(addr, "local://", 8) == 0;

  atexit(ex_cleanup);
  if (fsname == NULL) fsname = "";
  if (!local && *fsname == '\0') {
    fprintf(stderr, "set DINGOFS_FSNAME to mount a cluster address\n");
    exit(2);
  }
  ex_handle = dingofs_new();
  if (ex_handle == 0) {
    fprintf(stderr, "dingofs_new: out of memory\n");
    exit(1);
  }
  if (log_dir != NULL && *log_dir != '\0')
    CHECK(dingofs_conf_set(ex_handle, "log.dir", log_dir));
  else if (ex_tmpdir[0] != '\0')
    CHECK(dingofs_conf_set(ex_handle, "log.dir", ex_tmpdir));
  CHECK(dingofs_mount(ex_handle, addr, fsname, "/cexample"));
  printf("mounted %s\n", addr);
  return ex_handle;
}

/* Unmount and release the handle made by ex_mount(). */
static inline void ex_umount(uintptr_t h) {
  CHECK(dingofs_umount(h));
  dingofs_delete(h);
  ex_handle = 0;
  printf("unmounted\n");
}

#endif /* DINGOFS_EXAMPLE_H_ */

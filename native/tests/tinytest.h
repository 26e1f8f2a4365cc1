/*
 * tinytest.h - a very small test runner for the libdingofs C tests.
 *
 *   TEST(name) { ... }        register a test (runs in its own forked child
 *                             with a fresh temporary base directory tt_base)
 *   CHECK(cond)               non-fatal check, prints file:line on failure
 *   CHECK_EQ_INT(a, b)        non-fatal integer equality, prints both values
 *   REQUIRE(cond)             fatal check: the test stops at once
 *   REQUIRE_EQ_INT(a, b)      fatal integer equality
 *   SKIP(reason)              stop the test and report it as skipped
 *
 * Exactly one translation unit of a program defines TINYTEST_MAIN before
 * including this header; it gets main(). Command line: optional substrings;
 * only tests whose name contains one of them run. The program prints one
 * closing line "N passed, N failed" and exits non-zero on any failure.
 * Environment: TT_TIMEOUT (seconds per test, default 60), TT_KEEP=1 keeps
 * the temporary directories.
 */
#ifndef DINGOFS_TINYTEST_H_
#define DINGOFS_TINYTEST_H_

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef void (*tt_fn)(void);

void tt_register(const char* name, tt_fn fn, const char* file);
void tt_fail_here(const char* file, int line, const char* what);
void tt_fail_int(const char* file, int line, const char* ea, const char* eb,
                 long long a, long long b);
void tt_stop(void) __attribute__((noreturn));
void tt_skip(const char* why) __attribute__((noreturn));

/* Base directory of the running test (absolute, created by the runner). */
extern char tt_base[];
/* Number of failed checks so far in the running test. */
extern int tt_failures;

#define TT_CAT2(a, b) a##b
#define TT_CAT(a, b) TT_CAT2(a, b)

#define TEST(name)                                                   \
  static void TT_CAT(tt_body_, name)(void);                          \
  __attribute__((constructor)) static void TT_CAT(tt_reg_, name)(void) { \
    tt_register(#name, TT_CAT(tt_body_, name), __FILE__);            \
  }                                                                  \
  static void TT_CAT(tt_body_, name)(void)

#define CHECK(cond)                                   \
  do {                                                \
    if (!(cond)) tt_fail_here(__FILE__, __LINE__, #cond); \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                  \
  do {                                                                      \
    long long tt_a_ = (long long)(a), tt_b_ = (long long)(b);               \
    if (tt_a_ != tt_b_)                                                     \
      tt_fail_int(__FILE__, __LINE__, #a, #b, tt_a_, tt_b_);                \
  } while (0)

#define REQUIRE(cond)                                   \
  do {                                                  \
    if (!(cond)) {                                      \
      tt_fail_here(__FILE__, __LINE__, #cond);          \
      tt_stop();                                        \
    }                                                   \
  } while (0)

#define REQUIRE_EQ_INT(a, b)                                                \
  do {                                                                      \
    long long tt_a_ = (long long)(a), tt_b_ = (long long)(b);               \
    if (tt_a_ != tt_b_) {                                                   \
      tt_fail_int(__FILE__, __LINE__, #a, #b, tt_a_, tt_b_);                \
      tt_stop();                                                            \
    }                                                                       \
  } while (0)

#define SKIP(reason) tt_skip(reason)

#ifdef TINYTEST_MAIN
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TT_MAX_TESTS 1024
#define TT_EXIT_SKIP 77

struct tt_case {
  const char* name;
  tt_fn fn;
  const char* file;
};

static struct tt_case tt_cases[TT_MAX_TESTS];
static int tt_ncases;
char tt_base[512];
int tt_failures;
static const char* tt_current = "";

void tt_register(const char* name, tt_fn fn, const char* file) {
  if (tt_ncases >= TT_MAX_TESTS) {
    fprintf(stderr, "tinytest: too many tests\n");
    abort();
  }
  tt_cases[tt_ncases].name = name;
  tt_cases[tt_ncases].fn = fn;
  tt_cases[tt_ncases].file = file;
  tt_ncases++;
}

void tt_fail_here(const char* file, int line, const char* what) {
  tt_failures++;
  fprintf(stderr, "  %s:%d: [%s] CHECK failed: %s\n", file, line, tt_current,
          what);
  fflush(stderr);
}

void tt_fail_int(const char* file, int line, const char* ea, const char* eb,
                 long long a, long long b) {
  tt_failures++;
  fprintf(stderr, "  %s:%d: [%s] expected %s == %s, got %lld vs %lld\n", file,
          line, tt_current, ea, eb, a, b);
  fflush(stderr);
}

void tt_stop(void) {
  fflush(stdout);
  fflush(stderr);
  exit(1);
}

void tt_skip(const char* why) {
  printf("  skipped: %s\n", why);
  fflush(stdout);
  exit(TT_EXIT_SKIP);
}

static int tt_rm_one(const char* path, const struct stat* sb, int flag,
                     struct FTW* ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

static void tt_rmtree(const char* dir) {
  nftw(dir, tt_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int tt_selected(const char* name, int argc, char** argv) {
  if (argc <= 1) return 1;
  for (int i = 1; i < argc; i++)
    if (strstr(name, argv[i])) return 1;
  return 0;
}

static double tt_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  int passed = 0, failed = 0, skipped = 0;
  const char* tmo = getenv("TT_TIMEOUT");
  int timeout = tmo ? atoi(tmo) : 60;
  const char* keep = getenv("TT_KEEP");
  const char* tmpdir = getenv("TMPDIR");
  if (!tmpdir || !*tmpdir) tmpdir = "/tmp";
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int i = 0; i < tt_ncases; i++) {
    struct tt_case* c = &tt_cases[i];
    if (!tt_selected(c->name, argc, argv)) continue;
    snprintf(tt_base, sizeof tt_base, "%s/dingofs-tt-XXXXXX", tmpdir);
    if (!mkdtemp(tt_base)) {
      fprintf(stderr, "tinytest: mkdtemp: %s\n", strerror(errno));
      return 2;
    }
    double t0 = tt_now();
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
      fprintf(stderr, "tinytest: fork: %s\n", strerror(errno));
      return 2;
    }
    if (pid == 0) {
      setpgid(0, 0);
      tt_current = c->name;
      alarm((unsigned)timeout);
      c->fn();
      fflush(stdout);
      fflush(stderr);
      exit(tt_failures ? 1 : 0);
    }
    setpgid(pid, pid);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    /* Whatever the test left behind (e.g. a hung grandchild) goes too. */
    kill(-pid, SIGKILL);
    double dt = tt_now() - t0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      passed++;
      printf("PASS %s (%.2fs)\n", c->name, dt);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == TT_EXIT_SKIP) {
      passed++;
      skipped++;
      printf("SKIP %s\n", c->name);
    } else {
      failed++;
      if (WIFSIGNALED(status))
        printf("FAIL %s (killed by signal %d%s, %s)\n", c->name,
               WTERMSIG(status),
               WTERMSIG(status) == SIGALRM ? ": timeout" : "", c->file);
      else
        printf("FAIL %s (exit %d, %s)\n", c->name, WEXITSTATUS(status),
               c->file);
    }
    if (!(keep && *keep == '1')) tt_rmtree(tt_base);
  }
  if (skipped) printf("(%d of the passed tests were skipped)\n", skipped);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
#endif /* TINYTEST_MAIN */

#endif /* DINGOFS_TINYTEST_H_ */

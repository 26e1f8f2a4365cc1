/* Concurrency: threads on one handle, several handles, several processes,
 * close/umount racing I/O, metadata store timeouts. */
#include <dirent.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include "helpers.h"

#define NTHREADS 6

struct targ {
  uintptr_t h;
  int id;
  int fd;
  int errors;
  int ok;
  volatile int* stop;
};

static void run_threads(void* (*fn)(void*), struct targ* a, int n) {
  pthread_t t[16];
  for (int i = 0; i < n; i++) REQUIRE(pthread_create(&t[i], NULL, fn, &a[i]) == 0);
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
}

static void* create_many(void* p) {
  struct targ* a = p;
  char path[64];
  for (int i = 0; i < 150; i++) {
    snprintf(path, sizeof path, "/dir/t%d_%03d", a->id, i);
    int fd = dingofs_open(a->h, path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
      a->errors++;
      continue;
    }
    if (dingofs_write(a->h, fd, path, strlen(path)) != (ssize_t)strlen(path)) a->errors++;
    if (dingofs_close(a->h, fd) != 0) a->errors++;
  }
  return NULL;
}

TEST(mt_many_threads_create_in_one_directory) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/dir", 0755), 0);
  struct targ a[NTHREADS];
  memset(a, 0, sizeof a);
  for (int i = 0; i < NTHREADS; i++) a[i].h = h, a[i].id = i;
  run_threads(create_many, a, NTHREADS);
  for (int i = 0; i < NTHREADS; i++) CHECK_EQ_INT(a[i].errors, 0);
  static char names[NTHREADS * 150 + 8][256];
  CHECK_EQ_INT(list_names(h, "/dir", names, NTHREADS * 150 + 8), NTHREADS * 150);
  char p[64];
  snprintf(p, sizeof p, "/dir/t%d_%03d", NTHREADS - 1, 149);
  CHECK(file_equals(h, p, p, strlen(p)));
  dingofs_statfs_t sf;
  CHECK_EQ_INT(dingofs_statfs(h, &sf), 0);
  CHECK_EQ_INT(sf.used_inodes, 2 + NTHREADS * 150);
  fs_close(h);
}

/* Group commit: threads whose changes share transactions, some of them
 * failing in their checks (a name another thread made first), each must get
 * its own answer, and nothing of a failed change may stay. */
#define RACE_NAMES 200

static void* race_exclusive(void* p) {
  struct targ* a = p;
  char path[64];
  for (int i = 0; i < RACE_NAMES; i++) {
    /* every thread tries every name: exactly one wins each */
    snprintf(path, sizeof path, "/race/n%03d", (i + a->id * 37) % RACE_NAMES);
    int fd = dingofs_open(a->h, path, O_WRONLY | O_CREAT | O_EXCL, 0600 | a->id);
    if (fd == -EEXIST) {
      a->errors++;
      continue;
    }
    if (fd < 0 || dingofs_write(a->h, fd, &a->id, sizeof a->id) != (ssize_t)sizeof a->id ||
        dingofs_close(a->h, fd) != 0) {
      a->ok = -1000000;  /* any other failure fails the test */
      continue;
    }
    a->ok++;
    /* a change whose answer depends on this thread: its own mode comes back */
    char dir[64];
    snprintf(dir, sizeof dir, "/race/d%d_%03d", a->id, i);
    if (dingofs_mkdir(a->h, dir, 0700 | a->id) != 0) a->ok = -1000000;
    struct stat st;
    if (dingofs_x_last_attr(a->h, &st, NULL) != 0 ||
        (st.st_mode & 07777) != (unsigned)(0700 | a->id) || !S_ISDIR(st.st_mode))
      a->ok = -1000000;
  }
  return NULL;
}

TEST(mt_grouped_changes_each_get_their_own_answer) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/race", 0755), 0);
  struct targ a[4];
  memset(a, 0, sizeof a);
  for (int i = 0; i < 4; i++) a[i].h = h, a[i].id = i;
  run_threads(race_exclusive, a, 4);
  int won = 0, lost = 0;
  for (int i = 0; i < 4; i++) {
    CHECK(a[i].ok >= 0);
    won += a[i].ok;
    lost += a[i].errors;
  }
  CHECK_EQ_INT(won, RACE_NAMES);
  CHECK_EQ_INT(lost, 3 * RACE_NAMES);
  /* each name holds the bytes and the mode of the thread that made it */
  char path[64];
  int bad = 0;
  for (int i = 0; i < RACE_NAMES; i++) {
    snprintf(path, sizeof path, "/race/n%03d", i);
    int id = -1;
    struct stat st;
    if (get_file(h, path, (char*)&id, sizeof id) != (ssize_t)sizeof id || id < 0 || id > 3 ||
        dingofs_stat(h, path, &st) != 0 || (st.st_mode & 07777) != (unsigned)(0600 | id))
      bad++;
  }
  CHECK_EQ_INT(bad, 0);
  dingofs_statfs_t sf;
  CHECK_EQ_INT(dingofs_statfs(h, &sf), 0);
  CHECK_EQ_INT(sf.used_inodes, 2 + 2 * RACE_NAMES);  /* root, /race, files, their directories */
  fs_close(h);
  char addr[1024];
  fs_addr(addr, sizeof addr, FSNAME, NULL);
  CHECK_EQ_INT(dingofs_x_fsck(addr, 0, NULL), 0);
}

/* x_setattr is all or nothing even when its truncate (which changes the data
 * file) comes before a refused chown, while another thread's changes are
 * group-committed beside it and each made once. Runs as an unprivileged user. */
#define UNDO_ROUNDS 150

static void* undo_failer(void* p) {
  struct targ* a = p;
  char data[100];
  memset(data, 'x', sizeof data);
  for (int i = 0; i < UNDO_ROUNDS; i++) {
    int rc = dingofs_x_setattr(a->h, "/gw/a", 0, DINGOFS_X_SET_SIZE | DINGOFS_X_SET_UID, 0, 0,
                               (gid_t)-1, 0, NULL, NULL, NULL);
    if (rc == -EPERM) a->errors++;
    else a->ok = -1000000;
  }
  return NULL;
}

static void* undo_bystander(void* p) {
  struct targ* a = p;
  char path[64];
  for (int i = 0; i < UNDO_ROUNDS; i++) {
    snprintf(path, sizeof path, "/gw/b%03d", i);
    int fd = dingofs_open(a->h, path, O_WRONLY | O_CREAT | O_EXCL, 0640);
    if (fd < 0 || dingofs_close(a->h, fd) != 0) {
      a->errors++;
      continue;
    }
    snprintf(path, sizeof path, "/gw/d%03d", i);
    struct stat st;
    if (dingofs_mkdir(a->h, path, 0750) == 0 && dingofs_x_last_attr(a->h, &st, NULL) == 0 &&
        (st.st_mode & 07777) == 0750)
      a->ok++;
    else
      a->errors++;
  }
  return NULL;
}

static void undo_as_user(uintptr_t h, void* arg) {
  (void)arg;
  char data[100];
  memset(data, 'x', sizeof data);
  REQUIRE_EQ_INT(put_file(h, "/gw/a", data, sizeof data), 0);
  struct targ a[2];
  memset(a, 0, sizeof a);
  a[0].h = a[1].h = h;
  pthread_t t[2];
  REQUIRE(pthread_create(&t[0], NULL, undo_failer, &a[0]) == 0);
  REQUIRE(pthread_create(&t[1], NULL, undo_bystander, &a[1]) == 0);
  pthread_join(t[0], NULL);
  pthread_join(t[1], NULL);
  CHECK_EQ_INT(a[0].ok, 0);
  CHECK_EQ_INT(a[0].errors, UNDO_ROUNDS);
  CHECK_EQ_INT(a[1].errors, 0);
  CHECK_EQ_INT(a[1].ok, UNDO_ROUNDS);
  /* all or nothing: the refused change truncated nothing */
  CHECK(file_equals(h, "/gw/a", data, sizeof data));
  static char names[2 * UNDO_ROUNDS + 8][256];
  CHECK_EQ_INT(list_names(h, "/gw", names, 2 * UNDO_ROUNDS + 8), 2 * UNDO_ROUNDS + 1);
}

TEST(mt_setattr_refused_after_its_truncate_changes_nothing) {
  if (geteuid() != 0) SKIP("not root: cannot switch to another user");
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/gw", 0777), 0);
  fs_close(h);
  CHECK_EQ_INT(run_as_user(65534, 65534, NULL, 0, undo_as_user, NULL), 0);
  char addr[1024];
  fs_addr(addr, sizeof addr, FSNAME, NULL);
  CHECK_EQ_INT(dingofs_x_fsck(addr, 0, NULL), 0);
}

static void* io_own_file(void* p) {
  struct targ* a = p;
  char path[32];
  snprintf(path, sizeof path, "/file%d", a->id);
  size_t n = 2 << 20;
  char* data = malloc(n);
  char* back = malloc(n);
  if (!data || !back) {
    a->errors++;
    free(data);
    free(back);
    return NULL;
  }
  fill_pattern(data, n, (unsigned)a->id + 100);
  int fd = dingofs_open(a->h, path, O_RDWR | O_CREAT, 0644);
  if (fd < 0) {
    a->errors++;
  } else {
    for (size_t off = 0; off < n; off += 65536)
      if (dingofs_pwrite(a->h, fd, data + off, 65536, (off_t)off) != 65536) a->errors++;
    if (dingofs_fsync(a->h, fd, 1) != 0) a->errors++;
    for (size_t off = 0; off < n; off += 100000) {
      size_t len = n - off < 100000 ? n - off : 100000;
      if (dingofs_pread(a->h, fd, back, len, (off_t)off) != (ssize_t)len ||
          memcmp(back, data + off, len))
        a->errors++;
    }
    if (dingofs_close(a->h, fd) != 0) a->errors++;
  }
  free(data);
  free(back);
  return NULL;
}

TEST(mt_io_on_different_files) {
  uintptr_t h = fs_default();
  struct targ a[NTHREADS];
  memset(a, 0, sizeof a);
  for (int i = 0; i < NTHREADS; i++) a[i].h = h, a[i].id = i;
  run_threads(io_own_file, a, NTHREADS);
  for (int i = 0; i < NTHREADS; i++) CHECK_EQ_INT(a[i].errors, 0);
  for (int i = 0; i < NTHREADS; i++) {
    char p[32];
    snprintf(p, sizeof p, "/file%d", i);
    CHECK_EQ_INT(size_of(h, p), 2 << 20);
  }
  fs_close(h);
}

static void* shared_fd_worker(void* p) {
  struct targ* a = p;
  char buf[8192], back[8192];
  for (int r = 0; r < 40; r++) {
    off_t off = ((off_t)r * NTHREADS + a->id) * (off_t)sizeof buf;
    fill_pattern(buf, sizeof buf, (unsigned)(a->id * 1000 + r));
    if (dingofs_pwrite(a->h, a->fd, buf, sizeof buf, off) != (ssize_t)sizeof buf) a->errors++;
    if (dingofs_pread(a->h, a->fd, back, sizeof back, off) != (ssize_t)sizeof back ||
        memcmp(buf, back, sizeof buf))
      a->errors++;
  }
  return NULL;
}

TEST(mt_one_fd_shared_pread_pwrite_disjoint) {
  uintptr_t h = fs_default();
  int fd = dingofs_open(h, "/shared", O_RDWR | O_CREAT, 0644);
  REQUIRE(fd >= 3);
  struct targ a[NTHREADS];
  memset(a, 0, sizeof a);
  for (int i = 0; i < NTHREADS; i++) a[i].h = h, a[i].id = i, a[i].fd = fd;
  run_threads(shared_fd_worker, a, NTHREADS);
  for (int i = 0; i < NTHREADS; i++) CHECK_EQ_INT(a[i].errors, 0);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  CHECK_EQ_INT(size_of(h, "/shared"), 40LL * NTHREADS * 8192);
  /* verify everything after close */
  fd = dingofs_open(h, "/shared", O_RDONLY, 0);
  char buf[8192], want[8192];
  int bad = 0;
  for (int r = 0; r < 40; r++)
    for (int t = 0; t < NTHREADS; t++) {
      fill_pattern(want, sizeof want, (unsigned)(t * 1000 + r));
      off_t off = ((off_t)r * NTHREADS + t) * 8192;
      if (dingofs_pread(h, fd, buf, sizeof buf, off) != 8192 || memcmp(buf, want, 8192)) bad++;
    }
  CHECK_EQ_INT(bad, 0);
  dingofs_close(h, fd);
  fs_close(h);
}

static void* pread_until_ebadf(void* p) {
  struct targ* a = p;
  char buf[4096];
  for (int i = 0; i < 100000; i++) {
    ssize_t r = dingofs_pread(a->h, a->fd, buf, sizeof buf, 0);
    if (r == (ssize_t)sizeof buf) {
      a->ok++;
      continue;
    }
    if (r == -EBADF || r == -ENOTCONN) return NULL;
    a->errors++;
    return NULL;
  }
  a->errors++; /* never saw the close */
  return NULL;
}

TEST(mt_close_races_pread) {
  uintptr_t h = fs_default();
  char data[4096];
  fill_pattern(data, sizeof data, 5);
  REQUIRE_EQ_INT(put_file(h, "/f", data, sizeof data), 0);
  for (int round = 0; round < 20; round++) {
    int fd = dingofs_open(h, "/f", O_RDONLY, 0);
    REQUIRE(fd >= 3);
    struct targ a[4];
    memset(a, 0, sizeof a);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
      a[i].h = h;
      a[i].fd = fd;
      REQUIRE(pthread_create(&t[i], NULL, pread_until_ebadf, &a[i]) == 0);
    }
    usleep((useconds_t)(round * 300));
    CHECK_EQ_INT(dingofs_close(h, fd), 0);
    for (int i = 0; i < 4; i++) {
      pthread_join(t[i], NULL);
      CHECK_EQ_INT(a[i].errors, 0);
    }
    char buf[8];
    CHECK_EQ_INT(dingofs_pread(h, fd, buf, 8, 0), -EBADF);
  }
  fs_close(h);
}

static void* readdir_until_ebadf(void* p) {
  struct targ* a = p;
  dingofs_dirent_t e[4];
  for (int i = 0; i < 200000; i++) {
    int r = dingofs_readdir(a->h, (uint64_t)a->fd, e, 4);
    if (r >= 0) continue;
    if (r == -EBADF || r == -ENOTCONN) return NULL;
    a->errors++;
    return NULL;
  }
  return NULL;
}

TEST(mt_closedir_races_readdir) {
  uintptr_t h = fs_default();
  for (int i = 0; i < 50; i++) {
    char p[32];
    snprintf(p, sizeof p, "/e%d", i);
    REQUIRE_EQ_INT(put_file(h, p, "", 0), 0);
  }
  for (int round = 0; round < 10; round++) {
    uint64_t dh;
    REQUIRE_EQ_INT(dingofs_opendir(h, "/", &dh), 0);
    struct targ a[3];
    memset(a, 0, sizeof a);
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
      a[i].h = h;
      a[i].fd = (int)dh;
      REQUIRE(pthread_create(&t[i], NULL, readdir_until_ebadf, &a[i]) == 0);
    }
    usleep((useconds_t)(round * 200));
    CHECK_EQ_INT(dingofs_closedir(h, dh), 0);
    for (int i = 0; i < 3; i++) {
      pthread_join(t[i], NULL);
      CHECK_EQ_INT(a[i].errors, 0);
    }
  }
  fs_close(h);
}

static void* busy_until_unmounted(void* p) {
  struct targ* a = p;
  char path[64], buf[512];
  memset(buf, 'u', sizeof buf);
  for (int i = 0; i < 100000; i++) {
    snprintf(path, sizeof path, "/u%d_%d", a->id, i % 20);
    int fd = dingofs_open(a->h, path, O_RDWR | O_CREAT, 0644);
    if (fd < 0) {
      if (fd == -ENOTCONN || fd == -EBADF) return NULL;
      a->errors++;
      fprintf(stderr, "  open during umount race: %d\n", fd);
      return NULL;
    }
    ssize_t r = dingofs_pwrite(a->h, fd, buf, sizeof buf, 0);
    if (r < 0 && r != -EBADF && r != -ENOTCONN) a->errors++;
    r = dingofs_pread(a->h, fd, buf, sizeof buf, 0);
    if (r < 0 && r != -EBADF && r != -ENOTCONN) a->errors++;
    struct stat st;
    int rc = dingofs_stat(a->h, path, &st);
    if (rc < 0 && rc != -ENOTCONN) a->errors++;
    rc = dingofs_close(a->h, fd);
    if (rc < 0 && rc != -EBADF && rc != -ENOTCONN) a->errors++;
    a->ok++;
  }
  return NULL;
}

TEST(mt_umount_races_io) {
  for (int round = 0; round < 5; round++) {
    uintptr_t h = fs_default();
    struct targ a[4];
    memset(a, 0, sizeof a);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
      a[i].h = h;
      a[i].id = i;
      REQUIRE(pthread_create(&t[i], NULL, busy_until_unmounted, &a[i]) == 0);
    }
    usleep((useconds_t)(20000 + round * 10000));
    CHECK_EQ_INT(dingofs_umount(h), 0);
    for (int i = 0; i < 4; i++) {
      pthread_join(t[i], NULL);
      CHECK_EQ_INT(a[i].errors, 0);
    }
    dingofs_delete(h);
  }
  char addr[1024];
  fs_addr(addr, sizeof addr, FSNAME, NULL);
  CHECK_EQ_INT(dingofs_x_fsck(addr, 0, NULL), 0);
}

static void* delete_racer(void* p) {
  struct targ* a = p;
  struct stat st;
  for (int i = 0; i < 100000 && !*a->stop; i++) {
    int rc = dingofs_stat(a->h, "/", &st);
    if (rc != 0 && rc != -EINVAL && rc != -ENOTCONN) a->errors++;
    if (rc == -EINVAL) return NULL;
  }
  return NULL;
}

TEST(mt_delete_races_calls) {
  uintptr_t h = fs_default();
  volatile int stop = 0;
  struct targ a[3];
  memset(a, 0, sizeof a);
  pthread_t t[3];
  for (int i = 0; i < 3; i++) {
    a[i].h = h;
    a[i].stop = &stop;
    REQUIRE(pthread_create(&t[i], NULL, delete_racer, &a[i]) == 0);
  }
  usleep(20000);
  dingofs_delete(h);
  for (int i = 0; i < 3; i++) {
    pthread_join(t[i], NULL);
    CHECK_EQ_INT(a[i].errors, 0);
  }
}

TEST(mt_two_handles_in_one_process) {
  uintptr_t h1 = fs_default();
  uintptr_t h2 = fs_default();
  REQUIRE_EQ_INT(dingofs_mkdir(h1, "/dir", 0755), 0);
  struct targ a[4];
  memset(a, 0, sizeof a);
  for (int i = 0; i < 4; i++) a[i].h = (i & 1) ? h2 : h1, a[i].id = i;
  run_threads(create_many, a, 4);
  for (int i = 0; i < 4; i++) CHECK_EQ_INT(a[i].errors, 0);
  static char names[700][256];
  CHECK_EQ_INT(list_names(h1, "/dir", names, 700), 600);
  CHECK_EQ_INT(list_names(h2, "/dir", names, 700), 600);
  CHECK(file_equals(h2, "/dir/t0_000", "/dir/t0_000", 11));
  CHECK(file_equals(h1, "/dir/t1_000", "/dir/t1_000", 11));
  fs_close(h1);
  fs_close(h2);
}

static pid_t spawn(void (*fn)(void*), void* arg) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    tt_failures = 0;
    fn(arg);
    fflush(stdout);
    fflush(stderr);
    _exit(tt_failures ? 1 : 0);
  }
  return pid;
}

static int reap(pid_t pid) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

static void proc_creator(void* arg) {
  int id = (int)(intptr_t)arg;
  uintptr_t h = fs_default();
  dingofs_mkdirs(h, "/dir", 0755);
  struct targ a[2];
  memset(a, 0, sizeof a);
  for (int i = 0; i < 2; i++) a[i].h = h, a[i].id = id * 10 + i;
  run_threads(create_many, a, 2);
  for (int i = 0; i < 2; i++) CHECK_EQ_INT(a[i].errors, 0);
  fs_close(h);
}

TEST(mt_two_processes_create_in_one_directory) {
  /* create the filesystem first so both children open an existing one */
  uintptr_t h = fs_default();
  fs_close(h);
  pid_t p1 = spawn(proc_creator, (void*)(intptr_t)1);
  pid_t p2 = spawn(proc_creator, (void*)(intptr_t)2);
  REQUIRE(p1 > 0 && p2 > 0);
  CHECK_EQ_INT(reap(p1), 0);
  CHECK_EQ_INT(reap(p2), 0);
  h = fs_default();
  static char names[700][256];
  CHECK_EQ_INT(list_names(h, "/dir", names, 700), 600);
  CHECK(has_name(names, 600, "t10_000"));
  CHECK(has_name(names, 600, "t21_149"));
  dingofs_statfs_t sf;
  CHECK_EQ_INT(dingofs_statfs(h, &sf), 0);
  CHECK_EQ_INT(sf.used_inodes, 602);
  fs_close(h);
  char addr[1024];
  fs_addr(addr, sizeof addr, FSNAME, NULL);
  CHECK_EQ_INT(dingofs_x_fsck(addr, 0, NULL), 0);
}

struct pipes {
  int a2b[2];
  int b2a[2];
};

static void signal_fd(int fd) {
  char c = 's';
  CHECK(write(fd, &c, 1) == 1);
}
static void wait_fd(int fd) {
  char c;
  CHECK(read(fd, &c, 1) == 1);
}

static void writer_proc(void* arg) {
  struct pipes* p = arg;
  uintptr_t h = fs_default();
  char data[300000];
  fill_pattern(data, sizeof data, 31);
  CHECK_EQ_INT(put_file(h, "/handoff", data, sizeof data), 0);
  signal_fd(p->a2b[1]); /* written and closed */
  wait_fd(p->b2a[0]);   /* reader has checked */
  /* unlinked-but-open: open it, let the other process unlink it */
  int fd = dingofs_open(h, "/handoff", O_RDONLY, 0);
  CHECK(fd >= 3);
  signal_fd(p->a2b[1]);
  wait_fd(p->b2a[0]); /* unlinked and the other process did more work */
  char back[300000];
  CHECK_EQ_INT(dingofs_pread(h, fd, back, sizeof back, 0), (long long)sizeof back);
  CHECK(memcmp(back, data, sizeof back) == 0);
  struct stat st;
  CHECK_EQ_INT(dingofs_stat(h, "/handoff", &st), -ENOENT);
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  fs_close(h);
}

static void reader_proc(void* arg) {
  struct pipes* p = arg;
  uintptr_t h = fs_default();
  wait_fd(p->a2b[0]);
  char data[300000];
  fill_pattern(data, sizeof data, 31);
  CHECK(file_equals(h, "/handoff", data, sizeof data));
  signal_fd(p->b2a[1]);
  wait_fd(p->a2b[0]); /* the other process holds it open */
  CHECK_EQ_INT(dingofs_unlink(h, "/handoff"), 0);
  /* reuse space and names meanwhile */
  char junk[300000];
  fill_pattern(junk, sizeof junk, 99);
  CHECK_EQ_INT(put_file(h, "/handoff", junk, sizeof junk), 0);
  CHECK_EQ_INT(dingofs_unlink(h, "/handoff"), 0);
  CHECK_EQ_INT(put_file(h, "/other", junk, sizeof junk), 0);
  fs_close(h); /* umount here must not free the other's open file */
  signal_fd(p->b2a[1]);
}

TEST(mt_two_processes_close_to_open_and_unlinked_open_file) {
  uintptr_t h = fs_default();
  fs_close(h);
  struct pipes p;
  REQUIRE(pipe(p.a2b) == 0 && pipe(p.b2a) == 0);
  pid_t w = spawn(writer_proc, &p);
  pid_t r = spawn(reader_proc, &p);
  REQUIRE(w > 0 && r > 0);
  CHECK_EQ_INT(reap(w), 0);
  CHECK_EQ_INT(reap(r), 0);
  char addr[1024];
  fs_addr(addr, sizeof addr, FSNAME, NULL);
  CHECK_EQ_INT(dingofs_x_fsck(addr, 0, NULL), 0);
  h = fs_default();
  dingofs_statfs_t sf;
  CHECK_EQ_INT(dingofs_statfs(h, &sf), 0);
  CHECK_EQ_INT(sf.used_inodes, 2);
  CHECK(sf.used_bytes <= 300000 + 65536);
  fs_close(h);
}

static int find_db(const char* metadir, char* out, size_t n) {
  DIR* d = opendir(metadir);
  if (!d) return 0;
  struct dirent* e;
  int found = 0;
  while (!found && (e = readdir(d))) {
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", metadir, e->d_name);
    FILE* f = fopen(p, "rb");
    if (!f) continue;
    char hdr[16] = {0};
    if (fread(hdr, 1, 16, f) == 16 && !memcmp(hdr, "SQLite format 3", 16)) {
      snprintf(out, n, "%s", p);
      found = 1;
    }
    fclose(f);
  }
  closedir(d);
  return found;
}

TEST(mt_busy_metadata_store_times_out) {
  uintptr_t h = dingofs_new();
  REQUIRE_EQ_INT(dingofs_conf_set(h, "vfs_meta_rpc_timeout_ms", "300"), 0);
  REQUIRE_EQ_INT(dingofs_conf_set(h, "vfs_meta_rpc_retry_times", "0"), 0);
  REQUIRE_EQ_INT(fs_try_mount(h, FSNAME, NULL), 0);
  REQUIRE_EQ_INT(dingofs_mkdir(h, "/before", 0755), 0);
  char meta[700], db[1300];
  snprintf(meta, sizeof meta, "%s/meta/%s", tt_base, FSNAME);
  REQUIRE(find_db(meta, db, sizeof db));
  sqlite3* s = NULL;
  REQUIRE(sqlite3_open(db, &s) == SQLITE_OK);
  REQUIRE(sqlite3_exec(s, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
  struct timespec t0 = now_ts();
  int rc = dingofs_mkdir(h, "/during", 0755);
  struct timespec t1 = now_ts();
  CHECK_EQ_INT(rc, -ETIMEDOUT);
  double waited = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  CHECK(waited >= 0.2);
  CHECK(waited < 10.0);
  /* reads keep working */
  struct stat st;
  CHECK_EQ_INT(dingofs_stat(h, "/before", &st), 0);
  REQUIRE(sqlite3_exec(s, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
  sqlite3_close(s);
  CHECK_EQ_INT(dingofs_mkdir(h, "/during", 0755), 0);
  fs_close(h);
}

/* O_APPEND across processes: three processes append fixed-size records to one
 * file at the same time (each through its own handle; one of them reopens the
 * file every few records). Every record must land whole at a record boundary,
 * none may be lost or overwritten, and each process's records keep its
 * order. */
#define APP_PROCS 3
#define APP_RECORDS 400
#define APP_RECLEN 64

static void make_record(char* rec, int proc, int seq) {
  memset(rec, 'a' + proc, APP_RECLEN);
  int n = snprintf(rec, APP_RECLEN, "P%d S%05d ", proc, seq);
  rec[n] = (char)('a' + proc);
  unsigned sum = 0;
  for (int i = 0; i < APP_RECLEN - 1; i++) sum = sum * 31 + (unsigned char)rec[i];
  rec[APP_RECLEN - 1] = (char)('A' + sum % 26);
}

struct app_arg {
  int proc;
  int go; /* read end of the start pipe */
};

static void appender_proc(void* arg) {
  struct app_arg* a = arg;
  uintptr_t h = fs_default();
  char c;
  CHECK(read(a->go, &c, 1) == 1); /* start together */
  int fd = dingofs_open(h, "/log", O_WRONLY | O_APPEND, 0);
  REQUIRE(fd >= 3);
  char rec[APP_RECLEN];
  for (int s = 0; s < APP_RECORDS; s++) {
    make_record(rec, a->proc, s);
    ssize_t w = dingofs_write(h, fd, rec, APP_RECLEN);
    if (w != APP_RECLEN) {
      CHECK_EQ_INT(w, APP_RECLEN);
      break;
    }
    if (a->proc == 2 && s % 25 == 24) { /* close-to-open in the middle */
      CHECK_EQ_INT(dingofs_close(h, fd), 0);
      fd = dingofs_open(h, "/log", O_WRONLY | O_APPEND, 0);
      REQUIRE(fd >= 3);
    }
  }
  CHECK_EQ_INT(dingofs_close(h, fd), 0);
  fs_close(h);
}

TEST(mt_three_processes_o_append_records_intact) {
  uintptr_t h = fs_default();
  REQUIRE_EQ_INT(put_file(h, "/log", "", 0), 0);
  fs_close(h);
  int go[2];
  REQUIRE(pipe(go) == 0);
  struct app_arg args[APP_PROCS];
  pid_t pids[APP_PROCS];
  for (int p = 0; p < APP_PROCS; p++) {
    args[p].proc = p;
    args[p].go = go[0];
    pids[p] = spawn(appender_proc, &args[p]);
    REQUIRE(pids[p] > 0);
  }
  char start[APP_PROCS];
  memset(start, 'g', sizeof start);
  REQUIRE(write(go[1], start, sizeof start) == (ssize_t)sizeof start);
  for (int p = 0; p < APP_PROCS; p++) CHECK_EQ_INT(reap(pids[p]), 0);
  close(go[0]);
  close(go[1]);

  const size_t total = (size_t)APP_PROCS * APP_RECORDS * APP_RECLEN;
  h = fs_default();
  CHECK_EQ_INT(size_of(h, "/log"), (long long)total);
  char* buf = malloc(total + APP_RECLEN);
  REQUIRE(buf != NULL);
  ssize_t got = get_file(h, "/log", buf, total + APP_RECLEN);
  CHECK_EQ_INT(got, (long long)total);
  int next[APP_PROCS] = {0};
  int bad = 0;
  char want[APP_RECLEN];
  for (ssize_t off = 0; off + APP_RECLEN <= got; off += APP_RECLEN) {
    const char* rec = buf + off;
    int proc = rec[1] - '0';
    if (rec[0] != 'P' || proc < 0 || proc >= APP_PROCS || next[proc] >= APP_RECORDS) {
      bad++;
      continue;
    }
    /* the next record of that process, whole */
    make_record(want, proc, next[proc]);
    if (memcmp(rec, want, APP_RECLEN) != 0) {
      if (bad == 0)
        fprintf(stderr, "  record at %lld: '%.*s'\n", (long long)off, APP_RECLEN, rec);
      bad++;
      continue;
    }
    next[proc]++;
  }
  CHECK_EQ_INT(bad, 0);
  for (int p = 0; p < APP_PROCS; p++) CHECK_EQ_INT(next[p], APP_RECORDS);
  free(buf);
  fs_close(h);
  char addr[1024];
  fs_addr(addr, sizeof addr, FSNAME, NULL);
  char* report = NULL;
  int problems = dingofs_x_fsck(addr, 0, &report);
  if (problems != 0 && report != NULL) fprintf(stderr, "  fsck: %s\n", report);
  dingofs_x_free(report);
  CHECK_EQ_INT(problems, 0);
}

/*
 * helpers.h - shared fixtures of the libdingofs C tests.
 * Every test runs in its own process with its own base directory tt_base;
 * the helpers build local:// addresses under it.
 */
#ifndef DINGOFS_TEST_HELPERS_H_
#define DINGOFS_TEST_HELPERS_H_

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "dingofs/libdingofs.h"
#include "tinytest.h"

/* Default filesystem name used by the tests. */
#define FSNAME "t"

/* Writes "local://NAME?base=<tt_base>[&query]" into out. */
void fs_addr(char* out, size_t n, const char* name, const char* query);
/* New handle mounted (without log) on NAME with extra query (may be NULL);
 * the test stops when it fails. */
uintptr_t fs_open(const char* name, const char* query);
/* The same with the default name and no query. */
uintptr_t fs_default(void);
/* mount_nolog of NAME with query on an existing handle; returns the rc. */
int fs_try_mount(uintptr_t h, const char* name, const char* query);
/* umount (checked to return 0) and delete. */
void fs_close(uintptr_t h);

/* Read-only check of filesystem NAME (no query): the number of problems
 * (0 = consistent) or -errno; the report goes to stderr when not clean. */
int fsck_problems(const char* name);
/* Create/truncate path and write len bytes; returns 0 or -errno. */
int put_file(uintptr_t h, const char* path, const void* data, size_t len);
/* Read up to cap bytes of path; returns the count or -errno. */
ssize_t get_file(uintptr_t h, const char* path, void* buf, size_t cap);
/* 1 when path's content is exactly data[0..len). */
int file_equals(uintptr_t h, const char* path, const void* data, size_t len);
/* Names of a directory except "." and ".."; returns the count or -errno. */
int list_names(uintptr_t h, const char* path, char (*names)[256], int max);
/* 1 when name is among names[0..n). */
int has_name(char (*names)[256], int n, const char* name);
/* lstat-based existence test. */
int path_exists(uintptr_t h, const char* path);
/* st_size of path (or -errno). */
long long size_of(uintptr_t h, const char* path);
/* Deterministic, never-zero byte pattern. */
void fill_pattern(void* buf, size_t len, unsigned seed);
/* Deterministic pattern starting at file offset off (for partial checks). */
unsigned char pattern_byte(unsigned seed, size_t off);

/* Fork; the child runs fn(arg) and exits with 0 when it had no failed check.
 * Returns the child's wait status converted: 0 = success, else non-zero. */
int run_in_child(void (*fn)(void*), void* arg);
/* Like run_in_child, but a child still running after `seconds` is killed
 * and 124 is returned. */
int run_in_child_timeout(void (*fn)(void*), void* arg, int seconds);
/* The exit status of child pid, converted as run_in_child does. */
int wait_child(pid_t pid);
/* A child process that keeps filesystem NAME mounted meanwhile:
 * mounted_child_start returns 0 once the child has mounted (-1 when it could
 * not start), mounted_child_end lets it unmount and returns its status as
 * run_in_child does. */
typedef struct {
  pid_t pid;
  int ready; /* read end: the child has mounted */
  int go;    /* write end: the child may unmount */
} mounted_child_t;
int mounted_child_start(mounted_child_t* c, const char* name);
int mounted_child_end(mounted_child_t* c);
/* Fork; the child drops to uid/gid (supplementary groups: groups[0..ng)),
 * mounts FSNAME on its own handle and runs fn(h, arg). The on-disk files are
 * handed to uid first (the engine keeps them 0700/0600). Returns like
 * run_in_child. Skips the test when not root. */
int run_as_user(uid_t uid, gid_t gid, const gid_t* groups, int ng,
                void (*fn)(uintptr_t, void*), void* arg);
/* Recursively chown a host directory tree. */
void host_chown_tree(const char* dir, uid_t uid, gid_t gid);
/* Number of regular files under a host directory tree. */
int host_count_files(const char* dir);
/* Current CLOCK_REALTIME. */
struct timespec now_ts(void);
/* a <= b for timespecs. */
int ts_le(struct timespec a, struct timespec b);

#endif /* DINGOFS_TEST_HELPERS_H_ */

/*
 * replay_main.c - standalone driver for fuzz_abi.c without libFuzzer.
 *
 * Usage: fuzz_abi_replay PATH...   (files, or directories read one level deep)
 * Runs every input once through LLVMFuzzerTestOneInput, in name order inside
 * a directory, and prints how many were run.  A crash, a sanitizer report or
 * a contract violation ends the process with a non-zero status; the name of
 * the input being run is printed first so it can be found again.
 */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

static int run_file(const char* path) {
  FILE* f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return -1;
  }
  uint8_t* buf = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len == cap) {
      cap = cap ? cap * 2 : 4096;
      uint8_t* nb = realloc(buf, cap);
      if (!nb) {
        free(buf);
        fclose(f);
        return -1;
      }
      buf = nb;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    if (got == 0) break;
    len += got;
  }
  fclose(f);
  fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
  LLVMFuzzerTestOneInput(buf, len);
  free(buf);
  return 0;
}

static int by_name(const struct dirent** a, const struct dirent** b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
    return 2;
  }
  /* The target sends stdout to /dev/null; keep the real one for the summary. */
  int out = dup(1);
  long runs = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      perror(argv[i]);
      return 2;
    }
    if (!S_ISDIR(st.st_mode)) {
      if (run_file(argv[i]) != 0) return 2;
      runs++;
      continue;
    }
    struct dirent** names = NULL;
    int n = scandir(argv[i], &names, NULL, by_name);
    if (n < 0) {
      perror(argv[i]);
      return 2;
    }
    for (int j = 0; j < n; j++) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", argv[i], names[j]->d_name);
      struct stat fst;
      if (names[j]->d_name[0] != '.' && stat(path, &fst) == 0 && S_ISREG(fst.st_mode)) {
        if (run_file(path) != 0) return 2;
        runs++;
      }
      free(names[j]);
    }
    free(names);
  }
  dprintf(out >= 0 ? out : 2, "fuzz replay: %ld passed, 0 failed\n", runs);
  return runs > 0 ? 0 : 1;
}

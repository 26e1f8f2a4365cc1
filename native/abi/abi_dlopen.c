/*
 * abi_dlopen.c LIBRARY - load a libdingofs late, as a language runtime does
 * (Python loads its extension modules after start-up), and call dingofs_new.
 * Prints what happened; exits 0 when the library loaded and worked, 3 when
 * dlopen failed (the message is printed; for the upstream client it is the
 * static-TLS error unless GLIBC_TUNABLES=glibc.rtld.optional_static_tls=...
 * is set), 1 for any other failure.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s LIBRARY\n", argv[0]);
    return 1;
  }
  void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    printf("dlopen failed: %s\n", dlerror());
    return 3;
  }
  uintptr_t (*new_fn)(void) = (uintptr_t(*)(void))dlsym(lib, "dingofs_new");
  void (*delete_fn)(uintptr_t) = (void (*)(uintptr_t))dlsym(lib, "dingofs_delete");
  if (new_fn == NULL || delete_fn == NULL) {
    printf("dlsym failed: %s\n", dlerror());
    return 1;
  }
  uintptr_t h = new_fn();
  if (h == 0) {
    printf("dingofs_new returned 0\n");
    return 1;
  }
  delete_fn(h);
  printf("dlopen ok: %s\n", argv[1]);
  return 0;
}

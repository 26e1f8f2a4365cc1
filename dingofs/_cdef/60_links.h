/* Links, rename, unlink. */
int dingofs_rename(uintptr_t h, const char* src, const char* dst);
int dingofs_unlink(uintptr_t h, const char* path);
int dingofs_link(uintptr_t h, const char* oldpath, const char* newpath);
int dingofs_symlink(uintptr_t h, const char* target, const char* linkpath);
ssize_t dingofs_readlink(uintptr_t h, const char* path, char* buf, size_t bufsz);

/* Directories. */
int dingofs_mkdir(uintptr_t h, const char* path, mode_t mode);
int dingofs_mkdirs(uintptr_t h, const char* path, mode_t mode);
int dingofs_rmdir(uintptr_t h, const char* path);
int dingofs_opendir(uintptr_t h, const char* path, uint64_t* dh);
int dingofs_readdir(uintptr_t h, uint64_t dh, dingofs_dirent_t* buf, int count);
int dingofs_closedir(uintptr_t h, uint64_t dh);

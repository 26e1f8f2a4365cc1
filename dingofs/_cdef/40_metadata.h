/* Metadata. */
int dingofs_stat(uintptr_t h, const char* path, struct stat* st);
int dingofs_lstat(uintptr_t h, const char* path, struct stat* st);
int dingofs_fstat(uintptr_t h, int fd, struct stat* st);
int dingofs_chmod(uintptr_t h, const char* path, mode_t mode);
int dingofs_chown(uintptr_t h, const char* path, uid_t owner, gid_t group);
int dingofs_truncate(uintptr_t h, const char* path, off_t length);
int dingofs_utimes(uintptr_t h, const char* path, const struct timeval tv[2]);
int dingofs_statfs(uintptr_t h, dingofs_statfs_t* st);

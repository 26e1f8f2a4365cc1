/* Extended attributes and ioctl. */
int dingofs_setxattr(uintptr_t h, const char* path, const char* name, const void* value, size_t size, int flags);
ssize_t dingofs_getxattr(uintptr_t h, const char* path, const char* name, void* value, size_t size);
ssize_t dingofs_listxattr(uintptr_t h, const char* path, char* list, size_t size);
int dingofs_removexattr(uintptr_t h, const char* path, const char* name);
int dingofs_ioctl(uintptr_t h, int fd, unsigned int cmd, void* arg);

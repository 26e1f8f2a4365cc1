/* File I/O. */
int dingofs_open(uintptr_t h, const char* path, int flags, mode_t mode);
ssize_t dingofs_read(uintptr_t h, int fd, void* buf, size_t count);
ssize_t dingofs_write(uintptr_t h, int fd, const void* buf, size_t count);
ssize_t dingofs_pread(uintptr_t h, int fd, void* buf, size_t count, off_t offset);
ssize_t dingofs_pwrite(uintptr_t h, int fd, const void* buf, size_t count, off_t offset);
off_t dingofs_lseek(uintptr_t h, int fd, off_t offset, int whence);
int dingofs_flush(uintptr_t h, int fd);
int dingofs_fsync(uintptr_t h, int fd, int datasync);
int dingofs_close(uintptr_t h, int fd);
int dingofs_ftruncate(uintptr_t h, int fd, off_t length);

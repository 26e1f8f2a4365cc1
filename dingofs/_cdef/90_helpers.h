/* Helpers of the Python hot paths, defined in dingofs/_csrc/bridge.c. */
int dfx_readdir_pack(uintptr_t h, uint64_t dh, int plus, void* tmp, int count, char* names, uint64_t* inos, unsigned char* types, char* attrs, size_t stride, size_t flags_off, int64_t* out);
ssize_t dfx_pread_counted(uintptr_t h, int fd, char* buf, size_t count, off_t offset, int64_t* counts);
ssize_t dfx_read_counted(uintptr_t h, int fd, char* buf, size_t count, int64_t* counts);
off_t dfx_lseek_counted(uintptr_t h, int fd, off_t offset, int whence, int64_t* counts);
int dfx_stat_counted(uintptr_t h, const char* path, int flags, struct stat* st, uint32_t* iflags, int64_t* counts);
int dfx_fstat_counted(uintptr_t h, int fd, struct stat* st, uint32_t* iflags, int64_t* counts);

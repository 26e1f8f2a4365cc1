/* Helpers of the Python hot paths, defined in dingofs/_csrc/bridge.c. */
int dfx_readdir_pack(uintptr_t h, uint64_t dh, int plus, void* tmp, int count, char* names, uint64_t* inos, unsigned char* types, char* attrs, size_t stride, size_t flags_off, int64_t* out);
typedef struct { int64_t calls; int32_t closed; int32_t spare; } dfx_gate_t;
#define DFX_REFUSED ...
int dfx_gate_enter(dfx_gate_t* g);
void dfx_gate_leave(dfx_gate_t* g);
int dfx_gate_shut(dfx_gate_t* g);
void dfx_gate_kill(dfx_gate_t* g);
ssize_t dfx_pread_counted(dfx_gate_t* g, uintptr_t h, int fd, char* buf, size_t count, off_t offset, int64_t* counts);
ssize_t dfx_read_counted(dfx_gate_t* g, uintptr_t h, int fd, char* buf, size_t count, int64_t* counts);
off_t dfx_lseek_counted(dfx_gate_t* g, uintptr_t h, int fd, off_t offset, int whence, int64_t* counts);
int dfx_stat_counted(dfx_gate_t* g, uintptr_t h, const char* path, int flags, struct stat* st, uint32_t* iflags, int64_t* counts);
int dfx_fstat_counted(dfx_gate_t* g, uintptr_t h, int fd, struct stat* st, uint32_t* iflags, int64_t* counts);
int dfx_access_counted(dfx_gate_t* g, uintptr_t h, const char* path, int mode, int64_t* counts);
int dfx_open_gated(dfx_gate_t* g, uintptr_t h, const char* path, int flags, mode_t mode, int refuse_dir);
int dfx_close_gated(dfx_gate_t* g, uintptr_t h, int fd);
ssize_t dfx_write_gated(dfx_gate_t* g, uintptr_t h, int fd, const void* buf, size_t count);
ssize_t dfx_pwrite_gated(dfx_gate_t* g, uintptr_t h, int fd, const void* buf, size_t count, off_t offset);
ssize_t dfx_getxattr_gated(dfx_gate_t* g, uintptr_t h, const char* path, const char* name, void* value, size_t size);

/* Types of the public header (exact layouts). */
typedef struct { uint64_t d_ino; uint8_t d_type; char d_name[256]; } dingofs_dirent_t;
typedef struct { int64_t total_bytes; int64_t used_bytes; int64_t total_inodes; int64_t used_inodes; } dingofs_statfs_t;
typedef struct { const char* name; const char* type; const char* default_value; const char* description; } dingofs_option_t;

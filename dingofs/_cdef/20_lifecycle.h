/* Lifecycle and configuration. */
uintptr_t dingofs_new(void);
void dingofs_delete(uintptr_t h);
int dingofs_conf_list(uintptr_t h, dingofs_option_t** opts, int* count);
void dingofs_conf_list_free(dingofs_option_t* opts, int count);
void dingofs_conf_print(uintptr_t h);
int dingofs_conf_set(uintptr_t h, const char* key, const char* value);
int dingofs_conf_load(uintptr_t h, const char* path);
int dingofs_conf_get(uintptr_t h, const char* key, char* value, size_t bufsz);
int dingofs_mount(uintptr_t h, const char* mds_addrs, const char* fsname, const char* mountpoint);
int dingofs_mount_nolog(uintptr_t h, const char* mds_addrs, const char* fsname, const char* mountpoint);
int dingofs_umount(uintptr_t h);

// The C shim: every exported function of libdingofs.h lives in this file.
// It checks arguments, finds the handle, runs the engine and turns internal
// failures into -errno; no exception ever crosses this boundary.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "address.h"
#include "checker.h"
#include "common.h"
#include "dingofs/libdingofs.h"
#include "fs.h"
#include "local.h"
#include "options.h"
#include "registry.h"

#define DINGOFS_API extern "C" __attribute__((visibility("default")))

using dingofs::Fail;
using dingofs::Fs;
using dingofs::FsError;
using dingofs::Handle;

namespace {

// Keeps the caller's errno intact across a call.
class ErrnoSaver {
 public:
  ErrnoSaver() : saved_(errno) {}
  ~ErrnoSaver() { errno = saved_; }

 private:
  int saved_;
};

template <class F>
auto Guard(F f) -> decltype(f()) {
  ErrnoSaver es;
  try {
    return f();
  } catch (...) {
    int err = dingofs::CurrentErrno();
    return -(err >= dingofs::kRetry ? ETIMEDOUT : err);  // internal codes never leave
  }
}

std::shared_ptr<Handle> GetHandle(uintptr_t h) {
  auto hd = dingofs::RegistryGet(h);
  if (!hd) Fail(EINVAL);
  return hd;
}

// The filesystem of h inside the caller's CallSection: EINVAL for an unknown
// handle; nullptr when it was never mounted.
Fs* SectionFs(uintptr_t h) {
  Fs* fs = nullptr;
  if (!dingofs::SectionFs(h, &fs)) Fail(EINVAL);
  return fs;
}

// The mounted filesystem of h (path calls): EINVAL / ENOTCONN.
Fs* MountedFs(uintptr_t h) {
  Fs* fs = SectionFs(h);
  if (!fs || !fs->mounted() || fs->generation() != dingofs::ProcessGeneration()) Fail(ENOTCONN);
  return fs;
}

// The filesystem of h for fd/dir-handle calls: an unmounted handle knows no fd.
void CheckFdFs(Fs* fs) {
  if (fs && fs->generation() != dingofs::ProcessGeneration()) Fail(ENOTCONN);
  if (!fs || !fs->mounted()) Fail(EBADF);
}

template <class R>
R Logged(Fs& fs, const char* op, const char* arg, R rc) {
  if (fs.access_logging())
    fs.log()->Access("%s(%s) = %lld", op, arg ? arg : "", static_cast<long long>(rc));
  return rc;
}

// Runs a path operation; logs it when access logging is on.
template <class F>
auto PathCall(uintptr_t h, const char* op, const char* path, F f) -> decltype(f(*(Fs*)nullptr)) {
  using R = decltype(f(*(Fs*)nullptr));
  ErrnoSaver es;
  dingofs::CallSection cs(h);
  Fs* fs = nullptr;
  R rc = Guard([&]() -> R {
    fs = MountedFs(h);
    return f(*fs);
  });
  if (fs) Logged(*fs, op, path, rc);
  return rc;
}

template <class R>
void LogFd(Fs* fs, const char* op, int fd, R rc) {
  if (fs && fs->access_logging()) {
    char b[32];
    snprintf(b, sizeof b, "fd=%d", fd);
    Logged(*fs, op, b, rc);
  }
}

// Runs an fd / dir-handle operation that finishes in bounded time.
template <class F>
auto FdCall(uintptr_t h, const char* op, int fd, F f) -> decltype(f(*(Fs*)nullptr)) {
  using R = decltype(f(*(Fs*)nullptr));
  ErrnoSaver es;
  dingofs::CallSection cs(h);
  Fs* fs = nullptr;
  R rc = Guard([&]() -> R {
    fs = SectionFs(h);
    CheckFdFs(fs);
    return f(*fs);
  });
  LogFd(fs, op, fd, rc);
  return rc;
}

// Same for an operation that may wait without bound (a blocking flock): it
// holds a reference to the filesystem instead of a section, so removing the
// handle never waits for it.
template <class F>
auto FdCallRef(uintptr_t h, const char* op, int fd, F f) -> decltype(f(*(Fs*)nullptr)) {
  using R = decltype(f(*(Fs*)nullptr));
  ErrnoSaver es;
  std::shared_ptr<Fs> fs;
  R rc = Guard([&]() -> R {
    auto hd = dingofs::RegistryGet(h);
    if (!hd) Fail(EINVAL);
    {
      std::lock_guard<std::mutex> g(hd->mu);
      fs = hd->fs;
    }
    CheckFdFs(fs.get());
    return f(*fs);
  });
  LogFd(fs.get(), op, fd, rc);
  return rc;
}

char* Dup(const char* s) {
  char* p = strdup(s ? s : "");
  if (!p) throw std::bad_alloc();
  return p;
}

// The explanation of the calling thread's last failed mount or
// dingofs_x_local_* call.
thread_local std::string t_last_error;

// The entries of v in one heap block: the array, then the strings.
dingofs_x_local_t* PackLocal(const std::vector<dingofs::LocalFs>& v) {
  size_t total = v.size() * sizeof(dingofs_x_local_t);
  for (const auto& f : v)
    total += f.name.size() + f.base.size() + f.meta_dir.size() + f.data_dir.size() + 4;
  char* block = static_cast<char*>(malloc(total > 0 ? total : 1));
  if (!block) throw std::bad_alloc();
  auto* out = reinterpret_cast<dingofs_x_local_t*>(block);
  char* p = block + v.size() * sizeof(dingofs_x_local_t);
  auto put = [&p](const std::string& s) {
    memcpy(p, s.c_str(), s.size() + 1);
    const char* r = p;
    p += s.size() + 1;
    return r;
  };
  for (size_t i = 0; i < v.size(); i++) {
    out[i].name = put(v[i].name);
    out[i].base_dir = put(v[i].base);
    out[i].meta_dir = put(v[i].meta_dir);
    out[i].data_dir = put(v[i].data_dir);
    out[i].bytes = v[i].bytes;
    out[i].exists = v[i].exists;
    out[i].mounted = v[i].mounted;
  }
  return out;
}

int Mount(uintptr_t h, const char* addrs, const char* fsname, const char* mountpoint, bool nolog) {
  t_last_error.clear();
  return Guard([&]() -> int {
    auto hd = GetHandle(h);
    if (!addrs || !fsname || !mountpoint) return -EINVAL;
    std::lock_guard<std::mutex> g(hd->mu);
    if (hd->mount_started) return -EINVAL;
    std::string name = dingofs::AddressName(addrs);
    if (name.empty()) name = fsname[0] ? fsname : "unknown";
    std::string bad;
    int crc = dingofs::ApplyConfFile(&hd->conf, &bad);
    dingofs::GlobalOptions opts = dingofs::GlobalSnapshot();
    int level = dingofs::ParseLogLevel(hd->conf.log_level);
    int threshold = level > opts.minloglevel ? level : opts.minloglevel;
    auto log = std::make_shared<dingofs::Logger>();
    int lrc = log->Open(hd->conf.log_dir, name, h, nolog, threshold,
                        atoi(hd->conf.log_v.c_str()), opts.logtostderr);
    if (lrc != 0) return lrc;
    if (crc != 0) {
      log->Log(dingofs::kError, "bad configuration file line %s", bad.c_str());
      return crc == -EINVAL ? -EINVAL : crc;
    }
    dingofs::Address addr;
    std::string why;
    int rc = dingofs::ParseAddress(addrs, &addr, &why);
    if (rc == -EPROTONOSUPPORT) {
      t_last_error = std::string("'") + addrs +
                     "' is not a local:// address: this libdingofs is the embedded engine and "
                     "mounts only local://NAME filesystems; to reach a DingoFS cluster, build or "
                     "install against the upstream DingoFS client library";
      log->Log(dingofs::kError, "%s", t_last_error.c_str());
      return rc;
    }
    if (rc != 0) {
      t_last_error = "bad address: " + why;
      log->Log(dingofs::kError, "bad address '%s': %s", addrs, why.c_str());
      return rc;
    }
    if (fsname[0] != '\0' && addr.name != fsname) {
      t_last_error = std::string("fs_name '") + fsname + "' does not match the address's name '" +
                     addr.name + "' (give the same name, or an empty one)";
      log->Log(dingofs::kError, "%s", t_last_error.c_str());
      return -EINVAL;
    }
    auto fs = std::make_shared<Fs>();
    rc = fs->Mount(addr, opts, log, &why);
    if (rc != 0) {
      t_last_error = why;
      log->Log(dingofs::kError, "mount of %s failed: %s (%s)", addrs, strerror(-rc), why.c_str());
      return rc;
    }
    log->Log(dingofs::kInfo, "mounted %s at label %s", addrs, mountpoint);
    hd->fs = fs;
    hd->log = log;
    hd->mount_started = true;
    return 0;
  });
}

}  // namespace

// ------------------------------------------------------------------ lifecycle

DINGOFS_API uintptr_t dingofs_new(void) {
  ErrnoSaver es;
  try {
    auto hd = std::make_shared<Handle>();
    return static_cast<uintptr_t>(dingofs::RegistryAdd(hd));
  } catch (...) {
    return 0;
  }
}

DINGOFS_API void dingofs_delete(uintptr_t h) {
  ErrnoSaver es;
  try {
    auto hd = dingofs::RegistryRemove(h);
    if (!hd) return;
    std::shared_ptr<Fs> fs;
    {
      std::lock_guard<std::mutex> g(hd->mu);
      fs = std::move(hd->fs);
    }
    if (!fs) return;
    if (fs->generation() != dingofs::ProcessGeneration()) {
      // Forked child: free memory only; the parent's store stays untouched.
      fs->Abandon();
      if (hd->log) hd->log->Abandon();
      return;
    }
    fs->Umount();
  } catch (...) {
  }
}

DINGOFS_API int dingofs_conf_list(uintptr_t h, dingofs_option_t** opts, int* count) {
  ErrnoSaver es;
  (void)h;
  if (!opts || !count) return -EINVAL;
  const auto& table = dingofs::OptionTable();
  auto* arr = static_cast<dingofs_option_t*>(calloc(table.size(), sizeof(dingofs_option_t)));
  if (!arr) return -ENOMEM;
  size_t i = 0;
  try {
    for (; i < table.size(); i++) {
      arr[i].name = Dup(table[i].name);
      arr[i].type = Dup(table[i].type);
      arr[i].default_value = Dup(table[i].default_value);
      arr[i].description = Dup(table[i].description);
    }
  } catch (...) {
    dingofs_conf_list_free(arr, static_cast<int>(table.size()));
    return -ENOMEM;
  }
  *opts = arr;
  *count = static_cast<int>(table.size());
  return 0;
}

DINGOFS_API void dingofs_conf_list_free(dingofs_option_t* opts, int count) {
  ErrnoSaver es;
  if (!opts) return;
  for (int i = 0; i < count; i++) {
    free(const_cast<char*>(opts[i].name));
    free(const_cast<char*>(opts[i].type));
    free(const_cast<char*>(opts[i].default_value));
    free(const_cast<char*>(opts[i].description));
  }
  free(opts);
}

DINGOFS_API void dingofs_conf_print(uintptr_t h) {
  ErrnoSaver es;
  try {
    auto hd = dingofs::RegistryGet(h);
    dingofs::HandleConf dflt;
    for (const auto& d : dingofs::OptionTable()) {
      std::string v;
      if (hd) {
        std::lock_guard<std::mutex> g(hd->mu);
        dingofs::OptionGet(&hd->conf, d.name, &v);
      } else {
        dingofs::OptionGet(&dflt, d.name, &v);
      }
      printf("%s=%s\n", d.name, v.c_str());
    }
    fflush(stdout);
  } catch (...) {
  }
}

DINGOFS_API int dingofs_conf_set(uintptr_t h, const char* key, const char* value) {
  return Guard([&]() -> int {
    auto hd = GetHandle(h);
    if (!key || !value) return -EINVAL;
    std::lock_guard<std::mutex> g(hd->mu);
    return dingofs::OptionSet(&hd->conf, key, value);
  });
}

DINGOFS_API int dingofs_conf_load(uintptr_t h, const char* path) {
  return Guard([&]() -> int {
    auto hd = GetHandle(h);
    if (!path || !path[0]) return -EINVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct stat st;
    int isdir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
    close(fd);
    if (isdir) return -EISDIR;
    std::lock_guard<std::mutex> g(hd->mu);
    return dingofs::OptionSet(&hd->conf, "conf.file", path);
  });
}

DINGOFS_API int dingofs_conf_get(uintptr_t h, const char* key, char* value, size_t bufsz) {
  return Guard([&]() -> int {
    auto hd = GetHandle(h);
    if (!key || !value) return -EINVAL;
    std::string v;
    int rc;
    {
      std::lock_guard<std::mutex> g(hd->mu);
      rc = dingofs::OptionGet(&hd->conf, key, &v);
    }
    if (rc != 0) return rc;
    if (v.size() + 1 > bufsz) return -ERANGE;
    memcpy(value, v.c_str(), v.size() + 1);
    return 0;
  });
}

DINGOFS_API int dingofs_mount(uintptr_t h, const char* mds_addrs, const char* fsname,
                              const char* mountpoint) {
  return Mount(h, mds_addrs, fsname, mountpoint, false);
}

DINGOFS_API int dingofs_mount_nolog(uintptr_t h, const char* mds_addrs, const char* fsname,
                                    const char* mountpoint) {
  return Mount(h, mds_addrs, fsname, mountpoint, true);
}

DINGOFS_API int dingofs_umount(uintptr_t h) {
  return Guard([&]() -> int {
    auto hd = GetHandle(h);
    std::shared_ptr<Fs> fs;
    {
      std::lock_guard<std::mutex> g(hd->mu);
      fs = hd->fs;
    }
    if (!fs || !fs->mounted() || fs->generation() != dingofs::ProcessGeneration())
      return -ENOTCONN;
    return fs->Umount();
  });
}

// ------------------------------------------------------------------ file I/O

DINGOFS_API int dingofs_open(uintptr_t h, const char* path, int flags, mode_t mode) {
  if (!h) return -EINVAL;
  if (!path) return Guard([&]() -> int { GetHandle(h); return -EINVAL; });
  return PathCall(h, "open", path, [&](Fs& fs) { return fs.Open(path, flags, mode); });
}

DINGOFS_API ssize_t dingofs_read(uintptr_t h, int fd, void* buf, size_t count) {
  if (!buf) return Guard([&]() -> ssize_t { GetHandle(h); return -EINVAL; });
  return FdCall(h, "read", fd, [&](Fs& fs) { return fs.Read(fd, buf, count, 0, true); });
}

DINGOFS_API ssize_t dingofs_write(uintptr_t h, int fd, const void* buf, size_t count) {
  if (!buf) return Guard([&]() -> ssize_t { GetHandle(h); return -EINVAL; });
  return FdCall(h, "write", fd, [&](Fs& fs) { return fs.Write(fd, buf, count, 0, true); });
}

DINGOFS_API ssize_t dingofs_pread(uintptr_t h, int fd, void* buf, size_t count, off_t offset) {
  if (!buf || offset < 0) return Guard([&]() -> ssize_t { GetHandle(h); return -EINVAL; });
  return FdCall(h, "pread", fd, [&](Fs& fs) { return fs.Read(fd, buf, count, offset, false); });
}

DINGOFS_API ssize_t dingofs_pwrite(uintptr_t h, int fd, const void* buf, size_t count,
                                   off_t offset) {
  if (!buf || offset < 0) return Guard([&]() -> ssize_t { GetHandle(h); return -EINVAL; });
  return FdCall(h, "pwrite", fd,
                [&](Fs& fs) { return fs.Write(fd, buf, count, offset, false); });
}

DINGOFS_API off_t dingofs_lseek(uintptr_t h, int fd, off_t offset, int whence) {
  return FdCall(h, "lseek", fd, [&](Fs& fs) { return fs.Lseek(fd, offset, whence); });
}

DINGOFS_API int dingofs_flush(uintptr_t h, int fd) {
  return FdCall(h, "flush", fd, [&](Fs& fs) { fs.Flush(fd); return 0; });
}

DINGOFS_API int dingofs_fsync(uintptr_t h, int fd, int datasync) {
  return FdCall(h, "fsync", fd, [&](Fs& fs) { fs.Fsync(fd, datasync != 0); return 0; });
}

DINGOFS_API int dingofs_close(uintptr_t h, int fd) {
  return FdCall(h, "close", fd, [&](Fs& fs) { fs.Close(fd); return 0; });
}

DINGOFS_API int dingofs_ftruncate(uintptr_t h, int fd, off_t length) {
  return FdCall(h, "ftruncate", fd, [&](Fs& fs) { fs.Truncate(nullptr, fd, length); return 0; });
}

// ------------------------------------------------------------------ metadata

#define REQUIRE(cond) \
  if (!(cond)) return Guard([&]() -> int { GetHandle(h); return -EINVAL; })

DINGOFS_API int dingofs_stat(uintptr_t h, const char* path, struct stat* st) {
  REQUIRE(path && st);
  return PathCall(h, "stat", path, [&](Fs& fs) { fs.Stat(path, true, st, nullptr); return 0; });
}

DINGOFS_API int dingofs_lstat(uintptr_t h, const char* path, struct stat* st) {
  REQUIRE(path && st);
  return PathCall(h, "lstat", path, [&](Fs& fs) { fs.Stat(path, false, st, nullptr); return 0; });
}

DINGOFS_API int dingofs_fstat(uintptr_t h, int fd, struct stat* st) {
  REQUIRE(st);
  return FdCall(h, "fstat", fd, [&](Fs& fs) { fs.Fstat(fd, st, nullptr); return 0; });
}

DINGOFS_API int dingofs_chmod(uintptr_t h, const char* path, mode_t mode) {
  REQUIRE(path);
  return PathCall(h, "chmod", path, [&](Fs& fs) { fs.Chmod(path, -1, mode); return 0; });
}

DINGOFS_API int dingofs_chown(uintptr_t h, const char* path, uid_t owner, gid_t group) {
  REQUIRE(path);
  return PathCall(h, "chown", path,
                  [&](Fs& fs) { fs.Chown(path, -1, true, owner, group); return 0; });
}

DINGOFS_API int dingofs_truncate(uintptr_t h, const char* path, off_t length) {
  REQUIRE(path);
  return PathCall(h, "truncate", path, [&](Fs& fs) { fs.Truncate(path, -1, length); return 0; });
}

DINGOFS_API int dingofs_utimes(uintptr_t h, const char* path, const struct timeval tv[2]) {
  REQUIRE(path);
  return PathCall(h, "utimes", path, [&](Fs& fs) {
    if (!tv) {
      fs.Utimens(path, nullptr, true);
      return 0;
    }
    struct timespec ts[2];
    for (int i = 0; i < 2; i++) {
      if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000) Fail(EINVAL);
      ts[i].tv_sec = tv[i].tv_sec;
      ts[i].tv_nsec = tv[i].tv_usec * 1000;
    }
    fs.Utimens(path, ts, true);
    return 0;
  });
}

DINGOFS_API int dingofs_statfs(uintptr_t h, dingofs_statfs_t* st) {
  REQUIRE(st);
  return PathCall(h, "statfs", "", [&](Fs& fs) { fs.Statfs(st); return 0; });
}

// ------------------------------------------------------------------ directories

DINGOFS_API int dingofs_mkdir(uintptr_t h, const char* path, mode_t mode) {
  REQUIRE(path);
  return PathCall(h, "mkdir", path, [&](Fs& fs) { fs.Mkdir(path, mode); return 0; });
}

DINGOFS_API int dingofs_mkdirs(uintptr_t h, const char* path, mode_t mode) {
  REQUIRE(path);
  return PathCall(h, "mkdirs", path, [&](Fs& fs) { fs.Mkdirs(path, mode); return 0; });
}

DINGOFS_API int dingofs_rmdir(uintptr_t h, const char* path) {
  REQUIRE(path);
  return PathCall(h, "rmdir", path, [&](Fs& fs) { fs.Rmdir(path); return 0; });
}

DINGOFS_API int dingofs_opendir(uintptr_t h, const char* path, uint64_t* dh) {
  REQUIRE(path && dh);
  return PathCall(h, "opendir", path, [&](Fs& fs) {
    *dh = fs.Opendir(path);
    return 0;
  });
}

DINGOFS_API int dingofs_readdir(uintptr_t h, uint64_t dh, dingofs_dirent_t* buf, int count) {
  REQUIRE(buf && count > 0);
  return FdCall(h, "readdir", static_cast<int>(dh),
                [&](Fs& fs) { return fs.Readdir(dh, buf, count); });
}

DINGOFS_API int dingofs_closedir(uintptr_t h, uint64_t dh) {
  return FdCall(h, "closedir", static_cast<int>(dh), [&](Fs& fs) {
    fs.Closedir(dh);
    return 0;
  });
}

// ------------------------------------------------------------------ links

DINGOFS_API int dingofs_rename(uintptr_t h, const char* src, const char* dst) {
  REQUIRE(src && dst);
  return PathCall(h, "rename", src, [&](Fs& fs) { fs.Rename(src, dst, 0); return 0; });
}

DINGOFS_API int dingofs_unlink(uintptr_t h, const char* path) {
  REQUIRE(path);
  return PathCall(h, "unlink", path, [&](Fs& fs) { fs.Unlink(path); return 0; });
}

DINGOFS_API int dingofs_link(uintptr_t h, const char* oldpath, const char* newpath) {
  REQUIRE(oldpath && newpath);
  return PathCall(h, "link", oldpath, [&](Fs& fs) { fs.Link(oldpath, newpath); return 0; });
}

DINGOFS_API int dingofs_symlink(uintptr_t h, const char* target, const char* linkpath) {
  REQUIRE(target && linkpath);
  return PathCall(h, "symlink", linkpath, [&](Fs& fs) { fs.Symlink(target, linkpath); return 0; });
}

DINGOFS_API ssize_t dingofs_readlink(uintptr_t h, const char* path, char* buf, size_t bufsz) {
  if (!path || !buf || bufsz == 0) return Guard([&]() -> ssize_t { GetHandle(h); return -EINVAL; });
  return PathCall(h, "readlink", path, [&](Fs& fs) { return fs.Readlink(path, buf, bufsz); });
}

// ------------------------------------------------------------------ xattrs, ioctl

DINGOFS_API int dingofs_setxattr(uintptr_t h, const char* path, const char* name,
                                 const void* value, size_t size, int flags) {
  REQUIRE(path && name && (value || size == 0));
  return PathCall(h, "setxattr", path,
                  [&](Fs& fs) { return fs.SetXattr(path, name, value, size, flags); });
}

DINGOFS_API ssize_t dingofs_getxattr(uintptr_t h, const char* path, const char* name, void* value,
                                     size_t size) {
  if (!path || !name || (!value && size != 0))
    return Guard([&]() -> ssize_t { GetHandle(h); return -EINVAL; });
  return PathCall(h, "getxattr", path,
                  [&](Fs& fs) { return fs.GetXattr(path, name, value, size); });
}

DINGOFS_API ssize_t dingofs_listxattr(uintptr_t h, const char* path, char* list, size_t size) {
  if (!path || (!list && size != 0)) return Guard([&]() -> ssize_t { GetHandle(h); return -EINVAL; });
  return PathCall(h, "listxattr", path, [&](Fs& fs) { return fs.ListXattr(path, list, size); });
}

DINGOFS_API int dingofs_removexattr(uintptr_t h, const char* path, const char* name) {
  REQUIRE(path && name);
  return PathCall(h, "removexattr", path, [&](Fs& fs) { fs.RemoveXattr(path, name); return 0; });
}

DINGOFS_API int dingofs_ioctl(uintptr_t h, int fd, unsigned int cmd, void* arg) {
  REQUIRE(arg);
  return FdCall(h, "ioctl", fd, [&](Fs& fs) { fs.Ioctl(fd, cmd, arg); return 0; });
}

// ------------------------------------------------------------------ extensions

DINGOFS_API const char* dingofs_x_version(int* is_embedded) {
  if (is_embedded) *is_embedded = 1;
  return DINGOFS_VERSION;
}

DINGOFS_API int dingofs_x_mknod(uintptr_t h, const char* path, mode_t mode, dev_t dev) {
  REQUIRE(path);
  return PathCall(h, "mknod", path, [&](Fs& fs) { fs.Mknod(path, mode, dev); return 0; });
}

DINGOFS_API int dingofs_x_utimens(uintptr_t h, const char* path, const struct timespec ts[2],
                                  int flags) {
  REQUIRE(path);
  if (flags & ~DINGOFS_X_NOFOLLOW) return Guard([&]() -> int { GetHandle(h); return -EINVAL; });
  return PathCall(h, "utimens", path, [&](Fs& fs) {
    fs.Utimens(path, ts, !(flags & DINGOFS_X_NOFOLLOW));
    return 0;
  });
}

DINGOFS_API int dingofs_x_stat(uintptr_t h, const char* path, int flags, struct stat* st,
                               uint32_t* iflags) {
  REQUIRE(path && st);
  if (flags & ~DINGOFS_X_NOFOLLOW) return Guard([&]() -> int { GetHandle(h); return -EINVAL; });
  return PathCall(h, "x_stat", path, [&](Fs& fs) {
    fs.Stat(path, !(flags & DINGOFS_X_NOFOLLOW), st, iflags);
    return 0;
  });
}

DINGOFS_API int dingofs_x_fstat(uintptr_t h, int fd, struct stat* st, uint32_t* iflags) {
  REQUIRE(st);
  return FdCall(h, "x_fstat", fd, [&](Fs& fs) { fs.Fstat(fd, st, iflags); return 0; });
}

DINGOFS_API int dingofs_x_readdirplus(uintptr_t h, uint64_t dh, dingofs_x_direntplus_t* buf,
                                      int count) {
  REQUIRE(buf && count > 0);
  return FdCall(h, "readdirplus", static_cast<int>(dh),
                [&](Fs& fs) { return fs.ReaddirPlus(dh, buf, count); });
}

DINGOFS_API int dingofs_x_rename2(uintptr_t h, const char* src, const char* dst,
                                  unsigned int flags) {
  REQUIRE(src && dst);
  return PathCall(h, "rename2", src, [&](Fs& fs) { fs.Rename(src, dst, flags); return 0; });
}

DINGOFS_API ssize_t dingofs_x_copy_file_range(uintptr_t h, int fd_in, off_t* off_in, int fd_out,
                                              off_t* off_out, size_t len, unsigned int flags) {
  if (flags != 0) return Guard([&]() -> ssize_t { GetHandle(h); return -EINVAL; });
  return FdCall(h, "copy_file_range", fd_in, [&](Fs& fs) {
    return fs.CopyFileRange(fd_in, off_in, fd_out, off_out, len);
  });
}

DINGOFS_API int dingofs_x_flock(uintptr_t h, int fd, int op) {
  return FdCallRef(h, "flock", fd, [&](Fs& fs) { fs.Flock(fd, op); return 0; });
}

DINGOFS_API int dingofs_x_fallocate(uintptr_t h, int fd, int mode, off_t offset, off_t len) {
  return FdCall(h, "fallocate", fd, [&](Fs& fs) {
    fs.Fallocate(fd, mode, offset, len);
    return 0;
  });
}

DINGOFS_API int dingofs_x_access(uintptr_t h, const char* path, int mode) {
  REQUIRE(path);
  return PathCall(h, "access", path, [&](Fs& fs) { fs.Access(path, mode); return 0; });
}

DINGOFS_API int dingofs_x_lchown(uintptr_t h, const char* path, uid_t owner, gid_t group) {
  REQUIRE(path);
  return PathCall(h, "lchown", path,
                  [&](Fs& fs) { fs.Chown(path, -1, false, owner, group); return 0; });
}

DINGOFS_API int dingofs_x_setattr(uintptr_t h, const char* path, int flags, unsigned int mask,
                                  mode_t mode, uid_t uid, gid_t gid, off_t size,
                                  const struct timespec ts[2], struct stat* st, uint32_t* iflags) {
  constexpr unsigned kAll = DINGOFS_X_SET_MODE | DINGOFS_X_SET_UID | DINGOFS_X_SET_GID |
                            DINGOFS_X_SET_SIZE | DINGOFS_X_SET_ATIME | DINGOFS_X_SET_MTIME;
  REQUIRE(path);
  bool bad = (flags & ~DINGOFS_X_NOFOLLOW) || (mask & ~kAll) ||
             ((mask & (DINGOFS_X_SET_ATIME | DINGOFS_X_SET_MTIME)) && ts == nullptr);
  if (bad) return Guard([&]() -> int { GetHandle(h); return -EINVAL; });
  return PathCall(h, "x_setattr", path, [&](Fs& fs) {
    fs.SetAttr(path, !(flags & DINGOFS_X_NOFOLLOW), mask, mode, uid, gid, size, ts);
    struct stat tmp;
    uint32_t fl = 0;
    fs.LastAttr(st ? st : &tmp, &fl);
    if (iflags) *iflags = fl;
    return 0;
  });
}

DINGOFS_API int dingofs_x_last_attr(uintptr_t h, struct stat* st, uint32_t* iflags) {
  REQUIRE(st);
  ErrnoSaver es;
  dingofs::CallSection cs(h);
  return Guard([&]() -> int { return MountedFs(h)->LastAttr(st, iflags) ? 0 : -ENODATA; });
}

DINGOFS_API size_t dingofs_x_last_error(char* buf, size_t bufsz) {
  const std::string& e = t_last_error;
  if (buf != nullptr && bufsz > 0) {
    size_t n = e.size() < bufsz - 1 ? e.size() : bufsz - 1;
    memcpy(buf, e.data(), n);
    buf[n] = '\0';
  }
  return e.size();
}

DINGOFS_API int dingofs_x_fchmod(uintptr_t h, int fd, mode_t mode) {
  return FdCall(h, "fchmod", fd, [&](Fs& fs) { fs.Chmod(nullptr, fd, mode); return 0; });
}

DINGOFS_API int dingofs_x_fchown(uintptr_t h, int fd, uid_t owner, gid_t group) {
  return FdCall(h, "fchown", fd,
                [&](Fs& fs) { fs.Chown(nullptr, fd, true, owner, group); return 0; });
}

DINGOFS_API int dingofs_x_fsck(const char* mds_addrs, int flags, char** report) {
  if (!mds_addrs) return -EINVAL;
  if (flags & ~DINGOFS_X_FSCK_REPAIR) return -EINVAL;
  return Guard([&]() -> int {
    std::string rep;
    int rc = dingofs::RunFsck(mds_addrs, flags & DINGOFS_X_FSCK_REPAIR, &rep);
    if (report) {
      *report = Dup(rep.c_str());
    }
    return rc;
  });
}

DINGOFS_API int dingofs_x_local_info(const char* mds_addrs, int flags, dingofs_x_local_t** info) {
  ErrnoSaver es;
  t_last_error.clear();
  if (!info) return -EINVAL;
  *info = nullptr;
  if (!mds_addrs) return -EINVAL;
  if ((flags & ~(DINGOFS_X_LOCAL_SIZES | DINGOFS_X_LOCAL_PARSE)) ||
      flags == (DINGOFS_X_LOCAL_SIZES | DINGOFS_X_LOCAL_PARSE))
    return -EINVAL;
  return Guard([&]() -> int {
    dingofs::LocalFs fs;
    std::string why;
    int rc = dingofs::LocalInfo(mds_addrs, flags & DINGOFS_X_LOCAL_PARSE,
                                flags & DINGOFS_X_LOCAL_SIZES, &fs, &why);
    if (rc != 0) {
      t_last_error = why;
      return rc;
    }
    *info = PackLocal({fs});
    return 0;
  });
}

DINGOFS_API int dingofs_x_local_list(const char* base, int flags, dingofs_x_local_t** list) {
  ErrnoSaver es;
  t_last_error.clear();
  if (!list) return -EINVAL;
  *list = nullptr;
  if ((base && !base[0]) || (flags & ~DINGOFS_X_LOCAL_SIZES)) return -EINVAL;
  return Guard([&]() -> int {
    std::vector<dingofs::LocalFs> v;
    std::string why;
    int rc = dingofs::LocalList(base, flags & DINGOFS_X_LOCAL_SIZES, &v, &why);
    if (rc != 0) {
      t_last_error = why;
      return rc;
    }
    *list = v.empty() ? nullptr : PackLocal(v);
    return static_cast<int>(v.size());
  });
}

DINGOFS_API int dingofs_x_local_remove(const char* mds_addrs) {
  ErrnoSaver es;
  t_last_error.clear();
  if (!mds_addrs) return -EINVAL;
  return Guard([&]() -> int {
    std::string why;
    int rc = dingofs::LocalRemove(mds_addrs, &why);
    if (rc != 0) t_last_error = why;
    return rc;
  });
}

DINGOFS_API void dingofs_x_free(void* p) {
  ErrnoSaver es;
  free(p);
}

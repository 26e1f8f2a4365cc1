// Local filesystems on disk, without mounting them.
//
// The on-disk layout is the engine's (address.h): metadata in
// <base>/meta/<NAME>/ (the store meta.db with its journal, the lock file, the
// space reserve), file data in a directory recorded in the store at creation
// (path=, else <base>/data/<NAME>) holding the 256 fan-out directories of
// data.h. A removal deletes exactly that: the metadata directory, and the
// fan-out directories of the data directory, then the data directory itself
// if nothing else is left in it (a path= directory may hold other files).
//
// "Mounted" is the mount lock of the lock file (data.h): every mounted handle
// holds byte 0 shared, a repair holds it exclusive. A removal takes it
// exclusive for its whole run, so no mount can start meanwhile.
#include "local.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "address.h"
#include "common.h"
#include "data.h"
#include "meta.h"

namespace dingofs {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

bool IsDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string FanOut(int i) {
  char sub[8];
  snprintf(sub, sizeof sub, "%02x", i);
  return sub;
}

// Bytes allocated to the files under dirfd/name (not following symlinks).
int64_t TreeBytes(int dirfd, const char* name, int depth) {
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return 0;
  int64_t total = static_cast<int64_t>(st.st_blocks) * 512;
  if (!S_ISDIR(st.st_mode) || depth > 16) return total;
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return total;
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    close(fd);
    return total;
  }
  while (struct dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    total += TreeBytes(fd, e->d_name, depth + 1);
  }
  closedir(d);
  return total;
}

int64_t PathBytes(const std::string& path) { return TreeBytes(AT_FDCWD, path.c_str(), 0); }

// Removes dirfd/name and, for a directory, everything below it (symlinks are
// removed, never followed). A missing name is not an error. 0 or -errno.
int RemoveTree(int dirfd, const char* name, std::string* failed, const std::string& shown) {
  if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT || errno == ENOTDIR) return 0;
  if (errno != EISDIR && errno != EPERM) {
    int e = errno;
    *failed = shown;
    return -e;
  }
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    *failed = shown;
    return -e;
  }
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    int e = errno;
    close(fd);
    *failed = shown;
    return -e;
  }
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names.push_back(e->d_name);
  }
  int rc = 0;
  for (const std::string& n : names) {
    rc = RemoveTree(fd, n.c_str(), failed, shown + "/" + n);
    if (rc != 0) break;
  }
  closedir(d);
  if (rc != 0) return rc;
  if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
    int e = errno;
    *failed = shown;
    return -e;
  }
  return 0;
}

int RemovePath(const std::string& path, std::string* failed) {
  return RemoveTree(AT_FDCWD, path.c_str(), failed, path);
}

// 1 when some open file description holds the mount lock of meta_dir's lock
// file (a mounted handle, in this process or another, or a repair), 0 when
// none does or there is no lock file, -1 when it cannot be told.
int ProbeMounted(const std::string& meta_dir) {
  std::string lockfile = meta_dir + "/lock";
  int fd = open(lockfile.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = kMountLockOff;
  fl.l_len = 1;
  int rc = fcntl(fd, F_OFD_GETLK, &fl);
  close(fd);
  if (rc != 0) return -1;
  return fl.l_type == F_UNLCK ? 0 : 1;
}

// The data directory recorded in the store at creation; dflt when the store
// cannot be read. The store is read through SQLite only: a descriptor of our
// own on it, once closed, would drop the POSIX locks the process's other
// connections to it hold.
std::string RecordedDataDir(const std::string& meta_dir, const std::string& dflt) {
  StoreSection section;
  std::string dbfile = meta_dir + "/meta.db";
  MetaDb db;
  if (db.Open(dbfile, true, false, nullptr) != 0) return dflt;
  try {
    db.SetDeadline(MonoMs() + 2000);
    std::string dir = db.GetMeta("data_dir", dflt);
    return dir.empty() ? dflt : dir;
  } catch (...) {
    return dflt;
  }
}

void Describe(const Address& a, bool sizes, LocalFs* out) {
  out->name = a.name;
  out->base = a.base;
  out->meta_dir = a.meta_dir();
  std::string dflt = a.data_dir.empty() ? a.default_data_dir() : a.data_dir;
  out->exists = Exists(out->meta_dir + "/meta.db") ? 1 : 0;
  out->data_dir = out->exists ? RecordedDataDir(out->meta_dir, dflt) : dflt;
  out->mounted = out->exists || IsDir(out->meta_dir) ? ProbeMounted(out->meta_dir) : 0;
  out->bytes = -1;
  if (sizes) {
    out->bytes = PathBytes(out->meta_dir);
    for (int i = 0; i < 256; i++) out->bytes += PathBytes(out->data_dir + "/" + FanOut(i));
  }
}

int Parse(const std::string& addr, Address* a, std::string* why) {
  int rc = ParseAddress(addr, a, why);
  if (rc == -EPROTONOSUPPORT)
    *why = "'" + addr + "' is not a local:// address: this is the embedded engine, which "
           "knows only local://NAME filesystems";
  else if (rc != 0)
    *why = "bad address: " + *why;
  return rc;
}

}  // namespace

int LocalInfo(const std::string& addr, bool parse_only, bool sizes, LocalFs* out,
              std::string* why) {
  Address a;
  int rc = Parse(addr, &a, why);
  if (rc != 0) return rc;
  if (parse_only) {
    out->name = a.name;
    out->base = a.base;
    out->meta_dir = a.meta_dir();
    out->data_dir = a.data_dir.empty() ? a.default_data_dir() : a.data_dir;
    out->exists = out->mounted = -1;
    out->bytes = -1;
    return 0;
  }
  Describe(a, sizes, out);
  return 0;
}

int LocalList(const char* base, bool sizes, std::vector<LocalFs>* out, std::string* why) {
  out->clear();
  Address a;
  a.base = ResolveBase(base != nullptr ? base : "");
  std::string meta = a.base + "/meta";
  DIR* d = opendir(meta.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return 0;
    int e = errno;
    *why = "cannot read " + meta + ": " + strerror(e);
    return -e;
  }
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    if (ValidName(e->d_name) && IsDir(meta + "/" + e->d_name)) names.push_back(e->d_name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    a.name = n;
    LocalFs fs;
    Describe(a, sizes, &fs);
    out->push_back(fs);
  }
  return 0;
}

int LocalRemove(const std::string& addr, std::string* why) {
  Address a;
  int rc = Parse(addr, &a, why);
  if (rc != 0) return rc;
  std::string meta_dir = a.meta_dir();
  bool has_meta = IsDir(meta_dir);
  if (!has_meta && !IsDir(a.default_data_dir())) {
    *why = "no filesystem " + a.name + " under " + a.base;
    return -ENOENT;
  }
  // The exclusive mount lock, held to the end: refused while anyone has the
  // filesystem mounted, and a mount that starts meanwhile waits (then fails:
  // its store is gone).
  int lockfd = -1;
  if (has_meta) {
    std::string lockfile = meta_dir + "/lock";
    lockfd = open(lockfile.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lockfd < 0) {
      int e = errno;
      *why = "cannot open " + lockfile + ": " + strerror(e);
      return -e;
    }
    rc = OfdLock(lockfd, kMountLockOff, F_WRLCK, false);
    if (rc != 0) {
      close(lockfd);
      if (rc == -EWOULDBLOCK) {
        *why = "filesystem " + a.name + " under " + a.base +
               " is mounted (by this or another process) or being repaired: stop every "
               "client using it first";
        return -EBUSY;
      }
      *why = "cannot lock " + lockfile + ": " + strerror(-rc);
      return rc;
    }
  }
  struct Closer {
    int fd;
    ~Closer() {
      if (fd >= 0) close(fd);
    }
  } closer{lockfd};
  std::string dflt = a.data_dir.empty() ? a.default_data_dir() : a.data_dir;
  bool has_store = Exists(meta_dir + "/meta.db");
  std::string data_dir = has_store ? RecordedDataDir(meta_dir, dflt) : dflt;
  if (!a.data_dir.empty() && a.data_dir != data_dir) {
    *why = "path=" + a.data_dir + " differs from the data directory " + data_dir +
           " recorded at creation";
    return -EINVAL;
  }
  // Data first: a removal cut short leaves the store, and running it again
  // finishes the job (a store without its data would be refused at mount).
  std::string failed;
  for (int i = 0; i < 256; i++) {
    rc = RemovePath(data_dir + "/" + FanOut(i), &failed);
    if (rc != 0) {
      *why = "cannot remove " + failed + ": " + strerror(-rc);
      return rc;
    }
  }
  if (rmdir(data_dir.c_str()) != 0 && errno != ENOENT && errno != ENOTEMPTY &&
      errno != EEXIST && errno != ENOTDIR) {
    rc = -errno;
    *why = "cannot remove " + data_dir + ": " + strerror(errno);
    return rc;
  }
  if (!has_meta) return 0;
  // The metadata directory, its lock file last.
  DIR* d = opendir(meta_dir.c_str());
  if (d == nullptr) {
    rc = -errno;
    *why = "cannot read " + meta_dir + ": " + strerror(errno);
    return rc;
  }
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
        strcmp(e->d_name, "lock") != 0)
      names.push_back(e->d_name);
  }
  closedir(d);
  names.push_back("lock");
  for (const std::string& n : names) {
    rc = RemovePath(meta_dir + "/" + n, &failed);
    if (rc != 0) {
      *why = "cannot remove " + failed + ": " + strerror(-rc);
      return rc;
    }
  }
  if (rmdir(meta_dir.c_str()) != 0 && errno != ENOENT) {
    rc = -errno;
    *why = "cannot remove " + meta_dir + ": " + strerror(errno);
    return rc;
  }
  return 0;
}

}  // namespace dingofs

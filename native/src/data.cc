// Data file helpers.
#include "data.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common.h"

namespace dingofs {

std::string DataPath(const std::string& dir, uint64_t ino) {
  char sub[8];
  snprintf(sub, sizeof sub, "%02x", static_cast<unsigned>(ino & 0xff));
  return dir + "/" + sub + "/" + std::to_string(ino);
}

bool HasDataFiles(const std::string& dir) {
  for (int i = 0; i < 256; i++) {
    char sub[8];
    snprintf(sub, sizeof sub, "%02x", i);
    DIR* d = opendir((dir + "/" + sub).c_str());
    if (d == nullptr) continue;
    bool any = false;
    while (struct dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') {
        any = true;
        break;
      }
    }
    closedir(d);
    if (any) return true;
  }
  return false;
}

int PrepareDataDir(const std::string& dir) {
  int rc = MakeDirs(dir);
  if (rc != 0) return rc;
  for (int i = 0; i < 256; i++) {
    char sub[8];
    snprintf(sub, sizeof sub, "%02x", i);
    std::string p = dir + "/" + sub;
    if (mkdir(p.c_str(), 0700) != 0 && errno != EEXIST) return -errno;
  }
  return 0;
}

int OfdLock(int fd, off_t off, short type, bool wait) {
  struct flock fl = {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = off;
  fl.l_len = 1;
  fl.l_pid = 0;
  if (fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) == 0) return 0;
  int e = errno;
  if (e == EAGAIN || e == EACCES) return -EWOULDBLOCK;
  return -e;
}

int64_t AllocatedBytes(int fd) {
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) return 0;
  return static_cast<int64_t>(st.st_blocks) * 512;
}

ssize_t FullPread(int fd, void* buf, size_t n, off_t off) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, static_cast<char*>(buf) + done, n - done, off + done);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -errno;  // an error, even after some bytes: never a short read
    }
    if (r == 0) break;
    done += r;
  }
  return done;
}

ssize_t FullPwrite(int fd, const void* buf, size_t n, off_t off) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pwrite(fd, static_cast<const char*>(buf) + done, n - done, off + done);
    if (r < 0) {
      if (errno == EINTR) continue;
      return done > 0 ? static_cast<ssize_t>(done) : -errno;
    }
    done += r;
  }
  return done;
}

int MakeDirs(const std::string& dir) {
  if (dir.empty()) return -EINVAL;
  std::string cur;
  size_t pos = 0;
  while (pos <= dir.size()) {
    size_t slash = dir.find('/', pos);
    if (slash == std::string::npos) slash = dir.size();
    cur = dir.substr(0, slash);
    pos = slash + 1;
    if (cur.empty()) continue;
    if (mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST) return -errno;
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return -errno;
  if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
  return 0;
}

}  // namespace dingofs

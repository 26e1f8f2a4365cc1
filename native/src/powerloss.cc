// Power-loss test seam: a recording VFS over SQLite's default one.
#include "powerloss.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace dingofs {
namespace {

constexpr char kVfsName[] = "dingofs-powerloss";

// What one write or truncate replaced.
struct Undo {
  bool truncate;
  sqlite3_int64 off;       // write: its offset; truncate: the new size
  std::string old;         // the bytes it overwrote or cut off
  sqlite3_int64 old_size;  // the file's size before it
};

std::mutex g_mu;
// Per path, the undo records since the file's last sync (leaked: used until exit).
auto* g_logs = new std::unordered_map<std::string, std::vector<Undo>>();
sqlite3_vfs* g_base = nullptr;
sqlite3_vfs g_vfs;

struct PlFile {
  sqlite3_file base;   // first: SQLite sees this
  sqlite3_file* real;  // the default VFS's file, right after this struct
  char* path;          // nullptr for a file without a name (nothing recorded)
};

sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<PlFile*>(f)->real; }

void Record(PlFile* p, bool truncate, sqlite3_int64 off, sqlite3_int64 len) {
  sqlite3_file* r = p->real;
  sqlite3_int64 size = 0;
  if (r->pMethods->xFileSize(r, &size) != SQLITE_OK) size = 0;
  Undo u{truncate, off, std::string(), size};
  sqlite3_int64 end = truncate ? size : off + len;
  if (end > size) end = size;
  if (off < end) {
    u.old.resize(static_cast<size_t>(end - off));
    // A short read fills zeros, which is what a hole reads as.
    r->pMethods->xRead(r, &u.old[0], static_cast<int>(end - off), off);
  }
  std::lock_guard<std::mutex> g(g_mu);
  (*g_logs)[p->path].push_back(std::move(u));
}

int Close(sqlite3_file* f) {
  auto* p = reinterpret_cast<PlFile*>(f);
  int rc = p->real->pMethods->xClose(p->real);
  free(p->path);
  p->path = nullptr;
  return rc;
}

int Read(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  return Real(f)->pMethods->xRead(Real(f), buf, amt, off);
}

int Write(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  auto* p = reinterpret_cast<PlFile*>(f);
  if (p->path != nullptr) Record(p, false, off, amt);
  return p->real->pMethods->xWrite(p->real, buf, amt, off);
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  auto* p = reinterpret_cast<PlFile*>(f);
  if (p->path != nullptr) Record(p, true, size, 0);
  return p->real->pMethods->xTruncate(p->real, size);
}

int Sync(sqlite3_file* f, int flags) {
  auto* p = reinterpret_cast<PlFile*>(f);
  int rc = p->real->pMethods->xSync(p->real, flags);
  if (rc == SQLITE_OK && p->path != nullptr) {
    std::lock_guard<std::mutex> g(g_mu);
    g_logs->erase(p->path);  // on the disk now
  }
  return rc;
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int Lock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
int Unlock(sqlite3_file* f, int level) { return Real(f)->pMethods->xUnlock(Real(f), level); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int ShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), region, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int del) { return Real(f)->pMethods->xShmUnmap(Real(f), del); }
int Fetch(sqlite3_file* f, sqlite3_int64 off, int amt, void** out) {
  return Real(f)->pMethods->xFetch(Real(f), off, amt, out);
}
int Unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return Real(f)->pMethods->xUnfetch(Real(f), off, p);
}

const sqlite3_io_methods g_methods = {
    3,     Close,       Read,    Write,      Truncate,    Sync,
    FileSize, Lock,     Unlock,  CheckReservedLock, FileControl, SectorSize,
    DeviceCharacteristics, ShmMap, ShmLock, ShmBarrier, ShmUnmap, Fetch,
    Unfetch,
};

int Open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  auto* p = reinterpret_cast<PlFile*>(f);
  p->base.pMethods = nullptr;
  p->real = reinterpret_cast<sqlite3_file*>(p + 1);
  p->path = nullptr;
  int rc = g_base->xOpen(g_base, name, p->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  if (p->real->pMethods == nullptr || p->real->pMethods->iVersion < 3) {
    if (p->real->pMethods != nullptr) p->real->pMethods->xClose(p->real);
    return SQLITE_CANTOPEN;
  }
  if (name != nullptr && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL))) {
    p->path = strdup(name);
    if (p->path == nullptr) {
      p->real->pMethods->xClose(p->real);
      return SQLITE_NOMEM;
    }
  }
  p->base.pMethods = &g_methods;
  return SQLITE_OK;
}

// Puts back what the unsynced writes of one file replaced, newest first.
int Rollback(const std::string& path) {
  std::vector<Undo> log;
  {
    std::lock_guard<std::mutex> g(g_mu);
    auto it = g_logs->find(path);
    if (it == g_logs->end()) return 0;
    log.swap(it->second);
    g_logs->erase(it);
  }
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : -errno;
  int err = 0;
  for (auto u = log.rbegin(); u != log.rend() && err == 0; ++u) {
    if (u->truncate && ftruncate(fd, u->old_size) != 0) err = -errno;
    if (err == 0 && !u->old.empty() &&
        pwrite(fd, u->old.data(), u->old.size(), u->off) != static_cast<ssize_t>(u->old.size()))
      err = -EIO;
    if (err == 0 && !u->truncate && ftruncate(fd, u->old_size) != 0) err = -errno;
  }
  close(fd);
  return err;
}

}  // namespace

const char* PowerLossVfs() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    g_base = sqlite3_vfs_find(nullptr);
    if (g_base == nullptr) return;
    g_vfs = *g_base;
    g_vfs.zName = kVfsName;
    g_vfs.szOsFile = static_cast<int>(sizeof(PlFile)) + g_base->szOsFile;
    g_vfs.xOpen = Open;
    g_vfs.pNext = nullptr;
    ok = sqlite3_vfs_register(&g_vfs, 0) == SQLITE_OK;
  });
  return ok ? kVfsName : nullptr;
}

int PowerLossRollback(const std::string& db) {
  int rc = Rollback(db + "-wal");
  int rc2 = Rollback(db);
  if (rc == 0) rc = rc2;
  // The index of the journal lives in memory in a real power failure; the
  // next opener rebuilds it from the journal.
  if (truncate((db + "-shm").c_str(), 0) != 0 && errno != ENOENT && rc == 0) rc = -errno;
  return rc;
}

}  // namespace dingofs

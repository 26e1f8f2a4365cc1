// WAL write coalescing: a SQLite VFS shim over another VFS (see walbuf.h).
#include "walbuf.h"

#include <sqlite3.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace dingofs {
namespace {

// Bytes held before the buffered run is written anyway: a transaction that
// writes more (a mass removal) costs one write per this many bytes. Below
// 128 KiB: SQLite's unix VFS writes at most 128 KiB - 1 bytes per call (it
// never asks for more itself) and reports a longer write as a full disk.
constexpr int kMaxRun = 64 << 10;
// SQLite's WAL frame header: the write of one is exactly this long, and its
// bytes 4..7 (the database size after a commit) are not zero for a commit
// frame only.
constexpr int kFrameHeader = 24;

enum Kind { kOther, kMainDb, kWal };

struct WbFile {
  sqlite3_file base;   // first: SQLite sees this
  sqlite3_file* real;  // the file of the VFS below, right after this struct
  Kind kind;
  // Database files: the name pointer SQLite opened it with (the pager's; it
  // identifies the connection), the list of open database files, and its
  // connection's WAL file while that is open.
  const char* key;
  WbFile* prev;
  WbFile* next;
  WbFile* wal;
  // WAL files: its connection's database file (nullptr: not buffered) and
  // the buffered run [off, off + len).
  WbFile* db;
  char* buf;
  int len;
  int cap;
  sqlite3_int64 off;
  bool commit_pending;  // the run ends in a commit frame's header
};

struct WbVfs {
  sqlite3_vfs vfs;  // first: SQLite sees this
  sqlite3_vfs* below;
  char name[80];
};

constexpr int kMaxVfs = 4;
std::mutex g_reg_mu;       // the VFS table
WbVfs g_vfs[kMaxVfs];
int g_nvfs = 0;

std::mutex g_mu;           // the list of database files and the links to WAL files
WbFile* g_dbs = nullptr;

std::atomic<uint64_t> g_writes_in{0};
std::atomic<uint64_t> g_writes_out{0};

sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<WbFile*>(f)->real; }
WbFile* Wb(sqlite3_file* f) { return reinterpret_cast<WbFile*>(f); }

// Writes the buffered run. The run is dropped whatever the outcome: after a
// failure it belongs to a transaction SQLite rolls back.
int Flush(WbFile* w) {
  if (w->len == 0) return SQLITE_OK;
  int rc = w->real->pMethods->xWrite(w->real, w->buf, w->len, w->off);
  g_writes_out.fetch_add(1, std::memory_order_relaxed);
  w->len = 0;
  return rc;
}

// The database file's connection has a WAL file: its run reaches the file
// before anything else happens on the connection.
int FlushWalOf(WbFile* d) {
  if (d->wal == nullptr) return SQLITE_OK;
  return Flush(d->wal);
}

// Before any call on a WAL file but a write.
int FlushSelf(WbFile* p) { return p->kind == kWal ? Flush(p) : FlushWalOf(p); }

// Appends to the run; false when no memory is left for it.
bool Append(WbFile* w, const void* data, int amt, sqlite3_int64 off) {
  if (w->len == 0) w->off = off;
  if (w->len + amt > w->cap) {
    int cap = w->cap == 0 ? 16 << 10 : w->cap;
    while (cap < w->len + amt) cap *= 2;
    if (cap > kMaxRun) cap = kMaxRun;
    void* nb = realloc(w->buf, static_cast<size_t>(cap));
    if (nb == nullptr) return false;
    w->buf = static_cast<char*>(nb);
    w->cap = cap;
  }
  memcpy(w->buf + w->len, data, static_cast<size_t>(amt));
  w->len += amt;
  return true;
}

int Close(sqlite3_file* f) {
  WbFile* p = Wb(f);
  int frc = FlushSelf(p);
  {
    std::lock_guard<std::mutex> g(g_mu);
    if (p->kind == kWal && p->db != nullptr) {
      p->db->wal = nullptr;
      p->db = nullptr;
    }
    if (p->kind == kMainDb) {
      if (p->wal != nullptr) p->wal->db = nullptr;  // its run was just written
      p->wal = nullptr;
      if (p->prev != nullptr) p->prev->next = p->next;
      else if (g_dbs == p) g_dbs = p->next;
      if (p->next != nullptr) p->next->prev = p->prev;
      p->prev = p->next = nullptr;
    }
  }
  int rc = p->real->pMethods->xClose(p->real);
  free(p->buf);
  p->buf = nullptr;
  p->len = p->cap = 0;
  return frc != SQLITE_OK ? frc : rc;
}

int Read(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  WbFile* p = Wb(f);
  if (p->kind == kWal) {
    if (p->len > 0 && off < p->off + p->len && off + amt > p->off) {
      int rc = Flush(p);
      if (rc != SQLITE_OK) return rc;
    }
  } else {
    int rc = FlushWalOf(p);
    if (rc != SQLITE_OK) return rc;
  }
  return p->real->pMethods->xRead(p->real, buf, amt, off);
}

int Write(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  WbFile* p = Wb(f);
  if (p->kind != kWal) {
    int rc = FlushWalOf(p);
    if (rc != SQLITE_OK) return rc;
    return p->real->pMethods->xWrite(p->real, buf, amt, off);
  }
  g_writes_in.fetch_add(1, std::memory_order_relaxed);
  if (p->db == nullptr) {  // not buffered
    g_writes_out.fetch_add(1, std::memory_order_relaxed);
    return p->real->pMethods->xWrite(p->real, buf, amt, off);
  }
  const auto* b = static_cast<const unsigned char*>(buf);
  bool commit_header = amt == kFrameHeader && (b[4] | b[5] | b[6] | b[7]) != 0;
  int rc = SQLITE_OK;
  if (p->len > 0 && (off != p->off + p->len || p->len + amt > kMaxRun)) rc = Flush(p);
  if (rc == SQLITE_OK && (amt > kMaxRun || !Append(p, buf, amt, off))) {
    rc = Flush(p);
    if (rc == SQLITE_OK) {
      g_writes_out.fetch_add(1, std::memory_order_relaxed);
      rc = p->real->pMethods->xWrite(p->real, buf, amt, off);
    }
  }
  // The write after a commit frame's header is its page: the commit frame is
  // complete, and SQLite publishes it once this call returns.
  bool complete = p->commit_pending;
  p->commit_pending = commit_header;
  if (rc != SQLITE_OK) {
    p->len = 0;
    p->commit_pending = false;
    return rc;
  }
  if (complete) rc = Flush(p);
  return rc;
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  WbFile* p = Wb(f);
  int rc = FlushSelf(p);
  if (rc != SQLITE_OK) return rc;
  return p->real->pMethods->xTruncate(p->real, size);
}

int Sync(sqlite3_file* f, int flags) {
  WbFile* p = Wb(f);
  int rc = FlushSelf(p);
  if (rc != SQLITE_OK) return rc;
  return p->real->pMethods->xSync(p->real, flags);
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  WbFile* p = Wb(f);
  int rc = FlushSelf(p);
  if (rc != SQLITE_OK) return rc;
  return p->real->pMethods->xFileSize(p->real, size);
}

int Lock(sqlite3_file* f, int level) {
  WbFile* p = Wb(f);
  int rc = FlushSelf(p);
  if (rc != SQLITE_OK) return rc;
  return p->real->pMethods->xLock(p->real, level);
}

// Releasing never fails for a failed write: the run is dropped (see Flush).
int Unlock(sqlite3_file* f, int level) {
  WbFile* p = Wb(f);
  FlushSelf(p);
  return p->real->pMethods->xUnlock(p->real, level);
}

int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}

int FileControl(sqlite3_file* f, int op, void* arg) {
  WbFile* p = Wb(f);
  int rc = FlushSelf(p);
  if (rc != SQLITE_OK) return rc;
  return p->real->pMethods->xFileControl(p->real, op, arg);
}

int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }

int DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}

int ShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  WbFile* p = Wb(f);
  int rc = FlushSelf(p);
  if (rc != SQLITE_OK) return rc;
  return p->real->pMethods->xShmMap(p->real, region, size, extend, out);
}

int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  WbFile* p = Wb(f);
  int rc = FlushSelf(p);
  if (rc != SQLITE_OK && (flags & SQLITE_SHM_LOCK) != 0) return rc;
  return p->real->pMethods->xShmLock(p->real, offset, n, flags);
}

// SQLite updates the WAL index between barriers: the frames it is about to
// publish are in the file before this returns.
void ShmBarrier(sqlite3_file* f) {
  WbFile* p = Wb(f);
  FlushSelf(p);
  p->real->pMethods->xShmBarrier(p->real);
}

int ShmUnmap(sqlite3_file* f, int del) {
  WbFile* p = Wb(f);
  FlushSelf(p);
  return p->real->pMethods->xShmUnmap(p->real, del);
}

int Fetch(sqlite3_file* f, sqlite3_int64 off, int amt, void** out) {
  WbFile* p = Wb(f);
  int rc = FlushSelf(p);
  if (rc != SQLITE_OK) {
    *out = nullptr;
    return rc;
  }
  return p->real->pMethods->xFetch(p->real, off, amt, out);
}

int Unfetch(sqlite3_file* f, sqlite3_int64 off, void* ptr) {
  return Real(f)->pMethods->xUnfetch(Real(f), off, ptr);
}

const sqlite3_io_methods g_methods = {
    3,        Close,        Read,   Write,   Truncate,          Sync,
    FileSize, Lock,         Unlock, CheckReservedLock, FileControl, SectorSize,
    DeviceCharacteristics,  ShmMap, ShmLock, ShmBarrier,        ShmUnmap,
    Fetch,    Unfetch,
};

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  sqlite3_vfs* below = reinterpret_cast<WbVfs*>(vfs)->below;
  WbFile* p = Wb(f);
  memset(p, 0, sizeof *p);
  p->real = reinterpret_cast<sqlite3_file*>(p + 1);
  int rc = below->xOpen(below, name, p->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  if (p->real->pMethods == nullptr || p->real->pMethods->iVersion < 3) {
    if (p->real->pMethods != nullptr) p->real->pMethods->xClose(p->real);
    return SQLITE_CANTOPEN;
  }
  if (name != nullptr && (flags & SQLITE_OPEN_MAIN_DB) != 0) {
    p->kind = kMainDb;
    p->key = name;
    std::lock_guard<std::mutex> g(g_mu);
    p->next = g_dbs;
    if (g_dbs != nullptr) g_dbs->prev = p;
    g_dbs = p;
  } else if (name != nullptr && (flags & SQLITE_OPEN_WAL) != 0) {
    p->kind = kWal;
    // The WAL name sits in the pager's allocation right after the database
    // name SQLite opened that connection's database file with.
    const char* key = sqlite3_filename_database(name);
    std::lock_guard<std::mutex> g(g_mu);
    for (WbFile* d = g_dbs; d != nullptr; d = d->next) {
      if (d->key == key && d->wal == nullptr) {
        d->wal = p;
        p->db = d;
        break;
      }
    }
  }
  p->base.pMethods = &g_methods;
  return SQLITE_OK;
}

}  // namespace

const char* WalBufVfs(const char* base) {
  std::lock_guard<std::mutex> g(g_reg_mu);
  sqlite3_vfs* below = sqlite3_vfs_find(base);
  if (below == nullptr) return nullptr;
  for (int i = 0; i < g_nvfs; i++)
    if (g_vfs[i].below == below) return g_vfs[i].name;
  if (g_nvfs == kMaxVfs) return nullptr;
  WbVfs* v = &g_vfs[g_nvfs];
  if (base == nullptr) {
    snprintf(v->name, sizeof v->name, "dingofs-walbuf");
  } else if (snprintf(v->name, sizeof v->name, "dingofs-walbuf+%s", base) >=
             static_cast<int>(sizeof v->name)) {
    return nullptr;
  }
  v->below = below;
  // Everything but xOpen is the VFS below's (its other calls do not depend on
  // which VFS object they are given, as for the power-loss seam's copy).
  v->vfs = *below;
  v->vfs.zName = v->name;
  v->vfs.szOsFile = static_cast<int>(sizeof(WbFile)) + below->szOsFile;
  v->vfs.xOpen = Open;
  v->vfs.pNext = nullptr;
  if (sqlite3_vfs_register(&v->vfs, 0) != SQLITE_OK) return nullptr;
  g_nvfs++;
  return v->name;
}

WalBufStats WalBufCounters() {
  return WalBufStats{g_writes_in.load(std::memory_order_relaxed),
                     g_writes_out.load(std::memory_order_relaxed)};
}

}  // namespace dingofs

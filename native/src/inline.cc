// Inline file data (format 2): a small file keeps its bytes in the metadata
// store's inline_data table instead of a data file, so creating, writing,
// reading and removing it touches no host inode.
//
// A row in inline_data means the file is in the inline form; without one it
// has a data file (or none yet). A handle buffers what it writes to an inline
// file in its OpenInode and merges the written ranges into the store's copy
// at the commit (close, flush, fsync, the periodic flush), under the store's
// write lock: handles writing different ranges keep each other's bytes, and
// other handles see them from that commit on (close-to-open), as they see the
// size of a data file. A write past the threshold, an append or an allocation
// moves the file to a data file first (MigrateOut); truncating a data file to
// what the threshold allows moves it back when no other handle has it open
// (ResizeData in files.cc).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "data.h"
#include "fs.h"

namespace dingofs {

namespace {

// Copies the ranges `oi` wrote from its buffer over `out` (growing it).
void ApplyRanges(const OpenInode& oi, std::string* out) {
  for (const auto& r : oi.ranges) {
    int64_t end = std::min<int64_t>(r.end, static_cast<int64_t>(oi.data.size()));
    if (end <= r.start) continue;
    if (static_cast<int64_t>(out->size()) < end) out->resize(static_cast<size_t>(end), '\0');
    memcpy(&(*out)[static_cast<size_t>(r.start)], oi.data.data() + r.start,
           static_cast<size_t>(end - r.start));
  }
}

// Writes the ranges `oi` wrote into a data file. Returns 0 or -errno.
int WriteRanges(const OpenInode& oi, int fd) {
  for (const auto& r : oi.ranges) {
    int64_t end = std::min<int64_t>(r.end, static_cast<int64_t>(oi.data.size()));
    if (end <= r.start) continue;
    size_t n = static_cast<size_t>(end - r.start);
    ssize_t w = FullPwrite(fd, oi.data.data() + r.start, n, r.start);
    if (w < 0) return static_cast<int>(w);
    if (static_cast<size_t>(w) < n) return -EIO;
  }
  return 0;
}

// The inline buffer becomes a data file's description (under oi->mu).
void BecomeDataFile(OpenInode* oi, int fd) {
  if (oi->hostfd >= 0) close(oi->hostfd);
  if (oi->appendfd >= 0) close(oi->appendfd);
  oi->hostfd = fd;
  oi->hostfd_rw = true;
  oi->appendfd = -1;
  oi->inl = false;
  std::string().swap(oi->data);
  oi->ranges.clear();
  oi->unsynced = true;
  oi->synced_size = 0;
}

}  // namespace

int Fs::OpenDataFile(uint64_t ino, bool fresh) {
  std::string path = DataPath(data_dir_, ino);
  int flags = O_RDWR | O_CREAT | O_CLOEXEC | (fresh ? O_TRUNC : 0);
  int fd = open(path.c_str(), flags, 0600);
  if (fd < 0 && errno == ENOENT) {
    if (DataDirGone()) return -EIO;
    MakeDirs(path.substr(0, path.rfind('/')));
    fd = open(path.c_str(), flags, 0600);
  }
  return fd < 0 ? -errno : fd;
}

void Fs::LoadInline(OpenInode* oi, std::string stored) {
  oi->inl = true;
  oi->data = std::move(stored);
  oi->ranges.clear();
  if (oi->hostfd >= 0) close(oi->hostfd);
  if (oi->appendfd >= 0) close(oi->appendfd);
  oi->hostfd = oi->appendfd = -1;
  oi->hostfd_rw = false;
}

void Fs::RefreshInline(OpenInode* oi) {
  {
    std::lock_guard<std::mutex> g(oi->mu);
    if (!oi->inl || oi->dirty || !oi->ranges.empty()) return;
  }
  Inode fresh;
  if (!store_.Find(oi->ino, &fresh)) return;
  std::string stored;
  bool row = store_.db().GetInline(oi->ino, &stored);
  std::lock_guard<std::mutex> g(oi->mu);
  if (!oi->inl || oi->dirty || !oi->ranges.empty()) return;
  if (row) {
    oi->data = std::move(stored);
  } else {
    oi->inl = false;  // another handle moved it to a data file: Read opens it
    std::string().swap(oi->data);
  }
  oi->size = fresh.size;
  oi->mtime = fresh.mtime;
  oi->ctime = fresh.ctime;
}

size_t Fs::InlineRead(OpenInode* oi, void* buf, size_t n, int64_t off) {
  char* out = static_cast<char*>(buf);
  int64_t have = static_cast<int64_t>(oi->data.size());
  size_t from_data = 0;
  if (off < have) from_data = static_cast<size_t>(std::min<int64_t>(have - off, static_cast<int64_t>(n)));
  if (from_data > 0) memcpy(out, oi->data.data() + off, from_data);
  if (from_data < n) memset(out + from_data, 0, n - from_data);
  return n;
}

void Fs::InlineWrite(OpenInode* oi, const void* buf, size_t n, int64_t pos) {
  int64_t end = pos + static_cast<int64_t>(n);
  if (static_cast<int64_t>(oi->data.size()) < end) oi->data.resize(static_cast<size_t>(end), '\0');
  memcpy(&oi->data[static_cast<size_t>(pos)], buf, n);
  // Ranges of the current epoch merge when they touch; older ones belong to
  // a commit in flight and stay as they are.
  auto& rs = oi->ranges;
  bool merged = false;
  for (auto& r : rs) {
    if (r.epoch == oi->epoch && r.start <= end && pos <= r.end) {
      r.start = std::min(r.start, pos);
      r.end = std::max(r.end, end);
      merged = true;
      break;
    }
  }
  if (!merged) rs.push_back({pos, end, oi->epoch});
}

bool Fs::CommitInline(const std::shared_ptr<OpenInode>& oi) {
  Inode n;
  if (!store_.Find(oi->ino, &n)) return true;
  std::string stored;
  bool row = store_.db().GetInline(oi->ino, &stored);
  std::unique_lock<std::mutex> g(oi->mu);
  if (!oi->inl) return false;
  if (!row) {
    // Another handle moved the file to a data file: what this handle wrote
    // goes there, and from now on it is a data file here too.
    int fd = OpenDataFile(oi->ino, false);
    if (fd < 0) Fail(-fd);
    int rc = WriteRanges(*oi, fd);
    if (rc != 0) {
      close(fd);
      Fail(-rc);
    }
    BecomeDataFile(oi.get(), fd);
    return false;
  }
  if (!oi->dirty) return true;
  uint64_t taken = oi->epoch++;
  ApplyRanges(*oi, &stored);
  int64_t size = std::max(oi->size, n.size);
  int64_t mtime = oi->mtime;
  int64_t ctime = std::max(oi->ctime, n.ctime);  // a later chmod, xattr, ... stays
  uint64_t wg = oi->write_gen;
  g.unlock();
  int64_t alloc = static_cast<int64_t>(stored.size());
  store_.db().PutInline(oi->ino, stored);
  store_.db().SetSize(oi->ino, size, mtime, ctime, 0, alloc, true);
  store_.db().AddUsage(0, alloc - n.alloc);
  n.size = size;
  n.mtime = mtime;
  n.ctime = ctime;
  n.dirty = 0;
  n.alloc = alloc;
  if (Inode* cached = store_.CachedInode(oi->ino)) *cached = n;
  Post([this, oi, wg, taken] {
    std::lock_guard<std::mutex> lg(oi->mu);
    auto& rs = oi->ranges;
    rs.erase(std::remove_if(rs.begin(), rs.end(),
                            [taken](const OpenInode::Range& r) { return r.epoch <= taken; }),
             rs.end());
    if (oi->write_gen == wg) {
      oi->dirty = false;
      pending_growth_ -= oi->growth;
      oi->growth = 0;
    }
    if (capacity_ > 0 && store_.db().is_open()) {
      try {
        committed_used_ = store_.db().GetUsage().used_bytes;
      } catch (...) {
      }
    }
  });
  return true;
}

void Fs::MigrateOut(const std::shared_ptr<OpenInode>& oi) {
  // The new data file's descriptor, kept across retries of the change.
  // A data file made for a change that did not commit is removed again (the
  // file stays inline, and an inline file has no data file).
  struct Pending {
    int fd = -1;
    std::string made;  // path of the data file this change made
    void Drop() {
      if (fd >= 0) close(fd);
      fd = -1;
      if (!made.empty()) unlink(made.c_str());
      made.clear();
    }
    ~Pending() { Drop(); }
  } pending;
  bool synced = false;
  int64_t synced_size = 0;
  WriteOp([&] {
    pending.Drop();
    synced = false;
    Inode n;
    if (!store_.Find(oi->ino, &n)) Fail(ENOENT);
    std::string stored;
    bool row = store_.db().GetInline(oi->ino, &stored);
    std::unique_lock<std::mutex> g(oi->mu);
    if (!oi->inl) return;
    int fd = OpenDataFile(oi->ino, row);
    if (fd < 0) Fail(-fd);
    pending.fd = fd;
    if (row) pending.made = DataPath(data_dir_, oi->ino);
    if (!row) {
      // Moved by another handle already: add what this handle wrote.
      int rc = WriteRanges(*oi, fd);
      if (rc != 0) Fail(-rc);
    } else {
      // Bytes the store holds may have been made durable by an fsync: the
      // data file taking their place is synced before the commit that makes
      // it the file's data, so a power loss keeps them either way.
      synced = opts_.data_sync_always || !stored.empty();
      ApplyRanges(*oi, &stored);
      int64_t size = std::max(oi->size, n.size);
      synced_size = size;
      ssize_t w = FullPwrite(fd, stored.data(), stored.size(), 0);
      if (w < 0) Fail(static_cast<int>(-w));
      if (static_cast<size_t>(w) < stored.size()) Fail(EIO);
      if (ftruncate(fd, size) != 0) Fail(errno);  // the data file's end is the file's end
      if (synced && fdatasync(fd) != 0) Fail(errno);
      int64_t alloc = AllocatedBytes(fd);
      store_.db().DelInline(oi->ino);
      int dirty = synced ? 0 : 1;
      store_.db().SetSize(oi->ino, size, oi->mtime, oi->ctime, dirty, alloc, false);
      store_.db().AddUsage(0, alloc - n.alloc);
      n.size = size;
      n.mtime = oi->mtime;
      n.ctime = oi->ctime;
      n.dirty = dirty;
      n.alloc = alloc;
      if (Inode* cached = store_.CachedInode(oi->ino)) *cached = n;
    }
    g.unlock();
    Post([this, oi, &pending, row, synced, synced_size] {
      if (synced) unsynced_.erase(oi->ino);
      std::lock_guard<std::mutex> lg(oi->mu);
      if (!oi->inl) return;
      // Writes of other threads since the change read the buffer go to the
      // data file too (the ranges written before are written once more).
      int rc = WriteRanges(*oi, pending.fd);
      BecomeDataFile(oi.get(), pending.fd);
      pending.fd = -1;
      pending.made.clear();
      if (row) oi->marked = true;
      if (synced) {
        oi->unsynced = false;
        oi->synced_size = synced_size;
      }
      // Those bytes may be lost: this call says so, and so does fsync. The
      // move itself is committed and stands.
      if (rc != 0) {
        SetSyncFailed(oi->ino);
        Fail(-rc);
      }
    });
  }, true);
}

}  // namespace dingofs

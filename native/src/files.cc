// Open files: fd table, per-inode open state (shared data file, in-memory size
// and times), the write path, flush/fsync, locks, truncate, fallocate.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "data.h"
#include "fs.h"

namespace dingofs {

// Gives back the opener locks ResizeData took exclusively, once the change
// committed or failed. A change that failed may still have committed (a
// durable commit whose sync failed reports EIO): a file the store now keeps
// inline loses its data file then, as after a commit that went well.
struct OpenLockRestore {
  Fs* fs;
  std::vector<uint64_t> held;
  bool done = false;  // the change returned normally
  ~OpenLockRestore() {
    if (held.empty()) return;
    if (!done) {
      for (uint64_t ino : held) {
        try {
          bool inl = fs->ReadOp([&] {
            std::string bytes;
            return fs->store_.db().GetInline(ino, &bytes);
          });
          if (inl) unlink(DataPath(fs->data_dir_, ino).c_str());
        } catch (...) {
        }
      }
    }
    StoreSection section;
    std::lock_guard<StoreLock> g(fs->mu_);
    fs->RestoreOpenLocks(held);
  }
};

int Fs::EnsureHostFd(OpenInode* oi) {
  if (oi->hostfd >= 0 && oi->hostfd_rw) return 0;
  std::string path = DataPath(data_dir_, oi->ino);
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 && errno == ENOENT) {
    if (DataDirGone()) return -EIO;
    std::string dir = path.substr(0, path.rfind('/'));
    MakeDirs(dir);
    fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  }
  if (fd < 0) return -errno;
  if (oi->hostfd >= 0) close(oi->hostfd);
  oi->hostfd = fd;
  oi->hostfd_rw = true;
  return 0;
}

std::shared_ptr<OpenInode> Fs::Acquire(const Inode& n, bool created) {
  auto it = open_.inodes.find(n.ino);
  if (it != open_.inodes.end()) {
    it->second->nopen++;
    RefreshInline(it->second.get());
    return it->second;
  }
  auto oi = std::make_shared<OpenInode>(n.ino);
  if (S_ISREG(n.mode)) {
    // Shared opener lock: keeps an unlinked inode alive until the last close.
    int64_t deadline = MonoMs() + opts_.meta_timeout_ms;
    for (;;) {
      int rc = OfdLock(lockfd_, OpenLockOff(n.ino), F_RDLCK, false);
      if (rc == 0) break;
      if (rc != -EWOULDBLOCK) Fail(-rc);
      if (store_.db().in_txn()) Fail(kRetry);  // the prober waits for our transaction
      if (MonoMs() >= deadline) Fail(ETIMEDOUT);
      usleep(500);
    }
    Inode fresh;
    if (!store_.db().in_txn()) store_.Refresh();
    if (!store_.Find(n.ino, &fresh) || (fresh.nlink == 0 && !store_.db().IsOrphan(n.ino))) {
      OfdLock(lockfd_, OpenLockOff(n.ino), F_UNLCK, false);
      Fail(ENOENT);
    }
    std::string stored;
    if (created) {
      if (inline_max_ > 0) oi->inl = true;  // its row was made with it
    } else if (store_.db().GetInline(n.ino, &stored)) {
      LoadInline(oi.get(), std::move(stored));
    } else {
      // A file created just now has no data file yet: the first write makes it.
      std::string path = DataPath(data_dir_, n.ino);
      oi->hostfd = open(path.c_str(), (read_only_ ? O_RDONLY : O_RDWR) | O_CLOEXEC);
      oi->hostfd_rw = oi->hostfd >= 0 && !read_only_;
      if (oi->hostfd < 0 && errno != ENOENT) {
        int e = errno;  // the data file is there but cannot be opened
        OfdLock(lockfd_, OpenLockOff(n.ino), F_UNLCK, false);
        Fail(e);
      }
      if (oi->hostfd < 0 && errno == ENOENT && fresh.size > 0 && DataDirGone()) {
        OfdLock(lockfd_, OpenLockOff(n.ino), F_UNLCK, false);
        Fail(EIO);
      }
      if (oi->hostfd < 0 && errno == ENOENT && fresh.size > 0) {
        // Every file with data has a data file, so another handle freed this
        // inode (its probe ran before our opener lock) after the snapshot we
        // resolved the name in: answer from a fresh snapshot. Once the data
        // file is open here, a later removal no longer matters.
        OfdLock(lockfd_, OpenLockOff(n.ino), F_UNLCK, false);
        Fail(store_.db().in_txn() ? ENOENT : kStale);
      }
    }
    oi->size = fresh.size;
    oi->mtime = fresh.mtime;
    oi->ctime = fresh.ctime;
    oi->marked = fresh.dirty != 0;
    oi->mode = fresh.mode;
    oi->flags = fresh.flags;
    oi->uid = fresh.uid;
  } else {
    oi->mode = n.mode;
    oi->flags = n.flags;
    oi->uid = n.uid;
  }
  oi->nopen = 1;
  open_.inodes[n.ino] = oi;
  return oi;
}

// Last fd of the inode in this handle is gone (mu_ held, committed already).
void Fs::Release(const std::shared_ptr<OpenInode>& oi) {
  open_.inodes.erase(oi->ino);
  {
    std::lock_guard<std::mutex> g(oi->mu);
    if (oi->unsynced) {
      auto it = unsynced_.find(oi->ino);
      if (it == unsynced_.end()) unsynced_[oi->ino] = oi->synced_size;
    }
  }
  if (!S_ISREG(oi->mode)) return;
  OfdLock(lockfd_, OpenLockOff(oi->ino), F_UNLCK, false);
  Inode n;
  if (store_.db().is_open() && store_.Find(oi->ino, &n) && n.nlink == 0 && !read_only_) {
    try {
      Txn([&] { TryReclaim(oi->ino); }, true);
    } catch (const FsError& e) {
      log_->Log(kWarning, "cannot reclaim inode %llu now: %s",
                static_cast<unsigned long long>(oi->ino), strerror(e.err));
    }
  }
}

// Commits the in-memory size/times of an open inode (mu_ held, inside a Txn).
void Fs::CommitOpen(const std::shared_ptr<OpenInode>& oi, bool data_synced, uint64_t gen) {
  bool inl;
  {
    std::lock_guard<std::mutex> g(oi->mu);
    inl = oi->inl;
  }
  if (inl && CommitInline(oi)) return;
  int64_t size, mtime, ctime, alloc;
  uint64_t wg;
  bool dirty;
  int fd;
  {
    std::lock_guard<std::mutex> g(oi->mu);
    size = oi->size;
    mtime = oi->mtime;
    ctime = oi->ctime;
    wg = oi->write_gen;
    dirty = oi->dirty;
    fd = oi->hostfd;
    alloc = AllocatedBytes(fd);
  }
  if (!dirty && !data_synced) return;
  bool synced = data_synced && wg == gen;
  if (!synced && opts_.data_sync_always && fd >= 0) {
    if (SyncFailed(oi->ino)) Fail(EIO);
    if (fdatasync(fd) != 0) {
      int e = errno;
      SetSyncFailed(oi->ino);
      Fail(e);
    }
    synced = true;
  }
  Inode n;
  if (!store_.Find(oi->ino, &n)) return;
  if (!dirty) {
    size = n.size;
    mtime = n.mtime;
    ctime = n.ctime;
  }
  ctime = std::max(ctime, n.ctime);  // a later chmod, xattr, ... stays
  int64_t new_size = size > n.size ? size : n.size;
  store_.db().SetSize(oi->ino, size, mtime, ctime, synced ? 0 : 1, fd >= 0 ? alloc : n.alloc, true);
  if (fd >= 0) store_.db().AddUsage(0, alloc - n.alloc);
  n.size = new_size;
  n.mtime = mtime;
  n.ctime = ctime;
  n.dirty = synced ? 0 : 1;
  if (fd >= 0) n.alloc = alloc;
  if (Inode* cached = store_.CachedInode(oi->ino)) *cached = n;
  Post([this, oi, wg, synced] {
    std::lock_guard<std::mutex> g(oi->mu);
    if (oi->write_gen == wg) {
      oi->dirty = false;
      pending_growth_ -= oi->growth;
      oi->growth = 0;
      if (synced) {
        oi->marked = false;
        oi->unsynced = false;
      }
    }
    if (synced) oi->synced_size = oi->size;
    if (capacity_ > 0 && store_.db().is_open()) {
      try {
        committed_used_ = store_.db().GetUsage().used_bytes;
      } catch (...) {
      }
    }
  });
}

void Fs::FlushInode(const std::shared_ptr<OpenInode>& oi) {
  {
    std::lock_guard<std::mutex> g(oi->mu);
    if (!oi->dirty) return;
  }
  WriteOp([&] { CommitOpen(oi, false, 0); });
}

void Fs::MarkDirty(const std::shared_ptr<OpenInode>& oi) {
  WriteOp([&] {
    store_.db().SetDirty(oi->ino, 1);
    if (Inode* cached = store_.CachedInode(oi->ino)) cached->dirty = 1;
    Post([oi] {
      std::lock_guard<std::mutex> g(oi->mu);
      oi->marked = true;
    });
  });
}

void Fs::ClearSuid(const std::shared_ptr<OpenInode>& oi) {
  WriteOp([&] {
    Inode n = store_.Get(oi->ino);
    n.mode &= ~S_ISUID;
    if (n.mode & S_IXGRP) n.mode &= ~S_ISGID;
    n.ctime = NowNs();
    PutInode(n);
  });
}

int Fs::Open(const char* path, int flags, mode_t mode) {
  int acc = flags & O_ACCMODE;
  if (acc == O_ACCMODE) Fail(EINVAL);
  bool wr = acc != O_RDONLY;
  bool creat = flags & O_CREAT;
  bool trunc = flags & O_TRUNC;
  std::vector<uint64_t> unused;
  std::vector<uint64_t>* held_ptr = &unused;
  auto body = [&]() -> std::shared_ptr<OpenFile> {
    std::vector<uint64_t>& held = *held_ptr;
    Cred c = Cred::Current();
    bool excl = creat && (flags & O_EXCL);
    if (creat) {
      // Linux: O_CREAT with a trailing slash is EISDIR once the parent is
      // found, whether the name exists or not (a directory cannot be opened
      // for creation, and nothing else may end in a slash).
      // A final "." or ".." names an existing directory: that case falls
      // through to the lookup below (EEXIST with O_EXCL, else EISDIR).
      size_t len = strlen(path);
      size_t end = len;
      while (end > 0 && path[end - 1] == '/') --end;
      size_t start = end;
      while (start > 0 && path[start - 1] != '/') --start;
      std::string_view last(path + start, end - start);
      bool dot_name = last == "." || last == "..";
      if (len > 0 && path[len - 1] == '/' && !dot_name) {
        Resolve(path, false, c, true);
        Fail(EISDIR);
      }
    }
    Lookup l = Resolve(path, !(flags & O_NOFOLLOW) && !excl, c, false, creat);
    Inode n;
    bool created = false;
    if (l.ino == 0) {
      if (!creat) Fail(ENOENT);
      if (l.trailing_slash) Fail(EISDIR);
      if (read_only_) Fail(EROFS);
      CheckNewName(l.name);
      Inode p = store_.Get(l.parent);
      CheckAccess(p, W_OK | X_OK, c);
      if (p.flags & FS_IMMUTABLE_FL) Fail(EPERM);
      int64_t now = NowNs();
      n.mode = S_IFREG | (mode & 07777);
      SetNewOwner(n, p, c);
      if (!c.root() && (n.mode & S_ISGID) && !c.InGroup(n.gid)) n.mode &= ~S_ISGID;
      n.nlink = 1;
      n.dirty = 1;
      n.parent = l.parent;
      n.atime = n.mtime = n.ctime = now;
      if (inline_max_ > 0) n.dirty = 0;  // its bytes commit with its size
      store_.NewInode(&n);
      if (inline_max_ > 0) store_.db().PutInline(n.ino, std::string());
      store_.AddEntry(l.parent, l.name, n.ino);
      TouchDir(l.parent, now);
      unsynced_.emplace(n.ino, 0);
      created = true;
    } else {
      if (creat && (flags & O_EXCL)) Fail(EEXIST);
      n = store_.Get(l.ino);
      if (S_ISLNK(n.mode)) Fail(ELOOP);
      if ((flags & O_DIRECTORY) && !S_ISDIR(n.mode)) Fail(ENOTDIR);
      if (S_ISDIR(n.mode) && (wr || trunc || creat)) Fail(EISDIR);
      if (!S_ISDIR(n.mode) && !S_ISREG(n.mode)) Fail(ENXIO);
      int mask = acc == O_RDONLY ? R_OK : (acc == O_WRONLY ? W_OK : R_OK | W_OK);
      if (trunc) mask |= W_OK;
      CheckAccess(n, mask, c);
      if (wr || trunc) {
        if (read_only_) Fail(EROFS);
        if (n.flags & FS_IMMUTABLE_FL) Fail(EPERM);
        if ((n.flags & FS_APPEND_FL) && (trunc || !(flags & O_APPEND))) Fail(EPERM);
      }
    }
    auto of = std::make_shared<OpenFile>();
    of->ino = n.ino;
    of->readable = acc != O_WRONLY;
    of->writable = wr;
    of->append = flags & O_APPEND;
    of->is_dir = S_ISDIR(n.mode);
    of->oi = Acquire(n, created);
    if (trunc && !created && S_ISREG(n.mode)) {
      try {
        Inode t = store_.Get(n.ino);
        int64_t now = NowNs();
        t.mtime = t.ctime = now;
        ResizeData(t, 0, &held);
        if (!c.root()) {
          t.mode &= ~S_ISUID;
          if (t.mode & S_IXGRP) t.mode &= ~S_ISGID;
        }
        PutInode(t);
      } catch (...) {
        if (--of->oi->nopen == 0) Release(of->oi);
        throw;
      }
    }
    ReleaseOnRollback(of->oi);
    return of;
  };
  std::shared_ptr<OpenFile> of;
  if (!read_only_ && (creat || trunc)) {
    OpenLockRestore restore{this, {}};
    held_ptr = &restore.held;
    of = WriteOp(body);
    restore.done = true;
  } else {
    of = ReadOp(body);
  }
  return open_.AddFile(of);
}

ssize_t Fs::Read(int fd, void* buf, size_t count, off_t off, bool use_pos) {
  auto of = GetFd(fd);
  if (of->is_dir) Fail(EISDIR);
  if (!of->readable) Fail(EBADF);
  OpenInode* oi = of->oi.get();
  std::unique_lock<std::mutex> pg(of->mu, std::defer_lock);
  if (use_pos) {
    pg.lock();
    off = of->pos;
  }
  if (count == 0) return 0;
  int64_t size;
  int hfd;
  {
    std::lock_guard<std::mutex> g(oi->mu);
    size = oi->size;
    if (oi->inl) {
      if (off >= size) return 0;
      size_t n = count;
      if (static_cast<int64_t>(n) > size - off) n = static_cast<size_t>(size - off);
      InlineRead(oi, buf, n, off);
      if (use_pos) of->pos = off + static_cast<int64_t>(n);
      return static_cast<ssize_t>(n);
    }
    if ((static_cast<int64_t>(off + count) > size && !oi->dirty) ||
        (oi->hostfd < 0 && off < size)) {
      // Pick up data other handles have published since this fd was opened.
      if (oi->hostfd < 0) {
        std::string path = DataPath(data_dir_, oi->ino);
        oi->hostfd = open(path.c_str(), (read_only_ ? O_RDONLY : O_RDWR) | O_CLOEXEC);
        oi->hostfd_rw = oi->hostfd >= 0 && !read_only_;
        if (oi->hostfd < 0 && errno != ENOENT) Fail(errno);  // no data file is a hole
        if (oi->hostfd < 0 && DataDirGone()) Fail(EIO);
      }
      struct stat st;
      if (oi->hostfd >= 0 && fstat(oi->hostfd, &st) == 0 && st.st_size > size) {
        size = st.st_size;
        oi->size = size;
      }
    }
    hfd = oi->hostfd;
  }
  if (off >= size) return 0;
  size_t n = count;
  if (static_cast<int64_t>(n) > size - off) n = static_cast<size_t>(size - off);
  ssize_t r = 0;
  if (hfd >= 0) {
    r = FullPread(hfd, buf, n, off);
    if (r < 0) Fail(-r);
  }
  if (static_cast<size_t>(r) < n) memset(static_cast<char*>(buf) + r, 0, n - r);
  if (use_pos) of->pos = off + n;
  return static_cast<ssize_t>(n);
}

ssize_t Fs::Write(int fd, const void* buf, size_t count, off_t off, bool use_pos) {
  auto of = GetFd(fd);
  if (of->is_dir) Fail(EISDIR);
  if (!of->writable) Fail(EBADF);
  auto& oi = of->oi;
  uint32_t iflags, imode;
  {
    std::lock_guard<std::mutex> g(oi->mu);
    iflags = oi->flags;
    imode = oi->mode;
  }
  if (iflags & FS_IMMUTABLE_FL) Fail(EPERM);
  if ((iflags & FS_APPEND_FL) && !of->append) Fail(EPERM);
  if (read_only_) Fail(EROFS);
  if (!mounted_.load()) Fail(ENOTCONN);
  if (count == 0) return 0;
  if ((imode & (S_ISUID | S_ISGID)) && geteuid() != 0 &&
      ((imode & S_ISUID) || (imode & S_IXGRP)))
    ClearSuid(oi);
  for (;;) {
    // Store work first (no lock of the fd or inode held): an inline file
    // that this write does not fit moves to a data file, and a data file is
    // marked dirty before its first write.
    bool inl, marked;
    {
      std::lock_guard<std::mutex> g(oi->mu);
      inl = oi->inl;
      marked = oi->marked;
    }
    if (inl) {
      int64_t p = off;
      if (use_pos) {
        std::lock_guard<std::mutex> pg(of->mu);
        p = of->pos;
      }
      if (of->append || !InlineFits(p, count)) MigrateOut(oi);
    } else if (!marked) {
      MarkDirty(oi);
    }
    std::unique_lock<std::mutex> pg(of->mu, std::defer_lock);
    if (use_pos) pg.lock();
    std::lock_guard<std::mutex> g(oi->mu);
    int64_t pos = use_pos ? of->pos : off;
    if (oi->inl) {
      if (of->append || !InlineFits(pos, count)) continue;  // changed meanwhile
      int64_t end = pos + static_cast<int64_t>(count);
      int64_t growth = end > oi->size ? end - oi->size : 0;
      if (capacity_ > 0 && growth > 0 &&
          committed_used_.load() + pending_growth_.load() + growth > capacity_)
        Fail(ENOSPC);
      InlineWrite(oi.get(), buf, count, pos);
      if (end > oi->size) {
        oi->growth += growth;
        pending_growth_ += growth;
        oi->size = end;
      }
      oi->mtime = oi->ctime = NowNs();
      oi->dirty = true;
      oi->write_gen++;
      if (use_pos) of->pos = end;
      return static_cast<ssize_t>(count);
    }
    if (!oi->marked) continue;
    return WriteData(of.get(), buf, count, pos, use_pos);
  }
}

// Write to a data file (the fd's and the inode's locks held).
ssize_t Fs::WriteData(OpenFile* of, const void* buf, size_t count, int64_t pos, bool use_pos) {
  OpenInode* oi = of->oi.get();
  int rc = EnsureHostFd(oi);
  if (rc != 0) Fail(-rc);
  if (of->append) return Append(of, buf, count, use_pos);
  if (pos >= kMaxFileSize) Fail(EFBIG);
  if (static_cast<int64_t>(count) > kMaxFileSize - pos) count = static_cast<size_t>(kMaxFileSize - pos);
  int64_t end = pos + static_cast<int64_t>(count);
  int64_t growth = end > oi->size ? end - oi->size : 0;
  if (capacity_ > 0 && growth > 0 && committed_used_.load() + pending_growth_.load() + growth > capacity_)
    Fail(ENOSPC);
  if (!oi->unsynced) {
    struct stat st;
    oi->unsynced = true;
    oi->synced_size = fstat(oi->hostfd, &st) == 0 ? st.st_size : 0;
  }
  ssize_t w = FullPwrite(oi->hostfd, buf, count, pos);
  if (w < 0) Fail(-w);
  end = pos + w;
  if (end > oi->size) {
    oi->growth += end - oi->size;
    pending_growth_ += end - oi->size;
    oi->size = end;
  }
  oi->mtime = oi->ctime = NowNs();
  oi->dirty = true;
  oi->write_gen++;
  if (use_pos) of->pos = end;
  return w;
}

// O_APPEND write (oi->mu held, host fd ready). The data file's end is the
// file's end (every write, truncate and allocation goes to it at once), and
// the host appends atomically through an O_APPEND descriptor, so appends of
// every handle and process land one after the other, never on each other.
ssize_t Fs::Append(OpenFile* of, const void* buf, size_t count, bool use_pos) {
  OpenInode* oi = of->oi.get();
  if (oi->appendfd < 0) {
    oi->appendfd = open(DataPath(data_dir_, oi->ino).c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (oi->appendfd < 0) Fail(errno);
  }
  if (oi->size >= kMaxFileSize) Fail(EFBIG);
  if (static_cast<int64_t>(count) > kMaxFileSize - oi->size)
    count = static_cast<size_t>(kMaxFileSize - oi->size);
  int64_t growth = static_cast<int64_t>(count);
  if (capacity_ > 0 && committed_used_.load() + pending_growth_.load() + growth > capacity_)
    Fail(ENOSPC);
  if (!oi->unsynced) {
    struct stat st;
    oi->unsynced = true;
    oi->synced_size = fstat(oi->hostfd, &st) == 0 ? st.st_size : 0;
  }
  // One write() call: splitting it would let another process's append land
  // in the middle. A short count is returned as such, as write(2) does.
  ssize_t w;
  do {
    w = write(oi->appendfd, buf, count);
  } while (w < 0 && errno == EINTR);
  if (w < 0) Fail(errno);
  // The description's offset is the end of what we wrote (only this handle
  // uses it, under oi->mu).
  off_t end = lseek(oi->appendfd, 0, SEEK_CUR);
  if (end < 0) Fail(errno);
  if (end > oi->size) {
    oi->growth += end - oi->size;
    pending_growth_ += end - oi->size;
  }
  oi->size = end;  // also when another process truncated the file meanwhile
  oi->mtime = oi->ctime = NowNs();
  oi->dirty = true;
  oi->write_gen++;
  if (use_pos) of->pos = end;
  return w;
}

off_t Fs::Lseek(int fd, off_t off, int whence) {
  auto of = GetFd(fd);
  std::lock_guard<std::mutex> pg(of->mu);
  int64_t size;
  int hfd;
  bool inl;
  {
    std::lock_guard<std::mutex> g(of->oi->mu);
    size = of->oi->size;
    hfd = of->oi->hostfd;
    inl = of->oi->inl;
  }
  int64_t np;
  switch (whence) {
    case SEEK_SET:
      np = off;
      break;
    case SEEK_CUR:
      if (__builtin_add_overflow(of->pos, static_cast<int64_t>(off), &np)) Fail(EOVERFLOW);
      break;
    case SEEK_END:
      if (__builtin_add_overflow(size, static_cast<int64_t>(off), &np)) Fail(EOVERFLOW);
      break;
    case SEEK_DATA:
    case SEEK_HOLE: {
      if (of->is_dir) Fail(EINVAL);
      if (off < 0 || off >= size) Fail(ENXIO);
      if (inl) {
        np = whence == SEEK_DATA ? off : size;  // an inline file is data throughout
      } else if (whence == SEEK_DATA) {
        if (hfd < 0) Fail(ENXIO);
        off_t r = lseek(hfd, off, SEEK_DATA);
        if (r < 0 || r >= size) Fail(ENXIO);
        np = r;
      } else {
        off_t r = hfd < 0 ? size : lseek(hfd, off, SEEK_HOLE);
        if (r < 0) r = size;
        np = r < size ? r : size;
      }
      break;
    }
    default:
      Fail(EINVAL);
  }
  if (np < 0) Fail(EINVAL);
  of->pos = np;
  return np;
}

void Fs::Flush(int fd) {
  auto of = GetFd(fd);
  if (!mounted_.load()) Fail(ENOTCONN);
  FlushInode(of->oi);
}

void Fs::Fsync(int fd, bool datasync) {
  auto of = GetFd(fd);
  auto oi = of->oi;
  uint64_t gen;
  int hfd;
  {
    std::lock_guard<std::mutex> g(oi->mu);
    gen = oi->write_gen;
    hfd = oi->hostfd;
  }
  if (SyncFailed(oi->ino)) Fail(EIO);
  if (hfd >= 0 && !read_only_ && DataDirGone()) Fail(EIO);  // it would sync a removed file
  if (hfd >= 0 && !read_only_) {
    if ((datasync ? fdatasync(hfd) : fsync(hfd)) != 0) {
      int e = errno;  // EIO, or what the disk says (ENOSPC, EDQUOT, EROFS)
      SetSyncFailed(oi->ino);
      Fail(e);
    }
  }
  if (read_only_) {
    ReadOp([] {});
    return;
  }
  WriteOp([&] {
    durable_next_ = true;
    if (S_ISREG(oi->mode)) CommitOpen(oi, true, gen);
    auto it = unsynced_.find(oi->ino);
    if (it != unsynced_.end()) unsynced_.erase(it);
  });
}

bool Fs::SyncFailed(uint64_t ino) {
  std::lock_guard<std::mutex> g(sync_failed_mu_);
  return !sync_failed_.empty() && sync_failed_.count(ino) != 0;
}

void Fs::SetSyncFailed(uint64_t ino) {
  log_->Log(kError, "data sync of inode %llu failed: its later syncs fail until a remount",
            static_cast<unsigned long long>(ino));
  std::lock_guard<std::mutex> g(sync_failed_mu_);
  sync_failed_.insert(ino);
}

void Fs::Close(int fd) {
  std::shared_ptr<OpenFile> of = open_.TakeFile(fd);
  StoreSection section;
  std::lock_guard<StoreLock> g(mu_);
  if (!mounted_.load() || generation_ != ProcessGeneration()) return;
  auto& oi = of->oi;
  int err = 0;
  bool dirty;
  {
    std::lock_guard<std::mutex> og(oi->mu);
    dirty = oi->dirty;
  }
  if (dirty && !read_only_) {
    try {
      Txn([&] { CommitOpen(oi, false, 0); });
    } catch (const FsError& e) {
      err = e.err;
    }
  }
  if (--oi->nopen == 0) Release(oi);
  if (err != 0) Fail(err);
}

void Fs::ResizeData(Inode& n, int64_t length, std::vector<uint64_t>* held) {
  uint64_t ino = n.ino;
  auto it = open_.inodes.find(ino);
  OpenInode* here = it != open_.inodes.end() ? it->second.get() : nullptr;
  std::string path = DataPath(data_dir_, ino);
  std::string bytes;
  bool inl = store_.db().GetInline(ino, &bytes);
  bool to_inline = false;
  if (!inl && InlineFits(0, static_cast<size_t>(length))) {
    // A data file cut down to what the inline form holds moves back into the
    // store, when no other handle or process has it open: the opener lock
    // taken exclusively (until the commit) keeps new openers waiting.
    bool mine = std::find(held->begin(), held->end(), ino) != held->end();
    if (mine || OfdLock(lockfd_, OpenLockOff(ino), F_WRLCK, false) == 0) {
      if (!mine) held->push_back(ino);
      to_inline = true;
    }
  }
  int64_t alloc = 0;
  if (inl || to_inline) {
    if (to_inline && length > 0) {
      int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 && errno != ENOENT) Fail(errno);
      if (fd >= 0) {
        bytes.resize(static_cast<size_t>(length));
        ssize_t r = FullPread(fd, &bytes[0], bytes.size(), 0);
        close(fd);
        if (r < 0) Fail(static_cast<int>(-r));
        bytes.resize(static_cast<size_t>(r));
      }
    }
    if (static_cast<int64_t>(bytes.size()) > length) bytes.resize(static_cast<size_t>(length));
    store_.db().PutInline(ino, bytes);
    alloc = static_cast<int64_t>(bytes.size());
    if (to_inline) {
      // The data file goes once the commit that stops using it is durable.
      // If it cannot go, the truncate (committed) reports why, and the file
      // is tried again at umount (unless it is the file's data again by
      // then), else by the next mount's recovery.
      durable_next_ = true;
      Post([this, path] {
        if (unlink(path.c_str()) == 0 || errno == ENOENT) return;
        int e = errno;
        leftovers_.push_back(path);
        Fail(e);
      });
      n.dirty = 0;
    }
  } else if (here != nullptr) {
    std::lock_guard<std::mutex> g(here->mu);
    int rc = EnsureHostFd(here);
    if (rc != 0) Fail(-rc);
    if (ftruncate(here->hostfd, length) != 0) Fail(errno);
    alloc = AllocatedBytes(here->hostfd);
    n.dirty = 1;
  } else if (length == 0) {
    if (truncate(path.c_str(), 0) != 0 && errno != ENOENT) Fail(errno);
    n.dirty = 1;
  } else {
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) Fail(errno);
    if (ftruncate(fd, length) != 0) {
      int e = errno;
      close(fd);
      Fail(e);
    }
    alloc = AllocatedBytes(fd);
    close(fd);
    n.dirty = 1;
  }
  store_.db().AddUsage(0, alloc - n.alloc);
  n.size = length;
  n.alloc = alloc;
  if (here != nullptr) {
    std::lock_guard<std::mutex> g(here->mu);
    if (to_inline) {
      LoadInline(here, bytes);
      here->unsynced = false;
    } else if (here->inl) {
      if (static_cast<int64_t>(here->data.size()) > length)
        here->data.resize(static_cast<size_t>(length));
      auto& rs = here->ranges;
      for (auto& r : rs) r.end = std::min(r.end, length);
      rs.erase(std::remove_if(rs.begin(), rs.end(),
                              [](const OpenInode::Range& r) { return r.end <= r.start; }),
               rs.end());
    }
    here->size = length;
    here->mtime = n.mtime;
    here->ctime = n.ctime;
    here->dirty = here->inl && !here->ranges.empty();
    here->marked = n.dirty != 0;
    here->write_gen++;
  }
}

void Fs::RestoreOpenLocks(const std::vector<uint64_t>& held) {
  for (uint64_t ino : held)
    OfdLock(lockfd_, OpenLockOff(ino), open_.inodes.count(ino) ? F_RDLCK : F_UNLCK, false);
}

void Fs::Truncate(const char* path, int fd, off_t length) {
  std::shared_ptr<OpenFile> of;
  if (path == nullptr) {
    of = GetFd(fd);
    if (read_only_) Fail(EROFS);  // a read-only mount refuses every change first
    if (!of->writable || of->is_dir) Fail(EINVAL);
  }
  if (length < 0) Fail(EINVAL);
  if (length > kMaxFileSize) Fail(EFBIG);
  OpenLockRestore restore{this, {}};
  WriteOp([&] {
    Cred c = Cred::Current();
    uint64_t ino = of ? of->ino : ResolveIno(path, true, c);
    Inode n = store_.Get(ino);
    if (S_ISDIR(n.mode)) Fail(EISDIR);
    if (!S_ISREG(n.mode)) Fail(EINVAL);
    if (!of) CheckAccess(n, W_OK, c);
    if (n.flags & (FS_IMMUTABLE_FL | FS_APPEND_FL)) Fail(EPERM);
    n.mtime = n.ctime = NowNs();
    ResizeData(n, length, &restore.held);
    if (!c.root()) {
      n.mode &= ~S_ISUID;
      if (n.mode & S_IXGRP) n.mode &= ~S_ISGID;
    }
    PutInode(n);
    Remember(ino);
  }, true);
  restore.done = true;
}

ssize_t Fs::CopyFileRange(int fd_in, off_t* off_in, int fd_out, off_t* off_out, size_t len) {
  auto in = GetFd(fd_in);
  auto out = GetFd(fd_out);
  if (in->is_dir || out->is_dir) Fail(EISDIR);
  if (!in->readable || !out->writable || out->append) Fail(EBADF);
  int64_t ipos, opos;
  {
    std::lock_guard<std::mutex> g(in->mu);
    ipos = off_in ? *off_in : in->pos;
  }
  if (in.get() == out.get()) {
    opos = off_out ? *off_out : ipos;
  } else {
    std::lock_guard<std::mutex> g(out->mu);
    opos = off_out ? *off_out : out->pos;
  }
  if (ipos < 0 || opos < 0) Fail(EINVAL);
  if (in->ino == out->ino && len > 0) {
    int64_t l = static_cast<int64_t>(len);
    if (ipos < opos + l && opos < ipos + l) Fail(EINVAL);
  }
  std::vector<char> buf(len < (1u << 20) ? (len == 0 ? 1 : len) : (1u << 20));
  size_t done = 0;
  while (done < len) {
    size_t chunk = len - done < buf.size() ? len - done : buf.size();
    ssize_t r = Read(fd_in, buf.data(), chunk, ipos + done, false);
    if (r <= 0) break;
    ssize_t w = Write(fd_out, buf.data(), r, opos + done, false);
    done += w;
    if (w < r) break;
  }
  if (off_in) {
    *off_in = ipos + done;
  } else {
    std::lock_guard<std::mutex> g(in->mu);
    in->pos = ipos + done;
  }
  if (off_out) {
    *off_out = opos + done;
  } else {
    std::lock_guard<std::mutex> g(out->mu);
    out->pos = opos + done;
  }
  return static_cast<ssize_t>(done);
}

void Fs::Flock(int fd, int op) {
  auto of = GetFd(fd);
  int base = op & ~LOCK_NB;
  if (base != LOCK_SH && base != LOCK_EX && base != LOCK_UN) Fail(EINVAL);
  if (!mounted_.load()) Fail(ENOTCONN);
  int lfd;
  {
    std::lock_guard<std::mutex> g(of->mu);
    if (of->lockfd < 0) {
      std::string p = addr_.meta_dir() + "/lock";
      of->lockfd = open(p.c_str(), O_RDWR | O_CLOEXEC);
      if (of->lockfd < 0) Fail(errno);
    }
    lfd = of->lockfd;
  }
  short type = base == LOCK_SH ? F_RDLCK : (base == LOCK_EX ? F_WRLCK : F_UNLCK);
  for (;;) {
    int rc = OfdLock(lfd, FlockOff(of->ino), type, !(op & LOCK_NB) && type != F_UNLCK);
    if (rc == -EINTR) continue;
    if (rc != 0) Fail(-rc);
    return;
  }
}

void Fs::Fallocate(int fd, int mode, off_t offset, off_t len) {
  auto of = GetFd(fd);
  if (read_only_) Fail(EROFS);
  if (offset < 0 || len <= 0) Fail(EINVAL);
  bool keep = mode & FALLOC_FL_KEEP_SIZE;
  bool punch = mode & FALLOC_FL_PUNCH_HOLE;
  if (mode != 0 && mode != FALLOC_FL_KEEP_SIZE &&
      mode != (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE))
    Fail(EOPNOTSUPP);
  if (!of->writable) Fail(EBADF);
  if (of->is_dir) Fail(EISDIR);
  if (read_only_) Fail(EROFS);
  auto& oi = of->oi;
  uint32_t iflags;
  bool marked;
  {
    std::lock_guard<std::mutex> g(oi->mu);
    iflags = oi->flags;
    marked = oi->marked;
  }
  if (iflags & FS_IMMUTABLE_FL) Fail(EPERM);
  if ((iflags & FS_APPEND_FL) && punch) Fail(EPERM);
  if (offset > kMaxFileSize - len) Fail(EFBIG);
  bool inl;
  {
    std::lock_guard<std::mutex> g(oi->mu);
    inl = oi->inl;
  }
  if (inl) {
    MigrateOut(oi);  // allocation is a property of data files
    std::lock_guard<std::mutex> g(oi->mu);
    marked = oi->marked;
  }
  if (!marked) MarkDirty(oi);
  std::lock_guard<std::mutex> g(oi->mu);
  if (oi->inl) Fail(EAGAIN);
  int rc = EnsureHostFd(oi.get());
  if (rc != 0) Fail(-rc);
  if (!punch && capacity_ > 0) {
    int64_t cur = AllocatedBytes(oi->hostfd);
    if (committed_used_.load() + pending_growth_.load() + len > capacity_ + cur) Fail(ENOSPC);
  }
  if (!oi->unsynced) {
    struct stat st;
    oi->unsynced = true;
    oi->synced_size = fstat(oi->hostfd, &st) == 0 ? st.st_size : 0;
  }
  if (fallocate(oi->hostfd, mode, offset, len) != 0) Fail(errno);
  int64_t now = NowNs();
  if (!keep && offset + len > oi->size) oi->size = offset + len;
  if (punch) oi->mtime = now;
  oi->ctime = now;
  oi->dirty = true;
  oi->write_gen++;
}

void Fs::Flusher() {
  BgStarted();
  for (;;) {
    {
      std::unique_lock<std::mutex> lk(bg_->flush_mu);
      bg_->flush_cv.wait_for(lk, std::chrono::milliseconds(opts_.flush_interval_ms),
                         [this] { return stop_; });
      if (stop_) return;
    }
    std::vector<std::shared_ptr<OpenInode>> dirty;
    {
      std::lock_guard<StoreLock> g(mu_);
      if (!mounted_.load()) return;
      for (auto& kv : open_.inodes) {
        std::lock_guard<std::mutex> og(kv.second->mu);
        if (kv.second->dirty) dirty.push_back(kv.second);
      }
    }
    for (auto& oi : dirty) {
      try {
        FlushInode(oi);
      } catch (const FsError& e) {
        if (e.err != ENOTCONN) log_->Log(kWarning, "periodic flush failed: %s", strerror(e.err));
      } catch (...) {
      }
    }
  }
}

}  // namespace dingofs

// Mount, recovery and umount of a local filesystem.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "data.h"
#include "fs.h"

namespace dingofs {

Fs::~Fs() {
  if (generation_ != ProcessGeneration()) {
    Abandon();
    return;
  }
  Umount();
}

void Fs::Abandon() {
  // Forked child: the connection, files and thread belong to the parent.
  db_.Leak();
  lockfd_ = probefd_ = -1;
  if (flusher_.joinable()) flusher_.detach();
  mounted_ = false;
}

int Fs::Mount(const Address& addr, const GlobalOptions& opts, std::shared_ptr<Logger> log,
              std::string* why) {
  addr_ = addr;
  opts_ = opts;
  log_ = std::move(log);
  generation_ = ProcessGeneration();
  read_only_ = addr.read_only;
  const char* fault = getenv("DINGOFS_TEST_FAULT");
  fault_drop_unsynced_ = fault != nullptr && strcmp(fault, "drop_unsynced") == 0;
  std::string meta_dir = addr.meta_dir();
  std::string dbfile = meta_dir + "/meta.db";
  bool exists = access(dbfile.c_str(), F_OK) == 0;
  if (!exists && (!addr.create || addr.read_only)) {
    *why = "no filesystem " + addr.name + " under " + addr.base;
    return -ENOENT;
  }
  int rc = MakeDirs(meta_dir);
  if (rc != 0) {
    *why = "cannot create " + meta_dir;
    return rc;
  }
  std::string lockfile = meta_dir + "/lock";
  lockfd_ = open(lockfile.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  probefd_ = lockfd_ >= 0 ? open(lockfile.c_str(), O_RDWR | O_CLOEXEC) : -1;
  if (lockfd_ < 0 || probefd_ < 0) {
    rc = -errno;
    *why = "cannot open " + lockfile;
    return rc;
  }
  bool alone = OfdLock(lockfd_, kMountLockOff, F_WRLCK, false) == 0;
  if (!alone) {
    rc = OfdLock(lockfd_, kMountLockOff, F_RDLCK, true);
    if (rc != 0) return rc;
  }
  rc = db_.Open(dbfile, false, opts_.meta_sync_full, log_.get());
  if (rc != 0) {
    *why = "cannot open the metadata store";
    return rc;
  }
  std::string data_dir = addr.data_dir.empty() ? addr.default_data_dir() : addr.data_dir;
  try {
    db_.SetDeadline(MonoMs() + opts_.meta_timeout_ms);
    rc = db_.InitSchema(addr.create && !addr.read_only, addr.capacity, addr.inodes, data_dir, why);
    if (rc != 0) return rc;
    data_dir_ = db_.GetMeta("data_dir", addr.default_data_dir());
    if (!addr.data_dir.empty() && addr.data_dir != data_dir_) {
      *why = "path=" + addr.data_dir + " differs from the data directory " + data_dir_ +
             " recorded at creation";
      return -EINVAL;
    }
    capacity_ = atoll(db_.GetMeta("capacity", "0").c_str());
    inode_limit_ = atoll(db_.GetMeta("inodes", "0").c_str());
    if (!read_only_) {
      rc = PrepareDataDir(data_dir_);
      if (rc != 0) {
        *why = "cannot prepare data directory " + data_dir_;
        return rc;
      }
    }
    std::lock_guard<std::mutex> g(mu_);
    if (alone && !read_only_) Recover();
    if (!read_only_) {
      Txn([&] { db_.SetMeta("clean", "0"); });
    }
    committed_used_ = db_.GetUsage().used_bytes;
  } catch (const FsError& e) {
    *why = std::string("metadata store: ") + strerror(e.err);
    return -e.err;
  }
  if (alone) OfdLock(lockfd_, kMountLockOff, F_RDLCK, false);
  mounted_ = true;
  if (!read_only_) flusher_ = std::thread([this] { Flusher(); });
  log_->Log(kInfo, "mounted %s (meta %s, data %s%s)", addr.name.c_str(), meta_dir.c_str(),
            data_dir_.c_str(), read_only_ ? ", read-only" : "");
  return 0;
}

// Runs with mu_ held when no other process has the filesystem mounted.
void Fs::Recover() {
  Txn([&] {
    bool clean = db_.GetMeta("clean", "1") == "1";
    int64_t fixed = 0;
    for (uint64_t ino : db_.DirtyInodes()) {
      Inode n;
      if (!db_.GetInode(ino, &n)) continue;
      if (S_ISREG(n.mode)) {
        std::string path = DataPath(data_dir_, ino);
        struct stat st;
        int64_t real = stat(path.c_str(), &st) == 0 ? st.st_size : 0;
        int64_t ns = n.size < real ? n.size : real;
        if (ns != n.size) fixed++;
        if (real > ns && truncate(path.c_str(), ns) != 0) Fail(errno);
        int64_t alloc = stat(path.c_str(), &st) == 0 ? int64_t{st.st_blocks} * 512 : 0;
        db_.AddUsage(0, alloc - n.alloc);
        n.size = ns;
        n.alloc = alloc;
      }
      n.dirty = 0;
      db_.UpdateInode(n);
    }
    int64_t reclaimed = 0;
    for (uint64_t ino : db_.Orphans()) {
      Inode n;
      if (!db_.GetInode(ino, &n)) {
        db_.DelOrphan(ino);
        continue;
      }
      if (n.nlink != 0) {
        db_.DelOrphan(ino);
        continue;
      }
      if (TryReclaim(ino)) reclaimed++;
    }
    if (!clean) {
      sqlite3_stmt* s = db_.Prep("SELECT count(*), coalesce(sum(alloc),0), max(ino) FROM inodes");
      int64_t cnt = 0, bytes = 0, maxino = 1;
      if (db_.Step(s) == SQLITE_ROW) {
        cnt = sqlite3_column_int64(s, 0);
        bytes = sqlite3_column_int64(s, 1);
        maxino = sqlite3_column_int64(s, 2);
      }
      sqlite3_reset(s);
      db_.SetUsage(cnt, bytes);
      sqlite3_stmt* u = db_.Prep("UPDATE counters SET next_ino=max(next_ino, ?) WHERE id=1");
      sqlite3_bind_int64(u, 1, maxino + 1);
      db_.Step(u);
      sqlite3_reset(u);
      log_->Log(kWarning, "unclean shutdown detected: counters rebuilt");
    }
    if (fixed || reclaimed)
      log_->Log(kWarning, "recovery: %lld sizes clamped, %lld orphans reclaimed",
                static_cast<long long>(fixed), static_cast<long long>(reclaimed));
    durable_next_ = true;
  });
}

void Fs::CloseAll() {
  std::vector<std::shared_ptr<OpenFile>> files;
  {
    std::lock_guard<std::mutex> g(fd_mu_);
    for (auto& kv : fds_) files.push_back(kv.second);
    fds_.clear();
    dirs_.clear();
  }
  for (auto& of : files) {
    auto& oi = of->oi;
    bool dirty;
    {
      std::lock_guard<std::mutex> og(oi->mu);
      dirty = oi->dirty;
    }
    if (dirty && !read_only_) {
      try {
        Txn([&] { CommitOpen(oi, false, 0); });
      } catch (const FsError& e) {
        log_->Log(kError, "umount: cannot commit inode %llu: %s",
                  static_cast<unsigned long long>(oi->ino), strerror(e.err));
      }
    }
    if (--oi->nopen == 0) Release(oi);
  }
}

void Fs::DurableUmount() {
  if (read_only_) return;
  std::vector<std::pair<uint64_t, int64_t>> list(unsynced_.begin(), unsynced_.end());
  unsynced_.clear();
  if (fault_drop_unsynced_) {
    // Test seam: behave as if the power failed now. Metadata reaches the disk
    // still marked dirty; file data past the last fdatasync is dropped.
    try {
      Txn([&] { durable_next_ = true; });
    } catch (...) {
    }
    for (auto& p : list) {
      std::string path = DataPath(data_dir_, p.first);
      struct stat st;
      if (stat(path.c_str(), &st) == 0 && st.st_size > p.second) {
        if (truncate(path.c_str(), p.second) != 0)
          log_->Log(kError, "fault seam: cannot truncate %s", path.c_str());
      }
    }
    return;
  }
  std::vector<uint64_t> synced;
  for (auto& p : list) {
    std::string path = DataPath(data_dir_, p.first);
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) synced.push_back(p.first);
      continue;
    }
    if (fdatasync(fd) == 0) synced.push_back(p.first);
    close(fd);
  }
  try {
    Txn([&] {
      for (uint64_t ino : synced) {
        Inode n;
        if (!db_.GetInode(ino, &n) || !S_ISREG(n.mode)) continue;
        std::string path = DataPath(data_dir_, ino);
        struct stat st;
        int64_t real = stat(path.c_str(), &st) == 0 ? st.st_size : 0;
        if (real >= n.size) db_.SetDirty(ino, 0);
      }
      durable_next_ = true;
    });
  } catch (const FsError& e) {
    log_->Log(kError, "umount: final commit failed: %s", strerror(e.err));
  }
}

int Fs::Umount() {
  if (generation_ != ProcessGeneration()) return -ENOTCONN;
  {
    std::lock_guard<std::mutex> g(flush_mu_);
    stop_ = true;
  }
  flush_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  std::lock_guard<std::mutex> g(mu_);
  if (!mounted_.load()) {
    if (db_.is_open()) db_.Close();
    if (lockfd_ >= 0) close(lockfd_);
    if (probefd_ >= 0) close(probefd_);
    lockfd_ = probefd_ = -1;
    return -ENOTCONN;
  }
  mounted_ = false;
  CloseAll();
  DurableUmount();
  // Last one out: reclaim what crashed openers left and mark the shutdown clean.
  OfdLock(lockfd_, kMountLockOff, F_UNLCK, false);
  if (!read_only_ && OfdLock(probefd_, kMountLockOff, F_WRLCK, false) == 0) {
    try {
      Txn([&] {
        for (uint64_t ino : db_.Orphans()) TryReclaim(ino);
        db_.SetMeta("clean", "1");
        durable_next_ = true;
      });
      db_.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch (const FsError& e) {
      log_->Log(kWarning, "umount: final cleanup failed: %s", strerror(e.err));
    }
    OfdLock(probefd_, kMountLockOff, F_UNLCK, false);
  }
  db_.Close();
  close(lockfd_);
  close(probefd_);
  lockfd_ = probefd_ = -1;
  log_->Log(kInfo, "unmounted %s", addr_.name.c_str());
  return 0;
}

}  // namespace dingofs

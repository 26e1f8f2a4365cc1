// Mount, recovery and umount of a local filesystem.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdlib>
#include <algorithm>
#include <cstring>

#include "data.h"
#include "fs.h"
#include "powerloss.h"

namespace dingofs {

namespace {
constexpr int64_t kReserveMin = 512 << 10;
constexpr int64_t kReserveMax = 16 << 20;
constexpr int kShrinkEvery = 32;
constexpr int64_t kShrinkAbove = 2048;  // pages (1 KiB on stores made by this version)
constexpr int64_t kShrinkKeep = 512;    // kept for the store's own reuse
// Free pages scattered between rows (removed inline files leave them) are
// given back by moving pages from the end of the store into them, which
// costs more than their reuse by the next files: a store keeps up to an
// eighth of its pages free (at most kShrinkAboveMax) until the disk is full.
constexpr int64_t kShrinkAboveMax = 65536;
}  // namespace

Fs::~Fs() {
  if (generation_ != ProcessGeneration()) {
    Abandon();
    return;
  }
  Umount();
}

void Fs::Abandon() {
  // Forked child: the connection, files and threads belong to the parent.
  store_.db().Leak();
  ckpt_db_.Leak();
  lockfd_ = probefd_ = reserve_fd_ = datadir_fd_ = -1;
  if (flusher_.joinable()) flusher_.detach();
  if (ckpt_.joinable()) ckpt_.detach();
  (void)bg_.release();  // deliberately leaked, see BgSync
  mounted_ = false;
}

// The first page of the lock file holds the shared change sequence (the byte
// locks live far beyond it and do not care about the file's contents).
void Fs::MapSequence() {
  constexpr off_t kPage = 4096;
  struct stat st;
  if (fstat(lockfd_, &st) != 0) return;
  if (st.st_size < kPage && ftruncate(lockfd_, kPage) != 0) return;
  void* p = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, lockfd_, 0);
  if (p == MAP_FAILED) return;  // caches are then validated through the store
  seq_map_ = static_cast<uint64_t*>(p);
  store_.AttachSequence(seq_map_);
}

void Fs::CloseLockFiles() {
  store_.AttachSequence(nullptr);
  if (seq_map_ != nullptr) munmap(seq_map_, 4096);
  seq_map_ = nullptr;
  if (lockfd_ >= 0) close(lockfd_);
  if (probefd_ >= 0) close(probefd_);
  if (reserve_fd_ >= 0) close(reserve_fd_);
  if (datadir_fd_ >= 0) close(datadir_fd_);
  lockfd_ = probefd_ = reserve_fd_ = datadir_fd_ = -1;
}

bool Fs::DataDirGone() {
  struct stat st;
  if (datadir_fd_ < 0 || fstat(datadir_fd_, &st) != 0 || st.st_nlink != 0) return false;
  log_->Log(kError, "the data directory %s was removed while mounted", data_dir_.c_str());
  return true;
}

void Fs::OpenReserve() {
  std::string path = addr_.meta_dir() + "/reserve";
  reserve_fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (reserve_fd_ < 0) {
    log_->Log(kWarning, "no space reserve (%s: %s): removals may fail on a full disk",
              path.c_str(), strerror(errno));
    return;
  }
  // 1/32 of the disk, at least 512 KiB and at most 16 MiB: room for the
  // store's journal to take a run of removals on a full disk, and for the
  // database to take in what the journal holds.
  struct statvfs sv;
  int64_t disk = fstatvfs(reserve_fd_, &sv) == 0
                     ? static_cast<int64_t>(sv.f_blocks) * static_cast<int64_t>(sv.f_frsize)
                     : 0;
  reserve_size_ = disk / 32;
  if (reserve_size_ < kReserveMin) reserve_size_ = kReserveMin;
  if (reserve_size_ > kReserveMax) reserve_size_ = kReserveMax;
  // The journal is copied back before it outgrows half the reserve: on a
  // full disk the reserve's room is then enough for the database to take in
  // what the journal holds, so a removal can always go through.
  ckpt_catch_up_frames_ = static_cast<int>(reserve_size_ / 8192);
  RefillReserve();
}

bool Fs::ReleaseReserve() {
  if (reserve_fd_ < 0) return false;
  struct stat st;
  if (fstat(reserve_fd_, &st) != 0 || st.st_blocks == 0) return false;
  if (ftruncate(reserve_fd_, 0) != 0) return false;
  log_->Log(kWarning, "disk full: the space reserve is used for a change that frees space");
  reserve_short_ = true;
  return true;
}

void Fs::AfterFreeing() noexcept {
  if (reserve_fd_ < 0 || !store_.db().is_open() || store_.db().in_txn()) return;
  // The journal only starts over once everything in it is in the database,
  // and the database may have to grow for that: the space the change freed
  // goes to that first. The reserve is taken back once the journal can start
  // over (until then, further removals keep adding to the free space).
  if (store_.db().CheckpointPassive() == 0) {
    RefillReserve();
  } else {
    reserve_short_ = true;
  }
}

void Fs::ReclaimLeanOrphans() noexcept {
  std::vector<uint64_t> list;
  list.swap(lean_orphans_);
  list.insert(list.end(), orphans_later_.begin(), orphans_later_.end());
  orphans_later_.clear();
  lean_reclaiming_ = true;
  for (uint64_t ino : list) {
    try {
      // A few xattrs per transaction; after each, the pages they held go back
      // to the disk and the journal starts over, so the next one has room.
      while (Txn([&] { return store_.db().DelSomeXattrs(ino, 8); }, true)) {
        MaybeShrink(true);
        AfterFreeing();
      }
      Txn([&] { TryReclaim(ino); }, true);
    } catch (const FsError& e) {
      // Still an orphan: tried again after the next change that frees space,
      // and at the last unmount or the next mount at the latest.
      orphans_later_.push_back(ino);
      log_->Log(kWarning, "cannot reclaim inode %llu now: %s",
                static_cast<unsigned long long>(ino), strerror(e.err));
    } catch (...) {
      orphans_later_.push_back(ino);
    }
  }
  lean_reclaiming_ = false;
}

void Fs::MaybeShrink(bool now) noexcept {
  if (shrinking_ || read_only_ || !store_.db().is_open() || store_.db().in_txn()) return;
  if (!now && ++frees_unchecked_ < kShrinkEvery) return;
  frees_unchecked_ = 0;
  shrinking_ = true;
  try {
    int64_t free = store_.db().FreePages();
    int64_t above = std::min(kShrinkAboveMax, std::max(kShrinkAbove, store_.db().PageCount() / 8));
    int64_t keep = now ? kShrinkKeep : above / 2;
    if (free > (now ? kShrinkKeep : above)) {
      while (free > keep) {
        Txn([&] { store_.db().IncrementalVacuum(); }, true);
        int64_t left = store_.db().FreePages();
        if (left >= free) break;  // a store without incremental vacuum
        free = left;
      }
      AfterFreeing();  // the file shrinks when the journal is copied back
    }
  } catch (const FsError& e) {
    log_->Log(kWarning, "cannot give free store pages back now: %s", strerror(e.err));
  } catch (...) {
  }
  shrinking_ = false;
}

void Fs::RefillReserve() {
  if (reserve_fd_ < 0) return;
  // All of it if the disk allows, else as much as it allows (a removal that
  // freed nothing leaves the reserve smaller by what its journal took).
  for (int64_t want = reserve_size_; want >= 4096; want /= 2) {
    if (fallocate(reserve_fd_, 0, 0, want) == 0) {
      reserve_short_ = want < reserve_size_;
      return;
    }
    if (errno == EOPNOTSUPP) {
      // No fallocate on this filesystem: write the blocks.
      static const char zeros[65536] = {};
      int64_t off = 0;
      while (off < reserve_size_) {
        int64_t n = reserve_size_ - off < static_cast<int64_t>(sizeof zeros)
                        ? reserve_size_ - off
                        : static_cast<int64_t>(sizeof zeros);
        if (FullPwrite(reserve_fd_, zeros, static_cast<size_t>(n), off) != n) break;
        off += n;
      }
      reserve_short_ = off < reserve_size_;
      return;
    }
    if (errno != ENOSPC && errno != EDQUOT) break;
  }
  reserve_short_ = true;
}

void Fs::RequestCheckpoint() {
  {
    std::lock_guard<std::mutex> g(bg_->ckpt_mu);
    ckpt_req_ = true;
  }
  bg_->ckpt_cv.notify_one();
}

void Fs::BgStarted() {
  std::lock_guard<std::mutex> g(bg_->start_mu);
  bg_->started++;
  bg_->start_cv.notify_all();
}

// Copies the WAL back into the database off the callers' path, with its own
// connection (PASSIVE: never waits for readers or writers). The connection is
// opened at mount and closed at umount, so a mounted handle holds the same
// host descriptors for its whole life.
void Fs::Checkpointer() {
  BgStarted();
  for (;;) {
    {
      std::unique_lock<std::mutex> lk(bg_->ckpt_mu);
      bg_->ckpt_cv.wait(lk, [this] { return ckpt_req_ || ckpt_stop_; });
      if (ckpt_stop_) break;
      ckpt_req_ = false;
    }
    StoreSection section;
    ckpt_busy_ = true;
    if (ckpt_db_.CheckpointPassive() < 0) log_->Log(kInfo, "background checkpoint incomplete");
    ckpt_busy_ = false;
  }
}

namespace {

// Filesystems on which SQLite's WAL (POSIX record locks plus a shared memory
// mapping of the -shm file) is not reliable across processes or hosts.
// dir, or its nearest existing ancestor (a data directory not made yet).
const char* UnsafeFsType(std::string dir) {
  struct statfs st;
  while (statfs(dir.c_str(), &st) != 0) {
    size_t slash = dir.find_last_of('/');
    if (errno != ENOENT || slash == std::string::npos || dir.size() <= 1) return nullptr;
    dir = slash == 0 ? "/" : dir.substr(0, slash);
  }
  switch (static_cast<unsigned long>(st.f_type)) {
    case 0x6969: return "nfs";
    case 0x65735546: return "fuse";
    case 0x517b: return "smbfs";
    case 0xfe534d42: return "smb2";
    case 0xff534d42: return "cifs";
    case 0x01021997: return "9p";
    case 0x00c36400: return "ceph";
    case 0x0bd00bd0: return "lustre";
    case 0x01161970: return "gfs2";
    case 0x6b414653: return "afs";
    case 0x5346414f: return "openafs";
    case 0x47504653: return "gpfs";
    case 0x7461636f: return "ocfs2";
    default: return nullptr;
  }
}

}  // namespace

int Fs::Mount(const Address& addr, const GlobalOptions& opts, std::shared_ptr<Logger> log,
              std::string* why) {
  StoreSection section;
  addr_ = addr;
  opts_ = opts;
  log_ = std::move(log);
  generation_ = ProcessGeneration();
  read_only_ = addr.read_only;
  const char* fault = getenv("DINGOFS_TEST_FAULT");
  fault_drop_unsynced_ = fault != nullptr && strcmp(fault, "drop_unsynced") == 0;
  // Test seam: DINGOFS_TEST_FORMAT=1 makes this handle behave like a library
  // of format 1 (the tests of the format upgrade play an older process).
  const char* tf = getenv("DINGOFS_TEST_FORMAT");
  lib_format_ = tf != nullptr && atoi(tf) >= 1 && atoi(tf) < kFormatVersion ? atoi(tf)
                                                                             : kFormatVersion;
  std::string meta_dir = addr.meta_dir();
  std::string dbfile = meta_dir + "/meta.db";
  bool exists = access(dbfile.c_str(), F_OK) == 0;
  if (!exists && (!addr.create || addr.read_only)) {
    *why = "no filesystem " + addr.name + " under " + addr.base;
    return -ENOENT;
  }
  if (!exists) {
    // A data directory with data files but no store: the store was removed
    // or moved, and a new empty filesystem would silently hide that data.
    std::string dd = addr.data_dir.empty() ? addr.default_data_dir() : addr.data_dir;
    if (HasDataFiles(dd)) {
      *why = "the data directory " + dd + " holds data files but there is no metadata store " +
             dbfile + " (removed or moved?): restore it, or remove the data directory to start "
             "afresh";
      return -EEXIST;
    }
  }
  int rc = MakeDirs(meta_dir);
  if (rc != 0) {
    *why = "cannot create " + meta_dir;
    return rc;
  }
  if (!addr.unsafe_fs) {
    // The data files carry the openers' locks, so their directory counts too.
    std::string data_dir = addr.data_dir.empty() ? addr.default_data_dir() : addr.data_dir;
    for (const std::string& dir : {meta_dir, data_dir}) {
      const char* type = UnsafeFsType(dir);
      if (type != nullptr) {
        *why = "the filesystem holding " + dir + " is " + type +
               ", where the metadata store's locks and shared memory are not reliable; "
               "use a local disk, or add unsafe_fs=1 to the address to mount anyway";
        log_->Log(kError, "%s", why->c_str());
        return -ENOLCK;
      }
    }
  }
  std::string lockfile = meta_dir + "/lock";
  int lockmode = O_RDWR;
  lockfd_ = open(lockfile.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lockfd_ < 0 && read_only_ && (errno == EROFS || errno == EACCES)) {
    // Read-only media (or no write permission): shared locks need only read
    // access; the exclusive probes then fail, as if someone else had it mounted.
    lockmode = O_RDONLY;
    lockfd_ = open(lockfile.c_str(), O_RDONLY | O_CLOEXEC);
  }
  probefd_ = lockfd_ >= 0 ? open(lockfile.c_str(), lockmode | O_CLOEXEC) : -1;
  if (lockfd_ < 0 || probefd_ < 0) {
    rc = -errno;
    *why = "cannot open " + lockfile;
    if (rc == -EROFS) *why += ": the filesystem holding it is read-only (mount with ro=1)";
    return rc;
  }
  MapSequence();
  bool alone = OfdLock(lockfd_, kMountLockOff, F_WRLCK, false) == 0;
  if (!alone) {
    rc = OfdLock(lockfd_, kMountLockOff, F_RDLCK, true);
    if (rc != 0) return rc;
  }
  // The power-loss seam records what each write of the store replaced (see
  // powerloss.h), so that umount can drop what no sync covered.
  const char* vfs = fault_drop_unsynced_ ? PowerLossVfs() : nullptr;
  if (fault_drop_unsynced_ && vfs == nullptr) {
    *why = "the power-loss test seam cannot register its SQLite VFS";
    return -EIO;
  }
  rc = store_.db().Open(dbfile, read_only_, opts_.meta_sync_full, log_.get(), vfs);
  if (rc != 0) {
    *why = "cannot open the metadata store";
    return rc;
  }
  if (!read_only_) OpenReserve();  // before the first change: the disk may be full
  std::string data_dir = addr.data_dir.empty() ? addr.default_data_dir() : addr.data_dir;
  try {
    store_.db().SetDeadline(MonoMs() + opts_.meta_timeout_ms);
    rc = store_.db().InitSchema(addr.create && !addr.read_only, addr.capacity, addr.inodes,
                                data_dir, lib_format_, alone && !read_only_, why);
    if (rc != 0) return rc;
    data_dir_ = store_.db().GetMeta("data_dir", addr.default_data_dir());
    if (!addr.data_dir.empty() && addr.data_dir != data_dir_) {
      *why = "path=" + addr.data_dir + " differs from the data directory " + data_dir_ +
             " recorded at creation";
      return -EINVAL;
    }
    capacity_ = atoll(store_.db().GetMeta("capacity", "0").c_str());
    inline_max_ = store_.db().format() >= 2 && !read_only_ ? opts_.inline_max : 0;
    store_.SetLimits(opts_.meta_cache_entries,
                     atoll(store_.db().GetMeta("inodes", "0").c_str()));
    struct stat dst;
    if (exists && stat(data_dir_.c_str(), &dst) != 0 && errno == ENOENT &&
        store_.db().HasFileData()) {
      *why = "the data directory " + data_dir_ + " is missing, but the metadata store " +
             dbfile + " has files with data in it (removed or moved?)";
      log_->Log(kError, "%s", why->c_str());
      return -EIO;
    }
    if (!read_only_) {
      rc = PrepareDataDir(data_dir_);
      if (rc != 0) {
        *why = "cannot prepare data directory " + data_dir_;
        return rc;
      }
    }
    // Held to notice the data directory being removed while mounted.
    datadir_fd_ = open(data_dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    std::lock_guard<StoreLock> g(mu_);
    if (alone && !read_only_) Recover();
    if (!read_only_) {
      // "mounts" counts writable mounts that have not unmounted: one left
      // over at the last umount means a process died while mounted.
      Txn([&] {
        store_.db().SetMeta("clean", "0");
        int64_t m = alone ? 0 : atoll(store_.db().GetMeta("mounts", "0").c_str());
        store_.db().SetMeta("mounts", std::to_string(m + 1));
      }, true);  // a full disk must not keep anyone from mounting to free space
    }
    committed_used_ = store_.db().GetUsage().used_bytes;
    if (!read_only_) MaybeShrink(true);  // free pages an earlier session could not give back
  } catch (const FsError& e) {
    *why = std::string("metadata store: ") + strerror(e.err);
    return -e.err;
  }
  if (!read_only_) {
    // The checkpointer's connection is opened now, not at its first use:
    // the handle's descriptors must not change while it is in use.
    rc = ckpt_db_.Open(dbfile, false, opts_.meta_sync_full, nullptr, vfs);
    ckpt_db_.ShareSyncState(store_.db());
    if (rc != 0) {
      *why = "cannot open the metadata store (checkpoint connection)";
      return rc;
    }
  }
  if (alone) OfdLock(lockfd_, kMountLockOff, F_RDLCK, false);
  mounted_ = true;
  if (!read_only_) {
    flusher_ = std::thread([this] { Flusher(); });
    ckpt_ = std::thread([this] { Checkpointer(); });
    std::unique_lock<std::mutex> lk(bg_->start_mu);
    bg_->start_cv.wait(lk, [this] { return bg_->started == 2; });
  }
  log_->Log(kInfo, "mounted %s (meta %s, data %s%s)", addr.name.c_str(), meta_dir.c_str(),
            data_dir_.c_str(), read_only_ ? ", read-only" : "");
  return 0;
}

bool Fs::DataFileInUse(uint64_t ino) {
  Inode n;
  std::string bytes;
  return store_.db().GetInode(ino, &n) && S_ISREG(n.mode) && !store_.db().GetInline(ino, &bytes);
}

// Runs with mu_ held when no other process has the filesystem mounted.
void Fs::Recover() {
  Txn([&] {
    bool clean = store_.db().GetMeta("clean", "1") == "1";
    int64_t fixed = 0;
    for (uint64_t ino : store_.db().DirtyInodes()) {
      Inode n;
      if (!store_.db().GetInode(ino, &n)) continue;
      std::string bytes;
      if (S_ISREG(n.mode) && !store_.db().GetInline(ino, &bytes)) {
        std::string path = DataPath(data_dir_, ino);
        struct stat st;
        int64_t real = stat(path.c_str(), &st) == 0 ? st.st_size : 0;
        int64_t ns = n.size < real ? n.size : real;
        if (ns != n.size) fixed++;
        if (real > ns && truncate(path.c_str(), ns) != 0) Fail(errno);
        int64_t alloc = stat(path.c_str(), &st) == 0 ? int64_t{st.st_blocks} * 512 : 0;
        store_.db().AddUsage(0, alloc - n.alloc);
        n.size = ns;
        n.alloc = alloc;
      }
      n.dirty = 0;
      store_.db().UpdateInode(n);
    }
    int64_t reclaimed = 0;
    for (uint64_t ino : store_.db().Orphans()) {
      Inode n;
      if (!store_.db().GetInode(ino, &n)) {
        store_.db().DelOrphan(ino);
        continue;
      }
      if (n.nlink != 0) {
        store_.db().DelOrphan(ino);
        continue;
      }
      if (TryReclaim(ino)) reclaimed++;
    }
    if (!clean) {
      sqlite3_stmt* s =
          store_.db().Prep("SELECT count(*), coalesce(sum(alloc),0), max(ino) FROM inodes");
      int64_t cnt = 0, bytes = 0, maxino = 1;
      if (store_.db().Step(s) == SQLITE_ROW) {
        cnt = sqlite3_column_int64(s, 0);
        bytes = sqlite3_column_int64(s, 1);
        maxino = sqlite3_column_int64(s, 2);
      }
      sqlite3_reset(s);
      store_.db().SetUsage(cnt, bytes);
      sqlite3_stmt* u =
          store_.db().Prep("UPDATE counters SET next_ino=max(next_ino, ?) WHERE id=1");
      sqlite3_bind_int64(u, 1, maxino + 1);
      store_.db().Step(u);
      sqlite3_reset(u);
      log_->Log(kWarning, "unclean shutdown detected: counters rebuilt");
      // A removal killed between its commit and the unlink of the data file
      // leaves the file behind, and so does a move of a file into or out of
      // the store: free every data file without a regular, non-inline inode.
      int64_t freed = 0;
      for (int i = 0; i < 256; i++) {
        char sub[8];
        snprintf(sub, sizeof sub, "%02x", i);
        std::string dir = data_dir_ + "/" + sub;
        DIR* d = opendir(dir.c_str());
        if (d == nullptr) continue;
        std::vector<std::string> gone;
        while (struct dirent* e = readdir(d)) {
          if (e->d_name[0] == '.') continue;
          char* end = nullptr;
          uint64_t ino = strtoull(e->d_name, &end, 10);
          if (end != nullptr && *end == '\0' && DataFileInUse(ino)) continue;
          gone.push_back(dir + "/" + e->d_name);
        }
        closedir(d);
        for (auto& g : gone) {
          if (unlink(g.c_str()) == 0) freed++;
        }
      }
      if (freed) log_->Log(kWarning, "recovery: %lld leftover data files freed",
                           static_cast<long long>(freed));
    }
    if (fixed || reclaimed)
      log_->Log(kWarning, "recovery: %lld sizes clamped, %lld orphans reclaimed",
                static_cast<long long>(fixed), static_cast<long long>(reclaimed));
    durable_next_ = true;
  }, true);
}

void Fs::LeaveMounts() {
  int64_t m = atoll(store_.db().GetMeta("mounts", "1").c_str());
  store_.db().SetMeta("mounts", std::to_string(m > 0 ? m - 1 : 0));
}

void Fs::CloseAll() {
  std::vector<std::shared_ptr<OpenFile>> files = open_.TakeAll();
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
  // Orphans a full disk kept this handle from reclaiming: once more now (what
  // still cannot go is reclaimed by the last umount or the next mount).
  if (!orphans_later_.empty()) ReclaimLeanOrphans();
  if (!leftovers_.empty()) {
    // Data files whose unlink failed: of removed inodes, and of files
    // truncated back to the inline form. Such a file may have grown out of
    // the inline form again since, and its data file is then in use: it
    // stays. Checked and removed inside a write transaction, so that no
    // other process moves the file out of the store in between.
    std::vector<std::string> left;
    try {
      Txn([&] {
        left.clear();
        for (auto& path : leftovers_) {
          size_t slash = path.rfind('/');
          uint64_t ino = strtoull(path.c_str() + (slash == std::string::npos ? 0 : slash + 1),
                                  nullptr, 10);
          if (ino != 0 && DataFileInUse(ino)) continue;
          if (unlink(path.c_str()) != 0 && errno != ENOENT) left.push_back(path);
        }
      });
    } catch (const FsError& e) {
      left = leftovers_;  // the shutdown is not marked clean: recovery frees them
      log_->Log(kWarning, "umount: cannot look at the leftover data files: %s",
                strerror(e.err));
    }
    leftovers_.swap(left);
  }
  if (!leftovers_.empty())
    log_->Log(kWarning, "umount: %zu data files of removed inodes could not be freed; the next "
              "mount's recovery frees them", leftovers_.size());
  std::vector<std::pair<uint64_t, int64_t>> list(unsynced_.begin(), unsynced_.end());
  unsynced_.clear();
  if (fault_drop_unsynced_) {
    // Test seam: the power fails now. File data past the last fdatasync is
    // dropped here; Umount then drops the store's writes no sync covered.
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
    if (fdatasync(fd) == 0) {
      synced.push_back(p.first);
    } else {
      umount_eio_ = true;  // stays marked dirty: recovery clamps it to what is there
      log_->Log(kError, "umount: data sync of inode %llu failed: %s",
                static_cast<unsigned long long>(p.first), strerror(errno));
    }
    close(fd);
  }
  try {
    Txn([&] {
      for (uint64_t ino : synced) {
        Inode n;
        if (!store_.db().GetInode(ino, &n) || !S_ISREG(n.mode)) continue;
        std::string path = DataPath(data_dir_, ino);
        struct stat st;
        int64_t real = stat(path.c_str(), &st) == 0 ? st.st_size : 0;
        if (real >= n.size) store_.db().SetDirty(ino, 0);
      }
      LeaveMounts();
      durable_next_ = true;
    }, true);
  } catch (const FsError& e) {
    umount_eio_ = true;
    log_->Log(kError, "umount: final commit failed: %s", strerror(e.err));
  }
}

int Fs::Umount() {
  if (generation_ != ProcessGeneration()) return -ENOTCONN;
  {
    std::lock_guard<std::mutex> g(bg_->flush_mu);
    stop_ = true;
  }
  bg_->flush_cv.notify_all();
  if (flusher_.joinable()) flusher_.join();
  {
    std::lock_guard<std::mutex> g(bg_->ckpt_mu);
    ckpt_stop_ = true;
  }
  bg_->ckpt_cv.notify_all();
  if (ckpt_.joinable()) ckpt_.join();
  // After the joins: a background thread may be waiting for the store gate.
  StoreSection section;
  if (ckpt_db_.is_open()) ckpt_db_.Close();
  std::lock_guard<StoreLock> g(mu_);
  if (!mounted_.load()) {
    if (store_.db().is_open()) store_.db().Close();
    CloseLockFiles();
    return -ENOTCONN;
  }
  mounted_ = false;
  CloseAll();
  DurableUmount();
  if (fault_drop_unsynced_) {
    // Test seam, the power failure: nothing more reaches the disk (no last
    // commit, no checkpoint), and what no sync covered is undone. The next
    // mount finds the shutdown unclean and recovers.
    std::string db = addr_.meta_dir() + "/meta.db";
    store_.db().CloseNoCheckpoint();
    int rc = PowerLossRollback(db);
    if (rc != 0) log_->Log(kError, "fault seam: cannot drop the unsynced store writes: %s",
                           strerror(-rc));
    CloseLockFiles();
    return 0;
  }
  // Last one out: reclaim what crashed openers left and mark the shutdown clean.
  OfdLock(lockfd_, kMountLockOff, F_UNLCK, false);
  if (!read_only_ && OfdLock(probefd_, kMountLockOff, F_WRLCK, false) == 0) {
    try {
      // Another process died while mounted (or this handle's own count was
      // not committed): do the recovery of an unclean shutdown now, so what
      // it left (a removed inode's data file, counters) is gone before the
      // filesystem is marked clean.
      bool crashed = false;
      Txn([&] { crashed = atoll(store_.db().GetMeta("mounts", "0").c_str()) > 0; });
      if (crashed) {
        log_->Log(kWarning, "a process died while mounted: recovering at umount");
        Recover();
      }
      Txn([&] {
        for (uint64_t ino : store_.db().Orphans()) TryReclaim(ino);
        store_.db().SetMeta("mounts", "0");
        store_.db().SetMeta("clean", leftovers_.empty() ? "1" : "0");
        durable_next_ = true;
      }, true);
      MaybeShrink(true);  // the last one out leaves no free pages behind
      store_.db().Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch (const FsError& e) {
      if (e.err == EIO) umount_eio_ = true;
      log_->Log(kWarning, "umount: final cleanup failed: %s", strerror(e.err));
    }
    OfdLock(probefd_, kMountLockOff, F_UNLCK, false);
  }
  // Unmounted either way; EIO tells that not everything is known to be on
  // the disk (a sync failed now or earlier in this mount).
  bool eio = umount_eio_ || store_.db().sync_failed() || DataDirGone();
  {
    std::lock_guard<std::mutex> sg(sync_failed_mu_);
    if (!sync_failed_.empty()) eio = true;
  }
  store_.db().Close();
  CloseLockFiles();
  log_->Log(eio ? kError : kInfo, "unmounted %s%s", addr_.name.c_str(),
            eio ? " (some data may not be on the disk: a sync failed)" : "");
  return eio ? -EIO : 0;
}

}  // namespace dingofs

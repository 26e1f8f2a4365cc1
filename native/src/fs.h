// A mounted local filesystem (one per mounted handle), assembled from its
// parts: the metadata store (store.h: rows, caches, transactions), the open
// files (open_files.h) and the data files (data.h). A call goes path ->
// store -> data: path.cc resolves names through the store, ops.cc and
// files.cc change the store in transactions, files.cc moves the bytes.
#ifndef DINGOFS_SRC_FS_H_
#define DINGOFS_SRC_FS_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "address.h"
#include "common.h"
#include "dingofs/libdingofs.h"
#include "log.h"
#include "meta.h"
#include "open_files.h"
#include "options.h"
#include "perm.h"
#include "store.h"

namespace dingofs {

// Result of resolving a path up to its final component.
struct Lookup {
  uint64_t parent = 0;   // directory holding the final name (0 for "/")
  std::string name;      // final component ("" for "/", "." or ".." kept verbatim)
  uint64_t ino = 0;      // the final inode, 0 when it does not exist
  bool trailing_slash = false;
  bool too_long = false;  // change mode: the final name exceeds NAME_MAX (not looked up)
};

// The handle's store lock. Its holders keep it for microseconds to tens of
// microseconds, about what waking a sleeping thread takes on a virtual
// machine, so a waiter first spins (yielding the processor) for a while.
class StoreLock {
 public:
  void lock() {
    if (!SpinUntil([this] { return mu_.try_lock(); }, kSpinNs)) mu_.lock();
  }
  bool try_lock() { return mu_.try_lock(); }
  void unlock() { mu_.unlock(); }

 private:
  static constexpr int64_t kSpinNs = 50000;
  std::mutex mu_;
};

// A change that was committed, then failed in a step that follows its
// commit (the sync of a durable commit, work queued with Fs::Post): its call
// reports err, but the change stands (it is neither rolled back nor run again).
struct LateFailure : FsError {};

class Fs {
 public:
  Fs() = default;
  ~Fs();
  Fs(const Fs&) = delete;
  Fs& operator=(const Fs&) = delete;

  // Mounts. Returns 0 or -errno; *why receives a reason worth logging.
  int Mount(const Address& addr, const GlobalOptions& opts, std::shared_ptr<Logger> log,
            std::string* why);
  int Umount();
  // In a forked child: drop everything without touching shared state.
  void Abandon();
  bool mounted() const { return mounted_.load(); }
  uint64_t generation() const { return generation_; }
  Logger* log() const { return log_.get(); }
  bool access_logging() const { return opts_.access_logging; }

  // Namespace and attributes (ops.cc). All throw FsError.
  void Stat(const char* path, bool follow, struct stat* st, uint32_t* iflags);
  void Fstat(int fd, struct stat* st, uint32_t* iflags);
  void Mkdir(const char* path, mode_t mode);
  void Mkdirs(const char* path, mode_t mode);
  void Rmdir(const char* path);
  void Unlink(const char* path);
  void Rename(const char* src, const char* dst, unsigned flags);
  void Link(const char* oldpath, const char* newpath);
  void Symlink(const char* target, const char* linkpath);
  ssize_t Readlink(const char* path, char* buf, size_t bufsz);
  void Mknod(const char* path, mode_t mode, dev_t dev);
  void Chmod(const char* path, int fd, mode_t mode);
  void Chown(const char* path, int fd, bool follow, uid_t uid, gid_t gid);
  void Utimens(const char* path, const struct timespec ts[2], bool follow);
  void Truncate(const char* path, int fd, off_t length);
  void Access(const char* path, int mode);
  void Statfs(dingofs_statfs_t* st);
  int SetXattr(const char* path, const char* name, const void* value, size_t size, int flags);
  ssize_t GetXattr(const char* path, const char* name, void* value, size_t size);
  ssize_t ListXattr(const char* path, char* list, size_t size);
  void RemoveXattr(const char* path, const char* name);
  void Ioctl(int fd, unsigned int cmd, void* arg);
  // Several attribute changes in one transaction, applied in the order size,
  // owner, mode, times (DINGOFS_X_SET_* bits); all or nothing.
  void SetAttr(const char* path, bool follow, unsigned mask, mode_t mode, uid_t uid, gid_t gid,
               off_t size, const struct timespec ts[2]);
  // Attributes recorded by the calling thread's last successful change call
  // on this handle (taken inside that call's transaction). False if none.
  bool LastAttr(struct stat* st, uint32_t* iflags);

  // Directories (ops.cc).
  uint64_t Opendir(const char* path);
  int Readdir(uint64_t dh, dingofs_dirent_t* buf, int count);
  int ReaddirPlus(uint64_t dh, dingofs_x_direntplus_t* buf, int count);
  void Closedir(uint64_t dh);

  // Files (files.cc).
  int Open(const char* path, int flags, mode_t mode);
  ssize_t Read(int fd, void* buf, size_t count, off_t off, bool use_pos);
  ssize_t Write(int fd, const void* buf, size_t count, off_t off, bool use_pos);
  off_t Lseek(int fd, off_t off, int whence);
  void Flush(int fd);
  void Fsync(int fd, bool datasync);
  void Close(int fd);
  ssize_t CopyFileRange(int fd_in, off_t* off_in, int fd_out, off_t* off_out, size_t len);
  void Flock(int fd, int op);
  void Fallocate(int fd, int mode, off_t offset, off_t len);

 private:
  friend struct TxnScope;
  friend struct OpenLockRestore;
  // ---- metadata access (ops.cc) ----
  void CheckLive();
  void PutInode(const Inode& n);            // store + cache + the open inode
  void SyncOpenInode(const Inode& n);       // the open inode's copy of mode, flags, uid
  void TouchDir(uint64_t dir, int64_t now);
  void DropLink(Inode& n, int64_t now);     // nlink-1, frees or orphans
  bool TryReclaim(uint64_t ino);            // frees an unreferenced orphan
  // Frees inode n (nlink 0) unless it is open somewhere; listed: it may have a
  // row in orphans. Returns false (nothing changed) when it is still in use.
  bool Reclaim(const Inode& n, bool listed);
  void FillStat(const Inode& n, struct stat* st);
  void Remember(uint64_t ino);              // records Attr(ino) for LastAttr
  Inode Attr(uint64_t ino);                 // with in-memory size/times overlay
  void CheckNewName(const std::string& name);
  void CheckWritable();
  // Queues f to run once the change's transaction is committed (dropped if
  // it is rolled back). f may fail (throw FsError): the other queued work
  // still runs, and the change's call reports the first failure, the change
  // itself standing (LateFailure).
  void Post(std::function<void()> f) { post_.push_back(std::move(f)); }
  // An open that succeeded inside a write transaction: if the transaction is
  // then rolled back anyway (a failed commit, or another change of its batch
  // that failed after writing), or its call fails after the commit,
  // ReleaseRolledBack gives the open inode back, as a failed open leaves
  // nothing open. (Outside a write transaction there is nothing to roll back:
  // no-op.)
  void ReleaseOnRollback(const std::shared_ptr<OpenInode>& oi) {
    if (store_.db().in_txn()) rolled_back_opens_.push_back(oi);
  }
  void ReleaseRolledBack() noexcept;  // after the rollback, under the store lock
  // Gives back the open inodes of opens whose call fails (store lock held).
  void GiveBack(std::vector<std::shared_ptr<OpenInode>> opens) noexcept;
  // Runs fn inside a savepoint and rolls everything it did back (store,
  // caches, the open inode ino, LastAttr, queued work), then rethrows its
  // failure if it failed: the check that a later part of a change will be
  // allowed, made before an earlier part that no rollback undoes.
  void DryRun(uint64_t ino, const std::function<void()>& fn);
  // Runs every post-commit action (also after one failed). Returns err, or
  // if that is 0 the errno of the first action that failed (0: none).
  int AfterCommit(int err);

  template <class F>
  auto ReadOp(F f) -> decltype(f());
  // frees: a change that frees space (a removal, a rename over a name, a
  // truncate) or that mounting and unmounting need; it may use the space
  // reserve when the disk is full.
  template <class F>
  auto WriteOp(F f, bool frees = false) -> decltype(f());
  template <class F>
  auto Txn(F f, bool frees = false) -> decltype(f());  // mu_ held, no liveness check
  int lib_format_ = kFormatVersion;  // the format this handle writes (see the test seam)
  int64_t inline_max_ = 0;            // see InlineFits
  bool durable_next_ = false;       // the next Txn commit must be durable

  // ---- group commit (ops.cc) ----
  // A change submitted by WriteOp: its body, run by the thread that leads the
  // batch it lands in, and what came of it.
  struct WriteReq {
    void (*fn)(void*) = nullptr;
    void* arg = nullptr;
    void* last = nullptr;              // the submitting thread's LastAttr record
    std::exception_ptr err;            // the body's failure, rethrown by the submitter
    std::atomic<bool> done{false};     // set under wq_mu_
  };
  // Queues req and returns once it is committed or has failed. The first
  // thread that finds no batch running leads: it commits every queued change
  // in one transaction.
  void Submit(WriteReq* req);
  void RunBatch(const std::vector<WriteReq*>& batch);  // mu_ held
  void RunAlone(WriteReq* w);                           // mu_ held, its own transaction
  std::mutex wq_mu_;
  std::condition_variable wq_cv_;
  std::vector<WriteReq*> wq_;             // changes waiting for the next batch
  std::atomic<bool> wq_leader_{false};    // a batch is being committed (set under wq_mu_)
  std::atomic<size_t> wq_n_{0};           // wq_.size(), for the leader's short wait
  const void* wq_last_ = nullptr;         // the thread that submitted last
  int64_t wq_last_ns_ = 0;                // and when
  int64_t wq_other_ns_ = INT64_MIN / 2;   // the last change of another thread
  unsigned wq_waits_missed_ = 0;          // leaders' waits in a row that no change joined
  // A leader waits up to kGroupWaitNs for a second change when another thread
  // submitted one within kGroupRecentNs; a submitter whose change is in a
  // running batch looks for its end kGroupSpinNs before it sleeps.
  static constexpr int64_t kGroupWaitNs = 50000;
  static constexpr int64_t kGroupRecentNs = 1000000;
  static constexpr int64_t kGroupSpinNs = 200000;
  static constexpr unsigned kGroupMaxMissed = 4;

  // ---- path resolution (path.cc) ----
  // change: resolution for an operation that creates or removes the final
  // name (Linux's parent lookup + final lookup): the final component is never
  // followed, a trailing slash is only recorded, an over-long final name only
  // flagged (too_long).
  Lookup Resolve(const char* path, bool follow_final, Cred& c, bool change = false,
                 bool creat = false);
  uint64_t ResolveIno(const char* path, bool follow_final, Cred& c);

  // ---- files (files.cc) ----
  std::shared_ptr<OpenFile> GetFd(int fd) { return open_.File(fd); }
  std::shared_ptr<OpenInode> Acquire(const Inode& n, bool created = false);  // under mu_
  void Release(const std::shared_ptr<OpenInode>& oi);  // under mu_, last fd
  void CommitOpen(const std::shared_ptr<OpenInode>& oi, bool data_synced, uint64_t gen);
  void FlushInode(const std::shared_ptr<OpenInode>& oi);
  void MarkDirty(const std::shared_ptr<OpenInode>& oi);
  int EnsureHostFd(OpenInode* oi);  // under oi->mu
  ssize_t WriteData(OpenFile* of, const void* buf, size_t count, int64_t pos, bool use_pos);
  ssize_t Append(OpenFile* of, const void* buf, size_t count, bool use_pos);  // under oi->mu
  void ClearSuid(const std::shared_ptr<OpenInode>& oi);
  // Sets a regular file's size and data to `length` (inside a Txn; n is
  // updated). `held` collects the inodes whose opener lock this call took
  // exclusively; RestoreOpenLocks gives them back after the commit.
  void ResizeData(Inode& n, int64_t length, std::vector<uint64_t>* held);
  void RestoreOpenLocks(const std::vector<uint64_t>& held);  // mu_ held
  void Flusher();

  // ---- inline data (inline.cc) ----
  // Files up to inline_max_ bytes keep them in the store (0: never).
  bool InlineFits(int64_t pos, size_t count) const {
    return inline_max_ > 0 && pos <= inline_max_ &&
           static_cast<int64_t>(count) <= inline_max_ - pos;
  }
  void LoadInline(OpenInode* oi, std::string stored);  // under oi->mu
  // Re-reads the store's copy for a newly opened fd (close-to-open), unless
  // this handle has bytes of its own not committed yet.
  void RefreshInline(OpenInode* oi);
  size_t InlineRead(OpenInode* oi, void* buf, size_t n, int64_t off);  // under oi->mu
  void InlineWrite(OpenInode* oi, const void* buf, size_t n, int64_t pos);  // under oi->mu
  // Commit of an inline file (inside a Txn). False when another handle moved
  // the file to a data file meanwhile: its ranges went there, and the caller
  // commits it as a data file.
  bool CommitInline(const std::shared_ptr<OpenInode>& oi);
  // Moves an inline file to a data file (before a write past the threshold,
  // an append or an allocation).
  void MigrateOut(const std::shared_ptr<OpenInode>& oi);
  int OpenDataFile(uint64_t ino, bool fresh);  // O_RDWR|O_CREAT; fresh: O_TRUNC; -errno
  void CloseAll();
  void DurableUmount();
  void RecordUnsynced(uint64_t ino, int fd);

  // ---- mount internals ----
  // Inside a transaction: ino is a regular file whose data is a data file
  // (not inline), so a data file of that number is in use.
  bool DataFileInUse(uint64_t ino);
  void Recover();
  void LeaveMounts();  // in a transaction: this mount no longer counts
  void Checkpointer();
  void RequestCheckpoint();
  void MapSequence();
  void CloseLockFiles();

  // ---- space reserve (mount.cc) ----
  // A preallocated file next to the store. When a change that frees space
  // cannot be stored because the disk is full, the reserve is given back to
  // the disk and the change tried once more; the reserve is taken back, as
  // far as the disk allows, as soon as the change has freed what it frees.
  void OpenReserve();
  bool ReleaseReserve();  // true when it gave space back
  void RefillReserve();
  // After a change that used the reserve (or while it is short): copies the
  // journal back into the database, so that the journal starts over instead
  // of growing, and only then takes the reserve back.
  void AfterFreeing() noexcept;
  // The last resort of a change that frees space on a full disk: the inodes
  // it removes become orphans first (a few rows), and their xattrs, which may
  // fill many pages of the store, go afterwards in small transactions.
  void ReclaimLeanOrphans() noexcept;
  // After changes that free space: once the store holds more than
  // kShrinkAbove free pages (or an eighth of its pages, see mount.cc), gives
  // half of them back to the disk in small transactions (checked every
  // kShrinkEvery such changes); after a change that needed the reserve (now),
  // all but kShrinkKeep.
  void MaybeShrink(bool now) noexcept;

  Address addr_;
  GlobalOptions opts_;
  std::shared_ptr<Logger> log_;
  std::string data_dir_;
  bool read_only_ = false;
  int64_t capacity_ = 0;
  bool fault_drop_unsynced_ = false;
  uint64_t generation_ = 0;
  uint64_t serial_ = NextSerial();  // unique per Fs in the process (LastAttr)
  static uint64_t NextSerial();
  std::atomic<bool> mounted_{false};

  StoreLock mu_;  // the store, open_.inodes, post_
  Store store_;
  std::map<uint64_t, int64_t> unsynced_;  // ino -> data size at its last sync
  // Inodes whose data sync failed: their later fsync calls fail with EIO
  // until the filesystem is mounted again (the kernel may have dropped the
  // pages the failed sync covered and report the next sync as a success).
  std::mutex sync_failed_mu_;
  std::unordered_set<uint64_t> sync_failed_;
  // Data files of removed inodes whose unlink failed: tried again at umount,
  // else left to the next mount's recovery (the shutdown is not marked clean).
  std::vector<std::string> leftovers_;
  bool umount_eio_ = false;  // something umount had to make durable did not get there
  bool SyncFailed(uint64_t ino);
  void SetSyncFailed(uint64_t ino);
  std::vector<std::function<void()>> post_;
  std::vector<std::shared_ptr<OpenInode>> rolled_back_opens_;  // see ReleaseOnRollback
  int reserve_fd_ = -1;
  int64_t reserve_size_ = 0;   // bytes the reserve holds when full
  bool reserve_short_ = false; // the last refill could not take it all back
  bool lean_ = false;                  // see ReclaimLeanOrphans
  bool lean_reclaiming_ = false;       // ReclaimLeanOrphans is running
  bool shrinking_ = false;             // MaybeShrink is running
  int frees_unchecked_ = 0;            // changes that freed since MaybeShrink looked
  std::vector<uint64_t> lean_orphans_;  // removed by the lean change in progress
  std::vector<uint64_t> orphans_later_;  // lean orphans not reclaimed yet (disk still full)
  int datadir_fd_ = -1;  // O_PATH of the data directory
  // True (and logged) when the data directory was removed while mounted: a
  // data file that is not there then means EIO, and nothing is recreated.
  bool DataDirGone();
  int lockfd_ = -1;   // shared locks: mount, openers
  int probefd_ = -1;  // exclusive probes
  std::atomic<int64_t> committed_used_{0};
  std::atomic<int64_t> pending_growth_{0};

  OpenTable open_;  // fds, directory handles, open inodes

  // The first page of the lock file, mapped: the change sequence the store
  // shares with every other connection (nullptr: not mapped).
  uint64_t* seq_map_ = nullptr;

  // Wake-ups of the background threads. Kept apart so that a forked child can
  // leak them: destroying a condition variable that a parent thread was
  // waiting on at fork time would block the child for ever.
  struct BgSync {
    std::mutex flush_mu;
    std::condition_variable flush_cv;
    std::mutex ckpt_mu;
    std::condition_variable ckpt_cv;
    // Background threads that have entered their loop (see Fs::BgStarted).
    std::mutex start_mu;
    std::condition_variable start_cv;
    int started = 0;
  };
  std::unique_ptr<BgSync> bg_ = std::make_unique<BgSync>();

  // Background WAL checkpoints (own connection, own thread).
  MetaDb ckpt_db_;           // opened at mount, used only by the checkpointer
  int ckpt_frames_ = 0;  // WAL size at the last request (mu_)
  // WAL size (frames) from which a writer finishes the copy-back itself when
  // the background checkpointer is idle (see AfterCommit).
  int ckpt_catch_up_frames_ = 2048;
  std::atomic<bool> ckpt_busy_{false};  // the background checkpointer is copying
  bool ckpt_req_ = false;
  bool ckpt_stop_ = false;
  std::thread ckpt_;

  bool stop_ = false;
  std::thread flusher_;

  // Called first by each background thread; Mount waits for both, so that no
  // thread of a mounted filesystem is still starting up (and allocating its
  // stack bookkeeping) when the process forks.
  void BgStarted();
};

}  // namespace dingofs


namespace dingofs {

// The handle whose transaction the calling thread is running (its WriteOp
// and ReadOp calls then join that transaction).
extern thread_local const Fs* t_txn_owner;
struct TxnOwner {
  explicit TxnOwner(const Fs* fs) : prev(t_txn_owner) { t_txn_owner = fs; }
  ~TxnOwner() { t_txn_owner = prev; }
  const Fs* prev;
};

// Read-only metadata operation: serialised with the handle's other metadata
// work, sees other connections' commits, and answers from one snapshot of the
// store (so a rename over a name is atomic for it). While the caches are
// known current, nothing is asked of the store and no snapshot is taken
// unless the body needs the store; if the store has moved on by then, the body
// runs again on a fresh snapshot (as it does when it finds that its snapshot
// is too old, kStale). Bodies must therefore be restartable up to the point
// where they may fail with kStale.
template <class F>
auto Fs::ReadOp(F f) -> decltype(f()) {
  if (t_txn_owner == this) return f();  // inside this handle's transaction
  StoreSection section;
  std::lock_guard<StoreLock> g(mu_);
  CheckLive();
  store_.db().SetDeadline(MonoMs() + opts_.meta_timeout_ms);
  struct EndRead {
    Store& store;
    ~EndRead() { store.EndRead(); }
  } end{store_};
  bool fast = store_.CachesCurrent();
  for (int attempt = 1;; attempt++) {
    if (fast) {
      store_.ArmLazySnapshot();
    } else {
      store_.BeginSnapshot();
    }
    try {
      return f();
    } catch (const FsError& e) {
      if (e.err != kStale || attempt >= 100) throw;
    }
    store_.EndRead();
    fast = false;
  }
}

// Metadata transaction (BEGIN IMMEDIATE ... COMMIT). A busy store is retried
// up to vfs_meta_rpc_retry_times times within vfs_meta_rpc_timeout_ms.
//
// Changes that free space run alone (their full-disk rules retry them with
// the space reserve). The others are group-committed: concurrent writers of
// one handle share a transaction, so that a second thread adds throughput
// instead of waiting for a commit of its own. Visibility and durability are
// those of a lone transaction: the call returns once its batch is committed.
template <class F>
auto Fs::WriteOp(F f, bool frees) -> decltype(f()) {
  if (t_txn_owner == this) return f();  // a part of a larger transaction
  StoreSection section;
  if (frees) {
    std::lock_guard<StoreLock> g(mu_);
    CheckLive();
    CheckWritable();
    return Txn(f, frees);
  }
  using R = decltype(f());
  WriteReq req;
  if constexpr (std::is_void_v<R>) {
    req.fn = [](void* p) { (*static_cast<F*>(p))(); };
    req.arg = &f;
    Submit(&req);
  } else {
    struct Call {
      F* f;
      std::optional<R> r;
    } call{&f, std::nullopt};
    req.fn = [](void* p) {
      auto* c = static_cast<Call*>(p);
      c->r.emplace((*c->f)());
    };
    req.arg = &call;
    Submit(&req);
    return std::move(*call.r);
  }
}

template <class F>
auto Fs::Txn(F f, bool frees) -> decltype(f()) {
  using R = decltype(f());
  int attempts = opts_.meta_retry_times + 1;
  int64_t start = MonoMs();
  int64_t end = start + opts_.meta_timeout_ms;
  bool released = false;  // this change gave the reserve back to the disk
  struct Refill {
    Fs* fs;
    const bool& released;
    bool frees;
    ~Refill() {
      fs->lean_ = false;
      if (!fs->lean_reclaiming_ &&
          (!fs->lean_orphans_.empty() || (frees && !fs->orphans_later_.empty())))
        fs->ReclaimLeanOrphans();
      if (released || (frees && fs->reserve_short_)) fs->AfterFreeing();
      if (frees) fs->MaybeShrink(released);
    }
  } refill{this, released, frees};
  // f's value, kept until what follows the commit has run.
  std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> result;
  int late = 0;  // the commit went through, then its durable sync failed
  for (int a = 1;; a++) {
    int64_t now = MonoMs();
    int64_t slice = (end - now) / (attempts - a + 1);
    store_.db().SetDeadline(now + (slice > 0 ? slice : 0));
    post_.clear();
    rolled_back_opens_.clear();
    lean_orphans_.clear();
    TxnOwner owner(this);
    try {
      store_.BeginWrite();
      if constexpr (std::is_void_v<R>) {
        f();
        result.emplace(true);
      } else {
        result.emplace(f());
      }
      bool durable = durable_next_;
      durable_next_ = false;
      late = store_.CommitWrite(durable);
      break;  // committed
    } catch (const FsError& e) {
      result.reset();
      durable_next_ = false;
      store_.AbortWrite();
      ReleaseRolledBack();
      post_.clear();
      lean_orphans_.clear();
      if (e.err == ENOSPC && frees && !released && ReleaseReserve()) {
        released = true;  // the disk is full: once more, with the reserve's space,
        store_.db().CheckpointPassive();  // and with the journal copied back so it can start over
        a--;
        continue;
      }
      if (e.err == ENOSPC && frees && !lean_ && !lean_reclaiming_) {
        lean_ = true;  // still full: once more, leaving the bulk for later
        store_.db().CheckpointPassive();
        a--;
        continue;
      }
      bool busy = e.err == ETIMEDOUT || e.err == kRetry;
      if (!busy || MonoMs() >= end) {
        if (e.err == kRetry) Fail(ETIMEDOUT);
        throw;
      }
      if (a >= attempts && e.err == ETIMEDOUT) throw;
      if (e.err == ETIMEDOUT) {
        log_->Log(kWarning, "metadata store busy, retry %d of %d", a, attempts - 1);
      } else {
        usleep(1000);
        a--;  // lock races do not use up the retries
      }
    } catch (...) {
      result.reset();
      durable_next_ = false;
      store_.AbortWrite();
      ReleaseRolledBack();
      post_.clear();
      lean_orphans_.clear();
      throw;
    }
  }
  // Committed: the store, the caches and other processes have the change.
  // What was queued for after the commit runs whatever fails; a failure from
  // here on (the durable sync, a step on a data file) reaches the caller,
  // and nothing is rolled back or run again.
  late = AfterCommit(late);
  if (late != 0) {
    // The call fails: an open it made leaves nothing open.
    ReleaseRolledBack();
    result.reset();
    throw LateFailure{{late}};
  }
  rolled_back_opens_.clear();
  if constexpr (!std::is_void_v<R>) return std::move(*result);
}

}  // namespace dingofs

#endif  // DINGOFS_SRC_FS_H_

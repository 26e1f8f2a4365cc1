// Namespace operations, attributes, xattrs, ioctl and directory reading.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "data.h"
#include "fs.h"

namespace dingofs {
namespace {

bool IsDots(const std::string& n) { return n == "." || n == ".."; }

constexpr uint32_t kImmutable = FS_IMMUTABLE_FL;
// WAL sizes (frames) that ask for a background checkpoint, and past which the
// committing thread checkpoints itself.
constexpr int kCheckpointFrames = 1000;
constexpr int kCheckpointHardFrames = 32768;
constexpr uint32_t kAppend = FS_APPEND_FL;

void CheckNotImmutable(const Inode& n) {
  if (n.flags & kImmutable) Fail(EPERM);
}
void CheckRemovable(const Inode& n) {
  if (n.flags & (kImmutable | kAppend)) Fail(EPERM);
}

struct timespec ToTs(int64_t ns) {
  struct timespec ts;
  ts.tv_sec = ns / 1000000000LL;
  ts.tv_nsec = ns % 1000000000LL;
  if (ts.tv_nsec < 0) {
    ts.tv_nsec += 1000000000LL;
    ts.tv_sec -= 1;
  }
  return ts;
}

uint8_t DType(uint32_t mode) { return static_cast<uint8_t>((mode & S_IFMT) >> 12); }

// The final lookup of a change: an over-long final name fails here (Linux:
// the filesystem's lookup of the last component).
void CheckFinal(const Lookup& l) {
  if (l.too_long) Fail(ENAMETOOLONG);
}

// Linux's checks before a new name is made (filename_create): "." / ".." /
// "/" and existing names are EEXIST; a trailing slash on a missing name is
// ENOENT unless a directory is being made.
void CheckCreatable(const Lookup& l, bool want_dir) {
  if (l.parent == 0 || IsDots(l.name)) Fail(EEXIST);
  CheckFinal(l);
  if (l.ino != 0) Fail(EEXIST);
  if (l.trailing_slash && !want_dir) Fail(ENOENT);
}

// may_create: write and search permission on the parent (immutable first).
void CheckMayCreate(const Inode& p, Cred& c) {
  CheckNotImmutable(p);
  CheckAccess(p, W_OK | X_OK, c);
}

// may_delete: the parent's permissions, then the victim's own rules, then
// its type.
void CheckMayDelete(const Inode& p, const Inode& victim, bool isdir, Cred& c) {
  CheckNotImmutable(p);
  CheckAccess(p, W_OK | X_OK, c);
  if (p.flags & kAppend) Fail(EPERM);
  CheckSticky(p, victim, c);
  CheckRemovable(victim);
  if (isdir) {
    if (!S_ISDIR(victim.mode)) Fail(ENOTDIR);
    if (victim.ino == kRootIno) Fail(EBUSY);
  } else if (S_ISDIR(victim.mode)) {
    Fail(EISDIR);
  }
}

}  // namespace

// ---------------------------------------------------------------- store access

thread_local const Fs* t_txn_owner = nullptr;

namespace {
struct LastAttrRec {
  uint64_t serial = 0;
  Inode n;
};
thread_local LastAttrRec t_last;
// While a batch leader runs another thread's change: that thread's record.
thread_local LastAttrRec* t_last_for = nullptr;
std::atomic<uint64_t> g_serial{1};

// The record the calling thread's changes go to: its own, or while a batch
// leader runs another thread's change, that thread's.
LastAttrRec& CurrentLastAttr() { return t_last_for != nullptr ? *t_last_for : t_last; }

// Runs a change of another thread with that thread's LastAttr record.
struct OnBehalf {
  explicit OnBehalf(void* last) : prev(t_last_for) {
    t_last_for = last != &t_last ? static_cast<LastAttrRec*>(last) : nullptr;
  }
  ~OnBehalf() { t_last_for = prev; }
  LastAttrRec* prev;
};

// A batch that cannot be committed as it is: not an FsError, so that Txn
// rolls it back without running its changes again.
struct BatchFailed {
  int err;
};

// Runs every action, also those after one that failed; returns err, or the
// errno of the first failure when err is 0.
int RunEach(std::vector<std::function<void()>>& actions, int err) {
  for (auto& a : actions) {
    try {
      a();
    } catch (...) {
      int e = CurrentErrno();
      if (err == 0) err = e;
    }
  }
  return err;
}
}  // namespace

uint64_t Fs::NextSerial() { return g_serial.fetch_add(1); }

void Fs::Remember(uint64_t ino) {
  LastAttrRec& rec = CurrentLastAttr();
  rec.serial = serial_;
  rec.n = Attr(ino);
}

void Fs::DryRun(uint64_t ino, const std::function<void()>& fn) {
  LastAttrRec& rec = CurrentLastAttr();
  LastAttrRec saved = rec;
  size_t posts = post_.size();
  size_t opens = rolled_back_opens_.size();
  store_.db().Savepoint();
  std::exception_ptr failed;
  try {
    fn();
  } catch (...) {
    failed = std::current_exception();
  }
  // Back to the savepoint: the store, the caches, the open inode's copy of
  // the row, the thread's last attributes and the queued work.
  store_.db().RollbackToSavepoint();
  store_.ClearCache();
  rec = saved;
  post_.resize(posts);
  rolled_back_opens_.resize(opens);
  Inode n;
  if (open_.inodes.count(ino) && store_.Find(ino, &n)) SyncOpenInode(n);
  if (failed) std::rethrow_exception(failed);
}

void Fs::ReleaseRolledBack() noexcept {
  auto opens = std::move(rolled_back_opens_);
  rolled_back_opens_.clear();
  GiveBack(std::move(opens));
}

void Fs::GiveBack(std::vector<std::shared_ptr<OpenInode>> opens) noexcept {
  for (auto& oi : opens) {
    try {
      if (--oi->nopen == 0) Release(oi);
    } catch (...) {
      log_->Log(kWarning, "giving back the inode of a rolled-back open failed: %s",
                strerror(CurrentErrno()));
    }
  }
}

// ---------------------------------------------------------------- group commit

void Fs::Submit(WriteReq* req) {
  req->last = &t_last;
  bool lead = false;
  bool others = false;  // another thread submitted a change a moment ago
  {
    std::unique_lock<std::mutex> q(wq_mu_);
    wq_.push_back(req);
    wq_n_.store(wq_.size(), std::memory_order_release);
    int64_t now = MonoNs();
    if (wq_last_ != req->last) {
      wq_other_ns_ = wq_last_ns_;
      wq_last_ = req->last;
    }
    wq_last_ns_ = now;
    others = now - wq_other_ns_ < kGroupRecentNs;
    for (;;) {
      if (req->done.load(std::memory_order_relaxed)) break;
      if (!wq_leader_.load(std::memory_order_relaxed)) {
        wq_leader_.store(true, std::memory_order_relaxed);  // this thread commits what is queued
        lead = true;
        break;
      }
      // A batch takes tens of microseconds, about what waking a sleeping
      // thread can take on a virtual machine: look for its end a while first.
      q.unlock();
      SpinUntil([&] {
        return req->done.load(std::memory_order_acquire) ||
               !wq_leader_.load(std::memory_order_acquire);
      }, kGroupSpinNs);
      q.lock();
      if (req->done.load(std::memory_order_relaxed) ||
          !wq_leader_.load(std::memory_order_relaxed))
        continue;
      wq_cv_.wait(q);
    }
  }
  if (lead) {
    // Only the leader touches wq_waits_missed_ (it is the leader's until it
    // sets wq_leader_ back under wq_mu_).
    if (others && (wq_waits_missed_ < kGroupMaxMissed || ++wq_waits_missed_ % 16 == 0)) {
      // Another writer is between two changes: give its next one a moment to
      // join this transaction (much less than the commit it saves). Writers
      // that stopped coming stop the waiting after a few waits in vain (one
      // in 16 still looks).
      if (SpinUntil([&] { return wq_n_.load(std::memory_order_acquire) >= 2; }, kGroupWaitNs)) {
        wq_waits_missed_ = 0;
      } else if (wq_waits_missed_ < kGroupMaxMissed) {
        wq_waits_missed_++;
      }
    }
    std::vector<WriteReq*> batch;
    {
      std::lock_guard<StoreLock> g(mu_);
      {
        // Taken once the store is ours: changes queued while this thread
        // waited for it join too.
        std::lock_guard<std::mutex> q(wq_mu_);
        batch.swap(wq_);
        wq_n_.store(0, std::memory_order_release);
      }
      try {
        CheckLive();
        CheckWritable();
        if (batch.size() == 1) {
          RunAlone(batch[0]);
        } else {
          RunBatch(batch);
        }
      } catch (...) {  // not mounted, not writable
        // Each submitter gets an exception of its own: they are rethrown and
        // caught in several threads.
        int err = CurrentErrno();
        for (WriteReq* w : batch) w->err = std::make_exception_ptr(FsError{err});
      }
    }
    {
      // Once done is set its submitter may return: nothing of the batch is
      // touched after this.
      std::lock_guard<std::mutex> q(wq_mu_);
      wq_leader_.store(false, std::memory_order_release);
      for (WriteReq* w : batch) w->done.store(true, std::memory_order_release);
    }
    wq_cv_.notify_all();
  }
  if (req->err) std::rethrow_exception(req->err);
}

void Fs::RunAlone(WriteReq* w) {
  OnBehalf as(w->last);
  w->err = nullptr;
  try {
    Txn([w] { w->fn(w->arg); });
  } catch (...) {
    w->err = std::current_exception();
  }
}

void Fs::RunBatch(const std::vector<WriteReq*>& batch) {
  std::vector<WriteReq*> alone;  // run again, each in a transaction of its own
  // What each change that went through left for after the commit: a failure
  // there (of its own queued work, or of the durable sync it asked for) is
  // its own, and gives back the inodes it opened; the other changes of the
  // batch stand and succeed.
  struct Member {
    WriteReq* w = nullptr;
    bool durable = false;  // it asked for a durable commit
    std::vector<std::shared_ptr<OpenInode>> opens;
  };
  std::vector<Member> members(batch.size());
  auto fail_member = [this](Member& m, int err) {
    if (!m.w->err) m.w->err = std::make_exception_ptr(LateFailure{{err}});
    GiveBack(std::move(m.opens));
    m.opens.clear();
  };
  auto release_all = [&] {
    for (Member& m : members) {
      GiveBack(std::move(m.opens));
      m.opens.clear();
    }
  };
  bool attempted = false;
  try {
    Txn([&] {
      // Txn runs its body again only after a failure it retries (a busy
      // store): this batch then goes change by change instead.
      if (attempted) throw BatchFailed{ETIMEDOUT};
      attempted = true;
      for (size_t i = 0; i < batch.size(); i++) {
        WriteReq* w = batch[i];
        size_t posts = post_.size();
        size_t opens = rolled_back_opens_.size();
        size_t leans = lean_orphans_.size();
        uint64_t errors = store_.db().errors();
        int64_t changes = store_.db().total_changes();
        bool durable = durable_next_;
        durable_next_ = false;
        try {
          OnBehalf as(w->last);
          w->fn(w->arg);
          Member& m = members[i];
          m.w = w;
          m.durable = durable_next_;
          durable_next_ = durable || m.durable;
          m.opens.assign(rolled_back_opens_.begin() + static_cast<ptrdiff_t>(opens),
                         rolled_back_opens_.end());
          rolled_back_opens_.resize(opens);
          if (post_.size() > posts) {
            std::vector<std::function<void()>> mine(
                std::make_move_iterator(post_.begin() + static_cast<ptrdiff_t>(posts)),
                std::make_move_iterator(post_.end()));
            post_.resize(posts);
            Post([&m, &fail_member, mine = std::move(mine)]() mutable {
              int err = RunEach(mine, 0);
              if (err != 0) fail_member(m, err);
            });
          }
          continue;
        } catch (const FsError& e) {
          durable_next_ = durable;
          w->err = std::current_exception();
          // It wrote before it failed, or the store failed: only a rollback
          // of the whole transaction undoes that.
          if (store_.db().errors() != errors || store_.db().total_changes() != changes)
            throw BatchFailed{e.err};
          // A change that asks for its transaction to be retried (it waits
          // for another process that waits for this transaction) runs again
          // alone once the batch is committed.
          if (e.err == kRetry || e.err == ETIMEDOUT) {
            w->err = nullptr;
            alone.push_back(w);
          }
        } catch (...) {
          w->err = std::current_exception();
          throw BatchFailed{EIO};
        }
        // A change that failed in its checks wrote nothing to the store; what
        // it may have read into the caches or queued for after the commit
        // goes.
        store_.ClearCache();
        post_.resize(posts);
        rolled_back_opens_.resize(opens);
        lean_orphans_.resize(leans);
      }
    });
  } catch (const LateFailure& e) {
    // Committed, but the durable sync failed: the changes that asked for it
    // fail (their queued work has run), the others succeed.
    for (Member& m : members)
      if (m.w != nullptr && m.durable) fail_member(m, e.err);
  } catch (const BatchFailed&) {
    // Rolled back (Txn undid what the finished changes did outside the
    // store): the changes that had not failed run again, each alone.
    release_all();
    alone.clear();
    for (WriteReq* w : batch)
      if (!w->err) alone.push_back(w);
  } catch (...) {
    // BEGIN or COMMIT failed: nothing of the batch was committed, as for a
    // lone change whose commit fails.
    release_all();
    int err = CurrentErrno();
    for (WriteReq* w : batch)
      if (!w->err) w->err = std::make_exception_ptr(FsError{err});
    alone.clear();
  }
  for (WriteReq* w : alone) RunAlone(w);
}

bool Fs::LastAttr(struct stat* st, uint32_t* iflags) {
  if (t_last.serial != serial_) return false;
  FillStat(t_last.n, st);
  if (iflags) *iflags = t_last.n.flags;
  return true;
}

void Fs::SetAttr(const char* path, bool follow, unsigned mask, mode_t mode, uid_t uid,
                 gid_t gid, off_t size, const struct timespec ts[2]) {
  if ((mask & DINGOFS_X_SET_SIZE) && !follow) Fail(EINVAL);
  bool times = mask & (DINGOFS_X_SET_ATIME | DINGOFS_X_SET_MTIME);
  struct timespec t[2];
  if (times) {
    t[0] = (mask & DINGOFS_X_SET_ATIME) ? ts[0] : timespec{0, UTIME_OMIT};
    t[1] = (mask & DINGOFS_X_SET_MTIME) ? ts[1] : timespec{0, UTIME_OMIT};
  }
  WriteOp([&] {
    auto rest = [&] {
      if (mask & (DINGOFS_X_SET_UID | DINGOFS_X_SET_GID))
        Chown(path, -1, follow, (mask & DINGOFS_X_SET_UID) ? uid : static_cast<uid_t>(-1),
              (mask & DINGOFS_X_SET_GID) ? gid : static_cast<gid_t>(-1));
      if (mask & DINGOFS_X_SET_MODE) {
        if (!follow) {
          // No chmod of a symlink itself (Linux: EOPNOTSUPP for lchmod).
          Cred c = Cred::Current();
          if (S_ISLNK(store_.Get(ResolveIno(path, false, c)).mode)) Fail(EOPNOTSUPP);
        }
        Chmod(path, -1, mode);
      }
      if (times) Utimens(path, t, follow);
    };
    if ((mask & DINGOFS_X_SET_SIZE) && (mask & ~DINGOFS_X_SET_SIZE)) {
      // Truncating changes the data file, which no rollback puts back: the
      // other changes must be known to be allowed before it.
      Cred c = Cred::Current();
      DryRun(ResolveIno(path, true, c), rest);
    }
    if (mask & DINGOFS_X_SET_SIZE) Truncate(path, -1, size);
    rest();
    // Each change above recorded the attributes it left (a later lookup of
    // the path might no longer be allowed); with no change, look them up.
    if (mask == 0) {
      Cred c = Cred::Current();
      Remember(ResolveIno(path, follow, c));
    }
  }, (mask & DINGOFS_X_SET_SIZE) != 0);
}

void Fs::CheckLive() {
  if (!mounted_.load() || !store_.db().is_open() || generation_ != ProcessGeneration())
    Fail(ENOTCONN);
}

void Fs::CheckWritable() {
  if (read_only_) Fail(EROFS);
}

int Fs::AfterCommit(int err) {
  auto post = std::move(post_);
  post_.clear();
  err = RunEach(post, err);
  // Ask for a background checkpoint each time the WAL has grown by
  // kCheckpointFrames since the last request (it restarts from its beginning
  // once fully copied back and a writer finds no reader in it).
  // A steady stream of commits never leaves the background checkpointer a
  // moment in which it has copied everything, and the journal restarts only
  // then: once it has grown past ckpt_catch_up_frames_ and the checkpointer is
  // idle, this writer copies back the rest itself (the frames since the
  // checkpointer's pass), and the next transaction starts the journal over.
  int frames = store_.db().wal_frames();
  if (frames < ckpt_frames_) ckpt_frames_ = 0;
  if (frames >= kCheckpointHardFrames ||
      (frames >= ckpt_catch_up_frames_ && !ckpt_busy_.load())) {
    store_.db().CheckpointPassive();
    ckpt_frames_ = 0;
  } else if (frames - ckpt_frames_ >= kCheckpointFrames) {
    ckpt_frames_ = frames;
    RequestCheckpoint();
  }
  if (capacity_ > 0) {
    try {
      committed_used_ = store_.db().GetUsage().used_bytes;
    } catch (const FsError&) {
    }
  }
  return err;
}

void Fs::PutInode(const Inode& n) {
  store_.PutInode(n);
  SyncOpenInode(n);
}

void Fs::SyncOpenInode(const Inode& n) {
  auto oi = open_.inodes.find(n.ino);
  if (oi != open_.inodes.end()) {
    std::lock_guard<std::mutex> g(oi->second->mu);
    oi->second->mode = n.mode;
    oi->second->flags = n.flags;
    oi->second->uid = n.uid;
  }
}

void Fs::TouchDir(uint64_t dir, int64_t now) {
  Inode d = store_.Get(dir);
  d.mtime = d.ctime = now;
  PutInode(d);
}

void Fs::CheckNewName(const std::string& name) {
  if (name.size() > static_cast<size_t>(opts_.max_name_length)) Fail(ENAMETOOLONG);
}

bool Fs::Reclaim(const Inode& n, bool listed) {
  if (S_ISREG(n.mode)) {
    // Still open here, or (probe lock busy) in another handle or process.
    if (open_.inodes.count(n.ino)) return false;
    if (OfdLock(probefd_, OpenLockOff(n.ino), F_WRLCK, false) != 0) return false;
    int pfd = probefd_;
    uint64_t ino = n.ino;
    Post([pfd, ino] { OfdLock(pfd, OpenLockOff(ino), F_UNLCK, false); });
  }
  if (lean_) {
    lean_orphans_.push_back(n.ino);  // an orphan for now, see ReclaimLeanOrphans
    return false;
  }
  bool inl = store_.db().DeleteInode(n.ino, listed);
  if (S_ISREG(n.mode) && !inl) {  // an inline file has no data file
    std::string path = DataPath(data_dir_, n.ino);
    Post([this, path] {
      if (unlink(path.c_str()) != 0 && errno != ENOENT) leftovers_.push_back(path);
    });
  }
  store_.db().AddUsage(-1, -n.alloc);
  store_.ForgetInode(n.ino);
  return true;
}

bool Fs::TryReclaim(uint64_t ino) {
  Inode n;
  if (!store_.Find(ino, &n) || n.nlink != 0) return false;
  if (Reclaim(n, true)) return true;
  store_.db().AddOrphan(ino);
  return false;
}

void Fs::DropLink(Inode& n, int64_t now) {
  if (n.nlink > 0) n.nlink--;
  n.ctime = now;
  if (n.nlink == 0 && !S_ISDIR(n.mode)) {
    // The last name: free it now unless someone still has it open.
    if (Reclaim(n, false)) return;
    PutInode(n);
    store_.db().AddOrphan(n.ino);
    return;
  }
  PutInode(n);
}

Inode Fs::Attr(uint64_t ino) {
  Inode n = store_.Get(ino);
  auto it = open_.inodes.find(ino);
  if (it != open_.inodes.end()) {
    OpenInode* oi = it->second.get();
    std::lock_guard<std::mutex> g(oi->mu);
    if (oi->dirty) {
      n.size = oi->size;
      n.mtime = oi->mtime;
      // A change of the inode since the write (chmod, chown, an xattr, ...)
      // is the later change.
      n.ctime = std::max(oi->ctime, n.ctime);
      if (oi->inl) {
        n.alloc = static_cast<int64_t>(oi->data.size());
      } else if (oi->hostfd >= 0) {
        n.alloc = AllocatedBytes(oi->hostfd);
      }
    }
  }
  return n;
}

void Fs::FillStat(const Inode& n, struct stat* st) {
  memset(st, 0, sizeof *st);
  st->st_dev = 0;
  st->st_ino = n.ino;
  st->st_mode = n.mode;
  st->st_nlink = n.nlink;
  st->st_uid = n.uid;
  st->st_gid = n.gid;
  st->st_rdev = n.rdev;
  st->st_size = S_ISDIR(n.mode) ? 4096 : n.size;
  st->st_blksize = 4096;
  st->st_blocks = S_ISDIR(n.mode) ? 8 : (n.alloc + 511) / 512;
  st->st_atim = ToTs(n.atime);
  st->st_mtim = ToTs(n.mtime);
  st->st_ctim = ToTs(n.ctime);
}

// ---------------------------------------------------------------- attributes

void Fs::Stat(const char* path, bool follow, struct stat* st, uint32_t* iflags) {
  ReadOp([&] {
    Cred c = Cred::Current();
    uint64_t ino = ResolveIno(path, follow, c);
    Inode n = Attr(ino);
    FillStat(n, st);
    if (iflags) *iflags = (S_ISREG(n.mode) || S_ISDIR(n.mode)) ? n.flags : 0;
  });
}

void Fs::Fstat(int fd, struct stat* st, uint32_t* iflags) {
  auto of = GetFd(fd);
  ReadOp([&] {
    Inode n;
    if (!store_.Find(of->ino, &n)) {
      // Removed directory still open: report it with no links.
      n.ino = of->ino;
      n.mode = of->is_dir ? (S_IFDIR | 0755) : S_IFREG;
      n.nlink = 0;
    } else {
      n = Attr(of->ino);
    }
    FillStat(n, st);
    if (iflags) *iflags = (S_ISREG(n.mode) || S_ISDIR(n.mode)) ? n.flags : 0;
  });
}

void Fs::Chmod(const char* path, int fd, mode_t mode) {
  std::shared_ptr<OpenFile> of;
  if (path == nullptr) of = GetFd(fd);
  WriteOp([&] {
    Cred c = Cred::Current();
    uint64_t ino = of ? of->ino : ResolveIno(path, true, c);
    Inode n = store_.Get(ino);
    CheckOwner(n, c);
    CheckNotImmutable(n);
    if (n.flags & kAppend) Fail(EPERM);
    mode_t m = mode & 07777;
    if (!c.root() && !S_ISDIR(n.mode) && !c.InGroup(n.gid)) m &= ~S_ISGID;
    n.mode = (n.mode & S_IFMT) | m;
    n.ctime = NowNs();
    PutInode(n);
    Remember(ino);
  });
}

void Fs::Chown(const char* path, int fd, bool follow, uid_t uid, gid_t gid) {
  std::shared_ptr<OpenFile> of;
  if (path == nullptr) of = GetFd(fd);
  WriteOp([&] {
    Cred c = Cred::Current();
    uint64_t ino = of ? of->ino : ResolveIno(path, follow, c);
    Inode n = store_.Get(ino);
    bool set_uid = uid != static_cast<uid_t>(-1);
    bool set_gid = gid != static_cast<gid_t>(-1);
    if (!c.root()) {
      if (set_uid && uid != n.uid) Fail(EPERM);
      if (set_gid && gid != n.gid && (c.uid() != n.uid || !c.InGroup(gid))) Fail(EPERM);
      if ((set_uid || set_gid) && c.uid() != n.uid) Fail(EPERM);
    }
    CheckNotImmutable(n);
    if (n.flags & kAppend) Fail(EPERM);
    if (set_uid) n.uid = uid;
    if (set_gid) n.gid = gid;
    if ((set_uid || set_gid) && !S_ISDIR(n.mode)) {
      n.mode &= ~S_ISUID;
      if (n.mode & S_IXGRP) n.mode &= ~S_ISGID;
    }
    n.ctime = NowNs();
    PutInode(n);
    Remember(ino);
  });
}

void Fs::Utimens(const char* path, const struct timespec ts[2], bool follow) {
  int64_t now = NowNs();
  bool both_now = ts == nullptr || (ts[0].tv_nsec == UTIME_NOW && ts[1].tv_nsec == UTIME_NOW);
  if (ts != nullptr) {
    for (int i = 0; i < 2; i++) {
      long ns = ts[i].tv_nsec;
      if (ns != UTIME_NOW && ns != UTIME_OMIT && (ns < 0 || ns >= 1000000000L)) Fail(EINVAL);
    }
    if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT) {
      ReadOp([&] {
        Cred c = Cred::Current();
        Remember(ResolveIno(path, follow, c));
      });
      return;
    }
  }
  WriteOp([&] {
    Cred c = Cred::Current();
    uint64_t ino = ResolveIno(path, follow, c);
    Inode n = store_.Get(ino);
    CheckNotImmutable(n);
    if (both_now) {
      if (!c.root() && c.uid() != n.uid && !MayAccess(n, W_OK, c)) Fail(EACCES);
    } else {
      if (n.flags & kAppend) Fail(EPERM);
      CheckOwner(n, c);
    }
    auto pick = [&](int i, int64_t cur) -> int64_t {
      if (ts == nullptr || ts[i].tv_nsec == UTIME_NOW) return now;
      if (ts[i].tv_nsec == UTIME_OMIT) return cur;
      // Times are stored as int64 nanoseconds; like the kernel, which clamps
      // to the range a filesystem can store, out-of-range seconds saturate.
      constexpr int64_t kMaxSec = INT64_MAX / 1000000000LL - 1;
      int64_t sec = static_cast<int64_t>(ts[i].tv_sec);
      if (sec > kMaxSec) sec = kMaxSec;
      if (sec < -kMaxSec) sec = -kMaxSec;
      return sec * 1000000000LL + ts[i].tv_nsec;
    };
    auto it = open_.inodes.find(ino);
    if (it != open_.inodes.end()) {
      // What this process wrote and has not committed (the size and times,
      // and an inline file's bytes, which live in memory until then) goes
      // into the store first, in this transaction: nothing written is lost,
      // and the close finds nothing left to commit over the times set here.
      std::shared_ptr<OpenInode> oi = it->second;
      CommitOpen(oi, false, 0);
      n = store_.Get(ino);
    }
    n.atime = pick(0, n.atime);
    n.mtime = pick(1, n.mtime);
    n.ctime = now;
    PutInode(n);
    Remember(ino);
  });
}

void Fs::Access(const char* path, int mode) {
  if (mode & ~(R_OK | W_OK | X_OK)) Fail(EINVAL);
  ReadOp([&] {
    Cred c = Cred::Current();
    uint64_t ino = ResolveIno(path, true, c);
    Inode n = store_.Get(ino);
    if (mode == F_OK) return;
    if ((mode & W_OK) && read_only_ && !S_ISFIFO(n.mode) && !S_ISSOCK(n.mode) &&
        !S_ISCHR(n.mode) && !S_ISBLK(n.mode))
      Fail(EROFS);
    if ((mode & W_OK) && (n.flags & kImmutable)) Fail(EPERM);
    CheckAccess(n, mode, c);
  });
}

void Fs::Statfs(dingofs_statfs_t* st) {
  ReadOp([&] {
    Usage u = store_.db().GetUsage();
    int64_t pending = 0;
    for (auto& kv : open_.inodes) {
      std::lock_guard<std::mutex> g(kv.second->mu);
      if (kv.second->dirty && kv.second->hostfd >= 0) {
        Inode n;
        if (store_.Find(kv.first, &n)) pending += AllocatedBytes(kv.second->hostfd) - n.alloc;
      }
    }
    st->used_inodes = u.used_inodes;
    st->used_bytes = u.used_bytes + pending;
    if (st->used_bytes < 0) st->used_bytes = 0;
    if (capacity_ > 0) {
      st->total_bytes = capacity_;
    } else {
      struct statvfs sv;
      if (statvfs(data_dir_.c_str(), &sv) != 0) Fail(errno);
      st->total_bytes = static_cast<int64_t>(sv.f_blocks) * static_cast<int64_t>(sv.f_frsize);
      // The space reserve of the store is not there for data.
      struct stat ds, rs;
      if (reserve_fd_ >= 0 && fstat(reserve_fd_, &rs) == 0 && stat(data_dir_.c_str(), &ds) == 0 &&
          ds.st_dev == rs.st_dev)
        st->total_bytes -= reserve_size_;
    }
    st->total_inodes = store_.inode_limit() > 0 ? store_.inode_limit() : (int64_t{1} << 40);
  });
}

// ---------------------------------------------------------------- namespace

void Fs::Mkdir(const char* path, mode_t mode) {
  WriteOp([&] {
    Cred c = Cred::Current();
    Lookup l = Resolve(path, false, c, true);
    CheckCreatable(l, true);
    CheckNewName(l.name);
    Inode p = store_.Get(l.parent);
    CheckMayCreate(p, c);
    int64_t now = NowNs();
    Inode n;
    n.mode = S_IFDIR | (mode & 01777);
    SetNewOwner(n, p, c);
    if (p.mode & S_ISGID) n.mode |= S_ISGID;  // set-gid directories pass it on
    n.nlink = 2;
    n.parent = l.parent;
    n.atime = n.mtime = n.ctime = now;
    store_.NewInode(&n);
    store_.AddEntry(l.parent, l.name, n.ino);
    p.nlink++;
    p.mtime = p.ctime = now;
    PutInode(p);
    Remember(n.ino);
  });
}

void Fs::Mkdirs(const char* path, mode_t mode) {
  size_t len = strlen(path);
  if (len == 0) Fail(ENOENT);
  if (len > kMaxPathLen) Fail(ENAMETOOLONG);
  std::string p(path);
  // Walk prefixes: each existing one must be a directory.
  size_t pos = 0;
  std::vector<std::string> prefixes;
  while (pos < p.size()) {
    while (pos < p.size() && p[pos] == '/') pos++;
    if (pos >= p.size()) break;
    size_t e = p.find('/', pos);
    if (e == std::string::npos) e = p.size();
    prefixes.push_back(p.substr(0, e));
    pos = e;
  }
  if (prefixes.empty()) return;  // "/"
  for (size_t i = 0; i < prefixes.size(); i++) {
    bool last = i + 1 == prefixes.size();
    struct stat st;
    try {
      Stat(prefixes[i].c_str(), true, &st, nullptr);
      if (!S_ISDIR(st.st_mode)) Fail(last ? EEXIST : ENOTDIR);
      continue;
    } catch (const FsError& e) {
      if (e.err != ENOENT) throw;
    }
    try {
      Mkdir(prefixes[i].c_str(), mode);
    } catch (const FsError& e) {
      if (e.err != EEXIST) throw;
      Stat(prefixes[i].c_str(), true, &st, nullptr);
      if (!S_ISDIR(st.st_mode)) Fail(last ? EEXIST : ENOTDIR);
    }
  }
}

void Fs::Rmdir(const char* path) {
  WriteOp([&] {
    Cred c = Cred::Current();
    Lookup l = Resolve(path, false, c, true);
    if (l.name == ".") Fail(EINVAL);
    if (l.name == "..") Fail(ENOTEMPTY);
    if (l.parent == 0) Fail(EBUSY);
    CheckFinal(l);
    if (l.ino == 0) Fail(ENOENT);
    Inode n = store_.Get(l.ino);
    Inode p = store_.Get(l.parent);
    CheckMayDelete(p, n, true, c);
    if (!store_.db().DirEmpty(n.ino)) Fail(ENOTEMPTY);
    int64_t now = NowNs();
    store_.DelEntry(l.parent, l.name);
    if (lean_) {
      n.nlink = 0;  // an orphan for now, see ReclaimLeanOrphans
      n.ctime = now;
      PutInode(n);
      store_.db().AddOrphan(n.ino);
      lean_orphans_.push_back(n.ino);
    } else {
      store_.db().DeleteInode(n.ino);
      store_.db().AddUsage(-1, 0);
      store_.ForgetInode(n.ino);
    }
    p = store_.Get(l.parent);
    if (p.nlink > 2) p.nlink--;
    p.mtime = p.ctime = now;
    PutInode(p);
  }, true);
}

void Fs::Unlink(const char* path) {
  WriteOp([&] {
    Cred c = Cred::Current();
    Lookup l = Resolve(path, false, c, true);
    if (l.parent == 0 || IsDots(l.name)) Fail(EISDIR);
    CheckFinal(l);
    if (l.ino == 0) Fail(ENOENT);
    Inode n = store_.Get(l.ino);
    if (l.trailing_slash) Fail(S_ISDIR(n.mode) ? EISDIR : ENOTDIR);
    Inode p = store_.Get(l.parent);
    CheckMayDelete(p, n, false, c);
    int64_t now = NowNs();
    store_.DelEntry(l.parent, l.name);
    DropLink(n, now);
    TouchDir(l.parent, now);
  }, true);
}

void Fs::Link(const char* oldpath, const char* newpath) {
  WriteOp([&] {
    Cred c = Cred::Current();
    uint64_t ino = ResolveIno(oldpath, false, c);
    Lookup l = Resolve(newpath, false, c, true);
    CheckCreatable(l, false);
    CheckNewName(l.name);
    Inode p = store_.Get(l.parent);
    CheckMayCreate(p, c);
    Inode n = store_.Get(ino);
    CheckRemovable(n);  // append-only and immutable files get no new links
    if (S_ISDIR(n.mode)) Fail(EPERM);
    if (n.nlink == 0) Fail(ENOENT);
    if (n.nlink >= 65000) Fail(EMLINK);
    int64_t now = NowNs();
    n = store_.Get(ino);
    n.nlink++;
    n.ctime = now;
    PutInode(n);
    store_.AddEntry(l.parent, l.name, ino);
    TouchDir(l.parent, now);
    Remember(ino);
  });
}

void Fs::Symlink(const char* target, const char* linkpath) {
  size_t tl = strlen(target);
  if (tl == 0) Fail(ENOENT);
  if (tl > kMaxPathLen) Fail(ENAMETOOLONG);
  WriteOp([&] {
    Cred c = Cred::Current();
    Lookup l = Resolve(linkpath, false, c, true);
    CheckCreatable(l, false);
    CheckNewName(l.name);
    Inode p = store_.Get(l.parent);
    CheckMayCreate(p, c);
    int64_t now = NowNs();
    Inode n;
    n.mode = S_IFLNK | 0777;
    SetNewOwner(n, p, c);
    n.nlink = 1;
    n.size = static_cast<int64_t>(tl);
    n.alloc = static_cast<int64_t>(tl);
    n.target.assign(target, tl);
    n.parent = l.parent;
    n.atime = n.mtime = n.ctime = now;
    store_.NewInode(&n);
    store_.AddEntry(l.parent, l.name, n.ino);
    TouchDir(l.parent, now);
    Remember(n.ino);
  });
}

ssize_t Fs::Readlink(const char* path, char* buf, size_t bufsz) {
  return ReadOp([&]() -> ssize_t {
    Cred c = Cred::Current();
    uint64_t ino = ResolveIno(path, false, c);
    Inode n = store_.Get(ino);
    if (!S_ISLNK(n.mode)) Fail(EINVAL);
    size_t k = n.target.size() < bufsz ? n.target.size() : bufsz;
    memcpy(buf, n.target.data(), k);
    return static_cast<ssize_t>(k);
  });
}

void Fs::Mknod(const char* path, mode_t mode, dev_t dev) {
  mode_t type = mode & S_IFMT;
  if (type == 0) type = S_IFREG;
  if (type == S_IFDIR) Fail(EPERM);  // Linux: mknod makes no directories
  if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR &&
      type != S_IFBLK)
    Fail(EINVAL);
  WriteOp([&] {
    Cred c = Cred::Current();
    Lookup l = Resolve(path, false, c, true);
    CheckCreatable(l, false);
    CheckNewName(l.name);
    Inode p = store_.Get(l.parent);
    CheckMayCreate(p, c);
    if ((type == S_IFCHR || type == S_IFBLK) && !c.root()) Fail(EPERM);  // CAP_MKNOD
    int64_t now = NowNs();
    Inode n;
    n.mode = type | (mode & 07777);
    SetNewOwner(n, p, c);
    n.nlink = 1;
    n.rdev = (type == S_IFCHR || type == S_IFBLK) ? dev : 0;
    n.parent = l.parent;
    n.dirty = S_ISREG(n.mode) ? 1 : 0;
    n.atime = n.mtime = n.ctime = now;
    store_.NewInode(&n);
    store_.AddEntry(l.parent, l.name, n.ino);
    TouchDir(l.parent, now);
    Remember(n.ino);
  });
}

void Fs::Rename(const char* src, const char* dst, unsigned flags) {
  if (flags & ~(DINGOFS_X_RENAME_NOREPLACE | DINGOFS_X_RENAME_EXCHANGE)) Fail(EINVAL);
  if ((flags & DINGOFS_X_RENAME_NOREPLACE) && (flags & DINGOFS_X_RENAME_EXCHANGE)) Fail(EINVAL);
  bool exchange = flags & DINGOFS_X_RENAME_EXCHANGE;
  WriteOp([&] {
    Cred c = Cred::Current();
    // Linux's order: both parents, the kinds of final names, the source's
    // lookup, the target's, trailing slashes, loops, then the permission
    // and type checks of vfs_rename, then emptiness.
    Lookup s = Resolve(src, false, c, true);
    Lookup d = Resolve(dst, false, c, true);
    if (s.parent == 0 || IsDots(s.name)) Fail(EBUSY);
    if (d.parent == 0 || IsDots(d.name)) Fail((flags & DINGOFS_X_RENAME_NOREPLACE) ? EEXIST : EBUSY);
    CheckFinal(s);
    if (s.ino == 0) Fail(ENOENT);
    CheckFinal(d);
    if ((flags & DINGOFS_X_RENAME_NOREPLACE) && d.ino != 0) Fail(EEXIST);
    Inode sn = store_.Get(s.ino);
    Inode dn;
    if (d.ino != 0) dn = store_.Get(d.ino);
    if (exchange) {
      if (d.ino == 0) Fail(ENOENT);
      if (!S_ISDIR(dn.mode) && d.trailing_slash) Fail(ENOTDIR);
    }
    if (!S_ISDIR(sn.mode) && (s.trailing_slash || (!exchange && d.trailing_slash))) Fail(ENOTDIR);
    auto under = [&](uint64_t start, uint64_t anc) {
      uint64_t cur = start;
      for (int i = 0; i < 100000; i++) {
        if (cur == anc) return true;
        if (cur == kRootIno) return false;
        cur = store_.Get(cur).parent;
      }
      return false;
    };
    // The source may not be an ancestor of the target's directory, nor the
    // target one of the source's.
    if (S_ISDIR(sn.mode) && under(d.parent, s.ino)) Fail(EINVAL);
    if (d.ino != 0 && S_ISDIR(dn.mode) && under(s.parent, d.ino))
      Fail(exchange ? EINVAL : ENOTEMPTY);
    if (d.ino == s.ino) return;
    CheckNewName(d.name);
    Inode sp = store_.Get(s.parent);
    Inode dpx;
    bool same_parent = s.parent == d.parent;
    if (!same_parent) dpx = store_.Get(d.parent);
    Inode& dp = same_parent ? sp : dpx;
    CheckMayDelete(sp, sn, S_ISDIR(sn.mode), c);
    if (d.ino == 0) {
      CheckMayCreate(dp, c);
    } else {
      CheckMayDelete(dp, dn, exchange ? S_ISDIR(dn.mode) : S_ISDIR(sn.mode), c);
    }
    if (!same_parent && !c.root()) {
      if (S_ISDIR(sn.mode)) CheckAccess(sn, W_OK, c);
      if (exchange && S_ISDIR(dn.mode)) CheckAccess(dn, W_OK, c);
    }
    if (d.ino != 0 && !exchange && S_ISDIR(dn.mode) && !store_.db().DirEmpty(dn.ino))
      Fail(ENOTEMPTY);
    int64_t now = NowNs();
    if (exchange) {
      store_.SetEntry(s.parent, s.name, d.ino);
      store_.SetEntry(d.parent, d.name, s.ino);
      if (!same_parent) {
        bool sdir = S_ISDIR(sn.mode), ddir = S_ISDIR(dn.mode);
        if (sdir && !ddir) {
          sp.nlink--;
          dp.nlink++;
        } else if (!sdir && ddir) {
          sp.nlink++;
          dp.nlink--;
        }
        if (sdir) sn.parent = d.parent;
        if (ddir) dn.parent = s.parent;
      }
      sn.ctime = dn.ctime = now;
      PutInode(dn);
    } else {
      if (d.ino != 0) {
        if (S_ISDIR(dn.mode)) {
          store_.db().DeleteInode(dn.ino);
          store_.db().AddUsage(-1, 0);
          store_.ForgetInode(dn.ino);
          dp.nlink--;
        } else {
          DropLink(dn, now);
        }
        store_.SetEntry(d.parent, d.name, s.ino);
      } else {
        store_.AddEntry(d.parent, d.name, s.ino);
      }
      store_.DelEntry(s.parent, s.name);
      if (S_ISDIR(sn.mode) && !same_parent) {
        sp.nlink--;
        dp.nlink++;
        sn.parent = d.parent;
      }
      sn.ctime = now;
    }
    PutInode(sn);
    sp.mtime = sp.ctime = now;
    PutInode(sp);
    if (!same_parent) {
      dp.mtime = dp.ctime = now;
      PutInode(dp);
    }
  }, true);
}

// ---------------------------------------------------------------- xattrs

namespace {

enum class Ns { kUser, kTrusted, kSecurity, kSystem };

// Linux checks an attribute name in two steps: its length when the name is
// copied in (before the path is looked up), its namespace once the inode is
// known.
void CheckXattrName(const char* name) {
  size_t len = strlen(name);
  if (len == 0 || len > 255) Fail(ERANGE);
}

Ns XattrNs(const char* name) {
  size_t pre;
  Ns ns;
  if (strncmp(name, "user.", 5) == 0) {
    ns = Ns::kUser, pre = 5;
  } else if (strncmp(name, "trusted.", 8) == 0) {
    ns = Ns::kTrusted, pre = 8;
  } else if (strncmp(name, "security.", 9) == 0) {
    ns = Ns::kSecurity, pre = 9;
  } else if (strncmp(name, "system.", 7) == 0) {
    ns = Ns::kSystem, pre = 7;
  } else {
    Fail(EOPNOTSUPP);
  }
  if (name[pre] == '\0') Fail(EINVAL);  // a namespace prefix alone
  return ns;
}

bool HasPrefix(const char* name, const char* prefix) {
  return strncmp(name, prefix, strlen(prefix)) == 0;
}

// Linux's xattr_permission (plus the capability rule for security.*), which
// runs before the namespace itself is looked at: a write to an immutable or
// append-only inode is EPERM, trusted.* is for root, user.* only exists on
// regular files and directories (and a sticky directory's only for its
// owner), everything else needs the inode's read or write permission.
void CheckXattrAccess(const Inode& n, const char* name, bool write, Cred& c) {
  if (write && (n.flags & (kImmutable | kAppend))) Fail(EPERM);
  if (HasPrefix(name, "system.")) return;
  if (HasPrefix(name, "security.")) {
    if (write && !c.root()) Fail(EPERM);
    return;
  }
  if (HasPrefix(name, "trusted.")) {
    if (!c.root()) Fail(write ? EPERM : ENODATA);
    return;
  }
  if (HasPrefix(name, "user.")) {
    if (!S_ISREG(n.mode) && !S_ISDIR(n.mode)) Fail(write ? EPERM : ENODATA);
    if (write && S_ISDIR(n.mode) && (n.mode & S_ISVTX) && !c.root() && c.uid() != n.uid)
      Fail(EPERM);
  }
  CheckAccess(n, write ? W_OK : R_OK, c);
}

}  // namespace

int Fs::SetXattr(const char* path, const char* name, const void* value, size_t size, int flags) {
  if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) Fail(EINVAL);
  CheckXattrName(name);
  if (size > 65536) Fail(E2BIG);
  WriteOp([&] {
    Cred c = Cred::Current();
    uint64_t ino = ResolveIno(path, true, c);
    Inode n = store_.Get(ino);
    CheckXattrAccess(n, name, true, c);
    Ns ns = XattrNs(name);
    if (ns == Ns::kSystem) CheckOwner(n, c);
    bool exists = store_.db().HasXattr(ino, name);
    if ((flags & XATTR_CREATE) && exists) Fail(EEXIST);
    if ((flags & XATTR_REPLACE) && !exists) Fail(ENODATA);
    store_.db().SetXattr(ino, name, std::string(static_cast<const char*>(value ? value : ""), size),
                 exists);
    n.ctime = NowNs();
    PutInode(n);
  });
  return 0;
}

ssize_t Fs::GetXattr(const char* path, const char* name, void* value, size_t size) {
  CheckXattrName(name);
  return ReadOp([&]() -> ssize_t {
    Cred c = Cred::Current();
    uint64_t ino = ResolveIno(path, true, c);
    Inode n = store_.Get(ino);
    CheckXattrAccess(n, name, false, c);
    XattrNs(name);
    std::string v;
    if (!store_.db().GetXattr(ino, name, &v)) Fail(ENODATA);
    if (size == 0) return static_cast<ssize_t>(v.size());
    if (v.size() > size) Fail(ERANGE);
    memcpy(value, v.data(), v.size());
    return static_cast<ssize_t>(v.size());
  });
}

ssize_t Fs::ListXattr(const char* path, char* list, size_t size) {
  return ReadOp([&]() -> ssize_t {
    Cred c = Cred::Current();
    uint64_t ino = ResolveIno(path, true, c);
    std::string all;
    for (auto& n : store_.db().ListXattr(ino)) {
      if (!c.root() && n.compare(0, 8, "trusted.") == 0) continue;
      all += n;
      all.push_back('\0');
    }
    if (size == 0) return static_cast<ssize_t>(all.size());
    if (all.size() > size) Fail(ERANGE);
    memcpy(list, all.data(), all.size());
    return static_cast<ssize_t>(all.size());
  });
}

void Fs::RemoveXattr(const char* path, const char* name) {
  CheckXattrName(name);
  WriteOp([&] {
    Cred c = Cred::Current();
    uint64_t ino = ResolveIno(path, true, c);
    Inode n = store_.Get(ino);
    CheckXattrAccess(n, name, true, c);
    Ns ns = XattrNs(name);
    if (ns == Ns::kSystem) CheckOwner(n, c);
    if (!store_.db().DelXattr(ino, name)) Fail(ENODATA);
    n.ctime = NowNs();
    PutInode(n);
  }, true);
}

// ---------------------------------------------------------------- ioctl

void Fs::Ioctl(int fd, unsigned int cmd, void* arg) {
  auto of = GetFd(fd);
  const unsigned kGet = FS_IOC_GETFLAGS, kSet = FS_IOC_SETFLAGS;
  const unsigned kGet32 = FS_IOC32_GETFLAGS, kSet32 = FS_IOC32_SETFLAGS;
  const unsigned kFsx = FS_IOC_FSGETXATTR;
  if (cmd != kGet && cmd != kSet && cmd != kGet32 && cmd != kSet32 && cmd != kFsx)
    Fail(EOPNOTSUPP);
  size_t sz = _IOC_SIZE(cmd);
  if (cmd == kGet || cmd == kGet32 || cmd == kFsx) {
    Inode n = ReadOp([&] { return Attr(of->ino); });
    if (cmd == kFsx) {
      struct fsxattr fx;
      memset(&fx, 0, sizeof fx);
      uint32_t x = 0;
      if (n.flags & FS_IMMUTABLE_FL) x |= FS_XFLAG_IMMUTABLE;
      if (n.flags & FS_APPEND_FL) x |= FS_XFLAG_APPEND;
      if (n.flags & FS_SYNC_FL) x |= FS_XFLAG_SYNC;
      if (n.flags & FS_NOATIME_FL) x |= FS_XFLAG_NOATIME;
      if (n.flags & FS_NODUMP_FL) x |= FS_XFLAG_NODUMP;
      if (n.flags & FS_PROJINHERIT_FL) x |= FS_XFLAG_PROJINHERIT;
      fx.fsx_xflags = x;
      memcpy(arg, &fx, sz < sizeof fx ? sz : sizeof fx);
    } else {
      uint64_t v = n.flags;
      if (sz == 8) {
        memcpy(arg, &v, 8);
      } else {
        uint32_t v32 = n.flags;
        memcpy(arg, &v32, 4);
      }
    }
    return;
  }
  uint32_t nf;
  if (sz == 8) {
    uint64_t v;
    memcpy(&v, arg, 8);
    nf = static_cast<uint32_t>(v);
  } else {
    memcpy(&nf, arg, 4);
  }
  WriteOp([&] {
    Cred c = Cred::Current();
    Inode n = store_.Get(of->ino);
    CheckOwner(n, c);
    uint32_t changed = (n.flags ^ nf);
    if ((changed & (kImmutable | kAppend)) && !c.root()) Fail(EPERM);
    if ((n.flags & (kImmutable | kAppend)) && !c.root() && changed) Fail(EPERM);
    n.flags = nf;
    n.ctime = NowNs();
    PutInode(n);
  });
}

// ---------------------------------------------------------------- directories

uint64_t Fs::Opendir(const char* path) {
  uint64_t ino = ReadOp([&] {
    Cred c = Cred::Current();
    uint64_t i = ResolveIno(path, true, c);
    Inode n = store_.Get(i);
    if (!S_ISDIR(n.mode)) Fail(ENOTDIR);
    CheckAccess(n, R_OK, c);
    return i;
  });
  auto dh = std::make_shared<DirHandle>();
  dh->ino = ino;
  return open_.AddDir(dh);
}

int Fs::Readdir(uint64_t id, dingofs_dirent_t* buf, int count) {
  std::shared_ptr<DirHandle> dh = open_.Dir(id);
  std::lock_guard<std::mutex> dg(dh->mu);
  int n = 0;
  auto put = [&](const std::string& name, uint64_t ino, uint8_t type) {
    dingofs_dirent_t& e = buf[n++];
    memset(&e, 0, sizeof e);
    e.d_ino = ino;
    e.d_type = type;
    memcpy(e.d_name, name.data(), name.size() < 255 ? name.size() : 255);
  };
  ReadOp([&] {
    while (n < count && dh->stage < 2) {
      if (dh->stage == 0) {
        put(".", dh->ino, DT_DIR);
      } else {
        Inode d;
        put("..", store_.Find(dh->ino, &d) ? d.parent : kRootIno, DT_DIR);
      }
      dh->stage++;
    }
    if (n < count && !dh->eof) {
      std::vector<DirEntryRow> rows;
      store_.db().ListDir(dh->ino, dh->cursor, count - n, &rows);
      if (static_cast<int>(rows.size()) < count - n) dh->eof = true;
      for (auto& r : rows) {
        put(r.name, r.ino, DType(r.mode));
        dh->cursor = r.name;
      }
    }
  });
  return n;
}

int Fs::ReaddirPlus(uint64_t id, dingofs_x_direntplus_t* buf, int count) {
  std::shared_ptr<DirHandle> dh = open_.Dir(id);
  std::lock_guard<std::mutex> dg(dh->mu);
  int n = 0;
  ReadOp([&] {
    dh->stage = 2;
    if (dh->eof) return;
    std::vector<std::pair<std::string, Inode>> rows;
    store_.db().ListDirPlus(dh->ino, dh->cursor, count, &rows);
    if (static_cast<int>(rows.size()) < count) dh->eof = true;
    for (auto& r : rows) {
      dingofs_x_direntplus_t& e = buf[n++];
      memset(&e, 0, sizeof e);
      Inode a = r.second;
      if (open_.inodes.count(a.ino)) a = Attr(a.ino);
      e.dirent.d_ino = a.ino;
      e.dirent.d_type = DType(a.mode);
      memcpy(e.dirent.d_name, r.first.data(), r.first.size() < 255 ? r.first.size() : 255);
      FillStat(a, &e.st);
      e.flags = (S_ISREG(a.mode) || S_ISDIR(a.mode)) ? a.flags : 0;
      dh->cursor = r.first;
    }
  });
  return n;
}

void Fs::Closedir(uint64_t id) {
  open_.RemoveDir(id);
}

}  // namespace dingofs

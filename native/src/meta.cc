// SQLite metadata store. Every statement is prepared once per connection and
// reset after use; busy waits are bounded by the caller's deadline.
#include "meta.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <random>
#include <unordered_set>
#include <vector>

#include "common.h"
#include "log.h"
#include "walbuf.h"

namespace dingofs {

namespace {
// Serialises the creation of database files with the opening of connections.
std::mutex g_create_mu;

// The store gate (see StoreSection). Writers are preferred, so a fork is not
// starved by a steady stream of calls; sections nest through a per-thread
// depth, so a thread never waits for the gate while it holds it.
// A pointer, so that a forked child can start from a fresh lock: the
// inherited one may still record parent threads that were waiting for it.
pthread_rwlock_t* g_gate = nullptr;
pthread_once_t g_gate_once = PTHREAD_ONCE_INIT;
thread_local int t_gate_depth = 0;

pthread_rwlock_t* NewGate() {
  auto* lock = new pthread_rwlock_t;
  pthread_rwlockattr_t a;
  pthread_rwlockattr_init(&a);
  pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  pthread_rwlock_init(lock, &a);
  pthread_rwlockattr_destroy(&a);
  return lock;
}

void InitGate() {
  EnsureForkHandlers();
  g_gate = NewGate();
}

// Open connections of this process (guarded by g_open_mu, always taken
// inside a section or by the fork handlers while they hold the gate).
std::mutex g_open_mu;
std::unordered_set<MetaDb*>* g_open = nullptr;

void TrackOpen(MetaDb* db, bool open) {
  std::lock_guard<std::mutex> g(g_open_mu);
  if (g_open == nullptr) g_open = new std::unordered_set<MetaDb*>();
  if (open) {
    g_open->insert(db);
  } else {
    g_open->erase(db);
  }
}

}  // namespace

StoreSection::StoreSection() {
  if (t_gate_depth++ > 0) return;
  pthread_once(&g_gate_once, InitGate);
  lock_ = g_gate;
  pthread_rwlock_rdlock(lock_);
}

StoreSection::~StoreSection() {
  t_gate_depth--;
  if (lock_ != nullptr) pthread_rwlock_unlock(lock_);
}

void StoreForkPrepare() {
  pthread_once(&g_gate_once, InitGate);
  // A thread that forks from inside a section (a callback) would wait for
  // itself: let it through, as before this gate existed.
  if (t_gate_depth == 0) pthread_rwlock_wrlock(g_gate);
  g_open_mu.lock();
}

void StoreForkParent() {
  g_open_mu.unlock();
  if (t_gate_depth == 0) pthread_rwlock_unlock(g_gate);
}

void StoreForkChild() {
  std::vector<MetaDb*> inherited;
  if (g_open != nullptr) inherited.assign(g_open->begin(), g_open->end());
  if (g_open != nullptr) g_open->clear();
  g_open_mu.unlock();
  // A fresh gate (the old one is leaked on purpose). A section of the forking
  // thread that is still open releases the lock it took, which is harmless.
  g_gate = NewGate();
  for (MetaDb* db : inherited) db->CloseInherited();
}

const char kInodeColumns[] =
    "ino,mode,uid,gid,nlink,size,rdev,atime_ns,mtime_ns,ctime_ns,flags,dirty,alloc,parent,target";

namespace {

// Resets a cached statement when it goes out of scope.
class Q {
 public:
  Q(MetaDb* db, const char* sql) : db_(db), s_(db->Prep(sql)) {}
  ~Q() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Q& I(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Q& B(int i, const std::string& v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Q& T(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  bool Row() { return db_->Step(s_) == SQLITE_ROW; }
  void Run() {
    while (db_->Step(s_) == SQLITE_ROW) {
    }
  }
  int64_t Int(int c) { return sqlite3_column_int64(s_, c); }
  std::string Blob(int c) {
    const void* p = sqlite3_column_blob(s_, c);
    int n = sqlite3_column_bytes(s_, c);
    return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
  }
  sqlite3_stmt* s() { return s_; }

 private:
  MetaDb* db_;
  sqlite3_stmt* s_;
};

std::string ColBlob(sqlite3_stmt* s, int c) {
  const void* p = sqlite3_column_blob(s, c);
  int n = sqlite3_column_bytes(s, c);
  return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
}

int MapSqlite(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ETIMEDOUT;
    case SQLITE_FULL:
      return ENOSPC;
    case SQLITE_READONLY:
      return EROFS;
    case SQLITE_NOMEM:
      return ENOMEM;
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return EACCES;
    case SQLITE_CANTOPEN:
      return EIO;
    default:
      return EIO;
  }
}

}  // namespace

void ReadInodeRow(sqlite3_stmt* s, int f, Inode* o) {
  o->ino = sqlite3_column_int64(s, f + 0);
  o->mode = static_cast<uint32_t>(sqlite3_column_int64(s, f + 1));
  o->uid = static_cast<uint32_t>(sqlite3_column_int64(s, f + 2));
  o->gid = static_cast<uint32_t>(sqlite3_column_int64(s, f + 3));
  o->nlink = sqlite3_column_int64(s, f + 4);
  o->size = sqlite3_column_int64(s, f + 5);
  o->rdev = sqlite3_column_int64(s, f + 6);
  o->atime = sqlite3_column_int64(s, f + 7);
  o->mtime = sqlite3_column_int64(s, f + 8);
  o->ctime = sqlite3_column_int64(s, f + 9);
  o->flags = static_cast<uint32_t>(sqlite3_column_int64(s, f + 10));
  o->dirty = static_cast<int>(sqlite3_column_int64(s, f + 11));
  o->alloc = sqlite3_column_int64(s, f + 12);
  o->parent = sqlite3_column_int64(s, f + 13);
  o->target = ColBlob(s, f + 14);
}

MetaDb::~MetaDb() { Close(); }

void MetaDb::Leak() {
  db_ = nullptr;
  stmts_.clear();
}

void MetaDb::CloseInherited() noexcept {
  if (db_ == nullptr) return;
  // No checkpoint at close: it would need the exclusive lock, and the WAL
  // belongs to the parent's connections.
  sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  for (auto& kv : stmts_) sqlite3_finalize(kv.second);
  stmts_.clear();
  sqlite3_close_v2(db_);
  db_ = nullptr;
  in_txn_ = in_read_ = false;
  first_fn_ = nullptr;
}

void MetaDb::Savepoint() {
  Q q(this, "SAVEPOINT dry_run");
  q.Run();
}

void MetaDb::RollbackToSavepoint() {
  ForgetRowCaches();
  {
    Q q(this, "ROLLBACK TO dry_run");
    q.Run();
  }
  Q q(this, "RELEASE dry_run");
  q.Run();
}

void MetaDb::CloseNoCheckpoint() {
  if (db_ != nullptr) sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  Close();
}

void MetaDb::Close() {
  if (db_ == nullptr) return;
  if (in_txn_ || in_read_) Rollback();
  first_fn_ = nullptr;
  StoreSection section;
  for (auto& kv : stmts_) sqlite3_finalize(kv.second);
  stmts_.clear();
  sqlite3_close_v2(db_);
  db_ = nullptr;
  TrackOpen(this, false);
}

int MetaDb::BusyHandler(void* self, int count) {
  auto* m = static_cast<MetaDb*>(self);
  int64_t now = MonoMs();
  if (now >= m->deadline_ms_) return 0;
  int64_t sleep_us = count < 10 ? (50LL << count) : 20000;
  if (sleep_us > 20000) sleep_us = 20000;
  int64_t left_us = (m->deadline_ms_ - now) * 1000;
  if (sleep_us > left_us) sleep_us = left_us;
  usleep(static_cast<useconds_t>(sleep_us));
  return 1;
}

int MetaDb::WalHook(void* self, sqlite3*, const char*, int frames) {
  static_cast<MetaDb*>(self)->wal_frames_ = frames;
  return SQLITE_OK;
}

int MetaDb::CheckpointPassive() {
  if (db_ == nullptr) return -1;
  int log = 0, done = 0;
  int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
  if (rc == SQLITE_IOERR_FSYNC) {
    // The journal's sync failed: what it held may never reach the disk.
    if (log_) log_->Log(kError, "metadata store: a checkpoint's sync failed");
    *sync_failed_ = true;
  }
  if (rc != SQLITE_OK) return -1;
  wal_frames_ = log > done ? log - done : 0;
  return wal_frames_;
}

bool MetaDb::HasFileData() {
  if (format_ >= 2) {
    Q q(this,
        "SELECT 1 FROM inodes WHERE size > 0 AND (mode & 61440) = 32768"
        " AND ino NOT IN (SELECT ino FROM inline_data) LIMIT 1");
    return q.Row();
  }
  Q q(this, "SELECT 1 FROM inodes WHERE size > 0 AND (mode & 61440) = 32768 LIMIT 1");
  return q.Row();
}

int64_t MetaDb::FreePages() {
  Q q(this, "PRAGMA freelist_count");
  return q.Row() ? q.Int(0) : 0;
}

int64_t MetaDb::PageCount() {
  Q q(this, "PRAGMA page_count");
  return q.Row() ? q.Int(0) : 0;
}

void MetaDb::IncrementalVacuum() {
  Q q(this, "PRAGMA incremental_vacuum(256)");
  while (q.Row()) {
  }
}

int MetaDb::Open(const std::string& file, bool read_only, bool sync_full, Logger* log,
                 const char* vfs) {
  StoreSection section;
  log_ = log;
  file_ = file;
  sync_full_ = sync_full;
  {
    // The database file is made 0600 here, and SQLite gives its WAL and shm
    // files the same mode. O_EXCL: a file that exists already is never opened
    // through a descriptor of our own, because closing any descriptor of a
    // file drops every POSIX lock the process holds on it, SQLite's included.
    // Every connection passes this mutex before it opens the file, so none
    // can open it between our create and our close.
    std::lock_guard<std::mutex> g(g_create_mu);
    if (!read_only) {
      int fd = open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd >= 0) {
        close(fd);
      } else if (errno != EEXIST) {
        return -errno;
      }
    }
  }
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (read_only) flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  // Read-only media: nobody can change the store, and SQLite could not make
  // its shared-memory file there, so it is opened as immutable (no locks).
  struct statvfs sv;
  read_only_ = read_only;
  immutable_ = read_only && statvfs(file.c_str(), &sv) == 0 && (sv.f_flag & ST_RDONLY) != 0;
  std::string name = file;
  if (immutable_) {
    flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
    name = "file:";
    for (char ch : file) {  // a URI path: '%', '?' and '#' are escaped
      if (ch == '%') name += "%25";
      else if (ch == '?') name += "%3f";
      else if (ch == '#') name += "%23";
      else name += ch;
    }
    name += "?immutable=1";
  }
  // A writable store goes through the WAL write coalescing shim (walbuf.h),
  // over the VFS asked for; without it when it cannot be registered.
  if (!immutable_) {
    const char* wb = WalBufVfs(vfs);
    if (wb != nullptr) vfs = wb;
  }
  int rc = sqlite3_open_v2(name.c_str(), &db_, flags, vfs);
  if (rc != SQLITE_OK) {
    int e = sqlite3_system_errno(db_);
    if (log_) log_->Log(kError, "cannot open metadata %s: %s", file.c_str(), sqlite3_errmsg(db_));
    sqlite3_close_v2(db_);
    db_ = nullptr;
    return e != 0 ? -e : -EIO;
  }
  TrackOpen(this, true);
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_handler(db_, &MetaDb::BusyHandler, this);
  // Replaces SQLite's automatic checkpoint, which would otherwise run (with
  // two syncs) inside whichever commit crosses the threshold.
  sqlite3_wal_hook(db_, &MetaDb::WalHook, this);
  deadline_ms_ = MonoMs() + 10000;
  if (immutable_) {
    Exec("PRAGMA cache_size=-16384");
    return 0;
  }
  try {
    // New stores use 1 KiB pages: a namespace change rewrites 3-4 pages, and
    // every page written costs a WAL frame (copy + checksum + write). No
    // effect on an existing store.
    Exec("PRAGMA page_size=1024");
    // Pages freed by removals can be given back to the disk (see
    // IncrementalVacuum): deleting metadata must free disk space. Takes effect
    // only on a new store.
    Exec("PRAGMA auto_vacuum=INCREMENTAL");
    Exec("PRAGMA journal_mode=WAL");
    // When the journal starts over it is cut back to this size: a burst of
    // changes (a mass removal) must not keep its space after it is copied back.
    Exec("PRAGMA journal_size_limit=2097152");
    Exec(sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    Exec("PRAGMA foreign_keys=OFF");
    Exec("PRAGMA cache_size=-16384");
    // Some builds of SQLite zero every freed page (SECURE_DELETE), which
    // makes removing an inline file write each of its pages once more. A
    // freed page is never readable through the store, and a removed data
    // file's blocks are not zeroed by the host either: only the zeroing that
    // costs no extra write is kept.
    Exec("PRAGMA secure_delete=FAST");
  } catch (const FsError& e) {
    Close();
    return -e.err;
  }
  return 0;
}

bool MetaDb::NoRoom() const {
  struct statvfs sv;
  if (file_.empty() || statvfs(file_.c_str(), &sv) != 0) return false;
  uint64_t blocks = geteuid() == 0 ? sv.f_bfree : sv.f_bavail;
  return blocks * sv.f_frsize < kNoRoomBytes;
}

int MetaDb::FileErrno() {
  // SQLite's sqlite3_system_errno() reads errno after the fact; the files
  // themselves keep the errno of their last failed call.
  int e = 0;
  sqlite3_file* wal = nullptr;
  if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) == SQLITE_OK &&
      wal != nullptr && wal->pMethods != nullptr &&
      wal->pMethods->xFileControl(wal, SQLITE_FCNTL_LAST_ERRNO, &e) == SQLITE_OK && e != 0)
    return e;
  e = 0;
  if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_LAST_ERRNO, &e) == SQLITE_OK && e != 0)
    return e;
  return sqlite3_system_errno(db_);
}

void MetaDb::Check(int rc) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
  errors_++;
  if (rc == SQLITE_IOERR_FSYNC) *sync_failed_ = true;
  int e = MapSqlite(rc);
  if ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_CANTOPEN) {
    // The disk's own answer where it tells more than "I/O error".
    int se = FileErrno();
    if (se == EROFS || se == ENOSPC || se == EDQUOT || se == EACCES) {
      e = se;
    } else if (rc == SQLITE_IOERR_SHMSIZE && NoRoom()) {
      // Growing the journal's index file found no room (its errno is gone
      // by now): a full disk, like SQLITE_FULL, so the caller's ways of
      // freeing space apply.
      e = ENOSPC;
    }
  }
  if (log_ && e != ETIMEDOUT) log_->Log(kError, "metadata store error %d: %s", rc, sqlite3_errmsg(db_));
  Fail(e);
}

void MetaDb::Exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (err) sqlite3_free(err);
  Check(rc);
}

sqlite3_stmt* MetaDb::Prep(const char* sql) {
  if (first_fn_ != nullptr) {
    auto fn = first_fn_;
    first_fn_ = nullptr;
    fn(first_arg_);
  }
  auto it = stmts_.find(sql);
  if (it != stmts_.end()) return it->second;
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  Check(rc);
  stmts_[sql] = s;
  return s;
}

int MetaDb::Step(sqlite3_stmt* s) {
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW || rc == SQLITE_DONE) return rc;
  Check(rc);
  return rc;
}

void MetaDb::BeginRead() {
  Q q(this, "BEGIN");
  q.Run();
  in_read_ = true;
}

void MetaDb::EndRead() noexcept {
  first_fn_ = nullptr;
  if (!in_read_ || db_ == nullptr) return;
  in_read_ = false;
  if (!sqlite3_get_autocommit(db_) &&
      sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void MetaDb::Begin() {
  // A store removed or replaced under the mount takes no more changes: they
  // would go to a file nobody will ever open again (one stat per change).
  int moved = 0;
  if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK && moved) {
    if (log_) log_->Log(kError, "the metadata store %s was removed or replaced while in use",
                        file_.c_str());
    Fail(EIO);
  }
  Q q(this, "BEGIN IMMEDIATE");
  q.Run();
  in_txn_ = true;
}

void MetaDb::Commit(bool durable) {
  {
    Q q(this, "COMMIT");
    q.Run();
  }
  in_txn_ = false;
  if (durable && !sync_full_) {
    // synchronous=NORMAL leaves the WAL unsynced at commit: sync it now,
    // through SQLite's own handle of the WAL file. This makes this commit and
    // every earlier one durable.
    sqlite3_file* wal = nullptr;
    int rc = sqlite3_file_control(db_, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
    if (rc == SQLITE_OK && wal != nullptr && wal->pMethods != nullptr) {
      rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
      if (rc != SQLITE_OK) {
        if (log_) log_->Log(kError, "metadata store: syncing the WAL failed (%d)", rc);
        *sync_failed_ = true;
        int se = FileErrno();  // what the disk said, where it says more than EIO
        if (se == EROFS || se == ENOSPC || se == EDQUOT) Fail(se);
        Fail(EIO);
      }
    }
  }
  // Committed, but not durable: the caller asked for durability and hears EIO.
  if (durable && *sync_failed_) Fail(EIO);
}

void MetaDb::Rollback() noexcept {
  ForgetRowCaches();  // they may hold what the rolled-back transaction read or wrote
  if (db_ == nullptr) return;
  in_read_ = false;
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  in_txn_ = false;
}

int64_t MetaDb::DataVersion() {
  Q q(this, "PRAGMA data_version");
  return q.Row() ? q.Int(0) : 0;
}

// Format 2: the bytes of a small file live here instead of in a data file.
// A row is present exactly while the file is in the inline form; bytes past
// the end of `data` (up to the inode's size) read as zeros.
const char kInlineSchema[] = "CREATE TABLE inline_data(ino INTEGER PRIMARY KEY, data BLOB NOT NULL);";

int MetaDb::InitSchema(bool create, int64_t capacity, int64_t inodes, const std::string& data_dir,
                       int lib_format, bool upgrade, std::string* why) {
  Begin();
  try {
    bool exists = false;
    {
      Q q(this, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'");
      exists = q.Row() && q.Int(0) > 0;
    }
    if (exists) {
      std::string v = GetMeta("format_version", "0");
      int ver = atoi(v.c_str());
      if (ver > lib_format) {
        *why = "on-disk format version " + v + " is newer than the version this library "
               "supports (" + std::to_string(lib_format) + "): use a newer libdingofs";
        if (log_) log_->Log(kError, "%s", why->c_str());
        Rollback();
        return -EPROTO;
      }
      if (ver < 1) {
        *why = "unknown on-disk format version " + v;
        Rollback();
        return -EPROTO;
      }
      if (ver < lib_format && !read_only_ && !upgrade) {
        // A process still has it mounted, most likely with an older library
        // that would not see what the newer format adds (inline file data).
        *why = "on-disk format version " + v + " is older than this library's (" +
               std::to_string(lib_format) + ") and another process has the filesystem "
               "mounted: unmount it everywhere once so that the format can be upgraded, "
               "or mount with ro=1";
        if (log_) log_->Log(kError, "%s", why->c_str());
        Rollback();
        return -EBUSY;
      }
      if (ver < lib_format && !read_only_) {
        // Every step of the upgrade runs in this one transaction.
        if (ver < 2) Exec(kInlineSchema);
        SetMeta("format_version", std::to_string(lib_format));
        if (log_)
          log_->Log(kInfo, "upgraded the on-disk format from version %d to %d", ver, lib_format);
        ver = lib_format;
      }
      format_ = ver;
      Commit(true);
      return 0;
    }
    if (!create) {
      Rollback();
      return -ENOENT;
    }
    Exec(
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
        "CREATE TABLE counters(id INTEGER PRIMARY KEY CHECK (id = 1), next_ino INTEGER NOT NULL,"
        " used_inodes INTEGER NOT NULL, used_bytes INTEGER NOT NULL);"
        "CREATE TABLE inodes(ino INTEGER PRIMARY KEY, mode INTEGER NOT NULL, uid INTEGER NOT NULL,"
        " gid INTEGER NOT NULL, nlink INTEGER NOT NULL, size INTEGER NOT NULL, rdev INTEGER NOT NULL,"
        " atime_ns INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,"
        " flags INTEGER NOT NULL, dirty INTEGER NOT NULL, alloc INTEGER NOT NULL,"
        " parent INTEGER NOT NULL, target BLOB);"
        "CREATE INDEX inodes_dirty ON inodes(dirty) WHERE dirty <> 0;"
        "CREATE TABLE dentries(parent INTEGER NOT NULL, name BLOB NOT NULL, ino INTEGER NOT NULL,"
        " PRIMARY KEY(parent, name)) WITHOUT ROWID;"
        "CREATE TABLE xattrs(ino INTEGER NOT NULL, name BLOB NOT NULL, value BLOB NOT NULL,"
        " PRIMARY KEY(ino, name)) WITHOUT ROWID;"
        "CREATE TABLE orphans(ino INTEGER PRIMARY KEY);");
    if (lib_format >= 2) Exec(kInlineSchema);
    SetMeta("format_version", std::to_string(lib_format));
    format_ = lib_format;
    std::random_device rd;
    char uuid[40];
    snprintf(uuid, sizeof uuid, "%08x-%04x-%04x-%04x-%08x%04x", rd(), rd() & 0xffff,
             (rd() & 0x0fff) | 0x4000, (rd() & 0x3fff) | 0x8000, rd(), rd() & 0xffff);
    SetMeta("uuid", uuid);
    SetMeta("capacity", std::to_string(capacity));
    SetMeta("inodes", std::to_string(inodes));
    SetMeta("data_dir", data_dir);
    SetMeta("clean", "1");
    {
      Q q(this, "INSERT INTO counters VALUES(1, 2, 1, 0)");
      q.Run();
    }
    Inode root;
    root.ino = kRootIno;
    root.mode = S_IFDIR | 0755;
    root.uid = geteuid();
    root.gid = getegid();
    root.nlink = 2;
    root.atime = root.mtime = root.ctime = NowNs();
    root.parent = kRootIno;
    InsertInode(root);
    Commit(true);
    return 0;
  } catch (...) {
    Rollback();
    throw;
  }
}

bool MetaDb::GetInode(uint64_t ino, Inode* out) {
  Q q(this,
      "SELECT ino,mode,uid,gid,nlink,size,rdev,atime_ns,mtime_ns,ctime_ns,flags,dirty,alloc,"
      "parent,target FROM inodes WHERE ino=?");
  q.I(1, ino);
  if (!q.Row()) return false;
  ReadInodeRow(q.s(), 0, out);
  return true;
}

void MetaDb::InsertInode(const Inode& n) {
  Q q(this, "INSERT OR ROLLBACK INTO inodes VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  q.I(1, n.ino).I(2, n.mode).I(3, n.uid).I(4, n.gid).I(5, n.nlink).I(6, n.size).I(7, n.rdev);
  q.I(8, n.atime).I(9, n.mtime).I(10, n.ctime).I(11, n.flags).I(12, n.dirty).I(13, n.alloc);
  q.I(14, n.parent);
  if (S_ISLNK(n.mode)) q.B(15, n.target);
  q.Run();
}

void MetaDb::UpdateInode(const Inode& n) {
  Q q(this,
      "UPDATE OR ROLLBACK inodes SET mode=?2,uid=?3,gid=?4,nlink=?5,size=?6,rdev=?7,atime_ns=?8,mtime_ns=?9,"
      "ctime_ns=?10,flags=?11,dirty=?12,alloc=?13,parent=?14 WHERE ino=?1");
  q.I(1, n.ino).I(2, n.mode).I(3, n.uid).I(4, n.gid).I(5, n.nlink).I(6, n.size).I(7, n.rdev);
  q.I(8, n.atime).I(9, n.mtime).I(10, n.ctime).I(11, n.flags).I(12, n.dirty).I(13, n.alloc);
  q.I(14, n.parent);
  q.Run();
}

bool MetaDb::DeleteInode(uint64_t ino, bool orphan_row) {
  {
    Q q(this, "DELETE FROM inodes WHERE ino=?");
    q.I(1, ino).Run();
  }
  DelXattrs(ino);
  bool inl = format_ >= 2 && DelInline(ino);
  if (orphan_row) DelOrphan(ino);
  return inl;
}

bool MetaDb::GetInline(uint64_t ino, std::string* data) {
  if (format_ < 2) return false;
  if (row_caches_on_) {
    auto it = inline_cache_.find(ino);
    if (it != inline_cache_.end()) {
      if (!it->second) return false;
      *data = *it->second;
      return true;
    }
  }
  bool row;
  {
    Q q(this, "SELECT data FROM inline_data WHERE ino=?");
    q.I(1, ino);
    row = q.Row();
    if (row) *data = q.Blob(0);
  }
  RememberInline(ino, row ? data : nullptr);
  return row;
}

void MetaDb::RememberInline(uint64_t ino, const std::string* data) {
  // Callers hold no entry for ino: GetInline missed it, PutInline dropped it.
  if (!row_caches_on_) return;
  size_t add = data != nullptr ? data->size() : 0;
  if (add > kInlineCacheBytes) return;
  if (inline_cache_.size() >= kInlineCacheEntries || inline_cache_bytes_ + add > kInlineCacheBytes)
    ForgetInline();
  if (data != nullptr)
    inline_cache_.emplace(ino, *data);
  else
    inline_cache_.emplace(ino, std::nullopt);
  inline_cache_bytes_ += add;
}

void MetaDb::PutInline(uint64_t ino, const std::string& data) {
  DropInlineEntry(ino);
  Q q(this, "INSERT OR REPLACE INTO inline_data(ino, data) VALUES(?, ?)");
  q.I(1, ino).B(2, data).Run();
  // What this transaction wrote is what the next open reads (a rollback
  // forgets it).
  RememberInline(ino, &data);
}

void MetaDb::DropInlineEntry(uint64_t ino) noexcept {
  auto it = inline_cache_.find(ino);
  if (it == inline_cache_.end()) return;
  if (it->second) inline_cache_bytes_ -= it->second->size();
  inline_cache_.erase(it);
}

bool MetaDb::DelInline(uint64_t ino) {
  if (format_ < 2) return false;
  DropInlineEntry(ino);
  Q q(this, "DELETE FROM inline_data WHERE ino=?");
  q.I(1, ino).Run();
  return sqlite3_changes(db_) > 0;
}

void MetaDb::SetSize(uint64_t ino, int64_t size, int64_t mtime, int64_t ctime, int dirty,
                     int64_t alloc, bool grow_only) {
  if (grow_only) {
    Q q(this,
        "UPDATE OR ROLLBACK inodes SET size=max(size,?2),mtime_ns=?3,ctime_ns=?4,dirty=?5,alloc=?6 WHERE ino=?1");
    q.I(1, ino).I(2, size).I(3, mtime).I(4, ctime).I(5, dirty).I(6, alloc).Run();
  } else {
    Q q(this, "UPDATE OR ROLLBACK inodes SET size=?2,mtime_ns=?3,ctime_ns=?4,dirty=?5,alloc=?6 WHERE ino=?1");
    q.I(1, ino).I(2, size).I(3, mtime).I(4, ctime).I(5, dirty).I(6, alloc).Run();
  }
}

void MetaDb::SetDirty(uint64_t ino, int dirty) {
  Q q(this, "UPDATE OR ROLLBACK inodes SET dirty=? WHERE ino=?");
  q.I(1, dirty).I(2, ino).Run();
}

bool MetaDb::Lookup(uint64_t parent, const std::string& name, uint64_t* ino) {
  Q q(this, "SELECT ino FROM dentries WHERE parent=? AND name=?");
  q.I(1, parent).B(2, name);
  if (!q.Row()) return false;
  *ino = q.Int(0);
  return true;
}

void MetaDb::InsertDentry(uint64_t parent, const std::string& name, uint64_t ino) {
  Q q(this, "INSERT OR ROLLBACK INTO dentries VALUES(?,?,?)");
  q.I(1, parent).B(2, name).I(3, ino).Run();
}

void MetaDb::DeleteDentry(uint64_t parent, const std::string& name) {
  Q q(this, "DELETE FROM dentries WHERE parent=? AND name=?");
  q.I(1, parent).B(2, name).Run();
}

void MetaDb::UpdateDentry(uint64_t parent, const std::string& name, uint64_t ino) {
  Q q(this, "UPDATE OR ROLLBACK dentries SET ino=? WHERE parent=? AND name=?");
  q.I(1, ino).I(2, parent).B(3, name).Run();
}

bool MetaDb::DirEmpty(uint64_t dir) {
  Q q(this, "SELECT 1 FROM dentries WHERE parent=? LIMIT 1");
  q.I(1, dir);
  return !q.Row();
}

void MetaDb::ListDir(uint64_t dir, const std::string& after, int limit,
                     std::vector<DirEntryRow>* out) {
  Q q(this,
      "SELECT d.name, d.ino, i.mode FROM dentries d LEFT JOIN inodes i ON i.ino=d.ino "
      "WHERE d.parent=? AND d.name>? ORDER BY d.name LIMIT ?");
  q.I(1, dir).B(2, after).I(3, limit);
  while (q.Row())
    out->push_back(DirEntryRow{q.Blob(0), static_cast<uint64_t>(q.Int(1)),
                               static_cast<uint32_t>(q.Int(2))});
}

void MetaDb::ListDirPlus(uint64_t dir, const std::string& after, int limit,
                         std::vector<std::pair<std::string, Inode>>* out) {
  Q q(this,
      "SELECT d.name, i.ino,i.mode,i.uid,i.gid,i.nlink,i.size,i.rdev,i.atime_ns,i.mtime_ns,"
      "i.ctime_ns,i.flags,i.dirty,i.alloc,i.parent,i.target FROM dentries d JOIN inodes i "
      "ON i.ino=d.ino WHERE d.parent=? AND d.name>? ORDER BY d.name LIMIT ?");
  q.I(1, dir).B(2, after).I(3, limit);
  while (q.Row()) {
    Inode n;
    ReadInodeRow(q.s(), 1, &n);
    out->emplace_back(q.Blob(0), n);
  }
}

uint64_t MetaDb::AllocIno() {
  Q q(this,
      "UPDATE OR ROLLBACK counters SET next_ino=next_ino+1, used_inodes=used_inodes+1 WHERE id=1 "
      "RETURNING next_ino-1");
  if (!q.Row()) Fail(EIO);
  uint64_t ino = q.Int(0);
  q.Run();
  return ino;
}

void MetaDb::AddUsage(int64_t inodes, int64_t bytes) {
  if (inodes == 0 && bytes == 0) return;
  Q q(this, "UPDATE OR ROLLBACK counters SET used_inodes=used_inodes+?, used_bytes=used_bytes+? WHERE id=1");
  q.I(1, inodes).I(2, bytes).Run();
}

Usage MetaDb::GetUsage() {
  Q q(this, "SELECT next_ino, used_inodes, used_bytes FROM counters WHERE id=1");
  Usage u;
  if (q.Row()) {
    u.next_ino = q.Int(0);
    u.used_inodes = q.Int(1);
    u.used_bytes = q.Int(2);
  }
  return u;
}

void MetaDb::SetUsage(int64_t inodes, int64_t bytes) {
  Q q(this, "UPDATE OR ROLLBACK counters SET used_inodes=?, used_bytes=? WHERE id=1");
  q.I(1, inodes).I(2, bytes).Run();
}

std::string MetaDb::GetMeta(const std::string& key, const std::string& dflt) {
  Q q(this, "SELECT value FROM meta WHERE key=?");
  q.T(1, key);
  if (!q.Row()) return dflt;
  const unsigned char* t = sqlite3_column_text(q.s(), 0);
  return t == nullptr ? dflt : std::string(reinterpret_cast<const char*>(t));
}

void MetaDb::SetMeta(const std::string& key, const std::string& value) {
  Q q(this, "INSERT OR REPLACE INTO meta VALUES(?,?)");
  q.T(1, key).T(2, value).Run();
}

void MetaDb::AddOrphan(uint64_t ino) {
  Q q(this, "INSERT OR IGNORE INTO orphans VALUES(?)");
  q.I(1, ino).Run();
}

void MetaDb::DelOrphan(uint64_t ino) {
  Q q(this, "DELETE FROM orphans WHERE ino=?");
  q.I(1, ino).Run();
}

bool MetaDb::IsOrphan(uint64_t ino) {
  Q q(this, "SELECT 1 FROM orphans WHERE ino=?");
  q.I(1, ino);
  return q.Row();
}

std::vector<uint64_t> MetaDb::Orphans() {
  std::vector<uint64_t> v;
  Q q(this, "SELECT ino FROM orphans ORDER BY ino");
  while (q.Row()) v.push_back(q.Int(0));
  return v;
}

const std::optional<std::string>* MetaDb::CachedXattr(uint64_t ino,
                                                      const std::string& name) const {
  if (!row_caches_on_) return nullptr;
  auto it = xattr_cache_.find(ino);
  if (it == xattr_cache_.end()) return nullptr;
  auto jt = it->second.find(name);
  return jt != it->second.end() ? &jt->second : nullptr;
}

bool MetaDb::GetXattr(uint64_t ino, const std::string& name, std::string* value) {
  if (const auto* known = CachedXattr(ino, name)) {
    if (!*known) return false;
    *value = **known;
    return true;
  }
  bool row;
  {
    Q q(this, "SELECT value FROM xattrs WHERE ino=? AND name=?");
    q.I(1, ino).B(2, name);
    row = q.Row();
    if (row) *value = q.Blob(0);
  }
  RememberXattr(ino, name, row ? value : nullptr);
  return row;
}

bool MetaDb::HasXattr(uint64_t ino, const std::string& name) {
  if (const auto* known = CachedXattr(ino, name)) return known->has_value();
  Q q(this, "SELECT 1 FROM xattrs WHERE ino=? AND name=?");
  q.I(1, ino).B(2, name);
  return q.Row();
}

void MetaDb::RememberXattr(uint64_t ino, const std::string& name, const std::string* value) {
  if (!row_caches_on_) return;
  size_t add = name.size() + (value != nullptr ? value->size() : 0);
  if (add > kXattrCacheBytes) return;
  auto it = xattr_cache_.find(ino);
  if (it != xattr_cache_.end()) {  // a replaced entry leaves the totals first
    auto jt = it->second.find(name);
    if (jt != it->second.end()) {
      xattr_cache_bytes_ -= name.size() + (jt->second ? jt->second->size() : 0);
      xattr_cache_entries_--;
      it->second.erase(jt);
    }
  }
  if (xattr_cache_entries_ >= kXattrCacheEntries || xattr_cache_bytes_ + add > kXattrCacheBytes)
    ForgetXattrs();
  auto& names = xattr_cache_[ino];
  if (value != nullptr)
    names.emplace(name, *value);
  else
    names.emplace(name, std::nullopt);
  xattr_cache_entries_++;
  xattr_cache_bytes_ += add;
}

void MetaDb::DropXattrEntries(uint64_t ino) noexcept {
  auto it = xattr_cache_.find(ino);
  if (it == xattr_cache_.end()) return;
  for (auto& [name, value] : it->second) {
    xattr_cache_bytes_ -= name.size() + (value ? value->size() : 0);
    xattr_cache_entries_--;
  }
  xattr_cache_.erase(it);
}

// exists: the caller knows whether the name is set (in this transaction).
// A plain UPDATE or INSERT with OR ROLLBACK needs no statement journal, unlike
// INSERT OR REPLACE (which also deletes and re-inserts the row).
void MetaDb::SetXattr(uint64_t ino, const std::string& name, const std::string& value,
                      bool exists) {
  if (exists) {
    Q q(this, "UPDATE OR ROLLBACK xattrs SET value=?3 WHERE ino=?1 AND name=?2");
    q.I(1, ino).B(2, name).B(3, value).Run();
  } else {
    Q q(this, "INSERT OR ROLLBACK INTO xattrs VALUES(?,?,?)");
    q.I(1, ino).B(2, name).B(3, value).Run();
  }
  // What this transaction wrote is what the next read gets (a rollback
  // forgets it).
  RememberXattr(ino, name, &value);
}

bool MetaDb::DelXattr(uint64_t ino, const std::string& name) {
  Q q(this, "DELETE FROM xattrs WHERE ino=? AND name=?");
  q.I(1, ino).B(2, name).Run();
  RememberXattr(ino, name, nullptr);
  return sqlite3_changes(db_) > 0;
}

void MetaDb::DelXattrs(uint64_t ino) {
  DropXattrEntries(ino);
  Q q(this, "DELETE FROM xattrs WHERE ino=?");
  q.I(1, ino).Run();
}

bool MetaDb::DelSomeXattrs(uint64_t ino, int count) {
  DropXattrEntries(ino);
  Q q(this,
      "DELETE FROM xattrs WHERE ino=?1 AND name IN"
      " (SELECT name FROM xattrs WHERE ino=?1 ORDER BY name LIMIT ?2)");
  q.I(1, ino).I(2, count).Run();
  return sqlite3_changes(db_) > 0;
}

std::vector<std::string> MetaDb::ListXattr(uint64_t ino) {
  std::vector<std::string> v;
  Q q(this, "SELECT name FROM xattrs WHERE ino=? ORDER BY name");
  q.I(1, ino);
  while (q.Row()) v.push_back(q.Blob(0));
  return v;
}

std::vector<uint64_t> MetaDb::DirtyInodes() {
  std::vector<uint64_t> v;
  Q q(this, "SELECT ino FROM inodes WHERE dirty <> 0");
  while (q.Row()) v.push_back(q.Int(0));
  return v;
}

}  // namespace dingofs

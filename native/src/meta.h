// Metadata store: one SQLite connection (WAL) per mounted handle.
// Not thread-safe by itself: the owner serialises calls with its own mutex.
#ifndef DINGOFS_SRC_META_H_
#define DINGOFS_SRC_META_H_

#include <pthread.h>
#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace dingofs {

class Logger;

// Current on-disk format. Version 1 is the first released format; version 2
// adds the inline_data table (the bytes of small files, kept in the store).
constexpr int kFormatVersion = 2;

struct Inode {
  uint64_t ino = 0;
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t nlink = 0;
  int64_t size = 0;
  uint64_t rdev = 0;
  int64_t atime = 0;  // nanoseconds since the epoch
  int64_t mtime = 0;
  int64_t ctime = 0;
  uint32_t flags = 0;  // FS_*_FL word
  int dirty = 0;       // size committed without a data sync
  int64_t alloc = 0;   // bytes allocated to the data file (or the symlink target)
  uint64_t parent = 0; // for directories: the parent directory
  std::string target;  // symlink target
};

struct DirEntryRow {
  std::string name;
  uint64_t ino;
  uint32_t mode;
};

struct Usage {
  int64_t next_ino = 0;
  int64_t used_inodes = 0;
  int64_t used_bytes = 0;
};

// Fork safety of the store. SQLite keeps per-process bookkeeping of the
// POSIX locks its connections hold; a forked child inherits that bookkeeping
// but not the locks, so a connection the child opens would believe it holds
// locks it does not. Every use of an engine connection (open, statements,
// transactions, close) therefore runs inside a StoreSection. At fork the
// prepare handler waits until no section is open anywhere in the process and
// holds new ones back; the child then closes every connection it inherited
// (without a checkpoint and without touching the files), so SQLite's
// bookkeeping in the child is empty and its own connections take real locks.
class StoreSection {
 public:
  StoreSection();
  ~StoreSection();
  StoreSection(const StoreSection&) = delete;
  StoreSection& operator=(const StoreSection&) = delete;

 private:
  pthread_rwlock_t* lock_ = nullptr;  // the gate this (outermost) section holds
};

// The fork handlers of the store (installed with the engine's others).
void StoreForkPrepare();
void StoreForkParent();
void StoreForkChild();

class MetaDb {
 public:
  MetaDb() = default;
  ~MetaDb();
  MetaDb(const MetaDb&) = delete;
  MetaDb& operator=(const MetaDb&) = delete;

  // Opens the database file. Returns 0 or -errno.
  // vfs: a SQLite VFS name (nullptr: the default one).
  int Open(const std::string& file, bool read_only, bool sync_full, Logger* log,
           const char* vfs = nullptr);
  void Close();
  // Closes without the checkpoint the last connection of a store makes at
  // close (the journal stays as it is).
  void CloseNoCheckpoint();
  // Forgets the connection without closing it (forked child).
  void Leak();
  // Forked child: closes the inherited connection without a checkpoint and
  // without changing any file.
  void CloseInherited() noexcept;
  bool is_open() const { return db_ != nullptr; }

  // Deadline (monotonic ms) up to which the busy handler waits.
  void SetDeadline(int64_t deadline_ms) { deadline_ms_ = deadline_ms; }

  // Schema: creates it on an empty database (inside a transaction), in the
  // format `lib_format` (kFormatVersion, or an older one for the tests that
  // play an older library). An older format is upgraded only when `upgrade`
  // (no other process has the filesystem mounted); a read-only handle uses it
  // as it is. Returns 0, -EPROTO (newer format), -EBUSY (older format that
  // cannot be upgraded now), -ENOENT (no filesystem and !create).
  int InitSchema(bool create, int64_t capacity, int64_t inodes, const std::string& data_dir,
                 int lib_format, bool upgrade, std::string* why);
  // The format of the open store (after InitSchema).
  int format() const { return format_; }

  // Read transactions: every statement between BeginRead and EndRead sees
  // one snapshot of the store (it is taken by the first statement).
  void BeginRead();                // BEGIN (deferred)
  void EndRead() noexcept;         // ends the read transaction, if any; disarms
  bool in_read() const { return in_read_; }
  // Runs fn(arg) once, just before the next statement is prepared or run
  // (so a caller can start a snapshot only when it needs the store). fn may
  // throw; it is disarmed before it runs.
  void ArmFirstStatement(void (*fn)(void*), void* arg) {
    first_fn_ = fn;
    first_arg_ = arg;
  }

  void Begin();                    // BEGIN IMMEDIATE
  void Commit(bool durable);       // durable: the commit reaches stable storage
  void Rollback() noexcept;
  bool in_txn() const { return in_txn_; }
  // Failures the store has reported so far, and rows changed so far: a change
  // that failed without moving either failed in its own checks, before it
  // wrote anything.
  uint64_t errors() const { return errors_; }
  int64_t total_changes() const { return sqlite3_total_changes64(db_); }
  // A savepoint inside the write transaction, and the way back to it (which
  // also releases it).
  void Savepoint();
  void RollbackToSavepoint();
  int64_t DataVersion();

  bool GetInode(uint64_t ino, Inode* out);
  void InsertInode(const Inode& in);
  void UpdateInode(const Inode& in);
  // With its xattrs, inline bytes (and orphan row). True when the file was
  // in the inline form (it has no data file then).
  bool DeleteInode(uint64_t ino, bool orphan_row = true);
  void SetSize(uint64_t ino, int64_t size, int64_t mtime, int64_t ctime, int dirty, int64_t alloc,
               bool grow_only);
  void SetDirty(uint64_t ino, int dirty);

  bool Lookup(uint64_t parent, const std::string& name, uint64_t* ino);
  void InsertDentry(uint64_t parent, const std::string& name, uint64_t ino);
  void DeleteDentry(uint64_t parent, const std::string& name);
  void UpdateDentry(uint64_t parent, const std::string& name, uint64_t ino);
  bool DirEmpty(uint64_t dir);
  // Entries with name > after, in name order, with their modes.
  void ListDir(uint64_t dir, const std::string& after, int limit, std::vector<DirEntryRow>* out);
  void ListDirPlus(uint64_t dir, const std::string& after, int limit,
                   std::vector<std::pair<std::string, Inode>>* out);

  uint64_t AllocIno();  // takes the next inode number and counts one more inode
  void AddUsage(int64_t inodes, int64_t bytes);
  Usage GetUsage();
  void SetUsage(int64_t inodes, int64_t bytes);

  std::string GetMeta(const std::string& key, const std::string& dflt = "");
  void SetMeta(const std::string& key, const std::string& value);

  void AddOrphan(uint64_t ino);
  void DelOrphan(uint64_t ino);
  bool IsOrphan(uint64_t ino);
  std::vector<uint64_t> Orphans();

  bool GetXattr(uint64_t ino, const std::string& name, std::string* value);
  bool HasXattr(uint64_t ino, const std::string& name);
  void SetXattr(uint64_t ino, const std::string& name, const std::string& value, bool exists);
  bool DelXattr(uint64_t ino, const std::string& name);
  void DelXattrs(uint64_t ino);
  bool DelSomeXattrs(uint64_t ino, int count);  // false when none was left
  std::vector<std::string> ListXattr(uint64_t ino);

  std::vector<uint64_t> DirtyInodes();

  // Inline file bytes (format 2). GetInline is false when the file is not in
  // the inline form; DelInline is true when it was.
  bool GetInline(uint64_t ino, std::string* data);
  void PutInline(uint64_t ino, const std::string& data);
  bool DelInline(uint64_t ino);
  // What GetInline answered, kept for the next ask (a file with a data file:
  // "none"; a small one: its bytes, up to kInlineCacheBytes in all) so that
  // opening a file whose inline state is known costs no query; and likewise
  // what GetXattr answered (a value or "not set", up to kXattrCacheBytes), so
  // that reading an attribute costs no query. Only a store that tracks the
  // change sequence turns them on, and it drops them whenever it drops its
  // inode cache; a rollback drops them too.
  void UseRowCaches(bool on) {
    row_caches_on_ = on;
    ForgetRowCaches();
  }
  void ForgetRowCaches() noexcept {
    ForgetInline();
    ForgetXattrs();
  }
  void ForgetInline() noexcept {
    inline_cache_.clear();
    inline_cache_bytes_ = 0;
  }
  void ForgetXattrs() noexcept {
    xattr_cache_.clear();
    xattr_cache_entries_ = 0;
    xattr_cache_bytes_ = 0;
  }
  static constexpr size_t kInlineCacheBytes = 4u << 20;
  static constexpr size_t kInlineCacheEntries = 65536;
  static constexpr size_t kXattrCacheBytes = 4u << 20;
  static constexpr size_t kXattrCacheEntries = 65536;

  // WAL size in frames after the last commit of this connection (automatic
  // checkpoints are off: the owner checkpoints, normally from another thread).
  int wal_frames() const { return wal_frames_; }
  bool sync_failed() const { return sync_failed_->load(); }
  // Connections of one mount share the flag: a sync that failed in the
  // checkpointer's connection covered the journal the main one commits to.
  void ShareSyncState(const MetaDb& other) { sync_failed_ = other.sync_failed_; }
  // errno of the last failed system call on the store's files (0: none known).
  int FileErrno();
  // The disk holding the store has less than kNoRoomBytes left (the index
  // of a journal grows 32 KiB at a time).
  bool NoRoom() const;
  static constexpr uint64_t kNoRoomBytes = 64 * 1024;
  // PASSIVE checkpoint: copies what it can without waiting for anyone.
  // Returns the frames still in the WAL afterwards, or -1 on error.
  int CheckpointPassive();
  // Free pages inside the database file (stores made by this version give
  // them back to the disk with IncrementalVacuum; older ones keep them for
  // their own reuse).
  int64_t FreePages();
  int64_t PageCount();
  bool HasFileData();  // some regular file has a size above 0
  // In a transaction: gives up to 256 free pages back to the disk (the file
  // shrinks when the journal is copied back).
  void IncrementalVacuum();

  // Runs a statement with no result rows (schema work, pragmas).
  void Exec(const char* sql);
  sqlite3* raw() { return db_; }
  // Prepared statement cache keyed by the SQL text's address.
  sqlite3_stmt* Prep(const char* sql);
  // Steps a statement: SQLITE_ROW or SQLITE_DONE, else throws FsError.
  int Step(sqlite3_stmt* s);

 private:
  static int BusyHandler(void* self, int count);
  static int WalHook(void* self, sqlite3* db, const char* name, int frames);
  void Check(int rc);
  void DropInlineEntry(uint64_t ino) noexcept;
  void RememberInline(uint64_t ino, const std::string* data);  // nullptr: not inline
  // The cached answer for (ino, name): a value or "not set"; nullptr when none is kept.
  const std::optional<std::string>* CachedXattr(uint64_t ino, const std::string& name) const;
  void RememberXattr(uint64_t ino, const std::string& name, const std::string* value);
  void DropXattrEntries(uint64_t ino) noexcept;  // every cached name of ino
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> stmts_;
  int64_t deadline_ms_ = 0;
  int wal_frames_ = 0;
  bool in_txn_ = false;
  uint64_t errors_ = 0;
  // A sync of the store failed: what it covered may never reach the disk, so
  // no later commit is reported as durable (Commit(true) fails with EIO)
  // until the store is opened again.
  std::shared_ptr<std::atomic<bool>> sync_failed_ = std::make_shared<std::atomic<bool>>(false);
  bool immutable_ = false;  // opened read-only on read-only media
  bool read_only_ = false;
  bool in_read_ = false;
  void (*first_fn_)(void*) = nullptr;
  void* first_arg_ = nullptr;
  bool sync_full_ = false;
  int format_ = 0;
  // ino -> its inline bytes (has_value) or "not inline" (nullopt); see UseRowCaches.
  std::unordered_map<uint64_t, std::optional<std::string>> inline_cache_;
  size_t inline_cache_bytes_ = 0;
  // ino -> name -> its value (has_value) or "not set" (nullopt); see UseRowCaches.
  std::unordered_map<uint64_t, std::unordered_map<std::string, std::optional<std::string>>>
      xattr_cache_;
  size_t xattr_cache_entries_ = 0;
  size_t xattr_cache_bytes_ = 0;
  bool row_caches_on_ = false;
  Logger* log_ = nullptr;
  std::string file_;
};

// Fills an Inode from a row whose first columns are the inode columns.
void ReadInodeRow(sqlite3_stmt* s, int first, Inode* out);
extern const char kInodeColumns[];

}  // namespace dingofs

#endif  // DINGOFS_SRC_META_H_

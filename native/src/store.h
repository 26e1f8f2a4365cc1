// The metadata store of one mounted handle: its SQLite connection (rows), the
// inode and dentry caches in front of it, the change sequence that tells
// whether those caches are still current, and the read and write
// transactions that keep the three in step.
//
// Not thread-safe: the owner serialises every call with its store lock.
#ifndef DINGOFS_SRC_STORE_H_
#define DINGOFS_SRC_STORE_H_

#include <cstdint>
#include <string>
#include <unordered_map>

#include "meta.h"

namespace dingofs {

// Internal "roll back and try again" code (never returned to callers).
constexpr int kRetry = 100000;
// Internal: the caches were current when a read began, but the store moved
// on before the read needed it (never returned to callers).
constexpr int kStale = 100001;

class Store {
 public:
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The rows themselves, uncached: xattrs, orphans, usage, settings, schema.
  MetaDb& db() { return db_; }

  // Change sequence shared by every process through a mapping of the lock
  // file: seq[0] counts begun write transactions, seq[1] the last finished
  // one. While both are equal and unchanged since the caches were last
  // validated, no connection has committed anything and the caches are
  // current without asking the store. nullptr: always ask.
  void AttachSequence(uint64_t* seq);
  // Cache sizes (entries per cache, 0: no cache) and the inode limit (0: none).
  void SetLimits(int64_t cache_entries, int64_t inode_limit) {
    cache_entries_ = cache_entries;
    inode_limit_ = inode_limit;
  }
  int64_t inode_limit() const { return inode_limit_; }

  // ---- transactions
  // True when the shared change sequence shows no write transaction since
  // the caches were last validated (a read needs no store access).
  bool CachesCurrent();
  // Read snapshot, fast path: the caches are current; the snapshot is taken
  // only if the body reaches the store, and the body fails with kStale if a
  // writer began in between.
  void ArmLazySnapshot() { db_.ArmFirstStatement(&Store::LazySnapshot, this); }
  // Read snapshot, slow path: taken now, caches checked against it.
  void BeginSnapshot();
  void EndRead() noexcept { db_.EndRead(); }
  // Write transaction (BEGIN IMMEDIATE): counted in the change sequence,
  // caches checked against the store unless nobody committed since.
  void BeginWrite();
  // Throws when the commit did not go through (the transaction is still to
  // be rolled back with AbortWrite). Once it went through, returns 0, or the
  // errno of the sync of a durable commit that failed afterwards: the
  // transaction is committed either way, and must not be rolled back or run
  // again.
  int CommitWrite(bool durable);
  // Rolls back (if a transaction is open) and drops the caches, which may
  // hold changes of the rolled-back transaction.
  void AbortWrite() noexcept;
  // Drops the caches when another connection committed. force: always ask
  // the store instead of trusting the shared change sequence.
  void Refresh(bool force = false);
  void ClearCache();

  // ---- cached inodes and entries
  bool Find(uint64_t ino, Inode* out);
  Inode& Get(uint64_t ino);  // throws ENOENT; valid until the next call
  uint64_t LookupName(uint64_t parent, const std::string& name);  // 0 if missing
  void PutInode(const Inode& n);     // row + cache
  void NewInode(Inode* n);           // allocates the number, inserts the row (ENOSPC at the limit)
  void ForgetInode(uint64_t ino);    // the row was deleted
  // The cached copy of an inode, nullptr when none: for a caller that
  // changed the row itself.
  Inode* CachedInode(uint64_t ino);
  void AddEntry(uint64_t parent, const std::string& name, uint64_t ino);
  void DelEntry(uint64_t parent, const std::string& name);
  void SetEntry(uint64_t parent, const std::string& name, uint64_t ino);

 private:
  static void LazySnapshot(void* self);
  void RefreshTxn(uint64_t seq);
  uint64_t SeqBegin();
  void SeqEnd(uint64_t seq, bool committed);

  MetaDb db_;
  int64_t cache_entries_ = 0;
  int64_t inode_limit_ = 0;
  int64_t data_version_ = -1;
  std::unordered_map<uint64_t, Inode> icache_;
  std::unordered_map<std::string, uint64_t> dcache_;  // key: 8-byte parent + name
  uint64_t* seq_ = nullptr;
  uint64_t seen_seq_ = 0;
  bool seq_valid_ = false;
  uint64_t txn_seq_ = 0;  // the open write transaction's number in the sequence
};

}  // namespace dingofs

#endif  // DINGOFS_SRC_STORE_H_

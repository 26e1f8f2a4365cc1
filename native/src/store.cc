// The metadata store of a mounted handle: caches, change sequence, transactions.
#include "store.h"

#include "common.h"

namespace dingofs {
namespace {

std::string DKey(uint64_t parent, const std::string& name) {
  std::string k(reinterpret_cast<const char*>(&parent), sizeof parent);
  k += name;
  return k;
}

}  // namespace

void Store::AttachSequence(uint64_t* seq) {
  seq_ = seq;
  seq_valid_ = false;
  // The store's row caches (inline state, xattrs) live and die with the
  // inode cache, which only the change sequence can prove current.
  db_.UseRowCaches(seq != nullptr);
}

void Store::ClearCache() {
  icache_.clear();
  dcache_.clear();
  db_.ForgetRowCaches();
  data_version_ = -1;
}

void Store::Refresh(bool force) {
  // Inside a read snapshot the caches already agree with it; checking the
  // sequence again would mark them current for commits the snapshot cannot
  // see.
  if (db_.in_read() && !force) return;
  uint64_t ended = 0, begun = 1;
  if (seq_ != nullptr) {
    // Read the finished count first: if both are equal afterwards, no write
    // transaction was between its start and its end at that moment.
    ended = __atomic_load_n(&seq_[1], __ATOMIC_ACQUIRE);
    begun = __atomic_load_n(&seq_[0], __ATOMIC_ACQUIRE);
    if (!force && seq_valid_ && data_version_ != -1 && begun == ended && ended == seen_seq_)
      return;
  }
  int64_t v = db_.DataVersion();
  if (v != data_version_) {
    icache_.clear();
    dcache_.clear();
    db_.ForgetRowCaches();
    data_version_ = v;
  }
  seq_valid_ = seq_ != nullptr && begun == ended;
  seen_seq_ = ended;
}

bool Store::CachesCurrent() {
  if (seq_ == nullptr || !seq_valid_ || data_version_ == -1) return false;
  uint64_t ended = __atomic_load_n(&seq_[1], __ATOMIC_ACQUIRE);
  uint64_t begun = __atomic_load_n(&seq_[0], __ATOMIC_ACQUIRE);
  return begun == ended && ended == seen_seq_;
}

void Store::LazySnapshot(void* self) {
  auto* st = static_cast<Store*>(self);
  st->db_.BeginRead();
  // The first statement of the transaction fixes the snapshot. Any writer
  // that committed before it had begun before it, so an unchanged sequence
  // read afterwards proves the snapshot is the state the caches hold.
  int64_t v = st->db_.DataVersion();
  if (v != st->data_version_ || !st->CachesCurrent()) Fail(kStale);
}

void Store::BeginSnapshot() {
  db_.BeginRead();
  Refresh(true);
}

void Store::BeginWrite() {
  txn_seq_ = 0;
  db_.Begin();
  txn_seq_ = SeqBegin();
  RefreshTxn(txn_seq_);
}

int Store::CommitWrite(bool durable) {
  int late = 0;
  try {
    db_.Commit(durable);
  } catch (const FsError& e) {
    // MetaDb::Commit leaves the transaction open when COMMIT itself failed;
    // otherwise it failed afterwards, making the commit durable.
    if (db_.in_txn()) throw;
    late = e.err;
  }
  SeqEnd(txn_seq_, true);
  txn_seq_ = 0;
  return late;
}

void Store::AbortWrite() noexcept {
  db_.Rollback();
  SeqEnd(txn_seq_, false);
  txn_seq_ = 0;
  ClearCache();
}

void Store::RefreshTxn(uint64_t seq) {
  // We hold the write lock. If ours is the only transaction begun since the
  // caches were last validated (and that one had finished), nobody has
  // committed since: skip asking the store.
  if (seq != 0 && seq_valid_ && data_version_ != -1 && seq - 1 == seen_seq_ &&
      __atomic_load_n(&seq_[1], __ATOMIC_ACQUIRE) == seen_seq_)
    return;
  Refresh(true);
}

uint64_t Store::SeqBegin() {
  if (seq_ == nullptr) return 0;
  return __atomic_add_fetch(&seq_[0], 1, __ATOMIC_ACQ_REL);
}

void Store::SeqEnd(uint64_t seq, bool committed) {
  if (seq == 0) return;
  // We held the store's write lock since SeqBegin: nobody else committed in
  // between, so after our own commit (applied to the caches in place) the
  // caches match sequence `seq`. A writer that died in between left
  // begun != finished; the next writer's SeqEnd repairs that.
  __atomic_store_n(&seq_[1], seq, __ATOMIC_RELEASE);
  seq_valid_ = committed && data_version_ != -1;
  seen_seq_ = seq;
}

bool Store::Find(uint64_t ino, Inode* out) {
  auto it = icache_.find(ino);
  if (it != icache_.end()) {
    *out = it->second;
    return true;
  }
  if (!db_.GetInode(ino, out)) return false;
  if (cache_entries_ > 0) {
    if (static_cast<int64_t>(icache_.size()) >= cache_entries_) icache_.clear();
    icache_.emplace(ino, *out);
  }
  return true;
}

Inode& Store::Get(uint64_t ino) {
  thread_local Inode scratch;
  if (!Find(ino, &scratch)) Fail(ENOENT);
  return scratch;
}

uint64_t Store::LookupName(uint64_t parent, const std::string& name) {
  std::string k = DKey(parent, name);
  auto it = dcache_.find(k);
  if (it != dcache_.end()) return it->second;
  uint64_t ino = 0;
  if (!db_.Lookup(parent, name, &ino)) ino = 0;
  if (cache_entries_ > 0) {
    if (static_cast<int64_t>(dcache_.size()) >= cache_entries_) dcache_.clear();
    dcache_.emplace(std::move(k), ino);
  }
  return ino;
}

void Store::PutInode(const Inode& n) {
  db_.UpdateInode(n);
  if (Inode* c = CachedInode(n.ino)) *c = n;
}

Inode* Store::CachedInode(uint64_t ino) {
  auto it = icache_.find(ino);
  return it != icache_.end() ? &it->second : nullptr;
}

void Store::ForgetInode(uint64_t ino) { icache_.erase(ino); }

void Store::NewInode(Inode* n) {
  if (inode_limit_ > 0 && db_.GetUsage().used_inodes >= inode_limit_) Fail(ENOSPC);
  n->ino = db_.AllocIno();
  db_.InsertInode(*n);
  if (n->alloc) db_.AddUsage(0, n->alloc);
}

void Store::AddEntry(uint64_t parent, const std::string& name, uint64_t ino) {
  db_.InsertDentry(parent, name, ino);
  dcache_[DKey(parent, name)] = ino;
}

void Store::DelEntry(uint64_t parent, const std::string& name) {
  db_.DeleteDentry(parent, name);
  dcache_[DKey(parent, name)] = 0;
}

void Store::SetEntry(uint64_t parent, const std::string& name, uint64_t ino) {
  db_.UpdateDentry(parent, name, ino);
  dcache_[DKey(parent, name)] = ino;
}

}  // namespace dingofs

// Tests of the engine's metadata store on its own (src/store.h): caches,
// the shared change sequence, read and write transactions. White-box: unlike
// the other suites it includes the engine's private headers.
#include <sys/stat.h>
#include <unistd.h>

#include <string>

extern "C" {
#include "tinytest.h"
}

#include "common.h"
#include "meta.h"
#include "store.h"
#include "walbuf.h"

using dingofs::FsError;
using dingofs::Inode;
using dingofs::Store;

namespace {

// The change sequence every connection of a filesystem shares (a mapped page
// of the lock file in the engine; two counters in memory here, where both
// stores live in one process).
uint64_t g_seq[2];

std::string DbPath() { return std::string(tt_base) + "/meta.db"; }

void OpenStore(Store* s, bool create, int64_t inode_limit = 0) {
  dingofs::StoreSection section;
  REQUIRE_EQ_INT(s->db().Open(DbPath(), false, false, nullptr), 0);
  std::string why;
  REQUIRE_EQ_INT(s->db().InitSchema(create, 0, 0, std::string(tt_base) + "/data",
                                           dingofs::kFormatVersion, true, &why), 0);
  s->SetLimits(1000, inode_limit);
  s->AttachSequence(g_seq);
}

// Runs f in a write transaction of s; returns the errno it failed with, or 0.
template <class F>
int Write(Store* s, F f) {
  dingofs::StoreSection section;
  try {
    s->BeginWrite();
    f();
    s->CommitWrite(false);
    return 0;
  } catch (const FsError& e) {
    s->AbortWrite();
    return e.err;
  }
}

// Runs f on a read snapshot of s, as the engine's read operations do: on the
// fast path when the caches are current. Returns the errno, or 0.
template <class F>
int Read(Store* s, F f) {
  dingofs::StoreSection section;
  int err = 0;
  if (s->CachesCurrent()) {
    s->ArmLazySnapshot();
  } else {
    s->BeginSnapshot();
  }
  try {
    f();
  } catch (const FsError& e) {
    err = e.err;
  }
  s->EndRead();
  return err;
}

uint64_t MakeFile(Store* s, const std::string& name) {
  Inode n;
  n.mode = S_IFREG | 0644;
  n.nlink = 1;
  n.parent = dingofs::kRootIno;
  REQUIRE_EQ_INT(Write(s, [&] {
                   s->NewInode(&n);
                   s->AddEntry(dingofs::kRootIno, name, n.ino);
                 }),
                 0);
  return n.ino;
}

void CloseStore(Store* s) {
  dingofs::StoreSection section;
  s->db().Close();
}

}  // namespace

// A commit through one connection makes the other's caches stale at once:
// it answers from the store again and sees the change.
TEST(store_commit_elsewhere_invalidates_caches) {
  Store a, b;
  OpenStore(&a, true);
  OpenStore(&b, false);
  uint64_t ino = MakeFile(&a, "f");
  Inode seen;
  CHECK_EQ_INT(Read(&b, [&] { seen = b.Get(ino); }), 0);
  CHECK_EQ_INT(seen.mode, S_IFREG | 0644);
  CHECK(b.CachesCurrent());  // nothing committed since: no store access needed
  CHECK_EQ_INT(Write(&a, [&] {
                 Inode n = a.Get(ino);
                 n.mode = S_IFREG | 0600;
                 a.PutInode(n);
               }),
               0);
  CHECK(!b.CachesCurrent());
  CHECK_EQ_INT(Read(&b, [&] { seen = b.Get(ino); }), 0);
  CHECK_EQ_INT(seen.mode, S_IFREG | 0600);
  CHECK(b.CachesCurrent());
  CloseStore(&a);
  CloseStore(&b);
}

// A rolled-back write leaves neither the row nor the caches changed.
TEST(store_abort_drops_what_the_transaction_cached) {
  Store a;
  OpenStore(&a, true);
  uint64_t ino = MakeFile(&a, "f");
  int err = Write(&a, [&] {
    Inode n = a.Get(ino);
    n.size = 4096;
    a.PutInode(n);
    a.DelEntry(dingofs::kRootIno, "f");
    CHECK_EQ_INT(a.LookupName(dingofs::kRootIno, "f"), 0);
    dingofs::Fail(EPERM);  // a check that failed after the changes
  });
  CHECK_EQ_INT(err, EPERM);
  Inode seen;
  uint64_t found = 0;
  CHECK_EQ_INT(Read(&a, [&] {
                 seen = a.Get(ino);
                 found = a.LookupName(dingofs::kRootIno, "f");
               }),
               0);
  CHECK_EQ_INT(seen.size, 0);
  CHECK_EQ_INT(found, ino);
  CloseStore(&a);
}

// The dentry cache remembers missing names, and changes through the store
// keep it right.
TEST(store_names_added_removed_and_replaced) {
  Store a, b;
  OpenStore(&a, true);
  OpenStore(&b, false);
  uint64_t found = 1;
  CHECK_EQ_INT(Read(&a, [&] { found = a.LookupName(dingofs::kRootIno, "x"); }), 0);
  CHECK_EQ_INT(found, 0);
  uint64_t x = MakeFile(&a, "x");
  uint64_t y = MakeFile(&a, "y");
  CHECK_EQ_INT(Read(&a, [&] { found = a.LookupName(dingofs::kRootIno, "x"); }), 0);
  CHECK_EQ_INT(found, x);
  CHECK_EQ_INT(Write(&a, [&] { a.SetEntry(dingofs::kRootIno, "x", y); }), 0);
  CHECK_EQ_INT(Read(&b, [&] { found = b.LookupName(dingofs::kRootIno, "x"); }), 0);
  CHECK_EQ_INT(found, y);
  CHECK_EQ_INT(Write(&b, [&] { b.DelEntry(dingofs::kRootIno, "x"); }), 0);
  CHECK_EQ_INT(Read(&a, [&] { found = a.LookupName(dingofs::kRootIno, "x"); }), 0);
  CHECK_EQ_INT(found, 0);
  CloseStore(&a);
  CloseStore(&b);
}

// A read that found its caches current but reaches the store only after
// another connection committed fails with kStale (the caller then starts
// again on a fresh snapshot) instead of mixing the two states.
TEST(store_lazy_snapshot_detects_a_commit_in_between) {
  Store a, b;
  OpenStore(&a, true);
  OpenStore(&b, false);
  uint64_t ino = MakeFile(&a, "f");
  CHECK_EQ_INT(Read(&b, [&] { b.Get(ino); }), 0);
  REQUIRE(b.CachesCurrent());
  dingofs::StoreSection section;
  b.ArmLazySnapshot();
  MakeFile(&a, "g");  // commits before b's first statement
  int err = 0;
  try {
    b.LookupName(dingofs::kRootIno, "g");  // not cached: reaches the store
  } catch (const FsError& e) {
    err = e.err;
  }
  b.EndRead();
  CHECK_EQ_INT(err, dingofs::kStale);
  uint64_t found = 0;
  CHECK_EQ_INT(Read(&b, [&] { found = b.LookupName(dingofs::kRootIno, "g"); }), 0);
  CHECK(found != 0);
  CloseStore(&a);
  CloseStore(&b);
}

// Inode numbers are never reused, and the inode limit holds.
TEST(store_new_inodes_and_the_limit) {
  Store a;
  OpenStore(&a, true, 3);  // root + 2
  uint64_t f1 = MakeFile(&a, "a");
  uint64_t f2 = MakeFile(&a, "b");
  CHECK(f2 > f1 && f1 > dingofs::kRootIno);
  Inode n;
  n.mode = S_IFREG | 0644;
  n.nlink = 1;
  CHECK_EQ_INT(Write(&a, [&] { a.NewInode(&n); }), ENOSPC);
  CHECK_EQ_INT(Write(&a, [&] {
                 a.DelEntry(dingofs::kRootIno, "b");
                 a.db().DeleteInode(f2);
                 a.db().AddUsage(-1, 0);
                 a.ForgetInode(f2);
               }),
               0);
  uint64_t f3 = MakeFile(&a, "c");
  CHECK(f3 > f2);
  Inode gone;
  CHECK_EQ_INT(Read(&a, [&] { CHECK(!a.Find(f2, &gone)); }), 0);
  CloseStore(&a);
}

// The store goes through the WAL write shim (walbuf.h): a commit's frames
// (two writes each from SQLite) reach the journal in one write, and every
// commit is whole for another connection as soon as it returns.
TEST(store_wal_frames_written_together) {
  Store a, b;
  OpenStore(&a, true);
  OpenStore(&b, false);
  dingofs::WalBufStats before = dingofs::WalBufCounters();
  const int kFiles = 50;
  for (int i = 0; i < kFiles; i++) {
    uint64_t ino = MakeFile(&a, "f" + std::to_string(i));
    Inode seen;
    CHECK_EQ_INT(Read(&b, [&] { seen = b.Get(ino); }), 0);
    CHECK_EQ_INT(seen.ino, ino);
    CHECK_EQ_INT(seen.mode, S_IFREG | 0644);
  }
  dingofs::WalBufStats after = dingofs::WalBufCounters();
  uint64_t in = after.writes_in - before.writes_in;
  uint64_t out = after.writes_out - before.writes_out;
  CHECK(in >= 4u * kFiles);  // at least two frames per commit
  CHECK(out <= in / 3);
  CHECK(out >= static_cast<uint64_t>(kFiles));  // at least one write per commit
  CloseStore(&a);
  CloseStore(&b);
}

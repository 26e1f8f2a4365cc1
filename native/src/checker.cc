// Consistency checker. It reads one snapshot of the metadata store and checks
// the invariants the engine maintains:
//   - every directory entry names a live inode, under a live directory;
//   - nlink is exact (directories: 2 + subdirectories; others: their entries);
//   - every inode is reachable, or is an orphan (nlink 0, listed in orphans);
//   - orphans still held open by a live process are reported, not counted, and
//     so, while the filesystem is mounted, are orphans awaiting reclaim (a
//     removal on a full disk defers it; the last umount reclaims them);
//   - used-inode and used-byte counters match the inode table;
//   - every data file belongs to a live regular inode that is not inline;
//   - inline bytes (format 2) belong to a live regular inode, are no longer
//     than its size, and are what its alloc counts;
//   - the inode number counter is ahead of every inode.
// Repair (only when no process has the filesystem mounted) fixes each finding.
//
// Offline and online checks differ in one point. A removal commits first and
// unlinks the data file afterwards, so while the filesystem is mounted a data
// file of a just-removed inode is normal for a moment, and one left by a
// process killed in between stays until the next recovery. An online check
// (some process has it mounted) therefore only notes a data file without an
// inode row when its number was handed out; an offline check (nobody has it
// mounted: the check holds the exclusive mount lock throughout) counts every
// such file, because the recovery that follows an unclean shutdown removes
// them all. A data file whose number was never handed out is counted always.
#include "checker.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <vector>

#include "address.h"
#include "common.h"
#include "data.h"
#include "meta.h"

namespace dingofs {
namespace {

class Checker {
 public:
  Checker(bool repair, std::string* report) : repair_(repair), report_(report) {}
  int Run(const Address& a);

 private:
  void Problem(const std::string& s) {
    problems_++;
    *report_ += s + (repair_ ? " (repaired)\n" : "\n");
  }
  void Note(const std::string& s) { *report_ += s + "\n"; }
  bool Free(uint64_t ino);

  bool repair_;
  std::string* report_;
  int problems_ = 0;
  bool offline_ = false;
  MetaDb db_;
  int probefd_ = -1;
  std::string data_dir_;
};

bool Checker::Free(uint64_t ino) {
  if (OfdLock(probefd_, OpenLockOff(ino), F_WRLCK, false) != 0) return false;
  OfdLock(probefd_, OpenLockOff(ino), F_UNLCK, false);
  return true;
}

int Checker::Run(const Address& a) {
  StoreSection section;
  std::string meta_dir = a.meta_dir();
  std::string dbfile = meta_dir + "/meta.db";
  if (access(dbfile.c_str(), F_OK) != 0) return -ENOENT;
  std::string lockfile = meta_dir + "/lock";
  probefd_ = open(lockfile.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  bool media_ro = false;
  if (probefd_ < 0 && errno == EROFS && !repair_) {
    media_ro = true;  // read-only media: nothing can change it while we look
    probefd_ = open(lockfile.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (probefd_ < 0) return -errno;
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{probefd_};
  // Offline when the exclusive mount lock is free; held until the end so no
  // mount can start meanwhile (a mount waits for it).
  offline_ = media_ro || OfdLock(probefd_, kMountLockOff, F_WRLCK, false) == 0;
  if (repair_ && !offline_) return -EBUSY;
  int rc = db_.Open(dbfile, true, false, nullptr);
  if (rc != 0) return rc;
  db_.SetDeadline(MonoMs() + 10000);
  std::string why;
  rc = db_.InitSchema(false, 0, 0, "", kFormatVersion, false, &why);
  if (rc != 0) {
    if (rc == -EPROTO) Note("format: " + why);
    return rc;
  }
  data_dir_ = db_.GetMeta("data_dir", a.default_data_dir());
  if (repair_) {
    db_.Begin();
  } else {
    db_.Exec("BEGIN");
  }
  try {
    sqlite3* raw = db_.raw();
    (void)raw;
    // Inodes.
    std::map<uint64_t, Inode> inodes;
    {
      std::string sql = std::string("SELECT ") + kInodeColumns + " FROM inodes";
      sqlite3_stmt* s = nullptr;
      if (sqlite3_prepare_v2(db_.raw(), sql.c_str(), -1, &s, nullptr) != SQLITE_OK) Fail(EIO);
      while (db_.Step(s) == SQLITE_ROW) {
        Inode n;
        ReadInodeRow(s, 0, &n);
        inodes[n.ino] = n;
      }
      sqlite3_finalize(s);
    }
    std::set<uint64_t> orphans;
    for (uint64_t o : db_.Orphans()) orphans.insert(o);
    // Entries.
    std::map<uint64_t, int64_t> links, subdirs;
    std::map<uint64_t, std::vector<uint64_t>> dir_parents;
    struct Bad {
      uint64_t parent;
      std::string name;
    };
    std::vector<Bad> bad_entries;
    {
      sqlite3_stmt* s = nullptr;
      if (sqlite3_prepare_v2(db_.raw(), "SELECT parent, name, ino FROM dentries", -1, &s,
                             nullptr) != SQLITE_OK)
        Fail(EIO);
      while (db_.Step(s) == SQLITE_ROW) {
        uint64_t parent = sqlite3_column_int64(s, 0);
        const void* p = sqlite3_column_blob(s, 1);
        std::string name(p ? static_cast<const char*>(p) : "", sqlite3_column_bytes(s, 1));
        uint64_t ino = sqlite3_column_int64(s, 2);
        auto pi = inodes.find(parent);
        auto ci = inodes.find(ino);
        if (pi == inodes.end() || !S_ISDIR(pi->second.mode)) {
          Problem("entry '" + name + "' in " + std::to_string(parent) +
                  ": parent is not a live directory");
          bad_entries.push_back({parent, name});
          continue;
        }
        if (ci == inodes.end()) {
          Problem("entry '" + name + "' in " + std::to_string(parent) + " names missing inode " +
                  std::to_string(ino));
          bad_entries.push_back({parent, name});
          continue;
        }
        links[ino]++;
        if (S_ISDIR(ci->second.mode)) {
          subdirs[parent]++;
          dir_parents[ino].push_back(parent);
        }
      }
      sqlite3_finalize(s);
    }
    if (repair_)
      for (auto& b : bad_entries) db_.DeleteDentry(b.parent, b.name);
    int64_t used_inodes = 0, used_bytes = 0;
    uint64_t max_ino = 0;
    for (auto& kv : inodes) {
      Inode& n = kv.second;
      used_inodes++;
      used_bytes += n.alloc;
      if (n.ino > max_ino) max_ino = n.ino;
      std::string id = "inode " + std::to_string(n.ino);
      if (S_ISDIR(n.mode)) {
        int64_t want = 2 + subdirs[n.ino];
        auto& ps = dir_parents[n.ino];
        if (n.ino != kRootIno && ps.size() != 1) {
          Problem(id + ": directory has " + std::to_string(ps.size()) + " entries");
          if (ps.empty() && repair_) {
            // Unreachable directory: drop it with its entries below.
            db_.DeleteInode(n.ino);
            db_.AddUsage(-1, 0);
            continue;
          }
        } else if (n.ino != kRootIno && n.parent != ps[0]) {
          Problem(id + ": parent field " + std::to_string(n.parent) + " but entry in " +
                  std::to_string(ps[0]));
          n.parent = ps[0];
          if (repair_) db_.UpdateInode(n);
        }
        if (static_cast<int64_t>(n.nlink) != want) {
          Problem(id + ": nlink " + std::to_string(n.nlink) + ", expected " +
                  std::to_string(want));
          n.nlink = want;
          if (repair_) db_.UpdateInode(n);
        }
        continue;
      }
      int64_t want = links[n.ino];
      if (want == 0 && n.ino != kRootIno) {
        if (n.nlink != 0 || !orphans.count(n.ino)) {
          Problem(id + ": unreachable inode with nlink " + std::to_string(n.nlink) +
                  (orphans.count(n.ino) ? "" : " not listed as orphan"));
          if (repair_) {
            n.nlink = 0;
            db_.UpdateInode(n);
            db_.AddOrphan(n.ino);
            orphans.insert(n.ino);
          }
        }
        continue;
      }
      if (static_cast<int64_t>(n.nlink) != want) {
        Problem(id + ": nlink " + std::to_string(n.nlink) + ", expected " + std::to_string(want));
        n.nlink = want;
        if (repair_) db_.UpdateInode(n);
      }
      if (orphans.count(n.ino)) {
        Problem(id + ": listed as orphan but still linked");
        if (repair_) db_.DelOrphan(n.ino);
        orphans.erase(n.ino);
      }
    }
    // Inline bytes (format 2).
    std::map<uint64_t, int64_t> inl;
    if (db_.format() >= 2) {
      sqlite3_stmt* s = nullptr;
      sqlite3_prepare_v2(db_.raw(), "SELECT ino, length(data) FROM inline_data", -1, &s, nullptr);
      while (s && db_.Step(s) == SQLITE_ROW)
        inl[static_cast<uint64_t>(sqlite3_column_int64(s, 0))] = sqlite3_column_int64(s, 1);
      sqlite3_finalize(s);
    }
    for (auto ii = inl.begin(); ii != inl.end();) {
      std::string id = "inline data of inode " + std::to_string(ii->first);
      auto it = inodes.find(ii->first);
      if (it == inodes.end() || !S_ISREG(it->second.mode)) {
        Problem(id + (it == inodes.end() ? ": no such inode" : ": not a regular file"));
        if (repair_) db_.DelInline(ii->first);
        ii = inl.erase(ii);
        continue;
      }
      Inode& n = it->second;
      if (ii->second > n.size) {
        Problem(id + ": " + std::to_string(ii->second) + " bytes, more than its size " +
                std::to_string(n.size));
        if (repair_) {
          std::string bytes;
          db_.GetInline(n.ino, &bytes);
          bytes.resize(static_cast<size_t>(n.size));
          db_.PutInline(n.ino, bytes);
        }
        ii->second = n.size;
      }
      if (n.alloc != ii->second) {
        Problem(id + ": alloc " + std::to_string(n.alloc) + ", inline bytes " +
                std::to_string(ii->second));
        used_bytes += ii->second - n.alloc;
        n.alloc = ii->second;
        if (repair_) db_.UpdateInode(n);
      }
      ++ii;
    }
    for (uint64_t o : orphans) {
      auto it = inodes.find(o);
      if (it == inodes.end()) {
        Problem("orphan " + std::to_string(o) + " has no inode");
        if (repair_) db_.DelOrphan(o);
        continue;
      }
      if (S_ISREG(it->second.mode) && !Free(o)) {
        Note("orphan " + std::to_string(o) + " in use by a live opener");
        continue;
      }
      if (!offline_) {
        // A handle that removed it on a full disk reclaims it when the disk has
        // room, at its umount, or the last umount does.
        Note("orphan " + std::to_string(o) + " awaiting reclaim (mounted: deferred by a full disk?)");
        continue;
      }
      Problem("orphan " + std::to_string(o) + " not reclaimed");
      if (repair_) {
        db_.DeleteInode(o);
        db_.AddUsage(-1, -it->second.alloc);
        unlink(DataPath(data_dir_, o).c_str());
        used_inodes--;
        used_bytes -= it->second.alloc;
        inodes.erase(it);
      }
    }
    Usage u = db_.GetUsage();
    if (repair_) u = Usage{u.next_ino, u.used_inodes, u.used_bytes};
    if (u.used_inodes != used_inodes || u.used_bytes != used_bytes) {
      // Recount after repairs so the stored counters match exactly.
      Problem("counters: used_inodes " + std::to_string(u.used_inodes) + " (actual " +
              std::to_string(used_inodes) + "), used_bytes " + std::to_string(u.used_bytes) +
              " (actual " + std::to_string(used_bytes) + ")");
    }
    if (repair_) {
      sqlite3_stmt* s = nullptr;
      sqlite3_prepare_v2(db_.raw(),
                         "SELECT count(*), coalesce(sum(alloc),0) FROM inodes", -1, &s, nullptr);
      if (s && db_.Step(s) == SQLITE_ROW)
        db_.SetUsage(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1));
      sqlite3_finalize(s);
    }
    if (static_cast<uint64_t>(u.next_ino) <= max_ino) {
      Problem("inode counter " + std::to_string(u.next_ino) + " not above inode " +
              std::to_string(max_ino));
      if (repair_) {
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(db_.raw(), "UPDATE counters SET next_ino=? WHERE id=1", -1, &s,
                           nullptr);
        if (s) {
          sqlite3_bind_int64(s, 1, max_ino + 1);
          db_.Step(s);
          sqlite3_finalize(s);
        }
      }
    }
    // Data files. A file for an inode created after our snapshot is normal
    // while mounted elsewhere, so in a read-only check every candidate is
    // re-checked against a fresh read after the snapshot (a repair holds the
    // exclusive mount lock: nothing can be created meanwhile).
    std::vector<std::pair<std::string, uint64_t>> strays;
    for (int i = 0; i < 256; i++) {
      char sub[8];
      snprintf(sub, sizeof sub, "%02x", i);
      std::string dir = data_dir_ + "/" + sub;
      DIR* d = opendir(dir.c_str());
      if (!d) continue;
      while (struct dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        char* end = nullptr;
        uint64_t ino = strtoull(e->d_name, &end, 10);
        std::string path = dir + "/" + e->d_name;
        bool ok = end && *end == '\0' && (ino & 0xff) == static_cast<uint64_t>(i);
        auto it = inodes.find(ino);
        if (ok && it != inodes.end() && S_ISREG(it->second.mode) && !inl.count(ino)) continue;
        strays.emplace_back(path, ok ? ino : 0);
      }
      closedir(d);
    }
    // A data file whose inode number was handed out but has no row any more
    // is what a removal leaves between its commit and the unlink of the data
    // file (or when its process died in between). See the comment at the top
    // for when it counts.
    auto leftover = [&](uint64_t ino) {
      return ino != 0 && ino < static_cast<uint64_t>(u.next_ino);
    };
    auto report_stray = [&](const std::string& path, uint64_t ino) {
      if (inl.count(ino)) {
        // Moving a file out of the store makes its data file before the
        // commit; moving it in removes it after.
        if (offline_) {
          Problem("data file " + path + " of an inline file");
        } else {
          Note("data file " + path + " of an inline file (mounted: it may be moving)");
        }
      } else if (!leftover(ino)) {
        Problem("data file " + path + " belongs to no inode");
      } else if (offline_) {
        Problem("data file " + path + " of a removed inode");
      } else {
        Note("data file " + path +
             " of a removed inode (mounted: its removal may be in progress)");
      }
    };
    if (repair_) {
      for (auto& s : strays) {
        report_stray(s.first, s.second);
        unlink(s.first.c_str());
      }
      db_.SetMeta("mounts", "0");
      db_.SetMeta("clean", "1");
      db_.Commit(true);
    } else {
      db_.Rollback();
      for (auto& s : strays) {
        Inode n;
        std::string bytes;
        if (s.second != 0 && db_.GetInode(s.second, &n) && S_ISREG(n.mode) &&
            !db_.GetInline(s.second, &bytes)) {
          inl.erase(s.second);
          continue;
        }
        report_stray(s.first, s.second);
      }
    }
  } catch (...) {
    db_.Rollback();
    throw;
  }
  db_.Close();
  return problems_;
}

}  // namespace

int RunFsck(const std::string& addr, bool repair, std::string* report) {
  Address a;
  std::string why;
  int rc = ParseAddress(addr, &a, &why);
  if (rc != 0) {
    *report = why.empty() ? "not a local:// address\n" : why + "\n";
    return rc;
  }
  Checker c(repair, report);
  return c.Run(a);
}

}  // namespace dingofs

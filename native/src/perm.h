// Permission checks against the caller's effective credentials, as Linux does.
#ifndef DINGOFS_SRC_PERM_H_
#define DINGOFS_SRC_PERM_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <vector>

#include "meta.h"

namespace dingofs {

class Cred {
 public:
  // The calling thread's effective uid/gid, read from the kernel when first
  // needed (two system calls that a lookup through directories every class
  // may search never makes); groups are loaded on demand too.
  static Cred Current() { return Cred(); }
  uid_t uid() const {
    Load();
    return uid_;
  }
  gid_t gid() const {
    Load();
    return gid_;
  }
  bool root() const { return uid() == 0; }
  bool InGroup(gid_t g);

 private:
  void Load() const;

  mutable uid_t uid_ = 0;
  mutable gid_t gid_ = 0;
  mutable bool ids_ = false;
  bool loaded_ = false;
  std::vector<gid_t> groups_;
};

// mask: a combination of R_OK, W_OK, X_OK. Throws FsError(EACCES) when denied.
void CheckAccess(const Inode& n, int mask, Cred& c);
bool MayAccess(const Inode& n, int mask, Cred& c);
// Owner or root, else EPERM.
void CheckOwner(const Inode& n, Cred& c);
// Sticky directory rule for removing/renaming `victim` out of `dir`.
void CheckSticky(const Inode& dir, const Inode& victim, Cred& c);

// Owner of a new inode made under `parent`: the caller's uid and gid, except
// that under a set-gid directory the gid is the directory's.
inline void SetNewOwner(Inode& n, const Inode& parent, const Cred& c) {
  n.uid = c.uid();
  n.gid = (parent.mode & S_ISGID) ? parent.gid : c.gid();
}

}  // namespace dingofs

#endif  // DINGOFS_SRC_PERM_H_

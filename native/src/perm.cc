// Permission checks: owner, group (primary or supplementary), other; root
// bypasses read/write and gets execute when any execute bit is set.
#include "perm.h"

#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

namespace dingofs {

void Cred::Load() const {
  if (ids_) return;
  uid_ = geteuid();
  gid_ = getegid();
  ids_ = true;
}

bool Cred::InGroup(gid_t g) {
  if (g == gid()) return true;
  if (!loaded_) {
    loaded_ = true;
    int n = getgroups(0, nullptr);
    if (n > 0) {
      groups_.resize(n);
      n = getgroups(n, groups_.data());
      groups_.resize(n > 0 ? n : 0);
    }
  }
  for (gid_t x : groups_)
    if (x == g) return true;
  return false;
}

bool MayAccess(const Inode& n, int mask, Cred& c) {
  mask &= (R_OK | W_OK | X_OK);
  if (mask == 0) return true;
  // Granted to the owner, the group and everyone else alike: granted to any
  // caller (root included, who needs some execute bit for X_OK on a file),
  // without asking who the caller is.
  const unsigned want = static_cast<unsigned>(mask);
  if (((n.mode >> 6) & want) == want && ((n.mode >> 3) & want) == want && (n.mode & want) == want)
    return true;
  if (c.root()) {
    if ((mask & X_OK) && !S_ISDIR(n.mode) && (n.mode & 0111) == 0) return false;
    return true;
  }
  int bits;
  if (c.uid() == n.uid)
    bits = (n.mode >> 6) & 7;
  else if (c.InGroup(n.gid))
    bits = (n.mode >> 3) & 7;
  else
    bits = n.mode & 7;
  return (bits & mask) == mask;
}

void CheckAccess(const Inode& n, int mask, Cred& c) {
  if (!MayAccess(n, mask, c)) Fail(EACCES);
}

void CheckOwner(const Inode& n, Cred& c) {
  if (!c.root() && c.uid() != n.uid) Fail(EPERM);
}

void CheckSticky(const Inode& dir, const Inode& victim, Cred& c) {
  if (!(dir.mode & S_ISVTX) || c.root()) return;
  if (c.uid() == dir.uid || c.uid() == victim.uid) return;
  Fail(EPERM);
}

}  // namespace dingofs

// Path resolution: components looked up through the handle's dentry cache,
// symlinks expanded (at most 40 hops), "." and ".." resolved physically.
#include <unistd.h>

#include <cstring>

#include "fs.h"

namespace dingofs {
namespace {

// Pushes the components of `p` onto `todo` so that the first one is popped first.
void PushComponents(const std::string& p, std::vector<std::string>* todo) {
  std::vector<std::string> comps;
  size_t i = 0;
  while (i < p.size()) {
    while (i < p.size() && p[i] == '/') i++;
    if (i >= p.size()) break;
    size_t e = p.find('/', i);
    if (e == std::string::npos) e = p.size();
    comps.emplace_back(p, i, e - i);
    i = e;
  }
  for (auto it = comps.rbegin(); it != comps.rend(); ++it) todo->push_back(std::move(*it));
}

}  // namespace

Lookup Fs::Resolve(const char* path, bool follow_final, Cred& c, bool change, bool creat) {
  size_t len = strlen(path);
  if (len == 0) Fail(ENOENT);
  if (len > kMaxPathLen) Fail(ENAMETOOLONG);
  std::vector<std::string> todo;
  todo.reserve(8);
  PushComponents(std::string(path, len), &todo);
  Lookup r;
  bool trailing = path[len - 1] == '/';
  uint64_t cur = kRootIno;
  int hops = 0;
  if (todo.empty()) {
    r.parent = 0;
    r.ino = kRootIno;
    return r;
  }
  while (!todo.empty()) {
    std::string name = std::move(todo.back());
    todo.pop_back();
    bool last = todo.empty();
    const Inode& dir = store_.Get(cur);
    if (!S_ISDIR(dir.mode)) Fail(ENOTDIR);
    CheckAccess(dir, X_OK, c);  // root passes when any execute bit is set
    // Creating through a symlink whose target ends in '/': Linux refuses
    // (EISDIR) before it looks the target's last name up.
    if (last && creat && trailing && name != "." && name != "..") Fail(EISDIR);
    if (name.size() > kMaxNameLen) {
      // The lookup of an over-long name fails; for a change the caller
      // decides when that is reported (Linux looks the final name up only
      // after some checks of its own).
      if (!(last && change)) Fail(ENAMETOOLONG);
      r.parent = cur;
      r.name = std::move(name);
      r.ino = 0;
      r.trailing_slash = trailing;
      r.too_long = true;
      return r;
    }
    uint64_t child;
    if (name == ".") {
      child = cur;
    } else if (name == "..") {
      child = cur == kRootIno ? kRootIno : dir.parent;
    } else {
      child = store_.LookupName(cur, name);
    }
    if (last && (name == "." || name == "..")) {
      r.parent = cur;
      r.name = name;
      r.ino = child;
      r.trailing_slash = trailing;
      return r;
    }
    if (child == 0) {
      if (!last) Fail(ENOENT);
      r.parent = cur;
      r.name = std::move(name);
      r.ino = 0;
      r.trailing_slash = trailing;
      return r;
    }
    const Inode& cn = store_.Get(child);
    if (S_ISLNK(cn.mode) && (!last || (!change && (follow_final || trailing)))) {
      if (++hops > kMaxSymlinkHops) Fail(ELOOP);
      const std::string& t = cn.target;
      if (t.empty()) Fail(ENOENT);
      if (t[0] == '/') cur = kRootIno;
      if (last && t.back() == '/') trailing = true;
      size_t before = todo.size();
      PushComponents(t, &todo);
      if (todo.size() == before && last) {
        // The target is "/" (only slashes): the root itself.
        r.parent = 0;
        r.ino = kRootIno;
        return r;
      }
      continue;
    }
    if (last) {
      if (trailing && !change && !S_ISDIR(cn.mode)) Fail(ENOTDIR);
      r.parent = cur;
      r.name = std::move(name);
      r.ino = child;
      r.trailing_slash = trailing;
      return r;
    }
    cur = child;
  }
  Fail(ENOENT);
}

uint64_t Fs::ResolveIno(const char* path, bool follow_final, Cred& c) {
  Lookup l = Resolve(path, follow_final, c);
  if (l.ino == 0) Fail(ENOENT);
  return l.ino;
}

}  // namespace dingofs

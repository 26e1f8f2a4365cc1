// Local filesystems on disk, without mounting them: what an address resolves
// to, which filesystems a base directory holds, and their removal
// (dingofs_x_local_info, dingofs_x_local_list, dingofs_x_local_remove).
#ifndef DINGOFS_SRC_LOCAL_H_
#define DINGOFS_SRC_LOCAL_H_

#include <cstdint>
#include <string>
#include <vector>

namespace dingofs {

struct LocalFs {
  std::string name;
  std::string base;      // as the engine uses it (base=, else the default base)
  std::string meta_dir;  // <base>/meta/<NAME>
  std::string data_dir;  // recorded at creation, else path=, else <base>/data/<NAME>
  int exists = -1;       // 1: a metadata store is there; 0: not; -1: not looked at
  int mounted = -1;      // 1: some handle has it mounted (or a repair runs); 0: not; -1: unknown
  int64_t bytes = -1;    // bytes allocated on disk to its files; -1: not counted
};

// What addr resolves to. parse_only: from the address alone (no file is
// looked at); sizes: also count the bytes on disk. Returns 0, -EINVAL (bad
// address; *why explains), -EPROTONOSUPPORT (not a local:// address).
int LocalInfo(const std::string& addr, bool parse_only, bool sizes, LocalFs* out,
              std::string* why);

// The filesystems under base (nullptr: the default base), sorted by name.
// A base without filesystems gives none. Returns 0 or -errno.
int LocalList(const char* base, bool sizes, std::vector<LocalFs>* out, std::string* why);

// Deletes the filesystem of addr: its metadata directory and its data files.
// Returns 0, -ENOENT (no such filesystem), -EBUSY (mounted), -EINVAL (bad
// address, or a path= other than the recorded data directory),
// -EPROTONOSUPPORT, or the -errno of a removal that failed.
int LocalRemove(const std::string& addr, std::string* why);

}  // namespace dingofs

#endif  // DINGOFS_SRC_LOCAL_H_

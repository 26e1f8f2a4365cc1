// Parsing of mount addresses: local://NAME[?base=&storage=file&path=&create=&ro=&capacity=&inodes=&unsafe_fs=].
#ifndef DINGOFS_SRC_ADDRESS_H_
#define DINGOFS_SRC_ADDRESS_H_

#include <cstdint>
#include <string>

namespace dingofs {

struct Address {
  std::string name;
  std::string base;      // resolved base directory
  std::string data_dir;  // explicit path= (empty: default or stored)
  bool create = true;
  bool read_only = false;
  // Mount even where SQLite's locks and shared memory cannot be trusted
  // (network and FUSE filesystems): the user takes the risk.
  bool unsafe_fs = false;
  int64_t capacity = 0;  // 0 = unlimited
  int64_t inodes = 0;    // 0 = unlimited
  std::string meta_dir() const { return base + "/meta/" + name; }
  std::string default_data_dir() const { return base + "/data/" + name; }
};

// Whether n is a valid filesystem NAME: 1 to 64 of A-Z a-z 0-9 . _ -, not
// starting with '.'.
bool ValidName(const std::string& n);

// The base directory the engine uses for base (empty: $DINGOFS_BASE_DIR, else
// /var/dingo for root and ~/.dingo for other users), without trailing '/'.
std::string ResolveBase(const std::string& base);

// Returns 0, -EINVAL (malformed local address, empty string), or
// -EPROTONOSUPPORT (not a local:// address). On -EINVAL *why explains.
int ParseAddress(const std::string& addr, Address* out, std::string* why);

// Best-effort NAME of an address, for log file names.
std::string AddressName(const std::string& addr);

}  // namespace dingofs

#endif  // DINGOFS_SRC_ADDRESS_H_

// Address parsing, name rules and default base directory selection.
#include "address.h"

#include <cerrno>
#include <cstdlib>
#include <pwd.h>
#include <unistd.h>

namespace dingofs {
namespace {

const char kScheme[] = "local://";

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool Unescape(const std::string& in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); i++) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      int a = Hex(in[i + 1]), b = Hex(in[i + 2]);
      if (a < 0 || b < 0) return false;
      out->push_back(static_cast<char>(a * 16 + b));
      i += 2;
    } else {
      out->push_back(in[i]);
    }
  }
  return true;
}

bool ParseU64(const std::string& s, int64_t* out) {
  if (s.empty() || s[0] == '-' || s[0] == '+') return false;
  char* end = nullptr;
  errno = 0;
  long long v = strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < 0) return false;
  *out = v;
  return true;
}

std::string DefaultBase() {
  const char* env = getenv("DINGOFS_BASE_DIR");
  if (env != nullptr && env[0] != '\0') return env;
  if (geteuid() == 0) return "/var/dingo";
  const char* home = getenv("HOME");
  if (home != nullptr && home[0] != '\0') return std::string(home) + "/.dingo";
  struct passwd pw, *res = nullptr;
  char buf[4096];
  if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res != nullptr)
    return std::string(res->pw_dir) + "/.dingo";
  return "/tmp/.dingo-" + std::to_string(geteuid());
}

}  // namespace

bool ValidName(const std::string& n) {
  if (n.empty() || n.size() > 64 || n[0] == '.') return false;
  for (char c : n) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string ResolveBase(const std::string& base) {
  std::string b = base.empty() ? DefaultBase() : base;
  while (b.size() > 1 && b.back() == '/') b.pop_back();
  return b;
}

std::string AddressName(const std::string& addr) {
  if (addr.compare(0, sizeof(kScheme) - 1, kScheme) != 0) return "";
  std::string rest = addr.substr(sizeof(kScheme) - 1);
  std::string n = rest.substr(0, rest.find('?'));
  return ValidName(n) ? n : "";
}

int ParseAddress(const std::string& addr, Address* out, std::string* why) {
  if (addr.empty()) {
    *why = "empty address";
    return -EINVAL;
  }
  if (addr.compare(0, sizeof(kScheme) - 1, kScheme) != 0) return -EPROTONOSUPPORT;
  std::string rest = addr.substr(sizeof(kScheme) - 1);
  size_t q = rest.find('?');
  Address a;
  a.name = rest.substr(0, q);
  if (!ValidName(a.name)) {
    *why = "bad filesystem name '" + a.name +
           "' (1 to 64 of the characters A-Z a-z 0-9 . _ -, not starting with '.')";
    return -EINVAL;
  }
  std::string storage;
  if (q != std::string::npos) {
    std::string query = rest.substr(q + 1);
    size_t pos = 0;
    while (pos <= query.size()) {
      size_t amp = query.find('&', pos);
      std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
      pos = amp == std::string::npos ? query.size() + 1 : amp + 1;
      if (kv.empty()) continue;
      size_t eq = kv.find('=');
      if (eq == std::string::npos) {
        *why = "parameter without a value: '" + kv + "' (write " + kv + "=VALUE)";
        return -EINVAL;
      }
      std::string k = kv.substr(0, eq), v;
      if (!Unescape(kv.substr(eq + 1), &v)) {
        *why = "bad %-escape in '" + kv + "' (% must be followed by two hex digits)";
        return -EINVAL;
      }
      if (k == "base") {
        if (v.empty())
          return *why = "empty base (give the directory holding the filesystems)", -EINVAL;
        a.base = v;
      } else if (k == "storage") {
        if (v != "file")
          return *why = "unsupported storage '" + v + "' (only storage=file)", -EINVAL;
        storage = v;
      } else if (k == "path") {
        if (v.empty()) return *why = "empty path (give the directory for file data)", -EINVAL;
        a.data_dir = v;
      } else if (k == "create" || k == "ro" || k == "unsafe_fs") {
        if (v != "0" && v != "1")
          return *why = "bad value of " + k + ": '" + v + "' (0 or 1)", -EINVAL;
        (k == "create" ? a.create : k == "ro" ? a.read_only : a.unsafe_fs) = v == "1";
      } else if (k == "capacity" || k == "inodes") {
        int64_t n;
        if (!ParseU64(v, &n))
          return *why = "bad value of " + k + ": '" + v + "' (a whole number of " +
                        (k == "capacity" ? "bytes" : "inodes") + ", 0 for no limit)",
                 -EINVAL;
        (k == "capacity" ? a.capacity : a.inodes) = n;
      } else {
        *why = "unknown parameter " + k +
               " (known: base, path, storage, create, ro, capacity, inodes, unsafe_fs)";
        return -EINVAL;
      }
    }
  }
  a.base = ResolveBase(a.base);
  *out = a;
  return 0;
}

}  // namespace dingofs

// Option table and values. Process-wide values live in one map guarded by a
// mutex; per-handle keys live in the handle's HandleConf.
#include "options.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <strings.h>

namespace dingofs {
namespace {

std::mutex g_mu;
std::map<std::string, std::string> g_values;  // process-wide current values
std::map<std::string, uint64_t> g_seq;       // sequence of the last conf_set
uint64_t g_next_seq = 1;

const std::vector<OptionDef> kTable = {
    {"conf.file", "string", "",
     "per-handle: configuration file applied at mount (alias conf_file); lines "
     "--key=value, '#' comments",
     true},
    {"dingofs_data_sync", "string", "ordered",
     "ordered: a size committed without fsync is marked dirty and clamped to the "
     "data at recovery; always: fdatasync the data file before every size commit",
     false},
    {"dingofs_inline_max_bytes", "int64", "65536",
     "files up to this size keep their bytes in the metadata store instead of a data "
     "file (0..1048576; 0 turns inline data off for files this process creates)",
     false},
    {"dingofs_meta_cache_entries", "int64", "262144",
     "entries of the per-handle dentry/inode cache (0 disables caching); the cache "
     "is dropped whenever another connection commits",
     false},
    {"dingofs_meta_synchronous", "string", "normal",
     "SQLite synchronous level of ordinary metadata commits: normal (durable at "
     "fsync/umount) or full (every commit durable)",
     false},
    {"log.dir", "string", "/tmp", "per-handle: directory of the log file (alias log_dir)", true},
    {"log.level", "string", "WARNING",
     "per-handle: lowest level written to the log: INFO, WARNING, ERROR, FATAL or 0..3 "
     "(alias log_level)",
     true},
    {"log.v", "int32", "0", "per-handle: verbosity of debug log lines (alias log_v)", true},
    {"logtostderr", "bool", "false", "also write log lines to stderr", false},
    {"minloglevel", "int32", "0",
     "process-wide lowest log level (0=INFO..3=FATAL); the stricter of it and log.level wins",
     false},
    {"vfs_access_logging", "bool", "false", "write one log line per operation", false},
    {"vfs_meta_max_name_length", "uint32", "255",
     "longest accepted file name in bytes (1..255); longer -> ENAMETOOLONG", false},
    {"vfs_meta_rpc_retry_times", "uint32", "3",
     "retries of a metadata operation that found the store busy (the wait is split "
     "across them)",
     false},
    {"vfs_meta_rpc_timeout_ms", "uint32", "10000",
     "how long a metadata operation waits for the store before ETIMEDOUT", false},
    {"vfs_periodic_flush_interval_ms", "uint32", "1000",
     "period of the background commit of sizes/times of files being written (10..3600000)",
     false},
};

const OptionDef* Find(const std::string& name) {
  for (const auto& d : kTable)
    if (name == d.name) return &d;
  return nullptr;
}

bool ParseInt(const std::string& s, long long lo, long long hi, long long* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long long v = strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool ParseBool(const std::string& s, bool* out) {
  const char* t[] = {"true", "1", "yes", "t", "y", "on"};
  const char* f[] = {"false", "0", "no", "f", "n", "off"};
  for (auto x : t)
    if (strcasecmp(s.c_str(), x) == 0) return *out = true, true;
  for (auto x : f)
    if (strcasecmp(s.c_str(), x) == 0) return *out = false, true;
  return false;
}

// Validates and normalises a process-wide value.
bool Normalize(const OptionDef& d, const std::string& in, std::string* out) {
  std::string name = d.name;
  if (strcmp(d.type, "bool") == 0) {
    bool b;
    if (!ParseBool(in, &b)) return false;
    *out = b ? "true" : "false";
    return true;
  }
  long long v;
  if (name == "minloglevel") {
    if (!ParseInt(in, 0, 3, &v)) return false;
  } else if (name == "vfs_meta_max_name_length") {
    if (!ParseInt(in, 1, 255, &v)) return false;
  } else if (name == "vfs_meta_rpc_timeout_ms") {
    if (!ParseInt(in, 0, INT_MAX, &v)) return false;
  } else if (name == "vfs_meta_rpc_retry_times") {
    if (!ParseInt(in, 0, 1000, &v)) return false;
  } else if (name == "vfs_periodic_flush_interval_ms") {
    if (!ParseInt(in, 10, 3600000, &v)) return false;
  } else if (name == "dingofs_inline_max_bytes") {
    if (!ParseInt(in, 0, 1048576, &v)) return false;
  } else if (name == "dingofs_meta_cache_entries") {
    if (!ParseInt(in, 0, LLONG_MAX, &v)) return false;
  } else if (name == "dingofs_data_sync") {
    if (in != "ordered" && in != "always") return false;
    *out = in;
    return true;
  } else if (name == "dingofs_meta_synchronous") {
    if (in != "normal" && in != "full") return false;
    *out = in;
    return true;
  } else {
    return false;
  }
  *out = std::to_string(v);
  return true;
}

std::string GetGlobalLocked(const OptionDef& d) {
  auto it = g_values.find(d.name);
  return it == g_values.end() ? std::string(d.default_value) : it->second;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

const std::vector<OptionDef>& OptionTable() { return kTable; }

int ParseLogLevel(const std::string& s) {
  const char* names[] = {"INFO", "WARNING", "ERROR", "FATAL"};
  for (int i = 0; i < 4; i++)
    if (strcasecmp(s.c_str(), names[i]) == 0) return i;
  if (strcasecmp(s.c_str(), "WARN") == 0) return 1;
  long long v;
  if (ParseInt(s, 0, 3, &v)) return static_cast<int>(v);
  return -1;
}

std::string HandleKey(const std::string& key) {
  if (key == "log.dir" || key == "log_dir") return "log.dir";
  if (key == "log.level" || key == "log_level") return "log.level";
  if (key == "log.v" || key == "log_v") return "log.v";
  if (key == "conf.file" || key == "conf_file") return "conf.file";
  return "";
}

uint64_t NextConfSeq() {
  std::lock_guard<std::mutex> g(g_mu);
  return g_next_seq++;
}

int OptionSet(HandleConf* hc, const std::string& key, const std::string& value,
              uint64_t only_if_older) {
  std::string hk = HandleKey(key);
  if (!hk.empty()) {
    if (hc == nullptr) return -EINVAL;
    if (hk == "log.level" && ParseLogLevel(value) < 0) return -EINVAL;
    long long v;
    if (hk == "log.v" && !ParseInt(value, INT_MIN, INT_MAX, &v)) return -EINVAL;
    if (hk == "log.dir" && value.empty()) return -EINVAL;
    if (only_if_older != 0) {
      auto it = hc->seq.find(hk);
      if (it != hc->seq.end() && it->second > only_if_older) return 0;
    } else {
      hc->seq[hk] = NextConfSeq();
    }
    if (hk == "log.dir") hc->log_dir = value;
    if (hk == "log.level") hc->log_level = value;
    if (hk == "log.v") hc->log_v = value;
    if (hk == "conf.file") {
      hc->conf_file = value;
      hc->conf_file_seq = hc->seq[hk];
    }
    return 0;
  }
  const OptionDef* d = Find(key);
  if (d == nullptr) return -EINVAL;
  std::string norm;
  if (!Normalize(*d, value, &norm)) return -EINVAL;
  std::lock_guard<std::mutex> g(g_mu);
  if (only_if_older != 0) {
    auto it = g_seq.find(d->name);
    if (it != g_seq.end() && it->second > only_if_older) return 0;
  } else {
    g_seq[d->name] = g_next_seq++;
  }
  g_values[d->name] = norm;
  return 0;
}

int OptionGet(const HandleConf* hc, const std::string& key, std::string* value) {
  std::string hk = HandleKey(key);
  if (!hk.empty()) {
    if (hc == nullptr) return -EINVAL;
    if (hk == "log.dir") *value = hc->log_dir;
    if (hk == "log.level") *value = hc->log_level;
    if (hk == "log.v") *value = hc->log_v;
    if (hk == "conf.file") *value = hc->conf_file;
    return 0;
  }
  const OptionDef* d = Find(key);
  if (d == nullptr) return -EINVAL;
  std::lock_guard<std::mutex> g(g_mu);
  *value = GetGlobalLocked(*d);
  return 0;
}

GlobalOptions GlobalSnapshot() {
  GlobalOptions o;
  std::lock_guard<std::mutex> g(g_mu);
  auto get = [](const char* n) { return GetGlobalLocked(*Find(n)); };
  o.logtostderr = get("logtostderr") == "true";
  o.minloglevel = atoi(get("minloglevel").c_str());
  o.max_name_length = atoi(get("vfs_meta_max_name_length").c_str());
  o.meta_timeout_ms = atoi(get("vfs_meta_rpc_timeout_ms").c_str());
  o.meta_retry_times = atoi(get("vfs_meta_rpc_retry_times").c_str());
  o.access_logging = get("vfs_access_logging") == "true";
  o.flush_interval_ms = atoi(get("vfs_periodic_flush_interval_ms").c_str());
  o.data_sync_always = get("dingofs_data_sync") == "always";
  o.meta_cache_entries = atoll(get("dingofs_meta_cache_entries").c_str());
  o.inline_max = atoll(get("dingofs_inline_max_bytes").c_str());
  o.meta_sync_full = get("dingofs_meta_synchronous") == "full";
  return o;
}

int ApplyConfFile(HandleConf* hc, std::string* bad_line) {
  if (hc->conf_file.empty()) return 0;
  std::ifstream in(hc->conf_file);
  if (!in) {
    *bad_line = "cannot read " + hc->conf_file;
    return errno != 0 ? -errno : -EIO;
  }
  uint64_t seq = hc->conf_file_seq == 0 ? 1 : hc->conf_file_seq;
  std::string line;
  int lineno = 0;
  // Parse everything first so that a bad line leaves the options untouched.
  std::vector<std::pair<std::string, std::string>> kv;
  while (std::getline(in, line)) {
    lineno++;
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#') continue;
    size_t dashes = 0;
    while (dashes < t.size() && dashes < 2 && t[dashes] == '-') dashes++;
    size_t eq = t.find('=');
    if (dashes == 0 || eq == std::string::npos || eq <= dashes) {
      *bad_line = hc->conf_file + ":" + std::to_string(lineno) + ": " + t;
      return -EINVAL;
    }
    std::string k = t.substr(dashes, eq - dashes), v = t.substr(eq + 1);
    HandleConf probe = *hc;
    std::string hk = HandleKey(k);
    if (hk == "conf.file" || (hk.empty() && Find(k) == nullptr)) {
      *bad_line = hc->conf_file + ":" + std::to_string(lineno) + ": " + t;
      return -EINVAL;
    }
    // Validate without applying.
    if (!hk.empty()) {
      if (OptionSet(&probe, k, v, ~uint64_t{0}) != 0) {
        *bad_line = hc->conf_file + ":" + std::to_string(lineno) + ": " + t;
        return -EINVAL;
      }
    } else {
      std::string norm;
      if (!Normalize(*Find(k), v, &norm)) {
        *bad_line = hc->conf_file + ":" + std::to_string(lineno) + ": " + t;
        return -EINVAL;
      }
    }
    kv.emplace_back(k, v);
  }
  for (auto& p : kv) OptionSet(hc, p.first, p.second, seq);
  return 0;
}

void OptionsForkPrepare() { g_mu.lock(); }
void OptionsForkParent() { g_mu.unlock(); }

}  // namespace dingofs

// Option table: process-wide options, per-handle log keys, conf-file parsing.
#ifndef DINGOFS_SRC_OPTIONS_H_
#define DINGOFS_SRC_OPTIONS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dingofs {

struct OptionDef {
  const char* name;
  const char* type;
  const char* default_value;
  const char* description;
  bool per_handle;
};

// Every known option, sorted by name.
const std::vector<OptionDef>& OptionTable();

// Snapshot of the process-wide options, taken at mount.
struct GlobalOptions {
  bool logtostderr = false;
  int minloglevel = 0;
  int max_name_length = 255;
  int meta_timeout_ms = 10000;
  int meta_retry_times = 3;
  bool access_logging = false;
  int flush_interval_ms = 1000;
  bool data_sync_always = false;
  int64_t meta_cache_entries = 262144;
  bool meta_sync_full = false;
  int64_t inline_max = 65536;
};
GlobalOptions GlobalSnapshot();

// Per-handle keys (log.dir, log.level, log.v, conf.file).
struct HandleConf {
  std::string log_dir = "/tmp";
  std::string log_level = "WARNING";
  std::string log_v = "0";
  std::string conf_file;
  uint64_t conf_file_seq = 0;           // sequence of the conf_load/conf.file set
  std::map<std::string, uint64_t> seq;  // canonical key -> sequence of its last conf_set
};

// Maps "log_dir" to "log.dir" etc.; returns "" when key is no per-handle key.
std::string HandleKey(const std::string& key);

// Sets/reads an option. Per-handle keys go to `hc`. Returns 0 or -EINVAL.
// When `only_if_older` is non-zero the value is applied only when the key was
// not set by conf_set after that sequence (conf-file semantics).
int OptionSet(HandleConf* hc, const std::string& key, const std::string& value,
              uint64_t only_if_older = 0);
int OptionGet(const HandleConf* hc, const std::string& key, std::string* value);
uint64_t NextConfSeq();

// Applies the conf file remembered in hc. Returns 0 or -EINVAL/-errno, with
// the offending line number and text in *bad_line.
int ApplyConfFile(HandleConf* hc, std::string* bad_line);

// Numeric level of a log.level string (0..3) or -1 when malformed.
int ParseLogLevel(const std::string& s);

// Fork handlers of the process-wide options (the child uses Parent too).
void OptionsForkPrepare();
void OptionsForkParent();

}  // namespace dingofs

#endif  // DINGOFS_SRC_OPTIONS_H_

// Per-handle log file: dingofs-<NAME>.<pid>.<handle>.log in log.dir.
#ifndef DINGOFS_SRC_LOG_H_
#define DINGOFS_SRC_LOG_H_

#include <cstdio>
#include <mutex>
#include <string>

namespace dingofs {

enum LogLevel { kInfo = 0, kWarning = 1, kError = 2, kFatal = 3 };

class Logger {
 public:
  Logger() = default;
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // Opens the log file (unless nolog) and writes the header line.
  // threshold = max(minloglevel, level); returns 0 or -errno.
  int Open(const std::string& dir, const std::string& fsname, uint64_t handle, bool nolog,
           int threshold, int verbosity, bool to_stderr);
  void Log(int level, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
  // Verbose (debug) line written when verbosity >= v.
  bool VerboseOn(int v) const { return verbosity_ >= v; }
  // Access-log line (written whatever the threshold when access logging is on).
  void Access(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  const std::string& path() const { return path_; }
  // In a forked child the FILE must never be flushed or closed.
  void Abandon();

 private:
  void Write(char tag, const char* fmt, va_list ap);
  std::mutex mu_;
  FILE* f_ = nullptr;
  std::string path_;
  int threshold_ = kWarning;
  int verbosity_ = 0;
  bool to_stderr_ = false;
};

}  // namespace dingofs

#endif  // DINGOFS_SRC_LOG_H_

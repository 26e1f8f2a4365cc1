// Logging: glog-like lines, one file per mounted handle; never stdout, and
// stderr only with logtostderr.
#include "log.h"

#include <cstdarg>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "common.h"

namespace dingofs {

Logger::~Logger() {
  if (f_ != nullptr) fclose(f_);
}

void Logger::Abandon() { f_ = nullptr; }

int Logger::Open(const std::string& dir, const std::string& fsname, uint64_t handle, bool nolog,
                 int threshold, int verbosity, bool to_stderr) {
  threshold_ = threshold;
  verbosity_ = verbosity;
  to_stderr_ = to_stderr;
  if (nolog) return 0;
  int rc = MakeDirs(dir);
  if (rc != 0) return rc;
  path_ = dir + "/dingofs-" + (fsname.empty() ? std::string("unknown") : fsname) + "." +
          std::to_string(getpid()) + "." + std::to_string(handle) + ".log";
  int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return -errno;
  f_ = fdopen(fd, "a");
  if (f_ == nullptr) {
    int e = errno;
    close(fd);
    return -e;
  }
  char ts[64];
  time_t now = time(nullptr);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
  fprintf(f_, "Log file created at %s by libdingofs %s (embedded engine), filesystem %s, pid %d\n",
          ts, DINGOFS_VERSION, fsname.c_str(), static_cast<int>(getpid()));
  fflush(f_);
  return 0;
}

void Logger::Write(char tag, const char* fmt, va_list ap) {
  char msg[2048];
  vsnprintf(msg, sizeof msg, fmt, ap);
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  struct tm tm;
  localtime_r(&tv.tv_sec, &tm);
  char line[2200];
  int n = snprintf(line, sizeof line, "%c%02d%02d %02d:%02d:%02d.%06ld %ld] %s\n", tag,
                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                   static_cast<long>(tv.tv_usec), static_cast<long>(syscall(SYS_gettid)), msg);
  if (n < 0) return;
  if (n >= static_cast<int>(sizeof line)) n = sizeof line - 1;
  std::lock_guard<std::mutex> g(mu_);
  if (f_ != nullptr) {
    fwrite(line, 1, n, f_);
    fflush(f_);
  }
  if (to_stderr_) {
    ssize_t w = write(2, line, n);
    (void)w;
  }
}

void Logger::Log(int level, const char* fmt, ...) {
  if (level < threshold_) return;
  static const char tags[] = "IWEF";
  va_list ap;
  va_start(ap, fmt);
  Write(tags[level < 0 ? 0 : (level > 3 ? 3 : level)], fmt, ap);
  va_end(ap);
}

void Logger::Access(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  Write('A', fmt, ap);
  va_end(ap);
}

}  // namespace dingofs

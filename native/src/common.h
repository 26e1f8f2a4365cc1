// Shared helpers of the embedded engine: internal error type, time, small utilities.
#ifndef DINGOFS_SRC_COMMON_H_
#define DINGOFS_SRC_COMMON_H_

#include <sched.h>

#include <cerrno>
#include <cstdint>
#include <ctime>
#include <new>
#include <string>

namespace dingofs {

// Internal failure carrying a positive errno value. Thrown inside the engine and
// turned into -errno by the C shim; it never crosses the C boundary.
struct FsError {
  int err;
};

[[noreturn]] inline void Fail(int err) { throw FsError{err}; }

inline int64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}


inline int64_t MonoNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

inline int64_t MonoMs() { return MonoNs() / 1000000; }

// Polls done() for up to ns nanoseconds, yielding the processor in between;
// true as soon as it holds. For waits about as long as waking a sleeping
// thread takes on a virtual machine (tens of microseconds), before sleeping.
template <class Pred>
bool SpinUntil(Pred done, int64_t ns) {
  int64_t until = MonoNs() + ns;
  while (!done()) {
    if (MonoNs() >= until) return false;
    sched_yield();
  }
  return true;
}

// The errno of the exception being handled (call only inside a catch block):
// an FsError's own, ENOMEM for std::bad_alloc, EIO for anything else.
inline int CurrentErrno() noexcept {
  try {
    throw;
  } catch (const FsError& e) {
    return e.err;
  } catch (const std::bad_alloc&) {
    return ENOMEM;
  } catch (...) {
    return EIO;
  }
}

// Largest file size (16 TiB, the ext4 limit with 4 KiB blocks).
constexpr int64_t kMaxFileSize = int64_t{1} << 44;
constexpr int kMaxSymlinkHops = 40;
constexpr size_t kMaxPathLen = 4095;
constexpr size_t kMaxNameLen = 255;
constexpr uint64_t kRootIno = 1;

// Process generation, bumped in a forked child (see registry.cc).
uint64_t ProcessGeneration();
// Installs the engine's fork handlers once per process (registry.cc).
void EnsureForkHandlers();

// Makes every missing directory of `dir` with mode 0700. Returns 0 or -errno.
int MakeDirs(const std::string& dir);

}  // namespace dingofs

#endif  // DINGOFS_SRC_COMMON_H_

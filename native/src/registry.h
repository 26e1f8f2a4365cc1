// Handle registry: handle ids are never reused. The I/O path finds a handle's
// filesystem without a lock or a reference count: each thread keeps the last
// (handle, Fs*) it used, and every call runs inside a read section that
// dingofs_delete() waits out before it frees anything, so a call racing
// dingofs_delete() never touches freed memory.
#ifndef DINGOFS_SRC_REGISTRY_H_
#define DINGOFS_SRC_REGISTRY_H_

#include <cstdint>
#include <memory>
#include <mutex>

#include "fs.h"
#include "log.h"
#include "options.h"

namespace dingofs {

struct Handle {
  uint64_t id = 0;
  std::mutex mu;  // conf, fs, mount_started
  HandleConf conf;
  bool mount_started = false;
  std::shared_ptr<Fs> fs;  // set once by mount, cleared only after removal
  std::shared_ptr<Logger> log;
};

uint64_t RegistryAdd(std::shared_ptr<Handle> h);
std::shared_ptr<Handle> RegistryGet(uint64_t id);
// Removes the handle and returns once no call that could still see it is
// running (calls started later fail with EINVAL).
std::shared_ptr<Handle> RegistryRemove(uint64_t id);

// A call's read section about handle id: while one is open in any thread,
// that handle's removal does not return (so its filesystem is not freed).
// Nested sections are allowed (no-ops). A call that may block without bound
// (a waiting flock) must hold a reference instead of a section.
class CallSection {
 public:
  explicit CallSection(uint64_t id);
  ~CallSection();
  CallSection(const CallSection&) = delete;
  CallSection& operator=(const CallSection&) = delete;

 private:
  bool outer_;
};

// The filesystem of handle id, valid until the enclosing CallSection ends.
// Must be called inside a CallSection about id. Returns false when no such handle
// exists; *fs is nullptr when the handle was never mounted.
bool SectionFs(uint64_t id, Fs** fs);

}  // namespace dingofs

#endif  // DINGOFS_SRC_REGISTRY_H_

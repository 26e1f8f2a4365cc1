// Handle registry: handle ids are never reused; objects are shared_ptr so a
// call racing dingofs_delete() never touches freed memory.
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
  std::shared_ptr<Fs> fs;
  std::shared_ptr<Logger> log;
};

uint64_t RegistryAdd(std::shared_ptr<Handle> h);
std::shared_ptr<Handle> RegistryGet(uint64_t id);
std::shared_ptr<Handle> RegistryRemove(uint64_t id);

}  // namespace dingofs

#endif  // DINGOFS_SRC_REGISTRY_H_

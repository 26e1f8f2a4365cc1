// The open files of a mounted handle.
#include "open_files.h"

#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "common.h"

namespace dingofs {

OpenInode::~OpenInode() {
  if (hostfd >= 0) close(hostfd);
  if (appendfd >= 0) close(appendfd);
}

OpenFile::~OpenFile() {
  if (lockfd >= 0) close(lockfd);
}

int OpenTable::AddFile(std::shared_ptr<OpenFile> of) {
  std::lock_guard<std::mutex> g(mu_);
  if (next_fd_ == INT32_MAX) Fail(EMFILE);
  of->fd = next_fd_++;
  files_[of->fd] = of;
  return of->fd;
}

std::shared_ptr<OpenFile> OpenTable::File(int fd) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = files_.find(fd);
  if (it == files_.end()) Fail(EBADF);
  return it->second;
}

std::shared_ptr<OpenFile> OpenTable::TakeFile(int fd) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = files_.find(fd);
  if (it == files_.end()) Fail(EBADF);
  std::shared_ptr<OpenFile> of = std::move(it->second);
  files_.erase(it);
  return of;
}

uint64_t OpenTable::AddDir(std::shared_ptr<DirHandle> dh) {
  std::lock_guard<std::mutex> g(mu_);
  uint64_t id = next_dh_++;
  dirs_[id] = std::move(dh);
  return id;
}

std::shared_ptr<DirHandle> OpenTable::Dir(uint64_t id) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = dirs_.find(id);
  if (it == dirs_.end()) Fail(EBADF);
  return it->second;
}

void OpenTable::RemoveDir(uint64_t id) {
  std::lock_guard<std::mutex> g(mu_);
  if (dirs_.erase(id) == 0) Fail(EBADF);
}

std::vector<std::shared_ptr<OpenFile>> OpenTable::TakeAll() {
  std::lock_guard<std::mutex> g(mu_);
  std::vector<std::shared_ptr<OpenFile>> out;
  out.reserve(files_.size());
  for (auto& kv : files_) out.push_back(kv.second);
  files_.clear();
  dirs_.clear();
  return out;
}

}  // namespace dingofs

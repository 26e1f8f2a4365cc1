// Global handle registry and the fork generation counter.
#include "registry.h"

#include <pthread.h>

#include <atomic>
#include <unordered_map>

namespace dingofs {
namespace {

std::mutex g_mu;
std::unordered_map<uint64_t, std::shared_ptr<Handle>>* g_handles = nullptr;
uint64_t g_next_id = 1;
std::atomic<uint64_t> g_generation{1};

void AtforkPrepare() { g_mu.lock(); }
void AtforkParent() { g_mu.unlock(); }
void AtforkChild() {
  g_generation.fetch_add(1);
  g_mu.unlock();
}

std::unordered_map<uint64_t, std::shared_ptr<Handle>>& Handles() {
  // Created once and never destroyed, so late calls during exit stay safe.
  static std::once_flag once;
  std::call_once(once, [] {
    g_handles = new std::unordered_map<uint64_t, std::shared_ptr<Handle>>();
    pthread_atfork(AtforkPrepare, AtforkParent, AtforkChild);
  });
  return *g_handles;
}

}  // namespace

uint64_t ProcessGeneration() { return g_generation.load(); }

uint64_t RegistryAdd(std::shared_ptr<Handle> h) {
  auto& m = Handles();
  std::lock_guard<std::mutex> g(g_mu);
  h->id = g_next_id++;
  m[h->id] = std::move(h);
  return g_next_id - 1;
}

std::shared_ptr<Handle> RegistryGet(uint64_t id) {
  if (id == 0) return nullptr;
  auto& m = Handles();
  std::lock_guard<std::mutex> g(g_mu);
  auto it = m.find(id);
  return it == m.end() ? nullptr : it->second;
}

std::shared_ptr<Handle> RegistryRemove(uint64_t id) {
  if (id == 0) return nullptr;
  auto& m = Handles();
  std::lock_guard<std::mutex> g(g_mu);
  auto it = m.find(id);
  if (it == m.end()) return nullptr;
  auto h = std::move(it->second);
  m.erase(it);
  return h;
}

}  // namespace dingofs

// Global handle registry, the per-thread filesystem cache with its read
// sections, and the fork generation counter.
#include "registry.h"

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <unordered_map>

namespace dingofs {
namespace {

std::mutex g_mu;
std::unordered_map<uint64_t, std::shared_ptr<Handle>>* g_handles = nullptr;
uint64_t g_next_id = 1;
std::atomic<uint64_t> g_generation{1};

// Bumped by every removal: a thread's cached (id, Fs*) is trusted only while
// the epoch it was cached under is current.
std::atomic<uint64_t> g_epoch{1};

// One record per thread that ever made a call (reused after the thread
// exits, never freed). seq is odd while the thread is inside a section.
struct ThreadRec {
  std::atomic<uint64_t> seq{0};
  std::atomic<uint64_t> id{0};  // the handle the open section is about
  std::atomic<bool> used{true};
  ThreadRec* next = nullptr;
};
std::atomic<ThreadRec*> g_recs{nullptr};

struct Local {
  ThreadRec* rec = nullptr;
  int depth = 0;
  uint64_t id = 0;
  uint64_t epoch = 0;
  Fs* fs = nullptr;
  ~Local() {
    if (rec != nullptr) {
      rec->seq.store(0, std::memory_order_release);
      rec->used.store(false, std::memory_order_release);
      rec = nullptr;
    }
  }
};
thread_local Local t_local;

ThreadRec* AttachRec() {
  for (ThreadRec* r = g_recs.load(std::memory_order_acquire); r != nullptr; r = r->next) {
    bool expected = false;
    if (!r->used.load(std::memory_order_relaxed) && r->used.compare_exchange_strong(expected, true))
      return r;
  }
  auto* r = new ThreadRec();
  r->next = g_recs.load(std::memory_order_relaxed);
  while (!g_recs.compare_exchange_weak(r->next, r, std::memory_order_release,
                                       std::memory_order_relaxed)) {
  }
  return r;
}

// Waits until every thread inside a section about handle id has left it.
void WaitForSections(const ThreadRec* self, uint64_t id) {
  for (ThreadRec* r = g_recs.load(std::memory_order_acquire); r != nullptr; r = r->next) {
    if (r == self) continue;
    uint64_t s = r->seq.load(std::memory_order_seq_cst);
    if ((s & 1) == 0 || r->id.load(std::memory_order_seq_cst) != id) continue;
    while (r->seq.load(std::memory_order_acquire) == s) sched_yield();
  }
}

// Order: the store gate first (it waits for calls in flight, which may need
// the other locks), then the option and registry locks.
void AtforkPrepare() {
  StoreForkPrepare();
  OptionsForkPrepare();
  g_mu.lock();
}
void AtforkParent() {
  g_mu.unlock();
  OptionsForkParent();
  StoreForkParent();
}
void AtforkChild() {
  OptionsForkParent();
  StoreForkChild();
  g_generation.fetch_add(1);
  g_epoch.fetch_add(1);
  // Only the forking thread exists in the child, and it is not inside a call.
  for (ThreadRec* r = g_recs.load(); r != nullptr; r = r->next) r->seq.store(0);
  g_mu.unlock();
}

std::unordered_map<uint64_t, std::shared_ptr<Handle>>& Handles() {
  // Created once and never destroyed, so late calls during exit stay safe.
  static std::once_flag once;
  std::call_once(once, [] {
    g_handles = new std::unordered_map<uint64_t, std::shared_ptr<Handle>>();
  });
  EnsureForkHandlers();
  return *g_handles;
}

}  // namespace

void EnsureForkHandlers() {
  static std::once_flag once;
  std::call_once(once, [] { pthread_atfork(AtforkPrepare, AtforkParent, AtforkChild); });
}

uint64_t ProcessGeneration() { return g_generation.load(std::memory_order_relaxed); }

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
  std::shared_ptr<Handle> h;
  {
    std::lock_guard<std::mutex> g(g_mu);
    auto it = m.find(id);
    if (it == m.end()) return nullptr;
    h = std::move(it->second);
    m.erase(it);
  }
  g_epoch.fetch_add(1, std::memory_order_seq_cst);
  Local& l = t_local;
  if (l.id == id) {
    l.id = 0;
    l.fs = nullptr;
  }
  WaitForSections(l.rec, id);
  return h;
}

CallSection::CallSection(uint64_t id) {
  Local& l = t_local;
  outer_ = l.depth++ == 0;
  if (!outer_) return;
  if (l.rec == nullptr) l.rec = AttachRec();
  ThreadRec* r = l.rec;
  r->id.store(id, std::memory_order_relaxed);
  // Sequentially consistent, like the removal's epoch bump and both sides'
  // loads: either the remover sees this section open, or this section sees
  // the new epoch. (Only this thread writes seq, so the add is uncontended.)
  r->seq.fetch_add(1, std::memory_order_seq_cst);
}

CallSection::~CallSection() {
  Local& l = t_local;
  l.depth--;
  if (!outer_) return;
  ThreadRec* r = l.rec;
  r->seq.store(r->seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

bool SectionFs(uint64_t id, Fs** fs) {
  Local& l = t_local;
  uint64_t ep = g_epoch.load(std::memory_order_seq_cst);
  if (id != 0 && l.id == id && l.epoch == ep) {
    *fs = l.fs;
    return true;
  }
  auto hd = RegistryGet(id);
  if (!hd) return false;
  Fs* f;
  {
    std::lock_guard<std::mutex> g(hd->mu);
    f = hd->fs.get();
  }
  *fs = f;
  if (f != nullptr) {
    // The mapping never changes until the handle is removed (which bumps the
    // epoch), so it can be reused without asking the registry again.
    l.id = id;
    l.epoch = ep;
    l.fs = f;
  }
  return true;
}

}  // namespace dingofs

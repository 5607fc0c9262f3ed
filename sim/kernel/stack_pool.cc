// Chunked stack allocation with transparent huge pages where the kernel offers them.
#include "sim/kernel/stack_pool.h"

#include <sys/mman.h>

#include <cassert>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace tracksim::sim {
namespace {

constexpr std::size_t kHugePage = 2 * 1024 * 1024;
constexpr std::size_t kStacksPerChunkMin = 8;

}  // namespace

StackPool::StackPool(std::size_t stack_bytes) : stack_bytes_((stack_bytes + 4095) / 4096 * 4096) {
  assert(stack_bytes_ >= 16 * 1024);
  chunk_bytes_ = kHugePage;
  while (chunk_bytes_ / stack_bytes_ < kStacksPerChunkMin)
    chunk_bytes_ += kHugePage;
}

StackPool& StackPool::for_this_thread(std::size_t stack_bytes) {
  // Constructed on a thread's first simulation, before Boost.Fiber's own thread-local scheduler,
  // so destroyed after it: no fiber context can outlive the stacks it runs on.
  thread_local std::map<std::size_t, std::unique_ptr<StackPool>> pools;
  std::unique_ptr<StackPool>& pool = pools[stack_bytes];
  if (pool == nullptr) pool = std::make_unique<StackPool>(stack_bytes);
  return *pool;
}

StackPool::~StackPool() {
  assert(in_use_ == 0);
  for (void* chunk : chunks_)
    munmap(chunk, chunk_bytes_);
}

void StackPool::add_chunk() {
  // Over-allocate by one huge page, then trim, so the chunk starts on a huge-page boundary.
  void* raw = mmap(nullptr, chunk_bytes_ + kHugePage, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) {
    std::fputs("tracksim: fatal: out of memory for fiber stacks\n", stderr);
    std::abort();
  }
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + kHugePage - 1) / kHugePage * kHugePage;
  if (aligned > start) munmap(raw, aligned - start);
  const std::uintptr_t end = start + chunk_bytes_ + kHugePage;
  if (end > aligned + chunk_bytes_)
    munmap(reinterpret_cast<void*>(aligned + chunk_bytes_), end - aligned - chunk_bytes_);
  void* chunk = reinterpret_cast<void*>(aligned);
  // Advice only: where transparent huge pages are off this changes nothing.
  madvise(chunk, chunk_bytes_, MADV_HUGEPAGE);
  chunks_.push_back(chunk);
  char* base = static_cast<char*>(chunk);
  const std::size_t count = chunk_bytes_ / stack_bytes_;
  // Pushed in reverse so the lowest stack is handed out first.
  for (std::size_t i = count; i > 0; --i)
    free_.push_back(base + (i - 1) * stack_bytes_);
}

boost::context::stack_context StackPool::allocate() {
  if (free_.empty()) add_chunk();
  char* bottom = free_.back();
  free_.pop_back();
  ++in_use_;
  // Stacks sit at a fixed stride, so their tops would all fall into the same cache sets; starting
  // each one a different number of cache lines below its top spreads them over 64 sets.
  const std::size_t color = reinterpret_cast<std::uintptr_t>(bottom) / stack_bytes_ % 64 * 64;
  boost::context::stack_context context;
  context.size = stack_bytes_ - color;
  context.sp = bottom + stack_bytes_ - color;  // stacks grow down from the top
  return context;
}

void StackPool::deallocate(boost::context::stack_context& context) {
  assert(in_use_ > 0);
  --in_use_;
  free_.push_back(static_cast<char*>(context.sp) - context.size);  // the stack's bottom
}

}  // namespace tracksim::sim

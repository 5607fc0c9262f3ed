// Fiber stacks carved from large, huge-page-backed chunks, and reused.
//
// With ten thousand fibers each switch lands on a different stack; on separate 4 KiB pages that is
// a TLB miss almost every time. Carving stacks from 2 MiB-aligned chunks that the kernel may back
// with transparent huge pages (madvise) keeps the switch cost far flatter as fibers grow. Freed
// stacks go to a free list and are handed out again, newest first. There is no guard page: a
// stack overflow is not caught here, which is why sanitizer builds use larger, separately
// allocated stacks instead.
//
// Huge pages are faulted in whole, so a chunk costs its full size in memory from its first use.
// Each thread therefore keeps one pool per stack size for its whole life (for_this_thread): runs
// one after another, as seeds and generated cases are, reuse stacks already in memory.
//
// The pool must outlive every fiber that uses one of its stacks. Copies of a StackPoolAllocator
// share one pool, as Boost.Fiber's StackAllocator concept expects.
#pragma once

#include <boost/context/stack_context.hpp>
#include <cstddef>
#include <memory>
#include <vector>

namespace tracksim::sim {

class StackPool {
 public:
  explicit StackPool(std::size_t stack_bytes);
  ~StackPool();

  // This thread's pool for stacks of `stack_bytes`, kept until the thread ends.
  static StackPool& for_this_thread(std::size_t stack_bytes);
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  boost::context::stack_context allocate();
  void deallocate(boost::context::stack_context& context);

  std::size_t stack_bytes() const { return stack_bytes_; }
  std::size_t stacks_in_use() const { return in_use_; }

 private:
  void add_chunk();

  std::size_t stack_bytes_;
  std::size_t chunk_bytes_;
  std::vector<void*> chunks_;
  std::vector<char*> free_;  // stack bottoms (lowest addresses)
  std::size_t in_use_ = 0;
};

class StackPoolAllocator {
 public:
  explicit StackPoolAllocator(StackPool* pool) : pool_(pool) {}
  boost::context::stack_context allocate() { return pool_->allocate(); }
  void deallocate(boost::context::stack_context& context) { pool_->deallocate(context); }

 private:
  StackPool* pool_;
};

}  // namespace tracksim::sim

// The pending-event queue: a 4-ary heap ordered by (time, sequence number).
//
// Four children per node halve the depth of a binary heap and keep siblings in one or two cache
// lines, which matters once tens of thousands of timers are pending. Two events at the same virtual
// time run in the order they were scheduled, so the order of a run never depends on the heap's
// internal layout. An event either wakes one fiber (if that fiber is still waiting for the same
// thing) or runs a callback on the kernel's own context.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <vector>

#include "model/time.h"

namespace tracksim::sim {

struct FiberRecord;

struct Event {
  Nanos time_ns = 0;
  std::uint64_t sequence = 0;
  FiberRecord* fiber = nullptr;  // wake this fiber, if its wait generation still matches...
  std::uint64_t generation = 0;
  std::uint32_t callback = 0;  // ...or, when fiber is null, run this callback slot
};

class EventQueue {
 public:
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  const Event& top() const {
    assert(!heap_.empty());
    return heap_.front();
  }

  void push(Event event) {
    event.sequence = next_sequence_++;
    heap_.push_back(event);
    sift_up(heap_.size() - 1);
  }

  Event pop() {
    assert(!heap_.empty());
    const Event top = heap_.front();
    const Event last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(last);
    return top;
  }

  void clear() { heap_.clear(); }

 private:
  static constexpr std::size_t kArity = 4;

  static bool earlier(const Event& a, const Event& b) {
    if (a.time_ns != b.time_ns) return a.time_ns < b.time_ns;
    return a.sequence < b.sequence;
  }

  void sift_up(std::size_t index) {
    const Event moving = heap_[index];
    while (index > 0) {
      const std::size_t parent = (index - 1) / kArity;
      if (!earlier(moving, heap_[parent])) break;
      heap_[index] = heap_[parent];
      index = parent;
    }
    heap_[index] = moving;
  }

  // Places `moving` starting from the root, whose slot is free.
  void sift_down(const Event& moving) {
    const std::size_t size = heap_.size();
    std::size_t index = 0;
    for (;;) {
      const std::size_t first = index * kArity + 1;
      if (first >= size) break;
      std::size_t best = first;
      const std::size_t end = std::min(first + kArity, size);
      for (std::size_t child = first + 1; child < end; ++child) {
        if (earlier(heap_[child], heap_[best])) best = child;
      }
      if (!earlier(heap_[best], moving)) break;
      heap_[index] = heap_[best];
      index = best;
    }
    heap_[index] = moving;
  }

  std::vector<Event> heap_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace tracksim::sim

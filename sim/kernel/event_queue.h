// The pending-event queue: a binary heap ordered by (time, sequence number).
//
// Two events at the same virtual time run in the order they were scheduled, so the order of a run
// never depends on the heap's internal layout. An event either wakes one fiber (if that fiber is
// still waiting for the same thing) or runs a callback on the kernel's own context.
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
    std::push_heap(heap_.begin(), heap_.end(), Later{});
  }

  Event pop() {
    assert(!heap_.empty());
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    Event event = heap_.back();
    heap_.pop_back();
    return event;
  }

  void clear() { heap_.clear(); }

 private:
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      if (a.time_ns != b.time_ns) return a.time_ns > b.time_ns;
      return a.sequence > b.sequence;
    }
  };

  std::vector<Event> heap_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace tracksim::sim

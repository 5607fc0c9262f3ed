// Waiting in virtual time: a one-shot reply, a mailbox, and timeouts on both.
//
// These are the only ways a simulated fiber waits, besides Simulation::sleep_for. Each wait is
// registered with a generation number (see Simulation::prepare_wait), so whichever of "the value
// arrived" and "the timeout fired" comes first wins and the other is ignored. Nothing here reads a
// real clock, and nothing here is safe across threads: a simulation is single-threaded.
//
// Ownership: a Reply is shared between the waiter and whoever will answer it (a network message in
// flight, a storage request), so an answer that arrives after its waiter gave up lands harmlessly.
#pragma once

#include <cassert>
#include <deque>
#include <memory>
#include <optional>
#include <utility>

#include "sim/kernel/simulation.h"

namespace tracksim::sim {

template <class T>
class Reply {
 public:
  // Answers the reply; a second answer is a harness bug.
  void set(T value) {
    assert(!value_.has_value());
    assert(!answered_);
    answered_ = true;
    value_ = std::move(value);
    if (waiter_ != nullptr) Simulation::current().wake(waiter_, generation_);
  }

  bool answered() const { return answered_; }

  // Waits until answered.
  T wait() {
    std::optional<T> value = wait_until(INT64_MAX);
    assert(value.has_value());
    return std::move(*value);
  }

  // Waits at most `timeout_ns`; nullopt when the time ran out first.
  std::optional<T> wait_for(Nanos timeout_ns) {
    Simulation& sim = Simulation::current();
    return wait_until(timeout_ns >= INT64_MAX - sim.now() ? INT64_MAX : sim.now() + timeout_ns);
  }

 private:
  std::optional<T> wait_until(Nanos deadline_ns) {
    Simulation& sim = Simulation::current();
    if (!value_.has_value()) {
      assert(waiter_ == nullptr);
      waiter_ = sim.current_fiber();
      generation_ = sim.prepare_wait();
      if (deadline_ns != INT64_MAX) sim.wake_at(deadline_ns, waiter_, generation_);
      sim.block("reply");
      waiter_ = nullptr;
    }
    if (!value_.has_value()) return std::nullopt;
    std::optional<T> value = std::move(value_);
    value_.reset();
    return value;
  }

  std::optional<T> value_;
  bool answered_ = false;
  FiberRecord* waiter_ = nullptr;
  std::uint64_t generation_ = 0;
};

template <class T>
using ReplyPtr = std::shared_ptr<Reply<T>>;

template <class T>
ReplyPtr<T> make_reply() {
  return std::make_shared<Reply<T>>();
}

// An unbounded FIFO mailbox. Any number of senders (fibers or kernel callbacks); any number of
// receivers, served in the order they started waiting.
template <class T>
class Mailbox {
 public:
  void send(T value) {
    items_.push_back(std::move(value));
    wake_one();
  }

  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

  T receive() {
    std::optional<T> value = receive_until(INT64_MAX);
    assert(value.has_value());
    return std::move(*value);
  }

  std::optional<T> receive_for(Nanos timeout_ns) {
    Simulation& sim = Simulation::current();
    return receive_until(timeout_ns >= INT64_MAX - sim.now() ? INT64_MAX : sim.now() + timeout_ns);
  }

  // Takes an item without waiting, if there is one.
  std::optional<T> try_receive() {
    if (items_.empty()) return std::nullopt;
    T value = std::move(items_.front());
    items_.pop_front();
    return value;
  }

 private:
  struct Waiter {
    FiberRecord* fiber;
    std::uint64_t generation;
  };

  std::optional<T> receive_until(Nanos deadline_ns) {
    Simulation& sim = Simulation::current();
    // Wait while empty; a wake may be taken by an earlier waiter, so check again after each.
    while (items_.empty()) {
      if (sim.now() >= deadline_ns) return std::nullopt;
      FiberRecord* self = sim.current_fiber();
      const std::uint64_t generation = sim.prepare_wait();
      waiters_.push_back(Waiter{self, generation});
      if (deadline_ns != INT64_MAX) sim.wake_at(deadline_ns, self, generation);
      sim.block("mailbox");
      forget(self);
    }
    T value = std::move(items_.front());
    items_.pop_front();
    if (!items_.empty()) wake_one();
    return value;
  }

  void wake_one() {
    Simulation& sim = Simulation::current();
    while (!waiters_.empty()) {
      Waiter waiter = waiters_.front();
      waiters_.pop_front();
      if (waiter.fiber->state == FiberState::kBlocked &&
          waiter.fiber->wait_generation == waiter.generation) {
        sim.wake(waiter.fiber, waiter.generation);
        return;
      }
    }
  }

  void forget(FiberRecord* fiber) {
    for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
      if (it->fiber == fiber) {
        waiters_.erase(it);
        return;
      }
    }
  }

  std::deque<T> items_;
  std::deque<Waiter> waiters_;
};

}  // namespace tracksim::sim

namespace tracksim::sim {

// A counting semaphore in virtual time with first-come, first-served waiters: a connection pool.
class Semaphore {
 public:
  explicit Semaphore(std::int64_t permits) : available_(permits) {}

  std::int64_t available() const { return available_; }
  std::size_t waiting() const { return waiters_.size(); }

  // Takes a permit, waiting at most `timeout_ns` (INT64_MAX: forever); false when time ran out.
  bool acquire_for(Nanos timeout_ns) {
    Simulation& sim = Simulation::current();
    if (available_ > 0 && waiters_.empty()) {
      --available_;
      return true;
    }
    FiberRecord* self = sim.current_fiber();
    auto ticket = std::make_shared<Ticket>();
    ticket->fiber = self;
    ticket->generation = sim.prepare_wait();
    waiters_.push_back(ticket);
    if (timeout_ns != INT64_MAX) sim.wake_at(sim.now() + timeout_ns, self, ticket->generation);
    sim.block("semaphore");
    if (ticket->granted) return true;
    ticket->abandoned = true;  // the timeout won; release() will skip this ticket
    return false;
  }

  void release() {
    Simulation& sim = Simulation::current();
    while (!waiters_.empty()) {
      std::shared_ptr<Ticket> ticket = waiters_.front();
      waiters_.pop_front();
      if (ticket->abandoned) continue;
      if (ticket->fiber->state != FiberState::kBlocked ||
          ticket->fiber->wait_generation != ticket->generation) {
        continue;  // its timeout fired and it has not run yet; it will see granted == false
      }
      ticket->granted = true;  // the permit passes straight to the waiter
      sim.wake(ticket->fiber, ticket->generation);
      return;
    }
    ++available_;
  }

 private:
  struct Ticket {
    FiberRecord* fiber = nullptr;
    std::uint64_t generation = 0;
    bool granted = false;
    bool abandoned = false;
  };

  std::int64_t available_;
  std::deque<std::shared_ptr<Ticket>> waiters_;
};

}  // namespace tracksim::sim

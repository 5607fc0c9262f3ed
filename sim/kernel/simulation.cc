// The kernel loop and the Boost.Fiber scheduling algorithm that hands control to it.
//
// Boost.Fiber asks its scheduling algorithm which context to run next whenever a fiber suspends.
// VirtualTimeAlgorithm answers: a ready simulated fiber chosen by the run's policy if there is
// one, otherwise the kernel context (the thread's main fiber), which then advances virtual time.
// The dispatcher context (Boost's own housekeeping fiber, which frees finished fibers) runs only
// when the kernel parks itself, which it does every so often and at the end of a run.
#include "sim/kernel/simulation.h"

#include <algorithm>
#include <boost/fiber/all.hpp>
#include <cassert>
#include <cstdio>
#include <cstdlib>

#if defined(TRACKSIM_SANITIZE)
#include <sanitizer/asan_interface.h>
#include <boost/context/fixedsize_stack.hpp>
#endif

namespace tracksim::sim {
namespace {

namespace fibers = boost::fibers;

thread_local Simulation* t_current = nullptr;

#if defined(TRACKSIM_SANITIZE)
// Boost.Context switches stacks without telling AddressSanitizer (Debian builds it without the
// fiber-switch annotations). When an exception unwinds frames on a fiber stack, ASan cannot find
// that stack's bounds, so the frames it skips keep their redzone poison, and the next calls made
// at those addresses (landing pads, the fiber's teardown) are reported as stack-buffer-overflow.
// The kernel therefore clears a fiber's stack itself: all of it when it cancels the fiber (the
// fiber only unwinds and ends from there), and below the catching frame when an exception ends
// the body. To know where the stack lies, the allocator tells the fiber's record.
class RecordingStackAllocator {
 public:
  RecordingStackAllocator(std::size_t bytes, FiberRecord* record)
      : inner_(bytes), record_(record) {}

  boost::context::stack_context allocate() {
    boost::context::stack_context stack = inner_.allocate();
    record_->stack_low = static_cast<char*>(stack.sp) - stack.size;
    record_->stack_size = stack.size;
    return stack;
  }
  void deallocate(boost::context::stack_context& stack) noexcept { inner_.deallocate(stack); }

 private:
  boost::context::fixedsize_stack inner_;
  FiberRecord* record_;
};

// The fiber is about to unwind to its end: no redzone on its stack guards anything any more.
void forget_stack(const FiberRecord& self) {
  if (self.stack_low != nullptr) ASAN_UNPOISON_MEMORY_REGION(self.stack_low, self.stack_size);
}

// Called on the fiber's own stack: everything below the caller's frame is dead.
__attribute__((noinline)) void forget_unwound_frames(const FiberRecord& self) {
  char* low = static_cast<char*>(self.stack_low);
  char* frame = static_cast<char*>(__builtin_frame_address(0));
  if (low != nullptr && frame > low) ASAN_UNPOISON_MEMORY_REGION(low, frame - low);
}
#else
void forget_stack(const FiberRecord&) {}
void forget_unwound_frames(const FiberRecord&) {}
#endif

// A plain algorithm, without Boost's fiber properties: the simulation always knows which record
// becomes ready (it is spawning, waking, or running it), so nothing is looked up through the
// context, which saves a cache miss per switch when fibers are many.
class VirtualTimeAlgorithm final : public fibers::algo::algorithm {
 public:
  VirtualTimeAlgorithm() { t_algorithm = this; }
  ~VirtualTimeAlgorithm() override {
    if (t_algorithm == this) t_algorithm = nullptr;
  }

  static VirtualTimeAlgorithm* installed() { return t_algorithm; }

  void awakened(fibers::context* ctx) noexcept override {
    if (ctx->is_context(fibers::type::main_context)) {
      main_ = ctx;
      return;
    }
    if (ctx->is_context(fibers::type::dispatcher_context)) {
      dispatcher_ = ctx;
      return;
    }
    Simulation* sim = t_current;
    if (sim == nullptr) {
      std::fputs("tracksim: a fiber became ready with no simulation on this thread\n", stderr);
      std::abort();
    }
    FiberRecord* record = sim->record_becoming_ready(ctx);
    if (record == nullptr) {
      std::fputs(
          "tracksim: fatal: a fiber was made ready by a Boost.Fiber primitive (mutex, condition "
          "variable, join, ...); simulated fibers wait only through sim/kernel/sync.h\n",
          stderr);
      std::abort();
    }
    sim->on_ready(ctx, record);
  }

  fibers::context* pick_next() noexcept override {
    Simulation* sim = t_current;
    if (sim != nullptr && sim->has_ready_fibers()) return sim->pick_next();
    if (main_ != nullptr) return std::exchange(main_, nullptr);
    return std::exchange(dispatcher_, nullptr);
  }

  bool has_ready_fibers() const noexcept override {
    return main_ != nullptr || dispatcher_ != nullptr ||
           (t_current != nullptr && t_current->has_ready_fibers());
  }

  // Boost calls this from its dispatcher when nothing is ready. A finite deadline means some fiber
  // is in one of Boost's own timed waits, which would read the real clock.
  void suspend_until(std::chrono::steady_clock::time_point const& deadline) noexcept override {
    if (deadline != std::chrono::steady_clock::time_point::max()) {
      std::fputs(
          "tracksim: fatal: a fiber used a Boost.Fiber timed wait (sleep_for, wait_for, ...), "
          "which reads the real clock; use the virtual-time primitives of sim/kernel/sync.h\n",
          stderr);
      std::abort();
    }
    if (!parked_main_) {
      std::fputs("tracksim: fatal: every context on this thread is blocked\n", stderr);
      std::abort();
    }
    parked_main_ = false;
    main_ = main_context_;
  }

  void notify() noexcept override {}

  // Suspends the kernel context without making it ready, so the dispatcher gets to run (and free
  // finished fibers) once every simulated fiber has suspended.
  void park_main() {
    main_context_ = fibers::context::active();
    assert(main_context_->is_context(fibers::type::main_context));
    parked_main_ = true;
    main_context_->suspend();
  }

 private:
  static thread_local VirtualTimeAlgorithm* t_algorithm;
  fibers::context* main_ = nullptr;
  fibers::context* dispatcher_ = nullptr;
  fibers::context* main_context_ = nullptr;
  bool parked_main_ = false;
};

thread_local VirtualTimeAlgorithm* VirtualTimeAlgorithm::t_algorithm = nullptr;

VirtualTimeAlgorithm& algorithm_for_this_thread() {
  if (VirtualTimeAlgorithm::installed() == nullptr) {
    fibers::use_scheduling_algorithm<VirtualTimeAlgorithm>();
  }
  return *VirtualTimeAlgorithm::installed();
}

class FifoPolicy final : public SchedulePolicy {
 public:
  std::size_t pick(const std::vector<FiberRecord*>&) override { return 0; }
  std::string_view name() const override { return "fifo"; }
};

class RandomPolicy final : public SchedulePolicy {
 public:
  explicit RandomPolicy(std::uint64_t seed) : stream_(seed, "kernel/schedule") {}
  std::size_t pick(const std::vector<FiberRecord*>& ready) override {
    if (ready.size() == 1) return 0;
    return static_cast<std::size_t>(
        stream_.next_in(0, static_cast<std::int64_t>(ready.size()) - 1));
  }
  std::string_view name() const override { return "random"; }

 private:
  RandomStream stream_;
};

class PctPolicy final : public SchedulePolicy {
 public:
  explicit PctPolicy(const PolicyOptions& options)
      : seed_(options.seed), stream_(options.seed, "kernel/pct") {
    for (int i = 1; i < options.pct_depth; ++i) {
      change_points_.push_back(
          stream_.next_in(1, std::max<std::int64_t>(1, options.pct_horizon_steps)));
    }
    std::sort(change_points_.begin(), change_points_.end());
  }

  std::size_t pick(const std::vector<FiberRecord*>& ready) override {
    ++step_;
    std::size_t best = highest(ready);
    while (next_change_ < change_points_.size() && change_points_[next_change_] <= step_) {
      // A change point: the fiber about to run drops below every priority given so far.
      priority(ready[best]) = -static_cast<std::int64_t>(++lowered_);
      ++next_change_;
      best = highest(ready);
    }
    return best;
  }
  std::string_view name() const override { return "pct"; }

 private:
  std::int64_t& priority(const FiberRecord* fiber) {
    while (priorities_.size() <= fiber->id) {
      // Initial priorities are a function of the seed and the logical id alone.
      std::uint64_t state = seed_ ^ (0x9e3779b97f4a7c15ULL * (priorities_.size() + 1));
      priorities_.push_back(static_cast<std::int64_t>(splitmix64(state) >> 1));
    }
    return priorities_[fiber->id];
  }

  std::size_t highest(const std::vector<FiberRecord*>& ready) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < ready.size(); ++i) {
      if (priority(ready[i]) > priority(ready[best])) best = i;
    }
    return best;
  }

  std::uint64_t seed_;
  RandomStream stream_;
  std::vector<std::int64_t> change_points_;
  std::size_t next_change_ = 0;
  std::int64_t step_ = 0;
  std::uint64_t lowered_ = 0;
  std::vector<std::int64_t> priorities_;
};

// Fibers finished since the dispatcher last ran; past this many the kernel parks to free them.
constexpr std::uint64_t kReleaseBatch = 64;

}  // namespace

std::string_view to_string(ScheduleStrategy s) {
  switch (s) {
    case ScheduleStrategy::kFifo:
      return "fifo";
    case ScheduleStrategy::kRandom:
      return "random";
    case ScheduleStrategy::kPct:
      return "pct";
  }
  return "?";
}

std::optional<ScheduleStrategy> schedule_strategy_from_string(std::string_view name) {
  for (ScheduleStrategy s :
       {ScheduleStrategy::kFifo, ScheduleStrategy::kRandom, ScheduleStrategy::kPct}) {
    if (to_string(s) == name) return s;
  }
  return std::nullopt;
}

std::unique_ptr<SchedulePolicy> make_policy(ScheduleStrategy strategy,
                                            const PolicyOptions& options) {
  switch (strategy) {
    case ScheduleStrategy::kFifo:
      return std::make_unique<FifoPolicy>();
    case ScheduleStrategy::kRandom:
      return std::make_unique<RandomPolicy>(options.seed);
    case ScheduleStrategy::kPct:
      return std::make_unique<PctPolicy>(options);
  }
  return nullptr;
}

std::string_view to_string(RunStatus s) {
  switch (s) {
    case RunStatus::kQuiescent:
      return "quiescent";
    case RunStatus::kTimeLimit:
      return "time_limit";
    case RunStatus::kDeadlock:
      return "deadlock";
    case RunStatus::kFiberFailed:
      return "fiber_failed";
  }
  return "?";
}

Simulation::Simulation(KernelOptions options)
    : options_(options),
      stacks_(StackPool::for_this_thread(options.stack_bytes)),
      trace_(options.trace_mode),
      policy_(make_policy(options.strategy,
                          PolicyOptions{.seed = options.seed,
                                        .pct_depth = options.pct_depth,
                                        .pct_horizon_steps = options.pct_horizon_steps})) {
  if (t_current != nullptr) {
    std::fputs("tracksim: fatal: one simulation per thread at a time\n", stderr);
    std::abort();
  }
  if (!fibers::context::active()->is_context(fibers::type::main_context)) {
    std::fputs("tracksim: fatal: a simulation must be created on a thread's main context\n",
               stderr);
    std::abort();
  }
  algorithm_for_this_thread();
  t_current = this;
}

Simulation::~Simulation() {
  if (live_fibers_ > 0) cancel_all();
  release_finished_fibers();
  t_current = nullptr;
}

Simulation& Simulation::current() {
  assert(t_current != nullptr);
  return *t_current;
}

std::uint64_t Simulation::spawn(std::string name, std::function<void()> body, bool daemon) {
  auto record = std::make_unique<FiberRecord>();
  FiberRecord* self = record.get();
  self->id = fibers_.size() + 1;
  self->name = std::move(name);
  self->daemon = daemon;
  fibers_.push_back(std::move(record));
  ++live_fibers_;
  trace_.event(now_ns_, "fiber.spawn").field("fiber", self->id).field("name", self->name);

  auto run_body = [this, self, body = std::move(body)]() {
    self->context = fibers::context::active();
    if (!self->cancelled) {
      try {
        body();
      } catch (const FiberCancelled&) {
        // The run is ending; the stack has unwound and nothing more is simulated.
      } catch (const std::exception& e) {
        forget_unwound_frames(*self);
        if (failure_.empty()) failure_ = "fiber " + self->name + ": " + e.what();
      } catch (...) {
        forget_unwound_frames(*self);
        if (failure_.empty()) failure_ = "fiber " + self->name + ": unknown exception";
      }
    }
    self->state = FiberState::kDone;
    --live_fibers_;
    ++finished_since_release_;
    if (!self->cancelled) trace_.event(now_ns_, "fiber.end").field("fiber", self->id);
  };

  spawning_ = self;
#if defined(TRACKSIM_SANITIZE)
  fibers::fiber fiber(std::allocator_arg, RecordingStackAllocator(options_.stack_bytes, self),
                      std::move(run_body));
#else
  fibers::fiber fiber(std::allocator_arg, StackPoolAllocator(&stacks_), std::move(run_body));
#endif
  assert(spawning_ == nullptr);  // the algorithm took the record when the fiber became ready
  fiber.detach();
  return self->id;
}

void Simulation::at(Nanos time_ns, std::function<void()> callback) {
  assert(time_ns >= now_ns_);
  std::uint32_t slot;
  if (!free_callbacks_.empty()) {
    slot = free_callbacks_.back();
    free_callbacks_.pop_back();
    callbacks_[slot] = std::move(callback);
  } else {
    slot = static_cast<std::uint32_t>(callbacks_.size());
    callbacks_.push_back(std::move(callback));
  }
  queue_.push(Event{
      .time_ns = time_ns, .sequence = 0, .fiber = nullptr, .generation = 0, .callback = slot});
}

std::uint64_t Simulation::prepare_wait() {
  assert(running_ != nullptr);
  return ++running_->wait_generation;
}

namespace {
[[noreturn]] void cancel_running(const FiberRecord& self) {
  forget_stack(self);
  throw FiberCancelled{};
}
}  // namespace

void Simulation::block(const char* reason) {
  FiberRecord* self = running_;
  assert(self != nullptr);
  if (self->cancelled) cancel_running(*self);
  self->state = FiberState::kBlocked;
  self->blocked_on = reason;
  fibers::context::active()->suspend();
  assert(running_ == self);
  if (self->cancelled) cancel_running(*self);
}

void Simulation::wake(FiberRecord* fiber, std::uint64_t generation) {
  if (fiber->state != FiberState::kBlocked) return;
  if (fiber->wait_generation != generation) return;
  ++fiber->wait_generation;  // any other waker of the same wait is now stale
  fiber->state = FiberState::kReady;
  trace_.event(now_ns_, "fiber.wake").field("fiber", fiber->id);
  make_ready(fiber);
}

void Simulation::make_ready(FiberRecord* fiber) {
  waking_ = fiber;
  fibers::context::active()->schedule(fiber->context);
  assert(waking_ == nullptr);  // the algorithm took it
}

FiberRecord* Simulation::record_becoming_ready(fibers::context* context) {
  if (spawning_ != nullptr) return std::exchange(spawning_, nullptr);
  if (waking_ != nullptr) return std::exchange(waking_, nullptr);
  // A simulated fiber that yields becomes ready again itself.
  if (running_ != nullptr && running_->context == context) return running_;
  return nullptr;
}

void Simulation::wake_at(Nanos time_ns, FiberRecord* fiber, std::uint64_t generation) {
  assert(time_ns >= now_ns_);
  queue_.push(Event{
      .time_ns = time_ns, .sequence = 0, .fiber = fiber, .generation = generation, .callback = 0});
}

void Simulation::sleep_for(Nanos duration_ns) {
  assert(duration_ns >= 0);
  const std::uint64_t generation = prepare_wait();
  wake_at(now_ns_ + duration_ns, running_, generation);
  block("sleep");
}

void Simulation::on_ready(fibers::context* context, FiberRecord* fiber) {
  fiber->state = FiberState::kReady;
  ready_.push_back(fiber);
  ready_contexts_.push_back(context);
}

fibers::context* Simulation::pick_next() {
  assert(!ready_.empty());
  const std::size_t index = policy_->pick(ready_);
  assert(index < ready_.size());
  fibers::context* context = ready_contexts_[index];
  running_ = ready_[index];
  running_->state = FiberState::kRunning;
  ready_.erase(ready_.begin() + static_cast<std::ptrdiff_t>(index));
  ready_contexts_.erase(ready_contexts_.begin() + static_cast<std::ptrdiff_t>(index));
  return context;
}

void Simulation::let_ready_fibers_run() {
  while (!ready_.empty()) {
    boost::this_fiber::yield();
    running_ = nullptr;
  }
  if (finished_since_release_ >= kReleaseBatch) release_finished_fibers();
}

void Simulation::release_finished_fibers() {
  finished_since_release_ = 0;
  algorithm_for_this_thread().park_main();
  running_ = nullptr;
}

void Simulation::dispatch(const Event& event) {
  if (event.fiber != nullptr) {
    wake(event.fiber, event.generation);
    return;
  }
  // Move the callback out first: it may schedule more callbacks and reuse slots.
  std::function<void()> callback = std::move(callbacks_[event.callback]);
  callbacks_[event.callback] = nullptr;
  free_callbacks_.push_back(event.callback);
  callback();
}

RunOutcome Simulation::run(Nanos until_ns) {
  assert(!ran_);
  ran_ = true;
  RunOutcome outcome;

  for (;;) {
    let_ready_fibers_run();
    if (!failure_.empty()) {
      outcome.status = RunStatus::kFiberFailed;
      outcome.detail = failure_;
      break;
    }
    if (queue_.empty()) {
      const std::string blocked = describe_blocked(false);
      outcome.status = blocked.empty() ? RunStatus::kQuiescent : RunStatus::kDeadlock;
      outcome.detail = blocked;
      break;
    }
    if (queue_.top().time_ns > until_ns) {
      now_ns_ = until_ns;
      outcome.status = RunStatus::kTimeLimit;
      break;
    }
    const Event event = queue_.pop();
    assert(event.time_ns >= now_ns_);
    now_ns_ = event.time_ns;
    dispatch(event);
    ++outcome.events_dispatched;
  }

  outcome.end_time_ns = now_ns_;
  cancel_all();
  return outcome;
}

void Simulation::cancel_all() {
  for (auto& fiber : fibers_) {
    if (fiber->state == FiberState::kDone) continue;
    fiber->cancelled = true;
    if (fiber->state == FiberState::kBlocked) {
      fiber->state = FiberState::kReady;
      ++fiber->wait_generation;
      make_ready(fiber.get());
    }
  }
  let_ready_fibers_run();
  release_finished_fibers();
  if (live_fibers_ != 0) {
    std::fprintf(stderr, "tracksim: fatal: %llu fibers could not be cancelled: %s\n",
                 static_cast<unsigned long long>(live_fibers_), describe_blocked(true).c_str());
    std::abort();
  }
  queue_.clear();
  callbacks_.clear();
  free_callbacks_.clear();
}

std::string Simulation::describe_blocked(bool include_daemons) const {
  std::string text;
  for (const auto& fiber : fibers_) {
    if (fiber->state != FiberState::kBlocked) continue;
    if (fiber->daemon && !include_daemons) continue;
    if (!text.empty()) text += ", ";
    text += fiber->name + "#" + std::to_string(fiber->id) + " waiting on " + fiber->blocked_on;
  }
  return text;
}

}  // namespace tracksim::sim

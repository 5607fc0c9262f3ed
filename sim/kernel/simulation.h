//! The simulation kernel: virtual time, an event queue, and fibers scheduled in virtual time.
//!
//! One Simulation runs on one OS thread. Every actor of the simulated world (a driver's phone, a
//! server request handler, a network link) is a Boost.Fiber fiber; a fiber that waits (sleeps, or
//! awaits a reply) is suspended and woken by an event. The kernel context (the thread's main
//! fiber) runs the loop:
//!
//!   1. let every ready fiber run, in an order chosen by the scheduling policy;
//!   2. when none is ready, pop the earliest event, advance the clock to it, and dispatch it.
//!
//! Virtual time therefore moves only when nothing is ready, and a run is a pure function of the
//! seed, the configuration and the code. Promises:
//!   - fibers get logical ids in creation order (never addresses);
//!   - an exception escaping a fiber is captured and ends the run as a harness failure;
//!   - when the queue runs dry while non-daemon fibers still wait, the run ends as a deadlock that
//!     names them;
//!   - Boost's own timed waits (which read the real steady clock) are detected and fail the run;
//!   - at the end every fiber still alive is cancelled: its pending wait throws FiberCancelled,
//!     which unwinds it without running any more simulated work.
//! Left out on purpose: preemption (fibers switch only where they wait), and threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/ports.h"
#include "sim/kernel/event_queue.h"
#include "sim/kernel/rng.h"
#include "sim/kernel/stack_pool.h"
#include "sim/kernel/trace.h"

namespace boost::fibers {
class context;
}

namespace tracksim::sim {

// Thrown out of a wait when the run ends while the fiber is still alive. Never catch it.
struct FiberCancelled {};

enum class FiberState : unsigned char { kReady, kRunning, kBlocked, kDone };

struct FiberRecord {
  std::uint64_t id = 0;  // creation order, from 1; 0 is the kernel context
  std::string name;
  bool daemon = false;  // daemons may still be waiting when a run ends (servers, links)
  FiberState state = FiberState::kReady;
  std::uint64_t wait_generation = 0;
  const char* blocked_on = "";  // what it waits for, for deadlock reports
  bool cancelled = false;
  boost::fibers::context* context = nullptr;
  void* stack_low = nullptr;  // its stack's extent, for sanitizer bookkeeping
  std::size_t stack_size = 0;
};

// Chooses which ready fiber runs next. The ready list is in the order fibers became ready.
class SchedulePolicy {
 public:
  virtual ~SchedulePolicy() = default;
  virtual std::size_t pick(const std::vector<FiberRecord*>& ready) = 0;
  virtual std::string_view name() const = 0;
};

// kFifo: the fiber that became ready first. kRandom: a uniformly drawn ready fiber. kPct:
// probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010): every fiber gets a random
// priority, the highest-priority ready fiber runs, and at pct_depth - 1 randomly chosen steps the
// running fiber drops below all others; this finds bugs of depth d with probability at least
// 1 / (n * k^(d-1)) for n fibers and k steps.
enum class ScheduleStrategy : unsigned char { kFifo, kRandom, kPct };
std::string_view to_string(ScheduleStrategy s);
std::optional<ScheduleStrategy> schedule_strategy_from_string(std::string_view name);

struct PolicyOptions {
  std::uint64_t seed = 1;
  int pct_depth = 3;
  std::int64_t pct_horizon_steps = 10'000;  // change points are drawn among this many picks
};
std::unique_ptr<SchedulePolicy> make_policy(ScheduleStrategy strategy,
                                            const PolicyOptions& options);

struct KernelOptions {
  std::uint64_t seed = 1;
  ScheduleStrategy strategy = ScheduleStrategy::kRandom;
  TraceMode trace_mode = TraceMode::kDigest;
  int pct_depth = 3;
  std::int64_t pct_horizon_steps = 10'000;
  // Each fiber's stack. Measured: the model's deepest path (a retried atomic update with its
  // monitoring) needs well under 32 KiB; sanitizer builds need several times more.
#if defined(TRACKSIM_SANITIZE)
  std::size_t stack_bytes = 512 * 1024;
#else
  std::size_t stack_bytes = 64 * 1024;
#endif
};

enum class RunStatus : unsigned char {
  kQuiescent,    // nothing left to do: the queue is empty and only daemons wait
  kTimeLimit,    // stopped at the requested time with events still pending
  kDeadlock,     // the queue is empty but non-daemon fibers still wait
  kFiberFailed,  // an exception escaped a fiber
};
std::string_view to_string(RunStatus s);

struct RunOutcome {
  RunStatus status = RunStatus::kQuiescent;
  Nanos end_time_ns = 0;
  std::string detail;  // the blocked fibers, or the escaped exception, in one line
  std::uint64_t events_dispatched = 0;
};

class Simulation {
 public:
  explicit Simulation(KernelOptions options);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // The simulation running on this thread; there must be one.
  static Simulation& current();

  Nanos now() const { return now_ns_; }
  const KernelOptions& options() const { return options_; }
  Trace& trace() { return trace_; }
  // A random stream derived from the run's seed and a stable name.
  RandomStream stream(std::string_view name) const { return RandomStream(options_.seed, name); }

  // Starts a fiber; it first runs when the kernel next lets ready fibers run.
  std::uint64_t spawn(std::string name, std::function<void()> body, bool daemon = false);

  // Runs `callback` on the kernel context at `time_ns` (>= now). It must not wait.
  void at(Nanos time_ns, std::function<void()> callback);
  void after(Nanos delay_ns, std::function<void()> callback) {
    at(now_ns_ + delay_ns, std::move(callback));
  }

  // Runs until quiescence, deadlock, failure, or virtual time `until_ns`; then cancels every fiber
  // still alive. A Simulation runs once.
  RunOutcome run(Nanos until_ns = INT64_MAX);

  // --- For fibers and the primitives in sync.h -----------------------------------------------

  // The running fiber's record; null on the kernel context.
  FiberRecord* current_fiber() const { return running_; }
  // Starts a wait of the running fiber: returns the generation a waker must present. Register it
  // with whatever will wake the fiber (a timer, a reply), then call block().
  std::uint64_t prepare_wait();
  // Suspends the running fiber until woken with the generation prepare_wait() gave; throws
  // FiberCancelled when the run is ending.
  void block(const char* reason);
  // Makes `fiber` ready if it still waits with `generation`; stale wakes are ignored.
  void wake(FiberRecord* fiber, std::uint64_t generation);
  // Wakes `fiber` at `time_ns` if it still waits with `generation` then.
  void wake_at(Nanos time_ns, FiberRecord* fiber, std::uint64_t generation);
  // Sleeps the running fiber for `duration_ns` of virtual time.
  void sleep_for(Nanos duration_ns);

  // Called by the scheduling algorithm.
  // The record of `context`, which is becoming ready: the fiber being spawned or woken, or the
  // running fiber yielding. Null for a context the simulation did not start.
  FiberRecord* record_becoming_ready(boost::fibers::context* context);
  void on_ready(boost::fibers::context* context, FiberRecord* fiber);
  boost::fibers::context* pick_next();
  bool has_ready_fibers() const { return !ready_.empty(); }

  const std::vector<std::unique_ptr<FiberRecord>>& fibers() const { return fibers_; }

 private:
  void let_ready_fibers_run();
  void make_ready(FiberRecord* fiber);
  void release_finished_fibers();
  void dispatch(const Event& event);
  void cancel_all();
  std::string describe_blocked(bool include_daemons) const;

  KernelOptions options_;
  StackPool& stacks_;  // this thread's, so consecutive runs reuse its stacks
  Trace trace_;
  std::unique_ptr<SchedulePolicy> policy_;
  Nanos now_ns_ = 0;
  EventQueue queue_;
  std::vector<std::function<void()>> callbacks_;
  std::vector<std::uint32_t> free_callbacks_;
  std::vector<std::unique_ptr<FiberRecord>> fibers_;
  std::vector<FiberRecord*> ready_;
  std::vector<boost::fibers::context*> ready_contexts_;
  FiberRecord* running_ = nullptr;
  FiberRecord* spawning_ = nullptr;
  FiberRecord* waking_ = nullptr;
  std::uint64_t live_fibers_ = 0;
  std::uint64_t finished_since_release_ = 0;
  std::string failure_;
  bool ran_ = false;
};

// The Sleeper and Clock ports on the current simulation, for code that takes ports.
class SimClock final : public model::Clock {
 public:
  explicit SimClock(const Simulation& sim) : sim_(sim) {}
  Nanos now() const override { return sim_.now(); }

 private:
  const Simulation& sim_;
};

class SimSleeper final : public model::Sleeper {
 public:
  explicit SimSleeper(Simulation& sim) : sim_(sim) {}
  void sleep_for(Nanos duration_ns) override { sim_.sleep_for(duration_ns); }

 private:
  Simulation& sim_;
};

}  // namespace tracksim::sim

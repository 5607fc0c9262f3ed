// Kernel speed: virtual-time timer events per second as sleeping fibers grow, the cost of a fiber
// switch, and the raw cost of the pieces (a heap pop+push, a Boost.Fiber yield) as the baseline
// the kernel's figures are ratios against.
//
//   ./build/kernel_bench                      # all, with counters events/s and ns/event
//   ./build/kernel_bench --benchmark_filter=Timer
#include <benchmark/benchmark.h>

#include <boost/fiber/all.hpp>
#include <thread>

#include "sim/kernel/event_queue.h"
#include "sim/kernel/rng.h"
#include "sim/kernel/simulation.h"

namespace tracksim::sim {
namespace {

// Baseline: one pop and one push on a heap of `fibers` pending events.
void BM_RawQueuePopPush(benchmark::State& state) {
  const auto size = static_cast<int>(state.range(0));
  EventQueue queue;
  RandomStream stream(1, "bench");
  for (int i = 0; i < size; ++i) {
    queue.push(Event{.time_ns = stream.next_in(0, 1'000'000)});
  }
  for (auto _ : state) {
    Event event = queue.pop();
    event.time_ns += stream.next_in(1, 1'000'000);
    queue.push(event);
  }
  state.counters["ns/event"] =
      benchmark::Counter(static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_RawQueuePopPush)->Arg(1000)->Arg(10000);

// Baseline: two plain Boost.Fiber fibers yielding to each other under Boost's own round-robin
// scheduler, on a fresh thread (this one has the virtual-time algorithm installed).
void BM_RawBoostFiberYield(benchmark::State& state) {
  std::thread([&state] {
    bool stop = false;
    boost::fibers::fiber partner([&] {
      while (!stop)
        boost::this_fiber::yield();
    });
    for (auto _ : state)
      boost::this_fiber::yield();
    stop = true;
    partner.join();
  }).join();
  state.counters["ns/switch"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 2,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// One run of `fibers` fibers, each sleeping a random virtual interval in a loop until the run has
// dispatched `events` events in all; returns the events dispatched.
std::int64_t run_sleepers(int fibers, std::int64_t events, std::size_t stack_bytes) {
  KernelOptions options{
      .seed = 1, .strategy = ScheduleStrategy::kFifo, .trace_mode = TraceMode::kOff};
  if (stack_bytes > 0) options.stack_bytes = stack_bytes;
  Simulation sim(options);
  std::int64_t budget = events;
  for (int i = 0; i < fibers; ++i) {
    sim.spawn("sleeper", [&sim, &budget, i] {
      RandomStream stream(1, "sleeper-" + std::to_string(i));
      while (budget-- > 0)
        sim.sleep_for(stream.next_in(1, 1'000'000));
    });
  }
  return static_cast<std::int64_t>(sim.run().events_dispatched);
}

// Every event is a timer pop, a switch into the fiber, a push of its next timer and a switch
// back to the kernel. A first, untimed run faults in the thread's stack pool (huge pages are
// zeroed whole on first touch), so the figures are those of the runs that follow, as when a
// scenario runs seed after seed.
void BM_TimerEvents(benchmark::State& state) {
  const auto fibers = static_cast<int>(state.range(0));
  const auto stack_bytes = static_cast<std::size_t>(state.range(1)) * 1024;
  // The same number of events per fiber at every size, so spawning costs the same per event.
  const std::int64_t events_per_round = 200 * static_cast<std::int64_t>(fibers);
  run_sleepers(fibers, fibers, stack_bytes);
  std::int64_t total = 0;
  for (auto _ : state)
    total += run_sleepers(fibers, events_per_round, stack_bytes);
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
  state.counters["ns/event"] = benchmark::Counter(
      static_cast<double>(total), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_TimerEvents)
    ->ArgNames({"fibers", "stack_kib"})
    ->Args({1000, 0})
    ->Args({10000, 0})
    ->Args({10000, 16})
    ->Unit(benchmark::kMillisecond);

// The same with the trace building and hashing every line, as scenario runs do.
void BM_TimerEventsTraced(benchmark::State& state) {
  const auto fibers = static_cast<int>(state.range(0));
  std::int64_t total = 0;
  for (auto _ : state) {
    Simulation sim(KernelOptions{
        .seed = 1, .strategy = ScheduleStrategy::kFifo, .trace_mode = TraceMode::kDigest});
    std::int64_t budget = 200'000;
    for (int i = 0; i < fibers; ++i) {
      sim.spawn("sleeper", [&sim, &budget] {
        while (budget-- > 0)
          sim.sleep_for(1000);
      });
    }
    total += static_cast<std::int64_t>(sim.run().events_dispatched);
  }
  state.counters["ns/event"] = benchmark::Counter(
      static_cast<double>(total), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_TimerEventsTraced)->Arg(1000)->Unit(benchmark::kMillisecond);

// Two simulated fibers handing the turn to each other through the scheduler with zero sleeps.
void BM_SimFiberSwitch(benchmark::State& state) {
  std::int64_t switches = 0;
  for (auto _ : state) {
    Simulation sim(KernelOptions{
        .seed = 1, .strategy = ScheduleStrategy::kFifo, .trace_mode = TraceMode::kOff});
    for (int f = 0; f < 2; ++f) {
      sim.spawn("pinger", [&sim] {
        for (int i = 0; i < 100'000; ++i)
          sim.sleep_for(0);
      });
    }
    switches += static_cast<std::int64_t>(sim.run().events_dispatched);
  }
  state.counters["ns/event"] = benchmark::Counter(
      static_cast<double>(switches), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_SimFiberSwitch)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tracksim::sim

BENCHMARK(tracksim::sim::BM_RawBoostFiberYield);
BENCHMARK_MAIN();

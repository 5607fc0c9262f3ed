// World models' speed: what a storage request, an app's HTTP call and a socket message cost on
// top of the kernel's own events, measured against a baseline taken in the same run.
//
// The baseline, BM_KernelSleep, is the cheapest thing the kernel does: fibers sleeping in a loop,
// one timer event (a heap pop and push, a switch into the fiber and back) per sleep. Every other
// benchmark reports
//   ns/op        CPU time per storage request, call or message;
//   events/op    kernel events it dispatched per op;
//   ns/event     ns/op over events/op;
//   x_kernel     ns/event as a multiple of the baseline's ns/event;
//   model_ns/ev  ns/event minus the baseline's: what the model itself adds per event.
// The baseline must run first (it does: benchmarks run in registration order); filtering it out
// leaves the ratios at 0. Tracing is off unless the name says Traced, where the baseline is the
// traced sleep.
//
//   ./build/world_bench
//   ./build/world_bench --benchmark_filter='Kernel|Storage'
#include <benchmark/benchmark.h>

#include <time.h>

#include <memory>
#include <string>
#include <vector>

#include "sim/kernel/simulation.h"
#include "sim/kernel/sync.h"
#include "sim/world/history.h"
#include "sim/world/network.h"
#include "sim/world/probes.h"
#include "sim/world/storage.h"

namespace tracksim::sim {
namespace {

double g_sleep_ns_per_event[2] = {0, 0};  // [traced]: the baselines of this run

KernelOptions options(bool traced) {
  return KernelOptions{.seed = 1,
                       .strategy = ScheduleStrategy::kFifo,
                       .trace_mode = traced ? TraceMode::kDigest : TraceMode::kOff};
}

// Sets the figures described at the top from `ops` operations and `events` kernel events that
// took `elapsed_ns` of wall time in all.
void report(benchmark::State& state, std::int64_t ops, std::int64_t events, double elapsed_ns,
            bool traced) {
  const double per_op = elapsed_ns / static_cast<double>(ops);
  const double per_event = elapsed_ns / static_cast<double>(events);
  const double baseline = g_sleep_ns_per_event[traced ? 1 : 0];
  state.counters["ns/op"] = per_op;
  state.counters["events/op"] = static_cast<double>(events) / static_cast<double>(ops);
  state.counters["ns/event"] = per_event;
  state.counters["x_kernel"] = baseline > 0 ? per_event / baseline : 0;
  state.counters["model_ns/ev"] = baseline > 0 ? per_event - baseline : 0;
}

// This thread's CPU time since construction: the machine may be shared, and other processes'
// work should not count against the models.
class Stopwatch {
 public:
  Stopwatch() : start_ns_(now_ns()) {}
  double elapsed_ns() const { return static_cast<double>(now_ns() - start_ns_); }

 private:
  static std::int64_t now_ns() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
  }
  std::int64_t start_ns_;
};

// --- The baseline
// ---------------------------------------------------------------------------------

void kernel_sleep(benchmark::State& state, bool traced) {
  const int fibers = 1000;
  std::int64_t events = 0;
  const Stopwatch stopwatch;
  for (auto _ : state) {
    Simulation sim(options(traced));
    std::int64_t budget = 200'000;
    for (int i = 0; i < fibers; ++i) {
      sim.spawn("sleeper", [&sim, &budget, i] {
        while (budget-- > 0)
          sim.sleep_for(1'000'000 + i);
      });
    }
    events += static_cast<std::int64_t>(sim.run().events_dispatched);
  }
  const double elapsed_ns = stopwatch.elapsed_ns();
  g_sleep_ns_per_event[traced ? 1 : 0] = elapsed_ns / static_cast<double>(events);
  report(state, events, events, elapsed_ns, traced);
}

void BM_KernelSleep(benchmark::State& state) {
  kernel_sleep(state, false);
}
void BM_KernelSleepTraced(benchmark::State& state) {
  kernel_sleep(state, true);
}

// --- Storage
// ---------------------------------------------------------------------------------------

StorageConfig bench_storage() {
  StorageConfig config;
  config.indexes.clear();  // no TTL monitor fiber
  return config;
}

model::DeliveryTracking bench_document(const std::string& id) {
  model::DeliveryTracking doc;
  doc.id = id;
  doc.driver_id = "driver-1";
  return doc;
}

// `clients` fibers each looping over find_by_id (or an unconditional update) on 10 documents.
void storage_requests(benchmark::State& state, bool update, bool traced) {
  const int clients = static_cast<int>(state.range(0));
  const int requests = 100'000;
  std::int64_t ops = 0, events = 0;
  const Stopwatch stopwatch;
  for (auto _ : state) {
    Simulation sim(options(traced));
    History history;
    Probes probes(&sim);
    StorageServer server(sim, bench_storage(), history, probes);
    for (int d = 0; d < 10; ++d)
      server.preload(bench_document("d" + std::to_string(d)));
    StoreClient client(server, "api");
    std::int64_t budget = requests;
    for (int c = 0; c < clients; ++c) {
      sim.spawn("client", [&, c] {
        const std::string id = "d" + std::to_string(c % 10);
        model::Filter filter;
        filter.delivery_id = id;
        model::Update bump;
        bump.increment_version = true;
        bump.operation_id = "bench";
        while (budget-- > 0) {
          if (update) {
            benchmark::DoNotOptimize(client.update_one(filter, bump));
          } else {
            benchmark::DoNotOptimize(client.find_by_id(id));
          }
        }
      });
    }
    events += static_cast<std::int64_t>(sim.run().events_dispatched);
    ops += requests;
  }
  const double elapsed_ns = stopwatch.elapsed_ns();
  report(state, ops, events, elapsed_ns, traced);
}

void BM_StorageFind(benchmark::State& state) {
  storage_requests(state, false, false);
}
void BM_StorageUpdate(benchmark::State& state) {
  storage_requests(state, true, false);
}
void BM_StorageFindTraced(benchmark::State& state) {
  storage_requests(state, false, true);
}

// --- Network
// ---------------------------------------------------------------------------------------

class EchoBackend final : public model::DeliveryBackend {
 public:
  model::ApiResponse handle(const model::ApiRequest& request) override {
    model::ApiResponse response;
    response.success = true;
    response.operation_id = request.operation_id;
    return response;
  }
};

// `apps` fibers each calling the server in a loop; one op is one message (a call is two).
void BM_AppLinkMessage(benchmark::State& state) {
  const int apps = static_cast<int>(state.range(0));
  const int calls = 50'000;
  std::int64_t ops = 0, events = 0;
  const Stopwatch stopwatch;
  for (auto _ : state) {
    Simulation sim(options(false));
    Network network(sim, LinkConfig{});
    EchoBackend backend;
    ApiServer server(sim, backend);
    std::vector<std::unique_ptr<AppLink>> links;
    for (int a = 0; a < apps; ++a) {
      links.push_back(
          std::make_unique<AppLink>(sim, network, server, "driver-" + std::to_string(a)));
    }
    std::int64_t budget = calls;
    for (int a = 0; a < apps; ++a) {
      sim.spawn("app", [&, a] {
        model::ApiRequest request;
        request.operation_id = "op";
        while (budget-- > 0)
          benchmark::DoNotOptimize(links[static_cast<std::size_t>(a)]->call(request, seconds(10)));
      });
    }
    events += static_cast<std::int64_t>(sim.run().events_dispatched);
    ops += 2 * calls;
  }
  const double elapsed_ns = stopwatch.elapsed_ns();
  report(state, ops, events, elapsed_ns, false);
}

// One server fiber sending on `channels` sockets, a subscriber fiber draining each.
void BM_ChannelMessage(benchmark::State& state) {
  const int channels = static_cast<int>(state.range(0));
  const int messages = 200'000;
  std::int64_t ops = 0, events = 0;
  const Stopwatch stopwatch;
  for (auto _ : state) {
    Simulation sim(options(false));
    Network network(sim, LinkConfig{});
    std::vector<std::unique_ptr<Channel<std::int64_t>>> sockets;
    for (int c = 0; c < channels; ++c) {
      sockets.push_back(std::make_unique<Channel<std::int64_t>>(
          sim, network, "room/" + std::to_string(c), "customer-" + std::to_string(c),
          LinkConfig{.fifo = true}));
      sim.spawn(
          "subscriber",
          [&sim, socket = sockets.back().get()] {
            for (;;)
              benchmark::DoNotOptimize(socket->inbox().receive());
          },
          /*daemon=*/true);
    }
    sim.spawn("server", [&] {
      for (int m = 0; m < messages; ++m) {
        sockets[static_cast<std::size_t>(m % channels)]->send(m);
        if (m % channels == channels - 1) sim.sleep_for(millis(1));
      }
    });
    events += static_cast<std::int64_t>(sim.run().events_dispatched);
    ops += messages;
  }
  const double elapsed_ns = stopwatch.elapsed_ns();
  report(state, ops, events, elapsed_ns, false);
}

}  // namespace
}  // namespace tracksim::sim

// Registration order is run order: the baselines first.
BENCHMARK(tracksim::sim::BM_KernelSleep)->Unit(benchmark::kMillisecond);
BENCHMARK(tracksim::sim::BM_KernelSleepTraced)->Unit(benchmark::kMillisecond);
BENCHMARK(tracksim::sim::BM_StorageFind)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(tracksim::sim::BM_StorageUpdate)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(tracksim::sim::BM_StorageFindTraced)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(tracksim::sim::BM_AppLinkMessage)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(tracksim::sim::BM_ChannelMessage)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();

//! A world built from a scenario, run once under one seed.
//!
//! run_world wires the pieces together: the kernel, the storage server and the backend's store
//! client, the backend chosen by the scenario (fixed, legacy, or fixed with planted bugs) on its
//! ports, the API server, the network, the workload's drivers and the scheduled faults. It runs
//! the world until the workload's duration plus its drain time, and returns the history, the
//! probe counts, the kernel's outcome and the trace digest. Everything it returns is a function of
//! (scenario, seed, build): that is what makes a run replayable.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>

#include "model/monitoring.h"
#include "sim/kernel/simulation.h"
#include "sim/scenario.h"
#include "sim/world/history.h"

namespace tracksim::sim {

struct WorldOptions {
  std::uint64_t seed = 1;
  std::ostream* trace_out = nullptr;        // every trace line, when set
  bool keep_line_hashes = false;            // for divergence checks
  std::uint64_t capture_line = UINT64_MAX;  // remember this line's text
};

// What the backend's own monitoring counted by the end of the run.
struct MonitoringSnapshot {
  model::Counters totals;
  std::array<model::Counters, model::kOperationKindCount> by_kind{};
  model::Metrics cumulative;
  std::vector<model::Alert> alerts;
};

struct WorldResult {
  RunOutcome outcome;
  History history;
  std::map<std::string, std::uint64_t, std::less<>> probes;
  std::uint64_t digest = 0;
  std::uint64_t trace_lines = 0;
  std::vector<std::uint64_t> line_hashes;
  std::string captured_line;
  std::string monitoring_report;  // the backend's own monitoring, when it has one
  // Set when the scenario enables monitoring; properties compare it with the history.
  std::optional<MonitoringSnapshot> monitoring;
  // Injected faults by kind, the random fault rates this seed ran with (drawn, with swarm
  // testing), and how the storage connection pool was used.
  std::map<std::string, std::uint64_t, std::less<>> faults_injected;
  RandomFaultsConfig random_faults;
  PoolStats pool;
};

WorldResult run_world(const Scenario& scenario, const WorldOptions& options);

}  // namespace tracksim::sim

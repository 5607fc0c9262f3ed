//! The summary of one run: the figures a person reads first, derived from the history.
//!
//! A RunSummary holds the seed's own measures, computed from what the clients saw: operations,
//! how many succeeded, failed (by error class) or ended unknown, ParallelSaveErrors, the latency
//! of completed operations (mean, p50, p99, in virtual milliseconds), operations per virtual
//! second, retries; plus the properties' verdicts, the probes reached, the faults injected, and
//! the digest that identifies the run. Latency counts from an operation's first send to its final
//! answer, resends included, as the app's user experiences it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nlohmann/json_fwd.hpp"
#include "properties/checkers.h"
#include "sim/scenario.h"
#include "sim/world/world.h"

namespace tracksim::reports {

struct LatencyStats {
  std::uint64_t count = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

// The latency figures of `samples_ns`, by the nearest-rank percentile.
LatencyStats latency_stats(std::vector<std::int64_t> samples_ns);

struct RunSummary {
  std::string scenario_name;
  std::string scenario_path;
  std::uint64_t seed = 0;
  std::string implementation;  // "fixed", "legacy", or "fixed+mutant,..."
  std::string schedule;

  std::uint64_t operations = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;
  std::uint64_t unknown = 0;
  std::uint64_t pending = 0;                             // still waiting when the run ended
  std::map<std::string, std::uint64_t> failed_by_class;  // failures and unknowns, by class
  std::uint64_t parallel_save_errors = 0;
  std::uint64_t client_resends = 0;
  std::uint64_t commits = 0;
  LatencyStats latency;
  std::map<std::string, LatencyStats> latency_by_kind;
  double operations_per_virtual_s = 0;
  double virtual_s = 0;

  std::vector<properties::PropertyResult> properties;
  std::map<std::string, std::uint64_t> probes;
  std::uint64_t faults = 0;

  std::string kernel_outcome;
  std::string kernel_detail;
  std::string digest;
  std::uint64_t trace_lines = 0;
  double wall_s = 0;

  bool passed() const;
  // The names of the properties that fail, in order.
  std::vector<std::string> failed_properties() const;
};

RunSummary summarize(const sim::Scenario& scenario, std::uint64_t seed,
                     const sim::WorldResult& world,
                     std::vector<properties::PropertyResult> property_results);

std::string implementation_label(const model::BackendConfig& backend);

nlohmann::json to_json(const RunSummary& summary);

}  // namespace tracksim::reports

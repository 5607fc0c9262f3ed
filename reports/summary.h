//! The summary of one run: the figures a person reads first, derived from the history.
//!
//! A RunSummary holds the seed's own measures, computed from what the clients saw: operations,
//! how many succeeded, failed (by error class) or ended unknown, ParallelSaveErrors, the latency
//! of completed operations (mean, p50, p90, p95, p99, max, in virtual milliseconds), operations per
//! virtual second, retries; plus the properties' verdicts, the probes reached, the faults injected,
//! and the digest that identifies the run. Latency counts from an operation's first send to its
//! final answer, resends included, as the app's user experiences it.
//!
//! Rates are shares of all operations the clients started (pending ones included), so a run that
//! ends with work in flight cannot look better than it was. Every figure is measured; nothing in
//! a summary is a constant taken from the fix's own claims. Left out: anything per operation (the
//! HTML report draws those from the history itself).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "properties/checkers.h"
#include "sim/scenario.h"
#include "sim/world/world.h"

namespace tracksim::reports {

struct LatencyStats {
  std::uint64_t count = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

// The latency figures of `samples_ns`, by the nearest-rank percentile.
LatencyStats latency_stats(std::vector<std::int64_t> samples_ns);

inline constexpr std::size_t kMaxFaultsListed = 100;

struct RunSummary {
  std::string scenario_name;
  std::string scenario_path;
  std::string scenario_description;
  // The effective settings of the run (after command-line overrides), by scenario section.
  nlohmann::json options;
  std::uint64_t seed = 0;
  std::string implementation;  // "fixed", "legacy", or "fixed+mutant,..."
  std::string schedule;

  std::uint64_t operations = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;
  std::uint64_t unknown = 0;
  std::uint64_t pending = 0;                             // still waiting when the run ended
  std::map<std::string, std::uint64_t> failed_by_class;  // failures and unknowns, by class
  std::uint64_t parallel_save_errors = 0;  // operations whose final answer was ParallelSaveError
  // Shares of all operations: succeeded, failed or unknown, and ParallelSaveError.
  double success_rate = 0;
  double failure_rate = 0;
  double parallel_save_error_rate = 0;
  std::uint64_t client_resends = 0;
  // How many operations needed 1, 2, 3, ... requests from their client.
  std::map<int, std::uint64_t> operations_by_client_attempts;
  std::uint64_t commits = 0;
  LatencyStats latency;
  std::map<std::string, LatencyStats> latency_by_kind;
  double operations_per_virtual_s = 0;
  double virtual_s = 0;

  std::vector<properties::PropertyResult> properties;
  // Every probe the model names, with its count (0 when never reached), and any other probe hit.
  std::map<std::string, std::uint64_t> probes;
  std::uint64_t faults = 0;
  std::map<std::string, std::uint64_t> faults_by_kind;
  // The faults as recorded, in time order of injection; summary.json lists the first
  // kMaxFaultsListed (scheduled windows come first, per-request rejections may be many).
  std::vector<sim::FaultRecord> faults_injected;

  std::string kernel_outcome;
  std::string kernel_detail;
  std::string digest;
  std::uint64_t trace_lines = 0;
  double wall_s = 0;

  bool passed() const;
  // The names of the properties that fail, in order.
  std::vector<std::string> failed_properties() const;
  // The names of the probes reached at least once, in name order.
  std::vector<std::string> probes_reached() const;
};

RunSummary summarize(const sim::Scenario& scenario, std::uint64_t seed,
                     const sim::WorldResult& world,
                     std::vector<properties::PropertyResult> property_results);

std::string implementation_label(const model::BackendConfig& backend);

// The settings of `scenario` that shape a run, as summary.json's "options".
nlohmann::json scenario_options(const sim::Scenario& scenario);

// Everything in `summary`. wall_s is the one field that is not a function of (scenario, seed,
// options, build): it measures the host.
nlohmann::json to_json(const RunSummary& summary);

}  // namespace tracksim::reports

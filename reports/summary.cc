// Deriving a run's figures from its history; see summary.h.
#include "reports/summary.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace tracksim::reports {

LatencyStats latency_stats(std::vector<std::int64_t> samples_ns) {
  LatencyStats stats;
  stats.count = samples_ns.size();
  if (samples_ns.empty()) return stats;
  std::sort(samples_ns.begin(), samples_ns.end());
  double sum = 0;
  for (std::int64_t x : samples_ns)
    sum += static_cast<double>(x);
  auto rank = [&](double p) {
    // Nearest rank: the smallest sample with at least p of the samples at or below it.
    const auto n = static_cast<double>(samples_ns.size());
    const auto index = static_cast<std::size_t>(std::max(1.0, std::ceil(p * n))) - 1;
    return to_millis(samples_ns[index]);
  };
  stats.mean_ms = sum / static_cast<double>(samples_ns.size()) / kNanosPerMilli;
  stats.p50_ms = rank(0.50);
  stats.p99_ms = rank(0.99);
  stats.max_ms = to_millis(samples_ns.back());
  return stats;
}

std::string implementation_label(const model::BackendConfig& backend) {
  std::string label(model::to_string(backend.implementation));
  for (std::size_t i = 0; i < backend.mutants.size(); ++i) {
    label += (i == 0 ? "+" : ",") + backend.mutants[i];
  }
  return label;
}

bool RunSummary::passed() const {
  return std::all_of(properties.begin(), properties.end(),
                     [](const properties::PropertyResult& p) { return p.holds; });
}

std::vector<std::string> RunSummary::failed_properties() const {
  std::vector<std::string> names;
  for (const auto& p : properties) {
    if (!p.holds) names.push_back(p.name);
  }
  return names;
}

RunSummary summarize(const sim::Scenario& scenario, std::uint64_t seed,
                     const sim::WorldResult& world,
                     std::vector<properties::PropertyResult> property_results) {
  RunSummary s;
  s.scenario_name = scenario.name;
  s.scenario_path = scenario.path;
  s.seed = seed;
  s.implementation = implementation_label(scenario.backend);
  s.schedule = std::string(sim::to_string(scenario.schedule));

  std::vector<std::int64_t> latencies;
  std::map<std::string, std::vector<std::int64_t>> by_kind;
  Nanos first_invoke = INT64_MAX;
  Nanos last_complete = INT64_MIN;
  for (const sim::OperationRecord& op : world.history.operations()) {
    ++s.operations;
    s.client_resends += static_cast<std::uint64_t>(std::max(0, op.client_attempts - 1));
    if (op.error_class == model::ErrorClass::kParallelSaveError) ++s.parallel_save_errors;
    switch (op.outcome) {
      case sim::OpOutcome::kOk:
        ++s.succeeded;
        break;
      case sim::OpOutcome::kFail:
        ++s.failed;
        break;
      case sim::OpOutcome::kUnknown:
        ++s.unknown;
        break;
      case sim::OpOutcome::kPending:
        ++s.pending;
        break;
    }
    if (op.outcome == sim::OpOutcome::kFail || op.outcome == sim::OpOutcome::kUnknown) {
      ++s.failed_by_class[std::string(model::to_string(op.error_class))];
    }
    first_invoke = std::min(first_invoke, op.invoke_ns);
    if (op.outcome != sim::OpOutcome::kPending) {
      latencies.push_back(op.complete_ns - op.invoke_ns);
      by_kind[std::string(model::to_string(op.kind))].push_back(op.complete_ns - op.invoke_ns);
      last_complete = std::max(last_complete, op.complete_ns);
    }
  }
  s.latency = latency_stats(std::move(latencies));
  for (auto& [kind, samples] : by_kind)
    s.latency_by_kind[kind] = latency_stats(std::move(samples));
  if (last_complete > first_invoke) {
    s.virtual_s = to_seconds(last_complete - first_invoke);
    s.operations_per_virtual_s =
        static_cast<double>(s.succeeded + s.failed + s.unknown) / s.virtual_s;
  }
  for (const sim::CommitRecord& c : world.history.commits()) {
    if (c.changed_fields) ++s.commits;
  }

  s.properties = std::move(property_results);
  s.probes.insert(world.probes.begin(), world.probes.end());
  s.faults = world.history.faults().size();
  s.kernel_outcome = std::string(sim::to_string(world.outcome.status));
  s.kernel_detail = world.outcome.detail;
  s.digest = sim::format_digest(world.digest);
  s.trace_lines = world.trace_lines;
  return s;
}

namespace {

nlohmann::json to_json(const LatencyStats& l) {
  return {{"count", l.count},
          {"mean_ms", l.mean_ms},
          {"p50_ms", l.p50_ms},
          {"p99_ms", l.p99_ms},
          {"max_ms", l.max_ms}};
}

}  // namespace

nlohmann::json to_json(const RunSummary& s) {
  nlohmann::json properties = nlohmann::json::array();
  for (const auto& p : s.properties) {
    nlohmann::json witnesses = nlohmann::json::array();
    for (const auto& w : p.witnesses) {
      witnesses.push_back(
          {{"explanation", w.explanation}, {"operations", w.operations}, {"commits", w.commits}});
    }
    properties.push_back({{"name", p.name},
                          {"holds", p.holds},
                          {"violations", p.violations},
                          {"witnesses", witnesses}});
  }
  nlohmann::json by_kind = nlohmann::json::object();
  for (const auto& [kind, stats] : s.latency_by_kind)
    by_kind[kind] = to_json(stats);
  return {
      {"verdict", s.passed() ? "pass" : "fail"},
      {"scenario", {{"name", s.scenario_name}, {"path", s.scenario_path}}},
      {"seed", s.seed},
      {"implementation", s.implementation},
      {"schedule", s.schedule},
      {"operations", s.operations},
      {"succeeded", s.succeeded},
      {"failed", s.failed},
      {"unknown", s.unknown},
      {"pending", s.pending},
      {"failed_by_class", s.failed_by_class},
      {"parallel_save_errors", s.parallel_save_errors},
      {"client_resends", s.client_resends},
      {"commits", s.commits},
      {"latency", to_json(s.latency)},
      {"latency_by_kind", by_kind},
      {"operations_per_virtual_s", s.operations_per_virtual_s},
      {"virtual_s", s.virtual_s},
      {"properties", properties},
      {"probes", s.probes},
      {"faults", s.faults},
      {"kernel", {{"outcome", s.kernel_outcome}, {"detail", s.kernel_detail}}},
      {"digest", s.digest},
      {"trace_lines", s.trace_lines},
  };
}

}  // namespace tracksim::reports

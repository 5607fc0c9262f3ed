// Deriving a run's figures from its history; see summary.h.
#include "reports/summary.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "model/probe_names.h"

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
  stats.p90_ms = rank(0.90);
  stats.p95_ms = rank(0.95);
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

std::vector<std::string> RunSummary::probes_reached() const {
  std::vector<std::string> names;
  for (const auto& [name, count] : probes) {
    if (count > 0) names.push_back(name);
  }
  return names;
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
  s.scenario_description = scenario.description;
  s.options = scenario_options(scenario);
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
    ++s.operations_by_client_attempts[op.client_attempts];
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
  if (s.operations > 0) {
    const auto all = static_cast<double>(s.operations);
    s.success_rate = static_cast<double>(s.succeeded) / all;
    s.failure_rate = static_cast<double>(s.failed + s.unknown) / all;
    s.parallel_save_error_rate = static_cast<double>(s.parallel_save_errors) / all;
  }
  for (const sim::CommitRecord& c : world.history.commits()) {
    if (c.changed_fields) ++s.commits;
  }

  s.properties = std::move(property_results);
  for (std::string_view name : model::probe::kAll)
    s.probes[std::string(name)] = 0;
  for (const auto& [name, count] : world.probes)
    s.probes[name] = count;
  s.faults = world.history.faults().size();
  s.faults_injected = world.history.faults();
  for (const sim::FaultRecord& f : s.faults_injected)
    ++s.faults_by_kind[f.kind];
  s.kernel_outcome = std::string(sim::to_string(world.outcome.status));
  s.kernel_detail = world.outcome.detail;
  s.digest = sim::format_digest(world.digest);
  s.trace_lines = world.trace_lines;
  return s;
}

namespace {

nlohmann::json to_json(const LatencyStats& l) {
  return {{"count", l.count},   {"mean_ms", l.mean_ms}, {"p50_ms", l.p50_ms}, {"p90_ms", l.p90_ms},
          {"p95_ms", l.p95_ms}, {"p99_ms", l.p99_ms},   {"max_ms", l.max_ms}};
}

}  // namespace

nlohmann::json scenario_options(const sim::Scenario& sc) {
  const model::AtomicUpdateConfig& atomic = sc.backend.atomic;
  const sim::StorageConfig& storage = sc.storage;
  const sim::WorkloadConfig& w = sc.workload;
  nlohmann::json faults = nlohmann::json::array();
  for (const sim::FaultSpec& f : sc.faults) {
    faults.push_back({{"kind", std::string(sim::to_string(f.kind))},
                      {"at_s", f.at_s},
                      {"duration_s", f.duration_s},
                      {"target", f.target}});
  }
  bool ttl_on_lock = false;
  for (const model::IndexSpec& index : storage.indexes) {
    if (index.expire_after_seconds && !index.fields.empty() && index.fields[0] == "operationLock") {
      ttl_on_lock = true;
    }
  }
  return {
      {"scenario",
       {{"duration_s", sc.duration_s}, {"drain_s", sc.drain_s}, {"default_seeds", sc.seeds}}},
      {"implementation",
       {{"kind", std::string(model::to_string(sc.backend.implementation))},
        {"mutants", sc.backend.mutants}}},
      {"schedule", std::string(sim::to_string(sc.schedule))},
      {"model",
       {{"retry_max_attempts", atomic.retry_max_attempts},
        {"lock_timeout_ms", to_millis(atomic.lock_timeout_ns)},
        {"monitoring_enabled", atomic.monitoring_enabled},
        {"backoff_base_ms", to_millis(atomic.backoff_base_ns)},
        {"backoff_cap_ms", to_millis(atomic.backoff_cap_ns)},
        {"jitter", std::string(model::to_string(atomic.jitter))},
        {"geofence_radius_m", sc.backend.geofence_radius_m}}},
      {"storage",
       {{"request_latency_ms_mean", storage.request_latency.mean_ms},
        {"request_latency_ms_stddev", storage.request_latency.stddev_ms},
        {"reply_latency_ms_mean", storage.reply_latency.mean_ms},
        {"reply_latency_ms_stddev", storage.reply_latency.stddev_ms},
        {"max_pool_size", storage.max_pool_size},
        {"min_pool_size", storage.min_pool_size},
        {"wait_queue_timeout_ms", to_millis(storage.wait_queue_timeout_ns)},
        {"socket_timeout_ms", to_millis(storage.socket_timeout_ns)},
        {"server_error_rate", storage.server_error_rate},
        {"reply_lost_rate", storage.reply_lost_rate},
        {"ttl_on_operation_lock", ttl_on_lock}}},
      {"network",
       {{"latency_ms_mean", sc.network.latency.mean_ms},
        {"latency_ms_stddev", sc.network.latency.stddev_ms},
        {"loss_rate", sc.network.loss_rate},
        {"duplicate_rate", sc.network.duplicate_rate},
        {"request_timeout_ms", to_millis(sc.request_timeout_ns)}}},
      {"workload",
       {{"kind", w.kind == sim::WorkloadKind::kBurst ? "burst" : "routes"},
        {"drivers", w.drivers},
        {"deliveries", w.deliveries},
        {"operations", w.operations},
        {"burst_window_ms", w.burst_window_ms},
        {"status_share", w.status_share},
        {"client_retries", w.client_retries},
        {"client_backoff_ms", w.client_backoff_ms},
        {"location_interval_s", w.location_interval_s},
        {"dispatcher_cancel_share", w.dispatcher_cancel_share}}},
      {"faults", faults},
      {"properties", sc.properties},
  };
}

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
  nlohmann::json by_attempts = nlohmann::json::object();
  for (const auto& [attempts, count] : s.operations_by_client_attempts)
    by_attempts[std::to_string(attempts)] = count;
  nlohmann::json faults = nlohmann::json::array();
  for (const sim::FaultRecord& f : s.faults_injected) {
    if (faults.size() == kMaxFaultsListed) break;
    faults.push_back({{"kind", f.kind},
                      {"target", f.target},
                      {"at_s", to_seconds(f.time_ns)},
                      {"duration_s", to_seconds(f.duration_ns)}});
  }
  return {
      {"verdict", s.passed() ? "pass" : "fail"},
      {"scenario",
       {{"name", s.scenario_name},
        {"path", s.scenario_path},
        {"description", s.scenario_description}}},
      {"seed", s.seed},
      {"implementation", s.implementation},
      {"schedule", s.schedule},
      {"options", s.options},
      {"operations", s.operations},
      {"succeeded", s.succeeded},
      {"failed", s.failed},
      {"unknown", s.unknown},
      {"pending", s.pending},
      {"failed_by_class", s.failed_by_class},
      {"parallel_save_errors", s.parallel_save_errors},
      {"success_rate", s.success_rate},
      {"failure_rate", s.failure_rate},
      {"parallel_save_error_rate", s.parallel_save_error_rate},
      {"client_resends", s.client_resends},
      {"operations_by_client_attempts", by_attempts},
      {"commits", s.commits},
      {"latency", to_json(s.latency)},
      {"latency_by_kind", by_kind},
      {"operations_per_virtual_s", s.operations_per_virtual_s},
      {"virtual_s", s.virtual_s},
      {"properties", properties},
      {"probes", s.probes},
      {"probes_reached", s.probes_reached()},
      {"faults", s.faults},
      {"faults_by_kind", s.faults_by_kind},
      {"faults_injected", faults},
      {"kernel", {{"outcome", s.kernel_outcome}, {"detail", s.kernel_detail}}},
      {"digest", s.digest},
      {"trace_lines", s.trace_lines},
      {"wall_s", s.wall_s},
  };
}

}  // namespace tracksim::reports

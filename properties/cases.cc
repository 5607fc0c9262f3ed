// Drawing cases by family, and building their scenarios; see cases.h.
#include "properties/cases.h"

#include <algorithm>
#include <cstdio>

#include "properties/checkers.h"

namespace tracksim::properties {
namespace {

using sim::RandomStream;

int draw_int(RandomStream& stream, int lo, int hi) {
  return static_cast<int>(stream.next_in(lo, hi));
}

// A share in whole percent, so scenario files show round numbers.
double draw_share(RandomStream& stream, int lo_percent, int hi_percent) {
  return draw_int(stream, lo_percent, hi_percent) / 100.0;
}

void draw_burst(CaseSpec& spec, RandomStream& stream) {
  spec.deliveries = draw_int(stream, 1, 4);
  spec.drivers = spec.deliveries;
  spec.operations = draw_int(stream, 4, 40);
  spec.burst_window_ms = draw_int(stream, 0, 200);
  spec.status_share = draw_share(stream, 10, 60);
  spec.client_retries = draw_int(stream, 0, 3);
  spec.network_latency_ms_mean = draw_int(stream, 5, 80);
  spec.network_latency_ms_stddev =
      draw_int(stream, 0, static_cast<int>(spec.network_latency_ms_mean / 2));
  spec.storage_latency_ms_mean = draw_int(stream, 1, 5);
  spec.storage_latency_ms_stddev = draw_int(stream, 0, 2);
  spec.schedule =
      stream.bernoulli(0.5) ? sim::ScheduleStrategy::kRandom : sim::ScheduleStrategy::kPct;
}

void draw_contention(CaseSpec& spec, RandomStream& stream) {
  // Constant latencies and one start instant: nothing but the backoff separates the writers.
  spec.deliveries = 1;
  spec.drivers = 1;
  spec.operations = draw_int(stream, 5, 10);
  spec.burst_window_ms = 0;
  spec.status_share = 0;
  spec.client_retries = 0;
  spec.network_latency_ms_mean = draw_int(stream, 10, 60);
  spec.network_latency_ms_stddev = 0;
  spec.storage_latency_ms_mean = draw_int(stream, 1, 3);
  spec.storage_latency_ms_stddev = 0;
  spec.retry_max_attempts = draw_int(stream, 4, 6);
}

void draw_routes(CaseSpec& spec, RandomStream& stream) {
  spec.drivers = draw_int(stream, 1, 4);
  spec.deliveries = draw_int(stream, spec.drivers, 2 * spec.drivers);
  spec.duration_s = draw_int(stream, 120, 600);
  spec.dispatcher_cancel_share = draw_share(stream, 0, 30);
  spec.client_retries = draw_int(stream, 1, 3);
  spec.schedule =
      stream.bernoulli(0.5) ? sim::ScheduleStrategy::kRandom : sim::ScheduleStrategy::kPct;

  sim::FaultSpec fault;
  fault.at_s = draw_int(stream, 10, static_cast<int>(spec.duration_s / 2));
  switch (draw_int(stream, 0, 3)) {
    case 0:
      return;  // no fault at all
    case 1:
      fault.kind = sim::FaultKind::kStorageFailover;
      fault.duration_s = draw_int(stream, 1, 20);
      spec.seed_schema = false;
      break;
    case 2:
      fault.kind = sim::FaultKind::kPartition;
      fault.duration_s = draw_int(stream, 5, 60);
      break;
    default:
      fault.kind = sim::FaultKind::kOffline;
      fault.duration_s = draw_int(stream, 5, 60);
      fault.target = "driver-" + std::to_string(draw_int(stream, 1, spec.drivers));
      break;
  }
  spec.faults.push_back(fault);
}

}  // namespace

std::string_view to_string(CaseFamily f) {
  switch (f) {
    case CaseFamily::kBurst:
      return "burst";
    case CaseFamily::kContention:
      return "contention";
    case CaseFamily::kServerErrors:
      return "server_errors";
    case CaseFamily::kReplyLoss:
      return "reply_loss";
    case CaseFamily::kShortLease:
      return "short_lease";
    case CaseFamily::kRoutes:
      return "routes";
  }
  return "?";
}

const std::vector<CaseFamily>& all_case_families() {
  static const std::vector<CaseFamily> kFamilies = {
      CaseFamily::kBurst,     CaseFamily::kContention, CaseFamily::kServerErrors,
      CaseFamily::kReplyLoss, CaseFamily::kShortLease, CaseFamily::kRoutes,
  };
  return kFamilies;
}

std::vector<std::string> claimed_properties(CaseFamily family) {
  std::vector<std::string> ruled_out;
  // A lease shorter than a store round trip leaves some writers no way to commit, by design.
  if (family == CaseFamily::kShortLease) ruled_out.push_back("liveness_after_faults");
  // When the reply of a handler's last attempt is lost after its write applied, the handler
  // answers with an error and never learns the change was made; unless a later write on the
  // delivery announces a newer state, the room stays a change behind. A limit of any server
  // that announces only what it knows it wrote, not a bug: subscribers_in_order is not claimed.
  if (family == CaseFamily::kReplyLoss) ruled_out.push_back("subscribers_in_order");
  if (ruled_out.empty()) return {"all"};

  std::vector<std::string> claimed;
  for (const PropertyInfo& p : property_catalogue()) {
    if (std::find(ruled_out.begin(), ruled_out.end(), p.name) == ruled_out.end()) {
      claimed.push_back(p.name);
    }
  }
  return claimed;
}

CaseSpec draw_case(CaseFamily family, RandomStream& stream) {
  CaseSpec spec;
  spec.family = family;
  spec.seed = 1 + stream.next_u64() % 1'000'000;
  switch (family) {
    case CaseFamily::kBurst:
      draw_burst(spec, stream);
      break;
    case CaseFamily::kContention:
      draw_contention(spec, stream);
      break;
    case CaseFamily::kServerErrors:
      draw_burst(spec, stream);
      spec.server_error_rate = draw_share(stream, 10, 40);
      spec.seed_schema = false;
      break;
    case CaseFamily::kReplyLoss:
      draw_burst(spec, stream);
      spec.reply_lost_rate = draw_share(stream, 10, 40);
      spec.seed_schema = false;
      break;
    case CaseFamily::kShortLease:
      draw_burst(spec, stream);
      spec.lock_timeout_ms = draw_int(stream, 1, 10);
      spec.storage_latency_ms_mean = draw_int(stream, 2, 8);
      spec.storage_latency_ms_stddev = draw_int(stream, 1, 4);
      spec.seed_schema = false;
      break;
    case CaseFamily::kRoutes:
      draw_routes(spec, stream);
      break;
  }
  spec.properties = claimed_properties(family);
  return spec;
}

CaseSpec nth_case(std::uint64_t base_seed, std::uint64_t index) {
  const auto& families = all_case_families();
  const CaseFamily family = families[index % families.size()];
  RandomStream stream(base_seed, "properties/case/" + std::to_string(index));
  return draw_case(family, stream);
}

sim::Scenario to_scenario(const CaseSpec& spec, model::Implementation implementation,
                          const std::vector<std::string>& mutants) {
  sim::Scenario s;
  s.name = "case-" + std::string(to_string(spec.family)) + "-" + std::to_string(spec.seed);
  s.description = describe(spec);
  s.duration_s = spec.duration_s;
  s.drain_s = 120;
  s.seeds = {spec.seed};
  s.schedule = spec.schedule;
  s.backend.implementation = implementation;
  s.backend.mutants = mutants;
  s.backend.atomic.lock_timeout_ns = millis_f(spec.lock_timeout_ms);
  s.backend.atomic.retry_max_attempts = spec.retry_max_attempts;

  s.workload.kind =
      spec.family == CaseFamily::kRoutes ? sim::WorkloadKind::kRoutes : sim::WorkloadKind::kBurst;
  s.workload.drivers = spec.drivers;
  s.workload.deliveries = spec.deliveries;
  s.workload.operations = spec.operations;
  s.workload.burst_window_ms = spec.burst_window_ms;
  s.workload.status_share = spec.status_share;
  s.workload.client_retries = spec.client_retries;
  s.workload.dispatcher_cancel_share = spec.dispatcher_cancel_share;
  if (spec.family == CaseFamily::kRoutes) s.workload.city_size_km = 3;

  s.network.latency.mean_ms = spec.network_latency_ms_mean;
  s.network.latency.stddev_ms = spec.network_latency_ms_stddev;
  s.storage.request_latency.mean_ms = spec.storage_latency_ms_mean;
  s.storage.request_latency.stddev_ms = spec.storage_latency_ms_stddev;
  s.storage.reply_latency = s.storage.request_latency;
  s.storage.server_error_rate = spec.server_error_rate;
  s.storage.reply_lost_rate = spec.reply_lost_rate;
  s.storage.indexes =
      spec.seed_schema ? model::seed_schema_indexes() : model::safe_schema_indexes();
  s.faults = spec.faults;
  s.properties = spec.properties;

  s.text = sim::to_toml(s, "Generated by tracksim's property suites.\n" + s.description);
  return s;
}

std::string describe(const CaseSpec& spec) {
  char text[512];
  std::snprintf(
      text, sizeof text,
      "%s seed %llu: %d drivers, %d deliveries, %d operations in %.0f ms (%.0f%% status), "
      "client retries %d, network %.0f±%.0f ms, storage %.0f±%.0f ms, server errors "
      "%.0f%%, replies lost %.0f%%, lease %.0f ms, %d attempts, %s schema, %s, %zu "
      "fault(s)",
      std::string(to_string(spec.family)).c_str(), static_cast<unsigned long long>(spec.seed),
      spec.drivers, spec.deliveries, spec.operations, spec.burst_window_ms, spec.status_share * 100,
      spec.client_retries, spec.network_latency_ms_mean, spec.network_latency_ms_stddev,
      spec.storage_latency_ms_mean, spec.storage_latency_ms_stddev, spec.server_error_rate * 100,
      spec.reply_lost_rate * 100, spec.lock_timeout_ms, spec.retry_max_attempts,
      spec.seed_schema ? "seed" : "safe", std::string(sim::to_string(spec.schedule)).c_str(),
      spec.faults.size());
  return text;
}

}  // namespace tracksim::properties

// Properties of what observers see: subscribers of a delivery's room, the backend's own
// monitoring, and the clients waiting for their operations to finish.
//
// Subscriber receipts and server requests are recorded by the world as they happen; a history
// without them (a run with no subscribers, a hand-built history) makes those properties hold
// vacuously rather than fail.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "model/recovery.h"
#include "properties/checks.h"

namespace tracksim::properties::checks {
namespace {

using model::ErrorClass;
using model::RoomEvent;
using sim::OperationRecord;
using sim::OpOutcome;

std::string seconds_text(Nanos t) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f s", to_seconds(t));
  return text;
}

std::string_view kind_name(RoomEvent::Kind k) {
  switch (k) {
    case RoomEvent::Kind::kStatus:
      return "status";
    case RoomEvent::Kind::kLocation:
      return "location";
    case RoomEvent::Kind::kLocationBatch:
      return "location batch";
    case RoomEvent::Kind::kFailure:
      return "failure";
    case RoomEvent::Kind::kClosed:
      return "closed";
  }
  return "?";
}

// Verdicts on the request itself: a client that gets one has been served, even if refused.
bool is_verdict(ErrorClass c) {
  return c == ErrorClass::kInvalidTransition || c == ErrorClass::kValidationError ||
         c == ErrorClass::kDocumentNotFound || c == ErrorClass::kDuplicateKey;
}

// Refusals because other writers held the lock or moved the version: the operation was served,
// just not first. Whether a lock was held for good reason is lock_released_by_holder's business.
bool is_contention(ErrorClass c) {
  return c == ErrorClass::kLockTimeout || c == ErrorClass::kVersionError;
}

// The longest the burst workload's client may take over one operation: every attempt waits its
// full timeout, and every backoff between attempts draws its largest delay (it jitters 50-150 %).
Nanos burst_client_bound_ns(const Scenario& scenario) {
  const sim::WorkloadConfig& w = scenario.workload;
  Nanos bound = static_cast<Nanos>(w.client_retries + 1) * scenario.request_timeout_ns;
  for (int attempt = 0; attempt < w.client_retries; ++attempt) {
    bound += millis_f(1.5 * w.client_backoff_ms * std::ldexp(1.0, attempt));
  }
  return bound;
}

// The same for the drivers' app services (routes): a position may wait one sync interval to be
// sent; then every try, up to the largest retry count of any error class, waits a full request
// timeout, the largest recovery delay and, for a stalled batch, another sync interval.
Nanos app_services_bound_ns(const Scenario& scenario) {
  int retries = 0;
  Nanos delay_ns = 0;
  for (const model::RecoveryPolicies* policies :
       {&scenario.location_sync.recovery, &scenario.state_manager.recovery}) {
    for (int c = 0; c < model::kErrorClassCount; ++c) {
      const model::RecoveryPolicy& p = policies->for_class(static_cast<ErrorClass>(c));
      retries = std::max(retries, p.max_retries);
      delay_ns = std::max(
          {delay_ns, p.cap_delay_ns, p.base_delay_ns * static_cast<Nanos>(p.max_retries + 1)});
    }
  }
  const Nanos timeout_ns = std::max(scenario.location_sync.request_timeout_ns,
                                    scenario.state_manager.request_timeout_ns);
  const Nanos interval_ns = scenario.location_sync.sync_interval_ns;
  return interval_ns + static_cast<Nanos>(retries + 1) * (timeout_ns + delay_ns + interval_ns);
}

Nanos client_bound_ns(const Scenario& scenario) {
  return scenario.workload.kind == sim::WorkloadKind::kBurst ? burst_client_bound_ns(scenario)
                                                             : app_services_bound_ns(scenario);
}

// Whether faults are injected at random throughout the run, leaving no quiet period.
bool random_faults(const Scenario& scenario) {
  const sim::RandomFaultsConfig& r = scenario.faults_random;
  const bool drawn = r.server_error_rate > 0 || r.reply_lost_rate > 0 || r.stall_rate > 0 ||
                     r.loss_rate > 0 || r.duplicate_rate > 0 || r.reorder_rate > 0 ||
                     r.partitions_per_hour > 0 || r.offline_per_driver_hour > 0 ||
                     r.app_restarts_per_driver_hour > 0 || r.clock_jumps_per_driver_hour > 0;
  return drawn || scenario.storage.server_error_rate > 0 || scenario.storage.reply_lost_rate > 0 ||
         scenario.network.loss_rate > 0 || scenario.network.duplicate_rate > 0;
}

void compare(Verdict& verdict, const std::string& what, std::int64_t monitored,
             std::int64_t derived) {
  if (monitored == derived) return;
  verdict.violated({"monitoring counts " + std::to_string(monitored) + " " + what +
                        ", the recorded requests " + std::to_string(derived),
                    {},
                    {}});
}

void compare_counters(Verdict& verdict, const std::string& slice, const model::Counters& m,
                      const std::vector<const sim::ServerRequestRecord*>& requests) {
  model::Counters d;
  for (const sim::ServerRequestRecord* r : requests) {
    ++d.requests;
    if (r->error_class == ErrorClass::kNone) ++d.successes;
    if (r->attempts > 1) {
      ++d.retried_requests;
      d.extra_attempts += r->attempts - 1;
    }
    ++d.by_error_class.at(static_cast<std::size_t>(r->error_class));
    d.latency.sum_ns += r->end_ns - r->start_ns;
  }
  compare(verdict, slice + " requests", m.requests, d.requests);
  compare(verdict, slice + " successes", m.successes, d.successes);
  compare(verdict, slice + " retried requests", m.retried_requests, d.retried_requests);
  compare(verdict, slice + " extra attempts", m.extra_attempts, d.extra_attempts);
  compare(verdict, slice + " ns of response time", m.latency.sum_ns, d.latency.sum_ns);
  for (int c = 0; c < model::kErrorClassCount; ++c) {
    const auto i = static_cast<std::size_t>(c);
    compare(verdict,
            slice + " " + std::string(model::to_string(static_cast<ErrorClass>(c))) + " answers",
            m.by_error_class.at(i), d.by_error_class.at(i));
  }
}

}  // namespace

PropertyResult subscribers_in_order(const Scenario&, const World& world) {
  Verdict verdict("subscribers_in_order");
  const HistoryIndex index(world.history);

  // (subscriber, delivery) -> receipts in arrival order.
  std::map<std::pair<std::string, std::string>, std::vector<const sim::SubscriberReceipt*>> feeds;
  for (const sim::SubscriberReceipt& r : world.history.receipts()) {
    feeds[{r.subscriber, r.delivery_id}].push_back(&r);
  }

  for (const auto& [key, receipts] : feeds) {
    const auto& [subscriber, delivery] = key;
    std::int64_t last_version = INT64_MIN;
    bool closed = false;
    std::set<std::tuple<RoomEvent::Kind, std::string, std::int64_t>> seen;
    for (const sim::SubscriberReceipt* r : receipts) {
      // A failure event carries no document state, so it has no place in the order.
      if (r->kind == RoomEvent::Kind::kFailure) continue;
      const std::string what = std::string(kind_name(r->kind)) + " event of operation " +
                               r->operation_id + " (version " + std::to_string(r->version) + ")";
      const auto ops = index.operations_with_id(r->operation_id);
      if (closed) {
        verdict.violated(
            {subscriber + " heard the " + what + " on " + delivery + " after its room was closed",
             ops,
             {}});
      }
      if (r->version < last_version) {
        verdict.violated({subscriber + " heard the " + what + " on " + delivery +
                              " after version " + std::to_string(last_version),
                          ops,
                          {}});
      }
      if (!seen.emplace(r->kind, r->operation_id, r->version).second) {
        verdict.violated(
            {subscriber + " heard the " + what + " on " + delivery + " twice", ops, {}});
      }
      last_version = std::max(last_version, r->version);
      closed = closed || r->kind == RoomEvent::Kind::kClosed;
    }
  }

  // A subscriber still listening at the end must have heard the delivery's final status.
  for (const sim::SubscriptionAtEnd& s : world.history.subscriptions_at_end()) {
    auto doc = world.history.final_documents().find(s.delivery_id);
    if (doc == world.history.final_documents().end()) continue;
    const auto feed = feeds.find({s.subscriber, s.delivery_id});
    const sim::SubscriberReceipt* last = nullptr;
    if (feed != feeds.end()) {
      for (const sim::SubscriberReceipt* r : feed->second) {
        if (r->kind != RoomEvent::Kind::kFailure) last = r;
      }
    }
    // A subscriber that heard nothing still knows the delivery as it was when it joined.
    const model::DeliveryStatus final_status = doc->second.status;
    auto initial = world.history.initial_documents().find(s.delivery_id);
    if (last == nullptr && initial != world.history.initial_documents().end() &&
        initial->second.status == final_status) {
      continue;
    }
    if (last != nullptr && last->status == final_status) continue;
    verdict.violated({s.subscriber + " ended believing " + s.delivery_id + " is " +
                          (last ? std::string(model::to_string(last->status))
                                : std::string("unknown (heard nothing)")) +
                          ", but it is " + std::string(model::to_string(final_status)),
                      {},
                      {}});
  }
  return verdict.take();
}

PropertyResult monitoring_matches_history(const Scenario&, const World& world) {
  Verdict verdict("monitoring_matches_history");
  if (!world.monitoring) return verdict.take();
  const sim::MonitoringSnapshot& m = *world.monitoring;
  const auto& requests = world.history.server_requests();

  std::vector<const sim::ServerRequestRecord*> all;
  std::array<std::vector<const sim::ServerRequestRecord*>, model::kOperationKindCount> by_kind;
  for (const sim::ServerRequestRecord& r : requests) {
    all.push_back(&r);
    by_kind.at(static_cast<std::size_t>(r.kind)).push_back(&r);
  }
  compare_counters(verdict, "in all", m.totals, all);
  for (int k = 0; k < model::kOperationKindCount; ++k) {
    const auto i = static_cast<std::size_t>(k);
    compare_counters(verdict, std::string(model::to_string(static_cast<model::OperationKind>(k))),
                     m.by_kind.at(i), by_kind.at(i));
  }

  // The seed's headline figures, as monitoring derives them, against the same ratios of counts.
  const auto pse = static_cast<std::int64_t>(
      std::count_if(requests.begin(), requests.end(), [](const sim::ServerRequestRecord& r) {
        return r.error_class == ErrorClass::kParallelSaveError;
      }));
  compare(verdict, "ParallelSaveErrors (cumulative metrics)", m.cumulative.parallel_save_errors,
          pse);
  if (!requests.empty()) {
    const double n = static_cast<double>(requests.size());
    const double pse_rate = static_cast<double>(pse) / n;
    if (std::abs(m.cumulative.parallel_save_error_rate - pse_rate) > 1e-12) {
      verdict.violated(
          {"monitoring's parallelSaveErrorRate differs from the recorded requests'", {}, {}});
    }
  }
  const bool alerted = std::any_of(m.alerts.begin(), m.alerts.end(), [](const model::Alert& a) {
    return a.rule == model::AlertRule::kParallelSaveErrorDetected;
  });
  if (alerted != (pse > 0)) {
    verdict.violated({std::string("the ParallelSaveError alert ") +
                          (alerted ? "fired with none recorded" : "never fired") + " (" +
                          std::to_string(pse) + " recorded)",
                      {},
                      {}});
  }

  // Every acknowledged operation was answered by a successful request the server recorded.
  std::map<std::string, Nanos> first_success_ns;
  for (const sim::ServerRequestRecord& r : requests) {
    if (r.error_class == ErrorClass::kNone) first_success_ns.emplace(r.operation_id, r.end_ns);
  }
  for (const OperationRecord& op : world.history.operations()) {
    if (op.outcome != OpOutcome::kOk) continue;
    auto it = first_success_ns.find(op.operation_id);
    if (it != first_success_ns.end() && it->second <= op.complete_ns) continue;
    verdict.violated({op_label(op) + " was acknowledged without a successful request on record",
                      {op.index},
                      {}});
  }
  return verdict.take();
}

PropertyResult liveness_after_faults(const Scenario& scenario, const World& world) {
  Verdict verdict("liveness_after_faults");
  // With faults drawn at random throughout, faults never stop: nothing is promised.
  if (random_faults(scenario)) return verdict.take();
  const Nanos bound_ns = client_bound_ns(scenario);
  const Nanos end_ns = world.outcome.end_time_ns;

  // Quiet from when the last fault ended, plus a lease (a lock taken then may linger that long)
  // plus a request timeout (a store call in flight then may still be answered).
  Nanos quiet_ns = 0;
  if (!world.history.faults().empty()) {
    Nanos last_fault_end_ns = 0;
    for (const sim::FaultRecord& f : world.history.faults()) {
      last_fault_end_ns = std::max(last_fault_end_ns, f.time_ns + f.duration_ns);
    }
    quiet_ns = last_fault_end_ns + scenario.backend.atomic.lock_timeout_ns +
               std::max(scenario.request_timeout_ns, scenario.storage.socket_timeout_ns);
  }

  for (const OperationRecord& op : world.history.operations()) {
    // Work begun during a fault may wait for the fault to end (an offline queue does).
    const Nanos deadline_ns = std::max(op.invoke_ns, quiet_ns) + bound_ns;
    const bool late =
        op.outcome == OpOutcome::kPending ? deadline_ns <= end_ns : op.complete_ns > deadline_ns;
    if (late) {
      verdict.violated({op_label(op) + " invoked at " + seconds_text(op.invoke_ns) +
                            (op.outcome == OpOutcome::kPending
                                 ? std::string(" never completed")
                                 : " completed only at " + seconds_text(op.complete_ns)) +
                            " (deadline " + seconds_text(deadline_ns) + ")",
                        {op.index},
                        {}});
      continue;
    }
    if (op.outcome == OpOutcome::kPending || op.invoke_ns < quiet_ns) continue;
    if (op.outcome == OpOutcome::kOk) continue;
    if (op.outcome == OpOutcome::kFail && is_verdict(op.error_class)) continue;
    if (op.outcome == OpOutcome::kFail && is_contention(op.error_class)) continue;
    verdict.violated({op_label(op) + " invoked at " + seconds_text(op.invoke_ns) +
                          ", with no fault since " + seconds_text(quiet_ns) + ", ended " +
                          std::string(sim::to_string(op.outcome)) + " with " +
                          std::string(model::to_string(op.error_class)),
                      {op.index},
                      {}});
  }
  return verdict.take();
}

}  // namespace tracksim::properties::checks

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

// The longest a client may take over one operation: every attempt waits its full timeout, and
// every backoff between attempts draws its largest delay (the client jitters 50-150 %).
Nanos client_bound_ns(const Scenario& scenario) {
  const sim::WorkloadConfig& w = scenario.workload;
  Nanos bound = static_cast<Nanos>(w.client_retries + 1) * scenario.request_timeout_ns;
  for (int attempt = 0; attempt < w.client_retries; ++attempt) {
    bound += millis_f(1.5 * w.client_backoff_ms * std::ldexp(1.0, attempt));
  }
  return bound;
}

// Whether faults are injected at random throughout the run, leaving no quiet period.
bool random_faults(const Scenario& scenario) {
  return scenario.storage.server_error_rate > 0 || scenario.storage.reply_lost_rate > 0 ||
         scenario.network.loss_rate > 0;
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
    const model::DeliveryStatus final_status = doc->second.status;
    if (last == nullptr && doc->second.version == 0) continue;  // nothing ever happened to it
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
  const Nanos bound_ns = client_bound_ns(scenario);
  const Nanos end_ns = world.outcome.end_time_ns;

  // Quiet from when the last fault ended, plus a lease (a lock taken then may linger that long)
  // plus a request timeout (a store call in flight then may still be answered).
  std::optional<Nanos> quiet_ns;
  if (!random_faults(scenario)) {
    Nanos last_fault_end_ns = 0;
    for (const sim::FaultRecord& f : world.history.faults()) {
      last_fault_end_ns = std::max(last_fault_end_ns, f.time_ns + f.duration_ns);
    }
    quiet_ns = world.history.faults().empty()
                   ? 0
                   : last_fault_end_ns + scenario.backend.atomic.lock_timeout_ns +
                         std::max(scenario.request_timeout_ns, scenario.storage.socket_timeout_ns);
  }

  for (const OperationRecord& op : world.history.operations()) {
    if (op.outcome == OpOutcome::kPending) {
      if (op.invoke_ns + bound_ns > end_ns) continue;  // the run ended before its bound
      verdict.violated({op_label(op) + " invoked at " + seconds_text(op.invoke_ns) +
                            " never completed (bound " + seconds_text(bound_ns) + ")",
                        {op.index},
                        {}});
      continue;
    }
    if (op.complete_ns - op.invoke_ns > bound_ns) {
      verdict.violated({op_label(op) + " took " + seconds_text(op.complete_ns - op.invoke_ns) +
                            ", beyond the client's bound of " + seconds_text(bound_ns),
                        {op.index},
                        {}});
    }
    if (!quiet_ns || op.invoke_ns < *quiet_ns) continue;
    if (op.outcome == OpOutcome::kOk) continue;
    if (op.outcome == OpOutcome::kFail && is_verdict(op.error_class)) continue;
    if (op.outcome == OpOutcome::kFail && is_contention(op.error_class)) continue;
    verdict.violated({op_label(op) + " invoked at " + seconds_text(op.invoke_ns) +
                          ", with no fault since " + seconds_text(*quiet_ns) + ", ended " +
                          std::string(sim::to_string(op.outcome)) + " with " +
                          std::string(model::to_string(op.error_class)),
                      {op.index},
                      {}});
  }
  return verdict.take();
}

}  // namespace tracksim::properties::checks

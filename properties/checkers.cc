// The property catalogue, the shared helpers of the checkers, and running them by name.
#include "properties/checkers.h"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "model/check.h"
#include "properties/checks.h"
#include "sim/world/probes.h"

namespace tracksim::properties {
namespace checks {

void Verdict::violated(Witness witness) {
  result_.holds = false;
  ++result_.violations;
  if (result_.witnesses.size() < kMaxWitnesses) result_.witnesses.push_back(std::move(witness));
}

HistoryIndex::HistoryIndex(const sim::History& history) {
  for (const sim::OperationRecord& op : history.operations()) {
    operations_by_id_[op.operation_id].push_back(op.index);
  }
  for (const sim::CommitRecord& c : history.commits()) {
    commits_by_document_[c.delivery_id].push_back(c.index);
  }
}

std::vector<std::uint64_t> HistoryIndex::operations_with_id(const std::string& operation_id) const {
  auto it = operations_by_id_.find(operation_id);
  return it == operations_by_id_.end() ? std::vector<std::uint64_t>{} : it->second;
}

std::string op_label(const sim::OperationRecord& op) {
  std::string label =
      "operation " + op.operation_id + " (" + std::string(model::to_string(op.kind));
  if (op.kind == model::OperationKind::kUpdateStatus) {
    label += " to " + std::string(model::to_string(op.target_status));
  }
  return label + " on " + op.delivery_id + ")";
}

std::string commit_label(const sim::CommitRecord& c) {
  char when[32];
  std::snprintf(when, sizeof when, "%.3f", to_seconds(c.time_ns));
  return "commit " + std::to_string(c.index) + " (" + std::string(sim::to_string(c.kind)) + " by " +
         (c.operation_id.empty() ? std::string("?") : c.operation_id) + " on " + c.delivery_id +
         " at " + when + " s)";
}

bool is_content_commit(const sim::CommitRecord& c) {
  return c.changed_fields && c.kind != sim::WriteKind::kInsert;
}

bool is_lock_acquisition(const sim::CommitRecord& c) {
  if (c.lock_owner_after.empty()) return false;
  return c.lock_owner_before != c.lock_owner_after || c.lock_until_before != c.lock_until_after;
}

PropertyResult run_completed(const Scenario&, const World& world) {
  Verdict verdict("run_completed");
  const sim::RunStatus s = world.outcome.status;
  if (s == sim::RunStatus::kDeadlock || s == sim::RunStatus::kFiberFailed) {
    verdict.violated({std::string(sim::to_string(s)) + ": " + world.outcome.detail, {}, {}});
  }
  return verdict.take();
}

}  // namespace checks

namespace {

using Checker = std::function<PropertyResult(const sim::Scenario&, const sim::WorldResult&)>;

struct Entry {
  PropertyInfo info;
  Checker check;
};

// In the order reports list them; docs/properties.md gives each one's precise definition.
const std::vector<Entry>& entries() {
  static const std::vector<Entry> kEntries = {
      {{"run_completed", "the run ends without a deadlock or an exception escaping a fiber"},
       checks::run_completed},
      {{"no_lost_update",
        "every acknowledged status change is in the final status history, every acknowledged "
        "position is the final one or superseded by a newer one, and no commit shrinks the "
        "status history"},
       checks::no_lost_update},
      {{"valid_transitions",
        "every committed status change, and every step of the final status history, is allowed "
        "by the status machine; terminal statuses stay terminal"},
       checks::valid_transitions},
      {{"version_increments_by_one",
        "each content commit raises version by exactly one, lock-only writes leave it alone, "
        "and no version of a document is produced twice"},
       checks::version_increments_by_one},
      {{"no_parallel_save_error",
        "no client is ever answered ParallelSaveError (any implementation; the legacy one is "
        "expected to fail it)"},
       checks::no_parallel_save_error},
      {{"single_lock_holder",
        "nobody takes the operationLock while another writer's lease is live, and a writer never "
        "commits after another took the lock over"},
       checks::single_lock_holder},
      {{"lock_released_by_holder",
        "without storage faults, no request is answered while the operationLock it took is "
        "still live"},
       checks::lock_released_by_holder},
      {{"backoff_jittered",
        "when a jitter is configured, no two writers of a document wait exactly the same delay "
        "before the same retry (contenders are spread apart, not retried in lockstep)"},
       checks::backoff_jittered},
      {{"operation_applied_at_most_once",
        "no operation id is applied by two commits, nor twice into a status history"},
       checks::operation_applied_at_most_once},
      {{"no_document_lost", "no tracking document disappears (TTL deletion or otherwise)"},
       checks::no_document_lost},
      {{"location_never_moves_back",
        "over a document's commits, the stored position never moves back in device time"},
       checks::location_never_moves_back},
      {{"subscribers_in_order",
        "each subscriber hears its delivery's events in version order, without duplicates, "
        "nothing after the room closed, and ends at the final state"},
       checks::subscribers_in_order},
      {{"monitoring_matches_history",
        "the backend's monitoring counts (requests, successes, error classes, retries, latency "
        "sum, ParallelSaveError alert) equal those derived from the recorded requests"},
       checks::monitoring_matches_history},
      {{"liveness_after_faults",
        "every operation completes within the client's bound; once faults stop (and a lease and "
        "a request timeout have passed) every new operation succeeds, gets a verdict, or loses "
        "to contention, never a timeout or a server error"},
       checks::liveness_after_faults},
      {{"required_probes_reached",
        "every probe the scenario lists in [properties] require_probes was reached at least once "
        "(a scenario meant to exercise a rare path really did)"},
       [](const sim::Scenario& scenario, const sim::WorldResult& world) {
         checks::Verdict verdict("required_probes_reached");
         for (const std::string& name : sim::missing_probes(scenario.require_probes, world.probes))
           verdict.violated({"probe " + name + " was never reached", {}, {}});
         return verdict.take();
       }},
  };
  return kEntries;
}

}  // namespace

const std::vector<PropertyInfo>& property_catalogue() {
  static const std::vector<PropertyInfo> kCatalogue = [] {
    std::vector<PropertyInfo> infos;
    for (const Entry& e : entries())
      infos.push_back(e.info);
    return infos;
  }();
  return kCatalogue;
}

std::string unknown_property_name(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (name == "all") continue;
    const bool known = std::any_of(entries().begin(), entries().end(),
                                   [&](const Entry& e) { return e.info.name == name; });
    if (!known) return name;
  }
  return "";
}

std::vector<PropertyResult> check_properties(const sim::Scenario& scenario,
                                             const sim::WorldResult& world) {
  const auto& wanted = scenario.properties;
  const bool all = std::find(wanted.begin(), wanted.end(), "all") != wanted.end();
  std::vector<PropertyResult> results;
  for (const Entry& e : entries()) {
    if (!all && std::find(wanted.begin(), wanted.end(), e.info.name) == wanted.end()) continue;
    results.push_back(e.check(scenario, world));
  }
  return results;
}

PropertyResult check_property(const std::string& name, const sim::Scenario& scenario,
                              const sim::WorldResult& world) {
  for (const Entry& e : entries()) {
    if (e.info.name == name) return e.check(scenario, world);
  }
  // Callers validate names with unknown_property_name first; anything else is a harness bug.
  TRACKSIM_CHECK(false && "unknown property name");
  return PropertyResult{};
}

}  // namespace tracksim::properties

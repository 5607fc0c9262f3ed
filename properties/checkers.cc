// The property catalogue and the checkers behind it.
#include "properties/checkers.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "model/status_machine.h"

namespace tracksim::properties {
namespace {

using model::DeliveryStatus;
using sim::CommitRecord;
using sim::History;
using sim::OperationRecord;
using sim::OpOutcome;

// Collects witnesses, keeping the first kMaxWitnesses and counting the rest.
class Verdict {
 public:
  explicit Verdict(std::string name) { result_.name = std::move(name); }
  void violated(Witness witness) {
    result_.holds = false;
    ++result_.violations;
    if (result_.witnesses.size() < kMaxWitnesses) result_.witnesses.push_back(std::move(witness));
  }
  PropertyResult take() { return std::move(result_); }

 private:
  PropertyResult result_;
};

std::string op_label(const OperationRecord& op) {
  std::string label =
      "operation " + op.operation_id + " (" + std::string(model::to_string(op.kind));
  if (op.kind != model::OperationKind::kUpdateLocation) {
    label += " to " + std::string(model::to_string(op.target_status));
  }
  return label + " on " + op.delivery_id + ")";
}

// Every commit that changes a document's fields raises its version by exactly one, and no two
// such commits of one document produce the same version.
PropertyResult version_increments(const sim::Scenario&, const sim::WorldResult& world) {
  Verdict verdict("version_increments_by_one");
  std::map<std::string, std::set<std::int64_t>> seen;
  for (const CommitRecord& c : world.history.commits()) {
    if (!c.changed_fields || c.kind == sim::WriteKind::kInsert) continue;
    if (c.version_after != c.version_before + 1) {
      verdict.violated({"commit " + std::to_string(c.index) + " on " + c.delivery_id +
                            " moved version from " + std::to_string(c.version_before) + " to " +
                            std::to_string(c.version_after),
                        {},
                        {c.index}});
    }
    if (!seen[c.delivery_id].insert(c.version_after).second) {
      verdict.violated({"commit " + std::to_string(c.index) + " on " + c.delivery_id +
                            " reused version " + std::to_string(c.version_after),
                        {},
                        {c.index}});
    }
  }
  return verdict.take();
}

// Every committed status change is an allowed transition, and terminal statuses stay terminal.
PropertyResult valid_transitions(const sim::Scenario&, const sim::WorldResult& world) {
  Verdict verdict("valid_transitions");
  for (const CommitRecord& c : world.history.commits()) {
    if (c.status_before == c.status_after || c.kind == sim::WriteKind::kInsert) continue;
    if (!model::is_allowed_transition(c.status_before, c.status_after)) {
      verdict.violated({"commit " + std::to_string(c.index) + " on " + c.delivery_id + " moved " +
                            std::string(model::to_string(c.status_before)) + " -> " +
                            std::string(model::to_string(c.status_after)),
                        {},
                        {c.index}});
    }
  }
  return verdict.take();
}

// No client of the fixed implementation is ever told ParallelSaveError.
PropertyResult no_parallel_save_error(const sim::Scenario&, const sim::WorldResult& world) {
  Verdict verdict("no_parallel_save_error");
  for (const OperationRecord& op : world.history.operations()) {
    if (op.error_class != model::ErrorClass::kParallelSaveError) continue;
    verdict.violated({op_label(op) + " failed with ParallelSaveError", {op.index}, {}});
  }
  return verdict.take();
}

// Every acknowledged change survives: an acknowledged status change is in the final status
// history under its operation id, and an acknowledged position is the final one or older than it.
PropertyResult no_lost_update(const sim::Scenario&, const sim::WorldResult& world) {
  Verdict verdict("no_lost_update");
  const auto& docs = world.history.final_documents();
  for (const OperationRecord& op : world.history.operations()) {
    if (op.outcome != OpOutcome::kOk) continue;
    auto it = docs.find(op.delivery_id);
    if (it == docs.end()) continue;  // a lost document is its own property
    const model::DeliveryTracking& doc = it->second;
    if (op.kind == model::OperationKind::kUpdateLocation) {
      for (const model::Location& sent : op.locations) {
        if (!doc.current_location || doc.current_location->device_time_ns < sent.device_time_ns) {
          verdict.violated(
              {op_label(op) + " was acknowledged but the final position is older", {op.index}, {}});
          break;
        }
      }
      continue;
    }
    const bool recorded =
        std::any_of(doc.status_history.begin(), doc.status_history.end(),
                    [&](const model::StatusHistoryEntry& e) {
                      return e.operation_id == op.operation_id && e.status == op.target_status;
                    });
    if (!recorded) {
      verdict.violated({op_label(op) + " was acknowledged but is not in the final status history",
                        {op.index},
                        {}});
    }
  }
  return verdict.take();
}

// No operation id is applied twice: a status history never holds one operation id twice.
PropertyResult applied_at_most_once(const sim::Scenario&, const sim::WorldResult& world) {
  Verdict verdict("operation_applied_at_most_once");
  for (const auto& [id, doc] : world.history.final_documents()) {
    std::set<std::string> seen;
    for (const model::StatusHistoryEntry& e : doc.status_history) {
      if (e.operation_id.empty()) continue;
      if (!seen.insert(e.operation_id + "/" + std::string(model::to_string(e.status))).second) {
        verdict.violated(
            {"operation " + e.operation_id + " appears twice in the status history of " + id,
             {},
             {}});
      }
    }
  }
  return verdict.take();
}

// Every tracking document that existed stays.
PropertyResult no_document_lost(const sim::Scenario&, const sim::WorldResult& world) {
  Verdict verdict("no_document_lost");
  for (const sim::DocumentEvent& e : world.history.document_events()) {
    if (e.kind != sim::DocumentEventKind::kDeletedByTtl) continue;
    verdict.violated({e.delivery_id + " was deleted by the TTL monitor: " + e.detail, {}, {}});
  }
  return verdict.take();
}

// The run itself ended cleanly: no deadlock and no exception in a fiber.
PropertyResult run_completed(const sim::Scenario&, const sim::WorldResult& world) {
  Verdict verdict("run_completed");
  const sim::RunStatus s = world.outcome.status;
  if (s == sim::RunStatus::kDeadlock || s == sim::RunStatus::kFiberFailed) {
    verdict.violated({std::string(sim::to_string(s)) + ": " + world.outcome.detail, {}, {}});
  }
  return verdict.take();
}

using Checker = std::function<PropertyResult(const sim::Scenario&, const sim::WorldResult&)>;

struct Entry {
  PropertyInfo info;
  Checker check;
};

const std::vector<Entry>& entries() {
  static const std::vector<Entry> kEntries = {
      {{"run_completed", "the run ends without a deadlock or an exception escaping a fiber"},
       run_completed},
      {{"no_lost_update",
        "every acknowledged status change is in the final status history; every acknowledged "
        "position is the final one or superseded by a newer one"},
       no_lost_update},
      {{"valid_transitions", "every committed status change is allowed by the status machine"},
       valid_transitions},
      {{"version_increments_by_one",
        "each commit raises version by exactly one and never reuses a version"},
       version_increments},
      {{"no_parallel_save_error", "no client is ever told ParallelSaveError"},
       no_parallel_save_error},
      {{"operation_applied_at_most_once", "no operation id is applied twice"},
       applied_at_most_once},
      {{"no_document_lost", "no tracking document disappears"}, no_document_lost},
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

}  // namespace tracksim::properties

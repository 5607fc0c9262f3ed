// Properties of the stored documents: nothing acknowledged is lost, status moves only along the
// status machine, versions count commits, positions only move forward, documents stay.
//
// These read the commits in the order storage applied them and the final documents; they trust
// each commit record to describe the document before and after one atomic write.
#include <algorithm>
#include <cstdio>
#include <set>
#include <tuple>

#include "model/status_machine.h"
#include "properties/checks.h"

namespace tracksim::properties::checks {
namespace {

using model::DeliveryStatus;
using model::OperationKind;
using sim::CommitRecord;
using sim::OperationRecord;
using sim::OpOutcome;

std::string seconds_text(Nanos t) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f s", to_seconds(t));
  return text;
}

// The status an operation asked for: completeDelivery always means delivered.
DeliveryStatus target_of(const OperationRecord& op) {
  return op.kind == OperationKind::kCompleteDelivery ? DeliveryStatus::kDelivered
                                                     : op.target_status;
}

// The commits of `delivery_id` that applied `operation_id`, in commit order.
std::vector<std::uint64_t> applying_commits(const World& world, const HistoryIndex& index,
                                            const std::string& delivery_id,
                                            const std::string& operation_id) {
  std::vector<std::uint64_t> found;
  auto it = index.commits_by_document().find(delivery_id);
  if (it == index.commits_by_document().end()) return found;
  for (std::uint64_t i : it->second) {
    const CommitRecord& c = world.history.commits()[i];
    const auto& applied = c.operations_applied;
    if (std::find(applied.begin(), applied.end(), operation_id) != applied.end()) {
      found.push_back(i);
    }
  }
  return found;
}

// The operations whose ids a commit's writer tag names, for witnesses.
std::vector<std::uint64_t> writer_ops(const HistoryIndex& index, const CommitRecord& c) {
  return c.operation_id.empty() ? std::vector<std::uint64_t>{}
                                : index.operations_with_id(c.operation_id);
}

void check_acknowledged_position(const World& world, const HistoryIndex& index,
                                 const OperationRecord& op, const model::DeliveryTracking& doc,
                                 Verdict& verdict) {
  Nanos newest_sent_ns = INT64_MIN;
  for (const model::Location& sent : op.locations) {
    newest_sent_ns = std::max(newest_sent_ns, sent.device_time_ns);
  }
  if (op.locations.empty()) return;
  if (doc.current_location && doc.current_location->device_time_ns >= newest_sent_ns) return;

  // Name the commits that applied it and the first later one that left an older position.
  std::vector<std::uint64_t> commits =
      applying_commits(world, index, op.delivery_id, op.operation_id);
  const std::uint64_t after = commits.empty() ? 0 : commits.front();
  auto of_document = index.commits_by_document().find(op.delivery_id);
  const std::vector<std::uint64_t> none;
  const auto& candidates =
      of_document == index.commits_by_document().end() ? none : of_document->second;
  for (std::uint64_t i : candidates) {
    const CommitRecord& c = world.history.commits()[i];
    if (i <= after || !is_content_commit(c)) continue;
    if (!c.location_after || c.location_after->device_time_ns < newest_sent_ns) {
      commits.push_back(i);
      break;
    }
  }
  verdict.violated({op_label(op) + " was acknowledged, but the final position is from " +
                        (doc.current_location ? seconds_text(doc.current_location->device_time_ns)
                                              : std::string("nowhere")) +
                        " of device time, older than its " + seconds_text(newest_sent_ns),
                    {op.index},
                    commits});
}

void check_acknowledged_status(const World& world, const HistoryIndex& index,
                               const OperationRecord& op, const model::DeliveryTracking& doc,
                               Verdict& verdict) {
  const DeliveryStatus target = target_of(op);
  const bool recorded = std::any_of(
      doc.status_history.begin(), doc.status_history.end(),
      [&](const auto& e) { return e.operation_id == op.operation_id && e.status == target; });
  if (recorded) return;
  verdict.violated({op_label(op) + " was acknowledged, but the final status history of " +
                        op.delivery_id + " has no " + std::string(model::to_string(target)) +
                        " entry under its operation id",
                    {op.index},
                    applying_commits(world, index, op.delivery_id, op.operation_id)});
}

}  // namespace

PropertyResult no_lost_update(const Scenario&, const World& world) {
  Verdict verdict("no_lost_update");
  const HistoryIndex index(world.history);
  const auto& docs = world.history.final_documents();

  for (const OperationRecord& op : world.history.operations()) {
    if (op.outcome != OpOutcome::kOk) continue;
    auto it = docs.find(op.delivery_id);
    if (it == docs.end()) continue;  // a vanished document is no_document_lost's business
    if (op.kind == OperationKind::kUpdateLocation) {
      check_acknowledged_position(world, index, op, it->second, verdict);
    } else {
      check_acknowledged_status(world, index, op, it->second, verdict);
    }
  }

  // A status history only grows; a commit that shrinks it wrote over changes it never read,
  // whether or not their clients heard of them.
  for (const auto& [id, commits] : index.commits_by_document()) {
    auto initial = world.history.initial_documents().find(id);
    std::size_t size = initial == world.history.initial_documents().end()
                           ? 0
                           : initial->second.status_history.size();
    for (std::uint64_t i : commits) {
      const CommitRecord& c = world.history.commits()[i];
      if (!c.changed_fields) continue;
      if (c.status_history_size_after < size) {
        verdict.violated({commit_label(c) + " shrank the status history from " +
                              std::to_string(size) + " to " +
                              std::to_string(c.status_history_size_after) + " entries",
                          writer_ops(index, c),
                          {c.index}});
      }
      size = c.status_history_size_after;
    }
  }
  return verdict.take();
}

PropertyResult valid_transitions(const Scenario&, const World& world) {
  Verdict verdict("valid_transitions");
  const HistoryIndex index(world.history);
  // (document, from, to) already reported from a commit, so the final history does not
  // report the same step again.
  std::set<std::tuple<std::string, DeliveryStatus, DeliveryStatus>> reported;

  for (const CommitRecord& c : world.history.commits()) {
    if (c.status_before == c.status_after || c.kind == sim::WriteKind::kInsert) continue;
    if (model::is_allowed_transition(c.status_before, c.status_after)) continue;
    reported.emplace(c.delivery_id, c.status_before, c.status_after);
    const std::string why =
        model::is_terminal(c.status_before) ? " (out of a terminal status)" : "";
    verdict.violated({commit_label(c) + " moved " + std::string(model::to_string(c.status_before)) +
                          " -> " + std::string(model::to_string(c.status_after)) + why,
                      writer_ops(index, c),
                      {c.index}});
  }

  // One commit may append several entries (a batch crossing a geofence); each step counts.
  for (const auto& [id, doc] : world.history.final_documents()) {
    const auto& entries = doc.status_history;
    for (std::size_t i = 1; i < entries.size(); ++i) {
      const DeliveryStatus from = entries[i - 1].status;
      const DeliveryStatus to = entries[i].status;
      if (model::is_allowed_transition(from, to)) continue;
      if (reported.count({id, from, to}) != 0) continue;
      verdict.violated({"the final status history of " + id + " steps " +
                            std::string(model::to_string(from)) + " -> " +
                            std::string(model::to_string(to)) + " at entry " + std::to_string(i) +
                            " (operation " + entries[i].operation_id + ")",
                        index.operations_with_id(entries[i].operation_id),
                        {}});
    }
  }
  return verdict.take();
}

PropertyResult version_increments_by_one(const Scenario&, const World& world) {
  Verdict verdict("version_increments_by_one");
  const HistoryIndex index(world.history);

  for (const auto& [id, commits] : index.commits_by_document()) {
    auto initial = world.history.initial_documents().find(id);
    std::optional<std::int64_t> last;
    if (initial != world.history.initial_documents().end()) last = initial->second.version;
    std::set<std::int64_t> produced;

    for (std::uint64_t i : commits) {
      const CommitRecord& c = world.history.commits()[i];
      if (c.kind == sim::WriteKind::kInsert) {
        last = c.version_after;
        continue;
      }
      if (last && c.version_before != *last) {
        verdict.violated({commit_label(c) + " found version " + std::to_string(c.version_before) +
                              " where the previous write left " + std::to_string(*last),
                          {},
                          {c.index}});
      }
      last = c.version_after;
      if (!c.changed_fields) {
        if (c.version_after != c.version_before) {
          verdict.violated({commit_label(c) + " changed only the lock but moved version from " +
                                std::to_string(c.version_before) + " to " +
                                std::to_string(c.version_after),
                            writer_ops(index, c),
                            {c.index}});
        }
        continue;
      }
      if (c.version_after != c.version_before + 1) {
        verdict.violated({commit_label(c) + " moved version from " +
                              std::to_string(c.version_before) + " to " +
                              std::to_string(c.version_after),
                          writer_ops(index, c),
                          {c.index}});
      }
      if (!produced.insert(c.version_after).second) {
        verdict.violated({commit_label(c) + " produced version " + std::to_string(c.version_after) +
                              " a second time",
                          writer_ops(index, c),
                          {c.index}});
      }
    }
  }
  return verdict.take();
}

PropertyResult location_never_moves_back(const Scenario&, const World& world) {
  Verdict verdict("location_never_moves_back");
  const HistoryIndex index(world.history);

  for (const auto& [id, commits] : index.commits_by_document()) {
    auto initial = world.history.initial_documents().find(id);
    std::optional<model::Location> last;
    if (initial != world.history.initial_documents().end()) {
      last = initial->second.current_location;
    }
    for (std::uint64_t i : commits) {
      const CommitRecord& c = world.history.commits()[i];
      if (!c.changed_fields) continue;
      if (last && (!c.location_after || c.location_after->device_time_ns < last->device_time_ns)) {
        verdict.violated({commit_label(c) + " moved the position of " + id + " back from " +
                              seconds_text(last->device_time_ns) + " to " +
                              (c.location_after ? seconds_text(c.location_after->device_time_ns)
                                                : std::string("none")) +
                              " of device time",
                          writer_ops(index, c),
                          {c.index}});
      }
      last = c.location_after;
    }
  }
  return verdict.take();
}

PropertyResult no_document_lost(const Scenario&, const World& world) {
  Verdict verdict("no_document_lost");
  std::set<std::string> explained;
  for (const sim::DocumentEvent& e : world.history.document_events()) {
    if (e.kind != sim::DocumentEventKind::kDeletedByTtl) continue;
    explained.insert(e.delivery_id);
    verdict.violated({e.delivery_id + " was deleted by the TTL monitor at " +
                          seconds_text(e.time_ns) + ": " + e.detail,
                      {},
                      {}});
  }

  // Anything that existed (before the run, or by an insert) and is gone without a recorded
  // deletion vanished some other way.
  std::set<std::string> existed;
  for (const auto& [id, doc] : world.history.initial_documents())
    existed.insert(id);
  for (const sim::DocumentEvent& e : world.history.document_events()) {
    if (e.kind == sim::DocumentEventKind::kInserted) existed.insert(e.delivery_id);
  }
  for (const std::string& id : existed) {
    if (world.history.final_documents().count(id) != 0 || explained.count(id) != 0) continue;
    verdict.violated({id + " existed but is missing from the final documents", {}, {}});
  }
  return verdict.take();
}

}  // namespace tracksim::properties::checks

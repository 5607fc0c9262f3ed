// Properties of concurrent writers: no ParallelSaveError reaches a client, the operationLock has
// one live holder, and every operation is applied at most once.
//
// The lock properties read the lock fields every commit records before and after its write; a
// lock acquisition is itself a commit (findOneAndUpdate setting operationLock), so the order of
// holders is the commit order.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>
#include <tuple>

#include "properties/checks.h"

namespace tracksim::properties::checks {
namespace {

using sim::CommitRecord;

std::string millis_text(Nanos t) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f ms", to_millis(t));
  return text;
}

std::vector<std::uint64_t> ops_of(const HistoryIndex& index, const std::string& operation_id) {
  return operation_id.empty() ? std::vector<std::uint64_t>{}
                              : index.operations_with_id(operation_id);
}

// Whether storage fails or loses requests at random, so a lock may leak by no fault of the code.
bool storage_faults_at_random(const Scenario& scenario) {
  const sim::RandomFaultsConfig& drawn = scenario.faults_random;
  return scenario.storage.server_error_rate > 0 || scenario.storage.reply_lost_rate > 0 ||
         drawn.server_error_rate > 0 || drawn.reply_lost_rate > 0 || drawn.stall_rate > 0;
}

// Whether [from, until] meets a scheduled fault window.
bool overlaps_fault(const World& world, Nanos from_ns, Nanos until_ns) {
  return std::any_of(world.history.faults().begin(), world.history.faults().end(),
                     [&](const sim::FaultRecord& f) {
                       return f.time_ns <= until_ns && from_ns <= f.time_ns + f.duration_ns;
                     });
}

std::vector<std::uint64_t> ops_of_both(const HistoryIndex& index, const std::string& a,
                                       const std::string& b) {
  std::vector<std::uint64_t> ops = ops_of(index, a);
  for (std::uint64_t op : ops_of(index, b))
    ops.push_back(op);
  return ops;
}

}  // namespace

PropertyResult no_parallel_save_error(const Scenario&, const World& world) {
  Verdict verdict("no_parallel_save_error");
  const HistoryIndex index(world.history);
  const auto& requests = world.history.server_requests();

  // Every answer counts, not only an operation's last: a client that retried past a
  // ParallelSaveError was still told it.
  std::set<std::string> answered;
  for (const sim::ServerRequestRecord& r : requests) {
    if (r.error_class != model::ErrorClass::kParallelSaveError) continue;
    answered.insert(r.operation_id);
    verdict.violated({"request " + std::to_string(r.index) + " of operation " + r.operation_id +
                          " on " + r.delivery_id + " was answered ParallelSaveError",
                      ops_of(index, r.operation_id),
                      {}});
  }
  for (const sim::OperationRecord& op : world.history.operations()) {
    if (op.error_class != model::ErrorClass::kParallelSaveError) continue;
    if (answered.count(op.operation_id) != 0) continue;
    verdict.violated({op_label(op) + " failed with ParallelSaveError", {op.index}, {}});
  }
  return verdict.take();
}

PropertyResult single_lock_holder(const Scenario&, const World& world) {
  Verdict verdict("single_lock_holder");
  const HistoryIndex index(world.history);

  for (const auto& [id, commits] : index.commits_by_document()) {
    std::string last_acquirer;
    auto initial = world.history.initial_documents().find(id);
    if (initial != world.history.initial_documents().end()) {
      last_acquirer = initial->second.lock_owner;
    }

    for (std::uint64_t i : commits) {
      const CommitRecord& c = world.history.commits()[i];
      if (is_lock_acquisition(c)) {
        const bool other_holder =
            !c.lock_owner_before.empty() && c.lock_owner_before != c.lock_owner_after;
        if (other_holder && c.lock_until_before && *c.lock_until_before > c.time_ns) {
          verdict.violated({commit_label(c) + " gave the operationLock of " + id + " to " +
                                c.lock_owner_after + " while " + c.lock_owner_before +
                                "'s lease had " + millis_text(*c.lock_until_before - c.time_ns) +
                                " left",
                            ops_of_both(index, c.lock_owner_before, c.lock_owner_after),
                            {c.index}});
        }
        last_acquirer = c.lock_owner_after;
      }

      // A writer's content commit must come while the lock is still the one it took: if
      // someone else acquired it since, this writer's lease had ended and been taken over.
      const bool lock_writer =
          c.kind == sim::WriteKind::kUpdateOne || c.kind == sim::WriteKind::kFindOneAndUpdate;
      if (!lock_writer || !is_content_commit(c) || last_acquirer.empty()) continue;
      if (last_acquirer == c.operation_id) continue;
      verdict.violated({commit_label(c) + " wrote " + id + " after " + last_acquirer +
                            " had taken the operationLock over",
                        ops_of_both(index, c.operation_id, last_acquirer),
                        {c.index}});
    }
  }
  return verdict.take();
}

PropertyResult operation_applied_at_most_once(const Scenario&, const World& world) {
  Verdict verdict("operation_applied_at_most_once");
  const HistoryIndex index(world.history);

  // Across commits: an id may enter a document's applied set once, and a writer may not commit
  // its content again once its id is applied.
  for (const auto& [id, commits] : index.commits_by_document()) {
    std::map<std::string, std::uint64_t> first_applied;  // operation id -> commit
    for (std::uint64_t i : commits) {
      const CommitRecord& c = world.history.commits()[i];
      std::set<std::string> reported;
      const bool lock_writer =
          c.kind == sim::WriteKind::kUpdateOne || c.kind == sim::WriteKind::kFindOneAndUpdate;
      if (lock_writer && is_content_commit(c) && first_applied.count(c.operation_id) != 0) {
        reported.insert(c.operation_id);
        verdict.violated({commit_label(c) + " applied " + c.operation_id +
                              " again (first by commit " +
                              std::to_string(first_applied.at(c.operation_id)) + ")",
                          ops_of(index, c.operation_id),
                          {first_applied.at(c.operation_id), c.index}});
      }
      for (const std::string& op : c.operations_applied) {
        auto [it, inserted] = first_applied.emplace(op, c.index);
        if (inserted || reported.count(op) != 0) continue;
        verdict.violated({commit_label(c) + " applied " + op + " again (first by commit " +
                              std::to_string(it->second) + ")",
                          ops_of(index, op),
                          {it->second, c.index}});
      }
    }
  }

  // Within the final documents: one operation id, one entry per status it set.
  for (const auto& [id, doc] : world.history.final_documents()) {
    std::set<std::pair<std::string, model::DeliveryStatus>> seen;
    for (const model::StatusHistoryEntry& e : doc.status_history) {
      if (e.operation_id.empty()) continue;
      if (seen.emplace(e.operation_id, e.status).second) continue;
      verdict.violated({"operation " + e.operation_id + " appears twice as " +
                            std::string(model::to_string(e.status)) + " in the status history of " +
                            id,
                        ops_of(index, e.operation_id),
                        {}});
    }
  }
  return verdict.take();
}

PropertyResult lock_released_by_holder(const Scenario& scenario, const World& world) {
  Verdict verdict("lock_released_by_holder");
  if (storage_faults_at_random(scenario)) return verdict.take();
  const HistoryIndex index(world.history);
  const auto& requests = world.history.server_requests();
  // The requests of each operation id, so that finding siblings costs their number, not all
  // requests' (a long run has hundreds of thousands).
  std::map<std::string_view, std::vector<const sim::ServerRequestRecord*>> by_operation;
  for (const sim::ServerRequestRecord& r : requests)
    by_operation[r.operation_id].push_back(&r);

  for (const sim::ServerRequestRecord& r : requests) {
    if (overlaps_fault(world, r.start_ns, r.end_ns)) continue;
    // Another handler of the same operation still at work holds the lock under the same name.
    const auto& same_operation = by_operation.at(r.operation_id);
    const bool sibling_in_flight = std::any_of(
        same_operation.begin(), same_operation.end(), [&](const sim::ServerRequestRecord* o) {
          return o->index != r.index && o->start_ns <= r.end_ns && o->end_ns > r.end_ns;
        });
    if (sibling_in_flight) continue;

    // The lock as the last commit at or before the answer left it.
    auto commits = index.commits_by_document().find(r.delivery_id);
    if (commits == index.commits_by_document().end()) continue;
    const CommitRecord* last = nullptr;
    for (std::uint64_t i : commits->second) {
      const CommitRecord& c = world.history.commits()[i];
      if (c.time_ns > r.end_ns) break;
      last = &c;
    }
    if (last == nullptr || last->lock_owner_after != r.operation_id) continue;
    if (!last->lock_until_after || *last->lock_until_after <= r.end_ns) continue;
    verdict.violated({"request " + std::to_string(r.index) + " of " + r.operation_id + " on " +
                          r.delivery_id + " was answered " +
                          std::string(model::to_string(r.error_class)) +
                          " while its operationLock stayed live for " +
                          millis_text(*last->lock_until_after - r.end_ns) + " more",
                      ops_of(index, r.operation_id),
                      {last->index}});
  }
  return verdict.take();
}

PropertyResult backoff_jittered(const Scenario& scenario, const World& world) {
  Verdict verdict("backoff_jittered");
  if (scenario.backend.atomic.jitter == model::Jitter::kNone) return verdict.take();
  const HistoryIndex index(world.history);

  // One handler's calls run on one fiber, one after another; the only wait between two of them
  // is the backoff before a retry, so the longest gap between two acquisitions is that delay.
  std::map<std::uint64_t, std::vector<const sim::StoreCallRecord*>> by_fiber;
  for (const sim::StoreCallRecord& call : world.history.store_calls()) {
    if (call.fiber != 0) by_fiber[call.fiber].push_back(&call);
  }

  struct Retry {
    std::string owner;
    std::uint64_t fiber;
  };
  // (document, retry number, delay) -> the retries that waited exactly that long.
  std::map<std::tuple<std::string, int, Nanos>, std::vector<Retry>> delays;
  for (const auto& [fiber, calls] : by_fiber) {
    const sim::StoreCallRecord* acquired = nullptr;
    int retry = 0;
    Nanos longest_gap_ns = 0;
    for (std::size_t i = 0; i < calls.size(); ++i) {
      const sim::StoreCallRecord& call = *calls[i];
      if (i > 0)
        longest_gap_ns = std::max(longest_gap_ns, call.sent_ns - calls[i - 1]->answered_ns);
      if (call.kind != sim::StoreCallKind::kLockAcquire) continue;
      if (acquired != nullptr && acquired->operation_id == call.operation_id &&
          acquired->delivery_id == call.delivery_id) {
        delays[{call.delivery_id, retry++, longest_gap_ns}].push_back({call.operation_id, fiber});
      } else {
        retry = 0;
      }
      acquired = &call;
      longest_gap_ns = 0;
    }
  }

  for (const auto& [key, retries] : delays) {
    std::set<std::string> owners;
    for (const Retry& r : retries)
      owners.insert(r.owner);
    if (owners.size() < 2) continue;
    const auto& [document, retry, delay_ns] = key;
    std::string names;
    std::vector<std::uint64_t> ops;
    for (const std::string& owner : owners) {
      names += (names.empty() ? "" : ", ") + owner;
      for (std::uint64_t op : ops_of(index, owner))
        ops.push_back(op);
    }
    verdict.violated({std::to_string(owners.size()) + " writers of " + document + " (" + names +
                          ") all waited exactly " + millis_text(delay_ns) + " before retry " +
                          std::to_string(retry + 1) + ", though " +
                          std::string(model::to_string(scenario.backend.atomic.jitter)) +
                          " jitter is configured",
                      ops,
                      {}});
  }
  return verdict.take();
}

}  // namespace tracksim::properties::checks

//! The checkers behind the property catalogue, and what they share.
//!
//! Each checker is a pure function of a scenario and the world it produced; it reads the
//! recorded history and never re-runs anything. Witnesses name operations and commits by their
//! indexes in the history, and say in one line what went wrong, in the words of the trace. This
//! header is internal to properties/: callers go through checkers.h.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "properties/checkers.h"

namespace tracksim::properties::checks {

// Collects witnesses, keeping the first kMaxWitnesses and counting the rest.
class Verdict {
 public:
  explicit Verdict(std::string name) { result_.name = std::move(name); }
  void violated(Witness witness);
  PropertyResult take() { return std::move(result_); }

 private:
  PropertyResult result_;
};

// Lookups over one history that several checkers need.
class HistoryIndex {
 public:
  explicit HistoryIndex(const sim::History& history);

  // Client operations that carried `operation_id` (one, unless ids were reused).
  std::vector<std::uint64_t> operations_with_id(const std::string& operation_id) const;
  // The commits of each document, in commit order.
  const std::map<std::string, std::vector<std::uint64_t>>& commits_by_document() const {
    return commits_by_document_;
  }

 private:
  std::map<std::string, std::vector<std::uint64_t>> operations_by_id_;
  std::map<std::string, std::vector<std::uint64_t>> commits_by_document_;
};

// "operation driver-1-3 (updateStatus to at_pickup on delivery-1)".
std::string op_label(const sim::OperationRecord& op);
// "commit 17 (update_one by driver-1-3 on delivery-1 at 0.231 s)".
std::string commit_label(const sim::CommitRecord& c);

// A commit that changed a document's own fields (not only its lock), the way a writer means it.
bool is_content_commit(const sim::CommitRecord& c);
// A commit that took the operationLock (set it, or gave it to another owner).
bool is_lock_acquisition(const sim::CommitRecord& c);

using World = sim::WorldResult;
using Scenario = sim::Scenario;

PropertyResult run_completed(const Scenario&, const World&);
PropertyResult no_lost_update(const Scenario&, const World&);
PropertyResult valid_transitions(const Scenario&, const World&);
PropertyResult version_increments_by_one(const Scenario&, const World&);
PropertyResult no_parallel_save_error(const Scenario&, const World&);
PropertyResult single_lock_holder(const Scenario&, const World&);
PropertyResult lock_released_by_holder(const Scenario&, const World&);
PropertyResult backoff_jittered(const Scenario&, const World&);
PropertyResult operation_applied_at_most_once(const Scenario&, const World&);
PropertyResult no_document_lost(const Scenario&, const World&);
PropertyResult location_never_moves_back(const Scenario&, const World&);
PropertyResult subscribers_in_order(const Scenario&, const World&);
PropertyResult monitoring_matches_history(const Scenario&, const World&);
PropertyResult liveness_after_faults(const Scenario&, const World&);

}  // namespace tracksim::properties::checks

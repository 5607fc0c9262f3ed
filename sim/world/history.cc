// Recording into a History.
#include "sim/world/history.h"

#include <cassert>

namespace tracksim::sim {

std::string_view to_string(OpOutcome o) {
  switch (o) {
    case OpOutcome::kPending:
      return "pending";
    case OpOutcome::kOk:
      return "ok";
    case OpOutcome::kFail:
      return "fail";
    case OpOutcome::kUnknown:
      return "unknown";
  }
  return "?";
}

std::string_view to_string(WriteKind k) {
  switch (k) {
    case WriteKind::kUpdateOne:
      return "update_one";
    case WriteKind::kFindOneAndUpdate:
      return "find_one_and_update";
    case WriteKind::kInstanceSave:
      return "save";
    case WriteKind::kInsert:
      return "insert_one";
  }
  return "?";
}

std::uint64_t History::invoke(OperationRecord op) {
  op.index = operations_.size();
  operations_.push_back(std::move(op));
  return operations_.back().index;
}

void History::complete(std::uint64_t index, Nanos time_ns, OpOutcome outcome,
                       model::ErrorClass error, std::string message) {
  OperationRecord& op = operations_.at(index);
  assert(op.outcome == OpOutcome::kPending);
  assert(outcome != OpOutcome::kPending);
  op.complete_ns = time_ns;
  op.outcome = outcome;
  op.error_class = error;
  op.message = std::move(message);
}

void History::add_commit(CommitRecord commit) {
  commit.index = commits_.size();
  commits_.push_back(std::move(commit));
}

}  // namespace tracksim::sim

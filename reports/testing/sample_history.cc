// The hand-built sample run; see sample_history.h.
#include "reports/testing/sample_history.h"

namespace tracksim::reports::testing {
namespace {

using model::DeliveryStatus;
using model::ErrorClass;
using model::OperationKind;

void operation(sim::History& h, const std::string& id, const std::string& delivery,
               OperationKind kind, Nanos invoke_ns, Nanos complete_ns, sim::OpOutcome outcome,
               ErrorClass error, int client_attempts, int server_attempts) {
  sim::OperationRecord op;
  op.operation_id = id;
  op.client = "driver-1";
  op.delivery_id = delivery;
  op.kind = kind;
  op.target_status = DeliveryStatus::kAtPickup;
  op.invoke_ns = invoke_ns;
  op.client_attempts = client_attempts;
  op.server_attempts = server_attempts;
  const std::uint64_t i = h.invoke(std::move(op));
  if (outcome != sim::OpOutcome::kPending) {
    h.complete(i, complete_ns, outcome, error, std::string("message ") + kHostile);
  }
}

sim::CommitRecord commit(Nanos time_ns, const std::string& delivery, std::int64_t version,
                         std::string owner_before, std::optional<Nanos> until_before,
                         std::string owner_after, std::optional<Nanos> until_after) {
  sim::CommitRecord c;
  c.time_ns = time_ns;
  c.delivery_id = delivery;
  c.kind = sim::WriteKind::kFindOneAndUpdate;
  c.operation_id = owner_after.empty() ? owner_before : owner_after;
  c.version_before = version;
  c.version_after = version;
  c.lock_owner_before = std::move(owner_before);
  c.lock_until_before = until_before;
  c.lock_owner_after = std::move(owner_after);
  c.lock_until_after = until_after;
  return c;
}

}  // namespace

SampleRun sample_run() {
  SampleRun run;
  run.scenario.name = kHostile;
  run.scenario.path = "scenarios/sample.toml";
  run.scenario.description = std::string("a sample ") + kHostile;

  sim::History& h = run.world.history;
  const std::string hostile_delivery = std::string("delivery-") + kHostile;
  operation(h, "op-ok", "delivery-1", OperationKind::kUpdateStatus, millis(0), millis(100),
            sim::OpOutcome::kOk, ErrorClass::kNone, 1, 1);
  operation(h, "op-pse", "delivery-1", OperationKind::kUpdateLocation, millis(5), millis(60),
            sim::OpOutcome::kFail, ErrorClass::kParallelSaveError, 1, 3);
  operation(h, "op-timeout", "delivery-1", OperationKind::kUpdateLocation, millis(10),
            millis(20010), sim::OpOutcome::kUnknown, ErrorClass::kNetworkTimeout, 3, 0);
  operation(h, std::string("op-") + kHostile, hostile_delivery, OperationKind::kCompleteDelivery,
            millis(50), millis(250), sim::OpOutcome::kOk, ErrorClass::kNone, 2, 2);
  operation(h, "op-pending", hostile_delivery, OperationKind::kUpdateLocation, millis(300), 0,
            sim::OpOutcome::kPending, ErrorClass::kNone, 1, 0);

  // delivery-1: a lease released by its own commit; then one left to expire and taken over.
  h.add_commit(commit(millis(10), "delivery-1", 0, "", std::nullopt, "op-ok", millis(30010)));
  sim::CommitRecord applied =
      commit(millis(90), "delivery-1", 0, "op-ok", millis(30010), "", std::nullopt);
  applied.version_after = 1;
  applied.changed_fields = true;
  applied.status_before = DeliveryStatus::kAssigned;
  applied.status_after = DeliveryStatus::kHeadingToPickup;
  h.add_commit(applied);
  h.add_commit(commit(millis(200), "delivery-1", 1, "", std::nullopt, "op-pse", millis(400)));
  h.add_commit(
      commit(millis(900), "delivery-1", 1, "op-pse", millis(400), "op-timeout", millis(30900)));

  h.add_fault(sim::FaultRecord{
      .time_ns = millis(150), .kind = "partition", .target = kHostile, .duration_ns = millis(500)});
  h.add_document_event(sim::DocumentEvent{.time_ns = millis(31000),
                                          .delivery_id = "delivery-1",
                                          .kind = sim::DocumentEventKind::kDeletedByTtl,
                                          .detail = kHostile});

  run.world.probes = {{"lock.busy", 2}, {"world.only_probe", 1}};
  run.world.digest = 0x1234;
  run.world.trace_lines = 42;

  properties::PropertyResult holds;
  holds.name = "valid_transitions";
  properties::PropertyResult broken;
  broken.name = "no_lost_update";
  broken.holds = false;
  properties::Witness witness;
  witness.explanation = std::string("lost ") + kHostile;
  witness.operations = {1};
  witness.commits = {3};
  broken.witnesses.push_back(witness);
  broken.violations = 3;
  run.properties = {holds, broken};
  return run;
}

}  // namespace tracksim::reports::testing

// Each checker on small hand-built histories: one that holds, and one that breaks it with the
// witnesses named. The histories are what the world would record for the situation described.
#include "properties/checkers.h"

#include <gtest/gtest.h>

#include <set>

#include "model/status_machine.h"

namespace tracksim::properties {
namespace {

using model::DeliveryStatus;
using model::ErrorClass;
using model::OperationKind;
using sim::CommitRecord;
using sim::OperationRecord;
using sim::OpOutcome;
using sim::WriteKind;

model::Location at(Nanos device_time_ns) {
  return model::Location{
      .lat = 48.85, .lng = 2.35, .accuracy_m = 5, .device_time_ns = device_time_ns};
}

model::DeliveryTracking delivery(DeliveryStatus status = DeliveryStatus::kAssigned) {
  model::DeliveryTracking doc;
  doc.id = "delivery-1";
  doc.driver_id = "driver-1";
  doc.status = status;
  doc.status_history.push_back(
      {.status = status, .note = "", .location = {}, .time_ns = 0, .operation_id = ""});
  return doc;
}

// A world whose history the test fills in; the initial and final document start equal.
class CheckersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    initial_ = delivery();
    final_ = initial_;
  }

  std::uint64_t operation(const std::string& id, OperationKind kind, OpOutcome outcome,
                          DeliveryStatus target = DeliveryStatus::kPending,
                          std::vector<model::Location> locations = {},
                          ErrorClass error = ErrorClass::kNone, Nanos invoke_ns = 0,
                          Nanos complete_ns = millis(100)) {
    OperationRecord op;
    op.operation_id = id;
    op.client = "driver-1";
    op.delivery_id = "delivery-1";
    op.kind = kind;
    op.target_status = target;
    op.locations = std::move(locations);
    op.invoke_ns = invoke_ns;
    const std::uint64_t index = history().invoke(op);
    if (outcome != OpOutcome::kPending) {
      history().complete(index, complete_ns, outcome, error, "");
    }
    return index;
  }

  // A content commit by `writer` moving the version on by one and the status to `status_after`.
  CommitRecord& commit(const std::string& writer, DeliveryStatus status_after,
                       std::optional<model::Location> location_after = std::nullopt,
                       std::size_t history_size_after = 2) {
    CommitRecord c;
    c.time_ns = millis(10) * static_cast<Nanos>(history().commits().size() + 1);
    c.delivery_id = "delivery-1";
    c.kind = WriteKind::kUpdateOne;
    c.operation_id = writer;
    c.version_before = version_;
    c.version_after = ++version_;
    c.version_checked = true;
    c.changed_fields = true;
    c.status_before = status_;
    c.status_after = status_after;
    status_ = status_after;
    c.location_after = location_after;
    c.status_history_size_after = history_size_after;
    c.operations_applied = {writer};
    history().add_commit(c);
    return last_commit();
  }

  // The lock taken by `owner` until `until_ns`, from whoever held it.
  CommitRecord& acquire(const std::string& owner, Nanos at_ns, Nanos until_ns) {
    CommitRecord c;
    c.time_ns = at_ns;
    c.delivery_id = "delivery-1";
    c.kind = WriteKind::kFindOneAndUpdate;
    c.operation_id = owner;
    c.version_before = version_;
    c.version_after = version_;
    c.status_before = status_;
    c.status_after = status_;
    c.lock_owner_before = lock_owner_;
    c.lock_until_before = lock_until_;
    c.lock_owner_after = owner;
    c.lock_until_after = until_ns;
    lock_owner_ = owner;
    lock_until_ = until_ns;
    history().add_commit(c);
    return last_commit();
  }

  CommitRecord& last_commit() { return const_cast<CommitRecord&>(history().commits().back()); }

  sim::History& history() { return world_.history; }

  PropertyResult check(const std::string& name) {
    world_.history.set_initial_documents({{initial_.id, initial_}});
    world_.history.set_final_documents({{final_.id, final_}});
    return check_property(name, scenario_, world_);
  }

  sim::Scenario scenario_;
  sim::WorldResult world_;
  model::DeliveryTracking initial_;
  model::DeliveryTracking final_;
  std::int64_t version_ = 0;
  DeliveryStatus status_ = DeliveryStatus::kAssigned;
  std::string lock_owner_;
  std::optional<Nanos> lock_until_;
};

TEST_F(CheckersTest, CatalogueNamesEveryCheckerOnceAndRejectsUnknownNames) {
  std::set<std::string> names;
  for (const PropertyInfo& p : property_catalogue()) {
    EXPECT_TRUE(names.insert(p.name).second) << p.name;
    EXPECT_FALSE(p.description.empty()) << p.name;
  }
  EXPECT_EQ(names.size(), 15u);  // as docs/properties.md lists them
  EXPECT_EQ(unknown_property_name({"all", "no_lost_update"}), "");
  EXPECT_EQ(unknown_property_name({"no_lost_updates"}), "no_lost_updates");
}

TEST_F(CheckersTest, EmptyHistoryHoldsEverything) {
  scenario_.properties = {"all"};
  world_.history.set_initial_documents({{initial_.id, initial_}});
  world_.history.set_final_documents({{final_.id, final_}});
  for (const PropertyResult& r : check_properties(scenario_, world_)) {
    EXPECT_TRUE(r.holds) << r.name << ": " << r.witnesses.front().explanation;
  }
}

TEST_F(CheckersTest, AcknowledgedStatusMissingFromFinalHistoryIsALostUpdate) {
  const auto op = operation("a", OperationKind::kUpdateStatus, OpOutcome::kOk,
                            DeliveryStatus::kHeadingToPickup);
  commit("a", DeliveryStatus::kHeadingToPickup);
  // A later writer that never read "a" put back the old history.
  commit("b", DeliveryStatus::kAssigned, std::nullopt, 1);
  final_.status = DeliveryStatus::kAssigned;

  const PropertyResult r = check("no_lost_update");
  ASSERT_FALSE(r.holds);
  EXPECT_EQ(r.violations, 2u);  // the acknowledged operation, and the shrinking commit
  EXPECT_EQ(r.witnesses[0].operations, std::vector<std::uint64_t>{op});
  EXPECT_EQ(r.witnesses[0].commits, std::vector<std::uint64_t>{0});
  EXPECT_EQ(r.witnesses[1].commits, std::vector<std::uint64_t>{1});
}

TEST_F(CheckersTest, AcknowledgedStatusInFinalHistoryHolds) {
  operation("a", OperationKind::kUpdateStatus, OpOutcome::kOk, DeliveryStatus::kHeadingToPickup);
  commit("a", DeliveryStatus::kHeadingToPickup);
  final_.status = DeliveryStatus::kHeadingToPickup;
  final_.status_history.push_back({.status = DeliveryStatus::kHeadingToPickup,
                                   .note = "",
                                   .location = {},
                                   .time_ns = 1,
                                   .operation_id = "a"});
  EXPECT_TRUE(check("no_lost_update").holds);
}

TEST_F(CheckersTest, AcknowledgedPositionOlderThanTheFinalOneIsSupersededNotLost) {
  operation("old", OperationKind::kUpdateLocation, OpOutcome::kOk, {}, {at(seconds(5))});
  final_.current_location = at(seconds(10));
  EXPECT_TRUE(check("no_lost_update").holds);

  operation("new", OperationKind::kUpdateLocation, OpOutcome::kOk, {}, {at(seconds(15))});
  const PropertyResult r = check("no_lost_update");
  ASSERT_FALSE(r.holds);
  EXPECT_EQ(r.witnesses[0].operations, std::vector<std::uint64_t>{1});
}

TEST_F(CheckersTest, UnacknowledgedOperationsPromiseNothing) {
  operation("t", OperationKind::kUpdateLocation, OpOutcome::kUnknown, {}, {at(seconds(15))},
            ErrorClass::kNetworkTimeout);
  operation("f", OperationKind::kUpdateStatus, OpOutcome::kFail, DeliveryStatus::kAtPickup, {},
            ErrorClass::kInvalidTransition);
  EXPECT_TRUE(check("no_lost_update").holds);
}

TEST_F(CheckersTest, TransitionOutOfTerminalStatusIsInvalid) {
  commit("done", DeliveryStatus::kHeadingToPickup);
  status_ = DeliveryStatus::kDelivered;  // as if delivered meanwhile
  commit("auto", DeliveryStatus::kAtDropoff);
  const PropertyResult r = check("valid_transitions");
  ASSERT_FALSE(r.holds);
  EXPECT_EQ(r.violations, 1u);
  EXPECT_NE(r.witnesses[0].explanation.find("terminal"), std::string::npos);
  EXPECT_EQ(r.witnesses[0].commits, std::vector<std::uint64_t>{1});
}

TEST_F(CheckersTest, InvalidStepInsideOneCommitIsFoundInTheFinalHistory) {
  // One commit went assigned -> at_pickup -> assigned: no status change at commit level.
  final_.status_history.push_back({.status = DeliveryStatus::kAtPickup,
                                   .note = "",
                                   .location = {},
                                   .time_ns = 1,
                                   .operation_id = "x"});
  final_.status_history.push_back({.status = DeliveryStatus::kAssigned,
                                   .note = "",
                                   .location = {},
                                   .time_ns = 1,
                                   .operation_id = "x"});
  const PropertyResult r = check("valid_transitions");
  ASSERT_FALSE(r.holds);
  EXPECT_EQ(r.violations, 2u);
}

TEST_F(CheckersTest, VersionMustRiseByOneOnContentAndStayOnLockOnlyWrites) {
  commit("a", DeliveryStatus::kHeadingToPickup);
  acquire("b", millis(20), millis(30'020));
  EXPECT_TRUE(check("version_increments_by_one").holds);

  CommitRecord& skip = commit("c", DeliveryStatus::kAtPickup);
  skip.version_after = skip.version_before + 2;
  const PropertyResult r = check("version_increments_by_one");
  ASSERT_FALSE(r.holds);
  EXPECT_EQ(r.witnesses[0].commits, std::vector<std::uint64_t>{2});
}

TEST_F(CheckersTest, ReusedVersionIsReported) {
  commit("a", DeliveryStatus::kHeadingToPickup);
  version_ = 0;  // storage handed out version 1 again
  commit("b", DeliveryStatus::kAtPickup);
  const PropertyResult r = check("version_increments_by_one");
  ASSERT_FALSE(r.holds);
  bool reused = false;
  for (const Witness& w : r.witnesses) {
    reused = reused || w.explanation.find("a second time") != std::string::npos;
  }
  EXPECT_TRUE(reused);
}

TEST_F(CheckersTest, ParallelSaveErrorAnsweredToAnyClientIsReported) {
  const auto op = operation("a", OperationKind::kUpdateLocation, OpOutcome::kFail, {},
                            {at(seconds(1))}, ErrorClass::kParallelSaveError);
  history().add_server_request({.index = 0,
                                .operation_id = "a",
                                .client = "driver-1",
                                .delivery_id = "delivery-1",
                                .kind = OperationKind::kUpdateLocation,
                                .start_ns = 0,
                                .end_ns = millis(5),
                                .error_class = ErrorClass::kParallelSaveError,
                                .attempts = 1});
  const PropertyResult r = check("no_parallel_save_error");
  ASSERT_FALSE(r.holds);
  EXPECT_EQ(r.violations, 1u);  // the request and its operation are one violation
  EXPECT_EQ(r.witnesses[0].operations, std::vector<std::uint64_t>{op});
}

TEST_F(CheckersTest, TakingALiveLeaseMakesTwoHolders) {
  acquire("a", millis(0), seconds(30));
  acquire("b", seconds(10), seconds(40));
  const PropertyResult r = check("single_lock_holder");
  ASSERT_FALSE(r.holds);
  EXPECT_NE(r.witnesses[0].explanation.find("20000.0 ms left"), std::string::npos);
}

TEST_F(CheckersTest, TakingAnExpiredLeaseIsAllowedButTheOldHolderMayNotCommitAfterwards) {
  acquire("a", millis(0), seconds(30));
  acquire("b", seconds(31), seconds(61));
  EXPECT_TRUE(check("single_lock_holder").holds);

  commit("a", DeliveryStatus::kHeadingToPickup);  // a resumes and writes anyway
  const PropertyResult r = check("single_lock_holder");
  ASSERT_FALSE(r.holds);
  EXPECT_NE(r.witnesses[0].explanation.find("after b had taken"), std::string::npos);
}

TEST_F(CheckersTest, OperationAppliedByTwoCommitsIsReportedEvenIfItsIdWasAlreadyPresent) {
  commit("a", DeliveryStatus::kAssigned, at(seconds(1)));
  // The second application does not add "a" to the window (it is there); the writer tag shows it.
  CommitRecord& again = commit("a", DeliveryStatus::kAssigned, at(seconds(1)));
  again.operations_applied.clear();
  const PropertyResult r = check("operation_applied_at_most_once");
  ASSERT_FALSE(r.holds);
  EXPECT_EQ(r.witnesses[0].commits, (std::vector<std::uint64_t>{0, 1}));
}

TEST_F(CheckersTest, RequestAnsweredWhileItsLeaseIsStillLiveLeftTheLockBehind) {
  acquire("a", millis(10), seconds(30));
  history().add_server_request({.index = 0,
                                .operation_id = "a",
                                .client = "driver-1",
                                .delivery_id = "delivery-1",
                                .kind = OperationKind::kUpdateLocation,
                                .start_ns = millis(5),
                                .end_ns = millis(20),
                                .error_class = ErrorClass::kNone,
                                .attempts = 1});
  const PropertyResult r = check("lock_released_by_holder");
  ASSERT_FALSE(r.holds);
  EXPECT_EQ(r.witnesses[0].commits, std::vector<std::uint64_t>{0});

  // Under random storage faults a release may fail by no fault of the code: nothing is claimed.
  scenario_.storage.server_error_rate = 0.1;
  EXPECT_TRUE(check("lock_released_by_holder").holds);
}

TEST_F(CheckersTest, ReleasedOrExpiredLocksAndSiblingHandlersAreFine) {
  acquire("a", millis(10), millis(50));  // the lease ends before the answer
  history().add_server_request({.index = 0,
                                .operation_id = "a",
                                .client = "driver-1",
                                .delivery_id = "delivery-1",
                                .kind = OperationKind::kUpdateLocation,
                                .start_ns = millis(5),
                                .end_ns = millis(60),
                                .error_class = ErrorClass::kLockTimeout,
                                .attempts = 3});
  EXPECT_TRUE(check("lock_released_by_holder").holds);

  acquire("b", millis(100), seconds(30));
  // Two handlers of b: the first answers while the second, same name, holds the lock.
  history().add_server_request({.index = 0,
                                .operation_id = "b",
                                .client = "driver-1",
                                .delivery_id = "delivery-1",
                                .kind = OperationKind::kUpdateLocation,
                                .start_ns = millis(90),
                                .end_ns = millis(120),
                                .error_class = ErrorClass::kLockTimeout,
                                .attempts = 3});
  history().add_server_request({.index = 0,
                                .operation_id = "b",
                                .client = "driver-1",
                                .delivery_id = "delivery-1",
                                .kind = OperationKind::kUpdateLocation,
                                .start_ns = millis(95),
                                .end_ns = millis(200),
                                .error_class = ErrorClass::kNone,
                                .attempts = 1});
  commit("b", DeliveryStatus::kAssigned, at(seconds(1)));
  last_commit().time_ns = millis(150);
  last_commit().lock_owner_before = "b";
  EXPECT_TRUE(check("lock_released_by_holder").holds);
}

TEST_F(CheckersTest, IdenticalBackoffDelaysOfTwoWritersAreLockstep) {
  // Each writer: a lock attempt, a read, then the backoff, then the next lock attempt.
  auto attempt = [&](std::uint64_t fiber, const std::string& owner, Nanos sent_ns) {
    history().add_store_call({.index = 0,
                              .kind = sim::StoreCallKind::kLockAcquire,
                              .delivery_id = "delivery-1",
                              .operation_id = owner,
                              .fiber = fiber,
                              .sent_ns = sent_ns,
                              .answered_ns = sent_ns + millis(4),
                              .matched = false,
                              .error_class = ErrorClass::kNone});
    history().add_store_call({.index = 0,
                              .kind = sim::StoreCallKind::kFindById,
                              .delivery_id = "delivery-1",
                              .operation_id = "",
                              .fiber = fiber,
                              .sent_ns = sent_ns + millis(4),
                              .answered_ns = sent_ns + millis(8),
                              .matched = true,
                              .error_class = ErrorClass::kNone});
  };
  attempt(1, "a", 0);
  attempt(2, "b", millis(3));
  attempt(1, "a", millis(8) + millis(100));
  attempt(2, "b", millis(11) + millis(37));
  EXPECT_TRUE(check("backoff_jittered").holds);

  attempt(3, "c", millis(5));
  attempt(3, "c", millis(13) + millis(100));  // c waited exactly as long as a
  const PropertyResult r = check("backoff_jittered");
  ASSERT_FALSE(r.holds);
  EXPECT_NE(r.witnesses[0].explanation.find("100.0 ms before retry 1"), std::string::npos);

  scenario_.backend.atomic.jitter = model::Jitter::kNone;  // configured without jitter: no claim
  EXPECT_TRUE(check("backoff_jittered").holds);
}

TEST_F(CheckersTest, DocumentMissingWithoutARecordedDeletionIsLost) {
  world_.history.set_initial_documents({{initial_.id, initial_}});
  world_.history.set_final_documents({});
  const PropertyResult r = check_property("no_document_lost", scenario_, world_);
  ASSERT_FALSE(r.holds);
  EXPECT_NE(r.witnesses[0].explanation.find("missing"), std::string::npos);
}

TEST_F(CheckersTest, TtlDeletionLosesADocument) {
  world_.history.add_document_event({.time_ns = seconds(120),
                                     .delivery_id = "delivery-1",
                                     .kind = sim::DocumentEventKind::kDeletedByTtl,
                                     .detail = "operationLock expired"});
  EXPECT_FALSE(check("no_document_lost").holds);
}

TEST_F(CheckersTest, PositionMovingBackInDeviceTimeIsReported) {
  commit("a", DeliveryStatus::kAssigned, at(seconds(10)));
  commit("b", DeliveryStatus::kAssigned, at(seconds(12)));
  EXPECT_TRUE(check("location_never_moves_back").holds);
  commit("c", DeliveryStatus::kAssigned, at(seconds(5)));
  const PropertyResult r = check("location_never_moves_back");
  ASSERT_FALSE(r.holds);
  EXPECT_EQ(r.witnesses[0].commits, std::vector<std::uint64_t>{2});
}

TEST_F(CheckersTest, SubscriberOrderDuplicatesAndFinalState) {
  auto receipt = [&](model::RoomEvent::Kind kind, const std::string& op, std::int64_t version,
                     DeliveryStatus status) {
    history().add_receipt({.index = 0,
                           .time_ns = 0,
                           .subscriber = "customer",
                           .delivery_id = "delivery-1",
                           .kind = kind,
                           .operation_id = op,
                           .version = version,
                           .status = status,
                           .location = {}});
  };
  receipt(model::RoomEvent::Kind::kStatus, "a", 1, DeliveryStatus::kHeadingToPickup);
  receipt(model::RoomEvent::Kind::kLocation, "b", 2, DeliveryStatus::kHeadingToPickup);
  history().add_subscription_at_end({.subscriber = "customer", .delivery_id = "delivery-1"});
  final_.status = DeliveryStatus::kHeadingToPickup;
  final_.version = 2;
  EXPECT_TRUE(check("subscribers_in_order").holds);

  receipt(model::RoomEvent::Kind::kLocation, "b", 2, DeliveryStatus::kHeadingToPickup);
  receipt(model::RoomEvent::Kind::kStatus, "a", 1, DeliveryStatus::kHeadingToPickup);
  final_.status = DeliveryStatus::kAtPickup;
  const PropertyResult r = check("subscribers_in_order");
  ASSERT_FALSE(r.holds);
  EXPECT_EQ(r.violations, 4u);  // a duplicate, an old version, a second duplicate, the end state
}

TEST_F(CheckersTest, MonitoringMustCountWhatTheServerRecorded) {
  history().add_server_request({.index = 0,
                                .operation_id = "a",
                                .client = "driver-1",
                                .delivery_id = "delivery-1",
                                .kind = OperationKind::kUpdateLocation,
                                .start_ns = 0,
                                .end_ns = millis(7),
                                .error_class = ErrorClass::kNone,
                                .attempts = 2});
  sim::MonitoringSnapshot m;
  m.totals.requests = 1;
  m.totals.successes = 1;
  m.totals.retried_requests = 1;
  m.totals.extra_attempts = 1;
  m.totals.by_error_class[0] = 1;
  m.totals.latency.sum_ns = millis(7);
  m.by_kind[static_cast<std::size_t>(OperationKind::kUpdateLocation)] = m.totals;
  m.cumulative.requests = 1;
  world_.monitoring = m;
  EXPECT_TRUE(check("monitoring_matches_history").holds);

  world_.monitoring->totals.successes = 0;
  const PropertyResult r = check("monitoring_matches_history");
  ASSERT_FALSE(r.holds);
  EXPECT_NE(r.witnesses[0].explanation.find("successes"), std::string::npos);
}

TEST_F(CheckersTest, LivenessWantsSuccessVerdictOrContentionOnceFaultsAreOver) {
  scenario_.backend.atomic.lock_timeout_ns = seconds(30);
  scenario_.request_timeout_ns = seconds(10);
  scenario_.storage.socket_timeout_ns = seconds(10);
  world_.outcome.end_time_ns = seconds(600);
  world_.history.add_fault({.time_ns = seconds(10),
                            .kind = "storage_failover",
                            .target = "*",
                            .duration_ns = seconds(5)});
  // Quiet from 15 + 30 + 10 = 55 s on.
  operation("during", OperationKind::kUpdateLocation, OpOutcome::kFail, {}, {at(1)},
            ErrorClass::kServerError, seconds(12), seconds(13));
  operation("refused", OperationKind::kUpdateStatus, OpOutcome::kFail, DeliveryStatus::kDelivered,
            {}, ErrorClass::kInvalidTransition, seconds(60), seconds(61));
  EXPECT_TRUE(check("liveness_after_faults").holds);

  operation("lost", OperationKind::kUpdateLocation, OpOutcome::kFail, {}, {at(2)},
            ErrorClass::kLockTimeout, seconds(65), seconds(66));
  EXPECT_TRUE(check("liveness_after_faults").holds);

  operation("stuck", OperationKind::kUpdateLocation, OpOutcome::kUnknown, {}, {at(2)},
            ErrorClass::kNetworkTimeout, seconds(70), seconds(110));
  operation("never", OperationKind::kUpdateLocation, OpOutcome::kPending, {}, {at(3)},
            ErrorClass::kNone, seconds(80));
  const PropertyResult r = check("liveness_after_faults");
  ASSERT_FALSE(r.holds);
  EXPECT_EQ(r.violations, 2u);
}

}  // namespace
}  // namespace tracksim::properties

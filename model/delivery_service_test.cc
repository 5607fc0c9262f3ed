// The fixed backend end to end on the in-memory ports: each operation, validation, idempotency,
// stale positions, automatic transitions, room events, and building backends by configuration.
#include "model/delivery_service.h"

#include <gtest/gtest.h>

#include "model/backend.h"
#include "model/mutants.h"
#include "model/probe_names.h"
#include "model/status_machine.h"
#include "model/testing/in_memory_store.h"

namespace tracksim::model {
namespace {

using S = DeliveryStatus;

Location at(const GeoPoint& p, double metres_north, Nanos device_time_ns) {
  return Location{.lat = p.lat + metres_north / 111'195.08,
                  .lng = p.lng,
                  .accuracy_m = 5,
                  .device_time_ns = device_time_ns};
}

class DeliveryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { reset(S::kAssigned); }

  void reset(S status) {
    world.store.put(testing::make_delivery("d1", world.clock.now(), status));
    backend = make_backend(config, world.ports());
    ASSERT_NE(backend, nullptr);
  }

  ApiResponse status(S to, const std::string& op, std::vector<Location> locations = {}) {
    ApiRequest r;
    r.kind = OperationKind::kUpdateStatus;
    r.delivery_id = "d1";
    r.operation_id = op;
    r.status = to;
    r.note = "tap";
    r.locations = std::move(locations);
    return backend->handle(r);
  }

  ApiResponse location(std::vector<Location> positions, const std::string& op) {
    ApiRequest r;
    r.kind = OperationKind::kUpdateLocation;
    r.delivery_id = "d1";
    r.operation_id = op;
    r.locations = std::move(positions);
    return backend->handle(r);
  }

  ApiResponse complete(const std::string& op) {
    ApiRequest r;
    r.kind = OperationKind::kCompleteDelivery;
    r.delivery_id = "d1";
    r.operation_id = op;
    return backend->handle(r);
  }

  DeliveryTracking stored() { return *world.store.peek("d1"); }
  // A point far from both fences.
  GeoPoint elsewhere() { return GeoPoint{38.70, -9.20}; }

  testing::TestWorld world;
  BackendConfig config;
  std::unique_ptr<DeliveryBackend> backend;
};

TEST_F(DeliveryServiceTest, UpdateStatusFollowsTheForwardPathToDelivered) {
  const std::vector<S> path = {S::kHeadingToPickup, S::kAtPickup, S::kPickedUp,
                               S::kHeadingToDropoff, S::kAtDropoff};
  int n = 0;
  for (S to : path) {
    auto r = status(to, "op-" + std::to_string(++n));
    ASSERT_TRUE(r.success) << r.message;
    EXPECT_EQ(r.message, kMessageStatusUpdated);
    EXPECT_EQ(r.attempts, 1);
    ASSERT_TRUE(r.delivery_tracking.has_value());
    EXPECT_EQ(r.delivery_tracking->status, to);
    EXPECT_EQ(*r.delivery_tracking, stored());
  }
  auto done = complete("op-done");
  ASSERT_TRUE(done.success);
  EXPECT_EQ(done.message, kMessageDeliveryCompleted);
  EXPECT_EQ(stored().status, S::kDelivered);
  EXPECT_EQ(stored().version, 6);
  EXPECT_EQ(stored().status_history.size(), 7u);
  EXPECT_EQ(stored().status_history.back().operation_id, "op-done");
  EXPECT_EQ(stored().status_history.back().note, "Delivery completed");
}

TEST_F(DeliveryServiceTest, EveryInvalidTransitionIsRejectedAndChangesNothing) {
  for (int i = 0; i < kDeliveryStatusCount; ++i) {
    for (int j = 0; j < kDeliveryStatusCount; ++j) {
      const auto from = static_cast<S>(i);
      const auto to = static_cast<S>(j);
      if (is_allowed_transition(from, to)) continue;
      reset(from);
      const auto before = stored();
      auto r = status(to, "op");
      EXPECT_FALSE(r.success);
      EXPECT_EQ(r.error_class, ErrorClass::kInvalidTransition)
          << to_string(from) << " -> " << to_string(to);
      EXPECT_EQ(r.attempts, 1);
      EXPECT_EQ(stored(), before);
    }
  }
}

TEST_F(DeliveryServiceTest, CancelAndFailFromEveryNonTerminalStatus) {
  for (S to : {S::kCancelled, S::kFailed}) {
    for (int i = 0; i < kDeliveryStatusCount; ++i) {
      const auto from = static_cast<S>(i);
      reset(from);
      auto r = status(to, "op");
      EXPECT_EQ(r.success, !is_terminal(from)) << to_string(from) << " -> " << to_string(to);
    }
  }
}

TEST_F(DeliveryServiceTest, CompleteDeliveryOnlyFromAtDropoff) {
  reset(S::kHeadingToDropoff);
  auto early = complete("op-1");
  EXPECT_EQ(early.error_class, ErrorClass::kInvalidTransition);
  reset(S::kAtDropoff);
  EXPECT_TRUE(complete("op-2").success);
}

TEST_F(DeliveryServiceTest, RepeatedOperationIdSucceedsWithoutApplyingAgain) {
  ASSERT_TRUE(status(S::kHeadingToPickup, "op-1").success);
  const auto after_first = stored();
  world.room.events.clear();

  auto again = status(S::kHeadingToPickup, "op-1");

  EXPECT_TRUE(again.success);
  EXPECT_EQ(again.message, kMessageAlreadyApplied);
  EXPECT_EQ(again.operation_id, "op-1");
  EXPECT_EQ(stored(), after_first);
  EXPECT_EQ(*again.delivery_tracking, after_first);
  // Still the latest change, so it goes to the room again; the hub drops what it already sent.
  ASSERT_EQ(world.room.events.size(), 1u);
  EXPECT_EQ(world.room.events[0].operation_id, "op-1");
  EXPECT_EQ(world.room.events[0].version, after_first.version);
  EXPECT_EQ(world.probes.count(probe::kIdempotentDuplicate), 1);
}

TEST_F(DeliveryServiceTest, RepeatedOperationIdThatIsNoLongerTheLatestTellsTheRoomNothing) {
  ASSERT_TRUE(status(S::kHeadingToPickup, "op-1").success);
  ASSERT_TRUE(status(S::kAtPickup, "op-2").success);
  world.room.events.clear();

  auto again = status(S::kHeadingToPickup, "op-1");

  EXPECT_TRUE(again.success);
  EXPECT_EQ(again.message, kMessageAlreadyApplied);
  EXPECT_TRUE(world.room.events.empty());  // announcing it now would move the room backwards
}

TEST_F(DeliveryServiceTest, RetriedLocationAfterALostReplyIsStoredOnce) {
  bool lost = false;
  world.store.faults = [&](testing::StoreCall call,
                           const std::string&) -> std::optional<testing::InjectedFault> {
    if (call != testing::StoreCall::kUpdateOne || lost) return std::nullopt;
    lost = true;
    return testing::InjectedFault{.error_class = ErrorClass::kNetworkTimeout, .after_apply = true};
  };
  auto r = location({at(elsewhere(), 0, seconds(5))}, "loc-1");
  ASSERT_TRUE(r.success);
  EXPECT_EQ(r.message, kMessageAlreadyApplied);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(stored().version, 1);
}

TEST_F(DeliveryServiceTest, NewerPositionReplacesTheStoredOne) {
  ASSERT_TRUE(location({at(elsewhere(), 0, seconds(5))}, "loc-1").success);
  auto r = location({at(elsewhere(), 10, seconds(10))}, "loc-2");
  ASSERT_TRUE(r.success);
  EXPECT_EQ(r.message, kMessageLocationUpdated);
  EXPECT_EQ(stored().current_location->device_time_ns, seconds(10));
  EXPECT_EQ(stored().version, 2);
}

TEST_F(DeliveryServiceTest, OlderPositionIsDroppedWithoutAnError) {
  ASSERT_TRUE(location({at(elsewhere(), 0, seconds(15))}, "loc-4").success);
  world.room.events.clear();

  auto r = location({at(elsewhere(), 10, seconds(5))}, "loc-2");

  EXPECT_TRUE(r.success);
  EXPECT_EQ(r.error_class, ErrorClass::kNone);
  EXPECT_EQ(r.message, kMessageStaleLocation);
  EXPECT_EQ(stored().current_location->device_time_ns, seconds(15));
  EXPECT_EQ(stored().version, 1);
  EXPECT_FALSE(stored().operation_lock_ns.has_value());
  EXPECT_TRUE(world.room.events.empty());
  EXPECT_EQ(world.probes.count(probe::kLocationStaleDropped), 1);
}

TEST_F(DeliveryServiceTest, BatchKeepsOnlyPositionsNotOlderThanTheStoredOne) {
  ASSERT_TRUE(location({at(elsewhere(), 0, seconds(10))}, "loc-1").success);
  auto r = location({at(elsewhere(), 1, seconds(5)), at(elsewhere(), 2, seconds(12)),
                     at(elsewhere(), 3, seconds(11))},
                    "batch-1");
  ASSERT_TRUE(r.success);
  EXPECT_EQ(stored().current_location->device_time_ns, seconds(12));
  ASSERT_FALSE(world.room.events.empty());
  EXPECT_EQ(world.room.events.back().kind, RoomEvent::Kind::kLocation);
  EXPECT_EQ(world.room.events.back().locations.size(), 1u);
}

TEST_F(DeliveryServiceTest, PositionInsidePickupFenceMovesToAtPickupAutomatically) {
  reset(S::kHeadingToPickup);
  world.room.events.clear();
  const auto pickup = stored().pickup;

  auto r = location({at(pickup, 20, seconds(5))}, "loc-1");

  ASSERT_TRUE(r.success);
  EXPECT_EQ(stored().status, S::kAtPickup);
  EXPECT_EQ(stored().version, 1);
  EXPECT_EQ(stored().status_history.back().status, S::kAtPickup);
  EXPECT_EQ(stored().status_history.back().operation_id, "loc-1");
  EXPECT_EQ(world.probes.count(probe::kTransitionAutomatic), 1);
  ASSERT_EQ(world.room.events.size(), 2u);
  EXPECT_EQ(world.room.events[0].kind, RoomEvent::Kind::kLocation);
  EXPECT_EQ(world.room.events[1].kind, RoomEvent::Kind::kStatus);
  EXPECT_EQ(world.room.events[1].status, S::kAtPickup);
  EXPECT_EQ(world.room.events[1].version, 1);
}

TEST_F(DeliveryServiceTest, ManualTapAfterTheAutomaticTransitionIsInvalid) {
  // The seed's race: the geofence moved the delivery on, then the driver's own tap arrives.
  reset(S::kHeadingToPickup);
  ASSERT_TRUE(location({at(stored().pickup, 0, seconds(5))}, "loc-1").success);
  auto tap = status(S::kAtPickup, "tap-1");
  EXPECT_FALSE(tap.success);
  EXPECT_EQ(tap.error_class, ErrorClass::kInvalidTransition);
  ASSERT_FALSE(world.room.events.empty());
  EXPECT_EQ(world.room.events.back().kind, RoomEvent::Kind::kFailure);
  EXPECT_EQ(world.room.events.back().error_class, ErrorClass::kInvalidTransition);
}

TEST_F(DeliveryServiceTest, PositionInsideDropoffFenceMovesToAtDropoff) {
  reset(S::kHeadingToDropoff);
  ASSERT_TRUE(location({at(stored().dropoff, -30, seconds(5))}, "loc-1").success);
  EXPECT_EQ(stored().status, S::kAtDropoff);
}

TEST_F(DeliveryServiceTest, PositionInsideAFenceDoesNothingFromOtherStatuses) {
  reset(S::kPickedUp);
  ASSERT_TRUE(location({at(stored().pickup, 0, seconds(5))}, "loc-1").success);
  EXPECT_EQ(stored().status, S::kPickedUp);
  EXPECT_EQ(world.probes.count(probe::kTransitionAutomatic), 0);
}

TEST_F(DeliveryServiceTest, StatusChangeCarriesItsPositionIntoHistoryAndCurrentLocation) {
  auto r = status(S::kHeadingToPickup, "op-1", {at(elsewhere(), 0, seconds(3))});
  ASSERT_TRUE(r.success);
  ASSERT_TRUE(stored().status_history.back().location.has_value());
  EXPECT_EQ(stored().current_location->device_time_ns, seconds(3));
}

TEST_F(DeliveryServiceTest, TerminalStatusClosesTheRoom) {
  reset(S::kAtDropoff);
  world.room.events.clear();
  ASSERT_TRUE(complete("op-1").success);
  ASSERT_EQ(world.room.events.size(), 2u);
  EXPECT_EQ(world.room.events[0].kind, RoomEvent::Kind::kStatus);
  EXPECT_EQ(world.room.events[1].kind, RoomEvent::Kind::kClosed);
  EXPECT_EQ(world.room.events[1].operation_id, "op-1");
}

TEST_F(DeliveryServiceTest, MalformedRequestsAreValidationErrors) {
  ApiRequest r;
  r.kind = OperationKind::kUpdateLocation;
  r.operation_id = "x";
  r.locations = {at(elsewhere(), 0, 1)};
  EXPECT_EQ(backend->handle(r).error_class, ErrorClass::kValidationError);  // no delivery id

  r.delivery_id = "d1";
  r.locations.clear();
  EXPECT_EQ(backend->handle(r).error_class, ErrorClass::kValidationError);  // empty batch

  r.locations = {Location{.lat = 91, .lng = 0, .accuracy_m = 1, .device_time_ns = 1}};
  EXPECT_EQ(backend->handle(r).error_class, ErrorClass::kValidationError);
  r.locations = {Location{.lat = 0, .lng = 0, .accuracy_m = -1, .device_time_ns = 1}};
  EXPECT_EQ(backend->handle(r).error_class, ErrorClass::kValidationError);
  EXPECT_EQ(stored().version, 0);
  EXPECT_EQ(world.store.calls(testing::StoreCall::kFindOneAndUpdate), 0);
}

TEST_F(DeliveryServiceTest, UnknownDeliveryIsDocumentNotFound) {
  ApiRequest r;
  r.kind = OperationKind::kUpdateLocation;
  r.delivery_id = "ghost";
  r.operation_id = "x";
  r.locations = {at(elsewhere(), 0, 1)};
  auto response = backend->handle(r);
  EXPECT_EQ(response.error_class, ErrorClass::kDocumentNotFound);
  EXPECT_FALSE(response.success);
}

TEST_F(DeliveryServiceTest, RequestWithoutOperationIdGetsAServerMadeOne) {
  auto r = status(S::kHeadingToPickup, "");
  ASSERT_TRUE(r.success);
  EXPECT_EQ(r.operation_id.rfind("server_", 0), 0u);
  EXPECT_EQ(stored().last_operation_id, r.operation_id);
}

TEST_F(DeliveryServiceTest, LockTimeoutReachesTheClientAfterRetries) {
  auto doc = stored();
  doc.operation_lock_ns = world.clock.now() + seconds(30);
  doc.lock_owner = "someone";
  world.store.put(doc);
  auto r = status(S::kHeadingToPickup, "op-1");
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error_class, ErrorClass::kLockTimeout);
  EXPECT_EQ(r.attempts, config.atomic.retry_max_attempts);
}

// --- Planted bugs that live in the handlers ---------------------------------------------------

TEST_F(DeliveryServiceTest, MutantAcceptStaleLocationMovesThePositionBack) {
  config.mutants = {"accept_stale_location"};
  reset(S::kAssigned);
  ASSERT_TRUE(location({at(elsewhere(), 0, seconds(15))}, "loc-4").success);
  ASSERT_TRUE(location({at(elsewhere(), 0, seconds(5))}, "loc-2").success);
  EXPECT_EQ(stored().current_location->device_time_ns, seconds(5));
}

TEST_F(DeliveryServiceTest, MutantAutoTransitionSkipsValidationLeavesATerminalStatus) {
  config.mutants = {"auto_transition_skips_validation"};
  reset(S::kDelivered);
  ASSERT_TRUE(location({at(stored().dropoff, 0, seconds(5))}, "loc-1").success);
  EXPECT_EQ(stored().status, S::kAtDropoff);
}

// --- Building backends ----------------------------------------------------------------------

TEST(MakeBackend, RejectsUnknownMutantsAndSaysWhich) {
  testing::TestWorld world;
  BackendConfig config;
  config.mutants = {"no_jitter", "flux_capacitor"};
  EXPECT_EQ(make_backend(config, world.ports()), nullptr);
  auto valid = validate_backend_config(config);
  ASSERT_FALSE(valid.ok());
  EXPECT_EQ(valid.error_class(), ErrorClass::kValidationError);
  EXPECT_NE(valid.error().message.find("flux_capacitor"), std::string::npos);
}

TEST(MakeBackend, AcceptsEveryCataloguedMutant) {
  testing::TestWorld world;
  for (const auto& m : mutant_catalogue()) {
    BackendConfig config;
    config.mutants = {std::string(m.name)};
    EXPECT_TRUE(validate_backend_config(config).ok()) << m.name;
    EXPECT_NE(make_backend(config, world.ports()), nullptr) << m.name;
  }
}

TEST(MakeBackend, RejectsOutOfRangeKnobs) {
  BackendConfig config;
  config.atomic.retry_max_attempts = 0;
  EXPECT_FALSE(validate_backend_config(config).ok());
  config = BackendConfig{};
  config.atomic.backoff_cap_ns = config.atomic.backoff_base_ns - 1;
  EXPECT_FALSE(validate_backend_config(config).ok());
  config = BackendConfig{};
  config.geofence_radius_m = -1;
  EXPECT_FALSE(validate_backend_config(config).ok());
}

TEST(Names, RoundTrip) {
  for (Jitter j : {Jitter::kNone, Jitter::kFull, Jitter::kEqual, Jitter::kDecorrelated}) {
    EXPECT_EQ(jitter_from_string(to_string(j)), j);
  }
  EXPECT_EQ(to_string(Jitter::kDecorrelated), "decorrelated");
  EXPECT_EQ(jitter_from_string("bogus"), std::nullopt);
  for (Implementation i : {Implementation::kFixed, Implementation::kLegacy}) {
    EXPECT_EQ(implementation_from_string(to_string(i)), i);
  }
  for (int k = 0; k < kOperationKindCount; ++k) {
    const auto kind = static_cast<OperationKind>(k);
    EXPECT_EQ(operation_kind_from_string(to_string(kind)), kind);
  }
  EXPECT_EQ(to_string(OperationKind::kUpdateStatus), "updateStatus");
}

}  // namespace
}  // namespace tracksim::model

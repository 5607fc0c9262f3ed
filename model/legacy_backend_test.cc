// The legacy backend meets ParallelSaveError exactly where Mongoose's rules say it must, and has
// none of the fix's guarantees.
#include "model/legacy_backend.h"

#include <gtest/gtest.h>

#include "model/monitoring.h"
#include "model/probe_names.h"
#include "model/testing/in_memory_store.h"

namespace tracksim::model {
namespace {

using S = DeliveryStatus;

Location near(const GeoPoint& p, double metres_north, Nanos device_time_ns) {
  return Location{.lat = p.lat + metres_north / 111'195.08,
                  .lng = p.lng,
                  .accuracy_m = 5,
                  .device_time_ns = device_time_ns};
}

class LegacyBackendTest : public ::testing::Test {
 protected:
  void SetUp() override { reset(S::kAssigned); }

  void reset(S status) {
    world.store.put(testing::make_delivery("d1", world.clock.now(), status));
    config.implementation = Implementation::kLegacy;
    backend = make_backend(config, world.ports());
    ASSERT_NE(backend, nullptr);
  }

  ApiRequest status_request(S to, const std::string& op) {
    ApiRequest r;
    r.kind = OperationKind::kUpdateStatus;
    r.delivery_id = "d1";
    r.operation_id = op;
    r.status = to;
    return r;
  }

  ApiRequest location_request(Location l, const std::string& op) {
    ApiRequest r;
    r.kind = OperationKind::kUpdateLocation;
    r.delivery_id = "d1";
    r.operation_id = op;
    r.locations = {l};
    return r;
  }

  DeliveryTracking stored() { return *world.store.peek("d1"); }
  GeoPoint elsewhere() { return GeoPoint{38.70, -9.20}; }

  testing::TestWorld world;
  BackendConfig config;
  std::unique_ptr<DeliveryBackend> backend;
};

TEST_F(LegacyBackendTest, SequentialRequestsSucceed) {
  EXPECT_TRUE(backend->handle(location_request(near(elsewhere(), 0, seconds(5)), "l1")).success);
  auto r = backend->handle(status_request(S::kHeadingToPickup, "s1"));
  ASSERT_TRUE(r.success) << r.message;
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(stored().status, S::kHeadingToPickup);
  EXPECT_EQ(stored().current_location->device_time_ns, seconds(5));
}

TEST_F(LegacyBackendTest, StatusSaveWhileALocationSaveIsPendingIsAParallelSaveError) {
  std::optional<ApiResponse> status_response;
  world.store.during_save = [&](const DocumentInstance&) {
    if (status_response.has_value()) return;
    // The driver taps "heading to pickup" while the 5-second position is being saved.
    status_response = backend->handle(status_request(S::kHeadingToPickup, "s1"));
  };

  auto location = backend->handle(location_request(near(elsewhere(), 0, seconds(5)), "l1"));

  ASSERT_TRUE(status_response.has_value());
  EXPECT_FALSE(status_response->success);
  EXPECT_EQ(status_response->error_class, ErrorClass::kParallelSaveError);
  EXPECT_TRUE(location.success);
  EXPECT_EQ(world.probes.count(probe::kLegacyParallelSave), 1);
  // The status change was made in the shared instance but never stored.
  EXPECT_EQ(stored().status, S::kAssigned);
  EXPECT_EQ(world.store.calls(testing::StoreCall::kLoadInstance), 1);
}

TEST_F(LegacyBackendTest, TwoLocationHandlersCollideToo) {
  std::optional<ApiResponse> second;
  world.store.during_save = [&](const DocumentInstance&) {
    if (!second)
      second = backend->handle(location_request(near(elsewhere(), 1, seconds(10)), "l2"));
  };
  EXPECT_TRUE(backend->handle(location_request(near(elsewhere(), 0, seconds(5)), "l1")).success);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->error_class, ErrorClass::kParallelSaveError);
}

TEST_F(LegacyBackendTest, GeofenceMiddlewareSavesTheAutomaticStatusChangeAgain) {
  reset(S::kHeadingToPickup);
  const int saves_before = world.store.calls(testing::StoreCall::kSave);
  auto r = backend->handle(location_request(near(stored().pickup, 0, seconds(5)), "l1"));
  ASSERT_TRUE(r.success);
  EXPECT_EQ(world.store.calls(testing::StoreCall::kSave) - saves_before, 2);
  EXPECT_EQ(stored().status, S::kAtPickup);
  EXPECT_EQ(world.probes.count(probe::kLegacyMiddlewareSave), 1);
  EXPECT_EQ(world.room.events.back().kind, RoomEvent::Kind::kStatus);
}

TEST_F(LegacyBackendTest, ManualTapDuringTheMiddlewaresSaveIsAParallelSaveError) {
  // The seed's automatic-versus-manual race: the geofence's own save is pending when the
  // driver's "at pickup" tap saves the same instance.
  reset(S::kHeadingToPickup);
  int saves = 0;
  std::optional<ApiResponse> tap;
  world.store.during_save = [&](const DocumentInstance&) {
    if (++saves == 2) tap = backend->handle(status_request(S::kPickedUp, "tap"));
  };
  ASSERT_TRUE(
      backend->handle(location_request(near(stored().pickup, 0, seconds(5)), "l1")).success);
  ASSERT_TRUE(tap.has_value());
  EXPECT_EQ(tap->error_class, ErrorClass::kParallelSaveError);
}

TEST_F(LegacyBackendTest, OlderPositionOverwritesTheNewerOne) {
  ASSERT_TRUE(backend->handle(location_request(near(elsewhere(), 0, seconds(15)), "l4")).success);
  ASSERT_TRUE(backend->handle(location_request(near(elsewhere(), 0, seconds(5)), "l2")).success);
  EXPECT_EQ(stored().current_location->device_time_ns, seconds(5));
}

TEST_F(LegacyBackendTest, RepeatedOperationIdIsAppliedAgain) {
  reset(S::kAtDropoff);
  ASSERT_TRUE(backend->handle(status_request(S::kCancelled, "op")).success);
  // Invalid now (terminal), but a location with a repeated id is simply applied again.
  ASSERT_TRUE(backend->handle(location_request(near(elsewhere(), 0, seconds(1)), "l")).success);
  ASSERT_TRUE(backend->handle(location_request(near(elsewhere(), 1, seconds(2)), "l")).success);
  EXPECT_EQ(stored().current_location->device_time_ns, seconds(2));
  EXPECT_EQ(stored().last_operation_id, "l");
}

TEST_F(LegacyBackendTest, AChangeWhoseSaveFailedIsNotPartOfThePendingWrite) {
  // Mongoose computes a save's write when save() is called, so the status change made in the
  // shared instance while the location's save is pending is not in that write, and the instance
  // holds the stored document afterwards: the failed change is gone, as its reply said. A store
  // that wrote the instance as it is when the write lands would store it despite the failure.
  std::optional<ApiResponse> inner;
  world.store.during_save = [&](const DocumentInstance&) {
    if (!inner) inner = backend->handle(status_request(S::kHeadingToPickup, "s1"));
  };
  ASSERT_TRUE(backend->handle(location_request(near(elsewhere(), 0, seconds(5)), "l1")).success);
  ASSERT_TRUE(inner.has_value());
  EXPECT_FALSE(inner->success);
  EXPECT_FALSE(has_applied(stored(), "s1"));
  EXPECT_TRUE(has_applied(stored(), "l1"));
}

TEST_F(LegacyBackendTest, InvalidTransitionIsStillRejected) {
  auto r = backend->handle(status_request(S::kDelivered, "s"));
  EXPECT_EQ(r.error_class, ErrorClass::kInvalidTransition);
}

TEST_F(LegacyBackendTest, FailedValidationCanLeaveTheGuardSet) {
  world.store.validation_failure_leaves_guard = true;
  int validations = 0;
  world.store.validator = [&](const DeliveryTracking&) -> Status {
    if (validations++ == 0) return Error{ErrorClass::kValidationError, "bad accuracy"};
    return ok_status();
  };
  auto first = backend->handle(location_request(near(elsewhere(), 0, seconds(1)), "l1"));
  EXPECT_EQ(first.error_class, ErrorClass::kValidationError);
  auto second = backend->handle(location_request(near(elsewhere(), 0, seconds(2)), "l2"));
  EXPECT_EQ(second.error_class, ErrorClass::kParallelSaveError);
}

TEST_F(LegacyBackendTest, DeletedDocumentIsReloadedOnTheNextRequest) {
  ASSERT_TRUE(backend->handle(location_request(near(elsewhere(), 0, seconds(1)), "l1")).success);
  auto doc = stored();
  world.store.remove("d1");
  auto r = backend->handle(location_request(near(elsewhere(), 0, seconds(2)), "l2"));
  EXPECT_EQ(r.error_class, ErrorClass::kDocumentNotFound);
  world.store.put(doc);
  EXPECT_TRUE(backend->handle(location_request(near(elsewhere(), 0, seconds(3)), "l3")).success);
}

TEST_F(LegacyBackendTest, MonitoringRaisesTheCriticalAlert) {
  Monitoring monitoring(world.clock);
  BackendPorts ports = world.ports();
  ports.monitoring = &monitoring;
  backend = make_backend(config, ports);
  std::optional<ApiResponse> inner;
  world.store.during_save = [&](const DocumentInstance&) {
    if (!inner) inner = backend->handle(status_request(S::kHeadingToPickup, "s1"));
  };
  (void)backend->handle(location_request(near(elsewhere(), 0, seconds(5)), "l1"));
  EXPECT_EQ(monitoring.cumulative_metrics().parallel_save_errors, 1);
  EXPECT_TRUE(monitoring.is_active(AlertRule::kParallelSaveErrorDetected));
}

TEST(LegacyConfig, MutantsAreRejected) {
  testing::TestWorld world;
  BackendConfig config;
  config.implementation = Implementation::kLegacy;
  config.mutants = {"no_jitter"};
  EXPECT_FALSE(validate_backend_config(config).ok());
  EXPECT_EQ(make_backend(config, world.ports()), nullptr);
}

}  // namespace
}  // namespace tracksim::model

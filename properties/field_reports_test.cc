// Cases from real reports about concurrent saves, each with its exact expected value.
//
// Each case is built at the level where its outcome is exact: the backend on the in-memory ports
// when the order of calls can be scripted from the store's hooks, or a tiny scripted simulation
// (fifo scheduling, constant latencies, no faults) when two handlers must overlap in time. The
// legacy backend runs beside the fixed one where the contrast is the point of the report.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>

#include "model/atomic_update.h"
#include "model/backend.h"
#include "model/delivery_service.h"
#include "model/testing/in_memory_store.h"
#include "sim/kernel/simulation.h"
#include "sim/world/probes.h"
#include "sim/world/storage.h"

namespace tracksim::properties {
namespace {

using model::ApiRequest;
using model::ApiResponse;
using model::DeliveryStatus;
using model::ErrorClass;
using model::OperationKind;
namespace mt = model::testing;

model::Location position(const model::GeoPoint& near, Nanos device_time_ns) {
  return model::Location{
      .lat = near.lat, .lng = near.lng, .accuracy_m = 5, .device_time_ns = device_time_ns};
}

// Far from both geofences of mt::make_delivery's route, so no position moves the status.
const model::GeoPoint kElsewhere{38.70, -9.20};

ApiRequest status_request(const std::string& op, DeliveryStatus to) {
  ApiRequest r;
  r.kind = to == DeliveryStatus::kDelivered ? OperationKind::kCompleteDelivery
                                            : OperationKind::kUpdateStatus;
  r.delivery_id = "d1";
  r.operation_id = op;
  r.status = to;
  return r;
}

ApiRequest location_request(const std::string& op, std::vector<model::Location> positions) {
  ApiRequest r;
  r.kind = OperationKind::kUpdateLocation;
  r.delivery_id = "d1";
  r.operation_id = op;
  r.locations = std::move(positions);
  return r;
}

int content_commits(const mt::InMemoryStore& store, const std::string& operation_id) {
  return static_cast<int>(
      std::count_if(store.commits().begin(), store.commits().end(), [&](const mt::CommitRecord& c) {
        return c.operation_id == operation_id && c.version_raised;
      }));
}

// Two or more handlers of one backend overlapping in virtual time, on the simulated storage with
// constant latencies (2 ms each way), fifo scheduling and no faults: every run is the same run.
class ScriptedWorld {
 public:
  explicit ScriptedWorld(model::Implementation implementation)
      : sim_(kernel_options()),
        probes_(&sim_),
        storage_(sim_, storage_config(), history_, probes_),
        clock_(sim_),
        sleeper_(sim_),
        random_(sim_.stream("backend")),
        store_(storage_, "api") {
    model::BackendConfig config;
    config.implementation = implementation;
    backend_ = model::make_backend(config, ports());
    storage_.preload(mt::make_delivery("d1", 0));
  }

  model::BackendPorts ports() {
    return model::BackendPorts{.clock = &clock_,
                               .sleeper = &sleeper_,
                               .random = &random_,
                               .store = &store_,
                               .broadcaster = nullptr,
                               .monitoring = nullptr,
                               .probes = &probes_};
  }

  // Runs `body` on its own fiber, starting `at_ns` into the run.
  void spawn_at(Nanos at_ns, std::function<void()> body) {
    sim_.spawn("writer", [this, at_ns, body = std::move(body)] {
      sim_.sleep_for(at_ns);
      body();
    });
  }

  // Handles `request` on its own fiber, starting `at_ns` into the run.
  void request_at(Nanos at_ns, ApiRequest request) {
    const std::size_t slot = responses_.size();
    responses_.emplace_back();
    sim_.spawn("handler", [this, at_ns, slot, request] {
      sim_.sleep_for(at_ns);
      responses_[slot] = backend_->handle(request);
    });
  }

  void run() { ASSERT_EQ(sim_.run(seconds(600)).status, sim::RunStatus::kQuiescent); }

  const ApiResponse& response(std::size_t i) const { return *responses_.at(i); }
  const model::DeliveryTracking& stored() const { return storage_.documents().at("d1"); }
  std::vector<const sim::CommitRecord*> content_commits() const {
    std::vector<const sim::CommitRecord*> found;
    for (const sim::CommitRecord& c : history_.commits()) {
      if (c.changed_fields) found.push_back(&c);
    }
    return found;
  }

 private:
  static sim::KernelOptions kernel_options() {
    sim::KernelOptions options;
    options.seed = 1;
    options.strategy = sim::ScheduleStrategy::kFifo;
    return options;
  }
  static sim::StorageConfig storage_config() {
    sim::StorageConfig config;
    config.request_latency = {.mean_ms = 2, .stddev_ms = 0};
    config.reply_latency = {.mean_ms = 2, .stddev_ms = 0};
    config.indexes = model::safe_schema_indexes();
    return config;
  }

  sim::Simulation sim_;
  sim::History history_;
  sim::Probes probes_;
  sim::StorageServer storage_;
  sim::SimClock clock_;
  sim::SimSleeper sleeper_;
  sim::RandomStream random_;
  sim::StoreClient store_;
  std::unique_ptr<model::DeliveryBackend> backend_;
  std::vector<std::optional<ApiResponse>> responses_;
};

// --- Two handlers change the same cached document instance 1 ms apart -------------------------

TEST(FieldReports, TwoHandlersOneMillisecondApartFixedStoresBothInOrderAndRetriesTheSecond) {
  ScriptedWorld world(model::Implementation::kFixed);
  world.request_at(0, status_request("tap", DeliveryStatus::kHeadingToPickup));
  world.request_at(millis(1), location_request("gps", {position(kElsewhere, seconds(1))}));
  world.run();

  EXPECT_TRUE(world.response(0).success);
  EXPECT_EQ(world.response(0).attempts, 1);
  EXPECT_TRUE(world.response(1).success);
  EXPECT_EQ(world.response(1).attempts, 2);  // found the lock busy once, then got it

  const auto commits = world.content_commits();
  ASSERT_EQ(commits.size(), 2u);
  EXPECT_EQ(commits[0]->operation_id, "tap");
  EXPECT_EQ(commits[1]->operation_id, "gps");
  EXPECT_EQ(world.stored().status, DeliveryStatus::kHeadingToPickup);
  ASSERT_EQ(world.stored().status_history.size(), 2u);
  EXPECT_EQ(world.stored().status_history[1].operation_id, "tap");
  EXPECT_EQ(world.stored().current_location, position(kElsewhere, seconds(1)));
  EXPECT_EQ(world.stored().version, 2);
}

TEST(FieldReports, TwoHandlersOneMillisecondApartLegacyMeetsParallelSaveError) {
  ScriptedWorld world(model::Implementation::kLegacy);
  world.request_at(0, status_request("tap", DeliveryStatus::kHeadingToPickup));
  world.request_at(millis(1), location_request("gps", {position(kElsewhere, seconds(1))}));
  world.run();

  EXPECT_TRUE(world.response(0).success);
  EXPECT_FALSE(world.response(1).success);
  EXPECT_EQ(world.response(1).error_class, ErrorClass::kParallelSaveError);
  // The refused handler's position stays in the shared instance, unsaved: nothing stores it
  // unless some later save of that instance happens to.
  ASSERT_EQ(world.content_commits().size(), 1u);
  EXPECT_EQ(world.stored().current_location, std::nullopt);
}

// --- Two writers read version v and write +5 and +10 -------------------------------------------

// A numeric field stands in for any counter the writers add to: the position's accuracy.
double amount(const model::DeliveryTracking& doc) {
  return doc.current_location ? doc.current_location->accuracy_m : 0;
}
void add(model::DeliveryTracking& doc, double n) {
  if (!doc.current_location) {
    doc.current_location = model::Location{
        .lat = kElsewhere.lat, .lng = kElsewhere.lng, .accuracy_m = 0, .device_time_ns = 0};
  }
  doc.current_location->accuracy_m += n;
}

TEST(FieldReports, PlusFiveAndPlusTenFromOneVersionVersionedSavesGiveExactlyOneVersionError) {
  mt::TestWorld world;
  world.store.put(mt::make_delivery("d1", 0));
  world.store.versioned_instances = true;
  auto a = world.store.load_instance("d1");
  auto b = world.store.load_instance("d1");
  ASSERT_TRUE(a.ok() && b.ok());
  add(a.value().doc, 5);
  add(b.value().doc, 10);

  const auto saved_a = world.store.save(a.value());
  const auto saved_b = world.store.save(b.value());
  EXPECT_TRUE(saved_a.ok());
  ASSERT_FALSE(saved_b.ok());
  EXPECT_EQ(saved_b.error_class(), ErrorClass::kVersionError);
  EXPECT_EQ(amount(*world.store.peek("d1")), 5);  // never a silent 10
}

TEST(FieldReports, PlusFiveAndPlusTenFromOneVersionUnversionedSavesLoseAnUpdateSilently) {
  // The hazard the report is about: without a version check the second save wins unnoticed.
  mt::TestWorld world;
  world.store.put(mt::make_delivery("d1", 0));
  auto a = world.store.load_instance("d1");
  auto b = world.store.load_instance("d1");
  add(a.value().doc, 5);
  add(b.value().doc, 10);
  EXPECT_TRUE(world.store.save(a.value()).ok());
  EXPECT_TRUE(world.store.save(b.value()).ok());
  EXPECT_EQ(amount(*world.store.peek("d1")), 10);
}

TEST(FieldReports, PlusFiveAndPlusTenThroughTheAtomicUpdateGiveFifteen) {
  // Both writers start at once; the second finds the lock taken, backs off, and reads v + 1.
  ScriptedWorld world(model::Implementation::kFixed);
  model::AtomicUpdater updater(model::AtomicUpdateConfig{}, world.ports(), model::PlantedBugs{});
  std::map<std::string, model::AtomicUpdateOutcome> outcomes;
  for (const auto& [name, n] : {std::pair{"plus-five", 5.0}, std::pair{"plus-ten", 10.0}}) {
    world.spawn_at(0, [&outcomes, &updater, name = std::string(name), n = n] {
      outcomes.emplace(name, updater.run("d1", name, [n](model::DeliveryTracking& doc) {
        add(doc, n);
        return model::Result<model::UpdateDecision>(model::UpdateDecision::kWrite);
      }));
    });
  }
  world.run();

  ASSERT_EQ(outcomes.size(), 2u);
  for (const auto& [name, outcome] : outcomes)
    EXPECT_TRUE(outcome.result.ok()) << name;
  EXPECT_EQ(outcomes.at("plus-five").attempts + outcomes.at("plus-ten").attempts, 3);
  EXPECT_EQ(amount(world.stored()), 15);
  EXPECT_EQ(world.stored().version, 2);
}

// --- A write applied but its reply lost, and the client retries three times --------------------

TEST(FieldReports, AppliedButReplyLostThenThreeClientRetriesIsAppliedExactlyOnce) {
  mt::TestWorld world;
  world.store.put(mt::make_delivery("d1", world.clock.now()));
  auto backend = model::make_backend(model::BackendConfig{}, world.ports());
  bool lost = false;
  world.store.faults = [&](mt::StoreCall call,
                           const std::string&) -> std::optional<mt::InjectedFault> {
    if (call != mt::StoreCall::kUpdateOne || lost) return std::nullopt;
    lost = true;
    return mt::InjectedFault{.error_class = ErrorClass::kNetworkTimeout, .after_apply = true};
  };

  // The first answer never reaches the app (its reply is lost on the network too), so the app
  // sends the same operation three more times.
  const ApiRequest request = status_request("tap", DeliveryStatus::kHeadingToPickup);
  std::vector<ApiResponse> answers;
  for (int attempt = 0; attempt < 4; ++attempt)
    answers.push_back(backend->handle(request));

  for (const ApiResponse& r : answers)
    EXPECT_TRUE(r.success) << r.message;
  EXPECT_EQ(answers[0].attempts, 2);  // its own retry found the commit applied
  for (const ApiResponse& r : answers)
    EXPECT_EQ(r.message, model::kMessageAlreadyApplied);
  EXPECT_EQ(content_commits(world.store, "tap"), 1);
  const auto doc = *world.store.peek("d1");
  EXPECT_EQ(doc.version, 1);
  EXPECT_EQ(std::count_if(doc.status_history.begin(), doc.status_history.end(),
                          [](const auto& e) { return e.operation_id == "tap"; }),
            1);
}

// A commit whose reply is lost: the handler's own retry finds its operation applied. It is the
// only one that can tell the room, and the room hears the change exactly once.
TEST(FieldReports, AppliedButReplyLostStillReachesTheRoomOnce) {
  mt::TestWorld world;
  world.store.put(mt::make_delivery("d1", world.clock.now()));
  auto backend = model::make_backend(model::BackendConfig{}, world.ports());
  bool lost = false;
  world.store.faults = [&](mt::StoreCall call,
                           const std::string&) -> std::optional<mt::InjectedFault> {
    if (call != mt::StoreCall::kUpdateOne || lost) return std::nullopt;
    lost = true;
    return mt::InjectedFault{.error_class = ErrorClass::kNetworkTimeout, .after_apply = true};
  };
  ASSERT_TRUE(backend->handle(status_request("tap", DeliveryStatus::kHeadingToPickup)).success);
  const auto status_events =
      std::count_if(world.room.events.begin(), world.room.events.end(), [](const auto& e) {
        return e.kind == model::RoomEvent::Kind::kStatus && e.operation_id == "tap";
      });
  EXPECT_EQ(status_events, 1);
}

// --- Positions L1-L4 at 0, 5, 10 and 15 s, L2 delayed 12 s -------------------------------------

TEST(FieldReports, DelayedSecondPositionIsDroppedWithoutAnErrorAndTheFourthIsCurrent) {
  mt::TestWorld world;
  const Nanos start_ns = world.clock.now();
  world.store.put(mt::make_delivery("d1", start_ns));
  auto backend = model::make_backend(model::BackendConfig{}, world.ports());
  auto l = [&](int i) { return position(kElsewhere, start_ns + seconds(5 * (i - 1))); };

  // Arrival order: L1 at 0 s, L3 at 10 s, L4 at 15 s, L2 at 5 + 12 = 17 s.
  std::map<int, ApiResponse> answers;
  for (int i : {1, 3, 4, 2}) {
    world.clock.set(start_ns + seconds(i == 2 ? 17 : 5 * (i - 1)));
    answers[i] = backend->handle(location_request("L" + std::to_string(i), {l(i)}));
  }

  for (const auto& [i, r] : answers)
    EXPECT_TRUE(r.success) << "L" << i;
  EXPECT_EQ(answers[2].message, model::kMessageStaleLocation);
  EXPECT_EQ(answers[2].error_class, ErrorClass::kNone);
  EXPECT_EQ(world.store.peek("d1")->current_location, l(4));
  EXPECT_EQ(content_commits(world.store, "L2"), 0);
  EXPECT_EQ(world.store.peek("d1")->version, 3);
}

// --- A lock holder pauses 45 s past its 30 s lease ----------------------------------------------

TEST(FieldReports, HolderPausedPastItsLeaseIsRejectedAndTheSecondWritersStateStands) {
  mt::TestWorld world;
  world.store.put(mt::make_delivery("d1", world.clock.now()));
  auto backend = model::make_backend(model::BackendConfig{}, world.ports());

  // The first writer stops between taking the lock and committing, for 45 s: its 30 s lease
  // ends, and the dispatcher's cancellation takes the lock and commits meanwhile.
  std::optional<ApiResponse> second;
  bool paused = false;
  world.store.before_call = [&](mt::StoreCall call, const std::string&) {
    if (call != mt::StoreCall::kUpdateOne || paused) return;
    paused = true;
    world.clock.advance(seconds(45));
    second = backend->handle(status_request("cancel", DeliveryStatus::kCancelled));
  };
  const ApiResponse first =
      backend->handle(status_request("tap", DeliveryStatus::kHeadingToPickup));

  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(second->success);
  EXPECT_EQ(second->attempts, 1);
  // The first commit is refused; its retry re-reads a cancelled delivery and stops there.
  EXPECT_FALSE(first.success);
  EXPECT_EQ(first.error_class, ErrorClass::kInvalidTransition);
  EXPECT_EQ(content_commits(world.store, "tap"), 0);
  const auto doc = *world.store.peek("d1");
  EXPECT_EQ(doc.status, DeliveryStatus::kCancelled);
  ASSERT_EQ(doc.status_history.size(), 2u);
  EXPECT_EQ(doc.status_history[1].operation_id, "cancel");
  EXPECT_EQ(doc.version, 1);
}

// --- A post-save hook that saves again
// ------------------------------------------------------------

TEST(FieldReports, PostSaveHookSavesAgainButEachRequestAddsOneHistoryEntryAndAtMostTwoWrites) {
  mt::TestWorld world;
  const model::DeliveryTracking initial =
      mt::make_delivery("d1", world.clock.now(), DeliveryStatus::kHeadingToPickup);
  world.store.put(initial);
  model::BackendConfig config;
  config.implementation = model::Implementation::kLegacy;
  auto backend = model::make_backend(config, world.ports());

  // A position at the pickup point: saved, then the hook's automatic at_pickup saved again.
  const ApiResponse arrived = backend->handle(
      location_request("gps", {position(initial.pickup, world.clock.now() + seconds(1))}));
  ASSERT_TRUE(arrived.success);
  EXPECT_EQ(world.store.commits().size(), 2u);
  auto doc = *world.store.peek("d1");
  EXPECT_EQ(doc.status, DeliveryStatus::kAtPickup);
  ASSERT_EQ(doc.status_history.size(), initial.status_history.size() + 1);
  EXPECT_EQ(doc.status_history.back().operation_id, "gps");

  // Every further request: one history entry, and the hook stops after its one extra save.
  for (DeliveryStatus to : {DeliveryStatus::kPickedUp, DeliveryStatus::kHeadingToDropoff,
                            DeliveryStatus::kAtDropoff, DeliveryStatus::kDelivered}) {
    const std::size_t writes_before = world.store.commits().size();
    const std::size_t entries_before = world.store.peek("d1")->status_history.size();
    world.clock.advance(seconds(1));
    ASSERT_TRUE(backend->handle(status_request(std::string(model::to_string(to)), to)).success);
    EXPECT_EQ(world.store.peek("d1")->status_history.size(), entries_before + 1);
    // One save each: the hook's completion stamp saves again only when time passed during the
    // first save, and the in-memory store answers at once.
    EXPECT_EQ(world.store.commits().size() - writes_before, 1u);
  }
}

TEST(FieldReports, FixedBackendWritesOncePerRequestWhereTheLegacyHookSavedTwice) {
  mt::TestWorld world;
  const model::DeliveryTracking initial =
      mt::make_delivery("d1", world.clock.now(), DeliveryStatus::kHeadingToPickup);
  world.store.put(initial);
  auto backend = model::make_backend(model::BackendConfig{}, world.ports());

  const ApiResponse arrived = backend->handle(
      location_request("gps", {position(initial.pickup, world.clock.now() + seconds(1))}));
  ASSERT_TRUE(arrived.success);
  EXPECT_EQ(content_commits(world.store, "gps"), 1);
  EXPECT_EQ(world.store.peek("d1")->status, DeliveryStatus::kAtPickup);
  EXPECT_EQ(world.store.peek("d1")->status_history.size(), initial.status_history.size() + 1);
}

}  // namespace
}  // namespace tracksim::properties

// DeliveryStateManager against the fixed backend on an in-memory store: one change in flight,
// queued and coalesced requests, local validation, restarts, waiting for the network and the
// InvalidTransition corrections.
#include "model/delivery_state_manager.h"

#include <gtest/gtest.h>

#include <utility>

#include "model/probe_names.h"
#include "model/testing/client_fakes.h"

namespace tracksim::model {
namespace {

using testing::PhoneWorld;
using testing::TransportFault;

class StateManagerTest : public ::testing::Test {
 protected:
  StateManagerTest() { world.server.store.put(testing::make_delivery("d1", 0)); }

  std::unique_ptr<DeliveryStateManager> make_manager(bool start = true) {
    auto manager = std::make_unique<DeliveryStateManager>(config, world.phone_ports(), "phone");
    if (start) {
      EXPECT_TRUE(manager->start_delivery("d1", DeliveryStatus::kAssigned, 0).ok());
    }
    return manager;
  }

  int stored(const std::string& operation_id) const {
    int n = 0;
    for (const auto& c : world.server.store.commits()) {
      n += c.operation_id == operation_id && c.version_raised ? 1 : 0;
    }
    return n;
  }

  DeliveryStatus server_status() const { return world.server.store.peek("d1")->status; }

  // Moves the stored delivery to `status` behind the phone's back (another client did it).
  std::int64_t move_server_to(DeliveryStatus status) {
    DeliveryTracking doc = *world.server.store.peek("d1");
    doc.status = status;
    doc.version += 1;
    world.server.store.put(doc);
    return doc.version;
  }

  PhoneWorld world;
  DeliveryStateConfig config;
};

TEST_F(StateManagerTest, AnAllowedChangeIsSentAndTheServersStateAdopted) {
  auto manager = make_manager();
  auto result = manager->update_delivery_status(DeliveryStatus::kHeadingToPickup, "on my way");
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.value().success);
  EXPECT_EQ(manager->status(), DeliveryStatus::kHeadingToPickup);
  EXPECT_GT(manager->version(), 0);
  EXPECT_EQ(server_status(), DeliveryStatus::kHeadingToPickup);
  ASSERT_EQ(world.transport.requests.size(), 1u);
  EXPECT_EQ(world.transport.requests[0].note, "on my way");
  EXPECT_EQ(world.listener.invoked.size(), 1u);
  ASSERT_EQ(world.listener.settled.size(), 1u);
  EXPECT_TRUE(world.listener.settled[0].success);
}

TEST_F(StateManagerTest, DeliveredIsSentAsCompleteDelivery) {
  auto manager = make_manager();
  for (DeliveryStatus s : {DeliveryStatus::kHeadingToPickup, DeliveryStatus::kAtPickup,
                           DeliveryStatus::kPickedUp, DeliveryStatus::kHeadingToDropoff,
                           DeliveryStatus::kAtDropoff, DeliveryStatus::kDelivered}) {
    ASSERT_TRUE(manager->update_delivery_status(s).value().success) << to_string(s);
  }
  EXPECT_EQ(world.transport.requests.back().kind, OperationKind::kCompleteDelivery);
  EXPECT_EQ(server_status(), DeliveryStatus::kDelivered);
}

TEST_F(StateManagerTest, AChangeTheMachineForbidsIsRefusedOnThePhone) {
  auto manager = make_manager();
  auto result = manager->update_delivery_status(DeliveryStatus::kAtDropoff);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error_class(), ErrorClass::kInvalidTransition);
  EXPECT_TRUE(world.transport.requests.empty());
  EXPECT_EQ(world.phone_probes.count(probe::kStateRejectedLocally), 1);
}

TEST_F(StateManagerTest, AChangeAskedWhileAnotherIsInFlightWaitsItsTurn) {
  auto manager = make_manager();
  std::string queued_id;
  world.transport.during_call = [&](const ApiRequest& request) {
    if (request.status != DeliveryStatus::kHeadingToPickup) return;
    // Validated against the status after the change in flight, not the confirmed one.
    auto submitted = manager->submit(DeliveryStatus::kAtPickup);
    ASSERT_TRUE(submitted.ok());
    queued_id = submitted.value();
    manager->process();  // busy: returns at once, the sending task takes it next
  };

  ASSERT_TRUE(manager->update_delivery_status(DeliveryStatus::kHeadingToPickup).value().success);

  ASSERT_EQ(world.transport.requests.size(), 2u);
  EXPECT_EQ(world.transport.requests[1].status, DeliveryStatus::kAtPickup);
  EXPECT_EQ(world.transport.requests[1].operation_id, queued_id);
  EXPECT_EQ(world.transport.max_in_flight, 1);
  EXPECT_EQ(world.phone_probes.count(probe::kStateQueued), 1);
  ASSERT_TRUE(manager->result_of(queued_id).has_value());
  EXPECT_TRUE(manager->result_of(queued_id)->success);
  EXPECT_EQ(server_status(), DeliveryStatus::kAtPickup);
}

TEST_F(StateManagerTest, AskingAgainForTheStatusLastAskedFoldsIntoTheFirstRequest) {
  auto manager = make_manager();
  world.connectivity.is_online = false;
  const std::string first = manager->submit(DeliveryStatus::kHeadingToPickup).value();
  const std::string again = manager->submit(DeliveryStatus::kHeadingToPickup).value();
  EXPECT_EQ(first, again);
  EXPECT_EQ(manager->queue().size(), 1u);
  EXPECT_EQ(world.phone_probes.count(probe::kStateCoalesced), 1);
}

TEST_F(StateManagerTest, ALostReplyIsRetriedUnderTheSameIdAndAppliedOnce) {
  auto manager = make_manager();
  world.transport.faults = [](const ApiRequest&, int call) -> std::optional<TransportFault> {
    if (call == 0) return TransportFault::kLoseReply;
    return std::nullopt;
  };
  auto result = manager->update_delivery_status(DeliveryStatus::kHeadingToPickup);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.value().success);
  ASSERT_EQ(world.transport.requests.size(), 2u);
  const std::string id = world.transport.requests[0].operation_id;
  EXPECT_EQ(world.transport.requests[1].operation_id, id);
  EXPECT_EQ(stored(id), 1);
  EXPECT_EQ(world.server.probes.count(probe::kIdempotentDuplicate), 1);
}

TEST_F(StateManagerTest, OfflineItWaitsForTheNetworkThenSends) {
  auto manager = make_manager();
  world.connectivity.is_online = false;
  const Nanos back = world.server.clock.now() + seconds(30);
  world.connectivity.back_online_at_ns = back;

  auto result = manager->update_delivery_status(DeliveryStatus::kHeadingToPickup);

  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.value().success);
  EXPECT_GE(world.server.clock.now(), back);
  EXPECT_EQ(world.transport.requests.size(), 1u);
  EXPECT_EQ(world.phone_probes.count(probe::kStateWaitedForNetwork), 1);
}

TEST_F(StateManagerTest, WhenTheNetworkStaysAwayTheChangeIsKeptForLater) {
  config.connectivity_wait_max_ns = seconds(10);
  auto manager = make_manager();
  world.connectivity.is_online = false;

  auto result = manager->update_delivery_status(DeliveryStatus::kHeadingToPickup);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result.value().success);
  EXPECT_TRUE(result.value().kept_for_later);
  EXPECT_EQ(manager->queue().size(), 1u);
  EXPECT_TRUE(world.transport.requests.empty());
  EXPECT_TRUE(world.listener.settled.empty());  // not settled: still to be sent

  world.connectivity.is_online = true;
  manager->process();
  EXPECT_TRUE(manager->queue().empty());
  EXPECT_TRUE(manager->result_of(result.value().operation_id)->success);
  EXPECT_EQ(server_status(), DeliveryStatus::kHeadingToPickup);
}

TEST_F(StateManagerTest, QueuedChangesSurviveAnAppRestartUnderTheirIds) {
  config.connectivity_wait_max_ns = 0;
  world.connectivity.is_online = false;
  std::string first, second;
  {
    auto manager = make_manager();
    first = manager->submit(DeliveryStatus::kHeadingToPickup).value();
    second = manager->submit(DeliveryStatus::kAtPickup).value();
    manager->process();
    EXPECT_EQ(manager->queue().size(), 2u);
  }

  auto restarted = make_manager(/*start=*/false);
  EXPECT_EQ(restarted->delivery_id(), "d1");
  EXPECT_EQ(restarted->expected_status(), DeliveryStatus::kAtPickup);
  ASSERT_EQ(restarted->queue().size(), 2u);
  EXPECT_EQ(restarted->queue()[0].operation_id, first);
  EXPECT_EQ(world.phone_probes.count(probe::kStateRestored), 1);

  world.connectivity.is_online = true;
  restarted->process();
  EXPECT_EQ(stored(first), 1);
  EXPECT_EQ(stored(second), 1);
  EXPECT_EQ(server_status(), DeliveryStatus::kAtPickup);
  // A fresh id after the restart is not one of the old ones.
  const std::string third = restarted->submit(DeliveryStatus::kPickedUp).value();
  EXPECT_NE(third, first);
  EXPECT_NE(third, second);
}

TEST_F(StateManagerTest, ARestartAfterLostRepliesResendsAndTheServerAppliesItOnce) {
  world.transport.faults = [](const ApiRequest&, int) -> std::optional<TransportFault> {
    return TransportFault::kLoseReply;
  };
  std::string id;
  {
    auto manager = make_manager();
    auto result = manager->update_delivery_status(DeliveryStatus::kHeadingToPickup);
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(result.value().kept_for_later);
    id = result.value().operation_id;
  }
  EXPECT_EQ(stored(id), 1);

  world.transport.faults = nullptr;
  auto restarted = make_manager(/*start=*/false);
  restarted->process();
  EXPECT_TRUE(restarted->result_of(id)->success);
  EXPECT_EQ(stored(id), 1);
  EXPECT_EQ(restarted->status(), DeliveryStatus::kHeadingToPickup);
}

TEST_F(StateManagerTest, ARejectedStepTheServerAlreadyMadeCountsAsDone) {
  auto manager = make_manager();
  ASSERT_TRUE(manager->update_delivery_status(DeliveryStatus::kHeadingToPickup).value().success);
  // The geofence moved the delivery to at_pickup; the phone hears of it while its tap is in
  // flight, and the server refuses at_pickup -> at_pickup.
  bool moved = false;
  world.transport.during_call = [&](const ApiRequest&) {
    if (std::exchange(moved, true)) return;
    const std::int64_t version = move_server_to(DeliveryStatus::kAtPickup);
    manager->observe_server_state("d1", DeliveryStatus::kAtPickup, version);
  };
  auto result = manager->update_delivery_status(DeliveryStatus::kAtPickup);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.value().success);
  EXPECT_TRUE(result.value().corrected);
  EXPECT_EQ(manager->status(), DeliveryStatus::kAtPickup);
  EXPECT_EQ(world.phone_probes.count(probe::kStateCorrected), 1);
  // The listener hears the server's verdict, not the phone's conclusion.
  ASSERT_EQ(world.listener.settled.size(), 2u);
  EXPECT_FALSE(world.listener.settled[1].success);
  EXPECT_EQ(world.listener.settled[1].error_class, ErrorClass::kInvalidTransition);
}

TEST_F(StateManagerTest, AStepTheServerMovedPastFailsAndTheRestOfTheQueueFollows) {
  auto manager = make_manager();
  std::string queued_id;
  bool cancelled = false;
  world.transport.during_call = [&](const ApiRequest&) {
    if (std::exchange(cancelled, true)) return;
    queued_id = manager->submit(DeliveryStatus::kAtPickup).value();
    const std::int64_t version = move_server_to(DeliveryStatus::kCancelled);
    manager->observe_server_state("d1", DeliveryStatus::kCancelled, version);
  };
  auto result = manager->update_delivery_status(DeliveryStatus::kHeadingToPickup);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result.value().success);
  EXPECT_TRUE(result.value().corrected);
  EXPECT_EQ(result.value().error_class, ErrorClass::kInvalidTransition);
  EXPECT_EQ(manager->status(), DeliveryStatus::kCancelled);
  // The change queued behind it was settled without a request of its own.
  EXPECT_TRUE(manager->queue().empty());
  EXPECT_EQ(world.transport.requests.size(), 1u);
  ASSERT_TRUE(manager->result_of(queued_id).has_value());
  EXPECT_EQ(manager->result_of(queued_id)->error_class, ErrorClass::kInvalidTransition);
  EXPECT_EQ(world.listener.settled.size(), 2u);
}

TEST_F(StateManagerTest, HearingOfACancellationSettlesChangesKeptForLater) {
  config.connectivity_wait_max_ns = 0;
  auto manager = make_manager();
  world.connectivity.is_online = false;
  const std::string id = manager->submit(DeliveryStatus::kHeadingToPickup).value();
  manager->process();
  ASSERT_EQ(manager->queue().size(), 1u);

  manager->observe_server_state("d1", DeliveryStatus::kCancelled, 7);
  EXPECT_TRUE(manager->queue().empty());
  EXPECT_EQ(manager->result_of(id)->error_class, ErrorClass::kInvalidTransition);
  EXPECT_FALSE(manager->submit(DeliveryStatus::kAtPickup).ok());
}

TEST_F(StateManagerTest, AnotherDeliveryWaitsUntilTheQueueIsEmpty) {
  config.connectivity_wait_max_ns = 0;
  auto manager = make_manager();
  world.connectivity.is_online = false;
  ASSERT_TRUE(manager->submit(DeliveryStatus::kHeadingToPickup).ok());
  EXPECT_FALSE(manager->start_delivery("d2", DeliveryStatus::kAssigned, 0).ok());
  world.connectivity.is_online = true;
  manager->process();
  EXPECT_TRUE(manager->start_delivery("d2", DeliveryStatus::kAssigned, 0).ok());
  EXPECT_EQ(manager->delivery_id(), "d2");
}

TEST_F(StateManagerTest, AFinalErrorFailsWithoutRetrying) {
  auto manager = make_manager(/*start=*/false);
  ASSERT_TRUE(manager->start_delivery("no-such-delivery", DeliveryStatus::kAssigned, 0).ok());
  auto result = manager->update_delivery_status(DeliveryStatus::kHeadingToPickup);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result.value().success);
  EXPECT_EQ(result.value().error_class, ErrorClass::kDocumentNotFound);
  EXPECT_EQ(world.transport.requests.size(), 1u);
}

TEST_F(StateManagerTest, AStatusTheServerAlreadyHasNeedsNoRequest) {
  auto manager = make_manager();
  manager->observe_server_state("d1", DeliveryStatus::kHeadingToPickup, 3);
  auto result = manager->update_delivery_status(DeliveryStatus::kHeadingToPickup);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.value().success);
  EXPECT_TRUE(world.transport.requests.empty());
}

TEST_F(StateManagerTest, BeforeSendRunsBeforeEveryRequest) {
  auto manager = make_manager();
  std::vector<std::size_t> requests_seen;
  manager->before_send = [&] { requests_seen.push_back(world.transport.requests.size()); };
  EXPECT_TRUE(manager->update_delivery_status(DeliveryStatus::kHeadingToPickup).ok());
  EXPECT_TRUE(manager->update_delivery_status(DeliveryStatus::kAtPickup).ok());
  EXPECT_EQ(requests_seen, (std::vector<std::size_t>{0, 1}));
}

}  // namespace
}  // namespace tracksim::model

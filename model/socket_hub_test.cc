// SocketHub: sequence numbers, throttled and batched positions, distance filtering,
// deduplication, failures, closing, resyncs; and the hub behind the real fixed backend.
#include "model/socket_hub.h"

#include <gtest/gtest.h>

#include "model/backend.h"
#include "model/testing/client_fakes.h"

namespace tracksim::model {
namespace {

using testing::position_at;
using Kind = RoomEvent::Kind;

class SocketHubTest : public ::testing::Test {
 protected:
  SocketHubTest()
      : timer(clock), hub(config(), SocketHubPorts{&clock, &timer, &channel, &probes}) {}

  static SocketHubConfig config() {
    SocketHubConfig c;
    c.location_throttle_ns = seconds(1);
    c.location_min_distance_m = 10;
    return c;
  }

  RoomEvent status(DeliveryStatus s, std::int64_t version, std::string op = "op") {
    RoomEvent e;
    e.kind = Kind::kStatus;
    e.delivery_id = "d1";
    e.operation_id = std::move(op);
    e.version = version;
    e.status = s;
    e.server_time_ns = clock.now();
    return e;
  }

  RoomEvent position(double metres, Nanos device_time_ns, std::int64_t version,
                     std::string op = "loc") {
    RoomEvent e = status(DeliveryStatus::kHeadingToDropoff, version, std::move(op));
    e.kind = Kind::kLocation;
    e.locations = {position_at(metres, device_time_ns)};
    return e;
  }

  // Every position `subscriber` was sent, oldest first, resyncs left out.
  std::vector<Location> positions_to(const std::string& subscriber) const {
    std::vector<Location> out;
    for (const HubMessage& m : channel.to(subscriber)) {
      if (m.resync) continue;
      for (const RoomEvent& e : m.events)
        out.insert(out.end(), e.locations.begin(), e.locations.end());
    }
    return out;
  }

  std::vector<HubMessage> broadcasts_to(const std::string& subscriber) const {
    std::vector<HubMessage> out;
    for (const HubMessage& m : channel.to(subscriber)) {
      if (!m.resync) out.push_back(m);
    }
    return out;
  }

  testing::FakeClock clock{seconds(100)};
  testing::ManualTimer timer;
  testing::RecordingChannel channel;
  testing::CountingProbes probes;
  SocketHub hub;
};

TEST_F(SocketHubTest, EveryMemberGetsEveryStatusWithConsecutiveSequenceNumbers) {
  hub.join("d1", "customer", SubscriberRole::kCustomer);
  hub.join("d1", "dispatcher", SubscriberRole::kDispatcher);
  hub.publish(status(DeliveryStatus::kHeadingToPickup, 1, "a"));
  hub.publish(status(DeliveryStatus::kAtPickup, 2, "b"));

  for (const char* who : {"customer", "dispatcher"}) {
    const auto messages = broadcasts_to(who);
    ASSERT_EQ(messages.size(), 2u) << who;
    EXPECT_EQ(messages[0].sequence, 1u);
    EXPECT_EQ(messages[1].sequence, 2u);
    EXPECT_EQ(messages[0].events[0].operation_id, "a");
    EXPECT_EQ(messages[1].events[0].status, DeliveryStatus::kAtPickup);
  }
  EXPECT_EQ(hub.members("d1"), (std::vector<std::string>{"customer", "dispatcher"}));
}

TEST_F(SocketHubTest, PositionsWithinTheThrottleIntervalWaitAndGoTogether) {
  hub.join("d1", "customer", SubscriberRole::kCustomer);
  hub.publish(position(0, seconds(1), 1, "p1"));  // the first goes at once
  clock.advance(millis(200));
  hub.publish(position(100, seconds(2), 2, "p2"));
  clock.advance(millis(200));
  hub.publish(position(200, seconds(3), 3, "p3"));
  EXPECT_EQ(broadcasts_to("customer").size(), 1u);
  EXPECT_GE(probes.count(probe::kHubThrottled), 1);

  timer.run_until(clock.now() + seconds(1));

  const auto messages = broadcasts_to("customer");
  ASSERT_EQ(messages.size(), 2u);
  ASSERT_EQ(messages[1].events.size(), 2u);
  EXPECT_EQ(messages[1].events[0].operation_id, "p2");
  EXPECT_EQ(messages[1].events[1].operation_id, "p3");
  EXPECT_EQ(positions_to("customer").size(), 3u);
}

TEST_F(SocketHubTest, PositionsThatBarelyMovedAreThinnedButTheNewestAlwaysGoes) {
  hub.join("d1", "customer", SubscriberRole::kCustomer);
  hub.publish(position(0, seconds(1), 1));
  hub.publish(position(2, seconds(2), 2));   // 2 m from the last sent: thinned
  hub.publish(position(50, seconds(3), 3));  // kept
  hub.publish(position(52, seconds(4), 4));  // close, but the newest: kept
  timer.run_until(clock.now() + seconds(1));

  const auto sent = positions_to("customer");
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[1].device_time_ns, seconds(3));
  EXPECT_EQ(sent[2].device_time_ns, seconds(4));
  EXPECT_EQ(hub.stats().positions_filtered, 1u);
}

TEST_F(SocketHubTest, APositionNotNewerThanOneTheRoomHasIsDropped) {
  hub.join("d1", "customer", SubscriberRole::kCustomer);
  hub.publish(position(0, seconds(5), 1));
  clock.advance(seconds(2));
  hub.publish(position(100, seconds(5), 2));  // the same fix again
  hub.publish(position(200, seconds(4), 3));  // older
  timer.run_until(clock.now() + seconds(2));
  EXPECT_EQ(positions_to("customer").size(), 1u);
  EXPECT_EQ(hub.stats().positions_deduplicated, 2u);
}

TEST_F(SocketHubTest, AStatusChangeGoesAtOnceAfterThePositionsWaitingBeforeIt) {
  hub.join("d1", "customer", SubscriberRole::kCustomer);
  hub.publish(position(0, seconds(1), 1, "p1"));
  hub.publish(position(100, seconds(2), 2, "p2"));  // waits for the throttle
  hub.publish(status(DeliveryStatus::kAtDropoff, 3, "s"));

  const auto messages = broadcasts_to("customer");
  ASSERT_EQ(messages.size(), 2u);
  ASSERT_EQ(messages[1].events.size(), 2u);
  EXPECT_EQ(messages[1].events[0].operation_id, "p2");
  EXPECT_EQ(messages[1].events[1].operation_id, "s");
  // The timer finds nothing left to send.
  timer.run_until(clock.now() + seconds(2));
  EXPECT_EQ(broadcasts_to("customer").size(), 2u);
}

TEST_F(SocketHubTest, AFailedOperationIsBroadcastToTheRoom) {
  hub.join("d1", "driver", SubscriberRole::kDriver);
  RoomEvent failure = status(DeliveryStatus::kPending, 0, "bad");
  failure.kind = Kind::kFailure;
  failure.error_class = ErrorClass::kInvalidTransition;
  hub.publish(failure);
  const auto messages = broadcasts_to("driver");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].events[0].kind, Kind::kFailure);
  EXPECT_EQ(messages[0].events[0].error_class, ErrorClass::kInvalidTransition);
}

TEST_F(SocketHubTest, ATerminalStatusClosesTheRoomAndNothingIsSentAfter) {
  hub.join("d1", "customer", SubscriberRole::kCustomer);
  hub.publish(position(0, seconds(1), 1));
  hub.publish(position(100, seconds(2), 2));  // waiting when the delivery ends
  hub.publish(status(DeliveryStatus::kDelivered, 3, "done"));
  RoomEvent closed = status(DeliveryStatus::kDelivered, 3, "done");
  closed.kind = Kind::kClosed;
  hub.publish(closed);  // the backend's own "closed": the same news, not a late event

  const auto messages = broadcasts_to("customer");
  ASSERT_EQ(messages.size(), 2u);
  const auto& last = messages.back().events;
  ASSERT_EQ(last.size(), 3u);
  EXPECT_EQ(last[1].status, DeliveryStatus::kDelivered);
  EXPECT_EQ(last[2].kind, Kind::kClosed);
  EXPECT_TRUE(hub.room_closed("d1"));
  EXPECT_TRUE(hub.members("d1").empty());
  EXPECT_EQ(hub.stats().events_after_close, 0u);

  hub.publish(position(300, seconds(9), 4));
  timer.run_until(clock.now() + seconds(5));
  EXPECT_EQ(channel.to("customer").size(), messages.size() + 1);  // + the join's resync
  EXPECT_EQ(hub.stats().events_after_close, 1u);
  EXPECT_EQ(probes.count(probe::kHubAfterClose), 1);
}

TEST_F(SocketHubTest, ASubscriberThatRejoinsGetsTheLatestStateItMissed) {
  hub.join("d1", "dispatcher", SubscriberRole::kDispatcher);
  hub.publish(status(DeliveryStatus::kHeadingToDropoff, 4, "s4"));
  hub.publish(position(500, seconds(7), 5, "p5"));

  hub.join("d1", "dispatcher", SubscriberRole::kDispatcher);  // after a dropped connection

  const HubMessage resync = channel.to("dispatcher").back();
  EXPECT_TRUE(resync.resync);
  EXPECT_EQ(resync.sequence, 2u);  // the room's latest message number
  ASSERT_EQ(resync.events.size(), 2u);
  EXPECT_EQ(resync.events[0].kind, Kind::kStatus);
  EXPECT_EQ(resync.events[0].version, 5);
  EXPECT_EQ(resync.events[0].operation_id, "p5");
  EXPECT_EQ(resync.events[1].kind, Kind::kLocation);
  EXPECT_EQ(resync.events[1].locations.at(0).device_time_ns, seconds(7));
  EXPECT_EQ(hub.members("d1").size(), 1u);
}

TEST_F(SocketHubTest, VersionsNeverGoBackWithinARoom) {
  hub.join("d1", "customer", SubscriberRole::kCustomer);
  hub.publish(status(DeliveryStatus::kPickedUp, 6, "s6"));
  hub.publish(status(DeliveryStatus::kAtPickup, 5, "s5"));  // published late: dropped
  hub.publish(position(0, seconds(9), 4, "p4"));            // newest position: sent as of v6
  hub.publish(status(DeliveryStatus::kDelivered, 3, "d"));  // an ending is never dropped

  std::vector<std::int64_t> versions;
  for (const HubMessage& m : broadcasts_to("customer")) {
    for (const RoomEvent& e : m.events)
      versions.push_back(e.version);
  }
  EXPECT_EQ(versions, (std::vector<std::int64_t>{6, 6, 6, 6}));
  EXPECT_EQ(hub.stats().events_stale, 1u);
  const auto last = broadcasts_to("customer").back().events;
  EXPECT_EQ(last.back().kind, Kind::kClosed);
  EXPECT_EQ(last.back().status, DeliveryStatus::kDelivered);
  EXPECT_EQ(positions_to("customer").at(0).device_time_ns, seconds(9));
}

TEST_F(SocketHubTest, ARepeatOfTheLatestChangeIsNotSentTwice) {
  hub.join("d1", "customer", SubscriberRole::kCustomer);
  hub.publish(status(DeliveryStatus::kAtDropoff, 4, "s"));
  hub.publish(status(DeliveryStatus::kAtDropoff, 4, "s"));
  hub.publish(status(DeliveryStatus::kDelivered, 5, "done"));
  hub.publish(status(DeliveryStatus::kDelivered, 5, "done"));  // after close: the same news
  EXPECT_EQ(broadcasts_to("customer").size(), 2u);
  EXPECT_EQ(hub.stats().events_repeated, 2u);
  EXPECT_EQ(hub.stats().events_after_close, 0u);
}

TEST_F(SocketHubTest, JoiningAClosedRoomGetsTheFinalStateButNoMembership) {
  hub.publish(status(DeliveryStatus::kCancelled, 2, "cancel"));
  hub.join("d1", "late", SubscriberRole::kCustomer);
  const auto messages = channel.to("late");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(messages[0].resync);
  EXPECT_EQ(messages[0].events.back().kind, Kind::kClosed);
  EXPECT_EQ(messages[0].events.back().status, DeliveryStatus::kCancelled);
  EXPECT_TRUE(hub.members("d1").empty());
}

TEST(SocketHubWithBackend, TheFixedBackendsEventsReachTheRoomInOrder) {
  testing::TestWorld server;
  testing::ManualTimer timer(server.clock);
  testing::RecordingChannel channel;
  SocketHub hub(SocketHubConfig{}, SocketHubPorts{&server.clock, &timer, &channel, nullptr});
  BackendPorts ports = server.ports();
  ports.broadcaster = &hub;
  auto backend = make_backend(BackendConfig{}, ports);
  server.store.put(testing::make_delivery("d1", 0));
  hub.join("d1", "customer", SubscriberRole::kCustomer);

  ApiRequest heading{.kind = OperationKind::kUpdateStatus,
                     .delivery_id = "d1",
                     .operation_id = "s1",
                     .client_id = "driver",
                     .status = DeliveryStatus::kHeadingToPickup,
                     .note = "",
                     .locations = {}};
  ASSERT_TRUE(backend->handle(heading).success);
  ApiRequest moved{.kind = OperationKind::kUpdateLocation,
                   .delivery_id = "d1",
                   .operation_id = "l1",
                   .client_id = "driver",
                   .status = DeliveryStatus::kPending,
                   .note = "",
                   .locations = {position_at(0, seconds(1)), position_at(100, seconds(2))}};
  ASSERT_TRUE(backend->handle(moved).success);
  ApiRequest cancel = heading;
  cancel.operation_id = "s2";
  cancel.status = DeliveryStatus::kCancelled;
  ASSERT_TRUE(backend->handle(cancel).success);
  timer.run_until(server.clock.now() + seconds(5));

  std::vector<std::string> ops;
  std::uint64_t expected_sequence = 1;
  for (const HubMessage& m : channel.to("customer")) {
    if (m.resync) continue;
    EXPECT_EQ(m.sequence, expected_sequence++);
    for (const RoomEvent& e : m.events)
      ops.push_back(e.operation_id + ":" + std::string(e.kind == Kind::kClosed ? "closed" : "e"));
  }
  EXPECT_EQ(ops, (std::vector<std::string>{"s1:e", "l1:e", "s2:e", "s2:closed"}));
  EXPECT_EQ(hub.stats().events_after_close, 0u);
  EXPECT_TRUE(hub.room_closed("d1"));
}

}  // namespace
}  // namespace tracksim::model

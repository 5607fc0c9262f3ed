// The shipped scenario scenarios/tunnel-offline.toml, run through run_world, checked from the
// History alone: a driver's 60 s in a tunnel while the dispatcher's socket drops for 8 s loses
// no position, stores none twice, ends on the newest one, and leaves the dispatcher with the
// delivery's latest position and status.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "model/probe_names.h"
#include "sim/scenario.h"
#include "sim/world/world.h"

namespace tracksim::sim {
namespace {

constexpr char kDelivery[] = "delivery-1";
constexpr char kDriver[] = "driver-1";

class TunnelOffline : public ::testing::TestWithParam<std::uint64_t> {
 protected:
  static void SetUpTestSuite() {
    scenario_ = new Scenario(load_scenario("scenarios/tunnel-offline.toml"));
  }
  static void TearDownTestSuite() {
    delete scenario_;
    scenario_ = nullptr;
  }

  void SetUp() override {
    world_ = run_world(*scenario_, WorldOptions{.seed = GetParam()});
    ASSERT_TRUE(world_.outcome.status == RunStatus::kTimeLimit ||
                world_.outcome.status == RunStatus::kQuiescent)
        << world_.outcome.detail;
    ASSERT_EQ(world_.history.final_documents().count(kDelivery), 1u);
  }

  const History& history() const { return world_.history; }
  const model::DeliveryTracking& final_doc() const {
    return world_.history.final_documents().at(kDelivery);
  }
  // The fault window of `kind` on `target`, from the scenario.
  std::pair<Nanos, Nanos> window(std::string_view kind, std::string_view target) const {
    for (const FaultRecord& f : history().faults()) {
      if (f.kind == kind && f.target == target) return {f.time_ns, f.time_ns + f.duration_ns};
    }
    ADD_FAILURE() << "no " << kind << " fault on " << target;
    return {0, 0};
  }

  static Scenario* scenario_;
  WorldResult world_;
};

Scenario* TunnelOffline::scenario_ = nullptr;

TEST_P(TunnelOffline, TheTunnelFellOnTheDriveAndItsPositionsWereReplayedAfterIt) {
  const auto [from, until] = window("offline", kDriver);
  int queued_inside = 0;
  for (const QueuedPositionRecord& p : history().queued_positions()) {
    if (p.queued_ns < from || p.queued_ns >= until) continue;
    ++queued_inside;
    // Nothing queued in the tunnel could leave before it ended.
    for (const OperationRecord& op : history().operations()) {
      if (op.operation_id != p.operation_id) continue;
      EXPECT_GE(op.invoke_ns, until) << p.update_id;
    }
  }
  // A position every 5 s for 60 s, less the few that barely moved.
  EXPECT_GE(queued_inside, 8);
}

TEST_P(TunnelOffline, EveryPositionIsStoredExactlyOnce) {
  std::map<std::string, const OperationRecord*> operations;
  for (const OperationRecord& op : history().operations())
    operations[op.operation_id] = &op;
  std::map<std::string, int> applied;
  for (const CommitRecord& c : history().commits()) {
    for (const std::string& id : c.operations_applied)
      ++applied[id];
  }

  ASSERT_FALSE(history().queued_positions().empty());
  for (const QueuedPositionRecord& p : history().queued_positions()) {
    EXPECT_EQ(p.dropped, "") << p.update_id;
    ASSERT_NE(p.operation_id, "") << p.update_id << " was never sent";
    ASSERT_EQ(operations.count(p.operation_id), 1u) << p.operation_id;
    EXPECT_EQ(operations[p.operation_id]->outcome, OpOutcome::kOk) << p.operation_id;
    EXPECT_EQ(applied[p.operation_id], 1) << p.operation_id;
  }
  // And none was discarded as older than the stored one: they reached the server in order.
  const auto stale = world_.probes.find(model::probe::kLocationStaleDropped);
  EXPECT_TRUE(stale == world_.probes.end() || stale->second == 0);
}

TEST_P(TunnelOffline, TheNewestPositionWins) {
  const QueuedPositionRecord* newest = nullptr;
  for (const QueuedPositionRecord& p : history().queued_positions()) {
    if (p.delivery_id != kDelivery) continue;
    if (newest == nullptr || p.location.device_time_ns > newest->location.device_time_ns) {
      newest = &p;
    }
  }
  ASSERT_NE(newest, nullptr);
  ASSERT_TRUE(final_doc().current_location.has_value());
  EXPECT_EQ(*final_doc().current_location, newest->location);
}

TEST_P(TunnelOffline, TheDispatcherEndsWithTheLatestPositionAndStatus) {
  const auto [from, until] = window("partition", "dispatcher");
  EXPECT_EQ(until - from, seconds(8));

  const SubscriberReceipt* last = nullptr;
  std::optional<model::Location> newest;
  for (const SubscriberReceipt& r : history().receipts()) {
    if (r.subscriber != "dispatcher" || r.delivery_id != kDelivery) continue;
    if (r.kind == model::RoomEvent::Kind::kFailure) continue;
    last = &r;
    if (r.location && (!newest || r.location->device_time_ns > newest->device_time_ns)) {
      newest = r.location;
    }
  }
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->status, final_doc().status);
  EXPECT_EQ(last->version, final_doc().version);
  ASSERT_TRUE(newest.has_value());
  EXPECT_EQ(*newest, *final_doc().current_location);
}

TEST_P(TunnelOffline, TheDispatcherCatchesUpRightAfterItsDropNotJustEventually) {
  const auto [from, until] = window("partition", "dispatcher");
  // What the delivery looked like when the dispatcher's network came back.
  std::int64_t version_at_heal = 0;
  for (const CommitRecord& c : history().commits()) {
    if (c.delivery_id == kDelivery && c.time_ns < until) {
      version_at_heal = std::max(version_at_heal, c.version_after);
    }
  }

  // The replay after the tunnel happened while the dispatcher was cut off: it missed it, and
  // rejoined its rooms to be told the state again, within a few seconds of reconnecting.
  bool resynced = false;
  bool caught_up = false;
  for (const SubscriberReceipt& r : history().receipts()) {
    if (r.subscriber != "dispatcher" || r.delivery_id != kDelivery) continue;
    if (r.time_ns < until || r.time_ns > until + seconds(5)) continue;
    resynced = resynced || r.resync;
    caught_up = caught_up || r.version >= version_at_heal;
  }
  EXPECT_TRUE(resynced);
  EXPECT_TRUE(caught_up) << "no receipt of version " << version_at_heal << " or later";
}

INSTANTIATE_TEST_SUITE_P(Seeds, TunnelOffline, ::testing::Values(1, 2, 3));

}  // namespace
}  // namespace tracksim::sim

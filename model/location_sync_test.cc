// LocationSyncService against the fixed backend on an in-memory store: batching, deduplication,
// priorities, the offline queue, restarts and exactly-once storage of resent batches.
#include "model/location_sync.h"

#include <gtest/gtest.h>

#include <set>

#include "model/probe_names.h"
#include "model/testing/client_fakes.h"

namespace tracksim::model {
namespace {

using testing::PhoneWorld;
using testing::position_at;
using testing::TransportFault;

class LocationSyncTest : public ::testing::Test {
 protected:
  LocationSyncTest() {
    world.server.store.put(testing::make_delivery("d1", 0));
    config.max_batch_size = 20;
  }

  std::unique_ptr<LocationSyncService> make_service() {
    return std::make_unique<LocationSyncService>(config, world.phone_ports(), "phone");
  }

  Nanos now() const { return world.server.clock.now(); }

  // Queues the position `metres` north at the current time plus `offset`.
  std::optional<std::string> queue(LocationSyncService& sync, double metres, Nanos offset_ns = 0,
                                   LocationPriority priority = LocationPriority::kNormal) {
    world.server.clock.advance(seconds(1));
    return sync.queue_location_update("d1", position_at(metres, now() + offset_ns), priority);
  }

  // Commits that raised the version under `operation_id`: how often it was stored.
  int stored(const std::string& operation_id) const {
    int n = 0;
    for (const auto& c : world.server.store.commits()) {
      n += c.operation_id == operation_id && c.version_raised ? 1 : 0;
    }
    return n;
  }

  Location stored_position() const {
    auto doc = world.server.store.peek("d1");
    EXPECT_TRUE(doc.has_value());
    EXPECT_TRUE(doc->current_location.has_value());
    return *doc->current_location;
  }

  PhoneWorld world;
  LocationSyncConfig config;
};

TEST_F(LocationSyncTest, FlushSendsQueuedPositionsOldestFirstInOneBatch) {
  auto sync = make_service();
  ASSERT_TRUE(queue(*sync, 0).has_value());
  ASSERT_TRUE(queue(*sync, 100).has_value());
  ASSERT_TRUE(queue(*sync, 200).has_value());
  const Location newest = sync->queue().back().location;

  EXPECT_EQ(sync->flush(), FlushOutcome::kDrained);

  ASSERT_EQ(world.transport.requests.size(), 1u);
  const ApiRequest& sent = world.transport.requests[0];
  EXPECT_EQ(sent.kind, OperationKind::kUpdateLocation);
  ASSERT_EQ(sent.locations.size(), 3u);
  EXPECT_LT(sent.locations[0].device_time_ns, sent.locations[1].device_time_ns);
  EXPECT_LT(sent.locations[1].device_time_ns, sent.locations[2].device_time_ns);
  EXPECT_EQ(sync->queued(), 0u);
  EXPECT_EQ(stored_position(), newest);
  EXPECT_EQ(stored(sent.operation_id), 1);
  ASSERT_EQ(world.listener.settled.size(), 1u);
  EXPECT_TRUE(world.listener.settled[0].success);
}

TEST_F(LocationSyncTest, EveryPositionGetsItsOwnIdAndABatchIdNamesItsFirst) {
  auto sync = make_service();
  const auto first = queue(*sync, 0);
  const auto second = queue(*sync, 100);
  ASSERT_TRUE(first && second);
  EXPECT_NE(*first, *second);
  sync->flush();
  ASSERT_EQ(world.listener.batches.size(), 1u);
  EXPECT_EQ(world.listener.batches[0].first, *first + "+1");
  EXPECT_EQ(world.listener.batches[0].second, (std::vector<std::string>{*first, *second}));

  // A batch of one travels under the position's own id.
  const auto third = queue(*sync, 200);
  sync->flush();
  EXPECT_EQ(world.transport.requests.back().operation_id, *third);
}

TEST_F(LocationSyncTest, PositionsThatBarelyMovedAreNotQueued) {
  config.dedup_distance_m = 10;
  config.dedup_max_silence_ns = seconds(60);
  auto sync = make_service();
  ASSERT_TRUE(queue(*sync, 0).has_value());
  EXPECT_FALSE(queue(*sync, 3).has_value());
  EXPECT_EQ(world.phone_probes.count(probe::kSyncDeduplicated), 1);

  // Still there after a long silence: queued, so the server hears the phone is alive.
  EXPECT_TRUE(queue(*sync, 3, seconds(61)).has_value());
  // A manual update is never deduplicated.
  EXPECT_TRUE(queue(*sync, 4, seconds(62), LocationPriority::kHigh).has_value());
}

TEST_F(LocationSyncTest, APositionNotNewerThanTheLastQueuedIsNotQueued) {
  auto sync = make_service();
  ASSERT_TRUE(queue(*sync, 0, seconds(10)).has_value());
  EXPECT_FALSE(queue(*sync, 500, -seconds(10)).has_value());
  EXPECT_EQ(world.phone_probes.count(probe::kSyncNotNewer), 1);
}

TEST_F(LocationSyncTest, HighPrioritySendsAtOnceWithEverythingQueuedBeforeIt) {
  auto sync = make_service();
  queue(*sync, 0);
  queue(*sync, 100);
  EXPECT_TRUE(world.transport.requests.empty());

  queue(*sync, 200, 0, LocationPriority::kHigh);

  ASSERT_EQ(world.transport.requests.size(), 1u);
  EXPECT_EQ(world.transport.requests[0].locations.size(), 3u);
  EXPECT_EQ(sync->queued(), 0u);
}

TEST_F(LocationSyncTest, OfflineQueueWaitsThenReplaysInOrderOnReconnect) {
  config.max_batch_size = 2;
  auto sync = make_service();
  world.connectivity.is_online = false;
  std::vector<Location> queued;
  for (int i = 0; i < 5; ++i) {
    queue(*sync, 100.0 * i);
    queued.push_back(sync->queue().back().location);
  }
  EXPECT_EQ(sync->flush(), FlushOutcome::kOffline);
  EXPECT_TRUE(world.transport.requests.empty());

  world.connectivity.is_online = true;
  EXPECT_EQ(sync->flush(), FlushOutcome::kDrained);

  std::vector<Location> sent;
  for (const ApiRequest& r : world.transport.requests) {
    EXPECT_LE(r.locations.size(), 2u);
    sent.insert(sent.end(), r.locations.begin(), r.locations.end());
  }
  EXPECT_EQ(sent, queued);
  EXPECT_EQ(world.transport.requests.size(), 3u);
  EXPECT_EQ(stored_position(), queued.back());
  EXPECT_EQ(world.server.probes.count(probe::kLocationStaleDropped), 0);
}

TEST_F(LocationSyncTest, TheQueueSurvivesAnAppRestartWithItsIds) {
  world.connectivity.is_online = false;
  std::vector<std::string> ids;
  {
    auto sync = make_service();
    for (int i = 0; i < 3; ++i)
      ids.push_back(*queue(*sync, 100.0 * i));
  }

  auto restarted = make_service();
  ASSERT_EQ(restarted->queued(), 3u);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(restarted->queue()[i].update_id, ids[i]);
  }
  EXPECT_EQ(world.phone_probes.count(probe::kSyncRestored), 1);

  // Ids handed out after the restart never repeat one from before.
  const auto fresh = queue(*restarted, 1000);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).count(*fresh), 0u);

  const Location newest = restarted->queue().back().location;
  world.connectivity.is_online = true;
  EXPECT_EQ(restarted->flush(), FlushOutcome::kDrained);
  EXPECT_EQ(stored_position(), newest);
  EXPECT_EQ(world.transport.requests.size(), 1u);
  EXPECT_EQ(world.transport.requests[0].locations.size(), 4u);
}

TEST_F(LocationSyncTest, ABatchWhoseReplyWasLostIsResentUnderItsIdAndStoredOnce) {
  auto sync = make_service();
  world.transport.faults = [](const ApiRequest&, int call) -> std::optional<TransportFault> {
    if (call == 0) return TransportFault::kLoseReply;
    return std::nullopt;
  };
  queue(*sync, 0);
  queue(*sync, 100);
  EXPECT_EQ(sync->flush(), FlushOutcome::kDrained);

  ASSERT_EQ(world.transport.requests.size(), 2u);
  const std::string id = world.transport.requests[0].operation_id;
  EXPECT_EQ(world.transport.requests[1].operation_id, id);
  EXPECT_EQ(world.transport.requests[1].locations, world.transport.requests[0].locations);
  EXPECT_EQ(stored(id), 1);
  EXPECT_EQ(world.phone_probes.count(probe::kSyncResent), 1);
  EXPECT_EQ(world.server.probes.count(probe::kIdempotentDuplicate), 1);
}

TEST_F(LocationSyncTest, ARestartAfterALostReplyResendsTheSameBatchNotANewOne) {
  world.transport.faults = [](const ApiRequest&, int) -> std::optional<TransportFault> {
    return TransportFault::kLoseReply;
  };
  std::string id;
  {
    auto sync = make_service();
    queue(*sync, 0);
    queue(*sync, 100);
    // Every reply is lost: the batch outlasts its retries and stays sealed at the head.
    EXPECT_EQ(sync->flush(), FlushOutcome::kStalled);
    id = world.transport.requests.front().operation_id;
  }
  EXPECT_EQ(stored(id), 1);

  world.transport.faults = nullptr;
  auto restarted = make_service();
  queue(*restarted, 200);  // after the sealed batch, never inside it
  EXPECT_EQ(restarted->flush(), FlushOutcome::kDrained);

  const auto& requests = world.transport.requests;
  ASSERT_GE(requests.size(), 3u);
  EXPECT_EQ(requests[requests.size() - 2].operation_id, id);
  EXPECT_EQ(requests[requests.size() - 2].locations.size(), 2u);
  EXPECT_EQ(requests.back().locations.size(), 1u);
  EXPECT_EQ(stored(id), 1);
}

TEST_F(LocationSyncTest, AFullQueueDropsItsOldestUnsentPosition) {
  config.offline_queue_capacity = 3;
  config.max_batch_size = 2;
  auto sync = make_service();
  world.connectivity.is_online = false;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(*queue(*sync, 100.0 * i));

  ASSERT_EQ(sync->queued(), 3u);
  EXPECT_EQ(sync->queue()[0].update_id, ids[2]);
  EXPECT_EQ(sync->queue()[2].update_id, ids[4]);
  ASSERT_EQ(world.listener.dropped.size(), 2u);
  EXPECT_EQ(world.listener.dropped[0].first.update_id, ids[0]);
  EXPECT_EQ(world.listener.dropped[0].second, "overflow");
  EXPECT_EQ(world.phone_probes.count(probe::kSyncQueueOverflow), 2);
}

TEST_F(LocationSyncTest, ABatchTheServerRefusesForGoodIsDroppedAndTheRestGoOn) {
  auto sync = make_service();
  world.server.clock.advance(seconds(1));
  sync->queue_location_update("no-such-delivery", position_at(0, now()), LocationPriority::kNormal);
  queue(*sync, 100);
  EXPECT_EQ(sync->flush(), FlushOutcome::kDrained);

  ASSERT_EQ(world.transport.requests.size(), 2u);
  EXPECT_EQ(world.phone_probes.count(probe::kSyncRejected), 1);
  ASSERT_EQ(world.listener.dropped.size(), 1u);
  EXPECT_EQ(world.listener.dropped[0].second, "rejected");
  ASSERT_EQ(world.listener.settled.size(), 2u);
  EXPECT_EQ(world.listener.settled[0].error_class, ErrorClass::kDocumentNotFound);
  EXPECT_TRUE(world.listener.settled[1].success);
}

TEST_F(LocationSyncTest, DamagedStorageStartsEmptyWithIdsThatCannotCollide) {
  world.storage.put("location_sync/phone", "location_sync 1\nupdate broken\n");
  auto sync = make_service();
  EXPECT_EQ(sync->queued(), 0u);
  EXPECT_EQ(world.phone_probes.count(probe::kClientStorageCorrupt), 1);
  const auto id = queue(*sync, 0);
  ASSERT_TRUE(id.has_value());
  EXPECT_NE(*id, "phone/1");
}

TEST_F(LocationSyncTest, WhileOneTaskSendsAnotherTasksPositionGoesNextNotAlongside) {
  auto sync = make_service();
  bool nested = false;
  world.transport.during_call = [&](const ApiRequest&) {
    if (nested) return;
    nested = true;
    // A high-priority position while a batch is in flight: the sending task takes it next.
    queue(*sync, 500, 0, LocationPriority::kHigh);
  };
  queue(*sync, 0);
  sync->flush();

  ASSERT_EQ(world.transport.requests.size(), 2u);
  EXPECT_EQ(world.transport.max_in_flight, 1);
  EXPECT_LT(world.transport.requests[0].locations.back().device_time_ns,
            world.transport.requests[1].locations.front().device_time_ns);
  EXPECT_EQ(sync->queued(), 0u);
}

TEST_F(LocationSyncTest, TheLoopFlushesEveryIntervalAndEndsWhenStoppedAndEmpty) {
  config.sync_interval_ns = seconds(5);
  auto sync = make_service();
  queue(*sync, 0);
  queue(*sync, 100);
  const Nanos start = now();
  sync->stop();
  sync->run(start + seconds(600));

  EXPECT_EQ(world.transport.requests.size(), 1u);
  EXPECT_EQ(sync->queued(), 0u);
  // One interval's sleep, then the flush; not the whole ten minutes.
  EXPECT_LT(now(), start + seconds(10));
}

TEST_F(LocationSyncTest, RepliesTellTheAppTheDeliverysStatus) {
  auto sync = make_service();
  std::vector<DeliveryStatus> seen;
  sync->on_document = [&](const DeliveryTracking& doc) { seen.push_back(doc.status); };
  queue(*sync, 0);
  sync->flush();
  EXPECT_EQ(seen, (std::vector<DeliveryStatus>{DeliveryStatus::kAssigned}));
}

TEST(LocationSyncConfig, RejectsKnobsOutOfRange) {
  LocationSyncConfig c;
  EXPECT_TRUE(validate_location_sync_config(c).ok());
  c.offline_queue_capacity = c.max_batch_size;
  EXPECT_FALSE(validate_location_sync_config(c).ok());
  c = LocationSyncConfig{};
  c.sync_interval_ns = 0;
  EXPECT_FALSE(validate_location_sync_config(c).ok());
}

}  // namespace
}  // namespace tracksim::model

// The timeline's data: lock leases rebuilt from commits, and what links witnesses to records.
#include "reports/timeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "reports/testing/sample_history.h"

namespace tracksim::reports {
namespace {

TEST(LockLeases, ReleasedExpiredAndOpenLeasesOfOneDelivery) {
  const testing::SampleRun run = testing::sample_run();
  const std::vector<LockLease> leases = lock_leases(run.world.history, millis(40000));
  ASSERT_EQ(leases.size(), 3u);

  // op-ok held the lock from 10 ms and its own commit released it at 90 ms.
  EXPECT_EQ(leases[0].owner, "op-ok");
  EXPECT_EQ(leases[0].start_ns, millis(10));
  EXPECT_EQ(leases[0].end_ns, millis(90));
  EXPECT_EQ(leases[0].ended, "released");

  // op-pse's lease ran out at 400 ms; op-timeout took the lock over only at 900 ms.
  EXPECT_EQ(leases[1].owner, "op-pse");
  EXPECT_EQ(leases[1].end_ns, millis(400));
  EXPECT_EQ(leases[1].ended, "expired");

  // op-timeout's lease was still live when the history ended.
  EXPECT_EQ(leases[2].owner, "op-timeout");
  EXPECT_EQ(leases[2].until_ns, millis(30900));
  EXPECT_EQ(leases[2].ended, "expired");  // the history runs past its expiry
}

TEST(LockLeases, LeaseStillLiveAtTheEndIsOpen) {
  const testing::SampleRun run = testing::sample_run();
  const std::vector<LockLease> leases = lock_leases(run.world.history, millis(1000));
  ASSERT_EQ(leases.size(), 3u);
  EXPECT_EQ(leases[2].ended, "open");
  EXPECT_EQ(leases[2].end_ns, millis(1000));
}

TEST(LockLeases, ReplacedBeforeExpiry) {
  sim::History h;
  sim::CommitRecord take;
  take.time_ns = millis(1);
  take.delivery_id = "d";
  take.lock_owner_after = "a";
  take.lock_until_after = millis(100);
  h.add_commit(take);
  sim::CommitRecord steal = take;
  steal.time_ns = millis(5);
  steal.lock_owner_before = "a";
  steal.lock_until_before = millis(100);
  steal.lock_owner_after = "b";
  steal.lock_until_after = millis(200);
  h.add_commit(steal);
  const std::vector<LockLease> leases = lock_leases(h, millis(300));
  ASSERT_EQ(leases.size(), 2u);
  EXPECT_EQ(leases[0].ended, "replaced");
  EXPECT_EQ(leases[0].end_ns, millis(5));
}

TEST(NaturalOrder, CountsDigitRunsAsNumbers) {
  EXPECT_TRUE(natural_less("delivery-2", "delivery-10"));
  EXPECT_FALSE(natural_less("delivery-10", "delivery-2"));
  EXPECT_TRUE(natural_less("a", "b"));
  EXPECT_TRUE(natural_less("d-1", "d-1-x"));
  EXPECT_TRUE(natural_less("d-01", "d-1") != natural_less("d-1", "d-01"));
  EXPECT_FALSE(natural_less("same", "same"));
  std::vector<std::string> names = {"d-10", "d-9", "d-100", "d-1"};
  std::sort(names.begin(), names.end(), natural_less);
  EXPECT_EQ(names, (std::vector<std::string>{"d-1", "d-9", "d-10", "d-100"}));
}

TEST(HistoryEnd, IsTheLastRecordedInstant) {
  const testing::SampleRun run = testing::sample_run();
  EXPECT_EQ(history_end(run.world.history), millis(31000));  // the TTL deletion
  EXPECT_EQ(history_end(sim::History{}), millis(1));
}

TEST(TimelineData, DeliveriesOperationsAndWitnessLinks) {
  const testing::SampleRun run = testing::sample_run();
  const nlohmann::json data = timeline_data(run.world.history, run.properties);

  ASSERT_EQ(data["deliveries"].size(), 2u);
  EXPECT_EQ(data["deliveries"][0], "delivery-1");
  ASSERT_EQ(data["ops"].size(), 5u);
  // [index, delivery, kind, invoke_ms, complete_ms, outcome, error_class, ...]
  EXPECT_EQ(data["ops"][1][5], "fail");
  EXPECT_EQ(data["ops"][1][6], "ParallelSaveError");
  EXPECT_EQ(data["ops"][1][4], 60.0);
  EXPECT_TRUE(data["ops"][4][4].is_null());  // still pending
  EXPECT_EQ(data["ops"][3][1], 1);           // the hostile delivery sorts after delivery-1

  EXPECT_EQ(data["transitions"].size(), 1u);
  EXPECT_EQ(data["transitions"][0][3], "heading_to_pickup");
  EXPECT_EQ(data["leases"].size(), 3u);
  EXPECT_EQ(data["faults"].size(), 1u);
  EXPECT_EQ(data["documents"][0][2], "deleted_by_ttl");

  EXPECT_EQ(data["op_violations"]["1"], nlohmann::json({"no_lost_update"}));
  EXPECT_EQ(data["commit_violations"]["3"], nlohmann::json({"no_lost_update"}));
  EXPECT_FALSE(data["op_violations"].contains("0"));
}

}  // namespace
}  // namespace tracksim::reports

// lock_holder_pause faults: the stalled holder's lease runs out, another handler takes the lock
// over, and the stalled commit fails rather than overwriting; a pause within the lease changes
// nothing but time.
#include "sim/world/lock_holder_pause.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "sim/scenario.h"
#include "sim/world/world.h"

namespace tracksim::sim {
namespace {

// One driver on one delivery, positions every 5 s; the lock's lease is 30 s.
Scenario with_pause(double pause_s) {
  return parse_scenario(
      "[scenario]\nname = \"pause\"\nduration_s = 300\ndrain_s = 120\n"
      "[workload]\nkind = \"routes\"\ndrivers = 1\ndeliveries = 1\n"
      "[[faults]]\nkind = \"lock_holder_pause\"\ntarget = \"delivery-1\"\nat_s = 60\n"
      "duration_s = " +
          std::to_string(pause_s) + "\n",
      "pause.toml");
}

std::uint64_t probe(const WorldResult& w, const std::string& name) {
  auto it = w.probes.find(name);
  return it == w.probes.end() ? 0 : it->second;
}

TEST(LockHolderPause, PausePastTheLeaseLetsTheLockBeTakenOver) {
  const WorldResult w = run_world(with_pause(45), WorldOptions{.seed = 1});
  EXPECT_EQ(probe(w, "fault.lock_holder_paused"), 1u);
  EXPECT_GE(probe(w, "storage.lock_taken_over_after_expiry"), 1u);
  EXPECT_GE(probe(w, "lock.expired_before_commit"), 1u);
  const auto& faults = w.history.faults();
  EXPECT_EQ(std::count_if(faults.begin(), faults.end(),
                          [](const FaultRecord& f) {
                            return f.kind == "lock_holder_pause" && f.target == "delivery-1" &&
                                   f.duration_ns == seconds(45) && f.time_ns >= seconds(60);
                          }),
            1);
}

TEST(LockHolderPause, PauseWithinTheLeaseOnlyDelays) {
  const WorldResult w = run_world(with_pause(5), WorldOptions{.seed = 1});
  EXPECT_EQ(probe(w, "fault.lock_holder_paused"), 1u);
  EXPECT_EQ(probe(w, "storage.lock_taken_over_after_expiry"), 0u);
  EXPECT_EQ(probe(w, "lock.expired_before_commit"), 0u);
}

TEST(LockHolderPause, ScenarioWithoutOneIsUntouched) {
  Scenario none = with_pause(45);
  none.faults.clear();
  const WorldResult w = run_world(none, WorldOptions{.seed = 1});
  EXPECT_EQ(probe(w, "fault.lock_holder_paused"), 0u);
  EXPECT_EQ(probe(w, "storage.lock_taken_over_after_expiry"), 0u);
}

}  // namespace
}  // namespace tracksim::sim

// App restarts in a whole run: the driver's app dies inside a tunnel with positions queued, comes
// back from the phone's storage, and still gets every position stored exactly once; runs with
// restarts replay byte for byte.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

#include "model/client_ports.h"
#include "sim/scenario.h"
#include "sim/world/world.h"

namespace tracksim::sim {
namespace {

// One driver; the phone goes offline at 120 s for 60 s, and the app dies at 150 s for 10 s,
// then again at 300 s for 20 s while driving.
constexpr char kScenario[] = R"(
[scenario]
name = "app-restart"
duration_s = 700
drain_s = 120

[workload]
kind = "routes"
drivers = 1
deliveries = 1
city_size_km = 4

[[faults]]
kind = "offline"
target = "driver-1"
at_s = 120
duration_s = 60

[[faults]]
kind = "app_restart"
target = "driver-1"
at_s = 150
duration_s = 10

[[faults]]
kind = "app_restart"
target = "driver-1"
at_s = 300
duration_s = 20
)";

WorldResult run(std::uint64_t seed, std::ostream* trace = nullptr) {
  const Scenario scenario = parse_scenario(kScenario, "app-restart.toml");
  WorldOptions options;
  options.seed = seed;
  options.trace_out = trace;
  return run_world(scenario, options);
}

std::uint64_t probe(const WorldResult& w, std::string_view name) {
  auto it = w.probes.find(name);
  return it == w.probes.end() ? 0 : it->second;
}

class AppRestart : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(AppRestart, QueuedPositionsSurviveTheRestartAndAreStoredOnce) {
  const WorldResult w = run(GetParam());
  ASSERT_NE(w.outcome.status, RunStatus::kFiberFailed) << w.outcome.detail;
  ASSERT_NE(w.outcome.status, RunStatus::kDeadlock) << w.outcome.detail;

  // The relaunched app found the queue its predecessor left in the phone's storage.
  EXPECT_GE(probe(w, model::probe::kSyncRestored), 1u);

  std::map<std::string, int> applied;
  for (const CommitRecord& c : w.history.commits()) {
    for (const std::string& id : c.operations_applied)
      ++applied[id];
  }
  int queued_before_death = 0;
  for (const QueuedPositionRecord& p : w.history.queued_positions()) {
    if (p.queued_ns >= seconds(120) && p.queued_ns < seconds(150)) ++queued_before_death;
    EXPECT_EQ(p.dropped, "") << p.update_id;
    ASSERT_NE(p.operation_id, "") << p.update_id << " was never sent";
    EXPECT_EQ(applied[p.operation_id], 1) << p.operation_id;
  }
  EXPECT_GE(queued_before_death, 4);

  // Nothing was queued while the app was down: a dead app observes nothing.
  for (const QueuedPositionRecord& p : w.history.queued_positions()) {
    const bool down = (p.queued_ns >= seconds(150) && p.queued_ns < seconds(160)) ||
                      (p.queued_ns >= seconds(300) && p.queued_ns < seconds(320));
    EXPECT_FALSE(down) << p.update_id << " queued at " << to_seconds(p.queued_ns) << " s";
  }
  // Ids stay unique across the three runs of the app.
  std::map<std::string, int> ids;
  for (const QueuedPositionRecord& p : w.history.queued_positions())
    ++ids[p.update_id];
  for (const auto& [id, n] : ids)
    EXPECT_EQ(n, 1) << id;
}

TEST_P(AppRestart, RunsWithRestartsReplayByteForByte) {
  std::ostringstream first, second;
  const WorldResult a = run(GetParam(), &first);
  const WorldResult b = run(GetParam(), &second);
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(first.str(), second.str());
  EXPECT_NE(first.str().find("\"app.down\""), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Seeds, AppRestart, ::testing::Values(1, 2));

}  // namespace
}  // namespace tracksim::sim

// Faults: swarm draws per seed, Poisson windows, the timeline's bursts, and the injector turning
// scenario faults into windows that strike (and are logged) when they start.
#include "sim/world/faults.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "sim/scenario.h"
#include "sim/world/driver_motion.h"
#include "sim/world/network.h"
#include "sim/world/storage.h"

namespace tracksim::sim {
namespace {

RandomFaultsConfig everything_at(double rate) {
  RandomFaultsConfig config;
  for (const SwarmKnob& knob : swarm_knobs())
    config.*knob.field = rate;
  return config;
}

TEST(Swarm, WithoutSwarmTheConfiguredRatesAreUsedAsGiven) {
  const RandomFaultsConfig configured = everything_at(0.25);
  const RandomFaultsConfig drawn = draw_swarm(configured, 7);
  for (const SwarmKnob& knob : swarm_knobs())
    EXPECT_EQ(drawn.*knob.field, 0.25) << knob.name;
}

TEST(Swarm, EachSeedSwitchesKnobsOffOrDrawsThemWithinTheirRange) {
  RandomFaultsConfig configured = everything_at(0.5);
  configured.swarm = true;
  int off = 0, total = 0;
  std::vector<double> first_knob;
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    const RandomFaultsConfig drawn = draw_swarm(configured, seed);
    for (const SwarmKnob& knob : swarm_knobs()) {
      const double v = drawn.*knob.field;
      EXPECT_GE(v, 0) << knob.name;
      EXPECT_LE(v, 0.5) << knob.name;
      off += v == 0;
      ++total;
    }
    first_knob.push_back(drawn.*swarm_knobs().front().field);
    // Lengths are not drawn.
    EXPECT_EQ(drawn.partition_s_mean, configured.partition_s_mean);
  }
  // Half the knobs are off: 4000 coin flips give 2000 +- 95 (3 standard deviations).
  EXPECT_NEAR(off, total / 2, 95);
  // Different seeds, different mixes; the same seed, the same mix.
  std::sort(first_knob.begin(), first_knob.end());
  EXPECT_GT(std::unique(first_knob.begin(), first_knob.end()) - first_knob.begin(), 150);
  EXPECT_EQ(draw_swarm(configured, 3).loss_rate, draw_swarm(configured, 3).loss_rate);
}

TEST(Swarm, ChangingOneKnobsRangeLeavesTheOthersDrawsAlone) {
  RandomFaultsConfig a = everything_at(0.5);
  a.swarm = true;
  RandomFaultsConfig b = a;
  b.loss_rate = 0.1;
  const RandomFaultsConfig da = draw_swarm(a, 11), db = draw_swarm(b, 11);
  EXPECT_EQ(da.server_error_rate, db.server_error_rate);
  EXPECT_EQ(da.clock_jumps_per_driver_hour, db.clock_jumps_per_driver_hour);
  EXPECT_EQ(da.loss_rate == 0, db.loss_rate == 0);
}

// Over 200 horizons of 10 hours at 3 per hour, 6000 windows are expected; their count is
// Poisson-like (standard deviation about 77), so within 3% is about 2.3 deviations.
TEST(FaultWindows, ArriveAtTheConfiguredRateWithTheConfiguredMeanLength) {
  RandomStream stream(5, "windows");
  std::size_t count = 0;
  double length_s = 0;
  for (int run = 0; run < 200; ++run) {
    const auto windows = draw_windows(3, 20, seconds(36'000), stream);
    Nanos last_end = 0;
    for (const auto& [from, until] : windows) {
      EXPECT_GE(from, last_end);  // one process: windows never overlap
      EXPECT_LT(from, seconds(36'000));
      EXPECT_GE(until, from);
      last_end = until;
      length_s += to_seconds(until - from);
    }
    count += windows.size();
  }
  // Each window's length is taken out of the gaps, so the rate is per hour of uncut time.
  const double expected = 200 * 10 * 3 / (1 + 3 * 20 / 3600.0);
  EXPECT_NEAR(static_cast<double>(count), expected, 0.03 * expected);
  EXPECT_NEAR(length_s / static_cast<double>(count), 20, 1);
  EXPECT_TRUE(draw_windows(0, 20, seconds(3600), stream).empty());
}

TEST(FaultTimeline, CombinesBaseAndBurstAsIndependentCausesPerTarget) {
  FaultTimeline timeline;
  timeline.add(Burst::kServerErrors, BurstWindow{seconds(1), seconds(2), "delivery-1", 0.5});
  timeline.add(Burst::kLatencySpike, BurstWindow{seconds(1), seconds(2), "*", 4});
  EXPECT_DOUBLE_EQ(timeline.probability(Burst::kServerErrors, "delivery-1", seconds(1), 0.2),
                   1 - 0.8 * 0.5);
  EXPECT_DOUBLE_EQ(timeline.probability(Burst::kServerErrors, "delivery-2", seconds(1), 0.2), 0.2);
  EXPECT_DOUBLE_EQ(timeline.probability(Burst::kServerErrors, "delivery-1", seconds(2), 0.2), 0.2);
  EXPECT_EQ(timeline.latency_factor("anything", millis(1500)), 4);
  EXPECT_EQ(timeline.latency_factor("anything", millis(500)), 1);
}

// A fault injector wired to a storage server, a network and a fleet of devices.
struct InjectorWorld {
  explicit InjectorWorld(std::uint64_t seed)
      : sim(KernelOptions{.seed = seed, .strategy = ScheduleStrategy::kFifo}),
        probes(&sim),
        storage(sim, StorageConfig{}, history, probes),
        network(sim, LinkConfig{}),
        devices(sim, &network, DeviceConfig{}),
        log(sim, history),
        injector(sim, log, timeline, storage, network, &devices) {}

  Simulation sim;
  History history;
  Probes probes;
  StorageServer storage;
  Network network;
  DeviceFleet devices;
  FaultLog log;
  FaultTimeline timeline;
  FaultInjector injector;
};

TEST(FaultInjector, ScenarioFaultsBecomeWindowsAndAreLoggedWhenTheyStrike) {
  InjectorWorld w(1);

  const std::vector<FaultSpec> faults = {
      {.kind = FaultKind::kPartition, .at_s = 1, .duration_s = 2, .target = "driver-1"},
      {.kind = FaultKind::kStorageFailover, .at_s = 2, .duration_s = 1},
      {.kind = FaultKind::kMessageLoss, .at_s = 3, .duration_s = 1, .rate = 0.5},
      {.kind = FaultKind::kClockJump, .at_s = 4, .target = "driver-2", .amount_s = -30},
      {.kind = FaultKind::kAppRestart, .at_s = 5, .duration_s = 10, .target = "driver-3"},
      {.kind = FaultKind::kOffline, .at_s = 100, .duration_s = 1, .target = "driver-1"},
  };
  for (const FaultSpec& fault : faults)
    EXPECT_TRUE(w.injector.schedule(fault));
  w.sim.run(seconds(50));

  EXPECT_TRUE(w.network.cut("driver-1", seconds(2)));
  EXPECT_TRUE(w.storage.unavailable(millis(2500)));
  EXPECT_NE(w.timeline.active(Burst::kMessageLoss, "driver-9", millis(3500)), nullptr);
  const DeviceClock& clock = w.devices.clock("driver-2");
  EXPECT_NEAR(to_seconds(clock.read(seconds(4)) - clock.read(seconds(4) - 1)), -30, 1e-6);
  EXPECT_FALSE(w.devices.app_up("driver-3", seconds(10)));
  // The run stopped at 50 s: the offline window at 100 s has not struck, so it is not logged.
  ASSERT_EQ(w.history.faults().size(), 5u);
  EXPECT_EQ(w.history.faults()[0].kind, "partition");
  EXPECT_EQ(w.history.faults()[0].time_ns, seconds(1));
  EXPECT_EQ(w.history.faults()[0].duration_ns, seconds(2));
  EXPECT_EQ(w.history.faults()[4].kind, "app_restart");
  EXPECT_EQ(w.log.count("clock_jump"), 1u);
}

TEST(FaultInjector, ADeviceFaultForEveryAppStrikesEachDevice) {
  InjectorWorld w(1);
  w.injector.set_devices({"driver-1", "driver-2"});
  EXPECT_TRUE(w.injector.schedule(
      {.kind = FaultKind::kAppRestart, .at_s = 1, .duration_s = 2, .target = "*"}));
  EXPECT_FALSE(w.devices.app_up("driver-1", millis(1500)));
  EXPECT_FALSE(w.devices.app_up("driver-2", millis(1500)));
  EXPECT_TRUE(w.devices.app_up("driver-3", millis(1500)));
}

TEST(FaultInjector, RandomWindowsAreDrawnPerDeviceFromTheDrawnRates) {
  InjectorWorld w(2);
  RandomFaultsConfig drawn;
  drawn.offline_per_driver_hour = 10;
  drawn.app_restarts_per_driver_hour = 5;
  w.injector.schedule_random(drawn, seconds(3600), {"driver-1", "driver-2"});
  w.sim.run(seconds(3600 * 2));
  // About 18 tunnels and 10 restarts over both drivers (Poisson: give or take 4 and 3); no
  // partitions, no clock jumps.
  EXPECT_GT(w.log.count("offline"), 6u);
  EXPECT_LT(w.log.count("offline"), 32u);
  EXPECT_GT(w.log.count("app_restart"), 1u);
  EXPECT_LT(w.log.count("app_restart"), 21u);
  EXPECT_EQ(w.log.count("partition"), 0u);
  EXPECT_EQ(w.log.count("clock_jump"), 0u);
  EXPECT_FALSE(w.devices.restarts("driver-2").empty());
}

}  // namespace
}  // namespace tracksim::sim

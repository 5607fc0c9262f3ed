// Driver motion and devices: trips that cover their route in a consistent time, speed profiles
// within the limits, device clocks with skew, drift and jumps, and app restarts as offline time.
#include "sim/world/driver_motion.h"

#include <gtest/gtest.h>

#include "sim/world/network.h"

namespace tracksim::sim {
namespace {

TEST(Trip, CoversTheRouteWithSpeedWithinTheLimitsAndDistanceConsistentWithSpeed) {
  const City city(CityConfig{.size_km = 3});
  RandomStream stream(4, "trip");
  const MotionConfig config;
  for (int k = 0; k < 20; ++k) {
    const Route route = city.route(city.random_point(stream), city.random_point(stream));
    const double share = draw_speed_share(config, stream);
    const Trip trip = plan_trip(route, config, share, stream);
    EXPECT_GT(trip.duration_s(), 0);
    EXPECT_NEAR(trip.distance_at(trip.duration_s()), route.length_m(), 1e-6);
    EXPECT_EQ(trip.speed_at(trip.duration_s()), 0);

    const double limit = city.config().arterial_speed_mps * share * 2;
    double last = 0;
    const double step = 0.5;
    for (double t = step; t < trip.duration_s(); t += step) {
      const double d = trip.distance_at(t);
      EXPECT_GE(d + 1e-9, last);
      EXPECT_LE(trip.speed_at(t), limit);
      // The distance covered in a step matches the speeds at both ends (trapezoid rule), up to
      // the changes of acceleration inside the step.
      const double expected = (trip.speed_at(t - step) + trip.speed_at(t)) / 2 * step;
      EXPECT_NEAR(d - last, expected, config.accel_mps2 * step * step + 1e-9);
      last = d;
    }
  }
}

TEST(Trip, StopsAddTheirTimeAndSpeedSharesScaleTheRest) {
  const City city(CityConfig{.size_km = 4, .closed_share = 0});
  const Route route = city.route(city.intersection(0, 0), city.intersection(15, 0));
  RandomStream a(1, "a"), b(1, "a");
  MotionConfig no_stops;
  no_stops.stop_probability = 0;
  no_stops.traffic_share_stddev = 0;
  const Trip fast = plan_trip(route, no_stops, 1.0, a);
  const Trip slow = plan_trip(route, no_stops, 0.5, b);
  // At full limit on an arterial, with short acceleration phases at the ends only.
  const double cruise = city.config().arterial_speed_mps;
  EXPECT_NEAR(fast.duration_s(), route.length_m() / cruise + cruise / no_stops.accel_mps2, 1e-6);
  EXPECT_GT(slow.duration_s(), 1.9 * fast.duration_s());

  MotionConfig always_stop = no_stops;
  always_stop.stop_probability = 1;
  always_stop.stop_s_mean = 10;
  RandomStream c(1, "c");
  const Trip stopping = plan_trip(route, always_stop, 1.0, c);
  EXPECT_GT(stopping.duration_s(), fast.duration_s() + 14 * 5);
}

TEST(DeviceClock, ReadsOffsetDriftAndJumps) {
  DeviceClock clock(millis(250), /*drift_ppm=*/100);
  EXPECT_EQ(clock.read(0), millis(250));
  EXPECT_EQ(clock.read(seconds(1000)), seconds(1000) + millis(250) + millis(100));
  clock.add_jump(seconds(10), -seconds(5));
  EXPECT_EQ(clock.read(seconds(9)), seconds(9) + millis(250) + micros(900));
  EXPECT_EQ(clock.read(seconds(10)), seconds(5) + millis(250) + millis(1));
}

TEST(DeviceFleet, ClocksAreDrawnPerDeviceAndRestartsTakeTheAppOffline) {
  Simulation sim(KernelOptions{.seed = 3, .strategy = ScheduleStrategy::kFifo});
  Network network(sim, LinkConfig{});
  DeviceFleet fleet(sim, &network, DeviceConfig{});
  EXPECT_NE(fleet.clock("driver-1").offset_ns(), fleet.clock("driver-2").offset_ns());
  EXPECT_EQ(fleet.clock("driver-1").offset_ns(), fleet.clock("driver-1").offset_ns());

  std::vector<std::pair<Nanos, bool>> heard;
  fleet.on_restart([&](const std::string& client, bool up) {
    EXPECT_EQ(client, "driver-1");
    heard.emplace_back(sim.now(), up);
  });
  fleet.add_restart("driver-1", seconds(5), seconds(3));
  sim.spawn("idle", [&] { sim.sleep_for(seconds(10)); });
  sim.run();
  EXPECT_EQ(heard, (std::vector<std::pair<Nanos, bool>>{{seconds(5), false}, {seconds(8), true}}));
  EXPECT_TRUE(network.cut("driver-1", seconds(6)));
  EXPECT_FALSE(network.cut("driver-1", seconds(8)));
  EXPECT_FALSE(fleet.app_up("driver-1", seconds(7)));
  EXPECT_TRUE(fleet.app_up("driver-2", seconds(7)));
}

}  // namespace
}  // namespace tracksim::sim

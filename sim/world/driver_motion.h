//! How drivers move and what their phones believe: trips with speed profiles, device clocks with
//! skew, drift and jumps, and app restarts.
//!
//! A Trip is a route driven by one driver: on each leg the driver cruises at a share of the
//! speed limit (their own temperament times the traffic of the moment), accelerates from and
//! brakes to the stops at intersections (traffic lights, give-way), and so takes a time the
//! workload can query: where the driver is, and how fast, t seconds after setting off. The
//! profile is computed once, when the trip is planned, from the driver's own stream.
//!
//! A DeviceClock is what the phone's clock reads at a true instant: a fixed offset (skew), a rate
//! error (drift, in parts per million), and the jumps an NTP correction or a user's change makes.
//! DeviceFleet holds every device of a run: its clock (drawn from stream "device/<client>") and
//! its app restarts. A restart takes the app down for a while: the Network treats the device as
//! offline for that time, and listeners (the client-side code, which loses what it held only in
//! memory) are told when it goes down and comes back up, on the kernel context.
//! Left out: battery, background-mode throttling, and GPS outages.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sim/kernel/simulation.h"
#include "sim/world/city.h"

namespace tracksim::sim {

class Network;

struct MotionConfig {
  double speed_share_mean = 0.8;      // cruise speed as a share of the limit, per driver
  double speed_share_stddev = 0.15;   // between drivers
  double traffic_share_stddev = 0.1;  // from leg to leg
  double min_speed_mps = 1;
  double accel_mps2 = 1.5;        // both accelerating and braking
  double stop_probability = 0.3;  // per intersection
  double stop_s_mean = 15;        // exponential
};

// One sample of a trip's profile: at `time_s` after departure the driver has covered
// `distance_m` and moves at `speed_mps`, with constant acceleration until the next sample.
struct MotionSample {
  double time_s = 0;
  double distance_m = 0;
  double speed_mps = 0;
  double accel_mps2 = 0;
};

class Trip {
 public:
  Trip(Route route, std::vector<MotionSample> profile);

  const Route& route() const { return route_; }
  double duration_s() const { return profile_.back().time_s; }
  Nanos duration_ns() const { return seconds_f(duration_s()); }
  double distance_at(double elapsed_s) const;
  double speed_at(double elapsed_s) const;
  Point position_at(double elapsed_s) const { return route_.at(distance_at(elapsed_s)); }
  bool arrived(double elapsed_s) const { return elapsed_s >= duration_s(); }
  const std::vector<MotionSample>& profile() const { return profile_; }

 private:
  std::size_t segment(double elapsed_s) const;

  Route route_;
  std::vector<MotionSample> profile_;
};

// A driver's temperament: the share of the limit they cruise at, drawn once per driver.
double draw_speed_share(const MotionConfig& config, RandomStream& stream);
// Plans `route` for a driver of `speed_share`, drawing traffic and stops from `stream`.
Trip plan_trip(Route route, const MotionConfig& config, double speed_share, RandomStream& stream);

struct DeviceConfig {
  double clock_skew_ms_stddev = 500;
  double clock_drift_ppm_stddev = 20;
};

class DeviceClock {
 public:
  DeviceClock() = default;
  DeviceClock(Nanos offset_ns, double drift_ppm) : offset_ns_(offset_ns), drift_ppm_(drift_ppm) {}

  // What the device's clock reads at the true instant `true_ns`.
  Nanos read(Nanos true_ns) const;
  // From `at_ns` on, the clock reads `by_ns` more (less when negative).
  void add_jump(Nanos at_ns, Nanos by_ns);
  Nanos offset_ns() const { return offset_ns_; }
  double drift_ppm() const { return drift_ppm_; }

 private:
  Nanos offset_ns_ = 0;
  double drift_ppm_ = 0;
  std::vector<std::pair<Nanos, Nanos>> jumps_;  // (at, by), in the order added
};

struct AppRestart {
  Nanos at_ns = 0;
  Nanos down_ns = 0;
};

class DeviceFleet {
 public:
  // Told that `client`'s app went down (false) or came back up (true); kernel context, must not
  // wait.
  using RestartListener = std::function<void(const std::string& client, bool up)>;

  DeviceFleet(Simulation& sim, Network* network, DeviceConfig config);

  // The device's clock, drawn on first use.
  DeviceClock& clock(const std::string& client);
  Nanos device_time(const std::string& client, Nanos true_ns) {
    return clock(client).read(true_ns);
  }

  void add_clock_jump(const std::string& client, Nanos at_ns, Nanos by_ns);
  // The app is down for [at_ns, at_ns + down_ns): offline on the network, listeners told.
  void add_restart(const std::string& client, Nanos at_ns, Nanos down_ns);
  const std::vector<AppRestart>& restarts(const std::string& client) const;
  bool app_up(const std::string& client, Nanos at_ns) const;
  void on_restart(RestartListener listener) { listeners_.push_back(std::move(listener)); }

 private:
  Simulation& sim_;
  Network* network_;
  DeviceConfig config_;
  std::map<std::string, DeviceClock> clocks_;
  std::map<std::string, std::vector<AppRestart>> restarts_;
  std::vector<RestartListener> listeners_;
};

}  // namespace tracksim::sim

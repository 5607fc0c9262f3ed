// Trips, device clocks and app restarts; see driver_motion.h.
#include "sim/world/driver_motion.h"

#include <algorithm>
#include <cmath>

#include "model/check.h"
#include "sim/world/network.h"

namespace tracksim::sim {

// --- Trip ----------------------------------------------------------------------------------------

Trip::Trip(Route route, std::vector<MotionSample> profile)
    : route_(std::move(route)), profile_(std::move(profile)) {
  TRACKSIM_CHECK(!profile_.empty());
  TRACKSIM_CHECK(profile_.front().time_s == 0);
}

std::size_t Trip::segment(double elapsed_s) const {
  // The last sample at or before `elapsed_s`.
  const auto it =
      std::upper_bound(profile_.begin(), profile_.end(), elapsed_s,
                       [](double t, const MotionSample& sample) { return t < sample.time_s; });
  return static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, it - profile_.begin() - 1));
}

double Trip::distance_at(double elapsed_s) const {
  if (elapsed_s <= 0) return 0;
  if (elapsed_s >= duration_s()) return route_.length_m();
  const MotionSample& s = profile_[segment(elapsed_s)];
  const double dt = elapsed_s - s.time_s;
  return std::min(route_.length_m(), s.distance_m + s.speed_mps * dt + s.accel_mps2 * dt * dt / 2);
}

double Trip::speed_at(double elapsed_s) const {
  if (elapsed_s <= 0 || elapsed_s >= duration_s()) return 0;
  const MotionSample& s = profile_[segment(elapsed_s)];
  return std::max(0.0, s.speed_mps + s.accel_mps2 * (elapsed_s - s.time_s));
}

double draw_speed_share(const MotionConfig& config, RandomStream& stream) {
  return std::max(0.2, stream.normal(config.speed_share_mean, config.speed_share_stddev));
}

namespace {

// Appends the phases of one leg of `length_m` entered at `v_in`, cruising at `v_cruise` and left
// at `v_out` (<= v_cruise), with acceleration `accel`. Where the leg is too short to brake in at
// that rate, the driver brakes harder: the profile stays exact in distance and time.
void append_leg(std::vector<MotionSample>& profile, double length_m, double v_in, double v_cruise,
                double v_out, double accel) {
  auto phase = [&](double v_from, double v_to, double distance) {
    if (distance <= 0) return;
    MotionSample& start = profile.back();
    const double duration = 2 * distance / (v_from + v_to);
    start.speed_mps = v_from;
    start.accel_mps2 = (v_to - v_from) / duration;
    const MotionSample end{.time_s = start.time_s + duration,
                           .distance_m = start.distance_m + distance,
                           .speed_mps = v_to,
                           .accel_mps2 = 0};
    profile.push_back(end);
  };

  const double d_change_in = std::abs(v_cruise * v_cruise - v_in * v_in) / (2 * accel);
  const double d_change_out = (v_cruise * v_cruise - v_out * v_out) / (2 * accel);
  if (d_change_in + d_change_out <= length_m) {
    phase(v_in, v_cruise, d_change_in);
    phase(v_cruise, v_cruise, length_m - d_change_in - d_change_out);
    phase(v_cruise, v_out, d_change_out);
    return;
  }
  if (v_in <= v_cruise) {
    // Too short to reach the cruise speed: accelerate to a peak, then brake.
    const double peak2 = (2 * accel * length_m + v_in * v_in + v_out * v_out) / 2;
    const double peak = std::sqrt(peak2);
    if (peak >= v_in && peak >= v_out) {
      const double d_up = (peak2 - v_in * v_in) / (2 * accel);
      phase(v_in, peak, d_up);
      phase(peak, v_out, length_m - d_up);
      return;
    }
  }
  // Entering too fast for this leg: one braking phase over the whole leg.
  phase(v_in, v_out, length_m);
}

}  // namespace

Trip plan_trip(Route route, const MotionConfig& config, double speed_share, RandomStream& stream) {
  TRACKSIM_CHECK(config.accel_mps2 > 0);
  // The legs with a length; a route may start or end exactly on an intersection.
  std::vector<std::size_t> legs;
  for (std::size_t leg = 0; leg < route.legs(); ++leg) {
    if (route.leg_length_m(leg) > 0) legs.push_back(leg);
  }

  // Each leg's cruise speed, from its limit, the driver and the traffic of the moment.
  std::vector<double> cruise(legs.size());
  for (std::size_t k = 0; k < legs.size(); ++k) {
    const double limit = route.leg_speed_limit_mps(legs[k]);
    const double traffic = std::max(0.3, stream.normal(1, config.traffic_share_stddev));
    cruise[k] = std::max(config.min_speed_mps, (limit > 0 ? limit : 8.3) * speed_share * traffic);
  }

  std::vector<MotionSample> profile{MotionSample{}};
  double v = 0;
  for (std::size_t k = 0; k < legs.size(); ++k) {
    const bool last = k + 1 == legs.size();
    const bool stop = !last && stream.bernoulli(config.stop_probability);
    const double v_out = last || stop ? 0 : std::min(cruise[k], cruise[k + 1]);
    append_leg(profile, route.leg_length_m(legs[k]), v, cruise[k], v_out, config.accel_mps2);
    v = profile.back().speed_mps;
    if (stop) {
      MotionSample waited = profile.back();
      waited.time_s += config.stop_s_mean > 0 ? stream.exponential(config.stop_s_mean) : 0;
      profile.push_back(waited);
    }
  }
  return Trip(std::move(route), std::move(profile));
}

// --- DeviceClock ---------------------------------------------------------------------------------

Nanos DeviceClock::read(Nanos true_ns) const {
  Nanos reading =
      true_ns + offset_ns_ +
      static_cast<Nanos>(std::llround(static_cast<double>(true_ns) * drift_ppm_ * 1e-6));
  for (const auto& [at, by] : jumps_) {
    if (at <= true_ns) reading += by;
  }
  return reading;
}

void DeviceClock::add_jump(Nanos at_ns, Nanos by_ns) {
  jumps_.emplace_back(at_ns, by_ns);
}

// --- DeviceFleet ---------------------------------------------------------------------------------

DeviceFleet::DeviceFleet(Simulation& sim, Network* network, DeviceConfig config)
    : sim_(sim), network_(network), config_(config) {}

DeviceClock& DeviceFleet::clock(const std::string& client) {
  auto it = clocks_.find(client);
  if (it != clocks_.end()) return it->second;
  RandomStream stream = sim_.stream("device/" + client);
  const Nanos offset = millis_f(stream.normal(0, config_.clock_skew_ms_stddev));
  const double drift = stream.normal(0, config_.clock_drift_ppm_stddev);
  return clocks_.emplace(client, DeviceClock(offset, drift)).first->second;
}

void DeviceFleet::add_clock_jump(const std::string& client, Nanos at_ns, Nanos by_ns) {
  clock(client).add_jump(at_ns, by_ns);
}

void DeviceFleet::add_restart(const std::string& client, Nanos at_ns, Nanos down_ns) {
  TRACKSIM_CHECK(down_ns >= 0);
  restarts_[client].push_back(AppRestart{at_ns, down_ns});
  if (network_ != nullptr) network_->add_offline(client, at_ns, at_ns + down_ns);
  auto tell = [this, client](bool up) {
    for (const RestartListener& listener : listeners_)
      listener(client, up);
  };
  if (at_ns >= sim_.now()) sim_.at(at_ns, [tell] { tell(false); });
  if (at_ns + down_ns >= sim_.now()) sim_.at(at_ns + down_ns, [tell] { tell(true); });
}

const std::vector<AppRestart>& DeviceFleet::restarts(const std::string& client) const {
  static const std::vector<AppRestart> kNone;
  auto it = restarts_.find(client);
  return it == restarts_.end() ? kNone : it->second;
}

bool DeviceFleet::app_up(const std::string& client, Nanos at_ns) const {
  for (const AppRestart& r : restarts(client)) {
    if (at_ns >= r.at_ns && at_ns < r.at_ns + r.down_ns) return false;
  }
  return true;
}

}  // namespace tracksim::sim

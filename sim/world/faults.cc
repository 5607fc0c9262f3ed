// Fault windows, swarm draws and the fault log; see faults.h.
#include "sim/world/faults.h"

#include <algorithm>
#include <cmath>

#include "model/check.h"

namespace tracksim::sim {
namespace {

bool target_matches(const std::string& pattern, std::string_view target) {
  return pattern == "*" || pattern == target;
}

}  // namespace

// --- FaultTimeline -------------------------------------------------------------------------------

void FaultTimeline::add(Burst kind, BurstWindow window) {
  TRACKSIM_CHECK(window.until_ns >= window.from_ns);
  windows_.at(static_cast<std::size_t>(kind)).push_back(std::move(window));
}

const BurstWindow* FaultTimeline::active(Burst kind, std::string_view target, Nanos at_ns) const {
  const BurstWindow* best = nullptr;
  for (const BurstWindow& w : windows_.at(static_cast<std::size_t>(kind))) {
    if (at_ns < w.from_ns || at_ns >= w.until_ns || !target_matches(w.target, target)) continue;
    if (best == nullptr || w.value > best->value ||
        (w.value == best->value && w.until_ns > best->until_ns)) {
      best = &w;
    }
  }
  return best;
}

double FaultTimeline::probability(Burst kind, std::string_view target, Nanos at_ns,
                                  double base) const {
  const BurstWindow* window = active(kind, target, at_ns);
  if (window == nullptr) return base;
  return 1 - (1 - base) * (1 - std::clamp(window->value, 0.0, 1.0));
}

double FaultTimeline::latency_factor(std::string_view target, Nanos at_ns) const {
  const BurstWindow* window = active(Burst::kLatencySpike, target, at_ns);
  return window == nullptr ? 1 : window->value;
}

// --- FaultLog ------------------------------------------------------------------------------------

void FaultLog::injected(std::string_view kind, std::string_view target, Nanos duration_ns) {
  auto it = counts_.find(kind);
  if (it == counts_.end()) it = counts_.emplace(std::string(kind), 0).first;
  ++it->second;
  sim_.trace()
      .event(sim_.now(), "fault")
      .field("kind", kind)
      .field("target", target)
      .field("duration_ns", duration_ns);
  history_.add_fault(FaultRecord{.time_ns = sim_.now(),
                                 .kind = std::string(kind),
                                 .target = std::string(target),
                                 .duration_ns = duration_ns});
}

std::uint64_t FaultLog::count(std::string_view kind) const {
  auto it = counts_.find(kind);
  return it == counts_.end() ? 0 : it->second;
}

// --- Swarm ---------------------------------------------------------------------------------------

const std::vector<SwarmKnob>& swarm_knobs() {
  using C = RandomFaultsConfig;
  static const std::vector<SwarmKnob> kKnobs = {
      {"server_error_rate", &C::server_error_rate},
      {"reply_lost_rate", &C::reply_lost_rate},
      {"stall_rate", &C::stall_rate},
      {"loss_rate", &C::loss_rate},
      {"duplicate_rate", &C::duplicate_rate},
      {"reorder_rate", &C::reorder_rate},
      {"partitions_per_hour", &C::partitions_per_hour},
      {"offline_per_driver_hour", &C::offline_per_driver_hour},
      {"app_restarts_per_driver_hour", &C::app_restarts_per_driver_hour},
      {"clock_jumps_per_driver_hour", &C::clock_jumps_per_driver_hour},
  };
  return kKnobs;
}

RandomFaultsConfig draw_swarm(const RandomFaultsConfig& configured, std::uint64_t seed) {
  RandomFaultsConfig drawn = configured;
  if (!configured.swarm) return drawn;
  RandomStream stream(seed, "swarm");
  // Both draws happen for every knob, so that changing one knob's range never shifts another's.
  for (const SwarmKnob& knob : swarm_knobs()) {
    const bool on = stream.bernoulli(0.5);
    const double fraction = stream.next_unit();
    drawn.*knob.field = on ? configured.*knob.field * fraction : 0;
  }
  return drawn;
}

std::vector<std::pair<Nanos, Nanos>> draw_windows(double per_hour, double mean_s, Nanos horizon_ns,
                                                  RandomStream& stream) {
  std::vector<std::pair<Nanos, Nanos>> windows;
  if (per_hour <= 0 || horizon_ns <= 0) return windows;
  const double gap_s_mean = 3600.0 / per_hour;
  double at_s = stream.exponential(gap_s_mean);
  while (seconds_f(at_s) < horizon_ns) {
    const double length_s = mean_s > 0 ? stream.exponential(mean_s) : 0;
    windows.emplace_back(seconds_f(at_s), seconds_f(at_s + length_s));
    at_s += length_s + stream.exponential(gap_s_mean);
  }
  return windows;
}

}  // namespace tracksim::sim

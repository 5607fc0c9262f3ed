// Fault windows, swarm draws and the fault log; see faults.h.
#include "sim/world/faults.h"

#include <algorithm>
#include <cmath>

#include "model/check.h"
#include "sim/scenario.h"
#include "sim/world/driver_motion.h"
#include "sim/world/network.h"
#include "sim/world/storage.h"

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

// --- Random rates on top of the configured ones --------------------------------------------------

namespace {

// Two independent causes of the same fault.
double either(double a, double b) {
  return 1 - (1 - a) * (1 - b);
}

}  // namespace

void add_random_faults(const RandomFaultsConfig& drawn, StorageConfig& storage) {
  storage.server_error_rate = either(storage.server_error_rate, drawn.server_error_rate);
  storage.reply_lost_rate = either(storage.reply_lost_rate, drawn.reply_lost_rate);
  if (drawn.stall_rate > 0) {
    storage.stall_rate = either(storage.stall_rate, drawn.stall_rate);
    storage.stall_latency = LatencyConfig{.mean_ms = drawn.stall_ms_mean,
                                          .stddev_ms = drawn.stall_ms_mean,
                                          .shape = LatencyShape::kExponential};
  }
}

void add_random_faults(const RandomFaultsConfig& drawn, LinkConfig& link) {
  // A fifo link is one TCP stream (a socket): it neither loses, duplicates nor reorders single
  // messages; it loses what is in flight when it disconnects, which partitions and tunnels do.
  if (link.fifo) return;
  link.loss_rate = either(link.loss_rate, drawn.loss_rate);
  link.duplicate_rate = either(link.duplicate_rate, drawn.duplicate_rate);
  link.reorder_rate = either(link.reorder_rate, drawn.reorder_rate);
}

// --- FaultInjector -------------------------------------------------------------------------------

FaultInjector::FaultInjector(Simulation& sim, FaultLog& log, FaultTimeline& timeline,
                             StorageServer& storage, Network& network, DeviceFleet* devices)
    : sim_(sim),
      log_(log),
      timeline_(timeline),
      storage_(storage),
      network_(network),
      devices_(devices) {}

void FaultInjector::announce(std::string_view kind, const std::string& target, Nanos from_ns,
                             Nanos until_ns) {
  sim_.at(std::max(from_ns, sim_.now()),
          [this, kind = std::string(kind), target, duration = until_ns - from_ns] {
            log_.injected(kind, target, duration);
          });
}

std::vector<std::string> FaultInjector::devices_for(const std::string& target) const {
  if (target == "*") return clients_;
  return {target};
}

bool FaultInjector::schedule(const FaultSpec& fault) {
  const Nanos from = seconds_f(fault.at_s);
  const Nanos until = from + seconds_f(fault.duration_s);
  const std::string& target = fault.target;
  auto burst = [&](Burst kind, double value) {
    timeline_.add(kind, BurstWindow{from, until, target, value});
  };
  switch (fault.kind) {
    case FaultKind::kPartition:
      network_.add_partition(PartitionWindow{from, until, target});
      break;
    case FaultKind::kOffline:
      network_.add_offline(target, from, until);
      break;
    case FaultKind::kStorageFailover:
      storage_.add_unavailable_window(from, until);
      break;
    case FaultKind::kStorageStall:
      burst(Burst::kStall, 1);
      break;
    case FaultKind::kServerErrors:
      burst(Burst::kServerErrors, fault.rate);
      break;
    case FaultKind::kReplyLoss:
      burst(Burst::kReplyLoss, fault.rate);
      break;
    case FaultKind::kMessageLoss:
      burst(Burst::kMessageLoss, fault.rate);
      break;
    case FaultKind::kDuplicates:
      burst(Burst::kDuplicates, fault.rate);
      break;
    case FaultKind::kLatencySpike:
      burst(Burst::kLatencySpike, fault.factor);
      break;
    case FaultKind::kClockJump:
      if (devices_ == nullptr) return false;
      for (const std::string& device : devices_for(target))
        devices_->add_clock_jump(device, from, seconds_f(fault.amount_s));
      break;
    case FaultKind::kAppRestart:
      if (devices_ == nullptr) return false;
      for (const std::string& device : devices_for(target))
        devices_->add_restart(device, from, until - from);
      break;
    default:
      return false;
  }
  announce(to_string(fault.kind), target, from, until);
  return true;
}

void FaultInjector::schedule_random(const RandomFaultsConfig& drawn, Nanos horizon_ns,
                                    const std::vector<std::string>& clients) {
  // The rates this seed runs with (those not off), first, so a trace says which mix it explored.
  for (const SwarmKnob& knob : swarm_knobs()) {
    if (drawn.*knob.field == 0) continue;
    sim_.trace()
        .event(sim_.now(), "faults.random")
        .field("knob", knob.name)
        .field("value", drawn.*knob.field);
  }
  RandomStream stream = sim_.stream("faults/windows");
  for (const auto& [from, until] :
       draw_windows(drawn.partitions_per_hour, drawn.partition_s_mean, horizon_ns, stream)) {
    network_.add_partition(PartitionWindow{from, until, "*"});
    announce("partition", "*", from, until);
  }
  for (const std::string& client : clients) {
    RandomStream device = sim_.stream("faults/device/" + client);
    for (const auto& [from, until] :
         draw_windows(drawn.offline_per_driver_hour, drawn.offline_s_mean, horizon_ns, device)) {
      network_.add_offline(client, from, until);
      announce("offline", client, from, until);
    }
    if (devices_ == nullptr) continue;
    for (const auto& [from, until] : draw_windows(drawn.app_restarts_per_driver_hour,
                                                  drawn.app_restart_s_mean, horizon_ns, device)) {
      devices_->add_restart(client, from, until - from);
      announce("app_restart", client, from, until);
    }
    for (const auto& [from, until] :
         draw_windows(drawn.clock_jumps_per_driver_hour, 0, horizon_ns, device)) {
      const Nanos by = seconds_f(device.normal(0, drawn.clock_jump_s_stddev));
      devices_->add_clock_jump(client, from, by);
      announce("clock_jump", client, from, until);
    }
  }
}

}  // namespace tracksim::sim

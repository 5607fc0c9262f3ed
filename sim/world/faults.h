//! Faults: what goes wrong in a run, when and how often, and the record of every one injected.
//!
//! Faults come from three sources:
//!   - the scenario's timeline ([[faults]]): from at_s, for duration_s, on a target, something is
//!     wrong: a partition, a device offline, a storage failover or stall, a burst of server
//!     errors, lost replies, lost or duplicated messages, a latency spike, a device clock jump or
//!     an app restart;
//!   - random fault points: every storage request and network message meets a fault with some
//!     probability ([faults_random]);
//!   - random windows: partitions, tunnels, app restarts and clock jumps arriving as Poisson
//!     processes over the run.
//! With swarm testing the probabilities and frequencies of [faults_random] are themselves drawn
//! per seed (stream "swarm"): each one is switched off on a coin flip and otherwise drawn
//! uniformly between 0 and its configured value, so that different seeds explore different mixes
//! instead of every seed meeting a little of everything.
//!
//! FaultTimeline answers "which burst is in force now, for this target" for the storage and
//! network models. FaultLog counts and traces every fault that actually hit something, and records
//! it in the History. FaultInjector turns the scenario's faults into windows on the models.
//! Left out: faults inside the backend's process (a crash mid-request), and disk faults.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sim/kernel/simulation.h"
#include "sim/world/history.h"

namespace tracksim::sim {

class StorageServer;
class Network;
class DeviceFleet;
struct FaultSpec;
struct StorageConfig;
struct LinkConfig;

// Scheduled bursts the storage and network models consult per request or message.
enum class Burst : unsigned char {
  kServerErrors,  // storage requests fail with ServerError with probability `value`
  kReplyLoss,     // storage writes are applied but their reply is lost, with probability `value`
  kStall,         // storage requests arriving in the window hang until it ends
  kMessageLoss,   // network messages are lost with probability `value`
  kDuplicates,    // network messages are duplicated with probability `value`
  kLatencySpike,  // latencies (storage and network) are multiplied by `value`
};
inline constexpr std::size_t kBurstCount = 6;

struct BurstWindow {
  Nanos from_ns = 0;
  Nanos until_ns = 0;
  std::string target = "*";  // an app (network bursts), a delivery (storage bursts), or "*"
  double value = 1;
};

class FaultTimeline {
 public:
  void add(Burst kind, BurstWindow window);
  // The window of `kind` in force at `at_ns` for `target` (the one with the largest value, then
  // the latest end), or null.
  const BurstWindow* active(Burst kind, std::string_view target, Nanos at_ns) const;
  // `base` combined with the active window's probability, as independent causes.
  double probability(Burst kind, std::string_view target, Nanos at_ns, double base) const;
  // The latency multiplier in force (1 when none).
  double latency_factor(std::string_view target, Nanos at_ns) const;

 private:
  std::array<std::vector<BurstWindow>, kBurstCount> windows_;
};

// Every injected fault, counted by kind, traced, and recorded in the History.
class FaultLog {
 public:
  FaultLog(Simulation& sim, History& history) : sim_(sim), history_(history) {}

  void injected(std::string_view kind, std::string_view target, Nanos duration_ns = 0);
  std::uint64_t count(std::string_view kind) const;
  const std::map<std::string, std::uint64_t, std::less<>>& counts() const { return counts_; }

 private:
  Simulation& sim_;
  History& history_;
  std::map<std::string, std::uint64_t, std::less<>> counts_;
};

// [faults_random]: probabilities per request or message, and frequencies of random windows.
struct RandomFaultsConfig {
  bool swarm = false;
  // Per storage request.
  double server_error_rate = 0;
  double reply_lost_rate = 0;
  double stall_rate = 0;
  double stall_ms_mean = 2000;  // a stall's length is exponential with this mean
  // Per network message (apps and subscribers).
  double loss_rate = 0;
  double duplicate_rate = 0;
  double reorder_rate = 0;
  // Poisson arrivals of windows; lengths exponential with the given means.
  double partitions_per_hour = 0;  // of the whole app network
  double partition_s_mean = 20;
  double offline_per_driver_hour = 0;  // tunnels
  double offline_s_mean = 30;
  double app_restarts_per_driver_hour = 0;
  double app_restart_s_mean = 10;  // how long the app is down
  double clock_jumps_per_driver_hour = 0;
  double clock_jump_s_stddev = 30;  // a jump moves the device clock by N(0, this)
};

// One knob swarm testing draws: its name and where it lives.
struct SwarmKnob {
  std::string_view name;
  double RandomFaultsConfig::*field;
};
// The drawn knobs, in the order they are drawn from the "swarm" stream.
const std::vector<SwarmKnob>& swarm_knobs();

// The configuration a seed runs with: `configured` itself without swarm; with swarm, each knob
// off on a coin flip, else uniform in [0, configured value]. Lengths and spreads are not drawn.
RandomFaultsConfig draw_swarm(const RandomFaultsConfig& configured, std::uint64_t seed);

// Adds the drawn per-request (storage) or per-message (a link that is not fifo) rates to the
// configured ones, as independent causes.
void add_random_faults(const RandomFaultsConfig& drawn, StorageConfig& storage);
void add_random_faults(const RandomFaultsConfig& drawn, LinkConfig& link);

// Windows [from, until) arriving as a Poisson process of `per_hour` within [0, horizon_ns), with
// exponential lengths of mean `mean_s`, drawn from `stream`.
std::vector<std::pair<Nanos, Nanos>> draw_windows(double per_hour, double mean_s, Nanos horizon_ns,
                                                  RandomStream& stream);

// Turns scenario faults and random windows into windows on the storage, network and devices, and
// traces each scheduled fault when it starts.
class FaultInjector {
 public:
  FaultInjector(Simulation& sim, FaultLog& log, FaultTimeline& timeline, StorageServer& storage,
                Network& network, DeviceFleet* devices);

  // The apps a device fault (clock jump, app restart) with target "*" strikes.
  void set_devices(std::vector<std::string> clients) { clients_ = std::move(clients); }
  // One entry of the scenario's timeline. Kinds this world does not model (handled elsewhere)
  // are left alone and return false.
  bool schedule(const FaultSpec& fault);
  // The random windows of `drawn` over [0, horizon_ns), for the devices `clients`.
  void schedule_random(const RandomFaultsConfig& drawn, Nanos horizon_ns,
                       const std::vector<std::string>& clients);

 private:
  void announce(std::string_view kind, const std::string& target, Nanos from_ns, Nanos until_ns);
  std::vector<std::string> devices_for(const std::string& target) const;

  Simulation& sim_;
  FaultLog& log_;
  FaultTimeline& timeline_;
  StorageServer& storage_;
  Network& network_;
  DeviceFleet* devices_;
  std::vector<std::string> clients_;
};

}  // namespace tracksim::sim

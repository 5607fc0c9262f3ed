//! Scenario files: a seeded, documented experiment in TOML, parsed into a Scenario.
//!
//! Every field has a unit in its name where it has one (latency_ms_mean, duration_s), a default,
//! and a range. Parsing is strict: an unknown key, a wrong type or an out-of-range value is a
//! ScenarioError naming the file, line, column and field, so a typo never silently becomes a
//! default. docs/scenarios.md lists every field; `tracksim validate FILE` checks a file.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/backend.h"
#include "sim/kernel/simulation.h"
#include "sim/world/network.h"
#include "sim/world/storage.h"

namespace tracksim::sim {

enum class WorkloadKind : unsigned char {
  kBurst,   // `operations` requests fired at once against shared deliveries
  kRoutes,  // drivers drive whole deliveries: status changes and a position every interval
};

struct WorkloadConfig {
  WorkloadKind kind = WorkloadKind::kBurst;
  int drivers = 4;
  int deliveries = 4;
  int operations = 20;           // burst: requests in all
  double burst_window_ms = 100;  // burst: requests start uniformly within this window
  double status_share = 0.3;     // burst: share of requests that change status
  int client_retries = 3;        // resends of one operation after a timeout or a server error
  double client_backoff_ms = 500;
  double location_interval_s = 5;
  double speed_mps_mean = 8;
  double city_size_km = 8;
  double pickup_dwell_s = 60;
  double dispatcher_cancel_share = 0;  // routes: share of deliveries a dispatcher cancels
};

enum class FaultKind : unsigned char { kPartition, kStorageFailover, kOffline };
std::string_view to_string(FaultKind k);

struct FaultSpec {
  FaultKind kind = FaultKind::kPartition;
  double at_s = 0;
  double duration_s = 0;
  std::string target = "*";
};

struct Scenario {
  std::string path;  // where it was read from
  std::string text;  // the file's exact text, for trace headers and replay
  std::string name;
  std::string description;
  double duration_s = 60;
  // After the workload's duration, how long in-flight work may still finish.
  double drain_s = 120;
  std::vector<std::uint64_t> seeds = {1};
  model::BackendConfig backend;
  ScheduleStrategy schedule = ScheduleStrategy::kRandom;
  StorageConfig storage;
  LinkConfig network;
  Nanos request_timeout_ns = seconds(10);
  WorkloadConfig workload;
  std::vector<FaultSpec> faults;
  std::vector<std::string> properties = {"all"};
};

// A problem in a scenario file, located; what() is the one line to print.
class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses `text` as read from `path`. Throws ScenarioError.
Scenario parse_scenario(const std::string& text, const std::string& path);
// Reads and parses the file at `path`. Throws ScenarioError (also for an unreadable file).
Scenario load_scenario(const std::string& path);

}  // namespace tracksim::sim

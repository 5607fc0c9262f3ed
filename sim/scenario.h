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
#include "model/delivery_state_manager.h"
#include "model/location_sync.h"
#include "model/socket_hub.h"
#include "sim/kernel/simulation.h"
#include "sim/world/city.h"
#include "sim/world/driver_motion.h"
#include "sim/world/faults.h"
#include "sim/world/network.h"
#include "sim/world/storage.h"
#include "sim/world/subscribers.h"

namespace tracksim::sim {

enum class WorkloadKind : unsigned char {
  kBurst,   // `operations` requests fired at once against shared deliveries
  kRoutes,  // drivers drive whole deliveries: status changes and a position every interval
};
std::string_view to_string(WorkloadKind k);

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

enum class FaultKind : unsigned char {
  kPartition,        // messages between an app (target, or "*" for all) and the server are lost
  kStorageFailover,  // every storage request fails with ServerError for the window
  kOffline,          // an app (target) is offline: nothing leaves or reaches it
  kStorageStall,     // storage requests (on delivery target, or all) hang until the window ends
  kServerErrors,     // storage requests fail with ServerError with probability `rate`
  kReplyLoss,        // storage writes are applied but their replies lost, with probability `rate`
  kMessageLoss,      // network messages (of app target, or all) are lost with probability `rate`
  kDuplicates,       // network messages are delivered twice with probability `rate`
  kLatencySpike,     // storage and network latencies are multiplied by `factor`
  kClockJump,        // the device clock of app target jumps by `amount_s` at at_s
  kAppRestart,       // the app target is down for the window, losing what it held in memory
  kLockHolderPause,  // the next handler to take a lock (on target, or any) stalls duration_s
};
std::string_view to_string(FaultKind k);

struct FaultKindInfo {
  FaultKind kind;
  std::string_view name;         // as written in scenario files
  std::string_view description;  // one line, for docs and `tracksim list`
};
// Every fault kind, in a stable order.
const std::vector<FaultKindInfo>& fault_kinds();

struct FaultSpec {
  FaultKind kind = FaultKind::kPartition;
  double at_s = 0;
  double duration_s = 0;
  std::string target = "*";
  double rate = 1;      // kServerErrors, kReplyLoss, kMessageLoss, kDuplicates
  double factor = 10;   // kLatencySpike
  double amount_s = 0;  // kClockJump
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
  // The drivers' apps (routes workload) and the real-time side: [client], [hub], [subscribers].
  model::LocationSyncConfig location_sync;
  model::DeliveryStateConfig state_manager;
  model::SocketHubConfig hub;
  SubscriberConfig subscribers;
  // Probes the run must reach at least once (see probes.h); a run that misses one fails.
  std::vector<std::string> require_probes;
  // The world's finer knobs: the city's streets and GPS, the drivers' motion and devices, and
  // random faults (with swarm testing).
  CityConfig city;
  MotionConfig motion;
  DeviceConfig devices;
  RandomFaultsConfig faults_random;
};

// A problem in a scenario file, located; what() is the one line to print.
class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses `text` as read from `path`. Throws ScenarioError.
Scenario parse_scenario(const std::string& text, const std::string& path);
// Reads and parses the file at `path`. Throws ScenarioError (also for a missing, unreadable,
// empty or oversized file, or one that is not a regular file).
Scenario load_scenario(const std::string& path);

// The scenario as a complete TOML document: every field of the table, with its value in `s`, and
// one [[faults]] table per fault. Parsing the result gives back the same scenario (path and text
// aside), so a run of either is the same run. `comment` lines, if any, open the document.
std::string to_toml(const Scenario& s, const std::string& comment = "");

// One field of the scenario format, as the reference documentation describes it.
struct FieldDoc {
  std::string section;        // "workload", or "faults" for the fields of each [[faults]] table
  std::string key;            // "drivers"
  std::string type;           // "integer", "number", "string", ...
  std::string range;          // "1 to 100000", or the allowed strings
  std::string default_value;  // as TOML; "" when the field is required
  std::string description;
};
// Every field, sections in file order, in the order of the field table.
std::vector<FieldDoc> scenario_field_docs();
// The field reference as Markdown: one table per section, then the fault kinds. docs/scenarios.md
// holds this text between its "BEGIN/END GENERATED FIELDS" markers; a test keeps the two equal.
std::string scenario_reference_markdown();

}  // namespace tracksim::sim

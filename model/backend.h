// Building a delivery backend: which implementation, with which configuration, on which ports.
//
// Three families share the DeliveryBackend interface so the simulator can run any of them on the
// same workload:
//   - "fixed": atomic updates under an operation lock with a version-checked commit and retries;
//   - "legacy": the code before the fix, which saves one shared document instance from concurrent
//     handlers and so meets Mongoose's ParallelSaveError;
//   - the fixed code with one or more planted bugs ("mutants") switched on by name.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/api.h"
#include "model/ports.h"

namespace tracksim::model {

class Monitoring;

enum class Jitter : unsigned char { kNone, kFull, kEqual, kDecorrelated };
// "none", "full", "equal", "decorrelated".
std::string_view to_string(Jitter j);
std::optional<Jitter> jitter_from_string(std::string_view name);

// The atomic update's knobs. Names and defaults follow the backend's environment variables:
// DELIVERY_RETRY_MAX_ATTEMPTS=3, DELIVERY_LOCK_TIMEOUT=30000 (ms), DELIVERY_MONITORING_ENABLED.
struct AtomicUpdateConfig {
  int retry_max_attempts = 3;
  Nanos lock_timeout_ns = seconds(30);
  bool monitoring_enabled = true;
  Nanos backoff_base_ns = millis(100);
  Nanos backoff_cap_ns = seconds(2);
  Jitter jitter = Jitter::kFull;
};

enum class Implementation : unsigned char { kFixed, kLegacy };
// "fixed", "legacy".
std::string_view to_string(Implementation i);
std::optional<Implementation> implementation_from_string(std::string_view name);

struct BackendConfig {
  Implementation implementation = Implementation::kFixed;
  // Planted bugs by name; see mutants.h for the list and the invariant each should break.
  std::vector<std::string> mutants;
  AtomicUpdateConfig atomic;
  // A position within this distance of the pickup or dropoff point moves the status on by itself.
  double geofence_radius_m = 50;
};

struct BackendPorts {
  Clock* clock = nullptr;
  Sleeper* sleeper = nullptr;
  RandomSource* random = nullptr;
  DocumentStore* store = nullptr;
  Broadcaster* broadcaster = nullptr;  // optional
  Monitoring* monitoring = nullptr;    // optional
  Probes* probes = nullptr;            // optional
};

// ok, or kValidationError saying what is wrong: an unknown mutant name, mutants asked of the
// legacy implementation (they are defects planted in the fixed code), or knobs out of range.
Status validate_backend_config(const BackendConfig& config);

// The backend for `config` on `ports`, or nullptr when validate_backend_config rejects the config.
// REQUIRES: ports.clock, ports.sleeper, ports.random and ports.store are set and outlive the
// backend; the optional ports may be null.
std::unique_ptr<DeliveryBackend> make_backend(const BackendConfig& config,
                                              const BackendPorts& ports);

}  // namespace tracksim::model

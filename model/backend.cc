// Choosing and building a backend, and the names of its knobs.
#include "model/backend.h"

#include <array>

#include "model/check.h"
#include "model/delivery_service.h"
#include "model/legacy_backend.h"
#include "model/mutants.h"

namespace tracksim::model {
namespace {

constexpr std::array<std::string_view, 4> kJitterNames = {"none", "full", "equal", "decorrelated"};
constexpr std::array<std::string_view, 2> kImplementationNames = {"fixed", "legacy"};

Status invalid_config(std::string message) {
  return Error{ErrorClass::kValidationError, std::move(message)};
}

}  // namespace

std::string_view to_string(Jitter j) {
  return kJitterNames.at(static_cast<std::size_t>(j));
}

std::optional<Jitter> jitter_from_string(std::string_view name) {
  for (std::size_t i = 0; i < kJitterNames.size(); ++i) {
    if (kJitterNames[i] == name) return static_cast<Jitter>(i);
  }
  return std::nullopt;
}

std::string_view to_string(Implementation i) {
  return kImplementationNames.at(static_cast<std::size_t>(i));
}

std::optional<Implementation> implementation_from_string(std::string_view name) {
  for (std::size_t i = 0; i < kImplementationNames.size(); ++i) {
    if (kImplementationNames[i] == name) return static_cast<Implementation>(i);
  }
  return std::nullopt;
}

Status validate_backend_config(const BackendConfig& config) {
  auto bugs = planted_bugs_from_names(config.mutants);
  if (!bugs.ok()) return bugs.error();
  if (config.implementation == Implementation::kLegacy && !config.mutants.empty()) {
    return invalid_config("mutants are planted in the fixed implementation, not in legacy");
  }
  const AtomicUpdateConfig& a = config.atomic;
  if (a.retry_max_attempts < 1) return invalid_config("retry_max_attempts must be at least 1");
  if (a.lock_timeout_ns <= 0) return invalid_config("lock_timeout_ns must be positive");
  if (a.backoff_base_ns < 0) return invalid_config("backoff_base_ns must not be negative");
  if (a.backoff_cap_ns < a.backoff_base_ns) {
    return invalid_config("backoff_cap_ns must be at least backoff_base_ns");
  }
  if (!(config.geofence_radius_m >= 0)) {
    return invalid_config("geofence_radius_m must not be negative");
  }
  return ok_status();
}

std::unique_ptr<DeliveryBackend> make_backend(const BackendConfig& config,
                                              const BackendPorts& ports) {
  if (!validate_backend_config(config).ok()) return nullptr;
  TRACKSIM_CHECK(ports.clock != nullptr);
  TRACKSIM_CHECK(ports.sleeper != nullptr);
  TRACKSIM_CHECK(ports.random != nullptr);
  TRACKSIM_CHECK(ports.store != nullptr);

  const PlantedBugs bugs = planted_bugs_from_names(config.mutants).value();
  switch (config.implementation) {
    case Implementation::kFixed:
      return std::make_unique<DeliveryService>(config, ports, bugs);
    case Implementation::kLegacy:
      return std::make_unique<LegacyBackend>(config, ports);
  }
  return nullptr;
}

}  // namespace tracksim::model

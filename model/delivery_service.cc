// The fixed backend's request handlers.
#include "model/delivery_service.h"

#include <cmath>
#include <cstdio>
#include <utility>

#include "model/check.h"
#include "model/monitoring.h"
#include "model/probe_names.h"
#include "model/status_machine.h"

namespace tracksim::model {
namespace {

Status invalid(std::string message) {
  return Error{ErrorClass::kValidationError, std::move(message)};
}

Status validate_location(const Location& l) {
  if (!std::isfinite(l.lat) || l.lat < -90 || l.lat > 90) return invalid("latitude out of range");
  if (!std::isfinite(l.lng) || l.lng < -180 || l.lng > 180) {
    return invalid("longitude out of range");
  }
  if (!std::isfinite(l.accuracy_m) || l.accuracy_m < 0) return invalid("accuracy out of range");
  return ok_status();
}

const char* automatic_note(DeliveryStatus to) {
  return to == DeliveryStatus::kAtPickup ? "Automatic: arrived at pickup"
                                         : "Automatic: arrived at dropoff";
}

}  // namespace

Status validate_request(const ApiRequest& request) {
  if (request.delivery_id.empty()) return invalid("delivery id is required");
  if (request.kind == OperationKind::kUpdateLocation && request.locations.empty()) {
    return invalid("updateLocation needs at least one position");
  }
  for (const auto& l : request.locations) {
    auto valid = validate_location(l);
    if (!valid.ok()) return valid;
  }
  return ok_status();
}

DeliveryService::DeliveryService(const BackendConfig& config, const BackendPorts& ports,
                                 const PlantedBugs& bugs)
    : config_(config), ports_(ports), bugs_(bugs), updater_(config.atomic, ports, bugs) {
  TRACKSIM_CHECK(config_.geofence_radius_m >= 0);
}

ApiResponse DeliveryService::handle(const ApiRequest& request) {
  const Nanos start_ns = ports_.clock->now();
  ApiResponse response = dispatch(request);
  TRACKSIM_CHECK(response.success == (response.error_class == ErrorClass::kNone));

  if (ports_.monitoring != nullptr && config_.atomic.monitoring_enabled) {
    ports_.monitoring->record(request.kind, response.error_class, ports_.clock->now() - start_ns,
                              response.attempts);
  }
  return response;
}

ApiResponse DeliveryService::dispatch(const ApiRequest& request) {
  ApiResponse response;
  response.operation_id =
      request.operation_id.empty() ? server_operation_id() : request.operation_id;
  Effects effects;

  auto valid = validate_request(request);
  if (!valid.ok()) {
    response.message = valid.error().message;
    response.error_class = valid.error_class();
    publish(request, response, effects);
    return response;
  }

  UpdateFunction update;
  std::string_view success_message;
  switch (request.kind) {
    case OperationKind::kUpdateStatus:
      update = status_update(request, response.operation_id, request.status, effects);
      success_message = kMessageStatusUpdated;
      break;
    case OperationKind::kCompleteDelivery:
      update = status_update(request, response.operation_id, DeliveryStatus::kDelivered, effects);
      success_message = kMessageDeliveryCompleted;
      break;
    case OperationKind::kUpdateLocation:
      update = location_update(request, response.operation_id, effects);
      success_message = kMessageLocationUpdated;
      break;
  }

  auto outcome = updater_.run(request.delivery_id, response.operation_id, update);
  response.attempts = outcome.attempts;
  if (!outcome.result.ok()) {
    response.message = outcome.result.error().message;
    response.error_class = outcome.result.error_class();
    publish(request, response, effects);
    return response;
  }

  const AtomicUpdateResult& applied = outcome.result.value();
  response.success = true;
  response.delivery_tracking = applied.doc;
  if (applied.duplicate) {
    response.message = kMessageAlreadyApplied;
  } else if (!applied.written) {
    // Only a batch of nothing but stale positions writes nothing.
    TRACKSIM_CHECK(request.kind == OperationKind::kUpdateLocation);
    TRACKSIM_CHECK(effects.stale_locations > 0);
    response.message = kMessageStaleLocation;
  } else {
    response.message = success_message;
  }
  if (applied.written || republish_duplicate(request, response.operation_id, applied, effects))
    publish(request, response, effects);
  return response;
}

UpdateFunction DeliveryService::status_update(const ApiRequest& request,
                                              const std::string& operation_id,
                                              DeliveryStatus target, Effects& effects) {
  return [this, &request, &operation_id, target,
          &effects](DeliveryTracking& doc) -> Result<UpdateDecision> {
    effects = Effects{};
    auto allowed = validate_transition(doc.status, target);
    if (!allowed.ok()) {
      probe::hit(ports_.probes, probe::kTransitionInvalid);
      return allowed.error();
    }

    // A position sent with a status change is part of the history entry either way; it becomes
    // the current position only if it is not older than the stored one.
    std::optional<Location> position;
    if (!request.locations.empty()) {
      position = request.locations.back();
      if (accept_position(doc, *position)) effects.accepted_locations.push_back(*position);
    }

    std::string note = request.note;
    if (note.empty() && target == DeliveryStatus::kDelivered) note = "Delivery completed";
    doc.status_history.push_back(StatusHistoryEntry{.status = target,
                                                    .note = std::move(note),
                                                    .location = position,
                                                    .time_ns = ports_.clock->now(),
                                                    .operation_id = operation_id});
    doc.status = target;
    return UpdateDecision::kWrite;
  };
}

UpdateFunction DeliveryService::location_update(const ApiRequest& request,
                                                const std::string& operation_id, Effects& effects) {
  return
      [this, &request, &operation_id, &effects](DeliveryTracking& doc) -> Result<UpdateDecision> {
        effects = Effects{};
        for (const auto& position : request.locations) {
          if (accept_position(doc, position)) {
            effects.accepted_locations.push_back(position);
          } else {
            ++effects.stale_locations;
          }
        }
        if (effects.stale_locations > 0) probe::hit(ports_.probes, probe::kLocationStaleDropped);
        if (effects.accepted_locations.empty()) return UpdateDecision::kNoChange;

        // Each accepted position, in order, may cross a geofence; a batch that passed through the
        // pickup fence counts as having arrived there.
        for (const auto& position : effects.accepted_locations) {
          apply_automatic_transition(doc, position, operation_id, effects);
        }
        return UpdateDecision::kWrite;
      };
}

bool DeliveryService::accept_position(DeliveryTracking& doc, const Location& position) {
  const bool stale = doc.current_location.has_value() &&
                     position.device_time_ns < doc.current_location->device_time_ns;
  if (stale && !bugs_.accept_stale_location) return false;
  doc.current_location = position;
  return true;
}

void DeliveryService::apply_automatic_transition(DeliveryTracking& doc, const Location& position,
                                                 const std::string& operation_id,
                                                 Effects& effects) {
  const double radius_m = config_.geofence_radius_m;
  const auto to = bugs_.auto_transition_skips_validation
                      ? unvalidated_geofence_status(doc, position, radius_m)
                      : automatic_transition(doc, position, radius_m);
  if (!to.has_value()) return;

  probe::hit(ports_.probes, probe::kTransitionAutomatic);
  doc.status_history.push_back(StatusHistoryEntry{.status = *to,
                                                  .note = automatic_note(*to),
                                                  .location = position,
                                                  .time_ns = ports_.clock->now(),
                                                  .operation_id = operation_id});
  doc.status = *to;
  effects.automatic_status = to;
}

// A retry that finds its operation already applied may be the only one to hear of the write: the
// attempt that made it lost its reply (within this request), or the request that made it failed
// for the client after the write (an earlier request with the same id). So the change goes to the
// room again while it is still the document's latest; the hub drops it if it was sent already.
// Positions go again only when this request accepted them itself.
bool DeliveryService::republish_duplicate(const ApiRequest& request,
                                          const std::string& operation_id,
                                          const AtomicUpdateResult& applied,
                                          const Effects& effects) const {
  if (!applied.duplicate || applied.doc.last_operation_id != operation_id) return false;
  if (request.kind == OperationKind::kUpdateLocation) return !effects.accepted_locations.empty();
  return true;
}

void DeliveryService::publish(const ApiRequest& request, const ApiResponse& response,
                              const Effects& effects) {
  if (ports_.broadcaster == nullptr) return;

  RoomEvent event;
  event.delivery_id = request.delivery_id;
  event.operation_id = response.operation_id;
  event.server_time_ns = ports_.clock->now();
  if (!response.success) {
    event.kind = RoomEvent::Kind::kFailure;
    event.error_class = response.error_class;
    ports_.broadcaster->publish(event);
    return;
  }

  TRACKSIM_CHECK(response.delivery_tracking.has_value());
  const DeliveryTracking& doc = *response.delivery_tracking;
  event.version = doc.version;
  event.status = doc.status;
  if (request.kind == OperationKind::kUpdateLocation) {
    event.kind = effects.accepted_locations.size() == 1 ? RoomEvent::Kind::kLocation
                                                        : RoomEvent::Kind::kLocationBatch;
    event.locations = effects.accepted_locations;
    ports_.broadcaster->publish(event);
    if (!effects.automatic_status.has_value()) return;
  }

  event.kind = RoomEvent::Kind::kStatus;
  event.locations = effects.accepted_locations;
  ports_.broadcaster->publish(event);
  if (is_terminal(doc.status)) {
    event.kind = RoomEvent::Kind::kClosed;
    event.locations.clear();
    ports_.broadcaster->publish(event);
  }
}

std::string DeliveryService::server_operation_id() {
  // Random rather than counted: two server processes must not mint the same id.
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "server_%016llx",
                static_cast<unsigned long long>(ports_.random->next_u64()));
  return buffer;
}

}  // namespace tracksim::model

// The pre-fix handlers: one shared document instance per delivery, saved from every path.
#include "model/legacy_backend.h"

#include <utility>

#include "model/check.h"
#include "model/delivery_service.h"
#include "model/monitoring.h"
#include "model/probe_names.h"
#include "model/status_machine.h"

namespace tracksim::model {

LegacyBackend::LegacyBackend(const BackendConfig& config, const BackendPorts& ports)
    : config_(config), ports_(ports) {
  TRACKSIM_CHECK(config_.mutants.empty());
  TRACKSIM_CHECK(ports_.clock != nullptr);
  TRACKSIM_CHECK(ports_.store != nullptr);
}

ApiResponse LegacyBackend::handle(const ApiRequest& request) {
  const Nanos start_ns = ports_.clock->now();
  ApiResponse response = dispatch(request);
  TRACKSIM_CHECK(response.success == (response.error_class == ErrorClass::kNone));

  if (ports_.monitoring != nullptr && config_.atomic.monitoring_enabled) {
    ports_.monitoring->record(request.kind, response.error_class, ports_.clock->now() - start_ns,
                              response.attempts);
  }
  return response;
}

ApiResponse LegacyBackend::dispatch(const ApiRequest& request) {
  ApiResponse response;
  response.operation_id = request.operation_id;
  auto fail = [&response](const Error& error) {
    response.success = false;
    response.message = error.message;
    response.error_class = error.error_class;
    return response;
  };

  auto valid = validate_request(request);
  if (!valid.ok()) return fail(valid.error());

  auto loaded = instance_for(request.delivery_id);
  if (!loaded.ok()) return fail(loaded.error());
  DocumentInstance& instance = *loaded.value();
  DeliveryTracking& doc = instance.doc;
  const Nanos now_ns = ports_.clock->now();

  // Change the shared instance in place, as the old handlers did.
  if (request.kind == OperationKind::kUpdateLocation) {
    doc.current_location = request.locations.back();
  } else {
    const DeliveryStatus target = request.kind == OperationKind::kCompleteDelivery
                                      ? DeliveryStatus::kDelivered
                                      : request.status;
    auto allowed = validate_transition(doc.status, target);
    if (!allowed.ok()) {
      probe::hit(ports_.probes, probe::kTransitionInvalid);
      return fail(allowed.error());
    }
    std::optional<Location> position;
    if (!request.locations.empty()) {
      position = request.locations.back();
      doc.current_location = position;
    }
    doc.status_history.push_back(StatusHistoryEntry{.status = target,
                                                    .note = request.note,
                                                    .location = position,
                                                    .time_ns = now_ns,
                                                    .operation_id = request.operation_id});
    doc.status = target;
  }
  doc.updated_ns = now_ns;
  // For attribution in histories only: the legacy code never checks it.
  if (!request.operation_id.empty()) record_applied(doc, request.operation_id);

  response.attempts = 1;
  auto saved = save(instance);
  if (!saved.ok()) return fail(saved.error());

  std::optional<DeliveryStatus> automatic_status;
  auto triggered = after_save(instance, request.operation_id, automatic_status);
  if (!triggered.ok()) return fail(triggered.error());

  response.success = true;
  response.message = request.kind == OperationKind::kUpdateLocation     ? kMessageLocationUpdated
                     : request.kind == OperationKind::kCompleteDelivery ? kMessageDeliveryCompleted
                                                                        : kMessageStatusUpdated;
  response.delivery_tracking = instance.doc;
  publish(request, response.operation_id, instance.doc, automatic_status);
  return response;
}

Result<DocumentInstance*> LegacyBackend::instance_for(const std::string& delivery_id) {
  auto it = instances_.find(delivery_id);
  if (it != instances_.end()) return it->second.get();

  auto loaded = ports_.store->load_instance(delivery_id);
  if (!loaded.ok()) return loaded.error();

  // Another handler may have loaded the same delivery while this one waited; the first
  // instance cached wins and is the one everybody shares from now on.
  it = instances_.find(delivery_id);
  if (it == instances_.end()) {
    it = instances_
             .emplace(delivery_id, std::make_unique<DocumentInstance>(std::move(loaded.value())))
             .first;
  }
  return it->second.get();
}

Status LegacyBackend::save(DocumentInstance& instance) {
  const std::string delivery_id = instance.doc.id;
  auto saved = ports_.store->save(instance);
  if (saved.ok()) return saved;

  if (saved.error_class() == ErrorClass::kParallelSaveError) {
    probe::hit(ports_.probes, probe::kLegacyParallelSave);
  }
  if (saved.error_class() == ErrorClass::kDocumentNotFound) {
    // The only recovery the old code had: forget the instance so the next request reloads.
    auto it = instances_.find(delivery_id);
    if (it != instances_.end() && it->second.get() == &instance) {
      retired_.push_back(std::move(it->second));
      instances_.erase(it);
    }
  }
  return saved;
}

Status LegacyBackend::after_save(DocumentInstance& instance, const std::string& operation_id,
                                 std::optional<DeliveryStatus>& automatic_status) {
  DeliveryTracking& doc = instance.doc;
  const Nanos now_ns = ports_.clock->now();

  if (doc.current_location.has_value()) {
    automatic_status = automatic_transition(doc, *doc.current_location, config_.geofence_radius_m);
  }
  if (automatic_status.has_value()) {
    probe::hit(ports_.probes, probe::kTransitionAutomatic);
    probe::hit(ports_.probes, probe::kLegacyMiddlewareSave);
    doc.status_history.push_back(StatusHistoryEntry{
        .status = *automatic_status,
        .note = *automatic_status == DeliveryStatus::kAtPickup ? "Automatic: arrived at pickup"
                                                               : "Automatic: arrived at dropoff",
        .location = doc.current_location,
        .time_ns = now_ns,
        .operation_id = operation_id});
    doc.status = *automatic_status;
    doc.updated_ns = now_ns;
    return save(instance);
  }

  if (is_terminal(doc.status) && doc.updated_ns != now_ns) {
    // Stamping completion saves again; skipped when nothing would change.
    probe::hit(ports_.probes, probe::kLegacyMiddlewareSave);
    doc.updated_ns = now_ns;
    return save(instance);
  }
  return ok_status();
}

void LegacyBackend::publish(const ApiRequest& request, const std::string& operation_id,
                            const DeliveryTracking& doc,
                            std::optional<DeliveryStatus> automatic_status) {
  if (ports_.broadcaster == nullptr) return;

  RoomEvent event;
  event.delivery_id = request.delivery_id;
  event.operation_id = operation_id;
  event.version = doc.version;
  event.status = doc.status;
  event.server_time_ns = ports_.clock->now();
  if (request.kind == OperationKind::kUpdateLocation) {
    event.kind = RoomEvent::Kind::kLocation;
    event.locations = {request.locations.back()};
    ports_.broadcaster->publish(event);
    if (!automatic_status.has_value()) return;
  }
  event.kind = RoomEvent::Kind::kStatus;
  ports_.broadcaster->publish(event);
}

}  // namespace tracksim::model

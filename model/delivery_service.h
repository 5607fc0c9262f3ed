// The fixed delivery-tracking backend: updateStatus, updateLocation and completeDelivery, each
// one atomic update of the delivery's DeliveryTracking document.
//
// Promises, for every request:
//   - it is validated first (ids, coordinates, a non-empty batch); a bad request is a
//     ValidationError and touches nothing;
//   - an operation id already applied returns success with the current document and applies
//     nothing again; a request without an operation id gets a server-made one, so it is still
//     safe to retry inside the server but not across client retries;
//   - status changes follow the status machine, or fail as InvalidTransition;
//   - a position older by device time than the stored one is dropped without an error
//     (success, with a message saying so); newer positions may move the status on by themselves
//     through the geofence rule, inside the same atomic update;
//   - when monitoring is attached and enabled, the request is recorded with its kind, error
//     class, response time on the injected clock (validation failures included) and attempts;
//   - after a successful write the room hears of it (status, position or batch, and "closed" when
//     the delivery reached a terminal status); after a failure it hears the failure. A duplicate
//     or a dropped stale position publishes nothing, because the first application already did.
//
// Left out: authentication and which client may change what (the seed does not model it);
// proof of delivery and other payload of completeDelivery.
#pragma once

#include <cstdint>
#include <string>

#include "model/api.h"
#include "model/atomic_update.h"
#include "model/backend.h"
#include "model/mutants.h"

namespace tracksim::model {

// ok, or kValidationError saying what is malformed in `request`.
Status validate_request(const ApiRequest& request);

// The success messages, as the seed's JSON replies word them.
inline constexpr std::string_view kMessageStatusUpdated = "Status updated successfully";
inline constexpr std::string_view kMessageLocationUpdated = "Location updated successfully";
inline constexpr std::string_view kMessageDeliveryCompleted = "Delivery completed successfully";
inline constexpr std::string_view kMessageAlreadyApplied = "Operation already applied";
inline constexpr std::string_view kMessageStaleLocation =
    "Location dropped: older than the stored position";

class DeliveryService final : public DeliveryBackend {
 public:
  // REQUIRES: as make_backend.
  DeliveryService(const BackendConfig& config, const BackendPorts& ports, const PlantedBugs& bugs);

  ApiResponse handle(const ApiRequest& request) override;

 private:
  // What the last call of an update function did, for the reply and the room.
  struct Effects {
    std::vector<Location> accepted_locations;
    int stale_locations = 0;
    std::optional<DeliveryStatus> automatic_status;
  };

  ApiResponse dispatch(const ApiRequest& request);
  UpdateFunction status_update(const ApiRequest& request, const std::string& operation_id,
                               DeliveryStatus target, Effects& effects);
  UpdateFunction location_update(const ApiRequest& request, const std::string& operation_id,
                                 Effects& effects);
  // Accepts `position` as the current one unless it is older than the stored one.
  bool accept_position(DeliveryTracking& doc, const Location& position);
  void apply_automatic_transition(DeliveryTracking& doc, const Location& position,
                                  const std::string& operation_id, Effects& effects);
  bool republish_duplicate(const ApiRequest& request, const std::string& operation_id,
                           const AtomicUpdateResult& applied, const Effects& effects) const;
  void publish(const ApiRequest& request, const ApiResponse& response, const Effects& effects);
  std::string server_operation_id();

  BackendConfig config_;
  BackendPorts ports_;
  PlantedBugs bugs_;
  AtomicUpdater updater_;
};

}  // namespace tracksim::model

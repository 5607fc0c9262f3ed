// The backend's request/response API, as the drivers' apps call it.
//
// One ApiRequest is one HTTP call of the app: a status change, a position (or a batch of them), or
// completing the delivery. Every request carries an operation id chosen by the app, which makes a
// retried request idempotent. ApiResponse has the shape of the backend's JSON replies: success, a
// message, the resulting document and the operation id, plus the error class on failure.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/delivery_tracking.h"
#include "model/errors.h"
#include "model/ports.h"

namespace tracksim::model {

enum class OperationKind : unsigned char {
  kUpdateStatus = 0,
  kUpdateLocation,
  kCompleteDelivery,
};
inline constexpr int kOperationKindCount = 3;
// The seed's method names: "updateStatus", "updateLocation", "completeDelivery".
std::string_view to_string(OperationKind k);
std::optional<OperationKind> operation_kind_from_string(std::string_view name);

struct ApiRequest {
  OperationKind kind = OperationKind::kUpdateLocation;
  std::string delivery_id;
  std::string operation_id;
  std::string client_id;  // the driver, dispatcher or device that sent it
  // kUpdateStatus: the target status and a note; kCompleteDelivery targets kDelivered.
  DeliveryStatus status = DeliveryStatus::kPending;
  std::string note;
  // kUpdateLocation: one or more positions, oldest first; a status change may carry one too.
  std::vector<Location> locations;
};

struct ApiResponse {
  bool success = false;
  std::string message;
  ErrorClass error_class = ErrorClass::kNone;
  std::optional<DeliveryTracking> delivery_tracking;
  std::string operation_id;
  // How many store attempts the server made for this request (1 when the first one succeeded).
  int attempts = 0;
};

// Something the server tells the room of a delivery: a status change, a position, or a failure.
struct RoomEvent {
  enum class Kind : unsigned char { kStatus, kLocation, kLocationBatch, kFailure, kClosed };
  Kind kind = Kind::kLocation;
  std::string delivery_id;
  std::string operation_id;
  std::int64_t version = 0;
  DeliveryStatus status = DeliveryStatus::kPending;
  std::vector<Location> locations;
  ErrorClass error_class = ErrorClass::kNone;
  Nanos server_time_ns = 0;
};

// Where the backend publishes room events (the socket hub implements it).
class Broadcaster {
 public:
  virtual ~Broadcaster() = default;
  virtual void publish(const RoomEvent& event) = 0;
};

// The server side: handles one request on the calling task and returns its response.
class DeliveryBackend {
 public:
  virtual ~DeliveryBackend() = default;
  virtual ApiResponse handle(const ApiRequest& request) = 0;
};

// The app side's link to the server: sends a request and waits at most `timeout_ns` for the
// response; nullopt when none came in time (the request may or may not have been applied).
class Transport {
 public:
  virtual ~Transport() = default;
  virtual std::optional<ApiResponse> call(const ApiRequest& request, Nanos timeout_ns) = 0;
};

}  // namespace tracksim::model

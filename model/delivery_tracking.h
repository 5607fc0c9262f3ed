// DeliveryTracking: the one document per delivery that every driver request updates.
//
// This is the stored shape of the document: the delivery's status and its history, the driver's
// current position, and the concurrency-control fields the fix added: `version` (raised by exactly
// one on every committed write), `operationLock` (the expiry of a lock lease, with its owner) and
// `lastOperationId` plus a bounded window of recent operation ids (for idempotent retries).
//
// Positions are WGS-84 degrees as the apps send them; `device_time_ns` is the phone's own clock,
// which may be skewed, and is what orders positions of one delivery.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/time.h"

namespace tracksim::model {

enum class DeliveryStatus : unsigned char {
  kPending = 0,
  kAssigned,
  kHeadingToPickup,
  kAtPickup,
  kPickedUp,
  kHeadingToDropoff,
  kAtDropoff,
  kDelivered,
  kCancelled,
  kFailed,
};

inline constexpr int kDeliveryStatusCount = 10;

// The wire names: "pending", "heading_to_pickup", ...
std::string_view to_string(DeliveryStatus s);
std::optional<DeliveryStatus> delivery_status_from_string(std::string_view name);

struct GeoPoint {
  double lat = 0;
  double lng = 0;
  friend bool operator==(const GeoPoint&, const GeoPoint&) = default;
};

struct Location {
  double lat = 0;
  double lng = 0;
  double accuracy_m = 0;
  Nanos device_time_ns = 0;
  friend bool operator==(const Location&, const Location&) = default;
};

struct StatusHistoryEntry {
  DeliveryStatus status = DeliveryStatus::kPending;
  std::string note;
  std::optional<Location> location;
  Nanos time_ns = 0;
  std::string operation_id;
  friend bool operator==(const StatusHistoryEntry&, const StatusHistoryEntry&) = default;
};

struct DeliveryTracking {
  std::string id;  // the delivery id, stored as _id
  std::string driver_id;
  DeliveryStatus status = DeliveryStatus::kPending;
  std::vector<StatusHistoryEntry> status_history;
  std::optional<Location> current_location;
  GeoPoint pickup;
  GeoPoint dropoff;

  std::int64_t version = 0;
  // operationLock: when the current lock lease ends; absent when nobody holds the lock.
  std::optional<Nanos> operation_lock_ns;
  std::string lock_owner;
  std::string last_operation_id;
  // The newest operation ids applied, oldest first, at most kRecentOperationWindow of them.
  std::vector<std::string> recent_operation_ids;

  Nanos created_ns = 0;
  Nanos updated_ns = 0;

  friend bool operator==(const DeliveryTracking&, const DeliveryTracking&) = default;
};

inline constexpr std::size_t kRecentOperationWindow = 64;

// True when `operation_id` is the last one applied or in the recent window.
bool has_applied(const DeliveryTracking& doc, std::string_view operation_id);
// Records `operation_id` as applied: sets lastOperationId and slides the bounded window.
void record_applied(DeliveryTracking& doc, const std::string& operation_id);

// A secondary index as the schema declares it, so a storage implementation can honour it.
struct IndexSpec {
  std::vector<std::string> fields;  // "operationLock", or {"deliveryPersonId", "status"}
  bool unique = false;
  // A TTL index: the whole document is deleted once fields[0] is older than this many seconds.
  std::optional<std::int64_t> expire_after_seconds;
};

// The indexes the fix's schema declares, literally: a TTL index on operationLock with
// expireAfterSeconds 30, an index on version, and one on (deliveryPersonId, status).
std::vector<IndexSpec> seed_schema_indexes();
// The same without the TTL on operationLock, which deletes a whole delivery when a lock leaks.
std::vector<IndexSpec> safe_schema_indexes();

}  // namespace tracksim::model

// The status machine's table and the geofence rule.
#include "model/status_machine.h"

#include <cmath>
#include <string>

#include "model/check.h"

namespace tracksim::model {
namespace {

constexpr double kPi = 3.14159265358979323846;

double radians(double degrees) {
  return degrees * (kPi / 180.0);
}

// The next status on the forward path, or nullopt at its end and off it.
std::optional<DeliveryStatus> forward_step(DeliveryStatus s) {
  switch (s) {
    case DeliveryStatus::kPending:
      return DeliveryStatus::kAssigned;
    case DeliveryStatus::kAssigned:
      return DeliveryStatus::kHeadingToPickup;
    case DeliveryStatus::kHeadingToPickup:
      return DeliveryStatus::kAtPickup;
    case DeliveryStatus::kAtPickup:
      return DeliveryStatus::kPickedUp;
    case DeliveryStatus::kPickedUp:
      return DeliveryStatus::kHeadingToDropoff;
    case DeliveryStatus::kHeadingToDropoff:
      return DeliveryStatus::kAtDropoff;
    case DeliveryStatus::kAtDropoff:
      return DeliveryStatus::kDelivered;
    case DeliveryStatus::kDelivered:
    case DeliveryStatus::kCancelled:
    case DeliveryStatus::kFailed:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

bool is_terminal(DeliveryStatus s) {
  return s == DeliveryStatus::kDelivered || s == DeliveryStatus::kCancelled ||
         s == DeliveryStatus::kFailed;
}

bool is_allowed_transition(DeliveryStatus from, DeliveryStatus to) {
  if (is_terminal(from)) return false;
  if (to == DeliveryStatus::kCancelled || to == DeliveryStatus::kFailed) return true;
  return forward_step(from) == to;
}

std::vector<DeliveryStatus> allowed_next(DeliveryStatus from) {
  std::vector<DeliveryStatus> next;
  for (int i = 0; i < kDeliveryStatusCount; ++i) {
    const auto to = static_cast<DeliveryStatus>(i);
    if (is_allowed_transition(from, to)) next.push_back(to);
  }
  return next;
}

Status validate_transition(DeliveryStatus from, DeliveryStatus to) {
  if (is_allowed_transition(from, to)) return ok_status();
  return Error{ErrorClass::kInvalidTransition, "Invalid status transition from " +
                                                   std::string(to_string(from)) + " to " +
                                                   std::string(to_string(to))};
}

double haversine_distance_m(const GeoPoint& a, const GeoPoint& b) {
  const double lat1 = radians(a.lat);
  const double lat2 = radians(b.lat);
  const double dlat = lat2 - lat1;
  const double dlng = radians(b.lng - a.lng);

  const double s_lat = std::sin(dlat / 2);
  const double s_lng = std::sin(dlng / 2);
  double h = s_lat * s_lat + std::cos(lat1) * std::cos(lat2) * (s_lng * s_lng);
  // Rounding can push h a hair above 1 for antipodal points; asin would return NaN.
  if (h > 1) h = 1;
  return 2 * kEarthRadius_m * std::asin(std::sqrt(h));
}

bool inside_geofence(const GeoPoint& center, const Location& position, double radius_m) {
  TRACKSIM_CHECK(radius_m >= 0);
  return haversine_distance_m(center, GeoPoint{position.lat, position.lng}) <= radius_m;
}

std::optional<DeliveryStatus> automatic_transition(const DeliveryTracking& doc,
                                                   const Location& position, double radius_m) {
  std::optional<DeliveryStatus> to;
  if (doc.status == DeliveryStatus::kHeadingToPickup &&
      inside_geofence(doc.pickup, position, radius_m)) {
    to = DeliveryStatus::kAtPickup;
  } else if (doc.status == DeliveryStatus::kHeadingToDropoff &&
             inside_geofence(doc.dropoff, position, radius_m)) {
    to = DeliveryStatus::kAtDropoff;
  }
  if (to) TRACKSIM_CHECK(is_allowed_transition(doc.status, *to));
  return to;
}

std::optional<DeliveryStatus> unvalidated_geofence_status(const DeliveryTracking& doc,
                                                          const Location& position,
                                                          double radius_m) {
  std::optional<DeliveryStatus> to;
  if (inside_geofence(doc.pickup, position, radius_m)) {
    to = DeliveryStatus::kAtPickup;
  } else if (inside_geofence(doc.dropoff, position, radius_m)) {
    to = DeliveryStatus::kAtDropoff;
  }
  if (to == doc.status) return std::nullopt;
  return to;
}

}  // namespace tracksim::model

// The delivery status machine: which status changes are allowed, and which happen by themselves.
//
// A delivery moves forward one step at a time along
//   pending -> assigned -> heading_to_pickup -> at_pickup -> picked_up -> heading_to_dropoff
//   -> at_dropoff -> delivered,
// and may be cancelled or failed from any status that is not terminal. delivered, cancelled and
// failed are terminal: nothing leaves them, and no status moves to itself. Anything else is an
// InvalidTransition.
//
// Automatic transitions model the app's geofence: a position within the configured radius of the
// pickup point while heading_to_pickup moves the delivery to at_pickup, and one within the radius
// of the dropoff point while heading_to_dropoff moves it to at_dropoff. That is the automatic
// change that races the driver's own tap in the seed's incident. Distances are great-circle
// (haversine) on a spherical Earth; the ellipsoid's error of under 0.5 % is far below GPS noise.
#pragma once

#include <optional>
#include <vector>

#include "model/delivery_tracking.h"
#include "model/errors.h"

namespace tracksim::model {

// The mean Earth radius of IUGG, in metres.
inline constexpr double kEarthRadius_m = 6'371'008.8;

bool is_terminal(DeliveryStatus s);

// True when the machine allows `from` -> `to`.
bool is_allowed_transition(DeliveryStatus from, DeliveryStatus to);

// Every status reachable from `from` in one allowed step, in enum order.
std::vector<DeliveryStatus> allowed_next(DeliveryStatus from);

// ok, or kInvalidTransition with a message naming both statuses.
Status validate_transition(DeliveryStatus from, DeliveryStatus to);

// Great-circle distance between two WGS-84 points, in metres.
double haversine_distance_m(const GeoPoint& a, const GeoPoint& b);

// Whether `position` lies within `radius_m` of `center` (the boundary counts as inside).
bool inside_geofence(const GeoPoint& center, const Location& position, double radius_m);

// The status a position moves the delivery to by itself, or nullopt. Only the two forward steps
// described above are automatic; the result is always an allowed transition from `doc.status`.
std::optional<DeliveryStatus> automatic_transition(const DeliveryTracking& doc,
                                                   const Location& position, double radius_m);

// The same geofence rule without the status precondition: at_pickup inside the pickup fence,
// at_dropoff inside the dropoff fence (pickup wins when the fences overlap), unless the delivery
// is already there. This is what a handler that "skips validation" applies; the planted bug
// "auto_transition_skips_validation" uses it, and nothing else should.
std::optional<DeliveryStatus> unvalidated_geofence_status(const DeliveryTracking& doc,
                                                          const Location& position,
                                                          double radius_m);

}  // namespace tracksim::model

// Geometry of the simulated city; see city.h.
#include "sim/world/city.h"

#include <cassert>
#include <cmath>

namespace tracksim::sim {
namespace {

constexpr double kMetresPerDegreeLat = 111'320.0;
constexpr double kPi = 3.14159265358979323846;

}  // namespace

double distance_m(Point a, Point b) {
  return std::hypot(a.x_m - b.x_m, a.y_m - b.y_m);
}

Route::Route(std::vector<Point> waypoints) : waypoints_(std::move(waypoints)) {
  assert(!waypoints_.empty());
  for (std::size_t i = 1; i < waypoints_.size(); ++i) {
    length_m_ += distance_m(waypoints_[i - 1], waypoints_[i]);
  }
}

Point Route::at(double travelled_m) const {
  if (travelled_m <= 0) return waypoints_.front();
  for (std::size_t i = 1; i < waypoints_.size(); ++i) {
    const double leg = distance_m(waypoints_[i - 1], waypoints_[i]);
    if (travelled_m <= leg && leg > 0) {
      const double f = travelled_m / leg;
      const Point a = waypoints_[i - 1], b = waypoints_[i];
      return Point{a.x_m + f * (b.x_m - a.x_m), a.y_m + f * (b.y_m - a.y_m)};
    }
    travelled_m -= leg;
  }
  return waypoints_.back();
}

Point City::random_point(RandomStream& stream) const {
  const double half = config_.size_km * 500.0;
  return Point{stream.uniform(-half, half), stream.uniform(-half, half)};
}

Route City::route(Point from, Point to) const {
  return Route({from, Point{to.x_m, from.y_m}, to});
}

model::GeoPoint City::to_geo(Point p) const {
  const double metres_per_degree_lng =
      kMetresPerDegreeLat * std::cos(config_.centre_lat * kPi / 180.0);
  return model::GeoPoint{config_.centre_lat + p.y_m / kMetresPerDegreeLat,
                         config_.centre_lng + p.x_m / metres_per_degree_lng};
}

Point City::from_geo(model::GeoPoint g) const {
  const double metres_per_degree_lng =
      kMetresPerDegreeLat * std::cos(config_.centre_lat * kPi / 180.0);
  return Point{(g.lng - config_.centre_lng) * metres_per_degree_lng,
               (g.lat - config_.centre_lat) * kMetresPerDegreeLat};
}

model::Location City::observe(Point truth, Nanos device_time_ns, RandomStream& stream) const {
  const Point seen{truth.x_m + stream.normal(0, config_.gps_noise_m),
                   truth.y_m + stream.normal(0, config_.gps_noise_m)};
  const model::GeoPoint geo = to_geo(seen);
  return model::Location{.lat = geo.lat,
                         .lng = geo.lng,
                         .accuracy_m = 2 * config_.gps_noise_m,
                         .device_time_ns = device_time_ns};
}

}  // namespace tracksim::sim

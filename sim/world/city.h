//! The city the drivers move through: local metric coordinates, routes, and GPS observations.
//!
//! Positions are kept in metres east and north of the city centre; the apps report WGS-84 degrees,
//! converted with the equirectangular approximation (exact enough within a city, and the same on
//! every build). A route is a polyline from pickup to dropoff; a driver advances along it at a
//! speed, and the phone observes its true position through GPS noise.
#pragma once

#include <vector>

#include "model/delivery_tracking.h"
#include "sim/kernel/rng.h"

namespace tracksim::sim {

struct Point {
  double x_m = 0;  // east
  double y_m = 0;  // north
};

double distance_m(Point a, Point b);

struct CityConfig {
  double size_km = 8;
  double centre_lat = 48.8566;
  double centre_lng = 2.3522;
  double gps_noise_m = 5;  // standard deviation of each horizontal component
};

class Route {
 public:
  explicit Route(std::vector<Point> waypoints);
  double length_m() const { return length_m_; }
  // The point `travelled_m` along the route (clamped to its ends).
  Point at(double travelled_m) const;
  Point start() const { return waypoints_.front(); }
  Point end() const { return waypoints_.back(); }

 private:
  std::vector<Point> waypoints_;
  double length_m_ = 0;
};

class City {
 public:
  explicit City(CityConfig config) : config_(config) {}

  const CityConfig& config() const { return config_; }
  // A uniformly drawn point inside the city square.
  Point random_point(RandomStream& stream) const;
  // The route a driver takes between two points: along the street grid, x first then y.
  Route route(Point from, Point to) const;

  model::GeoPoint to_geo(Point p) const;
  Point from_geo(model::GeoPoint g) const;
  // What the phone reports for a true position: the position plus GPS noise, with its accuracy.
  model::Location observe(Point truth, Nanos device_time_ns, RandomStream& stream) const;

 private:
  CityConfig config_;
};

}  // namespace tracksim::sim

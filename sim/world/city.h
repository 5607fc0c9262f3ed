//! The city the drivers move through: a generated street grid in local metric coordinates,
//! shortest routes over it, and what a phone's GPS reports.
//!
//! Positions are metres east and north of the city centre; the apps report WGS-84 degrees,
//! converted with the equirectangular approximation (exact enough within a city, and the same on
//! every build). The street network is a grid of `block_m` blocks; every `arterial_every`-th
//! street is an arterial with a higher speed limit, and a share of the other street segments is
//! closed (one-way streets, works), drawn from the city's own `map_seed` so that the map is the
//! same for every run seed unless the scenario asks otherwise. A route runs from a point to the
//! nearest intersection, along the quickest path by speed limits (Dijkstra), and on to the
//! destination; every leg carries its speed limit for the driver's motion (driver_motion.h).
//!
//! GPS noise is a 2-D Gaussian with a configured covariance (east and north deviations and their
//! correlation, as multipath along a street canyon produces), drawn through the covariance's
//! Cholesky factor. Left out: heights, curved streets, traffic that depends on other drivers.
#pragma once

#include <Eigen/Core>
#include <cstdint>
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
  double block_m = 200;              // distance between parallel streets
  int arterial_every = 5;            // every n-th street is an arterial
  double street_speed_mps = 8.3;     // 30 km/h
  double arterial_speed_mps = 13.9;  // 50 km/h
  double closed_share = 0.1;         // share of side-street segments closed to traffic
  std::uint64_t map_seed = 1;        // draws the closures; the same map for every run seed
  // GPS noise: standard deviations east and north, and their correlation in (-1, 1).
  double gps_noise_m = 5;  // the deviation of each component unless set separately
  double gps_noise_east_m = -1;
  double gps_noise_north_m = -1;
  double gps_noise_correlation = 0;
};

class Route {
 public:
  // A polyline; `speed_limits_mps[i]` is the limit on the leg from waypoint i to i + 1 (empty:
  // no limits known).
  explicit Route(std::vector<Point> waypoints, std::vector<double> speed_limits_mps = {});
  double length_m() const { return length_m_; }
  // The point `travelled_m` along the route (clamped to its ends).
  Point at(double travelled_m) const;
  Point start() const { return waypoints_.front(); }
  Point end() const { return waypoints_.back(); }
  const std::vector<Point>& waypoints() const { return waypoints_; }
  // The leg lengths and limits, in order; a limit of 0 means unknown.
  std::size_t legs() const { return waypoints_.size() - 1; }
  double leg_length_m(std::size_t leg) const;
  double leg_speed_limit_mps(std::size_t leg) const;

 private:
  std::vector<Point> waypoints_;
  std::vector<double> speed_limits_mps_;
  std::vector<double> cumulative_m_;  // distance from the start to each waypoint
  double length_m_ = 0;
};

class City {
 public:
  explicit City(CityConfig config);

  const CityConfig& config() const { return config_; }
  // A uniformly drawn point inside the city square.
  Point random_point(RandomStream& stream) const;
  // The quickest route between two points over the street grid.
  Route route(Point from, Point to) const;

  model::GeoPoint to_geo(Point p) const;
  Point from_geo(model::GeoPoint g) const;
  // What the phone reports for a true position: the position plus GPS noise, with its accuracy
  // (the radius holding about 95% of fixes, as phones report it).
  model::Location observe(Point truth, Nanos device_time_ns, RandomStream& stream) const;
  // One draw of the GPS error, metres east and north.
  Eigen::Vector2d gps_error(RandomStream& stream) const;
  const Eigen::Matrix2d& gps_covariance() const { return covariance_; }

  // The street graph, for tests and tools.
  int streets() const { return streets_; }  // intersections per side
  Point intersection(int i, int j) const;
  bool segment_open(int i, int j, bool east) const;  // from (i, j) to (i+1, j) or (i, j+1)
  double segment_speed_mps(int i, int j, bool east) const;

 private:
  int node(int i, int j) const { return j * streets_ + i; }
  int nearest_node(Point p) const;

  CityConfig config_;
  int streets_ = 0;
  double origin_m_ = 0;          // coordinate of street 0, on both axes
  std::vector<char> open_east_;  // per node: the segment to the east is open
  std::vector<char> open_north_;
  Eigen::Matrix2d covariance_;
  Eigen::Matrix2d cholesky_;  // lower factor of covariance_
};

}  // namespace tracksim::sim

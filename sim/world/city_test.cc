// The city: the street grid and its closures, routes over it, coordinates, and GPS noise with
// the configured covariance.
#include "sim/world/city.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tracksim::sim {
namespace {

TEST(City, ClosuresSpareArterialsAndLeaveEveryIntersectionTwoWaysOut) {
  const City city(CityConfig{.size_km = 4, .closed_share = 0.4});
  const int n = city.streets();
  int closed = 0;
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < n; ++i) {
      int open = 0;
      open += city.segment_open(i, j, true);
      open += city.segment_open(i, j, false);
      open += city.segment_open(i - 1, j, true);
      open += city.segment_open(i, j - 1, false);
      EXPECT_GE(open, 2) << i << "," << j;
      if (j % city.config().arterial_every == 0 && i + 1 < n) {
        EXPECT_TRUE(city.segment_open(i, j, true)) << "arterial closed at " << i << "," << j;
      }
      if (i + 1 < n && !city.segment_open(i, j, true)) ++closed;
    }
  }
  EXPECT_GT(closed, 0);
}

TEST(City, TheMapDependsOnItsOwnSeedOnly) {
  const City a(CityConfig{.map_seed = 1});
  const City b(CityConfig{.map_seed = 1});
  const City c(CityConfig{.map_seed = 2});
  int same_as_b = 0, same_as_c = 0, segments = 0;
  for (int j = 0; j < a.streets(); ++j) {
    for (int i = 0; i + 1 < a.streets(); ++i) {
      ++segments;
      same_as_b += a.segment_open(i, j, true) == b.segment_open(i, j, true);
      same_as_c += a.segment_open(i, j, true) == c.segment_open(i, j, true);
    }
  }
  EXPECT_EQ(same_as_b, segments);
  EXPECT_LT(same_as_c, segments);
}

TEST(City, RoutesRunAlongOpenStreetsFromStartToEnd) {
  const City city(CityConfig{.size_km = 3, .closed_share = 0.3});
  RandomStream stream(3, "routes");
  for (int k = 0; k < 50; ++k) {
    const Point from = city.random_point(stream);
    const Point to = city.random_point(stream);
    const Route route = city.route(from, to);
    EXPECT_EQ(route.start().x_m, from.x_m);
    EXPECT_EQ(route.end().y_m, to.y_m);
    // Never shorter than the straight line; every inner leg is one block along a grid line.
    EXPECT_GE(route.length_m() + 1e-9, distance_m(from, to));
    const auto& w = route.waypoints();
    for (std::size_t leg = 1; leg + 2 < w.size(); ++leg) {
      EXPECT_NEAR(route.leg_length_m(leg), city.config().block_m, 1e-6);
      EXPECT_TRUE(w[leg].x_m == w[leg + 1].x_m || w[leg].y_m == w[leg + 1].y_m);
      EXPECT_GT(route.leg_speed_limit_mps(leg), 0);
    }
    // at() walks the whole route.
    EXPECT_NEAR(distance_m(route.at(route.length_m()), to), 0, 1e-9);
    EXPECT_NEAR(distance_m(route.at(0), from), 0, 1e-9);
  }
}

TEST(City, ARouteAlongAnArterialPrefersIt) {
  // Two points on arterial 0 (y = south edge): the quickest path stays on it.
  const City city(CityConfig{.size_km = 2, .closed_share = 0});
  const Point from = city.intersection(0, 0);
  const Point to = city.intersection(city.streets() - 1, 0);
  const Route route = city.route(from, to);
  for (const Point& p : route.waypoints())
    EXPECT_EQ(p.y_m, from.y_m);
}

TEST(City, GeoCoordinatesRoundTrip) {
  const City city(CityConfig{});
  const Point p{1234.5, -678.25};
  const Point back = city.from_geo(city.to_geo(p));
  EXPECT_NEAR(back.x_m, p.x_m, 1e-6);
  EXPECT_NEAR(back.y_m, p.y_m, 1e-6);
}

// 100,000 draws estimate each covariance entry within about 1% of the variances (3 standard
// errors are under 1.5%); the test allows 3%.
TEST(City, GpsErrorsHaveTheConfiguredCovariance) {
  const City city(
      CityConfig{.gps_noise_east_m = 6, .gps_noise_north_m = 3, .gps_noise_correlation = 0.6});
  RandomStream stream(5, "gps");
  constexpr int kDraws = 100'000;
  Eigen::Matrix2d sum = Eigen::Matrix2d::Zero();
  Eigen::Vector2d mean = Eigen::Vector2d::Zero();
  for (int i = 0; i < kDraws; ++i) {
    const Eigen::Vector2d e = city.gps_error(stream);
    mean += e;
    sum += e * e.transpose();
  }
  mean /= kDraws;
  const Eigen::Matrix2d covariance = sum / kDraws - mean * mean.transpose();
  EXPECT_NEAR(mean.x(), 0, 0.1);
  EXPECT_NEAR(mean.y(), 0, 0.05);
  EXPECT_NEAR(covariance(0, 0), 36, 36 * 0.03);
  EXPECT_NEAR(covariance(1, 1), 9, 9 * 0.03);
  EXPECT_NEAR(covariance(0, 1), 0.6 * 6 * 3, 36 * 0.03);
  EXPECT_EQ(city.gps_covariance()(0, 1), city.gps_covariance()(1, 0));
}

TEST(City, ObservationsReportANinetyFivePercentAccuracy) {
  const City city(CityConfig{.gps_noise_m = 5});
  RandomStream stream(9, "observe");
  const model::Location seen = city.observe(Point{}, 42, stream);
  EXPECT_NEAR(seen.accuracy_m, 5 * 2.4477, 0.01);
  EXPECT_EQ(seen.device_time_ns, 42);
}

}  // namespace
}  // namespace tracksim::sim

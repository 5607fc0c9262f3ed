// Geometry, streets and GPS of the simulated city; see city.h.
#include "sim/world/city.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <queue>
#include <utility>

#include "model/check.h"

namespace tracksim::sim {
namespace {

constexpr double kMetresPerDegreeLat = 111'320.0;
constexpr double kPi = 3.14159265358979323846;
// sqrt(-2 ln 0.05): the radius holding 95% of a unit 2-D Gaussian's draws.
constexpr double kRadius95 = 2.4477468306808161;

}  // namespace

double distance_m(Point a, Point b) {
  return std::hypot(a.x_m - b.x_m, a.y_m - b.y_m);
}

// --- Route ---------------------------------------------------------------------------------------

Route::Route(std::vector<Point> waypoints, std::vector<double> speed_limits_mps)
    : waypoints_(std::move(waypoints)), speed_limits_mps_(std::move(speed_limits_mps)) {
  TRACKSIM_CHECK(!waypoints_.empty());
  TRACKSIM_CHECK(speed_limits_mps_.empty() || speed_limits_mps_.size() == waypoints_.size() - 1);
  cumulative_m_.reserve(waypoints_.size());
  cumulative_m_.push_back(0);
  for (std::size_t i = 1; i < waypoints_.size(); ++i) {
    length_m_ += distance_m(waypoints_[i - 1], waypoints_[i]);
    cumulative_m_.push_back(length_m_);
  }
}

double Route::leg_length_m(std::size_t leg) const {
  return cumulative_m_.at(leg + 1) - cumulative_m_.at(leg);
}

double Route::leg_speed_limit_mps(std::size_t leg) const {
  return speed_limits_mps_.empty() ? 0 : speed_limits_mps_.at(leg);
}

Point Route::at(double travelled_m) const {
  if (travelled_m <= 0) return waypoints_.front();
  if (travelled_m >= length_m_) return waypoints_.back();
  // The first waypoint at or beyond the distance; the point lies on the leg ending there.
  const auto it = std::lower_bound(cumulative_m_.begin(), cumulative_m_.end(), travelled_m);
  const std::size_t i = static_cast<std::size_t>(it - cumulative_m_.begin());
  TRACKSIM_CHECK(i >= 1);
  const double leg = cumulative_m_[i] - cumulative_m_[i - 1];
  if (leg <= 0) return waypoints_[i];
  const double f = (travelled_m - cumulative_m_[i - 1]) / leg;
  const Point a = waypoints_[i - 1], b = waypoints_[i];
  return Point{a.x_m + f * (b.x_m - a.x_m), a.y_m + f * (b.y_m - a.y_m)};
}

// --- City ----------------------------------------------------------------------------------------

City::City(CityConfig config) : config_(config) {
  TRACKSIM_CHECK(config_.size_km > 0);
  TRACKSIM_CHECK(config_.block_m > 0);
  TRACKSIM_CHECK(config_.arterial_every >= 1);
  const double size_m = config_.size_km * 1000;
  streets_ = std::max(2, static_cast<int>(std::floor(size_m / config_.block_m)) + 1);
  origin_m_ = -config_.block_m * (streets_ - 1) / 2.0;

  // Closures: side-street segments only, so the arterials always connect the whole city, and
  // never the last open segment of an intersection.
  const std::size_t nodes = static_cast<std::size_t>(streets_) * static_cast<std::size_t>(streets_);
  open_east_.assign(nodes, 1);
  open_north_.assign(nodes, 1);
  std::vector<int> degree(nodes, 0);
  for (int j = 0; j < streets_; ++j) {
    for (int i = 0; i < streets_; ++i) {
      degree[static_cast<std::size_t>(node(i, j))] =
          (i > 0) + (i + 1 < streets_) + (j > 0) + (j + 1 < streets_);
    }
  }
  RandomStream map(config_.map_seed, "city/closures");
  for (int j = 0; j < streets_; ++j) {
    for (int i = 0; i < streets_; ++i) {
      for (const bool east : {true, false}) {
        const int ni = east ? i + 1 : i;
        const int nj = east ? j : j + 1;
        if (ni >= streets_ || nj >= streets_) continue;
        // Both draws are made for every segment, so the map does not depend on the order of
        // the checks below.
        const bool close = map.bernoulli(config_.closed_share);
        const bool arterial =
            east ? j % config_.arterial_every == 0 : i % config_.arterial_every == 0;
        const auto a = static_cast<std::size_t>(node(i, j));
        const auto b = static_cast<std::size_t>(node(ni, nj));
        if (!close || arterial || degree[a] <= 2 || degree[b] <= 2) continue;
        (east ? open_east_ : open_north_)[a] = 0;
        --degree[a];
        --degree[b];
      }
    }
  }

  // GPS covariance and its Cholesky factor.
  const double sx = config_.gps_noise_east_m >= 0 ? config_.gps_noise_east_m : config_.gps_noise_m;
  const double sy =
      config_.gps_noise_north_m >= 0 ? config_.gps_noise_north_m : config_.gps_noise_m;
  const double rho = config_.gps_noise_correlation;
  TRACKSIM_CHECK(rho > -1 && rho < 1);
  covariance_ << sx * sx, rho * sx * sy, rho * sx * sy, sy * sy;
  if (sx > 0 && sy > 0) {
    Eigen::LLT<Eigen::Matrix2d> llt(covariance_);
    TRACKSIM_CHECK(llt.info() == Eigen::Success);
    cholesky_ = llt.matrixL();
  } else {
    // A degenerate covariance (one deviation 0) has the diagonal square roots as its factor.
    cholesky_ << sx, 0, 0, sy;
  }
}

Point City::intersection(int i, int j) const {
  return Point{origin_m_ + i * config_.block_m, origin_m_ + j * config_.block_m};
}

bool City::segment_open(int i, int j, bool east) const {
  const int ni = east ? i + 1 : i;
  const int nj = east ? j : j + 1;
  if (i < 0 || j < 0 || ni >= streets_ || nj >= streets_) return false;
  const auto n = static_cast<std::size_t>(node(i, j));
  return (east ? open_east_ : open_north_)[n] != 0;
}

double City::segment_speed_mps(int i, int j, bool east) const {
  const bool arterial = east ? j % config_.arterial_every == 0 : i % config_.arterial_every == 0;
  return arterial ? config_.arterial_speed_mps : config_.street_speed_mps;
}

int City::nearest_node(Point p) const {
  auto index = [&](double coordinate) {
    const long k = std::lround((coordinate - origin_m_) / config_.block_m);
    return static_cast<int>(std::clamp<long>(k, 0, streets_ - 1));
  };
  return node(index(p.x_m), index(p.y_m));
}

Point City::random_point(RandomStream& stream) const {
  const double half = config_.size_km * 500.0;
  return Point{stream.uniform(-half, half), stream.uniform(-half, half)};
}

Route City::route(Point from, Point to) const {
  const int source = nearest_node(from);
  const int target = nearest_node(to);
  const auto nodes = static_cast<std::size_t>(streets_) * static_cast<std::size_t>(streets_);

  // Dijkstra by travel time at the speed limits. Ties are broken by node number, so the path
  // is the same on every build.
  std::vector<double> time_s(nodes, HUGE_VAL);
  std::vector<int> previous(nodes, -1);
  using Entry = std::pair<double, int>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue;
  time_s[static_cast<std::size_t>(source)] = 0;
  queue.emplace(0, source);
  while (!queue.empty()) {
    const auto [t, n] = queue.top();
    queue.pop();
    if (t > time_s[static_cast<std::size_t>(n)]) continue;
    if (n == target) break;
    const int i = n % streets_, j = n / streets_;
    // Neighbours: east, west, north, south; a segment is stored at its west or south end.
    const struct {
      int i, j, si, sj;
      bool east;
    } steps[] = {{i + 1, j, i, j, true},
                 {i - 1, j, i - 1, j, true},
                 {i, j + 1, i, j, false},
                 {i, j - 1, i, j - 1, false}};
    for (const auto& s : steps) {
      if (!segment_open(s.si, s.sj, s.east)) continue;
      const int m = node(s.i, s.j);
      const double next = t + config_.block_m / segment_speed_mps(s.si, s.sj, s.east);
      if (next < time_s[static_cast<std::size_t>(m)]) {
        time_s[static_cast<std::size_t>(m)] = next;
        previous[static_cast<std::size_t>(m)] = n;
        queue.emplace(next, m);
      }
    }
  }

  std::vector<Point> points{from};
  std::vector<double> limits;
  if (time_s[static_cast<std::size_t>(target)] == HUGE_VAL) {
    // TODO(city-routing): closures never disconnect the arterial grid, so this is unreachable in
    // practice; an L-shaped route at street speed keeps the model total.
    points.push_back(Point{to.x_m, from.y_m});
    limits.push_back(config_.street_speed_mps);
  } else {
    std::vector<int> path;
    for (int n = target; n != -1; n = previous[static_cast<std::size_t>(n)])
      path.push_back(n);
    std::reverse(path.begin(), path.end());
    // From the start point to the first intersection, at street speed.
    limits.push_back(config_.street_speed_mps);
    points.push_back(intersection(path.front() % streets_, path.front() / streets_));
    for (std::size_t k = 1; k < path.size(); ++k) {
      const int a = path[k - 1], b = path[k];
      const int ai = a % streets_, aj = a / streets_, bi = b % streets_, bj = b / streets_;
      const bool east = aj == bj;
      limits.push_back(segment_speed_mps(std::min(ai, bi), std::min(aj, bj), east));
      points.push_back(intersection(bi, bj));
    }
  }
  points.push_back(to);
  limits.push_back(config_.street_speed_mps);
  return Route(std::move(points), std::move(limits));
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

Eigen::Vector2d City::gps_error(RandomStream& stream) const {
  const double z_east = stream.normal(0, 1);
  const double z_north = stream.normal(0, 1);
  // The factor is lower triangular; writing the product out fixes its rounding on every build,
  // whatever path Eigen's vectorisation would take.
  return Eigen::Vector2d(cholesky_(0, 0) * z_east,
                         cholesky_(1, 0) * z_east + cholesky_(1, 1) * z_north);
}

model::Location City::observe(Point truth, Nanos device_time_ns, RandomStream& stream) const {
  const Eigen::Vector2d error = gps_error(stream);
  const Point seen{truth.x_m + error.x(), truth.y_m + error.y()};
  const model::GeoPoint geo = to_geo(seen);
  const double sigma = std::sqrt(covariance_.trace() / 2);
  return model::Location{.lat = geo.lat,
                         .lng = geo.lng,
                         .accuracy_m = kRadius95 * sigma,
                         .device_time_ns = device_time_ns};
}

}  // namespace tracksim::sim

// xoshiro256** (Blackman and Vigna) and distributions from their defining formulas.
#include "sim/kernel/rng.h"

#include <cassert>
#include <cmath>

namespace tracksim::sim {
namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

RandomStream::RandomStream(std::uint64_t run_seed, std::string_view name) {
  std::uint64_t state = run_seed ^ fnv1a(name);
  for (auto& word : s_)
    word = splitmix64(state);
  // xoshiro's state must not be all zero; splitmix64 makes that practically impossible, but the
  // generator would then return zeros forever, so rule it out.
  assert((s_[0] | s_[1] | s_[2] | s_[3]) != 0);
}

std::uint64_t RandomStream::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double RandomStream::exponential(double mean) {
  assert(mean > 0);
  // 1 - u lies in (0, 1], so the logarithm is finite.
  return -mean * std::log(1.0 - next_unit());
}

double RandomStream::normal(double mean, double stddev) {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return mean + stddev * spare_normal_;
  }
  const double u1 = 1.0 - next_unit();  // (0, 1]
  const double u2 = next_unit();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * 3.14159265358979323846 * u2;
  spare_normal_ = radius * std::sin(angle);
  has_spare_normal_ = true;
  return mean + stddev * radius * std::cos(angle);
}

double RandomStream::lognormal(double mu, double sigma) {
  return std::exp(normal(mu, sigma));
}

double RandomStream::lognormal_with_moments(double mean, double stddev) {
  assert(mean > 0);
  assert(stddev >= 0);
  // For X = exp(N(mu, s^2)): E[X] = exp(mu + s^2/2), Var[X] = (exp(s^2) - 1) E[X]^2.
  const double cv2 = (stddev * stddev) / (mean * mean);
  const double sigma2 = std::log1p(cv2);
  const double mu = std::log(mean) - sigma2 / 2;
  return lognormal(mu, std::sqrt(sigma2));
}

}  // namespace tracksim::sim

// Random streams: every source of randomness in a run, derived from the run's seed and a name.
//
// A stream named "driver-7/gps" draws the same numbers for the same seed on every build, library
// and platform: the generator is xoshiro256** seeded through splitmix64, and the distributions are
// written here from their textbook formulas instead of std::*_distribution (whose results differ
// between standard libraries). Streams are independent of each other, so adding a consumer of one
// stream never shifts the numbers another stream sees.
#pragma once

#include <cstdint>
#include <string_view>

#include "model/ports.h"

namespace tracksim::sim {

// 64-bit FNV-1a; stable across builds, used to turn names into seeds and trace lines into digests.
constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr std::uint64_t fnv1a(std::string_view text, std::uint64_t hash = kFnvOffset) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// One step of splitmix64: advances `state` and returns a well-mixed value.
constexpr std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class RandomStream final : public model::RandomSource {
 public:
  RandomStream() : RandomStream(0, "") {}
  RandomStream(std::uint64_t run_seed, std::string_view name);

  std::uint64_t next_u64() override;

  // Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * next_unit(); }
  bool bernoulli(double p) { return next_unit() < p; }
  // Exponential with the given mean (mean > 0).
  double exponential(double mean);
  // Normal by the Box-Muller transform; both values of a pair are used.
  double normal(double mean, double stddev);
  // exp(N(mu, sigma)); see lognormal_from_moments for parameters from a mean and a deviation.
  double lognormal(double mu, double sigma);
  // Lognormal whose own mean and standard deviation are the given ones (mean > 0, stddev >= 0).
  double lognormal_with_moments(double mean, double stddev);

 private:
  std::uint64_t s_[4];
  bool has_spare_normal_ = false;
  double spare_normal_ = 0;
};

}  // namespace tracksim::sim

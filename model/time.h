// Time as the model sees it: a signed count of nanoseconds since an arbitrary epoch.
//
// The model never reads a clock of its own. Every instant comes from the Clock port, so the same
// code runs against simulated time in tracksim and could run against a real clock elsewhere.
// Integer nanoseconds keep arithmetic exact and identical on every build.
#pragma once

#include <cstdint>

namespace tracksim {

using Nanos = std::int64_t;

inline constexpr Nanos kNanosPerMicro = 1'000;
inline constexpr Nanos kNanosPerMilli = 1'000'000;
inline constexpr Nanos kNanosPerSecond = 1'000'000'000;

constexpr Nanos micros(std::int64_t n) {
  return n * kNanosPerMicro;
}
constexpr Nanos millis(std::int64_t n) {
  return n * kNanosPerMilli;
}
constexpr Nanos seconds(std::int64_t n) {
  return n * kNanosPerSecond;
}

// Fractional units are for configuration read from scenario files; results are rounded toward
// zero so that a configured 0.5 ms is exactly 500'000 ns everywhere.
constexpr Nanos millis_f(double n) {
  return static_cast<Nanos>(n * kNanosPerMilli);
}
constexpr Nanos seconds_f(double n) {
  return static_cast<Nanos>(n * kNanosPerSecond);
}

constexpr double to_millis(Nanos t) {
  return static_cast<double>(t) / kNanosPerMilli;
}
constexpr double to_seconds(Nanos t) {
  return static_cast<double>(t) / kNanosPerSecond;
}

}  // namespace tracksim

// Shared helpers of the ports.
#include "model/ports.h"

#include <cassert>
#include <limits>

namespace tracksim::model {

std::int64_t RandomSource::next_in(std::int64_t lo, std::int64_t hi) {
  assert(lo <= hi);
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  if (span == std::numeric_limits<std::uint64_t>::max())
    return static_cast<std::int64_t>(next_u64());

  // Rejection sampling: drop the top partial bucket so every value is equally likely.
  const std::uint64_t range = span + 1;
  const std::uint64_t limit =
      std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % range;
  std::uint64_t x = next_u64();
  while (x >= limit)
    x = next_u64();
  return lo + static_cast<std::int64_t>(x % range);
}

}  // namespace tracksim::model

//! A small hand-built run for report tests: two deliveries, a handful of operations with every
//! outcome, lock leases that are released, replaced and left to expire, a partition, a TTL
//! deletion, and one violated property naming an operation and a commit. Strings that come from
//! "outside" (ids, messages, the scenario's name) are hostile on purpose, to test escaping.
#pragma once

#include <vector>

#include "properties/checkers.h"
#include "sim/scenario.h"
#include "sim/world/world.h"

namespace tracksim::reports::testing {

inline constexpr const char* kHostile = "<script>alert(1)</script> & \"quoted\" 'too'";

struct SampleRun {
  sim::Scenario scenario;
  sim::WorldResult world;
  std::vector<properties::PropertyResult> properties;
};

SampleRun sample_run();

}  // namespace tracksim::reports::testing

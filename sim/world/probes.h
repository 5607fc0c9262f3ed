// Probe counters: how often each named rare path was reached in a run.
//
// Model code and world models call hit("lock.stolen_after_expiry") and the like; a run reports the
// counts, and tests and scenarios can demand that a path was reached at least once. Names are kept
// in a sorted map so reports list them in a stable order.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "model/ports.h"
#include "sim/kernel/simulation.h"

namespace tracksim::sim {

class Probes final : public model::Probes {
 public:
  explicit Probes(Simulation* sim = nullptr) : sim_(sim) {}

  void hit(std::string_view probe) override;
  std::uint64_t count(std::string_view probe) const;
  const std::map<std::string, std::uint64_t, std::less<>>& counts() const { return counts_; }

 private:
  Simulation* sim_;
  std::map<std::string, std::uint64_t, std::less<>> counts_;
};

}  // namespace tracksim::sim

// Probe counters: how often each named rare path was reached in a run.
//
// Model code and world models call hit("lock.stolen_after_expiry") and the like; a run reports the
// counts, and tests and scenarios can demand that a path was reached at least once. Names are kept
// in a sorted map so reports list them in a stable order. A scenario can require probes
// ([properties] require_probes); missing_probes() names those a run did not reach.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "model/ports.h"
#include "sim/kernel/simulation.h"

namespace tracksim::sim {

// A rare path the world's own models count.
struct ProbeInfo {
  std::string_view name;
  std::string_view description;
};
// The storage and network models' probes, in a stable order, for docs and listings. The model's
// own are in model/probe_names.h.
const std::vector<ProbeInfo>& world_probes();

// The names in `required` that `counts` never reached (or reached zero times), in the order
// given: what a scenario's [properties] require_probes demands and the run did not deliver.
std::vector<std::string> missing_probes(
    const std::vector<std::string>& required,
    const std::map<std::string, std::uint64_t, std::less<>>& counts);

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

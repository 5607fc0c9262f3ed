// Counting probe hits, and tracing each one.
#include "sim/world/probes.h"

namespace tracksim::sim {

void Probes::hit(std::string_view probe) {
  auto it = counts_.find(probe);
  if (it == counts_.end()) it = counts_.emplace(std::string(probe), 0).first;
  ++it->second;
  if (sim_ != nullptr) sim_->trace().event(sim_->now(), "probe").field("name", probe);
}

std::uint64_t Probes::count(std::string_view probe) const {
  auto it = counts_.find(probe);
  return it == counts_.end() ? 0 : it->second;
}

}  // namespace tracksim::sim

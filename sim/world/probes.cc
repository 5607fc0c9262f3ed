// Counting probe hits, and tracing each one.
#include "sim/world/probes.h"

namespace tracksim::sim {

void Probes::hit(std::string_view probe) {
  auto it = counts_.find(probe);
  if (it == counts_.end()) it = counts_.emplace(std::string(probe), 0).first;
  ++it->second;
  if (sim_ != nullptr) sim_->trace().event(sim_->now(), "probe").field("name", probe);
}

const std::vector<ProbeInfo>& world_probes() {
  static const std::vector<ProbeInfo> kProbes = {
      {"storage.pool_wait_timeout", "a request gave up waiting for a pool connection"},
      {"storage.failover_rejected", "a request reached the database during a failover window"},
      {"storage.server_error", "a request failed with an injected server error"},
      {"storage.applied_reply_lost", "a write was applied but its reply was lost"},
      {"storage.applied_after_client_timeout",
       "a stalled write was applied after its caller had given up waiting"},
      {"storage.parallel_save_rejected", "save() met the instance's parallel-save guard"},
      {"storage.validation_left_guard", "a failed validation left the parallel-save guard set"},
      {"storage.lock_taken_over_after_expiry",
       "a write took an operationLock whose lease had ended but was still stored"},
      {"storage.ttl_deleted_document", "the TTL monitor deleted a whole document"},
      {"storage.upsert_duplicate_document",
       "two racing upserts inserted two documents for one delivery (no unique index)"},
      {"storage.upsert_duplicate_key", "a racing upsert met the unique index: DuplicateKey"},
      {"storage.upsert_duplicate_key_retried",
       "the server retried an upsert that met DuplicateKey as an update"},
  };
  return kProbes;
}

std::vector<std::string> missing_probes(
    const std::vector<std::string>& required,
    const std::map<std::string, std::uint64_t, std::less<>>& counts) {
  std::vector<std::string> missing;
  for (const std::string& name : required) {
    auto it = counts.find(name);
    if (it == counts.end() || it->second == 0) missing.push_back(name);
  }
  return missing;
}

std::uint64_t Probes::count(std::string_view probe) const {
  auto it = counts_.find(probe);
  return it == counts_.end() ? 0 : it->second;
}

}  // namespace tracksim::sim

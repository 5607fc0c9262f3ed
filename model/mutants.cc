// The catalogue of planted bugs and the mapping from names to flags.
#include "model/mutants.h"

#include <string>

namespace tracksim::model {
namespace {

// Keep in the order of PlantedBugs' fields; each entry's flag is set in flag_for() below.
const std::vector<MutantInfo> kCatalogue = {
    {"save_without_version_check",
     "commit filters on _id alone, without the version check or the lock filter (a plain save)",
     "no lost update; a holder whose lease expired never commits"},
    {"retry_without_reread",
     "a retry writes the copy computed from the first read, with only the version refreshed",
     "no lost update: an acknowledged change is in the final state or superseded"},
    {"lock_not_released_on_error",
     "error and no-op paths leave the operationLock set until its lease ends",
     "liveness (operations complete once faults stop); with the seed's TTL index on "
     "operationLock, no tracking document disappears"},
    {"no_jitter",
     "retries back off exactly base * 2^attempt, so contending writers retry in lockstep",
     "liveness under contention (retries exhausted; lock-timeout and retry rates)"},
    {"retry_not_idempotent_after_timeout",
     "after a commit timeout the retry skips the operation-id check and applies again",
     "each operation id is applied at most once"},
    {"auto_transition_skips_validation",
     "a position inside a geofence sets at_pickup/at_dropoff whatever the current status",
     "only valid status transitions; terminal states stay terminal"},
    {"accept_stale_location", "a position older by device time than the stored one replaces it",
     "the stored location never moves back in device time"},
    {"lock_ignores_lease",
     "the operationLock is taken without checking that the current lease has ended",
     "never two live lock holders"},
};

bool* flag_for(PlantedBugs& bugs, std::string_view name) {
  if (name == "save_without_version_check") return &bugs.save_without_version_check;
  if (name == "retry_without_reread") return &bugs.retry_without_reread;
  if (name == "lock_not_released_on_error") return &bugs.lock_not_released_on_error;
  if (name == "no_jitter") return &bugs.no_jitter;
  if (name == "retry_not_idempotent_after_timeout") {
    return &bugs.retry_not_idempotent_after_timeout;
  }
  if (name == "auto_transition_skips_validation") return &bugs.auto_transition_skips_validation;
  if (name == "accept_stale_location") return &bugs.accept_stale_location;
  if (name == "lock_ignores_lease") return &bugs.lock_ignores_lease;
  return nullptr;
}

}  // namespace

bool PlantedBugs::any() const {
  return save_without_version_check || retry_without_reread || lock_not_released_on_error ||
         no_jitter || retry_not_idempotent_after_timeout || auto_transition_skips_validation ||
         accept_stale_location || lock_ignores_lease;
}

const std::vector<MutantInfo>& mutant_catalogue() {
  return kCatalogue;
}

Result<PlantedBugs> planted_bugs_from_names(const std::vector<std::string>& names) {
  PlantedBugs bugs;
  for (const auto& name : names) {
    bool* flag = flag_for(bugs, name);
    if (flag == nullptr) {
      return Error{ErrorClass::kValidationError, "unknown mutant \"" + name + "\""};
    }
    *flag = true;
  }
  return bugs;
}

}  // namespace tracksim::model

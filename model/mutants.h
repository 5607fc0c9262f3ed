// Planted bugs ("mutants"): deliberate, named defects in the fixed backend, switched on at run
// time.
//
// They exist to measure the harness: every mutant should be caught by at least one property of
// the recorded history, and the catalogue names the invariant each one is expected to break. A
// mutant changes one decision in the fixed code and nothing else, so a failure found under it is
// attributable. The fixed backend with no mutants selected must pass every property.
//
// Selection is by name in BackendConfig::mutants. Unknown names are an error: make_backend
// returns nullptr for them, and validate_backend_config (backend.h) says which name was wrong.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/errors.h"

namespace tracksim::model {

// One planted bug as a flag. Everything false is the fixed code.
struct PlantedBugs {
  // The commit filters on _id alone: no version check, and the lock filter goes with it, as a
  // plain save() would.
  bool save_without_version_check = false;
  // A retry re-acquires the lock but writes the copy computed from the first read, with only the
  // version number refreshed.
  bool retry_without_reread = false;
  // Error and no-op paths return without releasing the operationLock; it lingers until its lease
  // ends (and, with the seed's TTL index on operationLock, the document itself goes).
  bool lock_not_released_on_error = false;
  // Backoff ignores the configured jitter and sleeps exactly base * 2^attempt (capped).
  bool no_jitter = false;
  // After a commit whose reply was lost, the retry does not check the operation id again and
  // applies the operation a second time.
  bool retry_not_idempotent_after_timeout = false;
  // A position inside a geofence sets at_pickup / at_dropoff whatever the current status.
  bool auto_transition_skips_validation = false;
  // A position older by device time than the stored one replaces it.
  bool accept_stale_location = false;
  // The lock is taken whatever its state: a live lease held by another writer is overridden.
  bool lock_ignores_lease = false;

  bool any() const;
};

struct MutantInfo {
  std::string_view name;
  std::string_view description;
  // The property of the history this bug should break.
  std::string_view breaks_invariant;
};

// Every planted bug, in a stable order.
const std::vector<MutantInfo>& mutant_catalogue();

// The flags for a list of names; kValidationError naming the first unknown one.
Result<PlantedBugs> planted_bugs_from_names(const std::vector<std::string>& names);

}  // namespace tracksim::model

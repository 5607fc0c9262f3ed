// The names of the rare paths the model counts through the Probes port.
//
// Names are stable, dotted and lower-case: "area.what_happened". A scenario or test can demand
// that a run reached one of them; a report lists how often each was hit. The model hits a probe
// only where the path is taken, never speculatively, and a probe never changes behaviour: a run
// with probes attached makes exactly the same store calls as one without.
#pragma once

#include <array>
#include <string_view>

#include "model/ports.h"

namespace tracksim::model::probe {

// Lock acquisition found the operationLock held by someone else with a live lease.
inline constexpr std::string_view kLockBusy = "lock.busy";
// The lock request got no reply in time: the lock may or may not be ours now.
inline constexpr std::string_view kLockAcquireOutcomeUnknown = "lock.acquire_outcome_unknown";
// At commit time this handler's own lease had already ended.
inline constexpr std::string_view kLockExpiredBeforeCommit = "lock.expired_before_commit";
// After this handler's lease ended, another writer took the lock and committed over it.
inline constexpr std::string_view kLockStolenAfterExpiry = "lock.stolen_after_expiry";
// A best-effort release of the lock on an error path failed or timed out.
inline constexpr std::string_view kLockReleaseFailed = "lock.release_failed";
// The version-checked commit matched nothing: the version moved or the lock was lost.
inline constexpr std::string_view kCommitVersionConflict = "commit.version_conflict";
// The commit got no reply in time: it may or may not have been applied.
inline constexpr std::string_view kCommitOutcomeUnknown = "commit.outcome_unknown";
// Every attempt of an atomic update failed.
inline constexpr std::string_view kRetryExhausted = "retry.exhausted";
// An operation id was found already applied; the request succeeded without applying again.
inline constexpr std::string_view kIdempotentDuplicate = "idempotent.duplicate_operation";
// A position older (by device time) than the stored one was dropped.
inline constexpr std::string_view kLocationStaleDropped = "location.stale_dropped";
// A position inside a geofence moved the status on by itself.
inline constexpr std::string_view kTransitionAutomatic = "transition.automatic";
// A requested status change was rejected as InvalidTransition.
inline constexpr std::string_view kTransitionInvalid = "transition.invalid";
// The legacy backend's save of its shared instance met ParallelSaveError.
inline constexpr std::string_view kLegacyParallelSave = "legacy.parallel_save_error";
// The legacy pre-save middleware changed the status and started another save.
inline constexpr std::string_view kLegacyMiddlewareSave = "legacy.middleware_status_save";

// Every name above, for reports that list probes that were never hit.
inline constexpr std::array<std::string_view, 14> kAll = {
    kLockBusy,
    kLockAcquireOutcomeUnknown,
    kLockExpiredBeforeCommit,
    kLockStolenAfterExpiry,
    kLockReleaseFailed,
    kCommitVersionConflict,
    kCommitOutcomeUnknown,
    kRetryExhausted,
    kIdempotentDuplicate,
    kLocationStaleDropped,
    kTransitionAutomatic,
    kTransitionInvalid,
    kLegacyParallelSave,
    kLegacyMiddlewareSave,
};

// Hits `name` when probes are attached.
inline void hit(Probes* probes, std::string_view name) {
  if (probes != nullptr) probes->hit(name);
}

}  // namespace tracksim::model::probe

// The atomic update's attempt loop, its backoff, and its lock handling.
#include "model/atomic_update.h"

#include <algorithm>
#include <utility>

#include "model/check.h"
#include "model/probe_names.h"
#include "model/recovery.h"

namespace tracksim::model {
namespace {

// The document as the store holds it once our lock is released.
DeliveryTracking without_lock(DeliveryTracking doc) {
  doc.operation_lock_ns.reset();
  doc.lock_owner.clear();
  return doc;
}

}  // namespace

Nanos exponential_delay_ns(Nanos base_ns, Nanos cap_ns, int retry) {
  TRACKSIM_CHECK(base_ns >= 0);
  TRACKSIM_CHECK(cap_ns >= 0);
  TRACKSIM_CHECK(retry >= 0);
  Nanos d = std::min(base_ns, cap_ns);
  for (int i = 0; i < retry && d < cap_ns; ++i) {
    // Doubling past the cap is the only way to overflow; stop at the cap instead.
    d = d > cap_ns / 2 ? cap_ns : d * 2;
  }
  return std::min(d, cap_ns);
}

Backoff::Backoff(Nanos base_ns, Nanos cap_ns, Jitter jitter, RandomSource& random)
    : base_ns_(base_ns), cap_ns_(cap_ns), jitter_(jitter), random_(random), previous_ns_(base_ns) {
  TRACKSIM_CHECK(base_ns >= 0);
  TRACKSIM_CHECK(cap_ns >= base_ns);
}

Nanos jittered_delay_ns(Jitter jitter, Nanos ceiling_ns, Nanos base_ns, Nanos cap_ns,
                        Nanos previous_ns, RandomSource& random) {
  TRACKSIM_CHECK(ceiling_ns >= 0);
  TRACKSIM_CHECK(ceiling_ns <= cap_ns);
  switch (jitter) {
    case Jitter::kNone:
      return ceiling_ns;
    case Jitter::kFull:
      return random.next_in(0, ceiling_ns);
    case Jitter::kEqual:
      return ceiling_ns / 2 + random.next_in(0, ceiling_ns - ceiling_ns / 2);
    case Jitter::kDecorrelated: {
      // Grows from the previous delay rather than from the retry count, so contending writers
      // drift apart even when they started their retries together.
      const Nanos upper = previous_ns > cap_ns / 3 ? cap_ns : previous_ns * 3;
      return std::min(cap_ns, random.next_in(base_ns, std::max(base_ns, upper)));
    }
  }
  TRACKSIM_CHECK(false);
  return ceiling_ns;
}

Nanos Backoff::delay_ns(int retry) {
  const Nanos d = exponential_delay_ns(base_ns_, cap_ns_, retry);
  previous_ns_ = jittered_delay_ns(jitter_, d, base_ns_, cap_ns_, previous_ns_, random_);
  return previous_ns_;
}

bool retried_by_atomic_update(ErrorClass c) {
  return is_transient(c);
}

// What one run() carries from one attempt to the next.
struct AtomicUpdater::AttemptState {
  // Set after a commit whose reply was lost, for the planted bug that then skips the id check.
  bool commit_outcome_unknown = false;
  // The first attempt's written copy, for the planted bug that retries without re-reading.
  std::optional<DeliveryTracking> first_copy;
  // The version we read when our lease ended before our commit: a later read that finds a newer
  // version means another writer took the expired lock and committed.
  std::optional<std::int64_t> version_when_lease_lost;
  // The last release failed, so the lock may still be ours: the next attempt releases it first
  // rather than find itself blocked by its own lease.
  bool release_pending = false;
};

AtomicUpdater::AtomicUpdater(const AtomicUpdateConfig& config, const BackendPorts& ports,
                             const PlantedBugs& bugs)
    : config_(config), ports_(ports), bugs_(bugs) {
  TRACKSIM_CHECK(ports_.clock != nullptr);
  TRACKSIM_CHECK(ports_.sleeper != nullptr);
  TRACKSIM_CHECK(ports_.random != nullptr);
  TRACKSIM_CHECK(ports_.store != nullptr);
  TRACKSIM_CHECK(config_.retry_max_attempts >= 1);
  TRACKSIM_CHECK(config_.lock_timeout_ns > 0);
}

AtomicUpdateOutcome AtomicUpdater::run(const std::string& delivery_id,
                                       const std::string& operation_id,
                                       const UpdateFunction& update) {
  TRACKSIM_CHECK(!operation_id.empty());
  const Jitter jitter = bugs_.no_jitter ? Jitter::kNone : config_.jitter;
  Backoff backoff(config_.backoff_base_ns, config_.backoff_cap_ns, jitter, *ports_.random);
  AttemptState state;
  Error last_error;

  for (int attempt_index = 0; attempt_index < config_.retry_max_attempts; ++attempt_index) {
    if (attempt_index > 0) ports_.sleeper->sleep_for(backoff.delay_ns(attempt_index - 1));

    Error retry_error;
    auto done = attempt(delivery_id, operation_id, update, state, retry_error);
    if (done.has_value()) return AtomicUpdateOutcome{std::move(*done), attempt_index + 1};
    TRACKSIM_CHECK(retry_error.error_class != ErrorClass::kNone);
    last_error = std::move(retry_error);
  }

  hit(probe::kRetryExhausted);
  last_error.message += " (after " + std::to_string(config_.retry_max_attempts) + " attempts)";
  return AtomicUpdateOutcome{std::move(last_error), config_.retry_max_attempts};
}

std::optional<Result<AtomicUpdateResult>> AtomicUpdater::attempt(const std::string& delivery_id,
                                                                 const std::string& operation_id,
                                                                 const UpdateFunction& update,
                                                                 AttemptState& state,
                                                                 Error& retry_error) {
  // Every way out below either finishes the update or names a retryable error.
  auto fail = [&](Error error) -> std::optional<Result<AtomicUpdateResult>> {
    if (retried_by_atomic_update(error.error_class)) {
      retry_error = std::move(error);
      return std::nullopt;
    }
    return Result<AtomicUpdateResult>(std::move(error));
  };

  if (state.release_pending) release_lock(delivery_id, operation_id, state);

  // 1. Acquire the lock and read the fresh document in one atomic write.
  const Nanos acquire_now_ns = ports_.clock->now();
  const Nanos lock_until_ns = acquire_now_ns + config_.lock_timeout_ns;
  Filter acquire_filter{.delivery_id = delivery_id, .version = std::nullopt, .lock = {}};
  acquire_filter.lock.kind =
      bugs_.lock_ignores_lease ? LockCondition::Kind::kAny : LockCondition::Kind::kFreeOrExpired;
  acquire_filter.lock.now_ns = acquire_now_ns;
  Update take_lock;
  take_lock.lock_change = Update::LockChange::kSet;
  take_lock.lock_until_ns = lock_until_ns;
  take_lock.lock_owner = operation_id;
  take_lock.operation_id = operation_id;

  auto acquired = ports_.store->find_one_and_update(acquire_filter, take_lock);
  if (!acquired.ok()) {
    if (acquired.error_class() == ErrorClass::kNetworkTimeout) {
      // The lock may be ours now; give it back rather than leave it for the lease to end.
      hit(probe::kLockAcquireOutcomeUnknown);
      release_lock(delivery_id, operation_id, state);
    }
    return fail(acquired.error());
  }

  if (!acquired.value().has_value()) {
    // Nothing matched: the document is gone, or someone else holds a live lease.
    auto current = ports_.store->find_by_id(delivery_id);
    if (!current.ok()) return fail(current.error());
    if (!current.value().has_value()) {
      return fail(
          Error{ErrorClass::kDocumentNotFound, "DeliveryTracking " + delivery_id + " not found"});
    }
    hit(probe::kLockBusy);
    return fail(Error{ErrorClass::kLockTimeout, "operationLock of " + delivery_id + " is held by " +
                                                    current.value()->lock_owner});
  }

  const DeliveryTracking fresh = std::move(*acquired.value());
  TRACKSIM_CHECK(fresh.lock_owner == operation_id);
  TRACKSIM_CHECK(fresh.operation_lock_ns == lock_until_ns);
  if (state.version_when_lease_lost.has_value() && fresh.version > *state.version_when_lease_lost) {
    hit(probe::kLockStolenAfterExpiry);
  }
  state.version_when_lease_lost.reset();

  // 2. Apply the update to a copy, unless this operation is already in the document.
  const bool check_operation_id =
      !(bugs_.retry_not_idempotent_after_timeout && state.commit_outcome_unknown);
  if (check_operation_id && has_applied(fresh, operation_id)) {
    hit(probe::kIdempotentDuplicate);
    release_lock(delivery_id, operation_id, state);
    return Result<AtomicUpdateResult>(
        AtomicUpdateResult{.doc = without_lock(fresh), .written = false, .duplicate = true});
  }

  DeliveryTracking copy = fresh;
  auto decision = update(copy);
  if (!decision.ok()) {
    release_lock(delivery_id, operation_id, state);
    return fail(decision.error());
  }
  if (decision.value() == UpdateDecision::kNoChange) {
    release_lock(delivery_id, operation_id, state);
    return Result<AtomicUpdateResult>(
        AtomicUpdateResult{.doc = without_lock(fresh), .written = false, .duplicate = false});
  }

  const Nanos commit_now_ns = ports_.clock->now();
  record_applied(copy, operation_id);
  copy.updated_ns = commit_now_ns;
  if (bugs_.retry_without_reread) {
    if (state.first_copy.has_value()) {
      // The planted bug: yesterday's copy under today's version number.
      const std::int64_t version = copy.version;
      copy = *state.first_copy;
      copy.version = version;
    } else {
      state.first_copy = copy;
    }
  }

  // 3. Commit with the version check; the same write releases the lock.
  Filter commit_filter{.delivery_id = delivery_id, .version = fresh.version, .lock = {}};
  commit_filter.lock.kind = LockCondition::Kind::kHeldBy;
  commit_filter.lock.now_ns = commit_now_ns;
  commit_filter.lock.owner = operation_id;
  if (bugs_.save_without_version_check) {
    commit_filter.version.reset();
    commit_filter.lock = LockCondition{};
  }
  Update commit;
  commit.set_fields = copy;
  commit.lock_change = Update::LockChange::kClear;
  commit.increment_version = true;
  commit.operation_id = operation_id;

  auto committed = ports_.store->update_one(commit_filter, commit);
  const bool commit_matched = committed.ok() && committed.value() == 1;
  if (!commit_matched && ports_.clock->now() >= lock_until_ns) {
    // Our lease ended before the commit was answered; another writer may have taken the lock.
    hit(probe::kLockExpiredBeforeCommit);
    state.version_when_lease_lost = fresh.version;
  }
  if (!committed.ok()) {
    if (committed.error_class() == ErrorClass::kNetworkTimeout) {
      hit(probe::kCommitOutcomeUnknown);
      state.commit_outcome_unknown = true;
    }
    release_lock(delivery_id, operation_id, state);
    return fail(committed.error());
  }
  if (committed.value() == 0) {
    // Usually the lock is no longer ours; if it still is, a write that bypassed the lock moved
    // the version, and our retry must not wait for our own lease to end.
    hit(probe::kCommitVersionConflict);
    release_lock(delivery_id, operation_id, state);
    return fail(Error{ErrorClass::kVersionError, "DeliveryTracking " + delivery_id +
                                                     " changed since version " +
                                                     std::to_string(fresh.version) + " was read"});
  }
  TRACKSIM_CHECK(committed.value() == 1);

  DeliveryTracking stored = without_lock(std::move(copy));
  stored.version = fresh.version + 1;
  return Result<AtomicUpdateResult>(
      AtomicUpdateResult{.doc = std::move(stored), .written = true, .duplicate = false});
}

void AtomicUpdater::release_lock(const std::string& delivery_id, const std::string& operation_id,
                                 AttemptState& state) {
  if (bugs_.lock_not_released_on_error) return;

  Filter mine{.delivery_id = delivery_id, .version = std::nullopt, .lock = {}};
  mine.lock.kind = LockCondition::Kind::kHeldBy;
  mine.lock.now_ns = ports_.clock->now();
  mine.lock.owner = operation_id;
  Update clear;
  clear.lock_change = Update::LockChange::kClear;
  clear.operation_id = operation_id;

  // Matching nothing is fine: the lease ended, or the lock was never taken.
  auto released = ports_.store->update_one(mine, clear);
  state.release_pending = !released.ok();
  if (state.release_pending) hit(probe::kLockReleaseFailed);
}

void AtomicUpdater::hit(std::string_view probe_name) {
  probe::hit(ports_.probes, probe_name);
}

}  // namespace tracksim::model

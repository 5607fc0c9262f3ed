// The atomic update: the heart of the fix. One read-modify-write of a DeliveryTracking document
// under an operation lock, committed with a version check, retried with exponential backoff.
//
// An attempt is, when nothing goes wrong, two store calls:
//   1. acquire: findOneAndUpdate({_id, operationLock free or expired},
//                                {$set: operationLock = now + lock_timeout, owner = operation id})
//      which returns the fresh document with our lease on it;
//   2. apply the caller's update function to a copy of that fresh document (no store call);
//   3. commit: updateOne({_id, version: v, operationLock held by us and live},
//                        {$set: the copy, $unset: operationLock, $inc: {version: 1}})
//      which raises the version and releases the lock in the same atomic write.
// When the acquire matches nothing, one findById tells a missing document (DocumentNotFound,
// final) from a busy lock (LockTimeout, retried). A commit that matches nothing (the version
// moved, or our lease ended and someone else took the lock) is a VersionError, retried. Transient
// store faults are retried too, up to retry_max_attempts attempts in all, sleeping
// base * 2^retry (capped, jittered) through the Sleeper between attempts. Every path that leaves
// an attempt without a successful commit releases the lock with updateOne({_id, held by us},
// {$unset: operationLock}); a failed release is not an error of the operation (the lease ends by
// itself) but is retried before the next acquisition, so a retry never waits on its own lease.
//
// Idempotency: the operation id is the lock owner and is recorded in the document with the
// commit. An attempt that finds its operation id already applied (because an earlier attempt's
// commit reply was lost, or the client retried) returns success without applying it again.
//
// Lease checks use the caller's clock when the request is sent (see LockCondition): a lock reply
// that arrives after its lease ended makes the commit match nothing, but a commit request that is
// itself slow still lands if nobody has taken the lock meanwhile. That is safe: as soon as anyone
// else holds the lock, the owner and version checks reject the late commit.
//
// Left out: the update function cannot perform I/O of its own, and the lease is never renewed
// (the update function is local and fast).
// TODO(lock-owner): the owner is the bare operation id, as the seed has it, so two server
// handlers of one operation (a client retry while the first is in flight) share a lock identity;
// the version check keeps them from applying it twice, but a checker of lock holders cannot tell
// them apart. A per-handler suffix would, at the cost of parsing owners in histories.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "model/backend.h"
#include "model/delivery_tracking.h"
#include "model/errors.h"
#include "model/mutants.h"
#include "model/ports.h"

namespace tracksim::model {

// min(cap, base * 2^retry) without overflow; retry 0 is the delay before the second attempt.
Nanos exponential_delay_ns(Nanos base_ns, Nanos cap_ns, int retry);

// One jittered delay, given the un-jittered `ceiling_ns` for this retry and, for decorrelated
// jitter, the previous delay (base for the first). See Backoff for the strategies.
Nanos jittered_delay_ns(Jitter jitter, Nanos ceiling_ns, Nanos base_ns, Nanos cap_ns,
                        Nanos previous_ns, RandomSource& random);

// The delays between attempts, one strategy per Jitter value:
//   kNone:         d = min(cap, base * 2^retry)
//   kFull:         uniform in [0, d]
//   kEqual:        d/2 + uniform in [0, d - d/2]
//   kDecorrelated: min(cap, uniform in [base, 3 * previous]), previous starting at base
// All randomness comes from the RandomSource; uniform draws are inclusive integer nanoseconds.
class Backoff {
 public:
  Backoff(Nanos base_ns, Nanos cap_ns, Jitter jitter, RandomSource& random);
  Nanos delay_ns(int retry);

 private:
  Nanos base_ns_;
  Nanos cap_ns_;
  Jitter jitter_;
  RandomSource& random_;
  Nanos previous_ns_;
};

// Whether the atomic update retries a failed attempt of this class: exactly the transient
// classes of recovery.h. Conflicts (VersionError, LockTimeout) and transient faults (ServerError,
// NetworkTimeout, PoolTimeout) are retried; verdicts about the request itself
// (InvalidTransition, ValidationError, DocumentNotFound, DuplicateKey) are not, since a retry
// would meet them again.
bool retried_by_atomic_update(ErrorClass c);

// What an update function did to the copy it was given.
enum class UpdateDecision : unsigned char {
  kWrite,     // commit the copy
  kNoChange,  // nothing to write (e.g. every position was stale); release and succeed
};

// Called once per attempt with a fresh copy of the stored document; it must derive everything
// from that copy, since an attempt's copy is thrown away on conflict. An error aborts the update
// without retrying.
using UpdateFunction = std::function<Result<UpdateDecision>(DeliveryTracking& copy)>;

struct AtomicUpdateResult {
  // The document as committed, or as read (lock fields cleared) when nothing was written.
  DeliveryTracking doc;
  bool written = false;
  // The operation id had already been applied; nothing was applied again.
  bool duplicate = false;
};

struct AtomicUpdateOutcome {
  Result<AtomicUpdateResult> result;
  // Attempts made, 1 when the first succeeded.
  int attempts = 0;
};

class AtomicUpdater {
 public:
  // REQUIRES: ports.clock, ports.sleeper, ports.random and ports.store are set; config has at
  // least one attempt. The ports must outlive the updater.
  AtomicUpdater(const AtomicUpdateConfig& config, const BackendPorts& ports,
                const PlantedBugs& bugs);

  // REQUIRES: operation_id is not empty (it is the lock owner).
  AtomicUpdateOutcome run(const std::string& delivery_id, const std::string& operation_id,
                          const UpdateFunction& update);

 private:
  struct AttemptState;
  // nullopt when the attempt should be retried; `retry_error` then holds why.
  std::optional<Result<AtomicUpdateResult>> attempt(const std::string& delivery_id,
                                                    const std::string& operation_id,
                                                    const UpdateFunction& update,
                                                    AttemptState& state, Error& retry_error);
  void release_lock(const std::string& delivery_id, const std::string& operation_id,
                    AttemptState& state);
  void hit(std::string_view probe_name);

  AtomicUpdateConfig config_;
  BackendPorts ports_;
  PlantedBugs bugs_;
};

}  // namespace tracksim::model

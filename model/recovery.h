// Error classification and recovery: for each error class, what a caller should do next.
//
// The seed's table, one strategy per class:
//   ParallelSaveError  exponential backoff with jitter
//   VersionError       refresh the data, then retry
//   NetworkTimeout     progressive (linearly growing) delay, waiting for connectivity first; kept
//                      for later when attempts run out, since the request may still be needed
//   InvalidTransition  validate against the server's state and correct: done if the server is
//                      already there, retry if the step is still allowed, adopt the server's
//                      state otherwise
//   ServerError        standard exponential backoff, no jitter
// and for the classes the design adds: LockTimeout and PoolTimeout back off like contention and
// overload; DocumentNotFound, DuplicateKey and ValidationError are final (retrying meets them
// again).
//
// The classifier reads the outcome of one call as the client sees it: no reply is a
// NetworkTimeout whatever happened on the server. The policies are data, so a scenario can
// change them; RecoveryTracker applies one policy table to one operation's successive failures.
// Randomness comes only from the RandomSource passed in.
//
// Left out: how to wait for connectivity, how to refresh, and where to persist are the caller's
// (the client services own the device's network state and storage).
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "model/api.h"
#include "model/atomic_update.h"
#include "model/backend.h"
#include "model/errors.h"

namespace tracksim::model {

// The class of one call's outcome: kNone for success, kNetworkTimeout when no reply came, the
// reply's class otherwise (a failed reply without a class counts as a ServerError).
ErrorClass classify(const std::optional<ApiResponse>& reply);

// Whether an error of this class may go away by itself, so that the same request, retried
// unchanged, can succeed. The atomic update retries exactly these.
bool is_transient(ErrorClass c);

enum class RecoveryStrategy : unsigned char {
  kNone,                // success: nothing to recover
  kBackoffWithJitter,   // ParallelSaveError, LockTimeout
  kRefreshAndRetry,     // VersionError
  kNetworkAwareWait,    // NetworkTimeout
  kValidateAndCorrect,  // InvalidTransition
  kStandardBackoff,     // ServerError, PoolTimeout
  kGiveUp,              // DocumentNotFound, DuplicateKey, ValidationError
};
std::string_view to_string(RecoveryStrategy s);

enum class DelayGrowth : unsigned char {
  kExponential,  // base * 2^retry
  kLinear,       // base * (retry + 1), the seed's "progressive delay"
};

struct RecoveryPolicy {
  RecoveryStrategy strategy = RecoveryStrategy::kGiveUp;
  // Retries after the first failure; the seed's "maximum 3 retries".
  int max_retries = 0;
  DelayGrowth growth = DelayGrowth::kExponential;
  Nanos base_delay_ns = 0;
  Nanos cap_delay_ns = 0;
  Jitter jitter = Jitter::kNone;
  // Re-read the server's state before retrying (and, for InvalidTransition, decide from it).
  bool refresh_before_retry = false;
  // Do not retry while the device is offline; wait until it is back.
  bool wait_for_connectivity = false;
  // When retries run out, keep the request for a later attempt instead of dropping it.
  bool persist_when_exhausted = false;
};

// One policy per error class, indexed by ErrorClass.
class RecoveryPolicies {
 public:
  // The seed's table, as listed at the top of this file.
  static RecoveryPolicies seed_defaults();

  const RecoveryPolicy& for_class(ErrorClass c) const;
  void set(ErrorClass c, const RecoveryPolicy& policy);

 private:
  std::array<RecoveryPolicy, kErrorClassCount> policies_{};
};

// What to do after a failure.
struct RecoveryStep {
  enum class Action : unsigned char {
    kDone,             // the outcome was a success
    kRetry,            // retry after delay_ns (refreshing or waiting first, as flagged)
    kCorrect,          // InvalidTransition: refresh and decide with correct_transition()
    kPersistForLater,  // out of retries, but keep the request
    kGiveUp,           // report the failure
  };
  Action action = Action::kGiveUp;
  Nanos delay_ns = 0;
  bool refresh_first = false;
  bool wait_for_connectivity = false;
};

// Applies a policy table to the successive failures of one operation.
class RecoveryTracker {
 public:
  // The policies and the random source must outlive the tracker.
  RecoveryTracker(const RecoveryPolicies& policies, RandomSource& random);

  // The next step after an outcome of class `c`. Retries are counted across classes: an
  // operation gets at most the current class's max_retries retries in all.
  RecoveryStep on_outcome(ErrorClass c);
  int retries() const { return retries_; }
  void reset();

 private:
  const RecoveryPolicies& policies_;
  RandomSource& random_;
  int retries_ = 0;
  // Decorrelated jitter grows from the previous delay.
  Nanos previous_delay_ns_ = 0;
};

// The delay before retry number `retry` (0-based) under `policy`.
Nanos recovery_delay_ns(const RecoveryPolicy& policy, int retry, Nanos previous_delay_ns,
                        RandomSource& random);

// The correction for a rejected status change, given the server's current status.
enum class TransitionCorrection : unsigned char {
  kAlreadyApplied,    // the server is already at the requested status: treat as success
  kRetry,             // the step is allowed from the server's status: send it again
  kAdoptServerState,  // the server has moved past or elsewhere: drop the request, take its state
};
std::string_view to_string(TransitionCorrection c);
TransitionCorrection correct_transition(DeliveryStatus requested, DeliveryStatus server_status);

}  // namespace tracksim::model

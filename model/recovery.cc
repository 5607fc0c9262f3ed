// The seed's recovery table and the arithmetic of its delays.
#include "model/recovery.h"

#include <algorithm>

#include "model/check.h"
#include "model/status_machine.h"

namespace tracksim::model {

ErrorClass classify(const std::optional<ApiResponse>& reply) {
  if (!reply.has_value()) return ErrorClass::kNetworkTimeout;
  if (reply->success) return ErrorClass::kNone;
  if (reply->error_class == ErrorClass::kNone) return ErrorClass::kServerError;
  return reply->error_class;
}

bool is_transient(ErrorClass c) {
  switch (c) {
    case ErrorClass::kParallelSaveError:
    case ErrorClass::kVersionError:
    case ErrorClass::kNetworkTimeout:
    case ErrorClass::kServerError:
    case ErrorClass::kLockTimeout:
    case ErrorClass::kPoolTimeout:
      return true;
    case ErrorClass::kNone:
    case ErrorClass::kInvalidTransition:
    case ErrorClass::kDocumentNotFound:
    case ErrorClass::kDuplicateKey:
    case ErrorClass::kValidationError:
      return false;
  }
  return false;
}

std::string_view to_string(RecoveryStrategy s) {
  switch (s) {
    case RecoveryStrategy::kNone:
      return "none";
    case RecoveryStrategy::kBackoffWithJitter:
      return "backoff_with_jitter";
    case RecoveryStrategy::kRefreshAndRetry:
      return "refresh_and_retry";
    case RecoveryStrategy::kNetworkAwareWait:
      return "network_aware_wait";
    case RecoveryStrategy::kValidateAndCorrect:
      return "validate_and_correct";
    case RecoveryStrategy::kStandardBackoff:
      return "standard_backoff";
    case RecoveryStrategy::kGiveUp:
      return "give_up";
  }
  return "?";
}

RecoveryPolicies RecoveryPolicies::seed_defaults() {
  RecoveryPolicies p;
  p.set(ErrorClass::kNone, RecoveryPolicy{.strategy = RecoveryStrategy::kNone});

  const RecoveryPolicy contention{.strategy = RecoveryStrategy::kBackoffWithJitter,
                                  .max_retries = 3,
                                  .growth = DelayGrowth::kExponential,
                                  .base_delay_ns = millis(1'000),
                                  .cap_delay_ns = seconds(30),
                                  .jitter = Jitter::kFull};
  p.set(ErrorClass::kParallelSaveError, contention);
  p.set(ErrorClass::kLockTimeout, contention);

  p.set(ErrorClass::kVersionError, RecoveryPolicy{.strategy = RecoveryStrategy::kRefreshAndRetry,
                                                  .max_retries = 3,
                                                  .growth = DelayGrowth::kExponential,
                                                  .base_delay_ns = millis(100),
                                                  .cap_delay_ns = seconds(5),
                                                  .jitter = Jitter::kEqual,
                                                  .refresh_before_retry = true});

  p.set(ErrorClass::kNetworkTimeout, RecoveryPolicy{.strategy = RecoveryStrategy::kNetworkAwareWait,
                                                    .max_retries = 5,
                                                    .growth = DelayGrowth::kLinear,
                                                    .base_delay_ns = seconds(2),
                                                    .cap_delay_ns = seconds(30),
                                                    .jitter = Jitter::kNone,
                                                    .wait_for_connectivity = true,
                                                    .persist_when_exhausted = true});

  p.set(ErrorClass::kInvalidTransition,
        RecoveryPolicy{.strategy = RecoveryStrategy::kValidateAndCorrect,
                       .max_retries = 1,
                       .refresh_before_retry = true});

  const RecoveryPolicy standard{.strategy = RecoveryStrategy::kStandardBackoff,
                                .max_retries = 3,
                                .growth = DelayGrowth::kExponential,
                                .base_delay_ns = millis(1'000),
                                .cap_delay_ns = seconds(30),
                                .jitter = Jitter::kNone};
  p.set(ErrorClass::kServerError, standard);
  p.set(ErrorClass::kPoolTimeout, standard);

  const RecoveryPolicy final_verdict{.strategy = RecoveryStrategy::kGiveUp};
  p.set(ErrorClass::kDocumentNotFound, final_verdict);
  p.set(ErrorClass::kDuplicateKey, final_verdict);
  p.set(ErrorClass::kValidationError, final_verdict);
  return p;
}

const RecoveryPolicy& RecoveryPolicies::for_class(ErrorClass c) const {
  return policies_.at(static_cast<std::size_t>(c));
}

void RecoveryPolicies::set(ErrorClass c, const RecoveryPolicy& policy) {
  TRACKSIM_CHECK(policy.max_retries >= 0);
  TRACKSIM_CHECK(policy.base_delay_ns >= 0);
  TRACKSIM_CHECK(policy.cap_delay_ns >= policy.base_delay_ns);
  policies_.at(static_cast<std::size_t>(c)) = policy;
}

Nanos recovery_delay_ns(const RecoveryPolicy& policy, int retry, Nanos previous_delay_ns,
                        RandomSource& random) {
  TRACKSIM_CHECK(retry >= 0);
  const Nanos base = policy.base_delay_ns;
  const Nanos cap = policy.cap_delay_ns;
  Nanos ceiling = exponential_delay_ns(base, cap, retry);
  if (policy.growth == DelayGrowth::kLinear) {
    const Nanos steps = retry + 1;
    ceiling = base > cap / steps ? cap : base * steps;
  }
  const Nanos previous = previous_delay_ns > 0 ? previous_delay_ns : base;
  return jittered_delay_ns(policy.jitter, ceiling, base, cap, previous, random);
}

RecoveryTracker::RecoveryTracker(const RecoveryPolicies& policies, RandomSource& random)
    : policies_(policies), random_(random) {}

RecoveryStep RecoveryTracker::on_outcome(ErrorClass c) {
  const RecoveryPolicy& policy = policies_.for_class(c);
  RecoveryStep step;
  if (c == ErrorClass::kNone) {
    step.action = RecoveryStep::Action::kDone;
    return step;
  }
  if (retries_ >= policy.max_retries) {
    step.action = policy.persist_when_exhausted ? RecoveryStep::Action::kPersistForLater
                                                : RecoveryStep::Action::kGiveUp;
    return step;
  }

  step.action = policy.strategy == RecoveryStrategy::kValidateAndCorrect
                    ? RecoveryStep::Action::kCorrect
                    : RecoveryStep::Action::kRetry;
  step.delay_ns = recovery_delay_ns(policy, retries_, previous_delay_ns_, random_);
  step.refresh_first = policy.refresh_before_retry;
  step.wait_for_connectivity = policy.wait_for_connectivity;
  previous_delay_ns_ = step.delay_ns;
  ++retries_;
  return step;
}

void RecoveryTracker::reset() {
  retries_ = 0;
  previous_delay_ns_ = 0;
}

std::string_view to_string(TransitionCorrection c) {
  switch (c) {
    case TransitionCorrection::kAlreadyApplied:
      return "already_applied";
    case TransitionCorrection::kRetry:
      return "retry";
    case TransitionCorrection::kAdoptServerState:
      return "adopt_server_state";
  }
  return "?";
}

TransitionCorrection correct_transition(DeliveryStatus requested, DeliveryStatus server_status) {
  if (requested == server_status) return TransitionCorrection::kAlreadyApplied;
  if (is_allowed_transition(server_status, requested)) return TransitionCorrection::kRetry;
  return TransitionCorrection::kAdoptServerState;
}

}  // namespace tracksim::model

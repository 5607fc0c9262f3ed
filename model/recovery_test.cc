// The classifier, the seed's recovery table, delay bounds and the InvalidTransition correction.
#include "model/recovery.h"

#include <gtest/gtest.h>

#include "model/testing/in_memory_store.h"

namespace tracksim::model {
namespace {

using Action = RecoveryStep::Action;

TEST(Classify, NoReplyIsANetworkTimeoutAndRepliesCarryTheirClass) {
  EXPECT_EQ(classify(std::nullopt), ErrorClass::kNetworkTimeout);
  ApiResponse ok;
  ok.success = true;
  EXPECT_EQ(classify(ok), ErrorClass::kNone);
  for (int i = 1; i < kErrorClassCount; ++i) {
    ApiResponse failed;
    failed.error_class = static_cast<ErrorClass>(i);
    EXPECT_EQ(classify(failed), static_cast<ErrorClass>(i));
  }
  ApiResponse unclassified;
  EXPECT_EQ(classify(unclassified), ErrorClass::kServerError);
}

TEST(Recovery, EveryErrorClassHasTheSeedsStrategy) {
  const auto p = RecoveryPolicies::seed_defaults();
  auto strategy = [&](ErrorClass c) { return p.for_class(c).strategy; };
  EXPECT_EQ(strategy(ErrorClass::kNone), RecoveryStrategy::kNone);
  EXPECT_EQ(strategy(ErrorClass::kParallelSaveError), RecoveryStrategy::kBackoffWithJitter);
  EXPECT_EQ(strategy(ErrorClass::kVersionError), RecoveryStrategy::kRefreshAndRetry);
  EXPECT_EQ(strategy(ErrorClass::kNetworkTimeout), RecoveryStrategy::kNetworkAwareWait);
  EXPECT_EQ(strategy(ErrorClass::kInvalidTransition), RecoveryStrategy::kValidateAndCorrect);
  EXPECT_EQ(strategy(ErrorClass::kServerError), RecoveryStrategy::kStandardBackoff);
  EXPECT_EQ(strategy(ErrorClass::kLockTimeout), RecoveryStrategy::kBackoffWithJitter);
  EXPECT_EQ(strategy(ErrorClass::kPoolTimeout), RecoveryStrategy::kStandardBackoff);
  EXPECT_EQ(strategy(ErrorClass::kDocumentNotFound), RecoveryStrategy::kGiveUp);
  EXPECT_EQ(strategy(ErrorClass::kDuplicateKey), RecoveryStrategy::kGiveUp);
  EXPECT_EQ(strategy(ErrorClass::kValidationError), RecoveryStrategy::kGiveUp);
  EXPECT_NE(p.for_class(ErrorClass::kParallelSaveError).jitter, Jitter::kNone);
  EXPECT_EQ(p.for_class(ErrorClass::kServerError).jitter, Jitter::kNone);
  EXPECT_TRUE(p.for_class(ErrorClass::kVersionError).refresh_before_retry);
  EXPECT_TRUE(p.for_class(ErrorClass::kNetworkTimeout).wait_for_connectivity);
  EXPECT_EQ(p.for_class(ErrorClass::kParallelSaveError).max_retries, 3);
}

TEST(Recovery, TransientClassesAreExactlyTheOnesWorthRetryingUnchanged) {
  for (int i = 0; i < kErrorClassCount; ++i) {
    const auto c = static_cast<ErrorClass>(i);
    const auto s = RecoveryPolicies::seed_defaults().for_class(c).strategy;
    const bool blind_retry =
        s == RecoveryStrategy::kBackoffWithJitter || s == RecoveryStrategy::kRefreshAndRetry ||
        s == RecoveryStrategy::kNetworkAwareWait || s == RecoveryStrategy::kStandardBackoff;
    EXPECT_EQ(is_transient(c), blind_retry) << to_string(c);
    EXPECT_EQ(retried_by_atomic_update(c), is_transient(c));
  }
}

TEST(RecoveryTracker, SuccessIsDone) {
  const auto p = RecoveryPolicies::seed_defaults();
  testing::SeededRandom random(1);
  RecoveryTracker t(p, random);
  EXPECT_EQ(t.on_outcome(ErrorClass::kNone).action, Action::kDone);
}

TEST(RecoveryTracker, ServerErrorBacksOffExponentiallyThenGivesUp) {
  const auto p = RecoveryPolicies::seed_defaults();
  testing::SeededRandom random(1);
  RecoveryTracker t(p, random);
  std::vector<Nanos> delays;
  for (int i = 0; i < 3; ++i) {
    auto step = t.on_outcome(ErrorClass::kServerError);
    ASSERT_EQ(step.action, Action::kRetry);
    delays.push_back(step.delay_ns);
  }
  EXPECT_EQ(delays, (std::vector<Nanos>{seconds(1), seconds(2), seconds(4)}));
  EXPECT_EQ(t.on_outcome(ErrorClass::kServerError).action, Action::kGiveUp);
}

TEST(RecoveryTracker, NetworkTimeoutWaitsProgressivelyForConnectivityThenPersists) {
  const auto p = RecoveryPolicies::seed_defaults();
  testing::SeededRandom random(1);
  RecoveryTracker t(p, random);
  for (int i = 0; i < 5; ++i) {
    auto step = t.on_outcome(ErrorClass::kNetworkTimeout);
    ASSERT_EQ(step.action, Action::kRetry);
    EXPECT_TRUE(step.wait_for_connectivity);
    EXPECT_EQ(step.delay_ns, seconds(2) * (i + 1));
  }
  EXPECT_EQ(t.on_outcome(ErrorClass::kNetworkTimeout).action, Action::kPersistForLater);
  t.reset();
  EXPECT_EQ(t.on_outcome(ErrorClass::kNetworkTimeout).action, Action::kRetry);
}

TEST(RecoveryTracker, ParallelSaveErrorDelaysAreJitteredWithinTheirCeiling) {
  const auto p = RecoveryPolicies::seed_defaults();
  for (std::uint64_t seed = 1; seed < 40; ++seed) {
    testing::SeededRandom random(seed);
    RecoveryTracker t(p, random);
    for (int i = 0; i < 3; ++i) {
      auto step = t.on_outcome(ErrorClass::kParallelSaveError);
      ASSERT_EQ(step.action, Action::kRetry);
      EXPECT_GE(step.delay_ns, 0);
      EXPECT_LE(step.delay_ns, seconds(1) << i);
    }
  }
}

TEST(RecoveryTracker, VersionErrorRefreshesFirst) {
  const auto p = RecoveryPolicies::seed_defaults();
  testing::SeededRandom random(1);
  RecoveryTracker t(p, random);
  auto step = t.on_outcome(ErrorClass::kVersionError);
  EXPECT_EQ(step.action, Action::kRetry);
  EXPECT_TRUE(step.refresh_first);
  EXPECT_GE(step.delay_ns, millis(50));
  EXPECT_LE(step.delay_ns, millis(100));
}

TEST(RecoveryTracker, InvalidTransitionAsksForOneCorrection) {
  const auto p = RecoveryPolicies::seed_defaults();
  testing::SeededRandom random(1);
  RecoveryTracker t(p, random);
  auto step = t.on_outcome(ErrorClass::kInvalidTransition);
  EXPECT_EQ(step.action, Action::kCorrect);
  EXPECT_TRUE(step.refresh_first);
  EXPECT_EQ(t.on_outcome(ErrorClass::kInvalidTransition).action, Action::kGiveUp);
}

TEST(RecoveryTracker, FinalVerdictsGiveUpAtOnce) {
  const auto p = RecoveryPolicies::seed_defaults();
  testing::SeededRandom random(1);
  for (ErrorClass c :
       {ErrorClass::kDocumentNotFound, ErrorClass::kDuplicateKey, ErrorClass::kValidationError}) {
    RecoveryTracker t(p, random);
    EXPECT_EQ(t.on_outcome(c).action, Action::kGiveUp) << to_string(c);
  }
}

TEST(RecoveryDelay, DecorrelatedStaysBetweenBaseAndThreeTimesThePrevious) {
  RecoveryPolicy policy{.strategy = RecoveryStrategy::kBackoffWithJitter,
                        .max_retries = 10,
                        .growth = DelayGrowth::kExponential,
                        .base_delay_ns = millis(100),
                        .cap_delay_ns = seconds(10),
                        .jitter = Jitter::kDecorrelated};
  testing::SeededRandom random(9);
  Nanos previous = 0;
  for (int retry = 0; retry < 10; ++retry) {
    const Nanos d = recovery_delay_ns(policy, retry, previous, random);
    EXPECT_GE(d, millis(100));
    EXPECT_LE(d, std::min(seconds(10), 3 * std::max(previous, millis(100))));
    previous = d;
  }
}

TEST(CorrectTransition, DecidesFromTheServersStatus) {
  using S = DeliveryStatus;
  EXPECT_EQ(correct_transition(S::kAtPickup, S::kAtPickup), TransitionCorrection::kAlreadyApplied);
  EXPECT_EQ(correct_transition(S::kAtPickup, S::kHeadingToPickup), TransitionCorrection::kRetry);
  EXPECT_EQ(correct_transition(S::kAtPickup, S::kPickedUp),
            TransitionCorrection::kAdoptServerState);
  EXPECT_EQ(correct_transition(S::kCancelled, S::kDelivered),
            TransitionCorrection::kAdoptServerState);
}

}  // namespace
}  // namespace tracksim::model

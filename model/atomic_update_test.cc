// The atomic update against the in-memory store: the lock, the commit, retries, backoff bounds,
// idempotency after a lost reply, lease expiry, and the planted bugs that live in it.
#include "model/atomic_update.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "model/probe_names.h"
#include "model/testing/in_memory_store.h"

namespace tracksim::model {
namespace {

using testing::InjectedFault;
using testing::StoreCall;

StatusHistoryEntry note_entry(DeliveryStatus status, const std::string& note) {
  StatusHistoryEntry e;
  e.status = status;
  e.note = note;
  return e;
}

// An update that appends a note to the history, so every application is visible.
UpdateFunction append_note(const std::string& note, int* calls = nullptr) {
  return [note, calls](DeliveryTracking& doc) -> Result<UpdateDecision> {
    if (calls != nullptr) ++*calls;
    doc.status_history.push_back(note_entry(doc.status, note));
    return UpdateDecision::kWrite;
  };
}

class AtomicUpdateTest : public ::testing::Test {
 protected:
  AtomicUpdateTest() { world.store.put(testing::make_delivery("d1", world.clock.now())); }

  AtomicUpdater updater(PlantedBugs bugs = {}) {
    return AtomicUpdater(config, world.ports(), bugs);
  }

  DeliveryTracking stored() { return *world.store.peek("d1"); }

  // Commits that raised the version and were tagged with `operation_id`.
  int applied_commits(const std::string& operation_id) {
    const auto& c = world.store.commits();
    return static_cast<int>(std::count_if(c.begin(), c.end(), [&](const testing::CommitRecord& r) {
      return r.version_raised && r.operation_id == operation_id;
    }));
  }

  testing::TestWorld world;
  AtomicUpdateConfig config;
};

TEST_F(AtomicUpdateTest, FirstAttemptCommitsRaisesVersionAndReleasesTheLock) {
  auto outcome = updater().run("d1", "op-1", append_note("hello"));

  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.attempts, 1);
  const auto& r = outcome.result.value();
  EXPECT_TRUE(r.written);
  EXPECT_FALSE(r.duplicate);
  EXPECT_EQ(r.doc, stored());
  EXPECT_EQ(stored().version, 1);
  EXPECT_FALSE(stored().operation_lock_ns.has_value());
  EXPECT_TRUE(stored().lock_owner.empty());
  EXPECT_EQ(stored().last_operation_id, "op-1");
  EXPECT_EQ(stored().status_history.back().note, "hello");
  EXPECT_EQ(stored().updated_ns, world.clock.now());
  EXPECT_TRUE(world.sleeper.sleeps_ns().empty());
}

TEST_F(AtomicUpdateTest, TheLockIsTakenForLockTimeoutWithTheOperationIdAsOwner) {
  std::optional<DeliveryTracking> seen;
  world.store.before_call = [&](StoreCall call, const std::string&) {
    if (call == StoreCall::kUpdateOne) seen = world.store.peek("d1");
  };
  ASSERT_TRUE(updater().run("d1", "op-1", append_note("x")).result.ok());
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->lock_owner, "op-1");
  EXPECT_EQ(seen->operation_lock_ns, world.clock.now() + config.lock_timeout_ns);
}

TEST_F(AtomicUpdateTest, LiveLockHeldByAnotherTimesOutAfterAllAttempts) {
  auto doc = stored();
  doc.operation_lock_ns = world.clock.now() + seconds(20);
  doc.lock_owner = "other";
  world.store.put(doc);
  int calls = 0;

  auto outcome = updater().run("d1", "op-1", append_note("x", &calls));

  ASSERT_FALSE(outcome.result.ok());
  EXPECT_EQ(outcome.result.error_class(), ErrorClass::kLockTimeout);
  EXPECT_EQ(outcome.attempts, 3);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(world.sleeper.sleeps_ns().size(), 2u);
  EXPECT_EQ(world.probes.count(probe::kLockBusy), 3);
  EXPECT_EQ(world.probes.count(probe::kRetryExhausted), 1);
  EXPECT_EQ(stored().lock_owner, "other");
  EXPECT_EQ(stored().version, 0);
}

TEST_F(AtomicUpdateTest, ExpiredLeaseIsTakenOver) {
  auto doc = stored();
  doc.operation_lock_ns = world.clock.now();  // ends exactly now: expired
  doc.lock_owner = "crashed";
  world.store.put(doc);

  auto outcome = updater().run("d1", "op-1", append_note("x"));
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_EQ(stored().version, 1);
}

TEST_F(AtomicUpdateTest, LockReleasedByTheHolderDuringBackoffIsThenTaken) {
  auto doc = stored();
  doc.operation_lock_ns = world.clock.now() + seconds(20);
  doc.lock_owner = "other";
  world.store.put(doc);
  world.store.before_call = [&](StoreCall call, const std::string&) {
    if (call == StoreCall::kFindById) {
      auto d = *world.store.peek("d1");
      d.operation_lock_ns.reset();
      d.lock_owner.clear();
      world.store.put(d);
    }
  };

  auto outcome = updater().run("d1", "op-1", append_note("x"));
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.attempts, 2);
}

TEST_F(AtomicUpdateTest, MissingDocumentIsNotFoundWithoutRetrying) {
  auto outcome = updater().run("nope", "op-1", append_note("x"));
  ASSERT_FALSE(outcome.result.ok());
  EXPECT_EQ(outcome.result.error_class(), ErrorClass::kDocumentNotFound);
  EXPECT_EQ(outcome.attempts, 1);
}

TEST_F(AtomicUpdateTest, VersionConflictAtCommitRetriesOnAFreshCopy) {
  int commits = 0;
  world.store.before_call = [&](StoreCall call, const std::string&) {
    if (call != StoreCall::kUpdateOne || commits++ != 0) return;
    // Another writer's commit slipped in: the version moved under us.
    auto d = *world.store.peek("d1");
    d.version += 1;
    d.status_history.push_back(note_entry(d.status, "theirs"));
    world.store.put(d);
  };

  auto outcome = updater().run("d1", "op-1", append_note("mine"));

  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.attempts, 2);
  EXPECT_EQ(world.probes.count(probe::kCommitVersionConflict), 1);
  EXPECT_EQ(stored().version, 2);
  const auto& h = stored().status_history;
  ASSERT_GE(h.size(), 2u);
  EXPECT_EQ(h[h.size() - 2].note, "theirs");
  EXPECT_EQ(h.back().note, "mine");
}

TEST_F(AtomicUpdateTest, LostCommitReplyIsNotAppliedTwice) {
  bool lost = false;
  world.store.faults = [&](StoreCall call, const std::string&) -> std::optional<InjectedFault> {
    if (call != StoreCall::kUpdateOne || lost) return std::nullopt;
    lost = true;
    return InjectedFault{.error_class = ErrorClass::kNetworkTimeout, .after_apply = true};
  };
  int calls = 0;

  auto outcome = updater().run("d1", "op-1", append_note("once", &calls));

  ASSERT_TRUE(outcome.result.ok());
  EXPECT_TRUE(outcome.result.value().duplicate);
  EXPECT_FALSE(outcome.result.value().written);
  EXPECT_EQ(outcome.attempts, 2);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(applied_commits("op-1"), 1);
  EXPECT_EQ(stored().version, 1);
  EXPECT_FALSE(stored().operation_lock_ns.has_value());
  EXPECT_EQ(world.probes.count(probe::kCommitOutcomeUnknown), 1);
  EXPECT_EQ(world.probes.count(probe::kIdempotentDuplicate), 1);
}

TEST_F(AtomicUpdateTest, AnOperationIdAlreadyAppliedReturnsSuccessWithoutApplying) {
  ASSERT_TRUE(updater().run("d1", "op-1", append_note("first")).result.ok());
  int calls = 0;
  auto again = updater().run("d1", "op-1", append_note("second", &calls));
  ASSERT_TRUE(again.result.ok());
  EXPECT_TRUE(again.result.value().duplicate);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(again.result.value().doc, stored());
  EXPECT_EQ(stored().version, 1);
}

TEST_F(AtomicUpdateTest, LostLockReplyIsReleasedAndRetried) {
  bool lost = false;
  world.store.faults = [&](StoreCall call, const std::string&) -> std::optional<InjectedFault> {
    if (call != StoreCall::kFindOneAndUpdate || lost) return std::nullopt;
    lost = true;
    return InjectedFault{.error_class = ErrorClass::kNetworkTimeout, .after_apply = true};
  };
  auto outcome = updater().run("d1", "op-1", append_note("x"));
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.attempts, 2);
  EXPECT_EQ(world.probes.count(probe::kLockAcquireOutcomeUnknown), 1);
  EXPECT_EQ(stored().version, 1);
}

TEST_F(AtomicUpdateTest, UpdateFunctionErrorReleasesTheLockAndIsNotRetried) {
  auto reject = [](DeliveryTracking&) -> Result<UpdateDecision> {
    return Error{ErrorClass::kInvalidTransition, "no"};
  };
  auto outcome = updater().run("d1", "op-1", reject);
  ASSERT_FALSE(outcome.result.ok());
  EXPECT_EQ(outcome.result.error_class(), ErrorClass::kInvalidTransition);
  EXPECT_EQ(outcome.attempts, 1);
  EXPECT_FALSE(stored().operation_lock_ns.has_value());
  EXPECT_EQ(stored().version, 0);
}

TEST_F(AtomicUpdateTest, NoChangeReleasesTheLockAndWritesNothing) {
  auto nothing = [](DeliveryTracking&) -> Result<UpdateDecision> {
    return UpdateDecision::kNoChange;
  };
  auto outcome = updater().run("d1", "op-1", nothing);
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_FALSE(outcome.result.value().written);
  EXPECT_FALSE(stored().operation_lock_ns.has_value());
  EXPECT_EQ(stored().version, 0);
  EXPECT_EQ(stored().last_operation_id, "");
}

TEST_F(AtomicUpdateTest, ServerErrorsOnEveryCommitExhaustRetriesAndLeaveNoLock) {
  // Odd updateOne calls are commits and fail; even ones are the releases after them.
  int update_calls = 0;
  world.store.faults = [&](StoreCall call, const std::string&) -> std::optional<InjectedFault> {
    if (call == StoreCall::kUpdateOne && update_calls++ % 2 == 0) {
      return InjectedFault{.error_class = ErrorClass::kServerError, .after_apply = false};
    }
    return std::nullopt;
  };
  auto outcome = updater().run("d1", "op-1", append_note("x"));
  ASSERT_FALSE(outcome.result.ok());
  EXPECT_EQ(outcome.result.error_class(), ErrorClass::kServerError);
  EXPECT_EQ(outcome.attempts, 3);
  EXPECT_EQ(world.probes.count(probe::kRetryExhausted), 1);
  EXPECT_EQ(world.probes.count(probe::kLockReleaseFailed), 0);
  EXPECT_FALSE(stored().operation_lock_ns.has_value());
  EXPECT_EQ(stored().version, 0);
}

TEST_F(AtomicUpdateTest, AFailedReleaseIsRetriedBeforeTheNextAcquisition) {
  // The first commit and the release after it both fail; the lock is still ours.
  int update_calls = 0;
  world.store.faults = [&](StoreCall call, const std::string&) -> std::optional<InjectedFault> {
    if (call == StoreCall::kUpdateOne && update_calls++ < 2) {
      return InjectedFault{.error_class = ErrorClass::kServerError, .after_apply = false};
    }
    return std::nullopt;
  };
  auto outcome = updater().run("d1", "op-1", append_note("x"));
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.attempts, 2);
  EXPECT_EQ(world.probes.count(probe::kLockReleaseFailed), 1);
  EXPECT_EQ(world.probes.count(probe::kLockBusy), 0);
  EXPECT_EQ(stored().version, 1);
}

TEST_F(AtomicUpdateTest, TransientAcquireFaultsAreRetried) {
  for (ErrorClass c :
       {ErrorClass::kServerError, ErrorClass::kPoolTimeout, ErrorClass::kNetworkTimeout}) {
    testing::TestWorld w;
    w.store.put(testing::make_delivery("d1", 0));
    int n = 0;
    w.store.faults = [&](StoreCall call, const std::string&) -> std::optional<InjectedFault> {
      if (call == StoreCall::kFindOneAndUpdate && n++ == 0) return InjectedFault{c, false};
      return std::nullopt;
    };
    AtomicUpdater u(config, w.ports(), {});
    auto outcome = u.run("d1", "op-1", append_note("x"));
    ASSERT_TRUE(outcome.result.ok()) << to_string(c);
    EXPECT_EQ(outcome.attempts, 2) << to_string(c);
  }
}

TEST_F(AtomicUpdateTest, LeaseThatEndsBeforeTheCommitRejectsTheCommit) {
  int acquisitions = 0;
  world.store.before_call = [&](StoreCall call, const std::string&) {
    // The first lock reply is slow: by the time it arrives, the lease it granted has ended.
    if (call == StoreCall::kFindOneAndUpdate && acquisitions++ == 0) {
      world.clock.advance(seconds(31));
    }
  };
  auto outcome = updater().run("d1", "op-1", append_note("x"));
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.attempts, 2);
  EXPECT_EQ(stored().version, 1);
  EXPECT_EQ(world.probes.count(probe::kCommitVersionConflict), 1);
  EXPECT_EQ(world.probes.count(probe::kLockExpiredBeforeCommit), 1);
  EXPECT_EQ(world.probes.count(probe::kLockStolenAfterExpiry), 0);
}

TEST_F(AtomicUpdateTest, ExpiredHolderIsRejectedAfterAnotherWriterStoleTheLock) {
  // A holder pauses 45 s past its 30 s lease before committing; a second writer locks and
  // commits meanwhile; the first's commit must then match nothing.
  bool paused = false;
  world.store.before_call = [&](StoreCall call, const std::string&) {
    if (call != StoreCall::kUpdateOne || paused) return;
    paused = true;
    world.clock.advance(seconds(45));
    AtomicUpdater second(config, world.ports(), {});
    ASSERT_TRUE(second.run("d1", "op-2", append_note("second")).result.ok());
  };

  auto outcome = updater().run("d1", "op-1", append_note("first"));

  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.attempts, 2);
  EXPECT_EQ(world.probes.count(probe::kLockExpiredBeforeCommit), 1);
  EXPECT_EQ(world.probes.count(probe::kLockStolenAfterExpiry), 1);
  const auto& h = stored().status_history;
  EXPECT_EQ(h[h.size() - 2].note, "second");
  EXPECT_EQ(h.back().note, "first");
  EXPECT_EQ(stored().version, 2);
}

TEST_F(AtomicUpdateTest, CommitFilterUsesTheCallersClockAtSending) {
  // The contract's lock filters compare with the caller's clock, so a commit delayed in flight
  // past its lease still matches while nobody else has taken the lock. Safe (the owner and
  // version checks hold), but worth pinning: it is not a server-side lease check.
  bool delayed = false;
  world.store.before_call = [&](StoreCall call, const std::string&) {
    if (call == StoreCall::kUpdateOne && !delayed) {
      delayed = true;
      world.clock.advance(seconds(31));
    }
  };
  auto outcome = updater().run("d1", "op-1", append_note("x"));
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.attempts, 1);
}

// --- Backoff -------------------------------------------------------------------------------

TEST(Backoff, ExponentialDelayDoublesAndCaps) {
  EXPECT_EQ(exponential_delay_ns(millis(100), seconds(2), 0), millis(100));
  EXPECT_EQ(exponential_delay_ns(millis(100), seconds(2), 1), millis(200));
  EXPECT_EQ(exponential_delay_ns(millis(100), seconds(2), 4), millis(1600));
  EXPECT_EQ(exponential_delay_ns(millis(100), seconds(2), 5), seconds(2));
  EXPECT_EQ(exponential_delay_ns(millis(100), seconds(2), 1'000'000), seconds(2));
  EXPECT_EQ(exponential_delay_ns(1, std::int64_t{1} << 62, 200), std::int64_t{1} << 62);
  EXPECT_EQ(exponential_delay_ns(0, seconds(1), 10), 0);
}

class BackoffBounds : public ::testing::TestWithParam<Jitter> {};

TEST_P(BackoffBounds, EveryDelayIsWithinItsStrategysBounds) {
  const Nanos base = millis(100);
  const Nanos cap = seconds(2);
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    testing::SeededRandom random(seed);
    Backoff backoff(base, cap, GetParam(), random);
    Nanos previous = base;
    for (int retry = 0; retry < 12; ++retry) {
      const Nanos d = exponential_delay_ns(base, cap, retry);
      const Nanos delay = backoff.delay_ns(retry);
      switch (GetParam()) {
        case Jitter::kNone:
          EXPECT_EQ(delay, d);
          break;
        case Jitter::kFull:
          EXPECT_GE(delay, 0);
          EXPECT_LE(delay, d);
          break;
        case Jitter::kEqual:
          EXPECT_GE(delay, d / 2);
          EXPECT_LE(delay, d);
          break;
        case Jitter::kDecorrelated:
          EXPECT_GE(delay, base);
          EXPECT_LE(delay, std::min(cap, 3 * previous));
          break;
      }
      previous = delay;
    }
  }
}

TEST_P(BackoffBounds, SameSeedSameDelays) {
  auto delays = [](std::uint64_t seed) {
    testing::SeededRandom random(seed);
    Backoff backoff(millis(100), seconds(2), GetParam(), random);
    std::vector<Nanos> out;
    for (int retry = 0; retry < 8; ++retry)
      out.push_back(backoff.delay_ns(retry));
    return out;
  };
  EXPECT_EQ(delays(7), delays(7));
}

INSTANTIATE_TEST_SUITE_P(AllStrategies, BackoffBounds,
                         ::testing::Values(Jitter::kNone, Jitter::kFull, Jitter::kEqual,
                                           Jitter::kDecorrelated),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(Backoff, JitterActuallySpreadsDelays) {
  testing::SeededRandom random(3);
  Backoff backoff(millis(100), seconds(2), Jitter::kFull, random);
  std::set<Nanos> distinct;
  for (int i = 0; i < 20; ++i)
    distinct.insert(backoff.delay_ns(3));
  EXPECT_GT(distinct.size(), 15u);
}

TEST_F(AtomicUpdateTest, SleepsBetweenAttemptsFollowTheConfiguredBackoff) {
  config.jitter = Jitter::kNone;
  config.retry_max_attempts = 5;
  auto doc = stored();
  doc.operation_lock_ns = world.clock.now() + seconds(60);
  doc.lock_owner = "other";
  world.store.put(doc);

  auto outcome = updater().run("d1", "op-1", append_note("x"));
  EXPECT_EQ(outcome.attempts, 5);
  const std::vector<Nanos> expected = {millis(100), millis(200), millis(400), millis(800)};
  EXPECT_EQ(world.sleeper.sleeps_ns(), expected);
}

// --- Planted bugs in the atomic update ------------------------------------------------------

TEST_F(AtomicUpdateTest, MutantNoJitterIgnoresTheConfiguredJitter) {
  config.jitter = Jitter::kFull;
  auto doc = stored();
  doc.operation_lock_ns = world.clock.now() + seconds(60);
  doc.lock_owner = "other";
  world.store.put(doc);
  (void)updater(PlantedBugs{.no_jitter = true}).run("d1", "op-1", append_note("x"));
  const std::vector<Nanos> expected = {millis(100), millis(200)};
  EXPECT_EQ(world.sleeper.sleeps_ns(), expected);
}

TEST_F(AtomicUpdateTest, MutantLockNotReleasedLeavesTheLockAfterAnError) {
  auto reject = [](DeliveryTracking&) -> Result<UpdateDecision> {
    return Error{ErrorClass::kInvalidTransition, "no"};
  };
  (void)updater(PlantedBugs{.lock_not_released_on_error = true}).run("d1", "op-1", reject);
  EXPECT_EQ(stored().lock_owner, "op-1");
  EXPECT_TRUE(stored().operation_lock_ns.has_value());
}

TEST_F(AtomicUpdateTest, MutantRetryNotIdempotentAppliesTwiceAfterALostReply) {
  bool lost = false;
  world.store.faults = [&](StoreCall call, const std::string&) -> std::optional<InjectedFault> {
    if (call != StoreCall::kUpdateOne || lost) return std::nullopt;
    lost = true;
    return InjectedFault{.error_class = ErrorClass::kNetworkTimeout, .after_apply = true};
  };
  auto outcome = updater(PlantedBugs{.retry_not_idempotent_after_timeout = true})
                     .run("d1", "op-1", append_note("once"));
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(applied_commits("op-1"), 2);
}

TEST_F(AtomicUpdateTest, MutantRetryWithoutRereadLosesTheConcurrentWrite) {
  int commits = 0;
  world.store.before_call = [&](StoreCall call, const std::string&) {
    if (call != StoreCall::kUpdateOne || commits++ != 0) return;
    auto d = *world.store.peek("d1");
    d.version += 1;
    d.status_history.push_back(note_entry(d.status, "theirs"));
    world.store.put(d);
  };
  auto outcome =
      updater(PlantedBugs{.retry_without_reread = true}).run("d1", "op-1", append_note("mine"));
  ASSERT_TRUE(outcome.result.ok());
  for (const auto& e : stored().status_history)
    EXPECT_NE(e.note, "theirs");
}

TEST_F(AtomicUpdateTest, MutantSaveWithoutVersionCheckCommitsAfterItsLeaseWasStolen) {
  bool paused = false;
  world.store.before_call = [&](StoreCall call, const std::string&) {
    if (call != StoreCall::kUpdateOne || paused) return;
    paused = true;
    world.clock.advance(seconds(45));
    AtomicUpdater second(config, world.ports(), {});
    ASSERT_TRUE(second.run("d1", "op-2", append_note("second")).result.ok());
  };
  auto outcome = updater(PlantedBugs{.save_without_version_check = true})
                     .run("d1", "op-1", append_note("first"));
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.attempts, 1);
  for (const auto& e : stored().status_history)
    EXPECT_NE(e.note, "second");
}

TEST_F(AtomicUpdateTest, MutantLockIgnoresLeaseTakesALiveLock) {
  auto doc = stored();
  doc.operation_lock_ns = world.clock.now() + seconds(20);
  doc.lock_owner = "other";
  world.store.put(doc);
  auto outcome =
      updater(PlantedBugs{.lock_ignores_lease = true}).run("d1", "op-1", append_note("x"));
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.attempts, 1);
}

}  // namespace
}  // namespace tracksim::model

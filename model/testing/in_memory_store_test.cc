// The in-memory store keeps the DocumentStore contract of ports.h, which the simulator's storage
// model follows too: filters, atomic updates, unique indexes, TTL, and Mongoose's save().
#include "model/testing/in_memory_store.h"

#include <gtest/gtest.h>

namespace tracksim::model::testing {
namespace {

class InMemoryStoreTest : public ::testing::Test {
 protected:
  InMemoryStoreTest() : store(clock) { store.put(make_delivery("d1", 0)); }

  static Filter by_id(const std::string& id) {
    return Filter{.delivery_id = id, .version = std::nullopt, .lock = {}};
  }
  static Update take(const std::string& owner, Nanos until_ns) {
    Update u;
    u.lock_change = Update::LockChange::kSet;
    u.lock_owner = owner;
    u.lock_until_ns = until_ns;
    return u;
  }
  void lock_until(Nanos t_ns, const std::string& owner = "other") {
    auto d = *store.peek("d1");
    d.operation_lock_ns = t_ns;
    d.lock_owner = owner;
    store.put(d);
  }

  FakeClock clock{seconds(100)};
  InMemoryStore store;
};

TEST_F(InMemoryStoreTest, FindByIdReturnsACopyOrNothing) {
  auto found = store.find_by_id("d1");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found.value().has_value());
  EXPECT_EQ(found.value()->id, "d1");
  EXPECT_FALSE(store.find_by_id("nope").value().has_value());
}

TEST_F(InMemoryStoreTest, LockConditionsAtTheirBoundaries) {
  auto matches = [&](LockCondition::Kind kind, Nanos now_ns, const std::string& owner = "") {
    Filter f = by_id("d1");
    f.lock = LockCondition{.kind = kind, .now_ns = now_ns, .owner = owner};
    return store.update_one(f, Update{}).value() == 1;
  };
  using K = LockCondition::Kind;
  EXPECT_TRUE(matches(K::kFree, 0));
  EXPECT_TRUE(matches(K::kFreeOrExpired, 0));
  EXPECT_FALSE(matches(K::kHeldBy, 0, ""));

  lock_until(seconds(130), "me");
  EXPECT_TRUE(matches(K::kAny, 0));
  EXPECT_FALSE(matches(K::kFree, 0));
  EXPECT_FALSE(matches(K::kFreeOrExpired, seconds(129)));
  EXPECT_TRUE(matches(K::kFreeOrExpired, seconds(130)));  // a lease ending at now has ended
  EXPECT_TRUE(matches(K::kHeldBy, seconds(129), "me"));
  EXPECT_FALSE(matches(K::kHeldBy, seconds(130), "me"));
  EXPECT_FALSE(matches(K::kHeldBy, seconds(129), "you"));
}

TEST_F(InMemoryStoreTest, VersionFilter) {
  Filter f = by_id("d1");
  f.version = 1;
  EXPECT_EQ(store.update_one(f, Update{}).value(), 0);
  f.version = 0;
  EXPECT_EQ(store.update_one(f, Update{}).value(), 1);
}

TEST_F(InMemoryStoreTest, FindOneAndUpdateReturnsTheDocumentAfterTheUpdate) {
  auto after = store.find_one_and_update(by_id("d1"), take("me", seconds(130)));
  ASSERT_TRUE(after.ok());
  ASSERT_TRUE(after.value().has_value());
  EXPECT_EQ(after.value()->lock_owner, "me");
  EXPECT_EQ(after.value()->operation_lock_ns, seconds(130));
  EXPECT_EQ(*after.value(), *store.peek("d1"));
  EXPECT_FALSE(store.find_one_and_update(by_id("nope"), Update{}).value().has_value());
}

TEST_F(InMemoryStoreTest, SetFieldsNeverTouchesIdVersionOrLock) {
  lock_until(seconds(130), "me");
  DeliveryTracking replacement = make_delivery("other-id", 0, DeliveryStatus::kPickedUp);
  replacement.version = 99;
  replacement.operation_lock_ns.reset();
  replacement.lock_owner = "thief";
  Update u;
  u.set_fields = replacement;
  ASSERT_EQ(store.update_one(by_id("d1"), u).value(), 1);
  const auto d = *store.peek("d1");
  EXPECT_EQ(d.id, "d1");
  EXPECT_EQ(d.version, 0);
  EXPECT_EQ(d.lock_owner, "me");
  EXPECT_EQ(d.status, DeliveryStatus::kPickedUp);
}

TEST_F(InMemoryStoreTest, ClearAndIncrementInOneWrite) {
  lock_until(seconds(130), "me");
  Update u;
  u.lock_change = Update::LockChange::kClear;
  u.increment_version = true;
  u.operation_id = "op";
  ASSERT_EQ(store.update_one(by_id("d1"), u).value(), 1);
  const auto d = *store.peek("d1");
  EXPECT_FALSE(d.operation_lock_ns.has_value());
  EXPECT_TRUE(d.lock_owner.empty());
  EXPECT_EQ(d.version, 1);
  ASSERT_FALSE(store.commits().empty());
  EXPECT_EQ(store.commits().back().version_after, 1);
  EXPECT_EQ(store.commits().back().operation_id, "op");
  EXPECT_TRUE(store.commits().back().version_raised);
}

TEST_F(InMemoryStoreTest, InsertHonoursIdAndUniqueIndexes) {
  InMemoryStore s(clock, {IndexSpec{.fields = {"deliveryPersonId", "status"},
                                    .unique = true,
                                    .expire_after_seconds = std::nullopt}});
  auto a = make_delivery("a", 0);
  ASSERT_TRUE(s.insert_one(a).ok());
  EXPECT_EQ(s.insert_one(a).error_class(), ErrorClass::kDuplicateKey);
  auto b = make_delivery("b", 0);
  b.driver_id = a.driver_id;
  EXPECT_EQ(s.insert_one(b).error_class(), ErrorClass::kDuplicateKey);
  b.status = DeliveryStatus::kPending;
  EXPECT_TRUE(s.insert_one(b).ok());
}

TEST_F(InMemoryStoreTest, TtlDeletesOnlyAfterExpireAfterSecondsPastTheIndexedDate) {
  InMemoryStore s(clock, seed_schema_indexes());
  auto d = make_delivery("d", 0);
  d.operation_lock_ns = seconds(100);
  s.put(d);
  s.put(make_delivery("unlocked", 0));
  EXPECT_EQ(s.run_ttl_monitor(seconds(130)), 0);
  EXPECT_EQ(s.run_ttl_monitor(seconds(130) + 1), 1);
  EXPECT_FALSE(s.peek("d").has_value());
  EXPECT_TRUE(s.peek("unlocked").has_value());

  InMemoryStore safe(clock, safe_schema_indexes());
  safe.put(d);
  EXPECT_EQ(safe.run_ttl_monitor(seconds(1'000)), 0);
}

TEST_F(InMemoryStoreTest, SaveWritesOnlyTheFieldsTheInstanceModified) {
  auto a = store.load_instance("d1").value();
  auto b = store.load_instance("d1").value();
  EXPECT_NE(a.instance_id, b.instance_id);
  a.doc.status = DeliveryStatus::kHeadingToPickup;
  b.doc.current_location = Location{.lat = 1, .lng = 2, .accuracy_m = 3, .device_time_ns = 4};
  ASSERT_TRUE(store.save(a).ok());
  ASSERT_TRUE(store.save(b).ok());
  const auto d = *store.peek("d1");
  EXPECT_EQ(d.status, DeliveryStatus::kHeadingToPickup);
  EXPECT_TRUE(d.current_location.has_value());
  EXPECT_EQ(b.doc, d);  // the instance holds the stored document afterwards
}

TEST_F(InMemoryStoreTest, SaveOfAnUnmodifiedInstanceWritesNothing) {
  auto a = store.load_instance("d1").value();
  const auto before = store.commits().size();
  ASSERT_TRUE(store.save(a).ok());
  EXPECT_EQ(store.commits().size(), before);
}

TEST_F(InMemoryStoreTest, ParallelSaveOfOneInstanceFailsButOfTwoInstancesDoesNot) {
  auto a = store.load_instance("d1").value();
  auto other = store.load_instance("d1").value();
  std::optional<Status> same;
  std::optional<Status> different;
  store.during_save = [&](const DocumentInstance& pending) {
    if (pending.instance_id != a.instance_id || same.has_value()) return;
    same = store.save(a);
    other.doc.driver_id = "someone else";
    different = store.save(other);
  };
  a.doc.status = DeliveryStatus::kHeadingToPickup;
  ASSERT_TRUE(store.save(a).ok());
  ASSERT_TRUE(same.has_value());
  EXPECT_EQ(same->error_class(), ErrorClass::kParallelSaveError);
  ASSERT_TRUE(different.has_value());
  EXPECT_TRUE(different->ok());
  // Once the first save finished, the instance can be saved again.
  a.doc.status = DeliveryStatus::kCancelled;
  EXPECT_TRUE(store.save(a).ok());
}

TEST_F(InMemoryStoreTest, VersionedSaveFailsWhenTheStoredVersionMoved) {
  store.versioned_instances = true;
  auto a = store.load_instance("d1").value();
  auto b = store.load_instance("d1").value();
  a.doc.status = DeliveryStatus::kHeadingToPickup;
  b.doc.status = DeliveryStatus::kCancelled;
  ASSERT_TRUE(store.save(a).ok());
  EXPECT_EQ(store.peek("d1")->version, 1);
  EXPECT_EQ(store.save(b).error_class(), ErrorClass::kVersionError);
  EXPECT_EQ(store.peek("d1")->status, DeliveryStatus::kHeadingToPickup);
}

TEST_F(InMemoryStoreTest, SaveOfADeletedDocumentIsNotFound) {
  auto a = store.load_instance("d1").value();
  store.remove("d1");
  a.doc.status = DeliveryStatus::kCancelled;
  EXPECT_EQ(store.save(a).error_class(), ErrorClass::kDocumentNotFound);
  EXPECT_EQ(store.load_instance("d1").error_class(), ErrorClass::kDocumentNotFound);
}

TEST_F(InMemoryStoreTest, InjectedFaultsBeforeAndAfterApplying) {
  store.faults = [](StoreCall, const std::string&) -> std::optional<InjectedFault> {
    return InjectedFault{.error_class = ErrorClass::kNetworkTimeout, .after_apply = true};
  };
  Update bump;
  bump.increment_version = true;
  EXPECT_EQ(store.update_one(by_id("d1"), bump).error_class(), ErrorClass::kNetworkTimeout);
  EXPECT_EQ(store.peek("d1")->version, 1);  // applied, reply lost

  store.faults = [](StoreCall, const std::string&) -> std::optional<InjectedFault> {
    return InjectedFault{.error_class = ErrorClass::kServerError, .after_apply = false};
  };
  EXPECT_EQ(store.update_one(by_id("d1"), bump).error_class(), ErrorClass::kServerError);
  EXPECT_EQ(store.peek("d1")->version, 1);  // not applied
  EXPECT_EQ(store.calls(StoreCall::kUpdateOne), 2);
}

TEST(FakePorts, SleeperAdvancesTheClockAndRandomIsReproducible) {
  FakeClock clock(5);
  FakeSleeper sleeper(clock);
  sleeper.sleep_for(10);
  EXPECT_EQ(clock.now(), 15);
  EXPECT_EQ(sleeper.sleeps_ns(), std::vector<Nanos>{10});
  SeededRandom a(42);
  SeededRandom b(42);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(a.next_u64(), b.next_u64());
  SeededRandom c(43);
  EXPECT_NE(SeededRandom(42).next_u64(), c.next_u64());
}

}  // namespace
}  // namespace tracksim::model::testing

// The catalogue of planted bugs, name lookup, and the one planted bug whose effect needs the
// seed's schema to show: a leaked operationLock under the TTL index deletes the delivery.
#include "model/mutants.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "model/backend.h"
#include "model/testing/in_memory_store.h"

namespace tracksim::model {
namespace {

TEST(Mutants, CatalogueNamesAreUniqueAndDocumented) {
  const auto& catalogue = mutant_catalogue();
  EXPECT_EQ(catalogue.size(), 8u);
  std::set<std::string_view> names;
  for (const auto& m : catalogue) {
    EXPECT_TRUE(names.insert(m.name).second) << m.name;
    EXPECT_FALSE(m.description.empty()) << m.name;
    EXPECT_FALSE(m.breaks_invariant.empty()) << m.name;
  }
}

TEST(Mutants, EachNameSetsExactlyOneDistinctFlag) {
  const PlantedBugs none;
  EXPECT_FALSE(none.any());
  std::set<std::string> seen;
  for (const auto& m : mutant_catalogue()) {
    auto bugs = planted_bugs_from_names({std::string(m.name)});
    ASSERT_TRUE(bugs.ok()) << m.name;
    EXPECT_TRUE(bugs.value().any()) << m.name;
    // PlantedBugs is a struct of bools: its bytes identify which flag is set.
    std::string bytes(sizeof(PlantedBugs), '\0');
    std::memcpy(bytes.data(), &bugs.value(), sizeof(PlantedBugs));
    EXPECT_TRUE(seen.insert(bytes).second) << m.name << " shares a flag";
  }
}

TEST(Mutants, UnknownNameIsAValidationErrorNamingIt) {
  auto bugs = planted_bugs_from_names({"no_jitter", "typo"});
  ASSERT_FALSE(bugs.ok());
  EXPECT_EQ(bugs.error_class(), ErrorClass::kValidationError);
  EXPECT_NE(bugs.error().message.find("typo"), std::string::npos);
}

class SeedSchemaTtl : public ::testing::Test {
 protected:
  SeedSchemaTtl() : world(1, seed_schema_indexes()) {
    world.store.put(testing::make_delivery("d1", world.clock.now()));
  }

  ApiResponse invalid_status(DeliveryBackend& backend) {
    ApiRequest r;
    r.kind = OperationKind::kUpdateStatus;
    r.delivery_id = "d1";
    r.operation_id = "op-1";
    r.status = DeliveryStatus::kDelivered;  // not allowed from assigned
    return backend.handle(r);
  }

  testing::TestWorld world;
};

TEST_F(SeedSchemaTtl, FixedBackendReleasesItsLockSoTheTtlIndexNeverFires) {
  auto backend = make_backend(BackendConfig{}, world.ports());
  EXPECT_EQ(invalid_status(*backend).error_class, ErrorClass::kInvalidTransition);
  world.clock.advance(seconds(120));
  EXPECT_EQ(world.store.run_ttl_monitor(), 0);
  EXPECT_TRUE(world.store.peek("d1").has_value());
}

TEST_F(SeedSchemaTtl, LeakedLockLetsTheTtlIndexDeleteTheDelivery) {
  BackendConfig config;
  config.mutants = {"lock_not_released_on_error"};
  auto backend = make_backend(config, world.ports());
  EXPECT_EQ(invalid_status(*backend).error_class, ErrorClass::kInvalidTransition);

  // The lease ends 30 s after it was taken; the TTL index adds its own 30 s.
  world.clock.advance(seconds(59));
  EXPECT_EQ(world.store.run_ttl_monitor(), 0);
  world.clock.advance(seconds(2));
  EXPECT_EQ(world.store.run_ttl_monitor(), 1);
  EXPECT_FALSE(world.store.peek("d1").has_value());
}

TEST_F(SeedSchemaTtl, EvenTheFixedBackendLosesTheDeliveryWhenItsLockLeaksOnACrash) {
  // The fix's own schema hazard: a server that dies holding the lock (every later store call
  // fails, so nothing releases it) leaves operationLock set, and the seed's TTL index on it
  // deletes the whole document. safe_schema_indexes() drops that TTL.
  auto backend = make_backend(BackendConfig{}, world.ports());
  bool locked = false;
  world.store.faults = [&](testing::StoreCall call,
                           const std::string&) -> std::optional<testing::InjectedFault> {
    if (call == testing::StoreCall::kFindOneAndUpdate && !locked) {
      locked = true;
      return std::nullopt;
    }
    if (!locked) return std::nullopt;
    return testing::InjectedFault{.error_class = ErrorClass::kServerError, .after_apply = false};
  };
  ApiRequest r;
  r.kind = OperationKind::kUpdateStatus;
  r.delivery_id = "d1";
  r.operation_id = "op-1";
  r.status = DeliveryStatus::kHeadingToPickup;
  EXPECT_FALSE(backend->handle(r).success);
  world.store.faults = nullptr;

  world.clock.advance(seconds(120));
  EXPECT_EQ(world.store.run_ttl_monitor(), 1);
  EXPECT_FALSE(world.store.peek("d1").has_value());
}

}  // namespace
}  // namespace tracksim::model

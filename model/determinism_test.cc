// The model is a function of its ports: the same seed and fault plan give the same responses,
// commits, sleeps and probe counts, byte for byte. Also the wire names of the vocabulary.
#include <gtest/gtest.h>

#include <string>

#include "model/backend.h"
#include "model/errors.h"
#include "model/monitoring.h"
#include "model/testing/in_memory_store.h"

namespace tracksim::model {
namespace {

// Runs a mixed workload with seeded store faults and returns everything observable as text.
std::string run_workload(std::uint64_t seed, Jitter jitter) {
  testing::TestWorld world(seed);
  world.store.put(testing::make_delivery("d1", world.clock.now(), DeliveryStatus::kAssigned));
  testing::SeededRandom faults(seed ^ 0x5eed);
  world.store.faults = [&](testing::StoreCall,
                           const std::string&) -> std::optional<testing::InjectedFault> {
    const auto roll = faults.next_in(0, 99);
    if (roll < 8) return testing::InjectedFault{ErrorClass::kNetworkTimeout, roll < 4};
    if (roll < 14) return testing::InjectedFault{ErrorClass::kServerError, false};
    return std::nullopt;
  };
  world.store.before_call = [&](testing::StoreCall, const std::string&) {
    world.clock.advance(millis(faults.next_in(1, 40)));
  };

  Monitoring monitoring(world.clock);
  BackendPorts ports = world.ports();
  ports.monitoring = &monitoring;
  BackendConfig config;
  config.atomic.jitter = jitter;
  auto backend = make_backend(config, ports);

  const DeliveryStatus path[] = {DeliveryStatus::kHeadingToPickup, DeliveryStatus::kAtPickup,
                                 DeliveryStatus::kPickedUp, DeliveryStatus::kHeadingToDropoff};
  std::string out;
  for (int i = 0; i < 40; ++i) {
    ApiRequest r;
    r.delivery_id = "d1";
    r.operation_id = "op-" + std::to_string(i % 30);  // some ids repeat: client retries
    if (i % 5 == 4) {
      r.kind = OperationKind::kUpdateStatus;
      r.status = path[(i / 5) % 4];
    } else {
      r.kind = OperationKind::kUpdateLocation;
      r.locations = {Location{.lat = 38.70 + i * 1e-4,
                              .lng = -9.20,
                              .accuracy_m = 5,
                              .device_time_ns = seconds(5) * (i % 7)}};
    }
    const ApiResponse response = backend->handle(r);
    out += std::to_string(response.success) + std::string(to_string(response.error_class)) +
           std::to_string(response.attempts) + response.message + ";";
  }
  for (const auto& c : world.store.commits()) {
    out += c.operation_id + "@" + std::to_string(c.version_after) + ",";
  }
  for (Nanos s : world.sleeper.sleeps_ns())
    out += std::to_string(s) + ",";
  for (const auto& [name, n] : world.probes.counts())
    out += name + "=" + std::to_string(n) + ",";
  out += monitoring.report();
  return out;
}

TEST(Determinism, SameSeedSameEverything) {
  for (Jitter j : {Jitter::kNone, Jitter::kFull, Jitter::kEqual, Jitter::kDecorrelated}) {
    for (std::uint64_t seed : {1u, 2u, 99u}) {
      EXPECT_EQ(run_workload(seed, j), run_workload(seed, j)) << to_string(j) << " " << seed;
    }
  }
}

TEST(Determinism, DifferentSeedsExploreDifferently) {
  EXPECT_NE(run_workload(1, Jitter::kFull), run_workload(2, Jitter::kFull));
}

TEST(Names, ErrorClassesAndStatusesRoundTrip) {
  for (int i = 0; i < kErrorClassCount; ++i) {
    const auto c = static_cast<ErrorClass>(i);
    EXPECT_EQ(error_class_from_string(to_string(c)), c);
  }
  EXPECT_EQ(to_string(ErrorClass::kParallelSaveError), "ParallelSaveError");
  for (int i = 0; i < kDeliveryStatusCount; ++i) {
    const auto s = static_cast<DeliveryStatus>(i);
    EXPECT_EQ(delivery_status_from_string(to_string(s)), s);
  }
  EXPECT_EQ(to_string(DeliveryStatus::kHeadingToPickup), "heading_to_pickup");
}

}  // namespace
}  // namespace tracksim::model

// The storage model against what it promises: latency draws with the configured moments, the
// pool as an M/M/c queue (Erlang C), TTL deletion within one monitor period, faults (stalls, lost
// replies, failover), upserts racing with and without a unique index, and the pool's idle
// connections.
#include "sim/world/storage.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace tracksim::sim {
namespace {

using model::DeliveryTracking;
using model::ErrorClass;

// --- Latency draws -------------------------------------------------------------------------------

struct Moments {
  double mean = 0;
  double stddev = 0;
};

Moments moments_of(const LatencyConfig& config, int draws) {
  RandomStream stream(7, "latency-moments");
  double sum = 0, sum2 = 0;
  for (int i = 0; i < draws; ++i) {
    const double ms = to_millis(draw_latency(stream, config));
    sum += ms;
    sum2 += ms * ms;
  }
  const double mean = sum / draws;
  return Moments{mean, std::sqrt(sum2 / draws - mean * mean)};
}

// 200,000 draws put the sample mean within about 0.5% (3 standard errors) of the true one; the
// deviation's sampling error is larger for the skewed lognormal, so it gets 3%.
TEST(LatencyDraws, LognormalHasTheConfiguredMoments) {
  for (const LatencyConfig config :
       {LatencyConfig{.mean_ms = 40, .stddev_ms = 20}, LatencyConfig{.mean_ms = 2, .stddev_ms = 1},
        LatencyConfig{.mean_ms = 5, .stddev_ms = 10}}) {
    const Moments m = moments_of(config, 200'000);
    EXPECT_NEAR(m.mean, config.mean_ms, 0.01 * config.mean_ms) << config.mean_ms;
    EXPECT_NEAR(m.stddev, config.stddev_ms, 0.05 * config.stddev_ms) << config.stddev_ms;
  }
}

TEST(LatencyDraws, ExponentialHasEqualMeanAndDeviation) {
  const LatencyConfig config{.mean_ms = 10, .stddev_ms = 0, .shape = LatencyShape::kExponential};
  const Moments m = moments_of(config, 200'000);
  EXPECT_NEAR(m.mean, 10, 0.1);
  EXPECT_NEAR(m.stddev, 10, 0.2);
}

TEST(LatencyDraws, ZeroDeviationIsConstantAndZeroMeanIsNothing) {
  RandomStream stream(1, "constant");
  EXPECT_EQ(draw_latency(stream, LatencyConfig{.mean_ms = 3, .stddev_ms = 0}), millis(3));
  EXPECT_EQ(draw_latency(stream, LatencyConfig{.mean_ms = 0, .stddev_ms = 5}), 0);
}

// --- A small world around one StorageServer ------------------------------------------------------

struct StorageWorld {
  explicit StorageWorld(StorageConfig config, std::uint64_t seed = 1,
                        TraceMode trace = TraceMode::kDigest)
      : sim(KernelOptions{.seed = seed, .strategy = ScheduleStrategy::kFifo, .trace_mode = trace}),
        probes(&sim),
        server(sim, std::move(config), history, probes),
        log(sim, history) {
    server.attach_faults(&timeline, &log);
  }

  Simulation sim;
  History history;
  Probes probes;
  StorageServer server;
  FaultTimeline timeline;
  FaultLog log;
};

DeliveryTracking document(const std::string& id) {
  DeliveryTracking doc;
  doc.id = id;
  doc.driver_id = "driver-1";
  doc.status = model::DeliveryStatus::kAssigned;
  return doc;
}

StorageConfig instant_storage() {
  StorageConfig config;
  const LatencyConfig none{.mean_ms = 0, .stddev_ms = 0};
  config.request_latency = none;
  config.reply_latency = none;
  config.find_latency = none;
  config.update_latency = none;
  config.insert_latency = none;
  config.save_latency = none;
  config.connect_latency = none;
  config.upsert_gap = none;
  return config;
}

// --- The pool as M/M/c ---------------------------------------------------------------------------

// Erlang C: the probability that an arrival waits, for c servers and offered load a = lambda/mu.
double erlang_c(int c, double a) {
  double term = 1, sum = 0;  // a^k / k!
  for (int k = 0; k < c; ++k) {
    sum += term;
    term *= a / (k + 1);
  }
  const double top = term * c / (c - a);
  return top / (sum + top);
}

TEST(ErlangC, MatchesKnownValues) {
  // One server: P(wait) is the utilisation.
  EXPECT_NEAR(erlang_c(1, 0.5), 0.5, 1e-12);
  // Two servers at a = 1: 1/3.
  EXPECT_NEAR(erlang_c(2, 1.0), 1.0 / 3.0, 1e-12);
}

// Poisson arrivals at rate lambda, exponential service of mean 1/mu (the request latency; no
// other latency), c = maxPoolSize connections, no timeouts. Over 150,000 requests the measured
// probability of waiting and mean wait must lie within 6% and 12% of Erlang C's. Those are three
// standard deviations of the run-to-run error measured over ten other seeds while writing this
// test (about 2% and 4% at c = 20, rho = 0.85; under 1% and 2% at c = 3, rho = 0.7), with errors
// of both signs: the model shows no bias, only sampling noise.
void check_against_erlang_c(int c, double utilisation, std::uint64_t seed) {
  const double service_ms = 10;
  const double lambda_per_ms = utilisation * c / service_ms;
  StorageConfig config = instant_storage();
  config.request_latency =
      LatencyConfig{.mean_ms = service_ms, .stddev_ms = 0, .shape = LatencyShape::kExponential};
  config.max_pool_size = c;
  config.min_pool_size = c;
  config.wait_queue_timeout_ns = INT64_MAX;
  config.socket_timeout_ns = seconds(1'000'000);
  config.indexes.clear();
  StorageWorld world(config, seed, TraceMode::kOff);
  world.server.preload(document("d"));
  StoreClient client(world.server, "api");

  constexpr int kRequests = 150'000;
  world.sim.spawn("arrivals", [&] {
    RandomStream gaps = world.sim.stream("arrivals");
    for (int i = 0; i < kRequests; ++i) {
      world.sim.sleep_for(millis_f(gaps.exponential(1 / lambda_per_ms)));
      world.sim.spawn("request", [&] { (void)client.find_by_id("d"); });
    }
  });
  world.sim.run();

  const PoolStats& pool = world.server.pool_stats();
  ASSERT_EQ(pool.acquisitions, static_cast<std::uint64_t>(kRequests));
  const double a = lambda_per_ms * service_ms;
  const double p_wait = erlang_c(c, a);
  const double mean_wait_ms = p_wait / (c / service_ms - lambda_per_ms);
  const double measured_p = static_cast<double>(pool.waited) / kRequests;
  const double measured_wait_ms = to_millis(pool.wait_ns_total) / kRequests;
  EXPECT_NEAR(measured_p, p_wait, 0.06 * p_wait) << "c=" << c << " rho=" << utilisation;
  EXPECT_NEAR(measured_wait_ms, mean_wait_ms, 0.12 * mean_wait_ms)
      << "c=" << c << " rho=" << utilisation;
}

TEST(StoragePool, MatchesErlangCWithTheSeedsPoolSize) {
  check_against_erlang_c(/*c=*/20, /*utilisation=*/0.85, /*seed=*/1);
}

TEST(StoragePool, MatchesErlangCWithAFewConnections) {
  check_against_erlang_c(/*c=*/3, /*utilisation=*/0.7, /*seed=*/2);
}

TEST(StoragePool, WaitQueueTimeoutGivesPoolTimeout) {
  StorageConfig config = instant_storage();
  config.request_latency = LatencyConfig{.mean_ms = 1000, .stddev_ms = 0};
  config.max_pool_size = 1;
  config.min_pool_size = 1;
  config.wait_queue_timeout_ns = millis(100);
  StorageWorld world(config);
  world.server.preload(document("d"));
  StoreClient client(world.server, "api");
  std::vector<ErrorClass> errors;
  for (int i = 0; i < 2; ++i) {
    world.sim.spawn("request", [&] {
      auto r = client.find_by_id("d");
      errors.push_back(r.ok() ? ErrorClass::kNone : r.error_class());
    });
  }
  world.sim.run();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], ErrorClass::kPoolTimeout);
  EXPECT_EQ(errors[1], ErrorClass::kNone);
  EXPECT_EQ(world.probes.count("storage.pool_wait_timeout"), 1u);
}

TEST(StoragePool, IdleConnectionsCloseDownToMinPoolSizeAndNewOnesCostAHandshake) {
  StorageConfig config = instant_storage();
  config.request_latency = LatencyConfig{.mean_ms = 100, .stddev_ms = 0};
  config.connect_latency = LatencyConfig{.mean_ms = 7, .stddev_ms = 0};
  config.max_pool_size = 6;
  config.min_pool_size = 2;
  config.max_idle_time_ns = seconds(30);
  StorageWorld world(config);
  world.server.preload(document("d"));
  StoreClient client(world.server, "api");
  std::vector<Nanos> took;
  auto burst = [&](Nanos at) {
    for (int i = 0; i < 6; ++i) {
      world.sim.spawn("request", [&, at] {
        world.sim.sleep_for(at);
        const Nanos start = world.sim.now();
        (void)client.find_by_id("d");
        took.push_back(world.sim.now() - start);
      });
    }
  };
  burst(0);
  burst(seconds(60));
  world.sim.run();

  // Each burst: two requests find an open connection, four open one (7 ms more).
  ASSERT_EQ(took.size(), 12u);
  const auto with_handshake = std::count(took.begin(), took.end(), millis(107));
  const auto without = std::count(took.begin(), took.end(), millis(100));
  EXPECT_EQ(with_handshake, 8);
  EXPECT_EQ(without, 4);
  const PoolStats& pool = world.server.pool_stats();
  EXPECT_EQ(pool.connections_opened, 2u + 4u + 4u);
  EXPECT_EQ(pool.connections_closed, 4u);
  EXPECT_EQ(pool.max_in_use, 6);
}

// --- TTL -----------------------------------------------------------------------------------------

TEST(StorageTtl, ExpiredDocumentDisappearsWithinOneMonitorPeriod) {
  StorageConfig config = instant_storage();
  config.ttl_monitor_period_ns = seconds(60);
  StorageWorld world(config);
  // Leases ending at various instants; expireAfterSeconds is 30 in the seed's schema.
  const std::vector<Nanos> lock_ends = {seconds(1),  seconds(29),  millis(30'500),
                                        seconds(95), seconds(150), seconds(179)};
  for (std::size_t i = 0; i < lock_ends.size(); ++i) {
    DeliveryTracking doc = document("d" + std::to_string(i));
    doc.operation_lock_ns = lock_ends[i];
    doc.lock_owner = "handler";
    world.server.preload(doc);
  }
  world.server.preload(document("unlocked"));
  world.server.start();
  // The monitor is a daemon that never stops, so the run is bounded in time.
  world.sim.run(seconds(400));

  ASSERT_EQ(world.history.document_events().size(), lock_ends.size());
  for (const DocumentEvent& e : world.history.document_events()) {
    EXPECT_EQ(e.kind, DocumentEventKind::kDeletedByTtl);
    const std::size_t i = std::stoul(e.delivery_id.substr(1));
    const Nanos expired = lock_ends[i] + seconds(30);
    EXPECT_GE(e.time_ns, expired) << e.delivery_id;
    EXPECT_LT(e.time_ns, expired + config.ttl_monitor_period_ns) << e.delivery_id;
  }
  EXPECT_EQ(world.server.documents().count("unlocked"), 1u);
}

// --- Faults --------------------------------------------------------------------------------------

model::Filter by_id(const std::string& id) {
  model::Filter filter;
  filter.delivery_id = id;
  return filter;
}

model::Update set_status(model::DeliveryStatus status, const std::string& operation_id) {
  model::Update update;
  DeliveryTracking fields = document("ignored");
  fields.status = status;
  update.set_fields = fields;
  update.increment_version = true;
  update.operation_id = operation_id;
  return update;
}

TEST(StorageFaults, AStallLongerThanTheSocketTimeoutAppliesAfterTheClientGaveUp) {
  StorageConfig config = instant_storage();
  config.stall_rate = 1;
  config.stall_latency = LatencyConfig{.mean_ms = 20'000, .stddev_ms = 0};
  config.socket_timeout_ns = seconds(10);
  StorageWorld world(config);
  world.server.preload(document("d"));
  StoreClient client(world.server, "api");
  std::optional<ErrorClass> error;
  Nanos answered = 0;
  world.sim.spawn("writer", [&] {
    auto r =
        client.update_one(by_id("d"), set_status(model::DeliveryStatus::kHeadingToPickup, "w"));
    error = r.ok() ? ErrorClass::kNone : r.error_class();
    answered = world.sim.now();
  });
  world.sim.run();
  EXPECT_EQ(error, ErrorClass::kNetworkTimeout);
  EXPECT_EQ(answered, seconds(10));
  ASSERT_EQ(world.history.commits().size(), 1u);
  EXPECT_EQ(world.history.commits()[0].time_ns, seconds(20));
  EXPECT_EQ(world.probes.count("storage.applied_after_client_timeout"), 1u);
  EXPECT_EQ(world.log.count("storage_stall"), 1u);
  // The connection that timed out was closed, and the driver reopened one to keep minPoolSize.
  EXPECT_EQ(world.server.pool_stats().connections_closed, 1u);
}

TEST(StorageFaults, ALostReplyLeavesTheWriteAppliedAndTheCallerUnsure) {
  StorageConfig config = instant_storage();
  config.reply_lost_rate = 1;
  StorageWorld world(config);
  world.server.preload(document("d"));
  StoreClient client(world.server, "api");
  std::optional<ErrorClass> error;
  world.sim.spawn("writer", [&] {
    auto r =
        client.update_one(by_id("d"), set_status(model::DeliveryStatus::kHeadingToPickup, "w"));
    error = r.ok() ? ErrorClass::kNone : r.error_class();
  });
  world.sim.run();
  EXPECT_EQ(error, ErrorClass::kNetworkTimeout);
  EXPECT_EQ(world.history.commits().size(), 1u);
  EXPECT_EQ(world.probes.count("storage.applied_reply_lost"), 1u);
  ASSERT_EQ(world.history.faults().size(), 1u);
  EXPECT_EQ(world.history.faults()[0].kind, "reply_lost");
}

TEST(StorageFaults, FailoverWindowAndStallWindowAndServerErrorBurst) {
  StorageConfig config = instant_storage();
  config.request_latency = LatencyConfig{.mean_ms = 1, .stddev_ms = 0};
  StorageWorld world(config);
  world.server.preload(document("d"));
  world.server.add_unavailable_window(seconds(1), seconds(2));
  world.timeline.add(Burst::kStall, BurstWindow{seconds(3), seconds(4), "d", 1});
  world.timeline.add(Burst::kServerErrors, BurstWindow{seconds(5), seconds(6), "*", 1});
  StoreClient client(world.server, "api");
  std::vector<std::pair<Nanos, ErrorClass>> results;  // (answered at, error)
  world.sim.spawn("reader", [&] {
    for (Nanos at : {millis(500), millis(1500), millis(3500), millis(5500), millis(6500)}) {
      world.sim.sleep_for(at - world.sim.now());
      auto r = client.find_by_id("d");
      results.emplace_back(world.sim.now(), r.ok() ? ErrorClass::kNone : r.error_class());
    }
  });
  world.sim.run();
  const std::vector<std::pair<Nanos, ErrorClass>> expected = {
      {millis(501), ErrorClass::kNone},
      {millis(1501), ErrorClass::kServerError},
      {seconds(4), ErrorClass::kNone},  // held until the stall window ended
      {millis(5501), ErrorClass::kServerError},
      {millis(6501), ErrorClass::kNone}};
  EXPECT_EQ(results, expected);
  EXPECT_EQ(world.log.count("storage_failover_rejected"), 1u);
  EXPECT_EQ(world.log.count("storage_stall"), 1u);
  EXPECT_EQ(world.log.count("server_error"), 1u);
}

// --- Upserts -------------------------------------------------------------------------------------

struct UpsertRace {
  std::vector<ErrorClass> errors;
  std::size_t documents = 0;
  std::size_t duplicates = 0;
  std::uint64_t retried = 0;
};

UpsertRace race_two_upserts(bool unique_index, bool retries) {
  StorageConfig config = instant_storage();
  config.update_latency = LatencyConfig{.mean_ms = 1, .stddev_ms = 0};
  config.upsert_gap = LatencyConfig{.mean_ms = 5, .stddev_ms = 0};
  config.unique_delivery_index = unique_index;
  config.upsert_retries_duplicate_key = retries;
  StorageWorld world(config);
  StoreClient client(world.server, "api");
  UpsertRace race;
  for (int i = 0; i < 2; ++i) {
    world.sim.spawn("upsert", [&, i] {
      world.sim.sleep_for(millis(i));  // the second starts inside the first one's gap
      auto r = client.upsert(by_id("new"),
                             set_status(model::DeliveryStatus::kAssigned, "u" + std::to_string(i)));
      race.errors.push_back(r.ok() ? ErrorClass::kNone : r.error_class());
    });
  }
  world.sim.run();
  race.documents = world.server.documents().size();
  race.duplicates = world.server.duplicate_documents().size();
  race.retried = world.probes.count("storage.upsert_duplicate_key_retried");
  return race;
}

TEST(StorageUpsert, WithoutAUniqueIndexRacingUpsertsInsertTwice) {
  const UpsertRace race = race_two_upserts(/*unique_index=*/false, /*retries=*/true);
  EXPECT_EQ(race.errors, (std::vector<ErrorClass>{ErrorClass::kNone, ErrorClass::kNone}));
  EXPECT_EQ(race.documents, 1u);
  EXPECT_EQ(race.duplicates, 1u);
}

TEST(StorageUpsert, AUniqueIndexTurnsTheRaceIntoDuplicateKey) {
  const UpsertRace race = race_two_upserts(/*unique_index=*/true, /*retries=*/false);
  EXPECT_EQ(race.errors, (std::vector<ErrorClass>{ErrorClass::kNone, ErrorClass::kDuplicateKey}));
  EXPECT_EQ(race.duplicates, 0u);
}

TEST(StorageUpsert, TheServerRetriesDuplicateKeyAsAnUpdate) {
  const UpsertRace race = race_two_upserts(/*unique_index=*/true, /*retries=*/true);
  EXPECT_EQ(race.errors, (std::vector<ErrorClass>{ErrorClass::kNone, ErrorClass::kNone}));
  EXPECT_EQ(race.duplicates, 0u);
  EXPECT_EQ(race.retried, 1u);
}

TEST(StorageUpsert, AnExistingDocumentIsUpdated) {
  StorageWorld world(instant_storage());
  world.server.preload(document("d"));
  StoreClient client(world.server, "api");
  std::optional<std::int64_t> version;
  world.sim.spawn("upsert", [&] {
    auto r = client.upsert(by_id("d"), set_status(model::DeliveryStatus::kHeadingToPickup, "u"));
    if (r.ok()) version = r.value().version;
  });
  world.sim.run();
  EXPECT_EQ(version, 1);
  EXPECT_EQ(world.server.documents().at("d").status, model::DeliveryStatus::kHeadingToPickup);
}

// --- Saves ---------------------------------------------------------------------------------------

TEST(StorageSave, ASecondSaveOfAnInstanceWhileTheFirstIsPendingIsAParallelSaveError) {
  StorageConfig config = instant_storage();
  config.save_latency = LatencyConfig{.mean_ms = 10, .stddev_ms = 0};
  StorageWorld world(config);
  world.server.preload(document("d"));
  StoreClient client(world.server, "api");
  model::DocumentInstance instance;
  std::vector<ErrorClass> errors;
  world.sim.spawn("load", [&] {
    instance = client.load_instance("d").value();
    for (int i = 0; i < 2; ++i) {
      world.sim.spawn("save", [&] {
        auto r = client.save(instance);
        errors.push_back(r.ok() ? ErrorClass::kNone : r.error_class());
      });
    }
  });
  world.sim.run();
  EXPECT_EQ(errors, (std::vector<ErrorClass>{ErrorClass::kParallelSaveError, ErrorClass::kNone}));
  EXPECT_EQ(instance.doc.version, 1);
}

TEST(StorageSave, AVersionedSaveOfAnInstanceLoadedBeforeAnotherSaveGetsAVersionError) {
  StorageWorld world(instant_storage());
  world.server.preload(document("d"));
  StoreClient client(world.server, "api");
  std::vector<ErrorClass> errors;
  world.sim.spawn("two instances", [&] {
    model::DocumentInstance first = client.load_instance("d").value();
    model::DocumentInstance second = client.load_instance("d").value();
    first.doc.status = model::DeliveryStatus::kHeadingToPickup;
    second.doc.status = model::DeliveryStatus::kCancelled;
    first.versioned = second.versioned = true;  // as when a save touches an array
    for (model::DocumentInstance* instance : {&first, &second}) {
      auto r = client.save(*instance);
      errors.push_back(r.ok() ? ErrorClass::kNone : r.error_class());
    }
  });
  world.sim.run();
  // The second was read at the version the first save moved on from.
  EXPECT_EQ(errors, (std::vector<ErrorClass>{ErrorClass::kNone, ErrorClass::kVersionError}));
  EXPECT_EQ(world.server.documents().at("d").status, model::DeliveryStatus::kHeadingToPickup);
}

// A save that fails validation leaves the instance's parallel-save guard set, as Mongoose 6-7
// did: every later save of that instance is a ParallelSaveError, though none is in flight.
TEST(StorageSave, AFailedValidationCanLeaveTheGuardBehind) {
  for (const bool leaves_guard : {true, false}) {
    StorageConfig config = instant_storage();
    config.validation_leaves_guard = leaves_guard;
    StorageWorld world(config);
    world.server.preload(document("d"));
    StoreClient client(world.server, "api");
    std::vector<ErrorClass> errors;
    world.sim.spawn("save", [&] {
      model::DocumentInstance instance = client.load_instance("d").value();
      instance.doc.driver_id.clear();  // fails schema validation
      auto r = client.save(instance);
      errors.push_back(r.ok() ? ErrorClass::kNone : r.error_class());
      instance.doc.driver_id = "driver-1";
      r = client.save(instance);
      errors.push_back(r.ok() ? ErrorClass::kNone : r.error_class());
    });
    world.sim.run();
    const ErrorClass second = leaves_guard ? ErrorClass::kParallelSaveError : ErrorClass::kNone;
    EXPECT_EQ(errors, (std::vector<ErrorClass>{ErrorClass::kValidationError, second}))
        << "validation_leaves_guard = " << leaves_guard;
  }
}

}  // namespace
}  // namespace tracksim::sim

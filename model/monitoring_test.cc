// Counters, the seed's metrics and alert thresholds, health, report, cleanup, and the backend's
// recording of each request.
#include "model/monitoring.h"

#include <gtest/gtest.h>

#include "model/backend.h"
#include "model/testing/in_memory_store.h"

namespace tracksim::model {
namespace {

using K = OperationKind;
using E = ErrorClass;

class MonitoringTest : public ::testing::Test {
 protected:
  testing::FakeClock clock{seconds(100)};
};

TEST_F(MonitoringTest, CountsPerOperationAndErrorClass) {
  Monitoring m(clock);
  m.record(K::kUpdateLocation, E::kNone, millis(100), 1);
  m.record(K::kUpdateLocation, E::kNone, millis(300), 2);
  m.record(K::kUpdateStatus, E::kInvalidTransition, millis(50), 1);
  m.record(K::kUpdateStatus, E::kLockTimeout, seconds(3), 3);

  EXPECT_EQ(m.totals().requests, 4);
  EXPECT_EQ(m.totals().successes, 2);
  EXPECT_EQ(m.totals().retried_requests, 2);
  EXPECT_EQ(m.totals().extra_attempts, 3);
  EXPECT_EQ(m.totals(K::kUpdateLocation).requests, 2);
  EXPECT_EQ(m.totals(K::kUpdateStatus).by_error_class[static_cast<int>(E::kLockTimeout)], 1);
  EXPECT_EQ(m.totals(K::kCompleteDelivery).requests, 0);
  EXPECT_EQ(m.latency(E::kNone).total, 2);
  EXPECT_EQ(m.latency(E::kNone).sum_ns, millis(400));
  EXPECT_EQ(m.latency(E::kLockTimeout).max_ns, seconds(3));
}

TEST_F(MonitoringTest, SeedMetrics) {
  Monitoring m(clock);
  for (int i = 0; i < 7; ++i)
    m.record(K::kUpdateLocation, E::kNone, millis(200), 1);
  m.record(K::kUpdateLocation, E::kParallelSaveError, millis(400), 1);
  m.record(K::kUpdateStatus, E::kLockTimeout, millis(400), 3);
  m.record(K::kUpdateStatus, E::kNone, millis(400), 2);

  const Metrics w = m.metrics();
  EXPECT_EQ(w.requests, 10);
  EXPECT_DOUBLE_EQ(w.parallel_save_error_rate, 0.1);
  EXPECT_DOUBLE_EQ(w.success_rate, 0.8);
  EXPECT_DOUBLE_EQ(w.error_rate, 0.2);
  EXPECT_DOUBLE_EQ(w.average_response_time_ms, 260);
  EXPECT_DOUBLE_EQ(w.retry_rate, 0.2);
  EXPECT_DOUBLE_EQ(w.lock_timeout_rate, 0.1);
  EXPECT_EQ(w.parallel_save_errors, 1);
}

TEST_F(MonitoringTest, EmptyMonitoringIsHealthy) {
  Monitoring m(clock);
  EXPECT_EQ(m.metrics().requests, 0);
  EXPECT_DOUBLE_EQ(m.metrics().success_rate, 1);
  EXPECT_EQ(m.health().status, "healthy");
  EXPECT_TRUE(m.health().is_healthy);
}

TEST_F(MonitoringTest, ParallelSaveErrorIsACriticalAlertAtOnce) {
  Monitoring m(clock);
  std::vector<Alert> seen;
  m.on_alert([&](const Alert& a) { seen.push_back(a); });
  for (int i = 0; i < 100; ++i)
    m.record(K::kUpdateLocation, E::kNone, millis(10), 1);
  EXPECT_TRUE(seen.empty());

  m.record(K::kUpdateLocation, E::kParallelSaveError, millis(10), 1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].rule, AlertRule::kParallelSaveErrorDetected);
  EXPECT_EQ(seen[0].severity, AlertSeverity::kCritical);
  EXPECT_EQ(seen[0].time_ns, clock.now());
  EXPECT_EQ(m.health().status, "unhealthy");
  EXPECT_FALSE(m.health().is_healthy);

  // It stays active without firing again.
  m.record(K::kUpdateLocation, E::kParallelSaveError, millis(10), 1);
  EXPECT_EQ(seen.size(), 1u);
  EXPECT_TRUE(m.is_active(AlertRule::kParallelSaveErrorDetected));
}

TEST_F(MonitoringTest, ErrorRateAboveFivePercentIsHigh) {
  Monitoring m(clock);
  for (int i = 0; i < 95; ++i)
    m.record(K::kUpdateLocation, E::kNone, millis(10), 1);
  for (int i = 0; i < 5; ++i)
    m.record(K::kUpdateLocation, E::kServerError, millis(10), 1);
  EXPECT_FALSE(m.is_active(AlertRule::kHighErrorRate));  // exactly 5 % is not above
  m.record(K::kUpdateLocation, E::kServerError, millis(10), 1);
  EXPECT_TRUE(m.is_active(AlertRule::kHighErrorRate));
  ASSERT_FALSE(m.alert_log().empty());
  EXPECT_EQ(m.alert_log().back().severity, AlertSeverity::kHigh);
}

TEST_F(MonitoringTest, MeanResponseAboveFiveSecondsIsMedium) {
  Monitoring m(clock);
  m.record(K::kUpdateStatus, E::kNone, seconds(5), 1);
  EXPECT_FALSE(m.is_active(AlertRule::kSlowResponse));
  m.record(K::kUpdateStatus, E::kNone, seconds(6), 1);
  EXPECT_TRUE(m.is_active(AlertRule::kSlowResponse));
  EXPECT_EQ(m.alert_log().back().severity, AlertSeverity::kMedium);
  EXPECT_EQ(m.health().status, "degraded");
}

TEST_F(MonitoringTest, RetryRateAboveTenPercentIsLow) {
  Monitoring m(clock);
  for (int i = 0; i < 9; ++i)
    m.record(K::kUpdateLocation, E::kNone, millis(10), 1);
  m.record(K::kUpdateLocation, E::kNone, millis(10), 2);
  EXPECT_FALSE(m.is_active(AlertRule::kHighRetryRate));
  m.record(K::kUpdateLocation, E::kNone, millis(10), 2);
  EXPECT_TRUE(m.is_active(AlertRule::kHighRetryRate));
  EXPECT_EQ(m.alert_log().back().severity, AlertSeverity::kLow);
}

TEST_F(MonitoringTest, RateRulesCanWaitForEnoughRequests) {
  Monitoring m(clock, MonitoringConfig{.min_requests_for_rates = 20});
  m.record(K::kUpdateLocation, E::kServerError, millis(10), 2);
  EXPECT_FALSE(m.is_active(AlertRule::kHighErrorRate));
  EXPECT_FALSE(m.is_active(AlertRule::kHighRetryRate));
}

TEST_F(MonitoringTest, WindowForgetsOldSamplesButTotalsDoNot) {
  MonitoringConfig config;
  config.window_ns = seconds(60);
  config.cleanup_interval_ns = seconds(30);
  Monitoring m(clock, config);
  m.record(K::kUpdateLocation, E::kParallelSaveError, millis(10), 1);
  EXPECT_EQ(m.health().status, "unhealthy");

  clock.advance(seconds(61));
  EXPECT_EQ(m.metrics().requests, 0);  // out of the window even before cleanup
  EXPECT_EQ(m.retained_samples(), 1u);
  EXPECT_EQ(m.health().status, "healthy");

  m.record(K::kUpdateLocation, E::kNone, millis(10), 1);  // cleanup is due
  EXPECT_EQ(m.retained_samples(), 1u);
  EXPECT_EQ(m.totals().requests, 2);
  EXPECT_EQ(m.cumulative_metrics().parallel_save_errors, 1);
  EXPECT_FALSE(m.is_active(AlertRule::kParallelSaveErrorDetected));
}

TEST_F(MonitoringTest, CleanupKeepsSamplesInsideTheWindow) {
  Monitoring m(clock, MonitoringConfig{.window_ns = seconds(10)});
  m.record(K::kUpdateLocation, E::kNone, millis(10), 1);
  clock.advance(seconds(5));
  m.record(K::kUpdateLocation, E::kNone, millis(10), 1);
  clock.advance(seconds(6));
  EXPECT_EQ(m.cleanup_old_data(), 1);
  EXPECT_EQ(m.retained_samples(), 1u);
  EXPECT_EQ(m.metrics().requests, 1);
}

TEST(LatencyHistogram, QuantilesAreBucketUpperBounds) {
  LatencyHistogram h;
  EXPECT_EQ(h.quantile_upper_bound_ns(0.5), 0);
  for (int i = 0; i < 90; ++i)
    h.add(millis(3));
  for (int i = 0; i < 10; ++i)
    h.add(millis(150));
  EXPECT_EQ(h.quantile_upper_bound_ns(0.5), millis(5));  // the 2-5 ms bucket
  EXPECT_EQ(h.quantile_upper_bound_ns(0.95), millis(150));
  h.add(seconds(120));
  EXPECT_EQ(h.quantile_upper_bound_ns(1.0), seconds(120));
  EXPECT_EQ(h.counts.back(), 1);
}

TEST_F(MonitoringTest, HealthJsonHasTheSeedsShape) {
  Monitoring m(clock);
  for (int i = 0; i < 49; ++i)
    m.record(K::kUpdateLocation, E::kNone, millis(345), 1);
  m.record(K::kUpdateLocation, E::kNetworkTimeout, millis(345), 1);
  const auto h = m.health();
  EXPECT_EQ(to_json(h),
            "{\"status\":\"healthy\",\"metrics\":{\"parallelSaveErrorRate\":0,"
            "\"successRate\":0.98,\"averageResponseTime\":345,\"isHealthy\":true}}");
}

TEST_F(MonitoringTest, ReportNamesTheFigures) {
  Monitoring m(clock);
  m.record(K::kUpdateStatus, E::kParallelSaveError, millis(20), 1);
  const std::string r = m.report();
  EXPECT_NE(r.find("status: unhealthy"), std::string::npos);
  EXPECT_NE(r.find("ParallelSaveError: 1"), std::string::npos);
  EXPECT_NE(r.find("parallel_save_error_detected"), std::string::npos);
  EXPECT_NE(r.find("updateStatus: 1 requests"), std::string::npos);
}

TEST(MonitoringInBackend, EachRequestIsRecordedWithItsResponseTime) {
  testing::TestWorld world;
  world.store.put(testing::make_delivery("d1", world.clock.now()));
  world.store.before_call = [&](testing::StoreCall, const std::string&) {
    world.clock.advance(millis(7));
  };
  Monitoring monitoring(world.clock);
  BackendPorts ports = world.ports();
  ports.monitoring = &monitoring;
  auto backend = make_backend(BackendConfig{}, ports);

  ApiRequest r;
  r.kind = OperationKind::kUpdateStatus;
  r.delivery_id = "d1";
  r.operation_id = "op-1";
  r.status = DeliveryStatus::kHeadingToPickup;
  ASSERT_TRUE(backend->handle(r).success);
  r.operation_id = "op-2";
  r.status = DeliveryStatus::kDelivered;
  ASSERT_FALSE(backend->handle(r).success);

  EXPECT_EQ(monitoring.totals().requests, 2);
  EXPECT_EQ(monitoring.totals(K::kUpdateStatus).successes, 1);
  EXPECT_EQ(monitoring.latency(E::kNone).sum_ns, millis(14));  // acquire + commit
  EXPECT_EQ(monitoring.latency(E::kInvalidTransition).total, 1);
}

TEST(MonitoringInBackend, DisabledMonitoringRecordsNothing) {
  testing::TestWorld world;
  world.store.put(testing::make_delivery("d1", world.clock.now()));
  Monitoring monitoring(world.clock);
  BackendPorts ports = world.ports();
  ports.monitoring = &monitoring;
  BackendConfig config;
  config.atomic.monitoring_enabled = false;
  auto backend = make_backend(config, ports);
  ApiRequest r;
  r.delivery_id = "d1";
  r.operation_id = "op-1";
  r.locations = {Location{.lat = 1, .lng = 1, .accuracy_m = 1, .device_time_ns = 1}};
  ASSERT_TRUE(backend->handle(r).success);
  EXPECT_EQ(monitoring.totals().requests, 0);
}

}  // namespace
}  // namespace tracksim::model

// Delivery monitoring: what the backend's monitoring middleware counts, derives, and alerts on.
//
// Every handled request is recorded with its operation kind, error class (kNone for success),
// response time and number of store attempts, at the injected clock's time of completion. From
// these the seed's metrics are derived:
//   parallelSaveErrorRate  requests that failed with ParallelSaveError / requests
//   successRate            requests that succeeded / requests
//   averageResponseTime    mean response time, in milliseconds
//   retryRate              requests that needed more than one attempt / requests
//   lockTimeoutRate        requests that failed with LockTimeout / requests
// and the seed's alert rules, each with its severity:
//   ParallelSaveError detected   critical   (any in the window)
//   error rate > 5 %             high
//   response time > 5 s          medium     (mean over the window)
//   retry rate > 10 %            low
//
// Two views: cumulative counters and latency histograms, per operation kind and per error class,
// which are never cleaned and equal what a history of the run would count; and a sliding window
// (default one hour, ending now) of individual samples, over which the metrics, alerts and health
// are computed. The window is applied when a figure is asked for, so when cleanup runs changes
// memory, never a figure. Cleanup of samples older than the window runs on its own every
// cleanup_interval (the seed's five minutes) of clock time, checked as requests are recorded,
// and may also be called directly.
//
// Alerts fire when a rule becomes true (not again while it stays true), to every registered
// callback, and are kept in a log. Nothing here reads a real clock or a random source.
//
// Left out: export to an external monitoring system; per-delivery breakdowns.
// TODO(monitoring-alerts): rules are evaluated when a request is recorded, so after traffic
// stops an alert stays in is_active() until the next request; health() is always current.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "model/api.h"
#include "model/errors.h"
#include "model/ports.h"

namespace tracksim::model {

enum class AlertSeverity : unsigned char { kLow, kMedium, kHigh, kCritical };
std::string_view to_string(AlertSeverity s);

enum class AlertRule : unsigned char {
  kParallelSaveErrorDetected,
  kHighErrorRate,
  kSlowResponse,
  kHighRetryRate,
};
inline constexpr int kAlertRuleCount = 4;
// "parallel_save_error_detected", "high_error_rate", "slow_response", "high_retry_rate".
std::string_view to_string(AlertRule r);

struct Alert {
  AlertRule rule = AlertRule::kParallelSaveErrorDetected;
  AlertSeverity severity = AlertSeverity::kLow;
  Nanos time_ns = 0;
  // The metric's value and the threshold it crossed (a count for ParallelSaveError, a rate in
  // [0, 1] for rates, milliseconds for response time).
  double value = 0;
  double threshold = 0;
  std::string message;
};

struct MonitoringConfig {
  Nanos window_ns = seconds(3'600);
  // The seed's setInterval(cleanupOldData, 300000).
  Nanos cleanup_interval_ns = seconds(300);
  double error_rate_threshold = 0.05;
  Nanos response_time_threshold_ns = seconds(5);
  double retry_rate_threshold = 0.10;
  // Rate rules wait for this many requests in the window, so one early failure is not a 100 %
  // error rate. The seed states no minimum; 1 applies its thresholds literally.
  int min_requests_for_rates = 1;
  // The seed's "key metrics" targets, which decide isHealthy.
  double healthy_success_rate_min = 0.95;
  Nanos healthy_response_time_max_ns = seconds(1);
  double healthy_lock_timeout_rate_max = 0.01;
};

// Request counts and latencies for one slice (an operation kind, an error class, or everything).
struct LatencyHistogram {
  // Upper bounds of the buckets, in nanoseconds; the last bucket is unbounded.
  static const std::array<Nanos, 16>& bounds_ns();

  void add(Nanos duration_ns);
  // An upper bound for the q-quantile (0 < q <= 1): the bound of the bucket holding it; the
  // largest sample seen when it falls in the unbounded bucket; 0 when empty.
  Nanos quantile_upper_bound_ns(double q) const;

  std::array<std::int64_t, 17> counts{};
  std::int64_t total = 0;
  Nanos sum_ns = 0;
  Nanos max_ns = 0;
};

struct Counters {
  std::int64_t requests = 0;
  std::int64_t successes = 0;
  // Requests that needed more than one store attempt, and all attempts beyond the first.
  std::int64_t retried_requests = 0;
  std::int64_t extra_attempts = 0;
  std::array<std::int64_t, kErrorClassCount> by_error_class{};
  LatencyHistogram latency;
};

struct Metrics {
  std::int64_t requests = 0;
  double parallel_save_error_rate = 0;
  double success_rate = 0;
  double error_rate = 0;
  double average_response_time_ms = 0;
  double retry_rate = 0;
  double lock_timeout_rate = 0;
  std::int64_t parallel_save_errors = 0;
};

// The seed's GET /api/delivery/health body.
struct HealthSnapshot {
  std::string status;  // "healthy", "degraded" or "unhealthy"
  double parallel_save_error_rate = 0;
  double success_rate = 0;
  double average_response_time_ms = 0;
  bool is_healthy = false;
  std::vector<AlertRule> active_alerts;
};
// {"status":"healthy","metrics":{"parallelSaveErrorRate":0,"successRate":0.98,
//  "averageResponseTime":345,"isHealthy":true}} with numbers printed by "%.6g".
std::string to_json(const HealthSnapshot& h);

class Monitoring {
 public:
  // The clock must outlive the monitoring.
  explicit Monitoring(const Clock& clock, MonitoringConfig config = {});

  // Records one handled request completed now; evaluates the alert rules; runs cleanup when
  // cleanup_interval has passed since the last one.
  void record(OperationKind kind, ErrorClass error_class, Nanos response_time_ns, int attempts);

  void on_alert(std::function<void(const Alert&)> callback);

  // Cumulative, never cleaned.
  const Counters& totals() const { return totals_; }
  const Counters& totals(OperationKind kind) const;
  // Latency of the requests that ended with this class (kNone: successes).
  const LatencyHistogram& latency(ErrorClass c) const;

  // Over the window ending now.
  Metrics metrics() const;
  // Over everything recorded.
  Metrics cumulative_metrics() const;
  HealthSnapshot health() const;
  bool is_active(AlertRule rule) const;
  const std::vector<Alert>& alert_log() const { return alert_log_; }

  // A plain-text report: totals, the metrics, latency quantiles, active alerts.
  std::string report() const;

  // Drops samples that have left the window; returns how many.
  int cleanup_old_data();
  std::size_t retained_samples() const { return samples_.size(); }

 private:
  struct Sample {
    Nanos completed_ns;
    Nanos response_time_ns;
    OperationKind kind;
    ErrorClass error_class;
    int attempts;
  };

  Metrics window_metrics(Nanos now_ns) const;
  void evaluate_alerts(Nanos now_ns);
  std::array<bool, kAlertRuleCount> rules_holding(const Metrics& m) const;

  const Clock& clock_;
  MonitoringConfig config_;
  Counters totals_;
  std::array<Counters, kOperationKindCount> by_kind_{};
  std::array<LatencyHistogram, kErrorClassCount> latency_by_class_{};
  std::deque<Sample> samples_;
  Nanos last_cleanup_ns_;
  std::array<bool, kAlertRuleCount> active_{};
  std::vector<Alert> alert_log_;
  std::vector<std::function<void(const Alert&)>> callbacks_;
};

}  // namespace tracksim::model

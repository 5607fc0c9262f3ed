// Counters, the sliding window, the seed's metrics, alert rules, health and report.
#include "model/monitoring.h"

#include <cmath>
#include <cstdio>
#include <utility>

#include "model/check.h"

namespace tracksim::model {
namespace {

constexpr std::array<Nanos, 16> kBounds = {
    millis(1),   millis(2),   millis(5),   millis(10),  millis(20), millis(50),
    millis(100), millis(200), millis(500), seconds(1),  seconds(2), seconds(5),
    seconds(10), seconds(20), seconds(30), seconds(60),
};

// Running sums from which Metrics are derived, for either view.
struct Tally {
  std::int64_t requests = 0;
  std::int64_t successes = 0;
  std::int64_t parallel_save_errors = 0;
  std::int64_t lock_timeouts = 0;
  std::int64_t retried = 0;
  Nanos response_time_sum_ns = 0;
};

Metrics metrics_from(const Tally& t) {
  Metrics m;
  m.requests = t.requests;
  m.parallel_save_errors = t.parallel_save_errors;
  if (t.requests == 0) {
    // Nothing has failed yet: a quiet backend is a successful one.
    m.success_rate = 1;
    return m;
  }
  const double n = static_cast<double>(t.requests);
  m.parallel_save_error_rate = static_cast<double>(t.parallel_save_errors) / n;
  m.success_rate = static_cast<double>(t.successes) / n;
  m.error_rate = static_cast<double>(t.requests - t.successes) / n;
  m.average_response_time_ms = to_millis(t.response_time_sum_ns) / n;
  m.retry_rate = static_cast<double>(t.retried) / n;
  m.lock_timeout_rate = static_cast<double>(t.lock_timeouts) / n;
  return m;
}

std::string format_number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", v);
  return buffer;
}

std::string format_line(const char* format, double a, double b = 0) {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, format, a, b);
  return buffer;
}

}  // namespace

std::string_view to_string(AlertSeverity s) {
  switch (s) {
    case AlertSeverity::kLow:
      return "low";
    case AlertSeverity::kMedium:
      return "medium";
    case AlertSeverity::kHigh:
      return "high";
    case AlertSeverity::kCritical:
      return "critical";
  }
  return "?";
}

std::string_view to_string(AlertRule r) {
  switch (r) {
    case AlertRule::kParallelSaveErrorDetected:
      return "parallel_save_error_detected";
    case AlertRule::kHighErrorRate:
      return "high_error_rate";
    case AlertRule::kSlowResponse:
      return "slow_response";
    case AlertRule::kHighRetryRate:
      return "high_retry_rate";
  }
  return "?";
}

const std::array<Nanos, 16>& LatencyHistogram::bounds_ns() {
  return kBounds;
}

void LatencyHistogram::add(Nanos duration_ns) {
  TRACKSIM_CHECK(duration_ns >= 0);
  std::size_t bucket = 0;
  while (bucket < kBounds.size() && duration_ns > kBounds[bucket])
    ++bucket;
  ++counts[bucket];
  ++total;
  sum_ns += duration_ns;
  if (duration_ns > max_ns) max_ns = duration_ns;
}

Nanos LatencyHistogram::quantile_upper_bound_ns(double q) const {
  TRACKSIM_CHECK(q > 0 && q <= 1);
  if (total == 0) return 0;
  const auto rank = static_cast<std::int64_t>(std::ceil(q * static_cast<double>(total)));
  std::int64_t seen = 0;
  for (std::size_t bucket = 0; bucket < counts.size(); ++bucket) {
    seen += counts[bucket];
    if (seen >= rank) return bucket < kBounds.size() ? std::min(kBounds[bucket], max_ns) : max_ns;
  }
  return max_ns;
}

std::string to_json(const HealthSnapshot& h) {
  return "{\"status\":\"" + h.status +
         "\",\"metrics\":{\"parallelSaveErrorRate\":" + format_number(h.parallel_save_error_rate) +
         ",\"successRate\":" + format_number(h.success_rate) +
         ",\"averageResponseTime\":" + format_number(h.average_response_time_ms) +
         ",\"isHealthy\":" + (h.is_healthy ? "true" : "false") + "}}";
}

Monitoring::Monitoring(const Clock& clock, MonitoringConfig config)
    : clock_(clock), config_(config), last_cleanup_ns_(clock.now()) {
  TRACKSIM_CHECK(config_.window_ns > 0);
  TRACKSIM_CHECK(config_.cleanup_interval_ns > 0);
  TRACKSIM_CHECK(config_.min_requests_for_rates >= 1);
}

void Monitoring::record(OperationKind kind, ErrorClass error_class, Nanos response_time_ns,
                        int attempts) {
  TRACKSIM_CHECK(response_time_ns >= 0);
  TRACKSIM_CHECK(attempts >= 0);
  const Nanos now_ns = clock_.now();
  TRACKSIM_CHECK(samples_.empty() || samples_.back().completed_ns <= now_ns);

  for (Counters* c : {&totals_, &by_kind_.at(static_cast<std::size_t>(kind))}) {
    ++c->requests;
    if (error_class == ErrorClass::kNone) ++c->successes;
    if (attempts > 1) {
      ++c->retried_requests;
      c->extra_attempts += attempts - 1;
    }
    ++c->by_error_class.at(static_cast<std::size_t>(error_class));
    c->latency.add(response_time_ns);
  }
  latency_by_class_.at(static_cast<std::size_t>(error_class)).add(response_time_ns);
  samples_.push_back(Sample{now_ns, response_time_ns, kind, error_class, attempts});

  evaluate_alerts(now_ns);
  if (now_ns - last_cleanup_ns_ >= config_.cleanup_interval_ns) cleanup_old_data();
}

void Monitoring::on_alert(std::function<void(const Alert&)> callback) {
  callbacks_.push_back(std::move(callback));
}

const Counters& Monitoring::totals(OperationKind kind) const {
  return by_kind_.at(static_cast<std::size_t>(kind));
}

const LatencyHistogram& Monitoring::latency(ErrorClass c) const {
  return latency_by_class_.at(static_cast<std::size_t>(c));
}

Metrics Monitoring::window_metrics(Nanos now_ns) const {
  Tally t;
  for (const Sample& s : samples_) {
    if (s.completed_ns <= now_ns - config_.window_ns) continue;
    ++t.requests;
    if (s.error_class == ErrorClass::kNone) ++t.successes;
    if (s.error_class == ErrorClass::kParallelSaveError) ++t.parallel_save_errors;
    if (s.error_class == ErrorClass::kLockTimeout) ++t.lock_timeouts;
    if (s.attempts > 1) ++t.retried;
    t.response_time_sum_ns += s.response_time_ns;
  }
  return metrics_from(t);
}

Metrics Monitoring::metrics() const {
  return window_metrics(clock_.now());
}

Metrics Monitoring::cumulative_metrics() const {
  Tally t;
  t.requests = totals_.requests;
  t.successes = totals_.successes;
  t.parallel_save_errors =
      totals_.by_error_class[static_cast<std::size_t>(ErrorClass::kParallelSaveError)];
  t.lock_timeouts = totals_.by_error_class[static_cast<std::size_t>(ErrorClass::kLockTimeout)];
  t.retried = totals_.retried_requests;
  t.response_time_sum_ns = totals_.latency.sum_ns;
  return metrics_from(t);
}

std::array<bool, kAlertRuleCount> Monitoring::rules_holding(const Metrics& m) const {
  const bool enough = m.requests >= config_.min_requests_for_rates;
  std::array<bool, kAlertRuleCount> holds{};
  holds[static_cast<std::size_t>(AlertRule::kParallelSaveErrorDetected)] =
      m.parallel_save_errors > 0;
  holds[static_cast<std::size_t>(AlertRule::kHighErrorRate)] =
      enough && m.error_rate > config_.error_rate_threshold;
  holds[static_cast<std::size_t>(AlertRule::kSlowResponse)] =
      m.requests > 0 && m.average_response_time_ms > to_millis(config_.response_time_threshold_ns);
  holds[static_cast<std::size_t>(AlertRule::kHighRetryRate)] =
      enough && m.retry_rate > config_.retry_rate_threshold;
  return holds;
}

void Monitoring::evaluate_alerts(Nanos now_ns) {
  const Metrics m = window_metrics(now_ns);
  const auto holds = rules_holding(m);

  for (int i = 0; i < kAlertRuleCount; ++i) {
    const auto rule = static_cast<AlertRule>(i);
    const bool was_active = active_[i];
    active_[i] = holds[i];
    if (!holds[i] || was_active) continue;

    Alert alert;
    alert.rule = rule;
    alert.time_ns = now_ns;
    switch (rule) {
      case AlertRule::kParallelSaveErrorDetected:
        alert.severity = AlertSeverity::kCritical;
        alert.value = static_cast<double>(m.parallel_save_errors);
        alert.threshold = 0;
        alert.message = "ParallelSaveError detected";
        break;
      case AlertRule::kHighErrorRate:
        alert.severity = AlertSeverity::kHigh;
        alert.value = m.error_rate;
        alert.threshold = config_.error_rate_threshold;
        alert.message = "Error rate above threshold";
        break;
      case AlertRule::kSlowResponse:
        alert.severity = AlertSeverity::kMedium;
        alert.value = m.average_response_time_ms;
        alert.threshold = to_millis(config_.response_time_threshold_ns);
        alert.message = "Average response time above threshold";
        break;
      case AlertRule::kHighRetryRate:
        alert.severity = AlertSeverity::kLow;
        alert.value = m.retry_rate;
        alert.threshold = config_.retry_rate_threshold;
        alert.message = "Retry rate above threshold";
        break;
    }
    alert_log_.push_back(alert);
    for (const auto& callback : callbacks_)
      callback(alert);
  }
}

bool Monitoring::is_active(AlertRule rule) const {
  return active_.at(static_cast<std::size_t>(rule));
}

HealthSnapshot Monitoring::health() const {
  const Metrics m = metrics();
  const auto holds = rules_holding(m);

  HealthSnapshot h;
  h.parallel_save_error_rate = m.parallel_save_error_rate;
  h.success_rate = m.success_rate;
  h.average_response_time_ms = m.average_response_time_ms;
  for (int i = 0; i < kAlertRuleCount; ++i) {
    if (holds[i]) h.active_alerts.push_back(static_cast<AlertRule>(i));
  }

  const bool severe = holds[static_cast<std::size_t>(AlertRule::kParallelSaveErrorDetected)] ||
                      holds[static_cast<std::size_t>(AlertRule::kHighErrorRate)];
  const bool targets_met =
      m.parallel_save_error_rate == 0 && m.success_rate >= config_.healthy_success_rate_min &&
      m.average_response_time_ms < to_millis(config_.healthy_response_time_max_ns) &&
      m.lock_timeout_rate <= config_.healthy_lock_timeout_rate_max;
  if (severe) {
    h.status = "unhealthy";
  } else if (!h.active_alerts.empty() || !targets_met) {
    h.status = "degraded";
  } else {
    h.status = "healthy";
  }
  h.is_healthy = h.status == "healthy";
  return h;
}

std::string Monitoring::report() const {
  const Metrics w = metrics();
  const HealthSnapshot h = health();
  std::string out = "Delivery monitoring report\n";
  out += "  status: " + h.status + "\n";
  out += "  requests (all time): " + std::to_string(totals_.requests) +
         ", in window: " + std::to_string(w.requests) + "\n";
  out += format_line("  ParallelSaveError rate: %.4f\n", w.parallel_save_error_rate);
  out += format_line("  success rate: %.4f   error rate: %.4f\n", w.success_rate, w.error_rate);
  out += format_line("  average response time: %.1f ms\n", w.average_response_time_ms);
  out += format_line("  retry rate: %.4f   lock-timeout rate: %.4f\n", w.retry_rate,
                     w.lock_timeout_rate);

  out += "  by operation (all time):\n";
  for (int k = 0; k < kOperationKindCount; ++k) {
    const Counters& c = by_kind_[k];
    out += "    " + std::string(to_string(static_cast<OperationKind>(k))) + ": " +
           std::to_string(c.requests) + " requests, " + std::to_string(c.successes) + " ok, " +
           std::to_string(c.retried_requests) + " retried";
    out += format_line(", p50 <= %.1f ms, p99 <= %.1f ms\n",
                       to_millis(c.latency.quantile_upper_bound_ns(0.5)),
                       to_millis(c.latency.quantile_upper_bound_ns(0.99)));
  }
  out += "  by error class (all time):\n";
  for (int e = 1; e < kErrorClassCount; ++e) {
    const std::int64_t n = totals_.by_error_class[e];
    if (n == 0) continue;
    out += "    " + std::string(to_string(static_cast<ErrorClass>(e))) + ": " + std::to_string(n) +
           "\n";
  }
  out += "  active alerts:";
  if (h.active_alerts.empty()) out += " none";
  for (AlertRule r : h.active_alerts)
    out += " " + std::string(to_string(r));
  out += "\n";
  return out;
}

int Monitoring::cleanup_old_data() {
  const Nanos now_ns = clock_.now();
  last_cleanup_ns_ = now_ns;
  int dropped = 0;
  // Samples are recorded in completion order, so the old ones are at the front.
  while (!samples_.empty() && samples_.front().completed_ns <= now_ns - config_.window_ns) {
    samples_.pop_front();
    ++dropped;
  }
  return dropped;
}

}  // namespace tracksim::model

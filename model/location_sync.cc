// The phone's position queue and its sender; see location_sync.h.
#include "model/location_sync.h"

#include <algorithm>

#include "model/check.h"
#include "model/client_record.h"
#include "model/probe_names.h"
#include "model/status_machine.h"

namespace tracksim::model {
namespace {

constexpr std::string_view kFormat = "location_sync";
constexpr std::int64_t kFormatVersion = 1;

Status invalid(std::string message) {
  return Error{ErrorClass::kValidationError, std::move(message)};
}

}  // namespace

std::string_view to_string(LocationPriority p) {
  return p == LocationPriority::kHigh ? "high" : "normal";
}

std::string_view to_string(FlushOutcome o) {
  switch (o) {
    case FlushOutcome::kDrained:
      return "drained";
    case FlushOutcome::kOffline:
      return "offline";
    case FlushOutcome::kStalled:
      return "stalled";
  }
  return "?";
}

Status validate_location_sync_config(const LocationSyncConfig& c) {
  if (c.sync_interval_ns <= 0) return invalid("sync interval must be positive");
  if (c.offline_poll_ns <= 0) return invalid("offline poll interval must be positive");
  if (c.request_timeout_ns <= 0) return invalid("request timeout must be positive");
  if (!(c.dedup_distance_m >= 0)) return invalid("dedup distance must not be negative");
  if (c.dedup_max_silence_ns < 0) return invalid("dedup max silence must not be negative");
  if (c.max_batch_size < 1) return invalid("max batch size must be at least 1");
  // A full queue must keep an unsent position to drop besides the batch in flight.
  if (c.offline_queue_capacity <= c.max_batch_size) {
    return invalid("offline queue capacity must exceed the max batch size");
  }
  return ok_status();
}

LocationSyncService::LocationSyncService(LocationSyncConfig config, const ClientPorts& ports,
                                         std::string device_id)
    : config_(std::move(config)), ports_(ports), device_id_(std::move(device_id)) {
  TRACKSIM_CHECK(validate_location_sync_config(config_).ok());
  TRACKSIM_CHECK(ports_.clock != nullptr);
  TRACKSIM_CHECK(ports_.sleeper != nullptr);
  TRACKSIM_CHECK(ports_.random != nullptr);
  TRACKSIM_CHECK(ports_.transport != nullptr);
  TRACKSIM_CHECK(ports_.storage != nullptr);
  TRACKSIM_CHECK(ports_.connectivity != nullptr);
  TRACKSIM_CHECK(ports_.signals != nullptr);
  TRACKSIM_CHECK(!device_id_.empty());
  load();
}

std::string LocationSyncService::storage_key() const {
  return "location_sync/" + device_id_;
}

std::optional<std::string> LocationSyncService::queue_location_update(
    const std::string& delivery_id, const Location& location, LocationPriority priority) {
  const bool high = priority == LocationPriority::kHigh;
  if (last_queued_.has_value() && last_queued_->delivery_id == delivery_id) {
    if (location.device_time_ns <= last_queued_->location.device_time_ns) {
      probe::hit(ports_.probes, probe::kSyncNotNewer);
      return std::nullopt;
    }
    if (!high && barely_moved(delivery_id, location)) {
      probe::hit(ports_.probes, probe::kSyncDeduplicated);
      return std::nullopt;
    }
  }

  QueuedLocation update;
  update.update_id = device_id_ + "/" + std::to_string(next_update_++);
  update.delivery_id = delivery_id;
  update.location = location;
  update.high_priority = high;
  update.queued_ns = ports_.clock->now();
  if (queue_.size() >= config_.offline_queue_capacity) drop_oldest_unsent();
  queue_.push_back(update);
  last_queued_ = update;
  save();
  if (ports_.listener != nullptr) ports_.listener->on_location_queued(update);

  if (high && !sending_) flush();
  return update.update_id;
}

bool LocationSyncService::barely_moved(const std::string& delivery_id,
                                       const Location& location) const {
  TRACKSIM_CHECK(last_queued_.has_value());
  TRACKSIM_CHECK(last_queued_->delivery_id == delivery_id);
  const Location& last = last_queued_->location;
  if (location.device_time_ns - last.device_time_ns >= config_.dedup_max_silence_ns) return false;
  const double moved_m =
      haversine_distance_m(GeoPoint{last.lat, last.lng}, GeoPoint{location.lat, location.lng});
  return moved_m < config_.dedup_distance_m;
}

void LocationSyncService::drop_oldest_unsent() {
  // The sealed batch may already be stored; only positions never sent can be given up safely.
  TRACKSIM_CHECK(queue_.size() > sealed_count_);
  const QueuedLocation dropped = queue_[sealed_count_];
  queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(sealed_count_));
  probe::hit(ports_.probes, probe::kSyncQueueOverflow);
  if (ports_.listener != nullptr) ports_.listener->on_location_dropped(dropped, "overflow");
}

FlushOutcome LocationSyncService::flush() {
  if (sending_) {
    std::unique_ptr<Signal> done = ports_.signals->make_signal();
    flush_waiters_.push_back(done.get());
    done->wait();
    return last_outcome_;
  }

  sending_ = true;
  const FlushOutcome outcome = drain();
  sending_ = false;
  last_outcome_ = outcome;

  std::vector<Signal*> waiters;
  waiters.swap(flush_waiters_);
  for (Signal* waiter : waiters)
    waiter->notify();
  return outcome;
}

void LocationSyncService::run(Nanos until_ns) {
  bool reported_offline = false;
  while (ports_.clock->now() < until_ns) {
    if (stopping_ && queue_.empty()) return;
    const bool online = ports_.connectivity->online();
    const Nanos nap = online ? config_.sync_interval_ns
                             : std::min(config_.sync_interval_ns, config_.offline_poll_ns);
    ports_.sleeper->sleep_for(std::min(nap, until_ns - ports_.clock->now()));

    if (queue_.empty() || sending_) continue;
    if (!ports_.connectivity->online()) {
      // Once per stretch offline, not once per poll.
      if (!reported_offline) probe::hit(ports_.probes, probe::kSyncOffline);
      reported_offline = true;
      continue;
    }
    reported_offline = false;
    flush();
  }
}

FlushOutcome LocationSyncService::drain() {
  while (!queue_.empty()) {
    if (!ports_.connectivity->online()) return FlushOutcome::kOffline;
    seal_head();
    const SendOutcome sent = send_sealed();
    if (sent == SendOutcome::kKept) return FlushOutcome::kStalled;

    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(sealed_count_));
    sealed_count_ = 0;
    sealed_operation_id_.clear();
    save();
  }
  return FlushOutcome::kDrained;
}

void LocationSyncService::seal_head() {
  TRACKSIM_CHECK(!queue_.empty());
  if (sealed_count_ > 0) return;

  // A batch is one request, so it holds positions of one delivery only.
  const std::string& delivery_id = queue_.front().delivery_id;
  std::size_t count = 0;
  while (count < queue_.size() && count < config_.max_batch_size &&
         queue_[count].delivery_id == delivery_id) {
    ++count;
  }
  sealed_count_ = count;
  sealed_operation_id_ = queue_.front().update_id;
  if (count > 1) sealed_operation_id_ += "+" + std::to_string(count - 1);
  // Stored before the first send, so a restart resends exactly this batch under this id.
  save();

  if (ports_.listener != nullptr) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < count; ++i)
      ids.push_back(queue_[i].update_id);
    ports_.listener->on_location_batch(sealed_operation_id_, ids);
  }
}

LocationSyncService::SendOutcome LocationSyncService::send_sealed() {
  ApiRequest request;
  request.kind = OperationKind::kUpdateLocation;
  request.delivery_id = queue_.front().delivery_id;
  request.operation_id = sealed_operation_id_;
  request.client_id = device_id_;
  for (std::size_t i = 0; i < sealed_count_; ++i)
    request.locations.push_back(queue_[i].location);

  if (announced_operation_id_ != request.operation_id) {
    announced_operation_id_ = request.operation_id;
    if (ports_.listener != nullptr) ports_.listener->on_invoke(request);
  }

  RecoveryTracker tracker(config_.recovery, *ports_.random);
  bool maybe_applied = false;
  for (;;) {
    const std::optional<ApiResponse> reply =
        ports_.transport->call(request, config_.request_timeout_ns);
    if (ports_.listener != nullptr) ports_.listener->on_attempt(request, reply);
    const ErrorClass error_class = classify(reply);
    if (error_class == ErrorClass::kNone) {
      if (on_document && reply->delivery_tracking.has_value())
        on_document(*reply->delivery_tracking);
      settle(true, ErrorClass::kNone, reply->message, maybe_applied, reply);
      return SendOutcome::kStored;
    }
    if (!reply.has_value()) maybe_applied = true;

    const RecoveryStep step = tracker.on_outcome(error_class);
    if (step.action == RecoveryStep::Action::kRetry) {
      if (step.wait_for_connectivity && !ports_.connectivity->online()) return SendOutcome::kKept;
      ports_.sleeper->sleep_for(step.delay_ns);
      if (!ports_.connectivity->online()) return SendOutcome::kKept;
      if (maybe_applied) probe::hit(ports_.probes, probe::kSyncResent);
      continue;
    }
    // The positions are still wanted after a passing failure: keep the batch for the next tick.
    if (is_transient(error_class)) return SendOutcome::kKept;

    probe::hit(ports_.probes, probe::kSyncRejected);
    if (ports_.listener != nullptr) {
      for (std::size_t i = 0; i < sealed_count_; ++i) {
        ports_.listener->on_location_dropped(queue_[i], "rejected");
      }
    }
    const std::string message = reply.has_value() ? reply->message : std::string();
    settle(false, error_class, message, maybe_applied, reply);
    return SendOutcome::kRefused;
  }
}

void LocationSyncService::settle(bool success, ErrorClass error_class, std::string message,
                                 bool maybe_applied, const std::optional<ApiResponse>& reply) {
  if (ports_.listener == nullptr) return;
  OperationSettlement settlement;
  settlement.operation_id = sealed_operation_id_;
  settlement.success = success;
  settlement.error_class = error_class;
  settlement.message = std::move(message);
  settlement.maybe_applied = !success && maybe_applied;
  settlement.last_response = reply;
  ports_.listener->on_settle(settlement);
}

void LocationSyncService::save() const {
  std::string value = RecordWriter(kFormat).integer(kFormatVersion).line() + "\n";
  value += RecordWriter("next").integer(static_cast<std::int64_t>(next_update_)).line() + "\n";
  auto update_line = [](std::string_view name, const QueuedLocation& u) {
    return RecordWriter(name)
               .text(u.update_id)
               .text(u.delivery_id)
               .integer(u.high_priority ? 1 : 0)
               .integer(u.queued_ns)
               .location(u.location)
               .line() +
           "\n";
  };
  if (last_queued_.has_value()) value += update_line("last", *last_queued_);
  if (sealed_count_ > 0) {
    value += RecordWriter("sealed")
                 .text(sealed_operation_id_)
                 .integer(static_cast<std::int64_t>(sealed_count_))
                 .line() +
             "\n";
  }
  for (const QueuedLocation& u : queue_)
    value += update_line("update", u);
  ports_.storage->put(storage_key(), std::move(value));
}

void LocationSyncService::load() {
  const std::optional<std::string> stored = ports_.storage->get(storage_key());
  if (!stored.has_value()) return;

  std::deque<QueuedLocation> queue;
  std::optional<QueuedLocation> last;
  std::int64_t next = 0;
  std::string sealed_id;
  std::int64_t sealed_count = 0;
  bool ok = true;
  const std::vector<std::string_view> lines = record_lines(*stored);
  for (std::size_t i = 0; ok && i < lines.size(); ++i) {
    RecordReader r(lines[i]);
    if (i == 0) {
      std::int64_t version = 0;
      ok = r.name() == kFormat && r.integer(version) && version == kFormatVersion;
    } else if (r.name() == "next") {
      ok = r.integer(next) && next >= 1;
    } else if (r.name() == "sealed") {
      ok = r.text(sealed_id) && r.integer(sealed_count) && sealed_count >= 1;
    } else if (r.name() == "last" || r.name() == "update") {
      QueuedLocation u;
      std::int64_t high = 0;
      ok = r.text(u.update_id) && r.text(u.delivery_id) && r.integer(high) &&
           r.integer(u.queued_ns) && r.location(u.location);
      u.high_priority = high != 0;
      if (r.name() == "last") {
        last = u;
      } else {
        queue.push_back(u);
      }
    } else {
      ok = false;
    }
    ok = ok && r.complete();
  }
  ok = ok && !lines.empty() && next >= 1 && sealed_count <= static_cast<std::int64_t>(queue.size());

  if (!ok) {
    // Ids must never repeat, or the server would take a new position for an old one: with the
    // counter unreadable, start it at a random point far from any id handed out before.
    probe::hit(ports_.probes, probe::kClientStorageCorrupt);
    next_update_ = (ports_.random->next_u64() >> 16) + 1;
    save();
    return;
  }
  queue_ = std::move(queue);
  last_queued_ = std::move(last);
  next_update_ = static_cast<std::uint64_t>(next);
  sealed_count_ = static_cast<std::size_t>(sealed_count);
  sealed_operation_id_ = sealed_id;
  if (!queue_.empty()) probe::hit(ports_.probes, probe::kSyncRestored);
}

}  // namespace tracksim::model

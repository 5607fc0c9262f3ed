// The phone's serialised status changes; see delivery_state_manager.h.
#include "model/delivery_state_manager.h"

#include <algorithm>

#include "model/check.h"
#include "model/client_record.h"
#include "model/probe_names.h"
#include "model/status_machine.h"

namespace tracksim::model {
namespace {

constexpr std::string_view kFormat = "delivery_state";
constexpr std::int64_t kFormatVersion = 1;
// Results kept for result_of(); far more than one driver's changes in flight at once.
constexpr std::size_t kResultsKept = 64;

Status invalid(std::string message) {
  return Error{ErrorClass::kValidationError, std::move(message)};
}

}  // namespace

Status validate_delivery_state_config(const DeliveryStateConfig& c) {
  if (c.request_timeout_ns <= 0) return invalid("request timeout must be positive");
  if (c.max_queued_changes < 1) return invalid("max queued changes must be at least 1");
  if (c.offline_poll_ns <= 0) return invalid("offline poll interval must be positive");
  if (c.connectivity_wait_max_ns < 0) return invalid("connectivity wait must not be negative");
  return ok_status();
}

DeliveryStateManager::DeliveryStateManager(DeliveryStateConfig config, const ClientPorts& ports,
                                           std::string device_id)
    : config_(std::move(config)), ports_(ports), device_id_(std::move(device_id)) {
  TRACKSIM_CHECK(validate_delivery_state_config(config_).ok());
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

std::string DeliveryStateManager::storage_key() const {
  return "delivery_state/" + device_id_;
}

DeliveryStatus DeliveryStateManager::expected_status() const {
  return queue_.empty() ? status_ : queue_.back().target;
}

Status DeliveryStateManager::start_delivery(const std::string& delivery_id, DeliveryStatus status,
                                            std::int64_t version) {
  if (delivery_id.empty()) return invalid("delivery id is required");
  if (delivery_id == delivery_id_) {
    adopt(status, version);
    return ok_status();
  }
  if (!queue_.empty()) {
    return invalid("status changes of delivery " + delivery_id_ + " are still queued");
  }
  delivery_id_ = delivery_id;
  status_ = status;
  version_ = version;
  save();
  return ok_status();
}

Result<std::string> DeliveryStateManager::submit(DeliveryStatus target, std::string note) {
  if (delivery_id_.empty()) return Error{ErrorClass::kValidationError, "no delivery started"};
  if (!queue_.empty() && queue_.back().target == target) {
    probe::hit(ports_.probes, probe::kStateCoalesced);
    return queue_.back().operation_id;
  }
  const DeliveryStatus expected = expected_status();
  if (Status allowed = validate_transition(expected, target); !allowed.ok()) {
    probe::hit(ports_.probes, probe::kStateRejectedLocally);
    return allowed.error();
  }
  if (queue_.size() >= config_.max_queued_changes) {
    return Error{ErrorClass::kValidationError, "too many status changes queued"};
  }

  StatusChange change;
  change.operation_id = device_id_ + "/s" + std::to_string(next_change_++);
  change.delivery_id = delivery_id_;
  change.target = target;
  change.note = std::move(note);
  change.requested_ns = ports_.clock->now();
  queue_.push_back(change);
  save();
  if (processing_) probe::hit(ports_.probes, probe::kStateQueued);
  return change.operation_id;
}

Result<StatusChangeResult> DeliveryStateManager::update_delivery_status(DeliveryStatus target,
                                                                        std::string note) {
  // Already there by the server's own word (the geofence got there first): nothing to send.
  if (!delivery_id_.empty() && queue_.empty() && status_ == target) {
    StatusChangeResult result;
    result.target = target;
    result.success = true;
    result.message = "already " + std::string(to_string(target));
    result.server_status = status_;
    return result;
  }

  Result<std::string> submitted = submit(target, std::move(note));
  if (!submitted.ok()) return submitted.error();
  const std::string operation_id = submitted.value();

  process();
  if (auto result = result_of(operation_id)) return *result;
  if (processing_) {
    // Another task is sending; it settles this change in turn, or stops and wakes us.
    std::unique_ptr<Signal> settled = ports_.signals->make_signal();
    waiters_[operation_id] = settled.get();
    settled->wait();
    if (auto result = result_of(operation_id)) return *result;
  }

  StatusChangeResult kept;
  kept.operation_id = operation_id;
  kept.target = target;
  kept.error_class = ErrorClass::kNetworkTimeout;
  kept.message = "kept for later: not sent yet";
  kept.kept_for_later = true;
  kept.server_status = status_;
  return kept;
}

void DeliveryStateManager::process() {
  if (processing_) return;
  processing_ = true;
  while (!queue_.empty()) {
    const StatusChange change = queue_.front();
    StatusChangeResult result;
    result.operation_id = change.operation_id;
    result.target = change.target;
    if (send(change, result) == Settle::kKept) {
      probe::hit(ports_.probes, probe::kStateKeptForLater);
      break;
    }
    // Nothing but this loop takes changes off the queue, so its head is still this change.
    TRACKSIM_CHECK(!queue_.empty());
    TRACKSIM_CHECK(queue_.front().operation_id == change.operation_id);
    queue_.pop_front();
    save();
    finish(result);
    if (result.corrected) revalidate_queue();
  }
  processing_ = false;

  // Changes still queued wait for a later process(); their callers hear that now.
  std::map<std::string, Signal*> waiting;
  waiting.swap(waiters_);
  for (auto& [operation_id, signal] : waiting)
    signal->notify();
}

DeliveryStateManager::Settle DeliveryStateManager::send(const StatusChange& change,
                                                        StatusChangeResult& result) {
  ApiRequest request;
  request.kind = change.target == DeliveryStatus::kDelivered ? OperationKind::kCompleteDelivery
                                                             : OperationKind::kUpdateStatus;
  request.delivery_id = change.delivery_id;
  request.operation_id = change.operation_id;
  request.client_id = device_id_;
  request.status = change.target;
  request.note = change.note;

  auto settle = [&](bool success, ErrorClass error_class, std::string message, bool maybe_applied,
                    const std::optional<ApiResponse>& reply) {
    result.success = success;
    result.error_class = error_class;
    result.message = std::move(message);
    result.server_status = status_;
    if (ports_.listener != nullptr) {
      ports_.listener->on_settle(OperationSettlement{.operation_id = change.operation_id,
                                                     .success = success,
                                                     .error_class = error_class,
                                                     .message = result.message,
                                                     .maybe_applied = !success && maybe_applied,
                                                     .last_response = reply});
    }
    return Settle::kDone;
  };

  RecoveryTracker tracker(config_.recovery, *ports_.random);
  bool maybe_applied = false;
  for (;;) {
    if (!ports_.connectivity->online()) {
      probe::hit(ports_.probes, probe::kStateWaitedForNetwork);
      if (!wait_for_network()) {
        result.error_class = ErrorClass::kNetworkTimeout;
        result.message = "offline";
        return Settle::kKept;
      }
    }
    if (before_send) before_send();

    // Announced when first sent, not when queued: waiting for the network is not invocation.
    if (announced_operation_id_ != request.operation_id) {
      announced_operation_id_ = request.operation_id;
      if (ports_.listener != nullptr) ports_.listener->on_invoke(request);
    }
    const std::optional<ApiResponse> reply =
        ports_.transport->call(request, config_.request_timeout_ns);
    if (ports_.listener != nullptr) ports_.listener->on_attempt(request, reply);
    if (reply.has_value() && reply->delivery_tracking.has_value()) {
      adopt(reply->delivery_tracking->status, reply->delivery_tracking->version);
    }
    const ErrorClass error_class = classify(reply);
    if (error_class == ErrorClass::kNone) {
      return settle(true, ErrorClass::kNone, reply->message, maybe_applied, reply);
    }
    if (!reply.has_value()) maybe_applied = true;
    const std::string message = reply.has_value() ? reply->message : "no reply in time";

    const RecoveryStep step = tracker.on_outcome(error_class);
    if (error_class == ErrorClass::kInvalidTransition) {
      switch (correct_transition(change.target, status_)) {
        case TransitionCorrection::kAlreadyApplied:
          // The server refused this request; the phone counts the step as made all the same.
          probe::hit(ports_.probes, probe::kStateCorrected);
          settle(false, error_class, message, maybe_applied, reply);
          result.success = true;
          result.error_class = ErrorClass::kNone;
          result.message = "already " + std::string(to_string(status_));
          result.corrected = true;
          return Settle::kDone;
        case TransitionCorrection::kAdoptServerState:
          probe::hit(ports_.probes, probe::kStateCorrected);
          result.corrected = true;
          return settle(false, error_class, message, maybe_applied, reply);
        case TransitionCorrection::kRetry:
          // The phone's belief allows the step but the server refused it: the belief is stale.
          if (step.action != RecoveryStep::Action::kCorrect) {
            return settle(false, error_class, message, maybe_applied, reply);
          }
          ports_.sleeper->sleep_for(step.delay_ns);
          continue;
      }
    }

    switch (step.action) {
      case RecoveryStep::Action::kRetry:
      case RecoveryStep::Action::kCorrect:
        if (step.wait_for_connectivity && !ports_.connectivity->online() && !wait_for_network()) {
          result.error_class = error_class;
          result.message = message;
          return Settle::kKept;
        }
        ports_.sleeper->sleep_for(step.delay_ns);
        continue;
      case RecoveryStep::Action::kPersistForLater:
        result.error_class = error_class;
        result.message = message;
        return Settle::kKept;
      case RecoveryStep::Action::kDone:
      case RecoveryStep::Action::kGiveUp:
        return settle(false, error_class, message, maybe_applied, reply);
    }
  }
}

bool DeliveryStateManager::wait_for_network() {
  const Nanos deadline_ns = ports_.clock->now() + config_.connectivity_wait_max_ns;
  while (!ports_.connectivity->online()) {
    const Nanos now_ns = ports_.clock->now();
    if (now_ns >= deadline_ns) return false;
    ports_.sleeper->sleep_for(std::min(config_.offline_poll_ns, deadline_ns - now_ns));
  }
  return true;
}

void DeliveryStateManager::adopt(DeliveryStatus status, std::int64_t version) {
  if (version <= version_) return;
  status_ = status;
  version_ = version;
  save();
}

void DeliveryStateManager::observe_server_state(const std::string& delivery_id,
                                                DeliveryStatus status, std::int64_t version) {
  if (delivery_id != delivery_id_) return;
  adopt(status, version);
  // A delivery that ended on the server (a dispatcher's cancellation) takes nothing more; say so
  // to the changes still waiting now rather than after a request each.
  if (!processing_ && !queue_.empty() && is_terminal(status_)) revalidate_queue();
}

void DeliveryStateManager::revalidate_queue() {
  DeliveryStatus status = status_;
  std::deque<StatusChange> kept;
  std::vector<StatusChangeResult> settled;
  for (const StatusChange& change : queue_) {
    StatusChangeResult result;
    result.operation_id = change.operation_id;
    result.target = change.target;
    result.server_status = status_;
    result.corrected = true;
    if (change.target == status) {
      result.success = true;
      result.message = "already " + std::string(to_string(status));
    } else if (is_allowed_transition(status, change.target)) {
      kept.push_back(change);
      status = change.target;
      continue;
    } else {
      result.error_class = ErrorClass::kInvalidTransition;
      result.message = "the server moved to " + std::string(to_string(status_));
    }
    probe::hit(ports_.probes, probe::kStateCorrected);
    settled.push_back(result);
  }
  if (settled.empty()) return;

  queue_ = std::move(kept);
  save();
  for (const StatusChangeResult& result : settled) {
    // Settled on the phone, not by the server: the listener hears that the server never agreed,
    // and that an earlier request of it (only the head of the queue can have been sent) may
    // have been applied.
    if (ports_.listener != nullptr) {
      ports_.listener->on_settle(
          OperationSettlement{.operation_id = result.operation_id,
                              .success = false,
                              .error_class = ErrorClass::kInvalidTransition,
                              .message = result.message,
                              .maybe_applied = result.operation_id == announced_operation_id_,
                              .last_response = std::nullopt});
    }
    finish(result);
  }
}

void DeliveryStateManager::finish(const StatusChangeResult& result) {
  results_[result.operation_id] = result;
  result_order_.push_back(result.operation_id);
  while (result_order_.size() > kResultsKept) {
    results_.erase(result_order_.front());
    result_order_.pop_front();
  }
  notify_waiters(result.operation_id);
}

void DeliveryStateManager::notify_waiters(const std::string& operation_id) {
  auto it = waiters_.find(operation_id);
  if (it == waiters_.end()) return;
  Signal* signal = it->second;
  waiters_.erase(it);
  signal->notify();
}

std::optional<StatusChangeResult> DeliveryStateManager::result_of(
    const std::string& operation_id) const {
  auto it = results_.find(operation_id);
  if (it == results_.end()) return std::nullopt;
  return it->second;
}

void DeliveryStateManager::save() const {
  std::string value = RecordWriter(kFormat).integer(kFormatVersion).line() + "\n";
  value += RecordWriter("next").integer(static_cast<std::int64_t>(next_change_)).line() + "\n";
  if (!delivery_id_.empty()) {
    value += RecordWriter("delivery")
                 .text(delivery_id_)
                 .text(to_string(status_))
                 .integer(version_)
                 .line() +
             "\n";
  }
  for (const StatusChange& c : queue_) {
    value += RecordWriter("change")
                 .text(c.operation_id)
                 .text(c.delivery_id)
                 .text(to_string(c.target))
                 .integer(c.requested_ns)
                 .text(c.note)
                 .line() +
             "\n";
  }
  ports_.storage->put(storage_key(), std::move(value));
}

void DeliveryStateManager::load() {
  const std::optional<std::string> stored = ports_.storage->get(storage_key());
  if (!stored.has_value()) return;

  std::string delivery_id;
  DeliveryStatus status = DeliveryStatus::kPending;
  std::int64_t version = 0;
  std::int64_t next = 0;
  std::deque<StatusChange> queue;
  auto read_status = [](RecordReader& r, DeliveryStatus& out) {
    std::string name;
    if (!r.text(name)) return false;
    auto parsed = delivery_status_from_string(name);
    if (parsed.has_value()) out = *parsed;
    return parsed.has_value();
  };
  bool ok = true;
  const std::vector<std::string_view> lines = record_lines(*stored);
  for (std::size_t i = 0; ok && i < lines.size(); ++i) {
    RecordReader r(lines[i]);
    if (i == 0) {
      std::int64_t format_version = 0;
      ok = r.name() == kFormat && r.integer(format_version) && format_version == kFormatVersion;
    } else if (r.name() == "next") {
      ok = r.integer(next) && next >= 1;
    } else if (r.name() == "delivery") {
      ok = r.text(delivery_id) && read_status(r, status) && r.integer(version);
    } else if (r.name() == "change") {
      StatusChange c;
      ok = r.text(c.operation_id) && r.text(c.delivery_id) && read_status(r, c.target) &&
           r.integer(c.requested_ns) && r.text(c.note);
      queue.push_back(std::move(c));
    } else {
      ok = false;
    }
    ok = ok && r.complete();
  }
  ok = ok && !lines.empty() && next >= 1;
  for (const StatusChange& c : queue)
    ok = ok && c.delivery_id == delivery_id;

  if (!ok) {
    // Ids must never repeat, or the server would take a new change for an old one.
    probe::hit(ports_.probes, probe::kClientStorageCorrupt);
    next_change_ = (ports_.random->next_u64() >> 16) + 1;
    save();
    return;
  }
  delivery_id_ = std::move(delivery_id);
  status_ = status;
  version_ = version;
  queue_ = std::move(queue);
  next_change_ = static_cast<std::uint64_t>(next);
  if (!queue_.empty()) probe::hit(ports_.probes, probe::kStateRestored);
}

}  // namespace tracksim::model

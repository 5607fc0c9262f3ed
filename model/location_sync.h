// LocationSyncService: how a driver's phone gets its GPS positions to the server.
//
// The app queues every position it observes; the service sends them in batches, one
// updateLocation request per batch, on a fixed interval (5 s by default). What it promises:
//   - deduplication: a position that moved less than `dedup_distance_m` from the last one queued
//     is not queued, unless `dedup_max_silence_ns` passed since (so the server still hears the
//     phone is alive) or it is high priority; a position not newer by device time than the last
//     one queued is never queued, since the server would drop it as stale anyway;
//   - priorities: a high-priority position (a manual update) is sent at once instead of waiting
//     for the interval, together with everything queued before it. It never overtakes them:
//     the server keeps only the newest position, so an older one sent after a newer one is lost;
//   - order: positions are sent oldest first, one batch in flight at a time;
//   - an offline queue: the queue is kept in the phone's LocalStorage after every change, so it
//     survives an app restart; it holds at most `offline_queue_capacity` positions and drops the
//     oldest unsent one when full; while the phone is offline nothing is sent, and on reconnect
//     the queue is replayed in order;
//   - idempotency: every position gets a unique id when queued (the counter is stored too, so ids
//     never repeat across restarts). Positions sent together are sealed into a batch whose
//     operation id and contents never change afterwards; a batch whose reply was lost is sent
//     again as it was, and the backend's operation-id check stores it once;
//   - recovery by error class through RecoveryPolicies: a batch failing for a passing reason
//     (timeout, server error, contention) stays at the head of the queue for the next attempt; a
//     batch the server refuses for good (validation, unknown delivery) is dropped and reported.
//
// Left out: adapting the interval to speed or battery, and compressing a long offline backlog
// into fewer points (every queued position is replayed).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/client_ports.h"
#include "model/recovery.h"

namespace tracksim::model {

enum class LocationPriority : unsigned char { kNormal, kHigh };
// "normal", "high".
std::string_view to_string(LocationPriority p);

struct LocationSyncConfig {
  Nanos sync_interval_ns = seconds(5);
  double dedup_distance_m = 10;
  Nanos dedup_max_silence_ns = seconds(60);
  std::size_t max_batch_size = 20;
  std::size_t offline_queue_capacity = 500;
  Nanos request_timeout_ns = seconds(10);
  // How often the loop looks at the network again while the phone is offline.
  Nanos offline_poll_ns = seconds(1);
  RecoveryPolicies recovery = RecoveryPolicies::seed_defaults();
};

// ok, or kValidationError naming the knob out of range.
Status validate_location_sync_config(const LocationSyncConfig& config);

enum class FlushOutcome : unsigned char {
  kDrained,  // the queue is empty
  kOffline,  // the phone is offline; the queue waits for the network
  kStalled,  // the head batch keeps failing for a passing reason; it waits for the next tick
};
std::string_view to_string(FlushOutcome o);

class LocationSyncService {
 public:
  // Loads a queue an earlier run of the app left in `ports.storage` under this device's key.
  // REQUIRES: the config is valid; ports as ClientPorts documents.
  LocationSyncService(LocationSyncConfig config, const ClientPorts& ports, std::string device_id);
  LocationSyncService(const LocationSyncService&) = delete;
  LocationSyncService& operator=(const LocationSyncService&) = delete;

  // queueLocationUpdate: the position's update id, or nullopt when it was not queued (barely
  // moved, or not newer). A high-priority position is sent before this returns (with everything
  // queued before it) unless the phone is offline or another task is sending, in which case that
  // task sends it.
  std::optional<std::string> queue_location_update(const std::string& delivery_id,
                                                   const Location& location,
                                                   LocationPriority priority);

  // Sends everything queued, oldest first, while the phone is online. When another task is
  // already sending, waits until that task stops instead of sending alongside it.
  FlushOutcome flush();

  // The sync loop: flushes every interval (every offline_poll while offline) until `until_ns`,
  // or until stop() was called and the queue is empty.
  void run(Nanos until_ns);
  void stop() { stopping_ = true; }

  std::size_t queued() const { return queue_.size(); }
  const std::deque<QueuedLocation>& queue() const { return queue_; }
  bool sending() const { return sending_; }
  const std::string& device_id() const { return device_id_; }
  // The storage key of this device's queue.
  std::string storage_key() const;

  // Told of the document in every successful reply, so the app learns the delivery's status
  // (a dispatcher's cancellation, the geofence's automatic changes) from its own traffic.
  std::function<void(const DeliveryTracking&)> on_document;

 private:
  enum class SendOutcome : unsigned char { kStored, kRefused, kKept };

  FlushOutcome drain();
  // The batch at the head of the queue: sealed already, or sealed now (and stored).
  void seal_head();
  SendOutcome send_sealed();
  void settle(bool success, ErrorClass error_class, std::string message, bool maybe_applied,
              const std::optional<ApiResponse>& reply);
  bool barely_moved(const std::string& delivery_id, const Location& location) const;
  void drop_oldest_unsent();
  void save() const;
  void load();

  LocationSyncConfig config_;
  ClientPorts ports_;
  std::string device_id_;

  std::deque<QueuedLocation> queue_;
  std::uint64_t next_update_ = 1;
  // The last position queued, for deduplication.
  std::optional<QueuedLocation> last_queued_;
  // The batch in flight or waiting to be sent again: the first `sealed_count_` queued positions.
  std::string sealed_operation_id_;
  std::size_t sealed_count_ = 0;
  // Operations announced to the listener by this run of the app.
  std::string announced_operation_id_;

  bool sending_ = false;
  bool stopping_ = false;
  FlushOutcome last_outcome_ = FlushOutcome::kDrained;
  std::vector<Signal*> flush_waiters_;
};

}  // namespace tracksim::model

// The ports of the client-side services: what a driver's phone and the real-time server need
// besides the backend's own ports.
//
// The phone's services (LocationSyncService, DeliveryStateManager) run like the app's JavaScript
// does: several tasks on one event loop, switching only where a port call waits (a request, a
// sleep, a signal). Nothing here is safe across threads, and nothing needs to be: a check and a
// change with no port call between them are atomic. The ports are:
//   - LocalStorage: the device's persistent key/value store (AsyncStorage on a phone), which
//     survives an app restart; values are text;
//   - Connectivity: whether the device believes it has a network (a phone's NetInfo); it can be
//     wrong in one direction only: online does not mean the server is reachable;
//   - SignalFactory: one-shot wake-ups between tasks, the way a JavaScript task awaits a promise
//     another settles;
//   - Timer: a callback at a later time on the server's event loop (setTimeout), which must not
//     wait;
//   - ClientListener: an observer told of every operation a service sends and of every position
//     it queues, so a harness can record a history. It never changes what a service does.
// Left out: battery and background-execution limits, and the OS killing the app mid-write (a
// LocalStorage write is atomic here).
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/api.h"
#include "model/ports.h"

namespace tracksim::model {

class LocalStorage {
 public:
  virtual ~LocalStorage() = default;
  virtual std::optional<std::string> get(const std::string& key) const = 0;
  virtual void put(const std::string& key, std::string value) = 0;
  virtual void remove(const std::string& key) = 0;
};

class Connectivity {
 public:
  virtual ~Connectivity() = default;
  // The device's own belief: false in a tunnel or in airplane mode.
  virtual bool online() const = 0;
};

// A one-shot wake-up: one task waits until another notifies.
class Signal {
 public:
  virtual ~Signal() = default;
  // Wakes the waiter, now or when it starts waiting; never blocks; a second call does nothing.
  virtual void notify() = 0;
  // Returns once notified (at once if that already happened). At most one task waits.
  virtual void wait() = 0;
};

class SignalFactory {
 public:
  virtual ~SignalFactory() = default;
  virtual std::unique_ptr<Signal> make_signal() = 0;
};

class Timer {
 public:
  virtual ~Timer() = default;
  // Runs `callback` at `time_ns` on the clock (at once if that is past); it must not wait.
  virtual void call_at(Nanos time_ns, std::function<void()> callback) = 0;
};

// How a service's operation ended, in the server's words: no more requests will be sent for it.
// A service may draw its own conclusion (a refused step the server had already made counts as
// done on the phone); the settlement still says what the server said, so `success` always means
// the server applied the operation.
struct OperationSettlement {
  std::string operation_id;
  bool success = false;
  ErrorClass error_class = ErrorClass::kNone;
  std::string message;
  // Failed, but a request of it got no reply, so it may have been applied all the same.
  bool maybe_applied = false;
  std::optional<ApiResponse> last_response;
};

// One position queued by the location sync service, with the id that makes it idempotent.
struct QueuedLocation {
  std::string update_id;
  std::string delivery_id;
  Location location;
  bool high_priority = false;
  Nanos queued_ns = 0;
};

// Every method has an empty default, so an observer overrides only what it records. None may wait.
class ClientListener {
 public:
  virtual ~ClientListener() = default;
  // An operation is about to be sent for the first time by this run of the app (an app restart
  // resumes operations under their old ids, so an id may be announced again).
  virtual void on_invoke(const ApiRequest& /*request*/) {}
  // One request of an operation and its reply, nullopt when none came in time.
  virtual void on_attempt(const ApiRequest& /*request*/,
                          const std::optional<ApiResponse>& /*reply*/) {}
  virtual void on_settle(const OperationSettlement& /*settlement*/) {}
  // A position entered the queue.
  virtual void on_location_queued(const QueuedLocation& /*update*/) {}
  // Queued positions now travel together under one operation id, for good.
  virtual void on_location_batch(const std::string& /*operation_id*/,
                                 const std::vector<std::string>& /*update_ids*/) {}
  // A queued position will never be sent or never be stored: "overflow" (the queue was full) or
  // "rejected" (the server refused its batch for good).
  virtual void on_location_dropped(const QueuedLocation& /*update*/, std::string_view /*why*/) {}
};

// The ports of a service on the phone. REQUIRES: every pointer but the optional ones is set and
// outlives the service.
struct ClientPorts {
  Clock* clock = nullptr;
  Sleeper* sleeper = nullptr;
  RandomSource* random = nullptr;
  Transport* transport = nullptr;
  LocalStorage* storage = nullptr;
  Connectivity* connectivity = nullptr;
  SignalFactory* signals = nullptr;
  ClientListener* listener = nullptr;  // optional
  Probes* probes = nullptr;            // optional
};

}  // namespace tracksim::model

namespace tracksim::model::probe {

// A position that barely moved from the last queued one was not queued.
inline constexpr std::string_view kSyncDeduplicated = "location_sync.deduplicated";
// A position not newer (by device time) than the last queued one was not queued.
inline constexpr std::string_view kSyncNotNewer = "location_sync.not_newer";
// The offline queue was full: its oldest unsent position was dropped.
inline constexpr std::string_view kSyncQueueOverflow = "location_sync.queue_overflow";
// A flush found the device offline and left the queue for later.
inline constexpr std::string_view kSyncOffline = "location_sync.offline";
// A batch whose reply never came was sent again under the same operation id.
inline constexpr std::string_view kSyncResent = "location_sync.resent";
// The server refused a batch for good; its positions are dropped.
inline constexpr std::string_view kSyncRejected = "location_sync.rejected";
// A queue left in device storage by an earlier run of the app was loaded.
inline constexpr std::string_view kSyncRestored = "location_sync.restored";
// What device storage held could not be read; the service started empty.
inline constexpr std::string_view kClientStorageCorrupt = "client.storage_corrupt";
// A status change was asked while another was in flight, and waited its turn.
inline constexpr std::string_view kStateQueued = "state_manager.queued";
// A status change was refused on the phone: not allowed after the changes already asked.
inline constexpr std::string_view kStateRejectedLocally = "state_manager.rejected_locally";
// A repeated request for the status already asked was folded into the first.
inline constexpr std::string_view kStateCoalesced = "state_manager.coalesced";
// An InvalidTransition was settled from the server's known state (already there, or moved on).
inline constexpr std::string_view kStateCorrected = "state_manager.corrected";
// A status change waited on the phone for the network to come back.
inline constexpr std::string_view kStateWaitedForNetwork = "state_manager.waited_for_network";
// A status change could not be sent yet and stays queued for a later attempt.
inline constexpr std::string_view kStateKeptForLater = "state_manager.kept_for_later";
// Status changes left in device storage by an earlier run of the app were loaded.
inline constexpr std::string_view kStateRestored = "state_manager.restored";
// The hub dropped a position not newer than one the room already has.
inline constexpr std::string_view kHubDeduplicated = "hub.location_deduplicated";
// The hub thinned out a position too close to the previous one sent.
inline constexpr std::string_view kHubDistanceFiltered = "hub.location_distance_filtered";
// The hub held positions back to respect the room's throttle interval.
inline constexpr std::string_view kHubThrottled = "hub.location_throttled";
// The hub got an event for a room already closed and sent nothing.
inline constexpr std::string_view kHubAfterClose = "hub.event_after_close";
// A subscriber joined (or rejoined) a room and got the room's state.
inline constexpr std::string_view kHubResync = "hub.resync";
// A status change published after a newer version was already sent to the room was dropped.
inline constexpr std::string_view kHubStale = "hub.event_stale";

inline constexpr std::array<std::string_view, 21> kClientAll = {
    kSyncDeduplicated,
    kSyncNotNewer,
    kSyncQueueOverflow,
    kSyncOffline,
    kSyncResent,
    kSyncRejected,
    kSyncRestored,
    kClientStorageCorrupt,
    kStateQueued,
    kStateRejectedLocally,
    kStateCoalesced,
    kStateCorrected,
    kStateWaitedForNetwork,
    kStateKeptForLater,
    kStateRestored,
    kHubDeduplicated,
    kHubDistanceFiltered,
    kHubThrottled,
    kHubAfterClose,
    kHubResync,
    kHubStale,
};

}  // namespace tracksim::model::probe

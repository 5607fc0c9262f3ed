// DeliveryStateManager: the one place on a driver's phone that changes a delivery's status.
//
// Every status change the app asks for (a tap on "picked up", the app's own "arrived") goes
// through here. What it promises:
//   - serialised changes: at most one status request of this phone is in flight; a change asked
//     while another is in flight is queued and sent after it, in the order asked;
//   - local validation: a change is checked against the status the delivery will have once
//     everything queued is done (the status machine of status_machine.h); one the machine does
//     not allow is refused at once as InvalidTransition and never sent; asking again for the
//     status last asked folds into that request instead of sending it twice;
//   - persistence: the delivery, its last known server status and the queued changes with their
//     operation ids are kept in LocalStorage after every change, so an app restart resumes them
//     under the same ids and the backend applies each once;
//   - recovery by error class through RecoveryPolicies: passing failures are retried with the
//     class's delay; a NetworkTimeout waits for the network first (up to
//     `connectivity_wait_max_ns`) and, when its retries run out, stays queued for a later
//     process() instead of being dropped; an InvalidTransition is settled from the server status
//     the phone knows (from replies and from observe_server_state): already there counts as done,
//     moved on elsewhere is adopted and the change fails; final errors fail the change.
//   - before_send runs right before each request, so the app can first send the positions it
//     queued (a delivery closed by "delivered" accepts no position afterwards).
//
// Left out: a read endpoint to refresh the server's state on demand.
// TODO(refresh): the backend has no GET of a delivery, so an InvalidTransition is judged from the
// last state the phone heard of; a stale belief costs one useless retry before the change fails.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/client_ports.h"
#include "model/recovery.h"

namespace tracksim::model {

struct DeliveryStateConfig {
  Nanos request_timeout_ns = seconds(10);
  std::size_t max_queued_changes = 8;
  // How often to look at the network again while waiting for it, and for how long at most.
  Nanos offline_poll_ns = seconds(1);
  Nanos connectivity_wait_max_ns = seconds(300);
  RecoveryPolicies recovery = RecoveryPolicies::seed_defaults();
};

// ok, or kValidationError naming the knob out of range.
Status validate_delivery_state_config(const DeliveryStateConfig& config);

// A status change the phone asked for.
struct StatusChange {
  std::string operation_id;
  std::string delivery_id;
  DeliveryStatus target = DeliveryStatus::kPending;
  std::string note;
  Nanos requested_ns = 0;
};

struct StatusChangeResult {
  std::string operation_id;
  DeliveryStatus target = DeliveryStatus::kPending;
  bool success = false;
  ErrorClass error_class = ErrorClass::kNone;
  std::string message;
  // Settled from the server's known state rather than by a reply that said so.
  bool corrected = false;
  // Not settled: still queued, to be sent by a later process() (the network stayed away, or a
  // passing failure outlasted its retries).
  bool kept_for_later = false;
  // What the phone believes the server's status is afterwards.
  DeliveryStatus server_status = DeliveryStatus::kPending;
};

class DeliveryStateManager {
 public:
  // Loads the state an earlier run of the app left in `ports.storage` under this device's key.
  // REQUIRES: the config is valid; ports as ClientPorts documents.
  DeliveryStateManager(DeliveryStateConfig config, const ClientPorts& ports, std::string device_id);
  DeliveryStateManager(const DeliveryStateManager&) = delete;
  DeliveryStateManager& operator=(const DeliveryStateManager&) = delete;

  // Takes on a delivery with the server's status and version as the app got them. Refused with
  // kValidationError while changes of another delivery are still queued.
  Status start_delivery(const std::string& delivery_id, DeliveryStatus status,
                        std::int64_t version);

  // updateDeliveryStatus: queues the change and returns once it settled, or was kept for later.
  // Refused without sending: InvalidTransition (see above), ValidationError (no delivery, or the
  // queue is full).
  Result<StatusChangeResult> update_delivery_status(DeliveryStatus target, std::string note = {});

  // Queues the change without waiting; its operation id. Same refusals as above.
  Result<std::string> submit(DeliveryStatus target, std::string note = {});

  // Sends queued changes, one at a time, until none is left or sending has to stop. Returns at
  // once when another task is already sending (that task sends what was queued meanwhile).
  void process();

  // The server's status as someone saw it (a reply to a position, a room event). Taken when it
  // is about this delivery and newer than what the phone knows.
  void observe_server_state(const std::string& delivery_id, DeliveryStatus status,
                            std::int64_t version);

  // The result of a change settled by this run of the app; nullopt while it is queued.
  std::optional<StatusChangeResult> result_of(const std::string& operation_id) const;

  const std::string& delivery_id() const { return delivery_id_; }
  // The last status the phone knows the server has.
  DeliveryStatus status() const { return status_; }
  std::int64_t version() const { return version_; }
  // The status once every queued change is applied.
  DeliveryStatus expected_status() const;
  const std::deque<StatusChange>& queue() const { return queue_; }
  bool busy() const { return processing_; }
  std::string storage_key() const;

  std::function<void()> before_send;

 private:
  enum class Settle : unsigned char { kDone, kKept };

  Settle send(const StatusChange& change, StatusChangeResult& result);
  // Waits for the network; false when it did not come back in time.
  bool wait_for_network();
  void adopt(DeliveryStatus status, std::int64_t version);
  void finish(const StatusChangeResult& result);
  // After the phone adopted a server status, drops queued changes that no longer make sense.
  void revalidate_queue();
  void notify_waiters(const std::string& operation_id);
  void save() const;
  void load();

  DeliveryStateConfig config_;
  ClientPorts ports_;
  std::string device_id_;

  std::string delivery_id_;
  DeliveryStatus status_ = DeliveryStatus::kPending;
  std::int64_t version_ = 0;
  std::deque<StatusChange> queue_;
  std::uint64_t next_change_ = 1;

  bool processing_ = false;
  // Operations announced to the listener by this run of the app.
  std::string announced_operation_id_;
  // The newest results, by operation id; bounded so a long shift does not grow it.
  std::map<std::string, StatusChangeResult> results_;
  std::deque<std::string> result_order_;
  std::map<std::string, Signal*> waiters_;
};

}  // namespace tracksim::model

// SocketHub: the server's real-time fan-out of room events to the people following a delivery.
//
// The backend publishes a RoomEvent after every write (see delivery_service.h); the hub keeps a
// room per delivery whose members are the driver, the customer, the restaurant and the
// dispatcher, and sends each member messages over its socket. What it promises:
//   - every message carries the room's sequence number, one more than the room's previous
//     message, so a subscriber can tell a gap (a message it missed) from silence;
//   - every event keeps the operation id of the request that caused it;
//   - positions: one not newer (by device time) than the newest the room already has is dropped
//     (deduplication); positions are sent at most once per `location_throttle_ns` per room, the
//     ones that arrive in between wait and go together in one message (batching); of those, a
//     position closer than `location_min_distance_m` to the previous one kept is thinned out
//     (distance filtering), except the newest, which is always sent, so a room never ends on an
//     old position;
//   - status changes and failed operations ("error result broadcasting") are sent at once,
//     after any positions still waiting, so members see events in the order they happened;
//   - a repeat of the latest change (same operation and version) is not sent again, so a
//     backend may publish once more whenever it is unsure the first publication happened;
//   - versions never go back within a room: a status change published after a newer version
//     was sent is dropped (the newer state contains it), and a position is sent as of the
//     newest version; an ending is never dropped;
//   - closing: once a delivery reaches a terminal status the room sends its last message (ending
//     with a "closed" event), drops its members and sends nothing more for that delivery; a later
//     event for it is counted and dropped;
//   - joining: a subscriber that joins (or rejoins after its connection dropped) gets one resync
//     message with the room's state so far: the latest version, status and position sent and the
//     operation that produced them. Joining a closed room gets the final state and "closed",
//     without becoming a member.
// Sending never waits: the SubscriberChannel takes a message and delivers it later or loses it.
// The hub does not detect dead connections itself; a subscriber that missed messages rejoins.
//
// Left out: authentication of who may join which room, and presence (the hub does not tell a
// room who else is in it).
// TODO(hub-liveness): a socket server also drops members whose pings stop; here members stay until
// the room closes or they leave, and messages to a dead socket are simply lost.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/api.h"
#include "model/client_ports.h"

namespace tracksim::model {

enum class SubscriberRole : unsigned char { kDriver, kCustomer, kRestaurant, kDispatcher };
// "driver", "customer", "restaurant", "dispatcher".
std::string_view to_string(SubscriberRole r);

// One message from the hub to one subscriber.
struct HubMessage {
  std::string delivery_id;
  // The room's message number; a resync repeats the number of the room's latest message.
  std::uint64_t sequence = 0;
  bool resync = false;
  std::vector<RoomEvent> events;  // oldest first
};

// The hub's side of the subscribers' sockets. send() never waits; the message may be lost.
class SubscriberChannel {
 public:
  virtual ~SubscriberChannel() = default;
  virtual void send(const std::string& subscriber_id, const HubMessage& message) = 0;
};

struct SocketHubConfig {
  Nanos location_throttle_ns = seconds(1);
  double location_min_distance_m = 10;
};

// ok, or kValidationError naming the knob out of range.
Status validate_socket_hub_config(const SocketHubConfig& config);

struct SocketHubPorts {
  Clock* clock = nullptr;
  Timer* timer = nullptr;
  SubscriberChannel* channel = nullptr;
  Probes* probes = nullptr;  // optional
};

struct SocketHubStats {
  std::uint64_t events_published = 0;
  std::uint64_t messages_sent = 0;  // one per member per room message
  std::uint64_t positions_deduplicated = 0;
  std::uint64_t positions_filtered = 0;
  std::uint64_t events_after_close = 0;
  std::uint64_t events_stale = 0;
  std::uint64_t events_repeated = 0;  // the latest change published again
  std::uint64_t resyncs = 0;
  std::uint64_t rooms_closed = 0;
};

class SocketHub final : public Broadcaster {
 public:
  // REQUIRES: the config is valid; clock, timer and channel set and outliving the hub.
  SocketHub(SocketHubConfig config, const SocketHubPorts& ports);
  SocketHub(const SocketHub&) = delete;
  SocketHub& operator=(const SocketHub&) = delete;

  void publish(const RoomEvent& event) override;

  // Adds the subscriber to the delivery's room (a rejoin is harmless) and sends it a resync.
  void join(const std::string& delivery_id, const std::string& subscriber_id, SubscriberRole role);
  void leave(const std::string& delivery_id, const std::string& subscriber_id);

  bool room_closed(const std::string& delivery_id) const;
  std::vector<std::string> members(const std::string& delivery_id) const;
  const SocketHubStats& stats() const { return stats_; }

 private:
  struct Room {
    std::map<std::string, SubscriberRole> members;
    std::uint64_t sequence = 0;
    bool closed = false;
    // Position events waiting for the throttle window, oldest first.
    std::vector<RoomEvent> waiting_positions;
    bool flush_scheduled = false;
    std::optional<Nanos> last_position_message_ns;
    // Newest device time of a position accepted, for deduplication.
    std::optional<Nanos> newest_position_ns;
    // The last position sent, for distance filtering.
    std::optional<Location> last_sent_position;
    // What the room's messages said last, for resyncs.
    std::int64_t sent_version = 0;
    DeliveryStatus sent_status = DeliveryStatus::kPending;
    std::string sent_operation_id;
    std::optional<Location> sent_position;
    std::string sent_position_operation_id;
  };

  void publish_positions(Room& room, const std::string& delivery_id, RoomEvent event);
  void flush_positions(const std::string& delivery_id);
  // The waiting positions after distance filtering, emptying the wait.
  std::vector<RoomEvent> take_positions(Room& room);
  void send(Room& room, const std::string& delivery_id, std::vector<RoomEvent> events);
  void send_resync(const Room& room, const std::string& delivery_id,
                   const std::string& subscriber_id);

  SocketHubConfig config_;
  SocketHubPorts ports_;
  std::map<std::string, Room> rooms_;
  SocketHubStats stats_;
};

}  // namespace tracksim::model

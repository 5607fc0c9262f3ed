// Rooms, throttled positions and resyncs; see socket_hub.h.
#include "model/socket_hub.h"

#include <utility>

#include "model/check.h"
#include "model/probe_names.h"
#include "model/status_machine.h"

namespace tracksim::model {

std::string_view to_string(SubscriberRole r) {
  switch (r) {
    case SubscriberRole::kDriver:
      return "driver";
    case SubscriberRole::kCustomer:
      return "customer";
    case SubscriberRole::kRestaurant:
      return "restaurant";
    case SubscriberRole::kDispatcher:
      return "dispatcher";
  }
  return "?";
}

Status validate_socket_hub_config(const SocketHubConfig& c) {
  if (c.location_throttle_ns < 0) {
    return Error{ErrorClass::kValidationError, "location throttle must not be negative"};
  }
  if (!(c.location_min_distance_m >= 0)) {
    return Error{ErrorClass::kValidationError, "location min distance must not be negative"};
  }
  return ok_status();
}

SocketHub::SocketHub(SocketHubConfig config, const SocketHubPorts& ports)
    : config_(config), ports_(ports) {
  TRACKSIM_CHECK(validate_socket_hub_config(config_).ok());
  TRACKSIM_CHECK(ports_.clock != nullptr);
  TRACKSIM_CHECK(ports_.timer != nullptr);
  TRACKSIM_CHECK(ports_.channel != nullptr);
}

void SocketHub::publish(const RoomEvent& event) {
  ++stats_.events_published;
  Room& room = rooms_[event.delivery_id];
  // The same news again: the backend's own "closed" after the hub closed the room on the terminal
  // status, or a repeat of the latest change (a backend may publish again when a retry finds
  // its operation already applied).
  const bool repeat = event.kind != RoomEvent::Kind::kFailure &&
                      event.operation_id == room.sent_operation_id &&
                      event.version == room.sent_version && !event.operation_id.empty();
  if (repeat && (room.closed || event.kind == RoomEvent::Kind::kStatus)) {
    ++stats_.events_repeated;
    return;
  }
  if (room.closed) {
    ++stats_.events_after_close;
    probe::hit(ports_.probes, probe::kHubAfterClose);
    return;
  }

  if (event.kind == RoomEvent::Kind::kLocation || event.kind == RoomEvent::Kind::kLocationBatch) {
    publish_positions(room, event.delivery_id, event);
    return;
  }

  // Anything else goes now, after the positions that happened before it.
  std::vector<RoomEvent> events = take_positions(room);
  for (const Location& position : event.locations) {
    if (!room.newest_position_ns || position.device_time_ns > *room.newest_position_ns) {
      room.newest_position_ns = position.device_time_ns;
    }
  }
  events.push_back(event);
  const bool closing = event.kind == RoomEvent::Kind::kClosed ||
                       (event.kind == RoomEvent::Kind::kStatus && is_terminal(event.status));
  if (closing && event.kind != RoomEvent::Kind::kClosed) {
    RoomEvent closed = event;
    closed.kind = RoomEvent::Kind::kClosed;
    closed.locations.clear();
    events.push_back(std::move(closed));
  }
  send(room, event.delivery_id, std::move(events));

  if (closing) {
    room.closed = true;
    room.members.clear();
    room.waiting_positions.clear();
    ++stats_.rooms_closed;
  }
}

void SocketHub::publish_positions(Room& room, const std::string& delivery_id, RoomEvent event) {
  std::vector<Location> fresh;
  for (const Location& position : event.locations) {
    if (room.newest_position_ns && position.device_time_ns <= *room.newest_position_ns) {
      ++stats_.positions_deduplicated;
      probe::hit(ports_.probes, probe::kHubDeduplicated);
      continue;
    }
    room.newest_position_ns = position.device_time_ns;
    fresh.push_back(position);
  }
  if (fresh.empty()) return;
  event.kind = fresh.size() == 1 ? RoomEvent::Kind::kLocation : RoomEvent::Kind::kLocationBatch;
  event.locations = std::move(fresh);
  room.waiting_positions.push_back(std::move(event));

  const Nanos now_ns = ports_.clock->now();
  const Nanos due_ns = room.last_position_message_ns
                           ? *room.last_position_message_ns + config_.location_throttle_ns
                           : now_ns;
  if (due_ns <= now_ns && !room.flush_scheduled) {
    room.last_position_message_ns = now_ns;
    send(room, delivery_id, take_positions(room));
    return;
  }
  probe::hit(ports_.probes, probe::kHubThrottled);
  if (room.flush_scheduled) return;
  room.flush_scheduled = true;
  ports_.timer->call_at(due_ns, [this, delivery_id] { flush_positions(delivery_id); });
}

void SocketHub::flush_positions(const std::string& delivery_id) {
  auto it = rooms_.find(delivery_id);
  TRACKSIM_CHECK(it != rooms_.end());
  Room& room = it->second;
  room.flush_scheduled = false;
  if (room.closed || room.waiting_positions.empty()) return;
  room.last_position_message_ns = ports_.clock->now();
  send(room, delivery_id, take_positions(room));
}

std::vector<RoomEvent> SocketHub::take_positions(Room& room) {
  std::vector<RoomEvent> events;
  std::optional<Location> previous = room.last_sent_position;
  for (std::size_t e = 0; e < room.waiting_positions.size(); ++e) {
    RoomEvent& event = room.waiting_positions[e];
    const bool last_event = e + 1 == room.waiting_positions.size();
    std::vector<Location> kept;
    for (std::size_t p = 0; p < event.locations.size(); ++p) {
      const Location& position = event.locations[p];
      const bool newest = last_event && p + 1 == event.locations.size();
      if (!newest && previous.has_value() &&
          haversine_distance_m(GeoPoint{previous->lat, previous->lng},
                               GeoPoint{position.lat, position.lng}) <
              config_.location_min_distance_m) {
        ++stats_.positions_filtered;
        probe::hit(ports_.probes, probe::kHubDistanceFiltered);
        continue;
      }
      kept.push_back(position);
      previous = position;
    }
    if (kept.empty()) continue;
    event.kind = kept.size() == 1 ? RoomEvent::Kind::kLocation : RoomEvent::Kind::kLocationBatch;
    event.locations = std::move(kept);
    events.push_back(std::move(event));
  }
  room.waiting_positions.clear();
  return events;
}

void SocketHub::send(Room& room, const std::string& delivery_id, std::vector<RoomEvent> events) {
  std::vector<RoomEvent> ordered;
  for (RoomEvent& event : events) {
    if (event.kind == RoomEvent::Kind::kFailure) {
      ordered.push_back(std::move(event));
      continue;
    }
    // Handlers publish when their commit's reply comes back, so a newer version can be
    // published first. Members must see versions in order: an older status change is already
    // contained in the newer state sent, and is dropped; a position that survived deduplication
    // is the newest the room knows, so it is true as of the newer version and is sent as such;
    // an ending is never dropped.
    if (event.version < room.sent_version) {
      const bool position =
          event.kind == RoomEvent::Kind::kLocation || event.kind == RoomEvent::Kind::kLocationBatch;
      const bool ending = event.kind == RoomEvent::Kind::kClosed || is_terminal(event.status);
      if (!position && !ending) {
        ++stats_.events_stale;
        probe::hit(ports_.probes, probe::kHubStale);
        continue;
      }
      event.version = room.sent_version;
      if (position) event.status = room.sent_status;
    }
    room.sent_version = event.version;
    room.sent_status = event.status;
    room.sent_operation_id = event.operation_id;
    ordered.push_back(std::move(event));
  }
  if (ordered.empty()) return;
  events = std::move(ordered);

  for (const RoomEvent& event : events) {
    if (!event.locations.empty()) {
      const Location& position = event.locations.back();
      room.last_sent_position = position;
      if (!room.sent_position || position.device_time_ns >= room.sent_position->device_time_ns) {
        room.sent_position = position;
        room.sent_position_operation_id = event.operation_id;
      }
    }
  }

  ++room.sequence;
  const HubMessage message{.delivery_id = delivery_id,
                           .sequence = room.sequence,
                           .resync = false,
                           .events = std::move(events)};
  for (const auto& [subscriber_id, role] : room.members) {
    ports_.channel->send(subscriber_id, message);
    ++stats_.messages_sent;
  }
}

void SocketHub::send_resync(const Room& room, const std::string& delivery_id,
                            const std::string& subscriber_id) {
  HubMessage message{
      .delivery_id = delivery_id, .sequence = room.sequence, .resync = true, .events = {}};
  RoomEvent state;
  state.delivery_id = delivery_id;
  state.server_time_ns = ports_.clock->now();
  if (room.sent_version > 0) {
    state.kind = RoomEvent::Kind::kStatus;
    state.operation_id = room.sent_operation_id;
    state.version = room.sent_version;
    state.status = room.sent_status;
    message.events.push_back(state);
  }
  if (room.sent_position.has_value()) {
    RoomEvent position = state;
    position.kind = RoomEvent::Kind::kLocation;
    position.operation_id = room.sent_position_operation_id;
    position.locations = {*room.sent_position};
    message.events.push_back(std::move(position));
  }
  if (room.closed) {
    state.kind = RoomEvent::Kind::kClosed;
    state.operation_id = room.sent_operation_id;
    state.version = room.sent_version;
    state.status = room.sent_status;
    message.events.push_back(state);
  }
  ++stats_.resyncs;
  probe::hit(ports_.probes, probe::kHubResync);
  ports_.channel->send(subscriber_id, message);
  ++stats_.messages_sent;
}

void SocketHub::join(const std::string& delivery_id, const std::string& subscriber_id,
                     SubscriberRole role) {
  Room& room = rooms_[delivery_id];
  if (!room.closed) room.members[subscriber_id] = role;
  send_resync(room, delivery_id, subscriber_id);
}

void SocketHub::leave(const std::string& delivery_id, const std::string& subscriber_id) {
  auto it = rooms_.find(delivery_id);
  if (it != rooms_.end()) it->second.members.erase(subscriber_id);
}

bool SocketHub::room_closed(const std::string& delivery_id) const {
  auto it = rooms_.find(delivery_id);
  return it != rooms_.end() && it->second.closed;
}

std::vector<std::string> SocketHub::members(const std::string& delivery_id) const {
  std::vector<std::string> ids;
  auto it = rooms_.find(delivery_id);
  if (it == rooms_.end()) return ids;
  for (const auto& [subscriber_id, role] : it->second.members)
    ids.push_back(subscriber_id);
  return ids;
}

}  // namespace tracksim::model

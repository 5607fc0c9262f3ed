// Socket clients of the hub and what they record; see subscribers.h.
#include "sim/world/subscribers.h"

#include <cassert>

namespace tracksim::sim {

using model::RoomEvent;

Subscribers::Subscribers(Simulation& sim, Network& network, History& history, Probes& probes,
                         SubscriberConfig config)
    : sim_(sim), network_(network), history_(history), probes_(probes), config_(config) {}

void Subscribers::add(const std::string& name, const std::string& endpoint,
                      model::SubscriberRole role, const std::vector<std::string>& delivery_ids,
                      EventHook hook) {
  auto [it, added] = clients_.emplace(name, std::make_unique<Client>());
  assert(added);  // names are unique: they are the hub's subscriber ids
  Client& client = *it->second;
  client.name = name;
  client.role = role;
  client.socket =
      std::make_shared<ChannelCore>(sim_, network_, "hub->" + name, endpoint, config_.link);
  client.socket->attach(client.socket);
  client.uplink = sim_.stream("subscriber/" + name + "/uplink");
  client.hook = std::move(hook);
  for (const std::string& id : delivery_ids)
    client.rooms.emplace(id, RoomView{});

  client.socket->set_listener([this, name](bool connected) {
    if (!connected) return;
    Client& c = *clients_.at(name);
    probes_.hit(kProbeSubscriberRejoin);
    for (auto& [delivery_id, view] : c.rooms) {
      if (view.following) join(c, delivery_id);
    }
  });
}

void Subscribers::start() {
  assert(hub_ != nullptr);
  for (auto& [name, client] : clients_) {
    for (auto& [delivery_id, view] : client->rooms)
      join(*client, delivery_id);
  }
}

void Subscribers::join(Client& client, const std::string& delivery_id) {
  RoomView& view = client.rooms.at(delivery_id);
  view.join_pending = true;
  view.synced = false;
  const std::uint64_t attempt = ++view.join_attempt;
  // Unanswered by then, the join goes again; a reconnect meanwhile sends its own.
  sim_.at(sim_.now() + config_.join_timeout_ns, [this, name = client.name, delivery_id, attempt] {
    Client& c = *clients_.at(name);
    const RoomView& v = c.rooms.at(delivery_id);
    if (!v.following || !v.join_pending || v.join_attempt != attempt) return;
    if (!c.socket->connected()) return;
    probes_.hit(kProbeSubscriberJoinRetry);
    join(c, delivery_id);
  });
  const Transmission fate = network_.transmit(client.socket->endpoint(), config_.link,
                                              client.uplink, client.uplink_floor_ns);
  if (fate.arrivals_ns.empty()) return;  // lost on the way up
  sim_.at(fate.arrivals_ns.front(), [this, name = client.name, role = client.role, delivery_id] {
    hub_->join(delivery_id, name, role);
  });
}

void Subscribers::send(const std::string& subscriber_id, const model::HubMessage& message) {
  auto it = clients_.find(subscriber_id);
  assert(it != clients_.end());  // the hub only sends to clients that joined
  if (it == clients_.end()) return;
  it->second->socket->send([this, subscriber_id, message] { arrive(subscriber_id, message); });
}

void Subscribers::arrive(const std::string& name, const model::HubMessage& message) {
  Client& client = *clients_.at(name);
  auto room = client.rooms.find(message.delivery_id);
  if (room == client.rooms.end()) return;
  RoomView& view = room->second;
  if (!view.following) return;

  if (message.resync) {
    view.join_pending = false;
    for (const RoomEvent& event : message.events) {
      const bool newer =
          (event.kind == RoomEvent::Kind::kStatus && event.version > view.last_version) ||
          (event.kind == RoomEvent::Kind::kLocation && !event.locations.empty() &&
           event.locations.back().device_time_ns > view.newest_position_ns) ||
          event.kind == RoomEvent::Kind::kClosed;
      if (newer && view.following) take(client, view, message, event);
    }
    view.last_sequence = std::max(view.last_sequence, message.sequence);
    view.synced = true;
    return;
  }

  if (view.synced && message.sequence <= view.last_sequence) {
    probes_.hit(kProbeSubscriberDuplicate);
    return;
  }
  if (view.synced && message.sequence != view.last_sequence + 1) {
    // A message went missing: ask for the room's state again.
    probes_.hit(kProbeSubscriberGap);
    sim_.trace()
        .event(sim_.now(), "sub.gap")
        .field("sub", name)
        .field("doc", message.delivery_id)
        .field("expected", view.last_sequence + 1)
        .field("got", message.sequence);
    if (!view.join_pending) join(client, message.delivery_id);
  }
  for (const RoomEvent& event : message.events) {
    if (view.following) take(client, view, message, event);
  }
  view.last_sequence = message.sequence;
  view.synced = true;
}

void Subscribers::take(Client& client, RoomView& view, const model::HubMessage& message,
                       const RoomEvent& event) {
  SubscriberReceipt receipt;
  receipt.time_ns = sim_.now();
  receipt.subscriber = client.name;
  receipt.delivery_id = message.delivery_id;
  receipt.kind = event.kind;
  receipt.operation_id = event.operation_id;
  receipt.version = event.version;
  receipt.status = event.status;
  if (!event.locations.empty()) receipt.location = event.locations.back();
  receipt.sequence = message.sequence;
  receipt.resync = message.resync;
  history_.add_receipt(std::move(receipt));

  if (event.kind != RoomEvent::Kind::kFailure) {
    view.last_version = std::max(view.last_version, event.version);
  }
  if (!event.locations.empty()) {
    view.newest_position_ns =
        std::max(view.newest_position_ns, event.locations.back().device_time_ns);
  }
  if (event.kind == RoomEvent::Kind::kClosed) view.following = false;
  if (client.hook) client.hook(event);
}

void Subscribers::record_end() {
  for (const auto& [name, client] : clients_) {
    if (!client->socket->connected()) continue;
    for (const auto& [delivery_id, view] : client->rooms) {
      // A client still waiting for its rejoin's answer cannot be expected to know the end yet.
      if (!view.following || view.join_pending) continue;
      history_.add_subscription_at_end(
          SubscriptionAtEnd{.subscriber = name, .delivery_id = delivery_id});
    }
  }
}

// --- RealtimeServer ------------------------------------------------------------------------------

RealtimeServer::RealtimeServer(Simulation& sim, History& history, Probes& probes,
                               model::SocketHubConfig hub, SubscriberConfig subscribers)
    : sim_(sim),
      history_(history),
      probes_(probes),
      hub_config_(hub),
      config_(subscribers),
      clock_(sim),
      timer_(sim) {}

void RealtimeServer::publish(const model::RoomEvent& event) {
  if (hub_ != nullptr) hub_->publish(event);
}

void RealtimeServer::attach(Network& network, const LinkConfig& link) {
  assert(subscribers_ == nullptr);
  if (!config_.enabled) return;
  SubscriberConfig config = config_;
  config.link = link;
  subscribers_ = std::make_unique<Subscribers>(sim_, network, history_, probes_, config);
  hub_ = std::make_unique<model::SocketHub>(
      hub_config_,
      model::SocketHubPorts{
          .clock = &clock_, .timer = &timer_, .channel = subscribers_.get(), .probes = &probes_});
  subscribers_->set_hub(hub_.get());
}

void RealtimeServer::start() {
  if (subscribers_ != nullptr) subscribers_->start();
}

void RealtimeServer::record_end() {
  if (subscribers_ != nullptr) subscribers_->record_end();
}

}  // namespace tracksim::sim

//! The people following deliveries in real time: customers, restaurants, the dispatcher and the
//! drivers' own apps, as socket clients of the server's SocketHub.
//!
//! Subscribers is the hub's SubscriberChannel: each subscriber has one socket from the server
//! (a ChannelCore on the shared Network, fifo like TCP, with no loss of its own), which a cut of
//! the subscriber's endpoint disconnects; messages sent while it is down, or in flight when it
//! goes down, are lost. Each subscriber client:
//!   - joins the rooms of its deliveries at the start, by a message up to the hub that takes a
//!     drawn latency and is lost when the endpoint is cut or to the link's loss; the hub answers
//!     with a resync, and a join left unanswered for join_timeout_ns is sent again;
//!   - rejoins every room it still follows when its socket reconnects, and a room whose message
//!     numbers skip (it missed a message), so the hub sends it a resync;
//!   - applies what it receives like a real client: a broadcast is taken whole; a resync only for
//!     what is newer than what it has; a message it already had (by number) is ignored;
//!   - records every event it takes as a SubscriberReceipt in the History, in arrival order, and
//!     at the end of the run a SubscriptionAtEnd for each room it still follows while connected.
//! Everything runs on the kernel context (arrival and connection callbacks), so a subscriber
//! costs no fiber. Left out: subscribers that leave by choice, and joining mid-run.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/socket_hub.h"
#include "sim/kernel/simulation.h"
#include "sim/world/history.h"
#include "sim/world/network.h"
#include "sim/world/phone.h"
#include "sim/world/probes.h"

namespace tracksim::sim {

struct SubscriberConfig {
  bool enabled = true;
  // The sockets from the server, one way; reconnect_delay is how long a client takes to
  // reconnect once its network is back. Joins travel up with the same latency.
  LinkConfig link{.latency = {.mean_ms = 40, .stddev_ms = 20},
                  .fifo = true,
                  .reconnect_delay = {.mean_ms = 1000, .stddev_ms = 500}};
  // A join is answered by the room's state (a resync); a client that has no answer this long
  // after sending one, with its socket up, sends it again (a lost join or a lost answer).
  Nanos join_timeout_ns = seconds(5);
};

// Probe names of the simulated subscribers.
inline constexpr std::string_view kProbeSubscriberGap = "subscriber.gap";
inline constexpr std::string_view kProbeSubscriberRejoin = "subscriber.rejoin";
inline constexpr std::string_view kProbeSubscriberJoinRetry = "subscriber.join_retry";
inline constexpr std::string_view kProbeSubscriberDuplicate = "subscriber.duplicate_ignored";

class Subscribers final : public model::SubscriberChannel {
 public:
  // Told of every event a subscriber takes; runs on the kernel context and must not wait.
  using EventHook = std::function<void(const model::RoomEvent&)>;

  Subscribers(Simulation& sim, Network& network, History& history, Probes& probes,
              SubscriberConfig config);
  Subscribers(const Subscribers&) = delete;
  Subscribers& operator=(const Subscribers&) = delete;

  // The hub the clients join; set before start(). REQUIRES: it outlives the run.
  void set_hub(model::SocketHub* hub) { hub_ = hub; }

  // A client `name` following `delivery_ids`; its socket is cut whenever `endpoint` is (a
  // driver's app shares its phone's network, so a tunnel cuts both).
  void add(const std::string& name, const std::string& endpoint, model::SubscriberRole role,
           const std::vector<std::string>& delivery_ids, EventHook hook = nullptr);

  // Every client sends its joins.
  void start();

  void send(const std::string& subscriber_id, const model::HubMessage& message) override;

  // Records a SubscriptionAtEnd for each room a connected client still follows.
  void record_end();

  std::size_t size() const { return clients_.size(); }

 private:
  // What one client knows of one room.
  struct RoomView {
    bool following = true;  // false once it heard the room close
    bool join_pending = false;
    std::uint64_t join_attempt = 0;  // numbers the joins sent, so a stale retry timer does nothing
    bool synced = false;             // it has taken a resync or a broadcast since its last (re)join
    std::uint64_t last_sequence = 0;
    std::int64_t last_version = INT64_MIN;
    Nanos newest_position_ns = INT64_MIN;
  };
  struct Client {
    std::string name;
    model::SubscriberRole role;
    std::shared_ptr<ChannelCore> socket;
    RandomStream uplink;
    Nanos uplink_floor_ns = 0;
    std::map<std::string, RoomView> rooms;
    EventHook hook;
  };

  void join(Client& client, const std::string& delivery_id);
  void arrive(const std::string& name, const model::HubMessage& message);
  void take(Client& client, RoomView& view, const model::HubMessage& message,
            const model::RoomEvent& event);

  Simulation& sim_;
  Network& network_;
  History& history_;
  Probes& probes_;
  SubscriberConfig config_;
  model::SocketHub* hub_ = nullptr;
  std::map<std::string, std::unique_ptr<Client>> clients_;
};

// The server's real-time side as the world wires it: the backend's Broadcaster, the SocketHub
// behind it on a kernel timer, and the Subscribers it sends to. It exists before the network
// does (the backend's ports need it first); attach() builds the hub and the sockets. Until then,
// and when subscribers are disabled, published events go nowhere.
class RealtimeServer final : public model::Broadcaster {
 public:
  RealtimeServer(Simulation& sim, History& history, Probes& probes, model::SocketHubConfig hub,
                 SubscriberConfig subscribers);

  void publish(const model::RoomEvent& event) override;

  // Builds the hub and the subscribers' sockets, with `link` for every socket.
  void attach(Network& network, const LinkConfig& link);
  // Null before attach() or when subscribers are disabled.
  Subscribers* subscribers() { return subscribers_.get(); }
  const model::SocketHub* hub() const { return hub_.get(); }
  // Every subscriber joins its rooms.
  void start();
  // After the run: the subscriptions still live, for the properties.
  void record_end();

 private:
  Simulation& sim_;
  History& history_;
  Probes& probes_;
  model::SocketHubConfig hub_config_;
  SubscriberConfig config_;
  SimClock clock_;
  SimTimer timer_;
  std::unique_ptr<Subscribers> subscribers_;
  std::unique_ptr<model::SocketHub> hub_;
};

}  // namespace tracksim::sim

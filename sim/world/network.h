//! The networks of the world: apps to the API server, and the server to room subscribers.
//!
//! Network holds what is shared by every link: the partition windows (the network between a
//! client and the server is cut), the devices' offline windows (a tunnel, airplane mode), and the
//! watchers that hear when a client's reachability changes. A window may be added before or
//! during the run; watchers are told at each window's edges, on the kernel context.
//!
//! Every message on a link meets the same fate model (LinkConfig): it is dropped when the link is
//! cut or by random loss; otherwise it arrives after a drawn latency, possibly twice (a
//! duplicate), possibly late enough to be overtaken (independent latencies reorder by themselves;
//! reorder_rate adds an explicit hold-back), unless the link is `fifo`, when no message overtakes
//! an earlier one (a TCP stream). Every drop, duplicate and hold-back is traced.
//!
//! Two kinds of link use it:
//!   - AppLink: one device's HTTP calls, the app's Transport port. A request travels up, the
//!     server handles each copy on a fiber of its own, and the response travels back; the app
//!     waits at most its timeout, and a late response is dropped.
//!   - Channel<T>: a one-way socket from the server to one subscriber. It is connected while the
//!     subscriber is reachable; a cut disconnects it, and once the cut heals it reconnects after a
//!     drawn delay. Messages sent while disconnected, and those in flight at a disconnect, are
//!     lost (a socket server does not buffer for a client that went away). Arrivals land in the
//!     channel's Mailbox; connection changes are reported to a callback.
//!
//! ApiServer runs one handler fiber per request, as a Node.js server interleaves requests at every
//! await; handlers share the backend and its store client, just as they share a process.
//! Left out: bandwidth and congestion (latency does not grow with load), and partial partitions
//! that cut only one direction.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/api.h"
#include "sim/kernel/simulation.h"
#include "sim/kernel/sync.h"
#include "sim/world/storage.h"

namespace tracksim::sim {

struct LinkConfig {
  LatencyConfig latency{.mean_ms = 40, .stddev_ms = 20};  // one way
  double loss_rate = 0;
  double duplicate_rate = 0;
  // No message overtakes an earlier one on the same link (a TCP stream): arrival times are made
  // non-decreasing. Off for HTTP requests, which travel on independent connections.
  bool fifo = false;
  // Share of messages (on links that are not fifo) held back by an extra delay, so that messages
  // sent after them are likely to arrive first.
  double reorder_rate = 0;
  LatencyConfig reorder_delay{.mean_ms = 200, .stddev_ms = 100};
  // How long a socket takes to reconnect once its cut heals (Channel only).
  LatencyConfig reconnect_delay{.mean_ms = 1000, .stddev_ms = 500};
};

// A window in which messages between the app `client` ("*": every app) and the server are lost.
struct PartitionWindow {
  Nanos from_ns = 0;
  Nanos until_ns = 0;
  std::string client = "*";
};

// What the link does with one message: when each copy arrives (empty: lost), and why.
struct Transmission {
  std::vector<Nanos> arrivals_ns;  // absolute times, one per copy
  const char* dropped_why = nullptr;
};

class ApiServer {
 public:
  ApiServer(Simulation& sim, model::DeliveryBackend& backend);

  // Handles `request` on a new fiber and passes the response to `respond` when done.
  void deliver(const model::ApiRequest& request,
               std::function<void(const model::ApiResponse&)> respond);
  std::uint64_t requests_handled() const { return handled_; }

 private:
  Simulation& sim_;
  model::DeliveryBackend& backend_;
  std::uint64_t handled_ = 0;
};

class Network {
 public:
  // Told whether the watched client is now reachable; runs on the kernel context, must not wait.
  using Watcher = std::function<void(bool reachable)>;

  Network(Simulation& sim, LinkConfig config) : sim_(sim), config_(std::move(config)) {}

  const LinkConfig& config() const { return config_; }
  // Scheduled bursts (message loss, duplicates, latency spikes) to honour, and where injected
  // faults are counted; both optional and must outlive the run.
  void attach_faults(const FaultTimeline* timeline, FaultLog* log) {
    timeline_ = timeline;
    fault_log_ = log;
  }

  // The network between `window.client` and the server is cut for the window.
  void add_partition(PartitionWindow window);
  // The device `client` is offline for [from_ns, until_ns).
  void add_offline(const std::string& client, Nanos from_ns, Nanos until_ns);

  // Why messages of `client` are lost at `at_ns`: "partition", "offline", or null when reachable.
  const char* cut_reason(const std::string& client, Nanos at_ns) const;
  bool cut(const std::string& client, Nanos at_ns) const {
    return cut_reason(client, at_ns) != nullptr;
  }

  // Calls `watcher` whenever `client`'s reachability changes from now on; returns a handle.
  std::uint64_t watch(const std::string& client, Watcher watcher);
  void unwatch(std::uint64_t handle) { watchers_.erase(handle); }

  // The fate of one message from or to `client` sent now on a link with `config`, drawn from
  // `stream`. `fifo_floor_ns` is the arrival of the link's previous message (fifo links only) and
  // is raised to this message's last arrival.
  Transmission transmit(const std::string& client, const LinkConfig& config, RandomStream& stream,
                        Nanos& fifo_floor_ns) const;

 private:
  struct Window {
    Nanos from_ns;
    Nanos until_ns;
    std::string client;
    bool offline;  // a device offline window rather than a network partition
  };
  struct WatcherEntry {
    std::string client;
    Watcher watcher;
    bool reachable;
  };

  void add_window(Window window);
  void notify(const std::string& client);

  Simulation& sim_;
  LinkConfig config_;
  const FaultTimeline* timeline_ = nullptr;
  FaultLog* fault_log_ = nullptr;
  std::vector<Window> windows_;
  std::map<std::uint64_t, WatcherEntry> watchers_;  // by handle, so notification order is stable
  std::uint64_t last_handle_ = 0;
};

class AppLink final : public model::Transport {
 public:
  AppLink(Simulation& sim, Network& network, ApiServer& server, std::string client);

  std::optional<model::ApiResponse> call(const model::ApiRequest& request,
                                         Nanos timeout_ns) override;

  // While offline (the app switched off, a restart) nothing leaves or reaches the device, on top
  // of the Network's own windows.
  void set_offline(bool offline) { offline_ = offline; }
  bool offline() const { return offline_; }
  const std::string& client() const { return client_; }

 private:
  Transmission transmit(const char* direction);

  Simulation& sim_;
  Network& network_;
  ApiServer& server_;
  std::string client_;
  RandomStream stream_;
  Nanos fifo_floor_ns_ = 0;  // unused unless the network is fifo
  bool offline_ = false;
};

// The part of a Channel that does not depend on the message type: connection state, fates, and
// tracing. Shared with the messages in flight, so a channel may be destroyed while they travel.
class ChannelCore {
 public:
  using ConnectionListener = std::function<void(bool connected)>;

  ChannelCore(Simulation& sim, Network& network, std::string name, std::string endpoint,
              LinkConfig config);

  // Starts following the endpoint's reachability; call once, right after construction.
  void attach(const std::shared_ptr<ChannelCore>& self);
  void close();

  // Sends one message: schedules `arrive` once per copy that reaches the endpoint.
  void send(const std::function<void()>& arrive);

  bool connected() const { return connected_; }
  void set_listener(ConnectionListener listener) { listener_ = std::move(listener); }
  const std::string& name() const { return name_; }
  const std::string& endpoint() const { return endpoint_; }
  std::uint64_t sent() const { return sent_; }
  std::uint64_t delivered() const { return delivered_; }
  std::uint64_t dropped() const { return dropped_; }
  std::uint64_t reconnects() const { return reconnects_; }

 private:
  void on_reachability(bool reachable);
  void set_connected(bool connected);

  Simulation& sim_;
  Network& network_;
  std::string name_;
  std::string endpoint_;
  LinkConfig config_;
  RandomStream stream_;
  std::weak_ptr<ChannelCore> self_;
  std::uint64_t watch_handle_ = 0;
  bool attached_ = false;
  bool connected_ = true;
  bool closed_ = false;
  // Raised at every disconnect: a message sent in an earlier epoch is lost on arrival.
  std::uint64_t epoch_ = 0;
  Nanos fifo_floor_ns_ = 0;
  ConnectionListener listener_;
  std::uint64_t sent_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t reconnects_ = 0;
};

// A one-way socket from the server to one subscriber `endpoint`, carrying messages of type T
// (model::RoomEvent for the socket hub). send() never waits and may be called from a fiber or a
// kernel callback; the subscriber receives from inbox() on a fiber of its own.
//
//   Channel<model::RoomEvent> socket(sim, network, "room/delivery-1/customer-1", "customer-1",
//                                    LinkConfig{.fifo = true});
//   socket.on_connection_change([&](bool up) { if (up) rejoin(); });  // kernel context
//   socket.send(event);                       // server side
//   model::RoomEvent e = socket.inbox().receive();   // subscriber's fiber
template <class T>
class Channel {
 public:
  Channel(Simulation& sim, Network& network, std::string name, std::string endpoint,
          LinkConfig config)
      : core_(std::make_shared<ChannelCore>(sim, network, std::move(name), std::move(endpoint),
                                            std::move(config))),
        inbox_(std::make_shared<Mailbox<T>>()) {
    core_->attach(core_);
  }
  ~Channel() { core_->close(); }
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  void send(T message) {
    core_->send([inbox = inbox_, message = std::move(message)] { inbox->send(message); });
  }

  Mailbox<T>& inbox() { return *inbox_; }
  bool connected() const { return core_->connected(); }
  // `listener(true)` after each reconnect, `listener(false)` at each disconnect; kernel context.
  void on_connection_change(ChannelCore::ConnectionListener listener) {
    core_->set_listener(std::move(listener));
  }
  const ChannelCore& stats() const { return *core_; }

 private:
  std::shared_ptr<ChannelCore> core_;
  std::shared_ptr<Mailbox<T>> inbox_;
};

}  // namespace tracksim::sim

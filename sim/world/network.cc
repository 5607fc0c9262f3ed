// Message passing between apps, the API server and subscribers; see network.h.
#include "sim/world/network.h"

#include <algorithm>

#include "model/check.h"

namespace tracksim::sim {

ApiServer::ApiServer(Simulation& sim, model::DeliveryBackend& backend)
    : sim_(sim), backend_(backend) {}

void ApiServer::deliver(const model::ApiRequest& request,
                        std::function<void(const model::ApiResponse&)> respond) {
  const std::uint64_t number = ++handled_;
  sim_.spawn("handler-" + std::to_string(number), [this, request, respond = std::move(respond)] {
    model::ApiResponse response = backend_.handle(request);
    respond(response);
  });
}

// --- Network -------------------------------------------------------------------------------------

void Network::add_partition(PartitionWindow window) {
  add_window(Window{window.from_ns, window.until_ns, std::move(window.client), false});
}

void Network::add_offline(const std::string& client, Nanos from_ns, Nanos until_ns) {
  add_window(Window{from_ns, until_ns, client, true});
}

void Network::add_window(Window window) {
  TRACKSIM_CHECK(window.until_ns >= window.from_ns);
  const std::string client = window.client;
  const Nanos from = std::max(window.from_ns, sim_.now());
  const Nanos until = std::max(window.until_ns, sim_.now());
  windows_.push_back(std::move(window));
  if (until <= from) return;
  // Watchers hear about both edges; notify() compares with what each last heard, so overlapping
  // windows produce one change, not several.
  sim_.at(from, [this, client] { notify(client); });
  sim_.at(until, [this, client] { notify(client); });
}

const char* Network::cut_reason(const std::string& client, Nanos at_ns) const {
  const char* why = nullptr;
  for (const Window& w : windows_) {
    if (at_ns < w.from_ns || at_ns >= w.until_ns) continue;
    if (w.client != "*" && w.client != client) continue;
    if (w.offline) return "offline";
    why = "partition";
  }
  return why;
}

std::uint64_t Network::watch(const std::string& client, Watcher watcher) {
  const std::uint64_t handle = ++last_handle_;
  watchers_.emplace(handle, WatcherEntry{client, std::move(watcher), !cut(client, sim_.now())});
  return handle;
}

void Network::notify(const std::string& client) {
  // A watcher may unwatch (or watch) from its callback, so walk by handle, not by iterator.
  std::vector<std::uint64_t> handles;
  for (const auto& [handle, entry] : watchers_) {
    if (client == "*" || entry.client == client) handles.push_back(handle);
  }
  for (std::uint64_t handle : handles) {
    auto it = watchers_.find(handle);
    if (it == watchers_.end()) continue;
    const bool reachable = !cut(it->second.client, sim_.now());
    if (reachable == it->second.reachable) continue;
    it->second.reachable = reachable;
    Watcher watcher = it->second.watcher;  // the callback may erase the entry
    watcher(reachable);
  }
}

Transmission Network::transmit(const std::string& client, const LinkConfig& config,
                               RandomStream& stream, Nanos& fifo_floor_ns) const {
  Transmission fate;
  const Nanos now = sim_.now();
  fate.dropped_why = cut_reason(client, now);
  if (fate.dropped_why != nullptr) return fate;
  double loss = config.loss_rate;
  double duplicate = config.duplicate_rate;
  double factor = 1;
  if (timeline_ != nullptr) {
    loss = timeline_->probability(Burst::kMessageLoss, client, now, loss);
    duplicate = timeline_->probability(Burst::kDuplicates, client, now, duplicate);
    factor = timeline_->latency_factor(client, now);
  }
  if (loss > 0 && stream.bernoulli(loss)) {
    fate.dropped_why = "loss";
    if (fault_log_ != nullptr) fault_log_->injected("message_lost", client);
    return fate;
  }
  const int copies = duplicate > 0 && stream.bernoulli(duplicate) ? 2 : 1;
  for (int copy = 0; copy < copies; ++copy) {
    Nanos latency = draw_latency(stream, config.latency);
    if (factor != 1) latency = static_cast<Nanos>(static_cast<double>(latency) * factor);
    Nanos arrival = now + latency;
    if (config.fifo) {
      arrival = std::max(arrival, fifo_floor_ns);
      fifo_floor_ns = arrival;
    } else if (config.reorder_rate > 0 && stream.bernoulli(config.reorder_rate)) {
      const Nanos held = draw_latency(stream, config.reorder_delay);
      arrival += held;
      if (fault_log_ != nullptr) fault_log_->injected("message_held_back", client, held);
    }
    fate.arrivals_ns.push_back(arrival);
  }
  if (copies > 1 && fault_log_ != nullptr) fault_log_->injected("message_duplicated", client);
  return fate;
}

// --- AppLink -------------------------------------------------------------------------------------

AppLink::AppLink(Simulation& sim, Network& network, ApiServer& server, std::string client)
    : sim_(sim),
      network_(network),
      server_(server),
      client_(std::move(client)),
      stream_(sim.stream("network/" + client_)) {}

Transmission AppLink::transmit(const char* direction) {
  Transmission fate;
  if (offline_) {
    fate.dropped_why = "app_offline";
  } else {
    fate = network_.transmit(client_, network_.config(), stream_, fifo_floor_ns_);
  }
  if (fate.dropped_why != nullptr) {
    sim_.trace()
        .event(sim_.now(), "net.drop")
        .field("client", client_)
        .field("dir", direction)
        .field("why", fate.dropped_why);
  }
  return fate;
}

std::optional<model::ApiResponse> AppLink::call(const model::ApiRequest& request,
                                                Nanos timeout_ns) {
  auto reply = make_reply<model::ApiResponse>();
  sim_.trace()
      .event(sim_.now(), "net.send")
      .field("client", client_)
      .field("op", request.operation_id)
      .field("kind", model::to_string(request.kind));

  // Each copy that arrives is handled; the first response to come back answers the call.
  for (Nanos arrival : transmit("up").arrivals_ns) {
    sim_.at(arrival, [this, request, reply] {
      sim_.trace()
          .event(sim_.now(), "net.deliver")
          .field("client", client_)
          .field("op", request.operation_id);
      server_.deliver(request, [this, reply](const model::ApiResponse& response) {
        for (Nanos back : transmit("down").arrivals_ns) {
          sim_.at(back, [this, reply, response] {
            if (reply->answered()) return;  // a duplicate's answer, or the copy's
            sim_.trace()
                .event(sim_.now(), "net.reply")
                .field("client", client_)
                .field("op", response.operation_id)
                .field("ok", response.success);
            reply->set(response);
          });
        }
      });
    });
  }

  std::optional<model::ApiResponse> response = reply->wait_for(timeout_ns);
  if (!response) {
    sim_.trace()
        .event(sim_.now(), "net.timeout")
        .field("client", client_)
        .field("op", request.operation_id);
  }
  return response;
}

// --- ChannelCore ---------------------------------------------------------------------------------

ChannelCore::ChannelCore(Simulation& sim, Network& network, std::string name, std::string endpoint,
                         LinkConfig config)
    : sim_(sim),
      network_(network),
      name_(std::move(name)),
      endpoint_(std::move(endpoint)),
      config_(std::move(config)),
      stream_(sim.stream("channel/" + name_)) {}

void ChannelCore::attach(const std::shared_ptr<ChannelCore>& self) {
  TRACKSIM_CHECK(!attached_);
  TRACKSIM_CHECK(self.get() == this);
  attached_ = true;
  self_ = self;
  connected_ = !network_.cut(endpoint_, sim_.now());
  std::weak_ptr<ChannelCore> weak = self;
  watch_handle_ = network_.watch(endpoint_, [weak](bool reachable) {
    if (auto core = weak.lock()) core->on_reachability(reachable);
  });
}

void ChannelCore::close() {
  if (closed_) return;
  closed_ = true;
  listener_ = nullptr;
  if (attached_) network_.unwatch(watch_handle_);
}

void ChannelCore::on_reachability(bool reachable) {
  if (closed_) return;
  if (!reachable) {
    set_connected(false);
    return;
  }
  // The cut healed: the client notices and reconnects after a while, unless cut again first.
  const Nanos delay = draw_latency(stream_, config_.reconnect_delay);
  const std::uint64_t epoch = epoch_;
  std::weak_ptr<ChannelCore> weak = self_;
  sim_.after(delay, [weak, epoch] {
    auto core = weak.lock();
    if (!core || core->closed_ || core->epoch_ != epoch || core->connected_) return;
    if (core->network_.cut(core->endpoint_, core->sim_.now())) return;
    ++core->reconnects_;
    core->set_connected(true);
  });
}

void ChannelCore::set_connected(bool connected) {
  if (connected == connected_) return;
  connected_ = connected;
  if (!connected) ++epoch_;
  sim_.trace()
      .event(sim_.now(), connected ? "chan.connect" : "chan.disconnect")
      .field("chan", name_);
  if (listener_) {
    ConnectionListener listener = listener_;  // it may replace itself
    listener(connected);
  }
}

void ChannelCore::send(const std::function<void()>& arrive) {
  TRACKSIM_CHECK(attached_);
  ++sent_;
  Transmission fate;
  if (closed_) {
    fate.dropped_why = "closed";
  } else if (!connected_) {
    fate.dropped_why = "disconnected";
  } else {
    fate = network_.transmit(endpoint_, config_, stream_, fifo_floor_ns_);
  }
  if (fate.dropped_why != nullptr) {
    ++dropped_;
    sim_.trace().event(sim_.now(), "chan.drop").field("chan", name_).field("why", fate.dropped_why);
    return;
  }
  const std::uint64_t epoch = epoch_;
  std::weak_ptr<ChannelCore> weak = self_;
  for (Nanos arrival : fate.arrivals_ns) {
    sim_.at(arrival, [weak, epoch, arrive] {
      auto core = weak.lock();
      if (!core) return;
      if (core->closed_ || core->epoch_ != epoch) {
        // The socket went down while this message was on its way.
        ++core->dropped_;
        core->sim_.trace()
            .event(core->sim_.now(), "chan.drop")
            .field("chan", core->name_)
            .field("why", "disconnected_in_flight");
        return;
      }
      ++core->delivered_;
      core->sim_.trace().event(core->sim_.now(), "chan.deliver").field("chan", core->name_);
      arrive();
    });
  }
}

}  // namespace tracksim::sim

// Message passing between apps and the API server; see network.h.
#include "sim/world/network.h"

#include <algorithm>

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

bool Network::cut(const std::string& client, Nanos at_ns) const {
  return std::any_of(partitions_.begin(), partitions_.end(), [&](const PartitionWindow& w) {
    return at_ns >= w.from_ns && at_ns < w.until_ns && (w.client == "*" || w.client == client);
  });
}

AppLink::AppLink(Simulation& sim, Network& network, ApiServer& server, std::string client)
    : sim_(sim),
      network_(network),
      server_(server),
      client_(std::move(client)),
      stream_(sim.stream("network/" + client_)) {}

bool AppLink::lost(const char* direction) {
  const char* why = nullptr;
  if (offline_) {
    why = "offline";
  } else if (network_.cut(client_, sim_.now())) {
    why = "partition";
  } else if (network_.config().loss_rate > 0 && stream_.bernoulli(network_.config().loss_rate)) {
    why = "loss";
  }
  if (why == nullptr) return false;
  sim_.trace()
      .event(sim_.now(), "net.drop")
      .field("client", client_)
      .field("dir", direction)
      .field("why", why);
  return true;
}

std::optional<model::ApiResponse> AppLink::call(const model::ApiRequest& request,
                                                Nanos timeout_ns) {
  auto reply = make_reply<model::ApiResponse>();
  sim_.trace()
      .event(sim_.now(), "net.send")
      .field("client", client_)
      .field("op", request.operation_id)
      .field("kind", model::to_string(request.kind));

  if (!lost("up")) {
    const int copies =
        network_.config().duplicate_rate > 0 && stream_.bernoulli(network_.config().duplicate_rate)
            ? 2
            : 1;
    for (int copy = 0; copy < copies; ++copy) {
      const Nanos up = draw_latency(stream_, network_.config().latency);
      sim_.after(up, [this, request, reply] {
        sim_.trace()
            .event(sim_.now(), "net.deliver")
            .field("client", client_)
            .field("op", request.operation_id);
        server_.deliver(request, [this, reply](const model::ApiResponse& response) {
          if (lost("down")) return;
          const Nanos down = draw_latency(stream_, network_.config().latency);
          sim_.after(down, [this, reply, response] {
            if (reply->answered()) return;  // the duplicate's answer
            sim_.trace()
                .event(sim_.now(), "net.reply")
                .field("client", client_)
                .field("op", response.operation_id)
                .field("ok", response.success);
            reply->set(response);
          });
        });
      });
    }
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

}  // namespace tracksim::sim

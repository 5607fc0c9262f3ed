//! The network between the drivers' apps and the API server, and the server's request handling.
//!
//! AppLink is one device's connection, and implements the app's Transport port: a request travels
//! up with a drawn latency (or is lost), the server handles it on a fiber of its own, and the
//! response travels back (or is lost). The app waits for the response at most its timeout; a late
//! response is dropped. Either direction may be cut by a partition window or by the device being
//! offline, and a message may be duplicated, in which case the server handles it twice.
//!
//! ApiServer runs one handler fiber per request, as a Node.js server interleaves requests at every
//! await; handlers share the backend and its store client, just as they share a process.
#pragma once

#include <functional>
#include <memory>
#include <string>
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
};

// A window in which messages between the app `client` ("*": every app) and the server are lost.
struct PartitionWindow {
  Nanos from_ns = 0;
  Nanos until_ns = 0;
  std::string client = "*";
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
  Network(Simulation& sim, LinkConfig config) : sim_(sim), config_(std::move(config)) {}

  const LinkConfig& config() const { return config_; }
  void add_partition(PartitionWindow window) { partitions_.push_back(std::move(window)); }
  bool cut(const std::string& client, Nanos at_ns) const;

 private:
  Simulation& sim_;
  LinkConfig config_;
  std::vector<PartitionWindow> partitions_;
};

class AppLink final : public model::Transport {
 public:
  AppLink(Simulation& sim, Network& network, ApiServer& server, std::string client);

  std::optional<model::ApiResponse> call(const model::ApiRequest& request,
                                         Nanos timeout_ns) override;

  // While offline (a tunnel, airplane mode) nothing leaves or reaches the device.
  void set_offline(bool offline) { offline_ = offline; }
  bool offline() const { return offline_; }
  const std::string& client() const { return client_; }

 private:
  bool lost(const char* direction);

  Simulation& sim_;
  Network& network_;
  ApiServer& server_;
  std::string client_;
  RandomStream stream_;
  bool offline_ = false;
};

}  // namespace tracksim::sim

//! The workload: the drivers' apps, what they send, and how they react to what they hear back.
//!
//! Two shapes:
//!   - burst: `operations` requests fired within a short window against a few shared deliveries,
//!     the classic stress test of concurrent saves. Each delivery's status changes are issued by
//!     its driver one after another; positions fly concurrently with them.
//!   - routes: each driver works through deliveries one by one for the scenario's duration: it
//!     announces heading_to_pickup, drives the route with its phone sending a position every
//!     interval, taps at_pickup when it sees it has arrived (racing the server's own geofence
//!     transition), waits, picks up, drives on, taps at_dropoff and completes the delivery. A
//!     dispatcher may cancel a delivery midway.
//! Every request goes through a Client, which records the operation in the History (invocation and
//! completion) and resends it under the same operation id after a timeout or a server error.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/api.h"
#include "sim/kernel/simulation.h"
#include "sim/scenario.h"
#include "sim/world/city.h"
#include "sim/world/history.h"
#include "sim/world/network.h"

namespace tracksim::sim {

// One app's request path: history, resends, and the status it believes the delivery has.
class Client {
 public:
  Client(Simulation& sim, History& history, model::Transport& transport, std::string name,
         const WorkloadConfig& workload, Nanos request_timeout_ns);

  // Sends `request` (its operation id is filled in if empty) until it gets an answer or runs out
  // of resends. Returns the last response, or nullopt when none arrived.
  std::optional<model::ApiResponse> perform(model::ApiRequest request);
  const std::string& name() const { return name_; }

 private:
  Simulation& sim_;
  History& history_;
  model::Transport& transport_;
  std::string name_;
  const WorkloadConfig& workload_;
  Nanos request_timeout_ns_;
  RandomStream stream_;
  std::uint64_t next_operation_ = 0;
};

// A delivery as the workload plans it: where it starts and ends, and who drives it.
struct PlannedDelivery {
  std::string id;
  std::string driver;
  Point pickup;
  Point dropoff;
};

// The initial documents of a workload, and the fibers that drive it.
class Workload {
 public:
  Workload(Simulation& sim, History& history, const Scenario& scenario, const City& city,
           Network& network, ApiServer& server);

  // The DeliveryTracking documents that exist before the run (status "assigned").
  std::vector<model::DeliveryTracking> initial_documents() const;
  // Spawns every actor of the workload.
  void start();
  AppLink* link(const std::string& client);

 private:
  void plan();
  Client& client(const std::string& name);
  void start_burst();
  void start_routes();
  void drive(const std::string& driver, std::vector<PlannedDelivery> deliveries);

  Simulation& sim_;
  History& history_;
  const Scenario& scenario_;
  const City& city_;
  Network& network_;
  ApiServer& server_;
  std::vector<PlannedDelivery> deliveries_;
  std::map<std::string, std::unique_ptr<AppLink>> links_;
  std::map<std::string, std::unique_ptr<Client>> clients_;
};

}  // namespace tracksim::sim

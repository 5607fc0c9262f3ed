//! The workload: the drivers' apps, what they send, and how they react to what they hear back.
//!
//! Two shapes:
//!   - burst: `operations` requests fired within a short window against a few shared deliveries,
//!     the classic stress test of concurrent saves, as the backend's own stress script fires
//!     them: straight at the API through a Client, not through the app. Each delivery's status
//!     changes are issued by its driver one after another; positions fly concurrently with them.
//!   - routes: each driver's phone runs the real app services (model/location_sync.h and
//!     model/delivery_state_manager.h) on the phone's ports (phone.h). The driver works through
//!     deliveries one by one for the scenario's duration: it announces heading_to_pickup, drives
//!     the route while the GPS queues a position every interval (the sync service batches,
//!     deduplicates and sends them, keeping them while the phone is offline), taps at_pickup when
//!     it sees it has arrived (racing the server's own geofence transition), waits, picks up,
//!     drives on, taps at_dropoff and completes the delivery. Status taps go through the state
//!     manager, which first sends the positions already queued. A dispatcher may cancel a
//!     delivery midway, straight through the API; the driver learns of it from replies and from
//!     the delivery's room.
//! Every operation is recorded in the History with its invocation, completion and attempts: the
//! Client records its own; the app's services report to a HistoryRecorder, which also records
//! every position the app queued and the batch that carried it.
//! Left out: app restarts during a run (the services survive them in unit tests).
//! TODO(app-restart): restart a driver's app on the fault timeline's schedule, recreating its
//! services on the same PhoneStorage, once the fault injector exposes restarts to the workload.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/api.h"
#include "model/delivery_state_manager.h"
#include "model/location_sync.h"
#include "sim/kernel/simulation.h"
#include "sim/scenario.h"
#include "sim/world/city.h"
#include "sim/world/history.h"
#include "sim/world/network.h"
#include "sim/world/phone.h"
#include "sim/world/subscribers.h"

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

// Records what the app's services report: operations (invocation, attempts, completion) and the
// positions queued. An operation is recorded once however often an app announces it.
class HistoryRecorder final : public model::ClientListener {
 public:
  HistoryRecorder(const Simulation& sim, History& history, std::string client);

  void on_invoke(const model::ApiRequest& request) override;
  void on_attempt(const model::ApiRequest& request,
                  const std::optional<model::ApiResponse>& reply) override;
  void on_settle(const model::OperationSettlement& settlement) override;
  void on_location_queued(const model::QueuedLocation& update) override;
  void on_location_batch(const std::string& operation_id,
                         const std::vector<std::string>& update_ids) override;
  void on_location_dropped(const model::QueuedLocation& update, std::string_view why) override;

 private:
  const Simulation& sim_;
  History& history_;
  std::string client_;
  std::map<std::string, std::uint64_t> operations_;  // pending ones, by operation id
  std::map<std::string, std::uint64_t> positions_;   // by update id
};

// A driver's phone with the app running on it.
class DriverApp {
 public:
  DriverApp(Simulation& sim, History& history, Network& network, ApiServer& server,
            const Scenario& scenario, std::string driver, model::Probes* probes);
  DriverApp(const DriverApp&) = delete;
  DriverApp& operator=(const DriverApp&) = delete;

  // Spawns the sync loop, which runs until `until_ns` or until stop() once its queue is empty.
  void start(Nanos until_ns);
  void stop() { sync_->stop(); }
  // Takes on the next delivery; false when changes of the last one could not be sent.
  bool begin(const std::string& delivery_id);
  // The server's state as the room told it (kernel context: must not wait).
  void heard(const model::RoomEvent& event);

  model::LocationSyncService& sync() { return *sync_; }
  model::DeliveryStateManager& manager() { return *manager_; }
  const std::string& driver() const { return driver_; }

 private:
  Simulation& sim_;
  std::string driver_;
  PhoneStorage storage_;
  AppLink link_;
  PhoneConnectivity connectivity_;
  SimSignals signals_;
  SimClock clock_;
  SimSleeper sleeper_;
  RandomStream random_;
  HistoryRecorder recorder_;
  std::unique_ptr<model::LocationSyncService> sync_;
  std::unique_ptr<model::DeliveryStateManager> manager_;
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
  // Everyone who follows the deliveries in real time: a customer and a restaurant per delivery,
  // the dispatcher for all of them, and each driver's app for its own.
  void add_subscribers(Subscribers& subscribers);
  // Where the apps' services count their rare paths; set before add_subscribers() and start().
  void set_probes(model::Probes* probes) { probes_ = probes; }
  // Spawns every actor of the workload.
  void start();
  AppLink* link(const std::string& client);
  DriverApp* app(const std::string& driver);

 private:
  void plan();
  Client& client(const std::string& name);
  DriverApp& driver_app(const std::string& driver);
  void start_burst();
  void start_routes();
  void drive(DriverApp& app, std::vector<PlannedDelivery> deliveries);

  Simulation& sim_;
  History& history_;
  const Scenario& scenario_;
  const City& city_;
  Network& network_;
  ApiServer& server_;
  model::Probes* probes_ = nullptr;
  std::vector<PlannedDelivery> deliveries_;
  std::map<std::string, std::unique_ptr<AppLink>> links_;
  std::map<std::string, std::unique_ptr<Client>> clients_;
  std::map<std::string, std::unique_ptr<DriverApp>> apps_;
};

}  // namespace tracksim::sim

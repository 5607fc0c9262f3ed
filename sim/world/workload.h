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
//! The GPS stamps positions with the phone's own clock (skew, drift and jumps, from the
//! DeviceFleet), and an app restart from the fault timeline kills the app and relaunches it from
//! the phone's storage.
//! Left out: the human noticing that a tap was lost in a restart (the app resumes what it kept).
//! TODO(motion): drivers move at a constant speed drawn around workload.speed_mps_mean; driving
//! by plan_trip's speed profiles ([drivers]) needs the two speed knobs of the scenario reconciled.
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
#include "sim/world/driver_motion.h"
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

// A driver's phone with the app on it. The phone (its storage, link and network) lasts the whole
// run; the app is one Instance at a time: its services and the ports they wait on. kill() ends the
// running instance: every task of it freezes at its next wait and never runs again (waits on a
// signal are woken at once so they get there); its fibers stay blocked, as daemons, until the run
// ends. relaunch() starts a new instance from what the phone's storage kept, with a fresh sync
// loop and a task that resumes the status changes left queued. The driver (a person) never runs
// inside the app: run_task() runs a tap as a task of the app and waits for it, or for the app to
// die first.
class DriverApp {
 public:
  DriverApp(Simulation& sim, History& history, Network& network, ApiServer& server,
            const Scenario& scenario, std::string driver, model::Probes* probes);
  ~DriverApp();
  DriverApp(const DriverApp&) = delete;
  DriverApp& operator=(const DriverApp&) = delete;

  // Spawns the sync loop, which runs until `until_ns` or until stop() once its queue is empty.
  void start(Nanos until_ns);
  void stop();
  bool up() const { return instance_ != nullptr; }
  // The app goes down (kernel context).
  void kill();
  // The app comes back, from the phone's storage (kernel context).
  void relaunch();

  // Runs `task` as a task of the running app and waits until it is done; false when the app was
  // down, or died before the task was done (the task then never runs again).
  bool run_task(const std::string& name, std::function<void()> task);
  // Takes on the next delivery (a task of the app); false when changes of the last one could not
  // be sent, or the app died meanwhile.
  bool begin(const std::string& delivery_id);
  // The server's state as the room told it (kernel context: must not wait).
  void heard(const model::RoomEvent& event);

  // REQUIRES: up().
  model::LocationSyncService& sync();
  model::DeliveryStateManager& manager();
  const std::string& driver() const { return driver_; }
  int launches() const { return launches_; }

 private:
  struct Instance;

  void launch();

  Simulation& sim_;
  const Scenario& scenario_;
  model::Probes* probes_;
  std::string driver_;
  PhoneStorage storage_;
  AppLink link_;
  PhoneConnectivity connectivity_;
  SimSignals signals_;
  SimClock clock_;
  SimSleeper sleeper_;
  RandomStream random_;
  HistoryRecorder recorder_;
  std::unique_ptr<Instance> instance_;
  // Killed instances stay until the run ends: their tasks may still be waiting to notice.
  std::vector<std::unique_ptr<Instance>> killed_;
  Nanos until_ns_ = 0;
  bool stopping_ = false;
  int launches_ = 0;
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
  // The phones' clocks and app restarts; set before start(). Without it, each phone's clock
  // has a fixed skew and apps never restart.
  void set_devices(DeviceFleet* devices);
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
  DeviceFleet* devices_ = nullptr;
  std::vector<PlannedDelivery> deliveries_;
  std::map<std::string, std::unique_ptr<AppLink>> links_;
  std::map<std::string, std::unique_ptr<Client>> clients_;
  std::map<std::string, std::unique_ptr<DriverApp>> apps_;
};

}  // namespace tracksim::sim

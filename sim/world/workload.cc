// The drivers, their apps and the dispatcher; see workload.h.
#include "sim/world/workload.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "model/recovery.h"
#include "model/status_machine.h"
#include "sim/kernel/sync.h"

namespace tracksim::sim {

using model::ApiRequest;
using model::ApiResponse;
using model::DeliveryStatus;
using model::ErrorClass;
using model::OperationKind;

namespace {

// Errors after which the app resends the same operation: the request may not have arrived, or the
// server could not serve it. Verdicts on the request itself are final.
bool app_retries(ErrorClass c) {
  return c == ErrorClass::kServerError || c == ErrorClass::kNetworkTimeout ||
         c == ErrorClass::kPoolTimeout || c == ErrorClass::kLockTimeout;
}

ApiRequest status_request(const std::string& delivery, DeliveryStatus target) {
  ApiRequest request;
  request.kind = target == DeliveryStatus::kDelivered ? OperationKind::kCompleteDelivery
                                                      : OperationKind::kUpdateStatus;
  request.delivery_id = delivery;
  request.status = target;
  request.note = std::string(model::to_string(target));
  return request;
}

ApiRequest location_request(const std::string& delivery, const model::Location& location) {
  ApiRequest request;
  request.kind = OperationKind::kUpdateLocation;
  request.delivery_id = delivery;
  request.locations.push_back(location);
  return request;
}

// How often a driver taps a status again after it failed for a passing reason, and after how long.
constexpr int kTapAttempts = 3;
constexpr Nanos kTapAgainAfter = seconds(10);

}  // namespace

// --- Client --------------------------------------------------------------------------------------

Client::Client(Simulation& sim, History& history, model::Transport& transport, std::string name,
               const WorkloadConfig& workload, Nanos request_timeout_ns)
    : sim_(sim),
      history_(history),
      transport_(transport),
      name_(std::move(name)),
      workload_(workload),
      request_timeout_ns_(request_timeout_ns),
      stream_(sim.stream("client/" + name_)) {}

std::optional<ApiResponse> Client::perform(ApiRequest request) {
  if (request.operation_id.empty()) {
    request.operation_id = name_ + "-" + std::to_string(++next_operation_);
  }
  request.client_id = name_;

  OperationRecord op;
  op.operation_id = request.operation_id;
  op.client = name_;
  op.delivery_id = request.delivery_id;
  op.kind = request.kind;
  op.target_status = request.status;
  op.locations = request.locations;
  op.invoke_ns = sim_.now();
  const std::uint64_t index = history_.invoke(std::move(op));

  std::optional<ApiResponse> last;
  bool indeterminate = false;  // an earlier attempt may have been applied
  for (int attempt = 0;; ++attempt) {
    history_.operation(index).client_attempts = attempt + 1;
    std::optional<ApiResponse> response = transport_.call(request, request_timeout_ns_);
    const bool out_of_attempts = attempt >= workload_.client_retries;
    if (response) {
      last = response;
      OperationRecord& record = history_.operation(index);
      record.server_attempts = response->attempts;
      if (response->success) {
        if (response->delivery_tracking) record.version_seen = response->delivery_tracking->version;
        history_.complete(index, sim_.now(), OpOutcome::kOk, ErrorClass::kNone, response->message);
        return last;
      }
      if (!app_retries(response->error_class) || out_of_attempts) {
        history_.complete(index, sim_.now(), indeterminate ? OpOutcome::kUnknown : OpOutcome::kFail,
                          response->error_class, response->message);
        return last;
      }
    } else {
      indeterminate = true;
      if (out_of_attempts) {
        history_.complete(index, sim_.now(), OpOutcome::kUnknown, ErrorClass::kNetworkTimeout,
                          "no response within the request timeout");
        return last;
      }
    }
    // Exponential backoff with jitter between 50% and 150% of the nominal delay.
    const double nominal_ms = workload_.client_backoff_ms * std::ldexp(1.0, attempt);
    sim_.sleep_for(millis_f(nominal_ms * stream_.uniform(0.5, 1.5)));
  }
}

// --- HistoryRecorder -----------------------------------------------------------------------------

HistoryRecorder::HistoryRecorder(const Simulation& sim, History& history, std::string client)
    : sim_(sim), history_(history), client_(std::move(client)) {}

void HistoryRecorder::on_invoke(const ApiRequest& request) {
  if (operations_.count(request.operation_id) > 0) return;
  OperationRecord op;
  op.operation_id = request.operation_id;
  op.client = client_;
  op.delivery_id = request.delivery_id;
  op.kind = request.kind;
  op.target_status = request.status;
  op.locations = request.locations;
  op.invoke_ns = sim_.now();
  operations_.emplace(request.operation_id, history_.invoke(std::move(op)));
}

void HistoryRecorder::on_attempt(const ApiRequest& request,
                                 const std::optional<ApiResponse>& reply) {
  auto it = operations_.find(request.operation_id);
  if (it == operations_.end()) return;
  OperationRecord& op = history_.operation(it->second);
  ++op.client_attempts;
  if (reply.has_value()) op.server_attempts = reply->attempts;
}

void HistoryRecorder::on_settle(const model::OperationSettlement& s) {
  auto it = operations_.find(s.operation_id);
  if (it == operations_.end()) return;  // settled on the phone before it was ever sent
  const std::uint64_t index = it->second;
  operations_.erase(it);
  if (s.success) {
    if (s.last_response && s.last_response->delivery_tracking) {
      history_.operation(index).version_seen = s.last_response->delivery_tracking->version;
    }
    history_.complete(index, sim_.now(), OpOutcome::kOk, ErrorClass::kNone, s.message);
    return;
  }
  history_.complete(index, sim_.now(), s.maybe_applied ? OpOutcome::kUnknown : OpOutcome::kFail,
                    s.error_class, s.message);
}

void HistoryRecorder::on_location_queued(const model::QueuedLocation& update) {
  QueuedPositionRecord record;
  record.queued_ns = update.queued_ns;
  record.update_id = update.update_id;
  record.client = client_;
  record.delivery_id = update.delivery_id;
  record.location = update.location;
  record.high_priority = update.high_priority;
  positions_[update.update_id] = history_.add_queued_position(std::move(record));
}

void HistoryRecorder::on_location_batch(const std::string& operation_id,
                                        const std::vector<std::string>& update_ids) {
  for (const std::string& id : update_ids) {
    auto it = positions_.find(id);
    if (it != positions_.end()) history_.queued_position(it->second).operation_id = operation_id;
  }
}

void HistoryRecorder::on_location_dropped(const model::QueuedLocation& update,
                                          std::string_view why) {
  auto it = positions_.find(update.update_id);
  if (it != positions_.end()) history_.queued_position(it->second).dropped = std::string(why);
}

// --- DriverApp -----------------------------------------------------------------------------------

// One run of the app: its services, on ports that freeze its tasks once it is killed. A task
// resumes only from a wait on one of these ports, so freezing there is enough: a dead app never
// writes to the phone's storage or sends anything again.
struct DriverApp::Instance {
  Instance(Simulation& simulation, model::Transport& transport, model::Sleeper& sleeper,
           model::SignalFactory& signals)
      : sim(simulation),
        transport_port(*this, transport),
        sleeper_port(*this, sleeper),
        signals_port(*this, signals) {}

  // Blocks the calling task for good once the app is dead; the run's end cancels it.
  void freeze_if_killed() const {
    if (!killed) return;
    sim.prepare_wait();
    sim.block("killed app");
  }

  class Transport final : public model::Transport {
   public:
    Transport(Instance& app, model::Transport& inner) : app_(app), inner_(inner) {}
    std::optional<ApiResponse> call(const ApiRequest& request, Nanos timeout_ns) override {
      app_.freeze_if_killed();
      std::optional<ApiResponse> reply = inner_.call(request, timeout_ns);
      app_.freeze_if_killed();  // a reply to a dead app is lost with it
      return reply;
    }

   private:
    Instance& app_;
    model::Transport& inner_;
  };

  class Sleeper final : public model::Sleeper {
   public:
    Sleeper(Instance& app, model::Sleeper& inner) : app_(app), inner_(inner) {}
    void sleep_for(Nanos duration_ns) override {
      app_.freeze_if_killed();
      inner_.sleep_for(duration_ns);
      app_.freeze_if_killed();
    }

   private:
    Instance& app_;
    model::Sleeper& inner_;
  };

  class Signal final : public model::Signal {
   public:
    Signal(Instance& app, std::unique_ptr<model::Signal> inner)
        : app_(app), inner_(std::move(inner)) {
      app_.signals_live.push_back(this);
    }
    ~Signal() override {
      auto& live = app_.signals_live;
      live.erase(std::find(live.begin(), live.end(), this));
    }
    void notify() override { inner_->notify(); }
    void wait() override {
      app_.freeze_if_killed();
      inner_->wait();
      app_.freeze_if_killed();
    }

   private:
    Instance& app_;
    std::unique_ptr<model::Signal> inner_;
  };

  class Signals final : public model::SignalFactory {
   public:
    Signals(Instance& app, model::SignalFactory& inner) : app_(app), inner_(inner) {}
    std::unique_ptr<model::Signal> make_signal() override {
      return std::make_unique<Signal>(app_, inner_.make_signal());
    }

   private:
    Instance& app_;
    model::SignalFactory& inner_;
  };

  // Kernel context: marks the app dead, wakes its tasks waiting on a signal (they freeze), and
  // tells whoever waits for one of its tasks that it will not finish.
  void kill() {
    killed = true;
    const std::vector<Signal*> waiting = signals_live;
    for (Signal* signal : waiting)
      signal->notify();
    for (const ReplyPtr<bool>& task : tasks) {
      if (!task->answered()) task->set(false);
    }
    tasks.clear();
  }

  Simulation& sim;
  bool killed = false;
  std::vector<Signal*> signals_live;
  std::vector<ReplyPtr<bool>> tasks;  // run_task() callers waiting for their task
  Transport transport_port;
  Sleeper sleeper_port;
  Signals signals_port;
  std::unique_ptr<model::LocationSyncService> sync;
  std::unique_ptr<model::DeliveryStateManager> manager;
};

DriverApp::DriverApp(Simulation& sim, History& history, Network& network, ApiServer& server,
                     const Scenario& scenario, std::string driver, model::Probes* probes)
    : sim_(sim),
      scenario_(scenario),
      probes_(probes),
      driver_(std::move(driver)),
      link_(sim, network, server, driver_),
      connectivity_(sim, network, link_),
      signals_(sim),
      clock_(sim),
      sleeper_(sim),
      random_(sim.stream("app/" + driver_)),
      recorder_(sim, history, driver_) {
  launch();
}

DriverApp::~DriverApp() = default;

void DriverApp::launch() {
  assert(instance_ == nullptr);
  auto app = std::make_unique<Instance>(sim_, link_, sleeper_, signals_);
  const model::ClientPorts ports{.clock = &clock_,
                                 .sleeper = &app->sleeper_port,
                                 .random = &random_,
                                 .transport = &app->transport_port,
                                 .storage = &storage_,
                                 .connectivity = &connectivity_,
                                 .signals = &app->signals_port,
                                 .listener = &recorder_,
                                 .probes = probes_};
  model::LocationSyncConfig sync_config = scenario_.location_sync;
  sync_config.request_timeout_ns = scenario_.request_timeout_ns;
  model::DeliveryStateConfig state_config = scenario_.state_manager;
  state_config.request_timeout_ns = scenario_.request_timeout_ns;
  app->sync = std::make_unique<model::LocationSyncService>(sync_config, ports, driver_);
  app->manager = std::make_unique<model::DeliveryStateManager>(state_config, ports, driver_);

  // The app learns the delivery's state from its own replies, and sends the positions it has
  // queued before each status change, so a closing status never overtakes them.
  Instance* self = app.get();
  self->sync->on_document = [self](const model::DeliveryTracking& doc) {
    self->manager->observe_server_state(doc.id, doc.status, doc.version);
  };
  self->manager->before_send = [self] { self->sync->flush(); };
  if (stopping_) self->sync->stop();
  instance_ = std::move(app);
  ++launches_;
}

void DriverApp::start(Nanos until_ns) {
  until_ns_ = until_ns;
  Instance* app = instance_.get();
  assert(app != nullptr);  // A daemon: once the app dies, the loop freezes until the run ends.
  sim_.spawn(
      driver_ + "/sync", [app, until_ns] { app->sync->run(until_ns); }, /*daemon=*/true);
}

void DriverApp::stop() {
  stopping_ = true;
  if (instance_ != nullptr) instance_->sync->stop();
}

void DriverApp::kill() {
  if (instance_ == nullptr) return;
  sim_.trace().event(sim_.now(), "app.down").field("client", driver_);
  instance_->kill();
  killed_.push_back(std::move(instance_));
}

void DriverApp::relaunch() {
  if (instance_ != nullptr) return;
  sim_.trace().event(sim_.now(), "app.up").field("client", driver_);
  launch();
  start(until_ns_);
  // What the last run left queued goes out without waiting for the next tap.
  Instance* app = instance_.get();
  sim_.spawn(
      driver_ + "/resume", [app] { app->manager->process(); }, /*daemon=*/true);
}

model::LocationSyncService& DriverApp::sync() {
  assert(instance_ != nullptr);
  return *instance_->sync;
}

model::DeliveryStateManager& DriverApp::manager() {
  assert(instance_ != nullptr);
  return *instance_->manager;
}

bool DriverApp::run_task(const std::string& name, std::function<void()> task) {
  if (instance_ == nullptr) return false;
  auto done = make_reply<bool>();
  instance_->tasks.push_back(done);
  // A daemon: if the app dies under it, the task freezes until the run ends.
  sim_.spawn(
      driver_ + "/" + name,
      [task = std::move(task), done] {
        task();
        if (!done->answered()) done->set(true);
      },
      /*daemon=*/true);
  const bool finished = done->wait();
  if (instance_ != nullptr) {
    auto& tasks = instance_->tasks;
    tasks.erase(std::remove(tasks.begin(), tasks.end(), done), tasks.end());
  }
  return finished;
}

bool DriverApp::begin(const std::string& delivery_id) {
  auto began = std::make_shared<bool>(false);
  Instance* app = instance_.get();
  const bool finished = run_task("begin", [app, began, delivery_id] {
    model::DeliveryStateManager& states = *app->manager;
    *began = states.start_delivery(delivery_id, DeliveryStatus::kAssigned, 0).ok();
    if (*began) return;
    // Changes of the last delivery are still queued: send them first.
    states.process();
    *began = states.start_delivery(delivery_id, DeliveryStatus::kAssigned, 0).ok();
  });
  return finished && *began;
}

void DriverApp::heard(const model::RoomEvent& event) {
  if (instance_ == nullptr || event.kind == model::RoomEvent::Kind::kFailure) return;
  instance_->manager->observe_server_state(event.delivery_id, event.status, event.version);
}

// --- Workload ------------------------------------------------------------------------------------

Workload::Workload(Simulation& sim, History& history, const Scenario& scenario, const City& city,
                   Network& network, ApiServer& server)
    : sim_(sim),
      history_(history),
      scenario_(scenario),
      city_(city),
      network_(network),
      server_(server) {
  plan();
}

void Workload::plan() {
  RandomStream stream = sim_.stream("workload/plan");
  const WorkloadConfig& w = scenario_.workload;
  for (int d = 0; d < w.deliveries; ++d) {
    PlannedDelivery delivery;
    delivery.id = "delivery-" + std::to_string(d + 1);
    delivery.driver = "driver-" + std::to_string(d % w.drivers + 1);
    delivery.pickup = city_.random_point(stream);
    delivery.dropoff = city_.random_point(stream);
    deliveries_.push_back(delivery);
  }
}

std::vector<model::DeliveryTracking> Workload::initial_documents() const {
  std::vector<model::DeliveryTracking> docs;
  for (const PlannedDelivery& planned : deliveries_) {
    model::DeliveryTracking doc;
    doc.id = planned.id;
    doc.driver_id = planned.driver;
    doc.status = DeliveryStatus::kAssigned;
    doc.pickup = city_.to_geo(planned.pickup);
    doc.dropoff = city_.to_geo(planned.dropoff);
    doc.status_history.push_back(model::StatusHistoryEntry{.status = DeliveryStatus::kAssigned,
                                                           .note = "assigned by dispatch",
                                                           .location = {},
                                                           .time_ns = 0,
                                                           .operation_id = ""});
    docs.push_back(std::move(doc));
  }
  return docs;
}

void Workload::add_subscribers(Subscribers& subscribers) {
  using model::SubscriberRole;
  std::map<std::string, std::vector<std::string>> by_driver;
  std::vector<std::string> all;
  for (const PlannedDelivery& d : deliveries_) {
    subscribers.add("customer/" + d.id, "customer/" + d.id, SubscriberRole::kCustomer, {d.id});
    subscribers.add("restaurant/" + d.id, "restaurant/" + d.id, SubscriberRole::kRestaurant,
                    {d.id});
    by_driver[d.driver].push_back(d.id);
    all.push_back(d.id);
  }
  subscribers.add("dispatcher", "dispatcher", SubscriberRole::kDispatcher, all);
  for (const auto& [driver, ids] : by_driver) {
    // A driver's app shares the phone's network: its socket is cut whenever the phone is.
    Subscribers::EventHook hook;
    if (scenario_.workload.kind == WorkloadKind::kRoutes) {
      DriverApp* app = &driver_app(driver);
      hook = [app](const model::RoomEvent& event) { app->heard(event); };
    }
    subscribers.add(driver, driver, SubscriberRole::kDriver, ids, std::move(hook));
  }
}

void Workload::set_devices(DeviceFleet* devices) {
  devices_ = devices;
  if (devices_ == nullptr) return;
  devices_->on_restart([this](const std::string& client, bool up) {
    DriverApp* driver_app = app(client);
    if (driver_app == nullptr) return;
    if (up) {
      driver_app->relaunch();
    } else {
      driver_app->kill();
    }
  });
}

AppLink* Workload::link(const std::string& client) {
  auto it = links_.find(client);
  return it == links_.end() ? nullptr : it->second.get();
}

DriverApp* Workload::app(const std::string& driver) {
  auto it = apps_.find(driver);
  return it == apps_.end() ? nullptr : it->second.get();
}

Client& Workload::client(const std::string& name) {
  auto it = clients_.find(name);
  if (it != clients_.end()) return *it->second;
  auto link = std::make_unique<AppLink>(sim_, network_, server_, name);
  auto client = std::make_unique<Client>(sim_, history_, *link, name, scenario_.workload,
                                         scenario_.request_timeout_ns);
  links_.emplace(name, std::move(link));
  return *clients_.emplace(name, std::move(client)).first->second;
}

DriverApp& Workload::driver_app(const std::string& driver) {
  auto it = apps_.find(driver);
  if (it != apps_.end()) return *it->second;
  auto app =
      std::make_unique<DriverApp>(sim_, history_, network_, server_, scenario_, driver, probes_);
  return *apps_.emplace(driver, std::move(app)).first->second;
}

void Workload::start() {
  if (scenario_.workload.kind == WorkloadKind::kBurst) {
    start_burst();
  } else {
    start_routes();
  }
}
void Workload::start_burst() {
  const WorkloadConfig& w = scenario_.workload;
  RandomStream stream = sim_.stream("workload/burst");
  const Nanos window = millis_f(w.burst_window_ms);
  static constexpr DeliveryStatus kPath[] = {
      DeliveryStatus::kHeadingToPickup,  DeliveryStatus::kAtPickup,  DeliveryStatus::kPickedUp,
      DeliveryStatus::kHeadingToDropoff, DeliveryStatus::kAtDropoff, DeliveryStatus::kDelivered};
  constexpr int kPathLength = static_cast<int>(std::size(kPath));

  // Status changes: dealt out round-robin over the deliveries, each delivery's in path order.
  const int wanted_status = static_cast<int>(std::lround(w.operations * w.status_share));
  std::vector<std::vector<Nanos>> status_starts(deliveries_.size());
  int status_ops = 0;
  for (int i = 0; i < wanted_status; ++i) {
    auto& starts = status_starts[static_cast<std::size_t>(i) % deliveries_.size()];
    if (static_cast<int>(starts.size()) >= kPathLength) continue;
    starts.push_back(stream.next_in(0, window));
    ++status_ops;
  }
  for (std::size_t d = 0; d < deliveries_.size(); ++d) {
    auto& starts = status_starts[d];
    if (starts.empty()) continue;
    std::sort(starts.begin(), starts.end());
    const PlannedDelivery& delivery = deliveries_[d];
    Client& app = client(delivery.driver);
    sim_.spawn(delivery.driver + "/status", [this, &app, delivery, starts] {
      for (std::size_t k = 0; k < starts.size(); ++k) {
        if (sim_.now() < starts[k]) sim_.sleep_for(starts[k] - sim_.now());
        app.perform(status_request(delivery.id, kPath[k]));
      }
    });
  }

  // Positions: the rest, each on its own fiber, from a point along the delivery's route.
  for (int i = status_ops; i < w.operations; ++i) {
    const PlannedDelivery& delivery = deliveries_[static_cast<std::size_t>(i) % deliveries_.size()];
    const Nanos start = stream.next_in(0, window);
    const Route route = city_.route(delivery.pickup, delivery.dropoff);
    const double fraction =
        window > 0 ? static_cast<double>(start) / static_cast<double>(window) : 0;
    const model::Location location =
        city_.observe(route.at(fraction * route.length_m()), start, stream);
    Client& app = client(delivery.driver);
    sim_.spawn(delivery.driver + "/gps", [this, &app, delivery, start, location] {
      sim_.sleep_for(start);
      app.perform(location_request(delivery.id, location));
    });
  }
}

void Workload::start_routes() {
  std::map<std::string, std::vector<PlannedDelivery>> by_driver;
  for (const PlannedDelivery& delivery : deliveries_) {
    by_driver[delivery.driver].push_back(delivery);
  }
  const Nanos horizon = seconds_f(scenario_.duration_s + scenario_.drain_s);
  for (auto& [driver, deliveries] : by_driver) {
    DriverApp& app = driver_app(driver);
    app.start(horizon);
    sim_.spawn(driver, [this, &app, deliveries = deliveries] { drive(app, deliveries); });
  }

  // The dispatcher cancels a share of the deliveries at a random moment of their first hour.
  const WorkloadConfig& w = scenario_.workload;
  if (w.dispatcher_cancel_share <= 0) return;
  RandomStream stream = sim_.stream("workload/dispatcher");
  Client& dispatcher = client("dispatcher");
  for (const PlannedDelivery& delivery : deliveries_) {
    if (!stream.bernoulli(w.dispatcher_cancel_share)) continue;
    const Nanos at = seconds_f(stream.uniform(0, std::min(scenario_.duration_s, 3600.0)));
    sim_.spawn("dispatcher/cancel", [this, &dispatcher, id = delivery.id, at] {
      sim_.sleep_for(at);
      ApiRequest request = status_request(id, DeliveryStatus::kCancelled);
      request.note = "cancelled by dispatcher";
      dispatcher.perform(request);
    });
  }
}

void Workload::drive(DriverApp& app, std::vector<PlannedDelivery> deliveries) {
  const WorkloadConfig& w = scenario_.workload;
  const std::string& driver = app.driver();
  RandomStream stream = sim_.stream("driver/" + driver);
  const Nanos end = seconds_f(scenario_.duration_s);
  const Nanos horizon = seconds_f(scenario_.duration_s + scenario_.drain_s);
  const Nanos interval = seconds_f(w.location_interval_s);
  const double speed_mps = std::max(0.5, stream.normal(w.speed_mps_mean, w.speed_mps_mean / 5));
  // Without a device fleet the phone's clock runs a fixed offset from true time.
  const Nanos skew = millis_f(stream.normal(0, 500));
  auto device_time = [&] {
    return devices_ != nullptr ? devices_->device_time(driver, sim_.now()) : sim_.now() + skew;
  };
  Point position = deliveries.empty() ? Point{} : deliveries.front().pickup;

  for (const PlannedDelivery& delivery : deliveries) {
    if (sim_.now() >= end) break;
    // The driver waits for a restarting app before taking on the next delivery.
    while (!app.up() && sim_.now() < horizon)
      sim_.sleep_for(seconds(1));
    // If the app dies while sending the last delivery's changes, its successor resumes them.
    if (!app.begin(delivery.id)) break;

    // Ended on the server (delivered, or cancelled by the dispatcher) as far as the app knows.
    auto over = [&] { return app.up() && model::is_terminal(app.manager().status()); };
    // A tap that failed for a passing reason is tapped again after a moment, as a driver would;
    // a refusal on the phone (the delivery moved on without this step) or a change kept for
    // later (the app sends it once it can) needs nothing more. While the app is down, or if it
    // dies under the driver's finger, the tap is lost: what the app had queued it resumes.
    auto tap = [&](DeliveryStatus target) {
      for (int attempt = 0; attempt < kTapAttempts && app.up() && !over(); ++attempt) {
        auto again = std::make_shared<bool>(false);
        model::DeliveryStateManager* states = &app.manager();
        const bool finished = app.run_task("tap", [states, target, again] {
          const auto result =
              states->update_delivery_status(target, std::string(model::to_string(target)));
          *again = result.ok() && !result.value().success && !result.value().kept_for_later &&
                   model::is_transient(result.value().error_class);
        });
        if (!finished || !*again) return;
        sim_.sleep_for(kTapAgainAfter);
      }
    };
    // Drives `route` while the GPS queues a position every interval; returns when arrived.
    auto drive_leg = [&](const Route& route) {
      double travelled = 0;
      while (travelled < route.length_m() && !over()) {
        sim_.sleep_for(interval);
        travelled += speed_mps * to_seconds(interval);
        position = route.at(travelled);
        const model::Location seen = city_.observe(position, device_time(), stream);
        // A dead app observes nothing; queueing a normal position never waits.
        if (app.up()) {
          app.sync().queue_location_update(delivery.id, seen, model::LocationPriority::kNormal);
        }
      }
    };

    tap(DeliveryStatus::kHeadingToPickup);
    drive_leg(city_.route(position, delivery.pickup));
    sim_.sleep_for(seconds_f(stream.uniform(1, 15)));  // the driver notices the arrival
    tap(DeliveryStatus::kAtPickup);
    sim_.sleep_for(seconds_f(w.pickup_dwell_s * stream.uniform(0.5, 1.5)));
    tap(DeliveryStatus::kPickedUp);
    tap(DeliveryStatus::kHeadingToDropoff);
    drive_leg(city_.route(delivery.pickup, delivery.dropoff));
    sim_.sleep_for(seconds_f(stream.uniform(1, 15)));
    tap(DeliveryStatus::kAtDropoff);
    tap(DeliveryStatus::kDelivered);
  }
  // The last positions still go out; then the sync loop ends.
  app.stop();
}

}  // namespace tracksim::sim

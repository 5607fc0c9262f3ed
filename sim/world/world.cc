// Wiring a world from a scenario and running it; see world.h.
#include "sim/world/world.h"

#include <memory>

#include "model/backend.h"
#include "model/monitoring.h"
#include "sim/world/city.h"
#include "sim/world/driver_motion.h"
#include "sim/world/faults.h"
#include "sim/world/lock_holder_pause.h"
#include "sim/world/network.h"
#include "sim/world/probes.h"
#include "sim/world/storage.h"
#include "sim/world/subscribers.h"
#include "sim/world/workload.h"

namespace tracksim::sim {
namespace {

// Records every request the backend handles into the history, beside what the backend's own
// monitoring counts, so the two views can be compared.
class RecordingBackend final : public model::DeliveryBackend {
 public:
  RecordingBackend(model::DeliveryBackend& inner, const Simulation& sim, History& history)
      : inner_(inner), sim_(sim), history_(history) {}

  model::ApiResponse handle(const model::ApiRequest& request) override {
    const Nanos start_ns = sim_.now();
    model::ApiResponse response = inner_.handle(request);
    history_.add_server_request(ServerRequestRecord{.index = 0,
                                                    .operation_id = response.operation_id,
                                                    .client = request.client_id,
                                                    .delivery_id = request.delivery_id,
                                                    .kind = request.kind,
                                                    .start_ns = start_ns,
                                                    .end_ns = sim_.now(),
                                                    .error_class = response.error_class,
                                                    .attempts = response.attempts});
    return response;
  }

 private:
  model::DeliveryBackend& inner_;
  const Simulation& sim_;
  History& history_;
};

// Records every store call of the backend into the history, so properties can see attempts
// that changed nothing (a lock found busy) as well as the commits storage records itself.
class RecordingStore final : public model::DocumentStore {
 public:
  RecordingStore(model::DocumentStore& inner, const Simulation& sim, History& history)
      : inner_(inner), sim_(sim), history_(history) {}

  model::Result<std::optional<model::DeliveryTracking>> find_by_id(const std::string& id) override {
    const Nanos sent_ns = sim_.now();
    auto result = inner_.find_by_id(id);
    record(StoreCallKind::kFindById, id, "", sent_ns, result.ok(), result);
    return result;
  }
  model::Result<std::optional<model::DeliveryTracking>> find_one_and_update(
      const model::Filter& filter, const model::Update& update) override {
    const Nanos sent_ns = sim_.now();
    auto result = inner_.find_one_and_update(filter, update);
    const bool acquire = update.lock_change == model::Update::LockChange::kSet;
    record(acquire ? StoreCallKind::kLockAcquire : StoreCallKind::kConditionalWrite,
           filter.delivery_id, acquire ? update.lock_owner : update.operation_id, sent_ns,
           result.ok() && result.value().has_value(), result);
    return result;
  }
  model::Result<std::int64_t> update_one(const model::Filter& filter,
                                         const model::Update& update) override {
    const Nanos sent_ns = sim_.now();
    auto result = inner_.update_one(filter, update);
    record(StoreCallKind::kConditionalWrite, filter.delivery_id, update.operation_id, sent_ns,
           result.ok() && result.value() == 1, result);
    return result;
  }
  model::Status insert_one(const model::DeliveryTracking& doc) override {
    const Nanos sent_ns = sim_.now();
    auto result = inner_.insert_one(doc);
    record(StoreCallKind::kInsert, doc.id, doc.last_operation_id, sent_ns, result.ok(), result);
    return result;
  }
  model::Result<model::DocumentInstance> load_instance(const std::string& id) override {
    const Nanos sent_ns = sim_.now();
    auto result = inner_.load_instance(id);
    record(StoreCallKind::kLoadInstance, id, "", sent_ns, result.ok(), result);
    return result;
  }
  model::Status save(model::DocumentInstance& instance) override {
    const Nanos sent_ns = sim_.now();
    auto result = inner_.save(instance);
    record(StoreCallKind::kSave, instance.doc.id, instance.doc.last_operation_id, sent_ns,
           result.ok(), result);
    return result;
  }

 private:
  template <class T>
  void record(StoreCallKind kind, const std::string& id, const std::string& operation_id,
              Nanos sent_ns, bool matched, const model::Result<T>& result) {
    history_.add_store_call(
        StoreCallRecord{.index = 0,
                        .kind = kind,
                        .delivery_id = id,
                        .operation_id = operation_id,
                        .fiber = sim_.current_fiber() == nullptr ? 0 : sim_.current_fiber()->id,
                        .sent_ns = sent_ns,
                        .answered_ns = sim_.now(),
                        .matched = matched,
                        .error_class = result.error_class()});
  }

  model::DocumentStore& inner_;
  const Simulation& sim_;
  History& history_;
};

}  // namespace

WorldResult run_world(const Scenario& scenario, const WorldOptions& options) {
  WorldResult result;
  Simulation sim(KernelOptions{.seed = options.seed, .strategy = scenario.schedule});
  sim.trace().set_output(options.trace_out);
  sim.trace().keep_line_hashes(options.keep_line_hashes);
  sim.trace().capture_line(options.capture_line);

  Probes probes(&sim);
  // Random faults: with swarm testing, this seed's rates are drawn first.
  const RandomFaultsConfig random_faults = draw_swarm(scenario.faults_random, options.seed);
  StorageConfig storage_config = scenario.storage;
  add_random_faults(random_faults, storage_config);
  LinkConfig app_network = scenario.network;
  add_random_faults(random_faults, app_network);
  LinkConfig subscriber_link = scenario.subscribers.link;
  add_random_faults(random_faults, subscriber_link);
  FaultLog fault_log(sim, result.history);
  FaultTimeline fault_timeline;
  StorageServer storage(sim, storage_config, result.history, probes);
  storage.attach_faults(&fault_timeline, &fault_log);
  CityConfig city_config = scenario.city;
  city_config.size_km = scenario.workload.city_size_km;
  City city(city_config);

  // The backend, on its ports.
  SimClock clock(sim);
  SimSleeper sleeper(sim);
  RandomStream backend_random = sim.stream("backend");
  StoreClient store(storage, "api");
  RecordingStore recorded_store(store, sim, result.history);
  // A handler stalling while it holds the operationLock (lock_holder_pause) stalls at this port.
  LockHolderPause pausing_store(sim, recorded_store, probes, fault_log);
  for (const FaultSpec& fault : scenario.faults) {
    if (fault.kind != FaultKind::kLockHolderPause) continue;
    pausing_store.add(seconds_f(fault.at_s), seconds_f(fault.duration_s), fault.target);
  }
  model::Monitoring monitoring(clock);
  // The socket hub and its subscribers; it gets the network once that exists.
  RealtimeServer realtime(sim, result.history, probes, scenario.hub, scenario.subscribers);
  model::BackendPorts ports{.clock = &clock,
                            .sleeper = &sleeper,
                            .random = &backend_random,
                            .store = &pausing_store,
                            .broadcaster = &realtime,
                            .monitoring = &monitoring,
                            .probes = &probes};
  std::unique_ptr<model::DeliveryBackend> backend = model::make_backend(scenario.backend, ports);
  if (backend == nullptr) {
    result.outcome.status = RunStatus::kFiberFailed;
    result.outcome.detail = "the scenario's backend configuration was rejected";
    return result;
  }

  RecordingBackend recording(*backend, sim, result.history);
  ApiServer server(sim, recording);
  Network network(sim, app_network);
  network.attach_faults(&fault_timeline, &fault_log);
  DeviceFleet devices(sim, &network, scenario.devices);
  Workload workload(sim, result.history, scenario, city, network, server);
  workload.set_probes(&probes);
  workload.set_devices(&devices);
  realtime.attach(network, subscriber_link);
  if (realtime.subscribers() != nullptr) workload.add_subscribers(*realtime.subscribers());

  std::map<std::string, model::DeliveryTracking> initial;
  for (const model::DeliveryTracking& doc : workload.initial_documents()) {
    storage.preload(doc);
    initial.emplace(doc.id, doc);
  }
  result.history.set_initial_documents(std::move(initial));

  std::vector<std::string> drivers;
  for (int d = 1; d <= scenario.workload.drivers; ++d)
    drivers.push_back("driver-" + std::to_string(d));
  FaultInjector injector(sim, fault_log, fault_timeline, storage, network, &devices);
  injector.set_devices(drivers);
  for (const FaultSpec& fault : scenario.faults)
    injector.schedule(fault);
  injector.schedule_random(random_faults, seconds_f(scenario.duration_s), drivers);

  storage.start();
  workload.start();
  realtime.start();
  result.outcome = sim.run(seconds_f(scenario.duration_s + scenario.drain_s));

  realtime.record_end();
  result.history.set_final_documents(storage.documents());
  result.probes = probes.counts();
  result.faults_injected = fault_log.counts();
  result.random_faults = random_faults;
  result.pool = storage.pool_stats();
  result.digest = sim.trace().digest();
  result.trace_lines = sim.trace().line_count();
  result.line_hashes = sim.trace().line_hashes();
  result.captured_line = sim.trace().captured_line();
  if (scenario.backend.atomic.monitoring_enabled) {
    MonitoringSnapshot snapshot;
    snapshot.totals = monitoring.totals();
    for (int k = 0; k < model::kOperationKindCount; ++k) {
      snapshot.by_kind.at(static_cast<std::size_t>(k)) =
          monitoring.totals(static_cast<model::OperationKind>(k));
    }
    snapshot.cumulative = monitoring.cumulative_metrics();
    snapshot.alerts = monitoring.alert_log();
    result.monitoring = std::move(snapshot);
    result.monitoring_report = monitoring.report();
  }
  return result;
}

}  // namespace tracksim::sim

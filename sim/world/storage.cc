// The storage model's semantics; see storage.h for what it promises.
#include "sim/world/storage.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace tracksim::sim {

using model::DeliveryTracking;
using model::Error;
using model::ErrorClass;
using model::LockCondition;

Nanos draw_latency(RandomStream& stream, const LatencyConfig& latency) {
  if (latency.mean_ms <= 0) return 0;
  const double ms = latency.stddev_ms <= 0
                        ? latency.mean_ms
                        : stream.lognormal_with_moments(latency.mean_ms, latency.stddev_ms);
  return static_cast<Nanos>(std::llround(ms * kNanosPerMilli));
}

StorageServer::StorageServer(Simulation& sim, StorageConfig config, History& history,
                             Probes& probes)
    : sim_(sim),
      config_(std::move(config)),
      history_(history),
      probes_(probes),
      pool_(config_.max_pool_size) {
  assert(config_.max_pool_size >= 1);
}

void StorageServer::preload(const DeliveryTracking& doc) {
  documents_[doc.id] = doc;
}

void StorageServer::start() {
  const bool any_ttl =
      std::any_of(config_.indexes.begin(), config_.indexes.end(),
                  [](const model::IndexSpec& index) { return index.expire_after_seconds; });
  if (!any_ttl) return;
  sim_.spawn(
      "storage/ttl-monitor", [this] { run_ttl_monitor(); }, /*daemon=*/true);
}

void StorageServer::add_unavailable_window(Nanos from_ns, Nanos until_ns) {
  unavailable_.emplace_back(from_ns, until_ns);
}

bool StorageServer::unavailable(Nanos at_ns) const {
  return std::any_of(unavailable_.begin(), unavailable_.end(), [at_ns](auto window) {
    return at_ns >= window.first && at_ns < window.second;
  });
}

void StorageServer::set_instance_saving(std::uint64_t instance_id, bool saving) {
  if (saving) {
    saving_instances_.insert(instance_id);
  } else {
    saving_instances_.erase(instance_id);
  }
}

bool StorageServer::matches(const model::Filter& filter, const DeliveryTracking& doc) const {
  if (filter.version && *filter.version != doc.version) return false;
  const LockCondition& lock = filter.lock;
  switch (lock.kind) {
    case LockCondition::Kind::kAny:
      return true;
    case LockCondition::Kind::kFree:
      return !doc.operation_lock_ns.has_value();
    case LockCondition::Kind::kFreeOrExpired:
      return !doc.operation_lock_ns || *doc.operation_lock_ns <= lock.now_ns;
    case LockCondition::Kind::kHeldBy:
      return doc.operation_lock_ns && doc.lock_owner == lock.owner &&
             *doc.operation_lock_ns > lock.now_ns;
  }
  return false;
}

model::Result<std::optional<DeliveryTracking>> StorageServer::apply_find(const std::string& id) {
  auto it = documents_.find(id);
  if (it == documents_.end()) return std::optional<DeliveryTracking>();
  return std::optional<DeliveryTracking>(it->second);
}

std::optional<DeliveryTracking> StorageServer::apply_update(const model::Filter& filter,
                                                            const model::Update& update,
                                                            WriteKind kind) {
  auto it = documents_.find(filter.delivery_id);
  if (it == documents_.end() || !matches(filter, it->second)) return std::nullopt;
  DeliveryTracking& doc = it->second;
  const DeliveryTracking before = doc;

  if (filter.lock.kind == LockCondition::Kind::kFreeOrExpired && before.operation_lock_ns &&
      update.lock_change == model::Update::LockChange::kSet) {
    probes_.hit("storage.lock_taken_over_after_expiry");
  }
  if (update.set_fields) {
    const DeliveryTracking& src = *update.set_fields;
    doc.driver_id = src.driver_id;
    doc.status = src.status;
    doc.status_history = src.status_history;
    doc.current_location = src.current_location;
    doc.pickup = src.pickup;
    doc.dropoff = src.dropoff;
    doc.last_operation_id = src.last_operation_id;
    doc.recent_operation_ids = src.recent_operation_ids;
    doc.updated_ns = src.updated_ns;
  }
  switch (update.lock_change) {
    case model::Update::LockChange::kKeep:
      break;
    case model::Update::LockChange::kSet:
      doc.operation_lock_ns = update.lock_until_ns;
      doc.lock_owner = update.lock_owner;
      break;
    case model::Update::LockChange::kClear:
      doc.operation_lock_ns.reset();
      doc.lock_owner.clear();
      break;
  }
  if (update.increment_version) ++doc.version;

  if (!(doc == before)) {
    record_commit(kind, before, doc, update.operation_id, filter.version.has_value(),
                  update.set_fields.has_value());
  }
  return doc;
}

model::Status StorageServer::apply_insert(const DeliveryTracking& doc) {
  if (documents_.count(doc.id) != 0) {
    return Error{ErrorClass::kDuplicateKey, "E11000 duplicate key error: _id " + doc.id};
  }
  documents_[doc.id] = doc;
  history_.add_document_event(DocumentEvent{.time_ns = sim_.now(),
                                            .delivery_id = doc.id,
                                            .kind = DocumentEventKind::kInserted,
                                            .detail = ""});
  record_commit(WriteKind::kInsert, DeliveryTracking{}, doc, doc.last_operation_id, false, true);
  return model::ok_status();
}

model::Status StorageServer::apply_save(model::DocumentInstance& instance) {
  auto it = documents_.find(instance.doc.id);
  if (it == documents_.end()) {
    return Error{ErrorClass::kDocumentNotFound,
                 "No document found for query { _id: \"" + instance.doc.id + "\" }"};
  }
  DeliveryTracking& doc = it->second;
  if (instance.versioned && doc.version != instance.doc.version) {
    return Error{ErrorClass::kVersionError, "No matching document found for id \"" + doc.id +
                                                "\" version " +
                                                std::to_string(instance.doc.version)};
  }
  const DeliveryTracking before = doc;
  // save() writes the instance's fields over the stored ones ($set of the modified paths) and
  // raises __v; the lock fields are not the legacy code's, so they are left as stored.
  const auto lock = doc.operation_lock_ns;
  const auto owner = doc.lock_owner;
  const auto version = doc.version;
  doc = instance.doc;
  doc.operation_lock_ns = lock;
  doc.lock_owner = owner;
  doc.version = version + 1;
  record_commit(WriteKind::kInstanceSave, before, doc, doc.last_operation_id, instance.versioned,
                true);
  instance.doc = doc;
  return model::ok_status();
}

void StorageServer::record_commit(WriteKind kind, const DeliveryTracking& before,
                                  const DeliveryTracking& after, const std::string& operation_id,
                                  bool version_checked, bool changed_fields) {
  CommitRecord commit;
  commit.time_ns = sim_.now();
  commit.delivery_id = after.id;
  commit.kind = kind;
  commit.operation_id = operation_id;
  commit.version_before = before.version;
  commit.version_after = after.version;
  commit.version_checked = version_checked;
  commit.changed_fields = changed_fields;
  commit.status_before = before.status;
  commit.status_after = after.status;
  commit.location_after = after.current_location;
  commit.status_history_size_after = after.status_history.size();
  for (const std::string& id : after.recent_operation_ids) {
    if (!model::has_applied(before, id)) commit.operations_applied.push_back(id);
  }
  commit.lock_owner_before = before.lock_owner;
  commit.lock_until_before = before.operation_lock_ns;
  commit.lock_owner_after = after.lock_owner;
  commit.lock_until_after = after.operation_lock_ns;

  sim_.trace()
      .event(commit.time_ns, "store.commit")
      .field("doc", commit.delivery_id)
      .field("kind", to_string(kind))
      .field("op", operation_id)
      .field("v", commit.version_after)
      .field("status", model::to_string(after.status))
      .field("lock", after.lock_owner);
  history_.add_commit(std::move(commit));
}

void StorageServer::run_ttl_monitor() {
  for (;;) {
    sim_.sleep_for(config_.ttl_monitor_period_ns);
    const Nanos now = sim_.now();
    for (const model::IndexSpec& index : config_.indexes) {
      if (!index.expire_after_seconds || index.fields.empty()) continue;
      // Only the operationLock field is a date in this schema.
      if (index.fields.front() != "operationLock") continue;
      const Nanos ttl = seconds(*index.expire_after_seconds);
      for (auto it = documents_.begin(); it != documents_.end();) {
        const auto& lock = it->second.operation_lock_ns;
        if (lock && *lock + ttl <= now) {
          probes_.hit("storage.ttl_deleted_document");
          sim_.trace().event(now, "store.ttl_delete").field("doc", it->first);
          history_.add_document_event(
              DocumentEvent{.time_ns = now,
                            .delivery_id = it->first,
                            .kind = DocumentEventKind::kDeletedByTtl,
                            .detail = "operationLock " + std::to_string(*lock) + " + " +
                                      std::to_string(*index.expire_after_seconds) + " s <= now"});
          it = documents_.erase(it);
        } else {
          ++it;
        }
      }
    }
  }
}

// --- StoreClient --------------------------------------------------------------------------------

StoreClient::StoreClient(StorageServer& server, std::string name)
    : server_(server),
      name_(std::move(name)),
      latency_stream_(Simulation::current().stream("storage/latency/" + name_)),
      fault_stream_(Simulation::current().stream("storage/faults/" + name_)) {}

template <class T, class Apply>
model::Result<T> StoreClient::request(const char* op, const std::string& id, Apply&& apply) {
  Simulation& sim = Simulation::current();
  const StorageConfig& config = server_.config();
  sim.trace()
      .event(sim.now(), "store.call")
      .field("client", name_)
      .field("op", op)
      .field("doc", id);

  if (!server_.pool().acquire_for(config.wait_queue_timeout_ns)) {
    server_.probes_hit("storage.pool_wait_timeout");
    sim.trace().event(sim.now(), "store.reply").field("op", op).field("error", "PoolTimeout");
    return Error{ErrorClass::kPoolTimeout, "Timed out while checking out a connection from pool"};
  }
  struct Release {
    Semaphore& pool;
    ~Release() { pool.release(); }
  } release{server_.pool()};

  sim.sleep_for(draw_latency(latency_stream_, config.request_latency));

  const bool failover = server_.unavailable(sim.now());
  const bool server_error = failover || (config.server_error_rate > 0 &&
                                         fault_stream_.bernoulli(config.server_error_rate));
  std::optional<model::Result<T>> result;
  if (server_error) {
    server_.probes_hit(failover ? "storage.failover_rejected" : "storage.server_error");
    result.emplace(Error{
        ErrorClass::kServerError,
        failover ? "NotWritablePrimary: the primary is stepping down" : "Internal server error"});
  } else {
    result.emplace(apply());
  }

  if (!server_error && config.reply_lost_rate > 0 &&
      fault_stream_.bernoulli(config.reply_lost_rate)) {
    server_.probes_hit("storage.applied_reply_lost");
    sim.trace()
        .event(sim.now(), "fault")
        .field("kind", "reply_lost")
        .field("op", op)
        .field("doc", id);
    sim.sleep_for(config.socket_timeout_ns);
    sim.trace().event(sim.now(), "store.reply").field("op", op).field("error", "NetworkTimeout");
    return Error{ErrorClass::kNetworkTimeout, "connection timed out waiting for the reply"};
  }

  sim.sleep_for(draw_latency(latency_stream_, config.reply_latency));
  auto line = sim.trace().event(sim.now(), "store.reply");
  line.field("op", op);
  if (!result->ok()) line.field("error", model::to_string(result->error_class()));
  return std::move(*result);
}

model::Result<std::optional<DeliveryTracking>> StoreClient::find_by_id(const std::string& id) {
  return request<std::optional<DeliveryTracking>>("find", id,
                                                  [&] { return server_.apply_find(id); });
}

model::Result<std::optional<DeliveryTracking>> StoreClient::find_one_and_update(
    const model::Filter& filter, const model::Update& update) {
  return request<std::optional<DeliveryTracking>>("find_one_and_update", filter.delivery_id, [&] {
    return model::Result<std::optional<DeliveryTracking>>(
        server_.apply_update(filter, update, WriteKind::kFindOneAndUpdate));
  });
}

model::Result<std::int64_t> StoreClient::update_one(const model::Filter& filter,
                                                    const model::Update& update) {
  return request<std::int64_t>("update_one", filter.delivery_id, [&] {
    const bool matched = server_.apply_update(filter, update, WriteKind::kUpdateOne).has_value();
    return model::Result<std::int64_t>(matched ? 1 : 0);
  });
}

model::Status StoreClient::insert_one(const DeliveryTracking& doc) {
  return request<model::Unit>("insert_one", doc.id, [&] { return server_.apply_insert(doc); });
}

model::Result<model::DocumentInstance> StoreClient::load_instance(const std::string& id) {
  auto found = find_by_id(id);
  if (!found.ok()) return found.error();
  if (!found.value()) {
    return Error{ErrorClass::kDocumentNotFound, "No document found for _id \"" + id + "\""};
  }
  model::DocumentInstance instance;
  instance.instance_id = server_.new_instance_id();
  instance.doc = std::move(*found.value());
  return instance;
}

model::Status StoreClient::save(model::DocumentInstance& instance) {
  Simulation& sim = Simulation::current();
  if (server_.instance_saving(instance.instance_id)) {
    server_.probes_hit("storage.parallel_save_rejected");
    sim.trace()
        .event(sim.now(), "store.reply")
        .field("op", "save")
        .field("doc", instance.doc.id)
        .field("error", "ParallelSaveError");
    return Error{
        ErrorClass::kParallelSaveError,
        "Can't save() the same doc multiple times in parallel. Document: " + instance.doc.id};
  }
  server_.set_instance_saving(instance.instance_id, true);

  // Schema validation, before anything is sent.
  const auto& loc = instance.doc.current_location;
  if (instance.doc.driver_id.empty() ||
      (loc && (std::abs(loc->lat) > 90 || std::abs(loc->lng) > 180))) {
    if (!server_.config().validation_leaves_guard) {
      server_.set_instance_saving(instance.instance_id, false);
    } else {
      server_.probes_hit("storage.validation_left_guard");
    }
    return Error{ErrorClass::kValidationError, "DeliveryTracking validation failed"};
  }

  model::Status status =
      request<model::Unit>("save", instance.doc.id, [&] { return server_.apply_save(instance); });
  server_.set_instance_saving(instance.instance_id, false);
  return status;
}

}  // namespace tracksim::sim

// The storage model's semantics; see storage.h for what it promises.
#include "sim/world/storage.h"

#include <algorithm>
#include <cmath>

#include "model/check.h"

namespace tracksim::sim {

using model::DeliveryTracking;
using model::Error;
using model::ErrorClass;
using model::LockCondition;

std::string_view to_string(LatencyShape s) {
  switch (s) {
    case LatencyShape::kLognormal:
      return "lognormal";
    case LatencyShape::kExponential:
      return "exponential";
  }
  return "?";
}

std::optional<LatencyShape> latency_shape_from_string(std::string_view name) {
  if (name == "lognormal") return LatencyShape::kLognormal;
  if (name == "exponential") return LatencyShape::kExponential;
  return std::nullopt;
}

Nanos draw_latency(RandomStream& stream, const LatencyConfig& latency) {
  if (latency.mean_ms <= 0) return 0;
  double ms = latency.mean_ms;
  if (latency.shape == LatencyShape::kExponential) {
    ms = stream.exponential(latency.mean_ms);
  } else if (latency.stddev_ms > 0) {
    ms = stream.lognormal_with_moments(latency.mean_ms, latency.stddev_ms);
  }
  return static_cast<Nanos>(std::llround(ms * kNanosPerMilli));
}

StorageServer::StorageServer(Simulation& sim, StorageConfig config, History& history,
                             Probes& probes)
    : sim_(sim),
      config_(std::move(config)),
      history_(history),
      probes_(probes),
      pool_(config_.max_pool_size) {
  TRACKSIM_CHECK(config_.max_pool_size >= 1);
  TRACKSIM_CHECK(config_.min_pool_size >= 0);
  TRACKSIM_CHECK(config_.min_pool_size <= config_.max_pool_size);
  // The driver opens minPoolSize connections as it starts.
  idle_since_.assign(static_cast<std::size_t>(config_.min_pool_size), sim_.now());
  pool_stats_.connections_opened = static_cast<std::uint64_t>(config_.min_pool_size);
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

void StorageServer::fault(std::string_view kind, std::string_view target, Nanos duration_ns) {
  if (fault_log_ != nullptr) fault_log_->injected(kind, target, duration_ns);
}

void StorageServer::set_instance_saving(std::uint64_t instance_id, bool saving) {
  if (saving) {
    saving_instances_.insert(instance_id);
  } else {
    saving_instances_.erase(instance_id);
  }
}

// --- The pool ------------------------------------------------------------------------------------

void StorageServer::close_idle_connections() {
  // Oldest first, and never below minPoolSize open connections.
  const Nanos now = sim_.now();
  std::size_t closing = 0;
  while (closing < idle_since_.size() &&
         in_use_ + static_cast<int>(idle_since_.size() - closing) > config_.min_pool_size &&
         now - idle_since_[closing] >= config_.max_idle_time_ns) {
    ++closing;
  }
  if (closing == 0) return;
  idle_since_.erase(idle_since_.begin(),
                    idle_since_.begin() + static_cast<std::ptrdiff_t>(closing));
  pool_stats_.connections_closed += closing;
}

bool StorageServer::acquire_connection(bool& fresh) {
  const Nanos asked = sim_.now();
  const bool queue = pool_.available() == 0 || pool_.waiting() > 0;
  if (!pool_.acquire_for(config_.wait_queue_timeout_ns)) {
    ++pool_stats_.timeouts;
    probes_.hit("storage.pool_wait_timeout");
    return false;
  }
  ++pool_stats_.acquisitions;
  if (queue) {
    ++pool_stats_.waited;
    pool_stats_.wait_ns_total += sim_.now() - asked;
  }
  close_idle_connections();
  ++in_use_;
  pool_stats_.max_in_use = std::max(pool_stats_.max_in_use, in_use_);
  fresh = idle_since_.empty();
  if (fresh) {
    ++pool_stats_.connections_opened;
  } else {
    idle_since_.pop_back();  // the most recently used one, as the driver's pool does
  }
  return true;
}

void StorageServer::release_connection(bool broken) {
  TRACKSIM_CHECK(in_use_ > 0);
  --in_use_;
  if (broken) {
    ++pool_stats_.connections_closed;
    // The driver's background task keeps minPoolSize connections open.
    // TODO(storage-pool): the refill is instant; a real one costs a handshake in the background.
    if (in_use_ + static_cast<int>(idle_since_.size()) < config_.min_pool_size) {
      idle_since_.push_back(sim_.now());
      ++pool_stats_.connections_opened;
    }
  } else {
    idle_since_.push_back(sim_.now());
  }
  pool_.release();
}

// --- Applying at the server ----------------------------------------------------------------------

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

namespace {

// Applies `update` to `doc` in place, as $set / lock change / $inc.
void apply_update_fields(const model::Update& update, DeliveryTracking& doc) {
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
}

}  // namespace

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
  apply_update_fields(update, doc);
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

model::Result<DeliveryTracking> StorageServer::apply_save(const model::DocumentInstance& instance) {
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
  return doc;
}

model::Result<DeliveryTracking> StorageServer::apply_upsert_insert(const model::Filter& filter,
                                                                   const model::Update& update) {
  DeliveryTracking doc = update.set_fields.value_or(DeliveryTracking{});
  doc.id = filter.delivery_id;
  doc.version = 0;
  doc.operation_lock_ns.reset();
  doc.lock_owner.clear();
  apply_update_fields(update, doc);
  doc.id = filter.delivery_id;

  auto existing = documents_.find(doc.id);
  if (existing == documents_.end()) {
    documents_[doc.id] = doc;
    history_.add_document_event(DocumentEvent{.time_ns = sim_.now(),
                                              .delivery_id = doc.id,
                                              .kind = DocumentEventKind::kInserted,
                                              .detail = "upsert"});
    record_commit(WriteKind::kInsert, DeliveryTracking{}, doc, update.operation_id, false, true);
    return doc;
  }

  // Another upsert inserted this delivery between our query and our insert.
  if (!config_.unique_delivery_index) {
    probes_.hit("storage.upsert_duplicate_document");
    duplicates_.push_back(doc);
    history_.add_document_event(
        DocumentEvent{.time_ns = sim_.now(),
                      .delivery_id = doc.id,
                      .kind = DocumentEventKind::kInserted,
                      .detail = "duplicate: a racing upsert inserted a second document"});
    record_commit(WriteKind::kInsert, DeliveryTracking{}, doc, update.operation_id, false, true);
    return doc;
  }
  if (config_.upsert_retries_duplicate_key) {
    probes_.hit("storage.upsert_duplicate_key_retried");
    if (auto updated = apply_update(filter, update, WriteKind::kFindOneAndUpdate)) {
      return *updated;
    }
  } else {
    probes_.hit("storage.upsert_duplicate_key");
  }
  return Error{ErrorClass::kDuplicateKey, "E11000 duplicate key error: deliveryId " + doc.id};
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

// --- StoreClient ---------------------------------------------------------------------------------

StoreClient::StoreClient(StorageServer& server, std::string name)
    : server_(server),
      name_(std::move(name)),
      latency_stream_(Simulation::current().stream("storage/latency/" + name_)),
      fault_stream_(Simulation::current().stream("storage/faults/" + name_)) {}

template <class T>
model::Result<T> StoreClient::request(const char* op, const std::string& id,
                                      const LatencyConfig& server_time, ServerStep<T> step) {
  Simulation& sim = Simulation::current();
  const StorageConfig& config = server_.config();
  sim.trace()
      .event(sim.now(), "store.call")
      .field("client", name_)
      .field("op", op)
      .field("doc", id);

  bool fresh = false;
  if (!server_.acquire_connection(fresh)) {
    sim.trace().event(sim.now(), "store.reply").field("op", op).field("error", "PoolTimeout");
    return Error{ErrorClass::kPoolTimeout, "Timed out while checking out a connection from pool"};
  }
  if (fresh) sim.sleep_for(draw_latency(latency_stream_, config.connect_latency));

  // The request's whole course is drawn now, from this client's streams, in a fixed order; the
  // server's part then runs as kernel callbacks, so it goes on even if the client gives up.
  const FaultTimeline* timeline = server_.timeline();
  auto factor = [&](Nanos at) {
    return timeline == nullptr ? 1.0 : timeline->latency_factor(id, at);
  };
  auto probability = [&](Burst kind, Nanos at, double base) {
    return timeline == nullptr ? base : timeline->probability(kind, id, at, base);
  };
  const Nanos sent = sim.now();
  const Nanos deadline = sent + config.socket_timeout_ns;
  const Nanos arrival = sent + static_cast<Nanos>(static_cast<double>(draw_latency(
                                                      latency_stream_, config.request_latency)) *
                                                  factor(sent));
  const bool failover = server_.unavailable(arrival);
  const bool server_error =
      fault_stream_.bernoulli(probability(Burst::kServerErrors, arrival, config.server_error_rate));
  Nanos stall = 0;
  if (fault_stream_.bernoulli(probability(Burst::kStall, arrival, config.stall_rate))) {
    stall = draw_latency(fault_stream_, config.stall_latency);
  }
  if (timeline != nullptr) {
    const BurstWindow* window = timeline->active(Burst::kStall, id, arrival);
    if (window != nullptr && window->value > 0) stall = std::max(stall, window->until_ns - arrival);
  }
  const Nanos work = draw_latency(latency_stream_, server_time);
  const bool reply_lost =
      fault_stream_.bernoulli(probability(Burst::kReplyLoss, arrival, config.reply_lost_rate));
  const Nanos back = static_cast<Nanos>(
      static_cast<double>(draw_latency(latency_stream_, config.reply_latency)) * factor(arrival));

  auto reply = make_reply<model::Result<T>>();
  StorageServer& server = server_;
  auto send_back = [&sim, reply, back](model::Result<T> result) {
    sim.after(back, [reply, result = std::move(result)]() mutable {
      if (!reply->answered()) reply->set(std::move(result));
    });
  };
  if (failover || server_error) {
    sim.at(arrival, [&server, &sim, id, op, failover, send_back] {
      server.probes_hit(failover ? "storage.failover_rejected" : "storage.server_error");
      server.fault(failover ? "storage_failover_rejected" : "server_error", id);
      sim.trace().event(sim.now(), "store.error").field("op", op).field("doc", id);
      send_back(Error{ErrorClass::kServerError, failover
                                                    ? "NotWritablePrimary: the primary is stepping "
                                                      "down"
                                                    : "Internal server error"});
    });
  } else {
    if (stall > 0) {
      sim.at(arrival, [&server, id, stall] { server.fault("storage_stall", id, stall); });
    }
    sim.at(arrival + stall + work, [&server, &sim, id, op, deadline, reply_lost, send_back,
                                    step = std::move(step)] {
      step([&server, &sim, id, op, deadline, reply_lost, send_back](model::Result<T> result) {
        if (sim.now() >= deadline && result.ok()) {
          server.probes_hit("storage.applied_after_client_timeout");
        }
        if (reply_lost) {
          if (result.ok()) server.probes_hit("storage.applied_reply_lost");
          server.fault("reply_lost", id);
          sim.trace().event(sim.now(), "store.reply_lost").field("op", op).field("doc", id);
          return;
        }
        send_back(std::move(result));
      });
    });
  }

  std::optional<model::Result<T>> result = reply->wait_for(deadline - sim.now());
  server_.release_connection(/*broken=*/!result.has_value());
  auto line = sim.trace().event(sim.now(), "store.reply");
  line.field("op", op);
  if (!result) {
    line.field("error", "NetworkTimeout");
    return Error{ErrorClass::kNetworkTimeout, "connection timed out waiting for the reply"};
  }
  if (!result->ok()) line.field("error", model::to_string(result->error_class()));
  return std::move(*result);
}

model::Result<std::optional<DeliveryTracking>> StoreClient::find_by_id(const std::string& id) {
  using T = std::optional<DeliveryTracking>;
  return request<T>("find", id, server_.config().find_latency,
                    [&server = server_, id](auto done) { done(server.apply_find(id)); });
}

model::Result<std::optional<DeliveryTracking>> StoreClient::find_one_and_update(
    const model::Filter& filter, const model::Update& update) {
  using T = std::optional<DeliveryTracking>;
  return request<T>(
      "find_one_and_update", filter.delivery_id, server_.config().update_latency,
      [&server = server_, filter, update](auto done) {
        done(model::Result<T>(server.apply_update(filter, update, WriteKind::kFindOneAndUpdate)));
      });
}

model::Result<std::int64_t> StoreClient::update_one(const model::Filter& filter,
                                                    const model::Update& update) {
  return request<std::int64_t>(
      "update_one", filter.delivery_id, server_.config().update_latency,
      [&server = server_, filter, update](auto done) {
        const bool matched = server.apply_update(filter, update, WriteKind::kUpdateOne).has_value();
        done(model::Result<std::int64_t>(matched ? 1 : 0));
      });
}

model::Status StoreClient::insert_one(const DeliveryTracking& doc) {
  return request<model::Unit>(
      "insert_one", doc.id, server_.config().insert_latency,
      [&server = server_, doc](auto done) { done(server.apply_insert(doc)); });
}

model::Result<DeliveryTracking> StoreClient::upsert(const model::Filter& filter,
                                                    const model::Update& update) {
  using T = DeliveryTracking;
  return request<T>(
      "upsert", filter.delivery_id, server_.config().update_latency,
      [&server = server_, filter, update](std::function<void(model::Result<T>)> done) {
        Simulation& sim = Simulation::current();
        if (server.documents().count(filter.delivery_id) != 0) {
          if (auto updated = server.apply_update(filter, update, WriteKind::kFindOneAndUpdate)) {
            done(*updated);
            return;
          }
          // A document exists but fails the filter: the upsert tries to insert and meets it.
          done(server.apply_upsert_insert(filter, update));
          return;
        }
        // No match: the insert follows the query after a short gap another upsert can race in.
        RandomStream gap_stream = sim.stream("storage/upsert-gap/" + update.operation_id);
        sim.after(draw_latency(gap_stream, server.config().upsert_gap),
                  [&server, filter, update, done = std::move(done)] {
                    done(server.apply_upsert_insert(filter, update));
                  });
      });
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

  model::Result<DeliveryTracking> saved = request<DeliveryTracking>(
      "save", instance.doc.id, server_.config().save_latency,
      [&server = server_, copy = instance](auto done) { done(server.apply_save(copy)); });
  server_.set_instance_saving(instance.instance_id, false);
  if (!saved.ok()) return saved.error();
  instance.doc = std::move(saved).value();
  return model::ok_status();
}

}  // namespace tracksim::sim

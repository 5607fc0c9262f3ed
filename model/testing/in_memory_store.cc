// The in-memory ports: a faithful single-threaded MongoDB/Mongoose, a fake clock and its sleeper.
#include "model/testing/in_memory_store.h"

#include <utility>

#include "model/check.h"

namespace tracksim::model::testing {
namespace {

// The stored value of an indexed field, for unique indexes; field names are the schema's.
std::string index_key(const DeliveryTracking& doc, const std::string& field) {
  if (field == "_id") return doc.id;
  if (field == "deliveryPersonId") return doc.driver_id;
  if (field == "status") return std::string(to_string(doc.status));
  if (field == "version") return std::to_string(doc.version);
  if (field == "lastOperationId") return doc.last_operation_id;
  TRACKSIM_CHECK(false && "unique index on a field the in-memory store does not know");
  return {};
}

// The date a TTL index reads, or nullopt when the document has none (never expires).
std::optional<Nanos> ttl_date(const DeliveryTracking& doc, const std::string& field) {
  if (field == "operationLock") return doc.operation_lock_ns;
  if (field == "createdAt") return doc.created_ns;
  if (field == "updatedAt") return doc.updated_ns;
  TRACKSIM_CHECK(false && "TTL index on a field the in-memory store does not know");
  return std::nullopt;
}

// Copies each top-level field `now` changed relative to `before` into `stored`; returns how many.
// _id and version are handled by the caller.
int set_modified_paths(const DeliveryTracking& before, const DeliveryTracking& now,
                       DeliveryTracking& stored) {
  int modified = 0;
  auto path = [&](auto member) {
    if (!(before.*member == now.*member)) {
      stored.*member = now.*member;
      ++modified;
    }
  };
  path(&DeliveryTracking::driver_id);
  path(&DeliveryTracking::status);
  path(&DeliveryTracking::status_history);
  path(&DeliveryTracking::current_location);
  path(&DeliveryTracking::pickup);
  path(&DeliveryTracking::dropoff);
  path(&DeliveryTracking::operation_lock_ns);
  path(&DeliveryTracking::lock_owner);
  path(&DeliveryTracking::last_operation_id);
  path(&DeliveryTracking::recent_operation_ids);
  path(&DeliveryTracking::created_ns);
  path(&DeliveryTracking::updated_ns);
  return modified;
}

}  // namespace

void FakeClock::advance(Nanos d_ns) {
  TRACKSIM_CHECK(d_ns >= 0);
  now_ns_ += d_ns;
}

void FakeClock::set(Nanos t_ns) {
  TRACKSIM_CHECK(t_ns >= now_ns_);
  now_ns_ = t_ns;
}

void FakeSleeper::sleep_for(Nanos duration_ns) {
  TRACKSIM_CHECK(duration_ns >= 0);
  sleeps_ns_.push_back(duration_ns);
  clock_.advance(duration_ns);
}

std::uint64_t SeededRandom::next_u64() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

int CountingProbes::count(std::string_view probe) const {
  auto it = counts_.find(std::string(probe));
  return it == counts_.end() ? 0 : it->second;
}

InMemoryStore::InMemoryStore(const Clock& clock, std::vector<IndexSpec> indexes)
    : clock_(clock), indexes_(std::move(indexes)) {}

std::optional<InjectedFault> InMemoryStore::begin(StoreCall call, const std::string& delivery_id) {
  ++call_counts_[call];
  if (before_call) before_call(call, delivery_id);
  if (faults) return faults(call, delivery_id);
  return std::nullopt;
}

Result<std::optional<DeliveryTracking>> InMemoryStore::find_by_id(const std::string& delivery_id) {
  if (auto fault = begin(StoreCall::kFindById, delivery_id)) {
    return Error{fault->error_class, "injected fault on find_by_id"};
  }
  return peek(delivery_id);
}

Result<std::optional<DeliveryTracking>> InMemoryStore::find_one_and_update(const Filter& filter,
                                                                           const Update& update) {
  auto fault = begin(StoreCall::kFindOneAndUpdate, filter.delivery_id);
  if (fault && !fault->after_apply) {
    return Error{fault->error_class, "injected fault on findOneAndUpdate"};
  }

  std::optional<DeliveryTracking> after;
  auto it = docs_.find(filter.delivery_id);
  if (it != docs_.end() && matches(filter, it->second)) {
    apply(update, it->second);
    record(StoreCall::kFindOneAndUpdate, it->second, update.operation_id, update.increment_version);
    after = it->second;
  }

  if (fault) return Error{fault->error_class, "injected lost reply of findOneAndUpdate"};
  return after;
}

Result<std::int64_t> InMemoryStore::update_one(const Filter& filter, const Update& update) {
  auto fault = begin(StoreCall::kUpdateOne, filter.delivery_id);
  if (fault && !fault->after_apply) return Error{fault->error_class, "injected fault on updateOne"};

  std::int64_t modified = 0;
  auto it = docs_.find(filter.delivery_id);
  if (it != docs_.end() && matches(filter, it->second)) {
    apply(update, it->second);
    record(StoreCall::kUpdateOne, it->second, update.operation_id, update.increment_version);
    modified = 1;
  }

  if (fault) return Error{fault->error_class, "injected lost reply of updateOne"};
  return modified;
}

Status InMemoryStore::insert_one(const DeliveryTracking& doc) {
  auto fault = begin(StoreCall::kInsertOne, doc.id);
  if (fault && !fault->after_apply) return Error{fault->error_class, "injected fault on insertOne"};

  if (docs_.count(doc.id) != 0) {
    return Error{ErrorClass::kDuplicateKey, "E11000 duplicate key error: _id " + doc.id};
  }
  if (auto index = unique_conflict(doc)) {
    return Error{ErrorClass::kDuplicateKey, "E11000 duplicate key error: index " + *index};
  }
  docs_[doc.id] = doc;
  record(StoreCall::kInsertOne, doc, doc.last_operation_id, false);

  if (fault) return Error{fault->error_class, "injected lost reply of insertOne"};
  return ok_status();
}

Result<DocumentInstance> InMemoryStore::load_instance(const std::string& delivery_id) {
  if (auto fault = begin(StoreCall::kLoadInstance, delivery_id)) {
    return Error{fault->error_class, "injected fault on findById"};
  }
  auto it = docs_.find(delivery_id);
  if (it == docs_.end()) {
    return Error{ErrorClass::kDocumentNotFound, "DeliveryTracking " + delivery_id + " not found"};
  }
  DocumentInstance instance{
      .instance_id = next_instance_id_++, .doc = it->second, .versioned = versioned_instances};
  instance_baseline_[instance.instance_id] = it->second;
  return instance;
}

Status InMemoryStore::save(DocumentInstance& instance) {
  const std::string id = instance.doc.id;
  auto fault = begin(StoreCall::kSave, id);

  // Mongoose checks its guard before anything else, faults included: the check is client-side.
  if (saving_instances_.count(instance.instance_id) != 0) {
    return Error{ErrorClass::kParallelSaveError,
                 "Can't save() the same doc multiple times in parallel. Document: " + id};
  }
  saving_instances_.insert(instance.instance_id);

  if (validator) {
    auto valid = validator(instance.doc);
    if (!valid.ok()) {
      if (!validation_failure_leaves_guard) saving_instances_.erase(instance.instance_id);
      return Error{ErrorClass::kValidationError, valid.error().message};
    }
  }

  // Mongoose computes what to write when save() is called; changes made to the instance while
  // the save is pending stay in memory and are not part of this write.
  const DeliveryTracking to_write = instance.doc;
  if (during_save) during_save(instance);
  saving_instances_.erase(instance.instance_id);
  if (fault && !fault->after_apply) return Error{fault->error_class, "injected fault on save"};

  auto it = docs_.find(id);
  if (it == docs_.end()) {
    return Error{ErrorClass::kDocumentNotFound, "No document found for query { _id: " + id + " }"};
  }
  DeliveryTracking& stored = it->second;
  if (instance.versioned && stored.version != to_write.version) {
    return Error{ErrorClass::kVersionError, "No matching document found for id " + id +
                                                " version " + std::to_string(to_write.version)};
  }

  DeliveryTracking& baseline = instance_baseline_[instance.instance_id];
  const int modified = set_modified_paths(baseline, to_write, stored);
  if (modified > 0) {
    if (instance.versioned) ++stored.version;
    record(StoreCall::kSave, stored, stored.last_operation_id, instance.versioned);
  }
  baseline = stored;
  instance.doc = stored;

  if (fault) return Error{fault->error_class, "injected lost reply of save"};
  return ok_status();
}

int InMemoryStore::run_ttl_monitor(Nanos now_ns) {
  int deleted = 0;
  for (auto it = docs_.begin(); it != docs_.end();) {
    bool expired = false;
    for (const auto& index : indexes_) {
      if (!index.expire_after_seconds.has_value()) continue;
      const auto date = ttl_date(it->second, index.fields.front());
      if (date.has_value() && *date + seconds(*index.expire_after_seconds) < now_ns) {
        expired = true;
      }
    }
    if (expired) {
      it = docs_.erase(it);
      ++deleted;
    } else {
      ++it;
    }
  }
  return deleted;
}

std::optional<DeliveryTracking> InMemoryStore::peek(const std::string& delivery_id) const {
  auto it = docs_.find(delivery_id);
  if (it == docs_.end()) return std::nullopt;
  return it->second;
}

void InMemoryStore::put(const DeliveryTracking& doc) {
  docs_[doc.id] = doc;
}

int InMemoryStore::calls(StoreCall call) const {
  auto it = call_counts_.find(call);
  return it == call_counts_.end() ? 0 : it->second;
}

bool InMemoryStore::matches(const Filter& filter, const DeliveryTracking& doc) const {
  if (doc.id != filter.delivery_id) return false;
  if (filter.version.has_value() && doc.version != *filter.version) return false;

  const LockCondition& lock = filter.lock;
  switch (lock.kind) {
    case LockCondition::Kind::kAny:
      return true;
    case LockCondition::Kind::kFree:
      return !doc.operation_lock_ns.has_value();
    case LockCondition::Kind::kFreeOrExpired:
      return !doc.operation_lock_ns.has_value() || *doc.operation_lock_ns <= lock.now_ns;
    case LockCondition::Kind::kHeldBy:
      return doc.operation_lock_ns.has_value() && doc.lock_owner == lock.owner &&
             *doc.operation_lock_ns > lock.now_ns;
  }
  return false;
}

void InMemoryStore::apply(const Update& update, DeliveryTracking& doc) {
  if (update.set_fields.has_value()) {
    const std::string id = doc.id;
    const std::int64_t version = doc.version;
    const auto lock_ns = doc.operation_lock_ns;
    const std::string owner = doc.lock_owner;
    doc = *update.set_fields;
    doc.id = id;
    doc.version = version;
    doc.operation_lock_ns = lock_ns;
    doc.lock_owner = owner;
  }
  switch (update.lock_change) {
    case Update::LockChange::kKeep:
      break;
    case Update::LockChange::kSet:
      doc.operation_lock_ns = update.lock_until_ns;
      doc.lock_owner = update.lock_owner;
      break;
    case Update::LockChange::kClear:
      doc.operation_lock_ns.reset();
      doc.lock_owner.clear();
      break;
  }
  if (update.increment_version) ++doc.version;
}

void InMemoryStore::record(StoreCall call, const DeliveryTracking& doc,
                           const std::string& operation_id, bool version_raised) {
  commits_.push_back(CommitRecord{.delivery_id = doc.id,
                                  .call = call,
                                  .version_after = doc.version,
                                  .operation_id = operation_id,
                                  .version_raised = version_raised});
}

std::optional<std::string> InMemoryStore::unique_conflict(const DeliveryTracking& doc) const {
  for (const auto& index : indexes_) {
    if (!index.unique) continue;
    for (const auto& [id, other] : docs_) {
      bool same = true;
      for (const auto& field : index.fields)
        same = same && index_key(doc, field) == index_key(other, field);
      if (same) {
        std::string name;
        for (const auto& field : index.fields)
          name += (name.empty() ? "" : "_") + field;
        return name;
      }
    }
  }
  return std::nullopt;
}

TestWorld::TestWorld(std::uint64_t seed, std::vector<IndexSpec> indexes)
    : clock(seconds(1'000)), sleeper(clock), random(seed), store(clock, std::move(indexes)) {}

BackendPorts TestWorld::ports() {
  return BackendPorts{.clock = &clock,
                      .sleeper = &sleeper,
                      .random = &random,
                      .store = &store,
                      .broadcaster = &room,
                      .monitoring = nullptr,
                      .probes = &probes};
}

DeliveryTracking make_delivery(const std::string& delivery_id, Nanos now_ns,
                               DeliveryStatus status) {
  DeliveryTracking doc;
  doc.id = delivery_id;
  doc.driver_id = "driver-" + delivery_id;
  doc.status = status;
  doc.status_history.push_back(StatusHistoryEntry{.status = status,
                                                  .note = "created",
                                                  .location = std::nullopt,
                                                  .time_ns = now_ns,
                                                  .operation_id = ""});
  // Two points in central Lisbon about 2.3 km apart.
  doc.pickup = GeoPoint{38.7223, -9.1393};
  doc.dropoff = GeoPoint{38.7369, -9.1427};
  doc.created_ns = now_ns;
  doc.updated_ns = now_ns;
  return doc;
}

}  // namespace tracksim::model::testing

// In-memory implementations of the model's ports, for unit tests and as the reference semantics
// of the simulator's storage model.
//
// InMemoryStore follows MongoDB and Mongoose as ports.h documents them, single-threaded and with
// no latency:
//   - filters match on _id, then `version` when given, then the lock condition evaluated with
//     the caller's `now_ns` (kFreeOrExpired: absent or ending at or before now; kHeldBy: this
//     owner and ending after now);
//   - an Update applies atomically to the one matching document: $set of every field except _id,
//     version and the lock fields; then the lock change; then $inc of version;
//   - insert_one honours _id and the unique indexes it was given;
//   - run_ttl_monitor(now) deletes every document whose TTL-indexed date plus expireAfterSeconds
//     is before `now`, as MongoDB's TTL monitor does on each of its passes;
//   - save() of an instance raises ParallelSaveError while an earlier save of the same instance
//     is pending, and after a failed validation when the store is told the guard stays set; it
//     writes only the top-level fields the instance changed since it was loaded or last saved
//     (Mongoose's modified paths); a versioned instance also checks and raises `version`.
// A save is "pending" only while the `during_save` hook runs: a test calls another handler from
// there to make two saves of one instance overlap. Faults are injected per call by a plan;
// `after_apply` models a write that was applied but whose reply was lost.
//
// Left out: latency, connection pools, upserts and multi-document operations.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/api.h"
#include "model/backend.h"
#include "model/ports.h"

namespace tracksim::model::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(Nanos start_ns = 0) : now_ns_(start_ns) {}
  Nanos now() const override { return now_ns_; }
  void advance(Nanos d_ns);
  void set(Nanos t_ns);

 private:
  Nanos now_ns_;
};

// Sleeping advances the fake clock by exactly the requested time, and remembers each request.
class FakeSleeper final : public Sleeper {
 public:
  explicit FakeSleeper(FakeClock& clock) : clock_(clock) {}
  void sleep_for(Nanos duration_ns) override;
  const std::vector<Nanos>& sleeps_ns() const { return sleeps_ns_; }

 private:
  FakeClock& clock_;
  std::vector<Nanos> sleeps_ns_;
};

// splitmix64: small, fast, and the same sequence on every platform.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next_u64() override;

 private:
  std::uint64_t state_;
};

class CountingProbes final : public Probes {
 public:
  void hit(std::string_view probe) override { ++counts_[std::string(probe)]; }
  int count(std::string_view probe) const;
  const std::map<std::string, int>& counts() const { return counts_; }

 private:
  std::map<std::string, int> counts_;
};

class RecordingBroadcaster final : public Broadcaster {
 public:
  void publish(const RoomEvent& event) override { events.push_back(event); }
  std::vector<RoomEvent> events;
};

enum class StoreCall : unsigned char {
  kFindById,
  kFindOneAndUpdate,
  kUpdateOne,
  kInsertOne,
  kLoadInstance,
  kSave,
};

struct InjectedFault {
  ErrorClass error_class = ErrorClass::kServerError;
  // Apply the write, then report the error (a lost reply). Reads ignore this.
  bool after_apply = false;
};

// One write that changed a stored document, in commit order.
struct CommitRecord {
  std::string delivery_id;
  StoreCall call = StoreCall::kUpdateOne;
  std::int64_t version_after = 0;
  std::string operation_id;
  bool version_raised = false;
};

class InMemoryStore final : public DocumentStore {
 public:
  explicit InMemoryStore(const Clock& clock, std::vector<IndexSpec> indexes = {});

  Result<std::optional<DeliveryTracking>> find_by_id(const std::string& delivery_id) override;
  Result<std::optional<DeliveryTracking>> find_one_and_update(const Filter& filter,
                                                              const Update& update) override;
  Result<std::int64_t> update_one(const Filter& filter, const Update& update) override;
  Status insert_one(const DeliveryTracking& doc) override;
  Result<DocumentInstance> load_instance(const std::string& delivery_id) override;
  Status save(DocumentInstance& instance) override;

  // Deletes the documents a TTL index has expired at `now_ns` (default: the clock's now);
  // returns how many.
  int run_ttl_monitor(Nanos now_ns);
  int run_ttl_monitor() { return run_ttl_monitor(clock_.now()); }

  // Test access to the stored state, bypassing faults and hooks.
  std::optional<DeliveryTracking> peek(const std::string& delivery_id) const;
  void put(const DeliveryTracking& doc);
  void remove(const std::string& delivery_id) { docs_.erase(delivery_id); }
  const std::vector<CommitRecord>& commits() const { return commits_; }
  int calls(StoreCall call) const;

  // Called at the start of every call, before faults; may advance the clock or run other work.
  std::function<void(StoreCall, const std::string& delivery_id)> before_call;
  // Returns a fault to inject into this call, or nullopt.
  std::function<std::optional<InjectedFault>(StoreCall, const std::string& delivery_id)> faults;
  // Runs while a save is pending: the instance's guard is set and nothing is written yet.
  std::function<void(const DocumentInstance&)> during_save;
  // Mongoose validation run by save() before writing; an error fails the save.
  std::function<Status(const DeliveryTracking&)> validator;
  // Whether a failed validation leaves the instance's parallel-save guard set (a Mongoose
  // behaviour the seed's system met); the next save of it is then a ParallelSaveError.
  bool validation_failure_leaves_guard = false;
  // Whether load_instance hands out versioned instances (Mongoose's optimisticConcurrency).
  bool versioned_instances = false;

 private:
  std::optional<InjectedFault> begin(StoreCall call, const std::string& delivery_id);
  bool matches(const Filter& filter, const DeliveryTracking& doc) const;
  void apply(const Update& update, DeliveryTracking& doc);
  void record(StoreCall call, const DeliveryTracking& doc, const std::string& operation_id,
              bool version_raised);
  std::optional<std::string> unique_conflict(const DeliveryTracking& doc) const;

  const Clock& clock_;
  std::vector<IndexSpec> indexes_;
  std::map<std::string, DeliveryTracking> docs_;
  // What each instance last loaded or saved, to find the fields it modified since.
  std::map<std::uint64_t, DeliveryTracking> instance_baseline_;
  std::set<std::uint64_t> saving_instances_;
  std::uint64_t next_instance_id_ = 1;
  std::vector<CommitRecord> commits_;
  std::map<StoreCall, int> call_counts_;
};

// Every port wired to the in-memory implementations, for tests that need a whole backend.
struct TestWorld {
  explicit TestWorld(std::uint64_t seed = 1, std::vector<IndexSpec> indexes = {});
  BackendPorts ports();

  FakeClock clock;
  FakeSleeper sleeper;
  SeededRandom random;
  InMemoryStore store;
  CountingProbes probes;
  RecordingBroadcaster room;
};

// A DeliveryTracking ready to insert: assigned, with pickup and dropoff a few kilometres apart.
DeliveryTracking make_delivery(const std::string& delivery_id, Nanos now_ns,
                               DeliveryStatus status = DeliveryStatus::kAssigned);

}  // namespace tracksim::model::testing

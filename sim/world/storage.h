//! The storage model: a MongoDB server with Mongoose on the client side, as the backend sees it.
//!
//! StorageServer holds the delivery-tracking collection and applies writes atomically, one
//! document at a time, with the semantics the backend depends on:
//!   - conditional single-document writes (findOneAndUpdate, updateOne) match a filter on id,
//!     version and lock state, and apply their whole update or nothing;
//!   - Mongoose document instances: save() while an earlier save() of the same instance is
//!     pending fails with ParallelSaveError; a versioned save fails with VersionError when the
//!     stored version moved on; every save raises the stored version by one ($inc of __v);
//!   - a unique index on _id (insert twice: DuplicateKey);
//!   - TTL indexes: a monitor wakes every `ttl_monitor_period` and deletes whole documents whose
//!     indexed date is older than expireAfterSeconds, so deletion lags expiry by up to one period;
//!   - a connection pool of max_pool_size connections, with a FIFO wait queue and a timeout;
//!   - latency per request, drawn per call.
//! StoreClient is the DocumentStore port on top of it, one per calling process. A request costs a
//! pool connection, a request latency, the apply, and a reply latency; a write can be applied and
//! its reply lost, which the caller sees only as a NetworkTimeout.
//!
//! Every write that changes a document is recorded in the History as a commit with its version,
//! and traced. Left out: replication beyond a failover window, multi-document transactions, and
//! query shapes the backend never uses.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "model/ports.h"
#include "sim/kernel/simulation.h"
#include "sim/kernel/sync.h"
#include "sim/world/history.h"
#include "sim/world/probes.h"

namespace tracksim::sim {

// A latency distribution: lognormal with the given mean and standard deviation, in milliseconds;
// a standard deviation of 0 makes it constant.
struct LatencyConfig {
  double mean_ms = 2.0;
  double stddev_ms = 1.0;
};
Nanos draw_latency(RandomStream& stream, const LatencyConfig& latency);

struct StorageConfig {
  LatencyConfig request_latency{.mean_ms = 1.5, .stddev_ms = 0.8};  // client to server
  LatencyConfig reply_latency{.mean_ms = 1.5, .stddev_ms = 0.8};    // server to client
  int max_pool_size = 20;
  int min_pool_size = 5;
  Nanos wait_queue_timeout_ns = seconds(5);
  // How long the driver waits for a reply before it reports a NetworkTimeout.
  Nanos socket_timeout_ns = seconds(10);
  Nanos ttl_monitor_period_ns = seconds(60);
  std::vector<model::IndexSpec> indexes = model::seed_schema_indexes();
  // Probabilities per request of the injected faults.
  double server_error_rate = 0;  // fails before applying
  double reply_lost_rate = 0;    // applied, but the reply never arrives
  // A save() that fails validation leaves the instance's parallel-save guard set (a Mongoose
  // behaviour seen in the field), so every later save() of that instance fails.
  bool validation_leaves_guard = true;
};

class StorageServer {
 public:
  StorageServer(Simulation& sim, StorageConfig config, History& history, Probes& probes);

  // Loads a document before the run starts (not recorded as a commit).
  void preload(const model::DeliveryTracking& doc);
  // Starts the TTL monitor, if any index has a TTL.
  void start();

  const StorageConfig& config() const { return config_; }
  const std::map<std::string, model::DeliveryTracking>& documents() const { return documents_; }
  Semaphore& pool() { return pool_; }

  // A window [from, until) in which every request fails with ServerError (a primary failover).
  void add_unavailable_window(Nanos from_ns, Nanos until_ns);
  bool unavailable(Nanos at_ns) const;

  // --- Applied at the server, atomically (no waiting inside). ------------------------------------
  model::Result<std::optional<model::DeliveryTracking>> apply_find(const std::string& id);
  // Returns the document after the update, or nullopt when the filter matched nothing.
  std::optional<model::DeliveryTracking> apply_update(const model::Filter& filter,
                                                      const model::Update& update, WriteKind kind);
  model::Status apply_insert(const model::DeliveryTracking& doc);
  model::Status apply_save(model::DocumentInstance& instance);

  std::uint64_t new_instance_id() { return ++last_instance_id_; }
  void probes_hit(std::string_view probe) { probes_.hit(probe); }
  // Mongoose's per-instance guard, held for the whole of a save().
  bool instance_saving(std::uint64_t instance_id) const {
    return saving_instances_.count(instance_id) != 0;
  }
  void set_instance_saving(std::uint64_t instance_id, bool saving);

 private:
  bool matches(const model::Filter& filter, const model::DeliveryTracking& doc) const;
  void record_commit(WriteKind kind, const model::DeliveryTracking& before,
                     const model::DeliveryTracking& after, const std::string& operation_id,
                     bool version_checked, bool changed_fields);
  void run_ttl_monitor();

  Simulation& sim_;
  StorageConfig config_;
  History& history_;
  Probes& probes_;
  Semaphore pool_;
  std::map<std::string, model::DeliveryTracking> documents_;
  std::set<std::uint64_t> saving_instances_;
  std::uint64_t last_instance_id_ = 0;
  std::vector<std::pair<Nanos, Nanos>> unavailable_;
};

// The DocumentStore port for one calling process (the API server, a worker).
class StoreClient final : public model::DocumentStore {
 public:
  StoreClient(StorageServer& server, std::string name);

  model::Result<std::optional<model::DeliveryTracking>> find_by_id(const std::string& id) override;
  model::Result<std::optional<model::DeliveryTracking>> find_one_and_update(
      const model::Filter& filter, const model::Update& update) override;
  model::Result<std::int64_t> update_one(const model::Filter& filter,
                                         const model::Update& update) override;
  model::Status insert_one(const model::DeliveryTracking& doc) override;
  model::Result<model::DocumentInstance> load_instance(const std::string& id) override;
  model::Status save(model::DocumentInstance& instance) override;

 private:
  // Runs one request: pool, latency, faults, then `apply` at the server, then the reply's way
  // back. `apply` runs atomically and returns the result the client will see.
  template <class T, class Apply>
  model::Result<T> request(const char* op, const std::string& id, Apply&& apply);

  StorageServer& server_;
  std::string name_;
  RandomStream latency_stream_;
  RandomStream fault_stream_;
};

}  // namespace tracksim::sim

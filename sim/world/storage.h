//! The storage model: a MongoDB server with Mongoose on the client side, as the backend sees it.
//!
//! StorageServer holds the delivery-tracking collection and applies writes atomically, one
//! document at a time, with the semantics the backend depends on:
//!   - conditional single-document writes (findOneAndUpdate, updateOne) match a filter on id,
//!     version and lock state, and apply their whole update or nothing;
//!   - Mongoose document instances: save() while an earlier save() of the same instance is
//!     pending fails with ParallelSaveError; a versioned save fails with VersionError when the
//!     stored version moved on; every save raises the stored version by one ($inc of __v);
//!   - a unique index on _id (insert twice: DuplicateKey); upserts by delivery id query and then
//!     insert, so two racing upserts both insert: with a unique index on deliveryId one fails with
//!     DuplicateKey (which the server retries as an update when `upsert_retries_duplicate_key`, as
//!     MongoDB 4.2 and later do), without one the collection ends up holding two documents;
//!   - TTL indexes: a monitor wakes every `ttl_monitor_period` and deletes whole documents whose
//!     indexed date is older than expireAfterSeconds, so deletion lags expiry by up to one period;
//!   - a connection pool of max_pool_size connections with a FIFO wait queue and a timeout; at
//!     least min_pool_size stay open, idle ones beyond that close after max_idle_time, and a
//!     request that finds no open idle connection first pays for a new connection's handshake;
//!   - latency: request and reply travel times, and a server time that depends on the operation.
//! StoreClient is the DocumentStore port on top of it, one per calling process. A request takes a
//! pool connection, travels, waits for the server, is applied, and its reply travels back; the
//! client waits at most socket_timeout for it and then reports NetworkTimeout, whether or not the
//! server applied the write, or will still apply it after a stall.
//!
//! Injected faults: server errors, stalls (a request hangs for a drawn time, or until a stall
//! window ends), a write applied whose reply is lost, a failover window in which every request
//! fails, latency spikes; each is counted in the FaultLog and traced. Every write that changes a
//! document is recorded in the History as a commit with its version, and traced. Left out:
//! replication beyond the failover window, multi-document transactions, query shapes the backend
//! never uses, and server-side queueing (the server applies any number of requests at once).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/ports.h"
#include "sim/kernel/simulation.h"
#include "sim/kernel/sync.h"
#include "sim/world/faults.h"
#include "sim/world/history.h"
#include "sim/world/probes.h"

namespace tracksim::sim {

enum class LatencyShape : unsigned char {
  kLognormal,    // mean and standard deviation as given; a deviation of 0 makes it constant
  kExponential,  // memoryless, standard deviation equal to the mean (stddev_ms is ignored)
};
// "lognormal", "exponential".
std::string_view to_string(LatencyShape s);
std::optional<LatencyShape> latency_shape_from_string(std::string_view name);

// A latency distribution in milliseconds.
struct LatencyConfig {
  double mean_ms = 2.0;
  double stddev_ms = 1.0;
  LatencyShape shape = LatencyShape::kLognormal;
};
// One draw, in nanoseconds; 0 when the mean is 0 or less.
Nanos draw_latency(RandomStream& stream, const LatencyConfig& latency);

struct StorageConfig {
  LatencyConfig request_latency{.mean_ms = 1.5, .stddev_ms = 0.8};  // client to server
  LatencyConfig reply_latency{.mean_ms = 1.5, .stddev_ms = 0.8};    // server to client
  // The server's own time per operation, between a request's arrival and its apply.
  LatencyConfig find_latency{.mean_ms = 0.3, .stddev_ms = 0.2};
  LatencyConfig update_latency{.mean_ms = 0.5, .stddev_ms = 0.3};  // also upserts
  LatencyConfig insert_latency{.mean_ms = 0.5, .stddev_ms = 0.3};
  LatencyConfig save_latency{.mean_ms = 0.8, .stddev_ms = 0.4};
  int max_pool_size = 20;
  int min_pool_size = 5;
  Nanos max_idle_time_ns = seconds(30);
  LatencyConfig connect_latency{.mean_ms = 5, .stddev_ms = 2};  // a new connection's handshake
  Nanos wait_queue_timeout_ns = seconds(5);
  // How long the driver waits for a reply before it reports a NetworkTimeout.
  Nanos socket_timeout_ns = seconds(10);
  Nanos ttl_monitor_period_ns = seconds(60);
  std::vector<model::IndexSpec> indexes = model::seed_schema_indexes();
  // An upsert's time between finding no match and inserting: the window two upserts race in.
  LatencyConfig upsert_gap{.mean_ms = 0.2, .stddev_ms = 0.1};
  // Whether a unique index on deliveryId stops racing upserts from inserting twice.
  bool unique_delivery_index = true;
  // Whether the server retries an upsert that met DuplicateKey as an update (MongoDB >= 4.2).
  bool upsert_retries_duplicate_key = true;
  // Probabilities per request of the injected faults.
  double server_error_rate = 0;  // fails before applying
  double reply_lost_rate = 0;    // applied, but the reply never arrives
  double stall_rate = 0;         // hangs for a drawn time before it is applied
  LatencyConfig stall_latency{
      .mean_ms = 2000, .stddev_ms = 2000, .shape = LatencyShape::kExponential};
  // A save() that fails validation leaves the instance's parallel-save guard set (a Mongoose
  // behaviour seen in the field), so every later save() of that instance fails.
  bool validation_leaves_guard = true;
};

// How the connection pool was used in a run.
struct PoolStats {
  std::uint64_t acquisitions = 0;  // requests that got a connection
  std::uint64_t waited = 0;        // of those, how many had to queue for it
  Nanos wait_ns_total = 0;         // their total time in the queue
  std::uint64_t timeouts = 0;      // requests that gave up waiting
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_closed = 0;
  int max_in_use = 0;
};

class StorageServer {
 public:
  StorageServer(Simulation& sim, StorageConfig config, History& history, Probes& probes);

  // Loads a document before the run starts (not recorded as a commit).
  void preload(const model::DeliveryTracking& doc);
  // Starts the TTL monitor, if any index has a TTL.
  void start();
  // Scheduled fault windows to honour, and where injected faults are counted; both optional and
  // must outlive the run.
  void attach_faults(const FaultTimeline* timeline, FaultLog* log) {
    timeline_ = timeline;
    fault_log_ = log;
  }

  const StorageConfig& config() const { return config_; }
  // One document per delivery id: the one finds and updates reach.
  const std::map<std::string, model::DeliveryTracking>& documents() const { return documents_; }
  // Further documents with an existing delivery id, inserted by racing upserts.
  const std::vector<model::DeliveryTracking>& duplicate_documents() const { return duplicates_; }
  const PoolStats& pool_stats() const { return pool_stats_; }

  // A window [from, until) in which every request fails with ServerError (a primary failover).
  void add_unavailable_window(Nanos from_ns, Nanos until_ns);
  bool unavailable(Nanos at_ns) const;

  // --- Applied at the server, atomically (no waiting inside). ----------------------------------
  model::Result<std::optional<model::DeliveryTracking>> apply_find(const std::string& id);
  // Returns the document after the update, or nullopt when the filter matched nothing.
  std::optional<model::DeliveryTracking> apply_update(const model::Filter& filter,
                                                      const model::Update& update, WriteKind kind);
  model::Status apply_insert(const model::DeliveryTracking& doc);
  // Returns the stored document after the save.
  model::Result<model::DeliveryTracking> apply_save(const model::DocumentInstance& instance);
  // The insert half of an upsert that found no match: inserts `doc`, or meets the document a
  // racing upsert inserted meanwhile. Returns the stored document.
  model::Result<model::DeliveryTracking> apply_upsert_insert(const model::Filter& filter,
                                                             const model::Update& update);

  std::uint64_t new_instance_id() { return ++last_instance_id_; }
  void probes_hit(std::string_view probe) { probes_.hit(probe); }
  void fault(std::string_view kind, std::string_view target, Nanos duration_ns = 0);
  const FaultTimeline* timeline() const { return timeline_; }
  // Mongoose's per-instance guard, held for the whole of a save().
  bool instance_saving(std::uint64_t instance_id) const {
    return saving_instances_.count(instance_id) != 0;
  }
  void set_instance_saving(std::uint64_t instance_id, bool saving);

  // --- The connection pool, for StoreClient. ----------------------------------------------------
  // Takes a connection, waiting at most the wait-queue timeout; false when none came in time.
  // `fresh` is set when no open connection was idle, so the caller must pay for a handshake.
  bool acquire_connection(bool& fresh);
  // Returns a connection; `broken` (after a socket timeout) closes it instead.
  void release_connection(bool broken);

 private:
  bool matches(const model::Filter& filter, const model::DeliveryTracking& doc) const;
  void record_commit(WriteKind kind, const model::DeliveryTracking& before,
                     const model::DeliveryTracking& after, const std::string& operation_id,
                     bool version_checked, bool changed_fields);
  void run_ttl_monitor();
  void close_idle_connections();

  Simulation& sim_;
  StorageConfig config_;
  History& history_;
  Probes& probes_;
  const FaultTimeline* timeline_ = nullptr;
  FaultLog* fault_log_ = nullptr;
  Semaphore pool_;
  std::vector<Nanos> idle_since_;  // open idle connections, oldest first
  int in_use_ = 0;
  PoolStats pool_stats_;
  std::map<std::string, model::DeliveryTracking> documents_;
  std::vector<model::DeliveryTracking> duplicates_;
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

  // findOneAndUpdate({deliveryId}, update, {upsert: true, new: true}): updates the delivery's
  // document when the filter matches it; inserts one built from update.set_fields (with the
  // filter's delivery id) when no document has that delivery id. A document that exists but
  // fails the filter's version or lock condition is a DuplicateKey, as in MongoDB.
  model::Result<model::DeliveryTracking> upsert(const model::Filter& filter,
                                                const model::Update& update);

 private:
  // What the server does once a request has arrived: calls `done` with the result, at once or
  // after further server time. Runs on the kernel context, so it must not wait.
  template <class T>
  using ServerStep = std::function<void(std::function<void(model::Result<T>)> done)>;

  // Runs one request: pool, latencies, faults, then `step` at the server, then the reply's way
  // back. `step` owns whatever it needs: the caller may have given up before it runs.
  template <class T>
  model::Result<T> request(const char* op, const std::string& id, const LatencyConfig& server_time,
                           ServerStep<T> step);

  StorageServer& server_;
  std::string name_;
  RandomStream latency_stream_;
  RandomStream fault_stream_;
};

}  // namespace tracksim::sim

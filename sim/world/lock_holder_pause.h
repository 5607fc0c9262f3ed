//! A request handler paused while it holds the operationLock: the fault behind lock expiry.
//!
//! LockHolderPause wraps the backend's DocumentStore port. From each pause's start on, the first
//! request that takes an operationLock (a findOneAndUpdate that sets the lock and matches) on the
//! pause's target delivery ("*": any) marks the lock's owner; that owner's next write naming the
//! lock as its own (its commit, or its release) waits the pause's length of virtual time before
//! it is sent, as if the handler's process had stalled (a long garbage collection, a blocked event
//! loop) between deciding to write and writing. The lease runs on meanwhile: a pause longer than
//! the lock's lease lets another handler take the lock over, and the paused writer's filter still
//! carries the time it read before the pause, as a client-sent Date would.
//!
//! Each pause stalls one handler once. When it strikes it is logged as an injected fault (traced,
//! and recorded in the History as "lock_holder_pause" on the delivery) and counted as the probe
//! "fault.lock_holder_paused". Left out: pauses at other points of a handler, and pauses of the
//! database itself (the storage model's stalls cover those).
#pragma once

#include <string>
#include <vector>

#include "model/ports.h"
#include "sim/kernel/simulation.h"
#include "sim/world/faults.h"

namespace tracksim::sim {

class LockHolderPause final : public model::DocumentStore {
 public:
  LockHolderPause(Simulation& sim, model::DocumentStore& inner, model::Probes& probes,
                  FaultLog& log)
      : sim_(sim), inner_(inner), probes_(probes), log_(log) {}

  // From `from_ns` on, pause the next lock holder of `target` for `pause_ns`.
  void add(Nanos from_ns, Nanos pause_ns, std::string target);
  bool empty() const { return pauses_.empty(); }

  model::Result<std::optional<model::DeliveryTracking>> find_by_id(const std::string& id) override {
    return inner_.find_by_id(id);
  }
  model::Result<std::optional<model::DeliveryTracking>> find_one_and_update(
      const model::Filter& filter, const model::Update& update) override;
  model::Result<std::int64_t> update_one(const model::Filter& filter,
                                         const model::Update& update) override;
  model::Status insert_one(const model::DeliveryTracking& doc) override {
    return inner_.insert_one(doc);
  }
  model::Result<model::DocumentInstance> load_instance(const std::string& id) override {
    return inner_.load_instance(id);
  }
  model::Status save(model::DocumentInstance& instance) override { return inner_.save(instance); }

 private:
  struct Pause {
    Nanos from_ns = 0;
    Nanos pause_ns = 0;
    std::string target;
    std::string owner;  // the lock holder it waits for; empty until one takes a lock
    bool struck = false;
  };

  void lock_taken(const std::string& delivery_id, const std::string& owner);
  void maybe_pause(const model::Filter& filter);

  Simulation& sim_;
  model::DocumentStore& inner_;
  model::Probes& probes_;
  FaultLog& log_;
  std::vector<Pause> pauses_;
};

}  // namespace tracksim::sim

// Pausing a lock holder before its next write; see lock_holder_pause.h.
#include "sim/world/lock_holder_pause.h"

namespace tracksim::sim {

void LockHolderPause::add(Nanos from_ns, Nanos pause_ns, std::string target) {
  pauses_.push_back(Pause{.from_ns = from_ns,
                          .pause_ns = pause_ns,
                          .target = std::move(target),
                          .owner = "",
                          .struck = false});
}

void LockHolderPause::lock_taken(const std::string& delivery_id, const std::string& owner) {
  for (Pause& p : pauses_) {
    if (!p.owner.empty() || sim_.now() < p.from_ns) continue;
    if (p.target != "*" && p.target != delivery_id) continue;
    p.owner = owner;
    return;  // one pause per lock taken
  }
}

void LockHolderPause::maybe_pause(const model::Filter& filter) {
  if (filter.lock.kind != model::LockCondition::Kind::kHeldBy) return;
  for (Pause& p : pauses_) {
    if (p.struck || p.owner.empty() || p.owner != filter.lock.owner) continue;
    p.struck = true;
    probes_.hit("fault.lock_holder_paused");
    log_.injected("lock_holder_pause", filter.delivery_id, p.pause_ns);
    sim_.sleep_for(p.pause_ns);
    return;
  }
}

model::Result<std::optional<model::DeliveryTracking>> LockHolderPause::find_one_and_update(
    const model::Filter& filter, const model::Update& update) {
  maybe_pause(filter);
  auto result = inner_.find_one_and_update(filter, update);
  const bool took_lock = update.lock_change == model::Update::LockChange::kSet && result.ok() &&
                         result.value().has_value();
  if (took_lock) lock_taken(filter.delivery_id, update.lock_owner);
  return result;
}

model::Result<std::int64_t> LockHolderPause::update_one(const model::Filter& filter,
                                                        const model::Update& update) {
  maybe_pause(filter);
  return inner_.update_one(filter, update);
}

}  // namespace tracksim::sim

//! What the report's timeline draws, derived from a run's history: per delivery, the operations
//! from invocation to completion, the lock leases, the status transitions and document events;
//! across deliveries, the injected faults; and which records the properties name as witnesses.
//!
//! Lock leases are reconstructed from the commits alone: every write records the operationLock
//! owner and expiry before and after it, so a lease starts at the write that set an owner and
//! ends at the next write that changed the lock, or at its expiry when nothing touched it first.
//! Times are virtual milliseconds from the start of the run.
//!
//! TODO(timeline): draw each server request and store call inside its operation's bar; the
//! history records both, but the lanes show only what the client saw and what was committed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json_fwd.hpp"
#include "properties/checkers.h"
#include "sim/world/history.h"

namespace tracksim::reports {

struct LockLease {
  std::string delivery_id;
  std::string owner;
  Nanos start_ns = 0;
  Nanos until_ns = 0;  // the expiry the lease was given
  Nanos end_ns = 0;    // when it ended: a later write, or its expiry
  // "released" (cleared by a write), "replaced" (a write set another owner or expiry before this
  // one ran out), "expired" (it ran out before any write touched it), "open" (still live at the
  // end of the history).
  std::string ended;
};

// Every lease of every delivery, in the order they started.
std::vector<LockLease> lock_leases(const sim::History& history, Nanos end_ns);

// Orders names the way a person counts: "delivery-2" before "delivery-10".
bool natural_less(std::string_view a, std::string_view b);

// The time of the last thing the history records (a completion, a commit, a fault's end, a
// document event); at least 1 ms so a time axis is never empty.
Nanos history_end(const sim::History& history);

// The data the page's script draws, as one JSON value; see the report's script for its shape.
nlohmann::json timeline_data(const sim::History& history,
                             const std::vector<properties::PropertyResult>& results);

}  // namespace tracksim::reports

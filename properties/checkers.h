//! Invariant checkers over a recorded history.
//!
//! Each property is a pure function of a run's History (and the scenario that produced it). It
//! either holds, or names its witnesses: the operations and commits that break it, each with a
//! one-line explanation a person can follow in the trace. The catalogue says what each property
//! means; `tracksim list` prints it, and docs/properties.md gives each one's precise definition.
//!
//! The properties apply to every implementation: the legacy backend is expected to break some of
//! them (that is what it is for), and a planted bug is expected to break at least one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/scenario.h"
#include "sim/world/world.h"

namespace tracksim::properties {

struct Witness {
  std::string explanation;
  std::vector<std::uint64_t> operations;  // indexes into History::operations()
  std::vector<std::uint64_t> commits;     // indexes into History::commits()
};

struct PropertyResult {
  std::string name;
  bool holds = true;
  std::vector<Witness> witnesses;  // at most kMaxWitnesses, the earliest first
  std::uint64_t violations = 0;    // all of them, including those not listed
};

inline constexpr std::size_t kMaxWitnesses = 20;

struct PropertyInfo {
  std::string name;
  std::string description;
};

const std::vector<PropertyInfo>& property_catalogue();

// Checks the properties the scenario asks for ("all" means the whole catalogue), in catalogue
// order. Unknown names are rejected by validate_property_names before a run.
std::vector<PropertyResult> check_properties(const sim::Scenario& scenario,
                                             const sim::WorldResult& world);

// Checks one property by name. REQUIRES: `name` is in the catalogue.
PropertyResult check_property(const std::string& name, const sim::Scenario& scenario,
                              const sim::WorldResult& world);

// "" when every name is "all" or in the catalogue; otherwise the first unknown name.
std::string unknown_property_name(const std::vector<std::string>& names);

}  // namespace tracksim::properties

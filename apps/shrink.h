//! Shrinking a failing run: a smaller scenario that still fails the same property at the same
//! seed.
//!
//! The search is greedy delta debugging over the scenario's own parameters, by deterministic
//! reruns: drop a fault; lower the number of drivers, deliveries or operations; shorten the
//! duration, the drain, the burst window and each fault's window; lower the injected fault rates
//! (the scenario's own, its faults', and every [faults_random] knob) and the apps' resends. For
//! each parameter it tries the smallest value first and then values closer to the current one;
//! the first candidate whose run still fails the property is kept, and the passes repeat until
//! none makes progress or the run budget is spent. Every candidate goes through to_toml and the
//! strict parser before it runs, so the minimal scenario is a valid file that reproduces the
//! minimal run exactly.
//!
//! Left out: shrinking the seed (the run's randomness is kept), the model's own configuration
//! (retries, lease, backoff: changing them changes the system under test, not the case), and
//! the schedule of individual fiber switches.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "apps/harness.h"

namespace tracksim::cli {

struct ShrinkOptions {
  std::string property;  // the property to keep failing; "" picks the first that fails
  int max_runs = 300;    // candidate runs at most
  // Hears one line per accepted step and now and then on long searches; may be empty.
  std::function<void(const std::string&)> progress;
};

struct ShrinkResult {
  std::string property;
  std::uint64_t seed = 0;
  sim::Scenario original;
  sim::Scenario minimal;  // path and text are the original's until the caller writes it out
  SeedRun original_run;
  SeedRun minimal_run;
  std::vector<std::string> steps;  // "workload.drivers 4 -> 1", in the order they were taken
  int runs = 0;                    // candidate runs made
  bool budget_spent = false;       // stopped by max_runs rather than by a fixpoint
};

// Shrinks the run of `scenario` (overrides already applied) at `seed`. Throws UsageError when
// that run passes, or when `options.property` is not among the properties it fails.
ShrinkResult shrink(const sim::Scenario& scenario, std::uint64_t seed,
                    const ShrinkOptions& options);

// "operations 20 -> 3, drivers 4 -> 1, ..., trace lines 372 -> 61": how much smaller.
std::string describe_reduction(const ShrinkResult& result);

}  // namespace tracksim::cli

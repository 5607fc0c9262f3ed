//! Hunting planted bugs: run generated cases against a mutant until a property breaks.
//!
//! For each planted bug the hunt runs cases 0, 1, 2, ... of one case sequence (cases.h) with the
//! bug switched on, checks the properties each case claims, and stops at the first case where one
//! fails, or when the budget of cases is spent. The same sequence run against the fixed code is
//! the baseline: every case of the budget must pass there, or a "catch" would prove nothing.
//! Everything is a function of (base seed, budget, build) except the wall time, which the caller
//! measures if it wants it (the library reads no clock).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "properties/cases.h"
#include "properties/checkers.h"
#include "sim/world/world.h"

namespace tracksim::properties {

struct CaseRun {
  CaseSpec spec;
  sim::Scenario scenario;
  sim::WorldResult world;
  std::vector<PropertyResult> results;
  // The names of the properties that failed, in catalogue order.
  std::vector<std::string> failed;
  bool passed() const { return failed.empty(); }
};

// Runs one case against `implementation` with `mutants`, and checks what it claims.
CaseRun run_case(const CaseSpec& spec, model::Implementation implementation,
                 const std::vector<std::string>& mutants, const sim::WorldOptions& extra = {});

struct HuntOptions {
  std::uint64_t base_seed = 1;
  std::uint64_t budget = 120;  // cases at most
  // Reads a wall clock in seconds, for the table's wall times; none when empty.
  std::function<double()> wall_clock_s;
};

struct HuntResult {
  std::string mutant;   // "" for the fixed baseline
  bool caught = false;  // for the baseline: some case failed
  std::uint64_t cases_run = 0;
  std::optional<CaseRun> catching;  // the first failing case
  double virtual_s = 0;             // simulated time over every case run
  double wall_s = 0;
};

// Runs cases until `mutant` is caught or the budget is spent.
HuntResult hunt(const std::string& mutant, const HuntOptions& options);
// Runs the whole budget against the fixed code, stopping at the first failing case.
HuntResult fixed_baseline(const HuntOptions& options);

// The command that reruns a caught case from `scenario_file`, where its TOML was written.
std::string rerun_line(const CaseRun& run, const std::string& scenario_file);

// Writes `run`'s scenario to DIR/case.toml and the trace of a rerun to DIR/trace.jsonl (one
// event per line, as the kernel writes them), creating DIR; returns the rerun line.
std::string write_case_files(const CaseRun& run, const std::string& dir);

}  // namespace tracksim::properties

//! Running scenarios for the command line: one seed at a time, with properties and summaries,
//! trace files, and self-checks of determinism.
//!
//! A trace file is JSON Lines: a header line that holds everything needed to rerun the run (the
//! tracksim version, the scenario's full text, the seed and the options that override the
//! scenario), then one line per event, then a footer with the line count and the digest. A
//! truncated file has no footer, which is how replay tells it apart from a complete one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reports/summary.h"
#include "sim/scenario.h"
#include "sim/world/world.h"

namespace tracksim::cli {

inline constexpr int kTraceFormatVersion = 1;
std::string_view tracksim_version();

// Options given on the command line that change the scenario; recorded in trace headers.
struct Overrides {
  std::optional<model::Implementation> implementation;
  std::vector<std::string> mutants;
  std::optional<sim::ScheduleStrategy> schedule;
};

// Applies `overrides` to `scenario` and checks the result. Throws sim::ScenarioError.
void apply_overrides(sim::Scenario& scenario, const Overrides& overrides);

struct SeedRun {
  sim::WorldResult world;
  reports::RunSummary summary;
};

// Runs one seed of an already-overridden scenario and checks its properties.
SeedRun run_seed(const sim::Scenario& scenario, std::uint64_t seed,
                 const sim::WorldOptions& extra = {});

// run_seed, printing a progress line to stderr now and then when `progress` is set and the run
// lasts more than a few wall seconds.
SeedRun run_seed_with_progress(const sim::Scenario& scenario, std::uint64_t seed, bool progress);

// Runs `scenario` at `seed` writing the full trace to `path` (header, events, footer), and checks
// its properties. The file is written to a temporary name first, then renamed, so a trace file
// that exists is complete. `overrides` are recorded in the header (they are already applied to
// `scenario`).
SeedRun write_trace(const sim::Scenario& scenario, const Overrides& overrides, std::uint64_t seed,
                    const std::string& path, bool progress = false);

struct Divergence {
  bool diverged = false;
  std::uint64_t line = 0;  // the first line that differs
  std::string first;       // that line in the first run
  std::string second;      // and in the second
  std::string first_digest;
  std::string second_digest;
};

// Runs the scenario twice in this process and compares the traces line by line.
Divergence check_determinism(const sim::Scenario& scenario, std::uint64_t seed);

// The exact command line that reruns this seed.
std::string rerun_command(const std::string& scenario_path, std::uint64_t seed,
                          const Overrides& overrides);

// A seed as typed after `option` (whole decimal digits, at most 9e18, which a scenario file can
// hold), and a --seeds range A..B inclusive; both throw UsageError saying what is wrong.
std::uint64_t parse_seed(const std::string& option, const std::string& text);
std::vector<std::uint64_t> parse_seed_range(const std::string& text);

// Where a command writes when given no --out: out/NAME, with the scenario's name made one plain
// folder name (anything but letters, digits, '-', '_' and '.' becomes '_'; no leading '.').
std::string default_out_dir(const std::string& scenario_name);

// Writes `text` to `path` atomically: a temporary file beside it, then a rename.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace tracksim::cli

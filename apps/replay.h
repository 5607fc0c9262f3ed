// Replaying a trace: rerun what its header describes and compare the rerun, line by line, with
// the recorded events.
//
// A replay reproduces the trace when every event line and the digest come out the same; otherwise
// it names the first event line that differs and shows both versions of it. The rerun's
// properties are checked as in `run`, so a replay of a failing trace shows the same failure.
#pragma once

#include <cstdint>
#include <string>

#include "apps/harness.h"
#include "apps/trace_file.h"

namespace tracksim::cli {

struct ReplayResult {
  TraceHeader trace;
  sim::Scenario scenario;
  SeedRun run;
  bool diverged = false;
  std::uint64_t divergent_line = 0;  // the event's index "i" (file line divergent_line + 2)
  std::string recorded;              // that line in the trace file
  std::string rerun;                 // and in the rerun
};

// Throws UsageError for a bad trace file, sim::ScenarioError for a header scenario that no longer
// parses.
ReplayResult replay_trace(const std::string& path, bool progress);

}  // namespace tracksim::cli

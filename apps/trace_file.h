//! Trace files as the command line reads them.
//!
//! A trace file (docs/trace-format.md) is JSON Lines: a header with everything needed to rerun
//! the run, one line per event, and a footer with the event count and the digest. read_trace
//! checks all three before anything runs: a file that is not a tracksim trace, of a format version
//! this build does not read, or truncated (no footer, or fewer lines than the footer counts) is
//! bad input, reported on one line. It never trusts the header's scenario more than a scenario
//! file: the text is parsed by the same strict parser.
#pragma once

#include <cstdint>
#include <string>

#include "apps/harness.h"

namespace tracksim::cli {

struct TraceHeader {
  std::string path;  // the trace file itself
  int format_version = 0;
  std::string tracksim_version;
  std::string scenario_path;
  std::string scenario_text;
  std::uint64_t seed = 0;
  Overrides overrides;
  // From the footer.
  std::uint64_t event_lines = 0;
  std::string digest;
};

// Reads and checks the header and footer of the trace at `path`. Throws UsageError.
TraceHeader read_trace(const std::string& path);

// The scenario the trace ran, parsed from the header's text, with its overrides applied. Throws
// sim::ScenarioError (naming the trace) when the text does not parse.
sim::Scenario scenario_of(const TraceHeader& trace);

}  // namespace tracksim::cli

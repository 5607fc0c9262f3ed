//! report.html: one self-contained page per run that shows a person what happened.
//!
//! The page carries everything it needs inline (style, script, SVG, data) and fetches nothing, so
//! it opens offline from file://. Figures, properties with their witnesses, latency percentiles
//! and histograms per operation kind, retries, error classes over time, faults, probes and the
//! run's settings are written as static HTML and SVG; the timeline (one lane per delivery with
//! operations, lock leases, status transitions, faults and partitions on one time axis) is drawn
//! by the page's script from a JSON data element, with filtering by delivery, paging and zoom so
//! that runs of thousands of operations stay usable. A witness links to its operations and
//! commits on the timeline. Every string that came from a scenario or the run is escaped.
//!
//! The page is a function of (scenario, seed, options, build): it has no wall-clock figures, so
//! two runs of the same seed write the same bytes.
#pragma once

#include <string>

#include "reports/summary.h"
#include "sim/world/world.h"

namespace tracksim::reports {

// The whole page. `rerun` is the command line that reruns this seed ("" to leave it out).
std::string html_report(const sim::WorldResult& world, const RunSummary& summary,
                        const std::string& rerun);

}  // namespace tracksim::reports

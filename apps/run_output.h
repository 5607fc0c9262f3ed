// The text a seed's run prints: the same block for `run`, `replay` and `shrink`.
//
// The shape of every line is documented in docs/cli.md and kept stable, so that people and
// scripts can read it; anything new goes on a new line or at the end of one.
#pragma once

#include "reports/summary.h"

namespace tracksim::cli {

// "seed N: ..." and its indented lines: operations, failures by class, ParallelSaveErrors,
// latency, the properties (each failing one with its first witnesses) and the digest.
void print_summary(const reports::RunSummary& summary);

}  // namespace tracksim::cli

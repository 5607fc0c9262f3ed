//! `tracksim compare`: one scenario, its seeds, two implementations, one before/after table.
//!
//! Runs every seed under implementation A (default legacy, the code before the fix) and B
//! (default fixed), and prints the comparison as Markdown, or as JSON with --json; both are also
//! written to OUT/compare.md and OUT/compare.json. An implementation is "fixed", "legacy", or
//! "fixed+MUTANT[,MUTANT...]" for the fixed code with planted bugs. The scenario's other
//! settings are the same on both sides. Exit 0 when both sides ran, 2 on bad input: a comparison
//! reports figures, it does not judge them.
#pragma once

#include "apps/cli.h"

namespace tracksim::cli {

Command add_compare_command(CLI::App& app);

}  // namespace tracksim::cli

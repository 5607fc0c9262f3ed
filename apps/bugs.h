// `tracksim bugs`: the planted-bug table. For every planted bug, which property caught it, after
// how many generated cases, and how much virtual and wall time that took; and whether the fixed
// code passes the same budget of cases.
#pragma once

#include "apps/cli.h"

namespace tracksim::cli {

Command add_bugs_command(CLI::App& app);

}  // namespace tracksim::cli

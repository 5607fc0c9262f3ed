// The tracksim command line: the subcommands, and how errors become one line and an exit code.
//
// Each subcommand lives in its own file and registers itself through an add_*_command function
// (cli.h); this file only lists them and turns anything thrown into one line on stderr. Output
// follows one pattern: the seed and options first, a progress line on long work (stderr), then the
// figures, the verdict, and the exact command that reruns the case.
#include "apps/cli.h"

#include <cstdio>
#include <string>
#include <vector>

#include "apps/bugs.h"
#include "apps/compare.h"
#include "apps/harness.h"
#include "sim/scenario.h"

namespace tracksim::cli {

int main(int argc, char** argv) {
  CLI::App app{
      "tracksim: deterministic simulation and model checking of a delivery-tracking backend's "
      "concurrency fix. Exit codes: 0 pass, 1 a property was violated (or a replay diverged), "
      "2 bad input or usage. docs/cli.md explains every command and output line."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(tracksim_version()));

  // In the order --help lists them.
  const std::vector<Command> commands = {
      add_run_command(app),      add_replay_command(app), add_shrink_command(app),
      add_validate_command(app), add_list_command(app),   add_compare_command(app),
      add_bugs_command(app),
  };

  // CLI11 would only say a subcommand is required; name what it did not know instead.
  if (argc > 1 && argv[1][0] == '-') {
    const std::string flag = argv[1];
    if (flag != "-h" && flag != "--help" && flag != "--help-all" && flag != "--version") {
      std::fprintf(stderr,
                   "tracksim: unknown option '%s' before the command (see tracksim --help)\n",
                   flag.c_str());
      return kExitBadInput;
    }
  }
  if (argc > 1 && argv[1][0] != '-') {
    const std::string word = argv[1];
    std::string known;
    bool found = false;
    for (const Command& command : commands) {
      found = found || command.app->get_name() == word;
      known += (known.empty() ? "" : ", ") + command.app->get_name();
    }
    if (!found) {
      std::fprintf(stderr, "tracksim: unknown command '%s' (commands: %s; see tracksim --help)\n",
                   word.c_str(), known.c_str());
      return kExitBadInput;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "tracksim: %s (see tracksim --help)\n", e.what());
    return kExitBadInput;
  }

  try {
    for (const Command& command : commands) {
      if (*command.app) return command.run();
    }
  } catch (const sim::ScenarioError& e) {
    std::fprintf(stderr, "tracksim: %s\n", e.what());
    return kExitBadInput;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "tracksim: %s\n", e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tracksim: error: %s\n", e.what());
    return kExitBadInput;
  }
  return kExitBadInput;
}

}  // namespace tracksim::cli

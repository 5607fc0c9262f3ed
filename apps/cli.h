// The tracksim command line as a library: parse arguments, run, print, return the exit code.
//
// Exit codes: 0 when every checked property holds, 1 when one is violated (or a replay diverges),
// 2 on bad input or usage. Bad input is reported on one line naming the file (and, where there is
// one, the line, column and field), never as a crash.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <stdexcept>
#include <string>

namespace tracksim::cli {

inline constexpr int kExitPass = 0;
inline constexpr int kExitViolation = 1;
inline constexpr int kExitBadInput = 2;

int main(int argc, char** argv);

// Bad input or usage found while running a command: main prints what() on one line, exit 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A subcommand: its CLI11 node, and what runs it once the arguments are parsed. A command's
// options live in state the `run` function owns (captured by the closure).
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// Each adds one subcommand to `app`; cli.cc calls them in the order --help lists them.
Command add_run_command(CLI::App& app);
Command add_replay_command(CLI::App& app);
Command add_shrink_command(CLI::App& app);
Command add_validate_command(CLI::App& app);
Command add_list_command(CLI::App& app);

}  // namespace tracksim::cli

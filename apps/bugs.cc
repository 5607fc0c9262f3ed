// The planted-bug table; see bugs.h.
//
// Output follows the command line's pattern: the options first, one line per bug as it is
// hunted, the fixed baseline, the verdict, and a command that reruns a catch. Each catching case
// is written as a scenario file under --out, so the rerun needs nothing but that file.
#include "apps/bugs.h"

#include <chrono>
#include <cstdio>
#include <memory>

#include "apps/harness.h"
#include "model/mutants.h"
#include "properties/bug_hunt.h"

namespace tracksim::cli {
namespace {

struct BugsArgs {
  std::uint64_t budget = 120;
  std::uint64_t seed = 1;
  std::string out = "out/bugs";
  std::vector<std::string> only;
};

// The wall clock is read here, outside every simulation, only to report how long hunts took.
double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The first property that failed, and how many more did, to keep the table's columns.
std::string caught_by(const std::vector<std::string>& names) {
  if (names.empty()) return "";
  std::string text = names.front();
  if (names.size() > 1) text += " (+" + std::to_string(names.size() - 1) + " more)";
  return text;
}

void print_row(const std::string& bug, const std::string& verdict, const properties::HuntResult& r,
               const std::string& case_label) {
  std::printf("%-36s %-44s %5llu %10.1f %8.2f  %s\n", bug.c_str(), verdict.c_str(),
              static_cast<unsigned long long>(r.cases_run), r.virtual_s, r.wall_s,
              case_label.c_str());
  std::fflush(stdout);
}

int command_bugs(const BugsArgs& args) {
  if (args.budget == 0) throw UsageError("--budget must be at least 1 case");
  std::vector<std::string> bugs;
  for (const model::MutantInfo& m : model::mutant_catalogue()) {
    const bool wanted = args.only.empty() ||
                        std::find(args.only.begin(), args.only.end(), m.name) != args.only.end();
    if (wanted) bugs.emplace_back(m.name);
  }
  for (const std::string& name : args.only) {
    if (std::find(bugs.begin(), bugs.end(), name) == bugs.end()) {
      throw UsageError("--bug '" + name + "' is not a planted bug (tracksim list shows them)");
    }
  }

  properties::HuntOptions options;
  options.base_seed = args.seed;
  options.budget = args.budget;
  options.wall_clock_s = wall_seconds;
  std::printf("tracksim %s: planted bugs against generated cases\n",
              std::string(tracksim_version()).c_str());
  std::printf("  cases from seed %llu, budget %llu cases per bug, catching cases under %s\n",
              static_cast<unsigned long long>(args.seed),
              static_cast<unsigned long long>(args.budget), args.out.c_str());
  std::printf("%-36s %-44s %5s %10s %8s  %s\n", "bug", "caught by", "cases", "virtual s", "wall s",
              "catching case");

  std::size_t caught = 0;
  std::string first_rerun;
  for (const std::string& bug : bugs) {
    const properties::HuntResult r = properties::hunt(bug, options);
    if (!r.caught) {
      print_row(bug, "NOT CAUGHT", r, "");
      continue;
    }
    ++caught;
    const std::string file = args.out + "/" + bug + ".toml";
    write_file_atomically(file, r.catching->scenario.text);
    const std::string rerun = properties::rerun_line(*r.catching, file);
    if (first_rerun.empty()) first_rerun = rerun;
    print_row(bug, caught_by(r.catching->failed), r,
              std::string(properties::to_string(r.catching->spec.family)) + " seed " +
                  std::to_string(r.catching->spec.seed));
  }

  const properties::HuntResult baseline = properties::fixed_baseline(options);
  std::string baseline_rerun;
  if (baseline.caught) {
    const std::string file = args.out + "/fixed-failure.toml";
    write_file_atomically(file, baseline.catching->scenario.text);
    baseline_rerun = properties::rerun_line(*baseline.catching, file);
    print_row("(fixed, no bug)", "FAILS " + caught_by(baseline.catching->failed), baseline,
              baseline_rerun);
  } else {
    print_row("(fixed, no bug)", "passes every case", baseline, "");
  }

  const bool pass = caught == bugs.size() && !baseline.caught;
  std::printf("verdict: %s (%zu of %zu bugs caught within %llu cases; fixed %s)\n",
              pass ? "PASS" : "FAIL", caught, bugs.size(),
              static_cast<unsigned long long>(args.budget),
              baseline.caught ? "fails a case" : "passes them all");
  if (!baseline_rerun.empty()) {
    std::printf("rerun: %s\n", baseline_rerun.c_str());
  } else if (!first_rerun.empty()) {
    std::printf("rerun: %s\n", first_rerun.c_str());
  }
  return pass ? kExitPass : kExitViolation;
}

}  // namespace

Command add_bugs_command(CLI::App& app) {
  auto args = std::make_shared<BugsArgs>();
  CLI::App* bugs = app.add_subcommand(
      "bugs",
      "Hunt every planted bug with generated cases and print the table: bug, property that "
      "caught it, cases and virtual/wall time needed; the fixed code must pass the same budget");
  bugs->add_option("--budget", args->budget, "Cases at most per bug (default 120)");
  bugs->add_option("--seed", args->seed, "Base seed of the case sequence (default 1)");
  bugs->add_option("--bug", args->only, "Hunt only this planted bug (repeatable)");
  bugs->add_option("--out", args->out, "Where catching cases are written (default out/bugs)");
  return Command{bugs, [args] { return command_bugs(*args); }};
}

}  // namespace tracksim::cli

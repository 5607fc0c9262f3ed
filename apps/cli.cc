// The tracksim command line: argument parsing, the subcommands, and what they print.
//
// Output follows one pattern: the seed and options first, a progress line on long work, then the
// figures, the verdict, and the exact command that reruns the case. Details go to files in the
// output folder (summary.json, and a trace on failure), not to the terminal.
#include "apps/cli.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "apps/harness.h"
#include "model/mutants.h"
#include "properties/checkers.h"

namespace tracksim::cli {
namespace {

// Bad input: reported on one line, exit 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::vector<std::uint64_t> parse_seed_range(const std::string& text) {
  const auto dots = text.find("..");
  if (dots == std::string::npos)
    throw UsageError("--seeds must look like A..B, not '" + text + "'");
  try {
    std::size_t used_a = 0, used_b = 0;
    const std::string a = text.substr(0, dots), b = text.substr(dots + 2);
    const unsigned long long from = std::stoull(a, &used_a);
    const unsigned long long to = std::stoull(b, &used_b);
    if (used_a != a.size() || used_b != b.size() || a[0] == '-' || b[0] == '-') throw 0;
    if (to < from) throw UsageError("--seeds " + text + ": the range is empty (B < A)");
    if (to - from >= 1'000'000) throw UsageError("--seeds " + text + ": at most 1000000 seeds");
    std::vector<std::uint64_t> seeds;
    for (unsigned long long s = from; s <= to; ++s)
      seeds.push_back(s);
    return seeds;
  } catch (const UsageError&) {
    throw;
  } catch (...) {
    throw UsageError("--seeds must look like A..B with whole numbers, not '" + text + "'");
  }
}

std::string format_ms(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", ms);
  return text;
}

void print_summary(const reports::RunSummary& s) {
  std::printf(
      "seed %llu: %llu operations, %llu succeeded, %llu failed, %llu unknown",
      static_cast<unsigned long long>(s.seed), static_cast<unsigned long long>(s.operations),
      static_cast<unsigned long long>(s.succeeded), static_cast<unsigned long long>(s.failed),
      static_cast<unsigned long long>(s.unknown));
  if (s.pending > 0)
    std::printf(", %llu still pending", static_cast<unsigned long long>(s.pending));
  std::printf("\n");
  if (!s.failed_by_class.empty()) {
    std::printf("  failed or unknown by class:");
    for (const auto& [name, count] : s.failed_by_class) {
      std::printf(" %s %llu", name.c_str(), static_cast<unsigned long long>(count));
    }
    std::printf("\n");
  }
  std::printf("  ParallelSaveErrors %llu, client resends %llu, commits %llu\n",
              static_cast<unsigned long long>(s.parallel_save_errors),
              static_cast<unsigned long long>(s.client_resends),
              static_cast<unsigned long long>(s.commits));
  std::printf("  latency (virtual ms): mean %s, p50 %s, p99 %s; %.1f operations per virtual s\n",
              format_ms(s.latency.mean_ms).c_str(), format_ms(s.latency.p50_ms).c_str(),
              format_ms(s.latency.p99_ms).c_str(), s.operations_per_virtual_s);
  std::size_t holding = 0;
  for (const auto& p : s.properties)
    holding += p.holds ? 1 : 0;
  std::printf("  properties: %zu of %zu hold\n", holding, s.properties.size());
  for (const auto& p : s.properties) {
    if (p.holds) continue;
    std::printf("    FAIL %s: %llu violation(s)\n", p.name.c_str(),
                static_cast<unsigned long long>(p.violations));
    for (std::size_t i = 0; i < p.witnesses.size() && i < 3; ++i) {
      std::printf("      - %s\n", p.witnesses[i].explanation.c_str());
    }
  }
  std::printf("  digest %s (%llu trace lines, run ended %s at %.1f virtual s, %.2f wall s)\n",
              s.digest.c_str(), static_cast<unsigned long long>(s.trace_lines),
              s.kernel_outcome.c_str(), s.virtual_s, s.wall_s);
}

struct RunArgs {
  std::string scenario_path;
  std::optional<std::uint64_t> seed;
  std::string seeds;
  std::string impl;
  std::vector<std::string> mutants;
  std::string schedule;
  std::string out;
  bool trace = false;
  bool check_determinism = false;
  bool json = false;
};

Overrides overrides_from(const RunArgs& args) {
  Overrides o;
  if (!args.impl.empty()) {
    o.implementation = model::implementation_from_string(args.impl);
    if (!o.implementation) {
      throw UsageError("--impl must be fixed or legacy, not '" + args.impl + "'");
    }
  }
  o.mutants = args.mutants;
  if (!args.schedule.empty()) {
    if (args.schedule == "fifo") {
      o.schedule = sim::ScheduleStrategy::kFifo;
    } else if (args.schedule == "random") {
      o.schedule = sim::ScheduleStrategy::kRandom;
    } else {
      throw UsageError("--schedule must be fifo or random, not '" + args.schedule + "'");
    }
  }
  return o;
}

int command_run(const RunArgs& args) {
  sim::Scenario scenario = sim::load_scenario(args.scenario_path);
  const Overrides overrides = overrides_from(args);
  apply_overrides(scenario, overrides);

  std::vector<std::uint64_t> seeds = scenario.seeds;
  if (args.seed) seeds = {*args.seed};
  if (!args.seeds.empty()) seeds = parse_seed_range(args.seeds);
  const std::string out = args.out.empty() ? "out/" + scenario.name : args.out;

  if (!args.json) {
    std::printf("tracksim %s: scenario %s (%s)\n", std::string(tracksim_version()).c_str(),
                scenario.name.c_str(), scenario.path.c_str());
    std::printf("  implementation %s, schedule %s, seeds %s, output %s\n",
                reports::implementation_label(scenario.backend).c_str(),
                std::string(sim::to_string(scenario.schedule)).c_str(),
                seeds.size() == 1
                    ? std::to_string(seeds[0]).c_str()
                    : (std::to_string(seeds.front()) + ".." + std::to_string(seeds.back()) + " (" +
                       std::to_string(seeds.size()) + ")")
                          .c_str(),
                out.c_str());
    std::fflush(stdout);
  }

  nlohmann::json all = nlohmann::json::array();
  std::vector<std::uint64_t> failing;
  bool nondeterministic = false;
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    const std::uint64_t seed = seeds[i];
    SeedRun run = run_seed(scenario, seed);
    const std::string seed_dir = out + "/seed-" + std::to_string(seed);
    nlohmann::json summary = reports::to_json(run.summary);
    summary["rerun"] = rerun_command(scenario.path, seed, overrides);

    if (args.check_determinism) {
      const Divergence d = check_determinism(scenario, seed);
      summary["determinism"] = {{"checked", true}, {"diverged", d.diverged}};
      if (d.diverged) {
        nondeterministic = true;
        summary["determinism"]["first_divergent_line"] = d.line;
        std::fprintf(stderr,
                     "tracksim: NONDETERMINISM at seed %llu: trace line %llu differs\n"
                     "  first run:  %s\n  second run: %s\n",
                     static_cast<unsigned long long>(seed), static_cast<unsigned long long>(d.line),
                     d.first.c_str(), d.second.c_str());
      }
    }
    if (!run.summary.passed() || args.trace) {
      const std::string trace_path = seed_dir + "/trace.jsonl";
      const std::uint64_t digest = write_trace(scenario, overrides, seed, trace_path);
      summary["trace"] = trace_path;
      if (digest != run.world.digest) {
        nondeterministic = true;
        std::fprintf(stderr,
                     "tracksim: NONDETERMINISM: the traced rerun of seed %llu has digest "
                     "%s, the first run %s\n",
                     static_cast<unsigned long long>(seed), sim::format_digest(digest).c_str(),
                     run.summary.digest.c_str());
      }
    }
    write_file_atomically(seed_dir + "/summary.json", summary.dump(2) + "\n");
    if (!run.summary.passed()) failing.push_back(seed);

    if (args.json) {
      all.push_back(summary);
    } else {
      print_summary(run.summary);
      if (summary.contains("trace")) {
        std::printf("  trace %s\n", summary["trace"].get<std::string>().c_str());
      }
      if (seeds.size() > 20 && (i + 1) % 10 == 0) {
        std::printf("progress: %zu of %zu seeds, %zu failing\n", i + 1, seeds.size(),
                    failing.size());
      }
      std::fflush(stdout);
    }
  }

  const bool pass = failing.empty() && !nondeterministic;
  if (args.json) {
    nlohmann::json doc = {{"verdict", pass ? "pass" : "fail"}, {"runs", all}};
    std::cout << doc.dump(2) << "\n";
    return pass ? kExitPass : kExitViolation;
  }
  std::printf("verdict: %s (%zu of %zu seeds pass%s)\n", pass ? "PASS" : "FAIL",
              seeds.size() - failing.size(), seeds.size(),
              nondeterministic ? "; nondeterminism detected" : "");
  const std::uint64_t rerun_seed = failing.empty() ? seeds.front() : failing.front();
  std::printf("rerun: %s\n", rerun_command(scenario.path, rerun_seed, overrides).c_str());
  return pass ? kExitPass : kExitViolation;
}

int command_validate(const std::string& path) {
  sim::Scenario scenario = sim::load_scenario(path);
  apply_overrides(scenario, Overrides{});
  std::printf("%s: ok (scenario %s, %s, %zu default seed(s))\n", path.c_str(),
              scenario.name.c_str(), reports::implementation_label(scenario.backend).c_str(),
              scenario.seeds.size());
  return kExitPass;
}

int command_list() {
  std::printf("properties:\n");
  for (const auto& p : properties::property_catalogue()) {
    std::printf("  %-32s %s\n", p.name.c_str(), p.description.c_str());
  }
  std::printf("planted bugs (--mutant NAME):\n");
  for (const auto& m : model::mutant_catalogue()) {
    std::printf("  %-32s %s\n", std::string(m.name).c_str(), std::string(m.description).c_str());
  }
  return kExitPass;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "tracksim: deterministic simulation and model checking of a delivery-tracking "
      "backend's concurrency fix"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(tracksim_version()));

  RunArgs run_args;
  CLI::App* run = app.add_subcommand(
      "run",
      "Run a scenario at its default seeds (or --seed/--seeds), check its properties, and "
      "write summary.json per seed (and a trace on failure) under --out");
  run->add_option("scenario", run_args.scenario_path, "Scenario file (.toml)")->required();
  auto* seed_opt = run->add_option("--seed", run_args.seed, "Run this one seed");
  run->add_option("--seeds", run_args.seeds, "Run seeds A..B inclusive")->excludes(seed_opt);
  run->add_option("--impl", run_args.impl, "Implementation: fixed or legacy");
  run->add_option("--mutant", run_args.mutants,
                  "Plant this bug in the fixed implementation "
                  "(repeatable; tracksim list shows them)");
  run->add_option("--schedule", run_args.schedule, "Fiber scheduling: fifo or random");
  run->add_option("--out", run_args.out, "Output folder (default out/SCENARIO-NAME)");
  run->add_flag("--trace", run_args.trace, "Write the trace of every seed, not only failing ones");
  run->add_flag("--check-determinism", run_args.check_determinism,
                "Run each seed twice in this process and report the first diverging trace line");
  run->add_flag("--json", run_args.json, "Print the results as JSON instead of text");

  std::string validate_path;
  CLI::App* validate = app.add_subcommand("validate", "Check a scenario file without running it");
  validate->add_option("scenario", validate_path, "Scenario file (.toml)")->required();

  CLI::App* list = app.add_subcommand("list", "List the properties and the planted bugs");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "tracksim: %s (see tracksim --help)\n", e.what());
    return kExitBadInput;
  }

  try {
    if (*run) return command_run(run_args);
    if (*validate) return command_validate(validate_path);
    if (*list) return command_list();
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

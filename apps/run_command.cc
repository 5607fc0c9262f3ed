// `tracksim run`: a scenario at its default seeds (or --seed / --seeds), its properties checked.
//
// Prints the seed and options first, one block of figures per seed, the verdict and the exact
// command that reruns the first failing seed last; each line's shape is documented in
// docs/cli.md and kept stable. summary.json goes to OUT/seed-N/ for every seed, trace.jsonl for
// failing ones (or all, with --trace). Progress lines on long work go to stderr, so stdout stays
// the same from run to run.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/cli.h"
#include "apps/harness.h"
#include "apps/run_output.h"
#include "reports/artifacts.h"

namespace tracksim::cli {
namespace {

struct RunArgs {
  std::string scenario_path;
  std::string seed;
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
    o.schedule = sim::schedule_strategy_from_string(args.schedule);
    if (!o.schedule) {
      throw UsageError("--schedule must be fifo, random or pct, not '" + args.schedule + "'");
    }
  }
  return o;
}

std::string seeds_text(const std::vector<std::uint64_t>& seeds) {
  if (seeds.size() == 1) return std::to_string(seeds[0]);
  bool contiguous = true;
  for (std::size_t i = 1; i < seeds.size(); ++i)
    contiguous = contiguous && seeds[i] == seeds[i - 1] + 1;
  if (contiguous) {
    return std::to_string(seeds.front()) + ".." + std::to_string(seeds.back()) + " (" +
           std::to_string(seeds.size()) + ")";
  }
  std::string out;
  for (std::uint64_t s : seeds)
    out += (out.empty() ? "" : ",") + std::to_string(s);
  return out + " (" + std::to_string(seeds.size()) + ")";
}

int command_run(const RunArgs& args) {
  sim::Scenario scenario = sim::load_scenario(args.scenario_path);
  const Overrides overrides = overrides_from(args);
  apply_overrides(scenario, overrides);

  std::vector<std::uint64_t> seeds = scenario.seeds;
  if (!args.seed.empty()) seeds = {parse_seed("--seed", args.seed)};
  if (!args.seeds.empty()) seeds = parse_seed_range(args.seeds);
  const std::string out = args.out.empty() ? default_out_dir(scenario.name) : args.out;
  // Found out before anything runs, not after the first seed.
  std::error_code made;
  std::filesystem::create_directories(out, made);
  if (made || !std::filesystem::is_directory(out)) {
    throw UsageError((args.out.empty() ? "output folder " : "--out ") + out +
                     ": cannot create it as a folder" +
                     (made ? " (" + made.message() + ")" : std::string()));
  }

  if (!args.json) {
    std::printf("tracksim %s: scenario %s (%s)\n", std::string(tracksim_version()).c_str(),
                scenario.name.c_str(), scenario.path.c_str());
    std::printf("  implementation %s, schedule %s, seeds %s, output %s\n",
                reports::implementation_label(scenario.backend).c_str(),
                std::string(sim::to_string(scenario.schedule)).c_str(), seeds_text(seeds).c_str(),
                out.c_str());
    std::fflush(stdout);
  }

  nlohmann::json all = nlohmann::json::array();
  std::vector<std::uint64_t> failing;
  bool nondeterministic = false;
  reports::RunArtifacts artifacts(out, scenario.name);  // report.html, junit.xml
  const auto started = std::chrono::steady_clock::now();
  auto last_progress = started;
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    const std::uint64_t seed = seeds[i];
    const std::string seed_dir = out + "/seed-" + std::to_string(seed);
    const std::string trace_path = seed_dir + "/trace.jsonl";
    // A trace left by an earlier run into the same folder would not be this run's.
    std::error_code ignored;
    std::filesystem::remove(trace_path, ignored);
    SeedRun run = args.trace ? write_trace(scenario, overrides, seed, trace_path, true)
                             : run_seed_with_progress(scenario, seed, true);
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
    if (args.trace) {
      summary["trace"] = trace_path;
    } else if (!run.summary.passed()) {
      // The failing run is rerun to write its trace; the digests must agree.
      const SeedRun traced = write_trace(scenario, overrides, seed, trace_path, true);
      summary["trace"] = trace_path;
      if (traced.world.digest != run.world.digest) {
        nondeterministic = true;
        std::fprintf(stderr,
                     "tracksim: NONDETERMINISM: the traced rerun of seed %llu has digest "
                     "%s, the first run %s\n",
                     static_cast<unsigned long long>(seed),
                     sim::format_digest(traced.world.digest).c_str(), run.summary.digest.c_str());
      }
    }
    write_file_atomically(seed_dir + "/summary.json", summary.dump(2) + "\n");
    artifacts.add_seed(seed_dir, run.world, run.summary, summary["rerun"]);
    if (!run.summary.passed()) failing.push_back(seed);

    if (args.json) {
      all.push_back(summary);
    } else {
      print_summary(run.summary);
      if (summary.contains("trace")) {
        std::printf("  trace %s\n", summary["trace"].get<std::string>().c_str());
      }
      std::fflush(stdout);
    }
    const auto now = std::chrono::steady_clock::now();
    if (seeds.size() > 1 && i + 1 < seeds.size() && now - last_progress > std::chrono::seconds(5)) {
      last_progress = now;
      std::fprintf(stderr, "progress: %zu of %zu seeds, %zu failing, %.0f wall s\n", i + 1,
                   seeds.size(), failing.size(),
                   std::chrono::duration<double>(now - started).count());
    }
  }

  artifacts.finish();
  const bool pass = failing.empty() && !nondeterministic;
  const std::uint64_t rerun_seed = failing.empty() ? seeds.front() : failing.front();
  const std::string rerun = rerun_command(scenario.path, rerun_seed, overrides);
  if (args.json) {
    nlohmann::json doc = {{"tracksim_version", tracksim_version()},
                          {"scenario", scenario.name},
                          {"scenario_path", scenario.path},
                          {"implementation", reports::implementation_label(scenario.backend)},
                          {"schedule", sim::to_string(scenario.schedule)},
                          {"seeds", seeds},
                          {"output", out},
                          {"runs", all},
                          {"failing_seeds", failing},
                          {"nondeterministic", nondeterministic},
                          {"verdict", pass ? "pass" : "fail"},
                          {"rerun", rerun}};
    std::cout << doc.dump(2) << "\n";
    return pass ? kExitPass : kExitViolation;
  }
  std::printf("verdict: %s (%zu of %zu seeds pass%s)\n", pass ? "PASS" : "FAIL",
              seeds.size() - failing.size(), seeds.size(),
              nondeterministic ? "; nondeterminism detected" : "");
  std::printf("rerun: %s\n", rerun.c_str());
  return pass ? kExitPass : kExitViolation;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* run = app.add_subcommand(
      "run",
      "Run a scenario at its default seeds (or --seed / --seeds), check its properties, print "
      "the figures and a verdict, and write summary.json per seed (and trace.jsonl for failing "
      "seeds) under --out. Exit 0 when every property holds at every seed, 1 otherwise.");
  run->add_option("scenario", args->scenario_path, "Scenario file (.toml)")->required();
  auto* seed_opt = run->add_option("--seed", args->seed, "Run this one seed");
  run->add_option("--seeds", args->seeds, "Run seeds A..B inclusive (e.g. 1..100)")
      ->excludes(seed_opt);
  run->add_option("--impl", args->impl,
                  "Implementation: fixed (the fix) or legacy (the code before it)");
  run->add_option("--mutant", args->mutants,
                  "Plant this bug in the fixed implementation (repeatable; tracksim list mutants "
                  "shows them)");
  run->add_option("--schedule", args->schedule, "Fiber scheduling: fifo, random or pct");
  run->add_option("--out", args->out, "Output folder (default out/SCENARIO-NAME)");
  run->add_flag("--trace", args->trace, "Write the trace of every seed, not only failing ones");
  run->add_flag("--check-determinism", args->check_determinism,
                "Run each seed twice more in this process and report the first diverging trace "
                "line");
  run->add_flag("--json", args->json, "Print the results as one JSON document instead of text");
  return Command{run, [args] { return command_run(*args); }};
}

}  // namespace tracksim::cli

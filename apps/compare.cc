// The compare subcommand; see compare.h.
#include "apps/compare.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "apps/harness.h"
#include "model/mutants.h"
#include "reports/artifacts.h"
#include "reports/compare.h"

namespace tracksim::cli {
namespace {

struct CompareArgs {
  std::string scenario_path;
  std::string seeds;
  std::string a = "legacy";
  std::string b = "fixed";
  std::string out;
  bool json = false;
};

// "fixed", "legacy", or "fixed+m1,m2": sets the scenario's implementation and its mutants.
void apply_implementation(sim::Scenario& scenario, const std::string& option,
                          const std::string& spec) {
  const auto plus = spec.find('+');
  const std::string kind = spec.substr(0, plus);
  const std::optional<model::Implementation> implementation =
      model::implementation_from_string(kind);
  if (!implementation) {
    throw UsageError("compare: " + option + " must be fixed, legacy or fixed+MUTANT, not '" + spec +
                     "'");
  }
  scenario.backend.implementation = *implementation;
  scenario.backend.mutants.clear();
  if (plus == std::string::npos) return;
  std::string rest = spec.substr(plus + 1);
  while (true) {
    const auto comma = rest.find(',');
    const std::string name = rest.substr(0, comma);
    if (name.empty()) throw UsageError("compare: " + option + " '" + spec + "' names no mutant");
    scenario.backend.mutants.push_back(name);
    if (comma == std::string::npos) break;
    rest = rest.substr(comma + 1);
  }
  const model::Status valid = model::validate_backend_config(scenario.backend);
  if (!valid.ok()) {
    throw UsageError("compare: " + option + " '" + spec + "': " + valid.error().message);
  }
}

int command_compare(const CompareArgs& args) {
  const sim::Scenario loaded = sim::load_scenario(args.scenario_path);
  sim::Scenario a = loaded;
  sim::Scenario b = loaded;
  apply_implementation(a, "--a", args.a);
  apply_implementation(b, "--b", args.b);
  apply_overrides(a, Overrides{});
  apply_overrides(b, Overrides{});
  const std::vector<std::uint64_t> seeds =
      args.seeds.empty() ? loaded.seeds : parse_seed_range(args.seeds);
  const std::string out = args.out.empty() ? default_out_dir(loaded.name) : args.out;

  reports::Comparison comparison{.scenario_name = loaded.name,
                                 .scenario_path = loaded.path,
                                 .seeds = seeds,
                                 .a = reports::ComparisonSide(args.a),
                                 .b = reports::ComparisonSide(args.b)};
  std::fprintf(stderr, "compare: %s, %zu seed(s), %s against %s\n", loaded.name.c_str(),
               seeds.size(), args.a.c_str(), args.b.c_str());
  // A progress line on long work only, at most every ten seconds.
  auto last_progress = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    comparison.a.add(run_seed(a, seeds[i]).summary);
    comparison.b.add(run_seed(b, seeds[i]).summary);
    const auto now = std::chrono::steady_clock::now();
    if (i + 1 < seeds.size() && now - last_progress >= std::chrono::seconds(10)) {
      last_progress = now;
      std::fprintf(stderr, "progress: %zu of %zu seeds\n", i + 1, seeds.size());
    }
  }

  const std::string markdown = reports::comparison_markdown(comparison);
  const std::string json = reports::comparison_json(comparison).dump(2) + "\n";
  reports::write_atomically(out + "/compare.md", markdown);
  reports::write_atomically(out + "/compare.json", json);
  std::cout << (args.json ? json : markdown);
  if (!args.json) std::cout << "\nwritten: " << out << "/compare.md, " << out << "/compare.json\n";
  return kExitPass;
}

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* compare = app.add_subcommand(
      "compare",
      "Run a scenario's seeds under two implementations (--a, --b) and print a before/after "
      "table: ParallelSaveError rate, response time, failures, success rate, stress-test rows");
  compare->add_option("scenario", args->scenario_path, "Scenario file (.toml)")->required();
  compare->add_option("--seeds", args->seeds, "Seeds A..B inclusive (default: the scenario's)");
  compare->add_option("--a", args->a, "Before: fixed, legacy or fixed+MUTANT (default legacy)");
  compare->add_option("--b", args->b, "After: fixed, legacy or fixed+MUTANT (default fixed)");
  compare->add_option("--out", args->out, "Output folder (default out/SCENARIO-NAME)");
  compare->add_flag("--json", args->json, "Print JSON instead of Markdown");
  return Command{compare, [args] { return command_compare(*args); }};
}

}  // namespace tracksim::cli

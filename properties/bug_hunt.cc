// Running cases against planted bugs and the fixed code; see bug_hunt.h.
#include "properties/bug_hunt.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace tracksim::properties {
namespace {

HuntResult run_hunt(const std::string& mutant, const HuntOptions& options) {
  HuntResult result;
  result.mutant = mutant;
  const double wall_start_s = options.wall_clock_s ? options.wall_clock_s() : 0;
  const std::vector<std::string> mutants =
      mutant.empty() ? std::vector<std::string>{} : std::vector<std::string>{mutant};

  for (std::uint64_t i = 0; i < options.budget; ++i) {
    CaseRun run = run_case(nth_case(options.base_seed, i), model::Implementation::kFixed, mutants);
    ++result.cases_run;
    result.virtual_s += to_seconds(run.world.outcome.end_time_ns);
    if (!run.passed()) {
      result.caught = true;
      result.catching = std::move(run);
      break;
    }
  }
  if (options.wall_clock_s) result.wall_s = options.wall_clock_s() - wall_start_s;
  return result;
}

}  // namespace

CaseRun run_case(const CaseSpec& spec, model::Implementation implementation,
                 const std::vector<std::string>& mutants, const sim::WorldOptions& extra) {
  CaseRun run;
  run.spec = spec;
  run.scenario = to_scenario(spec, implementation, mutants);
  sim::WorldOptions options = extra;
  options.seed = spec.seed;
  run.world = sim::run_world(run.scenario, options);
  run.results = check_properties(run.scenario, run.world);
  for (const PropertyResult& r : run.results) {
    if (!r.holds) run.failed.push_back(r.name);
  }
  return run;
}

HuntResult hunt(const std::string& mutant, const HuntOptions& options) {
  return run_hunt(mutant, options);
}

HuntResult fixed_baseline(const HuntOptions& options) {
  return run_hunt("", options);
}

std::string rerun_line(const CaseRun& run, const std::string& scenario_file) {
  return "tracksim run " + scenario_file + " --seed " + std::to_string(run.spec.seed);
}

std::string write_case_files(const CaseRun& run, const std::string& dir) {
  std::filesystem::create_directories(dir);
  const std::string scenario_file = dir + "/case.toml";
  {
    std::ofstream out(scenario_file, std::ios::binary | std::ios::trunc);
    out << run.scenario.text;
    if (!out.flush()) throw std::runtime_error("cannot write " + scenario_file);
  }
  std::ofstream trace(dir + "/trace.jsonl", std::ios::binary | std::ios::trunc);
  sim::WorldOptions options;
  options.trace_out = &trace;
  options.seed = run.spec.seed;
  sim::run_world(run.scenario, options);
  if (!trace.flush()) throw std::runtime_error("cannot write " + dir + "/trace.jsonl");
  return rerun_line(run, scenario_file);
}

}  // namespace tracksim::properties

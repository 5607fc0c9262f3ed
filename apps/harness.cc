// Seed runs, trace files and determinism checks; see harness.h.
#include "apps/harness.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "apps/cli.h"
#include "apps/line_sinks.h"
#include "properties/checkers.h"

namespace tracksim::cli {

#ifndef TRACKSIM_VERSION
#define TRACKSIM_VERSION "0.0.0"
#endif

std::string_view tracksim_version() {
  return TRACKSIM_VERSION;
}

void apply_overrides(sim::Scenario& scenario, const Overrides& overrides) {
  if (overrides.implementation) scenario.backend.implementation = *overrides.implementation;
  if (!overrides.mutants.empty()) scenario.backend.mutants = overrides.mutants;
  if (overrides.schedule) scenario.schedule = *overrides.schedule;
  if (const model::Status valid = model::validate_backend_config(scenario.backend); !valid.ok()) {
    throw sim::ScenarioError(valid.error().message);
  }
  if (std::string bad = properties::unknown_property_name(scenario.properties); !bad.empty()) {
    throw sim::ScenarioError(scenario.path + ": field 'properties.check' names unknown property '" +
                             bad + "' (tracksim list shows them)");
  }
}

SeedRun run_seed(const sim::Scenario& scenario, std::uint64_t seed,
                 const sim::WorldOptions& extra) {
  sim::WorldOptions options = extra;
  options.seed = seed;
  // The wall clock is read here, outside the simulation, only to report how long a run took.
  const auto wall_start = std::chrono::steady_clock::now();
  SeedRun run;
  run.world = sim::run_world(scenario, options);
  auto results = properties::check_properties(scenario, run.world);
  run.summary = reports::summarize(scenario, seed, run.world, std::move(results));
  run.summary.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return run;
}

namespace {

double total_virtual_s(const sim::Scenario& scenario) {
  return scenario.duration_s + scenario.drain_s;
}

std::string progress_label(const sim::Scenario& scenario, std::uint64_t seed) {
  return scenario.name + " seed " + std::to_string(seed);
}

}  // namespace

SeedRun run_seed_with_progress(const sim::Scenario& scenario, std::uint64_t seed, bool progress) {
  if (!progress) return run_seed(scenario, seed);
  Progress watch(progress_label(scenario, seed), total_virtual_s(scenario), true);
  ProgressSink sink(nullptr, watch);
  std::ostream lines(&sink);
  sim::WorldOptions options;
  options.trace_out = &lines;
  return run_seed(scenario, seed, options);
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + temporary);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + temporary);
  }
  std::filesystem::rename(temporary, target);
}

SeedRun write_trace(const sim::Scenario& scenario, const Overrides& overrides, std::uint64_t seed,
                    const std::string& path, bool progress) {
  const std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
  const std::string temporary = path + ".tmp";
  std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + temporary);

  nlohmann::json options = nlohmann::json::object();
  if (overrides.implementation) {
    options["implementation"] = std::string(model::to_string(*overrides.implementation));
  }
  if (!overrides.mutants.empty()) options["mutants"] = overrides.mutants;
  if (overrides.schedule) options["schedule"] = std::string(sim::to_string(*overrides.schedule));
  const nlohmann::json header = {
      {"format", "tracksim-trace"},
      {"format_version", kTraceFormatVersion},
      {"tracksim_version", tracksim_version()},
      {"scenario_path", scenario.path},
      {"scenario_text", scenario.text},
      {"seed", seed},
      {"options", options},
  };
  out << header.dump() << '\n';

  Progress watch(progress_label(scenario, seed) + " (writing its trace)", total_virtual_s(scenario),
                 progress);
  ProgressSink sink(&out, watch);
  std::ostream lines(&sink);
  sim::WorldOptions world_options;
  world_options.trace_out = &lines;
  SeedRun run = run_seed(scenario, seed, world_options);

  const nlohmann::json footer = {{"end", true},
                                 {"lines", run.world.trace_lines},
                                 {"digest", sim::format_digest(run.world.digest)}};
  out << footer.dump() << '\n';
  if (!out.flush()) throw std::runtime_error("cannot write " + temporary);
  out.close();
  std::filesystem::rename(temporary, target);
  return run;
}

Divergence check_determinism(const sim::Scenario& scenario, std::uint64_t seed) {
  sim::WorldOptions options;
  options.seed = seed;
  options.keep_line_hashes = true;
  const sim::WorldResult first = sim::run_world(scenario, options);
  const sim::WorldResult second = sim::run_world(scenario, options);

  Divergence d;
  d.first_digest = sim::format_digest(first.digest);
  d.second_digest = sim::format_digest(second.digest);
  if (first.digest == second.digest && first.trace_lines == second.trace_lines) return d;

  d.diverged = true;
  const auto& a = first.line_hashes;
  const auto& b = second.line_hashes;
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i])
    ++i;
  d.line = i;
  // Rerun each side once more to recover the text of the first differing line.
  options.keep_line_hashes = false;
  options.capture_line = i;
  d.first = sim::run_world(scenario, options).captured_line;
  d.second = sim::run_world(scenario, options).captured_line;
  if (d.first.empty()) d.first = "(the first run ended before this line)";
  if (d.second.empty()) d.second = "(the second run ended before this line)";
  return d;
}

namespace {
constexpr std::uint64_t kMaxSeedsPerRun = 1'000'000;
}  // namespace

std::uint64_t parse_seed(const std::string& option, const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    throw UsageError(option + " takes a whole number, not '" + text + "'");
  }
  // A seed must fit a scenario file (TOML integers are signed 64-bit), since shrink writes one.
  constexpr std::uint64_t kMaxSeed = 9'000'000'000'000'000'000ULL;
  std::uint64_t seed = 0;
  try {
    seed = std::stoull(text);
  } catch (const std::exception&) {
    seed = kMaxSeed + 1;
  }
  if (seed > kMaxSeed) {
    throw UsageError(option + " " + text + " is too large for a seed (at most " +
                     std::to_string(kMaxSeed) + ")");
  }
  return seed;
}

std::vector<std::uint64_t> parse_seed_range(const std::string& text) {
  const auto dots = text.find("..");
  if (dots == std::string::npos) {
    throw UsageError("--seeds must look like A..B, not '" + text + "'");
  }
  const std::string a = text.substr(0, dots);
  const std::string b = text.substr(dots + 2);
  if (a.empty() || b.empty()) {
    throw UsageError("--seeds must look like A..B with whole numbers, not '" + text + "'");
  }
  auto whole = [&](const std::string& part) { return parse_seed("--seeds", part); };
  const std::uint64_t from = whole(a);
  const std::uint64_t to = whole(b);
  if (to < from) throw UsageError("--seeds " + text + ": the range is empty (B < A)");
  if (to - from >= kMaxSeedsPerRun) {
    throw UsageError("--seeds " + text + ": at most " + std::to_string(kMaxSeedsPerRun) +
                     " seeds per run");
  }
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t s = from;; ++s) {
    seeds.push_back(s);
    if (s == to) break;
  }
  return seeds;
}

std::string default_out_dir(const std::string& scenario_name) {
  std::string folder = scenario_name;
  for (char& c : folder) {
    const bool plain =
        std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    if (!plain) c = '_';
  }
  if (folder.empty() || folder.front() == '.') folder.insert(0, "_");
  return "out/" + folder;
}

std::string rerun_command(const std::string& scenario_path, std::uint64_t seed,
                          const Overrides& overrides) {
  std::ostringstream command;
  command << "tracksim run " << scenario_path << " --seed " << seed;
  if (overrides.implementation) {
    command << " --impl " << model::to_string(*overrides.implementation);
  }
  for (const std::string& mutant : overrides.mutants)
    command << " --mutant " << mutant;
  if (overrides.schedule) command << " --schedule " << sim::to_string(*overrides.schedule);
  return command.str();
}

}  // namespace tracksim::cli

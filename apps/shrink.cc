// The shrinking search and the `tracksim shrink TRACE` command; see shrink.h.
#include "apps/shrink.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "apps/cli.h"
#include "apps/run_output.h"
#include "apps/trace_file.h"
#include "model/check.h"
#include "properties/checkers.h"
#include "sim/world/faults.h"

namespace tracksim::cli {
namespace {

// One parameter the search may lower, and the smallest value it may take.
struct Knob {
  std::string name;
  bool integer;
  double min;
  std::function<double(const sim::Scenario&)> get;
  std::function<void(sim::Scenario&, double)> set;
};

// A value with three significant digits, so written scenarios read "0.25", not "0.2500000001".
double tidy(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", x);
  return std::strtod(text, nullptr);
}

std::string number_text(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", x);
  return text;
}

// Values to try instead of `value`, smallest first, all below it and at least `min`.
std::vector<double> candidates(double value, double min, bool integer) {
  std::vector<double> out;
  auto add = [&](double x) {
    x = integer ? std::floor(x) : tidy(x);
    if (x < min) x = min;
    if (x < value && std::find(out.begin(), out.end(), x) == out.end()) out.push_back(x);
  };
  const double span = value - min;
  add(min);
  add(min + span / 2);
  add(min + span * 3 / 4);
  if (integer) add(value - 1);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Knob> knobs(const sim::Scenario& s) {
  using sim::Scenario;
  std::vector<Knob> k;
  k.push_back({"workload.drivers", true, 1,
               [](const Scenario& x) { return static_cast<double>(x.workload.drivers); },
               [](Scenario& x, double v) { x.workload.drivers = static_cast<int>(v); }});
  k.push_back({"workload.deliveries", true, 1,
               [](const Scenario& x) { return static_cast<double>(x.workload.deliveries); },
               [](Scenario& x, double v) { x.workload.deliveries = static_cast<int>(v); }});
  if (s.workload.kind == sim::WorkloadKind::kBurst) {
    k.push_back({"workload.operations", true, 1,
                 [](const Scenario& x) { return static_cast<double>(x.workload.operations); },
                 [](Scenario& x, double v) { x.workload.operations = static_cast<int>(v); }});
  }
  k.push_back({"scenario.duration_s", false, 1, [](const Scenario& x) { return x.duration_s; },
               [](Scenario& x, double v) { x.duration_s = v; }});
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    k.push_back(
        {"faults[" + std::to_string(i) + "].duration_s", false, 0,
         [i](const Scenario& x) { return i < x.faults.size() ? x.faults[i].duration_s : 0; },
         [i](Scenario& x, double v) { x.faults[i].duration_s = v; }});
  }
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    // Rate-driven faults (server_errors, reply_loss, message_loss, duplicates) strike less often.
    if (s.faults[i].rate <= 0 || s.faults[i].rate >= 1) continue;
    k.push_back({"faults[" + std::to_string(i) + "].rate", false, 0,
                 [i](const Scenario& x) { return i < x.faults.size() ? x.faults[i].rate : 0; },
                 [i](Scenario& x, double v) { x.faults[i].rate = v; }});
  }
  // Random faults, every knob swarm testing knows (the same list stays in step with faults.h).
  for (const sim::SwarmKnob& knob : sim::swarm_knobs()) {
    const auto field = knob.field;
    k.push_back({"faults_random." + std::string(knob.name), false, 0,
                 [field](const Scenario& x) { return x.faults_random.*field; },
                 [field](Scenario& x, double v) { x.faults_random.*field = v; }});
  }
  k.push_back({"storage.server_error_rate", false, 0,
               [](const Scenario& x) { return x.storage.server_error_rate; },
               [](Scenario& x, double v) { x.storage.server_error_rate = v; }});
  k.push_back({"storage.reply_lost_rate", false, 0,
               [](const Scenario& x) { return x.storage.reply_lost_rate; },
               [](Scenario& x, double v) { x.storage.reply_lost_rate = v; }});
  k.push_back({"network.loss_rate", false, 0, [](const Scenario& x) { return x.network.loss_rate; },
               [](Scenario& x, double v) { x.network.loss_rate = v; }});
  k.push_back({"network.duplicate_rate", false, 0,
               [](const Scenario& x) { return x.network.duplicate_rate; },
               [](Scenario& x, double v) { x.network.duplicate_rate = v; }});
  k.push_back({"workload.dispatcher_cancel_share", false, 0,
               [](const Scenario& x) { return x.workload.dispatcher_cancel_share; },
               [](Scenario& x, double v) { x.workload.dispatcher_cancel_share = v; }});
  k.push_back({"workload.client_retries", true, 0,
               [](const Scenario& x) { return static_cast<double>(x.workload.client_retries); },
               [](Scenario& x, double v) { x.workload.client_retries = static_cast<int>(v); }});
  if (s.workload.kind == sim::WorkloadKind::kBurst) {
    k.push_back({"workload.burst_window_ms", false, 0,
                 [](const Scenario& x) { return x.workload.burst_window_ms; },
                 [](Scenario& x, double v) { x.workload.burst_window_ms = v; }});
  }
  k.push_back({"scenario.drain_s", false, 0, [](const Scenario& x) { return x.drain_s; },
               [](Scenario& x, double v) { x.drain_s = v; }});
  return k;
}

// `s` written out and read back: what a scenario file of it would run. nullopt when the parser
// rejects it (a value below a field's range), which makes it no candidate.
std::optional<sim::Scenario> as_written(const sim::Scenario& s) {
  try {
    return sim::parse_scenario(sim::to_toml(s), s.path);
  } catch (const sim::ScenarioError&) {
    return std::nullopt;
  }
}

// A property whose failure grows easier as a run shrinks: a probe that was not reached stays
// unreached when faults and drivers go. Its failure only counts as the same one when exactly the
// same probes are missing.
constexpr std::string_view kRequiredProbes = "required_probes_reached";

std::vector<std::string> witness_texts(const SeedRun& run, const std::string& property) {
  std::vector<std::string> texts;
  for (const auto& p : run.summary.properties) {
    if (p.name != property) continue;
    for (const auto& w : p.witnesses)
      texts.push_back(w.explanation);
  }
  return texts;
}

// Whether `run` fails `property` the way the original run did.
bool fails(const SeedRun& run, const std::string& property,
           const std::vector<std::string>& original_witnesses) {
  const auto names = run.summary.failed_properties();
  if (std::find(names.begin(), names.end(), property) == names.end()) return false;
  return property != kRequiredProbes || witness_texts(run, property) == original_witnesses;
}

class Search {
 public:
  Search(std::uint64_t seed, const ShrinkOptions& options, ShrinkResult& result)
      : seed_(seed),
        options_(options),
        result_(result),
        original_witnesses_(witness_texts(result.original_run, result.property)) {}

  // Runs `candidate`; when it still fails the property, makes it the current case.
  bool try_candidate(const sim::Scenario& candidate, const std::string& step) {
    if (out_of_budget()) return false;
    const std::optional<sim::Scenario> written = as_written(candidate);
    if (!written) return false;
    ++result_.runs;
    SeedRun run = run_seed_with_progress(*written, seed_, static_cast<bool>(options_.progress));
    if (result_.runs % 25 == 0)
      say("run " + std::to_string(result_.runs) + ", " + std::to_string(result_.steps.size()) +
          " steps taken");
    if (!fails(run, result_.property, original_witnesses_)) return false;
    result_.minimal = *written;
    result_.minimal_run = std::move(run);
    result_.steps.push_back(step);
    say(step + " (run " + std::to_string(result_.runs) + ")");
    return true;
  }

  bool out_of_budget() {
    if (result_.runs < options_.max_runs) return false;
    result_.budget_spent = true;
    return true;
  }

  // One pass over every reduction; true when any was taken.
  bool pass() {
    bool progress = false;

    // Fewer faults: drop each in turn, the last first so indexes stay valid.
    for (std::size_t i = result_.minimal.faults.size(); i-- > 0;) {
      sim::Scenario candidate = result_.minimal;
      const sim::FaultSpec dropped = candidate.faults[i];
      candidate.faults.erase(candidate.faults.begin() + static_cast<std::ptrdiff_t>(i));
      const std::string step = "faults " + std::to_string(candidate.faults.size() + 1) + " -> " +
                               std::to_string(candidate.faults.size()) + " (dropped " +
                               std::string(sim::to_string(dropped.kind)) + " at " +
                               number_text(dropped.at_s) + " s)";
      progress |= try_candidate(candidate, step);
    }

    // Smaller parameters: the smallest value that still fails, trying the minimum first.
    for (const Knob& knob : knobs(result_.minimal)) {
      const double value = knob.get(result_.minimal);
      for (double x : candidates(value, knob.min, knob.integer)) {
        sim::Scenario candidate = result_.minimal;
        knob.set(candidate, x);
        if (try_candidate(candidate,
                          knob.name + " " + number_text(value) + " -> " + number_text(x))) {
          progress = true;
          break;
        }
      }
    }
    return progress;
  }

 private:
  void say(const std::string& line) {
    if (options_.progress) options_.progress(line);
  }

  std::uint64_t seed_;
  const ShrinkOptions& options_;
  ShrinkResult& result_;
  const std::vector<std::string> original_witnesses_;
};

}  // namespace

ShrinkResult shrink(const sim::Scenario& scenario, std::uint64_t seed,
                    const ShrinkOptions& options) {
  ShrinkResult result;
  result.seed = seed;
  result.original = scenario;
  const bool progress = static_cast<bool>(options.progress);
  result.original_run = run_seed_with_progress(scenario, seed, progress);

  const std::vector<std::string> failing = result.original_run.summary.failed_properties();
  if (failing.empty()) {
    throw UsageError("nothing to shrink: seed " + std::to_string(seed) + " of " + scenario.name +
                     " passes every property");
  }
  // By default the first failing property, preferring any to a missed required probe.
  result.property = failing.front();
  for (const std::string& name : failing) {
    if (name == kRequiredProbes) continue;
    result.property = name;
    break;
  }
  if (!options.property.empty()) result.property = options.property;
  const auto& catalogue = properties::property_catalogue();
  const bool known =
      result.property == kRequiredProbes ||
      std::any_of(catalogue.begin(), catalogue.end(),
                  [&](const properties::PropertyInfo& p) { return p.name == result.property; });
  if (!known) {
    throw UsageError("--property " + result.property +
                     " is not a property (tracksim list properties shows them)");
  }
  if (std::find(failing.begin(), failing.end(), result.property) == failing.end()) {
    std::string names;
    for (const std::string& n : failing)
      names += (names.empty() ? "" : ", ") + n;
    throw UsageError("--property " + result.property + " holds in this run; it fails " + names);
  }

  // The search starts from the scenario as it would be written out, which must be the same run.
  const std::optional<sim::Scenario> start = as_written(scenario);
  TRACKSIM_CHECK(start.has_value());
  result.minimal = *start;
  result.minimal_run = run_seed_with_progress(result.minimal, seed, progress);
  TRACKSIM_CHECK(result.minimal_run.world.digest == result.original_run.world.digest);

  Search search(seed, options, result);
  while (search.pass() && !search.out_of_budget()) {
  }
  return result;
}

std::string describe_reduction(const ShrinkResult& r) {
  std::string out;
  auto item = [&](const std::string& name, double before, double after, bool always) {
    if (!always && before == after) return;
    out +=
        (out.empty() ? "" : ", ") + name + " " + number_text(before) + " -> " + number_text(after);
  };
  const auto& a = r.original_run.summary;
  const auto& b = r.minimal_run.summary;
  item("operations", static_cast<double>(a.operations), static_cast<double>(b.operations), true);
  item("drivers", r.original.workload.drivers, r.minimal.workload.drivers, false);
  item("deliveries", r.original.workload.deliveries, r.minimal.workload.deliveries, false);
  item("faults", static_cast<double>(r.original.faults.size()),
       static_cast<double>(r.minimal.faults.size()), true);
  item("duration_s", r.original.duration_s, r.minimal.duration_s, false);
  item("commits", static_cast<double>(a.commits), static_cast<double>(b.commits), false);
  item("trace lines", static_cast<double>(a.trace_lines), static_cast<double>(b.trace_lines), true);
  return out;
}

// --- The command ---------------------------------------------------------------------------------

namespace {

struct ShrinkArgs {
  std::string trace_path;
  std::string property;
  std::string out;
  int max_runs = 300;
  bool json = false;
};

int command_shrink(const ShrinkArgs& args) {
  if (args.max_runs < 1) throw UsageError("--max-runs must be at least 1");
  const TraceHeader trace = read_trace(args.trace_path);
  const sim::Scenario scenario = scenario_of(trace);

  namespace fs = std::filesystem;
  const std::string out_dir =
      args.out.empty() ? (fs::path(args.trace_path).parent_path() / "shrunk").string() : args.out;
  if (!args.json) {
    std::printf("tracksim %s: shrink %s\n", std::string(tracksim_version()).c_str(),
                trace.path.c_str());
    std::printf("  scenario %s, implementation %s, schedule %s, seed %llu, output %s\n",
                scenario.name.c_str(), reports::implementation_label(scenario.backend).c_str(),
                std::string(sim::to_string(scenario.schedule)).c_str(),
                static_cast<unsigned long long>(trace.seed), out_dir.c_str());
    std::fflush(stdout);
  }

  ShrinkOptions options;
  options.property = args.property;
  options.max_runs = args.max_runs;
  // On long work only: the latest step, at most every ten seconds.
  options.progress = [last = std::chrono::steady_clock::now()](const std::string& line) mutable {
    const auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::seconds(10)) return;
    last = now;
    std::fprintf(stderr, "progress: shrink: %s\n", line.c_str());
    std::fflush(stderr);
  };
  ShrinkResult r = shrink(scenario, trace.seed, options);

  // Write the minimal case as a scenario file of its own, with the overrides baked in and the
  // seed as its default, then rerun it from that file while writing its trace.
  const std::string name = scenario.name + "-shrunk";
  const std::string toml_path = (fs::path(out_dir) / (name + ".toml")).string();
  const std::string trace_out = (fs::path(out_dir) / "trace.jsonl").string();
  sim::Scenario minimal = r.minimal;
  minimal.name = name;
  minimal.description = "the smallest case found of " + scenario.name + " failing " + r.property;
  minimal.seeds = {trace.seed};
  const std::string comment =
      name + ": a minimal case, written by tracksim shrink.\n\n" + "Shrunk from " + trace.path +
      " (scenario " + scenario.name + ", seed " + std::to_string(trace.seed) + ") in " +
      std::to_string(r.runs) + " runs; it still fails " + r.property + ".\n" +
      "Every field is spelled out; reading this file gives back exactly the run shrink found.\n\n" +
      "  tracksim run " + toml_path;
  write_file_atomically(toml_path, sim::to_toml(minimal, comment));
  const sim::Scenario reread = sim::load_scenario(toml_path);
  const SeedRun written = write_trace(reread, Overrides{}, trace.seed, trace_out);
  // A scenario that reads back differently from what was searched is a bug of to_toml.
  TRACKSIM_CHECK(written.world.digest == r.minimal_run.world.digest);
  const std::string rerun = "tracksim run " + toml_path + " --seed " + std::to_string(trace.seed);

  if (args.json) {
    nlohmann::json doc = {{"trace", trace.path},
                          {"scenario", scenario.name},
                          {"seed", trace.seed},
                          {"property", r.property},
                          {"runs", r.runs},
                          {"budget_spent", r.budget_spent},
                          {"steps", r.steps},
                          {"reduction", describe_reduction(r)},
                          {"shrunk_scenario", toml_path},
                          {"shrunk_trace", trace_out},
                          {"summary", reports::to_json(written.summary)},
                          {"rerun", rerun}};
    std::cout << doc.dump(2) << "\n";
    return kExitPass;
  }
  std::printf("shrunk in %d runs%s, keeping %s failing:\n", r.runs,
              r.budget_spent ? " (the --max-runs budget ran out; it may shrink further)" : "",
              r.property.c_str());
  for (const std::string& step : r.steps)
    std::printf("  %s\n", step.c_str());
  if (r.steps.empty()) std::printf("  (no smaller case fails it)\n");
  print_summary(written.summary);
  std::printf("smaller: %s\n", describe_reduction(r).c_str());
  std::printf("scenario %s\n", toml_path.c_str());
  std::printf("trace %s\n", trace_out.c_str());
  std::printf("rerun: %s\n", rerun.c_str());
  return kExitPass;
}

}  // namespace

Command add_shrink_command(CLI::App& app) {
  auto args = std::make_shared<ShrinkArgs>();
  CLI::App* shrink = app.add_subcommand(
      "shrink",
      "From a failing trace, search by deterministic reruns for a smaller run that fails the "
      "same property (fewer faults, drivers, deliveries and operations, shorter windows), then "
      "write it as a scenario file and a trace, and say how much smaller it is. Exit 0 when "
      "written, 2 when the trace is bad or its run passes.");
  shrink->add_option("trace", args->trace_path, "Trace file of a failing run (trace.jsonl)")
      ->required();
  shrink->add_option("--property", args->property,
                     "The property to keep failing (default: the first one that fails)");
  shrink->add_option("--out", args->out, "Output folder (default: beside the trace, in shrunk/)");
  shrink->add_option("--max-runs", args->max_runs, "Candidate runs at most (default 300)");
  shrink->add_flag("--json", args->json, "Print the result as JSON");
  return Command{shrink, [args] { return command_shrink(*args); }};
}

}  // namespace tracksim::cli

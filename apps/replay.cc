// `tracksim replay TRACE`: rerun a trace's run and confirm it, or show where it diverges.
#include "apps/replay.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/cli.h"
#include "apps/line_sinks.h"
#include "apps/run_output.h"

namespace tracksim::cli {

ReplayResult replay_trace(const std::string& path, bool progress) {
  ReplayResult result;
  result.trace = read_trace(path);
  result.scenario = scenario_of(result.trace);

  std::ifstream recorded(path, std::ios::binary);
  if (!recorded) throw UsageError(path + ": cannot open trace file");
  std::string header;
  std::getline(recorded, header);

  Progress watch(
      result.scenario.name + " seed " + std::to_string(result.trace.seed) + " (replaying)",
      result.scenario.duration_s + result.scenario.drain_s, progress);
  TraceComparer comparer(recorded, result.trace.event_lines, watch);
  std::ostream lines(&comparer);
  sim::WorldOptions options;
  options.trace_out = &lines;
  result.run = run_seed(result.scenario, result.trace.seed, options);
  lines.flush();
  comparer.finish();

  result.diverged =
      comparer.diverged() || sim::format_digest(result.run.world.digest) != result.trace.digest;
  if (comparer.diverged()) {
    result.divergent_line = comparer.divergent_line();
    result.recorded = comparer.expected();
    result.rerun = comparer.actual();
  } else if (result.diverged) {
    // Every line agrees but the footer's digest does not: the footer itself was altered.
    result.divergent_line = result.trace.event_lines;
    result.recorded = "(footer digest " + result.trace.digest + ")";
    result.rerun = "(digest " + sim::format_digest(result.run.world.digest) + ")";
  }
  return result;
}

namespace {

struct ReplayArgs {
  std::string path;
  bool json = false;
};

int command_replay(const ReplayArgs& args) {
  const ReplayResult r = replay_trace(args.path, /*progress=*/true);
  const std::string digest = sim::format_digest(r.run.world.digest);
  const std::string implementation = reports::implementation_label(r.scenario.backend);
  const bool same_build = r.trace.tracksim_version == tracksim_version();

  if (args.json) {
    nlohmann::json doc = {{"trace", r.trace.path},
                          {"scenario", r.scenario.name},
                          {"scenario_path", r.trace.scenario_path},
                          {"seed", r.trace.seed},
                          {"implementation", implementation},
                          {"written_by", r.trace.tracksim_version},
                          {"tracksim_version", tracksim_version()},
                          {"recorded_digest", r.trace.digest},
                          {"digest", digest},
                          {"event_lines", r.trace.event_lines},
                          {"reproduced", !r.diverged},
                          {"summary", reports::to_json(r.run.summary)}};
    if (r.diverged) {
      doc["divergence"] = {
          {"event_line", r.divergent_line}, {"recorded", r.recorded}, {"rerun", r.rerun}};
    }
    std::cout << doc.dump(2) << "\n";
    return r.diverged ? kExitViolation : kExitPass;
  }

  std::printf("tracksim %s: replay %s\n", std::string(tracksim_version()).c_str(),
              r.trace.path.c_str());
  std::printf("  scenario %s (%s), implementation %s, schedule %s, seed %llu\n",
              r.scenario.name.c_str(), r.trace.scenario_path.c_str(), implementation.c_str(),
              std::string(sim::to_string(r.scenario.schedule)).c_str(),
              static_cast<unsigned long long>(r.trace.seed));
  if (!same_build) {
    std::printf("  note: written by tracksim %s; this is %s, whose runs may differ\n",
                r.trace.tracksim_version.c_str(), std::string(tracksim_version()).c_str());
  }
  print_summary(r.run.summary);
  if (r.diverged) {
    std::printf("replay: DIVERGED at event line %llu (file line %llu)\n",
                static_cast<unsigned long long>(r.divergent_line),
                static_cast<unsigned long long>(r.divergent_line + 2));
    std::printf("  recorded: %s\n", r.recorded.c_str());
    std::printf("  rerun:    %s\n", r.rerun.c_str());
    if (r.trace.digest == digest) {
      // The run reproduces what was recorded; the file's lines are not what was written.
      std::printf(
          "  the footer's digest %s matches the rerun: the file's event lines were changed "
          "after it was written\n",
          digest.c_str());
    } else {
      std::printf("  recorded digest %s, rerun digest %s\n", r.trace.digest.c_str(),
                  digest.c_str());
    }
  } else {
    std::printf("replay: REPRODUCED (%llu event lines, digest %s)\n",
                static_cast<unsigned long long>(r.trace.event_lines), digest.c_str());
  }
  std::printf("rerun: tracksim replay %s\n", r.trace.path.c_str());
  return r.diverged ? kExitViolation : kExitPass;
}

}  // namespace

Command add_replay_command(CLI::App& app) {
  auto args = std::make_shared<ReplayArgs>();
  CLI::App* replay = app.add_subcommand(
      "replay",
      "Rerun the run a trace file records (its header holds the scenario's text, the seed and "
      "the options) and compare every event line. Exit 0 when it reproduces exactly, 1 when it "
      "diverges (the first differing line is shown), 2 when the file is not a complete trace.");
  replay->add_option("trace", args->path, "Trace file (trace.jsonl)")->required();
  replay->add_flag("--json", args->json, "Print the result as JSON");
  return Command{replay, [args] { return command_replay(*args); }};
}

}  // namespace tracksim::cli

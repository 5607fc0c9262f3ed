// The command line in-process: tracksim::cli::main with argv, exit codes and output lines, plus
// the libraries under the commands (trace reading, replay, shrinking, the line sinks).
//
// scripts/cli_tests.sh checks the built binary end to end; these tests cover the same ground from
// inside, where a failure points at the function. They run from the repository root (CTest's
// working directory) and write under the system's temp directory.
#include "apps/cli.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "apps/harness.h"
#include "apps/line_sinks.h"
#include "apps/replay.h"
#include "apps/shrink.h"
#include "apps/trace_file.h"

namespace tracksim::cli {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome tracksim(std::vector<std::string> args) {
  args.insert(args.begin(), "tracksim");
  std::vector<char*> argv;
  for (std::string& a : args)
    argv.push_back(a.data());
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  const int code = main(static_cast<int>(argv.size()), argv.data());
  std::fflush(stdout);
  Outcome o{code, testing::internal::GetCapturedStdout(), testing::internal::GetCapturedStderr()};
  return o;
}

fs::path scratch(const std::string& name) {
  // One folder per test process: CTest runs each test in its own process, in parallel.
  const fs::path dir =
      fs::temp_directory_path() / ("tracksim-cli-test-" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool has_line_starting(const std::string& text, const std::string& prefix) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// A failing run's trace (the code before the fix, at a seed where it fails), written once.
const fs::path& legacy_trace() {
  static const fs::path trace = [] {
    const fs::path dir = scratch("legacy");
    const Outcome o = tracksim({"run", "scenarios/seed-stress.toml", "--impl", "legacy", "--seed",
                                "1", "--out", dir.string()});
    EXPECT_EQ(o.code, kExitViolation) << o.out << o.err;
    return dir / "seed-1" / "trace.jsonl";
  }();
  return trace;
}

TEST(CliRun, PassingSeedPrintsVerdictAndRerunLast) {
  const fs::path dir = scratch("pass");
  const Outcome o =
      tracksim({"run", "scenarios/seed-stress.toml", "--seed", "1", "--out", dir.string()});
  EXPECT_EQ(o.code, kExitPass) << o.err;
  EXPECT_EQ(o.out.rfind("tracksim ", 0), 0u) << o.out;
  EXPECT_TRUE(has_line_starting(o.out, "verdict: PASS (1 of 1 seeds pass)")) << o.out;
  EXPECT_TRUE(has_line_starting(o.out, "rerun: tracksim run scenarios/seed-stress.toml --seed 1"));
  EXPECT_TRUE(fs::exists(dir / "seed-1" / "summary.json"));
  EXPECT_FALSE(fs::exists(dir / "seed-1" / "trace.jsonl"));
}

TEST(CliRun, FailingSeedWritesTraceAndExitsOne) {
  ASSERT_TRUE(fs::exists(legacy_trace()));
  EXPECT_NE(read_all(legacy_trace()).find("\"format\":\"tracksim-trace\""), std::string::npos);
}

TEST(CliRun, SeedRangeRunsEverySeed) {
  const Outcome o = tracksim(
      {"run", "scenarios/seed-stress.toml", "--seeds", "3..5", "--out", scratch("range").string()});
  EXPECT_EQ(o.code, kExitPass) << o.err;
  for (const char* seed : {"seed 3:", "seed 4:", "seed 5:"})
    EXPECT_TRUE(has_line_starting(o.out, seed)) << seed;
}

TEST(CliRun, JsonIsOneDocument) {
  const Outcome o = tracksim({"run", "scenarios/seed-stress.toml", "--seed", "1", "--json", "--out",
                              scratch("json").string()});
  EXPECT_EQ(o.code, kExitPass);
  EXPECT_EQ(o.out.front(), '{');
  EXPECT_NE(o.out.find("\"verdict\": \"pass\""), std::string::npos);
}

TEST(CliRun, BadOptionsAreOneLineAndExitTwo) {
  const std::vector<std::vector<std::string>> cases = {
      {"run", "scenarios/seed-stress.toml", "--seeds", "7"},
      {"run", "scenarios/seed-stress.toml", "--seeds", "9..2"},
      {"run", "scenarios/seed-stress.toml", "--seeds", "1..99999999999999999999"},
      {"run", "scenarios/seed-stress.toml", "--seed", "-1"},
      {"run", "scenarios/seed-stress.toml", "--seed", "x"},
      {"run", "scenarios/seed-stress.toml", "--impl", "newest"},
      {"run", "scenarios/seed-stress.toml", "--mutant", "no_such_bug"},
      {"run", "scenarios/seed-stress.toml", "--schedule", "chaos"},
      {"run", "no/such.toml"},
      {"run"},
      {"frobnicate"},
      {},
  };
  for (const auto& args : cases) {
    const Outcome o = tracksim(args);
    std::string joined;
    for (const auto& a : args)
      joined += a + " ";
    EXPECT_EQ(o.code, kExitBadInput) << joined;
    EXPECT_EQ(o.err.rfind("tracksim: ", 0), 0u) << joined << ": " << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << joined << ": " << o.err;
  }
}

TEST(CliValidate, ShippedScenariosAreValid) {
  std::vector<std::string> args = {"validate"};
  for (const auto& entry : fs::directory_iterator("scenarios")) {
    if (entry.path().extension() == ".toml") args.push_back(entry.path().string());
  }
  const Outcome o = tracksim(args);
  EXPECT_EQ(o.code, kExitPass) << o.err;
}

TEST(CliList, ListsScenariosWithTheirFirstCommentLine) {
  const Outcome o = tracksim({"list", "scenarios"});
  EXPECT_EQ(o.code, kExitPass);
  EXPECT_NE(o.out.find("scenarios/seed-stress.toml"), std::string::npos);
  EXPECT_NE(o.out.find("the fix's own stress test"), std::string::npos);
  EXPECT_EQ(tracksim({"list", "nonsense"}).code, kExitBadInput);
}

TEST(Replay, ReproducesItsOwnTrace) {
  const ReplayResult r = replay_trace(legacy_trace().string(), false);
  EXPECT_FALSE(r.diverged) << r.divergent_line << "\n" << r.recorded << "\n" << r.rerun;
  EXPECT_EQ(sim::format_digest(r.run.world.digest), r.trace.digest);
  EXPECT_FALSE(r.run.summary.passed());
  EXPECT_EQ(tracksim({"replay", legacy_trace().string()}).code, kExitPass);
}

TEST(Replay, NamesTheFirstDifferentLine) {
  std::string text = read_all(legacy_trace());
  // Event line 9 is the file's line 11; change its time.
  std::size_t at = 0;
  for (int line = 1; line < 11; ++line)
    at = text.find('\n', at) + 1;
  const std::size_t t = text.find("\"t\":", at);
  text.replace(t, 4, "\"t\":7");
  const fs::path edited = scratch("edited") / "trace.jsonl";
  std::ofstream(edited, std::ios::binary) << text;

  const ReplayResult r = replay_trace(edited.string(), false);
  EXPECT_TRUE(r.diverged);
  EXPECT_EQ(r.divergent_line, 9u);
  EXPECT_NE(r.recorded, r.rerun);
  const Outcome o = tracksim({"replay", edited.string()});
  EXPECT_EQ(o.code, kExitViolation);
  EXPECT_TRUE(has_line_starting(o.out, "replay: DIVERGED at event line 9 (file line 11)")) << o.out;
}

std::string trace_error(const std::string& text) {
  const fs::path path = scratch("bad") / "trace.jsonl";
  std::ofstream(path, std::ios::binary) << text;
  try {
    read_trace(path.string());
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(TraceFile, RejectsWhatIsNotACompleteTrace) {
  const std::string good = read_all(legacy_trace());
  const std::string header = good.substr(0, good.find('\n') + 1);
  const std::string without_footer = good.substr(0, good.rfind('\n', good.size() - 2) + 1);
  EXPECT_NE(trace_error("").find("is empty"), std::string::npos);
  EXPECT_NE(trace_error("not json\n").find(":1: the header line is not a JSON object"),
            std::string::npos);
  EXPECT_NE(trace_error("{\"format\":\"x\"}\n").find("not a tracksim trace"), std::string::npos);
  std::string future = good;
  future.replace(future.find("\"format_version\":1"), 18, "\"format_version\":2");
  EXPECT_NE(trace_error(future).find("trace format version 2 is not supported"), std::string::npos);
  EXPECT_NE(trace_error(without_footer).find("is truncated"), std::string::npos);
  EXPECT_NE(trace_error(good.substr(0, good.size() - 5)).find("is truncated"), std::string::npos);
  EXPECT_NE(trace_error(header + good.substr(good.find('\n', header.size()) + 1)).find("damaged"),
            std::string::npos);
  EXPECT_EQ(trace_error(good), "");
}

TEST(Shrink, FindsASmallerRunFailingTheSameProperty) {
  const TraceHeader trace = read_trace(legacy_trace().string());
  const sim::Scenario scenario = scenario_of(trace);
  ShrinkOptions options;
  options.property = "no_parallel_save_error";
  const ShrinkResult r = shrink(scenario, trace.seed, options);
  EXPECT_EQ(r.property, "no_parallel_save_error");
  EXPECT_FALSE(r.steps.empty());
  EXPECT_LT(r.minimal_run.summary.operations, r.original_run.summary.operations);
  EXPECT_LT(r.minimal_run.summary.trace_lines, r.original_run.summary.trace_lines);
  const auto failing = r.minimal_run.summary.failed_properties();
  EXPECT_NE(std::find(failing.begin(), failing.end(), r.property), failing.end());
  EXPECT_NE(describe_reduction(r).find("operations 20 -> "), std::string::npos);

  // The minimal scenario, written and read back, is the same run.
  const sim::Scenario reread = sim::parse_scenario(sim::to_toml(r.minimal), "m.toml");
  EXPECT_EQ(run_seed(reread, trace.seed).world.digest, r.minimal_run.world.digest);
}

// Shrinking relies on a scenario written out by to_toml being the same run. Every shipped
// scenario, cut short to keep the test quick, must give the same digest both ways.
TEST(Shrink, WrittenScenariosRunTheSame) {
  for (const auto& entry : fs::directory_iterator("scenarios")) {
    if (entry.path().extension() != ".toml") continue;
    SCOPED_TRACE(entry.path().string());
    sim::Scenario s = sim::load_scenario(entry.path().string());
    apply_overrides(s, Overrides{});
    s.duration_s = std::min(s.duration_s, 120.0);
    s.drain_s = std::min(s.drain_s, 60.0);
    s.workload.drivers = std::min(s.workload.drivers, 5);
    s.workload.deliveries = std::min(s.workload.deliveries, 10);
    const sim::Scenario written = sim::parse_scenario(sim::to_toml(s), s.path);
    EXPECT_EQ(run_seed(written, 1).world.digest, run_seed(s, 1).world.digest);
  }
}

TEST(Shrink, RespectsItsBudget) {
  const TraceHeader trace = read_trace(legacy_trace().string());
  ShrinkOptions options;
  options.max_runs = 2;
  const ShrinkResult r = shrink(scenario_of(trace), trace.seed, options);
  EXPECT_EQ(r.runs, 2);
  EXPECT_TRUE(r.budget_spent);
}

TEST(Shrink, RefusesAPassingRun) {
  sim::Scenario s = sim::load_scenario("scenarios/seed-stress.toml");
  apply_overrides(s, Overrides{});
  EXPECT_THROW(shrink(s, 1, ShrinkOptions{}), UsageError);
}

// Collects the lines a LineSink hands on.
class Collect final : public LineSink {
 public:
  std::vector<std::string> lines;

 protected:
  void on_line(std::string_view line) override { lines.emplace_back(line); }
};

TEST(LineSinks, SplitLinesWhateverTheChunks) {
  Collect sink;
  std::ostream out(&sink);
  out << "ab";
  out << "c\nd";
  out.put('\n');
  out << "\n"
      << "e\nf\n";
  out.flush();
  EXPECT_EQ(sink.lines, (std::vector<std::string>{"abc", "d", "", "e", "f"}));
}

TEST(LineSinks, ComparerFindsTheFirstDifferenceAndAShortRun) {
  const fs::path path = scratch("compare") / "lines";
  std::ofstream(path) << "one\ntwo\nthree\n";
  Progress quiet("t", 1, false);
  {
    std::ifstream file(path);
    TraceComparer same(file, 3, quiet);
    std::ostream(&same) << "one\ntwo\nthree\n" << std::flush;
    same.finish();
    EXPECT_FALSE(same.diverged());
  }
  {
    std::ifstream file(path);
    TraceComparer differs(file, 3, quiet);
    std::ostream(&differs) << "one\nTWO\nthree\n" << std::flush;
    differs.finish();
    EXPECT_EQ(differs.divergent_line(), 1u);
    EXPECT_EQ(differs.expected(), "two");
    EXPECT_EQ(differs.actual(), "TWO");
  }
  {
    std::ifstream file(path);
    TraceComparer shorter(file, 3, quiet);
    std::ostream(&shorter) << "one\n" << std::flush;
    shorter.finish();
    EXPECT_EQ(shorter.divergent_line(), 1u);
    EXPECT_EQ(shorter.expected(), "two");
  }
  {
    std::ifstream file(path);
    TraceComparer longer(file, 3, quiet);
    std::ostream(&longer) << "one\ntwo\nthree\nfour\n" << std::flush;
    longer.finish();
    EXPECT_EQ(longer.divergent_line(), 3u);
    EXPECT_EQ(longer.actual(), "four");
  }
}

TEST(DefaultOutDir, IsOneFolderUnderOutWhateverTheName) {
  EXPECT_EQ(default_out_dir("seed-stress"), "out/seed-stress");
  EXPECT_EQ(default_out_dir("a/../../x"), "out/a_.._.._x");
  EXPECT_EQ(default_out_dir("/tmp/bad/abs"), "out/_tmp_bad_abs");
  EXPECT_EQ(default_out_dir(".."), "out/_..");
  EXPECT_EQ(default_out_dir("<b>rush & hour</b>"), "out/_b_rush___hour__b_");
}

}  // namespace
}  // namespace tracksim::cli

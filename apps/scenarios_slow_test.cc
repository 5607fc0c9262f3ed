// Every shipped scenario passes at its default seeds with the implementation it names, and the
// before-after scenario's documented seed still fails with the code before the fix.
//
// These are the claims the scenario files make in their opening comments. They run every default
// seed of every file (rush-hour alone takes a minute or more), hence the slow label. The
// documented legacy seed is read from before-after.toml's own comment ("--impl legacy --seed N"),
// so the file and the test cannot disagree.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "apps/harness.h"

namespace tracksim::cli {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> shipped_scenarios() {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator("scenarios")) {
    if (entry.path().extension() == ".toml") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class ShippedScenario : public testing::TestWithParam<std::string> {};

TEST_P(ShippedScenario, PassesAtItsDefaultSeeds) {
  sim::Scenario scenario = sim::load_scenario(GetParam());
  apply_overrides(scenario, Overrides{});
  for (std::uint64_t seed : scenario.seeds) {
    const SeedRun run = run_seed(scenario, seed);
    std::string failing;
    for (const auto& name : run.summary.failed_properties())
      failing += name + " ";
    EXPECT_TRUE(run.summary.passed())
        << GetParam() << " seed " << seed << " fails: " << failing
        << "\n  rerun: " << rerun_command(GetParam(), seed, Overrides{});
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ShippedScenario, testing::ValuesIn(shipped_scenarios()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string name = fs::path(info.param).stem().string();
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(BeforeAfter, LegacyFailsAtTheDocumentedSeed) {
  const std::string path = "scenarios/before-after.toml";
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::smatch documented;
  const std::string body = text.str();
  ASSERT_TRUE(std::regex_search(body, documented, std::regex(R"(--impl legacy --seed (\d+))")))
      << path << " should document a seed at which the legacy code fails";
  const std::uint64_t seed = std::stoull(documented[1].str());

  sim::Scenario scenario = sim::load_scenario(path);
  Overrides legacy;
  legacy.implementation = model::Implementation::kLegacy;
  apply_overrides(scenario, legacy);
  const SeedRun run = run_seed(scenario, seed);
  const auto failing = run.summary.failed_properties();
  EXPECT_NE(std::find(failing.begin(), failing.end(), "no_parallel_save_error"), failing.end())
      << "the code before the fix no longer meets ParallelSaveError at seed " << seed;
  EXPECT_GT(run.summary.parallel_save_errors, 0u);
}

}  // namespace
}  // namespace tracksim::cli

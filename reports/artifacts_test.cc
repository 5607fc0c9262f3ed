// Report files on disk: written whole, in the right places, and not one page per seed of a sweep.
#include "reports/artifacts.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "reports/testing/sample_history.h"

namespace tracksim::reports {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A fresh folder under the system's temporary directory, removed at the end of the test.
class ArtifactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tracksim-artifacts-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ArtifactsTest, WriteAtomicallyCreatesFoldersAndLeavesNoTemporaryFile) {
  write_atomically((dir_ / "a/b/file.txt").string(), "text");
  EXPECT_EQ(read(dir_ / "a/b/file.txt"), "text");
  EXPECT_FALSE(fs::exists(dir_ / "a/b/file.txt.tmp"));
}

TEST_F(ArtifactsTest, WriteAtomicallyNamesThePathItCannotWrite) {
  write_atomically((dir_ / "file").string(), "x");
  try {
    write_atomically((dir_ / "file/below").string(), "y");  // a file is in the way
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("file"), std::string::npos);
  }
}

TEST_F(ArtifactsTest, RunWritesPerSeedFilesAndOneJunitForAllSeeds) {
  const testing::SampleRun run = testing::sample_run();
  RunArtifacts artifacts(dir_.string(), "sample");
  for (std::uint64_t seed : {1, 2}) {
    const RunSummary summary = summarize(run.scenario, seed, run.world, run.properties);
    artifacts.add_seed((dir_ / ("seed-" + std::to_string(seed))).string(), run.world, summary,
                       "rerun " + std::to_string(seed));
  }
  artifacts.finish();
  EXPECT_TRUE(fs::exists(dir_ / "seed-1/report.html"));
  EXPECT_TRUE(fs::exists(dir_ / "seed-2/junit.xml"));
  const std::string junit = read(dir_ / "junit.xml");
  EXPECT_NE(junit.find("seed-1"), std::string::npos);
  EXPECT_NE(junit.find("seed-2"), std::string::npos);
}

TEST_F(ArtifactsTest, SweepWritesPagesForFailingSeedsAndTheFirstPassingOnes) {
  testing::SampleRun run = testing::sample_run();
  RunArtifacts artifacts(dir_.string(), "sweep");
  const std::uint64_t passing = RunArtifacts::kPassingReports + 2;
  for (std::uint64_t seed = 1; seed <= passing; ++seed) {
    RunSummary summary = summarize(run.scenario, seed, run.world, {});  // no property: passes
    artifacts.add_seed((dir_ / ("seed-" + std::to_string(seed))).string(), run.world, summary, "");
  }
  const RunSummary failing = summarize(run.scenario, 999, run.world, run.properties);
  artifacts.add_seed((dir_ / "seed-999").string(), run.world, failing, "");
  artifacts.finish();

  EXPECT_TRUE(fs::exists(dir_ / "seed-1/report.html"));
  EXPECT_TRUE(
      fs::exists(dir_ / ("seed-" + std::to_string(RunArtifacts::kPassingReports)) / "report.html"));
  EXPECT_FALSE(fs::exists(dir_ / ("seed-" + std::to_string(passing)) / "report.html"));
  EXPECT_TRUE(fs::exists(dir_ / ("seed-" + std::to_string(passing)) / "junit.xml"));
  EXPECT_TRUE(fs::exists(dir_ / "seed-999/report.html"));
}

}  // namespace
}  // namespace tracksim::reports

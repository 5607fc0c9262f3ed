// Comparisons: each side adds up its seeds, and both renderings carry every row and the seeds.
#include "reports/compare.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tracksim::reports {
namespace {

RunSummary seed_summary(std::uint64_t seed, std::uint64_t ok, std::uint64_t failed,
                        std::uint64_t pse, double mean_ms, double virtual_s) {
  RunSummary s;
  s.seed = seed;
  s.operations = ok + failed;
  s.succeeded = ok;
  s.failed = failed;
  s.parallel_save_errors = pse;
  s.latency.count = ok + failed;
  s.latency.mean_ms = mean_ms;
  s.virtual_s = virtual_s;
  return s;
}

Comparison sample() {
  Comparison c{.scenario_name = "stress | test",
               .scenario_path = "s.toml",
               .seeds = {4, 5},
               .a = ComparisonSide("legacy"),
               .b = ComparisonSide("fixed")};
  c.a.add(seed_summary(4, 16, 4, 3, 1000, 2));
  c.a.add(seed_summary(5, 18, 2, 1, 500, 2));
  c.b.add(seed_summary(4, 20, 0, 0, 100, 0.5));
  c.b.add(seed_summary(5, 19, 1, 0, 200, 0.5));
  return c;
}

TEST(Compare, SidesAddUpTheirSeeds) {
  const Comparison c = sample();
  EXPECT_EQ(c.a.operations(), 40u);
  EXPECT_EQ(c.a.failed(), 6u);
  EXPECT_EQ(c.a.parallel_save_errors(), 4u);
  EXPECT_DOUBLE_EQ(c.a.parallel_save_error_rate(), 0.1);
  EXPECT_DOUBLE_EQ(c.a.success_rate(), 34.0 / 40.0);
  // The mean is over operations, not over seeds: (20*1000 + 20*500) / 40.
  EXPECT_DOUBLE_EQ(c.a.mean_response_ms(), 750);
  EXPECT_DOUBLE_EQ(c.a.operations_per_virtual_s(), 10);
  EXPECT_DOUBLE_EQ(c.b.operations_per_virtual_s(), 40);
  EXPECT_DOUBLE_EQ(c.b.mean_response_ms(), 150);
}

TEST(Compare, MarkdownHasTheMetricsTheStressRowsAndTheSeeds) {
  const std::string md = comparison_markdown(sample());
  for (const char* row :
       {"| ParallelSaveError rate | 4 (10.0%) | 0 (0.0%) |",
        "| Mean response time | 750.0 ms | 150.0 ms |",
        "| Failed operations | 6 (15.0%) | 1 (2.5%) |", "| Success rate | 85.0% | 97.5% |",
        "| Total operations | 40 | 40 |", "| Successful | 34 (85.0%) | 39 (97.5%) |",
        "| Failed | 6 (15.0%) | 1 (2.5%) |", "| ParallelSaveErrors | 4 | 0 |",
        "| Average duration | 750.0 ms | 150.0 ms |", "| Operations per second | 10.0 | 40.0 |",
        "seeds 4, 5 (2 per implementation)", "| 5 | 1 | 90.0% | 500.0 | 0 | 95.0% | 200.0 |"}) {
    EXPECT_NE(md.find(row), std::string::npos) << "missing: " << row << "\n" << md;
  }
  EXPECT_NE(md.find("stress \\| test"), std::string::npos);
}

TEST(Compare, JsonHasBothSidesAndTheSeeds) {
  const nlohmann::json j = comparison_json(sample());
  EXPECT_EQ(j["seeds"], nlohmann::json({4, 5}));
  EXPECT_EQ(j["a"]["implementation"], "legacy");
  EXPECT_EQ(j["b"]["stress_test"]["successful"], 39);
  EXPECT_DOUBLE_EQ(j["a"]["metrics"]["parallel_save_error_rate"].get<double>(), 0.1);
  EXPECT_EQ(j["a"]["per_seed"].size(), 2u);
}

TEST(Compare, SeedsText) {
  EXPECT_EQ(seeds_text({1, 2, 3, 4}), "1..4");
  EXPECT_EQ(seeds_text({4, 5}), "4, 5");
  EXPECT_EQ(seeds_text({1, 3, 9}), "1, 3, 9");
  std::vector<std::uint64_t> scattered;
  for (std::uint64_t s = 0; s < 50; s += 2)
    scattered.push_back(s);
  EXPECT_NE(seeds_text(scattered).find("... (all of them in the JSON)"), std::string::npos);
}

TEST(Compare, EmptySidesDoNotDivideByZero) {
  const ComparisonSide empty("x");
  EXPECT_EQ(empty.success_rate(), 0);
  EXPECT_EQ(empty.mean_response_ms(), 0);
  EXPECT_EQ(empty.operations_per_virtual_s(), 0);
}

}  // namespace
}  // namespace tracksim::reports

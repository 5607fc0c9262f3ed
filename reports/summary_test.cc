// The run summary: figures, rates, probes and faults derived from a history, and its JSON.
#include "reports/summary.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/probe_names.h"
#include "reports/testing/sample_history.h"

namespace tracksim::reports {
namespace {

TEST(Summary, CountsOutcomesAndRatesOfAllOperations) {
  const testing::SampleRun run = testing::sample_run();
  const RunSummary s = summarize(run.scenario, 3, run.world, run.properties);
  EXPECT_EQ(s.operations, 5u);
  EXPECT_EQ(s.succeeded, 2u);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.unknown, 1u);
  EXPECT_EQ(s.pending, 1u);
  EXPECT_EQ(s.parallel_save_errors, 1u);
  // Rates are shares of every operation started, the pending one included.
  EXPECT_DOUBLE_EQ(s.success_rate, 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(s.failure_rate, 2.0 / 5.0);
  EXPECT_DOUBLE_EQ(s.parallel_save_error_rate, 1.0 / 5.0);
  EXPECT_EQ(s.client_resends, 3u);  // 2 for op-timeout, 1 for the hostile one
  EXPECT_EQ(s.operations_by_client_attempts.at(1), 3u);
  EXPECT_EQ(s.operations_by_client_attempts.at(3), 1u);
  EXPECT_EQ(s.commits, 1u);
}

TEST(Summary, LatencyPercentilesByNearestRank) {
  const LatencyStats l = latency_stats({millis(10), millis(20), millis(30), millis(40)});
  EXPECT_EQ(l.count, 4u);
  EXPECT_DOUBLE_EQ(l.mean_ms, 25);
  EXPECT_DOUBLE_EQ(l.p50_ms, 20);
  EXPECT_DOUBLE_EQ(l.p90_ms, 40);
  EXPECT_DOUBLE_EQ(l.p95_ms, 40);
  EXPECT_DOUBLE_EQ(l.max_ms, 40);
  EXPECT_EQ(latency_stats({}).count, 0u);
}

TEST(Summary, ListsEveryModelProbeAndThoseReached) {
  const testing::SampleRun run = testing::sample_run();
  const RunSummary s = summarize(run.scenario, 3, run.world, run.properties);
  for (std::string_view name : model::probe::kAll)
    EXPECT_TRUE(s.probes.contains(std::string(name))) << name;
  EXPECT_EQ(s.probes.at("lock.busy"), 2u);
  EXPECT_EQ(s.probes.at("world.only_probe"), 1u);
  EXPECT_EQ(s.probes_reached(), (std::vector<std::string>{"lock.busy", "world.only_probe"}));
}

TEST(Summary, JsonCarriesVerdictFiguresPropertiesFaultsProbesAndOptions) {
  const testing::SampleRun run = testing::sample_run();
  const nlohmann::json j = to_json(summarize(run.scenario, 3, run.world, run.properties));
  EXPECT_EQ(j["verdict"], "fail");
  EXPECT_EQ(j["seed"], 3);
  EXPECT_EQ(j["scenario"]["name"], testing::kHostile);
  EXPECT_EQ(j["operations"], 5);
  EXPECT_EQ(j["parallel_save_errors"], 1);
  EXPECT_DOUBLE_EQ(j["success_rate"].get<double>(), 0.4);
  EXPECT_EQ(j["properties"][1]["name"], "no_lost_update");
  EXPECT_EQ(j["properties"][1]["holds"], false);
  EXPECT_EQ(j["properties"][1]["violations"], 3);
  EXPECT_EQ(j["properties"][1]["witnesses"][0]["operations"], nlohmann::json({1}));
  EXPECT_EQ(j["faults_injected"][0]["kind"], "partition");
  EXPECT_DOUBLE_EQ(j["faults_injected"][0]["duration_s"].get<double>(), 0.5);
  EXPECT_EQ(j["probes_reached"].size(), 2u);
  EXPECT_EQ(j["options"]["implementation"]["kind"], "fixed");
  EXPECT_EQ(j["options"]["model"]["retry_max_attempts"], 3);
  EXPECT_TRUE(j["latency"].contains("p95_ms"));
  EXPECT_TRUE(j.contains("digest"));
  EXPECT_TRUE(j.contains("wall_s"));
}

}  // namespace
}  // namespace tracksim::reports

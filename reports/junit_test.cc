// JUnit XML: one test case per property per seed, failures with their witnesses, all escaped.
#include "reports/junit.h"

#include <gtest/gtest.h>

#include "reports/testing/sample_history.h"

namespace tracksim::reports {
namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

RunSummary sample_summary(std::uint64_t seed) {
  const testing::SampleRun run = testing::sample_run();
  return summarize(run.scenario, seed, run.world, run.properties);
}

TEST(Junit, OneCasePerPropertyPerSeed) {
  JunitSuite suite(testing::kHostile);
  suite.add(sample_summary(1), "tracksim run x --seed 1");
  suite.add(sample_summary(2), "tracksim run x --seed 2");
  EXPECT_EQ(suite.tests(), 4u);
  EXPECT_EQ(suite.failures(), 2u);

  const std::string xml = suite.xml();
  EXPECT_EQ(count(xml, "<testcase "), 4u);
  EXPECT_EQ(count(xml, "<testsuite "), 2u);
  EXPECT_EQ(count(xml, "<failure "), 2u);
  EXPECT_NE(xml.find("tests=\"4\" failures=\"2\""), std::string::npos);
  EXPECT_NE(xml.find("name=\"no_lost_update\""), std::string::npos);
  EXPECT_NE(xml.find("rerun: tracksim run x --seed 2"), std::string::npos);
  EXPECT_NE(xml.find("(and 2 more)"), std::string::npos);
}

TEST(Junit, EveryScenarioStringIsEscaped) {
  JunitSuite suite(testing::kHostile);
  suite.add(sample_summary(7), "");
  const std::string xml = suite.xml();
  EXPECT_EQ(xml.find("<script>"), std::string::npos);
  EXPECT_EQ(xml.find("\"quoted\""), std::string::npos);
  EXPECT_NE(xml.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;"),
            std::string::npos);
}

TEST(Junit, EmptySuiteIsValid) {
  const std::string xml = JunitSuite("none").xml();
  EXPECT_NE(xml.find("<testsuites name=\"tracksim none\" tests=\"0\" failures=\"0\""),
            std::string::npos);
  EXPECT_NE(xml.find("</testsuites>"), std::string::npos);
}

}  // namespace
}  // namespace tracksim::reports

// report.html: the sections are there, the data element is well formed, and nothing from the
// scenario or the run can become markup.
#include "reports/html_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "reports/testing/sample_history.h"

namespace tracksim::reports {
namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

std::string sample_page() {
  const testing::SampleRun run = testing::sample_run();
  const RunSummary summary = summarize(run.scenario, 9, run.world, run.properties);
  return html_report(run.world, summary, std::string("tracksim run ") + testing::kHostile);
}

TEST(HtmlReport, HasEverySection) {
  const std::string page = sample_page();
  for (const char* id : {"id=\"figures\"", "id=\"properties\"", "id=\"timeline\"", "id=\"tl-view\"",
                         "id=\"latency\"", "id=\"retries\"", "id=\"errors\"", "id=\"faults\"",
                         "id=\"probes\"", "id=\"settings\"", "id=\"tracksim-data\""}) {
    EXPECT_NE(page.find(id), std::string::npos) << id;
  }
  EXPECT_NE(page.find("<body data-ok=\"0\">"), std::string::npos);
  EXPECT_NE(page.find("FAIL"), std::string::npos);
}

TEST(HtmlReport, NoScenarioOrRunStringBecomesMarkup) {
  const std::string page = sample_page();
  // Only the page's own two script elements: the data and the code.
  EXPECT_EQ(count(page, "<script"), 2u);
  EXPECT_EQ(page.find("alert(1)</script>"), std::string::npos);
  EXPECT_EQ(page.find("\"quoted\" 'too'"), std::string::npos);
  EXPECT_NE(
      page.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; &#39;too&#39;"),
      std::string::npos);
}

TEST(HtmlReport, WitnessesLinkToTheirOperationsAndCommits) {
  const std::string page = sample_page();
  EXPECT_NE(page.find("href=\"#op-1\" data-op=\"1\">op-pse</a>"), std::string::npos);
  EXPECT_NE(page.find("href=\"#commit-3\" data-commit=\"3\">commit 3</a>"), std::string::npos);
  EXPECT_NE(page.find("id=\"property-no_lost_update\""), std::string::npos);
}

TEST(HtmlReport, DataElementParsesBackToTheTimeline) {
  const std::string page = sample_page();
  const std::string open = "<script type=\"application/json\" id=\"tracksim-data\">";
  const std::size_t from = page.find(open) + open.size();
  const std::size_t to = page.find("</script>", from);
  const nlohmann::json data = nlohmann::json::parse(page.substr(from, to - from));
  EXPECT_EQ(data["ops"].size(), 5u);
  EXPECT_EQ(data["ops"][3][9], std::string("op-") + testing::kHostile);
}

TEST(HtmlReport, FetchesNothing) {
  const std::string page = sample_page();
  EXPECT_EQ(page.find("http://"), page.find("http://www.w3.org/2000/svg"));
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find(" src="), std::string::npos);
  EXPECT_NE(page.find("default-src 'none'"), std::string::npos);
}

TEST(HtmlReport, SameRunSameBytes) {
  EXPECT_EQ(sample_page(), sample_page());
}

}  // namespace
}  // namespace tracksim::reports

// The static charts: bins hold the samples they should, and labels are escaped.
#include "reports/charts.h"

#include <gtest/gtest.h>

namespace tracksim::reports {
namespace {

TEST(Charts, HistogramUsesARoundBoundAndCountsEverySample) {
  const Histogram h = make_histogram({0, 10, 45, 99, 120}, 10);
  // The largest sample is 120, so the bound is 200 and each bin 20 wide.
  EXPECT_DOUBLE_EQ(h.bin_width, 20);
  ASSERT_EQ(h.counts.size(), 10u);
  EXPECT_EQ(h.counts[0], 2u);  // 0 and 10
  EXPECT_EQ(h.counts[2], 1u);  // 45
  EXPECT_EQ(h.counts[4], 1u);  // 99
  EXPECT_EQ(h.counts[6], 1u);  // 120
  std::uint64_t total = 0;
  for (auto c : h.counts)
    total += c;
  EXPECT_EQ(total, 5u);
}

TEST(Charts, SampleAtTheBoundFallsInTheLastBin) {
  const Histogram h = make_histogram({100}, 4);
  EXPECT_DOUBLE_EQ(h.bin_width, 25);
  EXPECT_EQ(h.counts.back(), 1u);
}

TEST(Charts, CapKeepsTheBulkReadableAndCountsTheTail) {
  const Histogram h = make_histogram({1, 2, 3, 9, 5000}, 10, 9);
  EXPECT_DOUBLE_EQ(h.bin_width, 1);  // bound 10, not 5000
  EXPECT_EQ(h.above, 1u);
  EXPECT_EQ(h.counts.back(), 2u);  // 9 and the tail
  const std::string svg = svg_histogram(h, {{"p99", 5000}}, "ms", "tail");
  EXPECT_NE(svg.find("1 beyond the axis"), std::string::npos);
  EXPECT_NE(svg.find("p99 5000 →"), std::string::npos);
}

TEST(Charts, EmptyHistogramIsDrawable) {
  const Histogram h = make_histogram({}, 5);
  const std::string svg = svg_histogram(h, {}, "ms", "nothing");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

TEST(Charts, LabelsAreEscaped) {
  const std::string svg =
      svg_histogram(make_histogram({1, 2}, 2), {{"<p50>", 1}}, "ms", "<script>x</script>");
  EXPECT_EQ(svg.find("<script>"), std::string::npos);
  EXPECT_EQ(svg.find("<p50>"), std::string::npos);
  EXPECT_NE(svg.find("&lt;p50&gt;"), std::string::npos);
}

TEST(Charts, StackedBinsDrawOneRectPerNonZeroCount) {
  const std::vector<Series> series = {{"A", "#111111", {1, 0, 2}}, {"B", "#222222", {0, 3, 1}}};
  const std::string svg = svg_stacked_bins(series, 100, "errors");
  std::size_t rects = 0;
  for (std::size_t at = svg.find("<rect"); at != std::string::npos; at = svg.find("<rect", at + 1))
    ++rects;
  EXPECT_EQ(rects, 4u);
}

TEST(Charts, FormatFixed) {
  EXPECT_EQ(format_fixed(1.25, 1), "1.2");  // printf's rounding of the binary value
  EXPECT_EQ(format_fixed(3, 0), "3");
  EXPECT_EQ(format_fixed(-0.5, 2), "-0.50");
}

}  // namespace
}  // namespace tracksim::reports

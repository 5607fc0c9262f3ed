// Static SVG charts; see charts.h.
#include "reports/charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "model/check.h"
#include "reports/escape.h"

namespace tracksim::reports {
namespace {

constexpr double kWidth = 560;
constexpr double kHeight = 180;
constexpr double kLeft = 44;
constexpr double kRight = 12;
constexpr double kTop = 12;
constexpr double kBottom = 30;

double round_bound(double x) {
  if (x <= 0) return 1;
  const double power = std::pow(10.0, std::floor(std::log10(x)));
  for (double step : {1.0, 2.0, 5.0, 10.0}) {
    if (step * power >= x) return step * power;
  }
  return 10 * power;
}

std::string count_label(std::uint64_t n) {
  return std::to_string(n);
}

// The frame shared by both charts: the y axis from 0 to `y_max` with three ticks.
void write_frame(std::ostringstream& svg, const std::string& title, std::uint64_t y_max) {
  svg << "<svg class=\"chart\" viewBox=\"0 0 " << kWidth << ' ' << kHeight
      << "\" role=\"img\" aria-label=\"" << html_escape(title) << "\">";
  svg << "<title>" << html_escape(title) << "</title>";
  const double plot_h = kHeight - kTop - kBottom;
  for (int i = 0; i <= 2; ++i) {
    const double y = kTop + plot_h * (1.0 - i / 2.0);
    const std::uint64_t v = y_max * static_cast<std::uint64_t>(i) / 2;
    svg << "<line class=\"grid\" x1=\"" << kLeft << "\" x2=\"" << (kWidth - kRight) << "\" y1=\""
        << format_fixed(y, 1) << "\" y2=\"" << format_fixed(y, 1) << "\"/>";
    svg << "<text class=\"tick\" x=\"" << (kLeft - 4) << "\" y=\"" << format_fixed(y + 3, 1)
        << "\" text-anchor=\"end\">" << count_label(v) << "</text>";
  }
}

}  // namespace

std::string format_fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

Histogram make_histogram(const std::vector<double>& samples, int bins, double cap) {
  TRACKSIM_CHECK(bins > 0);
  Histogram h;
  double largest = 0;
  for (double x : samples)
    largest = std::max(largest, x);
  const double upper = round_bound(cap > 0 ? std::min(cap, largest) : largest);
  h.bin_width = upper / bins;
  h.counts.assign(static_cast<std::size_t>(bins), 0);
  for (double x : samples) {
    if (x > upper) ++h.above;
    auto bin = static_cast<std::size_t>(std::max(0.0, x) / h.bin_width);
    bin = std::min(bin, h.counts.size() - 1);
    ++h.counts[bin];
  }
  return h;
}

std::string svg_histogram(const Histogram& h, const std::vector<Marker>& markers,
                          const std::string& unit, const std::string& title) {
  std::uint64_t tallest = 1;
  for (std::uint64_t c : h.counts)
    tallest = std::max(tallest, c);
  std::ostringstream svg;
  write_frame(svg, title, tallest);

  const double plot_w = kWidth - kLeft - kRight;
  const double plot_h = kHeight - kTop - kBottom;
  const double bar_w = plot_w / static_cast<double>(h.counts.size());
  const double upper = h.bin_width * static_cast<double>(h.counts.size());
  for (std::size_t i = 0; i < h.counts.size(); ++i) {
    if (h.counts[i] == 0) continue;
    const double bar_h = plot_h * static_cast<double>(h.counts[i]) / static_cast<double>(tallest);
    const double lo = h.bin_width * static_cast<double>(i);
    svg << "<rect class=\"bar\" x=\"" << format_fixed(kLeft + bar_w * i + 0.5, 1) << "\" y=\""
        << format_fixed(kTop + plot_h - bar_h, 1) << "\" width=\""
        << format_fixed(std::max(1.0, bar_w - 1), 1) << "\" height=\"" << format_fixed(bar_h, 1)
        << "\"><title>" << format_fixed(lo, 1) << "–" << format_fixed(lo + h.bin_width, 1) << ' '
        << html_escape(unit) << ": " << h.counts[i] << "</title></rect>";
  }
  // The x axis: five ticks from 0 to the bound.
  for (int i = 0; i <= 4; ++i) {
    const double x = kLeft + plot_w * i / 4.0;
    svg << "<text class=\"tick\" x=\"" << format_fixed(x, 1) << "\" y=\""
        << format_fixed(kHeight - kBottom + 14, 1) << "\" text-anchor=\"middle\">"
        << format_fixed(upper * i / 4.0, upper >= 20 ? 0 : 1) << "</text>";
  }
  svg << "<text class=\"unit\" x=\"" << (kWidth - kRight) << "\" y=\"" << (kHeight - 2)
      << "\" text-anchor=\"end\">" << html_escape(unit);
  if (h.above > 0) svg << " (last bar: " << h.above << " beyond the axis)";
  svg << "</text>";
  for (std::size_t i = 0; i < markers.size(); ++i) {
    const bool beyond = markers[i].value > upper;
    const double x = kLeft + plot_w * std::clamp(markers[i].value / upper, 0.0, 1.0);
    svg << "<line class=\"marker\" x1=\"" << format_fixed(x, 1) << "\" x2=\"" << format_fixed(x, 1)
        << "\" y1=\"" << kTop << "\" y2=\"" << (kTop + plot_h) << "\"/>";
    svg << "<text class=\"marker-label\" x=\"" << format_fixed(x + 2, 1) << "\" y=\""
        << format_fixed(kTop + 9 + 10.0 * static_cast<double>(i), 1) << "\""
        << (beyond ? " text-anchor=\"end\"" : "") << ">" << html_escape(markers[i].label);
    if (beyond) svg << " " << format_fixed(markers[i].value, 0) << " →";
    svg << "</text>";
  }
  svg << "</svg>";
  return svg.str();
}

std::string svg_stacked_bins(const std::vector<Series>& series, double bin_ms,
                             const std::string& title) {
  std::size_t bins = series.empty() ? 0 : series[0].counts.size();
  for (const Series& s : series)
    TRACKSIM_CHECK(s.counts.size() == bins);
  std::vector<std::uint64_t> totals(bins, 0);
  std::uint64_t tallest = 1;
  for (std::size_t i = 0; i < bins; ++i) {
    for (const Series& s : series)
      totals[i] += s.counts[i];
    tallest = std::max(tallest, totals[i]);
  }
  std::ostringstream svg;
  write_frame(svg, title, tallest);

  const double plot_w = kWidth - kLeft - kRight;
  const double plot_h = kHeight - kTop - kBottom;
  const double bar_w = bins == 0 ? plot_w : plot_w / static_cast<double>(bins);
  for (std::size_t i = 0; i < bins; ++i) {
    double stacked = 0;
    for (const Series& s : series) {
      if (s.counts[i] == 0) continue;
      const double h = plot_h * static_cast<double>(s.counts[i]) / static_cast<double>(tallest);
      stacked += h;
      const double lo_s = bin_ms * static_cast<double>(i) / 1000.0;
      svg << "<rect x=\"" << format_fixed(kLeft + bar_w * i + 0.5, 1) << "\" y=\""
          << format_fixed(kTop + plot_h - stacked, 1) << "\" width=\""
          << format_fixed(std::max(1.0, bar_w - 1), 1) << "\" height=\"" << format_fixed(h, 1)
          << "\" fill=\"" << html_escape(s.colour) << "\"><title>" << html_escape(s.name) << ' '
          << s.counts[i] << " in " << format_fixed(lo_s, 2) << "–"
          << format_fixed(lo_s + bin_ms / 1000.0, 2) << " s</title></rect>";
    }
  }
  const double end_s = bin_ms * static_cast<double>(bins) / 1000.0;
  for (int i = 0; i <= 4; ++i) {
    const double x = kLeft + plot_w * i / 4.0;
    svg << "<text class=\"tick\" x=\"" << format_fixed(x, 1) << "\" y=\""
        << format_fixed(kHeight - kBottom + 14, 1) << "\" text-anchor=\"middle\">"
        << format_fixed(end_s * i / 4.0, end_s >= 20 ? 0 : 2) << "</text>";
  }
  svg << "<text class=\"unit\" x=\"" << (kWidth - kRight) << "\" y=\"" << (kHeight - 2)
      << "\" text-anchor=\"end\">virtual s</text>";
  svg << "</svg>";
  return svg.str();
}

}  // namespace tracksim::reports

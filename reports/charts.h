//! Small static SVG charts for the HTML report: a histogram and a stacked bar chart over time.
//!
//! They are drawn here, in C++, rather than by the page's script, so the figures a person reads
//! are computed once, deterministically, and tested; the report stays readable with scripts off.
//! Every label passes through html_escape. Left out: axes with "nice" tick values beyond a few
//! evenly spaced ticks, legends (the caller writes those as HTML), and interaction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tracksim::reports {

// Counts of samples in equal-width bins over [0, bin_width * bins); `above` of them were larger
// than that and are counted in the last bin too.
struct Histogram {
  double bin_width = 1;
  std::vector<std::uint64_t> counts;
  std::uint64_t above = 0;
};

// `bins` equal bins from 0 up to the smallest "round" bound (1, 2 or 5 times a power of ten)
// that holds `cap`, or the largest sample when cap is 0. Samples beyond the bound fall in the last
// bin, so a long tail (a few operations retried for seconds) does not squash the bulk into one bar.
Histogram make_histogram(const std::vector<double>& samples, int bins, double cap = 0);

// A vertical marker drawn over a histogram (a percentile, say).
struct Marker {
  std::string label;
  double value = 0;
};

// The histogram as an inline <svg>: bars, an x axis labelled in `unit`, and the markers.
std::string svg_histogram(const Histogram& histogram, const std::vector<Marker>& markers,
                          const std::string& unit, const std::string& title);

// One series of a stacked chart: its name, its colour (a CSS colour this code wrote), and one
// count per time bin.
struct Series {
  std::string name;
  std::string colour;
  std::vector<std::uint64_t> counts;
};

// Stacked bars, one per time bin of width `bin_ms`, each series stacked in the order given.
// REQUIRES: every series has the same number of bins.
std::string svg_stacked_bins(const std::vector<Series>& series, double bin_ms,
                             const std::string& title);

// `value` with `decimals` digits after the point, as printf's %.*f writes it.
std::string format_fixed(double value, int decimals);

}  // namespace tracksim::reports

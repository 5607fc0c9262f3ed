// Adding up and rendering a comparison; see compare.h.
#include "reports/compare.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "reports/charts.h"
#include "reports/escape.h"

namespace tracksim::reports {
namespace {

double share(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

std::string percent(double value) {
  return format_fixed(100.0 * value, 1) + "%";
}

std::string count_and_share(std::uint64_t part, std::uint64_t whole) {
  return std::to_string(part) + " (" + percent(share(part, whole)) + ")";
}

}  // namespace

std::string seeds_text(const std::vector<std::uint64_t>& seeds) {
  bool contiguous = !seeds.empty();
  for (std::size_t i = 1; i < seeds.size(); ++i)
    contiguous = contiguous && seeds[i] == seeds[i - 1] + 1;
  if (contiguous && seeds.size() > 2) {
    return std::to_string(seeds.front()) + ".." + std::to_string(seeds.back());
  }
  constexpr std::size_t kListed = 20;
  std::string text;
  for (std::size_t i = 0; i < seeds.size() && i < kListed; ++i)
    text += (i == 0 ? "" : ", ") + std::to_string(seeds[i]);
  if (seeds.size() > kListed) text += ", ... (all of them in the JSON)";
  return text;
}

void ComparisonSide::add(const RunSummary& s) {
  const std::uint64_t answered = s.succeeded + s.failed + s.unknown;
  operations_ += s.operations;
  succeeded_ += s.succeeded;
  failed_ += s.failed + s.unknown;
  pending_ += s.pending;
  parallel_save_errors_ += s.parallel_save_errors;
  answered_ += answered;
  response_ms_sum_ += s.latency.mean_ms * static_cast<double>(s.latency.count);
  virtual_s_sum_ += s.virtual_s;
  seeds_passing_ += s.passed() ? 1 : 0;
  seeds_.push_back(SeedFigures{.seed = s.seed,
                               .operations = s.operations,
                               .succeeded = s.succeeded,
                               .parallel_save_errors = s.parallel_save_errors,
                               .mean_response_ms = s.latency.mean_ms,
                               .passed = s.passed()});
}

double ComparisonSide::success_rate() const {
  return share(succeeded_, operations_);
}
double ComparisonSide::failure_rate() const {
  return share(failed_, operations_);
}
double ComparisonSide::parallel_save_error_rate() const {
  return share(parallel_save_errors_, operations_);
}
double ComparisonSide::mean_response_ms() const {
  return answered_ == 0 ? 0.0 : response_ms_sum_ / static_cast<double>(answered_);
}
double ComparisonSide::operations_per_virtual_s() const {
  return virtual_s_sum_ <= 0 ? 0.0 : static_cast<double>(answered_) / virtual_s_sum_;
}

std::string comparison_markdown(const Comparison& c) {
  const ComparisonSide& a = c.a;
  const ComparisonSide& b = c.b;
  std::string seeds = seeds_text(c.seeds);

  std::ostringstream md;
  const std::string head =
      "| " + markdown_cell(a.label()) + " | " + markdown_cell(b.label()) + " |";
  auto row = [&](const std::string& name, const std::string& x, const std::string& y) {
    md << "| " << name << " | " << x << " | " << y << " |\n";
  };

  md << "## tracksim compare: " << markdown_cell(c.scenario_name) << "\n\n"
     << "Scenario `" << markdown_cell(c.scenario_path) << "`, seeds " << seeds << " ("
     << c.seeds.size() << " per implementation). Every figure is measured in the simulation, in "
     << "virtual time; failed means failed or no answer.\n\n";

  md << "### Before and after\n\n| metric " << head << "\n|---|---:|---:|\n";
  row("ParallelSaveError rate", count_and_share(a.parallel_save_errors(), a.operations()),
      count_and_share(b.parallel_save_errors(), b.operations()));
  row("Mean response time", format_fixed(a.mean_response_ms(), 1) + " ms",
      format_fixed(b.mean_response_ms(), 1) + " ms");
  row("Failed operations", count_and_share(a.failed(), a.operations()),
      count_and_share(b.failed(), b.operations()));
  row("Success rate", percent(a.success_rate()), percent(b.success_rate()));
  row("Seeds where every property holds",
      std::to_string(a.seeds_passing()) + " of " + std::to_string(a.seeds().size()),
      std::to_string(b.seeds_passing()) + " of " + std::to_string(b.seeds().size()));

  md << "\n### Stress test (all seeds together)\n\n| row " << head << "\n|---|---:|---:|\n";
  row("Total operations", std::to_string(a.operations()), std::to_string(b.operations()));
  row("Successful", count_and_share(a.succeeded(), a.operations()),
      count_and_share(b.succeeded(), b.operations()));
  row("Failed", count_and_share(a.failed(), a.operations()),
      count_and_share(b.failed(), b.operations()));
  if (a.pending() + b.pending() > 0) {
    row("Still pending at the end", std::to_string(a.pending()), std::to_string(b.pending()));
  }
  row("ParallelSaveErrors", std::to_string(a.parallel_save_errors()),
      std::to_string(b.parallel_save_errors()));
  row("Average duration", format_fixed(a.mean_response_ms(), 1) + " ms",
      format_fixed(b.mean_response_ms(), 1) + " ms");
  row("Operations per second", format_fixed(a.operations_per_virtual_s(), 1),
      format_fixed(b.operations_per_virtual_s(), 1));

  md << "\n### Per seed\n\n| seed | " << markdown_cell(a.label())
     << " ParallelSaveErrors | success | mean ms | " << markdown_cell(b.label())
     << " ParallelSaveErrors | success | mean ms |\n|---:|---:|---:|---:|---:|---:|---:|\n";
  for (std::size_t i = 0; i < a.seeds().size() && i < b.seeds().size(); ++i) {
    const SeedFigures& x = a.seeds()[i];
    const SeedFigures& y = b.seeds()[i];
    md << "| " << x.seed << " | " << x.parallel_save_errors << " | "
       << percent(share(x.succeeded, x.operations)) << " | " << format_fixed(x.mean_response_ms, 1)
       << " | " << y.parallel_save_errors << " | " << percent(share(y.succeeded, y.operations))
       << " | " << format_fixed(y.mean_response_ms, 1) << " |\n";
  }
  return md.str();
}

namespace {

nlohmann::json side_json(const ComparisonSide& s) {
  nlohmann::json seeds = nlohmann::json::array();
  for (const SeedFigures& f : s.seeds()) {
    seeds.push_back({{"seed", f.seed},
                     {"operations", f.operations},
                     {"succeeded", f.succeeded},
                     {"parallel_save_errors", f.parallel_save_errors},
                     {"mean_response_ms", f.mean_response_ms},
                     {"properties_hold", f.passed}});
  }
  return {
      {"implementation", s.label()},
      {"metrics",
       {{"parallel_save_error_rate", s.parallel_save_error_rate()},
        {"mean_response_ms", s.mean_response_ms()},
        {"failed_operations", s.failed()},
        {"failure_rate", s.failure_rate()},
        {"success_rate", s.success_rate()},
        {"seeds_passing", s.seeds_passing()}}},
      {"stress_test",
       {{"total", s.operations()},
        {"successful", s.succeeded()},
        {"failed", s.failed()},
        {"pending", s.pending()},
        {"parallel_save_errors", s.parallel_save_errors()},
        {"average_duration_ms", s.mean_response_ms()},
        {"operations_per_second", s.operations_per_virtual_s()}}},
      {"per_seed", seeds},
  };
}

}  // namespace

nlohmann::json comparison_json(const Comparison& c) {
  return {{"scenario", {{"name", c.scenario_name}, {"path", c.scenario_path}}},
          {"seeds", c.seeds},
          {"time", "virtual"},
          {"a", side_json(c.a)},
          {"b", side_json(c.b)}};
}

}  // namespace tracksim::reports

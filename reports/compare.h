//! A before/after comparison of two implementations on one scenario and the same seeds.
//!
//! Each side adds up its seeds' summaries: operations, successes, failures (failed or no answer),
//! ParallelSaveErrors, response times and the virtual time the operations spanned. From those
//! come the figures the fix was judged by (ParallelSaveError rate, mean response time, failed
//! operations, success rate) and the rows of its stress test (total, successful, failed,
//! ParallelSaveErrors, average duration, operations per second). All of them are measured in the
//! simulation; none is a constant. Operations per second divides the operations answered by the
//! virtual time their seeds spanned, the seeds laid end to end. Rendered as Markdown for people
//! and JSON for tools, both naming the seeds used.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nlohmann/json_fwd.hpp"
#include "reports/summary.h"

namespace tracksim::reports {

// One seed's headline figures, for the per-seed table.
struct SeedFigures {
  std::uint64_t seed = 0;
  std::uint64_t operations = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t parallel_save_errors = 0;
  double mean_response_ms = 0;
  bool passed = true;
};

class ComparisonSide {
 public:
  explicit ComparisonSide(std::string label) : label_(std::move(label)) {}

  void add(const RunSummary& summary);

  const std::string& label() const { return label_; }
  std::uint64_t operations() const { return operations_; }
  std::uint64_t succeeded() const { return succeeded_; }
  // Failed, or no answer before the client gave up.
  std::uint64_t failed() const { return failed_; }
  std::uint64_t pending() const { return pending_; }
  std::uint64_t parallel_save_errors() const { return parallel_save_errors_; }
  std::uint64_t seeds_passing() const { return seeds_passing_; }
  double success_rate() const;
  double failure_rate() const;
  double parallel_save_error_rate() const;
  // Mean over every answered operation of every seed, in virtual ms.
  double mean_response_ms() const;
  double operations_per_virtual_s() const;
  const std::vector<SeedFigures>& seeds() const { return seeds_; }

 private:
  std::string label_;
  std::uint64_t operations_ = 0;
  std::uint64_t succeeded_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t pending_ = 0;
  std::uint64_t parallel_save_errors_ = 0;
  std::uint64_t answered_ = 0;
  double response_ms_sum_ = 0;
  double virtual_s_sum_ = 0;
  std::uint64_t seeds_passing_ = 0;
  std::vector<SeedFigures> seeds_;
};

struct Comparison {
  std::string scenario_name;
  std::string scenario_path;
  std::vector<std::uint64_t> seeds;
  ComparisonSide a{"a"};
  ComparisonSide b{"b"};
};

// "1..20" for a contiguous range, else the seeds listed (the first 20, then an ellipsis).
std::string seeds_text(const std::vector<std::uint64_t>& seeds);

std::string comparison_markdown(const Comparison& comparison);
nlohmann::json comparison_json(const Comparison& comparison);

}  // namespace tracksim::reports

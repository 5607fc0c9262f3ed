//! JUnit XML for CI systems: one test case per property per seed.
//!
//! A JunitSuite collects the property verdicts of a scenario's seeds as they finish and renders
//! one document: a <testsuites> element holding one <testsuite> per seed, named
//! "SCENARIO.seed-N", with one <testcase> per checked property. A violated property is a
//! <failure> whose text lists its witnesses and the command that reruns the seed. A run that
//! ended abnormally (deadlock, a fiber's exception) shows up through the run_completed property.
//! No timestamps or wall-clock durations are written, so the file is a function of the runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reports/summary.h"

namespace tracksim::reports {

class JunitSuite {
 public:
  explicit JunitSuite(std::string scenario_name) : scenario_name_(std::move(scenario_name)) {}

  // Adds one seed's verdicts; `rerun` is the command that reruns it ("" to leave it out).
  void add(const RunSummary& summary, const std::string& rerun);

  std::uint64_t tests() const;
  std::uint64_t failures() const;
  std::string xml() const;

 private:
  // Runs of many seeds check the same properties, so each seed keeps an index into a list of
  // distinct name lists and the details of its failures only: a million seeds fit in memory.
  struct Failure {
    std::size_t property = 0;  // position in the seed's name list
    std::uint64_t violations = 0;
    std::string details;  // witnesses, one a line
  };
  struct Seed {
    std::uint64_t seed = 0;
    std::size_t names = 0;  // index into names_
    std::string rerun;      // kept for failing seeds only
    std::vector<Failure> failures;
  };
  std::string scenario_name_;
  std::string implementation_;
  std::vector<std::vector<std::string>> names_;
  std::vector<Seed> seeds_;
};

}  // namespace tracksim::reports

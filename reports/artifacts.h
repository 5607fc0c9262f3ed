//! Writing a run's report files into its output folder.
//!
//! Per seed, beside summary.json: report.html (see html_report.h) and junit.xml with that seed's
//! properties. For a run of several seeds the caller also writes one junit.xml for all of them
//! (see JunitSuite). Every file is written atomically: a temporary file beside it, then a rename,
//! so a reader never sees half a report.
#pragma once

#include <cstdint>
#include <string>

#include "reports/junit.h"
#include "reports/summary.h"
#include "sim/world/world.h"

namespace tracksim::reports {

// Writes `text` to `path` atomically, creating the parent folders. Throws std::runtime_error
// naming the path when it cannot.
void write_atomically(const std::string& path, const std::string& text);

// Writes `dir`/report.html and `dir`/junit.xml for one seed. `rerun` is the command that reruns
// the seed.
void write_run_artifacts(const std::string& dir, const sim::WorldResult& world,
                         const RunSummary& summary, const std::string& rerun);

// The report files of a run of one or more seeds, for the run command. A sweep of many seeds
// writes report.html for every failing seed but only for the first kPassingReports passing ones:
// a page per seed of a million-seed sweep would fill the disk with pages nobody opens.
//
//   RunArtifacts artifacts(out, scenario.name);
//   for each seed: artifacts.add_seed(seed_dir, world, summary, rerun);
//   artifacts.finish();  // OUT/junit.xml, every seed's properties
class RunArtifacts {
 public:
  static constexpr std::uint64_t kPassingReports = 100;

  RunArtifacts(std::string out_dir, std::string scenario_name)
      : out_dir_(std::move(out_dir)), junit_(std::move(scenario_name)) {}

  // write_run_artifacts for this seed, and its verdicts kept for the run's junit.xml.
  void add_seed(const std::string& seed_dir, const sim::WorldResult& world,
                const RunSummary& summary, const std::string& rerun);
  void finish();

 private:
  std::string out_dir_;
  JunitSuite junit_;
  std::uint64_t passing_reports_ = 0;
};

}  // namespace tracksim::reports

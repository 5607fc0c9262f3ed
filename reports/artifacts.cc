// Writing report files atomically; see artifacts.h.
#include "reports/artifacts.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "reports/html_report.h"

namespace tracksim::reports {

void write_atomically(const std::string& path, const std::string& text) {
  const std::filesystem::path target(path);
  std::error_code error;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), error);
  if (error)
    throw std::runtime_error("cannot create the folder of " + path + ": " + error.message());
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + temporary);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + temporary);
  }
  std::filesystem::rename(temporary, target, error);
  if (error) throw std::runtime_error("cannot rename " + temporary + ": " + error.message());
}

void write_run_artifacts(const std::string& dir, const sim::WorldResult& world,
                         const RunSummary& summary, const std::string& rerun) {
  write_atomically(dir + "/report.html", html_report(world, summary, rerun));
  JunitSuite junit(summary.scenario_name);
  junit.add(summary, rerun);
  write_atomically(dir + "/junit.xml", junit.xml());
}

void RunArtifacts::add_seed(const std::string& seed_dir, const sim::WorldResult& world,
                            const RunSummary& summary, const std::string& rerun) {
  if (!summary.passed() || passing_reports_ < kPassingReports) {
    write_atomically(seed_dir + "/report.html", html_report(world, summary, rerun));
    if (summary.passed()) ++passing_reports_;
  }
  JunitSuite seed_junit(summary.scenario_name);
  seed_junit.add(summary, rerun);
  write_atomically(seed_dir + "/junit.xml", seed_junit.xml());
  junit_.add(summary, rerun);
}

void RunArtifacts::finish() {
  write_atomically(out_dir_ + "/junit.xml", junit_.xml());
}

}  // namespace tracksim::reports

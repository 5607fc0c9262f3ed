// Rendering JUnit XML; see junit.h.
#include "reports/junit.h"

#include <algorithm>
#include <sstream>

#include "reports/escape.h"

namespace tracksim::reports {

void JunitSuite::add(const RunSummary& summary, const std::string& rerun) {
  std::vector<std::string> names;
  for (const properties::PropertyResult& p : summary.properties)
    names.push_back(p.name);
  auto same = std::find(names_.begin(), names_.end(), names);
  if (same == names_.end()) same = names_.insert(names_.end(), std::move(names));
  implementation_ = summary.implementation;

  Seed seed;
  seed.seed = summary.seed;
  seed.names = static_cast<std::size_t>(same - names_.begin());
  for (std::size_t i = 0; i < summary.properties.size(); ++i) {
    const properties::PropertyResult& p = summary.properties[i];
    if (p.holds) continue;
    Failure f;
    f.property = i;
    f.violations = p.violations;
    for (const properties::Witness& w : p.witnesses)
      f.details += "- " + w.explanation + "\n";
    if (p.violations > p.witnesses.size()) {
      f.details += "(and " + std::to_string(p.violations - p.witnesses.size()) + " more)\n";
    }
    seed.failures.push_back(std::move(f));
  }
  if (!seed.failures.empty()) seed.rerun = rerun;
  seeds_.push_back(std::move(seed));
}

std::uint64_t JunitSuite::tests() const {
  std::uint64_t n = 0;
  for (const Seed& s : seeds_)
    n += names_[s.names].size();
  return n;
}

std::uint64_t JunitSuite::failures() const {
  std::uint64_t n = 0;
  for (const Seed& s : seeds_)
    n += s.failures.size();
  return n;
}

std::string JunitSuite::xml() const {
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"tracksim " << xml_escape(scenario_name_) << "\" tests=\"" << tests()
      << "\" failures=\"" << failures() << "\" errors=\"0\">\n";
  for (const Seed& s : seeds_) {
    const std::vector<std::string>& names = names_[s.names];
    const std::string suite = scenario_name_ + ".seed-" + std::to_string(s.seed);
    const std::string classname = xml_escape("tracksim." + suite);
    out << "  <testsuite name=\"" << xml_escape(suite) << "\" tests=\"" << names.size()
        << "\" failures=\"" << s.failures.size() << "\" errors=\"0\" skipped=\"0\">\n"
        << "    <properties>\n"
        << "      <property name=\"seed\" value=\"" << s.seed << "\"/>\n"
        << "      <property name=\"implementation\" value=\"" << xml_escape(implementation_)
        << "\"/>\n";
    if (!s.rerun.empty()) {
      out << "      <property name=\"rerun\" value=\"" << xml_escape(s.rerun) << "\"/>\n";
    }
    out << "    </properties>\n";
    auto failure = s.failures.begin();
    for (std::size_t i = 0; i < names.size(); ++i) {
      out << "    <testcase classname=\"" << classname << "\" name=\"" << xml_escape(names[i])
          << "\"";
      if (failure == s.failures.end() || failure->property != i) {
        out << "/>\n";
        continue;
      }
      const std::string text = failure->details + (s.rerun.empty() ? "" : "rerun: " + s.rerun);
      out << ">\n      <failure message=\"" << xml_escape(names[i]) << ": " << failure->violations
          << " violation(s)\" type=\"PropertyViolation\">" << xml_escape(text)
          << "</failure>\n    </testcase>\n";
      ++failure;
    }
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
  return out.str();
}

}  // namespace tracksim::reports

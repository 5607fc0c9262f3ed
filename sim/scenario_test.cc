// Scenario files: strict parsing with located one-line errors, the TOML round trip, and the field
// reference in docs/scenarios.md kept equal to the field table.
//
// Tests run from the source directory (CTest's working directory), so they can read the shipped
// scenarios and docs. Files for the error cases are written under the system's temp directory.
#include "sim/scenario.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tracksim::sim {
namespace {

namespace fs = std::filesystem;

const char* const kMinimal = "[scenario]\nname = \"t\"\n";

// The one-line message parse_scenario throws for `text`, or "" when it parses.
std::string error_of(const std::string& text) {
  try {
    parse_scenario(text, "t.toml");
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

std::string load_error_of(const std::string& path) {
  try {
    load_scenario(path);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "tracksim-scenario-test";
  fs::create_directories(dir);
  return dir / name;
}

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

TEST(ScenarioParse, MinimalFileTakesEveryDefault) {
  const Scenario s = parse_scenario(kMinimal, "t.toml");
  EXPECT_EQ(s.name, "t");
  EXPECT_EQ(s.path, "t.toml");
  EXPECT_EQ(s.text, kMinimal);
  EXPECT_EQ(s.workload.operations, WorkloadConfig{}.operations);
  EXPECT_TRUE(s.faults.empty());
}

TEST(ScenarioParse, UnknownKeyNamesFileLineColumnAndField) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "[workload]\ndrivrs = 3\n"),
            "t.toml:4:10: field 'workload.drivrs' is not a known field (docs/scenarios.md lists "
            "them)");
}

TEST(ScenarioParse, UnknownSectionIsNamed) {
  const std::string e = error_of(std::string(kMinimal) + "[wrokload]\ndrivers = 3\n");
  EXPECT_NE(e.find("t.toml:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("field 'wrokload' is not a known section"), std::string::npos) << e;
}

TEST(ScenarioParse, WrongTypeSaysWhatWasExpected) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "[workload]\ndrivers = \"three\"\n"),
            "t.toml:4:11: field 'workload.drivers' must be an integer, not a string");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[workload]\ndrivers = 2.5\n"),
            "t.toml:4:11: field 'workload.drivers' must be an integer, not a number");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[model]\nmonitoring_enabled = 1\n"),
            "t.toml:4:22: field 'model.monitoring_enabled' must be true or false, not an integer");
}

TEST(ScenarioParse, OutOfRangeGivesTheRange) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "[network]\nloss_rate = 1.5\n"),
            "t.toml:4:13: field 'network.loss_rate' is 1.5, outside its range [0, 1]");
  EXPECT_EQ(error_of(std::string(kMinimal) + "[workload]\ndrivers = 0\n"),
            "t.toml:4:11: field 'workload.drivers' is 0, outside its range [1, 100000]");
  EXPECT_NE(error_of(std::string(kMinimal) + "[network]\nloss_rate = nan\n").find("finite"),
            std::string::npos);
}

TEST(ScenarioParse, BadChoiceListsTheChoices) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "[implementation]\nkind = \"old\"\n"),
            "t.toml:4:8: field 'implementation.kind' must be one of \"fixed\", \"legacy\", not "
            "\"old\"");
}

TEST(ScenarioParse, FaultErrorsNameTheFault) {
  const std::string base = std::string(kMinimal) + "[[faults]]\n";
  EXPECT_EQ(error_of(base + "kind = \"meteor\"\nat_s = 1\n").substr(0, 42),
            "t.toml:4:8: field 'faults[0].kind' must be");
  EXPECT_NE(error_of(base + "kind = \"partition\"\n").find("field 'faults[0].at_s' is missing"),
            std::string::npos);
  EXPECT_NE(error_of(base + "kind = \"partition\"\nat_s = 1\nwhen = 2\n")
                .find("field 'faults[0].when' is not a field of a fault"),
            std::string::npos);
  EXPECT_NE(error_of("faults = 3\n" + std::string(kMinimal)).find("must be an array of tables"),
            std::string::npos);
}

TEST(ScenarioParse, CrossFieldChecks) {
  EXPECT_NE(error_of("[scenario]\nduration_s = 5\n").find("field 'scenario.name' is missing"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kMinimal) + "[storage]\nmin_pool_size = 30\nmax_pool_size = 20\n")
                .find("must not exceed storage.max_pool_size"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kMinimal) + "[implementation]\nmutants = [\"no_such_bug\"]\n")
                .find("no_such_bug"),
            std::string::npos);
}

TEST(ScenarioParse, InvalidTomlIsLocated) {
  const std::string e = error_of(std::string(kMinimal) + "[workload\n");
  EXPECT_EQ(e.rfind("t.toml:3:", 0), 0u) << e;
  EXPECT_NE(e.find("is not valid TOML"), std::string::npos) << e;
}

TEST(ScenarioLoad, MissingFile) {
  EXPECT_EQ(load_error_of("no/such/file.toml"), "no/such/file.toml: no such scenario file");
}

TEST(ScenarioLoad, Directory) {
  const fs::path dir = scratch("a-directory.toml");
  fs::create_directories(dir);
  EXPECT_EQ(load_error_of(dir.string()), dir.string() + ": is a directory, not a scenario file");
}

TEST(ScenarioLoad, EmptyFile) {
  const fs::path path = scratch("empty.toml");
  write(path, "\n  \n");
  EXPECT_EQ(load_error_of(path.string()),
            path.string() + ": is empty; a scenario needs at least [scenario] name");
}

TEST(ScenarioLoad, BinaryGarbageIsOneLine) {
  const fs::path path = scratch("garbage.toml");
  std::string bytes;
  for (int i = 0; i < 512; ++i)
    bytes += static_cast<char>((i * 131 + 7) % 256);
  write(path, bytes);
  const std::string e = load_error_of(path.string());
  ASSERT_FALSE(e.empty());
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  EXPECT_EQ(e.rfind(path.string() + ":", 0), 0u) << e;
}

TEST(ScenarioLoad, ControlBytesWithoutNulAreStillOneLine) {
  const fs::path path = scratch("control.toml");
  write(path, "\x01\x02\x1b[31m\r\x7f");
  const std::string e = load_error_of(path.string());
  ASSERT_FALSE(e.empty());
  for (char c : e)
    EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20) << e;
}

TEST(ScenarioToml, RoundTripIsExact) {
  const std::string text = std::string(kMinimal) +
                           "description = \"quote \\\" and tab\\t\"\nduration_s = 12.5\n"
                           "seeds = [3, 9]\n[model]\nlock_timeout_ms = 1.3\n"
                           "[storage]\nschema = \"safe\"\nttl_monitor_period_s = 0.7\n"
                           "[workload]\nkind = \"routes\"\n"
                           "[[faults]]\nkind = \"partition\"\nat_s = 1.25\nduration_s = 3\n"
                           "target = \"driver-2\"\n";
  const Scenario first = parse_scenario(text, "t.toml");
  const std::string emitted = to_toml(first, "written by a test\n\nsecond line");
  const Scenario second = parse_scenario(emitted, "t.toml");
  EXPECT_EQ(to_toml(second), to_toml(first));
  EXPECT_EQ(second.backend.atomic.lock_timeout_ns, first.backend.atomic.lock_timeout_ns);
  EXPECT_EQ(second.storage.ttl_monitor_period_ns, first.storage.ttl_monitor_period_ns);
  EXPECT_EQ(second.description, "quote \" and tab\t");
  ASSERT_EQ(second.faults.size(), 1u);
  EXPECT_EQ(second.faults[0].target, "driver-2");
  EXPECT_EQ(emitted.rfind("# written by a test\n#\n# second line\n", 0), 0u) << emitted;
}

TEST(ScenarioToml, ShippedScenariosRoundTrip) {
  for (const auto& entry : fs::directory_iterator("scenarios")) {
    if (entry.path().extension() != ".toml") continue;
    SCOPED_TRACE(entry.path().string());
    const Scenario s = load_scenario(entry.path().string());
    EXPECT_EQ(to_toml(parse_scenario(to_toml(s), "x.toml")), to_toml(s));
  }
}

TEST(ScenarioDocs, EveryFieldIsDescribed) {
  for (const FieldDoc& d : scenario_field_docs()) {
    EXPECT_FALSE(d.description.empty()) << d.section << "." << d.key << " needs a description";
    const bool numeric = d.type == "integer" || d.type == "number";
    if (numeric) {
      EXPECT_FALSE(d.range.empty()) << d.section << "." << d.key;
    }
  }
}

// docs/scenarios.md carries the generated reference between two markers. To refresh it after
// changing the field table, run this test with TRACKSIM_UPDATE_DOCS=1.
TEST(ScenarioDocs, ReferenceMatchesFieldTable) {
  const std::string begin = "<!-- BEGIN GENERATED FIELDS -->\n";
  const std::string end = "<!-- END GENERATED FIELDS -->";
  std::ifstream in("docs/scenarios.md", std::ios::binary);
  ASSERT_TRUE(in) << "docs/scenarios.md is missing";
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string doc = buffer.str();
  const auto b = doc.find(begin);
  const auto e = doc.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  const std::string current = doc.substr(b + begin.size(), e - b - begin.size());
  const std::string wanted = scenario_reference_markdown();
  if (current != wanted && std::getenv("TRACKSIM_UPDATE_DOCS") != nullptr) {
    doc.replace(b + begin.size(), e - b - begin.size(), wanted);
    std::ofstream("docs/scenarios.md", std::ios::binary | std::ios::trunc) << doc;
    return;
  }
  EXPECT_EQ(current, wanted) << "docs/scenarios.md is out of date with the field table in "
                                "sim/scenario.cc; rerun this test with TRACKSIM_UPDATE_DOCS=1";
}

}  // namespace
}  // namespace tracksim::sim

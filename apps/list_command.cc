// `tracksim validate` and `tracksim list`: what a scenario file holds, and what there is to run.
//
// validate checks scenario files without running them (the same strict parser `run` uses, plus
// the overrides' checks). list prints the shipped scenarios with the first line of their opening
// comment, the properties, the planted bugs, the fault kinds and the scenario fields, as text or
// JSON; `list fields --markdown` prints the reference table docs/scenarios.md carries.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/cli.h"
#include "apps/harness.h"
#include "model/mutants.h"
#include "properties/checkers.h"

namespace tracksim::cli {
namespace {

// --- validate ------------------------------------------------------------------------------------

struct ValidateArgs {
  std::vector<std::string> paths;
  bool json = false;
};

int command_validate(const ValidateArgs& args) {
  nlohmann::json results = nlohmann::json::array();
  bool all_valid = true;
  for (const std::string& path : args.paths) {
    try {
      sim::Scenario scenario = sim::load_scenario(path);
      apply_overrides(scenario, Overrides{});
      const std::string implementation = reports::implementation_label(scenario.backend);
      results.push_back({{"path", path},
                         {"valid", true},
                         {"scenario", scenario.name},
                         {"implementation", implementation},
                         {"workload", sim::to_string(scenario.workload.kind)},
                         {"seeds", scenario.seeds},
                         {"faults", scenario.faults.size()}});
      if (!args.json) {
        std::printf("%s: ok (scenario %s, %s, %s workload, %zu default seed(s), %zu fault(s))\n",
                    path.c_str(), scenario.name.c_str(), implementation.c_str(),
                    std::string(sim::to_string(scenario.workload.kind)).c_str(),
                    scenario.seeds.size(), scenario.faults.size());
      }
    } catch (const sim::ScenarioError& e) {
      all_valid = false;
      results.push_back({{"path", path}, {"valid", false}, {"error", e.what()}});
      if (!args.json) std::fprintf(stderr, "tracksim: %s\n", e.what());
    }
  }
  if (args.json) std::cout << nlohmann::json{{"results", results}}.dump(2) << "\n";
  return all_valid ? kExitPass : kExitBadInput;
}

// --- list ----------------------------------------------------------------------------------------

struct ListArgs {
  std::string what = "all";
  std::string dir = "scenarios";
  bool json = false;
  bool markdown = false;
};

struct ScenarioEntry {
  std::string file;
  std::string summary;  // the first line of the opening comment
  std::string error;    // empty when the file validates
};

// The first comment line of `path`, without "# " and without a leading "NAME: " that repeats the
// file's own name.
std::string first_comment_line(const std::filesystem::path& path) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    if (line[start] != '#') return "";
    std::string text = line.substr(line.find_first_not_of("# \t", start) == std::string::npos
                                       ? line.size()
                                       : line.find_first_not_of("# \t", start));
    const std::string prefix = path.stem().string() + ": ";
    if (text.rfind(prefix, 0) == 0) text = text.substr(prefix.size());
    return text;
  }
  return "";
}

std::vector<ScenarioEntry> scenario_entries(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw UsageError(dir + ": no such scenario folder");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".toml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<ScenarioEntry> entries;
  for (const fs::path& file : files) {
    ScenarioEntry e;
    e.file = file.string();
    e.summary = first_comment_line(file);
    try {
      sim::Scenario scenario = sim::load_scenario(e.file);
      apply_overrides(scenario, Overrides{});
    } catch (const sim::ScenarioError& error) {
      e.error = error.what();
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

bool wants(const ListArgs& args, std::string_view what) {
  return args.what == "all" || args.what == what;
}

int command_list(const ListArgs& args) {
  static const std::vector<std::string> kWhat = {"all",     "scenarios", "properties",
                                                 "mutants", "faults",    "fields"};
  if (std::find(kWhat.begin(), kWhat.end(), args.what) == kWhat.end()) {
    throw UsageError("list: '" + args.what +
                     "' is not one of all, scenarios, properties, mutants, faults, fields");
  }
  if (args.markdown) {
    if (args.what != "fields") throw UsageError("list: --markdown goes with 'list fields'");
    std::fputs(sim::scenario_reference_markdown().c_str(), stdout);
    return kExitPass;
  }

  nlohmann::json doc = nlohmann::json::object();
  if (wants(args, "scenarios")) {
    const auto entries = scenario_entries(args.dir);
    nlohmann::json list = nlohmann::json::array();
    if (!args.json) std::printf("scenarios (%s):\n", args.dir.c_str());
    for (const ScenarioEntry& e : entries) {
      list.push_back({{"file", e.file}, {"summary", e.summary}, {"valid", e.error.empty()}});
      if (!e.error.empty()) list.back()["error"] = e.error;
      if (!args.json) {
        std::printf("  %-36s %s%s\n", e.file.c_str(), e.summary.c_str(),
                    e.error.empty() ? "" : "  [INVALID: see tracksim validate]");
      }
    }
    doc["scenarios"] = list;
  }
  if (wants(args, "properties")) {
    nlohmann::json list = nlohmann::json::array();
    if (!args.json) std::printf("properties:\n");
    for (const auto& p : properties::property_catalogue()) {
      list.push_back({{"name", p.name}, {"description", p.description}});
      if (!args.json) std::printf("  %-36s %s\n", p.name.c_str(), p.description.c_str());
    }
    doc["properties"] = list;
  }
  if (wants(args, "mutants")) {
    nlohmann::json list = nlohmann::json::array();
    if (!args.json) std::printf("planted bugs (--mutant NAME):\n");
    for (const auto& m : model::mutant_catalogue()) {
      list.push_back(
          {{"name", m.name}, {"description", m.description}, {"breaks", m.breaks_invariant}});
      if (!args.json) {
        std::printf("  %-36s %s\n", std::string(m.name).c_str(),
                    std::string(m.description).c_str());
      }
    }
    doc["mutants"] = list;
  }
  if (wants(args, "faults")) {
    nlohmann::json list = nlohmann::json::array();
    if (!args.json) std::printf("fault kinds ([[faults]] kind = NAME):\n");
    for (const auto& f : sim::fault_kinds()) {
      list.push_back({{"name", f.name}, {"description", f.description}});
      if (!args.json) {
        std::printf("  %-36s %s\n", std::string(f.name).c_str(),
                    std::string(f.description).c_str());
      }
    }
    doc["faults"] = list;
  }
  if (wants(args, "fields")) {
    nlohmann::json list = nlohmann::json::array();
    if (!args.json) std::printf("scenario fields (docs/scenarios.md):\n");
    for (const sim::FieldDoc& f : sim::scenario_field_docs()) {
      const std::string name = (f.section == "faults" ? "faults[]." : f.section + ".") + f.key;
      list.push_back({{"name", name},
                      {"type", f.type},
                      {"default", f.default_value},
                      {"range", f.range},
                      {"description", f.description}});
      if (!args.json) {
        std::printf("  %-36s %s (default %s)\n", name.c_str(), f.description.c_str(),
                    f.default_value.empty() ? "none: required" : f.default_value.c_str());
      }
    }
    doc["fields"] = list;
  }
  if (args.json) std::cout << doc.dump(2) << "\n";
  return kExitPass;
}

}  // namespace

Command add_validate_command(CLI::App& app) {
  auto args = std::make_shared<ValidateArgs>();
  CLI::App* validate = app.add_subcommand(
      "validate",
      "Check scenario files without running them. Exit 0 when all are valid; otherwise one line "
      "per invalid file naming its line, column and field, and exit 2.");
  validate->add_option("scenario", args->paths, "Scenario files (.toml)")->required();
  validate->add_flag("--json", args->json, "Print the results as JSON");
  return Command{validate, [args] { return command_validate(*args); }};
}

Command add_list_command(CLI::App& app) {
  auto args = std::make_shared<ListArgs>();
  CLI::App* list = app.add_subcommand(
      "list",
      "List the shipped scenarios (with the first line of their opening comment), the "
      "properties, the planted bugs, the fault kinds and the scenario fields");
  list->add_option("what", args->what,
                   "One of all (the default), scenarios, properties, mutants, faults, fields");
  list->add_option("--dir", args->dir, "Where the scenarios are (default scenarios)");
  list->add_flag("--json", args->json, "Print the lists as JSON");
  list->add_flag("--markdown", args->markdown,
                 "With 'fields': print the reference tables of docs/scenarios.md");
  return Command{list, [args] { return command_list(*args); }};
}

}  // namespace tracksim::cli

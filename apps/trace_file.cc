// Reading and checking trace files; see trace_file.h.
#include "apps/trace_file.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "apps/cli.h"

namespace tracksim::cli {
namespace {

using nlohmann::json;

// The footer is short; reading this much from the end of the file always holds all of it.
constexpr std::size_t kFooterWindowBytes = 4096;

[[noreturn]] void bad(const std::string& path, const std::string& message) {
  throw UsageError(path + ": " + message);
}

std::string header_string(const json& header, const char* key, const std::string& path) {
  const auto it = header.find(key);
  if (it == header.end() || !it->is_string()) {
    bad(path + ":1", std::string("header field '") + key + "' is missing or not a string");
  }
  return it->get<std::string>();
}

Overrides overrides_of(const json& options, const std::string& path) {
  const std::string where = path + ":1";
  Overrides o;
  if (!options.is_object()) bad(where, "header field 'options' is not an object");
  for (const auto& [key, value] : options.items()) {
    if (key == "implementation" && value.is_string()) {
      o.implementation = model::implementation_from_string(value.get<std::string>());
      if (!o.implementation) bad(where, "header option 'implementation' is not fixed or legacy");
    } else if (key == "mutants" && value.is_array()) {
      for (const json& m : value) {
        if (!m.is_string()) bad(where, "header option 'mutants' must list strings");
        o.mutants.push_back(m.get<std::string>());
      }
    } else if (key == "schedule" && value.is_string()) {
      o.schedule = sim::schedule_strategy_from_string(value.get<std::string>());
      if (!o.schedule) bad(where, "header option 'schedule' names no scheduling policy");
    } else {
      bad(where, "header option '" + key + "' is unknown to this tracksim");
    }
  }
  return o;
}

// The number of newline bytes in the file.
std::uint64_t count_lines(std::ifstream& in) {
  in.clear();
  in.seekg(0);
  std::uint64_t lines = 0;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    const char* p = chunk;
    const char* end = chunk + in.gcount();
    while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))))
      ++lines, ++p;
    if (!in) break;
  }
  return lines;
}

}  // namespace

TraceHeader read_trace(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) bad(path, "no such trace file");
  if (fs::is_directory(status)) bad(path, "is a directory, not a trace file");
  if (!fs::is_regular_file(status)) bad(path, "is not a regular file");
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) bad(path, "cannot read trace file");
  if (size == 0) bad(path, "is empty; not a tracksim trace");

  std::ifstream in(path, std::ios::binary);
  if (!in) bad(path, "cannot open trace file");

  // The header: one JSON object that says what ran.
  std::string first;
  std::getline(in, first);
  const json header = json::parse(first, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) {
    bad(path + ":1", "the header line is not a JSON object; not a tracksim trace");
  }
  if (header.value("format", std::string()) != "tracksim-trace") {
    bad(path + ":1", "not a tracksim trace (its header has no \"format\": \"tracksim-trace\")");
  }
  const auto version = header.find("format_version");
  if (version == header.end() || !version->is_number_integer()) {
    bad(path + ":1", "header field 'format_version' is missing or not an integer");
  }
  if (version->get<std::int64_t>() != kTraceFormatVersion) {
    bad(path + ":1", "trace format version " + version->dump() + " is not supported; tracksim " +
                         std::string(tracksim_version()) + " reads version " +
                         std::to_string(kTraceFormatVersion));
  }

  TraceHeader trace;
  trace.path = path;
  trace.format_version = kTraceFormatVersion;
  trace.tracksim_version = header_string(header, "tracksim_version", path);
  trace.scenario_path = header_string(header, "scenario_path", path);
  trace.scenario_text = header_string(header, "scenario_text", path);
  const auto seed = header.find("seed");
  if (seed == header.end() || !seed->is_number_unsigned()) {
    bad(path + ":1", "header field 'seed' is missing or not a whole number");
  }
  trace.seed = seed->get<std::uint64_t>();
  trace.overrides = overrides_of(header.value("options", json::object()), path);

  // The footer: the last line, present only when the run that wrote the file finished.
  in.clear();
  const std::size_t window =
      static_cast<std::size_t>(std::min<std::uintmax_t>(size, kFooterWindowBytes));
  std::string tail(window, '\0');
  in.seekg(static_cast<std::streamoff>(size - window));
  in.read(tail.data(), static_cast<std::streamsize>(window));
  if (tail.empty() || tail.back() != '\n') {
    bad(path, "is truncated: it does not end with a complete footer line");
  }
  const auto start = tail.rfind('\n', tail.size() - 2);
  const std::string last = tail.substr(start == std::string::npos ? 0 : start + 1);
  const json footer = json::parse(last, nullptr, /*allow_exceptions=*/false);
  if (footer.is_discarded() || !footer.is_object() || footer.value("end", false) != true ||
      !footer.contains("lines") || !footer["lines"].is_number_unsigned() ||
      !footer.contains("digest") || !footer["digest"].is_string()) {
    bad(path,
        "is truncated: its last line is not the footer (the run that wrote it stopped early)");
  }
  trace.event_lines = footer["lines"].get<std::uint64_t>();
  trace.digest = footer["digest"].get<std::string>();

  const std::uint64_t lines = count_lines(in);
  if (lines != trace.event_lines + 2) {
    bad(path, "is damaged: its footer counts " + std::to_string(trace.event_lines) +
                  " event lines, but it holds " + std::to_string(lines < 2 ? 0 : lines - 2));
  }
  return trace;
}

sim::Scenario scenario_of(const TraceHeader& trace) {
  sim::Scenario scenario;
  try {
    scenario = sim::parse_scenario(trace.scenario_text, trace.scenario_path);
  } catch (const sim::ScenarioError& e) {
    throw sim::ScenarioError(trace.path +
                             ":1: the scenario in its header does not parse: " + e.what());
  }
  apply_overrides(scenario, trace.overrides);
  return scenario;
}

}  // namespace tracksim::cli

// Strict TOML parsing of scenario files against one table of fields.
//
// Each known field is one row of kFields: its section and key, its type, its range, and how it
// sets the Scenario. Parsing walks the document, looks every key up in that table, and reports the
// first problem with its position; nothing unknown is ignored.
#include "sim/scenario.h"

#include <toml++/toml.h>
#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>

namespace tracksim::sim {
namespace {

enum class Type : unsigned char { kInt, kNumber, kBool, kString, kIntArray, kStringArray };

std::string_view type_name(Type t) {
  switch (t) {
    case Type::kInt:
      return "an integer";
    case Type::kNumber:
      return "a number";
    case Type::kBool:
      return "true or false";
    case Type::kString:
      return "a string";
    case Type::kIntArray:
      return "an array of integers";
    case Type::kStringArray:
      return "an array of strings";
  }
  return "?";
}

std::string_view node_type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date or time";
  }
}

// A value read from the file, already checked against its field's type and range.
struct Value {
  explicit Value(const toml::node& n) : node(n) {}
  const toml::node& node;
  double number = 0;
  std::int64_t integer = 0;
  bool boolean = false;
  std::string text;
  std::vector<std::int64_t> integers;
  std::vector<std::string> texts;
};

struct Field {
  std::string_view section;
  std::string_view key;
  Type type;
  double min;
  double max;
  // Sets the field; returns an error message for a value it cannot take, or "".
  std::function<std::string(Scenario&, const Value&)> set;
};

constexpr double kInf = HUGE_VAL;

template <class Enum, class Parse>
std::string set_enum(Enum& out, const Value& v, Parse parse, std::string_view choices) {
  auto parsed = parse(v.text);
  if (!parsed) return "must be one of " + std::string(choices) + ", not \"" + v.text + "\"";
  out = *parsed;
  return "";
}

std::optional<ScheduleStrategy> schedule_from(std::string_view s) {
  return schedule_strategy_from_string(s);
}

std::optional<WorkloadKind> workload_from(std::string_view s) {
  if (s == "burst") return WorkloadKind::kBurst;
  if (s == "routes") return WorkloadKind::kRoutes;
  return std::nullopt;
}

std::optional<FaultKind> fault_from(std::string_view s) {
  if (s == "partition") return FaultKind::kPartition;
  if (s == "storage_failover") return FaultKind::kStorageFailover;
  if (s == "offline") return FaultKind::kOffline;
  return std::nullopt;
}

#define NUM(section, key, lo, hi, expr)                                    \
  Field {                                                                  \
    section, key, Type::kNumber, lo, hi, [](Scenario& s, const Value& v) { \
      expr = v.number;                                                     \
      return std::string();                                                \
    }                                                                      \
  }
#define INT(section, key, lo, hi, expr)                                 \
  Field {                                                               \
    section, key, Type::kInt, lo, hi, [](Scenario& s, const Value& v) { \
      expr = static_cast<int>(v.integer);                               \
      return std::string();                                             \
    }                                                                   \
  }
#define MS(section, key, lo, hi, expr)                                     \
  Field {                                                                  \
    section, key, Type::kNumber, lo, hi, [](Scenario& s, const Value& v) { \
      expr = millis_f(v.number);                                           \
      return std::string();                                                \
    }                                                                      \
  }

const std::vector<Field>& fields() {
  static const std::vector<Field> kFields = {
      Field{"scenario", "name", Type::kString, 0, 0,
            [](Scenario& s, const Value& v) { s.name = v.text; return std::string(); }},
      Field{"scenario", "description", Type::kString, 0, 0,
            [](Scenario& s, const Value& v) { s.description = v.text; return std::string(); }},
      NUM("scenario", "duration_s", 0.001, 30 * 24 * 3600.0, s.duration_s),
      NUM("scenario", "drain_s", 0, 24 * 3600.0, s.drain_s),
      Field{"scenario", "seeds", Type::kIntArray, 0, 9.0e18,
            [](Scenario& s, const Value& v) {
              if (v.integers.empty()) return std::string("must list at least one seed");
              s.seeds.assign(v.integers.begin(), v.integers.end());
              return std::string();
            }},

      Field{"implementation", "kind", Type::kString, 0, 0,
            [](Scenario& s, const Value& v) {
              return set_enum(s.backend.implementation, v, model::implementation_from_string,
                              "\"fixed\", \"legacy\"");
            }},
      Field{"implementation", "mutants", Type::kStringArray, 0, 0,
            [](Scenario& s, const Value& v) {
              s.backend.mutants = v.texts;
              return std::string();
            }},

      INT("model", "retry_max_attempts", 1, 100, s.backend.atomic.retry_max_attempts),
      MS("model", "lock_timeout_ms", 1, 3.6e6, s.backend.atomic.lock_timeout_ns),
      MS("model", "backoff_base_ms", 0, 3.6e6, s.backend.atomic.backoff_base_ns),
      MS("model", "backoff_cap_ms", 0, 3.6e6, s.backend.atomic.backoff_cap_ns),
      Field{"model", "jitter", Type::kString, 0, 0,
            [](Scenario& s, const Value& v) {
              return set_enum(s.backend.atomic.jitter, v, model::jitter_from_string,
                              "\"none\", \"full\", \"equal\", \"decorrelated\"");
            }},
      Field{"model", "monitoring_enabled", Type::kBool, 0, 0,
            [](Scenario& s, const Value& v) {
              s.backend.atomic.monitoring_enabled = v.boolean;
              return std::string();
            }},
      NUM("model", "geofence_radius_m", 0, 100000, s.backend.geofence_radius_m),

      Field{"kernel", "schedule", Type::kString, 0, 0,
            [](Scenario& s, const Value& v) {
              return set_enum(s.schedule, v, schedule_from, "\"fifo\", \"random\", \"pct\"");
            }},

      NUM("storage", "latency_ms_mean", 0, 60000, s.storage.request_latency.mean_ms),
      NUM("storage", "latency_ms_stddev", 0, 60000, s.storage.request_latency.stddev_ms),
      INT("storage", "max_pool_size", 1, 10000, s.storage.max_pool_size),
      INT("storage", "min_pool_size", 0, 10000, s.storage.min_pool_size),
      MS("storage", "wait_queue_timeout_ms", 0, 3.6e6, s.storage.wait_queue_timeout_ns),
      MS("storage", "socket_timeout_ms", 1, 3.6e6, s.storage.socket_timeout_ns),
      Field{"storage", "ttl_monitor_period_s", Type::kNumber, 0.001, 86400,
            [](Scenario& s, const Value& v) {
              s.storage.ttl_monitor_period_ns = seconds_f(v.number);
              return std::string();
            }},
      Field{"storage", "schema", Type::kString, 0, 0,
            [](Scenario& s, const Value& v) {
              if (v.text == "seed") {
                s.storage.indexes = model::seed_schema_indexes();
              } else if (v.text == "safe") {
                s.storage.indexes = model::safe_schema_indexes();
              } else {
                return "must be one of \"seed\", \"safe\", not \"" + v.text + "\"";
              }
              return std::string();
            }},
      NUM("storage", "server_error_rate", 0, 1, s.storage.server_error_rate),
      NUM("storage", "reply_lost_rate", 0, 1, s.storage.reply_lost_rate),
      Field{"storage", "validation_leaves_guard", Type::kBool, 0, 0,
            [](Scenario& s, const Value& v) {
              s.storage.validation_leaves_guard = v.boolean;
              return std::string();
            }},

      NUM("network", "latency_ms_mean", 0, 600000, s.network.latency.mean_ms),
      NUM("network", "latency_ms_stddev", 0, 600000, s.network.latency.stddev_ms),
      NUM("network", "loss_rate", 0, 1, s.network.loss_rate),
      NUM("network", "duplicate_rate", 0, 1, s.network.duplicate_rate),
      MS("network", "request_timeout_ms", 1, 3.6e6, s.request_timeout_ns),

      Field{"workload", "kind", Type::kString, 0, 0,
            [](Scenario& s, const Value& v) {
              return set_enum(s.workload.kind, v, workload_from, "\"burst\", \"routes\"");
            }},
      INT("workload", "drivers", 1, 100000, s.workload.drivers),
      INT("workload", "deliveries", 1, 1000000, s.workload.deliveries),
      INT("workload", "operations", 1, 10000000, s.workload.operations),
      NUM("workload", "burst_window_ms", 0, 3.6e6, s.workload.burst_window_ms),
      NUM("workload", "status_share", 0, 1, s.workload.status_share),
      INT("workload", "client_retries", 0, 100, s.workload.client_retries),
      NUM("workload", "client_backoff_ms", 0, 3.6e6, s.workload.client_backoff_ms),
      NUM("workload", "location_interval_s", 0.01, 3600, s.workload.location_interval_s),
      NUM("workload", "speed_mps_mean", 0.1, 100, s.workload.speed_mps_mean),
      NUM("workload", "city_size_km", 0.1, 1000, s.workload.city_size_km),
      NUM("workload", "pickup_dwell_s", 0, 3600, s.workload.pickup_dwell_s),
      NUM("workload", "dispatcher_cancel_share", 0, 1, s.workload.dispatcher_cancel_share),

      Field{"properties", "check", Type::kStringArray, 0, 0,
            [](Scenario& s, const Value& v) {
              if (v.texts.empty()) return std::string("must name at least one property, or \"all\"");
              s.properties = v.texts;
              return std::string();
            }},
  };
  return kFields;
}

#undef NUM
#undef INT
#undef MS

class Parser {
 public:
  Parser(const std::string& path) : path_(path) {}

  [[noreturn]] void fail(const toml::source_region& where, std::string_view field,
                         const std::string& message) const {
    std::ostringstream line;
    line << path_ << ":" << where.begin.line << ":" << where.begin.column << ": ";
    if (!field.empty()) line << "field '" << field << "' ";
    line << message;
    throw ScenarioError(line.str());
  }

  Value read(const Field& field, const toml::node& node, const std::string& dotted) const {
    Value v(node);
    auto wrong_type = [&] {
      fail(node.source(), dotted,
           "must be " + std::string(type_name(field.type)) + ", not " +
               std::string(node_type_name(node)));
    };
    switch (field.type) {
      case Type::kInt:
        if (!node.is_integer()) wrong_type();
        v.integer = node.as_integer()->get();
        check_range(field, node, dotted, static_cast<double>(v.integer));
        break;
      case Type::kNumber:
        if (node.is_integer()) {
          v.number = static_cast<double>(node.as_integer()->get());
        } else if (node.is_floating_point()) {
          v.number = node.as_floating_point()->get();
        } else {
          wrong_type();
        }
        if (!std::isfinite(v.number)) fail(node.source(), dotted, "must be a finite number");
        check_range(field, node, dotted, v.number);
        break;
      case Type::kBool:
        if (!node.is_boolean()) wrong_type();
        v.boolean = node.as_boolean()->get();
        break;
      case Type::kString:
        if (!node.is_string()) wrong_type();
        v.text = node.as_string()->get();
        break;
      case Type::kIntArray:
        if (!node.is_array()) wrong_type();
        for (const toml::node& item : *node.as_array()) {
          if (!item.is_integer()) fail(item.source(), dotted, "must list integers only");
          const std::int64_t x = item.as_integer()->get();
          check_range(field, item, dotted, static_cast<double>(x));
          v.integers.push_back(x);
        }
        break;
      case Type::kStringArray:
        if (!node.is_array()) wrong_type();
        for (const toml::node& item : *node.as_array()) {
          if (!item.is_string()) fail(item.source(), dotted, "must list strings only");
          v.texts.push_back(item.as_string()->get());
        }
        break;
    }
    return v;
  }

  void check_range(const Field& field, const toml::node& node, const std::string& dotted,
                   double x) const {
    if (x >= field.min && x <= field.max) return;
    std::ostringstream message;
    message << "is " << x << ", outside its range [" << field.min << ", " << field.max << "]";
    fail(node.source(), dotted, message.str());
  }

  FaultSpec read_fault(const toml::table& table, std::size_t index) const {
    FaultSpec fault;
    bool has_kind = false;
    bool has_at = false;
    const std::string prefix = "faults[" + std::to_string(index) + "].";
    for (auto&& [key, node] : table) {
      const std::string dotted = prefix + std::string(key.str());
      auto number = [&](double lo, double hi) {
        Field f{"faults", key.str(), Type::kNumber, lo, hi, nullptr};
        return read(f, node, dotted).number;
      };
      if (key == "kind") {
        Field f{"faults", "kind", Type::kString, 0, 0, nullptr};
        const Value v = read(f, node, dotted);
        auto kind = fault_from(v.text);
        if (!kind) {
          fail(node.source(), dotted,
               "must be one of \"partition\", \"storage_failover\", \"offline\", not \"" + v.text +
                   "\"");
        }
        fault.kind = *kind;
        has_kind = true;
      } else if (key == "at_s") {
        fault.at_s = number(0, 30 * 24 * 3600.0);
        has_at = true;
      } else if (key == "duration_s") {
        fault.duration_s = number(0, 30 * 24 * 3600.0);
      } else if (key == "target") {
        Field f{"faults", "target", Type::kString, 0, 0, nullptr};
        fault.target = read(f, node, dotted).text;
      } else {
        fail(node.source(), dotted, "is not a field of a fault (kind, at_s, duration_s, target)");
      }
    }
    if (!has_kind) fail(table.source(), prefix + "kind", "is missing");
    if (!has_at) fail(table.source(), prefix + "at_s", "is missing");
    return fault;
  }

  Scenario parse(const std::string& text) const {
    toml::table root;
    try {
      root = toml::parse(text, path_);
    } catch (const toml::parse_error& e) {
      fail(e.source(), "", "is not valid TOML: " + std::string(e.description()));
    }

    Scenario scenario;
    scenario.path = path_;
    scenario.text = text;
    for (auto&& [section, node] : root) {
      if (section == "faults") {
        if (!node.is_array_of_tables()) {
          fail(node.source(), "faults", "must be an array of tables ([[faults]])");
        }
        std::size_t index = 0;
        for (const toml::node& item : *node.as_array()) {
          scenario.faults.push_back(read_fault(*item.as_table(), index++));
        }
        continue;
      }
      if (!node.is_table()) {
        fail(node.source(), section.str(),
             "is not a known section; sections are scenario, implementation, model, kernel, "
             "storage, network, workload, properties, faults");
      }
      for (auto&& [key, value] : *node.as_table()) {
        const std::string dotted = std::string(section.str()) + "." + std::string(key.str());
        const Field* field = find(section.str(), key.str());
        if (field == nullptr) {
          if (!known_section(section.str())) {
            fail(node.source(), section.str(),
                 "is not a known section; sections are scenario, implementation, model, kernel, "
                 "storage, network, workload, properties, faults");
          }
          fail(value.source(), dotted, "is not a known field (docs/scenarios.md lists them)");
        }
        const std::string problem = field->set(scenario, read(*field, value, dotted));
        if (!problem.empty()) fail(value.source(), dotted, problem);
      }
    }
    check_whole(scenario, root);
    return scenario;
  }

 private:
  static const Field* find(std::string_view section, std::string_view key) {
    for (const Field& f : fields()) {
      if (f.section == section && f.key == key) return &f;
    }
    return nullptr;
  }

  static bool known_section(std::string_view section) {
    for (const Field& f : fields()) {
      if (f.section == section) return true;
    }
    return false;
  }

  // Checks that need more than one field.
  void check_whole(const Scenario& s, const toml::table& root) const {
    auto where = [&](std::string_view section, std::string_view key) -> toml::source_region {
      if (const toml::node* n =
              root.at_path(std::string(section) + "." + std::string(key)).node()) {
        return n->source();
      }
      return root.source();
    };
    if (s.name.empty()) fail(where("scenario", "name"), "scenario.name", "is missing");
    if (s.backend.atomic.backoff_cap_ns < s.backend.atomic.backoff_base_ns) {
      fail(where("model", "backoff_cap_ms"), "model.backoff_cap_ms",
           "must be at least model.backoff_base_ms");
    }
    if (s.storage.min_pool_size > s.storage.max_pool_size) {
      fail(where("storage", "min_pool_size"), "storage.min_pool_size",
           "must not exceed storage.max_pool_size");
    }
    if (const model::Status valid = model::validate_backend_config(s.backend); !valid.ok()) {
      fail(where("implementation", "mutants"), "implementation", valid.error().message);
    }
  }

  std::string path_;
};

}  // namespace

std::string_view to_string(FaultKind k) {
  switch (k) {
    case FaultKind::kPartition:
      return "partition";
    case FaultKind::kStorageFailover:
      return "storage_failover";
    case FaultKind::kOffline:
      return "offline";
  }
  return "?";
}

Scenario parse_scenario(const std::string& text, const std::string& path) {
  return Parser(path).parse(text);
}

Scenario load_scenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(path + ": cannot open scenario file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ScenarioError(path + ": cannot read scenario file");
  return parse_scenario(text.str(), path);
}

}  // namespace tracksim::sim

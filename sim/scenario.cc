// Strict TOML parsing of scenario files against one table of fields.
//
// Each known field is one row of kFields: its section and key, its type, its range, a one-line
// description, how it sets the Scenario and how it reads the value back. Parsing walks the
// document, looks every key up in that table, and reports the first problem with its position;
// nothing unknown is ignored. The same table writes a scenario back out as TOML (to_toml) and
// generates the field reference in docs/scenarios.md, so the three never disagree.
#include "sim/scenario.h"

#include <toml++/toml.h>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

namespace tracksim::sim {
namespace {

// Scenario files are a page or two of text; anything far larger is not one.
constexpr std::uintmax_t kMaxScenarioBytes = 1 << 20;

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

std::string_view doc_type_name(Type t) {
  switch (t) {
    case Type::kInt:
      return "integer";
    case Type::kNumber:
      return "number";
    case Type::kBool:
      return "boolean";
    case Type::kString:
      return "string";
    case Type::kIntArray:
      return "array of integers";
    case Type::kStringArray:
      return "array of strings";
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

// --- Writing values as TOML ----------------------------------------------------------------------

// The shortest text that reads back as exactly `x`; TOML reads "60" as an integer, which number
// fields accept.
std::string toml_number(double x) {
  // Whole numbers print in full ("100000", not "1e+05"), for people reading docs and messages.
  if (std::isfinite(x) && x == std::trunc(x) && std::abs(x) <= 9.0e18) {
    return std::to_string(static_cast<std::int64_t>(x));
  }
  char digits[32];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, x);
  return ec == std::errc() ? std::string(digits, end) : std::string("nan");
}

std::string toml_integer(std::int64_t x) {
  return std::to_string(x);
}

std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string toml_bool(bool b) {
  return b ? "true" : "false";
}

std::string toml_strings(const std::vector<std::string>& texts) {
  std::string out = "[";
  for (std::size_t i = 0; i < texts.size(); ++i)
    out += (i == 0 ? "" : ", ") + toml_string(texts[i]);
  return out + "]";
}

// A duration in `unit_ns` units whose conversion back (which truncates toward zero) gives exactly
// `ns`; the plain quotient can land a hair below the integer and lose a nanosecond.
std::string toml_duration(Nanos ns, Nanos unit_ns) {
  double x = static_cast<double>(ns) / static_cast<double>(unit_ns);
  for (int step = 0; step < 4 && static_cast<Nanos>(x * static_cast<double>(unit_ns)) < ns; ++step)
    x = std::nextafter(x, HUGE_VAL);
  return toml_number(x);
}

std::string toml_ms(Nanos ns) {
  return toml_duration(ns, kNanosPerMilli);
}
std::string toml_s(Nanos ns) {
  return toml_duration(ns, kNanosPerSecond);
}

// --- The field table -----------------------------------------------------------------------------

struct Field {
  std::string_view section;
  std::string_view key;
  Type type;
  double min;
  double max;
  // What the field sets, in one line, for docs/scenarios.md.
  std::string_view doc;
  // Sets the field; returns an error message for a value it cannot take, or "".
  std::function<std::string(Scenario&, const Value&)> set;
  // The field's value in `s`, as TOML.
  std::function<std::string(const Scenario&)> get;
  // For strings chosen from a list: the choices, as shown in messages and docs.
  std::string_view choices = {};
};

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

bool same_indexes(const std::vector<model::IndexSpec>& a, const std::vector<model::IndexSpec>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].fields != b[i].fields || a[i].unique != b[i].unique ||
        a[i].expire_after_seconds != b[i].expire_after_seconds) {
      return false;
    }
  }
  return true;
}

// Rows for the common shapes. The trailing argument is the field's description; every row needs
// one (a test checks), because docs/scenarios.md is generated from it.
#define NUM(section, key, lo, hi, expr, ...)                                     \
  Field {                                                                        \
    section, key, Type::kNumber, lo, hi, "" __VA_ARGS__,                         \
        [](Scenario& s, const Value& v) {                                        \
          expr = v.number;                                                       \
          return std::string();                                                  \
        },                                                                       \
        [](const Scenario& s) { return toml_number(static_cast<double>(expr)); } \
  }
#define INT(section, key, lo, hi, expr, ...)                                            \
  Field {                                                                               \
    section, key, Type::kInt, lo, hi, "" __VA_ARGS__,                                   \
        [](Scenario& s, const Value& v) {                                               \
          expr = static_cast<int>(v.integer);                                           \
          return std::string();                                                         \
        },                                                                              \
        [](const Scenario& s) { return toml_integer(static_cast<std::int64_t>(expr)); } \
  }
#define MS(section, key, lo, hi, expr, ...)              \
  Field {                                                \
    section, key, Type::kNumber, lo, hi, "" __VA_ARGS__, \
        [](Scenario& s, const Value& v) {                \
          expr = millis_f(v.number);                     \
          return std::string();                          \
        },                                               \
        [](const Scenario& s) { return toml_ms(expr); }  \
  }
#define SECONDS(section, key, lo, hi, expr, ...)         \
  Field {                                                \
    section, key, Type::kNumber, lo, hi, "" __VA_ARGS__, \
        [](Scenario& s, const Value& v) {                \
          expr = seconds_f(v.number);                    \
          return std::string();                          \
        },                                               \
        [](const Scenario& s) { return toml_s(expr); }   \
  }
#define BOOL(section, key, expr, ...)                     \
  Field {                                                 \
    section, key, Type::kBool, 0, 0, "" __VA_ARGS__,      \
        [](Scenario& s, const Value& v) {                 \
          expr = v.boolean;                               \
          return std::string();                           \
        },                                                \
        [](const Scenario& s) { return toml_bool(expr); } \
  }
#define TEXT(section, key, expr, ...)                       \
  Field {                                                   \
    section, key, Type::kString, 0, 0, "" __VA_ARGS__,      \
        [](Scenario& s, const Value& v) {                   \
          expr = v.text;                                    \
          return std::string();                             \
        },                                                  \
        [](const Scenario& s) { return toml_string(expr); } \
  }
// A string chosen from `choices` (as shown to people), parsed by `parse`, printed by to_string.
#define ENUM(section, key, choices, parse, expr, ...)                                  \
  Field {                                                                              \
    section, key, Type::kString, 0, 0, "" __VA_ARGS__,                                 \
        [](Scenario& s, const Value& v) { return set_enum(expr, v, parse, choices); }, \
        [](const Scenario& s) { return toml_string(to_string(expr)); }, choices        \
  }

// To add a field: add its member (with its default) to Scenario or the config it belongs to, add
// one row here with its range and description, and regenerate docs/scenarios.md
// (TRACKSIM_UPDATE_DOCS=1 ./build/tracksim_sim_unit_tests --gtest_filter='ScenarioDocs.*').
const std::vector<Field>& fields() {
  using model::implementation_from_string;
  using model::jitter_from_string;
  using model::to_string;
  static const std::vector<Field> kFields = {
      TEXT("scenario", "name", s.name, "the scenario's name; also the default output folder"),
      TEXT("scenario", "description", s.description, "one line saying what the scenario shows"),
      NUM("scenario", "duration_s", 0.001, 30 * 24 * 3600.0, s.duration_s,
          "how long the workload generates requests"),
      NUM("scenario", "drain_s", 0, 24 * 3600.0, s.drain_s,
          "after duration_s, how long in-flight work may still finish before the run stops"),
      Field{"scenario", "seeds", Type::kIntArray, 0, 9.0e18,
            "the seeds `tracksim run` uses when given none",
            [](Scenario& s, const Value& v) {
              if (v.integers.empty()) return std::string("must list at least one seed");
              s.seeds.assign(v.integers.begin(), v.integers.end());
              return std::string();
            },
            [](const Scenario& s) {
              std::string out = "[";
              for (std::size_t i = 0; i < s.seeds.size(); ++i)
                out += (i == 0 ? "" : ", ") + std::to_string(s.seeds[i]);
              return out + "]";
            }},

      ENUM("implementation", "kind", "\"fixed\", \"legacy\"", implementation_from_string,
           s.backend.implementation,
           "the backend under test: the fix, or the code before it (`--impl` overrides)"),
      Field{"implementation", "mutants", Type::kStringArray, 0, 0,
            "planted bugs switched on in the fixed backend (`tracksim list mutants`)",
            [](Scenario& s, const Value& v) {
              s.backend.mutants = v.texts;
              return std::string();
            },
            [](const Scenario& s) { return toml_strings(s.backend.mutants); }},

      INT("model", "retry_max_attempts", 1, 100, s.backend.atomic.retry_max_attempts,
          "attempts of one atomic update before it gives up (DELIVERY_RETRY_MAX_ATTEMPTS)"),
      MS("model", "lock_timeout_ms", 1, 3.6e6, s.backend.atomic.lock_timeout_ns,
         "the operationLock's lease (DELIVERY_LOCK_TIMEOUT)"),
      MS("model", "backoff_base_ms", 0, 3.6e6, s.backend.atomic.backoff_base_ns,
         "the first retry's backoff ceiling; it doubles per retry"),
      MS("model", "backoff_cap_ms", 0, 3.6e6, s.backend.atomic.backoff_cap_ns,
         "the largest backoff ceiling; at least backoff_base_ms"),
      ENUM("model", "jitter", "\"none\", \"full\", \"equal\", \"decorrelated\"", jitter_from_string,
           s.backend.atomic.jitter, "how a backoff is drawn below its ceiling"),
      BOOL("model", "monitoring_enabled", s.backend.atomic.monitoring_enabled,
           "the backend records its own metrics (DELIVERY_MONITORING_ENABLED)"),
      NUM("model", "geofence_radius_m", 0, 100000, s.backend.geofence_radius_m,
          "a position this close to pickup or dropoff moves the status on by itself"),

      ENUM("kernel", "schedule", "\"fifo\", \"random\", \"pct\"", schedule_from, s.schedule,
           "which ready fiber runs next (`--schedule` overrides)"),

      NUM("storage", "latency_ms_mean", 0, 60000, s.storage.request_latency.mean_ms,
          "mean latency of a request from the backend to the database"),
      NUM("storage", "latency_ms_stddev", 0, 60000, s.storage.request_latency.stddev_ms,
          "its standard deviation (lognormal; 0 makes it constant)"),
      INT("storage", "max_pool_size", 1, 10000, s.storage.max_pool_size,
          "connections in the driver's pool; more requests wait in a queue"),
      INT("storage", "min_pool_size", 0, 10000, s.storage.min_pool_size,
          "connections kept open; at most max_pool_size"),
      MS("storage", "wait_queue_timeout_ms", 0, 3.6e6, s.storage.wait_queue_timeout_ns,
         "how long a request waits for a pool connection before PoolTimeout"),
      MS("storage", "socket_timeout_ms", 1, 3.6e6, s.storage.socket_timeout_ns,
         "how long the driver waits for a reply before NetworkTimeout"),
      SECONDS("storage", "ttl_monitor_period_s", 0.001, 86400, s.storage.ttl_monitor_period_ns,
              "how often the TTL monitor deletes expired documents"),
      Field{"storage", "schema", Type::kString, 0, 0,
            "the indexes: the fix's (\"seed\", with a TTL on operationLock) or without that TTL",
            [](Scenario& s, const Value& v) {
              if (v.text == "seed") {
                s.storage.indexes = model::seed_schema_indexes();
              } else if (v.text == "safe") {
                s.storage.indexes = model::safe_schema_indexes();
              } else {
                return "must be one of \"seed\", \"safe\", not \"" + v.text + "\"";
              }
              return std::string();
            },
            [](const Scenario& s) {
              if (same_indexes(s.storage.indexes, model::safe_schema_indexes())) {
                return toml_string("safe");
              }
              return toml_string("seed");
            },
            "\"seed\", \"safe\""},
      NUM("storage", "server_error_rate", 0, 1, s.storage.server_error_rate,
          "share of requests that fail with ServerError before being applied"),
      NUM("storage", "reply_lost_rate", 0, 1, s.storage.reply_lost_rate,
          "share of requests applied whose reply is lost (the caller sees NetworkTimeout)"),
      BOOL("storage", "validation_leaves_guard", s.storage.validation_leaves_guard,
           "a save() failing validation leaves the instance's parallel-save guard set"),
      NUM("storage", "reply_latency_ms_mean", 0, 60000, s.storage.reply_latency.mean_ms,
          "mean latency of a reply from the database to the backend"),
      NUM("storage", "reply_latency_ms_stddev", 0, 60000, s.storage.reply_latency.stddev_ms,
          "its standard deviation"),
      Field{
          "storage", "latency_shape", Type::kString, 0, 0,
          "the shape of every storage latency: \"lognormal\" or \"exponential\" (stddev unused)",
          [](Scenario& s, const Value& v) {
            auto shape = latency_shape_from_string(v.text);
            if (!shape)
              return "must be one of \"lognormal\", \"exponential\", not \"" + v.text + "\"";
            for (LatencyConfig* l :
                 {&s.storage.request_latency, &s.storage.reply_latency, &s.storage.find_latency,
                  &s.storage.update_latency, &s.storage.insert_latency, &s.storage.save_latency}) {
              l->shape = *shape;
            }
            return std::string();
          },
          [](const Scenario& s) { return toml_string(to_string(s.storage.request_latency.shape)); },
          "\"lognormal\", \"exponential\""},
      NUM("storage", "find_ms_mean", 0, 60000, s.storage.find_latency.mean_ms,
          "the server's mean time for a find"),
      NUM("storage", "find_ms_stddev", 0, 60000, s.storage.find_latency.stddev_ms,
          "its standard deviation"),
      NUM("storage", "update_ms_mean", 0, 60000, s.storage.update_latency.mean_ms,
          "the server's mean time for an update (findOneAndUpdate, updateOne, upsert)"),
      NUM("storage", "update_ms_stddev", 0, 60000, s.storage.update_latency.stddev_ms,
          "its standard deviation"),
      NUM("storage", "insert_ms_mean", 0, 60000, s.storage.insert_latency.mean_ms,
          "the server's mean time for an insert"),
      NUM("storage", "insert_ms_stddev", 0, 60000, s.storage.insert_latency.stddev_ms,
          "its standard deviation"),
      NUM("storage", "save_ms_mean", 0, 60000, s.storage.save_latency.mean_ms,
          "the server's mean time for a document instance's save()"),
      NUM("storage", "save_ms_stddev", 0, 60000, s.storage.save_latency.stddev_ms,
          "its standard deviation"),
      MS("storage", "max_idle_time_ms", 0, 3.6e6, s.storage.max_idle_time_ns,
         "idle connections beyond min_pool_size close after this long (maxIdleTimeMS)"),
      NUM("storage", "connect_ms_mean", 0, 60000, s.storage.connect_latency.mean_ms,
          "mean handshake time of a new pool connection"),
      NUM("storage", "stall_rate", 0, 1, s.storage.stall_rate,
          "share of requests that hang before being applied"),
      NUM("storage", "stall_ms_mean", 0, 3.6e6, s.storage.stall_latency.mean_ms,
          "mean length of a stall (exponential)"),
      BOOL("storage", "unique_delivery_index", s.storage.unique_delivery_index,
           "a unique index on deliveryId stops racing upserts from inserting twice"),
      BOOL("storage", "upsert_retries_duplicate_key", s.storage.upsert_retries_duplicate_key,
           "the server retries an upsert that met DuplicateKey as an update (MongoDB 4.2+)"),

      NUM("network", "latency_ms_mean", 0, 600000, s.network.latency.mean_ms,
          "mean one-way latency between an app and the server"),
      NUM("network", "latency_ms_stddev", 0, 600000, s.network.latency.stddev_ms,
          "its standard deviation (lognormal; 0 makes it constant)"),
      NUM("network", "loss_rate", 0, 1, s.network.loss_rate,
          "share of messages lost, each direction"),
      NUM("network", "duplicate_rate", 0, 1, s.network.duplicate_rate,
          "share of requests delivered twice"),
      MS("network", "request_timeout_ms", 1, 3.6e6, s.request_timeout_ns,
         "how long an app waits for a response before it resends"),
      BOOL("network", "fifo", s.network.fifo,
           "no message overtakes an earlier one of the same app (off: independent latencies)"),
      NUM("network", "reorder_rate", 0, 1, s.network.reorder_rate,
          "share of messages held back so that later ones overtake them (when not fifo)"),
      NUM("network", "reorder_delay_ms_mean", 0, 600000, s.network.reorder_delay.mean_ms,
          "mean extra delay of a held-back message"),

      ENUM("workload", "kind", "\"burst\", \"routes\"", workload_from, s.workload.kind,
           "burst: requests fired at once; routes: drivers drive whole deliveries"),
      INT("workload", "drivers", 1, 100000, s.workload.drivers, "drivers, one app each"),
      INT("workload", "deliveries", 1, 1000000, s.workload.deliveries,
          "deliveries, dealt out to the drivers in turn"),
      INT("workload", "operations", 1, 10000000, s.workload.operations, "burst: requests in all"),
      NUM("workload", "burst_window_ms", 0, 3.6e6, s.workload.burst_window_ms,
          "burst: requests start uniformly within this window"),
      NUM("workload", "status_share", 0, 1, s.workload.status_share,
          "burst: share of requests that change status (the rest send positions)"),
      INT("workload", "client_retries", 0, 100, s.workload.client_retries,
          "resends of one operation after a timeout or a server error"),
      NUM("workload", "client_backoff_ms", 0, 3.6e6, s.workload.client_backoff_ms,
          "an app's first resend delay; it doubles per resend, jittered 50-150%"),
      NUM("workload", "location_interval_s", 0.01, 3600, s.workload.location_interval_s,
          "routes: a phone sends its position this often"),
      NUM("workload", "speed_mps_mean", 0.1, 100, s.workload.speed_mps_mean,
          "routes: mean driving speed"),
      NUM("workload", "city_size_km", 0.1, 1000, s.workload.city_size_km,
          "side of the square city pickups and dropoffs lie in"),
      NUM("workload", "pickup_dwell_s", 0, 3600, s.workload.pickup_dwell_s,
          "routes: mean time at the pickup before picked_up"),
      NUM("workload", "dispatcher_cancel_share", 0, 1, s.workload.dispatcher_cancel_share,
          "routes: share of deliveries a dispatcher cancels midway"),

      SECONDS("client", "sync_interval_s", 0.01, 3600, s.location_sync.sync_interval_ns,
              "how often the app's location sync sends the positions it queued"),
      NUM("client", "dedup_distance_m", 0, 100000, s.location_sync.dedup_distance_m,
          "a position that moved less than this from the last one queued is not queued"),
      SECONDS("client", "dedup_max_silence_s", 0, 86400, s.location_sync.dedup_max_silence_ns,
              "after this long, a position is queued however little it moved"),
      INT("client", "max_batch_size", 1, 100000, s.location_sync.max_batch_size,
          "most positions sent in one request"),
      INT("client", "offline_queue_capacity", 2, 10000000, s.location_sync.offline_queue_capacity,
          "most positions the phone keeps unsent; the oldest unsent goes when full"),
      SECONDS("client", "offline_poll_s", 0.01, 3600, s.location_sync.offline_poll_ns,
              "how often the app looks at the network again while offline"),
      INT("client", "max_queued_changes", 1, 10000, s.state_manager.max_queued_changes,
          "most status changes the app queues behind the one in flight"),
      SECONDS("client", "connectivity_wait_max_s", 0, 86400,
              s.state_manager.connectivity_wait_max_ns,
              "how long a status change waits for the network before it is kept for later"),

      MS("hub", "location_throttle_ms", 0, 3.6e6, s.hub.location_throttle_ns,
         "the socket hub sends a room positions at most this often"),
      NUM("hub", "location_min_distance_m", 0, 100000, s.hub.location_min_distance_m,
          "positions closer than this to the last one sent are thinned (the newest always goes)"),

      BOOL("subscribers", "enabled", s.subscribers.enabled,
           "customers, restaurants, the dispatcher and drivers' apps follow the rooms"),

      NUM("city", "block_m", 10, 10000, s.city.block_m, "distance between parallel streets"),
      INT("city", "arterial_every", 1, 1000, s.city.arterial_every,
          "every n-th street is an arterial"),
      NUM("city", "street_speed_mps", 0.5, 100, s.city.street_speed_mps,
          "speed limit of side streets"),
      NUM("city", "arterial_speed_mps", 0.5, 100, s.city.arterial_speed_mps,
          "speed limit of arterials"),
      NUM("city", "closed_share", 0, 0.9, s.city.closed_share,
          "share of side-street segments closed to traffic"),
      Field{"city", "map_seed", Type::kInt, 0, 9.0e18,
            "draws the closures; the same map for every run seed",
            [](Scenario& s, const Value& v) {
              s.city.map_seed = static_cast<std::uint64_t>(v.integer);
              return std::string();
            },
            [](const Scenario& s) {
              return toml_integer(static_cast<std::int64_t>(s.city.map_seed));
            }},
      NUM("city", "gps_noise_m", 0, 10000, s.city.gps_noise_m,
          "standard deviation of each GPS error component"),
      NUM("city", "gps_noise_east_m", -1, 10000, s.city.gps_noise_east_m,
          "east component's deviation (-1: gps_noise_m)"),
      NUM("city", "gps_noise_north_m", -1, 10000, s.city.gps_noise_north_m,
          "north component's deviation (-1: gps_noise_m)"),
      NUM("city", "gps_noise_correlation", -0.99, 0.99, s.city.gps_noise_correlation,
          "correlation of the east and north errors"),

      NUM("drivers", "speed_share_mean", 0.05, 3, s.motion.speed_share_mean,
          "a driver's cruise speed as a share of the limit, on average"),
      NUM("drivers", "speed_share_stddev", 0, 3, s.motion.speed_share_stddev,
          "its spread between drivers"),
      NUM("drivers", "accel_mps2", 0.1, 20, s.motion.accel_mps2, "acceleration and braking"),
      NUM("drivers", "stop_probability", 0, 1, s.motion.stop_probability,
          "chance of stopping at an intersection"),
      NUM("drivers", "stop_s_mean", 0, 3600, s.motion.stop_s_mean, "mean length of a stop"),
      NUM("drivers", "clock_skew_ms_stddev", 0, 3.6e6, s.devices.clock_skew_ms_stddev,
          "spread of the devices' clock offsets"),
      NUM("drivers", "clock_drift_ppm_stddev", 0, 1e5, s.devices.clock_drift_ppm_stddev,
          "spread of the devices' clock rate errors"),

      BOOL("faults_random", "swarm", s.faults_random.swarm,
           "per seed, switch each rate below off on a coin flip, else draw it in [0, value]"),
      NUM("faults_random", "server_error_rate", 0, 1, s.faults_random.server_error_rate,
          "share of storage requests failing with ServerError"),
      NUM("faults_random", "reply_lost_rate", 0, 1, s.faults_random.reply_lost_rate,
          "share of storage requests applied whose reply is lost"),
      NUM("faults_random", "stall_rate", 0, 1, s.faults_random.stall_rate,
          "share of storage requests that stall"),
      NUM("faults_random", "stall_ms_mean", 0, 3.6e6, s.faults_random.stall_ms_mean,
          "mean length of a stall"),
      NUM("faults_random", "loss_rate", 0, 1, s.faults_random.loss_rate,
          "share of network messages lost (apps and subscribers)"),
      NUM("faults_random", "duplicate_rate", 0, 1, s.faults_random.duplicate_rate,
          "share of network messages delivered twice"),
      NUM("faults_random", "reorder_rate", 0, 1, s.faults_random.reorder_rate,
          "share of app messages held back to be overtaken"),
      NUM("faults_random", "partitions_per_hour", 0, 3600, s.faults_random.partitions_per_hour,
          "partitions of the whole app network, per hour"),
      NUM("faults_random", "partition_s_mean", 0, 86400, s.faults_random.partition_s_mean,
          "mean length of a partition"),
      NUM("faults_random", "offline_per_driver_hour", 0, 3600,
          s.faults_random.offline_per_driver_hour, "tunnels per driver per hour"),
      NUM("faults_random", "offline_s_mean", 0, 86400, s.faults_random.offline_s_mean,
          "mean length of a tunnel"),
      NUM("faults_random", "app_restarts_per_driver_hour", 0, 3600,
          s.faults_random.app_restarts_per_driver_hour, "app restarts per driver per hour"),
      NUM("faults_random", "app_restart_s_mean", 0, 86400, s.faults_random.app_restart_s_mean,
          "mean time an app is down"),
      NUM("faults_random", "clock_jumps_per_driver_hour", 0, 3600,
          s.faults_random.clock_jumps_per_driver_hour, "device clock jumps per driver per hour"),
      NUM("faults_random", "clock_jump_s_stddev", 0, 1e6, s.faults_random.clock_jump_s_stddev,
          "spread of a clock jump"),

      Field{"properties", "check", Type::kStringArray, 0, 0,
            "properties to check, or [\"all\"] (`tracksim list properties`)",
            [](Scenario& s, const Value& v) {
              if (v.texts.empty())
                return std::string("must name at least one property, or \"all\"");
              s.properties = v.texts;
              return std::string();
            },
            [](const Scenario& s) { return toml_strings(s.properties); }},
      Field{"properties", "require_probes", Type::kStringArray, 0, 0,
            "probes the run must reach at least once, or it fails (names in docs/world.md and "
            "docs/client.md; a run's summary.json counts those it reached)",
            [](Scenario& s, const Value& v) {
              s.require_probes = v.texts;
              return std::string();
            },
            [](const Scenario& s) { return toml_strings(s.require_probes); }},
  };
  return kFields;
}

#undef NUM
#undef INT
#undef MS
#undef SECONDS
#undef BOOL
#undef TEXT
#undef ENUM

// --- Faults --------------------------------------------------------------------------------------

struct FaultField {
  std::string_view key;
  Type type;
  double min;
  double max;
  bool required;
  std::string_view doc;
  std::string (*set)(FaultSpec&, const Value&);
  std::string (*get)(const FaultSpec&);
};

std::string fault_kind_choices() {
  std::string out;
  for (const FaultKindInfo& info : fault_kinds())
    out += (out.empty() ? "\"" : ", \"") + std::string(info.name) + "\"";
  return out;
}

std::optional<FaultKind> fault_from(std::string_view s) {
  for (const FaultKindInfo& info : fault_kinds()) {
    if (info.name == s) return info.kind;
  }
  return std::nullopt;
}

const std::vector<FaultField>& fault_fields() {
  static const std::vector<FaultField> kFaultFields = {
      {"kind", Type::kString, 0, 0, true, "what goes wrong (see the fault kinds below)",
       [](FaultSpec& f, const Value& v) {
         auto kind = fault_from(v.text);
         if (!kind) return "must be one of " + fault_kind_choices() + ", not \"" + v.text + "\"";
         f.kind = *kind;
         return std::string();
       },
       [](const FaultSpec& f) { return toml_string(to_string(f.kind)); }},
      {"at_s", Type::kNumber, 0, 30 * 24 * 3600.0, true, "when it starts, from the run's start",
       [](FaultSpec& f, const Value& v) {
         f.at_s = v.number;
         return std::string();
       },
       [](const FaultSpec& f) { return toml_number(f.at_s); }},
      {"duration_s", Type::kNumber, 0, 30 * 24 * 3600.0, false, "how long it lasts",
       [](FaultSpec& f, const Value& v) {
         f.duration_s = v.number;
         return std::string();
       },
       [](const FaultSpec& f) { return toml_number(f.duration_s); }},
      {"target", Type::kString, 0, 0, false,
       "what it hits: an app (\"driver-3\"), a delivery (\"delivery-2\"), or \"*\" for all",
       [](FaultSpec& f, const Value& v) {
         f.target = v.text;
         return std::string();
       },
       [](const FaultSpec& f) { return toml_string(f.target); }},
      {"rate", Type::kNumber, 0, 1, false,
       "server_errors, reply_loss, message_loss, duplicates: the probability per request or "
       "message",
       [](FaultSpec& f, const Value& v) {
         f.rate = v.number;
         return std::string();
       },
       [](const FaultSpec& f) { return toml_number(f.rate); }},
      {"factor", Type::kNumber, 1, 1000, false, "latency_spike: the latency multiplier",
       [](FaultSpec& f, const Value& v) {
         f.factor = v.number;
         return std::string();
       },
       [](const FaultSpec& f) { return toml_number(f.factor); }},
      {"amount_s", Type::kNumber, -1e6, 1e6, false,
       "clock_jump: how far the device clock jumps (negative: back)",
       [](FaultSpec& f, const Value& v) {
         f.amount_s = v.number;
         return std::string();
       },
       [](const FaultSpec& f) { return toml_number(f.amount_s); }},
  };
  return kFaultFields;
}

// --- Parsing -------------------------------------------------------------------------------------

// Error messages are one line: control bytes from a damaged file become '?'.
std::string one_line(std::string text) {
  for (char& c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return text;
}

std::string section_list() {
  std::vector<std::string_view> sections;
  for (const Field& f : fields()) {
    if (std::find(sections.begin(), sections.end(), f.section) == sections.end()) {
      sections.push_back(f.section);
    }
  }
  std::string out;
  for (std::string_view section : sections)
    out += std::string(section) + ", ";
  return out + "faults";
}

class Parser {
 public:
  explicit Parser(const std::string& path) : path_(path) {}

  [[noreturn]] void fail(const toml::source_region& where, std::string_view field,
                         const std::string& message) const {
    std::ostringstream line;
    line << path_ << ":" << where.begin.line << ":" << where.begin.column << ": ";
    if (!field.empty()) line << "field '" << field << "' ";
    line << message;
    throw ScenarioError(one_line(line.str()));
  }

  Value read(Type type, double min, double max, const toml::node& node,
             const std::string& dotted) const {
    Value v(node);
    auto wrong_type = [&] {
      fail(
          node.source(), dotted,
          "must be " + std::string(type_name(type)) + ", not " + std::string(node_type_name(node)));
    };
    switch (type) {
      case Type::kInt:
        if (!node.is_integer()) wrong_type();
        v.integer = node.as_integer()->get();
        check_range(min, max, node, dotted, static_cast<double>(v.integer));
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
        check_range(min, max, node, dotted, v.number);
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
          check_range(min, max, item, dotted, static_cast<double>(x));
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

  void check_range(double min, double max, const toml::node& node, const std::string& dotted,
                   double x) const {
    if (x >= min && x <= max) return;
    fail(node.source(), dotted,
         "is " + toml_number(x) + ", outside its range [" + toml_number(min) + ", " +
             toml_number(max) + "]");
  }

  FaultSpec read_fault(const toml::table& table, std::size_t index) const {
    FaultSpec fault;
    const std::string prefix = "faults[" + std::to_string(index) + "].";
    for (auto&& [key, node] : table) {
      const std::string dotted = prefix + std::string(key.str());
      const FaultField* field = nullptr;
      for (const FaultField& f : fault_fields()) {
        if (f.key == key.str()) field = &f;
      }
      if (field == nullptr) {
        std::string known;
        for (const FaultField& f : fault_fields())
          known += (known.empty() ? "" : ", ") + std::string(f.key);
        fail(node.source(), dotted, "is not a field of a fault (" + known + ")");
      }
      const std::string problem =
          field->set(fault, read(field->type, field->min, field->max, node, dotted));
      if (!problem.empty()) fail(node.source(), dotted, problem);
    }
    for (const FaultField& f : fault_fields()) {
      if (f.required && !table.contains(f.key)) {
        fail(table.source(), prefix + std::string(f.key), "is missing");
      }
    }
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
      if (!node.is_table() || !known_section(section.str())) {
        fail(node.source(), section.str(),
             "is not a known section; sections are " + section_list());
      }
      for (auto&& [key, value] : *node.as_table()) {
        const std::string dotted = std::string(section.str()) + "." + std::string(key.str());
        const Field* field = find(section.str(), key.str());
        if (field == nullptr) {
          fail(value.source(), dotted, "is not a known field (docs/scenarios.md lists them)");
        }
        const std::string problem =
            field->set(scenario, read(field->type, field->min, field->max, value, dotted));
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
      // A missing field is reported at the file's start.
      toml::source_region start;
      start.begin = {1, 1};
      return start;
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
    if (s.location_sync.offline_queue_capacity <= s.location_sync.max_batch_size) {
      fail(where("client", "offline_queue_capacity"), "client.offline_queue_capacity",
           "must exceed client.max_batch_size");
    }
  }

  std::string path_;
};

std::string range_text(Type type, double min, double max, std::string_view choices) {
  if (!choices.empty()) return std::string(choices);
  if (type == Type::kInt || type == Type::kNumber || type == Type::kIntArray) {
    return toml_number(min) + " to " + toml_number(max);
  }
  return "";
}

// Markdown table cells must not contain a bare '|'.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string_view to_string(WorkloadKind k) {
  return k == WorkloadKind::kBurst ? "burst" : "routes";
}

std::string_view to_string(FaultKind k) {
  for (const FaultKindInfo& info : fault_kinds()) {
    if (info.kind == k) return info.name;
  }
  return "?";
}

const std::vector<FaultKindInfo>& fault_kinds() {
  static const std::vector<FaultKindInfo> kKinds = {
      {FaultKind::kPartition, "partition",
       "messages between the app `target` (\"*\": every app) and the server are lost"},
      {FaultKind::kStorageFailover, "storage_failover",
       "the database's primary steps down: every request fails with ServerError"},
      {FaultKind::kOffline, "offline",
       "the app `target` is offline (a tunnel): nothing leaves or reaches it"},
      {FaultKind::kStorageStall, "storage_stall",
       "storage requests on the delivery `target` (\"*\": all) hang until the window ends"},
      {FaultKind::kServerErrors, "server_errors",
       "storage requests fail with ServerError with probability `rate`"},
      {FaultKind::kReplyLoss, "reply_loss",
       "storage requests are applied but their replies lost, with probability `rate`"},
      {FaultKind::kMessageLoss, "message_loss",
       "messages of the app `target` (\"*\": all) are lost with probability `rate`"},
      {FaultKind::kDuplicates, "duplicates",
       "messages of the app `target` are delivered twice with probability `rate`"},
      {FaultKind::kLatencySpike, "latency_spike",
       "storage and network latencies for `target` are multiplied by `factor`"},
      {FaultKind::kClockJump, "clock_jump",
       "the device clock of the app `target` jumps by `amount_s` at `at_s`"},
      {FaultKind::kAppRestart, "app_restart",
       "the app `target` is down for the window and loses what it held only in memory"},
      {FaultKind::kLockHolderPause, "lock_holder_pause",
       "from `at_s` on, the next request handler to take the operationLock of the delivery "
       "`target` (\"*\": any) stalls for `duration_s` before its next write, as in a long GC "
       "pause; the lease runs on meanwhile"},
  };
  return kKinds;
}

Scenario parse_scenario(const std::string& text, const std::string& path) {
  return Parser(path).parse(text);
}

Scenario load_scenario(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw ScenarioError(one_line(path + ": no such scenario file"));
  if (fs::is_directory(status)) {
    throw ScenarioError(one_line(path + ": is a directory, not a scenario file"));
  }
  if (!fs::is_regular_file(status)) {
    throw ScenarioError(one_line(path + ": is not a regular file"));
  }
  const std::uintmax_t size = fs::file_size(path, ec);
  if (!ec && size > kMaxScenarioBytes) {
    throw ScenarioError(one_line(path + ": is " + std::to_string(size) +
                                 " bytes; a scenario file is at most 1 MiB of TOML"));
  }

  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(one_line(path + ": cannot open scenario file"));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ScenarioError(one_line(path + ": cannot read scenario file"));
  const std::string contents = text.str();
  if (contents.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw ScenarioError(one_line(path + ": is empty; a scenario needs at least [scenario] name"));
  }
  if (contents.find('\0') != std::string::npos) {
    throw ScenarioError(one_line(path + ": holds NUL bytes; a scenario file is TOML text"));
  }
  return parse_scenario(contents, path);
}

std::string to_toml(const Scenario& s, const std::string& comment) {
  std::string out;
  if (!comment.empty()) {
    std::istringstream lines(comment);
    for (std::string line; std::getline(lines, line);)
      out += line.empty() ? "#\n" : "# " + line + "\n";
    out += "\n";
  }
  std::string_view section;
  for (const Field& f : fields()) {
    if (f.section != section) {
      if (!section.empty()) out += "\n";
      section = f.section;
      out += "[" + std::string(section) + "]\n";
    }
    out += std::string(f.key) + " = " + f.get(s) + "\n";
  }
  for (const FaultSpec& fault : s.faults) {
    out += "\n[[faults]]\n";
    for (const FaultField& f : fault_fields())
      out += std::string(f.key) + " = " + f.get(fault) + "\n";
  }
  return out;
}

std::vector<FieldDoc> scenario_field_docs() {
  const Scenario defaults;
  std::vector<FieldDoc> docs;
  for (const Field& f : fields()) {
    FieldDoc d;
    d.section = f.section;
    d.key = f.key;
    d.type = doc_type_name(f.type);
    d.range = range_text(f.type, f.min, f.max, f.choices);
    d.default_value = f.get(defaults);
    d.description = f.doc;
    // A scenario must name itself; the empty default is never used.
    if (d.section == "scenario" && d.key == "name") d.default_value = "";
    docs.push_back(std::move(d));
  }
  const FaultSpec fault_defaults;
  for (const FaultField& f : fault_fields()) {
    FieldDoc d;
    d.section = "faults";
    d.key = f.key;
    d.type = doc_type_name(f.type);
    d.range = f.key == "kind" ? fault_kind_choices() : range_text(f.type, f.min, f.max, {});
    d.default_value = f.required ? "" : f.get(fault_defaults);
    d.description = f.doc;
    docs.push_back(std::move(d));
  }
  return docs;
}

std::string scenario_reference_markdown() {
  std::string out;
  std::string section;
  for (const FieldDoc& d : scenario_field_docs()) {
    if (d.section != section) {
      section = d.section;
      out += out.empty() ? "" : "\n";
      out += section == "faults" ? "### `[[faults]]` (each one fault; any number)\n\n"
                                 : "### `[" + section + "]`\n\n";
      out += "| field | type | default | range | meaning |\n";
      out += "|---|---|---|---|---|\n";
    }
    out += "| `" + d.key + "` | " + d.type + " | " +
           (d.default_value.empty() ? "required" : "`" + cell(d.default_value) + "`") + " | " +
           cell(d.range) + " | " + cell(d.description) + " |\n";
  }
  out += "\n### Fault kinds\n\n| kind | what it does |\n|---|---|\n";
  for (const FaultKindInfo& info : fault_kinds()) {
    out += "| `" + std::string(info.name) + "` | " + cell(info.description) + " |\n";
  }
  return out;
}

}  // namespace tracksim::sim

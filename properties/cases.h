//! Generated cases: whole scenarios built in code, each from a small plain description.
//!
//! A CaseSpec is the handful of knobs that decide which rare paths a run can reach: how many
//! writers share a delivery and how close together they start, whether storage fails requests or
//! loses replies, how long a lock lease is, whether drivers drive whole routes through fault
//! windows. A family fixes the shape and draws the rest from a seed; every planted bug is
//! reachable from at least one family (the catalogue in docs/properties.md says which).
//! to_scenario turns a spec into a sim::Scenario with its TOML text, so a failing case can be
//! written to a file and rerun with `tracksim run FILE --seed N`.
//!
//! Families that inject storage faults use the safe schema (no TTL on operationLock): under the
//! seed's schema a lock that a failed release leaves behind deletes the delivery even with the
//! fixed code, which is a finding about the schema (see the tests), not about the code under
//! test. Families without faults keep the seed's schema, so a leaked lock there is the code's.
//!
//! Left out: fault kinds the world does not model, and shapes no planted bug needs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/kernel/rng.h"
#include "sim/scenario.h"

namespace tracksim::properties {

enum class CaseFamily : unsigned char {
  kBurst,         // the seed's stress shape: concurrent statuses and positions, no faults
  kContention,    // many writers on one delivery at one instant, constant latencies
  kServerErrors,  // a burst while storage fails a share of requests before applying them
  kReplyLoss,     // a burst while storage applies a share of writes but loses their replies
  kShortLease,    // a burst with a lock lease shorter than a few store round trips
  kRoutes,        // drivers drive whole deliveries, with a failover or a partition window
};
inline constexpr int kCaseFamilyCount = 6;
std::string_view to_string(CaseFamily f);
const std::vector<CaseFamily>& all_case_families();

struct CaseSpec {
  CaseFamily family = CaseFamily::kBurst;
  std::uint64_t seed = 1;  // the world's seed

  // Workload.
  int drivers = 4;
  int deliveries = 4;
  int operations = 20;  // burst shapes
  double burst_window_ms = 100;
  double status_share = 0.4;
  int client_retries = 3;
  double duration_s = 30;
  double dispatcher_cancel_share = 0;  // routes

  // Environment.
  double network_latency_ms_mean = 40;
  double network_latency_ms_stddev = 20;
  double storage_latency_ms_mean = 2;
  double storage_latency_ms_stddev = 1;
  double server_error_rate = 0;
  double reply_lost_rate = 0;
  bool seed_schema = true;
  std::vector<sim::FaultSpec> faults;
  sim::ScheduleStrategy schedule = sim::ScheduleStrategy::kRandom;

  // The backend.
  double lock_timeout_ms = 30'000;
  int retry_max_attempts = 3;

  // The properties the case claims; "all" unless the shape rules one out (see to_scenario).
  std::vector<std::string> properties = {"all"};
};

// The properties a case of `family` claims: the whole catalogue, less what the shape rules out
// (see cases.cc for each exclusion and why).
std::vector<std::string> claimed_properties(CaseFamily family);

// Draws a spec of `family` from `stream` (the same stream state, the same spec).
CaseSpec draw_case(CaseFamily family, sim::RandomStream& stream);

// The case number `index` of a run of cases seeded by `base_seed`: families in turn, each
// drawn from its own stream, so case i is the same whatever else is asked for.
CaseSpec nth_case(std::uint64_t base_seed, std::uint64_t index);

// The scenario of `spec`, running `implementation` with `mutants`; its text is its TOML.
sim::Scenario to_scenario(const CaseSpec& spec, model::Implementation implementation,
                          const std::vector<std::string>& mutants);

// One line describing a spec, for logs and RapidCheck's counterexamples.
std::string describe(const CaseSpec& spec);

}  // namespace tracksim::properties

// Whole-simulation properties: RapidCheck generates a case (workload shape, environment, fault
// plan, scheduler and seed), the world runs it against the fixed code, and every property the
// case claims must hold.
//
// A failing case shrinks toward fewer drivers, deliveries, operations, faults and retries. Each
// failing evaluation writes its scenario and trace under out/properties/NAME/ (the last one
// written is the minimal case) and fails with the line that reruns it; RapidCheck also prints
// its own reproduce string. The number of cases follows RC_PARAMS (max_success, default 100).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <sstream>

#include "properties/bug_hunt.h"
#include "properties/cases.h"
#include "properties/rc_quiet.h"

namespace tracksim::properties {
namespace {

std::string output_dir(const std::string& name) {
  const char* root = std::getenv("TRACKSIM_PROPERTY_OUT");
  return std::string(root != nullptr ? root : "out/properties") + "/" + name;
}

double percent(int n) {
  return n / 100.0;
}

// A fault plan of up to two windows inside the first half of the workload.
std::vector<sim::FaultSpec> gen_faults(const CaseSpec& spec) {
  const int count = *rc::gen::inRange(0, 3);
  std::vector<sim::FaultSpec> faults;
  for (int i = 0; i < count; ++i) {
    sim::FaultSpec f;
    f.kind = *rc::gen::element(sim::FaultKind::kPartition, sim::FaultKind::kStorageFailover,
                               sim::FaultKind::kOffline);
    f.at_s = *rc::gen::inRange(0, std::max(1, static_cast<int>(spec.duration_s / 2)));
    f.duration_s = *rc::gen::inRange(1, 30);
    if (f.kind == sim::FaultKind::kOffline) {
      f.target = "driver-" + std::to_string(*rc::gen::inRange(1, spec.drivers + 1));
    }
    faults.push_back(f);
  }
  return faults;
}

// Every knob drawn so that shrinking moves toward the smallest, calmest case.
rc::Gen<CaseSpec> gen_case() {
  return rc::gen::exec([] {
    CaseSpec spec;
    spec.family =
        *rc::gen::element(CaseFamily::kBurst, CaseFamily::kRoutes, CaseFamily::kServerErrors,
                          CaseFamily::kReplyLoss, CaseFamily::kContention);
    spec.seed = *rc::gen::inRange<std::uint64_t>(1, 1'000'000);
    spec.drivers = *rc::gen::inRange(1, 5);
    spec.deliveries = *rc::gen::inRange(spec.drivers, 2 * spec.drivers + 1);
    spec.operations = *rc::gen::inRange(1, 41);
    spec.burst_window_ms = *rc::gen::inRange(0, 201);
    spec.status_share = percent(*rc::gen::inRange(0, 61));
    spec.client_retries = *rc::gen::inRange(0, 4);
    spec.network_latency_ms_mean = *rc::gen::inRange(1, 81);
    spec.network_latency_ms_stddev = *rc::gen::inRange(0, 21);
    spec.storage_latency_ms_mean = *rc::gen::inRange(1, 6);
    spec.storage_latency_ms_stddev = *rc::gen::inRange(0, 3);
    spec.schedule = *rc::gen::element(sim::ScheduleStrategy::kFifo, sim::ScheduleStrategy::kRandom,
                                      sim::ScheduleStrategy::kPct);
    switch (spec.family) {
      case CaseFamily::kRoutes:
        spec.duration_s = *rc::gen::inRange(60, 601);
        spec.dispatcher_cancel_share = percent(*rc::gen::inRange(0, 31));
        spec.faults = gen_faults(spec);
        // A failover's failed lock releases would let the seed's TTL delete deliveries.
        for (const sim::FaultSpec& f : spec.faults) {
          if (f.kind == sim::FaultKind::kStorageFailover) spec.seed_schema = false;
        }
        break;
      case CaseFamily::kServerErrors:
        spec.server_error_rate = percent(*rc::gen::inRange(1, 31));
        spec.seed_schema = false;
        break;
      case CaseFamily::kReplyLoss:
        spec.reply_lost_rate = percent(*rc::gen::inRange(1, 31));
        spec.seed_schema = false;
        break;
      case CaseFamily::kContention:
        spec.deliveries = 1;
        spec.drivers = 1;
        spec.burst_window_ms = 0;
        spec.status_share = 0;
        spec.network_latency_ms_stddev = 0;
        spec.storage_latency_ms_stddev = 0;
        spec.retry_max_attempts = *rc::gen::inRange(3, 7);
        break;
      default:
        break;
    }
    spec.properties = claimed_properties(spec.family);
    return spec;
  });
}

// Runs `spec` against the fixed code with `mutants` and fails with a rerun line if any property
// it claims breaks.
void check_case(const CaseSpec& spec, const std::vector<std::string>& mutants,
                const std::string& name) {
  RC_TAG(std::string(to_string(spec.family)));
  const CaseRun run = run_case(spec, model::Implementation::kFixed, mutants);
  if (run.passed()) return;

  std::ostringstream why;
  why << describe(spec) << "\n";
  for (const PropertyResult& p : run.results) {
    if (p.holds) continue;
    why << "  " << p.name << ": " << p.violations << " violation(s), e.g. "
        << p.witnesses.front().explanation << "\n";
  }
  why << "  rerun: " << write_case_files(run, output_dir(name));
  RC_FAIL(why.str());
}

RC_GTEST_PROP(WholeSimulation, FixedCodeKeepsEveryPropertyOnGeneratedCases, ()) {
  check_case(*gen_case(), {}, "fixed");
}

RC_GTEST_PROP(WholeSimulation, SameCaseSameDigest, ()) {
  const CaseSpec spec = *gen_case();
  const CaseRun a = run_case(spec, model::Implementation::kFixed, {});
  const CaseRun b = run_case(spec, model::Implementation::kFixed, {});
  RC_ASSERT(a.world.digest == b.world.digest);
  RC_ASSERT(a.world.history.commits().size() == b.world.history.commits().size());
}

// Shrinking: a planted bug's failing case shrinks to a small one, and the files of the minimal
// case are on disk with a rerun line that reproduces the failure.
TEST(WholeSimulation, FailingCaseShrinksToASmallReproducibleOne) {
  static CaseSpec last_failing;
  static bool failed = false;
  const std::string name = "shrink-demo";
  const auto property = [&name] {
    CaseSpec spec = *gen_case();
    spec.family = CaseFamily::kBurst;
    spec.faults.clear();
    const CaseRun run = run_case(spec, model::Implementation::kFixed, {"accept_stale_location"});
    if (run.passed()) return;
    last_failing = spec;
    failed = true;
    write_case_files(run, output_dir(name));
    RC_FAIL("location moved back");
  };

  // This demonstration checks what the shrunk case looks like, so it runs one fixed sequence.
  ASSERT_TRUE(fails_quietly("WholeSimulation/shrink-demo", property, /*shrink=*/true, /*seed=*/1));
  ASSERT_TRUE(failed);

  // Two positions arriving out of order on one delivery are all the bug needs.
  EXPECT_EQ(last_failing.drivers, 1);
  EXPECT_EQ(last_failing.deliveries, 1);
  EXPECT_LE(last_failing.operations, 4);
  EXPECT_EQ(last_failing.client_retries, 0);

  // The written case reruns to the same failure.
  const sim::Scenario again = sim::load_scenario(output_dir(name) + "/case.toml");
  sim::WorldOptions options;
  options.seed = last_failing.seed;
  const sim::WorldResult world = sim::run_world(again, options);
  bool moved_back = false;
  for (const PropertyResult& p : check_properties(again, world)) {
    moved_back = moved_back || (p.name == "location_never_moves_back" && !p.holds);
  }
  EXPECT_TRUE(moved_back);
}

}  // namespace
}  // namespace tracksim::properties

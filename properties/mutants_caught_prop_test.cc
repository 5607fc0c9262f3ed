// Planted bugs caught: every planted bug breaks a property within a stated budget of generated
// cases, and the fixed code passes every case of the same budget.
//
// The budget is the number of cases of the sequence cases.h draws from base seed 1; the families
// take turns, so a budget of kBudget gives each family kBudget / kCaseFamilyCount cases. The
// expected catching property is the one the planted-bug catalogue names (or one of them); a bug
// caught only by some other property would mean the catalogue, or the property, is wrong.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "model/mutants.h"
#include "properties/bug_hunt.h"

namespace tracksim::properties {
namespace {

constexpr std::uint64_t kBaseSeed = 1;
constexpr std::uint64_t kBudget = 120;

HuntOptions budget() {
  HuntOptions options;
  options.base_seed = kBaseSeed;
  options.budget = kBudget;
  return options;
}

// Which properties are expected to catch each bug; the first that fails must be one of them.
const std::map<std::string, std::vector<std::string>>& expected_catchers() {
  static const std::map<std::string, std::vector<std::string>> kExpected = {
      {"save_without_version_check", {"no_lost_update", "single_lock_holder"}},
      {"retry_without_reread", {"no_lost_update"}},
      {"lock_not_released_on_error", {"lock_released_by_holder", "no_document_lost"}},
      {"no_jitter", {"backoff_jittered"}},
      {"retry_not_idempotent_after_timeout", {"operation_applied_at_most_once"}},
      {"auto_transition_skips_validation", {"valid_transitions"}},
      {"accept_stale_location", {"location_never_moves_back", "no_lost_update"}},
      {"lock_ignores_lease", {"single_lock_holder"}},
  };
  return kExpected;
}

class PlantedBugCaught : public ::testing::TestWithParam<std::string> {};

TEST_P(PlantedBugCaught, WithinTheBudget) {
  const std::string& bug = GetParam();
  const HuntResult r = hunt(bug, budget());
  ASSERT_TRUE(r.caught) << bug << " survived " << kBudget << " cases";
  const CaseRun& run = *r.catching;
  const auto& expected = expected_catchers().at(bug);
  const bool by_expected = std::any_of(run.failed.begin(), run.failed.end(), [&](const auto& p) {
    return std::find(expected.begin(), expected.end(), p) != expected.end();
  });
  EXPECT_TRUE(by_expected) << bug << " was caught by " << ::testing::PrintToString(run.failed)
                           << " in " << describe(run.spec);
  std::printf("%s: caught by %s after %llu case(s), %.1f virtual s; case %s\n", bug.c_str(),
              ::testing::PrintToString(run.failed).c_str(),
              static_cast<unsigned long long>(r.cases_run), r.virtual_s,
              describe(run.spec).c_str());
}

std::vector<std::string> catalogue_names() {
  std::vector<std::string> names;
  for (const model::MutantInfo& m : model::mutant_catalogue())
    names.emplace_back(m.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Catalogue, PlantedBugCaught, ::testing::ValuesIn(catalogue_names()),
                         [](const auto& info) { return info.param; });

TEST(PlantedBugCatalogue, EveryBugHasAnExpectedCatcher) {
  for (const std::string& name : catalogue_names()) {
    EXPECT_EQ(expected_catchers().count(name), 1u) << name;
  }
  EXPECT_EQ(expected_catchers().size(), catalogue_names().size());
}

TEST(FixedCode, PassesTheWholeBudget) {
  const HuntResult r = fixed_baseline(budget());
  EXPECT_EQ(r.cases_run, kBudget);
  ASSERT_FALSE(r.caught) << "case " << r.cases_run - 1 << " fails "
                         << ::testing::PrintToString(r.catching->failed) << ": "
                         << describe(r.catching->spec) << "\n  first witness: " << [&] {
                              for (const auto& p : r.catching->results) {
                                if (!p.holds) return p.witnesses.front().explanation;
                              }
                              return std::string();
                            }();
}

}  // namespace
}  // namespace tracksim::properties

// Running a RapidCheck property quietly, for tests that expect it to fail.
//
// RapidCheck's GoogleTest integration reports every failure, and its global listener lists each
// one in the "to reproduce, run with" summary at exit. A test that checks that a planted bug IS
// caught wants the verdict only, so it runs the property with a listener that records nothing.
#pragma once

#include <rapidcheck.h>

#include <string>
#include <utility>

namespace tracksim::properties {

class QuietListener final : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
};

// Whether `testable` fails within the configured number of cases. `seed` 0 keeps the configured
// seed; any other value fixes it, for tests that check what the shrunk case looks like.
template <class Testable>
bool fails_quietly(const std::string& id, Testable&& testable, bool shrink,
                   std::uint64_t seed = 0) {
  rc::detail::TestMetadata metadata;
  metadata.id = id;
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.disableShrinking = !shrink;
  if (seed != 0) params.seed = seed;
  QuietListener listener;
  const auto result = rc::detail::checkProperty(
      rc::detail::toProperty(std::forward<Testable>(testable)), metadata, params, listener);
  return result.template is<rc::detail::FailureResult>();
}

}  // namespace tracksim::properties

// Assertions that stay on in release builds, for broken invariants of the model's own code.
//
// A fault the delivery-tracking system must handle (a timeout, a version conflict) is a value of
// Result<T>, never a check. A failed TRACKSIM_CHECK means the code or its harness is wrong: it
// prints the condition and its place and aborts, so a simulation stops at the first broken
// invariant instead of producing a plausible but wrong history. `assert` is not used for this
// because RelWithDebInfo builds define NDEBUG.
#pragma once

namespace tracksim::model::detail {

[[noreturn]] void check_failed(const char* condition, const char* file, int line);

}  // namespace tracksim::model::detail

#define TRACKSIM_CHECK(condition)                                              \
  do {                                                                         \
    if (!(condition)) {                                                        \
      ::tracksim::model::detail::check_failed(#condition, __FILE__, __LINE__); \
    }                                                                          \
  } while (false)

// The failure path of TRACKSIM_CHECK: report and abort.
#include "model/check.h"

#include <cstdio>
#include <cstdlib>

namespace tracksim::model::detail {

void check_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: TRACKSIM_CHECK failed: %s\n", file, line, condition);
  std::fflush(stderr);
  std::abort();
}

}  // namespace tracksim::model::detail

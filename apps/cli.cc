#include "apps/cli.h"

#include <cstdio>

namespace tracksim::cli {

int main(int, char**) {
  std::fputs("tracksim: not built yet\n", stderr);
  return kExitBadInput;
}

}  // namespace tracksim::cli

// The tracksim command line; everything lives in apps/cli.cc so tests can call it in-process.
#include "apps/cli.h"

int main(int argc, char** argv) {
  return tracksim::cli::main(argc, argv);
}

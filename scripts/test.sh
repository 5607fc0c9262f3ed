#!/usr/bin/env bash
# Every test of tracksim, from a fresh clone: installs what is needed, then
#   1. checks the formatting (clang-format, 100 columns);
#   2. builds as the README does (Release) with -Werror and runs every CTest test (labels unit,
#      property, slow, browser);
#   3. builds again with AddressSanitizer + UndefinedBehaviorSanitizer at -O0 and runs every test;
#   4. checks that both builds give the same trace digests for the shipped scenarios' seeds.
# Exits non-zero on the first failure. Set TRACKSIM_SKIP_SANITIZE=1 to stop after step 2.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

bash scripts/install-deps.sh

echo "== format check"
files=$(git ls-files '*.h' '*.cc' 2>/dev/null || find model sim properties reports apps bench -name '*.h' -o -name '*.cc')
clang-format --dry-run --Werror $files
echo "format: ok"

echo "== optimised build (-Werror)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRACKSIM_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 1800

if [ "${TRACKSIM_SKIP_SANITIZE:-0}" = 1 ]; then exit 0; fi

echo "== sanitizer build (ASan + UBSan, -O0)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTRACKSIM_WERROR=ON \
  -DTRACKSIM_SANITIZE=ON -DTRACKSIM_BENCH=OFF >/dev/null
cmake --build build-asan -j "$jobs"
# Boost.Context switches stacks without telling ASan (Debian's build has no fiber-switch
# annotations), so ASan's stack-use-after-return would misreport and is turned off here, as is
# use-after-scope at compile time (see CMakeLists.txt). Heap, leak and UB checks stay on.
export ASAN_OPTIONS=detect_stack_use_after_return=0:detect_leaks=1:check_initialization_order=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# At -O0 under the sanitizers a simulation runs ten to twenty times slower, so the RapidCheck
# suites run fewer cases here (the optimised build above ran their full count), and the browser
# test, which exercises no C++ beyond what the optimised run covered, is left out.
export RC_PARAMS="max_success=20"
ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 2400 -LE browser

echo "== same digests at -O2 and at -O0 with sanitizers"
# rush-hour (hundreds of drivers for an hour) is left out here only for its run time at -O0.
COMPARE_SKIP=rush-hour bash scripts/compare_builds.sh build/tracksim build-asan/tracksim

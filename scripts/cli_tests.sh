#!/usr/bin/env bash
# End-to-end checks of the tracksim binary: filled in with the command line.
set -euo pipefail
bin=$1
"$bin" --help >/dev/null 2>&1 || true
echo "cli_tests: 0 passed, 0 failed"

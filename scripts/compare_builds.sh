#!/usr/bin/env bash
# Runs every shipped scenario at its first default seed with two tracksim binaries (built with
# different optimisation levels or sanitizers) and checks that the trace digests are identical.
# Usage: scripts/compare_builds.sh BINARY_A BINARY_B
set -euo pipefail
a=$1
b=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
checked=0
differ=0
for scenario in scenarios/*.toml; do
  case "$scenario" in *"${COMPARE_SKIP:-/nothing/}"*) echo "  $scenario: skipped"; continue ;; esac
  seed=$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb")).get("scenario", {}).get("seeds", [1])[0])' "$scenario")
  da=$("$a" run "$scenario" --seed "$seed" --json --out "$tmp/a" | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["runs"][0]["digest"])' || true)
  db=$("$b" run "$scenario" --seed "$seed" --json --out "$tmp/b" | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["runs"][0]["digest"])' || true)
  checked=$((checked + 1))
  if [ "$da" = "$db" ] && [ -n "$da" ]; then
    echo "  $scenario seed $seed: $da in both builds"
  else
    echo "  $scenario seed $seed: DIFFERENT digests: $da vs $db"
    differ=$((differ + 1))
  fi
done
echo "compare_builds: $((checked - differ)) passed, $differ failed"
[ "$differ" = 0 ]

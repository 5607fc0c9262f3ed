#!/usr/bin/env bash
# End-to-end checks of the tracksim binary: every command, its exit code, and the lines people and
# scripts rely on (docs/cli.md). CTest runs this as cli.end_to_end from the repository root:
#
#   bash scripts/cli_tests.sh build/tracksim
#
# Each check prints "ok NAME" or "FAIL NAME" with what it saw; the last line is
# "cli_tests: N passed, N failed", and the exit status is 1 when any check failed.
set -uo pipefail

bin=${1:?usage: cli_tests.sh PATH/TO/tracksim}
work=$(mktemp -d "${TMPDIR:-/tmp}/tracksim-cli-tests.XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

# check NAME WANT_EXIT CMD...: runs CMD, keeps stdout in $out and stderr in $err.
out=""
err=""
code=0
check() {
  local name=$1 want=$2
  shift 2
  out=$("$@" 2>"$work/stderr")
  code=$?
  # A sanitizer build warns once per process that it cannot see the fiber stacks' bounds (see
  # CMakeLists.txt); that notice is the sanitizer's, not tracksim's, and is left out here.
  err=$(sed -E '/^==[0-9]+==WARNING: ASan is ignoring requested __asan_handle_no_return/,+2d' \
    "$work/stderr")
  if [[ $code -eq $want ]]; then
    return 0
  fi
  fail "$name" "exit $code, wanted $want; stderr: ${err:0:300}"
  return 1
}
ok() {
  passed=$((passed + 1))
  echo "ok   $1"
}
fail() {
  failed=$((failed + 1))
  echo "FAIL $1: $2"
}
# expect NAME TEXT PATTERN: TEXT matches the extended regular expression PATTERN.
expect() {
  if grep -Eq -- "$3" <<<"$2"; then ok "$1"; else fail "$1" "no '$3' in: ${2:0:400}"; fi
}
# one_line NAME TEXT: TEXT is a single line starting "tracksim: ".
one_line() {
  if [[ $(wc -l <<<"$2") -eq 1 && $2 == "tracksim: "* ]]; then ok "$1"; else
    fail "$1" "not one 'tracksim: ' line: ${2:0:400}"
  fi
}

# --- help, version, usage ------------------------------------------------------------------------
check help 0 "$bin" --help && for cmd in run replay shrink validate list; do
  expect "help-lists-$cmd" "$out" "^  $cmd "
done
for cmd in run replay shrink validate list; do
  check "help-$cmd" 0 "$bin" "$cmd" --help && expect "help-$cmd" "$out" "Usage"
done
check version 0 "$bin" --version && expect version "$out" "^[0-9]+\.[0-9]+\.[0-9]+"
check no-command 2 "$bin" && one_line no-command "$err"
check unknown-option 2 "$bin" run scenarios/seed-stress.toml --frobnicate && one_line unknown-option "$err"
check unknown-top-option 2 "$bin" --bogus && one_line unknown-top-option "$err" &&
  expect unknown-top-option "$err" "unknown option '--bogus'"
check unknown-command 2 "$bin" frobnicate && one_line unknown-command "$err" &&
  expect unknown-command-named "$err" "unknown command 'frobnicate'"

# --- validate: good files and every kind of bad one ----------------------------------------------
for f in scenarios/*.toml; do
  check "validate-$(basename "$f")" 0 "$bin" validate "$f" && expect "validate-$(basename "$f")" "$out" ": ok \("
done
check validate-missing 2 "$bin" validate "$work/nope.toml" && one_line validate-missing "$err" &&
  expect validate-missing "$err" "nope.toml: no such scenario file"
mkdir "$work/dir.toml"
check validate-directory 2 "$bin" validate "$work/dir.toml" && expect validate-directory "$err" "is a directory"
: >"$work/empty.toml"
check validate-empty 2 "$bin" validate "$work/empty.toml" && expect validate-empty "$err" "is empty"
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00' >"$work/binary.toml"
check validate-binary 2 "$bin" validate "$work/binary.toml" && one_line validate-binary "$err"
printf '\xff\xfe\x01\x02garbage\x7f[[[\n' >"$work/garbage.toml"
check validate-garbage 2 "$bin" validate "$work/garbage.toml" && one_line validate-garbage "$err"
printf '[scenario]\nname = "x"\n[workload]\ndrivrs = 3\n' >"$work/unknown.toml"
check validate-unknown-key 2 "$bin" validate "$work/unknown.toml" &&
  expect validate-unknown-key "$err" "unknown.toml:4:10: field 'workload.drivrs' is not a known field"
printf '[scenario]\nname = "x"\n[workload]\ndrivers = "three"\n' >"$work/type.toml"
check validate-wrong-type 2 "$bin" validate "$work/type.toml" &&
  expect validate-wrong-type "$err" "type.toml:4:11: field 'workload.drivers' must be an integer, not a string"
printf '[scenario]\nname = "x"\n[network]\nloss_rate = 2\n' >"$work/range.toml"
check validate-range 2 "$bin" validate "$work/range.toml" &&
  expect validate-range "$err" "range.toml:4:13: field 'network.loss_rate' is 2, outside its range \[0, 1\]"
printf '[scenario]\nname = "x"\n[[faults]]\nkind = "meteor"\nat_s = 1\n' >"$work/fault.toml"
check validate-fault-kind 2 "$bin" validate "$work/fault.toml" &&
  expect validate-fault-kind "$err" "fault.toml:4:8: field 'faults\[0\].kind' must be one of"
check validate-json 2 "$bin" validate --json scenarios/seed-stress.toml "$work/range.toml" &&
  expect validate-json "$out" '"valid": false'

# --- run -----------------------------------------------------------------------------------------
check run-pass 0 "$bin" run scenarios/seed-stress.toml --seed 1 --out "$work/pass" &&
  expect run-pass "$out" "^verdict: PASS \(1 of 1 seeds pass\)" &&
  expect run-pass-rerun "$out" "^rerun: tracksim run scenarios/seed-stress.toml --seed 1$" &&
  expect run-pass-first-line "$(head -1 <<<"$out")" "^tracksim [0-9.]+: scenario seed-stress" &&
  [[ -f $work/pass/seed-1/summary.json ]] && ok run-pass-summary-json
digest_a=$(grep -Eo 'digest [0-9a-f]{16}' <<<"$out")
check run-again 0 "$bin" run scenarios/seed-stress.toml --seed 1 --out "$work/pass2"
digest_b=$(grep -Eo 'digest [0-9a-f]{16}' <<<"$out")
if [[ -n $digest_a && $digest_a == "$digest_b" ]]; then ok run-same-digest; else
  fail run-same-digest "'$digest_a' vs '$digest_b'"
fi
check run-legacy-fails 1 "$bin" run scenarios/seed-stress.toml --impl legacy --seed 1 --out "$work/legacy" &&
  expect run-legacy-fails "$out" "^verdict: FAIL" &&
  expect run-legacy-rerun "$out" "^rerun: tracksim run scenarios/seed-stress.toml --seed 1 --impl legacy$"
trace=$work/legacy/seed-1/trace.jsonl
[[ -f $trace ]] && ok run-legacy-trace || fail run-legacy-trace "no $trace"
# A passing run into the folder of a failing one leaves no trace of the earlier run behind.
mkdir -p "$work/reused/seed-1" && cp "$trace" "$work/reused/seed-1/trace.jsonl"
if check run-reused-out 0 "$bin" run scenarios/seed-stress.toml --seed 1 --out "$work/reused"; then
  if [[ -e $work/reused/seed-1/trace.jsonl ]]; then
    fail run-reused-out "an earlier run's trace.jsonl is still in $work/reused/seed-1"
  else ok run-reused-out; fi
fi
check run-seeds 0 "$bin" run scenarios/seed-stress.toml --seeds 1..3 --out "$work/seeds" &&
  expect run-seeds "$(grep -c '^seed [0-9]*:' <<<"$out")" "^3$"
check run-json 0 "$bin" run scenarios/seed-stress.toml --seed 2 --json --out "$work/json" &&
  expect run-json "$out" '"verdict": "pass"'
if command -v python3 >/dev/null; then
  if python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$out"; then ok run-json-parses; else
    fail run-json-parses "stdout is not one JSON document"
  fi
fi
check run-trace-flag 0 "$bin" run scenarios/seed-stress.toml --seed 1 --trace --out "$work/traced" &&
  [[ -f $work/traced/seed-1/trace.jsonl ]] && ok run-trace-flag-file
check run-determinism 0 "$bin" run scenarios/seed-stress.toml --seed 1 --check-determinism --out "$work/det"
check run-bad-seeds 2 "$bin" run scenarios/seed-stress.toml --seeds 5 && one_line run-bad-seeds "$err"
check run-empty-seeds 2 "$bin" run scenarios/seed-stress.toml --seeds 5..2 && one_line run-empty-seeds "$err"
check run-seed-and-seeds 2 "$bin" run scenarios/seed-stress.toml --seed 1 --seeds 1..2 && one_line run-seed-and-seeds "$err"
check run-bad-seed 2 "$bin" run scenarios/seed-stress.toml --seed -3 && one_line run-bad-seed "$err"
# A seed must fit a scenario file, since shrink writes one.
check run-huge-seed 2 "$bin" run scenarios/seed-stress.toml --seed 18446744073709551615 &&
  one_line run-huge-seed "$err" && expect run-huge-seed "$err" "too large for a seed"
touch "$work/a-file"
check run-out-not-a-folder 2 "$bin" run scenarios/seed-stress.toml --seed 1 --out "$work/a-file" &&
  one_line run-out-not-a-folder "$err" && expect run-out-not-a-folder-nothing-run "[$out]" '^\[\]$'
check run-bad-impl 2 "$bin" run scenarios/seed-stress.toml --impl newest && one_line run-bad-impl "$err"
check run-bad-mutant 2 "$bin" run scenarios/seed-stress.toml --mutant no_such_bug && one_line run-bad-mutant "$err"
check run-bad-schedule 2 "$bin" run scenarios/seed-stress.toml --schedule chaos && one_line run-bad-schedule "$err"
check run-missing-scenario 2 "$bin" run "$work/nope.toml" && one_line run-missing-scenario "$err"
check run-bad-scenario 2 "$bin" run "$work/range.toml" && one_line run-bad-scenario "$err"

# --- replay --------------------------------------------------------------------------------------
check replay 0 "$bin" replay "$trace" && expect replay "$out" "^replay: REPRODUCED \([0-9]+ event lines, digest [0-9a-f]{16}\)$"
check replay-json 0 "$bin" replay --json "$trace" && expect replay-json "$out" '"reproduced": true'
# One event line changed: the replay names it.
awk 'NR == 6 { sub(/"t":[0-9]+/, "\"t\":1") } { print }' "$trace" >"$work/edited.jsonl"
check replay-diverged 1 "$bin" replay "$work/edited.jsonl" && expect replay-diverged "$out" "^replay: DIVERGED at event line 4 \(file line 6\)$"
head -n -1 "$trace" >"$work/truncated.jsonl"
check replay-truncated 2 "$bin" replay "$work/truncated.jsonl" && one_line replay-truncated "$err" &&
  expect replay-truncated "$err" "is truncated"
head -c 300 "$trace" >"$work/cut.jsonl"
check replay-cut-mid-line 2 "$bin" replay "$work/cut.jsonl" && one_line replay-cut-mid-line "$err"
sed '1s/"format_version":1/"format_version":9/' "$trace" >"$work/future.jsonl"
check replay-format-version 2 "$bin" replay "$work/future.jsonl" && one_line replay-format-version "$err" &&
  expect replay-format-version "$err" "format version 9 is not supported"
{ echo 'this is not json'; tail -n +2 "$trace"; } >"$work/notjson.jsonl"
check replay-not-json 2 "$bin" replay "$work/notjson.jsonl" && one_line replay-not-json "$err" &&
  expect replay-not-json "$err" "notjson.jsonl:1: the header line is not a JSON object"
{ echo '{"format":"other"}'; tail -n +2 "$trace"; } >"$work/other.jsonl"
check replay-other-format 2 "$bin" replay "$work/other.jsonl" && one_line replay-other-format "$err"
sed '3d' "$trace" >"$work/holed.jsonl"
check replay-missing-line 2 "$bin" replay "$work/holed.jsonl" && expect replay-missing-line "$err" "is damaged"
check replay-missing 2 "$bin" replay "$work/none.jsonl" && one_line replay-missing "$err"
check replay-empty 2 "$bin" replay "$work/empty.toml" && one_line replay-empty "$err"
check replay-binary 2 "$bin" replay "$work/binary.toml" && one_line replay-binary "$err"

# --- shrink --------------------------------------------------------------------------------------
check shrink 0 "$bin" shrink "$trace" --out "$work/shrunk" &&
  expect shrink "$out" "^smaller: operations 20 -> [0-9]+" &&
  expect shrink-rerun "$out" "^rerun: tracksim run $work/shrunk/seed-stress-shrunk.toml --seed 1$"
ops_after=$(grep -Eo '^smaller: operations 20 -> [0-9]+' <<<"$out" | grep -Eo '[0-9]+$')
if [[ -n $ops_after && $ops_after -lt 20 ]]; then ok shrink-smaller; else fail shrink-smaller "operations after: '$ops_after'"; fi
check shrink-scenario-fails 1 "$bin" run "$work/shrunk/seed-stress-shrunk.toml" --out "$work/shrunk-run"
check shrink-trace-replays 0 "$bin" replay "$work/shrunk/trace.jsonl"
check shrink-validates 0 "$bin" validate "$work/shrunk/seed-stress-shrunk.toml"
check shrink-passing 2 "$bin" shrink "$work/traced/seed-1/trace.jsonl" --out "$work/nothing" &&
  one_line shrink-passing "$err" && expect shrink-passing "$err" "nothing to shrink"
check shrink-bad-property 2 "$bin" shrink "$trace" --property run_completed --out "$work/x" &&
  one_line shrink-bad-property "$err"
check shrink-unknown-property 2 "$bin" shrink "$trace" --property nosuch --out "$work/x" &&
  one_line shrink-unknown-property "$err" &&
  expect shrink-unknown-property "$err" "nosuch is not a property"
check shrink-json 0 "$bin" shrink --json --max-runs 5 "$trace" --out "$work/shrunk-json" &&
  expect shrink-json "$out" '"budget_spent": true'
check shrink-truncated 2 "$bin" shrink "$work/truncated.jsonl" && one_line shrink-truncated "$err"

# --- list ----------------------------------------------------------------------------------------
check list 0 "$bin" list && expect list "$out" "^scenarios \(scenarios\):" &&
  expect list-seed-stress "$out" "scenarios/seed-stress.toml +the fix's own stress test" &&
  expect list-properties "$out" "^properties:" && expect list-mutants "$out" "^planted bugs" &&
  expect list-faults "$out" "^fault kinds" && expect list-fields "$out" "workload.drivers"
check list-scenarios 0 "$bin" list scenarios && expect list-scenarios "$(grep -c '^  scenarios/' <<<"$out")" "^$(ls scenarios/*.toml | wc -l)$"
check list-json 0 "$bin" list --json properties && expect list-json "$out" '"properties"'
check list-markdown 0 "$bin" list fields --markdown && expect list-markdown "$out" '^\| field \| type \| default'
check list-bad 2 "$bin" list frobs && one_line list-bad "$err"
check list-bad-dir 2 "$bin" list scenarios --dir "$work/nope" && one_line list-bad-dir "$err"

echo "cli_tests: $passed passed, $failed failed"
[[ $failed -eq 0 ]]

#!/usr/bin/env bash
# Opens report.html in headless Chromium and checks that a person would see a working page.
#
# Usage: scripts/report_browser_test.sh TRACKSIM_BINARY OUTPUT_FOLDER
#
# Runs a scenario whose name is hostile HTML (<script>alert(1)</script> & quotes) under the legacy
# implementation, so the report has violations with witness links, then loads the report from
# file:// only (nothing over the network) and checks the dumped DOM: the page's script ran to its
# end (body data-ok="1") with no uncaught error (no data-error), the timeline is drawn with one bar
# per operation, the hostile name is text and not markup, and following a witness link (#op-N)
# focuses that operation. A second, larger run (thousands of operations) must load the same way.
# Screenshots go to OUTPUT_FOLDER/report_browser_test*.png for a person to look at.
# Exit 77 (CTest: skipped) when Chromium is not installed.
set -euo pipefail
bin=$(realpath "$1")
shots=$(realpath -m "$2")
mkdir -p "$shots"
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "report_browser_test: skipped, chromium is not installed (scripts/install-deps.sh)"
  exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
check() {  # check NAME COMMAND...: runs a check, counts it
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    echo "report_browser_test: FAIL $name"
    failed=$((failed + 1))
  fi
}

# chromium_run ARGS...: one headless browser with a fresh profile and no network services.
chromium_run() {
  local profile
  profile=$(mktemp -d "$tmp/profile.XXXX")
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" "$@" 2>"$tmp/chromium.log"
}

# The hostile scenario: the shipped stress test under a name that is HTML.
python3 - "$tmp/hostile.toml" <<'PY'
import sys
text = open("scenarios/seed-stress.toml").read()
lines = []
for line in text.splitlines():
    if line.startswith("name = "):
        line = 'name = "<script>alert(1)</script> & \\"quotes\\" \'single\'"'
    if line.startswith("description = "):
        line = 'description = "<img src=x onerror=alert(2)> <b>not bold</b>"'
    lines.append(line)
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
status=0
"$bin" run "$tmp/hostile.toml" --impl legacy --seed 1 --out "$tmp/hostile" >"$tmp/run.log" || status=$?
check "run exits 0 or 1" test "$status" -le 1
report="$tmp/hostile/seed-1/report.html"
check "report.html written" test -s "$report"

chromium_run --dump-dom "file://$report" >"$tmp/dom.html"
chromium_run --window-size=1400,2200 --screenshot="$shots/report_browser_test.png" \
  "file://$report" >/dev/null
check "screenshot saved" test -s "$shots/report_browser_test.png"

cat >"$tmp/check_dom.py" <<'PY'
import json, re, sys
dom = open(sys.argv[1]).read()
summary = json.load(open(sys.argv[2]))
problems = []
body = re.search(r"<body[^>]*>", dom)
if not body or 'data-ok="1"' not in body.group(0):
    problems.append("the page's script did not finish: %s" % (body.group(0) if body else "no body"))
if body and "data-error" in body.group(0):
    problems.append("script error: " + body.group(0))
if 'id="tl-svg"' not in dom:
    problems.append("no timeline svg")
bars = len(re.findall(r'<rect class="op [^"]*"[^>]*data-op=', dom))
if bars != summary["operations"]:
    problems.append("timeline has %d operation bars, the run %d operations" % (bars, summary["operations"]))
if len(re.findall(r"<script[\s>]", dom)) != 2:
    problems.append("a string became a script element")
if re.search(r"<img[\s>]", dom) or re.search(r"<b>not bold", dom):
    problems.append("a string became markup")
if "&lt;script&gt;alert(1)&lt;/script&gt;" not in dom:
    problems.append("the hostile name is not shown as text")
for p in problems:
    print("report_browser_test: FAIL " + p)
if not problems:
    print("report_browser_test: page ok, %d operation bars, script ran without errors" % bars)
sys.exit(1 if problems else 0)
PY
check "the page works and shows strings as text" \
  python3 "$tmp/check_dom.py" "$tmp/dom.html" "$tmp/hostile/seed-1/summary.json"

# Following a witness link focuses its operation on the timeline.
op=$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
ops = [o for p in s["properties"] for w in p["witnesses"] for o in w["operations"]]
print(ops[0] if ops else 0)' "$tmp/hostile/seed-1/summary.json")
chromium_run --dump-dom "file://$report#op-$op" >"$tmp/focus.html"
# Tall enough that the timeline is in view without scrolling: headless screenshots of a
# scrolled page come out blank.
chromium_run --window-size=1400,3200 --screenshot="$shots/report_browser_test_focus.png" \
  "file://$report#op-$op" >/dev/null
check "a witness link focuses its operation" grep -q "class=\"op [^\"]*focus\"[^>]*data-op=\"$op\"" \
  "$tmp/focus.html"
check "the focused operation's details are shown" grep -q "<dt>operation</dt>" "$tmp/focus.html"

# junit.xml is well-formed XML with one test case per property.
check "junit.xml is well formed" python3 -c '
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall(".//testcase")
props = json.load(open(sys.argv[2]))["properties"]
sys.exit(0 if len(cases) == len(props) and root.get("failures") == str(sum(not p["holds"] for p in props)) else 1)
' "$tmp/hostile/junit.xml" "$tmp/hostile/seed-1/summary.json"

# A run of thousands of operations loads and draws a page of deliveries.
cat >"$tmp/large.toml" <<'TOML'
[scenario]
name = "large"
description = "many drivers on routes, with a partition and a storage failover"
duration_s = 1200
drain_s = 120

[workload]
kind = "routes"
drivers = 30
deliveries = 60
location_interval_s = 5
city_size_km = 4

[[faults]]
kind = "partition"
target = "*"
at_s = 300
duration_s = 20

[[faults]]
kind = "storage_failover"
at_s = 600
duration_s = 15
TOML
status=0
"$bin" run "$tmp/large.toml" --seed 1 --out "$tmp/large" >"$tmp/large.log" || status=$?
check "large run exits 0 or 1" test "$status" -le 1
chromium_run --dump-dom "file://$tmp/large/seed-1/report.html" >"$tmp/large.html"
chromium_run --window-size=1400,3200 --screenshot="$shots/report_browser_test_large.png" \
  "file://$tmp/large/seed-1/report.html" >/dev/null
check "large page's script finished" grep -q '<body data-ok="1">' "$tmp/large.html"
operations=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["operations"])' \
  "$tmp/large/seed-1/summary.json")
echo "report_browser_test: large run has $operations operations, $(grep -o 'id="tl-status">[^<]*' "$tmp/large.html" | sed 's/.*>//')"
check "large run has thousands of operations" test "$operations" -ge 1000

echo "report_browser_test: $passed passed, $failed failed; screenshots in $shots"
[ "$failed" = 0 ]

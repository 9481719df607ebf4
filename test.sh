#!/usr/bin/env bash
# Runs the whole test suite: installs prerequisites, builds Release, runs every xunit test, and ends
# with the totals on one line: "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")"

bash scripts/prerequisites.sh --for-tests || exit 1
# The AWS SDK for JavaScript v3, one of the real clients the tests drive Stratus with.
npm install --prefix tests/js --no-package-lock --no-audit --no-fund --silent || exit 1

results="artifacts/test-results"
rm -rf "$results"
dotnet test Stratus.slnx -c Release --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" "$@"
status=$?

python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
passed = failed = 0
for trx in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    root = ET.parse(trx).getroot()
    counters = root.find(".//{*}Counters")
    if counters is not None:
        passed += int(counters.get("passed", 0))
        failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0))
    # A CI log is often read from its tail only: name each failure and its first lines again here.
    for result in root.findall(".//{*}UnitTestResult"):
        if result.get("outcome") not in ("Passed", "NotExecuted"):
            message = result.find(".//{*}ErrorInfo/{*}Message")
            lines = (message.text or "").strip().splitlines()[:6] if message is not None else []
            print(f"FAILED {result.get('testName')} ({result.get('duration')})")
            for line in lines:
                print(f"    {line[:300]}")
            # The test's own frames (file:line) say which step failed when one test asserts many.
            trace = result.find(".//{*}ErrorInfo/{*}StackTrace")
            frames = [l.strip() for l in (trace.text or "").splitlines() if "/tests/" in l] if trace is not None else []
            for frame in frames[:3]:
                print(f"    {frame[:300]}")
print(f"{passed} passed, {failed} failed")
PY
exit $status

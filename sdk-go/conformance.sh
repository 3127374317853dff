#!/usr/bin/env bash
# The Go runner of the shared conformance suite (spec/conformance/*.nkc).
# Prints exactly one line, "go: N passed, M failed" (or "go: skipped (why)"),
# and exits non-zero when a case fails. tests/conformance.sh calls it.
set -uo pipefail
cd "$(dirname "$0")"

if ! command -v go >/dev/null; then
  echo "go: skipped (no Go toolchain on PATH)"
  exit 0
fi

log=$(mktemp)
summary=$(mktemp)
trap 'rm -f "$log" "$summary"' EXIT

if ! (cd .. && cargo build --release -p nook-abi --quiet) >"$log" 2>&1; then
  cat "$log" >&2
  echo "go: 0 passed, 1 failed (cargo build --release -p nook-abi failed)"
  exit 1
fi

NOOK_CONFORMANCE_SUMMARY="$summary" go test -count=1 -run '^TestConformance$' -v . >"$log" 2>&1
status=$?
line=$(cat "$summary" 2>/dev/null)
if [ -z "$line" ]; then
  cat "$log" >&2
  echo "go: 0 passed, 1 failed (go test did not run the suite; output above)"
  exit 1
fi
if [ "$status" -ne 0 ]; then
  # Show only the failing cases' lines.
  grep -E -- '--- FAIL|conformance_test.go' "$log" >&2 || cat "$log" >&2
fi
echo "$line"
exit "$status"

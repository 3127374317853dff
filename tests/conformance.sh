#!/usr/bin/env bash
# The shared conformance suite on every front end: runs each runner script
# (abi/conformance.sh = c, cli/conformance.sh = cli, sdk-go/conformance.sh = go,
# sdk-dart/conformance.sh = dart), one after the other, and prints the one line
# each prints, e.g. `c: 105 passed, 0 failed` or `dart: skipped (no Dart SDK on
# PATH)`. Build output and failure details go to stderr. Exits non-zero when
# any runner fails, is missing or runs no case (tests/scripts_test.sh proves it).
# Usage: bash tests/conformance.sh
set -uo pipefail
cd "$(dirname "$0")/.."

status=0
lines=()
for entry in c:abi/conformance.sh cli:cli/conformance.sh go:sdk-go/conformance.sh dart:sdk-dart/conformance.sh; do
  runner=${entry%%:*}
  script=${entry#*:}
  if [ ! -f "$script" ]; then
    lines+=("$runner: failed ($script is missing; restore it)")
    status=1
    continue
  fi
  output=$(bash "$script")
  code=$?
  line=$(printf '%s\n' "$output" | grep -E "^$runner: " | tail -n 1)
  if [ -z "$line" ]; then
    line="$runner: failed ($script printed no summary line; exit status $code)"
    [ -n "$output" ] && printf '%s\n' "$output" >&2
  fi
  if [ "$code" -ne 0 ]; then
    status=1
    case $line in *failed*) ;; *) line="$line (exit status $code)" ;; esac
  fi
  # A runner that ran no case proves nothing (an unreadable case folder, say).
  if printf '%s\n' "$line" | grep -Eq "^$runner: 0 passed"; then
    status=1
    line="$line (no case ran: a runner must run every case of spec/conformance)"
  fi
  lines+=("$line")
done

printf '%s\n' "${lines[@]}"
exit "$status"

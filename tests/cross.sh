#!/usr/bin/env bash
# Nook's tests on foreign targets, with the toolchains of scripts/toolchains.sh:
#  - the engine's test suite and the C tests (misuse + conformance runner) on
#    aarch64 Linux (qemu), 32-bit i686 Linux (natively: the stand-in for
#    Android armeabi-v7a) and Windows x86-64 (wine);
#  - files written on little-endian x86-64 open and read on big-endian s390x
#    (qemu), and the other way round (engine/tests/exchange.rs).
# Each foreign engine run prints its own `test result:` lines; a step that
# runs no test fails.
#
# Usage: bash tests/cross.sh [target…]   (default: every target above)
#   a target is a Rust triple (engine and C tests), c:<triple> (the C tests
#   only) or s390x-exchange (the cross-endian file test).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
summary=()

engine_tests() { # engine_tests <triple>
  local t=$1 log
  log=$(mktemp)
  (
    # shellcheck source=scripts/cross-env.sh
    source scripts/cross-env.sh "$t"
    # Under qemu the heaviest tests run at a tenth of their size
    # (NOOK_TEST_SCALE, a percentage); native targets run them in full.
    case "${NOOK_TEST_RUNNER:-}" in qemu-*) export NOOK_TEST_SCALE=${NOOK_TEST_SCALE:-10} ;; esac
    cross_cargo test --quiet -p nookdb 2>&1
  ) | tee "$log" | grep -E '^test result|FAILED|panicked|error' || true
  local status=${PIPESTATUS[0]}
  local passed failed
  passed=$(awk '/^test result:/ {for (i = 1; i < NF; i++) if ($(i + 1) ~ /^passed/) n += $i} END {print n + 0}' "$log")
  failed=$(awk '/^test result:/ {for (i = 1; i < NF; i++) if ($(i + 1) ~ /^failed/) n += $i} END {print n + 0}' "$log")
  rm -f "$log"
  summary+=("$t engine: ${passed:-0} passed, ${failed:-0} failed")
  [ "$status" -eq 0 ] && [ "${passed:-0}" -gt 0 ] || { echo "tests/cross.sh: engine tests failed on $t" >&2; exit 1; }
}

c_tests() { # c_tests <triple>
  bash abi/test.sh "$1"
  summary+=("$1 C tests: passed")
}

exchange() { # files written on x86-64 read on s390x, and the other way round
  local dir
  dir=$(mktemp -d)
  mkdir -p "$dir/from-x86_64" "$dir/from-s390x"
  NOOK_EXCHANGE_WRITE="$dir/from-x86_64" cargo test --quiet -p nookdb --test exchange
  (
    source scripts/cross-env.sh s390x-unknown-linux-gnu
    NOOK_EXCHANGE_READ="$dir/from-x86_64" cross_cargo test --quiet -p nookdb --test exchange
    NOOK_EXCHANGE_WRITE="$dir/from-s390x" cross_cargo test --quiet -p nookdb --test exchange
  )
  NOOK_EXCHANGE_READ="$dir/from-s390x" cargo test --quiet -p nookdb --test exchange
  rm -rf "$dir"
  summary+=("x86_64 <-> s390x file exchange: passed")
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(aarch64-unknown-linux-gnu i686-unknown-linux-gnu x86_64-pc-windows-gnu s390x-exchange)
for t in "${targets[@]}"; do
  case "$t" in
    s390x-exchange) step "cross-endian files (x86_64 <-> s390x)"; exchange ;;
    c:*) step "C tests on ${t#c:}"; c_tests "${t#c:}" ;;
    *) step "engine tests on $t"; engine_tests "$t"; step "C tests on $t"; c_tests "$t" ;;
  esac
done

echo
printf '%s\n' "${summary[@]}"

#!/usr/bin/env bash
# Tests of the C ABI as a C program sees it:
#  1. nook.h and src/codes.rs are fresh (cargo test -p nook-abi generated);
#  2. the example of spec/abi.md compiles and runs;
#  3. the misuse tests (abi/tests/*.c: NULL pointers, zero and oversized
#     lengths, forged/closed/wrong-kind handles, LOCKED/CORRUPTED/IO, many
#     threads at once), compiled with -Werror against nook.h;
#  4. the C conformance runner fails on a folder with no case;
#  5. the misuse tests and the C conformance runner under valgrind (no invalid
#     access, no definite or indirect leak), when valgrind is installed.
# Compile flags and link lines: abi/c-build.sh.
#
# Usage: bash abi/test.sh            this machine, with gcc (all of the above)
#        bash abi/test.sh TARGET     another Rust target triple: libnook built
#   with scripts/cross-env.sh (into target/cross/TARGET/release), the programs
#   with the target's C compiler, run with its runner (qemu, wine, natively);
#   steps 2-4 and the conformance runner over spec/conformance instead of 1
#   and 5. A target this machine cannot run (Apple, Android) is built and
#   linked only, and says so.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source abi/c-build.sh

target=${1:-}
if [ -z "$target" ]; then
  if ! command -v gcc >/dev/null; then
    echo "abi/test.sh: gcc is not installed (apt-get install gcc); cannot test the C ABI" >&2
    exit 1
  fi
  echo "abi: header and status codes are fresh"
  cargo test --quiet -p nook-abi generated >/dev/null
  cargo build --release --quiet -p nook-abi
  cc=gcc
  libdir=$PWD/target/release
  out=target/nook-c
  runner=()
  label=abi
else
  source scripts/cross-env.sh "$target"
  echo "abi $target: building libnook (std from source the first time: minutes)"
  cross_cargo build --release --quiet -p nook-abi
  cc=$NOOK_CROSS_CC
  libdir=$NOOK_CROSS_TARGET_DIR/$target/release
  out=$NOOK_CROSS_TARGET_DIR/$target/nook-c
  read -ra runner <<<"${NOOK_TEST_RUNNER:-}" # e.g. qemu-aarch64 -L /usr/aarch64-linux-gnu
  label="abi $target"
fi

scratch=$(mktemp -d)
# Relative paths for the programs' files: the same folder whatever the
# runner (wine maps the current folder, not every Unix path, to a drive).
work=$(mktemp -d target/nook-c-work.XXXXXX)
trap 'rm -rf "$scratch" "$work"' EXIT

nook_c_tests "$cc" "$target" "$libdir" "$out"
awk '/^```c example$/ {on = 1; next} /^```$/ {on = 0} on' spec/abi.md >"$scratch/example.c"
nook_c_program "$cc" "$target" "$libdir" "$out/example" "$scratch/example.c"
misuse=$(nook_c_exe "$target" "$out/misuse")
conformance=$(nook_c_exe "$target" "$out/conformance")
example=$(nook_c_exe "$target" "$out/example")

if [ -n "$target" ] && [ "$NOOK_CROSS_CAN_RUN" != 1 ]; then
  echo "$label: the C tests compile and link; NOT RUN: this machine cannot run $target"
  exit 0
fi

# The programs' output without the carriage returns of Windows text mode.
lines() { tr -d '\r' <"$1"; }
# Every step runs; each failure is reported, and any fails the script.
failed=0
fail() { echo "$label: FAILED: $*" >&2; failed=1; }
run() { ${runner[@]+"${runner[@]}"} "$@"; }

echo "$label: the example of spec/abi.md compiles and runs"
if ! run "$example" >"$scratch/example.out" 2>"$scratch/example.err" ||
   ! lines "$scratch/example.out" | grep -q '^2 bytes: 18 2a$' ||
   ! lines "$scratch/example.err" | grep -q '^insert: nook_insert: '; then
  cat "$scratch/example.out" "$scratch/example.err" >&2
  fail "the example of spec/abi.md"
fi

echo "$label: misuse tests"
mkdir -p "$work/plain"
run "$misuse" "$work/plain" >"$scratch/misuse.out" || true
lines "$scratch/misuse.out"
lines "$scratch/misuse.out" | grep -q '^misuse: [1-9][0-9]* checks, 0 failed$' || fail "misuse tests"

echo "$label: the C conformance runner fails on a folder with no case"
mkdir -p "$work/no-cases"
if run "$conformance" "$work/no-cases" >"$scratch/no-cases.out" 2>&1; then
  fail "the C conformance runner passed with no case run"
elif ! lines "$scratch/no-cases.out" | grep -q "^c: 0 passed, 1 failed"; then
  lines "$scratch/no-cases.out" >&2
  fail "the C conformance runner's output on a folder with no case"
fi

if [ -n "$target" ]; then
  echo "$label: C conformance runner"
  run "$conformance" spec/conformance >"$scratch/conformance.out" || true
  lines "$scratch/conformance.out"
  lines "$scratch/conformance.out" | grep -q '^c: [1-9][0-9]* passed, 0 failed$' || fail "C conformance runner"
elif command -v valgrind >/dev/null; then
  vg=(valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
      --errors-for-leak-kinds=definite,indirect --child-silent-after-fork=yes)
  echo "abi: misuse tests under valgrind"
  mkdir -p "$work/valgrind"
  "${vg[@]}" "$misuse" "$work/valgrind" || fail "misuse tests under valgrind"
  echo "abi: C conformance runner under valgrind"
  TMPDIR="$scratch" "${vg[@]}" "$conformance" spec/conformance || fail "C conformance runner under valgrind"
else
  echo "abi: valgrind is not installed: SKIPPED the valgrind runs (apt-get install valgrind)"
fi
exit "$failed"

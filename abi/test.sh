#!/usr/bin/env bash
# Tests of the C ABI as a C program sees it:
#  1. nook.h and src/codes.rs are fresh (cargo test -p nook-abi generated);
#  2. the misuse tests (abi/tests/*.c: NULL pointers, zero and oversized
#     lengths, forged/closed/wrong-kind handles, LOCKED/CORRUPTED/IO, many
#     threads at once), compiled with gcc -Werror against nook.h;
#  3. the misuse tests and the C conformance runner under valgrind (no invalid
#     access, no definite or indirect leak), when valgrind is installed.
# Usage: bash abi/test.sh   (exits non-zero on any failure)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v gcc >/dev/null; then
  echo "abi/test.sh: gcc is not installed (apt-get install gcc); cannot test the C ABI" >&2
  exit 1
fi

echo "abi: header and status codes are fresh"
cargo test --quiet -p nook-abi generated >/dev/null

cargo build --release --quiet -p nook-abi
out=target/nook-c
mkdir -p "$out"
cflags=(-std=c11 -O1 -g -Wall -Wextra -Wno-type-limits -Werror -pthread -Iabi/include)
link=(-Ltarget/release -lnook -Wl,-rpath,"$PWD/target/release")
gcc "${cflags[@]}" abi/tests/misuse.c abi/tests/files.c abi/tests/threads.c "${link[@]}" -o "$out/misuse"
gcc "${cflags[@]}" abi/conformance/runner.c "${link[@]}" -o "$out/conformance"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "abi: the example of spec/abi.md compiles and runs"
awk '/^```c example$/ {on = 1; next} /^```$/ {on = 0} on' spec/abi.md >"$scratch/example.c"
gcc "${cflags[@]}" "$scratch/example.c" "${link[@]}" -o "$scratch/example"
"$scratch/example" 2>"$scratch/example.err" | grep -q '^2 bytes: 18 2a$'
grep -q '^insert: nook_insert: ' "$scratch/example.err"

echo "abi: misuse tests"
mkdir -p "$scratch/plain"
"$out/misuse" "$scratch/plain"

echo "abi: the C conformance runner fails on a folder with no case"
mkdir -p "$scratch/no-cases"
if "$out/conformance" "$scratch/no-cases" >"$scratch/no-cases.out" 2>&1; then
  echo "abi: the C conformance runner passed with no case run" >&2
  exit 1
fi
grep -q "^c: 0 passed, 1 failed" "$scratch/no-cases.out"

if command -v valgrind >/dev/null; then
  vg=(valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
      --errors-for-leak-kinds=definite,indirect --child-silent-after-fork=yes)
  echo "abi: misuse tests under valgrind"
  mkdir -p "$scratch/valgrind"
  "${vg[@]}" "$out/misuse" "$scratch/valgrind"
  echo "abi: C conformance runner under valgrind"
  TMPDIR="$scratch" "${vg[@]}" "$out/conformance" spec/conformance
else
  echo "abi: valgrind is not installed: SKIPPED the valgrind runs (apt-get install valgrind)"
fi

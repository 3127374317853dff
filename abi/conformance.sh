#!/usr/bin/env bash
# The C conformance runner (runner `c`): builds libnook (release) and the C
# program abi/conformance/runner.c against abi/include/nook.h (flags in
# abi/c-build.sh; other targets: abi/test.sh TARGET), then runs every
# case of spec/conformance/*.nkc through the C ABI.
# Prints exactly one line on stdout: `c: N passed, M failed` (or
# `c: skipped (why)`); failures are detailed on stderr (pass -v to list every
# case). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v gcc >/dev/null; then
  echo "c: skipped (gcc is not installed; apt-get install gcc)"
  exit 0
fi
cargo build --release --quiet -p nook-abi >&2
source abi/c-build.sh
out=target/nook-c
mkdir -p "$out"
nook_c_program gcc "" "$PWD/target/release" "$out/conformance" abi/conformance/runner.c abi/tests/port.c >&2
exec "$out/conformance" spec/conformance "$@"

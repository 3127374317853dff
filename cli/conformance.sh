#!/usr/bin/env bash
# The CLI's conformance runner: builds `nook` and the runner, then runs every
# case of spec/conformance/*.nkc through `nook` in batch mode.
# Prints exactly one line on stdout: `cli: N passed, M failed[, K skipped]`;
# exits non-zero on any failure. Pass --verbose to name skipped cases.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null; then
  echo "cli: 0 passed, 1 failed (cargo is not installed; install a Rust toolchain)"
  exit 1
fi
if ! cargo build --release --quiet -p nookdb-cli --bin nook --example conformance >&2; then
  echo "cli: 0 passed, 1 failed (cargo build --release -p nookdb-cli failed)"
  exit 1
fi
target_dir=${CARGO_TARGET_DIR:-target}
exec "$target_dir/release/examples/conformance" "$target_dir/release/nook" spec/conformance "$@"

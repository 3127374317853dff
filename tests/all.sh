#!/usr/bin/env bash
# Every test of Nook: Rust (fmt, clippy, unit, property, crash simulation),
# the shared conformance suite on every front end, the Go SDK, the Dart checks
# and the documentation (the Rust API docs and the user guide).
# A missing test script is a failure, never a silent skip (tests/scripts_test.sh
# proves it).
# Usage: bash tests/all.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# Every script this suite runs, checked before the long steps start.
scripts=(tests/scripts_test.sh abi/test.sh tests/conformance.sh sdk-go/test.sh sdk-dart/check.sh tests/guide.sh tests/workflows.sh fuzz/run.sh)
missing=0
for script in "${scripts[@]}"; do
  if [ ! -f "$script" ]; then
    echo "tests/all.sh: $script is missing; restore it (a missing test script fails the suite)" >&2
    missing=1
  fi
done
[ "$missing" -eq 0 ] || exit 1

step "every package carries the root's license files"
for pkg in engine cli abi sdk-go sdk-dart; do
  for license in LICENSE-MIT LICENSE-APACHE; do
    cmp -s "$license" "$pkg/$license" || {
      echo "$pkg/$license differs from ./$license (or is missing); copy the root file" >&2; exit 1; }
  done
done

step "the test scripts fail when a runner is missing"
bash tests/scripts_test.sh

step "the crates meant for crates.io package and build (cargo package)"
cargo package --quiet --allow-dirty -p nookdb -p nookdb-cli

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "cargo test (engine, ABI, CLI, generators)"
cargo test --workspace --quiet

step "Rust API docs build without a warning (cargo doc -D warnings)"
RUSTDOCFLAGS="-D warnings" cargo doc --quiet -p nookdb --no-deps

step "user guide: mdbook build, links, generated pages, the included examples"
bash tests/guide.sh

step "page cache model check (loom: get/insert/evict/remove against readers)"
loom_out=$(RUSTFLAGS="--cfg loom --cfg crossbeam_loom" CARGO_TARGET_DIR=target/loom \
  cargo test -p nookdb --lib --release cache_model 2>&1) || { printf '%s\n' "$loom_out"; exit 1; }
printf '%s\n' "$loom_out" | grep -E '^test |^test result'
# A filter that matched nothing would pass silently: require the scenarios.
printf '%s\n' "$loom_out" | grep -Eq '^test result: ok\. ([3-9]|[1-9][0-9]+) passed' || {
  echo "the loom model check ran fewer than 3 scenarios" >&2; exit 1; }

step "C ABI: header freshness, misuse tests, valgrind"
bash abi/test.sh

step "conformance suite (every runner)"
bash tests/conformance.sh

step "Go SDK: gofmt, go mod tidy -diff, go vet, go test -race"
bash sdk-go/test.sh

step "Dart SDK: static checks (and dart test when a Dart SDK is on PATH)"
bash sdk-dart/check.sh

step "GitHub workflows are well-formed (actionlint)"
bash tests/workflows.sh

step "fuzzing: every cargo-fuzz target for a bounded time (installs nightly and cargo-fuzz if missing)"
bash fuzz/run.sh "${NOOK_FUZZ_SECONDS:-60}"

step "all tests passed"

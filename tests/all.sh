#!/usr/bin/env bash
# Every test of Nook: Rust (fmt, clippy, unit, property, crash simulation),
# the shared conformance suite on every front end, the Go SDK and the Dart checks.
# Usage: bash tests/all.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "cargo test (engine, ABI, CLI, generators)"
cargo test --workspace --quiet

if [ -f abi/test.sh ]; then
  step "C ABI: header freshness, misuse tests, valgrind"
  bash abi/test.sh
fi

if [ -f tests/conformance.sh ]; then
  step "conformance suite (every runner)"
  bash tests/conformance.sh
fi

if [ -f sdk-go/go.mod ]; then
  step "Go SDK: gofmt, go vet, go test -race"
  bash sdk-go/test.sh
fi

if [ -f sdk-dart/check.sh ]; then
  step "Dart SDK: static checks (and dart test when a Dart SDK is on PATH)"
  bash sdk-dart/check.sh
fi

step "fuzzing: every cargo-fuzz target for a bounded time (installs nightly and cargo-fuzz if missing)"
bash fuzz/run.sh "${NOOK_FUZZ_SECONDS:-60}"

step "all tests passed"

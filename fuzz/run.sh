#!/usr/bin/env bash
# Runs every fuzz target for a bounded time and fails on any crash, abort,
# timeout or out-of-memory (see fuzz/README.md). Installs what it needs: the
# nightly toolchain (cargo-fuzz builds with sanitizers, a nightly feature)
# and cargo-fuzz.
#
# Usage: bash fuzz/run.sh SECONDS    (the total, split evenly among the targets)
set -euo pipefail
cd "$(dirname "$0")/.."

total=${1:?usage: bash fuzz/run.sh SECONDS (total fuzzing time)}
# A fixed seed by default, so that the test suite explores the same inputs on
# every run and a red run is a reproducible finding, not chance; set
# NOOK_FUZZ_SEED=0 for a random seed (libFuzzer's meaning of 0).
seed=${NOOK_FUZZ_SEED:-1}
targets=(forged_pages model open_file)
per_target=$(( total / ${#targets[@]} ))
[ "$per_target" -ge 1 ] || per_target=1

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# No sanitizer: AddressSanitizer makes the targets about 8 times slower,
# and a short run needs throughput (a longer run keeps it: fuzz/README.md).
cargo +nightly fuzz build --fuzz-dir fuzz --sanitizer none
for target in "${targets[@]}"; do
  printf '\n--> fuzzing %s for %ss\n' "$target" "$per_target"
  # -timeout: one input taking this long is a hang; -rss_limit_mb and
  # -malloc_limit_mb: a process this large or one allocation this large is
  # a bug (a forged file must never make Nook allocate without bound).
  cargo +nightly fuzz run --fuzz-dir fuzz --sanitizer none "$target" -- \
    -seed="$seed" -max_total_time="$per_target" -timeout=10 -len_control=0 -max_len=1024 \
    -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1
done
printf '\nfuzzing found nothing in %ss\n' "$total"

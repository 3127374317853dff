#!/usr/bin/env bash
# Tests of the test scripts themselves: tests/all.sh and tests/conformance.sh
# must FAIL, not quietly pass, when one of the runners or test scripts they
# call is missing (a rename or a bad merge must not turn a suite off).
# Each script is copied into a scratch tree whose runners are stubs that
# succeed (and whose `cargo` is a stub too), so the script would pass if it
# skipped the missing one. Run by tests/all.sh; takes well under a second.
# Usage: bash tests/scripts_test.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0

fail() {
  echo "scripts_test: FAIL: $*" >&2
  failures=$((failures + 1))
}

# A fake toolchain: every cargo subcommand succeeds at once, reporting passed
# tests (steps that check how many tests ran see enough).
mkdir -p "$scratch/bin"
printf '#!/bin/sh\necho "test result: ok. 3 passed; 0 failed"\n' >"$scratch/bin/cargo"
chmod +x "$scratch/bin/cargo"

# make_tree DIR: a copy of tests/ with every runner present as a passing stub
# that prints its summary line.
make_tree() {
  local tree=$1 runner entry
  mkdir -p "$tree/tests" "$tree/abi" "$tree/cli" "$tree/sdk-go" "$tree/sdk-dart" "$tree/fuzz"
  cp "$root/tests/all.sh" "$root/tests/conformance.sh" "$tree/tests/"
  printf '#!/usr/bin/env bash\nexit 0\n' >"$tree/tests/scripts_test.sh"
  for runner in abi/test.sh sdk-go/test.sh sdk-dart/check.sh fuzz/run.sh tests/guide.sh tests/workflows.sh; do
    printf '#!/usr/bin/env bash\nexit 0\n' >"$tree/$runner"
  done
  for entry in c:abi/conformance.sh cli:cli/conformance.sh go:sdk-go/conformance.sh dart:sdk-dart/conformance.sh; do
    printf '#!/usr/bin/env bash\necho "%s: 1 passed, 0 failed"\n' "${entry%%:*}" >"$tree/${entry#*:}"
  done
  touch "$tree/sdk-go/go.mod"
  mkdir -p "$tree/engine"
  for dir in "$tree" "$tree/engine" "$tree/cli" "$tree/abi" "$tree/sdk-go" "$tree/sdk-dart"; do
    touch "$dir/LICENSE-MIT" "$dir/LICENSE-APACHE"
  done
}

# expect STATUS(0|nonzero) WHAT SCRIPT TREE
expect() {
  local want=$1 what=$2 script=$3 tree=$4 code=0
  PATH="$scratch/bin:$PATH" bash "$tree/$script" >"$tree.out" 2>&1 || code=$?
  if [ "$want" = 0 ] && [ "$code" -ne 0 ]; then
    fail "$script with $what: exit $code, want 0"; sed 's/^/    /' "$tree.out" >&2
  elif [ "$want" != 0 ] && [ "$code" -eq 0 ]; then
    fail "$script with $what: exit 0, want a failure"; sed 's/^/    /' "$tree.out" >&2
  fi
}

n=0
for script in tests/all.sh tests/conformance.sh; do
  n=$((n + 1))
  make_tree "$scratch/t$n"
  expect 0 "every runner present" "$script" "$scratch/t$n"
done

for missing in abi/test.sh tests/conformance.sh sdk-go/test.sh sdk-dart/check.sh fuzz/run.sh tests/scripts_test.sh tests/guide.sh tests/workflows.sh; do
  n=$((n + 1))
  make_tree "$scratch/t$n"
  rm "$scratch/t$n/$missing"
  expect nonzero "$missing missing" tests/all.sh "$scratch/t$n"
  grep -q "$missing" "$scratch/t$n.out" || fail "tests/all.sh does not name the missing $missing"
done

for missing in abi/conformance.sh cli/conformance.sh sdk-go/conformance.sh sdk-dart/conformance.sh; do
  n=$((n + 1))
  make_tree "$scratch/t$n"
  rm "$scratch/t$n/$missing"
  expect nonzero "$missing missing" tests/conformance.sh "$scratch/t$n"
  grep -q "$missing" "$scratch/t$n.out" || fail "tests/conformance.sh does not name the missing $missing"
done

# A runner that passes with no case run is a failure too.
n=$((n + 1))
make_tree "$scratch/t$n"
printf '#!/usr/bin/env bash\necho "go: 0 passed, 0 failed"\n' >"$scratch/t$n/sdk-go/conformance.sh"
expect nonzero "a runner that ran no case" tests/conformance.sh "$scratch/t$n"
grep -q "no case ran" "$scratch/t$n.out" || fail "tests/conformance.sh does not say the go runner ran no case"

if [ "$failures" -ne 0 ]; then
  echo "scripts_test: $failures failed" >&2
  exit 1
fi
echo "scripts_test: $n cases passed"

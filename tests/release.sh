#!/usr/bin/env bash
# The release test: builds dist/ with the release command for the targets this
# machine can build, checks every artifact (tests/release_check.py: format,
# architecture, exported symbols against nook.h, no debug info, Android 16 KiB
# alignment, macOS install name, static musl CLI, manifest checksums), starts
# each CLI this machine can run (qemu, wine), and runs the engine tests and
# the C tests on foreign targets (tests/cross.sh).
#
# Usage: bash tests/release.sh                 # every dist target + cross tests
#        NOOK_RELEASE_TARGETS="T1 T2" bash tests/release.sh   # a subset
#        NOOK_RELEASE_CROSS=0 bash tests/release.sh           # artifacts only
#        NOOK_RELEASE_CROSS="c:aarch64-unknown-linux-gnu s390x-exchange" …  # these cross tests
# Installs its toolchains first (scripts/toolchains.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

for script in scripts/toolchains.sh scripts/dist.sh tests/release_check.py tests/cross.sh; do
  [ -f "$script" ] || { echo "tests/release.sh: $script is missing; restore it" >&2; exit 1; }
done

step "toolchains for foreign targets"
bash scripts/toolchains.sh

dist=target/release-test/dist
step "the release command (scripts/dist.sh) into $dist"
# shellcheck disable=SC2086
NOOK_DIST_DIR=$PWD/$dist bash scripts/dist.sh ${NOOK_RELEASE_TARGETS:-}

step "every artifact: format, architecture, exports against nook.h"
python3 tests/release_check.py "$dist" abi/include/nook.h

step "the CLI of each target this machine can run answers"
ran=0
for cli in "$dist"/*/bin/nook "$dist"/*/bin/nook.exe; do
  [ -f "$cli" ] || continue
  target=$(basename "$(dirname "$(dirname "$cli")")")
  [ "$target" = universal-apple-darwin ] && continue
  (
    # shellcheck source=scripts/cross-env.sh
    source scripts/cross-env.sh "$target"
    if [ "$NOOK_CROSS_CAN_RUN" != 1 ]; then
      echo "skip  $target: cannot run here (built and checked only)"
      exit 0
    fi
    # A real round trip through a file: put, get, check.
    db=$(mktemp -d)/smoke.nook
    dbarg=$db
    [[ "$target" == *windows* ]] && dbarg=$(winepath -w "$db" 2>/dev/null)
    # shellcheck disable=SC2086
    $NOOK_TEST_RUNNER "$cli" "$dbarg" put greeting '"hello"' >/dev/null
    # shellcheck disable=SC2086
    got=$($NOOK_TEST_RUNNER "$cli" "$dbarg" get greeting | tr -d '\r')
    [ "$got" = '"hello"' ] || { echo "FAIL  $target: nook get printed '$got'" >&2; exit 1; }
    echo "ok    $target: nook put/get round trip"
  )
  ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || { echo "tests/release.sh: no CLI was built" >&2; exit 1; }

cross=${NOOK_RELEASE_CROSS:-1}
if [ "$cross" != 0 ]; then
  step "engine and C tests on foreign targets (tests/cross.sh)"
  [ "$cross" = 1 ] && cross=""
  # shellcheck disable=SC2086
  bash tests/cross.sh $cross
fi
echo
echo "release tests passed"

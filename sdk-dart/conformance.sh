#!/usr/bin/env bash
# The Dart runner of the shared conformance suite (spec/conformance/*.nkc).
# Prints one line, `dart: N passed, M failed, K skipped`, or exactly
# `dart: skipped (no Dart SDK)` when no `dart` executable is on PATH (exit 0).
# Exits non-zero when a case fails. Details go to stderr.
# Usage: bash sdk-dart/conformance.sh
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

if ! command -v dart >/dev/null 2>&1; then
  echo "dart: skipped (no Dart SDK)"
  exit 0
fi

if ! (cd "$root" && cargo build --release --quiet -p nook-abi) >&2; then
  echo "dart: failed (cargo build --release -p nook-abi failed)"
  exit 1
fi
case "$(uname -s)" in
  Darwin) lib=libnook.dylib ;;
  MINGW* | MSYS* | CYGWIN*) lib=nook.dll ;;
  *) lib=libnook.so ;;
esac
export NOOK_LIBRARY_PATH="$root/target/release/$lib"

cd "$root/sdk-dart"
if ! dart pub get >&2; then
  echo "dart: failed (dart pub get failed)"
  exit 1
fi
dart run test/conformance_main.dart

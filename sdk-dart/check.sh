#!/usr/bin/env bash
# Checks of the Dart SDK that need no Dart toolchain, then the Dart toolchain's
# own checks when a `dart` executable is on PATH. Run by tests/all.sh.
#
# 1. nook-dart-tool check: every .dart file parses with the tree-sitter Dart
#    grammar and imports only declared packages; lib/src/bindings.g.dart and
#    lib/src/errors.g.dart are fresh; every function of abi/include/nook.h has
#    an @Native binding and a DynamicLibrary lookup with its native signature;
#    the SDK calls only bindings the generated file declares; the error
#    classes match spec/errors.toml.
# 2. The shared CBOR vectors (test/vectors/cbor.txt) re-encode unchanged with
#    the Go SDK's CBOR library (when `go` is on PATH; the Rust side is checked
#    by `cargo test -p nook-dart-tool`).
# 3. With Dart: dart pub get, dart analyze --fatal-infos, dart test (the tests
#    include the conformance suite), against target/release's libnook.
# Usage: bash sdk-dart/check.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

echo "--> nook-dart-tool check"
cargo run --quiet -p nook-dart-tool -- check

if command -v go >/dev/null 2>&1; then
  echo "--> CBOR vectors against fxamacker/cbor (core deterministic)"
  (cd sdk-dart/tool/gocheck && go run .)
else
  echo "go: skipped (no Go toolchain on PATH; the CBOR vectors are not checked against Go)"
fi

if ! command -v dart >/dev/null 2>&1; then
  echo "dart: skipped (no Dart SDK)"
  exit 0
fi

echo "--> cargo build --release -p nook-abi"
cargo build --release --quiet -p nook-abi
case "$(uname -s)" in
  Darwin) lib=libnook.dylib ;;
  MINGW* | MSYS* | CYGWIN*) lib=nook.dll ;;
  *) lib=libnook.so ;;
esac
export NOOK_LIBRARY_PATH="$root/target/release/$lib"

cd sdk-dart
echo "--> dart pub get"
dart pub get
echo "--> dart analyze"
dart analyze
echo "--> dart test"
dart test

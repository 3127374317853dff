#!/usr/bin/env bash
# The release command: builds Nook's libraries, header and CLI for every
# target into dist/, with dist/manifest.json and dist/SHA256SUMS.
#
#   bash scripts/dist.sh                 # every target (see `targets` below)
#   bash scripts/dist.sh T1 T2 …         # only these (e.g. in CI, a subset)
#   NOOK_DIST_DIR=/elsewhere bash scripts/dist.sh
#
# Layout (the Flutter build hook and the Go library modules read it):
#   dist/<target-triple>/include/nook.h
#   dist/<target-triple>/lib/   libnook.so + libnook.a (Linux, Android: .so only)
#                               libnook.dylib + libnook.a (Apple; iOS: per slice)
#                               nook.dll + libnook.dll.a (import library) + libnook.a (windows-gnu)
#   dist/<target-triple>/bin/nook[.exe]       (where the CLI is built)
#   dist/universal-apple-darwin/{lib,bin}     (x86_64 + arm64 merged with llvm-lipo)
#   dist/go/                                  (Go library modules: sdk-go/dist.sh)
#
# Foreign targets need scripts/toolchains.sh (Debian rustc-web with
# -Zbuild-std, cross gcc, zig, llvm); the host target uses the rustup
# toolchain. Libraries carry no debug info (profile `dist`).
# An Android library linked without an NDK (ANDROID_NDK_HOME unset), and a
# macOS dylib linked off a Mac (by zig), are link checks only: the manifest
# says "shippable": false; the release workflow builds them for real.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dist=${NOOK_DIST_DIR:-$root/dist}

# target → what to build: lib (cdylib + staticlib), cdylib only, cli.
# (A function, not an associative array: macOS ships bash 3.)
parts_of() {
  case "$1" in
    x86_64-unknown-linux-gnu | aarch64-unknown-linux-gnu) echo "lib cli" ;;
    x86_64-unknown-linux-musl | aarch64-unknown-linux-musl) echo "cli" ;;
    # The CLI links Foundation (through its dependencies), which only a real
    # macOS SDK provides: built on a Mac; here, the libraries.
    x86_64-apple-darwin | aarch64-apple-darwin)
      if [ "$(uname -s)" = Darwin ]; then echo "lib cli"; else echo "lib"; fi ;;
    # iOS dylibs link only against a real iOS SDK (zig has no full one):
    # static libraries here, both on a Mac.
    aarch64-apple-ios | aarch64-apple-ios-sim | x86_64-apple-ios)
      if [ "$(uname -s)" = Darwin ]; then echo "lib"; else echo "staticlib"; fi ;;
    x86_64-pc-windows-gnu) echo "lib cli" ;;
    aarch64-linux-android | armv7-linux-androideabi | x86_64-linux-android) echo "cdylib" ;;
    *) echo "" ;;
  esac
}
all_targets=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl
  aarch64-unknown-linux-musl x86_64-apple-darwin aarch64-apple-darwin aarch64-apple-ios
  aarch64-apple-ios-sim x86_64-apple-ios x86_64-pc-windows-gnu aarch64-linux-android
  armv7-linux-androideabi x86_64-linux-android)
host=$(rustc -vV | sed -n 's/^host: //p')

if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi
for t in "${targets[@]}"; do
  [ -n "$(parts_of "$t")" ] || { echo "dist.sh: unknown target $t (known: ${all_targets[*]})" >&2; exit 1; }
done

# Debian names it llvm-lipo-14; macOS has lipo.
lipo=$(command -v llvm-lipo || command -v llvm-lipo-14 || command -v lipo || true)

rm -rf "$dist"
mkdir -p "$dist"
: >"$dist/.not-shippable"

# Copies one built file into dist/<target>/<dir>/, stripping debug sections
# from static archives (the std objects in them keep DWARF otherwise).
put() { # put <target> <dir> <file> [<name>]
  local dest=$dist/$1/$2
  mkdir -p "$dest"
  cp "$3" "$dest/${4:-$(basename "$3")}"
  case "$3" in *.a) llvm-strip --strip-debug "$dest/${4:-$(basename "$3")}" ;; esac
}

build_target() { # build_target <triple>
  local t=$1 want out cargo_cmd
  want=$(parts_of "$t")
  local start=$SECONDS
  echo "==> dist: $t ($want)"
  if [ "$t" = "$host" ]; then
    out=$root/target/$t/dist
    cargo_cmd=(cargo)
    target_args=(--target "$t")
  else
    # shellcheck source=scripts/cross-env.sh
    source scripts/cross-env.sh "$t"
    out=$NOOK_CROSS_TARGET_DIR/$t/dist
    cargo_cmd=(cross_cargo)
    target_args=()
  fi
  local packages=()
  case " $want " in *" cli "*) packages+=(-p nookdb-cli) ;; esac
  case " $want " in *" lib "*) packages+=(-p nook-abi) ;; esac
  if [ ${#packages[@]} -gt 0 ]; then
    "${cargo_cmd[@]}" build --quiet --profile dist "${target_args[@]}" "${packages[@]}"
  fi
  for only in cdylib staticlib; do
    if [[ " $want " == *" $only "* ]]; then
      "${cargo_cmd[@]}" rustc --quiet --profile dist "${target_args[@]}" -p nook-abi --lib --crate-type "$only"
    fi
  done
  mkdir -p "$dist/$t/include"
  cp abi/include/nook.h "$dist/$t/include/"
  case "$t" in
    *windows*)
      [[ " $want " == *" lib "* ]] && { put "$t" lib "$out/nook.dll"; put "$t" lib "$out/libnook.dll.a"; put "$t" lib "$out/libnook.a"; }
      [[ " $want " == *" cli "* ]] && put "$t" bin "$out/nook.exe"
      ;;
    *apple*)
      [[ " $want " == *" lib "* ]] && { put "$t" lib "$out/libnook.dylib"; put "$t" lib "$out/libnook.a"; }
      [[ " $want " == *" staticlib "* ]] && put "$t" lib "$out/libnook.a"
      [[ " $want " == *" cli "* ]] && put "$t" bin "$out/nook"
      ;;
    *)
      [[ " $want " == *" lib "* ]] && { put "$t" lib "$out/libnook.so"; put "$t" lib "$out/libnook.a"; }
      [[ " $want " == *" cdylib "* ]] && put "$t" lib "$out/libnook.so"
      [[ " $want " == *" cli "* ]] && put "$t" bin "$out/nook"
      ;;
  esac
  # Not shippable: an Android library linked against stubs (scripts/android-cc),
  # or a macOS dylib linked by zig, which ignores -exported_symbols_list and so
  # exports every Rust symbol (tests/release_check.py reports it).
  if { [[ "$t" == *android* ]] && [ -z "${ANDROID_NDK_HOME:-}" ]; } ||
     { [[ "$t" == *apple-darwin ]] && [ "$(uname -s)" != Darwin ]; }; then
    echo "$t" >>"$dist/.not-shippable"
  fi
  echo "    $t built in $((SECONDS - start)) s"
}

for t in "${targets[@]}"; do
  build_target "$t"
done

# The universal macOS library and CLI, when both Mac slices were built.
if [ -d "$dist/x86_64-apple-darwin" ] && [ -d "$dist/aarch64-apple-darwin" ]; then
  u=$dist/universal-apple-darwin
  mkdir -p "$u/include"
  cp abi/include/nook.h "$u/include/"
  grep -qx x86_64-apple-darwin "$dist/.not-shippable" && echo universal-apple-darwin >>"$dist/.not-shippable"
  for f in lib/libnook.dylib lib/libnook.a bin/nook; do
    [ -f "$dist/x86_64-apple-darwin/$f" ] || continue
    mkdir -p "$(dirname "$u/$f")"
    "$lipo" -create "$dist/x86_64-apple-darwin/$f" "$dist/aarch64-apple-darwin/$f" -output "$u/$f"
  done
fi

# The iOS XCFramework of static libraries (device; simulator arm64 + x86_64),
# when all three slices were built. Xcode's -create-xcframework is not
# available off a Mac; the format is a folder and an Info.plist.
if [ -d "$dist/aarch64-apple-ios" ] && [ -d "$dist/aarch64-apple-ios-sim" ] && [ -d "$dist/x86_64-apple-ios" ]; then
  x=$dist/nook.xcframework
  mkdir -p "$x/ios-arm64/Headers" "$x/ios-arm64_x86_64-simulator/Headers"
  cp "$dist/aarch64-apple-ios/lib/libnook.a" "$x/ios-arm64/"
  "$lipo" -create "$dist/aarch64-apple-ios-sim/lib/libnook.a" "$dist/x86_64-apple-ios/lib/libnook.a" \
    -output "$x/ios-arm64_x86_64-simulator/libnook.a"
  cp abi/include/nook.h "$x/ios-arm64/Headers/"
  cp abi/include/nook.h "$x/ios-arm64_x86_64-simulator/Headers/"
  cp scripts/xcframework-Info.plist "$x/Info.plist"
fi

# The Go library modules (only for the targets Go supports and we built).
if [ -f sdk-go/dist.sh ]; then
  bash sdk-go/dist.sh "$dist"
fi

python3 scripts/dist_manifest.py "$dist"
echo "dist: wrote $dist/manifest.json"

# shellcheck shell=bash
# Sets up the environment to build (and, where this machine can, run) Nook for
# a foreign target with the toolchains scripts/toolchains.sh installs.
#
#   source scripts/cross-env.sh <rust-target-triple>
#   cross_cargo build --release -p nook-abi     # = cargo build … --target T, std built from source
#
# Where rustup has the target installed (GitHub's runners: `rustup target
# add`), cross_cargo is plain `cargo --target T`. Otherwise (this project's
# build machine: rustup has the host target only) it uses Debian's rustc-web
# (/usr/bin/rustc, /usr/bin/cargo), the one compiler here with the standard
# library's sources, and `-Zbuild-std` compiles std for the target
# (RUSTC_BOOTSTRAP=1 allows the unstable flag on a stable compiler).
# Outputs go to target/cross/<T>/. On a macOS host, Apple targets link with
# the system's cc; elsewhere with zig (scripts/zig-cc).
# Exports: NOOK_TARGET, NOOK_CROSS_CC (C compiler for the target's C tests),
# NOOK_TEST_RUNNER (how to start a target binary; empty when it runs natively,
# unset when this machine cannot run it), NOOK_CROSS_CAN_RUN (1 or 0), and the
# CARGO_TARGET_<T>_LINKER/_RUNNER cargo reads.

NOOK_TARGET=${1:?usage: source scripts/cross-env.sh <rust-target-triple>}
NOOK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export NOOK_TARGET NOOK_ROOT
export NOOK_CROSS_TARGET_DIR="$NOOK_ROOT/target/cross"
unset NOOK_TEST_RUNNER NOOK_ZIG_TARGET
NOOK_CROSS_CAN_RUN=1
if command -v rustup >/dev/null && rustup target list --installed 2>/dev/null | grep -qx "$NOOK_TARGET"; then
  NOOK_CROSS_RUSTUP=1
  unset RUSTC RUSTC_BOOTSTRAP
else
  NOOK_CROSS_RUSTUP=0
  export RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc
fi

_nook_upper=$(echo "$NOOK_TARGET" | tr 'a-z-' 'A-Z_')
_nook_zig() { # use zig as C compiler and linker, for zig target $1
  if [ "$(uname -s)" = Darwin ] && [[ "$NOOK_TARGET" == *apple* ]]; then
    NOOK_CROSS_CC=cc  # Xcode's clang knows every Apple target
  else
    export NOOK_ZIG_TARGET=$1
    NOOK_CROSS_CC="$NOOK_ROOT/scripts/zig-cc"
  fi
}
case "$NOOK_TARGET" in
  x86_64-unknown-linux-gnu)
    NOOK_CROSS_CC=gcc; export NOOK_TEST_RUNNER="" ;;
  aarch64-unknown-linux-gnu)
    NOOK_CROSS_CC=aarch64-linux-gnu-gcc; export NOOK_TEST_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu" ;;
  i686-unknown-linux-gnu) # runs natively (libc6-i386); qemu-i386 hangs creating threads
    NOOK_CROSS_CC=i686-linux-gnu-gcc; export NOOK_TEST_RUNNER="" ;;
  s390x-unknown-linux-gnu) # big-endian: the cross-endian file test
    NOOK_CROSS_CC=s390x-linux-gnu-gcc; export NOOK_TEST_RUNNER="qemu-s390x -L /usr/s390x-linux-gnu" ;;
  x86_64-pc-windows-gnu)
    NOOK_CROSS_CC=x86_64-w64-mingw32-gcc; export NOOK_TEST_RUNNER="$NOOK_ROOT/scripts/wine-run" ;;
  # musl: zig supplies the C runtime and libc (the std built here has no
  # self-contained crt objects), so rustc must not add its own.
  x86_64-unknown-linux-musl)
    _nook_zig x86_64-linux-musl; export NOOK_TEST_RUNNER=""
    [ "$NOOK_CROSS_RUSTUP" = 1 ] || export CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="-C link-self-contained=no" ;;
  aarch64-unknown-linux-musl)
    _nook_zig aarch64-linux-musl; export NOOK_TEST_RUNNER="qemu-aarch64"
    [ "$NOOK_CROSS_RUSTUP" = 1 ] || export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="-C link-self-contained=no" ;;
  x86_64-apple-darwin) _nook_zig x86_64-macos; NOOK_CROSS_CAN_RUN=0 ;;
  aarch64-apple-darwin) _nook_zig aarch64-macos; NOOK_CROSS_CAN_RUN=0 ;;
  aarch64-apple-ios) _nook_zig aarch64-ios; NOOK_CROSS_CAN_RUN=0 ;;
  aarch64-apple-ios-sim) _nook_zig aarch64-ios-simulator; NOOK_CROSS_CAN_RUN=0 ;;
  x86_64-apple-ios) _nook_zig x86_64-ios-simulator; NOOK_CROSS_CAN_RUN=0 ;;
  aarch64-linux-android|armv7-linux-androideabi|x86_64-linux-android)
    # No Android NDK is reachable here: link against stub bionic libraries
    # (scripts/android-stubs.sh); the result is checked, not run.
    NOOK_CROSS_CC="$NOOK_ROOT/scripts/android-cc"; NOOK_CROSS_CAN_RUN=0 ;;
  *) echo "cross-env.sh: no recipe for target $NOOK_TARGET" >&2; return 1 ;;
esac
export NOOK_CROSS_CC NOOK_CROSS_CAN_RUN NOOK_CROSS_RUSTUP
export "CARGO_TARGET_${_nook_upper}_LINKER=$NOOK_CROSS_CC"
if [ "$NOOK_CROSS_CAN_RUN" = 1 ] && [ -n "${NOOK_TEST_RUNNER:-}" ]; then
  export "CARGO_TARGET_${_nook_upper}_RUNNER=$NOOK_TEST_RUNNER"
fi
unset _nook_upper

# cargo for the target, std built from source: cross_cargo <subcommand> [args…]
cross_cargo() {
  local sub=$1; shift
  if [ "$NOOK_CROSS_RUSTUP" = 1 ]; then
    cargo "$sub" --target "$NOOK_TARGET" --target-dir "$NOOK_CROSS_TARGET_DIR" "$@"
  else
    /usr/bin/cargo "$sub" -Zbuild-std=std,panic_unwind --target "$NOOK_TARGET" \
      --target-dir "$NOOK_CROSS_TARGET_DIR" "$@"
  fi
}

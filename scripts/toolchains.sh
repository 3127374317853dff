#!/usr/bin/env bash
# Installs the toolchains that build and run Nook for foreign targets on a
# Debian 12 x86-64 machine (what scripts/cross-env.sh expects). Idempotent;
# run as root (CI) or with sudo. See CONTRIBUTING.md, "Other targets".
#
#  - rustc-web, cargo-web, rust-web-src (bookworm-security): a Rust 1.96 with
#    the standard library's sources, so `-Zbuild-std` can build std for any
#    target (rustup here has the host target only and no rust-src);
#  - cross gcc for aarch64, i686, s390x Linux and MinGW-w64 for Windows;
#  - qemu-user to run aarch64 and s390x binaries, libc6-i386 to run i686 ones,
#    (with lib32gcc-s1: Rust binaries need a 32-bit libgcc_s), wine to run
#    Windows ones;
#  - llvm (llvm-nm, llvm-readobj, llvm-lipo, llvm-strip, llvm-ar) to inspect
#    and assemble libraries of every format;
#  - zig (PyPI ziglang) to link Apple and musl targets.
set -euo pipefail

apt_packages=(rustc-web cargo-web rust-web-src gcc-aarch64-linux-gnu gcc-i686-linux-gnu
  gcc-s390x-linux-gnu gcc-mingw-w64-x86-64 qemu-user libc6-i386 lib32gcc-s1 wine wine64 llvm file)
zig_version=0.17.1

missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
/usr/bin/rustc --version | grep -q '^rustc 1\.\(9[6-9]\|[1-9][0-9][0-9]\)' || {
  echo "toolchains.sh: /usr/bin/rustc is not Debian's rustc-web >= 1.96: $(/usr/bin/rustc --version)" >&2
  exit 1
}
if ! python3 -m ziglang version 2>/dev/null | grep -qx "$zig_version"; then
  python3 -m pip install -q --disable-pip-version-check "ziglang==$zig_version"
fi
echo "toolchains: rustc-web $(/usr/bin/rustc --version | cut -d' ' -f2), zig $(python3 -m ziglang version), $(qemu-aarch64 --version | head -1), $(wine --version 2>/dev/null)"

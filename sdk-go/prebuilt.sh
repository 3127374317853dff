#!/usr/bin/env bash
# Builds libnook.a for a target and copies it to lib/<GOOS>_<GOARCH>/, where
# -tags nook_prebuilt links it from. Release tags of the module commit these
# files (see README, "Outside this repository"); the main branch does not.
# Usage: bash sdk-go/prebuilt.sh [<rust target triple>]   (default: the host)
set -euo pipefail
cd "$(dirname "$0")"

triple=${1:-}
case "$triple" in
  "") goos=$(go env GOOS); goarch=$(go env GOARCH); src=../target/release/libnook.a ;;
  x86_64-unknown-linux-gnu) goos=linux; goarch=amd64 ;;
  aarch64-unknown-linux-gnu) goos=linux; goarch=arm64 ;;
  x86_64-apple-darwin) goos=darwin; goarch=amd64 ;;
  aarch64-apple-darwin) goos=darwin; goarch=arm64 ;;
  x86_64-pc-windows-gnu) goos=windows; goarch=amd64 ;;
  *) echo "prebuilt.sh: no GOOS/GOARCH known for $triple; add it here and in link_prebuilt.go" >&2; exit 1 ;;
esac

if [ -z "$triple" ]; then
  (cd .. && cargo build --release -p nook-abi)
else
  (cd .. && cargo build --release -p nook-abi --target "$triple")
  src=../target/$triple/release/libnook.a
fi
dest=lib/${goos}_${goarch}
mkdir -p "$dest"
cp "$src" "$dest/libnook.a"
cat > "$dest/lib.go" <<GO
// Package ${goos}_${goarch} holds the prebuilt libnook.a for ${goos}/${goarch}; this
// file only makes \`go mod vendor\` keep the folder.
package ${goos}_${goarch}
GO
echo "wrote $dest/libnook.a ($(du -h "$dest/libnook.a" | cut -f1)); build with: go build -tags nook_prebuilt"

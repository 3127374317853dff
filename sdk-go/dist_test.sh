#!/usr/bin/env bash
# Uses the Go modules of a release (<dist-dir>/go/, written by dist.sh) as a
# Go developer outside this repository would: a fresh module in a temporary
# folder, pointed at them with `go mod edit -replace` (README, "Outside this
# repository"), `go mod tidy`, `go build`, then runs testdata/outside/main.go,
# which writes a value, reopens the database and reads it back. No cargo or
# rustc may run (stubs that fail and leave a mark come first on PATH), no
# module may be downloaded (GOPROXY=off: the CBOR library must be in the
# module cache), and the library linked must be the one in <dist-dir>.
# It builds for `go env GOOS`/`GOARCH`: set GOOS, GOARCH, CC (and a runner,
# e.g. `qemu-aarch64 -L /usr/aarch64-linux-gnu` or `wine`) to try another
# target. Then `go mod vendor` and the same with -mod=vendor.
# test.sh runs it on a stand-in release made from target/release/libnook.a.
# Usage: bash sdk-go/dist_test.sh <dist-dir> [<runner> [<runner args>...]]
set -euo pipefail
sdk="$(cd "$(dirname "$0")" && pwd)"
if [ $# -lt 1 ]; then
  echo "usage: bash sdk-go/dist_test.sh <dist-dir> [<runner> [<runner args>...]]" >&2
  exit 2
fi
go_dist="$(cd "$1" && pwd)/go"
shift
runner=("$@")

module=github.com/nook-db/nook/sdk-go
platform="$(go env GOOS)_$(go env GOARCH)"
if [ ! -f "$go_dist/modules.txt" ]; then
  echo "sdk-go/dist_test.sh: no $go_dist/modules.txt; run sdk-go/dist.sh on the dist folder first" >&2
  exit 1
fi
if [ ! -f "$go_dist/lib/$platform/libnook.a" ]; then
  echo "sdk-go/dist_test.sh: no library module for $platform in $go_dist (dist.sh skips a platform without its libnook.a)" >&2
  exit 1
fi
version=$(awk -F'\t' '$3 == "'$module'" { sub(/^sdk-go\//, "", $4); print $4 }' "$go_dist/modules.txt")

scratch=$(mktemp -d)
trap 'chmod -R u+w "$scratch"; rm -rf "$scratch"' EXIT
mkdir -p "$scratch/bin" "$scratch/app" "$scratch/data"
for tool in cargo rustc; do
  printf '#!/bin/sh\necho "%s $*" >>"%s/rust-ran"\nexit 1\n' "$tool" "$scratch" >"$scratch/bin/$tool"
  chmod +x "$scratch/bin/$tool"
done
cp "$sdk/testdata/outside/main.go" "$scratch/app/"

export PATH="$scratch/bin:$PATH" GOPROXY=off GOSUMDB=off GOFLAGS= GOWORK=off
cd "$scratch/app"
go mod init example.com/outside >/dev/null 2>&1
# Each replacement names the version, so a go.mod that requires the library
# modules at another version than the release's fails here.
edits=("-require=$module@$version" "-replace=$module@$version=$go_dist/sdk-go")
for lib in "$go_dist"/lib/*/; do
  lib=${lib%/}
  edits+=("-replace=$module/lib/${lib##*/}@$version=$lib")
done
go mod edit "${edits[@]}"
go mod tidy
exe="outside$(go env GOEXE)"
go build -o "$exe" .

linked=$(go list -f '{{.Dir}}' "$module/lib/$platform")
if [ "$linked" != "$go_dist/lib/$platform" ]; then
  echo "sdk-go/dist_test.sh: the library module came from $linked, not from $go_dist/lib/$platform" >&2
  exit 1
fi
if [ -e "$scratch/rust-ran" ]; then
  echo "sdk-go/dist_test.sh: the Go build ran the Rust toolchain:" >&2
  cat "$scratch/rust-ran" >&2
  exit 1
fi

# run NAME: runs the program built as NAME, which must read its value back.
run() {
  local output
  rm -rf "$scratch/data" && mkdir "$scratch/data"
  output=$("${runner[@]}" "./$1" "$scratch/data")
  case "$output" in
    *'read back "hello from outside"'*) echo "  $platform, $1: $output" ;;
    *) echo "sdk-go/dist_test.sh: $1 printed: $output" >&2; exit 1 ;;
  esac
}
run "$exe"

# Vendoring keeps the library: go mod vendor copies every file of a package's
# folder, libnook.a included.
go mod vendor
test -f "vendor/$module/lib/$platform/libnook.a"
go build -mod=vendor -o "vendored-$exe" .
run "vendored-$exe"

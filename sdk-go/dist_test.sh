#!/usr/bin/env bash
# Uses the Go modules of a release (<dist-dir>/go/, written by dist.sh) as a
# Go developer outside this repository would, each time from a fresh module
# in a temporary folder that builds and runs testdata/outside/main.go (it
# writes a value, reopens the database and reads the value back):
#   1. through a module proxy, as once the release is published: every tree
#      of dist/go zipped at its module path and tag into a file:// proxy (the
#      module cache's downloads serve the CBOR library), a fresh module cache,
#      then `go get github.com/nook-db/nook/sdk-go@<version>` and `go build`;
#      it prints which library modules were downloaded (go get fetches every
#      platform's; a go build alone, only its own);
#   2. pointed at dist/go with `go mod edit -replace` (README, "A release's
#      files, without the module proxy"), GOPROXY=off, `go mod tidy`,
#      `go build`; then `go mod vendor` and `go build -mod=vendor`.
# No cargo or rustc may run (stubs that fail and leave a mark come first on
# PATH), and the library linked must be the one in <dist-dir>. It builds for
# `go env GOOS`/`GOARCH`: set GOOS, GOARCH and CC, and give a runner (e.g.
# `qemu-aarch64 -L /usr/aarch64-linux-gnu`, or `wine`), to try another target.
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
exe="outside$(go env GOEXE)"
if [ ! -f "$go_dist/modules.txt" ]; then
  echo "sdk-go/dist_test.sh: no $go_dist/modules.txt; run sdk-go/dist.sh on the dist folder first" >&2
  exit 1
fi
if [ ! -f "$go_dist/lib/$platform/libnook.a" ]; then
  echo "sdk-go/dist_test.sh: no library module for $platform in $go_dist (dist.sh skips a platform without its libnook.a)" >&2
  exit 1
fi
version=$(awk -F'\t' -v m="$module" '$3 == m { sub(/^sdk-go\//, "", $4); print $4 }' "$go_dist/modules.txt")
module_cache=$(go env GOMODCACHE)
if ! command -v zip >/dev/null; then
  echo "sdk-go/dist_test.sh: zip is not on PATH (it makes the module zips of the test proxy); install it (Debian: apt-get install zip) and retry" >&2
  exit 1
fi

scratch=$(mktemp -d)
trap 'chmod -R u+w "$scratch"; rm -rf "$scratch"' EXIT
mkdir -p "$scratch/bin"
for tool in cargo rustc; do
  printf '#!/bin/sh\necho "%s $*" >>"%s/rust-ran"\nexit 1\n' "$tool" "$scratch" >"$scratch/bin/$tool"
  chmod +x "$scratch/bin/$tool"
done
export PATH="$scratch/bin:$PATH" GOSUMDB=off GOFLAGS= GOWORK=off

# new_app NAME: a fresh module in $scratch/NAME holding the program; cds there.
new_app() {
  mkdir "$scratch/$1"
  cp "$sdk/testdata/outside/main.go" "$scratch/$1/"
  cd "$scratch/$1"
  go mod init example.com/outside >/dev/null 2>&1
}

# check_linked DIR: the library module of the build is DIR, and no Rust tool ran.
check_linked() {
  local linked
  linked=$(go list -f '{{.Dir}}' "$module/lib/$platform")
  if [ "$linked" != "$1" ]; then
    echo "sdk-go/dist_test.sh: the library module came from $linked, not from $1" >&2
    exit 1
  fi
  if [ -e "$scratch/rust-ran" ]; then
    echo "sdk-go/dist_test.sh: the Go build ran the Rust toolchain:" >&2
    cat "$scratch/rust-ran" >&2
    exit 1
  fi
}

# run WHAT PROGRAM: runs the program, which must read its value back.
run() {
  local output
  rm -rf "$scratch/data" && mkdir "$scratch/data"
  output=$("${runner[@]}" "./$2" "$scratch/data")
  case "$output" in
    *'read back "hello from outside"'*) echo "  $platform, $1: $output" ;;
    *) echo "sdk-go/dist_test.sh: $1: the program printed: $output" >&2; exit 1 ;;
  esac
}

# 1. Through a module proxy. A module zip holds the tree under
# <module path>@<version>/ (https://go.dev/ref/mod#zip-files).
proxy="$scratch/proxy"
while IFS=$'\t' read -r folder _ path tag; do
  [[ $folder == \#* ]] && continue
  tag_version=${tag##*/}
  mkdir -p "$proxy/$path/@v" "$scratch/zip/$path@$tag_version"
  echo "$tag_version" >>"$proxy/$path/@v/list"
  printf '{"Version":"%s"}\n' "$tag_version" >"$proxy/$path/@v/$tag_version.info"
  cp "$go_dist/$folder/go.mod" "$proxy/$path/@v/$tag_version.mod"
  cp -R "$go_dist/$folder/." "$scratch/zip/$path@$tag_version/"
  (cd "$scratch/zip" && zip -qrD "$proxy/$path/@v/$tag_version.zip" "$path@$tag_version")
done <"$go_dist/modules.txt"
(
  export GOMODCACHE="$scratch/modcache" GOPROXY="file://$proxy,file://$module_cache/cache/download"
  new_app proxied
  go get "$module@$version" 2>/dev/null
  go build -o "$exe" .
  check_linked "$GOMODCACHE/$module/lib/$platform@$version"
  run "go get + go build" "$exe"
  downloaded=$(cd "$GOMODCACHE/cache/download/$module/lib" && ls -d ./*/@v/*.zip 2>/dev/null | cut -d/ -f2 | tr '\n' ' ')
  echo "  library modules downloaded by go get: $downloaded(of: $(cd "$go_dist/lib" && echo *))"
  go clean -modcache
)

# 2. Without the proxy, replacing each module with its folder in dist/go.
# Each replacement names the version, so a go.mod that requires the library
# modules at another version than the release's fails here.
export GOPROXY=off
new_app replaced
edits=("-require=$module@$version" "-replace=$module@$version=$go_dist/sdk-go")
for lib in "$go_dist"/lib/*/; do
  lib=${lib%/}
  edits+=("-replace=$module/lib/${lib##*/}@$version=$lib")
done
go mod edit "${edits[@]}"
go mod tidy
go build -o "$exe" .
check_linked "$go_dist/lib/$platform"
run "go mod edit -replace + go build" "$exe"

# Vendoring keeps the library: go mod vendor copies every file of a package's
# folder, libnook.a included.
go mod vendor
test -f "vendor/$module/lib/$platform/libnook.a"
go build -mod=vendor -o "$exe" .
run "go mod vendor + go build -mod=vendor" "$exe"

#!/usr/bin/env bash
# Writes the Go modules of a release into <dist-dir>/go/, from the static
# libraries the release command (scripts/dist.sh) built into
# <dist-dir>/<rust target triple>/lib/libnook.a:
#
#   go/sdk-go/               the SDK module as it is tagged sdk-go/<version>: this
#                            folder without bench/ and lib/ (modules of their own),
#                            its go.mod requiring the library modules at <version>
#                            instead of replacing them with the folders in lib/
#   go/lib/<goos>_<goarch>/  one library module per platform, tagged
#                            sdk-go/lib/<goos>_<goarch>/<version>: lib/<goos>_<goarch>
#                            linking its own copy of libnook.a instead of
#                            target/release/libnook.a
#   go/modules.txt           one line per module, after a header line: its folder
#                            here, the folder it takes in the repository, its
#                            module path and its tag; the SDK first, as its
#                            folder holds the others
#
# A platform whose library is absent is left out (said on stderr), and so is
# its import in the SDK: building for it then stops at link_unsupported.go.
# See README.md, "Outside this repository", for how to use the result.
# Usage: bash sdk-go/dist.sh <dist-dir> [<version, e.g. v0.1.0>]
#        (default version: v + the workspace version in Cargo.toml)
#        bash sdk-go/dist.sh --triple <goos>_<goarch>
#        (prints the Rust target triple whose libnook.a that platform's module ships)
set -euo pipefail
sdk="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$sdk")"

# Rust target triple -> Go platform, for every platform that has a library
# module in lib/.
platforms=(
  x86_64-unknown-linux-gnu:linux_amd64
  aarch64-unknown-linux-gnu:linux_arm64
  x86_64-apple-darwin:darwin_amd64
  aarch64-apple-darwin:darwin_arm64
  x86_64-pc-windows-gnu:windows_amd64
  aarch64-pc-windows-gnullvm:windows_arm64
)

if [ "${1:-}" = --triple ] && [ $# -eq 2 ]; then
  for entry in "${platforms[@]}"; do
    if [ "${entry#*:}" = "$2" ]; then
      echo "${entry%%:*}"
      exit 0
    fi
  done
  echo "sdk-go/dist.sh: no library module for $2" >&2
  exit 1
fi
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: bash sdk-go/dist.sh <dist-dir> [<version, e.g. v0.1.0>]" >&2
  exit 2
fi
dist="$(cd "$1" && pwd)"
version=${2:-v$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)}
if ! [[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "sdk-go/dist.sh: '$version' is not a Go module version such as v0.1.0" >&2
  exit 2
fi
if ! command -v go >/dev/null; then
  echo "sdk-go/dist.sh: the Go toolchain is not on PATH (it rewrites go.mod); install Go >= 1.23 and retry" >&2
  exit 1
fi

module=github.com/nook-db/nook/sdk-go
out="$dist/go"
rm -rf "$out"
mkdir -p "$out/lib"
# The SDK's line comes first: its folder in the repository holds the
# others, so copying the trees in this order puts each in place.
printf '# folder here\tfolder in the repository\tmodule path\ttag\n' >"$out/modules.txt"
printf 'sdk-go\tsdk-go\t%s\tsdk-go/%s\n' "$module" "$version" >>"$out/modules.txt"

# The SDK tree: every file of the module, without the folders that are
# modules of their own.
cp -R "$sdk" "$out/sdk-go"
rm -rf "$out/sdk-go/bench" "$out/sdk-go/lib"

edits=()
shipped=0
for entry in "${platforms[@]}"; do
  triple=${entry%%:*} platform=${entry#*:}
  [ -d "$sdk/lib/$platform" ] || { echo "sdk-go/dist.sh: sdk-go/lib/$platform is missing" >&2; exit 1; }
  library="$dist/$triple/lib/libnook.a"
  if [ ! -f "$library" ]; then
    echo "sdk-go/dist.sh: skipping $platform: no $library"
    # The SDK neither imports nor requires this platform's module, and
    # link_unsupported.go names it among the platforms without a library.
    rm "$out/sdk-go/link_$platform.go"
    goos=${platform%_*} goarch=${platform#*_}
    sed -e "/^\/\/go:build /s/ || ($goos \&\& $goarch)//" -e "/^\/\/go:build /s/($goos \&\& $goarch) || //" \
      "$out/sdk-go/link_unsupported.go" >"$out/unsupported.go"
    mv "$out/unsupported.go" "$out/sdk-go/link_unsupported.go"
    edits+=("-droprequire=$module/lib/$platform" "-dropreplace=$module/lib/$platform")
    continue
  fi
  tree="$out/lib/$platform"
  mkdir -p "$tree"
  cp "$sdk/lib/$platform/go.mod" "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$tree/"
  cp "$library" "$tree/libnook.a"
  # Link the libnook.a next to the source instead of the repository's cargo
  # output; a missing one can then only be a damaged copy of the module.
  sed -e 's|\${SRCDIR}/\.\./\.\./\.\./target/release|${SRCDIR}|g' \
    -e 's|^#error .*|#error "libnook.a is missing from the folder of this module: the copy is damaged; run `go clean -modcache` and build again"|' \
    "$sdk/lib/$platform/link.go" >"$tree/link.go"
  if grep -q '\.\./target' "$tree/link.go"; then
    echo "sdk-go/dist.sh: lib/$platform/link.go still links the repository's target/ after the rewrite; update the sed above to match it" >&2
    exit 1
  fi
  edits+=("-dropreplace=$module/lib/$platform" "-require=$module/lib/$platform@$version")
  printf 'lib/%s\tsdk-go/lib/%s\t%s/lib/%s\tsdk-go/lib/%s/%s\n' \
    "$platform" "$platform" "$module" "$platform" "$platform" "$version" >>"$out/modules.txt"
  shipped=$((shipped + 1))
  echo "sdk-go/dist.sh: $platform <- $triple ($(du -h "$library" | cut -f1))"
done
if [ "$shipped" -eq 0 ]; then
  echo "sdk-go/dist.sh: no libnook.a for any Go platform under $dist; build the libraries first (scripts/dist.sh)" >&2
  exit 1
fi

# The released go.mod: the library modules at the release's version, no
# replacements (they would apply only inside this module anyway).
(cd "$out/sdk-go" && go mod edit "${edits[@]}" &&
  go mod edit -fmt)
if grep -q '=>' "$out/sdk-go/go.mod"; then
  echo "sdk-go/dist.sh: the released go.mod still has a replace directive:" >&2
  cat "$out/sdk-go/go.mod" >&2
  exit 1
fi
# Which link file each platform's build takes in the released SDK: its own
# library module's when shipped, else link_unsupported.go (which must also
# catch Android and iOS, as they satisfy the linux and darwin constraints).
for entry in "${platforms[@]}" android:android_arm64 ios:ios_arm64; do
  platform=${entry#*:}
  want=link_unsupported.go
  [ -f "$out/lib/$platform/libnook.a" ] && want=link_$platform.go
  got=$(cd "$out/sdk-go" && GOOS=${platform%_*} GOARCH=${platform#*_} CGO_ENABLED=1 GOFLAGS=-mod=mod GOPROXY=off \
    go list -e -f '{{join .GoFiles " "}} {{join .CgoFiles " "}}' . 2>/dev/null | tr ' ' '\n' | grep '^link_' || true)
  if [ "$got" != "$want" ]; then
    echo "sdk-go/dist.sh: a $platform build of the released SDK takes '$got', not $want; check the build constraints of link_*.go and the edits above" >&2
    exit 1
  fi
done
echo "sdk-go/dist.sh: wrote $out (sdk-go and $shipped library modules, $version)"

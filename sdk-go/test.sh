#!/usr/bin/env bash
# Tests of the Go SDK: gofmt, go mod tidy -diff, go vet, go test -race (unit, concurrency,
# examples, conformance), the no-cgo stub, the release's Go modules used from
# outside the repository (dist.sh, dist_test.sh), and that the benchmark module
# builds. Run from anywhere; tests/all.sh calls it. Works offline (GOPROXY=off)
# once the dependencies are in the module cache.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v go >/dev/null; then
  echo "sdk-go/test.sh: the Go toolchain (>= 1.23) is not on PATH; install it (Debian: apt-get install golang-go) and retry" >&2
  exit 1
fi
if ! command -v gcc >/dev/null && ! command -v cc >/dev/null; then
  echo "sdk-go/test.sh: cgo needs a C compiler; install gcc and retry" >&2
  exit 1
fi

# go mod tidy -diff needs Go 1.23.
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
if [[ $go_minor =~ ^[0-9]+$ ]] && [ "$go_minor" -lt 23 ]; then
  echo "sdk-go/test.sh: $(go env GOVERSION) is too old; install Go >= 1.23 and retry" >&2
  exit 1
fi

echo "--> gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  echo "sdk-go: these files need gofmt -w:" >&2
  echo "$unformatted" >&2
  exit 1
fi

echo "--> go mod tidy -diff (go.mod and go.sum list exactly what the code needs)"
for module in . bench lib/*; do
  if ! (cd "$module" && go mod tidy -diff); then
    echo "sdk-go: $module/go.mod or go.sum is not tidy: run \`go mod tidy\` in sdk-go/$module and commit" >&2
    exit 1
  fi
done

echo "--> cargo build --release -p nook-abi (the static library cgo links)"
(cd .. && cargo build --release -p nook-abi --quiet)

echo "--> go vet (and the other link modes compile)"
go vet ./...
go vet "github.com/nook-db/nook/sdk-go/lib/$(go env GOOS)_$(go env GOARCH)"
go vet -tags nook_external .
go vet -tags includebuild .

echo "--> each platform's build takes its library module; Android, iOS and the rest stop at link_unsupported.go"
for target in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64 \
  android/arm64 ios/arm64 linux/386 freebsd/amd64; do
  case $target in
    android/* | ios/* | linux/386 | freebsd/*) want=link_unsupported.go ;;
    *) want=link_${target/\//_}.go ;;
  esac
  got=$(GOOS=${target%/*} GOARCH=${target#*/} CGO_ENABLED=1 go list -f '{{join .GoFiles " "}} {{join .CgoFiles " "}}' . |
    tr ' ' '\n' | grep '^link_' || true)
  if [ "$got" != "$want" ]; then
    echo "sdk-go: a $target build takes '$got', not $want; check the build constraints of link_*.go" >&2
    exit 1
  fi
done

echo "--> a missing libnook.a stops the build with the command that makes it"
# A copy of this platform's library module where ../../../target/release does
# not exist (a new folder, so the build cache cannot hide the check).
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
platform="$(go env GOOS)_$(go env GOARCH)"
mkdir -p "$scratch/sdk-go/lib"
cp -R "lib/$platform" "$scratch/sdk-go/lib/"
if output=$(cd "$scratch/sdk-go/lib/$platform" && GOFLAGS= go build . 2>&1); then
  echo "sdk-go: lib/$platform built without target/release/libnook.a" >&2
  exit 1
fi
if [[ $output != *'run `cargo build --release -p nook-abi`'* ]]; then
  echo "sdk-go: without target/release/libnook.a, the build of lib/$platform failed without naming the fix:" >&2
  echo "$output" >&2
  exit 1
fi

echo "--> go test -race"
go test -race -count=1 -timeout 300s ./...

echo "--> GOGC=1: lifetime tests with a collection at nearly every allocation"
# A missing runtime.KeepAlive or a finalizer racing a cgo call shows up here.
GOGC=1 go test -count=1 -short -run 'Finalizer|Close|Concurrent|Scan|Batch' .

echo "--> -tags nook_external: the library comes from CGO_LDFLAGS (how users outside the repository link)"
CGO_LDFLAGS="$PWD/../target/release/libnook.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc" \
  go test -count=1 -tags nook_external -run 'TestABIVersion|TestCRUD' .

echo "--> CGO_ENABLED=0: the stub builds and says what is needed"
CGO_ENABLED=0 go vet .
CGO_ENABLED=0 go test -count=1 -run 'TestWithoutCgo' .

echo "--> outside the repository: a fresh module builds and runs with the release's Go modules, no cargo"
# A stand-in release with only this host's library (the release command,
# scripts/dist.sh, builds every target and runs dist.sh the same way).
standin=../target/go-dist-test
triple=$(bash dist.sh --triple "$platform")
rm -rf "$standin"
mkdir -p "$standin/$triple/lib"
cp ../target/release/libnook.a "$standin/$triple/lib/"
bash dist.sh "$standin" >/dev/null
bash dist_test.sh "$standin"

echo "--> the benchmark module builds (bench/, not run here)"
(cd bench && go vet ./... && go test -count=1 -run '^$' -bench '^$' ./... >/dev/null)

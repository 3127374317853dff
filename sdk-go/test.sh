#!/usr/bin/env bash
# Tests of the Go SDK: gofmt, go mod tidy -diff, go vet, go test -race (unit, concurrency,
# examples, conformance), the no-cgo stub, and that the benchmark module
# builds. Run from anywhere; tests/all.sh calls it.
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
for module in . bench; do
  if ! (cd "$module" && go mod tidy -diff); then
    echo "sdk-go: $module/go.mod or go.sum is not tidy: run \`go mod tidy\` in sdk-go/$module and commit" >&2
    exit 1
  fi
done

echo "--> cargo build --release -p nook-abi (the static library cgo links)"
(cd .. && cargo build --release -p nook-abi --quiet)

echo "--> go vet (and the other link modes compile)"
go vet ./...
go vet -tags nook_prebuilt .
go vet -tags nook_external .
go vet -tags includebuild .

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

echo "--> the benchmark module builds (bench/, not run here)"
(cd bench && go vet ./... && go test -count=1 -run '^$' -bench '^$' ./... >/dev/null)

module github.com/nook-db/nook/sdk-go

go 1.23

require (
	github.com/fxamacker/cbor/v2 v2.9.0
	github.com/nook-db/nook/sdk-go/lib/darwin_amd64 v0.0.0
	github.com/nook-db/nook/sdk-go/lib/darwin_arm64 v0.0.0
	github.com/nook-db/nook/sdk-go/lib/linux_amd64 v0.0.0
	github.com/nook-db/nook/sdk-go/lib/linux_arm64 v0.0.0
	github.com/nook-db/nook/sdk-go/lib/windows_amd64 v0.0.0
	github.com/nook-db/nook/sdk-go/lib/windows_arm64 v0.0.0
)

require github.com/x448/float16 v0.8.4 // indirect

// Inside the repository, each platform's library module is its folder in
// lib/, which links the local cargo output (target/release/libnook.a).
// Replacements apply only when this is the main module: a program that
// imports this package gets the published modules, which ship libnook.a.
// A release's go.mod (written by dist.sh) has no replacements and requires
// the library modules at the release's version.
replace (
	github.com/nook-db/nook/sdk-go/lib/darwin_amd64 => ./lib/darwin_amd64
	github.com/nook-db/nook/sdk-go/lib/darwin_arm64 => ./lib/darwin_arm64
	github.com/nook-db/nook/sdk-go/lib/linux_amd64 => ./lib/linux_amd64
	github.com/nook-db/nook/sdk-go/lib/linux_arm64 => ./lib/linux_arm64
	github.com/nook-db/nook/sdk-go/lib/windows_amd64 => ./lib/windows_amd64
	github.com/nook-db/nook/sdk-go/lib/windows_arm64 => ./lib/windows_arm64
)

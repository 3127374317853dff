package nook

// Where libnook.a, the Nook C library this package calls, comes from.
//
// By default, one library module per platform, imported by link_<GOOS>_<GOARCH>.go:
// github.com/nook-db/nook/sdk-go/lib/<GOOS>_<GOARCH> (linux, darwin and
// windows on amd64 and arm64), a package whose cgo directives link the library
// and the system libraries it needs.
//   - Inside the Nook repository, go.mod replaces these modules with the
//     folders lib/<GOOS>_<GOARCH>, which link target/release/libnook.a, the
//     output of `cargo build --release -p nook-abi`; when that file is
//     missing, the build fails with that command in the error.
//   - A released version requires the published modules, each shipping its
//     libnook.a (made by dist.sh, run by the release command), so `go get` and
//     `go build` need no Rust toolchain. Only the module of the platform being
//     built is downloaded.
//
// On any other platform with cgo, link_unsupported.go fails the build with an
// identifier that names the way out: -tags nook_external (link_external.go),
// with your own libnook.a in CGO_LDFLAGS.

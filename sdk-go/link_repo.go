//go:build cgo && !nook_prebuilt && !nook_external

package nook

// Default linking, inside the Nook repository: the static library that
// `cargo build --release -p nook-abi` (run from the repository root) writes
// to target/release/libnook.a. The system libraries are those
// `rustc --print native-static-libs` lists for a Rust staticlib.
//
// Outside the repository, build with -tags nook_prebuilt (a libnook.a shipped
// in lib/<GOOS>_<GOARCH>/) or -tags nook_external (your own libnook.a given
// in CGO_LDFLAGS); see the README.

/*
#cgo LDFLAGS: ${SRCDIR}/../target/release/libnook.a
#cgo linux LDFLAGS: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
#cgo darwin LDFLAGS: -framework Security -framework CoreFoundation -liconv -lSystem -lc -lm
#cgo windows LDFLAGS: -lkernel32 -ladvapi32 -lntdll -luserenv -lws2_32 -lbcrypt
*/
import "C"

// Package libnook links the Nook C library, libnook.a, into a linux/arm64
// program; github.com/nook-db/nook/sdk-go imports it for that platform and
// calls the library. It has no Go API.
//
// On the main branch of the Nook repository this links
// target/release/libnook.a, the output of `cargo build --release -p
// nook-abi`. A release of this module (made by sdk-go/dist.sh) ships
// libnook.a in this folder and links that instead. The system libraries are
// those `rustc --print native-static-libs` lists for a Rust staticlib.
package libnook

/*
#cgo CFLAGS: -I${SRCDIR}/../../../target/release
#cgo LDFLAGS: ${SRCDIR}/../../../target/release/libnook.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
#if !__has_include(<libnook.a>)
#error "target/release/libnook.a is missing: run `cargo build --release -p nook-abi` at the root of the Nook repository"
#endif
*/
import "C"

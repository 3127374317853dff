//go:build cgo && nook_prebuilt

package nook

// -tags nook_prebuilt: link the static library shipped with the package for
// the target platform, lib/<GOOS>_<GOARCH>/libnook.a. Release tags of the
// module carry these files (built by `cargo build --release -p nook-abi
// --target <triple>`); a platform without one fails to link, naming the
// missing file.

/*
#cgo linux,amd64 LDFLAGS: ${SRCDIR}/lib/linux_amd64/libnook.a
#cgo linux,arm64 LDFLAGS: ${SRCDIR}/lib/linux_arm64/libnook.a
#cgo darwin,amd64 LDFLAGS: ${SRCDIR}/lib/darwin_amd64/libnook.a
#cgo darwin,arm64 LDFLAGS: ${SRCDIR}/lib/darwin_arm64/libnook.a
#cgo windows,amd64 LDFLAGS: ${SRCDIR}/lib/windows_amd64/libnook.a
#cgo linux LDFLAGS: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
#cgo darwin LDFLAGS: -framework Security -framework CoreFoundation -liconv -lSystem -lc -lm
#cgo windows LDFLAGS: -lkernel32 -ladvapi32 -lntdll -luserenv -lws2_32 -lbcrypt
*/
import "C"

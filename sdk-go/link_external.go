//go:build cgo && nook_external

package nook

// -tags nook_external: the package names no library; the build supplies it,
// e.g.
//
//	CGO_LDFLAGS="/opt/nook/lib/libnook.a -lm -ldl -lpthread" go build -tags nook_external ./...
//
// (or -L/opt/nook/lib -lnook for the shared library, which must then be found
// at run time).

//go:build cgo && !nook_external

package nook

// The Nook C library for windows/arm64 (see link.go).
import _ "github.com/nook-db/nook/sdk-go/lib/windows_arm64"

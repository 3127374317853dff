//go:build cgo && !nook_external && !android

package nook

// The Nook C library for linux/arm64 (see link.go).
import _ "github.com/nook-db/nook/sdk-go/lib/linux_arm64"

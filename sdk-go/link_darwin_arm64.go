//go:build cgo && !nook_external && !ios

package nook

// The Nook C library for darwin/arm64 (see link.go).
import _ "github.com/nook-db/nook/sdk-go/lib/darwin_arm64"

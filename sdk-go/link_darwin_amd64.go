//go:build cgo && !nook_external && !ios

package nook

// The Nook C library for darwin/amd64 (see link.go).
import _ "github.com/nook-db/nook/sdk-go/lib/darwin_amd64"

//go:build includebuild

package nook

// Never built (no one sets the tag): the import only makes `go mod vendor`,
// which reads imports under every build tag, keep the include folder that
// cgo needs. The library modules (lib/<GOOS>_<GOARCH>) need no such help:
// link_<GOOS>_<GOARCH>.go imports them.
import _ "github.com/nook-db/nook/sdk-go/include"

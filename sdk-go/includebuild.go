//go:build includebuild

package nook

// Never built (no one sets the tag): the import only makes `go mod vendor`,
// which reads imports under every build tag, keep the include folder that
// cgo needs. Release tags add the lib/<GOOS>_<GOARCH> folders here too.
import _ "github.com/nook-db/nook/sdk-go/include"

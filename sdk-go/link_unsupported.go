//go:build cgo && !nook_external && (android || ios || !((linux && amd64) || (linux && arm64) || (darwin && amd64) || (darwin && arm64) || (windows && amd64) || (windows && arm64)))

package nook

// No library module exists for this GOOS/GOARCH (Android and iOS, which also
// satisfy the linux and darwin constraints, included): the build stops here,
// and the name of the missing identifier says what to do (see link.go).
var _ = no_prebuilt_libnook_for_this_GOOS_GOARCH__build_libnook_a_yourself_and_use_tags_nook_external_with_CGO_LDFLAGS__see_the_sdk_go_README

//go:build !cgo

package nook

import "runtime"

// Built without cgo: there is no C library to call, so every entry point
// fails with ErrIncompatible and this message. The package still compiles, so
// code that imports it builds, and the failure names the fix.
func errNoCgo() error {
	return errorf(CodeIncompatible,
		"this binary was built with CGO_ENABLED=0, but the Nook Go SDK calls the Nook C library (libnook.a) through cgo; "+
			"rebuild with CGO_ENABLED=1 and a C compiler (gcc or clang) for %s/%s, with libnook.a for that target "+
			"(see the sdk-go README: `cargo build --release -p nook-abi`, or a prebuilt library via CGO_LDFLAGS)",
		runtime.GOOS, runtime.GOARCH)
}

func checkABIVersion() error                            { return errNoCgo() }
func nativeOpen(string, *options) (uint64, error)       { return 0, errNoCgo() }
func nativeOpenMemory(*options) (uint64, error)         { return 0, errNoCgo() }
func nativeClose(uint64) error                          { return errNoCgo() }
func nativeBegin(uint64, bool) (uint64, error)          { return 0, errNoCgo() }
func nativeEnd(uint64, bool, bool) error                { return errNoCgo() }
func nativeGet(target, []byte) ([]byte, error)          { return nil, errNoCgo() }
func nativeGetInto(target, []byte, []byte) (int, error) { return 0, errNoCgo() }
func nativeHas(target, []byte) (bool, error)            { return false, errNoCgo() }
func nativeCount(target) (uint64, error)                { return 0, errNoCgo() }
func nativeWrite(target, writeOp, []byte, []byte) error { return errNoCgo() }
func nativeDelete(target, []byte) (bool, error)         { return false, errNoCgo() }
func nativeSync(uint64) error                           { return errNoCgo() }
func nativeCursorOpen(target, []byte) (uint64, error)   { return 0, errNoCgo() }
func nativeCursorClose(uint64) error                    { return errNoCgo() }
func nativeApply(uint64, *WriteBatch) error             { return errNoCgo() }
func nativeCheck(uint64) (CheckReport, error)           { return CheckReport{}, errNoCgo() }
func nativeStats(uint64) (Stats, error)                 { return Stats{}, errNoCgo() }
func nativeCompact(uint64) (CompactReport, error)       { return CompactReport{}, errNoCgo() }
func nativeBackup(uint64, string) error                 { return errNoCgo() }
func nativeCursorNext(uint64, *[]byte) ([][]byte, [][]byte, bool, error) {
	return nil, nil, false, errNoCgo()
}

// LibraryABIVersion returns 0, 0: without cgo no library is linked.
func LibraryABIVersion() (major, minor uint32) { return 0, 0 }

//go:build !cgo

package nook

import (
	"errors"
	"strings"
	"testing"
)

// TestWithoutCgo checks that a build without cgo compiles and that Open
// explains how to fix it instead of failing at link time.
func TestWithoutCgo(t *testing.T) {
	for name, open := range map[string]func() (*DB, error){
		"Open":       func() (*DB, error) { return Open(t.TempDir() + "/x.nook") },
		"OpenMemory": func() (*DB, error) { return OpenMemory() },
	} {
		db, err := open()
		if db != nil || !errors.Is(err, ErrIncompatible) {
			t.Fatalf("%s without cgo = %v, %v; want ErrIncompatible", name, db, err)
		}
		for _, want := range []string{"CGO_ENABLED=1", "libnook.a", "C compiler"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s error %q does not mention %q", name, err, want)
			}
		}
	}
}
